"""Seeded random layered MDPs of any size, built without SymPy objects.

Layer 0 holds the single initial state; layers ``1..T`` split the remaining states
evenly; every state of layers ``0..T-1`` has ``n_actions`` actions, each leading to
``successors`` states of the next layer drawn uniformly (with replacement: a repeated
target simply adds up its probability); layer ``T`` is terminal.

All random draws are small integers, so the same seed gives the same model in exact
rationals (``values="exact"``) and in float64 (``values="float"``, each value the
correctly rounded quotient of the same integers).  That pairing is what lets the
tests compare the float path against the exact engine with a bound derived from
float64 rounding.

* prior ``p(a|s) = w_a / sum_b w_b`` with ``w`` uniform in ``1..8``;
* outcome probabilities ``tau(s'|s,a) = v / sum v`` with ``v`` uniform in ``1..8``;
* likelihoods ``q(s,a) = c / 8`` with ``c`` uniform in ``q_min..8`` (default 1..8, so ``J`` is finite);
* leaf success ``c / 8`` with ``c`` uniform in ``0..8``.
"""

from __future__ import annotations

import random
import warnings

import numpy as np
import sympy as sp

from proofcheck.errors import ConventionError, ModelError
from proofcheck.model.mdp import MDP
from proofcheck.model.validation import UnreachableStateWarning

__all__ = ["random_layered_mdp", "layer_sizes", "binary_tree_mdp"]


