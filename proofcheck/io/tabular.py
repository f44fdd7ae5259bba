"""Import tabular MDPs from arrays: dense ``P[s, a, s']``, sparse per-action matrices or dicts.

:func:`from_arrays` reads the layout RL code already has (``imitation``'s tabular models,
dynamic-programming code, :func:`proofcheck.io.gymnasium.from_gymnasium` after reading
``env.unwrapped.P``) and builds a validated :class:`proofcheck.model.mdp.MDP` through
:func:`proofcheck.model.mdp.from_graph`, so every check of the graph route applies.

Mappings (all explicit, none silent)
------------------------------------
* **Time.**  The MDP is unrolled exactly to ``horizon`` steps into a time-expanded DAG whose
  states are named ``"s3@t2"`` (state 3 at time 2; ``state_names`` changes the ``s3`` part).
  Only states reachable from the initial distribution within the horizon are built.
* **Likelihood.**  Give exactly one of ``q`` (``q(s, a) = P(O = 1 | s, a)`` in [0, 1]) or
  ``R`` (a log-likelihood ``r(s, a) <= 0``, ``q = exp(r)``; ``-inf`` means ``q = 0``).  Positive
  rewards are an error: the paper's model needs ``q <= 1`` and the shift ``R - R.max()`` is a
  modelling choice (it rescales every ``q`` of a step by one factor, which leaves the
  goal-conditioned policy unchanged only when every episode lasts the full horizon), so you
  make it.  Rewards that depend on the next state (``R[s, a, s']``) are not in the paper's
  model and are refused.
* **Leaves.**  ``success`` (required) is the leaf success probability ``P(R = 1 | leaf)`` of a
  state where the episode ends: at the horizon cut and at the ``terminal`` states (states
  without actions; the episode ends on entering them).  A number applies to every state, an
  array or dict gives one value per state.
* **Prior.**  ``prior`` is required: an array ``p[s, a]`` (or ``p[t, s, a]``), a callable
  ``s -> probabilities over actions``, or the explicit string ``"uniform"``.
* **Numbers.**  Floats are kept as the exact binary rationals they store: they are handed to
  :func:`~proofcheck.model.mdp.from_graph` as floats, validated within the model tolerance
  (``1e-9``) and then replaced by their exact values, and the model is marked
  ``inexact (float inputs)``.  With ``rationalize=tol`` each float becomes the *simplest*
  rational within ``tol`` of it (smallest denominator, by the Stern-Brocot / continued-fraction
  descent), e.g. ``0.1 -> 1/10`` and ``0.3333333333333333 -> 1/3``; the model is then exact,
  the graph attribute ``rationalized`` records ``tol``, and the model name ends in
  ``[rationalized tol=...]``.  Ints, :class:`fractions.Fraction`, SymPy numbers and strings in
  the case-file grammar are exact already.  Duplicate outcomes (the same next state listed
  twice) are merged by adding their probabilities exactly.

Examples
--------
>>> import numpy as np
>>> P = np.zeros((2, 2, 2)); P[0, 0, 0] = P[0, 1, 1] = P[1, :, 1] = 1.0
>>> m = from_arrays(P, q=np.array([[1, 0.5], [1, 1]]), initial=0, horizon=1,
...                 success=[0, 1], prior="uniform", rationalize=1e-9)
>>> m
<MDP 'arrays, horizon 1 [rationalized tol=1e-09]': 3 states, 2 state-action pairs, horizon 1, deterministic>
>>> sorted(m.states)
['s0@t0', 's0@t1', 's1@t1']
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from fractions import Fraction
from numbers import Integral, Real

import numpy as np
import sympy as sp

from proofcheck.errors import ModelError
from proofcheck.model.expressions import parse_expression
from proofcheck.model.mdp import from_graph

__all__ = ["from_arrays", "arrays_graph", "simplest_rational", "MAX_EDGES"]

#: Largest number of edges a time-expanded graph may have (raise it with ``max_edges``).
MAX_EDGES = 200_000
#: Tolerance for sums of float probabilities (the default tolerance of the model).
FLOAT_TOLERANCE = 1e-9


# --------------------------------------------------------------------------- numbers

def simplest_rational(x, tol):
    """The simplest rational (smallest denominator, then smallest numerator) in ``[x - tol, x + tol]``.

    ``x`` and ``tol`` are read exactly (a float as the binary rational it stores).

    >>> simplest_rational(0.1, 1e-9)
    Fraction(1, 10)
    >>> simplest_rational(1 / 3, 1e-12), simplest_rational(-0.25, 0), simplest_rational(0.7, 0.5)
    (Fraction(1, 3), Fraction(-1, 4), Fraction(1, 1))
    """
    x, tol = Fraction(x), Fraction(tol)
    if tol < 0:
        raise ModelError(f"tolerance {tol} is negative; give tol >= 0")
    return _simplest_between(x - tol, x + tol)


def _simplest_between(lo, hi):
    """Simplest rational in the closed interval ``[lo, hi]`` (continued-fraction descent)."""
    if lo <= 0 <= hi:
        return Fraction(0)
    if hi < 0:
        return -_simplest_between(-hi, -lo)
    whole = lo.numerator // lo.denominator  # floor(lo), 0 < lo <= hi
    if whole == lo:
        return Fraction(whole)
    if whole + 1 <= hi:
        return Fraction(whole + 1)
    # lo, hi both in (whole, whole + 1): x = whole + 1 / y with y in [1/(hi-whole), 1/(lo-whole)]
    return whole + 1 / _simplest_between(1 / (hi - whole), 1 / (lo - whole))


def _check_tolerance(rationalize):
    if rationalize is None:
        return None
    if isinstance(rationalize, bool) or not isinstance(rationalize, Real) or not math.isfinite(rationalize) \
            or not 0 < float(rationalize) < 0.5:
        raise ModelError(f"rationalize={rationalize!r} must be a tolerance in (0, 0.5), e.g. rationalize=1e-9, "
                         "or None to keep floats as their exact binary values")
    return rationalize


def _is_float(v):
    return isinstance(v, float) or (isinstance(v, sp.Basic) and bool(v.atoms(sp.Float)))


def _num(x, where, tol, *, allow_minus_inf=False):
    """One user value -> int, Fraction, float (kept for from_graph) or SymPy expression."""
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, bool):
        raise ModelError(f"{where}: got the boolean {x!r}; give a number such as 0.5 or Fraction(1, 2)")
    if isinstance(x, Integral):
        return int(x)
    if isinstance(x, Fraction):
        return x
    if isinstance(x, float):
        if x == -math.inf and allow_minus_inf:
            return x
        if not math.isfinite(x):
            raise ModelError(f"{where} = {x} is not a finite number; give a finite value")
        return simplest_rational(x, tol) if tol is not None else x
    if isinstance(x, str):
        if allow_minus_inf and x.replace(" ", "") == "-oo":
            return -math.inf
        return parse_expression(x, {}, where=where)
    if isinstance(x, sp.Basic):
        if allow_minus_inf and x == -sp.oo:
            return -math.inf
        if not (isinstance(x, sp.Expr) and x.is_number) or x.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
            raise ModelError(f"{where} = {x} is not a finite number; give a number (parameters are not "
                             "supported by the array importers: build the graph with from_graph)")
        if tol is not None and x.atoms(sp.Float):
            x = x.xreplace({f: sp.Rational(simplest_rational(Fraction(sp.Rational(f)), tol)) for f in x.atoms(sp.Float)})
        return x
    raise ModelError(f"{where}: unsupported value {x!r} of type {type(x).__name__}; give a float, int, "
                     "fractions.Fraction, SymPy number or a string such as '1/3'")


def _exact(v):
    """Exact SymPy value of a converted number (floats: the binary rational they store)."""
    if isinstance(v, float):
        return sp.Rational(Fraction(v).numerator, Fraction(v).denominator)
    if isinstance(v, Fraction):
        return sp.Rational(v.numerator, v.denominator)
    if isinstance(v, int):
        return sp.Integer(v)
    return v.xreplace({f: sp.Rational(f) for f in v.atoms(sp.Float)})


def _as_float_carrier(value):
    """A SymPy Float holding the exact dyadic ``value`` (so from_graph treats it as a float input)."""
    if value.is_Rational and value.q & (value.q - 1) == 0:
        bits = max(53, abs(int(value.p)).bit_length())
        return sp.Float(value, precision=bits)
    return sp.Float(value, 60)  # a float mixed with a non-dyadic exact value: rounded, marked inexact


def _merge(values):
    """Add probabilities of duplicate outcomes exactly; a float input keeps the result a float input."""
    if len(values) == 1:
        return values[0]
    total = sum((_exact(v) for v in values), sp.Integer(0))
    return _as_float_carrier(total) if any(_is_float(v) for v in values) else total


def _in_unit(v):
    """``0 <= v <= 1``, for floats too: the float tolerance is for sums (a probability of
    -1e-12 is not one, and the exact routes take its log)."""
    return bool(0 <= _exact(v) <= 1)


def _check_distribution(values, where, what, tol):
    """Raise unless ``values`` (converted numbers) form a probability distribution."""
    for v in values:
        if not _in_unit(v):
            ev = _exact(v)
            off = float(-ev if ev < 0 else ev - 1)
            fix = ("a rounding residue? np.clip the array to [0, 1]" if _is_float(v) and off <= FLOAT_TOLERANCE
                   else "give probabilities")
            raise ModelError(f"{where}: {what} include {float(ev) if _is_float(v) else ev}, outside [0, 1]; {fix}")
    total = sum((_exact(v) for v in values), sp.Integer(0))
    if any(_is_float(v) for v in values):
        ok = abs(float(total) - 1) <= FLOAT_TOLERANCE
    else:
        ok = total == 1
    if not ok:
        fix = (f"the values rationalized within {tol:g} do not add up: use a smaller rationalize tolerance "
               "or give exact fractions" if tol is not None else "make it a probability distribution")
        shown = total if not any(_is_float(v) for v in values) else float(total)
        raise ModelError(f"{where}: {what} sum to {shown}, not 1; {fix}")


# --------------------------------------------------------------------------- the shared builder

class _Source:
    """What the time-expanded builder needs to know about a tabular MDP (state/action ids are ints
    or other hashables; labels name them in the graph)."""

    def __init__(self, *, actions, outcomes, prior, likelihood, leaf_success, state_label, action_label):
        self.actions = actions          # s -> list of actions (empty: terminal)
        self.outcomes = outcomes        # (s, a) -> list of (s2, prob, end) with end None or leaf success
        self.prior = prior              # (s, actions, t) -> {a: value}
        self.likelihood = likelihood    # (s, a, t) -> ("q" | "reward", value)
        self.leaf_success = leaf_success  # (s, t) -> success of the state cut at the horizon
        self.state_label = state_label
        self.action_label = action_label


def _time_expanded(src, initial, horizon, *, max_edges, graph_attrs):
    """Unroll ``src`` from ``initial`` (dict state -> mass) to ``horizon`` steps into a MultiDiGraph."""
    import networkx as nx  # on first use: 0.2 s that `verify` of a parametric case never needs
    def node(s, t):
        return f"{src.state_label(s)}@t{t}"

    G = nx.MultiDiGraph(**graph_attrs)
    G.graph["initial"] = {node(s, 0): m for s, m in initial.items()}
    frontier = dict.fromkeys(initial)
    ends: dict = {}  # leaf node -> (success, how it was reached)
    n_edges = 0
    for t in range(horizon):
        nxt: dict = {}
        for s in frontier:
            u = node(s, t)
            G.add_node(u)
            acts = src.actions(s)
            if not acts:
                ends.setdefault(u, (src.leaf_success(s, None), "terminal"))
                continue
            prior = src.prior(s, acts, t)
            for a in acts:
                key = src.action_label(a)
                attr, qv = src.likelihood(s, a, t)
                for i, (s2, p, end) in enumerate(src.outcomes(s, a)):
                    v = node(s2, t + 1)
                    attrs = {"prob": p}
                    if i == 0:
                        attrs["prior"] = prior[a]
                        attrs[attr] = qv
                    G.add_edge(u, v, key=key, **attrs)
                    n_edges += 1
                    if end is None:
                        nxt[s2] = None
                        if v in ends:
                            raise _both(v, s, a)
                    else:
                        if s2 in nxt:
                            raise _both(v, s, a)
                        old = ends.get(v)
                        if old is not None and sp.simplify(_exact(old[0]) - _exact(end)) != 0:
                            raise ModelError(
                                f"state {v!r} is reached as a terminal state with two different successes "
                                f"({_exact(old[0])} and {_exact(end)}, the second from state {src.state_label(s)!r}, "
                                f"action {key!r}); make the success mapping depend on the state only")
                        ends[v] = (end, "terminal")
            if n_edges > max_edges:
                raise ModelError(f"the time-expanded graph exceeds {max_edges} edges at step {t} of {horizon}; "
                                 "use a smaller horizon or pass a larger max_edges")
        frontier = nxt
    for s in frontier:
        v = node(s, horizon)
        G.add_node(v)
        if v not in ends:
            ends[v] = (src.leaf_success(s, horizon), "cut")
    for v, (value, _) in ends.items():
        G.nodes[v]["success"] = value
    return G


def _both(v, s, a):
    return ModelError(f"state {v!r} is reached both as a terminal state and as a live state; proofcheck needs one "
                      f"kind per state and time (from {s!r}, action {a!r}): make termination depend on the next "
                      "state only")


def _finish(G, *, name, rationalize, source):
    tag = f" [rationalized tol={rationalize:g}]" if rationalize is not None else ""
    G.graph["name"] = name + tag
    G.graph["source"] = source + (f"; floats rationalized within {rationalize:g}" if rationalize is not None else "")
    if rationalize is not None:
        G.graph["rationalized"] = rationalize
    return G


# --------------------------------------------------------------------------- argument readers

def _state_range(n, s, where):
    if isinstance(s, np.integer):
        s = int(s)
    if isinstance(s, bool) or not isinstance(s, Integral) or not 0 <= int(s) < n:
        raise ModelError(f"{where}: state {s!r} is not a state index in 0..{n - 1}; give an index")
    return int(s)


def _initial(initial, n, tol):
    if initial is None:
        raise ModelError("initial is required: give the initial state index (initial=0), a distribution "
                         "array of length n_states, or a dict {state: probability}")
    if isinstance(initial, (Integral, np.integer)) and not isinstance(initial, bool):
        return {_state_range(n, initial, "initial"): 1}
    if isinstance(initial, Mapping):
        items = [(_state_range(n, s, "initial"), _num(m, f"initial[{s}]", tol)) for s, m in initial.items()]
    else:
        arr = np.asarray(initial, dtype=object) if not isinstance(initial, np.ndarray) else initial
        if arr.ndim != 1 or len(arr) != n:
            raise ModelError(f"initial has shape {np.shape(arr)}; give a state index or an array of length {n}")
        items = [(s, _num(arr[s], f"initial[{s}]", tol)) for s in range(n)]
    _check_distribution([m for _, m in items], "initial", "the initial probabilities", tol)
    out = {s: m for s, m in items if _exact(m) != 0}
    if not out:
        raise ModelError("initial has no state with positive probability; give a distribution")
    return out


def _success_reader(success, n, tol, names):
    """``success`` -> function state -> leaf success (required, raises when missing at a leaf)."""
    cache: dict = {}

    def value(s, t):
        if s in cache:
            return cache[s]
        label = names(s)
        when = "at the horizon cut" if t is not None else "at a terminal state"
        if success is None:
            raise ModelError(
                f"success is required: state {label!r} ends an episode {when}; give success = P(R=1 | leaf) "
                "explicitly: a number (success=0: an episode cut at the horizon fails), or an array/dict "
                "with one value per state")
        if isinstance(success, Mapping):
            if s not in success:
                raise ModelError(f"success has no entry for state {s} ({label!r}, {when}); add it")
            v = _num(success[s], f"success[{s}]", tol)
        elif isinstance(success, (Real, str, Fraction, sp.Basic)) and not isinstance(success, bool):
            v = _num(success, "success", tol)
        else:
            arr = np.asarray(success, dtype=object) if not isinstance(success, np.ndarray) else success
            if arr.ndim != 1 or len(arr) != n:
                raise ModelError(f"success has shape {np.shape(arr)}; give a number or an array of length {n}")
            v = _num(arr[s], f"success[{s}]", tol)
        if not _in_unit(v):
            raise ModelError(f"success for state {s} ({label!r}) is {_exact(v)}, outside [0, 1]; give a probability")
        cache[s] = v
        return v

    return value


def _per_step_table(arr, name, n, n_actions, horizon):
    """Validate the shape of an ``(S,)``, ``(S, A)`` or ``(T, S, A)`` table; return an indexer."""
    arr = arr if isinstance(arr, np.ndarray) else np.asarray(arr, dtype=object)
    if arr.ndim == 0:
        return lambda s, a, t: (arr.item(), name)
    if arr.ndim == 1 and len(arr) == n:
        return lambda s, a, t: (arr[s], f"{name}[{s}]")
    if arr.ndim == 2 and arr.shape == (n, n_actions):
        return lambda s, a, t: (arr[s, a], f"{name}[{s}, {a}]")
    if arr.ndim == 3 and arr.shape[1:] == (n, n_actions) and arr.shape[0] >= horizon:
        return lambda s, a, t: (arr[t, s, a], f"{name}[{t}, {s}, {a}]")
    hint = " (rewards that depend on the next state are not in the paper's model)" if arr.ndim == 3 and \
        arr.shape == (n, n_actions, n) else ""
    raise ModelError(f"{name} has shape {arr.shape}; give shape ({n},), ({n}, {n_actions}) or "
                     f"({horizon}, {n}, {n_actions}) for a time-dependent table{hint}")


def _likelihood_reader(R, q, n, n_actions, horizon, tol):
    if R is None and q is None:
        raise ModelError(
            "give the likelihood explicitly, one of: q = P(O=1 | s, a) in [0, 1] (q=1 when success comes "
            "only from the leaves) or R = log-likelihood <= 0 (q = exp(R)); shift ordinary rewards "
            "yourself, e.g. R - R.max()")
    if R is not None and q is not None:
        raise ModelError("give either R (log-likelihood <= 0) or q (likelihood in [0, 1]), not both")
    if q is not None:
        table = _per_step_table(q, "q", n, n_actions, horizon)

        def read(s, a, t):
            raw, where = table(s, a, t)
            v = _num(raw, where, tol)
            if not _in_unit(v):
                raise ModelError(f"{where} = {raw} is outside [0, 1]; q is a likelihood P(O=1 | s, a): give "
                                 "values in [0, 1], or rewards <= 0 as R=")
            return "q", v
    else:
        table = _per_step_table(R, "R", n, n_actions, horizon)

        def read(s, a, t):
            raw, where = table(s, a, t)
            v = _num(raw, where, tol, allow_minus_inf=True)
            if v != -math.inf and _exact(v) > 0:
                raise ModelError(
                    f"{where} = {raw} > 0; R is read as a log-likelihood (q = exp(R) must be <= 1): give R <= 0, "
                    "e.g. R - R.max() (this rescales the q of a step by one factor), or give q= in [0, 1]")
            return "reward", v
    return read


def _prior_reader(prior, n, n_actions, horizon, tol, action_label):
    if prior is None:
        raise ModelError("prior is required: give p(a | s) as an array [n_states, n_actions] (or "
                         "[horizon, n_states, n_actions]), a callable state -> probabilities, or prior='uniform'")
    if isinstance(prior, str):
        if prior != "uniform":
            raise ModelError(f"prior={prior!r} is unknown; give 'uniform', an array or a callable")

        def uniform(s, acts, t):
            return {a: Fraction(1, len(acts)) for a in acts}
        return uniform
    if callable(prior):
        def call(s, acts, t):
            got = prior(s)
            if isinstance(got, Mapping):
                missing = [a for a in acts if a not in got]
                if missing:
                    raise ModelError(f"prior({s}) has no entry for action(s) {missing}; give one per action")
                vals = {a: _num(got[a], f"prior({s})[{a}]", tol) for a in acts}
            else:
                seq = list(got)
                if any(not isinstance(a, int) or a >= len(seq) for a in acts):
                    raise ModelError(f"prior({s}) returned {len(seq)} values; give one per action "
                                     "(a sequence indexed by action, or a dict action -> probability)")
                vals = {a: _num(seq[a], f"prior({s})[{a}]", tol) for a in acts}
            _check_distribution(list(vals.values()), f"prior({s})", "the prior probabilities", tol)
            return vals
        return call
    if np.ndim(prior) < 2:
        raise ModelError(f"prior has shape {np.shape(prior)}; give an array [{n}, {n_actions}] or prior='uniform'")
    table = _per_step_table(prior, "prior", n, n_actions, horizon)
    cache: dict = {}

    def read(s, acts, t):
        key = (s, t if np.ndim(prior) == 3 else None)
        if key not in cache:
            vals, wheres = {}, []
            for a in acts:
                raw, where = table(s, a, t)
                vals[a] = _num(raw, where, tol)
                wheres.append(where)
            row = wheres[0].rsplit(",", 1)[0] + ", :]" if wheres else "prior"
            _check_distribution(list(vals.values()), row, "the prior probabilities", tol)
            cache[key] = vals
        return cache[key]
    return read


def _transition_reader(P, tol):
    """``P`` in one of the accepted layouts -> (n_states, n_actions, actions(s), row(s, a))."""
    if isinstance(P, Mapping):
        pairs = {}
        for key, row in P.items():
            if not (isinstance(key, tuple) and len(key) == 2):
                raise ModelError(f"P has key {key!r}; a dict P maps (state, action) -> {{next_state: probability}}")
            pairs[key] = row
        ids = {s for s, _ in pairs} | {s2 for row in pairs.values()
                                       for s2 in (row.keys() if isinstance(row, Mapping) else (o[0] for o in row))}
        bad = [s for s in ids if isinstance(s, bool) or not isinstance(s, (Integral, np.integer)) or s < 0]
        if bad:
            raise ModelError(f"P names state {bad[0]!r}; states of a dict P are indices 0..n-1")
        n = max(ids) + 1
        acts_of: dict = {}
        for s, a in pairs:
            if isinstance(a, bool) or not isinstance(a, (Integral, np.integer)) or a < 0:
                raise ModelError(f"P has action {a!r} in state {s}; actions are indices 0..n_actions-1")
            acts_of.setdefault(int(s), []).append(int(a))
        n_actions = max(a for _, a in pairs) + 1

        def row(s, a):
            r = pairs[(s, a)]
            items = r.items() if isinstance(r, Mapping) else r
            return [(s2, p, f"P[({s}, {a})][{s2}]") for s2, p in items], f"P[({s}, {a})]"
        return n, n_actions, (lambda s: sorted(acts_of.get(s, []))), row
    per_action = isinstance(P, (list, tuple)) and P and all(hasattr(m, "shape") for m in P)
    if not per_action and not isinstance(P, (Mapping, str)) and np.ndim(P) == 3:
        arr = P if isinstance(P, np.ndarray) else np.asarray(P, dtype=object)
        if arr.ndim != 3 or arr.shape[0] != arr.shape[2]:
            raise ModelError(f"P has shape {arr.shape}; a dense P is [n_states, n_actions, n_states] "
                             "(P[s, a, s2] = tau(s2 | s, a))")
        n, n_actions = arr.shape[0], arr.shape[1]

        def row(s, a):
            (idx,) = np.nonzero(arr[s, a] != 0)
            return [(int(s2), arr[s, a, s2], f"P[{s}, {a}, {s2}]") for s2 in idx], f"P[{s}, {a}, :]"
        return n, n_actions, (lambda s: list(range(n_actions))), row
    if per_action:
        mats = []
        for a, m in enumerate(P):
            if hasattr(m, "tocsr"):
                m = m.tocsr()
                m.sum_duplicates()
            if len(m.shape) != 2 or m.shape[0] != m.shape[1] or m.shape != P[0].shape:
                raise ModelError(f"P[{a}] has shape {m.shape}; a per-action P is a list of square "
                                 "[n_states, n_states] matrices of one size (P[a][s, s2] = tau(s2 | s, a))")
            mats.append(m)
        n, n_actions = mats[0].shape[0], len(mats)

        def row(s, a):
            m = mats[a]
            if hasattr(m, "indptr"):
                lo, hi = m.indptr[s], m.indptr[s + 1]
                cells = [(int(j), v) for j, v in zip(m.indices[lo:hi], m.data[lo:hi]) if v != 0]
            else:
                cells = [(int(j), m[s, j]) for j in np.nonzero(np.asarray(m[s]) != 0)[0]]
            return [(s2, p, f"P[{a}][{s}, {s2}]") for s2, p in cells], f"P[{a}][{s}, :]"
        return n, n_actions, (lambda s: list(range(n_actions))), row
    raise ModelError(f"P of type {type(P).__name__} is not understood; give a dense array [S, A, S], a list of "
                     "per-action [S, S] matrices (NumPy or scipy.sparse), or a dict {(s, a): {s2: prob}}")


def _outcomes(raw_row, where, tol, end_of):
    """Convert, merge duplicates (adding probabilities exactly) and check one outcome row."""
    merged: dict = {}
    for s2, p, w in raw_row:
        v = _num(p, w, tol)
        if _exact(v) != 0:
            merged.setdefault(s2, []).append(v)
    if not merged:
        raise ModelError(f"{where} has no outcome with positive probability; give tau(. | s, a) or mark the "
                         "state terminal (terminal=[...])")
    out = [(s2, _merge(vs)) for s2, vs in merged.items()]
    _check_distribution([p for _, p in out], where, "the transition probabilities", tol)
    return [(s2, p, end_of(s2)) for s2, p in out]


# --------------------------------------------------------------------------- public API

def arrays_graph(P, R=None, *, q=None, initial=None, horizon, prior=None, success=None, terminal=None,
                 rationalize=None, name="arrays", state_names=None, action_names=None, max_edges=MAX_EDGES):
    """The time-expanded :class:`networkx.MultiDiGraph` that :func:`from_arrays` validates.

    Same arguments as :func:`from_arrays`; useful to inspect or edit the graph before
    :func:`proofcheck.model.mdp.from_graph`.
    """
    if isinstance(horizon, bool) or not isinstance(horizon, (Integral, np.integer)) or not 1 <= int(horizon) <= 10_000:
        raise ModelError(f"horizon={horizon!r} must be a whole number of steps in 1..10000")
    horizon = int(horizon)
    tol = _check_tolerance(rationalize)
    n, n_actions, acts_of, row_of = _transition_reader(P, tol)
    names = _labels(state_names, n, "state_names", "s")
    anames = _labels(action_names, n_actions, "action_names", "a")
    ended = set()
    if terminal is not None:
        t_arr = np.asarray(terminal)
        if t_arr.dtype == bool:
            if t_arr.shape != (n,):
                raise ModelError(f"terminal mask has shape {t_arr.shape}; give {n} booleans or a list of indices")
            ended = {int(i) for i in np.nonzero(t_arr)[0]}
        else:
            ended = {_state_range(n, s, "terminal") for s in np.ravel(t_arr)}
    leaf = _success_reader(success, n, tol, names)
    cache: dict = {}

    def outcomes(s, a):
        if (s, a) not in cache:
            raw, where = row_of(s, a)
            cache[(s, a)] = _outcomes(raw, where, tol, lambda s2: None)
        return cache[(s, a)]

    def actions(s):
        if s in ended:
            return []
        acts = acts_of(s)
        if not acts:
            raise ModelError(f"state {s} ({names(s)!r}) is reachable but P gives it no actions; add its "
                             "transitions or list it in terminal=[...]")
        return acts

    src = _Source(actions=actions, outcomes=outcomes,
                  prior=_prior_reader(prior, n, n_actions, horizon, tol, anames),
                  likelihood=_likelihood_reader(R, q, n, n_actions, horizon, tol),
                  leaf_success=leaf, state_label=names, action_label=anames)
    G = _time_expanded(src, _initial(initial, n, tol), horizon, max_edges=max_edges, graph_attrs={})
    return _finish(G, name=f"{name}, horizon {horizon}", rationalize=tol,
                   source=f"from_arrays: {n} states, {n_actions} actions, unrolled to horizon {horizon}")


def _labels(given, count, what, prefix) -> Callable:
    if given is None:
        return lambda i: f"{prefix}{i}"
    seq = list(given)
    if len(seq) != count or len(set(map(str, seq))) != count:
        raise ModelError(f"{what} has {len(seq)} entries; give {count} distinct names")
    if any("@" in str(x) for x in seq):
        raise ModelError(f"{what} contains '@', which separates state and time in the graph; rename it")
    return lambda i: str(seq[i])


def from_arrays(P, R=None, *, q=None, initial=None, horizon, prior=None, success=None, terminal=None,
                rationalize=None, name="arrays", state_names=None, action_names=None,
                max_edges=MAX_EDGES, validate=True):
    """Build an :class:`~proofcheck.model.mdp.MDP` from transition, reward and prior arrays.

    Parameters
    ----------
    P : array [S, A, S], list of A matrices [S, S] (NumPy or scipy.sparse), or dict
        ``tau(s2 | s, a)``: ``P[s, a, s2]``, ``P[a][s, s2]`` or ``P[(s, a)] = {s2: prob}`` (a dict may
        also give a list of ``(s2, prob)`` pairs; repeated ``s2`` are merged by adding).  A dict may
        leave out pairs: a state's actions are the ones it lists.
    R : array [S] or [S, A] or [horizon, S, A], optional
        Log-likelihoods ``r(s, a) <= 0`` (``-inf`` allowed): ``q = exp(r)``.  Positive values raise.
    q : array of the same shapes or a number, optional
        Likelihoods ``q(s, a) = P(O = 1 | s, a)`` in [0, 1].  Give exactly one of ``R`` and ``q``.
    initial : int, array [S] or dict
        The initial state or distribution (required).
    horizon : int
        Number of steps; the MDP is unrolled exactly into a time-expanded DAG with states
        ``"s3@t2"``, built only where reachable from ``initial``.
    prior : array [S, A] or [horizon, S, A], callable ``s -> probabilities``, or ``"uniform"``
        The prior ``p(a | s)`` (required; ``"uniform"`` must be asked for).
    success : number, array [S] or dict
        Leaf success ``P(R = 1 | leaf)`` of a state where the episode ends (cut at the horizon or
        terminal).  Required: there is no default (``success=0`` says that an episode still
        running at the horizon fails).
    terminal : array of indices or boolean mask [S], optional
        States without actions (the episode ends on entering them).
    rationalize : float, optional
        Map each float to the simplest rational within this tolerance (recorded in the name,
        ``mdp.source`` and the graph attribute ``rationalized``).  Default: keep the float's
        exact binary value and mark the model inexact.
    name, state_names, action_names
        Labels: model name, ``"s{i}"`` and ``"a{i}"`` by default.
    max_edges : int
        Refuse graphs with more edges (default :data:`MAX_EDGES`).
    validate : bool
        Passed to :func:`~proofcheck.model.mdp.from_graph`.

    Raises
    ------
    proofcheck.errors.ModelError
        One line naming the entry (``R[3, 1]``, ``P[0, 1, :]``), its value and the fix.

    Examples
    --------
    >>> from fractions import Fraction as F
    >>> P = {(0, 0): {1: 1}, (0, 1): [(1, F(1, 4)), (2, F(1, 4)), (2, F(1, 2))]}
    >>> m = from_arrays(P, q=1, initial=0, horizon=1, success=[0, F(1, 2), 1], prior="uniform",
    ...                 terminal=[1, 2])
    >>> sorted(m.states), m.exact
    (['s0@t0', 's1@t1', 's2@t1'], True)
    """
    G = arrays_graph(P, R, q=q, initial=initial, horizon=horizon, prior=prior, success=success,
                     terminal=terminal, rationalize=rationalize, name=name, state_names=state_names,
                     action_names=action_names, max_edges=max_edges)
    return from_graph(G, validate=validate)
