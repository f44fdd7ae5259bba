"""Parametric verdicts: the exact condition on a parameter under which a claim holds.

A comparison between exact values of a parametric model (``J(pi^G_{i+1}) - J(pi^G_i) >= 0``,
``pi^G_k(a|s) = pi_alpha(a|s)``) usually cannot be decided once and for all: its truth
depends on the parameters.  For one parameter ``x`` ranging over ``[lo, hi]`` and a
rational function ``f = n / d`` the answer is always computable exactly: the sign of
``f`` is constant between consecutive real roots of ``n`` and ``d``, so the roots (exact
rationals or :class:`sympy.CRootOf` algebraic numbers), the endpoints and one rational
sample point per gap decide everything.  The result is a union of intervals and points,
reported as text such as ``"p >= 1/2 (on [0, 1])"`` together with a rational witness
inside and outside the condition.

Anything else (several parameters at once, logarithms of the parameter) is not guessed:
the condition comes back with ``solution = None`` and a ``reason``.

Claims on parametric models run through :func:`proofcheck.claims.parametric.run_parametric`
(wired into :func:`proofcheck.claims.registry.run_claim`): every sign that only the parameter can
decide (:func:`~proofcheck.exact.sign.exact_sign`, the claims' ``equal``) is
split into its cases ``> 0``, ``= 0``, ``< 0``; each non-empty case re-runs the check with
that sign fixed, and the verdicts of all cases combine into "holds iff <condition>".
Zero tests (the engine's ``0 * log 0 = 0`` and ``Zv = 0`` conventions) split the same
way; values undefined on part of the range (poles, logarithms of non-positive numbers)
are decided at those exact points on the substituted model; every case is confirmed
by one run on the substituted model at a rational point of its condition, and a case
whose symbolic and substituted verdicts disagree is reported undecided, never guessed.

Examples
--------
>>> import sympy as sp
>>> p = sp.Symbol("p", real=True)
>>> c = parametric_condition(2 * p - 1, ">=", 0, {p: (0, 1)})
>>> c.text, c.witness_outside
('p >= 1/2 (on [0, 1])', 0)
>>> parametric_condition(p / (p + 1), ">=", 0, {p: (0, 1)}).text
'all p in [0, 1]'
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from functools import lru_cache
from typing import Any

import sympy as sp

from proofcheck.errors import UndecidedError
from proofcheck.exact.constant_sign import constant_sign
from proofcheck.exact.ratfunc import as_fraction, as_scaled_fraction, flint
from proofcheck.exact.regions import Region, approx, less, register_approximation
from proofcheck.exact.symbols import free_symbols

__all__ = ["Condition", "parametric_condition", "conjunction", "describe_set", "RELATIONS",
           "rational_between", "real_roots_between", "sorted_exact"]

RELATIONS = {">=": lambda v: v >= 0, ">": lambda v: v > 0, "<=": lambda v: v <= 0,
             "<": lambda v: v < 0, "==": lambda v: v == 0, "!=": lambda v: v != 0}


class Condition:
    """The set of parameter values in the declared range where a relation holds.

    ``region`` is the exact subset of ``domain`` (a :class:`~proofcheck.exact.regions.Region`)
    and ``solution`` the same set in SymPy, or both ``None`` when the condition could not be
    derived (then ``reason`` says why).  ``solution`` may be given as a SymPy set or a Region.
    ``witness_inside``/``witness_outside`` are rational parameter values where the relation
    holds / fails (``None`` if none).
    """

    __slots__ = ("_statement", "symbol", "domain", "region", "reason", "_witnesses", "_derive",
                 "undefined")

    def __init__(self, statement: str | Callable[[], str], symbol: Any = None, domain: Any = None, solution: Any = None,
                 reason: str = "", witness_inside: Any = None, witness_outside: Any = None,
                 candidates: list | None = None, undefined: list | None = None,
                 derive: Callable[[], tuple] | None = None) -> None:
        self._statement = statement  # text, or a function giving it (printing SymPy is slow)
        self.symbol, self.domain, self.reason = symbol, domain, reason
        self.region = (solution if isinstance(solution, Region) or solution is None
                       else Region.from_sympy(solution))
        # ``derive()`` gives (inside, outside, candidates) on first use: a case split builds
        # many conjunctions only to test them for emptiness
        self._witnesses = None if derive else (witness_inside, witness_outside, list(candidates or []))
        self._derive = derive
        self.undefined = list(undefined or [])

    def _known(self) -> tuple:
        if self._witnesses is None:
            inside, outside, cands = self._derive()
            self._witnesses, self._derive = (inside, outside, list(cands)), None
        return self._witnesses

    @property
    def witness_inside(self) -> Any:
        return self._known()[0]

    @property
    def witness_outside(self) -> Any:
        return self._known()[1]

    @property
    def candidates(self) -> list:
        return self._known()[2]

    def __repr__(self) -> str:
        return f"Condition({self.statement!r}, {self.text!r})"

    @property
    def statement(self) -> str:
        """What the condition is about, e.g. ``"2*p - 1 >= 0"``."""
        if callable(self._statement):
            self._statement = self._statement()
        return self._statement

    @property
    def solution(self) -> Any:
        """The condition's set as a SymPy set (None when not derived)."""
        return None if self.region is None else self.region.to_sympy()

    @property
    def derived(self):
        return self.region is not None

    @property
    def everywhere(self):
        return self.derived and self.witness_outside is None

    @property
    def nowhere(self):
        return self.derived and self.witness_inside is None

    @property
    def text(self):
        if not self.derived:
            return f"condition not derived: {self.reason}"
        return describe_set(self.solution, self.symbol, self.domain)

    def as_dict(self):
        return {"statement": self.statement, "condition": self.text,
                "parameter": str(self.symbol) if self.symbol is not None else None,
                "solution": str(self.solution) if self.derived else None,
                "witness_inside": str(self.witness_inside) if self.witness_inside is not None else None,
                "witness_outside": str(self.witness_outside) if self.witness_outside is not None else None,
                "reason": self.reason}


