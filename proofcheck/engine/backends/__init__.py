"""Number backends: one recursion, several number contexts (the mpmath pattern).

Every recursion of :mod:`proofcheck.engine` is written once against the small interface
of :class:`~proofcheck.engine.backends.base.Backend`; each number context is one module:

``exact``      :class:`ExactBackend`, SymPy numbers and expressions (parametric models).
``mpmath``     :class:`MpmathBackend` (``mpf`` at ``dps`` digits) and
               :class:`IntervalBackend` (rigorous enclosures at ``dps`` digits).
``float``      :class:`FloatBackend`, NumPy ``float64``, vectorised.
``rational``   :class:`RationalFunctionBackend`, rational functions of parameters
               (python-flint when installed, else SymPy's ``QQ.frac_field``).

:func:`get_backend` builds one from a name through the registry :data:`BACKENDS`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from proofcheck._lazy import lazy_names
from proofcheck._validation import did_you_mean
from proofcheck.engine.backends.base import Backend
from proofcheck.engine.backends.float import FloatBackend
from proofcheck.errors import BackendError

if TYPE_CHECKING:  # the same names, eagerly, for type checkers
    from proofcheck.engine.backends.exact import ExactBackend
    from proofcheck.engine.backends.mpmath import IntervalBackend, MpmathBackend
    from proofcheck.engine.backends.rational import RationalFunctionBackend

__all__ = ["Backend", "ExactBackend", "MpmathBackend", "IntervalBackend", "FloatBackend",
           "RationalFunctionBackend", "BACKENDS", "get_backend"]

#: Where the backends built on SymPy or mpmath live.  They load on first use (PEP 562): the
#: float and the rational routes (the effective horizon of a BRIDGE model) never need them,
#: and importing SymPy costs more than such a whole analysis.
_PUBLIC = {
    "proofcheck.engine.backends.exact": ["ExactBackend"],
    "proofcheck.engine.backends.mpmath": ["MpmathBackend", "IntervalBackend"],
    "proofcheck.engine.backends.rational": ["RationalFunctionBackend"],
}

__getattr__, __dir__ = lazy_names(globals(), _PUBLIC)

#: name -> factory taking the text after the colon ("" when none): "mpmath:80" -> "80"
BACKENDS: dict[str, Callable[[str], Backend]] = {}


def _digits(kind: str, digits: str) -> int:
    if not digits:
        return 50
    if not (digits.isdigit() and 5 <= int(digits) <= 10_000):
        raise BackendError(f"backend {kind}:{digits}: digits {digits!r} must be a whole number from "
                           f"5 to 10000, e.g. {kind}:50")
    return int(digits)


def _no_argument(kind: str, make: Callable[[], Backend]) -> Callable[[str], Backend]:
    def factory(arg: str) -> Backend:
        if arg:
            raise BackendError(f"backend {kind}:{arg}: {kind} takes no precision; use {kind!r}")
        return make()
    return factory


def _lazy(name: str) -> Callable[..., Backend]:
    """The backend class ``name``, imported when a factory first builds one."""
    return lambda *args, **kwargs: __getattr__(name)(*args, **kwargs)


BACKENDS.update({
    "exact": _no_argument("exact", _lazy("ExactBackend")),
    "float": _no_argument("float", FloatBackend),
    "float64": _no_argument("float64", FloatBackend),
    "mpmath": lambda arg: _lazy("MpmathBackend")(_digits("mpmath", arg)),
    "interval": lambda arg: _lazy("IntervalBackend")(_digits("interval", arg)),
    "rational": lambda arg: _lazy("RationalFunctionBackend")(impl=arg or "auto"),
})

_CACHE: dict[str, Backend] = {}


def get_backend(spec: str | Backend | None = None) -> Backend:
    """A backend from its name, through the registry :data:`BACKENDS`.

    Parameters
    ----------
    spec : str, Backend or None
        ``"exact"`` (the default, also for None), ``"float"``, ``"mpmath"``, ``"mpmath:80"``,
        ``"interval"``, ``"interval:60"``, ``"rational"`` or ``"rational:flint"``; a Backend
        is returned as it is.

    Returns
    -------
    Backend
        One shared instance per name.

    Raises
    ------
    BackendError
        For an unknown name or bad digits.

    Examples
    --------
    >>> get_backend("mpmath:30").name
    'mpmath-30'
    """
    if isinstance(spec, Backend):
        return spec
    spec = spec or "exact"
    if not isinstance(spec, str):
        raise BackendError(f"backend {spec!r} must be a name such as 'exact' or 'mpmath:50'")
    if spec not in _CACHE:
        kind, _, arg = spec.partition(":")
        if kind not in BACKENDS:
            raise BackendError(f"unknown backend {spec!r}{did_you_mean(kind, BACKENDS)}; use exact, float, "
                               "mpmath[:DIGITS], interval[:DIGITS] or rational")
        _CACHE[spec] = BACKENDS[kind](arg)
    return _CACHE[spec]
