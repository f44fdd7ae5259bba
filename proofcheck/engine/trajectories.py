"""Trajectory enumeration: the independent, exponential route used as an oracle.

Claims compare the dynamic-programming results of the engine with sums over
explicitly enumerated trajectories.  Enumeration is bounded: above ``limit``
trajectories it raises :class:`TooManyTrajectories` and the caller reports
"undecided" rather than running for ever.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from fractions import Fraction
from typing import Any

import numpy as np
import sympy as sp

from proofcheck.engine.backends import get_backend
from proofcheck.errors import TooManyTrajectories
from proofcheck.exact.ratfunc import log_of
from proofcheck.exact.rational_arrays import coprime_rational
from proofcheck.model.mdp import MDP, Policy

_EXACT = get_backend("exact")


def _zero(x: Any) -> bool:
    # through the backend so that parametric claim runs see their case assumptions
    return _EXACT._is_zero(sp.sympify(x))

__all__ = ["TooManyTrajectories", "count_trajectories", "enumerate_trajectories",
           "trajectory_distribution", "trajectory_kl"]


def count_trajectories(mdp: MDP, start: Hashable | None = None) -> int:
    """Number of distinct trajectories (state, action, state, ...) from ``start`` or ``mu``.

    Parameters
    ----------
    mdp : MDP
    start : state, optional
        Count from this state; default from every initial state (``mu > 0``).

    Returns
    -------
    int
    """
    n = np.zeros(mdp.n_states, dtype=object)
    for i in range(mdp.n_states - 1, -1, -1):  # reverse topological order
        if mdp.terminal[i]:
            n[i] = 1
        else:
            tot = 0
            for j in range(mdp.state_ptr[i], mdp.state_ptr[i + 1]):
                tot += sum(n[mdp.edge_target[e]] for e in range(mdp.pair_ptr[j], mdp.pair_ptr[j + 1]))
            n[i] = tot
    if start is not None:
        return int(n[mdp.index[start]])
    return int(sum(n[i] for i, m in enumerate(mdp.initial) if m != 0))


def enumerate_trajectories(
    mdp: MDP, policy: Policy | None = None, *, start: Hashable | None = None,
    first_action: Hashable | None = None, limit: int = 100_000, likelihood: np.ndarray | None = None,
) -> Iterator[tuple[tuple[Hashable, ...], sp.Expr, sp.Expr]]:
    """Yield ``(path, prob, lik)`` for every trajectory.

    ``path`` is ``(s0, a0, s1, a1, ..., sT)``; ``prob`` its probability under ``policy``
    (or the prior) and the dynamics (from ``start`` if given, else from ``mu``);
    ``lik`` the product of the likelihoods along it, leaf success included.  With
    ``first_action``, the first action is fixed (probability 1), as in ``Zq(s, a)``.
    Values are exact SymPy numbers.

    Parameters
    ----------
    mdp : MDP
    policy : Policy, optional
        An exact policy; default the prior.
    start : state, optional
    first_action : action, optional
    limit : int
        Largest number of trajectories to enumerate.
    likelihood : ndarray, optional
        Replacement pair likelihoods (exact).

    Yields
    ------
    (tuple, sympy.Expr, sympy.Expr)
        ``(path, prob, lik)``.

    Raises
    ------
    TooManyTrajectories
        When there are more than ``limit`` trajectories.
    """
    total = count_trajectories(mdp, start)
    if total > limit:
        raise TooManyTrajectories(f"{total} trajectories exceed the enumeration limit {limit}")
    pi = (policy or mdp.prior_policy()).values
    q = mdp.likelihood if likelihood is None else likelihood
    starts = [(mdp.index[start], sp.Integer(1))] if start is not None else [
        (i, m) for i, m in enumerate(mdp.initial) if m != 0]
    yield from _walk(mdp, starts, pi, mdp.edge_prob, sp.Integer(1), q, first_action)


def _walk(mdp: MDP, starts: list[tuple[int, Any]], pi: Any, prob: Any, one: Any, q: Any = None,
          first_action: Hashable | None = None) -> Iterator[tuple[tuple[Hashable, ...], Any, Any]]:
    """The depth-first walk of :func:`enumerate_trajectories` in the numbers it is given
    (SymPy's, or Fractions): ``(path, prob, lik)``, ``lik`` None when ``q`` is None."""
    stack: list[tuple[tuple[Hashable, ...], int, Any, Any, bool]] = [
        ((mdp.states[i],), i, m, one, True) for i, m in starts]
    while stack:
        path, i, p, lik, first = stack.pop()
        if mdp.terminal[i]:
            yield path, p, None if q is None else lik * mdp.success[i]
            continue
        for j in range(mdp.state_ptr[i], mdp.state_ptr[i + 1]):
            a = mdp.pair_action[j]
            if first and first_action is not None:
                if a != first_action:
                    continue
                pa = one
            else:
                pa = pi[j]
            lik_j = None if q is None else lik * q[j]
            for e in range(mdp.pair_ptr[j], mdp.pair_ptr[j + 1]):
                t = mdp.edge_target[e]
                stack.append((path + (a, mdp.states[t]), t, p * pa * prob[e], lik_j, False))


def trajectory_distribution(mdp: MDP, policy: Policy | None = None, *,
                            limit: int = 100_000) -> dict[tuple[Hashable, ...], sp.Expr]:
    """``{path: probability}`` over all trajectories with positive probability.

    Parameters
    ----------
    mdp : MDP
    policy : Policy, optional
        An exact policy; default the prior.
    limit : int
        Largest number of trajectories to enumerate.

    Returns
    -------
    dict
        ``path -> probability`` (exact), paths as in :func:`enumerate_trajectories`.
    """
    fast = _rational_distribution(mdp, policy, limit)
    if fast is not None:
        return _as_sympy(fast)
    out: dict[tuple[Hashable, ...], sp.Expr] = {}
    for path, prob, _ in enumerate_trajectories(mdp, policy, limit=limit):
        if not _zero(prob):
            out[path] = out.get(path, 0) + prob
    return out


def _rational_values(values: Any) -> list[Fraction] | None:
    """``values`` as Fractions, or None unless every one is a SymPy rational."""
    if not all(getattr(v, "is_Rational", False) for v in values):
        return None
    return [Fraction(int(v.p), int(v.q)) for v in values]


def _rational_paths(mdp: MDP, policy: Policy | None,
                    limit: int) -> Iterator[tuple[tuple[Hashable, ...], Fraction]] | None:
    """``(path, prob)`` of :func:`enumerate_trajectories` (the same paths in the same order),
    the probabilities as Fractions, or None unless the policy, the dynamics and ``mu`` are
    all rational: SymPy's products of rationals cost ten times Python's, and the KL claim
    enumerates every trajectory of three policy pairs."""
    pi = _rational_values((policy or mdp.prior_policy()).values)
    if pi is None:
        return None
    prob = _rational_values(mdp.edge_prob)
    if prob is None:
        return None
    init = _rational_values(mdp.initial)
    if init is None:
        return None
    total = count_trajectories(mdp)
    if total > limit:
        raise TooManyTrajectories(f"{total} trajectories exceed the enumeration limit {limit}")
    starts = [(i, m) for i, m in enumerate(init) if m != 0]
    return ((path, p) for path, p, _ in _walk(mdp, starts, pi, prob, Fraction(1)))


def _as_sympy(dist: dict[tuple[Hashable, ...], Fraction]) -> dict[tuple[Hashable, ...], sp.Expr]:
    return {path: coprime_rational(p.numerator, p.denominator) for path, p in dist.items()}


def _rational_distribution(mdp: MDP, policy: Policy | None,
                           limit: int) -> dict[tuple[Hashable, ...], Fraction] | None:
    """:func:`trajectory_distribution` in Fractions, or None (see :func:`_rational_paths`)."""
    paths = _rational_paths(mdp, policy, limit)
    if paths is None:
        return None
    out: dict[tuple[Hashable, ...], Fraction] = {}
    for path, p in paths:
        if p != 0:
            out[path] = out.get(path, 0) + p
    return out


def trajectory_kl(mdp: MDP, policy: Policy | None, other: Policy | None, *, limit: int = 100_000) -> sp.Expr:
    """``KL(P_policy(xi) || P_other(xi))`` by summing over enumerated trajectories (exact).

    ``+oo`` when ``policy`` gives positive probability to a trajectory ``other`` never takes.

    Parameters
    ----------
    mdp : MDP
    policy, other : Policy or None
        Exact policies; None is the prior.
    limit : int
        Largest number of trajectories to enumerate (each policy).

    Returns
    -------
    sympy.Expr
    """
    fast_p = _rational_distribution(mdp, policy, limit)
    fast_q = _rational_paths(mdp, other, limit) if fast_p is not None else None
    if fast_q is not None and fast_p is not None:
        rq = dict(fast_q)
        rterms = []
        for path, rp in fast_p.items():
            rqv = rq.get(path, 0)
            if rqv == 0:
                return sp.oo
            ratio = rp / rqv
            rterms.append(coprime_rational(rp.numerator, rp.denominator)
                          * log_of(coprime_rational(ratio.numerator, ratio.denominator)))
        return sp.Add(*rterms)
    # (the policy's distribution in Fractions, when it was made, is not enumerated again)
    P = _as_sympy(fast_p) if fast_p is not None else trajectory_distribution(mdp, policy, limit=limit)
    Q = {path: p for path, p, _ in enumerate_trajectories(mdp, other, limit=limit)}
    terms = []
    for path, p in P.items():
        qv = Q.get(path, sp.Integer(0))
        if _zero(qv):
            return sp.oo
        terms.append(p * log_of(p / qv))
    return sp.Add(*terms)  # one flatten: a running sum re-flattens every partial sum
