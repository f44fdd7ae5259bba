"""``proofcheck bench`` (and ``benchmarks/run.py``): one comparison table, measured in one run.

Every row times proofcheck and a baseline *in the same run*, checks that both computed
the same thing (exact equality, or a stated float tolerance), and prints the ratio:

1. **exact DP vs trajectory enumeration** on random trees, ``T = 2..8``, ``A = 2..4``:
   ``pi_1 = G(prior)`` at every state by one backward pass, against the route of the
   paper's authors (enumerate every trajectory, condition on success, take marginals),
   both in SymPy rationals; the policies must be identical;
2. **exact closed form on the depth-14 parametric tree** (``engine/polynomial.py``):
   ``S(prior)`` and ``G(prior)`` at the root as rational functions of ``p``, against the
   SymPy exact backend and, when stormpy is installed, Storm's parametric engine;
3. **float path on a 10^6-state layered MDP** (4 actions): state-action updates per
   second for soft values, one ``G`` step and ``kappa_delta``, against plain-Python dict
   loops and against the memory-bandwidth bound (a numpy memcpy measured in the run);
4. **mpmath at 50 digits on 10^4 states**, against float64 and the exact engine.

Missing optional pieces (another module, stormpy) make their row say "not available"
instead of failing.  A disagreement between proofcheck and a baseline raises
:class:`BenchmarkMismatch` (exit 1): a benchmark that computes different things
measures nothing.  ``--quick`` runs everything at small sizes in well under 30 s.
"""

from __future__ import annotations

import importlib
import math
import os
import platform
import sys
import time

import numpy as np
import sympy as sp
from proofcheck.engine import count_trajectories, goal_condition, ExactBackend, success_probability, soft_values, incoherence, get_backend
from proofcheck.sweeps import derive_seed, random_tree_mdp
from proofcheck.model.expressions import parse_expression
from proofcheck.engine.backends.rational import RationalFunctionBackend

__all__ = ["add_parser", "run", "main", "run_benchmarks", "format_table", "machine_info",
           "enumeration_goal_condition", "plain_python_kernels", "BenchmarkMismatch", "Row"]


class BenchmarkMismatch(AssertionError):
    """proofcheck and a baseline disagree: the benchmark is void, not slow."""


class Row:
    """One line of the table."""

    __slots__ = ("section", "case", "size", "ours", "base", "ratio", "check")

    def __init__(self, section, case, size="", ours="", base="", ratio="", check=""):
        self.section, self.case, self.size = section, case, size
        self.ours, self.base, self.ratio, self.check = ours, base, ratio, check

    def as_dict(self):
        return {k: getattr(self, k) for k in self.__slots__}


def _missing(section, case, exc):
    name = getattr(exc, "name", None) or str(exc)
    return Row(section, case, check=f"not available (module {name} missing)")


def _optional(module):
    """Import an optional module; None (with the exception) when it or a dependency is missing."""
    try:
        return importlib.import_module(module), None
    except ImportError as exc:
        return None, exc


def _fresh(mdp):
    """A shallow copy of ``mdp`` without its per-backend number cache, so that a timed
    call pays for converting the model's numbers (as a user's first call does)."""
    import copy
    new = copy.copy(mdp)
    new._converted = {}
    return new


def _best_time(fn, *, budget=0.5, reps=5, setup=None):
    """Best wall time of up to ``reps`` calls, stopping once ``budget`` seconds are spent.

    With ``setup``, each call is ``fn(setup())`` and only ``fn`` is timed.
    """
    best, out, spent = math.inf, None, 0.0
    for _ in range(reps):
        arg = setup() if setup else None
        t0 = time.perf_counter()
        out = fn(arg) if setup else fn()
        dt = time.perf_counter() - t0
        best, spent = min(best, dt), spent + dt
        if spent > budget:
            break
    return best, out


def _t(seconds):
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds * 1e6:.0f} us"


def _rate(x):
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if x >= scale:
            return f"{x / scale:.3g} {unit}"
    return f"{x:.3g} "


def _ratio(x):
    return f"{x:.3g}x" if x < 100 else f"{x:,.0f}x"


# ---------------------------------------------------------------------------- machine

