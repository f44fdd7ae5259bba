"""Boltzmann and argmax policies, incoherence, iterated coherence (spec section 6).

* f-soft policy of ``pi``: ``pi^{Q,f}(.|s) ∝ f(Q_pi(s, .))``.
* Boltzmann at temperature ``delta``: ``∝ Zq_pi(s, a) ** (1/delta)``; ``Zq = 0`` gets 0.
* argmax: uniform over the maximisers of ``Q_pi(s, .)`` (or the first), ties exact.
* ``kappa_f(pi) = sum_s d_pi(s) KL(pi(.|s) || pi^{Q,f}(.|s))`` (causal form), ``+inf``
  when ``pi`` puts mass where ``pi^{Q,f}`` puts none.  The trajectory form is in
  :mod:`proofcheck.engine.trajectories` (enumeration, the independent route).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

import numpy as np
import sympy as sp

from proofcheck.engine.backends import get_backend
from proofcheck.engine.backends.base import Backend, BackendLike, Scalar
from proofcheck.engine.goal_conditioning import _divide_per_state, _memo_policy, _wrap
from proofcheck.engine.soft_values import (
    _level_q,
    _level_v,
    _soft_values,
    _terminal_values,
    by_values,
    likelihoods,
    occupancy,
)
from proofcheck.model.conventions import Conventions
from proofcheck.model.mdp import MDP, Policy

__all__ = [
    "boltzmann_policy",
    "argmax_policy",
    "soft_policy",
    "incoherence",
    "iterate_coherence",
    "coherence_fixed_point",
    "boltzmann_fixed_point_by_levels",
    "is_coherent",
    "incoherent_states",
    "visited_states",
]


def _normalise_per_state(mdp: MDP, w: np.ndarray, pi: np.ndarray | None, B: Backend,
                         impossible: str, level: Any = None) -> np.ndarray:
    """``w`` divided by its sum over each state's pairs (the impossible rule where that is
    0): over the whole model, or over the pairs of one height ``level`` (an entry of
    ``mdp.blocks`` whose states all act; ``w`` and the result are then that level's)."""
    if level is None:
        total = B.segment_sum(w, mdp.state_ptr[:-1][~mdp.terminal])
        tot_state = B.empty(mdp.n_states)
        tot_state[~mdp.terminal] = total
        return _divide_per_state(mdp, w, tot_state[mdp.pair_state], pi, B, impossible)
    p, s = level.pairs, level.states
    total = B.segment_sum(w, mdp.state_ptr[s.start:s.stop] - p.start)
    return _divide_per_state(mdp, w, total[mdp.pair_state[p] - s.start],
                             None if pi is None else pi[p], B, impossible, p)


def _boltzmann(mdp: MDP, pi: np.ndarray, zq: np.ndarray, B: Backend, delta: Any,
               impossible: str, level: Any = None) -> np.ndarray:
    """The policy proportional to ``zq ** (1 / delta)`` per state, over the whole model or
    one height ``level`` (see :func:`_normalise_per_state`; ``zq`` and ``pi`` are whole)."""
    inv = 1 / delta
    w = zq if level is None else zq[level.pairs]
    if inv != 1:
        w = B.power(w, inv if B.exact else B.array([inv])[0])
    return _normalise_per_state(mdp, w, pi, B, impossible, level)


def _argmax(mdp: MDP, zq: np.ndarray, B: Backend, ties: str) -> np.ndarray:
    nt = ~mdp.terminal
    starts, ends = mdp.state_ptr[:-1][nt], mdp.state_ptr[1:][nt]
    mask = B.segment_argmax(zq, starts, ends)  # argmax of Zq = argmax of Q = log Zq
    if ties == "first":
        first = np.zeros_like(mask)
        for lo, hi in zip(starts, ends):
            first[lo + int(np.argmax(mask[lo:hi]))] = True
        mask = first
    w = B.where(mask, B.one, B.zero)
    return _normalise_per_state(mdp, w, None, B, "uniform")


def _f_soft(mdp: MDP, pi: np.ndarray, q: np.ndarray, success: np.ndarray, B: Backend, f: str,
            conv: Conventions) -> np.ndarray:
    zq, _ = _soft_values(mdp, pi, q, success, B)
    if f == "boltzmann":
        return _boltzmann(mdp, pi, zq, B, conv.delta, conv.impossible)
    if f == "argmax":
        return _argmax(mdp, zq, B, conv.argmax_ties)
    raise ValueError(f"unknown f {f!r}; use 'boltzmann' or 'argmax'")


def soft_policy(mdp: MDP, policy: Policy | None = None, f: str = "boltzmann", *,
                backend: BackendLike = None, conventions: Conventions | None = None,
                delta: sp.Expr | float | None = None) -> Policy:
    """The f-soft policy ``pi^{Q,f}`` of ``policy`` (default the prior).

    ``f`` is ``"boltzmann"`` (temperature ``delta``, default ``conventions.delta``) or
    ``"argmax"`` (ties by ``conventions.argmax_ties``).

    Parameters
    ----------
    mdp : MDP
    policy : Policy, optional
    f : {"boltzmann", "argmax"}
    backend : str or Backend, optional
    conventions : Conventions, optional
    delta : positive number, optional
        Overrides ``conventions.delta``.

    Returns
    -------
    Policy
    """
    B = get_backend(backend)
    conv = conventions or Conventions()
    if delta is not None:
        conv = conv.replace(delta=delta)

    def compute() -> Policy:
        pi = (policy or mdp.prior_policy()).in_backend(B)
        q, success = likelihoods(mdp, B)
        return _wrap(mdp, _f_soft(mdp, pi, q, success, B, f, conv), B)

    setting = (type(conv.delta).__name__, conv.delta) if f == "boltzmann" else conv.argmax_ties
    return _memo_policy(mdp, B, ("f-soft", f, setting, conv.impossible), compute, policy)


def boltzmann_policy(mdp: MDP, policy: Policy | None = None, delta: sp.Expr | float = 1, *,
                     backend: BackendLike = None, conventions: Conventions | None = None) -> Policy:
    """``pi^delta(a|s) ∝ Zq_pi(s, a) ** (1/delta)``.

    Parameters
    ----------
    mdp : MDP
    policy : Policy, optional
        Default: the prior.
    delta : positive number
        Temperature.
    backend : str or Backend, optional
    conventions : Conventions, optional

    Returns
    -------
    Policy

    Examples
    --------
    >>> from proofcheck.examples import mountain_race
    >>> boltzmann_policy(mountain_race())["start"]
    {'up': 2/5, 'down': 3/5}
    """
    return soft_policy(mdp, policy, "boltzmann", backend=backend, conventions=conventions, delta=delta)


def argmax_policy(mdp: MDP, policy: Policy | None = None, *, backend: BackendLike = None,
                  conventions: Conventions | None = None) -> Policy:
    """Uniform (or first, per conventions) over ``argmax_a Q_pi(s, a)``.

    Parameters
    ----------
    mdp : MDP
    policy : Policy, optional
        Default: the prior.
    backend : str or Backend, optional
    conventions : Conventions, optional
        ``argmax_ties`` is used.

    Returns
    -------
    Policy
    """
    return soft_policy(mdp, policy, "argmax", backend=backend, conventions=conventions)


def incoherence(mdp: MDP, policy: Policy | None = None, f: str = "boltzmann", *,
                backend: BackendLike = None, conventions: Conventions | None = None,
                delta: sp.Expr | float | None = None) -> Scalar:
    """``kappa_f(pi)`` in causal form: ``sum_s d_pi(s) KL(pi(.|s) || pi^{Q,f}(.|s))``.

    Parameters
    ----------
    mdp : MDP
    policy : Policy, optional
        Default: the prior.
    f : {"boltzmann", "argmax"}
    backend : str or Backend, optional
    conventions : Conventions, optional
    delta : positive number, optional
        Overrides ``conventions.delta``.

    Returns
    -------
    number
        ``kappa_f(pi) >= 0`` in ``backend``'s numbers; ``+oo``/``inf`` when unbounded.

    Examples
    --------
    >>> from proofcheck.examples import mountain_race
    >>> from proofcheck.engine import goal_condition
    >>> m = mountain_race()
    >>> incoherence(m, goal_condition(m))
    2*log(7/10)/5 + 3*log(7/5)/5
    """
    B = get_backend(backend)
    policy = policy or mdp.prior_policy()
    if f == "boltzmann":  # a backend may fuse the soft pass, the KL terms and the occupancy
        conv = conventions or Conventions()
        if delta is not None:
            conv = conv.replace(delta=delta)
        pi = policy.in_backend(B)
        q, success = likelihoods(mdp, B)
        fused = B.fused_pass(mdp, pi, q, success, kl_delta=conv.delta, kl_impossible=conv.impossible)
        initial_sum = getattr(B, "initial_sum", None)
        if fused is not None and fused.kl is not None and initial_sum is not None:
            # fused.kl is the KL-to-go K(s) = KL(s) + E_pi K(next): kappa = E_mu K
            total = initial_sum(mdp, fused.kl)
            if total == total:  # NaN: 0 * inf at a zero-probability step; take the causal route
                return total
    soft = soft_policy(mdp, policy, f, backend=B, conventions=conventions, delta=delta)
    return _kl_causal(mdp, policy, soft, B)


def _kl_causal(mdp: MDP, policy: Policy, other: Policy, B: Backend) -> Scalar:
    return by_values(mdp, B, "causal KL", (policy.in_backend(B), other.in_backend(B)),
                     lambda: _kl_causal_sum(mdp, policy, other, B))


def _kl_causal_sum(mdp: MDP, policy: Policy, other: Policy, B: Backend) -> Scalar:
    pi = policy.in_backend(B)
    d = occupancy(mdp, policy, backend=B)
    terms = B.rel_entr(pi, other.in_backend(B))
    weighted = B.weight(d[mdp.pair_state], terms)
    if B.exact and any(t == sp.oo for t in weighted):
        # every term is >= 0, so one infinite term at a visited state makes the sum infinite;
        # SymPy cannot simplify "finite symbolic expression + oo" to oo by itself
        return sp.oo
    return B.segment_sum(weighted, np.array([0]))[0] if len(weighted) else B.zero


def iterate_coherence(mdp: MDP, n: int, policy: Policy | None = None, f: str = "boltzmann", *,
                      backend: BackendLike = None, conventions: Conventions | None = None) -> list[Policy]:
    """``[pi^B_0 = policy, pi^B_1, ..., pi^B_n]`` with ``pi^B_{i+1} = (pi^B_i)^{Q,f}``.

    Parameters
    ----------
    mdp : MDP
    n : int
        Number of steps.
    policy : Policy, optional
        ``pi^B_0``; default the prior.
    f : {"boltzmann", "argmax"}
    backend : str or Backend, optional
    conventions : Conventions, optional

    Returns
    -------
    list of Policy
        ``n + 1`` policies.
    """
    B = get_backend(backend)
    conv = conventions or Conventions()
    out = [_wrap(mdp, (policy or mdp.prior_policy()).in_backend(B), B)]
    step = policy  # each step is the memoized f-soft policy of the previous one
    for _ in range(n):
        step = soft_policy(mdp, step, f, backend=B, conventions=conv)
        out.append(step)
    return out


def coherence_fixed_point(mdp: MDP, policy: Policy | None = None, f: str = "boltzmann", *,
                          backend: BackendLike = None, conventions: Conventions | None = None) -> Policy:
    """The fixed point of iterated f-coherence, reached after at most ``T + 1`` steps.

    Each step fixes one more height level, so ``pi^B_{T}`` no longer changes; this
    returns ``pi^B_{T+1}`` (one step past the claimed bound, so the check of P4.10 is
    not assumed here).

    Parameters
    ----------
    mdp : MDP
    policy : Policy, optional
        Default: the prior.
    f : {"boltzmann", "argmax"}
    backend : str or Backend, optional
    conventions : Conventions, optional

    Returns
    -------
    Policy

    Examples
    --------
    >>> from proofcheck.examples import mountain_race
    >>> fp = coherence_fixed_point(mountain_race())
    >>> fp["start"], fp["mountain"], fp["forest"]
    ({'up': 4/7, 'down': 3/7}, {'up': 1, 'down': 0}, {'up': 1/2, 'down': 1/2})
    """
    return iterate_coherence(mdp, mdp.horizon + 1, policy, f, backend=backend, conventions=conventions)[-1]


def boltzmann_fixed_point_by_levels(mdp: MDP, policy: Policy | None = None, delta: Any = None, *,
                                    backend: BackendLike = None, conventions: Conventions | None = None,
                                    each: Callable[[np.ndarray], np.ndarray] | None = None) -> np.ndarray:
    """The Boltzmann-coherent fixed point's values, one height level at a time.

    Level ``h`` of ``pi^B_{i}`` is fixed from ``i = h`` on: it is the Boltzmann map of
    ``Zq`` under the fixed point below it.  So one bottom-up pass, each level mapped once
    and its ``Zv`` taken under its new values, gives :func:`coherence_fixed_point`'s
    values: the same operations in the same order on the same numbers, without the
    ``T + 1`` whole-model passes in which the upper levels are mapped from policies not yet
    fixed (on symbolic temperatures, the largest expressions).

    Parameters
    ----------
    mdp : MDP
    policy : Policy, optional
        ``pi^B_0`` (default the prior): where every ``Zq`` of a state is 0 its values are
        kept (``impossible = "keep"``).
    delta : number or sympy.Expr, optional
        Temperature, used as given (it may be a SymPy symbol); default the conventions'.
    backend : str or Backend, optional
    conventions : Conventions, optional
    each : callable, optional
        Applied to each level's new values before they are used (e.g. to put symbolic
        values in a canonical form, as each iterate of the caller's would be).

    Returns
    -------
    ndarray
        The fixed point's values over pairs.

    Examples
    --------
    >>> from proofcheck.examples import mountain_race
    >>> m = mountain_race()
    >>> list(boltzmann_fixed_point_by_levels(m)) == list(coherence_fixed_point(m).values)
    True
    """
    B = get_backend(backend)
    conv = conventions or Conventions()
    delta = conv.delta if delta is None else delta
    pi = np.array((policy or mdp.prior_policy()).in_backend(B), copy=True)
    q, success = likelihoods(mdp, B)
    ep = mdp.converted(B)["edge_prob"]
    zq, zv = _terminal_values(mdp, success, B)
    for blk in mdp.blocks[1:]:
        _level_q(mdp, blk, q, ep, zv, zq, B)
        new = _boltzmann(mdp, pi, zq, B, delta, conv.impossible, blk)
        pi[blk.pairs] = new if each is None else each(new)
        _level_v(mdp, blk, pi, zv, zq, B)
    return pi


def incoherent_states(mdp: MDP, policy: Policy, f: str = "boltzmann", *, backend: BackendLike = None,
                      conventions: Conventions | None = None) -> list[Hashable]:
    """States visited by ``policy`` where it differs from its f-soft policy.

    ``kappa_f(pi) = 0`` exactly when this list is empty (KL vanishes iff the two
    distributions agree wherever ``pi`` goes), so coherence is decided by comparing
    probabilities, never by testing a sum of logarithms for zero.

    Parameters
    ----------
    mdp : MDP
    policy : Policy
    f : {"boltzmann", "argmax"}
    backend : str or Backend, optional
    conventions : Conventions, optional

    Returns
    -------
    list
        State names, in the model's state order.
    """
    B = get_backend(backend)
    soft = soft_policy(mdp, policy, f, backend=B, conventions=conventions)
    a, b = policy.in_backend(B), soft.in_backend(B)
    seen = visited_states(mdp, policy, backend=B)
    bad = []
    for i in np.flatnonzero(~mdp.terminal & seen):
        lo, hi = mdp.state_ptr[i], mdp.state_ptr[i + 1]
        if any(B.compare(a[j], b[j]) != 0 for j in range(lo, hi)):
            bad.append(mdp.states[i])
    return bad


def visited_states(mdp: MDP, policy: Policy | None = None, *, backend: BackendLike = None) -> np.ndarray:
    """Whether ``policy`` visits each state: ``occupancy(mdp, policy) != 0``, by reachability.

    A state is visited when a path reaches it from an initial state with ``mu > 0`` along
    pairs with ``pi > 0`` and edges with ``tau > 0``.  Every term of the occupancy
    ``d(s) = sum over paths of mu * prod pi * tau`` is a product of non-negative numbers, so
    ``d(s) != 0`` exactly when one path has no zero factor: the same answer as the exact zero
    test of :func:`~proofcheck.engine.soft_values.occupancy`, from the exact zero tests of
    the model's and the policy's own numbers, without the sums (whose rationals grow with the
    horizon).  (With floats it is also immune to a product that underflows to 0.)

    Parameters
    ----------
    mdp : MDP
    policy : Policy, optional
        Default: the prior.
    backend : str or Backend, optional
        Whose zero test is used.

    Returns
    -------
    ndarray of bool
        Over states.

    Examples
    --------
    >>> from proofcheck.examples import mountain_race
    >>> m = mountain_race()
    >>> pol = m.policy({"start": {"up": 1, "down": 0}})
    >>> [s for s, v in zip(m.states, visited_states(m, pol)) if v] == [
    ...     s for s, d in zip(m.states, occupancy(m, pol)) if d != 0]
    True
    """
    B = get_backend(backend)
    conv = mdp.converted(B)
    live_pair = ~B.is_zero((policy or mdp.prior_policy()).in_backend(B))
    live_edge = ~B.is_zero(conv["edge_prob"])
    seen = ~B.is_zero(conv["initial"])
    for blk in reversed(mdp.blocks[1:]):  # from the highest level down, as occupancy()
        p, e = blk.pairs, blk.edges
        go = seen[mdp.pair_state[p]] & live_pair[p]
        flow = go[mdp.edge_pair[e] - p.start] & live_edge[e]
        seen[mdp.edge_target[e][flow]] = True
    return seen


def is_coherent(mdp: MDP, policy: Policy, f: str = "boltzmann", *, backend: BackendLike = None,
                conventions: Conventions | None = None) -> bool:
    """True when ``kappa_f(policy) = 0``: see :func:`incoherent_states`.

    Parameters
    ----------
    mdp : MDP
    policy : Policy
    f : {"boltzmann", "argmax"}
    backend : str or Backend, optional
    conventions : Conventions, optional

    Returns
    -------
    bool
    """
    return not incoherent_states(mdp, policy, f, backend=backend, conventions=conventions)


def kl_causal(mdp: MDP, policy: Policy, other: Policy, *, backend: BackendLike = None) -> Scalar:
    """``sum_s d_policy(s) KL(policy(.|s) || other(.|s))`` (``+inf`` where ``other`` lacks
    support): the causal KL between two given policies, without a soft policy in between.

    Parameters
    ----------
    mdp : MDP
    policy, other : Policy
    backend : str or Backend, optional

    Returns
    -------
    number
        In ``backend``'s numbers.
    """
    return _kl_causal(mdp, policy, other, get_backend(backend))


def boltzmann_step(mdp: MDP, values: np.ndarray, zq: np.ndarray, delta: sp.Expr | float, *,
                   impossible: str = "keep", backend: BackendLike = None) -> np.ndarray:
    """One Boltzmann map on raw pair arrays: ``values ∝ zq ** (1/delta)`` per state, with
    ``impossible`` at states where every ``zq`` is 0.  Unlike :func:`boltzmann_policy`,
    ``delta`` is used as given, so it may be a SymPy symbol (closed forms in ``delta``).

    Parameters
    ----------
    mdp : MDP
    values : ndarray
        The current policy's values over pairs (used where ``impossible="keep"``).
    zq : ndarray
        ``Zq`` over pairs.
    delta : number or sympy.Expr
        Temperature.
    impossible : {"keep", "uniform"}
    backend : str or Backend, optional

    Returns
    -------
    ndarray
        The new policy's values over pairs.
    """
    return _boltzmann(mdp, values, zq, get_backend(backend), delta, impossible)


def normalise_per_state(mdp: MDP, weights: np.ndarray, values: np.ndarray | None = None, *,
                        impossible: str = "keep", backend: BackendLike = None) -> np.ndarray:
    """``weights`` normalised per state; where a state's weights are all 0: ``values``
    (``impossible="keep"``) or uniform.

    Parameters
    ----------
    mdp : MDP
    weights : ndarray
        Non-negative weights over pairs.
    values : ndarray, optional
        Fallback values over pairs (``impossible="keep"``).
    impossible : {"keep", "uniform"}
    backend : str or Backend, optional

    Returns
    -------
    ndarray
        Values over pairs that sum to 1 at every non-terminal state.
    """
    return _normalise_per_state(mdp, weights, values, get_backend(backend), impossible)
