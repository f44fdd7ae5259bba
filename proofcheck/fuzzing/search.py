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
"""

from __future__ import annotations

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

from proofcheck.claims.registry import CLAIMS, Verdict, run_claim
from proofcheck.errors import ConventionError, ProofcheckError
from proofcheck.io.casefile import dump_case
from proofcheck.verify import loads_case
from proofcheck.model.conventions import Conventions
from proofcheck import strategies as pst

from proofcheck.model.expressions import parse_expression

__all__ = ["ClaimStats", "search_claim", "search_claims", "fuzz_strategy", "case_filename",
           "parse_conventions"]

#: objective names used in labels, quantities and file names
_OBJ_SHORT = {"return": "J", "success": "S", None: None}


class _Timeout(BaseException):
    """Raised by the alarm inside a claim run; BaseException so SymPy cannot swallow it."""


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
    timeouts: int = 0
    errors: int = 0
    first_error: str = ""
    na_conclusion_fails: int = 0  # not-applicable, but the conclusion fails on the model
    seconds: float = 0.0
    counterexample: object = None  # the shrunk MDP
    summary: str = ""  # the claim's summary on the shrunk model
    path: str | None = None  # the written case file
    reproduced: bool | None = None

    @property
    def label(self):
        obj = _OBJ_SHORT[self.objective]
        return f"{self.claim_id} [{obj}]" if obj else self.claim_id

    @property
    def quantity(self):
        obj = _OBJ_SHORT[self.objective]
        return f"verdict({self.claim_id}, {obj})" if obj else f"verdict({self.claim_id})"

    def as_dict(self):
        return {"claim": self.claim_id, "objective": self.objective, "label": self.label,
                "regime": self.regime, "prior": self.prior, "seed": self.seed, "tried": self.tried,
                "counts": dict(self.counts), "timeouts": self.timeouts, "errors": self.errors,
                "first_error": self.first_error, "na_conclusion_fails": self.na_conclusion_fails,
                "seconds": round(self.seconds, 3), "summary": self.summary, "path": self.path,
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
            value = parse_expression(value, {}, where=f"--conventions {item!r}")
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
    >>> case_filename("T5.9.B", None, "any", 1, parse_conventions(["fold_term=posterior"]))
    'T5.9.B-any-seed1-fold_term=posterior.toml'
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


def _run(claim_id, mdp, conventions, objective, timeout):
    """``(verdict or "timeout"/"error", result or message)`` of one claim run, time-bounded."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with _time_limit(timeout):
                res = run_claim(claim_id, mdp, conventions, objective)
    except _Timeout:
        return "timeout", None
    except Exception as exc:  # noqa: BLE001 - a crash on a valid model is a finding, counted
        return "error", f"{type(exc).__name__}: {exc}"
    return res.verdict.value, res


