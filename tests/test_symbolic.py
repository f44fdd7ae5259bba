"""Closed forms in k, alpha and delta against the step-by-step exact engine (issue 3)."""

import random
import re

import networkx as nx
import pytest
import sympy as sp
from conftest import float_stochastic_graph

from proofcheck import Conventions, from_graph, load_case
from proofcheck.engine import (
    boltzmann_policy,
    coherence_fixed_point,
    cumulative_fold,
    noncumulative_fold,
    retrain,
    tempered_policy,
)
from proofcheck.errors import BudgetExceeded, ProofcheckError
from proofcheck.examples import mountain_race, stochastic_counterexample
from proofcheck.model.conventions import H_INDEXINGS
from proofcheck.symbolic.closed_forms import (
    DELTA,
    ExpSum,
    K,
    boltzmann_closed_form,
    boltzmann_fixed_point,
    cumulative_fold_temperature,
    exp_sums,
    first_divergence,
    is_identity,
    prove_retraining_identity,
    retraining_closed_form,
    tempered_closed_form,
)
from proofcheck.symbolic.limits import (
    fixed_point_limit,
    numeric_check,
    piecewise_ratio_limit,
    policy_limit,
    ratio_limit,
)
from proofcheck.verify.symbolic_section import symbolic_section

R = sp.Rational


def random_tree(seed, depth=3, branching=2, zero=True):
    """A random deterministic tree with positive priors and likelihoods in {0, 1/4, ..., 1}."""
    rng = random.Random(seed)
    G = nx.MultiDiGraph(initial="r")
    frontier, n = ["r"], 0
    values = [R(i, 4) for i in range(0 if zero else 1, 5)]
    for _ in range(depth):
        nxt = []
        for s in frontier:
            weights = [rng.randint(1, 5) for _ in range(branching)]
            for b in range(branching):
                n += 1
                t = f"n{n}"
                G.add_edge(s, t, key=f"a{b}", prior=R(weights[b], sum(weights)), q=rng.choice(values[1:]))
                nxt.append(t)
        frontier = nxt
    for t in frontier:
        G.nodes[t]["success"] = rng.choice(values)
    return from_graph(G)


MODELS = [mountain_race(), random_tree(1), random_tree(2), random_tree(3, depth=2, branching=3)]


def _pairs(m):
    return [(m.states[m.pair_state[j]], m.pair_action[j], j) for j in range(m.n_pairs)]


@pytest.mark.parametrize("m", MODELS, ids=lambda m: m.name + str(m.n_states))
def test_retraining_closed_form_matches_iteration(m):
    cf = retraining_closed_form(m)
    seq = retrain(m, 10)
    for k in range(1, 11):
        for s, a, j in _pairs(m):
            assert cf.at(s, a, k) == seq[k].values[j], (k, s, a)
            # the displayed expression, substituted, gives the same number
            assert sp.simplify(cf.expr(s, a).subs(K, k) - seq[k].values[j]) == 0


@pytest.mark.parametrize("m", MODELS, ids=lambda m: m.name + str(m.n_states))
def test_fold_F_matches_closed_form(m):
    cf = retraining_closed_form(m)
    F = noncumulative_fold(m, 10, conventions=Conventions(fold_term="ratio"))
    for k in range(1, 11):
        assert all(cf.at(s, a, k) == F[k].values[j] for s, a, j in _pairs(m))


@pytest.mark.parametrize("m", MODELS + [stochastic_counterexample()], ids=lambda m: m.name + str(m.n_states))
def test_tempered_closed_form_matches_engine(m):
    cf = tempered_closed_form(m)
    for alpha in (R(1, 2), 1, 2, 3, R(5, 2)):
        pol = tempered_policy(m, alpha)
        for s, a, j in _pairs(m):
            assert sp.simplify(cf.at(s, a, alpha) - pol.values[j]) == 0, (alpha, s, a)


def test_stochastic_closed_form_matches_iteration():
    m = stochastic_counterexample()
    cf = retraining_closed_form(m)
    seq = retrain(m, 10)
    for k in range(1, 11):
        assert cf.at("start", "a1", k) == seq[k].prob("start", "a1")
    # by hand: Zq(a1) = 3/4*1/3 + 1/4*2/3 = 5/12, Zq(a2) = 1/2, so pi^G_k(a1) = 1/(1 + (6/5)^k)
    assert sp.simplify(cf.expr("start", "a1") - 1 / (1 + R(6, 5) ** K)) == 0


