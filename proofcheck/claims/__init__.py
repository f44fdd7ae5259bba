"""The paper's claims as named checks with verdicts, evidence and counterexamples.

Importing this package registers every check, in the paper's order; the registry itself
(:mod:`proofcheck.claims.registry`) imports no check.
"""

from proofcheck.claims import coherence, global_vs_local, limits, numeric, retraining, soft_value_semantics
from proofcheck.claims.registry import (
    CLAIMS,
    Claim,
    ClaimResult,
    Verdict,
    claim,
    claim_objectives,
    run_claim,
    run_claims,
)

#: The claim modules, in the paper's order (importing them registered their checks).
CLAIM_MODULES = (soft_value_semantics, global_vs_local, coherence, retraining, limits, numeric)


def _paper_order() -> None:
    # the modules import each other, so registration order is import order: restore the paper's
    rank = {m.__name__: i for i, m in enumerate(CLAIM_MODULES)}
    ordered = sorted(CLAIMS.items(), key=lambda item: rank[item[1].check.__module__])
    CLAIMS.clear()
    CLAIMS.update(ordered)


_paper_order()

__all__ = ["CLAIMS", "CLAIM_MODULES", "Claim", "ClaimResult", "Verdict", "claim",
           "claim_objectives", "run_claim", "run_claims"]
