"""Parallel and distributed sweeps: claims over grids of temperatures and random MDPs.

A sweep is a list of *tasks*.  A task is a plain dict ``{"key", "kind", "params"}`` and
:func:`run_task` is a pure function of it: every random choice is drawn from a seed
derived from the task's parameters (:func:`derive_seed`), never from global state, so a
task computes the same result in this process, in a worker process or on a Dask worker
on another machine.  :func:`run_sweep` runs the tasks

* serially (``workers=1``),
* on local processes (:class:`concurrent.futures.ProcessPoolExecutor`, the default), or
* on a Dask cluster given a scheduler address (``dask="tcp://host:port"``; needs the
  optional extra ``proofcheck[dask]`` here and ``proofcheck`` installed on the workers),

and returns the results sorted by task key, so the three executors give identical output
(fuzz campaigns have two clock-dependent parts, named in :func:`fuzz_tasks`).

Task kinds
----------
``claims``      one claim on one random MDP of a family ``TxA`` under one ``delta``
                (and optionally one ``beta``, the temperature of ``pi_alpha``, ``alpha = 1/beta``,
                whose Boltzmann incoherence is then reported as well);
``discussion``  one MDP of the discussion experiment (``proofcheck.experiments.discussion``,
                imported lazily on the worker): its row, identical to the serial run's;
``fuzz``        one counterexample search (``proofcheck.fuzzing.search_claim``, imported
                lazily on the worker) for one claim, objective and seed;
``call``        any function ``module:function(**kwargs)`` whose result is JSON-able.

Examples
--------
>>> tasks = claim_tasks(["T5.9.B"], families=["2x2"], per_family=2, deltas=["1"], seed=0)
>>> [t["key"] for t in tasks]
['claims|T5.9.B|2x2|0000|delta=1|beta=-', 'claims|T5.9.B|2x2|0001|delta=1|beta=-']
>>> out = run_sweep(tasks, workers=1)
>>> [r["result"]["verdicts"] for r in out["results"]]  # the printed fold term: random priors fail Lemma B
[{'T5.9.B': 'fails'}, {'T5.9.B': 'fails'}]
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import random
import time
from fractions import Fraction

import networkx as nx
import sympy as sp

from proofcheck.claims import CLAIMS, run_claims
from proofcheck.engine import incoherence, tempered_policy
from proofcheck.errors import ConventionError, ProofcheckError
from proofcheck.fuzzing import search_claim
from proofcheck.fuzzing.search import DEFAULT_SHRINK_BUDGET
from proofcheck.io.casefile import dump_case
from proofcheck.model.conventions import OBJECTIVES, Conventions, check_temperature
from proofcheck.model.mdp import from_graph

__all__ = [
    "MAX_TASKS", "MAX_FUZZ_EXAMPLES", "check_dask_address",
    "parse_family", "derive_seed", "random_tree_graph", "random_tree_mdp", "family_mdp",
    "claim_tasks", "call_task", "discussion_tasks", "fuzz_tasks", "run_task", "run_sweep",
    "summary_rows", "other_rows", "format_summary", "dump_results",
]

# Small denominators keep exact arithmetic cheap while leaving room for ties and
# near-ties, which is where the claims break.
_PRIOR_WEIGHTS = (1, 1, 2, 3)
_LIKELIHOODS = (Fraction(1), Fraction(1), Fraction(1, 2), Fraction(1, 3), Fraction(2, 3), Fraction(3, 4))
_SUCCESSES = (Fraction(0), Fraction(1, 4), Fraction(1, 2), Fraction(3, 4), Fraction(1), Fraction(1, 3))
_SPLITS = (Fraction(1, 4), Fraction(1, 3), Fraction(1, 2), Fraction(2, 3), Fraction(3, 4))


#: Most tasks one sweep may have, and most models one fuzz campaign may draw (counts of
#: work, checked before any task list is built).
MAX_TASKS = 100_000
MAX_FUZZ_EXAMPLES = 100_000
#: Dask scheduler address schemes understood by ``distributed``.
DASK_SCHEMES = ("tcp", "tls", "inproc", "ucx", "ws", "wss")


def _check_count(n, what, limit=MAX_TASKS):
    """Raise ConventionError unless ``0 <= n <= limit`` (the error states the bound)."""
    if n > limit:
        raise ConventionError(f"{what}: {n} exceeds the limit of {limit}; split the sweep into "
                              "smaller ones (fewer claims, families, instances or temperatures)")


def parse_family(text):
    """``"TxA"`` -> ``(T, A)``: horizon and number of actions per state.

    Examples
    --------
    >>> parse_family("3x2")
    (3, 2)
    """
    try:
        t, a = str(text).lower().split("x")
        t, a = int(t), int(a)
    except ValueError:
        raise ConventionError(f"MDP family {text!r} is not of the form TxA; give e.g. 3x2 "
                              "(horizon 3, 2 actions)") from None
    if not (1 <= t <= 12 and 1 <= a <= 8):
        raise ConventionError(f"MDP family {text!r}: need 1 <= T <= 12 and 1 <= A <= 8")
    return t, a


def derive_seed(*parts):
    """A 63-bit seed from any printable parts, identical on every machine and Python run
    (unlike ``hash``, which is salted per process).

    Examples
    --------
    >>> derive_seed(0, "2x2", 1) == derive_seed(0, "2x2", 1)
    True
    """
    digest = hashlib.sha256(repr(tuple(str(p) for p in parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def random_tree_graph(T, A, seed, *, stochastic=0.25, name=None):
    """A random tree-shaped MDP graph of horizon ``T`` with ``A`` actions per state.

    Each action leads to one fresh child, or with probability ``stochastic`` to two
    (transition probabilities from {1/4, 1/3, 1/2, 2/3, 3/4}).  Priors are random
    positive rationals, likelihoods and leaf successes are drawn from small rational
    sets (leaf success 0 included, so some states cannot succeed).  Every number is an
    exact :class:`fractions.Fraction`.

    Examples
    --------
    >>> G = random_tree_graph(2, 2, seed=1, stochastic=0)
    >>> G.number_of_nodes()
    7
    """
    rng = random.Random(seed)
    G = nx.MultiDiGraph(initial="s", name=name or f"tree{T}x{A}-{seed}")
    frontier = ["s"]
    G.add_node("s")
    for _ in range(T):
        nxt = []
        for s in frontier:
            weights = [rng.choice(_PRIOR_WEIGHTS) for _ in range(A)]
            total = sum(weights)
            for a in range(A):
                q = rng.choice(_LIKELIHOODS)
                attrs = dict(prior=Fraction(weights[a], total), q=q)
                if rng.random() < stochastic:
                    p = rng.choice(_SPLITS)
                    kids = [(f"{s}.{a}a", p), (f"{s}.{a}b", 1 - p)]
                else:
                    kids = [(f"{s}.{a}", Fraction(1))]
                for i, (child, prob) in enumerate(kids):
                    extra = attrs if i == 0 else {}
                    G.add_edge(s, child, key=f"a{a}", prob=prob, **extra)
                    nxt.append(child)
        frontier = nxt
    for leaf in frontier:
        G.nodes[leaf]["success"] = rng.choice(_SUCCESSES)
    return G


def random_tree_mdp(T, A, seed, *, stochastic=0.25, validate=True):
    """:func:`random_tree_graph` compiled by :func:`proofcheck.from_graph`.

    Examples
    --------
    >>> random_tree_mdp(2, 3, seed=0, stochastic=0)
    <MDP 'tree2x3-0': 13 states, 12 state-action pairs, horizon 2, deterministic>
    """
    return from_graph(random_tree_graph(T, A, seed, stochastic=stochastic), validate=validate)


def family_mdp(family, index, seed):
    """The ``index``-th random MDP of a family ``"TxA"`` for a base ``seed``: a
    :func:`random_tree_mdp` whose seed is :func:`derive_seed` of the three, so a pure
    function of its arguments on every machine.

    Examples
    --------
    >>> family_mdp("2x2", 0, 0).horizon
    2
    """
    T, A = parse_family(family)
    return random_tree_mdp(T, A, derive_seed(seed, family, index))


# ---------------------------------------------------------------------------- tasks

def _num_text(value):
    """Canonical text of a rational such as ``1/2`` (validated, so keys are stable)."""
    try:
        v = sp.Rational(str(value).strip())
    except (TypeError, ValueError, SyntaxError):
        raise ConventionError(f"{value!r} is not a rational number; give e.g. 1/2, 1 or 2") from None
    if v <= 0:
        raise ConventionError(f"temperature {value!r} must be positive; give e.g. 1/2, 1 or 2")
    check_temperature(v, what="temperature", shown=str(value).strip())  # (1e-40 would hang the sweep)
    return str(v)


def _check_k_max(k_max):
    """``None`` (the conventions' default) or a valid ``k_max`` (ConventionError otherwise)."""
    if k_max is not None:
        Conventions(k_max=k_max)


def claim_tasks(claims, *, families, per_family, deltas=("1",), betas=None, seed=0, k_max=None):
    """Tasks for the grid claims x families x instances x deltas (x betas).

    Examples
    --------
    >>> len(claim_tasks(["P5.4", "T5.9.B"], families=["2x2", "3x2"], per_family=5,
    ...                 deltas=["1/2", "1", "2"]))
    60
    """
    for c in claims:
        if c not in CLAIMS:
            raise ConventionError(f"unknown claim {c!r}; known claims: {', '.join(CLAIMS)}")
    for f in families:
        parse_family(f)
    if isinstance(per_family, bool) or not isinstance(per_family, int) or per_family < 1:
        raise ConventionError(f"per-family count {per_family!r} must be a positive integer")
    _check_k_max(k_max)
    deltas = [_num_text(d) for d in deltas]
    betas = [None] if not betas else [_num_text(b) for b in betas]
    _check_count(len(claims) * len(families) * per_family * len(deltas) * len(betas),
                 "claim tasks (claims x families x per-family x deltas x betas)")
    tasks = []
    for c in claims:
        for f in families:
            for i in range(per_family):
                for d in deltas:
                    for b in betas:
                        key = f"claims|{c}|{f}|{i:04d}|delta={d}|beta={b or '-'}"
                        tasks.append({"key": key, "kind": "claims", "params": {
                            "claim": c, "family": f, "index": i, "seed": seed, "delta": d,
                            "beta": b, "k_max": k_max}})
    return tasks


def call_task(key, function, **kwargs):
    """A task calling ``function`` (``"package.module:name"``) with JSON-able ``kwargs``.

    Examples
    --------
    >>> run_task(call_task("demo", "fractions:Fraction", numerator=6, denominator=4))["result"]
    '3/2'
    """
    if ":" not in function:
        raise ConventionError(f"function {function!r} must be given as 'module:name'")
    return {"key": f"call|{key}", "kind": "call", "params": {"function": function, "kwargs": kwargs}}


def _find(module_name, candidates):
    mod = _lazy(module_name)
    for name in candidates:
        if callable(getattr(mod, name, None)):
            return f"{module_name}:{name}"
    raise ConventionError(f"{module_name} has none of the entry points {list(candidates)}")


def discussion_tasks(seed=0, per_family=20, *, families=None, width=4, delta=1.0):
    """One task per MDP of the discussion experiment (``proofcheck.experiments.discussion``).

    Each task draws the same MDP as that module's serial ``run_experiment`` (same
    ``SeedSequence([seed, family index, index])``) and returns its row, so the rows of a
    parallel sweep equal the rows of the serial experiment.
    """
    mod = _lazy("proofcheck.experiments.discussion")
    families = [tuple(f) for f in (families or mod.FAMILIES)]
    if isinstance(per_family, bool) or not isinstance(per_family, int) or per_family < 0:
        raise ConventionError(f"per-family count {per_family!r} must be a non-negative integer")
    _check_count(len(families) * per_family, "discussion tasks (families x MDPs per family)")
    tasks = []
    for fi, (T, A) in enumerate(families):
        for i in range(per_family):
            key = f"discussion|seed={seed}|{fi:02d}:{T}x{A}|{i:04d}"
            tasks.append({"key": key, "kind": "discussion", "params": {
                "seed": seed, "family_index": fi, "T": T, "A": A, "index": i, "width": width,
                "delta": delta}})
    return tasks


def _lazy(module_name):
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            raise ConventionError(f"{module_name} is not available in this installation "
                                  f"(module {exc.name} missing)") from None
        raise


def fuzz_tasks(claims, seeds, *, examples=50, regime="any", shrink_budget=DEFAULT_SHRINK_BUDGET,
               k_max=None):
    """One fuzz campaign per (claim, objective, seed): :func:`proofcheck.fuzzing.search_claim`.

    Everything is a pure function of the arguments (hypothesis runs derandomised from the
    seed; shrinking stops after ``shrink_budget`` candidate models, a count, not a clock),
    so every executor gives the same results.

    Examples
    --------
    >>> [t["key"] for t in fuzz_tasks(["P5.4"], [3])]
    ['fuzz|P5.4|return|any|seed=000003', 'fuzz|P5.4|success|any|seed=000003']
    """
    _lazy("proofcheck.fuzzing")
    _check_k_max(k_max)
    _check_count(examples, "models per fuzz campaign", MAX_FUZZ_EXAMPLES)
    _check_count(len(claims) * len(OBJECTIVES) * len(seeds), "fuzz tasks (claims x objectives x seeds)")
    tasks = []
    for c in claims:
        if c not in CLAIMS:
            raise ConventionError(f"unknown claim {c!r}; known claims: {', '.join(CLAIMS)}")
        for obj in (OBJECTIVES if CLAIMS[c].uses_objective else (None,)):
            for sd in seeds:
                key = f"fuzz|{c}|{obj or '-'}|{regime}|seed={sd:06d}"
                tasks.append({"key": key, "kind": "fuzz", "params": {
                    "claim": c, "objective": obj, "seed": sd, "examples": examples, "regime": regime,
                    "shrink_budget": shrink_budget, "k_max": k_max}})
    return tasks


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (bool, int, str)) or value is None:
        return value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else str(value)
    if hasattr(value, "as_dict"):
        return _jsonable(value.as_dict())
    return str(value)


