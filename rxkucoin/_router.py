"""From pushes to subscribers: decode once, route by dict lookup, and owe each topic its Gap.

The router holds one `Route` per topic with subscribers. A push is decoded once (decoders
cached per push kind) and handed to every route it belongs to (routes cached per topic and
payload symbol). A push that cannot be decoded becomes a `Gap` on its routes and an event.

Outages are kept per route: when a socket dies, each route that was live on it records when
its last frame came and why the link dropped. The route then owes its ``with_gaps()``
subscribers a `Gap`, and pays it before anything else: when the topic is acknowledged
again, or when the first push of the new socket reaches it, whichever comes first. So a
Gap always precedes the data after it, by construction, whatever order the socket's
frames and the acknowledgements are processed in.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any, Final

import msgspec

from ._events import UNDECODABLE, EventKind, Gap
from ._frames import ClassicMessage, ProPush
from ._routes import Route
from ._session import MAX_REPORTED_BYTES, Push
from ._topics import TopicKey, route_keys
from .exceptions import DecodeError
from .keys import Dialect, WsKey
from .models._base import Payload, has_blank
from .models._registry import decoder_for, fast_decoder

__all__ = ("Router",)

log = logging.getLogger("rxkucoin.connection")

#: Decoders are cached per push kind and routes per kind and payload symbol, at most this
#: many together: a server pushing endless distinct topics or symbols must not grow them.
MAX_CACHED: Final = 1024
#: Pushes of a kind in a row without a blank before its payloads are no longer searched for
#: one (only for types whose decoder refuses a blank by itself: `blank_safe`).
CLEAN_RUN: Final = 8

Emit = Callable[..., None]


class _Symbol(msgspec.Struct):
    symbol: Any = None  # Classic payloads
    s: Any = None  # Pro payloads


_SYMBOL: Final = msgspec.json.Decoder(_Symbol)


def _symbol_of(raw: bytes, dialect: Dialect) -> str | None:
    """The symbol of a payload that failed to decode, if it can still be read."""
    try:
        found = _SYMBOL.decode(raw)
    except Exception:
        return None
    value = found.symbol if dialect is Dialect.CLASSIC else found.s
    return value if isinstance(value, str) and value else None


class _Kind:
    """What the router keeps per push kind (topic and subject): its decoder, and its
    routes per payload symbol, so that a push costs dictionary lookups, no allocation."""

    __slots__ = ("clean", "decode", "fast", "routes", "safe", "trusted")

    def __init__(
        self,
        decode: Callable[[bytes], Payload],
        fast: tuple[Callable[[bytes], Payload], bool] | None,
    ) -> None:
        self.decode = decode
        #: the model's bare decoder, for payloads without a blank (see `fast_decoder`)
        self.fast: Callable[[bytes], Payload] | None = None if fast is None else fast[0]
        self.safe = fast is not None and fast[1]
        #: pushes in a row without a blank: a type that refuses blanks by itself skips the
        #: search for them once a few came clean (a failed decode costs more than a search)
        self.clean = 0
        self.trusted = False  # `safe` and `clean` reached CLEAN_RUN
        self.routes: dict[str | None, tuple[Route, ...]] = {}


class Router:
    """The routes of one connection.

    Args:
        ws_key: the connection's WsKey.
        holds: whether a topic is held (only held topics receive pushes).
        emit: ``emit(kind, detail, error=None, raw=None)`` reports an event.
    """

    def __init__(self, ws_key: WsKey, *, holds: Callable[[TopicKey], bool], emit: Emit) -> None:
        self.ws_key = ws_key
        self._holds = holds
        self._emit = emit
        self.routes: dict[TopicKey, Route] = {}
        #: pushes that arrived but could not be decoded (each one a Gap on its topics)
        self.undecodable = 0
        #: frames whose envelope could not be read at all (each one an ``exception`` event)
        self.bad_frames = 0
        #: the topic whose subscribers are being called right now, if any
        self.delivering: str | None = None
        #: per push kind (topic, then subject; ``None`` on Pro), emptied whenever the
        #: routes change; each kind's routes are cached per payload symbol
        self._kinds: dict[str, dict[str | None, _Kind]] = {}
        self._cached = 0  # kinds and route tuples cached, all topics together

    def _forget(self) -> None:
        self._kinds = {}
        self._cached = 0

    @property
    def _decoders(self) -> dict[tuple[str, str | None], Callable[[bytes], Payload]]:
        """The cached decoders per topic and subject (a copy, for introspection)."""
        return {(t, s): k.decode for t, kinds in self._kinds.items() for s, k in kinds.items()}

    @property
    def _cache(self) -> dict[tuple[str, str | None, str | None], tuple[Route, ...]]:
        """The cached routes per topic, subject and payload symbol (a copy, for
        introspection)."""
        return {
            (t, s, symbol): routes
            for t, kinds in self._kinds.items()
            for s, kind in kinds.items()
            for symbol, routes in kind.routes.items()
        }

    # --- routes ---------------------------------------------------------------------------

    def route(self, key: TopicKey) -> Route:
        """``key``'s route, made on first use."""
        route = self.routes.get(key)
        if route is None:
            route = self.routes[key] = Route(key)
            self._forget()
        return route

    def prune(self, key: TopicKey) -> None:
        """Forget ``key``'s route once nobody subscribes to it."""
        route = self.routes.get(key)
        if route is not None and not route.data and not route.full:
            del self.routes[key]
            self._forget()
            if not self.routes:  # a dict keeps its largest table: let it go with the last
                self.routes = {}

    def invalidate(self) -> None:
        """The held topics changed: routes are looked up afresh."""
        self._forget()

    def fail(self, key: TopicKey, error: Exception) -> None:
        """Error ``key``'s subscribers and forget the route."""
        self._forget()
        route = self.routes.pop(key, None)
        if route is not None:
            route.fail(error)

    def complete_all(self) -> None:
        """Complete every subscriber of every route (the client is closing)."""
        routes, self.routes = list(self.routes.values()), {}
        self._forget()
        for route in routes:
            route.complete()

    # --- outages and gaps -----------------------------------------------------------------

    def outage_began(self, keys: Iterable[TopicKey], start: float, cause: str) -> None:
        """The socket that ``keys`` were live on died; each route owes a Gap from ``start``.

        A route already in an outage keeps its first start and cause.
        """
        for key in keys:
            route = self.routes.get(key)
            if route is not None:
                route.begin_outage(start, cause)

    def went_live(self, keys: Iterable[TopicKey]) -> None:
        """``keys`` are acknowledged again: each route pays the Gap it owes, now."""
        now = time.time()
        gaps: list[tuple[float, str]] = []
        for key in keys:
            route = self.routes.get(key)
            if route is not None and route.outage is not None:
                gaps.append(route.outage)
                route.end_outage(now)
        if gaps:
            start, cause = min(gaps)
            log.warning(
                "%s: gap on %d topic(s), %.1f s since the last frame (%s); reconcile by REST",
                self.ws_key.value,
                len(gaps),
                now - start,
                cause,
            )

    def outages(self) -> dict[TopicKey, float]:
        """Routes owing a Gap, with the start of their outage."""
        return {k: r.outage[0] for k, r in self.routes.items() if r.outage is not None}

    # --- pushes ---------------------------------------------------------------------------

    def on_push(self, frame: Push) -> None:
        """Decode one push and deliver it to every held topic it belongs to."""
        topic = frame.topic
        subject = frame.subject if type(frame) is ClassicMessage else None
        kinds = self._kinds.get(topic)
        kind = None if kinds is None else kinds.get(subject)
        if kind is None:
            kind = self._kind(topic, subject)
        data, fast, payload = frame.data, kind.fast, None
        if fast is not None:
            if kind.trusted or has_blank(data) is None:
                try:  # in place: no blank to rewrite (or one would fail it), nothing to repair
                    payload = fast(data)
                except Exception:  # the full decoder rewrites, repairs or says why not
                    kind.clean, kind.trusted = 0, False
                else:
                    if kind.safe and not kind.trusted:
                        kind.clean += 1
                        kind.trusted = kind.clean >= CLEAN_RUN
            else:
                kind.clean = 0
        if payload is None:
            try:
                payload = kind.decode(data)
            except Exception as exc:  # DecodeError, or anything a hostile payload provokes
                self._undecodable(topic, bytes(data), exc)
                return
        symbol = getattr(payload, "symbol", None)
        routes = kind.routes.get(symbol)
        if routes is None:
            if self._cached >= MAX_CACHED:
                self._forget()  # this push's kind is dropped with the others after it
            self._cached += 1
            routes = kind.routes[symbol] = self._held(route_keys(self.ws_key, topic, symbol))
        if routes:
            if type(frame) is ProPush:  # the server's time of the push, where there is one
                server_ns = frame.push_time_ns
            else:  # Classic: the ``ts`` of the payloads that carry it in ns
                ts = getattr(payload, "ts", None)
                server_ns = ts if type(ts) is int and ts > 10**17 else None
            self.delivering = topic  # read by the loop-lag watchdog's thread
            for route in routes:
                route.deliver(payload, server_ns)
            self.delivering = None

    def _kind(self, topic: str, subject: str | None) -> _Kind:
        if self._cached >= MAX_CACHED:
            self._forget()
        self._cached += 1
        dialect = self.ws_key.dialect
        kind = _Kind(decoder_for(dialect, topic, subject), fast_decoder(dialect, topic, subject))
        self._kinds.setdefault(topic, {})[subject] = kind
        return kind

    def _held(self, keys: Iterable[TopicKey]) -> tuple[Route, ...]:
        return tuple(self.routes[k] for k in keys if k in self.routes and self._holds(k))

    def _undecodable(self, topic: str, raw: bytes, exc: Exception) -> None:
        """A push that arrived but cannot be decoded: a Gap on its topics, and an event."""
        self.undecodable += 1
        error = (
            exc
            if isinstance(exc, DecodeError)
            else DecodeError(f"{type(exc).__name__}: {exc}", topic=topic)
        )
        raw = raw[:MAX_REPORTED_BYTES]
        log.warning("%s: undecodable push on %s: %s", self.ws_key.value, topic, error)
        self._emit("exception", str(error), error, raw=raw)
        symbol = _symbol_of(raw, self.ws_key.dialect)
        keys = list(route_keys(self.ws_key, topic, symbol))
        if symbol is None:  # any per-symbol stream of this topic may have lost it
            names = {k.name for k in keys}
            selectors = {k.selector for k in keys}
            keys += [k for k in self.routes if k.name in names and k.selector in selectors]
        now = time.time()
        for route in self._held(dict.fromkeys(keys)):
            route.gap(Gap(self.ws_key, (topic,), now, now, UNDECODABLE, raw=raw, error=error))

    def on_bad_frame(self, raw: bytes, exc: Exception) -> None:
        """A frame whose envelope cannot be read (or whose handling failed)."""
        self.bad_frames += 1
        log.warning("%s: unreadable frame skipped: %s", self.ws_key.value, exc)
        kind: EventKind = "exception"
        self._emit(kind, f"unreadable frame skipped: {exc}", exc, raw=raw)
