"""The verdict grid as CSV (``NAME.csv`` beside the report): one row per claim result
label, one column per case.

Columns: ``claim`` (the label, e.g. ``P5.4 [J]``), ``claim_id``, ``objective``
(``return``, ``success`` or empty), ``title``, then one column per case named by the
case's name, holding ``holds``, ``fails``, ``undecided``, ``not-applicable`` or an empty
cell when the claim was not run on that case.  When some claim result carries a repair
(``ClaimResult.repair``), a column ``repair:<case>`` per case follows with its text.
The same grid is page 1 of the PDF.
"""

from __future__ import annotations

import csv
import io

__all__ = ["report_csv", "grid_table"]


def _repair_str(repair):
    if repair is None:
        return ""
    if isinstance(repair, dict):
        return "; ".join(f"{k}: {v}" for k, v in repair.items())
    if isinstance(repair, (list, tuple)):
        return "; ".join(str(v) for v in repair)
    return str(repair)


def grid_table(results):
    """The grid as a list of rows (the first is the header).

    Examples
    --------
    >>> grid_table([])
    [['claim', 'claim_id', 'objective', 'title']]
    """
    names = []
    for res in results:
        name = res.case.name
        while name in names:  # two cases of one name: keep the columns apart
            name += "'"
        names.append(name)
    order, cells, meta = [], {}, {}
    for n, res in enumerate(results):
        for r in res.claims:
            if r.label not in cells:
                order.append(r.label)
                cells[r.label] = {}
                meta[r.label] = r
            cells[r.label][n] = r
    with_repairs = any(getattr(r, "repair", None) for row in cells.values() for r in row.values())
    header = ["claim", "claim_id", "objective", "title", *names]
    if with_repairs:
        header += [f"repair:{name}" for name in names]
    rows = [header]
    for label in order:
        r0 = meta[label]
        row = [label, r0.claim_id, r0.objective or "", r0.title]
        row += [cells[label][n].verdict.value if n in cells[label] else "" for n in range(len(results))]
        if with_repairs:
            row += [_repair_str(getattr(cells[label][n], "repair", None)) if n in cells[label] else ""
                    for n in range(len(results))]
        rows.append(row)
    return rows


def report_csv(results):
    """The grid as CSV text (RFC 4180 quoting, ``\\n`` line ends)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerows(grid_table(results))
    return buf.getvalue()
