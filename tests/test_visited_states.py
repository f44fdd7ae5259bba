"""`incoherent_states` decides "visited" by support reachability (`visited_states`), not by
the exact occupancy: the same states as the occupancy-based definition it replaced, on the
bundled examples, the case files and policies with zeros."""

from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from proofcheck.engine import goal_condition, iterate_coherence
from proofcheck.engine.backends import get_backend
from proofcheck.engine.coherence import incoherent_states, soft_policy, visited_states
from proofcheck.engine.soft_values import occupancy
from proofcheck.errors import UndecidedError
from proofcheck.examples import mountain_race, stochastic_counterexample
from proofcheck.io.casefile import load_case
from proofcheck.model.mdp import Policy

ROOT = Path(__file__).resolve().parents[1]
CASES = sorted((ROOT / "cases").glob("*.toml")) + sorted((ROOT / "cases" / "found").glob("*.toml"))


def _occupancy_incoherent_states(mdp, policy, f, conventions, backend=None):
    """The definition before visited_states: states with exact occupancy != 0 where the
    policy differs from its f-soft policy."""
    B = get_backend(backend)
    soft = soft_policy(mdp, policy, f, backend=B, conventions=conventions)
    d = occupancy(mdp, policy, backend=B)
    a, b = policy.in_backend(B), soft.in_backend(B)
    bad = []
    for i in np.flatnonzero(~mdp.terminal):
        if B._is_zero(d[i]):
            continue
        lo, hi = mdp.state_ptr[i], mdp.state_ptr[i + 1]
        if any(B.compare(a[j], b[j]) != 0 for j in range(lo, hi)):
            bad.append(mdp.states[i])
    return bad


def _outcome(fn, *args, **kwargs):
    """The value, or the error a parametric comparison raises (both definitions must agree)."""
    try:
        return fn(*args, **kwargs)
    except UndecidedError as exc:
        return "undecided", str(exc)


def _first_action_policy(mdp):
    """Probability 1 on each state's first action: most states unvisited."""
    vals = np.array([sp.Integer(0)] * mdp.n_pairs, dtype=object)
    vals[mdp.state_ptr[:-1][~mdp.terminal]] = sp.Integer(1)
    return Policy(mdp, vals)


def _models():
    yield "mountain_race", mountain_race(), None
    yield "stochastic_counterexample", stochastic_counterexample(), None
    for path in CASES:
        case = load_case(path)
        yield path.name, case.mdp, case.conventions


@pytest.mark.parametrize("name, mdp, conventions", list(_models()), ids=lambda v: v if isinstance(v, str) else "")
def test_incoherent_states_equal_the_occupancy_definition(name, mdp, conventions):
    policies = [mdp.prior_policy(), goal_condition(mdp, conventions=conventions), _first_action_policy(mdp)]
    policies += iterate_coherence(mdp, 2, conventions=conventions)[1:]
    for pol in policies:
        d = occupancy(mdp, pol)
        B = get_backend(None)
        assert list(visited_states(mdp, pol)) == [not B._is_zero(v) for v in d], name
        for f in ("boltzmann", "argmax"):
            new = _outcome(incoherent_states, mdp, pol, f, conventions=conventions)
            assert new == _outcome(_occupancy_incoherent_states, mdp, pol, f, conventions), (name, f)


def test_float_backend_agrees():
    m = mountain_race()
    pol = _first_action_policy(m)
    assert list(visited_states(m, pol, backend="float")) == list(visited_states(m, pol))
    assert incoherent_states(m, pol, backend="float") == _occupancy_incoherent_states(m, pol, "boltzmann", None,
                                                                                        backend="float")
