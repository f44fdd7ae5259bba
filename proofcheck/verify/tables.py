"""Exact tables along re-training, computed with the exact engine.

For ``k = 0..K`` (``K`` = the case's ``k_max``): the re-trained policy ``pi^G_k`` at the
initial state, the success probability ``S(pi^G_k)``, the additive return ``J(pi^G_k)``,
the Boltzmann incoherence ``kappa_delta(pi^G_k)`` for several temperatures ``delta``, and
the return increments ``Delta J_k = J_k - J_{k-1}`` and ``k * Delta J_k`` (C5.10 predicts
``Delta J_k = O(1/k)``, i.e. ``k * Delta J_k`` bounded).

Every value is exact (SymPy: rationals, logarithms, radicals, ``+-oo``).  Decimals are
for reading and plotting only: :func:`decimal` evaluates the exact value with
``sympy.N`` at :data:`EVAL_DIGITS` significant digits (SymPy raises the working
precision until that many digits are correct) and rounds to :data:`SHOWN_DIGITS`.
"""

from __future__ import annotations

import sympy as sp

from proofcheck.engine import additive_return, incoherence, iter_retrain, success_probability
from proofcheck.errors import BudgetExceeded, UndecidedError
from proofcheck.exact.budget import claim_budget
from proofcheck.model.expressions import EXACT_TEXT_DIGITS, number_text, rational_of_float

__all__ = ["DEFAULT_DELTAS", "EVAL_DIGITS", "SHOWN_DIGITS", "decimal", "is_finite",
           "initial_state", "retraining_table", "table_as_json"]

#: Temperatures of the incoherence table, besides the case's own ``delta``.
DEFAULT_DELTAS = (sp.Rational(1, 2), sp.Integer(1), sp.Integer(2))
EVAL_DIGITS = 20
SHOWN_DIGITS = 6


def is_finite(value):
    """True for a finite real constant.

    Examples
    --------
    >>> import sympy as sp
    >>> is_finite(sp.Rational(1, 3)), is_finite(-sp.oo), is_finite(sp.nan)
    (True, False, False)
    """
    value = sp.sympify(value)
    return bool(value.is_number and value.is_finite is not False
                and not value.has(sp.oo, -sp.oo, sp.zoo, sp.nan))


def decimal(value, digits=SHOWN_DIGITS):
    """A decimal string of an exact constant: ``+inf``/``-inf``/``nan`` when not finite.

    Examples
    --------
    >>> import sympy as sp
    >>> decimal(sp.Rational(25, 61))
    '0.409836'
    >>> decimal(3 * sp.log(sp.Rational(3, 4)) / 5)
    '-0.172609'
    >>> decimal(-sp.oo), decimal(sp.Integer(0))
    ('-inf', '0')
    """
    value = sp.sympify(value)
    if value == sp.oo:
        return "+inf"
    if value == -sp.oo:
        return "-inf"
    if not is_finite(value):
        return "nan"
    if value == 0:
        return "0"
    x = sp.N(value, EVAL_DIGITS)
    if not x.is_real:
        return str(sp.N(value, digits))
    import mpmath
    text = mpmath.nstr(mpmath.mpf(sp.Float(x, EVAL_DIGITS)._mpf_), digits, strip_zeros=True)
    return text.replace("e-0", "e-").replace("e+0", "e+")


def initial_state(mdp):
    """The initial state with the largest mass (the first such in model order).

    Examples
    --------
    >>> from proofcheck.examples import mountain_race
    >>> initial_state(mountain_race())
    'start'
    """
    best = None
    for i, s in enumerate(mdp.states):
        mu = mdp.initial[i]
        if mu == 0:
            continue
        if best is None or (mu.is_number and best[1].is_number and mu > best[1]):
            best = (s, mu)
    return best[0] if best else mdp.states[0]


def _deltas(conventions, extra=DEFAULT_DELTAS):
    seen = []
    for d in (*extra, conventions.delta):
        # exact values as given (nsimplify would round 1/2 + 1e-40 to 1/2); Python floats
        # as the rational they were typed as
        d = rational_of_float(d) if isinstance(d, float) else sp.sympify(d)
        if d not in seen:
            seen.append(d)
    return sorted(seen, key=lambda d: float(d))


