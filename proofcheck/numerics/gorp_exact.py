"""GORP(k, m)'s success probability computed, not simulated (spec sections 9 and 11).

The conventions are those of the simulation :mod:`proofcheck.numerics.gorp`: on a
deterministic :class:`~proofcheck.model.time_expanded.TimeExpandedMDP`, at every step ``t``
GORP stands in the state reached by the actions fixed so far, tries every action sequence of
length ``k`` (shorter where the episode ends or the horizon is reached; each such sequence is
counted once), scores each by the mean of ``m`` independent rollouts (the sequence, then
uniformly random actions to the end), picks the *sequence* with the best mean, uniformly at
random among tied sequences, and fixes its first action.  A run succeeds when every fixed
action is optimal (:func:`~proofcheck.engine.effective_horizon.horizon_values`, exact ties
by default, or ``tolerance``).

Two reward kinds:

* ``"deterministic"`` (Laidlaw et al., BRIDGE): the reward of a pair is the layer's reward,
  which must be a rational number; a rollout's score is the sum of the rewards it meets;
* ``"bernoulli"`` (the paper's experiment, spec section 11): the layer's reward is read as a
  success probability ``q in [0, 1]``; every rollout samples each pair's success indicator
  ``~ Bernoulli(q)`` afresh (the sequence's own pairs too) and scores the number of successes.
  Optimality is then optimality of the expected number of successes (``sum q``).

How it is computed.  A rollout's score takes values on a lattice (integers for Bernoulli,
multiples of ``1/D`` with ``D`` the common denominator of the rewards otherwise); its
distribution from every state is one backward pass (mixture over uniformly random actions of
the pair's reward distribution convolved with the successor's), and a sequence's per-rollout
distribution is its pairs' reward distributions convolved with the continuation's.  Comparing
means of ``m`` rollouts is comparing sums, whose distribution is the ``m``-fold convolution.
For independent integer-valued sums ``S_i`` with ``f_i(v) = P(S_i = v)`` and
``F_i(v) = P(S_i < v)``, the probability that the uniformly tie-broken argmax lies in a set
``O`` of sequences is, with ``1/(1 + K) = int_0^1 x^K dx``::

    sum_v int_0^1 G_O'(x) G_R(x) dx,   G_O(x) = prod_{i in O} (F_i(v) + f_i(v) x),
                                       G_R(x) = prod_{i not in O} (F_i(v) + f_i(v) x),

a finite sum of polynomial coefficients.  The steps are independent (fresh rollouts), so the
success probability is the sum over optimal actions of ``P(first action = a)`` times the
success probability from the successor, along the states reachable by optimal actions.

Arithmetic and limits.  ``arithmetic="exact"`` computes with :class:`fractions.Fraction`.
Its cost is estimated beforehand in *work units* (for every state visited: sequences x
lattice points x (sequences + lattice width), the size of the polynomial products and of the
convolutions; for exact arithmetic times ``1 + m * bits / 64``, ``bits`` the denominator bit
length accumulated along a path, since the rationals grow with ``m``); when it exceeds
``exact_budget`` (default ``200_000``) ``"auto"`` switches to
``"float"``: IEEE float64 with an *a priori* rounding-error bound.  Every quantity in the
computation is a sum of products of non-negative numbers (no subtraction of rounded values:
``1 - q`` is formed exactly before rounding), so a result reached through at most ``D``
roundings on any path satisfies ``p_hat in [p (1-u)^D, p (1+u)^D]``, ``u = 2^-53``; ``D`` is
counted along the computation, and ``1e-250`` is added for gradual underflow.  The interval
``[lower, upper]`` thus contains the exact probability.  Beyond ``float_budget`` (default
``5e9`` work units) the answer is *undecided* with the reason.  A threshold test
(``p >= 1/2``) whose float interval contains ``1/2`` is retried exactly when the exact work is
below ``10 * exact_budget``, and otherwise reported undecided.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import sympy as sp

from proofcheck.engine.effective_horizon import HorizonValues, horizon_values
from proofcheck.errors import ModelError
from proofcheck.model.time_expanded import TimeExpandedMDP

__all__ = ["REWARD_KINDS", "DEFAULT_EXACT_BUDGET", "DEFAULT_FLOAT_BUDGET", "SuccessProbability",
           "GorpExact", "gorp_success_probability", "ExactM", "exact_m", "ExactHorizon",
           "exact_effective_horizon"]

REWARD_KINDS = ("deterministic", "bernoulli")
DEFAULT_EXACT_BUDGET = 200_000
DEFAULT_FLOAT_BUDGET = 5_000_000_000
_U = 2.0 ** -53
_UNDERFLOW = 1e-250
_HALF = Fraction(1, 2)


@dataclass
class _Dist:
    """A distribution on the lattice points ``lo, lo + 1, ...``; ``d`` bounds the number of
    roundings on any path to an entry (float mode only)."""

    lo: int
    p: np.ndarray
    d: int = 0


def _conv(a, b):
    n = min(len(a.p), len(b.p))
    return _Dist(a.lo + b.lo, np.convolve(a.p, b.p), a.d + b.d + n)


def _delta(lo, exact):
    return _Dist(lo, np.array([Fraction(1)], dtype=object) if exact else np.ones(1))


def _mix(ds, exact):
    """Uniform mixture of the distributions ``ds``."""
    lo = min(x.lo for x in ds)
    hi = max(x.lo + len(x.p) for x in ds)
    acc = np.zeros(hi - lo, dtype=object if exact else np.float64)
    if exact:
        acc[:] = Fraction(0)
    for x in ds:
        acc[x.lo - lo:x.lo - lo + len(x.p)] += x.p
    n = len(ds)
    if exact:
        acc = acc * Fraction(1, n)
    elif n > 1:
        acc = acc / n
    return _Dist(lo, acc, max(x.d for x in ds) + (n - 1) + (1 if n > 1 else 0))


def _power(base, m, cache):
    """``m``-fold convolution of ``base`` (``cache``: ``{m: _Dist}``, reused and extended)."""
    if m in cache:
        return cache[m]
    if m - 1 in cache:
        out = _conv(cache[m - 1], base)
    elif m % 2 == 0:
        h = _power(base, m // 2, cache)
        out = _conv(h, h)
    else:
        out = _conv(_power(base, m - 1, cache), base)
    cache[m] = out
    return out


def _fraction(x, where):
    x = sp.sympify(x)
    if not x.is_Rational:
        raise ModelError(f"{where}: reward {x} is not a rational number; the exact GORP computation "
                         "needs rational rewards (build the problem with tabular_problem)")
    return Fraction(int(x.p), int(x.q))


def _short(x):
    """``str`` of a Fraction, or a summary when its terms are too long to print."""
    if max(x.numerator.bit_length(), x.denominator.bit_length()) <= 1000:
        return str(x)
    return f"<rational with a {x.denominator.bit_length()}-bit denominator>"


@dataclass
class SuccessProbability:
    """GORP(k, m)'s success probability.

    ``value`` is the exact :class:`~fractions.Fraction` (``method == "exact"``), or ``None``;
    ``lower``/``upper`` always enclose the true probability (equal to ``value`` when exact;
    ``0``/``1`` when undecided); ``method`` is ``"exact"``, ``"float-bound"`` or
    ``"undecided"`` (then ``reason`` says why); ``work`` is the estimated work in units.
    """

    k: int
    m: int
    value: object
    lower: object
    upper: object
    method: str
    work: int
    reason: str = ""

    def at_least_half(self):
        """``True``/``False`` when ``p >= 1/2`` is decided by the enclosure, else ``None``."""
        if self.method == "exact":
            return self.value >= _HALF
        if self.lower >= 0.5:
            return True
        if self.upper < 0.5:
            return False
        return None

    def as_dict(self):
        return {"k": self.k, "m": self.m, "method": self.method, "work": self.work,
                "value": None if self.value is None else _short(self.value),
                "value_float": None if self.value is None else float(self.value),
                "lower": float(self.lower), "upper": float(self.upper), "reason": self.reason}


class GorpExact:
    """The exact GORP computation on one problem and one reward kind (reused over ``k``, ``m``).

    Parameters
    ----------
    problem : TimeExpandedMDP
        Deterministic, one initial state, rational rewards.
    rewards : {"deterministic", "bernoulli"}
        How the layer rewards are read (see the module docstring).
    values : HorizonValues, optional
        Optimality masks (default: :func:`horizon_values` of ``problem``, exact).
    tolerance : float, optional
        Passed to :func:`horizon_values` when ``values`` is not given.
    exact_budget, float_budget : int
        Work limits (module docstring).

    Examples
    --------
    >>> import numpy as np
    >>> from proofcheck.model.time_expanded import tabular_problem
    >>> P = tabular_problem(np.array([[-1, -1]]), np.array([[0.75, 0.5]]), 1)
    >>> g = GorpExact(P, "bernoulli")
    >>> g.success(1, 1).value   # P(X > Y) + P(X = Y)/2 with X ~ B(3/4), Y ~ B(1/2)
    Fraction(5, 8)
    """

    def __init__(self, problem: TimeExpandedMDP, rewards: str = "deterministic", *,
                 values: HorizonValues | None = None, tolerance: float | None = None,
                 exact_budget: int = DEFAULT_EXACT_BUDGET, float_budget: int = DEFAULT_FLOAT_BUDGET):
        if rewards not in REWARD_KINDS:
            raise ModelError(f"rewards {rewards!r} must be one of {REWARD_KINDS}")
        P = problem
        if P.layers[0].n_states != 1:
            raise ModelError(f"GORP needs one initial state; {P.name!r} has {P.layers[0].n_states}")
        self.problem, self.kind = P, rewards
        self.values = values or horizon_values(P, tolerance=tolerance)
        self.exact_budget, self.float_budget = int(exact_budget), int(float_budget)
        self._rew = [[_fraction(r, f"{P.name!r} layer {t}") for r in L.reward] for t, L in enumerate(P.layers)]
        if rewards == "bernoulli":
            bad = [(t, j) for t, row in enumerate(self._rew) for j, q in enumerate(row) if not 0 <= q <= 1]
            if bad:
                t, j = bad[0]
                raise ModelError(f"{P.name!r}: Bernoulli rewards must be probabilities in [0, 1]; "
                                 f"layer {t} pair {j} has {self._rew[t][j]}")
            self.scale = 1
        else:
            self.scale = math.lcm(*(q.denominator for row in self._rew for q in row))
        self._setup = {}  # exact flag -> (continuation dists, pair dists)
        self._plans = {}  # (k, exact) -> plan
        self._sums = {}   # (k, exact) -> {m: [per state, per sequence _Dist]}

    # ------------------------------------------------------------------ distributions
    def _pair_dists(self, exact):
        out = []
        for row in self._rew:
            ds = []
            for q in row:
                if self.kind == "bernoulli":
                    p = np.array([1 - q, q], dtype=object) if exact else np.array([float(1 - q), float(q)])
                    ds.append(_Dist(0, p, 0 if exact else 1))
                else:
                    ds.append(_delta(int(q * self.scale), exact))
            out.append(ds)
        return out

    def _continuations(self, exact):
        if exact not in self._setup:
            P = self.problem
            pair = self._pair_dists(exact)
            cont = [None] * (P.horizon + 1)
            cont[P.horizon] = []
            for t in reversed(range(P.horizon)):
                L = P.layers[t]
                row = []
                for s in range(L.n_states):
                    ds = []
                    for j in range(L.ptr[s], L.ptr[s + 1]):
                        nx = int(L.next[j])
                        ds.append(pair[t][j] if nx < 0 or t + 1 >= P.horizon else _conv(pair[t][j], cont[t + 1][nx]))
                    row.append(_mix(ds, exact))
                cont[t] = row
            self._setup[exact] = (cont, pair)
        return self._setup[exact]

    def _plan(self, k, exact):
        """Per optimal-reachable ``(t, s)``: the per-rollout distribution of each sequence and its
        first pair; the states in order of discovery (index 0 = the initial state)."""
        key = (k, exact)
        if key in self._plans:
            return self._plans[key]
        P, opt = self.problem, self.values.optimal
        cont, pair = self._continuations(exact)
        index, states, todo = {(0, 0): 0}, [], [(0, 0)]
        while todo:
            t, s = todo.pop(0)
            frontier = [(None, s, t, _delta(0, exact))]
            for _ in range(k):
                new = []
                for first, st, u, d in frontier:
                    if st < 0 or u >= P.horizon:
                        new.append((first, st, u, d))
                        continue
                    L = P.layers[u]
                    for j in range(L.ptr[st], L.ptr[st + 1]):
                        new.append((j if first is None else first, int(L.next[j]), u + 1, _conv(d, pair[u][j])))
                frontier = new
            seqs = [(first, d if st < 0 or u >= P.horizon else _conv(d, cont[u][st]))
                    for first, st, u, d in frontier]
            L = P.layers[t]
            succ = {}
            for j in range(L.ptr[s], L.ptr[s + 1]):
                if opt[t][j]:
                    nx = int(L.next[j])
                    if nx >= 0 and t + 1 < P.horizon:
                        if (t + 1, nx) not in index:
                            index[(t + 1, nx)] = len(index)
                            todo.append((t + 1, nx))
                        succ[j] = index[(t + 1, nx)]
                    else:
                        succ[j] = None
            states.append({"t": t, "s": s, "firsts": np.array([f for f, _ in seqs]),
                           "base": [d for _, d in seqs], "succ": succ})
        self._plans[key] = states
        return states

    def work(self, k, m):
        """Estimated work units of ``success(k, m)`` (module docstring)."""
        total = 0
        for st in self._plan(k, False):
            n = len(st["base"])
            w = max(len(d.p) for d in st["base"])
            v = m * (w - 1) + 1
            total += n * v * (n + w + 2)
        return total

    def exact_work(self, k, m):
        """Work units of the exact computation: :meth:`work` times ``1 + m * bits / 64``, ``bits``
        the largest sum along a path of the bit lengths of the probabilities' denominators (the
        size of the rationals in the ``m``-fold convolutions)."""
        if not hasattr(self, "_bits"):
            P = self.problem
            below = [0] * (P.horizon + 1)
            for t in reversed(range(P.horizon)):
                L = P.layers[t]
                best = 0
                for s in range(L.n_states):
                    cnt = int(L.ptr[s + 1] - L.ptr[s])
                    for j in range(L.ptr[s], L.ptr[s + 1]):
                        b = cnt.bit_length() + self._rew[t][j].denominator.bit_length()
                        nx = int(L.next[j])
                        best = max(best, b + (below[t + 1] if nx >= 0 else 0))
                below[t] = best
            self._bits = below[0]
        return self.work(k, m) * (1 + m * self._bits // 64)

    def _sum_dists(self, k, m, exact):
        cache = self._sums.setdefault((k, exact), {})
        if m not in cache:
            plan = self._plan(k, exact)
            per = []
            for si, st in enumerate(plan):
                row = []
                for qi, base in enumerate(st["base"]):
                    c = {1: base}
                    for mm, lst in cache.items():
                        c[mm] = lst[si][qi]
                    row.append(_power(base, m, c))
                per.append(row)
            cache[m] = per
        return cache[m]

    # ------------------------------------------------------------------ the probability
    def _choice(self, sums, firsts, targets, exact):
        """``{a: (P(first action = a), depth)}`` for the pairs ``a`` in ``targets``."""
        dt = object if exact else np.float64
        vlo = max(x.lo for x in sums)
        lo_all = min(x.lo for x in sums)
        vhi = max(x.lo + len(x.p) for x in sums)
        V = vhi - vlo
        n = len(sums)
        f = np.zeros((n, V), dtype=dt)
        Fb = np.zeros((n, V), dtype=dt)
        depth = 0
        for i, x in enumerate(sums):
            full = np.zeros(vhi - lo_all, dtype=dt)
            full[x.lo - lo_all:x.lo - lo_all + len(x.p)] = x.p
            below = np.concatenate([np.zeros(1, dtype=dt), np.cumsum(full)[:-1]])
            f[i] = full[vlo - lo_all:]
            Fb[i] = below[vlo - lo_all:]
            depth = max(depth, x.d + len(x.p))
        one = Fraction(1) if exact else 1.0

        def poly(rows):
            C = np.zeros((V, len(rows) + 1), dtype=dt)
            C[:, 0] = one
            for deg, i in enumerate(rows, start=1):
                new = C.copy()
                new[:, :deg + 1] = C[:, :deg + 1] * Fb[i][:, None]
                new[:, 1:deg + 1] += C[:, :deg] * f[i][:, None]
                C = new
            return C
        out = {}
        for a in targets:
            O = [i for i in range(n) if firsts[i] == a]
            R = [i for i in range(n) if firsts[i] != a]
            if not O:
                out[a] = (Fraction(0) if exact else 0.0, 0)
                continue
            CO, CR = poly(O), poly(R)
            no, nr = len(O), len(R)
            if exact:
                H = np.array([[Fraction(i, i + j) if i else Fraction(0) for j in range(nr + 1)]
                              for i in range(no + 1)], dtype=object)
            else:
                H = np.array([[i / (i + j) if i else 0.0 for j in range(nr + 1)] for i in range(no + 1)])
            X = CO @ H
            val = (X * CR).sum()
            d = depth + 2 * n + 1 + (no + 1) + 1 + V * (nr + 1)
            out[a] = (val, d)
        return out

    def success(self, k: int, m: int, *, arithmetic: str = "auto") -> SuccessProbability:
        """Success probability of GORP(``k``, ``m``).

        Parameters
        ----------
        k, m : int
            Sequence length and rollouts per sequence (both ``>= 1``).
        arithmetic : {"auto", "exact", "float"}
            ``"auto"``: exact within ``exact_budget``, else float with a certified bound within
            ``float_budget``, else undecided.  ``"exact"``/``"float"`` force the method (still
            undecided beyond ``float_budget``).

        Returns
        -------
        SuccessProbability
        """
        if k < 1 or m < 1:
            raise ModelError(f"GORP(k={k}, m={m}) needs k >= 1 and m >= 1")
        w = self.work(k, m)
        we = self.exact_work(k, m)
        if arithmetic not in ("auto", "exact", "float"):
            raise ModelError(f"arithmetic {arithmetic!r} must be 'auto', 'exact' or 'float'")
        if w > self.float_budget and arithmetic != "exact":
            return SuccessProbability(k, m, None, 0.0, 1.0, "undecided", w,
                                      f"work {w} exceeds the float budget {self.float_budget}")
        exact = arithmetic == "exact" or (arithmetic == "auto" and we <= self.exact_budget)
        plan = self._plan(k, exact)
        sums = self._sum_dists(k, m, exact)
        probs, depths = [None] * len(plan), [0] * len(plan)
        for si in reversed(range(len(plan))):  # successors are discovered after their parents
            st = plan[si]
            choice = self._choice(sums[si], st["firsts"], list(st["succ"]), exact)
            tot = Fraction(0) if exact else 0.0
            dep = 0
            for a, nxt in st["succ"].items():
                pa, da = choice[a]
                if nxt is None:
                    tot, dep = tot + pa, max(dep, da)
                else:
                    tot, dep = tot + pa * probs[nxt], max(dep, da + depths[nxt] + 1)
            probs[si], depths[si] = tot, dep + len(st["succ"])
        p = probs[0]
        if exact:
            return SuccessProbability(k, m, p, p, p, "exact", we)
        D = depths[0]
        if D * _U > 1e-3:
            return SuccessProbability(k, m, None, 0.0, 1.0, "undecided", w,
                                      f"rounding depth {D} too large for the float bound")
        e = 1.01 * D * _U
        return SuccessProbability(k, m, None, max(0.0, p * (1 - e) - _UNDERFLOW),
                                  min(1.0, p * (1 + e) + _UNDERFLOW), "float-bound", w,
                                  f"float64, a priori relative error <= {e:.1e}")

    def decide(self, k, m):
        """``(SuccessProbability, p >= 1/2 or None)``, retrying exactly near the threshold."""
        r = self.success(k, m)
        ok = r.at_least_half()
        if ok is None and r.method == "float-bound" and self.exact_work(k, m) <= 10 * self.exact_budget:
            r = self.success(k, m, arithmetic="exact")
            ok = r.at_least_half()
        return r, ok


def gorp_success_probability(problem: TimeExpandedMDP, k: int, m: int, *, rewards: str = "deterministic",
                             arithmetic: str = "auto", tolerance: float | None = None,
                             exact_budget: int = DEFAULT_EXACT_BUDGET,
                             float_budget: int = DEFAULT_FLOAT_BUDGET) -> SuccessProbability:
    """Success probability of GORP(``k``, ``m``) on ``problem`` (see the module docstring).

    Parameters
    ----------
    problem : TimeExpandedMDP
    k, m : int
    rewards : {"deterministic", "bernoulli"}
    arithmetic : {"auto", "exact", "float"}
    tolerance : float, optional
        Optimality tolerance (default exact ties).
    exact_budget, float_budget : int

    Returns
    -------
    SuccessProbability

    Examples
    --------
    >>> import numpy as np
    >>> from proofcheck.model.time_expanded import tabular_problem
    >>> P = tabular_problem(np.array([[1, 2], [-1, -1], [-1, -1]]),
    ...                     np.array([[0, 0.25], [1, 0], [0.5, 0.5]]), 2)
    >>> gorp_success_probability(P, 1, 1).value   # one rollout after action 0 must score 1
    Fraction(1, 2)
    >>> gorp_success_probability(P, 2, 1).value
    Fraction(1, 1)
    """
    g = GorpExact(problem, rewards, tolerance=tolerance, exact_budget=exact_budget, float_budget=float_budget)
    return g.success(k, m, arithmetic=arithmetic)


def _h(k, m, A):
    if m is None:
        return math.inf
    return k + (math.log(m) / math.log(A) if A > 1 and m > 1 else 0.0)


@dataclass
class ExactM:
    """``m_k`` from the computed success probabilities.

    ``grid``: one :class:`SuccessProbability` dict per tried grid ``m`` (``1, 2, 4, ...``);
    ``m_grid``: the first grid ``m`` with ``p >= 1/2`` (the authors' rule), ``None`` if not
    reached up to ``m_max``; ``m_least``: the least ``m <= m_max`` with ``p >= 1/2`` (every
    ``m`` tried, since ``p`` need not be monotone in ``m``), ``None`` if none or not computed
    (``least_reason``); ``undecided``: a threshold test could not be decided (reason).
    """

    k: int
    grid: list
    m_grid: object
    m_least: object
    m_max: int
    undecided: str = ""
    least_reason: str = ""
    H_grid: float = math.inf
    H_least: float = math.inf

    def as_dict(self):
        return {"k": self.k, "m_grid": self.m_grid, "m_least": self.m_least, "m_max": self.m_max,
                "H_grid": _j(self.H_grid), "H_least": _j(self.H_least), "undecided": self.undecided,
                "least_reason": self.least_reason, "grid": self.grid}


def _j(x):
    return "inf" if x == math.inf else x


def exact_m(g: GorpExact, k: int, *, m_max: int = 256, least: bool = True,
            least_budget: int | None = None) -> ExactM:
    """``m_k`` by the doubling grid and (``least=True``) the true least ``m``.

    Parameters
    ----------
    g : GorpExact
    k : int
    m_max : int
        Largest ``m`` tried (the authors: 256).
    least : bool
        Also scan ``m = 1 .. `` (the grid value, or ``m_max``) for the least ``m``.
    least_budget : int, optional
        Total work units allowed for that scan (default ``g.float_budget``); beyond it
        ``m_least`` is ``None`` with ``least_reason``.

    Returns
    -------
    ExactM

    Examples
    --------
    >>> import numpy as np
    >>> from proofcheck.model.time_expanded import tabular_problem
    >>> P = tabular_problem(np.array([[-1, -1]]), np.array([[0.75, 0.5]]), 1)
    >>> r = exact_m(GorpExact(P, "bernoulli"), 1)
    >>> r.m_grid, r.m_least
    (1, 1)
    """
    A = g.problem.n_actions
    rows, m_grid, und = [], None, ""
    m = 1
    decided = {}
    while m <= m_max:
        r, ok = g.decide(k, m)
        rows.append(r.as_dict())
        decided[m] = ok
        if ok is None:
            und = f"m = {m}: {r.reason or 'the enclosure contains 1/2'}"
            break
        if ok:
            m_grid = m
            break
        m *= 2
    m_least, reason = None, ""
    if least and not und:
        top = m_grid if m_grid is not None else m_max
        budget = g.float_budget if least_budget is None else least_budget
        spent = 0
        for mm in range(1, top + 1):
            if mm in decided:
                ok = decided[mm]
            else:
                spent += g.work(k, mm)
                if spent > budget:
                    reason = f"scan stopped at m = {mm}: work above {budget}"
                    break
                _, ok = g.decide(k, mm)
            if ok is None:
                reason = f"m = {mm} undecided"
                break
            if ok:
                m_least = mm
                break
    elif not least:
        reason = "not computed"
    else:
        reason = "grid undecided"
    return ExactM(k, rows, m_grid, m_least, m_max, und, reason,
                  _h(k, m_grid, A), _h(k, m_least, A) if not reason else math.inf)


@dataclass
class ExactHorizon:
    """``H_k = k + log_A m_k`` per ``k`` and ``H = min_k H_k`` (grid and least ``m``);
    ``math.inf`` when no ``k`` reaches ``1/2``; ``undecided`` lists the ``k`` whose grid
    decision could not be made (then ``H_grid`` is an upper bound over the decided ones)."""

    per_k: list = field(default_factory=list)
    H_grid: float = math.inf
    H_least: float = math.inf
    undecided: list = field(default_factory=list)

    def as_dict(self):
        return {"H_grid": _j(self.H_grid), "H_least": _j(self.H_least), "undecided_k": self.undecided,
                "per_k": [r.as_dict() for r in self.per_k]}


def exact_effective_horizon(problem: TimeExpandedMDP, *, rewards: str = "deterministic", k_max: int = 4,
                            m_max: int = 256, least: bool = True, tolerance: float | None = None,
                            exact_budget: int = DEFAULT_EXACT_BUDGET,
                            float_budget: int = DEFAULT_FLOAT_BUDGET) -> ExactHorizon:
    """``H = min_k (k + log_A m_k)`` from the computed GORP success probabilities.

    ``k`` runs over ``1 .. min(k_max, T)`` (``T`` = number of time layers).

    Examples
    --------
    >>> import numpy as np
    >>> from proofcheck.model.time_expanded import tabular_problem
    >>> P = tabular_problem(np.array([[-1, -1]]), np.array([[0.75, 0.5]]), 1)
    >>> exact_effective_horizon(P, rewards="bernoulli").H_grid
    1.0
    """
    g = GorpExact(problem, rewards, tolerance=tolerance, exact_budget=exact_budget, float_budget=float_budget)
    out = ExactHorizon()
    for k in range(1, min(k_max, problem.horizon) + 1):
        r = exact_m(g, k, m_max=m_max, least=least)
        out.per_k.append(r)
        if r.undecided:
            out.undecided.append(k)
        out.H_grid = min(out.H_grid, float(r.H_grid))
        out.H_least = min(out.H_least, float(r.H_least))
    return out
