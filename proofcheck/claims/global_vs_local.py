"""P4.3 (global trajectory posterior vs local conditioning) and P4.16 (one-step objective)."""

from __future__ import annotations

import sympy as sp

from proofcheck.claims._common import EXACT, Verdict, equal, policy_differences, result
from proofcheck.claims.registry import claim
from proofcheck.claims.soft_value_semantics import TRAJECTORY_LIMIT
from proofcheck.engine import (
    additive_return,
    coherence_fixed_point,
    enumerate_trajectories,
    goal_condition,
    success_probability,
    trajectory_distribution,
)
from proofcheck.engine.coherence import kl_causal
from proofcheck.errors import UndecidedError
from proofcheck.exact.intervals import interval_context, interval_eval
from proofcheck.exact.ratfunc import fast_cancel
from proofcheck.model.mdp import Policy, _obj

__all__ = ["check_global_local", "check_one_step_objective"]


@claim("P4.3", "Global posterior equals local goal conditioning (deterministic dynamics)",
       "p(xi | O_{1:T}=1) = prod_t p(a_t | s_t, O_{t:T}=1) tau(s_{t+1}|s_t,a_t) for deterministic dynamics.",
       hypothesis="deterministic dynamics", repairs=("impossible",))
def check_global_local(mdp, conventions, objective=None):
    S = success_probability(mdp)
    if S == 0:
        return result(Verdict.UNDECIDED, "S(prior) = 0: the posterior given success is undefined")
    glob = {}
    for path, p, lik in enumerate_trajectories(mdp, limit=TRAJECTORY_LIMIT):
        w = p * lik / S
        if w != 0:
            glob[path] = glob.get(path, 0) + w
    local = trajectory_distribution(mdp, goal_condition(mdp, conventions=conventions), limit=TRAJECTORY_LIMIT)
    bad = None
    # shortest first, then by name: the reported counterexample must not depend on hashing
    for path in sorted(set(glob) | set(local), key=lambda p: (len(p), tuple(map(str, p)))):
        g, l = glob.get(path, sp.Integer(0)), local.get(path, sp.Integer(0))
        if not equal(g, l):
            bad = {"trajectory": " ".join(map(str, path)), "global posterior": g, "local product": l}
            break
    holds = bad is None
    ev = [{"quantity": "trajectories compared", "value": len(set(glob) | set(local))}]
    if not mdp.deterministic:
        what = "agree" if holds else f"differ (the global posterior also conditions the environment: {bad['trajectory']}: {bad['global posterior']} vs {bad['local product']})"
        return result(Verdict.NOT_APPLICABLE, f"stochastic dynamics; the two distributions {what}",
                      evidence=ev, counterexample=bad, route="trajectory enumeration")
    if holds:
        return result(Verdict.HOLDS, f"the two trajectory distributions agree on all {len(glob)} successful trajectories",
                      evidence=ev, route="trajectory enumeration")
    return result(Verdict.FAILS, f"{bad['trajectory']}: global {bad['global posterior']} vs local {bad['local product']}",
                  evidence=ev, counterexample=bad, route="trajectory enumeration")


def _regularised(mdp, pol):
    """E[sum r] - KL(pi || p) along trajectories (causal KL, exact); leaf success is a reward."""
    return additive_return(mdp, pol) - kl_causal(mdp, pol, mdp.prior_policy())


def _one_decision_step(mdp):
    """True when every choice is made at the first step: each non-terminal state that is
    not initial has exactly one action.  Such a model is a one-step problem whatever its
    ``T``: a success on a leaf and the same success as the likelihood of a trailing forced
    step are two encodings of one problem (spec section 1), and the verdict must not
    depend on the encoding."""
    counts = mdp.state_ptr[1:] - mdp.state_ptr[:-1]
    return all(counts[i] <= 1 for i in range(mdp.n_states) if mdp.initial[i] == 0)


def _continuation_values(mdp):
    """``exp(E[sum of log-likelihoods + log leaf success])`` from each state, following the
    forced (single-action) steps after the first; the leaf success at a leaf."""
    val = list(mdp.success)
    for i in reversed(range(mdp.n_states)):  # states are in topological order
        lo, hi = mdp.state_ptr[i], mdp.state_ptr[i + 1]
        if hi - lo == 1:
            val[i] = mdp.likelihood[lo] * _expected_log_form(mdp, lo, val)
    return val


def _expected_log_form(mdp, j, val):
    """``prod_e val(target_e) ** tau_e`` over the outcome edges of pair ``j``."""
    out = sp.Integer(1)
    for e in range(mdp.pair_ptr[j], mdp.pair_ptr[j + 1]):
        if mdp.edge_prob[e] != 0:
            out = out * val[mdp.edge_target[e]] ** mdp.edge_prob[e]
    return out


#: Radicals of higher degree than this are not rationalised: SymPy's radsimp of sums of them
#: does not finish.  A float-derived outcome probability is such an exponent: 0.7 is
#: 3152519739159347/2**52, and the continuation ``0.8 ** 0.7`` a radical of degree 2**52
#: (``proofcheck verify`` of such a one-step model ran for hours in P4.16).
MAX_RADICAL_DEGREE = 64


