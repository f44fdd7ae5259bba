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
    "UnknownConventionError",
    "OptionError",
    "BackendError",
    "UnknownClaimError",
    "NonUniqueError",
    "StormUnavailable",
    "ReportInputError",
    "TexError",
    "UndecidedError",
    "TooManyTrajectories",
    "BudgetExceeded",
    "ReferenceUnsupported",
    "NotRationalError",
    "TooLargeError",
    "UnreachableStateWarning",
    "HorizonSuccessError",
    "HorizonSuccessWarning",
    "UncertifiedRangeWarning",
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


class UnknownConventionError(ConventionError, TypeError):
    """A keyword of :class:`~proofcheck.model.conventions.Conventions` that names no
    convention; a ``TypeError`` too, as Python's own error for such a keyword is."""


class OptionError(ProofcheckError, ValueError):
    """An option or argument value is out of range: a count, a size, a precision, a path."""


class BackendError(OptionError):
    """An unknown number backend, or bad digits for one (``mpmath:3``)."""


class UnknownClaimError(OptionError):
    """A claim id that no claim is registered under."""


class NonUniqueError(ProofcheckError):
    """The stationary soft Bellman system of a policy has no unique solution."""


class StormUnavailable(ProofcheckError):
    """stormpy (the optional extra ``storm``) is not installed."""


class ReportInputError(ProofcheckError):
    """A report option or input file is unusable."""


class TexError(ProofcheckError):
    """The TeX engine rejected the generated document (a bug, or a TeX installation
    missing a package); the ``.tex`` is still written."""


class UndecidedError(Exception):
    """A comparison could not be decided (intervals overlap, symbolic sign unknown).

    Not a user error: claim checks catch it and report the verdict as undecided.
    """


class TooManyTrajectories(UndecidedError):
    """Trajectory enumeration would exceed its limit."""


class UnreachableStateWarning(UserWarning):
    """Some states cannot be reached from the initial distribution."""


class UncertifiedRangeWarning(UserWarning):
    """A parametric value could not be certified to lie in its range."""


class ReferenceUnsupported(UndecidedError):
    """The reference route cannot compute this exactly (so it decides nothing about it).

    A cross-check that catches :class:`UndecidedError` reports the comparison as undecided
    instead of failing.
    """


class NotRationalError(ReferenceUnsupported):
    """An input (or a derived power such as ``q ** alpha``) is not a rational number."""


class TooLargeError(ReferenceUnsupported):
    """The model exceeds the reference route's stated size bounds."""


class HorizonSuccessError(ModelError):
    """A cyclic graph is cut at its horizon in states with actions left and no
    ``horizon_success`` was chosen (``strict``).  ``horizon`` and ``cut`` name them."""

    def __init__(self, message: str, horizon: int, cut: object) -> None:
        super().__init__(message)
        self.horizon = horizon
        self.cut = cut


class HorizonSuccessWarning(UserWarning):
    """A cyclic graph was cut at its horizon without an explicit ``horizon_success``: the
    cut states got the legacy success 1.  Set the graph attribute ``horizon_success``."""


class BudgetExceeded(UndecidedError):
    """A deterministic work budget (:class:`proofcheck.exact.budget.WorkBudget`) ran out: the
    verdict is undecided with the reason; ``--budget`` allows more work."""
