"""Number backends: one recursion, several number contexts (the mpmath pattern).

Every Bellman-type recursion in :mod:`proofcheck.engine` is written once against the
small interface of :class:`Backend`: arrays support ``+ - * /`` elementwise (NumPy
object arrays for exact, multi-precision and interval numbers; ``float64`` arrays for
the fast path), and the few operations that differ between number types are methods
here.  A backend also says how precise it is, so every reported number can carry its
precision.

Backends
--------
``ExactBackend``       SymPy numbers and expressions (exact; parametric models).
``MpmathBackend``      mpmath ``mpf`` in a private context at ``dps`` digits.
``IntervalBackend``    mpmath intervals (rigorous enclosures) at ``dps`` digits.
``FloatBackend``       NumPy ``float64``, vectorised.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import sympy as sp

from ..errors import UndecidedError
from ..numerics.exact_sign import exact_sign
from ..numerics.intervals import interval_context, interval_eval

__all__ = ["Backend", "ExactBackend", "MpmathBackend", "IntervalBackend", "FloatBackend",
           "get_backend"]


def _obj(values):
    arr = np.empty(len(values), dtype=object)
    arr[:] = list(values)
    return arr


def _is_float_array(values):
    return isinstance(values, np.ndarray) and values.dtype.kind == "f"


class Backend:
    """The operations a recursion needs beyond elementwise arithmetic.

    Subclasses set ``name``, ``exact`` and ``key`` and implement the scalar hooks
    ``_convert``, ``_log``, ``_exp``, ``_pow``, ``_is_zero``, ``_sign``; the array
    versions below are derived from them (object arrays), or overridden wholesale
    (``FloatBackend``).
    """

    name = "abstract"
    exact = False
    dtype = object

    @property
    def key(self):
        return self.name

    # -- scalar hooks ---------------------------------------------------------
    def _convert(self, value):
        raise NotImplementedError

    def _number(self, value):
        """``value`` as a SymPy number, for the numeric backends' ``_convert``."""
        value = sp.sympify(value)
        if value.free_symbols:
            raise UndecidedError(f"numeric backend {self.name} got a parametric value {value}; "
                                 "substitute the parameters first (MDP.substitute)")
        return value

    def _log(self, x):
        raise NotImplementedError

    def _exp(self, x):
        raise NotImplementedError

    def _pow(self, x, y):
        raise NotImplementedError

    def _is_zero(self, x):
        raise NotImplementedError

    def _sign(self, x):
        """-1, 0 or 1; raise UndecidedError when the sign cannot be decided."""
        raise NotImplementedError

    @property
    def zero(self):
        return self._convert(sp.Integer(0))

    @property
    def one(self):
        return self._convert(sp.Integer(1))

    @property
    def inf(self):
        raise NotImplementedError

    # -- arrays ---------------------------------------------------------------
    def array(self, values):
        """Convert model values (SymPy expressions) into this backend's array."""
        if _is_float_array(values):
            return self.from_floats(values)
        return _obj([self._convert(v) for v in values])

    def from_floats(self, values):
        """Convert a float64 array (models built by ``MDP.from_arrays``); each float is
        taken as the exact binary number it stores."""
        return _obj([self._convert(sp.Float(float(v))) for v in values])

    def empty(self, n):
        return np.empty(n, dtype=self.dtype)

    def full(self, n, value):
        out = np.empty(n, dtype=self.dtype)
        out[:] = [value] * n if self.dtype is object else value
        return out

    def zeros(self, n):
        return self.full(n, self.zero)

    def ones(self, n):
        return self.full(n, self.one)

    def map(self, f, *arrays):
        return _obj([f(*xs) for xs in zip(*arrays)])

    def log(self, x):
        """Elementwise natural log, ``log 0 = -inf``."""
        return self.map(lambda v: -self.inf if self._is_zero(v) else self._log(v), x)

    def exp(self, x):
        return self.map(self._exp, x)

    def power(self, x, y):
        """Elementwise ``x ** y`` for a scalar or array exponent, with ``0 ** y = 0`` (y > 0)."""
        ys = y if isinstance(y, np.ndarray) else [y] * len(x)
        return self.map(lambda a, b: self.zero if self._is_zero(a) else self._pow(a, b), x, ys)

    def xlogy(self, x, y):
        """Elementwise ``x * log(y)`` with ``0 * log(anything) = 0`` and ``x * log 0 = -inf``."""
        def f(a, b):
            if self._is_zero(a):
                return self.zero
            if self._is_zero(b):
                return -self.inf
            return a * self._log(b)
        return self.map(f, x, y)

    def rel_entr(self, x, y):
        """Elementwise ``x * log(x / y)``: 0 where ``x = 0``, ``+inf`` where ``y = 0 < x``."""
        def f(a, b):
            if self._is_zero(a):
                return self.zero
            if self._is_zero(b):
                return self.inf
            return a * self._log(a / b)
        return self.map(f, x, y)

    def weight(self, w, x):
        """Elementwise ``w * x`` with ``0 * x = 0`` even for infinite ``x``."""
        return self.map(lambda a, b: self.zero if self._is_zero(a) else a * b, w, x)

    def is_zero(self, x):
        return np.array([self._is_zero(v) for v in x], dtype=bool)

    def where(self, mask, a, b):
        out = np.empty(len(mask), dtype=self.dtype)
        a = a if isinstance(a, np.ndarray) else self.full(len(mask), a)
        b = b if isinstance(b, np.ndarray) else self.full(len(mask), b)
        out[mask] = a[mask]
        out[~mask] = b[~mask]
        return out

    def segment_sum(self, values, starts):
        """Sums of the segments ``values[starts[i]:starts[i+1]]`` (all non-empty)."""
        if len(starts) == 0:
            return self.empty(0)
        return self.normalize_array(np.add.reduceat(values, starts))

    def scatter_add(self, target, index, values):
        """``target[index[i]] += values[i]`` (repeated indices accumulate)."""
        np.add.at(target, index, values)

    def edge_sum(self, mdp, blk, ep, zv):
        """``sum_s' tau(s'|s, a) zv(s')`` for the pairs of one height level ``blk``."""
        e, p = blk.edges, blk.pairs
        inflow = ep[e] * zv[mdp.edge_target[e]]
        return self.segment_sum(inflow, mdp.pair_ptr[p.start:p.stop] - e.start)

    def compare(self, a, b):
        """-1, 0 or 1 for ``a`` vs ``b``; UndecidedError when it cannot be decided."""
        if a == b:
            return 0
        return self._sign(a - b) if not (self._is_inf(a) or self._is_inf(b)) else self._cmp_inf(a, b)

    def _is_inf(self, x):
        return x == self.inf or x == -self.inf

    def _cmp_inf(self, a, b):
        order = lambda v: 1 if v == self.inf else (-1 if v == -self.inf else 0)
        oa, ob = order(a), order(b)
        return (oa > ob) - (oa < ob)

    def segment_argmax(self, values, starts, ends):
        """Boolean mask of the maximal entries of each segment (ties kept, exactly)."""
        mask = np.zeros(len(values), dtype=bool)
        for lo, hi in zip(starts, ends):
            best = [lo]
            for j in range(lo + 1, hi):
                c = self.compare(values[j], values[best[0]])
                if c > 0:
                    best = [j]
                elif c == 0:
                    best.append(j)
            mask[best] = True
        return mask

    def segment_max(self, values, starts, ends):
        mask = self.segment_argmax(values, starts, ends)
        out = self.empty(len(starts))
        for i, (lo, hi) in enumerate(zip(starts, ends)):
            out[i] = values[lo + int(np.argmax(mask[lo:hi]))]
        return out

    def normalize_array(self, x):
        """Hook for canonical forms (the exact backend cancels rational functions)."""
        return x

    def to_sympy(self, x):
        """A SymPy number (or expression) for reporting."""
        raise NotImplementedError

    def describe(self):
        """Precision statement for reports."""
        raise NotImplementedError


