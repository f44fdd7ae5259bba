"""Atomic file writes and the TeX run.

:func:`atomic_write` writes a temporary file in the target's folder, flushes it to disk
and moves it into place with :func:`os.replace` (then flushes the folder), so a reader
never sees a half-written file and an interrupted write leaves the previous file intact.
A report is several files written as one set on top of this
(:mod:`proofcheck.reports.report`: staging folder, journal, manifest).

The PDF is built by ``pdflatex`` (run twice only when the log asks for a rerun) in a
fresh temporary directory, with ``-no-shell-escape -interaction=nonstopmode
-halt-on-error``: user text is escaped (:mod:`proofcheck.reports.escape`) and TeX cannot
run programs either way.  ``SOURCE_DATE_EPOCH`` is fixed and the document sets
``\\pdfinfoomitdate`` and ``\\pdftrailerid{}``, so the PDF carries no build date.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile

from proofcheck._files import fsync_dir, write_temp
from proofcheck.errors import TexError
from proofcheck.reports.escape import terminal_safe

__all__ = ["TexError", "atomic_write", "atomic_write_bytes", "find_tex_engine", "compile_pdf",
           "TEX_TIMEOUT"]

TEX_TIMEOUT = 600


def atomic_write_bytes(path, data):
    """Write ``data`` to ``path`` atomically (temporary file in the same directory).

    Examples
    --------
    >>> import tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> atomic_write_bytes(os.path.join(d, "x.bin"), b"abc")
    >>> open(os.path.join(d, "x.bin"), "rb").read()
    b'abc'
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    tmp = write_temp(directory, data, "." + os.path.basename(path) + ".", 0o644)
    try:
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    fsync_dir(directory)


def atomic_write(path, text):
    """Write UTF-8 text atomically; ``\\n`` line endings on every platform."""
    atomic_write_bytes(path, text.encode("utf-8"))


def find_tex_engine():
    """Path of ``pdflatex``, or ``None`` when no TeX engine is installed.

    ``PROOFCHECK_PDFLATEX`` overrides the search (an empty value means none).
    """
    override = os.environ.get("PROOFCHECK_PDFLATEX")
    if override is not None:
        return override or None
    return shutil.which("pdflatex")


def _first_error(log):
    lines = log.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("!") or re.match(r"^\S+:\d+: ", line):
            return " ".join(l.strip() for l in lines[i:i + 3])[:300]
    return "no error message in the log"


def compile_pdf(tex_text, pdf_path, *, engine=None, name="report", timeout=TEX_TIMEOUT):
    """Compile ``tex_text`` to ``pdf_path`` (atomically).  Returns the engine used.

    Raises :class:`TexError` (one line, with the first error of the TeX log) when TeX
    fails, and ``FileNotFoundError`` when no engine is available.
    """
    engine = engine or find_tex_engine()
    if not engine:
        raise FileNotFoundError("no TeX engine (pdflatex) found")
    env = dict(os.environ, SOURCE_DATE_EPOCH="0", FORCE_SOURCE_DATE="1",
               openout_any="p", shell_escape="f")
    with tempfile.TemporaryDirectory(prefix="proofcheck-tex-") as work:
        src = os.path.join(work, name + ".tex")
        with open(src, "w", encoding="utf-8") as fh:
            fh.write(tex_text)
        cmd = [engine, "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error",
               "-file-line-error", name + ".tex"]
        for _attempt in range(3):
            try:
                proc = subprocess.run(cmd, cwd=work, env=env, stdin=subprocess.DEVNULL,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                      timeout=timeout)
            except subprocess.TimeoutExpired:
                raise TexError(f"{terminal_safe(engine)} did not finish within {timeout} s on "
                               f"{terminal_safe(name)}.tex; "
                               "the .tex is written, compile it by hand to see why") from None
            log_path = os.path.join(work, name + ".log")
            log = ""
            if os.path.exists(log_path):
                with open(log_path, encoding="latin-1") as fh:
                    log = fh.read()
            if proc.returncode != 0:
                raise TexError(f"{terminal_safe(os.path.basename(engine))} failed on {terminal_safe(name)}.tex: "
                               f"{terminal_safe(_first_error(log))}; "
                               "the .tex is written (please report this as a bug)")
            if "Rerun to get" not in log and "rerunfilecheck" not in log:
                break
        with open(os.path.join(work, name + ".pdf"), "rb") as fh:
            atomic_write_bytes(pdf_path, fh.read())
    return engine
