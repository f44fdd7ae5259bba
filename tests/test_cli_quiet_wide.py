"""`verify` and `report` with --quiet (only what is not "holds", plus the closing line) and
--wide (nothing clipped)."""

from pathlib import Path

import pytest

from proofcheck.cli import main
from proofcheck.verify import load_case, verify_case

ROOT = Path(__file__).resolve().parents[1]
CASE = str(ROOT / "cases" / "stochastic_counterexample.toml")


@pytest.fixture(scope="module")
def summaries():
    """The claims' summaries as the library computes them (the reference for the CLI)."""
    res = verify_case(load_case(CASE), ["P4.3", "T5.9.B", "P4.16"], extensions=False)
    return {r.label: " ".join(r.summary.split()) for r in res.claims}


def _verdict_line(out, label):
    return next(line for line in out.splitlines() if line.split()[:1] == [label])


def test_wide_shows_a_long_evidence_line_complete(capsys, summaries):
    full = summaries["P4.3"]
    assert len(full) > 110  # the default table clips it
    assert main(["verify", CASE, "--claim", "P4.3"]) == 0
    clipped = _verdict_line(capsys.readouterr().out, "P4.3")
    assert clipped.endswith("...") and full not in clipped
    assert full[:60] in clipped
    assert main(["verify", CASE, "--claim", "P4.3", "--wide"]) == 0
    wide = _verdict_line(capsys.readouterr().out, "P4.3")
    assert wide.endswith(full) and not wide.endswith("...")


def test_quiet_keeps_what_does_not_hold_and_the_closing_line(capsys, summaries):
    args = ["verify", CASE, "--claim", "T5.9.B", "--claim", "P4.16"]
    assert main(args) == 0
    loud = capsys.readouterr().out
    assert _verdict_line(loud, "T5.9.B").split()[1] == "holds"
    closing = loud.strip().splitlines()[-1]
    assert closing.startswith("1 case(s); 3 expectation(s): all hold; claims (")
    assert main(args + ["--quiet"]) == 0  # exit code unchanged
    quiet = capsys.readouterr().out.strip().splitlines()
    assert quiet[-1] == closing
    assert not any("T5.9.B" in line for line in quiet)  # holds: left out
    fails = [line for line in quiet if " P4.16 FAILS " in line]
    assert len(fails) == 1 and fails[0].startswith("stochastic_counterexample: P4.16 FAILS")
    assert not any(line.startswith("==") or "conventions:" in line for line in quiet)
    # --fail-on still decides the exit code, quiet or not
    assert main(args + ["--quiet", "--fail-on", "fails"]) == 1
    assert "--fail-on fails" in capsys.readouterr().err


def test_quiet_wide_together(capsys, summaries):
    assert main(["verify", CASE, "--claim", "P4.3", "-q", "--wide"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[0] == f"stochastic_counterexample: P4.3 n/a {summaries['P4.3']}"
    assert len(out) == 2


def test_report_quiet_and_wide(tmp_path, capsys, summaries):
    stem = str(tmp_path / "r")
    code = main(["report", CASE, "--claim", "P4.3", "--claim", "T5.9.B", "-o", stem, "--no-pdf",
                 "--quiet", "--wide"])
    assert code == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[0] == f"stochastic_counterexample: P4.3 n/a {summaries['P4.3']}"
    assert not any("T5.9.B" in line for line in out)
    assert out[-2] == "1 case(s), 3 expectation(s): all hold"
    assert out[-1].startswith("wrote ") and (tmp_path / "r.json").exists()
