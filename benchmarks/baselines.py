"""Baselines for ``benchmarks/run.py``: the code a user would otherwise run.

Each function computes the same quantity as a proofcheck routine, by another route:

* :func:`enumeration_goal_condition`: ``G(prior)`` by enumerating trajectories and
  conditioning on success (the route of the paper's authors), SymPy rationals;
* :func:`plain_python_kernels`: soft values, ``G``, ``kappa`` as dict loops;
* :func:`dense_numpy_kernels`: the same in probability space over dense ``(n, A)``
  arrays per layer, plain NumPy (what a NumPy user writes for a layered model);
* :func:`logsumexp_kernels`: soft value iteration in log space with
  ``scipy.special.logsumexp`` (what an RL researcher writes);
* :func:`memcpy_bandwidth`: the memory-bandwidth bound, a NumPy copy of 256 MB;
* :func:`storm_drn`, :func:`storm_build_and_check`: Storm's parametric engine.

No timing here: ``run.py`` times, this module only computes.
"""

from __future__ import annotations

import math
import os
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import sympy as sp

from proofcheck.model.expressions import parse_expression

__all__ = ["enumeration_goal_condition", "plain_python_kernels", "dense_numpy_kernels",
           "logsumexp_kernels", "memcpy_bandwidth", "compulsory_bytes", "storm_drn",
           "storm_build_and_check", "layered_dense"]


# ---------------------------------------------------------------------------- enumeration

def enumeration_goal_condition(mdp):
    """``G(prior)`` at every state the way the paper's authors computed it.

    Enumerate every trajectory with its prior probability and its success likelihood,
    condition on success (normalise the joint weights), and read ``pi_1(a|s)`` off the
    marginals: ``P(s, a | success) / P(s | success)``.  Where ``P(s | success) = 0``
    the prior is kept (the engine's ``impossible = "keep"`` convention).  States that no
    trajectory of positive prior probability visits have no marginals: their entries are
    ``None`` (dynamic programming defines ``G`` there too; enumeration cannot).  SymPy
    rationals throughout, the number type of the exact engine.

    Returns
    -------
    (values, n_trajectories)
        ``values`` is an object array over the MDP's pairs.

    Examples
    --------
    >>> from proofcheck.examples import mountain_race
    >>> m = mountain_race()
    >>> vals, n = enumeration_goal_condition(m)
    >>> vals[m.pair("start", "up")], n
    (2/5, 4)
    """
    prior, q = mdp.prior, mdp.likelihood
    ep, succ = mdp.edge_prob, mdp.success
    # (pairs visited, states visited, P(xi), P(xi) P(success | xi))
    trajectories = []
    stack = [(i, (), (), m, m) for i, m in enumerate(mdp.initial) if m != 0]
    while stack:
        i, pairs, states, prob, w = stack.pop()
        if mdp.terminal[i]:
            trajectories.append((pairs, states + (i,), prob, w * succ[i]))
            continue
        for j in range(mdp.state_ptr[i], mdp.state_ptr[i + 1]):
            pj, wj = prob * prior[j], w * prior[j] * q[j]
            for e in range(mdp.pair_ptr[j], mdp.pair_ptr[j + 1]):
                stack.append((int(mdp.edge_target[e]), pairs + (j,), states + (i,), pj * ep[e], wj * ep[e]))
    zero = sp.Integer(0)
    total = sum((w for *_, w in trajectories), zero)
    pair_mass = [zero] * mdp.n_pairs
    state_mass = [zero] * mdp.n_states
    reached = np.zeros(mdp.n_states, dtype=bool)
    for pairs, states, prob, w in trajectories:
        if prob != 0:
            reached[list(states)] = True
        post = w / total if total != 0 else zero  # posterior probability given success
        if post == 0:
            continue
        for j in pairs:
            pair_mass[j] += post
        for i in states:
            state_mass[i] += post
    out = np.empty(mdp.n_pairs, dtype=object)
    for j in range(mdp.n_pairs):
        i = mdp.pair_state[j]
        d = state_mass[i]
        out[j] = None if not reached[i] else (prior[j] if d == 0 else pair_mass[j] / d)
    return out, len(trajectories)



# ---------------------------------------------------------------------------- float kernels