def _fmt_point(r):
    if r.is_Rational:
        return str(r)
    return f"{sp.N(r, 6)} (root {r})"


def describe_set(solution, x, domain):
    """Text for a subset of the interval ``domain`` in the variable ``x``.

    Examples
    --------
    >>> x = sp.Symbol("x")
    >>> describe_set(sp.Union(sp.Interval(0, sp.Rational(1, 3)), sp.FiniteSet(1)), x, sp.Interval(0, 1))
    'x <= 1/3 or x = 1 (on [0, 1])'
    """
    rng = f"(on [{domain.start}, {domain.end}])"
    if solution == sp.S.EmptySet:
        return f"never {rng}"
    if solution == domain:
        return f"all {x} in [{domain.start}, {domain.end}]"
    pieces = solution.args if isinstance(solution, sp.Union) else (solution,)
    out = []
    for piece in pieces:
        if isinstance(piece, sp.FiniteSet):
            out += [f"{x} = {_fmt_point(v)}" for v in piece]
            continue
        a, b = piece.start, piece.end
        lower = None if (a == domain.start and not piece.left_open) else (f"{x} > " if piece.left_open else f"{x} >= ") + _fmt_point(a)
        upper = None if (b == domain.end and not piece.right_open) else (f"{x} < " if piece.right_open else f"{x} <= ") + _fmt_point(b)
        if lower and upper:
            out.append(f"{_fmt_point(a)} {'<' if piece.left_open else '<='} {x} "
                       f"{'<' if piece.right_open else '<='} {_fmt_point(b)}")
        else:
            out.append(lower or upper or f"all {x}")
    return " or ".join(out) + " " + rng


def _exact_fraction(v):
    return _fraction(sp.Rational(v))  # a Float's exact binary value


def _simplest_between(lo, hi):
    """The rational with the smallest denominator in ``[lo, hi]`` (continued fractions)."""
    n = lo.numerator // lo.denominator
    if n == lo or n + 1 <= hi:
        return Fraction(n if n == lo else n + 1)
    return n + 1 / _simplest_between(1 / (hi - n), 1 / (lo - n))


