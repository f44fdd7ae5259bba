"""Number backends: one recursion, several number contexts (the mpmath pattern).

Every Bellman-type recursion in :mod:`proofcheck.engine` is written once against the
small interface of :class:`Backend`: arrays support ``+ - * /`` elementwise (NumPy
object arrays for exact, multi-precision and interval numbers; ``float64`` arrays for
the fast path), and the few operations that differ between number types are methods
here.  A backend also says how precise it is, so every reported number can carry its
precision.

The backends, one module each in this package, are named in its registry
(:data:`proofcheck.engine.backends.BACKENDS`).
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import sympy as sp

__all__ = ["Backend"]


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

    def scalar(self, value):
        """One constant (a SymPy number or anything ``sympify`` reads exactly) as this backend's number."""
        return self.array([sp.sympify(value)])[0]

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
