"""Questions to a Dask scheduler, asked from inside a host of the test network (``python probe.py ...``).

The test process lives outside the namespaces and cannot reach their
addresses, so it runs this script inside one (``Network.run``) and reads the
JSON it prints:

* ``workers ADDRESS N``: wait until N workers joined; print {name: address};
* ``widen ADDRESS NAME SECONDS``: in worker NAME only, hold every event after
  a batch's first for SECONDS (the "killed within its batch" fault);
* ``run-keys ADDRESS RUN_ID``: the run's keys the scheduler still knows, and
  per worker the Dask state of each of the run's keys it still has.
"""

from __future__ import annotations

import json
import sys
from typing import Any


def _worker_keys(run_id: str, dask_worker: Any) -> dict[str, str]:
    return {str(key): ts.state for key, ts in dask_worker.state.tasks.items() if f"-{run_id}-" in str(key)}


def _scheduler_keys(run_id: str, dask_scheduler: Any) -> dict[str, str]:
    return {str(key): ts.state for key, ts in dask_scheduler.tasks.items() if f"-{run_id}-" in str(key)}


def main(argv: list[str]) -> int:
    from distributed import Client

    command, address, *rest = argv
    with Client(address, timeout=60, set_as_default=False) as client:
        if command == "workers":
            client.wait_for_workers(int(rest[0]), timeout=120)
            workers = client.scheduler_info(n_workers=-1)["workers"]
            answer: Any = {info["name"]: addr for addr, info in workers.items()}
        elif command == "widen":
            name, seconds = rest
            workers = client.scheduler_info(n_workers=-1)["workers"]
            (target,) = [addr for addr, info in workers.items() if info["name"] == name]
            client.run(exec, f"from executors import events; events.LINGER = {float(seconds)!r}", workers=[target])
            answer = target
        elif command == "run-keys":
            (run_id,) = rest
            answer = {
                "scheduler": client.run_on_scheduler(_scheduler_keys, run_id),
                "workers": client.run(_worker_keys, run_id),
            }
        else:
            raise SystemExit(f"unknown probe command {command!r}")
    print(json.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
