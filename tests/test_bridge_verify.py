"""`verify` and `report` on BRIDGE .npz files and sample folders: the rationalized
likelihoods, the precision stated in every verdict, and no wall-clock limit: a verdict
depends on the inputs and options only (the work budget, never the machine's speed)."""

import json
import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from proofcheck.cli import main
from proofcheck.engine.soft_values import success_probability
from proofcheck.io.bridge import bridge_to_mdp, save_npz

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT.parent / "shared" / "data" / "bridge"
FREEWAY = SAMPLES / "freeway_10_fs30"
needs_samples = pytest.mark.skipif(not FREEWAY.is_dir(), reason="BRIDGE samples not present")


def _simplest_by_search(x, tol):
    """The fraction with the smallest denominator within ``tol`` of ``x`` (brute force)."""
    for d in range(1, 10_000):
        n = round(x * d)
        for m in (n - 1, n, n + 1):
            if abs(m / d - x) <= tol:
                return Fraction(m, d)
    raise AssertionError("no fraction found")


def test_rationalized_likelihoods_and_success_by_hand():
    # state 0: a0 -> state 1 (reward 0), a1 ends (reward 1); state 1: both end, rewards 0 and 1.
    # Horizon 2.  Shifts: c_1 = 1; an end at t = 0 skips c_1, so c_0 = max(0, 1 - 1) = 0.
    # Shifted log-likelihoods: t=0: a0 0, a1 1 - 0 - 1 = 0; t=1: a0 -1, a1 0.
    tr, rw = np.array([[1, -1], [-1, -1]]), np.array([[0, 1], [0, 1]], dtype=np.float32)
    mdp, shifts = bridge_to_mdp((tr, rw), 2, numbers="rationalize", rationalize=1e-3)
    assert shifts == [0, 1]
    q = _simplest_by_search(math.exp(-1), 1e-3)
    assert q == Fraction(7, 19)
    assert sorted(map(str, set(mdp.likelihood))) == ["1", "7/19"]
    # S of the uniform prior: 1/2 * (1/2 * q + 1/2 * 1) + 1/2 * 1
    S = success_probability(mdp, mdp.prior_policy())
    assert S == Fraction(1, 4) * q + Fraction(1, 4) + Fraction(1, 2)


def test_npz_needs_a_horizon(tmp_path, capsys):
    f = tmp_path / "tiny.npz"
    save_npz(f, np.array([[1, -1], [-1, -1]]), np.array([[0, 1], [0, 1]], dtype=np.float32))
    assert main(["verify", str(f)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "give --horizon T" in err[0] and "not UTF-8" not in err[0]
    assert main(["verify", str(f), "--horizon", "2", "--rationalize", "0.7"]) == 2
    assert "--rationalize 0.7: give a tolerance in (0, 0.5)" in capsys.readouterr().err


def test_verify_tiny_npz_states_the_precision_in_every_verdict(tmp_path, capsys):
    f = tmp_path / "tiny.npz"
    save_npz(f, np.array([[1, -1], [-1, -1]]), np.array([[0, 1], [0, 1]], dtype=np.float32))
    assert main(["verify", str(f), "--horizon", "2", "--rationalize", "1e-3", "--json"]) in (0, 1)
    case = json.loads(capsys.readouterr().out)["cases"][0]["verify"]
    assert case["claims"] and all(r["summary"].startswith("[rationalized 0.001] ") for r in case["claims"])
    lines = case["sections"]["import"]["lines"]
    assert len(lines) == 1 and "rationalized within 0.001" in lines[0]
    assert "limits" not in case["sections"]
    # S(prior) = 1/4 * 7/19 + 3/4 = 16/19 starts the re-training sequence of P5.4 [S]
    p54 = next(r for r in case["claims"] if r["label"] == "P5.4 [S]")
    assert "16/19 ->" in p54["summary"]


@needs_samples
def test_verify_freeway_sample_json(capsys):
    code = main(["verify", str(FREEWAY), "--horizon", "4", "--json"])
    assert code in (0, 1)
    doc = json.loads(capsys.readouterr().out)
    case = doc["cases"][0]["verify"]
    assert case["model"]["horizon"] == 4 and case["model"]["exact"] is True
    verdicts = {r["label"]: r["verdict"] for r in case["claims"]}
    assert {"P4.2", "P4.10", "P5.4 [S]", "T5.9.B"} <= set(verdicts)
    assert set(verdicts.values()) <= {"holds", "fails", "undecided", "not-applicable"}
    assert all(r["summary"].startswith("[rationalized 1e-09] ") for r in case["claims"])
    assert "uniform prior" in case["source"] and "shifts c_t" in case["source"]


def test_there_is_no_time_limit_option(tmp_path, capsys):
    # a wall-clock limit made verdicts depend on the machine's load; it was removed
    f = tmp_path / "tiny.npz"
    save_npz(f, np.array([[1, -1], [-1, -1]]), np.array([[0, 1], [0, 1]], dtype=np.float32))
    with pytest.raises(SystemExit) as info:
        main(["verify", str(f), "--horizon", "2", "--time-limit", "30"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "unrecognized arguments: --time-limit 30" in err


def test_a_bridge_verdict_is_the_same_on_every_run(tmp_path, capsys):
    f = tmp_path / "tiny.npz"
    save_npz(f, np.array([[1, 2, -1], [-1, -1, -1], [-1, -1, -1]]),
             np.array([[0, 0, 1], [1, 0, 0], [0, 1, 0]], dtype=np.float32))

    def run():
        assert main(["verify", str(f), "--horizon", "2", "--json"]) in (0, 1)
        case = json.loads(capsys.readouterr().out)["cases"][0]["verify"]
        return [(r["label"], r["verdict"], r["summary"]) for r in case["claims"]]

    first = run()
    assert first == run() and len(first) > 20


@needs_samples
def test_report_accepts_a_bridge_sample(tmp_path, capsys):
    code = main(["report", str(FREEWAY), "--horizon", "3", "-o", str(tmp_path / "b"), "--no-pdf", "--quiet"])
    assert code == 0
    data = json.loads((tmp_path / "b.json").read_text())
    assert "freeway_10_fs30" in json.dumps(data)
    assert capsys.readouterr().out.strip().splitlines()[-2] == "1 case(s), 0 expectation(s): all hold"


@pytest.mark.slow
@needs_samples
def test_freeway_at_its_listed_horizon_finishes(capsys):
    # horizon 10 (the samples README): under a minute, every claim decided by work, not time
    # (P4.10 tests visited states by support reachability, not by the exact occupancy)
    assert main(["verify", str(FREEWAY), "--json"]) in (0, 1)
    case = json.loads(capsys.readouterr().out)["cases"][0]["verify"]
    assert case["model"]["horizon"] == 10
    verdicts = {r["label"]: r["verdict"] for r in case["claims"]}
    assert len(verdicts) >= 20 and verdicts["P4.10"] == "holds"
    assert verdicts["D.1"] == "not-applicable"


def test_horizon_names_a_misspelt_backend(tmp_path, capsys):
    f = tmp_path / "tiny.npz"
    save_npz(f, np.array([[1, -1], [-1, -1]]), np.array([[0, 1], [0, 1]], dtype=np.float32))
    assert main(["horizon", str(f), "--horizon", "2", "--backend", "mpmat"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--backend mpmat: unknown backend; did you mean 'mpmath'?" in err[0]
    assert main(["horizon", str(f), "--horizon", "2", "--check-backend", "mpmath:3"]) == 2
    assert "digits '3' must be a whole number from 5 to 10000" in capsys.readouterr().err
