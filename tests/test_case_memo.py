"""Memoized exact results (proofcheck.exact.case_memo): a stored result is reused only when
the case in force answers its questions as before, and a reuse charges the claim budget as
recomputing would; verdicts with and without the memo are identical."""

import gc
import weakref

import pytest
import sympy as sp

from proofcheck import load_case
from proofcheck.claims.parametric import run_parametric
from proofcheck.claims.registry import CLAIMS, run_claim
from proofcheck.claims.result import ClaimResult, Verdict
from proofcheck.exact import case_memo
from proofcheck.exact.budget import active_claim_budget, budget_steps, claim_budget
from proofcheck.exact.sign import exact_sign

p = sp.Symbol("p", real=True)


class Owner:
    """A stand-in for a model (the memo keys on any weak-referenceable object)."""


def test_same_key_computes_once_and_owners_are_separate():
    a, b, calls = Owner(), Owner(), []

    def compute():
        calls.append(1)
        return len(calls)

    assert case_memo.memoized(a, "k", compute) == 1
    assert case_memo.memoized(a, "k", compute) == 1
    assert case_memo.memoized(b, "k", compute) == 2
    assert case_memo.memoized(a, "other", compute) == 3
    assert case_memo.memo_size(a) == 2


def test_the_memo_of_one_owner_is_bounded_and_drops_the_oldest(monkeypatch):
    monkeypatch.setattr(case_memo, "MAX_KEYS", 8)
    a, calls = Owner(), []

    def compute(i):
        calls.append(i)
        return i * i

    for i in range(20):
        assert case_memo.memoized(a, ("square", i), lambda i=i: compute(i)) == i * i
        assert case_memo.memo_size(a) <= 8
    # the newest are still stored, the oldest were dropped and are computed again
    calls.clear()
    assert case_memo.memoized(a, ("square", 19), lambda: compute(19)) == 361 and calls == []
    assert case_memo.memoized(a, ("square", 0), lambda: compute(0)) == 0 and calls == [0]


def test_results_go_with_their_owner():
    # the memo must not keep its owner alive, and its entry goes with it (counted against a
    # collection first: garbage left by earlier tests in the process goes at the same time)
    gc.collect()
    a = Owner()
    case_memo.memoized(a, "k", lambda: 1)
    alive = weakref.ref(a)
    n = len(case_memo._STORE)
    del a
    gc.collect()
    assert alive() is None
    assert len(case_memo._STORE) == n - 1


def test_budget_settings_are_part_of_the_key():
    a, calls = Owner(), []
    case_memo.memoized(a, "k", lambda: calls.append(1))
    with budget_steps(10):
        case_memo.memoized(a, "k", lambda: calls.append(1))
    with claim_budget():
        case_memo.memoized(a, "k", lambda: calls.append(1))
    assert len(calls) == 3


def _sign_dependent(owner, calls):
    """A memoized value that depends on the case's sign of p - 1/2."""
    def compute():
        calls.append(1)
        return exact_sign(p - sp.Rational(1, 2))
    return case_memo.memoized(owner, "sign", compute)


def test_a_result_is_reused_only_where_the_case_gives_the_same_answers():
    owner, calls = Owner(), []

    def check():
        s = _sign_dependent(owner, calls)
        return ClaimResult("X", "", "", Verdict.HOLDS if s >= 0 else Verdict.FAILS, f"sign {s}")

    res = run_parametric(check, {p: (0, 1)})
    # the three cases p < 1/2, p = 1/2, p > 1/2 each compute once (the first run, with no
    # decision taken, raises the case split before anything is stored)
    assert len(calls) == 4
    assert res.summary == "holds iff p >= 1/2 (on [0, 1])"
    again = run_parametric(check, {p: (0, 1)})
    assert len(calls) == 4 and again.summary == res.summary  # every case replays its answer


