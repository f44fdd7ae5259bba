"""The effective horizon of Laidlaw, Russell & Dragan (NeurIPS 2023, arXiv:2304.09853).

Spec section 9.  Deterministic finite-horizon MDPs, ``A`` actions (the largest action
count of any state when counts differ), rewards ``R(s, a)`` of any sign, time-indexed
values ``Q_t(s, a)``, ``t = 0 .. T-1``.

* The model is first *time-expanded* (:class:`TimeExpandedMDP`): layer ``t`` holds the
  states reachable in exactly ``t`` steps from the initial state(s); an action either
  moves to a state of layer ``t + 1`` or ends the episode (``next = -1``).  Cyclic tabular
  MDPs (BRIDGE, :mod:`proofcheck.io.bridge`) are unrolled this way over ``T`` steps,
  DAG case-file MDPs by depth.  Values after the horizon or after the end are 0.
* ``Q^rand`` (uniform random policy), ``Q*`` and ``Q^worst`` by one backward pass.
* k-QVI: ``Q^1 = Q^rand``, ``Q^{i+1}_t(s,a) = R(s,a) + max_a' Q^i_{t+1}(s',a')``.  The MDP is
  k-QVI-solvable iff at every ``(t, s)`` reached by following *every* ``Q^k``-greedy action
  from the initial states, every ``Q^k``-greedy action is optimal (attains ``max_a Q*``).
  ``min_k`` is the least such ``k``; the *effective planning window* is the same test
  started from ``Q^1 = R``.  Both are at most ``T`` (``Q^T = Q*``).
* Theorem 5.4 bound (spec section 9 as corrected: the rule of the authors' reference
  code).  For each ``k``, start at the initial state and, at every reached ``(t, s)``,
  follow *every* action ``a`` with ``Q^k_t(s,a) > max_{a' not optimal} Q^k_t(s,a')`` (all
  actions when every action is optimal), not only the greedy ones.  At each reached state::

      gap   = max_a Q^k_t(s,a) - max_{a not optimal} Q^k_t(s,a)      (+inf if all optimal)
      m(s)  = max(1, ceil(16 * max(0, max_a sigma2_{k,t}(s,a)) / gap^2 * ln(2 T A^k)))

  with ``sigma2_{1,t} = (Q^rand - Q^worst)(Q* - Q^worst)`` and
  ``sigma2_{k+1,t}(s,a) = max_a' sigma2_{k,t+1}(s',a')`` (0 after the end).  A zero gap at
  any reached state means ``k`` fails (no bound); otherwise ``m_k <= max_s m(s)`` and
  ``H_k <= k + log_A(m_k bound)``.  ``T`` is the horizon the model was unrolled over (its
  ``nominal_horizon`` when set, as for BRIDGE, else its number of layers).  ``k`` runs
  ``1, 2, ...`` while ``k`` is below the best ``H`` so far (``H_k >= k``: larger ``k``
  cannot improve it); ``H = min_k`` of the bounds, at most ``T`` (``k = T`` gives ``m = 1``).
  This is the *bound-based* effective horizon, an upper bound on the true ``H``.
  :meth:`EffectiveHorizon.reference_results` lists ``ks``, ``ms``, ``gaps``, ``vars`` and
  ``effective_horizon`` exactly as the reference code stores them
  (``consolidated_analyzed.json``), including its loop ``while k < H`` (started at ``T``)
  and its choice of the state reported per ``k`` (the first maximal ``m`` in Julia's
  column-major order: lowest state index, then earliest time).

Exactness.  Every recursion is written once against :class:`~proofcheck.engine.backends.Backend`.
With ``backend="exact"`` ties are settled exactly: models whose rewards are all rational
(every BRIDGE model: a float32 is a dyadic rational) run on :class:`RationalBackend`
(Python :class:`fractions.Fraction`, vectorised with NumPy object arrays, the ceilings of
the bound certified by interval arithmetic since ``ln(2 T A^k)`` is transcendental);
models with ``log`` rewards (case files) on SymPy (:func:`~proofcheck.exact.sign.exact_sign`
decides the sign of log-linear forms such as ``log(3/4) - log(2/3)/2``).  With
``tolerance=x`` an action counts as optimal when ``Q*(s,a) >= V*(s) - x``: this mimics the
reference code (``REWARD_PRECISION = 1e-4``), which also compares ``Q^k`` values exactly
(greedy sets and the zero-gap test).  The float backend is vectorised per layer
throughout.

Rewards ``-inf`` (``log 0`` in case files) are handled in the extended reals: ``max``,
``+`` and the mean are well defined (no ``+inf`` ever occurs).  For the bound,
``sigma2_1 = 0`` where ``Q* = -inf`` (the return is surely ``-inf``) and ``+inf`` where
``Q^rand = -inf < Q*`` (the random return is ``-inf`` with positive probability: its
variance is unbounded); ``Delta = +inf`` (every non-optimal action has ``Q^k = -inf``) makes
a finite ``sigma2`` term 0, and an infinite ``sigma2`` makes the term ``+inf`` (the bound is
void, ``m_k bound = inf``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeAlias, TypeGuard, cast

import numpy as np

from proofcheck.engine.backends import get_backend
from proofcheck.engine.backends.base import Backend, BackendLike, Offsets, Scalar, _obj
from proofcheck.errors import ModelError, UndecidedError
from proofcheck.model.time_expanded import Layer, TimeExpandedMDP, tabular_problem, time_expand

if TYPE_CHECKING:
    import sympy as sp

    from proofcheck.engine.backends.mpmath import _MpmathFamily
    from proofcheck.model.mdp import MDP

# SymPy and mpmath are imported inside the functions that need them: the exact rational
# route (every BRIDGE model) computes on Python ints and Fractions, and importing SymPy
# costs more than that whole analysis (``proofcheck horizon`` on a BRIDGE sample)

__all__ = ["HorizonValues", "RationalBackend", "ScaledIntBackend", "resolve_backend",
           "horizon_values", "qvi_sequence", "solvability", "min_k", "planning_window",
           "HBound", "KResult", "EffectiveHorizon", "effective_horizon", "cross_check",
           "nominal_horizon", "Layer", "TimeExpandedMDP", "tabular_problem", "time_expand"]


# ----------------------------------------------------------------------------- backends

class RationalBackend(Backend):
    """Exact rational arithmetic for models whose rewards are all rational numbers.

    Numbers are :class:`fractions.Fraction` in NumPy object arrays; sums, maxima and
    comparisons are vectorised (``np.add.reduceat``, ``np.maximum.reduceat``, elementwise
    ``>``), every result is exact.  ``inf`` is the float infinity (it only ever appears
    as a sentinel, never as a value: rational models have finite rewards).

    Examples
    --------
    >>> import sympy as sp
    >>> B = RationalBackend()
    >>> q = B.array([sp.Rational(1, 3), sp.Rational(2, 3), sp.Rational(2, 3)])
    >>> B.segment_argmax(q, np.array([0]), np.array([3])).tolist()
    [False, True, True]
    """

    name = "exact-rational"
    exact = True
    vectorised = True

    @property
    def inf(self) -> Scalar:
        return math.inf

    @property
    def zero(self) -> Scalar:
        return Fraction(0)

    @property
    def one(self) -> Scalar:
        return Fraction(1)

    def _convert(self, value: Any) -> Scalar:
        if isinstance(value, Fraction):
            return value
        if isinstance(value, (int, np.integer)):
            return Fraction(int(value))
        import sympy as sp

        v = sp.sympify(value)
        if v == sp.oo:
            return math.inf
        if v == -sp.oo:
            return -math.inf
        if not v.is_Rational:
            raise ModelError(f"value {v} is not rational; the rational backend needs rational rewards "
                             "(use the SymPy exact backend)")
        return Fraction(int(v.p), int(v.q))

    def array(self, values: Collection[Any]) -> np.ndarray:
        return _obj([self._convert(v) for v in values])

    def from_floats(self, values: Collection[Any]) -> np.ndarray:
        return _obj([Fraction(float(v)) for v in values])

    def _is_zero(self, x: Scalar) -> bool:
        return x == 0

    def _sign(self, x: Scalar) -> int:
        return (x > 0) - (x < 0)

    def _log(self, x: Scalar) -> Scalar:  # pragma: no cover - not needed by the effective horizon
        raise ModelError("the rational backend has no logarithm")

    _exp = _log

    def _pow(self, x: Scalar, y: Any) -> Scalar:  # pragma: no cover - not needed by the effective horizon
        raise ModelError("the rational backend has no logarithm")

    def compare(self, a: Scalar, b: Scalar) -> int:
        return (a > b) - (a < b)

    def segment_max(self, values: np.ndarray, starts: Offsets, ends: Offsets) -> np.ndarray:
        return np.maximum.reduceat(values, starts) if len(starts) else values[:0]

    def segment_argmax(self, values: np.ndarray, starts: Offsets, ends: Offsets) -> np.ndarray:
        if not len(starts):
            return np.zeros(len(values), dtype=bool)
        mx = self.segment_max(values, starts, ends)
        owner = np.repeat(np.arange(len(starts)), np.asarray(ends) - np.asarray(starts))
        return (values == mx[owner]).astype(bool)

    def to_sympy(self, x: Scalar) -> sp.Expr:
        import sympy as sp

        if isinstance(x, float):
            return sp.oo if x > 0 else -sp.oo
        return sp.Rational(x.numerator, x.denominator)

    def describe(self) -> str:
        return "exact (rational arithmetic, Python fractions; ties settled exactly)"


_RATIONAL = RationalBackend()

#: A model :func:`effective_horizon` and friends accept: time-expanded, or a case-file MDP.
ProblemLike: TypeAlias = "TimeExpandedMDP | MDP"

#: A witness ``(t, state, action)`` of a greedy but non-optimal action.
Witness: TypeAlias = "tuple[int, Hashable, Hashable]"

#: A reached state ``(t, state)``.
StateAt: TypeAlias = "tuple[int, Hashable]"


class ScaledIntBackend(RationalBackend):
    """Exact rationals on one common denominator ``D``: a value ``x`` is the Python int ``x * D``.

    For a time-expanded model with rational rewards, every value of the recursions here
    (``Q^rand``, ``Q*``, ``Q^worst``, ``Q^k``) is a multiple of ``1 / D`` with
    ``D = lcm(reward denominators) * lcm(action counts)^T`` (the mean over ``c`` actions
    divides by ``c`` once per layer), so sums, maxima, comparisons and the means are integer
    operations: exact, and about a hundred times faster than :class:`fractions.Fraction`.
    Products (``sigma2``) carry the scale ``D^2``; the engine only compares them, and takes
    the scale-free ratio ``sigma2 / gap^2``.

    Examples
    --------
    >>> import numpy as np
    >>> P = tabular_problem(np.array([[-1, -1]]), np.array([[0.5, 0.25]]), 1)
    >>> B = ScaledIntBackend.for_problem(P)
    >>> B.scale, P.rewards(B)[0].tolist(), B.to_sympy(P.rewards(B)[0][1])
    (8, [4, 2], 1/4)
    """

    vectorised = True
    scaled = True

    def __init__(self, scale: int) -> None:
        self.scale = int(scale)

    @classmethod
    def for_problem(cls, P: TimeExpandedMDP) -> ScaledIntBackend:
        """The backend for ``P``: ``D = lcm(reward denominators) * lcm(action counts)^T``.

        Parameters
        ----------
        P : TimeExpandedMDP
            With rational rewards (Fractions or SymPy rationals).

        Returns
        -------
        ScaledIntBackend
        """
        den, cnt = 1, 1
        for L in P.layers:
            for v in set(L.reward_values):
                den = math.lcm(den, int(v.denominator))
            for c in set(int(c) for c in L.counts):
                cnt = math.lcm(cnt, c)
        return cls(den * cnt ** P.horizon)

    @property
    def key(self) -> str:
        return f"scaled-int:{self.scale}"

    @property
    def zero(self) -> Scalar:
        return 0

    @property
    def one(self) -> Scalar:
        return self.scale

    def _convert(self, value: Any) -> Scalar:
        if isinstance(value, (int, Fraction)) and not isinstance(value, bool):  # tabular rewards
            if (value.numerator * self.scale) % value.denominator:
                raise ModelError(f"value {value} is not a multiple of 1/{self.scale}")
            return value.numerator * (self.scale // value.denominator)
        import sympy as sp

        v = sp.sympify(value)
        if v == sp.oo:
            return math.inf
        if v == -sp.oo:
            return -math.inf
        if not v.is_Rational or (v.p * self.scale) % v.q:
            raise ModelError(f"value {v} is not a multiple of 1/{self.scale}")
        return int(v.p) * (self.scale // int(v.q))

    def from_floats(self, values: Collection[Any]) -> np.ndarray:
        import sympy as sp

        return self.array([sp.Rational(float(v)) for v in values])

    def mean(self, sums: np.ndarray, counts: np.ndarray | Sequence[int]) -> np.ndarray:
        """Exact means ``sums[i] / counts[i]`` (integers on the common denominator).

        Parameters
        ----------
        sums : ndarray
            Segment sums, in this backend's numbers.
        counts : int array or list
            The segment lengths.

        Returns
        -------
        ndarray
        """
        counts = np.asarray(counts, dtype=np.int64)
        out = _obj([int(a) // int(c) for a, c in zip(sums, counts)])
        if any(int(a) % int(c) for a, c in zip(sums, counts)):  # pragma: no cover - by construction
            raise ModelError("internal error: a mean is not a multiple of the common denominator")
        return out

    def tolerance(self, tol: float) -> int:
        """``floor(tol * D)``: for integers ``q, v``, ``q >= v - tol*D`` iff ``q >= v - floor(tol*D)``.

        Parameters
        ----------
        tol : float
            Read exactly through its decimal ``str``.

        Returns
        -------
        int
        """
        r = _decimal(tol)
        return int(r.numerator * self.scale // r.denominator)

    def to_sympy(self, x: Scalar) -> sp.Expr:
        import sympy as sp

        if isinstance(x, float):
            return sp.oo if x > 0 else -sp.oo
        return sp.Rational(int(x), self.scale)

    def to_fraction(self, x: Scalar, scale: int | None = None) -> Fraction | float:
        """A value (scale ``D``, or ``scale``) as a Fraction, ``+-inf`` as floats.

        Parameters
        ----------
        x : int or float
        scale : int, optional
            ``D`` by default; ``D ** 2`` for products.

        Returns
        -------
        Fraction or float
        """
        return x if isinstance(x, float) else Fraction(int(x), scale or self.scale)

    def product_to_sympy(self, x: Scalar) -> sp.Expr:
        """A product of two values (scale ``D^2``) as a SymPy number.

        Parameters
        ----------
        x : int or float
            ``+-inf`` as floats.

        Returns
        -------
        sympy.Expr
        """
        import sympy as sp

        if isinstance(x, float):
            return sp.oo if x > 0 else -sp.oo
        return sp.Rational(int(x), self.scale ** 2)

    def describe(self) -> str:
        return "exact (rational arithmetic on a common denominator; ties settled exactly)"


def _is_scaled(B: Backend) -> TypeGuard[ScaledIntBackend]:
    """Whether ``B`` computes on scaled integers (:class:`ScaledIntBackend`)."""
    return bool(getattr(B, "scaled", False))


def _is_rational_problem(P: TimeExpandedMDP) -> bool:
    return all(isinstance(v, Fraction) or getattr(v, "is_Rational", False) for L in P.layers
               for v in L.reward_values)


def _decimal(x: float) -> Fraction:
    """The exact value of ``x``'s decimal ``str`` (``1e-4`` is 1/10000, not its binary float)."""
    if not math.isfinite(x):
        raise ModelError(f"tolerance {x} must be a finite number, e.g. 1e-4")
    return Fraction(str(x))


