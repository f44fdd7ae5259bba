"""The LaTeX document of a verification run.

One section per case: the model (description, drawing, conventions), the expectations,
the closed forms, the tables and figures along re-training, every claim with verdict,
evidence and counterexample, and the numeric cross-check.  Only standard TeX Live
packages are used (``lmodern``, ``geometry``, ``amsmath``, ``booktabs``, ``longtable``,
``xcolor``, ``tikz``, ``pgfplots``).  All user text goes through
:func:`~proofcheck.reports.escape.escape_tex`; mathematical values are typeset with
:func:`sympy.latex` from SymPy objects, never from user strings.

The text is deterministic: no dates, timings or absolute paths, so regenerating the
report from the same inputs gives the same bytes.
"""

from __future__ import annotations

import sympy as sp

from proofcheck.claims.registry import fmt
from proofcheck.reports.escape import escape_tex, tex_verbatim_lines
from proofcheck.reports.figures import experiment_figure, retraining_figures
from proofcheck.verify.tables import decimal, is_finite
from proofcheck.reports.tikz import mdp_drawing, summary_table, value_tex

__all__ = ["report_document", "case_section", "claim_block", "math_value", "text",
           "LONG_MATH"]

#: Exact values whose LaTeX is longer than this are shown as decimals (the exact text
#: is in the JSON report).
LONG_MATH = 90

_VERDICT = {"holds": ("green!45!black", "HOLDS"), "fails": ("red!75!black", "FAILS"),
            "undecided": ("orange!85!black", "UNDECIDED"),
            "not-applicable": ("gray!80!black", "NOT APPLICABLE")}

_OBJECTIVE = {"return": r"additive return $J$", "success": r"success probability $S$"}

_PREAMBLE = r"""\documentclass[10pt]{article}
\pdfinfoomitdate=1
\pdftrailerid{}
\usepackage[T1]{fontenc}
\usepackage{lmodern}
\usepackage[a4paper, margin=2cm]{geometry}
\usepackage{amsmath, amssymb}
\usepackage{booktabs, longtable, array}
\usepackage{graphicx}
\usepackage[table]{xcolor}
\usepackage{tikz}
\usepackage{pgfplots}
\pgfplotsset{compat=1.18}
\setlength{\parindent}{0pt}
\setlength{\parskip}{0.45em}
\renewcommand{\arraystretch}{1.25}
\sloppy
\newcommand{\verdict}[2]{\textcolor{#1}{\textbf{#2}}}
\newcommand{\fitwidth}[1]{\resizebox{\ifdim\width>\linewidth\linewidth\else\width\fi}{!}{#1}}
"""


def text(value, breakable=True):
    """Escaped user or engine text; with ``breakable`` long formulas may wrap.

    Examples
    --------
    >>> text("a*b", breakable=False)
    'a*b'
    >>> text("J(pi)=1/2")
    'J(pi)=\\\\allowbreak{}1/\\\\allowbreak{}2'
    """
    out = escape_tex(value)
    if breakable:
        for ch in ("*", "/", ",", "="):
            out = out.replace(ch, ch + r"\allowbreak{}")
    return out


def math_value(value, *, long=LONG_MATH):
    """Inline TeX for a value: SymPy via ``sympy.latex`` (a decimal when very long),
    anything else as escaped text.

    Examples
    --------
    >>> import sympy as sp
    >>> math_value(sp.Rational(4, 7))
    '$4/7$'
    >>> math_value(-sp.oo)
    '$-\\\\infty$'
    >>> math_value("x_1")
    'x\\\\_1'
    """
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        value = sp.Integer(value)
    if isinstance(value, sp.Basic):
        body = value_tex(value)
        if len(body) <= long:
            return f"${body}$"
        if value.is_number and is_finite(value):
            return rf"$\approx {decimal(value)}$\textsuperscript{{\dag}}"
        return text(fmt(value))
    if isinstance(value, dict):
        return "; ".join(f"{text(k)}: {math_value(v, long=long)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(math_value(v, long=long) for v in value) + "]"
    if value is None:
        return "--"
    return text(fmt(value))


