"""Deterministic MDPs unrolled into time layers: the model the effective horizon works on.

Layer ``t`` holds the states reachable in exactly ``t`` steps from the initial state(s);
an action either moves to a state of layer ``t + 1`` or ends the episode (``next = -1``).
Cyclic tabular MDPs (BRIDGE, :mod:`proofcheck.io.bridge`) are unrolled this way over
``T`` steps (:func:`tabular_problem`), DAG case-file MDPs by depth (:func:`time_expand`).
Rewards are exact: :class:`fractions.Fraction` for tabular models, SymPy numbers for
case files (``log q``, ``-oo`` allowed); :attr:`Layer.reward` shows them all as SymPy
numbers, :meth:`TimeExpandedMDP.rewards` converts them once per backend.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property

import numpy as np

from proofcheck._lazy import is_sympy
from proofcheck.errors import ModelError

__all__ = ["Layer", "TimeExpandedMDP", "time_expand", "tabular_problem", "check_tabular"]


@dataclass(frozen=True)
class Layer:
    """Time step ``t``: its states, their actions as contiguous pairs, next states, rewards.

    ``ptr``: the pairs of state ``i`` are ``ptr[i]:ptr[i+1]``; ``next[j]`` is the index of the
    successor in layer ``t + 1`` or ``-1`` when the episode ends; ``reward_values[j]`` is its
    exact reward as built (a :class:`~fractions.Fraction` in tabular models: they need no
    SymPy; a SymPy number, ``-oo`` allowed, in case files), ``reward[j]`` the same as a SymPy
    number.
    """

    states: tuple
    ptr: np.ndarray
    actions: tuple
    next: np.ndarray
    reward_values: np.ndarray

    @cached_property
    def reward(self):
        """The rewards as SymPy numbers (converted on first use)."""
        values = self.reward_values
        if not any(isinstance(v, Fraction) for v in values):
            return values
        import sympy as sp

        exact = {}
        for v in values:
            if v not in exact:
                exact[v] = sp.Rational(v.numerator, v.denominator) if isinstance(v, Fraction) else v
        return _objarr([exact[v] for v in values])

    @property
    def n_states(self):
        return len(self.states)

    @property
    def counts(self):
        return np.diff(self.ptr)


@dataclass
class TimeExpandedMDP:
    """A deterministic MDP unrolled into time layers ``0 .. T-1`` (see the module docstring)."""

    layers: list
    name: str = "mdp"
    _converted: dict = field(default_factory=dict, repr=False)

    @property
    def horizon(self):
        return len(self.layers)

    @property
    def n_actions(self):
        """``A``: the largest number of actions of any decision state."""
        return int(max((L.counts.max() for L in self.layers if L.n_states), default=1))

    @property
    def n_decision_states(self):
        return sum(L.n_states for L in self.layers)

    def rewards(self, B):
        """Rewards per layer in backend ``B``'s number type (cached)."""
        if B.key not in self._converted:
            cache = {}

            def conv(v):
                if v not in cache:
                    if _is_minus_oo(v):
                        cache[v] = -B.inf
                    else:
                        cache[v] = B.scalar(v)
                return cache[v]
            out = []
            for L in self.layers:
                values = L.reward_values
                arr = B.empty(len(values))
                arr[:] = [conv(v) for v in values] if B.dtype is object else \
                    np.array([conv(v) for v in values], dtype=B.dtype)
                out.append(arr)
            self._converted[B.key] = out
        return self._converted[B.key]

    def __repr__(self):
        return (f"<TimeExpandedMDP {self.name!r}: T = {self.horizon}, A = {self.n_actions}, "
                f"{self.n_decision_states} decision states (t, s)>")


def _is_minus_oo(v):
    if not is_sympy(v):  # a Fraction: finite
        return False
    import sympy as sp

    return v == -sp.oo


def _log(x):
    import sympy as sp  # case files are SymPy models already

    x = sp.sympify(x)
    if x.is_zero:
        return -sp.oo
    return sp.log(x)


def time_expand(mdp, horizon=None):
    """Unroll a deterministic case-file :class:`~proofcheck.model.mdp.MDP` by depth.

    Rewards: ``R(s, a) = log q(s, a)``, plus ``log success(s')`` when ``a`` leads to a
    terminal ``s'`` (the leaf's success folded into the last step); ``log 0 = -oo``.
    ``horizon`` (default ``mdp.horizon``) may truncate: actions at step ``horizon - 1``
    then end the episode and what follows is dropped.

    Examples
    --------
    >>> from proofcheck.examples import mountain_race
    >>> P = time_expand(mountain_race())
    >>> P
    <TimeExpandedMDP 'mountain_race': T = 2, A = 2, 3 decision states (t, s)>
    >>> list(P.layers[1].reward)
    [0, -oo, log(3/4), log(3/4)]
    """
    if mdp.parameters:
        names = ", ".join(s.name for s in mdp.parameters)
        raise ModelError(f"MDP {mdp.name!r} is parametric in {names}; the effective horizon needs "
                         "numbers: substitute the parameters first (MDP.substitute)")
    if not mdp.deterministic:
        raise ModelError(f"MDP {mdp.name!r} has stochastic transitions; the effective horizon "
                         "(Laidlaw et al.) is defined here for deterministic MDPs only")
    T = mdp.horizon if horizon is None else int(horizon)
    if T < 1:
        raise ModelError(f"horizon {horizon!r} must be a positive number of steps")
    frontier = [i for i, m in enumerate(mdp.initial) if m != 0 and not mdp.terminal[i]]
    layers = []
    for t in range(T):
        nxt, nxt_index = [], {}
        ptr, acts, nexts, rewards = [0], [], [], []
        for i in frontier:
            for p in range(mdp.state_ptr[i], mdp.state_ptr[i + 1]):
                s2 = int(mdp.edge_target[mdp.pair_ptr[p]])
                r = _log(mdp.likelihood[p])
                if mdp.terminal[s2]:
                    r = r + _log(mdp.success[s2])
                    nexts.append(-1)
                elif t == T - 1:
                    nexts.append(-1)
                else:
                    if s2 not in nxt_index:
                        nxt_index[s2] = len(nxt)
                        nxt.append(s2)
                    nexts.append(nxt_index[s2])
                acts.append(mdp.pair_action[p])
                rewards.append(r)
            ptr.append(len(acts))
        layers.append(Layer(tuple(mdp.states[i] for i in frontier), np.array(ptr, dtype=np.int64),
                            tuple(acts), np.array(nexts, dtype=np.int64), _objarr(rewards)))
        frontier = nxt
        if not frontier:
            break
    if not layers or layers[0].n_states == 0:
        raise ModelError(f"MDP {mdp.name!r} has no decision at its initial state(s); "
                         "the effective horizon needs at least one action")
    return TimeExpandedMDP(layers, name=mdp.name)


