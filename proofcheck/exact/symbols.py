"""The free symbols of an exact value, remembered.

SymPy walks the whole expression tree each time ``expr.free_symbols`` is read.  The exact
engine asks it of the same parametric values over and over (every zero test and sign of
a case split starts with "does this depend on the parameter?"), and on a 31-state tree
those walks over degree-30 rational functions were a fifth of a parametric verify.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

__all__ = ["free_symbols"]


def free_symbols(expr: Any) -> frozenset:
    """``expr.free_symbols`` as a frozenset, cached per expression (SymPy expressions are
    immutable and hash in constant time once hashed).

    >>> import sympy as sp
    >>> p = sp.Symbol("p")
    >>> free_symbols(p * sp.log(2) + 1) == {p}, free_symbols(sp.Rational(1, 2))
    (True, frozenset())
    """
    if not expr.args:  # an atom: nothing to walk (a number, the most asked, has no symbols)
        return _NONE if expr.is_Number else frozenset(expr.free_symbols)
    return _free_symbols(expr)


_NONE: frozenset = frozenset()


@lru_cache(maxsize=1 << 16)
def _free_symbols(expr: Any) -> frozenset:
    return frozenset(expr.free_symbols)
