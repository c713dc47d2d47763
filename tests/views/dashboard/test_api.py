"""The dashboard's JSON and column API over a seeded store: runs, one run, task runs, logs, errors, compare."""

from __future__ import annotations

import json

from orchestrator.history.store import SQLiteStore
from orchestrator.views.dashboard.columns import decode
from tests.views.dashboard.handler_case import DashboardCase
from tests.views.dashboard.seed import DASK_LINK, T0, WORKERS, task_event


class TestRunsApi(DashboardCase):
    def test_runs_come_newest_first_with_counts_flows_and_a_cursor(self) -> None:
        """A page of runs, the counts per state and the flow names; ``next`` fetches the following page."""
        page = self.get_json("/api/runs?limit=2")
        assert [r["id"] for r in page["runs"]] == ["report000002", "report000001"]
        assert page["counts"] == {"Completed": 5, "Failed": 1, "Running": 1}
        assert page["flows"] == ["etl", "report"]
        seen = [r["id"] for r in page["runs"]]
        while page["next"]:
            page = self.get_json(f"/api/runs?limit=2&cursor={page['next']}")
            seen += [r["id"] for r in page["runs"]]
        assert len(seen) == len(set(seen)) == 7

    def test_runs_filter_by_flow_state_time_and_parameter(self) -> None:
        """Query arguments filter the list; bad ones are a 400 that says what is wrong."""
        etl = self.get_json("/api/runs?flow=etl&state=Failed,Running")
        assert sorted(r["id"] for r in etl["runs"]) == [self.seeded.failed, self.seeded.live]
        assert etl["counts"] == {"Completed": 2, "Failed": 1, "Running": 1}
        timed = self.get_json(f"/api/runs?since={T0 + 50}&until={T0 + 250}")
        assert sorted(r["id"] for r in timed["runs"]) == [self.seeded.failed, "slow0000bbbb"]
        by_param = self.get_json("/api/runs?param=day%3D2026-11-22")
        assert [r["id"] for r in by_param["runs"]] == [self.seeded.failed]
        bad = self.fetch("/api/runs?state=Done", headers=self.auth)
        assert bad.code == 400 and "unknown state(s) Done" in json.loads(bad.body)["error"]
        cursor = self.fetch("/api/runs?cursor=nonsense", headers=self.auth)
        assert cursor.code == 400 and "next_cursor" in json.loads(cursor.body)["error"]

    def test_the_runs_stream_as_json_gives_changes_after_an_id(self) -> None:
        """``GET /api/runs/events?after=ID`` answers the runs changed after that flow transition id."""
        start = self.get_json("/api/runs")["after"]
        with SQLiteStore(self.seeded.path) as store:
            store.set_flow_run_state(self.seeded.live, "Completed", T0 + 999)
        batch = self.get_json(f"/api/runs/events?after={start}&state=Completed")
        (runs,) = [e for e in batch["events"] if e["event"] == "runs"]
        assert [r["id"] for r in runs["data"]["runs"]] == [self.seeded.live]
        assert runs["data"]["matching"] == [self.seeded.live]
        assert int(batch["cursor"]) > int(start)
        assert self.get_json(f"/api/runs/events?after={batch['cursor']}")["events"] == []


