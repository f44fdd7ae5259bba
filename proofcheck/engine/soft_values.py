"""Soft values under a policy (spec section 2, the paper's Definition 4.1).

In exponentiated form, one backward pass over the height levels::

    Zq(s, a) = q(s, a) * sum_s' tau(s'|s, a) Zv(s')        Zv(leaf) = success(leaf)
    Zv(s)    = sum_a pi(a|s) Zq(s, a)

``Zv(s)`` is the probability, following ``pi`` from ``s``, that every optimality
variable is 1.  Occupancies come from one forward pass.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import sympy as sp

from proofcheck.engine.backends import get_backend
from proofcheck.engine.backends.base import Backend, BackendLike, Scalar
from proofcheck.engine.backends.rational import RationalFunctionBackend
from proofcheck.exact.case_memo import memoized
from proofcheck.model.mdp import MDP, Policy

__all__ = [
    "SoftValues",
    "soft_values",
    "success_probability",
    "additive_return",
    "occupancy",
    "likelihoods",
]

T = TypeVar("T")


@dataclass
class SoftValues:
    """``zq`` over state-action pairs and ``zv`` over states, in ``backend``'s numbers.

    ``Q = log zq`` and ``V = log zv`` are available as :meth:`q_values` and
    :meth:`v_values`.
    """

    mdp: MDP
    zq: np.ndarray
    zv: np.ndarray
    backend: Backend

    def q_values(self) -> np.ndarray:
        """``Q = log Zq`` over pairs (``-inf`` where ``Zq = 0``)."""
        return self.backend.log(self.zq)

    def v_values(self) -> np.ndarray:
        """``V = log Zv`` over states (``-inf`` where ``Zv = 0``)."""
        return self.backend.log(self.zv)

    def Zq(self, state: Hashable, action: Hashable) -> Scalar:
        """``Zq(state, action)``, a number of ``backend``.

        Parameters
        ----------
        state, action : hashable
            Names as in the model.

        Returns
        -------
        number
        """
        return self.zq[self.mdp.pair(state, action)]

    def Zv(self, state: Hashable) -> Scalar:
        """``Zv(state)``, a number of ``backend``.

        Parameters
        ----------
        state : hashable
            A state name as in the model.

        Returns
        -------
        number
        """
        return self.zv[self.mdp.index[state]]


def likelihoods(mdp: MDP, backend: BackendLike = None,
                alpha: sp.Expr | float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The pair likelihoods ``q`` and leaf successes in ``backend``, tempered by ``alpha``.

    ``alpha`` is the inverse temperature of spec section 4: ``q_alpha = q ** alpha``,
    applied to leaf successes too (they are the last step's likelihood).

    Parameters
    ----------
    mdp : MDP
    backend : str or Backend, optional
    alpha : number or sympy.Expr, optional
        Inverse temperature; None leaves the likelihoods as they are.

    Returns
    -------
    (ndarray, ndarray)
        ``q`` over pairs and ``success`` over states, in ``backend``'s numbers.
    """
    B = get_backend(backend)
    conv = mdp.converted(B)
    q, success = conv["likelihood"], conv["success"]
    if alpha is not None:
        a = B.array([alpha])[0] if not B.exact else alpha
        q, success = B.power(q, a), B.power(success, a)
    return q, success


def _soft_values(mdp: MDP, pi: np.ndarray, q: np.ndarray, success: np.ndarray,
                 B: Backend) -> tuple[np.ndarray, np.ndarray]:
    """The backward recursion, written once for every backend (a backend may run it fused).

    In exact arithmetic the claims and sections of one verify ask for the soft values of
    equal policies again and again (each claim re-derives its policies, and a value of a
    fixed point is a new object each time): they are computed once per model and values,
    and every caller gets its own copy of the arrays."""
    zq, zv = by_values(mdp, B, "soft values", (pi, q, success), lambda: _soft_recursion(mdp, pi, q, success, B))
    return (zq.copy(), zv.copy()) if B.exact else (zq, zv)


def by_values(mdp: MDP, B: Backend, name: str, arrays: tuple[np.ndarray, ...], compute: Callable[[], T]) -> T:
    """``compute()``, in exact arithmetic once per model, ``name`` and values of ``arrays``
    (:mod:`proofcheck.exact.case_memo`: replayed only where the case in force answers as
    before); the caller must not change what it gets.  Other backends compute every time
    (see :func:`values_key`)."""
    key = values_key(B, arrays)
    return compute() if key is None else memoized(mdp, (name, *key), compute)


#: Arrays longer than this get no value key (:func:`values_key`): hashing SymPy rationals
#: costs about a tenth of an exact pass over them (a fresh 37,075-state tree: G 1.36 s ->
#: 1.50 s), which pays where passes repeat (the claims of a verify, on models of tens of
#: pairs) but not in one call of the API on a large model.
VALUE_KEY_MAX_PAIRS = 2048


