"""mpmath backends: multi-precision floats and rigorous intervals at ``dps`` digits."""

from __future__ import annotations

import functools
from collections.abc import Collection
from functools import lru_cache
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from proofcheck.engine.backends.base import Backend, _obj
from proofcheck.errors import UndecidedError
from proofcheck.exact.intervals import interval_context, interval_eval

__all__ = ["MpmathBackend", "IntervalBackend"]

_FZERO = mpmath.libmp.fzero  # 0 as a raw mpf, the one form interval arithmetic gives it


class _MpmathFamily(Backend):
    """What the mpmath float and interval backends share: a private context and its functions."""

    exact = False

    def __init__(self, dps: int, ctx: Any) -> None:
        self.dps = dps
        self.ctx = ctx

    def from_floats(self, values: Collection[Any]) -> np.ndarray:
        # a float is an exact binary number: converting it loses nothing (and, for
        # intervals, its point interval is a rigorous enclosure)
        return _obj([self.ctx.mpf(float(v)) for v in values])

    # 0 and 1 converted once per backend: the elementwise maps ask for them per entry
    @functools.cached_property
    def zero(self) -> Any:
        return super().zero

    @functools.cached_property
    def one(self) -> Any:
        return super().one

    def _log(self, x: Any) -> Any:
        return self.ctx.log(x)

    def _exp(self, x: Any) -> Any:
        return self.ctx.exp(x)


@lru_cache(maxsize=16)
def _context(dps: int) -> Any:
    """A private mpmath context at ``dps`` digits, one per precision (backends are made
    per call; a context costs about 1 ms to make).  Its precision is never changed."""
    ctx = mpmath.MPContext()
    ctx.dps = dps
    return ctx


class MpmathBackend(_MpmathFamily):
    """mpmath multi-precision floats in a private context of ``dps`` decimal digits."""

    def __init__(self, dps: int = 50) -> None:
        super().__init__(dps, _context(dps))

    @property
    def name(self) -> str:
        return f"mpmath-{self.dps}"

    @property
    def inf(self) -> Any:
        return self.ctx.inf

    def _convert(self, value: Any) -> Any:
        value = self._number(value)
        if value.is_Rational:
            return self.ctx.mpf(int(value.p)) / int(value.q)
        if not value.is_Float:  # a closed form such as exp(-1/2): evaluate with guard digits
            value = sp.N(value, self.dps + 15)
            if not value.is_Float:
                raise UndecidedError(f"numeric backend {self.name} cannot evaluate {value} to a real number")
        return self.ctx.mpf(sp.Float(value, self.dps + 15)._mpf_)

    def _pow(self, x: Any, y: Any) -> Any:
        return self.ctx.power(x, y)

    def _is_zero(self, x: Any) -> bool:
        return x == 0

    def _sign(self, x: Any) -> int:
        return int(x > 0) - int(x < 0)

    def to_sympy(self, x: Any) -> sp.Expr:
        return sp.Float(x, self.dps) if self.ctx.isfinite(x) else (sp.oo if x > 0 else -sp.oo)

    def describe(self) -> str:
        return f"mpmath, {self.dps} significant decimal digits (rounding error not bounded; see interval backend)"


class IntervalBackend(_MpmathFamily):
    """mpmath interval arithmetic: every number is a rigorous enclosure."""

    def __init__(self, dps: int = 50) -> None:
        super().__init__(dps, interval_context(dps))

    @property
    def name(self) -> str:
        return f"interval-{self.dps}"

    @property
    def inf(self) -> Any:
        return self.ctx.mpf(mpmath.inf)

    def _convert(self, value: Any) -> Any:
        return interval_eval(self._number(value), self.ctx)

    def _pow(self, x: Any, y: Any) -> Any:
        return self.ctx.exp(y * self.ctx.log(x)) if not (isinstance(y, int)) else x ** y

    def _is_zero(self, x: Any) -> bool:
        # the ends as raw mpf tuples: x.a and x.b would make two point intervals and
        # convert 0 into a third for each test (this runs ~10,000 times a verify)
        ends = getattr(x, "_mpi_", None)
        if ends is None:
            return x.a == 0 and x.b == 0
        return ends[0] == _FZERO and ends[1] == _FZERO

    def _sign(self, x: Any) -> int:
        if x.a > 0:
            return 1
        if x.b < 0:
            return -1
        if x.a == 0 and x.b == 0:
            return 0
        raise UndecidedError(f"the interval {x} straddles 0")

    def compare(self, a: Any, b: Any) -> int:
        if self._is_inf(a) or self._is_inf(b):
            return self._cmp_inf(a, b)
        return self._sign(a - b)

    def _is_inf(self, x: Any) -> bool:
        return x.a == x.b and (x.a == mpmath.inf or x.a == -mpmath.inf)

    def _cmp_inf(self, a: Any, b: Any) -> int:
        order = lambda v: 1 if (self._is_inf(v) and v.a > 0) else (-1 if self._is_inf(v) else 0)
        oa, ob = order(a), order(b)
        if oa == ob == 0:
            return self._sign(a - b)
        return (oa > ob) - (oa < ob)

    def to_sympy(self, x: Any) -> sp.Expr:
        # the midpoint at the interval's own precision (plus guard bits): mpmath.mpf at
        # the global precision would round it to about 15 digits
        with mpmath.workprec(self.ctx.prec + 10):
            mid = (mpmath.mpf(x.a) + mpmath.mpf(x.b)) / 2
            return sp.Float(mid, self.dps)

    def radius(self, x: Any) -> float:
        return float((x.b - x.a) / 2)

    def describe(self) -> str:
        return f"mpmath interval arithmetic, {self.dps} digits (rigorous enclosures)"
