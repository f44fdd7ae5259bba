"""Reading a networkx MDP graph into plain exact data (the reference route's own parser).

The schema is the one :func:`proofcheck.from_graph` accepts (spec section 1):

* nodes are states; node attribute ``success`` = ``P(R = 1 | leaf)`` (terminal states,
  default 1); node attribute ``initial`` = the state's mass under ``mu``;
* edges ``(s, s2, key=a)`` are the outcomes of action ``a`` in ``s`` (in a ``DiGraph`` the
  action is the edge attribute ``action``, default the target's name), with ``prob`` =
  ``tau(s2 | s, a)`` (default 1), ``prior`` = ``p(a | s)`` and ``q`` = ``P(O = 1 | s, a)``
  (default 1) or ``reward`` = ``r(s, a) <= 0`` with ``q = exp(r)``; ``prior``/``q``/``reward``
  belong to the pair and may sit on any one outcome edge (equal values if repeated);
  an outcome edge with ``prob = 0`` cannot happen and is dropped, attributes and all;
* graph attributes ``initial`` (a state or a dict state -> mass; default the unique state
  without predecessors), ``horizon`` (cyclic graphs are unrolled to that many steps, states
  becoming ``(s, t)``), ``default_prior = "uniform"`` (for states that give no prior at all),
  ``tolerance`` (for sums of float inputs, default ``1e-9``).

Everything becomes a :class:`fractions.Fraction`.  Accepted values: ``int``,
``Fraction`` (and any ``numbers.Rational``, e.g. a SymPy ``Rational``), strings of simple
rationals (``"1/2"``, ``"0.25"``, ``"1"``, ``"1e-3"``) and floats (converted exactly, by
their binary value).  Anything else (``"exp(-1)"``, a SymPy symbol or ``exp(-1)``, a
non-zero rational ``reward``, whose ``q = exp(r)`` is irrational) raises
:class:`NotRationalError`.  Nothing here imports the engine or the compiled model.
"""

from __future__ import annotations

import math
import numbers
import re
from collections import deque
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, Dict, Hashable, Mapping, Optional, Tuple

from proofcheck.errors import ModelError, NotRationalError, ReferenceUnsupported, TooLargeError

__all__ = [
    "ReferenceUnsupported",
    "NotRationalError",
    "TooLargeError",
    "ReferenceModel",
    "PolicyDict",
    "as_fraction",
    "load_graph",
    "as_model",
    "as_policy",
    "DEFAULT_MAX_STATES",
    "DEFAULT_MAX_EDGES",
]

#: Default bound on the number of states the reference route accepts.
DEFAULT_MAX_STATES = 2000
#: Default bound on the number of outcome edges the reference route accepts.
DEFAULT_MAX_EDGES = 20000

#: A policy: ``state -> action -> probability`` over the non-terminal states.
PolicyDict = Dict[Hashable, Dict[Hashable, Fraction]]

_EDGE_ATTRS = {"prob", "prior", "q", "reward", "action"}
_NODE_ATTRS = {"success", "initial", "label"}
_MAX_TEXT = 200
_MAX_EXPONENT = 4000


def _is_minus_infinity(value: Any) -> bool:
    """``reward = "-oo"`` (or ``"-inf"``, ``float("-inf")``, SymPy's ``-oo``) means ``q = 0``."""
    if isinstance(value, float):
        return value == float("-inf")
    return str(value).strip().lower() in ("-oo", "-inf", "-infinity")


def _short(value: Any, n: int = 60) -> str:
    try:
        r = repr(value)
    except Exception:  # pragma: no cover - hostile __repr__
        r = f"<{type(value).__name__}>"
    return r if len(r) <= n else r[: n - 3] + "..."


def fraction_text(x: Fraction, digits: int = 60) -> str:
    """``str(x)`` when it is short, else its size: a float-derived model's numbers reach
    50,000 digits after a few re-training steps, beyond what Python's ``str`` allows.

    >>> fraction_text(Fraction(1, 3)), fraction_text(Fraction(1, 3 ** 200))
    ('1/3', 'a fraction of about 1 / 96 digits')
    """
    bits = max(x.numerator.bit_length(), x.denominator.bit_length())
    if bits * 0.30103 < digits:
        return str(x)
    size = lambda n: int((n.bit_length() - 1) * 0.30103) + 1  # within one of the digits of n
    return f"a fraction of about {size(abs(x.numerator))} / {size(x.denominator)} digits"


