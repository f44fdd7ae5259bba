"""Validation of an MDP's numbers: ranges, sums, reachability.

Exact values are checked exactly; floats within the model's tolerance; parametric
values over the whole parameter box by interval arithmetic with bisection (a violation
found at a point is an error naming that point; a range that cannot be certified either
way is a warning, never a silent pass).
"""

import warnings

import numpy as np
import sympy as sp

from proofcheck.errors import ModelError, UndecidedError, UnreachableStateWarning, UncertifiedRangeWarning
from proofcheck.exact.intervals import interval_context, interval_eval

__all__ = ["validate", "UncertifiedRangeWarning", "UnreachableStateWarning"]


def _fmt_params(point):
    return ", ".join(f"{s} = {v}" for s, v in point.items())


def _check_in_range(mdp, expr, lo, hi, where, fix):
    """Raise unless ``lo <= expr <= hi`` (``hi`` may be None) for all parameter values."""
    if not expr.free_symbols:
        if expr.atoms(sp.Float):
            tol = mdp.tolerance
            v = float(expr)
            bad = v < lo - tol or (hi is not None and v > hi + tol)
        else:
            try:
                bad = bool(expr < lo) or (hi is not None and bool(expr > hi))
            except TypeError:
                raise ModelError(f"{where}: value {expr} is not a real number; {fix}") from None
        if bad:
            rng = f"[{lo}, {hi}]" if hi is not None else f">= {lo}"
            raise ModelError(f"{where}: value {expr} is outside {rng}; {fix}")
        return
    _check_parametric(mdp, expr, lo, hi, where, fix)


def _check_parametric(mdp, expr, lo, hi, where, fix, depth=8):
    ctx = interval_context(30)
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
                v = sp.nsimplify(val) if not val.atoms(sp.Float) else val
                point_bad = bool(v < lo) or (hi is not None and bool(v > hi))
            except TypeError:
                point_bad = False
            if point_bad:
                rng = f"[{lo}, {hi}]" if hi is not None else f">= {lo}"
                raise ModelError(
                    f"{where}: value {expr} becomes {val} at {_fmt_params(mid)}, outside {rng}; {fix} "
                    "(or narrow the parameter ranges)"
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
            return
        boxes = []
        for box in undecided[:64]:
            s = max(box, key=lambda k: box[k][1] - box[k][0])
            a, b = box[s]
            m = (a + b) / 2
            boxes += [{**box, s: (a, m)}, {**box, s: (m, b)}]
    warnings.warn(
        f"{where}: could not certify that {expr} stays within its range over the parameter "
        "ranges (interval bisection was inconclusive); results may be invalid there",
        UncertifiedRangeWarning, stacklevel=3)


def _sum_is_one(mdp, total):
    if total.free_symbols:
        return sp.cancel(sp.together(total - 1)) == 0
    if total.atoms(sp.Float):
        return abs(float(total) - 1) <= mdp.tolerance
    diff = sp.nsimplify(total - 1) if not total.is_Rational else total - 1
    if diff.is_Rational:
        return diff == 0
    return sp.simplify(diff) == 0


def _state_of_pair(mdp, j):
    return mdp.states[mdp.pair_state[j]]


def validate(mdp):
    """Check an :class:`~proofcheck.model.mdp.MDP`; raise :class:`ModelError` on the first problem.

    Checks: probabilities and likelihoods in [0, 1], transition kernels, priors and the
    initial distribution summing to 1, at least one action outcome.  Warns about
    unreachable states.
    """
    fix_prob = "probabilities must lie in [0, 1]"
    for j in range(mdp.n_pairs):
        s, a = _state_of_pair(mdp, j), mdp.pair_action[j]
        _check_in_range(mdp, mdp.prior[j], 0, 1, f"state {s!r}, action {a!r}: prior", fix_prob)
        _check_in_range(mdp, mdp.likelihood[j], 0, 1, f"state {s!r}, action {a!r}: q",
                        "likelihoods q = exp(r) must lie in [0, 1], i.e. rewards r <= 0")
        lo, hi = mdp.pair_ptr[j], mdp.pair_ptr[j + 1]
        total = sp.Integer(0)
        for e in range(lo, hi):
            t = mdp.states[mdp.edge_target[e]]
            _check_in_range(mdp, mdp.edge_prob[e], 0, 1,
                            f"state {s!r}, action {a!r}: transition probability to {t!r}", fix_prob)
            total += mdp.edge_prob[e]
        if not _sum_is_one(mdp, total):
            raise ModelError(
                f"state {s!r}, action {a!r}: transition probabilities sum to {total}, not 1; "
                "make tau(. | s, a) a distribution (add the missing outcome or rescale)"
            )
    for i, s in enumerate(mdp.states):
        lo, hi = mdp.state_ptr[i], mdp.state_ptr[i + 1]
        if hi > lo:
            total = sum(mdp.prior[lo:hi], sp.Integer(0))
            if not _sum_is_one(mdp, total):
                acts = ", ".join(f"{mdp.pair_action[j]}={mdp.prior[j]}" for j in range(lo, hi))
                raise ModelError(
                    f"state {s!r}: prior sums to {total}, not 1 ({acts}); "
                    "make p(. | s) a distribution over the state's actions"
                )
        else:
            _check_in_range(mdp, mdp.success[i], 0, 1, f"state {s!r}: success", fix_prob)
        _check_in_range(mdp, mdp.initial[i], 0, 1, f"initial distribution at {s!r}", fix_prob)
    total = sum(mdp.initial, sp.Integer(0))
    if not _sum_is_one(mdp, total):
        raise ModelError(f"the initial distribution sums to {total}, not 1; make mu a distribution")
    reach = np.array([m != 0 for m in mdp.initial], dtype=bool)
    for i in range(mdp.n_states):  # topological order: predecessors come first
        if reach[i]:
            for j in range(mdp.state_ptr[i], mdp.state_ptr[i + 1]):
                reach[mdp.edge_target[mdp.pair_ptr[j]:mdp.pair_ptr[j + 1]]] = True
    if not reach.all():
        names = [mdp.states[i] for i in np.flatnonzero(~reach)]
        shown = ", ".join(map(repr, names[:6])) + (", ..." if len(names) > 6 else "")
        warnings.warn(f"model {mdp.name!r}: {len(names)} unreachable state(s): {shown}",
                      UnreachableStateWarning, stacklevel=3)
