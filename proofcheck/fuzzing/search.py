"""Counterexample search: run a claim on random MDPs, shrink the first failure, save it.

A search for one claim makes two passes over the same seeded hypothesis stream:

1. *statistics*: ``examples`` random models, each claim verdict counted (nothing raises,
   so every example is generated);
2. *shrinking* (only when pass 1 saw a ``fails`` verdict): :func:`hypothesis.find` with
   the same seed reaches the same first failure (verdicts are cached from pass 1, so the
   replay is cheap) and shrinks it to a small model.

Only ``fails`` counts as a counterexample; ``not-applicable`` (hypothesis not met) does
not, even when the conclusion fails there (such models are counted separately and saved
only with ``beyond_hypothesis=True``).  Every saved case is re-loaded from its TOML text
and re-checked before it is reported, so a written file always reproduces its verdict.

Reproducibility: work budgets, not clocks
-----------------------------------------
Every limit of a search counts work: ``examples`` models in pass 1 and at most
``shrink_budget`` candidate models tried while shrinking (hypothesis's own five-minute
shrinking limit is lifted during the search; its count limit of 500 successful shrinks
stays).  No verdict is ever replaced by a time-out, so the same arguments give the same
statistics, the same shrunk model and the same file, byte for byte, on any machine and
under any load.  The only clock is an optional *hang guard* (``hang_seconds``, the
``--timeout`` of ``proofcheck fuzz``): a single claim run that exceeds it stops the
whole search with :class:`SearchHang`; it never changes a count or a file.

Files: never overwritten
------------------------
A case is written to a temporary file in the ``out`` folder, flushed to disk and linked
to its final name only if that name is free (:func:`os.link` fails on an existing
name, so two runs at once cannot both take it).  When the name is taken by a file with
the same text, nothing is written (the run is a repetition); by a different file, the
case gets the next free name ``NAME-2.toml``, ``NAME-3.toml``, ... so that both results
are kept, unless ``force=True`` replaces the file of the first name (atomically, with
:func:`os.replace`).  The path reported in :attr:`ClaimStats.path` always holds exactly
the text that was checked.
"""

from __future__ import annotations

import os
import random
import re
import signal
import threading
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, Phase, find, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

from proofcheck import strategies as pst
from proofcheck._files import fsync_dir, write_temp
from proofcheck._text import terminal_safe
from proofcheck.claims.registry import CLAIMS, Verdict, run_claim
from proofcheck.errors import ConventionError, ProofcheckError
from proofcheck.io.casefile import dump_case
from proofcheck.model.conventions import Conventions, check_temperature
from proofcheck.model.expressions import parse_expression
from proofcheck.verify import loads_case

__all__ = ["ClaimStats", "SearchHang", "search_claim", "search_claims", "fuzz_strategy",
           "case_filename", "parse_conventions", "check_out_folder", "write_case_file",
           "DEFAULT_SHRINK_BUDGET"]

#: objective names used in labels, quantities and file names
_OBJ_SHORT = {"return": "J", "success": "S", None: None}

#: Default number of candidate models tried while shrinking one counterexample.
DEFAULT_SHRINK_BUDGET = 500

#: Largest number of alternative names ``NAME-2.toml`` ... tried before giving up.
_MAX_SUFFIX = 1000


class _Timeout(BaseException):
    """Raised by the alarm inside a claim run; BaseException so that neither SymPy nor
    hypothesis can swallow it."""


class SearchHang(ProofcheckError):
    """A claim run exceeded the hang guard (``hang_seconds``); the search was stopped."""


@contextmanager
def _time_limit(seconds):
    """Interrupt the block after ``seconds`` (main thread only; elsewhere: no limit)."""
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise _Timeout()

    old = signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


_LIMITS_LOCK = threading.Lock()
_LIMITS_USERS = [0, None]  # searches running, hypothesis's saved MAX_SHRINKING_SECONDS


