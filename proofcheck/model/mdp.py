"""Finite-horizon MDPs held as networkx graphs (spec section 1).

Graph schema
------------
An MDP is a :class:`networkx.MultiDiGraph` (a :class:`networkx.DiGraph` is accepted too).

* **Nodes** are states.  Node attribute ``success``: the leaf success probability
  ``P(R = 1 | leaf)``, terminal states only, default 1 (spec section 1: a state with
  actions and ``success`` is an error, in acyclic and cyclic graphs alike).  Node attribute
  ``initial``: the state's mass under the initial distribution ``mu`` (alternatively the
  graph attribute).
* **Edges** ``(s, s2, key=a)`` are the outcomes of action ``a`` in state ``s``.  In a
  ``DiGraph`` the action is the edge attribute ``action`` (default: the target's name).
  Edge attributes:

  - ``prob``: ``tau(s2 | s, a)``, default 1;
  - ``prior``: ``p(a | s)``;
  - ``q``: the likelihood ``P(O = 1 | s, a)`` in [0, 1], or ``reward``: ``r(s, a) <= 0``
    with ``q = exp(r)``; ``reward = "-oo"`` (or ``-sympy.oo``, ``float("-inf")``) means
    ``q = 0``; default ``q = 1``.

  ``prior``, ``q`` and ``reward`` belong to the pair ``(s, a)``: when an action has several
  outcome edges, give them on one edge or give equal values on each.
* **Graph attributes**: ``initial`` (a state, or a dict state -> probability; default:
  the unique state without predecessors), ``parameters`` (dict name -> ``(low, high)``),
  ``horizon`` (required for cyclic graphs, which are unrolled to that many steps),
  ``horizon_success`` (cyclic graphs: the success of the states that still have actions
  when the unrolling stops at the horizon: one value, or a dict state -> value; see
  :func:`unroll`), ``default_prior`` (``"uniform"`` fills in missing priors), ``name``,
  ``tolerance`` (for float values; default ``1e-9``).

Values may be SymPy expressions, ints, :class:`fractions.Fraction`, floats (marked
inexact: ``mdp.exact`` is False and the repr ends in ``inexact (float inputs)``) or
strings (parsed by the allow-listed grammar of
:func:`proofcheck.model.expressions.parse_expression`).

Time is implicit: the graph is a DAG and the engine sweeps it by *height* (longest
path to a terminal), so every recursion is one pass of dynamic programming.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from numbers import Integral
from typing import Any

import numpy as np
import sympy as sp

from proofcheck._text import terminal_safe
from proofcheck._validation import did_you_mean, rounding_residue
from proofcheck.errors import HorizonSuccessError, HorizonSuccessWarning, ModelError
from proofcheck.model.display import mdp_html, policy_html
from proofcheck.model.expressions import binary_float, parse_expression, rational_of_float
from proofcheck.model.validation import _model_codes
from proofcheck.model.validation import validate as _validate_model

__all__ = ["MDP", "Policy", "from_graph", "to_graph", "unroll", "HorizonSuccessWarning", "HorizonSuccessError"]

_ZERO = sp.Integer(0)
_ONE = sp.Integer(1)


def _describe(value):
    return repr(value) if isinstance(value, str) else str(value)


def _to_expr(value, symbols, where):
    """Convert a user value to a SymPy expression, never sympifying untrusted text."""
    if isinstance(value, bool):
        raise ModelError(f"{where}: got the boolean {value!r}; give a number such as 1/2")
    if isinstance(value, sp.Expr):
        unknown = value.free_symbols - set(symbols.values())
        if unknown:
            names = ", ".join(sorted(str(u) for u in unknown))
            raise ModelError(
                f"{where}: unknown symbol(s) {names} in {value}; declare them in the graph "
                f"attribute parameters, e.g. G.graph['parameters'] = {{'{sorted(str(u) for u in unknown)[0]}': (0, 1)}}"
            )
        if value.has(sp.nan, sp.zoo) or value in (sp.oo, -sp.oo):
            raise ModelError(f"{where}: value {value} is not a finite number; give a finite value")
        return value
    if isinstance(value, Integral):
        return sp.Integer(int(value))
    if isinstance(value, Fraction):
        return sp.Rational(value.numerator, value.denominator)
    if isinstance(value, Decimal):  # an exact decimal (pandas and SQL give these): exact, not a float
        if not value.is_finite():
            raise ModelError(f"{where}: value {value} is not finite; give a finite number")
        return sp.Rational(*value.as_integer_ratio())
    if isinstance(value, (float, np.floating)):
        if not math.isfinite(value):
            raise ModelError(f"{where}: value {value} is not finite; give a finite number")
        return sp.Float(float(value))
    if isinstance(value, str):
        return parse_expression(value, symbols, where=where)
    raise ModelError(
        f"{where}: unsupported value {_safe_repr(value)} of type {type(value).__name__}; "
        "give a number, a fraction string such as '1/2', or a SymPy expression"
    )


def _safe_repr(value, n=60):
    """A short repr, safe for deeply nested or huge values from untrusted input."""
    try:
        r = repr(value)
    except RecursionError:
        return f"<deeply nested {type(value).__name__}>"
    return r if len(r) <= n else r[: n - 3] + "..."


class _ExprMemo:
    """:func:`_to_expr` once per distinct input value (a tree of 32,767 states has a few
    distinct numbers; parsing or checking each occurrence again made building quadratic
    in practice).  Failures are not cached: each raises where it occurs, as before."""

    __slots__ = ("symbols", "_seen")

    def __init__(self, symbols):
        self.symbols = symbols
        self._seen = {}

    def __call__(self, value, where):
        try:
            k = (value.__class__, value)
            hit = self._seen.get(k)
        except TypeError:  # unhashable: convert (and fail) without the memo
            return _to_expr(value, self.symbols, where() if callable(where) else where)
        if hit is None:
            hit = self._seen[k] = _to_expr(value, self.symbols, where() if callable(where) else where)
        return hit


def _is_float(expr):
    if expr.is_Rational:  # the common exact case, without walking the expression
        return False
    return bool(expr.atoms(sp.Float))


@dataclass(frozen=True)
class _Block:
    """One height level: contiguous ranges of states, state-action pairs and edges."""

    height: int
    states: slice
    pairs: slice
    edges: slice


class MDP:
    """A validated finite-horizon MDP in compiled (array) form.

    Build it with :func:`from_graph` or :func:`proofcheck.load_case`; convert back with
    :func:`to_graph`.  States are ordered by decreasing height, which is a topological
    order; state-action pairs ("pairs") and outcome edges are stored contiguously in
    that order, so each height level is one slice of every array.

    Attributes
    ----------
    states : tuple
        State names in topological order.
    pair_state, pair_action
        For each state-action pair, its state index and action name.
    state_ptr : ndarray
        Pairs of state ``i`` are ``state_ptr[i]:state_ptr[i+1]``.
    edge_target, edge_pair : ndarray
        Target state index and owning pair of each outcome edge.
    pair_ptr : ndarray
        Edges of pair ``j`` are ``pair_ptr[j]:pair_ptr[j+1]``.
    edge_prob, prior, likelihood, success, initial : ndarray of sympy.Expr
        ``tau``, ``p(a|s)``, ``q(s,a)``, leaf success (1 for non-terminal states), ``mu``.
    parameters : dict
        ``sympy.Symbol -> (low, high)``.
    horizon_success
        For a model unrolled from a cyclic graph: the success given to the states cut at
        the horizon (a SymPy value, or a dict state -> value), else None.
    horizon_success_explicit : bool
        False when that value is the legacy default 1 (no ``horizon_success`` given).
    """

    # Recorded by :func:`from_graph` for models unrolled from cyclic graphs.
    horizon_success = None
    horizon_success_explicit = True

    # The compiled arrays, set by :func:`_compile_into` (declared here for type checkers).
    name: str
    parameters: dict
    tolerance: float
    source: Any
    states: tuple
    index: dict
    pair_state: np.ndarray
    pair_action: tuple
    state_ptr: np.ndarray
    edge_target: np.ndarray
    edge_pair: np.ndarray
    pair_ptr: np.ndarray
    edge_prob: np.ndarray
    prior: np.ndarray
    likelihood: np.ndarray
    success: np.ndarray
    initial: np.ndarray
    height: np.ndarray
    terminal: np.ndarray
    _pair_index: dict
    _blocks: list
    _converted: dict

    def __init__(self, *, states, actions, outcomes, prior, likelihood, success, initial,
                 parameters=None, name=None, tolerance=1e-9, source=None):
        # ``actions[s]``: list of action names; ``outcomes[(s, a)]``: list of (s2, prob);
        # ``prior``/``likelihood``: dict (s, a) -> expr; ``success``/``initial``: dict s -> expr.
        order = sorted(states, key=_sort_key)  # ties of height keep this order
        index = {s: i for i, s in enumerate(order)}
        pair_action, state_ptr, edge_target, edge_prob, pair_ptr = [], [0], [], [], [0]
        prior_v, q_v = [], []
        for s in order:
            for a in actions.get(s, ()):
                pair_action.append(a)
                prior_v.append(prior[(s, a)])
                q_v.append(likelihood[(s, a)])
                for s2, pr in outcomes[(s, a)]:
                    edge_target.append(index[s2])
                    edge_prob.append(pr)
                pair_ptr.append(len(edge_target))
            state_ptr.append(len(pair_action))
        _compile_into(self, names=order, state_ptr=state_ptr, pair_action=pair_action, pair_ptr=pair_ptr,
                      edge_target=edge_target, edge_prob=edge_prob, prior=prior_v, likelihood=q_v,
                      success=[success.get(s, _ONE) for s in order],
                      initial=[initial.get(s, _ZERO) for s in order], parameters=parameters, name=name,
                      tolerance=tolerance, source=source)

    @classmethod
    def from_arrays(cls, *, state_ptr, pair_ptr, edge_target, edge_prob, prior, likelihood,
                    initial, success=None, states=None, pair_state=None, pair_action=None,
                    parameters=None, name=None, tolerance=1e-9, validate=True):
        """Build an MDP directly from compiled (CSR) arrays, without SymPy objects.

        The fast constructor for large models: everything is vectorised NumPy, time and
        memory are linear in the number of edges (plus one sort).

        Parameters
        ----------
        state_ptr : int array, length ``n_states + 1``
            Pairs of state ``i`` are ``state_ptr[i]:state_ptr[i+1]`` (terminals: empty).
        pair_ptr : int array, length ``n_pairs + 1``
            Outcome edges of pair ``j`` are ``pair_ptr[j]:pair_ptr[j+1]`` (non-empty).
        edge_target : int array
            Target state of each edge (indices into the given state order).
        edge_prob, prior, likelihood : arrays over edges / pairs / pairs
        initial : array over states
            ``mu``.
        success : array over states, optional
            Leaf success (only terminal entries are used; default 1).
        states : sequence, optional
            State names (default: the integers ``0..n-1``).
        pair_state : int array, optional
            Checked against ``state_ptr`` when given.
        pair_action : array, optional
            Action names per pair (default: the position within the state, 0, 1, ...).
        parameters : dict, optional
            ``Symbol -> (low, high)`` for SymPy-valued arrays.
        validate : bool
            Check shapes, ranges and sums (vectorised for float values).

        Value arrays are either all ``float64`` (then ``mdp.converted(FloatBackend())``
        returns them as they are, the mpmath and interval backends read each float as
        the exact binary number it stores, and the exact backend refuses with a
        ModelError) or all exact (SymPy expressions, ints, Fractions: object arrays).
        States may come in any order that forms a DAG; they are re-ordered by
        decreasing height, ties in the given order.

        Examples
        --------
        >>> import numpy as np
        >>> m = MDP.from_arrays(state_ptr=[0, 2, 2, 2], pair_ptr=[0, 1, 2], edge_target=[1, 2],
        ...                     edge_prob=np.ones(2), prior=np.array([0.5, 0.5]),
        ...                     likelihood=np.array([1.0, 0.25]), initial=np.array([1.0, 0, 0]))
        >>> m
        <MDP 'mdp': 3 states, 2 state-action pairs, horizon 1, deterministic>
        >>> from proofcheck.engine import FloatBackend
        >>> m.converted(FloatBackend())["likelihood"]
        array([1.  , 0.25])
        """
        tolerance = _tolerance(tolerance, "from_arrays: tolerance")
        state_ptr = np.asarray(state_ptr, dtype=np.int64)
        pair_ptr = np.asarray(pair_ptr, dtype=np.int64)
        edge_target = np.asarray(edge_target, dtype=np.int64)
        n = len(state_ptr) - 1
        if n < 1 or state_ptr[0] != 0 or np.any(np.diff(state_ptr) < 0):
            raise ModelError("from_arrays: state_ptr must start at 0, be non-decreasing and have "
                             "n_states + 1 entries; give the CSR offsets of each state's pairs")
        m_pairs = int(state_ptr[-1])
        if len(pair_ptr) != m_pairs + 1 or pair_ptr[0] != 0 or np.any(np.diff(pair_ptr) <= 0):
            raise ModelError(f"from_arrays: pair_ptr must have n_pairs + 1 = {m_pairs + 1} strictly increasing "
                             "entries from 0 (every action needs an outcome); fix pair_ptr")
        n_edges = int(pair_ptr[-1])
        if len(edge_target) != n_edges or (n_edges and (edge_target.min() < 0 or edge_target.max() >= n)):
            raise ModelError(f"from_arrays: edge_target must have {n_edges} entries in 0..{n - 1}; fix edge_target")
        vals = {"edge_prob": (edge_prob, n_edges), "prior": (prior, m_pairs),
                "likelihood": (likelihood, m_pairs), "initial": (initial, n)}
        kinds = set()
        arrays = {}
        for key, (v, size) in vals.items():
            arr = np.asarray(v) if not isinstance(v, np.ndarray) else v
            if arr.ndim != 1:
                raise ModelError(f"from_arrays: {key} has shape {arr.shape}; give a 1-d array of {size} entries")
            if len(arr) != size:
                raise ModelError(f"from_arrays: {key} has {len(arr)} entries, expected {size}; fix {key}")
            kinds.add(arr.dtype.kind == "f")
            arrays[key] = arr
        is_float = kinds == {True}
        if len(kinds) > 1:
            exact = [k for k, a in arrays.items() if a.dtype.kind != "f"]
            listed = ", ".join(f"{k} ({arrays[k].dtype})" for k in exact)
            raise ModelError(f"from_arrays: mix of float64 and exact value arrays ({listed} not float); give all "
                             f"values as float64 (e.g. np.asarray({exact[0]}, dtype=float)) or all as exact numbers")
        if success is None:
            success = np.ones(n) if is_float else [_ONE] * n
        arrays["success"] = np.asarray(success) if not isinstance(success, np.ndarray) else success
        if len(arrays["success"]) != n:
            raise ModelError(f"from_arrays: success has {len(arrays['success'])} entries, expected {n}; fix success")
        symbols = {str(k): k for k in (parameters or {})}
        memo = _ExprMemo(symbols)
        for key, arr in arrays.items():
            if is_float:
                arrays[key] = np.asarray(arr, dtype=np.float64)
            else:
                arrays[key] = _obj([memo(x, lambda key=key, i=i: f"from_arrays: {key}[{i}]")
                                    for i, x in enumerate(arr)])
        npairs = np.diff(state_ptr)
        nedges = np.diff(pair_ptr)
        p_state = np.repeat(np.arange(n, dtype=np.int64), npairs)
        if pair_state is not None and not np.array_equal(np.asarray(pair_state), p_state):
            raise ModelError("from_arrays: pair_state disagrees with state_ptr; omit pair_state or fix it")
        e_pair = np.repeat(np.arange(m_pairs, dtype=np.int64), nedges)
        height = _heights(n, state_ptr, pair_ptr, p_state[e_pair] if n_edges else e_pair, edge_target)
        perm = np.lexsort((np.arange(n), -height))
        if pair_action is None:
            pair_action = np.arange(m_pairs, dtype=np.int64) - np.repeat(state_ptr[:-1], npairs)
        pair_action = np.asarray(pair_action) if not isinstance(pair_action, (np.ndarray, tuple)) else pair_action
        names = np.arange(n, dtype=np.int64) if states is None else list(states)
        if len(names) != n:
            raise ModelError(f"from_arrays: {len(names)} state names for {n} states; fix states")
        if not np.array_equal(perm, np.arange(n)):
            new_of_old = np.empty(n, dtype=np.int64)
            new_of_old[perm] = np.arange(n)
            pair_perm = _ranges(state_ptr[perm], npairs[perm])
            edge_perm = _ranges(pair_ptr[pair_perm], nedges[pair_perm])
            state_ptr = np.concatenate([[0], np.cumsum(npairs[perm])])
            pair_ptr = np.concatenate([[0], np.cumsum(nedges[pair_perm])])
            edge_target = new_of_old[edge_target[edge_perm]]
            for key, idx in (("edge_prob", edge_perm), ("prior", pair_perm), ("likelihood", pair_perm),
                             ("initial", perm), ("success", perm)):
                arrays[key] = arrays[key][idx]
            pair_action = (pair_action[pair_perm] if isinstance(pair_action, np.ndarray)
                           else tuple(pair_action[j] for j in pair_perm))
            names = names[perm] if isinstance(names, np.ndarray) else [names[i] for i in perm]
            height = height[perm]
            p_state = np.repeat(np.arange(n, dtype=np.int64), np.diff(state_ptr))
            e_pair = np.repeat(np.arange(m_pairs, dtype=np.int64), np.diff(pair_ptr))
        new = object.__new__(cls)
        new.name = name or "mdp"
        new.parameters = dict(parameters or {})
        new.tolerance = tolerance
        new.source = None
        new.states = tuple(names.tolist()) if isinstance(names, np.ndarray) else tuple(names)
        new.index = _IntIndex(perm) if states is None else {s: i for i, s in enumerate(new.states)}
        new.pair_state, new.pair_action, new.state_ptr = p_state, pair_action, state_ptr
        new.edge_target, new.edge_pair, new.pair_ptr = edge_target, e_pair, pair_ptr
        for key, arr in arrays.items():
            setattr(new, key, arr)
        new.height = height
        new.terminal = state_ptr[1:] == state_ptr[:-1]
        new._pair_index = _LazyPairIndex(new)
        new._blocks = _blocks_from_heights(height, state_ptr, pair_ptr)
        new._converted = {}
        if validate:
            if is_float:
                _validate_float_arrays(new)
            else:
                _validate_model(new)
        return new

    # ------------------------------------------------------------------ structure
    @property
    def blocks(self):
        """Height levels, terminals (height 0) first; the backward pass order."""
        return self._blocks

    @property
    def n_states(self):
        return len(self.states)

    @property
    def n_pairs(self):
        return len(self.pair_action)

    @property
    def horizon(self):
        """Number of decision steps on the longest path (``T``)."""
        return int(self.height.max()) if self.n_states else 0

    @property
    def deterministic(self):
        """True when every action has exactly one outcome."""
        return bool(np.all(np.diff(self.pair_ptr) == 1))

    @property
    def symbols(self):
        return tuple(self.parameters)

    @property
    def is_parametric(self):
        return bool(self.parameters)

    @property
    def exact(self):
        """False when some value was given as a float."""
        if getattr(self, "_float_inputs", False):
            return False
        if any(getattr(self, a).dtype != object for a in ("edge_prob", "prior", "likelihood")):
            return False  # float64 arrays from MDP.from_arrays
        return not any(_is_float(v) for arr in (self.edge_prob, self.prior, self.likelihood,
                                               self.success, self.initial) for v in arr)

    def actions(self, state):
        """Action names available in ``state`` (empty for terminal states)."""
        i = self.index[state]
        return self.pair_action[self.state_ptr[i]:self.state_ptr[i + 1]]

    def check_state(self, state):
        """Raise :class:`ModelError`, naming the closest state, unless ``state`` is one of the model's."""
        if state not in self.index:
            raise ModelError(f"unknown state {state!r}{did_you_mean(state, self.states)}; "
                             f"states are {_preview(self.states)}")

    def pair(self, state, action):
        """Index of the pair ``(state, action)``; a clear error when it does not exist."""
        try:
            return self._pair_index[(state, action)]
        except KeyError:
            pass  # (the errors below are raised outside the handler: no chained KeyError)
        self.check_state(state)
        actions = list(self.actions(state))
        raise ModelError(f"state {state!r} has no action {action!r}{did_you_mean(action, actions)}; "
                         f"its actions are {actions}")

    def outcomes(self, state, action):
        """List of ``(next_state, probability)`` for a pair."""
        j = self.pair(state, action)
        return [(self.states[self.edge_target[e]], self.edge_prob[e])
                for e in range(self.pair_ptr[j], self.pair_ptr[j + 1])]

    def initial_states(self):
        return [s for s, m in zip(self.states, self.initial) if m != 0]

    def uniform_policy(self):
        """The uniform policy over each state's actions: exact, or float64 for a model
        whose values are float64 arrays (like :meth:`prior_policy` there)."""
        pol = self._converted.get("policy:uniform")  # one shared object, like prior_policy
        if pol is None:
            counts = np.diff(self.state_ptr)[self.pair_state]
            values = 1.0 / counts if self.prior.dtype.kind == "f" else _uniform_rationals(counts)
            pol = self._converted["policy:uniform"] = Policy(self, values)
        return pol

    def prior_policy(self):
        """The prior ``p(a|s)`` as a :class:`Policy` (one shared object per model, so its
        conversions into numeric backends are cached)."""
        pol = self._converted.get("policy:prior")
        if pol is None:
            pol = self._converted["policy:prior"] = Policy(self, self.prior.copy())
            if pol.values.dtype == object:  # a copy: the same groups
                pol._codes = (pol.values, _model_codes(self, "prior"))
        return pol

    def policy(self, table):
        """Build a :class:`Policy` from ``{state: {action: prob}}`` (missing pairs get 0)."""
        values = [_ZERO] * self.n_pairs
        for s, row in table.items():
            for a, v in row.items():
                values[self.pair(s, a)] = _to_expr(v, {str(k): k for k in self.parameters},
                                                   f"policy[{s!r}][{a!r}]")
        return Policy(self, _obj(values))

    def substitute(self, values):
        """A copy with parameters replaced by numbers: ``values`` maps name or Symbol to value.

        The copy for the same values is made once and returned again (models are not
        changed after they are built): the claims of a parametric model confirm their cases
        at the same points, and the results memoized on that copy serve them all.
        """
        subs = {}
        for k, v in values.items():
            sym = k if isinstance(k, sp.Symbol) else _symbol_named(self.parameters, k)
            subs[sym] = _to_expr(v, {}, f"value of parameter {sym}")
        cache = self.__dict__.setdefault("_substituted", {})
        key = tuple(sorted(subs.items(), key=lambda item: item[0].name))
        new = cache.get(key)
        if new is not None:
            return new
        new = object.__new__(MDP)
        new.__dict__.update(self.__dict__)
        for attr in ("edge_prob", "prior", "likelihood", "success", "initial"):
            setattr(new, attr, _obj([sp.sympify(x).xreplace(subs) for x in getattr(self, attr)]))
        new.parameters = {s: r for s, r in self.parameters.items() if s not in subs}
        new._converted, new._substituted = {}, {}
        new.__dict__.pop("_normalised", None)  # other numbers: normalised afresh
        if len(cache) >= 256:  # a sweep over many values keeps only recent copies alive
            cache.clear()
        cache[key] = new
        return new

    def _distribution_sums(self):
        """``(attr, index array of each value's distribution, sums)`` for ``mu``, each state's
        prior and each pair's outcomes; None unless every value is an exact rational."""
        groups = (("initial", np.zeros(self.n_states, dtype=np.int64)),
                  ("prior", self.pair_state),
                  ("edge_prob", np.repeat(np.arange(self.n_pairs), np.diff(self.pair_ptr))))
        out = []
        for attr, index in groups:
            values = getattr(self, attr)
            if values.dtype != object or not all(getattr(v, "is_Rational", False) for v in values):
                return None
            sums: dict = {}
            for i, v in zip(index.tolist(), values):
                sums[i] = sums.get(i, 0) + v
            out.append((attr, index, sums))
        return out

    def normalisation_gap(self):
        """The largest ``|sum - 1|`` over the model's distributions (``mu``, each state's prior,
        each pair's outcomes), exactly: 0 when they are probability distributions, and up to
        the tolerance for float inputs (the binary values of 0.1 and 0.9 sum to 1 + 2^-55).

        >>> from proofcheck import loads_case
        >>> m = loads_case('''
        ... [mdp]
        ... initial = "s"
        ... default_prior = "uniform"
        ... [states.s.actions.a]
        ... next = { t = 0.1, u = 0.9 }
        ... [states.t]
        ... success = 1
        ... [states.u]
        ... success = 0
        ... ''').mdp
        >>> m.normalisation_gap() * 2 ** 55, m.normalised().normalisation_gap()
        (1, 0)
        """
        groups = self._distribution_sums()
        if groups is None:
            return 0
        return max((abs(t - 1) for _attr, _index, sums in groups for t in sums.values()), default=0)

    def normalised(self):
        """This model with every distribution divided by its exact sum (itself when all sum to
        1, or when its values are not all exact rationals): what float inputs accepted within the
        tolerance stand for, the probability model that the paper's claims are about.

        The copy is made once and returned again, as :meth:`substitute`'s are: every claim
        that checks a failure on it then shares the results memoized on that copy."""
        done = self.__dict__.get("_normalised")  # False: this model is its own (no self-reference)
        if done is not None:
            return done or self
        groups = self._distribution_sums()
        if groups is None or all(t == 1 for _attr, _index, sums in groups for t in sums.values()):
            self._normalised = False
            return self
        new = object.__new__(MDP)
        new.__dict__.update(self.__dict__)
        for attr, index, sums in groups:
            setattr(new, attr, _obj([v / sums[i] if sums[i] != 1 else v
                                     for i, v in zip(index.tolist(), getattr(self, attr))]))
        new.name = f"{self.name} (distributions normalised)"
        new._converted, new._substituted = {}, {}
        new._normalised = False
        self._normalised = new
        return new

    def converted(self, backend):
        """The model's numbers in ``backend``'s number type (cached per backend)."""
        key = backend.key
        if key not in self._converted:
            self._converted[key] = {
                attr: _convert_shared(backend, getattr(self, attr),
                                      _model_codes(self, attr) if getattr(self, attr).dtype == object else None)
                for attr in ("edge_prob", "prior", "likelihood", "success", "initial")
            }
        return self._converted[key]

    @property
    def float_inputs(self):
        """True when some value was given as a (Python or SymPy) float, not exactly.

        Models built by :meth:`from_arrays` from float64 arrays are inexact by construction
        (``exact`` is False) but not flagged here: their number type is the caller's choice.
        """
        if getattr(self, "_float_inputs", False):
            return True
        if any(getattr(self, a).dtype != object for a in ("edge_prob", "prior", "likelihood")):
            return False
        return not self.exact

    def _repr_html_(self):
        return mdp_html(self)

    def __repr__(self):
        kind = "deterministic" if self.deterministic else "stochastic"
        inexact = ", inexact (float inputs)" if self.float_inputs else ""
        return (f"<MDP {self.name!r}: {self.n_states} states, {self.n_pairs} state-action pairs, "
                f"horizon {self.horizon}, {kind}{inexact}>")


