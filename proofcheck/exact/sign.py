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

__all__ = ["exact_sign", "log_linear_is_zero"]


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
