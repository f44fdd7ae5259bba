"""Case files: TOML documents that map one-to-one onto an MDP graph plus a run's settings.

Layout::

    [case]                      # name, title, description, source (all optional text)
    name = "mountain_race"

    [parameters]                # optional: symbols with ranges
    p = { min = "0", max = "1" }

    [conventions]               # optional: see proofcheck.model.conventions
    delta = "1"
    fold_term = "ratio"

    [mdp]                       # optional: initial (state or {state = prob}), horizon,
    initial = "start"           # horizon_success, default_prior = "uniform", tolerance,
                                # implicit_terminals, allow_unreachable (see below)

    [states.start.actions.up]   # one table per state-action pair = its outcome edges
    next = "mountain"           # or { s1 = "3/4", s2 = "1/4" } for stochastic outcomes
    prior = "1/2"
    q = "1"                     # or reward = "-1" (r <= 0, q = exp(r)); "-oo" means q = 0;
                                # default q = 1

    [states.gold]               # terminal states (no actions): declared with their
    success = "1"               # leaf success probability

    [expect]                    # named quantities with expected exact values
    "pi_G[1](up | start)" = "2/5"   # "oo" and "-oo" are accepted (e.g. J = -oo)

Numbers are strings parsed by the allow-listed grammar of
:func:`~proofcheck.model.expressions.parse_expression` (never ``eval``), or TOML integers,
or TOML floats (IEEE doubles, marked inexact).

Strictness: every slip is an error naming the file, the key, the value and the fix (with
a "did you mean" where a close name exists), never a silently different model:

* Every state is declared by a ``[states.NAME]`` table: states with actions by their
  action tables, terminal states by ``success``.  A ``next`` (or ``mdp.initial``) naming
  no declared state is an error.  ``[mdp] implicit_terminals = true`` opts out: undeclared
  next states become terminal states, and terminal tables without ``success`` get
  success 1 (the old behaviour).
* Every declared state must be reachable from the initial distribution;
  ``[mdp] allow_unreachable = true`` accepts unreachable states (with a warning).
* ``success`` belongs to terminal states (spec section 1), for acyclic and cyclic graphs
  alike; on a state with actions it is an error.
* A cyclic graph (``[mdp] horizon = T``) whose unrolling cuts states that still have
  actions needs ``[mdp] horizon_success``: ``"0"`` (a cut path fails), ``"1"`` (it counts
  as a success), another value, or a table ``{ state = value }`` naming every cut state.
  The choice is recorded as ``case.mdp.horizon_success``.  It is an error without
  ``horizon``.

Speed: loading is linear in the file.  The plain TOML that :func:`dump_case` writes is
read without tomllib (anything else, and every error, goes to tomllib); each distinct
number string is parsed once; a plain acyclic case is compiled straight into the model's
arrays, and its networkx graph (``case.graph``) is built when first read.  Other cases
take the general route through the graph.  Both routes make the same checks, in the same
order, with the same messages: the direct one hands a case to the general one whenever
something is unusual or wrong.
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import gc
import math
import os
import re
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import sympy as sp

from proofcheck._validation import did_you_mean, did_you_mean_path
from proofcheck.errors import CaseFileError, ConventionError, ModelError, ProofcheckError
from proofcheck.io.quantities import VERDICT_NAMES, parse_quantity
from proofcheck.model.conventions import Conventions, check_temperature
from proofcheck.model.expressions import MAX_EXP_ARGUMENT, binary_float, parse_expression, rational_of_float
from proofcheck.model.mdp import (
    HorizonSuccessError,
    _compile_mdp,
    _exact_binary_values,
    _parse_parameters,
    _safe_repr,
    _to_expr,
    from_graph,
)
from proofcheck.model.validation import _reachable
from proofcheck.model.validation import validate as _validate_model

__all__ = ["Case", "load_case", "loads_case", "case_to_graph", "find_case_files", "dump_case",
           "float_readings", "FLOAT_READINGS"]

MAX_BYTES = 5_000_000
#: Most states a cyclic graph may unroll to (horizon x declared states): every unrolled
#: state is exact work in every claim, and the numbers grow with each step.
MAX_UNROLLED_STATES = 2_000
_TOP = {"case", "parameters", "conventions", "mdp", "states", "expect"}
_CASE = {"name", "title", "description", "source"}
_MDP = {"initial", "horizon", "horizon_success", "default_prior", "tolerance", "implicit_terminals",
        "allow_unreachable"}
_STATE = {"actions", "success", "initial"}
_ACTION = {"next", "prior", "q", "reward"}


@dataclass
class Case:
    """A loaded case: the model, the conventions, the expectations and descriptive text."""

    name: str
    mdp: object
    conventions: Conventions
    expectations: list = field(default_factory=list)  # [(quantity_text, expected_expr)]
    title: str = ""
    description: str = ""
    source: str = ""
    path: str | None = None
    # the networkx graph; a loaded case builds it when first read (a default factory
    # leaves no class attribute, so that __getattr__ sees the attribute missing)
    graph: object = field(default_factory=lambda: None)

    def __getattr__(self, attr):  # only for attributes not set: the graph not yet built
        build = self.__dict__.get("_graph")
        if attr != "graph" or build is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {attr!r}")
        self.graph = build()
        del self.__dict__["_graph"]
        return self.graph


def _unknown(keys, allowed, where):
    extra = sorted(set(keys) - set(allowed))
    if extra:
        bad = extra[0]
        close = difflib.get_close_matches(str(bad), sorted(allowed), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise CaseFileError(
            f"{where}: unknown key {bad!r}{hint} Allowed keys: {', '.join(sorted(allowed))}"
        )


def _table(value, where, what="a table"):
    if not isinstance(value, dict):
        raise CaseFileError(f"{where}: expected {what}, got {type(value).__name__} {_short(value)}")
    return value


def _text(value, where):
    if not isinstance(value, str):
        raise CaseFileError(f"{where}: expected a string, got {type(value).__name__} {_short(value)}")
    if len(value) > 20_000:
        raise CaseFileError(f"{where}: text of {len(value)} characters is too long (limit 20000)")
    return value


def _short(value):
    return _safe_repr(value, 60)


def _k(key):
    """A key as it may appear in a one-line message (untrusted keys: quoted, clipped)."""
    key = str(key)
    return key if key.isprintable() and len(key) <= 60 else _short(key)


def _name(value, where):
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise CaseFileError(f"{where}: a state name must be a string, got {_short(value)}")
    value = str(value)
    if not value or len(value) > 200:
        raise CaseFileError(f"{where}: state name {_short(value)} must have 1 to 200 characters")
    if not value.isprintable():  # newlines etc. would break one-line messages and reports
        raise CaseFileError(f"{where}: state name {_short(value)} contains control characters; use printable text")
    return value


def _number(value, where, symbols=None):
    """Parse a value where it stands in the file, so errors name the file and the key."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise CaseFileError(
            f"{where}: expected a number or a string such as \"1/2\", got {type(value).__name__} {_short(value)}"
        )
    return parse_expression(value, symbols or {}, where=where)


