"""Strict models: every slip in a case file or graph is an error that names it.

Misspelt next states, state headers and terminal tables, unreachable states, success on
states with actions, the success of states cut at an unroll horizon, float inputs, and
infinite rewards and expectations.
"""

import os
import subprocess
import sys
import warnings
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import sympy as sp

import proofcheck as pc
from proofcheck.errors import CaseFileError, ModelError, UnreachableStateWarning
from proofcheck.examples import mountain_race_graph
from proofcheck.model import from_graph
from proofcheck.model.mdp import HorizonSuccessError, HorizonSuccessWarning, unroll
from proofcheck.verify.case import check_expectations

ROOT = Path(__file__).resolve().parents[1]
MR = (ROOT / "cases" / "mountain_race.toml").read_text()
R = sp.Rational


def _load(text, where="mr.toml"):
    return pc.loads_case(text, where=where)


def _error(text, where="mr.toml"):
    with pytest.raises((CaseFileError, ModelError)) as info:
        _load(text, where)
    msg = str(info.value)
    assert "\n" not in msg and msg.startswith(f"{where}: ")
    return msg


# ---------------------------------------------------------------- misspelt names

def test_misspelt_next_names_the_typo_and_the_suggestion():
    msg = _error(MR.replace('next = "mountain"', 'next = "mountian"'))
    assert "states.start.actions.up.next: 'mountian' is not a declared state" in msg
    assert "did you mean 'mountain'" in msg
    assert "implicit_terminals = true" in msg


def test_misspelt_next_in_an_outcome_table_names_the_outcome_key():
    text = (ROOT / "cases" / "stochastic_counterexample.toml").read_text().replace(
        'next = { s1 = "3/4", s2 = "1/4" }', 'next = { s1 = "3/4", ss2 = "1/4" }')
    msg = _error(text, "sc.toml")
    assert "states.start.actions.a1.next.ss2: 'ss2' is not a declared state; did you mean 's2'" in msg


def test_misspelt_state_header_names_the_typo_and_the_suggestion():
    # today's message was about the prior of 'mountain' (half of its actions went missing)
    msg = _error(MR.replace("[states.mountain.actions.down]", "[states.mountian.actions.down]"))
    assert "states.mountian: state 'mountian' is unreachable" in msg
    assert "did you mean 'mountain'" in msg and "allow_unreachable = true" in msg
    assert "prior" not in msg


def test_misspelt_headers_of_all_actions_of_a_state():
    msg = _error(MR.replace("[states.mountain.actions.", "[states.mountian.actions."))
    assert "'mountain' is not a declared state; did you mean 'mountian'" in msg


def test_misspelt_terminal_names_the_typo_and_the_suggestion():
    # today: a warning, and 'gold' ran as a new terminal with success 1
    msg = _error(MR.replace("[states.gold]", "[states.glod]"))
    assert "states.mountain.actions.up.next: 'gold' is not a declared state" in msg
    assert "did you mean 'glod' (declared as [states.glod], which no next reaches)" in msg


def test_misspelt_initial_state():
    msg = _error(MR.replace('initial = "start"', 'initial = "strat"'))
    assert "mdp.initial: 'strat' is not a declared state; did you mean 'start'" in msg
    msg = _error(MR.replace('initial = "start"', 'initial = { strat = "1" }'))
    assert "mdp.initial.strat: 'strat' is not a declared state; did you mean 'start'" in msg


def test_misspelt_header_without_initial_names_the_second_root():
    text = MR.replace('initial = "start"', "").replace("[states.mountain.actions.down]",
                                                       "[states.mountian.actions.down]")
    msg = _error(text)
    assert "2 states have no predecessor ('start', 'mountian')" in msg
    assert "did you mean 'mountain'" in msg


def test_terminal_needs_its_success():
    msg = _error(MR.replace('[states.gold]\nsuccess = "1"', "[states.gold]"))
    assert "states.gold: terminal state 'gold' (no actions) has no success" in msg


