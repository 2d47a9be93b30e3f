"""``python -m orchestration.cli``: the same as ``pwh``."""

import sys

from orchestration.cli import main

sys.exit(main())
