"""The exact backend: SymPy rationals, algebraic numbers and expressions in parameters."""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Any

import numpy as np
import sympy as sp

from proofcheck.engine.backends.base import Backend, _is_float_array, _obj
from proofcheck.errors import ModelError, UndecidedError
from proofcheck.exact.assumptions import assumed_zero
from proofcheck.exact.budget import active_claim_budget, int_op_cost, rational_bits
from proofcheck.exact.intervals import interval_context, interval_eval
from proofcheck.exact.ratfunc import (
    as_fraction,
    cancel_one_symbol,
    fast_cancel,
    fraction_dot,
    fraction_quotient,
    log_of,
)
from proofcheck.exact.rational_arrays import products, quotients, scatter_sums, segment_dots, segment_sums
from proofcheck.exact.sign import evidently_positive, exact_sign
from proofcheck.exact.symbols import free_symbols

if TYPE_CHECKING:
    from proofcheck.model.mdp import MDP

__all__ = ["ExactBackend"]


def _size_cost(v: Any) -> int:
    """:func:`~proofcheck.exact.budget.int_op_cost` of a rational's numerator and denominator
    taken together, 1 for anything else."""
    if v.is_Rational:
        bits = int(v.p).bit_length() + int(v.q).bit_length()
        return int_op_cost(bits, bits)
    return 1


def _sizes_cost(values: Any) -> int:
    """The sum of :func:`_size_cost` over ``values``, inlined: it is charged for every array
    the exact backend forms, and a function call per value cost a seventh of a claim on a
    float-derived model of 5,670 pairs (Taxi)."""
    total = 0
    for v in values:
        words = (v.p.bit_length() + v.q.bit_length() + 63) >> 6 if v.is_Rational else 1
        total += words * words if words > 1 else 1
    return total


def _term_cost(v: Any) -> int:
    """Steps of adding ``v`` into a sum: a product of its largest rational's size (a term
    ``c * log(x)`` of J counts by ``c`` and ``x``), 1 for anything without rationals."""
    if not isinstance(v, sp.Basic):
        return 1
    if v.is_Rational:
        return _size_cost(v)
    return max((_size_cost(r) for r in v.atoms(sp.Rational)), default=1)


def _charge_terms(values: Any, what: str) -> None:
    """Charge the claim budget in force for adding up ``values`` (each term, not each sum:
    an occupancy of a float-derived model adds thousands of 10^5-digit rationals a state)."""
    budget = active_claim_budget()
    if budget is not None:
        rational = all(isinstance(v, sp.Rational) for v in values)
        budget.spend(_sizes_cost(values) if rational else sum(_term_cost(v) for v in values), what)


#: Digits of the enclosures :meth:`ExactBackend.compare` tries before exact arithmetic.
COMPARE_DIGITS = 30


def _order_by_intervals(a: Any, b: Any) -> int | None:
    """-1 or 1 when enclosures of the constants ``a`` and ``b`` at ``COMPARE_DIGITS``
    digits are disjoint; None otherwise (rationals, which compare exactly at once,
    parameters, touching enclosures, anything intervals cannot enclose such as infinities)."""
    if not (isinstance(a, sp.Expr) and isinstance(b, sp.Expr)) or (a.is_Rational and b.is_Rational):
        return None
    if free_symbols(a) or free_symbols(b):
        return None
    x = _enclosure(a)
    y = _enclosure(b) if x is not None else None
    if x is None or y is None:
        return None
    if x.b < y.a:
        return -1
    if x.a > y.b:
        return 1
    return None


def _enclosure(x: sp.Expr) -> Any:
    """An interval around the constant ``x`` at ``COMPARE_DIGITS`` digits, or None when
    intervals cannot enclose it."""
    try:
        return interval_eval(x, interval_context(COMPARE_DIGITS))
    except (UndecidedError, ValueError, ZeroDivisionError, OverflowError):
        return None