def rational_between(a, b):
    """A rational strictly between the real algebraic numbers ``a < b``.

    Examples
    --------
    >>> rational_between(sp.sqrt(2), sp.Rational(3, 2)) < sp.Rational(3, 2)
    True
    """
    if a.is_Rational and b.is_Rational:
        return (a + b) / 2
    # the 40-digit values registered from flint's isolating balls (error far below 1e-35)
    # bound a rational window inside (a, b); SymPy's evalf of CRootOf refines its own
    # isolating intervals instead, seconds per root for the degree-30 roots of a tree model
    lo, hi = (_exact_fraction(v if v.is_Rational else approx(v)) for v in (a, b))
    margin = (1 + abs(lo) + abs(hi)) / Fraction(10) ** 32
    if hi - lo > 4 * margin:
        m = _simplest_between(lo + margin, hi - margin)
        t = sp.Rational(m.numerator, m.denominator)
        if less(a, t) and less(t, b):  # decided exactly (40-digit values, else refinement)
            return t
    dps = 30
    while dps < 5000:
        m = sp.Rational((sp.N(a, dps) + sp.N(b, dps)) / 2)
        if bool(a < m) and bool(m < b):
            return m
        dps *= 2
    raise ArithmeticError(f"could not separate {a} and {b}")  # pragma: no cover


def sorted_exact(points):
    """Real algebraic numbers in increasing order, every comparison decided exactly."""
    pts = sorted(points, key=approx)
    for u, v in zip(pts, pts[1:]):
        if not less(u, v):  # decided exactly (close CRootOf pairs refine isolating intervals)
            raise ArithmeticError(f"roots {u} and {v} are too close to order")  # pragma: no cover
    return pts


_FLIP = {">=": "<=", ">": "<", "<=": ">=", "<": ">", "==": "==", "!=": "!="}


def _log_forms(f):
    """``f``, then its logs combined, then expanded and combined: made one at a time, as a
    logcombine costs milliseconds and is not needed when ``f`` already is ``k * log(g)``."""
    yield f
    yield sp.logcombine(f, force=True)
    yield sp.logcombine(sp.expand_log(f, force=True), force=True)


def _log_condition(f, relation, parameters, statement):
    """``k * log(g) rel 0`` with ``g`` rational: the same as ``g rel' 1`` where ``g > 0``."""
    for comb in _log_forms(f):
        k, rest = comb.as_coeff_Mul()
        if k.is_Rational and k != 0 and isinstance(rest, sp.log):
            break
    else:
        return None
    g = rest.args[0]
    x = next(iter(f.free_symbols))
    if not g.is_rational_function(x):
        return None
    rel = relation if k > 0 else _FLIP[relation]
    inner = parametric_condition(g, rel, 1, parameters)
    defined = parametric_condition(g, ">", 0, parameters)
    out = conjunction([inner, defined], statement=statement)
    out.undefined = sorted(set(out.undefined) | set(inner.undefined), key=lambda r: sp.N(r, 30))
    return out


class _NotRational(Exception):
    pass


def _rational_poly(expr, x):
    """``(P, sign)`` with ``expr = c * P``, ``P`` over QQ and ``sign`` the exact sign of the
    constant ``c`` (``1`` for rational coefficients).  Values such as returns carry
    constants like ``log(3/4)``: when every coefficient is a rational multiple of one
    such constant, the sign analysis still is exact."""
    poly = sp.Poly(expr, x)
    coeffs = poly.all_coeffs()
    if all(c.is_Rational for c in coeffs):
        return sp.Poly(coeffs, x, domain="QQ"), 1
    c0 = next(c for c in coeffs if c != 0)
    ratios = [sp.cancel(c / c0) for c in coeffs]
    if not all(r.is_Rational for r in ratios):
        raise _NotRational(f"its coefficients {coeffs} are not rational multiples of one constant")
    return sp.Poly(ratios, x, domain="QQ"), constant_sign(c0)


def _param_domain(parameters, x):
    lo, hi = parameters[x]
    return _interval(sp.sympify(lo), sp.sympify(hi))


@lru_cache(maxsize=1024, typed=True)
def _interval(lo, hi):
    # a model's one range is asked for at every condition (hundreds a verify), and SymPy's
    # Interval checks its ends each time; typed: a Float end is never taken for a Rational
    return sp.Interval(lo, hi)


def _binary_values(expr):
    """``expr`` with every SymPy Float replaced by the rational it is exactly.  Float
    arithmetic would round ``lhs - rhs``, and ``nsimplify``, used here before, rounded a
    difference of 1e-40 to 0: ``Float(1e-40) > 0`` came out false on the whole range."""
    floats = expr.atoms(sp.Float)
    return expr.xreplace({v: sp.Rational(v) for v in floats}) if floats else expr