def machine_info():
    """Cores, CPU model, Python and library versions (for the table header)."""
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.lower().startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    import mpmath
    import networkx
    info = {"cores": os.cpu_count(), "cpu": cpu,
            "python": platform.python_version(), "numpy": np.__version__,
            "sympy": sp.__version__, "mpmath": mpmath.__version__, "networkx": networkx.__version__}
    for mod, key in (("flint", "python-flint"), ("stormpy", "stormpy")):
        m, _ = _optional(mod)
        info[key] = getattr(m, "__version__", "installed") if m else "not installed"
    return info


# ---------------------------------------------------------------------------- 1. exact vs enumeration

def enumeration_goal_condition(mdp):
    """``G(prior)`` at every state the way the paper's authors computed it.

    Enumerate every trajectory with its prior probability and its success likelihood,
    condition on success (normalise the joint weights), and read ``pi_1(a|s)`` off the
    marginals: ``P(s, a | success) / P(s | success)``.  Where ``P(s | success) = 0``
    the prior is kept (the engine's ``impossible = "keep"`` convention).  States that no
    trajectory of positive prior probability visits have no marginals: their entries are
    ``None`` (dynamic programming defines ``G`` there too; enumeration cannot).  SymPy
    rationals throughout, the number type of the exact engine.

    Returns
    -------
    (values, n_trajectories)
        ``values`` is an object array over the MDP's pairs.

    Examples
    --------
    >>> from proofcheck.examples import mountain_race
    >>> m = mountain_race()
    >>> vals, n = enumeration_goal_condition(m)
    >>> vals[m.pair("start", "up")], n
    (2/5, 4)
    """
    prior, q = mdp.prior, mdp.likelihood
    ep, succ = mdp.edge_prob, mdp.success
    # (pairs visited, states visited, P(xi), P(xi) P(success | xi))
    trajectories = []
    stack = [(i, (), (), m, m) for i, m in enumerate(mdp.initial) if m != 0]
    while stack:
        i, pairs, states, prob, w = stack.pop()
        if mdp.terminal[i]:
            trajectories.append((pairs, states + (i,), prob, w * succ[i]))
            continue
        for j in range(mdp.state_ptr[i], mdp.state_ptr[i + 1]):
            pj, wj = prob * prior[j], w * prior[j] * q[j]
            for e in range(mdp.pair_ptr[j], mdp.pair_ptr[j + 1]):
                stack.append((int(mdp.edge_target[e]), pairs + (j,), states + (i,), pj * ep[e], wj * ep[e]))
    zero = sp.Integer(0)
    total = sum((w for *_, w in trajectories), zero)
    pair_mass = [zero] * mdp.n_pairs
    state_mass = [zero] * mdp.n_states
    reached = np.zeros(mdp.n_states, dtype=bool)
    for pairs, states, prob, w in trajectories:
        if prob != 0:
            reached[list(states)] = True
        post = w / total if total != 0 else zero  # posterior probability given success
        if post == 0:
            continue
        for j in pairs:
            pair_mass[j] += post
        for i in states:
            state_mass[i] += post
    out = np.empty(mdp.n_pairs, dtype=object)
    for j in range(mdp.n_pairs):
        i = mdp.pair_state[j]
        d = state_mass[i]
        out[j] = None if not reached[i] else (prior[j] if d == 0 else pair_mass[j] / d)
    return out, len(trajectories)


def _same_pi1(case, mdp, pol, vals):
    """Check the DP policy ``pol`` against the enumeration ``vals`` on every pair that
    enumeration reaches; returns how many pairs were compared (at least one)."""
    bad = [j for j in range(mdp.n_pairs) if vals[j] is not None and vals[j] != pol.values[j]]
    n_cmp = sum(v is not None for v in vals)
    if bad or n_cmp == 0:
        if not bad:
            raise BenchmarkMismatch(f"{case}: enumeration reaches no state-action pair; nothing to compare")
        j = bad[0]
        raise BenchmarkMismatch(
            f"{case}: exact DP and enumeration differ at state {mdp.states[mdp.pair_state[j]]}, "
            f"action {mdp.pair_action[j]}: {pol.values[j]} vs {vals[j]}")
    return n_cmp


