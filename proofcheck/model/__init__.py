"""The model: MDPs as networkx graphs, conventions, case files, safe expressions."""

from .conventions import Conventions
from .mdp import MDP, Policy, from_graph, to_graph, unroll
from .validation import UncertifiedRangeWarning, UnreachableStateWarning, validate

__all__ = ["MDP", "Policy", "from_graph", "to_graph", "unroll", "Conventions", "validate",
           "UncertifiedRangeWarning", "UnreachableStateWarning"]
