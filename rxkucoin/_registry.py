"""The topic registry of one connection: held topics, acknowledgements, pending requests.

It lives outside the socket's life, so every new socket replays it; it does no I/O. The
connection asks it what to send and tells it what the server answered.

Covering: a Classic per-symbol topic (``/contract/position:XBTUSDTM``) whose all-symbols
topic (``/contract/positionAll``) is held needs no server subscription of its own; it is
live whenever that broader topic is, and pushes are routed to both. So no push arrives
twice, however KuCoin tags a broad subscription's pushes.
"""

from __future__ import annotations

from collections.abc import Iterable

from ._topics import TopicKey, covering_keys
from .keys import Dialect

__all__ = ("MAX_SUBSCRIBE_RETRIES", "TopicRegistry")

#: How often a subscribe refused for a transient reason (rate, busy) is tried again.
MAX_SUBSCRIBE_RETRIES = 5


class TopicRegistry:
    """Reference counts, server state and pending requests of one connection's topics."""

    def __init__(self) -> None:
        self._refs: dict[TopicKey, int] = {}
        self._acked: set[TopicKey] = set()  # live: acknowledged, or covered by a live topic
        self._covered: set[TopicKey] = set()  # live through an all-symbols subscription
        self._to_subscribe: set[TopicKey] = set()
        self._to_unsubscribe: set[TopicKey] = set()
        self._refusals: dict[TopicKey, int] = {}

    # --- what is held ---------------------------------------------------------------

    @property
    def held(self) -> frozenset[TopicKey]:
        """Topics with at least one subscriber."""
        return frozenset(self._refs)

    def holds(self, key: TopicKey) -> bool:
        """Whether ``key`` has a subscriber."""
        return key in self._refs

    def is_live(self, key: TopicKey) -> bool:
        """Whether ``key`` is acknowledged (or covered) on the current socket."""
        return key in self._acked

    @property
    def live_count(self) -> int:
        """How many topics are live on the current socket."""
        return len(self._acked)

    @property
    def settled(self) -> bool:
        """Every held topic is live."""
        return self._acked >= self._refs.keys()

    def acquire(self, key: TopicKey) -> bool:
        """Count a subscriber; ``True`` for the topic's first one."""
        count = self._refs.get(key, 0)
        self._refs[key] = count + 1
        if count:
            return False
        self._to_unsubscribe.discard(key)
        return True

    def release(self, key: TopicKey) -> bool:
        """Uncount a subscriber; ``True`` (and requests queued) when it was the last one."""
        count = self._refs.get(key, 0) - 1
        if count > 0:
            self._refs[key] = count
            return False
        self._refs.pop(key, None)
        self._to_subscribe.discard(key)
        if key in self._covered:  # it never had a server subscription of its own
            self._covered.discard(key)
            self._acked.discard(key)
            return True
        for orphan in self._uncovered_by(key):
            # subscribed before the cover goes (the flush subscribes first), so no hole
            self._covered.discard(orphan)
            self._to_subscribe.add(orphan)
        if key in self._acked:
            self._to_unsubscribe.add(key)
        return True

    def drop(self, key: TopicKey) -> None:
        """Forget ``key`` entirely (the server refused it, or the connection failed)."""
        self._refs.pop(key, None)
        self._acked.discard(key)
        self._covered.discard(key)
        self._to_subscribe.discard(key)

    def _uncovered_by(self, cover: TopicKey) -> list[TopicKey]:
        return [
            k
            for k in self._covered
            if cover in covering_keys(k)
            and not any(c in self._refs for c in covering_keys(k) if c != cover)
        ]

    # --- requests -------------------------------------------------------------------

    def want(self, key: TopicKey) -> None:
        """Queue a subscribe for ``key`` unless it is live already."""
        if key not in self._acked:
            self._to_subscribe.add(key)

    def want_again(self, keys: Iterable[TopicKey]) -> bool:
        """Queue a subscribe for those of ``keys`` still held and not live; ``True`` if any."""
        waiting = [k for k in keys if k in self._refs and k not in self._acked]
        self._to_subscribe.update(waiting)
        return bool(waiting)

    @property
    def has_pending(self) -> bool:
        """Requests are waiting for the next flush."""
        return bool(self._to_subscribe or self._to_unsubscribe)

    def take_pending(self) -> tuple[list[TopicKey], list[TopicKey]]:
        """The queued subscribes (of held topics) and unsubscribes, emptying the queues."""
        subscribe = [k for k in self._to_subscribe if k in self._refs]
        unsubscribe = sorted(self._to_unsubscribe, key=str)
        self._to_subscribe, self._to_unsubscribe = set(), set()
        return subscribe, unsubscribe

    def plan(self, keys: Iterable[TopicKey]) -> tuple[list[TopicKey], list[TopicKey]]:
        """Split ``keys`` into those needing a server subscription and those covered.

        Returns:
            ``(direct, live)``: the keys to subscribe on the server, and covered keys that
            are live at once because their cover already is.
        """
        direct: list[TopicKey] = []
        live: list[TopicKey] = []
        for key in keys:
            covers = [c for c in covering_keys(key) if c in self._refs]
            if not covers:
                self._covered.discard(key)
                direct.append(key)
                continue
            self._covered.add(key)
            if any(c in self._acked for c in covers):
                self._acked.add(key)
                live.append(key)
        return direct, live

    def acknowledged(self, key: TopicKey) -> list[TopicKey]:
        """The server acknowledged ``key``; returns every topic that became live by it.

        Per-symbol topics that ``key`` covers become live too; those that had their own
        server subscription get an unsubscribe queued.
        """
        self._refusals.pop(key, None)
        if key not in self._refs:
            return []
        self._acked.add(key)
        live = [key]
        if key.symbol is not None or key.ws_key.dialect is Dialect.PRO:
            return live  # only Classic all-symbols topics cover anything
        for other in self._refs:
            if key not in covering_keys(other):
                continue
            if other not in self._covered and other in self._acked:
                self._to_unsubscribe.add(other)
            self._covered.add(other)
            self._acked.add(other)
            live.append(other)
        return live

    def unsubscribed(self, key: TopicKey) -> None:
        """An unsubscribe for ``key`` was sent; it stays live if it is still held (covered)."""
        if key not in self._refs:
            self._acked.discard(key)

    def refused(self, keys: Iterable[TopicKey]) -> int | None:
        """Count a transient refusal of ``keys``; the attempt number, or ``None`` when they
        were refused `MAX_SUBSCRIBE_RETRIES` times already."""
        batch = list(keys)
        attempt = max(self._refusals.get(key, 0) for key in batch)
        if attempt >= MAX_SUBSCRIBE_RETRIES:
            return None
        for key in batch:
            self._refusals[key] = attempt + 1
        return attempt

    # --- the socket's turnover ------------------------------------------------------

    def new_socket(self) -> list[TopicKey]:
        """A new socket starts with nothing live; returns every held topic to replay."""
        self._acked.clear()
        self._covered.clear()
        self._to_subscribe.clear()
        return list(self._refs)

    def socket_lost(self) -> set[TopicKey]:
        """The socket died; returns the topics that were live on it."""
        live, self._acked = self._acked, set()
        return live

    def server_subscriptions(self) -> list[TopicKey]:
        """Topics with a server subscription of their own on the current socket."""
        return sorted(self._acked - self._covered, key=str)

    def clear(self) -> None:
        """Forget everything (the client is shutting down, or the last topic left)."""
        self._refs.clear()
        self._acked.clear()
        self._covered.clear()
        self._to_subscribe.clear()
        self._to_unsubscribe.clear()
