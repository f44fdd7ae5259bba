"""An independent reference route: every quantity of the spec from its definition.

Written straight from ``/work/shared/spec/theory.md`` (sections 1-6) over the networkx
graph schema that :func:`proofcheck.from_graph` accepts, in exact
:class:`fractions.Fraction` arithmetic, by memoised sweeps over the DAG (and bounded
trajectory enumeration for the trajectory KL).  It imports nothing from the engine or the
compiled model (only :mod:`proofcheck.errors`), so agreement with the engine is evidence
for both.  The long sums of the soft values and occupancies run on GMP's rationals
(gmpy2) when installed, whose gcd is subquadratic, and give back Fractions
(``_rationals.py``).

Policies are plain dicts ``state -> action -> Fraction``; ``J`` and ``kappa`` are
:class:`LogLinear` forms ``sum c * log(x)`` (exact, with ``-inf``/``+inf``).  Inputs must
be rational (:class:`NotRationalError` otherwise, a subclass of
:class:`proofcheck.errors.UndecidedError`); models beyond ``max_states`` states are refused
(:class:`TooLargeError`).

Examples
--------
>>> import networkx as nx
>>> from proofcheck import reference as ref
>>> G = nx.MultiDiGraph(initial="s")
>>> _ = G.add_edge("s", "good", key="a", prior="1/2")
>>> _ = G.add_edge("s", "bad", key="b", prior="1/2", q="1/2")
>>> G.nodes["bad"]["success"] = "1/3"
>>> ref.goal_condition(G)["s"]
{'a': Fraction(6, 7), 'b': Fraction(1, 7)}
>>> values = ref.reference_values(G, k_max=1)
>>> values["pi_G[1](b | s)"], values["S(prior)"]
(Fraction(1, 7), Fraction(7, 12))
"""

from proofcheck.reference.coherence import (
                        argmax_policy,
                        boltzmann_policy,
                        causal_kl,
                        coherence_fixed_point,
                        incoherence,
                        is_coherent,
                        iterate_coherence,
                        soft_policy,
                        trajectories,
                        trajectory_kl,
)
from proofcheck.reference.conditioning import (
                        cumulative_fold,
                        fold_sequence,
                        goal_condition,
                        noncumulative_fold,
                        retrain,
                        tempered_policy,
)
from proofcheck.reference.loglinear import NEG_INF, POS_INF, LogLinear, coprime_base
from proofcheck.reference.model import (
                        DEFAULT_MAX_EDGES,
                        DEFAULT_MAX_STATES,
                        NotRationalError,
                        PolicyDict,
                        ReferenceModel,
                        ReferenceUnsupported,
                        TooLargeError,
                        as_fraction,
                        as_model,
                        as_policy,
                        load_graph,
)
from proofcheck.reference.options import ARGMAX_TIES, FOLD_TERMS, H_INDEXINGS, IMPOSSIBLE, SOFT_FUNCTIONS
from proofcheck.reference.random_models import random_graph
from proofcheck.reference.summary import reference_values
from proofcheck.reference.values import (
                        SoftValues,
                        additive_return,
                        occupancy,
                        occupancy_by_time,
                        rational_power,
                        soft_values,
                        success_probability,
                        tempered_likelihoods,
)

__all__ = [
    # model and inputs
    "ReferenceModel", "load_graph", "as_model", "as_policy", "as_fraction", "PolicyDict",
    "ReferenceUnsupported", "NotRationalError", "TooLargeError",
    "DEFAULT_MAX_STATES", "DEFAULT_MAX_EDGES",
    # exact logarithmic values
    "LogLinear", "coprime_base", "NEG_INF", "POS_INF",
    # options
    "IMPOSSIBLE", "FOLD_TERMS", "H_INDEXINGS", "ARGMAX_TIES", "SOFT_FUNCTIONS",
    # section 2
    "SoftValues", "soft_values", "success_probability", "additive_return", "occupancy",
    "occupancy_by_time", "rational_power", "tempered_likelihoods",
    # sections 3-5
    "goal_condition", "retrain", "tempered_policy", "fold_sequence", "noncumulative_fold",
    "cumulative_fold",
    # section 6
    "soft_policy", "boltzmann_policy", "argmax_policy", "causal_kl", "trajectory_kl",
    "trajectories", "incoherence", "is_coherent", "iterate_coherence", "coherence_fixed_point",
    # generators and summaries
    "random_graph", "reference_values",
]
