"""Verdicts a researcher can quote: D.1 on the appendix-D example, degenerate objectives
(not-applicable, never a vacuous fails), and C5.10's vacuous-statement wording."""

from pathlib import Path

import pytest
import sympy as sp

import proofcheck as pc
from proofcheck.claims import CLAIMS, Verdict, run_claims
from proofcheck.claims.limits import (
    appendix_d_example,
    best_continuation,
    continuation_values,
    degenerate_objective,
    is_policy_stable,
    stability_violations,
    stable_policy_at,
)
from proofcheck.engine import goal_condition, soft_values
from proofcheck.errors import ModelError
from proofcheck.examples import mountain_race, stochastic_counterexample

R = sp.Rational
ROOT = Path(__file__).resolve().parents[1]
LIMIT_OBJECTIVE_CLAIMS = sorted(cid for cid, c in CLAIMS.items()
                                if c.uses_objective and c.check.__module__ == "proofcheck.claims.limits")


def _by_label(results):
    return {r.label: r for r in results}


# ----------------------------------------------------------------- D.1, policy stability

def test_continuation_values_by_hand():
    m = appendix_d_example()
    # W_0 is Zq of the prior: s1 -> 1/2 (the chain), s1' -> (2/3)(1) + (1/3)(0) = 2/3
    sv = soft_values(m)
    assert list(continuation_values(m, 0)) == list(sv.zq)
    W = {n: continuation_values(m, n) for n in (0, 1, 2, 3)}
    a, b = m.pair("s0", "s1"), m.pair("s0", "s1'")
    assert [W[n][a] for n in range(4)] == [R(1, 2)] * 4  # no choices on the chain
    # one further action from s1' is forced (to s2'), the prior then mixes: 2/3; two reach s3'
    assert [W[n][b] for n in range(4)] == [R(2, 3), R(2, 3), 1, 1]
    assert best_continuation(m, "s0", "s1'", 2) == (1, (("s1'", "s2'"), ("s2'", "s3'")))
    # the episode ends after two more actions: a longer budget plays out the same sequence
    assert best_continuation(m, "s0", "s1'", 5)[1] == (("s1'", "s2'"), ("s2'", "s3'"))


def test_stability_by_hand():
    m = appendix_d_example()
    g = goal_condition(m)  # uniform root prior: (1/2 * 1/2, 1/2 * 2/3) -> (3/7, 4/7)
    assert (g.prob("s0", "s1"), g.prob("s0", "s1'")) == (R(3, 7), R(4, 7))
    assert is_policy_stable(m, g, 1, "s0") and is_policy_stable(m, g, 2, "s0")
    prefers_chain = m.policy({"s0": {"s1": R(2, 3), "s1'": R(1, 3)}, "s1": {"s2": 1}, "s2": {"s3": 1},
                              "s1'": {"s2'": 1}, "s2'": {"s3'": 1}})
    for n in (1, 2):
        (v,) = stability_violations(m, prefers_chain, n, "s0")
        assert (v["better"], v["worse"]) == ("s1'", "s1")
    # at s2' the best continuation of s3' and s3'' is empty: W_n = success, 1 > 0
    assert not is_policy_stable(m, m.policy({"s2'": {"s3''": 1}}), 1, "s2'")
    with pytest.raises(ModelError, match="deterministic"):
        continuation_values(stochastic_counterexample(), 1)


def test_d1_fails_as_printed_with_evidence_and_repair():
    (r,) = run_claims(appendix_d_example(), ids=["D.1"])
    assert r.verdict is Verdict.FAILS
    assert r.summary.startswith("not mutually exclusive on these numbers: the model's own G(p) = "
                                "{s1: 3/7, s1': 4/7} is both 1- and 2-stable at s0")
    assert "W_1 = (1/2, 2/3) favours s1'" in r.summary and "W_2 = (1/2, 1) favours s1'" in r.summary
    rows = {e["quantity"]: e for e in r.evidence}
    assert rows["root s0, action s1"]["W_1"] == "1/2" and rows["root s0, action s1'"]["W_2"] == "1"
    assert rows["root s0, action s1'"]["best c (n=2)"] == "s2' -> s3'"
    assert rows["1-policy-stability at s0 requires"]["value"] == "pi(s1') > pi(s1)"
    assert rows["2-policy-stability at s0 requires"]["value"] == "pi(s1') > pi(s1)"
    printed = next(e for q, e in rows.items() if q.startswith("printed text"))
    assert printed["equal"] is False and "W_1 favours s1'" in printed["value"]
    repair = next(e for q, e in rows.items() if q.startswith("smallest single-number repair"))
    assert "just over 1/6" in [q for q in rows if q.startswith("smallest")][0]
    assert "raise P(R | s3) from 1/2 to any value in (2/3, 1)" in repair["value"]
    assert "lower the prior of s3' at s2' from 2/3 to below 1/2" in repair["value"]
    assert "smallest repair: raise P(R | s3)" in r.summary
    assert r.counterexample["policy at root"] == {"s1": R(3, 7), "s1'": R(4, 7)}


