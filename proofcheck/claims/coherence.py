"""Incoherence claims: P4.7, P4.8, P4.10 and P5.2."""

from __future__ import annotations

import sympy as sp

from proofcheck.claims._common import EXACT, Verdict, brief, equal, result
from proofcheck.claims.registry import claim
from proofcheck.claims.soft_value_semantics import TRAJECTORY_LIMIT
from proofcheck.engine import (
    argmax_policy,
    boltzmann_policy,
    coherence_fixed_point,
    goal_condition,
    incoherent_states,
    iterate_coherence,
    occupancy,
    optimal_policy,
    retrain,
    soft_values,
    trajectory_kl,
)
from proofcheck.engine.coherence import kl_causal
from proofcheck.exact.constant_sign import log_ratio_exponent
from proofcheck.exact.sign import exact_sign

__all__ = ["check_kl_forms", "check_argmax_coherence", "check_iterated_coherence",
           "check_goal_conditioned_incoherent"]


@claim("P4.7", "Trajectory KL equals causal per-state KL",
       "KL(P_pi(xi) || P_pi'(xi)) = sum_t E_{s ~ d_pi^t} KL(pi(.|s) || pi'(.|s)), with pi' = pi^{Q,f}.")
def check_kl_forms(mdp, conventions, objective=None):
    G1 = goal_condition(mdp, conventions=conventions)
    pairs = {"prior vs Boltzmann(prior)": (mdp.prior_policy(), boltzmann_policy(mdp, None, conventions.delta, conventions=conventions)),
             "G(prior) vs Boltzmann(G(prior))": (G1, boltzmann_policy(mdp, G1, conventions.delta, conventions=conventions)),
             "prior vs argmax(prior)": (mdp.prior_policy(), argmax_policy(mdp, conventions=conventions))}
    rows = []
    for name, (a, b) in pairs.items():
        traj = trajectory_kl(mdp, a, b, limit=TRAJECTORY_LIMIT)
        causal = kl_causal(mdp, a, b)
        ok = equal(traj, causal) if not (traj == sp.oo or causal == sp.oo) else traj == causal
        rows.append({"quantity": name, "lhs": traj, "rhs": causal, "equal": ok})
        if not ok:
            return result(Verdict.FAILS, f"{name}: trajectory KL {traj} vs causal {causal}",
                          evidence=rows, counterexample=rows[-1], route="enumeration vs dynamic programming")
    return result(Verdict.HOLDS, "trajectory and causal KL agree exactly for 3 policy pairs "
                  f"({', '.join(brief(r['rhs'], 30) for r in rows)})",
                  evidence=rows, route="enumeration vs dynamic programming")


def _visited_argmax(mdp, pol):
    """For each state ``pol`` visits: its pair range and the mask of argmax_a Q_pol(s, a)."""
    sv = soft_values(mdp, pol)
    d = occupancy(mdp, pol)
    for i in range(mdp.n_states):
        if mdp.terminal[i] or d[i] == 0:
            continue
        lo, hi = mdp.state_ptr[i], mdp.state_ptr[i + 1]
        yield lo, hi, EXACT.segment_argmax(sv.zq[lo:hi], [0], [hi - lo])


def _unique_maxima(mdp, pol):
    """True when Q_pol has a unique maximiser at every state ``pol`` visits."""
    return all(mask.sum() == 1 for _, _, mask in _visited_argmax(mdp, pol))


def _greedy(mdp, pol):
    """pol puts mass only on argmax_a Q_pol(s, a) at the states it visits."""
    return all(pol.values[lo + k] == 0 or mask[k]
               for lo, hi, mask in _visited_argmax(mdp, pol) for k in range(hi - lo))


@claim("P4.8", "argmax-coherent iff greedy on own soft Q (deterministic)",
       "Deterministic dynamics, f = argmax with unique maxima: pi is f-coherent iff greedy w.r.t. Q_pi.",
       hypothesis="deterministic dynamics; unique maxima of Q_pi at visited states",
       repairs=("impossible",))
def check_argmax_coherence(mdp, conventions, objective=None):
    cands = {"prior": mdp.prior_policy(), "uniform": mdp.uniform_policy(),
             "argmax fixed point": coherence_fixed_point(mdp, None, "argmax", conventions=conventions),
             "optimal (S)": optimal_policy(mdp, "success"), "optimal (J)": optimal_policy(mdp, "return")}
    for k, pol in enumerate(retrain(mdp, 3, conventions=conventions)[1:], 1):
        cands[f"pi^G_{k}"] = pol
    rows, skipped, bad = [], [], None
    for name, pol in cands.items():
        if not _unique_maxima(mdp, pol):
            skipped.append(name)
            continue
        coh = not incoherent_states(mdp, pol, "argmax", conventions=conventions)
        gr = _greedy(mdp, pol)
        rows.append({"quantity": name, "coherent": coh, "greedy": gr, "equal": coh == gr})
        if coh != gr and bad is None:
            bad = {"policy": name, "argmax-coherent": coh, "greedy": gr}
    note = f"; outside the unique-maxima hypothesis: {', '.join(skipped)}" if skipped else ""
    if not mdp.deterministic:
        return result(Verdict.NOT_APPLICABLE, "stochastic dynamics; on this model the equivalence "
                      + ("fails" if bad else "holds") + f" for the {len(rows)} policies tested{note}",
                      evidence=rows, counterexample=bad)
    if not rows:
        return result(Verdict.UNDECIDED, f"no tested policy has unique maxima{note}")
    if bad:
        return result(Verdict.FAILS, f"{bad['policy']}: argmax-coherent = {bad['argmax-coherent']}, greedy = {bad['greedy']}",
                      evidence=rows, counterexample=bad)
    return result(Verdict.HOLDS, f"coherent <=> greedy for all {len(rows)} policies tested{note}",
                  evidence=rows, scope="policies: prior, uniform, argmax fixed point, optimal (S, J), pi^G_1..3")


