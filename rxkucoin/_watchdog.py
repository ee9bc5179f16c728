"""Noticing a subscriber that blocks the event loop, and saying which topic it was on.

Synchronous subscribers run on the loop, inside the socket's reader. One that blocks (a slow
computation, a blocking call) stalls every socket of the client: pings stop, and the server
may cut the link. The watchdog cannot prevent that, but it makes it visible: a thread
watches a heartbeat that the loop renews every ``interval``; when the heartbeat is older
than ``threshold`` it asks ``describe`` what the loop is doing (the topic a router is
delivering, if any) and, once the loop runs again, reports the stall through ``on_block``
on the loop's thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ("LoopWatchdog",)

_W = TypeVar("_W")


class LoopWatchdog(Generic[_W]):
    """Reports stalls of ``loop`` longer than ``threshold`` seconds.

    Args:
        loop: the loop to watch.
        describe: called on the watchdog's thread during a stall; returns what the loop is
            busy with (e.g. the topic being delivered), or ``None``.
        on_block: called on the loop's thread after a stall with its duration in seconds
            and what ``describe`` said.
        threshold: stalls shorter than this are not reported.
        interval: how often the heartbeat is renewed and checked.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        *,
        describe: Callable[[], _W | None],
        on_block: Callable[[float, _W | None], None],
        threshold: float = 0.5,
        interval: float = 0.05,
    ) -> None:
        self._loop = loop
        self._describe = describe
        self._on_block = on_block
        self._threshold = threshold
        self._interval = interval
        self._beat = time.monotonic()
        self._stall: tuple[float, _W | None] | None = None  # (since, what) of a stall
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._handle: asyncio.TimerHandle | None = None

    def start(self) -> None:
        """Start watching (call on the loop's thread)."""
        self._beat = time.monotonic()
        self._handle = self._loop.call_later(self._interval, self._renew)
        self._thread = threading.Thread(target=self._watch, name="rxkucoin:watchdog", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop watching. The thread (a daemon) ends within one ``interval``; it is not
        joined here, so that stopping never blocks the loop."""
        self._stopped.set()
        if self._handle is not None:
            self._handle.cancel()

    def _renew(self) -> None:
        if self._stopped.is_set():
            return
        # never wait on the loop: if the thread is looking right now, try again shortly
        if not self._lock.acquire(blocking=False):
            self._handle = self._loop.call_later(self._interval / 10, self._renew)
            return
        try:
            now = time.monotonic()
            stall, self._stall = self._stall, None
            self._beat = now
        finally:
            self._lock.release()
        self._handle = self._loop.call_later(self._interval, self._renew)
        if stall is not None:
            since, what = stall
            self._on_block(now - since, what)

    def _watch(self) -> None:
        while not self._stopped.wait(self._interval):
            with self._lock:
                beat = self._beat
                if self._stall is not None or time.monotonic() - beat <= self._threshold:
                    continue
                what: _W | None = None
                with contextlib.suppress(Exception):  # a racing read is only a worse hint
                    what = self._describe()
                self._stall = (beat, what)
