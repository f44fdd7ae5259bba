"""The discussion experiment: determinism from the seed, sane correlations, the generator."""

import json

import numpy as np
import pytest

from proofcheck.cli import main
from proofcheck.engine import goal_condition, incoherence
from proofcheck.engine.effective_horizon import effective_horizon, time_expand
from proofcheck.experiments.discussion import analyse_mdp, bootstrap_pearson, pearson, random_mdp, run_experiment

SMALL = dict(per_family=2, families=((2, 2), (3, 2), (2, 3)), bootstrap=200)


@pytest.fixture(scope="module")
def small():
    return run_experiment(seed=5, **SMALL)


def test_same_seed_same_json(small):
    again = run_experiment(seed=5, **SMALL)
    assert json.dumps(small, sort_keys=True) == json.dumps(again, sort_keys=True)
    other = run_experiment(seed=6, **SMALL)
    assert json.dumps(other["rows"]) != json.dumps(small["rows"])


def test_correlations_in_range_and_intervals_contain_estimate(small):
    corr = small["summary"]["correlations"] + small["summary"]["misalignment_vs_kappa_by_delta"]
    checked = 0
    for c in corr:
        if c["r"] is None:
            continue
        assert -1 <= c["r"] <= 1
        lo, hi = c["ci95"]
        assert -1 <= lo <= hi <= 1
        assert lo <= c["r"] <= hi
        checked += 1
    assert checked >= 3


def test_pearson_against_numpy():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=30), rng.normal(size=30)
    assert pearson(x, y) == pytest.approx(np.corrcoef(x, y)[0, 1], abs=1e-12)
    r, ci, used = bootstrap_pearson(x, x * 2 + 1, np.random.default_rng(1), 100)
    assert r == pytest.approx(1.0) and ci[0] == pytest.approx(1.0) and used == 100


def test_prefix_property_and_generator_shape():
    # the first MDP of a family is the same whatever the per-family count
    a = run_experiment(seed=3, per_family=1, families=((3, 2),), bootstrap=10)["rows"][0]
    b = run_experiment(seed=3, per_family=2, families=((3, 2),), bootstrap=10)["rows"][0]
    assert a == b
    m = random_mdp(4, 3, np.random.default_rng(1))
    # layers: 1, min(3, 4) = 3, min(9, 4) = 4, 4, plus the terminal
    assert m.n_states == 1 + 3 + 4 + 4 + 1 and m.n_pairs == 3 * (1 + 3 + 4 + 4)
    assert all(0 < float(q) <= 1 for q in m.likelihood)


def test_row_matches_engine_directly():
    # an independent recomputation of one row through the exact engine where feasible
    m = random_mdp(2, 2, np.random.default_rng(2))
    row = analyse_mdp(m)
    kappa = float(incoherence(m, goal_condition(m, backend="mpmath:30"), delta=1, backend="mpmath:30"))
    assert row["kappa_G1"] == pytest.approx(kappa, rel=1e-12)
    eh = effective_horizon(time_expand(m), "mpmath:40")
    assert row["H"] == pytest.approx(eh.H_float) and row["min_k"] == eh.min_k
    assert 0 <= row["misalignment"] <= 1


def test_cli_writes_json(tmp_path, capsys):
    out = tmp_path / "e.json"
    rc = main(["experiment", "--seed", "1", "--per-family", "1", "--bootstrap", "20", "-o", str(out)])
    assert rc == 0
    data = json.loads(out.read_text())
    assert data["schema"] == "proofcheck.discussion/1" and len(data["rows"]) == 7
    text = capsys.readouterr().out
    assert "-0.016" in text and "+0.320" in text
    assert main(["experiment", "--seed", "1", "--per-family", "0"]) == 2


@pytest.mark.parametrize("argv, fragment", [
    (["experiment", "--seed", "-1", "--per-family", "1"], "--seed -1"),
    (["experiment", "--seed", "0", "--per-family", "1", "--bootstrap", "-1"], "--bootstrap -1"),
    (["experiment", "--seed", "0", "--per-family", "1", "--bootstrap", "5", "-o", "{tmp}/no/x.json"], "-o "),
    (["horizon", "cases/mountain_race.toml", "--check-backend", "mpmath:x"], "--check-backend mpmath:x"),
    (["horizon", "cases/mountain_race.toml", "--backend", "interval:0"], "--backend interval:0"),
    (["horizon", "cases/mountain_race.toml", "--backend", "interval:30"], "exact ties"),
    (["horizon", "cases/mountain_race.toml", "--tolerance", "nan"], "--tolerance nan"),
    (["horizon", "cases/mountain_race.toml", "--tolerance", "-1"], "--tolerance -1"),
    (["horizon", "cases/mountain_race.toml", "--gorp-runs", "-1"], "--gorp-runs -1"),
    (["crosscheck", "--storm", "cases/mountain_race.toml", "-o", "{tmp}/no/x.prism"], "-o "),
    (["crosscheck", "--storm", "cases/mountain_race.toml", "-o", "{tmp}"], "-o "),
    # without --storm: the command to run and where the backend agreement is
    (["crosscheck", "cases/mountain_race.toml"], "proofcheck crosscheck cases/mountain_race.toml --storm (the model "
                                                 "checker Storm, the one available; the agreement of proofcheck's own "
                                                 "backends is part of proofcheck verify)"),
    (["report", "cases/mountain_race.toml", "--no-pdf", "-o", "{tmp}/dir"], "dir.tex is a folder"),
    (["sweep", "--k-max", "0", "--workers", "1"], "k_max = 0"),
    (["sweep", "--claims", "", "--discussion", "1", "--seed", "-1", "--workers", "1"], "--seed -1"),
])
def test_cli_bad_option_values_exit_2_one_line(argv, fragment, tmp_path, capsys):
    (tmp_path / "dir.tex").mkdir()  # the report's .tex path is taken by a folder
    rc = main([a.replace("{tmp}", str(tmp_path)) for a in argv])
    err = capsys.readouterr().err
    assert rc == 2 and fragment in err and len(err.strip().splitlines()) == 1, err
