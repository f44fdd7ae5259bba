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
from collections.abc import Mapping
from dataclasses import dataclass

from proofcheck._validation import did_you_mean
from proofcheck.errors import CaseFileError, ConventionError, ExpressionError
from proofcheck.model.conventions import check_temperature
from proofcheck.model.expressions import parse_expression

__all__ = ["Quantity", "parse_quantity", "VERDICT_NAMES", "MAX_INDEX"]

#: Largest index k of pi_G[k], pi_F[k], pi_H[k], pi_B[i] (the same bound as
#: ``conventions.k_max``): each step is exact work whose numbers grow with k.
MAX_INDEX = 1000

_POLICY = re.compile(
    r"^\s*(?:(?P<plain>prior|uniform|pi_1|optimal_S|optimal_J)"
    r"|pi_(?P<seq>G|F|H|B)\[\s*(?P<index>\d+|fixed)\s*\]"
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
        if idx != "fixed" and (len(idx) > 6 or int(idx) > MAX_INDEX):
            raise CaseFileError(f"{where}: index {idx if len(idx) <= 20 else idx[:20] + '...'} of "
                                f"pi_{m['seq']} exceeds the limit of {MAX_INDEX} (exact work grows with "
                                f"each step); use pi_{m['seq']}[k] with k <= {MAX_INDEX}")
        return ("pi_" + m["seq"], idx if idx == "fixed" else int(idx))
    try:
        value = parse_expression(m["arg"], {}, where=where)
    except ExpressionError as exc:
        raise CaseFileError(str(exc)) from None
    if not (value.is_number and value.is_positive):
        raise CaseFileError(f"{where}: pi_{m['temp']}[{m['arg']}] needs a positive number")
    try:
        check_temperature(value, what=f"pi_{m['temp']}[...]")
    except ConventionError as exc:
        raise CaseFileError(f"{where}: {exc}") from None
    return ("pi_" + m["temp"], value)


def _parse_claim(claim_id, obj, where, claims):
    objective = {"J": "return", "S": "success", None: None}[obj]
    if claims is None:  # checked later, against the registered claims
        return (claim_id, objective)
    if claim_id not in claims:
        raise CaseFileError(f"{where}: unknown claim {claim_id!r} in verdict(...)"
                            f"{did_you_mean(claim_id, claims)}; known claims: {', '.join(claims)}")
    uses = claims[claim_id]
    if uses and obj is None:
        raise CaseFileError(f"{where}: claim {claim_id} depends on the objective; write verdict({claim_id}, J) or verdict({claim_id}, S)")
    if not uses and obj is not None:
        raise CaseFileError(f"{where}: claim {claim_id} has no objective; write verdict({claim_id})")
    return (claim_id, objective)


def parse_quantity(text: str, where: str = "quantity", claims: Mapping[str, bool] | None = None) -> Quantity:
    """Parse a quantity string.

    Parameters
    ----------
    text : str
        The quantity, e.g. ``"pi_G[1](up | start)"`` or ``"verdict(P5.4, J)"``.
    where : str
        Where it comes from, for error messages.
    claims : mapping of claim id to bool, optional
        The known claims and whether each depends on the objective; when given, the claim
        of a ``verdict(...)`` is checked against it.

    Returns
    -------
    Quantity

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
        return Quantity(text, "verdict", (), claim=_parse_claim(m["claim"], m["obj"], where, claims))
    for pattern, kind in ((_ZV, "Zv"), (_FUNC, None), (_PROB, "prob")):
        m = pattern.match(text)
        if m:
            kind = kind or m["func"]
            return Quantity(text, kind, _parse_policy(m["policy"], where),
                            state=m.groupdict().get("state"), action=m.groupdict().get("action"))
    raise CaseFileError(f"{where}: cannot read the quantity {text!r}; {_HELP}")
