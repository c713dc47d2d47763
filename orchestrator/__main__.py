"""``python -m orchestrator`` does what the ``daskflow`` command does."""

import sys

from .cli import main

sys.exit(main())
