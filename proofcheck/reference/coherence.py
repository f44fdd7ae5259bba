"""f-soft policies, incoherence and iterated coherence (spec section 6).

::

    pi^{Q,f}(.|s) ∝ f(Q_pi(s, .))                          f-soft policy of pi
    Boltzmann, temperature delta:  pi^delta(a|s) ∝ Zq_pi(s, a) ** (1/delta)   (Zq = 0 -> 0)
    argmax:  uniform over argmax_a Q_pi(s, a) (or the first maximiser)
    kappa_f(pi) = KL(P_pi(xi) || P_{pi^{Q,f}}(xi))
                = sum_t E_{s ~ d_pi^t} KL(pi(.|s) || pi^{Q,f}(.|s))          (causal form)
    pi^B_0 = pi,  pi^B_{i+1} = (pi^B_i)^{Q,f}                                iterated coherence

The KL runs from ``pi`` to its soft policy; it is ``+inf`` as soon as ``pi`` puts positive
mass, at a state it reaches with positive probability, on an action the soft policy gives
probability 0.  Both the causal form (:func:`incoherence`, :func:`causal_kl`) and the
trajectory form (:func:`trajectory_kl`, by bounded enumeration) are given, as exact
:class:`LogLinear` values.  Where every ``Zq_pi(s, .)`` is 0 the softmax is undefined: the
Boltzmann policy then follows the ``impossible`` rule (keep ``pi(.|s)`` or uniform); the
argmax sees all actions tied (all ``Q = -inf``).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Hashable, Iterator, List, Mapping, Optional, Tuple

from proofcheck.reference.loglinear import LogLinear
from proofcheck.reference.model import (
    DEFAULT_MAX_STATES,
    PolicyDict,
    ReferenceModel,
    ReferenceUnsupported,
    TooLargeError,
    as_fraction,
    as_model,
    as_policy,
)
from proofcheck.reference.options import ARGMAX_TIES, IMPOSSIBLE, SOFT_FUNCTIONS, check_option
from proofcheck.reference.values import _occupancy, _soft, rational_power

__all__ = [
    "soft_policy",
    "boltzmann_policy",
    "argmax_policy",
    "causal_kl",
    "trajectory_kl",
    "trajectories",
    "incoherence",
    "is_coherent",
    "iterate_coherence",
    "coherence_fixed_point",
]

#: Default bound on enumerated trajectories.
DEFAULT_MAX_TRAJECTORIES = 100_000


def _delta(delta: Any) -> Fraction:
    d = as_fraction(delta, "delta")
    if d <= 0:
        raise ValueError(f"delta = {d} must be > 0 (a temperature)")
    return d


def _soft_step(model: ReferenceModel, pi: PolicyDict, q: Mapping, success: Mapping, f: str,
               delta: Fraction, impossible: str, ties: str, zq: Optional[Mapping] = None) -> PolicyDict:
    """The f-soft policy of ``pi`` (``zq``: its ``Zq`` for ``q`` and ``success``, when known)."""
    if zq is None:
        zq, _ = _soft(model, pi, q, success)
    out: PolicyDict = {}
    for s in model.decision_states:
        acts = model.actions[s]
        if f == "boltzmann":
            w = {a: rational_power(zq[(s, a)], 1 / delta, f"Zq({s!r}, {a!r}) ** (1/delta)") for a in acts}
            total = sum(w.values(), Fraction(0))
            if total == 0:
                out[s] = dict(pi[s]) if impossible == "keep" else {a: Fraction(1, len(acts)) for a in acts}
            else:
                out[s] = {a: w[a] / total for a in acts}
        else:
            best = max(zq[(s, a)] for a in acts)  # argmax of Q = log Zq is argmax of Zq
            winners = [a for a in acts if zq[(s, a)] == best]
            if ties == "first":
                winners = winners[:1]
            out[s] = {a: (Fraction(1, len(winners)) if a in winners else Fraction(0)) for a in acts}
    return out


def _options(f: str, delta: Any, impossible: str, ties: str) -> Fraction:
    check_option("f", f, SOFT_FUNCTIONS)
    check_option("impossible", impossible, IMPOSSIBLE)
    check_option("argmax_ties", ties, ARGMAX_TIES)
    return _delta(delta)


def soft_policy(graph: Any, policy: Optional[Mapping] = None, f: str = "boltzmann", *,
                delta: Any = 1, impossible: str = "keep", ties: str = "uniform",
                max_states: int = DEFAULT_MAX_STATES) -> PolicyDict:
    """The f-soft policy ``pi^{Q,f}`` of ``pi``.

    Parameters
    ----------
    graph : networkx graph or ReferenceModel
    policy : mapping, optional
        ``pi``; default the prior.
    f : {"boltzmann", "argmax"}
        The order-respecting map.
    delta : rational
        Boltzmann temperature ``> 0``; ``Zq ** (1/delta)`` must be rational (``1/delta``
        an integer always is).
    impossible : {"keep", "uniform"}
        Boltzmann rule where every ``Zq_pi(s, .)`` is 0.
    ties : {"uniform", "first"}
        Argmax tie rule.
    max_states : int
        Size bound.

    Returns
    -------
    dict

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph(initial="s")
    >>> _ = G.add_edge("s", "good", key="a", prior="1/2")
    >>> _ = G.add_edge("s", "bad", key="b", prior="1/2", q="1/2")
    >>> G.nodes["bad"]["success"] = "1/3"
    >>> soft_policy(G, f="argmax")
    {'s': {'a': Fraction(1, 1), 'b': Fraction(0, 1)}}
    """
    d = _options(f, delta, impossible, ties)
    model = as_model(graph, max_states=max_states)
    pi = as_policy(model, policy)
    return _soft_step(model, pi, model.likelihood, model.success, f, d, impossible, ties)


def boltzmann_policy(graph: Any, policy: Optional[Mapping] = None, delta: Any = 1, *,
                     impossible: str = "keep", max_states: int = DEFAULT_MAX_STATES) -> PolicyDict:
    """``pi^delta(a|s) ∝ exp(Q_pi(s,a)/delta) = Zq_pi(s,a) ** (1/delta)``.

    Parameters
    ----------
    graph : networkx graph or ReferenceModel
    policy : mapping, optional
        Default the prior.
    delta : rational
        Temperature ``> 0``.
    impossible : {"keep", "uniform"}
        Rule where every ``Zq_pi(s, .)`` is 0.
    max_states : int
        Size bound.

    Returns
    -------
    dict

    Examples
    --------
    ``Zq(s, .) = (1, 1/6)``: at ``delta = 1`` the policy is ``(6/7, 1/7)``, at
    ``delta = 1/2`` it is ``∝ (1, 1/36)``.

    >>> import networkx as nx
    >>> G = nx.MultiDiGraph(initial="s")
    >>> _ = G.add_edge("s", "good", key="a", prior="1/2")
    >>> _ = G.add_edge("s", "bad", key="b", prior="1/2", q="1/2")
    >>> G.nodes["bad"]["success"] = "1/3"
    >>> boltzmann_policy(G)["s"], boltzmann_policy(G, delta="1/2")["s"]["b"]
    ({'a': Fraction(6, 7), 'b': Fraction(1, 7)}, Fraction(1, 37))
    """
    return soft_policy(graph, policy, "boltzmann", delta=delta, impossible=impossible,
                       max_states=max_states)


def argmax_policy(graph: Any, policy: Optional[Mapping] = None, *, ties: str = "uniform",
                  max_states: int = DEFAULT_MAX_STATES) -> PolicyDict:
    """Uniform over ``argmax_a Q_pi(s, a)`` (or the first maximiser), ties decided exactly.

    Parameters
    ----------
    graph : networkx graph or ReferenceModel
    policy : mapping, optional
        Default the prior.
    ties : {"uniform", "first"}
        Tie rule; where every ``Zq`` is 0 all actions tie.
    max_states : int
        Size bound.

    Returns
    -------
    dict

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph(initial="s")
    >>> _ = G.add_edge("s", "x", key="a", prior="1/2")
    >>> _ = G.add_edge("s", "y", key="b", prior="1/2")
    >>> argmax_policy(G)["s"], argmax_policy(G, ties="first")["s"]
    ({'a': Fraction(1, 2), 'b': Fraction(1, 2)}, {'a': Fraction(1, 1), 'b': Fraction(0, 1)})
    """
    return soft_policy(graph, policy, "argmax", ties=ties, max_states=max_states)


def _kl_row(p: Mapping, r: Mapping) -> LogLinear:
    total = LogLinear.zero()
    for a, pa in p.items():
        if pa == 0:
            continue
        if r[a] == 0:
            return LogLinear(infinity=1)
        total = total + pa * LogLinear.log(pa / r[a])
    return total


def causal_kl(graph: Any, policy: Mapping, other: Mapping, *,
              max_states: int = DEFAULT_MAX_STATES) -> LogLinear:
    """``sum_t E_{s ~ d_pi^t} KL(pi(.|s) || other(.|s))`` for two given policies.

    Parameters
    ----------
    graph : networkx graph or ReferenceModel
    policy : mapping
        ``pi`` (the first argument of the KL; its occupancy weighs the states).
    other : mapping
        The second argument.
    max_states : int
        Size bound.

    Returns
    -------
    LogLinear
        ``LogLinear(inf)`` when ``pi`` puts mass where ``other`` puts none, at a state
        reached with positive probability.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph(initial="s")
    >>> _ = G.add_edge("s", "x", key="a", prior="1/2")
    >>> _ = G.add_edge("s", "y", key="b", prior="1/2")
    >>> causal_kl(G, None, {"s": {"a": "1/4", "b": "3/4"}})
    LogLinear(1/2*log(2) + 1/2*log(2/3))
    >>> causal_kl(G, None, {"s": {"a": 1, "b": 0}})
    LogLinear(inf)
    """
    model = as_model(graph, max_states=max_states)
    pi, oth = as_policy(model, policy), as_policy(model, other)
    return _causal_kl(model, pi, oth, _occupancy(model, pi))


def _causal_kl(model: ReferenceModel, pi: PolicyDict, oth: PolicyDict, d: Mapping[Hashable, Fraction]) -> LogLinear:
    """:func:`causal_kl` given the occupancy ``d`` of ``pi``."""
    total = LogLinear.zero()
    for s in model.decision_states:
        if d[s] == 0:
            continue
        total = total + d[s] * _kl_row(pi[s], oth[s])
        if total.is_pos_inf():
            break
    return total


def trajectories(graph: Any, policy: Optional[Mapping] = None, *,
                 max_trajectories: int = DEFAULT_MAX_TRAJECTORIES,
                 max_states: int = DEFAULT_MAX_STATES) -> Iterator[Tuple[tuple, Fraction]]:
    """Every trajectory of positive probability under ``pi``, with its probability.

    Parameters
    ----------
    graph : networkx graph or ReferenceModel
    policy : mapping, optional
        Default the prior.
    max_trajectories : int
        Raise :class:`TooLargeError` beyond this many.
    max_states : int
        Size bound.

    Yields
    ------
    (tuple, Fraction)
        ``(s_0, a_0, s_1, ..., s_T)`` and ``mu(s_0) prod_t pi(a_t|s_t) tau(s_{t+1}|s_t,a_t)``.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph(initial="s")
    >>> _ = G.add_edge("s", "x", key="a", prior="1/3")
    >>> _ = G.add_edge("s", "y", key="b", prior="2/3")
    >>> [(xi, str(p)) for xi, p in trajectories(G)]
    [(('s', 'a', 'x'), '1/3'), (('s', 'b', 'y'), '2/3')]
    """
    model = as_model(graph, max_states=max_states)
    pi = as_policy(model, policy)
    count = 0
    stack: List[Tuple[tuple, Fraction]] = [((s,), m) for s, m in reversed(list(model.initial.items()))]
    while stack:
        path, prob = stack.pop()
        s = path[-1]
        if model.is_terminal(s):
            count += 1
            if count > max_trajectories:
                raise TooLargeError(f"more than max_trajectories = {max_trajectories} trajectories; "
                                    "use the causal form or raise the bound")
            yield path, prob
            continue
        children = []
        for a in model.actions[s]:
            if pi[s][a] == 0:
                continue
            for t, p in model.outcomes[(s, a)]:
                children.append((path + (a, t), prob * pi[s][a] * p))
        stack.extend(reversed(children))


def trajectory_kl(graph: Any, policy: Mapping, other: Mapping, *,
                  max_trajectories: int = DEFAULT_MAX_TRAJECTORIES,
                  max_states: int = DEFAULT_MAX_STATES) -> LogLinear:
    """``KL(P_pi(xi) || P_other(xi))`` over whole trajectories, by enumeration.

    Parameters
    ----------
    graph : networkx graph or ReferenceModel
    policy, other : mapping
        The two policies (``None`` for the prior).
    max_trajectories : int
        Enumeration bound.
    max_states : int
        Size bound.

    Returns
    -------
    LogLinear

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph(initial="s")
    >>> _ = G.add_edge("s", "x", key="a", prior="1/2")
    >>> _ = G.add_edge("s", "y", key="b", prior="1/2")
    >>> other = {"s": {"a": "1/4", "b": "3/4"}}
    >>> trajectory_kl(G, None, other) == causal_kl(G, None, other)
    True
    """
    model = as_model(graph, max_states=max_states)
    pi, oth = as_policy(model, policy), as_policy(model, other)
    total = LogLinear.zero()
    for path, p in trajectories(model, pi, max_trajectories=max_trajectories):
        q = p
        for i in range(0, len(path) - 1, 2):
            s, a = path[i], path[i + 1]
            q = q * oth[s][a] / pi[s][a]  # mu and tau cancel in the ratio
        if q == 0:
            return LogLinear(infinity=1)
        total = total + p * LogLinear.log(p / q)
    return total


def incoherence(graph: Any, policy: Optional[Mapping] = None, f: str = "boltzmann", *,
                delta: Any = 1, impossible: str = "keep", ties: str = "uniform",
                max_states: int = DEFAULT_MAX_STATES) -> LogLinear:
    """``kappa_f(pi) = sum_t E_{s ~ d_pi^t} KL(pi(.|s) || pi^{Q,f}(.|s))`` (causal form).

    Parameters
    ----------
    graph : networkx graph or ReferenceModel
    policy : mapping, optional
        Default the prior.
    f : {"boltzmann", "argmax"}
        ``"boltzmann"`` at temperature ``delta`` gives ``kappa_delta``.
    delta, impossible, ties
        As in :func:`soft_policy`.
    max_states : int
        Size bound.

    Returns
    -------
    LogLinear
        ``>= 0``; ``LogLinear(inf)`` when ``pi`` puts mass where ``pi^{Q,f}`` puts none.

    Examples
    --------
    README model: ``pi = p = (1/2, 1/2)``, soft policy ``(6/7, 1/7)``, so
    ``kappa = 1/2 log(7/12) + 1/2 log(7/2)``.

    >>> import networkx as nx
    >>> G = nx.MultiDiGraph(initial="s")
    >>> _ = G.add_edge("s", "good", key="a", prior="1/2")
    >>> _ = G.add_edge("s", "bad", key="b", prior="1/2", q="1/2")
    >>> G.nodes["bad"]["success"] = "1/3"
    >>> incoherence(G)
    LogLinear(1/2*log(7/12) + 1/2*log(7/2))
    >>> incoherence(G, f="argmax")
    LogLinear(inf)
    """
    model = as_model(graph, max_states=max_states)
    pi = as_policy(model, policy)
    soft = soft_policy(model, pi, f, delta=delta, impossible=impossible, ties=ties)
    return causal_kl(model, pi, soft)


def is_coherent(graph: Any, policy: Optional[Mapping] = None, f: str = "boltzmann", *,
                delta: Any = 1, impossible: str = "keep", ties: str = "uniform",
                max_states: int = DEFAULT_MAX_STATES) -> bool:
    """``kappa_f(pi) == 0``, decided by comparing ``pi`` with ``pi^{Q,f}`` where ``pi`` goes.

    Parameters
    ----------
    graph : networkx graph or ReferenceModel
    policy : mapping, optional
        Default the prior.
    f, delta, impossible, ties
        As in :func:`soft_policy`.
    max_states : int
        Size bound.

    Returns
    -------
    bool

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph(initial="s")
    >>> _ = G.add_edge("s", "good", key="a", prior="1/2")
    >>> _ = G.add_edge("s", "bad", key="b", prior="1/2", q="1/2")
    >>> G.nodes["bad"]["success"] = "1/3"
    >>> is_coherent(G), is_coherent(G, {"s": {"a": "6/7", "b": "1/7"}})
    (False, True)
    """
    model = as_model(graph, max_states=max_states)
    pi = as_policy(model, policy)
    soft = soft_policy(model, pi, f, delta=delta, impossible=impossible, ties=ties)
    d = _occupancy(model, pi)
    return all(pi[s] == soft[s] for s in model.decision_states if d[s] != 0)


def iterate_coherence(graph: Any, n: int, policy: Optional[Mapping] = None, f: str = "boltzmann", *,
                      delta: Any = 1, impossible: str = "keep", ties: str = "uniform",
                      max_states: int = DEFAULT_MAX_STATES) -> List[PolicyDict]:
    """``[pi^B_0 = pi, ..., pi^B_n]`` with ``pi^B_{i+1} = (pi^B_i)^{Q,f}``.

    Parameters
    ----------
    graph : networkx graph or ReferenceModel
    n : int
        Number of iterations, ``>= 0``.
    policy : mapping, optional
        ``pi^B_0``; default the prior.
    f, delta, impossible, ties
        As in :func:`soft_policy`.
    max_states : int
        Size bound.

    Returns
    -------
    list of dict

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph(initial="s")
    >>> _ = G.add_edge("s", "good", key="a", prior="1/2")
    >>> _ = G.add_edge("s", "bad", key="b", prior="1/2", q="1/2")
    >>> G.nodes["bad"]["success"] = "1/3"
    >>> [str(pi["s"]["a"]) for pi in iterate_coherence(G, 2)]
    ['1/2', '6/7', '6/7']
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"n = {n!r} must be a non-negative integer number of iterations")
    d = _options(f, delta, impossible, ties)
    model = as_model(graph, max_states=max_states)
    pi = as_policy(model, policy)
    out = [pi]
    for _ in range(n):
        pi = _soft_step(model, pi, model.likelihood, model.success, f, d, impossible, ties)
        out.append(pi)
    return out


