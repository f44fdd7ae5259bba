"""P4.2: soft values under a policy are log-probabilities of optimality."""

from __future__ import annotations

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
    rows, checked = [], 0
    for name, pol in _test_policies(mdp, conventions).items():
        sv = soft_values(mdp, pol)
        for j in range(mdp.n_pairs):
            s, a = mdp.states[mdp.pair_state[j]], mdp.pair_action[j]
            brute = sum((p * lik for _, p, lik in enumerate_trajectories(
                mdp, pol, start=s, first_action=a, limit=TRAJECTORY_LIMIT)), sp.Integer(0))
            checked += 1
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
    return result(Verdict.HOLDS,
                  f"exp(Q) and exp(V) equal the enumerated optimality probabilities at all {checked} "
                  f"state-action pairs for 4 policies",
                  evidence=rows, scope="policies: prior, uniform, G(prior), Boltzmann fixed point",
                  route="dynamic programming vs trajectory enumeration")