def _cell_exact_decimal(value):
    """Exact value (when short) and its decimal, for the table of exact values."""
    body = value_tex(value)
    if value.free_symbols:
        # Parametric values are rational functions: display style keeps them legible.
        return (rf"$\displaystyle {body}$" if len(body) <= 3 * LONG_MATH else r"\dag") + " & --"
    if value.is_Rational and not value.is_Integer:
        return f"${body}$ & {_dec(value)}"
    if len(body) <= LONG_MATH:
        return f"${body}$ & {_dec(value)}"
    return r"\dag & " + _dec(value)


def _dec(value):
    """A decimal for a table cell, infinities as math."""
    if not getattr(value, "is_number", True):
        return "--"  # parametric: no single decimal
    d = decimal(value)
    return {"+inf": r"$+\infty$", "-inf": r"$-\infty$", "nan": "undefined"}.get(d, d)


def _claim_counts(claims):
    counts = {"holds": 0, "fails": 0, "undecided": 0, "not-applicable": 0}
    for r in claims:
        counts[r.verdict.value] += 1
    return counts


def claim_block(r, case_conventions=None):
    """One claim result as a LaTeX block: verdict, statement, result, evidence,
    counterexample, objective, conventions (when they differ from the case's)."""
    colour, word = _VERDICT[r.verdict.value]
    out = [r"\par\medskip\noindent\begin{minipage}{\linewidth}",
           rf"\verdict{{{colour}}}{{{word}}}\quad\textbf{{{text(r.label, False)}}}"
           rf"\quad {text(r.title)}\par"]
    if r.statement:
        out.append(rf"\emph{{Claim:}} {text(r.statement)}\par")
    out.append(rf"\emph{{Result:}} {text(r.summary)}\par")
    meta = []
    meta.append(r"\emph{Objective:} " + (_OBJECTIVE.get(r.objective, text(r.objective))
                                         if r.objective else "none (claim does not involve one)"))
    if r.hypothesis:
        meta.append(r"\emph{Hypothesis:} " + text(r.hypothesis))
    if r.scope:
        meta.append(r"\emph{Scope:} " + text(r.scope))
    if r.route:
        meta.append(r"\emph{Route:} " + text(r.route))
    out.append("; ".join(meta) + r"\par")
    if r.conventions and case_conventions is not None and r.conventions != case_conventions:
        diff = {k: v for k, v in r.conventions.items() if case_conventions.get(k) != v}
        out.append(r"\emph{Conventions differing from the case:} "
                   + text(", ".join(f"{k}={v}" for k, v in diff.items())) + r"\par")
    out.append(r"\end{minipage}")
    ev = list(r.evidence or [])
    if ev:
        shown = ev[:12]
        out.append(r"\begin{itemize}\setlength{\itemsep}{0pt}\small")
        for row in shown:
            if isinstance(row, dict):
                parts = []
                q = row.get("quantity")
                for k, v in row.items():
                    if k == "quantity":
                        continue
                    parts.append(f"{text(k)} = {math_value(v)}")
                head = text(q) + (": " if parts else "") if q is not None else ""
                out.append(r"\item " + head + "; ".join(parts))
            else:
                out.append(r"\item " + math_value(row))
        if len(ev) > len(shown):
            out.append(rf"\item \dots\ {len(ev) - len(shown)} more row(s) in the JSON report")
        out.append(r"\end{itemize}")
    if r.counterexample:
        out.append(r"{\small\emph{Counterexample:} "
                   + "; ".join(f"{text(k)} = {math_value(v)}" for k, v in r.counterexample.items())
                   + r"}\par")
    return "\n".join(out)


def _conventions_table(conv):
    rows = [rf"\texttt{{{text(k, False)}}} & {text(v)} \\" for k, v in conv.as_dict().items()]
    return "\n".join([r"\begin{center}\small\begin{tabular}{ll}\toprule",
                      r"Convention & Value \\\midrule", *rows, r"\bottomrule\end{tabular}\end{center}"])


