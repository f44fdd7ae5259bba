"""Validation of an MDP's numbers: ranges, sums, reachability.

Exact values are checked exactly; floats within the model's tolerance; parametric
values over the whole parameter box by interval arithmetic with bisection (a violation
found at a point is an error naming that point; a range that cannot be certified either
way is a warning, never a silent pass).

Time is linear in the model: every check is made once per *distinct* value (a tree with
32,766 priors ``p`` and ``1 - p`` certifies two expressions), rationals are compared as
integers and summed as :class:`fractions.Fraction`, and reachability is one vectorised
pass per height level.  When something is wrong, the checks are replayed in the model's
order (cached), so the first problem reported, and its message, do not depend on the
grouping.
"""

import warnings
from fractions import Fraction

import numpy as np
import sympy as sp

from proofcheck._validation import rounding_residue
from proofcheck.errors import ModelError, UncertifiedRangeWarning, UndecidedError, UnreachableStateWarning
from proofcheck.exact.intervals import interval_context, interval_eval
from proofcheck.exact.sign import exact_sign

__all__ = ["validate", "UncertifiedRangeWarning", "UnreachableStateWarning"]


# placeholders for the location and the fix in cached messages (never in user text)
_WHERE = "\x00where\x00"
_FIX = "\x00fix\x00"
_MISSING = object()
_OK, _BAD, _UNCERTIFIED = 0, 1, 2
_ZERO = sp.Integer(0)


def _fmt_params(point):
    return ", ".join(f"{s} = {v}" for s, v in point.items())


def _range_text(lo, hi):
    return f"[{lo}, {hi}]" if hi is not None else f">= {lo}"


def _check_in_range(mdp, expr, lo, hi, where, fix, ctx=None):
    """Raise unless ``lo <= expr <= hi`` (``hi`` may be None) for all parameter values.

    Returns True when certified, False when a parametric range could not be certified
    either way (the caller warns).
    """
    if expr.free_symbols:
        return _check_parametric(mdp, expr, lo, hi, where, fix, ctx=ctx)
    try:
        bad = _outside(expr, lo, hi)
    except UndecidedError as exc:
        raise ModelError(f"{where}: cannot decide whether value {expr} lies in {_range_text(lo, hi)} ({exc}); "
                         f"{fix}, e.g. as a rational") from None
    except (TypeError, ValueError):
        raise ModelError(f"{where}: value {expr} is not a real number; {fix}") from None
    if not bad:
        return True
    if expr.atoms(sp.Float):
        # no tolerance here: the tolerance is for sums, and a probability of -1e-12 or
        # 1 + 1e-12 is not one (the exact routes take its log and fail far from here)
        v = float(expr)
        residue = rounding_residue(float(lo - v if v < lo else v - hi), mdp.tolerance, "clip it into the range")
        shown = repr(v) if expr.is_Float else str(expr)
        raise ModelError(f"{where}: value {shown} is outside {_range_text(lo, hi)}{residue}; {fix}")
    raise ModelError(f"{where}: value {expr} is outside {_range_text(lo, hi)}; {fix}")


def _outside(value, lo, hi):
    """Whether the constant ``value`` lies outside ``[lo, hi]`` (``hi`` may be None).

    Rationals and floats compare directly; other exact values by certified signs, since
    SymPy's own comparison evaluates at a fixed precision and cannot tell a value 1e-113
    below ``lo`` from ``lo``.  UndecidedError when no enclosure settles a sign.
    """
    if value.is_Rational or value.atoms(sp.Float):
        return bool(value < lo) or (hi is not None and bool(value > hi))
    return exact_sign(value - lo) < 0 or (hi is not None and exact_sign(value - hi) > 0)


