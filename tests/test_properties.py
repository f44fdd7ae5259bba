"""Property tests: the claims of spec section 7 on random MDPs, in the regimes where they hold.

Each test states its regime.  Where a claim fails outside that regime, the counterexample
search (``proofcheck fuzz``, tests/test_fuzz_cli.py) finds and saves it; the regime
boundaries used here are the ones those searches established:

* T5.9.B holds on any dynamics with ``fold_term = "ratio"``; with ``"posterior"`` it fails
  for non-uniform priors and also for uniform priors when the number of actions differs
  between states (the shift ``log |A(s)|`` is not constant per time step).
* P4.16 holds for T = 1, deterministic dynamics and a uniform prior; it fails for
  non-uniform priors (Boltzmann coherence ignores the prior) and stochastic outcomes.
* T5.9, T5.9.A, T5.9.C, P4.3 and P4.8 are ``not-applicable`` on stochastic dynamics.

Engine-versus-brute-force properties compare dynamic programming with the independent
oracle in tests/oracle.py (plain Fraction arithmetic on the graph, trajectory enumeration).
"""

from fractions import Fraction

import oracle
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from proofcheck import from_graph, goal_condition, soft_values, success_probability
from proofcheck import strategies as pst
from proofcheck.claims.registry import Verdict, run_claim
from proofcheck.fuzzing.search import parse_conventions

