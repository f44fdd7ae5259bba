"""Verify a case: run every claim and every expectation, collect one result record.

This is the library entry point behind ``proofcheck verify`` and ``proofcheck report``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from .claims import PolicyCache, evaluate_quantity, run_claims
from .claims._common import equal
from .errors import UndecidedError

__all__ = ["CaseResult", "ExpectationResult", "verify_case", "verify_model", "EXTENSION_MODULES"]

#: Modules with a function ``extend(case, result)`` run after the finite claims: the
#: symbolic layer (closed forms, limit claims) and the numeric layer (cross-checks).
#: Each appends results to ``result.claims`` and/or a section to ``result.sections``
#: (``{"title": ..., "lines": [one-line strings for the terminal], ...JSON data}``).
EXTENSION_MODULES = ["proofcheck.symbolic.sections", "proofcheck.numerics.sections"]


def _extensions():
    import importlib
    out = []
    for name in EXTENSION_MODULES:
        try:
            out.append(importlib.import_module(name).extend)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    return out


@dataclass
class ExpectationResult:
    quantity: str
    expected: object
    computed: object
    ok: bool | None  # None: undecided
    note: str = ""

    def as_dict(self):
        return {"quantity": self.quantity, "expected": str(self.expected),
                "computed": str(self.computed), "ok": self.ok, "note": self.note}


@dataclass
class CaseResult:
    case: object
    claims: list
    expectations: list
    sections: dict = field(default_factory=dict)  # extension name -> JSON-able data
    seconds: float = 0.0

    @property
    def expectations_hold(self):
        return all(e.ok is True for e in self.expectations)

    def as_dict(self):
        c = self.case
        return {"case": c.name, "title": c.title, "path": c.path, "description": c.description,
                "source": c.source, "model": _model_summary(c.mdp),
                "conventions": c.conventions.as_dict(),
                "claims": [r.as_dict() for r in self.claims],
                "expectations": [e.as_dict() for e in self.expectations],
                "expectations_hold": self.expectations_hold,
                "sections": self.sections, "seconds": round(self.seconds, 3)}


def _model_summary(mdp):
    return {"name": mdp.name, "states": mdp.n_states, "pairs": mdp.n_pairs,
            "horizon": mdp.horizon, "deterministic": mdp.deterministic, "exact": mdp.exact,
            "parameters": {s.name: [str(lo), str(hi)] for s, (lo, hi) in mdp.parameters.items()}}


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
            note = ""
        except UndecidedError as exc:
            ok, note = None, str(exc)
        out.append(ExpectationResult(quantity.text, expected, computed, ok, note))
    return out


def verify_case(case, claim_ids=None, extensions=True, progress=None):
    """Run the claims and the expectations of a loaded case.

    ``progress``, when given, is called with a short message before each claim and each
    extension (``proofcheck report`` shows it on a terminal).

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
        from .claims import checks  # noqa: F401  (registers the checks)
        from .claims.registry import CLAIMS
        ids = list(CLAIMS) if claim_ids is None else list(claim_ids)
        claims = []
        for n, cid in enumerate(ids):
            progress(f"claim {cid} ({n + 1}/{len(ids)})")
            claims += run_claims(case.mdp, case.conventions, [cid])
    exps = check_expectations(case)
    res = CaseResult(case, claims, exps)
    if extensions:
        for ext in _extensions():
            if progress is not None:
                progress(f"{ext.__module__.split('.')[1]} section")
            ext(case, res)
    res.seconds = time.perf_counter() - t0
    return res


def verify_model(mdp, conventions=None, claim_ids=None):
    """Run the claims on a model built in Python (no case file, no expectations)."""
    from .model.casefile import Case
    from .model.conventions import Conventions
    case = Case(name=mdp.name, mdp=mdp, conventions=conventions or Conventions(), title=mdp.name)
    return verify_case(case, claim_ids)
