"""Differential tests of the fast paths behind the parametric-tree benchmark (issue 12).

* The direct reader of dump_case's ``[states]`` tables (``casefile._direct_split`` and
  ``_direct_model``) must give the model the general route gives (the whole document
  through ``_read_toml``, ``_read_states`` and ``_fast_model``), and must leave every
  unusual or wrong file to the general route (the same errors, word for word).
* The rational backend's fused pass (level-wise on polynomials, or state by state, with
  G per state) must give the values, value for value, of the generic per-level code.
"""

from __future__ import annotations

import glob
import os

import numpy as np
import pytest
import sympy as sp

from proofcheck.engine import goal_condition, soft_values, success_probability
from proofcheck.engine.backends.rational import HAVE_FLINT, RationalFunctionBackend
from proofcheck.errors import ProofcheckError
from proofcheck.examples import mountain_race, stochastic_counterexample
from proofcheck.io import casefile
from proofcheck.io.casefile import dump_case, loads_case
from proofcheck.model.conventions import Conventions
from proofcheck.model.generators import binary_tree_mdp, random_layered_mdp

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = sorted(glob.glob(os.path.join(HERE, "..", "cases", "*.toml"))
               + glob.glob(os.path.join(HERE, "..", "cases", "found", "*.toml")))


def _general(text, where="<string>"):
    """loads_case by the general route only."""
    saved = casefile._direct_split
    casefile._direct_split = lambda text: None
    try:
        return loads_case(text, where)
    finally:
        casefile._direct_split = saved


def _outcome(fn, *args):
    try:
        return "ok", fn(*args)
    except (ProofcheckError, ValueError) as exc:
        return "error", (type(exc), str(exc))


