"""Rational functions of one parameter in python-flint, read from and written back to SymPy.

The values of a one-parameter model (``p``, ``(1 - p)/2``, and every soft value,
goal-conditioned policy and success probability computed from them) are rational functions
of ``p`` with rational coefficients.  SymPy's ``cancel`` brings such an expression to lowest
terms by generic expression rewriting (``factor_terms``, ``signsimp``), which costs
milliseconds per value; evaluating the expression tree in ``Q(p)`` with python-flint's
``fmpq_poly`` and reducing by one polynomial gcd costs microseconds.  The result is the
canonical form SymPy's ``cancel`` returns (integer numerator and denominator without
common factor, denominator with positive leading coefficient), so switching routes changes
no printed value.

Anything that is not a rational function of the one symbol with rational coefficients
(a logarithm, a float, a second symbol) is reported as None and the caller keeps SymPy.

Examples
--------
>>> import sympy as sp
>>> p = sp.Symbol("p")
>>> cancel_univariate((p / 2 + sp.Rational(1, 4)) / (p + sp.Rational(1, 2)), p)
1/2
>>> cancel_univariate(p / (p + (1 - p) / 4), p)
4*p/(3*p + 1)
>>> cancel_univariate(sp.log(p), p) is None
True
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import sympy as sp
from sympy.core.add import Add, _addsort
from sympy.core.mul import Mul
from sympy.polys.polyutils import _sort_gens

from proofcheck.exact.budget import CACHED_BITS, rational_bits
from proofcheck.exact.symbols import free_symbols

try:  # python-flint is a core dependency; the fallback keeps exotic platforms working
    import flint
except ImportError:  # pragma: no cover - exercised only where the wheel is missing
    flint = None

__all__ = ["HAVE_FLINT", "add_fractions", "as_fraction", "as_univariate_fraction", "cancel_one_symbol", "fraction_dot", "fraction_quotient",
           "log_of", "as_scaled_fraction", "cancel", "cancel_univariate", "cancel_with_constants",
           "fast_cancel", "fraction_to_expr", "poly_to_expr"]

HAVE_FLINT = flint is not None


class _NotRational(Exception):
    pass


class _Univariate:
    """Leaves of a rational function of one symbol: rationals and the symbol."""

    def __init__(self, x):
        self.x, self.one = x, flint.fmpq_poly([1])
        self.gen = flint.fmpq_poly([0, 1])

    def leaf(self, e):
        if e.is_Rational:
            return flint.fmpq_poly([flint.fmpq(int(e.p), int(e.q))])
        if e == self.x:
            return self.gen
        raise _NotRational(type(e).__name__)

    def known(self, e):
        got = _WRITTEN.get(e)
        return got[1] if got is not None and got[0] == self.x else None


class _SomeUnivariate(_Univariate):
    """Leaves of a rational function of at most one symbol, whichever it is (found on the way)."""

    def __init__(self):
        super().__init__(None)

    def leaf(self, e):
        if e.is_Symbol and self.x is None:
            self.x = e
        return super().leaf(e)

    def known(self, e):
        got = _WRITTEN.get(e)
        if got is None:
            return None
        if self.x is None:
            self.x = got[0]
        if got[0] != self.x:
            raise _NotRational("two symbols")
        return got[1]


class _Multivariate:
    """Leaves of a polynomial ring over QQ whose generators are SymPy atoms (symbols and
    logarithms of rationals), as ``sympy.cancel`` treats them."""

    def __init__(self, gens, logs=None):
        self.gens = gens
        self.ctx = flint.fmpq_mpoly_ctx.get(("v", len(gens)), "lex")
        self.index = {g: i for i, g in enumerate(gens)}
        self.logs = logs or {}
        self.one = self.ctx.constant(1)

    def leaf(self, e):
        if e.is_Rational:
            return self.ctx.constant(flint.fmpq(int(e.p), int(e.q)))
        if e in self.logs:  # log(4) = 2*log(2): sympy.cancel expands the logarithms first
            out = self.ctx.constant(0)
            for g, c in self.logs[e].items():
                out = out + flint.fmpq(int(c.p), int(c.q)) * self.ctx.gens()[self.index[g]]
            return out
        i = self.index.get(e)
        if i is not None:
            return self.ctx.gens()[i]
        raise _NotRational(type(e).__name__)

    def known(self, e):
        return None


# the fractions written as SymPy expressions (fraction_to_expr: the engine's normalised
# values), by expression: reading such a value again (a difference of two of them, a sign
# table) would walk a degree-30 tree to rebuild what python-flint already had
_WRITTEN: dict = {}
_WRITTEN_LIMIT = 1 << 16
_ONE_POLY = flint.fmpq_poly([1]) if flint is not None else None


def _reduce(n, d, field):
    if n.is_zero():
        return n, field.one
    if d.is_one():
        return n, d
    g = n.gcd(d)
    if not g.is_one():
        n, d = n // g, d // g
    return n, d


def add_fractions(a: tuple[Any, Any], b: tuple[Any, Any]) -> tuple[Any, Any]:
    """``a + b`` for fractions ``(numerator, denominator)`` of ``fmpq_poly``, in lowest terms
    (a zero sum has denominator 1).

    >>> add_fractions((flint.fmpq_poly([1]), flint.fmpq_poly([0, 1])), (flint.fmpq_poly([-1]), flint.fmpq_poly([1, 1])))
    (1, x^2 + x)
    """
    (n1, d1), (n2, d2) = a, b
    n, d = (n1 + n2, d1) if d1 == d2 else (n1 * d2 + n2 * d1, d1 * d2)
    if n.is_zero():
        return n, _ONE_POLY
    g = n.gcd(d)
    return (n, d) if g.is_one() else (n // g, d // g)


def _walk(e, field, memo):
    got = memo.get(e)
    if got is not None:
        return got
    got = field.known(e)
    if got is not None:
        return got
    if e.is_Add:
        n, d = _walk(e.args[0], field, memo)
        for a in e.args[1:]:
            n2, d2 = _walk(a, field, memo)
            if d == d2:
                n, d = _reduce(n + n2, d, field)
            else:
                n, d = _reduce(n * d2 + n2 * d, d * d2, field)
        out = (n, d)
    elif e.is_Mul:
        n, d = _walk(e.args[0], field, memo)
        for a in e.args[1:]:
            n2, d2 = _walk(a, field, memo)
            n, d = _reduce(n * n2, d * d2, field)
        out = (n, d)
    elif e.is_Pow and e.exp.is_Integer:
        n, d = _walk(e.base, field, memo)
        k = int(e.exp)
        if k < 0:
            if n.is_zero():
                raise _NotRational("division by zero")
            n, d, k = d, n, -k
        if k > 4096:
            raise _NotRational("exponent too large")
        out = (n ** k, d ** k)
    else:
        out = (field.leaf(e), field.one)
    memo[e] = out
    return out


def as_fraction(expr: Any, x: sp.Symbol) -> tuple[Any, Any] | None:
    """``(numerator, denominator)`` as coprime ``flint.fmpq_poly`` in ``x`` (monic denominator), or None.

    None when python-flint is missing or ``expr`` is not a rational function of ``x``
    with rational coefficients.

    Parameters
    ----------
    expr : sympy.Expr
    x : sympy.Symbol

    Returns
    -------
    tuple of flint.fmpq_poly or None

    Examples
    --------
    >>> p = sp.Symbol("p")
    >>> as_fraction((1 - p) / (2 * p + 2), p)
    ((-1/2)*x + 1/2, x + 1)
    """
    if flint is None:
        return None
    return _monic_fraction(expr, _Univariate(x))


def _monic_fraction(expr, field):
    """``expr`` read in ``field`` as coprime ``(n, d)`` with a monic ``d`` (one representative
    per rational function), or None."""
    try:
        n, d = _walk(sp.sympify(expr), field, {})
    except _NotRational:
        return None
    n, d = _reduce(n, d, field)
    lc = d.coeffs()[-1]
    if lc != 1:
        n, d = n / lc, d / lc
    return n, d


def as_univariate_fraction(expr: Any) -> tuple[Any, Any, sp.Symbol | None] | None:
    """``(numerator, denominator, x)``: ``expr`` as :func:`as_fraction` gives it in its one
    symbol ``x`` (None for a constant), found in the same walk; None when ``expr`` is not
    a rational function of at most one symbol with rational coefficients (or no flint).

    >>> p = sp.Symbol("p")
    >>> as_univariate_fraction((1 - p) / (2 * p + 2))
    ((-1/2)*x + 1/2, x + 1, p)
    >>> as_univariate_fraction(p * sp.Symbol("q")) is None
    True
    """
    if flint is None:
        return None
    expr = sp.sympify(expr)
    if expr.is_Rational:  # the common constant: no walk
        return flint.fmpq_poly([flint.fmpq(int(expr.p), int(expr.q))]), _ONE_POLY, None
    field = _SomeUnivariate()
    frac = _monic_fraction(expr, field)
    return None if frac is None else (*frac, field.x)


@lru_cache(maxsize=1 << 16)
def cancel_one_symbol(expr: sp.Expr) -> sp.Expr | None:
    """``sympy.cancel(expr)`` for a rational function of at most one symbol (whichever it
    is) with rational coefficients, in :func:`cancel_univariate`'s form (``expr`` itself
    when it has no symbol); None for anything else.

    >>> p = sp.Symbol("p")
    >>> cancel_one_symbol((p ** 2 - 1) / (p - 1)), cancel_one_symbol(sp.log(p)) is None
    (p + 1, True)
    """
    if expr in _WRITTEN:  # written by fraction_to_expr: already in this form
        return expr
    frac = as_univariate_fraction(expr)
    if frac is None:
        return None
    return expr if frac[2] is None else fraction_to_expr(*frac)


def _fractions(values: Any) -> tuple[list, sp.Symbol] | None:
    """``values`` as coprime ``fmpq_poly`` fractions in their one common symbol, and the
    symbol; None when some value is not a rational function of it with rational
    coefficients, or none has a symbol (plain rationals are SymPy's job)."""
    if flint is None:
        return None
    x, out = None, []
    for v in values:
        got = as_univariate_fraction(v)
        if got is None:
            return None
        n, d, sym = got
        if sym is not None:
            if x is None:
                x = sym
            elif sym != x:
                return None
        out.append((n, d))
    return (out, x) if x is not None else None


def _multiply(a: tuple[Any, Any], b: tuple[Any, Any]) -> tuple[Any, Any]:
    """``a * b`` for coprime fractions of ``fmpq_poly``, in lowest terms (cross-cancelled)."""
    (n1, d1), (n2, d2) = a, b
    if n1.is_zero() or n2.is_zero():
        return flint.fmpq_poly([]), _ONE_POLY
    g1, g2 = n1.gcd(d2), n2.gcd(d1)
    if not g1.is_one():
        n1, d2 = n1 // g1, d2 // g1
    if not g2.is_one():
        n2, d1 = n2 // g2, d1 // g2
    return n1 * n2, d1 * d2


@lru_cache(maxsize=1 << 16)
def fraction_quotient(a: sp.Expr, b: sp.Expr) -> sp.Expr | None:
    """``cancel(a / b)`` formed in python-flint when ``a`` and ``b`` are rational functions of
    one symbol (``b`` not 0), without building SymPy's quotient; None otherwise.

    >>> p = sp.Symbol("p")
    >>> fraction_quotient(p / (p + 1), (p ** 2 - 1) / 2)
    2*p/(p**3 + p**2 - p - 1)
    """
    got = _fractions((a, b))
    if got is None or got[0][1][0].is_zero():
        return None
    (fa, (nb, db)), x = got
    return fraction_to_expr(*_multiply(fa, (db, nb)), x)


@lru_cache(maxsize=1 << 16)
def fraction_dot(pairs: tuple) -> sp.Expr | None:
    """``cancel(sum(a * b for a, b in pairs))`` formed in python-flint when every value is a
    rational function of one symbol; None otherwise (cached: case splits and claims form
    the same sums again).

    >>> p = sp.Symbol("p")
    >>> fraction_dot(((p, sp.Rational(1, 2)), (1 - p, 1 / (p + 1))))
    (p**2 - p + 2)/(2*p + 2)
    """
    got = _fractions([v for pair in pairs for v in pair])
    if got is None:
        return None
    fr, x = got
    total = _multiply(fr[0], fr[1])
    for j in range(2, len(fr), 2):
        total = add_fractions(total, _multiply(fr[j], fr[j + 1]))
    return fraction_to_expr(*total, x)


def poly_to_expr(coeffs: list, x: sp.Symbol) -> sp.Expr:
    """The SymPy polynomial ``sum(c_i x**i)`` from integer or rational coefficients, low degree first."""
    const, terms, keys = None, [], []
    for i, c in enumerate(coeffs):
        if c == 0:
            continue
        c = sp.Integer(int(c)) if isinstance(c, (int, flint.fmpz)) else sp.Rational(int(c.p), int(c.q))
        if i == 0:
            const = c
            continue
        power = x if i == 1 else sp.Pow(x, sp.Integer(i))
        # the canonical Mul (coefficient first) and Add (sorted terms, the number first) built
        # directly: SymPy's flatten would derive the assumptions of every new big integer (5x
        # slower); tests/test_ratfunc.py checks the result is identical to sympy.Add(*terms)
        terms.append(power if c == 1 else Mul._from_args((c, power)))
        keys.append(_term_key(c, i))
    if not terms:
        return const if const is not None else sp.Integer(0)
    if len(terms) == 1 and const is None:
        return terms[0]
    if _term_order_is_sympys():
        terms = [t for _, t in sorted(zip(keys, terms), key=lambda kt: kt[0])]
    else:  # pragma: no cover - a SymPy whose canonical order differs from the one below
        _addsort(terms)
    if const is not None:
        terms.insert(0, const)
    return Add._from_args(terms)


# SymPy orders the terms of an Add by ``Basic.compare``: by class (``x`` and ``x**i`` before
# the products ``c*x**i``, by ``basic.ordering_of_classes``), then by contents. For the terms
# of a polynomial in one symbol that order is the key below, computed from the coefficient
# and the degree without SymPy's comparison calls (half the cost of writing a polynomial).
_NUMBER_RANK = {"One": 1, "Half": 2, "NegativeOne": 5, "Integer": 7, "Rational": 8}
_OTHER_RANK = 99


def _term_key(c: sp.Rational, i: int) -> tuple:
    """The place of the term ``c * x**i`` (``i >= 1``) in SymPy's order of an Add."""
    if c == 1:  # x, x**i: before every product, by degree
        return (0, 0, 0, 0, i)
    return (1, _NUMBER_RANK.get(type(c).__name__, _OTHER_RANK), int(c.p), int(c.q), i)


@lru_cache(maxsize=1)
def _term_order_is_sympys() -> bool:
    """Whether the key order of :func:`poly_to_expr` is SymPy's on a sample of every kind
    of coefficient (checked once; otherwise SymPy's own sort is used)."""
    x = sp.Symbol("x")
    coeffs = [sp.Integer(1), sp.Rational(1, 2), sp.Integer(-1), sp.Integer(3), sp.Integer(-7),
              sp.Rational(-1, 2), sp.Rational(5, 3), sp.Rational(-5, 3), sp.Integer(2)]
    terms, keys = [], []
    for i, c in enumerate(coeffs * 2, start=1):
        power = x if i == 1 else sp.Pow(x, sp.Integer(i))
        terms.append(power if c == 1 else Mul._from_args((c, power)))
        keys.append(_term_key(c, i))
    reference = list(terms)
    _addsort(reference)
    return [t for _, t in sorted(zip(keys, terms), key=lambda kt: kt[0])] == reference


def _integer_form(n, d, lead):
    """``(n*f, d*f)`` for the rational ``f`` that makes both integer polynomials without a
    common integer factor and the denominator's leading coefficient ``lead`` positive: the
    normal form ``sympy.cancel`` writes (``fmpq_poly`` or ``fmpq_mpoly`` alike)."""
    coeffs = list(n.coeffs()) + list(d.coeffs())
    scale = math.lcm(*[int(c.q) for c in coeffs])
    factor = flint.fmpq(scale, math.gcd(*[int(c.p) * (scale // int(c.q)) for c in coeffs]))
    if lead < 0:
        factor = -factor
    return n * factor, d * factor


@lru_cache(maxsize=1 << 16)
def cancel_univariate(expr: sp.Expr, x: sp.Symbol) -> sp.Expr | None:
    """``expr`` in lowest terms, exactly as ``sympy.cancel`` writes it, or None.

    None when ``expr`` is not a rational function of ``x`` with rational coefficients
    or python-flint is missing (the caller then uses SymPy).

    Parameters
    ----------
    expr : sympy.Expr
    x : sympy.Symbol

    Returns
    -------
    sympy.Expr or None
    """
    frac = as_fraction(expr, x)
    if frac is None:
        return None
    return fraction_to_expr(*frac, x)


def fraction_to_expr(n: Any, d: Any, x: sp.Symbol) -> sp.Expr:
    """The SymPy form ``sympy.cancel`` writes for the coprime ``fmpq_poly`` fraction ``n / d``.

    >>> p = sp.Symbol("p")
    >>> fraction_to_expr(flint.fmpq_poly([1, 1]), flint.fmpq_poly([0, 2]), p)
    (p + 1)/(2*p)
    """
    lead = d.coeffs()[-1]
    monic = (n / lead, d / lead)  # as_fraction's form
    n, d = _integer_form(n, d, lead)
    num = poly_to_expr(n.coeffs(), x)
    if d.degree() == 0:
        den = int(d.coeffs()[0].p)
        out = num if den == 1 else num / sp.Integer(den)
        den_expr = None
    else:
        den_expr = poly_to_expr(d.coeffs(), x)
        out = num / den_expr
    if not out.is_Rational:  # (a constant is read as fast as it is looked up)
        if len(_WRITTEN) > _WRITTEN_LIMIT:
            _WRITTEN.clear()
        _WRITTEN[out] = (x, monic)
        # the numerator and denominator too: products and quotients of written values keep
        # them as factors (SymPy flattens the fractions, not the polynomials)
        for poly, expr in ((n, num), (d, den_expr)):
            if expr is not None and expr.is_Add:
                _WRITTEN[expr] = (x, (poly, _ONE_POLY))
    return out


@lru_cache(maxsize=4096)
def _expanded_log(f):
    """``f.expand()`` of one ``log(rational)`` atom (``log(4) -> 2*log(2)``, ``log(6)``
    stays) as ``{log atom: rational coefficient}``, the form ``sympy.cancel`` works on;
    None if the expansion is not such a combination."""
    out = {}
    for term in sp.Add.make_args(f.expand()):
        c, rest = term.as_coeff_Mul()
        if not (isinstance(rest, sp.log) and rest.args[0].is_Rational and c.is_Rational):
            return None
        out[rest] = out.get(rest, 0) + c
    return out


_NOT_RATIONAL_ATOMS = frozenset({sp.S.Pi, sp.S.Exp1, sp.zoo, sp.oo, sp.nan})


def _generators(expr):
    """``(gens, logs)``: the symbols and logarithms that ``sympy.cancel`` uses as generators,
    in its order, and each ``log(rational)`` atom as ``{generator: coefficient}``; None
    when ``expr`` holds anything else that is not a rational number."""
    gens, logs = set(), {}
    seen, stack = set(), [expr]
    while stack:  # one walk over the distinct nodes (four SymPy queries would walk it four times)
        e = stack.pop()
        if e in seen:
            continue
        seen.add(e)
        if e.is_Symbol:
            gens.add(e)
        elif isinstance(e, sp.Function):
            arg = e.args[0] if isinstance(e, sp.log) else None
            if arg is None or not arg.is_Rational or arg <= 0:
                return None
            combo = _expanded_log(e)
            if combo is None:
                return None
            logs[e] = combo
            gens.update(combo)
            continue
        elif e.is_Pow and not e.exp.is_Integer:
            return None
        elif e.is_Float or e in _NOT_RATIONAL_ATOMS:
            return None
        stack.extend(e.args)
    return tuple(_sort_gens(list(gens))), logs


@lru_cache(maxsize=1 << 16)
def cancel_with_constants(expr: sp.Expr) -> sp.Expr | None:
    """``expr`` in lowest terms exactly as ``sympy.cancel`` writes it, for rational functions
    of any symbols whose coefficients may hold logarithms of rationals (as returns do:
    ``(1 - p)*log(2)/(5*p + 3)``); None for anything else or without python-flint.

    Parameters
    ----------
    expr : sympy.Expr

    Returns
    -------
    sympy.Expr or None

    Examples
    --------
    >>> p = sp.Symbol("p")
    >>> e = -(1 - p) * sp.log(4) / (5 * p + 3) - (2 - 2 * p) * sp.log(2) / (5 * p + 3)
    >>> cancel_with_constants(e) == sp.cancel(e)
    True
    """
    reduced = _reduced_fraction(expr)
    if reduced is None:
        return None
    n, d, gens = reduced
    n, d = _integer_form(n, d, d.leading_coefficient())  # lex-leading: sympy.cancel's order
    num = _mpoly_expr(n, gens)
    den = _mpoly_expr(d, gens)
    return num / den if den != 1 else num


def _reduced_fraction(expr):
    """``(n, d, gens)``: ``expr`` as a fraction of coprime ``fmpq_mpoly`` in its symbols and
    log constants (:func:`_generators`), or None (no such form, no symbol, or no flint)."""
    if flint is None:
        return None
    found = _generators(expr)
    if found is None or not found[0]:
        return None
    gens, logs = found
    field = _Multivariate(gens, logs)
    try:
        n, d = _walk(expr, field, {})
    except _NotRational:
        return None
    n, d = _reduce(n, d, field)
    return n, d, gens


def as_scaled_fraction(expr: sp.Expr, x: sp.Symbol) -> tuple[Any, Any, Any, Any] | None:
    """``(n, d, a, b)`` with ``expr = (a * n) / (b * d)``: ``n``, ``d`` coprime ``fmpq_poly``
    in ``x`` and ``a``, ``b`` constants (combinations of logarithms of rationals, as returns
    carry: ``(1 - p) log 2 / (5 p + 3)``), or None when ``expr`` is not of that form.

    The sign of ``expr`` is that of ``n / d`` times the signs of ``a`` and ``b``: the form
    the exact sign tables of a parametric condition need, without SymPy's ``cancel``.

    Examples
    --------
    >>> p = sp.Symbol("p")
    >>> as_scaled_fraction((1 - p) * sp.log(4) / (5 * p + 3), p)
    (x + (-1), x + 3/5, -2*log(2), 5)
    """
    reduced = _reduced_fraction(expr)
    if reduced is None or x not in reduced[2]:
        return None
    n, d, gens = reduced
    k = gens.index(x)
    parts = []
    for poly in (n, d):
        split = _split_constant(poly, k, gens)
        if split is None:
            return None
        parts.append(split)
    (pn, a), (pd, b) = parts
    return pn, pd, a, b  # coprime: n and d are, and pn, pd are factors of them


def _split_constant(poly, k, gens):
    """``(P, c)`` with ``poly = c * P(x)``: ``P`` an ``fmpq_poly`` in generator ``k``, ``c`` a
    SymPy constant in the other generators; None when ``poly`` is no such product."""
    groups: dict = {}
    for monom, c in poly.terms():
        rest = monom[:k] + monom[k + 1:]
        groups.setdefault(rest, {})[int(monom[k])] = c
    shape = None
    constant = []
    for rest, coeffs in groups.items():
        top = max(coeffs)
        lead = coeffs[top]
        normal = flint.fmpq_poly([coeffs.get(i, 0) / lead for i in range(top + 1)])
        if shape is None:
            shape = normal
        elif normal != shape:
            return None
        constant.append(sp.Mul(sp.Rational(int(lead.p), int(lead.q)), *_monomial(gens[:k] + gens[k + 1:], rest)))
    return shape, sp.Add(*constant)


def _monomial(gens, exponents):
    """The factors ``g ** e`` (``e > 0``) of a monomial of generators, as SymPy expressions."""
    return [g if e == 1 else sp.Pow(g, sp.Integer(int(e))) for g, e in zip(gens, exponents) if e]


def _mpoly_expr(poly, gens):
    return sp.Add(*[sp.Mul(sp.Integer(int(c.p)), *_monomial(gens, monom)) for monom, c in poly.terms()])


def log_of(x: sp.Expr) -> sp.Expr:
    """``sympy.log(x)``, the same expression, without SymPy's evaluation where its outcome
    is known: a positive rational, or a rational function of one symbol that is not
    identically 0 (SymPy would ask whether it is 0 or a multiple of ``I``, assumption
    queries costing milliseconds on a degree-30 fraction, and leave it as it is).

    >>> p = sp.Symbol("p")
    >>> [log_of(v) == sp.log(v) for v in (sp.Rational(3, 4), sp.Rational(1, 8), sp.Integer(1), (1 - p) / (p + 2))]
    [True, True, True, True]
    """
    if x.is_Rational:
        # only short rationals are cached: a float-derived model's 10^5-digit ones would make
        # the cache hold gigabytes
        return _log_of_rational(x) if rational_bits(x) <= CACHED_BITS else _log_of_rational.__wrapped__(x)
    frac = as_univariate_fraction(x)
    if frac is not None and frac[2] is not None and not frac[0].is_zero():
        return sp.log(x, evaluate=False)
    return sp.log(x)


@lru_cache(maxsize=1 << 16)
def _log_of_rational(x: sp.Rational) -> sp.Expr:
    """:func:`log_of` of a rational (cached: the KL and return passes of ``verify`` take the
    log of the same few hundred ratios over a thousand times; a key is the exact rational)."""
    if x.p <= 0 or x == 1:
        return sp.log(x)
    if x.p == 1:  # log(1/q) = -log(q)
        return -sp.log(sp.Integer(x.q), evaluate=False)
    return sp.log(x, evaluate=False)


def fast_cancel(expr: sp.Expr) -> sp.Expr | None:
    """``sympy.cancel(expr)`` through python-flint (the same form), or None when neither
    :func:`cancel_univariate` nor :func:`cancel_with_constants` takes ``expr``.

    Examples
    --------
    >>> p = sp.Symbol("p")
    >>> fast_cancel((p ** 2 - 1) / (p - 1)), fast_cancel(sp.sqrt(p)) is None
    (p + 1, True)
    """
    syms = free_symbols(expr)
    fast = cancel_univariate(expr, next(iter(syms))) if len(syms) == 1 else None
    return fast if fast is not None else cancel_with_constants(expr)


def cancel(expr: sp.Expr) -> sp.Expr:
    """``sympy.cancel(expr)``: through python-flint where :func:`fast_cancel` takes it (the
    same form, far faster), else SymPy's.

    >>> p = sp.Symbol("p")
    >>> cancel((p ** 2 - 1) / (p - 1)), cancel(sp.Rational(1, 2))
    (p + 1, 1/2)
    """
    fast = fast_cancel(expr)
    return fast if fast is not None else sp.cancel(expr)
