"""Rigorous signs of exact real constants.

Exact results of the engine are often sums ``c0 + sum_i c_i log(r_i)`` with rational
``c``, ``r`` (returns, KL divergences).  Their sign is decided in two steps:

1. an interval enclosure at increasing precision: when it excludes 0 the sign is
   certified;
2. the zero test: for rational-log-linear forms it is exact (logarithms of distinct
   primes are linearly independent over the rationals, so the form vanishes iff every
   prime's coefficient and ``c0`` vanish).  Other forms have no zero test here (SymPy's
   ``equals`` can run for minutes): a value enclosed in ever smaller intervals around 0
   stays undecided.

Anything else is undecided, and says so.
"""

from typing import Any

import sympy as sp

from proofcheck.errors import UndecidedError
from proofcheck.exact.intervals import interval_context, interval_eval

__all__ = ["constant_sign", "log_linear_is_zero"]

_MAX_FACTOR = 10 ** 40


def _log_linear_terms(expr):
    """``(c0, [(c, r), ...])`` if ``expr`` is rational-log-linear, else None."""
    c0 = sp.Integer(0)
    terms = []
    # a Float is the exact binary number it stores (as in interval_eval): make it a
    # Rational first, so that expand never cancels terms in rounded float arithmetic
    floats = expr.atoms(sp.Float)
    if floats:
        expr = expr.xreplace({f: sp.Rational(f) for f in floats})
    for t in sp.Add.make_args(sp.expand(expr)):
        if t.is_Rational:
            c0 += t
            continue
        coeff, rest = t.as_coeff_Mul()
        if isinstance(rest, sp.log) and rest.args[0].is_Rational and rest.args[0] > 0:
            terms.append((coeff, rest.args[0]))
        else:
            return None
    return c0, terms


def log_linear_is_zero(expr):
    """True/False when ``expr`` is a rational-log-linear constant, None otherwise.

    Examples
    --------
    >>> import sympy as sp
    >>> log_linear_is_zero(2 * sp.log(sp.Rational(3, 2)) - sp.log(sp.Rational(9, 4)))
    True
    >>> log_linear_is_zero(sp.log(2) - sp.Rational(1, 2))
    False
    """
    parsed = _log_linear_terms(expr)
    if parsed is None:
        return None
    c0, terms = parsed
    coeffs = {}
    for c, r in terms:
        for n, sign in ((r.p, 1), (r.q, -1)):
            if n > _MAX_FACTOR:
                return None
            for prime, e in sp.factorint(n).items():
                coeffs[prime] = coeffs.get(prime, 0) + sign * c * e
    logs_vanish = all(v == 0 for v in coeffs.values())
    if not logs_vanish:
        return False  # a non-trivial log form is transcendental, never a rational c0
    return c0 == 0


def constant_sign(expr: Any, max_dps: int = 480) -> int:
    """-1, 0 or 1 for a real constant SymPy expression; UndecidedError if it cannot be decided.

    Parameters
    ----------
    expr : SymPy expression or number
        A real constant (no free symbols: :func:`proofcheck.exact.sign.exact_sign` handles
        parametric expressions).
    max_dps : int
        The largest interval precision tried, in decimal digits.

    Returns
    -------
    int
        The certified sign.

    Examples
    --------
    >>> import sympy as sp
    >>> constant_sign(sp.log(3) - sp.Rational(11, 10))
    -1
    >>> constant_sign(sp.log(sp.Rational(1, 4)) + 2 * sp.log(2))
    0
    """
    expr = sp.sympify(expr)
    if expr.is_Rational:
        return 1 if expr > 0 else (-1 if expr < 0 else 0)
    if expr.free_symbols:
        raise UndecidedError(f"the sign of {expr} depends on the parameters")
    if expr in (sp.oo, -sp.oo):
        return 1 if expr == sp.oo else -1
    zero = log_linear_is_zero(expr)
    if zero:
        return 0
    dps = 30
    while dps <= max_dps:
        ctx = interval_context(dps)
        try:
            enc = interval_eval(expr, ctx)
        except (UndecidedError, ZeroDivisionError, ValueError) as exc:
            raise UndecidedError(f"cannot enclose {expr}: {exc}") from None
        if enc.a > 0:
            return 1
        if enc.b < 0:
            return -1
        dps *= 2
    raise UndecidedError(f"the sign of {expr} could not be decided (|value| < 1e-{max_dps})")
