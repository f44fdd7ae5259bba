"""The paper's incoherence / effective-horizon discussion experiment (spec section 9).

The paper links deep-RL tractability (small effective horizon: acting greedily on the
random policy's Q is near-optimal) to incoherence (the naive goal-conditioned answer is
already coherent).  Its experiment: 140 random tabular MDPs, families ``(T, A)`` in
``{(2,2), (3,2), (4,2), (4,3), (5,2), (6,2), (3,4)}``, 20 each.  It printed Pearson
``r = -0.016`` between the uniform prior's incoherence and the effective horizon,
``r = 0.32`` for ``kappa_delta(pi^G_1)``, mean residual incoherence ``2.8e-2`` at effective
horizon 3 rising to ``1.1e-1`` at 11, and a misalignment/incoherence correlation peaking at
0.44 near temperature 1.  This module regenerates the experiment *as we define it below*;
our generator is not the paper's (which is unpublished), so agreement is not expected a
priori and none is claimed unless measured.  The authors' own protocol as far as their
published configuration and data show it (spec section 11: full trees, Bernoulli rewards,
``H`` by simulated GORP; their data give ``r = 0.198`` and ``0.244``) is
:mod:`proofcheck.experiments.authors`.

Random MDP generator (:func:`random_mdp`)
------------------------------------------
Deterministic, layered, horizon ``T``, ``A`` actions in every non-terminal state:

* layer 0 holds the initial state; layer ``t = 1 .. T-1`` holds ``min(A^t, width)``
  states (``width = 4`` by default); every action of layer ``T-1`` ends in one shared
  terminal state ``"end"`` (leaf success 1);
* transitions from layer ``t`` to ``t+1``: each state of layer ``t+1`` is the target of one
  distinct, uniformly chosen pair (so every state is reachable), every other pair gets a
  uniformly random target;
* likelihoods ``q(s, a) = 1 - U``, ``U ~ Uniform[0, 1)`` in float64, i.e. ``q in (0, 1]``,
  rewards ``r = log q <= 0`` (finite);
* the prior is uniform.

Each MDP has its own generator, seeded by ``(seed, family index, MDP index)``
(:class:`numpy.random.SeedSequence`), so ``--per-family 3`` gives the first three MDPs of
each family of the full run.

Per MDP
-------
* ``kappa_prior`` = ``kappa_delta(p)``, the Boltzmann incoherence of the uniform prior, and
  ``kappa_G1`` = ``kappa_delta(pi^G_1)``, the *residual incoherence* after one
  goal-conditioning step ``pi^G_1 = G(p)``, both at temperature ``delta`` (default 1), causal
  form (spec section 6); also ``kappa_delta(p)`` for each ``delta`` of ``deltas``.
* ``H``: the **bound-based** effective horizon ``min_k (k + log_A m_k)`` with ``m_k`` the
  Theorem 5.4 upper bound (:func:`~proofcheck.engine.effective_horizon.effective_horizon`,
  rewards ``R = log q``), an upper bound on Laidlaw et al.'s ``H``; always ``<= T``
  (``k = T`` is exhaustive search, ``m = 1``), so on these small families it is often
  exactly ``T``.  Also ``H_at_min_k = min_k + log_A(m_{min_k} bound)``, the bound at the
  least solvable ``k`` without the minimum over ``k`` (not capped by ``T``; the paper's
  effective horizons up to 11 with ``T <= 6`` suggest an uncapped quantity of this kind),
  ``min_k`` and the effective planning window.
* ``misalignment`` (the one correlated): ``1 - `` the fraction of the MDP's decision states
  ``s`` at which *every* action greedy on ``Q^rand`` (the uniformly random policy's Q for
  the additive reward ``log q``) is optimal (attains ``max_a Q*``).  Unweighted: every
  decision state counts once (all are reachable under the uniform prior).
  ``misalignment_G`` is the same with the argmax of ``G(p)(.|s)`` (equivalently of the
  prior's soft Q ``Zq_p``) in place of ``Q^rand``.  Optimal actions for ``J`` and ``S``
  coincide here (deterministic dynamics).

Summary: Pearson correlations with percentile-bootstrap 95% intervals (``bootstrap``
resamples of the MDPs, seeded by ``seed``; resamples with a constant variable are skipped
and counted), ``misalignment`` vs ``kappa_delta(p)`` for each ``delta``, mean residual
incoherence per effective-horizon bin ``floor(H)``, per-family means, and the paper's
numbers beside ours.

Precision: ``kappa`` and ``G`` in IEEE float64 (no error bound; the first MDP of each
family is recomputed with mpmath at 30 digits and the largest relative deviation is
reported); the effective horizon in float64 *and* mpmath at 30 digits, every discrete
result (min_k, window, solvability, ``m_k`` bounds, argmin ``k``) compared, disagreements
counted (a disagreement means a float64 tie decision is not trustworthy there; the
mpmath result is the one used).

JSON schema (``schema = "proofcheck.discussion/1"``)
---------------------------------------------------
``config``: seed, per_family, families, width, delta, deltas, bootstrap, generator and
precision statements.  ``rows``: one object per MDP with ``family`` ``[T, A]``, ``index``,
``n_states``, ``n_pairs``, ``kappa_prior``, ``kappa_G1``, ``kappa_prior_by_delta``
(``{str(delta): value}``), ``H``, ``H_exact`` (SymPy text), ``H_argmin_k``, ``min_k``,
``H_at_min_k``, ``planning_window``, ``misalignment``, ``misalignment_G``, ``eh_float_mpmath_agree``.
``summary``: ``correlations`` (list of ``{x, y, n, r, ci95, bootstrap_used, paper_r}``),
``within_family_correlations`` (the same for values centred per family, flag
``centred_per_family``; the pooled ``r`` mixes families of different ``T``, and both
``kappa`` and ``H`` grow with ``T``),
``misalignment_vs_kappa_by_delta`` (list of ``{delta, r, ci95}``) and ``peak_delta``,
``residual_incoherence_by_H`` and ``residual_incoherence_by_H_at_min_k`` (lists of
``{H_bin, n, mean_kappa_G1, mean_kappa_prior}``, bins ``floor``),
``by_family``, ``crosscheck`` and ``paper``.  No timings (same seed, same JSON).
"""