def _run_claims_task(p):
    mdp = family_mdp(p["family"], p["index"], p["seed"])
    conv = Conventions(delta=sp.Rational(p["delta"]))
    if p.get("k_max") is not None:
        conv = conv.replace(k_max=int(p["k_max"]))
    res = run_claims(mdp, conv, [p["claim"]])
    out = {"mdp": repr(mdp),
           "verdicts": {r.label: r.verdict.value for r in res},
           "summaries": {r.label: r.summary for r in res}}
    if p.get("beta"):
        alpha = 1 / sp.Rational(p["beta"])
        pol = tempered_policy(mdp, alpha, conventions=conv)
        kappa = incoherence(mdp, pol, "boltzmann", conventions=conv)
        # exact value, plus 15 significant digits for tables (evalf is deterministic)
        out["kappa_delta(pi_alpha)"] = {"exact": str(kappa), "value": str(sp.N(kappa, 15))}
    return out


def _run_discussion_task(p):
    import numpy as np
    mod = importlib.import_module("proofcheck.experiments.discussion")
    T, A, i = p["T"], p["A"], p["index"]
    # the serial experiment's own seeding and naming, so rows are interchangeable
    rng = np.random.default_rng(np.random.SeedSequence([p["seed"], p["family_index"], i]))
    mdp = mod.random_mdp(T, A, rng, width=p["width"], name=f"T{T}_A{A}_{i}")
    row = {"family": [T, A], "index": i}
    row.update(mod.analyse_mdp(mdp, delta=p["delta"]))
    return row


