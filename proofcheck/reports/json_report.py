"""The JSON report: every number of the run.

Schema ``proofcheck.report/1`` (published as JSON Schema, draft 2020-12, in
``proofcheck/reports/schema.json``; :func:`load_schema`)::

    {"schema": "proofcheck.report/1",
     "expectations_hold": bool,
     "claim_verdicts": {"holds": n, "fails": n, "undecided": n, "not-applicable": n},
     "cases": [{"verify": CaseResult.as_dict(),      # claims, expectations, sections
                "retraining": table_as_json(...)}],  # exact text + decimal per value
     "experiment": {"file": name, "data": ...} | null}

``proofcheck verify --json`` prints the same shape (:func:`verify_json`): the same
``cases`` entries without ``retraining``, no ``experiment``, plus ``fail_on`` and
``exit_code``.

Timings (the ``seconds`` keys of claim and case results) are left out unless asked for
(``timings=True``), so that regenerating the report gives the same file.
"""

from __future__ import annotations

import json
import os

from proofcheck.verify.tables import table_as_json

__all__ = ["SCHEMA", "SCHEMA_FILE", "report_json", "verify_json", "claim_verdicts", "load_schema",
           "strip_timings", "dumps"]

#: The JSON Schema (draft 2020-12) of :func:`report_json` and :func:`verify_json`.
SCHEMA_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "schema.json")

SCHEMA = "proofcheck.report/1"

_TIMING_KEYS = ("seconds",)


def strip_timings(obj):
    """A copy of ``obj`` without timing keys, at any depth.

    Examples
    --------
    >>> strip_timings({"a": 1, "seconds": 0.2, "b": [{"seconds": 3, "c": 4}]})
    {'a': 1, 'b': [{'c': 4}]}
    """
    if isinstance(obj, dict):
        return {k: strip_timings(v) for k, v in obj.items() if k not in _TIMING_KEYS}
    if isinstance(obj, (list, tuple)):
        return [strip_timings(v) for v in obj]
    return obj


def load_schema():
    """The published JSON Schema as a dict."""
    with open(SCHEMA_FILE, encoding="utf-8") as fh:
        return json.load(fh)


def claim_verdicts(results):
    """``{verdict: count}`` over every claim result of every case (all four verdicts)."""
    counts = {"holds": 0, "fails": 0, "undecided": 0, "not-applicable": 0}
    for r in results:
        for c in r.claims:
            counts[c.verdict.value] += 1
    return counts


def _case_entry(result):
    doc = result.as_dict()
    for c, r in zip(doc.get("claims", []), result.claims):
        repair = getattr(r, "repair", None)
        if repair is not None and "repair" not in c:
            c["repair"] = repair if isinstance(repair, (str, dict, list)) else str(repair)
    return doc


def report_json(results, tables, *, experiment=None, experiment_name="", timings=False):
    """The report as a JSON-able dict."""
    cases = [{"verify": _case_entry(r), "retraining": table_as_json(t)} for r, t in zip(results, tables)]
    doc = {"schema": SCHEMA, "expectations_hold": all(r.expectations_hold for r in results),
           "claim_verdicts": claim_verdicts(results), "cases": cases,
           "experiment": None if experiment is None else {"file": experiment_name, "data": experiment}}
    return doc if timings else strip_timings(doc)


def verify_json(results, *, fail_on="never", exit_code=0):
    """What ``proofcheck verify --json`` prints: the report's shape without the
    re-training tables and the experiment (timings kept, as ``verify`` always did)."""
    return {"schema": SCHEMA, "expectations_hold": all(r.expectations_hold for r in results),
            "claim_verdicts": claim_verdicts(results),
            "cases": [{"verify": _case_entry(r)} for r in results],
            "fail_on": fail_on, "exit_code": exit_code}


def dumps(doc):
    """Deterministic JSON text (two-space indent, trailing newline; unknown objects as text).

    Examples
    --------
    >>> dumps({"b": 1, "a": [1, 2]})
    '{\\n  "b": 1,\\n  "a": [\\n    1,\\n    2\\n  ]\\n}\\n'
    """
    return json.dumps(doc, indent=2, ensure_ascii=False, default=str) + "\n"