# ---------------------------------------------------------------- the opt-ins

def test_implicit_terminals_opt_in_keeps_the_old_behaviour():
    text = MR.replace('[mdp]\n', '[mdp]\nimplicit_terminals = true\n').replace(
        '[states.gold]\nsuccess = "1"\n', "")
    m = _load(text).mdp
    assert m.n_states == 7 and m.success[m.index["gold"]] == 1 and m.terminal[m.index["gold"]]
    # a terminal table without success gets success 1 too
    m = _load(text.replace('[states.chasm]\nsuccess = "0"', "[states.chasm]")).mdp
    assert m.n_states == 7 and m.success[m.index["chasm"]] == 1


def test_implicit_terminals_must_be_a_boolean():
    msg = _error(MR.replace("[mdp]\n", '[mdp]\nimplicit_terminals = "yes"\n'))
    assert "mdp.implicit_terminals = 'yes' must be true or false" in msg


def test_allow_unreachable_opt_in():
    text = MR.replace("[mdp]\n", "[mdp]\nallow_unreachable = true\n") + (
        '\n[states.island.actions.swim]\nnext = "gold"\nprior = "1"\n')
    with pytest.warns(UnreachableStateWarning, match="'island'"):
        m = _load(text).mdp
    assert "island" in m.index
    msg = _error(text.replace("allow_unreachable = true\n", ""))
    assert "states.island: state 'island' is unreachable" in msg


def test_unknown_mdp_key_suggests_the_option():
    msg = _error(MR.replace("[mdp]\n", "[mdp]\nimplicit_terminal = true\n"))
    assert "unknown key 'implicit_terminal'; did you mean 'implicit_terminals'?" in msg


def test_conventions_are_checked_before_the_states():
    assert 'fold_term = "posterior"' in MR
    text = MR.replace('fold_term = "posterior"', 'fold_term = "sideways"').replace(
        'next = "mountain"', 'next = "mountian"')
    assert "conventions.fold_term" in _error(text)


# ---------------------------------------------------------------- success on non-terminal states

def test_success_on_a_state_with_actions_is_an_error_in_case_files():
    text = MR.replace("[states.start.actions.up]", '[states.start]\nsuccess = "1/2"\n\n[states.start.actions.up]')
    msg = _error(text)
    assert "states.start.success: state 'start' has actions (up, down) and success = '1/2'" in msg
    assert "terminal states" in msg and "q of the actions" in msg


def _loop():
    G = nx.MultiDiGraph(initial="s")
    G.add_edge("s", "s", key="stay", prior="1/2", q="1/2")
    G.add_edge("s", "g", key="go", prior="1/2")
    return G


@pytest.mark.parametrize("cyclic", [False, True])
def test_success_on_a_state_with_actions_means_the_same_for_cyclic_and_acyclic_graphs(cyclic):
    if cyclic:
        G = _loop()
        G.graph.update(horizon=2, horizon_success=0)
    else:
        G = mountain_race_graph()
    s = "s" if cyclic else "start"
    G.nodes[s]["success"] = "1/2"
    with pytest.raises(ModelError, match=rf"state '{s}' has actions .* and a leaf success probability; "
                                         r"success belongs to terminal states .* in acyclic and cyclic graphs alike"):
        from_graph(G)


# ---------------------------------------------------------------- success at the unroll horizon

CYCLIC = """[mdp]
initial = "s"
horizon = 2
{choice}
[states.s.actions.stay]
next = "s"
prior = "1/2"
q = "1/2"

[states.s.actions.go]
next = "g"
prior = "1/2"

[states.g]
success = "1"
"""


def test_case_file_cut_at_the_horizon_needs_an_explicit_choice():
    msg = _error(CYCLIC.format(choice=""), "loop.toml")
    assert "mdp.horizon = 2 cuts state(s) 's'" in msg and "mdp.horizon_success is not set" in msg
    assert 'horizon_success = "0"' in msg


