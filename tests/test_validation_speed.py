"""Validation is linear: each distinct value is checked once, and the answers (first
error, its message, warnings in order) are those of the entry-by-entry checks.

No timing assertions here (speed is measured by benchmarks/run.py); these tests count
the expensive calls instead.
"""

import warnings

import networkx as nx
import numpy as np
import pytest
import sympy as sp

import proofcheck.model.mdp as mdp_module
import proofcheck.model.validation as validation
from proofcheck.errors import ModelError, UncertifiedRangeWarning, UnreachableStateWarning
from proofcheck.model.generators import binary_tree_mdp, random_layered_mdp
from proofcheck.model.mdp import MDP, from_graph


def _tree(depth, prior=None):
    m = binary_tree_mdp(depth, seed=0)
    if prior is not None:
        m.prior[:] = prior * (len(m.prior) // len(prior))
    return m


def test_parametric_ranges_are_certified_once_per_distinct_expression(monkeypatch):
    calls = []
    original = validation._check_parametric

    def counting(mdp, expr, *args, **kwargs):
        calls.append(expr)
        return original(mdp, expr, *args, **kwargs)
    monkeypatch.setattr(validation, "_check_parametric", counting)
    m = _tree(10)  # 2,047 states, 2,046 priors: p and 1 - p
    validation.validate(m)
    p = next(iter(m.parameters))
    assert sorted(map(str, calls)) == sorted(map(str, [p, 1 - p]))


def test_prior_sums_are_checked_once_per_distinct_tuple(monkeypatch):
    calls = []
    original = validation._sum_is_one

    def counting(mdp, total):
        calls.append(total)
        return original(mdp, total)
    monkeypatch.setattr(validation, "_sum_is_one", counting)
    validation.validate(_tree(9))
    assert len(calls) <= 2  # (p, 1 - p) once; the rational sums never reach SymPy


def test_from_arrays_converts_each_distinct_value_once(monkeypatch):
    calls = []
    original = mdp_module._to_expr

    def counting(value, symbols, where):
        calls.append(value)
        return original(value, symbols, where)
    monkeypatch.setattr(mdp_module, "_to_expr", counting)
    n = 2 ** 9 - 1
    MDP.from_arrays(state_ptr=np.concatenate([np.arange(0, 2 ** 9 - 1, 2), np.full(n - 255, 2 ** 9 - 2)]),
                    pair_ptr=np.arange(2 ** 9 - 1), edge_target=np.arange(1, n),
                    edge_prob=["1"] * (n - 1), prior=["1/2"] * (n - 1), likelihood=[1] * (n - 1),
                    initial=[1] + [0] * (n - 1))
    assert len(calls) <= 8  # "1", "1/2", 1, 0 (per array at most): not one call per entry


def _first_error_entry_by_entry(mdp):
    """The reference: the checks one entry at a time, no cache (the old validate)."""
    chk = validation._Checker(mdp)
    chk.outcome = lambda expr, lo, hi: validation._Checker(mdp)._range(expr, lo, hi)
    validation._ordered_checks(mdp, chk)


@pytest.mark.parametrize("bad", ["prior", "q", "edge", "sum", "success", "initial"])
def test_the_first_error_and_its_message_do_not_depend_on_grouping(bad):
    m = random_layered_mdp(40, 3, horizon=3, seed=4, values="exact", validate=False)
    j = m.n_pairs - 2  # late in the order: grouped checks see it first, the replay must not
    if bad == "prior":
        m.prior[j] = sp.Rational(3, 2)
        m.prior[1] = sp.Rational(-1, 2)
    elif bad == "q":
        m.likelihood[j] = sp.Integer(2)
    elif bad == "edge":
        m.edge_prob[m.pair_ptr[j]] = sp.Rational(-1, 3)
    elif bad == "sum":
        m.edge_prob[m.pair_ptr[j]] = sp.Rational(1, 3)
    elif bad == "success":
        m.success[np.flatnonzero(m.terminal)[3]] = sp.Integer(2)
    else:
        m.initial[0] = sp.Rational(1, 2)
    with pytest.raises(ModelError) as grouped:
        validation.validate(m)
    with pytest.raises(ModelError) as reference:
        _first_error_entry_by_entry(m)
    assert str(grouped.value) == str(reference.value)


def test_uncertified_ranges_warn_once_per_entry_in_order():
    p = sp.Symbol("p", real=True)
    G = nx.MultiDiGraph(initial="s", parameters={"p": (0, 1)})
    hard = sp.sin(p) ** 2 + sp.cos(p) ** 2 - sp.Rational(1, 2)  # = 1/2, beyond interval bisection
    G.add_edge("s", "a", key="x", prior=hard)
    G.add_edge("s", "b", key="y", prior=1 - hard)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            from_graph(G)
        except ModelError:
            pass  # the prior sum may not simplify; the warnings come first either way
    texts = [str(w.message) for w in caught if issubclass(w.category, UncertifiedRangeWarning)]
    assert texts and texts[0].startswith("state 's', action 'x': prior")


def test_reachability_is_one_pass_per_level_and_matches_the_graph():
    m = random_layered_mdp(300, 2, horizon=5, seed=11, values="exact", validate=False)
    reach = validation._reachable(m)
    G = nx.DiGraph()
    G.add_nodes_from(range(m.n_states))
    for j in range(m.n_pairs):
        for e in range(m.pair_ptr[j], m.pair_ptr[j + 1]):
            G.add_edge(int(m.pair_state[j]), int(m.edge_target[e]))
    start = [i for i, x in enumerate(m.initial) if x != 0]
    expected = set(start).union(*(nx.descendants(G, s) for s in start))
    assert set(np.flatnonzero(reach)) == expected
    with pytest.warns(UnreachableStateWarning, match=f"{m.n_states - len(expected)} unreachable"):
        validation.validate(m)
