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

import math
import re

import sympy as sp

from proofcheck.claims.registry import fmt
from proofcheck.reports.escape import escape_tex, tex_verbatim_lines
from proofcheck.reports.figures import experiment_figure, retraining_figures
from proofcheck.reports.tikz import drawing_has_labels, mdp_drawing, summary_table, value_tex
from proofcheck.verify.tables import decimal, is_finite

__all__ = ["report_document", "case_section", "brief_case_section", "claim_block", "math_value",
           "text", "ascii_math", "prose_tex", "math_or_text", "verdict_grid", "grid_rows",
           "evidence_table", "claim_statement", "CLAIM_TEX", "LONG_MATH"]

#: Exact values whose LaTeX is longer than this are shown as decimals (the exact text
#: is in the JSON report).
LONG_MATH = 90
#: Closed forms whose LaTeX is longer are given as \dag and their size (the text is in the
#: JSON report): scaled to their column they are unreadable, and float-derived models give
#: forms of 10^5 characters, wider than TeX's largest box.
LONG_FORM = 400

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


# ---------------------------------------------------------------- ASCII formulas -> LaTeX
# The claims and the engine write formulas in ASCII (``pi_alpha=2^k = pi^H_k``,
# ``KL(pi || p)``, ``lim_(delta->0) kappa_delta``).  :func:`ascii_math` typesets one such
# formula as LaTeX math and :func:`prose_tex` finds the formulas inside a sentence.  Only
# a whitelist of characters is accepted as math (letters, digits, ``_^()[]{}|,.:;+-*/=<>!'``
# and spaces); anything else falls back to escaped text, so no user text can inject TeX.

_GREEK = {g: "\\" + g for g in ("alpha", "beta", "gamma", "delta", "epsilon", "kappa", "lambda",
                                "mu", "nu", "pi", "rho", "sigma", "tau", "xi", "phi", "psi", "omega",
                                "eta", "theta", "Delta", "Pi", "Sigma", "Gamma")}
_FUNCS = {"log": r"\log", "exp": r"\exp", "lim": r"\lim", "max": r"\max", "min": r"\min",
          "sup": r"\sup", "sum": r"\sum", "prod": r"\prod", "argmax": r"\operatorname{arg\,max}",
          "argmin": r"\operatorname{arg\,min}", "KL": r"\mathrm{KL}", "sqrt": r"\sqrt",
          "oo": r"\infty", "inf": r"\infty", "infty": r"\infty", "RHS": r"\mathrm{RHS}",
          "LHS": r"\mathrm{LHS}"}
#: names with a built-in subscript: ``Zv_prior`` is Z_V^{prior}
_SUBBED = {"Zv": ("Z", "V"), "Zq": ("Z", "Q")}
_MATH_OK = re.compile(r"^[A-Za-z0-9_^()\[\]{}|,.:;+\-*/=<>!' \u221d]*$")
_TOKEN = re.compile(r"""(?P<sp>\s+)|(?P<op><=>|=>|->|>=|<=|!=|\|\||:=|\.\.)|
    (?P<cid>[A-Z]\d*(?:\.[A-Za-z0-9]+)+)|(?P<num>\d+(?:\.\d+)?(?:e[-+]?\d+)?)|
    (?P<id>[A-Za-z][A-Za-z0-9']*(?:-[A-Za-z][A-Za-z0-9']*)*)|(?P<ch>.)""", re.X)
_OPS = {"<=>": r"\Leftrightarrow ", "=>": r"\Rightarrow ", "->": r"\to ", ">=": r"\geq ", "<=": r"\leq ", "!=": r"\neq ", "||": r"\,\|\,",
        ":=": r"\mathrel{:=}", "..": r"\ldots ", "=": "=", "<": "<", ">": ">", "+": "+",
        "-": "-", ":": r"\colon ", ";": r";\ ", ",": ",", "/": "/", "|": r"\mid ",
        "\u221d": r"\propto "}


def _tokens(s):
    out = []
    for m in _TOKEN.finditer(s):
        kind = m.lastgroup
        out.append((kind, m.group(kind)))
    return out


def _num_tex(v):
    if "e" in v:
        mant, exp = v.split("e")
        exp = exp.lstrip("+")
        return rf"10^{{{exp}}}" if mant in ("1", "1.0") else rf"{mant}\times 10^{{{exp}}}"
    return v


def _word_tex(w):
    if w in _GREEK:
        return _GREEK[w]
    if w in _FUNCS:
        return _FUNCS[w]
    if w[:1] == "d" and w[1:] in _GREEK:  # d/dalpha
        return "d" + _GREEK[w[1:]]
    if len(w) == 1 or re.fullmatch(r"[A-Za-z]\d+'*", w) or re.fullmatch(r"[A-Za-z]'+", w):
        return w
    return r"\text{" + w + "}"


class _Parser:
    def __init__(self, toks):
        self.t = toks
        self.i = 0

    def peek(self, k=0):
        j = self.i + k
        return self.t[j] if j < len(self.t) else (None, None)

    def group(self, close):  # noqa: C901
        """Tokens up to the matching ``close`` (the opener consumed); returns TeX."""
        opener = {")": "(", "]": "[", "}": "{"}[close]
        depth, start = 0, self.i
        while self.i < len(self.t):
            kind, v = self.t[self.i]
            if kind == "ch" and v == opener:
                depth += 1
            elif kind == "ch" and v == close:
                if depth == 0:
                    inner = self.t[start:self.i]
                    self.i += 1
                    return _render(inner, cond=close == ")")
                depth -= 1
            self.i += 1
        return _render(self.t[start:], cond=close == ")")  # unbalanced: what is there

    def script(self):
        kind, v = self.peek()
        if kind == "ch" and v in "({":
            self.i += 1
            return self.group(")" if v == "(" else "}")
        if kind in ("id", "num"):
            self.i += 1
            out = _word_tex(v) if kind == "id" else v
            # pi_alpha=2^k: an assignment written into the subscript, without spaces
            k2, v2 = self.peek()
            k3, v3 = self.peek(1)
            if k2 == "ch" and v2 == "=" and k3 in ("id", "num"):
                self.i += 2
                out += "=" + (_word_tex(v3) if k3 == "id" else v3)
                if self.peek() == ("ch", "^") and self.peek(1)[0] in ("id", "num"):
                    self.i += 1
                    out += "^{" + self.script() + "}"
            return out
        if kind == "ch" and v in "*.":
            self.i += 1
            return r"\ast" if v == "*" else r"\cdot"
        if kind == "ch" and v in "-+" and self.peek(1)[0] in ("id", "num"):  # 2^-i
            self.i += 1
            return v + self.script()
        return ""

    def atom_scripts(self, base, sub="", sup=""):
        while True:
            kind, v = self.peek()
            if kind == "ch" and v == "_":
                self.i += 1
                x = self.script()
                if not sub:
                    sub = x
                elif not sup:
                    sup = x
                else:
                    sub += "," + x
            elif kind == "ch" and v == "^":
                self.i += 1
                x = self.script()
                if not sup:
                    sup = x
                elif sub:
                    sub += "^{" + x + "}"
                else:
                    sup += x
            elif kind == "ch" and v == "*" and self._star_is_superscript():
                self.i += 1
                sup = (sup + r"\ast") if sup else r"\ast"
            else:
                break
        out = base
        if sub:
            out += "_{" + sub + "}"
        if sup:
            out += "^{" + sup + "}"
        return out

    def _star_is_superscript(self):
        nxt = self.peek(1)
        return nxt[0] in (None, "sp") or (nxt[0] == "ch" and nxt[1] in ")],:;=|")


