"""Importers from the inputs RL researchers already have: arrays (proofcheck.io.tabular) and
Gymnasium toy-text environments (proofcheck.io.gymnasium)."""

from fractions import Fraction as F
from types import SimpleNamespace

import numpy as np
import pytest
import sympy as sp

import proofcheck as pc
from proofcheck.errors import ModelError
from proofcheck.io.gymnasium import from_gymnasium, gymnasium_graph
from proofcheck.io.tabular import arrays_graph, from_arrays, simplest_rational
from proofcheck.verify import verify_model

FAST_CLAIMS = ["P4.2", "T5.9.B"]


# --------------------------------------------------------------------------- a hand-built MDP

def hand_mdp():
    """3 states, 2 actions, exact entries (object arrays of Fractions)."""
    P = np.zeros((3, 2, 3), dtype=object)
    P[0, 0, 1] = F(1)                     # s0 --a0--> s1
    P[0, 1, 1] = P[0, 1, 2] = F(1, 2)     # s0 --a1--> s1 or s2, 1/2 each
    P[1, 0, 1] = F(1)                     # s1 --a0--> s1
    P[1, 1, 2] = F(1)                     # s1 --a1--> s2
    P[2, 0, 2] = F(1)                     # s2 --a0--> s2
    P[2, 1, 0] = F(1)                     # s2 --a1--> s0
    q = np.array([[F(1), F(1, 2)], [F(1, 2), F(1)], [F(1), F(1)]], dtype=object)
    success = [F(0), F(1, 3), F(1)]       # leaf success at the horizon cut
    return P, q, success


def test_hand_computed_goal_conditioned_policy():
    P, q, success = hand_mdp()
    m = from_arrays(P, q=q, initial=0, horizon=2, prior="uniform", success=success)
    # By hand (uniform prior 1/2, G(p)(a|s) = p(a|s) Zq(s,a) / Zv(s)):
    # t = 2 (leaves): Zv = success: s0 -> 0, s1 -> 1/3, s2 -> 1.
    # t = 1, s1: Zq(a0) = q(1,a0) * 1/3 = 1/6; Zq(a1) = q(1,a1) * 1 = 1; Zv = (1/6 + 1)/2 = 7/12
    #        -> G(a0) = (1/2)(1/6)/(7/12) = 1/7, G(a1) = 6/7.
    # t = 1, s2: Zq(a0) = 1 * 1 = 1; Zq(a1) = 1 * 0 = 0; Zv = 1/2 -> G(a0) = 1, G(a1) = 0.
    # t = 0, s0: Zq(a0) = 1 * Zv(s1@t1) = 7/12;
    #            Zq(a1) = 1/2 * (1/2 * 7/12 + 1/2 * 1/2) = 1/2 * 13/24 = 13/48;
    #            Zv = (7/12 + 13/48)/2 = 41/96
    #        -> G(a0) = (1/2)(7/12)/(41/96) = 28/41, G(a1) = (1/2)(13/48)/(41/96) = 13/41.
    assert m.exact and sorted(m.states) == ["s0@t0", "s0@t2", "s1@t1", "s1@t2", "s2@t1", "s2@t2"]
    pi = pc.goal_condition(m)
    R = sp.Rational
    assert pi["s0@t0"] == {"a0": R(28, 41), "a1": R(13, 41)}
    assert pi["s1@t1"] == {"a0": R(1, 7), "a1": R(6, 7)}
    assert pi["s2@t1"] == {"a0": 1, "a1": 0}
    assert pc.success_probability(m) == R(41, 96)


def test_sparse_and_dict_layouts_give_the_same_model():
    sparse = pytest.importorskip("scipy.sparse")
    P, q, success = hand_mdp()
    dense = from_arrays(P, q=q, initial=0, horizon=2, prior="uniform", success=success)
    per_action = [sparse.csr_matrix(np.array(P[:, a, :], dtype=float)) for a in range(2)]
    as_dict = {(s, a): {s2: P[s, a, s2] for s2 in range(3) if P[s, a, s2]} for s in range(3) for a in range(2)}
    for layout in (per_action, as_dict):
        m = from_arrays(layout, q=q, initial=0, horizon=2, prior="uniform", success=success, rationalize=1e-12)
        assert pc.goal_condition(m)["s0@t0"] == pc.goal_condition(dense)["s0@t0"]
        assert pc.success_probability(m) == pc.success_probability(dense)


def test_prior_array_time_dependent_and_terminal_states():
    P, q, success = hand_mdp()
    prior = np.array([[[F(1, 4), F(3, 4)]] * 3, [[F(1), F(0)]] * 3], dtype=object)  # p[t, s, a]
    m = from_arrays(P, q=q, initial=0, horizon=2, prior=prior, success=success, terminal=[2])
    assert m.prior_policy()["s0@t0"] == {"a0": sp.Rational(1, 4), "a1": sp.Rational(3, 4)}
    assert m.prior_policy()["s1@t1"] == {"a0": 1, "a1": 0}
    assert "s2@t1" in m.states and m.terminal[m.index["s2@t1"]]   # entered s2: the episode ended
    assert m.success[m.index["s2@t1"]] == 1


