"""Every reference quantity of a model in one plain dict, for entry-by-entry cross-checks.

Keys follow the case-file quantity grammar (``proofcheck`` README, "Case files"), so a
cross-check can evaluate the same key on the engine; a few extra keys (``extended``) lie
outside that grammar.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Dict, Iterable, Optional

from proofcheck.reference.coherence import _causal_kl, _soft_step, coherence_fixed_point
from proofcheck.reference.conditioning import cumulative_fold, noncumulative_fold, retrain, tempered_policy
from proofcheck.reference.model import DEFAULT_MAX_STATES, ReferenceUnsupported, as_fraction, as_model, as_policy
from proofcheck.reference.options import ARGMAX_TIES, FOLD_TERMS, H_INDEXINGS, IMPOSSIBLE, check_option
from proofcheck.reference.values import _additive_return, _occupancy, _soft

__all__ = ["reference_values"]


def _pick(name: str, explicit: Any, conventions: Any, default: Any) -> Any:
    if explicit is not None:
        return explicit
    if conventions is not None and getattr(conventions, name, None) is not None:
        return getattr(conventions, name)
    return default


def reference_values(graph: Any, k_max: int, delta: Any = None, *, conventions: Any = None,
                     impossible: Optional[str] = None, fold_term: Optional[str] = None,
                     h_indexing: Optional[str] = None, argmax_ties: Optional[str] = None,
                     alphas: Iterable[Any] = (), deltas: Iterable[Any] = (),
                     extended: bool = True, strict: bool = True,
                     max_states: int = DEFAULT_MAX_STATES) -> Dict[str, Any]:
    """All reference quantities of ``graph`` as a plain dict ``name -> exact value``.

    Parameters
    ----------
    graph : networkx graph or ReferenceModel
    k_max : int
        Sequences ``pi_G``, ``pi_F``, ``pi_H`` and ``pi_B`` are listed for indices ``0..k_max``.
    delta : rational, optional
        Boltzmann temperature of ``kappa`` and of ``pi_B`` (default: ``conventions.delta``
        or 1).
    conventions : object, optional
        Any object with attributes ``impossible``, ``fold_term``, ``h_indexing``, ``delta``,
        ``argmax_ties`` (e.g. a ``proofcheck.Conventions``); explicit arguments win.
    impossible, fold_term, h_indexing, argmax_ties : str, optional
        The conventions (defaults ``"keep"``, ``"ratio"``, ``"zero-is-first-conditioned"``,
        ``"uniform"``).
    alphas : iterable of rationals
        Inverse temperatures for ``pi_alpha[x]`` entries.
    deltas : iterable of rationals
        Temperatures for ``pi_delta[x]`` entries (Boltzmann policy of the prior).
    extended : bool
        Also list the keys outside the case-file grammar (below).
    strict : bool
        If False, a quantity the reference route cannot compute exactly (an irrational
        power, a missing fixed point) is left out and its key is listed, with the reason,
        under the key ``"unsupported"`` (a dict); if True the error propagates.
    max_states : int
        Size bound.

    Returns
    -------
    dict
        With ``P`` ranging over the policies ``prior``, ``uniform``, ``pi_1`` (= ``G(p)``),
        ``pi_G[k]``, ``pi_F[k]``, ``pi_H[k]`` (indices where defined under ``h_indexing``),
        ``pi_B[k]`` (``k = 0..k_max``), ``pi_B[fixed]``, ``pi_alpha[x]``, ``pi_delta[x]``;
        ``s`` over states and ``a`` over actions (names written with ``str``):

        ``"P(a | s)"``
            ``P(a|s)``, a Fraction (non-terminal ``s``).
        ``"S(P)"``
            Success probability, a Fraction.
        ``"J(P)"``
            Additive return, a :class:`LogLinear` (may be ``-inf``).
        ``"kappa(P)"``, ``"kappa_argmax(P)"``
            Boltzmann (at ``delta``) and argmax incoherence, :class:`LogLinear` (may be ``inf``).
        ``"Zv[P](s)"``
            ``Zv_P(s)``, a Fraction (every state).

        With ``extended``: ``"Zq[P](a | s)"`` (Fraction), ``"d[P](s)"`` (occupancy,
        Fraction), ``"steps(pi_B[fixed])"`` (int, least ``i`` with ``pi^B_{i+1} = pi^B_i``),
        ``"horizon"`` (int, longest path) and ``"conventions"`` (a dict of the options used).

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph(initial="s")
    >>> _ = G.add_edge("s", "good", key="a", prior="1/2")
    >>> _ = G.add_edge("s", "bad", key="b", prior="1/2", q="1/2")
    >>> G.nodes["bad"]["success"] = "1/3"
    >>> v = reference_values(G, 2, alphas=[2])
    >>> [str(v[k]) for k in ("pi_1(a | s)", "pi_G[2](b | s)", "pi_alpha[2](b | s)", "Zv[prior](s)")]
    ['6/7', '1/37', '1/37', '7/12']
    >>> v["J(pi_B[fixed])"], v["kappa(pi_B[fixed])"], v["steps(pi_B[fixed])"]
    (LogLinear(1/7*log(1/2) + 1/7*log(1/3)), LogLinear(0), 1)
    """
    if isinstance(k_max, bool) or not isinstance(k_max, int) or k_max < 0:
        raise ValueError(f"k_max = {k_max!r} must be a non-negative integer")
    imp = check_option("impossible", _pick("impossible", impossible, conventions, "keep"), IMPOSSIBLE)
    fold = check_option("fold_term", _pick("fold_term", fold_term, conventions, "ratio"), FOLD_TERMS)
    hidx = check_option("h_indexing", _pick("h_indexing", h_indexing, conventions,
                                            "zero-is-first-conditioned"), H_INDEXINGS)
    ties = check_option("argmax_ties", _pick("argmax_ties", argmax_ties, conventions, "uniform"), ARGMAX_TIES)
    dlt = as_fraction(_pick("delta", delta, conventions, 1), "delta")
    if dlt <= 0:
        raise ValueError(f"delta = {dlt} must be > 0")
    model = as_model(graph, max_states=max_states)
    out: Dict[str, Any] = {}
    unsupported: Dict[str, str] = {}

    def _attempt(key: str, fn: Any) -> Any:
        try:
            return fn()
        except ReferenceUnsupported as exc:
            if strict:
                raise
            unsupported[key] = str(exc)
            return None

    policies: Dict[str, Any] = {}
    policies["prior"] = as_policy(model)
    policies["uniform"] = {s: {a: Fraction(1, len(model.actions[s])) for a in model.actions[s]}
                           for s in model.decision_states}
    seq_g = retrain(model, max(k_max, 1), impossible=imp)
    policies["pi_1"] = seq_g[1]
    for k in range(k_max + 1):
        policies[f"pi_G[{k}]"] = seq_g[k]
    for k, pol in enumerate(noncumulative_fold(model, k_max, fold_term=fold, impossible=imp)):
        policies[f"pi_F[{k}]"] = pol
    for k, pol in enumerate(cumulative_fold(model, k_max, fold_term=fold, impossible=imp, h_indexing=hidx)):
        if pol is not None:
            policies[f"pi_H[{k}]"] = pol
    pi = policies["prior"]
    policies["pi_B[0]"] = pi
    for k in range(1, k_max + 1):
        pi = _attempt(f"pi_B[{k}]", lambda pi=pi: _soft_step(model, pi, model.likelihood, model.success,
                                                             "boltzmann", dlt, imp, ties))
        if pi is None:
            break
        policies[f"pi_B[{k}]"] = pi
    fixed = _attempt("pi_B[fixed]", lambda: coherence_fixed_point(model, f="boltzmann", delta=dlt,
                                                                 impossible=imp, ties=ties))
    if fixed is not None:
        policies["pi_B[fixed]"] = fixed[0]
        if extended:
            out["steps(pi_B[fixed])"] = fixed[1]
    for x in alphas:
        xf = as_fraction(x, "alpha")
        pol = _attempt(f"pi_alpha[{xf}]", lambda xf=xf: tempered_policy(model, xf, impossible=imp))
        if pol is not None:
            policies[f"pi_alpha[{xf}]"] = pol
    for x in deltas:
        xf = as_fraction(x, "delta")
        pol = _attempt(f"pi_delta[{xf}]", lambda xf=xf: _soft_step(model, policies["prior"], model.likelihood,
                                                                   model.success, "boltzmann", xf, imp, ties))
        if pol is not None:
            policies[f"pi_delta[{xf}]"] = pol

    for name, pol in policies.items():
        zq, zv = _soft(model, pol, model.likelihood, model.success)
        d = _occupancy(model, pol)
        for s in model.decision_states:
            for a in model.actions[s]:
                out[f"{name}({a} | {s})"] = pol[s][a]
                if extended:
                    out[f"Zq[{name}]({a} | {s})"] = zq[(s, a)]
        for s in model.states:
            out[f"Zv[{name}]({s})"] = zv[s]
            if extended:
                out[f"d[{name}]({s})"] = d[s]
        out[f"S({name})"] = sum((m * zv[s] for s, m in model.initial.items()), Fraction(0))
        out[f"J({name})"] = _additive_return(model, pol, d)
        soft = _attempt(f"kappa({name})", lambda pol=pol, zq=zq: _soft_step(
            model, pol, model.likelihood, model.success, "boltzmann", dlt, imp, ties, zq))
        if soft is not None:
            out[f"kappa({name})"] = _causal_kl(model, pol, soft, d)
        amax = _soft_step(model, pol, model.likelihood, model.success, "argmax", dlt, imp, ties, zq)
        out[f"kappa_argmax({name})"] = _causal_kl(model, pol, amax, d)
    if extended:
        out["horizon"] = model.horizon()
        out["conventions"] = {"impossible": imp, "fold_term": fold, "h_indexing": hidx,
                              "delta": dlt, "argmax_ties": ties}
    if not strict:
        out["unsupported"] = unsupported
    return out
