"""The verify extension: closed forms, identities and limits for one case.

:func:`extend` is called by :func:`proofcheck.verify.verify_case`; it sets
``result.sections["symbolic"]`` to ``{"title": "Closed forms", "lines": [...],
"forms": [...], ...}`` where each form carries ``str`` and ``sympy.latex`` of the
closed form, its variable, domain and limits, so the report writer can typeset it.
"""

from __future__ import annotations

import mpmath
import sympy as sp

from proofcheck.engine import retrain, soft_values
from proofcheck.engine.backends import get_backend
from proofcheck.engine.coherence import boltzmann_fixed_point_by_levels
from proofcheck.errors import BudgetExceeded, ProofcheckError, UndecidedError
from proofcheck.exact.budget import WorkBudget, budget_exhausted, claim_budget
from proofcheck.exact.ratfunc import cancel
from proofcheck.model.expressions import EXACT_TEXT_DIGITS, number_text
from proofcheck.symbolic.closed_forms import (
    ALPHA,
    BETA,
    DELTA,
    K,
    boltzmann_closed_form,
    boltzmann_fixed_point,
    cumulative_fold_temperature,
    first_divergence,
    prove_retraining_identity,
    retraining_closed_form,
    tempered_closed_form,
)
from proofcheck.symbolic.limits import (
    distance_text,
    fixed_point_limit,
    numeric_check,
    numeric_expr_check,
    piecewise_ratio_limit,
    ratio_limit,
)
from proofcheck.symbolic.typeset import latex

__all__ = ["extend", "symbolic_section"]

#: Models above this many state-action pairs get only the linear-cost parts.
MAX_PAIRS_FOR_PROOFS = 60
#: Far points of the numeric limit checks.
FAR = {"k": 10 ** 6, "alpha": 10 ** 4, "alpha0": sp.Rational(1, 10 ** 4),
       "delta0": sp.Rational(1, 10 ** 4), "delta_inf": 10 ** 4}


def _form(name, state, action, expr, variable, domain, limits=None, text=None):
    """One closed form's entry (``text``: ``str(expr)`` when the caller has it already)."""
    return {"name": name, "state": str(state), "action": str(action), "variable": str(variable),
            "expr": str(expr) if text is None else text, "latex": expr, "domain": domain,
            "limits": limits or {}}  # typeset at the end


def _limit_text(num, den, direction, far, mdp, label=None):
    """``(limit, text)`` for one ratio; parametric orders become regions or 'undecided'.

    ``far`` is the point in the exponent ``x``; ``label`` says it in the user's variable.
    """
    parametric = any(b.free_symbols or c.free_symbols for b, c in den.terms.items())
    if parametric and len(mdp.parameters) == 1:
        (sym, (lo, hi)), = mdp.parameters.items()
        try:
            pieces = piecewise_ratio_limit(num, den, direction, sym, lo, hi)
        except (UndecidedError, NotImplementedError, sp.PolynomialError) as exc:
            return None, f"undecided ({exc})"
        if len(pieces) == 1:
            return pieces[0][1], str(pieces[0][1])
        return None, "piecewise: " + "; ".join(
            f"{'convention' if v is None else v} on {_set_text(r)}" for r, v in pieces)
    try:
        lim = ratio_limit(num, den, direction)
    except UndecidedError as exc:
        return None, f"undecided ({exc})"
    if lim is None:
        return None, "convention value (success impossible)"
    if parametric or lim.free_symbols:
        return lim, str(lim)
    value, dist = numeric_check(num, den, lim, far)
    return lim, f"{lim} (mpmath 50 digits at {label or far}: distance {dist})"


def _set_text(r):
    if isinstance(r, sp.FiniteSet):
        return "{" + ", ".join(map(str, r)) + "}"
    if isinstance(r, sp.Interval):
        return f"{'(' if r.left_open else '['}{r.start}, {r.end}{')' if r.right_open else ']'}"
    return str(r)


def _initial_states(mdp):
    return [s for s in mdp.initial_states() if not mdp.terminal[mdp.index[s]]]


