"""Differential tests: ``proofcheck.exact.regions.Region`` against SymPy's sets, and
``parametric_condition`` / ``conjunction`` against brute-force evaluation of the relation.

Regions are random unions of up to four intervals (open or closed ends) and points with
end points in [-2, 2]: quarters, and sometimes the algebraic numbers sqrt(2) and
+-sqrt(2)/2 as ``CRootOf``.  Membership is compared at every end point, at a rational
point inside every gap between consecutive end points and outside all of them; with
those samples, agreement everywhere means equality of the sets.
"""

from fractions import Fraction
from functools import lru_cache

import pytest
import sympy as sp
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from proofcheck.exact.conditions import RELATIONS, conjunction, parametric_condition
from proofcheck.exact.regions import Region, less

QUICK = settings(max_examples=45, deadline=None, database=None, derandomize=True,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                        HealthCheck.filter_too_much])
SLOW = settings(QUICK, max_examples=1000)

x = sp.Symbol("x")
SQRT2 = sp.CRootOf(x ** 2 - 2, 1)
HALF_SQRT2 = sp.CRootOf(2 * x ** 2 - 1, 1)
MINUS_HALF_SQRT2 = sp.CRootOf(2 * x ** 2 - 1, 0)
ALGEBRAIC = [SQRT2, HALF_SQRT2, MINUS_HALF_SQRT2]
QUARTERS = st.integers(-8, 8).map(lambda n: sp.Rational(n, 4))
ENDS = st.one_of(QUARTERS, QUARTERS, QUARTERS, st.sampled_from(ALGEBRAIC))


@lru_cache(maxsize=None)
def value(v):
    """A 50-digit value; the numbers here differ by more than 1e-3 unless identical."""
    return sp.N(v, 50)


def ordered(points):
    out = []
    for v in points:
        if not any(v == w for w in out):
            out.append(v)
    return sorted(out, key=value)


def rational_inside(u, v):
    """A rational strictly between u < v (at least 0.04 apart here)."""
    m = sp.Rational(round(float((value(u) + value(v)) / 2) * 10 ** 6), 10 ** 6)
    assert value(u) < m < value(v)
    return m


def samples(points):
    """Every break point, a rational in every gap between them and one outside on each side."""
    pts = ordered(list(points) + [sp.Integer(-3), sp.Integer(3)])
    return pts + [rational_inside(u, v) for u, v in zip(pts, pts[1:])]


@st.composite
def pieces(draw):
    """Up to four pieces ``(lo, hi, lo_closed, hi_closed)``, each a non-empty interval or a point."""
    out = []
    for _ in range(draw(st.integers(0, 4))):
        a, b = draw(ENDS), draw(ENDS)
        if a == b or draw(st.integers(0, 4)) == 0:
            out.append((a, a, True, True))
            continue
        lo, hi = (a, b) if value(a) < value(b) else (b, a)
        out.append((lo, hi, draw(st.booleans()), draw(st.booleans())))
    return out


def sympy_set(ps):
    return sp.Union(*[sp.FiniteSet(lo) if lo == hi else sp.Interval(lo, hi, not lc, not hc) for lo, hi, lc, hc in ps])


def sympy_member(s, t):
    """The reference membership: SymPy decides ``t in s`` (slow: a few ms a call)."""
    got = s.contains(t)
    assert got in (sp.true, sp.false), f"SymPy left {t} in {s} undecided: {got}"
    return got == sp.true


def member(s, t):
    """``t in s`` for a SymPy union of intervals and finite sets, read off its structure
    (numbers compared by their 50-digit values, equal only when identical: every number
    here is a quarter, sqrt(2) or +-sqrt(2)/2)."""
    if s == sp.S.EmptySet:
        return False
    if isinstance(s, sp.Union):
        return any(member(a, t) for a in s.args)
    if isinstance(s, sp.FiniteSet):
        return any(t == v for v in s.args)
    assert isinstance(s, sp.Interval), s
    above = (t == s.start and not s.left_open) or value(s.start) < value(t)
    below = (t == s.end and not s.right_open) or value(t) < value(s.end)
    return above and below


def ends_of(*piece_lists):
    return [e for ps in piece_lists for lo, hi, _, _ in ps for e in (lo, hi)]


REGIONS = pieces()


# ----------------------------------------------------------------- single regions

