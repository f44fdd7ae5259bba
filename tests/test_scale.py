"""The fast constructor and the float path, at small sizes (speed lives in benchmarks/).

Float results are compared with the exact engine on the *same* model: the random
layered generator draws small integers, so ``values="exact"`` and ``values="float"``
give the same MDP up to the rounding of each input (one ulp).

Tolerance: every float quantity is a DAG of sums and products of non-negative numbers
(``Zq``, ``Zv``, ``G``, ``S``), or a sum of terms of one sign (``J``), so its relative
error is at most ``gamma_M = M u / (1 - M u)`` with ``u = 2**-53`` and ``M`` the number of
roundings on the longest dependency chain (Higham, Accuracy and Stability of Numerical
Algorithms, ch. 3).  Per height level a value passes through at most ``K`` products
and sums over outcomes, one product with ``q``, ``A`` products and sums over actions,
plus one rounding per input value; the final reductions add up to ``n_pairs`` terms, one
logarithm adds a few ulps.  ``M = 4 (T (A + K + 4) + n_pairs)`` covers this with room.
``kappa`` mixes signs (KL terms), so its bound is absolute: ``gamma_M`` times the sum of
the absolute values of its terms.
"""

import os
import re

import numpy as np
import pytest
import sympy as sp

from proofcheck.engine import (
    FloatBackend,
    additive_return,
    get_backend,
    goal_condition,
    incoherence,
    occupancy,
    retrain,
    soft_values,
    success_probability,
)
from proofcheck.engine.backends import Backend
from proofcheck.errors import ModelError
from proofcheck.model.conventions import Conventions
from proofcheck.model.generators import layer_sizes, random_layered_mdp
from proofcheck.model.mdp import MDP, Policy, from_graph

U = 2.0 ** -53


def gamma(M):
    return M * U / (1 - M * U)


def _pair(n, A, T, K, seed):
    kw = dict(horizon=T, seed=seed, successors=K)
    return (random_layered_mdp(n, A, values="float", **kw),
            random_layered_mdp(n, A, values="exact", **kw))


@pytest.mark.parametrize("csr", [False, True])
@pytest.mark.parametrize("n,A,T,K,seed", [(13, 3, 3, 1, 0), (13, 3, 3, 2, 1), (21, 2, 4, 3, 7)])
def test_float_path_matches_exact_within_float64_bound(n, A, T, K, seed, csr, monkeypatch):
    if csr:  # force the scipy.sparse path even on a small model
        pytest.importorskip("scipy.sparse")
        monkeypatch.setattr(FloatBackend, "CSR_MIN_EDGES", 0)
    fm, em = _pair(n, A, T, K, seed)
    M = 4 * (T * (A + K + 4) + fm.n_pairs)
    g = gamma(M)
    F = get_backend("float")

    def close(x, exact, bound):
        ex = float(sp.N(exact, 30))
        if not np.isfinite(ex):  # -inf returns compare as equal infinities
            assert x == ex, (x, ex)
            return
        assert abs(x - ex) <= bound, (x, ex, bound)

    sv_f, sv_e = soft_values(fm, backend=F), soft_values(em)
    for a, b in zip(sv_f.zv, sv_e.zv):
        close(a, b, g * abs(float(b)))
    for a, b in zip(sv_f.zq, sv_e.zq):
        close(a, b, g * abs(float(b)))
    pols_f, pols_e = retrain(fm, 3, backend=F), retrain(em, 3)
    for pf, pe in zip(pols_f, pols_e):
        for a, b in zip(pf.values, pe.values):
            close(a, b, gamma(3 * M) * abs(float(b)))
        close(success_probability(fm, pf, backend=F), success_probability(em, pe),
              gamma(3 * M) * float(success_probability(em, pe)))
        jf, je = additive_return(fm, pf, backend=F), additive_return(em, pe)
        close(jf, je, gamma(4 * M) * abs(float(je)) if je != -sp.oo else 0)
        kf, ke = incoherence(fm, pf, backend=F), incoherence(em, pe)
        d = occupancy(fm, pf, backend=F)[fm.pair_state]
        soft = goal_condition(fm, pf, backend=F).values  # delta = 1: Boltzmann = G
        scale = float(np.sum(d * pf.values * (np.abs(np.log(pf.values)) + np.abs(np.log(soft)))))
        close(kf, ke, gamma(4 * M) * (scale + abs(float(kf))))


