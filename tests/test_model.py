"""Model construction, validation messages, graph and case-file round trips."""

import copy
import pickle
import re
import warnings

import networkx as nx
import numpy as np
import pytest
import sympy as sp

import proofcheck as pc
from proofcheck.errors import CaseFileError, ModelError
from proofcheck.examples import mountain_race_graph, stochastic_counterexample_graph
from proofcheck.model import UnreachableStateWarning, from_graph, to_graph
from proofcheck.model.mdp import HorizonSuccessWarning

R = sp.Rational


def _same_model(a, b):
    assert a.states == b.states
    assert a.pair_action == b.pair_action
    for attr in ("pair_state", "state_ptr", "pair_ptr", "edge_target"):
        assert np.array_equal(getattr(a, attr), getattr(b, attr)), attr
    for attr in ("edge_prob", "prior", "likelihood", "success", "initial"):
        assert list(getattr(a, attr)) == list(getattr(b, attr)), attr


def test_case_files_match_python_examples():
    _same_model(pc.load_case("cases/mountain_race.toml").mdp, pc.examples.mountain_race())
    _same_model(pc.load_case("cases/stochastic_counterexample.toml").mdp,
                pc.examples.stochastic_counterexample())


@pytest.mark.parametrize("build", [mountain_race_graph, stochastic_counterexample_graph])
def test_graph_round_trip(build):
    m = from_graph(build())
    _same_model(from_graph(to_graph(m)), m)


def _thirds_in_floats():
    """Three outcomes of 1/3 each, written as floats: their sum is 1 - 2^-54, within tolerance."""
    G = nx.MultiDiGraph(initial="s")
    for t in ("x", "y", "z"):
        G.add_edge("s", t, key="a", prior=0.5, prob=1 / 3)
    G.add_edge("s", "w", key="b", prior=0.5, q=0.25)
    G.nodes["x"]["success"] = 0.5
    return G


def test_a_float_model_round_trips_through_its_graph():
    from fractions import Fraction

    m = from_graph(_thirds_in_floats())
    assert m.float_inputs and sum(Fraction(1 / 3) for _ in range(3)) == 1 - Fraction(1, 2**54)
    g = to_graph(m)  # was exact rationals summing to 1 - 2^-54: from_graph refused them
    assert g.edges["s", "x", "a"]["prob"] == 1 / 3 and g.graph["tolerance"] == 1e-9
    _same_model(from_graph(g), m)
    text = pc.dump_case(m)  # a case file too: the floats as TOML floats, with the tolerance
    assert "tolerance = 1e-09" in text and "prob" not in text and "0.3333333333333333" in text
    _same_model(pc.loads_case(text).mdp, m)
    # verify_model's reference route reads that graph: it raised ModelError out of verify
    res = pc.verify_model(m, claim_ids=["P4.2"])
    (ref,) = [r for r in res.claims if r.claim_id == "X.reference"]
    assert ref.verdict.value == "holds" and ref.summary.startswith("the engine equals the reference route on all")


@pytest.mark.parametrize("build", [mountain_race_graph, stochastic_counterexample_graph])
def test_case_text_round_trip(build):
    m = from_graph(build())
    _same_model(pc.loads_case(pc.dump_case(m)).mdp, m)


def test_digraph_actions_default_to_targets():
    G = nx.DiGraph(initial="s")
    G.add_edge("s", "x", prior="1/3")
    G.add_edge("s", "y", prior="2/3")
    m = from_graph(G)
    assert m.actions("s") == ("x", "y")


def _mr():
    return mountain_race_graph()


def test_transition_sum_error_names_state_and_action():
    G = stochastic_counterexample_graph()
    G.edges["start", "s2", "a1"]["prob"] = "3/20"  # 3/4 + 3/20 = 9/10
    with pytest.raises(ModelError, match=r"state 'start', action 'a1': transition probabilities sum to 9/10"):
        from_graph(G)


@pytest.mark.parametrize("attr,value,pattern", [
    ("prior", "3/2", r"state 'start', action 'up': prior: value 3/2 is outside \[0, 1\]"),
    ("q", "2", r"action 'up': q: value 2 is outside \[0, 1\]; likelihoods"),
    ("reward", "1", r"reward 1 > 0; rewards must be <= 0"),
    ("prob", "-1/2", r"transition probability to 'mountain': value -1/2 is outside"),
])
def test_out_of_range_values(attr, value, pattern):
    G = _mr()
    G.edges["start", "mountain", "up"][attr] = value
    with pytest.raises(ModelError, match=pattern):
        from_graph(G)