def _value_text(v):
    """A rational with a denominator beyond 64 bits (float-derived models: hundreds of
    digits) as 15 decimals, then its exact text (clipped beyond ``EXACT_TEXT_DIGITS``);
    anything else as ``str``."""
    if v.is_Rational and v.q.bit_length() > 64:
        with mpmath.workdps(30):  # 15 digits rounded from 30
            decimal = mpmath.nstr(mpmath.mpf(v.p) / v.q, 15)
        return f"{decimal} (exact: {number_text(v, EXACT_TEXT_DIGITS)})"
    return str(v)


def _fixed_point_without_form(mdp, conventions, starts):
    """Lines for the Boltzmann-coherent fixed point when its closed form is skipped: its
    exact limits, checked against the engine's fixed point at the far temperatures in
    mpmath (50 digits, an independent route: no closed form), and its value at the
    conventions' ``delta``: exact from the exact engine when ``1/delta`` is an integer (a
    rational), else its decimal from the engine in mpmath."""
    try:
        lim0 = fixed_point_limit(mdp, "inf", conventions)
        limi = fixed_point_limit(mdp, "zero", conventions)
    except UndecidedError as exc:
        return [f"    limits delta -> 0, inf: undecided ({exc})"]
    pol = mdp.prior_policy()
    B = get_backend("mpmath:60")
    far = {d: boltzmann_fixed_point_by_levels(mdp, pol, B.array([sp.sympify(d)])[0], backend=B,
                                              conventions=conventions)
           for d in (FAR["delta0"], FAR["delta_inf"])}
    delta = sp.sympify(conventions.delta)
    exact, why = None, None
    if (1 / delta).is_Integer:  # a rational value: exactly
        try:
            exact = boltzmann_fixed_point_by_levels(mdp, pol, delta, backend="exact", conventions=conventions)
        except UndecidedError as exc:
            why = f"undecided ({exc})"
    else:  # an algebraic number with roots of the model's long rationals: its decimal
        near = boltzmann_fixed_point_by_levels(mdp, pol, B.array([delta])[0], backend=B, conventions=conventions)

    lines = []
    for s in starts:
        for a in mdp.actions(s):
            j = mdp.pair(s, a)
            v = sp.sympify(exact[j]) if exact is not None else None
            lines.append(f"    pi({a}|{s}): delta -> 0: {lim0.values[j]} (the engine's fixed point in mpmath at "
                         f"delta = 1e-4: distance {distance_text(far[FAR['delta0']][j], lim0.values[j])}); "
                         f"delta -> inf: {limi.values[j]} (at delta = 1e4: distance "
                         f"{distance_text(far[FAR['delta_inf']][j], limi.values[j])})")
            if exact is not None:
                value = _value_text(v)
            elif why is not None:
                value = why
            else:
                value = (f"{mpmath.nstr(near[j], 15)} (the engine's fixed point in mpmath, 60 digits; exactly an "
                         f"algebraic number, as 1/delta is not an integer)")
            lines.append(f"        at delta = {conventions.delta}: {value}")
    return lines


#: A closed form with more terms than this (numerator and denominator) is not printed: its
#: limits are, and its size.  Float-derived stochastic models give forms of 10^4 terms.
MAX_SHOWN_TERMS = 64


def _too_long(name, state, action, num, den, variable):
    """The line that stands for a form of more than MAX_SHOWN_TERMS terms, or None."""
    n, d = len(num.terms), len(den.terms)
    if n + d <= MAX_SHOWN_TERMS:
        return None
    return (f"{name}({action}|{state}): a ratio of sums of {n} and {d} exponentials in {variable} (more than "
            f"{MAX_SHOWN_TERMS} terms: not printed)")