def test_mountain_race_hand_values():
    m = mountain_race()
    cf = retraining_closed_form(m)
    # completions from start: gold (1/4, q = 1), chasm (1/4, q = 0), two silvers (1/2, q = 3/4)
    assert sp.simplify(cf.expr("start", "up") - 1 / (1 + 2 * R(3, 4) ** K)) == 0
    assert cf.at("start", "up", 1) == R(2, 5)
    assert policy_limit(cf, "inf").prob("start", "up") == 1
    # the chasm's 0**k term is dropped: the form is wrong at k = 0 (1/3, not the prior 1/2)
    assert cf.expr("start", "up").subs(K, 0) == R(1, 3)
    assert cf.domain.startswith("integers k >= 1")


def test_no_zero_likelihood_domain_includes_zero():
    m = random_tree(5, zero=False)
    cf = retraining_closed_form(m)
    assert cf.domain.startswith("integers k >= 0")
    s, a, j = _pairs(m)[0]
    assert sp.simplify(cf.expr(s, a).subs(K, 0) - m.prior[j]) == 0


@pytest.mark.parametrize("m", MODELS, ids=lambda m: m.name + str(m.n_states))
def test_identity_proved(m):
    # the corrected fold term (the printed one fails the F step for non-uniform priors, below)
    proof = prove_retraining_identity(m, Conventions(fold_term="ratio"))
    assert proof == {"G base": True, "G step": True, "F step": True, "alpha": True}


def test_identity_test_refutes_a_false_identity():
    cf = retraining_closed_form(mountain_race())
    e = cf.expr("start", "up", simplify=False)
    assert is_identity(e, e.subs(K, K + 1), K) is False
    assert is_identity(R(3, 4) ** (K + 1), R(3, 4) * R(3, 4) ** K, K) is True


def test_posterior_fold_term_breaks_the_F_step_for_a_non_uniform_prior():
    m = random_tree(2)
    proof = prove_retraining_identity(m, Conventions(fold_term="posterior"))
    assert proof["F step"] is False and proof["G step"] is True


def test_identity_refused_on_stochastic():
    with pytest.raises(ProofcheckError):
        prove_retraining_identity(stochastic_counterexample())


def test_first_divergence():
    d = first_divergence(stochastic_counterexample())
    assert (d["k"], d["state"], d["action"]) == (2, "start", "a1")
    assert (d["retrained"], d["tempered"], d["agree"]) == (R(25, 61), R(7, 17), [1])
    assert first_divergence(mountain_race())["k"] is None


@pytest.mark.parametrize("h", list(H_INDEXINGS))
@pytest.mark.parametrize("m", MODELS[:3], ids=lambda m: m.name + str(m.n_states))
def test_cumulative_fold_temperature(m, h):
    alpha_k, _ = cumulative_fold_temperature(h)
    conv = Conventions(h_indexing=h, fold_term="ratio")
    H = cumulative_fold(m, 3, conventions=conv)
    cf = tempered_closed_form(m)
    for k in range(4):
        alpha = alpha_k.subs(K, k)
        if H[k] is None:
            continue
        if alpha < 1:  # the prior itself (alpha = 0 in the sequence; not a tempered policy)
            assert list(H[k].values) == list(m.prior)
            continue
        assert all(cf.at(s, a, alpha) == H[k].values[j] for s, a, j in _pairs(m)), (h, k)
    assert cumulative_fold_temperature("zero-is-first-conditioned")[0] == 2 ** K


@pytest.mark.parametrize("m", MODELS[:2] + [stochastic_counterexample()], ids=lambda m: m.name)
def test_boltzmann_closed_form(m):
    cf = boltzmann_closed_form(m)
    for delta in (1, R(1, 2), R(1, 3)):
        pol = boltzmann_policy(m, None, delta)
        for s, a, j in _pairs(m):
            assert sp.simplify(cf.expr(s, a, 1 / DELTA).subs(DELTA, delta) - pol.values[j]) == 0


def test_fixed_point_in_delta():
    m = mountain_race()
    fp = boltzmann_fixed_point(m)
    assert sp.simplify(fp.prob("start", "up") - 1 / (1 + R(3, 4) ** (1 / DELTA))) == 0
    for delta in (1, R(1, 2), 2):
        ref = coherence_fixed_point(m, conventions=Conventions(delta=delta))
        for s, a, j in _pairs(m):
            assert sp.simplify(sp.sympify(fp.values[j]).subs(DELTA, delta) - ref.values[j]) == 0
    assert fp.prob("start", "up").subs(DELTA, 1) == R(4, 7)
    assert fixed_point_limit(m, "inf").prob("start", "up") == 1
    assert fixed_point_limit(m, "zero").prob("start", "up") == R(1, 2)
    assert fixed_point_limit(m, "inf").prob("mountain", "up") == 1
    assert fixed_point_limit(m, "zero").prob("mountain", "up") == 1  # chasm has Zq = 0