def plain_python_kernels(mdp):
    """Soft values, one ``G`` step and ``kappa_delta`` (delta = 1) as plain-Python loops
    over dicts: the baseline a user would write.  Returns three callables; each returns
    its result as a dict keyed like the model (state, (state, action))."""
    order = [mdp.states[i] for i in range(mdp.n_states - 1, -1, -1)]  # terminals first
    model, success = {}, {}
    for i, s in enumerate(mdp.states):
        acts = {}
        for j in range(mdp.state_ptr[i], mdp.state_ptr[i + 1]):
            outs = [(mdp.states[mdp.edge_target[e]], float(mdp.edge_prob[e]))
                    for e in range(mdp.pair_ptr[j], mdp.pair_ptr[j + 1])]
            acts[mdp.pair_action[j]] = (float(mdp.likelihood[j]), float(mdp.prior[j]), outs)
        model[s] = acts
        success[s] = float(mdp.success[i])
    prior = {(s, a): v[1] for s, acts in model.items() for a, v in acts.items()}
    init = {mdp.states[i]: float(m) for i, m in enumerate(mdp.initial) if m != 0}

    def soft(pi):
        zv, zq = {}, {}
        for s in order:
            acts = model[s]
            if not acts:
                zv[s] = success[s]
                continue
            tot = 0.0
            for a, (q, _, outs) in acts.items():
                z = q * sum(p * zv[t] for t, p in outs)
                zq[(s, a)] = z
                tot += pi[(s, a)] * z
            zv[s] = tot
        return zq, zv

    def g_step(pi):
        zq, zv = soft(pi)
        return {(s, a): (pi[(s, a)] * zq[(s, a)] / zv[s] if zv[s] != 0 else pi[(s, a)]) for (s, a) in pi}

    def kappa(pi):
        zq, _ = soft(pi)
        d = dict.fromkeys(model, 0.0)
        d.update(init)
        total = 0.0
        for s in reversed(order):  # forward in time
            acts = model[s]
            if not acts or d[s] == 0:
                continue
            norm = sum(zq[(s, a)] for a in acts)
            for a, (_, _, outs) in acts.items():
                pa = pi[(s, a)]
                for t, p in outs:
                    d[t] += d[s] * pa * p
                if pa > 0:
                    soft_pa = zq[(s, a)] / norm if norm > 0 else pa
                    total += d[s] * pa * (math.log(pa / soft_pa) if soft_pa > 0 else math.inf)
        return total

    return prior, (lambda: soft(prior)), (lambda: g_step(prior)), kappa


def layered_dense(mdp):
    """Per-level dense ``(n, A)`` arrays of a model whose levels have ``A`` actions per state
    and one outcome per action (the layered generator's deterministic models); None otherwise.

    Returns a list, top level first, of dicts with ``states`` (slice), ``pairs`` (slice),
    ``next``, ``q``, ``tau``, ``prior`` (each ``(n, A)``), and the model's float64
    ``success`` and ``initial`` over states.
    """
    if mdp.prior.dtype.kind != "f" or not mdp.deterministic:
        return None
    levels = []
    for blk in mdp.blocks[1:]:
        counts = np.diff(mdp.state_ptr[blk.states.start:blk.states.stop + 1])
        A = int(counts[0])
        if not np.all(counts == A):
            return None
        p = blk.pairs
        levels.append({"states": blk.states, "pairs": p,
                       "next": mdp.edge_target[mdp.pair_ptr[p.start:p.stop]].reshape(-1, A),
                       "q": mdp.likelihood[p].reshape(-1, A),
                       "tau": mdp.edge_prob[mdp.pair_ptr[p.start:p.stop]].reshape(-1, A),
                       "prior": mdp.prior[p].reshape(-1, A)})
    return levels[::-1], np.asarray(mdp.success, dtype=float), np.asarray(mdp.initial, dtype=float)