@pytest.mark.parametrize("numbers", [{"success_s3": "3/4"}, {"prior_s3p": "1/3"},
                                     {"success_s3": "7/10"}, {"prior_s3p": "49/100"}])
def test_d1_holds_after_the_smallest_repairs(numbers):
    m = appendix_d_example(**numbers)
    (r,) = run_claims(m, ids=["D.1"])
    assert r.verdict is Verdict.HOLDS, r.summary
    assert "1-stability needs pi(s1) > pi(s1'), 2-stability needs pi(s1') > pi(s1)" in r.summary
    assert stable_policy_at(m, "s0") is None
    # the model's own G(p) is exactly one of the two
    g = goal_condition(m)
    assert is_policy_stable(m, g, 1, "s0") != is_policy_stable(m, g, 2, "s0")


@pytest.mark.parametrize("numbers", [{"success_s3": "2/3"}, {"prior_s3p": "1/2"}, {"success_s3": "1"}])
def test_d1_boundaries_of_the_repair_still_fail(numbers):
    # ties (W_1 or W_2 equal) leave room for a policy that is both: the conditions are strict
    m = appendix_d_example(**numbers)
    (r,) = run_claims(m, ids=["D.1"])
    assert r.verdict is Verdict.FAILS
    pol, prior = stable_policy_at(m, "s0")
    # the witness is realised by G(p) with the returned root prior
    m2 = appendix_d_example(**numbers, prior_root=(str(prior["s1"]), str(prior["s1'"])))
    g = goal_condition(m2)
    assert (g.prob("s0", "s1"), g.prob("s0", "s1'")) == (pol["s1"], pol["s1'"])
    assert is_policy_stable(m2, g, 1, "s0") and is_policy_stable(m2, g, 2, "s0")


def test_d1_not_applicable_off_the_example():
    res = _by_label(run_claims(mountain_race(), ids=["D.1"]))
    r = res["D.1"]
    assert r.verdict is Verdict.NOT_APPLICABLE and "not the appendix-D example" in r.summary
    assert any(e["quantity"].startswith("a control-as-inference policy both") for e in r.evidence)


def test_appendix_d_case_file_is_the_example():
    case = pc.load_case(ROOT / "cases" / "appendix_d.toml")
    m, e = case.mdp, appendix_d_example()
    assert m.states == e.states and m.pair_action == e.pair_action
    for attr in ("prior", "likelihood", "success", "edge_prob"):
        assert list(getattr(m, attr)) == list(getattr(e, attr)), attr
    expected = dict((q.text, v) for q, v in case.expectations)
    assert expected["verdict(D.1)"] == "fails"


# ----------------------------------------------------------------- degenerate objectives

J_DEAD = '''[mdp]
initial = "s0"
[states.s0.actions.a0]
next = "s1"
prior = "1/2"
[states.s0.actions.a1]
next = { s1 = "1/2", s2 = "1/2" }
prior = "1/2"
[states.s1.actions.a0]
next = "s3"
prior = "1"
[states.s2]
success = "1"
[states.s3]
success = "0"
'''

ALL_DEAD = '''[mdp]
initial = "s0"
[states.s0.actions.a]
next = "t1"
prior = "1/2"
[states.s0.actions.b]
next = "t2"
prior = "1/2"
[states.t1]
success = "0"
[states.t2]
success = "0"
'''

J_REASON = "J = -inf for every policy: the objective is degenerate on this model"
S_REASON = "S = 0 for every policy: the objective is degenerate on this model"


