"""Effective horizon (spec section 9) against hand computation on tiny deterministic MDPs.

Every expected number below is worked out by hand in the comments (tabular MDPs in the
BRIDGE layout: ``tr[s, a]`` next state, -1 = the episode ends; ``rw[s, a]`` reward).
"""

import math

import networkx as nx
import numpy as np
import pytest
import sympy as sp

from proofcheck.engine.effective_horizon import (
    HBound,
    cross_check,
    effective_horizon,
    horizon_values,
    min_k,
    tabular_problem,
    time_expand,
)
from proofcheck.errors import ModelError
from proofcheck.examples import mountain_race, stochastic_counterexample
from proofcheck.model.mdp import from_graph
from proofcheck.numerics.gorp import estimate_m, gorp_success_rate, wilson_interval


def spread_mdp():
    # T = 2.  s0 -a0-> s1, s0 -a1-> s2 (reward 0).  s1: a0 ends with 3, a1 ends with 1.
    # s2: both end with 0.
    # Q^rand_1(s1) = (3, 1), V^rand = 2;  Q^rand_1(s2) = (0, 0).
    # Q^rand_0(s0) = (2, 0);  Q*_0 = (3, 0);  Q^worst_0 = (1, 0).
    tr = np.array([[1, 2], [-1, -1], [-1, -1]])
    rw = np.array([[0, 0], [3, 1], [0, 0]], dtype=np.float32)
    return tabular_problem(tr, rw, 2, name="spread")


def deep_mdp():
    # T = 3.  t0: s0;  t1: s1, s2;  t2: s3, s4.
    # s0: a0 -> s1, a1 -> s2 (0).  s1: a0 -> s3, a1 -> s4 (0).  s2: a0, a1 -> s4 (1).
    # s3: a0 ends with 4, a1 ends with 0.  s4: both end with 0.
    # t2: Q^rand(s3) = (4, 0) V = 2;  Q*(s3) = (4, 0);  Q^w(s3) = (4, 0), V^w = 0.  s4: 0.
    # t1: s1: Q^rand = (2, 0) V = 1;  Q* = (4, 0);  Q^w = (0, 0).   s2: all (1, 1).
    # t0: s0: Q^rand = (1, 1)  <- an exact tie;  Q* = (4, 1);  Q^w = (0, 1).
    tr = np.array([[1, 2], [3, 4], [4, 4], [-1, -1], [-1, -1]])
    rw = np.array([[0, 0], [0, 0], [1, 1], [4, 0], [0, 0]], dtype=np.float32)
    return tabular_problem(tr, rw, 3, name="deep")


def test_values_by_hand():
    hv = horizon_values(deep_mdp())
    assert hv.exact("q_rand", 0) == [1, 1]
    assert hv.exact("q_star", 0) == [4, 1]
    assert hv.exact("q_worst", 0) == [0, 1]
    # layer 1 holds s1, s2 in that order
    assert hv.exact("q_rand", 1) == [2, 0, 1, 1]
    assert hv.exact("v_rand", 1) == [1, 1]
    assert list(hv.optimal[0]) == [True, False]


def test_spread_min_k_window_and_bound():
    eh = effective_horizon(spread_mdp())
    # k = 1: greedy on Q^rand at s0 is a0 (2 > 0), optimal; at s1 Q^1 = R = (3, 1): a0, optimal.
    assert eh.min_k == 1
    # window: Q^1 = R ties (0, 0) at s0, a1 is greedy and not optimal; Q^2 = (3, 0): window 2.
    assert eh.planning_window == 2
    k1 = eh.per_k[0]
    # Theorem 5.4, k = 1, T = 2, A = 2: ln(2 T A^k) = ln 8.
    # s0: Delta = Q^1(a0) - Q^1(a1) = 2; sigma2_1(s0, a0) = (2 - 1)(3 - 1) = 2, (s0, a1) = 0.
    #     16 * 2 / 2^2 * ln 8 = 8 ln 8 = 16.6355...  -> 17.
    # s1: sigma2_1 = (3-3)(3-3) = 0 -> 0.   m_1 <= 17, H_1 <= 1 + log_2 17.
    assert 16 < 8 * math.log(8) < 17
    assert k1.solvable and k1.m_bound == 17
    assert k1.argmax_state == (0, 0)
    assert sp.simplify(k1.h_bound - (1 + sp.log(17) / sp.log(2))) == 0
    # k = 2 = T: sigma2_{2,0}(s0, .) = max sigma2_{1,1} = 0 -> m = 1, H_2 = 2 < 1 + log2 17.
    assert eh.per_k[1].m_bound == 1
    assert eh.H == 2 and eh.H_k == 2


