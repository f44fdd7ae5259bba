"""The rational-function backend against the SymPy ExactBackend, hand values and substitution."""

import networkx as nx
import numpy as np
import pytest
import sympy as sp

from proofcheck.engine import additive_return, get_backend, goal_condition, retrain, soft_values, success_probability
from proofcheck.engine.backends.rational import HAVE_FLINT, FlintRational, RationalFunctionBackend
from proofcheck.errors import ConventionError, UndecidedError
from proofcheck.model.generators import binary_tree_mdp
from proofcheck.model.mdp import from_graph

R = sp.Rational
IMPLS = (["flint"] if HAVE_FLINT else []) + ["sympy"]


def _same(a, b):
    return sp.cancel(sp.sympify(a) - sp.sympify(b)) == 0


def _stochastic_parametric():
    """A small stochastic model with the parameter in the prior, the dynamics and q."""
    G = nx.MultiDiGraph(initial="s", parameters={"p": (0, 1)})
    G.add_edge("s", "u", key="a", prior="p", prob="p", q="1/2")
    G.add_edge("s", "w", key="a", prob="1 - p")
    G.add_edge("s", "w", key="b", prior="1 - p", q="p")
    G.add_edge("u", "x", key="c", prior="1/3")
    G.add_edge("u", "y", key="d", prior="2/3", q="p")
    G.add_edge("w", "x", key="c", prior="p")
    G.add_edge("w", "y", key="d", prior="1 - p")
    G.nodes["x"]["success"] = "1/4"
    G.nodes["y"]["success"] = "1"
    return from_graph(G)


def test_depth_one_tree_by_hand():
    m = binary_tree_mdp(1, seed=5)
    p = next(iter(m.parameters))
    sL, sR = m.success[1], m.success[2]
    B = RationalFunctionBackend.for_model(m)
    S = B.to_sympy(success_probability(m, backend=B))
    assert _same(S, p * sL + (1 - p) * sR)
    G = goal_condition(m, backend=B)
    if p * sL + (1 - p) * sR != 0:
        assert _same(B.to_sympy(G.prob(0, "L")), p * sL / (p * sL + (1 - p) * sR))


def test_tree_structure_is_a_heap():
    m = binary_tree_mdp(3, seed=0)
    assert m.n_states == 15 and m.n_pairs == 14 and m.horizon == 3
    assert [m.states[t] for t in m.edge_target[:4]] == [1, 2, 3, 4]
    assert all(m.success[i] in [R(k, 8) for k in range(9)] for i in range(7, 15))


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_tree_matches_exact_backend(impl, seed):
    m = binary_tree_mdp(4, seed=seed)
    B = RationalFunctionBackend.for_model(m, impl=impl)
    assert B.impl == impl
    assert _same(B.to_sympy(success_probability(m, backend=B)), success_probability(m))
    G, Gx = goal_condition(m, backend=B), goal_condition(m)
    assert all(_same(B.to_sympy(G.values[j]), Gx.values[j]) for j in range(m.n_pairs))


@pytest.mark.parametrize("spec", ["rational", "rational:sympy"] + (["rational:flint"] if HAVE_FLINT else []))
def test_stochastic_retraining_matches_exact_backend(spec):
    m = _stochastic_parametric()
    B = get_backend(spec)
    ours, ref = retrain(m, 2, backend=B), retrain(m, 2)
    for k in range(3):
        assert all(_same(B.to_sympy(ours[k].values[j]), ref[k].values[j]) for j in range(m.n_pairs))
    sv, svx = soft_values(m, ours[2], backend=B), soft_values(m, ref[2])
    assert all(_same(B.to_sympy(a), b) for a, b in zip(sv.zv, svx.zv))


@pytest.mark.parametrize("impl", IMPLS)
def test_substitution_agrees_with_numeric_run(impl):
    third = {"p": R(1, 3)}
    for m in (binary_tree_mdp(5, seed=3), _stochastic_parametric()):
        p = next(iter(m.parameters))
        B = RationalFunctionBackend.for_model(m, impl=impl)
        S = B.to_sympy(success_probability(m, backend=B))
        m3 = m.substitute(third)
        assert S.subs(p, R(1, 3)) == success_probability(m3)
        G, G3 = goal_condition(m, backend=B), goal_condition(m3)
        for j in range(m.n_pairs):
            assert B.to_sympy(G.values[j]).subs(p, R(1, 3)) == G3.values[j]