def _setting(value, where):
    """A number where a setting is expected.  A TOML float there is read as the rational it
    was typed as (``rational_of_float``: 0.1 is 1/10), before the setting's bounds are checked
    on it; a SymPy Float would round every exact value computed with it.  (A parameter's range
    is read the same way by the model, ``from_graph``.)"""
    if isinstance(value, float) and math.isfinite(value):
        return rational_of_float(value)
    return _number(value, where)


def _check_names(quantity, mdp, where):
    """The state and action an expectation names exist in the model (did-you-mean if not)."""
    if quantity.state is None:
        return
    try:
        if quantity.action is not None:
            mdp.pair(quantity.state, quantity.action)
        else:
            mdp.check_state(quantity.state)
    except ModelError as exc:
        raise CaseFileError(f"{where}: {exc}") from None


def _check_reward(value, where):
    """A reward r gives q = exp(r): bound |r| like the argument of ``exp`` in expressions."""
    if value.free_symbols or not value.is_number:
        return
    try:
        too_big = not bool(abs(sp.N(value, 15)) <= MAX_EXP_ARGUMENT)
    except (TypeError, ValueError, ArithmeticError):
        too_big = True
    if too_big:
        raise CaseFileError(f"{where}: reward = {_short(value)} exceeds the limit of {MAX_EXP_ARGUMENT} in "
                            f"magnitude (q = exp(reward) is computed exactly); use |reward| <= "
                            f'{MAX_EXP_ARGUMENT}, or reward = "-oo" for q = 0')


def _flag(table, key, where):
    value = table.get(key, False)
    if not isinstance(value, bool):
        raise CaseFileError(f"{where}: mdp.{key} = {_short(value)} must be true or false, e.g. {key} = true")
    return value


def _special_number(value):
    """``oo``/``-oo`` as text (or TOML ``inf``/``-inf``) -> SymPy infinity, else None."""
    if isinstance(value, str):
        text = value.replace(" ", "")
        return {"oo": sp.oo, "+oo": sp.oo, "-oo": -sp.oo}.get(text)
    if isinstance(value, float) and value in (math.inf, -math.inf):
        return sp.oo if value > 0 else -sp.oo
    return None


def case_to_graph(doc, where="case"):
    """Build the networkx graph of a parsed case document (dict from TOML).

    Checks the structure strictly (see the module docstring): declared next states,
    reachability, ``success`` only on terminal states, ``horizon_success`` only with a
    horizon.
    """
    head = _read_head(doc, where)
    return _graph_of(head, _read_states(doc, where, head), where)


@dataclass
class _Head:
    """The case's graph attributes and settings, read from ``[mdp]`` and ``[parameters]``."""

    attrs: dict
    symbols: dict
    implicit: bool
    allow_unreachable: bool


def _read_head(doc, where):
    G_graph = {}
    symbols = {}
    mdp_t = _table(doc.get("mdp", {}), f"{where}: [mdp]")
    _unknown(mdp_t, _MDP, f"{where}: [mdp]")
    implicit = _flag(mdp_t, "implicit_terminals", where)
    allow_unreachable = _flag(mdp_t, "allow_unreachable", where)
    if "parameters" in doc:
        params = {}
        for pname, rng in _table(doc["parameters"], f"{where}: [parameters]").items():
            pw = f"{where}: parameters.{_k(pname)}"
            rng = _table(rng, pw, 'a table such as { min = "0", max = "1" }')
            _unknown(rng, {"min", "max"}, pw)
            if "min" not in rng or "max" not in rng:
                raise CaseFileError(f'{pw}: give both min and max, e.g. {_k(pname)} = {{ min = "0", max = "1" }}')
            params[pname] = (_number(rng["min"], f"{pw}.min"), _number(rng["max"], f"{pw}.max"))
        G_graph["parameters"] = params
        symbols = {s.name: s for s in _parse_parameters(params, f"{where}: [parameters]")}
    if "initial" in mdp_t:
        init = mdp_t["initial"]
        if isinstance(init, dict):
            G_graph["initial"] = {_name(k, f"{where}: mdp.initial"): _number(v, f"{where}: mdp.initial.{_k(k)}", symbols)
                                  for k, v in init.items()}
        else:
            G_graph["initial"] = _name(init, f"{where}: mdp.initial")
    if "horizon" in mdp_t:
        h = mdp_t["horizon"]
        if isinstance(h, bool) or not isinstance(h, int) or not 1 <= h <= 10_000:
            raise CaseFileError(f"{where}: mdp.horizon = {_short(h)} must be an integer from 1 to 10000")
        G_graph["horizon"] = h
    if "horizon_success" in mdp_t:
        hw = f"{where}: mdp.horizon_success"
        if "horizon" not in mdp_t:
            raise CaseFileError(f"{hw}: given without mdp.horizon; it is the success of the states a cyclic "
                                "graph is cut at when unrolled to the horizon: set horizon = T or remove it")
        hs = mdp_t["horizon_success"]
        G_graph["horizon_success"] = (
            {_name(k, hw): _number(v, f"{hw}.{_k(k)}", symbols) for k, v in hs.items()} if isinstance(hs, dict)
            else _number(hs, hw, symbols))
    if "default_prior" in mdp_t:
        if mdp_t["default_prior"] != "uniform":
            raise CaseFileError(f"{where}: mdp.default_prior = {_short(mdp_t['default_prior'])}; the only choice is \"uniform\"")
        G_graph["default_prior"] = "uniform"
    if "tolerance" in mdp_t:
        tol = mdp_t["tolerance"]
        if isinstance(tol, bool) or not isinstance(tol, (int, float)) or not 0 <= tol < 0.1:
            raise CaseFileError(f"{where}: mdp.tolerance = {_short(tol)} must be a number in [0, 0.1)")
        G_graph["tolerance"] = float(tol)
    return _Head(G_graph, symbols, implicit, allow_unreachable)


@dataclass
class _States:
    """The ``[states]`` tables, checked and parsed, in file order: ``rows`` holds
    ``(state, node attributes, [(next state, action, edge attributes)])`` per declared
    state (the first outcome edge of an action carries its prior, q and reward, as in
    the graph); ``declared`` maps each state to its key in the file, ``nexts`` is
    ``(state key, action key, outcome key or None, state, next state)`` per outcome."""

    rows: list
    declared: dict
    nexts: list
    plain: bool = True  # every name a str as read from TOML (not ints from a Python dict)


def _state_key(skey):
    return f"states.{_k(skey)}"


def _action_key(where, skey, akey):
    return f"{where}: states.{_k(skey)}.actions.{_k(akey)}"


