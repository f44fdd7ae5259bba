"""Verify a case: run every claim and every expectation, collect one result record.

This is the library entry point behind ``proofcheck verify`` and ``proofcheck report``.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from html import escape as html_escape

import sympy as sp

from proofcheck.claims import CLAIMS, claim_objectives, run_claims
from proofcheck.claims._common import equal
from proofcheck.claims.result import (
    HTML,
    Verdict,
    html_table,
    latex_text,
    require_optional,
    shorten,
    verdict_counts,
    verdict_html,
)
from proofcheck.errors import ProofcheckError, UndecidedError
from proofcheck.io import casefile
from proofcheck.io.casefile import FLOAT_READINGS, Case, float_readings
from proofcheck.io.quantities import parse_quantity
from proofcheck.model.conventions import Conventions
from proofcheck.model.expressions import number_text, rational_of_float
from proofcheck.verify import numeric_section, reference_section, symbolic_section
from proofcheck.verify.expectations import PolicyCache, evaluate_quantity

__all__ = ["CaseResult", "ExpectationResult", "check_expectations", "honest_float_verdicts", "verify_case", "verify_model", "load_case",
           "loads_case", "SECTIONS"]

#: The sections run after the finite claims, each a function ``extend(case, result)``: the
#: symbolic one (closed forms, limit claims), the numeric one (backend agreement, certified
#: P5.4) and the reference one (the engine against the independent reference route).  Each
#: appends results to ``result.claims`` and/or a section to ``result.sections``
#: (``{"title": ..., "lines": [one-line strings for the terminal], ...JSON data}``).
SECTIONS = (("symbolic", symbolic_section.extend), ("numeric", numeric_section.extend),
            ("reference", reference_section.extend))


def load_case(path) -> Case:
    """Load and validate a case file, checking the claims its expectations name.

    See :func:`proofcheck.io.casefile.load_case`.

    Examples
    --------
    >>> load_case("cases/mountain_race.toml").mdp
    <MDP 'mountain_race': 7 states, 6 state-action pairs, horizon 2, deterministic>
    """
    return casefile.load_case(path, claims=claim_objectives())


def loads_case(text: str, where: str = "<string>") -> Case:
    """Load a case from TOML text, checking the claims its expectations name."""
    return casefile.loads_case(text, where, claims=claim_objectives())


@dataclass
class ExpectationResult:
    quantity: str
    expected: object
    computed: object
    ok: bool | None  # None: undecided
    note: str = ""

    def as_dict(self):
        return {"quantity": self.quantity, "expected": number_text(self.expected),
                "computed": number_text(self.computed), "ok": self.ok, "note": self.note}

    @property
    def result(self):
        """``ok``, ``FAILED`` or ``undecided``."""
        return "ok" if self.ok is True else ("undecided" if self.ok is None else "FAILED")

    def __repr__(self):
        return (f"<ExpectationResult {self.quantity}: expected {shorten(self.expected, 40)}, "
                f"computed {shorten(self.computed, 40)}, {self.result}>")


@dataclass
class CaseResult:
    case: object
    claims: list
    expectations: list
    sections: dict = field(default_factory=dict)  # extension name -> JSON-able data
    seconds: float = 0.0
    typeset: bool = True  # False: closed forms without LaTeX (the text of ``proofcheck verify``)

    @property
    def expectations_hold(self):
        return all(e.ok is True for e in self.expectations)

    # ------------------------------------------------------------------ display
    def _counts_text(self):
        counts = ", ".join(f"{n} {v}" for v, n in verdict_counts(self.claims).items()) or "none"
        if not self.expectations:
            return f"{len(self.claims)} claims ({counts}); no expectations"
        ok = sum(e.ok is True for e in self.expectations)
        return f"{len(self.claims)} claims ({counts}); expectations {ok}/{len(self.expectations)} ok"

    def __repr__(self):
        """One line: the case, the verdict counts and the expectations (the full record is
        :meth:`as_dict`, the tables :meth:`to_frame`)."""
        return f"<CaseResult {getattr(self.case, 'name', '?')!r}: {self._counts_text()}>"

    def _repr_html_(self):
        c = self.case
        head = f"{getattr(c, 'title', '') or getattr(c, 'name', '')} — {self._counts_text()}"
        def summary(text):  # one line, the full text on hover
            return HTML(f'<span title="{html_escape(text)}">{html_escape(shorten(text, 160))}</span>')
        claims = html_table(["claim", "verdict", "summary"],
                            [[r.label, verdict_html(r.verdict), summary(r.summary)] for r in self.claims],
                            title=head)
        if not self.expectations:
            return claims
        exps = html_table(["expectation", "expected", "computed", "result"],
                          [[e.quantity, shorten(e.expected, 60), shorten(e.computed, 60),
                            verdict_html({"ok": "holds", "FAILED": "fails"}.get(e.result, "undecided"), e.result)]
                           for e in self.expectations])
        return claims + exps

    def _repr_latex_(self):
        name = latex_text(getattr(self.case, "name", "?"))
        return rf"$\text{{{name}: {latex_text(self._counts_text())}}}$"

    def to_frame(self, kind="claims"):
        """A :class:`pandas.DataFrame` (needs the ``notebook`` extra): one row per claim
        result (``kind="claims"``: claim, objective, label, verdict, summary, route, repair,
        seconds) or per expectation (``kind="expectations"``: quantity, expected, computed as
        exact text, computed_float, ok, result, note)."""
        pd = require_optional("pandas", "CaseResult.to_frame()")
        if kind == "claims":
            return pd.DataFrame([{"claim": r.claim_id, "objective": r.objective, "label": r.label,
                                  "verdict": str(r.verdict), "summary": r.summary, "route": r.route,
                                  "repair": r.repair, "seconds": r.seconds} for r in self.claims],
                                columns=["claim", "objective", "label", "verdict", "summary", "route",
                                         "repair", "seconds"])
        if kind == "expectations":
            return pd.DataFrame([{"quantity": e.quantity, "expected": str(e.expected),
                                  "computed": str(e.computed), "computed_float": _float_or_nan(e.computed),
                                  "ok": e.ok, "result": e.result, "note": e.note} for e in self.expectations],
                                columns=["quantity", "expected", "computed", "computed_float", "ok", "result",
                                         "note"])
        raise ValueError(f"kind = {kind!r}: use 'claims' or 'expectations'")

    def as_dict(self):
        c = self.case
        return {"case": c.name, "title": c.title, "path": c.path, "description": c.description,
                "source": c.source, "model": _model_summary(c.mdp),
                "conventions": c.conventions.as_dict(),
                "claims": [r.as_dict() for r in self.claims],
                "expectations": [e.as_dict() for e in self.expectations],
                "expectations_hold": self.expectations_hold,
                "sections": self.sections, "seconds": round(self.seconds, 3)}


def _float_or_nan(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def _model_summary(mdp):
    return {"name": mdp.name, "states": mdp.n_states, "pairs": mdp.n_pairs,
            "horizon": mdp.horizon, "deterministic": mdp.deterministic, "exact": mdp.exact,
            "parameters": {s.name: [str(lo), str(hi)] for s, (lo, hi) in mdp.parameters.items()},
            "horizon_success": None if mdp.horizon_success is None else str(mdp.horizon_success)}


def check_expectations(case):
    cache = PolicyCache(case.mdp, case.conventions)
    out = []
    for quantity, expected in case.expectations:
        computed = evaluate_quantity(quantity, case.mdp, case.conventions, cache)
        if isinstance(expected, str):  # verdict(...) quantities: verdict names
            out.append(ExpectationResult(quantity.text, expected, computed, computed == expected))
            continue
        try:
            ok = equal(computed, expected)
            note = "" if ok else _float_expected_note(expected, computed)
        except UndecidedError as exc:
            ok, note = None, str(exc)
        out.append(ExpectationResult(quantity.text, expected, computed, ok, note))
    return out


def _float_expected_note(expected, computed):
    """Why an expected TOML float does not match, and the fix; "" for other values.

    A float is compared by its exact binary value, so ``0.45454545454545453`` for 5/11 is a
    mismatch.  When the computed value rounds to the very same double, the note says so and
    gives the exact text to write instead."""
    if not (isinstance(expected, sp.Basic) and expected.is_Float):
        return ""
    if rational_of_float(float(expected)) == sp.Rational(expected):
        return ""  # the float is exactly what was typed (0.5): it is not why the values differ
    same = False
    if isinstance(computed, sp.Basic) and computed.is_number and not computed.free_symbols:
        try:
            same = float(computed) == float(expected)
        except (TypeError, ValueError, OverflowError):
            same = False
    exact = number_text(computed)
    if same:
        fix = f'write "{exact}"' if len(exact) <= 40 else "write the exact value as a string"
        return f"expected is a float (compared by its binary value); the computed value rounds to the same double: {fix}"
    return 'expected is a float (compared by its binary value): write exact values as strings, e.g. "1/3"'


def honest_float_verdicts(res):
    """On a case with float inputs, make a claim verdict undecided when it depends on which
    number within the inputs' rounding is meant: the claims run again on the exact readings
    of :func:`~proofcheck.io.casefile.float_readings` (simplest fraction, exact binary value),
    and a verdict that differs between the readings and the float run depends on an exact
    tie or on a difference below the rounding.  Changes ``res.claims`` in place."""
    # the float run already computes with each float's exact binary value: the other
    # reading (the simplest fraction that rounds to it) is the one that can disagree
    readings = {how: m for how, m in float_readings(res.case).items() if how != "binary"}
    if not readings or not res.claims:
        return res
    ids = list(dict.fromkeys(r.claim_id for r in res.claims))
    seen = {}
    for how, mdp in readings.items():
        for cid in ids:
            try:
                rows = run_claims(mdp, res.case.conventions, [cid])
            except Exception:  # noqa: BLE001 - best effort: a reading that fails contradicts nothing
                continue
            for r in rows:
                seen.setdefault(r.label, {})[how] = r.verdict.value
    for n, r in enumerate(res.claims):
        other = seen.get(r.label, {})
        if r.verdict is Verdict.UNDECIDED or all(v == r.verdict.value for v in other.values()):
            continue
        detail = ", ".join(f"{v} when {FLOAT_READINGS[how].split(' (')[0].replace('each float read as ', 'read as ')}"
                           for how, v in other.items())
        res.claims[n] = dataclasses.replace(
            r, verdict=Verdict.UNDECIDED,
            summary=f"undecided: the verdict depends on an exact tie or on a difference below the "
                    f"rounding of the float inputs ({r.verdict.value} with the floats, {detail}); "
                    f"give the inputs as exact fractions (strings such as \"2/3\")")
    changed = {r.label: r for r in res.claims if r.verdict is Verdict.UNDECIDED}
    for n, e in enumerate(res.expectations):  # verdict(...) expectations follow their claim
        if not isinstance(e.expected, str):
            continue
        try:
            claim_id, objective = parse_quantity(e.quantity).claim
        except (ProofcheckError, TypeError, ValueError):
            continue
        label = f"{claim_id} [{'J' if objective == 'return' else 'S'}]" if objective else claim_id
        if label in changed and e.computed != "undecided":
            res.expectations[n] = dataclasses.replace(
                e, computed="undecided", ok=True if e.expected == "undecided" else None,
                note="the verdict depends on a difference below the rounding of the float inputs")
    return res


def verify_case(case, claim_ids=None, extensions=True, progress=None, typeset=True):
    """Run the claims and the expectations of a loaded case.

    ``progress``, when given, is called with a short message before each claim and each
    extension (``proofcheck report`` shows it on a terminal).  ``typeset=False`` skips the
    LaTeX of the closed forms (their ``latex`` is None), for output that shows none.

    Examples
    --------
    >>> from proofcheck import load_case
    >>> res = verify_case(load_case("cases/mountain_race.toml"), extensions=False)
    >>> res.expectations_hold
    True
    """
    t0 = time.perf_counter()
    if progress is None:
        claims = run_claims(case.mdp, case.conventions, claim_ids)
    else:
        ids = [cid for cid, c in CLAIMS.items() if c.default] if claim_ids is None else list(claim_ids)
        claims = []
        for n, cid in enumerate(ids):
            progress(f"claim {cid} ({n + 1}/{len(ids)})")
            claims += run_claims(case.mdp, case.conventions, [cid])
    exps = check_expectations(case)
    res = CaseResult(case, claims, exps, typeset=typeset)
    if extensions:
        for name, extend in SECTIONS:
            if progress is not None:
                progress(f"{name} section")
            extend(case, res)
    honest_float_verdicts(res)
    res.seconds = time.perf_counter() - t0
    return res


def verify_model(mdp, conventions=None, claim_ids=None):
    """Run the claims on a model built in Python (no case file, no expectations)."""
    case = Case(name=mdp.name, mdp=mdp, conventions=conventions or Conventions(), title=mdp.name)
    return verify_case(case, claim_ids)