def _expectations(res):
    if not res.expectations:
        return "No expectations in the case file.\n"
    rows = []
    for e in res.expectations:
        mark = {True: r"\verdict{green!45!black}{ok}", False: r"\verdict{red!75!black}{MISMATCH}",
                None: r"\verdict{orange!85!black}{undecided}"}[e.ok]
        rows.append(rf"\texttt{{{text(e.quantity)}}} & {math_value(e.expected)} & "
                    rf"{math_value(e.computed)} & {mark} \\")
    return "\n".join([r"\begin{center}\small\fitwidth{\begin{tabular}{llll}\toprule",
                      r"Quantity & Expected & Computed (exact) & Result \\\midrule", *rows,
                      r"\bottomrule\end{tabular}}\end{center}"])


_FORM_NAMES = {"pi^G_k": r"\pi^G_k", "pi_alpha": r"\pi_\alpha", "pi_beta": r"\pi_\beta",
               "pi^delta(prior)": r"p^{\delta}", "Zv[prior]": r"Z_V^{p}",
               "Boltzmann-coherent fixed point": r"\pi^{B}_{\infty}"}


def _form_lhs(form):
    name = form.get("name") or ""
    head = _FORM_NAMES.get(name, r"\text{" + escape_tex(name) + "}")
    state, action = form.get("state"), form.get("action")
    if action:
        return head + r"(\text{" + escape_tex(action) + r"}\mid\text{" + escape_tex(state) + "})"
    if state:
        return head + r"(\text{" + escape_tex(state) + "})"
    return head


def _symbolic(res):
    """The closed forms of the symbolic layer (``result.sections["symbolic"]``): each
    form's ``latex`` (made by ``sympy.latex`` inside proofcheck, from SymPy objects, so it
    is typeset as is) with its domain and limits; other keys as escaped text."""
    sec = res.sections.get("symbolic")
    if not sec:
        return ("The symbolic layer (\\texttt{proofcheck.verify.symbolic_section}) produced no closed forms "
                "for this run.\n")
    out = []
    forms = sec.get("forms") or []
    shown = 0
    for form in forms if isinstance(forms, list) else []:
        if not (isinstance(form, dict) and isinstance(form.get("latex"), str)):
            continue
        shown += 1
        out.append(r"\begin{center}\fitwidth{$\displaystyle " + _form_lhs(form) + " = "
                   + form["latex"] + r"$}\end{center}")
        notes = []
        if form.get("domain"):
            notes.append("for " + text(form["domain"]))
        for k, v in (form.get("limits") or {}).items():
            notes.append("limit " + text(k) + ": " + text(v))
        if notes:
            out.append(r"{\small " + "; ".join(notes) + r"}\par")
    extra = {k: v for k, v in sec.items() if k not in ("title", "lines", "forms")}
    if extra:
        out.append(r"\begin{itemize}\setlength{\itemsep}{0pt}\small")
        for k, v in extra.items():
            if isinstance(v, dict):
                v = ", ".join(f"{a} = {b}" for a, b in v.items() if a != "latex")
            out.append(r"\item " + text(k.replace("_", " ")) + ": " + text(v))
        out.append(r"\end{itemize}")
    if not shown and sec.get("lines"):
        out.append(tex_verbatim_lines(sec["lines"]))
    return "\n".join(out) + "\n"


def _exact_values(table, mdp):
    """Display of exact values of our own tables at k = 1 and 2 (via sympy.latex)."""
    s = escape_tex(table["state"])
    end = r" \\[6pt]" if mdp.parameters else r" \\"
    lines = [r"\begin{center}\small\fitwidth{\begin{tabular}{lll}\toprule",
             r"Quantity & Exact value & Decimal \\\midrule"]
    for r in table["rows"][:3]:
        k = r["k"]
        for a, v in r["policy"].items():
            lines.append(rf"$\pi^G_{{{k}}}(\text{{{escape_tex(a)}}}\mid\text{{{s}}})$ & "
                         + _cell_exact_decimal(v) + end)
        lines.append(rf"$S(\pi^G_{{{k}}})$ & " + _cell_exact_decimal(r["S"]) + end)
        lines.append(rf"$J(\pi^G_{{{k}}})$ & " + _cell_exact_decimal(r["J"]) + end)
        for d, v in r["kappa"].items():
            lines.append(rf"$\kappa_{{{value_tex(d)}}}(\pi^G_{{{k}}})$ & " + _cell_exact_decimal(v) + end)
        lines.append(r"\addlinespace[6pt]" if mdp.parameters else r"\addlinespace")
    lines.append(r"\bottomrule\end{tabular}}\end{center}")
    return "\n".join(lines)


