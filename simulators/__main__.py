"""``python -m simulators``: the same as ``pwh simulate``."""

import sys

from simulators.serve import main

sys.exit(main())