def _not_rational(where: str, value: Any, why: str = "") -> NotRationalError:
    return NotRationalError(f"reference route needs rational inputs; {where} = {_short(value)}{why}")


def _parse_text(text: str, where: str) -> Fraction:
    if len(text) > _MAX_TEXT:
        raise _not_rational(where, text, f" (longer than {_MAX_TEXT} characters)")
    compact = "".join(text.split())
    for exp in re.findall(r"[eE]([+-]?\d+)", compact):
        if abs(int(exp)) > _MAX_EXPONENT:
            raise TooLargeError(f"{where} = {_short(text)}: exponent beyond +-{_MAX_EXPONENT}; "
                                "give a smaller number")
    parts = compact.split("/")
    try:
        if len(parts) == 1:
            return Fraction(parts[0])
        if len(parts) == 2:
            num, den = Fraction(parts[0]), Fraction(parts[1])
            if den == 0:
                raise ModelError(f"{where} = {_short(text)}: division by zero; give a finite number")
            return num / den
    except ValueError:
        pass
    raise _not_rational(where, text)


def as_fraction(value: Any, where: str = "value") -> Fraction:
    """Convert an input value to an exact :class:`~fractions.Fraction`.

    Parameters
    ----------
    value : int, Fraction, numbers.Rational, float, Decimal, str
        A rational number; floats are taken at their exact binary value, Decimals as the
        decimals they are, strings must be simple rationals (``"1/2"``, ``"0.25"``, ``"-3"``,
        ``"1e-3"``).
    where : str
        Where the value comes from, for the error message.

    Returns
    -------
    fractions.Fraction

    Raises
    ------
    NotRationalError
        For anything that is not a rational number (``"exp(-1)"``, a symbol).
    proofcheck.errors.ModelError
        For booleans and non-finite floats.

    Examples
    --------
    >>> as_fraction("1/2"), as_fraction("0.25"), as_fraction(3), as_fraction(0.5)
    (Fraction(1, 2), Fraction(1, 4), Fraction(3, 1), Fraction(1, 2))
    >>> as_fraction("exp(-1)", "edge ('s', 'a'): q")
    Traceback (most recent call last):
    ...
    proofcheck.errors.NotRationalError: reference route needs rational inputs; edge ('s', 'a'): q = 'exp(-1)'
    """
    if isinstance(value, bool):
        raise ModelError(f"{where}: got the boolean {value!r}; give a number such as 1/2")
    if isinstance(value, Fraction):
        return value
    if isinstance(value, numbers.Integral):
        return Fraction(int(value))
    if isinstance(value, numbers.Rational):
        return Fraction(int(value.numerator), int(value.denominator))
    if isinstance(value, str):
        return _parse_text(value, where)
    if isinstance(value, Decimal):  # exact, as the model reads it (not a numbers.Real)
        if not value.is_finite():
            raise ModelError(f"{where} = {_short(value)} is not finite; give a finite number")
        return Fraction(value)
    ratio = getattr(value, "as_integer_ratio", None)
    if isinstance(value, numbers.Real) and callable(ratio):  # float, numpy floats
        if not math.isfinite(float(value)):
            raise ModelError(f"{where} = {_short(value)} is not finite; give a finite number")
        n, d = ratio()
        return Fraction(int(n), int(d))
    mpf = getattr(value, "_mpf_", None)  # a SymPy Float: (sign, mantissa, exponent, bitcount)
    if isinstance(value, numbers.Real) and isinstance(mpf, tuple) and len(mpf) == 4:
        sign, man, exp, _ = mpf
        if man == 0 and not math.isfinite(float(value)):
            raise ModelError(f"{where} = {_short(value)} is not finite; give a finite number")
        if abs(exp) > 100_000:
            raise TooLargeError(f"{where} = {_short(value)}: binary exponent {exp} is too large")
        # int(): with gmpy2 installed, mpmath (and so SymPy's Float) keeps the mantissa as an mpz
        return (-1) ** sign * Fraction(int(man)) * Fraction(2) ** exp
    raise _not_rational(where, value)


