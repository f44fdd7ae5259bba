"""File formats: case files (TOML), the expectation grammar, BRIDGE ``.npz``, PRISM and DRN."""

from proofcheck.io.bridge import BridgeMDP, bridge_graph, bridge_problem, bridge_to_mdp, load_npz, save_npz
from proofcheck.io.casefile import Case, dump_case, find_case_files, load_case, loads_case
from proofcheck.io.gymnasium import from_gymnasium
from proofcheck.io.prism import from_prism
from proofcheck.io.quantities import Quantity, parse_quantity
from proofcheck.io.tabular import from_arrays

__all__ = ["Case", "load_case", "loads_case", "dump_case", "find_case_files", "Quantity",
           "parse_quantity", "BridgeMDP", "load_npz", "save_npz", "bridge_problem", "bridge_to_mdp",
           "bridge_graph", "from_arrays", "from_gymnasium", "from_prism"]
