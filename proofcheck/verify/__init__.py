"""Verify a case: run every claim, every expectation and the symbolic and numeric sections."""

from proofcheck.verify.case import (
                                    SECTIONS,
                                    CaseResult,
                                    ExpectationResult,
                                    load_case,
                                    loads_case,
                                    verify_case,
                                    verify_model,
)

__all__ = ["CaseResult", "ExpectationResult", "verify_case", "verify_model", "load_case",
           "loads_case", "SECTIONS"]