@dataclass(frozen=True)
class ReferenceModel:
    """An MDP as plain dictionaries of exact rationals.

    Attributes
    ----------
    states : tuple
        All states, in a topological order (every state before its successors).
    actions : dict
        ``state -> tuple of actions`` (empty for terminal states), in graph edge order.
    outcomes : dict
        ``(state, action) -> tuple of (next state, tau)`` with ``tau > 0``.
    prior : dict
        ``state -> action -> p(a | s)`` for the non-terminal states.
    likelihood : dict
        ``(state, action) -> q(s, a)``.
    success : dict
        ``terminal state -> P(R = 1 | leaf)``.
    initial : dict
        ``state -> mu(state)`` for the states with positive initial mass.
    """

    states: Tuple[Hashable, ...]
    actions: Dict[Hashable, Tuple[Hashable, ...]]
    outcomes: Dict[Tuple[Hashable, Hashable], Tuple[Tuple[Hashable, Fraction], ...]]
    prior: Dict[Hashable, Dict[Hashable, Fraction]]
    likelihood: Dict[Tuple[Hashable, Hashable], Fraction]
    success: Dict[Hashable, Fraction]
    initial: Dict[Hashable, Fraction]

    def is_terminal(self, state: Hashable) -> bool:
        """True when ``state`` has no actions."""
        return not self.actions[state]

    @property
    def decision_states(self) -> Tuple[Hashable, ...]:
        """The non-terminal states, in topological order."""
        return tuple(s for s in self.states if self.actions[s])

    def horizon(self) -> int:
        """The longest number of steps from any state to a terminal state."""
        height = {}
        for s in reversed(self.states):
            height[s] = max((1 + height[t] for a in self.actions[s] for t, _ in self.outcomes[(s, a)]),
                            default=0)
        return max(height.values(), default=0)

    def __repr__(self) -> str:
        n_pairs = sum(len(a) for a in self.actions.values())
        return f"<ReferenceModel: {len(self.states)} states, {n_pairs} state-action pairs>"


def _check_unit(x: Fraction, where: str, what: str = "probabilities must lie in [0, 1]") -> None:
    if not 0 <= x <= 1:
        raise ModelError(f"{where} = {x} is outside [0, 1]; {what}")


def _sums_to_one(total: Fraction, inexact: bool, tol: float) -> bool:
    return total == 1 or (inexact and abs(float(total - 1)) <= tol)


def _is_float(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (numbers.Rational, str))


def _topological(states, succ) -> Optional[list]:
    indeg = {s: 0 for s in states}
    for s in states:
        for t in succ[s]:
            indeg[t] += 1
    queue = deque(s for s in states if indeg[s] == 0)
    order = []
    while queue:
        s = queue.popleft()
        order.append(s)
        for t in succ[s]:
            indeg[t] -= 1
            if indeg[t] == 0:
                queue.append(t)
    return order if len(order) == len(states) else None