def _render(toks, cond=False):
    p = _Parser(toks)
    out = []
    prev = None  # kind of the previous emitted piece: "atom" or "op"
    pending_space = False
    while p.i < len(p.t):
        kind, v = p.t[p.i]
        p.i += 1
        if kind == "sp":
            pending_space = True
            continue
        if kind == "id":
            if v in _SUBBED:
                base, sub = _SUBBED[v]
                piece = p.atom_scripts(base, sub)
            else:
                piece = p.atom_scripts(_word_tex(v))
            cur = "atom"
        elif kind == "num":
            piece = p.atom_scripts(_num_tex(v))
            cur = "atom"
        elif kind == "cid":  # a claim id such as T5.9.A
            piece, cur = r"\text{" + v + "}", "atom"
        elif kind == "ch" and v == "|" and not cond:  # |x|: absolute value
            piece, cur = "|", "op"
        elif kind == "op" or (kind == "ch" and v in _OPS):
            piece, cur = _OPS[v], "op"
            if v == "," and pending_space is False and p.peek()[0] == "sp":
                piece = r",\ "
        elif kind == "ch" and v in "([{":
            close = {"(": ")", "[": "]", "{": "}"}[v]
            inner = p.group(close)
            piece = p.atom_scripts({"(": "(", "[": "[", "{": r"\{"}[v] + inner
                                   + {"(": ")", "[": "]", "{": r"\}"}[v])
            cur = "atom"
        elif kind == "ch" and v == "*":
            piece, cur = r"\,", "op"
        elif kind == "ch" and v == ".":
            piece, cur = r"\cdot ", "atom"
        elif kind == "ch" and v == "!":
            piece, cur = "!", "atom"
        elif kind == "ch" and v == "'":
            piece, cur = "'", "atom"
        else:  # stray ) ] } _ ^
            piece, cur = {")": ")", "]": "]", "}": r"\}", "_": r"\_", "^": r"\hat{}"}.get(v, ""), "atom"
        if pending_space and prev == "atom" and cur == "atom" and (
                out[-1].startswith(r"\text") or piece.startswith((r"\text", r"(\text"))):
            out.append(r"\ ")  # words, or a remark in words: "p > 4/7 (on [0, 1])"
        if out and piece[:1].isalpha() and re.search(r"\\[A-Za-z]+$", out[-1]):
            out.append(" ")  # \Delta J, not \DeltaJ
        out.append(piece)
        prev, pending_space = cur, False
    return "".join(out)


def ascii_math(s):
    """LaTeX math (without ``$``) for an ASCII formula, or ``None`` when ``s`` has characters
    that are not formula characters (then show it as text).

    Examples
    --------
    >>> ascii_math("pi_alpha=2^k = pi^H_k")
    '\\\\pi_{\\\\alpha=2^{k}}=\\\\pi_{k}^{H}'
    >>> ascii_math("pi^G_2^k")
    '\\\\pi_{2^{k}}^{G}'
    >>> ascii_math("KL(pi||p)")
    '\\\\mathrm{KL}(\\\\pi\\\\,\\\\|\\\\,p)'
    >>> ascii_math("Zv_prior(start)")
    'Z_{V}^{\\\\text{prior}}(\\\\text{start})'
    >>> ascii_math(r"\\input{x}") is None
    True
    >>> ascii_math("case p > 4/7 (on [0, 1])")
    '\\\\text{case}\\\\ p>4/7\\\\ (\\\\text{on}\\\\ [0,\\\\ 1])'
    """
    s = str(s)
    if not _MATH_OK.match(s):
        return None
    return _render(_tokens(s.strip().replace("**", "^")))


def math_or_text(s):
    """``$...$`` for an ASCII formula, escaped text when it is not one."""
    body = ascii_math(s)
    return text(s) if body is None or not body else f"${body}$"


_MATHY = re.compile(r"[_^*/=|]|->|^[A-Za-z][A-Za-z0-9]*[(\[]|^[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?[-+]?$|^[-+]?(?:" + "|".join(
    list(_GREEK) + ["oo", "inf", "KL", "log", "exp", "lim", "argmax"]) + r")$|^[b-zB-HJ-Z]'*$")
_JOIN = {"=", "->", "<=>", "=>", "+", "-", "<=", ">=", "!=", "<", ">", "*", "/", "x", "|", "||", "~"}
_IDENT = re.compile(r"^[a-z]+_[a-z_]+$")  # fold_term, h_indexing: configuration names


#: A number too long to stay on one line: a float-derived model's exact rationals.
_LONG_NUMBER = re.compile(r"-?(?=[\d/]{41})\d+(/\d+)?")


