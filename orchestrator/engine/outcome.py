"""How a finished flow run's final state is decided from its task runs and its return value.

The engine asks its ``Outcome`` once the body returned and every task run
reported. daskflow's own rule (``FAILURES_FAIL``, DESIGN.md's failure
semantics): the run is Failed when any task run ended Failed, TimedOut or
Crashed and nothing downstream handled it; else Completed. Prefect-style
flows (orchestrator.compat) bring their own rule, such as Prefect 3's, where
the return value decides. Runs that ended early (interrupted, timed out,
crashed) are decided by the engine before this is asked.
"""

from __future__ import annotations

from typing import Any, Protocol

from ..records.runs import FlowRun
from ..records.states import StateType

__all__ = ["FAILURES_FAIL", "FailuresFail", "Outcome"]


class Outcome(Protocol):
    """Decides a run's final state; ``returned`` is what the body returned, futures still in it."""

    def decide(self, run: FlowRun, returned: Any) -> tuple[StateType, str | None]: ...


class FailuresFail:
    """daskflow's rule: any unhandled task failure fails the run."""

    def decide(self, run: FlowRun, returned: Any) -> tuple[StateType, str | None]:
        failures = run.unhandled_failures()
        if failures:
            return StateType.FAILED, f"{len(failures)} task run(s) failed: " + ", ".join(f.name for f in failures[:5])
        return StateType.COMPLETED, None


FAILURES_FAIL = FailuresFail()