def _next_key(where, skey, akey, tkey):
    return f"{where}: states.{_k(skey)}.actions.{_k(akey)}.next" + ("" if tkey is None else f".{_k(tkey)}")


def _read_states(doc, where, head):
    """Check and parse ``[states]`` (the errors of :func:`case_to_graph`, in its order).

    The location strings of the messages are only formatted when a message needs them:
    a tree of 32,767 states has 65,534 outcome keys."""
    symbols, implicit = head.symbols, head.implicit
    # each distinct string is parsed once: its expression does not depend on where it
    # stands (a tree of 32,767 states has a handful, such as "p" and "1 - p"); only an
    # error message does, and an error is raised where it first occurs, as before
    parsed = {}

    def number(v, sname, aname, suffix):
        if v.__class__ is str:
            out = parsed.get(v)
            if out is not None:
                return out
        at = f"{where}: states.{_k(sname)}" + ("" if aname is _NO_ACTION else f".actions.{_k(aname)}")
        out = _number(v, at + suffix, symbols)
        if v.__class__ is str:  # not ints and floats: cheap, and -0.0 == 0.0
            parsed[v] = out
        return out

    states = _table(doc.get("states", {}), f"{where}: [states]")
    if not states:
        raise CaseFileError(f"{where}: no [states.NAME] tables; describe at least one state with actions")
    declared = {}  # state -> its key (as in the file), in file order
    nexts = []
    rows = []
    plain = True
    one = sp.Integer(1)
    state_keys, action_keys = _STATE.issuperset, _ACTION.issuperset
    for sname, st in states.items():
        if sname.__class__ is str and 0 < len(sname) <= 200 and sname.isprintable():
            s = sname
        else:
            s = _name(sname, f"{where}: states.{_k(sname)}")
            plain = False
        if st.__class__ is not dict:
            _table(st, f"{where}: states.{_k(sname)}")
        if not state_keys(st):
            _unknown(st, _STATE, f"{where}: states.{_k(sname)}")
        declared[s] = sname
        acts = st.get("actions", _NO_ACTIONS)
        if acts.__class__ is not dict:
            _table(acts, f"{where}: states.{_k(sname)}.actions")
        nattrs = {}
        if "success" in st:
            if acts:
                raise CaseFileError(
                    f"{where}: states.{_k(sname)}.success: state {s!r} has actions ({', '.join(map(_k, acts))}) "
                    f"and success = {_short(st['success'])}; success belongs to terminal states (states without "
                    "actions), in acyclic and cyclic graphs alike: move it into q of the actions, or remove it "
                    "(cyclic graphs: its value when cut at the horizon goes into [mdp] horizon_success)")
            v = st["success"]
            nattrs["success"] = number(v, sname, _NO_ACTION, ".success")
        elif not acts and not implicit:
            raise CaseFileError(
                f"{where}: states.{_k(sname)}: terminal state {s!r} (no actions) has no success; give its leaf "
                f'success probability, e.g. success = "1", or its actions, or set [mdp] implicit_terminals = true '
                "for success 1")
        if "initial" in st:
            v = st["initial"]
            nattrs["initial"] = number(v, sname, _NO_ACTION, ".initial")
        edges = []
        for aname, act in acts.items():
            if aname.__class__ is not str:
                plain = False
            if act.__class__ is not dict:
                _table(act, _action_key(where, sname, aname))
            if not action_keys(act):
                _unknown(act, _ACTION, _action_key(where, sname, aname))
            if "next" not in act:
                raise CaseFileError(f'{_action_key(where, sname, aname)}: missing next; give the next state, '
                                    'e.g. next = "goal", or outcomes, e.g. next = { s1 = "3/4", s2 = "1/4" }')
            nxt = act["next"]
            if not isinstance(nxt, dict):
                if nxt.__class__ is str and 0 < len(nxt) <= 200 and nxt.isprintable():
                    t = nxt
                else:
                    t = _name(nxt, f"{_action_key(where, sname, aname)}.next")
                    plain = False
                outs = ((None, t, one),)
            else:
                aw = _action_key(where, sname, aname)
                outs = {_name(k, f"{aw}.next"): number(v, sname, aname, f".next.{_k(k)}")
                        for k, v in nxt.items()}
                if not outs:
                    raise CaseFileError(f"{aw}.next: empty outcome table; name at least one next state")
                outs = [(t, t, prob) for t, prob in outs.items()]
                plain = plain and all(k.__class__ is str for k in nxt)
            first = True
            key = str(aname)
            for tkey, t, prob in outs:
                nexts.append((sname, aname, tkey, s, t))
                attrs = {"prob": prob}
                if first:
                    if "prior" in act:
                        v = act["prior"]
                        x = parsed.get(v) if v.__class__ is str else None
                        attrs["prior"] = number(v, sname, aname, ".prior") if x is None else x
                    if "q" in act:
                        attrs["q"] = number(act["q"], sname, aname, ".q")
                    if "reward" in act:
                        v = act["reward"]
                        minus_oo = _special_number(v)
                        if minus_oo == -sp.oo:
                            attrs["reward"] = minus_oo
                        else:
                            attrs["reward"] = number(v, sname, aname, ".reward")
                            _check_reward(attrs["reward"], f"{_action_key(where, sname, aname)}.reward")
                    first = False
                edges.append((t, key, attrs))
        rows.append((s, nattrs, edges))
    return _States(rows, declared, nexts, plain)


_NO_ACTIONS = {}
_NO_ACTION = object()


def _graph_of(head, body, where):
    """The networkx graph of a read case, built as the loader always built it; then the
    structure checks (undeclared and unreachable states) and the unrolling limit."""
    import networkx as nx  # on first use: 0.2 s that `verify` of a parametric case never needs
    G = _build_graph(head, body)
    _check_structure(G, body, where, implicit=head.implicit, allow_unreachable=head.allow_unreachable)
    if "horizon" in G.graph and not nx.is_directed_acyclic_graph(G):
        T, n = G.graph["horizon"], G.number_of_nodes()
        if T * n > MAX_UNROLLED_STATES:
            raise ModelError(f"{where}: mdp.horizon = {T} unrolls the cyclic graph of {n} states to up to "
                             f"{T * n} states (and {T * G.number_of_edges()} edges), which exceeds the limit of "
                             f"{MAX_UNROLLED_STATES} unrolled states; use horizon <= {max(1, MAX_UNROLLED_STATES // n)}")
    return G


def _build_graph(head, body):
    import networkx as nx  # on first use: 0.2 s that `verify` of a parametric case never needs
    G = nx.MultiDiGraph()
    G.graph.update(head.attrs)
    for s, nattrs, edges in body.rows:
        G.add_node(s, **nattrs)
        for t, key, attrs in edges:
            G.add_edge(s, t, key=key, **attrs)
    return G