def test_deep_exact_tie_min_k_window_and_bound():
    eh = effective_horizon(deep_mdp())
    # k = 1: Q^rand(s0) = (1, 1) is an exact tie, a1 is greedy but not optimal -> fails at s0.
    k1 = eh.per_k[0]
    assert not k1.solvable and k1.witness == (0, 0, 1)
    # k = 2: Q^2_0(s0) = (0 + max(2, 0), 0 + max(1, 1)) = (2, 1) -> a0, optimal;
    #        Q^2_1(s1) = (0 + max(4, 0), 0 + 0) = (4, 0) -> a0;  Q^2_2(s3) = (4, 0) -> a0.
    assert eh.min_k == 2
    # window: Q^1 = R ties at s0; Q^2_0(s0) = (0 + max R(s1), 0 + max R(s2)) = (0, 1) picks a1,
    # not optimal; Q^3 = Q* -> 3.
    assert eh.planning_window == 3
    # bound for k = 2, ln(2 * 3 * 2^2) = ln 24.
    # sigma2_1: t1 s1 a0: (2 - 0)(4 - 0) = 8; t0 s0 a0: (1-0)(4-0) = 4; all others 0.
    # sigma2_2 at t0: s0 a0 -> s1: max(8, 0) = 8; s0 a1 -> s2: 0.
    # s0: Delta = 2 - 1 = 1 -> 16 * 8 / 1 * ln 24 = 128 ln 24 = 406.79... -> 407.
    # s1 (t1): Delta = 4 - 0, sigma2_2 = 0 -> 0;  s3 (t2): sigma2 = 0 -> 0.
    assert 406 < 128 * math.log(24) < 407
    k2 = eh.per_k[1]
    assert k2.solvable and k2.m_bound == 407 and k2.argmax_state == (0, 0)
    # k = 3 = T: m = 1, H_3 = 3 < 2 + log2 407 = 10.67.
    assert eh.per_k[2].m_bound == 1
    assert eh.H == 3 and eh.H_k == 3


def test_mountain_race_with_log_zero():
    # R: start/up 0, start/down 0; mountain/up log 1 = 0, mountain/down log 0 = -oo;
    # forest: log(3/4) twice.  Q^rand(start) = (0 + (0 - oo)/2, log 3/4) = (-oo, log 3/4):
    # greedy down, not optimal (Q* = (0, log 3/4)).  Q^2(start) = (0, log 3/4) -> up.
    eh = effective_horizon(mountain_race())
    assert eh.min_k == 2 and eh.per_k[0].witness == (0, "start", "down")
    # R ties at the start (0, 0): window 2.
    assert eh.planning_window == 2
    # k = 2: sigma2_{2,0} = max over the mountain/forest of sigma2_1, where mountain/down has
    # Q* = -oo (surely -oo: 0) and everything else is deterministic (0); at the mountain
    # Delta = 0 - (-oo) = oo -> 0.  m_2 <= 1, H = 2.
    assert eh.per_k[1].m_bound == 1 and eh.H == 2


