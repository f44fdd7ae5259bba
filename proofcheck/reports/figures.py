"""Figures of the paper's experiments as pgfplots code inside the ``.tex``.

Why pgfplots: no plotting dependency for the toolkit, vector output that scales with the
page, fonts that match the text, and -- most useful here -- the figure is plain
deterministic text (coordinates rounded by :func:`proofcheck.verify.tables.decimal`), so
the staleness test can diff the committed report byte for byte.  PNGs from a plotting
library would add a dependency and binary files whose bytes vary across versions.

Non-finite values (``J = -inf`` when the prior reaches a zero-likelihood step, the
``+inf`` increment that follows) cannot be plotted; they are left out and every figure
says which points were left out and why.
"""

from __future__ import annotations

import math

from proofcheck.reports.escape import escape_tex
from proofcheck.reports.tikz import value_tex
from proofcheck.verify.tables import decimal, is_finite

__all__ = ["line_plot", "retraining_figures", "experiment_figure"]

_MARKS = ["*", "square*", "triangle*", "diamond*", "o", "x", "pentagon*", "+"]


def _fmt_float(x):
    return f"{x:.6g}"


def line_plot(series, *, xlabel, ylabel, title, width=r"0.95\linewidth", height="5.2cm",
              scatter=False, extra=""):
    """A ``tikzpicture`` with one pgfplots ``axis``.

    ``series``: list of ``(legend TeX, [(x, y decimal string), ...])``; points whose
    value is not a finite decimal are dropped (the caller reports them).

    Examples
    --------
    >>> tex = line_plot([("$S$", [(0, "0.5"), (1, "0.75"), (2, "+inf")])],
    ...                 xlabel="$k$", ylabel="$S$", title="S")
    >>> "(0,0.5) (1,0.75)" in tex, "inf" in tex
    (True, False)
    """
    if not xlabel or not ylabel:
        raise ValueError("every figure labels both axes")
    lines = [r"\begin{tikzpicture}",
             rf"\begin{{axis}}[width={width}, height={height}, xlabel={{{xlabel}}}, "
             rf"ylabel={{{ylabel}}}, title={{{title}}}, grid=major, grid style={{gray!25}},",
             r"  legend style={at={(0.5,-0.3)}, anchor=north, legend columns=-1, /tikz/every even column/.append style={column sep=6pt}}, legend cell align=left, tick label style={font=\scriptsize},",
             r"  label style={font=\small}, title style={font=\small}, legend style={font=\scriptsize},",
             r"  scaled y ticks=false, yticklabel style={/pgf/number format/fixed, /pgf/number format/precision=4}"
             + (", " + extra if extra else "") + "]"]
    plotted = 0
    for n, (legend, points) in enumerate(series):
        pts = []
        for x, y in points:
            try:
                fy = float(y)
            except (TypeError, ValueError):
                continue
            if math.isfinite(fy):
                pts.append(f"({x},{y})")
        if not pts:
            continue
        plotted += 1
        style = f"only marks, mark={_MARKS[n % len(_MARKS)]}, mark size=1.6pt" if scatter else \
            f"mark={_MARKS[n % len(_MARKS)]}, mark size=1.6pt, thick"
        lines.append(rf"\addplot+[{style}] coordinates {{{' '.join(pts)}}};")
        if len(series) > 1:
            lines.append(rf"\addlegendentry{{{legend}}}")
    if not plotted:
        lines.append(r"\addplot[draw=none] coordinates {(0,0)};")
        lines.append(r"\node at (rel axis cs:0.5,0.5) {\small no finite values to plot};")
    lines += [r"\end{axis}", r"\end{tikzpicture}"]
    return "\n".join(lines)


def _omitted(table, key, label):
    bad = [r["k"] for r in table["rows"] if r[key] is not None and not is_finite(r[key])]
    if not bad:
        return ""
    vals = {decimal(r[key]) for r in table["rows"] if r["k"] in bad}
    shown = {"+inf": r"$+\infty$", "-inf": r"$-\infty$"}
    return (f"{label} not plotted at $k = {', '.join(map(str, bad))}$ "
            f"(value {', '.join(shown.get(v, escape_tex(v)) for v in sorted(vals))}).")


