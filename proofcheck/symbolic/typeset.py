"""LaTeX of closed forms, as ``sympy.latex`` writes them, without its hidden ``simplify``.

SymPy's LaTeX printer splits a product into numerator and denominator with
``fraction(expr, exact=True)``, which asks ``exponent.is_constant()`` of every factor whose
exponent is known to be negative: ``2**(-k)`` for a positive ``k``.  ``is_constant``
simplifies the exponent first, and SymPy's first ``simplify`` of a process imports
``sympy.physics`` (about 0.3 s of CPU), then about 4 ms a call: a third of the closed-form
section on the bundled cases when it is typeset (reports, ``verify --json``).  An exponent with a free symbol is never
constant here, and the printer then keeps the factor in the numerator, which is also where
it puts a factor whose exponent has no known sign.  So the printer is given the expression
with each positive symbol replaced by a symbol of the same name and no assumptions: the
same text, without the question.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

__all__ = ["latex"]


def latex(expr: Any, **settings: Any) -> str:
    """``sympy.latex(expr, **settings)``, the same text, without simplifying exponents.

    Examples
    --------
    >>> import sympy as sp
    >>> k = sp.Symbol("k", positive=True, integer=True)
    >>> e = 2 ** (-k) / (1 + 3 * 2 ** (-k))
    >>> latex(e) == sp.latex(e)
    True
    >>> latex(e)
    '\\\\frac{2^{- k}}{1 + 3 \\\\cdot 2^{- k}}'
    """
    expr = sp.sympify(expr)
    plain = {s: sp.Symbol(s.name) for s in expr.free_symbols if s.is_Symbol and s.is_positive}
    return sp.latex(expr.xreplace(plain) if plain else expr, **settings)
