"""GORP(k, m) by simulation, and an empirical estimate of ``m_k`` (spec section 9).

GORP (Greedy Over Random Policy, Laidlaw et al. 2023) on a deterministic time-expanded
MDP (:class:`~proofcheck.engine.effective_horizon.TimeExpandedMDP`): at each step ``t``,
from the state reached by the actions fixed so far, try every ``k``-action sequence
(shorter near the horizon or when the episode ends), follow it by uniformly random
actions to the end, ``m`` rollouts each; fix the first action of the sequence with the
best empirical mean return (ties broken uniformly at random).  It *succeeds* when the
action sequence it returns is optimal: every fixed action is optimal in the sense of
:func:`~proofcheck.engine.effective_horizon.horizon_values` (exact by default), so the
success test itself involves no rounding.  Rollout returns are summed in float64 (the
decision between sequences is the algorithm's own, made from samples).

``m_k`` is the least ``m`` for which GORP succeeds with probability ``>= 1/2``.
:func:`estimate_m` runs ``runs`` independent GORP runs per ``m`` on a grid
(``1, 2, 4, ...``) and reports the success rate with a 95% Wilson score interval; the
estimate is the first grid ``m`` whose rate is ``>= 1/2`` (so it is ``m_k`` up to the
grid's factor 2 and the sampling error), and ``certified_m`` is the first grid ``m``
whose whole interval lies at or above ``1/2``; ``plausible_min_m`` is the first grid ``m``
whose interval reaches ``1/2`` (``m_k`` is at least the grid value before it, at 95%
per grid point).  When the true success probability is exactly 1/2 at some ``m`` (it
happens on small hand-made MDPs) the estimate may land on either side.  Everything is seeded
(:class:`numpy.random.Generator`, PCG64).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from proofcheck.engine.effective_horizon import TimeExpandedMDP, effective_horizon, horizon_values, time_expand
from proofcheck.errors import ModelError
from proofcheck.numerics.sampling import wilson_interval as _wilson

__all__ = ["gorp_run", "gorp_success_rate", "wilson_interval", "estimate_m", "MEstimate",
           "check_bound", "BoundCheck"]


def _float_layers(P):
    return [np.array([float(r) for r in L.reward], dtype=np.float64) for L in P.layers]


def _rollouts(P, R, t, states, rng):
    """Returns of uniformly random play from layer ``t`` (``states[i] = -1``: already ended)."""
    ret = np.zeros(len(states))
    s = states.copy()
    for u in range(t, P.horizon):
        alive = s >= 0
        if not alive.any():
            break
        L = P.layers[u]
        cnt = L.counts[s[alive]]
        pair = L.ptr[s[alive]] + (rng.random(alive.sum()) * cnt).astype(np.int64)
        ret[alive] += R[u][pair]
        nxt = np.full(len(s), -1, dtype=np.int64)
        nxt[alive] = L.next[pair] if u + 1 < P.horizon else -1
        s = nxt
    return ret


def _sequences(P, R, t, s, k):
    """All action sequences of length <= k from (t, s): (first pair, state after, layer after, return)."""
    frontier = [(None, s, t, 0.0)]
    for _ in range(k):
        new = []
        for first, st, u, acc in frontier:
            if st < 0 or u >= P.horizon:
                new.append((first, -1, u, acc))
                continue
            L = P.layers[u]
            for j in range(L.ptr[st], L.ptr[st + 1]):
                new.append((j if first is None else first, int(L.next[j]), u + 1, acc + R[u][j]))
        frontier = new
    return frontier


def gorp_run(P, k, m, rng, *, values=None, rewards=None):
    """One run of GORP(k, m).  Returns ``(actions, success)``.

    ``values``/``rewards`` (exact horizon values, float64 rewards per layer) are computed
    when not given; pass them to repeated runs on the same problem.

    Examples
    --------
    >>> import numpy as np
    >>> from proofcheck.engine.effective_horizon import tabular_problem
    >>> P = tabular_problem(np.array([[-1, -1]]), np.array([[1.0, 0.0]]), 1)
    >>> gorp_run(P, 1, 1, np.random.default_rng(0))
    ([0], True)
    """
    if P.layers[0].n_states != 1:
        raise ModelError(f"GORP needs one initial state; {P.name!r} has {P.layers[0].n_states}")
    values = values or horizon_values(P)
    R = _float_layers(P) if rewards is None else rewards
    s, actions, ok = 0, [], True
    for t in range(P.horizon):
        seqs = _sequences(P, R, t, s, k)
        firsts = np.array([q[0] for q in seqs])
        starts = np.repeat(np.array([q[1] for q in seqs], dtype=np.int64), m)
        layer_after = {q[2] for q in seqs if q[1] >= 0}
        ret = np.zeros(len(starts))
        if layer_after:
            (u,) = layer_after  # deterministic: every surviving sequence is at layer t + len
            ret = _rollouts(P, R, u, starts, rng)
        means = np.array([q[3] for q in seqs]) + ret.reshape(len(seqs), m).mean(axis=1)
        best = np.flatnonzero(means == means.max())
        j = int(firsts[best[rng.integers(len(best))]])
        L = P.layers[t]
        actions.append(L.actions[j])
        ok = ok and bool(values.optimal[t][j])
        s = int(L.next[j])
        if s < 0:
            break
    return actions, ok


def gorp_success_rate(P, k, m, runs, rng, *, values=None):
    """Number of successful runs out of ``runs``."""
    values = values or horizon_values(P)
    R = _float_layers(P)  # once, not per run
    return sum(gorp_run(P, k, m, rng, values=values, rewards=R)[1] for _ in range(runs))


def wilson_interval(successes, n, z=1.959963984540054):
    """95% Wilson score interval for a binomial proportion.

    Examples
    --------
    >>> lo, hi = wilson_interval(50, 100)
    >>> round(lo, 4), round(hi, 4)
    (0.4038, 0.5962)
    """
    return _wilson(successes, n, z)  # one Wilson formula: proofcheck.numerics.sampling


@dataclass
class MEstimate:
    """Empirical ``m_k``: grid rows ``(m, successes, runs, rate, lo, hi)``, the estimate and
    the certified (interval above 1/2) grid value; ``None`` when not reached on the grid."""

    k: int
    rows: list
    m_estimate: object
    certified_m: object
    seed: int
    runs: int
    plausible_min_m: object = None

    def as_dict(self):
        return {"k": self.k, "seed": self.seed, "runs_per_m": self.runs,
                "m_estimate": self.m_estimate, "certified_m": self.certified_m,
                "plausible_min_m": self.plausible_min_m,
                "grid": [dict(zip(("m", "successes", "runs", "rate", "ci95_low", "ci95_high"), r))
                         for r in self.rows]}


def estimate_m(problem, k, *, runs=200, seed=0, m_max=1024, values=None):
    """Estimate ``m_k`` on the grid ``1, 2, 4, ..., m_max`` (stops once certified).

    Examples
    --------
    >>> import numpy as np
    >>> from proofcheck.engine.effective_horizon import tabular_problem
    >>> P = tabular_problem(np.array([[-1, -1]]), np.array([[1.0, 0.0]]), 1)
    >>> estimate_m(P, 1, runs=20).m_estimate
    1
    """
    P = problem if isinstance(problem, TimeExpandedMDP) else None
    if P is None:
        P = time_expand(problem)
    values = values or horizon_values(P)
    rng = np.random.default_rng(seed)
    rows, est, cert, low = [], None, None, None
    m = 1
    while m <= m_max:
        n_ok = gorp_success_rate(P, k, m, runs, rng, values=values)
        lo, hi = wilson_interval(n_ok, runs)
        rows.append((m, n_ok, runs, n_ok / runs, lo, hi))
        if est is None and n_ok / runs >= 0.5:
            est = m
        if low is None and hi >= 0.5:
            low = m
        if lo >= 0.5:
            cert = m
            break
        m *= 2
    return MEstimate(k, rows, est, cert, seed, runs, low)


@dataclass
class BoundCheck:
    """GORP(k, m) run at ``m`` = the Theorem 5.4 bound printed for ``k``: ``successes`` out of
    ``runs`` with a Wilson interval ``[lo, hi]`` at ``z``.  ``consistent`` is False when the
    whole interval lies below 1/2, i.e. GORP needs more rollouts than the bound says (the
    simulated ``m_k`` exceeds the bound): a bound that is too low.  ``skipped`` says why a
    ``k`` was not simulated (no finite bound, or the bound above ``m_cap``)."""

    k: int
    m_bound: object
    successes: int = 0
    runs: int = 0
    lo: float = 0.0
    hi: float = 1.0
    skipped: object = None

    @property
    def consistent(self):
        return self.skipped is not None or self.hi >= 0.5

    def as_dict(self):
        return {"k": self.k, "m_bound": self.m_bound, "successes": self.successes, "runs": self.runs,
                "rate": self.successes / self.runs if self.runs else None,
                "ci_low": self.lo, "ci_high": self.hi, "consistent": self.consistent,
                "skipped": self.skipped}


def check_bound(problem, eh=None, *, runs=200, seed=0, z=2.5758293035489004, m_cap=20000, ks=None):
    """Simulate GORP(k, m) with ``m`` = the printed bound for every ``k`` with a finite bound.

    ``eh`` is the :func:`~proofcheck.engine.effective_horizon.effective_horizon` result to check
    (computed exactly when not given); ``z`` the interval's normal quantile (default 99%);
    ``ks`` restricts the ``k`` checked.  Success is judged against exact optimality.

    Examples
    --------
    >>> import numpy as np
    >>> from proofcheck.engine.effective_horizon import tabular_problem
    >>> P = tabular_problem(np.array([[1, 2], [-1, -1], [-1, -1]]),
    ...                     np.array([[0, 0], [3, 1], [0, 0]], dtype=np.float32), 2)
    >>> [(c.k, c.m_bound, c.successes, c.consistent) for c in check_bound(P, runs=20)]
    [(1, 17, 20, True), (2, 1, 20, True)]
    """
    P = problem if isinstance(problem, TimeExpandedMDP) else time_expand(problem)
    eh = eh if eh is not None else effective_horizon(P)
    values = horizon_values(P)  # exact: success means exactly optimal
    R = _float_layers(P)
    rng = np.random.default_rng(seed)
    out = []
    for r in eh.per_k:
        if ks is not None and r.k not in ks:
            continue
        if not r.bound_ok or r.m_bound is None or r.m_bound == float("inf"):
            out.append(BoundCheck(r.k, r.m_bound, skipped="no finite bound for this k"))
            continue
        if r.m_bound > m_cap:
            out.append(BoundCheck(r.k, r.m_bound, skipped=f"bound {r.m_bound} above m_cap = {m_cap}"))
            continue
        n_ok = sum(gorp_run(P, r.k, int(r.m_bound), rng, values=values, rewards=R)[1] for _ in range(runs))
        lo, hi = wilson_interval(n_ok, runs, z)
        out.append(BoundCheck(r.k, int(r.m_bound), n_ok, runs, lo, hi))
    return out