from __future__ import annotations

import math

import networkx as nx
import numpy as np

from proofcheck.engine import goal_condition, incoherence
from proofcheck.engine.effective_horizon import effective_horizon, time_expand
from proofcheck.errors import ConventionError
from proofcheck.model.mdp import from_graph

__all__ = ["FAMILIES", "PAPER", "random_mdp", "analyse_mdp", "pearson", "bootstrap_pearson",
           "run_experiment", "format_summary"]

FAMILIES = ((2, 2), (3, 2), (4, 2), (4, 3), (5, 2), (6, 2), (3, 4))
DELTAS = (0.25, 0.5, 1.0, 2.0, 4.0)
PAPER = {
    "kappa_prior_vs_H": -0.016,
    "kappa_G1_vs_H": 0.32,
    "mean_residual_incoherence_at_H3": 2.8e-2,
    "mean_residual_incoherence_at_H11": 1.1e-1,
    "misalignment_vs_incoherence_peak": 0.44,
    "misalignment_vs_incoherence_peak_temperature": "near 1",
    "n_mdps": 140,
}


def random_mdp(T, A, rng, *, width=4, name=None):
    """One random deterministic layered MDP of the family ``(T, A)`` (see the module docstring).

    Examples
    --------
    >>> import numpy as np
    >>> m = random_mdp(3, 2, np.random.default_rng(0))
    >>> m.n_states, m.horizon, m.deterministic
    (8, 3, True)
    """
    if T < 1 or A < 1 or width < 1:
        raise ConventionError(f"family (T={T}, A={A}) with width {width}: all must be positive integers")
    sizes = [1] + [min(A ** t, width) for t in range(1, T)]
    G = nx.MultiDiGraph(name=name or f"random_T{T}_A{A}", initial=(0, 0), default_prior="uniform")
    for t in range(T):
        pairs = sizes[t] * A
        if t + 1 < T:
            m = sizes[t + 1]
            targets = rng.integers(0, m, size=pairs)
            targets[rng.permutation(pairs)[:m]] = np.arange(m)  # every next state is reached
        q = 1.0 - rng.random(pairs)
        for j in range(pairs):
            s, a = divmod(j, A)
            target = (int(targets[j]), t + 1) if t + 1 < T else "end"
            G.add_edge((s, t), target, key=a, q=float(q[j]))
    return from_graph(G)


