"""Writing Python files that a test rewrites and imports again in the same process.

Python trusts a cached ``.pyc`` whose recorded source mtime (whole seconds) and
size match the file, and ``linecache`` (which ``inspect.getsource`` reads)
trusts its copy on the same terms. A file rewritten within the same second
with the same size, such as ``OFFSET = 0`` becoming ``OFFSET = 1``, would be
imported as its old self. ``write_source`` moves each rewrite's mtime on by
whole seconds, so every import sees the text just written.
"""

from __future__ import annotations

import itertools
import os
import time
from pathlib import Path

_WRITES = itertools.count(1)


def write_source(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` with an mtime no earlier write in this process has used."""
    path.write_text(text)
    stamp = time.time() + 2 * next(_WRITES)
    os.utime(path, (stamp, stamp))
    return path
