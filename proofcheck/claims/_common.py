"""Helpers shared by the claim checks: exact comparisons and counterexample rows."""

from __future__ import annotations

from functools import lru_cache

import mpmath
import sympy as sp
from sympy.printing.printer import Printer

from proofcheck.claims.registry import ClaimResult, Verdict, fmt
from proofcheck.engine import get_backend, occupancy
from proofcheck.errors import UndecidedError
from proofcheck.exact.assumptions import assumed_sign, parameter_ranges
from proofcheck.exact.case_memo import memoized
from proofcheck.exact.constant_sign import coprime_base
from proofcheck.exact.constant_sign import log_linear_is_zero as log_linear_zero
from proofcheck.exact.intervals import interval_context, interval_eval
from proofcheck.exact.log_forms import log_form_is_zero
from proofcheck.exact.ratfunc import fast_cancel, fraction_dot
from proofcheck.exact.symbols import free_symbols

EXACT = get_backend("exact")
_ONE = sp.Integer(1)


def equal(a, b):
    """Exact equality of two constants (True/False); UndecidedError if undecidable.

    Constants: certified intervals of rising precision first (they prove a difference),
    then an exact zero test of log-linear forms that needs no factorisation (so float-
    derived numbers with huge numerators are decided as well)."""
    if free_symbols(a) or free_symbols(b):
        # of two rational functions of one symbol: formed in python-flint, not built and read back
        d = fraction_dot(((a, _ONE), (b, -_ONE)))
        if d is None:
            d = _reduced_difference(a - b)
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


def _reduced_difference(diff):
    """``diff`` in a form whose comparison with 0 is exact: cancelled (python-flint, else
    SymPy), 0 when the log-form test proves it zero, or as it stands when that test proves
    it is not identically 0 (its sign is then asked as it stands; simplify would only
    rewrite it)."""
    d = fast_cancel(diff)
    if d is not None:
        return d
    zero = _log_form_zero(diff)
    if zero:
        return sp.Integer(0)
    if zero is False:
        return diff
    return sp.cancel(sp.together(diff)) if diff.is_rational_function() else sp.simplify(diff)


def _log_form_zero(diff):
    """Whether ``diff``, a log form in the run's one parameter, vanishes on its declared
    range (see :func:`~proofcheck.exact.log_forms.log_form_is_zero`); None when not decided."""
    ranges = parameter_ranges()
    syms = free_symbols(diff)
    if not ranges or len(syms) != 1:
        return None
    (x,) = syms
    if x not in ranges:
        return None
    lo, hi = ranges[x]
    return log_form_is_zero(diff, x, sp.sympify(lo), sp.sympify(hi))


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
            a, b = pa.values[j], pb.values[j]
            # the T5.9 lemmas and their parametric cases compare the same values again
            if not memoized(mdp, ("equal", a, b), lambda a=a, b=b: equal(a, b)):
                rows.append({"state": s, "action": mdp.pair_action[j],
                             "left": pa.values[j], "right": pb.values[j]})
                if len(rows) >= limit:
                    return rows
    return rows


def brief(value, limit):
    """``str(value)`` when it is shorter than ``limit`` characters; else, for a real
    constant, its certified decimal (``"≈0.318309886184"``, see :func:`certified_decimal`);
    else ``"..."``.

    A SymPy expression with ``2 * limit`` leaves or more, or with a number of ``limit``
    digits or more, prints longer than ``limit``, so it is not printed just to be dropped
    (printing a degree-30 log form costs seconds; ``str`` of an integer above 4300 digits
    raises, and float-derived models reach such numbers within a few re-training steps).

    >>> brief(sp.Rational(1, 3), 10), brief(sum(sp.symbols("x:40")), 10), brief(sp.Integer(10) ** 5000, 10)
    ('1/3', '...', '≈1.00000000000e+5000')
    >>> brief(sp.log(sp.Rational(3 ** 40, 2 ** 70)), 20)  # 40 log 3 - 70 log 2 = -4.5758110924717...
    '≈-4.57581109247'
    """
    # a Float prints with its precision, which SymPy's == and hash leave out: such a
    # value's text is never taken from the cache
    cacheable = False
    if isinstance(value, sp.Basic):
        leaves = 0
        cacheable = True
        bits = limit * 3.33  # about the bits of a limit-digit integer: 3.32 bits per digit
        for node in sp.preorder_traversal(value):
            if not node.args:
                leaves += 1
                cacheable = cacheable and not node.is_Float
                if leaves >= 2 * limit or (node.is_Rational
                                           and max(abs(int(node.p)), int(node.q)).bit_length() > bits):
                    return certified_decimal(value)
    text = None
    if cacheable:
        try:
            text = _printed(value, tuple(sorted(Printer._global_settings.items())))
        except TypeError:  # an unhashable global printer setting: printed as it stands
            pass
    text = str(value) if text is None else text
    return text if len(text) < limit else certified_decimal(value)


@lru_cache(maxsize=1 << 12)
def _printed(value, settings):
    """``str(value)`` of a SymPy expression without floats under the printers' global
    ``settings`` (the claims of a verify print the same values of J and S ten times each)."""
    return str(value)


def certified_decimal(value, digits=12):
    """``"≈d"``: the real constant ``value`` to the ``digits`` significant digits (or fewer)
    that every point of a 30-digit interval enclosure of it rounds to, so every digit shown
    is right; ``"..."`` when the value has parameters or no enclosure settles 3 digits.

    >>> certified_decimal(sp.pi), certified_decimal(sp.Rational(-2, 3), 4), certified_decimal(sp.Symbol("p"))
    ('≈3.14159265359', '≈-0.6667', '...')
    """
    if not isinstance(value, sp.Basic) or free_symbols(value):
        return "..."
    try:
        enc = interval_eval(value, interval_context(30))
    except (UndecidedError, ZeroDivisionError, ValueError, TypeError, OverflowError):
        return "..."
    lo, hi = mpmath.mpf(enc.a), mpmath.mpf(enc.b)
    if not (mpmath.isfinite(lo) and mpmath.isfinite(hi)):
        return "..."
    for n in range(digits, 2, -1):
        text = mpmath.nstr(lo, n, strip_zeros=False)
        if text == mpmath.nstr(hi, n, strip_zeros=False):
            return "≈" + text
    return "..."


def result(verdict, summary, **kw):
    return ClaimResult("", "", "", verdict, summary, **kw)


__all__ = ["brief", "certified_decimal", "coprime_base", "equal", "log_linear_zero", "policy_differences", "result", "Verdict",
           "fmt"]