def _ranges(starts, lengths):
    """Concatenation of ``arange(starts[i], starts[i] + lengths[i])``, vectorised."""
    lengths = np.asarray(lengths, dtype=np.int64)
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.repeat(np.asarray(starts, dtype=np.int64), lengths) + (np.arange(total) - offsets)


def _uniform_rationals(counts):
    """``1/c`` as SymPy rationals for each count (one Rational per distinct count)."""
    distinct, inverse = np.unique(counts, return_inverse=True)
    return _obj([sp.Rational(1, int(c)) for c in distinct])[inverse.reshape(-1)]


def _heights(n, state_ptr, pair_ptr, edge_src, edge_target):
    """Longest path to a terminal, by peeling levels of the reversed DAG (each edge once)."""
    out_deg = pair_ptr[state_ptr[1:]] - pair_ptr[state_ptr[:-1]]
    order = np.argsort(edge_target)  # only grouping by target is needed, not stability
    rev_ptr = np.concatenate([[0], np.cumsum(np.bincount(edge_target, minlength=n))])
    remaining = out_deg.copy()
    height = np.full(n, -1, dtype=np.int64)
    frontier = np.flatnonzero(out_deg == 0)
    h = 0
    while len(frontier):
        height[frontier] = h
        inc = order[_ranges(rev_ptr[frontier], rev_ptr[frontier + 1] - rev_ptr[frontier])]
        src, cnt = np.unique(edge_src[inc], return_counts=True)
        remaining[src] -= cnt
        frontier = src[remaining[src] == 0]
        h += 1
    if np.any(height < 0):
        bad = int(np.flatnonzero(height < 0)[0])
        raise ModelError(f"from_arrays: the transition graph has a cycle through state index {bad}; "
                         "unroll it to a horizon first (every edge must lead towards a terminal)")
    return height


