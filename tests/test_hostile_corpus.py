"""Nothing a user types crashes proofcheck, hangs it or loses their results.

Each file of ``tests/corpus/`` reproduces one cause found by an attacker (its first line
says which); the rest are generated here (devices, FIFOs, folders with a bad file, sweep
options, Storm literals).  Every run goes through ``proofcheck.cli.main`` in-process and
must end with exit 0, 1 or 2, no traceback and one bounded line per error.  Inputs are
small, so each run is quick: the bounds are counts of work, never clocks.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
import sympy as sp

from proofcheck.cli import main

CORPUS = Path(__file__).parent / "corpus"
MAX_LINE = 1200  # one error line: the message is clipped to 1000 characters


def _run(capsys, argv):
    code = main(argv)
    out, err = capsys.readouterr()
    assert code in (0, 1, 2), (code, err)
    assert "Traceback" not in err and "Traceback" not in out
    for line in err.splitlines():
        assert len(line) <= MAX_LINE
    return code, out, err


# ---------------------------------------------------------------- refused inputs: bounds

@pytest.mark.parametrize("name, bound", [
    ("conventions_delta_float", "outside [1/1000, 1000]"),
    ("conventions_delta_exp", "outside [1/1000, 1000]"),
    ("expect_index_9999", "exceeds the limit of 1000"),
    ("expect_alpha_huge", "outside [1/1000, 1000]"),
    ("expect_delta_tiny", "outside [1/1000, 1000]"),
    ("reward_huge", "exceeds the limit of 10000"),
    ("cycle_horizon_1001", "exceeds the limit of 2000 unrolled states"),
])
def test_corpus_file_is_refused_with_its_bound(capsys, name, bound):
    code, out, err = _run(capsys, ["verify", str(CORPUS / f"{name}.toml")])
    assert code == 2
    assert bound in err
    assert err.startswith("proofcheck: error:")


def test_every_corpus_file_is_listed_here():
    known = {"conventions_delta_float", "conventions_delta_exp", "expect_index_9999",
             "expect_alpha_huge", "expect_delta_tiny", "reward_huge", "float_tie_c414",
             "storm_big_rationals", "cycle_horizon_1001"}
    assert {p.stem for p in CORPUS.glob("*.toml")} == known


# ---------------------------------------------------------------- files that never end

def test_dev_zero_is_refused_before_reading(capsys):
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero")
    code, _, err = _run(capsys, ["verify", "/dev/zero"])
    assert code == 2 and "not a regular file" in err


def test_fifo_is_refused_without_blocking(capsys, tmp_path):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    fifo = tmp_path / "case.toml"
    os.mkfifo(fifo)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    code, _, err = _run(capsys, ["verify", str(fifo)])
    assert code == 2 and "FIFO" in err


# ---------------------------------------------------------------- one bad file of three

def test_folder_with_one_bad_file_keeps_the_good_results(capsys, tmp_path):
    good = (Path(__file__).parent.parent / "cases" / "stochastic_counterexample.toml").read_text()
    (tmp_path / "a_good.toml").write_text(good)
    (tmp_path / "b_bad.toml").write_text((CORPUS / "conventions_delta_exp.toml").read_text())
    (tmp_path / "c_good.toml").write_text(good.replace("stochastic_counterexample", "copy"))
    code, out, err = _run(capsys, ["verify", "--json", "--claim", "P5.2", str(tmp_path)])
    assert code == 2
    doc = json.loads(out)
    assert len(doc["cases"]) == 2
    assert [e["path"] for e in doc["errors"]] == [str(tmp_path / "b_bad.toml")]
    assert doc["exit_code"] == 2
    assert "b_bad.toml" in err and err.count("proofcheck: error:") == 1


def test_text_output_reports_each_file(capsys, tmp_path):
    good = (Path(__file__).parent.parent / "cases" / "stochastic_counterexample.toml").read_text()
    (tmp_path / "a.toml").write_text(good)
    (tmp_path / "b.toml").write_text("not = [valid")
    code, out, err = _run(capsys, ["verify", "--claim", "P5.2", str(tmp_path)])
    assert code == 2
    assert "1 case(s)" in out and "1 file(s) not verified" in out
    assert "b.toml" in err


# ---------------------------------------------------------------- no traceback, ever

def test_huge_integer_while_formatting_is_one_line(capsys, monkeypatch):
    import proofcheck.cli.verify as verify_cli

    def boom(*_a, **_k):  # what str() of a 5000-digit integer raises
        raise ValueError("Exceeds the limit (4300 digits) for integer string conversion; "
                         "use sys.set_int_max_str_digits() to increase the limit")
    monkeypatch.setattr(verify_cli, "verify_case", boom)
    code, _, err = _run(capsys, ["verify", str(CORPUS / "float_tie_c414.toml")])
    assert code == 2 and "more than" in err and "digits" in err
    assert len(err.strip().splitlines()) == 1


def test_unexpected_exception_is_exit_2_not_1(capsys, monkeypatch):
    import proofcheck.cli.verify as verify_cli

    def boom(*_a, **_k):
        raise KeyError("x" * 100_000)
    monkeypatch.setattr(verify_cli, "find_case_files", boom)
    code, _, err = _run(capsys, ["verify", "whatever.toml"])
    assert code == 2 and "internal error" in err and "KeyError" in err


def test_describe_failure_never_calls_str_of_a_huge_int():
    from proofcheck.cli.verify import describe_failure
    line = describe_failure(OverflowError("too many digits in integer"))
    assert "digits" in line and len(line) < 400


# ---------------------------------------------------------------- honest verdicts on floats

def test_float_tie_makes_the_verdict_undecided(capsys):
    code, out, err = _run(capsys, ["verify", "--json", "--claim", "C4.14", str(CORPUS / "float_tie_c414.toml")])
    assert code == 0
    rows = {c["label"]: c for c in json.loads(out)["cases"][0]["verify"]["claims"]}
    j = rows["C4.14 [J]"]
    assert j["verdict"] == "undecided"
    assert "rounding of the float inputs" in j["summary"]


def test_float_readings_of_the_tie():
    from proofcheck.io.casefile import float_readings, load_case
    case = load_case(CORPUS / "float_tie_c414.toml")
    readings = float_readings(case)
    assert set(readings) == {"simplest", "binary"}
    assert sp.Rational(2, 3) in list(readings["simplest"].likelihood)
    assert sp.Rational(0.6666666666666666) in list(readings["binary"].likelihood)
    assert float_readings(load_case(CORPUS.parent.parent / "cases" / "mountain_race.toml")) == {}


# ---------------------------------------------------------------- sweeps

def test_sweep_of_a_billion_tasks_is_refused(capsys):
    code, _, err = _run(capsys, ["sweep", "--per-family", "1000000000", "--workers", "1"])
    assert code == 2 and "exceeds the limit of 100000" in err


def test_sweep_dask_http_address_is_one_line(capsys):
    code, _, err = _run(capsys, ["sweep", "--dask", "http://example.invalid:8786"])
    assert code == 2 and "not a Dask scheduler scheme" in err


# ---------------------------------------------------------------- Storm export

def test_storm_export_writes_big_integers_as_exact_literals():
    from proofcheck.io.casefile import load_case
    from proofcheck.io.storm import check_prism_sums, export_prism
    case = load_case(CORPUS / "storm_big_rationals.toml")
    text = export_prism(case.mdp)
    assert f"{2 ** 70}.0" in text  # Storm reads p.0 exactly, a bare p only below 2**63
    assert check_prism_sums(text) == case.mdp.n_states + 2


def test_crosscheck_big_rationals_never_exit_1(capsys):
    code, out, err = _run(capsys, ["crosscheck", "--storm", str(CORPUS / "storm_big_rationals.toml")])
    assert code == 0, err