def resolve_backend(problem: ProblemLike, backend: BackendLike = "exact") -> Backend:
    """The backend to run ``problem`` on: ``"exact"`` becomes :class:`RationalBackend`
    when every reward is rational (fast, still exact), SymPy otherwise.
    (:func:`effective_horizon` goes one step further and computes on
    :class:`ScaledIntBackend`, exposing its values as fractions.)

    Parameters
    ----------
    problem : TimeExpandedMDP or MDP
    backend : str or Backend, optional
        ``"exact"`` (default) or None, ``"exact-rational"``, or any registry name.

    Returns
    -------
    Backend
    """
    if backend is None or backend == "exact":
        P = problem if isinstance(problem, TimeExpandedMDP) else None
        if P is not None and _is_rational_problem(P):
            return _RATIONAL
        return get_backend("exact")
    if backend == "exact-rational":
        return _RATIONAL
    return get_backend(backend)


def _vectorised(B: Backend) -> bool:
    return getattr(B, "vectorised", False) or B.dtype is not object


def nominal_horizon(P: TimeExpandedMDP) -> int:
    """``T`` of the bound: the horizon the model was unrolled over (BRIDGE problems carry
    it as ``nominal_horizon``; a time-expanded case file has one layer per step).

    Parameters
    ----------
    P : TimeExpandedMDP

    Returns
    -------
    int
    """
    return int(getattr(P, "nominal_horizon", None) or P.horizon)


# ----------------------------------------------------------------------------- helpers

