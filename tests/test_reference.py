"""The independent reference route (proofcheck.reference): hand-computed values, its own
internal consistency (two routes to the trajectory KL), and agreement with the engine,
which is reached only through the top-level API (``import proofcheck as pc``)."""

import ast
import numbers
import warnings
from fractions import Fraction
from pathlib import Path

import networkx as nx
import pytest
import sympy as sp

import proofcheck as pc
from proofcheck import reference as ref
from proofcheck.errors import ConventionError, ModelError, UndecidedError
from proofcheck.reference import LogLinear

F = Fraction
log = LogLinear.log


# ---------------------------------------------------------------- models

def readme_model(bad_success="1/3"):
    G = nx.MultiDiGraph(initial="s")
    G.add_edge("s", "good", key="a", prior="1/2")
    G.add_edge("s", "bad", key="b", prior="1/2", q="1/2")
    G.nodes["bad"]["success"] = bad_success
    return G


def mountain_race():
    G = nx.MultiDiGraph(initial="start")
    for s, a, t in [("start", "up", "mountain"), ("start", "down", "forest"),
                    ("mountain", "up", "gold"), ("mountain", "down", "chasm"),
                    ("forest", "up", "silver1"), ("forest", "down", "silver2")]:
        G.add_edge(s, t, key=a, prior="1/2")
    G.nodes["gold"]["success"] = 1
    G.nodes["chasm"]["success"] = 0
    G.nodes["silver1"]["success"] = G.nodes["silver2"]["success"] = "3/4"
    return G


def example3():
    G = nx.MultiDiGraph(initial="start")
    G.add_edge("start", "s1", key="a1", prior="1/2", prob="3/4")
    G.add_edge("start", "s2", key="a1", prob="1/4")
    G.add_edge("start", "s1", key="a2", prior="1/2", prob="1/2")
    G.add_edge("start", "s2", key="a2", prob="1/2")
    G.nodes["s1"]["success"] = "1/3"
    G.nodes["s2"]["success"] = "2/3"
    return G


def skewed_prior():
    """One state, p = (1/4, 3/4), q = (1, 1/2), leaves of success 1."""
    G = nx.MultiDiGraph(initial="s")
    G.add_edge("s", "x", key="a", prior="1/4")
    G.add_edge("s", "y", key="b", prior="3/4", q="1/2")
    return G


def hidden_action():
    """At s the prior plays a1 (q = 0) surely; a2 (q = 1) has prior 0: Zv_p(s) = 0."""
    G = nx.MultiDiGraph(initial="s")
    G.add_edge("s", "x", key="a1", prior=1, q=0)
    G.add_edge("s", "y", key="a2", prior=0, q=1)
    return G


# ---------------------------------------------------------------- hand-computed values

def test_readme_model_by_hand():
    G = readme_model()
    sv = ref.soft_values(G)
    # Zq(s,a) = 1 * Zv(good) = 1; Zq(s,b) = 1/2 * Zv(bad) = 1/2 * 1/3 = 1/6
    # Zv(s) = 1/2 * 1 + 1/2 * 1/6 = 7/12
    assert sv.zq["s"] == {"a": F(1), "b": F(1, 6)}
    assert sv.zv == {"s": F(7, 12), "good": F(1), "bad": F(1, 3)}
    assert ref.success_probability(G) == F(7, 12)
    # G(p)(a) = (1/2 * 1) / (7/12) = 6/7, G(p)(b) = (1/2 * 1/6) / (7/12) = 1/7
    assert ref.goal_condition(G) == {"s": {"a": F(6, 7), "b": F(1, 7)}}
    # pi^G_2: weights 6/7 * 1 and 1/7 * 1/6 = 1/42, total 37/42 -> b: 1/37
    assert ref.retrain(G, 2)[2]["s"]["b"] == F(1, 37)
    # J(p) = 1/2 log 1 + 1/2 (log 1/2 + log 1/3) = 1/2 log(1/6)
    assert ref.additive_return(G) == F(1, 2) * log(F(1, 6))
    assert ref.additive_return(G) == -(F(1, 2) * log(2) + F(1, 2) * log(3))
    assert ref.occupancy(G) == {"s": F(1), "good": F(1, 2), "bad": F(1, 2)}