def _bench_exact_vs_enumeration(quick, rows, log):
    section = "exact DP vs enumeration"
    Ts, As = (range(2, 5), range(2, 4)) if quick else (range(2, 9), range(2, 5))
    cap = 10 ** 3 if quick else 10 ** 5
    rational, _ = _optional("flint")
    for A in As:
        for T in Ts:
            seed = derive_seed("bench-tree", T, A)
            stochastic = 0.1
            t0 = time.perf_counter()
            mdp = random_tree_mdp(T, A, seed, stochastic=stochastic, validate=A ** T <= 5000)
            n_traj = count_trajectories(mdp)
            case = f"random tree T={T} A={A}"
            size = f"{mdp.n_states} states, {n_traj} traj."
            budget = 0.1 if quick else 1.0
            t_dp, pol = _best_time(lambda m: goal_condition(m, backend="exact"), budget=budget,
                                   setup=lambda: _fresh(mdp))
            ours = f"{_t(t_dp)} (SymPy)"
            if rational is not None:
                t_rat, (B, pol_r) = _best_time(
                    lambda mb: (mb[1], goal_condition(mb[0], backend=mb[1])), budget=budget,
                    setup=lambda: (_fresh(mdp), RationalFunctionBackend()))
                vals = [B.to_sympy(v) for v in pol_r.values]
                if any(a != b for a, b in zip(vals, pol.values)):
                    raise BenchmarkMismatch(f"{case}: the rational backend and the SymPy backend differ")
                ours += f", {_t(t_rat)} (flint)"
            if n_traj > cap:
                log(f"  {case}: DP {_t(t_dp)}, enumeration skipped ({n_traj} trajectories)")
                rows.append(Row(section, case, size, ours, f"skipped (> {cap:.0e} trajectories)", "",
                                "DP only"))
                continue
            t_en, (vals, n) = _best_time(lambda: enumeration_goal_condition(mdp), budget=budget, reps=3)
            assert n == n_traj
            n_cmp = _same_pi1(case, mdp, pol, vals)
            rows.append(Row(section, case, size, ours, f"{_t(t_en)} (SymPy)", _ratio(t_en / t_dp),
                            f"identical pi_1 ({n_cmp} of {mdp.n_pairs} pairs reachable)"))
            log(f"  {case}: DP {_t(t_dp)}, enumeration {_t(t_en)} ({time.perf_counter() - t0:.1f} s)")


def _bench_dag_vs_enumeration(quick, rows, log):
    """Layered DAGs (states merge): trajectories grow like A^T, states like T * width."""
    section = "exact DP vs enumeration"
    lay, err = _optional("proofcheck.model.generators")
    if lay is None:
        rows.append(_missing(section, "layered DAG", err))
        return
    width = 4
    combos = [(4, 3), (6, 3)] if quick else [(4, 3), (6, 3), (8, 3), (8, 4)]
    budget = 0.1 if quick else 1.0
    for T, A in combos:
        mdp = lay.random_layered_mdp(1 + T * width, A, horizon=T, seed=T * 10 + A, values="exact")
        n_traj = count_trajectories(mdp)
        case = f"layered DAG T={T} A={A} width {width}"
        t_dp, pol = _best_time(lambda m: goal_condition(m, backend="exact"), budget=budget,
                               setup=lambda: _fresh(mdp))
        t_en, (vals, _) = _best_time(lambda: enumeration_goal_condition(mdp), budget=budget, reps=3)
        n_cmp = _same_pi1(case, mdp, pol, vals)
        log(f"  {case}: DP {_t(t_dp)}, enumeration {_t(t_en)}")
        rows.append(Row(section, case, f"{mdp.n_states} states, {n_traj} traj.", f"{_t(t_dp)} (SymPy)",
                        f"{_t(t_en)} (SymPy)", _ratio(t_en / t_dp),
                        f"identical pi_1 ({n_cmp} of {mdp.n_pairs} pairs reachable)"))


# ---------------------------------------------------------------------------- 2. parametric tree

