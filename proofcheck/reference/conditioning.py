"""Goal conditioning, re-training, temperature and folds (spec sections 3, 4, 5).

::

    G(pi)(a|s) = pi(a|s) * Zq_pi(s, a) / Zv_pi(s)        (rule ``impossible`` where Zv_pi(s) = 0)
    pi^G_0 = p,  pi^G_{k+1} = G(pi^G_k)                    re-training
    pi_alpha = G(p) in the MDP with likelihoods q ** alpha  (leaf successes too)
    h_0 = p,  h_{j+1} = G_{r_j}(p),  r_0 = r               folds: F non-cumulative, H cumulative
    r_{j+1} = r_0 + log(term_{j+1})   (F)      r_{j+1} = r_j + log(term_{j+1})   (H)
    term_{j+1}(a|s) = h_{j+1}(a|s)  ("posterior")   or   h_{j+1}(a|s) / p(a|s)  ("ratio")

In likelihood form ``q_{j+1} = q_0 * term`` (F) or ``q_j * term`` (H).  Folded likelihoods
may exceed 1; no per-step normalisation is applied (it is not needed with exact
arithmetic).  The fold term only touches action likelihoods, never leaf successes.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Dict, Hashable, List, Mapping, Optional, Tuple

from proofcheck.reference.model import DEFAULT_MAX_STATES, PolicyDict, ReferenceModel, as_model, as_policy
from proofcheck.reference.options import FOLD_TERMS, H_INDEXINGS, IMPOSSIBLE, check_option
from proofcheck.reference.values import _soft, tempered_likelihoods

__all__ = [
    "goal_condition",
    "retrain",
    "tempered_policy",
    "fold_sequence",
    "noncumulative_fold",
    "cumulative_fold",
]


def _fallback(model: ReferenceModel, pi: PolicyDict, s: Hashable, impossible: str) -> Dict[Hashable, Fraction]:
    if impossible == "keep":
        return dict(pi[s])
    n = len(model.actions[s])
    return {a: Fraction(1, n) for a in model.actions[s]}


def _condition(model: ReferenceModel, pi: PolicyDict, q: Mapping, success: Mapping,
               impossible: str) -> PolicyDict:
    zq, zv = _soft(model, pi, q, success)
    out: PolicyDict = {}
    for s in model.decision_states:
        if zv[s] == 0:
            out[s] = _fallback(model, pi, s, impossible)
        else:
            out[s] = {a: pi[s][a] * zq[(s, a)] / zv[s] for a in model.actions[s]}
    return out


def goal_condition(graph: Any, policy: Optional[Mapping] = None, *, impossible: str = "keep",
                   alpha: Any = None, max_states: int = DEFAULT_MAX_STATES) -> PolicyDict:
    """The goal-conditioned policy ``G(pi)(a|s) = pi(a|s) Zq_pi(s,a) / Zv_pi(s)``.

    Parameters
    ----------
    graph : networkx graph or ReferenceModel
    policy : mapping, optional
        ``pi``; default the prior ``p`` (then the result is the naive ``pi_1 = G(p)``).
    impossible : {"keep", "uniform"}
        Rule where ``Zv_pi(s) = 0``: keep ``pi(.|s)`` or use the uniform distribution.
    alpha : rational, optional
        Condition in the tempered MDP with likelihoods ``q ** alpha``.
    max_states : int
        Size bound.

    Returns
    -------
    dict
        ``state -> action -> Fraction`` over the non-terminal states.

    Examples
    --------
    The README model: ``Zq(s, a) = 1``, ``Zq(s, b) = 1/2 * 1/3 = 1/6``, ``Zv(s) = 7/12``,
    so ``G(p)(a|s) = (1/2 * 1) / (7/12) = 6/7``.

    >>> import networkx as nx
    >>> G = nx.MultiDiGraph(initial="s")
    >>> _ = G.add_edge("s", "good", key="a", prior="1/2")
    >>> _ = G.add_edge("s", "bad", key="b", prior="1/2", q="1/2")
    >>> G.nodes["bad"]["success"] = "1/3"
    >>> goal_condition(G)
    {'s': {'a': Fraction(6, 7), 'b': Fraction(1, 7)}}
    """
    check_option("impossible", impossible, IMPOSSIBLE)
    model = as_model(graph, max_states=max_states)
    pi = as_policy(model, policy)
    q, succ = tempered_likelihoods(model, alpha)
    return _condition(model, pi, q, succ, impossible)


def retrain(graph: Any, k: int, policy: Optional[Mapping] = None, *, impossible: str = "keep",
            max_states: int = DEFAULT_MAX_STATES) -> List[PolicyDict]:
    """Re-training on own actions: ``[pi^G_0, ..., pi^G_k]``, ``pi^G_{i+1} = G(pi^G_i)``.

    Parameters
    ----------
    graph : networkx graph or ReferenceModel
    k : int
        Number of conditioning steps, ``>= 0``.
    policy : mapping, optional
        ``pi^G_0``; default the prior.
    impossible : {"keep", "uniform"}
        Rule where ``Zv = 0``.
    max_states : int
        Size bound.

    Returns
    -------
    list of dict
        ``k + 1`` policies.

    Examples
    --------
    Example 3 of the paper (spec section 8): ``1/2``, then ``5/11``, then ``25/61`` for ``a1``.

    >>> import networkx as nx
    >>> G = nx.MultiDiGraph(initial="start")
    >>> _ = G.add_edge("start", "s1", key="a1", prior="1/2", prob="3/4")
    >>> _ = G.add_edge("start", "s2", key="a1", prob="1/4")
    >>> _ = G.add_edge("start", "s1", key="a2", prior="1/2", prob="1/2")
    >>> _ = G.add_edge("start", "s2", key="a2", prob="1/2")
    >>> G.nodes["s1"]["success"], G.nodes["s2"]["success"] = "1/3", "2/3"
    >>> [str(pi["start"]["a1"]) for pi in retrain(G, 2)]
    ['1/2', '5/11', '25/61']
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 0:
        raise ValueError(f"k = {k!r} must be a non-negative integer number of re-training steps")
    check_option("impossible", impossible, IMPOSSIBLE)
    model = as_model(graph, max_states=max_states)
    pi = as_policy(model, policy)
    q, succ = tempered_likelihoods(model)
    out = [pi]
    for _ in range(k):
        pi = _condition(model, pi, q, succ, impossible)
        out.append(pi)
    return out


