"""Import Gymnasium toy-text environments (FrozenLake, CliffWalking, Taxi) through ``env.unwrapped.P``.

Toy-text environments carry their whole model: ``env.unwrapped.P[s][a]`` is a list of
``(prob, next_state, reward, terminated)``.  :func:`from_gymnasium` turns it into a validated
:class:`proofcheck.model.mdp.MDP`, unrolled exactly to ``horizon`` steps (states ``"s3@t2"``),
with only the states reachable from the initial distribution within the horizon.  Gymnasium
itself is not imported: any object with that ``P`` works (install the optional extra ``gym``
to create the environments).

Mappings (all explicit, none silent)
------------------------------------
* **Duplicates.**  Gymnasium lists some outcomes twice (FrozenLake's slippery moves into a
  wall: ``P[0][0]`` has next state 0 twice); they are merged by adding the probabilities
  exactly (as binary rationals, or after rationalizing each).
* **Termination.**  An outcome with ``terminated=True`` ends the episode: its next state is a
  leaf, whose success ``P(R = 1 | leaf)`` comes from ``success``:

  - ``success="reward"``: the reward of that transition, which must lie in [0, 1]
    (FrozenLake: 1 at the goal, 0 in a hole);
  - ``success="terminated"``: 1 for every terminal transition (CliffWalking's goal);
  - a callable ``(next_state, reward) -> success``.
* **Likelihood.**  ``likelihood=None`` (the default) means ``q = 1``, and then every reward
  that ``success`` does not read must be 0 (else an error: rewards are never dropped
  silently).  ``likelihood="exp"`` reads the reward of each transition as a log-likelihood:
  ``q(s, a) = exp(r)``, which needs ``r <= 0`` and the same ``r`` for every outcome of
  ``(s, a)`` (the paper's ``q`` does not depend on the next state); it cannot be combined
  with ``success="reward"``.  A callable ``(s, a) -> q`` gives ``q`` directly (the rewards
  are then left to the callable).
* **Horizon cut.**  ``horizon_success``: the success of an episode still running at the
  horizon, a number (0: it fails) or a callable ``state -> value`` or a dict; required
  whenever some path is cut.  Gymnasium's ``TimeLimit`` truncation is not read: the horizon
  is ``horizon``.
* **Initial state.**  ``env.unwrapped.initial_state_distrib`` unless ``initial`` (a state or
  a dict state -> probability) is given.
* **Numbers.**  As in :mod:`proofcheck.io.tabular`: floats are kept as exact binary
  rationals (model marked inexact), or mapped to the simplest rational within
  ``rationalize``.

Examples
--------
>>> from types import SimpleNamespace
>>> P = {0: {0: [(0.5, 1, 1.0, True), (0.25, 0, 0.0, False), (0.25, 0, 0.0, False)]},
...      1: {0: [(1.0, 1, 0.0, True)]}}
>>> env = SimpleNamespace(P=P, initial_state_distrib=[1.0, 0.0])
>>> m = from_gymnasium(env, horizon=2, success="reward", horizon_success=0, rationalize=1e-9)
>>> m
<MDP 'gym, horizon 2 [rationalized tol=1e-09]': 5 states, 2 state-action pairs, horizon 2, stochastic>
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from numbers import Integral

import numpy as np

from proofcheck.errors import ModelError
from proofcheck.io.tabular import (
    MAX_EDGES,
    _check_distribution,
    _check_tolerance,
    _exact,
    _finish,
    _in_unit,
    _merge,
    _num,
    _prior_reader,
    _Source,
    _time_expanded,
)
from proofcheck.model.mdp import from_graph

__all__ = ["from_gymnasium", "gymnasium_graph", "ACTION_NAMES"]

#: Action names of the toy-text environments (by ``type(env.unwrapped).__name__``).
ACTION_NAMES = {
    "FrozenLakeEnv": ("left", "down", "right", "up"),
    "CliffWalkingEnv": ("up", "right", "down", "left"),
    "TaxiEnv": ("south", "north", "east", "west", "pickup", "dropoff"),
}

_SUCCESS_MODES = ("reward", "terminated")


def _env_name(env, u):
    spec = getattr(env, "spec", None) or getattr(u, "spec", None)
    return getattr(spec, "id", None) or ("gym" if type(u).__name__ == "SimpleNamespace" else type(u).__name__)


def _state(s, n, where):
    if isinstance(s, np.integer):
        s = int(s)
    if isinstance(s, bool) or not isinstance(s, Integral) or not 0 <= int(s) < n:
        raise ModelError(f"{where}: state {s!r} is not a state of the environment (0..{n - 1})")
    return int(s)


def gymnasium_graph(env, *, horizon, success=None, horizon_success=None, likelihood=None, prior="uniform",
                    initial=None, rationalize=None, action_names=None, name=None, max_edges=MAX_EDGES):
    """The time-expanded :class:`networkx.MultiDiGraph` that :func:`from_gymnasium` validates."""
    u = getattr(env, "unwrapped", env)
    P = getattr(u, "P", None)
    if not isinstance(P, Mapping) and not isinstance(P, (list, tuple)):
        raise ModelError(f"environment {type(u).__name__} has no tabular model env.unwrapped.P (only toy-text "
                         "environments such as FrozenLake, CliffWalking and Taxi have one); build the arrays "
                         "yourself and use proofcheck.io.tabular.from_arrays")
    if isinstance(horizon, bool) or not isinstance(horizon, (Integral, np.integer)) or not 1 <= int(horizon) <= 10_000:
        raise ModelError(f"horizon={horizon!r} must be a whole number of steps in 1..10000")
    horizon = int(horizon)
    tol = _check_tolerance(rationalize)
    n = len(P)
    if success is None or not (callable(success) or success in _SUCCESS_MODES):
        raise ModelError(f"success={success!r}: say what a terminal transition means: success='reward' (its "
                         "reward in [0, 1] is P(R=1 | leaf), FrozenLake), success='terminated' (every terminal "
                         "is a success, CliffWalking), or a callable (next_state, reward) -> success")
    if likelihood is not None and not callable(likelihood) and likelihood != "exp":
        raise ModelError(f"likelihood={likelihood!r} is unknown; give None (q = 1), 'exp' (q = exp(reward), "
                         "rewards <= 0) or a callable (s, a) -> q")
    if likelihood == "exp" and success == "reward":
        raise ModelError("likelihood='exp' and success='reward' would both read the terminal rewards; use "
                         "success='terminated' or a callable success, or a callable likelihood")
    n_actions = getattr(getattr(u, "action_space", None), "n", None)
    if action_names is None:
        action_names = ACTION_NAMES.get(type(u).__name__)
        if action_names is not None and n_actions is not None and len(action_names) != int(n_actions):
            action_names = None
    if action_names is not None:
        labels = list(action_names)
        if len(set(map(str, labels))) != len(labels):
            raise ModelError(f"action_names {labels} are not distinct; give one distinct name per action")

        def alabel(a):
            if not 0 <= a < len(labels):
                raise ModelError(f"action {a} has no entry in action_names ({len(labels)} names); give one per action")
            return str(labels[a])
    else:
        def alabel(a):
            return f"a{a}"

    def slabel(s):
        return f"s{s}"

    def actions(s):
        row = P[s]
        acts = sorted(row) if isinstance(row, Mapping) else list(range(len(row)))
        if not acts:
            raise ModelError(f"env.unwrapped.P[{s}] has no actions; every reachable state needs its transitions")
        return acts

    def terminal_success(s2, reward, where):
        if success == "terminated":
            return 1
        raw = success(s2, reward) if callable(success) else reward
        v = _num(raw, f"success at {where}", tol)
        if not _in_unit(v):
            hint = ("success='reward' reads it as P(R=1 | leaf): use success='terminated' or a callable"
                    if success == "reward" else "the success callable must return a probability")
            raise ModelError(f"{where} ends the episode with success {_exact(v)}, outside [0, 1]; {hint}")
        return v

    cache: dict = {}

    def outcomes(s, a):
        if (s, a) in cache:
            return cache[(s, a)][0]
        where = f"env.unwrapped.P[{s}][{a}]"
        merged: dict = {}
        order: list = []
        rewards: list = []
        for k, item in enumerate(P[s][a]):
            try:
                prob, s2, reward, done = item[0], item[1], item[2], bool(item[3])
            except (TypeError, IndexError):
                raise ModelError(f"{where}[{k}] = {item!r} is not (prob, next_state, reward, terminated)") from None
            s2 = _state(s2, n, f"{where}[{k}]")
            p = _num(prob, f"{where}[{k}] probability", tol)
            if _exact(p) == 0:
                continue
            reward = reward.item() if isinstance(reward, np.generic) else reward
            here = f"{where}[{k}] (to state {s2})"
            if done:
                end = terminal_success(s2, reward, here)
                if likelihood is None and reward != 0 and success == "terminated":
                    raise _unread(here, reward)
            else:
                end = None
                if likelihood is None and reward != 0:
                    raise _unread(here, reward)
            rewards.append((reward, here))
            key = (s2, end is not None)
            if key not in merged:
                merged[key] = ([], end, here)
                order.append(key)
            else:
                old_end = merged[key][1]
                if end is not None and _exact(old_end) != _exact(end):
                    raise ModelError(f"{here} reaches terminal state {s2} with success {_exact(end)}, but an "
                                     f"earlier outcome of {where} gives it {_exact(old_end)}; merge them yourself")
            merged[key][0].append(p)
        if not order:
            raise ModelError(f"{where} has no outcome with positive probability; give tau(. | s, a)")
        seen = {}
        for s2, done in order:
            if s2 in seen:
                raise ModelError(f"{where} reaches state {s2} both with and without termination; proofcheck needs "
                                 "one kind per next state")
            seen[s2] = done
        out = [(s2, _merge(merged[(s2, d)][0]), merged[(s2, d)][1]) for s2, d in order]
        _check_distribution([p for _, p, _ in out], where, "the transition probabilities", tol)
        cache[(s, a)] = (out, rewards)
        return out

    def q_of(s, a, t):
        outcomes(s, a)
        rewards = cache[(s, a)][1]
        if likelihood is None:
            return "q", 1
        if callable(likelihood):
            v = _num(likelihood(s, a), f"likelihood({s}, {a})", tol)
            if not _in_unit(v):
                raise ModelError(f"likelihood({s}, {a}) = {_exact(v)} is outside [0, 1]; return a likelihood q")
            return "q", v
        values = {r for r, _ in rewards}
        if len(values) > 1:
            raise ModelError(f"env.unwrapped.P[{s}][{a}] has rewards {sorted(values)} for different outcomes; "
                             "likelihood='exp' needs one reward per (s, a): give a callable likelihood")
        (r,), here = values, rewards[0][1]
        v = _num(r, f"reward of {here}", tol, allow_minus_inf=True)
        if v != -math.inf and _exact(v) > 0:
            raise ModelError(f"{here} has reward {r} > 0; likelihood='exp' reads rewards as log-likelihoods "
                             "(q = exp(r) <= 1): give a callable likelihood (s, a) -> q in [0, 1]")
        return "reward", v

    def cut_success(s, t):
        if horizon_success is None:
            raise ModelError(f"horizon_success is required: state {s} is still running at the horizon "
                             f"{horizon}; give horizon_success=0 (a cut episode fails), 1 (it counts as a "
                             "success), a dict state -> value or a callable state -> value")
        if isinstance(horizon_success, Mapping):
            if s not in horizon_success:
                raise ModelError(f"horizon_success has no entry for state {s}, cut at the horizon; add it")
            raw = horizon_success[s]
        else:
            raw = horizon_success(s) if callable(horizon_success) else horizon_success
        v = _num(raw, f"horizon_success for state {s}", tol)
        if not _in_unit(v):
            raise ModelError(f"horizon_success for state {s} is {_exact(v)}, outside [0, 1]; give a probability")
        return v

    if initial is None:
        dist = getattr(u, "initial_state_distrib", None)
        if dist is None:
            raise ModelError("the environment has no initial_state_distrib; give initial= a state "
                             "(e.g. initial=env.reset(seed=0)[0]) or a dict state -> probability")
        dist = np.asarray(dist)
        if dist.ndim != 1 or len(dist) != n:
            raise ModelError(f"env.unwrapped.initial_state_distrib has shape {dist.shape}, expected ({n},)")
        items = {s: _num(dist[s], f"initial_state_distrib[{s}]", tol) for s in np.nonzero(dist)[0].tolist()}
        where = "env.unwrapped.initial_state_distrib"
    elif isinstance(initial, Mapping):
        items = {_state(s, n, "initial"): _num(m, f"initial[{s}]", tol) for s, m in initial.items()}
        where = "initial"
    else:
        items, where = {_state(initial, n, "initial"): 1}, "initial"
    _check_distribution(list(items.values()), where, "the initial probabilities", tol)
    init = {s: m for s, m in items.items() if _exact(m) != 0}

    n_act = int(n_actions) if n_actions is not None else max(len(P[s]) for s in init)
    src = _Source(actions=actions, outcomes=outcomes,
                  prior=_prior_reader(prior, n, n_act, horizon, tol, alabel),
                  likelihood=q_of, leaf_success=cut_success, state_label=slabel, action_label=alabel)
    G = _time_expanded(src, init, horizon, max_edges=max_edges, graph_attrs={})
    env_id = _env_name(env, u)
    lik = likelihood if isinstance(likelihood, str) or likelihood is None else "callable"
    succ = success if isinstance(success, str) else "callable"
    hs = horizon_success if not callable(horizon_success) else "callable"
    return _finish(G, name=f"{name or env_id}, horizon {horizon}", rationalize=tol,
                   source=(f"gymnasium {env_id} via env.unwrapped.P, unrolled to horizon {horizon}; "
                           f"success={succ!r}, likelihood={lik!r}, horizon_success={hs!r}"))


def _unread(here, reward):
    return ModelError(f"{here} has reward {reward}, which nothing reads: give likelihood='exp' (q = exp(r), r <= 0), "
                      "a callable likelihood (s, a) -> q, or a callable success")


def from_gymnasium(env, *, horizon, success=None, horizon_success=None, likelihood=None, prior="uniform",
                   initial=None, rationalize=None, action_names=None, name=None, max_edges=MAX_EDGES,
                   validate=True):
    """Build an :class:`~proofcheck.model.mdp.MDP` from a toy-text Gymnasium environment.

    Parameters
    ----------
    env : gymnasium.Env
        An environment whose ``env.unwrapped.P[s][a]`` lists ``(prob, next, reward, terminated)``
        (FrozenLake, CliffWalking, Taxi), or any object with such a ``P``.
    horizon : int
        Number of steps to unroll (states ``"s{state}@t{time}"``).
    success : ``"reward"``, ``"terminated"`` or callable ``(next_state, reward) -> value``
        Leaf success of a terminal transition (required; see the module docstring).
    horizon_success : number, dict or callable ``state -> value``
        Success of an episode still running at the horizon (required when some path is cut).
    likelihood : None, ``"exp"`` or callable ``(s, a) -> q``
        ``q(s, a)``: 1 (and every reward unread by ``success`` must be 0), ``exp(reward)``, or given.
    prior : ``"uniform"`` (default), array ``[S, A]`` / ``[horizon, S, A]`` or callable ``s -> probabilities``
    initial : state or dict, optional
        Overrides ``env.unwrapped.initial_state_distrib``.
    rationalize : float, optional
        Map each float to the simplest rational within this tolerance.
    action_names : sequence, optional
        Default: the toy-text names in :data:`ACTION_NAMES`, else ``"a{i}"``.
    name : str, optional
        Default: the environment id (``env.spec.id``).
    max_edges, validate
        As in :func:`proofcheck.io.tabular.from_arrays`.
    """
    G = gymnasium_graph(env, horizon=horizon, success=success, horizon_success=horizon_success,
                        likelihood=likelihood, prior=prior, initial=initial, rationalize=rationalize,
                        action_names=action_names, name=name, max_edges=max_edges)
    return from_graph(G, validate=validate)
