"""The exact engine: every object of the paper, by dynamic programming over the graph."""

from proofcheck.engine.backends import Backend, ExactBackend, FloatBackend, IntervalBackend, MpmathBackend, get_backend
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
    "cumulative_fold", "fold_sequence", "goal_condition", "noncumulative_fold", "retrain",
    "tempered_policy", "OptimalValues", "is_optimal", "optimal_policy", "optimal_values",
    "SoftValues", "additive_return", "occupancy", "soft_values", "success_probability",
    "TooManyTrajectories", "count_trajectories", "enumerate_trajectories",
    "trajectory_distribution", "trajectory_kl",
]
