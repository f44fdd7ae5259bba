import sys
from pathlib import Path

# the oracle module lives beside the tests
sys.path.insert(0, str(Path(__file__).parent))