def tempered_policy(graph: Any, alpha: Any, *, impossible: str = "keep",
                    max_states: int = DEFAULT_MAX_STATES) -> PolicyDict:
    """``pi_alpha``: ``G(p)`` in the MDP whose likelihoods are ``q ** alpha`` (spec section 4).

    Parameters
    ----------
    graph : networkx graph or ReferenceModel
    alpha : rational
        Inverse temperature ``> 0``; ``q ** alpha`` must be rational (e.g. integer ``alpha``).
    impossible : {"keep", "uniform"}
        Rule where ``Zv = 0``.
    max_states : int
        Size bound.

    Returns
    -------
    dict

    Raises
    ------
    NotRationalError
        When some ``q ** alpha`` is irrational.

    Examples
    --------
    Example 3 at ``alpha = 2``: ``(3/4 * 1/9 + 1/4 * 4/9) / 2 = 7/72`` against
    ``(1/2 * 1/9 + 1/2 * 4/9) / 2 = 5/36``, so ``pi_2(a1) = 7/17``.

    >>> import networkx as nx
    >>> G = nx.MultiDiGraph(initial="start")
    >>> _ = G.add_edge("start", "s1", key="a1", prior="1/2", prob="3/4")
    >>> _ = G.add_edge("start", "s2", key="a1", prob="1/4")
    >>> _ = G.add_edge("start", "s1", key="a2", prior="1/2", prob="1/2")
    >>> _ = G.add_edge("start", "s2", key="a2", prob="1/2")
    >>> G.nodes["s1"]["success"], G.nodes["s2"]["success"] = "1/3", "2/3"
    >>> tempered_policy(G, 2)["start"]["a1"]
    Fraction(7, 17)
    """
    return goal_condition(graph, None, impossible=impossible, alpha=alpha, max_states=max_states)


