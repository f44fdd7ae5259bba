"""verify's reference column: the engine against the independent reference route."""

from __future__ import annotations

from fractions import Fraction as F

import networkx as nx
import pytest
import sympy as sp
from conftest import float_stochastic_graph

import proofcheck as pc
from proofcheck.claims import run_claims
from proofcheck.reference import LogLinear
from proofcheck.verify import reference_section
from proofcheck.verify.reference_section import _same, reference_agreement


@pytest.mark.parametrize("name", ["mountain_race", "stochastic_counterexample"])
def test_bundled_cases_agree_with_the_reference(name):
    case = pc.load_case(f"cases/{name}.toml")
    r = reference_agreement(case.graph, case.mdp, case.conventions)
    assert r.verdict.value == "holds", r.summary
    assert "all" in r.summary


def _bandit(p_a="1/2", success_b="1/3"):
    G = nx.MultiDiGraph(initial="s")
    G.add_edge("s", "good", key="a", prior=p_a)
    G.add_edge("s", "bad", key="b", prior="1/2", q="1/2")
    G.nodes["good"]["success"] = "1"
    G.nodes["bad"]["success"] = success_b
    return G


def test_a_disagreement_fails_with_the_first_differing_value():
    # the engine reads one model, the reference another (bad's success 1/3 vs 1/5):
    # pi^G(a | s) = 1/2 / (1/2 + 1/2 * 1/2 * 1/3) = 6/7 for the engine, 10/11 for the reference
    engine_model = pc.from_graph(_bandit())
    r = reference_agreement(_bandit(success_b="1/5"), engine_model, pc.Conventions())
    assert r.verdict.value == "fails"
    rows = {e["quantity"]: e for e in r.evidence if "engine" in e}
    assert rows["pi_1(a | s)"]["engine"] == "6/7"
    assert rows["pi_1(a | s)"]["reference"] == "10/11"


def test_irrational_values_are_not_compared_and_say_why():
    G = _bandit()
    G.edges["s", "bad", "b"]["q"] = "exp(-1)"
    r = reference_agreement(G, pc.from_graph(G), pc.Conventions())
    assert r.verdict.value == "undecided"
    assert "rational" in r.summary


def test_the_registered_claim_runs_from_python():
    (r,) = run_claims(pc.from_graph(_bandit()), ids=["X.reference"])
    assert r.claim_id == "X.reference" and r.verdict.value == "holds"


def test_verify_shows_the_reference_column():
    res = pc.verify_case(pc.load_case("cases/stochastic_counterexample.toml"))
    assert res.sections["reference"]["lines"][0].startswith("holds: the engine equals the reference route")
    assert [c.verdict.value for c in res.claims if c.claim_id == "X.reference"] == ["holds"]


def test_log_forms_compare_exactly_over_a_coprime_base():
    half = sp.Rational(1, 2)
    # log 4 / 2 = log 2, written over different bases on the two sides
    assert _same(half * sp.log(sp.Integer(4), evaluate=False), LogLinear({F(2): F(1)}))
    # 3/5 log(3/4) against 3/5 log(3/4) + 1/10^30 log 2: equal to 30 digits, not equal
    engine = sp.Rational(3, 5) * sp.log(sp.Rational(3, 4), evaluate=False)
    assert _same(engine, LogLinear({F(3, 4): F(3, 5)}))
    assert not _same(engine, LogLinear({F(3, 4): F(3, 5), F(2): F(1, 10**30)}))
    # a non-zero rational is not a log form; zero is the empty one
    assert not _same(sp.Rational(1, 3), LogLinear({F(2): F(1)}))
    assert _same(sp.Integer(0), LogLinear())


def test_long_log_forms_take_the_interval_route_and_agree():
    x = F(3**200 + 1, 2**317)  # beyond _LOG_FORM_BITS: not put over a coprime base
    engine = sp.Rational(2, 7) * sp.log(sp.Rational(x.numerator, x.denominator), evaluate=False)
    assert reference_section._log_linear(engine) is None
    assert reference_section._same(engine, LogLinear({x: F(2, 7)}))
    assert not reference_section._same(engine, LogLinear({x: F(3, 7)}))


def test_the_reference_route_is_not_run_beyond_a_claims_budget():
    # a 19-state float-derived stochastic model: pi^G_5 holds 101,405-bit rationals and the
    # route (Fractions, no budget of its own) ran past 120 s; a small budget shows the rule
    from proofcheck.exact.budget import budget_steps

    G = float_stochastic_graph()
    m = pc.from_graph(G)
    with budget_steps(10):
        r = reference_agreement(G, m, pc.Conventions())
    assert r.verdict.value == "undecided"
    # 7 (k_max + 1) = 42 policies, 2 pairs, a product of 806-bit numbers: 13 words squared
    assert 42 * 2 * 13 ** 2 == 14196
    assert r.summary.startswith("not compared: the claim's work budget of 15000 steps (1500 x --budget) is exhausted "
                                "(the reference route's 42 policies of 806-bit rationals needs 14196 more")
    assert reference_agreement(G, m, pc.Conventions()).verdict.value == "holds"  # the default budget does