def _same_values(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert type(x) is type(y) and x == y, (x, y)


def _same_mdp(m1, m2):
    assert m1.name == m2.name and m1.tolerance == m2.tolerance
    assert m1.parameters == m2.parameters
    assert m1.states == m2.states and m1.pair_action == m2.pair_action
    assert m1.index == m2.index
    for attr in ("state_ptr", "pair_ptr", "edge_target", "pair_state", "edge_pair", "height", "terminal"):
        assert np.array_equal(getattr(m1, attr), getattr(m2, attr)), attr
    for attr in ("edge_prob", "prior", "likelihood", "success", "initial"):
        _same_values(getattr(m1, attr), getattr(m2, attr))
    assert [(b.height, b.states, b.pairs, b.edges) for b in m1.blocks] == \
        [(b.height, b.states, b.pairs, b.edges) for b in m2.blocks]
    assert m1.exact == m2.exact and m1.float_inputs == m2.float_inputs
    for s in m1.states[:50]:
        for a in m1.actions(s):
            assert m1.pair(s, a) == m2.pair(s, a)


def _same_load(text):
    k1, r1 = _outcome(loads_case, text)
    k2, r2 = _outcome(_general, text)
    assert k1 == k2, (r1, r2)
    if k1 == "error":
        assert r1 == r2
        return None
    _same_mdp(r1.mdp, r2.mdp)
    assert (r1.name, r1.title, r1.description, r1.source) == (r2.name, r2.title, r2.description, r2.source)
    assert r1.conventions == r2.conventions
    assert [(str(q), v) for q, v in r1.expectations] == [(str(q), v) for q, v in r2.expectations]
    return r1


def _models():
    out = [binary_tree_mdp(d, seed=s) for d in (1, 2, 3, 5) for s in (0, 3)]
    out += [mountain_race(), stochastic_counterexample()]
    out += [random_layered_mdp(40, 3, horizon=4, seed=s, values="exact") for s in range(3)]
    out += [random_layered_mdp(30, 2, horizon=3, seed=7, successors=2, values="exact", q_min=4)]
    return out


@pytest.mark.parametrize("k", range(len(_models())))
def test_direct_reader_matches_general_route(k):
    mdp = _models()[k]
    _same_load(dump_case(mdp))  # (the stochastic one repeats an outcome: both routes refuse it)


def test_direct_reader_takes_the_tree():
    text = dump_case(binary_tree_mdp(4, seed=1))
    assert casefile._direct_split(text) is not None
    _same_load(text)


@pytest.mark.parametrize("path", CASES, ids=os.path.basename)
def test_direct_reader_on_bundled_cases(path):
    with open(path, encoding="utf-8") as fh:
        _same_load(fh.read())


def _tree_text():
    return dump_case(binary_tree_mdp(3, seed=2),
                     conventions=Conventions(impossible="uniform"),
                     expectations=[("S(p)", "1/2")])


@pytest.mark.parametrize("edit", [
    lambda t: t,
    lambda t: t.replace('[states.3.actions.L]', '[states.4.actions.L]', 1),  # a table twice
    lambda t: t.replace('[states.13]\nsuccess', '[states.14]\nsuccess', 1),  # a terminal twice
    lambda t: t.replace('next = "7"', 'next = "77"', 1),  # undeclared next
    lambda t: t.replace('next = "7"', 'next = "8"', 1),  # two actions to one state, 7 unreachable
    lambda t: t.replace('prior = "p"', 'prior = "q"', 1),  # unknown symbol
    lambda t: t.replace('prior = "p"', 'prior = "p +"', 1),  # parse error
    lambda t: t.replace('prior = "p"', 'prior = "2"', 1),  # out of range
    lambda t: t.replace('prior = "p"', 'prior = "0.5"', 1),  # a float, sums off
    lambda t: t.replace('prior = "1 - p"', 'prior = "1 - p"\nq = "1/2"', 1),  # q
    lambda t: t.replace('prior = "1 - p"', 'prior = "1 - p"\nq = "2"', 1),  # q out of range
    lambda t: t.replace('prior = "1 - p"', 'prior = "1 - p"\nreward = "-1"', 1),  # reward
    lambda t: t.replace('[states.14]\nsuccess = ', '[states.14]\ninitial = "0"\nsuccess = ', 1),
    lambda t: t.replace('[states.14]\nsuccess = "', '[states.14]\nsuccess = "1/2"\n\n[states.6]\nsuccess = "', 1),
    lambda t: t.replace('[states.14]\nsuccess = ', '[states.14.actions.X]\nnext = "0"\nprior = "1"\n\n'
                        '[states.14]\nsuccess = ', 1),  # a cycle and success with actions
    lambda t: t.replace('initial = "0"', 'initial = "00"', 1),
    lambda t: t.replace('initial = "0"\n', '', 1),
    lambda t: t.replace('initial = "0"\n', 'allow_unreachable = true\nimplicit_terminals = true\n', 1),
    lambda t: t.replace('[mdp]', '[states]\n\n[mdp]', 1),
    lambda t: t.replace('[mdp]', 'states = 1\n\n[mdp]', 1),
    lambda t: t.replace('[expect]', 'stray = "x"\n\n[expect]', 1),
    lambda t: t.replace('[expect]', '[states.3.actions.Z]\nnext = "0"\nprior = "0"\n\n[expect]', 1),
    lambda t: t.replace('[expect]', '[expect]\n[expect]', 1),
    lambda t: t.replace('[expect]', '[bogus]\n\n[expect]', 1),
    lambda t: t.replace('name = ', 'nme = ', 1),
    lambda t: t.replace('\n', '\r\n'),
    lambda t: t.rstrip("\n"),
    lambda t: t.replace('next = "7"', 'next = "7\\u0000"', 1),
    lambda t: t.replace('next = "7"', 'next = "7\u2028"', 1),
    lambda t: t.replace('next = "7"', 'next = ""', 1),
    lambda t: t.replace('prior = "p"', 'prior = ""', 1),
    lambda t: t.replace('[states.3.actions.L]', '[states."3".actions.L]', 1),
    lambda t: t.replace('[states.3.actions.L]', '[states.3.actions.L]  # comment', 1),
    lambda t: t.replace('p = { min = "0", max = "1" }', 'p = { min = "0", max = "1/2" }', 1),
    lambda t: t.replace('[parameters]\np = { min = "0", max = "1" }\n', '', 1),
])
def test_direct_reader_edits(edit):
    _same_load(edit(_tree_text()))


# ---------------------------------------------------------------------------- fused pass

class _Generic(RationalFunctionBackend):
    """The rational backend without its fused pass: the generic per-level code."""

    def fused_pass(self, mdp, pi, q, success, **kw):
        return None


def _same_numbers(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert x == y, (x, y)
        if hasattr(x, "v"):
            assert (x.n, x.d is None) == (y.n, y.d is None) and (x.d is None or x.d == y.d)
            assert x.v == y.v


def _fused_models():
    """Factories (a fresh model per call: nothing cached in it)."""
    prior_case = os.path.join(HERE, "..", "cases", "parametric_prior.toml")
    out = [lambda d=d, s=s: binary_tree_mdp(d, seed=s) for d in (1, 2, 4, 6) for s in (0, 1)]
    return out + [
        lambda: binary_tree_mdp(4, seed=5),
        lambda: random_layered_mdp(40, 3, horizon=4, seed=2, values="exact", q_min=3),
        lambda: random_layered_mdp(30, 2, horizon=3, seed=7, successors=2, values="exact"),
        mountain_race, stochastic_counterexample,
        lambda: loads_case(open(prior_case, encoding="utf-8").read()).mdp]


@pytest.mark.skipif(not HAVE_FLINT, reason="python-flint is not installed")
@pytest.mark.parametrize("k", range(len(_fused_models())))
@pytest.mark.parametrize("impossible", ["keep", "uniform"])
def test_fused_pass_matches_generic(k, impossible):
    make = _fused_models()[k]
    mdp = make()
    conv = Conventions(impossible=impossible)
    B, ref = RationalFunctionBackend(), _Generic()
    S = success_probability(mdp, backend=B)
    G = goal_condition(mdp, backend=B, conventions=conv)
    sv = soft_values(mdp, backend=B)
    S0 = success_probability(mdp, backend=ref)
    G0 = goal_condition(mdp, backend=ref, conventions=conv)
    sv0 = soft_values(mdp, backend=ref)
    assert S == S0 and B.to_sympy(S) == ref.to_sympy(S0)
    _same_numbers(G.values, G0.values)
    _same_numbers(sv.zq, sv0.zq)
    _same_numbers(sv.zv, sv0.zv)
    assert [B.to_sympy(x) for x in G.values] == [ref.to_sympy(x) for x in G0.values]
    # a fresh model: goal_condition first, then S from the cached pass
    fresh = make()
    G1 = goal_condition(fresh, backend=B, conventions=conv)
    _same_numbers(G1.values, G0.values)
    assert success_probability(fresh, backend=B) == S0


@pytest.mark.skipif(not HAVE_FLINT, reason="python-flint is not installed")
def test_fused_pass_cache_is_not_shared_with_callers():
    mdp = binary_tree_mdp(3, seed=0)
    B = RationalFunctionBackend()
    sv = soft_values(mdp, backend=B)
    zv0 = sv.zv[0]
    sv.zv[0] = B.zero
    sv.zq[:] = B.zero
    again = soft_values(mdp, backend=B)
    assert again.zv[0] == zv0 and again.zv[0] != B.zero
    assert success_probability(mdp, backend=B) == zv0


@pytest.mark.skipif(not HAVE_FLINT, reason="python-flint is not installed")
def test_fused_pass_other_policy_and_likelihood():
    mdp = binary_tree_mdp(4, seed=2)
    B, ref = RationalFunctionBackend(), _Generic()
    pi = goal_condition(mdp, backend=B)
    for backend in (B, ref):
        assert [backend.to_sympy(x) for x in goal_condition(mdp, pi, backend=backend).values] == \
            [ref.to_sympy(x) for x in goal_condition(mdp, pi, backend=ref).values]
    half = B.array([sp.Rational(1, 2)] * mdp.n_pairs)
    a = soft_values(mdp, backend=B, likelihood=half)
    b = soft_values(mdp, backend=ref, likelihood=half)
    _same_numbers(a.zv, b.zv)
