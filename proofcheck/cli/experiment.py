"""``proofcheck experiment --seed S [--per-family N] [-o FILE.json]``: the discussion experiment.

Regenerates the paper's incoherence / effective-horizon experiment
(:mod:`proofcheck.experiments.discussion`) from a seed, prints our correlations with
bootstrap intervals beside the paper's numbers, and writes the JSON for the report
(the ``-o`` path is checked before the experiment runs and written atomically).
"""

from __future__ import annotations

import json
import sys
import time

from proofcheck._text import terminal_safe
from proofcheck.cli._output import check_output, write_output

__all__ = ["add_parser", "run", "run_experiment"]


def run_experiment(**kwargs):
    """:func:`proofcheck.experiments.discussion.run_experiment`, imported on first use (a name
    of this module so that tests can replace it)."""
    from proofcheck.experiments.discussion import run_experiment as experiment
    return experiment(**kwargs)


def add_parser(sub):
    p = sub.add_parser("experiment", help="the paper's incoherence / effective-horizon experiment",
                       description="Seeded random deterministic MDP families (T, A); kappa_delta of the "
                       "prior and of pi^G_1, the bound-based effective horizon, misalignment; Pearson "
                       "correlations with bootstrap intervals; JSON for the report.")
    p.add_argument("--seed", type=int, required=True, help="seed of the MDPs and the bootstrap")
    p.add_argument("--per-family", type=int, default=20, metavar="N", help="MDPs per family (default 20)")
    p.add_argument("--delta", type=float, default=1.0, help="Boltzmann temperature of kappa (default 1)")
    p.add_argument("--bootstrap", type=int, default=1000, metavar="B",
                   help="bootstrap resamples (default 1000)")
    p.add_argument("--width", type=int, default=4, help="largest number of states per layer (default 4)")
    p.add_argument("--protocol", choices=("discussion", "authors"), default="discussion",
                   help="discussion (default): our layered generator and the bound-based H; authors: the "
                   "paper's own protocol (spec section 11: full A-ary trees, Bernoulli rewards, H by "
                   "simulated GORP and by the exact GORP success probability)")
    p.add_argument("--runs", type=int, default=500, metavar="R",
                   help="--protocol authors: GORP runs per (k, m) (default 500)")
    p.add_argument("--exact-least", action="store_true",
                   help="--protocol authors: also H with the true least m (slower)")
    p.add_argument("-o", "--output", metavar="FILE.json", help="write the results as JSON")
    p.set_defaults(func=run)


def run(args):
    if args.output:
        check_output(args.output)  # before the work: a bad path fails now, not after it
    t0 = time.perf_counter()
    if args.protocol == "authors":
        from proofcheck.experiments.authors import format_authors_report, run_authors_protocol

        out = run_authors_protocol(seed=args.seed, per_family=args.per_family, delta=args.delta,
                                   bootstrap=args.bootstrap, runs=args.runs, exact_least=args.exact_least)
        elapsed = time.perf_counter() - t0
        print(format_authors_report(out))
        if args.output:
            write_output(args.output, json.dumps(out, indent=2, sort_keys=True) + "\n")
            print(f"wrote {terminal_safe(args.output)}")
        print(f"({len(out['rows'])} MDPs in {elapsed:.1f} s wall time)", file=sys.stderr)
        return 0
    from proofcheck.experiments.discussion import DELTAS, FAMILIES, format_summary

    out = run_experiment(seed=args.seed, per_family=args.per_family, families=FAMILIES,
                         width=args.width, delta=args.delta, deltas=DELTAS, bootstrap=args.bootstrap)
    elapsed = time.perf_counter() - t0
    for line in format_summary(out):
        print(line)
    if args.output:
        write_output(args.output, json.dumps(out, indent=2, sort_keys=True) + "\n")
        print(f"wrote {terminal_safe(args.output)}")
    print(f"({len(out['rows'])} MDPs in {elapsed:.1f} s wall time)", file=sys.stderr)
    return 0
