"""Cross-check with the probabilistic model checker Storm (optional extra ``storm``).

A policy ``pi`` turns an MDP into a Markov chain.  "Success" (every optimality variable
is 1 and the leaf succeeds) is reachability in that chain once failures are routed to a
sink: from a state ``s`` the chain moves to ``s'`` with probability
``sum_a pi(a|s) q(s, a) tau(s'|s, a)`` and to ``fail`` with ``sum_a pi(a|s) (1 - q(s, a))``;
a leaf moves to ``success`` with its success probability and to ``fail`` otherwise.  So
``P(F "success") = S(pi)``, which Storm computes as a rational function of the model's
parameters, by an algorithm (state elimination) that shares nothing with ours.

:func:`export_prism` writes the chain in the PRISM language (no Storm needed);
:func:`storm_success` runs stormpy on it when stormpy is installed.

Examples
--------
>>> from proofcheck.examples import mountain_race
>>> text = export_prism(mountain_race())
>>> print(text.splitlines()[0])
dtmc
>>> check_prism_sums(text)
9
"""

from __future__ import annotations

import os
import re
import tempfile

import sympy as sp
from sympy.printing.str import StrPrinter

from proofcheck.errors import ConventionError, ProofcheckError, StormUnavailable
from proofcheck.model.expressions import number_text, parse_expression

__all__ = ["export_prism", "check_prism_sums", "have_stormpy", "storm_success",
           "StormUnavailable", "int_text", "text_int", "MAX_LITERAL_DIGITS"]


#: Storm's PRISM parser reads an integer literal as a 64-bit integer (and rejects a larger
#: one), but a literal with ``.0`` as an arbitrary-precision rational, exactly
#: (checked with stormpy 2.0: ``(3**200).0/(3**200 + 7).0`` comes back as that fraction).
_INT64 = 2 ** 63
#: Most digits of one exported integer (a bound on the size of the exported model).
MAX_LITERAL_DIGITS = 100_000
_CHUNK = 10 ** 1000


def int_text(n):
    """Decimal digits of the integer ``n``, also beyond Python's ``str()`` digit limit.

    Examples
    --------
    >>> int_text(-12)
    '-12'
    >>> len(int_text(10 ** 5000))
    5001
    """
    n = int(n)
    if abs(n) < _CHUNK:
        return str(n)
    if n.bit_length() > MAX_LITERAL_DIGITS * 3.33:
        raise ConventionError(f"an integer of about {int(n.bit_length() / 3.3219)} digits exceeds the "
                              f"limit of {MAX_LITERAL_DIGITS} digits of the PRISM export; use smaller numbers")
    sign, n, parts = "-" if n < 0 else "", abs(n), []
    while n >= _CHUNK:
        n, r = divmod(n, _CHUNK)
        parts.append(str(r).rjust(1000, "0"))
    return sign + str(n) + "".join(reversed(parts))


def text_int(text):
    """The integer of a decimal string, also beyond Python's ``int()`` digit limit."""
    text = text.strip()
    sign, digits = (-1, text[1:]) if text.startswith("-") else (1, text.lstrip("+"))
    if not digits.isdigit() or len(digits) > MAX_LITERAL_DIGITS:
        raise ConventionError(f"cannot read the integer {digits[:40]!r}... ({len(digits)} characters) "
                              f"(digits only, at most {MAX_LITERAL_DIGITS})")
    n = 0
    for i in range(0, len(digits), 1000):
        part = digits[i:i + 1000]
        n = n * 10 ** len(part) + int(part)
    return sign * n


def _literal(n):
    """A PRISM literal Storm reads exactly: ``123`` or, from 2**63 on, ``123.0``."""
    return int_text(n) if abs(n) < _INT64 else f"{int_text(n)}.0"


class _PrismPrinter(StrPrinter):
    """PRISM expression syntax: ``pow(x, n)`` for powers, everything else as SymPy prints it."""

    def _print_Pow(self, expr):
        b, e = expr.as_base_exp()
        if e.is_Integer and e > 0:
            return f"pow({self._print(b)}, {e})"
        if e.is_Integer and e < 0:
            return f"1/pow({self._print(b)}, {-e})"
        raise ConventionError(f"value {_short(expr)} is not a rational function; a PRISM DTMC needs rational "
                              "transition probabilities (substitute the parameters or drop exp/log/sqrt)")

    def _print_Rational(self, expr):
        return f"({_literal(expr.p)}/{_literal(expr.q)})"

    def _print_Integer(self, expr):
        return _literal(expr.p) if expr.p >= 0 else f"({_literal(expr.p)})"

    def _print_Function(self, expr):
        raise ConventionError(f"value {_short(expr)} is not a rational function; a PRISM DTMC needs rational "
                              "transition probabilities (substitute the parameters)")

    _print_exp = _print_log = _print_Function