def prose_tex(s, breakable=True):
    """A sentence with ASCII formulas: the formulas typeset as math, the words as text.

    Examples
    --------
    >>> prose_tex("S is non-decreasing along pi^G_0..pi^G_10", breakable=False)
    '$S$ is non-{}decreasing along $\\\\pi_{0}^{G}\\\\ldots \\\\pi_{10}^{G}$'
    >>> prose_tex("under fold_term = ratio", breakable=False)
    'under \\\\texttt{fold\\\\_term} = ratio'
    >>> prose_tex("limit 1234567890123456789012/34567890123456789012345 (exact)")
    'limit 1234567890\\\\allowbreak{}1234567890\\\\allowbreak{}12/3456789\\\\allowbreak{}0123456789\\\\allowbreak{}012345 (exact)'
    """
    s = " ".join(str(s).split())
    if not s:
        return ""
    words = s.split(" ")
    pieces = []  # (is_math, text)
    for w in words:
        lead = ""
        core = w
        while (core[:1] == "(" and core.count("(") > core.count(")")) or core[:1] in "\"[" \
                and not (core[:1] == "[" and "]" in core[1:-1]):
            lead += core[0]
            core = core[1:]
        trail = ""
        while core and (core[-1] in ",;.\"" or (core[-1] == ":" and len(core) > 1)
                        or (core[-1] == ")" and core.count(")") > core.count("("))
                        or (core[-1] == "]" and core.count("]") > core.count("["))):
            trail = core[-1] + trail
            core = core[:-1]
        if core.endswith("..") and trail.startswith("."):
            pass
        is_ident = bool(_IDENT.match(core)) and not any(
            part in _GREEK or part in _FUNCS or part in _SUBBED for part in core.split("_"))
        mathy = bool(core) and not is_ident and (bool(_MATHY.search(core)) or core in _JOIN) \
            and (re.search(r"[A-Za-z0-9]", core) is not None or core in _JOIN) \
            and ascii_math(core) is not None
        if lead:
            pieces.append((False, lead))
        if _LONG_NUMBER.fullmatch(core):  # unbreakable as math: text that may wrap every 10 digits
            pieces.append((False, "\x01" + core))
        elif is_ident:
            pieces.append((False, "\x00" + core))
        elif core:
            pieces.append((mathy, core))
        if trail:
            pieces.append((False, trail))
        pieces.append((None, " "))
    pieces.pop()
    for n, (is_m, t) in enumerate(pieces):
        if is_m and t in _JOIN:
            before = [p for p in pieces[:n] if p[0] is not None][-1:]
            after = [p for p in pieces[n + 1:] if p[0] is not None][:1]
            if t not in ("<=>", "=>", "->") and not (before and after and before[0][0] and after[0][0]):
                pieces[n] = (False, t)
    # Merge runs: math pieces joined through spaces; an operator-only word between two
    # math pieces joins them.
    out = []
    i = 0
    while i < len(pieces):
        is_m, t = pieces[i]
        if is_m:
            run = [t]
            j = i + 1
            while j + 1 < len(pieces) and pieces[j][0] is None and pieces[j + 1][0] is True:
                run += [" ", pieces[j + 1][1]]
                j += 2
            body = ascii_math("".join(run))
            out.append(f"${body}$")
            i = j
            continue
        if is_m is None:
            out.append(" ")
        elif t.startswith("\x00"):
            out.append(r"\texttt{" + escape_tex(t[1:]) + "}")
        elif t.startswith("\x01"):
            out.append(r"\allowbreak{}".join(re.findall(r".{1,10}", escape_tex(t[1:]))))
        else:
            out.append(text(t, breakable))
        i += 1
    return "".join(out)


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
        if len(body) <= 3 * long:  # a parametric expression: typeset, it may wrap
            return f"${body}$"
        return r"\dag{} (too long to print; exact text in the JSON report)"
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
    if value.is_Rational and not value.is_Integer and len(body) <= 3 * LONG_MATH:
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


#: Claim statements as LaTeX (the registry's statements are ASCII); claims not listed
#: here fall back to :func:`prose_tex` of their ASCII statement.
CLAIM_TEX = {
    "P4.2": r"$Q_\pi(s,a) = \log P_\pi(O_{t:T}=1 \mid s,a)$ and $V_\pi(s) = \log P_\pi(O_{t:T}=1 \mid s)$ "
            r"for every policy $\pi$.",
    "P4.3": r"For deterministic dynamics, $p(\xi \mid O_{1:T}=1) = \prod_t p(a_t \mid s_t, O_{t:T}=1)\,"
            r"\tau(s_{t+1} \mid s_t, a_t)$.",
    "P4.16": r"For $T = 1$ the Boltzmann-coherent policy maximises $\mathbb{E}[r] - \mathrm{KL}(\pi\,\|\,p)$; "
             r"the maximiser is $\propto p\,e^{r}$.",
    "P4.7": r"$\mathrm{KL}\bigl(P_\pi(\xi)\,\|\,P_{\pi'}(\xi)\bigr) = \sum_t \mathbb{E}_{s\sim d^t_\pi}\,"
            r"\mathrm{KL}\bigl(\pi(\cdot\mid s)\,\|\,\pi'(\cdot\mid s)\bigr)$ with $\pi' = \pi^{Q,f}$.",
    "P4.8": r"Deterministic dynamics, $f = \operatorname{arg\,max}$ with unique maxima: $\pi$ is "
            r"$f$-coherent iff $\pi$ is greedy with respect to $Q_\pi$.",
    "P4.10": r"$\pi^B_i = f\text{-soft}(\pi^B_{i-1})$ is $f$-coherent for $i \geq T$.",
    "P5.2": r"There are MDPs where $G(p)$ is not Boltzmann-coherent at any temperature $\delta > 0$ "
            r"(Example 1).",
    "P5.4": r"$J(\pi^G_{i+1}) \geq J(\pi^G_i)$ for all $i$.",
    "P5.4.certified": r"$J(\pi^G_{i+1}) \geq J(\pi^G_i)$ for all $i$ (certified by interval arithmetic).",
    "T5.9": r"Deterministic dynamics, $\alpha(k) = 2^k$: $\pi_{\alpha(k)} = \pi^G_{2^k} = \pi^F_{2^k} = \pi^H_k$.",
    "T5.9.A": r"Deterministic dynamics: $\pi_{\alpha = 2^k} = \pi^H_k$.",
    "T5.9.B": r"Any dynamics: $\pi^G_k = \pi^F_k$.",
    "T5.9.C": r"Deterministic dynamics: $\pi^F_k = \pi_{\alpha = k}$.",
    "P4.13": r"As $\delta \to 0$, $\pi^\delta(\cdot\mid s) \to$ the uniform policy over "
             r"$\operatorname{arg\,max}_a Q_\pi(s,a)$.",
    "C4.14": r"If $p$ is optimal then $\lim_{\delta\to0} p^\delta$ (uniform over $\operatorname{arg\,max} Q_p$) "
             r"is optimal; not in general otherwise.",
    "C4.15": r"$\pi$ optimal $\Rightarrow \lim_{\delta\to0} \kappa_\delta(\pi) < \infty$; the converse fails.",
    "P5.5": r"$\pi^G_i$ converges; if the prior has full support, $\lim_i \pi^G_i$ is optimal.",
    "C5.10": r"$J(\pi^G_k) - J(\pi^G_{k-1}) = \frac{1}{k}\,\frac{J' H'}{J'' + H''/k} + O(1/k^2)$ "
             r"(derivatives in the temperature), so the improvements shrink like $1/k$.",
    "C5.11": r"$\lim_{(\delta, i) \to (0, \infty)} \kappa_\delta(\pi^G_i) = 0$.",
    "D.1": r"On the appendix-D example no control-as-inference policy $G(p)$ is both 1-policy-stable "
           r"and 2-policy-stable at the root.",
    "X.numeric": r"Exact values of $\pi^G_k$, $S$, $J$ and $\kappa_\delta$ agree with explicit iteration in "
                 r"mpmath and interval arithmetic (and with the closed forms where they exist).",
    "X.reference": r"Every policy, $S$, $J$, $\kappa$ and $Z_V$ value of the engine equals the value "
                   r"computed from the definitions over the graph (exact fractions, summed with GMP where gmpy2 is "
                   r"installed; no code shared with the engine).",
}