def _plain_head(head):
    """``(initial, parameters, symbols by name)`` of a case head that the direct builds
    take (no implicit states, no horizon, a string or no ``initial``, parameters that parse),
    or None: the general route then reads the case and reports what is wrong."""
    attrs = head.attrs
    if head.implicit or "horizon" in attrs or "horizon_success" in attrs:
        return None
    init = attrs.get("initial")
    if init is not None and init.__class__ is not str:
        return None
    try:
        params = _parse_parameters(attrs.get("parameters"), "graph attribute 'parameters'")
    except ModelError:
        return None
    return init, params, {s.name: s for s in params}


def _fast_model(head, body, name):
    """The MDP that :func:`from_graph` builds from :func:`case_to_graph`'s graph, built
    from the read tables directly (no networkx graph), or None when the case is not in
    the plain form this handles: acyclic, every next state declared, one initial state
    (``[mdp] initial`` or the only state without predecessors), every action with a
    prior, no reward, no zero probability, no two actions of a state reaching the same
    state, every state reachable (unless allowed).  None is never an error: the caller
    then takes the general route, which reports whatever is wrong in its own words.

    The model is not validated here (the caller validates it, as :func:`from_graph` does).
    """
    plain = _plain_head(head)
    if plain is None or not body.plain:
        return None
    init, params, symbols = plain
    declared = body.declared
    if init is not None and init not in declared:
        return None
    if len(declared) != len(body.rows):
        return None
    rows = sorted(body.rows)  # by the (distinct) state names, strings: from_graph's order of ties
    names = [row[0] for row in rows]
    index = {s: i for i, s in enumerate(names)}
    one, nil = sp.Integer(1), sp.Integer(0)
    state_ptr, pair_action, pair_ptr, edge_target = [0], [], [0], []
    edge_prob, prior, likelihood, success = [], [], [], []
    for _s, nattrs, edges in rows:
        if "initial" in nattrs:
            return None
        if not edges:
            success.append(nattrs["success"])
            state_ptr.append(len(pair_action))
            continue
        success.append(one)
        if len(edges) > 1 and len({e[0] for e in edges}) < len(edges):
            return None  # two edges to one state: the graph's edge order differs from the file's
        current = None
        for t, key, eattrs in edges:
            if key != current:  # the first outcome of an action: its pair
                if current is not None:
                    pair_ptr.append(len(edge_target))
                current = key
                if "prior" not in eattrs or "reward" in eattrs:
                    return None
                pair_action.append(key)
                prior.append(eattrs["prior"])
                likelihood.append(eattrs.get("q", one))
            i = index.get(t)
            if i is None:
                return None
            edge_target.append(i)
            edge_prob.append(eattrs["prob"])
        pair_ptr.append(len(edge_target))
        state_ptr.append(len(pair_action))
    try:
        for values in (edge_prob, prior, likelihood, success):  # from_graph's check, per distinct value
            for v in dict(zip(map(id, values), values)).values():
                if _to_expr(v, symbols, "value") is not v or (values is edge_prob and v == 0):
                    return None  # from_graph drops an outcome of probability 0
        if init is None:
            reached = np.zeros(len(names), dtype=bool)
            reached[edge_target] = True
            roots = np.flatnonzero(~reached)
            if len(roots) != 1:
                return None
            init = names[int(roots[0])]
        initial = [nil] * len(names)
        initial[index[init]] = one
        mdp = _compile_mdp(names=names, state_ptr=state_ptr, pair_action=pair_action, pair_ptr=pair_ptr,
                           edge_target=edge_target, edge_prob=edge_prob, prior=prior, likelihood=likelihood,
                           success=success, initial=initial, parameters=params, name=name or "mdp",
                           tolerance=head.attrs.get("tolerance", 1e-9))
    except ModelError:  # e.g. a cycle, or a value from_graph refuses: the general route says which
        return None
    if not head.allow_unreachable and not _reachable(mdp).all():
        return None
    return mdp


def _check_structure(G, body, where, *, implicit, allow_unreachable):
    """Undeclared next and initial states, and unreachable states: errors with a did-you-mean."""
    declared = body.declared
    if not implicit:
        for skey, akey, tkey, _s, t in body.nexts:
            if t not in declared:
                hint = did_you_mean(t, declared)
                match = next((d for d in declared if hint == f"; did you mean {d!r}?"), None)
                if match is not None and not any(True for _ in G.predecessors(match)):
                    hint = (f"; did you mean {match!r} (declared as [{_state_key(declared[match])}], "
                            "which no next reaches)?")
                raise CaseFileError(
                    f"{_next_key(where, skey, akey, tkey)}: {t!r} is not a declared state{hint}; fix the name, "
                    f'or declare it (a terminal state: [states.{_k(t)}] with success = "1"), or set [mdp] '
                    "implicit_terminals = true")
    known = set(G.nodes)
    hs = G.graph.get("horizon_success")
    for s in hs if isinstance(hs, dict) else ():
        if s not in known:
            raise CaseFileError(f"{where}: mdp.horizon_success.{_k(s)}: {s!r} is not a declared state"
                                f"{did_you_mean(s, known)}; name states that are cut at the horizon")
    init = G.graph.get("initial")
    node_init = [s for s, d in G.nodes(data=True) if "initial" in d]
    if init is not None:
        starts = list(init) if isinstance(init, dict) else [init]
        for s in starts:
            if s not in known:
                key = "mdp.initial" + (f".{_k(s)}" if isinstance(init, dict) else "")
                raise CaseFileError(f"{where}: {key}: {s!r} is not a declared state{did_you_mean(s, known)}; "
                                    "name a state that has a [states.NAME] table")
    elif node_init:
        starts = node_init
    else:
        roots = [s for s in G.nodes if G.in_degree(s) == 0]
        if len(roots) != 1:
            slip = ""
            for r in roots[1:]:
                hint = did_you_mean(r, [x for x in known if x != r])
                if hint:
                    slip = f" ({_state_key(declared[r]) if r in declared else repr(r)}: {r!r} is not reached{hint})"
                    break
            raise CaseFileError(
                f"{where}: mdp.initial is not set and {len(roots)} states have no predecessor "
                f"({', '.join(repr(r) for r in roots[:6])}{', ...' if len(roots) > 6 else ''}){slip}; "
                f'set [mdp] initial = "{_k(roots[0]) if roots else "NAME"}" or fix the state names')
        starts = roots
    seen = set(starts)
    stack = list(starts)
    while stack:
        for t in G.successors(stack.pop()):
            if t not in seen:
                seen.add(t)
                stack.append(t)
    if not allow_unreachable:
        for s in declared:
            if s not in seen:
                hint = did_you_mean(s, [x for x in seen if x != s] or [x for x in known if x != s])
                raise CaseFileError(
                    f"{where}: {_state_key(declared[s])}: state {s!r} is unreachable from the initial state(s){hint}; "
                    "fix the name in the [states.NAME] header or in the next that should lead to it, remove "
                    "the state, or set [mdp] allow_unreachable = true")


