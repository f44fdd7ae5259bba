"""The effective horizon of Laidlaw, Russell & Dragan (NeurIPS 2023, arXiv:2304.09853).

Spec section 9.  Deterministic finite-horizon MDPs, ``A`` actions (the largest action
count of any state when counts differ), rewards ``R(s, a)`` of any sign, time-indexed
values ``Q_t(s, a)``, ``t = 0 .. T-1``.

* The model is first *time-expanded* (:class:`TimeExpandedMDP`): layer ``t`` holds the
  states reachable in exactly ``t`` steps from the initial state(s); an action either
  moves to a state of layer ``t + 1`` or ends the episode (``next = -1``).  Cyclic tabular
  MDPs (BRIDGE, :mod:`proofcheck.io.bridge`) are unrolled this way over ``T`` steps,
  DAG case-file MDPs by depth.  Values after the horizon or after the end are 0.
* ``Q^rand`` (uniform random policy), ``Q*`` and ``Q^worst`` by one backward pass.
* k-QVI: ``Q^1 = Q^rand``, ``Q^{i+1}_t(s,a) = R(s,a) + max_a' Q^i_{t+1}(s',a')``.  The MDP is
  k-QVI-solvable iff at every ``(t, s)`` reached by following *every* ``Q^k``-greedy action
  from the initial states, every ``Q^k``-greedy action is optimal (attains ``max_a Q*``).
  ``min_k`` is the least such ``k``; the *effective planning window* is the same test
  started from ``Q^1 = R``.  Both are at most ``T`` (``Q^T = Q*``).
* Theorem 5.4 bound, for each k-QVI-solvable ``k``::

      m_k <= max(1, max_{reachable (t,s) with a non-optimal action}
                     ceil(16 * max_a sigma2_{k,t}(s,a) / Delta_{k,t}(s)^2 * ln(2 T A^k)))

  with ``Delta_{k,t}(s) = max_a Q^k_t(s,a) - max_{a not optimal} Q^k_t(s,a)``,
  ``sigma2_{1,t} = (Q^rand - Q^worst)(Q* - Q^worst)`` and
  ``sigma2_{k+1,t}(s,a) = max_a' sigma2_{k,t+1}(s',a')`` (0 after the end).  States where
  every action is optimal impose nothing; the outer ``max(1, .)`` is there because GORP
  needs at least one rollout.  ``T`` is the number of time layers with a decision (the
  horizon, or fewer when every path has ended earlier: GORP takes no decision after
  that).  ``H_k <= k + log_A(m_k bound)`` and the reported
  ``H = min_k`` of these bounds (so ``H <= T``: ``k = T`` gives ``m = 1``).  This is the
  *bound-based* effective horizon, an upper bound on the true ``H``.

Exactness.  Every recursion is written once against :class:`~proofcheck.engine.backends.Backend`.
With the exact backend ties are settled exactly (:func:`~proofcheck.exact.sign.exact_sign`
decides the sign of log-linear forms such as ``log(3/4) - log(2/3)/2``; BRIDGE's float32
rewards become exact rationals) and the ceilings of the bound are certified.  With
``tolerance=x`` an action counts as optimal when ``Q*(s,a) >= V*(s) - x``: this mimics the
reference code (``REWARD_PRECISION = 1e-4``), which also takes greedy sets exactly.

Rewards ``-inf`` (``log 0`` in case files) are handled in the extended reals: ``max``,
``+`` and the mean are well defined (no ``+inf`` ever occurs).  For the bound,
``sigma2_1 = 0`` where ``Q* = -inf`` (the return is surely ``-inf``) and ``+inf`` where
``Q^rand = -inf < Q*`` (the random return is ``-inf`` with positive probability: its
variance is unbounded); ``Delta = +inf`` (every non-optimal action has ``Q^k = -inf``) makes
a finite ``sigma2`` term 0, and an infinite ``sigma2`` makes the term ``+inf`` (the bound is
void, ``m_k bound = inf``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import mpmath
import numpy as np
import sympy as sp

from proofcheck.errors import ModelError, UndecidedError
from proofcheck.exact.sign import exact_sign
from proofcheck.engine.backends import get_backend
from proofcheck.model.time_expanded import Layer, TimeExpandedMDP, tabular_problem, time_expand

__all__ = ["HorizonValues",
           "horizon_values", "qvi_sequence", "solvability", "min_k", "planning_window",
           "KResult", "EffectiveHorizon", "effective_horizon", "cross_check"]


def _gather(B, L, v_next):
    """``V_{t+1}(next(s, a))`` per pair, 0 where the episode ends."""
    out = B.zeros(len(L.next))
    if v_next is not None:
        alive = L.next >= 0
        out[alive] = v_next[L.next[alive]]
    return out


def _segments(L, states=None):
    if states is None:
        return L.ptr[:-1], L.ptr[1:]
    states = np.asarray(states, dtype=np.int64)
    return L.ptr[states], L.ptr[states + 1]


def _tol(B, tolerance):
    return None if tolerance is None else B.scalar(sp.Rational(str(tolerance)))


@dataclass
class HorizonValues:
    """``Q^rand``, ``Q*``, ``Q^worst`` (lists over layers of pair arrays), their state values,
    and ``optimal[t]``: the mask of optimal pairs (exact ties, or within ``tolerance``)."""

    problem: TimeExpandedMDP
    q_rand: list
    q_star: list
    q_worst: list
    v_rand: list
    v_star: list
    v_worst: list
    optimal: list
    backend: object
    tolerance: object = None


def horizon_values(problem, backend="exact", *, tolerance=None):
    """One backward pass for ``Q^rand``, ``Q*`` and ``Q^worst``.

    Examples
    --------
    >>> from proofcheck.examples import mountain_race
    >>> hv = horizon_values(time_expand(mountain_race()))
    >>> list(hv.q_rand[0]), list(hv.q_star[0])
    ([-oo, log(3/4)], [0, log(3/4)])
    """
    B = get_backend(backend)
    P = problem
    R = P.rewards(B)
    T = P.horizon
    qr, qs, qw, vr, vs, vw, opt = ([None] * T for _ in range(7))
    tol = _tol(B, tolerance)
    nxt = (None, None, None)
    for t in reversed(range(T)):
        L = P.layers[t]
        starts, ends = _segments(L)
        qr[t] = R[t] + _gather(B, L, nxt[0])
        qs[t] = R[t] + _gather(B, L, nxt[1])
        qw[t] = R[t] + _gather(B, L, nxt[2])
        vs[t] = B.segment_max(qs[t], starts, ends)
        vw[t] = -B.segment_max(-qw[t], starts, ends)
        counts = B.array([int(c) for c in L.counts])
        vr[t] = B.segment_sum(qr[t], starts) / counts
        opt[t] = _optimal_mask(B, L, qs[t], vs[t], tol)
        nxt = (vr[t], vs[t], vw[t])
    return HorizonValues(P, qr, qs, qw, vr, vs, vw, opt, B, tolerance)


def _optimal_mask(B, L, q, v, tol):
    starts, ends = _segments(L)
    if tol is None:
        return B.segment_argmax(q, starts, ends)
    owner = np.repeat(np.arange(L.n_states), L.counts)
    return np.array([B.compare(q[j], v[owner[j]] - tol) >= 0 for j in range(len(q))], dtype=bool)


def qvi_sequence(values, k_max=None, *, start="rand"):
    """Yield ``Q^1, Q^2, ..., Q^{k_max}`` (each a list over layers) of k-QVI.

    ``start="rand"``: ``Q^1 = Q^rand`` (min_k); ``start="reward"``: ``Q^1 = R`` (the
    planning window).  ``k_max`` defaults to ``T``.
    """
    P, B = values.problem, values.backend
    R = P.rewards(B)
    T = P.horizon
    k_max = T if k_max is None else k_max
    if start == "rand":
        Q = list(values.q_rand)
    elif start == "reward":
        Q = [r.copy() for r in R]
    else:
        raise ValueError(f"start {start!r} must be 'rand' or 'reward'")
    for k in range(1, k_max + 1):
        yield Q
        if k == k_max:
            return
        new = []
        for t in range(T):
            L = P.layers[t]
            if t + 1 < T:
                L1 = P.layers[t + 1]
                v1 = B.segment_max(Q[t + 1], *_segments(L1))
            else:
                v1 = None
            new.append(R[t] + _gather(B, L, v1))
        Q = new


def _argmax_on(B, L, q, idx):
    """Mask of the maximal pairs of the states ``idx`` (exact ties), False elsewhere."""
    lo, hi = L.ptr[idx], L.ptr[idx + 1]
    pairs = np.concatenate([np.arange(a, b) for a, b in zip(lo, hi)])
    local = np.concatenate([[0], np.cumsum(hi - lo)])
    sub = B.segment_argmax(q[pairs], local[:-1], local[1:])
    mask = np.zeros(len(q), dtype=bool)
    mask[pairs[sub]] = True
    return mask


@dataclass
class Solvability:
    """Result of the k-QVI test: ``solvable``, the states reached greedily per layer, and
    the first witness ``(t, state, action)`` of a greedy but non-optimal action."""

    solvable: bool
    reached: list
    greedy: list
    witness: object = None


def solvability(values, Q, *, stop_at_failure=True):
    """Test greedy-on-``Q`` against optimality at every greedily reachable ``(t, s)``."""
    P, B = values.problem, values.backend
    T = P.horizon
    reached = [np.zeros(L.n_states, dtype=bool) for L in P.layers]
    greedy = [np.zeros(len(L.next), dtype=bool) for L in P.layers]
    reached[0][:] = True
    witness = None
    for t in range(T):
        L = P.layers[t]
        idx = np.flatnonzero(reached[t])
        if len(idx) == 0:
            break
        mask = _argmax_on(B, L, Q[t], idx)
        greedy[t] = mask
        bad = mask & ~values.optimal[t]
        if bad.any() and witness is None:
            j = int(np.flatnonzero(bad)[0])
            s = int(np.searchsorted(L.ptr, j, side="right") - 1)
            witness = (t, L.states[s], L.actions[j])
            if stop_at_failure:
                return Solvability(False, reached, greedy, witness)
        if t + 1 < T:
            nxt = L.next[mask]
            reached[t + 1][nxt[nxt >= 0]] = True
    return Solvability(witness is None, reached, greedy, witness)


def min_k(values, k_max=None):
    """The least ``k`` for which the MDP is k-QVI-solvable (``Q^1 = Q^rand``).

    Examples
    --------
    >>> from proofcheck.examples import mountain_race
    >>> min_k(horizon_values(time_expand(mountain_race())))
    2
    """
    for k, Q in enumerate(qvi_sequence(values, k_max), start=1):
        if solvability(values, Q).solvable:
            return k
    return None


def planning_window(values, k_max=None):
    """The effective planning window: the least ``k`` with ``Q^1 = R`` that passes the test.

    Examples
    --------
    >>> from proofcheck.examples import mountain_race
    >>> planning_window(horizon_values(time_expand(mountain_race())))  # R ties up/down at the start
    2
    """
    for k, Q in enumerate(qvi_sequence(values, k_max, start="reward"), start=1):
        if solvability(values, Q).solvable:
            return k
    return None


# ----------------------------------------------------------------------------- the bound

def _sigma2_one(B, qr, qs, qw):
    ninf = -B.inf

    def f(r, s, w):
        if B.compare(s, ninf) == 0:
            return B.zero  # the return is surely -inf: no spread
        if B.compare(r, ninf) == 0:
            return B.inf   # -inf with positive probability: unbounded variance
        return (r - w) * (s - w)
    return B.map(f, qr, qs, qw) if B.dtype is object else np.array(
        [f(*x) for x in zip(qr, qs, qw)], dtype=B.dtype)


def _ceil(B, x):
    """``ceil(x)`` as a Python int (``math.inf`` for ``+inf``); certified in the exact backend."""
    if B.compare(x, B.inf) == 0:
        return math.inf
    if hasattr(x, "a") and hasattr(x, "b"):  # an interval: certified or undecided
        lo, hi = int(mpmath.ceil(x.a)), int(mpmath.ceil(x.b))
        if lo != hi:
            raise UndecidedError(f"ceil of the interval {x} is not determined (between {lo} and {hi})")
        return lo
    if not B.exact:
        return int(math.ceil(x)) if B.dtype is not object else int(B.ctx.ceil(x))
    n = int(sp.floor(sp.N(x, 30)))
    for _ in range(4):  # the 30-digit guess is off by at most one near an integer
        lo, hi = exact_sign(x - n), exact_sign(x - (n + 1))
        if lo > 0 and hi <= 0:
            return n + 1
        if lo <= 0:
            n -= 1
        else:
            n += 1
    raise UndecidedError(f"could not certify ceil({x})")


@dataclass
class KResult:
    """One ``k``: solvability (with a witness when it fails), the Theorem 5.4 bound on
    ``m_k`` (``None`` when not solvable, ``math.inf`` when void), the bound
    ``H_k <= k + log_A m_k`` (SymPy, exact) and the state attaining the bound."""

    k: int
    solvable: bool
    witness: object
    m_bound: object
    h_bound: object
    argmax_state: object = None
    reached: int = 0

    def as_dict(self):
        return {"k": self.k, "solvable": self.solvable,
                "witness": None if self.witness is None else [str(x) for x in self.witness],
                "m_bound": _jsonnum(self.m_bound), "H_bound": _jsonnum(self.h_bound),
                "H_bound_exact": None if self.h_bound is None else str(self.h_bound),
                "argmax_state": None if self.argmax_state is None else [str(x) for x in self.argmax_state],
                "reached_states": self.reached}


def _jsonnum(x):
    if x is None:
        return None
    if x in (math.inf, sp.oo):
        return "inf"
    if isinstance(x, int):
        return x
    return float(x)


def _h_value(k, m, A):
    if m == math.inf:
        return sp.oo
    if m == 1 or A == 1:
        return sp.Integer(k)
    return sp.Integer(k) + sp.log(m) / sp.log(A)


def _bound_for_k(values, k, Q, sigma, sol):
    """``(m bound, state)`` of Theorem 5.4 for a solvable ``k``."""
    P, B = values.problem, values.backend
    T, A = P.horizon, P.n_actions
    logterm = B.scalar(sp.Integer(16) * sp.log(sp.Integer(2 * T * A ** k)))
    best, where = 1, None
    ninf = -B.inf
    for t, L in enumerate(P.layers):
        for s in np.flatnonzero(sol.reached[t]):
            lo, hi = int(L.ptr[s]), int(L.ptr[s + 1])
            nonopt = [j for j in range(lo, hi) if not values.optimal[t][j]]
            if not nonopt:
                continue  # every action optimal: GORP cannot fail here
            qmax = B.segment_max(Q[t][lo:hi], np.array([0]), np.array([hi - lo]))[0]
            qno = B.segment_max(Q[t][nonopt], np.array([0]), np.array([len(nonopt)]))[0]
            smax = B.segment_max(sigma[t][lo:hi], np.array([0]), np.array([hi - lo]))[0]
            if B.compare(smax, B.inf) == 0:
                term = B.inf
            elif B._is_zero(smax) or B.compare(qno, ninf) == 0:
                term = B.zero
            else:
                gap = qmax - qno
                term = logterm * smax / (gap * gap)
            m = _ceil(B, term)
            if m > best:
                best, where = m, (t, L.states[s])
    return best, where


@dataclass
class EffectiveHorizon:
    """All effective-horizon quantities of one problem in one backend."""

    problem: TimeExpandedMDP
    values: HorizonValues
    min_k: object
    planning_window: object
    per_k: list
    H: object
    H_k: object
    backend: object
    tolerance: object = None

    @property
    def H_float(self):
        return float(self.H) if self.H is not None and self.H != sp.oo else math.inf

    def as_dict(self):
        P = self.problem
        return {"name": P.name, "horizon": P.horizon, "actions": P.n_actions,
                "decision_states": P.n_decision_states, "backend": self.backend.describe(),
                "tolerance": self.tolerance, "min_k": self.min_k,
                "planning_window": self.planning_window,
                "H_bound": _jsonnum(self.H), "H_bound_exact": str(self.H), "H_argmin_k": self.H_k,
                "per_k": [r.as_dict() for r in self.per_k],
                "v_star": str(self.backend.to_sympy(self.values.v_star[0][0]))}


def effective_horizon(problem, backend="exact", *, tolerance=None, k_max=None):
    """min_k, the planning window and the Theorem 5.4 bounds on ``m_k`` and ``H``.

    ``problem`` is a :class:`TimeExpandedMDP` or a case-file MDP (time-expanded first).

    Examples
    --------
    >>> from proofcheck.examples import mountain_race
    >>> eh = effective_horizon(mountain_race())
    >>> eh.min_k, eh.planning_window, eh.H
    (2, 2, 2)
    """
    P = problem if isinstance(problem, TimeExpandedMDP) else time_expand(problem)
    B = get_backend(backend)
    hv = horizon_values(P, B, tolerance=tolerance)
    T, A = P.horizon, P.n_actions
    k_max = T if k_max is None else min(k_max, T)
    sigma = [_sigma2_one(B, hv.q_rand[t], hv.q_star[t], hv.q_worst[t]) for t in range(T)]
    per_k, mk = [], None
    best_key, best_h, best_k = None, None, None
    for k, Q in enumerate(qvi_sequence(hv, k_max), start=1):
        if k > 1:  # sigma2_{k,t}(s,a) = max_a' sigma2_{k-1,t+1}(s',a')
            sigma = [_gather(B, P.layers[t],
                             B.segment_max(sigma[t + 1], *_segments(P.layers[t + 1])) if t + 1 < T else None)
                     for t in range(T)]
        sol = solvability(hv, Q, stop_at_failure=False)
        if not sol.solvable:
            per_k.append(KResult(k, False, sol.witness, None, None, reached=int(sum(r.sum() for r in sol.reached))))
            continue
        if mk is None:
            mk = k
        m, where = _bound_for_k(hv, k, Q, sigma, sol)
        h = _h_value(k, m, A)
        per_k.append(KResult(k, True, None, m, h, where, int(sum(r.sum() for r in sol.reached))))
        # k + log_A m < k' + log_A m'  <=>  A^k m < A^k' m'  (integers: exact)
        key = math.inf if m == math.inf else (A ** k) * m if A > 1 else k
        if best_key is None or key < best_key:
            best_key, best_h, best_k = key, h, k
    window = planning_window(hv, k_max)
    return EffectiveHorizon(P, hv, mk, window, per_k, best_h, best_k, B, tolerance)


def cross_check(problem, backends=("exact", "mpmath:50"), *, tolerance=None):
    """The same recursion through two backends; agreement of every discrete result and the
    largest deviation of ``Q*``, ``Q^rand``, ``Q^worst`` and of the ``H`` bound.

    Examples
    --------
    >>> from proofcheck.examples import mountain_race
    >>> cc = cross_check(mountain_race())
    >>> cc["agree"], cc["max_value_deviation"] < 1e-45
    (True, True)
    """
    P = problem if isinstance(problem, TimeExpandedMDP) else time_expand(problem)
    a, b = (effective_horizon(P, be, tolerance=tolerance) for be in backends)
    dev = 0.0
    for name in ("q_rand", "q_star", "q_worst"):
        for xa, xb in zip(getattr(a.values, name), getattr(b.values, name)):
            for u, v in zip(xa, xb):
                u = a.backend.to_sympy(u)
                v = b.backend.to_sympy(v)
                if u in (sp.oo, -sp.oo) or v in (sp.oo, -sp.oo):
                    if u != v:
                        dev = math.inf
                    continue
                dev = max(dev, abs(float(sp.N(u - v, 60))))
    discrete = {
        "min_k": (a.min_k, b.min_k),
        "planning_window": (a.planning_window, b.planning_window),
        "solvable": ([r.solvable for r in a.per_k], [r.solvable for r in b.per_k]),
        "m_bounds": ([r.m_bound for r in a.per_k], [r.m_bound for r in b.per_k]),
        "H_argmin_k": (a.H_k, b.H_k),
    }
    agree = all(x == y for x, y in discrete.values())
    return {"backends": [a.backend.describe(), b.backend.describe()], "agree": agree,
            "discrete": {k: [_jsonable(x), _jsonable(y)] for k, (x, y) in discrete.items()},
            "max_value_deviation": dev, "H": [str(a.H), str(b.H)], "results": (a, b)}


def _jsonable(x):
    if isinstance(x, list):
        return [_jsonable(v) for v in x]
    return _jsonnum(x) if not isinstance(x, bool) else x