def test_readme_model_soft_policies_and_incoherence_by_hand():
    G = readme_model()
    # Boltzmann at delta = 1 of the prior: ∝ Zq = (1, 1/6) -> (6/7, 1/7)
    assert ref.boltzmann_policy(G)["s"] == {"a": F(6, 7), "b": F(1, 7)}
    # delta = 1/2: ∝ Zq^2 = (1, 1/36) -> (36/37, 1/37)
    assert ref.boltzmann_policy(G, delta="1/2")["s"] == {"a": F(36, 37), "b": F(1, 37)}
    # kappa(p) = 1/2 log((1/2)/(6/7)) + 1/2 log((1/2)/(1/7)) = 1/2 log(7/12) + 1/2 log(7/2)
    kappa = ref.incoherence(G)
    assert kappa == F(1, 2) * log(F(7, 12)) + F(1, 2) * log(F(7, 2))
    assert kappa == F(1, 2) * log(F(49, 24))  # = 0.35688...
    assert kappa.sign() == 1 and abs(float(kappa) - 0.3568832) < 1e-6
    # argmax puts 0 on b where the prior puts 1/2: infinite incoherence
    assert ref.argmax_policy(G)["s"] == {"a": F(1), "b": F(0)}
    assert ref.incoherence(G, f="argmax").is_pos_inf()
    # G(p) is Boltzmann-coherent here (one step): its soft policy is itself
    assert ref.incoherence(G, ref.goal_condition(G)).is_zero()
    assert ref.is_coherent(G, ref.goal_condition(G)) and not ref.is_coherent(G)


def test_return_is_minus_infinity_only_when_a_zero_is_reached():
    G = readme_model(bad_success=0)
    assert ref.additive_return(G).is_neg_inf()
    assert ref.additive_return(G) == ref.NEG_INF
    assert ref.additive_return(G, {"s": {"a": 1, "b": 0}}) == 0
    assert ref.additive_return(G).to_float() == float("-inf")


def test_mountain_race_printed_values():
    G = mountain_race()
    sv = ref.soft_values(G)
    # Zv(mountain) = 1/2, Zv(forest) = 3/4, Zv(start) = 1/2 * 1/2 + 1/2 * 3/4 = 5/8
    assert (sv.zv["mountain"], sv.zv["forest"], sv.zv["start"]) == (F(1, 2), F(3, 4), F(5, 8))
    pi1 = ref.goal_condition(G)
    assert pi1["start"] == {"up": F(2, 5), "down": F(3, 5)}  # ∝ (1/2, 3/4), as printed
    assert pi1["mountain"] == {"up": F(1), "down": F(0)}
    # the chasm (success 0) is reached with probability 1/4 under the prior
    assert ref.additive_return(G).is_neg_inf()
    # under pi_1 the chasm is never reached: J = 3/5 * (log 3/4) (the forest leaves)
    assert ref.additive_return(G, pi1) == F(3, 5) * log(F(3, 4))
    fp, steps = ref.coherence_fixed_point(G)
    assert fp == {"start": {"up": F(4, 7), "down": F(3, 7)}, "mountain": {"up": F(1), "down": F(0)},
                  "forest": {"up": F(1, 2), "down": F(1, 2)}}
    assert steps == 2  # = T, as P4.10 claims
    assert ref.incoherence(G, fp).is_zero()
    # kappa(pi_1) = 2/5 log((2/5)/(4/7)) + 3/5 log((3/5)/(3/7)) = 2/5 log(7/10) + 3/5 log(7/5)
    assert ref.incoherence(G, pi1) == F(2, 5) * log(F(7, 10)) + F(3, 5) * log(F(7, 5))


def test_example3_printed_values():
    G = example3()
    assert [pi["start"]["a1"] for pi in ref.retrain(G, 2)] == [F(1, 2), F(5, 11), F(25, 61)]
    # alpha = 2: a1 ∝ 3/4 * 1/9 + 1/4 * 4/9 = 7/36, a2 ∝ 1/2 * 1/9 + 1/2 * 4/9 = 5/18 -> 7/17
    assert ref.tempered_policy(G, 2)["start"]["a1"] == F(7, 17)
    # Lemma B (any dynamics): pi^F_k = pi^G_k with the ratio fold term
    assert ref.noncumulative_fold(G, 3) == ref.retrain(G, 3)
    # stochastic dynamics: pi^H_1 = h_2 = pi^G_2 = 25/61, not pi_{alpha=2} = 7/17
    assert ref.cumulative_fold(G, 1)[1]["start"]["a1"] == F(25, 61)


