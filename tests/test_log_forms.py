"""The exact zero test of parametric log forms, and the verdicts it decides.

Identities are built by expanding logarithms of products by hand (the two sides are
written differently on purpose); non-identities are confirmed non-zero by evaluating
them at a point with mpmath, an independent route.
"""

import mpmath
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from proofcheck import load_case
from proofcheck.claims import registry
from proofcheck.engine import boltzmann_policy
from proofcheck.engine.coherence import kl_causal
from proofcheck.exact.log_forms import log_form_is_zero

R = sp.Rational
p = sp.Symbol("p", real=True)
ZERO, ONE = sp.Integer(0), sp.Integer(1)
# factors positive on (0, 1): the logs below are real there
FACTORS = [p, 1 - p, p + 1, 2 - p, p**2 - p + 1, 3 * p**2 + 3 * p + 8, R(3, 2), R(5, 7)]


def _value(expr, at):
    return mpmath.mpf(sp.N(expr.subs(p, at), 40))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(FACTORS) - 1), st.integers(1, 3)), min_size=1, max_size=4),
       st.lists(st.tuples(st.integers(-3, 3), st.integers(0, 2)), min_size=1, max_size=3))
def test_log_of_a_product_equals_the_sum_of_logs(powers, coeffs):
    c = sum(R(a) * p**k for a, k in coeffs) or ONE
    product = sp.Mul(*[FACTORS[i] ** m for i, m in powers])
    expanded = sum(m * c * sp.log(FACTORS[i]) for i, m in powers)
    assert log_form_is_zero(c * sp.log(product) - expanded, p, ZERO, ONE) is True
    # one coefficient changed: not an identity, and mpmath sees a non-zero value
    i, m = powers[0]
    wrong = c * sp.log(product) - expanded + p * sp.log(FACTORS[i])
    if FACTORS[i] != 1:
        assert log_form_is_zero(wrong, p, ZERO, ONE) is False
        assert any(abs(_value(wrong, t)) > mpmath.mpf(10) ** -20 for t in (R(1, 3), R(2, 7)))


def test_constants_are_split_over_a_coprime_base():
    assert log_form_is_zero(p * sp.log(6 * p) - p * sp.log(2) - p * sp.log(3) - p * sp.log(p), p, ZERO, ONE) is True
    assert log_form_is_zero(p * sp.log(2) - p * sp.log(3), p, ZERO, ONE) is False
    # a rational part alone: an ordinary rational function
    assert log_form_is_zero((p**2 - 1) / (p - 1) - p - 1, p, ZERO, ONE) is True
    assert log_form_is_zero(sp.log(2) - R(1, 2), p, ZERO, ONE) is False


def test_arguments_must_be_positive_on_the_range():
    # p - 1/2 is negative on (0, 1/2): no claim about the real logarithm there
    assert log_form_is_zero(sp.log(p - R(1, 2)), p, ZERO, ONE) is None
    assert log_form_is_zero(sp.log(-p), p, ZERO, ONE) is None
    # a square is positive except at one point, and 2 log|p - 1/2| is its log
    assert log_form_is_zero(sp.log((p - R(1, 2)) ** 2) - sp.log(4 * (p - R(1, 2)) ** 2) + sp.log(4), p,
                            ZERO, ONE) is True
    assert log_form_is_zero(sp.log(p - R(1, 2)), p, R(1, 2), ONE) is not None


def test_other_forms_are_not_decided():
    assert log_form_is_zero(sp.log(p) ** 2, p, ZERO, ONE) is None
    assert log_form_is_zero(sp.sqrt(p) * sp.log(p), p, ZERO, ONE) is None
    assert log_form_is_zero(sp.log(sp.log(p + 2)), p, ZERO, ONE) is None
    assert log_form_is_zero(sp.log(p), p, ZERO, sp.oo) is None


ZERO_SUCCESS_LEAF = """
[case]
name = "zero_success_leaf"

[parameters]
p = { min = "0", max = "1" }

[mdp]
initial = "r"

[states.r.actions.L]
next = "s"
prior = "p"

[states.r.actions.R]
next = "c"
prior = "1 - p"

[states.s.actions.L]
next = "a"
prior = "p"

[states.s.actions.R]
next = "b"
prior = "1 - p"

[states.a]
success = "0"

[states.b]
success = "1/2"

[states.c]
success = "1"
"""


@pytest.fixture
def zero_success_leaf(tmp_path):
    path = tmp_path / "zero_success_leaf.toml"
    path.write_text(ZERO_SUCCESS_LEAF)
    return load_case(str(path))


def test_causal_kl_is_infinite_where_a_visited_state_has_an_infinite_term(zero_success_leaf):
    # s is visited with probability p; there the prior takes L (mass p) while the Boltzmann
    # policy of the prior never does (L reaches success 0): KL(s) = oo, so the sum is oo.
    # SymPy writes p * oo as a product; the sum was once reported finite-plus-"oo*p"
    m = zero_success_leaf.mdp
    assert kl_causal(m, m.prior_policy(), boltzmann_policy(m)) == sp.oo


def test_p47_holds_on_the_model_that_exposed_it(zero_success_leaf):
    # the trajectory KL (oo) and the causal KL must agree: before, the symbolic case 0 < p < 1
    # said "fails" and the substituted model said "holds", so the verdict was undecided
    c = zero_success_leaf
    r = registry.run_claim("P4.7", c.mdp, c.conventions)
    assert r.verdict.value == "holds", r.summary
    assert "for all p in [0, 1]" in r.summary


def test_an_infinite_value_weighted_by_a_parametric_probability_stays_infinite():
    # weights are probabilities or occupancies: p * oo is oo for p != 0 (SymPy keeps the product)
    from proofcheck.engine import get_backend
    B = get_backend("exact")
    got = B.weight(B.array([p, ZERO, R(1, 2)]), B.array([sp.oo, sp.oo, -sp.oo]))
    assert list(got) == [sp.oo, ZERO, -sp.oo]
    assert B.segment_sum(B.weight(B.array([p, 1 - p]), B.array([-sp.oo, sp.log(2)])), [0])[0] == -sp.oo
