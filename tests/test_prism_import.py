"""PRISM import through stormpy: exact probabilities, the unrolled model's success
probability against values computed by hand, and `verify` on a PRISM file."""

import json
import sys
from fractions import Fraction

import pytest

from proofcheck.cli import main
from proofcheck.errors import StormUnavailable

try:
    import stormpy  # noqa: F401
    HAVE_STORMPY = True
except ImportError:
    HAVE_STORMPY = False

needs_stormpy = pytest.mark.skipif(not HAVE_STORMPY, reason="stormpy (proofcheck[storm]) is not installed")

# s=0: action a reaches the goal s=1 with probability p, else s=2; action b goes to s=2.
# s=2: a reaches the goal, b stays.  s=1 is the goal.
PROGRAM = """mdp
{const}
module m
  s : [0..2] init 0;
  [a] s=0 -> p : (s'=1) + (1-p) : (s'=2);
  [b] s=0 -> (s'=2);
  [a] s=2 -> (s'=1);
  [b] s=2 -> (s'=2);
  [] s=1 -> true;
endmodule
label "goal" = s=1;
"""


def _success_by_hand(p, horizon):
    """S of the uniform prior (1/2 per action), by backward induction written out: V_t(s)."""
    half = Fraction(1, 2)
    v2 = Fraction(0)  # s=2 with no step left: cut, the goal was not reached
    for _ in range(horizon - 1):
        v2 = half * 1 + half * v2  # a: goal; b: stay
    return half * (p * 1 + (1 - p) * v2) + half * v2


@pytest.fixture
def prism_file(tmp_path):
    f = tmp_path / "three.nm"
    f.write_text(PROGRAM.format(const="const double p = 1/3;"))
    return f


@needs_stormpy
@pytest.mark.parametrize("horizon, expected", [(1, Fraction(1, 6)), (2, Fraction(7, 12)), (3, Fraction(19, 24))])
def test_success_probability_of_the_uniform_prior(prism_file, horizon, expected):
    from proofcheck.engine.soft_values import success_probability
    from proofcheck.io.prism import from_prism
    assert _success_by_hand(Fraction(1, 3), horizon) == expected
    m = from_prism(prism_file, horizon=horizon, success_label="goal")
    assert m.exact and not m.deterministic
    S = success_probability(m, m.prior_policy())
    assert Fraction(int(S.p), int(S.q)) == expected
    assert "prior uniform over the enabled choices" in m.source
    start = m.states[list(m.initial).index(1)]
    assert start == "s=0@t0"
    assert sorted(m.prior_policy()[start].items()) == [("a", Fraction(1, 2)), ("b", Fraction(1, 2))]


@needs_stormpy
def test_constants_and_missing_constants(tmp_path):
    from proofcheck.engine.soft_values import success_probability
    from proofcheck.errors import CaseFileError
    from proofcheck.io.prism import from_prism
    f = tmp_path / "open.prism"
    f.write_text(PROGRAM.format(const="const double p;"))
    with pytest.raises(CaseFileError, match=r"undefined constant\(s\) p"):
        from_prism(f, horizon=2, success_label="goal")
    m = from_prism(f, horizon=2, success_label="goal", constants="p=1/4")
    assert success_probability(m, m.prior_policy()) == _success_by_hand(Fraction(1, 4), 2) == Fraction(9, 16)
    m = from_prism(f, horizon=2, success_label="goal", constants={"p": "3/5"})
    assert success_probability(m, m.prior_policy()) == _success_by_hand(Fraction(3, 5), 2)


@needs_stormpy
def test_verify_a_prism_file(prism_file, capsys):
    code = main(["verify", str(prism_file), "--horizon", "3", "--success-label", "goal", "--json",
                 "--claim", "P5.4", "--claim", "P4.10"])
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    case = doc["cases"][0]["verify"]
    assert "prior uniform over the enabled choices" in case["source"]
    verdicts = {r["label"]: r["verdict"] for r in case["claims"]}
    assert verdicts["P5.4 [S]"] == "holds" and verdicts["P4.10"] == "holds"
    assert main(["verify", str(prism_file), "--horizon", "3", "--success-label", "goal",
                 "--claim", "P5.4"]) == 0
    out = capsys.readouterr().out
    assert "source: PRISM mdp three.nm" in out and "(default: PRISM MDPs have no action prior)" in out
    assert "19/24 -> 1" in out  # S(prior) = 19/24 starts the re-training sequence


@pytest.mark.parametrize("args, missing", [(["--horizon", "3"], "--success-label NAME"),
                                           (["--success-label", "goal"], "--horizon T"),
                                           ([], "--horizon T and --success-label NAME")])
def test_missing_options_exit_2_naming_them(prism_file, capsys, args, missing):
    assert main(["verify", str(prism_file), *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"needs {missing}" in err[0] and "e.g. --horizon 10 --success-label goal" in err[0]


@needs_stormpy
def test_unknown_label_names_the_labels(prism_file, capsys):
    assert main(["verify", str(prism_file), "--horizon", "2", "--success-label", "gaol"]) == 2
    err = capsys.readouterr().err
    assert "no label 'gaol' (labels: goal)" in err and "--success-label" in err


def test_without_stormpy_exit_2_with_the_install_hint(prism_file, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "stormpy", None)  # import stormpy raises ImportError
    from proofcheck.io.prism import from_prism
    with pytest.raises(StormUnavailable, match=r"install proofcheck\[storm\]"):
        from_prism(prism_file, horizon=2, success_label="goal")
    assert main(["verify", str(prism_file), "--horizon", "2", "--success-label", "goal"]) == 2
    err = capsys.readouterr().err
    assert "install proofcheck[storm]" in err and "Traceback" not in err
