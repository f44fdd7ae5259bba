"""Exact linear forms in logarithms of rationals: ``sum_i c_i * log(x_i)`` (+-inf allowed).

The additive return ``J(pi) = E_pi[sum_t log q(s_t, a_t)]`` (spec section 2) and the
incoherence ``kappa = sum_t E KL(...)`` (section 6) are, for rational inputs, rational
combinations of logarithms of rationals: generally irrational, but exactly representable
as a :class:`LogLinear`, the map ``x -> c`` with Fraction keys and coefficients, plus an
infinity flag.  Equality is decided exactly: logarithms of pairwise coprime integers
``> 1`` are linearly independent over the rationals, so a form is zero exactly when its
coefficients over a coprime base of the numerators and denominators all vanish.
Ordering (``<``, :meth:`LogLinear.sign`) uses interval arithmetic (mpmath) at growing
precision, which terminates because a non-zero form has a non-zero value.
"""

from __future__ import annotations

from fractions import Fraction
from math import gcd
from typing import Any, Dict, Iterable, List, Mapping, Optional, Union

from proofcheck.errors import UndecidedError

__all__ = ["LogLinear", "coprime_base", "NEG_INF", "POS_INF"]

Number = Union[int, Fraction]


def coprime_base(numbers: Iterable[int]) -> List[int]:
    """A list of pairwise coprime integers ``> 1`` over which every input factors.

    Parameters
    ----------
    numbers : iterable of int
        Positive integers (1s are ignored).

    Returns
    -------
    list of int
        Sorted; every input is a product of powers of its elements.

    Examples
    --------
    >>> coprime_base([12, 18, 5, 1])
    [2, 3, 5]
    >>> coprime_base([6, 35])
    [6, 35]
    """
    base = sorted({int(n) for n in numbers if int(n) > 1})
    changed = True
    while changed:
        changed = False
        for i in range(len(base)):
            for j in range(i + 1, len(base)):
                g = gcd(base[i], base[j])
                if g > 1:
                    x, y = base[i] // g, base[j] // g
                    rest = [b for k, b in enumerate(base) if k not in (i, j)]
                    base = sorted({b for b in rest + [x, y, g] if b > 1})
                    changed = True
                    break
            if changed:
                break
    return base


def _exponents(n: int, base: List[int]) -> Dict[int, int]:
    out = {}
    for b in base:
        e = 0
        while n % b == 0:
            n //= b
            e += 1
        if e:
            out[b] = e
    if n != 1:  # pragma: no cover - guaranteed by coprime_base
        raise ArithmeticError(f"{n} does not factor over {base}")
    return out


