"""Numeric layer: interval enclosures, exact signs, cross-checks, certified verdicts,
sampled re-training and large random models.

Submodules are imported lazily (the engine imports :mod:`.exact_sign` and
:mod:`.intervals` while it loads, and the other submodules import the engine).
"""

import importlib

__all__ = [
    "crosscheck_case", "CrossCheckTable", "certified_compare", "certify_monotone",
    "certified_return_improvement", "sampled_retrain", "sampling_study", "n_needed",
    "random_layered_mdp",
]

_WHERE = {
    "crosscheck_case": "crosscheck", "CrossCheckTable": "crosscheck",
    "certified_compare": "certified", "certify_monotone": "certified",
    "certified_return_improvement": "certified",
    "sampled_retrain": "sampling", "sampling_study": "sampling", "n_needed": "sampling",
    "random_layered_mdp": "layered",
}


def __getattr__(name):
    if name in _WHERE:
        return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
