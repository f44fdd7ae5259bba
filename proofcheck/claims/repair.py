"""The paper as printed, then the repair.

Every claim is first judged under the conventions given (by default the paper's printed
definitions, :class:`~proofcheck.model.conventions.Conventions`).  When it FAILS, the
generic search below looks, among the candidates the claim declares
(``@claim(..., repairs=(...))``), for the smallest change under which it holds on this
model, and records the outcome on the :class:`ClaimResult` (``repair``,
``repair_changes``) and at the front of its summary, e.g.::

    fails as printed; holds with h_indexing = zero-is-first-conditioned (the theorem's index
    is off by one: ...); as printed: fold_term = posterior, h_indexing = one-is-first-conditioned: ...

Candidates are of two kinds:

* **conventions** (``fold_term``, ``h_indexing``, ``impossible``, ``argmax_ties``) and the
  **objective** (``S`` vs ``J`` for claims run per objective): the same model under a
  different documented reading of the paper.  The search tries every change of one
  candidate, then of two, ..., and reports all smallest changes that make the claim hold.
* **hypotheses** (``"uniform prior"``, ``"deterministic dynamics"``): properties of the
  model, not readings of the paper.  A hypothesis the model does not meet is only
  *reported*.  Where the model can be modified without changing anything else (the same
  graph with a uniform prior) the claim is re-run on that *other* model and the result is
  said to be about it ("on the same graph with a uniform prior it holds as printed");
  a stochastic model is never turned into a deterministic one.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations, product

import sympy as sp

from proofcheck.claims.result import ClaimResult, Verdict
from proofcheck.errors import ProofcheckError, UnreachableStateWarning
from proofcheck.model.conventions import ARGMAX_TIES, FOLD_TERMS, H_INDEXINGS, IMPOSSIBLE, OBJECTIVES, Conventions
from proofcheck.model.mdp import from_graph, to_graph

__all__ = ["CONVENTION_CHOICES", "HYPOTHESES", "CANDIDATES", "Repair", "check_candidates",
           "convention_note", "find_repair", "apply_repair", "name_conventions",
           "with_uniform_prior"]

#: Conventions a repair may change, with their documented values.
CONVENTION_CHOICES = {"fold_term": FOLD_TERMS, "h_indexing": tuple(H_INDEXINGS),
                      "impossible": IMPOSSIBLE, "argmax_ties": ARGMAX_TIES}

#: Hypotheses a repair may name (reported, never assumed).
HYPOTHESES = ("uniform prior", "deterministic dynamics")

#: Everything ``@claim(..., repairs=...)`` accepts.
CANDIDATES = tuple(CONVENTION_CHOICES) + ("objective",) + HYPOTHESES

#: The paper's printed definitions: the defaults of :class:`Conventions`.
PRINTED = Conventions()

#: Conventions whose value is always named in a summary of a claim they affect (their
#: defaults are the printed definitions, which differ from what the proofs need).
ALWAYS_NAMED = ("fold_term", "h_indexing")

#: At most this many re-runs of a check per search (a claim declares few candidates: the
#: T5.9 family needs at most 11).
MAX_RUNS = 16

_NOTES = {
    ("fold_term", "ratio"): "the corrected fold term pi_{k+1}/p, which the proofs need",
    ("fold_term", "posterior"): "the printed fold term pi_{k+1}",
    ("h_indexing", "zero-is-first-conditioned"):
        "the theorem's index is off by one: pi^H_k is the (k+1)-th conditioned policy",
    ("h_indexing", "one-is-first-conditioned"): "pi^H_0 = p, as the paper defines H",
    ("h_indexing", "one-is-prior"): "pi^H_1 = p",
    ("impossible", "uniform"): "uniform policy where success is impossible",
    ("impossible", "keep"): "the policy is kept where success is impossible (the authors' rule)",
    ("argmax_ties", "first"): "argmax ties broken by the first action",
    ("argmax_ties", "uniform"): "argmax ties shared uniformly",
    ("objective", "success"): "judged by the success probability S",
    ("objective", "return"): "judged by the additive return J",
}


def convention_note(name, value):
    """The one-line meaning of a convention value (empty when there is none)."""
    return _NOTES.get((name, value), "")


def check_candidates(candidates):
    """Validate a claim's ``repairs=`` declaration; returns it as a tuple."""
    out = tuple(candidates)
    for c in out:
        if c not in CANDIDATES:
            raise ValueError(f"unknown repair candidate {c!r}; use some of {list(CANDIDATES)}")
    return out


@dataclass
class Repair:
    """Outcome of a repair search: ``changes`` (each a ``{name: value}`` under which the
    claim holds; empty when none was found), the hypotheses the model does not meet (with
    what was observed) and the text for the result."""

    changes: list
    searched: tuple
    hypotheses: list
    text: str


def _describe_change(change):
    """``"fold_term = ratio and h_indexing = zero-is-first-conditioned (note; note)"``:
    the names first, so that a clipped summary still shows them."""
    labels, notes = [], []
    for name, value in change.items():
        labels.append({("objective", "success"): "objective S", ("objective", "return"): "objective J"}
                      .get((name, value), f"{name} = {value}"))
        note = convention_note(name, value)
        if note:
            notes.append(note)
    return " and ".join(labels) + (f" ({'; '.join(notes)})" if notes else "")