def parametric_condition(lhs, relation=">=", rhs=0, parameters=None, statement=None):
    """The exact condition on the parameters under which ``lhs <relation> rhs`` holds.

    Parameters
    ----------
    lhs, rhs : sympy.Expr
        Exact values of the model (rational functions of one parameter are solved).  A
        SymPy Float is taken as the binary rational it is, never rounded to a nearby
        simple one.
    relation : {">=", ">", "<=", "<", "==", "!="}
    parameters : dict
        ``Symbol -> (low, high)``, the model's declared ranges (``mdp.parameters``).

    Returns
    -------
    Condition
        ``solution`` is the exact subset of the range (``None`` with a ``reason`` when it
        cannot be derived).  Points where ``lhs - rhs`` has a pole are excluded.

    Examples
    --------
    >>> p = sp.Symbol("p", real=True)
    >>> c = parametric_condition(2 * p / (3 - p), "==", sp.Rational(2, 5), {p: (0, 1)})
    >>> c.text, c.witness_inside
    ('p = 1/2 (on [0, 1])', 1/2)
    >>> parametric_condition(sp.log(2 * p), ">=", 0, {p: (0, 1)}).text
    'p >= 1/2 (on [0, 1])'
    >>> parametric_condition(sp.log(p), ">=", -1, {p: (0, 1)}).reason
    'log(p) + 1 is not a rational function of p; only rational functions are solved exactly'
    """
    if relation not in RELATIONS:
        raise ValueError(f"relation {relation!r} must be one of {', '.join(RELATIONS)}")
    parameters = dict(parameters or {})
    lhs, rhs = sp.sympify(lhs), sp.sympify(rhs)
    statement = statement or (lambda lhs=lhs, rhs=rhs: f"{lhs} {relation} {rhs}")  # as given
    lhs, rhs = _binary_values(lhs), _binary_values(rhs)
    holds = RELATIONS[relation]
    f = lhs - rhs
    syms = sorted(free_symbols(f), key=str)
    unknown = [s for s in syms if s not in parameters]
    if unknown:
        return Condition(statement, reason=f"{', '.join(map(str, unknown))} are not declared parameters")
    if not syms:
        if not f.is_Rational:
            value = constant_sign(f)
        else:
            value = f
        x = next(iter(parameters), sp.Symbol("x"))
        dom = _param_domain(parameters, x) if parameters else sp.Interval(0, 1)
        ok = holds(value)
        return Condition(statement, x, dom, dom if ok else Region(),
                         witness_inside=dom.start if ok else None,
                         witness_outside=None if ok else dom.start, candidates=[dom.start])
    if len(syms) > 1:
        return Condition(statement, reason=f"{statement() if callable(statement) else statement} depends on several parameters "
                         f"({', '.join(map(str, syms))}); only one-parameter conditions are solved exactly")
    (x,) = syms
    dom = _param_domain(parameters, x)
    table = _sign_table(f, x, dom.start, dom.end)
    if isinstance(table, str):
        if table == "not rational":
            via_log = _log_condition(sp.together(f), relation, parameters, statement)
            if via_log is not None:
                return via_log
            return Condition(statement, x, dom, reason=f"{sp.together(f)} is not a rational function of {x}; "
                             "only rational functions are solved exactly")
        return Condition(statement, x, dom, reason=table)
    cells, poles = table
    pieces, truth = [], []
    for kind, a, b, sample, sign in cells:
        ok = None if sign is None else holds(sign)
        truth.append((sample, ok))
        if ok:
            pieces.append((a, b, kind == "point", kind == "point"))
    rational = [(t, ok) for t, ok in truth if t.is_Rational and ok is not None]
    return Condition(statement, x, dom, Region.from_pieces(pieces),
                     witness_inside=next((t for t, ok in rational if ok), None),
                     witness_outside=next((t for t, ok in rational if not ok), None),
                     candidates=[t for t, _ in rational], undefined=poles)