def layer_sizes(n_states, horizon=None, width=None):
    """Sizes of layers ``0..T`` for ``n_states`` states (layer 0: the initial state).

    Examples
    --------
    >>> layer_sizes(9, horizon=2)
    [1, 4, 4]
    >>> layer_sizes(10, width=4)
    [1, 4, 4, 1]
    """
    if isinstance(n_states, bool) or not isinstance(n_states, (int, np.integer)) or n_states < 2:
        raise ModelError(f"random_layered_mdp: n_states = {n_states!r} must be an integer >= 2")
    rest = int(n_states) - 1
    if (horizon is None) == (width is None):
        raise ModelError("random_layered_mdp: give exactly one of horizon= and width=")
    if width is not None:
        if int(width) < 1:
            raise ModelError(f"random_layered_mdp: width = {width!r} must be >= 1")
        return [1] + [int(width)] * (rest // int(width)) + ([rest % int(width)] if rest % int(width) else [])
    if int(horizon) < 1 or int(horizon) > rest:
        raise ModelError(f"random_layered_mdp: horizon = {horizon!r} must be in 1..{rest} for {n_states} states")
    return [1] + [len(a) for a in np.array_split(np.arange(rest), int(horizon))]


def random_layered_mdp(n_states, n_actions=4, *, horizon=None, width=None, seed=0, successors=1,
                       values="float", q_min=1, validate=True, name=None):
    """A seeded random layered MDP (see the module docstring for the distribution).

    Parameters
    ----------
    n_states : int
        Total number of states (initial + inner + terminal).
    n_actions : int
        Actions per non-terminal state.
    horizon, width : int
        Give one: the number of decision steps ``T``, or the layer width.
    seed : int
        Seed of :func:`numpy.random.default_rng`.
    successors : int
        Outcomes per action (1: deterministic dynamics).
    values : {"float", "exact"}
        float64 arrays (fast path) or SymPy rationals (exact engine; small sizes only).
    q_min : int
        Smallest likelihood numerator (0 allows ``q = 0`` and so ``J = -inf``).

    Returns
    -------
    MDP
        Built with :meth:`MDP.from_arrays`; states are the integers ``0..n_states-1``.

    Examples
    --------
    >>> m = random_layered_mdp(9, 2, horizon=2, seed=1)
    >>> m
    <MDP 'layered-9x2-s1': 9 states, 10 state-action pairs, horizon 2, deterministic>
    >>> e = random_layered_mdp(9, 2, horizon=2, seed=1, values="exact")
    >>> bool(float(e.prior[0]) == m.prior[0])
    True
    """
    if values not in ("float", "exact"):
        raise ModelError(f"random_layered_mdp: values = {values!r}; use 'float' or 'exact'")
    if int(n_actions) < 1 or int(successors) < 1:
        raise ModelError(f"random_layered_mdp: n_actions = {n_actions!r} and successors = {successors!r} must be >= 1")
    if isinstance(q_min, bool) or not isinstance(q_min, (int, np.integer)) or not 0 <= q_min <= 8:
        raise ModelError(f"random_layered_mdp: q_min = {q_min!r} must be an integer in 0..8 (q = c / 8)")
    sizes = np.array(layer_sizes(n_states, horizon, width), dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    n = int(offsets[-1])
    n_inner = int(offsets[-2])  # states with actions: every layer but the last
    A, K = int(n_actions), int(successors)
    rng = np.random.default_rng(seed)
    npairs = np.zeros(n, dtype=np.int64)
    npairs[:n_inner] = A
    state_ptr = np.concatenate([[0], np.cumsum(npairs)])
    m = n_inner * A
    pair_ptr = np.arange(0, m * K + 1, K, dtype=np.int64)
    state_layer = np.repeat(np.arange(len(sizes)), sizes)
    edge_layer = np.repeat(state_layer[:n_inner], A * K)
    # floor(u * size) is uniform on 0..size-1 up to a bias below 2**-40 for these sizes
    edge_target = offsets[edge_layer + 1] + (rng.random(len(edge_layer)) * sizes[edge_layer + 1]).astype(np.int64)
    w_prior = rng.integers(1, 9, size=m)
    w_edge = rng.integers(1, 9, size=m * K)
    c_q = rng.integers(int(q_min), 9, size=m)
    c_leaf = rng.integers(0, 9, size=n)
    prior_tot = np.repeat(w_prior.reshape(-1, A).sum(axis=1), A)
    edge_tot = np.repeat(w_edge.reshape(-1, K).sum(axis=1), K)
    leaf = np.zeros(n, dtype=bool)
    leaf[n_inner:] = True
    if values == "float":
        prior = w_prior / prior_tot
        edge_prob = w_edge / edge_tot
        q = c_q / 8.0
        success = np.where(leaf, c_leaf / 8.0, 1.0)
        initial = np.zeros(n)
        initial[0] = 1.0
    else:
        R = sp.Rational
        prior = [R(int(a), int(b)) for a, b in zip(w_prior, prior_tot)]
        edge_prob = [R(int(a), int(b)) for a, b in zip(w_edge, edge_tot)]
        q = [R(int(c), 8) for c in c_q]
        success = [R(int(c), 8) if lf else sp.Integer(1) for c, lf in zip(c_leaf, leaf)]
        initial = [sp.Integer(1)] + [sp.Integer(0)] * (n - 1)
    with warnings.catch_warnings():
        # random targets leave some states unreachable; that is part of the distribution
        warnings.simplefilter("ignore", UnreachableStateWarning)
        return MDP.from_arrays(state_ptr=state_ptr, pair_ptr=pair_ptr, edge_target=edge_target,
                               edge_prob=edge_prob, prior=prior, likelihood=q, success=success,
                               initial=initial, validate=validate,
                               name=name or f"layered-{n}x{A}-s{seed}")


def binary_tree_mdp(depth, seed=0, *, parameter="p"):
    """A complete binary tree of ``depth`` decision steps, built fast (no graph, no parsing).

    ``2**(depth+1) - 1`` states; at every internal node two actions ``L`` and ``R`` with
    prior ``(p, 1 - p)`` and likelihood 1; leaf success probabilities drawn (with
    ``random.Random(seed)``) from ``{0, 1/8, ..., 1}``; ``p`` ranges over ``[0, 1]``.
    States are the heap indices ``0..2**(depth+1)-2`` (children of ``i``: ``2i+1, 2i+2``).

    Examples
    --------
    >>> m = binary_tree_mdp(3, seed=1)
    >>> m
    <MDP 'binary_tree_3': 15 states, 14 state-action pairs, horizon 3, deterministic>
    >>> m.prior_policy()[0]
    {'L': p, 'R': 1 - p}
    """
    if isinstance(depth, bool) or not isinstance(depth, int) or not 0 <= depth <= 24:
        raise ConventionError(f"depth {depth!r} must be an integer in 0..24")
    p = sp.Symbol(parameter, real=True)
    rng = random.Random(seed)
    n_internal = 2 ** depth - 1
    n = 2 ** (depth + 1) - 1
    eighths = [sp.Rational(k, 8) for k in range(9)]
    success = [sp.Integer(1)] * n_internal + [eighths[rng.randrange(9)] for _ in range(n - n_internal)]
    return MDP.from_arrays(
        states=None,
        pair_state=np.repeat(np.arange(n_internal), 2), pair_action=("L", "R") * n_internal,
        state_ptr=np.concatenate([np.arange(0, 2 * n_internal + 1, 2),
                                  np.full(n - n_internal, 2 * n_internal)]),
        pair_ptr=np.arange(2 * n_internal + 1), edge_target=np.arange(1, n),
        edge_prob=[sp.Integer(1)] * (2 * n_internal), prior=[p, 1 - p] * n_internal,
        likelihood=[sp.Integer(1)] * (2 * n_internal), success=success,
        initial=[sp.Integer(1)] + [sp.Integer(0)] * (n - 1),
        parameters={p: (sp.Integer(0), sp.Integer(1))}, name=f"binary_tree_{depth}", validate=False)
