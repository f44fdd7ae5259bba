"""Symbolic layer: closed forms in the iteration count and the temperature, their limits,
and the verify extension (:mod:`proofcheck.symbolic.sections`).

Examples
--------
>>> from proofcheck.examples import mountain_race
>>> from proofcheck.symbolic import retraining_closed_form
>>> retraining_closed_form(mountain_race()).expr("start", "up")
1/(2*(3/4)**k + 1)
"""

# Lazy re-exports: engine modules may import proofcheck.symbolic.* submodules while the
# engine package is still initialising, so nothing is imported eagerly here.
_FROM = {
    "closed_forms": ["ALPHA", "BETA", "DELTA", "K", "ClosedForm", "ExpSum", "boltzmann_closed_form",
                     "boltzmann_fixed_point", "cumulative_fold_temperature", "exp_sums",
                     "first_divergence", "is_identity", "prove_retraining_identity",
                     "retraining_closed_form", "tempered_closed_form"],
    "limits": ["fixed_point_limit", "numeric_check", "piecewise_ratio_limit", "policy_limit",
               "ratio_limit"],
}


def __getattr__(name):
    import importlib
    for mod, names in _FROM.items():
        if name in names:
            return getattr(importlib.import_module(f"{__name__}.{mod}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ALPHA", "BETA", "DELTA", "K", "ClosedForm", "ExpSum", "boltzmann_closed_form",
    "boltzmann_fixed_point", "cumulative_fold_temperature", "exp_sums", "first_divergence",
    "is_identity", "prove_retraining_identity", "retraining_closed_form",
    "tempered_closed_form", "fixed_point_limit", "numeric_check", "piecewise_ratio_limit",
    "policy_limit", "ratio_limit",
]
