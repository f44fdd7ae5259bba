"""Stationary soft values and goal conditioning on cyclic graphs (issue 3, item 5).

A cyclic graph (the schema of :mod:`proofcheck.model.mdp`, without a horizon) with
absorbing terminal states ("goals" with a leaf success probability, default 1), an
optional discount ``gamma`` (the episode continues with probability ``gamma`` after each
step and otherwise stops with success probability ``stop_value``, default 0).  For a
fixed stationary policy the exponentiated soft Bellman equations are linear::

    Zq(s, a) = q(s, a) * (gamma * sum_s' tau(s'|s, a) Zv(s') + (1 - gamma) * stop_value)
    Zv(s)    = sum_a pi(a|s) Zq(s, a)          Zv(terminal) = success(terminal)

i.e. ``(I - M) Zv = b`` over the non-terminal states, solved exactly (SymPy
``DomainMatrix`` over QQ or the field of rational functions of the parameters).  The
solution is unique iff ``I - M`` is nonsingular; otherwise :class:`NonUniqueError`
names the states of the singular part and the fix.  ``G(pi)(a|s) = pi(a|s) Zq / Zv``
as in the finite-horizon engine (``Zv = 0``: ``pi`` kept, the documented convention).

The finite-horizon engine is the independent check: :func:`unrolled_graph` makes the
discount explicit (a ``stop`` terminal state), and unrolling that graph to horizon ``T``
gives values that converge to the stationary ones as ``T`` grows.

Examples
--------
>>> import networkx as nx
>>> G = nx.MultiDiGraph(initial="s")
>>> _ = G.add_edge("s", "s", key="wait", prior="1/2", q="1/2")
>>> _ = G.add_edge("s", "goal", key="go", prior="1/2", q="1/2")
>>> m = stationary_model(G)
>>> sv = stationary_values(m)
>>> sv.zv["s"]      # Zv = 1/4 Zv + 1/4
1/3
>>> stationary_goal_condition(m)["s"]
{'wait': 1/4, 'go': 3/4}
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp
from sympy.polys.matrices import DomainMatrix

from proofcheck.errors import ModelError, NonUniqueError
from proofcheck.model.mdp import _parse_parameters, _to_expr

__all__ = ["StationaryModel", "StationaryValues", "NonUniqueError", "stationary_model",
           "stationary_values", "stationary_goal_condition", "stationary_retrain",
           "stationary_success", "bellman_residual", "unrolled_graph"]

_ONE, _ZERO = sp.Integer(1), sp.Integer(0)


@dataclass
class StationaryModel:
    """A cyclic MDP with absorbing terminal states and an optional discount."""

    states: tuple
    actions: dict            # s -> [a]
    outcomes: dict           # (s, a) -> [(s2, prob)]
    prior: dict              # (s, a) -> expr
    likelihood: dict         # (s, a) -> expr
    success: dict            # terminal s -> expr
    initial: dict            # s -> mass
    discount: object = _ONE
    stop_value: object = _ZERO
    parameters: dict = field(default_factory=dict)
    name: str = "stationary"

    @property
    def terminal(self):
        return [s for s in self.states if not self.actions.get(s)]

    @property
    def transient(self):
        return [s for s in self.states if self.actions.get(s)]

    def prior_policy(self):
        return {s: {a: self.prior[(s, a)] for a in self.actions[s]} for s in self.transient}


def stationary_model(graph, *, discount=None, stop_value=None):
    """Read a (possibly cyclic) graph as a :class:`StationaryModel`.

    ``discount`` and ``stop_value`` default to the graph attributes of the same names,
    then to 1 and 0.  Values follow the graph schema of :mod:`proofcheck.model.mdp`
    (``prob``, ``prior``, ``q`` or ``reward`` on edges; ``success`` on terminal states).
    """
    g = graph.graph
    params = _parse_parameters(g.get("parameters"), "graph attribute 'parameters'")
    symbols = {s.name: s for s in params}
    conv = lambda v, where: _to_expr(v, symbols, where)
    gamma = conv(discount if discount is not None else g.get("discount", 1), "discount")
    stop = conv(stop_value if stop_value is not None else g.get("stop_value", 0), "stop_value")
    if gamma.is_number and not (0 <= gamma <= 1):
        raise ModelError(f"discount {gamma} is outside [0, 1]; give the probability of continuing after a step")
    actions, outcomes, prior, q = {}, {}, {}, {}
    multi = graph.is_multigraph()
    edges = graph.edges(keys=True, data=True) if multi else (
        (u, v, d.get("action", v), d) for u, v, d in graph.edges(data=True))
    for u, v, a, d in edges:
        where = f"edge {u!r} -> {v!r} (action {a!r})"
        unknown = set(d) - {"prob", "prior", "q", "reward", "action"}
        if unknown:
            raise ModelError(f"{where}: unknown attribute(s) {sorted(unknown)}; allowed: prob, prior, q, reward")
        if "q" in d and "reward" in d:
            raise ModelError(f"{where}: give either q or reward, not both")
        key = (u, a)
        if key not in outcomes:
            actions.setdefault(u, []).append(a)
            outcomes[key] = []
        outcomes[key].append((v, conv(d.get("prob", 1), f"{where}: prob")))
        if "prior" in d:
            prior[key] = conv(d["prior"], f"{where}: prior")
        if "q" in d:
            q[key] = conv(d["q"], f"{where}: q")
        elif "reward" in d:
            q[key] = sp.exp(conv(d["reward"], f"{where}: reward"))
    default = g.get("default_prior")
    for s, acts in actions.items():
        for a in acts:
            if (s, a) not in prior:
                if default != "uniform":
                    raise ModelError(f"state {s!r}: no prior for action {a!r}; give prior on each action "
                                     "or set the graph attribute default_prior = 'uniform'")
                prior[(s, a)] = sp.Rational(1, len(acts))
            q.setdefault((s, a), _ONE)
    success = {s: conv(d.get("success", 1), f"state {s!r}: success")
               for s, d in graph.nodes(data=True) if not actions.get(s)}
    init = g.get("initial")
    if init is None:
        raise ModelError("a cyclic graph needs the graph attribute initial = <state or {state: prob}>")
    initial = ({s: conv(m, f"initial[{s!r}]") for s, m in init.items()} if isinstance(init, dict)
               else {init: _ONE})
    _check_numbers(actions, outcomes, prior, q, success, initial)
    states = tuple(graph.nodes)
    return StationaryModel(states, actions, outcomes, prior, q, success, initial, gamma, stop,
                           params, g.get("name", "stationary"))


def _check_numbers(actions, outcomes, prior, q, success, initial):
    """The checks ``from_graph`` makes, on the values that are numbers (a parametric value
    is checked where the model is solved: its conditions come out of the solve)."""
    def bad_sum(values):
        total = sp.Add(*values)
        return total.is_number and total != 1

    def outside(value):
        return value.is_number and not (0 <= value <= 1)

    for s, acts in actions.items():
        if bad_sum([prior[(s, a)] for a in acts]):
            raise ModelError(f"state {s!r}: priors sum to {sp.Add(*[prior[(s, a)] for a in acts])}, not 1; "
                             "give p(a|s) that sum to 1 over the state's actions")
        for a in acts:
            if bad_sum([p for _, p in outcomes[(s, a)]]):
                raise ModelError(f"state {s!r}, action {a!r}: outcome probabilities sum to "
                                 f"{sp.Add(*[p for _, p in outcomes[(s, a)]])}, not 1")
            for name, value in (("prior", prior[(s, a)]), ("q", q[(s, a)])):
                if outside(value):
                    raise ModelError(f"state {s!r}, action {a!r}: {name} = {value} is outside [0, 1]")
    for s, value in success.items():
        if outside(value):
            raise ModelError(f"state {s!r}: success = {value} is outside [0, 1]")
    if bad_sum(list(initial.values())):
        raise ModelError(f"initial masses sum to {sp.Add(*initial.values())}, not 1")


@dataclass
class StationaryValues:
    """Exact stationary ``Zv`` (per state) and ``Zq`` (per pair) of one policy."""

    zv: dict
    zq: dict
    matrix: object     # I - M over the transient states (SymPy Matrix)
    rhs: object        # b
    order: tuple       # transient states, the matrix's row order


def _domain(model):
    syms = tuple(model.parameters)
    return sp.QQ.frac_field(*syms) if syms else sp.QQ


def _system(model, policy):
    order = tuple(model.transient)
    idx = {s: i for i, s in enumerate(order)}
    n = len(order)
    A = [[_ZERO] * n for _ in range(n)]
    b = [_ZERO] * n
    g, stop = model.discount, model.stop_value
    for s in order:
        i = idx[s]
        A[i][i] += _ONE
        for a in model.actions[s]:
            w = policy[s].get(a, _ZERO) * model.likelihood[(s, a)]
            if w == 0:
                continue
            b[i] += w * (1 - g) * stop
            for s2, pr in model.outcomes[(s, a)]:
                if s2 in idx:
                    A[i][idx[s2]] -= w * g * pr
                else:
                    b[i] += w * g * pr * model.success[s2]
    return order, sp.Matrix(A), sp.Matrix(b)


def stationary_values(model, policy=None):
    """Solve the stationary soft Bellman system of ``policy`` (default: the prior) exactly.

    Raises
    ------
    NonUniqueError
        When ``I - M`` is singular (for a parametric model: identically singular); the
        message names the states involved and suggests a discount or stopping probability.
    """
    policy = policy or model.prior_policy()
    order, A, b = _system(model, policy)
    if not order:
        zv = dict(model.success)
        return StationaryValues(zv, {}, A, b, order)
    try:
        dom = _domain(model)
        dA = DomainMatrix.from_list_sympy(*A.shape, A.tolist()).convert_to(dom)
        db = DomainMatrix.from_list_sympy(*b.shape, b.tolist()).convert_to(dom)
    except Exception:  # non-rational entries (exp of a reward): SymPy's EX domain
        dA = DomainMatrix.from_Matrix(A).to_field()
        db = DomainMatrix.from_Matrix(b).convert_to(dA.domain)
    if dA.rank() < len(order):
        null = A.nullspace()
        states = sorted({str(order[i]) for v in null for i in range(len(order)) if v[i] != 0})
        raise NonUniqueError(
            f"the stationary soft Bellman system of this policy is singular (rank {dA.rank()} < "
            f"{len(order)}): the values of states {states} are not determined (a closed cycle with "
            "likelihood 1 and no exit); add a discount (graph attribute discount < 1), a stopping "
            "probability, or a likelihood < 1 on that cycle")
    sol = dA.lu_solve(db).to_Matrix()
    zv = dict(model.success)
    for i, s in enumerate(order):
        zv[s] = sp.cancel(sol[i]) if sol[i].is_rational_function() else sol[i]
    zq = {}
    g, stop = model.discount, model.stop_value
    for s in order:
        for a in model.actions[s]:
            cont = sum((pr * zv[s2] for s2, pr in model.outcomes[(s, a)]), _ZERO)
            val = model.likelihood[(s, a)] * (g * cont + (1 - g) * stop)
            zq[(s, a)] = sp.cancel(val) if val.is_rational_function() else val
    return StationaryValues(zv, zq, A, b, order)


def bellman_residual(model, policy, values):
    """The exact residuals ``(I - M) Zv - b``, and ``Zv(s) - sum_a pi Zq(s, a)`` (all zero
    for a solution)."""
    vec = sp.Matrix([values.zv[s] for s in values.order])
    res = [sp.cancel(r) for r in (values.matrix * vec - values.rhs)]
    res += [sp.cancel(values.zv[s] - sum((policy[s].get(a, _ZERO) * values.zq[(s, a)]
                                          for a in model.actions[s]), _ZERO)) for s in values.order]
    return res


def stationary_success(model, policy=None):
    """``S(pi) = sum_s mu(s) Zv(s)`` in the stationary model."""
    sv = stationary_values(model, policy)
    return sp.cancel(sum((m * sv.zv[s] for s, m in model.initial.items()), _ZERO))


def stationary_goal_condition(model, policy=None, *, impossible="keep"):
    """``G(pi)`` from the stationary ``Zq``/``Zv`` (``Zv = 0``: keep ``pi``, or ``"uniform"``)."""
    policy = policy or model.prior_policy()
    sv = stationary_values(model, policy)
    out = {}
    for s in model.transient:
        acts = model.actions[s]
        if sv.zv[s] == 0:
            out[s] = (dict(policy[s]) if impossible == "keep"
                      else {a: sp.Rational(1, len(acts)) for a in acts})
            continue
        out[s] = {a: sp.cancel(policy[s].get(a, _ZERO) * sv.zq[(s, a)] / sv.zv[s]) for a in acts}
    return out


def stationary_retrain(model, k, policy=None, *, impossible="keep"):
    """``[pi_0, ..., pi_k]`` with ``pi_{i+1} = G(pi_i)`` on the stationary model."""
    pol = policy or model.prior_policy()
    out = [pol]
    for _ in range(k):
        pol = stationary_goal_condition(model, pol, impossible=impossible)
        out.append(pol)
    return out


def unrolled_graph(graph, horizon, *, discount=None, stop_value=None):
    """The graph with the discount made explicit (a terminal ``"__stop__"`` state reached
    with probability ``1 - gamma`` after each step, success ``stop_value``) and the graph
    attribute ``horizon`` set: :func:`proofcheck.model.mdp.from_graph` unrolls it.

    States alive at the horizon become leaves with success 1 (the unroller's rule); their
    weight vanishes as the horizon grows whenever the stationary solution is unique.
    """
    import networkx as nx  # on first use: 0.2 s that `verify` of a parametric case never needs
    m = stationary_model(graph, discount=discount, stop_value=stop_value)
    G = nx.MultiDiGraph()
    G.graph.update({k: v for k, v in graph.graph.items() if k not in ("discount", "stop_value")})
    G.graph["horizon"] = horizon
    G.graph.setdefault("horizon_success", 1)  # the documented rule: cut states count as success
    for s in m.states:
        G.add_node(s)
        if s in m.success:
            G.nodes[s]["success"] = m.success[s]
    gamma = m.discount
    for (s, a), outs in m.outcomes.items():
        first = True
        for s2, pr in outs:
            attrs = {"prob": gamma * pr}
            if first:
                attrs.update(prior=m.prior[(s, a)], q=m.likelihood[(s, a)])
                first = False
            G.add_edge(s, s2, key=a, **attrs)
        if gamma != 1:
            G.add_edge(s, "__stop__", key=a, prob=1 - gamma)
    if gamma != 1:
        G.add_node("__stop__", success=m.stop_value)
    return G
