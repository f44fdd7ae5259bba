"""HTML views of models and policies, for notebooks (``MDP._repr_html_``, ``Policy._repr_html_``).

Standard library only: the model layer uses them, and :mod:`proofcheck.notebook` re-exports them.
"""

from __future__ import annotations

from html import escape
from typing import Any

__all__ = ["mdp_html", "policy_html"]


def row(cells: list, tag: str = "td") -> str:
    """One HTML table row, every cell escaped."""
    return "<tr>" + "".join(f'<{tag} style="text-align:left">{escape(str(c))}</{tag}>' for c in cells) + "</tr>"


def mdp_html(self: Any, max_rows: int = 40) -> str:
    """An HTML view of an :class:`~proofcheck.model.MDP`: a summary line, the
    state-action table (next states, prior ``p``, likelihood ``q``; the first
    ``max_rows`` pairs) and the initial and terminal states (``mu``, success).

    Examples
    --------
    >>> from proofcheck.examples import mountain_race
    >>> text = mdp_html(mountain_race())
    >>> "<b>MDP mountain_race</b>" in text, "gold" in text
    (True, True)
    """
    kind = "deterministic" if self.deterministic else "stochastic"
    params = ", ".join(f"{s} in [{lo}, {hi}]" for s, (lo, hi) in self.parameters.items())
    out = [f"<p><b>MDP {escape(str(self.name))}</b>: {self.n_states} states, {self.n_pairs} state-action "
           f"pairs, horizon {self.horizon}, {kind}" + ("" if self.exact else ", inexact (float values)")
           + (f"; parameters {escape(params)}" if params else "") + "</p>",
           "<table><thead>" + row(["state", "action", "next", "p", "q"], "th") + "</thead><tbody>"]
    shown = min(self.n_pairs, max_rows)
    for j in range(shown):
        edges = range(int(self.pair_ptr[j]), int(self.pair_ptr[j + 1]))
        nxt = [self.states[int(self.edge_target[e])] for e in edges]
        nxt = str(nxt[0]) if len(nxt) == 1 else ", ".join(
            f"{self.states[int(self.edge_target[e])]}: {self.edge_prob[e]}" for e in edges)
        out.append(row([self.states[int(self.pair_state[j])], self.pair_action[j], nxt, self.prior[j],
                        self.likelihood[j]]))
    if shown < self.n_pairs:
        out.append(row([f"… {self.n_pairs - shown} more pairs", "", "", "", ""]))
    out.append("</tbody></table>")
    ends = [i for i in range(self.n_states) if self.initial[i] != 0 or self.terminal[i]]
    out.append("<table><thead>" + row(["state", "initial mu", "success"], "th") + "</thead><tbody>")
    for i in ends[:max_rows]:
        out.append(row([self.states[i], self.initial[i] if self.initial[i] != 0 else "",
                        self.success[i] if self.terminal[i] else ""]))
    if len(ends) > max_rows:
        out.append(row([f"… {len(ends) - max_rows} more states", "", ""]))
    out.append("</tbody></table>")
    return "".join(out)


def policy_html(self: Any, max_rows: int = 40) -> str:
    """An HTML view of a :class:`~proofcheck.model.Policy`: one row per state-action
    pair of a non-terminal state (the first ``max_rows``), the exact value and a decimal.

    Examples
    --------
    >>> from proofcheck.examples import mountain_race
    >>> from proofcheck.engine import goal_condition
    >>> text = policy_html(goal_condition(mountain_race()))
    >>> ">2/5</td>" in text, ">0.4</td>" in text
    (True, True)
    """
    def decimal(v):
        try:
            return f"{float(v):.6g}"
        except (TypeError, ValueError):
            return ""

    mdp = self.mdp
    numbers = "exact" if self.backend is None else f"backend {getattr(self.backend, 'name', self.backend)}"
    out = [f"<p><b>Policy</b> on MDP {escape(str(mdp.name))} ({escape(numbers)})</p>",
           "<table><thead>" + row(["state", "action", "pi(a|s)", "≈"], "th") + "</thead><tbody>"]
    shown = min(mdp.n_pairs, max_rows)
    last = None
    for j in range(shown):
        s = mdp.states[int(mdp.pair_state[j])]
        out.append(row(["" if s == last else s, mdp.pair_action[j], self.values[j], decimal(self.values[j])]))
        last = s
    if shown < mdp.n_pairs:
        out.append(row([f"… {mdp.n_pairs - shown} more pairs", "", "", ""]))
    out.append("</tbody></table>")
    return "".join(out)