def _blocks_from_heights(height, state_ptr, pair_ptr):
    """Height levels as slices of states, pairs and edges, height 0 first (states are
    sorted by decreasing height)."""
    n = len(height)
    if n == 0:
        return ()
    cuts = np.concatenate([[0], np.flatnonzero(np.diff(height)) + 1, [n]])
    blocks = []
    for a, b in zip(cuts[:-1], cuts[1:]):
        p0, p1 = int(state_ptr[a]), int(state_ptr[b])
        blocks.append(_Block(int(height[a]), slice(int(a), int(b)), slice(p0, p1),
                             slice(int(pair_ptr[p0]), int(pair_ptr[p1]))))
    return tuple(reversed(blocks))


def _compile_into(mdp, *, names, state_ptr, pair_action, pair_ptr, edge_target, edge_prob, prior,
                  likelihood, success, initial, parameters=None, name=None, tolerance=1e-9, source=None):
    """Fill ``mdp``'s compiled arrays from CSR lists (states in ``names`` order, pairs and
    edges grouped by state and pair, values per edge / pair / state), states re-ordered by
    decreasing height, ties in the given order.  Vectorised: no graph library, one sort.
    Raises ModelError for a cycle."""
    mdp.name = name or "mdp"
    mdp.parameters = dict(parameters or {})
    mdp.tolerance = tolerance
    mdp.source = source
    n, m = len(names), len(pair_action)
    state_ptr = np.asarray(state_ptr, dtype=np.int64)
    pair_ptr = np.asarray(pair_ptr, dtype=np.int64)
    edge_target = np.asarray(edge_target, dtype=np.int64)
    npairs, nedges = np.diff(state_ptr), np.diff(pair_ptr)
    p_state = np.repeat(np.arange(n, dtype=np.int64), npairs)
    e_pair = np.repeat(np.arange(m, dtype=np.int64), nedges)
    height = _heights(n, state_ptr, pair_ptr, p_state[e_pair], edge_target)
    edge_prob, prior, likelihood = _obj(edge_prob), _obj(prior), _obj(likelihood)
    success, initial = _obj(success), _obj(initial)
    perm = np.argsort(-height, kind="stable")
    if not np.array_equal(perm, np.arange(n)):
        new_of_old = np.empty(n, dtype=np.int64)
        new_of_old[perm] = np.arange(n)
        pair_perm = _ranges(state_ptr[perm], npairs[perm])
        edge_perm = _ranges(pair_ptr[pair_perm], nedges[pair_perm])
        state_ptr = np.concatenate([[0], np.cumsum(npairs[perm])]).astype(np.int64)
        pair_ptr = np.concatenate([[0], np.cumsum(nedges[pair_perm])]).astype(np.int64)
        edge_target = new_of_old[edge_target[edge_perm]]
        edge_prob, prior, likelihood = edge_prob[edge_perm], prior[pair_perm], likelihood[pair_perm]
        success, initial, height = success[perm], initial[perm], height[perm]
        pair_action = [pair_action[j] for j in pair_perm.tolist()]
        names = [names[i] for i in perm.tolist()]
        p_state = np.repeat(np.arange(n, dtype=np.int64), np.diff(state_ptr))
        e_pair = np.repeat(np.arange(m, dtype=np.int64), np.diff(pair_ptr))
    mdp.states = tuple(names)
    mdp.index = {s: i for i, s in enumerate(mdp.states)}
    mdp.pair_state, mdp.pair_action, mdp.state_ptr = p_state, tuple(pair_action), state_ptr
    mdp.edge_target, mdp.edge_pair, mdp.pair_ptr = edge_target, e_pair, pair_ptr
    mdp.edge_prob, mdp.prior, mdp.likelihood = edge_prob, prior, likelihood
    mdp.success, mdp.initial, mdp.height = success, initial, height
    mdp.terminal = state_ptr[1:] == state_ptr[:-1]
    pair_names = [mdp.states[i] for i in p_state.tolist()]
    mdp._pair_index = dict(zip(zip(pair_names, mdp.pair_action), range(m)))
    mdp._blocks = _blocks_from_heights(height, state_ptr, pair_ptr)
    mdp._converted = {}
    return mdp


