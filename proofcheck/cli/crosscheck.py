"""``proofcheck crosscheck --storm CASE``: compare ``S(pi)`` with the model checker Storm.

Exports the Markov chain that a policy (default: the prior) induces to the PRISM
language and, when stormpy is installed, compares Storm's exact ``P=? [F "success"]``
(a rational function of the parameters) with proofcheck's ``S(pi)``.  Exit 0 when they
agree (or when stormpy is absent: a one-line notice, the PRISM file is still written
with ``-o``), 1 when they differ, 2 on bad input.  The ``-o`` path is checked before
the case is loaded and written atomically.
"""

from __future__ import annotations

import sys

from proofcheck._text import terminal_safe
from proofcheck.cli._output import check_output, write_output
from proofcheck.errors import OptionError

__all__ = ["add_parser", "run", "load_case"]


def load_case(path):
    """:func:`proofcheck.verify.load_case`, imported on first use (a name of this module so
    that tests can replace it)."""
    from proofcheck.verify import load_case as load
    return load(path)


def add_parser(sub):
    p = sub.add_parser("crosscheck", help="cross-check S(pi) with the Storm model checker",
                       description="Export the Markov chain a policy induces to PRISM and compare Storm's "
                       "success probability with proofcheck's. Exit 0 on agreement (or without stormpy), "
                       "1 on disagreement, 2 on bad input.")
    p.add_argument("case", metavar="CASE", help="case file (*.toml)")
    p.add_argument("--storm", action="store_true", help="cross-check with Storm (stormpy, optional extra 'storm')")
    p.add_argument("--policy", default="prior", metavar="NAME",
                   help="policy: prior (default), uniform, pi_1, pi_G[k], pi_F[k], pi_H[k], pi_B[i], "
                        "pi_alpha[x], pi_delta[x], optimal_S, optimal_J")
    p.add_argument("-o", "--output", metavar="FILE", help="write the PRISM model to FILE")
    p.set_defaults(func=run)


def run(args):
    if not args.storm:
        raise OptionError(f"say what to cross-check against: proofcheck crosscheck {terminal_safe(args.case)} --storm "
                          "(the model checker Storm, the one available; the agreement of proofcheck's own "
                          "backends is part of proofcheck verify)")
    if args.output:
        check_output(args.output)  # before the work: a bad path fails now, not after it
    from proofcheck.io import storm as storm_io
    from proofcheck.io.quantities import parse_quantity
    from proofcheck.io.storm import StormUnavailable, export_prism
    from proofcheck.model.expressions import number_text
    from proofcheck.numerics.storm_check import crosscheck_storm
    from proofcheck.verify.expectations import PolicyCache

    case = load_case(args.case)
    spec = parse_quantity(f"S({args.policy})", where="--policy").policy
    policy = PolicyCache(case.mdp, case.conventions).get(spec)
    text = export_prism(case.mdp, policy, name=case.name)
    if args.output:
        write_output(args.output, text)
    if not storm_io.have_stormpy():  # looked up at call time (tests replace it)
        where = f"; PRISM model written to {terminal_safe(args.output)}" if args.output else ""
        print(f"stormpy is not installed (pip install 'proofcheck[storm]'): Storm cross-check skipped{where}")
        return 0
    try:
        res = crosscheck_storm(case.mdp, policy, policy_name=args.policy, prism=text)
    except StormUnavailable as exc:  # pragma: no cover - import succeeded above
        print(f"{terminal_safe(exc)}: Storm cross-check skipped")
        return 0
    mark = "agree" if res["equal"] else "DIFFER"
    name, policy = terminal_safe(case.name), terminal_safe(args.policy)
    print(f"{name}: S({policy}) proofcheck = {number_text(res['ours'], max_digits=200)}")
    print(f"{name}: P=? [F \"success\"] Storm  = {number_text(res['storm'], max_digits=200)}")
    print(f"exact comparison: {mark}" + (f" (PRISM model: {terminal_safe(args.output)})" if args.output else ""))
    if not res["equal"]:
        print(f"difference: {number_text(res['ours'] - res['storm'], max_digits=200)}", file=sys.stderr)
    return 0 if res["equal"] else 1
