"""What a claim check returns: a verdict, a summary, evidence and a counterexample."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

__all__ = ["Verdict", "ClaimResult", "fmt"]


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
