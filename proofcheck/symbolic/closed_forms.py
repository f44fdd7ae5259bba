"""Closed forms in the iteration count ``k`` and in the temperature (issue 3, items 1-2).

Every soft value of the prior in the MDP with likelihoods ``q ** x`` is a finite sum
``sum_i c_i * b_i ** x`` over the distinct likelihood products ``b_i`` of the completions
(trajectory tails), with ``c_i`` the prior-and-dynamics mass of the completions whose
product is ``b_i``.  :class:`ExpSum` holds such a sum with equal bases merged, and
:class:`ExpSumBackend` lets the engine's own backward pass
(:func:`proofcheck.engine.soft_values`) compute them: nothing here re-implements a
Bellman loop, and the cost is one backward pass times the number of distinct bases.

Closed forms derived here
-------------------------
* ``pi_alpha(a|s) = N_s,a(alpha) / D_s(alpha)``, any dynamics, ``alpha > 0``;
* deterministic dynamics: ``pi^G_k = pi^F_k = pi_{alpha=k}`` for every integer ``k >= 1``,
  proved by induction on ``k`` with the engine's ``G`` applied to the symbolic closed
  form (:func:`prove_retraining_identity`);
* stochastic dynamics: ``pi^G_k`` where ``Zq`` does not depend on the policy, and the
  exact first ``k`` at which re-training and temperature part ways;
* ``pi^delta`` (Boltzmann) of a fixed policy and the Boltzmann-coherent fixed point as
  functions of ``delta``; the cumulative fold's inverse temperature per indexing.

Identities in ``k`` are decided by *lifting*: every power ``b ** (m k + c)`` with
rational ``b`` becomes ``b**c * prod_p X_p ** (m e_p)`` with one fresh symbol
``X_p = p ** k`` per prime ``p`` (symbolic bases become one symbol each); an expression
that cancels to 0 as a rational function of the ``X`` vanishes for every ``k``.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import sympy as sp
from sympy.core.exprtools import gcd_terms

from proofcheck.engine import goal_condition, retrain, soft_values, tempered_policy
from proofcheck.engine.backends import Backend
from proofcheck.engine.backends.base import _obj
from proofcheck.engine.coherence import boltzmann_fixed_point_by_levels
from proofcheck.errors import BudgetExceeded, ProofcheckError, UndecidedError
from proofcheck.exact.budget import (
    WorkBudget,
    active_claim_budget,
    expression_nodes,
    int_op_cost,
    largest_bits,
    rational_bits,
)
from proofcheck.exact.constant_sign import coprime_base
from proofcheck.exact.ratfunc import add_fractions, as_fraction, cancel, fast_cancel, fraction_to_expr
from proofcheck.exact.sign import exact_sign
from proofcheck.exact.symbols import free_symbols
from proofcheck.model.conventions import H_INDEXINGS, Conventions
from proofcheck.model.mdp import Policy

_REGULAR = object()  # sentinel: the closed form is a plain ratio

__all__ = [
    "K", "ALPHA", "BETA", "DELTA", "X",
    "ExpSum", "ExpSumBackend", "ClosedForm", "exp_sums", "tempered_closed_form",
    "retraining_closed_form", "prove_retraining_identity", "lift_powers", "is_identity",
    "first_divergence", "cumulative_fold_temperature", "boltzmann_closed_form",
    "boltzmann_fixed_point",
]

#: The iteration count: a positive integer symbol (so ``0**k`` evaluates to 0).
K = sp.Symbol("k", integer=True, positive=True)
#: Inverse temperature, temperature and Boltzmann temperature.
ALPHA = sp.Symbol("alpha", positive=True)
BETA = sp.Symbol("beta", positive=True)
DELTA = sp.Symbol("delta", positive=True)
#: The generic positive exponent the DP works with.
X = sp.Symbol("x", positive=True)

_ZERO, _ONE = sp.Integer(0), sp.Integer(1)


#: Steps charged for one term operation of an :class:`ExpSum` (a product or sum of SymPy
#: rationals and the dictionary update): measured at 26 to 32 microseconds, about as long as
#: 25,000 word operations, the unit of :mod:`proofcheck.exact.budget`.
TERM_STEPS = 25_000


def _size_steps(x):
    """:func:`~proofcheck.exact.budget.int_op_cost` of a rational's numerator and denominator
    (1 for anything else)."""
    bits = rational_bits(x)
    return int_op_cost(bits, bits)


@lru_cache(maxsize=1 << 12)
def _key(base):
    """Canonical form of a base so that equal bases merge (a model's few bases recur in
    every closed form of every policy: cached)."""
    if base.is_Rational:
        return base
    return sp.factor(cancel(base))


def _compare(a, b):
    """-1, 0, 1 for two non-negative bases; UndecidedError when parametric and undecidable."""
    if a == b:
        return 0
    d = cancel(a - b) if (a.free_symbols or b.free_symbols) else a - b
    # Parametric differences go through exact_sign too: inside a parametric claim run it
    # answers with the current case of the sign split, elsewhere it raises UndecidedError.
    return exact_sign(d)


class ExpSum:
    """``sum_i c_i * b_i ** x`` with distinct non-negative bases ``b_i`` (``x > 0``).

    Bases equal to 0 are dropped: ``0 ** x = 0`` for every ``x > 0``.

    Examples
    --------
    >>> import sympy as sp
    >>> s = ExpSum({sp.Rational(3, 4): sp.Rational(1, 2)}) + ExpSum.constant(sp.Rational(1, 4))
    >>> s.expr(K)
    (3/4)**k/2 + 1/4
    >>> s.dominant()
    (1, 1/4)
    """

    __slots__ = ("terms",)

    def __init__(self, terms=None):
        self.terms = {}
        for b, c in (terms or {}).items():
            self._add(sp.sympify(b), sp.sympify(c))

    def _add(self, b, c):
        if b == 0 or c == 0:
            return
        budget = active_claim_budget()
        if budget is not None:  # a float-derived model's forms reach 10^5 terms and more
            budget.spend(TERM_STEPS + _size_steps(b) + _size_steps(c), "terms of a sum of exponentials")
        b = _key(b)
        new = self.terms.get(b, _ZERO) + c
        if new.free_symbols:
            new = cancel(new)
        if new == 0:
            self.terms.pop(b, None)
        else:
            self.terms[b] = new

    @classmethod
    def constant(cls, c):
        return cls({_ONE: c})

    def __add__(self, other):
        if not isinstance(other, ExpSum):
            other = ExpSum.constant(sp.sympify(other))
        out = ExpSum()
        out.terms = dict(self.terms)
        for b, c in other.terms.items():
            out._add(b, c)
        return out

    __radd__ = __add__

    def __mul__(self, other):
        if not isinstance(other, ExpSum):
            other = ExpSum.constant(sp.sympify(other))
        out = ExpSum()
        for b1, c1 in self.terms.items():
            for b2, c2 in other.terms.items():
                out._add(b1 * b2, c1 * c2)
        return out

    __rmul__ = __mul__

    def __eq__(self, other):
        return isinstance(other, ExpSum) and self.terms == other.terms

    def __hash__(self):  # pragma: no cover - not used as a key
        return id(self)

    @property
    def is_zero(self):
        return not self.terms

    def expr(self, x):
        """The SymPy expression ``sum c * b ** x``."""
        return sp.Add(*[c * b ** x for b, c in self.terms.items()])

    def at(self, value):
        """Exact value at a number ``x = value`` (value > 0)."""
        return sp.Add(*[c * b ** value for b, c in self.terms.items()])

    def mass(self):
        """``sum_i c_i``: the limit ``x -> 0+`` (every positive base tends to 1)."""
        return sp.Add(*self.terms.values())

    def sorted_bases(self):
        """Bases from largest to smallest (exact comparisons)."""
        import functools
        return sorted(self.terms, key=functools.cmp_to_key(lambda a, b: _compare(b, a)))

    def maximal_bases(self):
        """All bases equal to the largest one (several only when parametric bases tie)."""
        best = []
        for b in self.terms:
            c = _compare(b, best[0]) if best else 1
            if c > 0:
                best = [b]
            elif c == 0:
                best.append(b)
        return best

    def dominant(self):
        """``(b_max, c_max)``: the largest base and its total coefficient; ``(0, 0)`` if empty.

        Bases that differ as expressions but are equal (a parametric case such as
        ``p = 3/4``) are tied: their coefficients add up.
        """
        if not self.terms:
            return _ZERO, _ZERO
        best = self.maximal_bases()
        return best[0], sp.Add(*[self.terms[b] for b in best])

    def __repr__(self):
        return f"ExpSum({self.expr(X)})"


class _Exponent:
    """Marker for the symbolic exponent inside :class:`ExpSumBackend`."""

    def __init__(self, symbol):
        self.symbol = symbol


class ExpSumBackend(Backend):
    """Backend whose numbers are :class:`ExpSum` in the exponent ``x``.

    Model constants ``c`` become ``c * 1**x``; ``B.power(q, x)`` turns ``q`` into
    ``1 * q**x``.  With it, ``soft_values(mdp, backend=ExpSumBackend(), alpha=X)``
    returns the tempered soft values of the prior as sums of exponentials.
    """

    name = "expsum"
    exact = False

    @property
    def inf(self):  # pragma: no cover - soft values never produce infinities
        raise UndecidedError("ExpSum numbers have no infinity")

    def _convert(self, value):
        if isinstance(value, ExpSum):
            return value
        if isinstance(value, sp.Symbol) and value == X:
            return _Exponent(value)
        return ExpSum.constant(sp.sympify(value))

    def _is_zero(self, x):
        return isinstance(x, ExpSum) and x.is_zero

    def _pow(self, x, y):
        if not isinstance(y, _Exponent):
            raise UndecidedError("ExpSumBackend only raises model constants to the symbolic exponent")
        if set(x.terms) != {_ONE}:
            raise UndecidedError("ExpSumBackend only raises model constants to the symbolic exponent")
        return ExpSum({x.terms[_ONE]: _ONE})

    def describe(self):
        return "exact sums of exponentials (SymPy coefficients and bases)"


def exp_sums(mdp, policy=None):
    """``(zq, zv)``: the soft values of ``policy`` (default the prior) under ``q ** x``.

    Each entry is an :class:`ExpSum` in ``x``; ``zq[j] = q_j ** x * sum tau * zv[next]``.

    Examples
    --------
    >>> from proofcheck.examples import mountain_race
    >>> m = mountain_race()
    >>> zq, zv = exp_sums(m)
    >>> zv[m.index["start"]].expr(X)
    (3/4)**x/2 + 1/4
    """
    B = ExpSumBackend()
    pol = policy or mdp.prior_policy()
    if pol.backend is not None:
        raise ProofcheckError("exp_sums needs an exact policy; pass an exact Policy")
    pol = Policy(mdp, B.array(pol.values), B)
    sv = soft_values(mdp, pol, backend=B, alpha=X)
    return sv.zq, sv.zv


class ClosedForm:
    """A policy given pair by pair as ``N_j(x) / D_s(x)`` with :class:`ExpSum` parts.

    ``fallback[j]`` is the value used where ``D_s = 0`` (success impossible): the
    convention ``impossible`` decides it.  ``variable`` names what ``x`` stands for.
    """

    def __init__(self, mdp, num, den, fallback, variable, domain):
        self.mdp, self.num, self.den, self.fallback = mdp, num, den, fallback
        self.variable, self.domain = variable, domain

    def ratio(self, state, action):
        j = self.mdp.pair(state, action)
        return self.num[j], self.den[j]

    def _parts(self, state, action):
        """``(num, den, _REGULAR)``, or ``(.., .., value)`` where no ratio applies: None
        without a closed form, the convention's fallback where the denominator vanishes."""
        num, den = self.ratio(state, action)
        if num is None:
            return num, den, None
        if den.is_zero:
            return num, den, self.fallback[self.mdp.pair(state, action)]
        return num, den, _REGULAR

    def expr(self, state, action, var=None, simplify=True):
        """The closed form as a SymPy expression in ``var`` (default: ``variable``)."""
        var = self.variable if var is None else var
        num, den, special = self._parts(state, action)
        if special is not _REGULAR:
            return special
        if num.is_zero:
            return _ZERO
        if not simplify:
            return num.expr(var) / den.expr(var)
        # Divide by the dominant term of the denominator: the form reads as
        # 1 / (1 + sum r_i (b_i/b_max)**k) whose limit is visible.
        try:
            bmax, cmax = den.dominant()
        except UndecidedError:
            return num.expr(var) / den.expr(var)
        if cmax.free_symbols:
            cmax = _ONE  # a parametric coefficient may vanish somewhere in its range
        n = sp.Add(*[(c / cmax) * (b / bmax) ** var for b, c in num.terms.items()])
        d = sp.Add(*[(c / cmax) * (b / bmax) ** var for b, c in den.terms.items()])
        return n / d

    def at(self, state, action, value):
        """Exact value at ``x = value`` (a positive number)."""
        num, den, special = self._parts(state, action)
        if special is not _REGULAR:
            return special
        fast = _ratio_at(num, den, value)
        if fast is not None:
            return fast
        v = num.at(value) / den.at(value)
        return cancel(v) if v.free_symbols else v

    def policy_at(self, value):
        """The exact :class:`Policy` at ``x = value``."""
        m = self.mdp
        vals = []
        for j in range(m.n_pairs):
            s = m.states[m.pair_state[j]]
            vals.append(self.at(s, m.pair_action[j], value))
        return Policy(m, _obj(vals))

    def symbolic_policy(self, var=None):
        """A :class:`Policy` whose values are the closed forms in ``var``."""
        m = self.mdp
        vals = [self.expr(m.states[m.pair_state[j]], m.pair_action[j], var, simplify=False)
                for j in range(m.n_pairs)]
        return Policy(m, _obj(vals))


