"""Hypothesis strategies for random finite-horizon MDPs with exact values.

Use them in your own property tests::

    from hypothesis import given
    from proofcheck import strategies as pst

    @given(pst.mdps(depth=2, regime="deterministic"))
    def test_something(mdp):
        ...

Every number is an exact rational with a small denominator (or, with
``parametric=True``, a simple polynomial in one symbol ``p`` with range ``[0, 1]``).
The draw order is chosen so that failing examples shrink to tiny, readable models:
the depth, the number of actions and of outcomes shrink towards 1, values shrink
towards 1 (then 0, 1/2, 1/3, ...), priors towards uniform, merged states towards a tree
and parameters towards plain numbers.

Bad arguments raise :class:`hypothesis.errors.InvalidArgument` (which is also a
:class:`proofcheck.errors.ProofcheckError`) naming the value and the fix.
"""

from __future__ import annotations

from fractions import Fraction
from numbers import Integral

import networkx as nx
import sympy as sp
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from proofcheck.errors import ProofcheckError
from proofcheck.model.mdp import MDP, from_graph

__all__ = ["graphs", "mdps", "policies", "REGIMES", "PRIORS"]

#: ``"deterministic"``: one outcome per action; ``"stochastic"``: at least one action
#: (the root's first) has two or more outcomes; ``"any"``: either.
REGIMES = ("deterministic", "stochastic", "any")
#: ``"uniform"``: ``p(a|s) = 1/|A(s)|``; ``"any"``: non-uniform priors with zero entries
#: allowed (at least one positive entry per state).
PRIORS = ("uniform", "any")


class _InvalidArgument(ProofcheckError, InvalidArgument):
    """A bad argument to a strategy: hypothesis's error type and ours."""


def _simple_fractions(max_denominator):
    """``[1, 0, 1/2, 1/3, 2/3, 1/4, 3/4, ...]``: simplest first, the order hypothesis shrinks to."""
    out = [Fraction(1), Fraction(0)]
    for d in range(2, max_denominator + 1):
        out += [Fraction(n, d) for n in range(1, d) if Fraction(n, d).denominator == d]
    return out


def _check_int(name, value, lo, hi, fix):
    if isinstance(value, bool) or not isinstance(value, Integral) or not lo <= value <= hi:
        raise _InvalidArgument(f"{name}={value!r} must be an integer from {lo} to {hi}; {fix}")
    return int(value)


def _check_choice(name, value, allowed):
    if value not in allowed:
        raise _InvalidArgument(f"{name}={value!r} is not one of {list(allowed)}; pass one of those")
    return value


def _check_bool(name, value):
    if not isinstance(value, bool):
        raise _InvalidArgument(f"{name}={value!r} must be True or False")
    return value


_P = sp.Symbol("p", real=True)
# Values in the parameter p that stay in [0, 1] for every p in [0, 1]; simplest first.
_P_VALUES = ("p", "1 - p", "p/2", "p**2", "(1 + p)/2")


def _value(draw, pool, parametric):
    """One likelihood or success value: a simple fraction, or (parametric) an expression in p."""
    if parametric and draw(st.booleans()):
        return draw(st.sampled_from(_P_VALUES))
    return draw(st.sampled_from(pool))


def _distribution(draw, n, *, allow_zero, parametric, uniform=False, max_weight=3):
    """``n`` exact probabilities summing to 1; shrinks towards the uniform distribution."""
    if n == 1:
        return [Fraction(1)]
    if uniform:
        return [Fraction(1, n)] * n
    if parametric and n == 2 and draw(st.booleans()):
        return ["p", "1 - p"]
    if not draw(st.booleans()):  # False is what hypothesis shrinks to: uniform
        return [Fraction(1, n)] * n
    # drawn as an offset from 1 so that shrinking (towards 0) gives weight 1 = uniform;
    # with zeros allowed the largest draw wraps round to weight 0
    weights = [(1 + draw(st.integers(0, max_weight))) % (max_weight + 1) if allow_zero
               else 1 + draw(st.integers(0, max_weight - 1)) for _ in range(n)]
    if sum(weights) == 0:
        weights[0] = 1
    total = sum(weights)
    return [Fraction(w, total) for w in weights]