class TestRunApi(DashboardCase):
    def test_the_header_says_where_the_run_ran_and_what_can_be_done(self) -> None:
        """State, parameters, driver, the scheduler and Dask dashboard link, and whether cancel/re-run apply."""
        header = self.get_json(f"/api/runs/{self.seeded.done}")
        assert header["run"]["state"] == "Completed" and header["run"]["parameters"] == {"day": "2026-11-21", "n": 3}
        assert header["info"]["dashboard"] == DASK_LINK and header["info"]["scheduler"] == "tcp://127.0.0.1:8786"
        assert header["actions"]["cancel"] == {"allowed": False, "reason": "the run is Completed, not Running"}
        assert header["actions"]["rerun"]["allowed"] is False
        assert self.fetch("/api/runs/nosuchrun", headers=self.auth).code == 404

    def test_the_header_counts_cache_hits_and_reused_results_apart(self) -> None:
        """A resumed run's header names the run it resumed and counts persisted, cached and reused results."""
        run = self.seeded.done
        result = {"location": "file:///r/k", "checksum": "c" * 64, "size": 1, "created": T0, "expires": None}
        with SQLiteStore(self.seeded.path) as store:
            store.results.record_origin(run, resumed_from=self.seeded.failed)
            store.record_task_events(
                [
                    task_event(run, "extract-0", "Cached", T0 + 5, result={**result, "key": "k0"}, hit="resume"),
                    task_event(run, "clean-1", "Cached", T0 + 5, result={**result, "key": "k1"}, hit="cache"),
                    task_event(run, "load-4", "Completed", T0 + 9, result={**result, "key": "k4"}),
                ]
            )
        header = self.get_json(f"/api/runs/{run}")
        assert header["results"] == {"written": 1, "cache": 1, "resume": 1}
        assert header["resumed_from"] == self.seeded.failed
        assert self.get_json(f"/api/runs/{self.seeded.failed}")["results"] == {}

    def test_a_dashboard_link_that_is_not_http_never_reaches_the_page(self) -> None:
        """A stored Dask dashboard link of javascript:... is dropped, in the header and in task links."""
        with SQLiteStore(self.seeded.path) as store:
            store.set_flow_run_info(self.seeded.done, {"dashboard": "javascript:alert(document.cookie)"})
        assert self.get_json(f"/api/runs/{self.seeded.done}")["info"]["dashboard"] is None
        task = self.get_json(f"/api/runs/{self.seeded.done}/task?key=clean-1")["task"]
        assert task["dask_task"] is None and task["dask_worker"] is None

    def test_columns_are_the_compact_binary_of_every_task_run(self) -> None:
        """/columns decodes to one entry per task run, times after the run's start, and the lanes' workers."""
        response = self.fetch(f"/api/runs/{self.seeded.done}/columns", headers=self.auth)
        assert response.headers["Content-Type"] == "application/octet-stream"
        header, columns = decode(response.body)
        assert header["count"] == 5 and header["t0"] == T0
        assert header["tasks"] == ["extract", "clean", "load"]
        assert header["workers"] == [None, *WORKERS]
        assert columns["start"][:2] == [0.0, 1.0] and columns["end"][0] == 1.0
        assert columns["attempt"][1] == 2 and columns["retry_ts"] == [1.5] and columns["retry_row"] == [1]
        assert header["last_id"] > 0

    def test_the_summary_strip_counts_and_times_each_task_name(self) -> None:
        """Per task name: done, failed, total (from the graph), median and p95; unseen graph nodes are Pending."""
        strip = {row["task"]: row for row in self.get_json(f"/api/runs/{self.seeded.done}/summary")["strip"]}
        assert (strip["clean"]["done"], strip["clean"]["total"], strip["clean"]["median"]) == (3, 3, 2.0)
        assert strip["clean"]["p95"] == 2.9
        live = self.get_json(f"/api/runs/{self.seeded.live}/summary")
        assert live["strip"][0] == {"task": "step", "total": 5, "pending": 5, "running": 0, "done": 0, "failed": 0,
                                    "median": None, "p95": None}  # fmt: skip
        assert live["states"] == {"Pending": 5}

    def test_the_critical_path_follows_the_recorded_graph(self) -> None:
        """The heaviest chain is extract -> the slowest clean -> load, as bench statistics define it."""
        critical = self.get_json(f"/api/runs/{self.seeded.done}/critical")
        assert critical["names"] == ["extract[0]", "clean[3]", "load[4]"]
        assert critical["work"] == 1 + 3 + 1 and len(critical["ids"]) == 3

    def test_the_graph_is_per_node_up_to_5000_and_per_task_name_above(self) -> None:
        """A small graph comes as boxes per task run with their state; a 5,001-node one folds by task name."""
        small = self.get_json(f"/api/runs/{self.seeded.done}/graph")
        assert small["mode"] == "tasks" and len(small["nodes"]) == 5 and len(small["edges"]) == 6
        assert {n[0]: n[3] for n in small["nodes"]}["load-4"] == "Completed"
        with SQLiteStore(self.seeded.path) as store:
            store.create_flow_run("big", "big", {}, T0)
            store.record_graph("big", [(f"a-{i}", "a", f"a[{i}]", ()) for i in range(5_000)])
            store.record_graph("big", [("b-0", "b", "b", ("a-0", "a-1"))])
            store.record_task_events([task_event("big", "a-0", "Failed", T0)])
        big = self.get_json("/api/runs/big/graph")
        assert big["mode"] == "names"
        assert [(n[0], n[3]) for n in big["nodes"]] == [("a", {"Failed": 1, "Pending": 4_999}), ("b", {"Pending": 1})]
        assert big["edges"] == [[0, 1, 2]]

    def test_a_task_run_comes_with_attempts_traceback_logs_and_dask_links(self) -> None:
        """One task run: its transitions, error and traceback, its logs, and quoted links into Dask's pages."""
        retried = self.get_json(f"/api/runs/{self.seeded.done}/task?key=clean-1")
        assert [(t["state"], t["attempt"]) for t in retried["transitions"]] == [("Retrying", 1), ("Completed", 2)]
        assert [line[5] for line in retried["logs"]] == ["cleaning 1"] and retried["log_count"] == 1
        task = retried["task"]
        assert task["dask_task"] == "http://127.0.0.1:8787/info/task/clean-1.html"
        assert task["dask_worker"] == "http://127.0.0.1:8787/info/worker/tcp%3A%2F%2F127.0.0.1%3A40002.html"
        columns = decode(self.fetch(f"/api/runs/{self.seeded.failed}/columns", headers=self.auth).body)[1]
        failed = self.get_json(f"/api/runs/{self.seeded.failed}/task?row={int(columns['id'][7])}")["task"]
        assert (failed["key"], failed["error_type"], failed["error_message"]) == (
            "explode-7",
            "ValueError",
            "cannot handle 7",
        )
        assert "ValueError: cannot handle 7" in failed["traceback"]
        assert self.fetch(f"/api/runs/{self.seeded.done}/task?key=nope", headers=self.auth).code == 404
        assert self.fetch(f"/api/runs/{self.seeded.done}/task", headers=self.auth).code == 400

    def test_errors_group_alike_failures_into_one_row(self) -> None:
        """30 failures differing only in a number are one group with its count and an example to open."""
        errors = self.get_json(f"/api/runs/{self.seeded.failed}/errors")
        (group,) = errors["groups"]
        assert (group["task"], group["error_type"], group["count"]) == ("explode", "ValueError", 30)
        assert group["shape"] == "cannot handle N"
        assert group["first_key"] == "explode-0" and errors["failed"] == 30

    def test_compare_puts_runs_side_by_side_and_marks_regressions(self) -> None:
        """Wall time and critical path per run; per task name the median against the first run, with a verdict."""
        result = self.get_json(f"/api/compare?runs={self.seeded.done},slow0000bbbb")
        assert [r["id"] for r in result["runs"]] == [self.seeded.done, "slow0000bbbb"]
        assert [r["critical_work"] for r in result["runs"]] == [5.0, 8.0]
        clean = next(row for row in result["tasks"] if row["task"] == "clean")
        assert [c["verdict"] for c in clean["runs"]] == ["", "regression"] and clean["runs"][1]["ratio"] == 2.0
        extract = next(row for row in result["tasks"] if row["task"] == "extract")
        assert extract["runs"][1]["verdict"] == ""
        assert self.fetch(f"/api/compare?runs={self.seeded.done}", headers=self.auth).code == 400