def _storm_drn(mdp):
    """The parametric tree as a Storm DRN text (a pDTMC: the prior is the policy)."""
    n = mdp.n_states
    goal, fail = n, n + 1
    out = ["@type: DTMC", "@parameters", " ".join(s.name for s in mdp.parameters), "@reward_models", "",
           "@nr_states", str(n + 2), "@nr_choices", str(n + 2), "@model"]
    text = {}
    for i in range(n):
        out.append(f"state {i}" + (" init" if i == 0 else ""))
        out.append("\taction 0")
        lo, hi = mdp.state_ptr[i], mdp.state_ptr[i + 1]
        if hi > lo:
            for j in range(lo, hi):
                e = mdp.pair_ptr[j]
                v = mdp.prior[j] * mdp.likelihood[j] * mdp.edge_prob[e]
                if v not in text:
                    text[v] = str(sp.expand(v)).replace(" ", "")
                out.append(f"\t\t{mdp.edge_target[e]} : {text[v]}")
            # likelihoods below 1 leak to fail: S is the probability of reaching goal
            rest = 1 - sum(mdp.prior[j] * mdp.likelihood[j] for j in range(lo, hi))
            if rest != 0:
                out.append(f"\t\t{fail} : {str(sp.expand(rest)).replace(' ', '')}")
        else:
            s = mdp.success[i]
            if s != 0:
                out.append(f"\t\t{goal} : {s}")
            if s != 1:
                out.append(f"\t\t{fail} : {1 - s}")
    out += [f"state {goal} goal", "\taction 0", f"\t\t{goal} : 1",
            f"state {fail}", "\taction 0", f"\t\t{fail} : 1"]
    return "\n".join(out) + "\n"


def _storm_values(mdp, tmpdir):
    """Storm's reachability probabilities of every state, as SymPy rational functions."""
    import stormpy
    path = os.path.join(tmpdir, "tree.drn")
    with open(path, "w") as fh:
        fh.write(_storm_drn(mdp))
    if hasattr(stormpy, "build_parametric_model_from_drn"):  # stormpy 1.x
        build = stormpy.build_parametric_model_from_drn
    else:  # stormpy 2.x: templated on the value type
        from stormpy.numbers.developer.cln import FactorizedRationalFunction
        build = stormpy.build_model_from_drn[FactorizedRationalFunction]
    t0 = time.perf_counter()
    model = build(path)
    prop = stormpy.parse_properties('P=? [F "goal"]')[0]
    formula = prop.raw_formula if hasattr(prop, "raw_formula") else prop.get_raw_formula()
    res = stormpy.model_checking(model, formula)
    seconds = time.perf_counter() - t0
    syms = {s.name: s for s in mdp.parameters}
    get = res.at if hasattr(res, "at") else res.get_value

    def value(i):
        return parse_expression(str(get(i)), syms, where=f"Storm value of state {i}")
    return seconds, value


