"""Differential tests of this round's python-flint routes against the SymPy routes they
replace: each must give the same expression (``==`` and the same ``srepr``) or the same
decision, computed independently.

* ``ratfunc``: ``cancel_one_symbol``, ``fraction_quotient`` and ``fraction_dot`` against
  ``sympy.cancel`` of the SymPy-built expression; ``log_of`` against ``sympy.log``; the
  numerator and denominator registered by ``fraction_to_expr`` read back as written.
* ``exact.algebraic``: residues modulo the minimal polynomial against 120-digit evaluation.
* ``symbolic.limits``: limits at algebraic points against the SymPy route.
* ``engine.coherence.boltzmann_fixed_point_by_levels`` against ``T + 1`` iterates, and the
  memoized ``together`` of the symbolic fixed point against ``sympy.together``.
"""

import pytest
import sympy as sp
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from proofcheck.engine import coherence_fixed_point
from proofcheck.engine.coherence import boltzmann_fixed_point_by_levels
from proofcheck.exact.ratfunc import HAVE_FLINT, cancel_one_symbol, fraction_dot, fraction_quotient, log_of
from proofcheck.model.conventions import Conventions
from proofcheck.model.generators import binary_tree_mdp, random_layered_mdp

pytestmark = pytest.mark.skipif(not HAVE_FLINT, reason="python-flint is not installed")

