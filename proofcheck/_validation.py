"""Argument checks shared by every layer, with one message style: the bad value and the fix."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["did_you_mean", "did_you_mean_path", "rounding_residue"]


def did_you_mean(name: object, known: Iterable[object]) -> str:
    """``"; did you mean 'x'?"`` for the closest known name, or ``""`` when none is close.

    Parameters
    ----------
    name : object
        The name as given (compared as text).
    known : iterable
        The names it could have meant.

    Returns
    -------
    str
        A clause to append to an error message.

    Examples
    --------
    >>> did_you_mean("P5.3", ["P5.2", "T5.9"])
    "; did you mean 'P5.2'?"
    >>> did_you_mean("zzz", ["P5.2", "T5.9"])
    ''
    """
    close = difflib.get_close_matches(str(name), [str(k) for k in known], n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def did_you_mean_path(path: object) -> str:
    """:func:`did_you_mean` for a missing file: the closest name in its folder, as a path.

    Examples
    --------
    >>> did_you_mean_path("cases/mountian_race.toml")
    "; did you mean 'cases/mountain_race.toml'?"
    >>> did_you_mean_path("no/such/folder/x.toml")
    ''
    """
    import os

    folder, name = os.path.split(str(path))
    try:
        siblings = os.listdir(folder or ".")
    except OSError:
        return ""
    close = difflib.get_close_matches(name, siblings, n=1, cutoff=0.6)
    return f"; did you mean {os.path.join(folder, close[0])!r}?" if close else ""


def rounding_residue(off: float, tolerance: float, clip: str) -> str:
    """``" (off by 1.0e-12: a rounding residue? CLIP)"`` for a float probability that misses
    its range by at most ``tolerance``, else ``""``: a value left by float arithmetic (the
    ``-1e-12`` of ``1 - 0.3 - 0.7``) is named with the fix.

    >>> rounding_residue(1e-12, 1e-9, "clip it into the range"), rounding_residue(0.5, 1e-9, "clip it")
    (' (off by 1.0e-12: a rounding residue? clip it into the range)', '')
    """
    return f" (off by {off:.1e}: a rounding residue? {clip})" if off <= tolerance else ""
