"""Sampled re-training against the exact G (its N -> inf limit)."""

import math

import networkx as nx
import numpy as np
import pytest
import sympy as sp

from proofcheck.engine import goal_condition, success_probability
from proofcheck.errors import ModelError
from proofcheck.examples import mountain_race, stochastic_counterexample
from proofcheck.model.mdp import from_graph
from proofcheck.numerics.sampling import n_needed, sample_rollouts, sampled_retrain, sampling_study, wilson_interval


def hoeffding(N, delta=1e-6):
    """Two-sided Hoeffding radius: P(|mean - p| > r) <= delta."""
    return math.sqrt(math.log(2 / delta) / (2 * N))


@pytest.mark.parametrize("build", [mountain_race, stochastic_counterexample])
def test_empirical_success_frequency_matches_S(build):
    m = build()
    N = 50_000
    pi = m.prior_policy().in_backend(__import__("proofcheck").engine.get_backend("float"))
    _, success = sample_rollouts(m, pi, N, np.random.default_rng(7))
    S = float(success_probability(m))
    assert abs(success.mean() - S) <= hoeffding(N)


def test_first_sampled_step_is_within_wilson_interval_of_exact_G():
    m = stochastic_counterexample()
    run = sampled_retrain(m, 1, 40_000, seed=2024)
    # z = 4.9: two-sided 1e-6 normal quantile; the interval is for G(prior)(a1|start) = 5/11
    lo, hi = run.wilson(1, "start", "a1", z=4.9)
    assert lo <= 5 / 11 <= hi
    # informative, not vacuous: about 2 z sqrt(p (1 - p) / kept) with kept ~ N * S(prior) = N * 11/24
    p = 5 / 11
    assert hi - lo < 1.2 * 2 * 4.9 * math.sqrt(p * (1 - p) / (40_000 * 11 / 24))


def test_sampled_trajectory_mean_within_ci_of_exact_for_k_up_to_3():
    m = stochastic_counterexample()
    st = sampling_study(m, 3, 20_000, R=12, seed=5, z=4.9)
    exact = {1: 5 / 11, 2: 25 / 61, 3: 125 / 341}
    for row in st["rows"]:
        if row["action"] == "a1" and row["k"] >= 1:
            assert row["exact"] == pytest.approx(exact[row["k"]], abs=1e-15)
            lo, hi = row["ci_mean"]
            assert lo <= row["exact"] <= hi, row
            assert row["tv_max"] < 0.05


def test_states_without_successful_visits_keep_the_previous_policy():
    # the right branch can never succeed: no successful rollout visits R
    G = nx.MultiDiGraph(initial="s")
    G.add_edge("s", "L", key="l", prior="1/2")
    G.add_edge("s", "R", key="r", prior="1/2")
    G.add_edge("L", "win", key="u", prior="1/2")
    G.add_edge("L", "lose", key="d", prior="1/2")
    G.add_edge("R", "z1", key="u", prior="1/3")
    G.add_edge("R", "z2", key="d", prior="2/3")
    for leaf in ("lose", "z1", "z2"):
        G.nodes[leaf]["success"] = 0
    m = from_graph(G)
    run = sampled_retrain(m, 3, 500, seed=0)
    for k in range(4):
        assert run.prob(k, "R", "u") == pytest.approx(1 / 3, abs=1e-15)
    assert goal_condition(m)["R"] == {"u": sp.Rational(1, 3), "d": sp.Rational(2, 3)}  # exact G keeps it too
    assert run.prob(1, "s", "l") == 1.0 and run.prob(1, "L", "u") == 1.0  # only winning rollouts kept


def test_seeded_runs_are_reproducible():
    m = mountain_race()
    a = sampled_retrain(m, 2, 300, seed=11)
    b = sampled_retrain(m, 2, 300, seed=11)
    assert all(np.array_equal(x, y) for x, y in zip(a.policies, b.policies))


def test_n_needed_meets_its_criterion_and_matches_binomial_estimate():
    m = stochastic_counterexample()
    eps = 0.05
    res = n_needed(m, 1, eps=eps, R=20, seed=3)
    N = res["N"]
    assert N is not None and res["tried"][-1]["N"] == N
    assert res["tried"][-1]["tv_q0.95"] <= eps
    assert all(t["tv_q0.95"] > eps for t in res["tried"][:-1])
    # binomial estimate: TV = |p_hat - 5/11| from about N * S(prior) kept rollouts,
    # S(prior) = 11/24; the 95% quantile needs 1.96 * sqrt(p(1-p) / (N S)) <= eps
    p, S = 5 / 11, 11 / 24
    n_est = (1.96 / eps) ** 2 * p * (1 - p) / S
    assert n_est / 4 <= N <= n_est * 4


def test_wilson_interval_edge_cases_and_bad_n():
    assert wilson_interval(0, 0) == (0.0, 1.0)
    lo, hi = wilson_interval(10, 10)
    assert hi == 1.0 and 0.6 < lo < 0.8
    with pytest.raises(ModelError):
        sampled_retrain(mountain_race(), 1, 0)
