"""Delivering pushes to a topic's subscribers: the hot path, kept free of Rx machinery.

Per-topic objects are slotted and hold no closures: an idle subscribed topic costs its
`Route`, one `TopicSink` per subscriber (which is also the subscription's disposable) and
the registry's entry, and all of them go when the last subscriber leaves.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from reactivex import Observable, abc

from ._events import Gap
from ._topics import TopicKey
from .models._base import Payload

__all__ = ("Route", "Sink", "SinkGroup", "TopicSink", "TopicSource")


class Sink:
    """One guarded subscriber: if its callback raises, it is reported and dropped.

    Shared by the topic routes (the hot path) and the generic `isolate` operator.
    """

    __slots__ = ("dropped", "observer", "report", "unsubscribe")

    def __init__(
        self,
        observer: abc.ObserverBase[Any],
        report: Callable[[Exception], None],
        unsubscribe: Callable[[], None],
    ) -> None:
        self.observer = observer
        self.report = report
        self.unsubscribe = unsubscribe
        self.dropped = False

    def on_next(self, item: Any) -> None:
        if self.dropped:
            return
        try:
            self.observer.on_next(item)
        except Exception as exc:
            self._drop(exc)

    def on_error(self, error: Exception) -> None:
        if self.dropped:
            return
        self.dropped = True
        try:
            self.observer.on_error(error)
        except Exception as exc:
            self.report(exc)

    def on_completed(self) -> None:
        if self.dropped:
            return
        self.dropped = True
        try:
            self.observer.on_completed()
        except Exception as exc:
            self.report(exc)

    def _drop(self, exc: Exception) -> None:
        self.dropped = True
        self.unsubscribe()
        self.report(exc)


class Route:
    """The subscribers of one topic: data only, and data with gap markers.

    Plain lists rather than Subjects: delivering a push is the hot path, and a list walk
    skips the Subject's lock and observer wrappers. Sinks guard themselves.

    A route in an outage owes its gap-marked subscribers a `Gap` and pays it before the
    next item, whatever comes first: the topic's new acknowledgement or a push.

    Attributes:
        outage: ``(start, cause)`` while the route owes a Gap, else ``None``.
        last_ns: the server time (ns) of the last push delivered, where the wire gives one.
    """

    __slots__ = ("data", "full", "key", "last_ns", "outage")

    def __init__(self, key: TopicKey) -> None:
        self.key = key
        self.data: list[Sink] = []
        self.full: list[Sink] = []
        self.outage: tuple[float, str] | None = None
        self.last_ns: int | None = None

    def deliver(self, payload: Payload, server_ns: int | None = None) -> None:
        if self.outage is not None:
            self.end_outage(time.time())
        if server_ns is not None:
            self.last_ns = server_ns
        for sink in self.data:
            sink.on_next(payload)
        for sink in self.full:
            sink.on_next(payload)

    def begin_outage(self, start: float, cause: str) -> None:
        """The topic's socket died; keep the first start and cause of a running outage."""
        if self.outage is None:
            self.outage = (start, cause)

    def end_outage(self, end: float) -> None:
        """Pay the Gap this route owes, if any."""
        if self.outage is None:
            return
        (start, cause), self.outage = self.outage, None
        key = self.key
        self.gap(Gap(key.ws_key, (str(key),), start, end, cause, last_item_ns=self.last_ns))

    def gap(self, gap: Gap) -> None:
        for sink in self.full:
            sink.on_next(gap)

    def fail(self, error: Exception) -> None:
        sinks, self.data, self.full = self.data + self.full, [], []
        for sink in sinks:
            sink.on_error(error)

    def complete(self) -> None:
        sinks, self.data, self.full = self.data + self.full, [], []
        for sink in sinks:
            sink.on_completed()


def _nothing() -> None:
    pass


class TopicSink(Sink, abc.DisposableBase):
    """A topic subscriber's guarded sink, and the disposable its subscriber holds.

    One object instead of a sink, a release closure and a `Disposable` (which carries a
    lock): with many idle topics, the per-subscriber objects are most of their memory.

    Args:
        observer: the subscriber.
        report: receives what the subscriber raised.
        route: the route the sink is on.
        full: on the route's gap-marked list (``with_gaps()``), else on its data list.
        detach: shared by every sink of a connection; called once, on the first dispose
            (or when the subscriber raised), to take the sink off its route.
    """

    __slots__ = ("detach", "full", "route")

    def __init__(
        self,
        observer: abc.ObserverBase[Any],
        report: Callable[[Exception], None],
        route: Route,
        full: bool,
        detach: Callable[[TopicSink], None],
    ) -> None:
        super().__init__(observer, report, _nothing)  # `_drop` disposes instead
        self.route = route
        self.full = full
        self.detach: Callable[[TopicSink], None] | None = detach

    def dispose(self) -> None:
        detach, self.detach = self.detach, None
        if detach is not None:
            detach(self)

    def _drop(self, exc: Exception) -> None:
        self.dropped = True
        self.dispose()
        self.report(exc)


