"""The conventions the paper leaves open (spec sections 3, 5, 6), as explicit options.

Every verdict records the :class:`Conventions` it was computed under.  The defaults are
the paper's printed definitions; a claim that fails under them names the convention that
repairs it (:mod:`proofcheck.claims.repair`).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from numbers import Rational, Real

import sympy as sp

from proofcheck._validation import did_you_mean
from proofcheck.errors import ConventionError, ProofcheckError, UnknownConventionError
from proofcheck.model.expressions import number_text, parse_expression, rational_of_float

__all__ = ["Conventions", "check_temperature", "MAX_DELTA", "MAX_DELTA_TERMS", "IMPOSSIBLE", "FOLD_TERMS",
           "H_INDEXINGS", "OBJECTIVES"]

#: Where ``Zv_pi(s) = 0`` (success impossible from ``s``), ``G(pi)(.|s)`` is
#: ``"keep"``: ``pi(.|s)`` unchanged (the paper's authors), or ``"uniform"``.
#: The same rule applies to a Boltzmann policy at a state where every ``Zq`` is 0.
IMPOSSIBLE = ("keep", "uniform")

#: The fold term of spec section 5: ``"posterior"`` is ``pi_{k+1}(a|s)`` as printed (the
#: default), ``"ratio"`` is ``pi_{k+1}(a|s) / p(a|s)`` (0 where ``p = 0``), what the proofs need.
FOLD_TERMS = ("posterior", "ratio")

#: Indexing of the cumulative fold ``H``.  With ``h_0 = p`` and ``h_j`` the j-th
#: conditioned policy of the cumulative sequence:
#: ``"zero-is-first-conditioned"``: ``pi^H_k = h_{k+1}``;
#: ``"one-is-first-conditioned"``: ``pi^H_k = h_k`` (so ``pi^H_0 = p``, the paper's own
#: definition and the default);
#: ``"one-is-prior"``: ``pi^H_k = h_{k-1}`` (``pi^H_1 = p``).
H_INDEXINGS = {"zero-is-first-conditioned": 1, "one-is-first-conditioned": 0, "one-is-prior": -1}

#: ``"return"``: the additive return ``J``; ``"success"``: the success probability ``S``.
OBJECTIVES = ("return", "success")

ARGMAX_TIES = ("uniform", "first")
#: Bounds on ``delta`` (work, not time): ``Zq ** (1/delta)`` is computed exactly, so a
#: rational delta needs numerator and denominator at most :data:`MAX_DELTA_TERMS`, and any
#: delta (floats, ``exp(-1)``, ``sqrt(2)``) lies in ``[1/MAX_DELTA, MAX_DELTA]``.
MAX_DELTA_TERMS = 1000
MAX_DELTA = 1000


def check_temperature(value, what="conventions.delta", shown=None):
    """Raise :class:`ConventionError` unless ``value`` is a temperature within the bounds
    above.  Applied to what a user types (``[conventions] delta``, ``pi_delta[x]`` and
    ``pi_alpha[x]`` in expectations), not in :class:`Conventions` itself: the limit claims
    use smaller temperatures internally.  ``shown``: the value as the user typed it, for
    the message (a float, where ``value`` is the rational read from it)."""
    shown = _clipped(value) if shown is None else shown
    try:  # the range first: it is what a tiny or huge value breaks
        magnitude = value if value.is_Rational else sp.N(value, 15)
        inside = bool(sp.Rational(1, MAX_DELTA) <= magnitude <= MAX_DELTA)
    except (TypeError, ValueError, ArithmeticError):
        inside = False
    if not inside:
        raise ConventionError(
            f"{what} = {shown} is outside [1/{MAX_DELTA}, {MAX_DELTA}], the limit on "
            f"temperatures; use a value in that range, e.g. 1/100")
    if value.is_Rational and (abs(value.p) > MAX_DELTA_TERMS or value.q > MAX_DELTA_TERMS):
        raise ConventionError(
            f"{what} = {shown}: a rational value needs numerator and denominator of at "
            f"most {MAX_DELTA_TERMS} (it is an exponent: it bounds exact work); use e.g. 1/100")


def _clipped(value):
    """A number for a one-line message, never ``str()`` of a huge integer."""
    text = number_text(value, max_digits=30)
    return text if len(text) <= 80 else text[:77] + "..."


def _delta_value(value):
    """``delta`` as a SymPy number; strings go through the allow-listed parser (never
    ``sympify``), anything unreadable is a ConventionError."""
    if isinstance(value, sp.Float):  # arithmetic with a Float would round every exact value
        return rational_of_float(value)
    if isinstance(value, sp.Basic):
        return value
    if isinstance(value, str):
        try:
            return parse_expression(value, {}, where="conventions.delta")
        except ProofcheckError as exc:
            raise ConventionError(str(exc)) from None
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ConventionError(f"conventions.delta = {value!r} must be a positive number, e.g. 1 or 1/2")
    if not isinstance(value, Rational):  # a float of any precision (Python, NumPy)
        if not math.isfinite(value):
            raise ConventionError(f"conventions.delta = {value!r} must be a positive number, e.g. 1 or 1/2")
        return rational_of_float(value)
    return sp.sympify(value)


@dataclass(frozen=True)
class Conventions:
    """Conventions for one verification run.

    Parameters
    ----------
    impossible : {"keep", "uniform"}
        Rule where conditioning on success is impossible (``Zv = 0``).
    fold_term : {"posterior", "ratio"}
        Fold term of the sequences ``F`` and ``H``; default ``"posterior"``, as printed.
    h_indexing : str
        One of :data:`H_INDEXINGS`; default ``"one-is-first-conditioned"`` (``pi^H_0 = p``,
        as the paper defines ``H``).
    delta : sympy.Rational
        Boltzmann temperature for ``kappa_delta`` and iterated coherence.
    argmax_ties : {"uniform", "first"}
        Tie rule of the argmax f-soft policy.
    objectives : tuple
        Objectives under which optimality and return claims are judged.
    k_max : int
        Claims "for all k" are checked for ``k = 0..k_max`` and say so.
    """

    impossible: str = "keep"
    fold_term: str = "posterior"  # as printed (spec section 5)
    h_indexing: str = "one-is-first-conditioned"  # the paper's pi^H_0 = p
    delta: object = sp.Integer(1)
    argmax_ties: str = "uniform"
    objectives: tuple = OBJECTIVES
    k_max: int = 10

    def __new__(cls, *args: object, **kwargs: object) -> Conventions:
        # the generated __init__ names a misspelt keyword with no suggestion
        names = [f.name for f in fields(cls)]
        for key in kwargs:
            if key not in names:
                raise UnknownConventionError(f"Conventions: unknown convention {key!r}{did_you_mean(key, names)}; "
                                             f"the conventions are {', '.join(names)}")
        return super().__new__(cls)

    def __post_init__(self):
        self._check("impossible", IMPOSSIBLE)
        self._check("fold_term", FOLD_TERMS)
        self._check("h_indexing", tuple(H_INDEXINGS))
        self._check("argmax_ties", ARGMAX_TIES)
        objs = tuple(self.objectives) if not isinstance(self.objectives, str) else (self.objectives,)
        for o in objs:
            if o not in OBJECTIVES:
                raise ConventionError(f"conventions.objectives: unknown objective {o!r}{did_you_mean(o, OBJECTIVES)}; "
                                      f"use {list(OBJECTIVES)}")
        object.__setattr__(self, "objectives", objs)
        delta = _delta_value(self.delta)
        if not (delta.is_number and delta.is_positive and delta.is_finite):
            raise ConventionError(f"conventions.delta = {self.delta!r} must be a positive number, e.g. 1 or 1/2")
        object.__setattr__(self, "delta", delta)
        if isinstance(self.k_max, bool) or not isinstance(self.k_max, int) or not 1 <= self.k_max <= 1000:
            raise ConventionError(f"conventions.k_max = {self.k_max!r} must be an integer in 1..1000")

    def _check(self, name, allowed):
        value = getattr(self, name)
        if value not in allowed:
            raise ConventionError(
                f"conventions.{name} = {value!r} is not one of {list(allowed)}{did_you_mean(value, allowed)}; "
                "pick one of those")

    @property
    def h_offset(self):
        return H_INDEXINGS[self.h_indexing]

    def replace(self, **changes):
        return replace(self, **changes)

    def as_dict(self):
        d = asdict(self)
        d["delta"] = str(self.delta)
        d["objectives"] = list(self.objectives)
        return d

    @classmethod
    def field_names(cls):
        return [f.name for f in fields(cls)]
