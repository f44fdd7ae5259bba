"""The exact engine against hand-computed values and against brute-force enumeration."""

import math
import random
from fractions import Fraction

import oracle
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import proofcheck as pc
from proofcheck import strategies as pst
from proofcheck.engine import (
    additive_return,
    argmax_policy,
    boltzmann_policy,
    coherence_fixed_point,
    cumulative_fold,
    goal_condition,
    incoherence,
    iterate_coherence,
    noncumulative_fold,
    occupancy,
    optimal_policy,
    optimal_values,
    retrain,
    soft_values,
    success_probability,
    tempered_policy,
    trajectory_kl,
)
from proofcheck.examples import mountain_race, stochastic_counterexample
from proofcheck.model import Conventions

R = sp.Rational


# ---------------------------------------------------------------- hand-computed values

def test_mountain_race_soft_values_by_hand():
    m = mountain_race()
    sv = soft_values(m)
    # Zv(mountain) = 1/2*1 + 1/2*0; Zv(forest) = 3/4; Zv(start) = 1/2*1/2 + 1/2*3/4
    assert sv.Zv("mountain") == R(1, 2)
    assert sv.Zv("forest") == R(3, 4)
    assert sv.Zv("start") == R(5, 8)
    assert sv.Zq("start", "up") == R(1, 2)


def test_naive_goal_conditioned_policy_is_two_fifths():
    pi = goal_condition(mountain_race())
    assert pi.prob("start", "up") == R(2, 5)  # (1/2 * 1/2) / (5/8)
    assert pi["mountain"] == {"up": 1, "down": 0}
    assert pi["forest"] == {"up": R(1, 2), "down": R(1, 2)}


def test_boltzmann_fixed_point_printed_in_paper():
    fp = coherence_fixed_point(mountain_race())
    assert fp["start"] == {"up": R(4, 7), "down": R(3, 7)}
    assert fp["mountain"] == {"up": 1, "down": 0}
    assert fp["forest"] == {"up": R(1, 2), "down": R(1, 2)}


def test_example3_retraining_and_temperature_printed_in_paper():
    m = stochastic_counterexample()
    seq = retrain(m, 2)
    assert [p.prob("start", "a1") for p in seq] == [R(1, 2), R(5, 11), R(25, 61)]
    assert tempered_policy(m, 2).prob("start", "a1") == R(7, 17)


def test_success_and_return_by_hand():
    m = mountain_race()
    assert success_probability(m) == R(5, 8)
    assert additive_return(m) == -sp.oo  # the chasm has success 0 and probability 1/4
    pi1 = goal_condition(m)
    # pi_1 never enters the chasm: J = 3/5 * log(3/4) (forest), mountain branch log 1 = 0
    assert sp.simplify(additive_return(m, pi1) - R(3, 5) * sp.log(R(3, 4))) == 0


def test_occupancy_by_hand():
    m = stochastic_counterexample()
    d = occupancy(m)
    # s1: 1/2*3/4 + 1/2*1/2 = 5/8
    assert d[m.index["s1"]] == R(5, 8)
    assert d[m.index["s2"]] == R(3, 8)


def test_optimal_values_by_hand():
    m = mountain_race()
    assert optimal_values(m, "success").value() == 1
    assert optimal_values(m, "return").value() == 0
    assert optimal_policy(m, "success")["start"] == {"up": 1, "down": 0}
    e = stochastic_counterexample()
    # S: a1 gives 3/4*1/3 + 1/4*2/3 = 5/12 < a2 gives 1/2
    assert optimal_values(e, "success").value() == R(1, 2)
    assert optimal_policy(e, "success")["start"] == {"a1": 0, "a2": 1}


def test_incoherence_of_prior_is_infinite_on_mountain_race():
    # Boltzmann(prior) at the mountain is (1, 0) while the prior gives the chasm 1/2
    assert incoherence(mountain_race()) == sp.oo


