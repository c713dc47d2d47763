"""LocalExecutor edge cases: a node that raises a BaseException must still finish, on threads and synchronously."""

from __future__ import annotations

import pytest
from dask.task_spec import Task, TaskRef

from executors import LocalExecutor

#: Backstop for a handle that should already be done.
DONE_WITHIN = 30.0


class Stopped(BaseException):
    """Like an interrupted run's TaskInterrupted: not an Exception, so `except Exception` misses it."""


def _stop() -> int:
    raise Stopped("stopped")


def _plus_one(x: int) -> int:
    return x + 1


@pytest.mark.parametrize("threads", [0, 2])
def test_a_node_raising_a_base_exception_finishes_and_fails_its_dependents(threads: int) -> None:
    """Its handle and its dependent's handle both end with that exception instead of waiting forever."""
    executor = LocalExecutor(threads=threads)
    graph = {"stop": Task("stop", _stop), "after": Task("after", _plus_one, TaskRef("stop"))}
    try:
        stop, after = executor.submit(graph, ["stop", "after"])
        assert executor.wait([stop, after], DONE_WITHIN)
        with pytest.raises(Stopped):
            stop.result(DONE_WITHIN)
        assert isinstance(after.exception(DONE_WITHIN), Stopped)
    finally:
        executor.close()


def test_a_keyboard_interrupt_in_a_synchronous_node_still_reaches_the_caller() -> None:
    """Ctrl-C inside a synchronous run propagates out of submit, and the node's handle is done."""

    def interrupted() -> int:
        raise KeyboardInterrupt

    executor = LocalExecutor()
    with pytest.raises(KeyboardInterrupt):
        executor.submit({"k": Task("k", interrupted)}, ["k"])