def test_prior_not_summing_to_one():
    G = _mr()
    G.edges["start", "mountain", "up"]["prior"] = "1/3"
    with pytest.raises(ModelError, match=r"state 'start': prior sums to 5/6, not 1 \(up=1/3, down=1/2\)"):
        from_graph(G)


def _rational_below(x, digits):
    """A rational below the irrational constant ``x``, within 10**-digits of it."""
    r = sp.Rational(sp.N(x, digits + 10).as_real_imag()[0])
    return r - sp.Rational(1, 10 ** digits) if sp.N(r - x, digits + 30) > 0 else r


def test_prior_sum_off_by_1e40_is_rejected():
    # sqrt(2)/2 + sqrt(3)/3 - r differs from 0 by about 4e-40; the check used to round it
    # to 0 (nsimplify) and accept priors that do not sum to 1
    x = sp.sqrt(2) / 2 + sp.sqrt(3) / 3
    r = _rational_below(x, 40)
    gap = x - r
    assert 0 < sp.N(gap, 5) < 1e-38
    G = _mr()
    G.edges["start", "mountain", "up"]["prior"] = str(sp.sqrt(2) / 2 + sp.sqrt(3) / 3 - sp.Rational(1, 2))
    G.edges["start", "forest", "down"]["prior"] = str(sp.Rational(3, 2) - r)
    with pytest.raises(ModelError, match=r"state 'start': prior sums to .*, not 1"):
        from_graph(G)


def test_prior_sum_exactly_one_with_surds_is_accepted():
    G = _mr()
    G.edges["start", "mountain", "up"]["prior"] = "(sqrt(2) - 1)*(sqrt(2) + 1)/3"  # = 1/3, not expanded
    G.edges["start", "forest", "down"]["prior"] = "2/3"
    assert sum(from_graph(G).prior_policy()["start"].values()).equals(1)


def test_value_1e113_below_zero_is_outside_the_range():
    x = sp.sqrt(2) / 2 + sp.sqrt(3) / 3
    below = _rational_below(x, 113) - x  # about -1e-113: SymPy's < cannot decide its sign
    assert below.evalf(5, maxn=1000) < 0
    G = _mr()
    G.edges["start", "mountain", "up"]["q"] = below  # a SymPy value: case files cap literals at 100 digits
    with pytest.raises(ModelError, match=r"action 'up': q: value .* is outside \[0, 1\]"):
        from_graph(G)


def test_missing_prior_and_default():
    G = _mr()
    del G.edges["start", "mountain", "up"]["prior"]
    with pytest.raises(ModelError, match=r"state 'start': no prior for action\(s\) \['up'\]"):
        from_graph(G)
    for e in G.edges(keys=True):
        G.edges[e].pop("prior", None)
    G.graph["default_prior"] = "uniform"
    assert from_graph(G).prior_policy()["start"] == {"up": R(1, 2), "down": R(1, 2)}


def test_success_on_nonterminal_rejected():
    G = _mr()
    G.nodes["start"]["success"] = "1/2"
    with pytest.raises(ModelError, match=r"state 'start' has actions .* and a leaf success probability"):
        from_graph(G)


def test_cycle_needs_horizon_and_unrolls():
    G = nx.MultiDiGraph(initial="s")
    G.add_edge("s", "s", key="stay", prior="1/2", q="1/2")
    G.add_edge("s", "g", key="go", prior="1/2")
    with pytest.raises(ModelError, match=r"cycle \(s -> s\) and no horizon; set the graph attribute 'horizon'"):
        from_graph(G)
    G.graph["horizon"] = 2
    with pytest.warns(HorizonSuccessWarning, match=r"cuts state\(s\) \['s'\].*legacy default 1"):
        legacy = from_graph(G)  # the Python API keeps the old default, but says so
    assert legacy.horizon_success == 1 and not legacy.horizon_success_explicit
    G.graph["horizon_success"] = 1  # the states cut at the horizon count as successes
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = from_graph(G)
    assert m.horizon_success == 1 and m.horizon_success_explicit
    _same_model(m, legacy)
    assert m.horizon == 2 and ("s", 0) in m.index and ("g", 2) in m.index
    # Zv(s,0) under the prior: 1/2*(1/2 * Zv(s,1)) + 1/2, Zv(s,1) = 1/2*1/2 + 1/2 = 3/4
    assert pc.soft_values(m).Zv(("s", 0)) == R(1, 2) * R(1, 2) * R(3, 4) + R(1, 2)


