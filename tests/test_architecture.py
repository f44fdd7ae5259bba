"""The package's layering, seen from its source: no import cycle (imports inside
functions included), every module with an ``__all__`` that star-imports cleanly, and a
top-level API whose ``__all__`` lists exactly its public names."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import subprocess
import sys
import types
from pathlib import Path

import networkx as nx
import pytest

import proofcheck

ROOT = Path(proofcheck.__file__).parent


def _modules() -> dict[str, Path]:
    out = {}
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT.parent).with_suffix("")
        name = ".".join(rel.parts)
        out[name.removesuffix(".__init__")] = path
    return out


def _imported(module: str, path: Path, known: dict[str, Path]) -> set[str]:
    """Modules of the package that ``module`` imports anywhere in its body."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            targets = [base] + [f"{base}.{a.name}" for a in node.names]
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module"
              and node.args and isinstance(node.args[0], ast.Constant)):
            targets = [str(node.args[0].value)]
        out |= {t for t in targets if t in known and t != module and not module.startswith(t + ".")}
    return out


def test_no_import_cycle_counting_function_level_imports():
    known = _modules()
    graph = nx.DiGraph()
    graph.add_nodes_from(known)
    for name, path in known.items():
        graph.add_edges_from((name, t) for t in _imported(name, path, known))
    cycles = [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]
    assert cycles == []


def test_the_reference_route_imports_nothing_of_the_engine_or_the_model():
    known = _modules()
    bad = {(name, t) for name, path in known.items() if name.startswith("proofcheck.reference")
           for t in _imported(name, path, known)
           if not (t.startswith("proofcheck.reference") or t in ("proofcheck.errors", "proofcheck._validation"))}
    assert bad == set()


@pytest.mark.parametrize("name", sorted(m.name for m in pkgutil.walk_packages(proofcheck.__path__, "proofcheck.")
                                         if not m.name.endswith("__main__")))
def test_every_module_has_an_all_that_star_imports(name):
    module = importlib.import_module(name)
    assert hasattr(module, "__all__"), f"{name} has no __all__"
    missing = [n for n in module.__all__ if not hasattr(module, n)]
    assert missing == []
    namespace: dict = {}
    exec(f"from {name} import *", namespace)  # noqa: S102 - our own module names


def test_top_level_all_is_exactly_the_public_names():
    for name in proofcheck.__all__:  # every listed name resolves (they load lazily)
        getattr(proofcheck, name)
    public = {n for n, v in vars(proofcheck).items() if not n.startswith("_")
              and not (getattr(v, "__name__", "").startswith("proofcheck.") and isinstance(v, types.ModuleType))}
    assert set(proofcheck.__all__) - {"__version__"} == public


def test_import_proofcheck_loads_no_heavy_module():
    code = "import sys, proofcheck; print(sorted(m for m in ('sympy', 'numpy', 'networkx', 'mpmath') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_submodules_load_on_attribute_access_and_misses_suggest_a_name():
    code = ("import proofcheck as pc\n"
            "print(pc.examples.mountain_race().n_states)\n"
            "try:\n    pc.goal_conditon\nexcept AttributeError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == ["7", "module 'proofcheck' has no attribute 'goal_conditon'; "
                                     "did you mean 'goal_condition'?"]