def _prism(expr):
    expr = sp.sympify(expr)
    if expr.has(sp.Float):
        raise ConventionError(f"value {_short(expr)} is a float; export exact values (fractions) to PRISM")
    if not expr.is_rational_function():
        raise ConventionError(f"value {_short(expr)} is not a rational function of the parameters; a PRISM DTMC "
                              "needs rational transition probabilities (substitute the parameters)")
    return _PrismPrinter().doprint(expr)


def _short(expr):
    """A value for a one-line message: clipped, and never ``str()`` of a huge integer."""
    text = number_text(expr)
    return text if len(text) <= 80 else f"{text[:80]}...({len(text)} characters)"


def _chain(mdp, policy):
    """``(rows, n_states, success_index, fail_index, start_index)``; rows[i] = {j: prob}."""
    pol = (policy or mdp.prior_policy()).values
    n = mdp.n_states
    SUCC, FAIL = n, n + 1
    rows = []
    for i in range(n):
        row = {}
        if mdp.terminal[i]:
            row[SUCC] = mdp.success[i]
            row[FAIL] = 1 - mdp.success[i]
        else:
            for j in range(mdp.state_ptr[i], mdp.state_ptr[i + 1]):
                w = sp.sympify(pol[j])
                if w == 0:
                    continue
                q = mdp.likelihood[j]
                row[FAIL] = row.get(FAIL, 0) + w * (1 - q)
                for e in range(mdp.pair_ptr[j], mdp.pair_ptr[j + 1]):
                    t = int(mdp.edge_target[e])
                    row[t] = row.get(t, 0) + w * q * mdp.edge_prob[e]
        rows.append({k: c for k, v in row.items() if (c := sp.cancel(v)) != 0})
    rows.append({SUCC: sp.Integer(1)})
    rows.append({FAIL: sp.Integer(1)})
    init = [(i, m) for i, m in enumerate(mdp.initial) if m != 0]
    start = init[0][0] if len(init) == 1 and init[0][1] == 1 else None
    if start is None:  # a distribution over initial states: one extra state draws from it
        start = len(rows)
        rows.append({i: m for i, m in init})
    return rows, SUCC, FAIL, start


def export_prism(mdp, policy=None, *, name=None):
    """The Markov chain ``policy`` (default: the prior) induces on ``mdp``, in the PRISM language.

    States are numbered as in ``mdp.states`` (a comment lists the names); ``success``
    and ``fail`` are two absorbing states, and the label ``"success"`` marks the first.
    Parameters become undefined constants (``const double p;``), so Storm treats the
    chain as parametric.

    Raises
    ------
    ConventionError
        When a transition probability is not a rational function (``exp``/``log``).
    """
    rows, SUCC, FAIL, start = _chain(mdp, policy)
    last = len(rows) - 1
    lines = ["dtmc", "", f"// proofcheck export of {name or mdp.name}: the Markov chain induced by a policy;",
             "// P=? [ F \"success\" ] is the success probability S(pi)."]
    for s in mdp.parameters:
        lines.append(f"const double {s.name};")
    lines += ["", "module chain", f"  s : [0..{last}] init {start};"]
    for i, row in enumerate(rows):
        if i < mdp.n_states:
            lines.append(f"  // {i} = {mdp.states[i]!r}")
        elif i == SUCC:
            lines.append(f"  // {i} = success (absorbing)")
        elif i == FAIL:
            lines.append(f"  // {i} = fail (absorbing)")
        else:
            lines.append(f"  // {i} = start (draws the initial state)")
        body = " + ".join(f"({_prism(p)}) : (s'={j})" for j, p in sorted(row.items()))
        lines.append(f"  [] s={i} -> {body};")
    lines += ["endmodule", "", f'label "success" = s={SUCC};', f'label "fail" = s={FAIL};', ""]
    return "\n".join(lines)


_CMD = re.compile(r"^\s*\[\]\s*s=(\d+)\s*->\s*(.*);\s*$")