@lru_cache(maxsize=4096)
def _sign_table(f, x, lo, hi):
    """The sign of the rational function ``f`` of ``x`` on ``[lo, hi]``, cell by cell.

    ``(cells, poles)``: cells ``(kind, a, b, sample, sign)`` from left to right, a point
    (``kind = "point"``, ``a = b = sample``) at every end point, zero and pole (sign None)
    and an open gap between consecutive ones with a rational sample inside; or a string
    saying why the table cannot be made ("not rational" for the caller's log route).
    One table serves every relation (``>= 0``, ``== 0``, ...) asked about ``f``.
    """
    fast = as_fraction(f, x)
    if fast is None:  # constant factors such as log(3/4) (returns), whose signs are exact
        fast = _scaled(f, x)
    if fast is not None:  # python-flint: no SymPy rewriting of the expression
        roots_p, roots_q = real_roots_between(fast[0], lo, hi, x), real_roots_between(fast[1], lo, hi, x)
        fn, fd = fast

        def value_at(t):  # exact, rational t only
            q = flint.fmpq(int(t.p), int(t.q))
            return sp.Rational(fn(q) / fd(q))
    else:
        f = sp.together(f)
        if not f.is_rational_function(x):
            return "not rational"
        num, den = sp.fraction(sp.cancel(f))
        try:
            (P, cp), (Q, cq) = _rational_poly(num, x), _rational_poly(den, x)
        except _NotRational as exc:
            return (f"{f}: {exc}; only rational functions with rational "
                    "coefficients (up to one common constant factor) are solved exactly")
        if cp * cq < 0:  # the constant factors' signs flip the relation's sense
            P = -P
        if flint is not None:  # flint isolates the roots; SymPy's refinement is far slower
            roots_p, roots_q = (real_roots_between(_to_flint(P), lo, hi, x), real_roots_between(_to_flint(Q), lo, hi, x))
        else:  # pragma: no cover - without python-flint
            roots_p = [r for r in P.real_roots() if bool(r >= lo) and bool(r <= hi)] if P.degree() > 0 else []
            roots_q = [r for r in Q.real_roots() if bool(r >= lo) and bool(r <= hi)] if Q.degree() > 0 else []

        def value_at(t):  # exact, rational t only
            return P.eval(t) / Q.eval(t)

    def sign(v):
        return int(bool(v > 0)) - int(bool(v < 0))

    zero_set, pole_set = set(roots_p), set(roots_q)
    crit = sorted_exact(zero_set | pole_set | {lo, hi})
    cells = []
    for i, c in enumerate(crit):
        if c in pole_set:
            s = None
        elif c in zero_set:
            s = 0
        else:
            s = sign(value_at(c))
        cells.append(("point", c, c, c, s))
        if i + 1 < len(crit):
            m = rational_between(c, crit[i + 1])
            cells.append(("gap", c, crit[i + 1], m, sign(value_at(m))))
    return cells, sorted(pole_set, key=approx)


def _scaled(f, x):
    """``(n, d)`` with the sign of ``n / d`` that of ``f = (a n) / (b d)`` (constants ``a``,
    ``b``), or None (then SymPy's route decides, or says why it cannot)."""
    scaled = as_scaled_fraction(f, x)
    if scaled is None:
        return None
    n, d, a, b = scaled
    try:
        sign = constant_sign(a) * constant_sign(b)
    except UndecidedError:
        return None
    if sign == 0:
        return None
    return (n, d) if sign > 0 else (-n, d)


def _to_flint(poly):
    """A SymPy ``Poly`` over QQ as a ``flint.fmpq_poly``."""
    return flint.fmpq_poly([flint.fmpq(int(a.p), int(a.q)) for a in reversed(poly.all_coeffs())])


def real_roots_between(poly, lo, hi, x):
    """The distinct real roots of a ``flint.fmpq_poly`` in ``[lo, hi]`` (SymPy rationals or
    ``CRootOf``): rationals from its linear factors, ``CRootOf`` in ``x`` for the others
    (exact, never a float)."""
    if poly.degree() <= 0:
        return []
    return list(_integer_poly_roots(tuple(int(c) for c in (poly * poly.denom()).coeffs()), lo, hi, x))


@lru_cache(maxsize=1 << 12)
def _integer_poly_roots(cs, lo, hi, x):
    # cached: the claims of a parametric model ask for the same numerators and denominators
    # (and the same factors of different ones) thousands of times
    _, factors = flint.fmpz_poly(list(cs)).factor()
    return tuple(r for fac, _mult in factors for r in _factor_roots(tuple(int(c) for c in fac.coeffs()), lo, hi, x))


@lru_cache(maxsize=1 << 12)
def _factor_roots(cs, lo, hi, x):
    """The roots in ``[lo, hi]`` of the irreducible integer polynomial with coefficients ``cs``."""
    if len(cs) == 2:
        cands = [sp.Rational(-cs[0], cs[1])]
    elif _no_root_between(cs, lo, hi):  # (an irreducible factor has no rational root at lo or hi)
        return ()
    else:
        cands = _algebraic_real_roots(flint.fmpz_poly(list(cs)), cs, x)
    return tuple(r for r in cands if not less(r, lo) and not less(hi, r))


