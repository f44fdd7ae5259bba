"""The numeric claims: the backend cross-check ``X.numeric`` and the certified ``P5.4.certified``.

Both are registered like every other claim (so ``--claim X.numeric`` and
``verdict(X.numeric)`` name them) but are not part of the default run of
:func:`~proofcheck.claims.registry.run_claims`: ``verify`` runs them in its numeric
section, after the exact claims.
"""

from __future__ import annotations

import mpmath
import sympy as sp

from proofcheck.claims._common import result
from proofcheck.claims.registry import claim
from proofcheck.claims.result import ClaimResult, Verdict
from proofcheck.model.conventions import Conventions
from proofcheck.numerics.certified import certified_trajectory, fmt_interval
from proofcheck.numerics.crosscheck import CrossCheckTable, crosscheck_mdp, short_number

__all__ = ["crosscheck_result", "certified_return_improvement", "N_ITERATIONS", "DPS", "MAX_PAIRS"]

#: Iterations and digits of the cross-check in ``verify``.
N_ITERATIONS = 20
DPS = 50
#: ``verify`` cross-checks models up to this many state-action pairs (the exact
#: reference of 20 iterations grows with the model); larger ones get a skip line.
MAX_PAIRS = 2000


def crosscheck_result(table: CrossCheckTable) -> ClaimResult:
    """The cross-check as a claim result ``X.numeric`` (fails loudly on any deviation)."""
    if table.skipped:
        res = result(Verdict.UNDECIDED, f"backend agreement skipped: {table.skipped}")
    elif table.failures:
        f = table.failures[0]
        res = result(Verdict.FAILS,
                     f"{len(table.failures)} numeric value(s) beyond their bound; first: {f.quantity} at k = {f.k}: "
                     f"exact {short_number(f.exact)}, mpmath {short_number(f.mpmath)}, interval {short_number(f.interval)}",
                     evidence=[r.as_dict() for r in table.failures[:20]],
                     counterexample=f.as_dict(), scope=f"k = 0..{table.n}", route=table.precision)
    else:
        res = result(Verdict.HOLDS,
                     f"exact, mpmath ({table.dps} digits) and interval values of pi^G_k, S, J, kappa_delta "
                     f"agree within their bounds for k = 0..{table.n}",
                     evidence=[{k: (short_number(v) if isinstance(v, (mpmath.mpf, sp.Basic)) else v)
                                for k, v in s.items()} for s in table.summary()],
                     scope=f"k = 0..{table.n}", route=table.precision)
    res.claim_id = "X.numeric"
    res.title = "Backend agreement along re-training (one recursion, several number types)"
    res.statement = ("Exact values of pi^G_k, S, J and kappa_delta agree with explicit iteration in "
                     "mpmath and interval arithmetic (and with the closed forms where they exist).")
    return res


def certified_return_improvement(mdp, k_max=10, *, dps=50, objective="return", conventions=None):
    """Certified numeric check of P5.4: ``J(pi^G_{i+1}) >= J(pi^G_i)`` for ``i < k_max``.

    Runs re-training and the objective in the interval backend at ``dps`` digits, so
    it needs no exact arithmetic and accepts models with float64 inputs (as stored).

    Parameters
    ----------
    mdp : MDP
        Without free parameters.
    k_max : int
    dps : int
    objective : {"return", "success"}
        ``J`` or ``S``.
    conventions : Conventions, optional

    Returns
    -------
    ClaimResult
        Claim id ``P5.4.certified``; verdict holds, fails (with the first certified
        decrease) or undecided (overlapping enclosures: raise ``dps``).

    Examples
    --------
    >>> from proofcheck.examples import stochastic_counterexample
    >>> r = certified_return_improvement(stochastic_counterexample(), 5, dps=30)
    >>> r.verdict.value
    'holds'
    """
    conventions = conventions or Conventions()
    t = certified_trajectory(mdp, k_max, dps=dps, objective=objective, conventions=conventions)
    name, vals, mono, rows, route = t.name, t.values, t.monotone, t.rows, t.route
    scope = f"i = 0..{k_max - 1}"
    if mono.verdict == "fails":
        i = mono.first_violation
        res = result(Verdict.FAILS, f"certified decrease: {name}(pi^G_{i + 1}) in {fmt_interval(vals[i + 1])} < "
                     f"{name}(pi^G_{i}) in {fmt_interval(vals[i])}", evidence=rows, scope=scope, route=route,
                     counterexample={"i": i, f"{name}(pi^G_i)": fmt_interval(vals[i]),
                                     f"{name}(pi^G_i+1)": fmt_interval(vals[i + 1])})
    elif mono.verdict == "undecided":
        res = result(Verdict.UNDECIDED, f"enclosures overlap at step(s) i = {mono.undecided[:5]} "
                     f"(no certified decrease); raise dps above {dps}", evidence=rows, scope=scope, route=route)
    else:
        res = result(Verdict.HOLDS, f"{name} certified non-decreasing along pi^G_0..pi^G_{k_max}",
                     evidence=rows, scope=scope, route=route)
    res.claim_id = "P5.4.certified"
    res.title = "Strong return improvement, certified by interval arithmetic"
    res.statement = "J(pi^G_{i+1}) >= J(pi^G_i) for all i."
    res.objective = objective
    res.conventions = conventions.as_dict()
    return res


@claim("X.numeric", "Backend agreement along re-training (one recursion, several number types)",
       "Exact values of pi^G_k, S, J and kappa_delta agree with explicit iteration in mpmath and "
       "interval arithmetic (and with the closed forms where they exist).", default=False)
def check_crosscheck(mdp, conventions, objective=None):
    return crosscheck_result(crosscheck_mdp(mdp, conventions, n=N_ITERATIONS, dps=DPS,
                                            max_pairs=MAX_PAIRS))


@claim("P5.4.certified", "Strong return improvement, certified by interval arithmetic",
       "J(pi^G_{i+1}) >= J(pi^G_i) for all i.", uses_objective=True, default=False)
def check_certified_improvement(mdp, conventions, objective):
    return certified_return_improvement(mdp, conventions.k_max, dps=DPS, objective=objective,
                                        conventions=conventions)
