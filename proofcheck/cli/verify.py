"""``proofcheck verify PATH...``: claims and expectations of case files, as a table or JSON."""

from __future__ import annotations

import contextlib
import json
import sys

from proofcheck._text import terminal_safe
from proofcheck.cli._inputs import add_input_options, add_output_options, annotate, check_input_options, load_input
from proofcheck.errors import OptionError, ProofcheckError

__all__ = ["add_parser", "run", "describe_failure", "format_case", "format_quiet", "closing_line", "claim_counts",
           "FAIL_ON", "verify_input", "verify_case", "find_case_files", "DEFAULT_STEPS", "add_budget_option",
           "budget_scope"]

#: ``--budget`` unless given: :data:`proofcheck.exact.budget.DEFAULT_STEPS`, repeated here so
#: that building the parser does not import SymPy (tests/test_cli_startup.py keeps them equal).
DEFAULT_STEPS = 2_000_000

#: ``--fail-on`` choices: which claim verdicts make the exit code 1 (besides unmet expectations).
FAIL_ON = ("never", "fails", "undecided")
_FAILING = {"never": (), "fails": ("fails",), "undecided": ("fails", "undecided")}


def add_parser(sub):
    p = sub.add_parser("verify", help="verify case files (or folders of them)",
                       description="Run every claim and expectation on each case. Exit 0 when "
                       "every expectation holds, 1 when one does not, 2 on bad input. A claim "
                       "verdict (holds / FAILS / undecided / n/a) is a finding, not an error: by "
                       "default it does not change the exit code; see --fail-on. The closing line "
                       "counts expectations and claim verdicts separately.")
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="case files (*.toml) or folders of them, PRISM files (*.prism, *.pm, *.nm), BRIDGE "
                   ".npz files or sample folders")
    p.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    add_output_options(p)
    p.add_argument("--claim", action="append", dest="claims", metavar="ID",
                   help="run only this claim (repeatable)")
    p.add_argument("--fail-on", choices=FAIL_ON, default="never", dest="fail_on",
                   help="also exit 1 because of claim verdicts: 'fails' when some claim verdict is "
                   "fails, 'undecided' when some verdict is fails or undecided; 'never' (default): "
                   "only unmet expectations exit 1")
    add_budget_option(p)
    add_input_options(p)
    p.set_defaults(func=run)


def add_budget_option(p):
    """``--budget STEPS`` (``verify`` and ``report``)."""
    p.add_argument("--budget", type=int, default=None, metavar="STEPS",
                   help=f"work allowed per exact decision, in deterministic steps (default {DEFAULT_STEPS}); "
                   "a verdict that needs more is undecided and says which --budget would do")


def budget_scope(args):
    """A context in which ``--budget`` is the work budget (none when it was not given);
    exit 2 with the fix for a budget that is not positive."""
    budget = getattr(args, "budget", None)
    if budget is not None and budget <= 0:
        raise OptionError(f"--budget {budget} must be a positive number of steps, e.g. --budget {DEFAULT_STEPS}")
    if not budget:
        return contextlib.nullcontext()
    from proofcheck.exact.budget import budget_steps

    return budget_steps(budget)


_MARK = {"holds": "holds", "fails": "FAILS", "undecided": "undecided", "not-applicable": "n/a"}


def _clip(text, n):
    """One line of at most ``n`` characters (``n=None``: the whole text, ``--wide``)."""
    if not isinstance(text, str):
        from proofcheck.model.expressions import number_text
        text = number_text(text)  # never str() of a huge int
    indent = text[: len(text) - len(text.lstrip(" "))]  # keep continuation indents
    text = indent + terminal_safe(" ".join(text.split()), limit=None)
    return text if n is None or len(text) <= n else text[: n - 3] + "..."