@st.composite
def _graph(draw, depth, branching, outcomes, max_states, regime, merging, prior, likelihoods,
           max_denominator, parametric, min_actions):
    pool = _simple_fractions(max_denominator)
    T = draw(st.integers(1, depth))
    G = nx.MultiDiGraph(initial="s0", name="fuzz")
    if parametric:
        G.graph["parameters"] = {"p": (0, 1)}
    G.add_node("s0")
    layer = ["s0"]
    n_states = 1
    worst = branching * outcomes
    uses_p = False
    for t in range(T):
        nxt = []
        for s in layer:
            # below the root a state may stay terminal; shrinking prefers that (smaller
            # models), so T is only an upper bound on the horizon
            if t > 0 and draw(st.integers(0, 3)) == 0:  # expand w.p. ~3/4; shrinks to stop
                continue
            if n_states + worst > max_states:
                continue
            n_act = draw(st.integers(min_actions, branching))
            pri = _distribution(draw, n_act, allow_zero=True, uniform=prior == "uniform",
                                parametric=parametric and prior == "any")
            for a in range(n_act):
                if regime == "deterministic":
                    n_out = 1
                elif regime == "stochastic" and t == 0 and a == 0:
                    n_out = draw(st.integers(2, outcomes))
                else:
                    n_out = draw(st.integers(1, outcomes))
                targets = []
                for _ in range(n_out):
                    reuse = [x for x in nxt if x not in targets]
                    if merging and reuse and draw(st.booleans()):
                        targets.append(draw(st.sampled_from(reuse)))
                    else:
                        new = f"s{n_states}"
                        n_states += 1
                        targets.append(new)
                        nxt.append(new)
                probs = _distribution(draw, n_out, allow_zero=False, parametric=parametric)
                q = _value(draw, pool, parametric) if likelihoods in ("any", "steps") else Fraction(1)
                for k, (tgt, pr) in enumerate(zip(targets, probs)):
                    attrs = {"prob": pr}
                    if k == 0:
                        attrs.update(prior=pri[a], q=q)
                    G.add_edge(s, tgt, key=f"a{a}", **attrs)
                uses_p = uses_p or any(isinstance(x, str) for x in [*pri, *probs, q])
        layer = nxt
    for s in G.nodes:
        if G.out_degree(s) == 0:
            v = _value(draw, pool, parametric) if likelihoods in ("any", "leaves") else Fraction(1)
            if v != 1:
                G.nodes[s]["success"] = v
            uses_p = uses_p or isinstance(v, str)
    if parametric and not uses_p:
        # a declared parameter should matter: make the first leaf's success p
        leaf = next(s for s in G.nodes if G.out_degree(s) == 0)
        G.nodes[leaf]["success"] = "p"
    return G