def _retraining_tables(table):
    s = escape_tex(table["state"])
    acts = table["actions"]
    heads = [rf"$\pi^G_k(\text{{{escape_tex(a)}}}\mid\text{{{s}}})$" for a in acts]  # none at a leaf
    out = [r"\begin{center}\small\fitwidth{\begin{tabular}{r" + "l" * (len(acts) + 1) + r"}\toprule",
           " & ".join(["$k$", *heads, r"$S(\pi^G_k)$"]) + r" \\\midrule"]
    for r in table["rows"]:
        style = r"\displaystyle " if table["parametric"] else ""
        cells = [f"${style}{value_tex(r['policy'][a])}$" if len(value_tex(r['policy'][a])) <= LONG_MATH
                 else _dec(r["policy"][a]) for a in acts]
        sv = value_tex(r["S"])
        cells.append(f"${style}{sv}$" if len(sv) <= LONG_MATH else _dec(r["S"]))
        out.append(f"{r['k']} & " + " & ".join(cells) + (r" \\[8pt]" if style else r" \\"))
    out.append(r"\bottomrule\end{tabular}}\end{center}")
    if table["parametric"]:
        return "\n".join(out)
    ds = table["deltas"]
    first = acts[:1]  # the decimal table shows the first action's probability
    heads = heads[:1] + ["$S$", "$J$"] + [rf"$\kappa_{{{value_tex(d)}}}$" for d in ds]
    out += [r"\begin{center}\small\fitwidth{\begin{tabular}{r" + "r" * (len(heads) + 2) + r"}\toprule",
            " & ".join(["$k$", *heads, r"$\Delta J_k$", r"$k\,\Delta J_k$"]) + r" \\\midrule"]
    for r in table["rows"]:
        cells = [_dec(r["policy"][a]) for a in first] + [_dec(r["S"]), _dec(r["J"])]
        cells += [_dec(r["kappa"][d]) for d in ds]
        cells += ["--" if r["dJ"] is None else _dec(r["dJ"]),
                  "--" if r["k_dJ"] is None else _dec(r["k_dJ"])]
        out.append(f"{r['k']} & " + " & ".join(cells) + r" \\")
    out.append(r"\bottomrule\end{tabular}}\end{center}")
    return "\n".join(out)


def _crosscheck(res):
    sec = res.sections.get("crosscheck")
    if not sec:
        return ("The numeric layer (\\texttt{proofcheck.verify.numeric_section}) produced no cross-check "
                "for this run.\n")
    table = sec.get("table") or {}
    summ = table.get("summary") or []
    out = []
    if table.get("precision"):
        out.append(r"\emph{Precision:} " + text(table["precision"]) + r"\par")
    if table.get("closed_forms"):
        out.append(r"\emph{Closed forms:} " + text(table["closed_forms"]) + r"\par")
    if table.get("skipped"):
        out.append(r"\emph{Skipped:} " + text(table["skipped"]) + r"\par")
    if summ and all(isinstance(s, dict) and "quantity" in s for s in summ):
        out += [r"\begin{center}\small\fitwidth{\begin{tabular}{lrrrrrl}\toprule",
                r"Quantity & rows & max $|\text{mpmath}-\text{exact}|$ & bound & digits & "
                r"interval radius & result \\\midrule"]
        for s in summ:
            ok = r"\verdict{green!45!black}{ok}" if s.get("ok") else r"\verdict{red!75!black}{FAILED}"
            cf = s.get("closed_form_agrees")
            if cf is not None:
                ok += ", closed form " + ("agrees" if cf else r"\verdict{red!75!black}{DISAGREES}")
            out.append(" & ".join([text(s.get("quantity")), text(s.get("rows", "")),
                                   text(s.get("max_deviation")), text(s.get("bound")),
                                   text("exact" if s.get("digits") is None else s.get("digits")),
                                   text(s.get("max_interval_radius")), ok]) + r" \\")
        out.append(r"\bottomrule\end{tabular}}\end{center}")
    elif sec.get("lines"):
        out.append(tex_verbatim_lines(sec["lines"]))
    return "\n".join(out) + "\n"


