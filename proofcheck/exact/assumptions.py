"""The case-split context of a parametric claim run.

A claim check on a parametric model compares values that depend on the parameter; the
answer differs between regions of its range.  :func:`proofcheck.claims.parametric.run_parametric`
runs the check once per region ("case").  The case in force is explicit context, entered
with :func:`assuming` and read by the two hooks below, which the exact sign
(:func:`proofcheck.exact.sign.exact_sign`), the exact backend's zero test and the claims'
equality test call just before giving up on a sign.  Outside a run the hooks return None
and nothing changes: a check written for numbers needs no parametric code at all.

A question the current case does not decide raises :class:`Branch` (a ``BaseException``,
so that no ``except Exception`` inside a check swallows it); the driver then re-runs the
check once per answer.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from proofcheck.errors import UndecidedError
from proofcheck.exact._trace import note, tracing
from proofcheck.exact.conditions import Condition, conjunction, parametric_condition
from proofcheck.exact.constant_sign import constant_sign
from proofcheck.exact.regions import Region
from proofcheck.exact.symbols import free_symbols

__all__ = ["CaseRun", "Branch", "UndefinedCase", "UNDEFINED", "assuming", "assumed_sign",
           "assumed_zero", "condition_memo", "parameter_ranges"]

_STATE: contextvars.ContextVar[CaseRun | None] = contextvars.ContextVar(
    "proofcheck_parametric_case", default=None)
_REL = {1: ">", 0: "==", -1: "<"}


class Branch(BaseException):
    """A sign the current case does not decide: the driver splits on it.  A BaseException
    so that no ``except Exception`` inside a check swallows it."""

    def __init__(self, expr, cases):
        # the expression, printed only if ever shown (str() of the exception gives the same
        # text): the driver catches every Branch, and printing one cost milliseconds
        super().__init__(expr)
        self.expr, self.cases = expr, cases


@dataclass
class CaseRun:
    """The parameters, the decisions taken so far, their joint condition and a memo of derived conditions."""

    parameters: dict
    decisions: dict
    cond: object
    memo: dict
    #: answers the case implies without a decision (or None: not derivable), asked again
    #: and again within one run (zero tests of the same value): worked out once
    implied: dict = field(default_factory=dict)


UNDEFINED = "undefined"

# derived conditions per parameter ranges, shared by every run (claims ask of the same
# values); cleared when large, so a long session of many models does not grow without end
_CONDITIONS: dict = {}
_CONDITIONS_LIMIT = 1 << 16


def condition_memo(parameters: dict) -> dict:
    """The memo of derived conditions (``(expr, relation) -> Condition``) for ``parameters``,
    shared by every parametric run over the same ranges."""
    if sum(len(m) for m in _CONDITIONS.values()) > _CONDITIONS_LIMIT:
        _CONDITIONS.clear()
    key = tuple(sorted(((str(s), s, tuple(r)) for s, r in parameters.items()), key=lambda t: t[0]))
    return _CONDITIONS.setdefault(key, {})


class UndefinedCase(BaseException):
    """The current case is a region where a compared value is undefined (a pole, a log
    of a non-positive number)."""


@contextlib.contextmanager
def assuming(run: CaseRun) -> Iterator[CaseRun]:
    """Make ``run`` the case in force for the hooks below while the block runs."""
    token = _STATE.set(run)
    try:
        yield run
    finally:
        _STATE.reset(token)


def _remainder(run, conds, expr):
    """The part of the current case that none of ``conds`` covers (where ``expr`` is
    undefined), as a Condition, or None."""
    c0 = conds[0]
    base = run.cond.region if run.cond is not None else Region.from_sympy(c0.domain)
    rest = base - Region.union(c.region for c in conds)
    if not rest:
        return None
    pts = rest.points() if rest.is_points() else []
    inside = next((t for t in pts if t.is_Rational), None)
    return Condition(f"{expr} undefined", c0.symbol, c0.domain, rest, witness_inside=inside,
                     candidates=[t for t in pts if t.is_Rational])


def _condition(run, expr, rel):
    """``expr <rel> 0`` as a Condition on the run's parameters (derived once: the memo is
    shared by every run over the same ranges)."""
    key = (expr, rel)
    if key not in run.memo:
        run.memo[key] = parametric_condition(expr, rel, 0, run.parameters)
    return run.memo[key]


def _cases(run, expr, rels):
    """``[(decision, Condition)]`` for the outcomes ``rels`` (decision -> relation) of a
    question about ``expr`` compatible with the current case, plus the region where
    ``expr`` is undefined; None when a condition cannot be derived."""
    out, conds = [], []
    for decision, rel in rels:
        c = _condition(run, expr, rel)
        if not c.derived:
            return None
        conds.append(c)
        new = c if run.cond is None else conjunction([run.cond, c])
        if new.region:
            out.append((decision, new))
    rest = _remainder(run, conds, expr)
    if rest is not None:
        out.append((UNDEFINED, rest))
    return out


def _decide(st, key, expr, rels):
    if key in st.decisions:
        if st.decisions[key] == UNDEFINED:
            raise UndefinedCase()
        return st.decisions[key]
    if key in st.implied:
        answer = st.implied[key]
    else:
        cases = _cases(st, expr, rels)
        if cases is not None and len(cases) > 1:
            raise Branch(key, cases)
        # one case: implied by the decisions taken so far; None: not derivable as a
        # condition, but a case that is one point may still fix the sign there
        answer = st.implied[key] = _point_decision(st, expr, rels) if cases is None else cases[0][0]
    if answer == UNDEFINED:
        raise UndefinedCase()
    return answer


_HOLDS = {">": lambda s: s > 0, "==": lambda s: s == 0, "<": lambda s: s < 0, "!=": lambda s: s != 0}


def _point_decision(run, expr, rels):
    """The decision (of ``rels``) that the sign of ``expr`` takes at the one algebraic point
    the case is, certified by interval enclosures of the value there
    (:func:`~proofcheck.exact.constant_sign.constant_sign`); None for a case that is not
    one irrational point, or a sign not certified.  Signs of log forms such as returns cannot be
    solved as conditions on the parameter, but at a point they are numbers."""
    cond = run.cond
    if cond is None or not cond.derived or not cond.region.is_points():
        return None
    points = cond.region.points()
    (x,) = free_symbols(expr)
    if len(points) != 1 or cond.symbol != x or points[0].is_Rational:
        # a rational point is decided on the model with the parameter substituted, whose
        # evidence shows the numbers there (claims/parametric.py); an algebraic one cannot be
        return None
    key = (expr, "at the point")
    if key not in run.implied:
        value = expr.xreplace({x: points[0]})
        sign = None
        if not value.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
            try:
                sign = constant_sign(value)
            except UndecidedError:
                pass
        run.implied[key] = sign
    sign = run.implied[key]
    if sign is None:
        return None
    return next(decision for decision, rel in rels if _HOLDS[rel](sign))


def _active(expr):
    st = _STATE.get()
    if st is None:
        return None, None
    expr = sp.sympify(expr)
    syms = free_symbols(expr)
    if len(syms) != 1 or not syms <= set(st.parameters):
        return None, None
    return st, expr


def parameter_ranges() -> dict | None:
    """The declared ranges ``{symbol: (low, high)}`` of the run in force, or None outside one.

    They are fixed for the whole run, so an answer derived from them alone is the same in
    every case (nothing for a memoized computation to replay)."""
    st = _STATE.get()
    return None if st is None else st.parameters


def assumed_sign(expr: Any) -> int | None:
    """The sign of a parametric ``expr`` in the current case of :func:`~proofcheck.claims.parametric.run_parametric`.

    Returns None outside such a run, for an expression in several parameters or one
    whose sign condition cannot be derived (the caller then raises its UndecidedError).
    Exact signs and the claims' equality tests call this hook just before giving up.
    """
    answer = _sign_in_case(expr)
    if tracing():  # a memoized computation replays its questions (exact/case_memo.py)
        note(assumed_sign, (expr,), answer)
    return answer


def _sign_in_case(expr):
    st, expr = _active(expr)
    if st is None:
        return None
    return _decide(st, expr, expr, [(s, r) for s, r in _REL.items()])


def assumed_zero(expr: Any) -> bool | None:
    """Whether a parametric ``expr`` is 0 in the current case of :func:`~proofcheck.claims.parametric.run_parametric`.

    Zero tests decide conventions (``0 * log 0 = 0``, ``Zv = 0`` keeps the policy), so a
    value that vanishes somewhere in the range (``1 - p`` at ``p = 1``) splits the run
    into the cases "= 0" and "!= 0".  None outside a run or when undecidable.
    """
    answer = _zero_in_case(expr)
    if tracing():
        note(assumed_zero, (expr,), answer)
    return answer


def _zero_in_case(expr):
    st, expr = _active(expr)
    if st is None:
        return None
    key = (expr, "zero")
    if key not in st.decisions:  # the common case: no root in the range, no split
        eq = _condition(st, expr, "==")
        if not eq.derived:
            return _point_decision(st, expr, [(True, "=="), (False, "!=")])
        if not eq.region and not eq.undefined:
            return False
    return _decide(st, key, expr, [(True, "=="), (False, "!=")])