@contextmanager
def _no_shrink_clock():
    """Lift hypothesis's wall-clock shrinking limit (five minutes) during a search, so
    that the work budget alone decides where shrinking stops; restored afterwards."""
    from hypothesis.internal.conjecture import engine
    with _LIMITS_LOCK:
        if _LIMITS_USERS[0] == 0:
            _LIMITS_USERS[1] = engine.MAX_SHRINKING_SECONDS
            engine.MAX_SHRINKING_SECONDS = 10 ** 9
        _LIMITS_USERS[0] += 1
    try:
        yield
    finally:
        with _LIMITS_LOCK:
            _LIMITS_USERS[0] -= 1
            if _LIMITS_USERS[0] == 0:
                engine.MAX_SHRINKING_SECONDS = _LIMITS_USERS[1]


@dataclass
class ClaimStats:
    """Statistics and outcome of the search for one claim (and objective)."""

    claim_id: str
    objective: str | None
    regime: str
    seed: int
    prior: str = "any"
    tried: int = 0
    counts: dict = field(default_factory=lambda: {v.value: 0 for v in Verdict})
    errors: int = 0
    first_error: str = ""
    na_conclusion_fails: int = 0  # not-applicable, but the conclusion fails on the model
    seconds: float = 0.0  # wall time, for information only: no result depends on it
    shrink_budget: int = DEFAULT_SHRINK_BUDGET
    shrink_candidates: int = 0  # candidate models tried while shrinking
    shrink_steps: int = 0  # smaller failures found while shrinking
    counterexample: object = None  # the shrunk MDP
    summary: str = ""  # the claim's summary on the shrunk model
    path: str | None = None  # the case file holding the counterexample
    file_status: str | None = None  # "new", "unchanged" (same text already there), "replaced"
    reproduced: bool | None = None

    @property
    def label(self):
        obj = _OBJ_SHORT[self.objective]
        return f"{self.claim_id} [{obj}]" if obj else self.claim_id

    @property
    def quantity(self):
        obj = _OBJ_SHORT[self.objective]
        return f"verdict({self.claim_id}, {obj})" if obj else f"verdict({self.claim_id})"

    @property
    def budget_spent(self):
        """Shrinking stopped because the budget was used up (a smaller failure may exist)."""
        return self.counterexample is not None and self.shrink_candidates >= self.shrink_budget

    def as_dict(self):
        return {"claim": self.claim_id, "objective": self.objective, "label": self.label,
                "regime": self.regime, "prior": self.prior, "seed": self.seed, "tried": self.tried,
                "counts": dict(self.counts), "errors": self.errors,
                "first_error": self.first_error, "na_conclusion_fails": self.na_conclusion_fails,
                "seconds": round(self.seconds, 3), "shrink_budget": self.shrink_budget,
                "shrink_candidates": self.shrink_candidates, "shrink_steps": self.shrink_steps,
                "summary": self.summary, "path": self.path, "file_status": self.file_status,
                "reproduced": self.reproduced}


def fuzz_strategy(regime="any", *, prior="any", depth=3, branching=3, max_states=24):
    """The model stream of ``proofcheck fuzz``: trees first, then DAGs with merging states,
    any priors (zeros included) and likelihoods; shrinks to trees of depth 1.

    Examples
    --------
    >>> from hypothesis import find
    >>> find(fuzz_strategy("deterministic"), lambda m: True)
    <MDP 'fuzz': 2 states, 1 state-action pairs, horizon 1, deterministic>
    """
    kw = dict(depth=depth, branching=branching, max_states=max_states, regime=regime, prior=prior)
    return st.one_of(pst.mdps(merging=False, **kw), pst.mdps(merging=True, **kw))


