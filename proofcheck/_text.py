"""Text that is safe to print on a terminal: one helper for every layer."""

from __future__ import annotations

import unicodedata

__all__ = ["terminal_safe", "TERMINAL_LIMIT"]


#: Default number of characters :func:`terminal_safe` keeps of one value.
TERMINAL_LIMIT = 300

# Unicode categories that print nothing visible or move the cursor or the text direction:
# controls (C0, DEL, C1), format characters (bidi overrides, zero-width), surrogates,
# private use, unassigned, line and paragraph separators.
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_SHORT = {"\n": r"\n", "\t": r"\t", "\r": r"\r"}


def _terminal_char(ch, keep_newlines):
    """The escape of one character, or the character itself when it prints as itself."""
    if ch == "\n" and keep_newlines:
        return ch
    if ch in _SHORT:
        return _SHORT[ch]
    code = ord(ch)
    if 32 <= code < 127:
        return ch
    if unicodedata.category(ch) in _INVISIBLE:
        if code < 0x100:
            return f"\\x{code:02x}"
        return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
    return ch


def terminal_safe(text, limit=TERMINAL_LIMIT, *, keep_newlines=False):
    r"""``text`` made safe to print on a terminal: control characters visible, long values clipped.

    Control and invisible formatting characters (ESC, BEL, backspace, carriage return,
    DEL, C1 controls, bidi overrides, zero-width characters, ...) are written as
    Python-style escapes (``\x1b``, ``\u202e``), newlines and tabs as ``\n`` and ``\t``
    (a newline is kept with ``keep_newlines``).  When any escape was needed, backslashes
    already in the text are doubled so that the output reads unambiguously; text without
    control characters (Windows paths included) is returned unchanged.  A value longer
    than ``limit`` characters is cut to ``limit`` characters followed by
    ``…(N characters)``, N being the length of the whole value.

    Parameters
    ----------
    text : object
        Converted with ``str``; ``None`` becomes ``""``.
    limit : int or None
        Characters kept of the escaped value; ``None``: no clipping.
    keep_newlines : bool
        Keep line breaks (multi-line messages); every other control is still escaped.

    Examples
    --------
    >>> print(terminal_safe("evil\x1b[2J title"))
    evil\x1b[2J title
    >>> print(terminal_safe("a\u202eb\\c\n"))
    a\u202eb\\c\n
    >>> print(terminal_safe("C:\\cases\\x.toml"))
    C:\cases\x.toml
    >>> terminal_safe("x" * 100000, limit=5)
    'xxxxx…(100000 characters)'
    >>> terminal_safe("café ≤ 1")
    'café ≤ 1'
    """
    if text is None:
        return ""
    text = str(text)
    if text.isprintable():  # no control, format or separator character: nothing to escape
        out = text  # (one C scan: a closed form of a float-derived model prints 10^5 characters)
    else:
        escaped = [_terminal_char(ch, keep_newlines) for ch in text]
        if any(e != ch for e, ch in zip(escaped, text)):
            out = "".join("\\\\" if ch == "\\" else e for e, ch in zip(escaped, text))
        else:
            out = text
    if limit is not None and len(out) > limit:
        out = out[:max(0, int(limit))] + f"\u2026({len(text)} characters)"
    return out
