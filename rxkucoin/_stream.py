"""`TopicStream`: a hot stream of typed payloads, with its gap-marked twin and an opt-in
bounded hand-off for slow subscribers."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

import reactivex
from reactivex import Observable, abc
from reactivex.disposable import Disposable, SingleAssignmentDisposable

from ._events import Gap
from .exceptions import BufferOverflow

__all__ = ("HAND_OFF_SLICE", "TopicStream", "hand_off", "merge_streams")

log = logging.getLogger("rxkucoin")

_T = TypeVar("_T")
_T_co = TypeVar("_T_co", covariant=True)

#: Seconds a hand-off task may keep delivering before it yields to the loop; a slow
#: subscriber then delays the socket's reader and heartbeat by at most this plus one call.
HAND_OFF_SLICE = 0.002

Report = Callable[[Exception], None]


def _log_error(exc: Exception) -> None:
    log.error("a subscriber raised and was dropped: %r", exc, exc_info=exc)


class TopicStream(Observable[_T_co], Generic[_T_co]):
    """The hot, shared Observable of a topic's typed payloads.

    It carries data only and never errors on transient failures. `with_gaps` returns the
    same stream with `Gap` markers in order with the data, so a strategy can tell where a
    reconnect may have hidden events and resynchronise by REST.

    Subscribe and dispose from any thread or RxPY scheduler: both are carried out on the
    client's event loop, and every item is delivered on the loop's thread, inside the
    socket's reader. A subscriber that takes long holds the reader up; give it
    `buffered` (a bounded hand-off), or move its work elsewhere with
    ``ops.observe_on(ThreadPoolScheduler())``.
    """

    def __init__(
        self, data: Observable[Any], marked: Observable[Any], *, report: Report | None = None
    ) -> None:
        def subscribe(
            observer: abc.ObserverBase[Any], scheduler: abc.SchedulerBase | None = None
        ) -> abc.DisposableBase:
            return data.subscribe(observer, scheduler=scheduler)

        super().__init__(subscribe)
        self._data = data
        self._marked = marked
        self._report: Report = report or _log_error

    def subscribe(
        self,
        on_next: abc.ObserverBase[Any] | abc.OnNext[Any] | None = None,
        on_error: abc.OnError | None = None,
        on_completed: abc.OnCompleted | None = None,
        *,
        scheduler: abc.SchedulerBase | None = None,
    ) -> abc.DisposableBase:
        """Subscribe an observer or callbacks; the returned disposable unsubscribes.

        It goes straight to the topic's source, which gives each subscriber one light
        sink: `Observable.subscribe` would wrap it in an auto-detaching observer with two
        locked disposables (about half a kilobyte per idle subscriber).
        """
        return self._data.subscribe(on_next, on_error, on_completed, scheduler=scheduler)

    def with_gaps(self) -> Observable[_T_co | Gap]:
        """The same hot stream, plus a `Gap` after each outage, in order with the data."""
        return self._marked

    def buffered(self, max_items: int) -> TopicStream[_T_co]:
        """The same stream, handed to each subscriber by a task of its own through a queue
        of at most ``max_items`` items.

        The socket's reader then only appends to the queue, so a slow synchronous
        subscriber no longer delays the reader and the heartbeat of every topic on the
        socket by its whole backlog: the task yields to the loop at least every
        `HAND_OFF_SLICE` seconds. When more than ``max_items`` items wait, the subscriber
        gets `BufferOverflow` at once (the waiting items are discarded with it) and is
        unsubscribed; errors and completion arrive after the items before them.
        ``with_gaps()`` of the result is buffered the same way.

        Args:
            max_items: how many items may wait for the subscriber.

        Raises:
            ValueError: ``max_items`` is less than 1.
        """
        if max_items < 1:
            raise ValueError("max_items must be at least 1")
        return TopicStream(
            hand_off(self, max_items, self._report),
            hand_off(self._marked, max_items, self._report),
            report=self._report,
        )


def hand_off(source: Observable[_T], max_items: int, report: Report) -> Observable[_T]:
    """``source`` delivered through a bounded queue by a task on the loop (see
    `TopicStream.buffered`). ``source`` must deliver on the loop's thread."""

    def subscribe(
        observer: abc.ObserverBase[_T], scheduler: abc.SchedulerBase | None = None
    ) -> abc.DisposableBase:
        queue: deque[_T] = deque()
        end: list[Exception | None] = []  # the terminal notification, once it came
        upstream = SingleAssignmentDisposable()
        stopped = False
        draining = False
        task: list[asyncio.Task[None]] = []  # the running drain task, if any

        def stop() -> None:
            nonlocal stopped
            stopped = True
            queue.clear()
            upstream.dispose()

        def call(action: Callable[..., None], *args: Any) -> bool:
            try:
                action(*args)
            except Exception as exc:  # a raising subscriber is dropped and reported
                stop()
                report(exc)
                return False
            return True

        def finish() -> None:
            if stopped:
                return
            error = end[0]
            stop()
            if error is None:
                call(observer.on_completed)
            else:
                call(observer.on_error, error)

        async def drain() -> None:
            nonlocal draining
            loop = asyncio.get_running_loop()
            try:
                while not stopped:
                    until = loop.time() + HAND_OFF_SLICE
                    while queue and not stopped and loop.time() < until:
                        item = queue.popleft()
                        if not call(observer.on_next, item):
                            return
                    if stopped:
                        return
                    if not queue:
                        if end:
                            finish()
                        return
                    await asyncio.sleep(0)
            finally:
                draining = False

        def wake() -> None:
            nonlocal draining
            if not draining and not stopped:
                draining = True
                # held here: asyncio keeps only a weak reference to a running task
                task.append(
                    asyncio.get_running_loop().create_task(drain(), name="rxkucoin:hand-off")
                )
                del task[:-1]

        def on_next(item: _T) -> None:
            if stopped or end:
                return
            if len(queue) >= max_items:
                stop()
                call(observer.on_error, BufferOverflow(max_items))
                return
            queue.append(item)
            wake()

        def on_terminal(error: Exception | None) -> None:
            if stopped or end:
                return
            end.append(error)
            if draining:
                return  # after the items before it
            finish()

        upstream.disposable = source.subscribe(
            on_next, on_terminal, lambda: on_terminal(None), scheduler=scheduler
        )

        def dispose() -> None:
            nonlocal stopped
            stopped = True  # a running task ends at its next step, on the loop
            upstream.dispose()

        return Disposable(dispose)

    return reactivex.create(subscribe)


def merge_streams(streams: Sequence[TopicStream[Any]]) -> TopicStream[Any]:
    """One stream of several topics (several symbols, or a list of subscriptions)."""
    if len(streams) == 1:
        return streams[0]
    return TopicStream(
        reactivex.merge(*streams),
        reactivex.merge(*(s.with_gaps() for s in streams)),
        report=streams[0]._report if streams else None,
    )
