"""Progress on stderr for long report runs: only when stderr is a terminal."""

from __future__ import annotations

import sys

from proofcheck._text import terminal_safe

__all__ = ["Progress"]


class Progress:
    """One status line, rewritten in place; silent when the stream is not a terminal.

    Examples
    --------
    >>> import io
    >>> p = Progress(io.StringIO())   # not a terminal: prints nothing
    >>> p.update("case 1/2: claim P4.2"); p.done(); p.stream.getvalue()
    ''
    """

    def __init__(self, stream=None):
        self.stream = stream if stream is not None else sys.stderr
        try:
            self.enabled = bool(self.stream.isatty())
        except (AttributeError, ValueError):
            self.enabled = False
        self._width = 0

    def update(self, message):
        if not self.enabled:
            return
        message = terminal_safe(message, limit=150)
        pad = max(0, self._width - len(message))
        self.stream.write("\r" + message + " " * pad)
        self.stream.flush()
        self._width = len(message)

    def done(self):
        if self.enabled and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0
