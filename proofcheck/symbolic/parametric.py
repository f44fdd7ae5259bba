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

Claims on parametric models run through :func:`run_parametric` (wired into
:func:`proofcheck.claims.registry.run_claim`): every sign that only the parameter can
decide (:func:`~proofcheck.numerics.exact_sign.exact_sign`, the claims' ``equal``) is
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

import contextvars
from dataclasses import dataclass, field

import sympy as sp

__all__ = ["Condition", "parametric_condition", "conjunction", "describe_set", "assumed_sign",
           "assumed_zero", "run_parametric", "combine_cases", "RELATIONS"]

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


def _rational_between(a, b):
    """A rational strictly between the real algebraic numbers ``a < b``."""
    if a.is_Rational and b.is_Rational:
        return (a + b) / 2
    dps = 30
    while dps < 5000:
        m = sp.Rational((sp.N(a, dps) + sp.N(b, dps)) / 2)
        if bool(a < m) and bool(m < b):
            return m
        dps *= 2
    raise ArithmeticError(f"could not separate {a} and {b}")  # pragma: no cover


def _sorted_exact(points):
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
    from ..numerics.exact_sign import exact_sign
    return sp.Poly(ratios, x, domain="QQ"), exact_sign(c0)


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
            from ..numerics.exact_sign import exact_sign
            value = exact_sign(f)
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
    crit = _sorted_exact(set(roots_p) | set(roots_q) | {lo, hi})

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
            m = _rational_between(c, crit[i + 1])
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


# ---------------------------------------------------------------------------- claims

_STATE = contextvars.ContextVar("proofcheck_parametric_run", default=None)
_REL = {1: ">", 0: "==", -1: "<"}


class _Branch(BaseException):
    """A sign the current case does not decide: the driver splits on it.  A BaseException
    so that no ``except Exception`` inside a check swallows it."""

    def __init__(self, expr, cases):
        super().__init__(str(expr))
        self.expr, self.cases = expr, cases


@dataclass
class _Run:
    parameters: dict
    decisions: dict
    cond: object
    memo: dict


_UNDEFINED = "undefined"


class _Undefined(BaseException):
    """The current case is a region where a compared value is undefined (a pole, a log
    of a non-positive number)."""


def _remainder(run, conds, expr):
    """The part of the current case that none of ``conds`` covers (where ``expr`` is
    undefined), as a Condition, or None."""
    base = run.cond.solution if run.cond is not None else conds[0].domain
    covered = sp.Union(*[c.solution for c in conds])
    rest = base - covered
    if rest == sp.S.EmptySet:
        return None
    c0 = conds[0]
    pts = list(rest) if isinstance(rest, sp.FiniteSet) else []
    inside = next((t for t in pts if t.is_Rational), None)
    return Condition(f"{expr} undefined", c0.symbol, c0.domain, rest, witness_inside=inside,
                     candidates=[t for t in pts if t.is_Rational])


def _cases(run, expr, rels):
    """``[(decision, Condition)]`` for the outcomes ``rels`` (decision -> relation) of a
    question about ``expr`` compatible with the current case, plus the region where
    ``expr`` is undefined; None when a condition cannot be derived."""
    out, conds = [], []
    for decision, rel in rels:
        key = (expr, rel)
        if key not in run.memo:
            run.memo[key] = parametric_condition(expr, rel, 0, run.parameters)
        c = run.memo[key]
        if not c.derived:
            return None
        conds.append(c)
        new = c if run.cond is None else conjunction([run.cond, c])
        if new.solution != sp.S.EmptySet:
            out.append((decision, new))
    rest = _remainder(run, conds, expr)
    if rest is not None:
        out.append((_UNDEFINED, rest))
    return out


def _decide(st, key, expr, rels):
    if key in st.decisions:
        if st.decisions[key] == _UNDEFINED:
            raise _Undefined()
        return st.decisions[key]
    cases = _cases(st, expr, rels)
    if cases is None:
        return None
    if len(cases) == 1:  # implied by the decisions taken so far
        if cases[0][0] == _UNDEFINED:
            raise _Undefined()
        return cases[0][0]
    raise _Branch(key, cases)


def _active(expr):
    st = _STATE.get()
    if st is None:
        return None, None
    expr = sp.sympify(expr)
    syms = expr.free_symbols
    if len(syms) != 1 or not syms <= set(st.parameters):
        return None, None
    return st, expr


def assumed_sign(expr):
    """The sign of a parametric ``expr`` in the current case of :func:`run_parametric`.

    Returns None outside such a run, for an expression in several parameters or one
    whose sign condition cannot be derived (the caller then raises its UndecidedError).
    Exact signs and the claims' equality tests call this hook just before giving up.
    """
    st, expr = _active(expr)
    if st is None:
        return None
    return _decide(st, expr, expr, [(s, r) for s, r in _REL.items()])


def assumed_zero(expr):
    """Whether a parametric ``expr`` is 0 in the current case of :func:`run_parametric`.

    Zero tests decide conventions (``0 * log 0 = 0``, ``Zv = 0`` keeps the policy), so a
    value that vanishes somewhere in the range (``1 - p`` at ``p = 1``) splits the run
    into the cases "= 0" and "!= 0".  None outside a run or when undecidable.
    """
    st, expr = _active(expr)
    if st is None:
        return None
    key = (expr, "zero")
    if key not in st.decisions:  # the common case: no root in the range, no split
        if (expr, "==") not in st.memo:
            st.memo[(expr, "==")] = parametric_condition(expr, "==", 0, st.parameters)
        eq = st.memo[(expr, "==")]
        if not eq.derived:
            return None
        if eq.solution == sp.S.EmptySet and not eq.undefined:
            return False
    return _decide(st, key, expr, [(True, "=="), (False, "!=")])


def run_parametric(check, parameters, max_cases=64, at_point=None):
    """Run ``check()`` (a claim check) once per case of the parameter's sign conditions.

    Every comparison the check cannot decide because it depends on the parameter is
    split into its cases ``> 0``, ``= 0``, ``< 0``; cases whose condition is empty on
    the range (given the signs already fixed) are pruned, the others re-run the check
    with that sign fixed.  Each leaf is an exact condition with the check's result under
    it; :func:`combine_cases` turns them into one verdict "holds iff <condition>".

    ``at_point(value)``, when given, runs the same check on the model with the parameter
    substituted: every case is confirmed at a rational point of its condition, and a
    case whose symbolic verdict disagrees with the substituted one becomes UNDECIDED
    (symbolic infinities such as ``log(p) + oo`` can otherwise mislead a check).

    Examples
    --------
    >>> from proofcheck.claims._common import equal, result, Verdict
    >>> p = sp.Symbol("p", real=True)
    >>> def check():
    ...     ok = equal(p * (1 - p), sp.Rational(1, 4))
    ...     return result(Verdict.HOLDS if ok else Verdict.FAILS, "p(1 - p) = 1/4")
    >>> res = run_parametric(check, {p: (0, 1)})
    >>> res.verdict.value, res.summary, res.counterexample["p"]
    ('undecided', 'holds iff p = 1/2 (on [0, 1])', 0)
    """
    from ..claims.registry import ClaimResult, Verdict
    from ..errors import UndecidedError
    params = dict(parameters)
    memo = {}
    stack, leaves, runs = [({}, None)], [], 0
    while stack:
        decisions, cond = stack.pop()
        runs += 1
        if runs > max_cases:
            raise UndecidedError(f"more than {max_cases} parametric cases; the condition was not derived")
        token = _STATE.set(_Run(params, decisions, cond, memo))
        try:
            res = check()
        except _Branch as b:
            for sign, new in reversed(b.cases):
                stack.append(({**decisions, b.expr: sign}, new))
            continue
        except _Undefined:
            # a compared value is undefined here: exact points are decided on the model
            # with the parameter substituted, anything else stays undecided
            _STATE.reset(token)
            token = None
            pts = list(cond.solution) if isinstance(cond.solution, sp.FiniteSet) else []
            if at_point is not None and pts and all(t.is_Rational for t in pts):
                for t in pts:
                    one = Condition(f"{cond.symbol} = {t}", cond.symbol, cond.domain, sp.FiniteSet(t),
                                    witness_inside=t, candidates=[t])
                    try:
                        leaves.append((one, at_point(t)))
                    except UndecidedError as exc:
                        leaves.append((one, ClaimResult("", "", "", Verdict.UNDECIDED, f"undecided: {exc}")))
            else:
                leaves.append((cond, ClaimResult("", "", "", Verdict.UNDECIDED,
                                                 f"undecided: a compared value is undefined for {cond.text}")))
            continue
        except UndecidedError as exc:
            res = ClaimResult("", "", "", Verdict.UNDECIDED, f"undecided: {exc}")
        finally:
            if token is not None:
                _STATE.reset(token)
        leaves.append((cond, res))
    if len(leaves) == 1 and leaves[0][0] is None:
        return leaves[0][1]
    if at_point is not None:
        leaves = [(c, _confirm(c, r, at_point)) for c, r in leaves]
    return combine_cases(leaves)


def _confirm(cond, res, at_point):
    from ..claims.registry import ClaimResult, Verdict
    from ..errors import UndecidedError
    point = cond.witness_inside
    if point is None:
        return res
    try:
        ref = at_point(point)
    except UndecidedError as exc:
        ref = ClaimResult("", "", "", Verdict.UNDECIDED, f"undecided: {exc}")
    if ref.verdict == res.verdict or ref.verdict == Verdict.UNDECIDED:
        return res
    return ClaimResult("", "", "", Verdict.UNDECIDED,
                       f"the symbolic case {cond.text} gives {res.verdict.value} but the model with "
                       f"{cond.symbol} = {point} gives {ref.verdict.value}; not decided",
                       evidence=list(res.evidence), scope=res.scope)


def _witness(cond):
    if cond.witness_inside is not None:
        return cond.witness_inside
    sol = cond.solution
    pts = sol if isinstance(sol, sp.FiniteSet) else next((a for a in getattr(sol, "args", ()) if isinstance(a, sp.FiniteSet)), ())
    return next(iter(pts), None)


def combine_cases(leaves):
    """One verdict from ``[(Condition, ClaimResult), ...]`` covering the parameter range.

    HOLDS when the holding cases cover the whole range; FAILS (counterexample with a
    parameter value) when no case holds and some fails; otherwise UNDECIDED with the
    summary "holds iff <condition>" and a counterexample at a value outside it.  When
    the model does not meet the claim's hypothesis (NOT_APPLICABLE in every case) the
    summary says where the conclusion holds (cases without counterexample).
    """
    from ..claims.registry import ClaimResult, Verdict
    cond0 = leaves[0][0]
    x, dom = cond0.symbol, cond0.domain
    missing = dom - sp.Union(*[c.solution for c, _ in leaves])
    if missing != sp.S.EmptySet:  # never report a verdict for values no case looked at
        leaves = list(leaves) + [(Condition("not covered", x, dom, missing), ClaimResult(
            "", "", "", Verdict.UNDECIDED, "undecided: no case of the split covers these values"))]

    def region(pred):
        sets = [c.solution for c, r in leaves if pred(r)]
        return sp.Union(*sets) if sets else sp.S.EmptySet

    holds = region(lambda r: r.verdict == Verdict.HOLDS)
    rows = [{"quantity": f"case {c.text}", "value": f"{r.verdict.value}: {r.summary}"} for c, r in leaves]
    failing = [(c, r) for c, r in leaves if r.verdict in (Verdict.FAILS, Verdict.UNDECIDED)
               or (r.verdict == Verdict.NOT_APPLICABLE and r.counterexample)]
    base = next((r for c, r in leaves if r.verdict == Verdict.HOLDS), leaves[0][1])
    verdicts = {r.verdict for _, r in leaves}
    out = base
    text = describe_set(holds, x, dom)
    scope = f"parametric in {x} over [{dom.start}, {dom.end}], {len(leaves)} exact case(s)"
    out.scope = (base.scope + "; " if base.scope else "") + scope
    out.evidence = list(base.evidence) + rows
    if verdicts == {Verdict.NOT_APPLICABLE}:
        groups = {}
        for c, r in leaves:
            groups.setdefault(r.summary, []).append(c.solution)
        out.summary = "; ".join(f"[{describe_set(sp.Union(*sets), x, dom)}] {summ}"
                                for summ, sets in groups.items())
        return out
    undecided = region(lambda r: r.verdict == Verdict.UNDECIDED)
    if undecided != sp.S.EmptySet:  # say exactly what is known where
        fails = region(lambda r: r.verdict == Verdict.FAILS)
        und = next(r for c, r in leaves if r.verdict == Verdict.UNDECIDED)
        parts = ([f"holds for {text}"] if holds != sp.S.EmptySet else []) + \
                ([f"fails for {describe_set(fails, x, dom)}"] if fails != sp.S.EmptySet else []) + \
                [f"undecided for {describe_set(undecided, x, dom)} ({und.summary})"]
        out.verdict = Verdict.UNDECIDED
        out.summary = "; ".join(parts)
        bad = next(((c, r) for c, r in leaves if r.verdict == Verdict.FAILS), None)
        out.counterexample = ({str(x): _witness(bad[0]), **(bad[1].counterexample or {}), "there": bad[1].summary}
                              if bad else None)
        return out
    if holds == dom:
        out.verdict = Verdict.HOLDS
        out.summary = f"holds for {text} ({len(leaves)} exact case(s)); {base.summary}"
        return out
    bad_c, bad_r = failing[0] if failing else leaves[0]
    point = _witness(bad_c)
    out.counterexample = {str(x): point, **(bad_r.counterexample or {}), "case": bad_c.text,
                          "verdict there": bad_r.verdict.value, "there": bad_r.summary}
    if holds == sp.S.EmptySet and Verdict.FAILS in verdicts:
        out.verdict = Verdict.FAILS
        out.summary = f"fails for every {x} in [{dom.start}, {dom.end}]; at {x} = {point}: {bad_r.summary}"
        return out
    out.verdict = Verdict.UNDECIDED
    out.summary = f"holds iff {text}"
    return out
