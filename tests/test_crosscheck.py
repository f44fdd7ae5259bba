"""The trajectory cross-check: exact vs mpmath vs interval (vs closed forms).

Reference values are computed by hand: on Example 3 the successors of the start are
leaves, so Zq(a1) = 3/4*1/3 + 1/4*2/3 = 5/12 and Zq(a2) = 1/2*1/3 + 1/2*2/3 = 1/2 do not
depend on the policy, and pi^G_k(a1|start) = 5^k / (5^k + 6^k).
"""

import json
import re

import mpmath
import networkx as nx
import pytest
import sympy as sp

import proofcheck.numerics.crosscheck as cc
from proofcheck import load_case
from proofcheck.claims.numeric import crosscheck_result
from proofcheck.engine.backends import IntervalBackend, MpmathBackend
from proofcheck.exact.budget import WorkBudget
from proofcheck.model.mdp import from_graph
from proofcheck.numerics.crosscheck import crosscheck_case
from proofcheck.verify import verify_case

EX1 = "cases/mountain_race.toml"
EX3 = "cases/stochastic_counterexample.toml"


def _rat(raw):
    """An mpmath raw mpf tuple as an exact rational (no rounding)."""
    x = mpmath.mp.make_mpf(raw)
    return sp.Integer(int(x.man)) * sp.Integer(2) ** int(x.exp)


@pytest.fixture(scope="module")
def ex3_table():
    return crosscheck_case(load_case(EX3), n=20, dps=50)


def test_example3_k0_to_20_matches_hand_formula(ex3_table):
    t = ex3_table
    assert t.ok and t.dps == 50 and t.n == 20
    rows = [r for r in t.rows if r.quantity == "pi^G_k(a1|start)"]
    assert [r.k for r in rows] == list(range(21))
    for r in rows:
        hand = sp.Rational(5 ** r.k, 5 ** r.k + 6 ** r.k)
        assert r.exact == hand
        assert abs(_rat(r.mpmath._mpf_) - hand) < sp.Rational(1, 10 ** 45)
        lo, hi = (_rat(x) for x in r.interval._mpi_)
        assert lo <= hand <= hi
        assert r.deviation <= r.bound  # bound = 1e-45 * max(1, |x|) = 1e-45 for probabilities
        assert abs(r.bound - mpmath.mpf(10) ** -45) < mpmath.mpf(10) ** -60
    # every quantity is present for every k
    for q in ("pi^G_k(a2|start)", "S", "J", "kappa_delta"):
        assert [r.k for r in t.rows if r.quantity == q] == list(range(21))


def test_example3_success_probability_by_hand(ex3_table):
    # S(pi) = pi(a1) * 5/12 + pi(a2) * 1/2
    for r in (r for r in ex3_table.rows if r.quantity == "S"):
        p = sp.Rational(5 ** r.k, 5 ** r.k + 6 ** r.k)
        assert r.exact == p * sp.Rational(5, 12) + (1 - p) * sp.Rational(1, 2)


def test_summary_lines_state_precision_and_bound(ex3_table):
    lines = ex3_table.lines()
    assert len(lines) == 6  # four quantities... two actions + S + J + kappa, plus precision
    assert all(line.startswith("ok: ") for line in lines[:5])
    assert "50 digits" in lines[-1]
    assert "bound 1.0e-45" in lines[0]
    json.dumps(ex3_table.as_dict())


def test_mountain_race_infinities_compare_equal():
    t = crosscheck_case(load_case(EX1), n=3, dps=30)
    assert t.ok
    j0 = [r for r in t.rows if r.quantity == "J" and r.k == 0][0]
    k0 = [r for r in t.rows if r.quantity == "kappa_delta" and r.k == 0][0]
    assert j0.exact == -sp.oo and j0.mpmath == -mpmath.inf and j0.ok
    assert k0.exact == sp.oo and k0.ok


def test_a_wrong_mpmath_value_fails_loudly(monkeypatch):
    real = cc.success_probability

    def skewed(mdp, policy=None, *, backend=None, **kw):
        v = real(mdp, policy, backend=backend, **kw)
        if isinstance(backend, MpmathBackend):
            return v + backend.ctx.mpf(10) ** -20  # beyond the 1e-25 bound at 30 digits
        return v

    monkeypatch.setattr(cc, "success_probability", skewed)
    t = crosscheck_case(load_case(EX3), n=2, dps=30)
    assert not t.ok and {r.quantity for r in t.failures} == {"S"}
    lines = t.lines()
    assert lines[0].startswith("FAILED X.numeric: 3 value(s)")
    assert any(line.startswith("FAILED: S") for line in lines)
    res = crosscheck_result(t)
    assert res.claim_id == "X.numeric" and res.verdict.value == "fails"