def values_key(B: Backend, arrays: tuple[np.ndarray, ...]) -> tuple | None:
    """A memo key of the values of ``arrays`` in ``B``, or None where there is none worth
    having: float backends; exact ones whose numbers are not SymPy's (the python-flint
    rational functions of a parametric model compute their hash, 10 us each, which cost a
    32,767-state tree ten times its soft values); arrays beyond :data:`VALUE_KEY_MAX_PAIRS`."""
    if not B.exact or not getattr(B, "sympy_values", True) or any(len(a) > VALUE_KEY_MAX_PAIRS for a in arrays):
        return None
    try:
        return (B.key, _Hashed(tuple(map(tuple, arrays))))
    except TypeError:  # a value without a hash
        return None


class _Hashed:
    """A tuple whose hash is computed once: a memo's dict would hash it again, and SymPy
    does not cache a rational's hash."""

    __slots__ = ("values", "_hash")

    def __init__(self, values: tuple) -> None:
        self.values, self._hash = values, hash(values)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Hashed) and self._hash == other._hash and self.values == other.values


def _soft_recursion(mdp: MDP, pi: np.ndarray, q: np.ndarray, success: np.ndarray,
                    B: Backend) -> tuple[np.ndarray, np.ndarray]:
    fused = B.fused_pass(mdp, pi, q, success)
    if fused is not None:
        return fused.zq, fused.zv
    ep = mdp.converted(B)["edge_prob"]
    zq, zv = _terminal_values(mdp, success, B)
    for blk in mdp.blocks[1:]:
        _level_q(mdp, blk, q, ep, zv, zq, B)
        _level_v(mdp, blk, pi, zv, zq, B)
    return zq, zv


def _terminal_values(mdp: MDP, success: np.ndarray, B: Backend) -> tuple[np.ndarray, np.ndarray]:
    """Empty ``(Zq, Zv)`` arrays with ``Zv`` of the terminal states set to their success."""
    zv = B.empty(mdp.n_states)
    zv[mdp.terminal] = success[mdp.terminal]
    return B.empty(mdp.n_pairs), zv


def _level_q(mdp: MDP, blk: Any, q: np.ndarray, ep: np.ndarray, zv: np.ndarray, zq: np.ndarray,
             B: Backend) -> None:
    """``Zq`` of one height level from ``Zv`` of the levels below (into ``zq``)."""
    zq[blk.pairs] = B.product(q[blk.pairs], B.edge_sum(mdp, blk, ep, zv))


def _level_v(mdp: MDP, blk: Any, pi: np.ndarray, zv: np.ndarray, zq: np.ndarray, B: Backend) -> None:
    """``Zv = sum_a pi Zq`` of one height level (into ``zv``)."""
    p, s = blk.pairs, blk.states
    zv[s] = B.segment_dot(pi[p], zq[p], mdp.state_ptr[s.start:s.stop] - p.start)


def soft_values(mdp: MDP, policy: Policy | None = None, *, backend: BackendLike = None,
                alpha: sp.Expr | float | None = None, likelihood: np.ndarray | None = None) -> SoftValues:
    """Soft ``Zq``/``Zv`` of ``policy`` (default: the prior).

    Parameters
    ----------
    mdp : MDP
    policy : Policy, optional
    backend : str or Backend, optional
        ``"exact"`` (default), ``"mpmath"``, ``"interval"``, ``"float"``.
    alpha : optional
        Inverse temperature applied to every likelihood.
    likelihood : ndarray, optional
        Replacement pair likelihoods (used by the fold sequences).

    Returns
    -------
    SoftValues

    Examples
    --------
    >>> from proofcheck.examples import mountain_race
    >>> m = mountain_race()
    >>> sv = soft_values(m)
    >>> sv.Zv("mountain"), sv.Zq("start", "down"), sv.Zv("start")
    (1/2, 3/4, 5/8)
    """
    B = get_backend(backend)
    pi = (policy or mdp.prior_policy()).in_backend(B)
    q, success = likelihoods(mdp, B, alpha)
    if likelihood is not None:
        q = likelihood
    zq, zv = _soft_values(mdp, pi, q, success, B)
    return SoftValues(mdp, zq, zv, B)


def occupancy(mdp: MDP, policy: Policy | None = None, *, backend: BackendLike = None) -> np.ndarray:
    """Probability ``d(s)`` of visiting each state under ``policy`` (an array over states).

    In a DAG each state is visited at most once per trajectory, so ``d(s)`` is also
    ``sum_t d^t(s)``, the weight the causal sums of the paper need.

    Parameters
    ----------
    mdp : MDP
    policy : Policy, optional
        Default: the prior.
    backend : str or Backend, optional

    Returns
    -------
    ndarray
        ``d(s)`` over states, in ``backend``'s numbers.
    """
    B = get_backend(backend)
    pi = (policy or mdp.prior_policy()).in_backend(B)
    # J, kappa and kappa_argmax of one policy weigh by the same occupancy
    d = by_values(mdp, B, "occupancy", (pi,), lambda: _occupancy(mdp, pi, B))
    return d.copy() if B.exact else d