def load_graph(graph: Any, *, max_states: int = DEFAULT_MAX_STATES,
               max_edges: int = DEFAULT_MAX_EDGES) -> ReferenceModel:
    """Read a networkx MDP graph into a :class:`ReferenceModel` and check it.

    Parameters
    ----------
    graph : networkx.MultiDiGraph or networkx.DiGraph
        The graph schema of the module docstring.
    max_states, max_edges : int
        Refuse models with more states / outcome edges (after unrolling a cyclic graph).

    Returns
    -------
    ReferenceModel

    Raises
    ------
    proofcheck.errors.ModelError
        Malformed model: bad probabilities, missing priors, cycle without horizon, ...
    NotRationalError
        A value is not rational.
    TooLargeError
        More than ``max_states`` states or ``max_edges`` edges.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph(initial="s")
    >>> _ = G.add_edge("s", "good", key="a", prior="1/2")
    >>> _ = G.add_edge("s", "bad", key="b", prior="1/2", q="1/2")
    >>> G.nodes["bad"]["success"] = "1/3"
    >>> m = load_graph(G)
    >>> m.prior["s"], m.likelihood[("s", "b")], m.success["bad"]
    ({'a': Fraction(1, 2), 'b': Fraction(1, 2)}, Fraction(1, 2), Fraction(1, 3))
    >>> load_graph(G, max_states=2)
    Traceback (most recent call last):
    ...
    proofcheck.errors.TooLargeError: the reference route is bounded to max_states = 2 states; this graph has 3 (raise max_states or use the engine)
    """
    import networkx as nx  # on first use: 0.2 s that `verify` of a parametric case never needs
    if not isinstance(graph, (nx.DiGraph, nx.MultiDiGraph)):
        raise ModelError(f"expected a networkx DiGraph or MultiDiGraph, got {type(graph).__name__}")
    n_nodes, n_edges = graph.number_of_nodes(), graph.number_of_edges()
    if n_nodes > max_states:
        raise TooLargeError(f"the reference route is bounded to max_states = {max_states} states; "
                            f"this graph has {n_nodes} (raise max_states or use the engine)")
    if n_edges > max_edges:
        raise TooLargeError(f"the reference route is bounded to max_edges = {max_edges} edges; "
                            f"this graph has {n_edges} (raise max_edges or use the engine)")
    if n_nodes == 0:
        raise ModelError("the graph has no states; add an initial state and a terminal state")
    gattr = graph.graph
    tol = float(gattr.get("tolerance", 1e-9))
    multi = graph.is_multigraph()

    actions: Dict[Hashable, list] = {s: [] for s in graph.nodes}
    outcomes: Dict[tuple, list] = {}
    declared: Dict[tuple, Fraction] = {}
    inexact: Dict[tuple, bool] = {}
    for s in graph.nodes:
        items = (graph.out_edges(s, keys=True, data=True) if multi else
                 ((u, v, d.get("action", v), d) for u, v, d in graph.out_edges(s, data=True)))
        for u, v, a, data in items:
            where = f"edge ({u!r}, {a!r})"
            unknown = set(data) - _EDGE_ATTRS
            if unknown:
                raise ModelError(f"{where}: unknown attribute(s) {sorted(unknown)}; allowed: prob, prior, q, reward")
            if "q" in data and "reward" in data:
                raise ModelError(f"{where}: give either q or reward, not both")
            prob = as_fraction(data.get("prob", 1), f"{where}: prob of -> {v!r}")
            _check_unit(prob, f"{where}: prob of -> {v!r}")
            if prob == 0:
                continue  # an outcome that cannot happen carries nothing
            key = (u, a)
            if key not in outcomes:
                actions[u].append(a)
                outcomes[key] = []
                inexact[key] = False
            outcomes[key].append((v, prob))
            inexact[key] = inexact[key] or _is_float(data.get("prob", 1))
            for attr in ("prior", "q", "reward"):
                if attr not in data:
                    continue
                if attr == "reward" and _is_minus_infinity(data[attr]):
                    val, name = Fraction(0), "q"  # log q = -oo: q = 0
                else:
                    val = as_fraction(data[attr], f"{where}: {attr}")
                    name = attr
                if name == "reward":
                    if val > 0:
                        raise ModelError(f"{where}: reward {val} > 0; rewards must be <= 0 (q = exp(r) <= 1)")
                    if val != 0:
                        raise _not_rational(f"{where}: reward", data[attr],
                                            " (q = exp(reward) is irrational for a non-zero rational reward)")
                    val, name = Fraction(1), "q"
                old = declared.get((key, name))
                if old is not None and old != val:
                    raise ModelError(f"state {u!r}, action {a!r}: {name} is given twice with different "
                                     f"values ({old} and {val}); give it on one outcome edge only")
                declared[(key, name)] = val
                if name == "prior" and _is_float(data[attr]):
                    inexact[(u, "prior")] = True

    # node attributes
    success_attr: Dict[Hashable, Fraction] = {}
    node_initial: Dict[Hashable, Any] = {}
    for s, data in graph.nodes(data=True):
        unknown = set(data) - _NODE_ATTRS
        if unknown:
            raise ModelError(f"state {s!r}: unknown attribute(s) {sorted(unknown)}; allowed: success, initial")
        if "success" in data:
            success_attr[s] = as_fraction(data["success"], f"state {s!r}: success")
            _check_unit(success_attr[s], f"state {s!r}: success")
        if "initial" in data:
            node_initial[s] = data["initial"]

    init = gattr.get("initial")
    if init is not None and node_initial:
        raise ModelError("the initial distribution is given twice (graph attribute and node attributes); keep one")
    if init is None and node_initial:
        init = node_initial

    succ = {s: list(dict.fromkeys(t for a in actions[s] for t, _ in outcomes[(s, a)])) for s in graph.nodes}
    order = _topological(list(graph.nodes), succ)
    horizon = gattr.get("horizon")
    if order is None:
        if horizon is None:
            raise ModelError("the graph has a cycle and no horizon; set the graph attribute 'horizon' "
                             "to unroll it to T steps")
        if init is None:
            raise ModelError("a cyclic graph needs an explicit initial state or distribution (graph attribute 'initial')")
    for s in success_attr:  # one meaning in acyclic and cyclic graphs alike (spec section 1)
        if actions[s]:
            raise ModelError(f"state {s!r} has actions {actions[s]} and a leaf success probability; "
                             "success belongs to terminal states: put it into q of the actions instead")
    if init is None:
        roots = [s for s in graph.nodes if graph.in_degree(s) == 0]
        if len(roots) != 1:
            raise ModelError(f"no initial state given and the graph has {len(roots)} states without "
                             "predecessors; set the graph attribute initial = <state>")
        init = roots[0]
    init_items = init.items() if isinstance(init, Mapping) else [(init, 1)]
    initial: Dict[Hashable, Fraction] = {}
    init_inexact = False
    for s, mass in init_items:
        try:
            known = s in graph
        except TypeError:
            known = False
        if not known:
            raise ModelError(f"initial distribution names unknown state {_short(s)}")
        initial[s] = as_fraction(mass, f"initial[{s!r}]")
        _check_unit(initial[s], f"initial[{s!r}]")
        init_inexact = init_inexact or _is_float(mass)

    # pair attributes, priors
    likelihood: Dict[tuple, Fraction] = {}
    prior: Dict[Hashable, Dict[Hashable, Fraction]] = {}
    default_prior = gattr.get("default_prior")
    for s in graph.nodes:
        acts = actions[s]
        if not acts:
            continue
        for a in acts:
            q = declared.get(((s, a), "q"), Fraction(1))
            _check_unit(q, f"edge ({s!r}, {a!r}): q", "likelihoods q = exp(r) must lie in [0, 1]")
            likelihood[(s, a)] = q
            total = sum((p for _, p in outcomes[(s, a)]), Fraction(0))
            if not _sums_to_one(total, inexact[(s, a)], tol):
                raise ModelError(f"state {s!r}, action {a!r}: transition probabilities sum to {total}, not 1")
        missing = [a for a in acts if ((s, a), "prior") not in declared]
        if missing and default_prior == "uniform" and len(missing) == len(acts):
            prior[s] = {a: Fraction(1, len(acts)) for a in acts}
        elif missing:
            raise ModelError(f"state {s!r}: no prior for action(s) {missing}; give prior = p(a|s) on each action")
        else:
            prior[s] = {a: declared[((s, a), "prior")] for a in acts}
            for a, p in prior[s].items():
                _check_unit(p, f"edge ({s!r}, {a!r}): prior")
            total = sum(prior[s].values(), Fraction(0))
            if not _sums_to_one(total, inexact.get((s, "prior"), False), tol):
                raise ModelError(f"state {s!r}: prior sums to {total}, not 1")
    total = sum(initial.values(), Fraction(0))
    if not _sums_to_one(total, init_inexact, tol):
        raise ModelError(f"the initial distribution sums to {total}, not 1")
    initial = {s: m for s, m in initial.items() if m != 0}

    if order is not None:
        return ReferenceModel(
            states=tuple(order),
            actions={s: tuple(actions[s]) for s in order},
            outcomes={k: tuple(v) for k, v in outcomes.items()},
            prior=prior, likelihood=likelihood,
            success={s: success_attr.get(s, Fraction(1)) for s in order if not actions[s]},
            initial=initial,
        )
    cut = gattr.get("horizon_success", 1)  # the engine's legacy value when none is chosen
    cut_success = ({k: as_fraction(v, f"horizon_success[{k!r}]") for k, v in cut.items()}
                   if isinstance(cut, Mapping) else as_fraction(cut, "horizon_success"))
    return _unroll(graph, actions, outcomes, prior, likelihood, success_attr, cut_success, initial, horizon,
                   max_states, max_edges)


