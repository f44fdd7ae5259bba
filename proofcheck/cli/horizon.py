"""``proofcheck horizon CASE_OR_NPZ [--horizon T]``: the effective horizon (spec section 9).

Prints ``min_k``, the effective planning window and, per ``k``, k-QVI solvability and the
Theorem 5.4 bounds on ``m_k`` and ``H_k`` (the corrected rule of spec section 9: the maximum
runs over every state reached by actions that beat the best non-optimal one), computed
exactly (rational models: exact integer arithmetic on a common denominator) and
cross-checked against float64 (``--check-backend``); optionally GORP's ``m_k`` estimated by
seeded simulation.  A BRIDGE sample folder (or its ``consolidated.npz``) may be given: the
horizon then defaults to the one the samples README lists, and when the reference code's
stored analysis (``consolidated_analyzed.json``) sits beside it, every stored field is
compared with the computed one.
"""

from __future__ import annotations

import json
import math
import os
import sys

from proofcheck._validation import did_you_mean
from proofcheck.errors import ConventionError, ModelError, UndecidedError

__all__ = ["add_parser", "run", "load_problem"]


#: Simulated GORP runs per estimate a user may ask for (each estimate repeats them per m).
MAX_GORP_RUNS = 100_000


def add_parser(sub):
    p = sub.add_parser("horizon", help="effective horizon (Laidlaw et al. 2023) of a case or BRIDGE .npz",
                       description="min_k, the effective planning window and the Theorem 5.4 bounds on "
                       "m_k and H (spec section 9, the reference code's rule), exact (ties settled exactly) "
                       "and cross-checked against float64.  Give a BRIDGE sample folder to compare with "
                       "the stored analysis beside it.")
    p.add_argument("path", metavar="CASE_OR_NPZ",
                   help="a case file (*.toml), a BRIDGE .npz, or a BRIDGE sample folder")
    p.add_argument("--horizon", type=int, metavar="T",
                   help="horizon (required for a .npz unless the samples README lists it; truncates a case file)")
    p.add_argument("--backend", default="exact", help="main backend (default exact)")
    p.add_argument("--check-backend", default="float",
                   help="second backend for the cross-check (default float; 'none' skips it; "
                   "e.g. mpmath:50, slower)")
    p.add_argument("--tolerance", type=float, default=None,
                   help="count actions within this of optimal as optimal (the reference code uses 1e-4); "
                   "default: exact")
    p.add_argument("--gorp-runs", type=int, default=0, metavar="N",
                   help="also estimate m_k by N simulated GORP runs per m (0: skip)")
    p.add_argument("--gorp-at-bound", type=int, default=0, metavar="N",
                   help="also run GORP(k, m = printed bound) N times per k (m up to 20000) and report the "
                   "success rate with a 99%% Wilson interval: a bound is too low if it lies below 1/2")
    p.add_argument("--seed", type=int, default=0, help="seed of the GORP simulation")
    p.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    p.set_defaults(func=run)


def _sample(path, horizon):
    """``(problem, stored analysis or None)`` for a .npz file or a BRIDGE sample folder."""
    from proofcheck.io.bridge import bridge_problem, load_npz, load_sample

    path = str(path)
    folder = path if os.path.isdir(path) else os.path.dirname(path) or "."
    stored = None
    if os.path.isdir(path) or os.path.basename(path) == "consolidated.npz":
        sample = load_sample(folder, horizon)
        B, stored = sample.mdp, sample.analyzed
        horizon = sample.horizon
    else:
        B = load_npz(path)
    if horizon is None:
        raise ModelError(f"{path}: a BRIDGE .npz does not store its horizon; give --horizon T")
    return bridge_problem(B, horizon), stored


def load_problem(path, horizon=None):
    """A :class:`~proofcheck.engine.effective_horizon.TimeExpandedMDP` from a case, a .npz or
    a BRIDGE sample folder."""
    from proofcheck.engine.effective_horizon import time_expand
    from proofcheck.verify import load_case

    if str(path).endswith(".npz") or os.path.isdir(str(path)):
        return _sample(path, horizon)[0]
    case = load_case(path)
    return time_expand(case.mdp, horizon)


