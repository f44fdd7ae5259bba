"""Limit claims P4.13, C4.14, C4.15, P5.5, C5.10, C5.11, D.1 on hand-analysed models."""

import mpmath
import networkx as nx
import sympy as sp

from proofcheck import from_graph
from proofcheck.claims import CLAIMS, run_claims
from proofcheck.claims.limits import boltzmann_limit, limit_incoherence, retraining_limit, return_entropy_curves
from proofcheck.engine import goal_condition, incoherence, optimal_policy
from proofcheck.examples import mountain_race, stochastic_counterexample
from proofcheck.model.conventions import Conventions
from proofcheck.symbolic.closed_forms import ALPHA

R = sp.Rational
IDS = ["P4.13", "C4.14", "C4.15", "P5.5", "C5.10", "C5.11", "D.1"]


def _by_label(results):
    return {r.label: r for r in results}


def gamble():
    """One state; ``a`` reaches success 1 or 1/100 with probability 1/2 each, ``b`` success 1/2.

    By hand: S(a) = 101/200 > S(b) = 1/2, but J(a) = log(1/100)/2 = -2.30 < J(b) = log(1/2):
    S prefers a, J prefers b.
    """
    G = nx.MultiDiGraph(initial="s")
    G.add_edge("s", "win", key="a", prior=R(1, 2), prob=R(1, 2))
    G.add_edge("s", "poor", key="a", prob=R(1, 2))
    G.add_edge("s", "half", key="b", prior=R(1, 2))
    G.nodes["poor"]["success"] = R(1, 100)
    G.nodes["half"]["success"] = R(1, 2)
    return from_graph(G)


def test_registered():
    run_claims(mountain_race(), ids=["D.1"])
    assert all(i in CLAIMS for i in IDS)


def test_mountain_race_verdicts():
    res = _by_label(run_claims(mountain_race(), ids=IDS))
    assert res["P4.13"].verdict.value == "holds"
    for o in ("J", "S"):
        assert res[f"C4.14 [{o}]"].verdict.value == "holds"
        assert res[f"C4.15 [{o}]"].verdict.value == "holds"
        assert res[f"P5.5 [{o}]"].verdict.value == "holds"
    # the prior is not optimal and its zero-temperature Boltzmann limit goes to the forest
    assert "its limit is not optimal" in res["C4.14 [S]"].summary
    assert res["C5.10"].verdict.value == "fails"
    assert res["C5.11"].verdict.value == "fails"
    # D.1 is about the appendix-D example; elsewhere it is evaluated but not applicable
    assert res["D.1"].verdict.value == "not-applicable" and "not the appendix-D example" in res["D.1"].summary
    assert res["D.1"].evidence


def test_zero_temperature_limits_by_hand():
    m = mountain_race()
    # prior: Zq(start, up) = Zv(mountain) = 1/2 < Zq(start, down) = 3/4
    assert boltzmann_limit(m, m.prior_policy()).prob("start", "down") == 1
    # start: down, forest: up, mountain: down. Greedy at start (Zq 0 vs 3/4); the forest
    # actions tie (3/4) so the limit is uniform there: KL(delta_up || uniform) = log 2.
    pol = m.policy({"start": {"down": 1}, "forest": {"up": 1}, "mountain": {"down": 1}})
    assert limit_incoherence(m, pol) == sp.log(2)
    # the prior goes to the chasm (Zq = 0): kappa_delta(prior) = +oo at every delta
    assert limit_incoherence(m, m.prior_policy()) == sp.oo
    # G(prior) puts 3/5 on down although Zq_G(start, up) = 1 > 3/4: +oo in the limit,
    # finite at each delta and growing like 1/delta
    g = goal_condition(m)
    assert limit_incoherence(m, g) == sp.oo
    k1 = incoherence(m, g, "boltzmann", backend="mpmath:50", delta=R(1, 100))
    k2 = incoherence(m, g, "boltzmann", backend="mpmath:50", delta=R(1, 1000))
    assert mpmath.isfinite(k2) and k2 > 5 * k1


def test_retraining_limit():
    lim, note = retraining_limit(mountain_race(), Conventions())
    assert lim.prob("start", "up") == 1 and lim.prob("forest", "up") == R(1, 2)
    # stochastic: pi^G_k(a1) = 1/(1 + (6/5)^k) -> 0 (hand), the limit is a2
    lim, note = retraining_limit(stochastic_counterexample(), Conventions())
    assert lim.prob("start", "a2") == 1 and note.startswith("exact")