def _compile_mdp(**kwargs):
    """A new :class:`MDP` from CSR lists: see :func:`_compile_into` (not validated)."""
    return _compile_into(object.__new__(MDP), **kwargs)


def _convert_shared(backend, arr, codes=None):
    """``backend.array(arr)``, converting each distinct object of an object array once
    (a large model shares a few value objects: a tree's 32,766 priors are two).
    ``codes``: ``arr``'s identity groups, if known (:func:`_model_codes`)."""
    n = len(arr)
    if n < 64 or not isinstance(arr, np.ndarray) or arr.dtype != object:
        return backend.array(arr)
    if codes is None:
        ids = np.fromiter(map(id, arr), dtype=np.uint64, count=n)
        _, first, inverse = np.unique(ids, return_index=True, return_inverse=True)
        if len(first) * 2 > n:
            return backend.array(arr)
        return backend.array(arr[first])[inverse.reshape(-1)]
    inverse, objects = codes
    if len(objects) * 2 > n:
        return backend.array(arr)
    return backend.array(_obj(objects))[inverse]


def _validate_float_arrays(mdp):
    tol = mdp.tolerance
    for key in ("edge_prob", "prior", "likelihood", "success", "initial"):
        arr = getattr(mdp, key)
        bad = np.flatnonzero(~((arr >= 0) & (arr <= 1)))  # no tolerance: it is for sums
        if len(bad):
            v = float(arr[bad[0]])
            if v != v:  # NaN: not a number, so neither inside nor outside
                raise ModelError(f"from_arrays: {key}[{int(bad[0])}] is NaN; give a probability in [0, 1]")
            off = -v if v < 0 else v - 1
            residue = rounding_residue(off, tol, f"np.clip({key}, 0, 1)")
            raise ModelError(f"from_arrays: {key}[{int(bad[0])}] = {arr[bad[0]]} is outside [0, 1]{residue}; "
                             f"fix {key}")
    for key, ptr, arr in (("edge_prob", mdp.pair_ptr, mdp.edge_prob), ("prior", mdp.state_ptr, mdp.prior)):
        starts = ptr[:-1][np.diff(ptr) > 0]
        sums = np.add.reduceat(arr, starts) if len(starts) else arr[:0]
        bad = np.flatnonzero(np.abs(sums - 1) > tol * 16)
        if len(bad):
            where = "pair" if key == "edge_prob" else "non-terminal state"
            raise ModelError(f"from_arrays: {key} sums to {sums[bad[0]]} at {where} number {int(bad[0])}; "
                             f"make it sum to 1 (tolerance {tol})")
    if abs(mdp.initial.sum() - 1) > tol * 16:
        raise ModelError(f"from_arrays: initial sums to {mdp.initial.sum()}; make it sum to 1")


