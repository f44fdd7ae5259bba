#!/usr/bin/env python
"""The benchmark table of proofcheck: ``python benchmarks/run.py [--quick] [--markdown] [-v]``.

Every row times proofcheck and a baseline *in the same run*, checks that both computed
the same thing (exact equality, or a stated float tolerance; exit 1 on a mismatch) and
prints the ratio.  Sections (``--section NAME``, repeatable):

* ``exact``: ``G(prior)`` by one backward pass vs enumerating trajectories and
  conditioning (the paper's authors' route), random trees and layered DAGs, SymPy;
* ``parametric``: the depth-14 parametric binary tree (32,767 states, prior ``p, 1 - p``)
  **end to end from a case file** (TOML parsing, building, validation, ``S`` and ``G``)
  vs Storm's parametric engine (DRN parse + build, and check) when stormpy is installed;
* ``float``: soft values, one ``G`` step and ``kappa_delta`` at 10^6 states against the
  memory-bandwidth bound (memcpy, measured between the rows), plain dense NumPy and a
  ``scipy.special.logsumexp`` soft value iteration; warm and cold;
* ``mpmath``: 50 digits at 10^4 states vs float64 and the exact engine;
* ``import``: ``import proofcheck`` in a fresh interpreter (median of several), with the
  machine's load average;
* ``verify``: ``proofcheck verify`` on case files against a target time each
  (:data:`VERIFY_HOOKS`; extend the list to add rows).  MET / NOT MET is decided on the
  child's CPU time (the machine may be shared); wall time is printed too.

``--quick`` runs small sizes (CI); the verify rows then run only with ``--section verify``.
``--markdown`` prints the README's performance table instead of the full table.
The baselines are in ``benchmarks/baselines.py``.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import copy
import importlib
import math
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
sys.path.insert(0, HERE)

import mpmath  # noqa: E402
import networkx  # noqa: E402
import numpy as np  # noqa: E402
import sympy as sp  # noqa: E402
from baselines import (  # noqa: E402
    compulsory_bytes,
    dense_numpy_kernels,
    enumeration_goal_condition,
    logsumexp_kernels,
    memcpy_bandwidth,
    plain_python_kernels,
    storm_build_and_check,
)

from proofcheck.engine import (  # noqa: E402
    count_trajectories,
    get_backend,
    goal_condition,
    incoherence,
    soft_values,
    success_probability,
)
from proofcheck.engine.backends.rational import RationalFunctionBackend  # noqa: E402
from proofcheck.exact.case_memo import forget_memo  # noqa: E402
from proofcheck.io.casefile import dump_case, load_case  # noqa: E402
from proofcheck.io.tabular import from_arrays  # noqa: E402
from proofcheck.model.generators import binary_tree_mdp, random_layered_mdp  # noqa: E402
from proofcheck.sweeps import derive_seed, random_tree_mdp  # noqa: E402

__all__ = ["main", "run_benchmarks", "format_table", "format_markdown", "machine_info", "Row",
           "BenchmarkMismatch", "VerifyHook", "VERIFY_HOOKS", "SECTIONS"]


class BenchmarkMismatch(AssertionError):
    """proofcheck and a baseline disagree: the benchmark is void, not slow."""


class Row:
    """One line of the table."""

    __slots__ = ("section", "case", "size", "ours", "base", "ratio", "check")

    def __init__(self, section, case, size="", ours="", base="", ratio="", check=""):
        self.section, self.case, self.size = section, case, size
        self.ours, self.base, self.ratio, self.check = ours, base, ratio, check

    def as_dict(self):
        return {k: getattr(self, k) for k in self.__slots__}


def _missing(section, case, exc):
    name = getattr(exc, "name", None) or str(exc)
    return Row(section, case, check=f"not available (module {name} missing)")


def _optional(module):
    """Import an optional module; None (with the exception) when it or a dependency is missing."""
    try:
        return importlib.import_module(module), None
    except ImportError as exc:
        return None, exc


def _fresh(mdp):
    """A shallow copy of ``mdp`` without its per-backend number cache, so that a timed
    call pays for converting the model's numbers (as a user's first call does)."""
    new = copy.copy(mdp)
    new._converted = {}
    return new


def _best_time(fn, *, budget=0.5, reps=5, setup=None):
    """Best wall time of up to ``reps`` calls, stopping once ``budget`` seconds are spent.

    With ``setup``, each call is ``fn(setup())`` and only ``fn`` is timed.
    """
    best, out, spent = math.inf, None, 0.0
    for _ in range(reps):
        arg = setup() if setup else None
        t0 = time.perf_counter()
        out = fn(arg) if setup else fn()
        dt = time.perf_counter() - t0
        best, spent = min(best, dt), spent + dt
        if spent > budget:
            break
    return best, out


def _t(seconds):
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds * 1e6:.0f} us"


def _rate(x):
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if x >= scale:
            return f"{x / scale:.3g} {unit}"
    return f"{x:.3g} "


def _ratio(x):
    return f"{x:.3g}x" if x < 100 else f"{x:,.0f}x"


# ---------------------------------------------------------------------------- machine

def machine_info():
    """Cores, CPU model, Python and library versions (for the table header)."""
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.lower().startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    info = {"cores": os.cpu_count(), "cpu": cpu,
            "python": platform.python_version(), "numpy": np.__version__,
            "sympy": sp.__version__, "mpmath": mpmath.__version__, "networkx": networkx.__version__,
            "scipy": getattr(_optional("scipy")[0], "__version__", "not installed")}
    for mod, key in (("flint", "python-flint"), ("gmpy2", "gmpy2"), ("stormpy", "stormpy")):
        m, _ = _optional(mod)
        info[key] = getattr(m, "__version__", "installed") if m else "not installed"
    info["load"] = os.getloadavg()
    return info


def _cpu_children():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _cpu():
    return time.process_time()


def _vs(a, b):
    """``a`` (proofcheck) against ``b`` (baseline): "3.2x faster" or "1.5x slower"."""
    return f"{_ratio(b / a)} faster" if a <= b else f"{_ratio(a / b)} slower"


# ---------------------------------------------------------------------------- exact vs enumeration

def _same_pi1(case, mdp, pol, vals):
    """Check the DP policy ``pol`` against the enumeration ``vals`` on every pair that
    enumeration reaches; returns how many pairs were compared (at least one)."""
    bad = [j for j in range(mdp.n_pairs) if vals[j] is not None and vals[j] != pol.values[j]]
    n_cmp = sum(v is not None for v in vals)
    if bad or n_cmp == 0:
        if not bad:
            raise BenchmarkMismatch(f"{case}: enumeration reaches no state-action pair; nothing to compare")
        j = bad[0]
        raise BenchmarkMismatch(
            f"{case}: exact DP and enumeration differ at state {mdp.states[mdp.pair_state[j]]}, "
            f"action {mdp.pair_action[j]}: {pol.values[j]} vs {vals[j]}")
    return n_cmp


def _bench_exact_vs_enumeration(quick, rows, log):
    section = "exact DP vs enumeration"
    Ts, As = (range(2, 5), range(2, 4)) if quick else (range(2, 9), range(2, 5))
    cap = 10 ** 3 if quick else 10 ** 5
    rational, _ = _optional("flint")
    for A in As:
        for T in Ts:
            seed = derive_seed("bench-tree", T, A)
            mdp = random_tree_mdp(T, A, seed, stochastic=0.1, validate=A ** T <= 5000)
            n_traj = count_trajectories(mdp)
            case = f"random tree T={T} A={A}"
            size = f"{mdp.n_states} states, {n_traj} traj."
            budget = 0.1 if quick else 1.0
            t_dp, pol = _best_time(lambda m: goal_condition(m, backend="exact"), budget=budget,
                                   setup=lambda: _fresh(mdp))  # noqa: B023
            ours = f"{_t(t_dp)} (SymPy)"
            if rational is not None:
                t_rat, (B, pol_r) = _best_time(
                    lambda mb: (mb[1], goal_condition(mb[0], backend=mb[1])), budget=budget,
                    setup=lambda: (_fresh(mdp), RationalFunctionBackend()))  # noqa: B023
                vals = [B.to_sympy(v) for v in pol_r.values]
                if any(a != b for a, b in zip(vals, pol.values)):
                    raise BenchmarkMismatch(f"{case}: the rational backend and the SymPy backend differ")
                ours += f", {_t(t_rat)} (flint)"
            if n_traj > cap:
                log(f"  {case}: DP {_t(t_dp)}, enumeration skipped ({n_traj} trajectories)")
                rows.append(Row(section, case, size, ours, f"skipped (> {cap:.0e} trajectories)", "",
                                "DP only"))
                continue
            t_en, (vals, n) = _best_time(lambda: enumeration_goal_condition(mdp), budget=budget, reps=3)  # noqa: B023
            assert n == n_traj
            n_cmp = _same_pi1(case, mdp, pol, vals)
            rows.append(Row(section, case, size, ours, f"{_t(t_en)} (SymPy)", _ratio(t_en / t_dp),
                            f"identical pi_1 ({n_cmp} of {mdp.n_pairs} pairs reachable)"))
            log(f"  {case}: DP {_t(t_dp)}, enumeration {_t(t_en)}")


def _bench_dag_vs_enumeration(quick, rows, log):
    """Layered DAGs (states merge): trajectories grow like A^T, states like T * width."""
    section = "exact DP vs enumeration"
    width = 4
    combos = [(4, 3), (6, 3)] if quick else [(4, 3), (6, 3), (8, 3), (8, 4)]
    budget = 0.1 if quick else 1.0
    for T, A in combos:
        mdp = random_layered_mdp(1 + T * width, A, horizon=T, seed=T * 10 + A, values="exact")
        n_traj = count_trajectories(mdp)
        case = f"layered DAG T={T} A={A} width {width}"
        t_dp, pol = _best_time(lambda m: goal_condition(m, backend="exact"), budget=budget,
                               setup=lambda: _fresh(mdp))  # noqa: B023
        t_en, (vals, _) = _best_time(lambda: enumeration_goal_condition(mdp), budget=budget, reps=3)  # noqa: B023
        n_cmp = _same_pi1(case, mdp, pol, vals)
        log(f"  {case}: DP {_t(t_dp)}, enumeration {_t(t_en)}")
        rows.append(Row(section, case, f"{mdp.n_states} states, {n_traj} traj.", f"{_t(t_dp)} (SymPy)",
                        f"{_t(t_en)} (SymPy)", _ratio(t_en / t_dp),
                        f"identical pi_1 ({n_cmp} of {mdp.n_pairs} pairs reachable)"))


def _bench_exact(quick, rows, log):
    _bench_exact_vs_enumeration(quick, rows, log)
    _bench_dag_vs_enumeration(quick, rows, log)


# ---------------------------------------------------------------------------- parametric tree

def _bench_parametric(quick, rows, log):
    """The depth-14 tree end to end from a case file, against Storm on the same model."""
    section = "parametric tree (exact)"
    depth = 8 if quick else 14
    backend = "rational"
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, f"tree{depth}.toml")
        with open(path, "w") as fh:  # writing the file is not timed
            fh.write(dump_case(binary_tree_mdp(depth, seed=0)))
        w0, c0 = time.perf_counter(), _cpu()
        case = load_case(path)
        w1, c1 = time.perf_counter(), _cpu()
        mdp = case.mdp
        B = get_backend(backend)
        S = success_probability(mdp, backend=B)
        G = goal_condition(mdp, backend=B)
        w2, c2 = time.perf_counter(), _cpu()
        S, g_root = B.to_sympy(S), B.to_sympy(G.values[0])
        p = next(iter(mdp.parameters))
        # a second route to G at the root: p * Zq(L) / S from the same soft values
        sv = soft_values(mdp, backend=B)
        if sp.cancel(sp.together(g_root - mdp.prior[0] * B.to_sympy(sv.zq[0]) / S)) != 0:
            raise BenchmarkMismatch(f"depth {depth}: G(prior) at the root disagrees with p * Zq(L) / S")
        log(f"  depth {depth}: load {_t(c1 - c0)} CPU, S + G {_t(c2 - c1)} CPU")
        size = f"{mdp.n_states:,} states, degree {sp.degree(sp.numer(sp.together(S)), p)} in p"
        e2e = f"{_t(c2 - c0)} CPU ({_t(w2 - w0)} wall): load {_t(c1 - c0)} (TOML, build, validation), S+G {_t(c2 - c1)}"
        storm, _ = _optional("stormpy")
        if storm is None:
            rows.append(Row(section, f"depth {depth} from a case file, end to end", size, e2e,
                            "Storm not installed (pip install 'proofcheck[storm]')", "",
                            "ratio skipped"))
            return
        try:
            t_build, t_check, value = storm_build_and_check(mdp, tmp)
            storm_S = value(0)
        except Exception as exc:  # an API change in stormpy must not hide the other rows
            rows.append(Row(section, f"depth {depth} from a case file, end to end", size, e2e,
                            f"Storm {getattr(storm, '__version__', '?')} failed: {type(exc).__name__}: "
                            f"{str(exc).splitlines()[0][:80]}", "", "ratio skipped"))
            return
    if sp.cancel(sp.together(storm_S - S)) != 0:
        raise BenchmarkMismatch(f"depth {depth}: Storm and proofcheck give different S(prior)")
    ver = getattr(storm, "__version__", "?")
    (bw_, bc), (cw, cc) = t_build, t_check
    rows.append(Row(section, f"depth {depth} from a case file, end to end", size, e2e,
                    f"Storm {ver}: {_t(bc + cc)} CPU ({_t(bw_ + cw)} wall): DRN parse + build {_t(bc)}, "
                    f"check {_t(cc)}", _vs(c2 - c0, bc + cc) + " (CPU)",
                    "equal S(p); CPU vs CPU in one process (the machine is shared); DRN export not timed"))
    rows.append(Row(section, f"depth {depth}: S + G only (model loaded, {backend})", size,
                    f"{_t(c2 - c1)} CPU ({_t(w2 - w1)} wall)", f"Storm check {_t(cc)} CPU ({_t(cw)} wall)",
                    _vs(c2 - c1, cc) + " (CPU)", "G at every pair included on our side"))


# ---------------------------------------------------------------------------- float path

_FLOAT_OPS = ("soft values", "G step", "kappa_delta")


def _rel(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    both = np.isfinite(a) & np.isfinite(b)
    if not np.array_equal(np.isfinite(a), np.isfinite(b)):
        return math.inf
    den = np.maximum(np.abs(b[both]), 1e-300)
    return float(np.max(np.abs(a[both] - b[both]) / den)) if both.any() else 0.0


def _timings(fn, reps, setup=None):
    """All wall times of ``reps`` calls (``fn(setup())`` when ``setup`` is given)."""
    out, result = [], None
    for _ in range(reps):
        arg = setup() if setup else None
        t0 = time.perf_counter()
        result = fn(arg) if setup else fn()
        out.append(time.perf_counter() - t0)
    return out, result


@contextlib.contextmanager
def _float_workers(n):
    """The float backend's fused passes on ``n`` threads inside the block."""
    from proofcheck.engine.backends.float import FloatBackend
    old, FloatBackend.WORKERS = FloatBackend.WORKERS, n
    try:
        yield
    finally:
        FloatBackend.WORKERS = old