def _bench_parametric_tree(quick, rows, log):
    import tempfile
    section = "parametric tree (exact)"
    poly, err = _optional("proofcheck.engine.backends.rational")
    if poly is None or not hasattr(poly, "binary_tree_mdp"):
        rows.append(_missing(section, "depth-14 binary tree in p", err or ImportError(
            name="proofcheck.engine.backends.rational.binary_tree_mdp")))
        return
    depth = 6 if quick else 14
    mdp = poly.binary_tree_mdp(depth, seed=0)
    budget = 0.2 if quick else 2.0

    def cold(m):  # a fresh backend and model cache: conversions are paid for every time
        return m, poly.RationalFunctionBackend.for_model(m)
    t_s, S = _best_time(lambda mb: success_probability(mb[0], backend=mb[1]), budget=budget,
                        setup=lambda: cold(_fresh(mdp)))
    t_g, (B, G) = _best_time(lambda mb: (mb[1], goal_condition(mb[0], backend=mb[1])), budget=budget,
                             setup=lambda: cold(_fresh(mdp)))
    S = B.to_sympy(S)
    g_root = B.to_sympy(G.values[0])
    p = next(iter(mdp.parameters))
    size = f"{mdp.n_states} states, degree {sp.degree(sp.numer(sp.together(S)), p)} in p"
    case = f"depth {depth}: S(prior), G(prior) at root"
    ours = f"S {_t(t_s)}, G {_t(t_g)} (rational)"
    # second route to G at the root: p * S(left subtree) / S(root), from the same S pass
    sv = soft_values(mdp, backend=B)
    if sp.cancel(g_root - p * B.to_sympy(sv.zq[0]) / S) != 0:
        raise BenchmarkMismatch(f"{case}: G(prior) at the root disagrees with p * Zq(L) / S")

    # SymPy exact backend: same depth when feasible, else the deepest depth within a budget
    limit = 1.0 if quick else 30.0
    sym_depth, t_sym = None, None
    for d in range(2 if quick else 6, depth + 1, 2):
        small = poly.binary_tree_mdp(d, seed=0)
        t0 = time.perf_counter()
        S_sym = success_probability(small, backend=ExactBackend())
        dt = time.perf_counter() - t0
        S_rat = B.to_sympy(success_probability(small, backend=poly.RationalFunctionBackend.for_model(small)))
        if sp.cancel(sp.together(S_sym) - S_rat) != 0:
            raise BenchmarkMismatch(f"depth {d}: the SymPy and rational backends give different S(prior)")
        t_rd, _ = _best_time(lambda mb: success_probability(mb[0], backend=mb[1]), budget=budget,
                             setup=lambda: cold(_fresh(small)))
        sym_depth, t_sym, t_rat_d = d, dt, t_rd
        log(f"  SymPy exact backend depth {d}: {_t(dt)} (rational {_t(t_rd)})")
        if dt * 4.5 > limit:  # the next depth (4x the states, higher degrees) would blow the budget
            break
    if sym_depth == depth:
        base = f"S {_t(t_sym)} (SymPy exact)"
        ratio = _ratio(t_sym / t_s)
    else:
        scale = (2 ** (depth + 1) - 1) / (2 ** (sym_depth + 1) - 1)
        base = f"S {_t(t_sym)} at depth {sym_depth} (SymPy exact); >= {_t(t_sym * scale)} scaled"
        ratio = f"{_ratio(t_sym / t_rat_d)} at depth {sym_depth}"
    rows.append(Row(section, case, size, ours, base, ratio, "equal rational functions"))

    storm, serr = _optional("stormpy")
    if storm is None:
        rows.append(Row(section, f"depth {depth}: Storm parametric engine", size,
                        check="not available (stormpy not installed)"))
        return
    try:
        with tempfile.TemporaryDirectory() as tmp:
            t_storm, value = _storm_values(mdp, tmp)
            storm_S = value(0)
            left = int(mdp.edge_target[mdp.pair_ptr[0]])
            storm_g = mdp.prior[0] * value(left) / storm_S
    except Exception as exc:  # an API change in stormpy must not hide the other rows
        rows.append(Row(section, f"depth {depth}: Storm parametric engine", size,
                        check=f"not available (stormpy {getattr(storm, '__version__', '?')}: "
                        f"{type(exc).__name__}: {str(exc).splitlines()[0][:80]})"))
        return
    if sp.cancel(sp.together(storm_S - S)) != 0 or sp.cancel(sp.together(storm_g - g_root)) != 0:
        raise BenchmarkMismatch(f"depth {depth}: Storm and proofcheck give different S or G at the root")
    rows.append(Row(section, f"depth {depth}: vs Storm {storm.__version__} (pDTMC)", size,
                    f"S {_t(t_s)} (rational)", f"{_t(t_storm)} (Storm build + check)",
                    _ratio(t_storm / t_s), "equal S and G(L|root); DRN export not timed"))


# ---------------------------------------------------------------------------- 3. float path

def plain_python_kernels(mdp):
    """Soft values, one ``G`` step and ``kappa_delta`` (delta = 1) as plain-Python loops
    over dicts: the baseline a user would write.  Returns three callables; each returns
    its result as a dict keyed like the model (state, (state, action))."""
    order = [mdp.states[i] for i in range(mdp.n_states - 1, -1, -1)]  # terminals first
    model, success = {}, {}
    for i, s in enumerate(mdp.states):
        acts = {}
        for j in range(mdp.state_ptr[i], mdp.state_ptr[i + 1]):
            outs = [(mdp.states[mdp.edge_target[e]], float(mdp.edge_prob[e]))
                    for e in range(mdp.pair_ptr[j], mdp.pair_ptr[j + 1])]
            acts[mdp.pair_action[j]] = (float(mdp.likelihood[j]), float(mdp.prior[j]), outs)
        model[s] = acts
        success[s] = float(mdp.success[i])
    prior = {(s, a): v[1] for s, acts in model.items() for a, v in acts.items()}
    init = {mdp.states[i]: float(m) for i, m in enumerate(mdp.initial) if m != 0}

    def soft(pi):
        zv, zq = {}, {}
        for s in order:
            acts = model[s]
            if not acts:
                zv[s] = success[s]
                continue
            tot = 0.0
            for a, (q, _, outs) in acts.items():
                z = q * sum(p * zv[t] for t, p in outs)
                zq[(s, a)] = z
                tot += pi[(s, a)] * z
            zv[s] = tot
        return zq, zv

    def g_step(pi):
        zq, zv = soft(pi)
        return {(s, a): (pi[(s, a)] * zq[(s, a)] / zv[s] if zv[s] != 0 else pi[(s, a)]) for (s, a) in pi}

    def kappa(pi):
        zq, _ = soft(pi)
        d = dict.fromkeys(model, 0.0)
        d.update(init)
        total = 0.0
        for s in reversed(order):  # forward in time
            acts = model[s]
            if not acts or d[s] == 0:
                continue
            norm = sum(zq[(s, a)] for a in acts)
            for a, (_, _, outs) in acts.items():
                pa = pi[(s, a)]
                for t, p in outs:
                    d[t] += d[s] * pa * p
                if pa > 0:
                    soft_pa = zq[(s, a)] / norm if norm > 0 else pa
                    total += d[s] * pa * (math.log(pa / soft_pa) if soft_pa > 0 else math.inf)
        return total

    return prior, (lambda: soft(prior)), (lambda: g_step(prior)), kappa


