"""One socket of a WsKey as a shard set sees it (`Shard`), and the client's budget of
sockets (`SocketBudget`): how many one account may have open, and how fast new ones.

KuCoin refuses a session beyond 50 per user (error 509, PROTOCOL.md §3.5) and, by a
third-party figure, more than 30 new connections per minute. The budget counts every
shard of every WsKey of a client (one client is one account) and every dial: a first
dial, a reconnect, a planned rotation's new socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any, Final, Protocol

from reactivex import abc
from reactivex.subject import Subject

from ._connection import Connection
from ._events import ConnectionEvent, ConnectionState
from ._topics import TopicKey, covering_keys

__all__ = (
    "ACTIVE_STATES",
    "MAX_DIALS_PER_MINUTE",
    "MAX_SOCKETS_PER_USER",
    "Shard",
    "ShardEvents",
    "SocketBudget",
)

#: Sockets one user may have open (PROTOCOL.md §3.5: error 509 beyond 50).
MAX_SOCKETS_PER_USER: Final = 50
#: New sockets per minute (PROTOCOL.md §3.5, a third-party figure).
MAX_DIALS_PER_MINUTE: Final = 30

#: A shard in one of these has (or is getting) a socket.
ACTIVE_STATES: Final = frozenset(
    {
        ConnectionState.CONNECTING,
        ConnectionState.LIVE,
        ConnectionState.RECONNECTING,
        ConnectionState.FAILED,
    }
)


class Shard(Connection):
    """One socket of a WsKey: a `Connection` with what its shard set asks of it."""

    number = 1  # the shard's name in events: #1 is the first, never reused
    reserved = False  # made by its set, which counted its first dial already
    budget: SocketBudget | None = None  # its client's sockets, once in a set

    def _rotation_slot(self) -> contextlib.AbstractAsyncContextManager[object]:
        return contextlib.nullcontext() if self.budget is None else self.budget.rotation()

    @property
    def held_count(self) -> int:
        """Topics held (O(1))."""
        return self._topics.held_count

    @property
    def has_room(self) -> bool:
        """One more topic fits on this socket."""
        return self._topics.held_count < self._topics.capacity

    @property
    def open(self) -> bool:
        """It has (or is getting) a socket: topics held, or dialing, live or failed."""
        return self._topics.held_count > 0 or self.state.value in ACTIVE_STATES

    def holds(self, key: TopicKey) -> bool:
        """``key`` has a subscriber here."""
        return self._topics.holds(key)

    def knows(self, key: TopicKey) -> bool:
        """``key`` has state here (held, or its server subscription being undone)."""
        return self._topics.knows(key)

    def covers(self, key: TopicKey) -> bool:
        """An all-symbols topic carrying ``key`` is held here."""
        return any(self._topics.holds(c) for c in covering_keys(key))

    def attach(
        self, key: TopicKey, observer: abc.ObserverBase[Any], with_gaps: bool
    ) -> abc.DisposableBase:
        """Add a subscriber of ``key`` here (on the loop); its disposable."""
        return self._attach(key, observer, with_gaps)

    def at_home(self) -> bool:
        """The caller runs on the connection's loop."""
        return self._at_home()

    def post(self, work: Callable[[], object]) -> None:
        """Run ``work`` on the connection's loop, soon and in order."""
        self._post(work)


class ShardEvents(Subject[ConnectionEvent]):
    """A shard's events: the first shard's are the set's own, a further shard's go into
    them with ``shard #n:`` in front of their detail. A rotation's dial is counted."""

    def __init__(self, budget: SocketBudget, shard: Shard, into: ShardEvents | None) -> None:
        super().__init__()
        self._budget = budget
        self._shard = shard
        self._into = into

    def on_next(self, value: ConnectionEvent) -> None:
        if value.kind == "rotating":  # a planned rotation dials a new socket too
            self._budget.dialed()
        if self._into is None:
            super().on_next(value)
        else:
            detail = f"shard #{self._shard.number}: {value.detail}"
            self._into.tell(dataclasses.replace(value, detail=detail))

    def tell(self, value: ConnectionEvent) -> None:
        """Tell the observers ``value`` (a further shard's event, counted there)."""
        super().on_next(value)


class _HasShards(Protocol):
    @property
    def shards(self) -> Sequence[Shard]: ...


class SocketBudget:
    """A client's sockets (one account): how many may be open, and how fast new ones.

    Args:
        max_sockets: sockets the client may have open at once, over all its WsKeys.
        spare: of those, kept free for a planned rotation's new socket (make before
            break needs one more socket for a few seconds): no new shard takes them.
        max_dials: new sockets (first dials, reconnects and rotations alike) per ``window``
            seconds.
        window: seconds.
        clock: monotonic seconds.
    """

    def __init__(
        self,
        max_sockets: int = MAX_SOCKETS_PER_USER,
        max_dials: int = MAX_DIALS_PER_MINUTE,
        window: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        spare: int = 0,
    ) -> None:
        self.max_sockets = max_sockets
        self.spare = spare
        self.max_dials = max_dials
        self._window = window
        self._clock = clock
        self._dials: deque[float] = deque()
        self._sets: list[_HasShards] = []
        self._rotating = 0  # rotations between their new socket's dial and old one's close
        self._rotation_over: asyncio.Event | None = None

    def join(self, shard_set: _HasShards) -> None:
        """Count ``shard_set``'s sockets too."""
        self._sets.append(shard_set)

    @property
    def sockets(self) -> int:
        """Sockets open or being opened now (asked only when a new shard is needed)."""
        return sum(1 for s in self._sets for shard in s.shards if shard.open)

    def may_open(self) -> bool:
        """Whether one more shard may open a socket (the spare ones left aside)."""
        return self.sockets + self.spare < self.max_sockets

    def may_rotate(self) -> bool:
        """Whether one more rotation's new socket fits beside the open ones and those of
        the rotations under way (a first rotation always may: the spare is for it)."""
        return self._rotating == 0 or self.sockets + self._rotating < self.max_sockets

    @contextlib.asynccontextmanager
    async def rotation(self) -> AsyncIterator[None]:
        """Held by a rotation from its new socket's dial until its old socket is closed;
        waits while the client has no socket left for it (shards due together at
        ``max_sockets`` rotate one after the other instead of meeting KuCoin's 509)."""
        while not self.may_rotate():
            over = self._rotation_over = self._rotation_over or asyncio.Event()
            await over.wait()
        self._rotating += 1
        try:
            yield
        finally:
            self._rotating -= 1
            if self._rotation_over is not None:
                self._rotation_over.set()
                self._rotation_over = None

    @property
    def recent_dials(self) -> int:
        """Dials counted in the last ``window`` seconds."""
        self.dial_wait()  # forgets the older ones
        return len(self._dials)

    def dialed(self) -> None:
        """A socket is being dialled now."""
        self._dials.append(self._clock())

    def dial_wait(self) -> float:
        """Seconds until one more dial fits in the rate (0 when it fits now)."""
        now = self._clock()
        while self._dials and self._dials[0] <= now - self._window:
            self._dials.popleft()
        if len(self._dials) < self.max_dials:
            return 0.0
        return self._dials[0] + self._window - now
