"""Parametric verdicts: conditions checked by substitution on both sides of every boundary."""

import networkx as nx
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from proofcheck import load_case
from proofcheck.claims import run_claims
from proofcheck.exact.conditions import RELATIONS, conjunction, parametric_condition

R = sp.Rational
p = sp.Symbol("p", real=True)
RANGE = {p: (0, 1)}


def _probe_points(cond, lo=R(0), hi=R(1)):
    """Rationals on both sides of every boundary of the condition, plus a grid."""
    pts = {lo, hi} | {lo + (hi - lo) * R(k, 37) for k in range(38)}
    bounds = set()
    for piece in (cond.solution.args if isinstance(cond.solution, sp.Union) else (cond.solution,)):
        if isinstance(piece, sp.Interval):
            bounds |= {piece.start, piece.end}
        elif isinstance(piece, sp.FiniteSet):
            bounds |= set(piece)
    for b in bounds:
        for eps in (R(1, 10 ** 6), R(1, 10 ** 3)):
            approx = sp.Rational(sp.N(b, 40)) if not b.is_Rational else b
            pts |= {approx - eps, approx + eps}
        if b.is_Rational:
            pts.add(b)
    return sorted(t for t in pts if lo <= t <= hi)


def _check_against_substitution(f, relation, cond):
    holds = RELATIONS[relation]
    for t in _probe_points(cond):
        val = f.subs(p, t)
        if val.has(sp.zoo, sp.nan) or (val.is_number and not val.is_finite):
            continue  # a pole: excluded from the condition by construction
        expected = holds(sp.nsimplify(val) if val.is_Float else val)
        assert (cond.solution.contains(t) == sp.true) == bool(expected), (f, relation, t, val)


@pytest.mark.parametrize("f", [
    2 * p - 1,
    (p - R(1, 3)) * (p - R(3, 4)),
    (3 * p - 1) / (4 * p - 3),
    p ** 2 - R(1, 2),                       # irrational boundary sqrt(2)/2
    (p - R(1, 2)) ** 2,                      # touches zero without a sign change
    -(p ** 3) + 2 * p ** 2 - p + R(1, 10),
    p / (p + 1),
])
@pytest.mark.parametrize("relation", [">=", ">", "<=", "<", "==", "!="])
def test_conditions_match_substitution(f, relation):
    cond = parametric_condition(f, relation, 0, RANGE)
    assert cond.derived
    _check_against_substitution(f, relation, cond)
    if cond.witness_inside is not None:
        assert RELATIONS[relation](f.subs(p, cond.witness_inside))
    if cond.witness_outside is not None:
        assert not RELATIONS[relation](f.subs(p, cond.witness_outside))


def test_condition_texts():
    assert parametric_condition(2 * p - 1, ">=", 0, RANGE).text == "p >= 1/2 (on [0, 1])"
    assert parametric_condition(p, ">=", 0, RANGE).text == "all p in [0, 1]"
    assert parametric_condition(p + 1, "<", 0, RANGE).text == "never (on [0, 1])"
    c = parametric_condition((p - R(1, 3)) * (p - R(3, 4)), ">", 0, RANGE)
    assert c.text == "p < 1/3 or p > 3/4 (on [0, 1])"


def test_floats_are_their_binary_values_never_rounded():
    # nsimplify, used before, made Float(1e-40) zero: "> 0" came out false everywhere; and
    # the float 0.1 is 3602879701896397/2**55, not 1/10
    assert parametric_condition(sp.Float(1e-40), ">", 0, RANGE).text == "all p in [0, 1]"
    assert parametric_condition(sp.Float(1e-40), "==", 0, RANGE).text == "never (on [0, 1])"
    assert parametric_condition(sp.Float(0.1), "==", R(1, 10), RANGE).text == "never (on [0, 1])"
    assert parametric_condition(sp.Float(0.5), "==", R(1, 2), RANGE).text == "all p in [0, 1]"
    c = parametric_condition(p / 2, ">", sp.Float(2.0**-60), RANGE)
    assert c.text == "p > 1/576460752303423488 (on [0, 1])"  # 2 * 2**-60 = 2**-59
    assert c.statement == "p/2 > 8.67361737988404E-19"  # the statement as given (SymPy prints E)


def test_log_and_constant_factor_forms():
    # log(2p) >= 0  iff  2p >= 1 (where defined, p > 0)
    c = parametric_condition(sp.log(2 * p), ">=", 0, RANGE)
    assert c.text == "p >= 1/2 (on [0, 1])"
    # a common transcendental factor log(3/4) < 0 flips the sense
    c = parametric_condition(sp.log(R(3, 4)) * (p - R(1, 3)), ">=", 0, RANGE)
    assert c.text == "p <= 1/3 (on [0, 1])"