def _greedy_states_ok(mdp, scores, optimal_by_state):
    """Fraction of decision states where every argmax of ``scores`` is optimal."""
    ok = n = 0
    for i, term in enumerate(mdp.terminal):
        if term:
            continue
        lo, hi = mdp.state_ptr[i], mdp.state_ptr[i + 1]
        vals = scores[lo:hi]
        best = vals == np.max(vals)
        n += 1
        ok += bool(np.all(optimal_by_state[mdp.states[i]][best]))
    return ok / n


def analyse_mdp(mdp, *, delta=1.0, deltas=DELTAS, eh_backend="mpmath:30"):
    """The row of one MDP (see the module docstring); the effective horizon in ``eh_backend``
    and, as a check of the float64 tie decisions, in float64."""
    pi0 = mdp.prior_policy()
    pi1 = goal_condition(mdp, backend="float")
    kappa_prior = float(incoherence(mdp, pi0, "boltzmann", delta=delta, backend="float"))
    kappa_g1 = float(incoherence(mdp, pi1, "boltzmann", delta=delta, backend="float"))
    by_delta = {str(d): float(incoherence(mdp, pi0, "boltzmann", delta=d, backend="float"))
                for d in deltas}
    P = time_expand(mdp)
    eh = effective_horizon(P, eh_backend)
    eh_f = effective_horizon(P, "float")
    agree = ((eh.min_k, eh.planning_window, eh.H_k, [r.m_bound for r in eh.per_k])
             == (eh_f.min_k, eh_f.planning_window, eh_f.H_k, [r.m_bound for r in eh_f.per_k]))
    hv = eh.values
    optimal, rand_scores = {}, {}
    for t, L in enumerate(P.layers):
        for i, s in enumerate(L.states):
            lo, hi = L.ptr[i], L.ptr[i + 1]
            optimal[s] = np.asarray(hv.optimal[t][lo:hi], dtype=bool)
            rand_scores[s] = [float(x) for x in hv.q_rand[t][lo:hi]]
    qrand = np.zeros(mdp.n_pairs)
    for i, s in enumerate(mdp.states):
        if not mdp.terminal[i]:
            qrand[mdp.state_ptr[i]:mdp.state_ptr[i + 1]] = rand_scores[s]
    mis = 1.0 - _greedy_states_ok(mdp, qrand, optimal)
    mis_g = 1.0 - _greedy_states_ok(mdp, np.asarray(pi1.values, dtype=float), optimal)
    return {
        "n_states": mdp.n_states, "n_pairs": mdp.n_pairs,
        "kappa_prior": kappa_prior, "kappa_G1": kappa_g1, "kappa_prior_by_delta": by_delta,
        "H": eh.H_float, "H_exact": str(eh.H), "H_argmin_k": eh.H_k,
        "H_at_min_k": float(eh.per_k[eh.min_k - 1].h_bound),
        "min_k": eh.min_k, "planning_window": eh.planning_window,
        "misalignment": mis, "misalignment_G": mis_g,
        "eh_float_mpmath_agree": bool(agree),
    }