class ExactBackend(Backend):
    """SymPy: exact rationals, algebraic numbers, and expressions in parameters."""

    name = "exact"
    exact = True

    def __init__(self, simplify=True):
        self.simplify = simplify

    @property
    def inf(self):
        return sp.oo

    def _convert(self, value):
        return sp.sympify(value) if not isinstance(value, sp.Basic) else value

    def array(self, values):
        if _is_float_array(values):
            from ..errors import ModelError
            raise ModelError(
                f"the exact backend got a float64 array of {len(values)} model values (a model built "
                "by MDP.from_arrays with float values); use backend='float', 'mpmath' or 'interval', "
                "or build the model with exact (SymPy) values")
        return _obj([v if isinstance(v, sp.Basic) else sp.sympify(v) for v in values])

    def _log(self, x):
        return sp.log(x)

    def _exp(self, x):
        return sp.exp(x)

    def _pow(self, x, y):
        return sp.Pow(x, y)

    def _is_zero(self, x):
        z = x.is_zero
        if z is None and x.free_symbols:  # parametric: a case split inside claim runs
            from ..symbolic.parametric import assumed_zero
            z = assumed_zero(x)
        return z is True

    def _sign(self, x):
        return exact_sign(x)

    def normalize(self, x):
        if not self.simplify or x.is_Rational or not x.free_symbols:
            return x
        if x.is_rational_function():
            return sp.cancel(x)
        return x

    def normalize_array(self, x):
        return _obj([self.normalize(v) for v in x]) if self.simplify else x

    def to_sympy(self, x):
        return x

    def describe(self):
        return "exact (SymPy rational and symbolic arithmetic)"


