"""LaTeX, PDF, JSON and Markdown reports of verification runs (``proofcheck report``).

Modules: :mod:`.escape` (LaTeX escaping of user text), :mod:`.tikz` (MDP drawings),
:mod:`.figures` (pgfplots figures), :mod:`.latex` (the document: the claims x cases verdict
grid on page 1, formulas as LaTeX math, evidence as tables; ``brief`` for
``proofcheck report --brief``), :mod:`.json_report` (one JSON shape for the report and
``verify --json``, published as the JSON Schema ``schema.json``), :mod:`.csv_report` (the
verdict grid as CSV), :mod:`.markdown`, :mod:`.build` (atomic writes, the TeX run) and
:mod:`.progress`.

Figures are pgfplots code inside the ``.tex``: no plotting dependency, vector output,
and plain deterministic text that the staleness test can compare byte for byte.
"""

from proofcheck.reports.build import atomic_write, compile_pdf, find_tex_engine
from proofcheck.reports.escape import escape_tex
from proofcheck.reports.latex import report_document

__all__ = ["atomic_write", "compile_pdf", "find_tex_engine", "escape_tex",
           "report_document"]