def _is_uniform(mdp):
    uni = mdp.uniform_policy().values
    return all(sp.sympify(a) == sp.sympify(b) for a, b in zip(mdp.prior, uni))


def with_uniform_prior(mdp):
    """The same graph (states, actions, dynamics, likelihoods, successes) with the uniform
    prior over each state's actions: another model, built through the public graph form."""
    g = to_graph(mdp)
    counts = {s: len(mdp.actions(s)) for s in mdp.states}
    for s, _t, _a, data in g.edges(keys=True, data=True):
        if "prior" in data:
            data["prior"] = sp.Rational(1, counts[s])
    with warnings.catch_warnings():  # its states are the model's: the user was told of those
        warnings.simplefilter("ignore", UnreachableStateWarning)
        return from_graph(g, name=f"{mdp.name} (uniform prior)")


def _hypothesis_notes(run, mdp, conventions, objective, hypotheses):
    notes = []
    if "deterministic dynamics" in hypotheses and not mdp.deterministic:
        notes.append("deterministic dynamics (this model's are stochastic; no deterministic "
                     "variant is tested)")
    if "uniform prior" in hypotheses and not mdp.parameters and not _is_uniform(mdp):
        how = "as printed" if _printed(conventions, CONVENTION_CHOICES) else "under the same conventions"
        try:
            seen = run(with_uniform_prior(mdp), conventions, objective).verdict.value
            seen = f"the claim {seen} {how}"
        except ProofcheckError as exc:  # the uniform-prior model could not be built or run
            seen = f"not tested ({exc})"
        notes.append(f"uniform prior (this model's is not; on the same graph with a uniform prior {seen})")
    elif "uniform prior" in hypotheses and mdp.parameters:
        prior_params = any(getattr(sp.sympify(x), "free_symbols", None) for x in mdp.prior)
        if prior_params:
            notes.append("uniform prior (this model's prior is parametric; not tested)")
    return notes


def find_repair(run: Callable[..., ClaimResult], mdp, conventions, objective, candidates):
    """Search the smallest change of the candidate conventions (and objective) under which
    ``run(mdp, conventions, objective)`` HOLDS; report the hypotheses the model does not meet.

    ``run`` must not itself search for repairs.  Returns a :class:`Repair`.
    """
    dims = []
    for name in candidates:
        if name in CONVENTION_CHOICES:
            alts = [v for v in CONVENTION_CHOICES[name] if v != getattr(conventions, name)]
        elif name == "objective" and objective is not None:
            alts = [o for o in OBJECTIVES if o != objective]
        else:
            continue
        if alts:
            dims.append((name, alts))
    searched = tuple(n for n, _ in dims)
    found, runs = [], 0
    for size in range(1, len(dims) + 1):
        for subset in combinations(dims, size):
            for values in product(*(alts for _, alts in subset)):
                change = {name: v for (name, _), v in zip(subset, values)}
                if runs >= MAX_RUNS:
                    break
                runs += 1
                conv = conventions.replace(**{k: v for k, v in change.items() if k != "objective"})
                try:
                    res = run(mdp, conv, change.get("objective", objective))
                except ProofcheckError:
                    continue
                if res.verdict is Verdict.HOLDS:
                    found.append(change)
        if found:
            break
    hyps = _hypothesis_notes(run, mdp, conventions, objective,
                             [c for c in candidates if c in HYPOTHESES])
    parts = []
    if found:
        parts.append("holds with " + "; or with ".join(_describe_change(c) for c in found))
    elif searched:
        parts.append(f"no change of {', '.join(searched)} makes it hold on this model")
    if hyps:
        parts.append("candidate hypothesis this model does not meet: " + "; ".join(hyps))
    text = "; ".join(parts) or "no documented convention or hypothesis applies to this model"
    return Repair(found, searched, hyps, text)


def name_conventions(conventions, candidates):
    """``"fold_term = posterior, h_indexing = one-is-first-conditioned"``: the conventions
    among ``candidates`` that a reader must know to quote the verdict (the printed-default
    ones of :data:`ALWAYS_NAMED`, and any value other than the printed one)."""
    names = [n for n in candidates if n in CONVENTION_CHOICES
             and (n in ALWAYS_NAMED or getattr(conventions, n) != getattr(PRINTED, n))]
    return ", ".join(f"{n} = {getattr(conventions, n)}" for n in names)


def _printed(conventions, candidates):
    return all(getattr(conventions, n) == getattr(PRINTED, n)
               for n in candidates if n in CONVENTION_CHOICES)


def apply_repair(res: ClaimResult, run, mdp, conventions, objective, candidates, search=True):
    """Name the conventions in ``res.summary``; when ``res`` FAILS (and ``search``), run
    :func:`find_repair` and record it (``res.repair``, ``res.repair_changes``, summary)."""
    named = name_conventions(conventions, candidates)
    if res.verdict is not Verdict.FAILS or not search or not candidates:
        if named:
            res.summary = f"under {named}: {res.summary}"
        return res
    rep = find_repair(run, mdp, conventions, objective, candidates)
    res.repair = rep.text
    res.repair_changes = dict(rep.changes[0]) if rep.changes else None
    how = "as printed" if _printed(conventions, candidates) else "under these conventions"
    res.summary = f"fails {how}; {rep.text}{f'; {how}: {named}' if named else ''}: {res.summary}"
    return res
