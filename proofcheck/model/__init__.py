"""The model: MDPs as networkx graphs, conventions, case files, safe expressions."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from proofcheck.errors import HorizonSuccessError, HorizonSuccessWarning

if TYPE_CHECKING:  # the same names, eagerly, for type checkers
    from proofcheck.model.conventions import Conventions
    from proofcheck.model.mdp import MDP, Policy, from_graph, to_graph, unroll
    from proofcheck.model.validation import UncertifiedRangeWarning, UnreachableStateWarning, validate

__all__ = ["MDP", "Policy", "from_graph", "to_graph", "unroll", "Conventions", "validate",
           "UncertifiedRangeWarning", "UnreachableStateWarning", "HorizonSuccessError",
           "HorizonSuccessWarning"]

#: Where each name lives.  They load on first use (PEP 562): the time-expanded models of
#: the effective horizon (:mod:`proofcheck.model.time_expanded`) need neither the graph
#: model nor SymPy, which these modules import.
_PUBLIC = {
    "proofcheck.model.conventions": ["Conventions"],
    "proofcheck.model.mdp": ["MDP", "Policy", "from_graph", "to_graph", "unroll"],
    "proofcheck.model.validation": ["UncertifiedRangeWarning", "UnreachableStateWarning", "validate"],
}
_WHERE = {name: module for module, names in _PUBLIC.items() for name in names}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
