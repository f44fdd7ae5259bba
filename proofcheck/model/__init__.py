"""The model: MDPs as networkx graphs, conventions, case files, safe expressions."""

from proofcheck.errors import HorizonSuccessError, HorizonSuccessWarning
from proofcheck.model.conventions import Conventions
from proofcheck.model.mdp import MDP, Policy, from_graph, to_graph, unroll
from proofcheck.model.validation import UncertifiedRangeWarning, UnreachableStateWarning, validate

__all__ = ["MDP", "Policy", "from_graph", "to_graph", "unroll", "Conventions", "validate",
           "UncertifiedRangeWarning", "UnreachableStateWarning", "HorizonSuccessError",
           "HorizonSuccessWarning"]
