#!/usr/bin/env python
"""BRIDGE rows of the benchmark: ``proofcheck horizon`` against a plain NumPy baseline.

``python benchmarks/bench_bridge.py [FOLDER ...]`` prints the rows (default: every sample
folder in ``../shared/data/bridge/``); ``python benchmarks/bench_bridge.py --baseline FOLDER``
runs only the NumPy baseline on one sample folder and prints its analysis as JSON (this is
what the "as a user runs it" row times in a subprocess, next to ``proofcheck horizon``).
``python benchmarks/run.py --section bridge`` runs the same rows inside the full table.

The baseline, :func:`numpy_effective_horizon`, is a plain NumPy transcription of the
reference code's effective-horizon analysis (Laidlaw, Russell & Dragan 2023; spec section
9): dense ``(T, S, A)`` value arrays, one vectorised step per time layer, float64, an action
optimal when ``Q*(s, a) >= V*(s) - 1e-4`` (the reference's tolerance), ``Q^k`` compared
exactly (greedy sets, zero gaps) as the reference does in float64.  It reproduces the
stored analysis (``consolidated_analyzed.json``: ``min_k``, ``epw``, ``ks``, ``ms``,
``effective_horizon``, ``gaps``, ``vars``); the benchmark checks that, and checks that
proofcheck (exact and float backends) gives the same analysis, before it prints a ratio.

The module imports only NumPy at the top, so the baseline's subprocess pays what a NumPy
user pays; proofcheck is imported inside :func:`run_section`.
"""

from __future__ import annotations

import json
import math
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

#: Where the BRIDGE sample folders live (relative to the repository root).
SAMPLES = os.path.normpath(os.path.join(ROOT, "..", "shared", "data", "bridge"))

#: The reference code's optimality tolerance (``REWARD_PRECISION``).
REFERENCE_TOLERANCE = 1e-4

__all__ = ["numpy_effective_horizon", "compare_with_stored", "sample_folders", "load_folder",
           "run_section", "main", "SAMPLES", "REFERENCE_TOLERANCE"]


# ---------------------------------------------------------------------------- the baseline

