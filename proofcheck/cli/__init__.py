"""The ``proofcheck`` command line: one module per subcommand, registered here.

Each subcommand module defines ``add_parser(subparsers)`` (which sets ``func``) and a
``run(args) -> int``.  Building the parser imports every subcommand module, so a module
imports only cheap modules at its top and its heavy dependencies (SymPy, the claims,
hypothesis, the report writer) inside ``run()``: ``proofcheck --help`` stays fast and
``proofcheck verify`` loads what verify needs (tests/test_cli_startup.py).  Input errors (:class:`~proofcheck.errors.ProofcheckError`)
become one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import atexit
import difflib
import gc
import os
import re
import sys
import threading
from typing import NoReturn

from proofcheck import __version__
from proofcheck._text import terminal_safe
from proofcheck._validation import did_you_mean
from proofcheck.cli import bench, claims, crosscheck, experiment, fuzz, horizon, report, sweep, verify
from proofcheck.cli.verify import describe_failure
from proofcheck.errors import ProofcheckError

__all__ = ["main", "console", "SUBCOMMANDS", "describe_failure"]

#: Subcommand modules under proofcheck.cli, in the order ``--help`` lists them.
_MODULES = (verify, report, claims, crosscheck, horizon, experiment, fuzz, sweep, bench)
SUBCOMMANDS = [m.__name__.rsplit(".", 1)[1] for m in _MODULES]


#: argparse's message for a value outside an option's choices.
_INVALID_CHOICE = re.compile(r"invalid choice: '(?P<value>[^']*)' \(choose from (?P<choices>.*)\)$")


def _with_suggestion(message):
    """argparse's "invalid choice" message with the closest choice (Python 3.11 suggests none)."""
    m = _INVALID_CHOICE.search(message)
    if m is None:
        return message
    choices = [c.strip().strip("'") for c in m.group("choices").split(",")]  # quoted up to 3.13
    return message + did_you_mean(m.group("value"), choices)


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's own exit code is 2 as well; keep one line
        message = _with_suggestion(message)
        self.print_usage(sys.stderr)
        print(f"proofcheck: error: {terminal_safe(message, limit=1000)}", file=sys.stderr)
        raise SystemExit(2)


def build_parser():
    parser = _Parser(prog="proofcheck", description="Verify the claims of Karwowski & Douglas "
                     "(AISTATS 2026) on your MDPs, exactly.")
    parser.add_argument("--version", action="version", version=f"proofcheck {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for mod in _MODULES:
        mod.add_parser(sub)
    return parser


def _one_line_warning(message, category, filename, lineno, line=None):
    return f"proofcheck: warning: {terminal_safe(message, limit=1000)}\n"


def main(argv=None):
    import warnings
    previous = warnings.formatwarning
    warnings.formatwarning = _one_line_warning  # restored below: main() may run in-process
    try:
        return _main(argv)
    finally:
        warnings.formatwarning = previous


def console() -> NoReturn:
    """The ``proofcheck`` command (and ``python -m proofcheck``): :func:`main`, then a hard exit.

    Tearing the interpreter down (collections over the whole heap, then every module and
    cached value freed one object at a time) costs 0.5 to 0.8 s of CPU after ``verify cases/``
    has printed its last line (measured: the same run ends 0.7 s sooner without it).  By the
    time :func:`main` returns, every file proofcheck writes has been closed and renamed into
    place, so the command joins the threads still running (as the interpreter's exit would), runs
    the ``atexit`` handlers (other libraries' clean-ups), flushes
    the standard streams and leaves with :func:`os._exit`, as mypy does.  :func:`main` itself,
    for callers in the same process, returns normally.

    The collector's first threshold is raised from 700 to 100,000 allocations for the command:
    SymPy allocates without making cycles, and at 700 a ``verify`` ran 300 collections, a few of
    them over the whole heap (0.1 to 0.2 s of CPU); peak memory is unchanged (measured).
    """
    gc.set_threshold(100_000, 20, 20)
    code = main()
    # what the interpreter's own exit does first: threading's exit hooks (a thread pool's
    # shutdown), then a join of every non-daemon thread still running
    shutdown = getattr(threading, "_shutdown", None)
    if shutdown is not None:
        shutdown()
    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # the reader went away: nothing left to say
        pass
    os._exit(code)


#: The fields of a case file's ``[conventions]`` table: options users try on the command line.
_CONVENTIONS = ("impossible", "fold_term", "h_indexing", "delta", "argmax_ties", "objectives", "k_max")


def _subparser(parser, command):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices.get(command)
    return None


def _unrecognized(extra, sub):
    """argparse's "unrecognized arguments" with the subcommand's closest option for each
    misspelt one, and where the conventions are set when an option names one."""
    known = [o for a in (sub._actions if sub else ()) for o in a.option_strings]
    # compared without their dashes, which would make every pair of options look alike
    by_field = {o.lstrip("-").replace("-", "_"): o for o in known if o.startswith("--")}
    hints = []
    for word in extra:
        if not word.startswith("-"):
            continue
        name = word.split("=", 1)[0]
        field = name.lstrip("-").replace("-", "_")
        if field in by_field:  # --k_max for sweep's --k-max
            hints.append(f"did you mean {by_field[field]!r}?")
        elif field in _CONVENTIONS:
            hints.append(f"{name} is a convention: give it as --conventions {field}=..." if "--conventions" in known
                         else f"{name} is a convention: set it in the case file's [conventions] table "
                              f"({field} = ...; see the README's Conventions)")
        else:
            close = difflib.get_close_matches(field, list(by_field), n=1, cutoff=0.6)
            hints.append(f"did you mean {by_field[close[0]]!r}?" if close else "")
    return "unrecognized arguments: " + " ".join(extra) + "".join(f"; {h}" for h in hints if h)


def _main(argv):
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        sub = _subparser(parser, getattr(args, "command", None))
        (sub or parser).error(_unrecognized(extra, sub))
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except ProofcheckError as exc:
        print(f"proofcheck: error: {terminal_safe(exc, limit=1000)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("proofcheck: interrupted", file=sys.stderr)
        return 130
    except (ValueError, ArithmeticError, MemoryError, RecursionError) as exc:
        # inputs beyond what the exact routes can do (integers above Python's str() digit
        # limit, overflow in an exponential, exhausted memory or recursion): one line, exit 2
        print(f"proofcheck: error: {describe_failure(exc)}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # the reader went away (e.g. `proofcheck verify ... | head`): stop quietly
        import os
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as exc:  # noqa: BLE001 - never a traceback; exit 1 would mean "disagreement"
        print(f"proofcheck: error: internal error ({describe_failure(exc)}); "
              "please report it with the input that caused it", file=sys.stderr)
        return 2

