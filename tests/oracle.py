"""An independent oracle: brute-force trajectory enumeration over a networkx graph.

Shares no code with proofcheck's engine: plain ``fractions.Fraction`` arithmetic on the
raw graph, exponential in the depth, for small test MDPs only.
"""

import itertools
import math
from fractions import Fraction

import networkx as nx


def random_graph(rng, depth=2, max_actions=3, stochastic=False, merge=False, zero_prior=True,
                 uniform_prior=False):
    """A random layered MDP graph with Fraction values (deterministic tree by default)."""
    G = nx.MultiDiGraph(initial="s0")
    layer = ["s0"]
    G.add_node("s0")
    count = 1
    for t in range(depth):
        nxt = []
        pool = []
        if merge:
            pool = [f"m{t}_{i}" for i in range(rng.randint(1, 3))]
        for s in layer:
            n_act = rng.randint(1, max_actions)
            weights = [rng.randint(0 if zero_prior else 1, 3) for _ in range(n_act)]
            if sum(weights) == 0:
                weights[0] = 1
            if uniform_prior:
                weights = [1] * n_act
            for a in range(n_act):
                n_out = rng.randint(1, 2) if stochastic else 1
                outs = []
                for _ in range(n_out):
                    if merge and rng.random() < 0.5:
                        tgt = rng.choice(pool)
                    else:
                        tgt = f"s{count}"
                        count += 1
                    if tgt not in outs:
                        outs.append(tgt)
                probs = [Fraction(rng.randint(1, 3)) for _ in outs]
                tot = sum(probs)
                probs = [p / tot for p in probs]
                q = rng.choice([Fraction(0), Fraction(1), Fraction(1, 2), Fraction(1, 3), Fraction(3, 4)])
                for k, (tgt, pr) in enumerate(zip(outs, probs)):
                    attrs = {"prob": pr}
                    if k == 0:
                        attrs.update(prior=Fraction(weights[a], sum(weights)), q=q)
                    G.add_edge(s, tgt, key=f"a{a}", **attrs)
                    if tgt not in nxt:
                        nxt.append(tgt)
        layer = nxt
    for s in layer:
        G.nodes[s]["success"] = rng.choice([Fraction(0), Fraction(1), Fraction(1, 4), Fraction(2, 3)])
    return G


def _actions(G, s):
    acts = {}
    for _, t, a, d in G.out_edges(s, keys=True, data=True):
        acts.setdefault(a, {"outs": [], "prior": None, "q": Fraction(1)})
        acts[a]["outs"].append((t, Fraction(d.get("prob", 1))))
        if "prior" in d:
            acts[a]["prior"] = Fraction(d["prior"])
        if "q" in d:
            acts[a]["q"] = Fraction(d["q"])
    return acts


def success_of(G, s):
    return Fraction(G.nodes[s].get("success", 1))


def trajectories(G, s, policy, first_action=None):
    """Yield (path, probability, likelihood) from state s; policy: dict (s, a) -> Fraction."""
    acts = _actions(G, s)
    if not acts:
        yield (s,), Fraction(1), success_of(G, s)
        return
    for a, info in acts.items():
        if first_action is not None and a != first_action:
            continue
        pa = Fraction(1) if first_action is not None else policy[(s, a)]
        for t, pr in info["outs"]:
            for path, p, lik in trajectories(G, t, policy):
                yield (s, a) + path, pa * pr * p, info["q"] * lik


def prior_of(G):
    return {(s, a): info["prior"] for s in G for a, info in _actions(G, s).items()}


def zv(G, s, policy):
    return sum((p * l for _, p, l in trajectories(G, s, policy)), Fraction(0))


def zq(G, s, a, policy):
    return sum((p * l for _, p, l in trajectories(G, s, policy, first_action=a)), Fraction(0))


def goal_condition(G, policy):
    """G(pi) with the 'keep' rule where Zv = 0."""
    out = {}
    for s in G:
        acts = _actions(G, s)
        if not acts:
            continue
        v = zv(G, s, policy)
        for a in acts:
            out[(s, a)] = policy[(s, a)] if v == 0 else policy[(s, a)] * zq(G, s, a, policy) / v
    return out


def success_probability(G, policy):
    return zv(G, G.graph["initial"], policy)


def additive_return(G, policy):
    """E[sum log q + log success] as (finite float, or -inf); exact via a log-free check."""
    total = 0.0
    for path, p, _ in trajectories(G, G.graph["initial"], policy):
        if p == 0:
            continue
        val = 0.0
        for i in range(0, len(path) - 1, 2):
            s, a = path[i], path[i + 1]
            q = _actions(G, s)[a]["q"]
            if q == 0:
                return -math.inf
            val += math.log(q)
        leaf = success_of(G, path[-1])
        if leaf == 0:
            return -math.inf
        total += float(p) * (val + math.log(leaf))
    return total


def occupancy(G, policy):
    d = {s: Fraction(0) for s in G}
    for path, p, _ in trajectories(G, G.graph["initial"], policy):
        for s in path[0::2]:
            d[s] += p
    return d


def trajectory_kl(G, pa, pb):
    P = {}
    Q = {}
    for path, p, _ in trajectories(G, G.graph["initial"], pa):
        P[path] = P.get(path, 0) + p
    for path, p, _ in trajectories(G, G.graph["initial"], pb):
        Q[path] = Q.get(path, 0) + p
    total = 0.0
    for path, p in P.items():
        if p == 0:
            continue
        if Q.get(path, 0) == 0:
            return math.inf
        total += float(p) * math.log(p / Q[path])
    return total


def best_success(G):
    """max over deterministic Markov policies of S (enumerated)."""
    states = [s for s in G if _actions(G, s)]
    choices = [list(_actions(G, s)) for s in states]
    best = Fraction(-1)
    for combo in itertools.product(*choices):
        pol = {(s, a): Fraction(int(a == c)) for s, c in zip(states, combo) for a in _actions(G, s)}
        best = max(best, success_probability(G, pol))
    return best