@lru_cache(maxsize=1 << 12)
def _fraction(e, x):
    return as_fraction(e, x)


def _ratio_at(num, den, k):
    """``num(k) / den(k)`` in lowest terms, as ``sympy.cancel`` writes it, computed in
    python-flint for an integer ``k`` and bases and coefficients in one parameter (SymPy
    spends most of its time building and expanding the powers ``b**k``); None otherwise."""
    if not (isinstance(k, int) or getattr(k, "is_Integer", False)) or int(k) < 0:
        return None
    k = int(k)
    syms = set().union(*[free_symbols(b) | free_symbols(c) for part in (num, den) for b, c in part.terms.items()])
    if len(syms) != 1:
        return None
    (x,) = syms
    sums = []
    for part in (num, den):
        total = None
        for b, c in part.terms.items():
            fb, fc = _fraction(b, x), _fraction(c, x)
            if fb is None or fc is None:
                return None
            term = (fc[0] * fb[0] ** k, fc[1] * fb[1] ** k)
            total = term if total is None else add_fractions(total, term)
        if total is None:
            return None
        sums.append(total)
    (nn, nd), (dn, dd) = sums
    if dn.is_zero():
        return None
    if nn.is_zero():
        return sp.Integer(0)
    n, d = nn * dd, nd * dn
    g = n.gcd(d)
    return fraction_to_expr(n // g, d // g, x)


def _fallback(mdp, impossible):
    pi = mdp.prior_policy().values if impossible == "keep" else mdp.uniform_policy().values
    return pi


def tempered_closed_form(mdp, conventions=None):
    """``pi_alpha`` as a :class:`ClosedForm` in ``alpha`` (any dynamics, ``alpha > 0``).

    The trajectory posterior ``p(xi) tau(xi) q(xi)**alpha`` marginalised at each state:
    ``pi_alpha(a|s) = p(a|s) Zq_alpha(s,a) / Zv_alpha(s)``.

    Examples
    --------
    >>> from proofcheck.examples import stochastic_counterexample
    >>> cf = tempered_closed_form(stochastic_counterexample())
    >>> cf.at("start", "a1", 2)
    7/17
    """
    conv = conventions or Conventions()
    zq, zv = exp_sums(mdp)
    prior = mdp.prior
    num = [zq[j] * prior[j] for j in range(mdp.n_pairs)]
    den = [zv[mdp.pair_state[j]] for j in range(mdp.n_pairs)]
    return ClosedForm(mdp, num, den, _fallback(mdp, conv.impossible), ALPHA,
                      "alpha > 0 (any dynamics); as alpha -> 0+ zero-likelihood completions keep weight 0")


def _policy_free(mdp):
    """Per state: True when ``Zq_pi(s, .)`` does not depend on ``pi`` (no later choices)."""
    free = np.zeros(mdp.n_states, dtype=bool)
    for i in range(mdp.n_states - 1, -1, -1):
        if mdp.terminal[i]:
            free[i] = True
            continue
        ok = True
        for j in range(mdp.state_ptr[i], mdp.state_ptr[i + 1]):
            for e in range(mdp.pair_ptr[j], mdp.pair_ptr[j + 1]):
                t = mdp.edge_target[e]
                if not free[t] or (not mdp.terminal[t] and mdp.state_ptr[t + 1] - mdp.state_ptr[t] > 1):
                    ok = False
        free[i] = ok
    return free


def _state_ratios(mdp, zq, weight, states=None):
    """``num[j] = weight[j] zq[j]**x`` and ``den[j]`` its sum over the actions of the state,
    at the non-terminal states (those with ``states[i]`` true when given); None elsewhere."""
    num, den = [None] * mdp.n_pairs, [None] * mdp.n_pairs
    for i in range(mdp.n_states):
        if mdp.terminal[i] or (states is not None and not states[i]):
            continue
        js = range(mdp.state_ptr[i], mdp.state_ptr[i + 1])
        parts = {j: ExpSum({zq[j]: weight[j]}) for j in js}
        total = ExpSum()
        for j in js:
            total = total + parts[j]
        for j in js:
            num[j], den[j] = parts[j], total
    return num, den


def retraining_closed_form(mdp, conventions=None):
    """``pi^G_k`` as a :class:`ClosedForm` in the positive integer ``k``, where one exists.

    Deterministic dynamics: ``pi^G_k(a|s) = sum_{xi through (s,a)} p q^k / sum_{xi from s} p q^k``
    at every state.  Stochastic dynamics: at states whose ``Zq`` does not depend on the
    policy, ``pi^G_k(a|s) = p(a|s) Zq(s,a)^k / sum_b p(b|s) Zq(s,b)^k``; elsewhere no
    closed form is derived and the entry is ``None``.

    Returns
    -------
    ClosedForm
        ``num[j]``/``den[j]`` are ``None`` for pairs without a closed form.

    Examples
    --------
    >>> from proofcheck.examples import mountain_race
    >>> cf = retraining_closed_form(mountain_race())
    >>> cf.expr("start", "up")
    1/(2*(3/4)**k + 1)
    >>> cf.domain
    'integers k >= 1 (terms 0**k dropped; kept with 0**0 = 1 the sum also gives pi^G_0 = p)'
    """
    conv = conventions or Conventions()
    if mdp.deterministic:
        cf = tempered_closed_form(mdp, conv)
        zero_base = any(m == 0 for m in list(mdp.likelihood) + list(mdp.success))
        # The printed form drops the completions with likelihood 0 (0**k = 0 for k >= 1);
        # at k = 0 they would count with 0**0 = 1, so the printed form is wrong there.
        domain = ("integers k >= 1 (terms 0**k dropped; kept with 0**0 = 1 the sum also gives pi^G_0 = p)"
                  if zero_base else "integers k >= 0 (no likelihood is 0, so 0**k never occurs)")
        if not zero_base and not _prior_sums_exactly_to_one(mdp):
            # at k = 0 the form is p / sum p, and pi^G_0 is p itself
            domain = ("integers k >= 1 (at k = 0 the form gives the prior divided by its sum, and this "
                      "prior's float values sum to 1 only within rounding, so pi^G_0 = p differs)")
        num, den = list(cf.num), list(cf.den)
        if conv.impossible == "uniform" and any(v == 0 for v in mdp.prior):
            # Uniform at a dead state can put mass on an action the prior excludes and
            # revive the state at the next step: no p q^k form there.
            for j in range(mdp.n_pairs):
                if den[j].is_zero:
                    num[j] = den[j] = None
        return ClosedForm(mdp, num, den, cf.fallback, K, domain)
    num, den = _state_ratios(mdp, soft_values(mdp).zq, mdp.prior, _policy_free(mdp))
    return ClosedForm(mdp, num, den, _fallback(mdp, conv.impossible), K,
                      "integers k >= 1, at states whose Zq does not depend on the policy; "
                      "no closed form elsewhere (stochastic dynamics)")


def _prior_sums_exactly_to_one(mdp):
    """Every state's prior sums to exactly 1: true of exact inputs (validated so), and of
    float inputs only when their binary values happen to (0.1 + 0.9 is 1 + 2**-55)."""
    if mdp.exact:
        return True
    return all(sum(mdp.prior[mdp.state_ptr[i]:mdp.state_ptr[i + 1]]) == 1
               for i in range(mdp.n_states) if not mdp.terminal[i])


# ------------------------------------------------------------------ identities in k

def _prime_powers(b, basis=None):
    """``{atom: exponent}`` with ``b = prod atom ** exponent``: the atoms of a rational are the
    elements of ``basis`` (pairwise coprime integers, :func:`~proofcheck.exact.constant_sign.coprime_base`;
    default: those of ``b`` alone), symbolic factors are atoms themselves.  No factorisation."""
    if b.is_Rational:
        basis = basis if basis is not None else coprime_base([int(b.p), int(b.q)])
        out = {}
        for n, sign in ((int(b.p), 1), (int(b.q), -1)):
            for atom in basis:
                while n % atom == 0:
                    n //= atom
                    out[sp.Integer(atom)] = out.get(sp.Integer(atom), 0) + sign
            if n != 1:
                raise UndecidedError(f"{b} is not a product over the coprime base")  # cannot happen
        return out, _ONE
    coeff, rest = b.as_coeff_Mul()
    out, _ = _prime_powers(coeff, basis) if coeff != 1 else ({}, None)
    for atom, e in rest.as_powers_dict().items():
        out[atom] = out.get(atom, 0) + e
    return out, _ONE


def lift_powers(expr, var):
    """Replace powers with ``var`` in the exponent by monomials in fresh symbols.

    ``b ** (m var + c)`` becomes ``b ** c * prod_p X_p ** (m e_p)`` where
    ``b = prod_p p ** e_p`` and ``X_p`` stands for ``p ** var``.  Raises UndecidedError
    for exponents not affine in ``var``.

    Examples
    --------
    >>> import sympy as sp
    >>> e = sp.Rational(3, 4) ** (K + 1) - sp.Rational(3, 4) * sp.Rational(3, 4) ** K
    >>> sp.cancel(lift_powers(e, K))
    0
    """
    cache = {}
    expr = sp.sympify(expr)
    rational_bases = [p.base for p in expr.atoms(sp.Pow) if p.exp.has(var)]
    rational_bases = [c for b in rational_bases for c in [b.as_coeff_Mul()[0]] if c.is_Rational]
    basis = coprime_base([n for c in rational_bases for n in (int(c.p), int(c.q))])

    def sym(atom):
        if atom not in cache:
            cache[atom] = sp.Dummy(f"X_{atom}", positive=True)
        return cache[atom]

    lifted = {}  # the closed forms share most sub-expressions: each is lifted once

    def walk(e):
        got = lifted.get(e)
        if got is None:
            got = lifted[e] = lift(e)
        return got

    def lift(e):
        if not e.has(var):
            return e
        if e.is_Pow:
            b, ex = e.args
            if not ex.has(var):
                # unevaluated (also sums and products below): SymPy's automatic evaluation asks
                # signs and pulls out contents, seconds on a tree; the caller cancels anyway
                return sp.Pow(walk(b), ex, evaluate=False)
            if b.has(var):
                raise UndecidedError(f"cannot lift {e}: the base depends on {var}")
            poly = sp.Poly(sp.expand(ex), var)
            if poly.degree() > 1:
                raise UndecidedError(f"cannot lift {e}: exponent not affine in {var}")
            m, c = poly.coeff_monomial(var), poly.coeff_monomial(1)
            powers, _ = _prime_powers(b, basis)
            out = b ** c
            for atom, e_p in powers.items():
                out *= sym(atom) ** (m * e_p)
            return out
        if isinstance(e, sp.exp):
            raise UndecidedError(f"cannot lift {e}")
        if e.is_Add or e.is_Mul:  # unevaluated, as the powers above
            return e.func(*[walk(a) for a in e.args], evaluate=False)
        return e.func(*[walk(a) for a in e.args])

    return walk(expr)


def _expsum_fraction(expr, var, budget):
    """``(N, D)``, two :class:`ExpSum` in ``var`` with ``expr = N(var) / D(var)``, for an
    expression built by ``+``, ``*``, integer powers and powers ``b ** (m var + c)`` of
    positive rational ``b``; None for any other form (symbolic bases, other functions).

    Only rational arithmetic: each product of terms is charged to ``budget`` by the bit
    lengths of the rationals it multiplies, so huge (float-derived) numbers are refused
    before they cost minutes.  Fractions with equal denominators add without a product.
    """

    def cost(a, b):
        bits = lambda s: largest_bits(x for kv in s.terms.items() for x in kv if x.is_Rational)
        budget.spend(len(a.terms) * len(b.terms) * int_op_cost(bits(a), bits(b)),
                     "the exact sums of exponentials of a closed-form identity")

    def mul(a, b):
        cost(a, b)
        return a * b

    def walk(e):
        if e.is_Rational:
            return ExpSum.constant(e), ExpSum.constant(_ONE)
        if not e.has(var):
            return None
        if e is var:
            return None
        if e.is_Add:
            n, d = None, None
            for a in e.args:
                part = walk(a)
                if part is None:
                    return None
                if n is None:
                    n, d = part
                elif part[1] == d:
                    n = n + part[0]
                else:
                    n, d = mul(n, part[1]) + mul(part[0], d), mul(d, part[1])
            return n, d
        if e.is_Mul:
            n, d = ExpSum.constant(_ONE), ExpSum.constant(_ONE)
            for a in e.args:
                part = walk(a)
                if part is None:
                    return None
                n, d = mul(n, part[0]), mul(d, part[1])
            return n, d
        if e.is_Pow:
            b, ex = e.args
            if ex.is_Integer:
                part = walk(b)
                if part is None:
                    return None
                n, d = part if ex > 0 else (part[1], part[0])
                out_n, out_d = ExpSum.constant(_ONE), ExpSum.constant(_ONE)
                for _ in range(abs(int(ex))):
                    out_n, out_d = mul(out_n, n), mul(out_d, d)
                return out_n, out_d
            if b.is_Rational and b > 0 and not b.has(var):
                linear = _integer_linear(ex, var)
                if linear is None:
                    return None
                m, c = linear
                bits = int(max(b.p.bit_length(), b.q.bit_length())) * (abs(int(m)) + abs(int(c)) + 1)
                budget.spend(int_op_cost(bits, bits), "a power of a huge rational in a closed-form identity")
                return ExpSum({b ** m: b ** c}), ExpSum.constant(_ONE)
            return None
        return None

    return walk(sp.sympify(expr))


@lru_cache(maxsize=1 << 10)
def _integer_linear(ex, var):
    """``(m, c)`` with ``ex = m var + c`` for integers ``m`` and ``c``, else None (cached: the
    identities of a model raise the same few exponents, and a Poly costs ~0.3 ms)."""
    try:
        poly = sp.Poly(sp.expand(ex), var)
    except sp.PolynomialError:
        return None
    if poly.degree() > 1 or poly.free_symbols - {var}:
        return None
    m, c = poly.coeff_monomial(var), poly.coeff_monomial(1)
    if not (m.is_Integer and c.is_Integer):
        return None
    return m, c


def is_identity(lhs, rhs, var, budget=None):
    """True when ``lhs - rhs`` vanishes identically in the integer ``var >= 1``.

    Forms in rational powers ``b ** (m var + c)`` are decided by exact sums of
    exponentials: ``lhs = N1/D1``, ``rhs = N2/D2`` and ``N1 D2 - N2 D1`` with equal bases
    merged is zero exactly when the identity holds (sums ``c_i b_i ** var`` over distinct
    bases vanish for all integers ``var`` only when every ``c_i`` is 0), so False is a
    refutation.  Other forms (parametric bases) are lifted and cancelled
    (:func:`lift_powers`); False then means the lifted rational function is not zero.
    The work is charged to ``budget`` (default a fresh
    :class:`~proofcheck.exact.budget.WorkBudget`): UndecidedError when it runs out.
    """
    budget = budget if budget is not None else WorkBudget()
    lhs, rhs = sp.sympify(lhs), sp.sympify(rhs)
    a, b = _expsum_fraction(lhs, var, budget), _expsum_fraction(rhs, var, budget)
    if a is not None and b is not None:
        n1, d1 = a
        n2, d2 = b
        if d1 == d2:
            return n1 == n2
        return (n1 * d2 + n2 * d1 * (-1)).is_zero
    d = lift_powers(lhs - rhs, var)
    size = largest_bits([d])
    budget.spend(sp.count_ops(d) * int_op_cost(size, size), "cancelling a lifted closed-form identity")
    fast = fast_cancel(d)  # python-flint; SymPy's cancel on the same form takes minutes
    if fast is not None:
        return fast == 0
    return sp.cancel(sp.together(d)) == 0


def prove_retraining_identity(mdp, conventions=None, budget=None):
    """Prove ``pi^G_k = pi^F_k = pi_{alpha=k}`` for all integers ``k >= 1`` (deterministic).

    Returns a dict of proof steps, each ``True`` (proved), ``False`` (refuted by the
    symbolic difference) or a string (undecided, with the reason):

    * ``"G base"``: the closed form at ``k = 1`` equals the engine's ``G(p)``;
    * ``"G step"``: the engine's ``G`` applied to the closed form at ``k`` equals the
      closed form at ``k + 1`` as an identity in ``k`` (induction);
    * ``"F step"``: one step of the non-cumulative fold (fold term per conventions)
      applied to the closed form at ``k`` gives the closed form at ``k + 1``;
    * ``"alpha"``: the engine's ``pi_alpha`` for symbolic ``alpha``, with ``alpha = k``
      substituted, equals the closed form identically.

    The identities share one :class:`~proofcheck.exact.budget.WorkBudget` (default a fresh
    one): a step that would exceed it is undecided with the budget's reason.

    Examples
    --------
    >>> from proofcheck.examples import mountain_race
    >>> prove_retraining_identity(mountain_race())
    {'G base': True, 'G step': True, 'F step': True, 'alpha': True}
    """
    conv = conventions or Conventions()
    budget = budget if budget is not None else WorkBudget()
    if not mdp.deterministic:
        raise ProofcheckError(f"model {mdp.name!r} has stochastic dynamics; the identity "
                              "pi^G_k = pi_alpha=k is only claimed for deterministic ones")
    cf = retraining_closed_form(mdp, conv)
    m = mdp
    pol_k = cf.symbolic_policy(K)
    ck = pol_k.values
    if any(v is None for v in ck):
        why = ("undecided: no closed form at dead states (impossible = 'uniform' with a prior "
               "that excludes actions)")
        return {"G base": why, "G step": why, "F step": why, "alpha": why}
    ck1 = _obj([sp.sympify(v).subs(K, K + 1) for v in ck])
    out = {}

    def compare_all(a_vals, b_vals, var):
        for a, b in zip(a_vals, b_vals):
            try:
                if not is_identity(a, b, var, budget):
                    return False
            except UndecidedError as exc:
                return f"undecided: {exc}"
        return True

    g1 = goal_condition(m, conventions=conv).values
    out["G base"] = all(cancel(cf.at(m.states[m.pair_state[j]], m.pair_action[j], 1) - g1[j]) == 0
                        for j in range(m.n_pairs))
    gk = goal_condition(m, pol_k, conventions=conv).values
    out["G step"] = compare_all(gk, ck1, K)
    prior = m.prior
    q0 = m.likelihood
    if conv.fold_term == "ratio":
        term = _obj([_ZERO if prior[j] == 0 else ck[j] / prior[j] for j in range(m.n_pairs)])
    else:
        term = ck
    fk = goal_condition(m, None, likelihood=_obj([q0[j] * term[j] for j in range(m.n_pairs)]),
                        conventions=conv).values
    out["F step"] = compare_all(fk, ck1, K)
    ta = tempered_policy(m, ALPHA, conventions=conv).values
    out["alpha"] = compare_all([sp.sympify(v).subs(ALPHA, K) for v in ta], ck, K)
    return out


def first_divergence(mdp, k_max=10, conventions=None):
    """The smallest ``k`` with ``pi^G_k != pi_{alpha=k}``, exactly, or None up to ``k_max``.

    ``pi^G_k`` comes from the step-by-step exact iteration, ``pi_{alpha=k}`` from the
    closed form :func:`tempered_closed_form` (an independent route).

    Returns
    -------
    dict
        ``{"k", "state", "action", "retrained", "tempered", "agree": [k, ...]}``, with
        ``k`` None when they agree for ``k = 1..k_max``.

    Examples
    --------
    >>> from proofcheck.examples import stochastic_counterexample
    >>> d = first_divergence(stochastic_counterexample())
    >>> d["k"], d["retrained"], d["tempered"], d["agree"]
    (2, 25/61, 7/17, [1])
    """
    conv = conventions or Conventions()
    seq = retrain(mdp, k_max, conventions=conv)
    cf = tempered_closed_form(mdp, conv)
    agree = []
    for k in range(1, k_max + 1):
        for j in range(mdp.n_pairs):
            s, a = mdp.states[mdp.pair_state[j]], mdp.pair_action[j]
            g, t = seq[k].values[j], cf.at(s, a, k)
            d = cancel(g - t) if (g - t).free_symbols else g - t
            if d != 0:
                if d.free_symbols:
                    raise UndecidedError(f"pi^G_{k} - pi_alpha={k} at ({s}, {a}) = {d} depends on the parameters")
                return {"k": k, "state": s, "action": a, "retrained": g, "tempered": t, "agree": agree}
        agree.append(k)
    return {"k": None, "state": None, "action": None, "retrained": None, "tempered": None,
            "agree": agree}


def cumulative_fold_temperature(h_indexing, fold_term="ratio"):
    """The inverse temperature ``alpha`` that ``pi^H_k`` equals (deterministic dynamics).

    Derivation: with the ratio fold term, the raw cumulative sequence has trajectory
    weights ``h_j ∝ p q^{a_j}`` with ``E_0 = 1``, ``a_{j+1} = E_j``, ``E_j = E_{j-1} + a_j``
    (``E_j``: exponent of ``q`` in the folded likelihood ``q_j``).  Solving the recurrence
    gives ``a_j = 2^(j-1)`` for ``j >= 1``; the indexing offset maps ``k`` to ``j``.

    Returns
    -------
    (sympy.Expr or None, str)
        ``alpha(k)`` and the range of ``k`` where it applies (None when the fold term
        is not ``ratio``: then the prior enters more than once and no temperature matches
        in general).

    Examples
    --------
    >>> cumulative_fold_temperature("zero-is-first-conditioned")
    (2**k, 'k >= 0')
    >>> cumulative_fold_temperature("one-is-first-conditioned")
    (2**(k - 1), 'k >= 1 (pi^H_0 = prior)')
    """
    if fold_term != "ratio":
        return None, "fold term 'posterior' folds p into the reward again: pi^H_k ∝ p^(m) q^(n) with m > 1"
    # E_j = E_{j-1} + a_j and a_j = E_{j-1}  =>  E_j = 2 E_{j-1}, E_0 = 1, so E_j = 2^j and
    # a_j = E_{j-1} = 2^(j-1) for j >= 1 (solved here by hand: sp.rsolve/simplify cost ~1 s
    # of imports on every run and the answer depends only on the indexing).
    off = H_INDEXINGS[h_indexing]
    alpha = sp.Integer(2) ** (K + off - 1)
    first = max(0, 1 - off)
    note = {1: "k >= 0", 0: "k >= 1 (pi^H_0 = prior)", -1: "k >= 2 (pi^H_1 = prior)"}[off]
    assert first >= 0
    return alpha, note


# ------------------------------------------------------------------ temperature delta

def boltzmann_closed_form(mdp, policy=None):
    """``pi^delta`` of ``policy`` (default the prior) as a :class:`ClosedForm` in ``x = 1/delta``.

    ``pi^delta(a|s) = Zq(s,a)^(1/delta) / sum_b Zq(s,b)^(1/delta)``; use
    ``cf.expr(s, a, 1/DELTA)``.

    Examples
    --------
    >>> from proofcheck.examples import mountain_race
    >>> cf = boltzmann_closed_form(mountain_race())
    >>> cf.expr("start", "up", 1 / DELTA)
    (2/3)**(1/delta)/((2/3)**(1/delta) + 1)
    """
    pol = policy or mdp.prior_policy()
    num, den = _state_ratios(mdp, soft_values(mdp, pol).zq, [_ONE] * mdp.n_pairs)
    return ClosedForm(mdp, num, den, pol.values, X, "delta > 0")


#: Work steps charged per node of a level's values before they are brought together
#: (``_tidy``).  Measured: a float-derived 7-state stochastic model's top level, 118,524
#: nodes, took 2.4 s (20 us a node); a budget's default steps are about a second of work.
TIDY_STEPS_PER_NODE = 40


def boltzmann_fixed_point(mdp, policy=None, conventions=None, max_pairs=60, budget=None):
    """The Boltzmann-coherent fixed point as exact expressions in symbolic ``delta``.

    The engine's Boltzmann map with ``delta`` a positive symbol, one height level at a time
    (:func:`proofcheck.engine.coherence.boltzmann_fixed_point_by_levels`: the values of
    ``T + 1`` iterates, as :func:`proofcheck.engine.coherence_fixed_point` computes them).

    ``budget`` (a :class:`~proofcheck.exact.budget.WorkBudget`), when given, is charged
    ``TIDY_STEPS_PER_NODE`` steps per node of each level's values before they are
    simplified: float-derived numbers make these forms grow by a factor of tens per level,
    and :class:`~proofcheck.errors.BudgetExceeded` stops the work before the level that
    would not fit.

    Examples
    --------
    >>> from proofcheck.examples import mountain_race
    >>> fp = boltzmann_fixed_point(mountain_race())
    >>> fp["start"]["up"]
    1/((3/4)**(1/delta) + 1)
    """
    conv = conventions or Conventions()
    if mdp.n_pairs > max_pairs:
        raise UndecidedError(f"{mdp.n_pairs} state-action pairs exceed the symbolic fixed-point "
                             f"limit {max_pairs}")
    levels = len(mdp.blocks) - 1
    done, sizes = [], []

    def tidy(values):
        done.append(len(values))
        if budget is not None:
            nodes = expression_nodes(*values)
            above = levels - len(done)
            try:
                budget.spend(TIDY_STEPS_PER_NODE * nodes, f"simplifying {nodes} expression nodes of the fixed "
                                                          f"point's closed form in delta, level {len(done)} of {levels}")
            except BudgetExceeded as exc:  # the levels above grow from this one: say so
                raise BudgetExceeded(f"{exc}" + (f" (this level; the {above} above it need more)" if above else "")) from None
        out = _obj([_tidy(v) for v in values])
        if budget is not None and len(done) < levels:
            _forecast_next_level(budget, sizes, expression_nodes(*out), len(done) + 1, levels)
        return out

    values = boltzmann_fixed_point_by_levels(mdp, policy or mdp.prior_policy(), DELTA, backend="exact",
                                             conventions=conv, each=tidy)
    return Policy(mdp, _obj(values))


def _forecast_next_level(budget, sizes, nodes, level, levels):
    """Refuse the next level of the fixed point when the forms' growth so far says it will not fit.

    A level's forms are built from the level below before they can be counted, and on a
    float-derived stochastic model that building is the expensive part (a 57-pair model: 9.3
    million nodes at level 3 of 4, 80 s of SymPy before the count).  ``sizes`` holds the
    simplified levels' node counts; the next level is forecast at the last one times their
    growth (at least 1) and refused, with that reason, when it exceeds the budget left."""
    sizes.append(nodes)
    growth = max(1.0, sizes[-1] / sizes[-2]) if len(sizes) > 1 and sizes[-2] else 1.0
    forecast = int(nodes * growth)
    if not budget.affords(TIDY_STEPS_PER_NODE * forecast):
        raise BudgetExceeded(budget.message(
            TIDY_STEPS_PER_NODE * forecast,
            f"about {forecast} expression nodes forecast for level {level} of {levels} of the fixed point's "
            f"closed form in delta, the growth x{growth:.3g} of the levels below"))


@lru_cache(maxsize=1 << 12)
def _tidy(v):
    """``v`` with its powers of ``delta`` combined (cached: the iterates repeat most values)."""
    v = sp.sympify(v)
    if not v.has(DELTA):
        return v
    return sp.powsimp(_together(v), force=False)


@lru_cache(maxsize=1 << 14)
def _together(expr):
    """``sympy.together(expr)`` (the same recursion, ``deep=False``), memoized per
    sub-expression: each level of the fixed point holds the levels below it, already
    brought together, and SymPy's recursion would redo them at every level above."""
    if expr.is_Atom or expr.is_Function:
        return expr
    if expr.is_Add:
        return gcd_terms([_together(a) for a in sp.Add.make_args(expr)], fraction=True)
    if expr.is_Pow:
        return expr.func(_together(expr.base), expr.exp)
    return expr.func(*[_together(a) for a in expr.args])