def _check_parametric(mdp, expr, lo, hi, where, fix, depth=8, ctx=None):
    ctx = ctx if ctx is not None else interval_context(30)
    syms = list(mdp.parameters)
    unbounded = [s for s in expr.free_symbols if s not in mdp.parameters]
    if unbounded:
        raise ModelError(f"{where}: symbol(s) {sorted(map(str, unbounded))} have no declared range; declare them")
    boxes = [{s: (sp.Rational(mdp.parameters[s][0]), sp.Rational(mdp.parameters[s][1])) for s in syms}]
    for _ in range(depth):
        undecided = []
        for box in boxes:
            mid = {s: (a + b) / 2 for s, (a, b) in box.items()}
            val = expr.xreplace(mid)
            try:
                point_bad = _outside(val, lo, hi)
            except (TypeError, UndecidedError):
                point_bad = False  # the interval test below decides, or the range is uncertified
            if point_bad:
                raise ModelError(
                    f"{where}: value {expr} becomes {val} at {_fmt_params(mid)}, outside {_range_text(lo, hi)}; "
                    f"{fix} (or narrow the parameter ranges)"
                )
            env = {s: ctx.mpf([ctx.mpf(int(a.p)) / int(a.q), ctx.mpf(int(b.p)) / int(b.q)])
                   for s, (a, b) in box.items()}
            try:
                enc = interval_eval(expr, ctx, env)
                ok = enc.a >= lo and (hi is None or enc.b <= hi)
            except (UndecidedError, ZeroDivisionError, ValueError):
                ok = False
            if not ok:
                undecided.append(box)
        if not undecided:
            return True
        boxes = []
        for box in undecided[:64]:
            s = max(box, key=lambda k: box[k][1] - box[k][0])
            a, b = box[s]
            m = (a + b) / 2
            boxes += [{**box, s: (a, m)}, {**box, s: (m, b)}]
    return False


def _uncertified_text(expr):
    return (f"{_WHERE}: could not certify that {expr} stays within its range over the parameter "
            "ranges (interval bisection was inconclusive); results may be invalid there")


def _sum_is_one(mdp, total):
    if total.free_symbols:
        return sp.cancel(sp.together(total - 1)) == 0
    if total.atoms(sp.Float):
        return abs(float(total) - 1) <= mdp.tolerance
    diff = total - 1
    if diff.is_Rational:
        return diff == 0
    # certified: nsimplify, used here before, rounds a difference of 1e-40 to 0 and passed
    # priors that do not sum to 1
    try:
        return exact_sign(diff) == 0
    except UndecidedError:
        return sp.simplify(diff) == 0  # an unproven sum is never accepted


def _key(v):
    # the class keeps Float(0.5) and Rational(1, 2) apart whatever SymPy's == says
    return (v.__class__, v)


class _Checker:
    """The checks of :func:`validate`, each made once per distinct value (cached)."""

    def __init__(self, mdp):
        self.mdp = mdp
        self._ctx = None
        self._ranges = {}
        self._sums = {}

    # ---------------------------------------------------------------- ranges
    def outcome(self, expr, lo, hi):
        """``(status, message template)`` of ``lo <= expr <= hi`` (cached)."""
        k = (_key(expr), lo, hi)
        hit = self._ranges.get(k, _MISSING)
        if hit is _MISSING:
            hit = self._ranges[k] = self._range(expr, lo, hi)
        return hit

    def _range(self, expr, lo, hi):
        if isinstance(expr, sp.Rational):  # integers compared, no SymPy relational
            p, q = int(expr.p), int(expr.q)
            if p < lo * q or (hi is not None and p > hi * q):
                return _BAD, f"{_WHERE}: value {expr} is outside {_range_text(lo, hi)}; {_FIX}"
            return _OK, None
        if self._ctx is None and expr.free_symbols:
            self._ctx = interval_context(30)  # one context for every parametric value
        try:
            certified = _check_in_range(self.mdp, expr, lo, hi, _WHERE, _FIX, ctx=self._ctx)
        except ModelError as exc:
            return _BAD, str(exc)
        return (_OK, None) if certified else (_UNCERTIFIED, _uncertified_text(expr))

    def statuses(self, distinct, lo, hi):
        """Status (ok / bad / uncertified) of every entry of an array given as ``(codes,
        values)`` (:func:`_distinct`), one check per distinct value."""
        codes, reps = distinct
        status = np.fromiter((self.outcome(v, lo, hi)[0] for v in reps), dtype=np.int8, count=len(reps))
        return status[codes] if len(codes) else np.zeros(0, dtype=np.int8)

    def check(self, expr, lo, hi, where, fix):
        """The ordered form: raise or warn for one entry, as the checks are read."""
        status, text = self.outcome(expr, lo, hi)
        if status == _BAD:
            raise ModelError(text.replace(_WHERE, where).replace(_FIX, fix))
        if status == _UNCERTIFIED:
            warnings.warn(text.replace(_WHERE, where), UncertifiedRangeWarning, stacklevel=3)

    # ---------------------------------------------------------------- sums
    def sum_ok(self, values):
        """Whether ``values`` sum to 1 (cached by the tuple of values).  Exact zeros are
        left out: they change neither sum (the initial distribution of a large model is
        mostly zeros)."""
        values = [v for v in values if v is not _ZERO]
        k = tuple(map(_key, values))
        hit = self._sums.get(k)
        if hit is None:
            if all(isinstance(v, sp.Rational) for v in values):
                hit = sum((Fraction(int(v.p), int(v.q)) for v in values), Fraction(0)) == 1
            else:
                hit = bool(_sum_is_one(self.mdp, sum(values, sp.Integer(0))))
            self._sums[k] = hit
        return hit

    def group_sums_ok(self, distinct, ptr, empty_ok):
        """For each group ``arr[ptr[g]:ptr[g+1]]``: does it sum to 1?  Empty groups give
        ``empty_ok``.  Each distinct sequence of values is summed once: the groups of one
        size are compared as rows of value codes."""
        sizes = np.diff(ptr)
        ok = np.full(len(sizes), bool(empty_ok))
        codes, reps = distinct
        for k in np.unique(sizes[sizes > 0]).tolist():
            groups = np.flatnonzero(sizes == k)
            rows = codes[ptr[groups][:, None] + np.arange(k)]
            distinct, inverse = np.unique(rows, axis=0, return_inverse=True)
            first = np.full(len(distinct), len(groups))
            np.minimum.at(first, inverse.reshape(-1), np.arange(len(groups)))
            good = np.zeros(len(distinct), dtype=bool)
            for r in np.argsort(first, kind="stable").tolist():  # in the model's order
                good[r] = self.sum_ok([reps[c] for c in distinct[r].tolist()])
            ok[groups] = good[inverse.reshape(-1)]
        return ok