def _parse_conventions(raw, where):
    raw = dict(_table(raw, f"{where}: [conventions]"))
    _unknown(raw, Conventions.field_names(), f"{where}: [conventions]")
    if "delta" in raw:
        typed = raw["delta"]
        raw["delta"] = _setting(typed, f"{where}: conventions.delta")
        try:
            check_temperature(raw["delta"], shown=repr(typed) if isinstance(typed, float) else None)
        except ConventionError as exc:
            raise CaseFileError(f"{where}: {exc}") from None
    if "objectives" in raw:
        obj = raw["objectives"]
        raw["objectives"] = tuple(obj) if isinstance(obj, list) else obj
    try:
        return Conventions(**raw)
    except ConventionError as exc:
        raise CaseFileError(f"{where}: {exc}") from None
    except TypeError as exc:
        raise CaseFileError(f"{where}: [conventions]: {exc}") from None


# ---------------------------------------------------------------------------- TOML

# The plain subset of TOML that dump_case writes (and most hand-written case files use):
# [a.b.c] headers of bare keys; key = "text" / true / false / integer / flat inline table /
# one-line array lines (bare or quoted keys); blank lines and comments; LF or CRLF.  :func:`_fast_toml` returns
# exactly what tomllib returns for such a document, or None as soon as anything is
# outside the subset or could be an error (a repeated key or table, a header through a
# value or an inline table, an escape, a control character, ...): the document is then
# read by tomllib, which decides and words any error.  tomllib is pure Python: 2.5 s
# for the 2.3 MB of a depth-14 tree, three times Storm's whole build and check.
_T_ODD = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\\]")  # escapes, \r, control characters (tab is fine)
_T_STR = r'("[^"\t\n]*")'  # a basic string (escapes and control characters are excluded above)
_T_KEY = r"(?:([A-Za-z0-9_-]+)|" + _T_STR + ")"
_T_SCALAR = r"(?:" + _T_STR + r"|(true|false)|([+-]?(?:0|[1-9][0-9]{0,17})))"
_T_PAIR = _T_KEY + r"[ \t]*=[ \t]*" + _T_SCALAR
_T_PAIR_NC = re.sub(r"\((?!\?)", "(?:", _T_PAIR)  # the same without groups
_T_SCALAR_NC = re.sub(r"\((?!\?)", "(?:", _T_SCALAR)
_T_LINE = re.compile(
    r"[ \t]*(?:" + _T_KEY + r"[ \t]*=[ \t]*(?:" + _T_SCALAR
    + r"|(\{[ \t]*(?:" + _T_PAIR_NC + r"(?:[ \t]*,[ \t]*" + _T_PAIR_NC + r")*)?[ \t]*\})"
    + r"|(\[[ \t]*(?:" + _T_SCALAR_NC + r"(?:[ \t]*,[ \t]*" + _T_SCALAR_NC + r")*[ \t]*,?)?[ \t]*\]))"
    + r"|\[([A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*)\])?[ \t]*(?:#[^\n]*)?")
_T_PAIRS = re.compile(_T_PAIR)
_T_SCALARS = re.compile(_T_SCALAR)
# the layout dump_case writes: a header, up to four key = "text" lines, blank lines
_T_KV = r'(?:([A-Za-z0-9_-]+) = "([^"\t\n]*)"\n)?'
_T_BLOCK_TEXT = r"\[([A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*)\]\n" + _T_KV * 4 + r"\n*"
_T_BLOCK = re.compile(_T_BLOCK_TEXT)
_T_BOOL = {"true": True, "false": False}


def _t_value(s, b, i):
    return s[1:-1] if s else _T_BOOL[b] if b else int(i)


class _TomlSubset:
    """The state of :func:`_fast_toml`: the document, the current table, the tables
    declared by headers and the inline tables (closed to headers)."""

    def __init__(self):
        self.root = self.cur = {}
        self.explicit, self.tables, self.frozen = set(), {}, set()

    def table(self, path):
        """The table at a dotted path of bare keys, made (with its parents) if missing;
        None where a value or an inline table is in the way.  The parent is remembered
        too (the next header usually shares it)."""
        prefix, dot, last = path.rpartition(".")
        parent = self.tables.get(prefix) if dot else self.root
        if parent is None:
            parent = self.root
            for k in prefix.split("."):
                node = parent.get(k)
                if node is None:
                    node = parent[k] = {}
                elif type(node) is not dict or id(node) in self.frozen:
                    return None
                parent = node
            self.tables[prefix] = parent
        node = parent.get(last)
        if node is None:
            node = parent[last] = {}
        elif type(node) is not dict or id(node) in self.frozen:
            return None
        self.tables[path] = node
        return node

    def header(self, path):
        if path in self.explicit:
            return False
        self.explicit.add(path)
        cur = self.tables.get(path)
        if cur is None:
            cur = self.table(path)
            if cur is None:
                return False
        self.cur = cur
        return True

    def blocks(self, text, pos):
        """Tables in dump_case's layout from ``pos`` on: the position after them, or -1."""
        match = _T_BLOCK.match
        m = match(text, pos)
        while m is not None:
            groups = m.groups()
            if not self.header(groups[0]):
                return -1
            cur = self.cur
            for k, v in zip(groups[1::2], groups[2::2]):
                if not k:  # the optional pairs fill from the first on
                    break
                if k in cur:
                    return -1
                cur[k] = v
            pos = m.end()
            m = match(text, pos)
        return pos

    def line(self, line):
        m = _T_LINE.fullmatch(line)
        if m is None:
            return False
        key, qkey, s, b, i, inline, array, header = m.groups()
        if header:
            return self.header(header)
        if not key and not qkey:
            return True  # a blank line or a comment
        k = key or qkey[1:-1]
        if k in self.cur:
            return False
        if array:  # a one-line array of plain values
            self.cur[k] = [_t_value(*x) for x in _T_SCALARS.findall(array)]
            return True
        if not inline:
            self.cur[k] = _t_value(s, b, i)
            return True
        table = {}
        for pkey, pq, ps, pb, pi in _T_PAIRS.findall(inline):
            pk = pkey or pq[1:-1]
            if pk in table:
                return False
            table[pk] = _t_value(ps, pb, pi)
        self.frozen.add(id(table))
        self.cur[k] = table
        return True


