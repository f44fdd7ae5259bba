"""Exact results reused across the cases of a parametric run and across claims.

:func:`~proofcheck.claims.parametric.run_parametric` re-runs a claim check once per case of
a case split, and T5.9, its lemmas and P5.4 all re-train and fold the same model: without
reuse a parametric verify computes the same re-training sequence dozens of times.

A computation on a model is a function of its inputs and of what its context told it: the
answers of the case in force and the claim budget's charges (both noted by
:mod:`proofcheck.exact._trace`).  :func:`memoized` records them with the result; a later
call with the same key *replays* them in order, asking the same questions of the case now
in force and charging the same steps, and returns the stored result only when every answer
is the same.  A replay therefore does exactly what recomputing would do: the same value, the
same question raising the same :class:`~proofcheck.exact.assumptions.Branch` at the same
point, the same budget charged (and exhausted with the same message).  When an answer
differs, the replay's charges are taken back and the result is computed (and stored as
one more alternative).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from proofcheck.exact._trace import Event, recorders, recording
from proofcheck.exact.budget import active_claim_budget, default_steps

__all__ = ["memoized", "memo_size", "forget_memo", "MAX_KEYS"]

#: Keys kept per model: beyond them the oldest quarter is dropped (recomputed when asked
#: again, with the same result).  A verify of a bundled case stores a few hundred; a long
#: session of sweeps on one model keyed by policy values would otherwise grow without end.
MAX_KEYS = 4096

T = TypeVar("T")

# owner (a model) -> key -> alternatives [(events, result, inputs)], dropped with the owner
_STORE: weakref.WeakKeyDictionary[Any, dict[Hashable, list[tuple[list[Event], Any, tuple]]]] = \
    weakref.WeakKeyDictionary()


def memoized(owner: Any, key: Hashable, compute: Callable[[], T], inputs: tuple = ()) -> T:
    """``compute()``, or the result of an earlier call with the same ``owner``, ``key`` and
    ``inputs`` whose recorded context answers are the same now.

    ``key`` and ``inputs`` must determine the computation given ``owner`` and the context
    answers.  ``inputs`` are objects it reads (a policy): they count by identity and are kept
    alive with the stored result, so that no other object can take over their ``id``.  The
    budget in force (``--budget`` and whether a claim budget counts) is part of every key.

    Examples
    --------
    >>> class Model:
    ...     pass
    >>> m, calls = Model(), []
    >>> def square():
    ...     calls.append(1)
    ...     return 7 ** 2
    >>> memoized(m, ("square", 7), square), memoized(m, ("square", 7), square), len(calls)
    (49, 49, 1)
    """
    table = _STORE.get(owner)
    if table is None:
        table = _STORE[owner] = {}
    identity = tuple(map(id, inputs))
    full = (key, identity, default_steps(), active_claim_budget() is not None)
    if full not in table and len(table) >= MAX_KEYS:
        for old in list(table)[:MAX_KEYS // 4]:  # insertion order: the oldest first
            del table[old]
    alternatives = table.setdefault(full, [])
    for events, result, _kept in alternatives:
        if _replay(events):
            return result  # type: ignore[no-any-return]
    with recording() as events:
        result = compute()
    alternatives.append((events, result, tuple(inputs)))
    return result


def _replay(events: list[Event]) -> bool:
    """Ask and charge ``events`` again; False (and nothing charged or noted) on a different answer."""
    budget = active_claim_budget()
    used = budget.used if budget is not None else 0
    outer = recorders()
    lengths = [len(r) for r in outer]
    for function, args, answer in events:
        if function(*args) != answer:
            if budget is not None:
                budget.used = used
            for r, n in zip(outer, lengths):
                del r[n:]
            return False
    return True


def memo_size(owner: Any) -> int:
    """How many results are stored for ``owner`` (all keys and alternatives)."""
    return sum(len(alts) for alts in _STORE.get(owner, {}).values())


def forget_memo(owner: Any) -> None:
    """Drop every result stored for ``owner``: the next call computes again (a benchmark
    times the computation, not a lookup).

    >>> class Model:
    ...     pass
    >>> m = Model()
    >>> memoized(m, "one", lambda: 1), memo_size(m)
    (1, 1)
    >>> forget_memo(m)
    >>> memo_size(m)
    0
    """
    _STORE.pop(owner, None)
