"""The fast exact core: numbers are rational functions of the model's parameters.

:class:`RationalFunctionBackend` plugs into every recursion of :mod:`proofcheck.engine`
unchanged (it is one more :class:`~proofcheck.engine.backends.Backend`).  Its numbers
are canonical rational functions, never expression trees:

* one parameter (or none) and python-flint installed: a small class
  :class:`FlintRational` holding a numerator and a denominator ``fmpq_poly``, kept
  coprime with a monic denominator (a denominator of 1 is stored as ``None`` so that
  the common polynomial case never computes a gcd);
* several parameters, or no python-flint: elements of SymPy's rational function field
  ``QQ.frac_field(*symbols)`` (:class:`sympy.polys.fields.FracElement`).

Both are canonical, so equality is structural and zero tests are exact.  Values that
are not rational functions of the parameters (``exp``, ``log``, ``sqrt``) raise a
:class:`~proofcheck.errors.ConventionError` naming the value and pointing at the
``"exact"`` backend.  A sign that depends on the parameters raises
:class:`~proofcheck.errors.UndecidedError`; :mod:`proofcheck.symbolic.parametric`
turns such comparisons into conditions on the parameters.

Examples
--------
>>> from proofcheck.engine import success_probability, goal_condition
>>> from proofcheck.model.generators import binary_tree_mdp
>>> m = binary_tree_mdp(2, seed=0)
>>> list(m.success[3:])  # leaves LL, LR, RL, RR
[3/4, 3/4, 0, 1/2]
>>> B = RationalFunctionBackend.for_model(m)
>>> B.to_sympy(success_probability(m, backend=B))  # p^2 3/4 + p(1-p) 3/4 + (1-p)^2 1/2
p**2/2 - p/4 + 1/2
>>> B.to_sympy(goal_condition(m, backend=B).prob(0, "L"))
3*p/(2*p**2 - p + 2)
"""

from __future__ import annotations

import importlib
from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import sympy as sp

from proofcheck.engine.backends.base import Backend
from proofcheck.errors import ConventionError, UndecidedError

if TYPE_CHECKING:
    from proofcheck.model.mdp import MDP

# typed as Any: checked the same with or without python-flint (0.9+ ships type hints)
_flint: Any
try:  # python-flint is an optional extra ("fast")
    _flint = importlib.import_module("flint")
except ImportError:  # pragma: no cover - exercised only without python-flint
    _flint = None

__all__ = ["RationalFunctionBackend", "FlintRational", "HAVE_FLINT"]

#: True when python-flint is importable (the univariate fast path is available).
HAVE_FLINT: bool = _flint is not None
_ONE_POLY: Any = _flint.fmpq_poly([1]) if HAVE_FLINT else None


def _not_rational(value: Any, why: str = "") -> ConventionError:
    return ConventionError(
        f"value {value} is not a rational function of the model's parameters{why}; the "
        "'rational' backend holds only rational functions: use backend='exact' for it"
    )


# ---------------------------------------------------------------------------- flint path

