"""The exact engine's shortcuts against SymPy: bulk sums of rationals on python-flint
integers, and the zero test of evidently positive forms."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from proofcheck.engine.backends.exact import ExactBackend
from proofcheck.exact.rational_arrays import products, quotients, scatter_sums, segment_dots, segment_sums
from proofcheck.exact.sign import evidently_positive

# small and float-sized rationals, equal denominators (the common case) and huge ones
_DENOMINATORS = st.sampled_from([1, 2, 3, 6, 2 ** 53, 3 ** 40, 2 ** 200 + 1])
RATIONALS = st.builds(lambda n, d: sp.Rational(n, d), st.integers(-(2 ** 300), 2 ** 300), _DENOMINATORS)


@st.composite
def segments(draw, arrays=1):
    n = draw(st.integers(1, 12))
    values = [draw(st.lists(RATIONALS, min_size=n, max_size=n)) for _ in range(arrays)]
    cuts = sorted(draw(st.sets(st.integers(1, n - 1), max_size=n - 1))) if n > 1 else []
    return values, [0] + cuts


def _by_sympy(terms, starts):
    bounds = list(starts) + [len(terms)]
    return [sp.Add(*terms[lo:hi]) for lo, hi in zip(bounds, bounds[1:])]


@given(segments())
def test_segment_sums_are_sympys(data):
    (values,), starts = data
    got = segment_sums(values, starts)
    assert got == _by_sympy(values, starts)
    assert all(type(g) is type(e) for g, e in zip(got, _by_sympy(values, starts)))  # Integer, Half, ...


@given(segments(arrays=2))
def test_segment_dots_are_sympys(data):
    (a, b), starts = data
    assert segment_dots(a, b, starts) == _by_sympy([x * y for x, y in zip(a, b)], starts)


@settings(max_examples=50)
@given(st.lists(RATIONALS, min_size=1, max_size=10), st.data())
def test_scatter_sums_are_numpys_add_at(values, data):
    n = data.draw(st.integers(1, 4))
    index = data.draw(st.lists(st.integers(0, n - 1), min_size=len(values), max_size=len(values)))
    target = np.array(data.draw(st.lists(RATIONALS, min_size=n, max_size=n)), dtype=object)
    expected = target.copy()
    np.add.at(expected, index, np.array(values, dtype=object))
    got = scatter_sums(target, index, values)
    assert set(got) == set(index) and all(got[i] == expected[i] for i in got)
    backend_target = target.copy()
    ExactBackend().scatter_add(backend_target, np.array(index), np.array(values, dtype=object))
    assert list(backend_target) == list(expected)


@given(segments(arrays=2))
def test_products_are_sympys(data):
    (a, b), _ = data
    expected = [x * y for x, y in zip(a, b)]
    got = products(a, b)
    assert got == expected and all(type(g) is type(e) for g, e in zip(got, expected))
    assert list(ExactBackend().product(np.array(a, dtype=object), np.array(b, dtype=object))) == expected


@given(segments(arrays=2))
def test_quotients_are_sympys(data):
    (a, b), _ = data
    if any(v == 0 for v in b):
        assert quotients(a, b) is None  # SymPy's route keeps its zoo
        return
    expected = [x / y for x, y in zip(a, b)]
    got = quotients(a, b)
    assert got == expected and all(type(g) is type(e) for g, e in zip(got, expected))
    assert list(ExactBackend().quotient(np.array(a, dtype=object), np.array(b, dtype=object))) == expected


def test_anything_but_rationals_keeps_sympys_route():
    p = sp.Symbol("p")
    assert segment_sums([sp.Rational(1, 2), p], [0]) is None
    assert segment_dots([sp.Integer(1)], [sp.log(2)], [0]) is None
    assert segment_sums([sp.oo, sp.Integer(1)], [0]) is None
    assert scatter_sums([p], [0], [sp.Integer(1)]) is None
    assert quotients([sp.Integer(1)], [p]) is None
    assert products([p], [sp.Integer(2)]) is None
    assert list(ExactBackend().product(np.array([p], dtype=object), np.array([sp.Integer(2)], dtype=object))) == [2 * p]
    B = ExactBackend()
    out = B.segment_sum(np.array([p, sp.Integer(1)], dtype=object), [0])
    assert out[0] == p + 1


@pytest.mark.parametrize("bits", [64, 20_000])
def test_sums_of_float_sized_and_huge_rationals(bits):
    a = sp.Rational(2 ** bits - 1, 3 ** (bits // 2))
    b = sp.Rational(5, 2 ** bits + 7)
    assert segment_sums([a, b, -a], [0]) == [b]
    assert segment_dots([a, b], [1 / a, b], [0]) == [1 + b * b]


# ---------------------------------------------------------------- the zero test's shortcut

DELTA = sp.Symbol("delta", positive=True)
X = sp.Symbol("x", real=True)


_BINARY = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b}


@st.composite
def _trees(draw, leaves, unary, depth=3):
    """Expressions of ``depth`` levels over ``leaves`` (a strategy), the binary operations
    above and ``unary`` (name -> function of ``(a, b, draw)``)."""
    if depth == 0 or draw(st.booleans()):
        return draw(leaves)
    a = draw(_trees(leaves, unary, depth - 1))
    b = draw(_trees(leaves, unary, depth - 1))
    op = draw(st.sampled_from(sorted(_BINARY) + sorted(unary)))
    return _BINARY[op](a, b) if op in _BINARY else unary[op](a, b, draw)


def expressions():
    leaves = st.sampled_from([sp.Rational(3, 4), sp.Rational(-2, 5), sp.Integer(0), sp.Integer(2),
                              DELTA, X, 1 / DELTA, sp.Rational(1, 3), sp.I])
    return _trees(leaves, {"exp": lambda a, b, draw: sp.exp(a), "pow": lambda a, b, draw: sp.Pow(a, b)})


@settings(max_examples=300, derandomize=True, database=None)
@given(expressions())
def test_evidently_positive_is_sound(e):
    if not evidently_positive(e):
        return
    for d, x in ((sp.Rational(1, 7), sp.Integer(-3)), (sp.Integer(5), sp.Rational(1, 2)), (sp.Integer(1), sp.Integer(0))):
        v = e.subs({DELTA: d, X: x}).evalf(30)
        assert v.is_real and v > 0, (e, d, x, v)
    assert e.is_zero is not True


def test_evidently_positive_on_a_boltzmann_normaliser_of_float_derived_numbers():
    w = [sp.Rational(6090373016675017, 9007199254740992), sp.Rational(2916826238065975, 9007199254740992)]
    q = [sp.Rational(104159061700689, 873465165977072), sp.Rational(3, 4)]
    total = sum(p * qq ** (1 / DELTA) for p, qq in zip(w, q))
    assert evidently_positive(total) and total.is_zero is False
    assert not evidently_positive(total - 1) and not evidently_positive(X ** 2)


def algebraic_constants():
    """Sums, products and roots of small rationals: what a Boltzmann policy at a fractional
    temperature makes of a model's numbers, exact zeros included (x - x after rewriting)."""
    leaves = st.builds(sp.Rational, st.integers(-9, 9), st.integers(1, 9))
    return _trees(leaves, {
        "root": lambda a, b, draw: sp.Pow(abs(a), sp.Rational(draw(st.sampled_from([1, 3])), 2)),
        "zero": lambda a, b, draw: sp.expand(a * b) - a * b,  # zero, in a form SymPy may not reduce
    })