def _backward(R: np.ndarray, nxt: np.ndarray, T: int, reduce: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """``Q_t = R + V_{t+1}(next)`` for ``t = T-1 .. 0`` with ``V = reduce(Q)``; 0 after the end."""
    S, A = R.shape
    Q = np.empty((T, S, A))
    v = np.zeros(S + 1)  # v[-1] = 0: the value after an ending action (next = -1)
    for t in range(T - 1, -1, -1):
        np.add(R, v[nxt], out=Q[t])
        v[:S] = reduce(Q[t])
    return Q


def _shift(X: np.ndarray, nxt: np.ndarray, add: np.ndarray | None) -> np.ndarray:
    """``Y_t(s, a) = add(s, a) + max_a' X_{t+1}(next(s, a), a')`` (0 after the end or at ``T``)."""
    T, S, _ = X.shape
    ext = np.zeros((T + 1, S + 1))
    ext[:T, :S] = X.max(axis=2)
    Y = ext[1:][:, nxt]  # (T, S, A); next = -1 and t = T - 1 read zeros
    if add is not None:
        Y += add
    return Y


def _reach(follow: np.ndarray, nxt: np.ndarray) -> np.ndarray:
    """``(T, S)`` mask of the states reached from state 0 by the actions ``follow[t]``."""
    T, S, _ = follow.shape
    out = np.zeros((T, S), dtype=bool)
    out[0, 0] = True
    for t in range(T - 1):
        succ = nxt[follow[t] & out[t][:, None]]
        out[t + 1, succ[succ >= 0]] = True
    return out


def _solvable(Q: np.ndarray, opt: np.ndarray, nxt: np.ndarray) -> bool:
    """Every ``Q``-greedy action optimal at every state reached by following greedy actions."""
    greedy = Q == Q.max(axis=2, keepdims=True)
    bad = (greedy & ~opt).any(axis=2)
    return not (bad & _reach(greedy, nxt)).any()


def _least_k(first: np.ndarray, R: np.ndarray, opt: np.ndarray, nxt: np.ndarray) -> int | None:
    """The least ``k <= T`` for which k-QVI from ``Q^1 = first`` passes :func:`_solvable`."""
    Q = first
    for k in range(1, Q.shape[0] + 1):
        if _solvable(Q, opt, nxt):
            return k
        Q = _shift(Q, nxt, R)
    return None


def _bound(Q: np.ndarray, opt: np.ndarray, sig: np.ndarray, nxt: np.ndarray,
           logterm: float) -> tuple[int, float, float] | None:
    """The Theorem 5.4 rule for one ``k``: ``(m_k, gap, var)`` at the state the reference
    reports (the first maximal ``m`` by state index, then time), None on a zero gap.

    States are reached from the initial state by every action whose ``Q^k`` beats the best
    non-optimal action (every action where all are optimal)."""
    qmax = Q.max(axis=2)
    has_sub = ~opt.all(axis=2)
    qsub = np.where(opt, -np.inf, Q).max(axis=2)
    reached = _reach(~has_sub[..., None] | (Q > qsub[..., None]), nxt)
    if (reached & has_sub & (qmax == qsub)).any():
        return None
    gap = np.where(has_sub, qmax - qsub, np.inf)
    smax = sig.max(axis=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where((smax == 0) | np.isinf(gap), 0.0, smax / (gap * gap))
    m = np.where(reached, np.maximum(1.0, np.ceil(ratio * logterm)), 0.0)
    # the first maximal m in the reference's column-major order: lowest state, then earliest t
    s, t = np.unravel_index(int(np.argmax(m.T)), m.T.shape)
    return int(m[t, s]), float(gap[t, s]), float(smax[t, s])


def numpy_effective_horizon(transitions: np.ndarray, rewards: np.ndarray, horizon: int, *,
                            tolerance: float = REFERENCE_TOLERANCE) -> dict[str, Any]:
    """The reference code's effective-horizon analysis of a BRIDGE MDP, in plain NumPy.

    Parameters
    ----------
    transitions : (S, A) int array
        Next state, ``-1`` = the episode ends; the initial state is 0.
    rewards : (S, A) float array
        Read as float64 (a float32 converts exactly).
    horizon : int
        ``T``: the MDP is analysed over ``T`` steps.
    tolerance : float, optional
        An action is optimal when ``Q*(s, a) >= V*(s) - tolerance`` (the reference's 1e-4).

    Returns
    -------
    dict
        ``min_k``, ``epw``, ``effective_horizon`` and ``effective_horizon_results``
        (``ks``, ``ms``, ``gaps`` with ``None`` for an infinite gap, ``vars``,
        ``effective_horizon``), the layout of ``consolidated_analyzed.json``.

    Examples
    --------
    >>> r = numpy_effective_horizon(np.array([[-1, -1]]), np.array([[1.0, 0.0]]), 1)
    >>> r["min_k"], r["epw"], r["effective_horizon_results"]["ms"]
    (1, 1, [1])
    """
    nxt = np.asarray(transitions, dtype=np.int64)
    R = np.asarray(rewards, dtype=np.float64)
    S, A = R.shape
    T = int(horizon)
    q_rand = _backward(R, nxt, T, lambda q: q.mean(axis=1))
    q_star = _backward(R, nxt, T, lambda q: q.max(axis=1))
    q_worst = _backward(R, nxt, T, lambda q: q.min(axis=1))
    opt = q_star >= q_star.max(axis=2, keepdims=True) - tolerance
    with np.errstate(invalid="ignore"):
        sig = np.maximum((q_rand - q_worst) * (q_star - q_worst), 0.0)
    min_k = _least_k(q_rand, R, opt, nxt)
    epw = _least_k(np.broadcast_to(R, (T, S, A)).copy(), R, opt, nxt)
    ks: list[int] = []
    ms: list[int] = []
    gaps: list[float | None] = []
    vs: list[float] = []
    running = float(T)
    Q = q_rand
    k = 1
    while k < running:
        if k > 1:
            Q = _shift(Q, nxt, R)
            sig = _shift(sig, nxt, None)
        if _solvable(Q, opt, nxt):
            res = _bound(Q, opt, sig, nxt, 16.0 * math.log(2 * T * A ** k))
            if res is not None:
                m, gap, var = res
                ks.append(k)
                ms.append(m)
                gaps.append(None if math.isinf(gap) else gap)
                vs.append(var)
                running = min(running, k + (math.log(m, A) if A > 1 else 0.0))
        k += 1
    return {"min_k": min_k, "epw": epw, "effective_horizon": running,
            "effective_horizon_results": {"ks": ks, "ms": ms, "gaps": gaps, "vars": vs,
                                          "effective_horizon": running}}


def compare_with_stored(stored: dict[str, Any], computed: dict[str, Any], rel: float = 1e-9) -> dict[str, tuple[Any, Any, bool]]:
    """``{field: (stored, computed, equal)}`` for ``min_k``, ``epw``, ``ks``, ``ms`` (exactly),
    ``effective_horizon``, ``gaps`` and ``vars`` (floats to ``rel``; ``None`` gaps alike).

    Parameters
    ----------
    stored, computed : dict
        In the layout of ``consolidated_analyzed.json``.
    rel : float, optional

    Returns
    -------
    dict
    """
    def close(a: Any, b: Any) -> bool:
        if a is None or b is None:
            return a is None and b is None
        return abs(float(a) - float(b)) <= rel * max(1.0, abs(float(a)), abs(float(b)))

    res, mine = stored["effective_horizon_results"], computed["effective_horizon_results"]
    out: dict[str, tuple[Any, Any, bool]] = {}
    for key in ("min_k", "epw"):
        out[key] = (stored[key], computed[key], stored[key] == computed[key])
    for key in ("ks", "ms"):
        out[key] = (res[key], mine[key], [int(x) for x in res[key]] == [int(x) for x in mine[key]])
    out["effective_horizon"] = (stored["effective_horizon"], computed["effective_horizon"],
                                close(stored["effective_horizon"], computed["effective_horizon"]))
    for key in ("gaps", "vars"):
        out[key] = (res[key], mine[key],
                    len(res[key]) == len(mine[key]) and all(close(a, b) for a, b in zip(res[key], mine[key])))
    return out


# ---------------------------------------------------------------------------- samples

def _readme_horizons(folder: str) -> dict[str, int]:
    out: dict[str, int] = {}
    try:
        text = open(os.path.join(folder, "README.md"), encoding="utf-8").read()
    except OSError:
        return out
    for line in text.splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and cells[1].isdigit() and cells[0]:
            out[cells[0]] = int(cells[1])
    return out


def sample_folders(root: str = SAMPLES) -> list[str]:
    """The sample folders under ``root`` with a ``consolidated.npz`` (sorted).

    Parameters
    ----------
    root : str, optional

    Returns
    -------
    list of str
    """
    if not os.path.isdir(root):
        return []
    return sorted(os.path.join(root, d) for d in os.listdir(root)
                  if os.path.isfile(os.path.join(root, d, "consolidated.npz")))


def load_folder(folder: str) -> tuple[np.ndarray, np.ndarray, int | None, dict[str, Any] | None]:
    """``(transitions, rewards, horizon, stored analysis)`` of a sample folder (horizon from
    the samples README beside it, None when not listed; stored None when absent).

    Parameters
    ----------
    folder : str

    Returns
    -------
    tuple
    """
    with np.load(os.path.join(folder, "consolidated.npz")) as z:
        tr, rw = z["transitions"], z["rewards"]
    name = os.path.basename(os.path.normpath(folder))
    horizon = _readme_horizons(os.path.dirname(os.path.normpath(folder))).get(name)
    path = os.path.join(folder, "consolidated_analyzed.json")
    stored = None
    if os.path.isfile(path):
        with open(path, encoding="utf-8") as fh:
            stored = json.load(fh)
    return tr, rw, horizon, stored


# ---------------------------------------------------------------------------- timing

def _t(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds * 1e6:.0f} us"


def _cpu_children() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _subprocess_times(cmd: list[str], reps: int) -> tuple[float, float, str]:
    """Median CPU (children) and wall seconds of ``reps`` runs of ``cmd``, and its last stdout."""
    cpus, walls, out = [], [], ""
    for _ in range(reps):
        c0, w0 = _cpu_children(), time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False)
        walls.append(time.perf_counter() - w0)
        cpus.append(_cpu_children() - c0)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr.strip()[-400:]}")
        out = proc.stdout
    return statistics.median(cpus), statistics.median(walls), out