def case_section(res, table, *, figures=True):
    """The LaTeX section of one case."""
    c = res.case
    m = c.mdp
    kind = "deterministic" if m.deterministic else "stochastic"
    out = [rf"\section{{{text(c.title or c.name)}}}"]
    if c.description:
        out.append(text(c.description) + r"\par")
    if c.source:
        out.append(r"\emph{Source:} " + text(c.source) + r"\par")
    params = (", parametric in " + ", ".join(text(s.name) for s in m.parameters)) if m.parameters else ""
    out.append(rf"\emph{{Case file:}} \texttt{{{text(c.path or c.name)}}}; {m.n_states} states, "
               rf"{m.n_pairs} state-action pairs, horizon $T = {m.horizon}$, {kind} dynamics{params}"
               + ("" if m.exact else ", \\textbf{inexact (float) inputs}") + r".\par")
    drawing = mdp_drawing(m)
    out.append(r"\subsection*{Model}")
    if drawing:
        out += [r"\begin{figure}[h!]\centering", drawing,
                r"\caption{The MDP. Edges: action, prior $p$, likelihood $q$ when not 1, "
                r"transition probability $\tau$ after a dot (stochastic action). "
                r"Terminal states show their success probability $S$; double border: initial state.}",
                r"\end{figure}"]
    else:
        out.append(summary_table(m))
    out += [r"\subsection*{Conventions}",
            "Every verdict below was computed under these conventions (spec sections 3, 5, 6); "
            "claims about optimality or returns name their objective.", _conventions_table(c.conventions),
            r"\subsection*{Expectations from the case file}", _expectations(res),
            r"\subsection*{Closed forms}", _symbolic(res),
            rf"Exact values computed for this report along re-training at state "
            rf"\texttt{{{text(table['state'])}}} (\dag: too long to print, exact text in the JSON report):",
            _exact_values(table, m),
            r"\subsection*{Along re-training}",
            rf"Re-training $\pi^G_0 = p$, $\pi^G_{{k+1}} = G(\pi^G_k)$ for $k = 0..{table['k_max']}$. "
            r"First table exact; second in decimals (\texttt{sympy.N} at 20 significant digits, "
            r"shown to 6). $\kappa_\delta$ is the Boltzmann incoherence (causal KL) at temperature $\delta$."
            + (" Parametric model: the first steps only, no incoherence." if table["parametric"] else ""),
            _retraining_tables(table)]
    if figures:
        for tikz, caption in retraining_figures(table):
            out += [r"\begin{figure}[h!]\centering", tikz, rf"\caption{{{caption}}}", r"\end{figure}"]
    out.append(r"\clearpage")
    counts = _claim_counts(res.claims)
    out += [r"\subsection*{Claims}",
            f"{len(res.claims)} results: {counts['holds']} hold, {counts['fails']} fail, "
            f"{counts['undecided']} undecided, {counts['not-applicable']} not applicable "
            "(hypothesis not met; the conclusion is still evaluated on this model and reported)."]
    conv = c.conventions.as_dict()
    for r in res.claims:
        out.append(claim_block(r, conv))
    out += [r"\subsection*{Backend agreement (one recursion in exact, mpmath and interval arithmetic)}", _crosscheck(res)]
    for name, sec in res.sections.items():
        if name in ("symbolic", "crosscheck") or not isinstance(sec, dict):
            continue
        out += [rf"\subsection*{{{text(sec.get('title') or name)}}}",
                tex_verbatim_lines(sec.get("lines") or [])]
    out.append(r"\clearpage")
    return "\n".join(out)


