"""Scale benchmark of the numeric paths (issue 4, item 7).

Float64 path on seeded random layered MDPs (default 10^6 states x 4 actions) and the
mpmath path (default 10^4 states x 4 actions, 50 digits): build, soft values, one G
step, kappa_delta (delta = 1), J.  Prints one table row per operation with the wall
time, state-action updates per second (pairs / seconds) and an estimate of the bytes
touched per second (the ``nbytes`` of the arrays the operation reads and writes, once
each: a lower bound on memory traffic).  Peak RSS is printed at the end, to show memory
stays linear in the model size.

Usage::

    python benchmarks/bench_scale.py                    # 10^6 float, 10^4 mpmath
    python benchmarks/bench_scale.py --float-states 100000 --mp-states 2000 --width 1000
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from proofcheck.engine import additive_return, get_backend, goal_condition, incoherence, soft_values  # noqa: E402
from proofcheck.model.generators import random_layered_mdp  # noqa: E402


def _now():
    # wall and CPU time of this process: the machine may be shared, CPU time shows our own cost
    return _Stamp(time.perf_counter(), time.process_time())


class _Stamp(tuple):
    def __new__(cls, wall, cpu):
        return tuple.__new__(cls, (wall, cpu))

    def __rsub__(self, other):
        return _Stamp(other[0] - self[0], other[1] - self[1]) if isinstance(other, tuple) else NotImplemented

    def __sub__(self, other):
        return _Stamp(self[0] - other[0], self[1] - other[1])


def _bytes(m, passes_pairs, passes_edges, passes_states, item):
    return item * (passes_pairs * m.n_pairs + passes_edges * len(m.edge_target) + passes_states * m.n_states)


def run(n_states, n_actions, width, successors, backend, seed):
    B = get_backend(backend)
    item = 8  # float64 values; for object arrays the 8-byte pointers (the mpf numbers live on the heap)
    rows = []
    t = _now()
    m = random_layered_mdp(n_states, n_actions, width=width, seed=seed, successors=successors)
    rows.append(("build (from_arrays)", _now() - t, m, _bytes(m, 6, 4, 4, 8)))
    if not B.name == "float64":
        t = _now()
        m.converted(B)
        rows.append((f"convert to {B.name}", _now() - t, m, _bytes(m, 2, 1, 2, 8)))
    # soft values: per edge target index + prob + gathered Zv; per pair q, pi, Zq, ptr
    t = _now()
    soft_values(m, backend=B)
    rows.append(("soft values Zq, Zv", _now() - t, m, _bytes(m, 4, 3, 2, item)))
    t = _now()
    g = goal_condition(m, backend=B)
    rows.append(("one G step", _now() - t, m, _bytes(m, 8, 3, 2, item)))
    t = _now()
    kappa = incoherence(m, g, backend=B)
    rows.append(("kappa_delta (delta=1)", _now() - t, m, _bytes(m, 16, 6, 6, item)))
    t = _now()
    J = additive_return(m, g, backend=B)
    rows.append(("J(G(p))", _now() - t, m, _bytes(m, 8, 3, 4, item)))
    return rows, m, kappa, J, B


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--float-states", type=int, default=10 ** 6)
    ap.add_argument("--mp-states", type=int, default=10 ** 4)
    ap.add_argument("--actions", type=int, default=4)
    ap.add_argument("--width", type=int, default=None, help="layer width (default: states / 100)")
    ap.add_argument("--successors", type=int, default=1)
    ap.add_argument("--dps", type=int, default=50)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--certified-states", type=int, default=2000,
                    help="also run the certified (interval) P5.4 check on a stochastic model this size (0: skip)")
    ap.add_argument("--certified-k", type=int, default=3)
    a = ap.parse_args(argv)
    print(f"# bench_scale: seed {a.seed}, {a.actions} actions, {a.successors} successor(s) per action, "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'backend':<12} {'states':>9} {'pairs':>9} {'T':>4} {'operation':<24} {'seconds':>8} "
          f"{'cpu s':>7} {'pair-updates/s':>15} {'MB touched/s':>13}")
    for n, spec in ((a.float_states, "float"), (a.mp_states, f"mpmath:{a.dps}")):
        if n <= 0:
            continue
        width = a.width or max(1, n // 100)
        rows, m, kappa, J, B = run(n, a.actions, width, a.successors, spec, a.seed)
        for op, (sec, cpu), mm, nbytes in rows:
            print(f"{B.name:<12} {mm.n_states:>9} {mm.n_pairs:>9} {mm.horizon:>4} {op:<24} {sec:>8.3f} {cpu:>7.3f} "
                  f"{mm.n_pairs / sec:>15.3e} {nbytes / sec / 1e6:>13.1f}")
        print(f"#   kappa_delta(G(p)) = {B.to_sympy(kappa)}  J(G(p)) = {B.to_sympy(J)}  [{B.describe()}]")
    if a.certified_states > 0:
        from proofcheck.claims.numeric import certified_return_improvement
        m = random_layered_mdp(a.certified_states, a.actions, width=max(1, a.certified_states // 100),
                               seed=a.seed, successors=max(a.successors, 2))
        t = _now()
        r = certified_return_improvement(m, a.certified_k, dps=a.dps)
        sec, cpu = _now() - t
        print(f"# certified P5.4 [J] on {m!r}, k = 0..{a.certified_k}, interval {a.dps} digits: "
              f"{r.verdict.value} ({r.summary}) in {sec:.2f} s ({cpu:.2f} s CPU)")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"# peak RSS {rss:.0f} MB")


if __name__ == "__main__":
    main()
