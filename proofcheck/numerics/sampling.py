"""Sampled re-training: online fine-tuning from finite rollouts, beside the exact ``G``.

One iteration with ``N`` rollouts of the current policy ``pi``:

1. roll out ``N`` trajectories: ``s_0 ~ mu``, ``a_t ~ pi(.|s_t)``, ``s_{t+1} ~ tau``;
   at each step the optimality variable ``O_t ~ Bernoulli(q(s_t, a_t))`` and at the
   leaf ``R ~ Bernoulli(success(leaf))``;
2. keep the successful rollouts: those with every ``O_t = 1`` and ``R = 1``;
3. re-fit ``pi'(a|s)`` as the frequency of ``a`` among the kept rollouts' visits to
   ``s``.  **Where no kept rollout visited ``s``, the previous policy ``pi(.|s)`` is
   kept** (the sampled analogue of the ``impossible = "keep"`` convention; it also
   covers states that success does reach but the sample missed).

Given ``s``, the kept visits' actions are i.i.d. from ``P_pi(a | s, success) =
G(pi)(a|s)``, so as ``N -> inf`` one sampled step converges to the exact ``G`` and the
sampled trajectory to ``pi^G_k`` (:func:`proofcheck.engine.retrain`), which this
module puts beside it.  Everything is seeded with :func:`numpy.random.default_rng`;
independent repetitions use :class:`numpy.random.SeedSequence` children.

Arithmetic is float64 (probabilities and frequencies; about 16 digits, far below the
sampling error ``~ 1/sqrt(N)`` that the confidence intervals report).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from proofcheck.engine import get_backend, retrain
from proofcheck.errors import ModelError

__all__ = ["SampledRetraining", "sample_rollouts", "sampled_step", "sampled_retrain",
           "exact_trajectory", "wilson_interval", "sampling_study", "n_needed"]

_F = get_backend("float")


def wilson_interval(count, n, z=1.96):
    """Wilson score interval for a binomial proportion ``count / n`` (``(0, 1)`` when ``n = 0``).

    Examples
    --------
    >>> lo, hi = wilson_interval(50, 100)
    >>> round(lo, 4), round(hi, 4)
    (0.4038, 0.5962)
    """
    count, n = np.asarray(count, dtype=float), np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        nn = np.where(n > 0, n, 1)  # n = 0 is patched below
        p = np.where(n > 0, count / nn, 0.5)
        denom = 1 + z * z / nn
        centre = (p + z * z / (2 * nn)) / denom
        half = z * np.sqrt(p * (1 - p) / nn + z * z / (4 * nn ** 2)) / denom
    lo = np.where(n > 0, np.maximum(0.0, centre - half), 0.0)
    hi = np.where(n > 0, np.minimum(1.0, centre + half), 1.0)
    if lo.ndim == 0:
        return float(lo), float(hi)
    return lo, hi


class _Tables:
    """Per-state action and per-pair outcome tables, padded to rectangles for sampling."""

    def __init__(self, mdp):
        conv = mdp.converted(_F)
        self.mdp = mdp
        self.q = conv["likelihood"]
        self.success = conv["success"]
        self.initial = conv["initial"]
        n_act = np.diff(mdp.state_ptr)
        self.amax = int(n_act.max()) if len(n_act) else 0
        self.col = np.arange(mdp.n_pairs) - np.repeat(mdp.state_ptr[:-1], n_act)
        n_out = np.diff(mdp.pair_ptr)
        kmax = int(n_out.max()) if len(n_out) else 1
        ecol = np.arange(len(mdp.edge_target)) - np.repeat(mdp.pair_ptr[:-1], n_out)
        E = np.zeros((mdp.n_pairs, kmax))
        E[mdp.edge_pair, ecol] = conv["edge_prob"]
        self.edge_cum = np.cumsum(E, axis=1)
        self.init_cum = np.cumsum(self.initial)

    def action_cum(self, pi):
        P = np.zeros((self.mdp.n_states, max(self.amax, 1)))
        P[self.mdp.pair_state, self.col] = pi
        return np.cumsum(P, axis=1)


def _draw(cum_rows, rng):
    """Index of the first column whose cumulative weight exceeds ``u * total``, per row."""
    u = rng.random(len(cum_rows)) * cum_rows[:, -1]
    return np.argmax(cum_rows > u[:, None], axis=1)


def sample_rollouts(mdp, pi, N, rng, tables=None):
    """Roll out ``N`` trajectories of the float policy ``pi`` (array over pairs).

    Returns
    -------
    pairs : ndarray (horizon, N)
        Pair index taken at each step (``-1`` once a rollout has ended or failed).
    success : ndarray (N,) of bool
        Every ``O_t = 1`` and the leaf's ``R = 1``.
    """
    t = tables or _Tables(mdp)
    m = mdp
    cum = t.action_cum(pi)
    u0 = rng.random(N) * t.init_cum[-1]
    state = np.searchsorted(t.init_cum, u0, side="right")
    alive = np.ones(N, dtype=bool)
    pairs = np.full((max(m.horizon, 1), N), -1, dtype=np.int64)
    for step in range(m.horizon):
        act = alive & ~m.terminal[state]
        idx = np.flatnonzero(act)
        if len(idx) == 0:
            break
        s = state[idx]
        j = m.state_ptr[s] + _draw(cum[s], rng)
        pairs[step, idx] = j
        ok = rng.random(len(idx)) < t.q[j]
        e = m.pair_ptr[j] + _draw(t.edge_cum[j], rng)
        state[idx] = m.edge_target[e]
        alive[idx[~ok]] = False  # a failed optimality variable: the rollout is discarded anyway
    leaf_ok = rng.random(N) < t.success[state]
    success = alive & m.terminal[state] & leaf_ok
    return pairs, success


def _refit(mdp, pi, pairs, success):
    kept = pairs[:, success]
    kept = kept[kept >= 0]
    counts = np.bincount(kept, minlength=mdp.n_pairs).astype(float)
    nt = ~mdp.terminal
    tot = np.zeros(mdp.n_states)
    starts = mdp.state_ptr[:-1][nt]
    if len(starts):
        tot[nt] = np.add.reduceat(counts, starts)
    tot_pair = tot[mdp.pair_state]
    new = np.where(tot_pair > 0, counts / np.where(tot_pair > 0, tot_pair, 1), pi)
    return new, counts, tot


def sampled_step(mdp, pi, N, rng, tables=None):
    """One sampled re-training step: ``(new_pi, counts, visits, n_success)``."""
    pairs, success = sample_rollouts(mdp, pi, N, rng, tables)
    new, counts, tot = _refit(mdp, pi, pairs, success)
    return new, counts, tot, int(success.sum())


@dataclass
class SampledRetraining:
    """A sampled trajectory ``pi_0 .. pi_K`` (float arrays over pairs) with its counts.

    ``counts[k]`` / ``visits[k]``: kept (successful) visits per pair / state used to fit
    ``policies[k]`` (``k >= 1``); ``n_success[k]`` successful rollouts out of ``N``.
    """

    mdp: object
    N: int
    seed: object
    policies: list = field(default_factory=list)
    counts: list = field(default_factory=list)
    visits: list = field(default_factory=list)
    n_success: list = field(default_factory=list)

    def prob(self, k, state, action):
        return float(self.policies[k][self.mdp.pair(state, action)])

    def wilson(self, k, state, action, z=1.96):
        """Wilson interval for ``G(pi_{k-1})(a|s)`` from the kept visits of step ``k``."""
        j = self.mdp.pair(state, action)
        i = self.mdp.index[state]
        return wilson_interval(self.counts[k][j], self.visits[k][i], z)


def sampled_retrain(mdp, K, N, *, seed=0, policy=None):
    """Sampled re-training for ``K`` iterations with ``N`` rollouts each.

    Examples
    --------
    >>> from proofcheck.examples import stochastic_counterexample
    >>> run = sampled_retrain(stochastic_counterexample(), 2, 4000, seed=1)
    >>> abs(run.prob(1, "start", "a1") - 5 / 11) < 0.05
    True
    """
    _check_n(N)
    if mdp.is_parametric:
        raise ModelError(f"sampled re-training needs numbers; substitute the parameters "
                         f"{[s.name for s in mdp.parameters]} first (MDP.substitute)")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    t = _Tables(mdp)
    pi = (policy or mdp.prior_policy()).in_backend(_F).astype(float)
    out = SampledRetraining(mdp, N, seed, [pi], [None], [None], [None])
    for _ in range(K):
        pi, counts, tot, ns = sampled_step(mdp, pi, N, rng, t)
        out.policies.append(pi)
        out.counts.append(counts)
        out.visits.append(tot)
        out.n_success.append(ns)
    return out


def exact_trajectory(mdp, K, conventions=None):
    """The ``N -> inf`` limit: ``pi^G_0..pi^G_K`` as float arrays (exact engine when the
    model is exact, rounded once to float64; the float backend otherwise)."""
    B = "exact" if mdp.exact else "float"
    seq = retrain(mdp, K, backend=B, conventions=conventions)
    return [np.array([float(v) for v in p.values]) if B == "exact" else p.values for p in seq]


def _check_n(N):
    if isinstance(N, bool) or not isinstance(N, (int, np.integer)) or N < 1:
        raise ModelError(f"N = {N!r} rollouts per iteration must be a positive integer")


def _tv_at(mdp, a, b, states):
    out = 0.0
    for s in states:
        i = mdp.index[s]
        lo, hi = mdp.state_ptr[i], mdp.state_ptr[i + 1]
        out = max(out, 0.5 * float(np.abs(a[lo:hi] - b[lo:hi]).sum()))
    return out


def sampling_study(mdp, K, N, *, R=20, seed=0, conventions=None, z=1.96):
    """``R`` independent sampled trajectories beside the exact one.

    Returns a JSON-able dict: per ``k`` and initial-state action, the exact value, the
    mean over seeds, a ``z``-normal confidence interval for that mean, the 2.5 / 97.5
    percentiles over seeds, the Wilson interval of the first run, and the total
    variation at the initial state(s) (mean and max over seeds).  Float64 throughout.
    """
    _check_n(N)
    seeds = np.random.SeedSequence(seed).spawn(R)
    runs = [sampled_retrain(mdp, K, N, seed=np.random.default_rng(ss)) for ss in seeds]
    exact = exact_trajectory(mdp, K, conventions)
    starts = [s for s, mu in zip(mdp.states, mdp.initial) if mu != 0]
    rows = []
    for k in range(K + 1):
        tv = np.array([_tv_at(mdp, r.policies[k], exact[k], starts) for r in runs])
        for s in starts:
            for a in mdp.actions(s):
                j = mdp.pair(s, a)
                vals = np.array([r.policies[k][j] for r in runs])
                mean, sd = float(vals.mean()), float(vals.std(ddof=1)) if R > 1 else 0.0
                half = z * sd / math.sqrt(R)
                w = runs[0].wilson(k, s, a, z) if k >= 1 else (float(exact[0][j]), float(exact[0][j]))
                rows.append({"k": k, "state": s, "action": a, "exact": float(exact[k][j]),
                             "mean": mean, "ci_mean": [mean - half, mean + half],
                             "percentiles_2.5_97.5": [float(np.percentile(vals, 2.5)), float(np.percentile(vals, 97.5))],
                             "wilson_first_run": [float(w[0]), float(w[1])],
                             "tv_mean": float(tv.mean()), "tv_max": float(tv.max())})
    succ = [[r.n_success[k] for r in runs] for k in range(1, K + 1)]
    return {"model": mdp.name, "K": K, "N": N, "R": R, "seed": seed, "z": z,
            "precision": "float64 frequencies; intervals are sampling intervals, not rounding bounds",
            "rule": "states never visited by a successful rollout keep the previous policy",
            "rows": rows, "successes_per_iteration": succ}


def n_needed(mdp, K, *, eps=0.05, R=20, quantile=0.95, seed=0, n_min=16, n_max=2 ** 16,
             conventions=None):
    """Smallest ``N = 2^j`` whose sampled trajectory stays within total variation ``eps``
    of the exact one at the initial state(s) for ``k = 1..K``, in at least a fraction
    ``quantile`` of ``R`` seeded runs.

    Returns a dict with ``N`` (``None`` if even ``n_max`` is not enough) and, per ``N``
    tried, the ``quantile`` of ``max_k TV`` over the runs.

    Examples
    --------
    >>> from proofcheck.examples import stochastic_counterexample
    >>> res = n_needed(stochastic_counterexample(), 1, eps=0.2, R=10, seed=0)
    >>> res["N"] is not None and res["N"] <= 256
    True
    """
    exact = exact_trajectory(mdp, K, conventions)
    starts = [s for s, mu in zip(mdp.states, mdp.initial) if mu != 0]
    tried = []
    N = n_min
    while N <= n_max:
        seeds = np.random.SeedSequence([seed, N]).spawn(R)
        worst = []
        for ss in seeds:
            run = sampled_retrain(mdp, K, N, seed=np.random.default_rng(ss))
            worst.append(max(_tv_at(mdp, run.policies[k], exact[k], starts) for k in range(1, K + 1)))
        qv = float(np.quantile(worst, quantile))
        tried.append({"N": N, f"tv_q{quantile}": qv, "tv_max": float(max(worst))})
        if qv <= eps:
            return _needed(N, eps, K, R, quantile, seed, tried)
        N *= 2
    return _needed(None, eps, K, R, quantile, seed, tried)


def _needed(N, eps, K, R, quantile, seed, tried):
    return {"N": N, "eps": eps, "K": K, "R": R, "quantile": quantile, "seed": seed, "tried": tried,
            "distance": "total variation at the initial state(s), max over k = 1..K",
            "precision": "float64 frequencies (16 digits); the search is over N = 2^j, "
                         "so the answer is within a factor 2 of the least sufficient N"}
