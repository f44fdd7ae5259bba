"""Differential tests: the python-flint routes of ``proofcheck.exact.ratfunc`` against the
reference, ``sympy.cancel``.

``cancel_univariate(expr, x)`` and ``cancel_with_constants(expr)`` must return exactly
(structurally ``==``) what ``sympy.cancel(expr)`` returns, or None when they decline;
``cancel_univariate`` must not decline a rational function of ``x`` with rational
coefficients, and ``as_fraction`` must give a coprime pair ``(n, d)`` (monic ``d``) whose
quotient is the expression at every rational point where both are defined.
"""

from fractions import Fraction

import pytest
import sympy as sp
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from proofcheck.exact.ratfunc import HAVE_FLINT, as_fraction, cancel_univariate, cancel_with_constants, poly_to_expr

pytestmark = pytest.mark.skipif(not HAVE_FLINT, reason="python-flint is not installed")

QUICK = settings(max_examples=80, deadline=None, database=None, derandomize=True,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                        HealthCheck.filter_too_much])
SLOW = settings(QUICK, max_examples=1500)

p, q = sp.symbols("p q")
LOGS = [sp.log(2), sp.log(4), sp.log(sp.Rational(3, 4)), sp.log(6)]
RATIONALS = st.builds(sp.Rational, st.integers(-4, 4), st.integers(1, 4))
POINTS = [sp.Rational(a, b) for a, b in [(0, 1), (1, 1), (-1, 1), (1, 2), (-1, 3), (2, 3), (3, 4), (7, 5),
                                         (-5, 2), (11, 7), (1, 10), (13, 3)]]


def _combine(children):
    """Binary + - * / and integer powers -3..3 of smaller expressions."""
    binary = st.tuples(children, children, st.sampled_from(["+", "-", "*", "/"])).map(
        lambda t: t[0] + t[1] if t[2] == "+" else t[0] - t[1] if t[2] == "-" else t[0] * t[1]
        if t[2] == "*" else t[0] / t[1])
    power = st.tuples(children, st.integers(-3, 3)).map(lambda t: t[0] ** t[1])
    return st.one_of(binary, binary, power)


def expressions(leaves):
    return st.recursive(leaves, _combine, max_leaves=8)


RATIONAL_P = expressions(st.one_of(st.just(p), st.just(p), RATIONALS))
WITH_LOGS_P = expressions(st.one_of(st.just(p), st.just(p), RATIONALS, st.sampled_from(LOGS)))
WITH_LOGS_PQ = expressions(st.one_of(st.just(p), st.just(q), RATIONALS, st.sampled_from(LOGS)))


def reference_cancel(expr):
    """``sympy.cancel(expr)``, or None (the example is skipped) where it is undefined."""
    if expr.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        return None
    try:
        out = sp.cancel(expr)
    except Exception:  # noqa: BLE001 - any failure of the reference skips the example
        return None
    if out.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        return None
    return out


# ----------------------------------------------------------------- cancel_univariate

@QUICK
@given(RATIONAL_P)
def test_cancel_univariate_equals_sympy_on_rational_functions(expr):
    want = reference_cancel(expr)
    assume(want is not None)
    got = cancel_univariate(expr, p)
    assert got is not None, f"declined a rational function of p: {expr}"
    assert got == want, f"{expr}: {got} != sympy.cancel {want}"


@QUICK
@given(WITH_LOGS_P)
def test_cancel_univariate_is_none_or_sympy_with_constants(expr):
    want = reference_cancel(expr)
    assume(want is not None)
    got = cancel_univariate(expr, p)
    assert got is None or got == want, f"{expr}: {got} != sympy.cancel {want}"
    if expr.has(*LOGS):
        assert got is None, f"{expr} holds a logarithm, yet cancel_univariate gave {got}"


@QUICK
@given(RATIONAL_P)
def test_cancel_univariate_declines_other_symbols(expr):
    e = expr + q
    assume(reference_cancel(e) is not None)
    assert cancel_univariate(e, p) is None
    assert cancel_univariate(expr * sp.Float("0.5"), p) is None or not expr.has(p)


@pytest.mark.parametrize("expr", [
    sp.Integer(0), sp.Integer(3), sp.Rational(-1, 2), p, -p, p / 2, (1 - p) / (p + 1), -(p - 1) / (2 * p + 2),
    (p / 2 + sp.Rational(1, 4)) / (p + sp.Rational(1, 2)), p / (p + (1 - p) / 4), (p ** 2 - 1) / (p - 1),
    1 / (-3 * p - 6), (2 - 2 * p) / (4 - 4 * p ** 2), p ** -2, (p - sp.Rational(1, 3)) ** 3 / (3 * p - 1),
    (p + 1) ** 2 - p ** 2, 1 / (1 / p + 1 / (1 - p)),
])
def test_cancel_univariate_hand_picked(expr):
    assert cancel_univariate(expr, p) == sp.cancel(expr)