def _tempered_forms(mdp, conventions, starts):
    """Lines and forms of ``pi_alpha`` (and in ``beta = 1/alpha``) at the initial states."""
    lines, forms = [], []
    tf = tempered_closed_form(mdp, conventions)
    for s in starts:
        for a in mdp.actions(s):
            num, den = tf.ratio(s, a)
            if den.is_zero:
                continue
            l_inf = _limit_text(num, den, "inf", FAR["alpha"], mdp, "alpha = 1e4")
            l_0 = _limit_text(num, den, "zero", FAR["alpha0"], mdp, "alpha = 1e-4")
            if l_0[0] is not None and not l_0[0].free_symbols and l_0[0] != mdp.prior[mdp.pair(s, a)]:
                l_0 = (l_0[0], l_0[1] + f"; != prior {mdp.prior[mdp.pair(s, a)]} (q = 0 completions weigh 0 for alpha > 0)")
            long = _too_long("pi_alpha", s, a, num, den, "alpha")
            if long is not None:
                lines.append(long)
            else:
                e = tf.expr(s, a)
                eb = e.subs(ALPHA, 1 / BETA)
                e_text, eb_text = str(e), str(eb)
                forms.append(_form("pi_alpha", s, a, e, ALPHA, tf.domain,
                                   {"alpha->inf": l_inf[1], "alpha->0": l_0[1]}, e_text))
                forms.append(_form("pi_beta", s, a, eb, BETA, "beta = 1/alpha > 0", {}, eb_text))
                lines.append(f"pi_alpha({a}|{s}) = {e_text};  in beta = 1/alpha: {eb_text}")
            lines.append(f"    alpha -> inf: {l_inf[1]}")
            lines.append(f"    alpha -> 0: {l_0[1]}")
    return lines, forms


def _boltzmann_forms(mdp, conventions, starts):
    """Lines and forms of the Boltzmann policy ``pi^delta`` of the prior at the initial states."""
    lines, forms = [], []
    bf = boltzmann_closed_form(mdp)
    for s in starts:
        for a in mdp.actions(s):
            num, den = bf.ratio(s, a)
            if den.is_zero:
                continue
            l0 = _limit_text(num, den, "inf", 1 / FAR["delta0"], mdp, "delta = 1e-4")
            li = _limit_text(num, den, "zero", 1 / sp.Integer(FAR["delta_inf"]), mdp, "delta = 1e4")
            long = _too_long("pi^delta", s, a, num, den, "1/delta")
            if long is not None:
                lines.append(f"Boltzmann policy of the prior: {long}")
            else:
                e = bf.expr(s, a, 1 / DELTA)
                e_text = str(e)
                forms.append(_form("pi^delta(prior)", s, a, e, DELTA, "delta > 0",
                                   {"delta->0": l0[1], "delta->inf": li[1]}, e_text))
                lines.append(f"Boltzmann policy of the prior: pi^delta({a}|{s}) = {e_text}")
            lines.append(f"    delta -> 0: {l0[1]}")
            lines.append(f"    delta -> inf: {li[1]}")
    return lines, forms


