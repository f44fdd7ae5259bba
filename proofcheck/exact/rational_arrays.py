"""Sums of arrays of SymPy rationals on bare integers: the exact engine's bulk sums.

Re-training a model whose numbers come from floats multiplies denominators at every step:
after ten steps a ten-state stochastic model holds rationals of 50,000 digits.  SymPy adds
two such rationals with Python integers (quadratic division and a gcd of the full
cross-product), about 80 ms each at 200,000 bits; the same sum on python-flint integers
with the algorithm of GMP's ``mpq_add`` (one gcd of the two denominators, none when they
are coprime) takes about 18 ms, and small rationals gain as much from skipping SymPy's
object layer.  Numbers below 256 bits stay Python integers, whose arithmetic beats
python-flint's calls at that size.

Every function here takes SymPy numbers and returns SymPy numbers, or None when some
value is not a rational (a symbol, a log, ``oo``): the caller then keeps SymPy's route.
The results are canonical rationals, so they are the very numbers SymPy's route gives.

Examples
--------
>>> import sympy as sp
>>> segment_sums([sp.Rational(1, 2), sp.Rational(1, 3), sp.Rational(1, 6), sp.Integer(2)], [0, 3])
[1, 2]
>>> segment_dots([sp.Rational(1, 2), sp.Rational(2, 3)], [sp.Rational(4, 5), sp.Rational(3, 4)], [0])
[9/10]
>>> segment_sums([sp.Rational(1, 2), sp.Symbol("p")], [0]) is None
True
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Collection, Iterable
from typing import Any

import sympy as sp

__all__ = ["segment_sums", "segment_dots", "scatter_sums", "products", "quotients", "coprime_rational"]

_flint: Any
try:  # python-flint is a core dependency; without it SymPy's sums are used
    _flint = importlib.import_module("flint")
except ImportError:  # pragma: no cover - exercised only without python-flint
    _flint = None

Pair = tuple[Any, Any]  # (numerator, positive denominator), coprime: Python ints or fmpz
Gcd = Callable[[Any, Any], Any]

#: Numbers below this stay Python integers: at 53 bits (a float-derived model's inputs) they
#: add and multiply 2.5x faster than python-flint's, whose calls cost more than such small
#: products; from about 400 bits GMP's wins, 1.7x at 850 (measured on segment_dots).
_SMALL = 1 << 256


def _fmpz_gcd(a: Any, b: Any) -> Any:
    return a.gcd(b)


def _pairs(values: Iterable[Any]) -> list[Pair] | None:
    out = []
    for v in values:
        if not getattr(v, "is_Rational", False):
            return None
        out.append((v.p, v.q))
    return out


def _arithmetic(*arrays: list[Pair]) -> tuple[Any, ...] | None:
    """The ``arrays`` with the gcd to compute with: as they are (Python integers, ``math.gcd``)
    when every number is below ``_SMALL``, else all as python-flint integers (GMP's gcd).
    None without python-flint for large numbers: SymPy's own route then."""
    small = all(q < _SMALL and -_SMALL < p < _SMALL for pairs in arrays for p, q in pairs)
    if small:
        return (math.gcd, *arrays)
    if _flint is None:
        return None
    fmpz = _flint.fmpz
    return (_fmpz_gcd, *([(fmpz(p), fmpz(q)) for p, q in pairs] for pairs in arrays))


def _pair_arrays(a: Collection[Any], b: Collection[Any]) -> tuple[list[Pair], list[Pair]] | None:
    """:func:`_pairs` of ``a`` and of ``b``, or None unless every value of both is a SymPy
    rational: both are checked before either is converted (a parametric model's rational
    ``a`` would be converted for nothing)."""
    if not all(getattr(v, "is_Rational", False) for v in b) or not all(getattr(v, "is_Rational", False) for v in a):
        return None
    pa, pb = _pairs(a), _pairs(b)
    return None if pa is None or pb is None else (pa, pb)


def _add(a: Pair, b: Pair, gcd: Gcd) -> Pair:
    """``a + b`` in lowest terms (GMP's ``mpq_add``): a gcd of the denominators only."""
    (p1, q1), (p2, q2) = a, b
    if q1 == q2:
        if q1 == 1:
            return p1 + p2, q1
        n = p1 + p2
        g = gcd(n, q1)
        return (n, q1) if g == 1 else (n // g, q1 // g)
    g = gcd(q1, q2)
    if g == 1:  # coprime denominators: the cross sum is already in lowest terms
        return p1 * q2 + p2 * q1, q1 * q2
    r1, r2 = q1 // g, q2 // g
    n = p1 * r2 + p2 * r1
    g2 = gcd(n, g)
    if g2 == 1:
        return n, r1 * q2
    return n // g2, r1 * (q2 // g2)


def _mul(a: Pair, b: Pair, gcd: Gcd) -> Pair:
    """``a * b`` in lowest terms, cross-cancelled (``mpq_mul``)."""
    (p1, q1), (p2, q2) = a, b
    g1 = gcd(p1, q2) if q2 != 1 else 1
    g2 = gcd(p2, q1) if q1 != 1 else 1
    if g1 != 1:
        p1, q2 = p1 // g1, q2 // g1
    if g2 != 1:
        p2, q1 = p2 // g2, q1 // g2
    return p1 * p2, q1 * q2


# SymPy 1.13+: a rational from coprime integers without a second gcd (older: Rational)
_FROM_COPRIME = getattr(sp.Rational, "from_coprime_ints", sp.Rational)


def coprime_rational(p: int, q: int) -> sp.Rational:
    """The SymPy rational ``p / q`` of coprime ``p`` and ``q > 0``, not reduced again (a
    gcd of 10^5-digit integers is not free).

    >>> coprime_rational(3, 4), coprime_rational(6, 1)
    (3/4, 6)
    """
    return _FROM_COPRIME(int(p), int(q))


def _rational(x: Pair) -> sp.Rational:
    return coprime_rational(x[0], x[1])


def _sums(terms: list[Pair], starts: Iterable[int], gcd: Gcd) -> list[sp.Rational]:
    bounds = [int(i) for i in starts] + [len(terms)]
    out = []
    for lo, hi in zip(bounds, bounds[1:]):
        acc = terms[lo]
        for j in range(lo + 1, hi):
            acc = _add(acc, terms[j], gcd)
        out.append(_rational(acc))
    return out


def segment_sums(values: Collection[Any], starts: Iterable[int]) -> list[sp.Rational] | None:
    """The sums of ``values[starts[i]:starts[i+1]]`` (the last to the end; all non-empty),
    or None unless every value is a SymPy rational."""
    pairs = _pairs(values)
    work = None if pairs is None else _arithmetic(pairs)
    if work is None:
        return None
    gcd, terms = work
    return _sums(terms, starts, gcd)


def _operands(a: Collection[Any], b: Collection[Any]) -> tuple[Any, ...] | None:
    """``(gcd, pairs of a, pairs of b)`` (:func:`_arithmetic`), or None."""
    both = _pair_arrays(a, b)
    return None if both is None else _arithmetic(*both)


def segment_dots(a: Collection[Any], b: Collection[Any], starts: Iterable[int]) -> list[sp.Rational] | None:
    """:func:`segment_sums` of the products ``a[j] * b[j]``, or None unless every value of
    ``a`` and ``b`` is a SymPy rational."""
    work = _operands(a, b)
    if work is None:
        return None
    gcd, pa, pb = work
    return _sums([_mul(x, y, gcd) for x, y in zip(pa, pb)], starts, gcd)


def products(a: Collection[Any], b: Collection[Any]) -> list[sp.Rational] | None:
    """``a[j] * b[j]`` for every ``j``, or None unless every value is a SymPy rational.

    >>> products([sp.Rational(2, 3), sp.Integer(-4)], [sp.Rational(9, 4), sp.Rational(1, 6)])
    [3/2, -2/3]
    """
    work = _operands(a, b)
    if work is None:
        return None
    gcd, pa, pb = work
    return [_rational(_mul(x, y, gcd)) for x, y in zip(pa, pb)]


def quotients(a: Collection[Any], b: Collection[Any]) -> list[sp.Rational] | None:
    """``a[j] / b[j]`` for every ``j``, or None unless every value is a SymPy rational and
    no ``b[j]`` is 0 (a cross-cancelled product by the reciprocal: two gcds of the
    operands, none of the product).

    >>> quotients([sp.Rational(2, 3), sp.Integer(-4)], [sp.Rational(4, 9), sp.Rational(-6, 5)])
    [3/2, 10/3]
    """
    work = _operands(a, b)
    if work is None or any(p == 0 for p, _ in work[2]):
        return None
    gcd, pa, pb = work
    return [_rational(_mul(x, (q, p) if p > 0 else (-q, -p), gcd)) for x, (p, q) in zip(pa, pb)]


def scatter_sums(target: Any, index: Iterable[Any], values: Collection[Any]) -> dict[int, sp.Rational] | None:
    """``{i: target[i] + sum of values[j] with index[j] = i}`` for the indices that occur,
    or None unless every value of ``target`` and ``values`` is a SymPy rational.

    >>> scatter_sums([sp.Integer(0), sp.Rational(1, 2)], [1, 1, 0], [sp.Rational(1, 3)] * 3)
    {1: 7/6, 0: 1/3}
    """
    index = [int(i) for i in index]
    hit = list(dict.fromkeys(index))  # the indices that occur, in order of first occurrence
    pv, pt = _pairs(values), _pairs(target[i] for i in hit)
    work = None if pv is None or pt is None else _arithmetic(pv, pt)
    if work is None:
        return None
    gcd, pv, pt = work
    acc: dict[int, Pair] = dict(zip(hit, pt))
    for i, x in zip(index, pv):
        acc[i] = _add(acc[i], x, gcd)
    return {i: _rational(x) for i, x in acc.items()}
