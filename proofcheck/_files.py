"""Writing files so that nothing is lost: a temporary file beside the target, flushed to
disk, then renamed into place; the folder synced so that the rename survives a crash."""

from __future__ import annotations

import os
import tempfile

__all__ = ["fsync_dir", "write_temp"]


def fsync_dir(folder: str) -> None:
    """Make a rename in ``folder`` durable (POSIX); a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_temp(folder: str, data: bytes, prefix: str, mode: int | None = None) -> str:
    """Write ``data`` to a new temporary file in ``folder``, flushed to disk, and return its path.

    ``mode`` (default: what a new file gets under the current umask) is set on it, so that
    renaming it over a target gives the file the intended permissions.  On any failure the
    temporary file is removed and the error propagates.

    Examples
    --------
    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> tmp = write_temp(d, b"x", ".out.")
    >>> os.path.dirname(tmp) == d, open(tmp).read()
    (True, 'x')
    """
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is None:
            umask = os.umask(0o022)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return tmp
