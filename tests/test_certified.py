"""Certified comparisons and the certified numeric P5.4 check.

The certified verdicts are checked against exact comparisons (the exact engine), an
independent route: the interval backend must reach the same verdict, and the same
first violation, or say undecided.
"""

import mpmath
import pytest
import sympy as sp

from proofcheck.claims import run_claims
from proofcheck.claims.numeric import certified_return_improvement
from proofcheck.examples import mountain_race, stochastic_counterexample
from proofcheck.model import Conventions
from proofcheck.model.generators import random_layered_mdp
from proofcheck.numerics.certified import certified_compare, certified_geq, certify_monotone, enclosure

iv = mpmath.iv


def test_compare_disjoint_overlapping_points_and_infinities():
    assert certified_compare(iv.mpf([1, 2]), iv.mpf([2.5, 3])) == -1
    assert certified_compare(iv.mpf([2.5, 3]), iv.mpf([1, 2])) == 1
    assert certified_compare(iv.mpf([1, 2]), iv.mpf([1.5, 3])) is None  # straddles: undecided
    assert certified_compare(sp.Rational(1, 4), 0.25) == 0
    # 1/3 is not a binary number: its enclosure has width, so equality is never claimed
    assert certified_compare(sp.Rational(1, 3), sp.Rational(1, 3)) is None
    assert certified_compare(-sp.oo, -sp.oo) == 0
    assert certified_compare(-sp.oo, iv.mpf([-1e308, 5])) == -1
    assert certified_geq(iv.mpf([2, 3]), iv.mpf([1, 2])) is True
    assert certified_geq(iv.mpf([0, 1]), iv.mpf([2, 3])) is False
    lo, hi = enclosure(sp.Rational(1, 3))

    def exact(x):  # an mpf is man * 2**exp exactly
        return sp.Integer(int(x.man)) * sp.Integer(2) ** int(x.exp)

    assert exact(lo) < sp.Rational(1, 3) < exact(hi)


def test_monotone_verdicts():
    up = [iv.mpf([0, 1]), iv.mpf([1, 2]), iv.mpf([5, 6])]
    assert certify_monotone(up).verdict == "holds"  # touching at 1: weakly certain
    assert certify_monotone(up, strict=True).verdict == "undecided"
    down = [iv.mpf([0, 1]), iv.mpf([2, 3]), iv.mpf([4, 5]), iv.mpf([-2, -1])]
    v = certify_monotone(down)
    assert v.verdict == "fails" and v.first_violation == 2
    assert certify_monotone(list(reversed(down)), increasing=False).verdict == "fails"
    assert certify_monotone([iv.mpf([5, 6]), iv.mpf([1, 2])], increasing=False).verdict == "holds"


@pytest.mark.parametrize("build", [mountain_race, stochastic_counterexample])
@pytest.mark.parametrize("objective", ["return", "success"])
def test_certified_p54_agrees_with_exact_check_on_paper_examples(build, objective):
    m = build()
    conv = Conventions(k_max=6)
    exact = [r for r in run_claims(m, conv, ["P5.4"]) if r.objective == objective][0]
    cert = certified_return_improvement(m, 6, dps=40, objective=objective, conventions=conv)
    assert cert.verdict == exact.verdict
    assert cert.claim_id == "P5.4.certified" and "interval" in cert.route
    assert cert.objective == objective and cert.conventions == conv.as_dict() and cert.scope == "i = 0..5"


def test_certified_p54_finds_the_exact_counterexample_also_from_float_inputs():
    # a stochastic random model on which J decreases (found by a float scan, confirmed exactly)
    kw = dict(horizon=2, seed=149, successors=2)
    em = random_layered_mdp(7, 2, values="exact", **kw)
    fm = random_layered_mdp(7, 2, values="float", **kw)
    conv = Conventions(k_max=7)
    exact = [r for r in run_claims(em, conv, ["P5.4"]) if r.objective == "return"][0]
    assert exact.verdict.value == "fails"
    i = exact.counterexample["i"]
    for m in (em, fm):
        cert = certified_return_improvement(m, 7, dps=50, conventions=conv)
        assert cert.verdict.value == "fails"
        assert cert.counterexample["i"] == i
    assert "float64 as stored" in certified_return_improvement(fm, 2, dps=30).route


def test_low_precision_gives_undecided_not_a_guess():
    # J(pi^G_k) on Example 3 increases by ever smaller steps; at 3 digits the enclosures
    # of late steps overlap, so the verdict must be undecided (never holds or fails by rounding)
    exact = [x for x in run_claims(stochastic_counterexample(), Conventions(k_max=30), ["P5.4"])
             if x.objective == "return"][0]
    assert exact.verdict.value == "holds"
    low = certified_return_improvement(stochastic_counterexample(), 30, dps=3)
    assert low.verdict.value == "undecided" and "raise dps" in low.summary
    high = certified_return_improvement(stochastic_counterexample(), 30, dps=30)
    assert high.verdict.value == "holds"
