"""``UsageError``: bad input on the command line, reported as one line on stderr with exit code 2."""

from __future__ import annotations

__all__ = ["USAGE_EXIT", "UsageError"]

USAGE_EXIT = 2


class UsageError(Exception):
    """Raised by a command for input it cannot act on; ``main`` prints the message and exits 2.

    Internal to the CLI: it never reaches library users, so it is not an ``OrchestratorError``.
    """
