"""Nothing a user types loses their files or reaches the terminal raw.

* ``-o`` files of ``sweep``, ``experiment`` and ``crosscheck`` are checked before the work
  and written atomically: a kill or a Ctrl-C during the work leaves the old file intact;
* a report (``.tex``/``.json``/``.md``/``.pdf`` + manifest) is replaced as a set: after a
  kill at any step the folder holds the complete old set or (once the journal is rolled
  forward) the complete new one, never a mix;
* user strings printed on the terminal go through :func:`terminal_safe`.

No test depends on timing: kills happen at deterministic points (a line the process
prints, or the n-th file operation), never after a sleep.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from proofcheck import load_case
from proofcheck._text import _terminal_char
from proofcheck.cli import main
from proofcheck.cli._output import check_output, write_output
from proofcheck.errors import ProofcheckError
from proofcheck.reports import report as report_module
from proofcheck.reports.escape import terminal_safe
from proofcheck.reports.report import check_report, recover_report, write_report
from proofcheck.verify import verify_case

ROOT = Path(__file__).resolve().parents[1]
OLD = b'{"old": "results the user wants to keep"}\n'


# ------------------------------------------------------------------ terminal safety
@pytest.mark.parametrize("raw, shown", [
    ("\x1b[2J\x1b[Hgone", r"\x1b[2J\x1b[Hgone"),          # clear screen, cursor home
    ("\x1b]0;owned\x07", r"\x1b]0;owned\x07"),            # window title
    ("abc\rXYZ", r"abc\rXYZ"),                              # overwrite the line
    ("a\nfake line", r"a\nfake line"),
    ("x\u202eevil", r"x\u202eevil"),                        # right-to-left override
    ("zero\u200bwidth", r"zero\u200bwidth"),
    ("c1\x9bcontrol", r"c1\x9bcontrol"),
    ("back\\slash\x1b", r"back\\slash\x1b"),                # backslashes doubled when escaping
    ("plain C:\\path é ≤", "plain C:\\path é ≤"),           # printable text unchanged
    (None, ""),
])
def test_terminal_safe_escapes_control_characters(raw, shown):
    out = terminal_safe(raw)
    assert out == shown
    assert not any(ord(c) < 32 or 0x7f <= ord(c) < 0xa0 for c in out)


@given(st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from("\x1b\r\n\t\\\u202e\u00a0\u2028")))
def test_terminal_safe_is_the_per_character_escape(text):
    # the fast path (printable text as it is) against the rule itself, character by character
    escaped = [_terminal_char(ch, False) for ch in text]
    expected = ("".join("\\\\" if ch == "\\" else e for e, ch in zip(escaped, text))
                if escaped != list(text) else text)
    assert terminal_safe(text, limit=None) == expected


def test_terminal_safe_clips_with_the_size_stated():
    out = terminal_safe("x" * 100000)
    assert out.endswith("…(100000 characters)") and len(out) < 400
    assert terminal_safe("y" * 10, limit=10) == "y" * 10
    assert terminal_safe("y" * 11, limit=10) == "y" * 10 + "…(11 characters)"
    assert terminal_safe("a\nb", keep_newlines=True) == "a\nb"
    assert terminal_safe("z" * 1000, limit=None) == "z" * 1000


def test_fuzz_prints_a_hostile_out_folder_escaped(tmp_path, capsys):
    out = tmp_path / "evil\x1b[2Jdir"
    rc = main(["fuzz", "--claim", "P4.16", "--regime", "stochastic", "--examples", "30", "--seed", "1",
               "--shrink-budget", "0", "--out", str(out)])
    printed = capsys.readouterr().out
    assert rc == 0 and "\x1b" not in printed and r"evil\x1b[2Jdir" in printed


def test_crosscheck_prints_a_hostile_output_path_escaped(tmp_path, capsys):
    pytest.importorskip("proofcheck.io.storm")
    target = tmp_path / "m\x1b]0;owned\x07.prism"
    rc = main(["crosscheck", "--storm", str(ROOT / "cases" / "mountain_race.toml"), "-o", str(target)])
    captured = capsys.readouterr()
    assert rc in (0, 1) and target.exists()
    assert "\x1b" not in captured.out + captured.err and "\x07" not in captured.out + captured.err


# ------------------------------------------------------------------ -o: atomic, checked first
def test_write_output_interrupted_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "out.json"
    target.write_bytes(OLD)

    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_output(target, "new text\n")
    monkeypatch.undo()
    assert target.read_bytes() == OLD
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]  # no temporary file left
    write_output(target, "new text\n")
    assert target.read_text() == "new text\n" and sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


def test_write_output_follows_a_symlink_and_keeps_the_mode(tmp_path):
    real = tmp_path / "real.json"
    real.write_bytes(OLD)
    real.chmod(0o640)
    link = tmp_path / "link.json"
    link.symlink_to(real)
    write_output(link, "new\n")
    assert link.is_symlink() and real.read_text() == "new\n" and (real.stat().st_mode & 0o777) == 0o640


@pytest.mark.parametrize("make, fragment", [
    (lambda d: d / "missing" / "out.json", "no such folder"),
    (lambda d: d, "is a folder"),
])
def test_check_output_one_line_errors(tmp_path, make, fragment):
    with pytest.raises(ProofcheckError, match=fragment) as info:
        check_output(make(tmp_path))
    assert "\n" not in str(info.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def _must_not_run(*args, **kwargs):
    raise AssertionError("the work started although the output path is unwritable")


@pytest.mark.parametrize("argv, patch", [
    (["sweep", "--claims", "T5.9.B", "--families", "2x2", "--per-family", "1", "--workers", "1"],
     "proofcheck.cli.sweep.run_sweep"),
    (["experiment", "--seed", "0", "--per-family", "1", "--bootstrap", "10"],
     "proofcheck.cli.experiment.run_experiment"),
    (["crosscheck", "--storm", str(ROOT / "cases" / "mountain_race.toml")],
     "proofcheck.cli.crosscheck.load_case"),
])
def test_unwritable_output_fails_before_the_work(argv, patch, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(patch, _must_not_run)
    rc = main([*argv, "-o", str(tmp_path / "no" / "such" / "folder.json")])
    err = capsys.readouterr().err
    assert rc == 2 and "no such folder" in err and len(err.strip().splitlines()) == 1


def test_sweep_output_is_written_atomically_in_the_dump_results_format(tmp_path, capsys):
    from proofcheck.sweeps import dump_results
    target = tmp_path / "sweep.json"
    target.write_bytes(OLD)
    rc = main(["sweep", "--claims", "T5.9.B", "--families", "2x2", "--per-family", "1", "--seed", "3",
               "--k-max", "2", "--workers", "1", "-o", str(target)])
    assert rc == 0
    data = json.loads(target.read_text())
    dump_results(data, tmp_path / "reference.json")  # the library's own writer, same bytes
    assert target.read_bytes() == (tmp_path / "reference.json").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reference.json", "sweep.json"]


# A sweep far longer than the time it takes to read one line and send a signal: the kill
# lands during the work whatever the machine's speed.
_LONG_SWEEP = ["sweep", "--claims", "P5.4,T5.9.B,P4.2", "--deltas", "1/3,1/2,1,2,3",
               "--families", "3x3,4x3", "--per-family", "40", "--seed", "1", "--workers", "1"]


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "SIGINT"])
def test_killing_a_sweep_leaves_the_old_output_intact(tmp_path, sig):
    target = tmp_path / "sweep.json"
    target.write_bytes(OLD)
    # SIGINT as a foreground command receives it: a suite started in the background by a
    # non-interactive shell (`pytest &`) runs with SIGINT ignored, which every child inherits
    proc = subprocess.Popen([sys.executable, "-m", "proofcheck", *_LONG_SWEEP, "-o", str(target)],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        seen = []  # (warnings may come first) the line printed just before the first task
        while not (seen and seen[-1].startswith("sweep: running")):
            line = proc.stderr.readline()
            assert line, "the sweep ended before it started:\n" + "".join(seen)
            seen.append(line)
        proc.send_signal(sig)
        rest = proc.communicate(timeout=300)[1]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if sig == signal.SIGKILL:
        assert proc.returncode == -signal.SIGKILL, rest
    else:
        assert proc.returncode == 130 and "interrupted" in rest, rest
    assert target.read_bytes() == OLD
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sweep.json"]


# ------------------------------------------------------------------ reports: a set
def _files(folder):
    """Visible files of a folder, name -> bytes (the staging folder is hidden)."""
    return {p.name: p.read_bytes() for p in sorted(Path(folder).iterdir()) if not p.name.startswith(".")}


def _fake_pdf(monkeypatch, content):
    def compile_pdf(tex, path, *, engine=None, name="report", timeout=0):
        Path(path).write_bytes(content)
        return engine
    monkeypatch.setattr(report_module, "compile_pdf", compile_pdf)


@pytest.fixture(scope="module")
def two_reports():
    old = verify_case(load_case(ROOT / "cases" / "stochastic_counterexample.toml"), ["P4.2"], extensions=False)
    new = verify_case(load_case(ROOT / "cases" / "mountain_race.toml"), ["P4.2"], extensions=False)
    return old, new


class _Killed(BaseException):
    """The simulated SIGKILL: once raised, every later file operation raises it too (a
    killed process runs no clean-up)."""


_FILE_OPS = ((os, "replace"), (os, "unlink"), (os, "mkdir"), (os, "fsync"), (os, "rename"),
             (report_module.shutil, "rmtree"))


def _kill_at(monkeypatch, n):
    """Let ``n`` file operations happen, then 'kill' the process."""
    calls = [0]
    for owner, name in _FILE_OPS:
        real = getattr(owner, name)

        def op(*args, _real=real, **kwargs):
            calls[0] += 1
            if calls[0] > n:
                raise _Killed
            return _real(*args, **kwargs)
        monkeypatch.setattr(owner, name, op)
    return calls


def test_a_report_set_is_replaced_whole_at_every_kill_point(tmp_path, monkeypatch, two_reports):
    old_res, new_res = two_reports
    # the complete old set (with a PDF proofcheck wrote) and the complete new one (no PDF)
    _fake_pdf(monkeypatch, b"%PDF-1.5 old report\n")
    write_report([old_res], tmp_path / "ref_old" / "x", engine="fake-tex", k_max=2)
    monkeypatch.undo()
    write_report([new_res], tmp_path / "ref_new" / "x", pdf=False, k_max=2)
    old_set, new_set = _files(tmp_path / "ref_old"), _files(tmp_path / "ref_new")
    assert sorted(old_set) == ["x.csv", "x.json", "x.manifest.json", "x.md", "x.pdf", "x.tex"]
    assert sorted(new_set) == ["x.csv", "x.json", "x.manifest.json", "x.md", "x.tex"]
    outcomes = []
    for n in range(200):
        folder = tmp_path / f"kill{n}"
        _fake_pdf(monkeypatch, b"%PDF-1.5 old report\n")
        write_report([old_res], folder / "x", engine="fake-tex", k_max=2)
        monkeypatch.undo()
        assert _files(folder) == old_set and check_report(folder / "x") == []
        calls = _kill_at(monkeypatch, n)
        try:
            write_report([new_res], folder / "x", pdf=False, k_max=2)
            killed = False
        except _Killed:
            killed = True
        monkeypatch.undo()
        on_disk = _files(folder)
        if on_disk not in (old_set, new_set):  # mixed only while a committed journal is pending
            assert any("pending (committed" in p for p in check_report(folder / "x"))
        recovered = recover_report(folder / "x")
        after = _files(folder)
        assert after in (old_set, new_set), (n, sorted(after))
        assert check_report(folder / "x") == []
        assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []
        outcomes.append(("new" if after == new_set else "old", recovered))
        if not killed:
            assert calls[0] <= n and after == new_set
            break
    else:
        pytest.fail("write_report never completed")
    kinds = {o for o, _ in outcomes}
    assert kinds == {"old", "new"}  # kills before the commit point and after it were both hit
    assert ("new", "finished") in outcomes  # at least one half-moved set was rolled forward
    assert outcomes[-1] == ("new", None)


def test_a_report_that_has_no_pdf_removes_only_its_own_old_pdf(tmp_path, monkeypatch, two_reports):
    old_res, new_res = two_reports
    _fake_pdf(monkeypatch, b"%PDF old")
    write_report([old_res], tmp_path / "a" / "x", engine="fake-tex", k_max=2)
    monkeypatch.undo()
    out = write_report([new_res], tmp_path / "a" / "x", pdf=False, k_max=2)
    assert not (tmp_path / "a" / "x.pdf").exists() and "removed" in out["pdf_status"]
    # a PDF that no manifest lists (not written by proofcheck report) is never removed
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "x.pdf").write_bytes(b"%PDF the user's own")
    out = write_report([new_res], tmp_path / "b" / "x", pdf=False, k_max=2)
    assert (tmp_path / "b" / "x.pdf").read_bytes() == b"%PDF the user's own" and "kept" in out["pdf_status"]
    assert check_report(tmp_path / "b" / "x") == ["x.pdf: not part of the set"]


# The child runs `proofcheck report` and SIGKILLs itself at a deterministic point: during
# the verification (point 0) or before the n-th os.replace of the report writer (n >= 1).
_KILL_CHILD = textwrap.dedent("""
    import os, signal, sys
    point = int(sys.argv[1])
    import proofcheck.cli.report as cli_report
    def die(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)
    if point == 0:
        cli_report.verify_case = die
    else:
        real, seen = os.replace, [0]
        def replace(*args, **kwargs):
            if sys._getframe(1).f_globals.get("__name__") == "proofcheck.reports.report":
                seen[0] += 1
                if seen[0] == point:
                    die()
            return real(*args, **kwargs)
        os.replace = replace
    from proofcheck.cli import main
    sys.exit(main(sys.argv[2:]))
""")


@pytest.mark.parametrize("point", [0, 1, 3], ids=["during-the-work", "before-the-commit", "mid-rename"])
def test_killing_proofcheck_report_never_leaves_a_mixed_set(tmp_path, point, two_reports, monkeypatch):
    old_res, _ = two_reports
    _fake_pdf(monkeypatch, b"%PDF old")
    write_report([old_res], tmp_path / "x", engine="fake-tex", k_max=2)
    monkeypatch.undo()
    old_set = _files(tmp_path)
    proc = subprocess.run([sys.executable, "-c", _KILL_CHILD, str(point), "report",
                           "cases/mountain_race.toml", "-o", str(tmp_path / "x"), "--no-pdf"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    if point < 3:
        assert _files(tmp_path) == old_set and check_report(tmp_path / "x") == []
    else:
        assert check_report(tmp_path / "x") != []  # half moved: the journal says so
    state = recover_report(tmp_path / "x")
    assert check_report(tmp_path / "x") == []
    after = _files(tmp_path)
    if point < 3:
        assert after == old_set and state in (None, "discarded")
    else:
        assert state == "finished" and sorted(after) == ["x.csv", "x.json", "x.manifest.json", "x.md", "x.tex"]
        assert b"mountain" in after["x.tex"].lower()