def format_case(res, wide=False):
    """The table ``proofcheck verify`` prints for one case (``wide``: nothing clipped)."""
    def clip(text, n):
        return _clip(text, None if wide else n)

    c = res.case
    m = c.mdp
    kind = "deterministic" if m.deterministic else "stochastic"
    lines = [f"== {terminal_safe(c.title)} ({terminal_safe(c.path or c.name)})",
             f"   {m.n_states} states, {m.n_pairs} state-action pairs, T = {m.horizon}, {kind}"
             + (", parametric in " + ", ".join(s.name for s in m.parameters) if m.parameters else "")
             + ("" if m.exact else ", INEXACT (float inputs)")
             + ("" if m.horizon_success is None else
                f", states cut at T = {m.horizon} get success {m.horizon_success}"
                + ("" if m.horizon_success_explicit else " (legacy default)")),
             "   conventions: " + ", ".join(f"{k}={v}" for k, v in c.conventions.as_dict().items())]
    if getattr(m, "source", None):  # an imported model: how it was read (mappings, defaults)
        lines.append("   source: " + clip(m.source, None))
    lines.append("")
    width = max([11] + [len(r.label) for r in res.claims])
    lines.append(f"   {'claim':<{width}} {'verdict':<10} evidence")
    for r in res.claims:
        lines.append(f"   {r.label:<{width}} {_MARK[r.verdict.value]:<10} {clip(r.summary, 110)}")
    for name, section in res.sections.items():
        lines += ["", f"   -- {terminal_safe(section.get('title', name))}"]
        for row in section.get("lines", []):
            lines.append(f"   {clip(row, 130)}")
    if res.expectations:
        lines += ["", f"   {'expectation':<34} {'expected':<14} {'computed':<14} result"]
        for e in res.expectations:
            mark = {True: "ok", False: "MISMATCH", None: "undecided"}[e.ok]
            lines.append(f"   {clip(e.quantity, 34):<34} {clip(e.expected, 14):<14} "
                         f"{clip(e.computed, 14):<14} {mark}")
            if e.note and e.ok is not True:
                lines.append(f"      {clip(e.note, 130)}")
    return "\n".join(lines)


def format_quiet(res, wide=False):
    """``--quiet``: one line per claim verdict that is not holds and per expectation that is
    not ok, each naming its case; ``""`` when there is none."""
    def clip(text, n):
        return _clip(text, None if wide else n)

    name = terminal_safe(res.case.name)
    lines = [f"{name}: {r.label} {_MARK[r.verdict.value]} {clip(r.summary, 110)}"
             for r in res.claims if r.verdict.value != "holds"]
    for e in res.expectations:
        if e.ok is not True:
            mark = "MISMATCH" if e.ok is False else "undecided"
            lines.append(f"{name}: expectation {clip(e.quantity, 60)} {mark}: expected {clip(e.expected, 40)}, "
                         f"computed {clip(e.computed, 40)}" + (f" ({clip(e.note, 160)})" if e.note else ""))
    return "\n".join(lines)


def claim_counts(results):
    """``{verdict: count}`` over every claim row of every case (all four verdicts present)."""
    counts = {"holds": 0, "fails": 0, "undecided": 0, "not-applicable": 0}
    for r in results:
        for c in r.claims:
            counts[c.verdict.value] += 1
    return counts


def closing_line(results):
    """The last line of ``proofcheck verify``: expectations and claim verdicts, counted apart.

    Examples
    --------
    >>> closing_line([])
    '0 case(s); expectations: none; claims: none run'
    """
    n = sum(len(r.expectations) for r in results)
    bad = sum(1 for r in results for e in r.expectations if e.ok is False)
    open_ = sum(1 for r in results for e in r.expectations if e.ok is None)
    if n == 0:
        exp = "expectations: none"
    elif bad == 0 and open_ == 0:
        exp = f"{n} expectation(s): all hold"
    else:
        exp = f"{n} expectation(s): " + ", ".join(
            t for t in (f"{bad} MISMATCH" if bad else "", f"{open_} undecided" if open_ else "") if t)
    counts = claim_counts(results)
    total = sum(counts.values())
    claims = ("claims: none run" if total == 0 else f"claims ({total} verdicts): " + ", ".join(
        f"{counts[k]} {label}" for k, label in (("fails", "FAIL"), ("undecided", "undecided"),
                                                 ("holds", "hold"), ("not-applicable", "n/a"))))
    return f"{len(results)} case(s); {exp}; {claims}"


def _exit_code(results, fail_on):
    if not all(r.expectations_hold for r in results):
        return 1
    counts = claim_counts(results)
    return 1 if any(counts[v] for v in _FAILING[fail_on]) else 0


