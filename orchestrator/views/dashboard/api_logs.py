"""A run's logs: ``/logs`` (a window of lines by offset), ``/logs/first-error`` and ``/logs.txt`` (download).

Filters are ``level``, ``task`` and ``q`` (``api_common.log_filter``),
applied by the store, so a search over 100k lines never sends them to the
page. The page shows one window at a time, by offset into the filtered
lines (a scroll position maps straight to one), and follows new lines on
the run's stream from the window's ``last_id``. ``/logs.txt`` sends every
matching line (all of them without filters) as plain text, in pages, so a
100k-line download never sits in memory whole.
"""

from __future__ import annotations

import time
from typing import Any, Final

from ...history.store import LogFilter, LogLine, RunStore
from .api_common import ApiHandler, log_filter
from .serialize import log_rows

__all__ = ["FirstErrorHandler", "LogsDownload", "LogsHandler", "text_line"]

WINDOW: Final = 200
DOWNLOAD_PAGE: Final = 5_000


class LogsHandler(ApiHandler):
    async def get(self, run_id: str) -> None:
        row = await self.flow_run(run_id)
        where = log_filter(self)
        offset = self.int_argument("offset", 0)
        limit = self.int_argument("limit", WINDOW, 1, 5_000)

        def work(store: RunStore) -> dict[str, Any]:
            window = store.queries.log_window(row.run_id, where, offset, limit)
            return {
                "lines": log_rows(window.lines),
                "offset": window.offset,
                "total": window.total,
                "last_id": window.last_id,
            }

        self.send_json(await self.read(work))


class FirstErrorHandler(ApiHandler):
    async def get(self, run_id: str) -> None:
        row = await self.flow_run(run_id)
        where = log_filter(self)
        offset = await self.read(lambda store: store.queries.first_error_offset(row.run_id, where))
        self.send_json({"offset": offset})


def text_line(line: LogLine) -> str:
    """One log line as the download writes it: UTC time, level, who logged it, the message."""
    when = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(line.ts)) + f".{int(line.ts % 1 * 1000):03d}Z"
    return f"{when} {line.level:<8} {line.name or 'flow'}: {line.message}\n"


class LogsDownload(ApiHandler):
    async def get(self, run_id: str) -> None:
        row = await self.flow_run(run_id)
        where: LogFilter = log_filter(self)
        filtered = bool(where.levels or where.task or where.search)
        name = f"{row.flow_name}-{row.run_id}-logs{'-filtered' if filtered else ''}.txt"
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.set_header("Content-Disposition", f'attachment; filename="{safe}"')
        after = 0
        while True:
            lines: list[LogLine] = await self.read(
                lambda store, a=after: store.queries.logs_after(row.run_id, where, a, DOWNLOAD_PAGE)
            )
            if not lines:
                break
            self.write("".join(text_line(line) for line in lines))
            await self.flush()
            after = lines[-1].id
        self.finish()