def test_folds_by_hand_on_a_skewed_prior():
    G = skewed_prior()
    # h_1 = G(p) ∝ (1/4 * 1, 3/4 * 1/2) = (1/4, 3/8) -> (2/5, 3/5)
    # ratio term (8/5, 4/5): q_1 = (8/5, 2/5); h_2 ∝ (1/4 * 8/5, 3/4 * 2/5) -> (4/7, 3/7) = pi^G_2
    # posterior term (2/5, 3/5): q_1 = (2/5, 3/10); h_2 ∝ (1/10, 9/40) -> (4/13, 9/13)
    ratio = ref.fold_sequence(G, 3, cumulative=True, fold_term="ratio")
    post = ref.fold_sequence(G, 2, cumulative=True, fold_term="posterior")
    assert ratio[1]["s"] == post[1]["s"] == {"a": F(2, 5), "b": F(3, 5)}
    assert ratio[2]["s"] == {"a": F(4, 7), "b": F(3, 7)} == ref.retrain(G, 2)[2]["s"]
    assert post[2]["s"] == {"a": F(4, 13), "b": F(9, 13)}
    # H, ratio: q_2 = q_1 * h_2 / p = (128/35, 8/35); h_3 ∝ (32/35, 6/35) -> (16/19, 3/19)
    # = pi_{alpha=4} ∝ (1/4, 3/4 * 1/16): Theorem 5.9 (A) with k = 2, zero-is-first-conditioned
    assert ratio[3]["s"] == {"a": F(16, 19), "b": F(3, 19)} == ref.tempered_policy(G, 4)["s"]
    # F, ratio: q_2 = q_0 * h_2 / p = (16/7, 2/7); h_3 ∝ (4/7, 3/14) -> (8/11, 3/11) = pi^G_3
    assert ref.noncumulative_fold(G, 3)[3]["s"] == {"a": F(8, 11), "b": F(3, 11)} == ref.retrain(G, 3)[3]["s"]
    # the three H indexings shift the same raw sequence
    H = {name: ref.cumulative_fold(G, 2, h_indexing=name) for name in ref.H_INDEXINGS}
    assert H["zero-is-first-conditioned"] == ratio[1:4]
    assert H["one-is-first-conditioned"] == ratio[0:3]
    assert H["one-is-prior"] == [None] + ratio[0:2]


def test_impossible_conditioning_conventions_by_hand():
    G = hidden_action()
    # Zv_p(s) = 1 * 0 + 0 * 1 = 0: "keep" leaves p, "uniform" puts 1/2 on both
    assert ref.goal_condition(G)["s"] == {"a1": F(1), "a2": F(0)}
    assert ref.goal_condition(G, impossible="uniform")["s"] == {"a1": F(1, 2), "a2": F(1, 2)}
    # re-training then finds a2: Zv = 1/2 > 0, so pi^G_2 = (0, 1)
    assert ref.retrain(G, 2, impossible="uniform")[2]["s"] == {"a1": F(0), "a2": F(1)}
    # the ratio fold term of a2 is 0 (p = 0), so pi^F_2 stays uniform: F and G part ways
    # under "uniform" (Lemma B needs the "keep" rule or a prior of full support)
    assert ref.noncumulative_fold(G, 2, impossible="uniform")[2]["s"] == {"a1": F(1, 2), "a2": F(1, 2)}
    # Boltzmann: Zq = (0, 1) is not all 0, so no rule is needed: the soft policy plays a2
    assert ref.boltzmann_policy(G)["s"] == {"a1": F(0), "a2": F(1)}
    assert ref.incoherence(G).is_pos_inf()  # p plays a1, which the soft policy excludes


def test_boltzmann_rule_where_every_zq_is_zero():
    G = nx.MultiDiGraph(initial="s")
    G.add_edge("s", "x", key="a", prior="1/3", q=0)
    G.add_edge("s", "y", key="b", prior="2/3", q=0)
    assert ref.boltzmann_policy(G)["s"] == {"a": F(1, 3), "b": F(2, 3)}
    assert ref.boltzmann_policy(G, impossible="uniform")["s"] == {"a": F(1, 2), "b": F(1, 2)}
    assert ref.argmax_policy(G)["s"] == {"a": F(1, 2), "b": F(1, 2)}  # all Q = -inf tie
    assert ref.argmax_policy(G, ties="first")["s"] == {"a": F(1), "b": F(0)}
    assert ref.incoherence(G).is_zero()
    # KL(p || uniform) = 1/3 log(2/3) + 2/3 log(4/3)
    assert ref.incoherence(G, impossible="uniform") == F(1, 3) * log(F(2, 3)) + F(2, 3) * log(F(4, 3))


