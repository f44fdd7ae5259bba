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
"""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass, field

import sympy as sp

from ..errors import UndecidedError

__all__ = ["Verdict", "ClaimResult", "Claim", "claim", "CLAIMS", "run_claim", "run_claims",
           "fmt"]


class Verdict(str, enum.Enum):
    HOLDS = "holds"
    FAILS = "fails"
    UNDECIDED = "undecided"
    NOT_APPLICABLE = "not-applicable"

    def __str__(self):
        return self.value


def fmt(value):
    """Short text for a number, expression or policy row."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {fmt(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(fmt(v) for v in value) + "]"
    if isinstance(value, sp.Basic):
        return str(value)
    return str(value)


@dataclass
class ClaimResult:
    """The outcome of one check on one model."""

    claim_id: str
    title: str
    statement: str
    verdict: Verdict
    summary: str
    evidence: list = field(default_factory=list)  # rows: {"quantity", "value"/"lhs"/"rhs", "equal"}
    counterexample: dict | None = None
    objective: str | None = None
    scope: str = ""
    conventions: dict = field(default_factory=dict)
    hypothesis: str = ""
    route: str = ""
    seconds: float = 0.0

    @property
    def label(self):
        return f"{self.claim_id} [{'J' if self.objective == 'return' else 'S'}]" if self.objective else self.claim_id

    def as_dict(self):
        def conv(v):
            if isinstance(v, dict):
                return {str(k): conv(x) for k, x in v.items()}
            if isinstance(v, (list, tuple)):
                return [conv(x) for x in v]
            if isinstance(v, (bool, int, float, str)) or v is None:
                return v
            return fmt(v)
        return {
            "claim": self.claim_id, "label": self.label, "title": self.title,
            "statement": self.statement, "verdict": self.verdict.value, "summary": self.summary,
            "evidence": conv(self.evidence), "counterexample": conv(self.counterexample),
            "objective": self.objective, "scope": self.scope, "conventions": self.conventions,
            "hypothesis": self.hypothesis, "route": self.route, "seconds": round(self.seconds, 4),
        }


@dataclass(frozen=True)
class Claim:
    id: str
    title: str
    statement: str
    check: object
    uses_objective: bool = False
    hypothesis: str = ""


CLAIMS: dict = {}


def claim(id, title, statement, *, uses_objective=False, hypothesis=""):
    """Register a check function under a claim id."""
    def deco(fn):
        CLAIMS[id] = Claim(id, title, statement, fn, uses_objective, hypothesis)
        return fn
    return deco


def run_claim(claim_id, mdp, conventions, objective=None):
    """Run one claim; undecidable situations become an ``undecided`` verdict, never a crash."""
    from ..model.conventions import Conventions
    conventions = conventions or Conventions()
    c = CLAIMS[claim_id]
    t0 = time.perf_counter()
    try:
        if mdp.parameters:  # verdicts become exact conditions on a parameter (symbolic/parametric.py)
            from ..symbolic.parametric import run_parametric
            at_point = lambda v: c.check(mdp.substitute({next(iter(mdp.parameters)): v}), conventions, objective)
            res = run_parametric(lambda: c.check(mdp, conventions, objective), mdp.parameters,
                                 at_point=at_point if len(mdp.parameters) == 1 else None)
        else:
            res = c.check(mdp, conventions, objective)
    except UndecidedError as exc:
        res = ClaimResult(c.id, c.title, c.statement, Verdict.UNDECIDED, f"undecided: {exc}")
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
    from ..model.conventions import Conventions
    from . import checks  # noqa: F401  (registers the checks)
    if hasattr(mdp, "mdp") and hasattr(mdp, "conventions"):  # a loaded Case
        conventions = conventions or mdp.conventions
        mdp = mdp.mdp
    conventions = conventions or Conventions()
    ids = list(CLAIMS) if ids is None else ids
    out = []
    for cid in ids:
        if cid not in CLAIMS:
            from ..errors import ConventionError
            raise ConventionError(f"unknown claim {cid!r}; known claims: {', '.join(CLAIMS)}")
        if CLAIMS[cid].uses_objective:
            out += [run_claim(cid, mdp, conventions, o) for o in conventions.objectives]
        else:
            out.append(run_claim(cid, mdp, conventions))
    return out
