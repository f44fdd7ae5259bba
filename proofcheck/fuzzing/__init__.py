"""Fuzzing with hypothesis: counterexample search over random MDPs, hostile inputs.

The strategies themselves are public in :mod:`proofcheck.strategies`.
"""

from proofcheck.fuzzing.search import ClaimStats, search_claim, search_claims

__all__ = ["ClaimStats", "search_claim", "search_claims"]
