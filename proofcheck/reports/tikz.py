"""TikZ drawings of small MDPs, laid out in Python (no TikZ graph-drawing library).

Layout
------
The drawing is laid out by time layer: time runs left to right.  A deterministic action is one edge from a state to its
successor, two columns long; a stochastic action gets its own small node (a dot) one
column after its state, with one edge per outcome.  Each node's column is its longest
distance from an initial state (so a DAG whose branches merge stays layered).  For a
tree, rows come from a depth-first traversal in the model's order: leaves take successive
rows and every other node sits at the mean row of its children (the tidy drawing of a
tree).  When branches merge, each column is ordered by the barycentre of its neighbours
in the adjacent columns (a few sweeps each way, which removes most crossings) and
centred vertically.

Models with more than :data:`LABEL_LIMIT` states are drawn without edge labels (a few
dozen labels cannot be placed legibly; every value is in the JSON report).

Labels: states by their (escaped) names, terminal states with their success probability
``S``, initial states with a double border (and ``mu`` when there are several), edges
with the action, its prior ``p`` and, when not 1, its likelihood ``q`` and the transition
probability ``tau``.  Values are typeset with :func:`sympy.latex`.

Models with more than :data:`MAX_DRAWN_STATES` states get a summary table instead
(:func:`summary_table`).
"""

from __future__ import annotations

import sys
from collections import defaultdict

import sympy as sp

from proofcheck.model.expressions import EXACT_TEXT_DIGITS, big_rationals, number_text
from proofcheck.reports.escape import escape_tex

__all__ = ["MAX_DRAWN_STATES", "LABEL_LIMIT", "layout", "mdp_drawing", "drawing_has_labels",
           "summary_table", "value_tex"]

#: Larger models get a summary table instead of a drawing.
MAX_DRAWN_STATES = 40
#: Larger models are drawn without edge labels.
LABEL_LIMIT = 14


def drawing_has_labels(mdp):
    """Whether :func:`mdp_drawing` labels the edges of this model."""
    return mdp.n_states <= LABEL_LIMIT


def value_tex(value):
    """Inline LaTeX for an exact model value (already parsed, so safe to typeset).

    Examples
    --------
    >>> import sympy as sp
    >>> value_tex(sp.Rational(3, 4))
    '3/4'
    >>> value_tex(3 * sp.log(sp.Rational(3, 4)) / 5)
    '3 \\\\log{\\\\left(3/4 \\\\right)}/5'
    >>> value_tex(sp.Integer(1))
    '1'
    >>> value_tex(sp.Rational(1, 3 ** 9000))  # beyond EXACT_TEXT_DIGITS: leading digits and size
    '1/1233935551185735286846288930137558797813\\\\ldots(4295\\\\text{ digits})'
    """
    # Slashed fractions: legible in table cells and edge labels, and pdftotext gives
    # back "2/5" as printed in the paper.
    big = big_rationals(value, EXACT_TEXT_DIGITS)
    if not big:
        return sp.latex(value, fold_short_frac=True).replace(" / ", "/")
    # numbers of re-training a float-derived model reach 10^4 digits: their leading digits and
    # size, never str() of the integer (Python refuses it beyond 4300 digits)
    stand_in = {a: sp.Dummy() for a in big}
    names = {d: number_text(a).replace("\u2026(", r"\ldots(").replace(" digits)", r"\text{ digits})")
             for a, d in stand_in.items()}
    return sp.latex(value.xreplace(stand_in), fold_short_frac=True, symbol_names=names).replace(" / ", "/")


def _graph(mdp):
    """Layout nodes, edges and their labels: ``(nodes, edges)``.

    ``nodes``: ordered dict id -> {"kind": "state"|"action", ...};
    ``edges``: list of (src id, dst id, length in columns, label TeX).
    """
    nodes = {}
    edges = []
    for i in range(mdp.n_states):
        nodes[("s", i)] = {"kind": "state", "index": i}
    for j in range(mdp.n_pairs):
        i = int(mdp.pair_state[j])
        a = mdp.pair_action[j]
        e0, e1 = int(mdp.pair_ptr[j]), int(mdp.pair_ptr[j + 1])
        parts = [r"\textit{" + escape_tex(a) + "}", "$p=" + value_tex(mdp.prior[j]) + "$"]
        if mdp.likelihood[j] != 1:
            parts.append("$q=" + value_tex(mdp.likelihood[j]) + "$")
        label = ", ".join(parts)
        if e1 - e0 == 1:
            edges.append((("s", i), ("s", int(mdp.edge_target[e0])), 2, label, "pair"))
        else:
            nodes[("a", j)] = {"kind": "action", "pair": j}
            edges.append((("s", i), ("a", j), 1, label, "pair"))
            for e in range(e0, e1):
                edges.append((("a", j), ("s", int(mdp.edge_target[e])), 1,
                              r"$\tau=" + value_tex(mdp.edge_prob[e]) + "$", "outcome"))
    return nodes, edges


