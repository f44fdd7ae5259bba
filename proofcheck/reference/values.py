"""Soft values, success probability, additive return and occupancy (spec section 2).

Straight from the definitions, by one memoised backward (or forward) sweep over a
topological order of the DAG, in :class:`fractions.Fraction`::

    Zq_pi(s, a) = q(s, a) * sum_s' tau(s'|s, a) * Zv_pi(s')     Zv_pi(leaf) = success(leaf)
    Zv_pi(s)    = sum_a pi(a|s) * Zq_pi(s, a)
    S(pi)       = sum_s0 mu(s0) * Zv_pi(s0)
    J(pi)       = E_pi[ sum_t log q(s_t, a_t) + log success(leaf) ]

The leaf success is the likelihood of the last step (spec section 1), so it enters ``Zv``
at the leaves and ``J`` as one more term.  ``J`` is a :class:`LogLinear` (exact; ``-inf``
when a ``q`` or leaf success of 0 has positive probability).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Dict, Hashable, Mapping, NamedTuple, Optional, Tuple

from proofcheck.reference._rationals import inner, outer
from proofcheck.reference.loglinear import LogLinear
from proofcheck.reference.model import (
    DEFAULT_MAX_STATES,
    NotRationalError,
    PolicyDict,
    ReferenceModel,
    TooLargeError,
    as_fraction,
    as_model,
    as_policy,
    fraction_text,
)

__all__ = [
    "SoftValues",
    "soft_values",
    "success_probability",
    "additive_return",
    "occupancy",
    "occupancy_by_time",
    "rational_power",
    "tempered_likelihoods",
]


class SoftValues(NamedTuple):
    """``zq[s][a] = Zq_pi(s, a)`` (non-terminal ``s``) and ``zv[s] = Zv_pi(s)`` (every ``s``)."""

    zq: Dict[Hashable, Dict[Hashable, Fraction]]
    zv: Dict[Hashable, Fraction]


def _iroot(n: int, k: int) -> Optional[int]:
    """The integer ``r >= 0`` with ``r ** k == n``, or None (Newton's method from above)."""
    if n < 0:
        return None
    if n < 2 or k == 1:
        return n
    x = 1 << ((n.bit_length() + k - 1) // k)  # x ** k >= n
    while True:
        y = ((k - 1) * x + n // x ** (k - 1)) // k
        if y >= x:
            break
        x = y
    return x if x ** k == n else None


def rational_power(x: Fraction, e: Fraction, where: str = "value") -> Fraction:
    """``x ** e`` exactly for rationals ``x >= 0`` and ``e``, when the result is rational.

    Parameters
    ----------
    x : Fraction
        A non-negative base.
    e : Fraction
        The exponent; ``0 ** e`` is 0 for ``e > 0`` and 1 for ``e = 0``.
    where : str
        For the error message.

    Returns
    -------
    Fraction

    Raises
    ------
    NotRationalError
        If ``x ** e`` is irrational (e.g. ``(1/2) ** (1/2)``).

    Examples
    --------
    >>> rational_power(Fraction(4, 9), Fraction(3, 2))
    Fraction(8, 27)
    >>> rational_power(Fraction(1, 2), Fraction(2))
    Fraction(1, 4)
    >>> rational_power(Fraction(1, 2), Fraction(1, 2), "q ** alpha")
    Traceback (most recent call last):
    ...
    proofcheck.errors.NotRationalError: reference route needs rational inputs; q ** alpha = '(1/2) ** (1/2)' is irrational
    """
    x, e = Fraction(x), Fraction(e)
    if x < 0:
        raise ValueError(f"{where}: negative base {fraction_text(x)}")
    if x == 0:
        if e < 0:
            raise ZeroDivisionError(f"{where}: 0 ** {e}")
        return Fraction(1) if e == 0 else Fraction(0)
    if e.denominator == 1:
        return x ** int(e)
    k = e.denominator
    if max(x.numerator.bit_length(), x.denominator.bit_length()) * abs(e.numerator) > 1_000_000:
        raise TooLargeError(f"{where}: ({fraction_text(x)}) ** ({e}) is too large to compute exactly")
    rn, rd = _iroot(x.numerator, k), _iroot(x.denominator, k)
    if rn is None or rd is None:
        raise NotRationalError(f"reference route needs rational inputs; {where} = "
                               f"'({fraction_text(x)}) ** ({e})' is irrational")
    return Fraction(rn, rd) ** e.numerator


def tempered_likelihoods(model: ReferenceModel, alpha: Any = None
                         ) -> Tuple[Dict[Tuple[Hashable, Hashable], Fraction], Dict[Hashable, Fraction]]:
    """The likelihoods ``q ** alpha`` and leaf successes ``success ** alpha`` (spec section 4).

    Parameters
    ----------
    model : ReferenceModel
    alpha : rational, optional
        Inverse temperature ``> 0``; ``None`` means 1 (the model's own values).

    Returns
    -------
    (dict, dict)
        ``(s, a) -> q(s, a) ** alpha`` and ``leaf -> success(leaf) ** alpha``.

    Examples
    --------
    >>> import networkx as nx
    >>> from .model import load_graph
    >>> G = nx.MultiDiGraph(initial="s")
    >>> _ = G.add_edge("s", "t", key="a", prior=1, q="1/2")
    >>> G.nodes["t"]["success"] = "1/3"
    >>> tempered_likelihoods(load_graph(G), 2)
    ({('s', 'a'): Fraction(1, 4)}, {'t': Fraction(1, 9)})
    """
    if alpha is None:
        return dict(model.likelihood), dict(model.success)
    a = as_fraction(alpha, "alpha")
    if a <= 0:
        raise ValueError(f"alpha = {a} must be > 0 (inverse temperature)")
    q = {k: rational_power(v, a, f"q{k!r} ** alpha") for k, v in model.likelihood.items()}
    succ = {s: rational_power(v, a, f"success({s!r}) ** alpha") for s, v in model.success.items()}
    return q, succ


def _soft(model: ReferenceModel, pi: PolicyDict, q: Mapping, success: Mapping):
    """The backward sweep; ``zq`` keyed by ``(s, a)``."""
    zv: Dict[Hashable, Any] = {}
    zq: Dict[Tuple[Hashable, Hashable], Any] = {}
    zero = inner(Fraction(0))
    for s in reversed(model.states):
        acts = model.actions[s]
        if not acts:
            zv[s] = inner(success[s])
            continue
        total = zero
        for a in acts:
            v = inner(q[(s, a)]) * sum((inner(p) * zv[t] for t, p in model.outcomes[(s, a)]), zero)
            zq[(s, a)] = v
            total += inner(pi[s][a]) * v
        zv[s] = total
    return {k: outer(v) for k, v in zq.items()}, {k: outer(v) for k, v in zv.items()}


def _nest(model: ReferenceModel, flat: Mapping) -> Dict[Hashable, Dict[Hashable, Fraction]]:
    return {s: {a: flat[(s, a)] for a in model.actions[s]} for s in model.decision_states}


def soft_values(graph: Any, policy: Optional[Mapping] = None, *, alpha: Any = None,
                max_states: int = DEFAULT_MAX_STATES) -> SoftValues:
    """``Zq_pi`` and ``Zv_pi`` (exponentiated soft values, spec section 2).

    Parameters
    ----------
    graph : networkx graph or ReferenceModel
    policy : mapping, optional
        ``state -> action -> probability``; default the prior.
    alpha : rational, optional
        Use the tempered likelihoods ``q ** alpha`` (spec section 4).
    max_states : int
        Size bound of the reference route.

    Returns
    -------
    SoftValues
        ``zq[s][a]`` and ``zv[s]`` as Fractions; ``Q = log zq``, ``V = log zv``.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph(initial="s")
    >>> _ = G.add_edge("s", "good", key="a", prior="1/2")
    >>> _ = G.add_edge("s", "bad", key="b", prior="1/2", q="1/2")
    >>> G.nodes["bad"]["success"] = "1/3"
    >>> sv = soft_values(G)
    >>> sv.zq["s"], sv.zv["s"]
    ({'a': Fraction(1, 1), 'b': Fraction(1, 6)}, Fraction(7, 12))
    """
    model = as_model(graph, max_states=max_states)
    pi = as_policy(model, policy)
    q, succ = tempered_likelihoods(model, alpha)
    zq, zv = _soft(model, pi, q, succ)
    return SoftValues(_nest(model, zq), zv)


def success_probability(graph: Any, policy: Optional[Mapping] = None, *, alpha: Any = None,
                        max_states: int = DEFAULT_MAX_STATES) -> Fraction:
    """``S(pi) = sum_s0 mu(s0) Zv_pi(s0)``, the probability that every ``O_t`` is 1.

    Parameters
    ----------
    graph : networkx graph or ReferenceModel
    policy : mapping, optional
        Default the prior.
    alpha : rational, optional
        Tempered likelihoods ``q ** alpha``.
    max_states : int
        Size bound.

    Returns
    -------
    Fraction

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph(initial="s")
    >>> _ = G.add_edge("s", "good", key="a", prior="1/2")
    >>> _ = G.add_edge("s", "bad", key="b", prior="1/2", q="1/2")
    >>> G.nodes["bad"]["success"] = "1/3"
    >>> success_probability(G), success_probability(G, {"s": {"a": 1, "b": 0}})
    (Fraction(7, 12), Fraction(1, 1))
    """
    model = as_model(graph, max_states=max_states)
    zv = soft_values(model, policy, alpha=alpha).zv
    return sum((m * zv[s] for s, m in model.initial.items()), Fraction(0))


def occupancy_by_time(graph: Any, policy: Optional[Mapping] = None, *,
                      max_states: int = DEFAULT_MAX_STATES) -> Dict[int, Dict[Hashable, Fraction]]:
    """``d_pi^t(s)``, the probability of being in ``s`` at time ``t`` (spec section 2).

    Parameters
    ----------
    graph : networkx graph or ReferenceModel
    policy : mapping, optional
        Default the prior.
    max_states : int
        Size bound.

    Returns
    -------
    dict
        ``t -> state -> mass``, listing only positive masses (``t = 0`` is ``mu``).

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph(initial="s")
    >>> _ = G.add_edge("s", "x", key="a", prior="1/2")
    >>> _ = G.add_edge("s", "y", key="b", prior="1/2")
    >>> _ = G.add_edge("x", "y", key="c", prior=1)
    >>> occupancy_by_time(G)
    {0: {'s': Fraction(1, 1)}, 1: {'x': Fraction(1, 2), 'y': Fraction(1, 2)}, 2: {'y': Fraction(1, 2)}}
    """
    model = as_model(graph, max_states=max_states)
    pi = as_policy(model, policy)
    out: Dict[int, Dict[Hashable, Fraction]] = {}
    layer = {s: m for s, m in model.initial.items() if m}
    t = 0
    while layer:
        out[t] = layer
        nxt: Dict[Hashable, Fraction] = {}
        for s, m in layer.items():
            for a in model.actions[s]:
                w = m * pi[s][a]
                if w:
                    for t2, p in model.outcomes[(s, a)]:
                        nxt[t2] = nxt.get(t2, Fraction(0)) + w * p
        layer = {s: m for s, m in nxt.items() if m}
        t += 1
    return out


def _occupancy(model: ReferenceModel, pi: PolicyDict) -> Dict[Hashable, Fraction]:
    d = {s: inner(Fraction(0)) for s in model.states}
    for s, m in model.initial.items():
        d[s] += inner(m)
    for s in model.states:  # topological: every predecessor is done
        if d[s] == 0:
            continue
        for a in model.actions[s]:
            w = d[s] * inner(pi[s][a])
            if w:
                for t, p in model.outcomes[(s, a)]:
                    d[t] += w * inner(p)
    return {s: outer(v) for s, v in d.items()}


def occupancy(graph: Any, policy: Optional[Mapping] = None, *,
              max_states: int = DEFAULT_MAX_STATES) -> Dict[Hashable, Fraction]:
    """``d_pi(s) = sum_t d_pi^t(s)``, the probability of visiting ``s`` (every state listed).

    In a DAG a trajectory visits a state at most once, so this is also the expected number
    of visits, the weight of the causal sums of spec section 6.

    Parameters
    ----------
    graph : networkx graph or ReferenceModel
    policy : mapping, optional
        Default the prior.
    max_states : int
        Size bound.

    Returns
    -------
    dict
        ``state -> mass`` for every state (0 where not reached).

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph(initial="s")
    >>> _ = G.add_edge("s", "x", key="a", prior="1/2")
    >>> _ = G.add_edge("s", "y", key="b", prior="1/2")
    >>> _ = G.add_edge("x", "y", key="c", prior=1)
    >>> occupancy(G)
    {'s': Fraction(1, 1), 'x': Fraction(1, 2), 'y': Fraction(1, 1)}
    """
    model = as_model(graph, max_states=max_states)
    return _occupancy(model, as_policy(model, policy))


def additive_return(graph: Any, policy: Optional[Mapping] = None, *,
                    max_states: int = DEFAULT_MAX_STATES) -> LogLinear:
    """``J(pi) = E_pi[sum_t log q(s_t, a_t)]``, the leaf success counted as the last step.

    Parameters
    ----------
    graph : networkx graph or ReferenceModel
    policy : mapping, optional
        Default the prior.
    max_states : int
        Size bound.

    Returns
    -------
    LogLinear
        Exactly ``sum_{s,a} d(s) pi(a|s) log q(s,a) + sum_leaf d(leaf) log success(leaf)``;
        events of probability 0 contribute nothing; ``LogLinear(-inf)`` when a ``q`` or a
        leaf success of 0 is reached with positive probability.  ``float(J)`` evaluates it.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph(initial="s")
    >>> _ = G.add_edge("s", "good", key="a", prior="1/2")
    >>> _ = G.add_edge("s", "bad", key="b", prior="1/2", q="1/2")
    >>> G.nodes["bad"]["success"] = "1/3"
    >>> J = additive_return(G)
    >>> J
    LogLinear(1/2*log(1/2) + 1/2*log(1/3))
    >>> round(float(J), 10)
    -0.8958797346
    >>> G.nodes["bad"]["success"] = 0
    >>> additive_return(G), additive_return(G, {"s": {"a": 1, "b": 0}})
    (LogLinear(-inf), LogLinear(0))
    """
    model = as_model(graph, max_states=max_states)
    pi = as_policy(model, policy)
    return _additive_return(model, pi, _occupancy(model, pi))


def _additive_return(model: ReferenceModel, pi: PolicyDict, d: Mapping[Hashable, Fraction]) -> LogLinear:
    """:func:`additive_return` given the occupancy ``d`` of ``pi``."""
    total = LogLinear.zero()
    for s in model.states:
        if d[s] == 0:
            continue
        if model.is_terminal(s):
            total = total + d[s] * LogLinear.log(model.success[s])
            continue
        for a in model.actions[s]:
            w = d[s] * pi[s][a]
            if w:
                total = total + w * LogLinear.log(model.likelihood[(s, a)])
        if total.is_neg_inf():
            return total
    return total
