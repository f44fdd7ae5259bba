"""``proofcheck claims``: the registered claims, their titles and hypotheses."""

from __future__ import annotations

import argparse
import json

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("claims", help="list the claims proofcheck checks",
                       description="List every registered claim: id, title, statement and hypothesis. "
                       "Objective-dependent claims run once per objective ([J] additive return, "
                       "[S] success probability).")
    p.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from proofcheck.claims import CLAIMS

    rows = [{"id": c.id, "title": c.title, "statement": c.statement, "hypothesis": c.hypothesis,
             "objective": c.uses_objective, "default": c.default} for c in CLAIMS.values()]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    width = max(len(r["id"]) for r in rows)
    for r in rows:
        tags = (" [J, S]" if r["objective"] else "") + ("" if r["default"] else " (numeric section)")
        print(f"{r['id']:<{width}}  {r['title']}{tags}")
        print(f"{'':<{width}}  statement: {r['statement']}")
        if r["hypothesis"]:
            print(f"{'':<{width}}  hypothesis: {r['hypothesis']}")
    return 0