# ----------------------------------------------------------------- as_fraction

def _value(poly, t):
    """A flint ``fmpq_poly`` at the rational ``t``, by Horner's rule on its coefficients."""
    out = Fraction(0)
    for c in reversed(poly.coeffs()):
        out = out * Fraction(int(t.p), int(t.q)) + Fraction(int(c.p), int(c.q))
    return out


@QUICK
@given(RATIONAL_P)
def test_as_fraction_values_at_rational_points(expr):
    assume(reference_cancel(expr) is not None)
    frac = as_fraction(expr, p)
    assert frac is not None
    n, d = frac
    assert d.coeffs()[-1] == 1, f"denominator {d} is not monic"
    assert n.gcd(d).degree() == 0, f"{n} and {d} share a factor"
    checked = 0
    for t in POINTS:
        dt = _value(d, t)
        if dt == 0:
            continue
        want = expr.subs(p, t)
        if want.has(sp.zoo, sp.nan, sp.oo, -sp.oo):  # a removable singularity of expr itself
            continue
        assert want.is_Rational
        assert _value(n, t) / dt == Fraction(int(want.p), int(want.q)), f"{expr} at p = {t}"
        checked += 1
    assert checked >= len(POINTS) - d.degree() - 6


def test_as_fraction_declines_non_rational():
    assert as_fraction(sp.log(2) * p, p) is None
    assert as_fraction(p + q, p) is None
    assert as_fraction(sp.sqrt(p), p) is None
    assert as_fraction(sp.Float("0.5") * p, p) is None


# ----------------------------------------------------------------- cancel_with_constants

def _check_cancel_with_constants(expr):
    want = reference_cancel(expr)
    assume(want is not None)
    assume(expr.free_symbols or expr.has(*LOGS))
    got = cancel_with_constants(expr)
    assert got is None or got == want, f"{expr}: {got} != sympy.cancel {want}"
    if expr.free_symbols:  # a rational function of symbols with log-of-rational coefficients
        assert got is not None, f"declined {expr}"


@QUICK
@given(WITH_LOGS_PQ)
def test_cancel_with_constants_is_none_or_sympy(expr):
    _check_cancel_with_constants(expr)


@QUICK
@given(WITH_LOGS_P)
def test_cancel_with_constants_is_none_or_sympy_one_symbol(expr):
    _check_cancel_with_constants(expr)


@pytest.mark.parametrize("expr", [
    -(1 - p) * sp.log(4) / (5 * p + 3) - (2 - 2 * p) * sp.log(2) / (5 * p + 3),
    (1 - p) * sp.log(2) / (5 * p + 3), p * sp.log(sp.Rational(3, 4)) + q * sp.log(6),
    (sp.log(4) - 2 * sp.log(2)) * p + 1, sp.log(6) / (p * sp.log(2) - q), (p + q) ** 2 / (p ** 2 - q ** 2),
    -p / (sp.log(2) - sp.log(6)), sp.log(sp.Rational(3, 4)) / (sp.log(4) * q + p),
])
def test_cancel_with_constants_hand_picked(expr):
    got = cancel_with_constants(expr)
    assert got is not None
    assert got == sp.cancel(expr)


# ----------------------------------------------------------------- bigger runs

@pytest.mark.slow
@SLOW
@given(st.one_of(RATIONAL_P, WITH_LOGS_P, WITH_LOGS_PQ))
def test_many_expressions_against_sympy_cancel(expr):
    want = reference_cancel(expr)
    assume(want is not None)
    got = cancel_univariate(expr, p)
    assert got is None or got == want
    if not (expr.free_symbols - {p}) and not expr.has(*LOGS):
        assert got is not None
    got = cancel_with_constants(expr)
    assert got is None or got == want


COEFFS = st.lists(st.one_of(st.just(0), st.just(1), st.just(-1), st.just(Fraction(1, 2)), st.just(Fraction(-1, 2)),
                            st.integers(-(2 ** 300), 2 ** 300),
                            st.fractions(max_denominator=2 ** 70)), min_size=0, max_size=14)


@QUICK
@given(COEFFS)
def test_poly_to_expr_is_the_canonical_sympy_polynomial(coeffs):
    """The Add and Mul built without SymPy's flatten are exactly the ones it would build:
    same arguments in the same order, so equality, hashing and printing agree."""
    import flint

    x = sp.Symbol("p", real=True)
    as_flint = [flint.fmpq(c.numerator, c.denominator) if isinstance(c, Fraction) else flint.fmpz(c)
                for c in coeffs]
    built = poly_to_expr(as_flint, x)
    reference = sp.Add(*[sp.Rational(c) * x ** i for i, c in enumerate(coeffs) if c != 0])
    assert built == reference and built.args == reference.args
    assert hash(built) == hash(reference) and str(built) == str(reference)
