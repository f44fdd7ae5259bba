"""The paper as printed, then the repair: verdicts a researcher can quote.

Defaults are the printed definitions; a claim that fails under them names the smallest
documented change under which it holds (proofcheck/claims/repair.py).
"""

import json
import re
import warnings
from pathlib import Path

import networkx as nx
import pytest
import sympy as sp

import proofcheck as pc
from proofcheck import load_case
from proofcheck.claims import Verdict, run_claim, run_claims
from proofcheck.claims._common import coprime_base, equal, log_linear_zero
from proofcheck.claims.repair import find_repair, with_uniform_prior
from proofcheck.claims.result import ClaimResult
from proofcheck.cli import main
from proofcheck.examples import mountain_race_graph, stochastic_counterexample
from proofcheck.model import Conventions, UnreachableStateWarning

ROOT = Path(__file__).resolve().parents[1]
R = sp.Rational


def mountain_race_08_02(tmp_path):
    """cases/mountain_race.toml with prior 0.8 (up) / 0.2 (down) at every state and the
    default conventions (its [conventions] and [expect] tables dropped)."""
    text = (ROOT / "cases" / "mountain_race.toml").read_text()
    text, n_up = re.subn(r'(\[states\.\w+\.actions\.up\]\nnext = "\w+"\nprior = )"1/2"', r'\1"0.8"', text)
    text, n_down = re.subn(r'(\[states\.\w+\.actions\.down\]\nnext = "\w+"\nprior = )"1/2"', r'\1"0.2"', text)
    assert n_up == n_down == 3
    text = re.sub(r"\[conventions\]\n(?:[^\[\n].*\n)*", "", text)
    text = text[: text.index("[expect]")]
    assert "[conventions]" not in text and "fold_term" not in text
    path = tmp_path / "mountain_race_08_02.toml"
    path.write_text(text)
    return path


def _verify_json(capsys, path, *claims):
    args = ["verify", str(path), "--json"] + [a for c in claims for a in ("--claim", c)]
    assert main(args) == 0
    (entry,) = json.loads(capsys.readouterr().out)["cases"]
    case = entry["verify"]
    return case, {r["label"]: r for r in case["claims"]}


# ----------------------------------------------------------------- done-when: the mountain race

def test_mountain_race_08_02_fails_as_printed_and_names_the_repairs(tmp_path, capsys):
    path = mountain_race_08_02(tmp_path)
    case, v = _verify_json(capsys, path, "T5.9", "T5.9.A", "T5.9.B")
    assert case["conventions"]["fold_term"] == "posterior"
    assert case["conventions"]["h_indexing"] == "one-is-first-conditioned"
    for label in ("T5.9", "T5.9.A"):
        r = v[label]
        assert r["verdict"] == "fails"
        # the printed fold term and the printed index are both off here: both are named
        assert r["repair_changes"] == {"fold_term": "ratio", "h_indexing": "zero-is-first-conditioned"}
        assert r["summary"].startswith("fails as printed; holds with fold_term = ratio and "
                                       "h_indexing = zero-is-first-conditioned (")
        assert "the theorem's index is off by one" in r["repair"]
        assert "as printed: fold_term = posterior, h_indexing = one-is-first-conditioned" in r["summary"]
    b = v["T5.9.B"]
    assert b["verdict"] == "fails"
    assert b["repair_changes"] == {"fold_term": "ratio"}
    assert b["summary"].startswith("fails as printed; holds with fold_term = ratio (the corrected fold term")
    assert "as printed: fold_term = posterior" in b["summary"]
    # the hypothesis is reported about another model, and said to be
    assert ("uniform prior (this model's is not; on the same graph with a uniform prior the claim "
            "holds as printed)") in b["repair"]

    # the text output shows the repairing convention within the clipped verdict line
    assert main(["verify", str(path), "--claim", "T5.9", "--claim", "T5.9.A", "--claim", "T5.9.B"]) == 0
    out = capsys.readouterr().out
    lines = {ln.split()[0]: ln for ln in out.splitlines() if ln.strip().startswith("T5.9")}
    for label in ("T5.9", "T5.9.A"):
        assert "FAILS      fails as printed; holds with fold_term = ratio and h_indexing = zero-is-first-conditioned" \
            in lines[label]
    assert "FAILS      fails as printed; holds with fold_term = ratio (" in lines["T5.9.B"]


def test_mountain_race_08_02_holds_under_the_named_repairs(tmp_path):
    case = load_case(mountain_race_08_02(tmp_path))
    fixed = Conventions(fold_term="ratio", h_indexing="zero-is-first-conditioned")
    v = {r.label: r for r in run_claims(case.mdp, fixed, ["T5.9", "T5.9.A", "T5.9.B", "T5.9.C"])}
    assert all(r.verdict is Verdict.HOLDS for r in v.values()), {k: r.summary for k, r in v.items()}
    assert v["T5.9"].summary == ("under fold_term = ratio, h_indexing = zero-is-first-conditioned: "
                                 "all four policies coincide for k = 1..3")
    # each single change alone is not enough for T5.9 (the search reports the smallest *pair*)
    for one in (Conventions(fold_term="ratio"), Conventions(h_indexing="zero-is-first-conditioned")):
        assert run_claim("T5.9", case.mdp, one, repair=False).verdict is Verdict.FAILS