def graphs(*, depth=2, branching=2, outcomes=2, max_states=30, regime="any", merging=False,
           prior="any", likelihoods="any", max_denominator=4, parametric=False, min_actions=1):
    """Random finite-horizon MDPs as :class:`networkx.MultiDiGraph` (the schema of
    :func:`proofcheck.from_graph`), layered, rooted at ``"s0"``.

    Parameters
    ----------
    depth : int
        Largest horizon ``T`` (1..8); the horizon shrinks towards 1.
    branching : int
        Largest number of actions per state (1..6); actions are ``a0, a1, ...``.
    outcomes : int
        Largest number of outcomes per action in stochastic regimes (1..4).
    max_states : int
        Bound on the number of states; a state whose children could exceed it stays terminal.
    regime : {"deterministic", "stochastic", "any"}
        See :data:`REGIMES`.
    merging : bool
        False: trees.  True: DAGs whose states may merge (an outcome may reuse a state of the
        next layer).
    prior : {"any", "uniform"}
        See :data:`PRIORS`.
    likelihoods : {"any", "leaves", "steps", "none"}
        Where likelihoods other than 1 appear: step likelihoods ``q(s, a)``, leaf success
        probabilities, both (``"any"``) or nowhere.
    max_denominator : int
        Values are fractions ``n/d`` with ``d <= max_denominator`` (1..12), plus 0 and 1.
    parametric : bool
        Let values be simple expressions in one parameter ``p`` with range ``[0, 1]``
        (``p``, ``1 - p``, ``p/2``, ``p**2``, ``(1 + p)/2``); priors and two-outcome
        transitions may be ``(p, 1 - p)``.
    min_actions : int
        Fewest actions per non-terminal state (1..branching).

    Examples
    --------
    >>> from hypothesis import find
    >>> G = find(graphs(regime="stochastic"), lambda g: True)
    >>> sorted(G.edges(keys=True))
    [('s0', 's1', 'a0'), ('s0', 's2', 'a0')]
    >>> graphs(regime="random")
    Traceback (most recent call last):
        ...
    proofcheck.strategies._InvalidArgument: regime='random' is not one of ['deterministic', 'stochastic', 'any']; pass one of those
    """
    depth = _check_int("depth", depth, 1, 8, "deep models have exponentially many trajectories")
    branching = _check_int("branching", branching, 1, 6, "pass e.g. branching=2")
    outcomes = _check_int("outcomes", outcomes, 1, 4, "pass e.g. outcomes=2")
    min_actions = _check_int("min_actions", min_actions, 1, branching,
                             "min_actions may not exceed branching")
    regime = _check_choice("regime", regime, REGIMES)
    prior = _check_choice("prior", prior, PRIORS)
    likelihoods = _check_choice("likelihoods", likelihoods, ("any", "leaves", "steps", "none"))
    merging = _check_bool("merging", merging)
    parametric = _check_bool("parametric", parametric)
    max_denominator = _check_int("max_denominator", max_denominator, 1, 12, "small denominators shrink well")
    if regime == "stochastic" and outcomes < 2:
        raise _InvalidArgument(f"regime='stochastic' needs outcomes >= 2, got outcomes={outcomes!r}; "
                               "pass outcomes=2")
    need = 1 + branching * (1 if regime == "deterministic" else outcomes)
    max_states = _check_int("max_states", max_states, need, 10_000,
                            f"the root's children need {need - 1} states; pass max_states >= {need}")
    if regime == "deterministic":
        outcomes = 1
    return _graph(depth, branching, outcomes, max_states, regime, merging, prior, likelihoods,
                  max_denominator, parametric, min_actions)


def mdps(**kwargs):
    """Random validated :class:`proofcheck.MDP` objects; the arguments of :func:`graphs`.

    Examples
    --------
    >>> from hypothesis import find
    >>> m = find(mdps(depth=2, regime="deterministic", min_actions=2), lambda m: m.horizon == 2)
    >>> m
    <MDP 'fuzz': 5 states, 4 state-action pairs, horizon 2, deterministic>
    >>> m.prior_policy()["s0"]
    {'a0': 1/2, 'a1': 1/2}
    """
    return graphs(**kwargs).map(from_graph)


@st.composite
def _policy(draw, mdp, allow_zero):
    table = {}
    for i, s in enumerate(mdp.states):
        if mdp.terminal[i]:
            continue
        acts = mdp.actions(s)
        dist = _distribution(draw, len(acts), allow_zero=allow_zero, parametric=False)
        table[s] = dict(zip(acts, dist))
    return mdp.policy(table)


def policies(mdp, *, allow_zero=True):
    """Random exact policies on ``mdp`` (shrinking towards the uniform policy).

    Examples
    --------
    >>> from hypothesis import find
    >>> from proofcheck.examples import mountain_race
    >>> find(policies(mountain_race()), lambda pol: True)["start"]
    {'up': 1/2, 'down': 1/2}
    """
    if not isinstance(mdp, MDP):
        raise _InvalidArgument(f"policies(mdp) needs a proofcheck MDP, got {type(mdp).__name__}; "
                               "build one with proofcheck.from_graph")
    _check_bool("allow_zero", allow_zero)
    return _policy(mdp, allow_zero)