def claim_statement(r):
    """The claim's statement in LaTeX (the mapping above, else the ASCII statement converted)."""
    return CLAIM_TEX.get(r.claim_id) or prose_tex(r.statement or "")


_SHORT = {"holds": ("green!45!black", "holds"), "fails": ("red!75!black", "FAILS"),
          "undecided": ("orange!85!black", "undecided"), "not-applicable": ("gray!80!black", "n/a")}


def _claim_counts(claims):
    counts = {"holds": 0, "fails": 0, "undecided": 0, "not-applicable": 0}
    for r in claims:
        counts[r.verdict.value] += 1
    return counts


def _repair_text(repair):
    """A claim's repair (``ClaimResult.repair``, when the claims layer provides one) as TeX."""
    if isinstance(repair, dict):
        return "; ".join(f"{prose_tex(k)}: {prose_tex(v)}" for k, v in repair.items())
    if isinstance(repair, (list, tuple)):
        return "; ".join(prose_tex(v) for v in repair)
    return prose_tex(repair)


def grid_rows(results):
    """The verdict grid as data: ``(labels, cells)`` with ``cells[label][case index] =
    ClaimResult`` (claims in order of first appearance)."""
    labels, cells = [], {}
    for n, res in enumerate(results):
        for r in res.claims:
            if r.label not in cells:
                labels.append(r.label)
                cells[r.label] = {}
            cells[r.label][n] = r
    return labels, cells


def verdict_grid(results):
    """Page 1: claims x cases, each cell the verdict (and a numbered repair when the
    claim result carries one), with the case key and the repairs below."""
    labels, cells = grid_rows(results)
    numbered = len(results) > 5 or any(len(res.case.name) > 18 for res in results)
    heads = [(f"({n + 1})" if numbered else r"\texttt{" + text(res.case.name, False) + "}")
             for n, res in enumerate(results)]
    repairs = []
    rows = []
    for label in labels:
        first = next(iter(cells[label].values()))
        title = first.title if len(first.title) <= 60 else first.title[:57].rsplit(" ", 1)[0] + " ..."
        row = [r"\textbf{" + text(label, False) + "}", r"{\footnotesize " + prose_tex(title, False) + "}"]
        for n in range(len(results)):
            r = cells[label].get(n)
            if r is None:
                row.append("--")
                continue
            colour, word = _SHORT[r.verdict.value]
            cell = rf"\textcolor{{{colour}}}{{{word}}}"
            repair = getattr(r, "repair", None)
            if repair:
                repairs.append((label, results[n].case, repair))
                cell += rf"\textsuperscript{{R{len(repairs)}}}"
            row.append(cell)
        rows.append(" & ".join(row) + r" \\")
    foot = []
    for key, name in (("holds", "holds"), ("fails", "fails"), ("undecided", "undecided"),
                      ("not-applicable", "n/a")):
        foot.append(" & ".join([r"\multicolumn{2}{r}{" + name + "}"]
                               + [str(_claim_counts(res.claims)[key]) for res in results]) + r" \\")
    foot.append(" & ".join([r"\multicolumn{2}{r}{expectations met}"]
                           + [f"{sum(1 for e in res.expectations if e.ok is True)}/{len(res.expectations)}"
                              for res in results]) + r" \\")
    out = [r"\begin{center}\small\fitwidth{\begin{tabular}{ll" + "c" * len(results) + r"}\toprule",
           " & ".join(["Claim", "", *heads]) + r" \\\midrule", *rows, r"\midrule", *foot,
           r"\bottomrule\end{tabular}}\end{center}"]
    if numbered:
        out.append(r"{\small Cases: " + "; ".join(
            f"({n + 1}) " + r"\texttt{" + text(res.case.name, False) + "}" for n, res in enumerate(results))
            + r".}\par")
    if repairs:
        out.append(r"{\small\emph{Repairs:} " + "; ".join(
            rf"R{n + 1} ({text(label, False)}, \texttt{{{text(case.name, False)}}}): {_repair_text(rep)}"
            for n, (label, case, rep) in enumerate(repairs)) + r".}\par")
    return "\n".join(out)


# ---------------------------------------------------------------- evidence as tables
_KROW = re.compile(r"^k = (\d+): (.+)$")
_INDEXED = re.compile(r"^(?P<head>.*?[_(]?)(?P<k>\d+)(?P<tail>\)?)$")
MAX_EVIDENCE_ROWS = 14


def _cell(v):
    """One evidence value in a table cell."""
    if isinstance(v, bool):
        return r"$\checkmark$" if v else r"\textcolor{red!75!black}{$\times$}"
    if isinstance(v, dict):
        return "; ".join(f"{prose_tex(k, False)}: {_cell(x)}" for k, x in v.items())
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_cell(x) for x in v) + "]"
    if isinstance(v, (int, sp.Basic)) or v is None:
        return math_value(v)
    if isinstance(v, float):
        return f"${_num_tex(repr(v))}$" if math.isfinite(v) else text(v)
    s = str(v)
    if _is_formula(s):
        return f"${ascii_math(s)}$"
    return prose_tex(s) if len(s) <= 160 else prose_tex(s[:157] + "...")


def _is_formula(s):
    """Whether a whole string is one formula (``3*log(3*(8*p/3 + 2))/(4*p + 3)``): formula
    characters only, and every name a symbol, a Greek letter or a function."""
    if len(s) > 400 or ascii_math(s) is None or not re.search(r"[*/^()]", s):
        return False
    for kind, v in _tokens(s):
        if kind == "id" and not (len(v) == 1 or v in _GREEK or v in _FUNCS
                                 or re.fullmatch(r"[A-Za-z]\d+'*", v)):
            return False
        if kind == "ch" and v in ":;":
            return False
    return True


