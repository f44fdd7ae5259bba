"""The JSON report: every number of the run.

Schema ``proofcheck.report/1``::

    {"schema": "proofcheck.report/1",
     "expectations_hold": bool,
     "cases": [{"verify": CaseResult.as_dict(),      # claims, expectations, sections
                "retraining": table_as_json(...)}],  # exact text + decimal per value
     "experiment": {"file": name, "data": ...} | null}

Timings (the ``seconds`` keys of claim and case results) are left out unless asked for
(``timings=True``), so that regenerating the report gives the same file.
"""

from __future__ import annotations

import json

from proofcheck.verify.tables import table_as_json

__all__ = ["SCHEMA", "report_json", "strip_timings", "dumps"]

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


def report_json(results, tables, *, experiment=None, experiment_name="", timings=False):
    """The report as a JSON-able dict."""
    cases = [{"verify": r.as_dict(), "retraining": table_as_json(t)} for r, t in zip(results, tables)]
    doc = {"schema": SCHEMA, "expectations_hold": all(r.expectations_hold for r in results),
           "cases": cases,
           "experiment": None if experiment is None else {"file": experiment_name, "data": experiment}}
    return doc if timings else strip_timings(doc)


def dumps(doc):
    """Deterministic JSON text (two-space indent, trailing newline; unknown objects as text).

    Examples
    --------
    >>> dumps({"b": 1, "a": [1, 2]})
    '{\\n  "b": 1,\\n  "a": [\\n    1,\\n    2\\n  ]\\n}\\n'
    """
    return json.dumps(doc, indent=2, ensure_ascii=False, default=str) + "\n"
