"""Exact-number primitives, below every MDP concept: rigorous signs, interval enclosures,
exact conditions on a parameter and the case-split context of parametric claim runs."""

from proofcheck.exact.assumptions import assumed_sign, assumed_zero, assuming
from proofcheck.exact.conditions import Condition, conjunction, describe_set, parametric_condition
from proofcheck.exact.intervals import interval_context, interval_eval
from proofcheck.exact.sign import exact_sign, log_linear_is_zero

__all__ = ["exact_sign", "log_linear_is_zero", "interval_context", "interval_eval", "Condition",
           "parametric_condition", "conjunction", "describe_set", "assuming", "assumed_sign",
           "assumed_zero"]