def test_float_path_never_falls_back_to_object_arrays(monkeypatch):
    m = random_layered_mdp(200, 4, horizon=5, seed=3, successors=2)
    F = FloatBackend()

    def boom(*a, **k):
        raise AssertionError("object-array fallback hit on the float path")

    monkeypatch.setattr(Backend, "map", boom)
    monkeypatch.setattr(FloatBackend, "map", boom)
    monkeypatch.setattr(FloatBackend, "_convert", boom)
    sv = soft_values(m, backend=F)
    g = goal_condition(m, backend=F)
    outs = [sv.zq, sv.zv, g.values, occupancy(m, g, backend=F)]
    outs += [np.array([incoherence(m, g, backend=F), additive_return(m, g, backend=F),
                       success_probability(m, g, backend=F)])]
    for arr in outs:
        assert arr.dtype == np.float64
    # the converted arrays are the model's own arrays: no copy, no conversion
    assert m.converted(F)["likelihood"] is m.likelihood


def test_exact_backend_refuses_float_model():
    m = random_layered_mdp(9, 2, horizon=2, seed=0)
    with pytest.raises(ModelError, match="from_arrays"):
        soft_values(m)
    assert m.exact is False


def test_from_arrays_reorders_scrambled_states_like_from_graph():
    # the mountain race with states listed in a scrambled order
    import networkx as nx
    names = ["gold", "start", "chasm", "forest", "mountain", "silver_up", "silver_down"]
    pairs = {"start": [("up", "mountain"), ("down", "forest")],
             "mountain": [("up", "gold"), ("down", "chasm")],
             "forest": [("up", "silver_up"), ("down", "silver_down")]}
    succ = {"gold": 1, "chasm": 0, "silver_up": sp.Rational(3, 4), "silver_down": sp.Rational(3, 4)}
    state_ptr, pair_ptr, target, action = [0], [0], [], []
    for s in names:
        for a, t in pairs.get(s, []):
            action.append(a)
            target.append(names.index(t))
            pair_ptr.append(len(target))
        state_ptr.append(len(action))
    half = [sp.Rational(1, 2)] * len(action)
    m = MDP.from_arrays(state_ptr=state_ptr, pair_ptr=pair_ptr, edge_target=target,
                        edge_prob=[1] * len(target), prior=half, likelihood=[1] * len(action),
                        success=[succ.get(s, 1) for s in names],
                        initial=[1 if s == "start" else 0 for s in names],
                        states=names, pair_action=action)
    assert m.states[0] == "start" and m.horizon == 2
    G = nx.MultiDiGraph(initial="start")
    for s, acts in pairs.items():
        for a, t in acts:
            G.add_edge(s, t, key=a, prior="1/2")
    for s, v in succ.items():
        G.nodes[s]["success"] = v
    ref = from_graph(G)
    sv, sv_ref = soft_values(m), soft_values(ref)
    for s in names:
        assert sv.Zv(s) == sv_ref.Zv(s)
    assert goal_condition(m)["start"] == {"up": sp.Rational(2, 5), "down": sp.Rational(3, 5)}


def test_from_arrays_integer_states_and_lazy_indices():
    # state 0 -> terminal 2 directly, state 1 -> 0: given out of topological order
    m = MDP.from_arrays(state_ptr=[0, 1, 2, 2], pair_ptr=[0, 1, 2], edge_target=[2, 0],
                        edge_prob=np.ones(2), prior=np.ones(2), likelihood=np.array([0.5, 0.5]),
                        initial=np.array([0.0, 1.0, 0.0]))
    assert m.states == (1, 0, 2)
    assert m.index[1] == 0 and 5 not in m.index
    assert m.pair(0, 0) == 1
    with pytest.raises(ModelError):
        m.pair(0, 7)
    assert soft_values(m, backend="float").Zv(1) == 0.25


def test_from_arrays_rejects_cycles_and_bad_sums():
    with pytest.raises(ModelError, match="cycle"):
        MDP.from_arrays(state_ptr=[0, 1, 2, 2], pair_ptr=[0, 1, 2], edge_target=[1, 0],
                        edge_prob=np.ones(2), prior=np.ones(2), likelihood=np.ones(2),
                        initial=np.array([1.0, 0, 0]))
    with pytest.raises(ModelError, match="prior sums"):
        MDP.from_arrays(state_ptr=[0, 2, 2], pair_ptr=[0, 1, 2], edge_target=[1, 1],
                        edge_prob=np.ones(2), prior=np.array([0.5, 0.6]), likelihood=np.ones(2),
                        initial=np.array([1.0, 0]))


