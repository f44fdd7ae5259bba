"""The float64 backend: NumPy, vectorised over each height level."""

from __future__ import annotations

import math
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

import numpy as np
import sympy as sp

from proofcheck.engine.backends.base import Backend, Offsets, _is_float_array

if TYPE_CHECKING:
    from proofcheck.model.mdp import MDP, _Block

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
            A = mats[blk.height] = _SPARSE.csr_matrix(
                (ep[e], mdp.edge_target[e], mdp.pair_ptr[p.start:p.stop + 1] - e.start),
                shape=(p.stop - p.start, len(zv)))
        return A @ zv

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


try:  # optional extra "numeric": only speeds up the float path
    import scipy.sparse as _SPARSE
except ImportError:  # pragma: no cover - exercised when scipy is absent
    _SPARSE = None


def _csr_levels(mdp: MDP, ep: np.ndarray, min_edges: int) -> dict[int, Any] | None:
    """Per-level CSR matrices of the model's own float64 edge probabilities, cached on
    the model; None when scipy is missing, the model is small, or ``ep`` is not the
    model's array (then there is nothing safe to cache)."""
    if _SPARSE is None or len(ep) < min_edges:
        return None
    cache = getattr(mdp, "_converted", None)
    if cache is None or cache.get("float64", {}).get("edge_prob") is not ep:
        return None
    entry = cache.get("float64:csr-levels")
    if entry is None or entry[0] is not ep:
        entry = cache["float64:csr-levels"] = (ep, {})
    return entry[1]