class TopicSource(Observable[Any]):
    """A topic's cold source, subscribed and disposed on the connection's loop.

    It does itself what `rxkucoin._affinity.on_loop` does for other Observables (work
    asked on another thread is carried to the loop, in order; a dispose that comes before
    its subscribe was carried out wins), without the layers that would cost each idle
    subscriber: `Observable.subscribe` wraps every subscriber in an auto-detaching
    observer with two locked disposables, and ``on_loop`` adds closures and a third one.
    An observer subscribed on the loop gets its `TopicSink` as its disposable.

    Args:
        attach: ``attach(observer)`` adds the subscriber (on the loop), returns its sink.
        at_home: whether the caller runs on the loop's thread.
        post: runs a callable on the loop's thread, soon and in order.
    """

    def __init__(
        self,
        attach: Callable[[abc.ObserverBase[Any]], abc.DisposableBase],
        at_home: Callable[[], bool],
        post: Callable[[Callable[[], object]], None],
    ) -> None:
        super().__init__(lambda observer, _: self._subscribe_observer(observer))
        self._attach = attach
        self._at_home = at_home
        self._post = post

    def subscribe(
        self,
        on_next: abc.ObserverBase[Any] | abc.OnNext[Any] | None = None,
        on_error: abc.OnError | None = None,
        on_completed: abc.OnCompleted | None = None,
        *,
        scheduler: abc.SchedulerBase | None = None,
    ) -> abc.DisposableBase:
        if isinstance(on_next, abc.ObserverBase):  # the streams' own layers: no wrapper
            return self._subscribe_observer(on_next)
        if on_next is None or not hasattr(on_next, "on_next"):  # callbacks: a slotted observer
            observer = _Callbacks(on_next, on_error, on_completed)
            observer.subscription = subscription = self._subscribe_observer(observer)
            if observer.stopped:  # ended while attaching (a closed client)
                subscription.dispose()
            return subscription
        return super().subscribe(on_next, on_error, on_completed, scheduler=scheduler)

    def _subscribe_observer(self, observer: abc.ObserverBase[Any]) -> abc.DisposableBase:
        if self._at_home():
            return self._attach(observer)
        pending = _Pending(self._attach, observer, self._post)
        self._post(pending.attach)
        return pending


def _raise(error: Exception) -> None:
    raise error


class _Callbacks(abc.ObserverBase[Any]):
    """Callbacks as an observer, lighter than `Observable.subscribe`'s auto-detaching one
    (no locked disposables): it stops at the first error or end, and disposes its
    subscription then (every topic of a several-topic subscriber)."""

    __slots__ = ("_on_completed", "_on_error", "_on_next", "stopped", "subscription")

    def __init__(
        self,
        on_next: abc.OnNext[Any] | None,
        on_error: abc.OnError | None,
        on_completed: abc.OnCompleted | None,
    ) -> None:
        self._on_next = on_next
        self._on_error = on_error or _raise  # as RxPY's default: the sink reports it
        self._on_completed = on_completed
        self.stopped = False
        self.subscription: abc.DisposableBase | None = None

    def on_next(self, value: Any) -> None:
        if self._on_next is not None and not self.stopped:
            self._on_next(value)

    def on_error(self, error: Exception) -> None:
        if self._stop():
            try:
                self._on_error(error)
            finally:
                self._end()

    def on_completed(self) -> None:
        if self._stop():
            try:
                if self._on_completed is not None:
                    self._on_completed()
            finally:
                self._end()

    def _stop(self) -> bool:
        stopped, self.stopped = self.stopped, True
        return not stopped

    def _end(self) -> None:
        subscription, self.subscription = self.subscription, None
        if subscription is not None:
            subscription.dispose()


class _Pending(abc.DisposableBase):
    """A subscription asked for on another thread, carried out on the loop."""

    __slots__ = ("_attach", "_disposed", "_observer", "_post", "_sink")

    def __init__(
        self,
        attach: Callable[[abc.ObserverBase[Any]], abc.DisposableBase],
        observer: abc.ObserverBase[Any],
        post: Callable[[Callable[[], object]], None],
    ) -> None:
        self._attach = attach
        self._observer = observer
        self._post = post
        self._sink: abc.DisposableBase | None = None
        self._disposed = False

    def attach(self) -> None:
        if not self._disposed:
            self._sink = self._attach(self._observer)

    def dispose(self) -> None:
        self._disposed = True
        self._post(self._detach)

    def _detach(self) -> None:
        sink, self._sink = self._sink, None
        if sink is not None:
            sink.dispose()


class SinkGroup(abc.DisposableBase):
    """The disposable of one subscriber of several topics: one sink per topic."""

    __slots__ = ("_sinks",)

    def __init__(self, sinks: list[abc.DisposableBase]) -> None:
        self._sinks = sinks

    def dispose(self) -> None:
        sinks, self._sinks = self._sinks, []
        for sink in sinks:
            sink.dispose()
