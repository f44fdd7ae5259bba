"""The model: MDPs as networkx graphs, conventions, case files, safe expressions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from proofcheck._lazy import lazy_names
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

__getattr__, __dir__ = lazy_names(globals(), _PUBLIC)
