"""The paper's incoherence / effective-horizon experiment under its authors' protocol (spec section 11).

Differs from :mod:`proofcheck.experiments.discussion` (our own generator, the bound-based ``H``)
in every ingredient the authors' published configuration fixes:

* **Family** ``(T, A)``: a full ``A``-ary tree whose states are the action strings of length
  ``0 .. T`` (``T + 1`` decision steps); an action from a string of length ``T`` ends the
  episode.  Every state-action pair has its own success probability ``q(s, a)``, independent
  ``Uniform(0, 1)`` (float64 draws; an exact 0 is redrawn); uniform prior.  Instance ``i`` of
  family ``f`` is drawn from ``SeedSequence([seed, f, i])``.
* **Objective** ``J`` = expected number of successes (``sum_t q(s_t, a_t)``); goal conditioning
  conditions on every indicator being 1 (likelihood ``q``).  ``kappa`` is the Boltzmann
  incoherence at ``delta = 1`` of the uniform prior and of ``pi^G_1 = G(p)``
  (:func:`proofcheck.engine.incoherence`, :func:`proofcheck.engine.goal_condition`, float64).
* **Effective horizon, simulated** (the authors' estimator): for ``k = 1 .. min(4, T + 1)`` and
  ``m = 1, 2, 4, ..., 256``, ``runs`` (500) runs of GORP(k, m) with sampled 0/1 rewards
  (:func:`simulate_gorp_bernoulli`, vectorised NumPy, the conventions of
  :mod:`proofcheck.numerics.gorp`: ties uniformly over tied sequences).  By default
  (``sampler="sums"``) each sequence's score summed over its ``m`` rollouts is drawn from its
  distribution rather than rollout by rollout: GORP's decisions have the same distribution,
  the Monte Carlo noise of 500 runs is kept, and the cost no longer grows with ``m``
  (``sampler="rollouts"`` is the literal procedure, about ten times slower).  ``m_k`` is the first
  ``m`` whose success rate is ``>= 1/2``, ``H_k = k + log_A m_k``, ``H = min_k H_k``.
  Optimality is exact (``q`` are binary fractions, so exact ties are the only ties; the
  authors' ``1e-9`` tolerance changes nothing unless two optimal returns differ by less).
  The simulation of instance ``i`` at ``k`` uses ``SeedSequence([seed, f, i, k, 1])``.
* **Effective horizon, computed** (:mod:`proofcheck.numerics.gorp_exact`): the same ``m_k``
  rule applied to the exact success probabilities (certified float64 enclosures where the
  rationals grow too large), so free of Monte Carlo noise at the ``1/2`` threshold;
  optionally (``exact_least=True``) also with the true least ``m``.
* **Selection**: an instance whose *simulated* ``H`` is infinite for every ``k`` is discarded
  and replaced by the next one (the authors' rule), up to ``max_tries_factor * per_family``
  candidates per family; the discarded count is reported per family.
* **Summary**: Pearson ``r(H, kappa(uniform))`` and ``r(H, kappa(pi^G_1))`` with 95% percentile
  bootstrap intervals (``bootstrap`` resamples, ``SeedSequence([seed, 10**6])``), for the
  simulated and for the computed ``H`` (the latter over the selected instances whose
  computed ``H`` is finite), the same with every variable centred per family (the pooled
  ``r`` mixes families whose ``T`` differs, and both ``kappa`` and ``H`` grow with ``T``), mean
  ``kappa`` per ``floor(H)`` bucket, the published numbers beside them.

JSON (``schema = "proofcheck.authors/1"``): ``config``, ``rows`` (one per selected instance:
``family``, ``index``, ``q_sha``, ``J_star``, ``J_prior``, ``kappa_uniform``, ``kappa_G1``,
``H_sim``, ``m_sim`` (per ``k``: ``[k, m_k or None, rates...]``), ``H_exact``,
``H_exact_least``, ``m_exact`` (per ``k``), ``exact_methods``, ``exact_undecided_k``),
``discarded`` (per family: ``tried``, ``selected``, ``discarded``,
``discarded_with_finite_exact_H``), ``summary`` (``correlations``, ``within_family_correlations``, ``kappa_by_H_sim``,
``kappa_by_H_exact``, ``published``, counts).
No timings: the same seed gives the same JSON.
"""

