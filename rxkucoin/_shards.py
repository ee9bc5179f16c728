"""Several sockets for one WsKey: a `ShardSet` spreads topics over `Connection`s.

KuCoin carries at most 300 subscriptions on one socket (PROTOCOL.md §3.5). A WsKey that
holds more opens further sockets, each a `Shard` (one `Connection`: its own token, socket,
reconnects, registry and router), and the shard set places every new topic:

1. on the shard that already holds it (a second subscriber shares the subscription);
2. else on a shard that still knows it (its unsubscribe in flight: taken again there, in
   the registry's order) or holds its all-symbols cover (a per-symbol Classic topic rides
   on it), if that shard has room;
3. else on the first shard with a socket and room, then on an idle shard with room;
4. else on a new shard, within the account's limits: at most ``max_sockets`` sockets per
   client (KuCoin: 50 per user) and at most ``max_dials`` new sockets per 60 s (30, a
   third-party figure). A topic that needs a socket the dial rate does not allow yet waits
   (it counts as unsettled for `ready`); one for which no socket may be opened is refused
   locally with `SubscriptionLimitReached`, and nothing is sent.

Room means fewer than 300 held topics (the registry's capacity, O(1)); a slot still taken on
the server by an unsubscribe in flight delays a subscribe, it does not refuse it. A key is
never on two shards, so no push arrives twice. A several-topic subscriber may span shards.

A shard other than the first closes its socket when its last topic goes (as any
connection does) and is then dropped from the set. The set's `state` is the first of
FAILED, RECONNECTING, CONNECTING, LIVE among shards with a socket (so LIVE only when every
such shard is), else CLOSED or IDLE; its `events` are every shard's, those of further
shards with ``shard #n:`` in front of their detail.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, Final

from reactivex import Observable, abc
from reactivex.disposable import Disposable
from reactivex.subject import BehaviorSubject, Subject

from ._events import ConnectionEvent, ConnectionState
from ._routes import SinkGroup, TopicSource
from ._shard import ACTIVE_STATES, Shard, ShardEvents, SocketBudget
from ._topics import TopicKey
from .exceptions import SubscriptionLimitReached
from .keys import WsKey

__all__ = ("ShardSet",)

log = logging.getLogger("rxkucoin.connection")

#: the set's state: the first of these any active shard is in
_PRECEDENCE: Final = (
    ConnectionState.FAILED,
    ConnectionState.RECONNECTING,
    ConnectionState.CONNECTING,
    ConnectionState.LIVE,
)


class _Waiting(abc.DisposableBase):
    """A subscriber of a topic that waits for the dial rate to allow a new socket."""

    __slots__ = ("inner", "key", "observer", "owner", "with_gaps")

    def __init__(
        self, owner: ShardSet, key: TopicKey, observer: abc.ObserverBase[Any], with_gaps: bool
    ) -> None:
        self.owner: ShardSet | None = owner
        self.key = key
        self.observer = observer
        self.with_gaps = with_gaps
        self.inner: abc.DisposableBase | None = None

    def dispose(self) -> None:
        owner = self.owner
        if owner is None:  # placed (or ended): the shard's sink takes it from here
            inner, self.inner = self.inner, None
            if inner is not None:
                inner.dispose()
            return
        if not owner.shards[0].at_home():
            owner.shards[0].post(self.dispose)
            return
        self.owner = None
        owner.forget(self)


class ShardSet:
    """The sockets of one WsKey, with the surface the client and the views use of a
    `Connection` (`stream`, `streams`, `state`, `events`, `settled`, `wait_settled`,
    `close_now`, `topics`, counters).

    Args:
        ws_key: which socket.
        new_shard: makes a shard (the client's settings), with no socket until a topic.
        budget: the client's socket budget, shared by its shard sets.
        report: receives what an event observer raised.
    """

    __slots__ = (
        "_budget",
        "_changed",
        "_closed",
        "_closing",
        "_made",
        "_new_shard",
        "_past",
        "_report",
        "_shards",
        "_timer",
        "_waiting",
        "events",
        "state",
        "ws_key",
    )

    def __init__(
        self,
        ws_key: WsKey,
        new_shard: Callable[[], Shard],
        budget: SocketBudget,
        report: Callable[[Exception], None] | None = None,
    ) -> None:
        self.ws_key = ws_key
        self._new_shard = new_shard
        self._budget = budget
        self._report = report or (lambda exc: log.error("rxkucoin: %s", exc))
        self.state: BehaviorSubject[ConnectionState] = BehaviorSubject(ConnectionState.IDLE)
        # replaced, never mutated: the watchdog's thread reads it during a stall
        self._shards: tuple[Shard, ...] = ()
        self._made = 0
        self._past = (0, 0, 0)  # retired shards' token fetches, undecodable, bad frames
        self._waiting: list[_Waiting] = []
        self._timer: asyncio.TimerHandle | None = None
        # made when first needed: most WsKeys never wait nor retire a shard
        self._changed: asyncio.Event | None = None
        self._closing: set[asyncio.Task[None]] | None = None
        self._closed = False
        budget.join(self)
        first = self._add(new_shard())
        self.events: Subject[ConnectionEvent] = first.events

    # --- what the client reads ------------------------------------------------------

    @property
    def shards(self) -> tuple[Shard, ...]:
        """The sockets of this WsKey, the first one first (it is never dropped)."""
        return self._shards

    @property
    def topics(self) -> frozenset[TopicKey]:
        """The topics held by at least one subscriber (those waiting for a socket too)."""
        held = frozenset().union(*(s.topics for s in self._shards))
        return held | {w.key for w in self._waiting}

    @property
    def token_fetches(self) -> int:
        """Tokens fetched so far, over every shard (dropped ones too)."""
        return self._past[0] + sum(s.token_fetches for s in self._shards)

    @property
    def undecodable(self) -> int:
        """Pushes that could not be decoded, over every shard (dropped ones too)."""
        return self._past[1] + sum(s.undecodable for s in self._shards)

    @property
    def bad_frames(self) -> int:
        """Frames whose envelope could not be read, over every shard (dropped ones too)."""
        return self._past[2] + sum(s.bad_frames for s in self._shards)

    @property
    def last_error(self) -> Exception | None:
        """Why a shard last failed to open or dropped (an unsettled one's first)."""
        shards = self._shards
        for shard in [s for s in shards if not s.settled] + list(shards):
            if shard.last_error is not None:
                return shard.last_error
        return None

    @property
    def delivering(self) -> str | None:
        """The topic whose subscribers are being called right now, if any."""
        for shard in self._shards:
            topic = shard.delivering
            if topic is not None:
                return topic
        return None

    def report_blocked(self, seconds: float, topic: str) -> None:
        """A subscriber of ``topic`` held the event loop (told by the delivering shard)."""
        shards = self._shards
        shard = next((s for s in shards if s.delivering == topic), shards[0])
        shard.report_blocked(seconds, topic)

    @property
    def settled(self) -> bool:
        """Every shard settled, and no topic waiting for a socket."""
        return not self._waiting and all(s.settled for s in self._shards)

    async def wait_settled(self) -> None:
        """Return once `settled`; raise a shard's fatal error if one failed for good."""
        while not self.settled:
            if self._waiting:
                changed = self._changed = self._changed or asyncio.Event()
                changed.clear()
                await changed.wait()
                continue
            for shard in self._shards:
                await shard.wait_settled()

    # --- streams --------------------------------------------------------------------

    def stream(self, key: TopicKey, *, with_gaps: bool = False) -> Observable[Any]:
        """The one hot Observable of ``key``, on whichever shard carries it."""
        first = self._shards[0]
        return TopicSource(
            lambda observer: self._attach(key, observer, with_gaps), first.at_home, first.post
        )

    def streams(self, keys: Sequence[TopicKey], *, with_gaps: bool = False) -> Observable[Any]:
        """One hot Observable of several topics, each on its shard (see
        `Connection.streams`)."""

        def attach(observer: abc.ObserverBase[Any]) -> abc.DisposableBase:
            return SinkGroup([self._attach(key, observer, with_gaps) for key in keys])

        first = self._shards[0]
        return TopicSource(attach, first.at_home, first.post)

    def _attach(
        self, key: TopicKey, observer: abc.ObserverBase[Any], with_gaps: bool
    ) -> abc.DisposableBase:
        if self._closed:
            return self._shards[0].attach(key, observer, with_gaps)  # ClientClosed
        if self._waiting:  # keep their order: a new socket is not allowed yet
            shard = self._existing(key)
            if shard is None:
                return self._wait(key, observer, with_gaps)
            return shard.attach(key, observer, with_gaps)
        placed = self._place(key)
        if isinstance(placed, Shard):
            return placed.attach(key, observer, with_gaps)
        if placed is None:
            return self._wait(key, observer, with_gaps)
        self._refuse(key, observer, placed)
        return Disposable()

    def _existing(self, key: TopicKey) -> Shard | None:
        """A shard that already has a socket and can take ``key`` (rules 1 to 3)."""
        shards = self._shards
        for shard in shards:
            if shard.holds(key):
                return shard
        for shard in shards:
            if shard.has_room and (shard.knows(key) or shard.covers(key)):
                return shard
        for shard in shards:
            if shard.has_room and shard.open:
                return shard
        return None

    def _place(self, key: TopicKey) -> Shard | SubscriptionLimitReached | None:
        """Where ``key`` goes: a shard, ``None`` to wait for the dial rate, or why not."""
        shard = self._existing(key)
        if shard is not None:
            return shard
        for shard in self._shards:
            if shard.has_room:  # idle: its socket opens with this topic
                return shard
        budget = self._budget
        if not budget.may_open():
            spare = f", {budget.spare} kept for rotations" if budget.spare else ""
            return SubscriptionLimitReached(
                str(key),
                f"the {len(self._shards)} socket(s) of {self.ws_key.value} carry 300 topics "
                f"each, and this client already has {budget.sockets} of its "
                f"max_sockets={budget.max_sockets} open{spare} (KuCoin allows 50 per user)",
            )
        if budget.dial_wait() > 0:
            return None
        return self._add(self._new_shard(), reserved=True)

    def _refuse(
        self, key: TopicKey, observer: abc.ObserverBase[Any], error: SubscriptionLimitReached
    ) -> None:
        log.warning("%s: %s", self.ws_key.value, error)
        self._emit(ConnectionEvent("exception", self.ws_key, time.time(), str(error), error))
        try:
            observer.on_error(error)
        except Exception as exc:
            self._report(exc)

    # --- waiting for the dial rate ------------------------------------------------------

    def _wait(
        self, key: TopicKey, observer: abc.ObserverBase[Any], with_gaps: bool
    ) -> abc.DisposableBase:
        waiting = _Waiting(self, key, observer, with_gaps)
        self._waiting.append(waiting)
        self._arm()
        return waiting

    def _arm(self) -> None:
        if self._timer is None and self._waiting:
            delay = self._budget.dial_wait()
            log.info(
                "%s: %d topic(s) wait %.1f s for a new socket (at most %d dials per minute)",
                self.ws_key.value,
                len(self._waiting),
                delay,
                self._budget.max_dials,
            )
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(max(delay, 0.001), self._place_waiting)

    def _place_waiting(self) -> None:
        self._timer = None
        while self._waiting:
            waiting = self._waiting[0]
            placed = self._place(waiting.key)
            if placed is None:
                break
            del self._waiting[0]
            waiting.owner = None
            if isinstance(placed, Shard):
                waiting.inner = placed.attach(waiting.key, waiting.observer, waiting.with_gaps)
            else:
                self._refuse(waiting.key, waiting.observer, placed)
        self._signal()
        self._arm()

    def forget(self, waiting: _Waiting) -> None:
        """A waiting subscriber left before it got its socket (on the loop)."""
        try:
            self._waiting.remove(waiting)
        except ValueError:
            return
        if not self._waiting and self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._signal()

    # --- the shards' lives ----------------------------------------------------------

    def _signal(self) -> None:
        if self._changed is not None:
            self._changed.set()

    def _add(self, shard: Shard, *, reserved: bool = False) -> Shard:
        self._made += 1
        shard.number = self._made
        shard.budget = self._budget
        if reserved:  # its first dial counts now, so a burst of topics opens no more
            self._budget.dialed()
            shard.reserved = True
        into = self._shards[0].events if self._shards else None
        assert into is None or isinstance(into, ShardEvents)
        shard.events = ShardEvents(self._budget, shard, into)
        self._shards = (*self._shards, shard)
        shard.state.subscribe(lambda state: self._on_state(shard, state))
        if self._made > 1:
            log.info("%s: shard #%d opens (topics beyond 300)", self.ws_key.value, shard.number)
        return shard

    def _on_state(self, shard: Shard, state: ConnectionState) -> None:
        if state in (ConnectionState.CONNECTING, ConnectionState.RECONNECTING):
            if shard.reserved:
                shard.reserved = False
            else:
                self._budget.dialed()
        elif state is ConnectionState.CLOSED and shard is not self._shards[0] and not self._closed:
            asyncio.get_running_loop().call_soon(self._retire, shard)
        self._signal()
        self._update_state(state)

    def _update_state(self, reported: ConnectionState) -> None:
        states = [s.state.value for s in self._shards]
        active = [st for st in states if st in ACTIVE_STATES]
        new: ConnectionState
        if active:
            new = next(st for st in _PRECEDENCE if st in active)
        elif ConnectionState.CLOSED in states:
            new = ConnectionState.CLOSED
        else:
            new = ConnectionState.IDLE
        # a shard's repeated state (another retry) is told again, as a lone connection does
        if new is not self.state.value or new is reported:
            try:
                self.state.on_next(new)
            except Exception as exc:  # an unguarded observer must not stall the shard
                self._report(exc)

    def _emit(self, event: ConnectionEvent) -> None:
        try:
            self.events.on_next(event)  # the first shard's events, which are the set's
        except Exception as exc:
            self._report(exc)

    def _retire(self, shard: Shard) -> None:
        """Drop an emptied shard (not the first) whose socket closed."""
        if (
            self._closed
            or shard not in self._shards[1:]
            or shard.held_count
            or shard.state.value is not ConnectionState.CLOSED
        ):
            return
        self._shards = tuple(s for s in self._shards if s is not shard)
        fetches, undecodable, bad = self._past
        self._past = (
            fetches + shard.token_fetches,
            undecodable + shard.undecodable,
            bad + shard.bad_frames,
        )
        self._keep_closing(shard.close_now())
        log.info("%s: shard #%d closed (emptied)", self.ws_key.value, shard.number)
        self._signal()
        self._update_state(self.state.value)

    def _keep_closing(self, tasks: list[asyncio.Task[None]]) -> None:
        closing = self._closing = self._closing or set()
        for task in tasks:
            if not task.done():
                closing.add(task)
                task.add_done_callback(closing.discard)

    def close_now(self) -> list[asyncio.Task[None]]:
        """Close every shard for good (client shutdown); see `Connection.close_now`.

        Returns:
            The tasks still ending, to await.
        """
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        waiting, self._waiting = self._waiting, []
        for w in waiting:
            w.owner = None
            try:
                w.observer.on_completed()
            except Exception as exc:
                self._report(exc)
        ending = [t for shard in self._shards for t in shard.close_now()]
        ending.extend(t for t in self._closing or () if not t.done())
        self._signal()
        return ending
