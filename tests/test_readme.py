"""The README's Python example runs and prints what the README says it prints."""

import re
from pathlib import Path

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_readme_python_example_matches_its_comments():
    block = re.search(r"```python\n(.*?)```", README, re.S).group(1)
    namespace = {}
    lines = []
    for line in block.splitlines():
        m = re.match(r"^(pc\.[^#]*?)\s+# (\{.*\})$", line)
        if m:  # an expression with its documented value
            lines.append(f"assert str({m.group(1)}) == {m.group(2)!r}, {m.group(1)!r}")
        else:
            lines.append(line)
    code = "\n".join(lines).replace("print(r.label, r.verdict, r.summary)", "pass")
    exec(compile(code, "README.md", "exec"), namespace)  # our own README, not user input
    assert namespace["m"].n_states == 3


def test_readme_quick_start_has_exactly_two_commands():
    quick = README.split("## Quick start", 1)[1].split("<!-- QUICKSTART-END -->", 1)[0]
    commands = re.findall(r"```bash\n(.*?)```", quick, re.S)
    assert len(commands) == 2
    assert all(len(c.strip().splitlines()) == 1 for c in commands)
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command():
    quick = README.split("## Quick start", 1)[1].split("<!-- QUICKSTART-END -->", 1)[0]
    test_command = re.findall(r"```bash\n(.*?)```", quick, re.S)[1].strip()
    ci = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text()
    assert test_command in ci.splitlines()


def test_citation_names_the_version_being_released():
    # CITATION.cff once said 0.2.0 while the package was 0.5.4: a paper citing the tool
    # would have named a version that did not compute its numbers
    import proofcheck
    citation = (Path(__file__).resolve().parents[1] / "CITATION.cff").read_text()
    pyproject = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()
    cited = re.search(r"^version: (\S+)$", citation, re.M).group(1)
    packaged = re.search(r'^version = "(\S+)"$', pyproject, re.M).group(1)
    assert cited == packaged == proofcheck.__version__
    released = re.search(r"^date-released: (\S+)$", citation, re.M).group(1)
    assert released in (Path(__file__).resolve().parents[1] / "CHANGELOG.md").read_text()
