"""The exact engine: every object of the paper, by dynamic programming over the graph."""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

from proofcheck._lazy import lazy_names
from proofcheck.engine.backends import Backend, FloatBackend, get_backend

if TYPE_CHECKING:  # the same names, eagerly, for type checkers
    from proofcheck.engine.backends import ExactBackend, IntervalBackend, MpmathBackend
    from proofcheck.engine.coherence import (
        argmax_policy,
        boltzmann_policy,
        coherence_fixed_point,
        incoherence,
        incoherent_states,
        is_coherent,
        iterate_coherence,
        soft_policy,
    )
    from proofcheck.engine.goal_conditioning import (
        cumulative_fold,
        fold_sequence,
        goal_condition,
        iter_retrain,
        noncumulative_fold,
        retrain,
        tempered_policy,
    )
    from proofcheck.engine.optimal import OptimalValues, is_optimal, optimal_policy, optimal_values
    from proofcheck.engine.soft_values import SoftValues, additive_return, occupancy, soft_values, success_probability
    from proofcheck.engine.trajectories import (
        TooManyTrajectories,
        count_trajectories,
        enumerate_trajectories,
        trajectory_distribution,
        trajectory_kl,
    )

__all__ = [
    "Backend", "ExactBackend", "FloatBackend", "IntervalBackend", "MpmathBackend", "get_backend",
    "argmax_policy", "boltzmann_policy", "coherence_fixed_point", "incoherence",
    "incoherent_states", "is_coherent", "iterate_coherence", "soft_policy",
    "cumulative_fold", "fold_sequence", "goal_condition", "iter_retrain", "noncumulative_fold", "retrain",
    "tempered_policy", "OptimalValues", "is_optimal", "optimal_policy", "optimal_values",
    "SoftValues", "additive_return", "occupancy", "soft_values", "success_probability",
    "TooManyTrajectories", "count_trajectories", "enumerate_trajectories",
    "trajectory_distribution", "trajectory_kl",
]

#: Where each name lives.  They load on first use (PEP 562): importing one module of the
#: engine (the effective horizon of a BRIDGE model) then does not import every other one
#: and SymPy with them.
_PUBLIC = {
    "proofcheck.engine.backends": ["ExactBackend", "IntervalBackend", "MpmathBackend"],
    "proofcheck.engine.coherence": ["argmax_policy", "boltzmann_policy", "coherence_fixed_point", "incoherence",
                                    "incoherent_states", "is_coherent", "iterate_coherence", "soft_policy"],
    "proofcheck.engine.goal_conditioning": ["cumulative_fold", "fold_sequence", "goal_condition",
                                            "iter_retrain", "noncumulative_fold", "retrain",
                                            "tempered_policy"],
    "proofcheck.engine.optimal": ["OptimalValues", "is_optimal", "optimal_policy", "optimal_values"],
    "proofcheck.engine.soft_values": ["SoftValues", "additive_return", "occupancy", "soft_values",
                                      "success_probability"],
    "proofcheck.engine.trajectories": ["TooManyTrajectories", "count_trajectories", "enumerate_trajectories",
                                       "trajectory_distribution", "trajectory_kl"],
}
_LAZY = {name for names in _PUBLIC.values() for name in names}

__getattr__, __dir__ = lazy_names(globals(), _PUBLIC)


class _Engine(types.ModuleType):
    """The package's module type.  Importing a submodule binds it as an attribute of the
    package; ``soft_values`` is both a submodule and its main function, and the name must
    keep meaning the function (as it did when this package imported it eagerly), also
    when the submodule is first imported after a lazy load."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _LAZY and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Engine
