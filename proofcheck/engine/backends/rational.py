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

from proofcheck.engine.backends.base import Backend, FusedPass
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

    # -- the fused backward pass -------------------------------------------------
    def fused_pass(self, mdp: MDP, pi: np.ndarray, q: np.ndarray, success: np.ndarray, *,
                   condition: str | None = None, kl_delta: Any = None,
                   kl_impossible: str = "keep") -> FusedPass | None:
        """The soft-value recursion (and ``G``) as one loop over the states, python-flint only.

        The same arithmetic as the generic per-level array code, value for value (each
        product and sum is formed by the same :class:`FlintRational` rules, so every
        value is the same canonical rational function), without the per-level object
        arrays and the multiplications by the shared exact 1 (``tau = 1``, ``q = 1``).
        ``Zq`` and ``Zv`` are cached on the model for the policy and likelihood arrays
        given (the model's own, converted once: ``success_probability`` then
        ``goal_condition`` of the prior make one pass); callers get copies.
        """
        if kl_delta is not None or self.impl != "flint" or condition not in (None, "keep", "uniform"):
            return None
        ep = mdp.converted(self)["edge_prob"]
        cache = getattr(mdp, "_converted", None)
        key = ("fused-pass", self.key)
        hit = cache.get(key) if isinstance(cache, dict) else None
        if hit is not None and hit[0] is pi and hit[1] is q and hit[2] is success and hit[3] is ep:
            zq, zv, w = hit[4], hit[5], hit[6]
        else:
            for arr in (pi, q, success, ep):
                if not isinstance(arr, np.ndarray) or (len(arr) and set(map(type, arr)) != {FlintRational}):
                    return None
            zq, zv, w = _pass(mdp, pi, q, success, ep)
            if isinstance(cache, dict):
                cache[key] = (pi, q, success, ep, zq, zv, w)
        g = None if condition is None else _flint_condition(mdp, pi, w, zv, condition, self)
        return FusedPass(zq.copy(), zv.copy(), g)

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


# ---------------------------------------------------------------------------- fused pass

def _pass(mdp: MDP, pi: np.ndarray, q: np.ndarray, success: np.ndarray,
          ep: np.ndarray) -> tuple[np.ndarray, np.ndarray, tuple[list[Any], list[Any], list[Any]]]:
    """The backward pass: level-wise on polynomials (:func:`_poly_levels`) where it
    applies, else state by state (:func:`_flint_pass`)."""
    one = _ONE_ELEM
    if mdp.n_pairs and len(ep) == mdp.n_pairs and all(x is one for x in ep) and all(x is one for x in q):
        pil = pi.tolist()
        leaves = success[mdp.terminal].tolist()
        if all(x.d is None for x in pil) and all(x.d is None for x in leaves):
            names = {x.v for x in pil} | {x.v for x in leaves}
            names.discard(None)
            if len(names) <= 1:
                return _poly_levels(mdp, pil, success, next(iter(names)) if names else "")
    return _flint_pass(mdp, pi, q, success, ep)


