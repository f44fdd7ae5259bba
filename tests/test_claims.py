"""Claim checks: verdicts on the paper's examples and on hand-built counterexamples."""

import networkx as nx
import pytest
import sympy as sp

import proofcheck as pc
from proofcheck.claims import Verdict, run_claims
from proofcheck.examples import mountain_race, mountain_race_graph, stochastic_counterexample
from proofcheck.model import Conventions

R = sp.Rational


def verdicts(mdp, conventions=None, ids=None):
    return {r.label: r for r in run_claims(mdp, conventions, ids)}


def one_step(prior_a, q_a, q_b):
    G = nx.MultiDiGraph(initial="s")
    G.add_edge("s", "x", key="a", prior=prior_a, q=q_a)
    G.add_edge("s", "y", key="b", prior=1 - prior_a, q=q_b)
    return pc.from_graph(G)


def test_mountain_race_verdicts():
    v = verdicts(mountain_race())
    for label in ("P4.2", "P4.3", "P4.7", "P4.8", "P4.10", "P5.2", "P5.4 [J]", "P5.4 [S]",
                  "T5.9.B", "T5.9.C"):
        assert v[label].verdict is Verdict.HOLDS, (label, v[label].summary)
    # as printed (pi^H_0 = p) the cumulative fold is one step behind: repaired by the index
    for label in ("T5.9", "T5.9.A"):
        assert v[label].verdict is Verdict.FAILS, (label, v[label].summary)
        assert v[label].repair_changes == {"h_indexing": "zero-is-first-conditioned"}
        assert v[label].summary.startswith("fails as printed; holds with h_indexing = "
                                           "zero-is-first-conditioned (the theorem's index is off by one")
        assert "as printed: fold_term = posterior, h_indexing = one-is-first-conditioned: k = 1" in v[label].summary
    # with the uniform prior the printed fold term is harmless; the summary names it
    assert v["T5.9.B"].summary.startswith("under fold_term = posterior: pi^G_k = pi^F_k for k = 1..10")
    assert v["P4.16"].verdict is Verdict.NOT_APPLICABLE  # choices at two steps
    # Example 1 is the paper's witness for P5.2: G(prior) puts 2/5 < 1/2 on the better action
    assert v["P5.2"].counterexample["state"] == "start"


def test_stochastic_counterexample_verdicts():
    v = verdicts(stochastic_counterexample())
    assert v["T5.9.B"].verdict is Verdict.HOLDS
    c = v["T5.9.C"]
    assert c.verdict is Verdict.NOT_APPLICABLE
    assert (c.counterexample["k"], c.counterexample["pi^F_k"], c.counterexample["pi_alpha=k"]) == (2, R(25, 61), R(7, 17))
    # the global posterior also conditions the environment: a1 -> s2 has 1/4*2/3 / (1/2 ... )
    p43 = v["P4.3"]
    assert p43.verdict is Verdict.NOT_APPLICABLE and "differ" in p43.summary
    # P4.16 as printed fails with stochastic outcomes: soft Q is log E exp, not E log
    assert v["P4.16"].verdict is Verdict.FAILS
    assert v["P4.16"].counterexample["Boltzmann-coherent"] == R(5, 11)


def test_p416_holds_with_uniform_prior_and_fails_otherwise():
    assert verdicts(one_step(R(1, 2), R(1), R(1, 2)), ids=["P4.16"])["P4.16"].verdict is Verdict.HOLDS
    bad = verdicts(one_step(R(1, 4), R(1), R(1, 2)), ids=["P4.16"])["P4.16"]
    assert bad.verdict is Verdict.FAILS
    # Boltzmann-coherent ∝ q = (1, 1/2) -> 2/3; the maximiser ∝ p q = (1/4, 3/8) -> 2/5
    assert bad.counterexample["Boltzmann-coherent"] == R(2, 3)
    assert bad.counterexample["maximiser p exp(r)/Z"] == R(2, 5)


def test_printed_fold_term_fails_lemma_b_with_nonuniform_prior():
    G = mountain_race_graph()
    G.edges["start", "mountain", "up"]["prior"] = "1/4"
    G.edges["start", "forest", "down"]["prior"] = "3/4"
    m = pc.from_graph(G)
    printed = Conventions(fold_term="posterior")
    b = verdicts(m, printed, ["T5.9.B"])["T5.9.B"]
    assert b.verdict is Verdict.FAILS
    assert b.counterexample["k"] == 2 and b.counterexample["state"] == "start"
    assert verdicts(m, Conventions(fold_term="ratio"), ["T5.9.B"])["T5.9.B"].verdict is Verdict.HOLDS
    # with the uniform prior both fold terms agree (spec section 5)
    assert verdicts(mountain_race(), printed, ["T5.9.B"])["T5.9.B"].verdict is Verdict.HOLDS


