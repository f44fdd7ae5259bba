"""Goal conditioning, re-training, temperature and folding (spec sections 3-5).

``G(pi)(a|s) = pi(a|s) Zq_pi(s, a) / Zv_pi(s)``, with an explicit rule where
``Zv_pi(s) = 0`` (:attr:`Conventions.impossible`).  Everything here is built from
:func:`goal_condition`, which is one backward pass: re-training is ``k`` passes, the
tempered policy one pass in the tempered MDP, each fold step one pass with modified
likelihoods.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterator
from typing import TypeVar

import numpy as np
import sympy as sp

from proofcheck.engine.backends import get_backend
from proofcheck.engine.backends.base import Backend, BackendLike
from proofcheck.engine.soft_values import _soft_values, likelihoods, values_key
from proofcheck.exact.case_memo import memoized
from proofcheck.model.conventions import Conventions
from proofcheck.model.mdp import MDP, Policy

T = TypeVar("T")

__all__ = [
    "goal_condition",
    "retrain",
    "iter_retrain",
    "tempered_policy",
    "fold_sequence",
    "noncumulative_fold",
    "cumulative_fold",
]


def _uniform_values(mdp: MDP, B: Backend) -> np.ndarray:
    """The uniform policy in ``B``'s numbers (one conversion per distinct action count)."""
    counts = np.diff(mdp.state_ptr)[mdp.pair_state]
    distinct, inverse = np.unique(counts, return_inverse=True)
    return B.array([sp.Rational(1, int(c)) for c in distinct])[inverse.reshape(-1)]


