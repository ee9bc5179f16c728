"""What the library says about its connections: states, lifecycle events and gaps."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Final, Literal

from .keys import WsKey

__all__ = ("UNDECODABLE", "ConnectionEvent", "ConnectionState", "Gap")

#: The `Gap.cause` of a push that arrived but could not be decoded.
UNDECODABLE: Final = "undecodable"


class ConnectionState(Enum):
    """Where a WsKey's connection stands."""

    IDLE = "idle"
    """No topic is subscribed, so no socket is open."""
    CONNECTING = "connecting"
    """Fetching a token, dialing and replaying topics for the first time."""
    LIVE = "live"
    """Welcomed, and every cached topic acknowledged."""
    RECONNECTING = "reconnecting"
    """The socket died; a new token and socket are on the way (or waiting for backoff)."""
    CLOSED = "closed"
    """Closed on purpose, because the last topic was released."""
    FAILED = "failed"
    """Stopped for good by a fatal error, such as rejected credentials."""


EventKind = Literal[
    "open",
    "reconnect",
    "reconnected",
    "close",
    "response",
    "exception",
    "authenticated",
    "blocked",
    "rotating",
    "rotated",
]


@dataclass(frozen=True)
class ConnectionEvent:
    """A lifecycle event, named as the seed SDK names them.

    Attributes:
        kind: ``open`` (first live), ``reconnect`` (the link dropped, a retry is coming),
            ``reconnected`` (live again), ``close`` (closed on purpose), ``response`` (the
            server acknowledged requests), ``exception`` (something failed; see ``error``),
            ``authenticated`` (a private socket was welcomed or its auth op accepted),
            ``blocked`` (a subscriber of this connection's topics held the event loop;
            ``detail`` names the topic and the time), ``rotating`` (the socket nears its
            maximum age: a new one is being opened while it keeps delivering),
            ``rotated`` (every topic is acknowledged on the new socket, which carries the
            streams from now on, without a Gap).
        ws_key: the connection.
        time: when, in seconds since the epoch.
        detail: a short human-readable explanation.
        error: the exception, for ``exception`` and ``reconnect`` events.
        raw: the frame's bytes (at most 64 KiB), for a frame or push that could not be
            read: nothing the server sent is lost without a trace.
    """

    kind: EventKind
    ws_key: WsKey
    time: float
    detail: str = ""
    error: Exception | None = None
    raw: bytes | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Gap:
    """A stretch of time in which a topic's pushes may have been lost.

    After an outage it runs from the last frame known good on the old socket to the moment
    the topic was acknowledged again on the new one. A push that arrived but could not be
    decoded is a Gap too, with ``cause`` ``"undecodable"`` and ``start == end``: its bytes
    are in ``raw``. Anything the account did in a gap must be recovered from a REST
    snapshot.

    Attributes:
        ws_key: the connection that dropped.
        topics: the topics affected (on a per-topic stream, just that topic).
        start: last frame known good, seconds since the epoch.
        end: when the topic was live again, seconds since the epoch.
        cause: why the link dropped, or ``"undecodable"``.
        raw: the undecodable push's bytes (at most 64 KiB); ``None`` for an outage.
        error: why the push could not be decoded (a `DecodeError`); ``None`` for an outage.
        last_item_ns: the server's time, in ns, of the last push this topic delivered
            before the outage, where the wire gives one (Pro ``P``; Classic ``ts`` of order
            and stop-order pushes): pushes sent after it may be lost, so a REST
            reconciliation can start there rather than at ``start``, which is when the
            last frame *arrived*. ``None`` when unknown.
    """

    ws_key: WsKey
    topics: tuple[str, ...]
    start: float
    end: float
    cause: str
    raw: bytes | None = field(default=None, repr=False)
    error: Exception | None = None
    last_item_ns: int | None = None

    @property
    def duration(self) -> float:
        """Seconds between ``start`` and ``end``."""
        return self.end - self.start
