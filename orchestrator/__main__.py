"""``python -m orchestrator`` does what the ``daskflow`` command does."""

import sys

from .views.cli import main

sys.exit(main())
