"""`LiveView`: account state kept true by pushes and REST snapshots, as a hot Observable.

The view runs while something holds it (a subscriber, or ``async with view``). Running
means, in this order: subscribe the pushes (with their gap markers), wait until the topic
is acknowledged, take a snapshot (pushes that arrive meanwhile are buffered), apply the
buffered pushes newer than the snapshot, then apply pushes as they come. Every `Gap`
starts the same resync and ends in a `Resynced` record. The rules themselves are in
`_view_state`; this module only drives them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import reactivex
from reactivex import Observable, abc
from reactivex.disposable import Disposable

from ._affinity import call_on_loop, on_loop
from ._events import Gap
from ._routes import Sink
from ._view_models import Resynced, fill_unknown
from ._view_state import Changes, Update, Version, ViewState
from .exceptions import ClientClosed, NotReady, is_retryable
from .keys import WsKey

if TYPE_CHECKING:
    from ._client import KucoinStreams
    from ._rest_api import KucoinRest
    from ._stream import TopicStream

__all__ = ("LiveView", "ViewSpec")

log = logging.getLogger("rxkucoin")

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

#: Seconds between snapshot attempts that failed for a transient reason.
RETRY_DELAYS = (0.2, 0.5, 1.0, 2.0, 5.0)

#: Seconds a periodic check waits before it reports a difference: a push that was merely
#: in flight when the snapshot was taken arrives within it, and explains its entity.
CONFIRM_WINDOW = 0.5

Snapshot = Iterable[tuple[K, V, Version | None]]


@dataclass(frozen=True)
class ViewSpec(Generic[K, V]):
    """How one kind of view reads its pushes and its snapshot.

    Attributes:
        name: for messages and `Resynced.view`, e.g. ``"spot open orders"``.
        ws_key: the connection the pushes come on.
        stream: the typed stream of the pushes.
        update: what one push means for the view (``None``: nothing); the second argument
            counts the pushes the view received, for versions that need an arrival order.
        snapshot: the REST snapshot, as ``(key, value, version)`` triples.
        gone: see `ViewState`; ``None`` for time-ordered entities.
    """

    name: str
    ws_key: WsKey
    stream: Callable[[KucoinStreams], TopicStream[Any]]
    update: Callable[[Any, int], Update[K, V] | None]
    snapshot: Callable[[KucoinRest], Awaitable[Snapshot[K, V]]]
    gone: Callable[[int], Version] | None = None


class LiveView(Observable[Mapping[K, V]], Generic[K, V]):
    """A hot Observable of an account's state: immutable mappings, one after each change.

    A subscriber first gets the current mapping (once the first snapshot is in), then a new
    one after every change. `value` is the current mapping, synchronously. The view runs
    while it has subscribers or is entered with ``async with``; it stops (and releases its
    topic) when the last one leaves.

    A fatal error (rejected credentials, a refused topic, a snapshot KuCoin refuses) ends
    the view: every subscriber gets it as ``on_error``. A later subscriber starts the view
    afresh.

    Subscribe and dispose from any thread; items are delivered on the client's loop.
    """

    def __init__(
        self,
        streams: KucoinStreams,
        spec: ViewSpec[K, V],
        *,
        check_every: float | None = None,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        def subscribe(
            observer: abc.ObserverBase[Mapping[K, V]],
            scheduler: abc.SchedulerBase | None = None,
        ) -> abc.DisposableBase:
            return self._attach(self._sinks, observer, replay=True)

        carried = on_loop(reactivex.create(subscribe), loop)

        def subscribe_anywhere(
            observer: abc.ObserverBase[Mapping[K, V]],
            scheduler: abc.SchedulerBase | None = None,
        ) -> abc.DisposableBase:
            return carried.subscribe(observer, scheduler=scheduler)

        super().__init__(subscribe_anywhere)
        self._streams = streams
        self._spec = spec
        self._check_every = check_every
        self._loop = loop
        self._state: ViewState[K, V] = ViewState(merge=fill_unknown, gone=spec.gone)
        self._value: Mapping[K, V] = MappingProxyType({})
        self._sinks: list[Sink] = []
        self._resync_sinks: list[Sink] = []
        self._holders = 0
        self._topic: abc.DisposableBase | None = None
        self._task: asyncio.Task[None] | None = None
        self._wake: asyncio.Event | None = None
        self._requests: list[tuple[str, Gap | None]] = []
        self._synced: asyncio.Future[None] | None = None
        self._received = 0
        self._offset: int | None = None  # max(exchange time - local time) over the pushes
        self._unconfirmed: list[set[Any]] = []  # keys of checks' differences, per check
        self._timers: list[asyncio.TimerHandle] = []
        self.resyncs_done = 0
        """How many snapshots were applied (the first one included)."""

    # ------------------------------------------------------------------ public surface

    @property
    def name(self) -> str:
        """What the view shows, e.g. ``"spot open orders"``."""
        return self._spec.name

    @property
    def value(self) -> Mapping[K, V]:
        """The current state (empty until the first snapshot); an immutable mapping."""
        return self._value

    @property
    def synced(self) -> bool:
        """Whether the view is running and no snapshot is awaited."""
        return self._task is not None and self.resyncs_done > 0 and not self._state.syncing

    @property
    def stale_pushes(self) -> int:
        """Pushes ignored because the view had already shown a newer state of the entity."""
        return self._state.stale

    def resyncs(self) -> Observable[Resynced[K, V]]:
        """A hot stream of the `Resynced` records: one per snapshot taken after a `Gap`,
        and one per periodic check or `resync` that found the view wrong."""

        def subscribe(
            observer: abc.ObserverBase[Resynced[K, V]],
            scheduler: abc.SchedulerBase | None = None,
        ) -> abc.DisposableBase:
            return self._attach(self._resync_sinks, observer, replay=False)

        return on_loop(reactivex.create(subscribe), self._loop)

    def resync(self) -> None:
        """Take a snapshot now and correct the view by it (from any thread)."""
        call_on_loop(self._loop, lambda: self._request("requested", None))

    async def wait_synced(self, timeout: float = 10.0) -> Mapping[K, V]:  # noqa: ASYNC109
        """Wait for the first snapshot (the view must be running) and return the state.

        Raises:
            TimeoutError: not synced within ``timeout``.
            RuntimeError: the view is not running (nothing holds it).
            RxKucoinError: the view failed (rejected credentials, a refused topic...).
        """
        if self._synced is None:
            raise RuntimeError(f"{self.name}: the view is not running; subscribe or enter it")
        async with asyncio.timeout(timeout):
            await asyncio.shield(self._synced)
        return self._value

    async def __aenter__(self) -> LiveView[K, V]:
        self._hold()
        try:
            await self.wait_synced()
        except BaseException:
            self._release()
            raise
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._release()

    # ------------------------------------------------------------------ running

    def _attach(
        self, sinks: list[Sink], observer: abc.ObserverBase[Any], *, replay: bool
    ) -> abc.DisposableBase:
        sink: Sink

        def detach() -> None:
            if sink in sinks:
                sinks.remove(sink)
                self._release()

        sink = Sink(observer, self._streams._report, detach)
        sinks.append(sink)
        self._hold()
        if replay and self.resyncs_done:
            sink.on_next(self._value)
        return Disposable(lambda: call_on_loop(self._loop, detach))

    def _hold(self) -> None:
        self._holders += 1
        if self._holders == 1:
            self._start()

    def _release(self) -> None:
        if self._holders == 0:  # already stopped by a failure
            return
        self._holders -= 1
        if self._holders == 0:
            self._stop()

    def _start(self) -> None:
        self._state = ViewState(merge=fill_unknown, gone=self._spec.gone)
        self._value = MappingProxyType({})
        self.resyncs_done = 0
        self._synced = self._loop.create_future()
        self._wake = asyncio.Event()
        self._requests = [("start", None)]
        self._state.begin_sync()  # nothing is shown before the first snapshot
        self._topic = (
            self._spec.stream(self._streams)
            .with_gaps()
            .subscribe(self._on_item, self._fail, scheduler=None)
        )
        self._task = self._loop.create_task(self._run(), name=f"rxkucoin:view:{self.name}")

    def _stop(self) -> None:
        topic, self._topic = self._topic, None
        if topic is not None:
            topic.dispose()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        self._unconfirmed.clear()
        if self._synced is not None and not self._synced.done():
            self._synced.cancel()

    def _on_item(self, item: Any) -> None:
        if isinstance(item, Gap):
            self._request(item.cause, item)
            return
        self._received += 1
        update = self._spec.update(item, self._received)
        if update is None:
            return
        if update.time_ns is not None:
            skew = update.time_ns - time.time_ns()
            if self._offset is None or skew > self._offset:
                self._offset = skew
        for keys in self._unconfirmed:
            keys.discard(update.key)
        if self._state.apply(update):
            self._publish()

    def _request(self, cause: str, gap: Gap | None) -> None:
        if self._wake is None or self._task is None:
            return
        self._requests.append((cause, gap))
        self._state.begin_sync()
        self._wake.set()

    def _publish(self) -> None:
        self._value = MappingProxyType(dict(self._state.values))
        for sink in list(self._sinks):
            sink.on_next(self._value)

    def _fail(self, error: Exception) -> None:
        if self._synced is not None and not self._synced.done():
            self._synced.set_exception(error)
            self._synced.exception()  # retrieved here: a waiter may never come
        sinks = self._sinks + self._resync_sinks
        self._sinks.clear()
        self._resync_sinks.clear()
        self._holders = 0
        self._stop()
        for sink in sinks:
            sink.on_error(error)

    async def _run(self) -> None:
        assert self._wake is not None
        try:
            await self._until_live()
            while True:
                if not self._requests:
                    self._wake.clear()
                    if self._check_every is None:
                        await self._wake.wait()
                    else:
                        try:
                            async with asyncio.timeout(self._check_every):
                                await self._wake.wait()
                        except TimeoutError:
                            self._requests.append(("check", None))
                    continue
                requests, self._requests = self._requests, []
                self._state.begin_sync()
                # the exchange's time is at least this when it answers
                as_of = None if self._offset is None else time.time_ns() + self._offset
                snapshot = await self._snapshot()
                changes = self._state.finish_sync(snapshot, as_of=_newest(as_of, snapshot))
                self.resyncs_done += 1
                self._publish()
                if self._synced is not None and not self._synced.done():
                    self._synced.set_result(None)
                cause, gap = next(((c, g) for c, g in requests if g is not None), requests[0])
                if cause == "start" or (cause == "check" and not changes):
                    continue
                if cause == "check":
                    self._confirm_later(changes)
                else:
                    self._report(cause, gap, changes)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._fail(exc)

    def _report(self, cause: str, gap: Gap | None, changes: Changes[K, V]) -> None:
        record = Resynced(
            self.name,
            cause,
            gap,
            changes.added,
            changes.removed,
            changes.changed,
            time.time(),
        )
        for sink in list(self._resync_sinks):
            sink.on_next(record)

    def _confirm_later(self, changes: Changes[K, V]) -> None:
        """Report a check's differences that no push explains within `CONFIRM_WINDOW`."""
        keys = {*changes.added, *changes.removed, *changes.changed}
        self._unconfirmed.append(keys)

        def confirm() -> None:
            self._unconfirmed.remove(keys)
            self._timers.remove(timer)
            lost = Changes(
                {k: v for k, v in changes.added.items() if k in keys},
                {k: v for k, v in changes.removed.items() if k in keys},
                {k: v for k, v in changes.changed.items() if k in keys},
            )
            if lost:
                self._report("check", None, lost)

        timer = self._loop.call_later(CONFIRM_WINDOW, confirm)
        self._timers.append(timer)

    async def _until_live(self) -> None:
        while True:
            try:
                await self._streams.ready(self._spec.ws_key)
                return
            except NotReady:
                continue

    async def _snapshot(self) -> list[tuple[K, V, Version | None]]:
        attempt = 0
        while True:
            try:
                return list(await self._spec.snapshot(self._streams.rest))
            except ClientClosed:
                raise
            except Exception as exc:
                if not is_retryable(exc):
                    raise
                delay = RETRY_DELAYS[min(attempt, len(RETRY_DELAYS) - 1)]
                log.info("%s: snapshot failed (%r), again in %.1f s", self.name, exc, delay)
                attempt += 1
                await asyncio.sleep(delay)


def _newest(as_of: int | None, records: list[tuple[Any, Any, Version | None]]) -> int | None:
    """``as_of``, or the newest update time a record shows if later: the snapshot was taken
    after each of its records last changed."""
    for _, value, _ in records:
        stamp = getattr(value, "updated_ns", None)
        if isinstance(stamp, int) and (as_of is None or stamp > as_of):
            as_of = stamp
    return as_of