def retraining_figures(table):
    """The figures along re-training for one case: a list of ``(tikz, caption TeX)``.

    Examples
    --------
    >>> from proofcheck import load_case
    >>> from proofcheck.verify.tables import retraining_table
    >>> figs = retraining_figures(retraining_table(load_case("cases/mountain_race.toml"), k_max=3))
    >>> len(figs)
    2
    """
    rows = table["rows"]
    if table["parametric"] or not rows:
        return []
    figs = []
    kappa_series = []
    notes = []
    for d in table["deltas"]:
        pts = [(r["k"], decimal(r["kappa"][d])) for r in rows]
        kappa_series.append((rf"$\delta = {value_tex(d)}$", pts))
        bad = [r["k"] for r in rows if not is_finite(r["kappa"][d])]
        if bad:
            notes.append(rf"$\kappa_{{{value_tex(d)}}} = +\infty$ at $k = {', '.join(map(str, bad))}$ (not plotted)")
    figs.append((line_plot(kappa_series, xlabel="re-training step $k$",
                           ylabel=r"$\kappa_\delta(\pi^G_k)$",
                           title=r"Boltzmann incoherence along re-training"),
                 r"Boltzmann incoherence $\kappa_\delta(\pi^G_k)$ (causal KL, exact, plotted as decimals) "
                 r"for several temperatures $\delta$." + (" " + "; ".join(notes) + "." if notes else "")))
    third = r"0.98\linewidth"
    s_plot = line_plot([(r"$S(\pi^G_k)$", [(r["k"], decimal(r["S"])) for r in rows])],
                       xlabel="step $k$", ylabel=r"$S(\pi^G_k)$", title=r"success probability",
                       width=third, height="4.6cm")
    j_plot = line_plot([(r"$J(\pi^G_k)$", [(r["k"], decimal(r["J"])) for r in rows])],
                       xlabel="step $k$", ylabel=r"$J(\pi^G_k)$", title=r"additive return",
                       width=third, height="4.6cm")
    dj = [(r["k"], decimal(r["dJ"])) for r in rows if r["dJ"] is not None]
    kdj = [(r["k"], decimal(r["k_dJ"])) for r in rows if r["k_dJ"] is not None]
    d_plot = line_plot([(r"$\Delta J_k$", dj), (r"$k\,\Delta J_k$", kdj)], xlabel="step $k$",
                       ylabel=r"increment (nats)", title="", width=third, height="4.6cm",
                       # the legend where the other panels have their title: nothing to cover
                       extra="legend style={at={(0.5,1.03)}, anchor=south}")
    panels = [s_plot, j_plot, d_plot]
    row = r"\hfill".join(r"\begin{minipage}[t]{0.325\linewidth}\centering" + "\n" + p + "\n"
                          + r"\end{minipage}" for p in panels)
    figs.append((row, r"Left to right: success probability $S(\pi^G_k)$, additive return $J(\pi^G_k)$, "
                 r"and the return increments $\Delta J_k = J(\pi^G_k) - J(\pi^G_{k-1})$ with "
                 r"$k\,\Delta J_k$ along re-training. C5.10 predicts $\Delta J_k = O(1/k)$ for "
                 r"deterministic dynamics, i.e.\ $k\,\Delta J_k$ bounded. "
                 + _omitted(table, "J", "$J$") + " " + _omitted(table, "dJ", r"$\Delta J_k$")))
    return figs


def experiment_figure(data):
    """Incoherence against effective horizon from a ``proofcheck experiment`` JSON
    (schema ``proofcheck.discussion/1``): ``(tikz, caption)`` or ``None`` when the data
    hold no usable rows.

    Examples
    --------
    >>> data = {"rows": [{"H": 1.5, "kappa_G1": 0.1, "kappa_prior": 0.3},
    ...                  {"H": 2.0, "kappa_G1": 0.2, "kappa_prior": 0.2}]}
    >>> tex, caption = experiment_figure(data)
    >>> "(1.5,0.1)" in tex
    True
    """
    rows = data.get("rows") or []
    g1, pr = [], []
    zero = {"kappa_G1": 0, "kappa_prior": 0}  # log axis: exact zeros (coherent) are counted, not drawn
    for r in rows:
        h = r.get("H")
        if not isinstance(h, (int, float)) or not math.isfinite(h):
            continue
        for key, out in (("kappa_G1", g1), ("kappa_prior", pr)):
            v = r.get(key)
            if isinstance(v, (int, float)) and math.isfinite(v):
                if v > 0:
                    out.append((_fmt_float(h), _fmt_float(v)))
                else:
                    zero[key] += 1
    if not g1 and not pr:
        return None
    series = [(r"$\kappa_\delta(\pi^G_1)$ (residual)", g1), (r"$\kappa_\delta(p)$ (prior)", pr)]
    summary = data.get("summary") or {}
    bins = summary.get("residual_incoherence_by_H") or []
    means = [(_fmt_float(b["H_bin"]), _fmt_float(b["mean_kappa_G1"])) for b in bins
             if isinstance(b.get("H_bin"), (int, float)) and isinstance(b.get("mean_kappa_G1"), (int, float))]
    tex = line_plot(series, xlabel="effective horizon $H$ (bound-based)", ylabel=r"$\kappa_\delta$",
                    title="incoherence against effective horizon", scatter=True, height="6.5cm",
                    extra="ymode=log")
    if means:
        add = (r"\addplot+[thick, mark=none, color=black] coordinates {"
               + " ".join(f"({x},{y})" for x, y in means) + "};\n"
               r"\addlegendentry{mean $\kappa_\delta(\pi^G_1)$ per $\lfloor H\rfloor$}")
        tex = tex.replace(r"\end{axis}", add + "\n" + r"\end{axis}")
    cfg = data.get("config") or {}
    n = len(rows)
    caption = (f"Incoherence against effective horizon for {n} random MDPs from "
               r"\texttt{proofcheck experiment}" + (f" (seed {escape_tex(cfg.get('seed'))}, "
                                                   f"$\\delta = {escape_tex(cfg.get('delta'))}$)" if cfg else "")
               + ". Logarithmic vertical axis; values in IEEE float64, as stated in the experiment's JSON."
               + (f" Not drawn (incoherence exactly 0): {zero['kappa_G1']} residual, {zero['kappa_prior']} prior."
                  if any(zero.values()) else ""))
    return tex, caption
