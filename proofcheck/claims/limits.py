"""Limit claims: P4.13, C4.14, C4.15, P5.5, C5.10, C5.11 and D.1 (issue 3).

Each limit is computed exactly by dominant-term analysis of the closed forms of
:mod:`proofcheck.symbolic` and checked against an mpmath evaluation far along the
parameter; the evidence rows state the distance.  "Optimal" is judged under the
objective the claim runs with (``S`` success probability or ``J`` additive return).
"""

from __future__ import annotations

import itertools

import mpmath
import numpy as np
import sympy as sp

from proofcheck.engine import (additive_return, argmax_policy, boltzmann_policy, get_backend,
                      goal_condition, incoherence, occupancy, optimal_policy, optimal_values,
                      retrain, soft_values, success_probability)
from proofcheck.engine.coherence import kl_causal
from proofcheck.model.mdp import Policy
from proofcheck.symbolic.closed_forms import (ALPHA, boltzmann_closed_form, retraining_closed_form,
                                     tempered_closed_form, _obj)
from proofcheck.symbolic.limits import numeric_check, policy_limit
from proofcheck.claims._common import EXACT, result, Verdict
from proofcheck.claims.registry import claim

__all__ = ["check_p413", "check_c414", "check_c415", "check_p55", "check_c510", "check_c511",
           "check_d1", "boltzmann_limit", "limit_incoherence", "retraining_limit"]

_OBJ = {"return": ("J", additive_return), "success": ("S", success_probability)}
_NUMERIC_DELTA = sp.Rational(1, 10 ** 4)
_MP = "mpmath:50"
#: Deterministic policies are enumerated as counter-candidates up to this many.
POLICY_ENUMERATION_LIMIT = 256


def _fmt(v, n=12):
    v = sp.sympify(v)
    if v in (sp.oo, -sp.oo) or v.is_Rational:
        return str(v)
    try:
        return str(sp.N(v, n))
    except (TypeError, ValueError):  # pragma: no cover - symbolic leftovers
        return str(v)


def _alive_states(mdp, policy):
    """Non-terminal states where some ``Zq_pi(s, a) > 0`` (Boltzmann is defined there)."""
    sv = soft_values(mdp, policy)
    out = []
    for i in range(mdp.n_states):
        if mdp.terminal[i]:
            continue
        js = range(mdp.state_ptr[i], mdp.state_ptr[i + 1])
        if any(EXACT.compare(sv.zq[j], sp.Integer(0)) != 0 for j in js):
            out.append(i)
    return out


def boltzmann_limit(mdp, policy):
    """``lim_{delta -> 0} pi^delta`` exactly (dominant term of ``Zq^(1/delta)``)."""
    return policy_limit(boltzmann_closed_form(mdp, policy), "inf")


def limit_incoherence(mdp, policy):
    """``lim_{delta -> 0} kappa_delta(policy)``: the causal KL to the limit policy.

    ``+oo`` exactly when ``policy`` puts mass on a non-maximising action at a visited
    state (its Boltzmann probability then decays like ``r^(1/delta)``, so the KL term grows
    like ``1/delta``); otherwise the KL to the limit, by continuity.
    """
    return kl_causal(mdp, policy, boltzmann_limit(mdp, policy))


def _is_optimal(mdp, policy, objective, best=None):
    name, fn = _OBJ[objective]
    val = fn(mdp, policy)
    best = optimal_values(mdp, objective).value() if best is None else best
    return EXACT.compare(val, best) == 0, val, best


def _first_optimal(mdp, objective):
    """The deterministic optimal policy taking the first optimal action everywhere."""
    mask = optimal_values(mdp, objective).greedy_mask()
    vals = [sp.Integer(0)] * mdp.n_pairs
    for i in range(mdp.n_states):
        if mdp.terminal[i]:
            continue
        js = list(range(mdp.state_ptr[i], mdp.state_ptr[i + 1]))
        vals[next(j for j in js if mask[j])] = sp.Integer(1)
    return Policy(mdp, _obj(vals))