def _bench_float(quick, rows, log):
    section = "float64 path"
    n_big, n_small = (20_000, 2_000) if quick else (1_000_000, 20_000)
    reps = 3 if quick else 7
    big = random_layered_mdp(n_big, 4, horizon=10, seed=0)
    small = random_layered_mdp(n_small, 4, horizon=10, seed=1)
    size = f"{big.n_states:,} states, {big.n_pairs:,} pairs"

    def ours(m, G1):
        return {"soft values": lambda: soft_values(m, backend="float"),
                "G step": lambda: goal_condition(m, backend="float"),
                "kappa_delta": lambda: incoherence(m, G1, "boltzmann", delta=1, backend="float")}

    # 1. agreement with plain-Python loops on the small model (same float64 inputs)
    G1s = goal_condition(small, backend="float")
    prior, py_soft, py_g, py_kappa = plain_python_kernels(small)
    zq_py, zv_py = py_soft()
    sv = soft_values(small, backend="float")
    g_py = py_g()
    g1_dict = {(small.states[small.pair_state[j]], small.pair_action[j]): G1s.values[j]
               for j in range(small.n_pairs)}
    d_soft = max(abs(sv.zv[small.index[s]] - v) / abs(v) for s, v in zv_py.items() if v)
    d_g = max(abs(G1s.values[small.pair(s, a)] - v) for (s, a), v in g_py.items())
    d_k = abs(float(incoherence(small, G1s, "boltzmann", delta=1, backend="float")) - py_kappa(g1_dict))
    for name, d in (("soft values", d_soft), ("G step", d_g), ("kappa_delta", d_k)):
        if not d <= 1e-10:
            raise BenchmarkMismatch(f"float path vs plain Python, {name}: difference {d:.3g} > 1e-10")

    # 2. the big model: proofcheck warm / cold, baselines, memcpy between them
    bw = []
    G1 = goal_condition(big, backend="float")
    ops = ours(big, G1)
    results = {name: ops[name]() for name in _FLOAT_OPS}  # warm-up (conversions, level plan)
    gsum = np.add.reduceat(results["G step"].values, big.state_ptr[:-1][~big.terminal])
    if not np.all(np.abs(gsum - 1) < 1e-12):
        raise BenchmarkMismatch("float path: a row of G(prior) does not sum to 1 within 1e-12")
    nbytes = compulsory_bytes(big)
    F = get_backend("float")
    # threads per pass: soft values and G are bound by memory and run on one; the KL pass
    # (kappa) is compute-bound by its log and splits a level's chunks over several
    op_threads = {name: F.fused_threads(big, kl=name == "kappa_delta") for name in _FLOAT_OPS}
    threads = max(op_threads.values())
    bw_threads = []  # memcpy on as many threads as the KL pass uses: its fair bound
    warm, warm1, cold, cold1 = {}, {}, {}, {}

    def cold_time(name):
        """One call on a fresh copy of the model: converting its numbers and building the
        level plan included, the copy not."""
        op = ours(_fresh(big), G1)[name]
        t0 = time.perf_counter()
        op()
        return time.perf_counter() - t0

    for name in _FLOAT_OPS:
        bw += memcpy_bandwidth(2 ** 22 if quick else 2 ** 25, reps=3)
        if threads > 1:
            bw_threads += memcpy_bandwidth(2 ** 22 if quick else 2 ** 25, reps=3, threads=threads)
        warm[name], _ = _timings(ops[name], reps)
        cold[name] = cold_time(name)
        warm1[name], cold1[name] = warm[name], cold[name]
        if op_threads[name] > 1:  # and on one thread: the baselines below run on one
            with _float_workers(1):
                warm1[name], _ = _timings(ops[name], reps)
                cold1[name] = cold_time(name)
        log(f"  {name}: best {_t(min(warm[name]))}, median {_t(statistics.median(warm[name]))}, "
            f"cold {_t(cold[name])}; one thread: best {_t(min(warm1[name]))}")
    bw += memcpy_bandwidth(2 ** 22 if quick else 2 ** 25, reps=3)
    if threads > 1:
        bw_threads += memcpy_bandwidth(2 ** 22 if quick else 2 ** 25, reps=3, threads=threads)

    def bound(name):
        """(median, best, text) of the memcpy bandwidth a pass is held to: one thread's, or
        with several threads the higher of one thread's and as many threads'."""
        med, best = statistics.median(bw), max(bw)
        text = f"memcpy {med / 1e9:.1f} GB/s median ({best / 1e9:.1f} best) of {len(bw)}"
        if op_threads[name] > 1:
            med_t = statistics.median(bw_threads)
            med, best = max(med, med_t), max(bw + bw_threads)
            text = (f"memcpy {med / 1e9:.1f} GB/s median ({best / 1e9:.1f} best): the higher of "
                    f"1 thread ({statistics.median(bw) / 1e9:.1f}) and {op_threads[name]} threads "
                    f"({med_t / 1e9:.1f}), {len(bw)} samples each")
        return med, best, text

    # baselines: dense NumPy in probability space, scipy logsumexp in log space
    _optional("scipy.special")  # imported before the clock starts, as proofcheck already is
    t0 = time.perf_counter()
    dense = dense_numpy_kernels(big)
    t_prep_np = time.perf_counter() - t0
    t0 = time.perf_counter()
    lse = logsumexp_kernels(big)
    t_prep_lse = time.perf_counter() - t0
    base = {}
    levels = dense[2] if dense else None
    if dense is not None:
        (np_soft, np_g, np_kappa), pri, _ = dense
        g1_lv = [G1.values[L["pairs"]].reshape(L["prior"].shape) for L in levels]
        np_ops = {"soft values": lambda: np_soft(pri), "G step": lambda: np_g(pri),
                  "kappa_delta": lambda: np_kappa(g1_lv)}
        out = {k: f() for k, f in np_ops.items()}
        agree = {"soft values": _rel(results["soft values"].zv, out["soft values"][1]),
                 "G step": max(float(np.max(np.abs(results["G step"].values[L["pairs"]].reshape(g.shape) - g)))
                               for L, g in zip(levels, out["G step"])),
                 "kappa_delta": _rel([float(results["kappa_delta"])], [out["kappa_delta"]])}
        base["NumPy dense"] = (np_ops, agree, t_prep_np)
    if lse is not None:
        (l_soft, l_g, l_kappa), lpri = lse
        with np.errstate(divide="ignore"):
            lg1 = [np.log(g) for g in g1_lv] if dense is not None else None
        l_ops = {"soft values": lambda: l_soft(lpri), "G step": lambda: l_g(lpri),
                 "kappa_delta": lambda: l_kappa(lg1)}
        out = {k: f() for k, f in l_ops.items()}
        agree = {"soft values": _rel(results["soft values"].zv, np.exp(out["soft values"][1])),
                 "G step": max(float(np.max(np.abs(results["G step"].values[L["pairs"]].reshape(g.shape) - g)))
                               for L, g in zip(levels, out["G step"])),
                 "kappa_delta": _rel([float(results["kappa_delta"])], [out["kappa_delta"]])}
        base["scipy logsumexp"] = (l_ops, agree, t_prep_lse)
    tol = 1e-9
    for bname, (_, agree, _) in base.items():
        for name, d in agree.items():
            if not d <= tol:
                raise BenchmarkMismatch(f"float path vs {bname}, {name}: difference {d:.3g} > {tol}")
    cache_note = "; model fits in cache (--quick): % of memcpy not meaningful" if quick else ""
    for name in _FLOAT_OPS:
        best, med = min(warm[name]), statistics.median(warm[name])
        ach_med, ach_best = nbytes[name] / med, nbytes[name] / best
        bw_med, bw_best, bw_text = bound(name)
        n_t = op_threads[name]
        rows.append(Row(section, name, size,
                        f"{_t(best)} best, {_t(med)} median warm; {_t(cold[name])} cold"
                        + (f" ({n_t} threads; one thread: {_t(min(warm1[name]))} best)" if n_t > 1 else ""),
                        bw_text,
                        f"{ach_med / bw_med:.0%} of memcpy ({ach_best / bw_best:.0%} best vs best)",
                        f"{nbytes[name] / 1e6:.0f} MB compulsory traffic = {ach_med / 1e9:.2f} GB/s"
                        + (" (bytes model of the soft pass + an occupancy pass; the fused kappa reads its "
                           "inputs in one backward pass)" if name == "kappa_delta" else "")
                        + (f"; {n_t} threads over the chunks of each level" if n_t > 1 else "") + "; "
                        f"vs plain Python {d_soft if name == 'soft values' else d_g if name == 'G step' else d_k:.0e}"
                        + cache_note))
        best1 = min(warm1[name])  # like for like: the baselines run on one thread
        for bname, (b_ops, agree, prep) in base.items():
            tb, _ = _timings(b_ops[name], max(3, reps // 2))
            b_best = min(tb)
            rows.append(Row(section, f"{name} vs {bname}", size,
                            f"{_t(best1)} warm, {_t(cold1[name])} cold" + (" (one thread)" if n_t > 1 else ""),
                            f"{_t(b_best)} warm, {_t(b_best + prep)} cold ({bname}; cold = + building its "
                            f"arrays {_t(prep)})",
                            f"{_vs(best1, b_best)} warm, {_vs(cold1[name], b_best + prep)} cold",
                            f"difference {agree[name]:.0e}"))


# ---------------------------------------------------------------------------- import time

def _bench_import(quick, rows, log):
    n = 3 if quick else 7
    walls, cpus = [], []
    for _ in range(n):
        c0, w0 = _cpu_children(), time.perf_counter()
        subprocess.run([sys.executable, "-c", "import proofcheck"], check=True, cwd=ROOT)
        walls.append(time.perf_counter() - w0)
        cpus.append(_cpu_children() - c0)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    bytecode = "off" if os.environ.get("PYTHONDONTWRITEBYTECODE") else "on"
    c0, t0 = _cpu_children(), time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    bare, bare_cpu = time.perf_counter() - t0, _cpu_children() - c0
    rows.append(Row("import", "import proofcheck (fresh interpreter)", f"median of {n}",
                    f"{_t(statistics.median(cpus))} CPU, {_t(statistics.median(walls))} wall",
                    f"python -c pass: {_t(bare_cpu)} CPU, {_t(bare)} wall", "",
                    f"load average {load}; bytecode cache writes {bytecode}; top-level names load lazily"))
    # what every CLI command pays before it starts working
    walls, cpus = [], []
    for _ in range(n):
        c0, w0 = _cpu_children(), time.perf_counter()
        subprocess.run([sys.executable, "-c", "import proofcheck.cli, proofcheck.verify"], check=True, cwd=ROOT)
        walls.append(time.perf_counter() - w0)
        cpus.append(_cpu_children() - c0)
    rows.append(Row("import", "import proofcheck.cli, proofcheck.verify (what `proofcheck verify` loads)",
                    f"median of {n}", f"{_t(statistics.median(cpus))} CPU, {_t(statistics.median(walls))} wall",
                    f"python -c pass: {_t(bare_cpu)} CPU, {_t(bare)} wall", "", f"load average {load}"))


# ---------------------------------------------------------------------------- verify rows

@dataclass
class VerifyHook:
    """One ``proofcheck verify`` row: ``make(tmpdir)`` returns the paths to verify."""

    label: str
    make: object
    target: float | None  # seconds of CPU; None: tracked, no target
    size: str = ""
    timeout: float = 120.0
    extra_args: list = field(default_factory=list)


def _float_tree(tmp, depth, name):
    """A binary tree of ``depth`` decision levels whose priors and likelihoods are random
    Python floats, as the authors' random MDPs are drawn; written as a case file with TOML
    floats (their repr), which proofcheck reads as inexact inputs (sums checked within the
    model's tolerance)."""
    rng = random.Random(7)
    lines = ["[case]", f'name = "{name}"', "", "[mdp]", 'initial = "s"']

    def node(state, level):
        if level == depth:
            lines.extend(["", f"[states.{state}]", f"success = {rng.random()!r}"])
            return
        p = rng.random()
        for a, pr, child in (("L", p, state + "l"), ("R", 1 - p, state + "r")):
            lines.extend(["", f"[states.{state}.actions.{a}]", f'next = "{child}"', f"prior = {pr!r}",
                          f"q = {rng.random()!r}"])
        node(state + "l", level + 1)
        node(state + "r", level + 1)
    node("s", 0)
    path = os.path.join(tmp, f"{name}.toml")
    with open(path, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    return [path]


def _float_case(tmp):
    """The 7-state tree (depth 2) from random floats."""
    return _float_tree(tmp, 2, "float_tree_7")


def _float_tree15_case(tmp):
    """The 15-state tree (depth 3) from random floats."""
    return _float_tree(tmp, 3, "float_tree_15")


def _float_layered_case(tmp):
    """A stochastic layered model (3 layers of 2 states, 3 actions, 2 outcomes each) whose
    priors and transition probabilities are random floats normalised in floating point, as a
    trained model's softmax outputs are: a row sums to 1 only within rounding."""
    rng = random.Random(3)
    lines = ["[case]", 'name = "float_layered_7"', "", "[mdp]", 'initial = "s"']
    layers = [["s"]] + [[f"x{t}_{i}" for i in range(2)] for t in (1, 2, 3)]
    for here, below in zip(layers, layers[1:]):
        for s in here:
            w = [rng.random() for _ in range(3)]
            for a in range(3):
                p = [rng.random() for _ in below]
                nxt = ", ".join(f'"{t}" = {x / sum(p)!r}' for t, x in zip(below, p))
                lines.extend(["", f"[states.{s}.actions.a{a}]", f"prior = {w[a] / sum(w)!r}",
                              f"q = {rng.random()!r}", f"next = {{ {nxt} }}"])
    for t in layers[-1]:
        lines.extend(["", f"[states.{t}]", f"success = {rng.random()!r}"])
    path = os.path.join(tmp, "float_layered_7.toml")
    with open(path, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    return [path]


def _arrays_case(tmp):
    """A stochastic model from NumPy float arrays, as a trained model's are: 6 states and 3
    actions unrolled over 4 steps, ``P[s, a]``, the prior and ``q`` drawn in float64
    (seed 0), through ``proofcheck.from_arrays`` and written as a case file with TOML floats."""
    rng = np.random.default_rng(0)
    P = rng.dirichlet(np.ones(6), size=(6, 3))
    prior = rng.dirichlet(np.ones(3), size=6)
    q = rng.uniform(0.2, 1, size=(6, 3))
    m = from_arrays(P, q=q, prior=prior, initial=0, horizon=4, success=rng.uniform(0, 1, size=6),
                    name="arrays_25")
    path = os.path.join(tmp, "arrays_25.toml")
    with open(path, "w") as fh:
        fh.write(dump_case(m))
    return [path]


def _bandit_case(tmp):
    """A 4-state parametric bandit: three arms with prior (p, (1 - p)/2, (1 - p)/2)."""
    text = """[case]
name = "parametric_bandit"

[parameters]
p = { min = "0", max = "1" }

[mdp]
initial = "s"

[states.s.actions.a]
next = "win_a"
prior = "p"

[states.s.actions.b]
next = "win_b"
prior = "(1 - p)/2"

[states.s.actions.c]
next = "win_c"
prior = "(1 - p)/2"

[states.win_a]
success = "1"

[states.win_b]
success = "1/2"

[states.win_c]
success = "1/4"
"""
    path = os.path.join(tmp, "parametric_bandit.toml")
    with open(path, "w") as fh:
        fh.write(text)
    return [path]


def _tree31_case(tmp):
    path = os.path.join(tmp, "parametric_tree_31.toml")
    with open(path, "w") as fh:
        fh.write(dump_case(binary_tree_mdp(4, seed=0)))
    return [path]


def _bundled_cases(tmp):
    return [os.path.join(ROOT, "cases")]


#: The ``verify`` rows; append a :class:`VerifyHook` to add one.
VERIFY_HOOKS = [
    VerifyHook("verify: 7-state tree from random floats", _float_case, 10.0, "7 states", timeout=120),
    VerifyHook("verify: 4-state parametric bandit", _bandit_case, 5.0, "4 states, p", timeout=120),
    VerifyHook("verify: 31-state parametric tree (p, 1 - p)", _tree31_case, 30.0, "31 states, p", timeout=180),
    VerifyHook("verify cases/", _bundled_cases, 3.0, "bundled cases", timeout=180),
    # tracked, with no target in issue 12: larger float-derived models, where numbers grow by
    # thousands of digits per re-training step (the row above them is the 7 states)
    VerifyHook("verify: 15-state tree from random floats", _float_tree15_case, None, "15 states", timeout=300),
    VerifyHook("verify: 7-state stochastic model from normalised floats", _float_layered_case, None,
               "7 states, 2 outcomes", timeout=300),
    VerifyHook("verify: 25-state stochastic model from NumPy float arrays", _arrays_case, None,
               "25 states, 57 pairs, 6 outcomes", timeout=600),
]


#: Runs per ``verify`` row with a target: this machine's CPU time moves by 10 to 25% between
#: runs of the same command (measured), so a row gives the median of three and their range,
#: and the target is judged on the median.  Tracked rows run once.
VERIFY_REPEATS = 3


def _run_verify(cmd, timeout):
    """``(rc, cpu, wall, stderr)`` of one run; rc None when it was killed at ``timeout``."""
    c0, w0 = _cpu_children(), time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
        rc, err = proc.returncode, proc.stderr
    except subprocess.TimeoutExpired:
        rc, err = None, ""
    return rc, _cpu_children() - c0, time.perf_counter() - w0, err


def _bench_verify(quick, rows, log, *, forced=False):
    if quick and not forced:
        rows.append(Row("verify", "proofcheck verify rows", "", "", "", "",
                        "skipped in --quick (run with --section verify)"))
        return
    with tempfile.TemporaryDirectory() as tmp:
        for hook in VERIFY_HOOKS:
            paths = hook.make(tmp)
            cmd = [sys.executable, "-m", "proofcheck", "verify", *paths, *hook.extra_args]
            note = "target judged on CPU time; exit 0/1 = verified (1: some verdict or expectation fails)"
            runs = []
            for _ in range(VERIFY_REPEATS if hook.target is not None else 1):
                runs.append(_run_verify(cmd, hook.timeout))
                if runs[-1][0] not in (0, 1):  # killed or an error: no point in repeating it
                    break
            rc, cpu, wall, err = runs[-1]
            if rc is None:
                verdict = f"NOT MET (killed after {hook.timeout:.0f} s wall)"
                ours = f"> {_t(wall)} wall"
            elif rc not in (0, 1):  # an error is not a fast verification
                verdict = f"NOT MET (exit {rc}: error)"
                ours = f"{_t(cpu)} CPU, {_t(wall)} wall (exit {rc})"
                last = (err.strip().splitlines() or [""])[-1]
                note = f"verify failed: {last[:160]}"
            else:
                cpu = statistics.median(r[1] for r in runs)
                wall = statistics.median(r[2] for r in runs)
                verdict = ("tracked" if hook.target is None else "MET" if cpu < hook.target else "NOT MET")
                spread = (f" (median of {len(runs)}: {_t(min(r[1] for r in runs))} to {_t(max(r[1] for r in runs))})"
                          if len(runs) > 1 else "")
                ours = f"{_t(cpu)} CPU{spread}, {_t(wall)} wall (exit {rc})"
            log(f"  {hook.label}: {ours}: {verdict}")
            goal = "no target (tracked)" if hook.target is None else f"target < {hook.target:g} s"
            rows.append(Row("verify", hook.label, hook.size, ours, goal, verdict, note))


# ---------------------------------------------------------------------------- mpmath

def _bench_mpmath(quick, rows, log):
    section = "mpmath 50 digits"
    n = 500 if quick else 10_000
    mdp = random_layered_mdp(n, 4, horizon=10, seed=2, values="exact", validate=False)
    budget = 0.2 if quick else 1.0
    B50 = get_backend("mpmath:50")
    t_mp, pol_mp = _best_time(lambda m: goal_condition(m, backend=B50), budget=budget,
                              setup=lambda: _fresh(mdp))
    t_fl, pol_fl = _best_time(lambda m: goal_condition(m, backend="float"), budget=budget,
                              setup=lambda: _fresh(mdp))
    exact_name = "rational" if _optional("flint")[0] is not None else "exact"
    BX = get_backend(exact_name)
    t_ex, pol_ex = _best_time(lambda m: goal_condition(m, backend=BX), budget=budget, reps=2,
                              setup=lambda: _fresh(mdp))
    ctx = mpmath.MPContext()
    ctx.dps = 80
    err_mp, err_fl = 0, 0.0
    for j in range(mdp.n_pairs):
        x = BX.to_sympy(pol_ex.values[j])
        xe = ctx.mpf(int(x.p)) / int(x.q)
        err_mp = max(err_mp, abs(ctx.mpf(pol_mp.values[j]) - xe))
        err_fl = max(err_fl, float(abs(ctx.mpf(float(pol_fl.values[j])) - xe)))
    if not err_mp < ctx.mpf(10) ** -45:
        raise BenchmarkMismatch(f"mpmath:50 G(prior) is off the exact values by {ctx.nstr(err_mp, 3)} > 1e-45")
    if not err_fl < 1e-12:
        raise BenchmarkMismatch(f"float64 G(prior) is off the exact values by {err_fl:.3g} > 1e-12")
    def warm_time(backend):  # the recursion alone, once the model's numbers are converted
        m = _fresh(mdp)
        goal_condition(m, backend=backend)

        def unmemoized():  # exact backends keep results per model (exact/case_memo): a hit is no recursion
            forget_memo(m)
            return m
        return _best_time(lambda model: goal_condition(model, backend=backend), budget=budget,
                          setup=unmemoized)[0]
    w_mp, w_fl, w_ex = warm_time(B50), warm_time(get_backend("float")), warm_time(BX)

    def vs(a, b):
        return f"{_ratio(a / b)} slower" if a >= b else f"{_ratio(b / a)} faster"
    P = mdp.n_pairs
    rows.append(Row(section, "G step vs float64", f"{mdp.n_states:,} states, {P:,} pairs",
                    f"{_rate(P / w_mp)}upd/s warm, {_rate(P / t_mp)}upd/s cold",
                    f"{_rate(P / w_fl)}upd/s warm, {_rate(P / t_fl)}upd/s cold (float64)",
                    f"{vs(w_mp, w_fl)} warm, {vs(t_mp, t_fl)} cold",
                    f"max error vs exact: mpmath {ctx.nstr(err_mp, 2)}, float64 {err_fl:.1e}"))
    rows.append(Row(section, f"G step vs exact ({exact_name})", f"{mdp.n_states:,} states, {P:,} pairs",
                    f"{_t(w_mp)} warm, {_t(t_mp)} cold (mpmath:50)",
                    f"{_t(w_ex)} warm, {_t(t_ex)} cold ({BX.name})",
                    f"{vs(w_mp, w_ex)} warm, {vs(t_mp, t_ex)} cold",
                    "cold: converting the model's SymPy numbers included"))


# ---------------------------------------------------------------------------- driver

SECTIONS = {"exact": _bench_exact, "parametric": _bench_parametric, "float": _bench_float,
            "mpmath": _bench_mpmath, "import": _bench_import, "verify": _bench_verify,
            "bridge": lambda q, rows, log: importlib.import_module("bench_bridge").run_section(q, rows, log, Row, BenchmarkMismatch)}


def run_benchmarks(quick=False, sections=None, log=None):
    """Run the benchmark sections; returns the list of :class:`Row`.

    A missing optional module makes its rows say so; a disagreement between proofcheck
    and a baseline raises :class:`BenchmarkMismatch`.
    """
    log = log or (lambda msg: None)
    rows = []
    if {"import", "verify"} & set(sections or SECTIONS):
        # the commands' rows time what users run after `pip install`, which writes the
        # bytecode; an editable install with PYTHONDONTWRITEBYTECODE would recompile the
        # package's ~80 modules in every command (0.3 s)
        compileall.compile_dir(os.path.join(ROOT, "proofcheck"), quiet=1)
        log("bytecode of proofcheck/ compiled (as pip install does)")
    for name in sections or SECTIONS:
        t0 = time.perf_counter()
        log(f"[{name}]")
        if name == "verify":
            _bench_verify(quick, rows, log, forced=bool(sections and "verify" in sections))
        else:
            SECTIONS[name](quick, rows, log)
        log(f"[{name}] done in {time.perf_counter() - t0:.1f} s")
    return rows


_COLS = (("case", "case"), ("size", "size"), ("ours", "proofcheck"), ("base", "baseline"),
         ("ratio", "ratio"), ("check", "agreement / notes"))


def _header(info, quick, command):
    load = ", ".join(f"{x:.1f}" for x in info["load"])
    return [f"proofcheck benchmark ({'quick' if quick else 'full'}): `{command}`",
            f"machine: {info['cores']} cores, {info['cpu']}; load average {load}; Python {info['python']}, "
            f"numpy {info['numpy']}, scipy {info['scipy']}, sympy {info['sympy']}, mpmath {info['mpmath']}, "
            f"python-flint {info['python-flint']}, gmpy2 {info['gmpy2']}, stormpy {info['stormpy']}",
            "times: wall clock unless CPU is said; baselines run in the same process, same run; "
            "the package's bytecode is compiled first (as pip install does)"]


def format_table(rows, info, *, quick, seconds, command):
    """The full table as Markdown (header lines first)."""
    lines = ["| section | " + " | ".join(t for _, t in _COLS) + " |",
             "|---|" + "---|" * len(_COLS)]
    for r in rows:
        lines.append(f"| {r.section} | " + " | ".join(str(getattr(r, k)) for k, _ in _COLS) + " |")
    tail = ["", f"all agreement checks passed; total {seconds:.1f} s"]
    return "\n".join(_header(info, quick, command) + [""] + lines + tail)


def format_markdown(rows, info, *, quick, seconds, command):
    """The README's performance table: what, size, proofcheck, baseline, ratio."""
    lines = [f"Measured with `{command}` ({seconds:.0f} s), {info['cores']} cores ({info['cpu']}), load "
             f"average {', '.join(f'{x:.1f}' for x in info['load'])}; Python {info['python']}, numpy "
             f"{info['numpy']}, sympy {info['sympy']}, python-flint {info['python-flint']}, "
             f"gmpy2 {info['gmpy2']}, stormpy {info['stormpy']}. Every baseline ran in the same run and "
             "agreed with proofcheck.", "",
             "| what | size | proofcheck | baseline (same run) | ratio |", "|---|---|---|---|---|"]
    for r in rows:
        what = r.case if r.case.startswith(r.section) else f"{r.section}: {r.case}"
        lines.append(f"| {what} | {r.size} | {r.ours} | {r.base} | {r.ratio} |")
    return "\n".join(lines)


_DESCRIPTION = ("Time proofcheck against trajectory enumeration, Storm, memcpy, NumPy, scipy and "
                "plain Python in one run, check that they agree, and print one table; exit 1 if "
                "any result disagrees with its baseline.")


def _arguments(p):
    p.add_argument("--quick", action="store_true", help="small sizes, as CI runs it")
    p.add_argument("--section", action="append", choices=list(SECTIONS), dest="sections",
                   help="run only this section (repeatable)")
    p.add_argument("--markdown", action="store_true", help="print the README performance table")
    p.add_argument("--save-markdown", metavar="PATH", help="also write the README table to PATH")
    p.add_argument("-v", "--verbose", action="store_true", help="progress on stderr")


def run(args, command="python benchmarks/run.py"):
    t0 = time.perf_counter()
    log = (lambda msg: print(msg, file=sys.stderr, flush=True)) if args.verbose else None
    cmd = (command + (" --quick" if args.quick else "") + (" --markdown" if args.markdown else "")
           + "".join(f" --section {s}" for s in args.sections or []))
    try:
        rows = run_benchmarks(args.quick, args.sections, log)
    except BenchmarkMismatch as exc:
        print(f"{command}: MISMATCH: {exc}", file=sys.stderr)
        return 1
    fmt = format_markdown if args.markdown else format_table
    info, seconds = machine_info(), time.perf_counter() - t0
    print(fmt(rows, info, quick=args.quick, seconds=seconds, command=cmd))
    if getattr(args, "save_markdown", None):
        with open(args.save_markdown, "w") as fh:
            fh.write(format_markdown(rows, info, quick=args.quick, seconds=seconds, command=cmd) + "\n")
    return 0


def main(argv=None, command="python benchmarks/run.py"):
    parser = argparse.ArgumentParser(prog=command, description=_DESCRIPTION)
    _arguments(parser)
    return run(parser.parse_args(argv), command)


if __name__ == "__main__":
    sys.exit(main())