class FlintRational:
    """A univariate rational function ``n / d`` over QQ (python-flint ``fmpq_poly``).

    ``d`` is monic and coprime to ``n``, or ``None`` for the denominator 1; ``v`` names
    the variable (``None`` for a constant), so that values of two different parameters
    are never silently mixed.

    Examples
    --------
    >>> if not HAVE_FLINT:
    ...     import pytest; pytest.skip("python-flint is not installed")
    >>> x = FlintRational.from_sympy(sp.Symbol("p") / 2)
    >>> y = (x * 2 - 1) / (x * 4 - 2)
    >>> y, y == FlintRational.from_sympy(sp.Rational(1, 2))
    (1/2, True)
    """

    __slots__ = ("n", "d", "v")

    def __init__(self, n: Any, d: Any = None, v: str | None = None) -> None:
        self.n, self.d, self.v = n, d, v

    # -- construction ---------------------------------------------------------
    @staticmethod
    def _canonical(n: Any, d: Any, v: str | None) -> FlintRational:
        if n.is_zero():
            return FlintRational(n, None, None)
        g = n.gcd(d)
        if g.degree() > 0:
            n, d = n // g, d // g
        lc = d[d.degree()]
        if lc != 1:
            n, d = n / lc, d / lc
        if d.degree() == 0:
            return FlintRational(n, None, v if n.degree() > 0 else None)
        return FlintRational(n, d, v)

    @classmethod
    def from_sympy(cls, expr: Any, symbol: sp.Symbol | None = None) -> FlintRational:
        """Convert a SymPy rational function of at most one symbol.

        Parameters
        ----------
        expr : sympy.Expr or anything ``sympify`` reads
        symbol : sympy.Symbol, optional
            The variable; default the expression's only free symbol.

        Returns
        -------
        FlintRational

        Raises
        ------
        ConventionError
            For several symbols, or a value that is not a rational function.
        """
        expr = sp.sympify(expr)
        if expr.is_Rational:
            if expr == 1 and _ONE_ELEM is not None:
                return _ONE_ELEM
            return cls(_flint.fmpq_poly([_flint.fmpq(int(expr.p), int(expr.q))]))
        syms = expr.free_symbols
        if len(syms) > 1:
            raise ConventionError(
                f"value {expr} has several parameters ({', '.join(sorted(map(str, syms)))}); the "
                "univariate rational backend cannot hold it: use RationalFunctionBackend.for_model(mdp)")
        x = symbol if symbol is not None else (next(iter(syms)) if syms else None)
        if x is None or not expr.is_rational_function(x):
            raise _not_rational(expr)
        num, den = sp.fraction(sp.cancel(sp.together(expr)))
        n = cls._poly(num, x)
        d = cls._poly(den, x)
        return cls._canonical(n, d, x.name)

    @staticmethod
    def _poly(expr: sp.Expr, x: sp.Symbol) -> Any:
        coeffs = sp.Poly(expr, x).all_coeffs()[::-1]
        return _flint.fmpq_poly([_flint.fmpq(int(c.p), int(c.q)) for c in coeffs])

    @staticmethod
    def _lift(other: object) -> FlintRational | None:
        if isinstance(other, FlintRational):
            return other
        if isinstance(other, (int, np.integer)):
            return FlintRational(_flint.fmpq_poly([int(other)]))
        if _flint is not None and isinstance(other, _flint.fmpq):
            return FlintRational(_flint.fmpq_poly([other]))
        if isinstance(other, sp.Rational):
            return FlintRational(_flint.fmpq_poly([_flint.fmpq(int(other.p), int(other.q))]))
        return None

    @staticmethod
    def _var(a: FlintRational, b: FlintRational) -> str | None:
        if a.v is None:
            return b.v
        if b.v is not None and b.v != a.v:
            raise ConventionError(f"cannot combine rational functions of {a.v} and {b.v}; use "
                                  "RationalFunctionBackend.for_model(mdp), which knows every parameter")
        return a.v

    # -- arithmetic -------------------------------------------------------------
    # The hot paths (both operands polynomials, or one a constant) avoid gcds: the
    # backward passes over a tree are almost all of that kind.
    def __add__(self, o: object) -> FlintRational:
        if type(o) is not FlintRational:
            o = self._lift(o)
            if o is None:
                return NotImplemented
        sv, ov = self.v, o.v
        if sv is not ov and sv is not None and ov is not None:
            self._var(self, o)
        sd, od = self.d, o.d
        if sd is None:
            if od is None:
                return FlintRational(self.n + o.n, None, sv or ov)
            return FlintRational(self.n * od + o.n, od, sv or ov)
        if od is None:
            return FlintRational(self.n + o.n * sd, sd, sv or ov)  # still coprime
        return self._canonical(self.n * od + o.n * sd, sd * od, sv or ov)

    __radd__ = __add__

    def __neg__(self) -> FlintRational:
        return FlintRational(-self.n, self.d, self.v)

    def __sub__(self, other: object) -> FlintRational:
        o = self._lift(other)
        return NotImplemented if o is None else self + (-o)

    def __rsub__(self, other: object) -> FlintRational:
        o = self._lift(other)
        return NotImplemented if o is None else o + (-self)

    def __mul__(self, o: object) -> FlintRational:
        if o is _ONE_ELEM:  # tau = 1 and q = 1 everywhere in deterministic, unweighted models
            return self
        if self is _ONE_ELEM and type(o) is FlintRational:
            return o
        if type(o) is not FlintRational:
            o = self._lift(o)
            if o is None:
                return NotImplemented
        sv, ov = self.v, o.v
        if sv is not ov and sv is not None and ov is not None:
            self._var(self, o)
        sd, od = self.d, o.d
        if sd is None and od is None:
            return FlintRational(self.n * o.n, None, sv or ov)
        if od is None and o.n.degree() <= 0:  # a constant keeps n/d coprime
            return FlintRational(self.n * o.n, sd, sv) if not o.n.is_zero() else o
        if sd is None and self.n.degree() <= 0:
            return FlintRational(o.n * self.n, od, ov) if not self.n.is_zero() else self
        one = _ONE_POLY
        return self._canonical(self.n * o.n, (sd if sd is not None else one) * (od if od is not None else one),
                               sv or ov)

    __rmul__ = __mul__

    def __truediv__(self, o: object) -> FlintRational:
        if type(o) is not FlintRational:
            o = self._lift(o)
            if o is None:
                return NotImplemented
        if o.n.is_zero():
            raise ZeroDivisionError("division by the zero rational function")
        sv, ov = self.v, o.v
        if sv is not ov and sv is not None and ov is not None:
            self._var(self, o)
        if o.d is None and o.n.degree() == 0:
            return FlintRational(self.n / o.n[0], self.d, sv)
        num = self.n * o.d if o.d is not None else self.n
        den = o.n * self.d if self.d is not None else o.n
        return self._canonical(num, den, sv or ov)

    def __rtruediv__(self, other: object) -> FlintRational:
        o = self._lift(other)
        return NotImplemented if o is None else o / self

    def __pow__(self, k: object) -> FlintRational:
        if isinstance(k, sp.Integer):
            k = int(k)
        if not isinstance(k, (int, np.integer)):
            return NotImplemented
        k = int(k)
        if k == 0:  # x**0 = 1, canonical (d ** 0 would be the polynomial 1, not None)
            return FlintRational(_flint.fmpq_poly([1]))
        if k < 0:
            return (FlintRational(_flint.fmpq_poly([1])) / self) ** (-k)
        return FlintRational(self.n ** k, None if self.d is None else self.d ** k,
                             self.v if self.n.degree() > 0 or self.d is not None else None)

    # -- comparison -----------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        o = self._lift(other)
        if o is None:
            return NotImplemented
        return self.n == o.n and (self.d is None) == (o.d is None) and (self.d is None or self.d == o.d)

    def __hash__(self) -> int:
        return hash((str(self.n), str(self.d)))

    def is_constant(self) -> bool:
        return self.d is None and self.n.degree() <= 0

    def constant(self) -> sp.Rational:
        """The value as a SymPy Rational (constants only)."""
        c: Any = self.n[0] if self.n.degree() >= 0 else 0
        return sp.Rational(int(c.p), int(c.q)) if c != 0 else sp.Integer(0)

    def as_expr(self, symbol: sp.Symbol | None = None) -> sp.Expr:
        """The SymPy expression, in ``symbol`` (default: a real Symbol named after ``v``).

        Parameters
        ----------
        symbol : sympy.Symbol, optional

        Returns
        -------
        sympy.Expr
        """
        x = symbol if symbol is not None else sp.Symbol(self.v or "x", real=True)
        def ex(p: Any, scale: int = 1) -> sp.Expr:
            return sp.Add(*[sp.Rational(int(c.p) * scale, int(c.q)) * x ** i for i, c in enumerate(p.coeffs())])
        if self.d is None:
            return ex(self.n)
        # integer coefficients on both sides read better than a monic denominator
        scale = int(sp.ilcm(int(self.n.denom()), int(self.d.denom())))
        return ex(self.n, scale) / ex(self.d, scale)

    def __repr__(self) -> str:
        return str(self.as_expr())

    __str__ = __repr__