def test_a_replay_charges_the_claim_budget_as_recomputing_would():
    owner = Owner()

    def compute():
        active_claim_budget().spend(700, "sums")
        active_claim_budget().spend(300, "products")
        return "value"

    with claim_budget() as first:
        case_memo.memoized(owner, "cost", compute)
    with claim_budget() as second:
        assert case_memo.memoized(owner, "cost", lambda: pytest.fail("recomputed"))
    assert first.used == second.used == 1000


def test_a_replay_that_runs_out_of_budget_says_so_like_the_computation():
    owner = Owner()

    def compute():
        active_claim_budget().spend(15, "sums of rationals")
        return 1

    with budget_steps(1), claim_budget():  # 1500 steps
        case_memo.memoized(owner, "cost", compute)
    with budget_steps(1), claim_budget() as b:
        b.spend(1490, "earlier work")
        with pytest.raises(Exception) as replayed:
            case_memo.memoized(owner, "cost", compute)
    with budget_steps(1), claim_budget() as b:
        b.spend(1490, "earlier work")
        with pytest.raises(Exception) as computed:
            compute()
    assert str(replayed.value) == str(computed.value)


def test_a_nested_result_is_replayed_inside_the_outer_one():
    owner, inner_calls, outer_calls = Owner(), [], []

    def inner():
        inner_calls.append(1)
        active_claim_budget().spend(5, "inner")
        return 2

    def outer():
        outer_calls.append(1)
        return case_memo.memoized(owner, "inner", inner) + 1

    with claim_budget() as b1:
        assert case_memo.memoized(owner, "outer", outer) == 3
    with claim_budget() as b2:
        assert case_memo.memoized(owner, "outer", outer) == 3
        assert case_memo.memoized(owner, "inner", inner) == 2
    assert (len(inner_calls), len(outer_calls)) == (1, 1)
    assert b1.used == 5 and b2.used == 10  # the outer replay charges the inner's steps once


def _verdicts(path, ids):
    case = load_case(path)
    out = []
    for cid in ids:
        for obj in (case.conventions.objectives if CLAIMS[cid].uses_objective else [None]):
            r = run_claim(cid, case.mdp, case.conventions, obj)
            out.append((cid, obj, r.verdict.value, r.summary, str(r.counterexample)))
    return out


@pytest.mark.parametrize("path", ["cases/parametric_prior.toml", "cases/mountain_race.toml"])
def test_verdicts_are_the_same_without_the_memo(path, monkeypatch):
    ids = [cid for cid, c in CLAIMS.items() if c.default]
    with_memo = _verdicts(path, ids)
    # the independent route: every call computes (the memo module's function is replaced
    # where the engine and the claims look it up)
    import proofcheck.claims._common as common
    import proofcheck.claims.limits as limits
    import proofcheck.claims.retraining as retraining
    import proofcheck.engine.goal_conditioning as gc_mod
    import proofcheck.engine.optimal as optimal
    modules = (common, limits, retraining, gc_mod, optimal)
    assert all(hasattr(m, "memoized") for m in modules)
    for module in modules:
        monkeypatch.setattr(module, "memoized", lambda owner, key, compute, inputs=(): compute())
    assert _verdicts(path, ids) == with_memo


def test_inputs_count_by_identity_and_stay_alive():
    owner, calls = Owner(), []

    class Policy:
        pass

    a, b = Policy(), Policy()
    for pol in (a, a, b):
        case_memo.memoized(owner, "value of", lambda: calls.append(1) or len(calls), (pol,))
    assert len(calls) == 2  # a twice (one computation), b once
    ident = id(b)
    del b
    gc.collect()
    # b is kept by its stored result: no new object can take over its id and its result
    assert any(ident in key[1] for key in case_memo._STORE[owner])
    assert any(kept[2] and id(kept[2][0]) == ident for alts in case_memo._STORE[owner].values() for kept in alts)