class LogLinear:
    """``sum_x c_x * log(x)`` with positive rational ``x`` and rational ``c``, or ``+-inf``.

    Build with :meth:`log`, :meth:`from_terms`, sums and rational multiples.  ``0 * inf``
    is 0 (the convention ``0 * log 0 = 0`` of expectations); ``inf + (-inf)`` raises.

    Examples
    --------
    >>> j = Fraction(1, 2) * LogLinear.log(Fraction(1, 4)) + LogLinear.log(2)
    >>> j == LogLinear.zero(), j.is_zero()
    (True, True)
    >>> k = LogLinear.from_terms({Fraction(7, 10): Fraction(2, 5), Fraction(7, 5): Fraction(3, 5)})
    >>> k
    LogLinear(2/5*log(7/10) + 3/5*log(7/5))
    >>> round(float(k), 12), k.sign()
    (0.059213364397, 1)
    >>> LogLinear.log(0), LogLinear.log(0) * 0
    (LogLinear(-inf), LogLinear(0))
    """

    __slots__ = ("_terms", "_inf")
    __hash__ = None  # equal forms may be written over different bases

    def __init__(self, terms: Optional[Mapping[Number, Number]] = None, infinity: int = 0):
        if infinity not in (-1, 0, 1):
            raise ValueError("infinity must be -1, 0 or 1")
        clean: Dict[Fraction, Fraction] = {}
        if not infinity:
            for x, c in (terms or {}).items():
                x, c = Fraction(x), Fraction(c)
                if x <= 0:
                    raise ValueError(f"log({x}) is not a real number here; use LogLinear.log for log 0")
                if x != 1 and c != 0:
                    clean[x] = clean.get(x, Fraction(0)) + c
            clean = {x: c for x, c in clean.items() if c != 0}
        self._terms = clean
        self._inf = infinity

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_terms(cls, terms: Mapping[Number, Number]) -> "LogLinear":
        """The finite form ``sum c * log(x)`` for ``{x: c}``."""
        return cls(terms)

    @classmethod
    def log(cls, x: Number) -> "LogLinear":
        """``log(x)`` for a rational ``x >= 0`` (``log 0 = -inf``)."""
        x = Fraction(x)
        if x < 0:
            raise ValueError(f"log({x}) of a negative number")
        return cls(infinity=-1) if x == 0 else cls({x: 1})

    @classmethod
    def zero(cls) -> "LogLinear":
        """The form 0."""
        return cls()

    # ------------------------------------------------------------------ inspection
    @property
    def terms(self) -> Dict[Fraction, Fraction]:
        """``{x: c}`` of a finite form (empty when infinite)."""
        return dict(self._terms)

    @property
    def infinity(self) -> int:
        """-1 for ``-inf``, +1 for ``+inf``, 0 when finite."""
        return self._inf

    def is_finite(self) -> bool:
        """True unless the form is ``-inf`` or ``+inf``."""
        return self._inf == 0

    def is_neg_inf(self) -> bool:
        """True for ``-inf``."""
        return self._inf == -1

    def is_pos_inf(self) -> bool:
        """True for ``+inf``."""
        return self._inf == 1

    def canonical(self) -> Dict[int, Fraction]:
        """The coefficients over a coprime base: ``{b: c}`` with ``self = sum c * log(b)``.

        Unique for a given base; the form is zero exactly when this is empty.  Raises
        ``ValueError`` for an infinite form.
        """
        if self._inf:
            raise ValueError("an infinite form has no canonical coefficients")
        base = coprime_base(n for x in self._terms for n in (x.numerator, x.denominator))
        out: Dict[int, Fraction] = {}
        for x, c in self._terms.items():
            for b, e in _exponents(x.numerator, base).items():
                out[b] = out.get(b, Fraction(0)) + c * e
            for b, e in _exponents(x.denominator, base).items():
                out[b] = out.get(b, Fraction(0)) - c * e
        return {b: c for b, c in sorted(out.items()) if c != 0}

    def is_zero(self) -> bool:
        """Exact test for the value 0."""
        return self._inf == 0 and not self.canonical()

    def rational_value(self) -> Optional[Fraction]:
        """The value as a Fraction when it is rational (only 0 for a finite form), else None."""
        return Fraction(0) if self.is_zero() else None

    # ------------------------------------------------------------------ arithmetic
    def __add__(self, other):
        if isinstance(other, int) and other == 0:
            return self
        if not isinstance(other, LogLinear):
            return NotImplemented
        if self._inf or other._inf:
            if self._inf and other._inf and self._inf != other._inf:
                raise ValueError("inf - inf is undefined")
            return LogLinear(infinity=self._inf or other._inf)
        terms = dict(self._terms)
        for x, c in other._terms.items():
            terms[x] = terms.get(x, Fraction(0)) + c
        return LogLinear(terms)

    __radd__ = __add__

    def __neg__(self):
        return LogLinear({x: -c for x, c in self._terms.items()}, -self._inf)

    def __sub__(self, other):
        if isinstance(other, int) and other == 0:
            return self
        if not isinstance(other, LogLinear):
            return NotImplemented
        return self + (-other)

    def __mul__(self, scalar):
        if not isinstance(scalar, (int, Fraction)) or isinstance(scalar, bool):
            return NotImplemented
        scalar = Fraction(scalar)
        if scalar == 0:
            return LogLinear()
        if self._inf:
            return LogLinear(infinity=self._inf * (1 if scalar > 0 else -1))
        return LogLinear({x: c * scalar for x, c in self._terms.items()})

    __rmul__ = __mul__

    # ------------------------------------------------------------------ comparison
    def __eq__(self, other):
        if isinstance(other, int) and other == 0:
            other = LogLinear()
        if not isinstance(other, LogLinear):
            return NotImplemented
        if self._inf or other._inf:
            return self._inf == other._inf
        return (self - other).is_zero()

    def sign(self, max_dps: int = 5000) -> int:
        """-1, 0 or 1, exactly (0 by the coprime base, otherwise certified intervals).

        Raises :class:`proofcheck.errors.UndecidedError` if ``max_dps`` digits do not suffice.
        """
        if self._inf:
            return self._inf
        coeffs = self.canonical()
        if not coeffs:
            return 0
        import mpmath
        dps = 30
        while dps <= max_dps:
            with mpmath.workdps(dps):
                total = mpmath.iv.mpf(0)
                for b, c in coeffs.items():
                    total += mpmath.iv.mpf(c.numerator) / c.denominator * mpmath.iv.log(b)
                if total.a > 0:
                    return 1
                if total.b < 0:
                    return -1
            dps *= 2
        # (not repr(self): a float-derived model's coefficients have more digits than str() allows)
        raise UndecidedError(f"sign of a log-linear form of {len(coeffs)} terms not decided at {max_dps} digits")

    def _cmp(self, other):
        if isinstance(other, int) and other == 0:
            return self.sign()
        if not isinstance(other, LogLinear):
            return NotImplemented
        if self._inf or other._inf:
            return self._inf - other._inf  # -inf < every finite value < +inf
        return (self - other).sign()

    def __lt__(self, other):
        c = self._cmp(other)
        return c if c is NotImplemented else c < 0

    def __le__(self, other):
        c = self._cmp(other)
        return c if c is NotImplemented else c <= 0

    def __gt__(self, other):
        c = self._cmp(other)
        return c if c is NotImplemented else c > 0

    def __ge__(self, other):
        c = self._cmp(other)
        return c if c is NotImplemented else c >= 0

    # ------------------------------------------------------------------ evaluation
    def to_float(self) -> float:
        """The value as a float (``-inf``/``inf`` for the infinite forms)."""
        if self._inf:
            return float("inf") * self._inf
        return float(self.to_mpmath(30))

    __float__ = to_float

    def to_mpmath(self, dps: int = 50) -> Any:
        """The value as an ``mpmath.mpf`` at ``dps`` decimal digits."""
        import mpmath
        if self._inf:
            return mpmath.inf * self._inf
        with mpmath.workdps(dps + 10):
            total = mpmath.mpf(0)
            for x, c in self._terms.items():
                total += mpmath.mpf(c.numerator) / c.denominator * (
                    mpmath.log(x.numerator) - mpmath.log(x.denominator))
        with mpmath.workdps(dps):
            return +total

    def __repr__(self) -> str:
        if self._inf:
            return "LogLinear(-inf)" if self._inf < 0 else "LogLinear(inf)"
        if not self._terms:
            return "LogLinear(0)"
        parts = [f"{c}*log({x})" for x, c in self._terms.items()]
        return "LogLinear(" + " + ".join(parts).replace("+ -", "- ") + ")"


#: ``-inf`` and ``+inf`` as forms.
NEG_INF = LogLinear(infinity=-1)
POS_INF = LogLinear(infinity=1)