def test_incoherence_of_pi1_by_hand():
    m = mountain_race()
    pi1 = goal_condition(m)
    # only the start state differs: KL((2/5, 3/5) || (4/7, 3/7))
    want = R(2, 5) * sp.log(R(2, 5) / R(4, 7)) + R(3, 5) * sp.log(R(3, 5) / R(3, 7))
    assert sp.simplify(incoherence(m, pi1) - want) == 0


def test_boltzmann_at_other_temperatures():
    m = mountain_race()
    pol = boltzmann_policy(m, goal_condition(m), delta=R(1, 2))
    # ∝ Zq^2 = (1, 9/16) at the start
    assert pol.prob("start", "up") == R(16, 25)


def test_argmax_ties_uniform_and_first():
    m = mountain_race()
    pol = argmax_policy(m)
    assert pol["forest"] == {"up": R(1, 2), "down": R(1, 2)}
    first = argmax_policy(m, conventions=Conventions(argmax_ties="first"))
    assert sorted(first["forest"].values()) == [0, 1]


def test_cumulative_fold_doubles_temperature():
    m = mountain_race()
    H = cumulative_fold(m, 3, conventions=Conventions(h_indexing="zero-is-first-conditioned"))
    for k in range(4):
        assert H[k]["start"] == tempered_policy(m, 2 ** k)["start"]
    one = cumulative_fold(m, 2, conventions=Conventions(h_indexing="one-is-first-conditioned"))
    assert one[0]["start"] == {"up": R(1, 2), "down": R(1, 2)}
    assert one[1]["start"] == goal_condition(m)["start"]
    prior_idx = cumulative_fold(m, 2, conventions=Conventions(h_indexing="one-is-prior"))
    assert prior_idx[0] is None and prior_idx[1]["start"] == {"up": R(1, 2), "down": R(1, 2)}


def test_posterior_fold_term_breaks_lemma_b_with_nonuniform_prior():
    G = pc.examples.mountain_race_graph()
    G.edges["start", "mountain", "up"]["prior"] = "1/4"
    G.edges["start", "forest", "down"]["prior"] = "3/4"
    m = pc.from_graph(G)
    printed = Conventions(fold_term="posterior")
    F = noncumulative_fold(m, 2, conventions=printed)
    Gs = retrain(m, 2)
    assert F[1]["start"] == Gs[1]["start"]  # one step always agrees
    assert F[2]["start"] != Gs[2]["start"]  # the printed fold term double-counts the prior
    ratio = noncumulative_fold(m, 2, conventions=Conventions(fold_term="ratio"))
    assert ratio[2]["start"] == Gs[2]["start"]


def test_impossible_conditioning_conventions():
    import networkx as nx
    G = nx.MultiDiGraph(initial="s")
    G.add_edge("s", "dead", key="a", prior="1/3")
    G.add_edge("s", "dead2", key="b", prior="2/3")
    G.nodes["dead"]["success"] = 0
    G.nodes["dead2"]["success"] = 0
    m = pc.from_graph(G)
    assert goal_condition(m)["s"] == {"a": R(1, 3), "b": R(2, 3)}
    uni = goal_condition(m, conventions=Conventions(impossible="uniform"))
    assert uni["s"] == {"a": R(1, 2), "b": R(1, 2)}