def _unroll(graph, actions, outcomes, prior, likelihood, success_attr, cut_success, initial, horizon,
            max_states, max_edges) -> ReferenceModel:
    """Time-expand a cyclic model to ``horizon`` steps; states become ``(s, t)``.

    Terminal states keep their ``success`` (default 1); states with actions left at time
    ``horizon`` are cut and get ``cut_success`` (one value, or a dict by state)."""
    if isinstance(horizon, bool) or not isinstance(horizon, numbers.Integral) or horizon < 1:
        raise ModelError(f"horizon {horizon!r} must be a positive integer number of steps")
    states, new_actions, new_outcomes, new_prior, new_q, success = [], {}, {}, {}, {}, {}
    frontier = list(dict.fromkeys(initial))
    n_edges = 0
    for t in range(int(horizon) + 1):
        nxt = []
        for s in frontier:
            node = (s, t)
            states.append(node)
            if len(states) > max_states:
                raise TooLargeError(f"unrolling to horizon {horizon} exceeds max_states = {max_states} states")
            if not actions[s]:
                new_actions[node] = ()
                success[node] = success_attr.get(s, Fraction(1))
                continue
            if t == horizon:
                new_actions[node] = ()
                success[node] = (cut_success.get(s, Fraction(1)) if isinstance(cut_success, dict)
                                 else cut_success)
                continue
            new_actions[node] = tuple(actions[s])
            new_prior[node] = dict(prior[s])
            for a in actions[s]:
                new_q[(node, a)] = likelihood[(s, a)]
                new_outcomes[(node, a)] = tuple(((v, t + 1), p) for v, p in outcomes[(s, a)])
                n_edges += len(outcomes[(s, a)])
                nxt.extend(v for v, _ in outcomes[(s, a)])
            if n_edges > max_edges:
                raise TooLargeError(f"unrolling to horizon {horizon} exceeds max_edges = {max_edges} edges")
        frontier = list(dict.fromkeys(nxt))
    return ReferenceModel(states=tuple(states), actions=new_actions, outcomes=new_outcomes,
                          prior=new_prior, likelihood=new_q, success=success,
                          initial={(s, 0): m for s, m in initial.items()})


