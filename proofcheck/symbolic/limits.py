"""Limits of the closed forms by dominant-term analysis (issue 3, item 3).

For a ratio of sums of exponentials ``sum_i c_i b_i^x / sum_j d_j e_j^x`` with
non-negative bases (zero bases already dropped, ``x > 0``):

* ``x -> inf``: only the largest base ``B`` of the denominator survives; the limit is
  ``c_B / d_B`` (``c_B = 0`` when the numerator has no term with base ``B``; the
  numerator never has a larger base because it is a part of the denominator);
* ``x -> 0+``: every positive base tends to 1; the limit is ``sum c_i / sum d_j``.

``k -> inf`` and ``alpha -> inf`` are ``x -> inf``; ``alpha -> 0`` is ``x -> 0+``; for
``pi^delta`` the exponent is ``x = 1/delta``, so ``delta -> 0`` is ``x -> inf`` and
``delta -> inf`` is ``x -> 0+``.  Every comparison of bases is exact
(:func:`proofcheck.exact.sign.exact_sign`); on parametric models the order of
the bases is resolved into regions of one parameter with SymPy's univariate inequality
solver, or reported undecided.

Each limit can be checked against an mpmath evaluation of the closed form far along
the parameter (:func:`numeric_check`).
"""

from __future__ import annotations

from functools import lru_cache

import mpmath
import sympy as sp

from proofcheck.engine import coherence_fixed_point, get_backend, soft_values
from proofcheck.engine.coherence import normalise_per_state
from proofcheck.errors import UndecidedError
from proofcheck.exact.algebraic import AlgebraicPoint
from proofcheck.exact.conditions import rational_between, real_roots_between, sorted_exact
from proofcheck.exact.ratfunc import as_fraction, cancel, fast_cancel
from proofcheck.model.conventions import Conventions
from proofcheck.model.mdp import Policy
from proofcheck.symbolic.closed_forms import _obj  # ExpSum: the input type (doctests)

__all__ = ["ratio_limit", "piecewise_ratio_limit", "policy_limit", "numeric_check", "numeric_expr_check", "fixed_point_limit",
           "DIRECTIONS"]

#: Direction names: the exponent ``x`` goes to infinity or to 0 from above.
DIRECTIONS = ("inf", "zero")

_ZERO, _ONE = sp.Integer(0), sp.Integer(1)


def ratio_limit(num, den, direction):
    """Exact limit of ``num(x) / den(x)`` (both :class:`ExpSum`) as ``x -> inf`` or ``0+``.

    Returns None when ``den`` is identically 0 (the convention value applies).

    Examples
    --------
    >>> import sympy as sp
    >>> from proofcheck.symbolic.closed_forms import ExpSum
    >>> num = ExpSum({1: sp.Rational(1, 4)})
    >>> den = num + ExpSum({sp.Rational(3, 4): sp.Rational(1, 2)})
    >>> ratio_limit(num, den, "inf"), ratio_limit(num, den, "zero")
    (1, 1/3)
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"direction {direction!r} must be 'inf' or 'zero'")
    if den.is_zero:
        return None
    if direction == "zero":
        v = num.mass() / den.mass()
    else:
        v = _tied_ratio(num, den, den.maximal_bases())
    return cancel(v) if v.free_symbols else v


def _tied_ratio(num, den, tied):
    """``sum_{b in tied} num_b / sum_{b in tied} den_b``: the ratio of the dominant terms."""
    return sp.Add(*[num.terms.get(b, _ZERO) for b in tied]) / sp.Add(*[den.terms[b] for b in tied])


def _real_roots(expr, symbol, dom):
    """The real roots in ``dom`` (a closed interval) of the numerator of ``expr``."""
    lo, hi = dom.start, dom.end
    frac = as_fraction(expr, symbol) if lo.is_Rational and hi.is_Rational else None
    if frac is not None:  # python-flint's factors and isolating balls, not SymPy's real_roots
        return set(real_roots_between(frac[0], lo, hi, symbol))
    expr = sp.cancel(sp.together(expr))
    if not expr.free_symbols:
        return set()
    n, _ = sp.fraction(expr)
    poly = sp.Poly(n, symbol)
    return {r for r in sp.real_roots(poly) if dom.contains(r) is sp.true}


def _simplify(x):
    """``sympy.simplify(x)``, through flint when that gives a rational number (SymPy's
    simplify costs milliseconds a call, and its first call imports ``sympy.physics``)."""
    fast = fast_cancel(x)
    return fast if fast is not None and fast.is_Rational else sp.simplify(x)


def _is_zero(x):
    """``sympy.simplify(x) == 0``, decided by flint's cancellation where it applies."""
    fast = fast_cancel(x)
    return fast == 0 if fast is not None else sp.simplify(x) == 0


