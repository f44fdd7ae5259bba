"""Imports every claim module so that their checks register, in the paper's order."""

from . import soft_value_semantics  # noqa: F401  P4.2
from . import global_vs_local  # noqa: F401  P4.3, P4.16
from . import coherence  # noqa: F401  P4.7, P4.8, P4.10, P5.2
from . import retraining  # noqa: F401  P5.4, T5.9, T5.9.A-C
from . import limits  # noqa: F401  P4.13, C4.14, C4.15, P5.5, C5.10, C5.11, D.1

__all__ = []