def _gather(B: Backend, L: Layer, v_next: np.ndarray | None) -> np.ndarray:
    """``V_{t+1}(next(s, a))`` per pair, 0 where the episode ends."""
    out = B.zeros(len(L.next))
    if v_next is not None:
        alive = L.next >= 0
        out[alive] = v_next[L.next[alive]]
    return out


def _segments(L: Layer, states: Offsets | None = None) -> tuple[np.ndarray, np.ndarray]:
    if states is None:
        return L.ptr[:-1], L.ptr[1:]
    states = np.asarray(states, dtype=np.int64)
    return L.ptr[states], L.ptr[states + 1]


def _owner(L: Layer) -> np.ndarray:
    return np.repeat(np.arange(L.n_states), L.counts)


def _uniform_actions(P: TimeExpandedMDP) -> list[int]:
    """Per layer, ``A`` when every state of the layer has ``A`` actions (its pairs then form
    an ``(n, A)`` block: maxima and masks work on 2-D views, no ``reduceat``), else 0.
    Cached on the problem."""
    cached: list[int] | None = getattr(P, "_uniform_actions", None)
    if cached is None or len(cached) != len(P.layers):
        cached = []
        for L in P.layers:
            n = L.n_states
            A = int(L.ptr[1] - L.ptr[0]) if n else 0
            ok = A > 0 and np.array_equal(L.ptr, np.arange(0, A * n + 1, A))
            cached.append(A if ok else 0)
        P._uniform_actions = cached  # type: ignore[attr-defined]
    return cached


def _stacked(P: TimeExpandedMDP) -> tuple[int, np.ndarray, np.ndarray] | None:
    """``(A, off, nxt)`` when every layer has ``A`` actions per state: the layers' states
    stacked (layer ``t`` is ``off[t]:off[t+1]``) and each pair's successor as a stacked
    index (``-1`` = the end); None otherwise.  Cached on the problem."""
    cached: Any = getattr(P, "_stacked_layout", False)
    if cached is False:
        uniform = _uniform_actions(P)
        cached = None
        if uniform and all(a == uniform[0] for a in uniform):
            off = np.concatenate([[0], np.cumsum([L.n_states for L in P.layers])]).astype(np.int64)
            nxt = np.concatenate([np.where(L.next >= 0, L.next + off[t + 1], -1)
                                  for t, L in enumerate(P.layers)]).astype(np.int64)
            cached = (uniform[0], off, nxt)
        P._stacked_layout = cached  # type: ignore[attr-defined]
    return cached


def _rowmax(B: Backend, x: np.ndarray) -> np.ndarray:
    """Row maxima of an ``(n, A)`` block (exact for the vectorised exact backends)."""
    return x.max(axis=1) if x.shape[0] else x[:, 0]


def _layer_max(B: Backend, P: TimeExpandedMDP, t: int, x: np.ndarray) -> np.ndarray:
    """``max_a x(s, a)`` per state of layer ``t`` (a row maximum on uniform layers)."""
    A = _uniform_actions(P)[t] if _vectorised(B) else 0
    if A:
        return _rowmax(B, x.reshape(-1, A))
    return B.segment_max(x, *_segments(P.layers[t]))


def _subset_pairs(L: Layer, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pair indices of the states ``idx`` and their local segment starts/ends."""
    lo, hi = L.ptr[idx], L.ptr[idx + 1]
    cnt = hi - lo
    local = np.concatenate([[0], np.cumsum(cnt)])
    pairs = np.repeat(lo - local[:-1], cnt) + np.arange(local[-1])
    return pairs, local[:-1], local[1:]


def _sign_vec(B: Backend, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise sign of ``a - b`` (exact in exact backends)."""
    if _vectorised(B):
        gt = np.asarray(np.greater(a, b), dtype=bool)
        lt = np.asarray(np.less(a, b), dtype=bool)
        return gt.astype(np.int8) - lt.astype(np.int8)
    return np.array([B.compare(x, y) for x, y in zip(a, b)], dtype=np.int8)


def _tol(B: Backend, tolerance: float | None) -> Scalar | None:
    if tolerance is None:
        return None
    if _is_scaled(B):
        return B.tolerance(tolerance)
    return B.scalar(_decimal(tolerance))


# ----------------------------------------------------------------------------- values

@dataclass
class HorizonValues:
    """``Q^rand``, ``Q*``, ``Q^worst`` (lists over layers of pair arrays), their state values,
    and ``optimal[t]``: the mask of optimal pairs (exact ties, or within ``tolerance``)."""

    problem: TimeExpandedMDP
    q_rand: list[np.ndarray]
    q_star: list[np.ndarray]
    q_worst: list[np.ndarray]
    v_rand: list[np.ndarray]
    v_star: list[np.ndarray]
    v_worst: list[np.ndarray]
    optimal: list[np.ndarray]
    backend: Backend
    tolerance: float | None = None

    def exact(self, name: str, t: int) -> list[sp.Expr]:
        """The values ``name`` (``"q_rand"``, ``"v_star"``, ...) of layer ``t`` as SymPy numbers
        (the exact backends store them scaled or as fractions).

        Parameters
        ----------
        name : str
            A field name: ``"q_rand"``, ``"q_star"``, ``"q_worst"``, ``"v_rand"``, ...
        t : int
            The layer.

        Returns
        -------
        list of sympy.Expr
        """
        return [self.backend.to_sympy(x) for x in getattr(self, name)[t]]


def horizon_values(problem: ProblemLike, backend: BackendLike = "exact", *,
                   tolerance: float | None = None) -> HorizonValues:
    """One backward pass for ``Q^rand``, ``Q*`` and ``Q^worst``.

    Parameters
    ----------
    problem : TimeExpandedMDP or MDP
        A case-file MDP is time-expanded first.
    backend : str or Backend, optional
        See :func:`resolve_backend`.
    tolerance : float, optional
        An action is optimal when ``Q* >= V* - tolerance``; None: exact ties.

    Returns
    -------
    HorizonValues

    Examples
    --------
    >>> from proofcheck.examples import mountain_race
    >>> hv = horizon_values(time_expand(mountain_race()))
    >>> list(hv.q_rand[0]), list(hv.q_star[0])
    ([-oo, log(3/4)], [0, log(3/4)])
    """
    P = problem if isinstance(problem, TimeExpandedMDP) else time_expand(problem)
    B = resolve_backend(P, backend)
    R = P.rewards(B)
    T = P.horizon
    per_layer: list[list[Any]] = [[None] * T for _ in range(7)]
    qr, qs, qw, vr, vs, vw, opt = per_layer
    tol = _tol(B, tolerance)
    nxt: tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None] = (None, None, None)
    for t in reversed(range(T)):
        L = P.layers[t]
        starts, ends = _segments(L)
        qr[t] = R[t] + _gather(B, L, nxt[0])
        qs[t] = R[t] + _gather(B, L, nxt[1])
        qw[t] = R[t] + _gather(B, L, nxt[2])
        vs[t] = _layer_max(B, P, t, qs[t])
        vw[t] = -_layer_max(B, P, t, -qw[t])
        if _is_scaled(B):
            vr[t] = B.mean(B.segment_sum(qr[t], starts), L.counts)
        else:
            vr[t] = B.segment_sum(qr[t], starts) / B.array([int(c) for c in L.counts])
        opt[t] = _optimal_mask(B, L, qs[t], vs[t], tol)
        nxt = (vr[t], vs[t], vw[t])
    return HorizonValues(P, qr, qs, qw, vr, vs, vw, opt, B, tolerance)


def _optimal_mask(B: Backend, L: Layer, q: np.ndarray, v: np.ndarray, tol: Scalar | None) -> np.ndarray:
    starts, ends = _segments(L)
    if tol is None:
        return B.segment_argmax(q, starts, ends)
    return _sign_vec(B, q, v[_owner(L)] - tol) >= 0


def qvi_sequence(values: HorizonValues, k_max: int | None = None, *,
                 start: str = "rand") -> Iterator[list[np.ndarray]]:
    """Yield ``Q^1, Q^2, ..., Q^{k_max}`` (each a list over layers) of k-QVI.

    ``start="rand"``: ``Q^1 = Q^rand`` (min_k); ``start="reward"``: ``Q^1 = R`` (the
    planning window).  ``k_max`` defaults to ``T``.

    Parameters
    ----------
    values : HorizonValues
    k_max : int, optional
        The last ``k`` (default ``T``).
    start : {"rand", "reward"}
        ``Q^1``.

    Yields
    ------
    list of ndarray
        ``Q^k`` over pairs, one array per layer.
    """
    P, B = values.problem, values.backend
    R = P.rewards(B)
    T = P.horizon
    k_max = T if k_max is None else k_max
    if start == "rand":
        Q = list(values.q_rand)
    elif start == "reward":
        Q = [r.copy() for r in R]
    else:
        raise ValueError(f"start {start!r} must be 'rand' or 'reward'")
    for k in range(1, k_max + 1):
        yield Q
        if k == k_max:
            return
        new: list[np.ndarray] = []
        for t in range(T):
            L = P.layers[t]
            v1 = _layer_max(B, P, t + 1, Q[t + 1]) if t + 1 < T else None
            new.append(R[t] + _gather(B, L, v1))
        Q = new