def test_rewards_are_log_likelihoods():
    P, _, success = hand_mdp()
    R = np.array([[0.0, -np.inf], [0.0, 0.0], [0.0, 0.0]])
    m = from_arrays(P, R, initial=0, horizon=1, prior="uniform", success=success)
    assert pc.goal_condition(m)["s0@t0"] == {"a0": 1, "a1": 0}     # q(s0, a1) = exp(-inf) = 0
    R[1, 0] = 0.5
    with pytest.raises(ModelError, match=r"R\[1, 0\] = 0.5 > 0.*R - R.max\(\)"):
        from_arrays(P, R, initial=0, horizon=2, prior="uniform", success=success)
    with pytest.raises(ModelError, match="not in the paper's model"):
        from_arrays(P, np.zeros((3, 2, 3)), initial=0, horizon=2, prior="uniform", success=success)


@pytest.mark.parametrize("kwargs, message", [
    (dict(q=1, initial=0, horizon=2, prior="uniform"), r"success is required: state 's\d' ends an episode at the horizon cut"),
    (dict(q=1, initial=0, horizon=2, success=0), r"prior is required.*prior='uniform'"),
    (dict(q=1, horizon=2, prior="uniform", success=0), r"initial is required"),
    (dict(initial=0, horizon=2, prior="uniform", success=0), r"give the likelihood explicitly"),
    (dict(q=2, initial=0, horizon=2, prior="uniform", success=0), r"q = 2 is outside \[0, 1\]"),
    (dict(q=1, initial=0, horizon=0, prior="uniform", success=0), r"horizon=0 must be"),
    (dict(q=1, initial=0, horizon=2, prior=np.full((3, 2), 0.4), success=0), r"prior\[0, :\]: .* sum to 0.8"),
    # a float probability just below 0 is a rounding residue, not a probability (it used to
    # pass the importer's check within the float tolerance)
    (dict(q=1, initial=0, horizon=2, prior=np.array([[-1e-12, 1 + 1e-12]] * 3), success=0),
     r"prior\[0, :\]: .* include -1e-12, outside \[0, 1\]; a rounding residue\? np.clip the array to \[0, 1\]"),
])
def test_errors_name_the_value_and_the_fix(kwargs, message):
    P, _, _ = hand_mdp()
    with pytest.raises(ModelError, match=message):
        from_arrays(P, **kwargs)


def test_rationalize():
    assert simplest_rational(0.1, 1e-9) == F(1, 10)
    assert simplest_rational(1 / 3, 1e-12) == F(1, 3)
    assert simplest_rational(0.1, 0) == F(0.1)
    P, q, success = hand_mdp()
    prior = np.array([[0.1, 0.9]] * 3)
    exact = from_arrays(P, q=q, initial=0, horizon=2, prior=prior, success=success, rationalize=1e-9)
    assert exact.prior_policy()["s0@t0"]["a0"] == sp.Rational(1, 10)
    assert exact.exact and "[rationalized tol=1e-09]" in repr(exact) and "1e-09" in exact.source
    assert arrays_graph(P, q=q, initial=0, horizon=2, prior=prior, success=success,
                        rationalize=1e-9).graph["rationalized"] == 1e-9
    binary = from_arrays(P, q=q, initial=0, horizon=2, prior=prior, success=success)
    assert binary.prior_policy()["s0@t0"]["a0"] == sp.Rational(3602879701896397, 36028797018963968)
    assert "inexact (float inputs)" in repr(binary) and "rationalized" not in repr(binary)
    # rationalizing each entry can break a sum: an error, never a silent renormalisation
    bad = np.array([[0.2, 0.2, 0.6]])
    with pytest.raises(ModelError, match=r"sum to 11/10, not 1; the values rationalized within 0.06"):
        from_arrays({(0, 0): dict(enumerate(bad[0]))}, q=1, initial=0, horizon=1, prior="uniform",
                    success=1, rationalize=0.06)


# --------------------------------------------------------------------------- gymnasium layout (no gymnasium needed)

def test_duplicate_outcomes_are_merged():
    # Gymnasium lists some outcomes twice (FrozenLake's slip into a wall): probabilities are added.
    P = {0: {0: [(0.25, 1, 0, False), (0.25, 1, 0, False), (0.5, 2, 1, True)]},
         1: {0: [(1.0, 2, 1, True)]}, 2: {0: [(1.0, 2, 0, True)]}}
    env = SimpleNamespace(P=P, initial_state_distrib=[1.0, 0.0, 0.0])
    G = gymnasium_graph(env, horizon=2, success="reward", horizon_success=0)
    edges = {(u, v): d for u, v, _, d in G.edges(keys=True, data=True)}
    merged = edges[("s0@t0", "s1@t1")]["prob"]   # a float input stays marked as one, with its exact value
    assert isinstance(merged, sp.Float) and sp.Rational(merged) == sp.Rational(1, 2)
    assert G.nodes["s2@t1"]["success"] == 1 and G.out_degree("s2@t1") == 0
    m = from_gymnasium(env, horizon=2, success="reward", horizon_success=0)
    assert pc.success_probability(m) == 1