@QUICK
@given(REGIONS)
def test_region_membership_and_round_trip(ps):
    s = sympy_set(ps)
    a = Region.from_pieces(ps)
    assert Region.from_sympy(s) == a
    assert Region.from_sympy(a.to_sympy()) == a
    pts = samples(ends_of(ps))
    for t in pts:
        assert a.contains(t) == member(s, t), f"{t} in {s}"
        assert member(a.to_sympy(), t) == member(s, t), f"{t} in {s} vs {a.to_sympy()}"
    for t in ordered(ends_of(ps)):
        assert a.contains(t) == sympy_member(s, t), f"{t} in {s}"
    # isolated points: in the set, with the gaps on both sides outside it
    iso = [t for i, t in enumerate(ordered(ends_of(ps) + [sp.Integer(-3), sp.Integer(3)]))
           if member(s, t)]
    brk = ordered(ends_of(ps) + [sp.Integer(-3), sp.Integer(3)])
    isolated = []
    for t in iso:
        i = brk.index(t)
        if not member(s, rational_inside(brk[i - 1], t)) and not member(s, rational_inside(t, brk[i + 1])):
            isolated.append(t)
    assert ordered(a.points()) == isolated
    assert a.is_points() == (s.measure == 0)
    assert bool(a) == (s != sp.S.EmptySet)


@QUICK
@given(REGIONS, REGIONS)
def test_region_algebra_matches_sympy_sets(pa, pb):
    sa, sb = sympy_set(pa), sympy_set(pb)
    a, b = Region.from_pieces(pa), Region.from_pieces(pb)
    pts = samples(ends_of(pa, pb))
    for op, ref in (("&", sp.Intersection(sa, sb)), ("|", sp.Union(sa, sb)), ("-", sp.Complement(sa, sb))):
        got = a & b if op == "&" else a | b if op == "|" else a - b
        for t in pts:
            want = member(sa, t) and member(sb, t) if op == "&" else (
                member(sa, t) or member(sb, t) if op == "|" else member(sa, t) and not member(sb, t))
            assert got.contains(t) == want, f"{t}: ({sa}) {op} ({sb}) = {got}"
            assert member(got.to_sympy(), t) == want
            if isinstance(ref, (sp.Union, sp.Interval, sp.FiniteSet)) or ref == sp.S.EmptySet:
                assert member(ref, t) == want  # SymPy's own set operation, read pointwise
        try:
            exact = Region.from_sympy(ref)
        except TypeError:  # SymPy left the set in another form
            continue
        assert exact == got, f"({sa}) {op} ({sb}): {got} != {ref}"
    same = all(member(sa, t) == member(sb, t) for t in pts)
    assert (a == b) == same
    assert (a == b) == (hash(a) == hash(b)) or a != b
    assert Region.union([a, b]) == a | b


@QUICK
@given(REGIONS, REGIONS, REGIONS)
def test_region_laws(pa, pb, pc):
    a, b, c = Region.from_pieces(pa), Region.from_pieces(pb), Region.from_pieces(pc)
    assert a & (b | c) == (a & b) | (a & c)
    assert a - (b | c) == (a - b) - c
    assert (a - b) | (a & b) == a
    assert a | b == b | a and a & b == b & a


@pytest.mark.parametrize("ps", [
    [], [(sp.Integer(0), sp.Integer(1), True, True)], [(sp.Integer(0), sp.Integer(1), False, False),
                                                       (sp.Integer(1), sp.Integer(2), False, True)],
    [(sp.Integer(0), sp.Integer(1), True, False), (sp.Integer(1), sp.Integer(1), True, True)],
    [(HALF_SQRT2, SQRT2, True, False), (sp.Integer(1), sp.Integer(2), True, True)],
    [(MINUS_HALF_SQRT2, MINUS_HALF_SQRT2, True, True), (sp.Rational(-1, 2), HALF_SQRT2, False, True)],
])
def test_region_hand_picked(ps):
    s = sympy_set(ps)
    a = Region.from_pieces(ps)
    assert Region.from_sympy(s) == a
    for t in samples(ends_of(ps)):
        assert a.contains(t) == member(s, t)


@QUICK
@given(ENDS, ENDS)
def test_less_is_exact_order(a, b):
    assert less(a, b) == bool(value(a) < value(b))
    assert less(a, b) == bool(sp.Lt(a, b))


# ----------------------------------------------------------------- conditions

p = sp.Symbol("p", real=True)
ROOTS = st.integers(-2, 6).map(lambda n: sp.Rational(n, 4))
FACTORS = st.one_of(ROOTS.map(lambda r: p - r), ROOTS.map(lambda r: p - r),
                    st.sampled_from([2 * p ** 2 - 1, 3 * p ** 2 - 1, p ** 2 + 1, p ** 2 - p - sp.Rational(1, 4),
                                     4 * p ** 2 - 4 * p + 1]))
COEFFS = st.builds(sp.Rational, st.integers(-3, 3).filter(bool), st.integers(1, 3))


