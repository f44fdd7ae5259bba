"""The command line starts fast: building the parser (``proofcheck --help``, every
subcommand's ``add_parser``) imports no heavy module; each subcommand imports what it
needs in ``run()``.  Defaults repeated in the CLI (so that ``--help`` need not import
their modules) equal the originals."""

import json
import subprocess
import sys

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