from __future__ import annotations

import hashlib
import math

import networkx as nx
import numpy as np

from proofcheck.engine import goal_condition, incoherence
from proofcheck.engine.effective_horizon import horizon_values
from proofcheck.errors import ConventionError
from proofcheck.experiments.discussion import bootstrap_pearson
from proofcheck.model.mdp import from_graph
from proofcheck.model.time_expanded import TimeExpandedMDP, tabular_problem
from proofcheck.numerics.gorp_exact import GorpExact, exact_m

__all__ = ["FAMILIES", "PUBLISHED", "tree_instance", "tree_problem", "tree_mdp",
           "simulate_gorp_bernoulli", "simulated_m", "analyse_instance", "run_authors_protocol",
           "format_authors_report"]

FAMILIES = ((2, 2), (3, 2), (4, 2), (4, 3), (5, 2), (6, 2), (3, 4))
PUBLISHED = {
    "r_H_kappa_uniform": 0.198,
    "r_H_kappa_G1": 0.244,
    "mean_kappa_G1_at_H_3_to_4": 0.03,
    "mean_kappa_G1_at_H_8_to_10": 0.06,
    "H_range": [2, 11],
    "n_mdps": 140,
}


def tree_instance(T: int, A: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``(transitions, q)`` of one random full ``A``-ary tree with ``T + 1`` decision steps.

    States are numbered breadth first (heap order: the children of ``s`` are
    ``s * A + 1 .. s * A + A``); ``transitions[s, a] = -1`` ends the episode.

    Examples
    --------
    >>> tr, q = tree_instance(2, 2, np.random.default_rng(0))
    >>> tr.shape, q.shape, int(tr[0, 1]), int(tr[3, 0])
    ((7, 2), (7, 2), 2, -1)
    """
    if T < 0 or A < 2:
        raise ConventionError(f"family (T={T}, A={A}): need T >= 0 and A >= 2")
    n = (A ** (T + 1) - 1) // (A - 1)
    tr = np.full((n, A), -1, dtype=np.int64)
    for s in range(n):
        c = s * A + 1 + np.arange(A)
        tr[s] = np.where(c < n, c, -1)
    q = rng.random((n, A))
    while (q == 0).any():  # Uniform(0, 1): redraw an exact 0
        q[q == 0] = rng.random(int((q == 0).sum()))
    return tr, q


def tree_problem(transitions: np.ndarray, q: np.ndarray, name: str = "tree") -> TimeExpandedMDP:
    """The time-expanded problem whose rewards are the ``q`` (exact rationals): its optimal
    actions are those of ``J`` = expected number of successes."""
    n, A = q.shape
    depth = round(math.log(n * (A - 1) + 1, A))
    return tabular_problem(transitions, q, depth, name=name)


def tree_mdp(transitions: np.ndarray, q: np.ndarray, name: str = "tree"):
    """The case-file :class:`~proofcheck.model.mdp.MDP` (likelihood ``q``, uniform prior, every
    last action into one terminal state ``"end"`` of success 1) for goal conditioning and kappa."""
    G = nx.MultiDiGraph(name=name, initial=0, default_prior="uniform")
    n, A = q.shape
    for s in range(n):
        for a in range(A):
            t = int(transitions[s, a])
            G.add_edge(s, t if t >= 0 else "end", key=a, q=float(q[s, a]))
    return from_graph(G)


def _seq_table(P, t, s, k):
    """GORP's sequences from ``(t, s)``: ``(first pair, [(layer, pair), ...], state after, layer after)``."""
    frontier = [(None, [], s, t)]
    for _ in range(k):
        new = []
        for first, pairs, st, u in frontier:
            if st < 0 or u >= P.horizon:
                new.append((first, pairs, st, u))
                continue
            L = P.layers[u]
            for j in range(L.ptr[st], L.ptr[st + 1]):
                new.append((j if first is None else first, pairs + [(u, j)], int(L.next[j]), u + 1))
        frontier = new
    return frontier


def _score_pmfs(P, q, t, seqs, cache):
    """float64 distribution of one rollout's number of successes, per sequence (rows, padded)."""
    T = P.horizon

    def cont(u, s):
        if s < 0 or u >= T:
            return np.ones(1)
        key = ("cont", u, s)
        if key not in cache:
            L = P.layers[u]
            parts = [np.convolve([1 - q[u][j], q[u][j]], cont(u + 1, int(L.next[j])))
                     for j in range(L.ptr[s], L.ptr[s + 1])]
            acc = np.zeros(max(len(x) for x in parts))
            for x in parts:
                acc[:len(x)] += x
            cache[key] = acc / len(parts)
        return cache[key]
    rows = []
    for _, pairs, st, u in seqs:
        d = cont(u, st)
        for uu, j in pairs:
            d = np.convolve(d, [1 - q[uu][j], q[uu][j]])
        rows.append(d)
    out = np.zeros((len(rows), max(len(r) for r in rows)))
    for i, r in enumerate(rows):
        out[i, :len(r)] = r
    return out


def _sum_cdfs(P, q, t, s, k, m, seqs, cache):
    key = ("cdf", t, s, k, m)
    if key not in cache:
        base = _score_pmfs(P, q, t, seqs, cache)
        out = []
        for row in base:
            acc, sq, e = np.ones(1), row, m
            while e:  # binary powering of the convolution
                if e & 1:
                    acc = np.convolve(acc, sq)
                e >>= 1
                if e:
                    sq = np.convolve(sq, sq)
            out.append(np.cumsum(acc))
        cache[key] = out
    return cache[key]


def simulate_gorp_bernoulli(P: TimeExpandedMDP, q: list, optimal: list, k: int, m: int, runs: int,
                            rng: np.random.Generator, *, sampler: str = "rollouts",
                            _cache: dict | None = None) -> int:
    """Number of successful runs out of ``runs`` of GORP(``k``, ``m``) with sampled 0/1 rewards.

    ``q[t]``: float64 success probabilities of layer ``t``'s pairs; ``optimal[t]``: the optimal
    pairs.  All runs advance together (vectorised); a run stops once it has fixed a non-optimal
    action (its outcome is then known).  Each rollout plays the sequence and then uniformly
    random actions to the end, sampling every pair's indicator afresh; sequences are ranked by
    their number of successes summed over the ``m`` rollouts (the same order as the mean), ties
    uniformly at random over tied sequences.

    ``sampler="rollouts"`` simulates every rollout (``runs * sequences * m`` of them);
    ``sampler="sums"`` draws each sequence's summed score directly from its distribution (the
    ``m``-fold convolution, float64, of one rollout's score distribution, itself one backward
    pass over the tree) by inversion: the same distribution of GORP's decisions, at a cost
    independent of ``m``.

    Examples
    --------
    >>> tr, qq = tree_instance(1, 2, np.random.default_rng(1))
    >>> P = tree_problem(tr, qq)
    >>> hv = horizon_values(P)
    >>> ql = [np.array([float(x) for x in L.reward]) for L in P.layers]
    >>> 0 <= simulate_gorp_bernoulli(P, ql, hv.optimal, 1, 4, 100, np.random.default_rng(0)) <= 100
    True
    """
    if sampler not in ("rollouts", "sums"):
        raise ConventionError(f"sampler {sampler!r} must be 'rollouts' or 'sums'")
    T = P.horizon
    cache = {} if _cache is None else _cache

    def groups(t, s, seqs):
        key = ("groups", t, s, k)
        if key not in cache:
            by = {}
            for i, seq in enumerate(seqs):
                by.setdefault(len(seq[1]), []).append(i)
            out = []
            for ln, cols in sorted(by.items()):
                qseq = np.array([[q[uu][j] for uu, j in seqs[i][1]] for i in cols]).reshape(len(cols), ln)
                after = np.array([seqs[i][2] if seqs[i][3] < T else -1 for i in cols], dtype=np.int64)
                out.append((np.array(cols), qseq, after, t + ln))
            cache[key] = out
        return cache[key]
    state = np.zeros(runs, dtype=np.int64)
    ok = np.ones(runs, dtype=bool)
    for t in range(T):
        act = ok & (state >= 0)
        if not act.any():
            break
        L0 = P.layers[t]
        for s in np.unique(state[act]):
            idx = np.flatnonzero(act & (state == s))
            n = len(idx)
            key = (t, int(s), k)
            if key not in cache:
                cache[key] = _seq_table(P, t, int(s), k)
            seqs = cache[key]
            sums = np.empty((n, len(seqs)), dtype=np.int64)
            if sampler == "sums":
                cdfs = _sum_cdfs(P, q, t, int(s), k, m, seqs, cache)
                draws = rng.random((n, len(seqs)))
                for i, c in enumerate(cdfs):
                    sums[:, i] = np.minimum(np.searchsorted(c, draws[:, i], side="right"), len(c) - 1)
            for cols, qseq, after, u in (groups(t, int(s), seqs) if sampler == "rollouts" else ()):
                N = len(cols)
                step = max(1, _CHUNK // (N * m))
                for a in range(0, n, step):
                    b = min(n, a + step)
                    sums[a:b, cols] = _group_scores(P, q, qseq, after, u, b - a, m, rng)
            tied = sums == sums.max(axis=1, keepdims=True)
            cnt = tied.sum(axis=1)
            r = (rng.random(n) * cnt).astype(np.int64)
            choice = np.argmax(np.cumsum(tied, axis=1) > r[:, None], axis=1)
            firsts = np.array([f for f, _, _, _ in seqs], dtype=np.int64)[choice]
            ok[idx] &= np.asarray(optimal[t], dtype=bool)[firsts]
            state[idx] = L0.next[firsts] if t + 1 < T else -1
    return int(ok.sum())


_CHUNK = 1 << 21  # rollouts simulated at once


def _group_scores(P, q, qseq, after, u, n, m, rng):
    """``(n, N)`` summed scores of ``m`` rollouts of ``N`` sequences of one length (each row of
    ``qseq`` the sequence's success probabilities, ``after`` the state it reaches at layer ``u``,
    ``-1`` when the episode has ended)."""
    T = P.horizon
    N, ln = qseq.shape
    score = (rng.random((n, N, m, ln)) < qseq[None, :, None, :]).sum(axis=3).reshape(-1)
    cur = np.broadcast_to(after[None, :, None], (n, N, m)).reshape(-1).copy()
    live = cur >= 0
    for v in range(u, T):
        L = P.layers[v]
        if live.all():  # the common case (full trees): no masking
            pair = L.ptr[cur] + (rng.random(len(cur)) * L.counts[cur]).astype(np.int64)
            score += rng.random(len(cur)) < q[v][pair]
            cur = L.next[pair] if v + 1 < T else np.full(len(cur), -1, dtype=np.int64)
        else:
            if not live.any():
                break
            c = cur[live]
            pair = L.ptr[c] + (rng.random(len(c)) * L.counts[c]).astype(np.int64)
            score[live] += rng.random(len(c)) < q[v][pair]
            cur[live] = L.next[pair] if v + 1 < T else -1
        live = cur >= 0
    return score.reshape(n, N, m).sum(axis=2)


def _h(k, m, A):
    return math.inf if m is None else k + (math.log(m) / math.log(A) if m > 1 else 0.0)


def simulated_m(P: TimeExpandedMDP, q: list, optimal: list, k: int, *, runs: int = 500, m_max: int = 256,
                rng: np.random.Generator, sampler: str = "rollouts") -> tuple:
    """The authors' ``m_k``: the first grid ``m = 1, 2, 4, ...`` whose simulated rate is ``>= 1/2``.

    Returns
    -------
    tuple
        ``(m_k or None, [(m, successes), ...])``.

    Examples
    --------
    >>> tr, qq = tree_instance(0, 2, np.random.default_rng(3))
    >>> P = tree_problem(tr, qq)
    >>> ql = [np.array([float(x) for x in L.reward]) for L in P.layers]
    >>> simulated_m(P, ql, horizon_values(P).optimal, 1, runs=50, m_max=64, rng=np.random.default_rng(0))[0]
    1
    """
    rows, cache = [], {}
    m = 1
    while m <= m_max:
        n_ok = simulate_gorp_bernoulli(P, q, optimal, k, m, runs, rng, sampler=sampler, _cache=cache)
        rows.append((m, n_ok))
        if 2 * n_ok >= runs:
            return m, rows
        m *= 2
    return None, rows


def analyse_instance(tr: np.ndarray, q: np.ndarray, T: int, A: int, *, seed_key: tuple, runs: int = 500,
                     m_max: int = 256, k_max: int = 4, delta: float = 1.0, exact: bool = True,
                     exact_least: bool = False, stop_if_infinite: bool = True, exact_budget: int = 2_000,
                     sampler: str = "sums") -> dict | None:
    """One instance's row (module docstring): the simulated ``H`` first, then ``kappa``, ``J``
    and the computed ``H``.

    When the simulated ``H`` is infinite for every ``k`` and ``stop_if_infinite``: ``None``, or
    with ``exact`` ``{"discarded": True, "H_exact": ...}`` (the computed ``H`` of the discarded
    instance, to count how many the simulation discards wrongly).

    Examples
    --------
    >>> tr, qq = tree_instance(1, 2, np.random.default_rng(0))
    >>> row = analyse_instance(tr, qq, 1, 2, seed_key=(0,), runs=50, m_max=8)
    >>> sorted(k for k in row if k.startswith("kappa"))
    ['kappa_G1', 'kappa_uniform']
    """
    P = tree_problem(tr, q, name=f"T{T}_A{A}")
    hv = horizon_values(P)
    ql = [np.array([float(x) for x in L.reward]) for L in P.layers]
    ks = range(1, min(k_max, P.horizon) + 1)
    m_sim, H_sim = [], math.inf
    for k in ks:
        rng = np.random.default_rng(np.random.SeedSequence([*seed_key, k, 1]))
        mk, rows = simulated_m(P, ql, hv.optimal, k, runs=runs, m_max=m_max, rng=rng, sampler=sampler)
        m_sim.append({"k": k, "m": mk, "successes": [[a, b] for a, b in rows]})
        H_sim = min(H_sim, _h(k, mk, A))
    if H_sim == math.inf and stop_if_infinite:
        if not exact:
            return None
        g = GorpExact(P, "bernoulli", values=hv, exact_budget=exact_budget)
        return {"discarded": True, "H_exact": min(exact_m(g, k, m_max=m_max, least=False).H_grid for k in ks)}
    mdp = tree_mdp(tr, q, name=P.name)
    pi0 = mdp.prior_policy()
    pi1 = goal_condition(mdp, backend="float")
    row = {"family": [T, A], "q_sha": hashlib.sha256(q.tobytes()).hexdigest()[:16],
           "J_star": float(hv.v_star[0][0]), "J_prior": float(hv.v_rand[0][0]),
           "kappa_uniform": float(incoherence(mdp, pi0, "boltzmann", delta=delta, backend="float")),
           "kappa_G1": float(incoherence(mdp, pi1, "boltzmann", delta=delta, backend="float")),
           "H_sim": H_sim, "m_sim": m_sim}
    if exact:
        g = GorpExact(P, "bernoulli", values=hv, exact_budget=exact_budget)
        H_ex, H_least, m_ex, methods, und = math.inf, math.inf, [], set(), []
        for k in ks:
            r = exact_m(g, k, m_max=m_max, least=exact_least)
            methods.update(x["method"] for x in r.grid)
            if r.undecided:
                und.append(k)
            m_ex.append({"k": k, "m_grid": r.m_grid, "m_least": r.m_least,
                         "p": [[x["m"], x["lower"], x["upper"]] for x in r.grid]})
            H_ex = min(H_ex, r.H_grid)
            H_least = min(H_least, r.H_least)
        row.update({"H_exact": H_ex, "H_exact_least": H_least if exact_least else None, "m_exact": m_ex,
                    "exact_methods": sorted(methods), "exact_undecided_k": und})
    return row


def _jnum(x):
    return "inf" if x == math.inf else x


def _corr(xs, ys, rng, n_boot, label, published):
    r, ci, used = bootstrap_pearson(xs, ys, rng, n_boot)
    inside = None if ci is None else bool(ci[0] <= published <= ci[1])
    return {"pair": label, "n": len(xs), "r": r, "ci95": ci, "bootstrap_used": used,
            "published_r": published, "published_inside_ci95": inside}


def _buckets(rows, hkey):
    bins = {}
    for r in rows:
        if r.get(hkey) not in (None, math.inf):
            bins.setdefault(int(math.floor(r[hkey] + 1e-9)), []).append(r)
    return [{"H_bin": h, "n": len(rs), "mean_kappa_G1": float(np.mean([r["kappa_G1"] for r in rs])),
             "mean_kappa_uniform": float(np.mean([r["kappa_uniform"] for r in rs]))}
            for h, rs in sorted(bins.items())]


def run_authors_protocol(seed: int = 0, per_family: int = 20, *, families=FAMILIES, runs: int = 500,
                         m_max: int = 256, k_max: int = 4, delta: float = 1.0, bootstrap: int = 1000,
                         exact: bool = True, exact_least: bool = False, max_tries_factor: int = 20,
                         exact_budget: int = 2_000, sampler: str = "sums", progress=None) -> dict:
    """Run the authors' protocol; returns the JSON-able dict of the module docstring.

    Parameters
    ----------
    seed : int
        Seeds the instances, the simulations and the bootstrap.
    per_family : int
        Selected (finite simulated ``H``) instances per family (the authors: 20).
    families : sequence of (T, A)
    runs, m_max, k_max : int
        GORP runs per ``(k, m)``, the largest ``m`` of the doubling grid, the largest ``k``.
    delta : float
        Boltzmann temperature of ``kappa``.
    bootstrap : int
        Bootstrap resamples of the correlations.
    exact, exact_least : bool
        Also compute ``H`` from the exact success probabilities (grid rule), and with the true
        least ``m``.
    exact_budget : int
        :class:`~proofcheck.numerics.gorp_exact.GorpExact`'s budget for rational arithmetic; above
        it the certified float64 enclosure is used (rationals with 10^4-bit denominators make
        exact arithmetic slow at large ``m``; the enclosures decide every threshold test unless
        ``p`` is within about ``1e-12`` of ``1/2``).
    sampler : {"sums", "rollouts"}
        How the simulation draws each sequence's summed score (:func:`simulate_gorp_bernoulli`):
        ``"sums"`` (default, fast) from its distribution, ``"rollouts"`` rollout by rollout (the
        literal procedure, about 10x slower on the larger families); the same distribution.
    max_tries_factor : int
        At most ``max_tries_factor * per_family`` candidates per family.
    progress : callable, optional
        Called with ``(selected so far, total wanted)``.

    Returns
    -------
    dict

    Examples
    --------
    >>> out = run_authors_protocol(seed=0, per_family=1, families=((1, 2),), runs=50, m_max=4, bootstrap=0)
    >>> len(out["rows"]), out["discarded"][0]["family"]
    (1, [1, 2])
    """
    if per_family < 1:
        raise ConventionError(f"per_family {per_family}: give a positive number of instances per family")
    if not 0 <= seed < 2 ** 63:
        raise ConventionError(f"seed {seed}: give a non-negative integer below 2**63")
    if runs < 1 or m_max < 1 or k_max < 1 or bootstrap < 0 or delta <= 0:
        raise ConventionError("runs, m_max, k_max must be positive, bootstrap non-negative, delta positive")
    rows, discarded = [], []
    finite_exact_discarded = [0] * len(families)
    total = per_family * len(families)
    for fi, (T, A) in enumerate(families):
        got = tried = 0
        while got < per_family and tried < max_tries_factor * per_family:
            rng = np.random.default_rng(np.random.SeedSequence([seed, fi, tried]))
            tr, q = tree_instance(T, A, rng)
            row = analyse_instance(tr, q, T, A, seed_key=(seed, fi, tried), runs=runs, m_max=m_max,
                                   k_max=k_max, delta=delta, exact=exact, exact_least=exact_least,
                                   exact_budget=exact_budget, sampler=sampler)
            if row is not None and row.get("discarded"):
                finite_exact_discarded[fi] += row["H_exact"] < math.inf
            elif row is not None:
                row["index"] = tried
                rows.append(row)
                got += 1
                if progress:
                    progress(len(rows), total)
            tried += 1
        discarded.append({"family": [T, A], "tried": tried, "selected": got, "discarded": tried - got,
                          "discarded_with_finite_exact_H": finite_exact_discarded[fi] if exact else None})
    brng = np.random.default_rng(np.random.SeedSequence([seed, 10 ** 6]))
    corr = []
    for hkey, label in (("H_sim", "simulated"), ("H_exact", "exact"), ("H_exact_least", "exact, least m")):
        use = [r for r in rows if r.get(hkey) not in (None, math.inf)]
        if not use:
            continue
        H = [r[hkey] for r in use]
        for kkey, pub in (("kappa_uniform", PUBLISHED["r_H_kappa_uniform"]), ("kappa_G1", PUBLISHED["r_H_kappa_G1"])):
            c = _corr(H, [r[kkey] for r in use], brng, bootstrap, f"r(H, {kkey})", pub)
            c["H"] = label
            corr.append(c)
    within = []  # the pooled r mixes families whose T (and so kappa and H) differ
    for hkey, label in (("H_sim", "simulated"), ("H_exact", "exact")):
        use = [r for r in rows if r.get(hkey) not in (None, math.inf)]
        if not use:
            continue
        fams = sorted({tuple(r["family"]) for r in use})
        cen = {}
        for key in (hkey, "kappa_uniform", "kappa_G1"):
            mean = {f: float(np.mean([r[key] for r in use if tuple(r["family"]) == f])) for f in fams}
            cen[key] = [r[key] - mean[tuple(r["family"])] for r in use]
        for kkey, pub in (("kappa_uniform", PUBLISHED["r_H_kappa_uniform"]), ("kappa_G1", PUBLISHED["r_H_kappa_G1"])):
            c = _corr(cen[hkey], cen[kkey], brng, bootstrap, f"r(H, {kkey})", pub)
            c["H"] = label
            c["centred_per_family"] = True
            within.append(c)
    n_tried = sum(d["tried"] for d in discarded)
    out_rows = []
    for r in rows:
        r2 = dict(r)
        for key in ("H_sim", "H_exact", "H_exact_least"):
            if key in r2 and r2[key] is not None:
                r2[key] = _jnum(r2[key])
        out_rows.append(r2)
    agree = [r for r in rows if "H_exact" in r]
    return {
        "schema": "proofcheck.authors/1",
        "config": {"seed": seed, "per_family": per_family, "families": [list(f) for f in families],
                   "runs": runs, "m_max": m_max, "k_max": k_max, "delta": delta, "bootstrap": bootstrap,
                   "exact": exact, "exact_least": exact_least, "max_tries_factor": max_tries_factor,
                   "exact_budget": exact_budget, "sampler": sampler,
                   "generator": "full A-ary tree, T+1 decision steps, q ~ Uniform(0,1) float64 per pair, "
                                "uniform prior; SeedSequence([seed, family, candidate])",
                   "selection": "discard instances whose simulated H is infinite for every k"},
        "rows": out_rows,
        "discarded": discarded,
        "summary": {
            "n_selected": len(rows), "n_tried": n_tried,
            "discard_share": (n_tried - len(rows)) / n_tried if n_tried else None,
            "correlations": corr,
            "within_family_correlations": within,
            "kappa_by_H_sim": _buckets(rows, "H_sim"),
            "kappa_by_H_exact": _buckets(rows, "H_exact"),
            "H_sim_equals_H_exact": sum(1 for r in agree if abs(r["H_sim"] - r["H_exact"]) < 1e-12
                                        or r["H_sim"] == r["H_exact"]),
            "H_exact_infinite": sum(1 for r in agree if r["H_exact"] == math.inf),
            "H_range_sim": [min(r["H_sim"] for r in rows), max(r["H_sim"] for r in rows)] if rows else None,
            "published": PUBLISHED,
        },
    }


def _f(x, fmt="+.3f"):
    return "n/a" if x is None else format(x, fmt)


def format_authors_report(result: dict) -> str:
    """Terminal text: correlations with bootstrap intervals beside the published values.

    Examples
    --------
    >>> out = run_authors_protocol(seed=0, per_family=1, families=((1, 2),), runs=50, m_max=4, bootstrap=0)
    >>> format_authors_report(out).splitlines()[0].startswith("authors' protocol")
    True
    """
    c, s = result["config"], result["summary"]
    lines = [f"authors' protocol: seed {c['seed']}, {s['n_selected']} instances selected of {s['n_tried']} "
             f"tried ({_f(s['discard_share'], '.1%')} discarded), {c['runs']} GORP runs per (k, m), "
             f"m <= {c['m_max']}, k <= {c['k_max']}, delta = {c['delta']}, {c['bootstrap']} bootstrap resamples",
             "discarded per family: " + "; ".join(f"({d['family'][0]},{d['family'][1]}) {d['discarded']}/{d['tried']}"
                                                  for d in result["discarded"]),
             f"{'H estimator':<20} {'correlation':<22} {'n':>4} {'r':>7} {'95% CI':>18} {'published':>9}  inside"]
    for k in s["correlations"]:
        ci = "n/a" if k["ci95"] is None else f"[{k['ci95'][0]:+.3f}, {k['ci95'][1]:+.3f}]"
        inside = {True: "yes", False: "no", None: "n/a"}[k["published_inside_ci95"]]
        lines.append(f"{k['H']:<20} {k['pair']:<22} {k['n']:>4} {_f(k['r']):>7} {ci:>18} "
                     f"{k['published_r']:>+9.3f}  {inside}")
    for k in s.get("within_family_correlations", []):
        ci = "n/a" if k["ci95"] is None else f"[{k['ci95'][0]:+.3f}, {k['ci95'][1]:+.3f}]"
        lines.append(f"{k['H'] + ' (centred)':<20} {k['pair']:<22} {k['n']:>4} {_f(k['r']):>7} {ci:>18} "
                     "   values centred per family")
    for key, label in (("kappa_by_H_sim", "simulated H"), ("kappa_by_H_exact", "exact H")):
        lines.append(f"mean kappa by floor({label}) (published: kappa(pi^G_1) ~0.03 at H 3-4, ~0.06 at H 8-10):")
        for b in s[key]:
            lines.append(f"  H in [{b['H_bin']}, {b['H_bin'] + 1}): n = {b['n']:<4} mean kappa(pi^G_1) = "
                         f"{b['mean_kappa_G1']:.3e}  mean kappa(uniform) = {b['mean_kappa_uniform']:.3e}")
    rng_ = s["H_range_sim"]
    lines.append(f"simulated H range {rng_} (published {PUBLISHED['H_range']}); simulated H = exact H on "
                 f"{s['H_sim_equals_H_exact']} instances; exact H infinite on {s['H_exact_infinite']}")
    fin = [d.get("discarded_with_finite_exact_H") for d in result["discarded"]]
    if all(x is not None for x in fin):
        lines.append(f"discarded instances whose exact H is finite: {sum(fin)}")
    return "\n".join(lines)