def test_uniform_fallback_and_policy_in_every_backend():
    # states with 1, 2 and 3 actions, all doomed: the uniform rule gives 1/count per state
    import networkx as nx
    import numpy as np
    G = nx.MultiDiGraph(initial="s", default_prior="uniform")
    for a in "abc":
        G.add_edge("s", "t" + a, key=a)
    for a in "ab":
        G.add_edge("ta", "u" + a, key=a)
    G.add_edge("tb", "v", key="a")
    for leaf in ("tc", "ua", "ub", "v"):
        G.nodes[leaf]["success"] = 0
    m = pc.from_graph(G)
    conv = Conventions(impossible="uniform")
    exact = goal_condition(m, conventions=conv)
    assert exact["s"] == {a: R(1, 3) for a in "abc"} and exact["ta"] == {"a": R(1, 2), "b": R(1, 2)}
    assert exact["tb"] == {"a": 1}
    assert list(m.uniform_policy().values) == list(exact.values)
    for backend in ("float", "mpmath:30", "interval:30"):
        got = goal_condition(m, backend=backend, conventions=conv)
        B = got.backend
        assert [float(B.to_sympy(v)) for v in got.values] == [float(v) for v in exact.values]
    # a float64 model's uniform policy is float64, like its prior policy
    fm = pc.MDP.from_arrays(state_ptr=[0, 3, 3, 3, 3], pair_ptr=[0, 1, 2, 3], edge_target=[1, 2, 3],
                            edge_prob=np.ones(3), prior=np.full(3, 1 / 3), likelihood=np.ones(3),
                            initial=np.array([1.0, 0, 0, 0]))
    assert fm.uniform_policy().values.dtype == np.float64
    assert np.array_equal(fm.uniform_policy().values, np.full(3, 1 / 3))


def test_numeric_backends_evaluate_closed_form_values():
    # q = exp(-1/2) (from a reward) and sqrt(2)/2 are not rationals: mpmath evaluates them
    import networkx as nx
    G = nx.MultiDiGraph(initial="s")
    G.add_edge("s", "a", key="x", prior="1/2", reward="-1/2")
    G.add_edge("s", "b", key="y", prior="1/2", q="sqrt(2)/2")
    m = pc.from_graph(G)
    exact = success_probability(m)
    for backend in ("float", "mpmath:40", "interval:40"):
        B = pc.engine.get_backend(backend)
        got = B.to_sympy(success_probability(m, backend=B))
        assert abs(float(sp.N(got - exact, 50))) < (1e-35 if backend != "float" else 1e-15)


def test_policy_conversion_is_cached_per_backend():
    m = stochastic_counterexample()
    pol = m.prior_policy()
    assert m.prior_policy() is pol  # one shared prior policy per model
    F = pc.engine.get_backend("float")
    first = pol.in_backend(F)
    assert pol.in_backend(F) is first
    assert pol.in_backend(pc.engine.get_backend("mpmath:20")) is not first
    assert pol.in_backend(pc.engine.get_backend("exact")) is pol.values


# ---------------------------------------------------------------- numeric backends

@pytest.mark.parametrize("backend", ["float", "mpmath:40", "interval:40"])
def test_numeric_backends_agree_with_exact(backend):
    m = stochastic_counterexample()
    exact = retrain(m, 3)[-1].prob("start", "a1")  # 125/341
    num = retrain(m, 3, backend=backend)[-1].prob("start", "a1")
    if backend.startswith("interval"):
        lo, hi = (_mpf_to_fraction(e) for e in num._mpi_)
        assert lo <= Fraction(125, 341) <= hi
        assert float(num.b - num.a) < 1e-35
    else:
        tol = 1e-15 if backend == "float" else 1e-38
        assert abs(float(num) - float(exact)) < tol or abs(num - sp.Float(exact, 50)) < tol


def _mpf_to_fraction(raw):
    sign, man, exp, _ = raw  # mpmath's raw (sign, mantissa, exponent, bitcount), exact
    return (-1) ** sign * Fraction(int(man)) * Fraction(2) ** int(exp)


# ---------------------------------------------------------------- brute force

def _policy_dict(mdp, pol):
    return {(s, a): pol.prob(s, a) for s in mdp.states for a in mdp.actions(s)}


def _as_fraction(x):
    x = sp.nsimplify(x)
    return Fraction(int(x.p), int(x.q))