def test_repair_search_can_be_skipped(tmp_path):
    case = load_case(mountain_race_08_02(tmp_path))
    r = run_claim("T5.9.B", case.mdp, None, repair=False)
    assert r.verdict is Verdict.FAILS and r.repair is None and r.repair_changes is None
    assert r.summary.startswith("under fold_term = posterior: k = 2")


# ----------------------------------------------------------------- the generic search

def _fake(holds_when):
    def run(mdp, conv, objective):
        ok = holds_when(conv, objective)
        return ClaimResult("X", "", "", Verdict.HOLDS if ok else Verdict.FAILS, "")
    return run


def test_search_reports_all_smallest_changes_and_nothing_larger():
    m = pc.examples.mountain_race()
    calls = []

    def run(mdp, conv, objective):
        calls.append((conv.fold_term, conv.h_indexing, conv.impossible))
        ok = conv.h_indexing != "one-is-first-conditioned"
        return ClaimResult("X", "", "", Verdict.HOLDS if ok else Verdict.FAILS, "")

    rep = find_repair(run, m, Conventions(), None, ("fold_term", "h_indexing", "impossible"))
    assert rep.changes == [{"h_indexing": "zero-is-first-conditioned"}, {"h_indexing": "one-is-prior"}]
    assert rep.text.startswith("holds with h_indexing = zero-is-first-conditioned (the theorem's index "
                               "is off by one: pi^H_k is the (k+1)-th conditioned policy); or with "
                               "h_indexing = one-is-prior")
    assert len(calls) == 4  # the single changes only: a smallest repair stops the search


def test_search_over_the_objective_and_when_nothing_repairs():
    m = pc.examples.mountain_race()
    rep = find_repair(_fake(lambda c, o: o == "success"), m, Conventions(), "return", ("objective", "impossible"))
    assert rep.changes == [{"objective": "success"}]
    assert rep.text == "holds with objective S (judged by the success probability S)"
    none = find_repair(_fake(lambda c, o: False), m, Conventions(), None, ("fold_term", "impossible"))
    assert none.changes == [] and none.text == "no change of fold_term, impossible makes it hold on this model"


def test_hypotheses_are_reported_not_assumed():
    sc = stochastic_counterexample()
    rep = find_repair(_fake(lambda c, o: False), sc, Conventions(), None, ("deterministic dynamics",))
    assert rep.changes == []
    assert rep.text == ("candidate hypothesis this model does not meet: deterministic dynamics (this model's are "
                        "stochastic; no deterministic variant is tested)")


def test_uniform_prior_variant_is_the_same_graph():
    G = mountain_race_graph()
    G.edges["start", "mountain", "up"]["prior"] = "1/4"
    G.edges["start", "forest", "down"]["prior"] = "3/4"
    m = pc.from_graph(G)
    u = with_uniform_prior(m)
    assert u.states == m.states and list(u.likelihood) == list(m.likelihood)
    assert list(u.success) == list(m.success) and list(u.edge_prob) == list(m.edge_prob)
    assert all(x == R(1, 2) for x in u.prior)


def test_uniform_prior_variant_does_not_warn_again_of_the_models_unreachable_states():
    G = mountain_race_graph()
    G.add_edge("island", "gold", key="swim", prior="1")
    with pytest.warns(UnreachableStateWarning, match="'island'"):  # once, for the user's model
        m = pc.from_graph(G)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the repair's variant has the same states: no second warning
        u = with_uniform_prior(m)
    assert "island" in u.index


def test_p54_j_fails_under_stochastic_dynamics_and_names_s():
    path = ROOT / "cases" / "found" / "P5.4-J-any-seed2.toml"
    if not path.exists():
        pytest.skip("found case not present")
    case = load_case(path)
    (r,) = [x for x in run_claims(case.mdp, case.conventions, ["P5.4"]) if x.objective == "return"]
    assert r.verdict is Verdict.FAILS
    assert r.repair_changes == {"objective": "success"}
    assert "deterministic dynamics (this model's are stochastic" in r.repair


# ----------------------------------------------------------------- misleading verdicts, fixed

def test_p52_parametric_existence_holds_with_region_and_witness():
    case = load_case(ROOT / "cases" / "parametric_prior.toml")
    (res,) = run_claims(case.mdp, case.conventions, ["P5.2"])
    assert res.verdict is Verdict.HOLDS
    assert res.summary.startswith("holds (existence): this model is a witness for 0 < p <= 3/4 (on [0, 1]), e.g. p = ")
    assert "not shown to be a witness for p = 0 or p > 3/4" in res.summary
    w = res.counterexample["p"]
    assert res.counterexample["witness region"] == "0 < p <= 3/4 (on [0, 1])"
    assert w.is_Rational and 0 < w <= R(3, 4)
    (at,) = run_claims(case.mdp.substitute({"p": w}), case.conventions, ["P5.2"])
    assert at.verdict is Verdict.HOLDS  # the witness value is a witness