def as_model(graph: Any, *, max_states: int = DEFAULT_MAX_STATES,
             max_edges: int = DEFAULT_MAX_EDGES) -> ReferenceModel:
    """``graph`` itself if it is a :class:`ReferenceModel`, else :func:`load_graph` of it.

    Parameters
    ----------
    graph : ReferenceModel or networkx graph
    max_states, max_edges : int
        Bounds passed to :func:`load_graph`.

    Returns
    -------
    ReferenceModel

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph(initial="s")
    >>> _ = G.add_edge("s", "t", key="a", prior=1)
    >>> m = as_model(G)
    >>> as_model(m) is m
    True
    """
    if isinstance(graph, ReferenceModel):
        if len(graph.states) > max_states:
            raise TooLargeError(f"the reference route is bounded to max_states = {max_states} states; "
                                f"this model has {len(graph.states)}")
        return graph
    return load_graph(graph, max_states=max_states, max_edges=max_edges)


def as_policy(model: ReferenceModel, policy: Optional[Mapping] = None) -> PolicyDict:
    """A policy over ``model`` as ``state -> action -> Fraction`` (default: the prior).

    Parameters
    ----------
    model : ReferenceModel
    policy : mapping, optional
        ``state -> action -> probability`` for every non-terminal state and each of its
        actions; values as accepted by :func:`as_fraction`.  Each row must sum to 1.

    Returns
    -------
    dict

    Raises
    ------
    proofcheck.errors.ModelError
        A state or action is missing or unknown, or a row is not a distribution.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph(initial="s")
    >>> _ = G.add_edge("s", "t", key="a", prior="1/3")
    >>> _ = G.add_edge("s", "u", key="b", prior="2/3")
    >>> as_policy(load_graph(G), {"s": {"a": "1/4", "b": 0.75}})
    {'s': {'a': Fraction(1, 4), 'b': Fraction(3, 4)}}
    """
    if policy is None:
        return {s: dict(model.prior[s]) for s in model.decision_states}
    out: PolicyDict = {}
    for s in model.decision_states:
        if s not in policy:
            raise ModelError(f"policy: no row for state {s!r}; give pi(. | s) for every non-terminal state")
        row = policy[s]
        extra = set(row) - set(model.actions[s])
        if extra:
            raise ModelError(f"policy: state {s!r} has no action(s) {sorted(map(repr, extra))}")
        out[s] = {a: as_fraction(row.get(a, 0), f"policy({a!r} | {s!r})") for a in model.actions[s]}
        for a, p in out[s].items():
            _check_unit(p, f"policy({a!r} | {s!r})")
        # the model's own prior row passes as the model did: a float-derived prior sums to 1
        # only within the tolerance of inexact inputs (the prior, or a row kept from it)
        if sum(out[s].values()) != 1 and out[s] != model.prior.get(s):
            raise ModelError(f"policy: row of state {s!r} sums to {sum(out[s].values())}, not 1")
    return out