class _IntIndex:
    """``state name -> position`` for integer-named states, without a dict of size n."""

    __slots__ = ("_pos",)

    def __init__(self, perm):
        self._pos = np.empty(len(perm), dtype=np.int64)
        self._pos[perm] = np.arange(len(perm))

    def __contains__(self, s):
        return isinstance(s, (Integral, np.integer)) and 0 <= s < len(self._pos)

    def __getitem__(self, s):
        if s not in self:
            raise KeyError(s)
        return int(self._pos[s])

    def __len__(self):
        return len(self._pos)

    def __iter__(self):
        return iter(range(len(self._pos)))

    def get(self, s, default=None):
        return self[s] if s in self else default


class _LazyPairIndex:
    """``(state, action) -> pair`` looked up in the arrays instead of a dict of size n_pairs."""

    __slots__ = ("_mdp",)

    def __init__(self, mdp):
        self._mdp = mdp

    def __getitem__(self, key):
        s, a = key
        m = self._mdp
        if s not in m.index:
            raise KeyError(key)
        i = m.index[s]
        for j in range(int(m.state_ptr[i]), int(m.state_ptr[i + 1])):
            if m.pair_action[j] == a:
                return j
        raise KeyError(key)


def _symbol_named(parameters, name):
    for s in parameters:
        if s.name == name:
            return s
    raise ModelError(f"unknown parameter {name!r}; the model's parameters are {[s.name for s in parameters]}")


def _preview(items, n=8):
    items = list(items)
    text = ", ".join(repr(x) for x in items[:n])
    return "[" + text + (", ..." if len(items) > n else "") + "]"


def _sort_key(s):
    return (type(s).__name__, str(s))


def _obj(values):
    """A 1-d object array of ``values``, each entry as it is (never unpacked as a sequence)."""
    return np.fromiter(values, dtype=object, count=len(values))


