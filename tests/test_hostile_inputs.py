"""Hostile inputs: the loader and the graph constructor end in a model or a ProofcheckError.

Never another exception type, never a hang (each example is bounded by an alarm and by
hypothesis's deadline), never code execution.
"""

import subprocess
import sys
import warnings
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import proofcheck as pc
from proofcheck.fuzzing import hostile
from proofcheck.fuzzing.search import _time_limit, _Timeout

ROOT = Path(__file__).resolve().parents[1]
# the default suite is reproducible (derandomized); the slow run explores fresh inputs
FAST = settings(max_examples=200, deadline=timedelta(seconds=5), database=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])
LONG = settings(FAST, max_examples=2000, derandomize=False)
PER_EXAMPLE_SECONDS = 10


@contextmanager
def _bounded(seconds=PER_EXAMPLE_SECONDS):
    """Fail (not hang) when one input takes longer than ``seconds``."""
    try:
        with _time_limit(seconds):
            yield
    except _Timeout:
        pytest.fail(f"an input took longer than {seconds} s")


def _model_or_error(load, arg):
    """``load(arg)``, or the ProofcheckError it raised (with a one-line message)."""
    with _bounded(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return load(arg)
        except pc.ProofcheckError as exc:
            msg = str(exc)
            assert msg and "\n" not in msg, repr(msg)
            return exc


def _load_text(text):
    """Case or ProofcheckError with a one-line message; anything else fails the test."""
    case = _model_or_error(pc.loads_case, text)
    if isinstance(case, pc.ProofcheckError):
        return case
    assert isinstance(case, pc.Case)
    assert isinstance(case.mdp, pc.MDP) and case.mdp.n_states >= 1
    return case


def _load_graph(G):
    mdp = _model_or_error(pc.from_graph, G)
    if isinstance(mdp, pc.ProofcheckError):
        return mdp
    assert isinstance(mdp, pc.MDP)
    return mdp


@settings(FAST, max_examples=100)
@given(hostile.case_documents())
def test_loader_random_structures(doc):
    _load_text(hostile.to_toml(doc))


@FAST
@given(hostile.mutated_documents())
def test_loader_valid_documents_mutated_at_one_key(doc):
    _load_text(hostile.to_toml(doc))


@FAST
@given(hostile.toml_texts())
def test_loader_random_text(text):
    _load_text(text)


@settings(FAST, max_examples=50)
@given(hostile.deep_toml())
def test_loader_deep_nesting(text):
    _load_text(text)


@settings(FAST, max_examples=100)
@given(hostile.hostile_graphs())
def test_graph_constructor_hostile_graphs(G):
    _load_graph(G)


@settings(FAST, max_examples=100)
@given(st.sampled_from(["prior", "q", "reward", "prob"]),
       st.one_of(hostile.hostile_values(6), st.sampled_from([[[[[[1]]]]], {"a": {"b": {}}}])))
def test_graph_constructor_wrong_attribute_types(attr, value):
    G = nx.MultiDiGraph(initial="s")
    G.add_edge("s", "t", key="a", prior="1/2")
    G.add_edge("s", "u", key="b", prior="1/2")
    G.edges["s", "t", "a"][attr] = value
    _load_graph(G)


@pytest.mark.slow
@LONG
@given(st.one_of(hostile.case_documents().map(hostile.to_toml), hostile.mutated_documents().map(hostile.to_toml),
                 hostile.toml_texts(), hostile.deep_toml()))
def test_slow_loader_fresh_random_inputs(text):
    _load_text(text)


@pytest.mark.slow
@LONG
@given(hostile.hostile_graphs())
def test_slow_graph_constructor_fresh_random_inputs(G):
    _load_graph(G)


def test_graph_constructor_deeply_nested_value():
    deep = []
    for _ in range(5000):
        deep = [deep]
    G = nx.MultiDiGraph(initial="s")
    G.add_edge("s", "t", key="a", prior=deep)
    assert isinstance(_load_graph(G), pc.ModelError)


def test_found_bugs_stay_fixed():
    # a TOML integer above Python's 4300-digit conversion limit raised ValueError
    assert isinstance(_load_text("x = " + "9" * 5000), pc.CaseFileError)
    assert isinstance(_load_text('[states.s.actions.a]\nnext = "t"\nprior = ' + "9" * 5000),
                      pc.CaseFileError)
    # a small cyclic file with a large horizon unrolled to millions of edges (minutes)
    lines = ["[mdp]", "horizon = 10000", 'initial = "s0"']
    for i in range(30):
        for j in range(30):
            lines += [f"[states.s{i}.actions.a{j}]", f'next = "s{j}"', 'prior = "1/30"']
    err = _load_text("\n".join(lines))
    assert isinstance(err, pc.ModelError) and "edges" in str(err)
    # delta = 1e-400 loaded, then Zq**(1/delta) = Zq**(10**400) hung every Boltzmann claim
    err = _load_text('[conventions]\ndelta = "1e-400"\n[states.s.actions.a]\nnext = "t"\nprior = 1\n')
    assert isinstance(err, pc.CaseFileError) and "delta" in str(err)
    # parameters given as a string, unhashable actions: AttributeError / TypeError before
    G = nx.MultiDiGraph(parameters="p")
    G.add_edge("s", "t", key="a", prior=1)
    assert isinstance(_load_graph(G), pc.ModelError)
    G = nx.DiGraph()
    G.add_edge("s", "t", action=["a"], prior=1)
    assert isinstance(_load_graph(G), pc.ModelError)
    # cyclic graphs are unrolled before the initial state is checked: unknown or
    # unhashable initial states raised NetworkXError / KeyError / TypeError there
    for init in (0, "nowhere", ["s"], {"t": 1}):
        G = nx.DiGraph(horizon=3, initial=init)
        G.add_edge("s", "s", prior=1)
        assert isinstance(_load_graph(G), pc.ModelError), init
    # a newline in a state name made a multi-line message
    err = _load_text('[states."a\\nb".actions.x]\nnext = "t"\nprior = 1\n')
    assert isinstance(err, pc.CaseFileError) and "control characters" in str(err)


@pytest.mark.parametrize("injection", hostile.INJECTIONS)
def test_injection_strings_are_never_executed(injection, tmp_path):
    marker = tmp_path / "pwned"
    payload = injection.replace("/tmp/proofcheck_pwned", str(marker))
    for key in ("prior", "q", "reward"):
        doc = {"mdp": {"initial": "s"},
               "states": {"s": {"actions": {"a": {"next": "t", "prior": "1", key: payload}}}}}
        if key == "prior":
            doc["states"]["s"]["actions"]["a"]["prior"] = payload
        _load_text(hostile.to_toml(doc))
    doc = {"states": {payload or "x": {"actions": {payload or "a": {"next": payload or "t", "prior": 1}}}},
           "expect": {payload: "1/2"}, "case": {"title": payload}}
    _load_text(hostile.to_toml(doc))
    assert not marker.exists()


def _cli(path):
    return subprocess.run([sys.executable, "-m", "proofcheck", "verify", str(path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("text", [
    "x = " + "9" * 5000,
    '[states.s.actions.a]\nnext = "t"\nprior = "9**9**9"\n',
    '[states.s.actions.a]\nnext = "t"\nprior = "__import__(\'os\').system(\'id\')"\n',
    '[states.s.actions.a]\nnext = "t"\nprior = 1\n[expect]\n"verdict(P4.2)" = "maybe"\n',
])
def test_cli_exit_2_one_line_no_traceback(text, tmp_path):
    f = tmp_path / "hostile.toml"
    f.write_text(text, encoding="utf-8")
    res = _cli(f)
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr and "Traceback" not in res.stdout
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("proofcheck: error:"), res.stderr


def test_a_cycle_through_a_state_named_newline_is_reported_on_one_line():
    # found by test_slow_graph_constructor_fresh_random_inputs: the cycle's path printed raw names
    G = nx.DiGraph()
    G.add_edge("\n", "b")
    G.add_edge("b", "\n")
    with pytest.raises(pc.ModelError) as err:
        pc.from_graph(G)
    assert "\n" not in str(err.value) and "(\\n -> b -> \\n)" in str(err.value)
