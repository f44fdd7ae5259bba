"""Parametric verdicts: a claim check run once per case of the parameter's sign conditions.

The conditions themselves are exact-number primitives (:mod:`proofcheck.exact.conditions`);
the case in force is explicit context (:mod:`proofcheck.exact.assumptions`).  This module
is the driver: it re-runs a check per case and combines the verdicts into one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sympy as sp

from proofcheck.claims.result import ClaimResult, Verdict
from proofcheck.errors import UndecidedError
from proofcheck.exact.assumptions import Branch, CaseRun, UndefinedCase, assuming, condition_memo
from proofcheck.exact.budget import DEFAULT_STEPS, default_steps
from proofcheck.exact.conditions import Condition, describe_set
from proofcheck.exact.regions import Region

__all__ = ["run_parametric", "combine_cases", "case_limit", "CASES_AT_DEFAULT_BUDGET"]


#: Cases a parametric run may take at the default work budget; ``--budget`` above the default
#: raises it in proportion (``case_limit``).
CASES_AT_DEFAULT_BUDGET = 64


def case_limit(steps: int | None = None) -> int:
    """The number of cases a parametric run may take under the budget in force (or one of
    ``steps``): 64 at the default, in proportion to ``--budget`` above it (never fewer).

    >>> from proofcheck.exact.budget import DEFAULT_STEPS, budget_steps
    >>> with budget_steps(4 * DEFAULT_STEPS):
    ...     case_limit()
    256
    >>> case_limit()
    64
    """
    steps = default_steps() if steps is None else steps
    return CASES_AT_DEFAULT_BUDGET * max(1, steps // DEFAULT_STEPS)


def run_parametric(check: Callable[[], ClaimResult], parameters: dict, max_cases: int | None = None,
                   at_point: Callable[[Any], ClaimResult] | None = None,
                   existential: bool = False) -> ClaimResult:
    """Run ``check()`` (a claim check) once per case of the parameter's sign conditions.

    Every comparison the check cannot decide because it depends on the parameter is
    split into its cases ``> 0``, ``= 0``, ``< 0``; cases whose condition is empty on
    the range (given the signs already fixed) are pruned, the others re-run the check
    with that sign fixed.  Each leaf is an exact condition with the check's result under
    it; :func:`combine_cases` turns them into one verdict "holds iff <condition>".

    ``at_point(value)``, when given, runs the same check on the model with the parameter
    substituted: every case is confirmed at a rational point of its condition, and a
    case whose symbolic verdict disagrees with the substituted one becomes UNDECIDED
    (symbolic infinities such as ``log(p) + oo`` can otherwise mislead a check).

    ``existential``: the claim says some model exists (see :func:`combine_cases`).

    Examples
    --------
    >>> from proofcheck.claims._common import equal, result, Verdict
    >>> p = sp.Symbol("p", real=True)
    >>> def check():
    ...     ok = equal(p * (1 - p), sp.Rational(1, 4))
    ...     return result(Verdict.HOLDS if ok else Verdict.FAILS, "p(1 - p) = 1/4")
    >>> res = run_parametric(check, {p: (0, 1)})
    >>> res.verdict.value, res.summary, res.counterexample["p"]
    ('undecided', 'holds iff p = 1/2 (on [0, 1])', 0)
    """
    params = dict(parameters)
    max_cases = case_limit() if max_cases is None else max_cases
    memo = condition_memo(params)
    stack, leaves, runs = [({}, None, {})], [], 0
    while stack:
        decisions, cond, implied = stack.pop()
        runs += 1
        if runs > max_cases:
            more = 2 * max(default_steps(), DEFAULT_STEPS)
            raise UndecidedError(f"more than {max_cases} parametric cases; the condition was not derived "
                                 f"(--budget {more} allows {case_limit(more)} cases; or substitute a value "
                                 "of the parameter)")
        run = CaseRun(params, decisions, cond, memo, implied)
        try:
            with assuming(run):
                res = check()
        except Branch as b:
            for sign, new in reversed(b.cases):
                # what the case implied stays implied in each of its sub-cases
                stack.append(({**decisions, b.expr: sign}, new, dict(run.implied)))
            continue
        except UndefinedCase:
            # a compared value is undefined here: exact points are decided on the model
            # with the parameter substituted, anything else stays undecided
            pts = cond.region.points() if cond.region.is_points() else []
            if at_point is not None and pts and all(t.is_Rational for t in pts):
                for t in pts:
                    one = Condition(f"{cond.symbol} = {t}", cond.symbol, cond.domain, sp.FiniteSet(t),
                                    witness_inside=t, candidates=[t])
                    try:
                        leaves.append((one, at_point(t)))
                    except UndecidedError as exc:
                        leaves.append((one, ClaimResult("", "", "", Verdict.UNDECIDED, f"undecided: {exc}")))
            else:
                leaves.append((cond, ClaimResult("", "", "", Verdict.UNDECIDED,
                                                 f"undecided: a compared value is undefined for {cond.text}")))
            continue
        except UndecidedError as exc:
            res = ClaimResult("", "", "", Verdict.UNDECIDED, f"undecided: {exc}")
        leaves.append((cond, res))
    if len(leaves) == 1 and leaves[0][0] is None:
        return leaves[0][1]
    if at_point is not None:
        leaves = [(c, _confirm(c, r, at_point)) for c, r in leaves]
    return combine_cases(leaves, existential=existential)


def _confirm(cond, res, at_point):
    point = cond.witness_inside
    if point is None:
        return res
    try:
        ref = at_point(point)
    except UndecidedError as exc:
        ref = ClaimResult("", "", "", Verdict.UNDECIDED, f"undecided: {exc}")
    if ref.verdict == res.verdict or ref.verdict == Verdict.UNDECIDED:
        return res
    if res.verdict == Verdict.UNDECIDED and cond.region == Region.point(point):
        return ref  # the case is this one value: the substituted model decides it exactly
    return ClaimResult("", "", "", Verdict.UNDECIDED,
                       f"the symbolic case {cond.text} gives {res.verdict.value} but the model with "
                       f"{cond.symbol} = {point} gives {ref.verdict.value}; not decided",
                       evidence=list(res.evidence), scope=res.scope)


def _witness(cond):
    if cond.witness_inside is not None:
        return cond.witness_inside
    return next(iter(cond.region.points()), None)


def combine_cases(leaves, existential=False):
    """One verdict from ``[(Condition, ClaimResult), ...]`` covering the parameter range.

    HOLDS when the holding cases cover the whole range; FAILS (counterexample with a
    parameter value) when no case holds and some fails; otherwise UNDECIDED with the
    summary "holds iff <condition>" and a counterexample at a value outside it.  When
    the model does not meet the claim's hypothesis (NOT_APPLICABLE in every case) the
    summary says where the conclusion holds (cases without counterexample).

    ``existential``: the claim says that *some* model exists (a witness).  Then it HOLDS
    as soon as some case holds: the summary names the region where this model is a
    witness and one witness value (also the result's ``counterexample``).
    """
    cond0 = leaves[0][0]
    x, dom = cond0.symbol, cond0.domain
    full = Region.from_sympy(dom)
    missing = full - Region.union(c.region for c, _ in leaves)
    if missing:  # never report a verdict for values no case looked at
        leaves = list(leaves) + [(Condition("not covered", x, dom, missing), ClaimResult(
            "", "", "", Verdict.UNDECIDED, "undecided: no case of the split covers these values"))]

    def region(pred):
        return Region.union(c.region for c, r in leaves if pred(r))

    def text_of(reg):
        return describe_set(reg.to_sympy(), x, dom)

    holds = region(lambda r: r.verdict == Verdict.HOLDS)
    rows = [{"quantity": f"case {c.text}", "value": f"{r.verdict.value}: {r.summary}"} for c, r in leaves]
    failing = [(c, r) for c, r in leaves if r.verdict in (Verdict.FAILS, Verdict.UNDECIDED)
               or (r.verdict == Verdict.NOT_APPLICABLE and r.counterexample)]
    # the evidence shown: a holding case over an interval (the generic values) before an end point
    holding = [(c, r) for c, r in leaves if r.verdict == Verdict.HOLDS]
    base = next((r for c, r in holding if not c.region.is_points()), holding[0][1] if holding else leaves[0][1])
    verdicts = {r.verdict for _, r in leaves}
    out = base
    text = text_of(holds)
    scope = f"parametric in {x} over [{dom.start}, {dom.end}], {len(leaves)} exact case(s)"
    out.scope = (base.scope + "; " if base.scope else "") + scope
    out.evidence = list(base.evidence) + rows
    if verdicts == {Verdict.NOT_APPLICABLE}:
        groups = {}
        for c, r in leaves:
            groups.setdefault(r.summary, []).append(c.region)
        out.summary = "; ".join(f"[{text_of(Region.union(regs))}] {summ}"
                                for summ, regs in groups.items())
        return out
    if existential and holds:
        wit = [(c, r) for c, r in leaves if r.verdict == Verdict.HOLDS]  # an interval, not an end point
        wc, wr = next(((c, r) for c, r in wit if not c.region.is_points()), wit[0])
        point, base = _witness(wc), wr
        others = full - holds
        out.verdict = Verdict.HOLDS
        out.summary = (f"holds (existence): this model is a witness for {text}"
                       + (f", e.g. {x} = {point}" if point is not None else "")
                       + (f"; not shown to be a witness for {text_of(others)}" if others else "")
                       + f"; {base.summary}")
        out.counterexample = {str(x): point, "witness region": text, **(base.counterexample or {})}
        return out
    undecided = region(lambda r: r.verdict == Verdict.UNDECIDED)
    if undecided:  # say exactly what is known where
        fails = region(lambda r: r.verdict == Verdict.FAILS)
        und = next(r for c, r in leaves if r.verdict == Verdict.UNDECIDED)
        parts = ([f"holds for {text}"] if holds else []) + \
                ([f"fails for {text_of(fails)}"] if fails else []) + \
                [f"undecided for {text_of(undecided)} ({und.summary})"]
        out.verdict = Verdict.UNDECIDED
        out.summary = "; ".join(parts)
        bad = next(((c, r) for c, r in leaves if r.verdict == Verdict.FAILS), None)
        out.counterexample = ({str(x): _witness(bad[0]), **(bad[1].counterexample or {}), "there": bad[1].summary}
                              if bad else None)
        return out
    if holds == full:
        out.verdict = Verdict.HOLDS
        out.summary = f"holds for {text} ({len(leaves)} exact case(s)); {base.summary}"
        return out
    if verdicts == {Verdict.HOLDS, Verdict.NOT_APPLICABLE}:
        # where the claim's hypothesis fails it says nothing: it holds wherever it applies
        vacuous = next(r for c, r in leaves if r.verdict == Verdict.NOT_APPLICABLE)
        out.verdict = Verdict.HOLDS
        reason = vacuous.summary.split(";")[0]  # the unmet hypothesis, not that case's numbers
        out.summary = f"holds for {text}; not applicable for {text_of(full - holds)} ({reason}); {base.summary}"
        return out
    bad_c, bad_r = failing[0] if failing else leaves[0]
    point = _witness(bad_c)
    out.counterexample = {str(x): point, **(bad_r.counterexample or {}), "case": bad_c.text,
                          "verdict there": bad_r.verdict.value, "there": bad_r.summary}
    if not holds and Verdict.FAILS in verdicts:
        out.verdict = Verdict.FAILS
        out.summary = f"fails for every {x} in [{dom.start}, {dom.end}]; at {x} = {point}: {bad_r.summary}"
        return out
    out.verdict = Verdict.UNDECIDED
    out.summary = f"holds iff {text}"
    return out