def _object_codes(arr):
    """``(codes, objects)``: ``arr[i] is objects[codes[i]]``, the objects in the order they
    first occur (grouped by identity, in NumPy: a large model shares a few value objects)."""
    n = len(arr)
    if n == 0:
        return np.zeros(0, dtype=np.int64), []
    # numbers (float64 arrays) are grouped by value: ids of their temporary scalars mean nothing
    keys = np.fromiter(map(id, arr), dtype=np.uint64, count=n) if arr.dtype == object else arr
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")  # objects by their first occurrence
    rank = np.empty(len(first), dtype=np.int64)
    rank[order] = np.arange(len(first))
    return rank[inverse.reshape(-1)], [arr[i] for i in first[order].tolist()]


def _model_codes(mdp, attr):
    """:func:`_object_codes` of the model's array ``attr``, cached in the model (with its
    other derived data, which is dropped whenever the arrays change) while the array is
    the model's."""
    arr = getattr(mdp, attr)
    cache = getattr(mdp, "_converted", None)
    key = ("object-codes", attr)
    hit = cache.get(key) if isinstance(cache, dict) else None
    if hit is not None and hit[0] is arr:
        return hit[1], hit[2]
    codes, objects = _object_codes(arr)
    if isinstance(cache, dict):
        cache[key] = (arr, codes, objects)
    return codes, objects


def _merge_equal(codes, objects):
    """``(codes, values)`` by value (:func:`_key`) from codes by identity: the values in the
    order they first occur."""
    keys, values = {}, []
    code_of = np.empty(len(objects), dtype=np.int64)
    for o, v in enumerate(objects):
        c = keys.setdefault(_key(v), len(keys))
        if c == len(values):
            values.append(v)
        code_of[o] = c
    return code_of[codes], values


def _distinct(arr):
    """``(codes, values)``: ``arr[i]`` equals ``values[codes[i]]`` (by :func:`_key`), the
    values in the order they first occur.  Entries that are one object are grouped by
    identity first, in NumPy (a large model shares a few value objects), then by value."""
    return _merge_equal(*_object_codes(arr))


def _distinct_of(mdp, attr):
    """:func:`_distinct` of the model's array ``attr`` (its identity groups cached)."""
    return _merge_equal(*_model_codes(mdp, attr))


def _state_of_pair(mdp, j):
    return mdp.states[mdp.pair_state[j]]


_FIX_PROB = "probabilities must lie in [0, 1]"
_FIX_Q = "likelihoods q = exp(r) must lie in [0, 1], i.e. rewards r <= 0"