def _fast_toml(text):
    """``tomllib.loads(text)`` for the plain subset described above, else None."""
    if "\r" in text:  # CRLF line ends (the subset has no CR inside a line)
        text = text.replace("\r\n", "\n")
    if _T_ODD.search(text):
        return None
    doc = _TomlSubset()
    pos, n = 0, len(text)
    while pos < n:
        if text[pos] == "[":
            pos = doc.blocks(text, pos)
            if pos < 0:
                return None
            if pos >= n:
                break
        end = text.find("\n", pos)
        if end < 0:
            end = n
        if not doc.line(text[pos:end]):
            return None
        pos = end + 1
    return doc.root


@contextlib.contextmanager
def _gc_paused():
    """No cyclic garbage collection inside (the structures read are trees: reference
    counting frees them; the collector's passes over 10^5 young containers were a third
    of the loading time of a depth-14 tree)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _read_toml(text, where):
    doc = _fast_toml(text)
    if doc is not None:
        return doc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CaseFileError(f"{where}: not valid TOML: {exc}; check quoting and brackets there") from None
    except RecursionError:
        raise CaseFileError(f"{where}: nesting too deep to read; flatten the TOML") from None
    except ValueError as exc:  # e.g. an integer literal above Python's 4300-digit limit
        raise CaseFileError(f"{where}: not valid TOML: {str(exc).split(';')[0]}; use shorter numbers") from None


# ---------------------------------------------------------------------------- direct route

# The [states] tables exactly as dump_case writes them: one regular expression over the
# whole run of tables (no per-line Python), the tables kept as tuples of strings.
_D_VAL = r'"([^"\\\x00-\x1f\x7f]+)"'  # no escape, no control character, not empty
_D_ACTION = (r"\[states\.([A-Za-z0-9_-]{1,200})\.actions\.([A-Za-z0-9_-]+)\]\n"
             r'next = "([^"\\\x00-\x1f\x7f]{1,200})"\nprior = ' + _D_VAL + r"\n(?:q = " + _D_VAL + r"\n)?\n*")
_D_LEAF = r"\[states\.([A-Za-z0-9_-]{1,200})\]\nsuccess = " + _D_VAL + r"\n\n*"
_D_NC = functools.partial(re.sub, r"\((?!\?)", "(?:")  # the same without groups
_D_RUN = re.compile("(?:" + _D_NC(_D_ACTION) + "|" + _D_NC(_D_LEAF) + ")*")
_D_ACTIONS = re.compile(_D_ACTION)
_D_LEAVES = re.compile(_D_LEAF)


def _direct_split(text):
    """``(doc, actions, leaves)``, or None: the document without ``states`` (read by
    :func:`_fast_toml`), and the ``[states]`` tables, when they are one run of tables in
    dump_case's layout (``actions``: ``(state, action, next, prior, q or "")`` per
    action table, ``leaves``: ``(state, success)`` per terminal table, in file order).

    Not None only when the whole text is a TOML document that tomllib reads as ``doc``
    plus these tables: the text around the run is a document of the plain subset without
    ``states`` that resumes with a header, and no table is declared twice.  Everything
    else (and every error) is left to :func:`_read_toml` on the whole text."""
    if "\r" in text:
        return None
    start = text.find("\n[states.") + 1
    if start == 0:
        return None
    end = _D_RUN.match(text, start).end()
    if end == start or (end < len(text) and text[end] != "["):
        return None  # a table outside the layout: its keys could belong to the run
    actions = _D_ACTIONS.findall(text, start, end)
    leaves = _D_LEAVES.findall(text, start, end)
    if len(actions) + len(leaves) != text.count("\n[", start, end) + 1:
        return None  # (cannot happen: the run is made of these tables)
    doc = _fast_toml(text[:start] + text[end:])
    if doc is None or "states" in doc:
        return None
    if len({(a[0], a[1]) for a in actions}) != len(actions) or len({x[0] for x in leaves}) != len(leaves):
        return None  # a table declared twice: tomllib's error
    return doc, actions, leaves


def _direct_model(head, actions, leaves, name):
    """:func:`_fast_model` of the ``[states]`` tables that :func:`_direct_split` read, built
    from the strings directly (each distinct number string parsed once), or None where
    :func:`_read_states` or :func:`_fast_model` could object or decline: the caller then
    reads the whole text the general way, which reports whatever is wrong in its words."""
    plain = _plain_head(head)
    if plain is None or not actions:
        return None
    init, params, symbols = plain
    sa, aa, ta, pa, qa = zip(*actions)
    sb, vb = zip(*leaves) if leaves else ((), ())
    acting = set(sa)
    if not acting.isdisjoint(sb):
        return None  # success on a state with actions: an error
    if len(set(zip(sa, ta))) != len(actions) or not "".join(ta).isprintable():
        return None  # two actions of a state reach one state; a next that is no name
    names = sorted(acting.union(sb))  # _fast_model's order: by name
    n, m = len(names), len(actions)
    index = {s: i for i, s in enumerate(names)}
    if init is not None and init not in index:
        return None
    targets = list(map(index.get, ta))
    if None in targets:
        return None  # a next naming no declared state
    one, nil = sp.Integer(1), sp.Integer(0)
    parsed = {}
    try:  # each distinct string once, as _read_states parses it (errors: the general route)
        for v in dict.fromkeys(pa + qa + vb):
            if v:
                parsed[v] = _number(v, "", head.symbols)
        for v in dict.fromkeys(parsed.values()):  # _fast_model's check, per distinct value
            if _to_expr(v, symbols, "value") is not v:
                return None
    except ProofcheckError:
        return None
    state_of = np.fromiter(map(index.__getitem__, sa), dtype=np.int64, count=m)
    order = np.argsort(state_of, kind="stable")  # actions grouped by state, in file order
    counts = np.bincount(state_of, minlength=n)
    state_ptr = np.concatenate([[0], np.cumsum(counts)])
    edge_target = np.asarray(targets, dtype=np.int64)[order]
    if init is None:
        reached = np.zeros(n, dtype=bool)
        reached[edge_target] = True
        roots = np.flatnonzero(~reached)
        if len(roots) != 1:
            return None
        init = names[int(roots[0])]
    get = parsed.get
    prior = _obj_array(map(get, pa), m)[order]
    likelihood = _obj_array((get(q, one) for q in qa), m)[order]
    success = np.full(n, one, dtype=object)
    if leaves:
        success[np.fromiter(map(index.__getitem__, sb), dtype=np.int64, count=len(sb))] = _obj_array(map(get, vb), len(vb))
    initial = np.full(n, nil, dtype=object)
    initial[index[init]] = one
    try:
        mdp = _compile_mdp(names=names, state_ptr=state_ptr, pair_action=[aa[j] for j in order.tolist()],
                           pair_ptr=np.arange(m + 1, dtype=np.int64), edge_target=edge_target,
                           edge_prob=np.full(m, one, dtype=object), prior=prior, likelihood=likelihood,
                           success=success, initial=initial, parameters=params, name=name or "mdp",
                           tolerance=head.attrs.get("tolerance", 1e-9))
    except ModelError:
        return None
    if not head.allow_unreachable and not _reachable(mdp).all():
        return None
    return mdp


def _obj_array(values, n):
    return np.fromiter(values, dtype=object, count=n)


def loads_case(text, where="<string>", *, claims=None):
    """Load a case from TOML text. See :func:`load_case`."""
    if len(text) > MAX_BYTES:
        raise CaseFileError(f"{where}: {len(text)} characters exceed the limit of {MAX_BYTES}")
    with _gc_paused():  # the reading allocates ~10^5 acyclic containers per 10^4 states
        direct = _direct_split(text)  # dump_case's [states] tables, read in one pass
        doc = _read_toml(text, where) if direct is None else direct[0]
        _unknown(doc, _TOP, where)
        meta = _table(doc.get("case", {}), f"{where}: [case]")
        _unknown(meta, _CASE, f"{where}: [case]")
        for k in _CASE:
            if k in meta:
                _text(meta[k], f"{where}: case.{k}")
        default_name = Path(where).stem if where != "<string>" else "case"
        name = meta.get("name", default_name)
        conventions = _parse_conventions(doc.get("conventions", {}), where)
        head = _read_head(doc, where)
        mdp = None if direct is None else _direct_model(head, direct[1], direct[2], name)
        if mdp is None:
            if direct is not None:  # the general route, on the whole document
                direct = None
                doc = _read_toml(text, where)
            body = _read_states(doc, where, head)
            mdp = _fast_model(head, body, name)
            G = None if mdp is not None else _graph_of(head, body, where)
        else:
            G, body = None, None
        expect = doc.get("expect", {})
        del doc, body  # (~10^5 containers per 10^4 states: freed before the validation)
    if G is None:  # the plain case: validated as from_graph validates
        try:
            _validate_model(mdp)
        except ModelError as exc:
            raise ModelError(f"{where}: {exc}") from None
        _exact_binary_values(mdp)
    else:
        G.graph["name"] = name
    try:
        mdp = mdp if G is None else from_graph(G, strict_horizon=True)
    except HorizonSuccessError as exc:
        raise CaseFileError(
            f"{where}: mdp.horizon = {exc.horizon} cuts state(s) {', '.join(repr(str(c)) for c in exc.cut[:6])}"
            f"{', ...' if len(exc.cut) > 6 else ''} while they still have actions, and mdp.horizon_success is "
            f'not set; choose their success: horizon_success = "0" (a cut path fails), "1" (it counts as a '
            f'success), or per state, e.g. horizon_success = {{ {_toml_key(exc.cut[0])} = "0" }}') from None
    except ModelError as exc:
        raise ModelError(f"{where}: {exc}") from None
    symbols = {s.name: s for s in mdp.parameters}
    expectations = []
    for qtext, value in _table(expect, f"{where}: [expect]").items():
        ew = f"{where}: expect.{qtext!r}"
        quantity = parse_quantity(qtext, where=ew, claims=claims)
        if quantity.kind == "verdict":  # expected: a verdict name, not an expression
            if value not in VERDICT_NAMES:
                raise CaseFileError(f"{ew}: expected one of {', '.join(VERDICT_NAMES)}, got {_short(value)}"
                                    f"{did_you_mean(value, VERDICT_NAMES)}")
            expectations.append((quantity, value))
            continue
        _check_names(quantity, mdp, ew)  # now, with the place: verify would fail on them without it
        expected = _special_number(value)  # oo / -oo, e.g. J(pi) = -oo
        if expected is None:
            expected = _number(value, ew, symbols)
        expectations.append((quantity, expected))
    case = Case(name=name, mdp=mdp, conventions=conventions, expectations=expectations,
                title=meta.get("title", name), description=meta.get("description", ""),
                source=meta.get("source", ""), path=None if where == "<string>" else where, graph=G)
    if G is None:  # built when first asked for, from the text (which holds no containers
        del case.graph  # for the garbage collector to walk): the model did not need it
        case._graph = functools.partial(_graph_of_text, text, where, name)
    return case


def _graph_of_text(text, where, name):
    """The graph of a case text that loaded (so no error can occur here)."""
    with _gc_paused():
        doc = _read_toml(text, where)
        head = _read_head(doc, where)
        G = _build_graph(head, _read_states(doc, where, head))
    G.graph["name"] = name
    return G


def load_case(path, *, claims=None):
    """Load and validate a case file.

    ``claims`` (claim id -> whether it depends on the objective) checks the claims named in
    ``verdict(...)`` expectations; :func:`proofcheck.load_case` passes the registered ones.

    Raises
    ------
    CaseFileError, ModelError
        Naming the file, the key and the fix.

    Examples
    --------
    >>> case = load_case("cases/mountain_race.toml")
    >>> case.mdp
    <MDP 'mountain_race': 7 states, 6 state-action pairs, horizon 2, deterministic>
    """
    path = os.fspath(path)
    raw = _read_bounded(path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CaseFileError(f"{path}: not UTF-8 text (byte {exc.start}); save the file as UTF-8") from None
    return loads_case(text, where=path, claims=claims)


def _read_bounded(path):
    """The bytes of a regular file of at most MAX_BYTES bytes.  Devices (``/dev/zero``),
    FIFOs and sockets are refused before reading (they may never end, or block); the size
    is checked again while reading (a file that grows)."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise CaseFileError(f"{path}: cannot read the file ({exc.strerror}); check the path") from None
    if not stat.S_ISREG(st.st_mode):
        kind = ("a folder" if stat.S_ISDIR(st.st_mode) else "a FIFO (named pipe)" if stat.S_ISFIFO(st.st_mode)
                else "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)
                else "a socket" if stat.S_ISSOCK(st.st_mode) else "not a regular file")
        raise CaseFileError(f"{path}: is {kind}, not a regular file; give a case file (*.toml)")
    if st.st_size > MAX_BYTES:
        raise CaseFileError(f"{path}: {st.st_size} bytes exceed the limit of {MAX_BYTES}")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):  # replaced since the stat above
                raise CaseFileError(f"{path}: not a regular file; give a case file (*.toml)")
            raw = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise CaseFileError(f"{path}: cannot read the file ({exc.strerror}); check the path") from None
    if raw is None or len(raw) > MAX_BYTES:
        raise CaseFileError(f"{path}: more than {MAX_BYTES} bytes, the limit of a case file")
    return raw


