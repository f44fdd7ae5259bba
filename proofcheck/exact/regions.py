"""Finite unions of intervals and points on the real line, with exact algebraic end points.

The case split of a parametric claim intersects, unites and subtracts the regions where a
sign holds hundreds of times per claim.  SymPy's generic sets do this by building and
simplifying relationals (milliseconds per operation, most of a parametric ``verify``);
here a region is a sorted tuple of disjoint pieces and every operation is one sweep over
the end points, each comparison decided exactly (rationals directly, algebraic numbers
(``CRootOf``) by SymPy's exact refinement).  :meth:`Region.to_sympy` gives the SymPy set
for display and for the public ``Condition.solution``.

Examples
--------
>>> import sympy as sp
>>> a = Region.interval(0, 1)
>>> b = Region.interval(sp.Rational(1, 2), 2, left_open=True)
>>> (a & b).to_sympy()
Interval.Lopen(1/2, 1)
>>> (a - b).to_sympy()
Interval(0, 1/2)
>>> (a - b) | Region.point(1) == Region.from_sympy(sp.Union(sp.Interval(0, sp.Rational(1, 2)), sp.FiniteSet(1)))
True
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from fractions import Fraction
from functools import lru_cache
from typing import Any

import sympy as sp

__all__ = ["Region", "less", "approx", "register_approximation"]


def less(a: Any, b: Any) -> bool:
    """``a < b`` for exact real numbers (rationals, infinities, ``CRootOf``), decided exactly."""
    if a.is_Rational and b.is_Rational:
        return a.p * b.q < b.p * a.q  # Python integers: a SymPy comparison costs 50 times more
    return _less_algebraic(a, b)


_KNOWN: dict = {}


def register_approximation(v: Any, value: Any) -> None:
    """Record a 40-digit approximation of the algebraic number ``v`` (a ``CRootOf``) that
    is already known, e.g. from python-flint's root isolation, so that comparisons need not
    refine SymPy's isolating intervals (slow) to get one."""
    if len(_KNOWN) > 1 << 15:
        _KNOWN.clear()
    _KNOWN[v] = value


def approx(v: Any) -> Any:
    """A 40-digit SymPy Float close to the real number ``v`` (error far below 1e-35 relative)."""
    got = _KNOWN.get(v)
    return got if got is not None else _approx(v)


@lru_cache(maxsize=1 << 14)
def _approx(v: Any) -> Any:
    return sp.N(v, 40)


def _numeric(v: Any) -> Any:
    """A 40-digit Float for a finite exact real ``v``; None for infinities."""
    if v.is_Rational:
        return sp.Float(v, 45)
    if v in (sp.oo, -sp.oo):
        return None
    return approx(v)


@lru_cache(maxsize=1 << 14)
def _less_algebraic(a: Any, b: Any) -> bool:
    if a == b:  # the same number (SymPy's Lt would refine CRootOf intervals to find out)
        return False
    # 40-digit values first: they decide whenever the numbers differ by more than their
    # error; only closer pairs refine the isolating intervals of CRootOf exactly
    x, y = _numeric(a), _numeric(b)
    if x is not None and y is not None and x.is_Float and y.is_Float \
            and abs(x - y) > sp.Float(10) ** -30 * (1 + abs(x) + abs(y)):
        return bool(x < y)
    return bool(sp.Lt(a, b))


def _same(a: Any, b: Any) -> bool:
    """Equal values, whatever their form (``sqrt(2)/2`` and ``CRootOf(2*x**2 - 1, 1)``)."""
    if a.is_Rational and b.is_Rational:
        return a.p == b.p and a.q == b.q
    return a == b or (not less(a, b) and not less(b, a))


def _sorted_unique(points: Iterable[Any]) -> list:
    pts = []
    for v in points:
        if not any(_same(v, w) for w in pts):
            pts.append(v)
    rational = sorted((v for v in pts if v.is_Rational), key=lambda r: Fraction(int(r.p), int(r.q)))
    other = [v for v in pts if not v.is_Rational]
    if not other:
        return rational
    out = rational
    for v in other:  # few algebraic end points: insertion by exact comparison
        i = 0
        while i < len(out) and less(out[i], v):
            i += 1
        out.insert(i, v)
    return out


