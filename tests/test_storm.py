"""PRISM export (always) and the Storm cross-check (when stormpy is installed)."""

import re

import networkx as nx
import pytest
import sympy as sp

from proofcheck import load_case
from proofcheck.cli import main
from proofcheck.engine import retrain, success_probability
from proofcheck.errors import ConventionError
from proofcheck.io.casefile import loads_case
from proofcheck.io.storm import _parse_with_pow, _top_level_split, check_prism_sums, export_prism
from proofcheck.model.mdp import from_graph

CASES = ["cases/mountain_race.toml", "cases/stochastic_counterexample.toml", "cases/parametric_prior.toml"]


def _reach_success(text, parameters):
    """Solve P(F success) on the exported text by our own reading of it (backward in the
    state numbering, which is topological for a DAG export)."""
    symbols = {s.name: s for s in parameters}
    rows, init = {}, int(re.search(r"init (\d+);", text)[1])
    succ = int(re.search(r'label "success" = s=(\d+);', text)[1])
    for m in re.finditer(r"\[\] s=(\d+) -> (.*);", text):
        row = {}
        for part in _top_level_split(m[2]):
            prob, _, tgt = part.rpartition(" : ")
            row[int(re.search(r"\d+", tgt)[0])] = _parse_with_pow(prob, symbols)
        rows[int(m[1])] = row
    x = {s: sp.Symbol(f"x{s}") for s in rows}
    eqs = [sp.Eq(x[s], sum(p * x[t] for t, p in row.items())) for s, row in rows.items() if s != succ
           and row != {s: 1}]
    eqs += [sp.Eq(x[succ], 1)] + [sp.Eq(x[s], 0) for s, row in rows.items() if s != succ and row == {s: 1}]
    sol = sp.solve(eqs, list(x.values()), dict=True)[0]
    return sp.cancel(sol[x[init]])


@pytest.mark.parametrize("path", CASES)
def test_export_rows_sum_to_one_and_reach_success_with_S(path):
    m = load_case(path).mdp
    for pol in retrain(m, 2):
        text = export_prism(m, pol)
        assert text.startswith("dtmc")
        assert check_prism_sums(text, m.parameters) == m.n_states + 2
        ours = success_probability(m, pol)
        assert sp.cancel(_reach_success(text, m.parameters) - ours) == 0


def test_initial_distribution_gets_a_start_state():
    G = nx.MultiDiGraph(initial={"s": "1/4", "t": "3/4"})
    G.add_edge("s", "u", key="a", prior=1, q="1/2")
    G.add_edge("t", "u", key="a", prior=1)
    m = from_graph(G)
    text = export_prism(m)
    assert check_prism_sums(text) == m.n_states + 3
    assert _reach_success(text, {}) == success_probability(m) == sp.Rational(7, 8)  # 1/4 * 1/2 + 3/4


def test_non_rational_probabilities_are_refused():
    G = nx.MultiDiGraph(initial="s")
    G.add_edge("s", "u", key="a", prior=1, reward="-1")
    with pytest.raises(ConventionError, match="rational"):
        export_prism(from_graph(G))


def test_cli_without_stormpy_writes_the_file(tmp_path, monkeypatch, capsys):
    import proofcheck.io.storm as storm
    monkeypatch.setattr(storm, "have_stormpy", lambda: False)
    out = tmp_path / "m.prism"
    assert main(["crosscheck", "--storm", "cases/mountain_race.toml", "-o", str(out)]) == 0
    notice = capsys.readouterr().out.strip().splitlines()
    assert len(notice) == 1 and "stormpy is not installed" in notice[0]
    assert check_prism_sums(out.read_text()) == 9


def test_cli_bad_policy_exits_2(capsys):
    assert main(["crosscheck", "--storm", "cases/mountain_race.toml", "--policy", "pi_X[1]"]) == 2


@pytest.mark.parametrize("path", CASES)
def test_storm_agrees(path):
    pytest.importorskip("stormpy")
    from proofcheck.numerics.storm_check import crosscheck_storm
    m = load_case(path).mdp
    for pol in retrain(m, 1):
        res = crosscheck_storm(m, pol)
        assert res["equal"], (res["ours"], res["storm"])
        assert sp.cancel(res["storm"] - success_probability(m, pol)) == 0


def test_storm_cli(capsys):
    pytest.importorskip("stormpy")
    assert main(["crosscheck", "--storm", "cases/parametric_prior.toml", "--policy", "pi_G[2]"]) == 0
    assert "agree" in capsys.readouterr().out


def test_big_integers_are_exported_as_exact_literals():
    # Storm reads an integer literal as 64 bits (and rejects a larger one), but p.0 exactly
    from proofcheck.io.storm import int_text, text_int
    m = loads_case('[mdp]\ninitial = "s"\n[states.s.actions.a]\nnext = "t"\nprior = "1"\n'
                   'q = "2**70/(2**70+1)"\n[states.t]\nsuccess = "1/(3**100)"\n').mdp
    text = export_prism(m)
    assert f"({2 ** 70}.0/{2 ** 70 + 1}.0)" in text
    assert check_prism_sums(text) == 4
    assert text_int(int_text(7 ** 6000)) == 7 ** 6000  # beyond str()'s 4300-digit limit


def test_storm_agrees_on_big_rationals():
    pytest.importorskip("stormpy")
    from proofcheck.numerics.storm_check import crosscheck_storm
    m = loads_case('[mdp]\ninitial = "s"\n[states.s.actions.a]\nnext = { t = "1/3", u = "2/3" }\n'
                   'prior = "1"\nq = "2**70/(2**70+1)"\n[states.t]\nsuccess = "1/(3**100)"\n'
                   '[states.u]\nsuccess = "1/2"\n').mdp
    assert crosscheck_storm(m)["equal"]