class Policy:
    """A stochastic policy ``pi(a | s)`` over an :class:`MDP`'s state-action pairs.

    ``policy[state]`` is a dict ``action -> probability``; ``policy.values`` is the array
    over pairs, in the MDP's pair order, in whatever number type computed it.
    """

    __slots__ = ("mdp", "values", "backend", "_converted", "_codes")

    def __init__(self, mdp, values, backend=None):
        self.mdp = mdp
        self.values = values  # treated as immutable: conversions are cached
        self.backend = backend  # None: exact SymPy values
        self._converted = {}
        self._codes = None  # (values, identity groups of values), when known

    def in_backend(self, backend):
        """The values as an array of ``backend``'s numbers (exact policies convert to any;
        each conversion is done once per backend and cached)."""
        if self.backend is None:
            if backend.exact and getattr(backend, "sympy_values", True):
                return self.values
            hit = self._converted.get(backend.key)
            if hit is None or hit[0] is not self.values:
                known = self._codes
                codes = known[1] if known is not None and known[0] is self.values else None
                hit = self._converted[backend.key] = (self.values, _convert_shared(backend, self.values, codes))
            return hit[1]
        if self.backend.key == backend.key:
            return self.values
        raise ValueError(
            f"policy was computed with backend {self.backend.name!r}; recompute it with "
            f"{backend.name!r} or pass an exact policy"
        )

    def __getitem__(self, state):
        i = self.mdp.index[state]
        lo, hi = self.mdp.state_ptr[i], self.mdp.state_ptr[i + 1]
        return {self.mdp.pair_action[j]: self.values[j] for j in range(lo, hi)}

    def prob(self, state, action):
        return self.values[self.mdp.pair(state, action)]

    def as_dict(self):
        return {s: self[s] for s, t in zip(self.mdp.states, self.mdp.terminal) if not t}

    def _repr_html_(self):
        return policy_html(self)

    def __repr__(self):
        rows = "; ".join(
            f"{s}: " + ", ".join(f"{a}={v}" for a, v in self[s].items())
            for s, t in zip(self.mdp.states, self.mdp.terminal) if not t
        )
        return f"Policy({rows})"


# ---------------------------------------------------------------------------- graph I/O

def _parse_parameters(raw, where):
    params = {}
    if raw is not None and not isinstance(raw, dict):
        raise ModelError(f"{where}: expected a dict name -> (low, high), got {type(raw).__name__}; "
                         "e.g. {'p': (0, 1)}")
    for name, rng in (raw or {}).items():
        if not isinstance(name, str) or not name.isidentifier() or name.startswith("_"):
            raise ModelError(f"{where}: parameter name {name!r} is not an identifier; use letters, digits and _")
        if isinstance(rng, sp.Symbol):
            raise ModelError(f"{where}: parameter {name!r} needs a range (low, high), got a bare symbol")
        try:
            lo, hi = rng
        except (TypeError, ValueError):
            raise ModelError(
                f"{where}: parameter {name!r} has range {rng!r}; give a pair (low, high) such as (0, 1)"
            ) from None
        lo = _range_bound(lo, f"{where}: lower bound of {name}")
        hi = _range_bound(hi, f"{where}: upper bound of {name}")
        if not (lo.is_number and hi.is_number) or bool(lo > hi):
            raise ModelError(f"{where}: parameter {name!r} has an empty range [{lo}, {hi}]; give low < high")
        if bool(lo == hi):  # the case splits of parametric claims work on intervals
            raise ModelError(f"{where}: parameter {name!r} has the one-point range [{lo}, {hi}]; write {lo} in "
                             f"place of {name} (or substitute it: MDP.substitute), or give low < high")
        params[sp.Symbol(name, real=True)] = (lo, hi)
    return params


def _tolerance(value, where):
    """The tolerance on sums of float values: a number in [0, 0.1), the bound a case file's
    ``mdp.tolerance`` has (a string there reached the first comparison with it as a TypeError)."""
    if isinstance(value, bool) or not isinstance(value, (Integral, float, np.floating)) \
            or not 0 <= value < 0.1:
        raise ModelError(f"{where} = {_safe_repr(value)} must be a number in [0, 0.1), e.g. 1e-9 (the default)")
    return float(value)


def _range_bound(value, where):
    """A parameter's bound: a float (Python, NumPy or SymPy) is the rational it was typed as
    (:func:`~proofcheck.model.expressions.rational_of_float`); the case splits of parametric
    claims compute with the bounds exactly."""
    if isinstance(value, (float, np.floating, sp.Float)) and math.isfinite(value):
        return rational_of_float(value)
    return _to_expr(value, {}, where)


