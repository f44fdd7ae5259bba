"""The authors' protocol (spec section 11): reproducible from its seed, correlations present."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from proofcheck.engine.effective_horizon import horizon_values
from proofcheck.experiments.authors import (
    format_authors_report,
    run_authors_protocol,
    simulate_gorp_bernoulli,
    tree_instance,
    tree_mdp,
    tree_problem,
)
from proofcheck.numerics.gorp import wilson_interval
from proofcheck.numerics.gorp_exact import GorpExact

SMALL = dict(per_family=3, families=((2, 2), (1, 3), (2, 3)), runs=100, m_max=8, k_max=2, bootstrap=200)


@pytest.fixture(scope="module")
def small_run():
    return run_authors_protocol(seed=7, **SMALL)


def test_reproducible_from_seed(small_run):
    again = run_authors_protocol(seed=7, **SMALL)
    assert json.dumps(small_run, sort_keys=True) == json.dumps(again, sort_keys=True)
    other = run_authors_protocol(seed=8, **{**SMALL, "per_family": 1})
    assert small_run["rows"][0]["q_sha"] != other["rows"][0]["q_sha"]


def test_correlations_present_and_finite(small_run):
    s = small_run["summary"]
    pairs = {(c["H"], c["pair"]) for c in s["correlations"]}
    assert {("simulated", "r(H, kappa_uniform)"), ("simulated", "r(H, kappa_G1)"),
            ("exact", "r(H, kappa_uniform)"), ("exact", "r(H, kappa_G1)")} <= pairs
    for c in s["correlations"]:
        assert c["r"] is not None and math.isfinite(c["r"]) and -1 <= c["r"] <= 1
        lo, hi = c["ci95"]
        assert math.isfinite(lo) and math.isfinite(hi) and lo <= hi
        assert c["published_r"] in (0.198, 0.244)
    assert len(s["within_family_correlations"]) == 4
    assert all(c["centred_per_family"] for c in s["within_family_correlations"])
    assert len(small_run["rows"]) == 9
    assert [d["selected"] for d in small_run["discarded"]] == [3, 3, 3]
    assert s["kappa_by_H_sim"] and all(b["n"] > 0 for b in s["kappa_by_H_sim"])
    json.dumps(small_run)  # JSON-able (infinities as "inf")
    text = format_authors_report(small_run)
    assert "0.198" in text and "0.244" in text


def test_tree_layout_and_kappa_inputs():
    tr, q = tree_instance(2, 3, np.random.default_rng(0))
    assert tr.shape == (13, 3) and (tr[4:] == -1).all() and ((q > 0) & (q < 1)).all()
    P = tree_problem(tr, q)
    assert P.horizon == 3 and P.n_decision_states == 13  # T + 1 decision steps
    mdp = tree_mdp(tr, q)
    assert mdp.deterministic and mdp.horizon == 3


def test_bernoulli_simulation_matches_exact():
    """The vectorised sampled-reward simulation against the computed success probability."""
    z = 3.2905267314919255
    for seed, (T, A), k, m in ((1, (2, 2), 1, 4), (2, (1, 3), 1, 8), (3, (2, 2), 2, 2)):
        tr, q = tree_instance(T, A, np.random.default_rng(seed))
        P = tree_problem(tr, q)
        hv = horizon_values(P)
        ql = [np.array([float(x) for x in L.reward]) for L in P.layers]
        n = 3000
        ok = simulate_gorp_bernoulli(P, ql, hv.optimal, k, m, n, np.random.default_rng(seed), sampler="rollouts")
        p = GorpExact(P, "bernoulli", values=hv).success(k, m)
        lo, hi = wilson_interval(ok, n, z)
        assert lo - 1e-12 <= p.lower and p.upper <= hi + 1e-12, (seed, ok / n, p.as_dict())


def test_samplers_agree():
    """Rollout-by-rollout and summed-score sampling: the same success probability."""
    z = 3.2905267314919255
    tr, q = tree_instance(2, 3, np.random.default_rng(5))
    P = tree_problem(tr, q)
    hv = horizon_values(P)
    ql = [np.array([float(x) for x in L.reward]) for L in P.layers]
    p = GorpExact(P, "bernoulli", values=hv).success(2, 8)
    n = 2000
    for sampler in ("rollouts", "sums"):
        ok = simulate_gorp_bernoulli(P, ql, hv.optimal, 2, 8, n, np.random.default_rng(1), sampler=sampler)
        lo, hi = wilson_interval(ok, n, z)
        assert lo - 1e-12 <= p.lower and p.upper <= hi + 1e-12, (sampler, ok / n, p.as_dict())
