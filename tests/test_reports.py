"""Tests of the LaTeX/PDF/JSON/Markdown reports (proofcheck.reports, proofcheck report).

The bundled report is regenerated with the one command

    python -m proofcheck report cases/ -o reports/example

(run from the repository root); ``test_bundled_report_is_current`` fails when the committed
``reports/example.tex`` / ``.json`` differ from what that command writes now.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
import sympy as sp

from proofcheck import load_case
from proofcheck.cli import main
from proofcheck.io.casefile import loads_case
from proofcheck.reports.build import atomic_write, compile_pdf
from proofcheck.reports.escape import escape_tex
from proofcheck.reports.json_report import report_json
from proofcheck.reports.latex import report_document
from proofcheck.reports.report import write_report
from proofcheck.reports.tikz import layout, mdp_drawing
from proofcheck.verify import verify_case
from proofcheck.verify.tables import decimal, retraining_table

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: The case paths of the bundled report (one place: the staleness test uses the same).
BUNDLED_PATHS = ["cases/"]
REGENERATE = f"python -m proofcheck report {' '.join(BUNDLED_PATHS)} -o reports/example"
HAVE_TEX = shutil.which("pdflatex") is not None and shutil.which("pdftotext") is not None
NO_TEX = "pdflatex or pdftotext not installed (CI installs TeX Live via .ci/run)"
R = sp.Rational


@pytest.fixture
def at_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def case(name):
    return load_case(os.path.join(ROOT, "cases", name + ".toml"))


def pdftext(pdf):
    return subprocess.run(["pdftotext", "-layout", pdf, "-"], capture_output=True, text=True,
                          check=True).stdout


# ------------------------------------------------------------------ escaping
@pytest.mark.parametrize("raw, tex", [
    ("\\", r"\textbackslash{}"), ("{}", r"\{\}"), ("$", r"\$"), ("&", r"\&"), ("#", r"\#"),
    ("%", r"\%"), ("_", r"\_"), ("^", r"\textasciicircum{}"), ("~", r"\textasciitilde{}"),
    ("--", "-{}-{}"), ("plain text 1/2", "plain text 1/2"),
])
def test_escape_special_characters(raw, tex):
    assert escape_tex(raw) == tex


def test_escape_leaves_no_active_characters():
    evil = r"\input{/etc/passwd} \write18{rm -rf /} $x^2$ #1 %c ~ & _"
    out = escape_tex(evil)
    # Every backslash of the output starts one of our own text commands.
    stripped = (out.replace(r"\textbackslash{}", "").replace(r"\textasciicircum{}", "")
                .replace(r"\textasciitilde{}", "").replace("-{}", "-"))
    for seq in (r"\{", r"\}", r"\$", r"\#", r"\%", r"\&", r"\_"):
        stripped = stripped.replace(seq, "")
    assert "\\" not in stripped
    assert not any(ch in stripped for ch in "{}$#%&_^~")


EVIL_TITLE = r"\input{/etc/passwd}"
EVIL_DESC = r"\write18{touch PWNED} and \immediate\write18{touch PWNED2} $ 100% # ~ ^ _ &"
EVIL_STATE = r"\input{/etc/hostname}"
EVIL_CASE = rf"""
[case]
name = "evil"
title = '{EVIL_TITLE}'
description = '{EVIL_DESC}'
source = '\def\x{{1}}\x'

[mdp]
initial = 'start'

[states.start.actions.'\openout5=pwn']
next = '{EVIL_STATE}'
prior = "1/2"

[states.start.actions.down]
next = "leaf"
prior = "1/2"

[states.'{EVIL_STATE}']
success = "1"

