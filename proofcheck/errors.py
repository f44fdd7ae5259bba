"""Exceptions raised by proofcheck.

Every error a user can cause derives from :class:`ProofcheckError`; the CLI turns
those into one readable line and exit code 2.  Messages follow one pattern: what
is wrong, where (file, key, state, action), the offending value, and the fix.
"""

__all__ = [
    "ProofcheckError",
    "ModelError",
    "CaseFileError",
    "ExpressionError",
    "ConventionError",
    "UndecidedError",
]


class ProofcheckError(Exception):
    """Base class of every error caused by input to proofcheck."""


class ModelError(ProofcheckError, ValueError):
    """The MDP is malformed: bad probabilities, missing priors, cycles, ..."""


class CaseFileError(ProofcheckError, ValueError):
    """A case file cannot be read, parsed or is structurally wrong."""


class ExpressionError(CaseFileError):
    """An expression string is outside the allow-listed grammar."""


class ConventionError(ProofcheckError, ValueError):
    """An unknown or inconsistent convention was requested."""


class UndecidedError(Exception):
    """A comparison could not be decided (intervals overlap, symbolic sign unknown).

    Not a user error: claim checks catch it and report the verdict as undecided.
    """