def layout(mdp):
    """Column and row of every layout node: dict id -> (column, row).

    Examples
    --------
    >>> from proofcheck.examples import mountain_race
    >>> pos = layout(mountain_race())
    >>> m = mountain_race()
    >>> [pos[("s", m.index[s])] for s in ("start", "mountain", "gold")]
    [(0, 1.5), (2, 0.5), (4, 0.0)]
    """
    nodes, edges = _graph(mdp)
    succ = defaultdict(list)
    preds = defaultdict(int)
    for src, dst, length, _, _ in edges:
        succ[src].append((dst, length))
        preds[dst] += 1
    roots = [("s", i) for i in range(mdp.n_states) if mdp.initial[i] != 0]
    roots += [n for n in nodes if preds[n] == 0 and n not in roots]
    # Longest distance from a root: nodes come in topological order (states by
    # decreasing height, action nodes right after their state), so one sweep suffices.
    order = []
    for i in range(mdp.n_states):
        order.append(("s", i))
        for j in range(int(mdp.state_ptr[i]), int(mdp.state_ptr[i + 1])):
            if ("a", j) in nodes:
                order.append(("a", j))
    col = {n: 0 for n in nodes}
    for n in order:
        for dst, length in succ[n]:
            col[dst] = max(col[dst], col[n] + length)
    # States no initial state reaches sit one step before their earliest successor (not
    # in the first column, which is time 0).
    reach = set(roots[:n_init]) if (n_init := sum(1 for i in range(mdp.n_states) if mdp.initial[i] != 0)) else set(roots)
    for n in order:
        if n in reach:
            reach.update(dst for dst, _ in succ[n])
    for n in reversed(order):
        if n not in reach and succ[n]:
            col[n] = max(0, min(col[dst] - length for dst, length in succ[n]))
    # Depth-first traversal in model order: leaves take successive rows.
    row = {}
    next_row = [0]

    def place(n):
        kids = []
        row[n] = None
        for dst, _ in succ[n]:
            if dst not in row:
                place(dst)
                kids.append(dst)
        if kids:
            row[n] = sum(row[k] for k in kids) / len(kids)
        else:
            row[n] = float(next_row[0])
            next_row[0] += 1

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 4 * len(nodes) + 100))
    try:
        for r in roots:
            if r not in row:
                place(r)
    finally:
        sys.setrecursionlimit(limit)
    sources = defaultdict(set)
    for src, dst, _, _, _ in edges:
        sources[dst].add(src)
    if any(len(v) > 1 for v in sources.values()):  # branches merge: not a tree
        row = _barycentre_rows(nodes, edges, col, row)
    return {n: (col[n], row[n]) for n in nodes}


def _barycentre_rows(nodes, edges, col, start):
    """Rows for a layered DAG: order each column by the mean position of its neighbours in
    the previous (then the next) column, a few sweeps, starting from ``start``; each column
    is centred on the tallest one."""
    preds, succs = defaultdict(list), defaultdict(list)
    for src, dst, _, _, _ in edges:
        preds[dst].append(src)
        succs[src].append(dst)
    columns = defaultdict(list)
    for n in nodes:
        columns[col[n]].append(n)
    order = {c: sorted(ns, key=lambda n: (start[n], list(nodes).index(n))) for c, ns in columns.items()}
    cols = sorted(order)
    height = max(len(v) for v in order.values())

    def rows_now():
        return {n: i + (height - len(order[c])) / 2 for c in cols for i, n in enumerate(order[c])}

    for _ in range(4):
        for seq, nbrs in ((cols[1:], preds), (cols[-2::-1], succs)):
            for c in seq:
                pos = rows_now()
                def key(n, pos=pos, nbrs=nbrs):
                    ps = [pos[m] for m in nbrs[n]]
                    return (sum(ps) / len(ps)) if ps else pos[n]
                order[c] = sorted(order[c], key=lambda n: (key(n), pos[n]))
    return {n: float(r) for n, r in rows_now().items()}


