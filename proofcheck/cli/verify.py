"""``proofcheck verify PATH...``: claims and expectations of case files, as a table or JSON."""

from __future__ import annotations

import json
import sys
import textwrap

from proofcheck.io.casefile import find_case_files
from proofcheck.verify import load_case
from proofcheck.verify import verify_case

__all__ = ["add_parser", "run", "format_case"]


def add_parser(sub):
    p = sub.add_parser("verify", help="verify case files (or folders of them)",
                       description="Run every claim and expectation on each case. Exit 0 when "
                       "every expectation holds, 1 when one fails, 2 on bad input.")
    p.add_argument("paths", nargs="+", metavar="PATH", help="case files (*.toml) or folders")
    p.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    p.add_argument("--claim", action="append", dest="claims", metavar="ID",
                   help="run only this claim (repeatable)")
    p.set_defaults(func=run)


_MARK = {"holds": "holds", "fails": "FAILS", "undecided": "undecided", "not-applicable": "n/a"}


def _clip(text, n):
    text = str(text)
    indent = text[: len(text) - len(text.lstrip(" "))]  # keep continuation indents
    text = indent + " ".join(text.split())
    return text if len(text) <= n else text[: n - 3] + "..."


def format_case(res):
    c = res.case
    m = c.mdp
    kind = "deterministic" if m.deterministic else "stochastic"
    lines = [f"== {c.title} ({c.path or c.name})",
             f"   {m.n_states} states, {m.n_pairs} state-action pairs, T = {m.horizon}, {kind}"
             + (", parametric in " + ", ".join(s.name for s in m.parameters) if m.parameters else "")
             + ("" if m.exact else ", INEXACT (float inputs)"),
             "   conventions: " + ", ".join(f"{k}={v}" for k, v in c.conventions.as_dict().items()),
             ""]
    width = max([11] + [len(r.label) for r in res.claims])
    lines.append(f"   {'claim':<{width}} {'verdict':<10} evidence")
    for r in res.claims:
        lines.append(f"   {r.label:<{width}} {_MARK[r.verdict.value]:<10} {_clip(r.summary, 110)}")
    for name, section in res.sections.items():
        lines += ["", f"   -- {section.get('title', name)}"]
        for row in section.get("lines", []):
            lines.append(f"   {_clip(row, 130)}")
    if res.expectations:
        lines += ["", f"   {'expectation':<34} {'expected':<14} {'computed':<14} result"]
        for e in res.expectations:
            mark = {True: "ok", False: "MISMATCH", None: "undecided"}[e.ok]
            lines.append(f"   {_clip(e.quantity, 34):<34} {_clip(e.expected, 14):<14} "
                         f"{_clip(e.computed, 14):<14} {mark}")
    return "\n".join(lines)


def run(args):
    files = find_case_files(args.paths)
    results = []
    for f in files:
        case = load_case(f)
        results.append(verify_case(case, args.claims))
        if not args.json:
            print(format_case(results[-1]))
            print()
    ok = all(r.expectations_hold for r in results)
    if args.json:
        json.dump({"cases": [r.as_dict() for r in results], "expectations_hold": ok},
                  sys.stdout, indent=2)
        print()
    else:
        n = sum(len(r.expectations) for r in results)
        bad = sum(1 for r in results for e in r.expectations if e.ok is not True)
        print(f"{len(results)} case(s), {n} expectation(s): "
              + ("all hold" if ok else f"{bad} did not hold"))
    return 0 if ok else 1