def check_prism_sums(text, parameters=None):
    """Parse an exported chain back (our own output format only) and check that each
    state's probabilities sum to exactly 1; returns the number of states.

    Probabilities are read with the allow-listed expression grammar
    (:func:`proofcheck.model.expressions.parse_expression`), never ``eval``.
    """
    symbols = {s.name: s for s in (parameters or {})}
    for m in re.finditer(r"const double (\w+);", text):
        symbols.setdefault(m[1], sp.Symbol(m[1], real=True))
    seen = set()
    for line in text.splitlines():
        m = _CMD.match(line)
        if not m:
            continue
        total = sp.Integer(0)
        for part in _top_level_split(m[2]):
            prob, _, target = part.rpartition(" : ")
            if not re.fullmatch(r"\(s'=\d+\)", target.strip()):
                raise ConventionError(f"unexpected PRISM update {part!r}")
            total += _parse_with_pow(prob, symbols)
        if sp.cancel(total - 1) != 0:
            raise ConventionError(f"state {m[1]}: probabilities sum to {sp.cancel(total)}, not 1")
        seen.add(int(m[1]))
    return len(seen)


def _top_level_split(text):
    parts, depth, cur = [], 0, ""
    i = 0
    while i < len(text):
        ch = text[i]
        depth += (ch == "(") - (ch == ")")
        if depth == 0 and text.startswith(" + ", i):
            parts.append(cur)
            cur, i = "", i + 3
            continue
        cur += ch
        i += 1
    return parts + [cur]


_BIG = re.compile(r"(?<![\w.])(\d{19,})(?:\.0)?(?![\w.])")


def _parse_with_pow(text, symbols):
    # big literals (beyond the expression grammar's digit limit) stand in as symbols
    big = {}

    def stash(m):
        name = f"bigliteral{len(big)}"
        big[sp.Symbol(name)] = sp.Integer(text_int(m[1]))
        return name
    text = _BIG.sub(stash, text)
    symbols = {**symbols, **{s.name: s for s in big}}
    # pow(b, n) -> (b)^(n): our exporter only writes integer exponents
    prev = None
    while prev != text:
        prev = text
        text = re.sub(r"pow\(([^(),]*(?:\([^()]*\)[^(),]*)*),\s*(\d+)\)", r"((\1)^\2)", text)
    value = parse_expression(text, symbols)
    return value.xreplace(big) if big else value


def have_stormpy():
    """True when stormpy can be imported."""
    try:
        import stormpy  # noqa: F401
    except ImportError:
        return False
    return True


def storm_success(prism_text, parameters=None):
    """Storm's exact ``P=? [F "success"]`` from the initial state, as a SymPy expression.

    Parametric chains use Storm's rational-function engine, constant ones its exact
    (GMP rational) engine.  Raises :class:`StormUnavailable` without stormpy.
    """
    try:
        import stormpy
    except ImportError as exc:
        raise StormUnavailable(f"stormpy is not installed ({exc}); pip install 'proofcheck[storm]'") from None
    try:  # the number-type dispatch of stormpy 2
        from stormpy.numbers.developer.cln import FactorizedRationalFunction
        from stormpy.numbers.developer.gmp import Rational
    except ImportError:
        raise StormUnavailable("the installed stormpy is older than 2.0; pip install 'stormpy>=2.0'") from None
    fd, path = tempfile.mkstemp(suffix=".prism")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(prism_text)
        prog = stormpy.parse_prism_program(path)
        props = stormpy.parse_properties('P=? [F "success"]', prog)
        kind = FactorizedRationalFunction if prog.has_undefined_constants else Rational
        model = stormpy.build_model[kind](prog, props)
        result = stormpy.model_checking(model, props[0]).get_value(model.initial_states[0])
    except Exception as exc:  # noqa: BLE001 - Storm's parser and engines raise RuntimeError & co.
        first = " ".join(str(exc).split())[:300]
        raise ProofcheckError(f"Storm could not check the exported model ({type(exc).__name__}: {first}); "
                              "this is not a disagreement; export it with -o and inspect it") from None
    finally:
        os.unlink(path)
    symbols = {s.name: s for s in (parameters or {})}
    try:
        if kind is Rational:
            num, _, den = str(result).partition("/")
            return sp.Rational(text_int(num), text_int(den or "1"))
        num, den = str(result.numerator), str(result.denominator)
        return _parse_with_pow(num, symbols) / _parse_with_pow(den, symbols)
    except ProofcheckError as exc:
        raise ProofcheckError(f"cannot read Storm's result back ({exc}); not a disagreement") from None
