"""What an exact computation asked of its context, for :mod:`proofcheck.exact.case_memo`.

A computation on a model depends on its inputs and on two kinds of context: the answers of
the case in force (:func:`~proofcheck.exact.assumptions.assumed_sign`,
:func:`~proofcheck.exact.assumptions.assumed_zero`) and the claim's work budget, which it
charges.  Both note each call here, as ``(function, args, answer)``, while a computation is
being recorded; calling ``function(*args)`` again replays the call.  This module imports
nothing so that both can use it.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["Event", "tracing", "note", "recording", "recorders"]

#: ``(function, args, answer)``: ``function(*args)`` gave ``answer``.
Event = tuple[Callable[..., Any], tuple[Any, ...], Any]

_RECORDERS: contextvars.ContextVar[tuple[list[Event], ...]] = contextvars.ContextVar(
    "proofcheck_trace", default=())


def tracing() -> bool:
    """Whether some computation is being recorded (callers skip :func:`note` otherwise)."""
    return bool(_RECORDERS.get())


def recorders() -> tuple[list[Event], ...]:
    """The event lists being recorded, outermost first."""
    return _RECORDERS.get()


def note(function: Callable[..., Any], args: tuple[Any, ...], answer: Any) -> None:
    """Record that ``function(*args)`` gave ``answer``, in every computation being recorded."""
    for events in _RECORDERS.get():
        events.append((function, args, answer))


@contextlib.contextmanager
def recording() -> Iterator[list[Event]]:
    """Within the block, :func:`note` also appends to the yielded list (nested blocks: to each)."""
    events: list[Event] = []
    token = _RECORDERS.set(_RECORDERS.get() + (events,))
    try:
        yield events
    finally:
        _RECORDERS.reset(token)