def _deterministic_policies(mdp, limit=POLICY_ENUMERATION_LIMIT):
    states = [i for i in range(mdp.n_states) if not mdp.terminal[i]]
    counts = [mdp.state_ptr[i + 1] - mdp.state_ptr[i] for i in states]
    if int(np.prod([int(c) for c in counts], dtype=object)) > limit:
        return None
    out = []
    for choice in itertools.product(*[range(int(c)) for c in counts]):
        vals = [sp.Integer(0)] * mdp.n_pairs
        for i, c in zip(states, choice):
            vals[mdp.state_ptr[i] + c] = sp.Integer(1)
        out.append(Policy(mdp, _obj(vals)))
    return out


def _describe_policy(mdp, pol, limit=4):
    rows = []
    for s, row in pol.as_dict().items():
        chosen = [a for a, v in row.items() if v != 0]
        rows.append(f"{s}: {'/'.join(map(str, chosen))}")
    return ", ".join(rows[:limit]) + (", ..." if len(rows) > limit else "")


# ---------------------------------------------------------------------------- P4.13

@claim("P4.13", "Boltzmann policies tend to uniform over argmax Q as delta -> 0",
       "As delta -> 0, pi^delta(.|s) -> uniform over argmax_a Q_pi(s, a).")
def check_p413(mdp, conventions, objective=None):
    conv = conventions.replace(argmax_ties="uniform")
    cands = {"prior": mdp.prior_policy(), "uniform": mdp.uniform_policy(),
             "G(prior)": goal_condition(mdp, conventions=conventions)}
    rows, bad, worst = [], None, mpmath.mpf(0)
    B = get_backend(_MP)
    for name, pol in cands.items():
        lim = boltzmann_limit(mdp, pol)
        arg = argmax_policy(mdp, pol, conventions=conv)
        alive = _alive_states(mdp, pol)
        num = None if mdp.parameters else boltzmann_policy(mdp, pol, _NUMERIC_DELTA, backend=B,
                                                           conventions=conventions)
        dist = mpmath.mpf(0)
        for i in alive:
            for j in range(mdp.state_ptr[i], mdp.state_ptr[i + 1]):
                if num is not None:
                    dist = max(dist, abs(num.values[j] - B._convert(lim.values[j])))
                if bad is None and EXACT.compare(lim.values[j], arg.values[j]) != 0:
                    bad = {"policy": name, "state": mdp.states[i], "action": mdp.pair_action[j],
                           "limit": lim.values[j], "uniform over argmax": arg.values[j]}
        worst = max(worst, dist)
        rows.append({"quantity": f"lim_(delta->0) Boltzmann({name})", "value": _describe_policy(mdp, lim),
                     "numeric": (f"max |pi^delta - limit| at delta = 1e-4: {mpmath.nstr(dist, 3)} (mpmath 50 digits)"
                                 if num is not None else "numeric check skipped: parametric model"),
                     "equal": bad is None})
    dead = sorted({mdp.states[i] for i in range(mdp.n_states) if not mdp.terminal[i]}
                  - {mdp.states[i] for i in _alive_states(mdp, mdp.prior_policy())})
    note = f"; states where every Zq = 0 (Boltzmann undefined, convention {conventions.impossible!r}) excluded: {dead}" if dead else ""
    if bad:
        return result(Verdict.FAILS, f"{bad['policy']} at {bad['state']}: limit {bad['limit']} vs "
                      f"uniform-over-argmax {bad['uniform over argmax']}", evidence=rows,
                      counterexample=bad, route="dominant term of Zq^(1/delta) vs engine argmax")
    numtext = ("numeric check skipped (parametric)" if mdp.parameters else
               f"mpmath at delta = 1e-4 within {mpmath.nstr(worst, 2)}")
    return result(Verdict.HOLDS, "exact delta->0 limits equal uniform-over-argmax for prior, uniform, "
                  f"G(prior); {numtext}{note}",
                  evidence=rows, route="dominant term of Zq^(1/delta) (exact) vs engine argmax; "
                  "mpmath Boltzmann at delta = 1e-4", scope="policies: prior, uniform, G(prior)")


# ---------------------------------------------------------------------------- C4.14

@claim("C4.14", "If the prior is optimal, the delta -> 0 Boltzmann limit is optimal",
       "If p is optimal then lim_{delta->0} p^delta (uniform over argmax Q_p) is optimal; not in general otherwise.",
       uses_objective=True, hypothesis="the prior is optimal")
