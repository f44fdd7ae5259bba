"""Benchmark of the fast exact core (issue 3, item 6).

Test model: a complete binary tree of depth 14 (32,767 states), prior ``(p, 1 - p)`` at
every node, leaf successes random in {0, 1/8, ..., 1} (seeded).  Target: the exact
rational functions ``S(prior)`` and ``G(prior)(.|root)`` in under one second, model
construction excluded (and reported separately).

Run from the repository root::

    python benchmarks/bench_exact_core.py [--depth 14] [--small 8] [--seed 0]

Times are wall-clock seconds (best of ``--repeat``) on a shared machine; the exact
results are checked against each other (flint vs SymPy domain vs SymPy expressions).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sympy as sp  # noqa: E402

from proofcheck.engine import get_backend, goal_condition, soft_values  # noqa: E402
from proofcheck.engine.backends.rational import HAVE_FLINT, RationalFunctionBackend, binary_tree_mdp  # noqa: E402

__all__ = ["root_closed_forms", "main"]


def root_closed_forms(mdp, backend):
    """``S(prior)`` and ``G(prior)(a | root)`` as SymPy expressions, by one backward pass
    of the engine's soft-value recursion in ``backend``."""
    B = get_backend(backend)
    sv = soft_values(mdp, backend=B)
    root = mdp.states[0]
    zv = sv.Zv(root)
    prior = mdp.prior_policy()
    S = B.to_sympy(zv)
    G = {a: B.to_sympy(B.array([prior.prob(root, a)])[0] * sv.Zq(root, a) / zv) if not B._is_zero(zv)
         else prior.prob(root, a) for a in mdp.actions(root)}
    return S, G


def _best(fn, repeat):
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--depth", type=int, default=14)
    ap.add_argument("--small", type=int, default=8, help="depth for the SymPy-expression comparison")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--sympy-domain-depth", type=int, default=10,
                    help="depth for the SymPy-domain run (about 100x slower than flint)")
    args = ap.parse_args(argv)

    t = time.perf_counter()
    m = binary_tree_mdp(args.depth, args.seed)
    t_build = time.perf_counter() - t
    print(f"model: {m!r}; construction (MDP.from_arrays) {t_build:.3f} s (excluded from the target)")
    impls = (["flint"] if HAVE_FLINT else []) + ["sympy"]
    results = {}
    for impl in impls:
        if impl == "sympy" and HAVE_FLINT and args.sympy_domain_depth != args.depth:
            continue
        B = RationalFunctionBackend.for_model(m, impl=impl)
        t = time.perf_counter()
        m.converted(B)
        t_conv = time.perf_counter() - t
        t_root, (S, G) = _best(lambda: root_closed_forms(m, B), args.repeat)  # noqa: B023
        t_full, _ = _best(lambda: goal_condition(m, backend=B), 1)  # noqa: B023
        results[impl] = (t_root, S, G)
        print(f"[{impl:5}] convert model {t_conv:.3f} s; S(prior) and G(prior)(.|root): {t_root:.3f} s "
              f"(target < 1 s: {'met' if t_root < 1 else 'MISSED'}); G(prior) at all "
              f"{m.n_pairs} pairs: {t_full:.3f} s")
    S, G = results[impls[0]][1:]
    p = next(iter(m.parameters))
    print(f"S(prior) = {S}")
    print(f"  degree {sp.degree(S, p)}; S(1/3) = {S.subs(p, sp.Rational(1, 3))}")
    print(f"G(prior)(L|root) = {sp.factor(G['L']) if len(str(G['L'])) < 300 else str(G['L'])[:300] + '...'}")
    if HAVE_FLINT:
        md = m if args.sympy_domain_depth == args.depth else binary_tree_mdp(args.sympy_domain_depth, args.seed)
        out = {}
        for impl in ("flint", "sympy"):
            B = RationalFunctionBackend.for_model(md, impl=impl)
            md.converted(B)
            out[impl] = _best(lambda: root_closed_forms(md, B), 1 if impl == "sympy" else args.repeat)  # noqa: B023
        (tf, (Sf, Gf)), (ts, (Ss, Gs)) = out["flint"], out["sympy"]
        same = sp.cancel(Sf - Ss) == 0 and all(sp.cancel(Gf[a] - Gs[a]) == 0 for a in Gf)
        print(f"depth {args.sympy_domain_depth} ({md.n_states} states): flint {tf:.4f} s, SymPy domain "
              f"{ts:.3f} s, ratio {ts / tf:.0f}x; results identical: {same}")

    small = binary_tree_mdp(args.small, args.seed)
    Bq = RationalFunctionBackend.for_model(small)
    t_exact, (Se, Ge) = _best(lambda: root_closed_forms(small, get_backend("exact")), 1)
    t_rat, (Sr, Gr) = _best(lambda: root_closed_forms(small, Bq), args.repeat)
    same = sp.cancel(Se - Sr) == 0 and all(sp.cancel(Ge[a] - Gr[a]) == 0 for a in Gr)
    print(f"depth {args.small} ({small.n_states} states): SymPy ExactBackend {t_exact:.3f} s, "
          f"rational ({Bq.impl}) {t_rat:.4f} s, ratio {t_exact / t_rat:.0f}x; results identical: {same}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