class _MpmathFamily(Backend):
    """What the mpmath float and interval backends share: a private context and its functions."""

    exact = False

    def __init__(self, dps, ctx):
        self.dps = dps
        self.ctx = ctx

    def from_floats(self, values):
        # a float is an exact binary number: converting it loses nothing (and, for
        # intervals, its point interval is a rigorous enclosure)
        return _obj([self.ctx.mpf(float(v)) for v in values])

    def _log(self, x):
        return self.ctx.log(x)

    def _exp(self, x):
        return self.ctx.exp(x)


class MpmathBackend(_MpmathFamily):
    """mpmath multi-precision floats in a private context of ``dps`` decimal digits."""

    def __init__(self, dps=50):
        ctx = mpmath.MPContext()
        ctx.dps = dps
        super().__init__(dps, ctx)

    @property
    def name(self):
        return f"mpmath-{self.dps}"

    @property
    def inf(self):
        return self.ctx.inf

    def _convert(self, value):
        value = self._number(value)
        if value.is_Rational:
            return self.ctx.mpf(int(value.p)) / int(value.q)
        if not value.is_Float:  # a closed form such as exp(-1/2): evaluate with guard digits
            value = sp.N(value, self.dps + 15)
            if not value.is_Float:
                raise UndecidedError(f"numeric backend {self.name} cannot evaluate {value} to a real number")
        return self.ctx.mpf(sp.Float(value, self.dps + 15)._mpf_)

    def _pow(self, x, y):
        return self.ctx.power(x, y)

    def _is_zero(self, x):
        return x == 0

    def _sign(self, x):
        return int(x > 0) - int(x < 0)

    def to_sympy(self, x):
        return sp.Float(x, self.dps) if self.ctx.isfinite(x) else (sp.oo if x > 0 else -sp.oo)

    def describe(self):
        return f"mpmath, {self.dps} significant decimal digits (rounding error not bounded; see interval backend)"


class IntervalBackend(_MpmathFamily):
    """mpmath interval arithmetic: every number is a rigorous enclosure."""

    def __init__(self, dps=50):
        super().__init__(dps, interval_context(dps))

    @property
    def name(self):
        return f"interval-{self.dps}"

    @property
    def inf(self):
        return self.ctx.mpf(mpmath.inf)

    def _convert(self, value):
        return interval_eval(self._number(value), self.ctx)

    def _pow(self, x, y):
        return self.ctx.exp(y * self.ctx.log(x)) if not (isinstance(y, int)) else x ** y

    def _is_zero(self, x):
        return x.a == 0 and x.b == 0

    def _sign(self, x):
        if x.a > 0:
            return 1
        if x.b < 0:
            return -1
        if x.a == 0 and x.b == 0:
            return 0
        raise UndecidedError(f"the interval {x} straddles 0")

    def compare(self, a, b):
        if self._is_inf(a) or self._is_inf(b):
            return self._cmp_inf(a, b)
        return self._sign(a - b)

    def _is_inf(self, x):
        return x.a == x.b and (x.a == mpmath.inf or x.a == -mpmath.inf)

    def _cmp_inf(self, a, b):
        order = lambda v: 1 if (self._is_inf(v) and v.a > 0) else (-1 if self._is_inf(v) else 0)
        oa, ob = order(a), order(b)
        if oa == ob == 0:
            return self._sign(a - b)
        return (oa > ob) - (oa < ob)

    def to_sympy(self, x):
        # the midpoint at the interval's own precision (plus guard bits): mpmath.mpf at
        # the global precision would round it to about 15 digits
        with mpmath.workprec(self.ctx.prec + 10):
            mid = (mpmath.mpf(x.a) + mpmath.mpf(x.b)) / 2
            return sp.Float(mid, self.dps)

    def radius(self, x):
        return float((x.b - x.a) / 2)

    def describe(self):
        return f"mpmath interval arithmetic, {self.dps} digits (rigorous enclosures)"