def test_h_indexing_decides_lemma_a():
    m = mountain_race()
    ok = verdicts(m, Conventions(h_indexing="zero-is-first-conditioned"), ["T5.9.A"])["T5.9.A"]
    assert ok.verdict is Verdict.HOLDS
    off = verdicts(m, Conventions(h_indexing="one-is-first-conditioned"), ["T5.9.A"])["T5.9.A"]
    assert off.verdict is Verdict.FAILS
    # k in N+: pi_{alpha=2} but pi^H_1 = h_1 = G(p) under this indexing: 8/17 vs 2/5 at the start
    assert off.counterexample["k"] == 1
    assert off.counterexample["pi_alpha=2^k"] == R(8, 17) and off.counterexample["pi^H_k"] == R(2, 5)


def test_p52_not_witnessed_when_conditioned_policy_is_coherent():
    r = verdicts(stochastic_counterexample(), ids=["P5.2"])["P5.2"]
    # T = 1: G(prior) ∝ p Zq and p is uniform, so it is Boltzmann-coherent at delta = 1
    assert r.verdict is Verdict.UNDECIDED and "delta = 1" in r.summary


def test_verdict_records_conventions_and_objective():
    rs = run_claims(mountain_race(), Conventions(objectives=("success",)), ["P5.4"])
    assert [r.label for r in rs] == ["P5.4 [S]"]
    d = rs[0].as_dict()
    assert d["objective"] == "success" and d["conventions"]["fold_term"] == "posterior"
    assert d["conventions"]["h_indexing"] == "one-is-first-conditioned"
    assert d["scope"] == "checked for i = 0..9 (exact comparisons)"
    assert d["repair"] is None and d["repair_changes"] is None  # it holds: nothing to repair


def test_defaults_are_the_printed_definitions():
    c = Conventions()
    assert (c.fold_term, c.h_indexing) == ("posterior", "one-is-first-conditioned")
    # and every verdict of a claim they affect names them
    d = run_claims(mountain_race(), ids=["T5.9.C"])[0].as_dict()
    assert d["summary"].startswith("under fold_term = posterior:")


def test_p410_bound_is_tight_on_mountain_race():
    r = verdicts(mountain_race(), ids=["P4.10"])["P4.10"]
    rows = {row["quantity"]: row["first coherent iterate"] for row in r.evidence}
    assert rows["boltzmann(delta=1) from prior"] == 2  # = T


@pytest.mark.parametrize("cid", ["T5.9", "T5.9.A"])
def test_t59_under_one_is_prior_is_checked_on_k_at_least_one(cid):
    # T5.9 is stated for k in N+: pi^H_0 (undefined under one-is-prior) is never needed
    for k_max in (1, 10):
        r = verdicts(mountain_race(), Conventions(h_indexing="one-is-prior", k_max=k_max), [cid])[cid]
        assert r.verdict is Verdict.FAILS, r.summary  # pi^H_1 = p, two steps behind pi_2
        assert r.counterexample["k"] == 1 and r.scope.startswith("k = 1..")
        assert r.repair_changes == {"h_indexing": "zero-is-first-conditioned"}
    r = verdicts(mountain_race(), Conventions(h_indexing="zero-is-first-conditioned"), [cid])[cid]
    assert r.verdict is Verdict.HOLDS and r.scope == "k = 1..3"


def test_float_inputs_are_computed_exactly_for_their_binary_values():
    G = mountain_race_graph()
    G.edges["start", "mountain", "up"]["prior"] = 0.1 + 0.2  # 0.30000000000000004
    G.edges["start", "forest", "down"]["prior"] = 0.7
    m = pc.from_graph(G)
    assert not m.exact  # still reported as float input
    assert m.prior[m.pair("start", "up")] == R(0.1 + 0.2)  # the double's exact value
    v = verdicts(m, Conventions(fold_term="ratio"), ids=["P4.2", "P4.3", "T5.9.B"])
    # before, rounding in Float arithmetic made the two routes of P4.3 disagree
    assert all(r.verdict is Verdict.HOLDS for r in v.values()), {k: r.summary for k, r in v.items()}