@pytest.mark.parametrize("choice,cut,zv", [
    ('horizon_success = "0"', 0, R(1, 2) * R(1, 2) * R(1, 2) + R(1, 2)),
    ('horizon_success = "1"', 1, R(1, 2) * R(1, 2) * R(3, 4) + R(1, 2)),
    ('horizon_success = { s = "1/3" }', {"s": R(1, 3)}, R(1, 2) * R(1, 2) * (R(1, 12) + R(1, 2)) + R(1, 2)),
])
def test_case_file_horizon_success_is_used_and_recorded(choice, cut, zv):
    m = _load(CYCLIC.format(choice=choice), "loop.toml").mdp
    assert m.horizon_success == cut and m.horizon_success_explicit
    assert pc.soft_values(m).Zv(("s", 0)) == zv


def test_horizon_success_slips():
    msg = _error(CYCLIC.format(choice='horizon_success = { ss = "0" }'), "loop.toml")
    assert "mdp.horizon_success.ss: 'ss' is not a declared state; did you mean 's'" in msg
    msg = _error(CYCLIC.format(choice="").replace("horizon = 2\n", 'horizon_success = "0"\n'), "loop.toml")
    assert "mdp.horizon_success: given without mdp.horizon" in msg


def test_python_api_horizon_success_is_explicit_or_warned():
    G = _loop()
    G.graph["horizon"] = 2
    with pytest.warns(HorizonSuccessWarning, match="legacy default 1"):
        m = from_graph(G)
    assert m.horizon_success == 1 and not m.horizon_success_explicit
    with pytest.raises(HorizonSuccessError, match=r"cuts state\(s\) \['s'\]"):
        from_graph(G, strict_horizon=True)
    with pytest.raises(HorizonSuccessError):
        unroll(G, 2, strict=True)
    H = unroll(G, 2, horizon_success="1/5")
    assert H.nodes[("s", 2)]["success"] == "1/5" and H.nodes[("g", 2)] == {}
    G.graph["horizon_success"] = {"s": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = from_graph(G, strict_horizon=True)
    assert m.horizon_success == {"s": 0} and m.success[m.index[("s", 2)]] == 0
    G.graph["horizon_success"] = {"g": 0}
    with pytest.raises(ModelError, match=r"horizon_success gives no value for state 's'"):
        from_graph(G)


def test_acyclic_models_record_no_horizon_choice():
    m = pc.examples.mountain_race()
    assert m.horizon_success is None and m.horizon_success_explicit


# ---------------------------------------------------------------- floats

def test_float_inputs_are_marked_in_the_repr():
    G = mountain_race_graph()
    exact = from_graph(G)
    assert repr(exact) == "<MDP 'mountain_race': 7 states, 6 state-action pairs, horizon 2, deterministic>"
    G.edges["start", "mountain", "up"]["prior"] = 0.5
    G.edges["start", "forest", "down"]["prior"] = 0.5
    m = from_graph(G)
    assert not m.exact and m.float_inputs
    assert repr(m) == ("<MDP 'mountain_race': 7 states, 6 state-action pairs, horizon 2, deterministic, "
                       "inexact (float inputs)>")
    assert repr(exact.substitute({})) == repr(exact)


def test_from_arrays_floats():
    kw = dict(state_ptr=[0, 2, 2, 2], pair_ptr=[0, 1, 2], edge_target=[1, 2])
    objs = pc.MDP.from_arrays(**kw, edge_prob=[1, 1], prior=np.array([0.5, 0.5], dtype=object),
                              likelihood=[1, R(1, 4)], initial=[1, 0, 0])
    assert objs.float_inputs and repr(objs).endswith("inexact (float inputs)>")
    # float64 arrays: the fast path's number type is the caller's explicit choice
    f64 = pc.MDP.from_arrays(**kw, edge_prob=np.ones(2), prior=np.array([0.5, 0.5]),
                             likelihood=np.array([1.0, 0.25]), initial=np.array([1.0, 0, 0]))
    assert not f64.exact and not f64.float_inputs


def test_case_file_floats_are_marked():
    m = _load(MR.replace('prior = "1/2"', "prior = 0.5")).mdp
    assert not m.exact and "inexact (float inputs)" in repr(m)


# ---------------------------------------------------------------- infinities

def test_reward_minus_infinity_means_q_zero():
    text = MR.replace('next = "chasm"\nprior = "1/2"', 'next = "chasm"\nprior = "1/2"\nreward = "-oo"')
    m = _load(text).mdp
    assert m.likelihood[m.pair("mountain", "down")] == 0
    m = _load(MR.replace('next = "chasm"\nprior = "1/2"', 'next = "chasm"\nprior = "1/2"\nreward = -inf')).mdp
    assert m.likelihood[m.pair("mountain", "down")] == 0
    for value in ("-oo", -sp.oo, float("-inf"), " - oo"):
        G = mountain_race_graph()
        G.edges["mountain", "chasm", "down"]["reward"] = value
        m = from_graph(G)
        assert m.likelihood[m.pair("mountain", "down")] == 0 and m.exact


@pytest.mark.parametrize("key,value", [("reward", '"oo"'), ("q", '"-oo"'), ("prior", '"oo"')])
def test_other_infinities_stay_errors(key, value):
    text = MR.replace('next = "chasm"\nprior = "1/2"', f'next = "chasm"\nprior = "1/2"\n{key} = {value}')
    if key == "prior":
        text = MR.replace('next = "chasm"\nprior = "1/2"', f'next = "chasm"\nprior = {value}')
    msg = _error(text)
    assert f"states.mountain.actions.down.{key}" in msg


def test_expect_accepts_infinities():
    text = MR.replace('next = "chasm"\nprior = "1/2"', 'next = "chasm"\nprior = "1/2"\nreward = "-oo"')
    text = text.replace("[expect]", '[expect]\n"J(prior)" = "-oo"\n"J(uniform)" = "- oo"\n"S(prior)" = "oo"')
    case = _load(text)
    values = {q.text: v for q, v in case.expectations}
    assert values["J(prior)"] == -sp.oo and values["J(uniform)"] == -sp.oo and values["S(prior)"] == sp.oo
    results = {e.quantity: e for e in check_expectations(case)}
    assert results["J(prior)"].ok is True and results["S(prior)"].ok is False


# ---------------------------------------------------------------- writing case files back

def test_dump_case_declares_every_terminal_and_unreachable_states():
    G = mountain_race_graph()
    m = from_graph(G)
    text = pc.dump_case(m)
    assert '[states.gold]\nsuccess = "1"' in text and "allow_unreachable" not in text
    assert pc.loads_case(text).mdp.n_states == m.n_states
    G.add_edge("island", "gold", key="swim", prior="1")
    with pytest.warns(UnreachableStateWarning):
        m = from_graph(G)
    text = pc.dump_case(m)
    assert "allow_unreachable = true" in text
    with pytest.warns(UnreachableStateWarning):
        assert pc.loads_case(text).mdp.n_states == m.n_states


# ---------------------------------------------------------------- through the CLI

def _verify(path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "proofcheck", "verify", str(path)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("old,new,needles", [
    ('next = "mountain"', 'next = "mountian"',
     ["states.start.actions.up.next", "'mountian'", "did you mean 'mountain'"]),
    ("[states.gold]", "[states.glod]", ["states.mountain.actions.up.next", "'gold'", "did you mean 'glod'"]),
])
def test_cli_exit_2_with_one_line(tmp_path, old, new, needles):
    f = tmp_path / "typo.toml"
    f.write_text(MR.replace(old, new))
    r = _verify(f)
    assert r.returncode == 2, r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("proofcheck: error:"), r.stderr
    assert "Traceback" not in r.stderr and str(f) in lines[0]
    for needle in needles:
        assert needle in lines[0]
