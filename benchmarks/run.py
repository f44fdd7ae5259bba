#!/usr/bin/env python
"""The benchmark table of proofcheck: ``python benchmarks/run.py [--quick] [-v]``.

The same as ``proofcheck bench``: one comparison table, every row timed against its
baseline in the same run, every result checked against the baseline's (exit 1 on a
mismatch).  The implementation lives in :mod:`proofcheck.cli.bench`.
"""

import os
import sys

__all__ = []

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from proofcheck.cli.bench import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(command="python benchmarks/run.py"))