def _condition(mdp: MDP, pi: np.ndarray, q: np.ndarray, success: np.ndarray, B: Backend,
               impossible: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``G`` on raw arrays: ``(new_pi, zq, zv)``."""
    fused = B.fused_pass(mdp, pi, q, success, condition=impossible)
    if fused is not None and fused.g is not None:
        return fused.g, fused.zq, fused.zv
    zq, zv = _soft_values(mdp, pi, q, success, B)
    return _divide_per_state(mdp, B.product(pi, zq), zv[mdp.pair_state], pi, B, impossible), zq, zv


def _divide_per_state(mdp: MDP, w: np.ndarray, total: np.ndarray, pi: np.ndarray | None, B: Backend,
                      impossible: str, pairs: slice = slice(None)) -> np.ndarray:
    """``w / total`` per pair, where ``total`` (over pairs) is the sum of ``w`` over the
    pair's state; where it is 0 the :attr:`Conventions.impossible` rule applies.  The
    arrays are over the model's ``pairs`` (default all)."""
    dead = B.is_zero(total)
    new = B.quotient(w, B.where(dead, B.one, total))
    if dead.any():
        fallback = pi if impossible == "keep" else _uniform_values(mdp, B)[pairs]
        new = B.where(dead, fallback, new)
    return B.normalize_array(new)


def _memo(mdp: MDP, B: Backend, key: tuple, compute: Callable[[], T], inputs: tuple = ()) -> T:
    """``compute()``, shared by every call with the same ``key`` and ``inputs`` on ``mdp`` in
    exact arithmetic (parametric case splits and claims re-run the same re-training; see
    exact/case_memo.py)."""
    return memoized(mdp, (B.key, *key), compute, inputs) if B.exact else compute()


def _memo_policy(mdp: MDP, B: Backend, key: tuple, compute: Callable[[], T], policy: Policy | None) -> T:
    """:func:`_memo` keyed by the values of ``policy`` (default the prior), not its identity:
    claims re-derive equal policies as new objects (by identity where :func:`values_key` has
    no key)."""
    if not B.exact:
        return compute()
    by_values = values_key(B, ((policy or mdp.prior_policy()).in_backend(B),))
    if by_values is None:
        return memoized(mdp, (B.key, *key), compute, (policy,))
    return memoized(mdp, (*key, "values", *by_values), compute)


def _wrap(mdp: MDP, values: np.ndarray, B: Backend) -> Policy:
    return Policy(mdp, values, None if B.exact and getattr(B, "sympy_values", True) else B)


def goal_condition(mdp: MDP, policy: Policy | None = None, *, backend: BackendLike = None,
                   alpha: sp.Expr | float | None = None, likelihood: np.ndarray | None = None,
                   conventions: Conventions | None = None) -> Policy:
    """The goal-conditioned policy ``G(pi)`` (default ``pi`` = the prior).

    Parameters
    ----------
    mdp : MDP
    policy : Policy, optional
    backend : str or Backend, optional
    alpha : optional
        Condition in the MDP with likelihoods ``q ** alpha`` (spec section 4).
    likelihood : ndarray, optional
        Replacement pair likelihoods (fold sequences).
    conventions : Conventions, optional
        Only ``impossible`` is used.

    Returns
    -------
    Policy
        Exact (SymPy values) in the exact backend, else in ``backend``'s numbers.

    Examples
    --------
    >>> from proofcheck.examples import mountain_race
    >>> goal_condition(mountain_race())["start"]
    {'up': 2/5, 'down': 3/5}
    """
    B = get_backend(backend)
    conv = conventions or Conventions()

    def compute() -> Policy:
        pi = (policy or mdp.prior_policy()).in_backend(B)
        q, success = likelihoods(mdp, B, alpha)
        if likelihood is not None:
            q = likelihood
        new, _, _ = _condition(mdp, pi, q, success, B, conv.impossible)
        return _wrap(mdp, new, B)

    if likelihood is not None:
        return compute()
    return _memo_policy(mdp, B, ("G", conv.impossible, type(alpha).__name__, alpha), compute, policy)


def retrain(mdp: MDP, k: int, policy: Policy | None = None, *, backend: BackendLike = None,
            conventions: Conventions | None = None) -> list[Policy]:
    """Re-training on own actions: ``[pi^G_0, ..., pi^G_k]`` with ``pi^G_0`` = ``policy`` or the prior.

    Parameters
    ----------
    mdp : MDP
    k : int
        Number of re-training steps (``>= 0``).
    policy : Policy, optional
    backend : str or Backend, optional
    conventions : Conventions, optional
        Only ``impossible`` is used.

    Returns
    -------
    list of Policy
        ``k + 1`` policies, ``pi^G_{i+1} = G(pi^G_i)``.

    Examples
    --------
    >>> from proofcheck.examples import stochastic_counterexample
    >>> [pi.prob("start", "a1") for pi in retrain(stochastic_counterexample(), 2)]
    [1/2, 5/11, 25/61]
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0:
        raise ValueError(f"k = {k!r} must be a non-negative integer number of re-training steps")
    return list(itertools.islice(iter_retrain(mdp, policy, backend=backend, conventions=conventions), k + 1))


def iter_retrain(mdp: MDP, policy: Policy | None = None, *, backend: BackendLike = None,
                 conventions: Conventions | None = None) -> Iterator[Policy]:
    """Re-training one step at a time: ``pi^G_0, pi^G_1, ...`` without end.

    :func:`retrain` with no length fixed in advance, for a caller that decides after each
    step whether to take the next one (a table that stops where a work budget does).

    Parameters
    ----------
    mdp : MDP
    policy : Policy, optional
        ``pi^G_0``; the prior when omitted.
    backend : str or Backend, optional
    conventions : Conventions, optional
        Only ``impossible`` is used.

    Yields
    ------
    Policy
        ``pi^G_0 = policy``, then ``pi^G_{i+1} = G(pi^G_i)``.

    Examples
    --------
    >>> from proofcheck.examples import stochastic_counterexample
    >>> steps = iter_retrain(stochastic_counterexample())
    >>> [next(steps).prob("start", "a1") for _ in range(3)]
    [1/2, 5/11, 25/61]
    """
    B = get_backend(backend)
    conv = conventions or Conventions()
    yield _wrap(mdp, (policy or mdp.prior_policy()).in_backend(B), B)
    step = policy  # None: the prior, so that every re-training of the model shares its steps
    while True:
        step = goal_condition(mdp, step, backend=B, conventions=conv)
        yield step


def tempered_policy(mdp: MDP, alpha: sp.Expr | float, *, backend: BackendLike = None,
                    conventions: Conventions | None = None) -> Policy:
    """``pi_alpha``: the goal-conditioned prior in the MDP with likelihoods ``q ** alpha``.

    Parameters
    ----------
    mdp : MDP
    alpha : number or sympy.Expr
        Inverse temperature.
    backend : str or Backend, optional
    conventions : Conventions, optional

    Returns
    -------
    Policy

    Examples
    --------
    >>> from proofcheck.examples import stochastic_counterexample
    >>> tempered_policy(stochastic_counterexample(), 2).prob("start", "a1")
    7/17
    """
    return goal_condition(mdp, None, backend=backend, alpha=alpha, conventions=conventions)


def fold_sequence(mdp: MDP, n: int, *, cumulative: bool, backend: BackendLike = None,
                  conventions: Conventions | None = None) -> list[Policy]:
    """The raw folded sequence ``[h_0 = p, h_1, ..., h_n]`` (spec section 5).

    ``h_{j+1} = G_{r_j}(p)``, the goal-conditioned prior under rewards ``r_j``, with
    ``r_0 = r`` and ``r_{j+1} = r_0 + log(term)`` (non-cumulative, ``F``) or
    ``r_{j+1} = r_j + log(term)`` (cumulative, ``H``); ``term`` is the fold term of
    :attr:`Conventions.fold_term` evaluated at ``h_{j+1}``.  Likelihoods may exceed 1
    along the way; conditioning is unaffected, so no normalisation is applied.

    Parameters
    ----------
    mdp : MDP
    n : int
        Number of fold steps.
    cumulative : bool
        ``H`` (True) or ``F`` (False).
    backend : str or Backend, optional
    conventions : Conventions, optional
        ``impossible`` and ``fold_term`` are used.

    Returns
    -------
    list of Policy
        ``n + 1`` policies, ``h_0 = p`` first.
    """
    B = get_backend(backend)
    conv = conventions or Conventions()
    q0, success = likelihoods(mdp, B)
    prior = mdp.converted(B)["prior"]
    seq = [_wrap(mdp, prior, B)]
    prior_zero = B.is_zero(prior)
    safe_prior = B.where(prior_zero, B.one, prior)

    def fold_step(previous: tuple | None) -> tuple:
        """``(h_{j+1}, the likelihoods of the next step)`` from the previous step's."""
        q = q0 if previous is None else previous[1]
        h, _, _ = _condition(mdp, prior, q, success, B, conv.impossible)
        term = h if conv.fold_term == "posterior" else B.where(prior_zero, B.zero, h / safe_prior)
        return _wrap(mdp, h, B), B.normalize_array(B.product(q if cumulative else q0, term))

    zeros = tuple(map(bool, prior_zero))  # decided by the case in force, outside the steps
    key = ("fold", cumulative, conv.fold_term, conv.impossible, zeros)
    state: tuple | None = None
    for _ in range(n):
        state = _memo(mdp, B, key, functools.partial(fold_step, state), (state,))
        seq.append(state[0])
    return seq


def noncumulative_fold(mdp: MDP, k: int, *, backend: BackendLike = None,
                       conventions: Conventions | None = None) -> list[Policy]:
    """``[pi^F_0 = p, ..., pi^F_k]``.

    Parameters
    ----------
    mdp : MDP
    k : int
    backend : str or Backend, optional
    conventions : Conventions, optional

    Returns
    -------
    list of Policy
        ``k + 1`` policies.
    """
    return fold_sequence(mdp, k, cumulative=False, backend=backend, conventions=conventions)


def cumulative_fold(mdp: MDP, k: int, *, backend: BackendLike = None,
                    conventions: Conventions | None = None) -> list[Policy | None]:
    """``[pi^H_0, ..., pi^H_k]`` under :attr:`Conventions.h_indexing`.

    Under ``"one-is-prior"`` the index 0 has no meaning and is returned as ``None``.

    Parameters
    ----------
    mdp : MDP
    k : int
    backend : str or Backend, optional
    conventions : Conventions, optional

    Returns
    -------
    list of Policy or None
        ``k + 1`` entries; the first is None under ``"one-is-prior"``.
    """
    conv = conventions or Conventions()
    off = conv.h_offset
    raw = fold_sequence(mdp, k + max(off, 0), cumulative=True, backend=backend, conventions=conv)
    return [raw[i + off] if i + off >= 0 else None for i in range(k + 1)]