def _head(key):
    key = str(key)
    if _IDENT.match(key) and not any(p in _GREEK for p in key.split("_")):
        return text(key.replace("_", " "), False)  # all_enclosures_contain_exact
    return {"equal": "equal", "value": "value", "lhs": "left side", "rhs": "right side"}.get(key) \
        or prose_tex(key, False)


def _per_k_table(rows):
    """Rows ``k = K: IDENTITY`` with ``equal``: one line per identity, one column per k."""
    ks, idents, cell = [], [], {}
    for row in rows:
        m = _KROW.match(str(row.get("quantity", "")))
        k, ident = int(m.group(1)), m.group(2)
        if k not in ks:
            ks.append(k)
        if ident not in idents:
            idents.append(ident)
        extra = {a: b for a, b in row.items() if a not in ("quantity", "equal")}
        mark = _cell(bool(row["equal"])) if "equal" in row else ""
        cell[(ident, k)] = mark + ("" if not extra else " " + "; ".join(_cell(b) for b in extra.values()))
    lines = [r"\begin{center}\small\fitwidth{\begin{tabular}{l" + "c" * len(ks) + r"}\toprule",
             " & ".join(["identity", *[f"$k={k}$" for k in ks]]) + r" \\\midrule"]
    for ident in idents:
        lines.append(" & ".join([math_or_text(ident), *[cell.get((ident, k), "") for k in ks]]) + r" \\")
    lines.append(r"\bottomrule\end{tabular}}\end{center}")
    return "\n".join(lines)


def _generic_table(rows):
    keys = []
    for row in rows:
        for k in row:
            if k != "quantity" and k not in keys:
                keys.append(k)
    has_q = any("quantity" in row for row in rows)
    cols = (["quantity"] if has_q else []) + keys
    body = []
    for row in rows:
        cells = []
        for c in cols:
            if c not in row:
                cells.append("")
            elif c == "quantity":
                cells.append(math_or_text(row[c]) if ascii_math(str(row[c])) else prose_tex(row[c]))
            else:
                cells.append(_cell(row[c]))
        body.append(cells)
    heads = ["" if c == "quantity" else _head(c) for c in cols]
    widths = [max(_visible_len(x) for x in [h, *(b[i] for b in body)]) for i, h in enumerate(heads)]
    short = [w <= 24 for w in widths]
    left = 0.97 - sum(0.0095 * w + 0.012 for w, sh in zip(widths, short) if sh)
    n_long = sum(1 for sh in short if not sh)
    if sum(widths) <= 105 or not n_long or left / n_long < 0.16:
        lines = [r"\begin{center}\small\fitwidth{\begin{tabular}{" + "l" * len(cols) + r"}\toprule",
                 " & ".join(heads) + r" \\\midrule", *(" & ".join(b) + r" \\" for b in body),
                 r"\bottomrule\end{tabular}}\end{center}"]
        return "\n".join(lines)
    # Wide: long columns wrap (paragraph columns sharing the width left by the short ones)
    # instead of shrinking the whole table to an unreadable size.
    long_total = sum(min(w, 60) for w, sh in zip(widths, short) if not sh) or 1
    spec = "".join("l" if sh else rf">{{\raggedright\arraybackslash}}p{{{left * min(w, 60) / long_total - 0.012:.3f}\linewidth}}"
                   for w, sh in zip(widths, short))
    lines = [r"{\footnotesize\setlength{\tabcolsep}{3pt}\begin{longtable}{@{}" + spec + r"@{}}\toprule",
             " & ".join(heads) + r" \\\midrule\endhead", *(" & ".join(b) + r" \\" for b in body),
             r"\bottomrule\end{longtable}}"]
    return "\n".join(lines)


def _visible_len(tex):
    """Rough printed width of a TeX cell, in characters."""
    t = re.sub(r"\\(?:text|mathrm|texttt|emph|textcolor\{[^}]*\})\{", "", tex)
    t = re.sub(r"\\(?:allowbreak|left|right|,|\s)\{?\}?", "", t)
    t = re.sub(r"\\[A-Za-z]+", "x", t)
    return len(re.sub(r"[{}$^_]", "", t))