def _cpu_best(fn: Callable[[], Any], reps: int, setup: Callable[[], Any] | None = None) -> tuple[float, Any]:
    """Best CPU time (this process) of ``reps`` calls of ``fn`` (``fn(setup())`` with ``setup``)."""
    best, out = math.inf, None
    for _ in range(reps):
        arg = setup() if setup else None
        c0 = time.process_time()
        out = fn(arg) if setup else fn()
        best = min(best, time.process_time() - c0)
    return best, out


def _ratio(ours: float, base: float) -> str:
    r = ours / base
    return f"{r:.3g}x" if r < 100 else f"{r:,.0f}x"


def run_section(quick: bool, rows: list[Any], log: Callable[[str], None], row: Callable[..., Any],
                mismatch: type[Exception]) -> None:
    """The BRIDGE rows of ``benchmarks/run.py`` (``row`` builds a table row, ``mismatch`` is
    raised when proofcheck, the baseline and the stored analysis disagree).

    Parameters
    ----------
    quick : bool
        Fewer repetitions.
    rows : list
        Rows are appended here.
    log : callable
        Progress messages.
    row : callable
        ``row(section, case, size, ours, base, ratio, check)``.
    mismatch : exception class
    """
    section = "BRIDGE"
    folders = sample_folders()
    if not folders:
        rows.append(row(section, "proofcheck horizon", check=f"not available (no samples in {SAMPLES})"))
        return
    from proofcheck.engine.effective_horizon import effective_horizon
    from proofcheck.io.bridge import BridgeMDP, bridge_problem

    reps_cli, reps = (1, 3) if quick else (3, 7)
    for folder in folders:
        name = os.path.basename(folder)
        tr, rw, T, stored = load_folder(folder)
        if T is None or stored is None:
            rows.append(row(section, name, check="skipped: no horizon in the samples README or no stored analysis"))
            continue
        # 1. the baseline reproduces the stored analysis
        base_res = numpy_effective_horizon(tr, rw, T)
        diff = [k for k, (_, _, eq) in compare_with_stored(stored, base_res).items() if not eq]
        if diff:
            raise mismatch(f"BRIDGE {name}: the NumPy baseline differs from the stored analysis in {diff}")
        # 2. proofcheck (exact and float) reproduces it too
        mdp = BridgeMDP(tr, rw, name=name)
        size = ""
        for backend in ("exact", "float"):
            eh = effective_horizon(bridge_problem(mdp, T), backend, tolerance=REFERENCE_TOLERANCE)
            ref = {"min_k": eh.min_k, "epw": eh.planning_window, **eh.reference_results()}
            ref["effective_horizon_results"] = eh.reference_results()
            diff = [k for k, (_, _, eq) in compare_with_stored(stored, ref).items() if not eq]
            if diff:
                raise mismatch(f"BRIDGE {name}: proofcheck ({backend}) differs from the stored analysis in {diff}")
            P = eh.problem
            size = f"T = {T}, {P.n_decision_states} (t, s), A = {P.n_actions}"
        # 3. in process: the analysis call alone (model built untimed) vs the baseline
        t_base, _ = _cpu_best(lambda: numpy_effective_horizon(tr, rw, T), reps)  # noqa: B023
        t_build, _ = _cpu_best(lambda: bridge_problem(mdp, T), reps)  # noqa: B023
        times = {}
        for backend in ("exact", "float"):
            times[backend], _ = _cpu_best(
                lambda P: effective_horizon(P, backend, tolerance=REFERENCE_TOLERANCE), reps,  # noqa: B023
                setup=lambda: bridge_problem(mdp, T))  # noqa: B023
        log(f"  {name}: exact {_t(times['exact'])}, float {_t(times['float'])}, NumPy {_t(t_base)} CPU")
        rows.append(row(section, f"{name}: proofcheck horizon analysis (exact, float) vs NumPy baseline",
                        size, f"{_t(times['exact'])} exact, {_t(times['float'])} float (CPU, best of {reps})",
                        f"{_t(t_base)} NumPy (CPU, best of {reps})",
                        f"{_ratio(times['exact'], t_base)} exact, {_ratio(times['float'], t_base)} float",
                        f"all three reproduce the stored analysis (tolerance 1e-4); model build "
                        f"{_t(t_build)} not timed (fresh model per call: reward conversion included)"))
        # 4. as a user runs it: the CLI (exact + float cross-check) vs the baseline script
        cli = [sys.executable, "-m", "proofcheck", "horizon", folder]
        base_cmd = [sys.executable, os.path.join(HERE, "bench_bridge.py"), "--baseline", folder]
        c_cli, w_cli, out = _subprocess_times(cli, reps_cli)
        if "DIFFERENT" in out or "stored analysis (consolidated_analyzed.json): equal" not in out:
            raise mismatch(f"BRIDGE {name}: `proofcheck horizon` does not report the stored analysis as equal")
        c_base, w_base, out_b = _subprocess_times(base_cmd, reps_cli)
        if json.loads(out_b)["effective_horizon_results"]["ms"] != stored["effective_horizon_results"]["ms"]:
            raise mismatch(f"BRIDGE {name}: the baseline script does not reproduce the stored ms")
        log(f"  {name}: CLI {_t(c_cli)} CPU, baseline script {_t(c_base)} CPU")
        rows.append(row(section, f"{name}: `proofcheck horizon` as a user runs it vs NumPy baseline script",
                        size, f"{_t(c_cli)} CPU, {_t(w_cli)} wall (median of {reps_cli})",
                        f"{_t(c_base)} CPU, {_t(w_base)} wall (python bench_bridge.py --baseline)",
                        _ratio(c_cli, c_base) + " (CPU)",
                        "both from a fresh interpreter, imports included; the CLI runs exact and a float "
                        "cross-check (its default) and compares with the stored analysis"))


