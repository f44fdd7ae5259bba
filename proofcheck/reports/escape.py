"""Escaping of user-provided text for LaTeX and for the terminal.

Every string that comes from a case file or a model (titles, descriptions, sources,
state and action names, claim summaries) goes through :func:`escape_tex` before it
reaches the document, so that ``\\input{/etc/passwd}`` or ``\\write18{...}`` print
literally and are never executed.  The TeX run itself has shell escape disabled as a
second line of defence (:mod:`proofcheck.reports.build`).

Non-ASCII characters are mapped to LaTeX commands when known and to a visible
``[U+XXXX]`` code otherwise, so the document compiles with plain ``pdflatex``
whatever the input encoding.

:func:`terminal_safe` is the terminal's counterpart: every user string the command line
prints (titles, descriptions, sources, state and action names, paths, error messages)
goes through it, so that an escape sequence in a case file (``\x1b[2J`` clears the
screen, ``\x1b]0;...\x07`` retitles the window, ``\u202e`` reverses the line) prints as
visible text, and a 100 000-character value prints as its first characters and its size.
"""

from __future__ import annotations

import unicodedata

from proofcheck._text import TERMINAL_LIMIT, terminal_safe

__all__ = ["escape_tex", "tex_verbatim_lines", "terminal_safe", "TERMINAL_LIMIT"]

_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "%": r"\%",
    "_": r"\_",
    "^": r"\textasciicircum{}",
    "~": r"\textasciitilde{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
    '"': r"\textquotedbl{}",
    # Ligatures and quote conversions would change what the reader sees.
    "`": r"\textasciigrave{}",
    "'": r"\textquotesingle{}",
    "-": r"-{}",
}

_UNICODE = {
    "\u2013": "--", "\u2014": "---", "\u2018": "`", "\u2019": "'", "\u201c": "``",
    "\u201d": "''", "\u2026": r"\dots{}", "\u00a0": "~", "\u00b7": r"\textperiodcentered{}",
    "\u00d7": r"$\times$", "\u2212": "-", "\u2264": r"$\leq$", "\u2265": r"$\geq$",
    "\u2260": r"$\neq$", "\u221d": r"$\propto$", "\u221e": r"$\infty$", "\u2192": r"$\rightarrow$",
    "\u2190": r"$\leftarrow$", "\u2248": r"$\approx$", "\u00b1": r"$\pm$", "\u03b1": r"$\alpha$",
    "\u03b2": r"$\beta$", "\u03b3": r"$\gamma$", "\u03b4": r"$\delta$", "\u03ba": r"$\kappa$",
    "\u03bc": r"$\mu$", "\u03c0": r"$\pi$", "\u03c4": r"$\tau$", "\u03c3": r"$\sigma$",
    "\u0394": r"$\Delta$", "\u2211": r"$\sum$", "\u2208": r"$\in$",
}


def _char(ch):
    if ch in _SPECIAL:
        return _SPECIAL[ch]
    if ch in ("\n", "\t", "\r"):
        return " "
    code = ord(ch)
    if 32 <= code < 127:
        return ch
    if ch in _UNICODE:
        return _UNICODE[ch]
    # Accented Latin letters: strip to the base letter plus a TeX accent when simple.
    decomposed = unicodedata.normalize("NFD", ch)
    accents = {"\u0301": "'", "\u0300": "`", "\u0308": '"', "\u0302": "^", "\u0303": "~",
               "\u0327": "c", "\u030c": "v"}
    if len(decomposed) == 2 and decomposed[0].isascii() and decomposed[0].isalpha() \
            and decomposed[1] in accents:
        return "\\" + accents[decomposed[1]] + "{" + decomposed[0] + "}"
    if code < 32 or unicodedata.category(ch).startswith("C"):
        return ""  # control characters carry no text
    return f"[U+{code:04X}]"


def escape_tex(text):
    """Escape arbitrary text so LaTeX prints it literally.

    Parameters
    ----------
    text : object
        Converted with ``str``; ``None`` becomes the empty string.

    Returns
    -------
    str
        LaTeX source that typesets ``text`` character for character.

    Examples
    --------
    >>> escape_tex(r"\\input{/etc/passwd}")
    '\\\\textbackslash{}input\\\\{/etc/passwd\\\\}'
    >>> escape_tex("silver_up: 50% & $5")
    'silver\\\\_up: 50\\\\% \\\\& \\\\$5'
    >>> escape_tex("p(a) \u221d 3/4")
    'p(a) $\\\\propto$ 3/4'
    """
    if text is None:
        return ""
    return "".join(_char(ch) for ch in str(text))


def tex_verbatim_lines(lines):
    """Escaped lines in a typewriter block that keeps spacing and breaks long lines.

    Examples
    --------
    >>> print(tex_verbatim_lines(["a_b", "x"]))
    {\\small\\ttfamily\\raggedright
    a\\_b\\par
    x\\par}
    """
    body = "\n".join(escape_tex(line) + r"\par" for line in lines)
    return "{\\small\\ttfamily\\raggedright\n" + body + "}"



