"""What a claim check returns: a verdict, a summary, evidence and a counterexample."""

from __future__ import annotations

import enum
import html
import importlib
from dataclasses import dataclass, field

from proofcheck.model.expressions import number_text

__all__ = ["Verdict", "ClaimResult", "fmt", "shorten", "HTML", "html_table", "verdict_html", "latex_text",
           "verdict_counts", "require_optional"]


class Verdict(str, enum.Enum):
    HOLDS = "holds"
    FAILS = "fails"
    UNDECIDED = "undecided"
    NOT_APPLICABLE = "not-applicable"

    def __str__(self):
        return self.value


#: Colours of the verdicts in HTML displays (notebooks).
_VERDICT_COLOURS = {"holds": "#1a7f37", "fails": "#cf222e", "undecided": "#9a6700", "not-applicable": "#6e7781"}
#: The pip extra that installs the notebook dependencies (pandas, matplotlib).
NOTEBOOK_EXTRA = "notebook"


def shorten(text, n=100):
    r"""``text`` on one line, cut to ``n`` characters with an ellipsis.

    Examples
    --------
    >>> shorten("a  b\nc", 10), shorten("x" * 12, 10)
    ('a b c', 'xxxxxxxxx…')
    """
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


class HTML(str):
    """Text that is HTML already: :func:`html_table` puts it in a cell unescaped."""

    __slots__ = ()


def verdict_html(verdict, text=None):
    """A verdict as a coloured, bold HTML span (an :class:`HTML` string); ``text``, when
    given, is shown in the verdict's colour instead of its name.

    Examples
    --------
    >>> verdict_html("fails")
    '<span style="color:#cf222e;font-weight:bold">fails</span>'
    """
    v = str(verdict)
    colour = _VERDICT_COLOURS.get(v, "inherit")
    shown = v if text is None else str(text)
    return HTML(f'<span style="color:{colour};font-weight:bold">{html.escape(shown)}</span>')


def html_table(header, rows, caption=None, title=None):
    """A small HTML table; every cell is escaped with :func:`html.escape` unless it is an
    :class:`HTML` string (e.g. :func:`verdict_html`).  ``title`` (optional) is a bold line
    above the table, escaped too.

    Examples
    --------
    >>> page = html_table(["a"], [["<b>"], [verdict_html("holds")]])
    >>> ">&lt;b&gt;</td>" in page, ">holds</span></td>" in page
    (True, True)
    """
    left = ' style="text-align:left"'
    out = [f"<p><b>{html.escape(str(title))}</b></p>"] if title else []
    out.append("<table>")
    if caption:
        out.append(f'<caption style="text-align:left">{html.escape(str(caption))}</caption>')
    if header:
        out.append("<thead><tr>" + "".join(f"<th{left}>{html.escape(str(h))}</th>" for h in header)
                   + "</tr></thead>")
    out.append("<tbody>")
    for row in rows:
        cells = [c if isinstance(c, HTML) else html.escape("" if c is None else str(c)) for c in row]
        out.append("<tr>" + "".join(f"<td{left}>{c}</td>" for c in cells) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


_TEX = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
        "_": r"\_", "%": r"\%", "^": r"\^{}", "~": r"\~{}", "<": r"\textless{}", ">": r"\textgreater{}"}


def latex_text(text):
    r"""Plain text escaped for TeX text mode (inside ``\text{...}``).

    Examples
    --------
    >>> print(latex_text("pi^G_k {50%}"))
    pi\^{}G\_k \{50\%\}
    """
    return "".join(_TEX.get(ch, ch) for ch in str(text))


def verdict_counts(results):
    """``{verdict: count}`` over claim results, in the order holds, fails, undecided, n/a
    (verdicts that do not occur are left out).

    Examples
    --------
    >>> r = ClaimResult("P1", "t", "s", Verdict.HOLDS, "ok")
    >>> verdict_counts([r, r])
    {'holds': 2}
    """
    counts = {v.value: 0 for v in Verdict}
    for r in results:
        counts[Verdict(r.verdict).value] += 1
    return {v: n for v, n in counts.items() if n}