def pearson(x, y):
    """Pearson's r, or ``None`` when either variable is constant.

    Examples
    --------
    >>> pearson([1, 2, 3], [2, 4, 7]) > 0.99
    True
    >>> pearson([1, 1, 1], [1, 2, 3]) is None
    True
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    dx, dy = x - x.mean(), y - y.mean()
    sx, sy = math.sqrt(float(dx @ dx)), math.sqrt(float(dy @ dy))
    if sx == 0 or sy == 0:
        return None
    return float(min(1.0, max(-1.0, (dx @ dy) / (sx * sy))))


def bootstrap_pearson(x, y, rng, n_boot=1000, level=0.95):
    """``(r, (lo, hi), used)``: percentile bootstrap interval over resampled pairs."""
    r = pearson(x, y)
    if r is None:
        return None, None, 0
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    n = len(x)
    rs = []
    for _ in range(n_boot):
        idx = rng.integers(0, n, size=n)
        v = pearson(x[idx], y[idx])
        if v is not None:
            rs.append(v)
    if not rs:
        return r, None, 0
    a = (1 - level) / 2
    lo, hi = np.quantile(rs, [a, 1 - a])
    return r, (float(lo), float(hi)), len(rs)


def _corr(rows, xkey, ykey, rng, n_boot, paper=None, x=None, y=None):
    x = [r[xkey] for r in rows] if x is None else x
    y = [r[ykey] for r in rows] if y is None else y
    r, ci, used = bootstrap_pearson(x, y, rng, n_boot)
    return {"x": xkey, "y": ykey, "n": len(rows), "r": r, "ci95": ci,
            "bootstrap_used": used, "paper_r": paper}


def run_experiment(seed=0, per_family=20, *, families=FAMILIES, width=4, delta=1.0,
                   deltas=DELTAS, bootstrap=1000, progress=None):
    """Run the experiment; returns the JSON-able dict described in the module docstring.

    Examples
    --------
    >>> out = run_experiment(seed=0, per_family=1, families=((2, 2), (3, 2), (2, 3)), bootstrap=50)
    >>> len(out["rows"]), out["summary"]["correlations"][0]["x"]
    (3, 'kappa_prior')
    """
    if per_family < 1:
        raise ConventionError(f"--per-family {per_family}: give a positive number of MDPs per family")
    if not 0 <= seed < 2 ** 63:
        raise ConventionError(f"--seed {seed}: give a non-negative integer seed below 2**63")
    if bootstrap < 0:
        raise ConventionError(f"--bootstrap {bootstrap}: give a non-negative number of resamples")
    if delta <= 0 or any(d <= 0 for d in deltas):
        raise ConventionError(f"temperatures {delta}, {list(deltas)} must be positive")
    rows, kappa_dev = [], 0.0
    for fi, (T, A) in enumerate(families):
        for i in range(per_family):
            rng = np.random.default_rng(np.random.SeedSequence([seed, fi, i]))
            mdp = random_mdp(T, A, rng, width=width, name=f"T{T}_A{A}_{i}")
            row = {"family": [T, A], "index": i}
            row.update(analyse_mdp(mdp, delta=delta, deltas=deltas))
            rows.append(row)
            if i == 0:  # precision check of the float64 kappa against mpmath, 30 digits
                k30 = float(incoherence(mdp, goal_condition(mdp, backend="mpmath:30"), "boltzmann",
                                        delta=delta, backend="mpmath:30"))
                kappa_dev = max(kappa_dev, abs(k30 - row["kappa_G1"]) / max(abs(k30), 1e-300))
            if progress:
                progress(len(rows), len(families) * per_family)
    brng = np.random.default_rng(np.random.SeedSequence([seed, 10 ** 6]))
    corr = [
        _corr(rows, "kappa_prior", "H", brng, bootstrap, PAPER["kappa_prior_vs_H"]),
        _corr(rows, "kappa_G1", "H", brng, bootstrap, PAPER["kappa_G1_vs_H"]),
        _corr(rows, "kappa_prior", "H_at_min_k", brng, bootstrap, PAPER["kappa_prior_vs_H"]),
        _corr(rows, "kappa_G1", "H_at_min_k", brng, bootstrap, PAPER["kappa_G1_vs_H"]),
        _corr(rows, "misalignment", "kappa_prior", brng, bootstrap),
        _corr(rows, "misalignment", "H", brng, bootstrap),
        _corr(rows, "misalignment_G", "kappa_prior", brng, bootstrap),
        _corr(rows, "kappa_prior", "min_k", brng, bootstrap),
        _corr(rows, "kappa_G1", "min_k", brng, bootstrap),
    ]
    # the pooled correlations mix families whose T differs (kappa sums over T steps and
    # H <= T): also correlate values centred per family
    centred = {}
    for key in ("kappa_prior", "kappa_G1", "H"):
        means = {tuple(f): np.mean([r[key] for r in rows if r["family"] == list(f)]) for f in families}
        centred[key] = [r[key] - means[tuple(r["family"])] for r in rows]
    within = [
        {**_corr(rows, "kappa_prior", "H", brng, bootstrap, PAPER["kappa_prior_vs_H"],
                 x=centred["kappa_prior"], y=centred["H"]), "centred_per_family": True},
        {**_corr(rows, "kappa_G1", "H", brng, bootstrap, PAPER["kappa_G1_vs_H"],
                 x=centred["kappa_G1"], y=centred["H"]), "centred_per_family": True},
    ]
    by_delta = []
    for d in deltas:
        c = _corr(rows, "misalignment", f"kappa_prior(delta={d})", brng, bootstrap,
                  y=[r["kappa_prior_by_delta"][str(d)] for r in rows])
        by_delta.append({"delta": d, "r": c["r"], "ci95": c["ci95"]})
    valid = [b for b in by_delta if b["r"] is not None]
    peak = max(valid, key=lambda b: b["r"])["delta"] if valid else None
    def binned(key):
        bins = {}
        for r in rows:
            bins.setdefault(int(math.floor(r[key] + 1e-9)), []).append(r)
        return [{"H_bin": h, "n": len(rs), "mean_kappa_G1": float(np.mean([r["kappa_G1"] for r in rs])),
                 "mean_kappa_prior": float(np.mean([r["kappa_prior"] for r in rs]))}
                for h, rs in sorted(bins.items())]
    fam = []
    for T, A in families:
        rs = [r for r in rows if r["family"] == [T, A]]
        fam.append({"family": [T, A], "n": len(rs),
                    **{f"mean_{k}": float(np.mean([r[k] for r in rs]))
                       for k in ("H", "min_k", "planning_window", "kappa_prior", "kappa_G1", "misalignment")},
                    "r_kappa_prior_H": pearson([r["kappa_prior"] for r in rs], [r["H"] for r in rs]),
                    "r_kappa_G1_H": pearson([r["kappa_G1"] for r in rs], [r["H"] for r in rs])})
    n_agree = sum(r["eh_float_mpmath_agree"] for r in rows)
    return {
        "schema": "proofcheck.discussion/1",
        "config": {
            "seed": seed, "per_family": per_family, "families": [list(f) for f in families],
            "width": width, "delta": delta, "deltas": list(deltas), "bootstrap": bootstrap,
            "generator": "layered deterministic DAG; layer t has min(A^t, width) states; "
                         "q = 1 - Uniform[0,1) in (0, 1], reward log q; uniform prior; "
                         "SeedSequence([seed, family, index])",
            "H_definition": "bound-based: min_k (k + log_A m_k) with m_k the Theorem 5.4 upper bound",
            "misalignment_definition": "1 - fraction of decision states where every Q^rand-greedy action is optimal",
            "residual_incoherence_definition": "kappa_delta(pi^G_1), pi^G_1 = G(uniform prior)",
            "precision": "kappa, G: IEEE float64; effective horizon: mpmath 30 digits, cross-checked "
                         "against float64",
        },
        "rows": rows,
        "summary": {
            "correlations": corr,
            "within_family_correlations": within,
            "misalignment_vs_kappa_by_delta": by_delta,
            "peak_delta": peak,
            "residual_incoherence_by_H": binned("H"),
            "residual_incoherence_by_H_at_min_k": binned("H_at_min_k"),
            "by_family": fam,
            "crosscheck": {"mdps": len(rows), "eh_float_mpmath_agree": n_agree,
                           "kappa_G1_float_vs_mpmath30_max_rel_dev": kappa_dev},
            "paper": PAPER,
        },
    }


def _fmt_ci(ci):
    return "      n/a" if ci is None else f"[{ci[0]:+.3f}, {ci[1]:+.3f}]"


def _fmt_r(r):
    return "  n/a" if r is None else f"{r:+.3f}"


def format_summary(out):
    """Terminal lines: our correlations beside the paper's numbers."""
    c = out["config"]
    s = out["summary"]
    lines = [f"discussion experiment: seed {c['seed']}, {len(out['rows'])} MDPs "
             f"({c['per_family']} per family), delta = {c['delta']}, {c['bootstrap']} bootstrap resamples",
             f"H = {c['H_definition']}",
             f"{'x':<16} {'y':<12} {'r (ours)':>8} {'95% CI':>18} {'paper r':>8}"]
    for k in s["correlations"]:
        paper = "" if k["paper_r"] is None else f"{k['paper_r']:+.3f}"
        lines.append(f"{k['x']:<16} {k['y']:<12} {_fmt_r(k['r']):>8} {_fmt_ci(k['ci95']):>18} {paper:>8}")
    for k in s["within_family_correlations"]:
        lines.append(f"{k['x']:<16} {k['y']:<12} {_fmt_r(k['r']):>8} {_fmt_ci(k['ci95']):>18} "
                     f"{k['paper_r']:+.3f}  (centred per family)")
    fam = "; ".join(f"({f['family'][0]},{f['family'][1]}) {_fmt_r(f['r_kappa_prior_H']).strip()}/"
                    f"{_fmt_r(f['r_kappa_G1_H']).strip()}" for f in s["by_family"])
    lines.append(f"per family r(kappa_prior, H)/r(kappa_G1, H): {fam}")
    lines.append("misalignment vs kappa_delta(prior) by temperature delta "
                 f"(paper: peak {PAPER['misalignment_vs_incoherence_peak']} near delta = 1):")
    for b in s["misalignment_vs_kappa_by_delta"]:
        lines.append(f"  delta = {b['delta']:<5} r = {_fmt_r(b['r'])}  {_fmt_ci(b['ci95'])}")
    lines.append(f"  peak at delta = {s['peak_delta']}")
    for key, label in (("residual_incoherence_by_H", "H"), ("residual_incoherence_by_H_at_min_k", "H_at_min_k")):
        lines.append(f"mean residual incoherence kappa_delta(pi^G_1) by floor({label}) "
                     "(paper: 2.8e-2 at H = 3, 1.1e-1 at H = 11):")
        for b in s[key]:
            lines.append(f"  {label} in [{b['H_bin']}, {b['H_bin'] + 1}): n = {b['n']:<4} "
                         f"mean kappa(pi^G_1) = {b['mean_kappa_G1']:.3e}  mean kappa(prior) = {b['mean_kappa_prior']:.3e}")
    x = s["crosscheck"]
    lines.append(f"effective horizon float64 vs mpmath-30: {x['eh_float_mpmath_agree']}/{x['mdps']} agree; "
                 f"kappa(pi^G_1) float64 vs mpmath-30: max rel. deviation {x['kappa_G1_float_vs_mpmath30_max_rel_dev']:.1e}")
    return lines