def _encloses_nonzero(x: sp.Expr) -> bool:
    """True when an enclosure of the constant ``x`` at ``COMPARE_DIGITS`` digits excludes 0
    (False: it does not, or ``x`` cannot be enclosed)."""
    r = _enclosure(x)
    return r is not None and bool(r.a > 0 or r.b < 0)


#: Above this many bits a rational's root is not handed to SymPy, whose ``Pow`` (and every
#: assumption query on it) pulls perfect powers out of the base: trial division and a
#: primality test of the rest, 1.9 s at 4,000 bits and over 100 s at 20,000.  A float-derived
#: model re-trained ten times holds 160,000-bit numbers, and a Boltzmann policy at
#: delta = 2 takes their square roots.
ROOT_FACTOR_BITS = 2000


def _huge_root(x: sp.Rational, y: sp.Rational) -> sp.Expr:
    """``x ** y`` for a rational ``x`` beyond ``ROOT_FACTOR_BITS`` and a non-integer
    rational ``y``: exact when the numerator and the denominator are perfect powers;
    otherwise UndecidedError with the reason (never a computation that runs for minutes)."""
    k = int(y.q)
    num, num_exact = sp.integer_nthroot(abs(int(x.p)), k)
    den, den_exact = sp.integer_nthroot(int(x.q), k)
    if num_exact and den_exact and x.p > 0:
        return sp.Rational(num, den) ** int(y.p)
    bits = rational_bits(x)
    raise UndecidedError(f"a power ** ({y}) of a {bits}-bit rational is irrational and too large for exact "
                         f"roots (beyond {ROOT_FACTOR_BITS} bits SymPy factors them); the float and interval "
                         f"backends compute it")


