"""The reference section of ``verify``: the engine against the independent reference route.

:mod:`proofcheck.reference` computes every quantity from the definitions over the model's
graph, in exact Fractions, sharing no code with the engine or the compiled model.  This
section evaluates each of its quantities that the case-file grammar names (policies
``pi(a | s)``, ``S``, ``J``, ``kappa``, ``kappa_argmax``, ``Zv``) with the engine, through the
same evaluator that checks ``[expect]`` entries, and compares the two exactly.  The result
is the claim ``X.reference``: holds when every value agrees, fails (with the first
disagreement) otherwise, undecided when the reference route cannot compute the model
exactly (irrational or parametric values, or a model above :data:`MAX_PAIRS`).
"""

from __future__ import annotations

import time
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import sympy as sp

from proofcheck.claims._common import equal, result
from proofcheck.claims.registry import claim
from proofcheck.claims.result import ClaimResult, Verdict
from proofcheck.engine import retrain
from proofcheck.errors import BudgetExceeded, CaseFileError, ModelError, ReferenceUnsupported, UndecidedError
from proofcheck.exact.budget import claim_budget, int_op_cost, rational_bits
from proofcheck.exact.rational_arrays import coprime_rational
from proofcheck.io.quantities import parse_quantity
from proofcheck.model.conventions import Conventions
from proofcheck.model.mdp import MDP, to_graph
from proofcheck.reference import LogLinear, reference_values
from proofcheck.verify.expectations import PolicyCache, evaluate_quantity

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["extend", "reference_agreement", "MAX_PAIRS", "K_MAX"]

#: Models above this many state-action pairs are not compared (the reference route
#: recomputes every policy from scratch; its cost grows with pairs times iterations).
MAX_PAIRS = 200
#: The re-training, fold and Boltzmann sequences are compared for ``k = 0..K_MAX``
#: (at most ``conventions.k_max``).
K_MAX = 5

_TITLE = "Engine against the independent reference route"
_STATEMENT = ("Every policy, S, J, kappa and Zv value of the engine equals the value computed from "
              "the definitions over the graph (exact Fractions, summed with GMP where gmpy2 is installed; no "
              "code shared with the engine).")


def _rational(value: Fraction) -> sp.Rational:
    return coprime_rational(value.numerator, value.denominator)  # a Fraction is in lowest terms


def _as_sympy(value: Any) -> Any:
    if isinstance(value, Fraction):
        return _rational(value)
    if isinstance(value, LogLinear):
        if value.infinity < 0:
            return -sp.oo
        if value.infinity > 0:
            return sp.oo
        return sp.Add(*[_rational(c) * sp.log(_rational(x)) for x, c in value.terms.items()])
    return sp.sympify(value)


#: Above this many bits in a log's argument or coefficient, the engine's log form is
#: compared through SymPy (intervals first) rather than over a coprime base, whose gcds of
#: a float-derived model's long numbers cost more than the intervals that separate them.
_LOG_FORM_BITS = 256


def _log_linear(value: Any) -> LogLinear | None:
    """The engine's value as a :class:`LogLinear` when it is a finite sum of rational
    multiples of logs of positive rationals with short numbers (J and kappa of a rational
    model), else None."""
    if value.is_Rational:
        return LogLinear() if value == 0 else None  # a non-zero rational is no log form
    terms: dict[Fraction, Fraction] = {}
    for term in value.args if value.is_Add else (value,):
        coeff, rest = term.as_coeff_Mul()
        if not (coeff.is_Rational and isinstance(rest, sp.log) and rest.args[0].is_Rational
                and rest.args[0] > 0):
            return None
        x = rest.args[0]
        if max(int(n).bit_length() for n in (coeff.p, coeff.q, x.p, x.q)) > _LOG_FORM_BITS:
            return None
        key = Fraction(int(x.p), int(x.q))
        terms[key] = terms.get(key, Fraction(0)) + Fraction(int(coeff.p), int(coeff.q))
    return LogLinear(terms)


def _same(engine_value: Any, reference_value: Any) -> bool:
    if isinstance(reference_value, Fraction) and getattr(engine_value, "is_Rational", False):
        # both in lowest terms with a positive denominator: equal exactly when the pairs are
        return bool(engine_value.p == reference_value.numerator and engine_value.q == reference_value.denominator)
    if isinstance(reference_value, LogLinear) and reference_value.is_finite() and isinstance(engine_value, sp.Expr):
        # both forms over one coprime base: exact equality with no SymPy arithmetic
        form = _log_linear(engine_value)
        if form is not None:
            return bool(form == reference_value)
    ref = _as_sympy(reference_value)
    if engine_value in (sp.oo, -sp.oo) or ref in (sp.oo, -sp.oo):
        return bool(engine_value == ref)
    return equal(sp.sympify(engine_value), ref)


def _not_compared(mdp: MDP) -> ClaimResult | None:
    """Why the reference route does not run on ``mdp`` (as the undecided verdict), or None."""
    if mdp.parameters:
        return result(Verdict.UNDECIDED, "not compared: the model is parametric; the reference route "
                      "computes numbers (substitute the parameters to compare)")
    if mdp.n_pairs > MAX_PAIRS:
        return result(Verdict.UNDECIDED, f"not compared: {mdp.n_pairs} state-action pairs exceed the "
                      f"reference route's limit of {MAX_PAIRS} in verify")
    return None