def _overview(results):
    rows = []
    for res in results:
        n = _claim_counts(res.claims)
        exp = sum(1 for e in res.expectations if e.ok is True)
        rows.append(rf"{text(res.case.title or res.case.name)} & {n['holds']} & {n['fails']} & "
                    rf"{n['undecided']} & {n['not-applicable']} & {exp}/{len(res.expectations)} \\")
    table = "\n".join([r"\begin{center}\small\fitwidth{\begin{tabular}{lrrrrr}\toprule",
                       r"Case & holds & fails & undecided & n/a & expectations met \\\midrule", *rows,
                       r"\bottomrule\end{tabular}}\end{center}"])
    fails = [(res.case, r) for res in results for r in res.claims if r.verdict.value == "fails"]
    if not fails:
        return table + "\nNo claim fails on these cases."
    items = [r"\item " + text(c.title or c.name) + r": \textbf{" + text(r.label, False) + "} "
             + text(r.summary) for c, r in fails]
    return "\n".join([table, r"Claims that fail (details and counterexamples in each case's section):",
                      r"\begin{itemize}\setlength{\itemsep}{0pt}\small", *items, r"\end{itemize}"])


def _experiment_section(data, source_name):
    out = [r"\section{Incoherence and effective horizon}",
           r"From \texttt{" + text(source_name) + r"} (\texttt{proofcheck experiment}, schema "
           + text(data.get("schema", "unknown")) + ")."]
    fig = experiment_figure(data)
    if fig:
        out += [r"\begin{figure}[h!]\centering", fig[0], rf"\caption{{{fig[1]}}}", r"\end{figure}"]
    else:
        out.append("The experiment file holds no rows with a finite effective horizon and incoherence.")
    corr = (data.get("summary") or {}).get("correlations") or []
    if corr:
        out += [r"\begin{center}\small\fitwidth{\begin{tabular}{llrrll}\toprule",
                r"$x$ & $y$ & $n$ & $r$ & 95\% interval & paper's $r$ \\\midrule"]
        for c in corr:
            if not isinstance(c, dict):
                continue
            ci = c.get("ci95")
            out.append(" & ".join([text(c.get("x")), text(c.get("y")), text(c.get("n")),
                                   text(_num(c.get("r"))),
                                   text("--" if not ci else "[" + ", ".join(_num(v) for v in ci) + "]"),
                                   text("--" if c.get("paper_r") is None else _num(c.get("paper_r")))])
                       + r" \\")
        out.append(r"\bottomrule\end{tabular}}\end{center}")
    return "\n".join(out)


def _num(v):
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def report_document(results, tables, *, experiment=None, experiment_name="", command=""):
    """The whole document as one string.

    Parameters
    ----------
    results : list of CaseResult
    tables : list of dict
        :func:`proofcheck.verify.tables.retraining_table` per case.
    experiment : dict, optional
        Parsed ``proofcheck experiment`` JSON.
    command : str
        The command that regenerates the report (printed in the introduction).
    """
    ok = all(r.expectations_hold for r in results)
    out = [_PREAMBLE, r"\begin{document}",
           r"\begin{center}{\LARGE proofcheck report}\par\medskip",
           r"{\large Verification of Karwowski \& Douglas, \emph{Incoherence in Goal-Conditioned "
           r"Autoregressive Models} (AISTATS 2026, arXiv:2510.06545)}\end{center}",
           r"\section*{About this report}",
           "Each case is verified exactly: probabilities, values and policies are SymPy rationals or "
           "closed forms; every comparison behind a verdict is exact or certified. Decimals are for reading "
           "only. Verdicts: \\verdict{green!45!black}{HOLDS} (the claim's conclusion holds on the model, "
           "on the stated finite scope for claims about all $k$), \\verdict{red!75!black}{FAILS} (with the "
           "smallest counterexample found), \\verdict{orange!85!black}{UNDECIDED} (the check could not "
           "decide, with the reason), \\verdict{gray!80!black}{NOT APPLICABLE} (the model does not meet "
           "the hypothesis; the conclusion is evaluated anyway). Objectives: $J$ is the additive return "
           "$E[\\sum_t \\log q]$, $S$ the success probability.",
           (r"Regenerate with \texttt{" + text(command) + "}." if command else ""),
           _overview(results),
           "All expectations of the case files hold." if ok else
           r"\verdict{red!75!black}{Some expectations of the case files do not hold.}",
           r"\clearpage"]
    for res, table in zip(results, tables):
        out.append(case_section(res, table))
    if experiment is not None:
        out.append(_experiment_section(experiment, experiment_name))
    out.append(r"\end{document}")
    return "\n".join(x for x in out if x != "") + "\n"
