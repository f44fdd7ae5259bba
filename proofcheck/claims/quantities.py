"""Named quantities for case-file expectations, e.g. ``pi_G[1](up | start)``.

Grammar (whitespace is free)::

    quantity := POLICY "(" ACTION "|" STATE ")"      probability pi(a | s)
              | "S(" POLICY ")" | "J(" POLICY ")"       success probability, additive return
              | "kappa(" POLICY ")"                      Boltzmann incoherence at conventions.delta
              | "kappa_argmax(" POLICY ")"               argmax incoherence
              | "Zv[" POLICY "](" STATE ")"              soft value exp(V_pi(s))
              | "verdict(" CLAIM ["," ("J"|"S")] ")"      verdict of a claim (expected: a verdict name)
    POLICY   := prior | uniform | pi_1                   pi_1 = G(prior)
              | pi_G[k] | pi_F[k] | pi_H[k]              re-training, folds (k an integer)
              | pi_B[i] | pi_B[fixed]                    iterated Boltzmann coherence
              | pi_alpha[x] | pi_delta[x]                tempered G(prior); Boltzmann of prior
              | optimal_S | optimal_J                    uniform over optimal actions

Numbers ``x`` use the allow-listed expression grammar.  Nothing is evaluated as code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import CaseFileError, ExpressionError
from ..model.expressions import parse_expression

__all__ = ["Quantity", "parse_quantity", "evaluate_quantity", "PolicyCache", "VERDICT_NAMES"]

_POLICY = re.compile(
    r"^\s*(?:(?P<plain>prior|uniform|pi_1|optimal_S|optimal_J)"
    r"|pi_(?P<seq>G|F|H|B)\[\s*(?P<index>\d{1,4}|fixed)\s*\]"
    r"|pi_(?P<temp>alpha|delta)\[(?P<arg>[^\[\]]{1,100})\])\s*$"
)
_PROB = re.compile(r"^\s*(?P<policy>[A-Za-z_][^()]*?)\s*\(\s*(?P<action>[^|()]+?)\s*\|\s*(?P<state>[^|()]+?)\s*\)\s*$")
_FUNC = re.compile(r"^\s*(?P<func>S|J|kappa|kappa_argmax)\s*\(\s*(?P<policy>[^()]+?)\s*\)\s*$")
_VERDICT = re.compile(r"^\s*verdict\s*\(\s*(?P<claim>[A-Za-z0-9_.]{1,20})\s*(?:,\s*(?P<obj>J|S)\s*)?\)\s*$")
#: Expected values of ``verdict(...)`` quantities (strings, not expressions).
VERDICT_NAMES = ("holds", "fails", "undecided", "not-applicable")
_ZV = re.compile(r"^\s*Zv\s*\[\s*(?P<policy>[^()]+?)\s*\]\s*\(\s*(?P<state>[^|()]+?)\s*\)\s*$")

_HELP = ("quantities look like pi_G[1](up | start), S(pi_G[2]), J(prior), kappa(pi_1), "
         "Zv[prior](start); policies: prior, uniform, pi_1, pi_G[k], pi_F[k], pi_H[k], "
         "pi_B[i], pi_B[fixed], pi_alpha[x], pi_delta[x], optimal_S, optimal_J")


@dataclass(frozen=True)
class Quantity:
    """A parsed quantity: ``kind`` in {prob, S, J, kappa, kappa_argmax, Zv, verdict}.

    For ``verdict``, ``claim`` is ``(claim_id, objective or None)`` and ``policy`` is empty."""

    text: str
    kind: str
    policy: tuple
    state: str | None = None
    action: str | None = None
    claim: tuple | None = None


def _parse_policy(text, where):
    m = _POLICY.match(text)
    if not m:
        raise CaseFileError(f"{where}: unknown policy {text.strip()!r}; {_HELP}")
    if m["plain"]:
        return (m["plain"],)
    if m["seq"]:
        idx = m["index"]
        if idx == "fixed" and m["seq"] != "B":
            raise CaseFileError(f"{where}: only pi_B has a [fixed] point; use an integer index for pi_{m['seq']}")
        return ("pi_" + m["seq"], idx if idx == "fixed" else int(idx))
    try:
        value = parse_expression(m["arg"], {}, where=where)
    except ExpressionError as exc:
        raise CaseFileError(str(exc)) from None
    if not (value.is_number and value.is_positive):
        raise CaseFileError(f"{where}: pi_{m['temp']}[{m['arg']}] needs a positive number")
    return ("pi_" + m["temp"], value)


def _parse_claim(claim_id, obj, where):
    from . import checks  # noqa: F401  (registers the checks)
    from .registry import CLAIMS
    if claim_id not in CLAIMS:
        raise CaseFileError(f"{where}: unknown claim {claim_id!r} in verdict(...); known claims: {', '.join(CLAIMS)}")
    uses = CLAIMS[claim_id].uses_objective
    if uses and obj is None:
        raise CaseFileError(f"{where}: claim {claim_id} depends on the objective; write verdict({claim_id}, J) or verdict({claim_id}, S)")
    if not uses and obj is not None:
        raise CaseFileError(f"{where}: claim {claim_id} has no objective; write verdict({claim_id})")
    return (claim_id, {"J": "return", "S": "success", None: None}[obj])


def parse_quantity(text, where="quantity"):
    """Parse a quantity string.

    Examples
    --------
    >>> parse_quantity("pi_G[1](up | start)")
    Quantity(text='pi_G[1](up | start)', kind='prob', policy=('pi_G', 1), state='start', action='up', claim=None)
    >>> parse_quantity("verdict(P5.4, J)").claim
    ('P5.4', 'return')
    """
    if not isinstance(text, str) or len(text) > 300:
        raise CaseFileError(f"{where}: a quantity must be a string of at most 300 characters")
    m = _VERDICT.match(text)
    if m:
        return Quantity(text, "verdict", (), claim=_parse_claim(m["claim"], m["obj"], where))
    for pattern, kind in ((_ZV, "Zv"), (_FUNC, None), (_PROB, "prob")):
        m = pattern.match(text)
        if m:
            kind = kind or m["func"]
            return Quantity(text, kind, _parse_policy(m["policy"], where),
                            state=m.groupdict().get("state"), action=m.groupdict().get("action"))
    raise CaseFileError(f"{where}: cannot read the quantity {text!r}; {_HELP}")


class PolicyCache:
    """Computes each named policy once per (model, conventions)."""

    def __init__(self, mdp, conventions, backend=None):
        from ..engine import get_backend
        self.mdp, self.conv, self.B = mdp, conventions, get_backend(backend)
        self._seq = {}
        self._one = {}

    def sequence(self, name, k):
        from ..engine import cumulative_fold, iterate_coherence, noncumulative_fold, retrain
        have = self._seq.get(name, [])
        if len(have) <= k:
            n = max(k, 2 * len(have))
            m, c, B = self.mdp, self.conv, self.B
            if name == "pi_G":
                have = retrain(m, n, backend=B, conventions=c)
            elif name == "pi_F":
                have = noncumulative_fold(m, n, backend=B, conventions=c)
            elif name == "pi_H":
                have = cumulative_fold(m, n, backend=B, conventions=c)
            elif name == "pi_B":
                have = iterate_coherence(m, n, backend=B, conventions=c)
            self._seq[name] = have
        return have[k]

    def get(self, spec):
        from ..engine import (boltzmann_policy, coherence_fixed_point, goal_condition,
                              optimal_policy, tempered_policy)
        m, c, B = self.mdp, self.conv, self.B
        name = spec[0]
        if name in ("pi_G", "pi_F", "pi_H", "pi_B") and spec[1] != "fixed":
            pol = self.sequence(name, spec[1])
            if pol is None:
                raise CaseFileError(f"{name}[{spec[1]}] is undefined under h_indexing = {c.h_indexing!r}")
            return pol
        if spec not in self._one:
            if name == "prior":
                pol = m.prior_policy()
            elif name == "uniform":
                pol = m.uniform_policy()
            elif name == "pi_1":
                pol = self.sequence("pi_G", 1)
            elif name == "pi_B":
                pol = coherence_fixed_point(m, backend=B, conventions=c)
            elif name == "pi_alpha":
                pol = tempered_policy(m, spec[1], backend=B, conventions=c)
            elif name == "pi_delta":
                pol = boltzmann_policy(m, None, spec[1], backend=B, conventions=c)
            elif name == "optimal_S":
                pol = optimal_policy(m, "success", backend=B)
            elif name == "optimal_J":
                pol = optimal_policy(m, "return", backend=B)
            else:  # pragma: no cover - the grammar admits nothing else
                raise CaseFileError(f"unknown policy {name!r}")
            self._one[spec] = pol
        return self._one[spec]


def evaluate_quantity(quantity, mdp, conventions, cache=None):
    """The exact value of ``quantity`` on ``mdp`` under ``conventions``.

    Examples
    --------
    >>> from proofcheck.examples import mountain_race
    >>> from proofcheck.model import Conventions
    >>> evaluate_quantity(parse_quantity("pi_1(up | start)"), mountain_race(), Conventions())
    2/5
    """
    from ..engine import additive_return, incoherence, soft_values, success_probability
    if quantity.kind == "verdict":
        from .registry import run_claim
        return run_claim(quantity.claim[0], mdp, conventions, quantity.claim[1]).verdict.value
    cache = cache or PolicyCache(mdp, conventions)
    pol = cache.get(quantity.policy)
    B = cache.B
    if quantity.kind == "prob":
        return pol.prob(quantity.state, quantity.action)
    if quantity.kind == "S":
        return success_probability(mdp, pol, backend=B)
    if quantity.kind == "J":
        return additive_return(mdp, pol, backend=B)
    if quantity.kind == "kappa":
        return incoherence(mdp, pol, "boltzmann", backend=B, conventions=conventions)
    if quantity.kind == "kappa_argmax":
        return incoherence(mdp, pol, "argmax", backend=B, conventions=conventions)
    if quantity.kind == "Zv":
        if quantity.state not in mdp.index:
            raise CaseFileError(f"{quantity.text}: unknown state {quantity.state!r}")
        return soft_values(mdp, pol, backend=B).Zv(quantity.state)
    raise CaseFileError(f"unknown quantity kind {quantity.kind!r}")  # pragma: no cover
