"""Evaluating case-file expectations: named policies computed once, quantities on them."""

from __future__ import annotations

from proofcheck.claims.registry import run_claim
from proofcheck.engine import (
    additive_return,
    boltzmann_policy,
    coherence_fixed_point,
    cumulative_fold,
    get_backend,
    incoherence,
    iterate_coherence,
    noncumulative_fold,
    optimal_policy,
    retrain,
    soft_values,
    success_probability,
    tempered_policy,
)
from proofcheck.errors import CaseFileError

__all__ = ["PolicyCache", "evaluate_quantity"]


class PolicyCache:
    """Computes each named policy once per (model, conventions)."""

    def __init__(self, mdp, conventions, backend=None):
        self.mdp, self.conv, self.B = mdp, conventions, get_backend(backend)
        self._seq = {}
        self._one = {}

    def sequence(self, name, k):
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
    >>> from proofcheck.io.quantities import parse_quantity
    >>> evaluate_quantity(parse_quantity("pi_1(up | start)"), mountain_race(), Conventions())
    2/5
    """
    if quantity.kind == "verdict":
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
