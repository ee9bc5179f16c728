"""`KucoinStreams`: the object a user holds. It owns the aiohttp session, the scheduler and
one connection per WsKey, and hands out the hot topic Observables."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any, Literal

import aiohttp
import reactivex
from reactivex import Observable
from reactivex.scheduler.eventloop import AsyncIOScheduler

from ._auth import Credentials
from ._connection import Connection
from ._events import ConnectionEvent, ConnectionState
from ._rest import RestClient
from ._topics import parse_topics
from .exceptions import CredentialsError
from .keys import Endpoints, WsKey

__all__ = ("KucoinStreams",)

log = logging.getLogger("rxkucoin")

Subscription = str | Mapping[str, Any]


class KucoinStreams:
    """KuCoin's private streams as hot Observables.

    Use it as an async context manager on the event loop that will run the streams::

        async with KucoinStreams(credentials, endpoints=sim.endpoints) as streams:
            streams.subscribe("/spotMarket/tradeOrdersV2", "spotPrivateV1").subscribe(print)

    Every Observable it returns is hot and shared: subscribing the same topic twice uses
    one server subscription on one socket; the socket opens with the first topic of its
    WsKey and closes after the last one is released. Transient failures never error a
    stream; they reconnect with a fresh token and, on ``with_gaps=True`` streams, leave a
    `Gap` marker in order with the data.

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
            ``op: auth`` frame, falling back to a token) or ``"token"`` (token in the URL).
    """

    def __init__(
        self,
        credentials: Credentials | None = None,
        *,
        endpoints: Endpoints | None = None,
        backoff: Callable[[int], float] | None = None,
        on_subscriber_error: Callable[[Exception], None] | None = None,
        pro_auth: Literal["signed", "token"] = "signed",
    ) -> None:
        self._credentials = credentials
        self._endpoints = endpoints or Endpoints()
        self._backoff = backoff
        self._report = on_subscriber_error or _log_subscriber_error
        self._pro_auth: Literal["signed", "token"] = pro_auth
        self._http: aiohttp.ClientSession | None = None
        self._scheduler: AsyncIOScheduler | None = None
        self._rest: RestClient | None = None
        self._connections: dict[WsKey, Connection] = {}

    async def __aenter__(self) -> KucoinStreams:
        loop = asyncio.get_running_loop()
        self._http = aiohttp.ClientSession()
        self._scheduler = AsyncIOScheduler(loop)
        self._rest = RestClient(self._http, self._endpoints, self._credentials)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close every socket and the HTTP session."""
        closing = [c.close_now() for c in self._connections.values()]
        self._connections.clear()
        await asyncio.gather(*(t for t in closing if t is not None), return_exceptions=True)
        if self._http is not None:
            await self._http.close()
            self._http = None

    @property
    def scheduler(self) -> AsyncIOScheduler:
        """The scheduler every time-based operator of this client runs on."""
        if self._scheduler is None:
            raise RuntimeError("use KucoinStreams inside `async with`")
        return self._scheduler

    def connection(self, ws_key: WsKey | str) -> Connection:
        """The connection of ``ws_key`` (created on first use; no socket until a topic)."""
        key = WsKey(ws_key)
        existing = self._connections.get(key)
        if existing is not None:
            return existing
        if self._http is None or self._rest is None or self._scheduler is None:
            raise RuntimeError("use KucoinStreams inside `async with`")
        if key.is_private and self._credentials is None:
            try:
                self._credentials = Credentials.from_env()
            except CredentialsError as exc:
                raise CredentialsError(
                    f"{key.value} is private: pass credentials to KucoinStreams or set the "
                    f"environment ({exc})",
                    exc.missing,
                ) from None
            self._rest = RestClient(self._http, self._endpoints, self._credentials)
        connection = Connection(
            key,
            self._http,
            self._rest,
            self._scheduler,
            credentials=self._credentials,
            endpoints=self._endpoints,
            backoff=self._backoff,
            report=self._report,
            pro_auth=self._pro_auth,
        )
        self._connections[key] = connection
        return connection

    def subscribe(
        self,
        topics: Subscription | Sequence[Subscription],
        ws_key: WsKey | str,
        *,
        with_gaps: bool = False,
    ) -> Observable[Any]:
        """A hot Observable of every push of ``topics``, in any form the seed SDK accepts.

        Args:
            topics: a topic string (``"/contract/position:XBTUSDTM,ETHUSDTM"``), a Pro
                request ``{"topic": "orderAll", "payload": {"tradeType": "UNIFIED"}}``, or
                a list of them.
            ws_key: the socket, e.g. ``"spotPrivateV1"`` or `WsKey.PRIVATE_PRO_V2`.
            with_gaps: also deliver `Gap` markers, in order with the data.

        Raises:
            InvalidTopic: a topic is malformed for ``ws_key``.
        """
        key = WsKey(ws_key)
        items = [topics] if isinstance(topics, str | Mapping) else list(topics)
        connection = self.connection(key)
        streams = [
            connection.stream(topic, with_gaps=with_gaps)
            for item in items
            for topic in parse_topics(key, item)
        ]
        return streams[0] if len(streams) == 1 else reactivex.merge(*streams)

    def state(self, ws_key: WsKey | str) -> Observable[ConnectionState]:
        """The connection state of ``ws_key``; replays the current state to new subscribers."""
        return self.connection(ws_key).state

    def events(self, ws_key: WsKey | str) -> Observable[ConnectionEvent]:
        """Lifecycle events of ``ws_key``: ``open``, ``reconnect``, ``reconnected``, ``close``,
        ``response``, ``exception``, ``authenticated`` (the seed SDK's names)."""
        return self.connection(ws_key).events


def _log_subscriber_error(exc: Exception) -> None:
    log.error("a subscriber raised and was dropped: %r", exc, exc_info=exc)