def _argmax_on(B: Backend, L: Layer, q: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Mask of the maximal pairs of the states ``idx`` (exact ties), False elsewhere."""
    pairs, lo, hi = _subset_pairs(L, idx)
    sub = B.segment_argmax(q[pairs], lo, hi)
    mask = np.zeros(len(q), dtype=bool)
    mask[pairs[sub]] = True
    return mask


@dataclass
class Solvability:
    """Result of the k-QVI test: ``solvable``, the states reached greedily per layer, and
    the first witness ``(t, state, action)`` of a greedy but non-optimal action."""

    solvable: bool
    reached: list[np.ndarray]
    greedy: list[np.ndarray]
    witness: Witness | None = None


def solvability(values: HorizonValues, Q: list[np.ndarray], *,
                stop_at_failure: bool = True) -> Solvability:
    """Test greedy-on-``Q`` against optimality at every greedily reachable ``(t, s)``.

    Parameters
    ----------
    values : HorizonValues
    Q : list of ndarray
        ``Q^k`` over pairs, one array per layer (see :func:`qvi_sequence`).
    stop_at_failure : bool
        Return at the first greedy but non-optimal action.

    Returns
    -------
    Solvability
    """
    P, B = values.problem, values.backend
    T = P.horizon
    layout = _stacked(P) if _vectorised(B) else None
    if layout is not None:
        return _solvability_stacked(values, Q, stop_at_failure, layout)
    reached = [np.zeros(L.n_states, dtype=bool) for L in P.layers]
    greedy = [np.zeros(len(L.next), dtype=bool) for L in P.layers]
    reached[0][:] = True
    witness = None
    fast = _vectorised(B)
    uniform = _uniform_actions(P)
    for t in range(T):
        L = P.layers[t]
        idx = np.flatnonzero(reached[t])
        if len(idx) == 0:
            break
        A = uniform[t] if fast else 0
        if A:
            q2 = Q[t].reshape(-1, A)[idx]
            mask = greedy[t]
            mask.reshape(-1, A)[idx] = np.asarray(q2 == _rowmax(B, q2)[:, None], dtype=bool)
        else:
            mask = _argmax_on(B, L, Q[t], idx)
            greedy[t] = mask
        bad = mask & ~values.optimal[t]
        if bad.any() and witness is None:
            j = int(np.flatnonzero(bad)[0])
            s = int(np.searchsorted(L.ptr, j, side="right") - 1)
            witness = (t, L.states[s], L.actions[j])
            if stop_at_failure:
                return Solvability(False, reached, greedy, witness)
        if t + 1 < T:
            nxt = L.next[mask]
            reached[t + 1][nxt[nxt >= 0]] = True
    return Solvability(witness is None, reached, greedy, witness)


def _solvability_stacked(values: HorizonValues, Q: list[np.ndarray], stop_at_failure: bool,
                         layout: tuple[int, np.ndarray, np.ndarray]) -> Solvability:
    """:func:`solvability` on the stacked layout: greedy masks of all layers at once, only
    the reach propagation per layer (same results, same partial lists on a failure)."""
    P, B = values.problem, values.backend
    A, off, nxt = layout
    T = P.horizon
    q2 = np.concatenate(Q).reshape(-1, A)
    gr = np.asarray(q2 == _rowmax(B, q2)[:, None], dtype=bool)
    badpair = gr & ~np.concatenate(values.optimal).reshape(-1, A)
    badrow = badpair.any(axis=1)
    nxt2 = nxt.reshape(-1, A)
    reached = np.zeros(int(off[-1]), dtype=bool)
    reached[off[0]:off[1]] = True
    witness: Witness | None = None
    last = -1  # the last layer processed
    for t in range(T):
        lo, hi = int(off[t]), int(off[t + 1])
        r = reached[lo:hi]
        if not r.any():
            break
        last = t
        bad = badrow[lo:hi] & r
        if witness is None and bad.any():
            i = int(np.argmax(bad))
            a = int(np.argmax(badpair[lo + i]))
            witness = (t, P.layers[t].states[i], P.layers[t].actions[i * A + a])
            if stop_at_failure:
                break
        if t + 1 < T:
            succ = nxt2[lo:hi][r][gr[lo:hi][r]]
            reached[succ[succ >= 0]] = True
    reached_l = [reached[off[t]:off[t + 1]].copy() for t in range(T)]
    greedy_l = [(gr[off[t]:off[t + 1]] & reached_l[t][:, None]).ravel() if t <= last
                else np.zeros(len(P.layers[t].next), dtype=bool) for t in range(T)]
    return Solvability(witness is None, reached_l, greedy_l, witness)


def min_k(values: HorizonValues, k_max: int | None = None) -> int | None:
    """The least ``k`` for which the MDP is k-QVI-solvable (``Q^1 = Q^rand``).

    Parameters
    ----------
    values : HorizonValues
    k_max : int, optional
        The largest ``k`` tried (default ``T``).

    Returns
    -------
    int or None
        None when no ``k <= k_max`` passes.

    Examples
    --------
    >>> from proofcheck.examples import mountain_race
    >>> min_k(horizon_values(time_expand(mountain_race())))
    2
    """
    for k, Q in enumerate(qvi_sequence(values, k_max), start=1):
        if solvability(values, Q).solvable:
            return k
    return None


def planning_window(values: HorizonValues, k_max: int | None = None) -> int | None:
    """The effective planning window: the least ``k`` with ``Q^1 = R`` that passes the test.

    Parameters
    ----------
    values : HorizonValues
    k_max : int, optional
        The largest ``k`` tried (default ``T``).

    Returns
    -------
    int or None
        None when no ``k <= k_max`` passes.

    Examples
    --------
    >>> from proofcheck.examples import mountain_race
    >>> planning_window(horizon_values(time_expand(mountain_race())))  # R ties up/down at the start
    2
    """
    for k, Q in enumerate(qvi_sequence(values, k_max, start="reward"), start=1):
        if solvability(values, Q).solvable:
            return k
    return None


# ----------------------------------------------------------------------------- the bound

def _sigma2_one(B: Backend, qr: np.ndarray, qs: np.ndarray, qw: np.ndarray) -> np.ndarray:
    """``(Q^rand - Q^worst)(Q* - Q^worst)``, clamped at 0, with the conventions for ``-inf``."""
    if _vectorised(B) and B.dtype is not object:
        with np.errstate(invalid="ignore"):
            out = (qr - qw) * (qs - qw)
        out = np.where(qr == -np.inf, np.inf, out)
        out = np.where(qs == -np.inf, 0.0, out)
        return np.maximum(out, 0.0)
    if _vectorised(B):  # rational: finite numbers only (scaled backend: scale D^2)
        out = (qr - qw) * (qs - qw)
        return _obj([x if x > 0 else B.zero for x in out])
    ninf = -B.inf

    def f(r: Scalar, s: Scalar, w: Scalar) -> Scalar:
        if B.compare(s, ninf) == 0:
            return B.zero  # the return is surely -inf: no spread
        if B.compare(r, ninf) == 0:
            return B.inf   # -inf with positive probability: unbounded variance
        v = (r - w) * (s - w)
        return v if B.compare(v, B.zero) > 0 else B.zero
    return B.map(f, qr, qs, qw)


def _ceil(B: Backend, x: Scalar) -> int | float:
    """``ceil(x)`` as a Python int (``math.inf`` for ``+inf``); certified in the exact backend."""
    if B.compare(x, B.inf) == 0:
        return math.inf
    if hasattr(x, "a") and hasattr(x, "b"):  # an interval: certified or undecided
        import mpmath

        lo, hi = int(mpmath.ceil(x.a)), int(mpmath.ceil(x.b))
        if lo != hi:
            raise UndecidedError(f"ceil of the interval {x} is not determined (between {lo} and {hi})")
        return lo
    if not B.exact:
        return int(math.ceil(x)) if B.dtype is not object else int(cast("_MpmathFamily", B).ctx.ceil(x))
    import sympy as sp  # the SymPy backend's numbers (the rational route never gets here)

    from proofcheck.exact.sign import exact_sign

    n = int(sp.floor(sp.N(x, 30)))
    for _ in range(4):  # the 30-digit guess is off by at most one near an integer
        lo, hi = exact_sign(x - n), exact_sign(x - (n + 1))
        if lo > 0 and hi <= 0:
            return n + 1
        if lo <= 0:
            n -= 1
        else:
            n += 1
    raise UndecidedError(f"could not certify ceil({x})")


def _ceil_rational_log(r: Fraction, X: int) -> int:
    """Certified ``ceil(16 r ln X)`` for a rational ``r >= 0`` and an integer ``X >= 2``
    (never an integer unless ``r = 0``: ``ln X`` is transcendental)."""
    if r == 0:
        return 0
    # float first: 16 r ln X is then known to a few ulps (r and ln X correctly rounded or
    # within one ulp); far from an integer that decides the ceiling, only near-ties go exact
    v = 16.0 * float(r) * math.log(X)
    if 1.0 <= v < 2.0 ** 40:
        c = math.ceil(v)
        if min(c - v, v - (c - 1)) > 1e-9 * v:
            return c
    import mpmath

    dps = 30 + len(str(r.numerator)) + len(str(r.denominator))
    for _ in range(6):
        with mpmath.workdps(dps):
            v = mpmath.iv.mpf(16 * r.numerator) / r.denominator * mpmath.iv.log(X)
            lo, hi = int(mpmath.ceil(v.a)), int(mpmath.ceil(v.b))
        if lo == hi:
            return lo
        dps *= 2
    raise UndecidedError(f"could not certify ceil(16 * {r} * ln {X})")  # pragma: no cover


class _Terms:
    """``m(s) = max(1, ceil(16 * ratio * ln X))`` per state, computed exactly where it matters."""

    def __init__(self, B: Backend, X: int) -> None:
        self.B, self.X = B, X
        self.logterm: float | None = None if B.dtype is object else 16.0 * math.log(X)

    def ratio(self, smax: np.ndarray, gap: np.ndarray) -> np.ndarray:
        B = self.B
        if B.dtype is not object:
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.where(smax == 0, 0.0, np.where(np.isinf(gap), np.where(np.isinf(smax), np.inf, 0.0),
                                                         smax / (gap * gap)))
        out = []
        for s, g in zip(smax, gap):
            if B.compare(s, B.inf) == 0:
                out.append(B.inf)
            elif B._is_zero(s) or B.compare(g, B.inf) == 0:
                out.append(B.zero)
            else:
                out.append(s / (g * g))
        return _obj(out)

    def ceil(self, r: Scalar) -> int | float:
        B = self.B
        if B.dtype is not object:
            assert self.logterm is not None  # set whenever dtype is not object
            return math.inf if r == np.inf else max(1, int(math.ceil(r * self.logterm)))
        if B.compare(r, B.inf) == 0:
            return math.inf
        if isinstance(r, (Fraction, int)):
            return max(1, _ceil_rational_log(Fraction(r), self.X))
        import sympy as sp

        term = B.scalar(sp.Integer(16) * sp.log(sp.Integer(self.X))) * r
        return max(1, _ceil(B, term))

    def approx(self, r: Scalar) -> float:
        B = self.B
        if B.dtype is not object:
            assert self.logterm is not None  # set whenever dtype is not object
            return r * self.logterm
        if B.compare(r, B.inf) == 0:
            return math.inf
        x = float(r) if isinstance(r, Fraction) else float(B.to_sympy(r))
        return x * 16.0 * math.log(self.X)


@dataclass
class _BoundState:
    t: int
    index: int
    state: Hashable
    gap: Scalar
    var: Scalar
    ratio: Scalar


#: Per layer of :func:`_bound_for_k`: ``(t, idx, gap, smax, ratio)`` of the reached states.
_Row: TypeAlias = "tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]"

#: What :func:`_bound_for_k` returns: ``(ok, m, where, zero_at, n_reached)``.
_BoundResult: TypeAlias = "tuple[bool, int | float | None, _BoundState | None, StateAt | None, int]"


def _gt(B: Backend, a: np.ndarray, b: Scalar) -> np.ndarray:
    """Elementwise ``a > b`` as a bool array (exact in the exact backends)."""
    if _vectorised(B):
        return np.asarray(np.greater(a, b), dtype=bool)
    return _sign_vec(B, a, b) > 0


def _exact_ratio(s: Scalar, g: Scalar) -> Fraction:
    """``s / g^2`` as a Fraction (0 when ``s = 0``; 0 for an infinite gap)."""
    if s == 0 or (isinstance(g, float) and math.isinf(g)):
        return Fraction(0)
    return Fraction(s) / (Fraction(g) ** 2)


def _approx_ratio(s: Scalar, g: Scalar) -> float:
    """``s / g^2`` as a float (correctly rounded for integers, also beyond 1e308)."""
    if s == 0 or (isinstance(g, float) and math.isinf(g)):
        return 0.0
    if isinstance(s, int) and isinstance(g, int):
        return s / (g * g)
    s, g = Fraction(s), Fraction(g)
    return (s.numerator * g.denominator ** 2) / (s.denominator * g.numerator ** 2)


def _finish_fast(P: TimeExpandedMDP, B: Backend, terms: _Terms, rows: list[_Row],
                 n_reached: int) -> _BoundResult:
    """Largest ``m`` and the state the reference reports, for exact rational backends: float
    approximations of the ratios decide everything except near-ties, which are settled
    exactly (rationals; ``ln X`` by certified interval arithmetic)."""
    rel = 1e-9
    amax = max(float(np.max(r[4])) for r in rows)
    best: tuple[Fraction, int, int] | None = None
    for t, _idx, gap, smax, ratio in rows:
        for c in np.flatnonzero(ratio >= amax * (1 - rel)):
            r = _exact_ratio(smax[c], gap[c])
            if best is None or r > best[0]:
                best = (r, t, int(c))
    assert best is not None  # the largest float ratio is among the candidates
    M = max(1, _ceil_rational_log(best[0], terms.X))
    theta = (M - 1) / (16 * math.log(terms.X))
    tied: list[tuple[int, int]] = []
    for t, idx, gap, smax, ratio in rows:
        sel: Iterable[Any]
        if M == 1:
            sel = range(len(idx))
        else:
            sure = np.flatnonzero(ratio > theta * (1 + rel))
            near = np.flatnonzero((ratio >= theta * (1 - rel)) & (ratio <= theta * (1 + rel)))
            sel = list(sure) + [i for i in near
                                if max(1, _ceil_rational_log(_exact_ratio(smax[i], gap[i]), terms.X)) == M]
        tied.extend((t, int(i)) for i in sel)
    layer_of = {r[0]: r for r in rows}
    key: Callable[[tuple[int, int]], tuple[int, int]]
    if all(isinstance(s_, (int, np.integer)) for s_ in P.layers[0].states):
        key = lambda ti: (int(P.layers[ti[0]].states[layer_of[ti[0]][1][ti[1]]]), ti[0])
    else:
        key = lambda ti: ti
    t, i = min(tied, key=key)
    _, idx, gap, smax, ratio = layer_of[t]
    where = _BoundState(t, int(idx[i]), P.layers[t].states[idx[i]], gap[i], smax[i],
                        _exact_ratio(smax[i], gap[i]))
    return True, M, where, None, n_reached


def _bound_for_k(values: HorizonValues, k: int, Q: list[np.ndarray], sigma: list[np.ndarray],
                 terms: _Terms) -> _BoundResult:
    """The corrected Theorem 5.4 rule for one ``k``: ``(ok, m, argmax _BoundState, witness,
    number of reached states)``.  Vectorised per layer; ``m(s)`` is computed exactly only for
    the largest ratio and for the states whose ``m`` is close to it."""
    P, B = values.problem, values.backend
    T = P.horizon
    layout = _stacked(P) if _vectorised(B) else None
    if layout is not None:
        res = _bound_rows_stacked(values, Q, sigma, terms, layout)
        if isinstance(res, tuple) and len(res) == 5 and res[0] is False:
            return res
        stacked_rows, stacked_n = res
        if B.dtype is object:
            return _finish_fast(P, B, terms, stacked_rows, stacked_n)
        return _finish_rows(P, B, terms, stacked_rows, stacked_n)
    reached = [np.zeros(L.n_states, dtype=bool) for L in P.layers]
    reached[0][:] = True
    rows: list[_Row] = []  # per layer: (t, idx, gap, smax, ratio) of the reached states
    n_reached = 0
    ninf = -B.inf
    exact_obj = B.dtype is object
    vec = _vectorised(B)
    uniform = _uniform_actions(P)
    for t in range(T):
        L = P.layers[t]
        idx = np.flatnonzero(reached[t])
        if len(idx) == 0:
            break
        n_reached += len(idx)
        A = uniform[t] if vec else 0
        if A:  # every state has A actions: (n, A) views of the reached states
            q2 = Q[t].reshape(-1, A)[idx]
            opt2 = values.optimal[t].reshape(-1, A)[idx]
            qmax = _rowmax(B, q2)
            has_sub = np.asarray(~opt2.all(axis=1))
            qsub = _rowmax(B, np.where(opt2, ninf, q2))
            follow2 = ~has_sub[:, None] | _gt(B, q2, qsub[:, None])
            smax = _rowmax(B, sigma[t].reshape(-1, A)[idx])
            succ = L.next.reshape(-1, A)[idx][follow2]
        else:
            pairs, lo, hi = _subset_pairs(L, idx)
            q, opt, sg = Q[t][pairs], values.optimal[t][pairs], sigma[t][pairs]
            qmax = B.segment_max(q, lo, hi)
            has_sub = np.logical_or.reduceat(~opt, lo)
            qsub = B.segment_max(B.where(opt, ninf, q), lo, hi)
            local_owner = np.repeat(np.arange(len(idx)), hi - lo)
            follow = ~has_sub[local_owner] | _gt(B, q, qsub[local_owner])
            smax = B.segment_max(sg, lo, hi)
            succ = L.next[pairs[follow]]
        gap = B.full(len(idx), B.inf)
        fast = exact_obj and _vectorised(B)  # exact rationals: float approximations + exact checks
        ratio = np.zeros(len(idx)) if fast else B.full(len(idx), B.zero)
        if has_sub.any():
            sub = np.flatnonzero(has_sub)
            zero = _sign_vec(B, qmax[sub], qsub[sub]) == 0
            if zero.any():
                i = int(sub[np.flatnonzero(zero)[0]])
                return False, None, None, (t, L.states[idx[i]]), n_reached
            gap[sub] = qmax[sub] - qsub[sub]
            if exact_obj and not _vectorised(B):  # Q^k = -inf for every non-optimal action
                gap = _obj([B.inf if B.compare(g, B.inf) == 0 else g for g in gap])
            if fast:
                ratio[sub] = [_approx_ratio(a, g) for a, g in zip(smax[sub], gap[sub])]
            else:
                ratio[sub] = terms.ratio(smax[sub], gap[sub])
        rows.append((t, idx, gap, smax, ratio))
        if t + 1 < T:
            reached[t + 1][succ[succ >= 0]] = True
    if exact_obj and _vectorised(B):
        return _finish_fast(P, B, terms, rows, n_reached)
    return _finish_rows(P, B, terms, rows, n_reached)


def _bound_rows_stacked(values: HorizonValues, Q: list[np.ndarray], sigma: list[np.ndarray],
                        terms: _Terms, layout: tuple[int, np.ndarray, np.ndarray]) -> Any:
    """:func:`_bound_for_k` on the stacked layout (vectorised backends, ``A`` actions at every
    state): every per-state quantity in one pass over all layers, only the reach
    propagation per layer.  Returns ``(rows, n_reached)`` or a failed :data:`_BoundResult`."""
    P, B = values.problem, values.backend
    A, off, nxt = layout
    T = P.horizon
    q2 = np.concatenate(Q).reshape(-1, A)
    o2 = np.concatenate(values.optimal).reshape(-1, A)
    qmax = _rowmax(B, q2)
    has_sub = np.asarray(~o2.all(axis=1))
    qsub = _rowmax(B, np.where(o2, -B.inf, q2))
    follow = ~has_sub[:, None] | _gt(B, q2, qsub[:, None])
    smax = _rowmax(B, np.concatenate(sigma).reshape(-1, A))
    nxt2 = nxt.reshape(-1, A)
    reached = np.zeros(int(off[-1]), dtype=bool)
    reached[off[0]:off[1]] = True
    for t in range(T - 1):
        lo, hi = int(off[t]), int(off[t + 1])
        r = reached[lo:hi]
        if not r.any():
            break
        succ = nxt2[lo:hi][r][follow[lo:hi][r]]
        reached[succ[succ >= 0]] = True
    g = np.flatnonzero(reached)  # stacked indices of the reached states, by t then position
    sub = has_sub[g]
    zero = sub & np.asarray(qmax[g] == qsub[g], dtype=bool)
    bounds = np.searchsorted(g, off)
    if zero.any():
        j = int(g[int(np.argmax(zero))])
        t = int(np.searchsorted(off, j, side="right") - 1)
        return False, None, None, (t, P.layers[t].states[j - int(off[t])]), int(bounds[t + 1])
    gap = B.full(len(g), B.inf)
    ws = np.flatnonzero(sub)
    gs = g[ws]
    gap[ws] = qmax[gs] - qsub[gs]
    sm = smax[g]
    if B.dtype is object:  # exact rationals: float approximations + exact checks
        ratio = np.zeros(len(g))
        ratio[ws] = [_approx_ratio(a, b) for a, b in zip(sm[ws], gap[ws])]
    else:
        ratio = B.full(len(g), B.zero)
        ratio[ws] = terms.ratio(sm[ws], gap[ws])
    rows: list[_Row] = []
    for t in range(T):
        a, b = int(bounds[t]), int(bounds[t + 1])
        if a == b:
            break
        rows.append((t, g[a:b] - off[t], gap[a:b], sm[a:b], ratio[a:b]))
    return rows, len(g)


def _finish_rows(P: TimeExpandedMDP, B: Backend, terms: _Terms, rows: list[_Row],
                 n_reached: int) -> _BoundResult:
    """Largest ``m`` and the state the reference reports, with ``B``'s own comparisons."""
    # the largest ratio gives the largest m (exact comparisons)
    best: tuple[Scalar, int, int] | None = None
    for t, _idx, _gap, _smax, ratio in rows:
        if B.dtype is not object:
            i = int(np.argmax(ratio))
        else:
            i = 0
            for j in range(1, len(ratio)):
                if B.compare(ratio[j], ratio[i]) > 0:
                    i = j
        if best is None or B.compare(ratio[i], best[0]) > 0:
            best = (ratio[i], t, i)
    assert best is not None, "no reached state"  # layer 0 is always reached
    M = terms.ceil(best[0])
    # the reference reports the first maximal m in Julia's column-major order
    # (state index, then time): collect the states whose m equals M
    tied: list[tuple[int, int]] = []  # (t, position in the layer's reached list)
    for t, idx, _gap, _smax, ratio in rows:
        sel: Iterable[Any]
        if M == 1:
            sel = np.arange(len(idx))
        elif M == math.inf:
            sel = np.flatnonzero([B.compare(r, B.inf) == 0 for r in ratio])
        elif B.dtype is not object:
            assert terms.logterm is not None  # set whenever dtype is not object
            with np.errstate(invalid="ignore"):
                m = np.maximum(1.0, np.ceil(ratio * terms.logterm))
            sel = np.flatnonzero(m == M)
        else:
            sel = np.array([i for i in range(len(ratio)) if terms.ceil(ratio[i]) == M], dtype=np.int64)
        for pos in sel:
            tied.append((t, int(pos)))
    layer_of = {r[0]: r for r in rows}
    ints = all(isinstance(s_, (int, np.integer)) for s_ in P.layers[0].states)
    key: Callable[[tuple[int, int]], tuple[int, int]]
    if ints:
        key = lambda ti: (int(P.layers[ti[0]].states[layer_of[ti[0]][1][ti[1]]]), ti[0])
    else:
        key = lambda ti: ti
    t, i = min(tied, key=key) if tied else (best[1], best[2])
    _, idx, gap, smax, ratio = layer_of[t]
    where = _BoundState(t, int(idx[i]), P.layers[t].states[idx[i]], gap[i], smax[i], ratio[i])
    return True, M, where, None, n_reached


def _unscale(hv: HorizonValues) -> HorizonValues:
    """A :class:`HorizonValues` on :class:`ScaledIntBackend` as one on :class:`RationalBackend`."""
    B = cast(ScaledIntBackend, hv.backend)

    def conv(arrays: list[np.ndarray]) -> list[np.ndarray]:
        return [_obj([x if isinstance(x, float) else Fraction(int(x), B.scale) for x in arr])
                for arr in arrays]
    return HorizonValues(hv.problem, conv(hv.q_rand), conv(hv.q_star), conv(hv.q_worst),
                         conv(hv.v_rand), conv(hv.v_star), conv(hv.v_worst),
                         hv.optimal, _RATIONAL, hv.tolerance)


def _reported(B: Backend, x: Scalar, product: bool = False) -> Scalar:
    """A value as :class:`KResult` reports it: a Fraction on the rational backends (``+-inf``
    as floats), a SymPy number on the other exact and multi-precision ones, else as it is.
    ``product``: a product of two values (scale ``D ** 2`` on scaled integers)."""
    if _is_scaled(B):
        return B.to_fraction(x, B.scale ** 2 if product else None)
    if isinstance(B, RationalBackend) or B.dtype is not object:
        return x
    return B.to_sympy(x)


def _exact_str(B: Backend, x: Scalar) -> str:
    """``str(B.to_sympy(x))``, without SymPy on the rational backends."""
    if isinstance(B, RationalBackend):
        x = B.to_fraction(x) if _is_scaled(B) else x
        if not isinstance(x, float):
            return str(x)  # a Fraction prints as SymPy prints the same rational
        return "oo" if x > 0 else "-oo"
    return str(B.to_sympy(x))


#: Relative distance below which :class:`HBound` leaves printing to SymPy (a near tie of
#: the two terms, or a value near a rounding midpoint): far above any float rounding error
#: (about 1e-16) and hardly ever met otherwise.
_NEAR = 1e-12


@dataclass(frozen=True)
class HBound:
    """The Theorem 5.4 bound ``H_k <= k + log_A m`` of one ``k``, exactly.

    :attr:`expr` is the SymPy expression, built on first use; ``str`` and :meth:`fixed`
    give what SymPy prints for it without importing SymPy (its import costs more than a
    whole BRIDGE analysis) except in near ties, ``float`` is SymPy's value of it.

    Examples
    --------
    >>> b = HBound(1, 5307, 3)
    >>> str(b), b.fixed(4), b.expr
    ('1 + log(5307)/log(3)', '8.8069', 1 + log(5307)/log(3))
    >>> str(HBound(1, 2, 3)), str(HBound(8, 1, 3)), str(HBound(2, math.inf, 3))
    ('log(2)/log(3) + 1', '8', 'oo')
    """

    k: int
    m: int | float  #: ``math.inf`` when the bound is void
    A: int

    @cached_property
    def expr(self) -> sp.Expr:
        """The bound as a SymPy expression (``oo`` when void)."""
        import sympy as sp

        if self.m == math.inf:
            return sp.oo
        if self.m == 1 or self.A == 1:
            return sp.Integer(self.k)
        return sp.Integer(self.k) + sp.log(self.m) / sp.log(self.A)

    def _integer(self) -> int | None:
        """The bound when SymPy makes it an integer (``m = 1``, ``A = 1``, ``m = A``), else None."""
        if self.m == 1 or self.A == 1:
            return self.k
        if self.m == self.A:
            return self.k + 1
        return None

    def __str__(self) -> str:
        if self.m == math.inf:
            return "oo"
        n = self._integer()
        if n is not None:
            return str(n)
        r = math.log(self.m) / math.log(self.A)
        if abs(r - self.k) <= _NEAR * self.k:
            # SymPy orders the terms by their float values: in a near tie (m = A^k) its
            # rounding decides, and its own order breaks an exact one
            return str(self.expr)
        term = f"log({self.m})/log({self.A})"
        return f"{term} + {self.k}" if r < self.k else f"{self.k} + {term}"

    def __float__(self) -> float:
        if self.m == math.inf:
            return math.inf
        n = self._integer()
        return float(n) if n is not None else float(self.expr)

    def fixed(self, digits: int) -> str:
        """``f"{float(self):.{digits}f}"``, without SymPy unless the value is within rounding
        error of a midpoint between two printed values.

        Parameters
        ----------
        digits : int

        Returns
        -------
        str
        """
        if self.m == math.inf:
            return f"{math.inf:.{digits}f}"
        n = self._integer()
        if n is not None:
            return f"{float(n):.{digits}f}"
        # within a few ulp of SymPy's float: both print alike unless a midpoint lies between
        v = self.k + math.log(self.m) / math.log(self.A)
        scaled = v * 10.0 ** digits
        if abs(scaled - math.floor(scaled) - 0.5) <= _NEAR * scaled:
            return f"{float(self):.{digits}f}"
        return f"{v:.{digits}f}"


@dataclass
class KResult:
    """One ``k``: k-QVI solvability (greedy, with a witness when it fails), the corrected
    Theorem 5.4 rule (``bound_ok``; ``bound_witness`` names a reached state with a zero gap),
    the bound on ``m_k`` (``None`` when not solvable, ``math.inf`` when void or when the rule
    fails), the bound ``H_k <= k + log_A m_k`` (:attr:`bound`; :attr:`h_bound` in SymPy), the
    state attaining the bound with its ``gap`` and ``var`` (as the reference code reports
    them: exact, as Fractions on rational models)."""

    k: int
    solvable: bool
    witness: Witness | None
    m_bound: int | float | None
    bound: HBound | None
    argmax_state: StateAt | None = None
    reached: int = 0
    bound_ok: bool = False
    bound_witness: StateAt | None = None
    gap: Scalar = None
    var: Scalar = None

    @property
    def h_bound(self) -> sp.Expr | None:
        """The bound ``H_k <= k + log_A m_k`` (SymPy, exact; ``oo`` when void), None when not solvable."""
        return None if self.bound is None else self.bound.expr

    def as_dict(self) -> dict[str, Any]:
        """The result as JSON-ready values (states as strings, numbers as float, int or ``"inf"``).

        Returns
        -------
        dict
        """
        return {"k": self.k, "solvable": self.solvable,
                "witness": None if self.witness is None else [str(x) for x in self.witness],
                "bound_ok": self.bound_ok,
                "zero_gap_at": None if self.bound_witness is None else [str(x) for x in self.bound_witness],
                "m_bound": _jsonnum(self.m_bound), "H_bound": _bound_json(self.bound),
                "H_bound_exact": None if self.bound is None else str(self.bound),
                "argmax_state": None if self.argmax_state is None else [str(x) for x in self.argmax_state],
                "gap": _jsonnum(self.gap), "var": _jsonnum(self.var),
                "reached_states": self.reached}


def _jsonnum(x: Any) -> bool | int | float | str | None:
    if x is None:
        return None
    if isinstance(x, bool):
        return x
    if x == math.inf:  # also SymPy's oo and mpmath's inf
        return "inf"
    if isinstance(x, (int, np.integer)):
        return int(x)
    return float(x)


def _bound_json(b: HBound | None) -> float | str | None:
    if b is None:
        return None
    return "inf" if b.m == math.inf else float(b)


@dataclass
class EffectiveHorizon:
    """All effective-horizon quantities of one problem in one backend."""

    problem: TimeExpandedMDP
    raw_values: HorizonValues
    min_k: int | None
    planning_window: int | None
    per_k: list[KResult]
    bound: HBound | None  #: the least bound over ``k`` (at ``k = H_k``)
    H_k: int | None
    backend: Backend
    tolerance: float | None = None
    T: int = 0

    @property
    def H(self) -> sp.Expr | None:
        """The bound-based effective horizon ``min_k (k + log_A m_k)`` (SymPy, exact)."""
        return None if self.bound is None else self.bound.expr

    @property
    def values(self) -> HorizonValues:
        """The horizon values as numbers (fractions when computed on scaled integers)."""
        if getattr(self.raw_values.backend, "scaled", False):
            cached: HorizonValues | None = getattr(self, "_values_cache", None)
            if cached is None:
                cached = self._values_cache = _unscale(self.raw_values)
            return cached
        return self.raw_values

    @property
    def H_float(self) -> float:
        """``H`` as a float (``math.inf`` when there is no finite bound)."""
        return math.inf if self.bound is None else float(self.bound)

    def reference_results(self) -> dict[str, Any]:
        """``ks``, ``ms``, ``gaps``, ``vars`` and ``effective_horizon`` as the reference code
        stores them (``effective_horizon_results``): its loop runs ``k = 1, 2, ...`` while
        ``k`` is below the running ``H`` (started at ``T``) and keeps the ``k`` without a zero
        gap; gaps of ``+inf`` are ``None`` (JSON null).

        Returns
        -------
        dict
            ``ks``, ``ms``, ``gaps``, ``vars`` (lists over the kept ``k``) and
            ``effective_horizon`` (float).
        """
        ks: list[int] = []
        ms: list[int | float] = []
        gaps: list[bool | int | float | str | None] = []
        vs: list[bool | int | float | str | None] = []
        running = float(self.T)
        A = self.problem.n_actions
        for r in self.per_k:
            if not r.k < running:
                break
            if not r.bound_ok:
                continue
            assert r.m_bound is not None  # set whenever bound_ok
            ks.append(r.k)
            ms.append(r.m_bound)
            g = _jsonnum(r.gap)
            gaps.append(None if g == "inf" else g)
            v = _jsonnum(r.var)
            vs.append(v)
            running = min(running, r.k + (math.log(r.m_bound, A) if A > 1 else 0.0))
        return {"ks": ks, "ms": ms, "gaps": gaps, "vars": vs, "effective_horizon": running}

    def reference_format(self) -> dict[str, Any]:
        """``min_k``, ``epw``, ``effective_horizon`` and ``effective_horizon_results`` as the
        reference code stores them (``consolidated_analyzed.json``).

        Returns
        -------
        dict
        """
        res = self.reference_results()
        return {"min_k": self.min_k, "epw": self.planning_window,
                "effective_horizon": res["effective_horizon"], "effective_horizon_results": res}

    def as_dict(self) -> dict[str, Any]:
        """Every result as JSON-ready values, with the reference code's format.

        Returns
        -------
        dict
        """
        P = self.problem
        return {"name": P.name, "horizon": self.T, "layers": P.horizon, "actions": P.n_actions,
                "decision_states": P.n_decision_states, "backend": self.backend.describe(),
                "tolerance": self.tolerance, "min_k": self.min_k,
                "planning_window": self.planning_window,
                "H_bound": _bound_json(self.bound), "H_bound_exact": str(self.bound), "H_argmin_k": self.H_k,
                "per_k": [r.as_dict() for r in self.per_k],
                "reference_format": self.reference_format(),
                "v_star": _exact_str(self.backend, self.raw_values.v_star[0][0])}


def effective_horizon(problem: ProblemLike, backend: BackendLike = "exact", *,
                      tolerance: float | None = None, k_max: int | None = None,
                      horizon: int | None = None) -> EffectiveHorizon:
    """min_k, the planning window and the Theorem 5.4 bounds on ``m_k`` and ``H``.

    ``problem`` is a :class:`TimeExpandedMDP` or a case-file MDP (time-expanded first).
    ``horizon``: ``T`` of the bound (default :func:`nominal_horizon`).

    Parameters
    ----------
    problem : TimeExpandedMDP or MDP
    backend : str or Backend, optional
        See :func:`resolve_backend`; ``"exact"`` on rational rewards computes on
        :class:`ScaledIntBackend`.
    tolerance : float, optional
        An action is optimal when ``Q* >= V* - tolerance``; None: exact ties.
    k_max : int, optional
        The largest ``k`` tried (default, and at most, the number of layers).
    horizon : int, optional
        ``T`` of the bound.

    Returns
    -------
    EffectiveHorizon

    Examples
    --------
    >>> from proofcheck.examples import mountain_race
    >>> eh = effective_horizon(mountain_race())
    >>> eh.min_k, eh.planning_window, eh.H
    (2, 2, 2)
    """
    P = problem if isinstance(problem, TimeExpandedMDP) else time_expand(problem)
    B = resolve_backend(P, backend)
    if B is _RATIONAL and backend in (None, "exact"):
        B = ScaledIntBackend.for_problem(P)  # the same exact numbers, as integers: much faster
    hv = horizon_values(P, B, tolerance=tolerance)
    L_T, A = P.horizon, P.n_actions
    T = int(horizon) if horizon is not None else nominal_horizon(P)
    k_max = L_T if k_max is None else min(k_max, L_T)
    sigma = [_sigma2_one(B, hv.q_rand[t], hv.q_star[t], hv.q_worst[t]) for t in range(L_T)]
    per_k: list[KResult] = []
    best_key: int | float | None = None
    best_h: HBound | None = None
    best_k: int | None = None
    first_solvable: int | None = None
    for k, Q in enumerate(qvi_sequence(hv, k_max), start=1):
        # H_k >= k: once A^k >= A^k' m' (the best so far), no larger k can do better
        if best_key is not None and (A ** k if A > 1 else k) >= best_key:
            break
        if k > 1:  # sigma2_{k,t}(s,a) = max_a' sigma2_{k-1,t+1}(s',a')
            sigma = [_gather(B, P.layers[t],
                             _layer_max(B, P, t + 1, sigma[t + 1]) if t + 1 < L_T else None)
                     for t in range(L_T)]
        sol = solvability(hv, Q, stop_at_failure=True)
        if sol.solvable and first_solvable is None:
            first_solvable = k  # the k run 1, 2, ... in order: this is min_k
        if not sol.solvable:
            per_k.append(KResult(k, False, sol.witness, None, None,
                                 reached=int(sum(r.sum() for r in sol.reached))))
            continue
        terms = _Terms(B, 2 * T * A ** k)
        ok, m, where, zero_at, n_reached = _bound_for_k(hv, k, Q, sigma, terms)
        if not ok:
            per_k.append(KResult(k, True, None, math.inf, HBound(k, math.inf, A), reached=n_reached,
                                 bound_ok=False, bound_witness=zero_at))
            continue
        assert m is not None and where is not None  # set whenever ok
        h = HBound(k, m, A)
        per_k.append(KResult(k, True, None, m, h, (where.t, where.state), n_reached, True, None,
                             _reported(B, where.gap), _reported(B, where.var, product=True)))
        # k + log_A m < k' + log_A m'  <=>  A^k m < A^k' m'  (integers: exact)
        key = math.inf if m == math.inf else (A ** k) * m if A > 1 else k
        if best_key is None or key < best_key:
            best_key, best_h, best_k = key, h, k
    mk = first_solvable if first_solvable is not None else min_k(hv, L_T)
    window = planning_window(hv, L_T)
    return EffectiveHorizon(P, hv, mk, window, per_k, best_h, best_k, B, tolerance, T)


def cross_check(problem: ProblemLike, backends: Sequence[BackendLike] = ("exact", "mpmath:50"), *,
                tolerance: float | None = None, horizon: int | None = None) -> dict[str, Any]:
    """The same recursion through two backends; agreement of every discrete result and the
    largest deviation of ``Q*``, ``Q^rand``, ``Q^worst`` and of the ``H`` bound.

    Parameters
    ----------
    problem : TimeExpandedMDP or MDP
    backends : pair of str or Backend
        The two backends compared.
    tolerance : float, optional
        See :func:`effective_horizon`.
    horizon : int, optional
        ``T`` of the bound.

    Returns
    -------
    dict
        ``backends`` (descriptions), ``agree``, ``discrete`` (each discrete result in both),
        ``max_value_deviation``, ``H`` (both, as strings) and ``results`` (both
        :class:`EffectiveHorizon`).

    Examples
    --------
    >>> from proofcheck.examples import mountain_race
    >>> cc = cross_check(mountain_race())
    >>> cc["agree"], cc["max_value_deviation"] < 1e-45
    (True, True)
    """
    P = problem if isinstance(problem, TimeExpandedMDP) else time_expand(problem)
    a, b = (effective_horizon(P, be, tolerance=tolerance, horizon=horizon) for be in backends)
    dev = 0.0
    for name in ("q_rand", "q_star", "q_worst"):
        for xa, xb in zip(getattr(a.raw_values, name), getattr(b.raw_values, name)):
            fa, fb = _as_floats(a.backend, xa), _as_floats(b.backend, xb)
            if fa is not None and fb is not None and not (a.backend.exact and b.backend.exact):
                with np.errstate(invalid="ignore"):
                    d = np.abs(fa - fb)
                d = np.where(fa == fb, 0.0, d)
                dev = max(dev, float(np.max(d)) if len(d) else 0.0)
                continue
            import sympy as sp  # exact vs exact: compared in SymPy

            for u, v in zip(xa, xb):
                u = a.backend.to_sympy(u)
                v = b.backend.to_sympy(v)
                if u in (sp.oo, -sp.oo) or v in (sp.oo, -sp.oo):
                    if u != v:
                        dev = math.inf
                    continue
                dev = max(dev, abs(float(sp.N(u - v, 60))))
    discrete = {
        "min_k": (a.min_k, b.min_k),
        "planning_window": (a.planning_window, b.planning_window),
        "solvable": ([r.solvable for r in a.per_k], [r.solvable for r in b.per_k]),
        "bound_ok": ([r.bound_ok for r in a.per_k], [r.bound_ok for r in b.per_k]),
        "m_bounds": ([r.m_bound for r in a.per_k], [r.m_bound for r in b.per_k]),
        "H_argmin_k": (a.H_k, b.H_k),
    }
    agree = all(x == y for x, y in discrete.values())
    return {"backends": [a.backend.describe(), b.backend.describe()], "agree": agree,
            "discrete": {k: [_jsonable(x), _jsonable(y)] for k, (x, y) in discrete.items()},
            "max_value_deviation": dev, "H": [str(a.bound), str(b.bound)], "results": (a, b)}


def _as_floats(B: Backend, arr: np.ndarray) -> np.ndarray | None:
    """``arr`` as float64 (correctly rounded) when that is cheap, else ``None``."""
    if B.dtype is not object:
        return np.asarray(arr, dtype=np.float64)
    if _is_scaled(B):
        return np.array([x if isinstance(x, float) else int(x) / B.scale for x in arr], dtype=np.float64)
    if isinstance(B, RationalBackend):
        return np.array([float(x) for x in arr], dtype=np.float64)
    return None


def _jsonable(x: Any) -> Any:
    if isinstance(x, list):
        return [_jsonable(v) for v in x]
    return _jsonnum(x) if not isinstance(x, bool) else x
