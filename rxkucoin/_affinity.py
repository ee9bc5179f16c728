"""Any thread, one loop: work asked for on any thread is carried out on the client's loop.

RxPY code subscribes and disposes wherever it runs: a timer's thread, a thread pool, a
worker. rxkucoin's state (reference counts, routes, sockets) lives on one asyncio loop, so
every subscribe and dispose is carried over to that loop's thread, in the order asked, and
every subscriber is called there.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import TypeVar

import reactivex
from reactivex import Observable, abc
from reactivex.disposable import Disposable

__all__ = ("call_on_loop", "on_loop", "running_loop")

_T = TypeVar("_T")


def running_loop() -> asyncio.AbstractEventLoop | None:
    """The loop running on this thread, if any."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def call_on_loop(loop: asyncio.AbstractEventLoop, action: Callable[[], object]) -> None:
    """Run ``action`` on ``loop``: now on the loop's own thread, else soon, in order with
    the other calls carried over; nothing if the loop is closed (nothing is left to undo)."""
    if running_loop() is loop:
        action()
        return
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(action)


def on_loop(source: Observable[_T], loop: asyncio.AbstractEventLoop) -> Observable[_T]:
    """``source`` subscribed and disposed on ``loop``, whichever thread asks.

    A dispose that comes before its subscribe was carried out wins: the subscription is
    then never made.
    """

    def subscribe(
        observer: abc.ObserverBase[_T], scheduler: abc.SchedulerBase | None = None
    ) -> abc.DisposableBase:
        attached: list[abc.DisposableBase] = []
        disposed = False

        def attach() -> None:
            if not disposed:
                attached.append(source.subscribe(observer, scheduler=scheduler))

        def detach() -> None:
            while attached:
                attached.pop().dispose()

        def dispose() -> None:
            nonlocal disposed
            disposed = True
            call_on_loop(loop, detach)

        call_on_loop(loop, attach)
        return Disposable(dispose)

    return reactivex.create(subscribe)
