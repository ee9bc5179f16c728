"""asyncio bridges: consume any Observable with ``async for``, or await one matching event.

Both must be used on the event loop's thread, as every rxkucoin stream is.

Example:
    ```python
    async with aiter_observable(streams.spot_orders()) as orders:
        async for order in orders:
            ...
    fill = await first(streams.spot_orders(), lambda o: o.type == "filled", timeout=30)
    ```
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Callable
from types import TracebackType
from typing import Generic, TypeVar

from reactivex import Observable, abc

from .exceptions import BufferOverflow

__all__ = ("ObservableIterator", "aiter_observable", "first")

_T = TypeVar("_T")

_DONE = object()


class ObservableIterator(Generic[_T], AsyncIterator[_T]):
    """An async iterator over an Observable, with a bounded buffer.

    The subscription starts when the ``async with`` block is entered (or on the first
    ``__anext__``) and ends when the block exits, even after a ``break``. When more than
    ``capacity`` events wait unread, the iterator stops receiving and, once the events
    already buffered are read, raises `BufferOverflow`: nothing is dropped silently.

    Args:
        source: the Observable to consume.
        capacity: how many unread events may wait.
    """

    def __init__(self, source: Observable[_T], capacity: int = 10_000) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._source = source
        self._capacity = capacity
        self._buffer: deque[_T] = deque()
        self._end: BaseException | object | None = None
        self._wakeup: asyncio.Event | None = None
        self._subscription: abc.DisposableBase | None = None

    def _start(self) -> None:
        if self._subscription is not None or self._end is not None:
            return
        self._wakeup = asyncio.Event()
        self._subscription = self._source.subscribe(
            self._on_next, self._on_error, self._on_completed
        )

    def _on_next(self, value: _T) -> None:
        if self._end is not None:
            return
        if len(self._buffer) >= self._capacity:
            self._finish(BufferOverflow(self._capacity))
            self.close()
            return
        self._buffer.append(value)
        if self._wakeup is not None:
            self._wakeup.set()

    def _on_error(self, error: Exception) -> None:
        self._finish(error)

    def _on_completed(self) -> None:
        self._finish(_DONE)

    def _finish(self, end: BaseException | object) -> None:
        if self._end is None:
            self._end = end
        if self._wakeup is not None:
            self._wakeup.set()

    def close(self) -> None:
        """Stop receiving; buffered events can still be read."""
        subscription, self._subscription = self._subscription, None
        if subscription is not None:
            subscription.dispose()
        if self._end is None:
            self._finish(_DONE)

    def __aiter__(self) -> ObservableIterator[_T]:
        return self

    async def __anext__(self) -> _T:
        self._start()
        while True:
            if self._buffer:
                return self._buffer.popleft()
            end = self._end
            if end is _DONE:
                raise StopAsyncIteration
            if isinstance(end, BaseException):
                raise end
            assert self._wakeup is not None
            self._wakeup.clear()
            await self._wakeup.wait()

    async def __aenter__(self) -> ObservableIterator[_T]:
        self._start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def aiter_observable(source: Observable[_T], *, capacity: int = 10_000) -> ObservableIterator[_T]:
    """Iterate ``source`` with ``async for``; use it in ``async with`` so it always ends.

    Args:
        source: any Observable, typically a hot rxkucoin stream.
        capacity: the most events that may wait unread before `BufferOverflow`.
    """
    return ObservableIterator(source, capacity)


async def first(
    source: Observable[_T],
    predicate: Callable[[_T], bool] | None = None,
    *,
    timeout: float | None = None,  # noqa: ASYNC109 - the issue asks for a timeout argument
) -> _T:
    """Wait for the first event of ``source`` that satisfies ``predicate``.

    Args:
        source: the Observable to watch.
        predicate: which event counts; any event if ``None``.
        timeout: seconds to wait at most; ``None`` waits for ever.

    Raises:
        TimeoutError: nothing matched within ``timeout``.
        LookupError: the source completed without a match.
        Exception: whatever error the source ended with.
    """
    future: asyncio.Future[_T] = asyncio.get_running_loop().create_future()

    def on_next(value: _T) -> None:
        if future.done():
            return
        try:
            matched = predicate is None or predicate(value)
        except Exception as exc:
            future.set_exception(exc)
            return
        if matched:
            future.set_result(value)

    def on_error(error: Exception) -> None:
        if not future.done():
            future.set_exception(error)

    def on_completed() -> None:
        if not future.done():
            future.set_exception(LookupError("the stream ended before a matching event"))

    subscription = source.subscribe(on_next, on_error, on_completed)
    try:
        async with asyncio.timeout(timeout):
            return await future
    finally:
        subscription.dispose()
