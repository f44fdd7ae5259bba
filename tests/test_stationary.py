"""Stationary fixed points on cyclic graphs, against hand values and the unrolled DAG."""

import random

import networkx as nx
import pytest
import sympy as sp

from proofcheck.engine import get_backend, goal_condition, success_probability
from proofcheck.model.mdp import from_graph
from proofcheck.symbolic.stationary import (
    NonUniqueError,
    bellman_residual,
    stationary_goal_condition,
    stationary_model,
    stationary_retrain,
    stationary_success,
    stationary_values,
    unrolled_graph,
)

R = sp.Rational


def _loop_graph(discount="9/10"):
    G = nx.MultiDiGraph(initial="a", discount=discount)
    G.add_edge("a", "b", key="x", prior="1/2", q="3/4")
    G.add_edge("a", "a", key="y", prior="1/2")
    G.add_edge("b", "a", key="x", prior="1/3", prob="1/2")
    G.add_edge("b", "goal", key="x", prob="1/2")
    G.add_edge("b", "fail", key="z", prior="2/3", q="1/2")
    G.nodes["fail"]["success"] = 0
    return G


def _random_cyclic(rng, n=4):
    G = nx.MultiDiGraph(initial="s0", discount=R(rng.randint(5, 9), 10))
    for i in range(n):
        k = rng.randint(1, 3)
        w = [rng.randint(1, 4) for _ in range(k)]
        for a in range(k):
            targets = rng.sample([f"s{j}" for j in range(n)] + ["goal", "dead"], 2)
            G.add_edge(f"s{i}", targets[0], key=f"a{a}", prior=R(w[a], sum(w)), q=R(rng.randint(1, 4), 4),
                       prob=R(1, 3))
            G.add_edge(f"s{i}", targets[1], key=f"a{a}", prob=R(2, 3))
    G.nodes["goal"]["success"] = 1
    G.nodes["dead"]["success"] = R(1, 5)
    return G


def test_hand_solved_loop():
    # Zv(a) = 1/2 * 3/4 * 9/10 Zv(b) + 1/2 * 9/10 Zv(a);  Zv(b) = 1/3 * 9/10 (Zv(a)/2 + 1/2)
    m = stationary_model(_loop_graph())
    sv = stationary_values(m)
    a, b = sp.symbols("a b")
    sol = sp.solve([sp.Eq(a, R(27, 80) * b + R(9, 20) * a), sp.Eq(b, R(3, 10) * (a / 2 + R(1, 2)))], [a, b])
    assert sv.zv["a"] == sol[a] == R(81, 799) and sv.zv["b"] == sol[b]
    assert stationary_goal_condition(m)["a"] == {"x": R(11, 20), "y": R(9, 20)}


@pytest.mark.parametrize("seed", range(5))
def test_solution_satisfies_the_linear_system_exactly(seed):
    m = stationary_model(_random_cyclic(random.Random(seed)))
    for pol in stationary_retrain(m, 2):
        sv = stationary_values(m, pol)
        assert all(r == 0 for r in bellman_residual(m, pol, sv))
        assert all(0 <= sv.zv[s] <= 1 for s in m.states)


@pytest.mark.parametrize("seed", range(3))
def test_unrolled_values_converge_to_the_stationary_ones(seed):
    G = _random_cyclic(random.Random(seed))
    m = stationary_model(G)
    S = stationary_success(m)
    gamma = m.discount
    # exact: the horizon-T truncation differs by at most the survival probability gamma^T
    for T in (2, 4, 8):
        ST = success_probability(from_graph(unrolled_graph(G, T)))
        assert abs(ST - S) <= gamma ** T
    # numerically: far out the two agree to float precision
    F = get_backend("float")
    mu = from_graph(unrolled_graph(G, 300))
    assert abs(success_probability(mu, backend=F) - float(S)) < 1e-9
    g_unrolled = goal_condition(mu, backend=F)
    g_stat = stationary_goal_condition(m)
    for a, v in g_stat["s0"].items():
        assert abs(g_unrolled.prob(("s0", 0), a) - float(v)) < 1e-9


def test_absorbing_goal_without_discount():
    # no discount: q < 1 on the loop makes the system nonsingular
    G = nx.MultiDiGraph(initial="s")
    G.add_edge("s", "s", key="stay", prior="2/3", q="1/2")
    G.add_edge("s", "goal", key="go", prior="1/3")
    m = stationary_model(G)
    assert stationary_values(m).zv["s"] == R(1, 2)  # Zv = 1/3 Zv + 1/3
    S30 = success_probability(from_graph(unrolled_graph(G, 30)), backend="float")
    assert abs(S30 - 0.5) <= (1 / 3) ** 30 + 1e-15


def test_non_uniqueness_is_reported():
    G = nx.MultiDiGraph(initial="s")
    G.add_edge("s", "s", key="stay", prior="1")
    G.add_edge("s", "goal", key="go", prior="0")
    m = stationary_model(G)
    with pytest.raises(NonUniqueError, match=r"singular.*\['s'\].*discount"):
        stationary_values(m)


def test_parametric_stationary_values_match_substitution():
    G = _loop_graph(discount="1")
    G.graph["parameters"] = {"p": (0, 1)}
    G.edges["a", "a", "y"]["q"] = "p"
    m = stationary_model(G)
    zv = stationary_values(m).zv["a"]
    p = next(iter(m.parameters))
    G3 = _loop_graph(discount="1")
    G3.edges["a", "a", "y"]["q"] = "1/3"
    assert zv.subs(p, R(1, 3)) == stationary_values(stationary_model(G3)).zv["a"]


def test_the_cyclic_reader_checks_what_from_graph_checks():
    # the review found this reader accepting priors that sum to 0.6 and q = 2
    import networkx as nx

    from proofcheck.errors import ModelError
    from proofcheck.symbolic.stationary import stationary_model

    def graph(**attrs):
        G = nx.MultiDiGraph(initial="s")
        G.add_edge("s", "s", key="stay", prior=attrs.get("p_stay", "3/10"), q=attrs.get("q", "1/2"))
        G.add_edge("s", "t", key="go", prior=attrs.get("p_go", "7/10"))
        return G

    assert stationary_model(graph()).prior[("s", "go")] == sp.Rational(7, 10)
    with pytest.raises(ModelError, match="priors sum to 3/5"):
        stationary_model(graph(p_go="3/10"))
    with pytest.raises(ModelError, match="q = 2 is outside"):
        stationary_model(graph(q="2"))
    G = graph()
    G.add_edge("s", "t", key="go", q="1/2", reward="-1")
    with pytest.raises(ModelError, match="either q or reward"):
        stationary_model(G)
