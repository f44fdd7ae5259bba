"""Notebook use: HTML views, pandas tables and matplotlib figures without glue code.

Tables (:mod:`pandas`) and figures (:mod:`matplotlib`) need the optional ``notebook``
extra (``pip install 'proofcheck[notebook]'``); both are imported only inside the
functions that use them, and a missing one raises an :class:`ImportError` that names the
extra.  The HTML views (:func:`mdp_html`, :func:`policy_html`) need only the standard
library.

Every table keeps the exact value as text (a column named after the quantity, e.g.
``pi_G``, ``S``, ``J``, ``kappa``) beside its float (``pi_G_float``, ...); floats are
``sympy.N`` at 20 digits rounded to a double, ``inf``/``-inf`` for infinite values and
``nan`` where the value is not a number (a parametric model).

=========================  ====================================================
:func:`retraining_frame`   ``pi^G_k(a|s)``, ``S``, ``J`` over ``k = 0..k_max``
:func:`temperature_frame`  ``pi_alpha(a|s)``, ``S``, ``J`` over ``alpha``
:func:`kappa_frame`        ``kappa_delta(pi)`` over ``delta`` for named policies
:func:`verdict_frame`      verdicts, claims x cases
:func:`plot_retraining`    ``pi^G_k(a|s_0)``, ``S`` and ``J`` over ``k``
:func:`plot_temperature`   ``pi_alpha(a|s_0)`` over ``alpha``
:func:`plot_kappa`         ``kappa_delta`` over ``delta``
=========================  ====================================================

Each function takes a model (:class:`~proofcheck.model.MDP`), a loaded case
(:class:`~proofcheck.io.casefile.Case`: its model and conventions) or a
:class:`~proofcheck.verify.case.CaseResult` (its case).

Examples
--------
>>> from proofcheck.examples import mountain_race
>>> "<table>" in mdp_html(mountain_race())
True
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import sympy as sp

from proofcheck.claims.result import ClaimResult, require_optional
from proofcheck.engine import additive_return, incoherence, retrain, success_probability, tempered_policy
from proofcheck.io.quantities import parse_quantity
from proofcheck.model import MDP, Conventions, Policy
from proofcheck.model.display import mdp_html, policy_html
from proofcheck.model.expressions import parse_expression
from proofcheck.verify.case import CaseResult
from proofcheck.verify.expectations import PolicyCache
from proofcheck.verify.tables import initial_state

__all__ = ["mdp_html", "policy_html", "retraining_frame", "temperature_frame", "kappa_frame",
           "verdict_frame", "plot_retraining", "plot_temperature", "plot_kappa", "exact_float"]

EVAL_DIGITS = 20


# ---------------------------------------------------------------------------- numbers

def exact_float(value):
    """A float of an exact value: ``sympy.N`` at 20 digits, then rounded; ``inf``/``-inf``
    for infinities and ``nan`` where the value is not a number.

    Examples
    --------
    >>> import sympy as sp
    >>> exact_float(sp.Rational(2, 5)), exact_float(-sp.oo), exact_float(sp.Symbol("p"))
    (0.4, -inf, nan)
    """
    if value is None:
        return math.nan
    try:
        v = sp.sympify(value)
    except (sp.SympifyError, TypeError, ValueError):
        v = None
    if v is not None:
        if v == sp.oo:
            return math.inf
        if v == -sp.oo:
            return -math.inf
        if not v.is_number or v.has(sp.zoo, sp.nan):
            return math.nan
        try:
            return float(sp.N(v, EVAL_DIGITS))
        except (TypeError, ValueError):
            return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _exact_number(x, what):
    """A number given by the user, exactly: strings in the case-file grammar (``"1/2"``,
    ``"0.1"`` is 1/10), floats as their shortest decimal (``0.1`` is 1/10)."""
    if isinstance(x, sp.Basic):
        return x
    if isinstance(x, bool):
        raise ValueError(f"{what} = {x!r} is not a number")
    if isinstance(x, float):
        if not math.isfinite(x):
            raise ValueError(f"{what} = {x!r} must be finite")
        return sp.Rational(repr(x))
    if isinstance(x, int):
        return sp.Integer(x)
    return parse_expression(str(x), {}, where=what)


def _model(obj, conventions):
    """``(mdp, conventions)`` from an MDP, a Case or a CaseResult."""
    if isinstance(obj, CaseResult):
        obj = obj.case
    if isinstance(obj, MDP):
        return obj, conventions or Conventions()
    if hasattr(obj, "mdp") and hasattr(obj, "conventions"):  # a loaded Case
        return obj.mdp, conventions or obj.conventions
    raise TypeError(f"expected an MDP, a Case or a CaseResult, not {type(obj).__name__}")


def _states(mdp, states):
    if states is None:
        return [s for s, t in zip(mdp.states, mdp.terminal) if not t]
    if states == "initial":
        return [initial_state(mdp)]
    if isinstance(states, (str, int)):
        states = [states]
    out = list(states)
    for s in out:
        if s not in mdp.index:
            raise ValueError(f"unknown state {s!r}")
    return out


def _pandas(what):
    return require_optional("pandas", what)


def _policy_rows(mdp, pol, states, name):
    for s in states:
        for a, v in pol[s].items():
            yield {"state": s, "action": a, name: str(v), f"{name}_float": exact_float(v)}


# ---------------------------------------------------------------------------- tables

def retraining_frame(mdp, k_max=None, conventions=None, *, states=None, backend=None):
    """Re-training on own actions as a long table: one row per ``(k, state, action)``.

    Parameters
    ----------
    mdp : MDP, Case or CaseResult
    k_max : int, optional
        Steps ``k = 0..k_max`` (default: ``conventions.k_max``).
    conventions : Conventions, optional
        Default: the case's, or the defaults.
    states : list, "initial" or None
        Which states' rows (default: every non-terminal state).
    backend : optional
        A numeric backend for large models (values are then that backend's numbers).

    Returns
    -------
    pandas.DataFrame
        Columns ``k, state, action, pi_G, pi_G_float, S, S_float, J, J_float``; ``pi_G``,
        ``S`` and ``J`` are exact values as text, ``S``/``J`` repeat within one ``k``.
    """
    pd = _pandas("retraining_frame()")
    mdp, conv = _model(mdp, conventions)
    K = conv.k_max if k_max is None else k_max
    sts = _states(mdp, states)
    rows = []
    for k, pol in enumerate(retrain(mdp, K, conventions=conv, backend=backend)):
        S = success_probability(mdp, pol, backend=backend)
        J = additive_return(mdp, pol, backend=backend)
        extra = {"S": str(S), "S_float": exact_float(S), "J": str(J), "J_float": exact_float(J)}
        rows += [{"k": k, **r, **extra} for r in _policy_rows(mdp, pol, sts, "pi_G")]
    return pd.DataFrame(rows, columns=["k", "state", "action", "pi_G", "pi_G_float", "S", "S_float", "J",
                                       "J_float"])


def temperature_frame(mdp, alphas, conventions=None, *, states=None):
    """Tempered goal-conditioning ``pi_alpha`` (``G`` of the prior with likelihoods
    ``q ** alpha``) as a long table: one row per ``(alpha, state, action)``.

    ``alphas``: numbers, exact (``sympy``), or strings in the case-file grammar (``"1/2"``);
    floats are read as their decimal (``0.1`` is 1/10).

    Returns
    -------
    pandas.DataFrame
        Columns ``alpha, alpha_float, state, action, pi_alpha, pi_alpha_float, S, S_float,
        J, J_float``.
    """
    pd = _pandas("temperature_frame()")
    mdp, conv = _model(mdp, conventions)
    sts = _states(mdp, states)
    rows = []
    for a in alphas:
        alpha = _exact_number(a, "alpha")
        pol = tempered_policy(mdp, alpha, conventions=conv)
        S, J = success_probability(mdp, pol), additive_return(mdp, pol)
        extra = {"S": str(S), "S_float": exact_float(S), "J": str(J), "J_float": exact_float(J)}
        rows += [{"alpha": str(alpha), "alpha_float": exact_float(alpha), **r, **extra}
                 for r in _policy_rows(mdp, pol, sts, "pi_alpha")]
    return pd.DataFrame(rows, columns=["alpha", "alpha_float", "state", "action", "pi_alpha", "pi_alpha_float",
                                       "S", "S_float", "J", "J_float"])


def _policies(mdp, conv, policies):
    """``[(name, Policy)]`` from names in the case-file grammar (``prior``, ``pi_1``,
    ``pi_G[3]``, ``pi_alpha[2]``, ...) or a mapping ``name -> Policy``."""
    if isinstance(policies, (str, Policy)):
        policies = [policies]
    items = policies.items() if isinstance(policies, Mapping) else [(p, p) for p in policies]
    cache = PolicyCache(mdp, conv)
    out = []
    for name, pol in items:
        if isinstance(pol, Policy):
            out.append((name if isinstance(name, str) else "policy", pol))
        else:
            spec = parse_quantity(f"S({pol})", where="policy").policy
            out.append((str(name), cache.get(spec)))
    return out


def kappa_frame(mdp, deltas, policies=("prior", "pi_1"), conventions=None, *, f="boltzmann"):
    """Incoherence ``kappa_delta(pi)`` over temperatures ``delta``: one row per
    ``(delta, policy)``.

    ``policies``: names as in case-file expectations (``prior``, ``uniform``, ``pi_1``,
    ``pi_G[k]``, ``pi_alpha[x]``, ``pi_B[fixed]``, ...) or a mapping ``label -> Policy``.

    Returns
    -------
    pandas.DataFrame
        Columns ``delta, delta_float, policy, kappa, kappa_float`` (``kappa`` exact text;
        ``+oo`` where unbounded).
    """
    pd = _pandas("kappa_frame()")
    mdp, conv = _model(mdp, conventions)
    pols = _policies(mdp, conv, policies)
    rows = []
    for d in deltas:
        delta = _exact_number(d, "delta")
        for name, pol in pols:
            kappa = incoherence(mdp, pol, f, conventions=conv, delta=delta)
            rows.append({"delta": str(delta), "delta_float": exact_float(delta), "policy": name,
                         "kappa": str(kappa), "kappa_float": exact_float(kappa)})
    return pd.DataFrame(rows, columns=["delta", "delta_float", "policy", "kappa", "kappa_float"])


def verdict_frame(results):
    """Verdicts as a table: one row per claim (label, e.g. ``P5.4 [J]``), one column per case.

    ``results``: a :class:`~proofcheck.verify.case.CaseResult`, a list of them, or a
    mapping ``column name -> CaseResult or list of ClaimResult`` (e.g. from
    :func:`proofcheck.run_claims`).  Claims a case did not run are missing (``NaN``).
    """
    pd = _pandas("verdict_frame()")
    if isinstance(results, (CaseResult, ClaimResult)):
        results = [results]
    if isinstance(results, Mapping):
        items = list(results.items())
    else:
        items = []
        for r in results:
            if not isinstance(r, CaseResult):
                raise TypeError("verdict_frame() takes CaseResults, or a mapping name -> CaseResult "
                                f"or list of ClaimResult; got {type(r).__name__}")
            items.append((getattr(r.case, "name", f"case {len(items) + 1}"), r))
    columns, order = {}, []
    for name, r in items:
        claims = r.claims if isinstance(r, CaseResult) else ([r] if isinstance(r, ClaimResult) else list(r))
        col = {}
        for c in claims:
            col[c.label] = str(c.verdict)
            if c.label not in order:
                order.append(c.label)
        columns[str(name)] = col
    frame = pd.DataFrame({name: [col.get(label) for label in order] for name, col in columns.items()},
                         index=pd.Index(order, name="claim"), columns=list(columns))
    return frame


# ---------------------------------------------------------------------------- figures

def _pyplot(what):
    require_optional("matplotlib", what)
    return require_optional("matplotlib.pyplot", what)


def _finite(xs, ys):
    """The finite points, and the x of the others."""
    pts = [(x, y) for x, y in zip(xs, ys) if math.isfinite(y)]
    left = [x for x, y in zip(xs, ys) if not math.isfinite(y)]
    return [p[0] for p in pts], [p[1] for p in pts], left


def _left_out(name, xname, xs, values):
    """A note for the title: which points were not drawn and why ('' when none)."""
    if not xs:
        return ""
    vals = sorted({str(v) for v in values})
    return f"\n({name} = {', '.join(vals)} at {xname} = {', '.join(map(str, xs))}: not drawn)"


def _new_figure(plt, ncols, width):
    fig, axes = plt.subplots(1, ncols, figsize=(width, 3.6), squeeze=False, layout="constrained")
    plt.close(fig)  # returned, not left open in pyplot: no double display, no leak
    return fig, list(axes[0])


def _require_numeric(mdp, what):
    if mdp.parameters:
        names = ", ".join(s.name for s in mdp.parameters)
        raise ValueError(f"{what} plots numbers: the model has parameters ({names}); "
                         f"substitute them first, e.g. mdp.substitute({{{next(iter(mdp.parameters)).name!r}: '1/2'}})")


def plot_retraining(mdp, k_max=None, conventions=None, *, state=None):
    """Re-training on own actions: ``pi^G_k(a | s)`` for the actions of ``state``
    (default: the initial state), the success probability ``S(pi^G_k)`` and the additive
    return ``J(pi^G_k)`` over ``k = 0..k_max``.  Non-finite values (``J = -oo`` where a
    policy reaches a zero-success leaf) are not drawn and each panel says so.

    Returns
    -------
    matplotlib.figure.Figure
        Three panels with labelled axes and a title.
    """
    plt = _pyplot("plot_retraining()")
    model, _ = _model(mdp, conventions)
    _require_numeric(model, "plot_retraining()")
    s = initial_state(model) if state is None else state
    frame = retraining_frame(mdp, k_max, conventions, states=[s])
    fig, (ax_pi, ax_s, ax_j) = _new_figure(plt, 3, 12)
    for a, part in frame.groupby("action", sort=False):
        ax_pi.plot(part["k"], part["pi_G_float"], marker="o", label=str(a))
    ax_pi.set(xlabel="re-training step $k$", ylabel=rf"$\pi^G_k(a \mid s)$, $s$ = {s}",
              title="policy at " + str(s), ylim=(-0.03, 1.03))
    ax_pi.legend(title="action $a$", fontsize="small")
    per_k = frame.drop_duplicates("k")
    for ax, col, label, title in ((ax_s, "S", r"$S(\pi^G_k)$", "success probability"),
                                  (ax_j, "J", r"$J(\pi^G_k)$", "additive return")):
        xs, ys, left = _finite(list(per_k["k"]), list(per_k[f"{col}_float"]))
        ax.plot(xs, ys, marker="o")
        ax.set(xlabel="re-training step $k$", ylabel=label,
               title=title + _left_out(col, "k", left, per_k.loc[per_k["k"].isin(left), col]))
    for ax in (ax_pi, ax_s, ax_j):
        ax.grid(True, alpha=0.3)
    fig.suptitle(f"Re-training on own actions: {model.name}")
    return fig


def plot_temperature(mdp, alphas, conventions=None, *, state=None):
    """Tempered goal-conditioning: ``pi_alpha(a | s)`` over ``alpha`` for the actions of
    ``state`` (default: the initial state).

    Returns
    -------
    matplotlib.figure.Figure
    """
    plt = _pyplot("plot_temperature()")
    model, _ = _model(mdp, conventions)
    _require_numeric(model, "plot_temperature()")
    s = initial_state(model) if state is None else state
    frame = temperature_frame(mdp, alphas, conventions, states=[s])
    fig, (ax,) = _new_figure(plt, 1, 6)
    for a, part in frame.groupby("action", sort=False):
        ax.plot(part["alpha_float"], part["pi_alpha_float"], marker="o", label=str(a))
    ax.set(xlabel=r"inverse temperature $\alpha$", ylabel=rf"$\pi_\alpha(a \mid s)$, $s$ = {s}",
           title=f"Tempered goal-conditioning: {model.name}", ylim=(-0.03, 1.03))
    ax.legend(title="action $a$", fontsize="small")
    ax.grid(True, alpha=0.3)
    return fig


def plot_kappa(mdp, deltas, policies=("prior", "pi_1"), conventions=None, *, logx=False):
    """Boltzmann incoherence ``kappa_delta(pi)`` over temperatures ``delta``, one line per
    policy (names as in :func:`kappa_frame`).  Infinite values are not drawn; the figure
    says where.

    Returns
    -------
    matplotlib.figure.Figure
    """
    plt = _pyplot("plot_kappa()")
    model, _ = _model(mdp, conventions)
    _require_numeric(model, "plot_kappa()")
    frame = kappa_frame(mdp, deltas, policies, conventions)
    fig, (ax,) = _new_figure(plt, 1, 6)
    for name, part in frame.groupby("policy", sort=False):
        xs, ys, left = _finite(list(part["delta_float"]), list(part["kappa_float"]))
        label = str(name)
        if left:  # infinite incoherence: said in the legend, not drawn
            where = "every $\\delta$" if not xs else "$\\delta$ = " + ", ".join(f"{x:g}" for x in left)
            label += f" (+oo at {where}: not drawn)"
        ax.plot(xs, ys, marker="o", label=label)
    if logx:
        ax.set_xscale("log")
    ax.set(xlabel=r"temperature $\delta$", ylabel=r"$\kappa_\delta(\pi)$",
           title=f"Boltzmann incoherence over temperature: {model.name}")
    ax.legend(title="policy $\\pi$", fontsize="small")
    ax.grid(True, alpha=0.3)
    return fig