@pytest.mark.parametrize("seed", range(12))
def test_engine_matches_enumeration_on_random_mdps(seed):
    rng = random.Random(seed)
    G = oracle.random_graph(rng, depth=rng.randint(1, 3), stochastic=seed % 2 == 1,
                            merge=seed % 3 == 0)
    m = pc.from_graph(G)
    prior = oracle.prior_of(G)
    sv = soft_values(m)
    for s in m.states:
        assert _as_fraction(sv.Zv(s)) == oracle.zv(G, s, prior)
        for a in m.actions(s):
            assert _as_fraction(sv.Zq(s, a)) == oracle.zq(G, s, a, prior)
    g_engine = _policy_dict(m, goal_condition(m))
    g_oracle = oracle.goal_condition(G, prior)
    assert {k: _as_fraction(v) for k, v in g_engine.items()} == g_oracle
    # second step of re-training
    g2_oracle = oracle.goal_condition(G, g_oracle)
    g2_engine = _policy_dict(m, retrain(m, 2)[2])
    assert {k: _as_fraction(v) for k, v in g2_engine.items()} == g2_oracle
    assert _as_fraction(success_probability(m)) == oracle.success_probability(G, prior)
    d = occupancy(m)
    occ = oracle.occupancy(G, prior)
    for s in m.states:
        assert _as_fraction(d[m.index[s]]) == occ[s]
    J = additive_return(m)
    Jo = oracle.additive_return(G, prior)
    if Jo == -math.inf:
        assert J == -sp.oo
    else:
        assert abs(float(J) - Jo) < 1e-12
    assert _as_fraction(optimal_values(m, "success").value()) == oracle.best_success(G)


@pytest.mark.parametrize("seed", range(8))
def test_causal_incoherence_matches_trajectory_kl(seed):
    rng = random.Random(100 + seed)
    G = oracle.random_graph(rng, depth=2, stochastic=seed % 2 == 0)
    m = pc.from_graph(G)
    pi1 = goal_condition(m)
    soft = boltzmann_policy(m, pi1)
    kl = oracle.trajectory_kl(G, _policy_dict(m, pi1), _policy_dict(m, soft))
    causal = incoherence(m, pi1)
    if kl == math.inf:
        assert causal == sp.oo
    else:
        assert abs(float(causal) - kl) < 1e-12


def test_iterated_coherence_reaches_fixed_point_within_horizon():
    rng = random.Random(7)
    for _ in range(5):
        G = oracle.random_graph(rng, depth=3)
        m = pc.from_graph(G)
        seq = iterate_coherence(m, m.horizon + 1)
        assert seq[m.horizon].values.tolist() == seq[m.horizon + 1].values.tolist()


def test_get_backend_names_the_closest_backend():
    from proofcheck.engine.backends import get_backend
    from proofcheck.errors import BackendError
    with pytest.raises(BackendError, match=r"unknown backend 'mpmth:30'; did you mean 'mpmath'\?; use exact"):
        get_backend("mpmth:30")
    with pytest.raises(BackendError, match=r"unknown backend 'zzz'; use exact"):  # nothing close: no guess
        get_backend("zzz")


@settings(max_examples=40, deadline=None)
@given(pst.mdps(depth=3, merging=True).flatmap(
    lambda m: st.tuples(st.just(m), pst.policies(m), pst.policies(m))))
def test_trajectory_sums_in_fractions_are_sympys_walk(data):
    # rational models are enumerated in Fractions: the same paths, in the same order, with
    # the same SymPy values as the walk over SymPy numbers, and the KL summed from them
    from proofcheck.engine.trajectories import enumerate_trajectories, trajectory_distribution
    from proofcheck.exact.ratfunc import log_of

    mdp, pol, other = data
    by_walk = {}
    for path, prob, _ in enumerate_trajectories(mdp, pol):
        if prob != 0:
            by_walk[path] = by_walk.get(path, 0) + prob
    dist = trajectory_distribution(mdp, pol)
    assert list(dist.items()) == list(by_walk.items())
    assert all(isinstance(v, sp.Rational) for v in dist.values())
    Q = {path: q for path, q, _ in enumerate_trajectories(mdp, other)}
    if any(Q.get(path, 0) == 0 for path in by_walk):
        expected = sp.oo
    else:
        expected = sp.Add(*[p * log_of(p / Q[path]) for path, p in by_walk.items()])
    assert trajectory_kl(mdp, pol, other) == expected
