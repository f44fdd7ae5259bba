"""Write a report: ``NAME.tex``, ``NAME.json``, ``NAME.md``, (with TeX) ``NAME.pdf`` and
``NAME.manifest.json``, as one set.

The files of a report are replaced together or not at all
----------------------------------------------------------
A report is four files that describe the same run; an interrupted run must not leave,
say, a new ``.tex`` beside an old ``.pdf``.  :func:`write_report` therefore

1. computes every file in memory, the PDF included (TeX runs in a private temporary
   folder): a failure or a kill during this work touches nothing next to the target;
2. takes an exclusive lock on the target folder (``flock``; concurrent reports into one
   folder commit one after the other);
3. writes every file, and the manifest ``NAME.manifest.json`` (names, sizes and SHA-256
   of the files of the set), into the staging folder ``.NAME.report-staging`` next to the
   target, each flushed to disk;
4. **commits**: writes the journal (what to move in, and which files of the old set to
   remove: an old ``NAME.pdf`` when the new set has none, if the old manifest lists it
   with its current content -- a file proofcheck did not write is never removed) and
   renames it into the staging folder -- one atomic rename, the commit point;
5. moves each file into place with :func:`os.replace` (the manifest last), removes the
   files the journal names, then the staging folder.

A kill before the commit point leaves the old set untouched (the staging folder is
discarded by the next run).  A kill after it can leave the set half moved, but the
journal says how to finish: the next :func:`write_report` to that folder, or
:func:`recover_report`, completes the moves first (roll forward), so the set becomes
entirely new.  Step 5 does no computation, only a few renames.  :func:`check_report`
tells whether the files on disk are exactly the set their manifest describes.

Examples
--------
>>> import tempfile, os
>>> from proofcheck import load_case
>>> from proofcheck.verify import verify_case
>>> res = verify_case(load_case("cases/stochastic_counterexample.toml"), extensions=False)
>>> out = write_report([res], os.path.join(tempfile.mkdtemp(), "r"), pdf=False, k_max=2)
>>> sorted(os.path.basename(p) for p in out["written"])
['r.csv', 'r.json', 'r.manifest.json', 'r.md', 'r.tex']
>>> check_report(out["written"][0])
[]
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile

from proofcheck._files import fsync_dir
from proofcheck.errors import ReportInputError, TexError
from proofcheck.reports.build import compile_pdf, find_tex_engine
from proofcheck.reports.csv_report import report_csv
from proofcheck.reports.escape import terminal_safe
from proofcheck.reports.json_report import dumps, report_json
from proofcheck.reports.latex import report_document
from proofcheck.reports.markdown import report_markdown
from proofcheck.verify.tables import retraining_table

__all__ = ["ReportInputError", "write_report", "load_experiment", "output_stem", "check_report",
           "recover_report", "check_report_output", "MANIFEST_SCHEMA"]

_SUFFIXES = (".tex", ".pdf", ".json", ".md", ".csv")
_MANIFEST = ".manifest.json"
_JOURNAL = "journal.json"
#: ``schema`` of ``NAME.manifest.json``
MANIFEST_SCHEMA = "proofcheck.report-manifest/1"


def output_stem(output):
    """``reports/example`` from ``reports/example`` or ``reports/example.tex``.

    Examples
    --------
    >>> output_stem("reports/example.tex"), output_stem("reports/example")
    ('reports/example', 'reports/example')
    """
    output = os.fspath(output)
    for suf in _SUFFIXES + (_MANIFEST,):
        if output.endswith(suf):
            return output[: -len(suf)]
    if not os.path.basename(output):
        raise ReportInputError(f"-o {terminal_safe(output)!s}: give a file stem such as reports/example, "
                               "not a folder")
    return output


def load_experiment(path):
    """Read a ``proofcheck experiment`` JSON file (a dict with a ``rows`` list)."""
    shown = terminal_safe(path)
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        raise ReportInputError(f"--experiment {shown}: no such file; run `proofcheck experiment "
                               f"... -o {shown}` first or fix the path") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReportInputError(f"--experiment {shown}: not readable JSON "
                               f"({terminal_safe(' '.join(str(exc).split()))}); "
                               "give the JSON written by `proofcheck experiment`") from None
    if not isinstance(data, dict) or not isinstance(data.get("rows"), list):
        raise ReportInputError(f"--experiment {shown}: no 'rows' list at the top level; give the JSON "
                               "written by `proofcheck experiment` (schema proofcheck.discussion/1)")
    return data


def _staging(directory, name):
    return os.path.join(directory, f".{name}.report-staging")


@contextlib.contextmanager
def _folder_lock(directory):
    """Exclusive ``flock`` on the folder (released by the kernel if the process dies);
    no lock where the platform or file system has none."""
    try:
        import fcntl
        fd = os.open(directory, os.O_RDONLY)
    except (ImportError, OSError):
        yield
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:
            pass
        yield
    finally:
        os.close(fd)  # releases the lock


def _write_file(path, data):
    with open(path, "xb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    umask = os.umask(0o022)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)


def _roll_forward(directory, staging, journal):
    for fname in journal["install"]:
        src = os.path.join(staging, fname)
        if os.path.exists(src):  # else: moved before an interruption
            os.replace(src, os.path.join(directory, fname))
    for fname in journal["remove"]:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(os.path.join(directory, fname))
    fsync_dir(directory)
    shutil.rmtree(staging)


def _recover(directory, name):
    """Finish (journal present) or discard (no journal) an interrupted commit.
    Returns ``"finished"``, ``"discarded"`` or ``None`` (nothing to do).  Hold the lock."""
    staging = _staging(directory, name)
    if not os.path.isdir(staging):
        return None
    journal_path = os.path.join(staging, _JOURNAL)
    if not os.path.exists(journal_path):
        shutil.rmtree(staging)
        return "discarded"
    with open(journal_path, encoding="utf-8") as fh:
        journal = json.load(fh)
    _roll_forward(directory, staging, journal)
    return "finished"


def recover_report(output):
    """Complete or discard an interrupted report commit for ``output`` (see the module
    docstring); returns ``"finished"``, ``"discarded"`` or ``None`` when there was none."""
    stem = output_stem(output)
    directory = os.path.dirname(os.path.abspath(stem))
    if not os.path.isdir(directory):
        return None
    with _folder_lock(directory):
        return _recover(directory, os.path.basename(stem))


def check_report(output):
    """Problems of the report set ``output`` on disk (empty list: consistent).

    The set is consistent when its manifest exists, every file it lists has the listed
    size and SHA-256, no other report file of that stem (``.tex``, ``.pdf``, ``.json``,
    ``.md``) exists, and no committed write is pending.
    """
    stem = output_stem(output)
    directory = os.path.dirname(os.path.abspath(stem))
    name = os.path.basename(stem)
    problems = []
    if os.path.exists(os.path.join(_staging(directory, name), _JOURNAL)):
        # (a staging folder without a journal is the leftover of a write killed before its
        # commit point: the set on disk is the old one, complete)
        problems.append("an interrupted write is pending (committed, not finished); "
                        "run the command again or recover_report")
    try:
        with open(stem + _MANIFEST, encoding="utf-8") as fh:
            manifest = json.load(fh)
        files = manifest["files"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return problems + [f"no readable manifest {name}{_MANIFEST} ({type(exc).__name__})"]
    for fname, meta in sorted(files.items()):
        try:
            with open(os.path.join(directory, fname), "rb") as fh:
                data = fh.read()
        except OSError:
            problems.append(f"{fname}: missing")
            continue
        if len(data) != meta.get("bytes") or hashlib.sha256(data).hexdigest() != meta.get("sha256"):
            problems.append(f"{fname}: not the file of the manifest")
    for suffix in _SUFFIXES:
        fname = name + suffix
        if fname not in files and os.path.exists(os.path.join(directory, fname)):
            problems.append(f"{fname}: not part of the set")
    return problems


def check_report_output(output):
    """Check before any work that the report ``output`` can be written: the folder can be
    created and accepts files.  Returns ``(stem, directory)``; a
    :class:`ReportInputError` (one line) otherwise."""
    stem = output_stem(output)
    directory = os.path.dirname(os.path.abspath(stem))
    shown = terminal_safe(os.fspath(output))
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError as exc:
        raise ReportInputError(f"-o {shown}: cannot create folder {terminal_safe(directory)} "
                               f"({exc.strerror}); choose a writable location") from None
    if not os.access(directory, os.W_OK | os.X_OK):  # permissions, ACLs, read-only file systems
        raise ReportInputError(f"-o {shown}: cannot write in {terminal_safe(directory)} "
                               "(permission denied or read-only); choose a writable location")
    for suffix in _SUFFIXES + (_MANIFEST,):
        if os.path.isdir(stem + suffix):
            raise ReportInputError(f"-o {shown}: {terminal_safe(stem + suffix)} is a folder; "
                                   "choose another name")
    return stem, directory


def _commit(directory, name, files, remove, output):
    """Steps 2-5 of the module docstring.  ``files``: ``{file name: bytes}`` (the
    manifest last); ``remove``: names of old files that are not part of the new set."""
    shown = terminal_safe(os.fspath(output))
    with _folder_lock(directory):
        try:
            _recover(directory, name)
        except (OSError, ValueError) as exc:
            raise ReportInputError(f"-o {shown}: cannot finish the interrupted earlier write of this "
                                   f"report ({terminal_safe(exc)}); remove "
                                   f"{terminal_safe(_staging(directory, name))} by hand") from None
        staging = _staging(directory, name)
        committed = False
        try:
            os.mkdir(staging)
            for fname, data in files.items():
                _write_file(os.path.join(staging, fname), data)
            journal = json.dumps({"install": list(files), "remove": list(remove)}).encode("utf-8")
            _write_file(os.path.join(staging, _JOURNAL + ".part"), journal)
            fsync_dir(staging)
            os.replace(os.path.join(staging, _JOURNAL + ".part"), os.path.join(staging, _JOURNAL))
            fsync_dir(staging)
            committed = True  # the commit point: from here on the new set wins
            _roll_forward(directory, staging, json.loads(journal))
        except OSError as exc:
            if committed:
                raise ReportInputError(f"-o {shown}: writing the report was interrupted "
                                       f"({exc.strerror or exc}); run the command again to finish "
                                       "it") from None
            with contextlib.suppress(OSError):
                shutil.rmtree(staging)
            raise ReportInputError(f"-o {shown}: cannot write the report in {terminal_safe(directory)} "
                                   f"({exc.strerror or exc}); choose a writable location; the "
                                   "previous report is unchanged") from None
        except BaseException:
            if not committed:
                with contextlib.suppress(OSError):
                    shutil.rmtree(staging)
            raise


def _own_files(directory, name):
    """Files of the current set that its manifest lists with their current content: the
    only ones a new set may remove (a file proofcheck did not write is never removed)."""
    try:
        with open(os.path.join(directory, name + _MANIFEST), encoding="utf-8") as fh:
            listed = json.load(fh)["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return set()
    own = set()
    for fname, meta in listed.items():
        try:
            with open(os.path.join(directory, fname), "rb") as fh:
                if hashlib.sha256(fh.read()).hexdigest() == meta.get("sha256"):
                    own.add(fname)
        except (OSError, AttributeError):
            continue
    return own


def _manifest(name, files):
    doc = {"schema": MANIFEST_SCHEMA, "report": name,
           "files": {f: {"bytes": len(d), "sha256": hashlib.sha256(d).hexdigest()}
                     for f, d in sorted(files.items())}}
    return (json.dumps(doc, indent=1, sort_keys=True) + "\n").encode("utf-8")


def write_report(results, output, *, experiment=None, experiment_name="", pdf=True,
                 timings=False, command="", k_max=None, engine=None, brief=False):
    """Write every file of a report, as one set (see the module docstring).

    Returns
    -------
    dict
        ``written`` (paths, the manifest included), ``pdf`` (path or ``None``),
        ``pdf_status`` (one line), ``removed`` (paths of files of the previous report
        that are not part of this one, e.g. its PDF), ``tex`` (the document).

    Raises
    ------
    ReportInputError
        The location is not writable (nothing was changed).
    TexError
        TeX failed: the new set is written without a PDF (an older PDF that the old
        manifest lists is removed), then the error is raised.
    """
    stem, directory = check_report_output(output)
    name = os.path.basename(stem)
    tables = [retraining_table(r.case, k_max=k_max) for r in results]
    tex = report_document(results, tables, experiment=experiment, experiment_name=experiment_name,
                          command=command, brief=brief)
    doc = report_json(results, tables, experiment=experiment, experiment_name=experiment_name,
                      timings=timings)
    md = report_markdown(results, tables, name=name, experiment_name=experiment_name)
    files = {name + ".tex": tex.encode("utf-8"), name + ".json": dumps(doc).encode("utf-8"),
             name + ".md": md.encode("utf-8"), name + ".csv": report_csv(results).encode("utf-8")}
    shown = terminal_safe(stem)
    tex_error = None
    if not pdf:
        status = "PDF not requested (--no-pdf)"
    else:
        engine = engine or find_tex_engine()
        if not engine:
            status = (f"no TeX engine (pdflatex) found: wrote {shown}.tex without a PDF; "
                      "install TeX Live (texlive-latex-extra, texlive-pictures) to get one")
        else:
            with tempfile.TemporaryDirectory(prefix="proofcheck-pdf-") as work:
                try:
                    compile_pdf(tex, os.path.join(work, name + ".pdf"), engine=engine, name=name)
                except TexError as exc:
                    tex_error = exc
                else:
                    with open(os.path.join(work, name + ".pdf"), "rb") as fh:
                        files[name + ".pdf"] = fh.read()
            status = f"wrote {shown}.pdf" if tex_error is None else "PDF not written (TeX failed)"
    files[name + _MANIFEST] = _manifest(name, files)
    stale = [name + s for s in _SUFFIXES if name + s not in files
             and os.path.lexists(os.path.join(directory, name + s))]
    ours = _own_files(directory, name)
    remove = [f for f in stale if f in ours]
    _commit(directory, name, files, remove, output)
    where = os.path.dirname(stem)
    if remove:
        status += ("; removed " + ", ".join(terminal_safe(os.path.join(where, f)) for f in remove)
                   + " of the previous report (it did not match this one)")
    kept = [f for f in stale if f not in ours]
    if kept:
        status += ("; kept " + ", ".join(terminal_safe(os.path.join(where, f)) for f in kept)
                   + ", which is not part of this report (not written by proofcheck report)")
    order = [".tex", ".json", ".md", ".csv", _MANIFEST, ".pdf"]
    written = [stem + s for s in order if name + s in files]
    out = {"written": written, "pdf": stem + ".pdf" if name + ".pdf" in files else None,
           "pdf_status": status, "removed": [stem[: len(stem) - len(name)] + f for f in remove],
           "tex": tex}
    if tex_error is not None:
        raise tex_error
    return out