def _fmt(x):
    if x is None:
        return "-"
    if x == math.inf:
        return "inf"
    return f"{float(x):.4f}" if not isinstance(x, int) else str(x)


def _check(args):
    from proofcheck.engine.backends import BACKENDS, get_backend

    for option, spec in (("--backend", args.backend), ("--check-backend", args.check_backend)):
        if (option == "--check-backend" and spec == "none") or spec == "exact":
            continue  # exact is always valid, and building its SymPy backend imports SymPy
        kind, _, digits = spec.partition(":")
        known = list(BACKENDS) + (["none"] if option == "--check-backend" else [])
        if kind not in known:
            raise ConventionError(f"{option} {spec}: unknown backend{did_you_mean(kind, known)} "
                                  f"(one of {', '.join(known)}; mpmath and interval take digits, e.g. mpmath:50)")
        try:
            get_backend(spec)
        except ValueError as exc:  # the backend's own words: digits out of range, an argument it takes none of
            reason = str(exc).removeprefix(f"backend {spec}: ")
            raise ConventionError(f"{option} {spec}: {reason}") from None
    if args.tolerance is not None and not 0 <= args.tolerance < math.inf:
        raise ConventionError(f"--tolerance {args.tolerance} must be a finite non-negative number, e.g. 1e-4")
    if args.gorp_runs < 0:
        raise ConventionError(f"--gorp-runs {args.gorp_runs} must be a non-negative number of runs (0: skip)")
    if args.gorp_runs > MAX_GORP_RUNS or args.gorp_at_bound > MAX_GORP_RUNS:
        raise ConventionError(f"--gorp-runs/--gorp-at-bound {max(args.gorp_runs, args.gorp_at_bound)} exceeds the "
                              f"limit of {MAX_GORP_RUNS} simulated runs per estimate; use fewer runs")
    if args.gorp_at_bound < 0:
        raise ConventionError(f"--gorp-at-bound {args.gorp_at_bound} must be a non-negative number of runs (0: skip)")