def from_graph(graph, *, name=None, validate=True, strict_horizon=False):
    """Build and validate an :class:`MDP` from a networkx graph.

    Parameters
    ----------
    graph : networkx.MultiDiGraph or networkx.DiGraph
        See the module docstring for the attributes.
    name : str, optional
        Defaults to ``graph.graph["name"]``.
    validate : bool
        Run :func:`proofcheck.model.validation.validate` (default True).
    strict_horizon : bool
        For a cyclic graph cut at its horizon with states that still have actions: without
        the graph attribute ``horizon_success``, raise (True; the case-file loader) or use
        the legacy success 1 with a :class:`HorizonSuccessWarning` (False, the default).
        The choice is recorded as ``mdp.horizon_success`` / ``mdp.horizon_success_explicit``.

    Returns
    -------
    MDP

    Raises
    ------
    proofcheck.errors.ModelError
        With the state, action, value and fix.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph(initial="s")
    >>> G.add_edge("s", "win", key="go", prior="1/2", q="1")
    'go'
    >>> G.add_edge("s", "lose", key="stay", prior="1/2", q="1/3")
    'stay'
    >>> m = from_graph(G)
    >>> m
    <MDP 'mdp': 3 states, 2 state-action pairs, horizon 1, deterministic>
    >>> m.prior_policy()["s"]
    {'go': 1/2, 'stay': 1/2}
    """
    import networkx as nx  # on first use: 0.2 s that `verify` of a parametric case never needs
    if not isinstance(graph, (nx.DiGraph, nx.MultiDiGraph)) or not graph.is_directed():
        raise ModelError(
            f"expected a networkx DiGraph or MultiDiGraph, got {type(graph).__name__}; "
            "build one with networkx.MultiDiGraph()"
        )
    gattr = graph.graph
    params = _parse_parameters(gattr.get("parameters"), "graph attribute 'parameters'")
    symbols = {s.name: s for s in params}
    name = name or gattr.get("name") or "mdp"
    tol = _tolerance(gattr.get("tolerance", 1e-9), "graph attribute 'tolerance'")
    if graph.number_of_nodes() == 0:
        raise ModelError("the graph has no states; add at least an initial state and a terminal state")

    cut = None
    if not nx.is_directed_acyclic_graph(graph):
        horizon = gattr.get("horizon")
        if horizon is None:
            cycle = nx.find_cycle(graph)
            # names as a terminal shows them (a name may hold a newline): one-line messages
            path = " -> ".join(terminal_safe(u) for u, *_ in cycle) + f" -> {terminal_safe(cycle[0][0])}"
            raise ModelError(
                f"the graph has a cycle ({path}) and no horizon; set the graph attribute "
                "'horizon' (case files: [mdp] horizon = T) to unroll it to T steps"
            )
        for s, data in graph.nodes(data=True):
            if "success" in data and graph.out_degree(s) > 0:
                acts = sorted({str(k) for *_, k in graph.out_edges(s, keys=True)} if graph.is_multigraph()
                              else {str(d.get("action", v)) for _, v, d in graph.out_edges(s, data=True)})
                raise ModelError(_success_on_nonterminal(s, acts, cyclic=True))
        graph = unroll(graph, horizon, strict=strict_horizon)
        gattr = graph.graph
        cut = gattr.get("_horizon_cut")

    actions, outcomes, prior, q, success, initial = {}, {}, {}, {}, {}, {}
    to_expr = _ExprMemo(symbols)
    multi = graph.is_multigraph()
    edges = graph.edges(keys=True, data=True) if multi else (
        (u, v, d.get("action", v), d) for u, v, d in graph.edges(data=True))
    declared = {}
    for u, v, a, data in edges:
        try:
            hash(a)
        except TypeError:
            raise ModelError(f"edge {u!r} -> {v!r}: action {_safe_repr(a)} is not hashable; "
                             "name actions with strings") from None
        where = f"edge {u!r} -> {v!r} (action {a!r})"
        unknown = set(data) - {"prob", "prior", "q", "reward", "action"}
        if unknown:
            raise ModelError(f"{where}: unknown attribute(s) {sorted(unknown)}; allowed: prob, prior, q, reward")
        if "q" in data and "reward" in data:
            raise ModelError(f"{where}: give either q or reward, not both")
        prob = to_expr(data.get("prob", 1), f"{where}: prob")
        if prob == 0:
            continue  # an outcome that cannot happen carries nothing
        key = (u, a)
        if key not in outcomes:
            actions.setdefault(u, []).append(a)
            outcomes[key] = []
        outcomes[key].append((v, prob))
        for attr in ("prior", "q", "reward"):
            if attr in data:
                if attr == "reward" and _is_minus_infinity(data[attr]):
                    val_q, attr_key = _ZERO, "q"  # r = -oo: the action never succeeds
                    old = declared.get((key, attr_key))
                    if old is not None and old != _ZERO:
                        raise ModelError(
                            f"state {u!r}, action {a!r}: q is given twice with different values "
                            f"({old} and 0 from reward -oo); give it on one outcome edge only"
                        )
                    declared[(key, attr_key)] = val_q
                    continue
                val = to_expr(data[attr], f"{where}: {attr}")
                if attr == "reward":
                    if val.is_number and bool(val > 0):
                        raise ModelError(
                            f"{where}: reward {val} > 0; rewards must be <= 0 (they are log-likelihoods), "
                            "shift every reward of that time step by the same constant"
                        )
                    val_q = sp.exp(val)
                    attr_key = "q"
                else:
                    val_q, attr_key = val, attr
                old = declared.get((key, attr_key))
                if old is not None and old != val_q and sp.simplify(old - val_q) != 0:
                    raise ModelError(
                        f"state {u!r}, action {a!r}: {attr_key} is given twice with different values "
                        f"({old} and {val_q}); give it on one outcome edge only"
                    )
                declared[(key, attr_key)] = val_q
    for s in list(actions):
        for a in actions[s]:
            q[(s, a)] = declared.get(((s, a), "q"), _ONE)
            if ((s, a), "prior") in declared:
                prior[(s, a)] = declared[((s, a), "prior")]
    default_prior = gattr.get("default_prior")
    for s, acts in actions.items():
        missing = [a for a in acts if (s, a) not in prior]
        if missing:
            if default_prior == "uniform" and len(missing) == len(acts):
                for a in acts:
                    prior[(s, a)] = sp.Rational(1, len(acts))
            else:
                raise ModelError(
                    f"state {s!r}: no prior for action(s) {missing}; give prior = p(a|s) on "
                    f"each action, or set default_prior = 'uniform' for states without any"
                )
    for s, data in graph.nodes(data=True):
        unknown = set(data) - {"success", "initial", "label"}
        if unknown:
            raise ModelError(f"state {s!r}: unknown attribute(s) {sorted(unknown)}; allowed: success, initial")
        if "success" in data:
            if s in actions:
                raise ModelError(_success_on_nonterminal(s, actions[s], cyclic=False))
            success[s] = to_expr(data["success"], f"state {s!r}: success")
    init = gattr.get("initial")
    node_init = {s: d["initial"] for s, d in graph.nodes(data=True) if "initial" in d}
    if init is not None and node_init:
        raise ModelError("the initial distribution is given twice (graph attribute and node attributes); keep one")
    if init is None and node_init:
        init = node_init
    if init is None:
        roots = [s for s in graph.nodes if graph.in_degree(s) == 0]
        if len(roots) != 1:
            raise ModelError(
                f"no initial state given and the graph has {len(roots)} states without predecessors "
                f"({_preview(roots)}); set the graph attribute initial = <state>"
            )
        init = roots[0]
    if isinstance(init, dict):
        for s, m in init.items():
            if s not in graph:
                raise ModelError(f"initial distribution names unknown state {s!r}; states are {_preview(graph.nodes)}")
            initial[s] = to_expr(m, f"initial[{s!r}]")
    else:
        if init not in graph:
            raise ModelError(f"initial state {init!r} is not a state; states are {_preview(graph.nodes)}")
        initial[init] = _ONE
    mdp = MDP(states=list(graph.nodes), actions=actions, outcomes=outcomes, prior=prior,
              likelihood=q, success=success, initial=initial, parameters=params, name=name,
              tolerance=tol, source=gattr.get("source"))
    if cut is not None:
        value, explicit = cut
        mdp.horizon_success = ({k: _to_expr(v, symbols, f"horizon_success[{k!r}]") for k, v in value.items()}
                               if isinstance(value, dict) else _to_expr(value, symbols, "horizon_success"))
        mdp.horizon_success_explicit = explicit
    if validate:
        _validate_model(mdp)
    _exact_binary_values(mdp)
    return mdp


def _success_on_nonterminal(s, acts, cyclic):
    """One semantics for acyclic and cyclic graphs (spec section 1): ``success`` is the
    leaf success probability ``P(R = 1 | leaf)`` of a terminal state (no actions)."""
    msg = (f"state {s!r} has actions {list(acts)} and a leaf success probability; success belongs to "
           "terminal states (states without actions), in acyclic and cyclic graphs alike: "
           "put it into q of the actions instead")
    if cyclic:
        msg += (f", or give its success when cut at the horizon with the graph attribute horizon_success = "
                f"{{{s!r}: value}} (case files: [mdp] horizon_success)")
    return msg


def _is_minus_infinity(value):
    """True for ``-oo`` given as a SymPy value, a float or the string ``"-oo"``."""
    if isinstance(value, str):
        return value.replace(" ", "") == "-oo"
    if isinstance(value, (float, np.floating)):
        return value == -math.inf
    return isinstance(value, sp.Basic) and value == -sp.oo


def _exact_binary_values(mdp):
    """Replace float inputs by the exact rationals they store (after validation, which
    applies the model's tolerance to them).  Every later computation is then exact for the
    numbers actually given, so two routes to the same quantity cannot disagree by rounding;
    ``mdp.exact`` still reports that the inputs were floats."""
    found = False
    exact_of = {}  # one walk of each distinct value
    for attr in ("edge_prob", "prior", "likelihood", "success", "initial"):
        arr = getattr(mdp, attr)
        n = len(arr)
        if n == 0:
            continue
        # each distinct object once (a large model shares a few value objects)
        inverse, objects = _model_codes(mdp, attr)
        news, changed = [], False
        for v in objects:
            if not isinstance(v, sp.Rational):
                k = (v.__class__, v)
                new = exact_of.get(k)
                if new is None:
                    floats = v.atoms(sp.Float)
                    new = exact_of[k] = v.xreplace({f: sp.Rational(f) for f in floats}) if floats else v
                if new is not v:
                    v, changed = new, True
            news.append(v)
        if changed:
            arr[:] = _obj(news)[inverse.reshape(-1)]
            found = True
    if found:
        mdp._float_inputs = True
        mdp._converted = {}


#: Largest number of edges :func:`unroll` builds (a small cyclic file could otherwise
#: ask for |S| * horizon states with all their edges).
UNROLL_EDGE_LIMIT = 100_000


