"""Rigorous signs of exact real constants, for numbers of any size.

Exact results of the engine are often sums ``c0 + sum_i c_i log(r_i)`` with rational
``c``, ``r`` (returns, KL divergences); on models whose numbers come from floats the
``r_i`` are binary rationals with hundreds of digits.  Their sign is decided in two steps:

1. an interval enclosure at rising precision (30, 60, ... ``max_dps`` digits): when it
   excludes 0 the sign is certified;
2. only when an enclosure contains 0: the exact zero test.  For rational-log-linear
   forms it needs no factorisation: over a *coprime base* of the numerators and
   denominators (pairwise coprime integers found by gcds alone) the logarithms are
   linearly independent over the rationals, so ``sum_i c_i log(r_i) = 0`` iff every
   base element's total coefficient vanishes, i.e. iff ``prod_i r_i^(c_i) = 1``, and a
   non-zero log form is ``log`` of a rational ``!= 1`` times a rational, transcendental
   (Lindemann), hence never equal to the rational ``-c0``.  The cost is a few gcds per
   pair of numbers: polynomial in their bit lengths, counted against a
   :class:`~proofcheck.exact.budget.WorkBudget`.  Other forms have no zero test here
   (SymPy's ``equals`` can run for minutes): a value enclosed in ever smaller intervals
   around 0 stays undecided.

Anything else is undecided, and says so.
"""

from __future__ import annotations

from math import gcd
from typing import Any

import sympy as sp

from proofcheck.errors import UndecidedError
from proofcheck.exact.budget import WorkBudget, expression_nodes, int_op_cost, interval_cost
from proofcheck.exact.intervals import interval_context, interval_eval

__all__ = ["constant_sign", "log_linear_is_zero", "log_linear_terms", "coprime_base", "log_ratio_exponent"]


def log_linear_terms(expr: Any) -> tuple[Any, list] | None:
    """``(c0, [(c, r), ...])`` with ``expr = c0 + sum c log(r)`` (rational ``c0``, ``c``,
    positive rational ``r``), or None for other forms.  A Float is the binary number it stores.

    >>> log_linear_terms(sp.Rational(1, 2) - 3 * sp.log(sp.Rational(2, 3)))
    (1/2, [(-3, 2/3)])
    """
    expr = sp.sympify(expr)
    # a Float is the exact binary number it stores (as in interval_eval): make it a
    # Rational first, so that expand never cancels terms in rounded float arithmetic
    floats = expr.atoms(sp.Float)
    if floats:
        expr = expr.xreplace({f: sp.Rational(f) for f in floats})
    c0 = sp.Integer(0)
    terms = []
    for t in sp.Add.make_args(sp.expand_mul(expr)):
        if t.is_Rational:
            c0 += t
            continue
        coeff, rest = t.as_coeff_Mul()
        if isinstance(rest, sp.log) and rest.args[0].is_Rational and rest.args[0] > 0 and coeff.is_Rational:
            terms.append((coeff, rest.args[0]))
        else:
            return None
    return c0, terms