def _radical_degree(x):
    """The largest root degree among the powers in ``x`` (1 without radicals)."""
    return max((int(p.exp.q) for p in x.atoms(sp.Pow) if p.exp.is_Rational), default=1)


def _simplified(x):
    """A rational function in lowest terms by flint (sympy.simplify costs ~0.1 s a call, and
    its first call imports sympy.physics); other values (radicals) with a rational
    denominator by SymPy's radsimp, simplify only when that leaves radicals below the bar.
    Radicals beyond :data:`MAX_RADICAL_DEGREE` raise :class:`~proofcheck.errors.UndecidedError`."""
    fast = fast_cancel(x)
    if fast is not None:
        return fast
    degree = _radical_degree(x)
    if degree > MAX_RADICAL_DEGREE:
        raise UndecidedError(f"the one-step maximiser holds radicals of degree {degree} (outcome probabilities "
                             f"as exponents, here from floats); exact simplification is limited to degree "
                             f"{MAX_RADICAL_DEGREE}: give the outcome probabilities as short fractions "
                             "(e.g. 7/10) to decide this claim exactly")
    # rationalising the denominator is usually all there is to do (one-step values are
    # ratios of sums of radicals): done when no radical is left below the fraction bar
    rationalised = sp.radsimp(x)
    if sp.fraction(rationalised)[1].is_Rational:
        return rationalised
    return sp.radsimp(sp.simplify(x))


def _one_step_maximiser(mdp):
    """``pi*(a|s) ∝ p(a|s) exp(rbar(s,a))`` with ``rbar = log q + E_tau[log continuation]``
    (the continuation: leaf success, or the forced steps after the choice), and the optimal
    value ``E_mu log sum_a p exp(rbar)``; exact (algebraic numbers allowed)."""
    cont = _continuation_values(mdp)
    w = [mdp.prior[j] * mdp.likelihood[j] * _expected_log_form(mdp, j, cont) for j in range(mdp.n_pairs)]
    values, best = [], sp.Integer(0)
    for i in range(mdp.n_states):
        lo, hi = mdp.state_ptr[i], mdp.state_ptr[i + 1]
        if hi == lo:
            continue
        z = sum(w[lo:hi], sp.Integer(0))
        values += [_simplified(w[j] / z) if z != 0 else mdp.prior[j] for j in range(lo, hi)]
        if mdp.initial[i] != 0:
            best += mdp.initial[i] * (sp.log(z) if z != 0 else -sp.oo)
    return Policy(mdp, _obj(values)), best


@claim("P4.16", "One step: the Boltzmann-coherent policy maximises E[r] - KL(pi||p)",
       "For T = 1 the Boltzmann-coherent policy maximises E[r] - KL(pi || p); the maximiser is ∝ p exp(r).",
       hypothesis="one decision step (T = 1; steps without a choice after it are allowed)",
       repairs=("uniform prior", "deterministic dynamics"))
def check_one_step_objective(mdp, conventions, objective=None):
    if not _one_decision_step(mdp):
        return result(Verdict.NOT_APPLICABLE, f"T = {mdp.horizon} with choices after the first step: "
                      "the claim is about one-step problems")
    maximiser, best = _one_step_maximiser(mdp)
    coherent = coherence_fixed_point(mdp, conventions=conventions.replace(delta=sp.Integer(1)))
    obj_max = _regularised(mdp, maximiser)
    obj_coh = _regularised(mdp, coherent)
    ev = [{"quantity": "max E[r] - KL(pi||p) = E_mu log sum_a p exp(r)", "value": best},
          {"quantity": "objective at p exp(r)/Z", "value": obj_max},
          {"quantity": "objective at the Boltzmann-coherent policy", "value": obj_coh}]
    try:
        formula_ok = EXACT.compare(obj_max, best) == 0
    except UndecidedError:
        # algebraic numbers inside logarithms: no exact zero test; certify to 100 digits
        enc = interval_eval(obj_max - best, interval_context(110))
        formula_ok = bool(abs(enc.a) < sp.Float("1e-100") and abs(enc.b) < sp.Float("1e-100"))
        ev.append({"quantity": "objective at p exp(r)/Z minus bound",
                   "value": "|.| < 1e-100 (interval arithmetic, 110 digits; exact zero test unavailable)"})
    if not formula_ok:
        return result(Verdict.FAILS, f"p exp(r)/Z attains {obj_max}, not the bound {best}",
                      evidence=ev, counterexample={"objective at p exp(r)/Z": obj_max, "bound": best})
    diffs = policy_differences(mdp, coherent, maximiser, only_reachable_by=coherent)
    if not diffs:
        return result(Verdict.HOLDS, f"the Boltzmann-coherent policy is p exp(r)/Z and attains {best}",
                      evidence=ev, route="exact")
    d = diffs[0]
    cex = {"state": d["state"], "action": d["action"], "Boltzmann-coherent": d["left"],
           "maximiser p exp(r)/Z": d["right"], "objective gap": obj_max - obj_coh}
    cause = ("Boltzmann coherence ignores the prior" if mdp.deterministic else
             "with stochastic outcomes the soft Q is log E exp, not E log")
    return result(Verdict.FAILS,
                  f"{cause}: at {d['state']}, {d['action']}: Boltzmann-coherent {d['left']} vs maximiser {d['right']}",
                  evidence=ev, counterexample=cex, route="exact")
