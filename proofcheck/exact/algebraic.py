"""Rational functions at a real algebraic point, decided exactly.

A real algebraic number ``t`` (a SymPy ``CRootOf``) is a root of one irreducible integer
polynomial ``m`` of degree ``d``.  A rational function ``f`` of ``x`` with rational
coefficients that is defined at ``t`` has ``f(t) = r(t)`` for exactly one polynomial ``r``
of degree below ``d``: its *residue*, ``f`` reduced modulo ``m``.  As ``1, t, ..., t^(d-1)``
are linearly independent over the rationals, ``f(t) = 0`` exactly when ``r = 0``, and
``f(t) = g(t)`` exactly when the residues are equal.  The sign of a non-zero residue is
read from python-flint's isolating ball around ``t``, refined until the ball of ``r(t)``
excludes 0 (which it does at some precision, since ``r(t) != 0``).

SymPy answers the same questions with ``simplify`` and ``minimal_polynomial`` on
expressions in ``CRootOf``, at a cost of a second or more per point on the roots of a tree
model's limits; here they cost a polynomial gcd and a few ball evaluations.

Examples
--------
>>> import sympy as sp
>>> x = sp.Symbol("x")
>>> t = AlgebraicPoint(sp.CRootOf(x**2 - 2, 1), x)
>>> t.sign(t.residue(x**2 - 2)), t.sign(t.residue(x - sp.Rational(7, 5)))
(0, 1)
>>> t.rational(t.residue(x**3 / (x + 1)))  # 2 sqrt 2 / (sqrt 2 + 1) is not rational
>>> t.rational(t.residue((x**2 + 2) / 8))
1/2
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from proofcheck.exact.ratfunc import as_fraction, flint

__all__ = ["AlgebraicPoint", "real_root_ball", "real_root_ends"]

#: Precision (bits) at which a sign is given up: far beyond any residue of a model's size.
MAX_PREC = 1 << 14


def _integer_polynomial(root: Any) -> Any:
    """The polynomial of the ``CRootOf`` ``root`` as a ``flint.fmpz_poly``; ValueError when
    python-flint is missing or its coefficients are not integers."""
    if flint is None:
        raise ValueError(f"cannot enclose {root} without python-flint")
    coeffs = root.poly.all_coeffs()
    if not all(c.is_Integer for c in coeffs):
        raise ValueError(f"cannot enclose {root}: non-integer coefficients")
    return flint.fmpz_poly([int(c) for c in reversed(coeffs)])


def real_root_ball(root: Any, prec: int) -> Any:
    """python-flint's isolating ball (an ``arb``, computed at ``prec`` bits) around the real
    ``CRootOf`` ``root``: the root of the same index among the polynomial's real roots, in
    increasing order.

    Raises
    ------
    ValueError
        If python-flint is missing, the polynomial's coefficients are not integers, or it has
        fewer real roots than the index.
    """
    poly = _integer_polynomial(root)
    old = flint.ctx.prec
    flint.ctx.prec = prec
    try:
        real = sorted((z.real for z, _ in poly.complex_roots() if z.imag == 0), key=lambda b: float(b.mid()))
    finally:
        flint.ctx.prec = old
    if root.index >= len(real):
        raise ValueError(f"cannot enclose {root}: fewer real roots than its index")
    return real[root.index]


def real_root_ends(root: Any, prec: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """The end points of :func:`real_root_ball` as exact dyadic numbers ``(mantissa,
    exponent)``, rounded outward at ``prec`` bits (at the default precision the rounding
    of the end points could undo the ball's guarantee)."""
    ball = real_root_ball(root, prec)
    old = flint.ctx.prec
    flint.ctx.prec = prec
    try:
        lo, hi = (tuple(map(int, end.mid().man_exp())) for end in (ball.lower(), ball.upper()))
    finally:
        flint.ctx.prec = old
    return lo, hi


class AlgebraicPoint:
    """A real ``CRootOf`` ``root`` as the point ``x = root`` of rational functions of ``x``.

    Parameters
    ----------
    root : sympy.CRootOf
        A real root; SymPy stores it with an irreducible polynomial.
    x : sympy.Symbol
        The variable of the rational functions evaluated at ``root``.

    Raises
    ------
    ValueError
        If python-flint is missing or the root's polynomial is not irreducible over the
        rationals (a SymPy ``CRootOf`` always has one that is).
    """

    def __init__(self, root: Any, x: sp.Symbol) -> None:
        if not isinstance(root, sp.CRootOf) or not root.is_real:
            raise ValueError(f"{root} is not a real CRootOf")
        m = _integer_polynomial(root)
        _, factors = m.factor()
        if len(factors) != 1 or factors[0][1] != 1 or m.degree() < 2:
            raise ValueError(f"{root}: the polynomial is not irreducible of degree >= 2")
        self.root, self.x = root, x
        self.modulus = flint.fmpq_poly(m)
        self._balls: dict[int, Any] = {}

    def residue(self, expr: Any) -> Any:
        """``expr`` reduced modulo the minimal polynomial (an ``fmpq_poly``), or None when
        ``expr`` is not a rational function of ``x`` with rational coefficients.

        Raises
        ------
        ZeroDivisionError
            If the denominator of ``expr`` vanishes at the point.
        """
        frac = as_fraction(expr, self.x)
        if frac is None:
            return None
        n, d = (f % self.modulus for f in frac)
        if d.is_zero():
            raise ZeroDivisionError(f"the denominator of {expr} vanishes at {self.root}")
        g, inverse, _ = d.xgcd(self.modulus)
        # g is a non-zero constant: the modulus is irreducible and does not divide d
        return (n * inverse / g) % self.modulus

    def rational(self, r: Any) -> sp.Rational | None:
        """The value of the residue ``r`` as a SymPy rational when it is one, else None."""
        if r.degree() > 0:
            return None
        c = r[0]
        return sp.Rational(int(c.p), int(c.q))

    def sign(self, r: Any) -> int:
        """The sign of ``r(root)``: 0 exactly when the residue is 0, else from balls."""
        if r.is_zero():
            return 0
        prec = 64
        while prec <= MAX_PREC:
            ball = self._ball(prec)
            old = flint.ctx.prec
            flint.ctx.prec = prec
            try:
                value = flint.arb(0)
                for c in reversed(r.coeffs()):  # Horner, each step rigorous
                    value = value * ball + flint.arb(c)
            finally:
                flint.ctx.prec = old
            if value > 0:
                return 1
            if value < 0:
                return -1
            prec *= 2
        raise ArithmeticError(f"the sign of {r} at {self.root} is not decided at {MAX_PREC} bits")  # pragma: no cover

    def compare(self, a: Any, b: Any) -> int:
        """The sign of ``a(root) - b(root)`` for residues ``a`` and ``b``."""
        return self.sign(a - b)

    def _ball(self, prec: int) -> Any:
        ball = self._balls.get(prec)
        if ball is None:
            ball = self._balls[prec] = real_root_ball(self.root, prec + 32)
        return ball