[states.leaf]
success = "1/2"
"""


def evil_result():
    return verify_case(loads_case(EVIL_CASE, "evil.toml"), ["P4.2"], extensions=False)


def test_evil_case_text_is_escaped_in_tex(tmp_path):
    res = evil_result()
    out = write_report([res], tmp_path / "evil", pdf=False, k_max=2)
    tex = out["tex"].replace(r"\allowbreak{}", "")  # our own line-break hints
    assert r"\textbackslash{}input\{/etc/passwd\}" in tex
    for raw in (EVIL_TITLE, r"\write18", EVIL_STATE, r"\openout5", r"\def\x"):
        assert raw not in tex


@pytest.mark.skipif(not HAVE_TEX, reason=NO_TEX)
def test_evil_case_prints_literally_in_pdf(tmp_path):
    res = evil_result()
    out = write_report([res], tmp_path / "evil", pdf=False, k_max=2)
    pdf = tmp_path / "evil.pdf"
    compile_pdf(out["tex"], pdf, name="evil")
    text = pdftext(str(pdf))
    flat = "".join(text.split())
    for raw in (EVIL_TITLE, r"\write18{touchPWNED}", r"\input{/etc/hostname}", r"\openout5=pwn",
                r"$100%#~^_&"):
        assert raw in flat, raw
    # Nothing was read or executed: no content of the files, no files created.
    with open("/etc/passwd") as fh:
        first = fh.readline().split(":")[0] + ":x:"
    assert first not in text
    assert not list(tmp_path.glob("PWNED*")) and not os.path.exists(os.path.join(ROOT, "PWNED"))
    assert not list(tmp_path.glob("pwn*"))


# ------------------------------------------------------------------ drawing
def test_layout_of_mountain_race_by_hand():
    m = case("mountain_race").mdp
    pos = {s: layout(m)[("s", m.index[s])] for s in m.states}
    # Leaves in depth-first order take rows 0..3; parents sit at the mean of their children.
    assert pos["gold"] == (4, 0.0) and pos["chasm"] == (4, 1.0)
    assert pos["mountain"] == (2, 0.5) and pos["forest"] == (2, 2.5)
    assert pos["start"] == (0, 1.5)
    assert {pos["silver_up"][1], pos["silver_down"][1]} == {2.0, 3.0}


def test_drawing_of_stochastic_case_has_action_nodes():
    m = case("stochastic_counterexample").mdp
    tex = mdp_drawing(m)
    assert tex.count(r"\node[act]") == 2          # a1 and a2 are stochastic
    assert r"$\tau=3/4$" in tex and r"$\tau=1/4$" in tex and tex.count(r"$\tau=1/2$") == 2
    assert r"$p=1/2$" in tex


def test_large_model_gets_summary_table():
    import networkx as nx

    from proofcheck.model.mdp import from_graph
    G = nx.MultiDiGraph(initial="s0")
    for i in range(45):
        G.add_edge(f"s{i}", f"s{i + 1}", key="go", prior="1")
    m = from_graph(G)
    assert mdp_drawing(m) is None


# ------------------------------------------------------------------ tables
def test_retraining_table_matches_the_paper_and_hand_values():
    t = retraining_table(case("stochastic_counterexample"), k_max=2)
    assert [r["policy"]["a1"] for r in t["rows"]] == [R(1, 2), R(5, 11), R(25, 61)]  # paper, Example 3
    # S(p) by hand: 1/2 (3/4 * 1/3 + 1/4 * 2/3) + 1/2 (1/2 * 1/3 + 1/2 * 2/3) = 11/24.
    assert t["rows"][0]["S"] == R(11, 24)
    assert t["rows"][0]["dJ"] is None
    assert sp.simplify(t["rows"][1]["dJ"] - (t["rows"][1]["J"] - t["rows"][0]["J"])) == 0


def test_kappa_of_first_goal_conditioned_policy_by_hand():
    # pi^G_1(start) = (2/5, 3/5); Zq = (1, 3/4) so pi^delta=1 = (4/7, 3/7); KL at the other
    # states is 0.  kappa_1 = 2/5 log(7/10) + 3/5 log(7/5).
    t = retraining_table(case("mountain_race"), k_max=1)
    got = t["rows"][1]["kappa"][1]
    want = R(2, 5) * sp.log(R(7, 10)) + R(3, 5) * sp.log(R(7, 5))
    assert abs(sp.N(got - want, 40)) < sp.Float("1e-35")
    assert t["rows"][0]["J"] == -sp.oo and t["rows"][1]["dJ"] == sp.oo
    assert decimal(want) == "0.0592134"


def test_decimal_rounding():
    assert decimal(R(2, 3)) == "0.666667"
    assert decimal(R(-1, 8)) == "-0.125"
    assert decimal(R(1, 10**7)) == "1.0e-7"


# ------------------------------------------------------------------ document and JSON
def test_document_and_json_contain_results():
    res = verify_case(case("mountain_race"), ["P5.2", "P5.4"], extensions=False)
    t = retraining_table(res.case, k_max=3)
    tex = report_document([res], [t])
    assert tex.startswith(r"\documentclass") and tex.rstrip().endswith(r"\end{document}")
    assert r"\begin{axis}" in tex and r"\begin{tikzpicture}" in tex
    assert "$2/5$" in tex and "$4/7$" in tex        # expectations, exact
    assert "additive return $J$" in tex            # verdicts state the objective
    doc = report_json([res], [t])
    case_doc = doc["cases"][0]
    verify = res.as_dict()
    verify.pop("seconds")
    for c in verify["claims"]:
        c.pop("seconds")
    assert case_doc["verify"] == json.loads(json.dumps(verify, default=str))
    assert "seconds" not in json.dumps(doc)
    assert case_doc["retraining"]["rows"][1]["policy"]["up"] == {"exact": "2/5", "decimal": "0.4"}
    assert "seconds" in json.dumps(report_json([res], [t], timings=True))


def test_write_report_is_deterministic(tmp_path):
    res = verify_case(case("stochastic_counterexample"), ["P5.4"], extensions=False)
    a = write_report([res], tmp_path / "a" / "r", pdf=False, k_max=3)
    write_report([res], tmp_path / "b" / "r", pdf=False, k_max=3)
    for suf in (".tex", ".json", ".md"):
        assert (tmp_path / "a" / ("r" + suf)).read_bytes() == (tmp_path / "b" / ("r" + suf)).read_bytes()
    assert a["pdf"] is None and not list(tmp_path.rglob("*.tmp"))


def test_atomic_write_replaces_whole_file(tmp_path):
    p = tmp_path / "x.txt"
    atomic_write(p, "first version, long")
    atomic_write(p, "second")
    assert p.read_text() == "second" and [f.name for f in tmp_path.iterdir()] == ["x.txt"]


def test_experiment_figure_from_json(tmp_path, at_root, capsys):
    data = {"schema": "proofcheck.discussion/1", "config": {"seed": 0, "delta": "1"},
            "rows": [{"H": 2.0, "kappa_G1": 0.05, "kappa_prior": 0.2},
                     {"H": 3.5, "kappa_G1": 0.11, "kappa_prior": 0.3}],
            "summary": {"residual_incoherence_by_H": [{"H_bin": 2, "n": 1, "mean_kappa_G1": 0.05,
                                                         "mean_kappa_prior": 0.2}],
                        "correlations": [{"x": "H", "y": "kappa_G1", "n": 2, "r": 1.0,
                                          "ci95": None, "paper_r": 0.32}]}}
    f = tmp_path / "exp.json"
    f.write_text(json.dumps(data))
    code = main(["report", "cases/stochastic_counterexample.toml", "-o", str(tmp_path / "r"),
                 "--no-pdf", "--claim", "P4.2", "--experiment", str(f)])
    assert code == 0
    tex = (tmp_path / "r.tex").read_text()
    assert "(3.5,0.11)" in tex and "(3.5,0.3)" in tex and "effective horizon" in tex
    assert json.loads((tmp_path / "r.json").read_text())["experiment"]["data"] == data


# ------------------------------------------------------------------ CLI
def test_cli_exit_codes_and_no_tex_message(tmp_path, at_root, capsys, monkeypatch):
    monkeypatch.setenv("PROOFCHECK_PDFLATEX", "")  # pretend no TeX is installed
    code = main(["report", "cases/stochastic_counterexample.toml", "-o", str(tmp_path / "ok"),
                 "--claim", "P4.2"])
    out = capsys.readouterr().out
    assert code == 0
    assert "== Example 3: stochastic counterexample" in out      # verify's table
    no_tex = [line for line in out.splitlines() if "no TeX engine" in line]
    assert len(no_tex) == 1 and (tmp_path / "ok.tex").exists() and not (tmp_path / "ok.pdf").exists()

    bad = open("cases/stochastic_counterexample.toml").read().replace('= "25/61"', '= "1/3"')
    f = tmp_path / "wrong.toml"
    f.write_text(bad)
    assert main(["report", str(f), "-o", str(tmp_path / "wrong"), "--claim", "P4.2", "--no-pdf"]) == 1
    assert main(["report", str(tmp_path / "missing.toml"), "-o", str(tmp_path / "m"), "--no-pdf"]) == 2
    assert main(["report", "cases/mountain_race.toml", "-o", str(tmp_path / "e"), "--no-pdf",
                 "--experiment", str(tmp_path / "nope.json")]) == 2
    err = capsys.readouterr().err
    assert "nope.json" in err and "Traceback" not in err


def test_progress_silent_when_not_a_terminal(tmp_path, at_root, capfd):
    main(["report", "cases/stochastic_counterexample.toml", "-o", str(tmp_path / "p"),
          "--claim", "P4.2", "--no-pdf"])
    assert capfd.readouterr().err == ""


# ------------------------------------------------------------------ the bundled report
@pytest.mark.slow
def test_bundled_report_is_current(tmp_path):
    committed = {s: os.path.join(ROOT, "reports", "example" + s) for s in (".tex", ".json")}
    for path in committed.values():
        assert os.path.exists(path), f"{path} missing; regenerate it with `{REGENERATE}`"
    proc = subprocess.run([sys.executable, "-m", "proofcheck", "report", *BUNDLED_PATHS, "-o",
                           str(tmp_path / "example"), "--no-pdf"], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    for suffix, path in committed.items():
        with open(path, encoding="utf-8") as fh:
            old = fh.read()
        new = (tmp_path / ("example" + suffix)).read_text(encoding="utf-8")
        assert new == old, (f"reports/example{suffix} is stale: regenerate the bundled report with "
                            f"`{REGENERATE}` (from the repository root) and commit it")
    tex = (tmp_path / "example.tex").read_text(encoding="utf-8")
    # what a reader sees: yes/no, not Python's True/False; a remark in words keeps its space
    assert r"\item closed form matches iteration: yes" in tex and ": True" not in tex
    assert r"p=0\ (\text{on}\ [0,\ 1])" in tex and r"p=0(\text{on}" not in tex


@pytest.mark.skipif(not HAVE_TEX, reason=NO_TEX)
def test_bundled_report_pdf_shows_key_numbers(tmp_path):
    tex_path = os.path.join(ROOT, "reports", "example.tex")
    if not os.path.exists(tex_path):
        pytest.fail(f"reports/example.tex missing; regenerate it with `{REGENERATE}`")
    with open(tex_path, encoding="utf-8") as fh:
        tex = fh.read()
    compile_pdf(tex, tmp_path / "example.pdf", name="example")
    text = pdftext(str(tmp_path / "example.pdf"))
    for number in ("2/5", "4/7", "5/11", "25/61", "7/17"):
        assert number in text, number
    assert "mountain race" in text and "HOLDS" in text


def test_progress_shown_on_a_terminal():
    import io

    from proofcheck.reports.progress import Progress

    class Tty(io.StringIO):
        def isatty(self):
            return True

    p = Progress(Tty())
    p.update("[1/2] mountain_race: claim P4.2 (1/20)")
    p.update("[1/2] mountain_race: claim P4.3 (2/20)")
    p.done()
    out = p.stream.getvalue()
    assert "claim P4.2 (1/20)" in out and "claim P4.3 (2/20)" in out and out.endswith("\r")


@pytest.mark.slow
def test_report_does_not_depend_on_the_hash_seed(tmp_path):
    # A committed report is only reproducible if no verdict text depends on set/dict
    # iteration order of strings (randomised per process by PYTHONHASHSEED).
    texts = []
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        out = tmp_path / seed / "example"
        proc = subprocess.run([sys.executable, "-m", "proofcheck", "report", *BUNDLED_PATHS, "-o", str(out),
                               "--no-pdf"], cwd=ROOT, env=env, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        texts.append((tmp_path / seed / "example.json").read_text(encoding="utf-8"))
    if texts[0] != texts[1]:
        a, b = texts[0].splitlines(), texts[1].splitlines()
        first = next(i for i, (x, y) in enumerate(zip(a, b)) if x != y)
        pytest.fail(f"report differs between PYTHONHASHSEED=1 and 2 at JSON line {first + 1}: "
                    f"{a[first].strip()[:160]!r} vs {b[first].strip()[:160]!r}")


def test_parallel_edges_and_merging_dag_are_drawn(tmp_path):
    import networkx as nx

    from proofcheck.model.mdp import from_graph
    G = nx.MultiDiGraph(initial="s")
    G.add_edge("s", "m", key="left", prior="1/2")
    G.add_edge("s", "m", key="right", prior="1/2")   # parallel: same successor
    G.add_edge("m", "x", key="go", prior="1")
    G.add_edge("s2", "x", key="go", prior="1")       # a second root merging into x
    G.graph["initial"] = {"s": "1/2", "s2": "1/2"}
    m = from_graph(G)
    pos = layout(m)
    col = {st: pos[("s", m.index[st])][0] for st in m.states}
    # Columns are longest distances from a root (two per deterministic step): x is 4, not 2.
    assert col == {"s": 0, "m": 2, "x": 4, "s2": 0}
    tex = mdp_drawing(m)
    assert "bend left=12" in tex and "bend right=12" in tex
    if HAVE_TEX:
        from proofcheck.reports.latex import _PREAMBLE
        compile_pdf(_PREAMBLE + "\\begin{document}\n" + tex + "\n\\end{document}\n",
                    tmp_path / "d.pdf", name="d")
        assert (tmp_path / "d.pdf").stat().st_size > 1000


def test_report_of_a_leaf_initial_state(tmp_path):
    # horizon 0: the initial state has no actions, so the tables have no policy column
    case = loads_case('[case]\nname = "leaf"\n[mdp]\ninitial = "s"\n[states.s]\nsuccess = "1/2"\n')
    res = verify_case(case, extensions=False)
    out = write_report([res], tmp_path / "leaf", pdf=False, k_max=2)
    md = (tmp_path / "leaf.md").read_text()
    assert "Re-training at `s`: S = 1/2, 1/2, 1/2" in md
    assert r"$k$ & $S(\pi^G_k)$ \\" in out["tex"]
