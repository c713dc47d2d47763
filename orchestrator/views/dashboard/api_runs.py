"""The runs list: ``GET /api/runs`` (one page, counts per state) and its live stream ``/api/runs/events``.

A page is ``limit`` runs newest first after ``cursor`` (the ``next`` of the
page before), filtered as ``api_common.run_filter`` reads the query. It also
says the flow transition id it was read at (``after``): the stream started
there sends ``runs`` events (each changed run as it is now, and whether it
matches the filter) and, at most once a second, ``counts`` per state.
"""

from __future__ import annotations

import time
from typing import Any, Final

from ...history.store import RunFilter, RunStore
from .api_common import ApiHandler, run_filter
from .serialize import flow_run_json
from .sse import Batch, Cursor, EventStream

__all__ = ["RunsHandler", "RunsStream"]

PAGE: Final = 50
#: Seconds between two recounts of the runs per state on one stream at most.
COUNTS_EVERY: Final = 1.0


class RunsHandler(ApiHandler):
    async def get(self) -> None:
        where = run_filter(self)
        cursor = self.get_query_argument("cursor", None) or None
        limit = self.int_argument("limit", PAGE, 1, 500)

        def work(store: RunStore) -> dict[str, Any]:
            queries = store.queries
            after = queries.last_flow_transition()  # first: whatever changes after it reaches the stream
            page = queries.page_flow_runs(where, cursor, limit)
            return {
                "runs": [flow_run_json(row) for row in page.runs],
                "next": page.next_cursor,
                "counts": queries.count_flow_runs(where),
                "flows": queries.flow_names(),
                "after": str(after),
                "now": time.time(),
            }

        self.send_json(await self.read(work))


class RunsStream(EventStream):
    """Live changes to the runs list; the cursor is one flow transition id."""

    kinds = 1

    async def setup(self, *args: str) -> None:
        self.where: RunFilter = run_filter(self)
        self.counted_at = 0.0
        self.counts_due = False

    async def start_cursor(self) -> Cursor:
        last: int = await self.read(lambda store: store.queries.last_flow_transition())
        return (last,)

    async def batch(self, cursor: Cursor) -> Batch:
        after = cursor[0] or 0
        where = self.where
        changes = await self.read(lambda store: store.queries.flow_changes(after, where))
        events: list[tuple[str, Any, Cursor]] = []
        now = time.time()
        if changes.runs:
            runs = [flow_run_json(row) for row in changes.runs]
            events.append(
                ("runs", {"runs": runs, "matching": sorted(changes.matching), "now": now}, (changes.last_id,))
            )
            self.counts_due = True
        wake_in = None
        if self.counts_due:
            wait = self.counted_at + COUNTS_EVERY - now
            if wait <= 0:
                counts = await self.read(lambda store: store.queries.count_flow_runs(where))
                events.append(("counts", {"counts": counts}, (changes.last_id,)))
                self.counted_at, self.counts_due = now, False
            else:
                wake_in = wait
        return Batch(events, (changes.last_id,), more=changes.more, wake_in=wake_in)
