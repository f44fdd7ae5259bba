"""Trajectory cross-check: the re-training trajectory by three (or four) routes.

For a case, ``pi^G_0 = p, ..., pi^G_n`` is computed

* exactly (SymPy rationals; ``J`` and ``kappa_delta`` exact expressions in logs),
* by explicit iteration in the mpmath backend at ``dps`` digits,
* by explicit iteration in the interval backend at ``dps`` digits (rigorous enclosures),
* and, where :mod:`proofcheck.symbolic.closed_forms` provides one, from the closed form
  of ``pi^G_k`` in ``k`` evaluated exactly at each ``k`` (an independent route: it is
  not an iteration at all).  The module is imported lazily; when it is missing or has
  no closed form for the model, that column is left empty and the table says so.

Quantities, for ``k = 0..n``: ``pi^G_k(a|s)`` at every initial state, ``S(pi^G_k)``,
``J(pi^G_k)`` and ``kappa_delta(pi^G_k)`` (``delta`` from the case's conventions).

Checks and their bounds
-----------------------
mpmath
    ``|mpmath - exact| <= 10**(-dps + 5) * max(1, |exact|)``: five of the ``dps``
    digits are allowed for rounding accumulated over at most ``n`` passes (a
    stated tolerance, not a proof: mpmath does not bound its rounding).
interval
    the exact value must lie inside the enclosure (certified: the enclosure is
    rigorous, and the exact value is itself enclosed at ``dps + 30`` digits, which must
    fit inside).  The reported bound is the enclosure's radius.
closed form
    equal to the exact iteration, exactly (bound 0).

Infinite values (``J = -inf`` when a step with ``q = 0`` has positive probability,
``kappa = +inf``) compare as equal infinities.  A deviation beyond its bound is a
failed check: :func:`proofcheck.claims.numeric.crosscheck_result` turns the table into a
:class:`~proofcheck.claims.registry.ClaimResult` with claim id ``X.numeric`` and
verdict ``fails``, and :meth:`CrossCheckTable.lines` prints it in capitals.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

import mpmath
import sympy as sp

from proofcheck.engine import additive_return, incoherence, iter_retrain, retrain, success_probability
from proofcheck.engine.backends import IntervalBackend, MpmathBackend
from proofcheck.errors import UndecidedError
from proofcheck.exact.budget import WorkBudget, int_op_cost, largest_bits
from proofcheck.exact.intervals import interval_context, interval_eval
from proofcheck.model.conventions import Conventions

__all__ = ["CrossCheckRow", "CrossCheckTable", "crosscheck_case", "crosscheck_mdp", "short_number",
           "closed_form_values", "exact_reference_cost"]

_EXTRA = 30  # extra digits for enclosing the exact reference


@dataclass
class CrossCheckRow:
    """One quantity at one ``k`` by every route.

    ``deviation``/``bound`` are the mpmath check; ``interval_radius`` and
    ``interval_ok`` the certified interval check; ``closed_form``/``closed_ok`` the
    closed-form column (``None`` when not available); ``ok`` is all of them.
    """

    quantity: str
    k: int
    exact: object
    mpmath: object
    interval: object
    deviation: object
    bound: object
    ok: bool
    interval_radius: object = None
    interval_ok: bool = True
    closed_form: object = None
    closed_ok: bool | None = None
    note: str = ""
    scale: object = None  # |exact| from its enclosure (None for infinities), for the summary

    def as_dict(self, digits: int = 12) -> dict:
        """The row as JSON-able text, numbers at ``digits`` significant digits (the JSON of
        a table gives every digit it computed)."""
        def s(v):
            return None if v is None else short_number(v, digits)
        return {"quantity": self.quantity, "k": self.k, "exact": s(self.exact),
                "mpmath": s(self.mpmath), "interval": s(self.interval),
                "deviation": s(self.deviation), "bound": s(self.bound), "ok": self.ok,
                "interval_radius": s(self.interval_radius), "interval_ok": self.interval_ok,
                "closed_form": s(self.closed_form), "closed_ok": self.closed_ok, "note": self.note}

    def text(self):
        flag = "ok" if self.ok else "FAILED"
        cf = "" if self.closed_form is None else f"  closed={short_number(self.closed_form)} ({'=' if self.closed_ok else '!='})"
        return (f"{flag:<6} {self.quantity} k={self.k}: exact={short_number(self.exact)}  mpmath={short_number(self.mpmath)}  "
                f"|dev|={_sci(self.deviation)} <= {_sci(self.bound)}  interval radius={_sci(self.interval_radius)}"
                f" {'contains exact' if self.interval_ok else 'DOES NOT CONTAIN EXACT'}{cf}"
                + (f"  ({self.note})" if self.note else ""))


@dataclass
class CrossCheckTable:
    """All rows of a cross-check, with the precision used."""

    name: str
    n: int
    dps: int
    rows: list = field(default_factory=list)
    precision: str = ""
    closed_form_status: str = "not available"
    skipped: str = ""
    inputs: str = ""  # how float inputs were read, when there are some

    @property
    def failures(self):
        return [r for r in self.rows if not r.ok]

    @property
    def ok(self):
        return not self.failures and not self.skipped

    def quantities(self):
        seen = []
        for r in self.rows:
            if r.quantity not in seen:
                seen.append(r.quantity)
        return seen

    def summary(self):
        """Per quantity: largest mpmath deviation, its bound, largest interval radius,
        digits of agreement, and whether every check passed."""
        out = []
        for q in self.quantities():
            rows = [r for r in self.rows if r.quantity == q]
            finite = [r for r in rows if r.deviation is not None]
            dev = max((r.deviation for r in finite), default=mpmath.mpf(0))
            worst = max(finite, key=lambda r: r.deviation / r.bound if r.bound else 0, default=None)
            rad = max((r.interval_radius for r in rows if r.interval_radius is not None), default=mpmath.mpf(0))
            scale = max((r.scale if r.scale is not None else _num(r.exact) for r in finite
                         if r.scale is not None or _num(r.exact) is not None), default=1)
            if mpmath.isinf(dev):  # a route gave a different infinity or a non-finite value
                digits = 0
            else:
                digits = int(-mpmath.log10(dev / max(1, scale))) if dev > 0 else None
            cf = [r.closed_ok for r in rows if r.closed_ok is not None]
            out.append({"quantity": q, "max_deviation": dev,
                        "bound": worst.bound if worst is not None else None,
                        "max_interval_radius": rad, "digits": digits,
                        "all_enclosures_contain_exact": all(r.interval_ok for r in rows),
                        "closed_form_rows": len(cf), "closed_form_agrees": all(cf) if cf else None,
                        "ok": all(r.ok for r in rows), "rows": len(rows)})
        return out

    def lines(self):
        """One line per quantity for the terminal, failures first and in capitals."""
        if self.skipped:
            return [f"cross-check skipped: {self.skipped}"]
        out = [f"FAILED X.numeric: {len(self.failures)} value(s) beyond their bound: "
               + "; ".join(f"{r.quantity} k={r.k}" for r in self.failures[:5])] if self.failures else []
        for s in self.summary():
            digits = f"{s['digits']} digits agree" if s["digits"] is not None else "exact agreement"
            cf = ("" if s["closed_form_agrees"] is None else
                  f", closed form {'agrees' if s['closed_form_agrees'] else 'DISAGREES'} ({s['closed_form_rows']} k)")
            out.append(f"{'ok' if s['ok'] else 'FAILED'}: {s['quantity']}, k = 0..{self.n}: max |mpmath - exact| = "
                       f"{_sci(s['max_deviation'])} (bound {_sci(s['bound'])}, {digits}); interval radius <= "
                       f"{_sci(s['max_interval_radius'])}, "
                       f"{'exact inside every enclosure' if s['all_enclosures_contain_exact'] else 'EXACT OUTSIDE AN ENCLOSURE'}{cf}")
        out.append(f"precision: mpmath and interval at {self.dps} digits"
                   + (f"; {self.inputs}" if self.inputs else "") + f"; closed forms: {self.closed_form_status}")
        return out

    def as_dict(self):
        summ = [{k: (short_number(v, self.dps) if isinstance(v, (mpmath.mpf, sp.Basic)) else v)
                 for k, v in s.items()}
                for s in self.summary()] if not self.skipped else []
        return {"name": self.name, "n": self.n, "dps": self.dps, "precision": self.precision, "inputs": self.inputs,
                "closed_forms": self.closed_form_status, "skipped": self.skipped, "ok": self.ok,
                "failures": len(self.failures), "summary": summ,
                "rows": [r.as_dict(self.dps) for r in self.rows]}


# ------------------------------------------------------------------------- numbers

def _num(v):
    """A Python/mpmath number for scaling (None for infinities).

    SymPy values are converted by their exact parts (a rational's ``p/q``) or ``evalf``,
    never through their printed text: a float-derived value has hundreds of digits and
    printing it cost seconds per table.  The table's rows carry their scale already.
    """
    try:
        if not isinstance(v, sp.Basic):
            f = mpmath.mpf(v)
        elif v.is_Rational:
            f = mpmath.mpf(int(v.p)) / int(v.q)
        else:
            f = mpmath.mpf(sp.N(v, 20)._mpf_)
    except (TypeError, ValueError, AttributeError):
        return None
    return f if mpmath.isfinite(f) else None


def short_number(v, digits=12):
    if v is None:
        return "-"
    if isinstance(v, sp.Basic):
        # (the size first: str() of an integer beyond 4300 digits raises, and float-derived
        # models reach such numbers within a few re-training steps)
        if v.is_Rational and int(v.p).bit_length() + int(v.q).bit_length() <= 80 and len(str(v)) <= 24:
            return str(v)
        if v in (sp.oo, -sp.oo):
            return "+inf" if v == sp.oo else "-inf"
        return str(sp.N(v, digits))
    if hasattr(v, "a") and hasattr(v, "b"):
        return f"[{mpmath.nstr(mpmath.mpf(v.a._mpi_[0]), digits)}, {mpmath.nstr(mpmath.mpf(v.b._mpi_[1]), digits)}]"
    if isinstance(v, mpmath.mpf) or hasattr(v, "_mpf_"):
        return mpmath.nstr(v, digits)
    return str(v)


def _sci(v):
    if v is None:
        return "-"
    return mpmath.nstr(v, 3) if v != 0 else "0"


class _Ref:
    """Exact values enclosed at high precision, in a private context (no global state)."""

    def __init__(self, dps):
        self.iv = interval_context(dps + _EXTRA)
        self.ctx = mpmath.MPContext()
        self.ctx.dps = dps + _EXTRA

    def enclose(self, expr):
        """``(lo, hi)`` around an exact value; infinities as ``(inf, inf)``."""
        expr = sp.sympify(expr)
        if expr in (sp.oo, -sp.oo):
            v = self.ctx.inf if expr == sp.oo else -self.ctx.inf
            return v, v
        if expr.is_Rational:
            # directed roundings: a point when the rational is a binary number, else one ulp wide
            p, q = int(expr.p), int(expr.q)
            return self.ctx.fdiv(p, q, rounding="f"), self.ctx.fdiv(p, q, rounding="c")
        try:
            x = interval_eval(expr, self.iv)
        except UndecidedError:
            # not enclosable (an unusual function): a 30-extra-digit evaluation instead
            v = self.ctx.mpf(sp.Float(sp.N(expr, self.ctx.dps), self.ctx.dps)._mpf_)
            return v, v
        return self.ctx.make_mpf(x._mpi_[0]), self.ctx.make_mpf(x._mpi_[1])

    def point(self, v):
        """A backend number (mpf of another context) as a number of this context, exactly."""
        return self.ctx.make_mpf(v._mpf_)

    def interval(self, v):
        return self.ctx.make_mpf(v._mpi_[0]), self.ctx.make_mpf(v._mpi_[1])


# ------------------------------------------------------------------ closed forms

def closed_form_values(mdp, n, states, conventions=None):
    """``{(k, state, action): exact value}`` from :mod:`proofcheck.symbolic.closed_forms`.

    Uses ``retraining_closed_form(mdp, conventions)``, whose ``.at(state, action, k)``
    evaluates the closed form exactly (``None`` where no closed form exists) and whose
    ``.domain`` states the valid ``k`` (``k >= 1`` when a ``0**k`` term was dropped;
    ``k = 0`` is then left out).  Returns ``(values, status)``; ``values`` is empty and
    ``status`` says why when the module is missing or has nothing for this model.
    """
    try:
        mod = importlib.import_module("proofcheck.symbolic.closed_forms")
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("proofcheck"):
            return {}, "not available (proofcheck.symbolic.closed_forms not installed)"
        raise
    fn = getattr(mod, "retraining_closed_form", None)
    if fn is None:
        return {}, "not available (proofcheck.symbolic.closed_forms has no retraining_closed_form)"
    try:
        cf = fn(mdp, conventions)
    except Exception as exc:  # a model the closed forms do not cover: say so, never crash the check
        msg = str(exc).splitlines()[0] if str(exc) else ""
        return {}, f"not applicable ({type(exc).__name__}: {msg})"
    domain = str(getattr(cf, "domain", ""))
    k0 = 0 if "k >= 0" in domain else 1
    out = {}
    try:
        for k in range(k0, n + 1):
            for s in states:
                for a in mdp.actions(s):
                    v = cf.at(s, a, k)
                    if v is not None:
                        out[(k, s, a)] = sp.sympify(v)
    except Exception as exc:
        return {}, f"could not be evaluated ({type(exc).__name__}: {exc})"
    if not out:
        return {}, "no closed form at the initial states"
    return out, f"retraining_closed_form, k = {k0}..{n} ({domain})"


# ---------------------------------------------------------------------- the check

def crosscheck_case(case, n=20, dps=50, *, closed_forms=True, max_pairs=None, budget=None):
    """Cross-check the re-training trajectory of a case (see the module docstring).

    Parameters
    ----------
    case : Case or MDP
        A loaded case (its conventions are used) or a bare MDP (default conventions).
    n : int
        Last iteration ``k``.
    dps : int
        Digits of the mpmath and interval backends.
    max_pairs : int, optional
        Skip (with the reason in the table) models with more state-action pairs: the
        exact reference of ``n`` iterations grows with the model and with ``n``.

    Returns
    -------
    CrossCheckTable

    Examples
    --------
    >>> from proofcheck import load_case
    >>> t = crosscheck_case(load_case("cases/stochastic_counterexample.toml"), n=3, dps=30)
    >>> t.ok, len(t.rows)
    (True, 20)
    >>> [r.exact for r in t.rows if r.quantity == "pi^G_k(a1|start)"]
    [1/2, 5/11, 25/61, 125/341]
    """
    mdp = getattr(case, "mdp", case)
    conventions = getattr(case, "conventions", None) or Conventions()
    name = getattr(case, "name", mdp.name)
    return crosscheck_mdp(mdp, conventions, n=n, dps=dps, closed_forms=closed_forms, name=name,
                          max_pairs=max_pairs, budget=budget)


def exact_reference_cost(mdp, n):
    """Estimated steps (:mod:`proofcheck.exact.budget`) of ``n`` exact re-training passes:
    per pass and pair a few products of numbers that grow by the bits of the model's
    inputs at every pass (float-derived inputs: 53 bits and more each).

    >>> from proofcheck.examples import mountain_race
    >>> exact_reference_cost(mountain_race(), 20)
    2400
    """
    grown = _input_bits(mdp) * n
    return mdp.n_pairs * n * n * int_op_cost(grown, grown)


def _input_bits(mdp):
    return max(1, largest_bits(list(mdp.prior) + list(mdp.likelihood) + list(mdp.success)))


def _exact_trajectory(mdp, n, conventions, budget):
    """``[pi^G_0, ..., pi^G_n]`` exactly, each pass charged to ``budget`` beyond the estimate
    of :func:`exact_reference_cost` when its numbers outgrow it: that estimate lets them grow
    linearly, and on a stochastic float-derived model they grow quadratically (928,000 bits
    at n = 20 on a 7-state model, against 1,080 estimated: 35 s of big-integer work)."""
    steps = iter_retrain(mdp, conventions=conventions)
    seq = [next(steps)]
    estimated = _input_bits(mdp) * n
    for k in range(1, n + 1):
        bits = largest_bits(seq[-1].values)
        if bits > estimated:
            budget.spend(mdp.n_pairs * n * (int_op_cost(bits, bits) - int_op_cost(estimated, estimated)),
                         f"exact re-training pass {k} of {n} (numbers of {bits} bits, more than the "
                         f"{estimated} estimated)")
        seq.append(next(steps))
    return seq


def crosscheck_mdp(mdp, conventions=None, *, n=20, dps=50, closed_forms=True, name=None,
                   max_pairs=None, budget=None):
    """:func:`crosscheck_case` for a model and conventions."""
    conventions = conventions or Conventions()
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"n = {n!r} must be a non-negative integer number of iterations")
    table = CrossCheckTable(name or mdp.name, n, dps)
    MB, IB = MpmathBackend(dps), IntervalBackend(dps)
    table.precision = f"{MB.describe()}; {IB.describe()}; reference: exact values enclosed at {dps + _EXTRA} digits"
    if mdp.is_parametric:
        table.skipped = (f"the model has parameters {', '.join(s.name for s in mdp.parameters)}; "
                         "substitute values first (MDP.substitute) to cross-check numerically")
        return table
    if not mdp.exact and not mdp.float_inputs:  # float64 arrays (MDP.from_arrays)
        table.skipped = ("the model's numbers are float64 arrays (MDP.from_arrays), which the exact backend does "
                         "not take, so there is no exact reference; use the certified checks")
        return table
    if mdp.float_inputs:  # read as the binary rationals they are: an exact reference exists
        table.inputs = "float inputs as their exact binary values"
        table.precision += f"; {table.inputs}"
    if max_pairs is not None and mdp.n_pairs > max_pairs:
        table.skipped = (f"{mdp.n_pairs} state-action pairs > {max_pairs}: too large for an exact reference "
                         f"of {n} iterations here; run crosscheck_case(..., max_pairs=None) or use the certified checks")
        return table
    budget = budget if budget is not None else WorkBudget()
    try:
        budget.spend(exact_reference_cost(mdp, n), f"an exact reference of {n} re-training passes")
    except UndecidedError as exc:
        table.skipped = f"{exc}; use the certified checks (P5.4.certified)"
        return table
    try:
        seq_e = _exact_trajectory(mdp, n, conventions, budget)
    except UndecidedError as exc:
        table.skipped = f"{exc}; use the certified checks (P5.4.certified)"
        return table
    ref = _Ref(dps)
    starts = [s for s, mu in zip(mdp.states, mdp.initial) if mu != 0]
    seq_m = retrain(mdp, n, backend=MB, conventions=conventions)
    seq_i = retrain(mdp, n, backend=IB, conventions=conventions)
    closed = {}
    if closed_forms:
        closed, table.closed_form_status = closed_form_values(mdp, n, starts, conventions)
    else:
        table.closed_form_status = "not requested"
    tol_scale = ref.ctx.mpf(10) ** (-dps + 5)

    def add(quantity, k, exact, mp_val, iv_val, cf=None):
        lo, hi = ref.enclose(exact)
        m = ref.point(mp_val)
        ilo, ihi = ref.interval(iv_val)
        note = ""
        if ref.ctx.isinf(lo) or ref.ctx.isinf(hi):
            # an exact infinity: the numeric routes must give the same infinity
            dev, bound = ref.ctx.mpf(0), ref.ctx.mpf(0)
            mp_ok = m == lo
            iv_ok = ilo == lo and ihi == hi
            radius = ref.ctx.mpf(0)
            if not mp_ok or not iv_ok:
                dev = ref.ctx.inf
                note = "exact value is infinite, a numeric route is not"
        else:
            mid = (lo + hi) / 2
            dev = abs(m - mid) + (hi - lo) / 2 if ref.ctx.isfinite(m) else ref.ctx.inf
            bound = tol_scale * max(1, abs(mid))
            mp_ok = dev <= bound
            iv_ok = ilo <= lo and hi <= ihi
            radius = (ihi - ilo) / 2
        cf_ok = None
        if cf is not None:
            try:
                diff = sp.sympify(cf) - sp.sympify(exact)
                # (a rational difference needs no simplify, whose first call costs 0.3 s)
                cf_ok = bool(diff == 0) if diff.is_Rational else bool(sp.simplify(diff) == 0)
            except Exception:  # undecidable simplification: compare numerically at high precision
                clo, chi = ref.enclose(cf)
                cf_ok = bool(abs((clo + chi) / 2 - (lo + hi) / 2) <= tol_scale * max(1, abs(lo)))
        ok = bool(mp_ok and iv_ok and cf_ok is not False)
        scale = None if (ref.ctx.isinf(lo) or ref.ctx.isinf(hi)) else mpmath.mpf(abs(lo + hi) / 2)
        table.rows.append(CrossCheckRow(quantity, k, exact, mp_val, iv_val,
                                        mpmath.mpf(dev) if ref.ctx.isfinite(dev) else mpmath.inf,
                                        mpmath.mpf(bound), ok, mpmath.mpf(radius), bool(iv_ok),
                                        cf, cf_ok, note, scale))

    for k in range(n + 1):
        pe, pm, pi_ = seq_e[k], seq_m[k], seq_i[k]
        try:  # the exact S, J and kappa of a step are charged too: their sums can exhaust the budget
            for s in starts:
                for a in mdp.actions(s):
                    j = mdp.pair(s, a)
                    add(f"pi^G_k({a}|{s})", k, pe.values[j], pm.values[j], pi_.values[j], closed.get((k, s, a)))
            add("S", k, success_probability(mdp, pe), success_probability(mdp, pm, backend=MB),
                success_probability(mdp, pi_, backend=IB))
            add("J", k, additive_return(mdp, pe), additive_return(mdp, pm, backend=MB),
                additive_return(mdp, pi_, backend=IB))
            add("kappa_delta", k, incoherence(mdp, pe, conventions=conventions),
                incoherence(mdp, pm, backend=MB, conventions=conventions),
                incoherence(mdp, pi_, backend=IB, conventions=conventions))
        except UndecidedError as exc:
            table.skipped = f"k = {k}..{n} not compared: {exc}; use the certified checks (P5.4.certified)"
            break
    return table
