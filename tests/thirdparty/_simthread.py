"""The simulator on an asyncio loop in a background thread, for synchronous third-party clients.

Third-party SDKs are threaded and blocking; the simulator is asyncio. `SimThread` runs the
simulator's loop in one thread and lets the test thread call into it (`call`) with bounded
waits. `PushLog` records every push the engine emits, in order, so a test can compare what
a client's callbacks received with what the engine sent.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from rxkucoin.sim import ClassicPush, ProEvent, Push, Simulator

__all__ = ("WAIT_S", "Collector", "PushLog", "SimThread")

T = TypeVar("T")

#: Upper bound of every wait on the simulator or a client (never reached when things work).
WAIT_S = 15.0


class SimThread:
    """A running `Simulator` whose event loop lives in a daemon thread.

    Args:
        **options: passed to `Simulator`.
    """

    def __init__(self, **options: Any) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="rxkucoin-sim-loop", daemon=True
        )
        self._thread.start()
        self._idle = threading.Event()  # never set: a sleep that is not a busy loop
        self.sim: Simulator = self.run(self._start(options))

    @staticmethod
    async def _start(options: dict[str, Any]) -> Simulator:
        sim = Simulator(**options)
        await sim.start()
        return sim

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the simulator's loop and return its result (bounded wait)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=WAIT_S)

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Call ``fn`` on the simulator's loop (engine calls must run there) and return."""

        async def invoke() -> T:
            return fn(*args, **kwargs)

        return self.run(invoke())

    def open_sockets(self) -> int:
        """How many client sockets the simulator has open right now."""
        return self.call(lambda: sum(self.sim.stats.live_connections.values()))

    def wait_sockets_closed(self) -> int:
        """Wait (bounded) until every client socket has closed; return how many are open."""
        deadline = self.loop.time() + WAIT_S
        while (count := self.open_sockets()) and self.loop.time() < deadline:
            self._idle.wait(0.05)
        return count

    def close(self) -> None:
        """Stop the simulator, then the loop, and join the thread."""
        try:
            self.run(self.sim.stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(WAIT_S)
            if not self._thread.is_alive():
                self.loop.close()


class PushLog:
    """Every push the engine emits, in order (registered as an engine listener)."""

    def __init__(self, sim: SimThread) -> None:
        self.pushes: list[Push] = []
        self._lock = threading.Lock()
        self.unlisten = sim.call(sim.sim.engine.listen, self._add)

    def _add(self, push: Push) -> None:
        with self._lock:
            self.pushes.append(push)

    def classic(self, account: str, topic: str) -> list[ClassicPush]:
        """The Classic pushes a subscription to ``topic`` (with ``:SYMBOL`` if any) receives."""
        with self._lock:
            return [
                p
                for p in self.pushes
                if isinstance(p, ClassicPush) and p.account == account and p.topic == topic
            ]

    def pro(self, account: str, *kinds: str) -> list[ProEvent]:
        """The Pro events of ``account`` of the given kinds."""
        with self._lock:
            return [
                p
                for p in self.pushes
                if isinstance(p, ProEvent) and p.account == account and p.kind in kinds
            ]


class Collector:
    """A thread-safe list that a client callback appends to, with a bounded wait."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.items: list[Any] = []
        self._cond = threading.Condition()

    def add(self, item: Any) -> None:
        with self._cond:
            self.items.append(item)
            self._cond.notify_all()

    def wait_for(self, count: int, timeout: float = WAIT_S) -> list[Any]:
        """Wait until at least ``count`` items arrived (or the timeout); return them all."""
        return self.wait_until(lambda items: len(items) >= count, timeout)

    def wait_until(
        self, predicate: Callable[[list[Any]], bool], timeout: float = WAIT_S
    ) -> list[Any]:
        """Wait until ``predicate(items)`` holds (or the timeout); return the items."""
        with self._cond:
            self._cond.wait_for(lambda: predicate(self.items), timeout)
            return list(self.items)