def search_claim(claim_id, *, objective=None, regime="any", examples=100, seed=0,
                 conventions=None, timeout=5.0, shrink_seconds=60.0, out=None,
                 beyond_hypothesis=False, prior="any", strategy=None):
    """Search for a counterexample to one claim; return its :class:`ClaimStats`.

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
    timeout : float
        Seconds per claim run (main thread only); a longer run counts as ``timeout``.
    shrink_seconds : float
        Time budget of the shrinking pass; the smallest failure found by then is kept.
    out : path, optional
        Folder for the case file of the shrunk counterexample (not written when None).
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
    >>> st = search_claim("T5.9.B", examples=5, seed=1)
    >>> st.tried, st.counts["fails"]
    (5, 0)
    """
    if claim_id not in CLAIMS:
        raise ConventionError(f"unknown claim {claim_id!r}; known claims: {', '.join(CLAIMS)}")
    if CLAIMS[claim_id].uses_objective and objective is None:
        raise ConventionError(f"claim {claim_id} depends on the objective; pass objective='return' or 'success'")
    if regime not in pst.REGIMES:
        raise ConventionError(f"regime {regime!r} is not one of {list(pst.REGIMES)}")
    if prior not in pst.PRIORS:
        raise ConventionError(f"prior {prior!r} is not one of {list(pst.PRIORS)}")
    conventions = conventions or Conventions()
    objective = objective if CLAIMS[claim_id].uses_objective else None
    strategy = fuzz_strategy(regime, prior=prior) if strategy is None else strategy
    stats = ClaimStats(claim_id, objective, regime, seed, prior=prior)
    cache = {}
    t0 = time.perf_counter()

    def evaluate(mdp, k=None):
        k = _key(mdp) if k is None else k
        if k not in cache:
            cache[k] = _run(claim_id, mdp, conventions, objective, timeout)
        return cache[k]

    def target(verdict, res):
        if verdict == Verdict.FAILS.value:
            return True
        return beyond_hypothesis and verdict == Verdict.NOT_APPLICABLE.value and _conclusion_fails(res)

    found = [False]

    def record(mdp):
        verdict, res = evaluate(mdp)
        stats.tried += 1
        if verdict == "timeout":
            stats.timeouts += 1
            stats.counts[Verdict.UNDECIDED.value] += 1
        elif verdict == "error":
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
    try:
        find(strategy, record, settings=settings(max_examples=examples, phases=[Phase.generate], **common),
             random=random.Random(seed))
    except NoSuchExample:
        pass
    if found[0]:
        shrink_start = [None]
        accepted = set()  # keys answered True: the same answer again (else hypothesis: Flaky)

        def condition(mdp):
            k = _key(mdp)
            if k in accepted:
                return True
            if shrink_start[0] is not None and time.perf_counter() - shrink_start[0] > shrink_seconds:
                return False  # budget spent: keep the smallest failure found so far
            hit = target(*evaluate(mdp, k))
            if hit:
                accepted.add(k)
                if shrink_start[0] is None:  # the budget starts at the first failure
                    shrink_start[0] = time.perf_counter()
            return hit

        try:
            best = find(strategy, condition,
                        settings=settings(max_examples=examples, phases=[Phase.generate, Phase.shrink],
                                          **common),
                        random=random.Random(seed))
        except NoSuchExample:  # pragma: no cover - pass 2 replays pass 1
            best = None
        if best is not None:
            stats.counterexample = best
            verdict, res = evaluate(best)
            stats.summary = res.summary if res is not None and not isinstance(res, str) else ""
            if out is not None:
                _write(stats, best, verdict, conventions, out)
    stats.seconds = time.perf_counter() - t0
    return stats


def _write(stats, mdp, verdict, conventions, out):
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ProofcheckError(f"--out {out}: cannot create the folder ({exc.strerror}); "
                              "choose a writable folder") from None
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
    rerun, _ = _run(stats.claim_id, case.mdp, case.conventions, stats.objective, None)
    stats.reproduced = rerun == verdict
    if not stats.reproduced:
        raise ProofcheckError(f"{fname}: the saved case gives verdict {rerun}, not {verdict}; "
                              "not written (please report this)")
    try:
        (out / fname).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ProofcheckError(f"--out {out}: cannot write {fname} ({exc.strerror}); "
                              "choose a writable folder") from None
    stats.path = str(out / fname)


def search_claims(claim_ids=None, *, regime="any", examples=100, seed=0, conventions=None,
                  timeout=5.0, shrink_seconds=60.0, out=None, beyond_hypothesis=False,
                  prior="any", progress=None):
    """Run :func:`search_claim` for several claims (every registered claim by default),
    once per objective in ``conventions.objectives`` for objective-dependent claims."""
    conventions = conventions or Conventions()
    ids = list(CLAIMS) if not claim_ids else list(claim_ids)
    for cid in ids:
        if cid not in CLAIMS:
            raise ConventionError(f"unknown claim {cid!r}; known claims: {', '.join(CLAIMS)}")
    out_stats = []
    for cid in ids:
        objs = conventions.objectives if CLAIMS[cid].uses_objective else (None,)
        for obj in objs:
            s = search_claim(cid, objective=obj, regime=regime, examples=examples, seed=seed,
                             conventions=conventions, timeout=timeout, shrink_seconds=shrink_seconds,
                             out=out, beyond_hypothesis=beyond_hypothesis, prior=prior)
            out_stats.append(s)
            if progress is not None:
                progress(s)
    return out_stats
