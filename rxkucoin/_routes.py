"""Delivering pushes to a topic's subscribers: the hot path, kept free of Rx machinery."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from reactivex import abc

from ._events import Gap
from .keys import WsKey
from .models._base import Payload

__all__ = ("Route", "Sink")


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

    __slots__ = ("data", "full", "last_ns", "name", "outage", "ws_key")

    def __init__(self, ws_key: WsKey, name: str) -> None:
        self.ws_key = ws_key
        self.name = name
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
        self.gap(Gap(self.ws_key, (self.name,), start, end, cause, last_item_ns=self.last_ns))

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
