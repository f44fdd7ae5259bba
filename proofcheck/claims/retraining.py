"""Re-training claims: P5.4 (return improvement) and T5.9 with its lemmas A, B, C.

T5.9 and its lemmas are stated for ``k`` in N+ and are checked for ``k >= 1``; under the
printed definitions (fold term ``pi_{k+1}``, ``pi^H_0 = p``) they may fail, and the
repair search (:mod:`proofcheck.claims.repair`) names the convention that repairs them.
"""

from __future__ import annotations

import math

from proofcheck.claims._common import EXACT, Verdict, brief, policy_differences, result
from proofcheck.claims.registry import claim
from proofcheck.engine import (
    additive_return,
    cumulative_fold,
    noncumulative_fold,
    retrain,
    success_probability,
    tempered_policy,
)
from proofcheck.exact.case_memo import memoized

__all__ = ["check_return_improvement", "check_t59", "check_t59_a", "check_t59_b", "check_t59_c"]

_OBJ = {"return": ("J", additive_return), "success": ("S", success_probability)}


@claim("P5.4", "Strong return improvement under re-training",
       "J(pi^G_{i+1}) >= J(pi^G_i) for all i.", uses_objective=True,
       repairs=("objective", "impossible", "deterministic dynamics"))
def check_return_improvement(mdp, conventions, objective="return"):
    name, fn = _OBJ[objective]
    K = conventions.k_max
    seq = retrain(mdp, K, conventions=conventions)
    # J and S of the shared re-training steps, once per model (exact/case_memo.py)
    vals = [memoized(mdp, ("objective", objective), lambda pol=pol: fn(mdp, pol), (pol,)) for pol in seq]
    rows = [{"quantity": f"{name}(pi^G_{i})", "value": v} for i, v in enumerate(vals)]
    for i in range(K):
        if EXACT.compare(vals[i + 1], vals[i]) < 0:
            after, before = brief(vals[i + 1], 60), brief(vals[i], 60)
            # decimals when the exact values are long; then the decrease shows what 12 digits may not
            by = (f" (by {brief(vals[i] - vals[i + 1], 40)}; exact values in the evidence)"
                  if "≈" in after + before else "")
            return result(Verdict.FAILS, f"{name}(pi^G_{i + 1}) = {after} < {name}(pi^G_{i}) = {before}{by}",
                          evidence=rows, scope=f"i = 0..{K - 1}",
                          counterexample={"i": i, f"{name}(pi^G_i)": vals[i], f"{name}(pi^G_i+1)": vals[i + 1],
                                          "decrease": vals[i] - vals[i + 1]})
    return result(Verdict.HOLDS, f"{name} is non-decreasing along pi^G_0..pi^G_{K}: "
                  f"{brief(vals[0], 60)} -> {brief(vals[-1], 40)}",
                  evidence=rows, scope=f"checked for i = 0..{K - 1} (exact comparisons)")


def _compare_sequences(mdp, named, ks, label):
    """Compare policy sequences index by index; return (rows, first counterexample)."""
    rows = []
    for k in ks:
        items = [(n, f(k)) for n, f in named]
        ref_name, ref = items[0]
        for other_name, other in items[1:]:
            diffs = policy_differences(mdp, ref, other)
            rows.append({"quantity": f"k = {k}: {ref_name} = {other_name}", "equal": not diffs})
            if diffs:
                d = diffs[0]
                return rows, {"k": k, "state": d["state"], "action": d["action"],
                              ref_name: d["left"], other_name: d["right"]}
    return rows, None


def _verdict(mdp, rows, cex, needs_det, scope, what):
    ok = cex is None
    if needs_det and not mdp.deterministic:
        tail = "holds" if ok else _describe(cex)
        return result(Verdict.NOT_APPLICABLE, f"stochastic dynamics; on this model: {tail}",
                      evidence=rows, counterexample=cex, scope=scope)
    if ok:
        return result(Verdict.HOLDS, f"{what} for {scope}", evidence=rows, scope=scope)
    return result(Verdict.FAILS, _describe(cex), evidence=rows, counterexample=cex, scope=scope)