def dense_numpy_kernels(mdp):
    """Soft values, one ``G`` step and ``kappa_delta`` (delta = 1) in plain NumPy over dense
    ``(n, A)`` arrays per level, in probability space (what a NumPy user writes).

    Returns ``(soft, g_step, kappa)`` or None when the model is not layered (see
    :func:`layered_dense`).  ``soft(pi_levels)`` returns ``(zq_levels, zv)``; policies
    are lists of ``(n, A)`` arrays, top level first (``prior_levels`` of the result).
    """
    dense = layered_dense(mdp)
    if dense is None:
        return None
    levels, success, initial = dense
    n = mdp.n_states
    term = np.asarray(mdp.terminal)

    def soft(pis):
        zv = np.where(term, success, 0.0)
        zqs = [None] * len(levels)
        for k in range(len(levels) - 1, -1, -1):  # bottom level first
            L = levels[k]
            zq = L["q"] * L["tau"] * zv[L["next"]]
            zv[L["states"]] = (pis[k] * zq).sum(axis=1)
            zqs[k] = zq
        return zqs, zv

    def g_step(pis):
        zqs, zv = soft(pis)
        out = []
        for L, pi, zq in zip(levels, pis, zqs):
            tot = zv[L["states"]][:, None]
            with np.errstate(invalid="ignore", divide="ignore"):
                out.append(np.where(tot == 0, pi, pi * zq / tot))
        return out

    def kappa(pis):
        zqs, _ = soft(pis)
        d = initial.copy()
        total = 0.0
        for L, pi, zq in zip(levels, pis, zqs):  # top level first: forward in time
            ds = d[L["states"]]
            tot = zq.sum(axis=1, keepdims=True)
            with np.errstate(invalid="ignore", divide="ignore"):
                boltz = np.where(tot == 0, pi, zq / tot)
                terms = np.where(pi == 0, 0.0, pi * np.log(pi / boltz))
            w = ds[:, None] * terms
            total += float(np.where(ds[:, None] == 0, 0.0, w).sum())
            d += np.bincount(L["next"].ravel(), weights=(ds[:, None] * pi * L["tau"]).ravel(), minlength=n)
        return total

    kernels = (soft, g_step, kappa)
    return kernels, [L["prior"] for L in levels], levels


def logsumexp_kernels(mdp):
    """The same three kernels in log space with :func:`scipy.special.logsumexp` (soft value
    iteration as RL code writes it).  None when scipy is missing or the model is not layered.

    Returns ``((soft, g_step, kappa), log_prior_levels)``; ``soft`` returns ``(Q_levels, V)``.
    """
    try:
        from scipy.special import logsumexp
    except ImportError:
        return None
    dense = layered_dense(mdp)
    if dense is None:
        return None
    levels, success, initial = dense
    n = mdp.n_states
    term = np.asarray(mdp.terminal)
    with np.errstate(divide="ignore"):
        logs = [(np.log(L["q"]) + np.log(L["tau"])) for L in levels]
        v_leaf = np.where(term, np.log(np.where(term, success, 1.0)), 0.0)
        log_prior = [np.log(L["prior"]) for L in levels]

    def soft(log_pis):
        V = v_leaf.copy()
        Qs = [None] * len(levels)
        for k in range(len(levels) - 1, -1, -1):
            L = levels[k]
            Q = logs[k] + V[L["next"]]
            V[L["states"]] = logsumexp(Q + log_pis[k], axis=1)
            Qs[k] = Q
        return Qs, V

    def g_step(log_pis):
        Qs, V = soft(log_pis)
        out = []
        for L, lp, Q in zip(levels, log_pis, Qs):
            v = V[L["states"]][:, None]
            with np.errstate(invalid="ignore"):
                out.append(np.where(np.isneginf(v), np.exp(lp), np.exp(lp + Q - v)))  # Zv = 0: keep pi
        return out

    def kappa(log_pis):
        Qs, _ = soft(log_pis)
        d = initial.copy()
        total = 0.0
        for L, lp, Q in zip(levels, log_pis, Qs):
            ds = d[L["states"]]
            pi = np.exp(lp)
            lse = logsumexp(Q, axis=1, keepdims=True)
            with np.errstate(invalid="ignore"):
                log_boltz = np.where(np.isneginf(lse), lp, Q - lse)  # every Zq = 0: keep pi
                terms = np.where(pi == 0, 0.0, pi * (lp - log_boltz))
                w = ds[:, None] * terms
            total += float(np.where(ds[:, None] == 0, 0.0, w).sum())
            d += np.bincount(L["next"].ravel(), weights=(ds[:, None] * pi * L["tau"]).ravel(), minlength=n)
        return total

    return (soft, g_step, kappa), log_prior


