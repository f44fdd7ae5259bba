"""BRIDGE .npz import/export (spec section 9)."""

import networkx as nx
import numpy as np
import pytest
import sympy as sp

from proofcheck.engine import goal_condition
from proofcheck.engine.effective_horizon import effective_horizon
from proofcheck.errors import CaseFileError, ModelError
from proofcheck.examples import mountain_race
from proofcheck.io.bridge import (BridgeMDP, bridge_problem, bridge_to_mdp, case_to_bridge,
                                     load_npz, save_npz)
from proofcheck.model.mdp import from_graph


def random_bridge(seed, S=6, A=3):
    rng = np.random.default_rng(seed)
    tr = rng.integers(-1, S, size=(S, A))
    rw = rng.normal(size=(S, A)).astype(np.float32)
    return tr, rw


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_npz_round_trip_arrays_and_results(tmp_path, seed):
    tr, rw = random_bridge(seed)
    f = tmp_path / "m.npz"
    save_npz(f, tr, rw)
    B = load_npz(f)
    assert B.transitions.dtype == tr.dtype and np.array_equal(B.transitions, tr)
    assert B.rewards.dtype == np.float32 and np.array_equal(B.rewards, rw)
    # export -> import -> identical effective-horizon results (exact backend)
    a = effective_horizon(bridge_problem((tr, rw), 4)).as_dict()
    b = effective_horizon(bridge_problem(B, 4)).as_dict()
    a.pop("name"), b.pop("name")
    assert a == b
    # and a second round trip is bit-identical
    save_npz(tmp_path / "again.npz", B.transitions, B.rewards)
    C = load_npz(tmp_path / "again.npz")
    assert np.array_equal(C.transitions, tr) and np.array_equal(C.rewards, rw)


def test_rewards_are_converted_exactly():
    x = np.float32(0.1)  # not 1/10: the nearest float32
    P = bridge_problem((np.array([[-1]]), np.array([[x]])), 1)
    assert P.layers[0].reward[0] == sp.Rational(13421773, 134217728)
    assert P.layers[0].reward[0] != sp.Rational(1, 10)


def test_case_file_export(tmp_path):
    # a deterministic case MDP without log 0 and without near-ties: its float32 export has
    # the same min_k, planning window and bound-based H as the exact original
    G = nx.MultiDiGraph(initial="s", default_prior="uniform")
    G.add_edge("s", "x", key="a", q="1/2")
    G.add_edge("s", "y", key="b", q="1")
    G.add_edge("x", "x1", key="a", q="1")
    G.add_edge("x", "x2", key="b", q="1/10")
    G.add_edge("y", "y1", key="a", q="1/3")
    G.add_edge("y", "y2", key="b", q="1/3")
    mdp = from_graph(G)
    tr, rw, T = case_to_bridge(mdp)
    assert tr[0].tolist() == [1, 2] and T == 2
    save_npz(tmp_path / "c.npz", tr, rw)
    B = load_npz(tmp_path / "c.npz")
    a, b = effective_horizon(mdp), effective_horizon(bridge_problem(B, T))
    assert (a.min_k, a.planning_window, a.H_k) == (b.min_k, b.planning_window, b.H_k)
    with pytest.raises(ModelError, match="log 0"):
        case_to_bridge(mountain_race())


def test_shift_keeps_goal_conditioned_policy():
    # s0: a0 ends early with reward 1; a1 -> s1 with 0.  s1 (last step): rewards 2 and 0.
    # Trajectory posterior of the uniform prior (rewards as log-likelihoods, any sign):
    # weights e/2, e^2/4, 1/4, so G(p)(a0 | s0) = (e/2) / (e/2 + e^2/4 + 1/4), and at s1
    # G(p)(a0 | s1) = e^2 / (e^2 + 1).
    tr = np.array([[-1, 1], [-1, -1]])
    rw = np.array([[1, 0], [2, 0]], dtype=np.float32)
    mdp, shifts = bridge_to_mdp((tr, rw), 2)
    # shifts by hand: c_1 = 2; tail_0 = 2, c_0 = max(1 - 2, 0) = 0
    assert shifts == [0, 2]
    assert all(q <= 1 for q in mdp.likelihood)
    pi = goal_condition(mdp)
    e = sp.E
    assert sp.simplify(pi.prob((0, 0), 0) - (e / 2) / (e / 2 + e ** 2 / 4 + sp.Rational(1, 4))) == 0
    assert sp.simplify(pi.prob((1, 1), 0) - e ** 2 / (e ** 2 + 1)) == 0


def test_bad_files(tmp_path):
    f = tmp_path / "bad.npz"
    np.savez(f, transitions=np.array([[0]]))
    with pytest.raises(CaseFileError, match="rewards"):
        load_npz(f)
    with pytest.raises(CaseFileError, match="no such file"):
        load_npz(tmp_path / "missing.npz")
    np.savez(f, transitions=np.array([[3]]), rewards=np.array([[0.0]], dtype=np.float32))
    with pytest.raises(CaseFileError, match=r"transitions\[0, 0\] = 3"):
        load_npz(f)


def test_time_expand_matches_bridge_unrolling():
    # the same DAG through both routes gives the same layers
    tr, rw, T = case_to_bridge(from_graph(nx.MultiDiGraph(
        [("s", "t", "a", {"q": "1/2"}), ("s", "u", "b", {"q": "1/4"})],
        initial="s", default_prior="uniform")))
    P = bridge_problem(BridgeMDP(tr, rw), T)
    assert [len(L.states) for L in P.layers] == [1]
    assert [float(r) for r in P.layers[0].reward] == pytest.approx([np.log(0.5), np.log(0.25)], rel=1e-7)
