"""The paper's worked examples, built as networkx graphs in code.

The same models ship as case files (``cases/*.toml``); a test checks that the two
routes give identical models.
"""

import networkx as nx

from proofcheck.model.mdp import from_graph

__all__ = ["mountain_race_graph", "mountain_race", "stochastic_counterexample_graph",
           "stochastic_counterexample"]


def mountain_race_graph():
    """Example 1: deterministic, ``T = 2``, uniform prior on all six edges.

    Examples
    --------
    >>> G = mountain_race_graph()
    >>> G.number_of_nodes(), G.number_of_edges()
    (7, 6)
    """
    G = nx.MultiDiGraph(name="mountain_race", initial="start")
    for s, a, t in [("start", "up", "mountain"), ("start", "down", "forest"),
                    ("mountain", "up", "gold"), ("mountain", "down", "chasm"),
                    ("forest", "up", "silver_up"), ("forest", "down", "silver_down")]:
        G.add_edge(s, t, key=a, prior="1/2")
    G.nodes["gold"]["success"] = "1"
    G.nodes["chasm"]["success"] = "0"
    G.nodes["silver_up"]["success"] = "3/4"
    G.nodes["silver_down"]["success"] = "3/4"
    return G


def mountain_race():
    """Example 1 as a validated :class:`~proofcheck.model.mdp.MDP`.

    Examples
    --------
    >>> mountain_race()
    <MDP 'mountain_race': 7 states, 6 state-action pairs, horizon 2, deterministic>
    """
    return from_graph(mountain_race_graph())


def stochastic_counterexample_graph():
    """Example 3: stochastic dynamics where temperature and re-training part ways.

    Examples
    --------
    >>> stochastic_counterexample_graph().number_of_edges()
    4
    """
    G = nx.MultiDiGraph(name="stochastic_counterexample", initial="start")
    G.add_edge("start", "s1", key="a1", prior="1/2", q="1", prob="3/4")
    G.add_edge("start", "s2", key="a1", prob="1/4")
    G.add_edge("start", "s1", key="a2", prior="1/2", q="1", prob="1/2")
    G.add_edge("start", "s2", key="a2", prob="1/2")
    G.nodes["s1"]["success"] = "1/3"
    G.nodes["s2"]["success"] = "2/3"
    return G


def stochastic_counterexample():
    """Example 3 as a validated :class:`~proofcheck.model.mdp.MDP`.

    Examples
    --------
    >>> stochastic_counterexample()
    <MDP 'stochastic_counterexample': 3 states, 2 state-action pairs, horizon 1, stochastic>
    """
    return from_graph(stochastic_counterexample_graph())