QUICK = settings(max_examples=60, deadline=None, database=None, derandomize=True,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

p = sp.Symbol("p", real=True)
COEFF = st.builds(sp.Rational, st.integers(-6, 6), st.integers(1, 5))
POLY = st.lists(COEFF, min_size=1, max_size=5).map(lambda cs: sum(c * p ** i for i, c in enumerate(cs)))
FRACTION = st.tuples(POLY, POLY).filter(lambda t: t[1] != 0).map(lambda t: sp.cancel(t[0] / t[1]))
VALUE = st.one_of(FRACTION, FRACTION, COEFF)


def _same(a, b):
    return a == b and sp.srepr(a) == sp.srepr(b)


# ------------------------------------------------------------------------ ratfunc

@QUICK
@given(VALUE, VALUE)
def test_fraction_quotient_is_sympy_cancel_of_the_quotient(a, b):
    assume(b != 0)
    want = sp.cancel(a / b)
    got = fraction_quotient(a, b)
    if not (a.free_symbols or b.free_symbols):
        assert got is None  # plain rationals stay SymPy's
        return
    assert got is not None and _same(got, want), (a, b, got, want)


@QUICK
@given(st.lists(st.tuples(VALUE, VALUE), min_size=1, max_size=4))
def test_fraction_dot_is_sympy_cancel_of_the_sum_of_products(pairs):
    want = sp.cancel(sp.Add(*[a * b for a, b in pairs]))
    got = fraction_dot(tuple(pairs))
    if not any(a.free_symbols or b.free_symbols for a, b in pairs):
        assert got is None
        return
    assert got is not None and _same(got, want), (pairs, got, want)


@QUICK
@given(VALUE, VALUE)
def test_cancel_one_symbol_of_products_of_written_values(a, b):
    # written values (and their numerators and denominators) are read back from the
    # fractions remembered when they were written: the result must not depend on that
    x, y = cancel_one_symbol(a) if a.free_symbols else a, cancel_one_symbol(b) if b.free_symbols else b
    for expr in (x * y, x + y, x * y + x, (x + 1) * y):
        assert _same(cancel_one_symbol(expr), sp.cancel(expr)), expr


def test_cancel_one_symbol_declines_two_symbols_and_logs():
    q = sp.Symbol("q")
    assert cancel_one_symbol(p * q + 1) is None
    assert cancel_one_symbol(sp.log(p) + 1) is None
    assert cancel_one_symbol(sp.Rational(3, 4) + sp.log(2)) is None
    assert cancel_one_symbol(sp.Rational(3, 4)) == sp.Rational(3, 4)


@QUICK
@given(st.one_of(FRACTION, st.builds(sp.Rational, st.integers(-50, 10 ** 12), st.integers(1, 10 ** 12))))
def test_log_of_is_sympys_log(x):
    assume(x != 0)
    want = sp.log(x)
    assert _same(log_of(x), want), x


# ------------------------------------------------------------------ algebraic points

def _real_root(coeffs):
    """The smallest real root, as a ``CRootOf``, of an irreducible polynomial of degree >= 2."""
    poly = sp.Poly(coeffs, p)
    if poly.degree() < 2 or not poly.is_irreducible or poly.count_roots() == 0:
        return None
    return sp.CRootOf(poly, 0)


@QUICK
@given(st.lists(st.integers(-7, 7), min_size=3, max_size=5), FRACTION)
def test_residues_decide_zero_and_sign_as_120_digit_values_do(coeffs, f):
    from proofcheck.exact.algebraic import AlgebraicPoint

    t = _real_root(coeffs)
    assume(t is not None)
    point = AlgebraicPoint(t, p)
    try:
        r = point.residue(f)
    except ZeroDivisionError:  # f has a pole at t
        assume(False)
    value = sp.N(f.subs(p, t), 120)
    if r.is_zero():
        assert abs(value) < sp.Float(10) ** -100
    else:
        assert abs(value) > sp.Float(10) ** -100
        assert point.sign(r) == (1 if value > 0 else -1)
    # times the minimal polynomial the value is 0: residue 0, sign 0
    minimal = t.poly.as_expr().subs(t.poly.gen, p)
    assert point.sign(point.residue(minimal * f)) == 0


def test_residue_of_a_denominator_vanishing_at_the_point_raises():
    from proofcheck.exact.algebraic import AlgebraicPoint

    point = AlgebraicPoint(sp.CRootOf(p ** 2 - 2, 1), p)
    with pytest.raises(ZeroDivisionError):
        point.residue(1 / (p ** 2 - 2))
    assert point.rational(point.residue((p ** 2 + 2) / 8)) == sp.Rational(1, 2)
    assert point.rational(point.residue(p)) is None


def test_limits_at_algebraic_points_equal_the_sympy_route(monkeypatch):
    from proofcheck.symbolic import limits
    from proofcheck.symbolic.closed_forms import ExpSum

    x = sp.Symbol("p", real=True)
    cases = [  # bases that cross at algebraic points of [0, 1]
        (ExpSum({x: 1}), ExpSum({x: 1, 1 - x ** 2: 1})),  # x = 1 - x^2 at (sqrt 5 - 1)/2
        (ExpSum({x ** 2: 2}), ExpSum({x ** 2: 2, sp.Rational(1, 2): 1})),  # x^2 = 1/2
        (ExpSum({x ** 3: 1, sp.Rational(1, 3): 1}), ExpSum({x ** 3: 1, sp.Rational(1, 3): 2, (1 - x) / 2: 1})),
    ]
    used = []

    class Counted(limits._AtAlgebraic):
        def __init__(self, *args):
            super().__init__(*args)
            used.append(args[-1])

    def refuse(*args):
        raise ValueError("the SymPy route only")

    for num, den in cases:
        for direction in ("inf", "zero"):
            with monkeypatch.context() as m:
                m.setattr(limits, "_AtAlgebraic", Counted)
                fast = limits.piecewise_ratio_limit(num, den, direction, x, 0, 1)
            with monkeypatch.context() as m:
                m.setattr(limits, "_AtAlgebraic", refuse)
                slow = limits.piecewise_ratio_limit(num, den, direction, x, 0, 1)
            assert fast == slow, (num, den, direction)
            assert any(isinstance(t, sp.CRootOf) for piece, _ in fast for t in piece.boundary) \
                or direction == "zero"
    assert len(used) >= len(cases)  # the algebraic route decided the points it could


# ---------------------------------------------------------------- fixed points by levels

EXACT_MODELS = [binary_tree_mdp(d, seed=s).substitute({"p": sp.Rational(2, 5)}) for d in (2, 3) for s in range(3)]
FLOAT_MODELS = [random_layered_mdp(12, 3, horizon=4, seed=s) for s in range(3)]


@pytest.mark.parametrize("delta", [sp.Integer(1), sp.Rational(1, 2), sp.Integer(3)])
@pytest.mark.parametrize("impossible", ["keep", "uniform"])
def test_fixed_point_by_levels_is_the_iterated_fixed_point(delta, impossible):
    conv = Conventions(delta=delta, impossible=impossible)
    for m in EXACT_MODELS:
        want = coherence_fixed_point(m, conventions=conv).values
        assert list(boltzmann_fixed_point_by_levels(m, conventions=conv)) == list(want)
        floats = boltzmann_fixed_point_by_levels(m, conventions=conv, backend="float")
        assert max(abs(float(a) - float(b)) for a, b in zip(floats, want)) < 1e-12
    for m in FLOAT_MODELS:
        want = coherence_fixed_point(m, conventions=conv, backend="float").values
        got = boltzmann_fixed_point_by_levels(m, conventions=conv, backend="float")
        assert max(abs(float(a) - float(b)) for a, b in zip(got, want)) < 1e-12


def test_symbolic_fixed_point_with_memoized_together_is_sympys(monkeypatch):
    from proofcheck.symbolic import closed_forms

    for m in [binary_tree_mdp(2, seed=0), binary_tree_mdp(3, seed=1)]:
        closed_forms._tidy.cache_clear()
        fast = list(closed_forms.boltzmann_fixed_point(m).values)
        closed_forms._tidy.cache_clear()
        with monkeypatch.context() as patch:
            patch.setattr(closed_forms, "_together", sp.together)
            slow = list(closed_forms.boltzmann_fixed_point(m).values)
        closed_forms._tidy.cache_clear()
        assert [sp.srepr(a) for a in fast] == [sp.srepr(b) for b in slow]


def test_substitute_makes_one_copy_per_value():
    m = binary_tree_mdp(2, seed=0)
    (x,) = m.parameters
    a, b = m.substitute({x: sp.Rational(1, 3)}), m.substitute({"p": sp.Rational(1, 3)})
    c = m.substitute({x: sp.Rational(1, 2)})
    assert a is b and a is not c
    assert not a.parameters and a.prior[0] == sp.Rational(1, 3) and c.prior[0] == sp.Rational(1, 2)