def test_an_enclosure_missing_the_exact_value_fails(monkeypatch):
    real = cc.additive_return

    def shifted(mdp, policy=None, *, backend=None, **kw):
        v = real(mdp, policy, backend=backend, **kw)
        if isinstance(backend, IntervalBackend):
            return v + backend.ctx.mpf(10) ** -20
        return v

    monkeypatch.setattr(cc, "additive_return", shifted)
    t = crosscheck_case(load_case(EX3), n=1, dps=30)
    bad = [r for r in t.rows if not r.ok]
    assert bad and all(r.quantity == "J" and not r.interval_ok for r in bad)
    assert "EXACT OUTSIDE AN ENCLOSURE" in " ".join(t.lines())


def test_parametric_model_is_skipped_with_a_reason():
    G = nx.MultiDiGraph(initial="s", parameters={"p": (0, 1)})
    G.add_edge("s", "w", key="a", prior="p")
    G.add_edge("s", "l", key="b", prior="1 - p", q="1/2")
    t = crosscheck_case(from_graph(G), n=2)
    assert t.skipped and "substitute" in t.skipped
    assert crosscheck_result(t).verdict.value == "undecided"


def test_verify_adds_section_and_claim():
    res = verify_case(load_case(EX3))
    sec = res.sections["crosscheck"]
    assert sec["title"].startswith("Backend agreement")
    assert len(sec["rows"]) == 21 * 5
    ids = [r.claim_id for r in res.claims]
    assert "X.numeric" in ids and "P5.4.certified" in ids
    json.dumps(res.sections)  # the section is JSON-able as it is
    json.dumps(res.as_dict(), default=str)


def test_a_deviation_inside_the_bound_passes(monkeypatch):
    # 1e-28 is inside the 10**(-30 + 5) = 1e-25 bound at 30 digits: not a failure
    real = cc.success_probability

    def nudged(mdp, policy=None, *, backend=None, **kw):
        v = real(mdp, policy, backend=backend, **kw)
        return v + backend.ctx.mpf(10) ** -28 if isinstance(backend, MpmathBackend) else v

    monkeypatch.setattr(cc, "success_probability", nudged)
    t = crosscheck_case(load_case(EX3), n=2, dps=30)
    assert t.ok
    dev = max(r.deviation for r in t.rows if r.quantity == "S")
    assert mpmath.mpf(10) ** -29 < dev < mpmath.mpf(10) ** -27


def test_random_stochastic_model_crosschecks():
    from proofcheck.model.generators import random_layered_mdp
    m = random_layered_mdp(13, 3, horizon=3, seed=4, successors=2, values="exact")
    t = crosscheck_case(m, n=4, dps=40)
    assert t.ok, t.lines()
    assert len(t.rows) == 5 * (3 + 3)


def test_large_model_is_skipped_with_a_reason():
    from proofcheck.model.generators import random_layered_mdp
    m = random_layered_mdp(40, 3, horizon=3, seed=0, values="exact")
    t = crosscheck_case(m, n=2, max_pairs=10)
    assert t.skipped.startswith(f"{m.n_pairs} state-action pairs > 10")
    assert t.lines() == [f"cross-check skipped: {t.skipped}"]


def test_a_finite_mpmath_value_for_an_infinite_exact_one_fails_loudly(monkeypatch):
    # Example 1 has J(pi^G_0) = -inf; an mpmath route returning a finite J must be reported,
    # and the summary (digits of agreement) must not crash on the infinite deviation
    real = cc.additive_return

    def finite(mdp, policy=None, *, backend=None, **kw):
        v = real(mdp, policy, backend=backend, **kw)
        if isinstance(backend, MpmathBackend) and v == -backend.ctx.inf:
            return backend.ctx.mpf(-1)
        return v

    monkeypatch.setattr(cc, "additive_return", finite)
    t = crosscheck_case(load_case(EX1), n=1, dps=30)
    assert not t.ok and {r.quantity for r in t.failures} == {"J"}
    assert any(line.startswith("FAILED: J") and "0 digits agree" in line for line in t.lines())
    assert crosscheck_result(t).verdict.value == "fails"


def test_a_work_budget_skips_the_exact_reference_with_the_reason_every_time():
    texts = set()
    for _ in range(2):
        t = crosscheck_case(load_case(EX1), n=20, dps=30, budget=WorkBudget(1000))
        texts.add(t.skipped)
        assert not t.rows and crosscheck_result(t).verdict.value == "undecided"
    (text,) = texts
    assert text.startswith("work budget of 1000 steps exhausted (an exact reference of 20 re-training passes")
    assert "--budget " in text
    assert crosscheck_case(load_case(EX1), n=20, dps=30).ok  # the default budget suffices