def symbolic_section(mdp, conventions, budget=None, typeset=True):
    """The section dict for one model (see the module docstring).

    ``budget`` (default a fresh :class:`~proofcheck.exact.budget.WorkBudget`) bounds the
    exact proofs: one whose numbers make it exceed the budget is reported as skipped
    ("closed form skipped: ... exceeds the work budget N"), never run for minutes.
    ``typeset=False`` leaves every form's ``latex`` None: the text of ``proofcheck verify``
    shows none, and SymPy's LaTeX printer imports ``sympy.physics`` (0.3 s) on first use.

    Examples
    --------
    >>> from proofcheck import load_case
    >>> c = load_case("cases/mountain_race.toml")
    >>> sec = symbolic_section(c.mdp, c.conventions)
    >>> sec["forms"][0]["expr"], sec["forms"][0]["limits"]["k->inf"]
    ('1/(2*(3/4)**k + 1)', '1')
    """
    lines, forms, data = [], [], {}
    budget = budget if budget is not None else WorkBudget()
    small = mdp.n_pairs <= MAX_PAIRS_FOR_PROOFS
    starts = _initial_states(mdp)
    K_MAX = conventions.k_max

    # -- re-training in k --------------------------------------------------------
    cf = retraining_closed_form(mdp, conventions)

    def matches(k, j):  # closed form (None: none for this pair) = iteration at k
        v = cf.at(mdp.states[mdp.pair_state[j]], mdp.pair_action[j], k)
        return v is None or cancel(v - seq[k].values[j]) == 0

    # the exact iteration is a claim's work: on a float-derived stochastic model its numbers
    # grow by thousands of digits a pass (FrozenLake at T = 8: 100 s unbounded)
    try:
        with claim_budget():
            seq = retrain(mdp, K_MAX, conventions=conventions)
            agree = all(matches(k, j) for k in range(1, K_MAX + 1) for j in range(mdp.n_pairs))
    except BudgetExceeded as exc:
        agree, not_compared = None, str(exc)
    for s in starts:
        for a in mdp.actions(s):
            num, den = cf.ratio(s, a)
            if num is None:
                lines.append(f"pi^G_k({a}|{s}): no closed form in k (stochastic dynamics, later choices)")
                continue
            e = cf.expr(s, a)
            lim, text = _limit_text(num, den, "inf", FAR["k"], mdp, "k = 10^6") if not den.is_zero else (None, "convention")
            e_text = str(e)
            forms.append(_form("pi^G_k", s, a, e, K, cf.domain, {"k->inf": str(lim) if lim is not None else text},
                               e_text))
            lines.append(f"pi^G_k({a}|{s}) = {e_text}")
            lines.append(f"    k -> inf: {text}")
    if forms:
        lines.append(f"    valid for {cf.domain}")
    if agree is None:
        lines.append(f"    closed form = step-by-step exact re-training for k = 1..{K_MAX}: not compared "
                     f"({not_compared})")
    else:
        lines.append(f"    closed form = step-by-step exact re-training for k = 1..{K_MAX}: "
                     + ("yes" if agree else "NO"))
    data["closed_form_matches_iteration"] = agree

    if mdp.deterministic:
        if small:
            proof = prove_retraining_identity(mdp, conventions, budget)
            ok = all(v is True for v in proof.values())
            data["identity_proof"] = {k: (v if isinstance(v, bool) else str(v)) for k, v in proof.items()}
            steps = ", ".join(f"{k}: {'proved' if v is True else ('REFUTED' if v is False else v)}"
                              for k, v in proof.items())
            skipped = [k for k, v in proof.items() if isinstance(v, str) and "work budget of" in v]
            lines.append("pi^G_k = pi^F_k = pi_(alpha=k) for all integers k >= 1: "
                         + ("proved symbolically" if ok else "NOT proved"))
            if skipped:
                lines.append(f"    closed form skipped: the proof of {', '.join(skipped)} exceeds the work budget "
                             f"{budget.limit} (see below)")
            lines.append("    induction on k (base and step of G and of the fold F, engine's G on the symbolic form) and "
                         "pi_alpha at alpha = k; " + ("all steps proved" if ok else steps))
        alpha_k, note = cumulative_fold_temperature(conventions.h_indexing, conventions.fold_term)
        if alpha_k is not None:
            lines.append(f"cumulative fold: pi^H_k = pi_(alpha = {alpha_k}) for {note} "
                         f"(h_indexing = {conventions.h_indexing})")
            data["cumulative_fold_alpha"] = {"alpha": str(alpha_k), "latex": alpha_k, "range": note}
        else:
            lines.append(f"cumulative fold: no inverse temperature matches pi^H_k ({note})")
    else:
        try:
            with claim_budget():
                div = first_divergence(mdp, K_MAX, conventions)
        except BudgetExceeded as exc:
            div = {"k": None, "not_compared": str(exc)}
        data["first_divergence"] = {k: (str(v) if v is not None else None) for k, v in div.items()}
        if "not_compared" in div:
            lines.append(f"re-training and temperature for k = 1..{K_MAX}: not compared ({div['not_compared']})")
        elif div["k"] is None:
            lines.append(f"re-training and temperature agree for k = 1..{K_MAX} (pi^G_k = pi_(alpha=k))")
        else:
            lines.append(f"re-training and temperature part ways first at k = {div['k']}: "
                         f"pi^G_{div['k']}({div['action']}|{div['state']}) = {div['retrained']} vs "
                         f"pi_(alpha={div['k']}) = {div['tempered']}")
            lines.append(f"    they agree for k = {div['agree']} (exact: iteration vs closed form of pi_alpha)")

    # -- temperature alpha, Boltzmann pi^delta of the prior ---------------------------
    # each a claim's work: a float-derived stochastic model's forms have 10^4 terms and more
    for what, part in (("pi_alpha", _tempered_forms), ("the Boltzmann policy of the prior", _boltzmann_forms)):
        try:
            with claim_budget():
                part_lines, part_forms = part(mdp, conventions, starts)
        except BudgetExceeded as exc:
            part_lines, part_forms = [f"closed form of {what} skipped ({exc})"], []
        lines += part_lines
        forms += part_forms

    # -- the coherent fixed point ---------------------------------------------------
    if small and mdp.horizon <= 6:
        try:
            # its own budget: the closed form is a decision of its own, after the proofs above
            fp = boltzmann_fixed_point(mdp, conventions=conventions, budget=WorkBudget())
            try:
                lim0 = fixed_point_limit(mdp, "inf", conventions)
                limi = fixed_point_limit(mdp, "zero", conventions)
            except UndecidedError as exc:
                lim0 = limi = None
                why = str(exc)
            data["fixed_point_at_delta"] = {"delta": str(conventions.delta)}
            for s in starts:
                for a in mdp.actions(s):
                    j = mdp.pair(s, a)
                    e = fp.values[j]
                    text = str(e)  # (printing a nested fixed point costs as much as computing it)
                    if lim0 is None or (sp.sympify(e).free_symbols - {DELTA}):
                        forms.append(_form("Boltzmann-coherent fixed point", s, a, e, DELTA, "delta > 0", {}, text))
                        lines.append(f"Boltzmann-coherent fixed point: pi({a}|{s}) = {text}")
                        lines.append("    limits delta -> 0, inf: " + (f"undecided ({why})" if lim0 is None else
                                     f"{lim0.values[j]}, {limi.values[j]} (no numeric check: parametric)"))
                        continue
                    v0 = numeric_expr_check(e, DELTA, FAR["delta0"], lim0.values[j]) if e.has(DELTA) else (text, "exact")
                    vi = numeric_expr_check(e, DELTA, FAR["delta_inf"], limi.values[j]) if e.has(DELTA) else (text, "exact")
                    forms.append(_form("Boltzmann-coherent fixed point", s, a, e, DELTA, "delta > 0",
                                       {"delta->0": str(lim0.values[j]), "delta->inf": str(limi.values[j])}, text))
                    lines.append(f"Boltzmann-coherent fixed point: pi({a}|{s}) = {text}")
                    lines.append(f"    delta -> 0: {lim0.values[j]} (mpmath at delta = 1e-4: distance {v0[1]}); "
                                 f"delta -> inf: {limi.values[j]} (at delta = 1e4: distance {vi[1]})")
                    lines.append(f"    at delta = {conventions.delta}: "
                                 f"{_value_text(sp.simplify(sp.sympify(e).subs(DELTA, conventions.delta)))}")
            others = [s for i, s in enumerate(mdp.states) if not mdp.terminal[i] and s not in starts]
            if others and len(others) <= 6:
                lines.append("    elsewhere: " + "; ".join(
                    f"{s}: " + ", ".join(f"{a}={sp.sympify(fp.prob(s, a))}" for a in mdp.actions(s))
                    for s in others))
        except BudgetExceeded as exc:
            data["fixed_point_skipped"] = str(exc)
            lines.append(f"Boltzmann-coherent fixed point in delta: closed form skipped ({exc})")
            lines.extend(_fixed_point_without_form(mdp, conventions, starts))
        except UndecidedError as exc:
            lines.append(f"Boltzmann-coherent fixed point in delta: undecided ({exc})")

    # -- soft values in the declared parameters --------------------------------------
    sv = soft_values(mdp)
    for s in starts:
        zv = sv.Zv(s)
        forms.append(_form("Zv[prior]", s, "", zv, ",".join(p.name for p in mdp.parameters) or "-",
                           "declared parameter ranges", {}))
        if mdp.parameters:
            lines.append(f"soft value of the prior: Zv({s}) = {zv} (in {', '.join(p.name for p in mdp.parameters)})")
    for item in forms + ([data["cumulative_fold_alpha"]] if "cumulative_fold_alpha" in data else []):
        item["latex"] = latex(item["latex"]) if typeset else None
    return {"title": "Closed forms", "lines": lines, "forms": forms, **data}


def extend(case, result):
    """Add ``result.sections["symbolic"]`` for ``case`` (called by verify_case)."""
    try:
        section = symbolic_section(case.mdp, case.conventions, typeset=result.typeset)
    except (UndecidedError, ProofcheckError) as exc:
        what = "closed forms skipped" if budget_exhausted(exc) else "closed forms: undecided"
        section = {"title": "Closed forms", "lines": [f"{what} ({exc})"], "forms": []}
    result.sections["symbolic"] = section