def check_c414(mdp, conventions, objective="return"):
    name, _ = _OBJ[objective]
    best = optimal_values(mdp, objective).value()
    rows, bad = [], None
    priors = {"model prior": mdp.prior_policy(),
              f"prior := uniform over {name}-optimal actions": optimal_policy(mdp, objective),
              f"prior := first {name}-optimal action": _first_optimal(mdp, objective)}
    own_optimal = None
    own_limit_optimal = None
    for label, p in priors.items():
        p_opt, p_val, _ = _is_optimal(mdp, p, objective, best)
        lim = boltzmann_limit(mdp, p)
        l_opt, l_val, _ = _is_optimal(mdp, lim, objective, best)
        rows.append({"quantity": label, "prior optimal": p_opt, f"{name}(prior)": _fmt(p_val),
                     "limit policy": _describe_policy(mdp, lim), f"{name}(limit)": _fmt(l_val),
                     f"{name}*": _fmt(best), "limit optimal": l_opt, "equal": (not p_opt) or l_opt})
        if label == "model prior":
            own_optimal, own_limit_optimal = p_opt, l_opt
        if p_opt and not l_opt and bad is None:
            bad = {"prior": label, f"{name}(limit)": l_val, f"{name}*": best,
                   "limit policy": _describe_policy(mdp, lim)}
    own = (f"model prior is {name}-optimal" if own_optimal else
           f"model prior is not {name}-optimal; its limit is {'' if own_limit_optimal else 'not '}optimal")
    if bad:
        return result(Verdict.FAILS, f"{bad['prior']} is {name}-optimal but its delta->0 limit has "
                      f"{name} = {_fmt(bad[name + '(limit)'])} < {name}* = {_fmt(best)}; {own}",
                      evidence=rows, counterexample=bad, route="exact dominant-term limit, exact values")
    return result(Verdict.HOLDS, f"every optimal prior tested has an optimal limit ({name}* = {_fmt(best)}); {own}",
                  evidence=rows, scope="the model's prior if optimal, and the prior replaced by the "
                  f"uniform and the first {name}-optimal policy", route="exact dominant-term limit, exact values")


# ---------------------------------------------------------------------------- C4.15

@claim("C4.15", "Finite zero-temperature incoherence is necessary, not sufficient, for optimality",
       "pi optimal => lim_{delta->0} kappa_delta(pi) < inf; the converse fails.", uses_objective=True)
def check_c415(mdp, conventions, objective="return"):
    name, _ = _OBJ[objective]
    best = optimal_values(mdp, objective).value()
    B = get_backend(_MP)
    rows, bad = [], None
    opt = {f"uniform {name}-optimal": optimal_policy(mdp, objective),
           f"first {name}-optimal": _first_optimal(mdp, objective)}
    for label, pol in opt.items():
        lim = limit_incoherence(mdp, pol)
        num = None if mdp.parameters else incoherence(mdp, pol, "boltzmann", backend=B,
                                                      delta=sp.Rational(1, 1000))
        numtext = mpmath.nstr(num, 6) if num is not None else "skipped (parametric)"
        rows.append({"quantity": f"lim kappa_delta({label})", "value": _fmt(lim),
                     "numeric": f"kappa at delta = 1e-3: {numtext} (mpmath 50 digits)",
                     "equal": lim != sp.oo})
        if lim == sp.oo and bad is None:
            bad = {"policy": label, "lim kappa": "oo", "kappa at delta=1e-3": numtext}
    # Non-sufficiency: a policy with finite limit incoherence that is not optimal.
    cands = _deterministic_policies(mdp)
    scope = "all deterministic policies" if cands is not None else "prior, uniform, pi^G_1, pi^G_2"
    if cands is None:
        cands = [mdp.prior_policy(), mdp.uniform_policy()] + retrain(mdp, 2, conventions=conventions)[1:]
    witness = None
    for pol in cands:
        is_opt, val, _ = _is_optimal(mdp, pol, objective, best)
        if is_opt:
            continue
        lim = limit_incoherence(mdp, pol)
        if lim != sp.oo:
            witness = {"policy": _describe_policy(mdp, pol), "lim kappa": _fmt(lim),
                       f"{name}(policy)": _fmt(val), f"{name}*": _fmt(best)}
            break
    if witness:
        rows.append({"quantity": "non-sufficiency witness", "value": witness, "equal": True})
    tail = (f"not sufficient: {witness['policy']} has lim kappa = {witness['lim kappa']} but "
            f"{name} = {witness[name + '(policy)']} < {_fmt(best)}" if witness else
            f"no witness of non-sufficiency among {scope}")
    if bad:
        return result(Verdict.FAILS, f"necessity fails: the {bad['policy']} policy has lim kappa = oo "
                      f"(kappa at delta = 1e-3: {bad['kappa at delta=1e-3']}); {tail}",
                      evidence=rows, counterexample=bad, route="exact limit of the causal KL")
    return result(Verdict.HOLDS, f"optimal policies have finite limits "
                  f"({', '.join(r['value'] for r in rows[:2])}); {tail}",
                  evidence=rows, scope=f"optimal: uniform and first {name}-optimal; counter-candidates: {scope}",
                  route="exact limit of the causal KL; mpmath kappa at delta = 1e-3")