def coherence_fixed_point(graph: Any, policy: Optional[Mapping] = None, f: str = "boltzmann", *,
                          delta: Any = 1, impossible: str = "keep", ties: str = "uniform",
                          max_iter: Optional[int] = None,
                          max_states: int = DEFAULT_MAX_STATES) -> Tuple[PolicyDict, int]:
    """The fixed point of iterated f-coherence and the number of steps to reach it.

    Iterates ``pi^B_{i+1} = (pi^B_i)^{Q,f}`` until ``pi^B_{i+1} = pi^B_i`` exactly (on every
    state, reached or not).

    Parameters
    ----------
    graph : networkx graph or ReferenceModel
    policy : mapping, optional
        ``pi^B_0``; default the prior.
    f, delta, impossible, ties
        As in :func:`soft_policy`.
    max_iter : int, optional
        Give up after this many iterations; default the number of states plus one (the
        level-by-level argument of P4.10 needs at most the horizon ``T``; the default does
        not assume it).
    max_states : int
        Size bound.

    Returns
    -------
    (dict, int)
        The fixed point ``pi^B_i`` and the least ``i`` with ``pi^B_{i+1} = pi^B_i``.

    Raises
    ------
    ReferenceUnsupported
        No fixed point within ``max_iter`` iterations.

    Examples
    --------
    Mountain race (spec section 8): the fixed point at ``delta = 1`` is ``4/7, 3/7`` at the
    start, ``1, 0`` at the mountain, ``1/2, 1/2`` in the forest, reached after ``T = 2`` steps.

    >>> import networkx as nx
    >>> G = nx.MultiDiGraph(initial="start")
    >>> for s, a, t in [("start", "up", "mountain"), ("start", "down", "forest"),
    ...                 ("mountain", "up", "gold"), ("mountain", "down", "chasm"),
    ...                 ("forest", "up", "silver1"), ("forest", "down", "silver2")]:
    ...     _ = G.add_edge(s, t, key=a, prior="1/2")
    >>> G.nodes["chasm"]["success"] = 0
    >>> G.nodes["silver1"]["success"] = G.nodes["silver2"]["success"] = "3/4"
    >>> fp, steps = coherence_fixed_point(G)
    >>> [str(fp["start"]["up"]), str(fp["mountain"]["up"]), str(fp["forest"]["up"]), steps]
    ['4/7', '1', '1/2', 2]
    """
    d = _options(f, delta, impossible, ties)
    model = as_model(graph, max_states=max_states)
    if max_iter is None:
        max_iter = len(model.states) + 1
    pi = as_policy(model, policy)
    for i in range(max_iter + 1):
        nxt = _soft_step(model, pi, model.likelihood, model.success, f, d, impossible, ties)
        if nxt == pi:
            return pi, i
        pi = nxt
    raise ReferenceUnsupported(f"iterated {f}-coherence reached no fixed point within "
                               f"max_iter = {max_iter} iterations")
