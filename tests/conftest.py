import sys
from pathlib import Path

from hypothesis import settings

# the oracle module lives beside the tests
sys.path.insert(0, str(Path(__file__).parent))

# No test depends on timing or load: hypothesis's per-example deadline (200 ms) fails a
# test whose first call fills SymPy's caches on a busy machine.  Tests that set their own
# settings inherit this.
settings.register_profile("proofcheck", deadline=None)
settings.load_profile("proofcheck")


def float_stochastic_graph():
    """A small model whose inputs are floats and whose dynamics are stochastic: re-training
    grows its numbers by hundreds of bits a pass, so small work budgets run out on it."""
    import networkx as nx

    G = nx.MultiDiGraph(initial="s")
    G.add_edge("s", "t1", key="a", prior=0.3, prob=0.7, q=0.9)
    G.add_edge("s", "t2", key="a", prob=0.3)
    G.add_edge("s", "t3", key="b", prior=0.7, q=0.6)
    for t, v in (("t1", 0.8), ("t2", 0.1), ("t3", 0.55)):
        G.nodes[t]["success"] = v
    return G