@st.composite
def rational_functions(draw):
    """A rational function of p with roots and poles in and around [0, 1] (repeated,
    irrational, shared by numerator and denominator), sometimes a random expression."""
    if draw(st.integers(0, 3)) == 0:
        leaves = st.one_of(st.just(p), st.just(p), COEFFS)
        e = draw(st.recursive(leaves, lambda c: st.one_of(
            st.tuples(c, c).map(lambda t: t[0] + t[1]), st.tuples(c, c).map(lambda t: t[0] - t[1]),
            st.tuples(c, c).map(lambda t: t[0] * t[1]), st.tuples(c, c).map(lambda t: t[0] / t[1])), max_leaves=6))
        assume(not e.has(sp.zoo, sp.nan, sp.oo, -sp.oo))
        return e
    num = sp.Mul(*draw(st.lists(FACTORS, max_size=3)))
    den = sp.Mul(*draw(st.lists(FACTORS, max_size=2)))
    return draw(COEFFS) * num / den


def _split(poly):
    """``(c, P)`` with ``poly = c * P(p)``: c a constant (a rational, or a rational multiple
    of a logarithm) and P's coefficients (rationals, highest degree first) with P monic."""
    if not poly.has(p):
        return poly, [Fraction(1)]
    coeffs = sp.Poly(poly, p).all_coeffs()
    ratios = [sp.cancel(c / coeffs[0]) for c in coeffs]
    assert all(r.is_Rational for r in ratios), coeffs
    return coeffs[0], [Fraction(int(r.p), int(r.q)) for r in ratios]


@lru_cache(maxsize=None)
def reduced(f):
    """f in lowest terms by ``sympy.cancel`` (the reference route), as ``(s, N, D)``: the
    sign s of its constant factor and the monic rational polynomials N, D with
    ``f = |c| * s * N / D``."""
    num, den = sp.fraction(sp.cancel(sp.together(f)))
    (cn, pn), (cd, pd) = _split(num), _split(den)
    sign = 0 if num == 0 else 1 if bool(cn / cd > 0) else -1
    return sign, tuple(pn), tuple(pd)


def _horner(coeffs, t):
    out = Fraction(0)
    for c in coeffs:
        out = out * t + c
    return out


def reference_holds(f, relation, t):
    """Whether ``f(t) <relation> 0`` at the rational t, or None at a pole (a root of the
    denominator of f in lowest terms: a removable singularity of the expression as written
    is decided by its continuous extension, as the conditions do)."""
    sign, pn, pd = reduced(f)
    t = Fraction(int(t.p), int(t.q))
    d = _horner(pd, t)
    if d == 0:
        return None
    v = _horner(pn, t) / d
    return bool(RELATIONS[relation](sign * ((v > 0) - (v < 0))))


def _roots(coeffs):
    """The real roots of a rational polynomial, as ``CRootOf`` (as the conditions write
    them) or rationals."""
    if len(coeffs) == 1:
        return []
    P = sp.Poly([sp.Rational(c.numerator, c.denominator) for c in coeffs], p, domain="QQ")
    return P.clear_denoms(convert=True)[1].real_roots(radicals=False)


def critical_points(f):
    """The real roots of the numerator and denominator of f in lowest terms, and the
    denominator's roots (the poles)."""
    _, pn, pd = reduced(f)
    poles = _roots(pd)
    return ordered(_roots(pn) + poles), poles


def condition_samples(fs):
    pts = [sp.Integer(0), sp.Integer(1), sp.Rational(-1, 4), sp.Rational(5, 4)]
    pts += [sp.Rational(k, 12) for k in range(13)]
    for f in fs:
        pts += [r for r in critical_points(f)[0] if -3 < value(r) < 3]
    return [t for t in samples(pts) if t.is_Rational]


RELATION = st.sampled_from(sorted(RELATIONS))
RHS = st.one_of(st.just(sp.Integer(0)), st.builds(sp.Rational, st.integers(-2, 2), st.integers(1, 3)))
CONSTANT = st.sampled_from([sp.Integer(1), sp.Integer(1), sp.log(2), sp.log(sp.Rational(3, 4))])