def validate(mdp):
    """Check an :class:`~proofcheck.model.mdp.MDP`; raise :class:`ModelError` on the first problem.

    Checks: probabilities and likelihoods in [0, 1], transition kernels, priors and the
    initial distribution summing to 1, at least one action outcome.  Warns about
    unreachable states.  Each distinct value is checked once (see the module docstring).
    """
    chk = _Checker(mdp)
    terminal = np.asarray(mdp.state_ptr[1:] == mdp.state_ptr[:-1])
    leaves = np.flatnonzero(terminal)
    prior, edge_prob = _distinct_of(mdp, "prior"), _distinct_of(mdp, "edge_prob")
    success_codes, success_values = _distinct_of(mdp, "success")
    initial = _distinct_of(mdp, "initial")
    problems = (
        chk.statuses(prior, 0, 1).any()
        or chk.statuses(_distinct_of(mdp, "likelihood"), 0, 1).any()
        or chk.statuses(edge_prob, 0, 1).any()
        or not chk.group_sums_ok(edge_prob, mdp.pair_ptr, empty_ok=False).all()
        or not chk.group_sums_ok(prior, mdp.state_ptr, empty_ok=True).all()
        or chk.statuses((success_codes[leaves], success_values), 0, 1).any()
        or chk.statuses(initial, 0, 1).any()
        or not chk.sum_ok(list(mdp.initial))
    )
    if problems:  # replay in the model's order: the first error, warnings in order
        _ordered_checks(mdp, chk)
    _warn_unreachable(mdp)


def _ordered_checks(mdp, chk):
    """The checks one entry at a time, in the model's order (each answer cached in ``chk``)."""
    for j in range(mdp.n_pairs):
        s, a = _state_of_pair(mdp, j), mdp.pair_action[j]
        chk.check(mdp.prior[j], 0, 1, f"state {s!r}, action {a!r}: prior", _FIX_PROB)
        chk.check(mdp.likelihood[j], 0, 1, f"state {s!r}, action {a!r}: q", _FIX_Q)
        lo, hi = mdp.pair_ptr[j], mdp.pair_ptr[j + 1]
        for e in range(lo, hi):
            t = mdp.states[mdp.edge_target[e]]
            chk.check(mdp.edge_prob[e], 0, 1,
                      f"state {s!r}, action {a!r}: transition probability to {t!r}", _FIX_PROB)
        if not chk.sum_ok(mdp.edge_prob[lo:hi]):
            total = sum(mdp.edge_prob[lo:hi], sp.Integer(0))
            raise ModelError(
                f"state {s!r}, action {a!r}: transition probabilities sum to {total}, not 1; "
                "make tau(. | s, a) a distribution (add the missing outcome or rescale)"
            )
    for i, s in enumerate(mdp.states):
        lo, hi = mdp.state_ptr[i], mdp.state_ptr[i + 1]
        if hi > lo:
            if not chk.sum_ok(mdp.prior[lo:hi]):
                total = sum(mdp.prior[lo:hi], sp.Integer(0))
                acts = ", ".join(f"{mdp.pair_action[j]}={mdp.prior[j]}" for j in range(lo, hi))
                raise ModelError(
                    f"state {s!r}: prior sums to {total}, not 1 ({acts}); "
                    "make p(. | s) a distribution over the state's actions"
                )
        else:
            chk.check(mdp.success[i], 0, 1, f"state {s!r}: success", _FIX_PROB)
        chk.check(mdp.initial[i], 0, 1, f"initial distribution at {s!r}", _FIX_PROB)
    if not chk.sum_ok(list(mdp.initial)):
        total = sum(mdp.initial, sp.Integer(0))
        raise ModelError(f"the initial distribution sums to {total}, not 1; make mu a distribution")


def _reachable(mdp):
    """States reachable from the initial distribution: one vectorised step per height
    level (every edge leads to a lower level, so levels from the top are a topological order)."""
    codes, objects = _model_codes(mdp, "initial")  # each distinct object tested once
    reach = np.array([m is not _ZERO and m != 0 for m in objects], dtype=bool)[codes]
    for blk in reversed(mdp.blocks):
        e = blk.edges
        src = mdp.pair_state[mdp.edge_pair[e]]
        reach[mdp.edge_target[e][reach[src]]] = True
    return reach


def _warn_unreachable(mdp):
    reach = _reachable(mdp)
    if not reach.all():
        names = [mdp.states[i] for i in np.flatnonzero(~reach)]
        shown = ", ".join(map(repr, names[:6])) + (", ..." if len(names) > 6 else "")
        warnings.warn(f"model {mdp.name!r}: {len(names)} unreachable state(s): {shown}",
                      UnreachableStateWarning, stacklevel=4)