def _describe(cex):
    keys = [k for k in cex if k not in ("k", "state", "action")]
    return (f"k = {cex['k']}, state {cex['state']}, action {cex['action']}: "
            + " vs ".join(f"{k} = {cex[k]}" for k in keys))


def _doubling_range(conventions):
    """``k = 1..K`` (T5.9 is stated for k in N+) with ``2^K <= k_max``, at least ``k = 1``."""
    return range(1, max(1, int(math.log2(conventions.k_max))) + 1)


_FOLD_REPAIRS = ("fold_term", "impossible", "uniform prior")


@claim("T5.9", "Temperature, re-training and folding coincide (deterministic)",
       "Deterministic, alpha(k) = 2^k, k in N+: pi_{alpha(k)} = pi^G_{2^k} = pi^F_{2^k} = pi^H_k.",
       hypothesis="deterministic dynamics", repairs=("fold_term", "h_indexing", "impossible", "uniform prior"))
def check_t59(mdp, conventions, objective=None):
    ks = list(_doubling_range(conventions))
    n = 2 ** ks[-1]
    G = retrain(mdp, n, conventions=conventions)
    F = noncumulative_fold(mdp, n, conventions=conventions)
    H = cumulative_fold(mdp, ks[-1], conventions=conventions)
    named = [("pi_alpha=2^k", lambda k: tempered_policy(mdp, 2 ** k, conventions=conventions)),
             ("pi^G_2^k", lambda k: G[2 ** k]), ("pi^F_2^k", lambda k: F[2 ** k]), ("pi^H_k", lambda k: H[k])]
    rows, cex = _compare_sequences(mdp, named, ks, "T5.9")
    return _verdict(mdp, rows, cex, True, f"k = 1..{ks[-1]}", "all four policies coincide")


@claim("T5.9.A", "Lemma A: tempering at 2^k equals the cumulative fold (deterministic)",
       "Deterministic, k in N+: pi_{2^k} = pi^H_k.", hypothesis="deterministic dynamics",
       repairs=("fold_term", "h_indexing", "impossible", "uniform prior"))
def check_t59_a(mdp, conventions, objective=None):
    ks = list(_doubling_range(conventions))
    H = cumulative_fold(mdp, ks[-1], conventions=conventions)
    named = [("pi_alpha=2^k", lambda k: tempered_policy(mdp, 2 ** k, conventions=conventions)),
             ("pi^H_k", lambda k: H[k])]
    rows, cex = _compare_sequences(mdp, named, ks, "A")
    return _verdict(mdp, rows, cex, True, f"k = {ks[0]}..{ks[-1]}", "pi_{2^k} = pi^H_k")


@claim("T5.9.B", "Lemma B: re-training equals the non-cumulative fold (any dynamics)",
       "Any dynamics, k in N+: pi^G_k = pi^F_k.", repairs=_FOLD_REPAIRS)
def check_t59_b(mdp, conventions, objective=None):
    K = conventions.k_max
    G = retrain(mdp, K, conventions=conventions)
    F = noncumulative_fold(mdp, K, conventions=conventions)
    rows, cex = _compare_sequences(mdp, [("pi^G_k", G.__getitem__), ("pi^F_k", F.__getitem__)],
                                   range(1, K + 1), "B")
    return _verdict(mdp, rows, cex, False, f"k = 1..{K}", "pi^G_k = pi^F_k")


@claim("T5.9.C", "Lemma C: the non-cumulative fold equals tempering at alpha = k (deterministic)",
       "Deterministic, k in N+: pi^F_k = pi_{alpha=k}.", hypothesis="deterministic dynamics",
       repairs=_FOLD_REPAIRS)
def check_t59_c(mdp, conventions, objective=None):
    K = conventions.k_max
    F = noncumulative_fold(mdp, K, conventions=conventions)
    named = [("pi^F_k", F.__getitem__),
             ("pi_alpha=k", lambda k: tempered_policy(mdp, k, conventions=conventions))]
    rows, cex = _compare_sequences(mdp, named, range(1, K + 1), "C")
    return _verdict(mdp, rows, cex, True, f"k = 1..{K}", "pi^F_k = pi_{alpha=k}")