def test_not_derived_says_why():
    q = sp.Symbol("q", real=True)
    c = parametric_condition(p - q, ">=", 0, {p: (0, 1), q: (0, 1)})
    assert not c.derived and "several parameters" in c.reason
    c = parametric_condition(sp.log(p) + p, ">=", 0, RANGE)
    assert not c.derived and "not a rational function" in c.reason


def test_conjunction():
    a = parametric_condition(p, ">=", R(1, 4), RANGE)
    b = parametric_condition(p, "<", R(3, 4), RANGE)
    c = conjunction([a, b])
    assert c.text == "1/4 <= p < 3/4 (on [0, 1])"
    assert c.witness_outside is not None and not (R(1, 4) <= c.witness_outside < R(3, 4))


def _substituted(case, value):
    return case.mdp.substitute({"p": value})


def test_p52_condition_on_the_bundled_case_matches_substitution():
    case = load_case("cases/parametric_prior.toml")
    (res,) = run_claims(case.mdp, case.conventions, ["P5.2"])
    # P5.2 is existential: one parameter value where the model is a witness proves it
    assert res.summary.startswith("holds (existence): this model is a witness for 0 < p <= 3/4 (on [0, 1]), "
                                  "e.g. p = 3/32; not shown to be a witness for p = 0 or p > 3/4 (on [0, 1])")
    assert res.verdict.value == "holds"
    # both sides of both boundaries, on the substituted (non-parametric) model
    for value, inside in [(R(0), False), (R(1, 1000), True), (R(1, 2), True), (R(3, 4), True),
                          (R(3, 4) + R(1, 1000), False), (R(1), False)]:
        (r,) = run_claims(_substituted(case, value), case.conventions, ["P5.2"])
        assert (r.verdict.value == "holds") == inside, (value, r.summary)


def test_stochastic_lemma_c_condition_matches_substitution():
    G = nx.MultiDiGraph(initial="start", parameters={"p": (0, 1)})
    G.add_edge("start", "s1", key="a1", prior="1/2", prob="p")
    G.add_edge("start", "s2", key="a1", prob="1 - p")
    G.add_edge("start", "s1", key="a2", prior="1/2", prob="1/2")
    G.add_edge("start", "s2", key="a2", prob="1/2")
    G.nodes["s1"]["success"] = "1/3"
    G.nodes["s2"]["success"] = "2/3"
    from proofcheck.model.conventions import Conventions
    from proofcheck.model.mdp import from_graph
    m = from_graph(G)
    conv = Conventions(k_max=3)
    (res,) = run_claims(m, conv, ["T5.9.C"])
    assert res.verdict.value == "not-applicable"
    # the conclusion pi^F_k = pi_{alpha=k} holds exactly at p = 1/2 (a1 and a2 coincide)
    assert "[p = 1/2 (on [0, 1])]" in res.summary
    for value, holds in [(R(1, 2), True), (R(1, 2) - R(1, 1000), False), (R(1, 2) + R(1, 1000), False)]:
        (r,) = run_claims(m.substitute({"p": value}), conv, ["T5.9.C"])
        assert (r.counterexample is None) == holds, (value, r.summary)


def test_zero_tests_split_the_range():
    # J(prior) = -oo exactly when the chasm (success 0) is reachable, i.e. iff p < 1
    from proofcheck.claims._common import result
    from proofcheck.claims.parametric import run_parametric
    from proofcheck.claims.registry import Verdict
    from proofcheck.engine import additive_return
    from proofcheck.model.mdp import from_graph
    G = nx.MultiDiGraph(initial="s", parameters={"p": (0, 1)})
    G.add_edge("s", "gold", key="up", prior="p")
    G.add_edge("s", "chasm", key="down", prior="1 - p")
    G.nodes["chasm"]["success"] = 0
    m = from_graph(G)

    def check(mdp=m):
        J = additive_return(mdp)
        return result(Verdict.HOLDS if J == -sp.oo else Verdict.FAILS, f"J = {J}")

    res = run_parametric(check, m.parameters, at_point=lambda v: check(m.substitute({"p": v})))
    assert res.summary == "holds iff p < 1 (on [0, 1])"
    assert res.counterexample["p"] == 1
    for value, inside in [(R(0), True), (R(999, 1000), True), (R(1), False)]:
        assert (check(m.substitute({"p": value})).verdict.value == "holds") == inside


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(st.lists(st.integers(-30, 30), min_size=3, max_size=9).filter(lambda cs: cs[-1] != 0),
       st.fractions(-2, 1, max_denominator=5), st.fractions(0, 3, max_denominator=5))
