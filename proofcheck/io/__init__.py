"""File formats: case files (TOML), the expectation grammar, BRIDGE ``.npz``, PRISM and DRN."""

from __future__ import annotations

from typing import TYPE_CHECKING

from proofcheck._lazy import lazy_names

if TYPE_CHECKING:  # the same names, eagerly, for type checkers
    from proofcheck.io.bridge import BridgeMDP, bridge_graph, bridge_problem, bridge_to_mdp, load_npz, save_npz
    from proofcheck.io.casefile import Case, dump_case, find_case_files, load_case, loads_case
    from proofcheck.io.gymnasium import from_gymnasium
    from proofcheck.io.prism import from_prism
    from proofcheck.io.quantities import Quantity, parse_quantity
    from proofcheck.io.tabular import from_arrays

__all__ = ["Case", "load_case", "loads_case", "dump_case", "find_case_files", "Quantity",
           "parse_quantity", "BridgeMDP", "load_npz", "save_npz", "bridge_problem", "bridge_to_mdp",
           "bridge_graph", "from_arrays", "from_gymnasium", "from_prism"]

#: Where each name lives.  They load on first use (PEP 562): reading a BRIDGE sample
#: (:mod:`proofcheck.io.bridge`) then does not import the case-file reader and SymPy.
_PUBLIC = {
    "proofcheck.io.bridge": ["BridgeMDP", "bridge_graph", "bridge_problem", "bridge_to_mdp", "load_npz", "save_npz"],
    "proofcheck.io.casefile": ["Case", "dump_case", "find_case_files", "load_case", "loads_case"],
    "proofcheck.io.gymnasium": ["from_gymnasium"],
    "proofcheck.io.prism": ["from_prism"],
    "proofcheck.io.quantities": ["Quantity", "parse_quantity"],
    "proofcheck.io.tabular": ["from_arrays"],
}

__getattr__, __dir__ = lazy_names(globals(), _PUBLIC)