def _occupancy(mdp: MDP, pi: np.ndarray, B: Backend) -> np.ndarray:
    conv = mdp.converted(B)
    ep = conv["edge_prob"]
    d = conv["initial"].copy()
    for blk in reversed(mdp.blocks[1:]):
        p, e = blk.pairs, blk.edges
        dsa = B.product(d[mdp.pair_state[p]], pi[p])
        flow = B.product(dsa[mdp.edge_pair[e] - p.start], ep[e])
        B.scatter_add(d, mdp.edge_target[e], flow)
    return d


def pair_occupancy(mdp: MDP, policy: Policy, d: np.ndarray, B: Backend) -> np.ndarray:
    """``d(s) * pi(a|s)`` for each pair.

    Parameters
    ----------
    mdp : MDP
    policy : Policy
    d : ndarray
        State occupancies (:func:`occupancy`) in ``B``'s numbers.
    B : Backend

    Returns
    -------
    ndarray
        Over pairs, in ``B``'s numbers.
    """
    return B.product(d[mdp.pair_state], policy.in_backend(B))


def success_probability(mdp: MDP, policy: Policy | None = None, *, backend: BackendLike = None,
                        alpha: sp.Expr | float | None = None) -> Scalar:
    """``S(pi) = E_{s0 ~ mu} Zv_pi(s0) = P_pi(all O_t = 1)``.

    Parameters
    ----------
    mdp : MDP
    policy : Policy, optional
        Default: the prior.
    backend : str or Backend, optional
    alpha : number or sympy.Expr, optional
        Inverse temperature applied to every likelihood.

    Returns
    -------
    number
        ``S(pi)`` in ``backend``'s numbers.

    Examples
    --------
    >>> from proofcheck.examples import mountain_race
    >>> success_probability(mountain_race())
    5/8
    """
    B = get_backend(backend)
    sv = soft_values(mdp, policy, backend=B, alpha=alpha)
    init = mdp.converted(B)["initial"]
    if isinstance(B, RationalFunctionBackend):
        # canonical exact numbers: the terms mu(s) = 0 add exact zeros (one addition per
        # state of a large model for the one initial state): summed over the support only
        support = _initial_support(mdp, B, init)
        if len(support):
            return B.segment_sum(B.weight(init[support], sv.zv[support]), np.array([0]))[0]
    return B.segment_sum(B.weight(init, sv.zv), np.array([0]))[0]


def _initial_support(mdp: MDP, B: Backend, init: np.ndarray) -> np.ndarray:
    """Indices of the states with ``mu(s) != 0`` (cached per model and backend): each
    distinct value object of ``init`` is tested once."""
    key = ("initial-support", B.key)
    cache = mdp._converted
    hit = cache.get(key)
    if hit is not None and hit[0] is init:
        return hit[1]
    ids = np.fromiter(map(id, init), dtype=np.uint64, count=len(init))
    objs = {id(v): v for v in init}
    zero_ids = np.array([k for k, v in objs.items() if B._is_zero(v)], dtype=np.uint64)
    support = np.flatnonzero(~np.isin(ids, zero_ids))
    cache[key] = (init, support)
    return support


def additive_return(mdp: MDP, policy: Policy | None = None, *, backend: BackendLike = None) -> Scalar:
    """``J(pi) = E_pi[sum_t log q(s_t, a_t)] + E_pi[log success(leaf)]``; may be ``-inf``.

    Zero-probability events contribute nothing (``0 * log 0 = 0``).

    Parameters
    ----------
    mdp : MDP
    policy : Policy, optional
        Default: the prior.
    backend : str or Backend, optional

    Returns
    -------
    number
        ``J(pi)`` in ``backend``'s numbers (``-oo`` in the exact backend).

    Examples
    --------
    >>> from proofcheck.examples import mountain_race
    >>> additive_return(mountain_race())
    -oo
    """
    B = get_backend(backend)
    policy = policy or mdp.prior_policy()

    def compute() -> Scalar:
        conv = mdp.converted(B)
        d = occupancy(mdp, policy, backend=B)
        dsa = pair_occupancy(mdp, policy, d, B)
        terms = B.xlogy(dsa, conv["likelihood"])
        leaf = np.flatnonzero(mdp.terminal)
        leaf_terms = B.xlogy(d[leaf], conv["success"][leaf])
        return B.segment_sum(np.concatenate([terms, leaf_terms]), np.array([0]))[0]
    return by_values(mdp, B, "additive return", (policy.in_backend(B),), compute)