def test_log_linear_exact_tie():
    # start: a0 (q = 1/4) -> x with two q = 1 leaves;  a1 (q = 1) -> y with q = 1/2 and 1/8.
    # Q^rand(a0) = log 1/4,  Q^rand(a1) = (log 1/2 + log 1/8)/2 = log 1/4: an exact tie
    # only a log identity reveals.  Q*(a1) = log 1/2 > Q*(a0) = log 1/4: a0 is not optimal.
    G = nx.MultiDiGraph(initial="start", default_prior="uniform")
    G.add_edge("start", "x", key="a0", q="1/4")
    G.add_edge("start", "y", key="a1", q="1")
    G.add_edge("x", "x0", key="a0", q="1")
    G.add_edge("x", "x1", key="a1", q="1")
    G.add_edge("y", "y0", key="a0", q="1/2")
    G.add_edge("y", "y1", key="a1", q="1/8")
    eh = effective_horizon(from_graph(G))
    assert eh.per_k[0].witness == (0, "start", "a0")
    assert eh.min_k == 2
    cc = cross_check(from_graph(G))
    assert cc["agree"] and cc["max_value_deviation"] < 1e-45


def test_exact_sign_reads_floats_exactly():
    from proofcheck.exact.sign import exact_sign
    # 0.1 * 3 rounds up in float arithmetic to 0.30000000000000004, but exactly the two
    # binary numbers differ by 2**-55: the log form is negative, not 0
    e = (sp.Mul(sp.Float(0.1), sp.log(8), evaluate=False)
         - sp.Mul(sp.Float(0.30000000000000004), sp.log(2), evaluate=False))
    assert exact_sign(e) == -1
    assert exact_sign(sp.Float(0.5) * sp.log(4) - sp.log(2)) == 0


def test_tolerance_mimics_reference_code():
    # T = 2.  s0: a0 -> s1, a1 -> s2 (0).  s1: ends with 1 or -1 (mean 0).  s2: both end with
    # 1 - 2^-20 (exact in float32).  Q^rand(s0) = (0, 1 - 2^-20): greedy a1.
    # Q*(s0) = (1, 1 - 2^-20): exactly, a1 is NOT optimal -> min_k = 2;
    # within tolerance 1e-4 it is -> min_k = 1.
    eps = 2.0 ** -20
    tr = np.array([[1, 2], [-1, -1], [-1, -1]])
    rw = np.array([[0, 0], [1, -1], [1 - eps, 1 - eps]], dtype=np.float32)
    assert float(rw[2, 0]) == 1 - eps
    P = tabular_problem(tr, rw, 2)
    assert min_k(horizon_values(P)) == 2
    assert min_k(horizon_values(P, tolerance=1e-4)) == 1
    assert effective_horizon(P, tolerance=1e-4).min_k == 1


@pytest.mark.parametrize("backend", ["mpmath:50", "float"])
def test_backends_agree_on_hand_mdps(backend):
    for P in (spread_mdp(), deep_mdp()):
        a, b = effective_horizon(P), effective_horizon(P, backend)
        assert (a.min_k, a.planning_window, a.H_k) == (b.min_k, b.planning_window, b.H_k)
        assert [r.m_bound for r in a.per_k] == [r.m_bound for r in b.per_k]


def test_cross_check_reports_agreement():
    cc = cross_check(deep_mdp())
    assert cc["agree"]
    assert cc["discrete"]["m_bounds"] == [[None, 407, 1], [None, 407, 1]]


def test_bad_inputs():
    with pytest.raises(ModelError, match="stochastic"):
        time_expand(stochastic_counterexample())
    with pytest.raises(ModelError, match="transitions"):
        tabular_problem(np.array([[5]]), np.array([[0.0]]), 1)
    with pytest.raises(ModelError, match="horizon"):
        tabular_problem(np.array([[0]]), np.array([[0.0]]), 0)


