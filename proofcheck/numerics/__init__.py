"""Numeric layer: backend agreement, certified verdicts, sampled re-training, GORP.

Every number here states its precision; where a value is certified (interval arithmetic)
it says so.
"""

from proofcheck.numerics.certified import certified_compare, certified_trajectory, certify_monotone
from proofcheck.numerics.crosscheck import CrossCheckTable, crosscheck_case
from proofcheck.numerics.sampling import n_needed, sampled_retrain, sampling_study

__all__ = [
    "crosscheck_case", "CrossCheckTable", "certified_compare", "certify_monotone",
    "certified_trajectory", "sampled_retrain", "sampling_study", "n_needed",
]
