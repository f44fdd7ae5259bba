"""The benchmark script runs (no timing assertions) and its baselines compute the right things."""

import math
import os
import subprocess
import sys

import pytest
import sympy as sp

from proofcheck.cli.bench import (BenchmarkMismatch, enumeration_goal_condition, format_table,
                                  machine_info, plain_python_kernels, run_benchmarks)
from proofcheck.engine import goal_condition
from proofcheck.examples import mountain_race, stochastic_counterexample
from proofcheck.sweeps import random_tree_mdp

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_enumeration_baseline_reproduces_the_paper():
    # Example 1: pi_1(up | start) = 2/5 (printed); mountain: up succeeds, down never
    m = mountain_race()
    vals, n = enumeration_goal_condition(m)
    assert n == 4
    assert vals[m.pair("start", "up")] == sp.Rational(2, 5)
    assert vals[m.pair("mountain", "up")] == 1 and vals[m.pair("mountain", "down")] == 0
    assert vals[m.pair("forest", "up")] == sp.Rational(1, 2)
    # Example 3 (stochastic): re-training's first step gives 5/11 for a1
    s = stochastic_counterexample()
    vals, _ = enumeration_goal_condition(s)
    assert vals[s.pair("start", "a1")] == sp.Rational(5, 11)


def test_enumeration_baseline_keeps_the_prior_where_success_is_impossible():
    import networkx as nx
    from proofcheck import from_graph
    G = nx.MultiDiGraph(initial="s")
    G.add_edge("s", "x", key="a", prior="1/3")
    G.add_edge("s", "y", key="b", prior="2/3")
    G.nodes["x"]["success"] = 0
    G.nodes["y"]["success"] = 0
    m = from_graph(G)
    vals, _ = enumeration_goal_condition(m)
    assert list(vals) == [sp.Rational(1, 3), sp.Rational(2, 3)]


def test_enumeration_baseline_has_no_marginals_at_unreachable_states():
    import networkx as nx
    from proofcheck import from_graph
    G = nx.MultiDiGraph(initial="s")
    G.add_edge("s", "u", key="a", prior="0")
    G.add_edge("s", "v", key="b", prior="1")
    G.add_edge("u", "x", key="c", prior="1/2")
    G.add_edge("u", "y", key="d", prior="1/2")
    G.nodes["y"]["success"] = "1/3"
    m = from_graph(G)
    vals, n = enumeration_goal_condition(m)
    assert n == 3
    # u is never visited: enumeration has nothing to say there; DP still defines G(p)(.|u)
    assert vals[m.pair("u", "c")] is None and vals[m.pair("u", "d")] is None
    assert vals[m.pair("s", "a")] == 0 and vals[m.pair("s", "b")] == 1
    assert goal_condition(m)["u"] == {"c": sp.Rational(3, 4), "d": sp.Rational(1, 4)}


@pytest.mark.parametrize("T,A,seed", [(3, 2, 0), (2, 3, 5), (4, 2, 9)])
def test_enumeration_equals_exact_dp_on_random_trees(T, A, seed):
    m = random_tree_mdp(T, A, seed, stochastic=0.5)
    vals, _ = enumeration_goal_condition(m)
    assert list(vals) == list(goal_condition(m).values)


def test_plain_python_kernels_by_hand():
    # mountain race with float numbers: Zv(start) = 1/2 * 1/2 + 1/2 * 3/4 = 5/8
    m = mountain_race()
    prior, soft, g_step, kappa = plain_python_kernels(m)
    zq, zv = soft()
    assert zv["start"] == 0.625 and zq[("start", "down")] == 0.75
    g = g_step()
    assert g[("start", "up")] == pytest.approx(0.4, abs=1e-15)
    # kappa_1 of the naive policy G(p): at the start G = (2/5, 3/5) but its own soft Q gives
    # Zq(up) = 1 (mountain then surely up), Zq(down) = 3/4, so Boltzmann = (4/7, 3/7)
    expected = 0.4 * math.log(0.4 / (4 / 7)) + 0.6 * math.log(0.6 / (3 / 7))
    assert kappa(g) == pytest.approx(expected, rel=1e-14)


def test_machine_info_and_table_format():
    info = machine_info()
    assert info["cores"] >= 1 and info["python"].startswith("3.")
    text = format_table([], info, quick=True, seconds=0.0, command="x")
    assert "numpy" in text and "sympy" in text and "all agreement checks passed" in text


def test_missing_modules_give_not_available_rows(monkeypatch):
    # None in sys.modules makes the import fail as if the module were not there
    monkeypatch.setitem(sys.modules, "proofcheck.model.generators", None)
    rows = run_benchmarks(quick=True, sections=["float"])
    assert len(rows) == 1 and rows[0].check.startswith("not available (module proofcheck.model.generators")


def test_a_disagreeing_baseline_voids_the_benchmark(monkeypatch):
    import proofcheck.cli.bench as bench

    def wrong(mdp):
        vals, n = enumeration_goal_condition(mdp)
        vals[0] = vals[0] + sp.Rational(1, 10**9)
        return vals, n
    monkeypatch.setattr(bench, "enumeration_goal_condition", wrong)
    with pytest.raises(BenchmarkMismatch, match="exact DP and enumeration differ"):
        run_benchmarks(quick=True, sections=["exact"])


def test_benchmark_script_runs_quick():
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "run.py"), "--quick"],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout
    assert "all agreement checks passed" in out
    assert "MISMATCH" not in out + proc.stderr
    # every section has its rows, each either measured or saying why not
    for T in (2, 3, 4):
        for A in (2, 3):
            assert f"| random tree T={T} A={A} |" in out
    for label in ("parametric tree (exact)", "| soft values |", "| G step |", "| kappa_delta |",
                  "mpmath 50 digits"):
        assert label in out
    assert out.count("identical pi_1") + out.count("skipped") + out.count("not available") >= 6
    assert "cores" in out and "Python" in out and "numpy" in out and "sympy" in out


def test_cli_bench_subcommand(capsys):
    from proofcheck.cli import main
    assert main(["bench", "--quick", "--section", "exact"]) == 0
    out = capsys.readouterr().out
    assert "`proofcheck bench --quick --section exact`" in out
    assert out.count("identical pi_1") == 8  # 6 random trees, 2 layered DAGs
    assert "| layered DAG T=6 A=3 width 4 |" in out