def _run_fuzz_task(p):
    conv = Conventions(k_max=int(p["k_max"])) if p.get("k_max") is not None else None
    stats = search_claim(p["claim"], objective=p["objective"], regime=p["regime"],
                         examples=p["examples"], seed=p["seed"], conventions=conv,
                         shrink_budget=p["shrink_budget"])
    out = stats.as_dict()
    out.pop("seconds", None)  # wall time is not a result
    if stats.counterexample is not None:
        out["counterexample_case"] = dump_case(stats.counterexample)
    return out


def _run_call_task(p):
    module, _, name = p["function"].partition(":")
    fn = getattr(importlib.import_module(module), name)
    return fn(**p["kwargs"])


_KINDS = {"claims": _run_claims_task, "call": _run_call_task, "discussion": _run_discussion_task,
          "fuzz": _run_fuzz_task}


def run_task(task):
    """Run one task: ``{"key", "kind", "params", "result"}`` or ``..., "error"``.

    Pure: the output depends on the task alone.  An exception inside a task becomes an
    ``error`` entry (type and message) so one broken instance does not lose a campaign.
    """
    kind = task["kind"]
    if kind not in _KINDS:
        raise ConventionError(f"unknown task kind {kind!r}; use {sorted(_KINDS)}")
    out = {"key": task["key"], "kind": kind, "params": task["params"]}
    try:
        out["result"] = _jsonable(_KINDS[kind](task["params"]))
    except Exception as exc:  # recorded, not swallowed: summaries count errors
        out["error"] = f"{type(exc).__name__}: {exc}"
    return out


