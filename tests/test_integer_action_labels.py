"""Action labels need not be strings: BRIDGE models name their actions 0, 1, ... (the
column indices).  D.1 printed its best continuations with ``" -> ".join`` and crashed with
a TypeError on such a model."""

import networkx as nx
import numpy as np

from proofcheck.claims import Verdict, run_claims
from proofcheck.claims.limits import appendix_d_graph, best_continuation
from proofcheck.io.bridge import bridge_to_mdp
from proofcheck.model.conventions import Conventions
from proofcheck.model.mdp import from_graph


def _int_labels(G):
    """The same graph with each state's actions relabelled 0, 1, ... (model order kept)."""
    H = nx.MultiDiGraph(**G.graph)
    H.add_nodes_from(G.nodes(data=True))
    for s in G.nodes:
        for n, (_, t, data) in enumerate(G.out_edges(s, data=True)):
            H.add_edge(s, t, key=n, **data)
    return H


def test_d1_on_the_appendix_d_example_with_integer_actions():
    named = run_claims(from_graph(appendix_d_graph()), Conventions(), ["D.1"])[0]
    m = from_graph(_int_labels(appendix_d_graph()))
    assert all(isinstance(a, int) for a in m.pair_action)
    assert best_continuation(m, "s0", 1, 2) == (1, (("s1'", 0), ("s2'", 0)))
    r = run_claims(m, Conventions(), ["D.1"])[0]
    assert r.verdict is named.verdict  # the same verdict as with the state-named actions
    cont = {row["quantity"]: row["best c (n=2)"] for row in r.evidence if "best c (n=2)" in row}
    assert cont == {"root s0, action 0": "0 -> 0", "root s0, action 1": "0 -> 0"}


def test_d1_on_a_bridge_model_with_column_index_actions():
    # two steps, three actions: 0 and 1 move on, 2 ends; rewards make the ends differ
    tr = np.array([[1, 2, -1], [-1, -1, -1], [-1, -1, -1]])
    rw = np.array([[0, 0, 1], [1, 0, 0], [0, 1, 0]], dtype=np.float32)
    m, _ = bridge_to_mdp((tr, rw), 2, numbers="rationalize", rationalize=1e-6)
    assert all(isinstance(a, (int, np.integer)) for a in m.pair_action)
    r = run_claims(m, Conventions(), ["D.1"])[0]
    assert r.verdict is Verdict.NOT_APPLICABLE and "not the appendix-D example" in r.summary
    assert any(row.get("best c (n=1)") not in (None, "-") for row in r.evidence)