def describe_failure(exc):
    """One bounded line naming an exception that is not a :class:`ProofcheckError`."""
    if isinstance(exc, ProofcheckError):
        return terminal_safe(exc, limit=1000)
    try:
        text = str(exc)
    except Exception:  # noqa: BLE001 - str() itself may fail (huge integers)
        text = ""
    name = type(exc).__name__
    if "digits" in text and ("integer" in text or "int" in text):
        return (f"a number in the computation has more than {sys.get_int_max_str_digits() or 4300} "
                "digits, beyond what can be computed or printed exactly; use smaller inputs "
                f"(fewer steps, smaller exponents, shorter numbers) ({name})")
    if isinstance(exc, MemoryError):
        return "out of memory; use a smaller model or fewer steps (MemoryError)"
    if isinstance(exc, RecursionError):
        return "nesting too deep to compute; use a smaller model (RecursionError)"
    if isinstance(exc, OverflowError):
        return (f"a number overflowed ({terminal_safe(text, limit=200)}); use smaller magnitudes "
                "(rewards, temperatures, exponents) (OverflowError)")
    return f"{name}: {terminal_safe(text, limit=300)}"


# The heavy modules load on first use (``proofcheck --help`` and the other subcommands do not
# pay for them); these two are names of this module so that tests can replace them.
def verify_case(case, claim_ids=None, progress=None, typeset=True):
    """:func:`proofcheck.verify.verify_case` (imported on first use)."""
    from proofcheck.verify import verify_case as verify
    return verify(case, claim_ids, progress=progress, typeset=typeset)


def find_case_files(paths):
    """The inputs ``paths`` name: :func:`proofcheck.io.load.find_inputs` (imported on first use)."""
    from proofcheck.io.load import find_inputs
    return find_inputs(paths)


def verify_input(path, args, progress=None, verify=None):
    """Load one input (case, PRISM or BRIDGE file), verify it (``verify``, default
    :func:`verify_case`) and state the precision of imported numbers in every verdict."""
    case, note = load_input(path, args)
    typeset = getattr(args, "json", True)  # the text of `verify` shows no LaTeX; its JSON and reports do
    res = (verify or verify_case)(case, getattr(args, "claims", None), progress=progress, typeset=typeset)
    return annotate(res, note)


def _one_file(path, args, as_json):
    """Load and verify one input: ``(result, its JSON dict or None, None)`` or
    ``(None, None, error line)`` when this file is bad (the other files still run)."""
    try:
        res = verify_input(path, args)
        if as_json:
            data = res.as_dict()
            json.dumps(data)  # fails here (this file), not after every file was done
            return res, data, None
        return res, None, None
    except ProofcheckError as exc:
        return None, None, terminal_safe(exc, limit=1000)
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # noqa: BLE001 - one bad file must not lose the others' results
        return None, None, f"{terminal_safe(path)}: {describe_failure(exc)}"


def run(args):
    files = find_case_files(args.paths)
    check_input_options(args, files)
    quiet, wide = getattr(args, "quiet", False), getattr(args, "wide", False)
    fail_on = getattr(args, "fail_on", "never")
    budget_scope(args)  # a bad --budget stops before the first file
    results, errors = [], []
    for f in files:
        with budget_scope(args):
            res, _data, error = _one_file(f, args, args.json)
        if error is not None:
            errors.append({"path": f, "error": error})
            print(f"proofcheck: error: {error}", file=sys.stderr)
            continue
        if not args.json:
            try:
                text = format_quiet(res, wide) if quiet else format_case(res, wide)
            except (ValueError, ArithmeticError, MemoryError, RecursionError) as exc:
                errors.append({"path": f, "error": f"{terminal_safe(f)}: {describe_failure(exc)}"})
                print(f"proofcheck: error: {errors[-1]['error']}", file=sys.stderr)
                continue
            if text:
                print(text)
            if not quiet:
                print()
        results.append(res)
    ok = all(r.expectations_hold for r in results)
    code = 2 if errors else _exit_code(results, fail_on)
    if args.json:
        from proofcheck.reports.json_report import verify_json
        doc = verify_json(results, fail_on=fail_on, exit_code=code)  # the report's JSON shape
        doc["errors"] = [{"path": str(e["path"]), "error": e["error"]} for e in errors]
        json.dump(doc, sys.stdout, indent=2, default=str)
        print()
    else:
        print(closing_line(results) + (f"; {len(errors)} file(s) not verified (errors above)" if errors else ""))
        if code == 1 and ok:
            print(f"proofcheck: exit 1: --fail-on {fail_on} and some claim verdict is "
                  + " or ".join(_FAILING[fail_on]), file=sys.stderr)
    return code
