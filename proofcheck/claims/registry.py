"""Claims as named checks with verdicts and evidence.

A check is a plain function ``check(mdp, conventions, objective) -> ClaimResult``
registered with :func:`claim`.  Verdicts:

``holds``           the claim's conclusion holds on this model (for a claim about all
                    ``k``, on the stated finite range; the result's ``scope`` says so);
``fails``           it does not; ``counterexample`` names the smallest failing instance;
``undecided``       the check could not decide (undecidable sign, too many trajectories,
                    a parametric condition it cannot solve); ``summary`` says why;
``not-applicable``  the model does not meet the claim's hypothesis (e.g. stochastic
                    dynamics for a claim about deterministic ones).  The conclusion is
                    still evaluated and reported in the evidence: it shows whether the
                    hypothesis is needed.

A check runs under the conventions given, by default the paper's printed definitions.
When it FAILS, :func:`run_claim` searches the conventions and hypotheses the claim
declares (``@claim(..., repairs=(...))``) for the smallest change under which it holds
(:mod:`proofcheck.claims.repair`) and records it on the result.  An ``existential``
claim ("there is an MDP where ...") on a parametric model holds where some parameter value
makes the model a witness, and says for which values.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from proofcheck._validation import did_you_mean
from proofcheck.claims.parametric import run_parametric
from proofcheck.claims.repair import apply_repair, check_candidates
from proofcheck.claims.result import ClaimResult, Verdict, fmt
from proofcheck.errors import UndecidedError, UnknownClaimError
from proofcheck.exact.budget import claim_budget
from proofcheck.model.conventions import Conventions

__all__ = ["Verdict", "ClaimResult", "Claim", "claim", "CLAIMS", "claim_objectives", "run_claim",
           "run_claims", "fmt"]


@dataclass(frozen=True)
class Claim:
    """A registered claim: its id, title, statement and check function.

    ``default``: whether :func:`run_claims` runs it when no ids are given (the numeric
    claims run in ``verify``'s numeric section instead).  ``repairs``: the conventions
    and hypotheses (:data:`proofcheck.claims.repair.CANDIDATES`) that may repair the
    claim when it fails as printed.  ``existential``: the claim says that some model
    exists; on a parametric model it holds where the model is a witness.
    """

    id: str
    title: str
    statement: str
    check: Callable[..., ClaimResult]
    uses_objective: bool = False
    hypothesis: str = ""
    default: bool = True
    repairs: tuple = ()
    existential: bool = False


CLAIMS: dict[str, Claim] = {}


def claim(id: str, title: str, statement: str, *, uses_objective: bool = False,
          hypothesis: str = "", default: bool = True, repairs: tuple = (),
          existential: bool = False) -> Callable:
    """Register a check function under a claim id (see :class:`Claim` for the options)."""
    repairs = check_candidates(repairs)

    def deco(fn):
        CLAIMS[id] = Claim(id, title, statement, fn, uses_objective, hypothesis, default,
                           repairs, existential)
        return fn
    return deco


def claim_objectives() -> dict[str, bool]:
    """Every registered claim id and whether it depends on the objective (in case files,
    ``verdict(ID, J)`` needs the objective exactly when this says True)."""
    return {cid: c.uses_objective for cid, c in CLAIMS.items()}


def _run_once(c, mdp, conventions, objective):
    """One run of a check (parametric models: one per case), without repair search."""
    try:
        if mdp.parameters:  # verdicts become exact conditions on a parameter (claims/parametric.py)
            at_point = lambda v: c.check(mdp.substitute({next(iter(mdp.parameters)): v}), conventions, objective)
            return run_parametric(lambda: c.check(mdp, conventions, objective), mdp.parameters,
                                  at_point=at_point if len(mdp.parameters) == 1 else None,
                                  existential=c.existential)
        return c.check(mdp, conventions, objective)
    except UndecidedError as exc:
        return ClaimResult(c.id, c.title, c.statement, Verdict.UNDECIDED, f"undecided: {exc}")


def _against_normalised(res, c, mdp, conventions, objective):
    """A failure on float inputs whose distributions sum to 1 only within the tolerance, checked
    again with them normalised exactly (:meth:`~proofcheck.model.mdp.MDP.normalised`).

    The claims are about probability models; the floats' rounding (``0.1 + 0.9 = 1 + 2^-55`` in
    binary) is not a counterexample.  When the claim holds on the normalised model, the stored
    one is outside its hypothesis: not applicable, with both results.  Otherwise (it fails there
    too, or is undecided) the failure stands and says what the normalised model gave."""
    gap = mdp.normalisation_gap()
    if gap == 0:
        return res
    gap_text = f"{float(gap):.1e}"
    again = _run_once(c, mdp.normalised(), conventions, objective)
    if again.verdict is not Verdict.HOLDS:  # the failure is not shown to be the rounding's
        how = "fails too" if again.verdict is Verdict.FAILS else f"is {again.verdict.value} ({again.summary})"
        res.summary = f"{res.summary} (with the distributions normalised exactly the claim {how})"
        return res
    res.verdict = Verdict.NOT_APPLICABLE
    res.summary = (f"the float inputs' distributions sum to 1 only within {gap_text}, not exactly, and the "
                   f"stored numbers fail by that rounding (evidence below); with them normalised exactly the "
                   f"claim {again.verdict.value}: {again.summary}")
    res.hypothesis = "probability distributions that sum to 1 exactly"
    res.counterexample = None
    return res


def run_claim(claim_id, mdp, conventions, objective=None, *, repair=True):
    """Run one claim; undecidable situations become an ``undecided`` verdict, never a crash.

    When it fails and the claim declares repair candidates, the smallest repairing change
    is searched and recorded (``repair=False`` skips the search, e.g. inside searches
    that run a claim thousands of times).
    """
    conventions = conventions or Conventions()
    c = CLAIMS[claim_id]
    t0 = time.perf_counter()
    with claim_budget():  # exact arithmetic of the check, its case split and repair search
        res = _run_once(c, mdp, conventions, objective)
        if res.verdict is Verdict.FAILS and mdp.float_inputs:
            res = _against_normalised(res, c, mdp, conventions, objective)
        if c.repairs:  # names the conventions in every verdict; searches a repair of a failure
            apply_repair(res, lambda m, conv, obj: _run_once(c, m, conv, obj if c.uses_objective else None),
                         mdp, conventions, objective if c.uses_objective else None, c.repairs, search=repair)
    res.claim_id, res.title, res.statement = c.id, c.title, c.statement
    res.hypothesis = res.hypothesis or c.hypothesis
    res.objective = objective if c.uses_objective else None
    res.conventions = conventions.as_dict()
    res.seconds = time.perf_counter() - t0
    return res


def run_claims(mdp, conventions=None, ids=None):
    """Run claims (all registered ones by default) on a model; objective-dependent
    claims run once per objective in ``conventions.objectives``.

    Examples
    --------
    >>> from proofcheck.examples import mountain_race
    >>> [r.verdict.value for r in run_claims(mountain_race(), ids=["P5.2"])]
    ['holds']
    """
    if hasattr(mdp, "mdp") and hasattr(mdp, "conventions"):  # a loaded Case
        conventions = conventions or mdp.conventions
        mdp = mdp.mdp
    conventions = conventions or Conventions()
    ids = [cid for cid, c in CLAIMS.items() if c.default] if ids is None else ids
    out = []
    for cid in ids:
        if cid not in CLAIMS:
            raise UnknownClaimError(f"unknown claim {cid!r}{did_you_mean(cid, CLAIMS)}; known claims: "
                                    f"{', '.join(CLAIMS)}")
        if CLAIMS[cid].uses_objective:
            out += [run_claim(cid, mdp, conventions, o) for o in conventions.objectives]
        else:
            out.append(run_claim(cid, mdp, conventions))
    return out
