"""Seeded random small MDP graphs for cross-checks (deterministic or stochastic, merging).

Independent of the package's own generators: plain :mod:`random` and networkx.
"""

from __future__ import annotations

import random
from fractions import Fraction
from typing import TYPE_CHECKING, Dict, List

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["random_graph"]

_Q_VALUES = [Fraction(1), Fraction(1, 2), Fraction(1, 3), Fraction(3, 4), Fraction(2, 3)]
_SUCCESS_VALUES = [Fraction(0), Fraction(1), Fraction(1, 4), Fraction(2, 3), Fraction(1, 2)]


def random_graph(seed: int, *, depth: int = 2, max_actions: int = 3, stochastic: bool = False,
                 merge: bool = False, skip: bool = False, early_leaves: bool = False,
                 zero_prior: bool = True, zero_q: bool = True, uniform_prior: bool = False,
                 multi_initial: bool = False, strings: bool = False) -> nx.MultiDiGraph:
    """A seeded random layered MDP graph in the schema of :func:`proofcheck.from_graph`.

    Parameters
    ----------
    seed : int
        Everything is drawn from ``random.Random(seed)``.
    depth : int
        Number of layers of decisions (the horizon of the deepest trajectory).
    max_actions : int
        Each decision state has 1..max_actions actions.
    stochastic : bool
        Actions have 1..3 outcomes (else exactly one: deterministic dynamics).
    merge : bool
        Targets may be shared states of the next layer (the graph is a DAG, not a tree).
    skip : bool
        With ``merge``, some edges jump two layers ahead (states reached at several times).
    early_leaves : bool
        Some states before the last layer are terminal.
    zero_prior : bool
        Prior weights may be 0 (at least one action per state keeps a positive weight).
    zero_q : bool
        Likelihoods ``q`` may be 0.
    uniform_prior : bool
        Uniform prior everywhere.
    multi_initial : bool
        Two initial states with masses 1/3 and 2/3.
    strings : bool
        Write values as strings such as ``"1/3"`` instead of Fractions.

    Returns
    -------
    networkx.MultiDiGraph

    Examples
    --------
    >>> import networkx as nx
    >>> G = random_graph(3, depth=2, stochastic=True, merge=True)
    >>> G.graph["initial"], nx.is_directed_acyclic_graph(G)
    ('s0', True)
    >>> random_graph(3).edges == random_graph(3).edges
    True
    """
    import networkx as nx  # on first use: 0.2 s that `verify` of a parametric case never needs
    rng = random.Random(seed)

    def _val(x: Fraction) -> object:
        return str(x) if strings else x

    G = nx.MultiDiGraph()
    layers: List[List[str]] = [["s0"] + (["s0b"] if multi_initial else [])]
    for s in layers[0]:
        G.add_node(s)
    G.graph["initial"] = {"s0": _val(Fraction(1, 3)), "s0b": _val(Fraction(2, 3))} if multi_initial else "s0"
    pools: Dict[int, List[str]] = {t: [f"m{t}_{i}" for i in range(rng.randint(1, 3))]
                                   for t in range(1, depth + 1)}
    pending: Dict[int, List[str]] = {t: [] for t in range(1, depth + 2)}
    count = 1
    for t in range(depth):
        layer = list(dict.fromkeys(layers[t] + pending.get(t, [])))
        nxt: List[str] = []
        for s in layer:
            G.add_node(s)
            if early_leaves and t > 0 and rng.random() < 0.2:
                continue
            n_act = rng.randint(1, max_actions)
            weights = [rng.randint(0 if zero_prior else 1, 3) for _ in range(n_act)]
            if uniform_prior:
                weights = [1] * n_act
            if sum(weights) == 0:
                weights[rng.randrange(n_act)] = 1
            for a in range(n_act):
                n_out = rng.randint(1, 3) if stochastic else 1
                outs: List[str] = []
                for _ in range(n_out):
                    if merge and skip and t + 2 <= depth and rng.random() < 0.2:
                        tgt = rng.choice(pools[t + 2])
                        pending[t + 2].append(tgt)
                    elif merge and rng.random() < 0.5:
                        tgt = rng.choice(pools[t + 1])
                    else:
                        tgt = f"s{count}"
                        count += 1
                    if tgt not in outs:
                        outs.append(tgt)
                ws = [rng.randint(1, 3) for _ in outs]
                q = rng.choice(_Q_VALUES + ([Fraction(0)] if zero_q else []))
                for k, (tgt, w) in enumerate(zip(outs, ws)):
                    attrs = {"prob": _val(Fraction(w, sum(ws)))}
                    if k == 0:
                        attrs.update(prior=_val(Fraction(weights[a], sum(weights))), q=_val(q))
                    G.add_edge(s, tgt, key=f"a{a}", **attrs)
                    if not tgt.startswith("m") or int(tgt[1:].split("_")[0]) == t + 1:
                        nxt.append(tgt)
        layers.append(nxt)
    for s in G.nodes:
        if G.out_degree(s) == 0:
            G.nodes[s]["success"] = _val(rng.choice(_SUCCESS_VALUES))
    return G