def test_limits_by_dominant_term():
    num = ExpSum({1: R(1, 4)})
    den = num + ExpSum({R(3, 4): R(1, 2)})
    assert ratio_limit(num, den, "inf") == 1 and ratio_limit(num, den, "zero") == R(1, 3)
    value, dist = numeric_check(num, den, 1, 10 ** 6)
    # by hand: 1 - 1/(1 + 2 (3/4)^k) = 2 (3/4)^k / (1 + ...) ~ 10^(log10(2) + 10^6 log10(3/4))
    assert dist.endswith("e-124939")
    m = mountain_race()
    cf = tempered_closed_form(m)
    # alpha -> 0 is not the prior: the chasm completion weighs 0 for every alpha > 0
    assert policy_limit(cf, "zero").prob("start", "up") == R(1, 3)
    assert policy_limit(cf, "inf").prob("start", "up") == 1


def test_expsum_merges_equal_bases():
    # two completions with equal likelihood products share one term
    m = random_tree(7, depth=6, branching=2, zero=False)
    zq, zv = exp_sums(m)
    root = zv[m.index["r"]]
    # products of 7 factors from {1/4, 1/2, 3/4, 1} take few distinct values (<< 64 paths)
    assert len(root.terms) < 64
    assert sum(root.terms.values()) == 1  # the prior mass of all completions


def test_piecewise_limit_parametric():
    c = load_case("cases/parametric_prior.toml") if __import__("os").path.exists("cases/parametric_prior.toml") else None
    p = sp.Symbol("p", real=True)
    num = ExpSum({p: 1})
    den = num + ExpSum({R(3, 4): 1})
    pieces = piecewise_ratio_limit(num, den, "inf", p, 0, 1)
    assert pieces[1] == (sp.FiniteSet(R(3, 4)), R(1, 2))
    assert pieces[0][1] == 0 and pieces[2][1] == 1
    zero = piecewise_ratio_limit(num, den, "zero", p, 0, 1)
    assert zero[0] == (sp.FiniteSet(0), 0)
    if c is not None:
        cf = retraining_closed_form(c.mdp)
        sub = c.mdp.substitute({"p": R(1, 3)})
        seq = retrain(sub, 4)
        for k in range(1, 5):
            assert sp.cancel(cf.at("start", "up", k).subs(p, R(1, 3))) == seq[k].prob("start", "up")


def test_section_mountain_race():
    c = load_case("cases/mountain_race.toml")
    sec = symbolic_section(c.mdp, c.conventions)
    text = "\n".join(sec["lines"])
    assert "pi^G_k(up|start) = 1/(2*(3/4)**k + 1)" in text
    assert "k -> inf: 1 (" in text
    assert "proved symbolically" in text
    assert "Boltzmann-coherent fixed point: pi(up|start) = 1/((3/4)**(1/delta) + 1)" in text
    assert "delta -> 0: 1 (" in text and "delta -> inf: 1/2 (" in text
    f = sec["forms"][0]
    assert f["latex"] == sp.latex(sp.sympify(f["expr"], locals={"k": K}))


def test_section_stochastic():
    c = load_case("cases/stochastic_counterexample.toml")
    text = "\n".join(symbolic_section(c.mdp, c.conventions)["lines"])
    assert "part ways first at k = 2: pi^G_2(a1|start) = 25/61 vs pi_(alpha=2) = 7/17" in text
    assert "they agree for k = [1]" in text


def _float_stochastic_model():
    return from_graph(float_stochastic_graph())


def test_section_iterations_run_under_a_claims_work_budget():
    # FrozenLake (gymnasium) at T = 8: the section's exact re-training ran 100 s unbounded,
    # after every claim had stopped at its budget; now it stops where a claim does
    from proofcheck.exact.budget import budget_steps

    m = _float_stochastic_model()
    with budget_steps(10):
        sec = symbolic_section(m, Conventions())
    text = "\n".join(sec["lines"])
    assert ("closed form = step-by-step exact re-training for k = 1..10: not compared (the claim's work budget "
            "of 15000 steps (1500 x --budget) is exhausted") in text
    assert "re-training and temperature for k = 1..10: not compared (the claim's work budget" in text
    assert sec["closed_form_matches_iteration"] is None
    full = symbolic_section(m, Conventions())  # the default budget suffices for this model
    assert full["closed_form_matches_iteration"] is True
    assert "not compared" not in "\n".join(full["lines"])


def test_section_sums_of_exponentials_are_a_claims_work():
    # a 25-state float-derived stochastic model: pi_alpha's form had 17,550 terms, and the
    # section ran for minutes building and printing it
    from proofcheck.exact.budget import budget_steps

    with budget_steps(1):
        sec = symbolic_section(_float_stochastic_model(), Conventions())
    text = "\n".join(sec["lines"])
    assert ("closed form of pi_alpha skipped (the claim's work budget of 1500 steps (1500 x --budget) is "
            "exhausted (terms of a sum of exponentials needs") in text
    assert not [f for f in sec["forms"] if f["name"] in ("pi_alpha", "pi_beta")]