QUICK = settings(max_examples=40, deadline=None, database=None, derandomize=True,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SLOW = settings(QUICK, max_examples=400)
SMALL = dict(depth=2, branching=3, max_states=16)
K4 = parse_conventions(["k_max=4"])
# the corrected fold term and the index the lemmas are proved with (the printed defaults fail them)
K4_CORRECTED = parse_conventions(["k_max=4", "fold_term=ratio", "h_indexing=zero-is-first-conditioned"])

ANY = pst.mdps(regime="any", merging=True, **SMALL)
TREES = pst.mdps(regime="any", merging=False, **SMALL)
DET = pst.mdps(regime="deterministic", merging=True, **SMALL)
STOCH = pst.mdps(regime="stochastic", merging=True, **SMALL)


def verdict(cid, mdp, conventions=None, objective=None):
    return run_claim(cid, mdp, conventions, objective).verdict


# ----------------------------------------------------------------- claims that always hold

@QUICK
@given(ANY)
def test_p42_soft_values_are_log_probabilities(mdp):
    assert verdict("P4.2", mdp) == Verdict.HOLDS


@QUICK
@given(ANY)
def test_p47_trajectory_kl_equals_causal_kl(mdp):
    assert verdict("P4.7", mdp) == Verdict.HOLDS


@QUICK
@given(ANY)
def test_p410_iterated_coherence_within_horizon(mdp):
    assert verdict("P4.10", mdp) == Verdict.HOLDS


@QUICK
@given(ANY)
def test_t59b_retraining_equals_ratio_fold_any_dynamics(mdp):
    assert verdict("T5.9.B", mdp, K4_CORRECTED) == Verdict.HOLDS


@QUICK
@given(ANY)
def test_p54_success_probability_improves(mdp):
    assert verdict("P5.4", mdp, K4, "success") == Verdict.HOLDS


@QUICK
@given(ANY)
def test_p52_existential_claim_never_fails(mdp):
    # P5.2 says some MDP exists; a model is a witness (holds) or not (undecided)
    assert verdict("P5.2", mdp) in (Verdict.HOLDS, Verdict.UNDECIDED)


# ----------------------------------------------------------------- deterministic dynamics

@QUICK
@given(DET)
def test_t59_and_lemmas_a_c_on_deterministic_mdps(mdp):
    for cid in ("T5.9", "T5.9.A", "T5.9.C"):
        assert verdict(cid, mdp, K4_CORRECTED) == Verdict.HOLDS, cid


@QUICK
@given(DET)
def test_p43_global_equals_local_on_deterministic_mdps(mdp):
    expected = Verdict.UNDECIDED if success_probability(mdp) == 0 else Verdict.HOLDS
    assert verdict("P4.3", mdp) == expected


@QUICK
@given(DET)
def test_p48_argmax_coherent_iff_greedy_on_deterministic_mdps(mdp):
    res = run_claim("P4.8", mdp, None)
    assert res.verdict in (Verdict.HOLDS, Verdict.UNDECIDED)
    if res.verdict == Verdict.UNDECIDED:  # only outside the unique-maxima hypothesis
        assert "no tested policy has unique maxima" in res.summary


@QUICK
@given(pst.mdps(depth=1, branching=3, regime="deterministic", prior="uniform"))
def test_p416_one_step_uniform_prior_deterministic(mdp):
    assert verdict("P4.16", mdp) == Verdict.HOLDS


@QUICK
@given(pst.mdps(depth=3, regime="any").filter(
    lambda m: any(m.state_ptr[i + 1] - m.state_ptr[i] > 1 for i in range(m.n_states) if m.initial[i] == 0)))
def test_p416_not_applicable_beyond_one_step(mdp):
    # a choice after the first step: not a one-step problem (forced trailing steps would be)
    assert verdict("P4.16", mdp) == Verdict.NOT_APPLICABLE


@QUICK
@given(STOCH)
def test_deterministic_claims_not_applicable_on_stochastic_mdps(mdp):
    assert not mdp.deterministic
    for cid in ("T5.9", "T5.9.A", "T5.9.C", "P4.8"):
        assert verdict(cid, mdp, K4) == Verdict.NOT_APPLICABLE, cid
    # P4.3 first needs S(prior) > 0 for the posterior to exist
    expected = Verdict.UNDECIDED if success_probability(mdp) == 0 else Verdict.NOT_APPLICABLE
    assert verdict("P4.3", mdp) == expected


# ----------------------------------------------------------------- engine vs brute force

def _graph_and_mdp(G):
    return G, from_graph(G)


@QUICK
@given(pst.graphs(regime="any", merging=True, **SMALL).map(_graph_and_mdp), st.data())
def test_soft_values_equal_trajectory_enumeration(gm, data):
    G, mdp = gm
    pol = data.draw(pst.policies(mdp))
    table = {(s, a): Fraction(str(v)) for s, row in pol.as_dict().items() for a, v in row.items()}
    sv = soft_values(mdp, pol)
    for s in mdp.states:
        assert sv.Zv(s) == sp.Rational(str(oracle.zv(G, s, table))), s
        for a in mdp.actions(s):
            assert sv.Zq(s, a) == sp.Rational(str(oracle.zq(G, s, a, table))), (s, a)


@QUICK
@given(pst.graphs(regime="deterministic", merging=False, **SMALL).map(_graph_and_mdp))
def test_goal_conditioning_equals_trajectory_posterior_on_deterministic_trees(gm):
    """G(prior)(a|s) = P(a at s | s visited, success) from the enumerated global posterior."""
    G, mdp = gm
    prior = oracle.prior_of(G)
    through_s, through_sa = {}, {}
    for path, p, lik in oracle.trajectories(G, "s0", prior):
        w = p * lik
        for i in range(0, len(path) - 1, 2):
            s, a = path[i], path[i + 1]
            through_s[s] = through_s.get(s, 0) + w
            through_sa[(s, a)] = through_sa.get((s, a), 0) + w
    pol = goal_condition(mdp)
    checked = 0
    for s, mass in through_s.items():
        if mass == 0:
            continue  # no posterior mass through s: G keeps a convention there
        for a in mdp.actions(s):
            expected = Fraction(through_sa.get((s, a), 0)) / mass
            assert pol.prob(s, a) == sp.Rational(str(expected)), (s, a)
            checked += 1
    assert checked > 0 or success_probability(mdp) == 0


# ----------------------------------------------------------------- bigger runs

@pytest.mark.slow
@SLOW
@given(pst.mdps(regime="any", merging=True, depth=3, branching=3, max_states=30))
def test_slow_claims_that_always_hold(mdp):
    for cid in ("P4.2", "P4.7", "P4.10"):
        assert verdict(cid, mdp, K4) == Verdict.HOLDS, cid
    assert verdict("T5.9.B", mdp, K4_CORRECTED) == Verdict.HOLDS  # with the corrected fold term
    assert verdict("P5.4", mdp, K4, "success") == Verdict.HOLDS


@pytest.mark.slow
@SLOW
@given(pst.mdps(regime="deterministic", merging=True, depth=3, branching=3, max_states=30))
def test_slow_deterministic_claims(mdp):
    for cid in ("T5.9", "T5.9.A", "T5.9.C"):
        assert verdict(cid, mdp, K4_CORRECTED) == Verdict.HOLDS, cid


@pytest.mark.slow
@settings(QUICK, max_examples=60)
@given(pst.mdps(regime="any", depth=2, branching=2, parametric=True))
def test_slow_parametric_models_never_fail_p42(mdp):
    assert verdict("P4.2", mdp) in (Verdict.HOLDS, Verdict.UNDECIDED)