def require_optional(module, what):
    """Import an optional third-party ``module`` (pandas, matplotlib) or raise an
    :class:`ImportError` naming the extra that installs it.

    Examples
    --------
    >>> require_optional("no_such_module_xyz", "to_frame()")
    Traceback (most recent call last):
    ...
    ImportError: to_frame() needs the optional package 'no_such_module_xyz': pip install 'proofcheck[notebook]'
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(f"{what} needs the optional package {module.split('.')[0]!r}: "
                          f"pip install 'proofcheck[{NOTEBOOK_EXTRA}]'") from exc


def fmt(value):
    """Short text for a number, expression or policy row."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {fmt(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(fmt(v) for v in value) + "]"
    return number_text(value)


@dataclass
class ClaimResult:
    """The outcome of one check on one model."""

    claim_id: str
    title: str
    statement: str
    verdict: Verdict
    summary: str
    evidence: list = field(default_factory=list)  # rows: {"quantity", "value"/"lhs"/"rhs", "equal"}
    counterexample: dict | None = None
    objective: str | None = None
    scope: str = ""
    conventions: dict = field(default_factory=dict)
    hypothesis: str = ""
    route: str = ""
    seconds: float = 0.0
    #: When the claim FAILS under the conventions given: the outcome of the repair search
    #: (:mod:`proofcheck.claims.repair`), e.g. "holds with fold_term = ratio (...)" or
    #: "no change of fold_term, impossible makes it hold on this model"; else None.
    repair: str | None = None
    #: The smallest convention change under which it holds (``{name: value}``), or None.
    repair_changes: dict | None = None

    @property
    def label(self):
        return f"{self.claim_id} [{'J' if self.objective == 'return' else 'S'}]" if self.objective else self.claim_id

    def as_dict(self):
        def conv(v):
            if isinstance(v, dict):
                return {str(k): conv(x) for k, x in v.items()}
            if isinstance(v, (list, tuple)):
                return [conv(x) for x in v]
            if isinstance(v, (bool, int, float, str)) or v is None:
                return v
            return fmt(v)
        return {
            "claim": self.claim_id, "label": self.label, "title": self.title,
            "statement": self.statement, "verdict": self.verdict.value, "summary": self.summary,
            "evidence": conv(self.evidence), "counterexample": conv(self.counterexample),
            "objective": self.objective, "scope": self.scope, "conventions": self.conventions,
            "hypothesis": self.hypothesis, "route": self.route, "seconds": round(self.seconds, 4),
            "repair": self.repair, "repair_changes": conv(self.repair_changes),
        }

    # ------------------------------------------------------------------ display
    def __repr__(self):
        """One line: ``<ClaimResult P5.4 [J]: holds — summary…>`` (the full record is
        :meth:`as_dict`).

        Examples
        --------
        >>> ClaimResult("P5.4", "t", "s", Verdict.HOLDS, "J is non-decreasing", objective="return")
        <ClaimResult P5.4 [J]: holds — J is non-decreasing>
        """
        return f"<ClaimResult {self.label}: {Verdict(self.verdict).value} — {shorten(self.summary, 100)}>"

    def _repr_html_(self):
        rows = [["claim", f"{self.label}: {self.title}"], ["verdict", verdict_html(self.verdict)],
                ["summary", self.summary]]
        if self.conventions:
            rows.append(["conventions", ", ".join(f"{k} = {fmt(v)}" for k, v in self.conventions.items())])
        if self.route:
            rows.append(["route", self.route])
        if self.counterexample:
            rows.append(["counterexample", shorten(fmt(self.counterexample), 300)])
        if self.repair:
            rows.append(["repair", self.repair])
        if self.seconds:
            rows.append(["seconds", f"{self.seconds:.3g}"])
        return html_table(None, rows)

    def _repr_latex_(self):
        """The verdict line, e.g. ``$\\text{P5.4 [J]: }\\textbf{holds}$``."""
        return rf"$\text{{{latex_text(self.label)}: }}\textbf{{{latex_text(Verdict(self.verdict).value)}}}$"
