"""Interval enclosures of SymPy expressions with mpmath's interval context.

The walker below turns an expression tree into an mpmath interval by interval
arithmetic on each node, so the result is a rigorous enclosure of the true value
(outward rounding is mpmath's).  It is used by model validation (parametric ranges)
and by the interval backend.
"""

from functools import lru_cache

import sympy as sp
from mpmath.ctx_iv import MPIntervalContext

from proofcheck.errors import UndecidedError
from proofcheck.exact.algebraic import real_root_ends
from proofcheck.exact.budget import CACHED_BITS, rational_bits

__all__ = ["interval_context", "interval_eval"]


@lru_cache(maxsize=16)
def interval_context(dps=50):
    """An mpmath interval context at ``dps`` decimal digits, private to proofcheck.

    One context per precision, shared by its callers (making one costs about 1 ms, and a
    verify asked for one a hundred times): do not change its precision.
    """
    ctx = MPIntervalContext()
    ctx.dps = dps
    return ctx


def interval_eval(expr, ctx, env=None):
    """Enclose ``expr`` in an interval of ``ctx``; ``env`` maps Symbols to intervals.

    Examples
    --------
    >>> import sympy as sp
    >>> ctx = interval_context(30)
    >>> p = sp.Symbol("p")
    >>> r = interval_eval(p * (1 - p), ctx, {p: ctx.mpf([0, 1])})
    >>> float(r.a) <= 0 and float(r.b) >= 0.25
    True
    """
    env = env or {}

    def walk(e):
        if e.is_Rational:
            # only short rationals are cached: a float-derived model's 10^5-digit ones would
            # make the cache hold gigabytes
            return (_rational(ctx, ctx.prec, e) if rational_bits(e) <= CACHED_BITS
                    else _rational.__wrapped__(ctx, ctx.prec, e))
        if e.is_Float:
            sign, man, exp, _ = e._mpf_
            return ctx.mpf((-1) ** sign * int(man)) * ctx.mpf(2) ** int(exp)
        if e.is_Symbol:
            if e not in env:
                raise UndecidedError(f"no value for symbol {e}")
            return env[e]
        if e is sp.E:
            return ctx.e
        if e is sp.pi:
            return ctx.pi
        if e.is_Add:
            out = ctx.mpf(0)
            for a in e.args:
                out = out + walk(a)
            return out
        if e.is_Mul:
            out = ctx.mpf(1)
            for a in e.args:
                out = out * walk(a)
            return out
        if e.is_Pow:
            base, ex = e.args
            if ex.is_Integer:
                b = walk(base)
                n = int(ex)
                return b ** n if n >= 0 else ctx.mpf(1) / (b ** (-n))
            b = walk(base)
            return ctx.exp(walk(ex) * ctx.log(b)) if not (ex == sp.Rational(1, 2)) else ctx.sqrt(b)
        if isinstance(e, sp.CRootOf) and e.is_real:
            return _real_root(e, ctx)
        if isinstance(e, sp.exp):
            return ctx.exp(walk(e.args[0]))
        if isinstance(e, sp.log):
            return ctx.log(walk(e.args[0]))
        raise UndecidedError(f"cannot enclose {type(e).__name__} in an interval: {e}")

    return walk(sp.sympify(expr))


@lru_cache(maxsize=1 << 12)
def _rational(ctx, prec, e):
    """The enclosure of the rational ``e`` in ``ctx`` at ``prec`` bits (cached: a verify
    encloses the same few hundred model values and zeros some 3,000 times)."""
    if e.is_Integer:
        return ctx.mpf(int(e))
    return ctx.mpf(int(e.p)) / ctx.mpf(int(e.q))


def _real_root(root, ctx):
    """A rigorous interval around the real algebraic number ``root`` (a ``CRootOf``):
    python-flint's isolating ball at the context's precision plus guard bits."""
    try:
        ends = real_root_ends(root, int(ctx.prec) + 64)
    except ValueError as exc:
        raise UndecidedError(str(exc)) from None
    lo, hi = (ctx.mpf(m) * ctx.mpf(2) ** e if e >= 0 else ctx.mpf(m) / ctx.mpf(2) ** (-e) for m, e in ends)
    return ctx.mpf([lo.a, hi.b])
