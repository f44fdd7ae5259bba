"""`proofcheck verify`: exit codes, one-line errors, JSON, and the bundled expectations."""

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from proofcheck.claims import Verdict
from proofcheck.cli import main
from proofcheck.cli.verify import _exit_code, claim_counts, closing_line

ROOT = Path(__file__).resolve().parents[1]


def run(*args, cwd=ROOT):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "proofcheck", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_bundled_cases_verify_with_all_expectations():
    r = run("verify", "cases/mountain_race.toml", "cases/stochastic_counterexample.toml", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    cases = [c["verify"] for c in data["cases"]]  # the report's JSON shape
    by_case = {c["case"]: c for c in cases}
    mr = {e["quantity"]: e for e in by_case["mountain_race"]["expectations"]}
    assert mr["pi_1(up | start)"]["computed"] == "2/5"
    assert mr["pi_B[fixed](up | start)"]["computed"] == "4/7"
    sc = {e["quantity"]: e for e in by_case["stochastic_counterexample"]["expectations"]}
    assert [sc[q]["computed"] for q in ("pi_G[1](a1 | start)", "pi_G[2](a1 | start)",
                                        "pi_alpha[2](a1 | start)")] == ["5/11", "25/61", "7/17"]
    for c in cases:
        ids = {r["claim"] for r in c["claims"]}
        for cid in ("P4.2", "P4.3", "P4.7", "P4.8", "P4.10", "P4.16", "P5.2", "P5.4", "T5.9",
                    "T5.9.A", "T5.9.B", "T5.9.C"):
            assert cid in ids
        for res in c["claims"]:
            assert res["verdict"] in ("holds", "fails", "undecided", "not-applicable")
    verdicts = {r["label"]: r["verdict"] for r in by_case["stochastic_counterexample"]["claims"]}
    # the paper's own counterexample: temperature and re-training part ways
    assert verdicts["T5.9.C"] == "not-applicable"
    assert verdicts["T5.9.B"] == "holds"


def test_failed_expectation_exits_one(tmp_path):
    text = (ROOT / "cases/mountain_race.toml").read_text().replace('"pi_1(up | start)" = "2/5"',
                                                                   '"pi_1(up | start)" = "1/2"')
    f = tmp_path / "wrong.toml"
    f.write_text(text)
    r = run("verify", str(f))
    assert r.returncode == 1
    assert "MISMATCH" in r.stdout


def test_injection_is_rejected_and_nothing_runs(tmp_path):
    marker = tmp_path / "pwned"
    text = (ROOT / "cases/stochastic_counterexample.toml").read_text().replace(
        'prior = "1/2"', f"prior = \"__import__('os').system('touch {marker}')\"", 1)
    f = tmp_path / "evil.toml"
    f.write_text(text)
    r = run("verify", str(f))
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1
    assert "Traceback" not in r.stderr
    assert "states.start.actions.a1.prior" in r.stderr
    assert not marker.exists()


def test_transitions_summing_to_nine_tenths(tmp_path):
    text = (ROOT / "cases/stochastic_counterexample.toml").read_text().replace(
        'next = { s1 = "3/4", s2 = "1/4" }', 'next = { s1 = "3/4", s2 = "3/20" }')
    f = tmp_path / "short.toml"
    f.write_text(text)
    r = run("verify", str(f))
    assert r.returncode == 2
    assert "state 'start', action 'a1': transition probabilities sum to 9/10" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("args,needle", [
    (["verify", "no/such/file.toml"], "no such file or folder"),
    (["verify", "cases/mountain_race.toml", "--claim", "P9.9"], "unknown claim 'P9.9'"),
    (["verify"], "the following arguments are required"),
    (["verify", "cases/mountian_race.toml"],
     "cases/mountian_race.toml: no such file or folder; did you mean 'cases/mountain_race.toml'?"),
    (["verify", "cases/mountain_race.toml", "--jsn"], "unrecognized arguments: --jsn; did you mean '--json'?"),
    (["verify", "cases/mountain_race.toml", "--delta", "1/2"],
     "unrecognized arguments: --delta 1/2; --delta is a convention: set it in the case file's [conventions] "
     "table (delta = ...; see the README's Conventions)"),
    (["report", "cases/mountain_race.toml", "--fold-term=ratio"],
     "--fold-term is a convention: set it in the case file's [conventions] table (fold_term = ..."),
    (["fuzz", "--delta", "1/2"], "--delta is a convention: give it as --conventions delta=..."),
    (["sweep", "--k_max", "3"], "unrecognized arguments: --k_max 3; did you mean '--k-max'?"),  # its own option
    # argparse's choices: Python 3.11 names them and suggests none
    (["verfy", "cases/"], "; did you mean 'verify'?"),
    (["verify", "cases/", "--fail-on", "nevr"], "; did you mean 'never'?"),
])
def test_bad_invocations_exit_two(args, needle):
    r = run(*args)
    assert r.returncode == 2
    assert needle in r.stderr
    assert "Traceback" not in r.stderr


# ----------------------------------------------------------------- closing line and --fail-on

APPENDIX_D = str(ROOT / "cases" / "appendix_d.toml")


def _fake(verdicts, oks=(True,)):
    return SimpleNamespace(claims=[SimpleNamespace(verdict=Verdict(v)) for v in verdicts],
                           expectations=[SimpleNamespace(ok=o) for o in oks],
                           expectations_hold=all(o is True for o in oks))


def test_closing_line_counts_expectations_and_claims_apart():
    res = [_fake(["holds", "fails", "fails", "undecided", "not-applicable"], oks=[True] * 13)]
    line = closing_line(res)
    assert line == ("1 case(s); 13 expectation(s): all hold; "
                    "claims (5 verdicts): 2 FAIL, 1 undecided, 1 hold, 1 n/a")
    assert closing_line([_fake(["holds"], oks=[True, False, None])]).startswith(
        "1 case(s); 3 expectation(s): 1 MISMATCH, 1 undecided; claims (1 verdicts): 0 FAIL")
    assert claim_counts(res) == {"holds": 1, "fails": 2, "undecided": 1, "not-applicable": 1}


@pytest.mark.parametrize("verdicts,oks,fail_on,code", [
    (["holds", "fails"], [True], "never", 0),
    (["holds", "fails"], [True], "fails", 1),
    (["holds", "undecided"], [True], "fails", 0),
    (["holds", "undecided"], [True], "undecided", 1),
    (["holds", "fails"], [True], "undecided", 1),
    (["holds", "not-applicable"], [True], "undecided", 0),
    (["holds"], [False], "never", 1),
    (["holds"], [None], "never", 1),  # an undecided expectation is not a held one
])
def test_exit_codes(verdicts, oks, fail_on, code):
    assert _exit_code([_fake(verdicts, oks)], fail_on) == code


def test_fails_verdict_no_longer_followed_by_a_bare_all_hold(capsys):
    rc = main(["verify", APPENDIX_D, "--claim", "D.1"])
    out, err = capsys.readouterr()
    assert rc == 0 and err == ""
    last = out.strip().splitlines()[-1]
    assert last.startswith("1 case(s); 4 expectation(s): all hold; claims (")
    assert "1 FAIL" in last


def test_fail_on_fails_exits_one(capsys):
    rc = main(["verify", APPENDIX_D, "--claim", "D.1", "--fail-on", "fails", "--json"])
    out, err = capsys.readouterr()
    data = json.loads(out)
    assert rc == 1 and data["exit_code"] == 1 and data["expectations_hold"] is True
    assert data["claim_verdicts"]["fails"] == 1 and data["fail_on"] == "fails"


def test_fail_on_undecided_counts_undecided(capsys):
    # P5.2 is undecided on this model (it is not a witness of the existential claim)
    assert main(["verify", APPENDIX_D, "--claim", "P5.2", "--fail-on", "fails"]) == 0
    capsys.readouterr()
    assert main(["verify", APPENDIX_D, "--claim", "P5.2", "--fail-on", "undecided"]) == 1
    out, err = capsys.readouterr()
    assert "1 undecided" in out.strip().splitlines()[-1]
    assert "--fail-on undecided" in err and len(err.strip().splitlines()) == 1


def test_fail_on_is_documented_and_validated():
    r = run("verify", "--help")
    assert r.returncode == 0 and "--fail-on {never,fails,undecided}" in r.stdout
    assert "'never' (default)" in " ".join(r.stdout.split())
    r = run("verify", "cases/appendix_d.toml", "--fail-on", "sometimes")
    assert r.returncode == 2 and "invalid choice" in r.stderr and "Traceback" not in r.stderr


def test_verify_json_validates_against_the_published_schema():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((Path(__file__).parent.parent / "proofcheck" / "reports" / "schema.json").read_text())
    r = run("verify", "cases/stochastic_counterexample.toml", "--json", "--claim", "P4.2", "--claim", "T5.9.B")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    jsonschema.validate(doc, schema)
    assert doc["cases"][0]["verify"]["case"] == "stochastic_counterexample" and doc["errors"] == []


def test_budget_option_is_validated_and_threaded(capsys):
    assert main(["verify", "cases/mountain_race.toml", "--budget", "0"]) == 2
    assert "--budget 0 must be a positive number of steps" in capsys.readouterr().err
    assert main(["verify", "cases/mountain_race.toml", "--budget", "5000000", "--claim", "P4.2"]) == 0


def test_float_settings_in_a_case_file_are_exact(tmp_path):
    # delta = 0.1 was kept as a 15-digit SymPy Float: the exact route computed kappa in
    # floats and X.numeric FAILED against mpmath; a float parameter range crashed verify
    text = (ROOT / "cases" / "appendix_d.toml").read_text()
    assert 'delta = "1"' in text
    (tmp_path / "d.toml").write_text(text.replace('delta = "1"', "delta = 0.1"))
    bandit = (ROOT / "cases" / "parametric_prior.toml").read_text()
    assert 'p = { min = "0", max = "1" }' in bandit
    (tmp_path / "b.toml").write_text(bandit.replace('p = { min = "0", max = "1" }', "p = { min = 0.25, max = 0.75 }"))
    r = run("verify", str(tmp_path / "d.toml"), str(tmp_path / "b.toml"), "--json")
    assert r.returncode == 0, r.stderr
    d, b = (c["verify"] for c in json.loads(r.stdout)["cases"])
    assert d["conventions"]["delta"] == "1/10" and b["model"]["parameters"] == {"p": ["1/4", "3/4"]}
    verdicts = {c["claim"]: c["verdict"] for c in d["claims"]}
    assert verdicts["X.numeric"] == "holds" and verdicts["X.reference"] == "holds"


def test_a_float_expectation_that_rounds_the_value_says_what_to_write(tmp_path):
    # the float 0.45454545454545453 is not 5/11: MISMATCH, as before, now with the fix
    text = (ROOT / "cases" / "stochastic_counterexample.toml").read_text()
    assert '"pi_G[1](a1 | start)" = "5/11"' in text and '"pi_G[2](a1 | start)" = "25/61"' in text
    text = text.replace('"pi_G[1](a1 | start)" = "5/11"', '"pi_G[1](a1 | start)" = 0.45454545454545453')
    text = text.replace('"pi_G[2](a1 | start)" = "25/61"', '"pi_G[2](a1 | start)" = 0.41')
    assert '"pi_alpha[2](a1 | start)" = "7/17"' in text
    text = text.replace('"pi_alpha[2](a1 | start)" = "7/17"', '"pi_alpha[2](a1 | start)" = 0.5')
    (tmp_path / "f.toml").write_text(text)
    r = run("verify", "-q", str(tmp_path / "f.toml"))
    assert r.returncode == 1, r.stderr
    lines = [line for line in r.stdout.splitlines() if "expectation pi_G" in line]
    assert lines[0].endswith('MISMATCH: expected 0.454545454545455, computed 5/11 (expected is a float (compared by '
                             'its binary value); the computed value rounds to the same double: write "5/11")')
    assert lines[1].endswith('computed 25/61 (expected is a float (compared by its binary value): write exact '
                             'values as strings, e.g. "1/3")')  # 0.41 is not 25/61 = 0.4098...
    alpha = next(line for line in r.stdout.splitlines() if "expectation pi_alpha" in line)
    assert alpha.endswith("MISMATCH: expected 0.500000000000000, computed 7/17")  # 0.5 is 1/2: no note