# ---------------------------------------------------------------------------- executors

def check_dask_address(address):
    """A one-line error for an address ``distributed`` cannot use (``http://...``)."""
    text = str(address)
    scheme = text.split("://", 1)[0].lower() if "://" in text else None
    if scheme is not None and scheme not in DASK_SCHEMES:
        raise ConventionError(f"--dask {_clip(text)}: scheme {_clip(scheme, 20)!r} is not a Dask scheduler "
                              f"scheme ({', '.join(DASK_SCHEMES)}); give e.g. tcp://host:8786")
    if not text.strip() or len(text) > 1000 or not text.isprintable():
        raise ConventionError(f"--dask {_clip(text)}: not a scheduler address; give e.g. tcp://host:8786")


def _clip(text, n=80):
    text = str(text)
    text = text if text.isprintable() else text.encode("unicode_escape").decode("ascii")
    return text if len(text) <= n else f"{text[:n]}...({len(text)} characters)"


def _run_dask(tasks, address, timeout):
    check_dask_address(address)
    try:
        from distributed import Client
    except ImportError:
        raise ConventionError("--dask needs the optional extra: pip install 'proofcheck[dask]' "
                              "(dask[distributed])") from None
    try:
        client = Client(address, timeout=f"{timeout}s")
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        raise ConventionError(f"cannot reach the Dask scheduler at {_clip(address)} ({_clip(exc, 200)}); "
                              "start one with `dask scheduler` and give its tcp://host:port") from None
    try:
        # a per-sweep token keeps two sweeps sharing a scheduler from sharing futures
        token = os.urandom(4).hex()
        futures = client.map(run_task, tasks, key=[f"proofcheck-{token}-{t['key']}" for t in tasks],
                             pure=False)
        return client.gather(futures)
    finally:
        client.close()