def test_root_filter_never_hides_a_root(cs, lo, hi):
    """The Descartes filter that spares root isolation says "no root in (lo, hi)" only
    when SymPy finds none there."""
    from proofcheck.exact.conditions import _no_root_between

    lo, hi = sp.Rational(lo), sp.Rational(hi)
    if not lo < hi:
        return
    x = sp.Symbol("x")
    inside = [r for r in sp.Poly(list(reversed(cs)), x).real_roots() if lo < r < hi]
    if _no_root_between(cs, lo, hi):
        assert inside == []


def test_p55_is_not_applicable_where_the_parametric_prior_loses_full_support():
    """P5.5's hypothesis (a full-support prior) fails at p = 0 and p = 1: the parametric
    verdict names those points as not applicable, as the substituted models say."""
    from proofcheck.claims.registry import run_claim

    case = load_case("cases/parametric_prior.toml")
    (p,) = case.mdp.parameters
    res = run_claim("P5.5", case.mdp, case.conventions, "return")
    assert res.verdict.value == "holds"
    assert res.summary.startswith("holds for 0 < p < 1 (on [0, 1]); not applicable for p = 0 or p = 1")
    for value in (0, 1):
        at = run_claim("P5.5", case.mdp.substitute({p: value}), case.conventions, "return")
        assert at.verdict.value == "not-applicable" and "without full support" in at.summary
    inside = run_claim("P5.5", case.mdp.substitute({p: sp.Rational(1, 3)}), case.conventions, "return")
    assert inside.verdict.value == "holds"


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(-4, 4), min_size=2, max_size=4), st.lists(st.integers(-4, 4), min_size=1, max_size=3),
       st.sampled_from([sp.log(2), sp.log(R(3, 4)), 2 * sp.log(3) - 3 * sp.log(2), sp.log(5) + 1]),
       st.sampled_from([sp.Integer(1), sp.log(3), -sp.log(R(2, 7))]))
def test_sign_tables_with_constant_factors_match_sympys_route(num, den, a, b):
    # f = a P / (b Q): python-flint splits off the constants a, b (as_scaled_fraction);
    # the reference is the SymPy route (cancel, then one common constant per polynomial)
    import proofcheck.exact.conditions as conditions
    P = sum(c * p**i for i, c in enumerate(num))
    Q = sum(c * p**i for i, c in enumerate(den)) + 7
    if P == 0:
        return
    f = a * P / (b * Q)
    fast = conditions._sign_table.__wrapped__(f, p, R(0), R(1))
    original = conditions._scaled
    try:
        conditions._scaled = lambda f, x: None
        reference = conditions._sign_table.__wrapped__(f, p, R(0), R(1))
    finally:
        conditions._scaled = original
    assert fast == reference


def test_the_case_limit_says_which_budget_allows_more_cases():
    from proofcheck.claims._common import equal, result
    from proofcheck.claims.parametric import case_limit, run_parametric
    from proofcheck.claims.result import Verdict
    from proofcheck.errors import UndecidedError
    from proofcheck.exact.budget import DEFAULT_STEPS, budget_steps

    def check():  # three sign questions: seven cases on [0, 1]
        ok = all(equal(p, R(k, 4)) is False for k in (1, 2, 3))
        return result(Verdict.HOLDS if ok else Verdict.FAILS, "p is not a quarter")

    with pytest.raises(UndecidedError, match=r"more than 2 parametric cases.*--budget 4000000 allows 128 cases"):
        run_parametric(check, RANGE, max_cases=2)
    with budget_steps(3 * DEFAULT_STEPS):
        assert case_limit() == 192
        res = run_parametric(check, RANGE)
    assert res.summary.startswith("holds iff p < 1/4 or 1/4 < p < 1/2 or 1/2 < p < 3/4 or p > 3/4")


def test_a_sign_no_condition_gives_is_certified_at_an_algebraic_point_case():
    # p log 2 - log(3)/2 mixes two log constants: no exact condition on p is derived for its
    # sign, but in the case p = 1/sqrt(2) (a root of 2p^2 - 1) it is a number, enclosed by
    # intervals: 0.7071 * 0.6931 - 0.5493 = -0.0590 < 0 (mpmath below, an independent route)
    import mpmath

    from proofcheck.claims._common import result
    from proofcheck.claims.parametric import run_parametric
    from proofcheck.claims.result import Verdict
    from proofcheck.exact.sign import exact_sign

    form = p * sp.log(2) - sp.log(3) / 2
    assert mpmath.sqrt(0.5) * mpmath.log(2) - mpmath.log(3) / 2 < -0.05

    def check():
        if exact_sign(2 * p**2 - 1) != 0:
            return result(Verdict.HOLDS, "off the point")
        return result(Verdict.HOLDS if exact_sign(form) < 0 else Verdict.FAILS, "at the point")

    res = run_parametric(check, RANGE)
    assert res.verdict.value == "holds", res.summary
