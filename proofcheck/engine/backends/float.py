"""The float64 backend: NumPy, vectorised over each height level.

The hot passes (soft values, one ``G`` step, ``kappa``) run fused, level by level
(:meth:`FloatBackend.fused_pass`): per-level temporaries live in two reused buffers
the size of the widest level, results are written into their output arrays with
``out=``, a level whose states all have the same number of actions ``A`` is reduced
as an ``(n, A)`` view (no ``reduceat``, no gather of per-state values onto pairs), and
deterministic levels gather ``Zv`` by target directly (no sparse matrix; with the KL,
``Zv`` and ``K`` for a whole level at once, before its chunks).  Nothing
model-sized is allocated besides the outputs.  The structure of the levels is computed
once per model and cached with its converted numbers.
"""

from __future__ import annotations

import contextlib
import functools
import math
import numbers
import os
import threading
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import numpy as np

from proofcheck._lazy import LazyModule
from proofcheck.engine.backends.base import Backend, FusedPass, Offsets, _is_float_array

if TYPE_CHECKING:
    import sympy as sp

    from proofcheck.model.mdp import MDP, _Block
else:
    sp = LazyModule("sympy")  # for to_sympy: the float route itself never needs SymPy

__all__ = ["FloatBackend"]


class FloatBackend(Backend):
    """NumPy float64, vectorised over each height level."""

    name = "float64"
    exact = False
    dtype = np.float64

    @property
    def inf(self) -> float:
        return np.inf

    @property
    def zero(self) -> float:
        return 0.0

    @property
    def one(self) -> float:
        return 1.0

    def _convert(self, value: Any) -> float:
        if isinstance(value, float):  # np.float64 too
            return float(value)
        # int, Fraction and SymPy's Integer and Rational (SymPy registers them as
        # numbers.Rational): p / q is correctly rounded, and needs no SymPy
        if isinstance(value, numbers.Rational) and not isinstance(value, bool):
            try:
                return int(value.numerator) / int(value.denominator)
            except OverflowError:
                pass
        return float(self._number(value))

    def array(self, values: Collection[Any]) -> np.ndarray:
        if _is_float_array(values):
            return np.asarray(values, dtype=np.float64)
        return np.array([self._convert(v) for v in values], dtype=np.float64)

    def from_floats(self, values: Collection[Any]) -> np.ndarray:
        return np.asarray(values, dtype=np.float64)

    #: Models with at least this many edges use cached scipy.sparse CSR matrices per
    #: height level for ``edge_sum`` (about 2x faster per pass at 10^6 states, see
    #: benchmarks/bench_scale.py); smaller ones, or no scipy, use the NumPy path.
    CSR_MIN_EDGES: int = 10_000

    def edge_sum(self, mdp: MDP, blk: _Block, ep: np.ndarray, zv: np.ndarray) -> np.ndarray:
        mats = _csr_levels(mdp, ep, self.CSR_MIN_EDGES)
        if mats is None:
            return super().edge_sum(mdp, blk, ep, zv)
        A = mats.get(blk.height)
        if A is None:
            e, p = blk.edges, blk.pairs
            A = mats[blk.height] = _sparse().csr_matrix(
                (ep[e], mdp.edge_target[e], mdp.pair_ptr[p.start:p.stop + 1] - e.start),
                shape=(p.stop - p.start, len(zv)))
        return A @ zv

    #: Pairs per chunk of a level in the fused passes: the chunk's temporaries stay in
    #: cache (8 bytes x 64k = 512 kB per array: L2/L3) while each input is read once;
    #: smaller chunks pay more in per-call overhead than they gain in cache hits
    #: (measured at 10^6 states: 16k -> 64k is about 15% faster for soft values and G).
    CHUNK_PAIRS: int = 65_536
    #: Threads for the chunks of a level in the fused pass with the KL (``kappa``; None: the
    #: CPUs this process may use, at most 8): its ``log`` is scalar in NumPy and makes the
    #: pass compute-bound, while soft values and ``G`` are bound by memory and stay on one
    #: thread.  Chunks write disjoint outputs and each is computed the same way by any
    #: thread, so the results do not depend on this number, bit for bit.
    WORKERS: int | None = None

    def fused_threads(self, mdp: MDP, kl: bool = True) -> int:
        """Threads the fused passes use on ``mdp`` (see :attr:`WORKERS`): one for soft values
        and ``G`` (``kl=False``), which memory bandwidth bounds; with the KL, whose ``log``
        makes it compute-bound, more when some level has several chunks.

        >>> from proofcheck.model.generators import random_layered_mdp
        >>> FloatBackend().fused_threads(random_layered_mdp(9, 2, horizon=2))
        1
        """
        return _workers(self.WORKERS, _plan(mdp, mdp.converted(self)["edge_prob"], self.CHUNK_PAIRS), kl)

    def fused_pass(self, mdp: MDP, pi: np.ndarray, q: np.ndarray, success: np.ndarray, *,
                   condition: str | None = None, kl_delta: Any = None,
                   kl_impossible: str = "keep") -> FusedPass | None:
        ep = mdp.converted(self)["edge_prob"]
        if not (_is_float_array(pi) and _is_float_array(q) and _is_float_array(success)
                and _is_float_array(ep)):
            return None
        plan = _plan(mdp, ep, self.CHUNK_PAIRS)
        zq = np.empty(mdp.n_pairs)
        term = plan.terminal
        g = np.empty(mdp.n_pairs) if condition is not None else None
        K = None
        inv = None
        zv = np.empty(mdp.n_states)
        zv[term] = success[term]
        if kl_delta is not None:
            K = np.zeros(mdp.n_states)
            inv_exact = 1 / kl_delta
            inv = None if inv_exact == 1 else float(self.array([inv_exact])[0])
        width = plan.width
        workers = _workers(self.WORKERS, plan, K is not None)
        buffers = [_Buffers(width, K is not None) for _ in range(workers)]
        s2_buf = np.empty(width)  # K(next) per pair of a whole deterministic level
        # one errstate per pass and thread (entering it per chunk costs more than some chunks)
        quiet = (lambda: np.errstate(divide="ignore", invalid="ignore", over="ignore")) \
            if (K is not None or g is not None) else contextlib.nullcontext

        def run(lv: _Level, chunks: list[tuple[slice, slice, slice, np.ndarray]], bufs: _Buffers) -> None:
            """The chunks (consecutive) of one level with one thread's buffers."""
            ep_one = plan.ep_one[lv.index]
            p0 = lv.pairs.start
            gathered = K is not None and lv.det
            if gathered and K is not None:  # (the second test narrows K's type)
                # with the KL, Zv and K of the chunks' targets, one gather each: the random
                # reads stay within the level below while nothing else evicts it (per chunk,
                # between the KL's streams, the gathers cost about twice as much at 10^6
                # states; without the KL, per chunk is as fast)
                a, b = chunks[0][0].start, chunks[-1][0].stop
                tgt = mdp.edge_target[chunks[0][2].start:chunks[-1][2].stop]  # one edge per pair
                np.take(zv, tgt, out=zq[a:b], mode="wrap")
                np.take(K, tgt, out=s2_buf[a - p0:b - p0], mode="wrap")
            with quiet():
                for p, st, e, tgt in chunks:
                    n_p, n_s = p.stop - p.start, st.stop - st.start
                    w = bufs.w[:n_p]
                    zq_l = zq[p]
                    if lv.det:  # one outcome per pair: Zv(target), times tau unless all are 1
                        if not gathered:
                            np.take(zv, tgt, out=zq_l, mode="wrap")  # valid indices; "raise" would buffer
                        if not ep_one:
                            np.multiply(zq_l, ep[e], out=zq_l)
                    else:
                        zq_l[...] = lv.edge_sum(self, mdp, ep, zv, plan)
                    np.multiply(zq_l, q[p], out=zq_l)
                    pi_l = pi[p]
                    np.multiply(pi_l, zq_l, out=w)
                    zv_s = zv[st]
                    lv.segment_sum(w, zv_s)
                    if g is not None:  # rows whose Zv is 0 are fixed once per level, below
                        _divide_rows(lv, w, zv_s, g[p], pi_l, None)
                    if K is None:
                        continue
                    # KL(pi(.|s) || Boltzmann) per state, then K(s) = KL(s) + E_pi K(next)
                    t = bufs.t[:n_p]
                    weights = zq_l if inv is None else self.power(zq_l, inv)
                    tot = bufs.s[:n_s]
                    lv.segment_sum(weights, tot)
                    K_s = K[st]
                    if lv.det:
                        # K(s) = sum_a pi (log(pi / b) + K(next)): one product, one row sum.
                        # The two rules that need a check (a state whose weights sum to 0:
                        # kl_impossible; pi = 0: rel_entr's 0) both leave a NaN or -inf in
                        # log(pi / b), so one sum of the logs decides whether to look for them
                        _divide_rows(lv, weights, tot, t, pi_l, None)  # the Boltzmann policy
                        np.divide(pi_l, t, out=t)
                        np.log(t, out=t)
                        if not math.isfinite(np.add.reduce(t)):
                            dead = tot == 0
                            if dead.any():  # rare: the rows' Boltzmann policy by the rule, then their logs
                                counts = np.full(n_s, lv.A) if lv.A else lv.counts
                                rows = np.repeat(dead, counts)
                                b = pi_l[rows] if kl_impossible == "keep" else (1.0 / np.repeat(counts, counts))[rows]
                                t[rows] = np.log(pi_l[rows] / b)
                            if not pi_l.all():
                                # rel_entr's 0 where pi = 0: log 0 there (0 * K(next) stays, and
                                # is NaN for K(next) = inf, as the two-sum form gives)
                                np.copyto(t, 0.0, where=pi_l == 0)
                        kn = s2_buf[p.start - p0:p.stop - p0]  # K(next), gathered above
                        if not ep_one:
                            np.multiply(kn, ep[e], out=kn)
                        np.add(t, kn, out=t)
                        np.multiply(pi_l, t, out=t)
                        lv.segment_sum(t, K_s)
                        continue
                    _divide_rows(lv, weights, tot, t, pi_l, kl_impossible)  # Boltzmann
                    np.divide(pi_l, t, out=t)
                    np.log(t, out=t)
                    np.multiply(pi_l, t, out=t)
                    if not pi_l.all():  # rel_entr: 0 where pi = 0 (+inf where pi > 0 = soft stays)
                        np.copyto(t, 0.0, where=pi_l == 0)
                    kl_s = bufs.kl[:n_s]
                    lv.segment_sum(t, kl_s)
                    t[...] = lv.edge_sum(self, mdp, ep, K, plan)
                    np.multiply(pi_l, t, out=t)
                    lv.segment_sum(t, K_s)
                    np.add(K_s, kl_s, out=K_s)

        for lv in plan.levels:
            n = min(workers, len(lv.chunks))
            if n == 1:
                run(lv, lv.chunks, buffers[0])
            else:  # consecutive runs of chunks, one per thread: they write disjoint outputs
                cut = [len(lv.chunks) * i // n for i in range(n + 1)]
                _map_threads(n, [functools.partial(run, lv, lv.chunks[a:b], buffers[i])
                                 for i, (a, b) in enumerate(zip(cut, cut[1:]))])
            if g is not None and condition is not None:
                with quiet():
                    _fix_dead_rows(lv, zv[lv.states], g[lv.pairs], pi[lv.pairs], condition)
        return FusedPass(zq, zv, g, K)

    def initial_sum(self, mdp: MDP, per_state: np.ndarray) -> float:
        """``sum_s mu(s) x(s)`` over the states with ``mu(s) > 0``."""
        init = mdp.converted(self)["initial"]
        cache = getattr(mdp, "_converted", None)
        entry = cache.get("float64:initial-support") if cache is not None else None
        if entry is None or entry[0] is not init:  # the support, cached with the model's numbers
            nz = np.flatnonzero(init)
            entry = (init, nz, init[nz])
            if cache is not None:
                cache["float64:initial-support"] = entry
        nz, mu = entry[1], entry[2]
        return float(np.dot(mu, per_state[nz]))

    def map(self, f: Callable[..., Any], *arrays: Collection[Any]) -> np.ndarray:
        # the engine never needs this on the float path (every array op is overridden);
        # a caller's scalar function still gets a float64 array, not an object array
        return np.fromiter((f(*xs) for xs in zip(*arrays)), dtype=np.float64, count=len(arrays[0]))

    def full(self, n: int, value: Any) -> np.ndarray:
        return np.full(n, value, dtype=np.float64)

    def log(self, x: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return np.log(x)

    def exp(self, x: np.ndarray) -> np.ndarray:
        return np.exp(x)

    def power(self, x: np.ndarray, y: Any) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return np.where(x == 0, 0.0, np.power(x, y))

    def xlogy(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(x == 0, 0.0, x * np.log(y))

    def rel_entr(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(x == 0, 0.0, np.where(y == 0, np.inf, x * np.log(x / np.where(y == 0, 1.0, y))))

    def weight(self, w: np.ndarray, x: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            return np.where(w == 0, 0.0, w * x)

    def is_zero(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(x) == 0

    def where(self, mask: np.ndarray, a: Any, b: Any) -> np.ndarray:
        return np.where(mask, a, b)

    def scatter_add(self, target: np.ndarray, index: np.ndarray, values: np.ndarray) -> None:
        target += np.bincount(index, weights=values, minlength=len(target))

    def _is_zero(self, x: Any) -> bool:
        return x == 0

    def _sign(self, x: Any) -> int:
        return int(np.sign(x))

    def segment_argmax(self, values: np.ndarray, starts: Offsets, ends: Offsets) -> np.ndarray:
        # exact float comparison: ties are equal floats, nothing is rounded into a tie
        mx = np.maximum.reduceat(values, starts) if len(starts) else values[:0]
        owner = np.repeat(np.arange(len(starts)), np.asarray(ends) - np.asarray(starts))
        return values == mx[owner]

    def segment_max(self, values: np.ndarray, starts: Offsets, ends: Offsets) -> np.ndarray:
        return np.maximum.reduceat(values, starts) if len(starts) else values[:0]

    def to_sympy(self, x: Any) -> sp.Expr:
        return sp.Float(float(x), 17) if math.isfinite(x) else (sp.oo if x > 0 else -sp.oo)

    def describe(self) -> str:
        return "IEEE float64 (about 16 significant digits; no error bound)"


_SPARSE_MODULE: list = []


def _sparse() -> Any:
    """``scipy.sparse``, imported on first use (it costs about a second at start-up and
    only speeds up large float models), or None when the optional extra is missing."""
    if not _SPARSE_MODULE:
        try:  # optional extra "numeric"
            import scipy.sparse
            _SPARSE_MODULE.append(scipy.sparse)
        except ImportError:  # pragma: no cover - exercised when scipy is absent
            _SPARSE_MODULE.append(None)
    return _SPARSE_MODULE[0]


def _csr_levels(mdp: MDP, ep: np.ndarray, min_edges: int) -> dict[int, Any] | None:
    """Per-level CSR matrices of the model's own float64 edge probabilities, cached on
    the model; None when scipy is missing, the model is small, or ``ep`` is not the
    model's array (then there is nothing safe to cache)."""
    if len(ep) < min_edges or _sparse() is None:
        return None
    cache = getattr(mdp, "_converted", None)
    if cache is None or cache.get("float64", {}).get("edge_prob") is not ep:
        return None
    entry = cache.get("float64:csr-levels")
    if entry is None or entry[0] is not ep:
        entry = cache["float64:csr-levels"] = (ep, {})
    return entry[1]


def _divide_rows(lv: _Level, w: np.ndarray, total: np.ndarray, out: np.ndarray, pi: np.ndarray,
                 impossible: str | None) -> None:
    """``out = w / total`` per state of a chunk of the level (``total`` over its states);
    where the total is 0 the :attr:`Conventions.impossible` rule: ``pi`` ("keep") or uniform
    (None: the caller fixes those rows).  The caller silences floating-point warnings
    (one ``errstate`` per pass, not per chunk)."""
    A = lv.A
    if 1 < A <= 8:  # column by column: faster than a broadcast over a short last axis
        w2, o2 = w.reshape(-1, A), out.reshape(-1, A)
        for k in range(A):
            np.divide(w2[:, k], total, out=o2[:, k])
    elif A:
        np.divide(w.reshape(-1, A), total[:, None], out=out.reshape(-1, A))
    else:
        np.divide(w, np.repeat(total, lv.counts), out=out)
    if impossible is not None:
        _fix_dead_rows(lv, total, out, pi, impossible)


def _fix_dead_rows(lv: _Level, total: np.ndarray, out: np.ndarray, pi: np.ndarray, impossible: str) -> None:
    """The rows of ``out`` (pairs of consecutive states of ``lv``, ``total`` over those states)
    whose total is 0: ``pi`` ("keep") or uniform."""
    dead = total == 0
    if dead.any():
        A = lv.A
        counts = np.full(len(total), A) if A else lv.counts
        rows = np.repeat(dead, counts)
        out[rows] = pi[rows] if impossible == "keep" else (1.0 / np.repeat(counts, counts))[rows]


class _Level:
    """One height level's structure for the fused float passes."""

    __slots__ = ("index", "blk", "pairs", "states", "edges", "A", "counts", "starts", "det", "tgt",
                 "edge_pair", "csr", "chunks")
    edge_pair: np.ndarray | None
    chunks: list[tuple[slice, slice, slice, np.ndarray]]

    def __init__(self, index: int, mdp: MDP, blk: _Block, chunk_pairs: int) -> None:
        self.index, self.blk = index, blk
        self.pairs, self.states, self.edges = blk.pairs, blk.states, blk.edges
        sp_ = mdp.state_ptr[blk.states.start:blk.states.stop + 1]
        self.counts = np.diff(sp_)
        self.starts = sp_[:-1] - blk.pairs.start
        self.A = int(self.counts[0]) if len(self.counts) and np.all(self.counts == self.counts[0]) else 0
        pp = mdp.pair_ptr[blk.pairs.start:blk.pairs.stop + 1]
        self.det = bool(np.all(np.diff(pp) == 1))
        self.tgt = mdp.edge_target[blk.edges]
        self.edge_pair = None if self.det else mdp.edge_pair[blk.edges] - blk.pairs.start
        self.csr: Any = None
        # (pairs, states, edges, edge targets) of each chunk: cache-sized pieces of a level
        # whose states all have A actions and whose pairs have one outcome each; else the
        # whole level
        self.chunks = [(blk.pairs, blk.states, blk.edges, self.tgt)]
        if self.A and self.det:
            step = max(1, chunk_pairs // self.A)
            s0, p0, e0 = blk.states.start, blk.pairs.start, blk.edges.start
            n_s = blk.states.stop - s0
            self.chunks = [(slice(p0 + a * self.A, p0 + min(a + step, n_s) * self.A),
                            slice(s0 + a, s0 + min(a + step, n_s)),
                            slice(e0 + a * self.A, e0 + min(a + step, n_s) * self.A),
                            mdp.edge_target[e0 + a * self.A:e0 + min(a + step, n_s) * self.A])
                           for a in range(0, n_s, step)]

    def segment_sum(self, w: np.ndarray, out: np.ndarray) -> None:
        """Per-state sums of ``w`` (over the level's pairs) into ``out``, in pair order."""
        A = self.A
        if A:
            r = w.reshape(-1, A)
            if A == 1:
                out[...] = r[:, 0]
                return
            np.add(r[:, 0], r[:, 1], out=out)  # column adds: a strided sweep beats reduce(axis=1)
            for k in range(2, A):
                np.add(out, r[:, k], out=out)
        else:
            out[...] = np.add.reduceat(w, self.starts)

    def edge_sum(self, B: FloatBackend, mdp: MDP, ep: np.ndarray, zv: np.ndarray, plan: _Plan) -> np.ndarray:
        if plan.n_edges >= B.CSR_MIN_EDGES and _sparse() is not None:
            if self.csr is None:
                e, p = self.edges, self.pairs
                self.csr = _sparse().csr_matrix(
                    (ep[e], self.tgt, mdp.pair_ptr[p.start:p.stop + 1] - e.start),
                    shape=(p.stop - p.start, len(zv)))
            out: np.ndarray = self.csr @ zv
            return out
        return B.edge_sum(mdp, self.blk, ep, zv)


class _Plan:
    """The levels (height >= 1, bottom up) of a model and facts about its edge probabilities."""

    __slots__ = ("ep", "levels", "width", "ep_one", "n_edges", "chunk_pairs", "terminal")

    def __init__(self, mdp: MDP, ep: np.ndarray, chunk_pairs: int) -> None:
        self.ep = ep
        self.levels = [_Level(i, mdp, blk, chunk_pairs) for i, blk in enumerate(mdp.blocks[1:])]
        self.width = max((lv.pairs.stop - lv.pairs.start for lv in self.levels), default=0)
        self.ep_one = [bool(np.all(ep[lv.edges] == 1.0)) for lv in self.levels]
        self.n_edges = len(ep)
        self.chunk_pairs = chunk_pairs
        # the terminal states as a slice when they are contiguous (as in a layered model),
        # else as indices: cheaper than the boolean mask on every pass
        term = np.flatnonzero(mdp.terminal)
        contiguous = len(term) > 0 and int(term[-1]) - int(term[0]) + 1 == len(term)
        self.terminal: slice | np.ndarray = slice(int(term[0]), int(term[-1]) + 1) if contiguous else term


class _Buffers:
    """One thread's temporaries for the fused pass, each as long as the widest level."""

    __slots__ = ("w", "t", "s", "kl")

    def __init__(self, width: int, kl: bool) -> None:
        self.w = np.empty(width)
        self.t = np.empty(width) if kl else self.w
        self.s = np.empty(width)
        self.kl = np.empty(width) if kl else self.s


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def _workers(requested: int | None, plan: _Plan, kl: bool) -> int:
    """Threads worth starting for a pass over ``plan``: one without the KL (bound by memory,
    see :attr:`FloatBackend.WORKERS`) or unless some level has several chunks."""
    most = max((len(lv.chunks) for lv in plan.levels), default=1)
    if not kl or most < 2:
        return 1
    return max(1, min(most, requested if requested is not None else min(_cpus(), 8)))


_POOL: list[tuple[int, ThreadPoolExecutor]] = []  # (threads, pool), made on first use
_POOL_LOCK = threading.Lock()


def _forget_pool_after_fork() -> None:
    # a forked child has the pool object but not its threads, and maybe a lock held by a
    # thread that does not exist there
    global _POOL_LOCK
    _POOL.clear()
    _POOL_LOCK = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool_after_fork)


def _map_threads(n: int, tasks: list[Callable[[], None]]) -> None:
    """Run ``tasks`` on up to ``n`` threads (NumPy releases the GIL in each ufunc) and wait
    for all; the first exception is raised.  Callers on several threads share the pool."""
    with _POOL_LOCK:
        if not _POOL or _POOL[0][0] < n:
            # a larger pool replaces the old one, which is not shut down: a caller may still
            # be submitting to it; its idle threads end when it is no longer referenced
            size = max(n, 8)
            _POOL[:] = [(size, ThreadPoolExecutor(max_workers=size, thread_name_prefix="proofcheck-float"))]
        pool = _POOL[0][1]
    for f in [pool.submit(task) for task in tasks]:
        f.result()


def _plan(mdp: MDP, ep: np.ndarray, chunk_pairs: int) -> _Plan:
    """The cached :class:`_Plan` of ``mdp`` for its float64 edge probabilities ``ep``."""
    cache = mdp._converted
    plan = cache.get("float64:plan")
    if not isinstance(plan, _Plan) or plan.ep is not ep or plan.chunk_pairs != chunk_pairs:
        plan = cache["float64:plan"] = _Plan(mdp, ep, chunk_pairs)
    return plan
