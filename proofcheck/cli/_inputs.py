"""The inputs of ``proofcheck verify`` and ``report``: case files, PRISM files, BRIDGE MDPs.

Shared options (:func:`add_input_options`), their checks, and :func:`load_input`, which
gives a case and the note every verdict on it carries (the precision of an imported
model's numbers), and :func:`annotate` which adds that note to a result.

There is no time limit: a run's verdicts depend on its inputs and options only, never on
the machine or its load.  The exact routes spend the deterministic work budget
(``verify --budget``) on their sign decisions; a verdict that needs more is *undecided*
and says which budget would do.

Only cheap modules are imported here (``proofcheck --help`` builds every parser): the
model loaders are imported by :func:`load_input`.
"""

from __future__ import annotations

import dataclasses
import math

from proofcheck.errors import OptionError

__all__ = ["add_input_options", "add_output_options", "check_input_options", "load_input", "annotate",
           "DEFAULT_BRIDGE_TOLERANCE"]

#: ``--rationalize`` unless given: :data:`proofcheck.io.load.DEFAULT_BRIDGE_TOLERANCE`, repeated
#: here so that building the parser does not import the loaders (a test keeps them equal).
DEFAULT_BRIDGE_TOLERANCE = 1e-9


def add_output_options(p):
    p.add_argument("-q", "--quiet", action="store_true",
                   help="print only the claim verdicts that are not 'holds' (and expectations that are "
                   "not ok) plus the closing line; errors still go to stderr, exit codes are unchanged")
    p.add_argument("--wide", action="store_true",
                   help="do not clip evidence, summaries and values to the terminal table's width")


def add_input_options(p):
    g = p.add_argument_group("PRISM and BRIDGE inputs",
                             "A PRISM program (*.prism, *.pm, *.nm; needs proofcheck[storm]) is unrolled to "
                             "--horizon steps with the states of --success-label as successful terminals "
                             "and a uniform prior over the enabled choices (stated in the output). A BRIDGE "
                             ".npz (or sample folder) is unrolled to --horizon (a sample folder: default the "
                             "horizon its README lists) with q = exp(R - c_t) rationalized (--rationalize).")
    g.add_argument("--horizon", type=int, metavar="T",
                   help="steps to unroll a PRISM or BRIDGE model to (required for PRISM and .npz files)")
    g.add_argument("--success-label", dest="success_label", metavar="NAME",
                   help="PRISM label of the goal states (required for PRISM files), e.g. goal")
    g.add_argument("--constants", metavar="N=V,...",
                   help="values of undefined PRISM constants, e.g. N=3,p=1/2 (parsed by Storm)")
    g.add_argument("--rationalize", metavar="TOL|exact",
                   help="BRIDGE: replace each q = exp(R - c_t) by the simplest rational within TOL "
                   f"(default {DEFAULT_BRIDGE_TOLERANCE:g}; stated in every verdict), or 'exact' for exact "
                   "exponentials (slow beyond a few steps)")


def _tolerance(text):
    if text is None:
        return "rationalize", DEFAULT_BRIDGE_TOLERANCE
    if text.strip().lower() == "exact":
        return "exact", None
    try:
        tol = float(text)
    except ValueError:
        tol = math.nan
    if not (math.isfinite(tol) and 0 < tol < 0.5):
        raise OptionError(f"--rationalize {text}: give a tolerance in (0, 0.5), e.g. --rationalize 1e-9, "
                          "or --rationalize exact")
    return "rationalize", tol


def check_input_options(args, paths):
    """Check the input options against the inputs, before any work (one line, exit 2)."""
    from proofcheck.io.load import input_kind

    kinds = {input_kind(p) for p in paths}
    horizon = getattr(args, "horizon", None)
    if horizon is not None and horizon < 1:
        raise OptionError(f"--horizon {horizon}: give a whole number of steps >= 1, e.g. --horizon 10")
    if horizon is not None and not kinds & {"prism", "bridge"}:
        raise OptionError(f"--horizon {horizon} applies to PRISM and BRIDGE inputs only; case files set "
                          "[mdp] horizon themselves: drop --horizon")
    for option, value, kind in (("--success-label", getattr(args, "success_label", None), "prism"),
                                ("--constants", getattr(args, "constants", None), "prism"),
                                ("--rationalize", getattr(args, "rationalize", None), "bridge")):
        if value is not None and kind not in kinds:
            raise OptionError(f"{option} {value} applies to {kind.upper()} inputs only; drop it")
    if "prism" in kinds:
        missing = [o for o, v in (("--horizon T", horizon), ("--success-label NAME", getattr(args, "success_label", None)))
                   if v is None]
        if missing:
            first = next(p for p in paths if input_kind(p) == "prism")
            raise OptionError(f"{first}: a PRISM file needs {' and '.join(missing)} (the steps to unroll and "
                              "the label of the goal states), e.g. --horizon 10 --success-label goal")
    _tolerance(getattr(args, "rationalize", None))


def load_input(path, args, load_case=None):
    """``(case, note)`` of one input; ``note`` ("" for case files and exact imports) is the
    precision of the numbers, which every verdict states.  ``load_case`` reads case files
    (default :func:`proofcheck.verify.load_case`)."""
    from proofcheck.io.load import bridge_precision_note, input_kind, load_bridge_case, load_prism_case

    kind = input_kind(path)
    if kind == "prism":
        case = load_prism_case(path, horizon=args.horizon, success_label=args.success_label,
                               constants=getattr(args, "constants", None))
        return case, ""
    if kind == "bridge":
        numbers, tol = _tolerance(getattr(args, "rationalize", None))
        case = load_bridge_case(path, horizon=getattr(args, "horizon", None), numbers=numbers, tolerance=tol)
        note = bridge_precision_note(numbers, tol) if numbers != "exact" else ""
        return case, note
    if load_case is None:
        from proofcheck.verify import load_case
    return load_case(path), ""


def _tag(note):
    """The short form of ``note`` that starts every verdict's summary.

    >>> _tag("q = exp(R - c_t) rationalized within 1e-09")
    '[rationalized 1e-09]'
    """
    head, sep, tol = note.rpartition(" rationalized within ")
    return f"[rationalized {tol}]" if sep else f"[{note}]"


def annotate(res, note):
    """State ``note`` in every claim verdict (``[rationalized TOL] summary``) and record it as
    a section of the result (printed and written to JSON)."""
    if note:
        res.claims = [dataclasses.replace(r, summary=f"{_tag(note)} {r.summary}") for r in res.claims]
        res.sections["import"] = {"title": "Import", "lines": [
            f"numbers: {note}; every verdict is exact for the model with these numbers"]}
    return res