def memcpy_bandwidth(n=2 ** 25, reps=5, threads=1):
    """Bytes per second (read + write) of ``np.copyto`` on ``n`` float64 (default 256 MB,
    beyond every cache), split into ``threads`` consecutive parts copied by as many threads
    (NumPy releases the GIL): a list of ``reps`` samples (the caller takes best or median)."""
    src = np.ones(n)
    dst = np.zeros_like(src)  # touched, so no page fault lands inside the timing
    np.copyto(dst, src)
    cut = [n * i // threads for i in range(threads + 1)]
    parts = [(dst[a:b], src[a:b]) for a, b in zip(cut, cut[1:])]
    out = []
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for _ in range(reps):
            t0 = time.perf_counter()
            if threads == 1:
                np.copyto(dst, src)
            else:
                list(pool.map(lambda part: np.copyto(*part), parts))
            out.append(2 * src.nbytes / (time.perf_counter() - t0))
    return out


def compulsory_bytes(mdp):
    """Bytes each operation must move at least once (inputs read, outputs written)."""
    E, P, S = len(mdp.edge_target), mdp.n_pairs, mdp.n_states
    f, i = 8, mdp.edge_target.itemsize
    soft = E * (2 * f + i) + P * (3 * f + i) + S * (2 * f + i)  # tau, zv[target], target; q, pi, zq, ptr; ...
    g = soft + P * (4 * f + i)  # pi, zq, zv[state], new pi; pair_state
    occupancy = E * (2 * f + 2 * i) + P * (2 * f + i) + S * f
    kappa = soft + P * (3 * f) + occupancy + P * (3 * f)  # Boltzmann weights, KL terms
    return {"soft values": soft, "G step": g, "kappa_delta": kappa}


def median(xs):
    return statistics.median(xs)


# ---------------------------------------------------------------------------- Storm

def storm_drn(mdp):
    """The parametric tree as a Storm DRN text (a pDTMC: the prior is the policy)."""
    n = mdp.n_states
    goal, fail = n, n + 1
    out = ["@type: DTMC", "@parameters", " ".join(s.name for s in mdp.parameters), "@reward_models", "",
           "@nr_states", str(n + 2), "@nr_choices", str(n + 2), "@model"]
    text = {}
    for i in range(n):
        out.append(f"state {i}" + (" init" if i == 0 else ""))
        out.append("\taction 0")
        lo, hi = mdp.state_ptr[i], mdp.state_ptr[i + 1]
        if hi > lo:
            for j in range(lo, hi):
                e = mdp.pair_ptr[j]
                v = mdp.prior[j] * mdp.likelihood[j] * mdp.edge_prob[e]
                if v not in text:
                    text[v] = str(sp.expand(v)).replace(" ", "")
                out.append(f"\t\t{mdp.edge_target[e]} : {text[v]}")
            # likelihoods below 1 leak to fail: S is the probability of reaching goal
            rest = 1 - sum(mdp.prior[j] * mdp.likelihood[j] for j in range(lo, hi))
            if rest != 0:
                out.append(f"\t\t{fail} : {str(sp.expand(rest)).replace(' ', '')}")
        else:
            s = mdp.success[i]
            if s != 0:
                out.append(f"\t\t{goal} : {s}")
            if s != 1:
                out.append(f"\t\t{fail} : {1 - s}")
    out += [f"state {goal} goal", "\taction 0", f"\t\t{goal} : 1",
            f"state {fail}", "\taction 0", f"\t\t{fail} : 1"]
    return "\n".join(out) + "\n"


def storm_build_and_check(mdp, tmpdir):
    """Storm's parametric engine on :func:`storm_drn` of ``mdp`` (the DRN export is not timed).

    Returns ``((build_wall, build_cpu), (check_wall, check_cpu), value)`` where ``value(i)`` is Storm's
    probability of reaching the goal from state ``i`` as a SymPy expression.
    """
    import stormpy
    path = os.path.join(tmpdir, "tree.drn")
    with open(path, "w") as fh:
        fh.write(storm_drn(mdp))
    if hasattr(stormpy, "build_parametric_model_from_drn"):  # stormpy 1.x
        build = stormpy.build_parametric_model_from_drn
    else:  # stormpy 2.x: templated on the value type
        from stormpy.numbers.developer.cln import FactorizedRationalFunction
        build = stormpy.build_model_from_drn[FactorizedRationalFunction]
    t0, c0 = time.perf_counter(), time.process_time()
    model = build(path)
    t1, c1 = time.perf_counter(), time.process_time()
    prop = stormpy.parse_properties('P=? [F "goal"]')[0]
    formula = prop.raw_formula if hasattr(prop, "raw_formula") else prop.get_raw_formula()
    res = stormpy.model_checking(model, formula)
    t2, c2 = time.perf_counter(), time.process_time()
    syms = {s.name: s for s in mdp.parameters}
    get = res.at if hasattr(res, "at") else res.get_value

    def value(i):
        return parse_expression(str(get(i)), syms, where=f"Storm value of state {i}")
    return (t1 - t0, c1 - c0), (t2 - t1, c2 - c1), value
