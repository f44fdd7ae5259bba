"""The public strategies: arguments, regimes, value types and shrinking."""

from fractions import Fraction

import networkx as nx
import pytest
import sympy as sp
from hypothesis import HealthCheck, find, given, settings
from hypothesis.errors import InvalidArgument

import proofcheck as pc
from proofcheck import strategies as pst

QUICK = settings(max_examples=40, deadline=None, database=None, derandomize=True,
                 suppress_health_check=[HealthCheck.too_slow])
FIND = settings(max_examples=500, database=None, deadline=None, derandomize=True,
                suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize("kwargs, fragment", [
    ({"regime": "random"}, "regime='random'"),
    ({"depth": 0}, "depth=0"),
    ({"depth": 2.5}, "depth=2.5"),
    ({"branching": True}, "branching=True"),
    ({"prior": "zipf"}, "prior='zipf'"),
    ({"merging": "yes"}, "merging='yes'"),
    ({"parametric": 1}, "parametric=1"),
    ({"max_states": 2, "branching": 3}, "max_states >= 7"),
    ({"regime": "stochastic", "outcomes": 1}, "outcomes=1"),
    ({"min_actions": 3, "branching": 2}, "min_actions=3"),
    ({"likelihoods": "some"}, "likelihoods='some'"),
])
def test_bad_arguments_raise_invalid_argument_naming_the_value(kwargs, fragment):
    with pytest.raises(InvalidArgument) as info:
        pst.mdps(**kwargs)
    assert isinstance(info.value, pc.ProofcheckError)
    assert fragment in str(info.value) and "\n" not in str(info.value)


def test_policies_needs_an_mdp():
    with pytest.raises(InvalidArgument, match="needs a proofcheck MDP"):
        pst.policies(nx.MultiDiGraph())


def _values(mdp):
    return [*mdp.edge_prob, *mdp.prior, *mdp.likelihood, *mdp.success, *mdp.initial]


@QUICK
@given(pst.mdps(depth=3, branching=3, regime="deterministic", max_states=20, max_denominator=4))
def test_deterministic_regime_sizes_and_exact_small_values(mdp):
    assert mdp.deterministic and 1 <= mdp.horizon <= 3 and mdp.n_states <= 20
    assert all(len(mdp.actions(s)) <= 3 for s in mdp.states)
    assert mdp.exact and not mdp.parameters
    for v in _values(mdp):
        assert isinstance(v, sp.Rational) and 0 <= v <= 1
    # likelihoods and leaf success come from {n/d : d <= 4}; priors are weights in 0..3
    assert all(v.q <= 4 for v in [*mdp.likelihood, *mdp.success])
    assert all(v.q <= 9 for v in mdp.prior)


@QUICK
@given(pst.mdps(regime="stochastic", merging=True))
def test_stochastic_regime_has_a_stochastic_action(mdp):
    assert not mdp.deterministic


@QUICK
@given(pst.graphs(depth=3, merging=False, regime="any"))
def test_trees_have_one_parent_per_state(G):
    parents = {v: {u for u, _ in G.in_edges(v)} for v in G}
    assert all(len(p) == (0 if v == "s0" else 1) for v, p in parents.items())


@QUICK
@given(pst.mdps(prior="uniform", depth=2, branching=3))
def test_uniform_prior(mdp):
    for s in mdp.states:
        acts = mdp.actions(s)
        for a in acts:
            assert mdp.prior[mdp.pair(s, a)] == sp.Rational(1, len(acts))


@QUICK
@given(pst.mdps(parametric=True, depth=2))
def test_parametric_models_use_p_in_unit_interval(mdp):
    (p,) = mdp.parameters
    assert p.name == "p" and mdp.parameters[p] == (0, 1)
    assert any(getattr(v, "free_symbols", set()) for v in _values(mdp))


@QUICK
@given(pst.mdps(depth=2, regime="any", merging=True), )
def test_case_file_round_trip(mdp):
    back = pc.loads_case(pc.dump_case(mdp)).mdp
    assert back.states == mdp.states and back.pair_action == mdp.pair_action
    for attr in ("edge_prob", "prior", "likelihood", "success", "initial"):
        assert list(getattr(back, attr)) == list(getattr(mdp, attr)), attr


@QUICK
@given(pst.mdps(depth=2).flatmap(lambda m: pst.policies(m).map(lambda pol: (m, pol))))
def test_policies_are_exact_distributions(mp):
    mdp, pol = mp
    for s, row in pol.as_dict().items():
        assert sum(row.values()) == 1 and all(isinstance(v, sp.Rational) and v >= 0 for v in row.values())


def test_features_are_reachable():
    # each feature the issue asks for is actually generated
    assert find(pst.graphs(merging=True, depth=3), lambda G: any(G.in_degree(v) > 1 for v in G),
                settings=FIND) is not None
    m = find(pst.mdps(prior="any"), lambda m: any(v == 0 for v in m.prior), settings=FIND)
    assert 0 in list(m.prior)
    m = find(pst.mdps(), lambda m: 0 in list(m.likelihood) and 1 in list(m.likelihood), settings=FIND)
    assert m.n_pairs >= 2


def test_shrinking_gives_tiny_readable_models():
    m = find(pst.mdps(depth=3, branching=3, regime="any", merging=True),
             lambda m: not m.deterministic, settings=FIND)
    # one state, one action with two equally likely outcomes
    assert (m.n_states, m.n_pairs, m.horizon) == (3, 1, 1)
    assert sorted(m.edge_prob) == [sp.Rational(1, 2)] * 2
    m = find(pst.mdps(depth=3, branching=3), lambda m: any(q == 0 for q in m.likelihood), settings=FIND)
    assert (m.n_states, m.n_pairs, list(m.likelihood)) == (2, 1, [0])
    def non_uniform(m):
        return any(m.prior[m.pair(s, a)] * len(m.actions(s)) != 1 for s in m.states for a in m.actions(s))
    m = find(pst.mdps(depth=3, branching=3), non_uniform, settings=FIND)
    assert (m.n_pairs, m.horizon) == (2, 1)
    assert sorted(m.prior) == [Fraction(1, 3), Fraction(2, 3)]
