"""The numeric layer of ``proofcheck verify``: cross-check section and certified P5.4.

:func:`extend` is called by :func:`proofcheck.verify.verify_case` after the
finite claims.  It adds

* ``result.sections["crosscheck"]``: ``{"title", "lines", "rows", "table"}`` from
  :func:`proofcheck.numerics.crosscheck.crosscheck_case` (``n = 20`` iterations at 50
  digits), one summary line per quantity and every row as text;
* a claim result ``X.numeric`` (fails loudly when any value is beyond its bound);
* a claim result ``P5.4.certified`` per objective of the case's conventions
  (interval arithmetic, :func:`proofcheck.claims.numeric.certified_return_improvement`).
"""

from __future__ import annotations

import contextlib
import time

from proofcheck.claims.numeric import DPS, MAX_PAIRS, N_ITERATIONS, certified_return_improvement, crosscheck_result
from proofcheck.exact.budget import claim_budget
from proofcheck.numerics.crosscheck import crosscheck_case

__all__ = ["extend"]


def extend(case, result, *, n=N_ITERATIONS, dps=DPS, budget=None):
    """Add the backend agreement table and the certified P5.4 verdicts to a case result.

    ``budget`` (a :class:`~proofcheck.exact.budget.WorkBudget`) bounds the exact reference of
    the cross-check; beyond it the table is skipped with the reason and ``X.numeric`` is
    undecided.  Default: a claim's budget (:func:`~proofcheck.exact.budget.claim_budget`,
    ``CLAIM_FACTOR`` times ``--budget``), as ``X.numeric`` is a claim and its 20 exact passes
    are a claim's work.  The certified P5.4 needs no exact arithmetic.

    Examples
    --------
    >>> from proofcheck import load_case
    >>> from proofcheck.verify import verify_case
    >>> res = verify_case(load_case("cases/stochastic_counterexample.toml"), extensions=False)
    >>> extend(res.case, res, n=4, dps=30)
    >>> res.sections["crosscheck"]["lines"][0][:40]
    'ok: pi^G_k(a1|start), k = 0..4: max |mpm'
    >>> [r.verdict.value for r in res.claims if r.claim_id == "X.numeric"]
    ['holds']
    """
    t0 = time.perf_counter()
    with claim_budget() if budget is None else contextlib.nullcontext(budget) as allowance:
        table = crosscheck_case(case, n=n, dps=dps, max_pairs=MAX_PAIRS, budget=allowance)
    res = crosscheck_result(table)
    res.seconds = time.perf_counter() - t0
    res.conventions = case.conventions.as_dict()
    result.claims.append(res)
    result.sections["crosscheck"] = {
        "title": "Backend agreement (exact vs mpmath vs interval vs closed forms; not an independent route)",
        "lines": table.lines(),
        "rows": [r.text() for r in table.rows],
        "table": table.as_dict(),
    }
    mdp = case.mdp
    if mdp.is_parametric or mdp.n_pairs > 50 * MAX_PAIRS:
        return
    k_max = case.conventions.k_max
    for objective in case.conventions.objectives:
        t0 = time.perf_counter()
        r = certified_return_improvement(mdp, k_max, dps=dps, objective=objective,
                                         conventions=case.conventions)
        r.seconds = time.perf_counter() - t0
        result.claims.append(r)
