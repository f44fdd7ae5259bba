"""Model files besides case files: what ``proofcheck verify`` and ``report`` accept.

* case files (``*.toml``; folders contribute the ``*.toml`` directly inside them);
* PRISM programs (``*.prism``, ``*.pm``, ``*.nm``; needs stormpy, :mod:`proofcheck.io.prism`),
  with a horizon and the label of the goal states;
* BRIDGE MDPs (:mod:`proofcheck.io.bridge`): a ``.npz`` with a horizon, or a BRIDGE sample
  folder (with ``consolidated.npz``) whose horizon the samples README lists.

:func:`find_inputs` expands the paths; :func:`input_kind` says what a path is;
:func:`load_prism_case` and :func:`load_bridge_case` give a :class:`~proofcheck.io.casefile.Case`
whose ``source`` states every mapping and default the import used (and which the CLI prints).
Case files are read by :func:`proofcheck.verify.load_case` (which checks the claims their
expectations name).
"""

from __future__ import annotations

import os
from pathlib import Path

from proofcheck._validation import did_you_mean_path
from proofcheck.errors import CaseFileError, OptionError
from proofcheck.io.bridge import BRIDGE_NUMBERS, bridge_graph, load_npz, load_sample
from proofcheck.io.casefile import Case
from proofcheck.io.prism import PRISM_SUFFIXES, from_prism
from proofcheck.model.conventions import Conventions
from proofcheck.model.mdp import from_graph

__all__ = ["find_inputs", "input_kind", "load_prism_case", "load_bridge_case", "is_bridge_sample",
           "DEFAULT_BRIDGE_TOLERANCE", "bridge_precision_note"]

#: ``--rationalize`` of a BRIDGE model unless given: ``q = exp(R - c_t)`` becomes the
#: simplest rational within this (absolute) tolerance, stated in every verdict.
DEFAULT_BRIDGE_TOLERANCE = 1e-9


def is_bridge_sample(path):
    """True for a folder holding a BRIDGE ``consolidated.npz``."""
    return os.path.isdir(path) and os.path.isfile(os.path.join(path, "consolidated.npz"))


def input_kind(path):
    """``"prism"``, ``"bridge"`` or ``"case"`` (anything else is read as a case file).

    >>> input_kind("m.nm"), input_kind("x/consolidated.npz"), input_kind("cases/a.toml")
    ('prism', 'bridge', 'case')
    """
    p = str(path)
    if p.lower().endswith(PRISM_SUFFIXES):
        return "prism"
    if p.lower().endswith(".npz") or is_bridge_sample(p):
        return "bridge"
    return "case"


def find_inputs(paths):
    """Expand files and folders: a folder contributes its ``*.toml`` files (sorted), a BRIDGE
    sample folder itself; files are kept as given.

    >>> find_inputs(["cases/mountain_race.toml"])
    ['cases/mountain_race.toml']
    """
    out = []
    for p in paths:
        p = Path(p)
        if is_bridge_sample(str(p)) and not any(p.glob("*.toml")):
            out.append(p)
        elif p.is_dir():
            out.extend(sorted(x for x in p.glob("*.toml") if x.is_file()))
        elif p.exists():
            out.append(p)
        else:
            raise CaseFileError(f"{p}: no such file or folder{did_you_mean_path(p)}; give case files (*.toml), "
                                f"PRISM files ({', '.join('*' + s for s in PRISM_SUFFIXES)}), BRIDGE .npz files or "
                                "folders")
    if not out:
        raise CaseFileError(f"no case files (*.toml) found in {', '.join(map(str, paths))}")
    return [str(x) for x in out]


def _case(mdp, path, title, source, graph=None):
    return Case(name=mdp.name, mdp=mdp, conventions=Conventions(), title=title, source=source,
                path=str(path), graph=graph)


def load_prism_case(path, *, horizon, success_label, constants=None):
    """A :class:`Case` of a PRISM file (uniform prior over the enabled choices, recorded)."""
    if horizon is None:
        raise OptionError(f"{path}: a PRISM model needs the horizon to unroll it to; give --horizon T, "
                          "e.g. --horizon 10")
    if not success_label:
        raise OptionError(f"{path}: a PRISM model needs the label of its goal states; give --success-label "
                          "NAME (a label \"NAME\" = ... of the program), e.g. --success-label goal")
    mdp = from_prism(path, horizon=horizon, success_label=success_label, constants=constants)
    return _case(mdp, path, f"PRISM {os.path.basename(str(path))}", mdp.source)


def bridge_precision_note(numbers, tolerance=None):
    """The short note every verdict on a BRIDGE model carries.

    >>> bridge_precision_note("rationalize", 1e-9)
    'q = exp(R - c_t) rationalized within 1e-09'
    """
    if numbers == "rationalize":
        return f"q = exp(R - c_t) rationalized within {tolerance:g}"
    if numbers == "float":
        return "q = exp(R - c_t) rounded to float64"
    return "q = exp(R - c_t) exact"


def load_bridge_case(path, *, horizon=None, numbers="rationalize", tolerance=DEFAULT_BRIDGE_TOLERANCE):
    """A :class:`Case` of a BRIDGE ``.npz`` (``horizon`` required) or sample folder (the horizon
    defaults to the one its samples README lists); see :func:`proofcheck.io.bridge.bridge_graph`."""
    path = str(path)
    listed = ""
    if os.path.isdir(path) or os.path.basename(path) == "consolidated.npz":
        sample = load_sample(path, horizon)
        bridge, listed = sample.mdp, "" if horizon is not None else " (the horizon the samples README lists)"
        horizon = sample.horizon
    else:
        bridge = load_npz(path)
    if horizon is None:
        raise OptionError(f"{path}: a BRIDGE .npz does not store its horizon; give --horizon T, e.g. --horizon 10")
    if numbers not in BRIDGE_NUMBERS:
        raise OptionError(f"BRIDGE numbers {numbers!r}: give one of {', '.join(BRIDGE_NUMBERS)}")
    names = [f"a{i}" for i in range(bridge.shape[1])]
    G, shifts = bridge_graph(bridge, horizon, action_names=names, numbers=numbers,
                             rationalize=tolerance if numbers == "rationalize" else None)
    G.graph["source"] += listed
    mdp = from_graph(G)
    note = bridge_precision_note(numbers, tolerance)
    return _case(mdp, path, f"BRIDGE {bridge.name}, horizon {horizon}{listed}; {note}", G.graph["source"],
                 graph=G)