def piecewise_ratio_limit(num, den, direction, symbol, low, high):
    """``[(set, limit), ...]``: the limit of ``num/den`` on the pieces of ``[low, high]``.

    For one parameter: the order of the bases and the vanishing of the coefficients only
    change at the real roots of the differences of bases and of the coefficients, so the
    range splits into those points and the open intervals between them; on each piece the
    tied maximal bases are found at an exact sample point and the limit is the ratio of
    their total coefficients, as an expression in the parameter.

    Examples
    --------
    >>> from proofcheck.symbolic.closed_forms import ExpSum
    >>> p = sp.Symbol("p", real=True)
    >>> num = ExpSum({p: 1})
    >>> den = num + ExpSum({sp.Rational(3, 4): 1})
    >>> piecewise_ratio_limit(num, den, "inf", p, 0, 1)
    [(Interval.Ropen(0, 3/4), 0), ({3/4}, 1/2), (Interval.Lopen(3/4, 1), 1)]
    """
    dom = sp.Interval(low, high)
    bases = list(den.terms)
    crit = set()
    for i, b in enumerate(bases):
        crit |= _real_roots(den.terms[b], symbol, dom) | _real_roots(b, symbol, dom)
        for c in bases[i + 1:]:
            crit |= _real_roots(b - c, symbol, dom)
    pts = sorted_exact(crit | {sp.sympify(low), sp.sympify(high)})
    pieces = []
    for i, a in enumerate(pts):
        pieces.append((sp.FiniteSet(a), a))
        if i + 1 < len(pts):
            b = pts[i + 1]
            pieces.append((sp.Interval.open(a, b), rational_between(a, b)))
    out = []
    for piece, t in pieces:
        at = None
        if isinstance(t, sp.CRootOf):
            try:
                at = _AtAlgebraic(den, symbol, t)
            except (ValueError, ZeroDivisionError):  # not rational functions defined at t
                at = None
        if at is None:
            at = _AtSample(den, symbol, t, isinstance(piece, sp.FiniteSet))
        out.append((piece, _limit_at(num, den, direction, at)))
    # Merge neighbours with the same limit.
    merged = []
    for piece, lim in out:
        if merged and merged[-1][1] == lim or (merged and lim is not None and merged[-1][1] is not None
                                               and _is_zero(merged[-1][1] - lim) and not
                                               (isinstance(piece, sp.FiniteSet) and lim.free_symbols)):
            merged[-1] = (_join(merged[-1][0], piece), merged[-1][1])
        else:
            merged.append((piece, lim))
    return merged


def _ends(piece):
    """``(start, start open, end, end open)`` of a point or an interval piece, else None."""
    if isinstance(piece, sp.FiniteSet) and len(piece) == 1:
        (x,) = piece.args
        return x, False, x, False
    if isinstance(piece, sp.Interval):
        return piece.start, bool(piece.left_open), piece.end, bool(piece.right_open)
    return None


def _join(left, right):
    """``sympy.Union(left, right)`` for neighbouring pieces (``right`` starts where ``left``
    ends, closed on exactly one side): the interval from the start of one to the end of the
    other, the set Union's simplification arrives at (which costs milliseconds a call in
    comparisons).  Rational ends only; anything else goes to Union."""
    a, b = _ends(left), _ends(right)
    if (a is None or b is None or not all(x.is_Rational for x in (a[0], a[2], b[0], b[2]))
            or a[2] != b[0] or a[3] == b[1] or not a[0] < b[2]):
        return sp.Union(left, right)
    return sp.Interval(a[0], b[2], a[1], b[3])


def _limit_at(num, den, direction, at):
    """The limit of ``num/den`` on one piece, from the bases and coefficients at its sample
    (``at``: :class:`_AtSample` or :class:`_AtAlgebraic`): the live bases (non-zero base and
    coefficient), the maximal ones among them (all of them as ``x -> 0``, where every
    positive base tends to 1), and the ratio of their total coefficients; None when no
    base is live."""
    live = [b for b in den.terms if at.live(b)]
    if not live:
        return None
    if direction == "zero":
        tied = live
    else:
        top = live[0]
        for b in live[1:]:
            if at.greater(b, top):
                top = b
        tied = [b for b in live if at.tied(b, top)]
    return at.finish(cancel(_tied_ratio(num, den, tied)))