# ---------------------------------------------------------------------------- command line

class _Row:
    __slots__ = ("section", "case", "size", "ours", "base", "ratio", "check")

    def __init__(self, section: str, case: str, size: str = "", ours: str = "", base: str = "",
                 ratio: str = "", check: str = "") -> None:
        self.section, self.case, self.size = section, case, size
        self.ours, self.base, self.ratio, self.check = ours, base, ratio, check


class _Mismatch(AssertionError):
    pass


def main(argv: list[str] | None = None) -> int:
    """``bench_bridge.py [--baseline FOLDER]``: the rows, or the baseline's analysis as JSON.

    Parameters
    ----------
    argv : list of str, optional

    Returns
    -------
    int
        0, or 1 on a disagreement.
    """
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--baseline"]:
        tr, rw, T, _ = load_folder(argv[1])
        if T is None:
            raise SystemExit(f"{argv[1]}: the samples README does not list its horizon")
        print(json.dumps(numpy_effective_horizon(tr, rw, T)))
        return 0
    sys.path.insert(0, ROOT)
    rows: list[_Row] = []
    try:
        run_section("--quick" in argv, rows, lambda m: print(m, file=sys.stderr, flush=True), _Row, _Mismatch)
    except _Mismatch as exc:
        print(f"MISMATCH: {exc}", file=sys.stderr)
        return 1
    print(f"load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    for r in rows:
        print(f"| {r.section} | {r.case} | {r.size} | {r.ours} | {r.base} | {r.ratio} | {r.check} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
