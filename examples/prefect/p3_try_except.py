"""Prefect 3: a failing task raises in the flow body, where try/except handles it and the flow completes.

Expected output:
    could not fetch: the API is down
    using the cached value
    True
"""

from orchestrator.compat.prefect import flow, task


@task
def fetch() -> dict:
    raise ConnectionError("the API is down")


@task
def cached() -> dict:
    return {"value": 1}


@flow
def with_fallback() -> dict:
    try:
        return fetch()
    except ConnectionError as exc:
        print(f"could not fetch: {exc}")
        print("using the cached value")
        return cached()


if __name__ == "__main__":
    state = with_fallback(return_state=True)
    print(state.is_completed())