def test_stochastic_example_verdicts():
    res = _by_label(run_claims(stochastic_counterexample(), ids=IDS))
    assert res["P5.5 [S]"].verdict.value == "holds" and res["P5.5 [J]"].verdict.value == "holds"
    assert res["C5.10"].verdict.value == "not-applicable"
    assert res["C5.11"].verdict.value == "not-applicable"
    assert res["D.1"].verdict.value == "not-applicable" and "stochastic" in res["D.1"].summary


def test_objective_matters_under_stochastic_dynamics():
    m = gamble()
    res = _by_label(run_claims(m, ids=["C4.14", "C4.15", "P5.5"]))
    # S: the G-iterates concentrate on argmax Zq = a, which is S-optimal ...
    assert res["P5.5 [S]"].verdict.value == "holds"
    # ... and J-suboptimal
    assert res["P5.5 [J]"].verdict.value == "fails"
    # the J-optimal policy (always b) is not greedy on its own soft Q (Zq(a) = 101/200 > 1/2)
    assert res["C4.14 [J]"].verdict.value == "fails"
    assert res["C4.15 [J]"].verdict.value == "fails"
    assert limit_incoherence(m, optimal_policy(m, "return")) == sp.oo
    assert res["C4.14 [S]"].verdict.value == "holds"
    assert res["C4.15 [S]"].verdict.value == "holds"


def test_c510_numbers_by_hand():
    m = mountain_race()
    J, H = return_entropy_curves(m)
    # by hand: the trajectory posterior at alpha puts (1/4) on gold (log q = 0) and
    # (1/2)(3/4)^alpha on the silvers (log q = log 3/4)
    w = R(1, 2) * R(3, 4) ** ALPHA
    hand = w * sp.log(R(3, 4)) / (R(1, 4) + w)
    for a in (1, 2, 5):
        assert abs(sp.N(J.subs(ALPHA, a) - hand.subs(ALPHA, a), 30)) < 1e-25
    res = run_claims(m, ids=["C5.10"])[0]
    row = next(r for r in res.evidence if r["quantity"] == "k = 10")
    with mpmath.workdps(30):
        f = sp.lambdify(ALPHA, hand, "mpmath")
        expected = f(10) - f(9)
    assert abs(mpmath.mpf(row["Delta J_k"]) - expected) < 1e-9
    # improvements shrink geometrically with ratio 3/4 (the second base over the first)
    rate = mpmath.mpf(res.counterexample["Delta J_{k+1}/Delta J_k"])
    assert abs(rate - mpmath.mpf(3) / 4) < 1e-6


def test_c511_paths():
    res = run_claims(mountain_race(), ids=["C5.11"])[0]
    # i fixed, delta -> 0: pi^G_i keeps mass ~ 2 (3/4)^i on the forest, off argmax Q: +oo
    assert res.counterexample["i fixed, delta -> 0"] == "+oo"
    # along delta = 2^-i the off-argmax term ~ (3/4)^i / delta = (3/2)^i grows
    assert any("delta = 2^-i" in p for p in res.counterexample["failing paths"])
    assert "-> 0 along delta = 1/i" in res.summary
    # delta fixed, i -> inf, then delta -> 0: the limit policy is greedy with a unique argmax
    assert res.counterexample["iterated limit"] == "0"


def test_p55_not_applicable_without_full_support():
    from test_symbolic import dead_state_model
    res = _by_label(run_claims(dead_state_model(), ids=["P5.5"]))
    assert res["P5.5 [S]"].verdict.value == "not-applicable"
    # the limit avoids the dead branch x (S = 0 there under the prior's support) and goes to y
    lim, _ = retraining_limit(dead_state_model(), Conventions())
    assert lim.prob("r", "b") == 1


def test_c510_resolves_fast_decaying_improvements_with_more_digits():
    # pi^G_k ∝ ((1/2)**k, (1/8)**k): Delta J_k decays like (1/4)**k, i.e. ~1e-96 at k = 160,
    # below 80-digit resolution of J ~ log(1/2); the check must raise its precision and
    # measure the ratio Delta J_161 / Delta J_160 = 1/4 instead of dividing 0 by 0
    import proofcheck as pc
    from proofcheck.claims import Verdict, run_claims
    case = pc.loads_case(
        '[mdp]\ninitial = "s0"\n'
        '[states.s0.actions.a0]\nnext = "s1"\nprior = "1/2"\n'
        '[states.s0.actions.a1]\nnext = "s2"\nprior = "1/2"\nq = "1/2"\n'
        '[states.s1]\nsuccess = "1/2"\n[states.s2]\nsuccess = "1/4"\n')
    (r,) = run_claims(case, ids=["C5.10"])
    assert r.verdict is Verdict.FAILS
    assert r.counterexample["Delta J_{k+1}/Delta J_k"].startswith("0.25")