def test_section_does_not_print_a_form_beyond_the_shown_terms(monkeypatch):
    import proofcheck.verify.symbolic_section as section

    monkeypatch.setattr(section, "MAX_SHOWN_TERMS", 2)
    text = "\n".join(symbolic_section(stochastic_counterexample(), Conventions())["lines"])
    # printed in full it is (1/3 + (1/2)**alpha)/(1 + 5/(3*2**alpha)): two terms over two; its
    # limits are still given (1/3 and 1/2: the dominant terms 1/3 over 1, and (1/3 + 1)/(1 + 5/3))
    assert "pi_alpha(a1|start): a ratio of sums of 2 and 2 exponentials in alpha (more than 2 terms: not printed)" in text
    assert "    alpha -> inf: 1/3 (" in text and "    alpha -> 0: 1/2 (" in text


def test_fixed_point_refuses_a_level_its_growth_forecasts_beyond_the_budget():
    from proofcheck.exact.budget import WorkBudget
    from proofcheck.symbolic.closed_forms import TIDY_STEPS_PER_NODE

    # mountain race: level 1 is 4 nodes (160 steps at 40 a node); level 2 is forecast at 4 nodes
    # (growth 1 so far), 160 steps, and 40 are left: refused before it is built
    assert TIDY_STEPS_PER_NODE == 40
    with pytest.raises(BudgetExceeded, match=re.escape(
            "work budget of 200 steps exhausted (about 4 expression nodes forecast for level 2 of 2 of the fixed "
            "point's closed form in delta, the growth x1 of the levels below needs 160 more, 40 left)")):
        boltzmann_fixed_point(mountain_race(), budget=WorkBudget(200))
    assert boltzmann_fixed_point(mountain_race(), budget=WorkBudget(1600))["start"]["up"] == \
        1 / ((sp.Rational(3, 4)) ** (1 / DELTA) + 1)


def dead_state_model():
    """``x`` is dead under the prior (its only prior action reaches success 0) but its
    excluded action ``b`` would succeed: the conventions for ``Zv = 0`` matter there."""
    G = nx.MultiDiGraph(initial="r")
    G.add_edge("r", "x", key="a", prior=R(1, 2))
    G.add_edge("r", "y", key="b", prior=R(1, 2))
    G.add_edge("x", "x1", key="a", prior=1)
    G.add_edge("x", "x2", key="b", prior=0)
    G.add_edge("y", "y1", key="a", prior=R(1, 3))
    G.add_edge("y", "y2", key="b", prior=R(2, 3))
    G.nodes["x1"]["success"] = 0
    G.nodes["y1"]["success"] = R(1, 2)
    G.nodes["y2"]["success"] = R(1, 5)
    return from_graph(G)


@pytest.mark.parametrize("impossible", ["keep", "uniform"])
def test_dead_states_and_conventions(impossible):
    m = dead_state_model()
    conv = Conventions(impossible=impossible, fold_term="ratio")
    cf = retraining_closed_form(m, conv)
    seq = retrain(m, 10, conventions=conv)
    for k in range(1, 11):
        for s, a, j in _pairs(m):
            v = cf.at(s, a, k)
            if impossible == "uniform" and s == "x":
                assert v is None  # uniform revives x at k = 2: no p q^k form there
                continue
            assert v == seq[k].values[j], (k, s, a)
    # y: pi^G_k(a|y) = (1/3)(1/2)^k / ((1/3)(1/2)^k + (2/3)(1/5)^k), by hand at k = 3
    assert cf.at("y", "a", 3) == R(1, 24) / (R(1, 24) + R(2, 375))
    proof = prove_retraining_identity(m, conv)
    if impossible == "keep":
        assert all(v is True for v in proof.values())
    else:
        assert all(isinstance(v, str) for v in proof.values())


@pytest.mark.parametrize("path", ["cases/parametric_prior.toml", "cases/mountain_race.toml"])
def test_closed_form_at_an_integer_is_sympys_cancelled_value(path):
    # ClosedForm.at evaluates num(k) / den(k) in python-flint for integer k; the reference
    # is SymPy's own route (build the powers, cancel), which must give the same object
    import proofcheck.symbolic.closed_forms as cf_mod
    case = load_case(path)
    m = case.mdp
    cf = retraining_closed_form(m, case.conventions)
    compared = 0
    for k in range(7):
        for j in range(m.n_pairs):
            s, a = m.states[m.pair_state[j]], m.pair_action[j]
            num, den, special = cf._parts(s, a)
            if special is not cf_mod._REGULAR:
                continue
            v = num.at(k) / den.at(k)
            reference = sp.cancel(v) if v.free_symbols else v
            got = cf.at(s, a, k)
            assert got == reference and sp.srepr(got) == sp.srepr(reference), (k, s, a)
            compared += 1
    assert compared > 0