def test_non_rational_values_point_to_exact_backend():
    G = nx.MultiDiGraph(initial="s", parameters={"p": (0, 1)})
    G.add_edge("s", "t", key="a", prior=1, reward="-p")
    m = from_graph(G)
    with pytest.raises(ConventionError, match="backend='exact'"):
        success_probability(m, backend=RationalFunctionBackend.for_model(m))
    m2 = binary_tree_mdp(2)
    with pytest.raises(ConventionError, match="backend='exact'"):
        additive_return(m2, backend=RationalFunctionBackend.for_model(m2))


def test_signs_exact_for_constants_undecided_for_parameters():
    B = RationalFunctionBackend(symbols=(sp.Symbol("p", real=True),))
    a, b = B.array([sp.Symbol("p", real=True), R(1, 2)])
    assert B.compare(b, B.array([R(1, 3)])[0]) == 1
    assert B.compare(b, b) == 0
    with pytest.raises(UndecidedError, match="depends on the parameters"):
        B.compare(a, b)
    # p - p is the constant 0: decided
    assert B._sign(a - a) == 0


def test_several_parameters():
    p, q = sp.symbols("p q", real=True)
    G = nx.MultiDiGraph(initial="s", parameters={"p": (0, 1), "q": (0, 1)})
    G.add_edge("s", "t", key="a", prior="p", q="q")
    G.add_edge("s", "u", key="b", prior="1 - p")
    G.nodes["u"]["success"] = "1/2"
    m = from_graph(G)
    with pytest.raises(ConventionError, match="for_model"):
        success_probability(m, backend="rational")
    B = RationalFunctionBackend.for_model(m)
    assert B.impl == "sympy"
    P, Q = sp.Symbol("p", real=True), sp.Symbol("q", real=True)
    assert _same(B.to_sympy(success_probability(m, backend=B)), P * Q + (1 - P) / 2)
    Gp = goal_condition(m, backend=B)
    assert _same(B.to_sympy(Gp.prob("s", "a")), P * Q / (P * Q + (1 - P) / 2))


def test_float_input_refused():
    B = get_backend("rational")
    with pytest.raises(ConventionError, match="float"):
        B.array([sp.Float(0.5)])
    with pytest.raises(ConventionError, match="float64"):
        B.array(np.array([0.5, 0.25]))


@pytest.mark.skipif(not HAVE_FLINT, reason="python-flint not installed")
def test_flint_rational_field_axioms_against_sympy():
    x = sp.Symbol("p", real=True)
    exprs = [x, 1 - x, x ** 2 / 3 + R(1, 7), (x + 1) / (x - 2), R(5, 3), 2 / (x ** 2 + 1)]
    els = [FlintRational.from_sympy(e) for e in exprs]
    for e1, f1 in zip(exprs, els):
        for e2, f2 in zip(exprs, els):
            assert _same((f1 + f2).as_expr(x), e1 + e2)
            assert _same((f1 - f2).as_expr(x), e1 - e2)
            assert _same((f1 * f2).as_expr(x), e1 * e2)
            assert _same((f1 / f2).as_expr(x), e1 / e2)
        assert _same((f1 ** -2).as_expr(x), e1 ** -2)
    # canonical: equal functions are equal objects, whatever the route
    assert (els[3] * els[1]) / els[1] == els[3]
    with pytest.raises(ConventionError, match="cannot combine"):
        FlintRational.from_sympy(sp.Symbol("q")) + els[0]


@pytest.mark.skipif(not HAVE_FLINT, reason="python-flint not installed")
def test_flint_power_zero_is_the_canonical_one():
    x = sp.Symbol("p", real=True)
    one = FlintRational.from_sympy(R(1))
    for e in [x, (x + 1) / (x - 2), R(5, 3)]:
        y = FlintRational.from_sympy(e) ** 0
        assert y == one and y.is_constant() and y.v is None
    B = RationalFunctionBackend(symbols=(x,))
    assert B.compare(B.array([(x + 1) / (x - 2)])[0] ** 0, B.one) == 0
