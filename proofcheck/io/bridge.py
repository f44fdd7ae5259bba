"""The BRIDGE ``.npz`` format of Laidlaw, Russell & Dragan (arXiv:2304.09853).

A BRIDGE MDP is a deterministic tabular MDP in two arrays:

* ``transitions``: ``(S, A)`` integers, the next state of ``(s, a)``; ``-1`` = the episode
  ends (terminal);
* ``rewards``: ``(S, A)`` ``float32``, any sign.

The initial state is 0; the horizon ``T`` is not stored (give it separately).

Two conversions:

* :func:`bridge_problem` unrolls it over ``T`` steps for the effective horizon
  (:mod:`proofcheck.engine.effective_horizon`), with rewards as they are (any sign),
  each ``float32`` converted *exactly* to a rational.
* :func:`bridge_to_mdp` builds a case-file :class:`~proofcheck.model.mdp.MDP` for the
  incoherence analysis, whose rewards must be ``<= 0`` (log-likelihoods).  Every reward of
  time step ``t`` is shifted by the same constant ``c_t = max`` of the rewards of step ``t``
  (over the states reachable at ``t``), so ``q = exp(R - c_t) <= 1``.  A per-time constant
  multiplies the likelihood of every trajectory by the same factor ``exp(-sum_t c_t)``, so
  the goal-conditioned policies, ``G``, Boltzmann policies and ``kappa`` do not change
  (``S`` is scaled and ``J`` shifted by that constant).  A trajectory that ends early
  (``-1``) would skip the later shifts, so an ending action is charged
  ``tail_t = sum_{u > t} c_u`` as well, and ``c_t`` is computed backwards as the largest of
  ``R`` (continuing actions) and ``R - tail_t`` (ending actions), which keeps every shifted
  reward ``<= 0``.  The shifts are returned so a report can state them.

:func:`save_npz` / :func:`load_npz` round-trip the arrays bit for bit;
:func:`case_to_bridge` exports a deterministic case-file MDP (rewards rounded to
``float32``: lossy, and ``log 0`` is refused).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from proofcheck.errors import CaseFileError, ModelError
from proofcheck.model.time_expanded import check_tabular, tabular_problem

# SymPy, networkx and the graph model are imported inside the functions that build a
# case-file MDP: reading a sample and its effective horizon (``proofcheck horizon``) need
# none of them, and they cost more at start-up than that whole analysis

__all__ = ["BridgeMDP", "load_npz", "save_npz", "bridge_problem", "bridge_to_mdp", "bridge_graph", "BRIDGE_NUMBERS",
           "case_to_bridge", "BridgeSample", "load_sample", "sample_horizons", "compare_analysis"]


@dataclass(frozen=True)
class BridgeMDP:
    """``transitions`` ``(S, A)`` int, ``rewards`` ``(S, A)`` float32, initial state 0."""

    transitions: np.ndarray
    rewards: np.ndarray
    name: str = "bridge"

    @property
    def shape(self):
        return self.transitions.shape


def _validate(transitions, rewards, where):
    rw = np.asarray(rewards)
    if not np.issubdtype(rw.dtype, np.floating):
        raise CaseFileError(f"{where}: rewards have dtype {rw.dtype}; BRIDGE stores float32 rewards")
    return check_tabular(transitions, rw, where, CaseFileError)


def load_npz(path):
    """Read a BRIDGE ``.npz`` (keys ``transitions`` and ``rewards``; others are ignored).

    Examples
    --------
    >>> import tempfile, os, numpy as np
    >>> d = tempfile.mkdtemp(); f = os.path.join(d, "m.npz")
    >>> save_npz(f, np.array([[1, -1], [-1, 0]]), np.array([[1.5, 0], [-2, 0.25]]))
    >>> load_npz(f).rewards.dtype
    dtype('float32')
    """
    path = os.fspath(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            missing = [k for k in ("transitions", "rewards") if k not in data.files]
            if missing:
                raise CaseFileError(f"{path}: missing array(s) {missing}; a BRIDGE .npz holds "
                                    f"'transitions' and 'rewards' (found {data.files})")
            tr, rw = data["transitions"], data["rewards"]
    except FileNotFoundError:
        raise CaseFileError(f"{path}: no such file; give the path of a BRIDGE .npz") from None
    except (ValueError, OSError) as exc:
        raise CaseFileError(f"{path}: not a readable .npz file ({exc}); give a BRIDGE .npz") from None
    tr, rw = _validate(tr, rw, path)
    return BridgeMDP(tr, rw, name=os.path.splitext(os.path.basename(path))[0])


def save_npz(path, transitions, rewards):
    """Write a BRIDGE ``.npz``: ``transitions`` as int64 (as given when already integer),
    ``rewards`` as float32 (rounded when given in another float type)."""
    tr, rw = _validate(transitions, np.asarray(rewards, dtype=np.float64), os.fspath(path))
    np.savez(os.fspath(path), transitions=tr.astype(tr.dtype if tr.dtype.kind == "i" else np.int64),
             rewards=np.asarray(rewards, dtype=np.float32))


def _arrays(bridge):
    return (bridge.transitions, bridge.rewards) if isinstance(bridge, BridgeMDP) else bridge


def bridge_problem(bridge, horizon):
    """The time-expanded problem of a BRIDGE MDP (exact rational rewards).

    Examples
    --------
    >>> import numpy as np
    >>> from proofcheck.engine.effective_horizon import effective_horizon
    >>> B = BridgeMDP(np.array([[0, 0]]), np.array([[1, 0]], dtype=np.float32))
    >>> effective_horizon(bridge_problem(B, 3)).min_k
    1
    """
    tr, rw = _arrays(bridge)
    name = bridge.name if isinstance(bridge, BridgeMDP) else "bridge"
    P = tabular_problem(tr, rw, horizon, name=name)
    # T of the Theorem 5.4 bound is the horizon the MDP is analysed over, also when every
    # path has ended before it (the reference code keeps a terminal state alive until T)
    P.nominal_horizon = int(horizon)
    return P


#: How :func:`bridge_graph` writes the likelihoods ``q = exp(R - c_t)``.
BRIDGE_NUMBERS = {
    "exact": "q = exp(R - c_t) exactly (SymPy exponentials of rationals)",
    "float": "q = exp(R - c_t) rounded to the nearest float64 (read as that exact binary number; "
             "q = 1 stays exact)",
    "rationalize": "q = exp(R - c_t) replaced by the simplest rational within the tolerance",
}


def _likelihood(r, numbers, tol):
    """Edge attributes for the shifted log-likelihood ``r <= 0`` (an exact rational)."""
    if numbers == "exact" or r == 0:
        return {"reward": r}
    import sympy as sp

    from proofcheck.io.tabular import simplest_rational

    approx = sp.exp(r).evalf(60)  # about 1e-60 from exp(r): far below float64 and any tolerance
    if numbers == "float":
        return {"q": float(approx)}
    value = simplest_rational(Fraction(sp.Rational(approx).p, sp.Rational(approx).q), tol)
    return {"q": sp.Rational(value.numerator, value.denominator)}


def bridge_graph(bridge, horizon, *, name=None, action_names=None, numbers="exact", rationalize=None):
    """The graph of :func:`bridge_to_mdp` (before :func:`~proofcheck.model.mdp.from_graph`)
    and the shifts: ``(graph, shifts)``.

    ``numbers`` says how ``q = exp(R - c_t)`` is written (see :data:`BRIDGE_NUMBERS`):
    ``"exact"`` (SymPy ``exp`` of the rational ``R - c_t``; exact but the claims' exact
    arithmetic on sums of exponentials can be very slow beyond a few steps), ``"float"``
    (the float64 nearest to it: the model is marked inexact, and ``proofcheck verify``
    makes a verdict that depends on the rounding undecided), or ``"rationalize"`` with
    ``rationalize=tol`` (the simplest rational within ``tol``; an exact model of a
    perturbed MDP, the tolerance is recorded in the name and the source).  ``q = 1``
    (a shifted reward of 0) is exact in every mode.

    Examples
    --------
    >>> import numpy as np
    >>> G, shifts = bridge_graph((np.array([[-1, -1]]), np.array([[2.0, 1.0]], dtype=np.float32)), 1,
    ...                          numbers="rationalize", rationalize=1e-3)
    >>> [d for *_, d in G.edges(data=True)]
    [{'reward': 0}, {'q': 7/19}]
    """
    import networkx as nx
    import sympy as sp

    from proofcheck.io.tabular import MAX_EDGES

    if numbers not in BRIDGE_NUMBERS:
        raise ModelError(f"numbers={numbers!r} is unknown; give one of {', '.join(BRIDGE_NUMBERS)}")
    tol = None
    if numbers == "rationalize":
        if isinstance(rationalize, bool) or not isinstance(rationalize, (int, float)) \
                or not 0 < rationalize < 0.5:
            raise ModelError(f"rationalize={rationalize!r} must be a tolerance in (0, 0.5), e.g. 1e-9")
        tol = rationalize
    elif rationalize is not None:
        raise ModelError("rationalize= is used with numbers='rationalize' only")
    P = bridge_problem(bridge, horizon)
    T = P.horizon
    pairs = sum(len(L.next) for L in P.layers)
    if pairs > MAX_EDGES:
        raise ModelError(f"horizon {horizon}: the unrolled BRIDGE MDP has {pairs} state-action pairs, more "
                         f"than the {MAX_EDGES} the claims can handle; use a smaller horizon")
    if action_names is not None:
        names = list(action_names)
        if len(names) < P.n_actions or len(set(map(str, names))) != len(names):
            raise ModelError(f"action_names has {len(names)} entries; give {P.n_actions} distinct names, "
                             "one per column of the BRIDGE arrays")
    # backwards, so that the later shifts an early end skips are known: c_t is the
    # largest of R (continuing pairs) and R - tail_t (pairs that end the episode)
    shifts, tail = [None] * T, [sp.Integer(0)] * (T + 1)
    for t in reversed(range(T)):
        L = P.layers[t]
        tail[t] = tail[t + 1] + (shifts[t + 1] if t + 1 < T else 0)
        shifts[t] = max(r - (tail[t] if nx_ < 0 else 0) for r, nx_ in zip(L.reward, L.next))
    label = name or P.name
    if numbers == "rationalize":
        label += f" [rationalized tol={tol:g}]"
    G = nx.MultiDiGraph(name=label, initial=(P.layers[0].states[0], 0), default_prior="uniform")
    G.graph["source"] = (f"BRIDGE arrays {P.name}, unrolled to horizon {int(horizon)}, uniform prior, "
                         f"{BRIDGE_NUMBERS[numbers]}" + (f" {tol:g}" if tol is not None else "")
                         + f", shifts c_t = {', '.join(map(str, shifts))}")
    if tol is not None:
        G.graph["rationalized"] = tol
    for t, L in enumerate(P.layers):
        for i, s in enumerate(L.states):
            for j in range(L.ptr[i], L.ptr[i + 1]):
                r = L.reward[j] - shifts[t]
                if L.next[j] >= 0:
                    target = (P.layers[t + 1].states[L.next[j]], t + 1)
                else:
                    target = ("end", t + 1)
                    r = r - tail[t]  # an early end is charged the shifts it skips
                if r > 0:
                    raise ModelError(f"state {(s, t)}, action {L.actions[j]}: shifted reward {r} > 0; this is "
                                     "a bug in the per-time shift, please report it")
                key = L.actions[j] if action_names is None else names[L.actions[j]]
                G.add_edge((s, t), target, key=key, **_likelihood(r, numbers, tol))
    return G, shifts


def bridge_to_mdp(bridge, horizon, *, name=None, action_names=None, numbers="exact", rationalize=None):
    """A case-file MDP for the incoherence analysis: uniform prior, ``q = exp(R - c_t)``.

    Returns ``(mdp, shifts)`` with ``shifts[t] = c_t``.  States are ``(s, t)``; an action
    with ``next = -1`` (or at the last step) leads to the terminal ``("end", t + 1)``.  Its
    reward also carries ``-sum_{u > t} c_u`` so that every trajectory's likelihood is scaled
    by the same factor (see the module docstring); the final rewards are then checked
    to be ``<= 0``.  Actions are the column indices ``0, 1, ...`` unless ``action_names``
    (a sequence indexed by column, e.g. ``["a0", "a1"]``) names them; ``numbers`` and
    ``rationalize``: see :func:`bridge_graph`.

    Examples
    --------
    >>> import numpy as np
    >>> mdp, shifts = bridge_to_mdp((np.array([[-1, -1]]), np.array([[2.0, 1.5]], dtype=np.float32)), 1)
    >>> shifts, mdp.likelihood.tolist()
    ([2], [1, exp(-1/2)])
    """
    from proofcheck.model.mdp import from_graph

    G, shifts = bridge_graph(bridge, horizon, name=name, action_names=action_names, numbers=numbers,
                             rationalize=rationalize)
    return from_graph(G), shifts


def case_to_bridge(mdp):
    """Export a deterministic case-file MDP as BRIDGE arrays ``(transitions, rewards, T)``.

    The initial state becomes state 0, the other non-terminal states follow in the MDP's
    topological order; actions into terminals become ``-1`` with the leaf's
    ``log success`` folded into the reward.  Rewards are rounded to ``float32`` (lossy);
    states with fewer actions than the maximum repeat their last action (a duplicate has
    the same value, so no quantity of the effective horizon changes except ``A``).

    Examples
    --------
    >>> from proofcheck.examples import mountain_race
    >>> case_to_bridge(mountain_race())
    Traceback (most recent call last):
    ...
    proofcheck.errors.ModelError: state 'mountain', action 'down': reward log 0 = -inf cannot be stored in BRIDGE (finite float32 rewards); give the outcome a positive likelihood
    """
    import sympy as sp

    if not mdp.deterministic or mdp.parameters:
        raise ModelError(f"MDP {mdp.name!r} must be deterministic and non-parametric to export to BRIDGE")
    init = [i for i, m in enumerate(mdp.initial) if m != 0]
    if len(init) != 1 or mdp.terminal[init[0]]:
        raise ModelError(f"MDP {mdp.name!r}: BRIDGE needs one non-terminal initial state; found {len(init)}")
    order = [init[0]] + [i for i in range(mdp.n_states) if i != init[0] and not mdp.terminal[i]]
    index = {i: n for n, i in enumerate(order)}
    A = int(np.diff(mdp.state_ptr)[order].max())
    tr = np.full((len(order), A), -1, dtype=np.int64)
    rw = np.zeros((len(order), A), dtype=np.float32)
    for i in order:
        pairs = list(range(mdp.state_ptr[i], mdp.state_ptr[i + 1]))
        for a in range(A):
            p = pairs[min(a, len(pairs) - 1)]
            s2 = int(mdp.edge_target[mdp.pair_ptr[p]])
            q = sp.sympify(mdp.likelihood[p]) * (mdp.success[s2] if mdp.terminal[s2] else 1)
            if q == 0:
                raise ModelError(f"state {mdp.states[i]!r}, action {mdp.pair_action[p]!r}: reward log 0 = -inf "
                                 "cannot be stored in BRIDGE (finite float32 rewards); give the outcome a "
                                 "positive likelihood")
            tr[index[i], a] = -1 if mdp.terminal[s2] else index[s2]
            rw[index[i], a] = np.float32(math.log(float(q)))
    return tr, rw, mdp.horizon


# ----------------------------------------------------------------------------- samples

@dataclass(frozen=True)
class BridgeSample:
    """A BRIDGE sample folder: the MDP, the horizon of its stored analysis (``None`` when
    not known), and the reference code's stored results (``consolidated_analyzed.json``,
    ``consolidated_gorp_bounds.json``; ``None`` when absent)."""

    mdp: BridgeMDP
    horizon: object
    analyzed: object
    gorp_bounds: object
    path: str


def sample_horizons(readme):
    """``{folder: horizon}`` from the table of a samples README (``| folder | horizon | ...``).

    Examples
    --------
    >>> import tempfile, os
    >>> d = tempfile.mkdtemp(); f = os.path.join(d, "README.md")
    >>> _ = open(f, "w").write("| folder | horizon used | x |\\n|---|---|---|\\n| `a_1` | 10 | 3 |\\n")
    >>> sample_horizons(f)
    {'a_1': 10}
    """
    out = {}
    try:
        text = open(os.fspath(readme), encoding="utf-8").read()
    except OSError:
        return out
    for line in text.splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and cells[1].isdigit() and cells[0]:
            out[cells[0]] = int(cells[1])
    return out


def _read_json(path):
    import json
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def load_sample(folder, horizon=None):
    """Read a BRIDGE sample folder (``consolidated.npz`` and the stored analysis beside it).

    The horizon is ``horizon`` when given, else the one the samples README (in the parent
    folder) lists for this folder, else ``None``.
    """
    folder = os.fspath(folder)
    if os.path.isfile(folder):
        folder = os.path.dirname(folder) or "."
    npz = os.path.join(folder, "consolidated.npz")
    if not os.path.isfile(npz):
        raise CaseFileError(f"{folder}: no consolidated.npz; give a BRIDGE sample folder or a .npz file")
    mdp = load_npz(npz)
    name = os.path.basename(os.path.normpath(folder))
    mdp = BridgeMDP(mdp.transitions, mdp.rewards, name=name)
    if horizon is None:
        horizon = sample_horizons(os.path.join(os.path.dirname(os.path.normpath(folder)), "README.md")).get(name)
    return BridgeSample(mdp, horizon, _read_json(os.path.join(folder, "consolidated_analyzed.json")),
                        _read_json(os.path.join(folder, "consolidated_gorp_bounds.json")), folder)


def compare_analysis(stored, computed, rel=1e-9):
    """Compare the reference code's stored analysis with ``computed`` (the
    ``reference_format`` dict of :meth:`EffectiveHorizon.as_dict`).

    Returns ``{field: (stored, computed, equal)}`` for ``min_k``, ``epw``, ``ks``, ``ms``,
    ``effective_horizon`` (integers and lists exactly; the horizon, a float, to ``rel``),
    and ``gaps``/``vars`` (floats to ``rel``: the reference computes them in float64).
    """
    res = stored.get("effective_horizon_results", {})
    mine = computed["effective_horizon_results"]

    def close(a, b):
        if a is None or b is None:
            return a is b
        return abs(float(a) - float(b)) <= rel * max(1.0, abs(float(a)), abs(float(b)))

    out = {}
    for key in ("min_k", "epw"):
        if key in stored:
            out[key] = (stored[key], computed[key], stored[key] == computed[key])
    for key in ("ks", "ms"):
        if key in res:
            out[key] = (res[key], mine[key], [int(x) for x in res[key]] == [int(x) for x in mine[key]])
    if "effective_horizon" in stored:
        out["effective_horizon"] = (stored["effective_horizon"], computed["effective_horizon"],
                                    close(stored["effective_horizon"], computed["effective_horizon"]))
    for key in ("gaps", "vars"):
        if key in res:
            ok = len(res[key]) == len(mine[key]) and all(close(a, b) for a, b in zip(res[key], mine[key]))
            out[key] = (res[key], mine[key], ok)
    return out