def mdp_drawing(mdp, *, max_height_cm=17.0, max_width_cm=15.5):
    """A ``tikzpicture`` of the MDP, or ``None`` when it has too many states.

    Examples
    --------
    >>> from proofcheck.examples import mountain_race
    >>> tex = mdp_drawing(mountain_race())
    >>> tex.count(r"\\node"), tex.count(r"\\draw")
    (7, 6)
    >>> "silver\\\\_up" in tex
    True
    """
    if mdp.n_states > MAX_DRAWN_STATES:
        return None
    nodes, edges = _graph(mdp)
    pos = layout(mdp)
    n_rows = max(r for _, r in pos.values()) + 1
    n_cols = max(c for c, _ in pos.values()) + 1
    # Columns 2.1 cm apart leave room for an edge label; shrink to fit the page.
    xunit = min(2.6, max_width_cm / max(n_cols, 1))
    yunit = min(1.35, max_height_cm / max(n_rows, 1))
    initials = [i for i in range(mdp.n_states) if mdp.initial[i] != 0]
    labelled = drawing_has_labels(mdp)
    font = r"\small" if labelled else r"\scriptsize"
    lines = [r"\begin{tikzpicture}[>=stealth, every node/.style={font=" + font + "},",
             r"  st/.style={draw, rounded corners=2pt, align=center, inner sep=2pt, fill=white},",
             r"  init/.style={double, thick},",
             r"  act/.style={circle, fill=black, inner sep=1.3pt},",
             r"  lbl/.style={font=\scriptsize, fill=white, inner sep=1pt, align=center}]"]
    ids = {}
    for k, n in enumerate(nodes):
        ids[n] = f"n{k}"
        c, r = pos[n]
        xy = f"({c * xunit:.3f}, {-r * yunit:.3f})"
        if nodes[n]["kind"] == "action":
            lines.append(rf"\node[act] ({ids[n]}) at {xy} {{}};")
            continue
        i = nodes[n]["index"]
        text = escape_tex(mdp.states[i])
        if mdp.terminal[i]:
            text += r"\\ $S=" + value_tex(mdp.success[i]) + "$"
        style = "st"
        if i in initials:
            style += ", init"
            if len(initials) > 1:
                text += r"\\ $\mu=" + value_tex(mdp.initial[i]) + "$"
        lines.append(rf"\node[{style}] ({ids[n]}) at {xy} {{{text}}};")
    seen = defaultdict(int)
    multiplicity = defaultdict(int)
    for src, dst, _, _, _ in edges:
        multiplicity[(src, dst)] += 1
    for src, dst, _, label, kind in edges:
        end = "" if nodes[dst]["kind"] == "action" else "->"
        n_par, i_par = multiplicity[(src, dst)], seen[(src, dst)]
        seen[(src, dst)] += 1
        if not labelled:
            # Many states: thin unlabelled edges (every value is in the JSON report).
            opts = ", ".join(x for x in (end, "black!55", "thin") if x)
            if n_par > 1:
                angle = int(round(16 * (i_par - (n_par - 1) / 2)))
                bend = f"bend left={angle}" if angle >= 0 else f"bend right={-angle}"
                lines.append(rf"\draw[{opts}] ({ids[src]}) to[{bend}] ({ids[dst]});")
            else:
                lines.append(rf"\draw[{opts}] ({ids[src]}) -- ({ids[dst]});")
            continue
        if n_par > 1:
            # Parallel edges (two actions with the same successor) fan out symmetrically.
            angle = int(round(24 * (i_par - (n_par - 1) / 2)))
            bend = f"bend left={angle}" if angle >= 0 else f"bend right={-angle}"
            side = "above" if angle >= 0 else "below"
            lines.append(rf"\draw[{end or '-'}] ({ids[src]}) to[{bend}] node[lbl, sloped, {side}=1pt] "
                         rf"{{{label}}} ({ids[dst]});")
            continue
        # Outcome labels sit near the action dot, where the edges still diverge; labels
        # at the midpoint collide where outcome edges of two actions cross.
        where = "pos=0.38, " if kind == "outcome" else ""
        lines.append(rf"\draw[{end or '-'}] ({ids[src]}) -- node[lbl, {where}sloped, above=1pt] "
                     rf"{{{label}}} ({ids[dst]});")
    lines.append(r"\end{tikzpicture}")
    return "\n".join(lines)


def summary_table(mdp):
    """A LaTeX table summarising a model too large to draw: counts per height level.

    Examples
    --------
    >>> from proofcheck.examples import mountain_race
    >>> "Height" in summary_table(mountain_race())
    True
    """
    rows = []
    for blk in reversed(mdp.blocks):
        n_s = blk.states.stop - blk.states.start
        n_p = blk.pairs.stop - blk.pairs.start
        n_e = blk.edges.stop - blk.edges.start
        rows.append(f"{blk.height} & {n_s} & {n_p} & {n_e} \\\\")
    initials = [mdp.states[i] for i in range(mdp.n_states) if mdp.initial[i] != 0]
    shown = ", ".join(escape_tex(s) for s in initials[:5]) + (", \\dots" if len(initials) > 5 else "")
    return "\n".join([
        r"\begin{center}\small",
        r"\begin{tabular}{rrrr}\toprule",
        r"Height & States & Actions (pairs) & Outcome edges \\\midrule",
        *rows,
        r"\bottomrule\end{tabular}\par\smallskip",
        f"{mdp.n_states} states (more than {MAX_DRAWN_STATES}: not drawn), initial: {shown}.",
        r"\end{center}"])