def parse_conventions(items):
    """``["fold_term=posterior", "k_max=4", "objectives=return"]`` -> :class:`Conventions`.

    Examples
    --------
    >>> parse_conventions(["fold_term=posterior", "k_max=4"]).k_max
    4
    """
    raw = {}
    for item in items or ():
        key, sep, value = str(item).partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key:
            raise ConventionError(f"--conventions {item!r}: write key=value, e.g. fold_term=posterior")
        if key not in Conventions.field_names():
            raise ConventionError(f"--conventions {item!r}: unknown convention {key!r}; "
                                  f"known: {', '.join(Conventions.field_names())}")
        if key == "k_max":
            if not re.fullmatch(r"\d{1,4}", value):
                raise ConventionError(f"--conventions {item!r}: k_max must be an integer such as 4")
            value = int(value)
        elif key == "objectives":
            value = tuple(v.strip() for v in value.split(",") if v.strip())
        elif key == "delta":
            typed, value = value, parse_expression(value, {}, where=f"--conventions {item!r}")
            # the bounds verify applies to a case file's delta: a tiny one makes Zq**(1/delta) hang
            check_temperature(value, what="--conventions delta", shown=typed)
        raw[key] = value
    return Conventions(**raw)


def _non_default(conventions):
    """``["k=v", ...]`` for the conventions that differ from the defaults (lists comma-joined)."""
    default = Conventions().as_dict()
    return [f"{k}={','.join(map(str, v)) if isinstance(v, list) else v}"
            for k, v in conventions.as_dict().items() if v != default[k]]


def _slug(text):
    return re.sub(r"[^A-Za-z0-9.=_-]+", "_", str(text))


def case_filename(claim_id, objective, regime, seed, conventions, *, prior="any", beyond=False):
    """Deterministic file name from the claim, objective, regime, prior, seed, non-default
    conventions, and ``beyond`` (a not-applicable model where the conclusion fails).

    Examples
    --------
    >>> case_filename("T5.9.B", None, "any", 1, parse_conventions(["fold_term=ratio"]))
    'T5.9.B-any-seed1-fold_term=ratio.toml'
    >>> case_filename("P5.4", "return", "stochastic", 7, Conventions())
    'P5.4-J-stochastic-seed7.toml'
    """
    parts = [claim_id] + ([_OBJ_SHORT[objective]] if objective else []) + [regime]
    parts += (["uniform-prior"] if prior == "uniform" else []) + [f"seed{seed}"]
    parts += _non_default(conventions)
    if beyond:
        parts.append("beyond-hypothesis")
    return _slug("-".join(parts)) + ".toml"


def _key(mdp):
    return dump_case(mdp)


def _conclusion_fails(res):
    return res.verdict == Verdict.NOT_APPLICABLE and res.counterexample is not None


