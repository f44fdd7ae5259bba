"""``proofcheck bench``: a thin wrapper that runs ``benchmarks/run.py`` of a source checkout.

The benchmark and its baselines (trajectory enumeration, plain Python, dense NumPy,
scipy ``logsumexp``, memcpy, Storm) live in ``benchmarks/``, not in the library: they
are measuring instruments, not part of what proofcheck computes.  An installed package
without the source tree says where to find them.
"""

from __future__ import annotations

import importlib.util
import os
import sys

__all__ = ["add_parser", "run", "benchmark_script"]

_DESCRIPTION = ("Run benchmarks/run.py of the source checkout: proofcheck against trajectory "
                "enumeration, Storm, memcpy, NumPy, scipy and plain Python in one run, with a "
                "check that every result agrees with its baseline (exit 1 otherwise).")


def benchmark_script():
    """Path of ``benchmarks/run.py`` next to this package (a source checkout), or None."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    path = os.path.join(root, "benchmarks", "run.py")
    return path if os.path.isfile(path) else None


def add_parser(sub):
    p = sub.add_parser("bench", help="benchmarks against baselines (runs benchmarks/run.py)",
                       description=_DESCRIPTION)
    p.add_argument("--quick", action="store_true", help="small sizes, as CI runs it")
    p.add_argument("--section", action="append", dest="sections", metavar="NAME",
                   help="run only this section (repeatable): exact, parametric, float, mpmath, import, verify")
    p.add_argument("--markdown", action="store_true", help="print the README performance table")
    p.add_argument("-v", "--verbose", action="store_true", help="progress on stderr")
    p.set_defaults(func=run)


def run(args):
    path = benchmark_script()
    if path is None:
        print("proofcheck bench: benchmarks/run.py not found; the benchmark ships with the source "
              "checkout: run `python benchmarks/run.py` there", file=sys.stderr)
        return 2
    spec = importlib.util.spec_from_file_location("_proofcheck_benchmarks_run", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    argv = (["--quick"] if args.quick else []) + (["--markdown"] if args.markdown else []) \
        + (["-v"] if args.verbose else [])
    for s in args.sections or []:
        argv += ["--section", s]
    return module.main(argv, command="proofcheck bench")