def unroll(graph, horizon, horizon_success=None, *, strict=False):
    """Unroll a (possibly cyclic) graph to ``horizon`` steps; states become ``(s, t)``.

    States alive at time ``horizon`` become leaves.  Terminal states of ``graph`` keep
    their own success.  States that still have actions there are *cut*, and their
    success is a modelling choice that must be made explicitly:

    * ``horizon_success`` (this argument, else the graph attribute of that name): one
      value (``0``: a cut path fails; ``1``: a cut path counts as a success) or a dict
      ``state -> value`` naming every cut state;
    * without it, ``strict=True`` raises :class:`ModelError`, and ``strict=False`` (the
      backward-compatible default of the Python API) uses 1 with a
      :class:`HorizonSuccessWarning`.

    The returned graph records the choice in ``graph.graph["horizon_success"]`` and
    ``graph.graph["_horizon_cut"] = (value, explicit)`` (absent when nothing is cut);
    :func:`from_graph` copies it to ``mdp.horizon_success``.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph(initial="s")
    >>> _ = G.add_edge("s", "s", key="stay", prior="1/2")
    >>> _ = G.add_edge("s", "g", key="go", prior="1/2")
    >>> H = unroll(G, 2, horizon_success=0)
    >>> H.nodes[("s", 2)]
    {'success': 0}
    >>> unroll(G, 2, strict=True)
    Traceback (most recent call last):
    ...
    proofcheck.errors.HorizonSuccessError: unrolling to horizon 2 cuts state(s) ['s'], which still have actions there; choose their success explicitly: graph attribute horizon_success = 0 (a cut path fails) or 1 (it counts as a success), or a dict state -> value (case files: [mdp] horizon_success = "0")
    """
    import networkx as nx  # on first use: 0.2 s that `verify` of a parametric case never needs
    if isinstance(horizon, bool) or not isinstance(horizon, Integral) or horizon < 1:
        raise ModelError(f"horizon {horizon!r} must be a positive integer number of steps")
    if horizon > 10_000:
        raise ModelError(f"horizon {horizon} is too large to unroll (limit 10000); use a smaller horizon")
    multi = graph.is_multigraph()
    out = nx.MultiDiGraph()
    out.graph.update({k: v for k, v in graph.graph.items() if k not in ("horizon", "initial")})
    init = graph.graph.get("initial")
    node_init = {s: d["initial"] for s, d in graph.nodes(data=True) if "initial" in d}
    if init is None and node_init:
        init = node_init
    if init is None:
        raise ModelError("a cyclic graph needs an explicit initial state or distribution (graph attribute 'initial')")
    try:
        starts = init if isinstance(init, dict) else {init: 1}
        unknown = [s for s in starts if s not in graph]
    except TypeError:  # unhashable names
        raise ModelError(f"initial state(s) {_safe_repr(init)} are not states; give a state or a dict "
                         "state -> probability") from None
    if unknown:
        raise ModelError(f"initial distribution names unknown state {_safe_repr(unknown[0])}; "
                         f"states are {_preview(graph.nodes)}")
    out.graph["initial"] = {(s, 0): m for s, m in starts.items()}
    frontier = set(starts)
    n_edges = 0
    for t in range(horizon):
        nxt = set()
        for s in frontier:
            out.add_node((s, t))
            items = graph.out_edges(s, keys=True, data=True) if multi else (
                (u, v, d.get("action", v), d) for u, v, d in graph.out_edges(s, data=True))
            for u, v, a, d in items:
                attrs = {k: val for k, val in d.items() if k != "action"}
                out.add_edge((u, t), (v, t + 1), key=a, **attrs)
                nxt.add(v)
                n_edges += 1
            if n_edges > UNROLL_EDGE_LIMIT:  # bound the work of hostile inputs
                raise ModelError(
                    f"unrolling to horizon {horizon} exceeds {UNROLL_EDGE_LIMIT} edges (at step {t}); "
                    "use a smaller horizon or fewer states"
                )
        frontier = nxt
    for s in frontier:
        out.add_node((s, horizon))
    for node in list(out.nodes):
        s, t = node
        succ = graph.nodes[s].get("success")
        if succ is not None and out.out_degree(node) == 0:
            out.nodes[node]["success"] = succ
    cut = [s for s in frontier if graph.out_degree(s) > 0]
    if not cut:
        return out
    cut.sort(key=_sort_key)
    explicit = True
    if horizon_success is None:
        horizon_success = graph.graph.get("horizon_success")
    if horizon_success is None:
        msg = (f"unrolling to horizon {horizon} cuts state(s) {_preview(cut)}, which still have actions there; "
               "choose their success explicitly: graph attribute horizon_success = 0 (a cut path fails) or 1 "
               "(it counts as a success), or a dict state -> value (case files: [mdp] horizon_success = \"0\")")
        if strict:
            raise HorizonSuccessError(msg, horizon, cut)
        warnings.warn(msg + "; using the legacy default 1", HorizonSuccessWarning, stacklevel=3)
        horizon_success, explicit = 1, False
    if isinstance(horizon_success, dict):
        for k in horizon_success:
            try:
                known = k in graph
            except TypeError:
                known = False
            if not known:
                raise ModelError(f"horizon_success names {_safe_repr(k)}, which is not a state"
                                 f"{did_you_mean(k, graph.nodes)}; name states of the graph")
        missing = [s for s in cut if s not in horizon_success]
        if missing:
            raise ModelError(f"horizon_success gives no value for state {missing[0]!r}, which is cut at horizon "
                             f"{horizon} with actions left; add it, e.g. {{{missing[0]!r}: 0}}")
        for s in cut:
            out.nodes[(s, horizon)]["success"] = horizon_success[s]
    else:
        for s in cut:
            out.nodes[(s, horizon)]["success"] = horizon_success
    out.graph["horizon_success"] = horizon_success
    out.graph["_horizon_cut"] = (horizon_success, explicit)
    return out


def to_graph(mdp):
    """Convert an :class:`MDP` back to a :class:`networkx.MultiDiGraph` (exact values kept).

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph(initial="s")
    >>> _ = G.add_edge("s", "t", key="a", prior=1)
    >>> H = to_graph(from_graph(G))
    >>> sorted(H.edges(keys=True))
    [('s', 't', 'a')]
    """
    import networkx as nx  # on first use: 0.2 s that `verify` of a parametric case never needs
    g = nx.MultiDiGraph()
    g.graph["name"] = mdp.name
    # A float input goes back as the float it was (the same binary value): a reader applies the
    # model's tolerance to sums of floats, as the model did (1/3 + 1/3 + 1/3 in floats is 1 - 2^-54)
    written = binary_float if mdp.float_inputs else (lambda v: v)
    if mdp.float_inputs:
        g.graph["tolerance"] = mdp.tolerance
    if mdp.parameters:
        g.graph["parameters"] = {s.name: r for s, r in mdp.parameters.items()}
    init = {s: m for s, m in zip(mdp.states, mdp.initial) if m != 0}
    g.graph["initial"] = next(iter(init)) if list(init.values()) == [_ONE] else init
    for i, s in enumerate(mdp.states):
        g.add_node(s)
        if mdp.terminal[i] and mdp.success[i] != _ONE:
            g.nodes[s]["success"] = written(mdp.success[i])
    for j, a in enumerate(mdp.pair_action):
        s = mdp.states[mdp.pair_state[j]]
        for e in range(mdp.pair_ptr[j], mdp.pair_ptr[j + 1]):
            attrs = {"prob": written(mdp.edge_prob[e])}
            if e == mdp.pair_ptr[j]:
                attrs.update(prior=written(mdp.prior[j]), q=written(mdp.likelihood[j]))
            g.add_edge(s, mdp.states[mdp.edge_target[e]], key=a, **attrs)
    return g
