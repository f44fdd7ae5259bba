"""Writing the files a subcommand's ``-o`` names: checked before the work, written atomically.

A subcommand calls :func:`check_output` on its ``-o`` path *before* it starts working,
so that a path it cannot write is a one-line error at once, not after minutes of work;
then :func:`write_output` when the work is done.  ``write_output`` writes a temporary
file in the target's folder, flushes it to disk (``fsync``) and moves it over the
target with :func:`os.replace`: a reader sees the old file or the new one, never a
part, and a Ctrl-C or a kill at any time (during the work or during the write) leaves
the old file intact.  A symbolic link is followed: its target is replaced, the link
stays.
"""

from __future__ import annotations

import os

from proofcheck._files import fsync_dir, write_temp
from proofcheck._text import terminal_safe
from proofcheck.errors import ProofcheckError

__all__ = ["check_output", "write_output"]


def _fail(option, path, what):
    raise ProofcheckError(f"{option} {terminal_safe(os.fspath(path))}: {what}; "
                          "choose a writable file path") from None


def _target(path):
    return os.path.realpath(os.fspath(path))


def check_output(path, option="-o"):
    """Check, before any work, that ``write_output(path, ...)`` can succeed.

    The folder must exist and be writable (``access(2)``: permissions, ACLs and
    read-only file systems); an existing ``path`` must be a writable regular file.  Raises
    :class:`~proofcheck.errors.ProofcheckError` (one line, exit 2) otherwise.  Nothing is
    created, so nothing is left behind.

    Examples
    --------
    >>> import tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> check_output(os.path.join(d, "out.json"))
    >>> os.listdir(d)
    []
    >>> check_output(d)
    Traceback (most recent call last):
    ...
    proofcheck.errors.ProofcheckError: -o ...: is a folder; choose a writable file path
    """
    raw = os.fspath(path)
    if not raw:
        _fail(option, raw, "empty path")
    target = _target(raw)
    if os.path.isdir(target):
        _fail(option, raw, "is a folder")
    folder = os.path.dirname(target)
    if not os.path.isdir(folder):
        _fail(option, raw, f"no such folder {os.path.dirname(raw) or '.'}")
    if os.path.exists(target):
        if not os.path.isfile(target):
            _fail(option, raw, "not a regular file")
        if not os.access(target, os.W_OK):
            _fail(option, raw, "the existing file is read-only")
    if not os.access(folder, os.W_OK | os.X_OK):  # permissions, ACLs, read-only file systems
        _fail(option, raw, "cannot write in its folder (permission denied or read-only)")


def write_output(path, text, option="-o"):
    """Write ``text`` (UTF-8) to the file ``path`` given with ``option``, atomically.

    An unwritable path is a :class:`~proofcheck.errors.ProofcheckError` (one line,
    exit 2), not a traceback; on any failure or interruption the old file is intact and
    the temporary file is removed.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "out.txt")
    >>> write_output(p, "old"); write_output(p, "new")
    >>> open(p).read(), sorted(os.listdir(os.path.dirname(p)))
    ('new', ['out.txt'])
    """
    raw = os.fspath(path)
    target = _target(raw)
    data = text.encode("utf-8")
    try:
        mode = os.stat(target).st_mode & 0o7777
    except OSError:
        mode = None
    try:
        tmp = write_temp(os.path.dirname(target), data, "." + os.path.basename(target) + ".", mode)
    except OSError as exc:
        _fail(option, raw, f"cannot write the file ({exc.strerror})")
    try:
        os.replace(tmp, target)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            _fail(option, raw, f"cannot write the file ({exc.strerror})")
        raise
    fsync_dir(os.path.dirname(target))