def test_unknown_symbol_and_parameters():
    G = _mr()
    G.edges["start", "mountain", "up"]["prior"] = "p"
    G.edges["start", "forest", "down"]["prior"] = "1 - p"
    with pytest.raises(Exception, match=r"unknown name 'p'"):
        from_graph(G)
    G.graph["parameters"] = {"p": (0, 1)}
    m = from_graph(G)
    p = m.symbols[0]
    assert pc.goal_condition(m).prob("start", "up") == sp.cancel(p / 2 / (p / 2 + (1 - p) * R(3, 4)))
    G.graph["parameters"] = {"p": (0, 2)}
    with pytest.raises(ModelError, match=r"action 'up': prior: value p becomes 3/2 at p = 3/2, outside \[0, 1\]"):
        from_graph(G)


def test_unreachable_state_warns():
    G = _mr()
    G.add_edge("island", "gold", key="swim", prior="1")
    G.graph["initial"] = "start"
    with pytest.warns(UnreachableStateWarning, match="'island'"):
        from_graph(G)


def test_float_values_marked_inexact_and_tolerated():
    G = _mr()
    G.edges["start", "mountain", "up"]["prior"] = 0.1 + 0.2  # 0.30000000000000004
    G.edges["start", "forest", "down"]["prior"] = 0.7
    m = from_graph(G)
    assert not m.exact
    G.edges["start", "forest", "down"]["prior"] = 0.71
    with pytest.raises(ModelError, match="prior sums to"):
        from_graph(G)


@pytest.mark.parametrize("attr,value,shown,off", [
    ("prior", -1e-12, "-1e-12", "1.0e-12"),     # a rounding residue: 1 - 0.3 - 0.7 style
    ("q", 1 + 2 ** -52, "1.0000000000000002", "2.2e-16"),
])
def test_float_value_just_outside_its_range_is_an_error_not_a_crash(attr, value, shown, off):
    # the tolerance is for sums; a probability of -1e-12 used to pass validation and make
    # verify stop with "TypeError: cannot unpack non-iterable mpc object"
    G = _mr()
    G.edges["start", "mountain", "up"][attr] = value
    if attr == "prior":
        G.edges["start", "forest", "down"]["prior"] = 1 - value
    with pytest.raises(ModelError, match=rf"action 'up': {attr}: value {re.escape(shown)} is outside \[0, 1\] "
                                         rf"\(off by {off}: a rounding residue\? clip it into the range\)"):
        from_graph(G)


def test_from_arrays_float_value_below_zero_names_the_entry():
    m = pc.examples.mountain_race()
    kw = {k: np.array([float(v) for v in getattr(m, k)]) for k in ("edge_prob", "prior", "likelihood", "success",
                                                                   "initial")}
    kw["prior"][0], kw["prior"][1] = -1e-13, 1 + 1e-13
    with pytest.raises(ModelError, match=r"from_arrays: prior\[0\] = -1e-13 is outside \[0, 1\] "
                                         r"\(off by 1.0e-13: a rounding residue\? np.clip\(prior, 0, 1\)\); fix prior"):
        pc.MDP.from_arrays(state_ptr=m.state_ptr, pair_ptr=m.pair_ptr, edge_target=m.edge_target,
                           states=m.states, pair_state=m.pair_state, pair_action=m.pair_action, **kw)


def test_non_graph_input():
    with pytest.raises(ModelError, match="expected a networkx DiGraph or MultiDiGraph, got dict"):
        from_graph({"a": 1})


# ---------------------------------------------------------------- case files

GOOD = open("cases/stochastic_counterexample.toml").read()


