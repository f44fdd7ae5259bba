"""Hostile inputs for the case-file loader and the graph constructor.

Strategies for untrusted input: random TOML text, random nested structures (NaN, inf,
huge integers, huge exponents, deep nesting, unknown keys, injection strings, wrong
types), valid case documents mutated at one key, and networkx graphs with hostile
attributes.  The contract under test: every input ends in a valid model or a
:class:`proofcheck.errors.ProofcheckError`, in bounded time.

Examples
--------
>>> to_toml({"states": {"s": {"actions": {"a": {"next": "t", "prior": 1}}}}})
'"states" = { "s" = { "actions" = { "a" = { "next" = "t", "prior" = 1 } } } }\\n'
"""

from __future__ import annotations

import math
from pathlib import Path

import networkx as nx
from hypothesis import strategies as st

__all__ = ["INJECTIONS", "HOSTILE_EXPRESSIONS", "hostile_strings", "hostile_scalars",
           "hostile_values", "case_documents", "mutated_documents", "toml_texts",
           "hostile_graphs", "to_toml", "valid_documents", "deep_toml"]

#: Strings that would do harm if anything evaluated, formatted or included them.
INJECTIONS = (
    "__import__('os').system('touch /tmp/proofcheck_pwned')",
    "exec('import os')", "eval('1')", "lambda: 0", "().__class__.__bases__[0].__subclasses__()",
    "\\input{/etc/passwd}", "\\immediate\\write18{touch /tmp/proofcheck_pwned}",
    "{0.__class__}", "%s%s%s%n", "${HOME}", "$(touch /tmp/proofcheck_pwned)", "`id`",
    "'; DROP TABLE cases; --", "<script>alert(1)</script>", "../../../../etc/passwd",
    "\x00", "\u202e", "\ufeff1/2", "1/2\n[states]", "\"\"\"", "p; import os",
)

#: Expressions that are valid-looking but unbounded, undefined or out of range.
HOSTILE_EXPRESSIONS = (
    "9**9**9", "10**10**10", "2**100000", "(1/2)**(10**6)", "exp(10**10)", "exp(exp(exp(10)))",
    "log(0)", "1/0", "0**-1", "sqrt(-1)", "(-1)**(1/2)", "Rational(1, 0)", "Rational(1/2, 3)",
    "1e999999", "1e-999999", "9" * 200, "0." + "3" * 500, "(" * 300 + "1" + ")" * 300,
    "-" * 500 + "1", "p", "x", "nan", "inf", "-inf", "oo", "zoo", "E", "pi", "I", "1/3 + p",
    "exp(-1)", "sqrt(2)/2", "1/2", "0", "1", "-1", "2", "0.5", "1e-3", "", " ", "1/2/0",
)

_KNOWN_KEYS = ("case", "parameters", "conventions", "mdp", "states", "expect", "actions", "next",
               "prior", "q", "reward", "success", "initial", "horizon", "default_prior",
               "tolerance", "name", "title", "min", "max", "delta", "fold_term", "k_max",
               "objectives", "impossible", "h_indexing", "argmax_ties", "p", "s", "a", "t")


def hostile_strings():
    """Injection strings, hostile expressions, quantity-like strings and random text."""
    return st.one_of(
        st.sampled_from(INJECTIONS), st.sampled_from(HOSTILE_EXPRESSIONS),
        st.sampled_from(("verdict(P4.2)", "verdict(P5.4, J)", "verdict(NOPE)", "S(prior)",
                         "pi_G[9999](a | s)", "pi_alpha[9**9**9](a | s)", "Zv[prior](s)",
                         "kappa(pi_B[fixed])", "holds", "fails", "uniform", "ratio")),
        st.text(max_size=20),
    )


def hostile_scalars():
    """Scalars of every TOML type: NaN, infinities, huge and negative integers, booleans."""
    return st.one_of(
        hostile_strings(),
        st.integers(-3, 3), st.integers(), st.sampled_from((2 ** 63 - 1, -2 ** 63, 10 ** 4000)),
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from((math.nan, math.inf, -math.inf, 1e308, 5e-324, -0.0)),
        st.booleans(),
    )


def _keys():
    return st.one_of(st.sampled_from(_KNOWN_KEYS), st.text(min_size=1, max_size=8),
                     st.sampled_from(INJECTIONS[:6]))


def hostile_values(max_leaves=12):
    """Nested lists and tables of :func:`hostile_scalars` (wrong types everywhere)."""
    return st.recursive(hostile_scalars(),
                        lambda ch: st.lists(ch, max_size=3) | st.dictionaries(_keys(), ch, max_size=3),
                        max_leaves=max_leaves)


def _maybe(strategy):
    return st.one_of(strategy, hostile_values(4))


@st.composite
def case_documents(draw):
    """Documents shaped like case files (known keys, mostly) with hostile values anywhere."""
    names = st.one_of(st.sampled_from(("s", "t", "u", "start")), st.text(max_size=6), hostile_strings())
    action = st.dictionaries(st.one_of(st.sampled_from(("next", "prior", "q", "reward")), _keys()),
                             st.one_of(names, hostile_values(6),
                                       st.dictionaries(names, hostile_scalars(), max_size=3)),
                             max_size=4)
    state = st.dictionaries(st.one_of(st.sampled_from(("actions", "success", "initial")), _keys()),
                            st.one_of(st.dictionaries(names, _maybe(action), max_size=3),
                                      hostile_scalars()),
                            max_size=3)
    doc = {}
    doc["states"] = draw(st.one_of(st.dictionaries(names, _maybe(state), max_size=4), hostile_values(4)))
    for key in ("mdp", "conventions", "parameters", "expect", "case"):
        if draw(st.booleans()):
            doc[key] = draw(st.one_of(st.dictionaries(_keys(), hostile_values(4), max_size=3),
                                      hostile_values(4)))
    if draw(st.booleans()):
        doc[draw(_keys())] = draw(hostile_values(4))
    return doc