def _beyond_budget(mdp: MDP, conventions: Conventions, k_max: int) -> ClaimResult | None:
    """The undecided verdict when the reference route's work would exceed a claim's budget.

    The route recomputes about ``7 (k_max + 1)`` policies from the definitions in Fractions
    (no work budget of its own: it shares no code with the engine).  Its numbers are the
    engine's: on a float-derived stochastic model ``pi^G_5`` holds 10^5-bit rationals and more,
    where the route ran for minutes.  So the engine's ``pi^G_{k_max}`` (computed under a
    claim's budget, usually already by the claims) sets the estimate: a product of its largest
    numbers per pair and policy."""
    try:
        with claim_budget() as budget:
            last = retrain(mdp, k_max, conventions=conventions)[-1]
            bits = max([1, *(rational_bits(v) for v in last.values)])
            budget.spend(7 * (k_max + 1) * mdp.n_pairs * int_op_cost(bits, bits),
                         f"the reference route's {7 * (k_max + 1)} policies of {bits}-bit rationals")
    except BudgetExceeded as exc:
        return result(Verdict.UNDECIDED, f"not compared: {exc}")
    return None


def reference_agreement(graph: nx.MultiDiGraph, mdp: MDP, conventions: Conventions) -> ClaimResult:
    """Compare the engine with the reference route on one model: the claim ``X.reference``.

    Parameters
    ----------
    graph : networkx.MultiDiGraph
        The model as the user gave it (a case file's graph), read by the reference route.
    mdp : MDP
        The same model compiled, read by the engine.
    conventions : Conventions

    Returns
    -------
    ClaimResult

    Examples
    --------
    >>> from proofcheck import load_case
    >>> case = load_case("cases/mountain_race.toml")
    >>> r = reference_agreement(case.graph, case.mdp, case.conventions)
    >>> r.verdict.value, r.summary.split(":")[0]
    ('holds', 'the engine equals the reference route on all 476 values')
    """
    skipped = _not_compared(mdp)
    if skipped is not None:
        return skipped
    k_max = min(conventions.k_max, K_MAX)
    skipped = _beyond_budget(mdp, conventions, k_max)
    if skipped is not None:
        return skipped
    scope = f"k = 0..{k_max}; policies prior, uniform, pi_1, pi_G, pi_F, pi_H, pi_B"
    try:
        ref = reference_values(graph, k_max, conventions=conventions, strict=False, extended=False)
    except ReferenceUnsupported as exc:
        return result(Verdict.UNDECIDED, f"not compared: {exc}")
    except ModelError as exc:  # a model the engine took: the two routes read it differently
        return result(Verdict.UNDECIDED, f"not compared: the reference route refuses the model the engine "
                      f"accepted: {exc}")
    unsupported = ref.pop("unsupported", {})
    cache = PolicyCache(mdp, conventions)
    compared, differ, skipped = 0, [], []
    for key, value in ref.items():
        if value is None:
            continue
        try:
            quantity = parse_quantity(key, where="reference")
            computed = evaluate_quantity(quantity, mdp, conventions, cache)
            same = _same(computed, value)
        except (CaseFileError, UndecidedError) as exc:
            skipped.append(f"{key}: {exc}")
            continue
        compared += 1
        if not same:
            differ.append({"quantity": key, "engine": str(computed), "reference": str(_as_sympy(value))})
    notes = [{"quantity": "not compared", "value": text} for text in
             skipped[:5] + [f"{k}: {why}" for k, why in list(unsupported.items())[:5]]]
    if differ:
        return result(Verdict.FAILS, f"{len(differ)} of {compared} values differ; first: {differ[0]['quantity']}: "
                      f"engine {differ[0]['engine']}, reference {differ[0]['reference']}",
                      evidence=differ[:20] + notes, counterexample=differ[0], scope=scope,
                      route="exact Fractions on the graph (proofcheck.reference) vs the exact engine")
    if compared == 0:
        return result(Verdict.UNDECIDED, "no value could be compared", evidence=notes, scope=scope)
    extra = f"; {len(skipped) + len(unsupported)} not compared" if skipped or unsupported else ""
    return result(Verdict.HOLDS, f"the engine equals the reference route on all {compared} values{extra}",
                  evidence=notes, scope=scope,
                  route="exact Fractions on the graph (proofcheck.reference) vs the exact engine")


@claim("X.reference", _TITLE, _STATEMENT, default=False)
def check_reference(mdp: MDP, conventions: Conventions, objective: Any = None) -> ClaimResult:
    # from Python a model has no source graph: the reference route reads the compiled
    # model written back as a graph (verify's section uses the case's own graph)
    return reference_agreement(to_graph(mdp), mdp, conventions)


def extend(case: Any, res: Any) -> None:
    """Append ``X.reference`` to a case result and a one-line section for the terminal."""
    t0 = time.perf_counter()
    r = _not_compared(case.mdp)  # before the case's graph is built (networkx, 0.2 s to import)
    if r is None:
        graph = case.graph if case.graph is not None else to_graph(case.mdp)
        r = reference_agreement(graph, case.mdp, case.conventions)
    r.claim_id, r.title, r.statement = "X.reference", _TITLE, _STATEMENT
    r.conventions = case.conventions.as_dict()
    r.seconds = time.perf_counter() - t0
    res.claims.append(r)
    res.sections["reference"] = {"title": "Reference route", "lines": [f"{r.verdict.value}: {r.summary}"]}
