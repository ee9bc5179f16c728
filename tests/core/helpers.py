"""What the tests through the simulator share: waiting for a condition, recording a stream."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

from rxkucoin import Gap


async def until(
    predicate: Callable[[], bool], timeout: float = 10.0, interval: float = 0.01
) -> None:
    """Return once ``predicate()`` is true; `TimeoutError` after ``timeout`` seconds."""
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(interval)


class Recorder:
    """Collects what a subscriber sees, and on which threads."""

    def __init__(self) -> None:
        self.items: list[Any] = []
        self.errors: list[Exception] = []
        self.threads: set[int] = set()

    def on_next(self, item: Any) -> None:
        self.threads.add(threading.get_ident())
        self.items.append(item)

    def on_error(self, error: Exception) -> None:
        self.threads.add(threading.get_ident())
        self.errors.append(error)

    @property
    def gaps(self) -> list[Gap]:
        return [i for i in self.items if isinstance(i, Gap)]

    @property
    def data(self) -> list[Any]:
        return [i for i in self.items if not isinstance(i, Gap)]
