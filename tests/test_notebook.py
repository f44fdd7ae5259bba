"""Notebook use: short reprs, HTML/LaTeX displays, pandas tables and matplotlib figures,
and the example of docs/notebook.md run as written (in-process and in a plain session)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import proofcheck as pc
import proofcheck.notebook as nb
from proofcheck.claims.result import ClaimResult, Verdict, html_table, require_optional
from proofcheck.examples import mountain_race, stochastic_counterexample
from proofcheck.verify.case import CaseResult, ExpectationResult

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "notebook.md"


def _have(module):
    try:
        __import__(module)
    except ImportError:
        return False
    return True


needs_pandas = pytest.mark.skipif(not _have("pandas"), reason="the notebook extra (pandas) is not installed")
needs_plots = pytest.mark.skipif(not (_have("pandas") and _have("matplotlib")),
                                 reason="the notebook extra (pandas, matplotlib) is not installed")


@pytest.fixture(scope="module")
def case():
    return pc.load_case(ROOT / "cases" / "mountain_race.toml")


@pytest.fixture(scope="module")
def result(case):
    return pc.verify_case(case, extensions=False)


def _claim(**kw):
    base = dict(claim_id="P5.4", title="Monotone <improvement> & more", statement="s", verdict=Verdict.FAILS,
                summary="J <decreases> at k = 3 & " + "x" * 300, objective="return",
                counterexample={"k": 3, "state": "<s>"}, repair="holds with fold_term = ratio")
    base.update(kw)
    return ClaimResult(**base)


# ------------------------------------------------------------------ reprs and displays

def test_claim_result_repr_is_one_short_line():
    text = repr(_claim())
    assert text.startswith("<ClaimResult P5.4 [J]: fails — J <decreases> at k = 3 & ")
    assert text.endswith("…>") and "\n" not in text and len(text) < 160


def test_claim_result_html_escapes_and_shows_the_verdict():
    page = _claim()._repr_html_()
    assert "&lt;improvement&gt; &amp; more" in page and "<improvement>" not in page
    assert "&lt;s&gt;" in page and "<s>" not in page
    assert ">fails</span>" in page and "holds with fold_term = ratio" in page
    assert page.count("<table>") == 1


def test_claim_result_latex_is_the_verdict_line():
    assert _claim()._repr_latex_() == r"$\text{P5.4 [J]: }\textbf{fails}$"
    weird = _claim(claim_id="X_1&2", objective=None, verdict=Verdict.NOT_APPLICABLE)
    assert weird._repr_latex_() == r"$\text{X\_1\&2: }\textbf{not-applicable}$"


def test_html_table_escapes_every_cell_and_header():
    page = html_table(["<h>"], [["<script>alert(1)</script>"], [None]], title="a & b")
    assert "<script>" not in page and "&lt;script&gt;" in page and "&lt;h&gt;" in page
    assert "<b>a &amp; b</b>" in page


def test_case_result_repr_is_short(result):
    text = repr(result)
    assert re.match(r"<CaseResult 'mountain_race': \d+ claims \(\d+ holds, ", text)
    assert "holds" in text and "expectations 8/8 ok>" in text
    assert len(text) < 200 and len(str(result)) < 200  # was ~90,000 characters


def test_case_result_html_has_claims_and_expectations(result):
    page = result._repr_html_()
    assert page.count("<table>") == 2
    assert all(r.label in page for r in result.claims)
    assert "pi_1(up | start)" in page and "2/5" in page
    assert len(page) < 40_000
    assert re.match(r"\$\\text\{mountain\\_race: \d+ claims", result._repr_latex_())


def test_expectation_result_repr():
    e = ExpectationResult("pi_1(up | start)", "2/5", "1/3", False)
    assert repr(e) == "<ExpectationResult pi_1(up | start): expected 2/5, computed 1/3, FAILED>"
    assert ExpectationResult("q", 1, 1, None).result == "undecided"


def test_case_result_without_expectations():
    res = CaseResult(pc.Case(name="m", mdp=mountain_race(), conventions=pc.Conventions()), [_claim()], [])
    assert repr(res) == "<CaseResult 'm': 1 claims (1 fails); no expectations>"
    assert res._repr_html_().count("<table>") == 1


def test_mdp_and_policy_html():
    m = stochastic_counterexample()
    page = nb.mdp_html(m)
    assert f"{m.n_states} states" in page and "start" in page and "<table>" in page
    assert "…" not in page
    assert "more pairs" in nb.mdp_html(m, max_rows=1)
    pol = nb.policy_html(pc.retrain(m, 1)[1])
    assert ">5/11</td>" in pol and ">0.454545</td>" in pol


def test_models_and_policies_display_as_html():
    m = mountain_race()
    assert m._repr_html_() == nb.mdp_html(m)
    assert "2/5" in pc.goal_condition(m)._repr_html_()


def test_missing_extra_names_it(monkeypatch, result):
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas now raises ImportError
    with pytest.raises(ImportError, match=r"pip install 'proofcheck\[notebook\]'"):
        result.to_frame()
    with pytest.raises(ImportError, match="notebook"):
        nb.retraining_frame(mountain_race(), 1)
    with pytest.raises(ImportError, match="no_such_module"):
        require_optional("no_such_module", "x")


def test_exact_float():
    import sympy as sp
    assert nb.exact_float(sp.Rational(1, 3)) == pytest.approx(1 / 3)
    assert nb.exact_float(sp.oo) == float("inf") and nb.exact_float(-sp.oo) == float("-inf")
    assert nb.exact_float(sp.log(sp.Rational(3, 4))) == pytest.approx(-0.2876820724517809)
    assert nb.exact_float(sp.Symbol("p")) != nb.exact_float(sp.Symbol("p"))  # nan


# ------------------------------------------------------------------ tables

@needs_pandas
def test_case_result_to_frame(result):
    frame = result.to_frame()
    assert list(frame.columns) == ["claim", "objective", "label", "verdict", "summary", "route", "repair", "seconds"]
    assert len(frame) == len(result.claims)
    assert dict(zip(frame.label, frame.verdict))["T5.9.B"] == "holds"
    exps = result.to_frame("expectations")
    assert list(exps.quantity)[:2] == ["pi_1(up | start)", "pi_1(down | start)"]
    assert list(exps.computed)[:2] == ["2/5", "3/5"] and list(exps.computed_float)[:2] == [0.4, 0.6]
    with pytest.raises(ValueError):
        result.to_frame("nonsense")


@needs_pandas
def test_retraining_frame_matches_the_engine():
    m = stochastic_counterexample()
    frame = nb.retraining_frame(m, 2)
    assert list(frame.columns) == ["k", "state", "action", "pi_G", "pi_G_float", "S", "S_float", "J", "J_float"]
    a1 = frame[(frame.state == "start") & (frame.action == "a1")]
    assert list(a1.pi_G) == ["1/2", "5/11", "25/61"]
    assert list(a1.pi_G_float) == pytest.approx([0.5, 5 / 11, 25 / 61])
    assert list(a1.S) == ["11/24", "61/132", "341/732"]
    assert list(nb.retraining_frame(m, 1, states="initial").state.unique()) == ["start"]


@needs_pandas
def test_retraining_frame_keeps_minus_infinity(case):
    frame = nb.retraining_frame(case, 2)  # a Case: its model and its conventions
    first = frame[frame.k == 0].iloc[0]
    assert first.J == "-oo" and first.J_float == float("-inf")
    assert set(frame.state) == {"start", "mountain", "forest"}


@needs_pandas
def test_temperature_frame():
    frame = nb.temperature_frame(stochastic_counterexample(), [1, "2", 2.0], states="initial")
    a1 = frame[frame.action == "a1"]
    assert list(a1.alpha) == ["1", "2", "2"] and list(a1.pi_alpha)[1:] == ["7/17", "7/17"]


@needs_pandas
def test_kappa_frame(case):
    frame = nb.kappa_frame(case, [1, "1/2"], policies=("prior", "pi_1"))
    assert list(frame.columns) == ["delta", "delta_float", "policy", "kappa", "kappa_float"]
    row = frame[(frame.delta == "1") & (frame.policy == "pi_1")].iloc[0]
    assert row.kappa == "2*log(7/10)/5 + 3*log(7/5)/5"
    assert frame[frame.policy == "prior"].kappa_float.tolist() == [float("inf")] * 2
    custom = nb.kappa_frame(case.mdp, [1], policies={"G": pc.goal_condition(case.mdp)})
    assert custom.kappa.tolist() == [row.kappa]


@needs_pandas
def test_verdict_frame(result, case):
    table = nb.verdict_frame({"a": result, "b": pc.run_claims(case.mdp, ids=["T5.9.B"])})
    assert list(table.columns) == ["a", "b"] and table.index.name == "claim"
    assert table.loc["T5.9.B"].tolist() == ["holds", "holds"]
    import pandas as pd
    assert pd.isna(table.loc["P4.2", "b"])
    assert list(nb.verdict_frame(result).columns) == ["mountain_race"]


# ------------------------------------------------------------------ figures

@pytest.fixture
def agg():
    import matplotlib
    matplotlib.use("Agg", force=True)


@needs_plots
def test_plots_have_labelled_axes_and_titles(case, agg):
    from matplotlib.figure import Figure
    for fig in (nb.plot_retraining(case, 3), nb.plot_kappa(case, [1, 2]),
                nb.plot_temperature(case, [0, 1, 2])):
        assert isinstance(fig, Figure)
        for ax in fig.axes:
            assert ax.get_xlabel() and ax.get_ylabel() and (ax.get_title() or fig.get_suptitle())
    fig = nb.plot_retraining(case, 3)
    assert "not drawn" in fig.axes[2].get_title()  # J(prior) = -oo
    legend = [t.get_text() for t in nb.plot_kappa(case, [1, 2]).axes[0].get_legend().get_texts()]
    assert any("not drawn" in t for t in legend)  # kappa(prior) = +oo


@needs_plots
def test_plots_refuse_a_parametric_model(agg):
    m = pc.load_case(ROOT / "cases" / "parametric_prior.toml").mdp
    with pytest.raises(ValueError, match="substitute"):
        nb.plot_retraining(m, 2)


# ------------------------------------------------------------------ the documented example

def _blocks():
    return re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    (tmp_path / "cases").symlink_to(ROOT / "cases")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@needs_plots
def test_docs_notebook_example_runs(in_tmp, agg):
    import pandas as pd
    from matplotlib.figure import Figure
    blocks = _blocks()
    assert len(blocks) >= 6
    namespace: dict = {}
    for n, block in enumerate(blocks):
        exec(compile(block, f"docs/notebook.md (python block {n + 1})", "exec"), namespace)  # our own docs
    assert isinstance(namespace["verdicts"], pd.DataFrame) and isinstance(namespace["table"], pd.DataFrame)
    assert isinstance(namespace["frame"], pd.DataFrame) and len(namespace["frame"]) == 11 * 6
    for name in ("fig", "fig_kappa", "fig_alpha"):
        assert isinstance(namespace[name], Figure)
    assert (in_tmp / "retraining.png").stat().st_size > 1000


@needs_plots
def test_plain_python_session_example(in_tmp):
    """The first block (the README-style example) in a fresh ``python -c``."""
    code = _blocks()[0] + (
        "\nimport pandas, matplotlib.figure\n"
        "assert isinstance(verdicts, pandas.DataFrame) and isinstance(frame, pandas.DataFrame)\n"
        "assert isinstance(fig, matplotlib.figure.Figure)\n"
        "print('frame', frame.shape)\n")
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=in_tmp,
                         timeout=600)
    assert out.returncode == 0, out.stderr
    assert re.match(r"<CaseResult 'mountain_race': \d+ claims \(", out.stdout)
    assert "frame (66, 9)" in out.stdout
    assert (in_tmp / "retraining.png").exists()
