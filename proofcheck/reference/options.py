"""The conventions the spec leaves open, as explicit option values (spec sections 3, 5, 6).

The names and meanings are those of ``proofcheck.model.conventions`` (re-declared here so
that the reference route imports nothing from the package but ``proofcheck.errors``).
"""

from __future__ import annotations

from typing import Any, Iterable

from proofcheck.errors import ConventionError

__all__ = ["IMPOSSIBLE", "FOLD_TERMS", "H_INDEXINGS", "ARGMAX_TIES", "SOFT_FUNCTIONS", "check_option"]

#: Rule for ``G(pi)(.|s)`` where ``Zv_pi(s) = 0`` (and for a Boltzmann policy where every
#: ``Zq_pi(s, .)`` is 0): ``"keep"`` leaves ``pi(.|s)`` unchanged (the paper's authors),
#: ``"uniform"`` puts ``1/|A(s)|`` on every action.
IMPOSSIBLE = ("keep", "uniform")

#: Fold term of spec section 5: ``"posterior"`` = ``pi_{k+1}(a|s)`` (as printed),
#: ``"ratio"`` = ``pi_{k+1}(a|s) / p(a|s)`` (what the proofs need; 0 where ``p(a|s) = 0``).
FOLD_TERMS = ("posterior", "ratio")

#: Indexing of the cumulative fold: with ``h_0 = p`` and ``h_j`` the j-th conditioned
#: policy of the cumulative sequence, ``pi^H_k = h_{k + offset}``:
#: ``"zero-is-first-conditioned"`` (offset 1: ``pi^H_0 = G(p)``),
#: ``"one-is-first-conditioned"`` (offset 0: ``pi^H_0 = p``, ``pi^H_1 = G(p)``),
#: ``"one-is-prior"`` (offset -1: ``pi^H_1 = p``; ``pi^H_0`` undefined).
H_INDEXINGS = {"zero-is-first-conditioned": 1, "one-is-first-conditioned": 0, "one-is-prior": -1}

#: Tie rule of the argmax f-soft policy: uniform over the maximisers, or the first one in
#: the state's action order (graph edge order).
ARGMAX_TIES = ("uniform", "first")

#: The order-respecting maps ``f`` of spec section 6 the reference route implements.
SOFT_FUNCTIONS = ("boltzmann", "argmax")


def check_option(name: str, value: Any, allowed: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``allowed``, else raise ``ConventionError``.

    Parameters
    ----------
    name : str
        The option's name, for the message.
    value : str
        The requested value.
    allowed : iterable of str
        The admissible values.

    Returns
    -------
    str

    Examples
    --------
    >>> check_option("impossible", "keep", IMPOSSIBLE)
    'keep'
    >>> check_option("impossible", "drop", IMPOSSIBLE)
    Traceback (most recent call last):
    ...
    proofcheck.errors.ConventionError: impossible = 'drop' is not one of ['keep', 'uniform']; pick one of those
    """
    allowed = list(allowed)
    if not isinstance(value, str) or value not in allowed:
        raise ConventionError(f"{name} = {value!r} is not one of {allowed}; pick one of those")
    return value