# ---------------------------------------------------------------------------- P5.5

def retraining_limit(mdp, conventions):
    """``(limit policy or None, note)`` of ``pi^G_k`` as ``k -> inf``.

    Deterministic dynamics: exact, from the closed form.  Stochastic dynamics with a
    full-support prior: supported on ``argmax Q*_S`` at every state (bottom-up: the
    soft values of the iterates converge geometrically to ``V*_S``, so non-maximising
    actions lose mass like ``r^k``); exact when the argmax is unique at every state,
    otherwise the split among tied actions is an infinite product and only the support
    is returned (``note`` says so).
    """
    if mdp.deterministic:
        cf = retraining_closed_form(mdp, conventions)
        return policy_limit(cf, "inf"), "exact (closed form, dominant term)"
    if any(v == 0 for v in mdp.prior):
        return None, "stochastic dynamics with a prior without full support: limit not derived"
    ov = optimal_values(mdp, "success")
    mask = ov.greedy_mask()
    ties = any(mask[mdp.state_ptr[i]:mdp.state_ptr[i + 1]].sum() > 1
               for i in range(mdp.n_states) if not mdp.terminal[i])
    pol = optimal_policy(mdp, "success")
    return pol, ("support of argmax Q*_S; split among tied actions not exact" if ties
                 else "exact: unique argmax Q*_S everywhere")


@claim("P5.5", "Re-training converges; with a full-support prior the limit is optimal",
       "pi^G_i converges; if the prior has full support, lim pi^G_i is optimal.",
       uses_objective=True, hypothesis="prior with full support")
def check_p55(mdp, conventions, objective="return"):
    name, fn = _OBJ[objective]
    full = all(v != 0 for v in mdp.prior)
    lim, note = retraining_limit(mdp, conventions)
    if lim is None:
        return result(Verdict.UNDECIDED, note)
    best = optimal_values(mdp, objective).value()
    rows = []
    # Numeric check far along k.
    if mdp.parameters:
        rows.append({"quantity": "numeric check", "value": "skipped (parametric model)"})
    elif mdp.deterministic:
        cf = retraining_closed_form(mdp, conventions)
        worst = "0"
        dists = []
        for j in range(mdp.n_pairs):
            if cf.num[j] is None or cf.den[j].is_zero:
                continue
            dists.append(numeric_check(cf.num[j], cf.den[j], lim.values[j], 10 ** 6)[1])
        worst = max(dists, key=lambda s: mpmath.mpf(s)) if dists else "0"
        rows.append({"quantity": "max |pi^G_k - limit| at k = 10^6", "value": worst,
                     "note": "mpmath 50 digits, dominant terms cancelled exactly"})
    else:
        B = get_backend(_MP)
        seq = retrain(mdp, 200, backend=B, conventions=conventions)
        dist = max((abs(seq[-1].values[j] - B._convert(lim.values[j])) for j in range(mdp.n_pairs)),
                   default=0)
        rows.append({"quantity": "max |pi^G_200 - limit| (iterated in mpmath, 50 digits)",
                     "value": mpmath.nstr(dist, 3)})
    if "split" in note:
        mask_s = optimal_values(mdp, "success").greedy_mask()
        if objective == "success":
            l_opt, l_val = True, best
        else:
            mask_j = optimal_values(mdp, "return").greedy_mask()
            if all(mask_j[j] for j in range(mdp.n_pairs) if mask_s[j]):
                l_opt, l_val = True, best
            else:
                return result(Verdict.UNDECIDED, f"the limit's split among S-tied actions is not exact "
                              f"and some S-optimal action is not {name}-optimal", evidence=rows)
    else:
        l_opt, l_val, _ = _is_optimal(mdp, lim, objective, best)
    rows.append({"quantity": "limit policy", "value": _describe_policy(mdp, lim), "route": note})
    rows.append({"quantity": f"{name}(limit) vs {name}*", "lhs": _fmt(l_val), "rhs": _fmt(best), "equal": l_opt})
    text = (f"pi^G_k converges ({note}); limit {_describe_policy(mdp, lim, 3)}: {name} = {_fmt(l_val)}"
            f"{' = ' if l_opt else ' < '}{name}* = {_fmt(best)}")
    if not full:
        return result(Verdict.NOT_APPLICABLE, f"prior without full support; {text}", evidence=rows)
    if l_opt:
        return result(Verdict.HOLDS, text, evidence=rows, route=note)
    return result(Verdict.FAILS, text, evidence=rows, route=note,
                  counterexample={"limit policy": _describe_policy(mdp, lim), f"{name}(limit)": l_val,
                                  f"{name}*": best})