def _objarr(values):
    arr = np.empty(len(values), dtype=object)
    arr[:] = list(values)
    return arr


def tabular_problem(transitions, rewards, horizon, *, initial=0, name="tabular"):
    """Unroll a tabular deterministic MDP (BRIDGE layout) over ``horizon`` steps.

    ``transitions[s, a]``: next state, ``-1`` = the episode ends; ``rewards[s, a]``: any
    sign, converted *exactly* to rationals (a float32/float64 is a dyadic rational): Python
    :class:`~fractions.Fraction`, so that the effective horizon of a tabular model runs
    without SymPy.

    Examples
    --------
    >>> import numpy as np
    >>> P = tabular_problem(np.array([[1, 0], [-1, -1]]), np.array([[0.5, 0.0], [1.0, 0.25]]), 3)
    >>> [L.states for L in P.layers]
    [(0,), (0, 1), (0, 1)]
    >>> list(P.layers[0].reward)
    [1/2, 0]
    >>> list(P.layers[0].reward_values)
    [Fraction(1, 2), Fraction(0, 1)]
    """
    tr, rw = check_tabular(transitions, rewards, f"tabular MDP {name!r}")
    S, A = tr.shape
    if isinstance(horizon, bool) or not isinstance(horizon, (int, float, np.integer)) \
            or not math.isfinite(horizon) or int(horizon) != horizon or horizon < 1:
        raise ModelError(f"horizon {horizon!r} must be a positive integer (BRIDGE stores it separately)")
    if not 0 <= initial < S:
        raise ModelError(f"initial state {initial} is not in [0, {S})")
    exact = {}

    def rat(x):
        if x not in exact:
            exact[x] = Fraction(float(x))  # exact: a binary float is a dyadic rational
        return exact[x]
    R = [[rat(x) for x in row] for row in rw.tolist()]
    layers = []
    frontier = [int(initial)]
    for t in range(int(horizon)):
        last = t == horizon - 1
        nxt = sorted({int(s2) for s in frontier for s2 in tr[s] if s2 >= 0}) if not last else []
        index = {s2: j for j, s2 in enumerate(nxt)}
        ptr = np.arange(0, A * (len(frontier) + 1), A, dtype=np.int64)
        nexts = np.array([-1 if (last or s2 < 0) else index[int(s2)] for s in frontier for s2 in tr[s]],
                         dtype=np.int64)
        rewards_t = _objarr([R[s][a] for s in frontier for a in range(A)])
        layers.append(Layer(tuple(frontier), ptr, tuple(range(A)) * len(frontier), nexts, rewards_t))
        frontier = nxt
        if not frontier:
            break
    return TimeExpandedMDP(layers, name=name)


# ----------------------------------------------------------------------------- values


def check_tabular(transitions, rewards, where, error=ModelError):
    """Check a tabular deterministic MDP: ``(S, A)`` integer next states in ``[-1, S)`` and
    finite real rewards of the same shape; raise ``error`` naming the first bad entry."""
    tr, rw = np.asarray(transitions), np.asarray(rewards)
    if tr.ndim != 2 or tr.shape != rw.shape:
        raise error(f"{where}: transitions {tr.shape} and rewards {rw.shape} must be (S, A) "
                    "arrays of one shape")
    if not np.issubdtype(tr.dtype, np.integer):
        raise error(f"{where}: transitions have dtype {tr.dtype}; give integer next states (-1 = terminal)")
    if rw.dtype.kind not in "iuf":
        raise error(f"{where}: rewards have dtype {rw.dtype}; give real numbers")
    S = tr.shape[0]
    if S == 0 or tr.shape[1] == 0:
        raise error(f"{where}: empty MDP of shape {tr.shape}; it needs states and actions")
    bad = np.argwhere((tr < -1) | (tr >= S))
    if len(bad):
        s, a = (int(x) for x in bad[0])
        raise error(f"{where}: transitions[{s}, {a}] = {tr[s, a]} is neither a state in "
                    f"[0, {S}) nor -1 (terminal)")
    bad = np.argwhere(~np.isfinite(rw))
    if len(bad):
        s, a = (int(x) for x in bad[0])
        raise error(f"{where}: rewards[{s}, {a}] = {rw[s, a]} is not finite")
    return tr, rw