def test_gorp_simulation_matches_hand_probability():
    # deep_mdp, GORP(2, 1): at t0 the sequence (a0, a0) leads to s3, whose random last action
    # gives 4 or 0 (p = 1/2 each); (a1, .) gives 1.  a0 is fixed iff the rollout gives 4, and
    # the later steps then always succeed: P(success) = 1/2 exactly.  With m = 2:
    # P = 1 - 1/4 = 3/4.
    P = deep_mdp()
    # a 99.9% interval, so that a correct simulator fails this test for 1 seed in 1000
    rng = np.random.default_rng(0)
    n = 2000
    for m, p in ((1, 0.5), (2, 0.75)):
        ok = gorp_success_rate(P, 2, m, n, rng)
        lo, hi = wilson_interval(ok, n, z=3.2905)
        assert lo <= p <= hi, (m, ok)
    # k = 3 = T is exhaustive search: always succeeds, m_3 = 1.
    est = estimate_m(P, 3, runs=30, seed=1)
    assert est.m_estimate == 1 and est.rows[0][1] == 30


def test_gorp_estimate_is_seeded():
    a = estimate_m(spread_mdp(), 1, runs=25, seed=3).as_dict()
    b = estimate_m(spread_mdp(), 1, runs=25, seed=3).as_dict()
    assert a == b


def _enumerate(tr, rw, T, s=0):
    """Every action sequence from s by forward enumeration: (probability, return) pairs."""
    out = []
    stack = [(s, 0, sp.Integer(1), sp.Integer(0))]
    A = tr.shape[1]
    while stack:
        st, t, p, ret = stack.pop()
        for a in range(A):
            r = ret + sp.Rational(float(rw[st, a]))
            nxt = int(tr[st, a])
            if nxt < 0 or t + 1 == T:
                out.append((p / A, r))
            else:
                stack.append((nxt, t + 1, p / A, r))
    return out


@pytest.mark.parametrize("seed", range(4))
def test_values_against_trajectory_enumeration(seed):
    # an independent route: V^rand, V*, V^worst at the start from all action sequences
    rng = np.random.default_rng(seed)
    S, A, T = 5, 2 + seed % 2, 4
    tr = rng.integers(-1, S, size=(S, A))
    rw = rng.normal(size=(S, A)).astype(np.float32)
    paths = _enumerate(tr, rw, T)
    hv = horizon_values(tabular_problem(tr, rw, T))
    assert sum(p for p, _ in paths) == 1
    assert hv.exact("v_rand", 0)[0] == sum(p * r for p, r in paths)
    assert hv.exact("v_star", 0)[0] == max(r for _, r in paths)
    assert hv.exact("v_worst", 0)[0] == min(r for _, r in paths)
    cc = cross_check(tabular_problem(tr, rw, T))
    assert cc["agree"] and cc["max_value_deviation"] < 1e-40


def test_interval_backend_certifies_or_is_undecided():
    from proofcheck.errors import UndecidedError
    eh = effective_horizon(deep_mdp(), "interval:40")
    assert [r.m_bound for r in eh.per_k] == [None, 407, 1]
    # mountain race ties log(3/4) with log(3/4) in the forest: intervals cannot decide a tie
    with pytest.raises(UndecidedError):
        effective_horizon(mountain_race(), "interval:40")


