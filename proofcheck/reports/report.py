"""Write a report: ``NAME.tex``, ``NAME.json``, ``NAME.md`` and (with TeX) ``NAME.pdf``.

Examples
--------
>>> import tempfile, os
>>> from proofcheck import load_case
>>> from proofcheck.verify import verify_case
>>> res = verify_case(load_case("cases/stochastic_counterexample.toml"), extensions=False)
>>> out = write_report([res], os.path.join(tempfile.mkdtemp(), "r"), pdf=False, k_max=2)
>>> sorted(os.path.basename(p) for p in out["written"])
['r.json', 'r.md', 'r.tex']
"""

from __future__ import annotations

import json
import os

from proofcheck.errors import ProofcheckError, ReportInputError
from proofcheck.reports.build import atomic_write, compile_pdf, find_tex_engine
from proofcheck.reports.json_report import dumps, report_json
from proofcheck.reports.latex import report_document
from proofcheck.reports.markdown import report_markdown
from proofcheck.verify.tables import retraining_table

__all__ = ["ReportInputError", "write_report", "load_experiment", "output_stem"]

_SUFFIXES = (".tex", ".pdf", ".json", ".md")


def output_stem(output):
    """``reports/example`` from ``reports/example`` or ``reports/example.tex``.

    Examples
    --------
    >>> output_stem("reports/example.tex"), output_stem("reports/example")
    ('reports/example', 'reports/example')
    """
    output = os.fspath(output)
    for suf in _SUFFIXES:
        if output.endswith(suf):
            return output[: -len(suf)]
    if not os.path.basename(output):
        raise ReportInputError(f"-o {output!r}: give a file stem such as reports/example, not a folder")
    return output


def load_experiment(path):
    """Read a ``proofcheck experiment`` JSON file (a dict with a ``rows`` list)."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        raise ReportInputError(f"--experiment {path}: no such file; run `proofcheck experiment "
                               f"... -o {path}` first or fix the path") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReportInputError(f"--experiment {path}: not readable JSON ({' '.join(str(exc).split())}); "
                               "give the JSON written by `proofcheck experiment`") from None
    if not isinstance(data, dict) or not isinstance(data.get("rows"), list):
        raise ReportInputError(f"--experiment {path}: no 'rows' list at the top level; give the JSON "
                               "written by `proofcheck experiment` (schema proofcheck.discussion/1)")
    return data


def write_report(results, output, *, experiment=None, experiment_name="", pdf=True,
                 timings=False, command="", k_max=None, engine=None):
    """Write every file of a report atomically.

    Returns
    -------
    dict
        ``written`` (paths), ``pdf`` (path or ``None``), ``pdf_status`` (one line).
    """
    stem = output_stem(output)
    directory = os.path.dirname(os.path.abspath(stem))
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError as exc:
        raise ReportInputError(f"-o {output}: cannot create folder {directory} ({exc.strerror}); "
                               "choose a writable location") from None
    name = os.path.basename(stem)
    tables = [retraining_table(r.case, k_max=k_max) for r in results]
    tex = report_document(results, tables, experiment=experiment, experiment_name=experiment_name,
                          command=command)
    doc = report_json(results, tables, experiment=experiment, experiment_name=experiment_name,
                      timings=timings)
    md = report_markdown(results, tables, name=name, experiment_name=experiment_name)
    written = []
    for suffix, content in ((".tex", tex), (".json", dumps(doc)), (".md", md)):
        try:
            atomic_write(stem + suffix, content)
        except OSError as exc:
            raise ReportInputError(f"-o {output}: cannot write {stem + suffix} ({exc.strerror}); "
                                   "choose a writable location") from None
        written.append(stem + suffix)
    out = {"written": written, "pdf": None, "pdf_status": "", "tex": tex}
    if not pdf:
        out["pdf_status"] = "PDF not requested (--no-pdf)"
        return out
    engine = engine or find_tex_engine()
    if not engine:
        out["pdf_status"] = (f"no TeX engine (pdflatex) found: wrote {stem}.tex without a PDF; "
                             "install TeX Live (texlive-latex-extra, texlive-pictures) to get one")
        return out
    compile_pdf(tex, stem + ".pdf", engine=engine, name=name)
    written.append(stem + ".pdf")
    out["pdf"] = stem + ".pdf"
    out["pdf_status"] = f"wrote {stem}.pdf"
    return out