def test_the_limit_claims_that_use_an_objective():
    assert LIMIT_OBJECTIVE_CLAIMS == ["C4.14", "C4.15", "P5.5"]


def test_degenerate_objective_by_hand():
    m = pc.loads_case(J_DEAD).mdp  # every policy reaches s1 w.p. >= 1/2, then q = 0 at s3
    assert degenerate_objective(m, "return") == J_REASON
    assert degenerate_objective(m, "success") is None  # a1 then s2: S = 1/2
    dead = pc.loads_case(ALL_DEAD).mdp
    assert degenerate_objective(dead, "return") == J_REASON
    assert degenerate_objective(dead, "success") == S_REASON
    assert degenerate_objective(mountain_race(), "return") is None


@pytest.mark.parametrize("cid", ["C4.14", "C4.15", "P5.5"])
def test_j_minus_infinity_everywhere_is_not_applicable(cid):
    res = _by_label(run_claims(pc.loads_case(J_DEAD), ids=[cid]))
    r = res[f"{cid} [J]"]
    assert r.verdict is Verdict.NOT_APPLICABLE
    assert r.summary.startswith(J_REASON)
    assert r.objective == "return"
    # the check still ran; its outcome is evidence, labelled as not a verdict
    assert "not a verdict" in r.evidence[0]["quantity"]
    # S is not degenerate on this model (S* = 1/2): a real verdict
    assert res[f"{cid} [S]"].verdict is Verdict.HOLDS


def test_c415_j_was_a_vacuous_fails_before():
    # the evaluated check would say "fails" here (every policy is J-optimal, some has
    # infinite limit incoherence); now it is evidence, not the verdict
    (rj, _) = run_claims(pc.loads_case(J_DEAD), ids=["C4.15"])
    assert rj.verdict is Verdict.NOT_APPLICABLE
    assert rj.evidence[0]["value"].startswith("fails: necessity fails")


@pytest.mark.parametrize("cid", ["C4.14", "C4.15", "P5.5"])
def test_s_zero_everywhere_is_not_applicable(cid):
    res = _by_label(run_claims(pc.loads_case(ALL_DEAD), ids=[cid]))
    assert res[f"{cid} [S]"].verdict is Verdict.NOT_APPLICABLE
    assert res[f"{cid} [S]"].summary.startswith(S_REASON)
    assert res[f"{cid} [J]"].verdict is Verdict.NOT_APPLICABLE
    assert res[f"{cid} [J]"].summary.startswith(J_REASON)


def test_nondegenerate_objectives_keep_their_verdicts():
    res = _by_label(run_claims(mountain_race(), ids=LIMIT_OBJECTIVE_CLAIMS))
    assert all(r.verdict is Verdict.HOLDS for r in res.values())


# ----------------------------------------------------------------- C5.10 wording

def test_c510_verdict_says_which_part_fails_and_which_holds_vacuously():
    (r,) = run_claims(mountain_race(), ids=["C5.10"])
    assert r.verdict is Verdict.FAILS
    assert r.summary.startswith("stated consequence fails (gains shrink geometrically, not like 1/k); "
                                "printed expansion holds only vacuously (both sides exponentially small")
    rows = {e["quantity"]: e for e in r.evidence}
    printed = next(e for q, e in rows.items() if q.startswith("printed expansion"))
    consequence = next(e for q, e in rows.items() if q.startswith("stated consequence"))
    assert printed["equal"] is True and consequence["equal"] is False
    assert "shrink like 1/k" in CLAIMS["C5.10"].statement


def test_c510_vacuous_wording_on_the_fuzzer_model():
    # cases/found/C5.10-any-seed1.toml: three actions, successes 1, 1, 1/2 (rate 1/2)
    case = pc.loads_case('[mdp]\ninitial = "s0"\n'
                         + "".join(f'[states.s0.actions.a{i}]\nnext = "s{i + 1}"\nprior = "1/3"\n' for i in range(3))
                         + '[states.s1]\nsuccess = "1"\n[states.s2]\nsuccess = "1"\n[states.s3]\nsuccess = "1/2"\n')
    (r,) = run_claims(case, ids=["C5.10"])
    assert r.verdict is Verdict.FAILS
    assert "printed expansion holds only vacuously" in r.summary
    assert r.counterexample["Delta J_{k+1}/Delta J_k"].startswith("0.5")