def test_occupancy_by_time_with_a_state_reached_at_two_times():
    G = nx.MultiDiGraph(initial="s")
    G.add_edge("s", "x", key="a", prior="1/3")
    G.add_edge("s", "m", key="b", prior="2/3")
    G.add_edge("x", "m", key="c", prior=1, q="1/2")
    G.add_edge("m", "end", key="d", prior=1)
    by_t = ref.occupancy_by_time(G)
    assert by_t == {0: {"s": 1}, 1: {"x": F(1, 3), "m": F(2, 3)}, 2: {"m": F(1, 3), "end": F(2, 3)},
                    3: {"end": F(1, 3)}}
    d = ref.occupancy(G)
    assert d == {"s": 1, "x": F(1, 3), "m": 1, "end": 1}
    # J = 1/3 log(1/2) (the only q != 1)
    assert ref.additive_return(G) == F(1, 3) * log(F(1, 2))


def test_trajectory_kl_equals_causal_kl_P4_7():
    checked = 0
    for seed in range(40):
        G = ref.random_graph(seed, depth=1 + seed % 3, stochastic=seed % 2 == 1, merge=seed % 4 >= 2,
                             skip=True, early_leaves=seed % 3 == 0)
        pi1 = ref.goal_condition(G)
        for pol in (None, pi1):
            for f in ("boltzmann", "argmax"):
                soft = ref.soft_policy(G, pol, f)
                assert ref.trajectory_kl(G, pol, soft) == ref.causal_kl(G, pol, soft)
                checked += 1
    assert checked == 160


def test_fixed_point_within_horizon_P4_10():
    for seed in range(40):
        G = ref.random_graph(seed, depth=1 + seed % 4, stochastic=seed % 2 == 0, merge=True, skip=True,
                             early_leaves=True)
        m = ref.load_graph(G)
        for f in ("boltzmann", "argmax"):
            fp, steps = ref.coherence_fixed_point(m, f=f)
            assert steps <= m.horizon()
            assert ref.incoherence(m, fp, f).is_zero()
            assert ref.iterate_coherence(m, steps, f=f)[-1] == fp


# ---------------------------------------------------------------- LogLinear

def test_loglinear_exact_equality_and_order():
    assert log(F(1, 4)) == 2 * log(F(1, 2))
    assert log(6) == log(2) + log(3)
    assert log(F(12, 35)) - log(F(6, 7)) + log(5) == log(2)
    assert log(2) != log(3)
    assert F(1, 2) * log(9) == log(3)
    assert ref.coprime_base([12, 18, 35]) == [2, 3, 35]  # coprime, not necessarily prime
    assert (log(3) - log(2)).sign() == 1 and (log(2) - log(3)).sign() == -1
    assert log(F(2, 3)) < 0 < log(F(3, 2))
    assert ref.NEG_INF < log(F(1, 1000)) < ref.POS_INF
    assert 0 * ref.NEG_INF == 0
    with pytest.raises(ValueError):
        ref.NEG_INF + ref.POS_INF
    # 3 log 2 - 2 log 3 = log(8/9) < 0, tiny differences decided exactly
    assert (3 * log(2) - 2 * log(3)).sign() == -1
    assert (F(3, 2) * log(F(4, 9)) - log(F(8, 27))).is_zero()


# ---------------------------------------------------------------- inputs and errors

def test_inputs_in_every_accepted_form():
    G = nx.MultiDiGraph(initial="s")
    G.add_edge("s", "x", key="a", prior=0.25, q=sp.Rational(1, 2))
    G.add_edge("s", "y", key="b", prior="3/4", reward=0)
    G.nodes["y"]["success"] = " 1 / 3 "
    m = ref.load_graph(G)
    assert m.prior["s"] == {"a": F(1, 4), "b": F(3, 4)}
    assert m.likelihood == {("s", "a"): F(1, 2), ("s", "b"): F(1)}
    assert m.success == {"x": F(1), "y": F(1, 3)}
    assert ref.as_fraction(0.1) == F(3602879701896397, 36028797018963968)  # exact binary value


@pytest.mark.parametrize("value, shown", [("exp(-1)", "'exp(-1)'"), (sp.exp(-1), "exp(-1)"),
                                          (sp.Symbol("p"), "p"), ("1/2 + x", "'1/2 + x'")])
def test_irrational_input_is_refused_with_a_clear_message(value, shown):
    G = nx.MultiDiGraph(initial="s")
    G.add_edge("s", "x", key="a", prior=1, q=value)
    with pytest.raises(ref.NotRationalError) as err:
        ref.success_probability(G)
    assert str(err.value) == f"reference route needs rational inputs; edge ('s', 'a'): q = {shown}"
    assert isinstance(err.value, UndecidedError)


def test_rational_reward_other_than_zero_is_refused():
    G = nx.MultiDiGraph(initial="s")
    G.add_edge("s", "x", key="a", prior=1, reward="-1")
    with pytest.raises(ref.NotRationalError, match="reward"):
        ref.load_graph(G)