def _sequence_table(rows, m0):
    """Rows ``J(pi^G_0)``, ``J(pi^G_1)``, ...: the index as a column, in two column groups
    side by side when there are more than 6 rows."""
    head = m0.group("head") + "k" + m0.group("tail")
    keys = [k for k in rows[0] if k != "quantity"]
    for row in rows:
        keys += [k for k in row if k != "quantity" and k not in keys]
    entries = [[str(int(_INDEXED.match(str(row["quantity"])).group("k")))]
               + [_cell(row[k]) if k in row else "" for k in keys] for row in rows]
    heads = ["$k$"] + [math_or_text(head) if k == "value" else _head(k) for k in keys]
    groups = 2 if len(entries) > 6 else 1
    per = -(-len(entries) // groups)
    spec = "|".join(["r" + "l" * len(keys)] * groups)
    lines = [r"\begin{center}\small\fitwidth{\begin{tabular}{" + spec + r"}\toprule",
             " & ".join(heads * groups) + r" \\\midrule"]
    for i in range(per):
        cells = []
        for g in range(groups):
            j = g * per + i
            cells += entries[j] if j < len(entries) else [""] * (len(keys) + 1)
        lines.append(" & ".join(cells) + r" \\")
    lines.append(r"\bottomrule\end{tabular}}\end{center}")
    return "\n".join(lines)


def evidence_table(evidence):
    """A claim's evidence rows as one compact table (LaTeX), or ``""`` when there are none.

    Rows ``k = K: identity`` (the T5.9 lemmas) become one line per identity and one
    column per ``k``; other rows one line each, their keys as columns.
    """
    rows = [r if isinstance(r, dict) else {"value": r} for r in (evidence or [])]
    if not rows:
        return ""
    more = len(rows) - MAX_EVIDENCE_ROWS
    if all(_KROW.match(str(r.get("quantity", ""))) for r in rows):
        return _per_k_table(rows)
    krows = [r for r in rows if _KROW.match(str(r.get("quantity", ""))) and set(r) <= {"quantity", "equal"}]
    if len(krows) >= 2:  # per-k identities beside other rows (a parametric model's cases)
        rest = [r for r in rows if not any(r is k for k in krows)]
        return _per_k_table(krows) + "\n" + evidence_table(rest)
    ms = [_INDEXED.match(str(r.get("quantity", ""))) for r in rows]
    if len(rows) > 2 and all(ms) and len({(m.group("head"), m.group("tail")) for m in ms}) == 1 \
            and len(rows) <= 2 * MAX_EVIDENCE_ROWS:
        return _sequence_table(rows, ms[0])
    if len(rows) == 1 and len(rows[0]) <= 3:
        return _inline_row(rows[0])
    # Rows with other keys than most (a closing summary row, say) follow the table as text
    # rather than widening it with columns that are empty elsewhere.
    shape = [frozenset(k for k in r if k != "quantity") for r in rows]
    main = max(set(shape), key=lambda sh: (shape.count(sh), len(sh)))
    table_rows = [r for r, sh in zip(rows, shape) if sh == main]
    others = [r for r, sh in zip(rows, shape) if sh != main]
    if len(others) > 6 or len(table_rows) < 2:
        table_rows, others = rows, []
    shown = table_rows[:MAX_EVIDENCE_ROWS]
    more = len(table_rows) - len(shown)
    out = _generic_table(shown)
    if more > 0:
        out += "\n" + rf"{{\small \dots\ {more} more row(s) in the JSON report.}}\par"
    for r in others:
        out += "\n" + _inline_row(r)
    return out


def _inline_row(row):
    q = row.get("quantity")
    parts = [f"{_head(k)} $=$ {_cell(v)}" if not isinstance(v, bool) else f"{_head(k)}: {_cell(v)}"
             for k, v in row.items() if k != "quantity"]
    return (r"{\small\emph{Evidence:} " + (prose_tex(q) + ": " if q is not None else "")
            + "; ".join(parts) + r"}\par")


def _counterexample(cex):
    return "; ".join(f"{prose_tex(k, False)} $=$ {_cell(v)}" if not isinstance(v, str)
                     else f"{prose_tex(k, False)}: {_cell(v)}" for k, v in cex.items())


def claim_block(r, case_conventions=None, *, evidence=True):
    """One claim result as a LaTeX block: verdict, statement, result, evidence (one
    table), counterexample, objective, conventions (when they differ from the case's)."""
    colour, word = _VERDICT[r.verdict.value]
    out = [r"\par\medskip\noindent\begin{minipage}{\linewidth}",
           rf"\verdict{{{colour}}}{{{word}}}\quad\textbf{{{text(r.label, False)}}}"
           rf"\quad {prose_tex(r.title)}\par"]
    if r.statement or r.claim_id in CLAIM_TEX:
        out.append(r"\emph{Claim:} " + claim_statement(r) + r"\par")
    out.append(r"\emph{Result:} " + prose_tex(r.summary) + r"\par")
    repair = getattr(r, "repair", None)
    if repair:
        out.append(r"\emph{Repair:} " + _repair_text(repair) + r"\par")
    meta = [r"\emph{Objective:} " + (_OBJECTIVE.get(r.objective, text(r.objective))
                                     if r.objective else "none (claim does not involve one)")]
    if r.hypothesis:
        meta.append(r"\emph{Hypothesis:} " + prose_tex(r.hypothesis))
    if r.scope:
        meta.append(r"\emph{Scope:} " + prose_tex(r.scope))
    if r.route:
        meta.append(r"\emph{Route:} " + prose_tex(r.route))
    out.append("; ".join(meta) + r"\par")
    if r.conventions and case_conventions is not None and r.conventions != case_conventions:
        diff = {k: v for k, v in r.conventions.items() if case_conventions.get(k) != v}
        out.append(r"\emph{Conventions differing from the case:} "
                   + ", ".join(rf"\texttt{{{text(k, False)}}} = {text(v)}" for k, v in diff.items()) + r"\par")
    out.append(r"\end{minipage}")
    if evidence:
        table = evidence_table(r.evidence)
        if table:
            out.append(table)
    if r.counterexample:
        out.append(r"{\small\emph{Counterexample:} " + _counterexample(r.counterexample) + r"}\par")
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
        rows.append(rf"{math_or_text(e.quantity)} & {math_value(e.expected)} & "
                    rf"{math_value(e.computed)} & {mark} \\")
        if e.note and e.ok is not True:  # why, and the fix (a float compared by its binary value)
            rows.append(rf"\multicolumn{{4}}{{l}}{{\quad\footnotesize {text(e.note)}}} \\")
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
    is typeset as is) beside its domain and limits; other keys as text with formulas."""
    sec = res.sections.get("symbolic")
    if not sec:
        return ("The symbolic layer (\\texttt{proofcheck.verify.symbolic\\_section}) produced no closed forms "
                "for this run.\n")
    out = []
    forms = sec.get("forms") or []
    rows = []
    for form in forms if isinstance(forms, list) else []:
        if not (isinstance(form, dict) and isinstance(form.get("latex"), str)):
            continue
        notes = []
        if form.get("domain"):
            notes.append("for " + prose_tex(form["domain"]))
        for k, v in (form.get("limits") or {}).items():
            notes.append("limit " + prose_tex(k) + ": " + prose_tex(v))
        if len(form["latex"]) > LONG_FORM:  # unreadable scaled to the column, and beyond TeX's largest box
            body = (r"\fitwidth{$\displaystyle " + _form_lhs(form) + r" = \dag$} {\footnotesize("
                    + f"{len(form['expr'] if isinstance(form.get('expr'), str) else form['latex']):,}"
                    + " characters: too long to print, its text is in the JSON report)}")
        else:
            body = r"\fitwidth{$\displaystyle " + _form_lhs(form) + " = " + form["latex"] + r"$}"
        rows.append(body + r" & \footnotesize " + "; ".join(notes) + r" \\[4pt]")
    if rows:
        out += [r"{\renewcommand{\arraystretch}{1.6}\begin{longtable}{@{}>{\centering\arraybackslash}"
                r"m{0.44\linewidth} m{0.52\linewidth}@{}}\toprule",
                r"Closed form & Domain and limits \\\midrule\endhead", *rows,
                r"\bottomrule\end{longtable}}"]
    extra = {k: v for k, v in sec.items() if k not in ("title", "lines", "forms")}
    if extra:
        out.append(r"\begin{itemize}\setlength{\itemsep}{0pt}\small")
        def shown(x):  # a reader's yes/no and none, not Python's True/False/None
            return "none" if x is None else {True: "yes", False: "no"}.get(x, x) if isinstance(x, bool) else x
        for k, v in extra.items():
            if isinstance(v, dict) and v.get("not_compared"):  # a budget ran out: the reason, not the fields
                v = f"not compared ({v['not_compared']})"
            elif isinstance(v, dict):
                v = ", ".join(f"{a} = {shown(b)}" for a, b in v.items() if a != "latex")
            out.append(r"\item " + text(k.replace("_", " ")) + ": " + prose_tex(shown(v)))
        out.append(r"\end{itemize}")
    if not rows and sec.get("lines"):
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


def _sci_cell(v):
    """A number of the cross-check summary (text such as ``8.59e-52``), shown to 3 digits."""
    m = re.fullmatch(r"(-?\d+(?:\.\d+)?)(?:e([-+]?\d+))?", str(v))
    if not m:
        return text(v)
    mant = f"{float(m.group(1)):.3g}"
    if not m.group(2):
        return f"${mant}$"
    return (f"$10^{{{int(m.group(2))}}}$" if mant == "1" else f"${mant}\\times 10^{{{int(m.group(2))}}}$")


def _crosscheck(res):
    sec = res.sections.get("crosscheck")
    if not sec:
        return ("The numeric layer (\\texttt{proofcheck.verify.numeric\\_section}) produced no cross-check "
                "for this run.\n")
    table = sec.get("table") or {}
    summ = table.get("summary") or []
    out = []
    if table.get("precision"):
        out.append(r"\emph{Precision:} " + prose_tex(table["precision"]) + r"\par")
    if table.get("closed_forms"):
        out.append(r"\emph{Closed forms:} " + prose_tex(table["closed_forms"]) + r"\par")
    if table.get("skipped"):
        out.append(r"\emph{Skipped:} " + prose_tex(table["skipped"]) + r"\par")
    if summ and all(isinstance(s, dict) and "quantity" in s for s in summ):
        out += [r"\begin{center}\small\fitwidth{\begin{tabular}{lrrrrrl}\toprule",
                r"Quantity & rows & max $|\text{mpmath}-\text{exact}|$ & bound & digits & "
                r"interval radius & result \\\midrule"]
        for s in summ:
            ok = r"\verdict{green!45!black}{ok}" if s.get("ok") else r"\verdict{red!75!black}{FAILED}"
            cf = s.get("closed_form_agrees")
            if cf is not None:
                ok += ", closed form " + ("agrees" if cf else r"\verdict{red!75!black}{DISAGREES}")
            out.append(" & ".join([math_or_text(s.get("quantity")), text(s.get("rows", "")),
                                   _sci_cell(s.get("max_deviation")), _sci_cell(s.get("bound")),
                                   text("exact" if s.get("digits") is None else s.get("digits")),
                                   _sci_cell(s.get("max_interval_radius")), ok]) + r" \\")
        out.append(r"\bottomrule\end{tabular}}\end{center}")
    elif sec.get("lines"):
        out.append(tex_verbatim_lines(sec["lines"]))
    return "\n".join(out) + "\n"


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


def _model_line(res):
    c, m = res.case, res.case.mdp
    kind = "deterministic" if m.deterministic else "stochastic"
    params = (", parametric in " + ", ".join(f"${sp.latex(s)}$" for s in m.parameters)) if m.parameters else ""
    return (rf"\emph{{Case file:}} \texttt{{{text(c.path or c.name)}}}; {m.n_states} states, "
            rf"{m.n_pairs} state-action pairs, horizon $T = {m.horizon}$, {kind} dynamics{params}"
            + ("" if m.exact else ", \\textbf{inexact (float) inputs}") + r".\par")


def _model_figure(m, *, brief=False):
    drawing = mdp_drawing(m, max_height_cm=6.5 if brief else 17.0)
    if not drawing:
        return [summary_table(m)]
    labelled = drawing_has_labels(m)
    caption = (r"The MDP, laid out by time step (left to right). "
               + (r"Edges: action, prior $p$, likelihood $q$ when not 1, transition probability "
                  r"$\tau$ after a dot (stochastic action). " if labelled else
                  r"Edge labels left out (too many states to label legibly; every value is in the "
                  r"JSON report); a dot is a stochastic action. ")
               + r"Terminal states show their success probability $S$; double border: initial state.")
    return [r"\begin{figure}[h!]\centering", drawing, rf"\caption{{{caption}}}", r"\end{figure}"]


def case_section(res, table, *, figures=True):
    """The LaTeX section of one case (full report)."""
    c = res.case
    m = c.mdp
    out = [rf"\section{{{text(c.title or c.name)}}}"]
    if c.description:
        out.append(prose_tex(c.description) + r"\par")
    if c.source:
        out.append(r"\emph{Source:} " + text(c.source) + r"\par")
    out.append(_model_line(res))
    out.append(r"\subsection*{Model}")
    out += _model_figure(m)
    out += [r"\subsection*{Conventions}",
            "Every verdict below was computed under these conventions (spec sections 3, 5, 6); "
            "claims about optimality or returns name their objective.", _conventions_table(c.conventions),
            r"\subsection*{Expectations from the case file}", _expectations(res),
            r"\subsection*{Closed forms}", _symbolic(res)]
    if not table["rows"]:  # not even pi^G_0's row fitted in a claim's work budget
        out += [r"\subsection*{Along re-training}", f"No re-training table: {text(table['stopped'])}."]
        figures = False
    else:
        out += [rf"Exact values computed for this report along re-training at state "
                rf"\texttt{{{text(table['state'])}}} (\dag: too long to print, exact text in the JSON report):",
                _exact_values(table, m),
                r"\subsection*{Along re-training}",
                rf"Re-training $\pi^G_0 = p$, $\pi^G_{{k+1}} = G(\pi^G_k)$ for $k = 0, \ldots, {table['k_max']}$. "
                r"First table exact; second in decimals (\texttt{sympy.N} at 20 significant digits, "
                r"shown to 6). $\kappa_\delta$ is the Boltzmann incoherence (causal KL) at temperature $\delta$."
                + (" Parametric model: the first steps only, no incoherence." if table["parametric"] else "")
                + "".join(f" No column $\\kappa_{{{value_tex(d)}}}$: {text(why)}."
                          for d, why in table.get("omitted", {}).items())
                + (f" The table ends at $k = {table['k_max']}$: {text(table['stopped'])}." if table.get("stopped") else ""),
                _retraining_tables(table)]
    if figures:
        for tikz, caption in retraining_figures(table):
            out += [r"\begin{figure}[h!]\centering", tikz, rf"\caption{{{caption}}}", r"\end{figure}"]
    out.append(r"\clearpage")
    counts = _claim_counts(res.claims)
    out += [r"\subsection*{Claims}",
            f"{len(res.claims)} results: {counts['holds']} hold, {counts['fails']} fail, "
            f"{counts['undecided']} undecided, {counts['not-applicable']} not applicable "
            "(hypothesis not met; the conclusion is still evaluated on this model and reported). "
            "Evidence: one table per claim ($\\checkmark$: the two sides are equal)."]
    conv = c.conventions.as_dict()
    for r in res.claims:
        out.append(claim_block(r, conv))
    out += [r"\subsection*{Backend agreement (one recursion in exact, mpmath and interval arithmetic)}",
            _crosscheck(res)]
    for name, sec in res.sections.items():
        if name in ("symbolic", "crosscheck") or not isinstance(sec, dict):
            continue
        out += [rf"\subsection*{{{text(sec.get('title') or name)}}}",
                tex_verbatim_lines(sec.get("lines") or [])]
    out.append(r"\clearpage")
    return "\n".join(out)


def _brief_retraining(table):
    """The first re-training steps, exact where short (brief report)."""
    acts = table["actions"][:2]
    s = escape_tex(table["state"])
    rows = table["rows"][:4]
    heads = ["$k$", *[rf"$\pi^G_k(\text{{{escape_tex(a)}}}\mid\text{{{s}}})$" for a in acts], r"$S(\pi^G_k)$"]
    lines = [r"\begin{center}\small\fitwidth{\begin{tabular}{r" + "l" * (len(heads) - 1) + r"}\toprule",
             " & ".join(heads) + r" \\\midrule"]
    for r in rows:
        vals = [r["policy"][a] for a in acts] + [r["S"]]
        lines.append(" & ".join([str(r["k"]), *[math_value(v, long=40) for v in vals]]) + r" \\")
    lines.append(r"\bottomrule\end{tabular}}\end{center}")
    return "\n".join(lines)


def brief_case_section(res, table):
    """The LaTeX section of one case in the brief report: the model, the expectations, the
    first re-training steps and the claims that do not hold (the grid on page 1 has the rest)."""
    c = res.case
    m = c.mdp
    out = [rf"\section{{{text(c.title or c.name)}}}", _model_line(res)]
    drawing = mdp_drawing(m, max_height_cm=5.0, max_width_cm=9.0)
    left = drawing if drawing else summary_table(m)
    out += [r"\noindent\begin{minipage}[t]{0.48\linewidth}\vspace{0pt}\centering", r"\fitwidth{" + left + "}",
            r"\end{minipage}\hfill\begin{minipage}[t]{0.5\linewidth}\vspace{0pt}\centering",
            _expectations(res) if res.expectations else "No expectations in the case file.",
            _brief_retraining(table) if table["actions"] and table["rows"] else "",
            r"\end{minipage}\par"]
    notable = [r for r in res.claims if r.verdict.value in ("fails", "undecided")]
    if notable:
        lines = [r"\begin{center}\small\begin{tabular}{@{}l l p{0.70\linewidth}@{}}\toprule",
                 r"Claim & Verdict & Result \\\midrule"]
        for r in notable:
            colour, word = _SHORT[r.verdict.value]
            res_text = prose_tex(_clip(r.summary, 240))
            repair = getattr(r, "repair", None)
            if repair:
                res_text += r" \emph{Repair:} " + _repair_text(repair)
            lines.append(rf"\textbf{{{text(r.label, False)}}} & \textcolor{{{colour}}}{{{word}}} & "
                         + res_text + r" \\")
        lines.append(r"\bottomrule\end{tabular}\end{center}")
        # one unbreakable block: the heading never ends a page without its table
        out += [r"\par\noindent\begin{minipage}{\linewidth}",
                r"\textbf{Claims that fail or are undecided here} (all verdicts: page 1):", *lines,
                r"\end{minipage}\par"]
    else:
        out.append("Every claim holds or is not applicable on this case (page 1).")
    return "\n".join(out)


def _clip(s, n):
    s = " ".join(str(s).split())
    return s if len(s) <= n else s[: n - 3].rstrip() + "..."


_ABOUT = (
    "Each case is verified exactly: probabilities, values and policies are SymPy rationals or "
    "closed forms; every comparison behind a verdict is exact or certified. Decimals are for reading "
    "only. Verdicts: \\verdict{green!45!black}{holds} (the claim's conclusion holds on the model, "
    "on the stated finite scope for claims about all $k$), \\verdict{red!75!black}{FAILS} (with the "
    "smallest counterexample found), \\verdict{orange!85!black}{undecided} (the check could not "
    "decide, with the reason), \\verdict{gray!80!black}{n/a} (the model does not meet "
    "the hypothesis; the conclusion is evaluated anyway). Objectives: $J$ is the additive return "
    "$\\mathbb{E}[\\sum_t \\log q]$, $S$ the success probability; a label such as P5.4 [J] names the objective.")


def report_document(results, tables, *, experiment=None, experiment_name="", command="", brief=False):
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
    brief : bool
        The short report (``proofcheck report --brief``): page 1 and per case the model,
        the expectations, the first re-training steps and the claims that do not hold.
    """
    ok = all(r.expectations_hold for r in results)
    n_claims = sum(len(r.claims) for r in results)
    out = [_PREAMBLE, r"\begin{document}",
           r"\begin{center}{\LARGE proofcheck report" + (" (brief)" if brief else "") + r"}\par\smallskip",
           r"{\large Verification of Karwowski \& Douglas, \emph{Incoherence in Goal-Conditioned "
           r"Autoregressive Models} (AISTATS 2026, arXiv:2510.06545)}\end{center}",
           rf"\paragraph{{Verdicts.}} {n_claims} claim results on {len(results)} case(s); rows are claims, "
           r"columns cases.",
           verdict_grid(results),
           ("All expectations of the case files hold." if ok else
            r"\verdict{red!75!black}{Some expectations of the case files do not hold.}"),
           r"{\small " + _ABOUT + (r" Regenerate with \texttt{" + text(command) + "}." if command else "")
           + (r" This is the brief report; the full report (without \texttt{-{}-brief}) has the evidence "
              r"of every claim." if brief else "") + "}\\par",
           r"\clearpage"]
    for res, table in zip(results, tables):
        out.append(brief_case_section(res, table) if brief else case_section(res, table))
    if experiment is not None:
        out.append(_experiment_section(experiment, experiment_name))
    out.append(r"\end{document}")
    return "\n".join(x for x in out if x != "") + "\n"



