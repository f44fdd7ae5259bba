"""Storm as an independent route for the success probability (optional extra ``storm``)."""

from __future__ import annotations

import sympy as sp

from proofcheck.engine import success_probability
from proofcheck.io.storm import export_prism, storm_success

__all__ = ["crosscheck_storm"]


def crosscheck_storm(mdp, policy=None, *, policy_name="prior", prism=None):
    """Compare Storm's ``P(F success)`` with our ``S(pi)``: a dict with both values and
    ``equal`` (exact: the difference cancels to 0).  ``prism``: the chain's text when
    :func:`export_prism` has already written it for the same ``mdp`` and ``policy``."""
    text = prism if prism is not None else export_prism(mdp, policy)
    ours = success_probability(mdp, policy)
    ours = sp.cancel(ours) if ours.free_symbols else ours
    theirs = storm_success(text, mdp.parameters)
    equal = sp.cancel(sp.together(ours - theirs)) == 0
    return {"policy": policy_name, "ours": ours, "storm": sp.cancel(theirs), "equal": equal, "prism": text}