def _memcpy_bandwidth(n):
    src = np.ones(n)
    dst = np.zeros_like(src)  # touched, so no page fault lands inside the timing
    np.copyto(dst, src)
    t, _ = _best_time(lambda: np.copyto(dst, src), budget=math.inf, reps=7)
    return 2 * src.nbytes / t  # read + write


def _compulsory_bytes(mdp):
    """Bytes each operation must move at least once (inputs read, outputs written)."""
    E, P, S = len(mdp.edge_target), mdp.n_pairs, mdp.n_states
    f, i = 8, mdp.edge_target.itemsize
    soft = E * (2 * f + i) + P * (3 * f + i) + S * (2 * f + i)  # tau, zv[target], target; q, pi, zq, ptr; ...
    g = soft + P * (4 * f + i)  # pi, zq, zv[state], new pi; pair_state
    occupancy = E * (2 * f + 2 * i) + P * (2 * f + i) + S * f
    kappa = soft + P * (3 * f) + occupancy + P * (3 * f)  # Boltzmann weights, KL terms
    return {"soft values": soft, "G step": g, "kappa_delta": kappa}


def _bench_float(quick, rows, log):
    section = "float64 path"
    lay, err = _optional("proofcheck.model.generators")
    if lay is None:
        rows.append(_missing(section, "layered MDP, 4 actions", err))
        return
    n_big, n_small, horizon = (20_000, 2_000, 10) if quick else (1_000_000, 20_000, 10)
    t0 = time.perf_counter()
    big = lay.random_layered_mdp(n_big, 4, horizon=horizon, seed=0)
    log(f"  built {big} in {time.perf_counter() - t0:.1f} s")
    small = lay.random_layered_mdp(n_small, 4, horizon=horizon, seed=1)

    def ops(m):
        G1 = goal_condition(m, backend="float")
        return {"soft values": lambda: soft_values(m, backend="float"),
                "G step": lambda: goal_condition(m, backend="float"),
                "kappa_delta": lambda: incoherence(m, G1, "boltzmann", delta=1, backend="float")}

    # agreement with the plain-Python loops on the small model (same float64 inputs)
    prior, py_soft, py_g, py_kappa = plain_python_kernels(small)
    ours_small = ops(small)
    sv = ours_small["soft values"]()
    zq_py, zv_py = py_soft()
    g_ours = ours_small["G step"]()
    g_py = py_g()
    kap_ours = float(ours_small["kappa_delta"]())
    g1_dict = {(small.states[small.pair_state[j]], small.pair_action[j]): g_ours.values[j]
               for j in range(small.n_pairs)}
    kap_py = py_kappa(g1_dict)
    diffs = {
        "soft values": max(abs(sv.zv[small.index[s]] - v) / max(abs(v), 1e-300) for s, v in zv_py.items() if v),
        "G step": max(abs(g_ours.values[small.pair(s, a)] - v) for (s, a), v in g_py.items()),
        "kappa_delta": abs(kap_ours - kap_py) / max(abs(kap_py), 1e-300),
    }
    tol = 1e-10  # float64 sums of <= T*A terms in a different order: far below this
    for name, d in diffs.items():
        if not d <= tol:
            raise BenchmarkMismatch(f"float path vs plain Python, {name}: relative difference {d:.3g} > {tol}")
    py_fns = {"soft values": py_soft, "G step": py_g, "kappa_delta": lambda: py_kappa(g1_dict)}
    bw = _memcpy_bandwidth(2 ** 22 if quick else 2 ** 25)  # 32 MB / 256 MB: beyond the caches
    nbytes = _compulsory_bytes(big)
    big_ops = ops(big)
    # a structural check at full size: every G row is a distribution
    gb = big_ops["G step"]()
    sums = np.add.reduceat(gb.values, big.state_ptr[:-1][~big.terminal])
    if not np.all(np.abs(sums - 1) < 1e-12):
        raise BenchmarkMismatch("float path: a row of G(prior) does not sum to 1 within 1e-12")
    for name in ("soft values", "G step", "kappa_delta"):
        t_ours, _ = _best_time(big_ops[name], budget=1.0 if not quick else 0.2)
        t_py, _ = _best_time(py_fns[name], budget=0.5, reps=3)
        rate = big.n_pairs / t_ours
        rate_py = small.n_pairs / t_py
        achieved = nbytes[name] / t_ours
        rows.append(Row(section, f"{name}", f"{big.n_states:,} states, {big.n_pairs:,} pairs",
                        f"{_rate(rate)}upd/s ({_t(t_ours)})",
                        f"{_rate(rate_py)}upd/s (Python dicts, {small.n_states:,} states)",
                        _ratio(rate / rate_py),
                        f"compulsory traffic {achieved / 1e9:.2f} GB/s = {achieved / bw:.0%} of memcpy "
                        f"{bw / 1e9:.1f} GB/s; "
                        f"vs Python rel. diff {diffs[name]:.0e}"))


