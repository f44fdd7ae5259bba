"""Symbolic layer: closed forms in the iteration count and the temperature, and their limits.

Examples
--------
>>> from proofcheck.examples import mountain_race
>>> from proofcheck.symbolic import retraining_closed_form
>>> retraining_closed_form(mountain_race()).expr("start", "up")
1/(2*(3/4)**k + 1)
"""

from proofcheck.symbolic.closed_forms import (
                                              ALPHA,
                                              BETA,
                                              DELTA,
                                              ClosedForm,
                                              ExpSum,
                                              K,
                                              boltzmann_closed_form,
                                              boltzmann_fixed_point,
                                              cumulative_fold_temperature,
                                              exp_sums,
                                              first_divergence,
                                              is_identity,
                                              prove_retraining_identity,
                                              retraining_closed_form,
                                              tempered_closed_form,
)
from proofcheck.symbolic.limits import (
                                              fixed_point_limit,
                                              numeric_check,
                                              piecewise_ratio_limit,
                                              policy_limit,
                                              ratio_limit,
)

__all__ = [
    "ALPHA", "BETA", "DELTA", "K", "ClosedForm", "ExpSum", "boltzmann_closed_form",
    "boltzmann_fixed_point", "cumulative_fold_temperature", "exp_sums", "first_divergence",
    "is_identity", "prove_retraining_identity", "retraining_closed_form",
    "tempered_closed_form", "fixed_point_limit", "numeric_check", "piecewise_ratio_limit",
    "policy_limit", "ratio_limit",
]
