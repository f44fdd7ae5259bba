"""The researcher's report: the verdict grid on page 1, LaTeX math instead of ASCII
pseudo-math, ``--brief`` in at most 6 pages, one JSON shape with a published JSON Schema,
the grid as CSV, time-layered drawings and labelled figures.

The bundled cases are verified once per module (a couple of minutes on a slow machine).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
from fractions import Fraction

import networkx as nx
import pytest

from proofcheck.claims.result import ClaimResult, Verdict
from proofcheck.cli import main
from proofcheck.io.casefile import find_case_files
from proofcheck.model.mdp import from_graph
from proofcheck.reports.build import compile_pdf
from proofcheck.reports.csv_report import grid_table, report_csv
from proofcheck.reports.json_report import load_schema, report_json, verify_json
from proofcheck.reports.latex import (
    _PREAMBLE,
    ascii_math,
    evidence_table,
    prose_tex,
    report_document,
    verdict_grid,
)
from proofcheck.reports.tikz import LABEL_LIMIT, layout, mdp_drawing
from proofcheck.verify import load_case, verify_case
from proofcheck.verify.tables import retraining_table

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HAVE_TEX = all(shutil.which(t) for t in ("pdflatex", "pdfinfo", "pdftotext"))
NO_TEX = "pdflatex, pdfinfo or pdftotext not installed"
#: the brief report of the bundled cases fits in this many pages
BRIEF_PAGES = 6


@pytest.fixture(scope="module")
def bundled():
    files = find_case_files([os.path.join(ROOT, "cases")])
    results = [verify_case(load_case(f)) for f in files]
    tables = [retraining_table(r.case) for r in results]
    return results, tables


@pytest.fixture(scope="module")
def brief_tex(bundled):
    results, tables = bundled
    return report_document(results, tables, brief=True, command="proofcheck report cases/ --brief")


def outside_math(tex):
    """The text of a TeX document without its math (``$...$``, ``\\[...\\]``), preamble
    and drawings: what is left is typeset as prose."""
    tex = tex[tex.index(r"\begin{document}"):]
    tex = re.sub(r"\\begin\{tikzpicture\}.*?\\end\{tikzpicture\}", " ", tex, flags=re.S)
    tex = re.sub(r"\\\$", "", tex)
    tex = re.sub(r"\$[^$]*\$", " ", tex)
    tex = re.sub(r"\\\[.*?\\\]", " ", tex, flags=re.S)
    return tex


#: ASCII pseudo-math, raw and as escape_tex would print it as text
PSEUDO_MATH = [r"pi_alpha=", r"pi\_alpha", "equal = yes", r"pi^G_k", r"pi\textasciicircum{}",
               r"kappa\_", r"kappa_delta", r"Zv\_", r"-\textgreater{}", "->", "**", r"KL(pi"]


def test_brief_has_no_ascii_pseudo_math(brief_tex):
    prose = outside_math(brief_tex)
    found = {p: prose.count(p) for p in PSEUDO_MATH if p in prose}
    assert not found, found
    assert r"\pi" in brief_tex and r"\begin{tikzpicture}" in brief_tex


def test_page_one_is_the_verdict_grid(bundled, brief_tex):
    results, tables = bundled
    first_page = brief_tex.split(r"\clearpage")[0]
    labels = {r.label for res in results for r in res.claims}
    for label in labels:
        assert r"\textbf{" + label.replace("_", r"\_") + "}" in first_page, label
    for word in ("holds", "FAILS", "undecided", "n/a"):
        assert word in first_page
    grid = verdict_grid(results)
    assert grid in first_page
    assert grid in report_document(results, tables).split(r"\clearpage")[0]  # the full report too


@pytest.mark.skipif(not HAVE_TEX, reason=NO_TEX)
def test_brief_pdf_pages_and_grid_on_page_one(tmp_path, bundled, brief_tex):
    pdf = tmp_path / "brief.pdf"
    compile_pdf(brief_tex, pdf, name="brief")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    assert pages <= BRIEF_PAGES, f"brief report has {pages} pages"
    page1 = subprocess.run(["pdftotext", "-f", "1", "-l", "1", "-layout", str(pdf), "-"],
                           capture_output=True, text=True, check=True).stdout
    results, _ = bundled
    for r in results[0].claims:
        assert r.label in page1, r.label
    assert "expectations met" in page1


def test_report_json_validates_against_the_published_schema(bundled):
    results, tables = bundled
    schema = load_schema()
    doc = json.loads(json.dumps(report_json(results, tables), default=str))
    validate(doc, schema)
    assert doc["schema"] == schema["properties"]["schema"]["const"]
    assert sum(doc["claim_verdicts"].values()) == sum(len(r.claims) for r in results)
    # verify --json prints the same shape (its cases without re-training tables)
    vdoc = json.loads(json.dumps(verify_json(results, fail_on="fails", exit_code=0), default=str))
    validate(vdoc, schema)
    assert [c["verify"]["case"] for c in vdoc["cases"]] == [c["verify"]["case"] for c in doc["cases"]]


def test_schema_rejects_a_wrong_document():
    schema = load_schema()
    with pytest.raises(AssertionError):
        validate({"schema": "proofcheck.report/1", "expectations_hold": True,
                  "cases": [{"verify": {"case": 1}}]}, schema)
    with pytest.raises(AssertionError):
        validate({"schema": "something/else", "expectations_hold": True, "cases": []}, schema)


def test_json_crosscheck_values_carry_full_precision(bundled):
    results, tables = bundled
    doc = json.loads(json.dumps(report_json(results, tables), default=str))
    digits, short = [], []
    for case in doc["cases"]:
        table = (case["verify"]["sections"].get("crosscheck") or {}).get("table") or {}
        for row in table.get("rows", []):
            v = row.get("mpmath")
            if isinstance(v, str) and re.fullmatch(r"-?\d+\.\d+(e[-+]?\d+)?", v):
                n = len(re.sub(r"e.*$", "", v).replace("-", "").replace(".", "").lstrip("0"))
                digits.append(n)
                if n < 45:  # fewer digits only where the value is exact (trailing zeros dropped)
                    short.append((row["quantity"], row["k"], v, row["exact"]))
    assert digits and max(digits) >= 45
    assert all(Fraction(v) == Fraction(exact) for _, _, v, exact in short), short[:3]


def test_csv_is_the_verdict_grid(bundled):
    results, _ = bundled
    rows = list(csv.reader(io.StringIO(report_csv(results))))
    assert rows == grid_table(results)
    header = rows[0]
    assert header[:4] == ["claim", "claim_id", "objective", "title"]
    names = [r.case.name for r in results]
    assert header[4:4 + len(names)] == names
    assert header[4 + len(names):] in ([], [f"repair:{n}" for n in names])
    by_label = {row[0]: row for row in rows[1:]}
    for n, res in enumerate(results):
        for r in res.claims:
            assert by_label[r.label][4 + n] == r.verdict.value


def test_repair_is_shown_in_grid_and_csv(bundled):
    results, _ = bundled
    res = results[0]
    r = ClaimResult("T5.9.A", "Lemma A", "pi_alpha=2^k = pi^H_k", Verdict.FAILS, "fails at k = 1")
    r.repair = "use fold_term = posterior"
    fake = type(res)(res.case, [r], [])
    grid = verdict_grid([fake])
    assert "R1" in grid and r"\texttt{fold\_term}" in grid
    rows = grid_table([fake])
    assert rows[0][-1] == f"repair:{res.case.name}" and rows[1][-1] == "use fold_term = posterior"


def test_evidence_is_one_table_per_claim():
    rows = [{"quantity": f"k = {k}: pi_alpha=2^k = pi^H_k", "equal": True} for k in range(4)]
    rows += [{"quantity": f"k = {k}: pi_alpha=2^k = pi^G_2^k", "equal": k != 2} for k in range(4)]
    tex = evidence_table(rows)
    assert tex.count(r"\begin{tabular}") == 1 and r"\item" not in tex
    assert tex.count(r"\checkmark") == 7 and r"$\times$" in tex
    assert r"\pi_{\alpha=2^{k}}" in tex and "equal = yes" not in tex


@pytest.mark.parametrize("ascii, tex", [
    ("pi_alpha=2^k = pi^H_k", r"\pi_{\alpha=2^{k}}=\pi_{k}^{H}"),
    ("pi^G_2^k", r"\pi_{2^{k}}^{G}"),
    ("KL(pi||p)", r"\mathrm{KL}(\pi\,\|\,p)"),
    ("lim_(delta->0) kappa_delta", r"\lim_{\delta\to 0}\kappa_{\delta}"),
    ("Delta J_k", r"\Delta J_{k}"),
    ("J*", r"J^{\ast}"),
    ("1.5e-301030", r"1.5\times 10^{-301030}"),
])
def test_ascii_math(ascii, tex):
    assert ascii_math(ascii) == tex


def test_user_text_is_never_typeset_as_math():
    assert ascii_math(r"\input{/etc/passwd}") is None
    out = prose_tex(r"state \input{/etc/passwd} has pi^G_1 = 1/2")
    assert r"\input" not in out.replace(r"\textbackslash{}input", "") and r"\pi_{1}^{G}" in out


def layered(layers=6, width=6):
    """A deterministic model of ``layers`` time steps, ``width`` states per step (36 states)."""
    G = nx.MultiDiGraph(initial="s0_0")
    names = [[f"s{t}_{i}" for i in range(width if t else 1)] for t in range(layers + 1)]
    for i in range(width):  # the initial state reaches every state of step 1
        G.add_edge("s0_0", names[1][i], key=f"a{i}", prior=f"1/{width}")
    for t in range(1, layers):
        for i, s in enumerate(names[t]):
            for j, a in enumerate(("a", "b")):
                G.add_edge(s, names[t + 1][(i + j * t) % width], key=a, prior="1/2")
    for i, s in enumerate(names[-1]):
        G.add_node(s, success="1" if i % 2 else "1/2")
    return from_graph(G)


def test_drawing_is_laid_out_by_time_layer(tmp_path):
    m = layered()
    assert m.n_states == 37
    pos = layout(m)
    for i, s in enumerate(m.states):
        t = int(s[1:].split("_")[0])
        assert pos[("s", i)][0] == 2 * t, s          # columns are time steps
    rows = {}
    for i, s in enumerate(m.states):
        rows.setdefault(pos[("s", i)][0], []).append(pos[("s", i)][1])
    for col, rs in rows.items():
        assert len(set(rs)) == len(rs), f"two states overlap in column {col}"
    tex = mdp_drawing(m)
    assert m.n_states > LABEL_LIMIT and "$p=" not in tex     # unlabelled: legible at this size
    if HAVE_TEX:
        compile_pdf(_PREAMBLE + "\\begin{document}\n" + tex + "\n\\end{document}\n", tmp_path / "d.pdf",
                    name="d")


def test_every_figure_labels_both_axes(bundled):
    results, tables = bundled
    tex = report_document(results, tables, brief=False)
    axes = re.findall(r"\\begin\{axis\}\[(.*?)\]\n", tex, re.S)
    assert axes
    for opts in axes:
        assert re.search(r"xlabel=\{[^}]", opts) and re.search(r"ylabel=\{[^}]", opts), opts[:120]


def test_cli_brief_and_csv(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    code = main(["report", "cases/stochastic_counterexample.toml", "-o", str(tmp_path / "b"),
                 "--no-pdf", "--brief", "--claim", "P4.2", "--claim", "T5.9.A"])
    assert code == 0
    tex = (tmp_path / "b.tex").read_text()
    assert "(brief)" in tex and "--brief" in tex.replace("-{}", "-")
    rows = list(csv.reader(open(tmp_path / "b.csv")))
    assert rows[0][4:] == ["stochastic_counterexample"]
    got = {r[0]: r[4] for r in rows[1:]}
    assert got["P4.2"] == "holds" and got["T5.9.A"] == "not-applicable"
    assert main(["report", "cases/stochastic_counterexample.toml", "-o", str(tmp_path / "f"),
                 "--no-pdf", "--claim", "P4.2", "--csv", str(tmp_path / "grid.csv")]) == 0
    assert (tmp_path / "grid.csv").exists() and (tmp_path / "f.csv").exists()  # the set has its CSV too
    assert "(brief)" not in (tmp_path / "f.tex").read_text()
    assert "b.csv" in capsys.readouterr().out


# ---------------------------------------------------------------- JSON Schema validation
def validate(doc, schema):
    """Validate with ``jsonschema`` when installed, else with :func:`mini_validate`;
    raises AssertionError listing the problems."""
    try:
        import jsonschema
    except ImportError:
        problems = mini_validate(doc, schema, schema)
    else:
        v = jsonschema.Draft202012Validator(schema)
        problems = [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in v.iter_errors(doc)]
    assert not problems, problems[:10]


_TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None),
          "integer": int, "number": (int, float)}


def _is(v, t):
    if t in ("integer", "number") and isinstance(v, bool):
        return False
    return isinstance(v, _TYPES[t])


def mini_validate(v, s, root, path="$"):
    """The subset of JSON Schema that schema.json uses (type, const, enum, required,
    properties, additionalProperties, items, $ref, oneOf, minimum, minItems, maxItems)."""
    if s is True or not s:
        return []
    if "$ref" in s:
        target = root
        for part in s["$ref"].lstrip("#/").split("/"):
            target = target[part]
        return mini_validate(v, target, root, path)
    out = []
    if "type" in s:
        types = s["type"] if isinstance(s["type"], list) else [s["type"]]
        if not any(_is(v, t) for t in types):
            return [f"{path}: not of type {types}"]
    if "const" in s and v != s["const"]:
        out.append(f"{path}: not {s['const']!r}")
    if "enum" in s and v not in s["enum"]:
        out.append(f"{path}: not one of {s['enum']}")
    if "oneOf" in s and sum(1 for sub in s["oneOf"] if not mini_validate(v, sub, root, path)) != 1:
        out.append(f"{path}: not exactly one of oneOf")
    if isinstance(v, (int, float)) and not isinstance(v, bool) and "minimum" in s and v < s["minimum"]:
        out.append(f"{path}: below {s['minimum']}")
    if isinstance(v, dict):
        out += [f"{path}: missing {k}" for k in s.get("required", []) if k not in v]
        props = s.get("properties", {})
        for k, x in v.items():
            if k in props:
                out += mini_validate(x, props[k], root, f"{path}/{k}")
            elif s.get("additionalProperties") is False:
                out.append(f"{path}: unexpected {k}")
            elif isinstance(s.get("additionalProperties"), dict):
                out += mini_validate(x, s["additionalProperties"], root, f"{path}/{k}")
    if isinstance(v, list):
        if len(v) < s.get("minItems", 0) or len(v) > s.get("maxItems", len(v)):
            out.append(f"{path}: wrong length")
        if "items" in s:
            for n, x in enumerate(v):
                out += mini_validate(x, s["items"], root, f"{path}/{n}")
    return out


def test_mini_validator_agrees_with_the_schema(bundled):
    results, tables = bundled
    doc = json.loads(json.dumps(report_json(results, tables), default=str))
    assert mini_validate(doc, load_schema(), load_schema()) == []
    assert mini_validate({"schema": "x", "cases": []}, load_schema(), load_schema())