# ---------------------------------------------------------------------------- 4. mpmath

def _bench_mpmath(quick, rows, log):
    section = "mpmath 50 digits"
    lay, err = _optional("proofcheck.model.generators")
    if lay is None:
        rows.append(_missing(section, "layered MDP, 4 actions", err))
        return
    import mpmath
    n = 500 if quick else 10_000
    mdp = lay.random_layered_mdp(n, 4, horizon=10, seed=2, values="exact", validate=False)
    budget = 0.2 if quick else 1.0
    B50 = get_backend("mpmath:50")
    t_mp, pol_mp = _best_time(lambda m: goal_condition(m, backend=B50), budget=budget,
                              setup=lambda: _fresh(mdp))
    t_fl, pol_fl = _best_time(lambda m: goal_condition(m, backend="float"), budget=budget,
                              setup=lambda: _fresh(mdp))
    exact_name = "rational" if _optional("flint")[0] is not None else "exact"
    BX = get_backend(exact_name)
    t_ex, pol_ex = _best_time(lambda m: goal_condition(m, backend=BX), budget=budget, reps=2,
                              setup=lambda: _fresh(mdp))
    ctx = mpmath.MPContext()
    ctx.dps = 80
    err_mp, err_fl = 0, 0.0
    for j in range(mdp.n_pairs):
        x = BX.to_sympy(pol_ex.values[j])
        xe = ctx.mpf(int(x.p)) / int(x.q)
        err_mp = max(err_mp, abs(ctx.mpf(pol_mp.values[j]) - xe))
        err_fl = max(err_fl, float(abs(ctx.mpf(float(pol_fl.values[j])) - xe)))
    if not err_mp < ctx.mpf(10) ** -45:
        raise BenchmarkMismatch(f"mpmath:50 G(prior) is off the exact values by {ctx.nstr(err_mp, 3)} > 1e-45")
    if not err_fl < 1e-12:
        raise BenchmarkMismatch(f"float64 G(prior) is off the exact values by {err_fl:.3g} > 1e-12")
    def warm_time(backend):  # the recursion alone, once the model's numbers are converted
        m = _fresh(mdp)
        goal_condition(m, backend=backend)
        return _best_time(lambda: goal_condition(m, backend=backend), budget=budget)[0]
    w_mp, w_fl, w_ex = warm_time(B50), warm_time(get_backend("float")), warm_time(BX)

    def vs(a, b):
        return f"{_ratio(a / b)} slower" if a >= b else f"{_ratio(b / a)} faster"
    P = mdp.n_pairs
    rows.append(Row(section, "G step vs float64", f"{mdp.n_states:,} states, {P:,} pairs",
                    f"{_rate(P / w_mp)}upd/s warm, {_rate(P / t_mp)}upd/s cold",
                    f"{_rate(P / w_fl)}upd/s warm, {_rate(P / t_fl)}upd/s cold (float64)",
                    f"{vs(w_mp, w_fl)} warm, {vs(t_mp, t_fl)} cold",
                    f"max error vs exact: mpmath {ctx.nstr(err_mp, 2)}, float64 {err_fl:.1e}"))
    rows.append(Row(section, f"G step vs exact ({exact_name})", f"{mdp.n_states:,} states, {P:,} pairs",
                    f"{_t(w_mp)} warm, {_t(t_mp)} cold (mpmath:50)",
                    f"{_t(w_ex)} warm, {_t(t_ex)} cold ({BX.name})",
                    f"{vs(w_mp, w_ex)} warm, {vs(t_mp, t_ex)} cold",
                    "cold: converting the model's SymPy numbers included"))