def _flint_pass(mdp: MDP, pi: np.ndarray, q: np.ndarray, success: np.ndarray,
                ep: np.ndarray) -> tuple[np.ndarray, np.ndarray, tuple[list[Any], list[Any], list[Any]]]:
    """``(zq, zv, w)`` with ``w = pi * zq`` per pair: states from the last (the lowest
    height level) to the first, a topological order of the backward pass.

    Each product and sum is the one :class:`FlintRational`'s operators form (inlined for
    two polynomials: ``n * n`` or ``n + n``, the variable of the first operand that has
    one), and the products by the shared exact 1 are skipped as ``__mul__`` skips them."""
    n, m = mdp.n_states, mdp.n_pairs
    one = _ONE_ELEM
    Fr = FlintRational
    state_ptr = mdp.state_ptr.tolist()
    pair_ptr = mdp.pair_ptr.tolist()
    tgt = mdp.edge_target.tolist()
    epl, ql, pil = ep.tolist(), q.tolist(), pi.tolist()
    zv: list[Any] = success.tolist()  # the terminals' entries stay; the others are replaced
    zq: list[Any] = [None] * m
    w: list[Any] = [None] * m
    # one outcome per pair with tau = 1 and q = 1: Zq(s, a) is Zv(next), the same object
    simple = len(tgt) == m and all(x is one for x in epl) and all(x is one for x in ql)
    for i in range(n - 1, -1, -1):
        lo, hi = state_ptr[i], state_ptr[i + 1]
        if lo == hi:
            continue
        tot = None
        for j in range(lo, hi):
            if simple:
                z = zv[tgt[j]]
            else:
                acc = None
                for e in range(pair_ptr[j], pair_ptr[j + 1]):
                    t = epl[e]
                    x = zv[tgt[e]]
                    x = x if t is one else t * x
                    acc = x if acc is None else acc + x
                qj = ql[j]
                z = acc if qj is one else qj * acc
            zq[j] = z
            a = pil[j]
            av, zv_ = a.v, z.v
            if a.d is None and z.d is None and (av is None or zv_ is None or av == zv_):
                x = Fr(a.n * z.n, None, av or zv_)
            else:
                x = a * z
            w[j] = x
            if tot is None:
                tot = x
            else:
                tv, xv = tot.v, x.v
                if tot.d is None and x.d is None and (tv is None or xv is None or tv == xv):
                    tot = Fr(tot.n + x.n, None, tv or xv)
                else:
                    tot = tot + x
        zv[i] = tot
    zq_arr = np.empty(m, dtype=object)
    zq_arr[:] = zq
    zv_arr = np.empty(n, dtype=object)
    zv_arr[:] = zv
    return zq_arr, zv_arr, ([x.n for x in w], [x.d for x in w], [x.v for x in w])


def _poly_levels(mdp: MDP, pil: list[Any], success: np.ndarray,
                 name: str) -> tuple[np.ndarray, np.ndarray, tuple[list[Any], list[Any], list[Any]]]:
    """:func:`_flint_pass` where every pair has one outcome with ``tau = 1`` and ``q = 1``
    and every policy value and leaf success is a polynomial in one variable ``name`` (or
    a constant): then every value is a polynomial, and each height level is three array
    operations on the ``fmpq_poly`` numerators (NumPy calls their ``*`` and ``+``): the
    products ``pi * Zq`` and the per-state sums, in the order :func:`_flint_pass` forms
    them.  The variable of each value follows :class:`FlintRational`'s rule (the first
    operand's, else the second's), as flags."""
    n, m = mdp.n_states, mdp.n_pairs
    Fr = FlintRational
    pin = np.fromiter((x.n for x in pil), dtype=object, count=m)
    piv = np.fromiter((x.v is not None for x in pil), dtype=bool, count=m)
    zvn = np.empty(n, dtype=object)
    zvf = np.zeros(n, dtype=bool)
    term = np.flatnonzero(mdp.terminal)
    leaves = success[term].tolist()
    zvn[term] = np.fromiter((x.n for x in leaves), dtype=object, count=len(leaves))
    zvf[term] = [x.v is not None for x in leaves]
    wn = np.empty(m, dtype=object)
    wf = np.zeros(m, dtype=bool)
    tgt_all = mdp.edge_target
    for blk in mdp.blocks[1:]:
        p, st = blk.pairs, blk.states
        tgt = tgt_all[p]
        w_l = pin[p] * zvn[tgt]
        f_l = piv[p] | zvf[tgt]
        wn[p], wf[p] = w_l, f_l
        starts = mdp.state_ptr[st.start:st.stop] - p.start
        zvn[st] = np.add.reduceat(w_l, starts)
        zvf[st] = np.logical_or.reduceat(f_l, starts)
    zv = success.copy()
    inner = np.flatnonzero(~mdp.terminal)
    zv[inner] = np.fromiter((Fr(x, None, name if f else None)
                             for x, f in zip(zvn[inner].tolist(), zvf[inner].tolist())), dtype=object, count=len(inner))
    zq = zv[tgt_all]
    return zq, zv, (wn.tolist(), [None] * m, [name if f else None for f in wf.tolist()])