class _AtSample:
    """The bases and coefficients at an exact sample ``symbol = t`` of a piece, in SymPy;
    ``point``: the piece is the point ``t`` (the limit is then its value there)."""

    def __init__(self, den, symbol, t, point):
        self.den, self.symbol, self.t, self.point = den, symbol, t, point
        self.value = {b: _simplify(b.subs(symbol, t)) if b.free_symbols else b for b in den.terms}

    def live(self, b):
        return not _is_zero(self.den.terms[b].subs(self.symbol, self.t)) and self.value[b] != 0

    def greater(self, b, c):
        return bool(self.value[b] > self.value[c])

    def tied(self, b, c):
        return _is_zero(self.value[b] - self.value[c])

    def finish(self, lim):
        return _simplify(lim.subs(self.symbol, self.t)) if self.point else lim


class _AtAlgebraic:
    """The same at an algebraic point ``symbol = t`` (a ``CRootOf``), decided on residues
    modulo the minimal polynomial of ``t`` (:mod:`proofcheck.exact.algebraic`) rather than
    by ``sympy.simplify`` on expressions in ``t``.  ValueError when a base or coefficient
    is not a rational function of ``symbol`` defined at ``t`` (the caller keeps SymPy)."""

    def __init__(self, den, symbol, t):
        self.symbol, self.t = symbol, t
        self.at = AlgebraicPoint(t, symbol)
        self.base = {b: self.at.residue(b) for b in den.terms}
        self.coef = {b: self.at.residue(c) for b, c in den.terms.items()}
        if any(r is None for r in (*self.base.values(), *self.coef.values())):
            raise ValueError(f"a base or coefficient is not a rational function of {symbol}")

    def live(self, b):
        return not self.coef[b].is_zero() and not self.base[b].is_zero()

    def greater(self, b, c):
        return self.at.compare(self.base[b], self.base[c]) > 0

    def tied(self, b, c):
        return self.base[b] == self.base[c]

    def finish(self, lim):
        try:
            value = self.at.residue(lim)
        except ZeroDivisionError:
            value = None
        exact = self.at.rational(value) if value is not None else None
        return exact if exact is not None else _simplify(lim.subs(self.symbol, self.t))


def policy_limit(cf, direction):
    """The limit policy of a :class:`~proofcheck.symbolic.closed_forms.ClosedForm`.

    Pairs without a closed form (``num`` None) get None.
    """
    m = cf.mdp
    vals = []
    for j in range(m.n_pairs):
        if cf.num[j] is None:
            vals.append(None)
            continue
        v = ratio_limit(cf.num[j], cf.den[j], direction)
        vals.append(cf.fallback[j] if v is None else v)
    return Policy(m, _obj(vals))


def _mp(v):
    v = sp.sympify(v)
    if v.is_Rational:
        return mpmath.mpf(int(v.p)) / int(v.q)
    if v.free_symbols:
        raise UndecidedError(f"cannot evaluate the parametric value {v} numerically")
    return mpmath.mpf(sp.N(v, mpmath.mp.dps + 5))


def _eval_expsum(s, x):
    return mpmath.fsum(_mp(c) * _mp(b) ** x for b, c in s.terms.items())


def numeric_check(num, den, limit, point, dps=50):
    """Evaluate ``num(x)/den(x)`` at ``x = point`` with mpmath and its distance to ``limit``.

    The distance is evaluated as ``(num - limit * den)(x) / den(x)``, where the dominant
    terms cancel *exactly* (ExpSum arithmetic) before any rounding, so it is accurate even
    when it is far below the working precision.  mpmath at ``dps`` digits, plain
    floating point (not interval-certified): relative rounding error about ``10**(5-dps)``.

    Returns
    -------
    (str, str)
        The value (20 digits) and the distance (2 digits).

    Examples
    --------
    >>> import sympy as sp
    >>> from proofcheck.symbolic.closed_forms import ExpSum
    >>> num = ExpSum({1: sp.Rational(1, 4)})
    >>> den = num + ExpSum({sp.Rational(3, 4): sp.Rational(1, 2)})
    >>> numeric_check(num, den, 1, 10**6)
    ('1.0', '3.7e-124939')
    """
    with mpmath.workdps(dps):
        x = mpmath.mpf(point) if not isinstance(point, sp.Basic) else _mp(point)
        d = _eval_expsum(den, x)
        v = _eval_expsum(num, x) / d
        diff = _eval_expsum(num + den * (-sp.sympify(limit)), x) / d
        return mpmath.nstr(v, 20), mpmath.nstr(abs(diff), 2)


