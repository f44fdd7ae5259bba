"""Certified numeric verdicts: comparisons decided by interval enclosures, or not at all.

Every number here is an enclosure ``[lo, hi]`` that rigorously contains the true value
(mpmath's interval context, outward rounding).  A comparison is decided only when the
enclosures are disjoint (or are the same exact point); when they overlap the answer is
``None`` (undecided), never a guess.  Infinite endpoints are allowed, so ``J = -inf``
compares as expected.

:func:`proofcheck.claims.numeric.certified_return_improvement` uses this for a certified numeric check of
P5.4 (``J(pi^G_{i+1}) >= J(pi^G_i)``) on models too large for exact arithmetic: the
re-training trajectory and ``J`` (or ``S``) are computed in the interval backend.  A
model built from float64 arrays is taken as the exact binary numbers it stores, so
the verdict is certified for the model *as stored*.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import mpmath
import sympy as sp

from proofcheck.engine import additive_return, retrain, success_probability
from proofcheck.engine.backends import IntervalBackend
from proofcheck.exact.intervals import interval_context, interval_eval
from proofcheck.model.conventions import Conventions

__all__ = ["enclosure", "certified_compare", "certified_geq", "certify_monotone", "MonotoneVerdict",
           "CertifiedTrajectory", "certified_trajectory", "fmt_interval"]

_CTX = mpmath.MPContext()  # only for exact endpoint arithmetic (make_mpf never rounds)


def enclosure(x):
    """``(lo, hi)`` as exact mpmath numbers from an interval, an mpf, a number or a pair.

    Rationals that are not binary numbers are enclosed by directed rounding at 113 bits.

    Examples
    --------
    >>> lo, hi = enclosure(sp.Rational(1, 3))
    >>> lo < hi
    True
    >>> enclosure(0.5)
    (mpf('0.5'), mpf('0.5'))
    """
    if isinstance(x, tuple) and len(x) == 2:
        a, b = enclosure(x[0])[0], enclosure(x[1])[1]
        return a, b
    if hasattr(x, "_mpi_"):
        return _CTX.make_mpf(x._mpi_[0]), _CTX.make_mpf(x._mpi_[1])
    if hasattr(x, "_mpf_"):
        v = _CTX.make_mpf(x._mpf_)
        return v, v
    if isinstance(x, sp.Basic):
        if x == sp.oo or x == -sp.oo:
            v = _CTX.inf if x == sp.oo else -_CTX.inf
            return v, v
        if x.is_Rational:
            p, q = int(x.p), int(x.q)
            return (_CTX.fdiv(p, q, prec=113, rounding="f"), _CTX.fdiv(p, q, prec=113, rounding="c"))
        return enclosure(interval_eval(x, interval_context(40)))
    if isinstance(x, int):
        v = _CTX.mpf(x) if abs(x) < 2 ** 100 else None
        if v is None:
            return enclosure(sp.Integer(x))
        return v, v
    if isinstance(x, float):
        v = _CTX.mpf(x)  # exact: a float is a binary number
        return v, v
    raise TypeError(f"cannot enclose {x!r} of type {type(x).__name__}; give an mpmath interval, "
                    "an mpf, a float, an int or a SymPy number")


def certified_compare(a, b):
    """``-1``, ``0`` or ``1`` for ``a`` versus ``b`` when certain, ``None`` when the enclosures overlap.

    ``0`` only when both are the same exact point.

    Examples
    --------
    >>> iv = mpmath.iv
    >>> certified_compare(iv.mpf([1, 2]), iv.mpf([3, 4]))
    -1
    >>> certified_compare(iv.mpf([1, 3]), iv.mpf([2, 4])) is None
    True
    >>> certified_compare(0.5, sp.Rational(1, 2))
    0
    >>> certified_compare(-sp.oo, iv.mpf([-1e300, 0]))
    -1
    """
    alo, ahi = enclosure(a)
    blo, bhi = enclosure(b)
    if ahi < blo:
        return -1
    if alo > bhi:
        return 1
    if alo == ahi == blo == bhi:
        return 0
    return None


def certified_geq(a, b):
    """``True`` when ``a >= b`` is certain, ``False`` when ``a < b`` is certain, else ``None``.

    Examples
    --------
    >>> certified_geq(mpmath.iv.mpf([3, 4]), mpmath.iv.mpf([2, 3]))
    True
    """
    alo, ahi = enclosure(a)
    blo, bhi = enclosure(b)
    if alo >= bhi:
        return True
    if ahi < blo:
        return False
    return None


@dataclass
class MonotoneVerdict:
    """Outcome of :func:`certify_monotone`.

    ``verdict`` is ``"holds"`` (every step certified), ``"fails"`` (a certified
    violation at ``first_violation``: ``values[i+1]`` against ``values[i]``) or
    ``"undecided"`` (no certified violation, but the steps in ``undecided`` overlap).
    """

    verdict: str
    first_violation: int | None = None
    undecided: list = field(default_factory=list)
    comparisons: list = field(default_factory=list)

    def __bool__(self):
        return self.verdict == "holds"


def certify_monotone(values, *, increasing=True, strict=False):
    """Certify that a sequence of enclosures is monotone.

    Parameters
    ----------
    values : sequence
        Intervals, mpf, floats or SymPy numbers (see :func:`enclosure`).
    increasing : bool
        Non-decreasing (default) or non-increasing.
    strict : bool
        Require strict monotonicity.

    Examples
    --------
    >>> iv = mpmath.iv
    >>> certify_monotone([iv.mpf([0, 1]), iv.mpf([2, 3]), iv.mpf([3, 4])]).verdict
    'holds'
    >>> v = certify_monotone([iv.mpf([0, 1]), iv.mpf([2, 3]), iv.mpf([1, 1.5])])
    >>> v.verdict, v.first_violation
    ('fails', 1)
    >>> certify_monotone([iv.mpf([0, 1]), iv.mpf([0.5, 3])]).verdict
    'undecided'
    """
    sign = 1 if increasing else -1
    undecided, comps = [], []
    for i in range(len(values) - 1):
        hi_, lo_ = (values[i + 1], values[i]) if increasing else (values[i], values[i + 1])
        c = certified_compare(values[i + 1], values[i])
        comps.append(c)
        if c is None:
            if not strict and certified_geq(hi_, lo_):
                continue  # enclosures touch at one point: the weak step is still certain
            undecided.append(i)
            continue
        c *= sign
        if c < 0 or (strict and c == 0):
            return MonotoneVerdict("fails", i, undecided, comps)
    return MonotoneVerdict("undecided" if undecided else "holds", None, undecided, comps)


@dataclass
class CertifiedTrajectory:
    """An objective along re-training in interval arithmetic, and its certified monotonicity."""

    name: str  # "J" or "S"
    values: list
    monotone: MonotoneVerdict
    rows: list
    route: str
    dps: int


def certified_trajectory(mdp, k_max=10, *, dps=50, objective="return", conventions=None):
    """``J`` (or ``S``) of ``pi^G_0 .. pi^G_k_max`` in the interval backend at ``dps`` digits,
    with :func:`certify_monotone` of the sequence and one evidence row per value.

    It needs no exact arithmetic and accepts models with float64 inputs (as stored).
    """
    conventions = conventions or Conventions()
    name, fn = {"return": ("J", additive_return), "success": ("S", success_probability)}[objective]
    B = IntervalBackend(dps)
    seq = retrain(mdp, k_max, backend=B, conventions=conventions)
    vals = [fn(mdp, pol, backend=B) for pol in seq]
    rows = [{"quantity": f"{name}(pi^G_{i})", "value": fmt_interval(v),
             "step": None if i == 0 else _step_label(vals[i], vals[i - 1])}
            for i, v in enumerate(vals)]
    route = f"{B.describe()}; inputs {'float64 as stored' if not mdp.exact else 'exact'}"
    return CertifiedTrajectory(name, vals, certify_monotone(vals), rows, route, dps)


def _step_label(new, old):
    c = certified_compare(new, old)
    if c is None:
        return "non-decrease (enclosures touch)" if certified_geq(new, old) else "undecided"
    return {1: "increase", 0: "equal", -1: "DECREASE"}[c]


def fmt_interval(v):
    """An enclosure as text: one number when it is a point, else ``[lo, hi]`` at 15 digits."""
    lo, hi = enclosure(v)
    if lo == hi:
        return mpmath.nstr(lo, 15)
    return f"[{mpmath.nstr(lo, 15)}, {mpmath.nstr(hi, 15)}]"
