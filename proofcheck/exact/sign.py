"""The exact sign of a value, constant or parametric.

Constants are decided rigorously by :func:`~proofcheck.exact.constant_sign.constant_sign`.
An expression in a parameter has a sign only within a case of a parametric claim run: the
case in force (:mod:`proofcheck.exact.assumptions`) decides it or splits the run.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from proofcheck.errors import UndecidedError
from proofcheck.exact.assumptions import assumed_sign
from proofcheck.exact.constant_sign import constant_sign, log_linear_is_zero
from proofcheck.exact.symbols import free_symbols

__all__ = ["exact_sign", "evidently_positive", "log_linear_is_zero"]


def exact_sign(expr: Any, max_dps: int = 480) -> int:
    """-1, 0 or 1 for a real SymPy expression; UndecidedError if it cannot be decided.

    Parameters
    ----------
    expr : SymPy expression or number
        A real constant, or an expression in the parameters of a parametric claim run.
    max_dps : int
        The largest interval precision tried for constants, in decimal digits.

    Returns
    -------
    int
        The sign: certified for constants, the current case's for parametric values.

    Examples
    --------
    >>> import sympy as sp
    >>> exact_sign(sp.log(3) - sp.Rational(11, 10))
    -1
    >>> exact_sign(sp.log(sp.Rational(1, 4)) + 2 * sp.log(2))
    0
    """
    expr = sp.sympify(expr)
    if free_symbols(expr):
        branch = assumed_sign(expr)  # inside a parametric claim run: one case of a case split
        if branch is not None:
            return branch
        raise UndecidedError(f"the sign of {expr} depends on the parameters")
    return constant_sign(expr, max_dps)


def evidently_positive(expr: Any) -> bool:
    """True when ``expr`` is positive by its form alone: positive rationals, and sums,
    products and powers of positive forms with real exponents (symbols count as real or
    positive only by their SymPy assumptions).  False says nothing: the form does not show it.

    A Boltzmann normaliser ``sum_a p_a q_a ** (1/delta)`` of a float-derived model is such a
    form; SymPy's own ``is_zero`` derives the same answer through its assumption system,
    which takes a tenth of a second per value on these numbers.

    Examples
    --------
    >>> import sympy as sp
    >>> delta = sp.Symbol("delta", positive=True)
    >>> evidently_positive(sp.Rational(1, 3) * sp.Rational(3, 4) ** (1 / delta) + 2 ** (-delta))
    True
    >>> evidently_positive(sp.Rational(3, 4) ** (1 / delta) - 1), evidently_positive(sp.Symbol("p"))
    (False, False)
    """
    return _kind(expr) == "positive"


def _kind(expr: Any) -> str | None:
    """"positive", "real" (a real value of unknown sign) or None (the form does not say)."""
    if expr.is_Rational:
        return "positive" if expr.p > 0 else "real"
    if expr.is_Symbol:
        return "positive" if expr.is_positive is True else "real" if expr.is_real is True else None
    if expr.is_Add or expr.is_Mul:  # sums and products of positives are positive, of reals real
        kinds = {_kind(a) for a in expr.args}
        return None if None in kinds else "real" if "real" in kinds else "positive"
    if expr.is_Pow:
        base, exponent = (_kind(a) for a in expr.args)
        if base == "positive" and exponent is not None:
            return "positive"
        whole = expr.exp.is_Integer and int(expr.exp) >= 0
        return "real" if base == "real" and whole else None
    if isinstance(expr, sp.exp):
        return "positive" if _kind(expr.args[0]) is not None else None
    return None
