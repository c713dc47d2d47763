"""What the notebook tests share: where the example lives, the kernel's name, and the cluster handle."""

from __future__ import annotations

from typing import Any

from tests.processes import DaskProcesses

KERNEL = "daskflow-test"


class Remote:
    """The running cluster, and a plain Dask client of the test's own to inspect it."""

    def __init__(self, processes: DaskProcesses, client: Any) -> None:
        self.processes = processes
        self.client = client
        self.address = processes.address

    def executing(self) -> int:
        """How many tasks the workers' threads are running right now."""
        counts = self.client.run(lambda dask_worker: len(dask_worker.state.executing))
        return int(sum(counts.values()))

    def processing(self) -> int:
        """How many tasks the scheduler has assigned to workers and not seen finish."""
        return sum(len(keys) for keys in self.client.processing().values())