def test_cli_horizon(tmp_path, capsys):
    import json
    from pathlib import Path

    from proofcheck.cli import main
    from proofcheck.io.bridge import save_npz
    case = Path(__file__).parents[1] / "cases" / "mountain_race.toml"
    assert main(["horizon", str(case), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["min_k"] == 2 and out["planning_window"] == 2 and out["cross_check"]["agree"]
    f = tmp_path / "deep.npz"
    save_npz(f, np.array([[1, 2], [3, 4], [4, 4], [-1, -1], [-1, -1]]),
             np.array([[0, 0], [0, 0], [1, 1], [4, 0], [0, 0]], dtype=np.float32))
    assert main(["horizon", str(f), "--horizon", "3", "--gorp-runs", "20"]) == 0
    text = capsys.readouterr().out
    assert "min_k = 2" in text and "407" in text and "GORP k=2" in text
    assert main(["horizon", str(f)]) == 2
    assert "--horizon" in capsys.readouterr().err


# ----------------------------------------------------------------------------- the corrected rule
# Spec section 9 (corrected): the Theorem 5.4 maximum runs over every state reached by actions
# that beat the best non-optimal one, not only the Q^k-greedy ones.

def wide_reach_mdp():
    # T = 3, A = 4.  s0: a0 -> sA, a1..a3 -> sB (reward 0).  sA: all four -> W.
    # sB: a0 -> W, a1..a3 -> Y.  W (last step): rewards 1, 0, 0, 0.  Y: 0.2, 0.1, 0.1, 0.1
    # (float32: 0.2 and 0.1 are read exactly as the binary numbers they are).
    # Q^rand: W -> 1/4, Y -> about 1/8; sA: (1/4)*4, so Q^rand(s0, a0) = 1/4;
    # sB: (1/4, 1/8, 1/8, 1/8), V = 5/32, so Q^rand(s0, a1..a3) = 5/32 < 1/4.
    # Q*: every action at s0 and sA is optimal (1); at sB only a0 (1 > 0.2).
    # Greedy play never reaches sB (the old rule saw only s0 and sA: nothing to bound, m_1 = 1).
    # The corrected rule follows a1..a3 too (s0 has no non-optimal action) and reaches sB:
    # Delta = 1/4 - Q^rand(Y) ~ 1/8, sigma2_1(sB, a0) = (1/4 - 0)(1 - 0) = 1/4 ->
    # 16 * (1/4) / (1/8)^2 * ln(2 * 3 * 4) = 256 ln 24 = 813.6 -> 814 (float32 0.1, 0.2 shift
    # Q^rand(Y) by ~1e-9, far from changing the ceiling).
    tr = np.array([[1, 2, 2, 2], [3, 3, 3, 3], [3, 4, 4, 4], [-1] * 4, [-1] * 4])
    rw = np.array([[0] * 4, [0] * 4, [0] * 4, [1, 0, 0, 0], [0.2, 0.1, 0.1, 0.1]], dtype=np.float32)
    return tabular_problem(tr, rw, 3, name="wide_reach")


def test_bound_runs_over_states_greedy_play_never_reaches():
    from proofcheck.engine.effective_horizon import qvi_sequence, solvability
    P = wide_reach_mdp()
    eh = effective_horizon(P)
    assert 813 < 256 * math.log(24) < 814
    k1 = eh.per_k[0]
    assert k1.solvable and k1.bound_ok and k1.m_bound == 814 and k1.argmax_state == (1, 2)
    hv = horizon_values(P)
    greedy = solvability(hv, next(qvi_sequence(hv, 1)), stop_at_failure=False)
    assert greedy.solvable and list(greedy.reached[1]) == [True, False]  # layer 1: sA, sB
    # k = 2: Q^2(sB) = (1, 0.2, 0.2, 0.2), sigma2_2 at t = 1 is sigma2_1 of the last layer = 0
    assert eh.per_k[1].m_bound == 1 and eh.H == 2
    # a bound of 1 (what the greedy-only rule gave) is too low: GORP(1, 1) succeeds with
    # probability about 0.43 (a0 wins at s0 w.p. ~0.23; from sB it picks a0 only when the
    # rollout through W returns 1, w.p. 1/4); a 99.9% interval lies below 1/2
    rng = np.random.default_rng(0)
    n = 2000
    ok = gorp_success_rate(P, 1, 1, n, rng)
    assert wilson_interval(ok, n, z=3.2905)[1] < 0.5


def zero_gap_mdp():
    # as wide_reach_mdp, but sB: a0 -> W (Q^rand 1/4), a1 -> Y' (all four end with 1/4: Q^rand
    # 1/4, Q* 1/4 < 1), a2, a3 -> Z (all 0).  Q^rand(s0, a1..a3) = (1/4 + 1/4)/4 = 1/8 < 1/4:
    # greedy play stays in sA (k = 1 is QVI-solvable, min_k = 1) but the corrected rule reaches
    # sB, where the optimal a0 ties the non-optimal a1 in Q^1: a zero gap, so k = 1 gives no bound.
    tr = np.array([[1, 2, 2, 2], [3, 3, 3, 3], [3, 4, 5, 5], [-1] * 4, [-1] * 4, [-1] * 4])
    rw = np.array([[0] * 4, [0] * 4, [0] * 4, [1, 0, 0, 0], [0.25] * 4, [0] * 4], dtype=np.float32)
    return tabular_problem(tr, rw, 3, name="zero_gap")


def test_zero_gap_at_a_widely_reached_state_voids_k():
    eh = effective_horizon(zero_gap_mdp())
    k1 = eh.per_k[0]
    assert eh.min_k == 1 and k1.solvable
    assert not k1.bound_ok and k1.bound_witness == (1, 2) and k1.m_bound == math.inf
    # k = 2: Q^2(sB) = (1, 1/4, 0, 0): gap 3/4, sigma2_2 = 0 -> m = 1
    assert eh.per_k[1].bound_ok and eh.per_k[1].m_bound == 1 and eh.H == 2 and eh.H_k == 2
    ref = eh.reference_results()
    assert ref["ks"] == [2] and ref["ms"] == [1] and ref["effective_horizon"] == 2.0


def test_reference_results_loop():
    # spread_mdp: k = 1 gives 1 + log2 17 = 5.09 > T = 2, so the reference loop (k < H, H
    # started at T) stops after k = 1 and stores H = T = 2; our per-k list also has k = 2.
    eh = effective_horizon(spread_mdp())
    ref = eh.reference_results()
    assert ref["ks"] == [1] and ref["ms"] == [17] and ref["effective_horizon"] == 2.0
    assert ref["gaps"] == [2.0] and ref["vars"] == [2.0]
    assert float(eh.H) == ref["effective_horizon"]


def _random_tabular(seed):
    rng = np.random.default_rng(seed)
    S, A, T = 6, 2 + seed % 2, 3 + seed % 2
    tr = rng.integers(-1, S, size=(S, A))
    tr[0] = rng.integers(1, S, size=A)  # the start does not end at once
    if seed % 2:  # rewards from a small grid: exact ties
        rw = rng.choice([0.0, 0.5, 1.0], size=(S, A)).astype(np.float32)
    else:
        rw = rng.normal(size=(S, A)).astype(np.float32)
    return tabular_problem(tr, rw, T, name=f"random{seed}")


@pytest.mark.parametrize("seed", range(6))
def test_exact_backends_agree(seed):
    # integers on a common denominator (the default for rational models), Python fractions
    # and SymPy: the same exact numbers, so the same discrete results
    from proofcheck.engine.backends import get_backend
    P = _random_tabular(seed)
    results = [effective_horizon(P, b) for b in ("exact", "exact-rational", get_backend("exact"))]
    keys = [(e.min_k, e.planning_window, e.H, e.H_k,
             [(r.solvable, r.bound_ok, r.m_bound, r.argmax_state) for r in e.per_k]) for e in results]
    assert keys[0] == keys[1] == keys[2]
    assert results[0].backend.name == "exact-rational" and getattr(results[0].backend, "scaled", False)


def _bound_models():
    from pathlib import Path

    from proofcheck.errors import ProofcheckError
    from proofcheck.verify import load_case
    models = [("spread", spread_mdp()), ("deep", deep_mdp()), ("wide_reach", wide_reach_mdp()),
              ("zero_gap", zero_gap_mdp()), ("mountain_race", time_expand(mountain_race()))]
    for f in sorted((Path(__file__).parents[1] / "cases").glob("*.toml")):
        try:
            models.append((f.stem, time_expand(load_case(f).mdp)))
        except (ProofcheckError, ValueError):
            pass  # stochastic or parametric: no effective horizon
    models += [(f"random{s}", _random_tabular(s)) for s in range(6)]
    return models


@pytest.mark.parametrize("name,P", _bound_models(), ids=lambda x: x if isinstance(x, str) else "")
def test_gorp_never_needs_more_than_the_printed_bound(name, P):
    # GORP(k, m) with m = the bound proofcheck prints must succeed with probability >= 1/2:
    # fail when the whole 99% Wilson interval of the simulated success rate is below 1/2
    from proofcheck.numerics.gorp import check_bound
    eh = effective_horizon(P)
    checks = check_bound(P, eh, runs=150, seed=1, m_cap=3000)
    assert all(c.consistent for c in checks), [c.as_dict() for c in checks]
    assert any(c.skipped is None for c in checks)  # at least one k simulated


def test_cli_gorp_at_bound(tmp_path, capsys):
    import json

    from proofcheck.cli import main
    from proofcheck.io.bridge import save_npz
    f = tmp_path / "wide.npz"
    P = wide_reach_mdp()
    tr = np.array([[1, 2, 2, 2], [3, 3, 3, 3], [3, 4, 4, 4], [-1] * 4, [-1] * 4])
    rw = np.array([[0] * 4, [0] * 4, [0] * 4, [1, 0, 0, 0], [0.2, 0.1, 0.1, 0.1]], dtype=np.float32)
    save_npz(f, tr, rw)
    assert main(["horizon", str(f), "--horizon", str(P.horizon), "--gorp-at-bound", "40", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [c["m_bound"] for c in out["gorp_at_bound"]] == [814, 1]
    assert all(c["consistent"] and c["runs"] == 40 for c in out["gorp_at_bound"])
    assert out["per_k"][0]["argmax_state"] == ["1", "2"]
    assert main(["horizon", str(f), "--horizon", "3", "--gorp-at-bound", "-1"]) == 2


@pytest.mark.parametrize("A", [1, 2, 3, 4, 9, 10, 16])
def test_bound_prints_and_rounds_as_sympy(A):
    # HBound prints k + log_A m without SymPy: the same text and fixed-point digits as the
    # SymPy expression, also where the two terms tie (m = A^k) or nearly tie
    def sympy_value(k, m):
        if m == math.inf:
            return sp.oo
        return sp.Integer(k) if m == 1 or A == 1 else sp.Integer(k) + sp.log(m) / sp.log(A)
    for k in range(1, 9):
        for m in {1, 2, 3, 5307, A, A ** 2, A ** k, A ** k + 1, max(A ** k - 1, 1), 10 ** 30 + 7, math.inf}:
            e = sympy_value(k, m)
            assert str(HBound(k, m, A)) == str(e)
            assert HBound(k, m, A).expr == e
            f = math.inf if e == sp.oo else float(e)
            assert float(HBound(k, m, A)) == f
            assert [HBound(k, m, A).fixed(d) for d in (4, 6)] == [f"{f:.4f}", f"{f:.6f}"]


def test_tabular_rewards_are_fractions_shown_as_sympy():
    # tabular models keep Fractions (the effective horizon needs no SymPy); Layer.reward
    # still gives SymPy numbers, the results stay SymPy expressions
    P = spread_mdp()
    assert [type(v).__name__ for v in P.layers[1].reward_values] == ["Fraction"] * 4
    assert list(P.layers[1].reward) == [3, 1, 0, 0]
    assert all(isinstance(v, sp.Rational) for v in P.layers[1].reward)
    eh = effective_horizon(P)
    assert isinstance(eh.H, sp.Expr) and isinstance(eh.per_k[0].h_bound, sp.Expr)
    assert str(eh.per_k[0].bound) == str(eh.per_k[0].h_bound)
