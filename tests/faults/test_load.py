"""Load: four drivers each run a 10,000-task flow at once against one store and one cluster; no event is lost.

The work is ``benchmarks/store_load.py`` (which also prints how fast
``daskflow runs ls`` answered throughout); here only the exact counts are
asserted, and a generous backstop on ``runs ls``, never its speed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

from benchmarks.store_load import run_load  # noqa: E402

pytestmark = [pytest.mark.cluster, pytest.mark.slow]

DRIVERS = 4
TASKS = 10_000


@pytest.mark.timeout(1200)
def test_four_drivers_of_10k_tasks_at_once_lose_no_event(tmp_path: Path) -> None:
    """Every run Completed with exactly 10,001 task runs recorded; runs ls kept answering while they ran."""
    result = run_load(DRIVERS, TASKS, tmp_path, pause=1.0)
    print("\n" + "\n".join(result.lines()))
    assert result.exit_codes == [0] * DRIVERS
    assert len(result.counts) == DRIVERS
    assert all(counts == {"Completed": TASKS + 1} for counts in result.counts.values()), result.counts
    assert result.lost_events == 0
    assert result.ls_seconds, "runs ls never ran while the drivers were running"
    assert max(result.ls_seconds) < 60  # a backstop against a hang, not a speed check