# ---------------------------------------------------------------------------- C5.10

#: Symbolic derivatives are taken for models up to this many state-action pairs.
C510_MAX_PAIRS = 40


def return_entropy_curves(mdp, conventions=None):
    """``(J(alpha), H(alpha))`` of ``pi_alpha`` as SymPy expressions in ``ALPHA``.

    ``J`` is the engine's additive return and ``H`` the causal entropy
    ``sum_s d(s) Entropy(pi_alpha(.|s))``, both evaluated on the symbolic closed form.
    """
    cf = tempered_closed_form(mdp, conventions)
    pol = cf.symbolic_policy(ALPHA)
    J = additive_return(mdp, pol)
    d = occupancy(mdp, pol)
    B = EXACT
    H = -sp.Add(*B.xlogy(d[mdp.pair_state] * pol.values, pol.values))
    return J, H


@claim("C5.10", "Return improvements of re-training shrink like 1/k (deterministic)",
       "J(pi^G_k) - J(pi^G_{k-1}) = (1/k) J' H' / (J'' + H''/k) + O(1/k^2), derivatives in the temperature.",
       hypothesis="deterministic dynamics")
def check_c510(mdp, conventions, objective=None):
    if not mdp.deterministic:
        return result(Verdict.NOT_APPLICABLE, "stochastic dynamics: no closed form of pi^G_k in k, not evaluated")
    if mdp.n_pairs > C510_MAX_PAIRS:
        return result(Verdict.UNDECIDED, f"{mdp.n_pairs} pairs exceed the symbolic-derivative limit {C510_MAX_PAIRS}")
    if mdp.is_parametric:
        return result(Verdict.UNDECIDED, "parametric model: the asymptotics depend on the parameters; "
                      "substitute values (MDP.substitute) to decide")
    J, H = return_entropy_curves(mdp, conventions)
    fJ = [sp.lambdify(ALPHA, sp.diff(J, ALPHA, n), "mpmath") for n in range(3)]
    fH = [sp.lambdify(ALPHA, sp.diff(H, ALPHA, n), "mpmath") for n in range(3)]
    rows = []
    ks = [10, 20, 40, 80, 160]

    def evaluate():
        data = {}
        for k in ks + [161]:
            a = mpmath.mpf(k)
            lhs = fJ[0](a) - fJ[0](a - 1)
            jp, jpp, hp, hpp = fJ[1](a), fJ[2](a), fH[1](a), fH[2](a)
            den = jpp + hpp / k
            rhs = jp * hp / den / k if den != 0 else None
            # Derivatives in the temperature beta = 1/alpha: d/dbeta = -alpha^2 d/dalpha.
            jb, hb = -a ** 2 * jp, -a ** 2 * hp
            jbb, hbb = a ** 4 * jpp + 2 * a ** 3 * jp, a ** 4 * hpp + 2 * a ** 3 * hp
            den_b = jbb + hbb / k
            rhs_b = jb * hb / den_b / k if den_b != 0 else None
            data[k] = (lhs, rhs, rhs_b)
        return data

    # Delta J_k decays like r**k, so J(k) - J(k-1) cancels about k*log10(1/r) digits:
    # raise the precision until the differences at k = 160, 161 are resolved.
    for dps in (80, 320, 1280):
        with mpmath.workdps(dps):
            data = evaluate()
            if all(data[k][0] == 0 for k in ks + [161]) or (data[160][0] != 0 and data[161][0] != 0):
                break
    else:
        return result(Verdict.UNDECIDED, "Delta J_k at k = 160 is below the resolution of 1280-digit "
                      "arithmetic; the rate cannot be measured", scope="k = 10..161")
    with mpmath.workdps(dps):
        if all(abs(data[k][0]) < mpmath.mpf(10) ** (10 - dps) for k in ks):
            return result(Verdict.HOLDS, "J(pi^G_k) is constant in k: both sides vanish", scope="k = 10..160")
        for k in ks:
            lhs, rhs, rhs_b = data[k]
            rows.append({"quantity": f"k = {k}", "Delta J_k": mpmath.nstr(lhs, 8),
                         "k Delta J_k": mpmath.nstr(k * lhs, 8),
                         "RHS (d/dalpha)": mpmath.nstr(rhs, 8) if rhs is not None else "0/0",
                         "RHS (d/dbeta)": mpmath.nstr(rhs_b, 8) if rhs_b is not None else "0/0",
                         "Delta J_k / RHS(alpha)": mpmath.nstr(lhs / rhs, 6) if rhs else "-"})
        rate = data[161][0] / data[160][0]
        k = ks[-1]
        lhs, rhs, rhs_b = data[k]
        ratio_a = lhs / rhs if rhs else None
        ratio_b = lhs / rhs_b if rhs_b else None
    geometric = rate < mpmath.mpf("0.999")
    summary = (f"Delta J_k shrinks geometrically (Delta J_161/Delta J_160 = {mpmath.nstr(rate, 6)}), "
               f"not like 1/k: k Delta J_k = {mpmath.nstr(k * lhs, 4)} at k = {k}; the predicted leading term "
               f"is off by Delta J_k/RHS = {mpmath.nstr(ratio_a, 4) if ratio_a else '-'} (d/dalpha), "
               f"{mpmath.nstr(ratio_b, 4) if ratio_b else '-'} (d/dbeta) at k = {k}")
    if geometric or (ratio_a is not None and abs(ratio_a - 1) > mpmath.mpf("0.01")):
        return result(Verdict.FAILS, summary + "; the O(1/k^2) remainder holds only vacuously "
                      "(both sides are exponentially small)", evidence=rows,
                      counterexample={"k": k, "Delta J_k": mpmath.nstr(lhs, 8),
                                      "RHS (d/dalpha)": mpmath.nstr(rhs, 8) if rhs else "-",
                                      "RHS (d/dbeta)": mpmath.nstr(rhs_b, 8) if rhs_b else "-",
                                      "Delta J_{k+1}/Delta J_k": mpmath.nstr(rate, 8)},
                      route=f"closed form J(pi_alpha), H(pi_alpha); symbolic derivatives; mpmath {dps} digits",
                      scope="k = 10..161")
    return result(Verdict.HOLDS, summary, evidence=rows, scope="k = 10..161",
                  route=f"closed form J(pi_alpha), H(pi_alpha); symbolic derivatives; mpmath {dps} digits")


