"""Safe parsing of expression strings from untrusted case files.

Case files give probabilities, priors and rewards as strings such as ``"1/2"``,
``"(1 - p)/2"`` or ``"exp(-1)"``.  This module turns such strings into SymPy
expressions with a small hand-written tokenizer and recursive-descent parser.  The
text is never handed to ``eval``, ``exec``, ``compile``, :mod:`ast`,
:func:`sympy.sympify` or :func:`sympy.parsing.sympy_parser.parse_expr`: only the
allow-listed grammar below is understood, and SymPy objects are built directly.

Grammar (``^`` is accepted as a synonym of ``**``)::

    expression := term (("+" | "-") term)*
    term       := unary (("*" | "/") unary)*
    unary      := ("+" | "-") unary | power
    power      := primary [("**" | "^") unary]        # right-associative
    primary    := NUMBER | NAME | CALL | "(" expression ")"
    CALL       := ("exp" | "log" | "sqrt") "(" expression ")"
                | "Rational" "(" expression "," expression ")"
    NUMBER     := digits ["." digits] [("e" | "E") ["+" | "-"] digits]   (or ".5")
    NAME       := a letter followed by letters, digits or "_" (declared parameters only)

Decimal literals are exact: ``"0.1"`` is ``Rational(1, 10)``.  The work done for
one expression is bounded: the text length, nesting depth, literal sizes,
exponents, the size of every intermediate number and of the expanded expression
are limited, and each limit is checked before SymPy gets a chance to do the
expensive work (SymPy evaluates automatically, and some of its simplifications,
such as factoring numbers under roots or expanding powers of sums, are costly).
"""

__all__ = ["parse_expression", "number_text", "big_rationals", "rational_of_float", "binary_float",
           "NUMBER_TEXT_DIGITS", "EXACT_TEXT_DIGITS"]

import functools
import math
import operator
import time
from collections.abc import Mapping
from fractions import Fraction

import sympy

from proofcheck.errors import ExpressionError

# --------------------------------------------------------------------------- limits
MAX_LENGTH = 1000  # characters of expression text
MAX_DEPTH = 50  # nested parentheses, function calls, signs and powers
MAX_LITERAL_DIGITS = 100  # digits in one number literal
MAX_LITERAL_EXPONENT = 1000  # |n| in a literal such as 1e-n
MAX_EXPONENT = 10_000  # |exponent| and its numerator/denominator for **
MAX_NUMERIC_BASE_EXPONENT = 1000  # |exponent| when the base is a number other than 0, 1, -1
MAX_RESULT_DIGITS = 2000  # digits of any numerator or denominator
MAX_EXP_ARGUMENT = 10_000  # |x| in exp(x) for a number x
MAX_ROOT_DIGITS = 100  # digits of numbers under sqrt, fractional powers and exp
MAX_SYMBOLIC_POWER = 64  # |numerator| of a numeric exponent on a base containing parameters
MAX_TERMS = 2000  # terms of the expression when fully multiplied out
MAX_SECONDS = 2.0  # wall-clock budget, checked after every operation (a safety net)

_DIGIT_LIMIT = 10**MAX_RESULT_DIGITS  # an integer >= this has more than 2000 digits
_ROOT_LIMIT = 10**MAX_ROOT_DIGITS
_RADICAL_BITS_LIMIT = 2000  # log2(number) * denominator for fractional powers of numbers
_BITS_LIMIT = MAX_RESULT_DIGITS * math.log2(10)

# --------------------------------------------------------------------------- lexicon
_DIGITS = frozenset("0123456789")
_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_NAME_CHARS = _LETTERS | _DIGITS | {"_"}
_WHITESPACE = frozenset(" \t\r\n")
_SINGLE_OPS = frozenset("+-*/^(),")

_FUNCTIONS = {"exp": 1, "log": 1, "sqrt": 1, "Rational": 2}
_FUNCTION_LIST = "exp(x), log(x), sqrt(x) and Rational(a, b)"
_ALLOWED = (
    "expressions may use numbers, declared parameters, + - * / ** ( ), exp, log, sqrt, Rational"
)
_CHAR_HINTS = {
    "'": "strings are not allowed",
    '"': "strings are not allowed",
    ".": "'.' may only appear inside a number such as 0.5",
    "_": "names must start with a letter",
    "[": "use ( ) for grouping",
    "]": "use ( ) for grouping",
    "{": "use ( ) for grouping",
    "}": "use ( ) for grouping",
    "=": "comparisons, assignments and keyword arguments are not allowed",
    "<": "comparisons are not allowed",
    ">": "comparisons are not allowed",
    "!": "comparisons are not allowed",
    ";": "write a single expression",
    ":": "write a single expression",
    "\\": "backslashes (LaTeX) are not allowed; write sqrt(x), not \\sqrt{x}",
    "%": "the % operator is not supported",
}
_NAME_HINTS = {
    "e": "for Euler's number write exp(1)",
    "E": "for Euler's number write exp(1)",
    "pi": "pi is not built in",
    "I": "complex numbers are not supported",
    "inf": "only finite numbers are allowed",
    "oo": "only finite numbers are allowed",
    "nan": "only finite numbers are allowed",
}

_NUM, _NAME, _OP, _END, _BAD = "number", "name", "operator", "end", "bad"


class _Token:
    __slots__ = ("kind", "text", "col", "value")

    def __init__(self, kind, text, col, value=None):
        self.kind = kind  # one of _NUM, _NAME, _OP, _END, _BAD
        self.text = text  # the source text of the token
        self.col = col  # 1-based column of its first character
        self.value = value  # sympy number (_NUM) or (what, fix) (_BAD)

    def is_op(self, *ops):
        return self.kind == _OP and self.text in ops


def _quote_token(s, limit=40):
    """``repr`` of a short piece of source text (one line, bounded length)."""
    if len(s) > limit:
        s = s[: limit - 3] + "..."
    return repr(s)


