"""Live updates: Server-Sent Events keyed by the store's row ids resume after Last-Event-ID exactly."""

from __future__ import annotations

from typing import Any

from tornado.testing import gen_test

from orchestrator.history.store import SQLiteStore
from tests.views.dashboard.handler_case import DashboardCase, data
from tests.views.dashboard.seed import T0, task_event


def _keys(events: list[dict[str, Any]]) -> list[str]:
    return [row[1] for event in events if event["event"] == "tasks" for row in data(event)["rows"]]


def _lines(events: list[dict[str, Any]]) -> list[str]:
    return [line[5] for event in events if event["event"] == "logs" for line in data(event)["lines"]]


class TestRunStream(DashboardCase):
    def _write(self, keys: list[str], message: str) -> None:
        live = self.seeded.live
        with SQLiteStore(self.seeded.path) as store:
            store.record_task_events(
                [task_event(live, k, "Completed", T0 + 301, start=T0 + 300, end=T0 + 301) for k in keys]
            )
            store.record_logs(
                [{"run": live, "key": keys[0], "name": keys[0], "level": "INFO", "ts": T0 + 301, "message": message}]
            )

    @gen_test
    async def test_a_reconnect_with_last_event_id_resumes_without_duplicates_or_gaps(self) -> None:
        """Changes made while a browser is away arrive once after it reconnects; nothing before them repeats."""
        path = f"/api/runs/{self.seeded.live}/events?after=0:0"
        first = await self.open_stream(path)
        events = await first.until("run")
        assert data(events[0])["run"]["id"] == self.seeded.live
        self._write(["step-0", "step-1"], "first batch")
        events = await first.until("logs")
        assert _keys(events) == ["step-0", "step-1"] and _lines(events) == ["first batch"]
        last_id = events[-1]["id"]
        first.close()

        self._write(["step-2"], "while away")
        self._write(["step-3"], "still away")
        second = await self.open_stream(path, last_event_id=last_id)
        await second.wait(lambda seen: len(_lines(seen)) == 2)
        self._write(["step-4"], "back")
        events = await second.wait(lambda seen: len(_lines(seen)) == 3 and len(_keys(seen)) == 3)
        second.close()
        assert _keys(events) == ["step-2", "step-3", "step-4"]
        assert _lines(events) == ["while away", "still away", "back"]
        ids = [tuple(int(part) for part in e["id"].split(":")) for e in events]
        assert ids == sorted(ids) and ids[0] >= tuple(int(part) for part in last_id.split(":"))

    def test_the_same_stream_answers_get_after_id_as_json(self) -> None:
        """Without Accept: text/event-stream, the handler answers the events after the cursor once, as JSON."""
        path = f"/api/runs/{self.seeded.live}/events"
        start = self.get_json(f"{path}?after=0:0")
        assert [e["event"] for e in start["events"]] == ["run"]
        self._write(["step-0"], "hello")
        batch = self.get_json(f"{path}?after={start['cursor']}&q=hell")
        assert _keys(batch["events"]) == ["step-0"] and _lines(batch["events"]) == ["hello"]
        assert [e["event"] for e in batch["events"]][-2:] == ["summary", "critical"]
        again = self.get_json(f"{path}?after={batch['cursor']}")
        assert _keys(again["events"]) == [] and _lines(again["events"]) == []
        bad = self.fetch(f"{path}?after=12", headers=self.auth)
        assert bad.code == 400

    @gen_test
    async def test_the_runs_stream_tells_of_new_and_changed_runs(self) -> None:
        """An open runs list hears a new run, whether it matches the filter, then the new counts."""
        stream = await self.open_stream("/api/runs/events?state=Running")
        with SQLiteStore(self.seeded.path) as store:
            store.create_flow_run("new0000eeeee", "etl", {}, T0 + 500)
        events = await stream.until("counts")
        stream.close()
        (runs,) = [data(e) for e in events if e["event"] == "runs"]
        assert [r["id"] for r in runs["runs"]] == ["new0000eeeee"] and runs["matching"] == ["new0000eeeee"]
        counts = [data(e) for e in events if e["event"] == "counts"][-1]["counts"]
        assert counts["Running"] == 2