def retraining_table(case, k_max=None, deltas=DEFAULT_DELTAS):
    """Exact values along re-training ``pi^G_0 .. pi^G_K`` for one case.

    Returns
    -------
    dict
        ``state``, ``actions``, ``deltas``, ``k_max``, ``parametric`` and ``rows``: one dict
        per ``k`` with ``policy`` (action -> value at ``state``), ``S``, ``J``, ``kappa``
        (delta -> value; empty for parametric models), ``dJ`` and ``k_dJ`` (``None`` at
        ``k = 0``).  Values are SymPy objects.  ``omitted`` maps a temperature whose
        incoherence could not be computed exactly (roots of rationals of thousands of
        digits) to the reason; its column is left out of every row.  ``k_max`` is the last
        ``k`` in ``rows``: below the one asked for when ``stopped`` gives the reason (a
        claim's work budget ran out), and ``None`` when not even ``k = 0`` fitted.

    Examples
    --------
    >>> from proofcheck import load_case
    >>> t = retraining_table(load_case("cases/stochastic_counterexample.toml"), k_max=2)
    >>> [r["policy"]["a1"] for r in t["rows"]]
    [1/2, 5/11, 25/61]
    >>> [r["S"] for r in t["rows"]]
    [11/24, 61/132, 341/732]
    """
    mdp = case.mdp
    conv = case.conventions
    K = conv.k_max if k_max is None else k_max
    parametric = bool(mdp.parameters)
    if parametric:
        K = min(K, 3)  # rational functions grow quickly in k; the first steps show the shape
    state = initial_state(mdp)
    actions = list(mdp.actions(state))
    ds = [] if parametric else _deltas(conv, deltas)
    rows = []
    omitted = {}
    stopped = ""
    prev_j = None
    # a claim's work budget over the whole table: on a float-derived stochastic model the
    # numbers grow by thousands of digits a step (25 states: minutes by k = 5); the table then
    # ends at the last step that fits, and says so
    steps = iter_retrain(mdp, conventions=conv)
    with claim_budget():
        for k in range(K + 1):
            try:
                pol = next(steps)
                row = _table_row(mdp, conv, state, actions, k, pol, ds, rows, omitted)
            except BudgetExceeded as exc:
                stopped = f"k = {k}..{K} not computed: {exc}"
                break
            if k > 0:
                dj = _difference(row["J"], prev_j)
                row["dJ"] = dj
                row["k_dJ"] = k * dj if is_finite(dj) else dj
            rows.append(row)
            prev_j = row["J"]
    return {"state": state, "actions": actions, "deltas": ds, "k_max": len(rows) - 1 if rows else None,
            "parametric": parametric, "rows": rows, "omitted": omitted, "stopped": stopped}


def _table_row(mdp, conv, state, actions, k, pol, ds, rows, omitted):
    """Row ``k`` of :func:`retraining_table` (``dJ`` left None); a temperature whose kappa
    cannot be computed exactly leaves ``ds`` and every row, with the reason in ``omitted``."""
    j = additive_return(mdp, pol)
    kappa = {}
    for d in list(ds):
        try:
            kappa[d] = incoherence(mdp, pol, "boltzmann", conventions=conv, delta=d)
        except BudgetExceeded:
            raise
        except UndecidedError as exc:  # a whole column or none: the table has no gaps
            omitted[d] = f"from k = {k}: {exc}"
            ds.remove(d)
            for r in rows:
                del r["kappa"][d]
    return {"k": k, "policy": {a: pol.prob(state, a) for a in actions},
            "S": success_probability(mdp, pol), "J": j, "kappa": kappa, "dJ": None, "k_dJ": None}


def _difference(a, b):
    """``a - b`` with the conventions of extended reals (``-oo - -oo`` is undefined)."""
    if is_finite(a) and is_finite(b):
        return a - b
    if not is_finite(b) and is_finite(a):
        return sp.oo if b == -sp.oo else -sp.oo
    if not is_finite(a) and is_finite(b):
        return a
    return sp.nan


def table_as_json(table):
    """The table with every value as exact text plus its decimal (JSON-able).

    Examples
    --------
    >>> from proofcheck import load_case
    >>> t = table_as_json(retraining_table(load_case("cases/stochastic_counterexample.toml"), k_max=1))
    >>> t["rows"][1]["policy"]["a1"]
    {'exact': '5/11', 'decimal': '0.454545'}
    """
    def v(x):  # (str() of an integer beyond 4300 digits raises: float-derived models reach them)
        return None if x is None else {"exact": number_text(x, EXACT_TEXT_DIGITS), "decimal": decimal(x)}
    return {
        "state": str(table["state"]), "actions": [str(a) for a in table["actions"]],
        "deltas": [str(d) for d in table["deltas"]], "k_max": table["k_max"],
        "omitted": {str(d): why for d, why in table.get("omitted", {}).items()},
        "stopped": table.get("stopped", ""),
        "parametric": table["parametric"],
        "decimals": f"sympy.N at {EVAL_DIGITS} significant digits, shown to {SHOWN_DIGITS}",
        "rows": [{"k": r["k"], "policy": {str(a): v(x) for a, x in r["policy"].items()},
                  "S": v(r["S"]), "J": v(r["J"]),
                  "kappa": {str(d): v(x) for d, x in r["kappa"].items()},
                  "dJ": v(r["dJ"]), "k_dJ": v(r["k_dJ"])} for r in table["rows"]],
    }
