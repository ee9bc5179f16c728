"""`KucoinStreams`: the object a user holds. It owns the aiohttp session (unless the caller
shares one), the scheduler and one connection per WsKey, and hands out the hot topic
Observables."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any, ClassVar, Literal, TypeVar

import aiohttp
from reactivex import Observable
from reactivex.scheduler.eventloop import AsyncIOScheduler

from ._affinity import on_loop
from ._auth import Credentials
from ._events import ConnectionEvent, ConnectionState
from ._rest_api import KucoinRest
from ._rotation import DEFAULT_MAX_SOCKET_AGE
from ._shard import MAX_SOCKETS_PER_USER, Shard, SocketBudget
from ._shards import ShardSet
from ._stream import TopicStream
from ._topics import parse_topics
from ._typed_streams import Subscription
from ._views import AccountViews
from ._watchdog import LoopWatchdog
from .exceptions import ClientClosed, CredentialsError, InvalidTopic, NotReady
from .keys import Endpoints, WsKey
from .operators import isolate

__all__ = ("KucoinStreams",)

log = logging.getLogger("rxkucoin")


_T = TypeVar("_T")

#: Seconds `KucoinStreams.aclose` may take beyond ``close_timeout``: cancelling what is
#: left of the sockets' tasks and closing the HTTP session.
CLOSE_MARGIN = 1.0


class KucoinStreams(AccountViews):
    """KuCoin's private streams as hot Observables.

    Use it as an async context manager on the event loop that will run the streams::

        async with KucoinStreams(credentials, endpoints=sim.endpoints) as streams:
            streams.spot_orders().subscribe(print)

    Every stream it returns is hot and shared: subscribing the same topic twice uses one
    server subscription on one socket; the socket opens with the first topic of its WsKey
    and closes after the last one is released. Transient failures never error a stream;
    they reconnect with a fresh token, and a stream's ``.with_gaps()`` twin carries a
    `Gap` marker, in order with the data, for each outage.

    Args:
        credentials: API credentials; `Credentials.from_env()` when ``None`` and private
            topics are used.
        endpoints: where KuCoin is; KuCoin's global hosts by default, or a simulator's
            ``sim.endpoints``.
        backoff: attempt number to seconds between reconnects (jittered exponential by
            default).
        on_subscriber_error: receives exceptions raised by subscribers' callbacks (those
            subscribers are dropped; everyone else goes on). Logged by default.
        pro_auth: how the Pro socket authenticates: ``"signed"`` (KuCoin's current
            ``op: auth`` frame; after a failed handshake one attempt uses a token, then
            the signed frame again) or ``"token"`` (token in the URL, always).
        rest_timeout: seconds a REST call (a token, a snapshot) may take.
        welcome_timeout: seconds a new socket may take to send its welcome (and, on Pro,
            to answer the signed auth).
        ack_timeout: seconds the server may take to answer a subscribe or unsubscribe.
        close_timeout: seconds a socket's clean close may take; `aclose` returns within
            ``close_timeout + CLOSE_MARGIN`` seconds whatever the server does.
        max_attempts: give up after this many failed connection attempts in a row (each
            stream of the WsKey then errors with the last cause, and `ready` raises it);
            ``None`` (the default) retries for ever with backoff.
        blocked_threshold: a subscriber holding the event loop longer than this many
            seconds is reported (a ``blocked`` event naming the topic, and a WARNING);
            ``None`` turns the watchdog off. Clients on one loop with the same threshold
            share one watchdog (one thread), which reports each stall once.
        http: an `aiohttp.ClientSession` that you own, to share between clients (one
            client per account, say). The client uses it for its tokens, sockets and REST
            calls but never closes it: `aclose` leaves it open, and closing it is up to
            you, after the clients that use it. Create it on the loop that runs the
            clients. Each socket holds one of the session's connections for its whole
            life, so give it a connector without a limit
            (``aiohttp.TCPConnector(limit=0)``) or one above all the clients' sockets
            plus their REST calls: with aiohttp's default of 100, the 101st socket's
            token call waits for a free connection until it times out. When the session
            is closed under a client, that client's sockets die and its streams error
            with `ClientClosed`, as do new streams and `rest`. ``None`` (the default):
            the client opens a session of its own and closes it in `aclose`.
        max_sockets: sockets this client may have open at once, over all its WsKeys
            (KuCoin allows 50 per user; lower it when other programs use the account). A
            WsKey holding more than 300 topics opens further sockets; a topic that would
            need a socket beyond this gets `SubscriptionLimitReached`, and nothing is
            sent. While sockets rotate (``max_socket_age``), one of them is kept free for
            a rotation's new socket; rotations due together take turns with it.
        max_socket_age: seconds after which each socket is replaced by a new one before
            KuCoin cuts it at 24 h (23.5 h by default, up to 2% earlier at random):
            the new socket is subscribed while the old one still delivers, so a planned
            rotation costs no Gap and loses or repeats no push. ``None``: never (KuCoin's
            cut is then an ordinary drop, with a Gap on every topic).

    Any thread may build streams and subscribe or dispose them: the work is carried out on
    the loop the client was entered on, and every subscriber (of a topic stream, of
    `state` or of `events`) is called on that loop's thread. Several clients (one per
    account) may run on one loop, each with its own sockets, and share one ``http``
    session.
    """

    def __init__(
        self,
        credentials: Credentials | None = None,
        *,
        endpoints: Endpoints | None = None,
        backoff: Callable[[int], float] | None = None,
        on_subscriber_error: Callable[[Exception], None] | None = None,
        pro_auth: Literal["signed", "token"] = "signed",
        rest_timeout: float = 10.0,
        welcome_timeout: float = 10.0,
        ack_timeout: float = 10.0,
        close_timeout: float = 2.0,
        max_attempts: int | None = None,
        blocked_threshold: float | None = 0.5,
        http: aiohttp.ClientSession | None = None,
        max_sockets: int = MAX_SOCKETS_PER_USER,
        max_socket_age: float | None = DEFAULT_MAX_SOCKET_AGE,
    ) -> None:
        for name, value in (
            ("rest_timeout", rest_timeout),
            ("welcome_timeout", welcome_timeout),
            ("ack_timeout", ack_timeout),
            ("close_timeout", close_timeout),
        ):
            if not value > 0:
                raise ValueError(f"{name} must be a positive number of seconds, got {value!r}")
        if max_sockets < 1:
            raise ValueError(f"max_sockets must be at least 1, got {max_sockets!r}")
        if max_attempts is not None and max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1 or None, got {max_attempts!r}")
        if max_socket_age is not None and not max_socket_age > 0:
            raise ValueError(f"max_socket_age must be positive or None, got {max_socket_age!r}")
        if pro_auth not in ("signed", "token"):
            raise ValueError(f"pro_auth must be 'signed' or 'token', got {pro_auth!r}")
        self._credentials = credentials
        self._endpoints = endpoints or Endpoints()
        self._backoff = backoff
        self._report = _guarded(on_subscriber_error) if on_subscriber_error else _log_error
        self._pro_auth: Literal["signed", "token"] = pro_auth
        self._rest_timeout = rest_timeout
        self._welcome_timeout = welcome_timeout
        self._ack_timeout = ack_timeout
        self._close_timeout = close_timeout
        self._max_attempts = max_attempts
        self._max_socket_age = max_socket_age
        self._blocked_threshold = blocked_threshold
        self._watch: _SharedWatch | None = None
        self._http: aiohttp.ClientSession | None = None
        self._shared_http = http  # the caller's: used, never closed
        self._scheduler: AsyncIOScheduler | None = None
        self._rest: KucoinRest | None = None
        # Written from any thread without a lock: every access is one dict operation
        # (get, setdefault, copy, clear), atomic under the GIL (and locked per dict on
        # free-threaded builds), so the loop thread never waits on a lock.
        self._connections: dict[WsKey, ShardSet] = {}
        self._budget = SocketBudget(max_sockets, spare=0 if max_socket_age is None else 1)
        self._views = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False

    @property
    def close_bound(self) -> float:
        """Seconds `aclose` takes at most: ``close_timeout + CLOSE_MARGIN``."""
        return self._close_timeout + CLOSE_MARGIN

    async def __aenter__(self) -> KucoinStreams:
        loop = self._loop = asyncio.get_running_loop()
        self._closed = False
        if self._shared_http is not None and self._shared_http.closed:
            raise ClientClosed("the aiohttp session given as http= is already closed")
        self._http = self._shared_http
        if self._http is None:
            # no pool limit: every socket holds a pooled connection, and aiohttp's default of
            # 100 would leave the 101st socket's token call waiting until it times out
            self._http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        self._scheduler = AsyncIOScheduler(loop)
        self._rest = self._rest_client(self._http)
        if self._blocked_threshold is not None:
            self._watch = _SharedWatch.join(loop, self._blocked_threshold, self)
        return self

    def _delivering(self) -> tuple[ShardSet, str] | None:
        """What the loop is delivering (asked by the watchdog's thread during a stall)."""
        for connection in list(self._connections.copy().values()):
            topic = connection.delivering
            if topic is not None:
                return connection, topic
        return None

    def _blocked(self, seconds: float, where: tuple[ShardSet, str] | None) -> None:
        if where is None:
            log.warning(
                "the event loop was blocked for %.2f s (not by a stream subscriber)", seconds
            )
        else:
            where[0].report_blocked(seconds, where[1])

    def _rest_client(self, http: aiohttp.ClientSession) -> KucoinRest:
        return KucoinRest(http, self._endpoints, self._credentials, timeout=self._rest_timeout)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close every socket and the HTTP session (unless it was given as ``http``),
        in bounded time.

        Every stream this client handed out completes (``on_completed``; an ``async for``
        over one ends), without unsubscribing its topics first. Each socket gets
        ``close_timeout`` seconds to close cleanly and is then dropped, so this returns
        within `close_bound` seconds even if the server stopped answering. Afterwards, a
        stream subscribed again gets `ClientClosed`, and so does a new stream or `rest`.
        Closing twice is harmless.
        """
        self._closed = True
        watch, self._watch = self._watch, None
        if watch is not None:
            watch.leave(self)
        connections = list(self._connections.copy().values())
        self._connections.clear()
        closing = {t for c in connections for t in c.close_now()}
        if closing:
            _, late = await asyncio.wait(closing, timeout=self._close_timeout)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late, timeout=CLOSE_MARGIN / 2)
                log.warning(
                    "%d socket(s) did not close within %.1f s and were dropped",
                    len(late),
                    self._close_timeout,
                )
        http, self._http = self._http, None
        if http is not None and http is not self._shared_http:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(CLOSE_MARGIN / 2):
                    await http.close()

    @property
    def scheduler(self) -> AsyncIOScheduler:
        """The scheduler every time-based operator of this client runs on."""
        self._check_open()
        assert self._scheduler is not None
        return self._scheduler

    @property
    def rest(self) -> KucoinRest:
        """Signed REST calls to the same hosts, for reconciling after a `Gap`.

        ``await streams.rest.get_json(Market.SPOT, "/api/v1/hf/orders/active",
        {"symbol": "BTC-USDT"})`` returns KuCoin's ``data`` as plain JSON values.
        """
        self._check_open()
        assert self._rest is not None
        return self._rest

    def _check_open(self) -> None:
        if self._closed:
            raise ClientClosed("this KucoinStreams is closed")
        if self._http is None or self._rest is None or self._scheduler is None:
            raise RuntimeError("use KucoinStreams inside `async with`")
        if self._http.closed:
            raise ClientClosed("the aiohttp session this KucoinStreams uses was closed")

    async def ready(
        self,
        *ws_keys: WsKey | str,
        timeout: float = 10.0,  # noqa: ASYNC109 - a default bound, so nobody waits for ever
    ) -> None:
        """Wait until every topic subscribed so far is acknowledged by the server.

        Pushes sent before a topic's acknowledgement cannot reach it, so a test or a
        strategy that acts right after subscribing should wait here first. A subscribe
        made on another thread counts once the loop has carried it out.

        Args:
            ws_keys: the connections to wait for; every connection with topics if none.
            timeout: seconds to wait at most.

        Raises:
            NotReady: not settled within ``timeout``; its ``causes`` say, for each
                connection still waiting, the last error it met (DNS, refused connection,
                TLS, an HTTP status, a dropped socket), or ``None`` if none yet. It is a
                `TimeoutError` too.
            AuthError: the credentials were rejected (or another fatal error that stopped
                a connection for good, such as the last cause after ``max_attempts``).
        """
        await asyncio.sleep(0)  # subscribes other threads already handed to the loop run first
        if ws_keys:
            connections = [self.connection(k) for k in ws_keys]
        else:
            connections = [c for c in self._connections.copy().values() if c.topics]
        try:
            async with asyncio.timeout(timeout):
                for connection in connections:
                    await connection.wait_settled()
        except TimeoutError:
            waiting = [c for c in connections if not c.settled]
            if not waiting:
                return
            causes = {c.ws_key.value: c.last_error for c in waiting}
            first = next((e for e in causes.values() if e is not None), None)
            raise NotReady(causes, timeout) from first

    def connection(self, ws_key: WsKey | str) -> ShardSet:
        """The connection of ``ws_key``: its sockets, one per 300 topics (created on first
        use; no socket until a topic)."""
        key = WsKey(ws_key)
        self._check_open()
        existing = self._connections.get(key)
        if existing is not None:
            return existing
        assert self._http is not None and self._scheduler is not None
        if key.is_private and self._credentials is None:
            try:
                self._credentials = Credentials.from_env()
            except CredentialsError as exc:
                raise CredentialsError(
                    f"{key.value} is private: pass credentials to KucoinStreams or set the "
                    f"environment ({exc})",
                    exc.missing,
                ) from None
            self._rest = self._rest_client(self._http)
        assert self._rest is not None
        rest = self._rest

        def new_shard() -> Shard:
            assert self._http is not None and self._scheduler is not None
            return Shard(
                key,
                self._http,
                rest,
                self._scheduler,
                credentials=self._credentials,
                endpoints=self._endpoints,
                backoff=self._backoff,
                report=self._report,
                pro_auth=self._pro_auth,
                loop=self._loop,
                welcome_timeout=self._welcome_timeout,
                ack_timeout=self._ack_timeout,
                close_timeout=self._close_timeout,
                max_attempts=self._max_attempts,
                max_socket_age=self._max_socket_age,
            )

        connection = ShardSet(key, new_shard, self._budget, report=self._report)
        # Another thread may have created the same key meanwhile: the first one wins (a
        # shard holds no socket or task until its first topic, so the loser is inert).
        return self._connections.setdefault(key, connection)

    def subscribe(
        self,
        topics: Subscription | Sequence[Subscription],
        ws_key: WsKey | str,
    ) -> TopicStream[Any]:
        """A hot stream of every push of ``topics``, in any form the seed SDK accepts.

        Args:
            topics: a topic string (``"/contract/position:XBTUSDTM,ETHUSDTM"``), a Pro
                request ``{"topic": "orderAll", "payload": {"tradeType": "UNIFIED"}}``, or
                a list of them.
            ws_key: the socket, e.g. ``"spotPrivateV1"`` or `WsKey.PRIVATE_PRO_V2`.

        Returns:
            The payloads, typed as `rxkucoin.models` says for each topic (topics without a
            model arrive as `UnknownPayload`); ``.with_gaps()`` adds `Gap` markers.

        Raises:
            InvalidTopic: a topic is malformed for ``ws_key``.
        """
        key = WsKey(ws_key)
        items = [topics] if isinstance(topics, str | Mapping) else list(topics)
        if not items:
            raise InvalidTopic("subscribe() needs at least one topic")
        connection = self.connection(key)
        keys = [topic for item in items for topic in parse_topics(key, item)]
        if len(keys) == 1:
            return TopicStream(
                connection.stream(keys[0]),
                connection.stream(keys[0], with_gaps=True),
                report=self._report,
            )
        # one sink per topic for each subscriber, without a merge's observers and locks
        return TopicStream(
            connection.streams(keys),
            connection.streams(keys, with_gaps=True),
            report=self._report,
        )

    def _entered_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise RuntimeError("use KucoinStreams inside `async with`")
        return self._loop

    def state(self, ws_key: WsKey | str) -> Observable[ConnectionState]:
        """The connection state of ``ws_key``; replays the current state to new subscribers.

        A subscriber that raises is reported and dropped, like on the topic streams. It
        may subscribe from any thread; it is called on the loop's thread.
        """
        return on_loop(
            self.connection(ws_key).state.pipe(isolate(self._report)), self._entered_loop()
        )

    def events(self, ws_key: WsKey | str) -> Observable[ConnectionEvent]:
        """Lifecycle events of ``ws_key``: ``open``, ``reconnect``, ``reconnected``, ``close``,
        ``response``, ``exception``, ``authenticated`` (the seed SDK's names).

        A subscriber that raises is reported and dropped, like on the topic streams. It
        may subscribe from any thread; it is called on the loop's thread.
        """
        return on_loop(
            self.connection(ws_key).events.pipe(isolate(self._report)), self._entered_loop()
        )


class _SharedWatch:
    """One loop-lag watchdog per loop and threshold, shared by every client on that loop.

    With one client per account, a watchdog each would cost a thread and a 50 ms loop timer
    per client (most of the CPU of idle clients: docs/benchmarks.md) and report one stall
    once per client. Shared, a stall is reported once, on the client whose subscriber held
    the loop (or logged once if none did).
    """

    _watches: ClassVar[
        weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[float, _SharedWatch]]
    ] = weakref.WeakKeyDictionary()

    def __init__(self, loop: asyncio.AbstractEventLoop, threshold: float) -> None:
        self._loop = loop
        self._threshold = threshold
        # replaced, never mutated: the watchdog's thread reads it during a stall
        self._clients: tuple[KucoinStreams, ...] = ()
        self._watchdog = LoopWatchdog(
            loop, describe=self._describe, on_block=self._on_block, threshold=threshold
        )
        self._watchdog.start()

    @classmethod
    def join(
        cls, loop: asyncio.AbstractEventLoop, threshold: float, client: KucoinStreams
    ) -> _SharedWatch:
        """The watch of ``loop`` for ``threshold`` (started if new), watching ``client``
        too (call on the loop's thread)."""
        watches = cls._watches.setdefault(loop, {})
        watch = watches.get(threshold)
        if watch is None:
            watch = watches[threshold] = cls(loop, threshold)
        watch._clients = (*watch._clients, client)
        return watch

    def leave(self, client: KucoinStreams) -> None:
        """Stop watching ``client``; the last client to leave stops the watchdog."""
        self._clients = tuple(c for c in self._clients if c is not client)
        if self._clients:
            return
        self._watchdog.stop()
        watches = self._watches.get(self._loop, {})
        if watches.get(self._threshold) is self:
            del watches[self._threshold]

    def _describe(self) -> tuple[KucoinStreams, tuple[ShardSet, str]] | None:
        for client in self._clients:
            where = client._delivering()
            if where is not None:
                return client, where
        return None

    def _on_block(
        self, seconds: float, where: tuple[KucoinStreams, tuple[ShardSet, str]] | None
    ) -> None:
        if where is None:
            log.warning(
                "the event loop was blocked for %.2f s (not by a stream subscriber)", seconds
            )
        else:
            where[0]._blocked(seconds, where[1])


def _log_error(exc: Exception) -> None:
    log.error("a subscriber raised and was dropped: %r", exc, exc_info=exc)


def _guarded(hook: Callable[[Exception], None]) -> Callable[[Exception], None]:
    """``hook`` made safe to call from the reader: if it raises, that is logged instead."""

    def report(exc: Exception) -> None:
        try:
            hook(exc)
        except Exception as failure:
            log.error(
                "on_subscriber_error raised %r while reporting %r", failure, exc, exc_info=failure
            )

    return report