def test_gym_mapping_errors():
    P = {0: {0: [(1.0, 1, -1, False)]}, 1: {0: [(1.0, 1, 0, True)]}}
    env = SimpleNamespace(P=P, initial_state_distrib=[1.0, 0.0])
    with pytest.raises(ModelError, match="success=None: say what a terminal transition means"):
        from_gymnasium(env, horizon=2)
    with pytest.raises(ModelError, match=r"P\[0\]\[0\]\[0\] \(to state 1\) has reward -1, which nothing reads"):
        from_gymnasium(env, horizon=2, success="terminated", horizon_success=0)
    with pytest.raises(ModelError, match="horizon_success is required: state 1 is still running at the horizon 1"):
        from_gymnasium(env, horizon=1, success="terminated", likelihood="exp")
    m = from_gymnasium(env, horizon=1, success="terminated", likelihood="exp", horizon_success=1)
    assert m.likelihood[m._pair_index[("s0@t0", "a0")]] == sp.exp(-1)
    with pytest.raises(ModelError, match="would both read the terminal rewards"):
        from_gymnasium(env, horizon=1, success="reward", likelihood="exp", horizon_success=1)


# --------------------------------------------------------------------------- real toy-text environments

def _frozen_lake():
    gym = pytest.importorskip("gymnasium")
    return gym.make("FrozenLake-v1", map_name="4x4", is_slippery=True)


def test_frozen_lake_duplicates_and_exact_values():
    env = _frozen_lake()
    P0 = env.unwrapped.P[0][0]   # LEFT from the corner: two of the three slips stay in state 0
    assert [o[1] for o in P0].count(0) == 2
    G = gymnasium_graph(env, horizon=1, success="reward", horizon_success=0)
    stay = F(P0[0][0]) + F(P0[1][0])           # the exact sum of the two binary floats
    assert sp.Rational(G["s0@t0"]["s0@t1"]["left"]["prob"]) == sp.Rational(stay.numerator, stay.denominator)
    G = gymnasium_graph(env, horizon=1, success="reward", horizon_success=0, rationalize=1e-9)
    assert G["s0@t0"]["s0@t1"]["left"]["prob"] == sp.Rational(2, 3)


def test_frozen_lake_success_probability_by_forward_recursion():
    env = _frozen_lake()
    m = from_gymnasium(env, horizon=6, success="reward", horizon_success=0, rationalize=1e-9)
    assert m.exact and m.horizon == 6 and "s15@t6" in m.states
    # independent check: forward distribution under the uniform prior, goal reward 1 absorbs
    P = env.unwrapped.P
    dist, won = {0: F(1)}, F(0)
    for _ in range(6):
        nxt = {}
        for s, w in dist.items():
            for a in range(4):
                for p, s2, r, done in P[s][a]:
                    mass = w * F(1, 4) * simplest_rational(p, 1e-9)
                    if done:
                        won += mass * r
                    else:
                        nxt[s2] = nxt.get(s2, 0) + mass
        dist = nxt
    assert pc.success_probability(m) == sp.Rational(won.numerator, won.denominator)
    assert set(pc.goal_condition(m)["s0@t0"]) == {"left", "down", "right", "up"}


def test_frozen_lake_verify_model_runs():
    env = _frozen_lake()
    # start next to the goal (state 14) so that success is reachable within a small horizon
    m = from_gymnasium(env, horizon=2, success="reward", horizon_success=0, rationalize=1e-9, initial=14)
    result = verify_model(m, claim_ids=FAST_CLAIMS)
    assert {c.claim_id for c in result.claims} >= set(FAST_CLAIMS)


def test_cliff_walking_verify_model_runs():
    gym = pytest.importorskip("gymnasium")
    env = gym.make("CliffWalking-v1")
    P = env.unwrapped.P
    with pytest.raises(ModelError, match="which nothing reads"):
        from_gymnasium(env, horizon=2, success="terminated", horizon_success=1)

    def q(s, a):   # stepping into the cliff halves the likelihood; ordinary steps cost nothing
        return F(1, 2) if any(r == -100 for _, _, r, _ in P[s][a]) else 1

    m = from_gymnasium(env, horizon=2, success="terminated", horizon_success=1, likelihood=q, rationalize=1e-9)
    assert m.name.startswith("CliffWalking-v1, horizon 2") and m.exact and m.deterministic
    assert m.states[0] == "s36@t0" and pc.goal_condition(m)["s36@t0"]["right"] < sp.Rational(1, 4)
    result = verify_model(m, claim_ids=FAST_CLAIMS)
    assert {c.claim_id for c in result.claims} >= set(FAST_CLAIMS)
    # the paper's mapping q = exp(r): exact symbolic likelihoods
    m = from_gymnasium(env, horizon=1, success="terminated", horizon_success=1, likelihood="exp")
    assert m.likelihood[m._pair_index[("s36@t0", "right")]] == sp.exp(-100)
