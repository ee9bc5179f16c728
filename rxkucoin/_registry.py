"""The topic registry of one connection: a state machine per topic, with no I/O.

Each topic key has a local reference count and the state of its own server subscription on
the current socket::

    IDLE ──subscribe sent──▶ SUBSCRIBING ──ack──▶ LIVE ──unsubscribe sent──▶ UNSUBSCRIBING
     ▲                           │ refused                                     │ answered
     └───────────────────────────┴─────────────────────────────────────────────┘

At most one request per topic is in flight, and the next one is decided only when it is
answered. So a topic released while its subscribe is in flight is unsubscribed when the ack
arrives (the server never keeps a subscription the client forgot), and a topic acquired
again while its unsubscribe is in flight is subscribed after that answer (the server ends
with the subscription, in that order). Topics that occupy or may occupy a server slot
(in flight, live, orphaned) count toward `MAX_TOPICS_PER_CONNECTION`.

Covering: a Classic per-symbol topic (``/contract/position:XBTUSDTM``) whose all-symbols
topic (``/contract/positionAll``) is held needs no server subscription of its own; it is live
whenever that broader topic is, and pushes are routed to both, so no push arrives twice.
When the cover comes or goes, the symbol's own subscription is dropped only once the cover
is live, and the cover is unsubscribed only once the symbol's own subscription is: no hole.

The connection's request flow (`_requests`) asks `take_requests` what to send, reports the
answers (`acked`, `refused`), and tells the socket's turnover (`new_socket`, `socket_lost`).
Times are the caller's monotonic clock.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from ._topics import MAX_TOPICS_PER_CONNECTION, TopicKey, covering_keys
from .keys import Dialect

__all__ = ("Refusal", "Requests", "TopicRegistry", "TopicState")

Kind = Literal["subscribe", "unsubscribe"]


class TopicState(enum.Enum):
    """A topic's own server subscription on the current socket (``COVERED``: it has none,
    a broader live topic carries it; only `TopicRegistry.state` reports that)."""

    IDLE = "idle"
    SUBSCRIBING = "subscribing"
    LIVE = "live"
    UNSUBSCRIBING = "unsubscribing"
    COVERED = "covered"


@dataclass(slots=True)
class _Entry:
    refs: int = 0
    server: TopicState = TopicState.IDLE
    generation: int = 0  # the socket its request was sent on
    accepted: bool = False  # the server acknowledged it once: a later refusal is a replay's
    solo: bool = False  # a batch with it was refused: send it in a frame of its own
    attempts: int = 0  # refusals in a row
    retry_at: float | None = None  # no request before this time


@dataclass(frozen=True, slots=True)
class Requests:
    """What to send now: ``subscribe`` in groups (each may share frames, `batch_requests`),
    ``unsubscribe``; answers name the socket ``generation`` they were sent on."""

    generation: int
    subscribe: tuple[tuple[TopicKey, ...], ...] = ()
    unsubscribe: tuple[TopicKey, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.subscribe or self.unsubscribe)


@dataclass(frozen=True, slots=True)
class Refusal:
    """What a refusal means for the topics it named."""

    retry: tuple[TopicKey, ...] = ()  # asked again after ``delay`` seconds
    delay: float = 0.0
    replay: bool = False  # the retried topics had been accepted before
    split: tuple[TopicKey, ...] = ()  # of a refused batch: each in a frame of its own, at once
    failed: tuple[TopicKey, ...] = ()  # refused for good on a first subscribe: tell them


def _default_backoff(attempt: int) -> float:
    return float(min(0.5 * 2**attempt, 30.0))


class TopicRegistry:
    """Reference counts and per-topic server state of one connection.

    Args:
        backoff: attempt number (0 first) to seconds before a refused request is tried again.
        capacity: server subscriptions one socket may hold.
    """

    def __init__(
        self,
        backoff: Callable[[int], float] = _default_backoff,
        capacity: int = MAX_TOPICS_PER_CONNECTION,
    ) -> None:
        self._entries: dict[TopicKey, _Entry] = {}
        self._backoff = backoff
        self._capacity = capacity
        self._generation = 0
        self._connected = False
        self._reported: set[TopicKey] = set()  # held topics last reported live
        self._held_count = 0  # entries with refs: `over_capacity` is asked on every acquire

    # --- what is held ---------------------------------------------------------------

    @property
    def held(self) -> frozenset[TopicKey]:
        """Topics with at least one subscriber."""
        return frozenset(k for k, e in self._entries.items() if e.refs)

    def holds(self, key: TopicKey) -> bool:
        """Whether ``key`` has a subscriber."""
        entry = self._entries.get(key)
        return entry is not None and entry.refs > 0

    @property
    def over_capacity(self) -> bool:
        """More topics are held than one socket can carry."""
        return self._held_count > self._capacity

    @property
    def held_count(self) -> int:
        """How many topics have a subscriber (O(1): a shard set asks on every placement)."""
        return self._held_count

    @property
    def capacity(self) -> int:
        """Server subscriptions one socket may hold."""
        return self._capacity

    def knows(self, key: TopicKey) -> bool:
        """Whether ``key`` has any state here: held, or a server subscription being undone."""
        return key in self._entries

    def acquire(self, key: TopicKey) -> bool:
        """Count a subscriber; ``True`` for the topic's first one."""
        entry = self._entries.setdefault(key, _Entry())
        entry.refs += 1
        if entry.refs > 1:
            return False
        self._held_count += 1
        return True

    def release(self, key: TopicKey) -> bool:
        """Uncount a subscriber; ``True`` when it was the last one."""
        entry = self._entries.get(key)
        if entry is None or entry.refs == 0:
            return False
        entry.refs -= 1
        if entry.refs:
            return False
        self._held_count -= 1
        self._forget_if_done(key, entry)
        return True

    def drop(self, key: TopicKey) -> None:
        """Forget ``key``'s subscribers (refused for good, or the connection failed); a
        subscription the server has or may have is still unsubscribed."""
        entry = self._entries.get(key)
        if entry is not None:
            self._held_count -= entry.refs > 0
            entry.refs = 0
            self._forget_if_done(key, entry)

    def clear(self) -> None:
        """Forget everything (the client is closing); answers still on their way are ignored."""
        self._entries.clear()
        self._reported.clear()
        self._held_count = 0
        self._generation += 1
        self._connected = False

    def _forget_if_done(self, key: TopicKey, entry: _Entry) -> None:
        if entry.refs == 0 and entry.server is TopicState.IDLE:
            del self._entries[key]
            self._reported.discard(key)
            if not self._entries:  # a dict keeps its largest table: let it go with the last
                self._entries = {}
                self._reported = set()

    # --- state ----------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        """A socket is there to send requests on."""
        return self._connected

    def state(self, key: TopicKey) -> TopicState:
        """``key``'s own server state, or `TopicState.COVERED` when a broader live topic
        carries it."""
        entry = self._entries.get(key)
        if entry is None:
            return TopicState.IDLE
        if entry.server is TopicState.IDLE and entry.refs and self._cover_live(key):
            return TopicState.COVERED
        return entry.server

    def is_live(self, key: TopicKey) -> bool:
        """Whether pushes of ``key`` arrive on the current socket: its own subscription is
        acknowledged, or a broader topic's is."""
        entry = self._entries.get(key)
        if entry is not None and entry.server is TopicState.LIVE:
            return True
        return self._cover_live(key)

    def _cover_live(self, key: TopicKey) -> bool:
        for cover in covering_keys(key):
            entry = self._entries.get(cover)
            if entry is not None and entry.server is TopicState.LIVE:
                return True
        return False

    @property
    def live_count(self) -> int:
        """How many held topics are live on the current socket."""
        return sum(1 for k, e in self._entries.items() if e.refs and self.is_live(k))

    @property
    def settled(self) -> bool:
        """Every held topic is live."""
        return all(self.is_live(k) for k, e in self._entries.items() if e.refs)

    @property
    def idle(self) -> bool:
        """Nothing held, nothing in flight, nothing left on the server: the socket may close."""
        return not self._entries

    @property
    def in_use(self) -> int:
        """Server slots taken or about to be: subscriptions in flight, live or being undone."""
        return sum(1 for e in self._entries.values() if e.server is not TopicState.IDLE)

    def server_subscriptions(self) -> list[TopicKey]:
        """Topics with a live server subscription of their own on the current socket."""
        live = [k for k, e in self._entries.items() if e.server is TopicState.LIVE]
        return sorted(live, key=str)

    def newly_live(self) -> list[TopicKey]:
        """Held topics that became live since the last call (each owes its Gap, if any)."""
        live = {k for k, e in self._entries.items() if e.refs and self.is_live(k)}
        new = live - self._reported
        self._reported = live
        return sorted(new, key=str)

    def next_deadline(self, now: float) -> float | None:
        """The earliest time after ``now`` at which a refused request may be tried again."""
        times = (e.retry_at for e in self._entries.values() if e.retry_at is not None)
        return min((t for t in times if t > now), default=None)

    # --- the socket's turnover ------------------------------------------------------

    def new_socket(self) -> list[TopicKey]:
        """A new socket is welcomed: nothing is on its server yet; returns the held topics,
        which `take_requests` now replays."""
        self._reset()
        self._connected = True
        return sorted(self.held, key=str)

    def socket_lost(self) -> set[TopicKey]:
        """The socket died; returns the held topics that were live on it."""
        live = {k for k, e in self._entries.items() if e.refs and self.is_live(k)}
        self._reset()
        self._connected = False
        return live

    def _reset(self) -> None:
        self._generation += 1
        self._reported.clear()
        self._entries = {
            k: _Entry(refs=e.refs, accepted=e.accepted) for k, e in self._entries.items() if e.refs
        }

    # --- requests -------------------------------------------------------------------

    def take_requests(self, now: float) -> Requests:
        """What to send now; the topics named are in flight from here on."""
        if not self._connected:
            return Requests(self._generation)
        slots = self._capacity - self.in_use
        batch: list[TopicKey] = []
        solo: list[TopicKey] = []
        for key in sorted(self._entries, key=str):
            entry = self._entries[key]
            if not entry.refs or entry.server is not TopicState.IDLE or self._waits(entry, now):
                continue
            if self._held_cover(key) is not None or slots <= 0:
                continue  # rides on a held broader topic, or waits for a free slot
            slots -= 1
            self._send(entry)
            (solo if entry.solo else batch).append(key)
        unsubscribe = [
            key
            for key in sorted(self._entries, key=str)
            if self._should_unsubscribe(key, self._entries[key], now)
        ]
        for key in unsubscribe:
            self._send(self._entries[key], TopicState.UNSUBSCRIBING)
        groups = ((tuple(batch),) if batch else ()) + tuple((k,) for k in solo)
        return Requests(self._generation, groups, tuple(unsubscribe))

    def _send(self, entry: _Entry, state: TopicState = TopicState.SUBSCRIBING) -> None:
        entry.server = state
        entry.generation = self._generation
        entry.retry_at = None

    @staticmethod
    def _waits(entry: _Entry, now: float) -> bool:
        return entry.retry_at is not None and entry.retry_at > now

    def _held_cover(self, key: TopicKey) -> TopicKey | None:
        for cover in covering_keys(key):
            if self.holds(cover):
                return cover
        return None

    def _should_unsubscribe(self, key: TopicKey, entry: _Entry, now: float) -> bool:
        if entry.server is not TopicState.LIVE or self._waits(entry, now):
            return False
        if entry.refs:  # held: its own subscription goes once a held cover is live
            cover = self._held_cover(key)
            return cover is not None and self._entries[cover].server is TopicState.LIVE
        return not self._carries(key, now)

    def _carries(self, cover: TopicKey, now: float) -> bool:
        """Whether an orphaned broad subscription still carries a held symbol whose own
        subscription is on its way (so unsubscribing it now would leave a hole)."""
        if cover.symbol is not None or cover.ws_key.dialect is not Dialect.CLASSIC:
            return False
        for key, entry in self._entries.items():
            if not entry.refs or cover not in covering_keys(key) or self._held_cover(key):
                continue
            if entry.server in (TopicState.SUBSCRIBING, TopicState.UNSUBSCRIBING):
                return True
            if entry.server is TopicState.IDLE and self._waits(entry, now):
                return True
        return False

    def _answered(
        self, kind: Kind, keys: Iterable[TopicKey], generation: int
    ) -> list[tuple[TopicKey, _Entry]]:
        """The entries a request's answer applies to: in flight for it on that socket (an
        answer from a socket that is gone applies to nothing)."""
        expect = TopicState.SUBSCRIBING if kind == "subscribe" else TopicState.UNSUBSCRIBING
        found = ((k, self._entries.get(k)) for k in keys)
        return [
            (k, e)
            for k, e in found
            if e is not None and e.server is expect and e.generation == generation
        ]

    def acked(self, kind: Kind, keys: Iterable[TopicKey], generation: int) -> None:
        """The server acknowledged a request for ``keys`` sent on socket ``generation``."""
        for key, entry in self._answered(kind, keys, generation):
            entry.attempts = 0
            if kind == "subscribe":
                entry.server = TopicState.LIVE
                entry.accepted = True
                entry.solo = False
            else:
                entry.server = TopicState.IDLE
                self._forget_if_done(key, entry)

    def refused(
        self, kind: Kind, keys: Iterable[TopicKey], generation: int, *, transient: bool, now: float
    ) -> Refusal:
        """The server refused a request for ``keys`` sent on socket ``generation``.

        Args:
            transient: the refusal may pass by itself (rate limit, busy server).
            now: the current time, from which a retry is scheduled.
        """
        batch = list(keys)
        answered = self._answered(kind, batch, generation)
        if kind == "unsubscribe":
            # a rate refusal leaves the subscription on the server: ask again later;
            # anything else means the server does not have it
            for key, entry in answered:
                entry.server = TopicState.LIVE if transient else TopicState.IDLE
                if transient:
                    self._schedule_retry([entry], now)
                else:
                    self._forget_if_done(key, entry)
            return Refusal()
        for key, entry in answered:
            entry.server = TopicState.IDLE
            self._forget_if_done(key, entry)
        held = [(k, e) for k, e in answered if e.refs]
        if not held:
            return Refusal()
        if transient:
            delay = self._schedule_retry([e for _, e in held], now)
            return Refusal(retry=tuple(k for k, _ in held), delay=delay)
        if len(batch) > 1:  # find the topic at fault: each on its own, at once
            for _, entry in held:
                entry.solo = True
            return Refusal(split=tuple(k for k, _ in held))
        ((key, entry),) = held
        if entry.accepted:  # a replay: the server took it before, so it may again
            delay = self._schedule_retry([entry], now)
            return Refusal(retry=(key,), delay=delay, replay=True)
        entry.refs = 0
        self._held_count -= 1
        self._forget_if_done(key, entry)
        return Refusal(failed=(key,))

    def _schedule_retry(self, entries: list[_Entry], now: float) -> float:
        attempt = max(e.attempts for e in entries)
        delay = self._backoff(attempt)
        for entry in entries:
            entry.attempts = attempt + 1
            entry.retry_at = now + delay
        return delay
