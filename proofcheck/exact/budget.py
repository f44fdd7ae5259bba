"""Work budgets: deterministic limits on exact and high-precision work.

A :class:`WorkBudget` counts *steps*, never seconds, so a verdict that runs out of budget
runs out on every machine, at every load, at the same point.  A step is one unit of the
cost model below; callers estimate the cost of an operation *before* doing it (from bit
lengths, digits and expression sizes) and :meth:`WorkBudget.spend` it, so an operation
whose cost explodes (powers of huge rationals, 10**5-digit numbers) is refused before it
starts instead of running for minutes.

Cost model (one step ~ one operation on a 64-bit word)
------------------------------------------------------
* an integer product, quotient or gcd of ``a`` and ``b`` bits: :func:`int_op_cost`;
* an interval evaluation of an expression of ``n`` nodes at ``dps`` digits:
  :func:`interval_cost`;
* anything else: one step per elementary action (a term, a node, a base).

When a budget runs out, :meth:`WorkBudget.spend` raises
:class:`proofcheck.errors.UndecidedError` with the message
``"work budget of N steps exhausted (what); --budget M would ..."``: the verdict is then
*undecided* with that reason, never wrong and never hung.

The steps a fresh budget gets come from :func:`default_steps`; ``with budget_steps(M):``
changes it for everything run inside (the CLI's ``--budget M``).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from typing import Any

import sympy as sp

from proofcheck.errors import BudgetExceeded
from proofcheck.exact._trace import note, tracing

__all__ = ["WorkBudget", "DEFAULT_STEPS", "default_steps", "budget_steps", "int_op_cost", "rational_bits", "CACHED_BITS",
           "largest_bits", "interval_cost",
           "expression_nodes", "budget_exhausted", "CLAIM_FACTOR", "claim_budget", "active_claim_budget"]

#: Steps of a fresh budget unless ``budget_steps`` says otherwise: enough for every exact
#: decision on models with 53-bit (float-derived) numbers, about a second of work.
DEFAULT_STEPS = 2_000_000

_STEPS: contextvars.ContextVar[int] = contextvars.ContextVar("proofcheck_budget_steps", default=DEFAULT_STEPS)


def default_steps() -> int:
    """The number of steps a fresh :class:`WorkBudget` gets (``DEFAULT_STEPS`` unless changed)."""
    return _STEPS.get()


@contextlib.contextmanager
def budget_steps(steps: int) -> Iterator[int]:
    """Within the block, fresh budgets get ``steps`` steps (the CLI's ``--budget``).

    Examples
    --------
    >>> with budget_steps(10):
    ...     WorkBudget().limit
    10
    >>> WorkBudget().limit == DEFAULT_STEPS
    True
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or steps <= 0:
        raise ValueError(f"a work budget of {steps!r} steps must be a positive integer")
    token = _STEPS.set(steps)
    try:
        yield steps
    finally:
        _STEPS.reset(token)


def int_op_cost(a_bits: int, b_bits: int = 0) -> int:
    """Steps of one product, quotient or gcd of integers of ``a_bits`` and ``b_bits`` bits
    (schoolbook: the product of their lengths in 64-bit words).

    >>> int_op_cost(64, 64), int_op_cost(6400, 640)
    (1, 1000)
    """
    return max(1, -(-a_bits // 64)) * max(1, -(-b_bits // 64))


#: Rationals up to this many bits may be kept in a memo of values; longer ones (a
#: float-derived model's, after re-training) are recomputed rather than held.
CACHED_BITS = 256


def rational_bits(x: Any) -> int:
    """The longer of a rational's numerator and denominator, in bits; 0 for anything else.

    The size that :func:`int_op_cost` takes: one test of what an exact operation will cost.

    >>> import sympy as sp
    >>> rational_bits(sp.Rational(-3, 1024)), rational_bits(sp.Integer(2) ** 100), rational_bits(sp.log(2))
    (11, 101, 0)
    """
    if getattr(x, "is_Rational", False):
        return max(int(x.p).bit_length(), int(x.q).bit_length())
    return 0


def largest_bits(values: Any) -> int:
    """:func:`rational_bits` of the largest rational among ``values`` and inside them (the
    coefficients and arguments of an expression such as ``J``); at least 1.

    >>> import sympy as sp
    >>> largest_bits([sp.Rational(1, 3), 5 * sp.log(sp.Rational(7, 1024)), 2])
    11
    """
    bits = 1
    for v in values:
        v = v if isinstance(v, sp.Basic) else sp.sympify(v)
        for r in (v,) if v.is_Rational else v.atoms(sp.Rational):
            bits = max(bits, rational_bits(r))
    return bits


def interval_cost(nodes: int, dps: int) -> int:
    """Steps of one interval evaluation of ``nodes`` operations at ``dps`` digits.

    >>> interval_cost(10, 30), interval_cost(10, 480)
    (10, 2560)
    """
    words = max(1, -(-dps // 30))
    return max(1, nodes) * words * words


def expression_nodes(*exprs: Any) -> int:
    """Nodes of the expression trees of ``exprs`` (SymPy expressions or numbers), each
    repeated sub-expression counted as often as it occurs, as printing or rewriting the
    expressions would visit it; the time taken grows with the distinct sub-expressions only.

    >>> import sympy
    >>> x = sympy.Symbol("x")
    >>> expression_nodes(x + 1, (x + 1) ** 2 * x, 3)  # Add x 1; Mul x Pow Add x 1 2; 3
    11
    """
    sizes: dict[int, int] = {}

    def size(e: Any) -> int:
        n = sizes.get(id(e))
        if n is None:
            n = sizes[id(e)] = 1 + sum(size(a) for a in getattr(e, "args", ()))
        return n
    return sum(size(e) for e in exprs)


def budget_exhausted(exc: BaseException) -> bool:
    """True when ``exc`` is a budget running out (its message says so)."""
    return isinstance(exc, BudgetExceeded)


class WorkBudget:
    """A deterministic allowance of work steps, spent by estimated costs.

    Parameters
    ----------
    steps : int, optional
        The allowance; default :func:`default_steps`.

    Examples
    --------
    >>> b = WorkBudget(100)
    >>> b.spend(60, "a gcd")
    >>> b.used, b.remaining
    (60, 40)
    >>> b.affords(50)
    False
    >>> b.spend(50, "a product of 4000-bit integers")
    Traceback (most recent call last):
    ...
    proofcheck.errors.BudgetExceeded: work budget of 100 steps exhausted (a product of 4000-bit integers needs 50 more, 40 left); --budget 220 would allow it
    """

    __slots__ = ("limit", "used")

    def __init__(self, steps: int | None = None) -> None:
        steps = default_steps() if steps is None else steps
        if isinstance(steps, bool) or not isinstance(steps, int) or steps <= 0:
            raise ValueError(f"a work budget of {steps!r} steps must be a positive integer")
        self.limit = steps
        self.used = 0

    @property
    def remaining(self) -> int:
        return self.limit - self.used

    def affords(self, cost: int) -> bool:
        """Whether ``cost`` more steps fit (nothing is spent)."""
        return self.used + cost <= self.limit

    def spend(self, cost: int, what: str = "exact arithmetic") -> None:
        """Spend ``cost`` steps on ``what``; UndecidedError (nothing spent) when they do not fit."""
        if self.used + cost > self.limit:
            raise BudgetExceeded(self.message(cost, what))
        self.used += cost

    def message(self, cost: int, what: str) -> str:
        """The reason given when ``cost`` steps for ``what`` do not fit."""
        need = 2 * (self.used + cost)  # room for the rest of the work, which is of the same kind
        return (f"work budget of {self.limit} steps exhausted ({what} needs {cost} more, {self.remaining} left); "
                f"--budget {need} would allow it")

    def __repr__(self) -> str:
        return f"WorkBudget({self.used}/{self.limit} steps)"


#: A claim (with its case split and repair search) may spend this many times the
#: budget of one exact decision on plain exact arithmetic, whose numbers can grow with
#: every re-training step (a BRIDGE model unrolled to 30 steps).  Measured: the bundled
#: cases spend at most 3,400 steps per claim; 10**9 steps are 10 to 20 s of big-integer
#: work on a 2020s core.
CLAIM_FACTOR = 1500

_CLAIM: contextvars.ContextVar[WorkBudget | None] = contextvars.ContextVar("proofcheck_claim_budget", default=None)


class _ClaimBudget(WorkBudget):
    __slots__ = ()

    def spend(self, cost: int, what: str = "exact arithmetic") -> None:
        super().spend(cost, what)
        if tracing():  # a memoized computation replays its charges (exact/case_memo.py)
            note(_charge_claim, (cost, what), None)

    def message(self, cost: int, what: str) -> str:
        need = -(-2 * (self.used + cost) // CLAIM_FACTOR)  # --budget counts one decision's steps
        return (f"the claim's work budget of {self.limit} steps ({CLAIM_FACTOR} x --budget) is exhausted "
                f"({what} needs {cost} more, {self.remaining} left); --budget {need} would allow it")


@contextlib.contextmanager
def claim_budget() -> Iterator[WorkBudget]:
    """Within the block, :func:`active_claim_budget` is one budget of ``CLAIM_FACTOR`` times
    :func:`default_steps` (the CLI's ``--budget`` scales it).

    Examples
    --------
    >>> with budget_steps(10), claim_budget() as b:
    ...     active_claim_budget().spend(1500, "sums of rationals")
    ...     b.used, b.limit
    (1500, 15000)
    >>> active_claim_budget() is None  # outside any claim nothing is counted
    True
    """
    budget = _ClaimBudget(default_steps() * CLAIM_FACTOR)
    token = _CLAIM.set(budget)
    try:
        yield budget
    finally:
        _CLAIM.reset(token)


def _charge_claim(cost: int, what: str) -> None:
    budget = _CLAIM.get()
    if budget is not None:
        budget.spend(cost, what)


def active_claim_budget() -> WorkBudget | None:
    """The claim budget in force, or None outside :func:`claim_budget` (then callers need
    not even estimate their costs)."""
    return _CLAIM.get()
