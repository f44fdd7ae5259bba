"""Import PRISM models (``.prism``, ``.pm``, ``.nm``) through stormpy (optional extra ``storm``).

:func:`from_prism` parses the program with Storm, builds its state space with Storm's
*exact* (GMP rational) engine, so every probability is the rational the program states
(``1/3`` is ``1/3``, a literal ``0.1`` is ``1/10``), reads the transition matrix with its row
groups (one row per enabled choice of a state) and unrolls it to the horizon with
:func:`proofcheck.io.tabular.from_arrays` (its graph builder).

Mappings (all stated in the model's ``source`` and printed by ``proofcheck verify``)
------------------------------------------------------------------------------------
* **Success.**  States labelled ``success_label`` are successful terminals: the episode
  ends on entering one, with success 1.  A state still running at the horizon has success 0
  (the goal was not reached in time).
* **Likelihood.**  ``q = 1`` on every choice: success comes only from reaching the goal
  (PRISM reward structures are not read).
* **Prior.**  A PRISM MDP has no action prior; ``prior="uniform"`` (the default) is uniform
  over the choices enabled in each state, and the model's source says so.  A DTMC has one
  choice per state (action ``step``).
* **Actions.**  A choice is named by its PRISM action label (``[a]``), ``c<i>`` for an
  unlabelled command (the ``i``-th choice of its state) and ``<label>#<j>`` when one state
  has several choices with one label.
* **States.**  Named by Storm's state valuation (``s=0``; ``s=0&x=1``), at time ``t`` as
  ``s=0@t2``; the initial state is Storm's (one initial state is required).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from fractions import Fraction

from proofcheck.errors import CaseFileError, ModelError, StormUnavailable
from proofcheck.io.storm import text_int
from proofcheck.io.tabular import MAX_EDGES, arrays_graph
from proofcheck.model.mdp import from_graph

__all__ = ["from_prism", "PRISM_SUFFIXES", "PRIOR_NOTE"]

#: File name endings read as PRISM programs.
PRISM_SUFFIXES = (".prism", ".pm", ".nm")
#: What the default prior is, as recorded in the model's source.
PRIOR_NOTE = "prior uniform over the enabled choices (default: PRISM MDPs have no action prior)"


def _stormpy():
    try:
        import stormpy
    except ImportError as exc:
        raise StormUnavailable(f"reading PRISM files needs stormpy ({exc}); install proofcheck[storm] "
                               "(pip install 'proofcheck[storm]')") from None
    if not hasattr(stormpy, "Rational") or not hasattr(stormpy, "BuilderOptions"):
        raise StormUnavailable("the installed stormpy is older than 2.0; install proofcheck[storm] "
                               "(pip install 'stormpy>=2.0')")
    return stormpy


def _one_line(exc, limit=300):
    return " ".join(str(exc).split())[:limit]


def _constants_text(constants, where):
    """``constants`` as Storm's definition string ``"N=3,p=1/2"`` (Storm parses the values;
    nothing here evaluates them)."""
    if constants is None:
        return None
    if isinstance(constants, str):
        return constants.strip() or None
    if isinstance(constants, Mapping):
        parts = []
        for k, v in constants.items():
            if isinstance(v, bool) or not isinstance(v, (int, Fraction, str)):
                raise ModelError(f"{where}: constant {k!r} = {v!r}; give an int, a fractions.Fraction or a "
                                 "string such as '1/3' (floats are not exact)")
            parts.append(f"{k}={v}")
        return ",".join(parts)
    raise ModelError(f"{where}: constants={constants!r}; give a string 'N=3,p=1/2' or a dict")


def _rational(x):
    num, _, den = str(x).partition("/")
    return Fraction(text_int(num), text_int(den or "1"))


def _state_names(model, n):
    names = []
    try:
        sv = model.state_valuations
        for s in range(n):
            names.append("".join(sv.to_string(s).strip("[]").split()))
    except Exception:  # noqa: BLE001 - no valuations: indices
        return None
    if len(set(names)) != n or any("@" in x or not x for x in names):
        return None
    return names


def _choice_names(model, matrix, n):
    """``{(state, row): action name}`` (see the module docstring)."""
    labelled = model.has_choice_labeling() if hasattr(model, "has_choice_labeling") else False
    out = {}
    for s in range(n):
        lo, hi = matrix.get_row_group_start(s), matrix.get_row_group_end(s)
        seen = {}
        for i, r in enumerate(range(lo, hi)):
            labels = sorted(model.choice_labeling.get_labels_of_choice(r)) if labelled else []
            base = "+".join(labels) if labels else (f"c{i}" if hi - lo > 1 else "step")
            seen[base] = seen.get(base, 0) + 1
            out[(s, r)] = base if seen[base] == 1 else f"{base}#{seen[base]}"
    return out


def from_prism(path, *, horizon, success_label="goal", constants=None, prior="uniform", name=None,
               max_edges=MAX_EDGES):
    """Build an :class:`~proofcheck.model.mdp.MDP` from a PRISM file (needs stormpy >= 2.0).

    Parameters
    ----------
    path : str or path-like
        A PRISM program (``mdp`` or ``dtmc``).
    horizon : int
        Number of steps; the state space Storm builds is unrolled exactly to it.
    success_label : str
        The PRISM label (``label "goal" = ...;``) of the successful terminal states.
    constants : str or dict, optional
        Values of undefined constants, ``"N=3,p=1/2"`` or ``{"N": 3, "p": "1/2"}`` (read by
        Storm's parser).
    prior : "uniform" or callable
        ``"uniform"`` (default; recorded in the model's source) or ``prior(state_name,
        action_names) -> {action_name: probability}``.
    name : str, optional
        Model name (default: the file name).
    max_edges : int
        Refuse time-expanded graphs with more edges.

    Raises
    ------
    proofcheck.errors.StormUnavailable
        Without stormpy: install ``proofcheck[storm]``.
    proofcheck.errors.CaseFileError, proofcheck.errors.ModelError
        One line naming the file, the value and the fix.
    """
    stormpy = _stormpy()
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise CaseFileError(f"{path}: no such file; give a PRISM program (.prism, .pm or .nm)")
    try:
        prog = stormpy.parse_prism_program(path)
    except Exception as exc:  # noqa: BLE001 - Storm's parser raises its own error types
        raise CaseFileError(f"{path}: Storm cannot parse it as a PRISM program ({_one_line(exc)}); "
                            "fix the program") from None
    kind = str(prog.model_type).rsplit(".", 1)[-1].upper()
    if kind not in ("MDP", "DTMC"):
        raise CaseFileError(f"{path}: a PRISM {kind.lower()}; proofcheck reads discrete-time models "
                            "('mdp' or 'dtmc')")
    definitions = _constants_text(constants, path)
    if definitions:
        try:
            prog, _ = stormpy.instantiate_constants(prog, definitions)
        except Exception as exc:  # noqa: BLE001
            raise CaseFileError(f"{path}: constants {definitions!r}: {_one_line(exc)}; give NAME=VALUE "
                                "pairs separated by commas, e.g. N=3,p=1/2") from None
    undefined = [c.name for c in prog.constants if not c.defined]
    if undefined:
        raise CaseFileError(f"{path}: undefined constant(s) {', '.join(undefined)}; give their values, "
                            f"e.g. constants=\"{undefined[0]}=1\" (CLI: --constants {undefined[0]}=1)")
    try:
        model = stormpy.build_model[stormpy.Rational](prog, options=stormpy.BuilderOptions(build_full=True))
    except Exception as exc:  # noqa: BLE001
        raise CaseFileError(f"{path}: Storm cannot build the model ({_one_line(exc)}); fix the program") from None
    n = model.nr_states
    labels = set(model.labeling.get_labels())
    if success_label not in labels:
        known = ", ".join(sorted(x for x in labels if x not in ("init", "deadlock"))) or "none"
        raise CaseFileError(f"{path}: no label {success_label!r} (labels: {known}); give the label of the "
                            "goal states (CLI: --success-label NAME)")
    goal = sorted(int(s) for s in model.labeling.get_states(success_label))
    initial = list(model.initial_states)
    if len(initial) != 1:
        raise CaseFileError(f"{path}: {len(initial)} initial states; proofcheck needs one initial state "
                            "(remove the init ... endinit block or make it a single state)")
    matrix = model.transition_matrix
    all_names = _state_names(model, n)
    choice = _choice_names(model, matrix, n)
    goal_set = set(goal)
    if initial[0] in goal_set:
        raise CaseFileError(f"{path}: the initial state is labelled {success_label!r}; nothing to decide "
                            "(give the label of the goal states, not of the start)")
    rows = {}  # (state, action name) -> {next state: probability}, in Storm's numbering
    for s in range(n):
        if s in goal_set:
            continue
        for r in range(matrix.get_row_group_start(s), matrix.get_row_group_end(s)):
            row = {}
            for e in matrix.get_row(r):
                p = _rational(e.value)
                if p:
                    row[int(e.column)] = row.get(int(e.column), 0) + p
            rows[(s, choice[(s, r)])] = row
    # from_arrays numbers states 0..k-1 and actions 0..m-1: renumber the states that occur
    used = sorted({initial[0]} | {s for s, _ in rows} | {t for row in rows.values() for t in row})
    new_index = {s: i for i, s in enumerate(used)}
    actions = sorted({a for _, a in rows})
    index = {a: i for i, a in enumerate(actions)}
    P = {(new_index[s], index[a]): {new_index[t]: p for t, p in row.items()} for (s, a), row in rows.items()}
    names = [all_names[s] for s in used] if all_names else [f"s{s}" for s in used]
    goal = [new_index[s] for s in goal if s in new_index]
    n = len(used)
    if prior == "uniform":
        prior_arg, prior_text = "uniform", PRIOR_NOTE
    elif callable(prior):
        def prior_arg(s):
            got = prior(names[s], [actions[a] for (t, a) in P if t == s])
            if not isinstance(got, Mapping):
                raise ModelError(f"prior({names[s]!r}) returned {type(got).__name__}; return a dict "
                                 "{action name: probability}")
            return {index[a]: v for a, v in got.items() if a in index}
        prior_text = "prior given by a function"
    else:
        raise ModelError(f"prior={prior!r}; give 'uniform' or a function (state, actions) -> {{action: probability}}")
    success = [1 if s in set(goal) else 0 for s in range(n)]
    stem = name or os.path.splitext(os.path.basename(path))[0]
    G = arrays_graph(P, q=1, initial=new_index[initial[0]], horizon=horizon, prior=prior_arg, success=success,
                     terminal=goal, name=stem, state_names=names, action_names=actions, max_edges=max_edges)
    G.graph["source"] = (f"PRISM {kind.lower()} {os.path.basename(path)}"
                         + (f" with {definitions}" if definitions else "")
                         + f" (Storm exact build: {model.nr_states} states, {matrix.nr_rows} choices), unrolled to horizon {horizon}; "
                         f"states labelled {success_label!r} are successful terminals (success 1), states "
                         f"still running at the horizon have success 0; q = 1; {prior_text}")
    return from_graph(G)
