"""Prefect 3: get_run_logger in flows and tasks, and log_prints, shown on the console once each.

Expected output:
    done

Expected in logs:
    | INFO    | Flow run 'logging-demo-
    - starting the demo
    | WARNING | Task run 'work' - low disk space
    | INFO    | Task run 'chatty' - a printed line
"""

from orchestrator.compat.prefect import flow, get_run_logger, task


@task
def work() -> None:
    logger = get_run_logger()
    logger.debug("not shown at the default level")
    logger.warning("low disk space")


@task(log_prints=True)
def chatty() -> None:
    print("a printed line")


@flow(name="logging-demo")
def logging_demo() -> str:
    get_run_logger().info("starting the demo")
    work()
    chatty()
    return "done"


if __name__ == "__main__":
    print(logging_demo())