@pytest.mark.parametrize("text,pattern", [
    ("[states.s]\nactions.a = { next = 't', prior = \"__import__('os').system('touch /tmp/x')\" }\n",
     r"states\.s\.actions\.a\.prior"),
    ("[stats]\n", r"unknown key 'stats'; did you mean 'states'\?"),
    ("[states.s]\nactions.a = { nxt = 't', prior = '1' }\n", r"states\.s\.actions\.a: unknown key 'nxt'; did you mean 'next'\?"),
    ("[states.s]\nactions.a = { prior = '1' }\n", r"states\.s\.actions\.a: missing next"),
    ("[states.s\n", r"not valid TOML"),
    ("[states.s]\nactions.a = { next = 't', prior = [1] }\n", r"expected a number or a string"),
    ("[conventions]\nfold_term = 'sideways'\n[states.s]\nactions.a = { next = 't', prior = '1' }\n",
     r"conventions.fold_term = 'sideways' is not one of \['posterior', 'ratio'\]"),
    ("[states.s]\nactions.a = { next = 't', prior = '1' }\n[states.t]\nsuccess = '1'\n"
     "[expect]\n'pi_Q[1](a | s)' = '1'\n",
     r"unknown policy 'pi_Q\[1\]'"),
])
def test_case_file_errors(text, pattern):
    with pytest.raises((CaseFileError, ModelError), match=pattern):
        pc.loads_case(text, where="bad.toml")


def test_case_file_error_names_file(tmp_path):
    f = tmp_path / "x.toml"
    f.write_text(GOOD.replace('"3/4"', '"3/5"', 1))
    with pytest.raises(ModelError, match=rf"{f}: state 'start', action 'a1': transition probabilities sum to 17/20"):
        pc.load_case(f)


def test_a_float_setting_is_the_rational_typed_never_a_rounded_float():
    # nsimplify made delta = 1e-40 zero ("must be a positive number"); a SymPy Float delta
    # (a TOML float in a case file) was kept, and every exact value computed with it rounded
    assert pc.Conventions(delta=1e-40).delta == R(1, 10 ** 40)
    assert pc.Conventions(delta=0.1).delta == R(1, 10) and pc.Conventions(delta=1 / 3).delta == R(1, 3)
    assert pc.Conventions(delta=0.30000000000000004).delta == R(7500000000000001, 25000000000000000)
    for value in (sp.Float(0.1), np.float32(0.1)):  # np.float32 was kept as Float 0.100000
        d = pc.Conventions(delta=value).delta
        assert d == R(1, 10) and d.is_Rational
    text = open("cases/parametric_prior.toml").read()
    head, rest = text.split("[conventions]", 1)
    doc = (head.replace('= { min = "0", max = "1" }', "= { min = 0.1, max = 0.9 }")
           + "[conventions]\ndelta = 0.1\n" + re.sub(r"(?m)^delta = .*\n", "", rest))
    case = pc.loads_case(doc, where="floats.toml")
    assert case.conventions.delta == R(1, 10) and case.conventions.delta.is_Rational
    assert list(case.mdp.parameters.values()) == [(R(1, 10), R(9, 10))]  # was an AttributeError
    # the temperature's bounds, the range first, each message with the value as typed
    for typed, bound in (("1e-300", "outside [1/1000, 1000]"), ('"1001/1000"', "at most 1000"),
                         ("0.123456789", "at most 1000")):
        bad = doc.replace("delta = 0.1", f"delta = {typed}")
        with pytest.raises(CaseFileError, match=re.escape(f"conventions.delta = {typed.strip(chr(34))}") + ".*" + re.escape(bound)):
            pc.loads_case(bad, where="floats.toml")


def test_a_one_point_parameter_range_is_refused_with_the_fix():
    # [1/2, 1/2] was accepted and crashed verify (AttributeError: 'FiniteSet' object has no
    # attribute 'start'): the parametric case splits work on intervals
    G = nx.MultiDiGraph(initial="s", parameters={"p": ("1/2", "0.5")})
    G.add_edge("s", "t", key="a", prior="p")
    G.add_edge("s", "u", key="b", prior="1 - p")
    with pytest.raises(ModelError, match=re.escape("parameter 'p' has the one-point range [1/2, 1/2]; "
                                                   "write 1/2 in place of p")):
        from_graph(G)
    G.graph["parameters"] = {"p": ("1/2", "1/4")}
    with pytest.raises(ModelError, match=re.escape("empty range [1/2, 1/4]; give low < high")):
        from_graph(G)
    # float bounds (Python, NumPy, SymPy) are the rationals typed; they were SymPy Floats, and
    # every parametric claim stopped with AttributeError: 'Float' object has no attribute 'p'
    G.graph["parameters"] = {"p": (np.float32(0.25), sp.Float(0.75))}
    assert from_graph(G).parameters == {sp.Symbol("p", real=True): (R(1, 4), R(3, 4))}
    G.graph["parameters"] = {"p": (0.1, 0.9)}
    assert list(from_graph(G).parameters.values()) == [(R(1, 10), R(9, 10))]


