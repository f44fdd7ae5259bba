"""The command line starts fast: building the parser (``proofcheck --help``, every
subcommand's ``add_parser``) imports no heavy module; each subcommand imports what it
needs in ``run()``.  Defaults repeated in the CLI (so that ``--help`` need not import
their modules) equal the originals."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from proofcheck.cli import SUBCOMMANDS, build_parser

#: Modules the parser must not import: SymPy and NumPy (the engine), hypothesis (fuzz), the
#: report writer, and proofcheck's own heavy layers.
HEAVY = ("sympy", "numpy", "networkx", "hypothesis", "scipy", "mpmath", "proofcheck.verify", "proofcheck.claims",
         "proofcheck.engine", "proofcheck.model", "proofcheck.io", "proofcheck.reports", "proofcheck.fuzzing",
         "proofcheck.experiments", "proofcheck.sweeps", "proofcheck.exact", "proofcheck.numerics")


def _loaded_after(code):
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys, json\n"
                          "print(json.dumps(sorted(sys.modules)))"],
                         capture_output=True, text=True, check=True).stdout
    return set(json.loads(out.strip().splitlines()[-1]))


def _heavy(modules):
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


def test_building_the_parser_imports_nothing_heavy():
    loaded = _loaded_after("from proofcheck.cli import build_parser\nbuild_parser().format_help()")
    assert _heavy(loaded) == []


def test_help_of_every_subcommand_imports_nothing_heavy():
    code = ("import contextlib, io\nfrom proofcheck.cli import main, SUBCOMMANDS\n"
            "for c in SUBCOMMANDS:\n"
            "    with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
            "        main([c, '--help'])")
    assert _heavy(_loaded_after(code)) == []


def test_verify_imports_no_other_subcommand_dependency():
    code = ("import contextlib, io\nfrom proofcheck.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    assert main(['verify', 'cases/mountain_race.toml', '--claim', 'T5.9.B']) == 0")
    loaded = _loaded_after(code)
    assert "proofcheck.verify" in loaded and "sympy" in loaded
    assert not [m for m in loaded if m.split(".")[0] == "hypothesis" or m.startswith(
        ("proofcheck.reports.latex", "proofcheck.fuzzing", "proofcheck.experiments", "proofcheck.sweeps"))]


def test_every_subcommand_is_listed():
    text = build_parser().format_help()
    assert all(c in text for c in SUBCOMMANDS) and len(SUBCOMMANDS) == 9


@pytest.mark.parametrize("ours, theirs", [
    ("proofcheck.cli.verify:DEFAULT_STEPS", "proofcheck.exact.budget:DEFAULT_STEPS"),
    ("proofcheck.cli._inputs:DEFAULT_BRIDGE_TOLERANCE", "proofcheck.io.load:DEFAULT_BRIDGE_TOLERANCE"),
    ("proofcheck.cli.fuzz:DEFAULT_SHRINK_BUDGET", "proofcheck.fuzzing.search:DEFAULT_SHRINK_BUDGET"),
])
def test_repeated_defaults_equal_the_originals(ours, theirs):
    import importlib

    def value(ref):
        module, name = ref.split(":")
        return getattr(importlib.import_module(module), name)
    assert value(ours) == value(theirs)


@pytest.mark.parametrize("ref", ["proofcheck.cli.verify.verify_case", "proofcheck.cli.verify.find_case_files",
                                 "proofcheck.cli.report.verify_case", "proofcheck.cli.sweep.run_sweep",
                                 "proofcheck.cli.experiment.run_experiment", "proofcheck.cli.crosscheck.load_case"])
def test_the_replaceable_names_are_module_attributes(ref, monkeypatch):
    # tests replace these to check what happens before (or instead of) the work
    monkeypatch.setattr(ref, lambda *a, **k: None)


#: The BRIDGE samples (../shared/data/bridge/ beside the repository), when present.
SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "bridge"
#: What the effective horizon of a rational (BRIDGE) model must not import: it runs on Python
#: ints and Fractions, and SymPy's import alone costs more than the whole analysis.
NOT_FOR_HORIZON = ("sympy", "mpmath", "networkx", "scipy", "hypothesis", "proofcheck.verify",
                   "proofcheck.claims", "proofcheck.numerics", "proofcheck.exact", "proofcheck.model.mdp",
                   "proofcheck.io.casefile", "proofcheck.engine.coherence", "proofcheck.engine.soft_values")


def _horizon_loads(args):
    code = ("import contextlib, io\nfrom proofcheck.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    assert main(['horizon'] + {args!r}) == 0")
    loaded = _loaded_after(code)
    assert "proofcheck.engine.effective_horizon" in loaded
    return sorted(m for m in loaded if any(m == h or m.startswith(h + ".") for h in NOT_FOR_HORIZON))


def test_horizon_of_a_bridge_npz_imports_no_sympy(tmp_path):
    import numpy as np

    from proofcheck.io.bridge import save_npz
    npz = tmp_path / "toy.npz"  # s0: a0 -> s1 (1/2), a1 -> s0 (1/4); s1: a0 ends (1), a1 -> s1 (0)
    save_npz(npz, np.array([[1, 0], [-1, 1]]), np.array([[0.5, 0.25], [1.0, 0.0]]))
    assert _horizon_loads([str(npz), "--horizon", "4"]) == []


@pytest.mark.skipif(not (SAMPLES / "freeway_10_fs30" / "consolidated.npz").is_file(),
                    reason=f"BRIDGE sample freeway_10_fs30 not found under {SAMPLES}")
def test_horizon_of_a_bridge_sample_imports_no_sympy():
    # as a user runs it (benchmarks/bench_bridge.py times this), stored analysis compared too
    assert _horizon_loads([str(SAMPLES / "freeway_10_fs30")]) == []


def _console(*argv, before=""):
    """The ``proofcheck`` command in a child process whose own atexit handler prints a line."""
    code = ("import atexit, sys\n" + before +
            "atexit.register(lambda: print('atexit handler ran'))\n"
            f"sys.argv = ['proofcheck', *{list(argv)!r}]\n"
            "from proofcheck.cli import console\nconsole()\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # a buffered pipe
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          cwd=Path(__file__).resolve().parents[1], timeout=300)


def test_console_exit_runs_exit_handlers_flushes_and_keeps_the_exit_code():
    # the command leaves with os._exit (no interpreter teardown): the output printed before,
    # other libraries' atexit handlers and main()'s exit code must all survive it
    held = _console("verify", "cases/appendix_d.toml", "--claim", "P4.2", "--fail-on", "fails")
    failed = _console("verify", "cases/appendix_d.toml", "--claim", "D.1", "--fail-on", "fails")
    assert held.returncode == 0, held.stderr
    assert failed.returncode == 1, failed.stderr
    for r, claim, verdict in ((held, "P4.2", "holds"), (failed, "D.1", "FAILS")):
        lines = r.stdout.splitlines()
        assert any(line.split()[:2] == [claim, verdict] for line in lines), r.stdout
        assert lines[-1] == "atexit handler ran"  # after the summary, so after main() returned


def test_console_exit_waits_for_threads_still_running():
    # os._exit skipped the interpreter's join of non-daemon threads: a thread still at work
    # when main() returned (a library's writer, a pool's last task) was killed mid-way.  This
    # thread starts its work only once main() has returned.
    before = ("import threading\nimport proofcheck.cli as cli\n"
              "done, inner = threading.Event(), cli.main\n"
              "def main(argv=None):\n    try:\n        return inner(argv)\n    finally:\n        done.set()\n"
              "cli.main = main\n"
              "def late():\n    done.wait()\n    print('thread finished', flush=True)\n"
              "threading.Thread(target=late).start()\n")
    r = _console("claims", before=before)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[-2:] == ["thread finished", "atexit handler ran"]
