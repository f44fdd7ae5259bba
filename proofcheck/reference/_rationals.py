"""Exact rationals for the reference route's long sums: GMP's (gmpy2) inside, Fractions out.

The reference route's results are :class:`fractions.Fraction`.  Python adds two
Fractions with ``math.gcd``, which is quadratic in the digits; a model whose numbers come
from floats holds rationals of thousands of digits after a few re-training passes, and
there the occupancy sums of :func:`proofcheck.reference.values.occupancy` spent most of
the reference route's time in ``gcd``.  GMP's rationals (gmpy2, which mpmath uses when it
is installed) give the same canonical numbers with a subquadratic gcd, so loops that add
many products convert their inputs with :func:`inner` and their results back with
:func:`outer`.  Without gmpy2 both are the identity and Fractions do the work.

The engine computes with python-flint and SymPy, so sharing GMP's integers is the only
code the two routes have in common: the definitions computed here are the reference's own.

>>> from fractions import Fraction
>>> outer(inner(Fraction(1, 3)) + inner(Fraction(1, 6)))
Fraction(1, 2)
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

__all__ = ["inner", "outer"]

try:  # gmpy2 is a core dependency; without it Fractions do the same work, slower
    from gmpy2 import mpq as _mpq
except ImportError:  # pragma: no cover - exercised only without gmpy2
    _mpq = None


def inner(x: Fraction) -> Any:
    """``x`` as the number the long sums use (a gmpy2 ``mpq``, else ``x`` itself)."""
    return x if _mpq is None else _mpq(x.numerator, x.denominator)


def outer(x: Any) -> Fraction:
    """A result of the long sums as a :class:`~fractions.Fraction` (already in lowest
    terms, so not reduced again)."""
    if isinstance(x, Fraction):
        return x
    return Fraction(int(x.numerator), int(x.denominator), _normalize=False)
