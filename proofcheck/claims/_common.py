"""Helpers shared by the claim checks: exact comparisons and counterexample rows."""

from __future__ import annotations

from math import gcd

import sympy as sp

from proofcheck.claims.registry import ClaimResult, Verdict, fmt
from proofcheck.engine import get_backend, occupancy
from proofcheck.errors import UndecidedError
from proofcheck.exact.assumptions import assumed_sign

EXACT = get_backend("exact")


def coprime_base(numbers):
    """A set of pairwise coprime integers ``> 1`` of which every given positive integer is
    a product of powers (a gcd-free basis: gcds only, no factorisation, so it works for
    integers of any size)."""
    basis: list[int] = []
    todo = [int(n) for n in numbers if n > 1]
    while todo:
        x = todo.pop()
        if x == 1:
            continue
        for i, b in enumerate(basis):
            g = gcd(x, b)
            if g > 1:  # split both; the product of all pending numbers strictly decreases
                basis.pop(i)
                todo += [g, b // g, x // g]
                break
        else:
            basis.append(x)
    return basis


def _valuations(n, basis):
    out = {}
    for b in basis:
        k = 0
        while n % b == 0:
            n //= b
            k += 1
        if k:
            out[b] = k
    return out if n == 1 else None


def log_linear_zero(expr):
    """True/False when ``expr`` is ``c0 + sum_i c_i log(r_i)`` (rationals ``c``, positive
    rationals ``r``), decided exactly for numbers of any size; None for other forms.

    The logarithms of pairwise coprime integers ``> 1`` are linearly independent over the
    rationals, and ``c0 + log(x)`` with rational ``x`` vanishes only for ``c0 = 0, x = 1``
    (Lindemann), so the form is zero iff ``c0 = 0`` and every coefficient over a coprime
    base of all numerators and denominators vanishes.

    >>> log_linear_zero(2 * sp.log(sp.Rational(10**50 + 1, 3)) - sp.log(sp.Rational((10**50 + 1)**2, 9)))
    True
    """
    expr = sp.sympify(expr)
    floats = expr.atoms(sp.Float)
    if floats:  # a Float is the exact binary number it stores
        expr = expr.xreplace({f: sp.Rational(f) for f in floats})
    c0, terms = sp.Integer(0), []
    for t in sp.Add.make_args(sp.expand_mul(expr)):
        if t.is_Rational:
            c0 += t
            continue
        coeff, rest = t.as_coeff_Mul()
        if isinstance(rest, sp.log) and rest.args[0].is_Rational and rest.args[0] > 0 and coeff.is_Rational:
            terms.append((coeff, rest.args[0]))
        else:
            return None
    basis = coprime_base([n for _, r in terms for n in (r.p, r.q)])
    coeffs: dict = {}
    for c, r in terms:
        for n, sign in ((r.p, 1), (r.q, -1)):
            vals = _valuations(n, basis)
            if vals is None:  # cannot happen for a coprime base; stay undecided if it does
                return None
            for b, k in vals.items():
                coeffs[b] = coeffs.get(b, 0) + sign * c * k
    return c0 == 0 and all(v == 0 for v in coeffs.values())


def equal(a, b):
    """Exact equality of two constants (True/False); UndecidedError if undecidable.

    Constants: certified intervals of rising precision first (they prove a difference),
    then an exact zero test of log-linear forms that needs no factorisation (so float-
    derived numbers with huge numerators are decided as well)."""
    if a.free_symbols or b.free_symbols:
        d = sp.cancel(sp.together(a - b)) if (a - b).is_rational_function() else sp.simplify(a - b)
        if d == 0:
            return True
        branch = assumed_sign(d)  # inside a parametric claim run: one case of a case split
        if branch is not None:
            return branch == 0
        raise UndecidedError(f"cannot decide {a} = {b} for all parameter values (difference {d})")
    try:
        return EXACT.compare(a, b) == 0
    except UndecidedError:
        if any(x in (sp.oo, -sp.oo, sp.zoo, sp.nan) for x in (a, b)):
            raise
        zero = log_linear_zero(a - b)
        if zero is None:
            raise
        return zero


def policy_differences(mdp, pa, pb, *, only_reachable_by=None, limit=3):
    """Rows ``(state, action, a, b)`` where two exact policies differ, in topological
    order (closest to the root first: the smallest counterexample within the model)."""
    rows = []
    reach = None
    if only_reachable_by is not None:
        reach = occupancy(mdp, only_reachable_by)
    for i, s in enumerate(mdp.states):
        if mdp.terminal[i] or (reach is not None and reach[i] == 0):
            continue
        for j in range(mdp.state_ptr[i], mdp.state_ptr[i + 1]):
            if not equal(pa.values[j], pb.values[j]):
                rows.append({"state": s, "action": mdp.pair_action[j],
                             "left": pa.values[j], "right": pb.values[j]})
                if len(rows) >= limit:
                    return rows
    return rows


def result(verdict, summary, **kw):
    return ClaimResult("", "", "", verdict, summary, **kw)


__all__ = ["coprime_base", "equal", "log_linear_zero", "policy_differences", "result", "Verdict",
           "fmt"]