def _simplest_rational(x):
    """The rational with the smallest denominator that rounds to the double ``x``
    (``0.6666666666666666`` -> ``2/3``), found by a bounded search (<= 60 steps)."""
    from fractions import Fraction
    exact = Fraction(x)
    limit = 1
    for _ in range(60):
        f = exact.limit_denominator(limit)
        if float(f) == x:
            return sp.Rational(f.numerator, f.denominator)
        limit *= 4
    return sp.Rational(exact.numerator, exact.denominator)


def _exact_reading(value, how):
    if not isinstance(value, sp.Basic) or not value.atoms(sp.Float):
        return value
    repl = {}
    for f in value.atoms(sp.Float):
        x = float(f)
        repl[f] = _simplest_rational(x) if how == "simplest" else sp.Rational(x)
    return value.xreplace(repl)


#: The exact readings :func:`float_readings` gives of float inputs.
FLOAT_READINGS = {"simplest": "each float read as the simplest fraction that rounds to it "
                              "(0.6666666666666666 as 2/3)",
                  "binary": "each float read as the exact binary number it stores"}


def float_readings(case):
    """Exact models of a case whose inputs are floats: ``{reading: MDP}`` for the readings
    of :data:`FLOAT_READINGS`; ``{}`` when the case has no float input (or no graph).

    A verdict on an inexact model is honest only when it does not depend on which number
    within the inputs' rounding is meant: a verdict that differs between these readings
    depends on an exact tie or on a difference below the rounding, and should be
    undecided with that reason (``proofcheck verify`` does that).
    """
    if getattr(case.mdp, "exact", True):  # before the graph is built (networkx, 0.2 s to import)
        return {}
    G = case.graph
    if G is None:
        return {}
    out = {}
    for how in FLOAT_READINGS:
        H = G.copy()
        for key in ("initial", "horizon_success"):
            v = H.graph.get(key)
            H.graph[key] = ({k: _exact_reading(x, how) for k, x in v.items()} if isinstance(v, dict)
                            else _exact_reading(v, how))
            if v is None:
                H.graph.pop(key)
        for _n, d in H.nodes(data=True):
            for k in list(d):
                d[k] = _exact_reading(d[k], how)
        for _u, _v, d in H.edges(data=True):
            for k in list(d):
                d[k] = _exact_reading(d[k], how)
        try:
            out[how] = from_graph(H, strict_horizon=True)
        except (ProofcheckError, ValueError):
            continue  # e.g. probabilities that sum to 1 only within the tolerance
    return out