def test_memoized_occupancy_is_a_copy_per_call():
    """J, kappa and kappa_argmax share one exact occupancy per policy; a caller writing into
    its array must not change what the next caller gets."""
    from proofcheck.engine.soft_values import occupancy
    from proofcheck.examples import mountain_race
    m = mountain_race()
    pol = m.prior_policy()
    first = occupancy(m, pol)
    expected = list(first)
    first[:] = sp.Integer(7)
    again = occupancy(m, pol)
    assert list(again) == expected and again is not first
    half, quarter = sp.Rational(1, 2), sp.Rational(1, 4)  # the prior is 1/2 everywhere
    assert dict(zip(m.states, expected)) == {"start": 1, "mountain": half, "forest": half, "gold": quarter,
                                             "chasm": quarter, "silver_up": quarter, "silver_down": quarter}


def test_exact_soft_values_are_computed_once_per_values_and_copied(monkeypatch):
    """Claims and sections re-derive equal policies as new objects: their exact soft values,
    occupancy, J and causal KL are computed once per model and values; every caller gets
    arrays of its own, and the float backend recomputes (nothing is kept)."""
    import importlib

    import numpy as np

    from proofcheck.examples import mountain_race
    from proofcheck.model.mdp import Policy
    sv_mod = importlib.import_module("proofcheck.engine.soft_values")  # the module, not the function
    m = mountain_race()
    calls = []
    real = sv_mod._soft_recursion
    monkeypatch.setattr(sv_mod, "_soft_recursion", lambda *a: calls.append(a[-1].name) or real(*a))
    p1 = Policy(m, m.prior_policy().values.copy())
    p2 = Policy(m, m.prior_policy().values.copy())  # equal values, another object
    a, b = sv_mod.soft_values(m, p1), sv_mod.soft_values(m, p2)
    assert calls == ["exact"] and list(a.zv) == list(b.zv) and a.zv is not b.zv
    a.zv[:] = sp.Integer(5)  # a caller's write stays its own
    assert sv_mod.soft_values(m, p1).Zv("start") == sp.Rational(5, 8)  # S = 5/8 (the README's example)
    other = Policy(m, np.array([sp.Rational(1, 3) if v == sp.Rational(1, 2) and i % 2 == 0 else
                                sp.Rational(2, 3) if v == sp.Rational(1, 2) else v
                                for i, v in enumerate(m.prior_policy().values)], dtype=object))
    sv_mod.soft_values(m, other)
    assert calls == ["exact", "exact"]  # other values: computed
    sv_mod.soft_values(m, p1, backend="float")
    sv_mod.soft_values(m, p1, backend="float")
    assert calls == ["exact", "exact", "float64", "float64"]


def test_values_keys_only_for_numbers_with_cached_hashes():
    """SymPy numbers cache their hash; the python-flint rational functions of a parametric
    model compute theirs (about 10 us each), and keying a 32,767-state tree's soft values by
    them cost ten times the soft values themselves.  Those backends keep identity keys."""
    import numpy as np

    from proofcheck.engine.backends import get_backend
    from proofcheck.engine.soft_values import values_key
    from proofcheck.examples import mountain_race
    m = mountain_race()
    exact, rational = get_backend("exact"), get_backend("rational")
    key = values_key(exact, (m.prior_policy().in_backend(exact),))
    assert key[0] == exact.key and key[1].values == (tuple(m.prior_policy().in_backend(exact)),)
    assert key == values_key(exact, (m.prior_policy().values.copy(),))  # equal values, another array
    assert values_key(rational, (m.prior_policy().in_backend(rational),)) is None
    assert values_key(get_backend("float"), (np.array([0.5, 0.5]),)) is None
    from proofcheck.engine.soft_values import VALUE_KEY_MAX_PAIRS
    long = np.array([sp.Rational(1, 3)] * (VALUE_KEY_MAX_PAIRS + 1), dtype=object)
    assert values_key(exact, (long,)) is None and values_key(exact, (long[:-1],)) is not None
