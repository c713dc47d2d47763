"""The two things a page may ask the dashboard to do (unless it runs ``--read-only``): cancel and re-run.

* **Cancel** ``POST /api/runs/ID/cancel`` sends SIGINT to the run's driver,
  which ends the run exactly as Ctrl-C or an interrupted notebook kernel
  does: the engine's ``KeyboardInterrupt`` path cancels what the run still
  has on the cluster and records it Cancelled. Only a Running run whose
  driver is on this host qualifies, and only if that PID is still the
  process that started the run (``local_processes.same_process``), so a
  recycled PID is never signalled; nor is the dashboard itself, nor a driver
  that ignores SIGINT (it would not stop).
* **Re-run** ``POST /api/runs/ID/rerun`` starts ``daskflow run ENTRYPOINT
  --params JSON`` on this host, with the run's stored parameters, in its own
  session (it outlives the dashboard, like any ``daskflow run``), its output
  in ``$DASKFLOW_HOME/dashboard-reruns/``. It uses the same scheduler when
  the run connected to one by address, a local executor when the run had
  one, and otherwise the flow's default. It answers with the new run's id
  once the new driver recorded it.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Final

import tornado.web

from ...history.store import FlowRunRow, RunFilter, RunInfo, RunStore
from .api_common import ApiHandler
from .local_processes import handles_sigint, same_process

__all__ = ["CancelHandler", "RerunHandler", "possible_actions", "rerun_command"]

#: Seconds a re-run's driver gets to record its flow run before the dashboard stops waiting.
RERUN_WAIT: Final = 60.0
RERUN_DIR: Final = "dashboard-reruns"


def _cancel_refusal(row: FlowRunRow, read_only: bool) -> str | None:
    if read_only:
        return "the dashboard runs --read-only"
    if row.state != "Running":
        return f"the run is {row.state}, not Running"
    if row.pid is None or row.host is None:
        return "the run's driver did not record its host and pid"
    if row.host != socket.gethostname():
        return f"its driver runs on {row.host}, not on this host ({socket.gethostname()})"
    if row.pid == os.getpid():
        return "its driver is this dashboard's own process"
    if not same_process(row.pid, row.started):
        return f"its driver (pid {row.pid}) is gone"
    if handles_sigint(row.pid) is False:
        return (
            f"its driver (pid {row.pid}) has no SIGINT handler (started in the background with SIGINT "
            "ignored?), so SIGINT would not stop it cleanly; stop it where it runs"
        )
    return None


def _rerun_refusal(info: RunInfo | None, read_only: bool) -> str | None:
    if read_only:
        return "the dashboard runs --read-only"
    if info is None or not info.entrypoint:
        return "the run did not record where its flow is defined (a notebook flow, or an older daskflow)"
    return None


def possible_actions(row: FlowRunRow, info: RunInfo | None, read_only: bool) -> dict[str, Any]:
    """Whether each action is possible for this run now, and why not."""
    cancel = _cancel_refusal(row, read_only)
    rerun = _rerun_refusal(info, read_only)
    return {
        "cancel": {"allowed": cancel is None, "reason": cancel},
        "rerun": {"allowed": rerun is None, "reason": rerun},
    }


def rerun_command(row: FlowRunRow, info: RunInfo) -> list[str]:
    """The ``daskflow run`` command line that runs ``row``'s flow again with its parameters."""
    assert info.entrypoint is not None
    argv = [sys.executable, "-m", "orchestrator", "run", info.entrypoint, "--params", json.dumps(row.parameters)]
    if info.executor and info.executor.startswith("LocalExecutor"):
        argv += ["--executor", "local"]
    elif info.external_scheduler and info.scheduler:
        argv += ["--address", info.scheduler]
    return argv


class CancelHandler(ApiHandler):
    async def post(self, run_id: str) -> None:
        row = await self.flow_run(run_id)
        refusal = _cancel_refusal(row, self.security.read_only)
        if refusal is not None:
            raise tornado.web.HTTPError(409, "cannot cancel flow run %s: %s", row.run_id, refusal)
        assert row.pid is not None
        os.kill(row.pid, signal.SIGINT)
        self.send_json({"run": row.run_id, "signalled": row.pid})


class RerunHandler(ApiHandler):
    async def post(self, run_id: str) -> None:
        row = await self.flow_run(run_id)
        info: RunInfo | None = await self.read(lambda store: store.queries.run_info(row.run_id))
        refusal = _rerun_refusal(info, self.security.read_only)
        if refusal is not None:
            raise tornado.web.HTTPError(409, "cannot re-run flow run %s: %s", row.run_id, refusal)
        assert info is not None
        home = Path(self.reader.path).parent
        logs = home / RERUN_DIR
        logs.mkdir(parents=True, exist_ok=True)
        log_path = logs / f"{time.strftime('%Y%m%d-%H%M%S')}-{row.run_id}.log"
        since = time.time()
        env = {**os.environ, "DASKFLOW_HOME": str(home), "TERM": "dumb"}
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                rerun_command(row, info),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,  # a Ctrl-C of the dashboard must not stop the new run
            )
        threading.Thread(target=process.wait, name=f"daskflow-rerun-{process.pid}", daemon=True).start()
        new_id = await self._new_run(process, since)
        if new_id is None:
            tail = log_path.read_text(errors="replace")[-2000:]
            raise tornado.web.HTTPError(
                422, "the re-run (pid %d) exited %s before recording a run; its output: %s", process.pid,
                process.returncode, tail,
            )  # fmt: skip
        self.send_json({"run": new_id, "pid": process.pid, "log": str(log_path)})

    async def _new_run(self, process: subprocess.Popen[bytes], since: float) -> str | None:
        """The id of the flow run ``process`` records, once it has; None if it exits without one."""
        host = socket.gethostname()

        def find(store: RunStore) -> str | None:
            page = store.queries.page_flow_runs(RunFilter(since=since - 1), None, 50)
            return next((r.run_id for r in page.runs if r.pid == process.pid and r.host == host), None)

        deadline = time.monotonic() + RERUN_WAIT
        while time.monotonic() < deadline:
            found: str | None = await self.read(find)
            if found is not None:
                return found
            if process.poll() is not None:
                last: str | None = await self.read(find)  # it may have recorded its run just before exiting
                return last
            await asyncio.sleep(0.1)
        return None