def test_from_arrays_names_the_array_and_the_fix():
    base = dict(state_ptr=[0, 2, 2, 2], pair_ptr=[0, 1, 2], edge_target=[1, 2], edge_prob=np.ones(2),
                prior=np.array([0.5, 0.5]), likelihood=np.array([1.0, 0.25]), initial=np.array([1.0, 0, 0]))
    for change, message in (
            # NaN was "likelihood[0] = nan is outside [0, 1]"
            ({"likelihood": np.array([np.nan, 0.25])}, "from_arrays: likelihood[0] is NaN; give a probability in [0, 1]"),
            # a (1, 2) array was "prior has 1 entries, expected 2"
            ({"prior": np.array([[0.5, 0.5]])}, "from_arrays: prior has shape (1, 2); give a 1-d array of 2 entries"),
            # an int array among float ones: which one, and how to make it float
            ({"prior": np.array([1, 0])}, "from_arrays: mix of float64 and exact value arrays (prior (int64) not float); "
                                          "give all values as float64 (e.g. np.asarray(prior, dtype=float))")):
        with pytest.raises(ModelError, match=re.escape(message)):
            MDP.from_arrays(**{**base, **change})


def test_layer_sizes_and_determinism():
    assert layer_sizes(1 + 3 * 5, horizon=3) == [1, 5, 5, 5]
    a = random_layered_mdp(50, 3, width=7, seed=11, successors=2)
    b = random_layered_mdp(50, 3, width=7, seed=11, successors=2)
    assert np.array_equal(a.edge_target, b.edge_target) and np.array_equal(a.prior, b.prior)
    assert a.n_states == 50 and a.n_pairs == 3 * (50 - layer_sizes(50, width=7)[-1])
    with pytest.raises(ModelError):
        random_layered_mdp(1, 2, horizon=1)


