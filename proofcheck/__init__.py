"""proofcheck: verify the claims of *Incoherence in Goal-Conditioned Autoregressive Models*
(Karwowski and Douglas, AISTATS 2026) on your own MDPs, exactly.

The public surface is re-exported here; everything else is an implementation detail.

Examples
--------
>>> import networkx as nx
>>> import proofcheck as pc
>>> G = nx.MultiDiGraph(initial="s")
>>> _ = G.add_edge("s", "good", key="a", prior="1/2")
>>> _ = G.add_edge("s", "bad", key="b", prior="1/2")
>>> G.nodes["bad"]["success"] = "1/3"
>>> m = pc.from_graph(G)
>>> pc.goal_condition(m)["s"]
{'a': 3/4, 'b': 1/4}
>>> [r.verdict.value for r in pc.run_claims(m, ids=["T5.9.B"])]
['holds']
"""

__version__ = "0.5.9"

import typing as _typing

from proofcheck._lazy import lazy_names as _lazy_names
from proofcheck.errors import CaseFileError, ConventionError, ExpressionError, ModelError, ProofcheckError

#: Where each public name lives.  They load on first use (PEP 562), so that ``import
#: proofcheck`` does not import SymPy, NumPy and the engine up front: a CLI call or a test
#: pays only for what it touches.  tests/test_architecture.py checks that every name here
#: resolves and that no import cycle exists, lazy or not.
_PUBLIC = {
    "proofcheck.model": ["MDP", "Policy", "Conventions", "from_graph", "to_graph"],
    "proofcheck.io.casefile": ["Case", "dump_case"],
    "proofcheck.io": ["from_arrays", "from_gymnasium"],
    "proofcheck.verify": ["load_case", "loads_case", "verify_case", "verify_model"],
    "proofcheck.engine": ["soft_values", "success_probability", "additive_return", "occupancy",
                          "goal_condition", "retrain", "tempered_policy", "noncumulative_fold",
                          "cumulative_fold", "boltzmann_policy", "argmax_policy", "incoherence",
                          "is_coherent", "iterate_coherence", "coherence_fixed_point",
                          "optimal_values", "optimal_policy", "get_backend"],
    "proofcheck.claims": ["CLAIMS", "ClaimResult", "Verdict", "run_claims"],
}

if _typing.TYPE_CHECKING:  # the same names, eagerly, for type checkers
    from proofcheck.claims import CLAIMS, ClaimResult, Verdict, run_claims
    from proofcheck.engine import (
        additive_return,
        argmax_policy,
        boltzmann_policy,
        coherence_fixed_point,
        cumulative_fold,
        get_backend,
        goal_condition,
        incoherence,
        is_coherent,
        iterate_coherence,
        noncumulative_fold,
        occupancy,
        optimal_policy,
        optimal_values,
        retrain,
        soft_values,
        success_probability,
        tempered_policy,
    )
    from proofcheck.io import from_arrays, from_gymnasium
    from proofcheck.io.casefile import Case, dump_case
    from proofcheck.model import MDP, Conventions, Policy, from_graph, to_graph
    from proofcheck.verify import load_case, loads_case, verify_case, verify_model


__getattr__, __dir__ = _lazy_names(globals(), _PUBLIC)


__all__ = [
    "__version__", "MDP", "Policy", "Conventions", "Case", "from_graph", "to_graph", "from_arrays",
    "from_gymnasium",
    "load_case", "loads_case", "dump_case",
    "soft_values", "success_probability", "additive_return", "occupancy", "goal_condition",
    "retrain", "tempered_policy", "noncumulative_fold", "cumulative_fold",
    "boltzmann_policy", "argmax_policy", "incoherence", "is_coherent", "iterate_coherence",
    "coherence_fixed_point", "optimal_values", "optimal_policy", "get_backend",
    "CLAIMS", "ClaimResult", "Verdict", "run_claims", "verify_case", "verify_model",
    "ProofcheckError", "ModelError", "CaseFileError", "ExpressionError", "ConventionError",
]
