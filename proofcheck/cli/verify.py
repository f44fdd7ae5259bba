"""``proofcheck verify PATH...``: claims and expectations of case files, as a table or JSON."""

from __future__ import annotations

import contextlib
import json
import sys

from proofcheck._text import terminal_safe
from proofcheck.errors import OptionError, ProofcheckError
from proofcheck.exact.budget import DEFAULT_STEPS, budget_steps
from proofcheck.io.casefile import find_case_files
from proofcheck.model.expressions import number_text
from proofcheck.reports.json_report import verify_json
from proofcheck.verify import load_case, verify_case

__all__ = ["add_parser", "run", "describe_failure", "format_case", "closing_line", "claim_counts", "FAIL_ON"]

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
    p.add_argument("paths", nargs="+", metavar="PATH", help="case files (*.toml) or folders")
    p.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    p.add_argument("--claim", action="append", dest="claims", metavar="ID",
                   help="run only this claim (repeatable)")
    p.add_argument("--fail-on", choices=FAIL_ON, default="never", dest="fail_on",
                   help="also exit 1 because of claim verdicts: 'fails' when some claim verdict is "
                   "fails, 'undecided' when some verdict is fails or undecided; 'never' (default): "
                   "only unmet expectations exit 1")
    p.add_argument("--budget", type=int, default=None, metavar="STEPS",
                   help=f"work allowed per exact decision, in deterministic steps (default {DEFAULT_STEPS}); "
                   "a verdict that needs more is undecided and says which --budget would do")
    p.set_defaults(func=run)


_MARK = {"holds": "holds", "fails": "FAILS", "undecided": "undecided", "not-applicable": "n/a"}


def _clip(text, n):
    text = text if isinstance(text, str) else number_text(text)  # never str() of a huge int
    indent = text[: len(text) - len(text.lstrip(" "))]  # keep continuation indents
    text = indent + terminal_safe(" ".join(text.split()), limit=None)
    return text if len(text) <= n else text[: n - 3] + "..."


def format_case(res):
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
             "   conventions: " + ", ".join(f"{k}={v}" for k, v in c.conventions.as_dict().items()),
             ""]
    width = max([11] + [len(r.label) for r in res.claims])
    lines.append(f"   {'claim':<{width}} {'verdict':<10} evidence")
    for r in res.claims:
        lines.append(f"   {r.label:<{width}} {_MARK[r.verdict.value]:<10} {_clip(r.summary, 110)}")
    for name, section in res.sections.items():
        lines += ["", f"   -- {terminal_safe(section.get('title', name))}"]
        for row in section.get("lines", []):
            lines.append(f"   {_clip(row, 130)}")
    if res.expectations:
        lines += ["", f"   {'expectation':<34} {'expected':<14} {'computed':<14} result"]
        for e in res.expectations:
            mark = {True: "ok", False: "MISMATCH", None: "undecided"}[e.ok]
            lines.append(f"   {_clip(e.quantity, 34):<34} {_clip(e.expected, 14):<14} "
                         f"{_clip(e.computed, 14):<14} {mark}")
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


def _one_file(path, claim_ids, as_json):
    """Load and verify one case file: ``(result, its JSON dict or None, None)`` or
    ``(None, None, error line)`` when this file is bad (the other files still run)."""
    try:
        res = verify_case(load_case(path), claim_ids)
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
    fail_on = getattr(args, "fail_on", "never")
    budget = getattr(args, "budget", None)
    if budget is not None and budget <= 0:
        raise OptionError(f"--budget {budget} must be a positive number of steps, e.g. --budget {DEFAULT_STEPS}")
    results, errors = [], []
    for f in files:
        with budget_steps(budget) if budget else contextlib.nullcontext():
            res, _data, error = _one_file(f, args.claims, args.json)
        if error is not None:
            errors.append({"path": f, "error": error})
            print(f"proofcheck: error: {error}", file=sys.stderr)
            continue
        if not args.json:
            try:
                text = format_case(res)
            except (ValueError, ArithmeticError, MemoryError, RecursionError) as exc:
                errors.append({"path": f, "error": f"{terminal_safe(f)}: {describe_failure(exc)}"})
                print(f"proofcheck: error: {errors[-1]['error']}", file=sys.stderr)
                continue
            print(text)
            print()
        results.append(res)
    ok = all(r.expectations_hold for r in results)
    code = 2 if errors else _exit_code(results, fail_on)
    if args.json:
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
