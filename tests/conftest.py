import sys
from pathlib import Path

from hypothesis import settings

# the oracle module lives beside the tests
sys.path.insert(0, str(Path(__file__).parent))

# No test depends on timing or load: hypothesis's per-example deadline (200 ms) fails a
# test whose first call fills SymPy's caches on a busy machine.  Tests that set their own
# settings inherit this.
settings.register_profile("proofcheck", deadline=None)
settings.load_profile("proofcheck")