#: The constant 1, shared so that multiplication by it is an identity check.
_ONE_ELEM: FlintRational | None = None
if HAVE_FLINT:
    _ONE_ELEM = FlintRational(_flint.fmpq_poly([1]))


# ---------------------------------------------------------------------------- the backend

class RationalFunctionBackend(Backend):
    """Exact rational functions in the parameters ``symbols`` (see the module docstring).

    Parameters
    ----------
    symbols : sequence of sympy.Symbol, optional
        The model's parameters.  ``None`` (what ``get_backend("rational")`` gives) accepts
        values in at most one parameter each: enough for every one-parameter model.
    impl : {"auto", "flint", "sympy"}
        ``"flint"`` needs python-flint and at most one parameter; ``"auto"`` picks it when
        possible, else SymPy's ``QQ.frac_field``.

    Examples
    --------
    >>> from proofcheck.engine import get_backend
    >>> B = get_backend("rational")
    >>> B.to_sympy(B.array([sp.Rational(1, 2), sp.Integer(3)]).sum())
    7/2
    """

    exact = True
    #: Policies stored as SymPy values must be converted before they enter this backend.
    sympy_values = False

    def __init__(self, symbols: Iterable[sp.Symbol] | None = None, impl: str = "auto") -> None:
        if impl not in ("auto", "flint", "sympy"):
            raise ConventionError(f"unknown rational backend implementation {impl!r}; use auto, flint or sympy")
        self.symbols: tuple[sp.Symbol, ...] | None = None if symbols is None else tuple(symbols)
        nsym = 1 if self.symbols is None else len(self.symbols)
        if impl == "flint" and not HAVE_FLINT:
            raise ConventionError("impl='flint' needs python-flint; pip install 'proofcheck[fast]' or use impl='sympy'")
        if impl == "flint" and nsym > 1:
            raise ConventionError(f"impl='flint' handles one parameter, got {nsym}; use impl='sympy'")
        self.impl = "flint" if (impl == "flint" or (impl == "auto" and HAVE_FLINT and nsym <= 1)) else "sympy"
        self._fields: dict[sp.Symbol, Any] = {}
        if self.symbols is not None and self.impl == "sympy":
            self._field = sp.QQ.frac_field(*self.symbols) if self.symbols else None
        self._memo: dict[Any, Any] = {}
        self._zero = self._convert(sp.Integer(0))
        self._one = self._convert(sp.Integer(1))

    @property
    def zero(self) -> Any:
        return self._zero

    @property
    def one(self) -> Any:
        return self._one

    @classmethod
    def for_model(cls, mdp: MDP, impl: str = "auto") -> RationalFunctionBackend:
        """The backend over ``mdp``'s declared parameters.

        Parameters
        ----------
        mdp : MDP
        impl : {"auto", "flint", "sympy"}

        Returns
        -------
        RationalFunctionBackend
        """
        return cls(tuple(mdp.parameters), impl=impl)

    @property
    def name(self) -> str:
        syms = "" if self.symbols is None else "[" + ",".join(s.name for s in self.symbols) + "]"
        return f"rational{syms}"

    @property
    def key(self) -> str:
        return f"{self.name}/{self.impl}"

    @property
    def inf(self) -> sp.Expr:
        return sp.oo

    # -- conversion -----------------------------------------------------------
    def _convert(self, value: Any) -> Any:
        if isinstance(value, FlintRational) and self.impl == "flint":
            return value
        if self.impl == "sympy" and not isinstance(value, (sp.Basic, int, float)) and hasattr(value, "field"):
            return value
        try:
            return self._memo[value]
        except (KeyError, TypeError):
            pass
        out = self._convert_new(value)
        try:
            self._memo[value] = out
        except TypeError:
            pass
        return out

    def _convert_new(self, value: Any) -> Any:
        expr = sp.sympify(value)
        if expr.has(sp.Float):
            raise ConventionError(f"value {expr} is a float; the rational backend is exact: give it "
                                  "as a fraction such as '1/3', or use backend='float'")
        syms = expr.free_symbols
        if self.symbols is not None and not syms <= set(self.symbols):
            extra = ", ".join(sorted(str(s) for s in syms - set(self.symbols)))
            raise ConventionError(f"value {expr} has parameter(s) {extra} unknown to backend {self.name}; "
                                  "build it with RationalFunctionBackend.for_model(mdp)")
        if not (expr.is_Rational or expr.is_rational_function(*syms)):
            raise _not_rational(expr)
        if self.impl == "flint":
            sym = self.symbols[0] if self.symbols else None
            return FlintRational.from_sympy(expr, sym)
        field = self._field_for(syms)
        if field is None:
            return sp.QQ.convert(expr) if expr.is_Rational else sp.QQ.from_sympy(expr)
        try:
            return field.from_sympy(expr)
        except (ValueError, sp.polys.polyerrors.CoercionFailed):
            raise _not_rational(expr) from None

    def _field_for(self, syms: set[sp.Symbol]) -> Any:
        if self.symbols is not None:
            return self._field
        if not syms:
            return None  # constants stay QQ elements, which combine with any field
        if len(syms) > 1:
            raise ConventionError(
                f"get_backend('rational') accepts one parameter per value, got {sorted(map(str, syms))}; "
                "use RationalFunctionBackend.for_model(mdp), which knows every parameter")
        (x,) = syms
        if self._fields and x not in self._fields:
            # fields of different parameters do not mix: without for_model the backend
            # is univariate, like the flint path
            raise ConventionError(
                f"get_backend('rational') holds one parameter, got {x} after "
                f"{next(iter(self._fields))}; use RationalFunctionBackend.for_model(mdp), "
                "which knows every parameter")
        if x not in self._fields:
            self._fields[x] = sp.QQ.frac_field(x)
        return self._fields[x]

    def array(self, values: Collection[Any]) -> np.ndarray:
        if isinstance(values, np.ndarray) and values.dtype.kind == "f":
            raise ConventionError(f"the rational backend got a float64 array of {len(values)} model values; "
                                  "it is exact: build the model with exact values or use backend='float'")
        out = np.empty(len(values), dtype=object)
        out[:] = [self._convert(v) for v in values]
        return out

    # -- scalar hooks ---------------------------------------------------------
    def _log(self, x: Any) -> Any:
        raise _not_rational(f"log({self.to_sympy(x)})", " (a logarithm)")

    def _exp(self, x: Any) -> Any:
        raise _not_rational(f"exp({self.to_sympy(x)})", " (an exponential)")

    def _pow(self, x: Any, y: Any) -> Any:
        ys = sp.sympify(y)
        if not ys.is_Integer:
            raise _not_rational(f"({self.to_sympy(x)})**({ys})", " (a non-integer power)")
        return x ** int(ys)

    def _is_zero(self, x: Any) -> bool:
        if type(x) is FlintRational:
            return x.n.is_zero()
        return x == 0

    def _is_constant(self, x: Any) -> bool:
        if isinstance(x, FlintRational):
            return x.is_constant()
        return not hasattr(x, "field") or (x.numer.is_ground and x.denom.is_ground)

    def _sign(self, x: Any) -> int:
        if self._is_constant(x):
            c = self.to_sympy(x)
            return 1 if c > 0 else (-1 if c < 0 else 0)
        raise UndecidedError(f"the sign of {self.to_sympy(x)} depends on the parameters")

    def _is_inf(self, x: Any) -> bool:
        return x is sp.oo or x is sp.S.NegativeInfinity

    def to_sympy(self, x: Any) -> sp.Expr:
        """A canonical SymPy expression (cancelled rational function)."""
        if isinstance(x, FlintRational):
            if x.is_constant():
                return x.constant()
            sym = self.symbols[0] if self.symbols else sp.Symbol(x.v, real=True)
            return x.as_expr(sym)
        if isinstance(x, sp.Basic):
            return x
        if hasattr(x, "field"):
            return x.as_expr()
        return sp.QQ.to_sympy(x)

    def describe(self) -> str:
        how = "python-flint fmpq_poly" if self.impl == "flint" else "SymPy QQ.frac_field"
        return f"exact rational functions of the parameters ({how}, canonical, no expression trees)"