def find_case_files(paths):
    """Expand files and folders into case file paths.

    A folder contributes the ``*.toml`` files directly inside it, sorted; subfolders are
    not searched, so ``cases/`` is the bundled cases and ``cases/found/`` (fuzzer output)
    is verified only when named.
    """
    out = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            out.extend(sorted(x for x in p.glob("*.toml") if x.is_file()))
        elif p.exists():
            out.append(p)
        else:
            raise CaseFileError(f"{p}: no such file or folder{did_you_mean_path(p)}; give case files (*.toml) "
                                "or folders of them")
    if not out:
        raise CaseFileError(f"no case files (*.toml) found in {', '.join(map(str, paths))}")
    return [str(x) for x in out]


def _toml_str(value):
    s = str(value)
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _toml_float_or_str(value):
    """A Python float as a TOML float (its repr, which reads back as the same double), else a string."""
    return repr(value) if isinstance(value, float) else _toml_str(value)


def _toml_key(key):
    key = str(key)
    return key if key.replace("_", "").replace("-", "").isalnum() and key.isascii() else _toml_str(key)


def dump_case(mdp, *, conventions=None, expectations=(), title="", description="", source=""):
    """Write an MDP (and optionally settings) as case-file TOML text; :func:`loads_case` reads it back.

    Examples
    --------
    >>> from proofcheck.examples import stochastic_counterexample
    >>> text = dump_case(stochastic_counterexample())
    >>> loads_case(text).mdp.outcomes("start", "a1")
    [('s1', 3/4), ('s2', 1/4)]
    """
    lines = ["[case]", f"name = {_toml_str(mdp.name)}"]
    for k, v in (("title", title), ("description", description), ("source", source)):
        if v:
            lines.append(f"{k} = {_toml_str(v)}")
    if mdp.parameters:
        lines += ["", "[parameters]"]
        for s, (lo, hi) in mdp.parameters.items():
            lines.append(f"{s.name} = {{ min = {_toml_str(lo)}, max = {_toml_str(hi)} }}")
    if conventions is not None:
        lines += ["", "[conventions]"]
        for k, v in conventions.as_dict().items():
            if isinstance(v, list):
                lines.append(f"{k} = [{', '.join(_toml_str(x) for x in v)}]")
            elif isinstance(v, int):
                lines.append(f"{k} = {v}")
            else:
                lines.append(f"{k} = {_toml_str(v)}")
    # float inputs are written as the TOML floats they were, with the tolerance their sums had
    num = (lambda v: _toml_float_or_str(binary_float(v))) if mdp.float_inputs else _toml_str
    init = {s: m for s, m in zip(mdp.states, mdp.initial) if m != 0}
    lines += ["", "[mdp]"]
    if mdp.float_inputs:
        lines.append(f"tolerance = {mdp.tolerance!r}")
    if len(init) == 1 and list(init.values())[0] == 1:
        lines.append(f"initial = {_toml_str(next(iter(init)))}")
    else:
        lines.append("initial = { " + ", ".join(f"{_toml_key(s)} = {_toml_str(m)}" for s, m in init.items()) + " }")
    if not _all_reachable(mdp):
        lines.append("allow_unreachable = true")
    for i, s in enumerate(mdp.states):
        if mdp.terminal[i]:  # terminal states are declared with their success, even 1
            lines += ["", f"[states.{_toml_key(s)}]", f"success = {num(mdp.success[i])}"]
            continue
        for a in mdp.actions(s):
            j = mdp.pair(s, a)
            lines += ["", f"[states.{_toml_key(s)}.actions.{_toml_key(a)}]"]
            outs = mdp.outcomes(s, a)
            if len(outs) == 1 and outs[0][1] == 1:
                lines.append(f"next = {_toml_str(outs[0][0])}")
            else:
                lines.append("next = { " + ", ".join(f"{_toml_key(t)} = {num(p)}" for t, p in outs) + " }")
            lines.append(f"prior = {num(mdp.prior[j])}")
            if mdp.likelihood[j] != 1:
                lines.append(f"q = {num(mdp.likelihood[j])}")
    if expectations:
        lines += ["", "[expect]"]
        for qtext, value in expectations:
            lines.append(f"{_toml_str(qtext)} = {_toml_str(value)}")
    return "\n".join(lines) + "\n"


def _all_reachable(mdp):
    """Whether every state is reachable from the initial distribution (states are stored
    in topological order, so one forward pass suffices)."""
    reach = [m != 0 for m in mdp.initial]
    for i in range(mdp.n_states):
        if reach[i]:
            for j in range(mdp.state_ptr[i], mdp.state_ptr[i + 1]):
                for e in range(mdp.pair_ptr[j], mdp.pair_ptr[j + 1]):
                    reach[mdp.edge_target[e]] = True
    return all(reach)
