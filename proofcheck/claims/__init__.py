"""The paper's claims as named checks with verdicts, evidence and counterexamples."""

from . import checks  # noqa: F401  (registers every check)
from .quantities import PolicyCache, Quantity, evaluate_quantity, parse_quantity
from .registry import CLAIMS, Claim, ClaimResult, Verdict, claim, run_claim, run_claims

__all__ = ["CLAIMS", "Claim", "ClaimResult", "Verdict", "claim", "run_claim", "run_claims",
           "Quantity", "parse_quantity", "evaluate_quantity", "PolicyCache"]
