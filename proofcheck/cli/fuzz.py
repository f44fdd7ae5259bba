"""``proofcheck fuzz``: hypothesis-driven counterexample search over random MDPs.

For each claim: statistics over ``--examples`` random models (verdict counts, time), then
the first ``fails`` verdict is shrunk and written as a case file whose ``[expect]`` table
reproduces it (``proofcheck verify FILE`` exits 0).  Reproducible from ``--seed``.
"""

from __future__ import annotations

import json
import sys
import time
from proofcheck.errors import ConventionError, ProofcheckError
from proofcheck.fuzzing import search

__all__ = ["add_parser", "run", "format_row", "HEADER"]

HEADER = (f"{'claim':<11} {'tried':>5} {'holds':>5} {'fails':>5} {'undec':>5} {'n/a':>5} "
          f"{'n/a*':>4} {'t/o':>3} {'err':>3} {'seconds':>8}  counterexample")


def add_parser(sub):
    p = sub.add_parser(
        "fuzz", help="search random MDPs for counterexamples to the claims",
        description="Run each claim on random exact MDPs (hypothesis), print statistics per "
        "claim, shrink the first counterexample (verdict 'fails') and write it as a case "
        "file that 'proofcheck verify' reproduces. Exit 0 when the search ran, 1 when a "
        "claim crashed on a valid model, 2 on bad input.")
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
                   help="folder for the counterexample case files (default: cases/found)")
    p.add_argument("--no-write", action="store_true", help="do not write case files")
    p.add_argument("--conventions", nargs="+", default=[], metavar="KEY=VALUE",
                   help="conventions, e.g. fold_term=posterior k_max=4")
    p.add_argument("--timeout", type=float, default=5.0, metavar="SEC",
                   help="time limit per claim run; longer runs count as undecided (default: 5)")
    p.add_argument("--shrink-seconds", type=float, default=30.0, metavar="SEC",
                   help="time budget for shrinking each counterexample (default: 30)")
    p.add_argument("--beyond-hypothesis", action="store_true",
                   help="also save models where the claim is not applicable but its conclusion "
                   "fails (shows the hypothesis is needed)")
    p.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    p.set_defaults(func=run)


def format_row(s):
    c = s.counts
    where = s.path or ("found (not written)" if s.counterexample is not None else "-")
    if s.counterexample is not None:
        m = s.counterexample
        where += f" ({m.n_states} states, T = {m.horizon})"
    return (f"{s.label:<11} {s.tried:>5} {c['holds']:>5} {c['fails']:>5} {c['undecided']:>5} "
            f"{c['not-applicable']:>5} {s.na_conclusion_fails:>4} {s.timeouts:>3} {s.errors:>3} "
            f"{s.seconds:>8.1f}  {where}")


def _check(args):
    if not 1 <= args.examples <= 100_000:
        raise ConventionError(f"--examples {args.examples} must be from 1 to 100000")
    if not 0 <= args.seed < 2 ** 63:
        raise ConventionError(f"--seed {args.seed} must be a non-negative integer below 2**63")
    if not 0 < args.timeout <= 3600:
        raise ConventionError(f"--timeout {args.timeout} must be in (0, 3600] seconds")
    if not 0 <= args.shrink_seconds <= 36000:
        raise ConventionError(f"--shrink-seconds {args.shrink_seconds} must be in [0, 36000]")


def _search_module():
    try:
        import hypothesis  # noqa: F401
    except ModuleNotFoundError:
        raise ProofcheckError("proofcheck fuzz needs hypothesis; install it with "
                              "pip install 'proofcheck[fuzz]' (or pip install hypothesis)") from None
    return search


def run(args):
    _check(args)
    search = _search_module()
    parse_conventions, search_claims = search.parse_conventions, search.search_claims
    conventions = parse_conventions(args.conventions)
    t0 = time.perf_counter()
    if not args.json:
        print(f"proofcheck fuzz: regime {args.regime}, prior {args.prior}, {args.examples} examples per claim, "
              f"seed {args.seed}")
        print(HEADER)

    def progress(s):
        if not args.json:
            print(format_row(s), flush=True)

    stats = search_claims(args.claims, regime=args.regime, examples=args.examples,
                          seed=args.seed, conventions=conventions, timeout=args.timeout,
                          shrink_seconds=args.shrink_seconds,
                          out=None if args.no_write else args.out,
                          beyond_hypothesis=args.beyond_hypothesis, prior=args.prior,
                          progress=progress)
    total = time.perf_counter() - t0
    crashed = [s for s in stats if s.errors]
    if args.json:
        json.dump({"regime": args.regime, "prior": args.prior, "examples": args.examples, "seed": args.seed,
                   "conventions": conventions.as_dict(), "seconds": round(total, 3),
                   "claims": [s.as_dict() for s in stats]}, sys.stdout, indent=2)
        print()
    else:
        found = [s for s in stats if s.counterexample is not None]
        print(f"{len(stats)} claim(s), {len(found)} with a counterexample, {total:.1f} s. "
              "n/a* = not applicable but the conclusion fails; t/o = timed out (counted as undecided)")
        for s in crashed:
            print(f"{s.label}: crashed {s.errors} time(s); first: {s.first_error[:300]}")
    return 1 if crashed else 0
