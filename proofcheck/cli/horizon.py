"""``proofcheck horizon CASE_OR_NPZ [--horizon T]``: the effective horizon (spec section 9).

Prints ``min_k``, the effective planning window and, per ``k``, k-QVI solvability and the
Theorem 5.4 bounds on ``m_k`` and ``H_k``, computed exactly and cross-checked against
mpmath (50 digits); optionally GORP's ``m_k`` estimated by seeded simulation.
"""

from __future__ import annotations

import json
import math
import sys

from proofcheck.engine.effective_horizon import cross_check, tabular_problem, time_expand
from proofcheck.errors import ConventionError, ModelError, UndecidedError
from proofcheck.verify import load_case
from proofcheck.engine.backends import get_backend
from proofcheck.io.bridge import load_npz
from proofcheck.numerics.gorp import estimate_m

__all__ = ["add_parser", "run", "load_problem"]


def add_parser(sub):
    p = sub.add_parser("horizon", help="effective horizon (Laidlaw et al. 2023) of a case or BRIDGE .npz",
                       description="min_k, the effective planning window and the Theorem 5.4 bounds on "
                       "m_k and H, exact (ties settled exactly) and cross-checked against mpmath.")
    p.add_argument("path", metavar="CASE_OR_NPZ", help="a case file (*.toml) or a BRIDGE .npz")
    p.add_argument("--horizon", type=int, metavar="T",
                   help="horizon (required for .npz; truncates a case file)")
    p.add_argument("--backend", default="exact", help="main backend (default exact)")
    p.add_argument("--check-backend", default="mpmath:50",
                   help="second backend for the cross-check (default mpmath:50)")
    p.add_argument("--tolerance", type=float, default=None,
                   help="count actions within this of optimal as optimal (the reference code uses 1e-4); "
                   "default: exact")
    p.add_argument("--gorp-runs", type=int, default=0, metavar="N",
                   help="also estimate m_k by N simulated GORP runs per m (0: skip)")
    p.add_argument("--seed", type=int, default=0, help="seed of the GORP simulation")
    p.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    p.set_defaults(func=run)


def load_problem(path, horizon=None):
    """A :class:`~proofcheck.engine.effective_horizon.TimeExpandedMDP` from a case or .npz."""
    if str(path).endswith(".npz"):
        if horizon is None:
            raise ModelError(f"{path}: a BRIDGE .npz does not store its horizon; give --horizon T")
        B = load_npz(path)
        return tabular_problem(B.transitions, B.rewards, horizon, name=B.name)
    case = load_case(path)
    return time_expand(case.mdp, horizon)


def _fmt(x):
    if x is None:
        return "-"
    if x == math.inf:
        return "inf"
    return f"{float(x):.4f}" if not isinstance(x, int) else str(x)


def _check(args):
    for option, spec in (("--backend", args.backend), ("--check-backend", args.check_backend)):
        digits = spec.partition(":")[2]
        try:
            if spec.startswith(("mpmath", "interval")) and digits and int(digits) < 1:
                raise ValueError(digits)
            get_backend(spec)
        except ValueError:  # e.g. mpmath:x (get_backend's int(digits)) or mpmath:0
            raise ConventionError(f"{option} {spec}: the digits after ':' must be a positive integer, "
                                  "e.g. mpmath:50") from None
    if args.tolerance is not None and not 0 <= args.tolerance < math.inf:
        raise ConventionError(f"--tolerance {args.tolerance} must be a finite non-negative number, e.g. 1e-4")
    if args.gorp_runs < 0:
        raise ConventionError(f"--gorp-runs {args.gorp_runs} must be a non-negative number of runs (0: skip)")


def run(args):
    _check(args)
    P = load_problem(args.path, args.horizon)
    try:
        cc = cross_check(P, (args.backend, args.check_backend), tolerance=args.tolerance)
    except UndecidedError as exc:  # interval backends: too few digits, or an exact tie
        raise ConventionError(f"--backend {args.backend} / --check-backend {args.check_backend}: "
                              f"a comparison was undecided ({exc}); an interval backend cannot settle "
                              "exact ties: use exact or mpmath[:DIGITS]") from None
    main, other = cc["results"]
    gorp = []
    if args.gorp_runs > 0:
        for r in main.per_k:
            if r.solvable:
                gorp.append(estimate_m(P, r.k, runs=args.gorp_runs, seed=args.seed,
                                       values=main.values).as_dict())
    if args.json:
        out = main.as_dict()
        out["cross_check"] = {k: v for k, v in cc.items() if k != "results"}
        out["gorp"] = gorp
        json.dump(out, sys.stdout, indent=2)
        print()
        return 0 if cc["agree"] else 1
    print(f"== {P.name}: T = {P.horizon}, A = {P.n_actions}, {P.n_decision_states} decision states (t, s)")
    print(f"   backend: {main.backend.describe()}"
          + (f"; optimal within {args.tolerance}" if args.tolerance is not None else "; ties exact"))
    print(f"   min_k = {main.min_k}   effective planning window = {main.planning_window}")
    print(f"   {'k':>3} {'k-QVI':<9} {'m_k bound':>10} {'H_k bound':>10}  note")
    for r in main.per_k:
        note = (f"greedy non-optimal at t={r.witness[0]}, state {r.witness[1]!r}, action {r.witness[2]!r}"
                if r.witness else (f"attained at t={r.argmax_state[0]}, state {r.argmax_state[1]!r}"
                                   if r.argmax_state else ""))
        print(f"   {r.k:>3} {'solvable' if r.solvable else 'no':<9} {_fmt(r.m_bound):>10} "
              f"{_fmt(None if r.h_bound is None else (math.inf if r.h_bound == math.inf else float(r.h_bound))):>10}  {note}")
    print(f"   H (Theorem 5.4 bound, min over k) = {main.H} = {main.H_float:.6f} at k = {main.H_k}")
    mark = "agree" if cc["agree"] else "DISAGREE"
    print(f"   cross-check vs {other.backend.describe()}: discrete results {mark}; "
          f"max |value deviation| = {cc['max_value_deviation']:.3g}")
    for g in gorp:
        rows = ", ".join(f"m={r['m']}: {r['rate']:.2f} [{r['ci95_low']:.2f}, {r['ci95_high']:.2f}]"
                         for r in g["grid"])
        print(f"   GORP k={g['k']} (seed {g['seed']}, {g['runs_per_m']} runs/m): m_k estimate "
              f"{g['m_estimate']}, certified {g['certified_m']}; {rows}")
    return 0 if cc["agree"] else 1