class ExactBackend(Backend):
    """SymPy: exact rationals, algebraic numbers, and expressions in parameters."""

    name = "exact"
    exact = True

    def __init__(self, simplify: bool = True) -> None:
        self.simplify = simplify

    @property
    def inf(self) -> sp.Expr:
        return sp.oo

    # what the base class converts on every access (thousands a verify), as constants
    @property
    def zero(self) -> sp.Expr:
        return sp.S.Zero

    @property
    def one(self) -> sp.Expr:
        return sp.S.One

    def _convert(self, value: Any) -> sp.Basic:
        return sp.sympify(value) if not isinstance(value, sp.Basic) else value

    def array(self, values: Collection[Any]) -> np.ndarray:
        if _is_float_array(values):
            raise ModelError(
                f"the exact backend got a float64 array of {len(values)} model values (a model built "
                "by MDP.from_arrays with float values); use backend='float', 'mpmath' or 'interval', "
                "or build the model with exact (SymPy) values")
        return _obj([v if isinstance(v, sp.Basic) else sp.sympify(v) for v in values])

    def _log(self, x: sp.Expr) -> sp.Expr:
        return log_of(x)

    def _exp(self, x: sp.Expr) -> sp.Expr:
        return sp.exp(x)

    def _pow(self, x: sp.Expr, y: Any) -> sp.Expr:
        if (x.is_Rational and getattr(y, "is_Rational", False) and not y.is_Integer
                and rational_bits(x) > ROOT_FACTOR_BITS):
            return _huge_root(x, y)
        return sp.Pow(x, y)

    def _is_zero(self, x: sp.Expr) -> bool:
        syms = free_symbols(x)
        if len(syms) == 1:  # a rational function of one parameter: flint, not SymPy's assumptions
            frac = as_fraction(x, next(iter(syms)))
            if frac is not None:
                return frac[0].is_zero() or assumed_zero(x) is True
        if not x.is_Rational and evidently_positive(x):  # e.g. a Boltzmann normaliser in delta:
            return False  # SymPy's assumptions reach the same answer, a tenth of a second later
        if not syms and not x.is_Rational and _encloses_nonzero(x):
            return False  # intervals first: SymPy's assumptions on roots of long rationals take seconds
        z = x.is_zero
        if z is None and syms:  # parametric: a case split inside claim runs
            z = assumed_zero(x)
        return z is True

    def _sign(self, x: sp.Expr) -> int:
        return exact_sign(x)

    def compare(self, a: sp.Expr, b: sp.Expr) -> int:
        # Intervals first: on float-derived models J is a sum of logs whose rational
        # coefficients have thousands of digits, and forming a - b adds them exactly (a gcd
        # of such numbers per term) before the sign test encloses the difference anyway.
        # Disjoint enclosures of a and b give the same order without it.
        order = _order_by_intervals(a, b)
        return super().compare(a, b) if order is None else order

    def normalize(self, x: sp.Expr) -> sp.Expr:
        if not self.simplify or x.is_Rational:
            return x
        fast = cancel_one_symbol(x)  # one walk finds the symbol and the fraction
        if fast is not None:
            return fast
        if not free_symbols(x):
            return x
        fast = fast_cancel(x)  # python-flint: the same form as sympy.cancel, far faster
        if fast is not None:
            return fast
        if x.is_rational_function():
            return sp.cancel(x)
        return x

    def normalize_array(self, x: np.ndarray) -> np.ndarray:
        # the sums just formed cost about one product of their numbers' sizes each: counted
        # against the claim's work budget, so growing rationals end in *undecided*, not a hang
        budget = active_claim_budget()
        if budget is not None:
            budget.spend(_sizes_cost(x), "exact sums of growing rationals")
        return _obj([self.normalize(v) for v in x]) if self.simplify else x

    def segment_sum(self, values: np.ndarray, starts: Any) -> np.ndarray:
        _charge_terms(values, "exact sums of growing terms")
        sums = segment_sums(values, starts) if self.simplify and len(starts) else None
        if sums is None:  # not all rationals: SymPy's sums
            return super().segment_sum(values, starts)
        return self.normalize_array(_obj(sums))

    def segment_dot(self, a: np.ndarray, b: np.ndarray, starts: Any) -> np.ndarray:
        if not self.simplify or not len(starts):
            return super().segment_dot(a, b, starts)
        dots = segment_dots(a, b, starts)
        if dots is not None:  # all rationals (a model without parameters or logs)
            return self.normalize_array(_obj(dots))
        bounds = [int(i) for i in starts] + [len(a)]
        sums = [fraction_dot(tuple(zip(a[lo:hi], b[lo:hi]))) for lo, hi in zip(bounds, bounds[1:])]
        if any(v is None for v in sums):  # not all values of one parameter: SymPy's sums
            return super().segment_dot(a, b, starts)
        return self.normalize_array(_obj(sums))

    def product(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        plain = products(a, b) if self.simplify else None
        # all rationals: python-flint's gcds (a float-derived model's 10^5-digit numbers)
        return _obj(plain) if plain is not None else super().product(a, b)

    def edge_sum(self, mdp: MDP, blk: Any, ep: np.ndarray, zv: np.ndarray) -> np.ndarray:
        e, p = blk.edges, blk.pairs  # the products and their sums in one pass (segment_dot)
        return self.segment_dot(ep[e], zv[mdp.edge_target[e]], mdp.pair_ptr[p.start:p.stop] - e.start)

    def quotient(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if not self.simplify:
            return super().quotient(a, b)
        plain = quotients(a, b)
        if plain is not None:  # all rationals: python-flint's gcds, not SymPy's normalisation
            return _obj(plain)
        out = [fraction_quotient(u, v) for u, v in zip(a, b)]
        return _obj([u / v if q is None else q for q, u, v in zip(out, a, b)])

    def scatter_add(self, target: np.ndarray, index: np.ndarray, values: np.ndarray) -> None:
        _charge_terms(values, "exact sums of growing terms")
        sums = scatter_sums(target, index, values) if self.simplify else None
        if sums is None:
            super().scatter_add(target, index, values)
            return
        for i, v in sums.items():
            target[i] = v

    def to_sympy(self, x: sp.Expr) -> sp.Expr:
        return x

    def describe(self) -> str:
        return "exact (SymPy rational and symbolic arithmetic)"
