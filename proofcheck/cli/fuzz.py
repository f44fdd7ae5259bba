"""``proofcheck fuzz``: hypothesis-driven counterexample search over random MDPs.

For each claim: statistics over ``--examples`` random models (verdict counts, time), then
the first ``fails`` verdict is shrunk (at most ``--shrink-budget`` candidate models) and
written as a case file whose ``[expect]`` table reproduces it (``proofcheck verify FILE``
exits 0).  Every limit counts work, never time, so a run is reproducible from ``--seed``
on any machine: the same arguments print the same counts and write the same files.

Case files are never overwritten: a name taken by a file with the same text is left as
it is (reported as unchanged), a name taken by a different file moves the new case to
``NAME-2.toml``, ``NAME-3.toml``, ... unless ``--force`` replaces it; every file is
written atomically (:mod:`proofcheck.fuzzing.search`).  The path printed is the file
that holds the case.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from proofcheck._text import terminal_safe
from proofcheck.errors import ConventionError, ProofcheckError

__all__ = ["add_parser", "run", "format_row", "HEADER", "DEFAULT_SHRINK_BUDGET"]

#: ``--shrink-budget`` unless given: :data:`proofcheck.fuzzing.search.DEFAULT_SHRINK_BUDGET`,
#: repeated so that building the parser does not import hypothesis and the claims (the
#: search module loads in :func:`run`; tests/test_cli_startup.py keeps the two equal).
DEFAULT_SHRINK_BUDGET = 500

HEADER = (f"{'claim':<11} {'tried':>5} {'holds':>5} {'fails':>5} {'undec':>5} {'n/a':>5} "
          f"{'n/a*':>4} {'err':>3} {'seconds':>8}  counterexample")

_STATUS = {"new": "new file", "unchanged": "already there, same text", "replaced": "replaced, --force"}


def add_parser(sub):
    p = sub.add_parser(
        "fuzz", help="search random MDPs for counterexamples to the claims",
        description="Run each claim on random exact MDPs (hypothesis), print statistics per "
        "claim, shrink the first counterexample (verdict 'fails') and write it as a case "
        "file that 'proofcheck verify' reproduces. Results depend on the arguments only "
        "(work budgets, no time limits); existing files are never overwritten without "
        "--force. Exit 0 when the search ran, 1 when a claim crashed or hung on a valid "
        "model, 2 on bad input.")
    p.add_argument("--claim", action="append", dest="claims", metavar="ID",
                   help="search only this claim (repeatable; default: every claim)")
    p.add_argument("--regime", choices=["any", "deterministic", "stochastic"], default="any",
                   help="dynamics of the random models (default: any)")
    p.add_argument("--prior", choices=["any", "uniform"], default="any",
                   help="priors of the random models: any (zeros included) or uniform (default: any)")
    p.add_argument("--examples", type=int, default=100, metavar="N",
                   help="random models per claim (default: 100)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="seed; a run is reproducible from it")
    p.add_argument("--out", default="cases/found", metavar="DIR",
                   help="folder for the counterexample case files (default: cases/found); "
                   "existing files are kept: a different result gets the name NAME-2.toml, ...")
    p.add_argument("--force", action="store_true",
                   help="replace an existing case file of the same name instead of choosing a new name")
    p.add_argument("--no-write", action="store_true", help="do not write case files")
    p.add_argument("--conventions", nargs="+", default=[], metavar="KEY=VALUE",
                   help="conventions, e.g. fold_term=posterior k_max=4")
    p.add_argument("--shrink-budget", type=int, default=DEFAULT_SHRINK_BUDGET, metavar="N",
                   help="candidate models tried while shrinking each counterexample; 0 keeps the "
                   f"first one found (default: {DEFAULT_SHRINK_BUDGET})")
    p.add_argument("--timeout", type=float, default=600.0, metavar="SEC",
                   help="hang guard: a single claim run longer than SEC stops the search with an "
                   "error (exit 1); it never changes a count (default: 600)")
    p.add_argument("--shrink-seconds", type=float, default=None, help=argparse.SUPPRESS)
    p.add_argument("--beyond-hypothesis", action="store_true",
                   help="also save models where the claim is not applicable but its conclusion "
                   "fails (shows the hypothesis is needed)")
    p.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    p.set_defaults(func=run)


def format_row(s):
    c = s.counts
    if s.path:
        where = terminal_safe(s.path)
    else:
        where = "found (not written)" if s.counterexample is not None else "-"
    if s.counterexample is not None:
        m = s.counterexample
        notes = [f"{m.n_states} states", f"T = {m.horizon}"]
        if s.file_status:
            notes.append(_STATUS.get(s.file_status, s.file_status))
        if s.budget_spent:
            notes.append("shrink budget spent")
        where += " (" + ", ".join(notes) + ")"
    return (f"{s.label:<11} {s.tried:>5} {c['holds']:>5} {c['fails']:>5} {c['undecided']:>5} "
            f"{c['not-applicable']:>5} {s.na_conclusion_fails:>4} {s.errors:>3} "
            f"{s.seconds:>8.1f}  {where}")


def _check(args):
    if args.shrink_seconds is not None:
        raise ConventionError(
            f"--shrink-seconds {args.shrink_seconds:g}: the time budget was replaced by a work "
            "budget so that a seed gives the same files on every machine; use --shrink-budget N "
            f"(candidate models, default {DEFAULT_SHRINK_BUDGET}; 0 keeps the first failure)")
    if not 1 <= args.examples <= 100_000:
        raise ConventionError(f"--examples {args.examples} must be from 1 to 100000")
    if not 0 <= args.seed < 2 ** 63:
        raise ConventionError(f"--seed {args.seed} must be a non-negative integer below 2**63")
    if not 0 < args.timeout <= 86400:
        raise ConventionError(f"--timeout {args.timeout:g} must be in (0, 86400] seconds")
    if not 0 <= args.shrink_budget <= 1_000_000:
        raise ConventionError(f"--shrink-budget {args.shrink_budget} must be from 0 to 1000000")
    if args.force and args.no_write:
        raise ConventionError("--force has no effect with --no-write; drop one of them")


def _search_module():
    try:
        import hypothesis  # noqa: F401
    except ModuleNotFoundError:
        raise ProofcheckError("proofcheck fuzz needs hypothesis; install it with "
                              "pip install 'proofcheck[fuzz]' (or pip install hypothesis)") from None
    from proofcheck.fuzzing import search
    return search


def run(args):
    _check(args)
    search = _search_module()
    parse_conventions, search_claims = search.parse_conventions, search.search_claims
    conventions = parse_conventions(args.conventions)
    out = None if args.no_write else args.out
    if out is not None:
        search.check_out_folder(out)  # before the search: a bad folder fails now
    t0 = time.perf_counter()
    if not args.json:
        print(f"proofcheck fuzz: regime {args.regime}, prior {args.prior}, {args.examples} examples per claim, "
              f"shrink budget {args.shrink_budget}, seed {args.seed}")
        print("conventions: " + ", ".join(f"{k}={v}" for k, v in conventions.as_dict().items()))
        print(HEADER)

    def progress(s):
        if not args.json:
            print(format_row(s), flush=True)

    try:
        stats = search_claims(args.claims, regime=args.regime, examples=args.examples,
                              seed=args.seed, conventions=conventions,
                              shrink_budget=args.shrink_budget, hang_seconds=args.timeout,
                              out=out, force=args.force,
                              beyond_hypothesis=args.beyond_hypothesis, prior=args.prior,
                              progress=progress)
    except search.SearchHang as exc:
        print(f"proofcheck: error: {terminal_safe(exc, limit=1000)}", file=sys.stderr)
        return 1
    total = time.perf_counter() - t0
    crashed = [s for s in stats if s.errors]
    if args.json:
        json.dump({"regime": args.regime, "prior": args.prior, "examples": args.examples, "seed": args.seed,
                   "shrink_budget": args.shrink_budget,
                   "conventions": conventions.as_dict(), "seconds": round(total, 3),
                   "claims": [s.as_dict() for s in stats]}, sys.stdout, indent=2)
        print()
    else:
        found = [s for s in stats if s.counterexample is not None]
        print(f"{len(stats)} claim(s), {len(found)} with a counterexample, {total:.1f} s. "
              "n/a* = not applicable but the conclusion fails")
        for s in crashed:
            print(f"{s.label}: crashed {s.errors} time(s); first: {terminal_safe(s.first_error)}")
    return 1 if crashed else 0