def _run(claim_id, mdp, conventions, objective, hang_seconds=None):
    """``(verdict or "error", result or message)`` of one claim run.

    A run longer than ``hang_seconds`` raises :class:`_Timeout` (a BaseException, so it
    leaves hypothesis untouched); it is never turned into a verdict.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with _time_limit(hang_seconds):
                res = run_claim(claim_id, mdp, conventions, objective, repair=False)
    except Exception as exc:  # noqa: BLE001 - a crash on a valid model is a finding, counted
        return "error", f"{type(exc).__name__}: {exc}"
    return res.verdict.value, res


def _check_budget(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConventionError(f"{name} {value!r} must be a non-negative whole number")


def search_claim(claim_id, *, objective=None, regime="any", examples=100, seed=0,
                 conventions=None, shrink_budget=DEFAULT_SHRINK_BUDGET, hang_seconds=None,
                 out=None, force=False, beyond_hypothesis=False, prior="any", strategy=None):
    """Search for a counterexample to one claim; return its :class:`ClaimStats`.

    The result (counts, shrunk model, file) is a function of the arguments alone: no
    wall-clock limit decides anything (see the module docstring).

    Parameters
    ----------
    claim_id : str
        A registered claim (see :data:`proofcheck.CLAIMS`).
    objective : {"return", "success"}, optional
        For claims that depend on the objective (required for them).
    regime : {"any", "deterministic", "stochastic"}
    examples : int
        Number of random models in the statistics pass.
    seed : int
        Seed of the hypothesis stream: a run is reproducible from it.
    conventions : Conventions, optional
    shrink_budget : int
        Candidate models tried while shrinking (after the first failure; re-checks of
        accepted failures are free); 0 keeps the first failure as found.  The smallest
        failure found within the budget is kept.
    hang_seconds : float, optional
        Hang guard: a single claim run longer than this stops the search with
        :class:`SearchHang` (main thread only).  It never changes a result.
    out : path, optional
        Folder for the case file of the shrunk counterexample (not written when None);
        an existing file is never overwritten unless ``force`` (see the module docstring).
    force : bool
        Replace a different file of the same name instead of choosing a new name.
    beyond_hypothesis : bool
        Also shrink and save models where the verdict is ``not-applicable`` but the
        conclusion fails (the hypothesis is needed); their expectation is
        ``not-applicable``.
    prior : {"any", "uniform"}
        Priors of the random models (see :data:`proofcheck.strategies.PRIORS`).
    strategy : hypothesis strategy of MDPs, optional
        Defaults to :func:`fuzz_strategy` for ``regime`` and ``prior``.

    Examples
    --------
    >>> st = search_claim("T5.9.B", examples=5, seed=1)  # the printed fold term: Lemma B fails
    >>> st.tried, st.counts["fails"]
    (5, 1)
    """
    if claim_id not in CLAIMS:
        raise ConventionError(f"unknown claim {claim_id!r}; known claims: {', '.join(CLAIMS)}")
    if CLAIMS[claim_id].uses_objective and objective is None:
        raise ConventionError(f"claim {claim_id} depends on the objective; pass objective='return' or 'success'")
    if regime not in pst.REGIMES:
        raise ConventionError(f"regime {regime!r} is not one of {list(pst.REGIMES)}")
    if prior not in pst.PRIORS:
        raise ConventionError(f"prior {prior!r} is not one of {list(pst.PRIORS)}")
    _check_budget("shrink_budget", shrink_budget)
    if out is not None:
        check_out_folder(out)
    conventions = conventions or Conventions()
    objective = objective if CLAIMS[claim_id].uses_objective else None
    strategy = fuzz_strategy(regime, prior=prior) if strategy is None else strategy
    stats = ClaimStats(claim_id, objective, regime, seed, prior=prior, shrink_budget=shrink_budget)
    cache = {}
    t0 = time.perf_counter()

    def evaluate(mdp, k=None):
        k = _key(mdp) if k is None else k
        if k not in cache:
            try:
                cache[k] = _run(claim_id, mdp, conventions, objective, hang_seconds)
            except _Timeout:
                raise SearchHang(
                    f"claim {stats.label} ran longer than {hang_seconds:g} s on one model "
                    f"({mdp.n_states} states, seed {seed}); the search was stopped rather than "
                    "count a machine-dependent verdict; raise --timeout, or report the model: "
                    + " ".join(k.split())[:500]) from None
        return cache[k]

    def target(verdict, res):
        if verdict == Verdict.FAILS.value:
            return True
        return beyond_hypothesis and verdict == Verdict.NOT_APPLICABLE.value and _conclusion_fails(res)

    found = [False]

    def record(mdp):
        verdict, res = evaluate(mdp)
        stats.tried += 1
        if verdict == "error":
            stats.errors += 1
            stats.first_error = stats.first_error or res
        else:
            stats.counts[verdict] += 1
            if _conclusion_fails(res):
                stats.na_conclusion_fails += 1
            found[0] = found[0] or target(verdict, res)
        return False

    common = dict(database=None, deadline=None, derandomize=False, report_multiple_bugs=False,
                  suppress_health_check=list(HealthCheck))
    with _no_shrink_clock():
        try:
            find(strategy, record, settings=settings(max_examples=examples, phases=[Phase.generate],
                                                     **common),
                 random=random.Random(seed))
        except NoSuchExample:
            pass
        best = None
        if found[0]:
            accepted = set()  # keys answered True: the same answer again (else hypothesis: Flaky)

            def condition(mdp):
                k = _key(mdp)
                if k in accepted:
                    return True
                if accepted:  # shrinking: every other candidate counts against the budget
                    if stats.shrink_candidates >= shrink_budget:
                        return False  # budget spent: keep the smallest failure found so far
                    stats.shrink_candidates += 1
                hit = target(*evaluate(mdp, k))
                if hit:
                    if accepted:
                        stats.shrink_steps += 1
                    accepted.add(k)
                return hit

            try:
                best = find(strategy, condition,
                            settings=settings(max_examples=examples,
                                              phases=[Phase.generate, Phase.shrink], **common),
                            random=random.Random(seed))
            except NoSuchExample:  # pragma: no cover - pass 2 replays pass 1
                best = None
    if best is not None:
        stats.counterexample = best
        verdict, res = evaluate(best)
        stats.summary = res.summary if res is not None and not isinstance(res, str) else ""
        if out is not None:
            _write(stats, best, verdict, conventions, out, force=force)
    stats.seconds = time.perf_counter() - t0
    return stats


def check_out_folder(out, option="--out"):
    """Create the folder ``out`` if needed and check that files can be created in it,
    before any search runs; a :class:`~proofcheck.errors.ProofcheckError` otherwise.

    Examples
    --------
    >>> import tempfile, os
    >>> d = os.path.join(tempfile.mkdtemp(), "found")
    >>> check_out_folder(d); os.listdir(d)
    []
    """
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ProofcheckError(f"{option} {terminal_safe(out)}: cannot create the folder ({exc.strerror}); "
                              "choose a writable folder") from None
    if not os.access(out, os.W_OK | os.X_OK):  # permissions, ACLs, read-only file systems
        raise ProofcheckError(f"{option} {terminal_safe(out)}: cannot write in the folder (permission "
                              "denied or read-only); choose a writable folder")


def _same_content(path, data):
    try:
        with open(path, "rb") as fh:
            return fh.read(len(data) + 1) == data
    except OSError:
        return False


def _alternatives(fname):
    stem = fname[:-len(".toml")] if fname.endswith(".toml") else fname
    yield fname
    for i in range(2, _MAX_SUFFIX + 1):
        yield f"{stem}-{i}.toml"


def write_case_file(folder, fname, text, *, force=False):
    """Write ``text`` to ``folder/fname`` without ever overwriting a different file.

    Returns ``(path, status)``; ``status`` is ``"new"`` (written), ``"unchanged"`` (a file
    of that name already holds exactly ``text``: nothing written) or ``"replaced"`` (only
    with ``force``).  A name taken by a different file moves on to ``NAME-2.toml``,
    ``NAME-3.toml``, ... (without ``force``).  The text goes to a temporary file in
    ``folder`` first (flushed to disk), then :func:`os.link` gives it the free name
    (failing if another process took the name meanwhile) or, with ``force``,
    :func:`os.replace` puts it in place atomically.  Raises ``OSError``.

    Examples
    --------
    >>> import tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> write_case_file(d, "a.toml", "x = 1")[1]
    'new'
    >>> write_case_file(d, "a.toml", "x = 1")[1]
    'unchanged'
    >>> p, status = write_case_file(d, "a.toml", "x = 2"); os.path.basename(p), status
    ('a-2.toml', 'new')
    >>> write_case_file(d, "a.toml", "x = 3", force=True)[1], sorted(os.listdir(d))
    ('replaced', ['a-2.toml', 'a.toml'])
    """
    folder = os.fspath(folder)
    data = text.encode("utf-8")
    tmp = write_temp(folder, data, ".proofcheck-case-")
    try:
        for name in _alternatives(fname):
            path = os.path.join(folder, name)
            if os.path.lexists(path):
                if _same_content(path, data):
                    return path, "unchanged"
                if force and name == fname:
                    os.replace(tmp, path)
                    fsync_dir(folder)
                    return path, "replaced"
                continue
            try:
                os.link(tmp, path)  # fails if the name was taken meanwhile: never clobbers
            except FileExistsError:
                if _same_content(path, data):
                    return path, "unchanged"
                continue
            except OSError:  # no hard links here (some network or FAT file systems)
                try:
                    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
                except FileExistsError:
                    continue
                os.replace(tmp, path)  # replaces the empty placeholder this call created
            fsync_dir(folder)
            return path, "new"
        raise FileExistsError(f"{fname} and {_MAX_SUFFIX - 1} alternatives are taken in {folder}")
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _write(stats, mdp, verdict, conventions, out, *, force=False):
    out = Path(out)
    check_out_folder(out)
    fname = case_filename(stats.claim_id, stats.objective, stats.regime, stats.seed, conventions,
                          prior=stats.prior, beyond=verdict != Verdict.FAILS.value)
    name = fname[:-len(".toml")]
    mdp.name = "found_" + re.sub(r"[^A-Za-z0-9_]", "_", name)
    kind = "counterexample to" if verdict == Verdict.FAILS.value else "the hypothesis is needed for"
    title = f"Shrunk {kind} {stats.label} (proofcheck fuzz, {stats.regime}, seed {stats.seed})"
    conv = " ".join(_non_default(conventions))
    desc = (f"Found by: proofcheck fuzz --claim {stats.claim_id} --regime {stats.regime} "
            f"--prior {stats.prior} --seed {stats.seed}"
            + (f" --conventions {conv}" if conv else "")
            + (" --beyond-hypothesis" if verdict != Verdict.FAILS.value else "")
            + f". Verdict {verdict}: {stats.summary}")
    text = dump_case(mdp, conventions=conventions, expectations=[(stats.quantity, verdict)],
                     title=title, description=" ".join(desc.split())[:2000])
    # reproduce from the text itself before reporting the file
    case = loads_case(text, where=str(out / fname))
    rerun, _ = _run(stats.claim_id, case.mdp, case.conventions, stats.objective)
    stats.reproduced = rerun == verdict
    if not stats.reproduced:
        raise ProofcheckError(f"{fname}: the saved case gives verdict {rerun}, not {verdict}; "
                              "not written (please report this)")
    try:
        path, status = write_case_file(out, fname, text, force=force)
    except OSError as exc:
        raise ProofcheckError(f"--out {terminal_safe(out)}: cannot write {fname} "
                              f"({exc.strerror or exc}); choose a writable folder") from None
    stats.path, stats.file_status = str(path), status


def search_claims(claim_ids=None, *, regime="any", examples=100, seed=0, conventions=None,
                  shrink_budget=DEFAULT_SHRINK_BUDGET, hang_seconds=None, out=None, force=False,
                  beyond_hypothesis=False, prior="any", progress=None):
    """Run :func:`search_claim` for several claims (every registered claim by default),
    once per objective in ``conventions.objectives`` for objective-dependent claims.

    The ``out`` folder is checked before the first search."""
    conventions = conventions or Conventions()
    ids = list(CLAIMS) if not claim_ids else list(claim_ids)
    for cid in ids:
        if cid not in CLAIMS:
            raise ConventionError(f"unknown claim {cid!r}; known claims: {', '.join(CLAIMS)}")
    _check_budget("shrink_budget", shrink_budget)
    if out is not None:
        check_out_folder(out)
    out_stats = []
    for cid in ids:
        objs = conventions.objectives if CLAIMS[cid].uses_objective else (None,)
        for obj in objs:
            s = search_claim(cid, objective=obj, regime=regime, examples=examples, seed=seed,
                             conventions=conventions, shrink_budget=shrink_budget,
                             hang_seconds=hang_seconds, out=out, force=force,
                             beyond_hypothesis=beyond_hypothesis, prior=prior)
            out_stats.append(s)
            if progress is not None:
                progress(s)
    return out_stats