def test_irrational_powers_are_refused():
    G = readme_model()
    with pytest.raises(ref.NotRationalError, match="irrational"):
        ref.tempered_policy(G, "1/2")  # (1/2) ** (1/2)
    with pytest.raises(ref.NotRationalError):
        ref.boltzmann_policy(G, delta=2)  # (1/6) ** (1/2)


def test_size_bounds():
    G = ref.random_graph(1, depth=3, max_actions=3)
    n = G.number_of_nodes()
    with pytest.raises(ref.TooLargeError, match=f"max_states = {n - 1} states; this graph has {n}"):
        ref.goal_condition(G, max_states=n - 1)
    assert ref.goal_condition(G, max_states=n)
    cyc = nx.MultiDiGraph(initial="s", horizon=50)
    cyc.add_edge("s", "s", key="a", prior="1/2")
    cyc.add_edge("s", "t", key="b", prior="1/2")
    with pytest.raises(ref.TooLargeError, match="unrolling"):
        ref.load_graph(cyc, max_states=20)
    assert len(ref.load_graph(cyc).states) == 101  # (s, 0..50) and (t, 1..50)


def test_malformed_models_and_options_are_refused():
    G = nx.MultiDiGraph(initial="s")
    G.add_edge("s", "x", key="a", prior="1/2")
    G.add_edge("s", "y", key="b", prior="1/3")
    with pytest.raises(ModelError, match="prior sums to 5/6"):
        ref.load_graph(G)
    with pytest.raises(ConventionError):
        ref.goal_condition(readme_model(), impossible="drop")
    with pytest.raises(ConventionError):
        ref.cumulative_fold(readme_model(), 1, h_indexing="one")
    with pytest.raises(ModelError, match="sums to"):
        ref.soft_values(readme_model(), {"s": {"a": "1/2", "b": "1/3"}})


def test_reference_imports_nothing_from_the_engine():
    root = Path(ref.__file__).parent
    for path in root.glob("*.py"):
        tree = ast.parse(path.read_text())
        assert "__all__" in {t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets
                             if isinstance(t, ast.Name)}, path
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    assert node.level == 1, (path, node.module)
                    continue
                names = [node.module]
            else:
                continue
            for name in names:
                assert not name.startswith("sympy") and not name.startswith("numpy"), (path, name)
                if name.startswith("proofcheck"):
                    assert name == "proofcheck.errors" or name.startswith("proofcheck.reference"), (path, name)


def test_reference_values_keys_and_values():
    G = readme_model()
    v = ref.reference_values(G, 2, alphas=[2], deltas=["1/2"])
    assert v["prior(a | s)"] == F(1, 2) and v["uniform(b | s)"] == F(1, 2)
    assert v["pi_1(a | s)"] == v["pi_G[1](a | s)"] == F(6, 7)
    assert v["pi_G[2](b | s)"] == v["pi_F[2](b | s)"] == v["pi_H[1](b | s)"] == F(1, 37)
    assert v["pi_alpha[2](b | s)"] == F(1, 37) and v["pi_delta[1/2](b | s)"] == F(1, 37)
    assert v["S(prior)"] == F(7, 12) and v["Zv[prior](s)"] == F(7, 12) and v["Zv[prior](bad)"] == F(1, 3)
    assert v["Zq[pi_1](b | s)"] == F(1, 6) and v["d[prior](bad)"] == F(1, 2)
    assert v["J(prior)"] == F(1, 2) * log(F(1, 6))
    assert v["kappa(prior)"] == ref.incoherence(G) and v["kappa_argmax(prior)"].is_pos_inf()
    assert v["kappa(pi_B[fixed])"] == 0 and v["steps(pi_B[fixed])"] == 1 and v["horizon"] == 1
    assert "pi_H[3](a | s)" not in v and "pi_G[3](a | s)" not in v
    # the conventions of a (duck-typed) Conventions object are used
    v2 = ref.reference_values(G, 1, conventions=pc.Conventions(h_indexing="one-is-prior", delta="1/2"))
    assert "pi_H[0](a | s)" not in v2 and v2["pi_H[1](a | s)"] == F(1, 2)
    assert v2["conventions"]["delta"] == F(1, 2) and v2["pi_B[1](b | s)"] == F(1, 37)
    # non-strict: quantities that are not rational are left out and listed
    v3 = ref.reference_values(G, 1, delta=2, strict=False)
    assert "kappa(prior)" not in v3 and "kappa(prior)" in v3["unsupported"]
    assert "pi_B[fixed]" in v3["unsupported"] and v3["S(pi_1)"] == F(37, 42)
    with pytest.raises(ref.NotRationalError):
        ref.reference_values(G, 1, delta=2)