def _float_bandit():
    G = nx.MultiDiGraph(initial="s")
    G.add_edge("s", "x", key="a", prior=0.1)
    G.add_edge("s", "y", key="b", prior=0.9)
    G.nodes["x"]["success"], G.nodes["y"]["success"] = 0.7, 0.3
    return from_graph(G)


def test_float_inputs_are_crosschecked_against_their_exact_binary_values():
    # it was skipped ("the model has float inputs, so there is no exact reference"), which
    # left X.numeric undecided on every float-derived model although the exact route runs
    m = _float_bandit()
    assert not m.exact
    t = crosscheck_case(m, n=6, dps=40)
    assert t.ok and not t.skipped, t.lines()
    assert "float inputs as their exact binary values" in t.precision and t.inputs in t.lines()[-1]
    p, r = {"a": sp.Rational(0.1), "b": sp.Rational(0.9)}, {"a": sp.Rational(0.7), "b": sp.Rational(0.3)}
    assert p["a"] == sp.Rational(3602879701896397, 2 ** 55)  # the double nearest 0.1, not 1/10
    assert p["a"] + p["b"] == 1 + sp.Rational(1, 2 ** 55)  # as doubles 0.1 + 0.9 is not 1
    for row in (row for row in t.rows if row.quantity == "pi^G_k(a|s)"):
        k = row.k  # one step, q = 1: pi^G_0 = p, and pi^G_k(a) = p(a) r(a)^k / sum_b p(b) r(b)^k for k >= 1
        hand = p["a"] if k == 0 else p["a"] * r["a"] ** k / (p["a"] * r["a"] ** k + p["b"] * r["b"] ** k)
        assert row.exact == hand
        # the closed form is the k >= 1 formula: at k = 0 it would give p / (1 + 2**-55), so
        # it is not compared there (it was, and failed X.numeric)
        assert (row.closed_form is None) == (k == 0) and row.closed_ok in (None, True)
    assert "at k = 0 the form gives the prior divided by its sum" in t.closed_form_status


def test_float64_arrays_have_no_exact_reference_and_say_so():
    import numpy as np

    from proofcheck.model.mdp import MDP
    m = _float_bandit()
    arrays = {a: np.array([float(v) for v in getattr(m, a)]) for a in ("edge_prob", "prior", "likelihood",
                                                                      "success", "initial")}
    f = MDP.from_arrays(state_ptr=m.state_ptr, pair_ptr=m.pair_ptr, edge_target=m.edge_target, states=m.states,
                        pair_state=m.pair_state, pair_action=m.pair_action, **arrays)
    t = crosscheck_case(f, n=2)
    assert t.skipped.startswith("the model's numbers are float64 arrays (MDP.from_arrays)")


def test_numbers_that_outgrow_the_estimate_are_charged_pass_by_pass():
    # float inputs of 54 bits: the estimate lets the numbers reach 54 * n bits, but on this
    # stochastic model they grow quadratically (54, 364, 1040, 2028, 3329 bits); every pass beyond
    # the estimate is charged at its real size, so a small budget stops at a named pass
    from proofcheck import loads_case
    from proofcheck.exact.budget import int_op_cost
    from tests.test_float_derived import layered_float_case_text
    m = loads_case(layered_float_case_text()).mdp
    n = 6
    upfront = cc.exact_reference_cost(m, n)
    t = crosscheck_case(m, n=n, dps=30, budget=WorkBudget(upfront + 50_000))
    match = re.search(r"exact re-training pass (\d+) of 6 \(numbers of (\d+) bits, more than the (\d+) estimated\)",
                      t.skipped)
    assert match, t.skipped
    k, bits, estimated = map(int, match.groups())
    assert estimated == 6 * max(max(int(r.p).bit_length(), int(r.q).bit_length())
                                for r in map(sp.Rational, list(m.prior) + list(m.likelihood) + list(m.success)))
    assert bits > estimated and 2 <= k <= n
    assert m.n_pairs * n * (int_op_cost(bits, bits) - int_op_cost(estimated, estimated)) > 0
    # Example 3's numbers (5^k / (5^k + 6^k)) grow linearly, within the estimate: it is charged that only
    ex3 = load_case(EX3).mdp
    assert crosscheck_case(ex3, n=20, dps=30, budget=WorkBudget(cc.exact_reference_cost(ex3, 20))).ok