def test_misspelt_names_in_a_case_file_are_caught_at_load_with_the_place_and_the_fix():
    text = open("cases/stochastic_counterexample.toml").read()
    exp = '"pi_G[1](a1 | start)" = "5/11"'
    assert exp in text and 'fold_term = "posterior"' in text
    for old, new, message in (
            # were found only by verify, with no file or key: "unknown state 'strat'; states are ..."
            (exp, '"pi_G[1](a1 | strat)" = "5/11"',
             "t.toml: expect.'pi_G[1](a1 | strat)': unknown state 'strat'; did you mean 'start'?"),
            (exp, '"pi_G[1](a3 | start)" = "5/11"',
             "t.toml: expect.'pi_G[1](a3 | start)': state 'start' has no action 'a3'; its actions are ['a1', 'a2']"),
            (exp, '"Zv[prior](strat)" = "5/11"', "t.toml: expect.'Zv[prior](strat)': unknown state 'strat'; "
                                                 "did you mean 'start'?"),
            (exp, '"verdict(P4.2)" = "hold"', "got 'hold'; did you mean 'holds'?"),
            ('fold_term = "posterior"', 'fold_term = "postrior"',
             "conventions.fold_term = 'postrior' is not one of ['posterior', 'ratio']; did you mean 'posterior'?")):
        with pytest.raises(CaseFileError, match=re.escape(message)):
            pc.loads_case(text.replace(old, new), where="t.toml")
    with pytest.raises(pc.errors.ConventionError, match=re.escape("unknown objective 'retrun'; did you mean 'return'?")):
        pc.Conventions(objectives=("retrun",))


def test_a_misspelt_convention_keyword_is_named_with_the_fix():
    # was Python's bare "__init__() got an unexpected keyword argument 'fold_trm'"
    message = "Conventions: unknown convention 'fold_trm'; did you mean 'fold_term'?"
    with pytest.raises(pc.errors.ConventionError, match=re.escape(message)):
        pc.Conventions(fold_trm="ratio")
    with pytest.raises(TypeError, match="unknown convention 'deltaa'; did you mean 'delta'"):
        pc.Conventions().replace(deltaa=2)
    kept = pc.Conventions(fold_term="ratio", delta="1/2")  # copies are made without keywords
    assert copy.copy(kept) == kept and pickle.loads(pickle.dumps(kept)) == kept


def test_conventions_delta_strings_use_the_safe_parser():
    from proofcheck.errors import ConventionError
    assert pc.Conventions(delta="1/2").delta == R(1, 2)
    assert pc.Conventions(delta=np.int64(3)).delta == 3
    for bad in ("__import__('os').getcwd()", "x", float("inf"), sp.oo, True, None, [1]):
        with pytest.raises(ConventionError, match="delta"):
            pc.Conventions(delta=bad)


def test_a_graph_tolerance_must_be_a_number_in_the_case_file_bound():
    # a string tolerance reached validation's first comparison as a TypeError (an internal
    # error); the bound is the one a case file's mdp.tolerance has
    G = nx.MultiDiGraph(initial="s")
    G.add_edge("s", "t", key="a", prior=0.5)
    G.add_edge("s", "u", key="b", prior=0.5)
    for bad in ("1e-9", float("nan"), -1e-9, 0.5, True):
        G.graph["tolerance"] = bad
        with pytest.raises(ModelError, match=re.escape("graph attribute 'tolerance' = ") + ".* must be a number in "
                           + re.escape("[0, 0.1), e.g. 1e-9 (the default)")):
            from_graph(G)
    G.graph["tolerance"] = 1e-6
    assert from_graph(G).tolerance == 1e-6
    with pytest.raises(ModelError, match=re.escape("from_arrays: tolerance = '0' must be a number in [0, 0.1)")):
        pc.MDP.from_arrays(state_ptr=[0, 1, 1], pair_ptr=[0, 1], edge_target=[1], edge_prob=np.ones(1),
                           prior=np.ones(1), likelihood=np.ones(1), initial=np.array([1.0, 0]), tolerance="0")
