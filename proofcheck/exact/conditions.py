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

from dataclasses import dataclass, field

import sympy as sp

from proofcheck.exact.constant_sign import constant_sign

__all__ = ["Condition", "parametric_condition", "conjunction", "describe_set", "RELATIONS",
           "rational_between", "sorted_exact"]

RELATIONS = {">=": lambda v: v >= 0, ">": lambda v: v > 0, "<=": lambda v: v <= 0,
             "<": lambda v: v < 0, "==": lambda v: v == 0, "!=": lambda v: v != 0}


@dataclass
class Condition:
    """The set of parameter values in the declared range where a relation holds.

    ``solution`` is a SymPy set (a subset of ``domain``) or ``None`` when the condition
    could not be derived (then ``reason`` says why).  ``witness_inside``/``witness_outside``
    are rational parameter values where the relation holds / fails (``None`` if none).
    """

    statement: str
    symbol: object = None
    domain: object = None
    solution: object = None
    reason: str = ""
    witness_inside: object = None
    witness_outside: object = None
    candidates: list = field(default_factory=list, repr=False)
    undefined: list = field(default_factory=list, repr=False)

    @property
    def derived(self):
        return self.solution is not None

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


def rational_between(a, b):
    """A rational strictly between the real algebraic numbers ``a < b``.

    Examples
    --------
    >>> rational_between(sp.sqrt(2), sp.Rational(3, 2)) < sp.Rational(3, 2)
    True
    """
    if a.is_Rational and b.is_Rational:
        return (a + b) / 2
    dps = 30
    while dps < 5000:
        m = sp.Rational((sp.N(a, dps) + sp.N(b, dps)) / 2)
        if bool(a < m) and bool(m < b):
            return m
        dps *= 2
    raise ArithmeticError(f"could not separate {a} and {b}")  # pragma: no cover


def sorted_exact(points):
    """Real algebraic numbers in increasing order, every comparison decided exactly."""
    pts = sorted(points, key=lambda r: sp.N(r, 50))
    for u, v in zip(pts, pts[1:]):
        if not bool(u < v):  # decided exactly (CRootOf comparisons refine isolating intervals)
            raise ArithmeticError(f"roots {u} and {v} are too close to order")  # pragma: no cover
    return pts


_FLIP = {">=": "<=", ">": "<", "<=": ">=", "<": ">", "==": "==", "!=": "!="}


def _log_condition(f, relation, parameters, statement):
    """``k * log(g) rel 0`` with ``g`` rational: the same as ``g rel' 1`` where ``g > 0``."""
    for comb in (f, sp.logcombine(f, force=True), sp.logcombine(sp.expand_log(f, force=True), force=True)):
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
    return sp.Interval(sp.sympify(lo), sp.sympify(hi))


