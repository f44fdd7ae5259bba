"""Optimal values and policies for the success probability ``S`` and the return ``J``.

``S``: ``V*(s) = max_a q(s,a) sum tau V*(s')``, ``V*(leaf) = success``.
``J``: ``V*(s) = max_a [log q(s,a) + sum tau V*(s')]``, ``V*(leaf) = log success``.
One backward pass each; ties are settled exactly in the exact backend.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from proofcheck.engine.backends import get_backend
from proofcheck.engine.backends.base import Backend, BackendLike, Scalar
from proofcheck.engine.coherence import _normalise_per_state
from proofcheck.engine.goal_conditioning import _wrap
from proofcheck.engine.soft_values import additive_return, likelihoods, success_probability
from proofcheck.exact.case_memo import memoized
from proofcheck.model.mdp import MDP, Policy

__all__ = ["OptimalValues", "optimal_values", "optimal_policy", "is_optimal"]


@dataclass
class OptimalValues:
    """``q_star`` over pairs, ``v_star`` over states, the objective and the backend."""

    mdp: MDP
    q_star: np.ndarray
    v_star: np.ndarray
    objective: str
    backend: Backend

    def greedy_mask(self) -> np.ndarray:
        """Pairs whose action attains ``V*`` (exact ties): a boolean array over pairs."""
        m, B = self.mdp, self.backend
        nt = ~m.terminal
        return B.segment_argmax(self.q_star, m.state_ptr[:-1][nt], m.state_ptr[1:][nt])

    def value(self) -> Scalar:
        """``E_{s0 ~ mu} V*(s0)``, a number of ``backend``."""
        B = self.backend
        init = self.mdp.converted(B)["initial"]
        return B.segment_sum(B.weight(init, self.v_star), np.array([0]))[0]


def _check_objective(objective: str) -> None:
    if objective not in ("success", "return"):
        raise ValueError(f"objective {objective!r} must be 'success' (S) or 'return' (J)")


def optimal_values(mdp: MDP, objective: str = "return", *, backend: BackendLike = None) -> OptimalValues:
    """Optimal ``Q*``/``V*`` for ``objective`` ``"success"`` (S) or ``"return"`` (J).

    Parameters
    ----------
    mdp : MDP
    objective : {"return", "success"}
    backend : str or Backend, optional

    Returns
    -------
    OptimalValues

    Examples
    --------
    >>> from proofcheck.examples import mountain_race
    >>> optimal_values(mountain_race(), "success").value()
    1
    """
    _check_objective(objective)
    B = get_backend(backend)
    if B.exact:  # claims and their parametric cases ask for the same values (exact/case_memo.py)
        return memoized(mdp, ("optimal values", B.key, objective), lambda: _optimal_values(mdp, objective, B))
    return _optimal_values(mdp, objective, B)


def _optimal_values(mdp: MDP, objective: str, B: Backend) -> OptimalValues:
    q, success = likelihoods(mdp, B)
    ep = mdp.converted(B)["edge_prob"]
    additive = objective == "return"
    if additive:
        q, success = B.log(q), B.log(success)
    v = B.empty(mdp.n_states)
    qs = B.empty(mdp.n_pairs)
    v[mdp.terminal] = success[mdp.terminal]
    for blk in mdp.blocks[1:]:
        e, p, s = blk.edges, blk.pairs, blk.states
        flow = B.weight(ep[e], v[mdp.edge_target[e]])
        cont = B.segment_sum(flow, mdp.pair_ptr[p.start:p.stop] - e.start)
        qs[p] = q[p] + cont if additive else B.weight(q[p], cont)
        v[s] = B.segment_max(qs[p], mdp.state_ptr[s.start:s.stop] - p.start,
                             mdp.state_ptr[s.start + 1:s.stop + 1] - p.start)
    return OptimalValues(mdp, qs, v, objective, B)


def optimal_policy(mdp: MDP, objective: str = "return", *, backend: BackendLike = None) -> Policy:
    """The optimal policy, uniform over optimal actions at every state.

    Parameters
    ----------
    mdp : MDP
    objective : {"return", "success"}
    backend : str or Backend, optional

    Returns
    -------
    Policy

    Examples
    --------
    >>> from proofcheck.examples import mountain_race
    >>> optimal_policy(mountain_race(), "success")["start"]
    {'up': 1, 'down': 0}
    """
    ov = optimal_values(mdp, objective, backend=backend)
    B = ov.backend

    def compute() -> Policy:
        w = B.where(ov.greedy_mask(), B.one, B.zero)
        return _wrap(mdp, _normalise_per_state(mdp, w, None, B, "uniform"), B)

    # one object per model, so that values memoized per policy are shared
    return memoized(mdp, ("optimal policy", B.key, objective), compute, (ov,)) if B.exact else compute()


def is_optimal(mdp: MDP, policy: Policy, objective: str = "return", *, backend: BackendLike = None) -> bool:
    """Whether ``policy`` attains the optimal value of ``objective`` (exact comparison).

    Parameters
    ----------
    mdp : MDP
    policy : Policy
    objective : {"return", "success"}
    backend : str or Backend, optional

    Returns
    -------
    bool

    Raises
    ------
    UndecidedError
        When the comparison cannot be decided.
    """
    B = get_backend(backend)
    best = optimal_values(mdp, objective, backend=B).value()
    val = (success_probability if objective == "success" else additive_return)(mdp, policy, backend=B)
    return B.compare(val, best) == 0
