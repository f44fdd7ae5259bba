"""``proofcheck sweep``: claims over grids of temperatures x random MDP families, in parallel.

Example::

    proofcheck sweep --claims P5.4,T5.9.B --deltas 1/2,1,2 --families 2x2,3x2 \\
        --per-family 5 --seed 0 --workers 2 -o sweep.json
    proofcheck sweep ... --dask tcp://scheduler:8786     # on a Dask cluster
    proofcheck sweep --claims "" --discussion 20           # the discussion experiment, per MDP

Results are identical whichever executor runs them (tasks are pure functions of their
seed and parameters); they are sorted by task key and written as JSON.  The ``-o`` path
is checked before the first task runs and written atomically when the sweep is done
(:mod:`proofcheck.cli._output`): an interrupted sweep leaves the previous file intact.
"""

from __future__ import annotations

import json
import sys

from proofcheck._text import terminal_safe
from proofcheck.cli._output import check_output, write_output
from proofcheck.errors import ConventionError

__all__ = ["add_parser", "run", "run_sweep"]


def run_sweep(tasks, **kwargs):
    """:func:`proofcheck.sweeps.run_sweep`, imported on first use (a name of this module so
    that tests can replace it)."""
    from proofcheck.sweeps import run_sweep as sweep
    return sweep(tasks, **kwargs)


def _csv(text):
    return [x.strip() for x in text.split(",") if x.strip()]


def add_parser(sub):
    p = sub.add_parser("sweep", help="run claims over grids of temperatures and random MDPs, in parallel",
                       description="Run claims on random MDP families under several temperatures, "
                       "on local processes (default) or a Dask cluster (--dask), and print verdict "
                       "counts per claim, family and delta.")
    p.add_argument("--claims", default="P5.4,T5.9.B", help="comma-separated claim ids (default: %(default)s)")
    p.add_argument("--deltas", default="1", help="comma-separated Boltzmann temperatures delta (default: %(default)s)")
    p.add_argument("--betas", default="", help="comma-separated temperatures beta = 1/alpha: also report "
                   "kappa_delta of the tempered policy pi_alpha")
    p.add_argument("--families", default="2x2,3x2", help="comma-separated families TxA (default: %(default)s)")
    p.add_argument("--per-family", type=int, default=5, help="random MDPs per family (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="base seed (default: %(default)s)")
    p.add_argument("--k-max", type=int, default=None, help="k range of the 'for all k' claims (default: conventions)")
    p.add_argument("--discussion", type=int, default=0, metavar="N",
                   help="also run the discussion experiment with N MDPs per family, one task per MDP "
                   "(proofcheck.experiments.discussion; the paper used 20)")
    p.add_argument("--fuzz", type=int, default=0, metavar="N",
                   help="also run N fuzz campaigns (seeds SEED..SEED+N-1) per claim and objective "
                   "(proofcheck.fuzzing)")
    p.add_argument("--fuzz-examples", type=int, default=50, metavar="M",
                   help="random models per fuzz campaign (default: %(default)s)")
    p.add_argument("--fuzz-claims", default=None, metavar="IDS",
                   help="claims to fuzz (default: those of --claims)")
    ex = p.add_mutually_exclusive_group()
    ex.add_argument("--workers", type=int, default=None, help="local processes (default: all cores; 1 = serial)")
    ex.add_argument("--dask", metavar="ADDRESS", help="Dask scheduler address tcp://host:port")
    p.add_argument("-o", "--output", metavar="FILE", help="write the results as JSON")
    p.set_defaults(func=run)


def run(args):
    from proofcheck.sweeps import check_dask_address, claim_tasks, discussion_tasks, format_summary, fuzz_tasks

    if args.discussion < 0 or args.fuzz < 0:
        raise ConventionError("--discussion and --fuzz take a non-negative count")
    if not 0 <= args.seed < 2 ** 63:
        raise ConventionError(f"--seed {args.seed} must be a non-negative integer below 2**63")
    if args.workers is not None and args.workers < 1:
        raise ConventionError(f"--workers {args.workers}: give a positive number of processes")
    if args.dask:
        check_dask_address(args.dask)
    tasks = []
    claims = _csv(args.claims)
    if claims:
        tasks += claim_tasks(claims, families=_csv(args.families), per_family=args.per_family,
                             deltas=_csv(args.deltas), betas=_csv(args.betas), seed=args.seed,
                             k_max=args.k_max)
    if args.discussion:
        tasks += discussion_tasks(args.seed, args.discussion)
    if args.fuzz:
        if args.fuzz_examples < 1:
            raise ConventionError(f"--fuzz-examples {args.fuzz_examples}: give a positive number of models")
        fclaims = _csv(args.fuzz_claims) if args.fuzz_claims is not None else claims
        if not fclaims:
            raise ConventionError("--fuzz needs claims: give --fuzz-claims or --claims")
        tasks += fuzz_tasks(fclaims, range(args.seed, args.seed + args.fuzz),
                            examples=args.fuzz_examples, k_max=args.k_max)
    if not tasks:
        raise ConventionError("nothing to run: give --claims, --discussion N or --fuzz N")
    if args.output:
        check_output(args.output)
    where = f"; results go to {terminal_safe(args.output)} when it is done" if args.output else ""
    print(f"sweep: running {len(tasks)} task(s){where}", file=sys.stderr, flush=True)
    sweep = run_sweep(tasks, workers=args.workers, dask=args.dask)
    print(terminal_safe(format_summary(sweep), limit=None, keep_newlines=True))
    if args.output:
        # the format of proofcheck.sweeps.dump_results, written atomically
        write_output(args.output, json.dumps(sweep, indent=1, sort_keys=True) + "\n")
        print(f"results written to {terminal_safe(args.output)}")
    return 0
