"""Writing the files a subcommand's ``-o`` names."""

from __future__ import annotations

from proofcheck.errors import ProofcheckError

__all__ = ["write_output"]


def write_output(path, text, option="-o"):
    """Write ``text`` to the file ``path`` given with ``option``; an unwritable path is a
    :class:`~proofcheck.errors.ProofcheckError` (one line, exit 2), not a traceback."""
    try:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        raise ProofcheckError(f"{option} {path}: cannot write the file ({exc.strerror}); "
                              "choose a writable file path") from None