def _no_root_between(cs, lo, hi):
    """True when the polynomial with coefficients ``cs`` (lowest first) has no root in the
    open interval ``(lo, hi)``: Descartes' rule of signs after ``x = (lo + hi t)/(1 + t)``,
    which maps ``t > 0`` onto it.  False only says there may be one.  Isolating the roots
    of a degree-30 factor costs milliseconds; most factors have none in the range."""
    if not (lo.is_Rational and hi.is_Rational and less(lo, hi)):
        return False
    num = flint.fmpq_poly([flint.fmpq(int(lo.p), int(lo.q)), flint.fmpq(int(hi.p), int(hi.q))])
    den = flint.fmpq_poly([1, 1])
    n = len(cs) - 1
    image = flint.fmpq_poly([cs[n]])  # Horner in num / den: sum_i cs[i] num^i den^(n - i)
    power = den
    for c in reversed(cs[:n]):
        image = image * num + c * power
        power = power * den
    signs = [c > 0 for c in image.coeffs() if c != 0]
    return all(s == signs[0] for s in signs)


def _algebraic_real_roots(fac, cs, x):
    """The real roots of an irreducible integer polynomial as ``CRootOf``, each with the
    40-digit value of flint's isolating ball registered for fast exact comparisons."""
    old = flint.ctx.prec
    flint.ctx.prec = 200
    try:
        balls = [z.real for z, _ in fac.complex_roots() if z.imag == 0]  # exactly real roots
    finally:
        flint.ctx.prec = old
    balls.sort(key=lambda b: float(b.mid()))
    poly = sp.Poly(list(reversed(cs)), x, domain="ZZ")
    roots = []
    for i, ball in enumerate(balls):  # CRootOf indexes the real roots in increasing order
        r = sp.CRootOf(poly, i)
        register_approximation(r, sp.Float(ball.mid().str(45, radius=False), 40))
        roots.append(r)
    return roots


def conjunction(conditions, statement=None):
    """The condition under which every one of ``conditions`` holds (one common parameter).

    Examples
    --------
    >>> p = sp.Symbol("p", real=True)
    >>> a = parametric_condition(p, ">=", sp.Rational(1, 4), {p: (0, 1)})
    >>> b = parametric_condition(p, "<=", sp.Rational(3, 4), {p: (0, 1)})
    >>> conjunction([a, b]).text
    '1/4 <= p <= 3/4 (on [0, 1])'
    """
    conditions = list(conditions)
    statement = statement or (lambda: " and ".join(c.statement for c in conditions))
    bad = [c for c in conditions if not c.derived]
    if bad:
        return Condition(statement, reason=bad[0].reason)
    syms = {c.symbol for c in conditions
            if c.region != Region.interval(c.domain.start, c.domain.end) or c.witness_outside is not None}
    syms = syms or {conditions[0].symbol}
    if len(syms) > 1:
        return Condition(statement, reason="the conditions involve several parameters "
                         f"({', '.join(sorted(map(str, syms)))}); only one-parameter conditions are combined")
    (x,) = syms
    mine = [c for c in conditions if c.symbol == x or c.everywhere or c.nowhere]
    dom = next(c.domain for c in conditions if c.symbol == x)
    dom_region = Region.interval(dom.start, dom.end)
    region = dom_region
    for c in mine:
        region = region & (c.region if c.symbol == x else (dom_region if c.everywhere else Region()))

    def derive():
        base = {t for c in mine for t in c.candidates} | {dom.start, dom.end}
        base = sorted((t for t in base if dom_region.contains(t)), key=_fraction)
        # a gap of one condition may hide a small interval of another: search midpoints too,
        # but keep only the witnesses found among them (stored midpoints would double the
        # candidates at every conjunction of a deep case split)
        search = sorted(set(base) | {(u + v) / 2 for u, v in zip(base, base[1:])}, key=_fraction)
        inside = next((t for t in search if region.contains(t)), None)
        outside = next((t for t in search if not region.contains(t)
                        and all(t not in c.undefined for c in mine)), None)
        keep = set(base) | {t for t in (inside, outside) if t is not None}
        return inside, outside, sorted(keep, key=_fraction)

    return Condition(statement, x, dom, region, derive=derive)


def _fraction(r):
    return Fraction(int(r.p), int(r.q))
