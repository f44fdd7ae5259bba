"""A short Markdown summary of a verification run (for READMEs, issues, pull requests)."""

from __future__ import annotations

from proofcheck.model.expressions import number_text
from proofcheck.reports.csv_report import grid_table
from proofcheck.verify.tables import decimal

__all__ = ["report_markdown", "md_cell", "grid_markdown"]

_MARK = {"holds": "holds", "fails": "**FAILS**", "undecided": "undecided", "not-applicable": "n/a"}


def md_cell(value, limit=140):
    """Text safe inside a Markdown table cell (pipes escaped, one line, clipped).

    Examples
    --------
    >>> md_cell("a | b\\nc")
    'a \\\\| b c'
    >>> print(md_cell("2*log(3/4) pi_1"))
    2\\*log(3/4) pi\\_1
    """
    s = " ".join(str(value).split())
    for ch in "\\|*_`<[":  # Markdown would read these as markup
        s = s.replace(ch, "\\" + ch)
    return s if len(s) <= limit else s[: limit - 3] + "..."


def grid_markdown(results):
    """The claims x cases verdict grid (page 1 of the PDF, ``NAME.csv``) as a Markdown table."""
    rows = grid_table(results)
    n = len(results)
    head = ["claim", *[md_cell(h) for h in rows[0][4:4 + n]]]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows[1:]:
        cells = [_MARK.get(v, "--") if v else "--" for v in row[4:4 + n]]
        out.append("| " + " | ".join([md_cell(row[0]), *cells]) + " |")
    return out


def report_markdown(results, tables, *, name="report", experiment_name=""):
    """The Markdown summary: per case the model, the expectations, the claim verdicts
    and the first re-training steps."""
    ok = all(r.expectations_hold for r in results)
    out = [f"# proofcheck report: {md_cell(name)}", "",
           "Karwowski & Douglas, *Incoherence in Goal-Conditioned Autoregressive Models* "
           "(AISTATS 2026, arXiv:2510.06545). Full report: "
           f"`{md_cell(name)}.pdf` / `{md_cell(name)}.tex`; every number: `{md_cell(name)}.json`.", "",
           "All case-file expectations hold." if ok else "**Some case-file expectations do not hold.**", "",
           "## Verdicts", "", *grid_markdown(results), ""]
    for res, t in zip(results, tables):
        c, m = res.case, res.case.mdp
        kind = "deterministic" if m.deterministic else "stochastic"
        out += [f"## {md_cell(c.title or c.name)}", "",
                f"`{md_cell(c.path or c.name)}`: {m.n_states} states, {m.n_pairs} pairs, T = {m.horizon}, "
                f"{kind}. Conventions: "
                + ", ".join(f"{k}={v}" for k, v in c.conventions.as_dict().items()) + ".", ""]
        n_ok = sum(1 for e in res.expectations if e.ok is True)
        out += [f"Expectations: {n_ok}/{len(res.expectations)} hold.", "",
                "| claim | verdict | result |", "|---|---|---|"]
        out += [f"| {md_cell(r.label)} | {_MARK[r.verdict.value]} | {md_cell(r.summary)} |"
                for r in res.claims]
        first = t["actions"][:1]  # none when the initial state is a leaf
        steps = t["rows"][:4]
        if not steps:  # not even pi^G_0's row fitted in a claim's work budget
            out += ["", f"Re-training at `{md_cell(t['state'])}`: not computed ({md_cell(t['stopped'])}).", ""]
            continue
        out += ["", f"Re-training at `{md_cell(t['state'])}`: "
                + "".join(", ".join(f"pi^G_{r['k']}({md_cell(a)}) = {number_text(r['policy'][a])}" for r in steps)
                          + "; " for a in first)
                + "S = " + ", ".join(number_text(r["S"]) for r in steps)
                + ("; kappa_1 = " + ", ".join(decimal(r["kappa"][1]) for r in steps)
                   if steps and 1 in steps[0]["kappa"] else "") + ".", ""]
    if experiment_name:
        out += [f"Experiment data: `{md_cell(experiment_name)}` (figure in the PDF).", ""]
    return "\n".join(out).rstrip() + "\n"