class Region:
    """A subset of the real line: disjoint, sorted pieces ``(lo, hi, lo_closed, hi_closed)``.

    A point is the piece ``(v, v, True, True)``.  Pieces are merged wherever they touch, so
    equal sets have equal pieces and ``==`` is exact set equality.
    """

    __slots__ = ("pieces", "_sympy")

    def __init__(self, pieces: Iterable[tuple] = ()) -> None:
        self.pieces = tuple(pieces)
        self._sympy = None

    # -- construction -------------------------------------------------------
    @classmethod
    def interval(cls, lo: Any, hi: Any, left_open: bool = False, right_open: bool = False) -> Region:
        lo, hi = sp.sympify(lo), sp.sympify(hi)
        if less(hi, lo) or (_same(lo, hi) and (left_open or right_open)):
            return cls()
        return cls([(lo, hi, not left_open, not right_open)])

    @classmethod
    def point(cls, v: Any) -> Region:
        v = sp.sympify(v)
        return cls([(v, v, True, True)])

    @classmethod
    def from_sympy(cls, s: sp.Set) -> Region:
        """The region of a SymPy union of intervals and finite sets."""
        if s == sp.S.EmptySet:
            return cls()
        if isinstance(s, sp.Interval):
            return cls.interval(s.start, s.end, s.left_open, s.right_open)
        if isinstance(s, sp.FiniteSet):
            return cls.from_pieces([(v, v, True, True) for v in s.args])
        if isinstance(s, sp.Union):
            out = cls()
            for a in s.args:
                out = out | cls.from_sympy(a)
            return out
        raise TypeError(f"not a union of intervals and points: {s}")

    @classmethod
    def from_pieces(cls, pieces: Iterable[tuple]) -> Region:
        """The union of pieces ``(lo, hi, lo_closed, hi_closed)`` (any order, may touch)."""
        return cls._combine(lambda a: a[0], [cls(pieces)])

    # -- queries --------------------------------------------------------------
    def __bool__(self) -> bool:
        return bool(self.pieces)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Region) and self.pieces == other.pieces

    def __hash__(self) -> int:
        return hash(self.pieces)

    def __repr__(self) -> str:
        return f"Region({self.to_sympy()})"

    def contains(self, t: Any) -> bool:
        """Whether the number ``t`` lies in the region."""
        for lo, hi, lc, hc in self.pieces:
            above = (lc and _same(t, lo)) or less(lo, t)
            below = (hc and _same(t, hi)) or less(t, hi)
            if above and below:
                return True
        return False

    def points(self) -> list:
        """The isolated points of the region."""
        return [lo for lo, hi, _, _ in self.pieces if lo == hi]

    def is_points(self) -> bool:
        """Whether the region is a finite set of points (possibly empty)."""
        return all(lo == hi for lo, hi, _, _ in self.pieces)

    def _gap_inside(self, u: Any, v: Any) -> bool:
        """Whether the open gap ``(u, v)`` between consecutive break points lies in the region."""
        for lo, hi, _, _ in self.pieces:
            if not _same(lo, hi) and (_same(lo, u) or less(lo, u)) and (_same(hi, v) or less(v, hi)):
                return True
        return False

    def ends(self) -> list:
        return [e for lo, hi, _, _ in self.pieces for e in (lo, hi)]

    # -- algebra --------------------------------------------------------------
    @classmethod
    def _combine(cls, op: Callable[[list], bool], regions: list) -> Region:
        pts = _sorted_unique(e for r in regions for e in r.ends())
        cells = []  # (kind, a, b, inside): points and open gaps, left to right
        for i, v in enumerate(pts):
            cells.append(("pt", v, v, op([r.contains(v) for r in regions])))
            if i + 1 < len(pts):
                w = pts[i + 1]
                cells.append(("gap", v, w, op([r._gap_inside(v, w) for r in regions])))
        pieces: list = []
        for idx, (kind, a, b, inside) in enumerate(cells):
            if not inside:
                continue
            if kind == "pt":
                if pieces and pieces[-1][1] == a and pieces[-1][3] is False and cells[idx - 1][3]:
                    lo, _, lc, _ = pieces[-1]
                    pieces[-1] = (lo, a, lc, True)
                else:
                    pieces.append((a, a, True, True))
            else:
                if pieces and pieces[-1][1] == a and pieces[-1][3]:
                    lo, _, lc, _ = pieces[-1]
                    pieces[-1] = (lo, b, lc, False)
                else:
                    pieces.append((a, b, False, False))
        return cls(pieces)

    def __and__(self, other: Region) -> Region:
        return _pairwise("and", self, other)

    def __or__(self, other: Region) -> Region:
        return _pairwise("or", self, other)

    def __sub__(self, other: Region) -> Region:
        return _pairwise("minus", self, other)

    @staticmethod
    def union(regions: Iterable[Region]) -> Region:
        regions = list(regions)
        if not regions:
            return Region()
        return Region._combine(any, regions)

    # -- SymPy ----------------------------------------------------------------
    def to_sympy(self) -> sp.Set:
        """The region as a SymPy set (``EmptySet``, an ``Interval``, a ``FiniteSet`` or a ``Union``)."""
        if self._sympy is None:
            parts = [sp.FiniteSet(lo) if lo == hi else sp.Interval(lo, hi, not lc, not hc)
                     for lo, hi, lc, hc in self.pieces]
            self._sympy = sp.Union(*parts) if parts else sp.S.EmptySet
        return self._sympy


_OPERATIONS: dict[str, Callable[[list], bool]] = {
    "and": lambda v: v[0] and v[1],
    "or": lambda v: v[0] or v[1],
    "minus": lambda v: v[0] and not v[1],
}


@lru_cache(maxsize=1 << 14)
def _pairwise(operation: str, a: Region, b: Region) -> Region:
    """``a & b``, ``a | b`` or ``a - b``.  Cached: the cases of a parametric run intersect the
    same conditions again and again (every claim asks its questions under the same cases),
    and each operation compares algebraic end points exactly."""
    return Region._combine(_OPERATIONS[operation], [a, b])