class FloatBackend(Backend):
    """NumPy float64, vectorised over each height level."""

    name = "float64"
    exact = False
    dtype = np.float64

    @property
    def inf(self):
        return np.inf

    @property
    def zero(self):
        return 0.0

    @property
    def one(self):
        return 1.0

    def _convert(self, value):
        return float(self._number(value))

    def array(self, values):
        if _is_float_array(values):
            return np.asarray(values, dtype=np.float64)
        return np.array([self._convert(v) for v in values], dtype=np.float64)

    def from_floats(self, values):
        return np.asarray(values, dtype=np.float64)

    #: Models with at least this many edges use cached scipy.sparse CSR matrices per
    #: height level for ``edge_sum`` (about 2x faster per pass at 10^6 states, see
    #: benchmarks/bench_scale.py); smaller ones, or no scipy, use the NumPy path.
    CSR_MIN_EDGES = 10_000

    def edge_sum(self, mdp, blk, ep, zv):
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

    def map(self, f, *arrays):
        # the engine never needs this on the float path (every array op is overridden);
        # a caller's scalar function still gets a float64 array, not an object array
        return np.fromiter((f(*xs) for xs in zip(*arrays)), dtype=np.float64, count=len(arrays[0]))

    def full(self, n, value):
        return np.full(n, value, dtype=np.float64)

    def log(self, x):
        with np.errstate(divide="ignore"):
            return np.log(x)

    def exp(self, x):
        return np.exp(x)

    def power(self, x, y):
        with np.errstate(divide="ignore"):
            return np.where(x == 0, 0.0, np.power(x, y))

    def xlogy(self, x, y):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(x == 0, 0.0, x * np.log(y))

    def rel_entr(self, x, y):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(x == 0, 0.0, np.where(y == 0, np.inf, x * np.log(x / np.where(y == 0, 1.0, y))))

    def weight(self, w, x):
        with np.errstate(invalid="ignore"):
            return np.where(w == 0, 0.0, w * x)

    def is_zero(self, x):
        return np.asarray(x) == 0

    def where(self, mask, a, b):
        return np.where(mask, a, b)

    def scatter_add(self, target, index, values):
        target += np.bincount(index, weights=values, minlength=len(target))

    def _is_zero(self, x):
        return x == 0

    def _sign(self, x):
        return int(np.sign(x))

    def segment_argmax(self, values, starts, ends):
        # exact float comparison: ties are equal floats, nothing is rounded into a tie
        mx = np.maximum.reduceat(values, starts) if len(starts) else values[:0]
        owner = np.repeat(np.arange(len(starts)), np.asarray(ends) - np.asarray(starts))
        return values == mx[owner]

    def segment_max(self, values, starts, ends):
        return np.maximum.reduceat(values, starts) if len(starts) else values[:0]

    def to_sympy(self, x):
        return sp.Float(float(x), 17) if math.isfinite(x) else (sp.oo if x > 0 else -sp.oo)

    def describe(self):
        return "IEEE float64 (about 16 significant digits; no error bound)"


try:  # optional extra "numeric": only speeds up the float path
    import scipy.sparse as _SPARSE
except ImportError:  # pragma: no cover - exercised when scipy is absent
    _SPARSE = None


def _csr_levels(mdp, ep, min_edges):
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


_CACHE = {}


def get_backend(spec=None):
    """A backend from a name: ``"exact"`` (default), ``"float"``, ``"mpmath"``,
    ``"mpmath:80"``, ``"interval"``, ``"interval:60"``; a Backend is returned as is.

    Examples
    --------
    >>> get_backend("mpmath:30").name
    'mpmath-30'
    """
    if isinstance(spec, Backend):
        return spec
    spec = spec or "exact"
    if spec in _CACHE:
        return _CACHE[spec]
    kind, _, digits = spec.partition(":")
    if kind == "rational":  # "rational[:auto|flint|sympy]": rational functions, engine/polynomial.py
        from .polynomial import RationalFunctionBackend
        _CACHE[spec] = RationalFunctionBackend(impl=digits or "auto")
        return _CACHE[spec]
    if digits and not (digits.isdigit() and 5 <= int(digits) <= 10_000):
        from ..errors import ConventionError
        raise ConventionError(f"backend {spec!r}: digits {digits!r} must be a whole number from 5 to "
                              "10000, e.g. mpmath:50")
    dps = int(digits) if digits else 50
    if kind == "exact":
        b = ExactBackend()
    elif kind in ("float", "float64"):
        b = FloatBackend()
    elif kind == "mpmath":
        b = MpmathBackend(dps)
    elif kind == "interval":
        b = IntervalBackend(dps)
    else:
        from ..errors import ConventionError
        raise ConventionError(f"unknown backend {spec!r}; use exact, float, mpmath[:DIGITS] or interval[:DIGITS]")
    _CACHE[spec] = b
    return b
