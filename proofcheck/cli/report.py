"""``proofcheck report PATH... -o reports/NAME``: LaTeX/PDF, JSON, Markdown and CSV reports.

Prints the same per-case tables as ``proofcheck verify`` and returns the same exit codes
(0: every expectation holds, 1: one does not, 2: bad input).  ``--brief`` writes the short
report (page 1: the claims x cases verdict grid; then one page or less per case); the
verdict grid is also written as CSV, ``NAME.csv`` beside the report (or ``--csv FILE``).
"""

from __future__ import annotations

import os
import sys

from proofcheck._text import terminal_safe
from proofcheck.cli._inputs import add_input_options, add_output_options, check_input_options
from proofcheck.cli.verify import (
    add_budget_option,
    budget_scope,
    find_case_files,
    format_case,
    format_quiet,
    verify_case,
    verify_input,
)

__all__ = ["add_parser", "run", "DEFAULT_OUTPUT"]

DEFAULT_OUTPUT = "reports/report"


def add_parser(sub):
    p = sub.add_parser(
        "report", help="write a LaTeX/PDF, JSON and Markdown report of case files",
        description="Verify case files and write NAME.tex, NAME.json, NAME.md and, when pdflatex "
        "is installed, NAME.pdf. Exit 0 when every expectation holds, 1 when one fails, "
        "2 on bad input.")
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="case files (*.toml) or folders of them, PRISM files (*.prism, *.pm, *.nm), BRIDGE "
                   ".npz files or sample folders")
    p.add_argument("-o", "--output", default=DEFAULT_OUTPUT, metavar="NAME",
                   help=f"output file stem (default {DEFAULT_OUTPUT}); suffixes are added")
    p.add_argument("--experiment", metavar="FILE.json",
                   help="add the incoherence/effective-horizon figure from `proofcheck experiment` JSON")
    p.add_argument("--claim", action="append", dest="claims", metavar="ID",
                   help="run only this claim (repeatable)")
    p.add_argument("--no-pdf", action="store_true", help="write .tex/.json/.md/.csv only")
    p.add_argument("--brief", action="store_true",
                   help="short report: the verdict grid on page 1, then per case the model, the "
                   "expectations and the claims that fail or are undecided (no evidence tables)")
    p.add_argument("--csv", metavar="FILE.csv",
                   help="write the claims x cases verdict grid to this file (default: NAME.csv "
                   "beside the report)")
    p.add_argument("--timings", action="store_true",
                   help="keep timings in the JSON (the committed report leaves them out)")
    add_budget_option(p)
    add_output_options(p)
    add_input_options(p)
    p.set_defaults(func=run)


def _command(args):
    # The output location is left out so that a report regenerated elsewhere (the
    # staleness test writes to a temporary folder) has the same text.
    from proofcheck.reports.report import output_stem

    parts = ["proofcheck", "report", *args.paths, "-o", "<folder>/" + os.path.basename(output_stem(args.output))]
    if args.experiment:
        parts += ["--experiment", args.experiment]
    if getattr(args, "brief", False):
        parts.append("--brief")
    for c in args.claims or ():
        parts += ["--claim", c]
    for option, dest in (("--budget", "budget"), ("--horizon", "horizon"), ("--success-label", "success_label"),
                         ("--constants", "constants"), ("--rationalize", "rationalize")):
        if getattr(args, dest, None) is not None:
            parts += [option, f"{getattr(args, dest):g}" if isinstance(getattr(args, dest), float)
                      else str(getattr(args, dest))]
    return " ".join(parts)


def _write_csv(path, results):
    from proofcheck.reports.build import atomic_write
    from proofcheck.reports.csv_report import report_csv
    from proofcheck.reports.report import ReportInputError

    try:
        atomic_write(path, report_csv(results))
    except OSError as exc:
        raise ReportInputError(f"--csv {terminal_safe(path)}: cannot write ({exc.strerror or exc}); "
                               "choose a writable location") from None


def run(args):
    from proofcheck.reports.report import ReportInputError, load_experiment, output_stem

    files = find_case_files(args.paths)
    check_input_options(args, files)
    quiet, wide = getattr(args, "quiet", False), getattr(args, "wide", False)
    if args.experiment and os.path.realpath(args.experiment) == os.path.realpath(output_stem(args.output) + ".json"):
        raise ReportInputError(f"--experiment {args.experiment} is also the report's JSON output "
                               f"(-o {args.output}); choose another -o name")
    experiment = load_experiment(args.experiment) if args.experiment else None
    with budget_scope(args):  # the claims and the report's own exact tables alike
        return _report(args, files, experiment, quiet, wide)


def _report(args, files, experiment, quiet, wide):
    from proofcheck.reports.progress import Progress
    from proofcheck.reports.report import write_report

    progress = Progress()
    results = []
    try:
        for n, f in enumerate(files):
            tag = f"[{n + 1}/{len(files)}] {os.path.basename(os.path.normpath(f))}"
            results.append(verify_input(f, args, progress=lambda m, tag=tag: progress.update(f"{tag}: {m}"),
                                        verify=verify_case))  # this module's name (tests replace it)
            progress.done()
            text = format_quiet(results[-1], wide) if quiet else format_case(results[-1], wide) + "\n"
            if text:
                print(text)
        progress.update("writing the report")
        out = write_report(results, args.output, experiment=experiment,
                           experiment_name=args.experiment or "", pdf=not args.no_pdf,
                           timings=args.timings, command=_command(args), brief=args.brief)
        if args.csv:  # the set has NAME.csv; a copy where the user asked
            _write_csv(args.csv, results)
            out["written"] = [*out["written"], args.csv]
    finally:
        progress.done()
    ok = all(r.expectations_hold for r in results)
    n = sum(len(r.expectations) for r in results)
    bad = sum(1 for r in results for e in r.expectations if e.ok is not True)
    print(f"{len(results)} case(s), {n} expectation(s): " + ("all hold" if ok else f"{bad} did not hold"))
    print("wrote " + ", ".join(p for p in out["written"] if not p.endswith(".pdf")))
    if not quiet:
        print(out["pdf_status"])
    sys.stdout.flush()
    return 0 if ok else 1
