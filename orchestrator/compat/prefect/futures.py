"""``prefect.futures`` (Prefect 2/3): ``wait``, ``as_completed`` and the future types."""

from __future__ import annotations

from ..futures import DoneAndNotDoneFutures, PrefectFuture, PrefectFutureList, as_completed, wait

__all__ = ["DoneAndNotDoneFutures", "PrefectFuture", "PrefectFutureList", "as_completed", "wait"]