# ---------------------------------------------------------------------------- C5.11

@claim("C5.11", "Zero-temperature incoherence of re-trained policies vanishes in the joint limit",
       "lim_{(delta, i) -> (0, inf)} kappa_delta(pi^G_i) = 0.", hypothesis="deterministic dynamics (closed form)")
def check_c511(mdp, conventions, objective=None):
    if not mdp.deterministic:
        return result(Verdict.NOT_APPLICABLE, "stochastic dynamics: no closed form of pi^G_i; paths not evaluated")
    if mdp.parameters:
        return result(Verdict.UNDECIDED, "parametric model: the joint paths are evaluated numerically; "
                      "substitute parameter values (MDP.substitute) to decide")
    cf = retraining_closed_form(mdp, conventions)
    pi_inf = policy_limit(cf, "inf")
    B = get_backend(_MP)
    rows = []
    # Path: delta fixed, i -> inf, then delta -> 0 (iterated limit).
    for d in (conventions.delta, sp.Rational(1, 10)):
        v = incoherence(mdp, pi_inf, "boltzmann", delta=d)
        rows.append({"quantity": f"delta = {d} fixed, i -> inf: kappa_delta(pi^G_inf)", "value": _fmt(v)})
    iter_a = limit_incoherence(mdp, pi_inf)
    rows.append({"quantity": "then delta -> 0: lim kappa_delta(pi^G_inf)", "value": _fmt(iter_a)})
    # Path: i fixed, delta -> 0.
    K = conventions.k_max
    seq = retrain(mdp, K, conventions=conventions)
    inf_at = [i for i in range(1, K + 1) if limit_incoherence(mdp, seq[i]) == sp.oo]
    rows.append({"quantity": f"i fixed (1..{K}), delta -> 0", "value":
                 f"+oo for i in {inf_at}" if inf_at else "finite for every i"})
    # Joint paths, evaluated with the closed form at integer i and mpmath Boltzmann.
    paths = {"delta = 1/i": lambda i: sp.Rational(1, i), "delta = 1/i^2": lambda i: sp.Rational(1, i * i),
             "delta = 2^-i": lambda i: sp.Rational(1, 2 ** i)}
    path_vals = {}
    for label, dl in paths.items():
        vals = []
        for i in (10, 100, 400):
            v = incoherence(mdp, cf.policy_at(i), "boltzmann", backend=B, delta=dl(i))
            vals.append((i, v))
        path_vals[label] = vals
        rows.append({"quantity": f"path {label}", "value": ", ".join(f"i={i}: {mpmath.nstr(v, 4)}" for i, v in vals),
                     "note": "mpmath 50 digits"})

    def trend(vals):
        (_, a), (_, b), (_, c) = vals
        if c < mpmath.mpf("1e-6") and c <= a:
            return "-> 0"
        if c > b > a:
            return "grows"
        return "does not tend to 0"

    trends = {label: trend(v) for label, v in path_vals.items()}
    good = [l for l, t in trends.items() if t == "-> 0"]
    badp = [f"{l} ({t})" for l, t in trends.items() if t != "-> 0"]
    text = (f"iterated lim_delta lim_i = {_fmt(iter_a)}; "
            + (f"lim_i lim_delta = +oo (pi^G_i puts mass off argmax Q at i = {inf_at[:3]}...); " if inf_at else "")
            + f"-> 0 along {', '.join(good) or 'no tested path'}"
            + (f"; not along {', '.join(badp)}" if badp else ""))
    if inf_at or badp or iter_a != 0:
        return result(Verdict.FAILS, "the joint limit is not 0: " + text, evidence=rows,
                      counterexample={"i fixed, delta -> 0": "+oo" if inf_at else "finite",
                                      "failing paths": badp, "iterated limit": _fmt(iter_a)},
                      route="exact limits from the closed form; mpmath along joint paths",
                      scope=f"i = 1..{K} for the i-fixed path; joint paths at i = 10, 100, 400")
    return result(Verdict.HOLDS, text, evidence=rows,
                  route="exact limits from the closed form; mpmath along joint paths",
                  scope=f"i = 1..{K}; joint paths at i = 10, 100, 400")


# ---------------------------------------------------------------------------- D.1

@claim("D.1", "1- and 2-policy-stability are mutually exclusive (appendix D example)",
       "For the example of appendix D, 1-policy-stability and 2-policy-stability are mutually exclusive.")
def check_d1(mdp, conventions, objective=None):
    return result(Verdict.UNDECIDED,
                  "definition missing: proofcheck has no statement of n-policy-stability (appendix D) "
                  "nor of the appendix-D example MDP; the spec (theory.md) names the claim only and the "
                  "searched sources (abstract pages of arXiv:2510.06545) do not define it; add the "
                  "definition to decide this claim")