def _show_text(text, col=None, width=60):
    """The expression text in double quotes, one line; an excerpt around ``col`` if long."""
    prefix = suffix = ""
    piece = text
    if len(text) > width + 20:
        start = 0 if col is None else max(0, min(col - 1 - width // 2, len(text) - width))
        piece = text[start : start + width]
        prefix = "..." if start > 0 else ""
        suffix = "..." if start + width < len(text) else ""
    escaped = "".join(c if c.isprintable() else repr(c)[1:-1] for c in piece)
    return f'"{prefix}{escaped}{suffix}"'


def _show_value(value, limit=60):
    """``str`` of a SymPy value, shortened for messages."""
    if value.is_Rational and max(abs(value.p), value.q) >= 10**limit:
        digits = int(max(abs(value.p), value.q).bit_length() * math.log10(2)) + 1
        return f"<a number with about {digits} digits>"
    try:
        text = str(value)
    except Exception:  # noqa: BLE001 - e.g. integers beyond Python's str() limit
        return "<a large expression>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


#: Digits :func:`number_text` shows of one integer before clipping it.
NUMBER_TEXT_DIGITS = 40
#: Digits of one integer written out in full where the text stands for an exact value (claim
#: summaries, report tables, the TeX of a value); longer ones are clipped as by
#: :func:`number_text`.  Float-derived models reach 10^4 digits after a few re-training steps.
EXACT_TEXT_DIGITS = 1000


def big_rationals(value, max_digits):
    """The rational atoms of the SymPy ``value`` with a numerator or denominator of more
    than ``max_digits`` digits (those :func:`number_text` clips).

    >>> big_rationals(sympy.Rational(1, 10 ** 50) + sympy.log(3), 40)
    [1/100000000000000000000000000000000000000000000000000]
    """
    limit = 10 ** max_digits
    return [a for a in value.atoms(sympy.Rational) if abs(a.p) >= limit or a.q >= limit]


def _int_clip(n, keep):
    """``n`` as ``1234…(5000 digits)`` when longer than ``keep`` digits; never ``str()`` of a
    huge integer (Python refuses beyond 4300 digits, and it takes quadratic time)."""
    n = int(n)
    sign, n = ("-" if n < 0 else ""), abs(n)
    if n < 10 ** keep:
        return sign + str(n)
    digits = int(n.bit_length() * math.log10(2)) + 1  # exact or one too many:
    if n < 10 ** (digits - 1):
        digits -= 1
    head = str(n // 10 ** (digits - keep))
    return f"{sign}{head}\u2026({digits} digits)"


def binary_float(value: object) -> object:
    """``value`` as a Python float when it is a rational in [-1, 1] that a float holds exactly
    (a float input kept as its binary value), else ``value`` as it is.

    A model's float inputs are written back this way (:func:`proofcheck.model.to_graph`, a
    case file's text), so that a reader applies the model's tolerance to their sums as the
    model did: three floats of 1/3 sum to 1 - 2^-54, and as exact rationals they are refused.

    >>> binary_float(sympy.Rational(1, 4)), binary_float(sympy.Rational(1, 3)), binary_float(sympy.Integer(3))
    (0.25, 1/3, 3)
    """
    if getattr(value, "is_Rational", False) and abs(value) <= 1:  # probabilities: no overflow
        x = float(value)  # type: ignore[arg-type]
        if Fraction(x) == Fraction(int(value.p), int(value.q)):  # type: ignore[attr-defined]
            return x
    return value


def rational_of_float(value: float) -> sympy.Rational:
    """The rational a typed float stands for, where a setting is expected (a temperature, a
    parameter's range): SymPy's ``nsimplify`` guess when that guess rounds back to the same
    float, else the decimal the float prints as.

    ``nsimplify`` alone rounds: it makes 1e-40 zero and 0.30000000000000004 three tenths.
    Model numbers (priors, likelihoods) are not read this way: they keep their binary value.
    A NumPy float is read at its own precision (``np.float32(0.1)`` is 1/10), a SymPy Float
    as the double nearest to it.

    Examples
    --------
    >>> rational_of_float(0.1), rational_of_float(1 / 3), rational_of_float(2.5e-7)
    (1/10, 1/3, 1/4000000)
    >>> rational_of_float(1e-40) == sympy.Rational(1, 10 ** 40)
    True
    >>> rational_of_float(0.30000000000000004)
    7500000000000001/25000000000000000
    """
    if isinstance(value, sympy.Float):
        value = float(value)
    x = float(value)
    if not math.isfinite(x):
        raise ValueError(f"{value!r} is not a finite number")
    same_type = type(value)
    guess = sympy.nsimplify(x)
    if guess.is_Rational and same_type(int(guess.p) / int(guess.q)) == value:  # (int / int rounds correctly)
        return guess
    return sympy.Rational(repr(x) if same_type is float else str(value))  # the shortest text that reads back


def number_text(value, max_digits=NUMBER_TEXT_DIGITS):
    """Text of a number for output (tables, JSON, messages) that is safe at any size.

    Integers and the numerators and denominators of rationals longer than ``max_digits``
    digits are clipped to their leading digits and their size, e.g. ``1234…(5000 digits)``;
    ``str()`` is never called on a huge integer.  Other SymPy expressions keep ``str()``
    with their big rational atoms clipped the same way.

    Examples
    --------
    >>> number_text(sympy.Rational(1, 3))
    '1/3'
    >>> number_text(10 ** 5000, max_digits=4)
    '1000\u2026(5001 digits)'
    >>> number_text(sympy.Rational(7, 2 ** 20000), max_digits=3)
    '7/398\u2026(6021 digits)'
    """
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return _int_clip(value, max_digits)
    if isinstance(value, sympy.Basic):
        if value.is_Integer:
            return _int_clip(value.p, max_digits)
        if value.is_Rational:
            return f"{_int_clip(value.p, max_digits)}/{_int_clip(value.q, max_digits)}"
        big = big_rationals(value, max_digits)
        if big:
            names = {a: sympy.Symbol(f"<{number_text(a, max_digits)}>") for a in big}
            value = value.xreplace(names)
    try:
        return str(value)
    except ValueError:  # e.g. a huge integer inside an object we do not know
        return f"<a {type(value).__name__} too large to print>"


def _exceeds(expr, limit):
    """Whether the constant expression ``expr`` has magnitude above ``limit``.

    Exact for SymPy numbers; other constants (``exp(2)``, ``sqrt(3)``) are evaluated
    numerically.  When no bound can be established the answer is ``True``, so callers
    reject rather than risk unbounded work.
    """
    if expr.is_Number:
        return bool(abs(expr) > limit)
    try:
        magnitude = abs(expr.evalf(15))
        if magnitude.is_Number:
            return not bool(magnitude <= limit)
    except Exception:  # noqa: BLE001 - any failure means "cannot bound it"
        pass
    return True


def _numeric_sign(expr):
    """Sign (-1, 0 or 1) of a parameter-free expression, or ``None`` if not real.

    Decided exactly for rationals and by numerical evaluation otherwise (SymPy's
    assumption queries can take exponential time on nested logarithms).
    """
    if expr.is_Rational:
        return (expr.p > 0) - (expr.p < 0)
    try:
        value = expr.evalf(30)
    except Exception:  # noqa: BLE001 - cannot evaluate: treat as unknown
        return None
    if not (value.is_Float or value.is_Rational):
        return None  # complex, or not a plain number
    return int(bool(value > 0)) - int(bool(value < 0))


def _has_big_rational(expr, limit=_ROOT_LIMIT):
    """Whether some numerator or denominator in ``expr`` is at least ``limit``.

    SymPy factors numbers under roots (``sqrt(12) -> 2*sqrt(3)``) with primality tests
    whose cost grows quickly with the number of digits, so such numbers are kept short.
    """
    return any(abs(a.p) >= limit or a.q >= limit for a in expr.atoms(sympy.Rational))


def _rational_bits(r):
    largest = max(abs(r.p), r.q)
    return math.log2(largest) if largest > 1 else 0.0


def _radical_bits(base, exponent):
    """Bound on the bits of the radicands SymPy builds for ``base**exponent``.

    For a rational ``a`` and exponent ``n/d`` SymPy collects the primes of ``a`` into
    a radicand as large as ``a**(d - 1)`` and factors it again, so the size of the
    numbers times the denominator of the combined exponent must stay small.
    """
    bits = 0.0
    for factor in sympy.Mul.make_args(base):
        if factor.is_Rational:
            combined = exponent
            inner = factor
        elif factor.is_Pow and factor.base.is_Rational and factor.exp.is_Rational:
            combined = factor.exp * exponent
            inner = factor.base
        else:
            continue
        if combined.q > 1:
            bits += _rational_bits(inner) * combined.q
    return bits


def _power_bits(base):
    """Bits per unit exponent of the numbers SymPy computes when raising ``base``.

    ``(2*sqrt(3)*p)**n`` evaluates ``2**n`` and ``3**(n/2)``; powers of sums and of
    other functions stay unevaluated, so they contribute nothing.
    """
    if base.is_Rational:
        return _rational_bits(base)
    if base.is_Pow and base.base.is_Rational and base.exp.is_Rational:
        return _rational_bits(base.base) * float(abs(base.exp))
    if base.is_Mul:
        return sum(_power_bits(factor) for factor in base.args)
    return 0.0


def _expanded_terms(expr, cap=MAX_TERMS + 1, memo=None):
    """Upper bound (saturating at ``cap``) on the terms of ``expand(expr)``.

    SymPy expands powers of sums internally (for example to split a logarithm into
    real and imaginary parts), so expressions such as ``((p + q + 1)**100 + 1)**100``
    are rejected before anything multiplies them out.
    """
    if memo is None:
        memo = {}
    if expr in memo:
        return memo[expr]
    if expr.is_Add:
        count = min(cap, sum(_expanded_terms(a, cap, memo) for a in expr.args))
    elif expr.is_Mul:
        count = 1
        for a in expr.args:
            count = min(cap, count * _expanded_terms(a, cap, memo))
    elif expr.is_Pow and expr.exp.is_Integer and expr.exp != 0:
        base_terms = _expanded_terms(expr.base, cap, memo)
        n = abs(int(expr.exp))
        # a sum of t terms to the power n has at most C(n + t - 1, t - 1) terms
        count = 1 if base_terms == 1 else min(cap, math.comb(n + base_terms - 1, min(n, base_terms - 1)))
    else:
        count = 1
    memo[expr] = count
    return count


class _Parser:
    def __init__(self, text, symbols, where):
        self.text = text
        self.symbols = symbols
        self.where = where
        self.tokens = []
        self.pos = 0
        self.depth = 0
        self.deadline = time.perf_counter() + MAX_SECONDS

    # ------------------------------------------------------------------ errors
    def fail(self, what, col, fix):
        """Raise a one-line :class:`ExpressionError`: what, where, token/column, fix."""
        raise ExpressionError(
            f"{self.where}: {what} at column {col} in {_show_text(self.text, col)}; {fix}"
        )

    def unexpected(self, tok, expecting_value):
        if tok.kind == _END:
            self.fail(
                "expression ends early",
                tok.col,
                "finish it with a number, a declared parameter or '('",
            )
        if expecting_value:
            if tok.is_op(")"):
                self.fail("unexpected ')'", tok.col, "put a number or parameter before it")
            self.fail(
                f"expected a number, parameter or '(' but found {_quote_token(tok.text)}",
                tok.col,
                "check for a doubled or missing operand",
            )
        if tok.is_op(")"):
            self.fail("unmatched ')'", tok.col, "remove it or add the matching '('")
        if tok.is_op(","):
            self.fail(
                "unexpected ','",
                tok.col,
                "commas may only separate function arguments, as in Rational(1, 2)",
            )
        if tok.is_op("("):
            self.fail(
                "unexpected '('",
                tok.col,
                "put an operator such as * before '(' (implicit multiplication is not supported)",
            )
        self.fail(
            f"unexpected {tok.kind} {_quote_token(tok.text)}",
            tok.col,
            "put an operator such as * between two values (implicit multiplication is not supported)",
        )

    # ------------------------------------------------------------------ tokenizer
    def tokenize(self):
        text, n, i = self.text, len(self.text), 0
        tokens = self.tokens
        while i < n:
            ch = text[i]
            if ch in _WHITESPACE:
                i += 1
            elif ch in _DIGITS or (ch == "." and i + 1 < n and text[i + 1] in _DIGITS):
                tok, i = self._number(i)
                tokens.append(tok)
                if tok.kind == _BAD:
                    break
            elif ch in _LETTERS:
                j = i + 1
                while j < n and text[j] in _NAME_CHARS:
                    j += 1
                tokens.append(_Token(_NAME, text[i:j], i + 1))
                i = j
            elif ch == "*" and text.startswith("**", i):
                tokens.append(_Token(_OP, "**", i + 1))
                i += 2
            elif ch in _SINGLE_OPS:
                tokens.append(_Token(_OP, ch, i + 1))
                i += 1
            else:
                hint = _CHAR_HINTS.get(ch)
                fix = _ALLOWED if hint is None else f"{_ALLOWED} ({hint})"
                what = f"unsupported character {_quote_token(ch)}"
                tokens.append(_Token(_BAD, ch, i + 1, (what, fix)))
                break
        tokens.append(_Token(_END, "", n + 1))

    def _number(self, i):
        """Lex the number literal starting at ``i``; return ``(token, next index)``."""
        text, n, j = self.text, len(self.text), i
        while j < n and text[j] in _DIGITS:
            j += 1
        int_part, frac_part = text[i:j], ""
        if j < n and text[j] == ".":
            k = j + 1
            while k < n and text[k] in _DIGITS:
                k += 1
            frac_part, j = text[j + 1 : k], k
        exponent = 0
        if j < n and text[j] in "eE":
            k = j + 1
            if k < n and text[k] in "+-":
                k += 1
            m = k
            while m < n and text[m] in _DIGITS:
                m += 1
            if m == k:
                what = f"malformed number {_quote_token(text[i:k])}"
                return _Token(_BAD, text[i:k], i + 1, (what, "write an exponent such as 1e-3")), k
            digits = text[k:m].lstrip("0") or "0"
            if len(digits) > 6 or int(digits) > MAX_LITERAL_EXPONENT:
                what = f"number too large {_quote_token(text[i:m])}"
                fix = f"literal exponents are limited to +-{MAX_LITERAL_EXPONENT}"
                return _Token(_BAD, text[i:m], i + 1, (what, fix)), m
            exponent = -int(digits) if text[k - 1] == "-" else int(digits)
            j = m
        literal = text[i:j]
        if len(int_part) + len(frac_part) > MAX_LITERAL_DIGITS:
            what = f"number literal with more than {MAX_LITERAL_DIGITS} digits {_quote_token(literal)}"
            fix = f"use at most {MAX_LITERAL_DIGITS} digits per number"
            return _Token(_BAD, literal, i + 1, (what, fix)), j
        if j < n and text[j] == ".":
            what = f"unexpected '.' after the number {_quote_token(literal)}"
            return _Token(_BAD, ".", j + 1, (what, "a number may contain only one '.'")), j + 1
        mantissa = int(int_part + frac_part or "0")
        scale = exponent - len(frac_part)
        if scale >= 0:
            value = sympy.Integer(mantissa * 10**scale)
        else:
            value = sympy.Rational(mantissa, 10**-scale)
        return _Token(_NUM, literal, i + 1, value), j

    # ------------------------------------------------------------------ token stream
    def peek(self):
        tok = self.tokens[self.pos]
        if tok.kind == _BAD:
            what, fix = tok.value
            self.fail(what, tok.col, fix)
        return tok

    def enter(self, tok):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.fail(
                f"nesting deeper than {MAX_DEPTH} levels ({_quote_token(tok.text)})",
                tok.col,
                "simplify the expression (parentheses, function calls, signs and powers count)",
            )

    def leave(self):
        self.depth -= 1

    # ------------------------------------------------------------------ grammar
    def parse(self):
        self.tokenize()
        value = self.expression()
        tok = self.peek()
        if tok.kind != _END:
            self.unexpected(tok, expecting_value=False)
        return value

    def expression(self):
        left = self.term()
        while True:
            tok = self.peek()
            if not tok.is_op("+", "-"):
                return left
            self.pos += 1
            right = self.term()
            left = self.compute(tok, operator.add if tok.text == "+" else operator.sub, left, right)

    def term(self):
        left = self.unary()
        while True:
            tok = self.peek()
            if not tok.is_op("*", "/"):
                return left
            self.pos += 1
            right = self.unary()
            if tok.text == "*":
                left = self.compute(tok, operator.mul, left, right)
            else:
                if right.is_zero is True:
                    self.fail(
                        f"division by zero in '/' (the divisor {_show_value(right)} is zero)",
                        tok.col,
                        "use a non-zero divisor",
                    )
                left = self.compute(tok, operator.truediv, left, right)

    def unary(self):
        tok = self.peek()
        if not tok.is_op("+", "-"):
            return self.power()
        self.pos += 1
        self.enter(tok)
        operand = self.unary()
        self.leave()
        return operand if tok.text == "+" else self.compute(tok, operator.neg, operand)

    def power(self):
        base = self.primary()
        tok = self.peek()
        if not tok.is_op("**", "^"):
            return base
        self.pos += 1
        self.enter(tok)
        exponent = self.unary()
        self.leave()
        self.check_power(base, exponent, tok)
        return self.compute(tok, sympy.Pow, base, exponent)

    def primary(self):
        tok = self.peek()
        if tok.kind == _NUM:
            self.pos += 1
            return self.check(tok.value, tok)
        if tok.kind == _NAME:
            self.pos += 1
            if self.peek().is_op("("):
                return self.call(tok)
            return self.name(tok)
        if tok.is_op("("):
            self.pos += 1
            self.enter(tok)
            value = self.expression()
            self.close(tok)
            self.leave()
            return value
        self.unexpected(tok, expecting_value=True)

    def close(self, open_tok):
        """Consume the ')' matching ``open_tok``."""
        tok = self.peek()
        if tok.is_op(")"):
            self.pos += 1
            return
        if tok.kind == _END:
            self.fail(
                f"missing ')' for {_quote_token(open_tok.text)}",
                open_tok.col,
                "add the closing ')'",
            )
        self.unexpected(tok, expecting_value=False)

    def name(self, tok):
        symbol = self.symbols.get(tok.text)
        if symbol is not None:
            return symbol
        if tok.text in _FUNCTIONS:
            arity = "a, b" if _FUNCTIONS[tok.text] == 2 else "x"
            self.fail(
                f"function {_quote_token(tok.text)} used without parentheses",
                tok.col,
                f"call it as {tok.text}({arity})",
            )
        declared = sorted(self.symbols)
        example = tok.text if len(tok.text) <= 20 else "p"
        fix = (
            f"declare it under [parameters] (e.g. {example} = "
            '{ min = "0", max = "1" }) or use a number'
        )
        if declared:
            shown = ", ".join(declared[:10]) + (", ..." if len(declared) > 10 else "")
            fix += f" (declared parameters: {shown})"
        hint = _NAME_HINTS.get(tok.text)
        if hint:
            fix += f"; {hint}"
        self.fail(f"unknown name {_quote_token(tok.text)}", tok.col, fix)

    def call(self, name_tok):
        fname = name_tok.text
        if fname not in _FUNCTIONS:
            if fname in self.symbols:
                self.fail(
                    f"parameter {_quote_token(fname)} is not a function",
                    name_tok.col,
                    f"write {fname}*(...) to multiply",
                )
            self.fail(
                f"unknown function {_quote_token(fname)}",
                name_tok.col,
                f"allowed functions are {_FUNCTION_LIST}",
            )
        self.pos += 1  # the '('
        self.enter(name_tok)
        args = []
        while True:
            if self.peek().is_op(")") and not args:
                break  # f(): reported as an arity error below
            args.append(self.expression())
            tok = self.peek()
            if tok.is_op(","):
                self.pos += 1
                continue
            if tok.is_op(")"):
                break
            if tok.kind == _END:
                self.fail(
                    f"missing ')' for {_quote_token(fname + '(')}",
                    name_tok.col,
                    "add the closing ')'",
                )
            self.unexpected(tok, expecting_value=False)
        self.pos += 1  # the ')'
        self.leave()
        arity = _FUNCTIONS[fname]
        if len(args) != arity:
            usage = "Rational(a, b)" if fname == "Rational" else f"{fname}(x)"
            self.fail(
                f"{fname} takes {arity} argument{'s' if arity > 1 else ''}, got {len(args)}",
                name_tok.col,
                f"write {usage}",
            )
        return self.apply(name_tok, args)

    # ------------------------------------------------------------------ semantics
    def apply(self, name_tok, args):
        fname, col = name_tok.text, name_tok.col
        if fname == "Rational":
            a, b = args
            if not (a.is_Integer and b.is_Integer):
                self.fail(
                    f"Rational(a, b) needs integers, got Rational({_show_value(a)}, {_show_value(b)})",
                    col,
                    "write a/b for general quotients",
                )
            if b == 0:
                self.fail(
                    f"division by zero in Rational({_show_value(a)}, 0)",
                    col,
                    "use a non-zero denominator",
                )
            return self.compute(name_tok, sympy.Rational, a, b)
        (x,) = args
        if fname == "exp":
            self.check_exp_argument(x, name_tok)
            return self.compute(name_tok, sympy.exp, x)
        if fname == "log":
            if x.is_zero is True:
                self.fail("log of zero", col, "use a positive argument")
            if x.is_number and _numeric_sign(x) != 1:
                self.fail(
                    f"log of a number that is not positive ({_show_value(x)})",
                    col,
                    "use a positive argument (complex results are not supported)",
                )
            return self.compute(name_tok, sympy.log, x)
        sign = _numeric_sign(x) if x.is_number else 1
        if sign is None or sign < 0:
            self.fail(
                f"sqrt of a negative or non-real number ({_show_value(x)})",
                col,
                "use a non-negative argument (complex results are not supported)",
            )
        self.check_power(x, sympy.S.Half, name_tok)
        return self.compute(name_tok, sympy.sqrt, x)

    def compute(self, tok, fn, *args):
        """Apply a SymPy operation to SymPy objects and check the result."""
        try:
            value = fn(*args)
        except (ArithmeticError, ValueError, TypeError, RecursionError, NotImplementedError) as exc:
            detail = " ".join(str(exc).split())[:80]
            self.fail(
                f"could not evaluate {_quote_token(tok.text)} ({type(exc).__name__}: {detail})",
                tok.col,
                "simplify the expression",
            )
        if time.perf_counter() > self.deadline:
            self.fail(
                f"expression too expensive to evaluate (more than {MAX_SECONDS:g} s) in {_quote_token(tok.text)}",
                tok.col,
                "simplify the expression",
            )
        return self.check(value, tok)

    def check_exp_argument(self, x, tok):
        """Bounds for ``exp(x)``; SymPy turns ``exp(c*log(a))`` into ``a**c``."""
        name = "exp" if tok.text == "exp" else "the power of exp(1)"
        if _has_big_rational(x):
            self.fail(
                f"number too large inside {name} (more than {MAX_ROOT_DIGITS} digits)",
                tok.col,
                f"numbers inside exp, sqrt and fractional powers are limited to {MAX_ROOT_DIGITS} digits",
            )
        if x.is_number and _exceeds(x, MAX_EXP_ARGUMENT):
            self.fail(
                f"exp argument too large ({_show_value(x)})",
                tok.col,
                f"use exp(x) with |x| <= {MAX_EXP_ARGUMENT}",
            )
        # exp() looks for c*log(a) anywhere in its argument (via logcombine) and
        # turns it into a**c, so every product with a logarithm is a potential power.
        radical_bits = 0.0
        for node in sympy.preorder_traversal(x):
            if not node.is_Mul:
                continue
            factors = node.args
            for i, factor in enumerate(factors):
                if isinstance(factor, sympy.log):
                    power = sympy.Mul(*(factors[:i] + factors[i + 1 :]))
                    self.check_power(factor.args[0], power, tok)
                    if power.is_Rational:
                        radical_bits += _radical_bits(factor.args[0], power)
        if radical_bits > _RADICAL_BITS_LIMIT:
            self.fail(
                f"fractional powers of numbers too large inside {name}",
                tok.col,
                "use smaller numbers or simpler fractions in the exponents",
            )

    def check_power(self, base, exponent, tok):
        """Reject powers whose evaluation could be huge before SymPy computes them."""
        op = _quote_token(tok.text)
        if base.is_number and exponent.is_integer is not True:
            sign = _numeric_sign(base)
            if sign is None or sign < 0:
                self.fail(
                    f"negative number {_show_value(base)} raised to a non-integer power in {op}",
                    tok.col,
                    "use a non-negative base or an integer exponent (complex results are not supported)",
                )
        if base is sympy.S.Exp1:
            self.check_exp_argument(exponent, tok)  # exp(1)**x is exp(x)
        if exponent.is_Rational and abs(exponent.p) > MAX_SYMBOLIC_POWER and base.free_symbols:
            self.fail(
                f"exponent too large ({_show_value(exponent)}) for an expression with parameters in {op}",
                tok.col,
                f"powers of expressions with parameters are limited to exponents "
                f"with numerator at most {MAX_SYMBOLIC_POWER}",
            )
        # SymPy may merge exponents: (b**e)**x -> b**(e*x), exp(y)**x -> exp(x*y).
        # SymPy may also distribute the power over a product: (2*p)**x -> 2**x*p**x.
        for factor in sympy.Mul.make_args(base):
            if factor.is_Pow:
                self.check_power(factor.base, factor.exp * exponent, tok)
            elif isinstance(factor, sympy.exp):
                self.check_exp_argument(factor.args[0] * exponent, tok)
            elif factor.is_number and factor is not base:
                self.check_power(factor, exponent, tok)
        if exponent.is_number:
            if exponent.is_Rational and (abs(exponent.p) > MAX_EXPONENT or exponent.q > MAX_EXPONENT):
                self.fail(
                    f"exponent too large ({_show_value(exponent)}) in {op}",
                    tok.col,
                    f"use exponents whose numerator and denominator are at most {MAX_EXPONENT}",
                )
            if _exceeds(exponent, MAX_EXPONENT):
                self.fail(
                    f"exponent too large ({_show_value(exponent)}) in {op}",
                    tok.col,
                    f"use exponents with absolute value <= {MAX_EXPONENT}",
                )
            if (
                base.is_number
                and base not in (sympy.S.Zero, sympy.S.One, sympy.S.NegativeOne)
                and _exceeds(exponent, MAX_NUMERIC_BASE_EXPONENT)
            ):
                self.fail(
                    f"exponent too large ({_show_value(exponent)}) for the number {_show_value(base)} in {op}",
                    tok.col,
                    f"powers of numbers are limited to exponents of absolute value <= {MAX_NUMERIC_BASE_EXPONENT}",
                )
            if base.is_zero is True and exponent.is_extended_negative is True:
                self.fail(
                    f"division by zero (0 raised to the negative power {_show_value(exponent)})",
                    tok.col,
                    "use a non-zero base or a positive exponent",
                )
        if not exponent.is_Integer and _has_big_rational(base):
            self.fail(
                f"number too large under a fractional power (more than {MAX_ROOT_DIGITS} digits) in {op}",
                tok.col,
                f"numbers inside exp, sqrt and fractional powers are limited to {MAX_ROOT_DIGITS} digits",
            )
        if exponent.is_Rational and _radical_bits(base, exponent) > _RADICAL_BITS_LIMIT:
            self.fail(
                f"fractional power of a number too large ({_show_value(base)} to the power "
                f"{_show_value(exponent)}) in {op}",
                tok.col,
                "use smaller numbers or simpler fractions in the exponent",
            )
        if not exponent.is_Number and base.is_number and base not in (
            sympy.S.Zero,
            sympy.S.One,
            sympy.S.NegativeOne,
        ):
            # A sum in the exponent: SymPy keeps the power unevaluated, but it computes
            # base**c for the rational term c when it normalises or expands powers,
            # and substituting parameter values computes the rest.
            self.check_symbolic_exponent(base, exponent, tok)
        if not exponent.is_number:
            return
        if exponent.is_Number:
            magnitude = float(abs(exponent))
        else:
            try:
                magnitude = float(abs(exponent.evalf(15)))
            except Exception:  # noqa: BLE001 - cannot bound it: assume the worst allowed
                magnitude = float(MAX_EXPONENT)
        if _power_bits(base) * magnitude > _BITS_LIMIT + 1:
            self.fail(
                f"number too large (the result of {op} would exceed {MAX_RESULT_DIGITS} digits)",
                tok.col,
                "use smaller bases or exponents",
            )

    def check_symbolic_exponent(self, base, exponent, tok):
        """Bounds for a number raised to a sum or an expression with parameters."""
        for atom in exponent.atoms(sympy.Rational):
            if abs(atom.p) > MAX_EXPONENT or atom.q > MAX_EXPONENT:
                self.fail(
                    f"number too large ({_show_value(atom)}) in the exponent of {_show_value(base)} "
                    f"in {_quote_token(tok.text)}",
                    tok.col,
                    f"numbers in exponents are limited to numerators and denominators of at most {MAX_EXPONENT}",
                )
        constant = exponent.as_coeff_Add()[0]
        if constant:
            self.check_power(base, constant, tok)

    def check(self, value, tok):
        """Check the result of one operation: finite, numbers of bounded size."""
        for node in sympy.preorder_traversal(value):
            if node.is_Number:
                if node is sympy.S.NaN or node.is_finite is False:
                    self.fail(
                        f"undefined or infinite result in {_quote_token(tok.text)}",
                        tok.col,
                        "avoid division by zero and log(0)",
                    )
                if node.is_Rational and (abs(node.p) >= _DIGIT_LIMIT or node.q >= _DIGIT_LIMIT):
                    self.fail(
                        f"number too large (more than {MAX_RESULT_DIGITS} digits) in {_quote_token(tok.text)}",
                        tok.col,
                        "use smaller numbers",
                    )
            elif node.is_Pow:
                b, e = node.args
                if not e.is_Number:
                    for factor in sympy.Mul.make_args(b):
                        if factor.is_Number and factor not in (sympy.S.Zero, sympy.S.One, sympy.S.NegativeOne):
                            self.check_symbolic_exponent(factor, e, tok)
                if e.is_Rational and abs(e.p) > MAX_SYMBOLIC_POWER and b.free_symbols:
                    self.fail(
                        f"exponent too large ({_show_value(e)}) for an expression with parameters "
                        f"in {_quote_token(tok.text)}",
                        tok.col,
                        f"powers of expressions with parameters are limited to exponents "
                        f"with numerator at most {MAX_SYMBOLIC_POWER}",
                    )
                if e.is_Number and (
                    abs(e) > MAX_EXPONENT
                    or (e.is_Rational and (abs(e.p) > MAX_EXPONENT or e.q > MAX_EXPONENT))
                ):
                    self.fail(
                        f"exponent too large ({_show_value(e)}) in {_quote_token(tok.text)}",
                        tok.col,
                        f"use exponents whose numerator and denominator are at most {MAX_EXPONENT}",
                    )
                if b.is_Rational and e.is_Rational and _radical_bits(b, e) > _RADICAL_BITS_LIMIT:
                    self.fail(
                        f"fractional power of a number too large ({_show_value(b)} to the power "
                        f"{_show_value(e)}) in {_quote_token(tok.text)}",
                        tok.col,
                        "use smaller numbers or simpler fractions in the exponent",
                    )
                if b.is_Rational and not e.is_Integer and (abs(b.p) >= _ROOT_LIMIT or b.q >= _ROOT_LIMIT):
                    self.fail(
                        f"number too large under a fractional power (more than {MAX_ROOT_DIGITS} digits) "
                        f"in {_quote_token(tok.text)}",
                        tok.col,
                        f"numbers inside exp, sqrt and fractional powers are limited to {MAX_ROOT_DIGITS} digits",
                    )
            elif isinstance(node, sympy.exp):
                (x,) = node.args
                if x.is_Number and abs(x) > MAX_EXP_ARGUMENT:
                    self.fail(
                        f"exp argument too large ({_show_value(x)}) in {_quote_token(tok.text)}",
                        tok.col,
                        f"use exp(x) with |x| <= {MAX_EXP_ARGUMENT}",
                    )
        if _expanded_terms(value) > MAX_TERMS:
            self.fail(
                f"expression too large when multiplied out (more than {MAX_TERMS} terms) "
                f"in {_quote_token(tok.text)}",
                tok.col,
                "use lower powers of sums",
            )
        return value


def _plain_number(value, where):
    """Convert a Python ``int`` or ``float`` (not bool) given instead of a string."""
    if isinstance(value, int):
        if abs(value) >= _DIGIT_LIMIT:
            raise ExpressionError(
                f"{where}: integer too large (more than {MAX_RESULT_DIGITS} digits); use a smaller number"
            )
        return sympy.Integer(value)
    if not math.isfinite(value):
        raise ExpressionError(
            f"{where}: got the float {value!r}; NaN and infinity are not allowed, give a finite number"
        )
    return sympy.Float(value)


def parse_expression(text, symbols=None, *, where="expression"):
    """Parse an expression string from a case file into a SymPy expression.

    The text is read by a hand-written tokenizer and recursive-descent parser that
    understands only an allow-listed grammar; it is never passed to ``eval``,
    ``exec``, :func:`sympy.sympify` or any other general-purpose parser.

    Parameters
    ----------
    text : str, int or float
        The expression.  Strings may contain integer and decimal literals (``3``,
        ``0.75``, ``.5``, ``1e-3``, ``2.5E+2``; decimals are *exact* rationals),
        declared parameter names, ``+ - * /``, ``**`` (or ``^``), unary ``+``/``-``,
        parentheses and the functions ``exp(x)``, ``log(x)`` (natural logarithm),
        ``sqrt(x)`` and ``Rational(a, b)`` (``a``, ``b`` integers, ``b != 0``).
        Precedence follows Python: ``**`` is right-associative and binds tighter
        than a unary minus on its left (``-2**2 == -4``).  A Python ``int`` becomes
        :class:`sympy.Integer`; a finite Python ``float`` becomes
        :class:`sympy.Float` (inexact).
    symbols : mapping of str to sympy.Symbol, optional
        The declared parameters; any other name is an error.
    where : str, optional
        Where the text comes from (file and key), used as the prefix of error
        messages, e.g. ``"cases/x.toml: states.start.actions.up.prior"``.

    Returns
    -------
    sympy.Expr
        The expression.  Without floats and parameters the result is an exact
        :class:`sympy.Integer` or :class:`sympy.Rational` (or an exact constant such
        as ``sqrt(2)``).

    Raises
    ------
    proofcheck.errors.ExpressionError
        With a one-line message naming the location, the offending token and its
        column, and a fix, if

        * the text is not in the grammar: unknown names or functions, unsupported
          characters (quotes, ``.`` outside numbers, brackets, ``;``, ``=``, ...),
          missing operands or parentheses; or it is empty;
        * it divides by an exact zero, takes ``log`` of a number that is not
          positive, or ``sqrt`` or a fractional power of a negative number (complex
          results are not supported);
        * it exceeds a work bound: more than 1000 characters; nesting deeper than 50
          (parentheses, calls, signs, powers); a literal with more than 100 digits;
          a numeric exponent whose numerator or denominator exceeds 10000, or whose
          absolute value exceeds 1000 for a numeric base other than 0 and +-1, or
          whose numerator exceeds 64 for a base containing parameters; ``exp(x)``
          with a number ``|x| > 10000``; a number of more than 100 digits under
          ``sqrt``, ``exp`` or a fractional power; any numerator or denominator of
          more than 2000 digits; more than 2000 terms when multiplied out; and,
          as a safety net, more than 2 seconds of evaluation.

        Booleans, NaN, infinities and values of other types are rejected too.

    Notes
    -----
    Parameters are treated as real numbers: the expression is built from real
    stand-ins for the declared symbols (SymPy's automatic simplification can take
    exponential time on symbols with other assumptions) and the declared symbols
    are substituted back at the end without re-evaluation.  The result is therefore
    equal to, but occasionally less simplified than, the same expression built
    directly from the declared symbols (e.g. ``sqrt(p**2)`` stays
    ``Abs(p)`` even for ``positive=True``).

    Examples
    --------
    >>> parse_expression("1/2 + 1/4")
    3/4
    >>> parse_expression("0.1")
    1/10
    >>> parse_expression("-2**2"), parse_expression("2^3^2")
    (-4, 512)
    >>> import sympy
    >>> p = sympy.Symbol("p")
    >>> parse_expression("(1 - p)/2", {"p": p})
    1/2 - p/2
    >>> parse_expression("exp(-1) * Rational(3, 4)")
    3*exp(-1)/4
    >>> parse_expression("1 - q", {"p": p}, where="cases/x.toml: prior")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    proofcheck.errors.ExpressionError: cases/x.toml: prior: unknown name 'q' at column 5 in "1 - q"; declare it ...
    """
    where = str(where)
    if isinstance(text, bool) or not isinstance(text, (str, int, float)):
        raise ExpressionError(
            f"{where}: expected an expression string, got {type(text).__name__}"
            + (f" {text!r}" if isinstance(text, bool) else "")
            + '; write a number or an expression such as "1/2"'
        )
    if not isinstance(text, str):
        return _plain_number(text, where)

    if symbols is None:
        symbols = {}
    elif not isinstance(symbols, Mapping):
        raise TypeError(f"symbols must be a mapping of name -> sympy.Symbol, not {type(symbols).__name__}")

    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"{where}: expression too long ({len(text)} characters, limit {MAX_LENGTH}) "
            f"in {_show_text(text, 1)}; shorten or simplify it"
        )
    if all(ch in _WHITESPACE for ch in text):
        raise ExpressionError(f'{where}: empty expression; write a number such as "1/2"')

    table, restore = _stand_ins(symbols)
    result = _Parser(text, table, where).parse()
    if not isinstance(result, sympy.Expr):  # pragma: no cover - defensive
        raise ExpressionError(f'{where}: {_show_text(text)} is not an expression; write a number such as "1/2"')
    if restore:
        result = _restore(result, restore)
    return result


_SORT_KEY = functools.cmp_to_key(sympy.Basic.compare)  # SymPy's canonical order of terms


def _restore(expr, restore):
    """Put the declared symbols back into ``expr`` without evaluating anything.

    The arguments of sums and products are re-sorted into SymPy's canonical order
    (which depends on the symbols' assumptions), so the result equals the
    expression SymPy would build from the declared symbols directly.
    """
    if expr in restore:
        return restore[expr]
    if not expr.args or not expr.free_symbols:
        return expr
    args = [_restore(arg, restore) for arg in expr.args]
    if expr.is_Add or expr.is_Mul:
        args.sort(key=_SORT_KEY)
        return expr.func._from_args(args)
    return expr.func(*args, evaluate=False)


def _stand_ins(symbols):
    """Real stand-ins without further assumptions for the declared symbols.

    SymPy's automatic simplification asks questions whose cost depends on the
    symbols' assumptions and can explode: with ``positive=True``,
    ``((p + 1000)**1000 - 1).is_zero`` computes the real roots of a degree-999
    polynomial; without ``real=True``, ``sqrt((1 - p**10000)**7)`` expands
    ``(a + b)**10000`` to split real and imaginary parts.  The expression is
    therefore built from symbols that are only known to be real, with the same names
    (so terms sort the same way), and the declared symbols are put back at the end
    without evaluating anything.  Parameters are thereby treated as real numbers.

    Returns ``(table, restore)``: the name -> stand-in mapping used for parsing and the
    stand-in -> declared symbol mapping applied to the result.
    """
    table, restore = {}, {}
    names = [v.name for v in symbols.values() if isinstance(v, sympy.Symbol)]
    for key, value in symbols.items():
        if type(value) is sympy.Symbol and names.count(value.name) == 1:
            real = sympy.Symbol(value.name, real=True)
            table[key] = real
            if real != value:
                restore[real] = value
        else:
            table[key] = value
    return table, restore