def _run_chunk(chunk):
    return [run_task(t) for t in chunk]


def _died(task, exc):
    """The result entry of a task whose worker process died before returning it."""
    return {"key": task["key"], "kind": task["kind"], "params": task["params"],
            "error": f"{type(exc).__name__}: the worker process running this task died (killed, "
                     "out of memory or crashed) before returning its result; the other tasks' "
                     "results are kept"}


def _run_processes(tasks, workers):
    """Run on local processes.  A worker that dies (``BrokenProcessPool``) loses only the
    tasks it had not returned: they are reported as ``error`` entries naming the death,
    every result already returned is kept."""
    from concurrent.futures import ProcessPoolExecutor, as_completed
    size = max(1, len(tasks) // (4 * workers))
    chunks = [tasks[i:i + size] for i in range(0, len(tasks), size)]
    results, failed = [], []
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(_run_chunk, c): c for c in chunks}
        for fut in as_completed(futures):
            try:
                results.extend(fut.result())
            except Exception:  # noqa: BLE001 - BrokenProcessPool, a task that cannot be pickled
                failed.append(futures[fut])
    # A dying worker breaks the whole pool, failing chunks that never ran: run each failed
    # chunk once more in a pool of its own, then one task per pool, so that only the
    # task(s) that kill their process are lost.
    for chunk in failed:
        for part in ([chunk] if len(chunk) == 1 else [[t] for t in chunk]):
            with ProcessPoolExecutor(max_workers=1) as pool:
                try:
                    results.extend(pool.submit(_run_chunk, part).result())
                except Exception as exc:  # noqa: BLE001
                    results.extend(_died(t, exc) for t in part)
    return results


def run_sweep(tasks, *, workers=None, dask=None, dask_timeout=20):
    """Run ``tasks`` and return ``{"executor", "results", "seconds"}``, results sorted by key.

    Parameters
    ----------
    tasks : list of dict
        From :func:`claim_tasks`, :func:`call_task`, :func:`discussion_tasks`, ...
    workers : int, optional
        Local processes (default ``os.cpu_count()``); 1 runs in this process.
    dask : str, optional
        Scheduler address ``tcp://host:port``: run on that Dask cluster instead.
    dask_timeout : float
        Seconds to wait for the scheduler before giving up with a clear error.
    """
    keys = [t["key"] for t in tasks]
    if len(set(keys)) != len(keys):
        dup = next(k for k in keys if keys.count(k) > 1)
        raise ConventionError(f"duplicate task key {dup!r}; every task needs its own key")
    t0 = time.perf_counter()
    if dask:
        results, executor = _run_dask(tasks, dask, dask_timeout), f"dask {dask}"
    else:
        workers = workers or os.cpu_count() or 1
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ConventionError(f"workers = {workers!r} must be a positive integer")
        if workers == 1 or len(tasks) <= 1:
            results, executor = [run_task(t) for t in tasks], "serial"
        else:
            results, executor = _run_processes(tasks, workers), f"{workers} local processes"
    results = sorted(results, key=lambda r: r["key"])
    return {"executor": executor, "seconds": round(time.perf_counter() - t0, 3), "results": results}


