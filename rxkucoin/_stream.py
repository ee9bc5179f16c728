"""`TopicStream`: a hot Observable of one or more topics' payloads, with its gap-marked twin."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar

import reactivex
from reactivex import Observable, abc

from ._events import Gap

__all__ = ("TopicStream", "merge_streams")

_T_co = TypeVar("_T_co", covariant=True)


class TopicStream(Observable[_T_co], Generic[_T_co]):
    """The hot, shared Observable of a topic's typed payloads.

    It carries data only and never errors on transient failures. `with_gaps` returns the
    same stream with `Gap` markers in order with the data, so a strategy can tell where a
    reconnect may have hidden events and resynchronise by REST.
    """

    def __init__(self, data: Observable[Any], marked: Observable[Any]) -> None:
        def subscribe(
            observer: abc.ObserverBase[Any], scheduler: abc.SchedulerBase | None = None
        ) -> abc.DisposableBase:
            return data.subscribe(observer, scheduler=scheduler)

        super().__init__(subscribe)
        self._marked = marked

    def with_gaps(self) -> Observable[_T_co | Gap]:
        """The same hot stream, plus a `Gap` after each outage, in order with the data."""
        return self._marked


def merge_streams(streams: Sequence[TopicStream[Any]]) -> TopicStream[Any]:
    """One stream of several topics (several symbols, or a list of subscriptions)."""
    if len(streams) == 1:
        return streams[0]
    return TopicStream(
        reactivex.merge(*streams), reactivex.merge(*(s.with_gaps() for s in streams))
    )