@settings(max_examples=300, derandomize=True, database=None)
@given(algebraic_constants())
def test_zero_test_by_intervals_is_sound(e):
    # ExactBackend._is_zero answers "not zero" for constants whose 30-digit enclosure
    # excludes 0 before SymPy's assumptions run; it must never say so of a zero
    from proofcheck.engine.backends.exact import _encloses_nonzero

    exact_zero = abs(sp.N(e, 60)) < sp.Float(10) ** -50  # a zero, to 60 digits (cheap; nsimplify is not)
    if _encloses_nonzero(e):
        assert not exact_zero, e


@given(st.lists(st.one_of(RATIONALS, st.sampled_from([sp.oo, sp.log(3) / 7, sp.Symbol("p")])), max_size=12))
def test_the_inlined_charge_of_an_array_is_the_sum_of_its_values_charges(values):
    from proofcheck.engine.backends.exact import _size_cost, _sizes_cost
    from proofcheck.exact.budget import int_op_cost

    assert _sizes_cost(values) == sum(_size_cost(v) for v in values)
    # and _size_cost is the budget's cost of a product of the rational's whole length
    for v in values:
        bits = int(v.p).bit_length() + int(v.q).bit_length() if v.is_Rational else 0
        assert _size_cost(v) == int_op_cost(bits, bits)