# ---------------------------------------------------------------- agreement with the engine

def R(f):
    return sp.Rational(f.numerator, f.denominator)


def engine_loglinear(value):
    """An engine value (SymPy) as a LogLinear, exactly; fails on any other shape."""
    if value == -sp.oo:
        return ref.NEG_INF
    if value == sp.oo:
        return ref.POS_INF
    terms = {}
    for term in sp.Add.make_args(sp.sympify(value)):
        coeff, rest = term.as_coeff_Mul()
        if rest == 1:
            assert coeff == 0, value
            continue
        assert isinstance(rest, sp.log) and rest.args[0].is_Rational, (value, term)
        x = F(int(rest.args[0].p), int(rest.args[0].q))
        terms[x] = terms.get(x, F(0)) + F(int(coeff.p), int(coeff.q))
    return LogLinear(terms)


def assert_policy(mine, engine, what):
    assert engine is not None, what
    for s, row in mine.items():
        for a, p in row.items():
            assert engine.prob(s, a) == R(p), (what, s, a, p, engine.prob(s, a))


def generator_options(seed):
    return dict(depth=1 + seed % 3, max_actions=2 + seed % 2, stochastic=seed % 2 == 1,
                merge=seed % 4 >= 2, skip=seed % 5 == 0, early_leaves=seed % 3 == 0,
                zero_prior=seed % 6 != 5, zero_q=seed % 7 != 6, uniform_prior=seed % 11 == 10,
                multi_initial=seed % 13 == 12, strings=seed % 2 == 0)