def coprime_base(numbers, budget: WorkBudget | None = None) -> list[int]:
    """Pairwise coprime integers ``> 1`` of which every given positive integer is a product
    of powers: a gcd-free basis, found by gcds alone (no factorisation), so it works for
    integers of any size; each gcd is charged to ``budget``.

    >>> sorted(coprime_base([12, 18]))
    [2, 3]
    >>> sorted(coprime_base([(2**61 - 1) * 3, (2**61 - 1) * 5]))
    [3, 5, 2305843009213693951]
    """
    budget = budget if budget is not None else WorkBudget()
    basis: list[int] = []
    todo = [int(n) for n in numbers if n > 1]
    while todo:
        x = todo.pop()
        if x == 1:
            continue
        for i, b in enumerate(basis):
            budget.spend(int_op_cost(x.bit_length(), b.bit_length()), "the gcds of a coprime base")
            g = gcd(x, b)
            if g > 1:  # split both; the product of all pending numbers strictly decreases
                basis.pop(i)
                todo += [g, b // g, x // g]
                break
        else:
            basis.append(x)
    return basis


def _valuations(n: int, basis: list[int], budget: WorkBudget) -> dict[int, int] | None:
    """``{b: k}`` with ``n = prod b**k`` over a coprime base, or None if ``n`` is not such a product."""
    out = {}
    for b in basis:
        k = 0
        while True:
            budget.spend(int_op_cost(n.bit_length(), b.bit_length()), "valuations over a coprime base")
            q, r = divmod(n, b)
            if r:
                break
            n, k = q, k + 1
        if k:
            out[b] = k
    return out if n == 1 else None


def _log_coefficients(terms, budget: WorkBudget) -> dict[int, Any] | None:
    """``{base element: total rational coefficient}`` of ``sum c log(r)`` over a coprime base."""
    basis = coprime_base([n for _, r in terms for n in (int(r.p), int(r.q))], budget)
    coeffs: dict[int, Any] = {}
    for c, r in terms:
        for n, sign in ((int(r.p), 1), (int(r.q), -1)):
            vals = _valuations(n, basis, budget)
            if vals is None:  # cannot happen for a coprime base; stay undecided if it does
                return None
            for b, k in vals.items():
                coeffs[b] = coeffs.get(b, 0) + sign * c * k
    return coeffs


def log_linear_is_zero(expr: Any, budget: WorkBudget | None = None) -> bool | None:
    """True/False when ``expr`` is a rational-log-linear constant, None otherwise.

    Decided exactly for rationals of any size (a coprime base, no factorisation); raises
    UndecidedError when the work exceeds ``budget`` (default: a fresh
    :class:`~proofcheck.exact.budget.WorkBudget`).

    Examples
    --------
    >>> log_linear_is_zero(2 * sp.log(sp.Rational(3, 2)) - sp.log(sp.Rational(9, 4)))
    True
    >>> log_linear_is_zero(sp.log(2) - sp.Rational(1, 2))
    False
    >>> a, b = 10**59 + 7, 3 * 10**59 + 1
    >>> log_linear_is_zero(sp.log(sp.Rational(a, b)) - sp.log(sp.Rational(2 * a, 2 * b)))
    True
    """
    parsed = log_linear_terms(expr)
    if parsed is None:
        return None
    c0, terms = parsed
    coeffs = _log_coefficients(terms, budget if budget is not None else WorkBudget())
    if coeffs is None:
        return None
    if any(v != 0 for v in coeffs.values()):
        return False  # a non-trivial log form is transcendental, never a rational c0
    return c0 == 0


def log_ratio_exponent(x: Any, y: Any, budget: WorkBudget | None = None) -> Any:
    """The rational ``r`` with ``x = y**r`` for positive rationals, or None when there is none
    (``x``, ``y`` multiplicatively independent, or ``y = 1``).  No factorisation: exact for
    numbers of any size, within ``budget``.

    >>> log_ratio_exponent(sp.Rational(8, 27), sp.Rational(4, 9))
    3/2
    >>> log_ratio_exponent(sp.Rational(2**53 + 1, 2**53) ** 3, sp.Rational(2**53 + 1, 2**53))
    3
    >>> log_ratio_exponent(sp.Rational(3, 2), sp.Rational(2, 3) + 1) is None
    True
    """
    x, y = sp.Rational(x), sp.Rational(y)
    budget = budget if budget is not None else WorkBudget()
    basis = coprime_base([int(x.p), int(x.q), int(y.p), int(y.q)], budget)

    def vector(r):
        num, den = _valuations(int(r.p), basis, budget), _valuations(int(r.q), basis, budget)
        if num is None or den is None:
            raise UndecidedError(f"{r} is not a product over its coprime base")  # cannot happen
        return {b: num.get(b, 0) - den.get(b, 0) for b in basis}

    vx, vy = vector(x), vector(y)
    r = None
    for b in basis:
        a, c = vx[b], vy[b]
        if c == 0:
            if a != 0:
                return None
            continue
        cand = sp.Rational(a, c)
        if r is None:
            r = cand
        elif r != cand:
            return None
    return r


def constant_sign(expr: Any, max_dps: int = 480, budget: WorkBudget | None = None) -> int:
    """-1, 0 or 1 for a real constant SymPy expression; UndecidedError if it cannot be decided.

    Parameters
    ----------
    expr : SymPy expression or number
        A real constant (no free symbols: :func:`proofcheck.exact.sign.exact_sign` handles
        parametric expressions).
    max_dps : int
        The largest interval precision tried, in decimal digits.
    budget : WorkBudget, optional
        The work allowed (intervals and the exact zero test); default a fresh budget.

    Returns
    -------
    int
        The certified sign.

    Examples
    --------
    >>> constant_sign(sp.log(3) - sp.Rational(11, 10))
    -1
    >>> constant_sign(sp.log(sp.Rational(1, 4)) + 2 * sp.log(2))
    0
    >>> a = 123456789012345678901234567890123456789012345678901234567891
    >>> constant_sign(sp.log(sp.Rational(a, a + 2)) - sp.log(sp.Rational(a + 1, a + 3)))
    -1
    """
    expr = sp.sympify(expr)
    if expr.is_Rational:
        return 1 if expr > 0 else (-1 if expr < 0 else 0)
    if expr.free_symbols:
        raise UndecidedError(f"the sign of {expr} depends on the parameters")
    if expr in (sp.oo, -sp.oo):
        return 1 if expr == sp.oo else -1
    budget = budget if budget is not None else WorkBudget()
    nodes = expression_nodes(expr)
    zero = None  # the exact zero test, run once, when an enclosure first contains 0
    dps = 30
    while dps <= max_dps:
        budget.spend(interval_cost(nodes, dps), f"an interval enclosure at {dps} digits")
        try:
            enc = interval_eval(expr, interval_context(dps))
        except (UndecidedError, ZeroDivisionError, ValueError) as exc:
            raise UndecidedError(f"cannot enclose {expr}: {exc}") from None
        if enc.a > 0:
            return 1
        if enc.b < 0:
            return -1
        if zero is None:
            zero = log_linear_is_zero(expr, budget)
            if zero:
                return 0
            zero = zero is False  # proved non-zero: only the precision can settle the sign now
        dps *= 2
    if zero:
        raise UndecidedError(f"{expr} is not 0 (exact test), but its sign needs more than {max_dps} digits")
    raise UndecidedError(f"the sign of {expr} could not be decided (|value| < 1e-{max_dps})")