# ---------------------------------------------------------------------------- output

_VERDICTS = ("holds", "fails", "undecided", "not-applicable", "error")


def summary_rows(results):
    """Verdict counts of the ``claims`` tasks per (claim label, family, delta, beta).

    Examples
    --------
    >>> rows = summary_rows([{"kind": "claims", "params": {"family": "2x2", "delta": "1",
    ...     "beta": None}, "result": {"verdicts": {"P5.4 [J]": "holds"}}}])
    >>> rows[0]["holds"], rows[0]["fails"]
    (1, 0)
    """
    table = {}
    for r in results:
        if r["kind"] != "claims":
            continue
        p = r["params"]
        labels = r["result"]["verdicts"] if "result" in r else {p["claim"]: "error"}
        for label, verdict in labels.items():
            g = (label, p["family"], p["delta"], p["beta"] or "-")
            row = table.setdefault(g, dict.fromkeys(_VERDICTS, 0))
            row[verdict] = row.get(verdict, 0) + 1
    return [{"claim": g[0], "family": g[1], "delta": g[2], "beta": g[3], **c}
            for g, c in sorted(table.items())]


def other_rows(results):
    """Counts (done, error) of the other tasks per group, and family means of the
    discussion experiment's ``kappa_prior``, ``kappa_G1`` and ``H``."""
    table = {}
    for r in results:
        if r["kind"] == "claims":
            continue
        if r["kind"] == "discussion":
            g = ("discussion", f"{r['params']['T']}x{r['params']['A']}")
        elif r["kind"] == "fuzz":
            p = r["params"]
            g = ("fuzz", f"{p['claim']} [{p['objective'] or '-'}] {p['regime']}")
        else:
            g = ("call", r["params"]["function"])
        row = table.setdefault(g, {"done": 0, "error": 0, "rows": []})
        if "error" in r:
            row["error"] += 1
        else:
            row["done"] += 1
            row["rows"].append(r["result"])
    out = []
    for (kind, group), c in sorted(table.items()):
        means = {}
        if kind == "discussion" and c["rows"]:
            for k in ("kappa_prior", "kappa_G1", "H"):
                means[f"mean {k}"] = sum(x[k] for x in c["rows"]) / len(c["rows"])
        if kind == "fuzz" and c["rows"]:
            for v in ("holds", "fails", "undecided", "not-applicable"):
                means[f"models {v}"] = sum(x["counts"].get(v, 0) for x in c["rows"])
        out.append({"kind": kind, "group": group, "done": c["done"], "error": c["error"], **means})
    return out


def format_summary(sweep):
    """The summary table as text (verdict counts; the last line names executor and wall time)."""
    rows = summary_rows(sweep["results"])
    lines = []
    if rows:
        head = (f"{'claim':<12} {'family':<7} {'delta':<6} {'beta':<6} {'holds':>6} {'fails':>6} "
                f"{'undec.':>6} {'n/a':>6} {'error':>6}")
        lines += [head, "-" * len(head)]
        for r in rows:
            lines.append(f"{r['claim']:<12} {r['family']:<7} {r['delta']:<6} {r['beta']:<6} "
                         f"{r['holds']:>6} {r['fails']:>6} {r['undecided']:>6} "
                         f"{r['not-applicable']:>6} {r['error']:>6}")
    others = other_rows(sweep["results"])
    if others:
        lines += ["" if rows else None, f"{'task':<11} {'group':<34} {'done':>5} {'error':>5}  details",
                  "-" * 72]
        for r in others:
            means = ", ".join(f"{k} {v:.4g}" for k, v in r.items() if k.startswith(("mean", "models")))
            lines.append(f"{r['kind']:<11} {r['group']:<34} {r['done']:>5} {r['error']:>5}  {means}")
    lines.append(f"{len(sweep['results'])} task(s) on {sweep['executor']} in {sweep['seconds']} s")
    return "\n".join(x for x in lines if x is not None)


def dump_results(sweep, path):
    """Write the sweep as JSON (results sorted by key; keys sorted for stable diffs)."""
    try:
        with open(path, "w") as fh:
            json.dump(sweep, fh, indent=1, sort_keys=True)
            fh.write("\n")
    except OSError as exc:
        raise ProofcheckError(f"cannot write the sweep results to {path!r}: {exc.strerror}; "
                              "pick a writable path with -o") from None