def test_p52_is_still_undecided_on_a_single_model_that_is_no_witness():
    (r,) = run_claims(stochastic_counterexample(), ids=["P5.2"])
    assert r.verdict is Verdict.UNDECIDED


def _one_step(prior_a, sa, sb, trailing, stochastic=False):
    """One decision at s; success on the leaves, or as the likelihood of a trailing forced step."""
    G = nx.MultiDiGraph(initial="s")
    if stochastic:  # a reaches x or y
        G.add_edge("s", "x", key="a", prior=prior_a, prob=R(3, 4))
        G.add_edge("s", "y", key="a", prob=R(1, 4))
    else:
        G.add_edge("s", "x", key="a", prior=prior_a)
    G.add_edge("s", "y", key="b", prior=1 - prior_a)
    for node, succ in (("x", sa), ("y", sb)):
        if trailing:
            G.add_edge(node, node + "_end", key="go", prior=1, q=succ)
        else:
            G.nodes[node]["success"] = succ
    return pc.from_graph(G)


@pytest.mark.parametrize("prior_a,sa,sb,stochastic,expected", [
    (R(1, 2), R(1), R(1, 2), False, Verdict.HOLDS),
    (R(1, 4), R(1), R(1, 2), False, Verdict.FAILS),   # Boltzmann coherence ignores the prior
    (R(1, 4), R(1), R(0), False, Verdict.HOLDS),
    (R(1, 2), R(1, 3), R(2, 3), True, Verdict.FAILS),  # log E exp vs E log
])
def test_p416_verdict_does_not_depend_on_the_success_encoding(prior_a, sa, sb, stochastic, expected):
    leaves = run_claim("P4.16", _one_step(prior_a, sa, sb, False, stochastic), None)
    trail = run_claim("P4.16", _one_step(prior_a, sa, sb, True, stochastic), None)
    assert _one_step(prior_a, sa, sb, True, stochastic).horizon == 2
    assert leaves.verdict is trail.verdict is expected, (leaves.summary, trail.summary)
    if expected is Verdict.FAILS:
        assert leaves.counterexample["Boltzmann-coherent"] == trail.counterexample["Boltzmann-coherent"]
        assert leaves.counterexample["maximiser p exp(r)/Z"] == trail.counterexample["maximiser p exp(r)/Z"]
        assert leaves.repair == trail.repair


def test_p416_names_the_uniform_prior_hypothesis_honestly():
    r = run_claim("P4.16", _one_step(R(1, 4), R(1), R(1, 2), False), None)
    assert r.verdict is Verdict.FAILS and r.repair_changes is None
    assert r.summary.startswith("fails as printed; candidate hypothesis this model does not meet: uniform prior "
                                "(this model's is not; on the same graph with a uniform prior the claim "
                                "holds as printed)")


def test_p416_still_not_applicable_with_choices_at_two_steps():
    assert run_claim("P4.16", pc.examples.mountain_race(), None).verdict is Verdict.NOT_APPLICABLE


def _float_mountain_race():
    G = mountain_race_graph()
    G.edges["start", "mountain", "up"]["prior"] = 0.6
    G.edges["start", "forest", "down"]["prior"] = 1 - 0.6  # exact: the priors sum to 1
    G.edges["mountain", "gold", "up"]["prior"] = 0.9
    G.edges["mountain", "chasm", "down"]["prior"] = 1 - 0.9
    G.nodes["chasm"]["success"] = 0.1
    G.nodes["silver_up"]["success"] = 0.7
    G.edges["forest", "silver_down", "down"]["q"] = 0.3
    return pc.from_graph(G)


def test_p47_decides_float_derived_numbers():
    m = _float_mountain_race()
    assert not m.exact
    r = run_claim("P4.7", m, None)
    # numerators beyond 10^40 used to stop the exact zero test: undecided
    assert r.verdict is Verdict.HOLDS, r.summary


def test_log_linear_zero_test_needs_no_factorisation():
    big = 2 ** 127 - 1  # a Mersenne prime
    other = 10 ** 60 + 7
    e = 3 * sp.log(R(big * other, 5)) - sp.log(R(big ** 3, 125)) - 3 * sp.log(other)
    assert log_linear_zero(e) is True
    assert log_linear_zero(e + sp.log(R(big + 2, big))) is False
    assert log_linear_zero(e + R(1, 10 ** 80)) is False
    assert log_linear_zero(sp.sqrt(2) - 1) is None
    assert set(coprime_base([12, 18, big * 6, big * other])) == {2, 3, big, other}
    a = sp.log(R(big * other, 7)) / 3
    assert equal(a, sp.log(R(big, 7)) / 3 + sp.log(other) / 3)
