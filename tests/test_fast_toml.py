"""Differential tests: the fast reader of the plain TOML subset (``casefile._fast_toml``)
against the reference, ``tomllib.loads``.

The contract: ``_fast_toml(text)`` is either None (the caller falls back to tomllib) or
exactly ``tomllib.loads(text)``: the same keys in the same order, the same values of the
same types.  It must never accept a document tomllib rejects, and ``_read_toml`` must word
every error as tomllib does.  Documents are generated in the subset (where the fast
reader must answer), around it (floats, escapes, dotted keys, literal strings, nested
inline tables, arrays of tables) and broken (duplicated keys and tables, bad escapes,
unterminated strings, headers through values).
"""

import glob
import math
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from proofcheck import examples
from proofcheck import strategies as pst
from proofcheck.errors import CaseFileError
from proofcheck.io.casefile import _fast_toml, _read_toml, dump_case, loads_case
from proofcheck.model.conventions import Conventions

QUICK = settings(max_examples=100, deadline=None, database=None, derandomize=True,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SLOW = settings(QUICK, max_examples=5000)
ROOT = Path(__file__).resolve().parent.parent


# ----------------------------------------------------------------- comparison

def canon(v):
    """A form of a TOML value where ``==`` is exact: types kept (``True != 1``, ``1 != 1.0``),
    key order kept (``list(d.items())``), floats by ``repr`` (``nan``, ``-0.0``)."""
    if isinstance(v, dict):
        return ("table", [(k, canon(x)) for k, x in v.items()])
    if isinstance(v, list):
        return ("array", [canon(x) for x in v])
    if isinstance(v, float):
        return ("float", "nan" if math.isnan(v) else repr(v))
    return (type(v).__name__, v)


def reference(text):
    """``("ok", canon(doc))`` or ``("error", message)`` from tomllib."""
    try:
        return "ok", canon(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        return "error", str(exc)


def check_against_tomllib(text):
    """The fast reader agrees with tomllib on ``text``; returns whether it answered itself."""
    kind, want = reference(text)
    fast = _fast_toml(text)
    if kind == "error":
        assert fast is None, f"fast reader accepted a document tomllib rejects ({want}): {text!r}"
        with pytest.raises(CaseFileError) as info:
            _read_toml(text, "<t>")
        assert f"<t>: not valid TOML: {want};" in str(info.value)
        return False
    if fast is not None:
        assert canon(fast) == want, f"fast reader differs from tomllib on {text!r}"
    assert canon(_read_toml(text, "<t>")) == want
    return fast is not None


# ----------------------------------------------------------------- the subset itself

# header segments and keys are drawn from disjoint names, so no key collides with a table
SEGMENTS = ["a", "b", "c", "d-e", "f_1", "9"]
KEYS = ["k", "name", "x-y", "z_0", "true", "1", "K"]
SAFE_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters='"\\\t\n\r\x7f',
                                           max_codepoint=0x2FF).filter(lambda c: c >= " "), max_size=8)


def _key(draw, name):
    return draw(st.sampled_from([name, f'"{name}"']))


def _ws(draw):
    return draw(st.sampled_from(["", " ", "  ", "\t", " \t"]))


def _comment(draw):
    return draw(st.sampled_from(["", " # c", "# note: [a] = 1", "\t# \"x\" ünï", " #"]))


@st.composite
def subset_scalars(draw):
    kind = draw(st.sampled_from(["str", "bool", "int"]))
    if kind == "str":
        return '"' + draw(SAFE_TEXT) + '"'
    if kind == "bool":
        return draw(st.sampled_from(["true", "false"]))
    n = draw(st.one_of(st.integers(-1000, 1000), st.integers(-(10 ** 18) + 1, 10 ** 18 - 1)))
    return draw(st.sampled_from([str(n), f"+{n}" if n >= 0 else str(n), "-0", "+0", "0"]))


@st.composite
def subset_values(draw):
    kind = draw(st.sampled_from(["scalar", "scalar", "scalar", "inline", "array"]))
    if kind == "scalar":
        return draw(subset_scalars())
    if kind == "inline":
        names = draw(st.lists(st.sampled_from(KEYS + ["a", ""]), unique=True, max_size=4))
        pairs = [f"{_key(draw, k) if k else chr(34) * 2}{_ws(draw)}={_ws(draw)}{draw(subset_scalars())}"
                 for k in names]
        sep = draw(st.sampled_from([",", ", ", " , "]))
        return "{" + _ws(draw) + sep.join(pairs) + _ws(draw) + "}"
    items = draw(st.lists(subset_scalars(), max_size=4))
    sep = draw(st.sampled_from([",", ", ", " ,\t"]))
    trailing = draw(st.sampled_from(["", ","])) if items else ""
    return "[" + _ws(draw) + sep.join(items) + trailing + _ws(draw) + "]"


