"""``proofcheck fuzz`` and the counterexample search behind it."""

import subprocess
import sys
from pathlib import Path

import pytest

from proofcheck import dump_case, load_case, loads_case
from proofcheck.claims.registry import Verdict, run_claim
from proofcheck.cli import main
from proofcheck.fuzzing import search_claim
from proofcheck.fuzzing.search import case_filename, fuzz_strategy, parse_conventions
from proofcheck.verify.case import check_expectations

ROOT = Path(__file__).resolve().parents[1]
POSTERIOR = parse_conventions(["fold_term=posterior", "k_max=3"])


def test_search_finds_and_shrinks_the_posterior_fold_counterexample(tmp_path):
    # one-step models, so that the shrunk example can be checked by hand below
    st = search_claim("T5.9.B", examples=30, seed=1, conventions=POSTERIOR, out=tmp_path,
                      strategy=fuzz_strategy("any", depth=1))
    assert st.tried == 30 and sum(st.counts.values()) == 30
    assert st.counts["fails"] > 0 and st.reproduced is True
    m = st.counterexample
    # shrunk: all likelihoods 1, non-uniform prior, at most three actions
    assert m.horizon == 1 and m.n_states <= 4
    assert set(m.likelihood) == {1} and set(m.success) == {1} and len(set(m.prior)) > 1
    # by hand: G keeps the prior (every Zq = 1); the posterior fold turns r_1 = log pi^F_1 =
    # log p into pi^F_2 ∝ p * p, so the first difference is at k = 2 with p^2 / sum(p^2)
    cex = run_claim("T5.9.B", m, POSTERIOR).counterexample
    prior = m.prior_policy()[cex["state"]]
    pa = prior[cex["action"]]
    assert cex["k"] == 2 and cex["pi^G_k"] == pa
    assert cex["pi^F_k"] == pa ** 2 / sum(x ** 2 for x in prior.values())
    path = Path(st.path)
    assert path.name == "T5.9.B-any-seed1-k_max=3.toml"  # posterior is the default (as printed)
    case = load_case(path)
    assert [e.ok for e in check_expectations(case)] == [True]
    assert case.conventions.fold_term == "posterior"


def test_search_is_reproducible_from_its_seed():
    a = search_claim("P4.16", examples=25, seed=5)
    b = search_claim("P4.16", examples=25, seed=5)
    assert a.counts == b.counts
    assert (a.counterexample is None) == (b.counterexample is None)
    if a.counterexample is not None:
        assert dump_case(a.counterexample) == dump_case(b.counterexample)


def test_not_applicable_is_not_a_counterexample():
    st = search_claim("T5.9.C", regime="stochastic", examples=20, seed=3)
    assert st.counts["not-applicable"] == 20 and st.counterexample is None
    st = search_claim("T5.9.C", regime="stochastic", examples=20, seed=3, beyond_hypothesis=True)
    if st.na_conclusion_fails:
        assert st.counterexample is not None
        assert run_claim("T5.9.C", st.counterexample, None).verdict == Verdict.NOT_APPLICABLE


def test_case_filenames_are_deterministic():
    assert case_filename("P5.4", "return", "any", 1, parse_conventions([])) == "P5.4-J-any-seed1.toml"
    assert case_filename("P4.16", None, "stochastic", 0, parse_conventions(["delta=1/2"])) == \
        "P4.16-stochastic-seed0-delta=1_2.toml"