def parametric_condition(lhs, relation=">=", rhs=0, parameters=None, statement=None):
    """The exact condition on the parameters under which ``lhs <relation> rhs`` holds.

    Parameters
    ----------
    lhs, rhs : sympy.Expr
        Exact values of the model (rational functions of one parameter are solved).
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
    statement = statement or f"{lhs} {relation} {rhs}"
    holds = RELATIONS[relation]
    f = lhs - rhs
    syms = sorted(f.free_symbols, key=str)
    unknown = [s for s in syms if s not in parameters]
    if unknown:
        return Condition(statement, reason=f"{', '.join(map(str, unknown))} are not declared parameters")
    if not syms:
        f = sp.nsimplify(f) if f.is_Float else f
        if not f.is_Rational:
            value = constant_sign(f)
        else:
            value = f
        x = next(iter(parameters), sp.Symbol("x"))
        dom = _param_domain(parameters, x) if parameters else sp.Interval(0, 1)
        ok = holds(value)
        return Condition(statement, x, dom, dom if ok else sp.S.EmptySet,
                         witness_inside=dom.start if ok else None,
                         witness_outside=None if ok else dom.start, candidates=[dom.start])
    if len(syms) > 1:
        return Condition(statement, reason=f"{statement} depends on several parameters "
                         f"({', '.join(map(str, syms))}); only one-parameter conditions are solved exactly")
    (x,) = syms
    dom = _param_domain(parameters, x)
    f = sp.together(f)
    if not f.is_rational_function(x):
        via_log = _log_condition(f, relation, parameters, statement)
        if via_log is not None:
            return via_log
        return Condition(statement, x, dom, reason=f"{f} is not a rational function of {x}; "
                         "only rational functions are solved exactly")
    num, den = sp.fraction(sp.cancel(f))
    try:
        (P, cp), (Q, cq) = _rational_poly(num, x), _rational_poly(den, x)
    except _NotRational as exc:
        return Condition(statement, x, dom, reason=f"{f}: {exc}; only rational functions with rational "
                         "coefficients (up to one common constant factor) are solved exactly")
    if cp * cq < 0:  # the constant factors' signs flip the relation's sense
        P = -P
    lo, hi = dom.start, dom.end
    roots_p = [r for r in P.real_roots() if bool(r >= lo) and bool(r <= hi)] if P.degree() > 0 else []
    roots_q = [r for r in Q.real_roots() if bool(r >= lo) and bool(r <= hi)] if Q.degree() > 0 else []
    zero_set, pole_set = set(roots_p), set(roots_q)
    crit = sorted_exact(set(roots_p) | set(roots_q) | {lo, hi})

    def value_at(t):  # exact, rational t only
        return P.eval(t) / Q.eval(t)

    pieces, truth = [], []
    for i, c in enumerate(crit):
        if c in pole_set:
            ok_point = None
        elif c in zero_set:
            ok_point = holds(sp.Integer(0))
        else:
            ok_point = holds(value_at(c))
        truth.append((c, ok_point))
        if ok_point:
            pieces.append(sp.FiniteSet(c))
        if i + 1 < len(crit):
            m = rational_between(c, crit[i + 1])
            ok_gap = holds(value_at(m))
            truth.append((m, ok_gap))
            if ok_gap:
                pieces.append(sp.Interval.open(c, crit[i + 1]))
    solution = sp.Union(*pieces) if pieces else sp.S.EmptySet
    rational = [(t, ok) for t, ok in truth if t.is_Rational and ok is not None]
    return Condition(statement, x, dom, solution,
                     witness_inside=next((t for t, ok in rational if ok), None),
                     witness_outside=next((t for t, ok in rational if not ok), None),
                     candidates=[t for t, _ in rational], undefined=sorted(pole_set, key=lambda r: sp.N(r, 30)))


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
    statement = statement or " and ".join(c.statement for c in conditions)
    bad = [c for c in conditions if not c.derived]
    if bad:
        return Condition(statement, reason=bad[0].reason)
    syms = {c.symbol for c in conditions if c.solution != c.domain or c.witness_outside is not None}
    syms = syms or {conditions[0].symbol}
    if len(syms) > 1:
        return Condition(statement, reason="the conditions involve several parameters "
                         f"({', '.join(sorted(map(str, syms)))}); only one-parameter conditions are combined")
    (x,) = syms
    mine = [c for c in conditions if c.symbol == x or c.everywhere or c.nowhere]
    dom = next(c.domain for c in conditions if c.symbol == x)
    solution = dom
    for c in mine:
        solution = solution.intersect(c.solution if c.symbol == x else (dom if c.everywhere else sp.S.EmptySet))
    cands = sorted({t for c in mine for t in c.candidates if dom.contains(t) == sp.true}
                   | {dom.start, dom.end})
    # a gap of one condition may hide a small interval of another: add midpoints too
    cands = sorted(set(cands) | {(u + v) / 2 for u, v in zip(cands, cands[1:])})
    inside = next((t for t in cands if solution.contains(t) == sp.true), None)
    outside = next((t for t in cands if solution.contains(t) == sp.false
                    and all(t not in c.undefined for c in mine)), None)
    return Condition(statement, x, dom, solution, witness_inside=inside, witness_outside=outside,
                     candidates=cands)