def _toml_string(s):
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif o < 0x20 or o == 0x7F:
            out.append(f"\\u{o:04x}")
        elif 0xD800 <= o <= 0xDFFF:
            out.append("\\ufffd")  # TOML has no surrogates
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return _toml_string(v)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_toml_string(str(k))} = {_toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"no TOML form for {type(v).__name__}")


def to_toml(doc):
    """Serialise a dict of TOML-able values (inline tables throughout) as TOML text."""
    return "".join(f"{_toml_string(str(k))} = {_toml_value(v)}\n" for k, v in doc.items())


def deep_toml():
    """TOML text nesting arrays or inline tables hundreds to thousands of levels deep,
    at the top level or inside a case file's value."""
    def build(args):
        depth, kind, where = args
        inner = ("[" * depth + "1" + "]" * depth) if kind == "array" else ("{a = " * depth + "1" + "}" * depth)
        if where == "top":
            return f"x = {inner}\n"
        return f'[states.s.actions.a]\nnext = "t"\n{where} = {inner}\n'
    return st.tuples(st.integers(1, 3000), st.sampled_from(("array", "table")),
                     st.sampled_from(("top", "prior", "next", "q"))).map(build)


def valid_documents():
    """The shipped case files (``cases/*.toml`` next to the package), parsed to dicts."""
    import tomllib
    root = Path(__file__).resolve().parents[2] / "cases"
    docs = []
    for p in sorted(root.glob("*.toml")):
        try:
            docs.append(tomllib.loads(p.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue
    if not docs:  # installed without the cases folder: a minimal valid case
        docs.append({"mdp": {"initial": "s"},
                     "states": {"s": {"actions": {"a": {"next": "t", "prior": "1/2"},
                                                  "b": {"next": "u", "prior": "1/2", "q": "1/3"}}}}})
    return docs


def _paths(doc, prefix=()):
    yield prefix
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _paths(v, prefix + (k,))


def _get(doc, path):
    for k in path:
        doc = doc[k]
    return doc


def _copy(v):
    if isinstance(v, dict):
        return {k: _copy(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_copy(x) for x in v]
    return v


@st.composite
def mutated_documents(draw, docs=None):
    """A valid case document changed at one key: a hostile value, deleted, or an unknown
    sibling key added."""
    docs = docs if docs is not None else valid_documents()
    doc = _copy(draw(st.sampled_from(docs)))
    paths = [p for p in _paths(doc) if p]
    path = draw(st.sampled_from(paths))
    parent = _get(doc, path[:-1])
    how = draw(st.sampled_from(("replace", "delete", "add")))
    if how == "replace":
        parent[path[-1]] = draw(hostile_values(6))
    elif how == "delete":
        del parent[path[-1]]
    else:
        parent[draw(_keys())] = draw(hostile_values(4))
    return doc


@st.composite
def toml_texts(draw, docs=None):
    """Random text, and valid case text with random characters inserted or deleted."""
    if draw(st.booleans()):
        return draw(st.text(max_size=200))
    docs = docs if docs is not None else valid_documents()
    text = to_toml(draw(st.sampled_from(docs)))
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(text)))
        if draw(st.booleans()):
            text = text[:i] + draw(st.sampled_from(('"', "'", "[", "]", "{", "}", "=", "\n", ",",
                                                     "\\", "#", "9" * 50, "nan", "1e400"))) + text[i:]
        else:
            j = min(len(text), i + draw(st.integers(1, 20)))
            text = text[:i] + text[j:]
    return text


@st.composite
def hostile_graphs(draw):
    """networkx graphs with hostile node names, attributes and graph attributes."""
    multi = draw(st.booleans())
    G = nx.MultiDiGraph() if multi else nx.DiGraph()
    names = st.one_of(st.sampled_from(("s", "t", "u", 0, 1, ("s", 0), True, 2.5)), st.text(max_size=4),
                      st.integers(-2, 5))
    for _ in range(draw(st.integers(0, 5))):
        u, v = draw(names), draw(names)
        attrs = draw(st.dictionaries(st.sampled_from(("prob", "prior", "q", "reward", "action", "weight")),
                                     _maybe(hostile_scalars()), max_size=4))
        if multi:
            G.add_edge(u, v, key=draw(names), **attrs)
        else:
            G.add_edge(u, v, **attrs)
    for n in list(G.nodes):
        if draw(st.booleans()):
            G.nodes[n].update(draw(st.dictionaries(st.sampled_from(("success", "initial", "label", "color")),
                                                   _maybe(hostile_scalars()), max_size=2)))
    G.graph.update(draw(st.dictionaries(
        st.sampled_from(("initial", "parameters", "horizon", "default_prior", "name", "tolerance", "source")),
        st.one_of(names, hostile_values(4), st.dictionaries(names, hostile_scalars(), max_size=2),
                  st.integers(-5, 20_000)),
        max_size=3)))
    return G