@st.composite
def subset_tables(draw, header):
    """A table body: lines of unique keys, blank lines and comments."""
    lines = [header] if header is not None else []
    for k in draw(st.lists(st.sampled_from(KEYS), unique=True, max_size=5)):
        kind = draw(st.sampled_from(["plain", "plain", "free"]))
        if kind == "plain":  # the layout dump_case writes
            lines.append(f'{k} = "{draw(SAFE_TEXT)}"')
        else:
            lines.append(f"{_ws(draw)}{_key(draw, k)}{_ws(draw)}={_ws(draw)}{draw(subset_values())}{_comment(draw)}")
        if draw(st.integers(0, 4)) == 0:
            lines.append(draw(st.sampled_from(["", "   ", "# comment", "\t# [x]"])))
    return lines


@st.composite
def subset_documents(draw):
    """Valid documents entirely inside the subset (the fast reader must answer)."""
    paths = draw(st.lists(st.lists(st.sampled_from(SEGMENTS), min_size=1, max_size=3).map(".".join),
                          unique=True, max_size=6))
    lines = []
    if draw(st.booleans()):
        lines += draw(subset_tables(None))
    for path in paths:
        if draw(st.booleans()):
            lines.append("")
        header = f"[{path}]" if draw(st.integers(0, 3)) else f"{_ws(draw)}[{path}]{_comment(draw)}"
        lines += draw(subset_tables(header))
    eol = draw(st.sampled_from(["\n", "\n", "\r\n"]))
    return eol.join(lines) + draw(st.sampled_from(["", eol, eol * 2]))


@QUICK
@given(subset_documents())
def test_subset_documents_are_read_fast_and_exactly(text):
    assert check_against_tomllib(text), f"fast reader declined a document of its subset: {text!r}"


# ----------------------------------------------------------------- around the subset, and broken

STRINGS = st.sampled_from([
    '"plain"', '""', '"a\\nb"', '"q\\"q"', '"back\\\\slash"', '"\\u00e9\\U0001F600"', '"tab\there"',
    '"bad\\q"', '"bad\\u12"', '"unterminated', "'literal'", "'lit\\no'", '"""multi\nline"""',
    "'''raw\nlines'''", '"ctrl\x01"', '"del\x7f"', '"cr\rx"', '"ünïcødé"', '"#not a comment"',
    '"[a]"', '"a = 1"', '"x", "y"',
])
NUMBERS = st.sampled_from([
    "0", "-0", "+0", "1", "+17", "-42", "007", "1_000", "1__0", "0x1F", "0o17", "0b101",
    "123456789012345678", "1234567890123456789", "99999999999999999999",
    "1.5", "-0.0", "+0.5", "1e3", "1E-3", "-2.5e+10", "6.02e23", "1.", ".5", "1e", "1.e3",
    "inf", "+inf", "-inf", "nan", "+nan", "-nan", "Inf", "NaN", "1_0.5", "3.14_15",
])
OTHERS = st.sampled_from([
    "true", "false", "True", "FALSE", "tru", "truex", "1979-05-27", "1979-05-27T07:32:00Z",
    "07:32:00", "{}", "{ a = 1, }", "{ a = { b = 1 } }", "{ a.b = 1 }", "{ a = 1, a = 2 }",
    '{ "a" = 1, a = 2 }', "[]", "[,]", "[1, [2, 3]]", "[ { a = 1 } ]", "[1 2]", "[\n1]", "[1,,2]",
    "", "=", "1 2",
])
VALUES = st.one_of(STRINGS, NUMBERS, OTHERS, subset_values())
ANY_KEYS = st.sampled_from(["a", "b", "k", '"k"', '"a"', '""', "''", "'k'", "a.b", "a . b", '"a.b"', "b.c.d",
                            "x y", "-", "_", "1", "1.5", "ä", '"ä"', '"x\\ty"', '"\\q"', "a#"])
HEADERS = st.sampled_from(["[a]", "[b]", "[a.b]", "[a.b.c]", "[b.a]", "[k]", "[a.k]", "[ a ]", "[ a . b ]",
                           '["a"]', '[a."b"]', "[a.'b']", "[[a]]", "[[k]]", "[]", "[a.]", "[.a]",
                           "[a", "a]", "[a] x", "[a]]", "[a]#c", "  [b.c]", "[a\tb]"])


@st.composite
def lines(draw):
    kind = draw(st.sampled_from(["pair", "pair", "pair", "header", "blank", "comment", "junk"]))
    if kind == "pair":
        return f"{_ws(draw)}{draw(ANY_KEYS)}{_ws(draw)}={_ws(draw)}{draw(VALUES)}{_comment(draw)}"
    if kind == "header":
        return draw(HEADERS) + _comment(draw)
    if kind == "blank":
        return _ws(draw)
    if kind == "comment":
        return draw(st.sampled_from(["#", "# x", "#\x01", "#\x7f", "# ünï", "#\t"]))
    return draw(st.sampled_from(["a", "a =", "= 1", "\ufeff", "a = 1 = 2", "\x00", "a = \\"]))


@st.composite
def documents(draw):
    body = draw(st.lists(lines(), max_size=10))
    eols = draw(st.lists(st.sampled_from(["\n", "\n", "\r\n", "\r"]), min_size=len(body), max_size=len(body)))
    return "".join(line + eol for line, eol in zip(body, eols))[: None if draw(st.booleans()) else -1]


