"""The benchmark script runs (no timing assertions) and its baselines compute the right things."""

import importlib.util
import math
import os
import subprocess
import sys

import numpy as np
import pytest
import sympy as sp

from proofcheck.engine import goal_condition, incoherence, soft_values
from proofcheck.examples import mountain_race, stochastic_counterexample
from proofcheck.io.casefile import load_case
from proofcheck.model.generators import random_layered_mdp
from proofcheck.sweeps import random_tree_mdp

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _load_run():
    """benchmarks/run.py as a module (it puts benchmarks/ on sys.path for its baselines)."""
    spec = importlib.util.spec_from_file_location("_bench_run_under_test", os.path.join(ROOT, "benchmarks", "run.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


bench = _load_run()
import baselines  # noqa: E402  (benchmarks/, on sys.path once run.py is loaded)

BenchmarkMismatch = bench.BenchmarkMismatch
enumeration_goal_condition = baselines.enumeration_goal_condition
plain_python_kernels = baselines.plain_python_kernels
format_table, machine_info, run_benchmarks = bench.format_table, bench.machine_info, bench.run_benchmarks


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


def test_missing_storm_skips_the_ratio(monkeypatch):
    # None in sys.modules makes the import fail as if stormpy were not there
    monkeypatch.setitem(sys.modules, "stormpy", None)
    rows = run_benchmarks(quick=True, sections=["parametric"])
    assert len(rows) == 1 and rows[0].base.startswith("Storm not installed") and rows[0].ratio == ""


def test_dense_numpy_and_logsumexp_baselines_agree_with_the_engine():
    m = random_layered_mdp(200, 3, horizon=4, seed=3)
    G1 = goal_condition(m, backend="float")
    sv = soft_values(m, backend="float")
    kap = float(incoherence(m, G1, "boltzmann", delta=1, backend="float"))
    (soft, g_step, kappa), prior, levels = baselines.dense_numpy_kernels(m)
    _, zv = soft(prior)
    assert np.allclose(zv, sv.zv, rtol=1e-13, atol=0)
    g1 = [G1.values[L["pairs"]].reshape(L["prior"].shape) for L in levels]
    for L, g in zip(levels, g_step(prior)):
        assert np.allclose(g, G1.values[L["pairs"]].reshape(g.shape), rtol=0, atol=1e-14)
    assert kappa(g1) == pytest.approx(kap, rel=1e-12)
    lse = baselines.logsumexp_kernels(m)
    if lse is None:
        pytest.skip("scipy is not installed")
    (l_soft, l_g, l_kappa), lprior = lse
    assert np.allclose(np.exp(l_soft(lprior)[1]), sv.zv, rtol=1e-12, atol=0)
    with np.errstate(divide="ignore"):
        assert l_kappa([np.log(g) for g in g1]) == pytest.approx(kap, rel=1e-12)


def test_verify_hook_cases_load(tmp_path):
    (path,) = bench._float_case(str(tmp_path))
    m = load_case(path).mdp
    assert m.n_states == 7 and not m.exact  # floats, as the authors draw them
    assert load_case(bench._bandit_case(str(tmp_path))[0]).mdp.n_states == 4
    tree = load_case(bench._tree31_case(str(tmp_path))[0]).mdp
    assert tree.n_states == 31 and tree.is_parametric
    assert [h.target for h in bench.VERIFY_HOOKS] == [10.0, 5.0, 30.0, 3.0, None, None, None]  # the issue's, then tracked
    tree15 = load_case(bench._float_tree15_case(str(tmp_path))[0]).mdp
    assert tree15.n_states == 15 and not tree15.exact
    layered = load_case(bench._float_layered_case(str(tmp_path))[0]).mdp
    assert layered.n_states == 7 and not layered.deterministic and not layered.exact
    rows = [layered.prior[layered.state_ptr[i]:layered.state_ptr[i + 1]] for i in range(layered.n_states)]
    assert any(len(r) and sum(r) != 1 for r in rows)  # normalised in floating point: 1 within rounding
    # 6 states x 3 actions unrolled over 4 steps from float64 arrays: 1 + 6 * 4 states, read back
    # from its case file as the floats they were (not exact, sums 1 only within the tolerance)
    arrays = load_case(bench._arrays_case(str(tmp_path))[0]).mdp
    assert arrays.n_states == 25 and arrays.float_inputs and not arrays.deterministic


def test_markdown_table_has_the_readme_columns():
    rows = run_benchmarks(quick=True, sections=["import"])
    text = bench.format_markdown(rows, machine_info(), quick=True, seconds=1.0, command="x")
    assert "| what | size | proofcheck | baseline (same run) | ratio |" in text
    assert "import proofcheck" in text and "load average" in text


def test_a_disagreeing_baseline_voids_the_benchmark(monkeypatch):
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
                  "vs NumPy dense", "mpmath 50 digits", "import proofcheck", "load average",
                  "skipped in --quick"):
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


def test_verify_rows_judge_the_median_of_their_runs(monkeypatch, tmp_path):
    # scripted (rc, cpu, wall, stderr) per run: the target is judged on the median, the row
    # gives the range, a tracked row runs once and an error is not repeated
    script = {"target": [(0, 2.0, 2.1, ""), (0, 4.0, 4.1, ""), (1, 3.5, 3.6, "")],
              "lucky": [(0, 9.0, 9.0, ""), (0, 2.0, 2.0, ""), (0, 2.5, 2.6, "")],
              "tracked": [(0, 7.0, 7.0, "")],
              "broken": [(2, 0.5, 0.6, "proofcheck: error: bad case\n")]}
    calls = []

    def fake_run(cmd, timeout):
        label = cmd[-1]
        calls.append(label)
        return script[label][sum(c == label for c in calls) - 1]
    hooks = [bench.VerifyHook("target", lambda tmp: ["target"], 3.0),
             bench.VerifyHook("lucky", lambda tmp: ["lucky"], 3.0),
             bench.VerifyHook("tracked", lambda tmp: ["tracked"], None),
             bench.VerifyHook("broken", lambda tmp: ["broken"], 3.0)]
    monkeypatch.setattr(bench, "VERIFY_HOOKS", hooks)
    monkeypatch.setattr(bench, "_run_verify", fake_run)
    rows = []
    bench._bench_verify(False, rows, lambda *a: None)
    got = {r.case: (r.ours, r.ratio) for r in rows}
    assert got["target"] == ("3.50 s CPU (median of 3: 2.00 s to 4.00 s), 3.60 s wall (exit 1)", "NOT MET")
    assert got["lucky"][1] == "MET" and got["lucky"][0].startswith("2.50 s CPU (median of 3")
    assert got["tracked"] == ("7.00 s CPU, 7.00 s wall (exit 0)", "tracked")
    assert got["broken"][1] == "NOT MET (exit 2: error)"
    assert calls.count("broken") == 1 and calls.count("tracked") == 1