def conventions_for(seed):
    return dict(impossible=("keep", "uniform")[seed % 2],
                fold_term=("ratio", "posterior")[(seed // 2) % 2],
                h_indexing=list(ref.H_INDEXINGS)[seed % 3],
                argmax_ties=("uniform", "first")[(seed // 3) % 2])


def compare_with_engine(G, conv, K=3):
    """Every quantity the reference covers, against the engine's top-level API."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unreachable-state warnings of merged graphs
        m = pc.from_graph(G)
    C = pc.Conventions(**conv)
    imp, fold, hidx, ties = conv["impossible"], conv["fold_term"], conv["h_indexing"], conv["argmax_ties"]
    model = ref.load_graph(G)
    assert sorted(map(str, model.states)) == sorted(map(str, m.states))
    assert_policy(ref.as_policy(model), m.prior_policy(), "prior")

    seq = ref.retrain(model, K, impossible=imp)
    for k, (mine, eng) in enumerate(zip(seq, pc.retrain(m, K, conventions=C))):
        assert_policy(mine, eng, f"pi_G[{k}]")
    assert_policy(ref.goal_condition(model, impossible=imp), pc.goal_condition(m, conventions=C), "G(p)")
    for k, (mine, eng) in enumerate(zip(ref.noncumulative_fold(model, K, fold_term=fold, impossible=imp),
                                        pc.noncumulative_fold(m, K, conventions=C))):
        assert_policy(mine, eng, f"pi_F[{k}]")
    for k, (mine, eng) in enumerate(zip(ref.cumulative_fold(model, K, fold_term=fold, impossible=imp,
                                                            h_indexing=hidx),
                                        pc.cumulative_fold(m, K, conventions=C))):
        assert (mine is None) == (eng is None), k
        if mine is not None:
            assert_policy(mine, eng, f"pi_H[{k}]")
    for alpha in (2, 3):
        assert_policy(ref.tempered_policy(model, alpha, impossible=imp),
                      pc.tempered_policy(m, alpha, conventions=C), f"pi_alpha[{alpha}]")

    for name, pol in (("prior", None), ("pi_1", seq[1]), ("pi_G[2]", seq[2])):
        epol = m.prior_policy() if pol is None else m.policy(pol)
        sv, esv = ref.soft_values(model, pol), pc.soft_values(m, epol)
        for s in m.states:
            assert esv.Zv(s) == R(sv.zv[s]), (name, "Zv", s)
        for s, row in sv.zq.items():
            for a, v in row.items():
                assert esv.Zq(s, a) == R(v), (name, "Zq", s, a)
        assert pc.success_probability(m, epol) == R(ref.success_probability(model, pol)), name
        assert engine_loglinear(pc.additive_return(m, epol)) == ref.additive_return(model, pol), name
        occ, eocc = ref.occupancy(model, pol), pc.occupancy(m, epol)
        for i, s in enumerate(m.states):
            assert eocc[i] == R(occ[s]), (name, "d", s)
        for delta in (F(1), F(1, 2)):
            assert_policy(ref.boltzmann_policy(model, pol, delta, impossible=imp),
                          pc.boltzmann_policy(m, epol, R(delta), conventions=C), (name, delta))
            mine = ref.incoherence(model, pol, delta=delta, impossible=imp)
            assert engine_loglinear(pc.incoherence(m, epol, conventions=C, delta=R(delta))) == mine, (name, delta)
        assert_policy(ref.argmax_policy(model, pol, ties=ties), pc.argmax_policy(m, epol, conventions=C),
                      (name, "argmax"))
        mine = ref.incoherence(model, pol, "argmax", ties=ties)
        assert engine_loglinear(pc.incoherence(m, epol, "argmax", conventions=C)) == mine, (name, "argmax")
        assert pc.is_coherent(m, epol, conventions=C) == ref.is_coherent(model, pol, impossible=imp), name

    for k, (mine, eng) in enumerate(zip(ref.iterate_coherence(model, K, impossible=imp),
                                        pc.iterate_coherence(m, K, conventions=C))):
        assert_policy(mine, eng, f"pi_B[{k}]")
    fp, steps = ref.coherence_fixed_point(model, impossible=imp)
    assert_policy(fp, pc.coherence_fixed_point(m, conventions=C), "pi_B[fixed]")
    fpa, _ = ref.coherence_fixed_point(model, f="argmax", ties=ties)
    assert_policy(fpa, pc.coherence_fixed_point(m, f="argmax", conventions=C), "argmax fixed point")
    assert steps <= m.horizon


@pytest.mark.parametrize("name", ["readme", "mountain_race", "example3", "skewed_prior", "hidden_action"])
@pytest.mark.parametrize("impossible", ["keep", "uniform"])
def test_engine_agrees_on_the_hand_models(name, impossible):
    G = {"readme": readme_model, "mountain_race": mountain_race, "example3": example3,
         "skewed_prior": skewed_prior, "hidden_action": hidden_action}[name]()
    for fold in ("ratio", "posterior"):
        for hidx in ref.H_INDEXINGS:
            compare_with_engine(G, dict(impossible=impossible, fold_term=fold, h_indexing=hidx,
                                        argmax_ties="uniform"), K=3)


@pytest.mark.parametrize("seed", range(200))
def test_engine_agrees_on_random_models(seed):
    compare_with_engine(ref.random_graph(seed, **generator_options(seed)), conventions_for(seed))


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(200, 1200))
def test_engine_agrees_on_random_models_sweep(seed):
    opts = generator_options(seed)
    opts["depth"] = 1 + seed % 4
    compare_with_engine(ref.random_graph(seed, **opts), conventions_for(seed), K=4)


class _Mpz:
    """A big integer that is not an ``int``, as mpmath keeps the mantissa of a SymPy Float
    when gmpy2 is installed (``gmpy2.mpz``): ``Fraction(mpz)`` keeps the mpz, which SymPy's
    ``Rational`` then refuses."""

    def __init__(self, n):
        self.n = n

    def __int__(self):
        return self.n

    def __index__(self):
        return self.n

    numerator = property(lambda self: self)
    denominator = property(lambda self: 1)

    def __eq__(self, other):
        return self.n == other


numbers.Integral.register(_Mpz)


class _FloatWithMpzMantissa:
    """A real number with SymPy Float's ``_mpf_`` (sign, mantissa, exponent, bits)."""

    def __init__(self, man, exp):
        self._mpf_ = (0, _Mpz(man), exp, man.bit_length())

    def __float__(self):
        return int(self._mpf_[1]) * 2.0 ** self._mpf_[2]


numbers.Real.register(_FloatWithMpzMantissa)


def test_a_float_mantissa_that_is_not_an_int_becomes_a_plain_fraction():
    x = ref.as_fraction(_FloatWithMpzMantissa(3, -2), "prior")
    assert x == Fraction(3, 4) and type(x.numerator) is int and type(x.denominator) is int
    assert sp.Rational(x.numerator, x.denominator) == sp.Rational(3, 4)  # what the reference section builds


def test_the_models_own_inexact_prior_row_is_a_policy_but_another_inexact_row_is_not():
    # 0.1 + 0.2 + 0.7 is 1 within rounding, not exactly: accepted as the model's prior (its
    # float inputs are read within tolerance), and so as the policy that equals it
    G = nx.MultiDiGraph(initial="s")
    for a, p in (("a", 0.1), ("b", 0.2), ("c", 0.7)):
        G.add_edge("s", a, key=a, prior=p)
        G.nodes[a]["success"] = "1/2"
    model = ref.load_graph(G)
    assert sum(model.prior["s"].values()) != 1
    prior_rows = {"s": {"a": 0.1, "b": 0.2, "c": 0.7}}
    assert ref.as_policy(model, prior_rows) == {"s": model.prior["s"]}
    assert ref.success_probability(G, prior_rows) == sum(model.prior["s"].values()) / 2
    with pytest.raises(ModelError, match="row of state 's' sums to"):
        ref.as_policy(model, {"s": {"a": 0.1, "b": 0.25, "c": 0.65}})


# ---------------------------------------------------------------- GMP rationals inside the long sums

def _float_derived_graph():
    """A stochastic DAG whose priors and probabilities are normalised floats, as a trained
    model's are: its re-trained policies hold rationals of thousands of digits."""
    import random
    rng = random.Random(11)
    G = nx.MultiDiGraph(initial="s")
    layers = [["s"], ["x0", "x1"], ["y0", "y1"]]
    for here, below in zip(layers, layers[1:]):
        for s in here:
            w = [rng.random() for _ in range(2)]
            for a in range(2):
                p, q = [rng.random() for _ in below], rng.random()
                for t, x in zip(below, p):
                    G.add_edge(s, t, key=f"a{a}", prior=w[a] / sum(w), q=q, prob=x / sum(p))
    for t in layers[-1]:
        G.nodes[t]["success"] = rng.random()
    return G


@pytest.mark.parametrize("graph, bits", [(_float_derived_graph(), 1000), (mountain_race(), 1),
                                         (ref.random_graph(7, depth=3, stochastic=True, merge=True), 1)],
                         ids=["float-derived", "mountain-race", "random-stochastic"])
def test_gmp_sums_give_the_fraction_route_values(monkeypatch, graph, bits):
    """The reference route's long sums on gmpy2's rationals give the very Fractions that
    Fraction arithmetic gives (the route with gmpy2 hidden), value by value and type by type."""
    from proofcheck.reference import _rationals
    if _rationals._mpq is None:
        pytest.skip("gmpy2 is not installed: both routes are Fraction arithmetic")
    fast = ref.reference_values(graph, 3, strict=False, deltas=[F(1, 2)])
    monkeypatch.setattr(_rationals, "_mpq", None)
    slow = ref.reference_values(graph, 3, strict=False, deltas=[F(1, 2)])
    assert fast.keys() == slow.keys()
    for key in slow:
        assert type(fast[key]) is type(slow[key]), key
        assert fast[key] == slow[key], key
    assert all(type(v) is Fraction for k, v in fast.items() if k.startswith(("d[", "Zv[", "Zq[")))
    # the float-derived model reaches the sizes the GMP sums are for
    assert max(v.denominator.bit_length() for k, v in fast.items() if k.startswith("d[pi_G[3]]")) >= bits


def test_rationals_round_trip_keeps_lowest_terms():
    from proofcheck.reference._rationals import inner, outer
    x = F(6, 4)
    back = outer(inner(x) * inner(F(2, 3)))
    assert back == F(1, 1) and type(back) is Fraction and back.denominator == 1
    assert outer(inner(F(-5, 7)) + inner(F(5, 7))) == 0
    assert outer(x) is x  # a Fraction passes through


def test_decimal_inputs_are_exact_in_both_routes():
    # Decimals (from pandas or SQL) were refused by the model and by the reference route alike;
    # they are exact decimals: 0.25 is 1/4, not a float
    from decimal import Decimal

    from proofcheck.verify.reference_section import reference_agreement
    G = nx.MultiDiGraph(initial="s")
    G.add_edge("s", "t", key="a", prior=Decimal("0.25"), q=Decimal("0.5"))
    G.add_edge("s", "u", key="b", prior=Decimal("0.75"))
    m = pc.from_graph(G)
    assert list(m.prior) == [sp.Rational(1, 4), sp.Rational(3, 4)] and m.exact and not m.float_inputs
    assert ref.as_fraction(Decimal("0.1")) == Fraction(1, 10)
    assert reference_agreement(G, m, pc.Conventions()).verdict.value == "holds"
    for bad in (Decimal("NaN"), Decimal("-Infinity")):
        with pytest.raises(ModelError, match="is not finite"):
            ref.as_fraction(bad)
        G.edges["s", "t", "a"]["prior"] = bad
        with pytest.raises(ModelError, match="prior: value .* is not finite"):
            pc.from_graph(G)