@claim("P4.10", "Iterated f-coherence is coherent after at most T iterations",
       "pi^B_i = f-soft(pi^B_{i-1}) is f-coherent for i >= T.", repairs=("argmax_ties", "impossible"))
def check_iterated_coherence(mdp, conventions, objective=None):
    T = mdp.horizon
    rows, bad = [], None
    starts = {"prior": mdp.prior_policy(), "G(prior)": goal_condition(mdp, conventions=conventions)}
    for f in ("boltzmann", "argmax"):
        for sname, start in starts.items():
            seq = iterate_coherence(mdp, T, start, f, conventions=conventions)
            first = next((i for i, pol in enumerate(seq)
                          if not incoherent_states(mdp, pol, f, conventions=conventions)), None)
            label = f"{f}{'(delta=' + str(conventions.delta) + ')' if f == 'boltzmann' else ''} from {sname}"
            rows.append({"quantity": label, "first coherent iterate": first if first is not None else f"> {T}",
                         "bound T": T, "equal": first is not None})
            if first is None and bad is None:
                states = incoherent_states(mdp, seq[-1], f, conventions=conventions)
                bad = {"f": f, "start": sname, "iterate": T, "incoherent states": states}
    if bad:
        return result(Verdict.FAILS, f"{bad['f']} from {bad['start']}: pi^B_{T} is still incoherent at {bad['incoherent states'][:3]}",
                      evidence=rows, counterexample=bad)
    return result(Verdict.HOLDS, "coherent by iterate " + ", ".join(str(r["first coherent iterate"]) for r in rows)
                  + f" (T = {T})", evidence=rows)


def _log_ratio_exponent(x, y):
    """Rational r with x = y**r for positive rationals, or None (multiplicatively independent)."""
    return log_ratio_exponent(x, y)


@claim("P5.2", "A goal-conditioned policy need not be Boltzmann-coherent for any delta",
       "There are MDPs where G(prior) is not Boltzmann-coherent at any temperature delta > 0 (Example 1).",
       existential=True)
def check_goal_conditioned_incoherent(mdp, conventions, objective=None):
    """Decides exactly whether some delta > 0 makes G(p) coherent on this model.

    Coherence at delta needs, at every visited state, pi(a) > 0 iff Zq(a) > 0 and
    log(pi(a)/pi(b)) = (1/delta) log(Zq(a)/Zq(b)) for all supported a, b.
    """
    pi = goal_condition(mdp, conventions=conventions)
    sv = soft_values(mdp, pi)
    d = occupancy(mdp, pi)
    exponent = None  # 1/delta, when forced
    witness = None
    for i in range(mdp.n_states):
        if mdp.terminal[i] or d[i] == 0:
            continue
        s = mdp.states[i]
        js = range(mdp.state_ptr[i], mdp.state_ptr[i + 1])
        for j in js:
            if (pi.values[j] == 0) != (sv.zq[j] == 0):
                witness = {"state": s, "action": mdp.pair_action[j], "pi": pi.values[j], "Zq": sv.zq[j],
                           "reason": "support of G(prior) differs from the support of every Boltzmann policy"}
                break
        if witness:
            break
        sup = [j for j in js if pi.values[j] != 0]
        for a, b in zip(sup, sup[1:]):
            rp, rq = pi.values[a] / pi.values[b], sv.zq[a] / sv.zq[b]
            if rp == 1 and rq == 1:
                continue
            if rp == 1 or rq == 1 or (exact_sign(sp.log(rp)) != exact_sign(sp.log(rq))):
                witness = {"state": s, "actions": (mdp.pair_action[a], mdp.pair_action[b]),
                           "pi ratio": rp, "Zq ratio": rq,
                           "reason": "G(prior) orders these actions against their soft Q values"}
                break
            r = _log_ratio_exponent(rp, rq) if rp.is_Rational and rq.is_Rational else None
            if r is None:
                ex = sp.log(rp) / sp.log(rq)
                if exponent is None:
                    exponent = ex
                    continue
                sign = exact_sign(ex - exponent)  # certified nonzero, or undecided
                if sign != 0:
                    witness = {"state": s, "reason": f"needs 1/delta = {ex} here but {exponent} elsewhere"}
                    break
                continue
            if exponent is None:
                exponent = r
            elif exact_sign(exponent - r) != 0:
                witness = {"state": s, "reason": f"needs 1/delta = {r} here but {exponent} elsewhere"}
                break
        if witness:
            break
    if witness:
        return result(Verdict.HOLDS, f"this model is a witness: at {witness['state']}, {witness['reason']}",
                      evidence=[{"quantity": f"G(prior)({witness['state']})", "value": pi[witness["state"]]},
                                {"quantity": f"Zq_G(prior)({witness['state']}, .)",
                                 "value": {a: sv.Zq(witness["state"], a) for a in mdp.actions(witness["state"])}}],
                      counterexample=witness, route="exact (coprime base of ratios, no factorisation; certified signs)")
    delta = "any delta" if exponent is None else f"delta = {1 / exponent}"
    return result(Verdict.UNDECIDED,
                  f"this model is not a witness: G(prior) is Boltzmann-coherent at {delta}; "
                  "the existential claim is neither confirmed nor refuted here")
