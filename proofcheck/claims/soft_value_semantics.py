"""P4.2: soft values under a policy are log-probabilities of optimality."""

from __future__ import annotations

import numpy as np
import sympy as sp

from proofcheck.claims._common import Verdict, equal, result
from proofcheck.claims.registry import claim
from proofcheck.engine import (
    TooManyTrajectories,
    coherence_fixed_point,
    count_trajectories,
    enumerate_trajectories,
    goal_condition,
    soft_values,
)
from proofcheck.errors import UndecidedError
from proofcheck.model.mdp import Policy

__all__ = ["check_soft_value_semantics", "TRAJECTORY_LIMIT"]

TRAJECTORY_LIMIT = 20_000


def _test_policies(mdp, conventions):
    return {"prior": mdp.prior_policy(), "uniform": mdp.uniform_policy(),
            "G(prior)": goal_condition(mdp, conventions=conventions),
            "Boltzmann fixed point": coherence_fixed_point(mdp, conventions=conventions)}


@claim("P4.2", "Soft values are log-probabilities of optimality",
       "Q_pi(s,a) = log P_pi(O_{t:T}=1 | s,a) and V_pi(s) = log P_pi(O_{t:T}=1 | s) for every pi.")
def check_soft_value_semantics(mdp, conventions, objective=None):
    n = count_trajectories(mdp)
    if n * max(1, mdp.n_pairs) > TRAJECTORY_LIMIT * 10:
        raise TooManyTrajectories(
            f"{n} trajectories: the enumeration route is limited to {TRAJECTORY_LIMIT}; "
            "the dynamic-programming values are not checked against it here")
    rows, checked, generic = [], 0, None
    for name, pol in _test_policies(mdp, conventions).items():
        try:
            failure = _compare(mdp, pol, name, rows)
        except UndecidedError:
            # an algebraic policy (the Boltzmann fixed point at a fractional delta) whose
            # equal values no interval separates: the identities hold for every policy when
            # they hold with the policy's entries as symbols, so this one is settled too
            if generic is None:
                generic = _holds_for_a_generic_policy(mdp)
            if not generic:
                raise
            rows.append({"quantity": f"Zv_{name}", "lhs": "(algebraic)", "rhs": "(algebraic)",
                         "equal": "by the identity in a generic policy"})
            failure = None
        if failure is not None:
            return failure
        checked += mdp.n_pairs
    return result(Verdict.HOLDS,
                  f"exp(Q) and exp(V) equal the enumerated optimality probabilities at all {checked} "
                  f"state-action pairs for 4 policies"
                  + ("; for the algebraic ones as an identity in the policy's entries, which holds for "
                     "every policy" if generic else ""),
                  evidence=rows, scope="policies: prior, uniform, G(prior), Boltzmann fixed point",
                  route="dynamic programming vs trajectory enumeration")


def _compare(mdp, pol, name, rows):
    """The failure of P4.2 for ``pol`` (a result), or None after adding its evidence row;
    UndecidedError when a comparison cannot be decided."""
    sv = soft_values(mdp, pol)
    for j in range(mdp.n_pairs):
        s, a = mdp.states[mdp.pair_state[j]], mdp.pair_action[j]
        brute = sum((p * lik for _, p, lik in enumerate_trajectories(
            mdp, pol, start=s, first_action=a, limit=TRAJECTORY_LIMIT)), sp.Integer(0))
        if not equal(sv.zq[j], brute):
            return result(Verdict.FAILS, f"Zq_{name}({s},{a}) = {sv.zq[j]} but the trajectory sum is {brute}",
                          counterexample={"policy": name, "state": s, "action": a,
                                          "Zq": sv.zq[j], "P(O=1|s,a)": brute},
                          route="dynamic programming vs trajectory enumeration")
    s0 = mdp.initial_states()[0]
    brute = sum((p * lik for _, p, lik in enumerate_trajectories(mdp, pol, start=s0,
                                                                  limit=TRAJECTORY_LIMIT)), sp.Integer(0))
    if not equal(sv.Zv(s0), brute):
        return result(Verdict.FAILS, f"Zv_{name}({s0}) = {sv.Zv(s0)} but the trajectory sum is {brute}",
                      counterexample={"policy": name, "state": s0, "Zv": sv.Zv(s0), "P(O=1|s)": brute})
    rows.append({"quantity": f"Zv_{name}({s0})", "lhs": sv.Zv(s0), "rhs": brute, "equal": True})
    return None


def _holds_for_a_generic_policy(mdp):
    """Whether P4.2's identities hold with every ``pi(a|s)`` a symbol: both sides are then
    polynomials in those symbols, formed by the same operations as for any policy, and
    their equality as polynomials is equality at every policy (a fixed point's algebraic
    numbers included).  False when a difference is not decided to be 0."""
    values = np.array([sp.Dummy("pi", positive=True) for _ in range(mdp.n_pairs)], dtype=object)
    try:
        return _compare(mdp, Policy(mdp, values), "generic", []) is None
    except UndecidedError:
        return False