def test_cli_fuzz_writes_cases_that_verify_reproduces(tmp_path, capsys):
    rc = main(["fuzz", "--claim", "P4.16", "--regime", "stochastic", "--examples", "30",
               "--seed", "1", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert rc == 0
    assert ("conventions: impossible=keep, fold_term=posterior, h_indexing=one-is-first-conditioned, delta=1, "
            "argmax_ties=uniform, objectives=['return', 'success'], k_max=10") in out.splitlines()  # the defaults used
    row = next(line for line in out.splitlines() if line.startswith("P4.16"))
    cells = row.split()
    tried, holds, fails, undec, na = map(int, cells[1:6])
    assert tried == 30 and holds + fails + undec + na == 30 and fails > 0
    files = sorted(tmp_path.glob("*.toml"))
    assert [f.name for f in files] == ["P4.16-stochastic-seed1.toml"]
    text = files[0].read_text()
    assert '"verdict(P4.16)" = "fails"' in text
    case = loads_case(text)
    assert case.mdp.horizon == 1 and not case.mdp.deterministic and case.mdp.n_states <= 5
    res = subprocess.run([sys.executable, "-m", "proofcheck", "verify", str(files[0]), "--claim", "P4.16"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "verdict(P4.16)" in res.stdout and "fails" in res.stdout


def test_cli_json_statistics(tmp_path, capsys):
    import json
    rc = main(["fuzz", "--claim", "P4.2", "--examples", "10", "--seed", "2", "--json", "--no-write"])
    data = json.loads(capsys.readouterr().out)
    assert rc == 0 and data["claims"][0]["counts"]["holds"] == 10 and data["claims"][0]["tried"] == 10


@pytest.mark.parametrize("argv, fragment", [
    (["--claim", "P9.99"], "unknown claim 'P9.99'"),
    (["--conventions", "fold_term"], "write key=value"),
    (["--conventions", "fold_term=sideways"], "fold_term"),
    (["--conventions", "colour=red"], "unknown convention 'colour'"),
    (["--examples", "0"], "--examples 0"),
    (["--shrink-seconds", "30"], "use --shrink-budget N"),
    (["--shrink-budget", "-1"], "--shrink-budget -1"),
    (["--timeout", "0"], "--timeout 0"),
    # verify's bounds on a typed temperature (1e-40 made every Boltzmann claim hang)
    (["--conventions", "delta=1e-40"], "--conventions delta = 1e-40 is outside [1/1000, 1000]"),
])
def test_cli_bad_input_exit_2_one_line(argv, fragment, capsys):
    rc = main(["fuzz", "--no-write", "--examples", "1", *argv])
    err = capsys.readouterr().err
    assert rc == 2 and fragment in err and len(err.strip().splitlines()) == 1


def test_zero_shrink_budget_keeps_the_first_failure():
    # a spent budget must not drop the failure found in the statistics pass
    st = search_claim("P4.16", examples=30, seed=1, shrink_budget=0)
    assert st.counts["fails"] >= 1 and st.counterexample is not None
    assert st.shrink_candidates == 0 and st.shrink_steps == 0 and st.budget_spent
    assert run_claim("P4.16", st.counterexample, None).verdict == Verdict.FAILS


def test_shrink_budget_counts_candidates():
    small = search_claim("P4.16", examples=30, seed=1, shrink_budget=3)
    assert small.shrink_candidates == 3 and small.budget_spent
    full = search_claim("P4.16", examples=30, seed=1)
    assert 3 < full.shrink_candidates < full.shrink_budget and not full.budget_spent
    assert full.counterexample.n_states <= small.counterexample.n_states


def test_search_does_not_depend_on_the_clock(monkeypatch):
    # every clock jumps an hour per reading: a wall-clock limit anywhere (ours or
    # hypothesis's) would cut the search short and change the result
    reference = search_claim("P4.16", examples=30, seed=1, shrink_budget=20)
    import time as time_module
    ticks = [0.0]

    def clock():
        ticks[0] += 3600.0
        return ticks[0]

    monkeypatch.setattr(time_module, "perf_counter", clock)
    monkeypatch.setattr(time_module, "monotonic", clock)
    monkeypatch.setattr(time_module, "time", clock)
    jumped = search_claim("P4.16", examples=30, seed=1, shrink_budget=20)
    monkeypatch.undo()
    assert jumped.counts == reference.counts
    assert jumped.shrink_candidates == reference.shrink_candidates == 20
    assert dump_case(jumped.counterexample) == dump_case(reference.counterexample)


def test_cli_unwritable_out_exit_2_one_line(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    rc = main(["fuzz", "--claim", "P4.16", "--examples", "30", "--seed", "1", "--shrink-budget", "0",
               "--out", str(blocker)])
    err = capsys.readouterr().err
    assert rc == 2 and "--out" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("path", sorted((ROOT / "cases" / "found").glob("*.toml")), ids=lambda p: p.name)
def test_saved_counterexamples_reproduce(path):
    case = load_case(path)
    results = check_expectations(case)
    assert results and all(r.ok is True for r in results), [(r.quantity, r.computed) for r in results]


# ------------------------------------------------------------------ files are never lost
_P416 = ["fuzz", "--claim", "P4.16", "--regime", "stochastic", "--seed", "1"]


def _row_path(out):
    """The case file a run printed for P4.16 (the column after the seconds)."""
    row = next(line for line in out.splitlines() if line.startswith("P4.16"))
    return Path(row.split()[9])


def _snapshot(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_cli_same_seed_twice_with_force_writes_identical_files(tmp_path, capsys):
    assert main([*_P416, "--examples", "30", "--out", str(tmp_path / "a"), "--force"]) == 0
    first = _row_path(capsys.readouterr().out)
    assert main([*_P416, "--examples", "30", "--out", str(tmp_path / "b"), "--force"]) == 0
    assert main([*_P416, "--examples", "30", "--out", str(tmp_path / "b"), "--force"]) == 0
    out = capsys.readouterr().out
    assert "same text" in out  # the second run found its own file: nothing rewritten
    assert _snapshot(tmp_path / "a") == _snapshot(tmp_path / "b")
    assert [first.name] == list(_snapshot(tmp_path / "b"))
    # and without --force the repetition is recognised as well: still one file
    assert main([*_P416, "--examples", "30", "--out", str(tmp_path / "b")]) == 0
    assert _snapshot(tmp_path / "a") == _snapshot(tmp_path / "b")


def test_cli_never_overwrites_an_existing_case(tmp_path, capsys):
    # a committed case under the name the run will choose, with other content
    committed = (ROOT / "cases" / "found" / "P4.16-any-seed1.toml").read_bytes()
    taken = tmp_path / "P4.16-stochastic-seed1.toml"
    taken.write_bytes(committed)
    assert main([*_P416, "--examples", "30", "--out", str(tmp_path)]) == 0
    path = _row_path(capsys.readouterr().out)
    assert taken.read_bytes() == committed  # untouched
    assert path.name == "P4.16-stochastic-seed1-2.toml"
    case = loads_case(path.read_text())  # the printed file holds the counterexample
    assert [e.ok for e in check_expectations(case)] == [True]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([taken.name, path.name])  # no temporary file
    # --force replaces the file of the first name, atomically; the -2 file stays
    assert main([*_P416, "--examples", "30", "--out", str(tmp_path), "--force"]) == 0
    forced = _row_path(capsys.readouterr().out)
    assert forced == taken and taken.read_bytes() == path.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([taken.name, path.name])


def test_cli_runs_with_different_examples_or_budgets_keep_every_result(tmp_path, capsys):
    results = {}
    for argv in (["--examples", "30"], ["--examples", "12"], ["--examples", "30", "--shrink-budget", "0"]):
        before = _snapshot(tmp_path) if tmp_path.exists() else {}
        assert main([*_P416, *argv, "--out", str(tmp_path)]) == 0
        path = _row_path(capsys.readouterr().out)
        after = _snapshot(tmp_path)
        assert all(after[name] == data for name, data in before.items())  # nothing changed
        results[tuple(argv)] = path.read_bytes()
        assert loads_case(path.read_text()).mdp is not None
    # the unshrunk first failure differs from the shrunk one: both files are there
    assert results[("--examples", "30", "--shrink-budget", "0")] != results[("--examples", "30")]
    assert len(_snapshot(tmp_path)) == len(set(results.values())) >= 2


def test_a_hung_claim_run_stops_the_search_with_one_line(monkeypatch, capsys, tmp_path):
    # the hang guard, simulated without a clock: the first guarded run "times out"
    from contextlib import contextmanager

    from proofcheck.fuzzing import search

    @contextmanager
    def expired(seconds):
        if seconds:
            raise search._Timeout()
        yield

    monkeypatch.setattr(search, "_time_limit", expired)
    rc = main(["fuzz", "--claim", "P4.2", "--examples", "5", "--timeout", "7", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert rc == 1 and "ran longer than 7 s" in err and len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(search.SearchHang):
        search_claim("P4.2", examples=5, hang_seconds=7)
    assert search_claim("P4.2", examples=5).tried == 5  # no guard: nothing is timed