# ---------------------------------------------------------------------------- driver

def _bench_exact(quick, rows, log):
    _bench_exact_vs_enumeration(quick, rows, log)
    _bench_dag_vs_enumeration(quick, rows, log)


SECTIONS = {"exact": _bench_exact, "parametric": _bench_parametric_tree,
            "float": _bench_float, "mpmath": _bench_mpmath}


def run_benchmarks(quick=False, sections=None, log=None):
    """Run the benchmark sections; returns the list of :class:`Row`.

    A missing optional module makes its rows say "not available"; a disagreement
    between proofcheck and a baseline raises :class:`BenchmarkMismatch`.
    """
    log = log or (lambda msg: None)
    rows = []
    for name in sections or SECTIONS:
        t0 = time.perf_counter()
        log(f"[{name}]")
        SECTIONS[name](quick, rows, log)
        log(f"[{name}] done in {time.perf_counter() - t0:.1f} s")
    return rows


_COLS = (("case", "case"), ("size", "size"), ("ours", "proofcheck"), ("base", "baseline"),
         ("ratio", "ratio"), ("check", "agreement / notes"))


def format_table(rows, info, *, quick, seconds, command):
    """The table as Markdown (header lines first)."""
    head = [f"proofcheck benchmark ({'quick' if quick else 'full'}): `{command}`",
            f"machine: {info['cores']} cores, {info['cpu']}; Python {info['python']}, numpy {info['numpy']}, "
            f"sympy {info['sympy']}, mpmath {info['mpmath']}, python-flint {info['python-flint']}, "
            f"stormpy {info['stormpy']}",
            "times: best of up to 5 runs, each on a fresh copy of the model (converting the model's "
            "numbers into the backend is included); baselines run in the same process, same run", ""]
    lines = ["| section | " + " | ".join(t for _, t in _COLS) + " |",
             "|---|" + "---|" * len(_COLS)]
    for r in rows:
        lines.append(f"| {r.section} | " + " | ".join(str(getattr(r, k)) for k, _ in _COLS) + " |")
    tail = ["", f"all agreement checks passed; total {seconds:.1f} s"]
    return "\n".join(head + lines + tail)


_DESCRIPTION = ("Time proofcheck against trajectory enumeration, the SymPy backend, Storm, plain "
                "Python and memcpy bandwidth, in one run, and print one table; exit 1 if any "
                "result disagrees with its baseline.")


def _arguments(p):
    p.add_argument("--quick", action="store_true", help="small sizes (< 30 s), as CI runs it")
    p.add_argument("--section", action="append", choices=list(SECTIONS), dest="sections",
                   help="run only this section (repeatable)")
    p.add_argument("-v", "--verbose", action="store_true", help="progress on stderr")
    p.set_defaults(func=run)


def add_parser(sub):
    _arguments(sub.add_parser("bench", help="benchmarks against baselines (one comparison table)",
                              description=_DESCRIPTION))


def run(args, command="proofcheck bench"):
    t0 = time.perf_counter()
    log = (lambda msg: print(msg, file=sys.stderr, flush=True)) if args.verbose else None
    cmd = command + (" --quick" if args.quick else "") + "".join(f" --section {s}" for s in args.sections or [])
    try:
        rows = run_benchmarks(args.quick, args.sections, log)
    except BenchmarkMismatch as exc:
        print(f"proofcheck bench: MISMATCH: {exc}", file=sys.stderr)
        return 1
    print(format_table(rows, machine_info(), quick=args.quick, seconds=time.perf_counter() - t0,
                       command=cmd))
    return 0


def main(argv=None, command="proofcheck bench"):
    """Entry point of ``benchmarks/run.py`` (``proofcheck bench`` goes through the CLI)."""
    import argparse
    parser = argparse.ArgumentParser(prog=command, description=_DESCRIPTION)
    _arguments(parser)
    return run(parser.parse_args(argv), command)