def _flint_condition(mdp: MDP, pi: np.ndarray, w: tuple[list[Any], list[Any], list[Any]], zv: np.ndarray,
                     impossible: str, B: RationalFunctionBackend) -> np.ndarray:
    """``G(pi) = w / Zv(s)`` per pair (``w = pi * Zq`` as numerators, denominators and
    variables); where ``Zv(s) = 0``, ``pi`` ("keep") or uniform, as ``goal_condition``'s
    generic division does.

    States with two actions, a polynomial ``Zv`` of positive degree and two non-zero
    polynomial ``w`` (most states of a tree) are done together, as array operations:
    ``gcd(a, a + b) = gcd(a, b) = gcd(b, a + b)``, so one gcd and one monic denominator
    serve both actions, exactly what ``a / Zv`` and ``b / Zv`` each reduce to
    (:meth:`FlintRational._canonical`).  The other states divide one pair at a time."""
    m, n = mdp.n_pairs, mdp.n_states
    Fr = FlintRational
    wn, wd, wv = w
    out: list[Any] = [None] * m
    state_ptr = mdp.state_ptr
    zvl = zv.tolist()
    zdeg = np.fromiter((z.n.degree() if z.d is None else -2 for z in zvl), dtype=np.int64, count=n)
    pair_deg = np.fromiter((x.degree() if d is None else -2 for x, d in zip(wn, wd)), dtype=np.int64, count=m)
    los = state_ptr[:-1]
    two = np.flatnonzero((np.diff(state_ptr) == 2) & (zdeg > 0))
    da, db = pair_deg[los[two]], pair_deg[los[two] + 1]
    # one w = 0: Zv(s) is the other w, so G is 0 and 1 (what _canonical makes of w / Zv)
    for j, k in ((los[two[(da == -1) & (db >= 0)]], 1), (los[two[(db == -1) & (da >= 0)]] + 1, -1)):
        for jj in j.tolist():
            out[jj] = Fr(wn[jj], None, None)
            out[jj + k] = Fr(_flint.fmpq_poly([1]), None, None)
    one_zero = two[((da == -1) & (db >= 0)) | ((db == -1) & (da >= 0))]
    two = two[(da >= 0) & (db >= 0)]  # non-zero polynomials
    if len(two):
        lo = los[two]
        wna = np.empty(m, dtype=object)
        wna[:] = wn
        na, nb = wna[lo], wna[lo + 1]
        d = np.fromiter((zvl[i].n for i in two.tolist()), dtype=object, count=len(two))
        g = np.frompyfunc(lambda x, y: x.gcd(y), 2, 1)(na, nb)
        red = np.flatnonzero(np.fromiter((x.degree() > 0 for x in g), dtype=bool, count=len(g)))
        if len(red):
            gr = g[red]
            na[red], nb[red], d[red] = na[red] // gr, nb[red] // gr, d[red] // gr
        lc = np.fromiter((x[x.degree()] for x in d), dtype=object, count=len(d))
        scale = np.flatnonzero(lc != 1)
        if len(scale):
            ls = lc[scale]
            na[scale], nb[scale], d[scale] = na[scale] / ls, nb[scale] / ls, d[scale] / ls
        zvar = [zvl[i].v for i in two.tolist()]
        for j, x, y, den, zv_ in zip(lo.tolist(), na.tolist(), nb.tolist(), d.tolist(), zvar):
            va, vb = wv[j] or zv_, wv[j + 1] or zv_
            if den.degree() == 0:
                out[j] = Fr(x, None, va if x.degree() > 0 else None)
                out[j + 1] = Fr(y, None, vb if y.degree() > 0 else None)
            else:
                out[j] = Fr(x, den, va)
                out[j + 1] = Fr(y, den, vb)
    done = np.zeros(n, dtype=bool)
    done[two] = True
    done[one_zero] = True
    done |= mdp.terminal
    pil = pi.tolist() if impossible == "keep" else None
    ptr = state_ptr.tolist()
    for i in np.flatnonzero(~done).tolist():
        lo_, hi = ptr[i], ptr[i + 1]
        z = zvl[i]
        if z.n.is_zero():
            if pil is not None:
                out[lo_:hi] = pil[lo_:hi]
            else:
                u = B._convert(sp.Rational(1, hi - lo_))
                out[lo_:hi] = [u] * (hi - lo_)
            continue
        for j in range(lo_, hi):
            out[j] = Fr(wn[j], wd[j], wv[j]) / z
    arr = np.empty(m, dtype=object)
    arr[:] = out
    return arr
