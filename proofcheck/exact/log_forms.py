"""An exact zero test for log forms in one parameter: ``sum_i c_i(x) log a_i(x) + r(x)``.

Parametric KL divergences and returns are such sums, with rational functions ``c_i``,
``a_i``, ``r`` of the parameter ``x``.  Two of them that agree as functions are often
written differently (``log(a b)`` against ``log a + log b``), and SymPy's ``simplify``
neither proves every such identity nor runs fast (seconds on the degree-15 forms of a
31-state tree).  Here the test is exact and needs one factorisation per argument:

1. Each argument is factored over Q: ``a_i = k_i prod_j g_j^(m_ij)`` with primitive
   irreducible integer polynomials ``g_j`` and a rational ``k_i``; the positive integers
   in the ``k_i`` are written over a coprime base ``b_l`` (gcds only).  Where every
   ``a_i`` is positive, the form is
   ``sum_j A_j(x) log|g_j| + sum_l B_l(x) log b_l + r(x)`` with rational functions
   ``A_j = sum_i m_ij c_i`` and ``B_l``.
2. The logarithms of pairwise non-associate irreducible polynomials are linearly
   independent over ``C(x)`` (Ostrowski; a relation would make one of them algebraic
   over the others), so the form vanishes on an interval only if every ``A_j`` is 0.
   What is left, ``sum_l B_l(x) log b_l + r(x)``, taken at a rational ``x`` is a rational
   combination of logs of pairwise coprime integers plus a rational, which vanishes only
   when all of them are 0 (Lindemann), so every ``B_l`` and ``r`` is 0 as well.

The form is 0 on the parameter's range iff all these coefficients are 0.  "True" is
claimed only after checking that every argument is positive on the open range (its
odd-multiplicity factors have no root inside and it is positive at one point), so
``log`` is the real logarithm there and step 1 is an identity.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from proofcheck.exact.budget import WorkBudget
from proofcheck.exact.conditions import real_roots_between
from proofcheck.exact.constant_sign import _valuations, coprime_base
from proofcheck.exact.ratfunc import add_fractions, as_fraction, flint
from proofcheck.exact.regions import less

__all__ = ["log_form_is_zero"]


class _NotLogForm(Exception):
    pass


def log_form_is_zero(expr: Any, x: sp.Symbol, lo: Any, hi: Any) -> bool | None:
    """Whether ``expr``, a sum ``sum_i c_i(x) log a_i(x) + r(x)`` of rational functions
    with rational coefficients, is identically 0 on the open interval ``(lo, hi)``.

    Returns None when ``expr`` is not such a sum, when python-flint is missing, when
    ``lo`` or ``hi`` is not rational, or when an argument ``a_i`` is not positive on the
    whole open interval (the real logarithm would not be defined there).

    Examples
    --------
    >>> p = sp.Symbol("p", real=True)
    >>> log_form_is_zero(p * sp.log(2 * p * (1 - p)) - p * sp.log(p) - p * sp.log(2 - 2 * p),
    ...                  p, sp.Integer(0), sp.Integer(1))
    True
    >>> log_form_is_zero(p * sp.log(p) - sp.log(p), p, sp.Integer(0), sp.Integer(1))
    False
    >>> log_form_is_zero(sp.log(p - sp.Rational(1, 2)), p, sp.Integer(0), sp.Integer(1)) is None
    True
    """
    if flint is None or not (getattr(lo, "is_Rational", False) and getattr(hi, "is_Rational", False)):
        return None
    if not less(lo, hi):
        return None
    try:
        logs, rest = [], []
        _split(sp.sympify(expr), (), logs, rest)
        coeffs: dict = {}
        constants = []
        for scale, arg in logs:
            c = _product(scale, x)
            n, d = _fraction(arg, x)
            parts = [(n.factor(), 1), (d.factor(), -1)]
            _check_positive(n, d, [factors for (_, factors), _ in parts], lo, hi, x)
            for (content, factors), sign in parts:
                constants.append((_scaled(c, sign), content))
                for g, m in factors:
                    if g.degree() > 0:
                        key = tuple(int(v) for v in (g * g.denom()).coeffs())
                        coeffs[key] = _add(coeffs.get(key), _scaled(c, sign * m))
        r = None
        for scale, part in rest:
            r = _add(r, _product(scale + (part,), x))
        if any(not _is_zero(v) for v in coeffs.values()) or not _is_zero(r):
            return False
        return all(_is_zero(v) for v in _constant_coefficients(constants).values())
    except _NotLogForm:
        return None


def _split(e, scale, logs, rest):
    """``e * prod(scale)`` as ``(scale, log argument)`` terms and rational ``(scale, part)`` terms."""
    if not e.has(sp.log):
        rest.append((scale, e))
    elif e.is_Add:
        for t in e.args:
            _split(t, scale, logs, rest)
    elif e.is_Mul:
        inner = [f for f in e.args if f.has(sp.log)]
        if len(inner) != 1:  # a product of logs is not linear in them
            raise _NotLogForm()
        _split(inner[0], scale + tuple(f for f in e.args if f is not inner[0]), logs, rest)
    elif isinstance(e, sp.log) and not e.args[0].has(sp.log):
        logs.append((scale, e.args[0]))
    else:
        raise _NotLogForm()


def _fraction(e, x):
    got = as_fraction(e, x)
    if got is None:
        raise _NotLogForm()
    return got


def _product(factors, x):
    n, d = flint.fmpq_poly([1]), flint.fmpq_poly([1])
    for f in factors:
        fn, fd = _fraction(f, x)
        n, d = n * fn, d * fd
    return n, d


def _scaled(c, k):
    return c[0] * k, c[1]


def _add(a, b):
    return b if a is None else add_fractions(a, b)


def _is_zero(c):
    return c is None or c[0].is_zero()


def _check_positive(n, d, factorisations, lo, hi, x):
    """``n / d > 0`` on ``(lo, hi)`` except at finitely many points, or _NotLogForm;
    ``factorisations``: the irreducible factors of ``n`` and of ``d``."""
    if n.is_zero():
        raise _NotLogForm()
    for factors in factorisations:
        for g, m in factors:
            # an odd power of a factor with a root inside changes sign there: the log of
            # a negative number (real_roots_between skips factors without roots by Descartes' rule)
            if m % 2 and any(less(lo, t) and less(t, hi) for t in real_roots_between(g, lo, hi, x)):
                raise _NotLogForm()
    t = lo + (hi - lo) / 2
    for k in range(2, 40):  # a point that is a root of neither (finitely many are)
        q = flint.fmpq(int(t.p), int(t.q))
        vn, vd = n(q), d(q)
        if vn != 0 and vd != 0:
            if (vn > 0) != (vd > 0):
                raise _NotLogForm()
            return
        t = lo + (hi - lo) / (k + 1)
    raise _NotLogForm()


def _constant_coefficients(constants):
    """``{base element: B(x)}`` for ``sum c(x) log|k|`` over a coprime base of the ``k``."""
    budget = WorkBudget()
    ks = [(c, abs(k)) for c, k in constants if abs(k) != 1]
    basis = coprime_base([int(v) for _, k in ks for v in (k.p, k.q)], budget)
    out: dict = {}
    for c, k in ks:
        for v, sign in ((int(k.p), 1), (int(k.q), -1)):
            vals = _valuations(v, basis, budget)
            if vals is None:  # cannot happen over a coprime base
                raise _NotLogForm()
            for b, m in vals.items():
                out[b] = _add(out.get(b), _scaled(c, sign * m))
    return out