def run(args):
    from proofcheck.engine.effective_horizon import cross_check, effective_horizon
    from proofcheck.io.bridge import compare_analysis

    _check(args)
    stored = None
    if str(args.path).endswith(".npz") or os.path.isdir(str(args.path)):
        P, stored = _sample(args.path, args.horizon)
    else:
        P = load_problem(args.path, args.horizon)
    try:
        if args.check_backend == "none":
            main = effective_horizon(P, args.backend, tolerance=args.tolerance)
            cc = {"agree": True, "results": (main, None), "skipped": True}
        else:
            cc = cross_check(P, (args.backend, args.check_backend), tolerance=args.tolerance)
    except UndecidedError as exc:  # interval backends: too few digits, or an exact tie
        raise ConventionError(f"--backend {args.backend} / --check-backend {args.check_backend}: "
                              f"a comparison was undecided ({exc}); an interval backend cannot settle "
                              "exact ties: use exact or mpmath[:DIGITS]") from None
    main, other = cc["results"]
    gorp = []
    if args.gorp_runs > 0:
        from proofcheck.numerics.gorp import estimate_m  # the numerics layer imports SymPy

        for r in main.per_k:
            if r.bound_ok:
                gorp.append(estimate_m(P, r.k, runs=args.gorp_runs, seed=args.seed,
                                       values=main.values).as_dict())
    at_bound = []
    if args.gorp_at_bound > 0:
        from proofcheck.numerics.gorp import check_bound

        at_bound = [c.as_dict() for c in check_bound(P, main, runs=args.gorp_at_bound, seed=args.seed)]
    ref = main.reference_format()
    comparison = compare_analysis(stored, ref) if stored else None
    if args.json:
        out = main.as_dict()
        out["cross_check"] = {k: v for k, v in cc.items() if k != "results"}
        out["gorp"] = gorp
        out["gorp_at_bound"] = at_bound
        if comparison is not None:
            out["stored_analysis"] = {k: {"stored": a, "computed": b, "equal": eq}
                                      for k, (a, b, eq) in comparison.items()}
        json.dump(out, sys.stdout, indent=2, default=str)
        print()
        return 0 if cc["agree"] else 1
    print(f"== {P.name}: T = {main.T}, A = {P.n_actions}, {P.n_decision_states} decision states (t, s)")
    print(f"   backend: {main.backend.describe()}"
          + (f"; optimal within {args.tolerance}" if args.tolerance is not None else "; ties exact"))
    print(f"   min_k = {main.min_k}   effective planning window = {main.planning_window}")
    print(f"   {'k':>3} {'k-QVI':<9} {'m_k bound':>14} {'H_k bound':>10}  note")
    for r in main.per_k:
        if r.witness:
            note = f"greedy non-optimal at t={r.witness[0]}, state {r.witness[1]!r}, action {r.witness[2]!r}"
        elif not r.bound_ok:
            note = (f"zero gap at t={r.bound_witness[0]}, state {r.bound_witness[1]!r} "
                    "(reached by an action beating every non-optimal one): no bound")
        elif r.argmax_state:
            note = f"attained at t={r.argmax_state[0]}, state {r.argmax_state[1]!r}"
        else:
            note = ""
        print(f"   {r.k:>3} {'solvable' if r.solvable else 'no':<9} {_fmt(r.m_bound):>14} "
              f"{'-' if r.bound is None else r.bound.fixed(4):>10}  {note}")
    last = main.per_k[-1].k if main.per_k else 0
    if last < P.horizon:
        print(f"   (k > {last} not computed: H_k >= k cannot beat H)")
    H_fixed = f"{math.inf:.6f}" if main.bound is None else main.bound.fixed(6)
    print(f"   H (Theorem 5.4 bound, min over k) = {main.bound} = {H_fixed} at k = {main.H_k}")
    print(f"   reference format: min_k {ref['min_k']}, epw {ref['epw']}, ks {ref['effective_horizon_results']['ks']}, "
          f"ms {ref['effective_horizon_results']['ms']}, effective_horizon {ref['effective_horizon']}")
    if comparison is not None:
        same = [k for k, (_, _, eq) in comparison.items() if eq]
        diff = [k for k, (_, _, eq) in comparison.items() if not eq]
        line = f"   stored analysis (consolidated_analyzed.json): equal: {', '.join(same) or '-'}"
        print(line + (f"; DIFFERENT: {', '.join(diff)}" if diff else ""))
        for k in diff:
            a, b, _ = comparison[k]
            print(f"     {k}: stored {a}, computed {b}")
    if other is not None:
        mark = "agree" if cc["agree"] else "DISAGREE"
        print(f"   cross-check vs {other.backend.describe()}: discrete results {mark}; "
              f"max |value deviation| = {cc['max_value_deviation']:.3g}")
    for c in at_bound:
        if c["skipped"]:
            print(f"   GORP at the bound, k={c['k']}: not run ({c['skipped']})")
        else:
            verdict = "consistent" if c["consistent"] else "BOUND TOO LOW (GORP needs more rollouts)"
            print(f"   GORP at the bound, k={c['k']}, m={c['m_bound']} (seed {args.seed}): {c['successes']}/"
                  f"{c['runs']} succeed, 99% CI [{c['ci_low']:.3f}, {c['ci_high']:.3f}]: {verdict}")
    for g in gorp:
        rows = ", ".join(f"m={r['m']}: {r['rate']:.2f} [{r['ci95_low']:.2f}, {r['ci95_high']:.2f}]"
                         for r in g["grid"])
        print(f"   GORP k={g['k']} (seed {g['seed']}, {g['runs_per_m']} runs/m): m_k estimate "
              f"{g['m_estimate']}, certified {g['certified_m']}; {rows}")
    return 0 if cc["agree"] else 1