def numeric_expr_check(expr, var, point, limit, dps=50):
    """Evaluate a closed-form expression at ``var = point`` with mpmath (``dps`` digits).

    For nested forms (the Boltzmann fixed point) where no exact cancellation is set up:
    the distance ``|value - limit|`` is reported as ``"< 1e-{dps}"`` when it is below the
    working precision.

    Examples
    --------
    >>> from proofcheck.symbolic.closed_forms import DELTA
    >>> numeric_expr_check(1 / (1 + sp.Rational(3, 4) ** (1 / DELTA)), DELTA, 10**4, sp.Rational(1, 2))[1]
    '7.2e-6'
    """
    with mpmath.workdps(dps + 10):
        f = _mpmath_function(var, sp.sympify(expr))
        v = f(mpmath.mpf(point) if not isinstance(point, sp.Basic) else _mp(point))
        return mpmath.nstr(v, 20), distance_text(v, limit, dps)


def distance_text(value, limit, dps=50):
    """``|value - limit|`` to 2 digits, or ``"< 1e-{dps}"`` below the working precision
    (``value`` an mpmath number computed with ``dps`` digits and some guard digits).

    >>> with mpmath.workdps(60):
    ...     third = mpmath.mpf(1) / 3
    >>> distance_text(third, sp.Rational(1, 3)), distance_text(mpmath.mpf("0.3"), sp.Rational(1, 3))
    ('< 1e-50', '0.033')
    """
    with mpmath.workdps(dps + 10):
        dist = abs(value - _mp(limit))
        return f"< 1e-{dps}" if dist < mpmath.mpf(10) ** (-dps) else mpmath.nstr(dist, 2)


@lru_cache(maxsize=64)
def _mpmath_function(var, expr):
    # one translation per expression: each is evaluated at both ends of its variable, and
    # writing the code of a nested fixed point costs as much as evaluating it (its numbers
    # are read at call time, at the precision in force then); cse: a nested fixed point
    # repeats the values of the level below in every term, written and computed once each;
    # docstring_limit=0: no docstring (it would print the whole expression)
    return sp.lambdify(var, expr, "mpmath", cse=True, docstring_limit=0)


def fixed_point_limit(mdp, direction, conventions=None):
    """Limit of the Boltzmann-coherent fixed point as ``delta -> 0`` or ``delta -> inf``.

    ``delta -> 0`` (``x = 1/delta -> inf``): bottom-up, uniform over the argmax of the
    limit soft Q, i.e. the engine's argmax-coherent fixed point with uniform ties.  The
    soft values of the Boltzmann iterates approach their limits geometrically in ``x``,
    so ``(Zq_a / Zq_b) ** x -> 1`` for actions tied in the limit.

    ``delta -> inf`` (``x -> 0+``): bottom-up, uniform over the actions with ``Zq > 0``
    (the support of every Boltzmann policy, independent of ``delta``).

    Examples
    --------
    >>> from proofcheck.examples import mountain_race
    >>> fixed_point_limit(mountain_race(), "inf").prob("start", "up")
    1
    >>> fixed_point_limit(mountain_race(), "zero").prob("start", "up")
    1/2
    """
    conv = conventions or Conventions()
    if direction not in DIRECTIONS:
        raise ValueError(f"direction {direction!r} must be 'inf' or 'zero'")
    B = get_backend("exact")
    # Start from the uniform policy: after T + 1 sweeps each level depends only on the
    # levels below, so the start matters only at dead states (every Zq = 0), patched below
    # with the convention; a numeric start also keeps parametric priors out of the argmax.
    start = mdp.uniform_policy()
    if direction == "inf":
        pol = coherence_fixed_point(mdp, start, "argmax", conventions=conv.replace(argmax_ties="uniform"))
        pi = pol.values.copy()
    else:
        pi = start.values
        for _ in range(mdp.horizon + 1):
            zq = soft_values(mdp, Policy(mdp, pi)).zq
            w = _obj([_ZERO if v == 0 else _ONE for v in zq])
            pi = normalise_per_state(mdp, w, pi, impossible=conv.impossible, backend=B)
    zq = soft_values(mdp, Policy(mdp, pi)).zq
    keep = mdp.prior if conv.impossible == "keep" else mdp.uniform_policy().values
    pi = pi.copy()
    for i in range(mdp.n_states):
        js = range(mdp.state_ptr[i], mdp.state_ptr[i + 1])
        if not mdp.terminal[i] and all(zq[j] == 0 for j in js):
            for j in js:
                pi[j] = keep[j]
    return Policy(mdp, pi)