@st.composite
def mutated(draw):
    """A subset document with one edit: a line repeated, moved, cut short or changed."""
    text = draw(subset_documents())
    lines_ = text.split("\n")
    i = draw(st.integers(0, len(lines_) - 1))
    j = draw(st.integers(0, len(lines_) - 1))
    op = draw(st.sampled_from(["repeat", "move", "cut", "insert", "escape", "quote", "tab", "cr"]))
    if op == "repeat":
        lines_.insert(j, lines_[i])
    elif op == "move":
        lines_.insert(j, lines_.pop(i))
    elif op == "cut" and lines_[i]:
        lines_[i] = lines_[i][: draw(st.integers(0, len(lines_[i]) - 1))]
    elif op == "insert":
        lines_.insert(j, draw(lines()))
    elif op == "escape":
        lines_[i] = lines_[i].replace('"', draw(st.sampled_from(['"\\q', '"\\n', '"\\\\', '"\\u0041'])), 1)
    elif op == "quote":
        lines_[i] = lines_[i].replace('"', "", 1)
    elif op == "tab":
        lines_[i] = lines_[i].replace(" ", "\t", 1)
    else:
        lines_[i] += "\r"
    return "\n".join(lines_)


@QUICK
@given(documents())
def test_documents_around_the_subset_agree_with_tomllib(text):
    check_against_tomllib(text)


@QUICK
@given(mutated())
def test_mutated_subset_documents_agree_with_tomllib(text):
    check_against_tomllib(text)


@pytest.mark.slow
@SLOW
@given(st.one_of(subset_documents(), documents(), mutated()))
def test_many_documents_agree_with_tomllib(text):
    check_against_tomllib(text)


# ----------------------------------------------------------------- hand-picked cases

@pytest.mark.parametrize("text", [
    "", "\n", "\r\n", "# only a comment", "a = 1", "a = 1\na = 2", 'a = 1\n"a" = 2', "[a]\n[a]",
    "[a.b]\n[a]", "[a]\n[a.b]\n[a]", "[a.b]\nx = 1\n[a]\nb = 2", "a = 1\n[a]", "a = 1\n[a.b]",
    "a = {}\n[a]", "[x]\na = { b = 1 }\n[x.a.c]", "[x]\na = [1]\n[x.a]", "a = { b = 1, b = 2 }",
    '[a]\nk = "v"\n\n[b]\nk = "w"\n', '[a]\nk = "v"\nk = "w"\n', '[a]\nk = "v"\n[a]\nj = "w"\n',
    '[a.b]\nk = "1"\n[a.c]\nk = "2"\n[a]\nk = "3"\n', '[a]\r\nk = "v"\r\n', "[a]\rk = 1",
    "a = 1\r", "a = 1 # c\r\nb = 2", "a = 123456789012345678", "a = 1234567890123456789",
    "a = -9223372036854775809", "a = 01", "a = +0", "a = -0", "a=1#c", "a = true#c", "[a]#c\nb = 1",
    '"" = 1', '"a.b" = 1\n[a]\nb = 1', "a = [1, 2,]", "a = [ ]", "a = [,]", "a = { }",
    "a = { x = 1, }", '[states.s.actions."a b"]\nnext = "t"', "  [a]\n  b = 1", "a = \"x\" \"y\"",
])
def test_hand_picked_documents_agree_with_tomllib(text):
    check_against_tomllib(text)


# ----------------------------------------------------------------- bundled and dumped cases

CASE_FILES = sorted(glob.glob(str(ROOT / "cases" / "**" / "*.toml"), recursive=True))


def test_bundled_cases_are_present():
    assert len(CASE_FILES) >= 4


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: str(Path(p).relative_to(ROOT)))
def test_bundled_cases_read_identically(path):
    text = Path(path).read_text(encoding="utf-8")
    check_against_tomllib(text)
    check_against_tomllib(text.replace("\n", "\r\n"))


def _example_mdps():
    return [examples.mountain_race(), examples.stochastic_counterexample()]


@pytest.mark.parametrize("index", [0, 1])
@pytest.mark.parametrize("extras", [False, True])
def test_dumped_examples_read_fast_and_identically(index, extras):
    mdp = _example_mdps()[index]
    kwargs = dict(conventions=Conventions(), expectations=[("J(prior)", "1/2"), ("S(pi_G[2])", "2/5")],
                  title="A title", description="Some text", source="here") if extras else {}
    text = dump_case(mdp, **kwargs)
    assert check_against_tomllib(text), "dump_case output left the fast subset"
    assert check_against_tomllib(text.replace("\n", "\r\n"))
    again = loads_case(text)
    assert dump_case(again.mdp, **kwargs) == text


@QUICK
@given(pst.mdps(depth=2, branching=2, max_states=10, regime="any", merging=True))
def test_dumped_random_mdps_read_identically(mdp):
    text = dump_case(mdp)
    assert check_against_tomllib(text), "dump_case output left the fast subset"