class TestLogsApi(DashboardCase):
    def test_log_windows_filter_on_the_server_and_find_the_first_error(self) -> None:
        """/logs pages the filtered lines with their total; /logs/first-error gives its offset among them."""
        run = f"/api/runs/{self.seeded.done}"
        everything = self.get_json(f"{run}/logs?offset=1&limit=2")
        assert everything["total"] == 4 and [line[5] for line in everything["lines"]] == ["odd row", "disk nearly full"]
        assert self.get_json(f"{run}/logs?q=DISK")["total"] == 1
        assert self.get_json(f"{run}/logs?level=warning,error")["total"] == 2
        assert self.get_json(f"{run}/logs?task=clean")["total"] == 2
        assert self.get_json(f"{run}/logs/first-error")["offset"] == 2
        assert self.get_json(f"{run}/logs/first-error?task=clean")["offset"] is None

    def test_logs_download_as_text_all_or_filtered(self) -> None:
        """/logs.txt is every line as text, an attachment; with filters, only the matching ones."""
        run = f"/api/runs/{self.seeded.done}"
        response = self.fetch(f"{run}/logs.txt", headers=self.auth)
        assert response.headers["Content-Disposition"] == f'attachment; filename="etl-{self.seeded.done}-logs.txt"'
        lines = response.body.decode().splitlines()
        assert (
            len(lines) == 4
            and lines[2].endswith("ERROR    load: disk nearly full")
            and lines[3].endswith("flow: flow done")
        )
        filtered = self.fetch(f"{run}/logs.txt?level=ERROR", headers=self.auth).body.decode().splitlines()
        assert len(filtered) == 1 and "disk nearly full" in filtered[0]
