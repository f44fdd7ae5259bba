"""The computed GORP success probability against brute force, the simulation and Theorem 5.4."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest

from proofcheck.engine.effective_horizon import effective_horizon, horizon_values
from proofcheck.model.time_expanded import tabular_problem
from proofcheck.numerics.gorp import gorp_success_rate, wilson_interval
from proofcheck.numerics.gorp_exact import GorpExact, exact_m, gorp_success_probability


def tree(depth, A, rewards):
    """Full A-ary tree with ``depth`` decision layers (heap numbering), rewards per pair."""
    n = (A ** depth - 1) // (A - 1)
    tr = np.full((n, A), -1, dtype=np.int64)
    for s in range(n):
        for a in range(A):
            c = s * A + 1 + a
            if c < n:
                tr[s, a] = c
    return tabular_problem(tr, np.asarray(rewards, dtype=np.float64).reshape(n, A), depth)


def random_tree(seed, depth=3, A=2, grid=4):
    rng = np.random.default_rng(seed)
    n = (A ** depth - 1) // (A - 1)
    return tree(depth, A, rng.integers(0, grid + 1, size=(n, A)) / grid)


# ----------------------------------------------------------------------------- brute force

def _frac(x):
    return Fraction(int(x.p), int(x.q))


def brute_force(P, k, m, kind):
    """Every rollout outcome enumerated (no convolution, no generating function)."""
    opt = horizon_values(P).optimal
    T = P.horizon
    rew = [[_frac(r) for r in L.reward] for L in P.layers]

    def pair_outcomes(u, j):
        q = rew[u][j]
        if kind == "bernoulli":
            return [(1 - q, 0), (q, 1)]
        return [(Fraction(1), q)]

    def continuation(u, s):  # (prob, score) of uniformly random play from (u, s)
        if s < 0 or u >= T:
            return [(Fraction(1), 0)]
        L = P.layers[u]
        cnt = int(L.ptr[s + 1] - L.ptr[s])
        out = []
        for j in range(L.ptr[s], L.ptr[s + 1]):
            for pr, sc in pair_outcomes(u, j):
                for pr2, sc2 in continuation(u + 1, int(L.next[j])):
                    out.append((Fraction(1, cnt) * pr * pr2, sc + sc2))
        return out

    def sequences(t, s):
        fr = [(None, s, t, [(Fraction(1), 0)])]
        for _ in range(k):
            new = []
            for first, st, u, outs in fr:
                if st < 0 or u >= T:
                    new.append((first, st, u, outs))
                    continue
                L = P.layers[u]
                for j in range(L.ptr[st], L.ptr[st + 1]):
                    o2 = [(a * b, x + y) for a, x in outs for b, y in pair_outcomes(u, j)]
                    new.append((j if first is None else first, int(L.next[j]), u + 1, o2))
            fr = new
        return [(first, [(a * b, x + y) for a, x in outs for b, y in continuation(u, st)])
                for first, st, u, outs in fr]

    def step(t, s):
        seqs = sequences(t, s)
        sums = []
        for _, outs in seqs:  # all m-tuples of rollout outcomes
            sums.append([(math.prod(o[0] for o in combo), sum(o[1] for o in combo))
                         for combo in itertools.product(outs, repeat=m)])
        choose = {}
        for combo in itertools.product(*sums):
            pr = math.prod(c[0] for c in combo)
            if pr == 0:
                continue
            best = max(c[1] for c in combo)
            tied = [i for i, c in enumerate(combo) if c[1] == best]
            for i in tied:
                a = seqs[i][0]
                choose[a] = choose.get(a, 0) + pr / len(tied)
        return choose

    def success(t, s):
        L = P.layers[t]
        tot = Fraction(0)
        for a, pa in step(t, s).items():
            if not opt[t][a]:
                continue
            nx = int(L.next[a])
            tot += pa * (1 if nx < 0 or t + 1 >= T else success(t + 1, nx))
        return tot

    return success(0, 0)


CASES = [  # (problem, k, m, kind)
    (tree(2, 2, [0, 0.25, 1, 0, 0.5, 0.5]), 1, 1, "deterministic"),
    (tree(2, 2, [0, 0.25, 1, 0, 0.5, 0.5]), 1, 3, "deterministic"),
    (random_tree(1), 1, 2, "deterministic"),
    (random_tree(2), 2, 2, "deterministic"),
    (random_tree(3, A=3, depth=2), 1, 2, "deterministic"),
    (tree(2, 2, [0.5, 0.25, 0.75, 0.5, 0.25, 1]), 1, 1, "bernoulli"),
    (tree(2, 2, [0.5, 0.25, 0.75, 0.5, 0.25, 1]), 1, 2, "bernoulli"),
    (tree(2, 2, [0.5, 0.25, 0.75, 0.5, 0.25, 1]), 2, 1, "bernoulli"),
    (random_tree(4, grid=8), 1, 1, "bernoulli"),
    (random_tree(5, A=3, depth=2, grid=3), 1, 1, "bernoulli"),
]
SLOW_CASES = [(random_tree(5, A=3, depth=2, grid=3), 1, 2, "bernoulli"),
              (random_tree(6, depth=2, grid=4), 2, 2, "bernoulli")]


@pytest.mark.slow
@pytest.mark.parametrize("case", range(len(SLOW_CASES)))
def test_exact_equals_brute_force_slow(case):
    P, k, m, kind = SLOW_CASES[case]
    assert gorp_success_probability(P, k, m, rewards=kind, arithmetic="exact").value == brute_force(P, k, m, kind)


@pytest.mark.parametrize("case", range(len(CASES)))
def test_exact_equals_brute_force(case):
    P, k, m, kind = CASES[case]
    r = gorp_success_probability(P, k, m, rewards=kind, arithmetic="exact")
    assert r.method == "exact"
    assert r.value == brute_force(P, k, m, kind)


@pytest.mark.parametrize("case", range(len(CASES)))
def test_float_bound_encloses_exact(case):
    P, k, m, kind = CASES[case]
    g = GorpExact(P, kind)
    ex = g.success(k, m, arithmetic="exact").value
    fl = g.success(k, m, arithmetic="float")
    assert fl.method == "float-bound"
    assert fl.lower <= ex <= fl.upper
    assert fl.upper - fl.lower < 1e-9


def test_simulation_agrees_deterministic():
    """Larger m: the exact value lies in the 99.9% Wilson interval of the seeded simulation."""
    z = 3.2905267314919255
    for seed, k, m in ((11, 1, 8), (12, 1, 16), (13, 2, 4)):
        P = random_tree(seed, depth=3, grid=8)
        ex = gorp_success_probability(P, k, m, arithmetic="exact")
        n = 600
        ok = gorp_success_rate(P, k, m, n, np.random.default_rng(seed))
        lo, hi = wilson_interval(ok, n, z)
        assert lo - 1e-12 <= float(ex.value) <= hi + 1e-12, (seed, k, m, ok, float(ex.value))


def test_tie_convention_counts_sequences():
    """GORP breaks ties uniformly over tied *sequences* (as the simulation does), not over first
    actions: with k = 2 action 0's two tied sequences make it twice as likely as action 1's one."""
    P = tree(2, 2, [0, 0, 1, 1, 1, 0])  # a0 -> (1, 1), a1 -> (1, 0): a0 and a1 both optimal
    g = GorpExact(P, "deterministic")
    plan = g._plan(2, True)
    ch = g._choice(g._sum_dists(2, 1, True)[0], plan[0]["firsts"], [0, 1], True)
    assert ch[0][0] == Fraction(2, 3) and ch[1][0] == Fraction(1, 3)


def _bound_cases():
    return [random_tree(s, depth=3, grid=4) for s in range(20, 26)] + \
           [random_tree(s, depth=2, A=3, grid=4) for s in range(30, 33)]


def _check_bound(P, scan_max, check_max):
    """Like with like: Theorem 5.4 bounds the *least* m for GORP with deterministic rewards (the
    objective it is stated for); the exact least m never exceeds it, and the success probability
    at m = bound is >= 1/2.  (The grid value may exceed the bound by up to a factor 2.)"""
    eh = effective_horizon(P)
    g = GorpExact(P, "deterministic")
    for kr in eh.per_k:
        if not kr.solvable or kr.m_bound == math.inf:
            continue
        bound = int(kr.m_bound)
        r = exact_m(g, kr.k, m_max=min(bound, scan_max), least=True)
        assert r.m_least is not None or bound > scan_max, (kr.k, bound, r.as_dict())
        if r.m_least is not None:
            assert r.m_least <= bound
        if bound <= check_max:
            s = g.success(kr.k, bound)
            assert s.at_least_half() is True, (kr.k, bound, s.as_dict())


@pytest.mark.parametrize("idx", range(9))
def test_m_k_below_theorem_5_4_bound(idx):
    _check_bound(_bound_cases()[idx], 4, 64)


@pytest.mark.slow
@pytest.mark.parametrize("idx", range(9))
def test_m_k_below_theorem_5_4_bound_slow(idx):
    _check_bound(_bound_cases()[idx], 64, 4096)


def test_min_k_unsolvable_has_low_success():
    """Not k-QVI-solvable at k: success cannot reach 1/2 at large m (the greedy answer is wrong)."""
    P = tree(2, 2, [0, 0.25, 1, 0, 0.5, 0.5])  # Q^rand prefers a1, a0 is optimal
    eh = effective_horizon(P)
    assert not eh.per_k[0].solvable
    r = gorp_success_probability(P, 1, 64)
    assert r.at_least_half() is False


@pytest.mark.slow
def test_float_bound_large_m_bernoulli():
    P = tree(3, 2, np.linspace(0.05, 0.95, 14))
    g = GorpExact(P, "bernoulli", exact_budget=0)
    for m in (64, 256):
        r = g.success(2, m)
        assert r.method == "float-bound" and r.upper - r.lower < 1e-9


@pytest.mark.parametrize("seed, depth, A, k, m_least", [(41, 3, 2, 1, 8), (86, 3, 2, 1, 2), (63, 2, 3, 1, 2)])
def test_m_k_above_one_below_bound(seed, depth, A, k, m_least):
    """Cases where GORP needs more than one rollout: the exact least m (and the grid value) stay
    below the Theorem 5.4 bound, which is loose here by two orders of magnitude."""
    P = random_tree(seed, depth=depth, A=A, grid=8)
    kr = effective_horizon(P).per_k[k - 1]
    assert kr.solvable
    g = GorpExact(P, "deterministic")
    r = exact_m(g, k, m_max=64)
    assert r.m_least == m_least and r.m_grid <= 2 * m_least
    assert r.m_least <= r.m_grid <= kr.m_bound
    assert g.success(k, m_least - 1).at_least_half() is False