def check_condition(c, f, relation, exact_roots=True):
    """``c`` (a derived condition on [0, 1]) holds exactly where ``f <relation> 0``; with
    ``exact_roots`` also at the exact (``CRootOf``) roots of f."""
    assert c.derived, c.reason
    for t in condition_samples([f]):
        want = reference_holds(f, relation, t)
        if want is None:
            assert not c.region.contains(t), f"{t} is a pole of {f}"
            continue
        inside = 0 <= t <= 1
        assert c.region.contains(t) == (want and inside), f"{f} {relation} 0 at p = {t}: {c.text}"
    roots, poles = critical_points(f)
    for r in roots if exact_roots else [r for r in roots if r.is_Rational]:  # exact roots
        if not (0 <= value(r) <= 1):
            assert not c.region.contains(r)
        elif any(r == s for s in poles):
            assert not c.region.contains(r), f"pole {r} of {f} in {c.text}"
        else:
            assert c.region.contains(r) == bool(RELATIONS[relation](0)), f"root {r} of {f}: {c.text}"
    if c.witness_inside is not None:
        assert reference_holds(f, relation, c.witness_inside) and c.region.contains(c.witness_inside)
    if c.witness_outside is not None:
        assert not c.region.contains(c.witness_outside)
        assert reference_holds(f, relation, c.witness_outside) is False


@QUICK
@given(rational_functions(), RELATION, RHS, CONSTANT)
def test_parametric_condition_against_brute_force(f, relation, rhs, constant):
    lhs = constant * f + rhs if constant == 1 else constant * f
    rhs = rhs if constant == 1 else sp.Integer(0)
    c = parametric_condition(lhs, relation, rhs, {p: (0, 1)})
    check_condition(c, lhs - rhs, relation)


@QUICK
@given(st.lists(st.tuples(rational_functions(), RELATION), min_size=1, max_size=3))
def test_conjunction_against_brute_force(items):
    conds = [parametric_condition(f, rel, 0, {p: (0, 1)}) for f, rel in items]
    c = conjunction(conds)
    assert c.derived, c.reason
    for t in condition_samples([f for f, _ in items]):
        wants = [reference_holds(f, rel, t) for f, rel in items]
        if None in wants:
            assert not c.region.contains(t)
            continue
        assert c.region.contains(t) == (all(wants) and 0 <= t <= 1), f"p = {t}: {items} -> {c.text}"
    if c.witness_inside is not None:
        assert all(reference_holds(f, rel, c.witness_inside) for f, rel in items)
    if c.witness_outside is not None:
        assert not c.region.contains(c.witness_outside)


@pytest.mark.parametrize("f, relation, text", [
    (2 * p - 1, ">=", "p >= 1/2 (on [0, 1])"),
    (p / (p + 1), ">=", "all p in [0, 1]"),
    ((p - sp.Rational(1, 2)) ** 2, ">", None),
    ((2 * p ** 2 - 1) / (p - sp.Rational(1, 4)), "<=", None),
    ((p - sp.Rational(1, 2)) / (p - sp.Rational(1, 2)), "==", None),
    (1 / (p - sp.Rational(1, 3)), "!=", None),
    (sp.log(sp.Rational(3, 4)) * (p - sp.Rational(1, 3)), ">", "p < 1/3 (on [0, 1])"),
])
def test_parametric_condition_hand_picked(f, relation, text):
    c = parametric_condition(f, relation, 0, {p: (0, 1)})
    check_condition(c, f, relation)
    if text is not None:
        assert c.text == text


def test_mixed_root_representations():
    """One algebraic number in two forms (a radical and a CRootOf) is one break point."""
    left = Region.from_sympy(sp.Interval(0, sp.sqrt(2) / 2))
    right = Region.from_sympy(sp.Interval(HALF_SQRT2, 1))
    assert (left & right).is_points() and len((left & right).points()) == 1, left & right
    assert left | right == Region.interval(0, 1)
    assert right.contains(sp.sqrt(2) / 2)


def test_condition_roots_in_one_form():
    """Both routes of parametric_condition (flint, and SymPy for a logarithm as constant
    factor) write the root of 2p^2 - 1 as the same CRootOf, so their regions combine."""
    c1 = parametric_condition(sp.log(sp.Rational(3, 4)) * (2 * p ** 2 - 1), ">=", 0, {p: (0, 1)})
    c2 = parametric_condition(2 * p ** 2 - 1, ">=", 0, {p: (0, 1)})
    both = conjunction([c1, c2])
    assert both.region == Region.point(HALF_SQRT2), both.text
    assert c1.region | c2.region == Region.interval(0, 1)


# ----------------------------------------------------------------- bigger runs

@pytest.mark.slow
@SLOW
@given(REGIONS, REGIONS, REGIONS)
def test_many_regions(pa, pb, pc):
    test_region_membership_and_round_trip.hypothesis.inner_test(pa)
    test_region_algebra_matches_sympy_sets.hypothesis.inner_test(pa, pb)
    test_region_laws.hypothesis.inner_test(pa, pb, pc)


@pytest.mark.slow
@SLOW
@given(rational_functions(), RELATION, RHS, CONSTANT)
def test_many_conditions(f, relation, rhs, constant):
    test_parametric_condition_against_brute_force.hypothesis.inner_test(f, relation, rhs, constant)