def fold_sequence(graph: Any, n: int, *, cumulative: bool, fold_term: str = "ratio",
                  impossible: str = "keep", max_states: int = DEFAULT_MAX_STATES
                  ) -> List[PolicyDict]:
    """The raw folded sequence ``[h_0 = p, h_1, ..., h_n]`` (spec section 5).

    Parameters
    ----------
    graph : networkx graph or ReferenceModel
    n : int
        Number of conditioning steps, ``>= 0``.
    cumulative : bool
        ``False``: ``F`` (``r_{j+1} = r_0 + log term``); ``True``: ``H`` (``r_{j+1} = r_j + log term``).
    fold_term : {"ratio", "posterior"}
        ``h_{j+1}(a|s) / p(a|s)`` (0 where ``p(a|s) = 0``) or ``h_{j+1}(a|s)`` as printed.
    impossible : {"keep", "uniform"}
        Rule where ``Zv = 0``.
    max_states : int
        Size bound.

    Returns
    -------
    list of dict
        ``n + 1`` policies, ``h_{j+1} = G_{r_j}(p)``.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph(initial="s")
    >>> _ = G.add_edge("s", "good", key="a", prior="1/2")
    >>> _ = G.add_edge("s", "bad", key="b", prior="1/2", q="1/2")
    >>> G.nodes["bad"]["success"] = "1/3"
    >>> [str(h["s"]["b"]) for h in fold_sequence(G, 2, cumulative=True)]
    ['1/2', '1/7', '1/37']
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"n = {n!r} must be a non-negative integer number of fold steps")
    check_option("fold_term", fold_term, FOLD_TERMS)
    check_option("impossible", impossible, IMPOSSIBLE)
    model = as_model(graph, max_states=max_states)
    prior = as_policy(model)
    q0, succ = tempered_likelihoods(model)
    q = dict(q0)
    seq = [prior]
    for _ in range(n):
        h = _condition(model, prior, q, succ, impossible)
        seq.append(h)
        base = q if cumulative else q0
        new_q: Dict[Tuple[Hashable, Hashable], Fraction] = {}
        for s in model.decision_states:
            for a in model.actions[s]:
                if fold_term == "posterior":
                    term = h[s][a]
                else:
                    term = h[s][a] / prior[s][a] if prior[s][a] else Fraction(0)
                new_q[(s, a)] = base[(s, a)] * term
        q = new_q
    return seq


def noncumulative_fold(graph: Any, k: int, *, fold_term: str = "ratio", impossible: str = "keep",
                       max_states: int = DEFAULT_MAX_STATES) -> List[PolicyDict]:
    """``[pi^F_0 = p, pi^F_1, ..., pi^F_k]``, the non-cumulative fold ``F``.

    Parameters
    ----------
    graph : networkx graph or ReferenceModel
    k : int
        Last index.
    fold_term : {"ratio", "posterior"}
        See :func:`fold_sequence`.
    impossible : {"keep", "uniform"}
        Rule where ``Zv = 0``.
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
    >>> [str(pi["s"]["b"]) for pi in noncumulative_fold(G, 2)]
    ['1/2', '1/7', '1/37']
    """
    return fold_sequence(graph, k, cumulative=False, fold_term=fold_term, impossible=impossible,
                         max_states=max_states)


def cumulative_fold(graph: Any, k: int, *, fold_term: str = "ratio", impossible: str = "keep",
                    h_indexing: str = "zero-is-first-conditioned",
                    max_states: int = DEFAULT_MAX_STATES) -> List[Optional[PolicyDict]]:
    """``[pi^H_0, ..., pi^H_k]``, the cumulative fold ``H`` under an indexing convention.

    Parameters
    ----------
    graph : networkx graph or ReferenceModel
    k : int
        Last index.
    fold_term : {"ratio", "posterior"}
        See :func:`fold_sequence`.
    impossible : {"keep", "uniform"}
        Rule where ``Zv = 0``.
    h_indexing : str
        One of :data:`~proofcheck.reference.options.H_INDEXINGS`: ``pi^H_k = h_{k+1}``
        (``"zero-is-first-conditioned"``), ``h_k`` (``"one-is-first-conditioned"``) or
        ``h_{k-1}`` (``"one-is-prior"``, where index 0 is ``None``).
    max_states : int
        Size bound.

    Returns
    -------
    list
        ``k + 1`` entries, a policy or ``None`` where the index is undefined.

    Examples
    --------
    With ``h_1 = G(p)`` (``b``: 1/7), ``h_2`` (``b``: 1/37):

    >>> import networkx as nx
    >>> G = nx.MultiDiGraph(initial="s")
    >>> _ = G.add_edge("s", "good", key="a", prior="1/2")
    >>> _ = G.add_edge("s", "bad", key="b", prior="1/2", q="1/2")
    >>> G.nodes["bad"]["success"] = "1/3"
    >>> [str(pi["s"]["b"]) for pi in cumulative_fold(G, 1)]
    ['1/7', '1/37']
    >>> [pi and str(pi["s"]["b"]) for pi in cumulative_fold(G, 1, h_indexing="one-is-prior")]
    [None, '1/2']
    """
    check_option("h_indexing", h_indexing, H_INDEXINGS)
    if isinstance(k, bool) or not isinstance(k, int) or k < 0:
        raise ValueError(f"k = {k!r} must be a non-negative integer")
    off = H_INDEXINGS[h_indexing]
    raw = fold_sequence(graph, k + max(off, 0), cumulative=True, fold_term=fold_term,
                        impossible=impossible, max_states=max_states)
    return [raw[i + off] if i + off >= 0 else None for i in range(k + 1)]