def test_float_map_returns_float64():
    out = FloatBackend().map(lambda a, b: a * b, np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    assert out.dtype == np.float64 and list(out) == [3.0, 8.0]


def test_sparse_and_numpy_float_paths_agree(monkeypatch):
    pytest.importorskip("scipy.sparse")
    m = random_layered_mdp(3001, 4, width=300, seed=2, successors=3)  # 36000 edges: CSR path
    assert len(m.edge_target) >= FloatBackend.CSR_MIN_EDGES
    F = get_backend("float")
    sparse = soft_values(m, backend=F)
    plan = m._converted["float64:plan"]  # the fused pass's per-level structure
    assert any(lv.csr is not None for lv in plan.levels)  # the CSR path was taken
    monkeypatch.setattr(FloatBackend, "CSR_MIN_EDGES", 10 ** 12)
    dense = soft_values(m, backend=F)
    # same sums in possibly another order: a few ulps at most (relative 2**-50)
    assert np.all(np.abs(sparse.zv - dense.zv) <= 2.0 ** -50 * np.abs(dense.zv))
    assert np.all(np.abs(sparse.zq - dense.zq) <= 2.0 ** -50 * np.abs(dense.zq))


def test_random_layered_mdp_rejects_q_min_out_of_range():
    for bad in (9, -1, 1.5):
        with pytest.raises(ModelError, match="q_min"):
            random_layered_mdp(9, 2, horizon=2, q_min=bad)


def _policy_with_zeros(m, F, seed):
    """The prior with about a fifth of its entries set to 0 and each state renormalised (a
    state left with none keeps the prior)."""
    rng = np.random.default_rng(seed)
    vals = m.prior.copy()
    vals[rng.random(len(vals)) < 0.2] = 0.0
    counts = np.diff(m.state_ptr)[~m.terminal]
    tot = np.add.reduceat(vals, m.state_ptr[:-1][~m.terminal])
    vals = np.where(np.repeat(tot, counts) == 0, m.prior, vals / np.repeat(np.where(tot == 0, 1, tot), counts))
    return Policy(m, vals, F)


@pytest.mark.parametrize("impossible", ["keep", "uniform"])
@pytest.mark.parametrize("delta", [1, 2, sp.Rational(1, 2)])
@pytest.mark.parametrize("shape", [dict(n_actions=3, successors=1), dict(n_actions=2, successors=2)])
def test_fused_float_passes_equal_the_generic_level_code(monkeypatch, impossible, delta, shape):
    # q_min = 0: some Zq and Zv are 0 (the impossible rule applies, KL terms may be +inf);
    # a policy with zeros: rel_entr's 0 * log 0 and 0 * inf conventions
    m = random_layered_mdp(400, horizon=4, seed=5, q_min=0, **shape)
    F = get_backend("float")
    conv = Conventions(impossible=impossible)
    pol = _policy_with_zeros(m, F, seed=1)
    fused = (soft_values(m, pol, backend=F), goal_condition(m, pol, backend=F, conventions=conv),
             incoherence(m, pol, "boltzmann", backend=F, conventions=conv, delta=delta))
    monkeypatch.setattr(FloatBackend, "fused_pass", Backend.fused_pass)
    generic = (soft_values(m, pol, backend=F), goal_condition(m, pol, backend=F, conventions=conv),
               incoherence(m, pol, "boltzmann", backend=F, conventions=conv, delta=delta))
    assert np.allclose(fused[0].zv, generic[0].zv, rtol=1e-14, atol=0)
    assert np.allclose(fused[0].zq, generic[0].zq, rtol=1e-14, atol=0)
    assert np.allclose(fused[1].values, generic[1].values, rtol=1e-14, atol=1e-300)
    k_f, k_g = float(fused[2]), float(generic[2])
    assert k_f == k_g if not np.isfinite(k_g) else k_f == pytest.approx(k_g, rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("impossible", ["keep", "uniform"])
@pytest.mark.parametrize("delta", [1, sp.Rational(1, 2)])
@pytest.mark.parametrize("shape", [dict(n_actions=3, successors=1), dict(n_actions=2, successors=2)])
def test_threaded_fused_passes_are_bit_for_bit_the_single_thread_results(monkeypatch, impossible, delta, shape):
    # small chunks, so that each level of a 400-state model has several and the threads
    # really split them; q_min = 0 and a policy with zeros: dead rows, +inf and NaN terms
    from proofcheck.engine.backends.float import _plan, _workers
    monkeypatch.setattr(FloatBackend, "CHUNK_PAIRS", 16)
    m = random_layered_mdp(400, horizon=4, seed=5, q_min=0, **shape)
    F = get_backend("float")
    conv = Conventions(impossible=impossible)
    pol = _policy_with_zeros(m, F, seed=2)

    def passes(workers):
        monkeypatch.setattr(FloatBackend, "WORKERS", workers)
        return (soft_values(m, pol, backend=F), goal_condition(m, pol, backend=F, conventions=conv),
                incoherence(m, pol, "boltzmann", backend=F, conventions=conv, delta=delta))

    one, three = passes(1), passes(3)
    plan = _plan(m, m.converted(F)["edge_prob"], 16)
    if shape["successors"] == 1:  # chunked levels (A actions, one outcome): the threads split them
        assert _workers(3, plan, True) == 3 and _workers(1, plan, True) == 1 and _workers(3, plan, False) == 1
    for a, b in ((one[0].zv, three[0].zv), (one[0].zq, three[0].zq), (one[1].values, three[1].values),
                 (np.array([float(one[2])]), np.array([float(three[2])]))):
        assert a.tobytes() == b.tobytes()  # bit for bit, NaN and -0.0 included


def test_threaded_kl_passes_from_several_caller_threads(monkeypatch):
    # callers on several threads share the pool, and models asking for different numbers
    # of threads make it grow while others submit to it: every result is the serial one
    from concurrent.futures import ThreadPoolExecutor

    from proofcheck.engine.backends import float as float_backend
    monkeypatch.setattr(FloatBackend, "CHUNK_PAIRS", 16)
    monkeypatch.setattr(FloatBackend, "WORKERS", 16)
    monkeypatch.setattr(float_backend, "_POOL", [])
    F = get_backend("float")
    models = [random_layered_mdp(n, horizon=4, seed=s) for n, s in ((100, 1), (400, 2), (1600, 3))]
    pols = [_policy_with_zeros(m, F, seed=4) for m in models]
    assert sorted(F.fused_threads(m) for m in models) == [7, 16, 16]  # pools of 8, then 16

    def kappa(i):
        return float(incoherence(models[i], pols[i], "boltzmann", backend=F))

    serial = [kappa(i) for i in range(3)]
    float_backend._POOL.clear()
    with ThreadPoolExecutor(max_workers=6) as callers:
        got = list(callers.map(kappa, [0, 1, 2] * 8))
    assert got == serial * 8


def _kappa_in_child(queue):
    from proofcheck.engine.backends.float import FloatBackend
    FloatBackend.CHUNK_PAIRS, FloatBackend.WORKERS = 16, 2
    m = random_layered_mdp(400, horizon=4, seed=2)
    queue.put(float(incoherence(m, None, "boltzmann", backend="float")))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_threaded_kl_pass_in_a_forked_child(monkeypatch):
    # the parent's pool has threads; a forked child inherits the pool object without them
    # and must make its own (else its tasks wait for threads that do not exist)
    import multiprocessing
    monkeypatch.setattr(FloatBackend, "CHUNK_PAIRS", 16)
    monkeypatch.setattr(FloatBackend, "WORKERS", 2)
    m = random_layered_mdp(400, horizon=4, seed=2)
    expected = float(incoherence(m, None, "boltzmann", backend="float"))  # the pool now exists
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_kappa_in_child, args=(queue,))
    child.start()
    child.join(120)  # a hang guard, not a timing check: the child needs well under a second
    alive = child.is_alive()
    if alive:
        child.kill()
    assert not alive and child.exitcode == 0
    assert queue.get(timeout=10) == expected
