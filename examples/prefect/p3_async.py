"""Prefect 3: async flows and tasks; asyncio.gather runs task calls side by side, and subflows await.

Expected output:
    fetched ['a', 'b', 'c']
    3 pages, 30 bytes
"""

import asyncio

from orchestrator.compat.prefect import flow, task


@task
async def fetch(page: str) -> str:
    await asyncio.sleep(0.01)
    return page * 10


@task
def size(body: str) -> int:
    return len(body)


@flow
async def summarise(bodies: list[str]) -> str:
    sizes = [size(b) for b in bodies]
    return f"{len(bodies)} pages, {sum(sizes)} bytes"


@flow
async def crawl() -> str:
    bodies = await asyncio.gather(*(fetch(p) for p in "abc"))
    print(f"fetched {sorted({b[0] for b in bodies})}")
    return await summarise(bodies)


if __name__ == "__main__":
    print(asyncio.run(crawl()))
