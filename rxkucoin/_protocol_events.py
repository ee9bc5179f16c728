"""What the protocol core reports (`rxkucoin._protocol.Protocol`'s events), and the two
request types a driver passes through it.

Plain frozen values: no I/O, no behaviour.
"""

from __future__ import annotations

from dataclasses import dataclass

import msgspec

from . import _frames as fr
from .exceptions import RxKucoinError

__all__ = (
    "Acked",
    "AuthRefused",
    "Authenticated",
    "Ended",
    "ErrorFrame",
    "Event",
    "LinkDead",
    "PingRefused",
    "PongReceived",
    "Push",
    "PushReceived",
    "Refused",
    "Rejected",
    "Request",
    "UnreadableFrame",
    "Welcomed",
)

Push = fr.ClassicMessage | fr.ProPush


@dataclass(frozen=True)
class Request:
    """One subscribe/unsubscribe frame's content.

    Attributes:
        label: what a rejection names (the topic text).
        topic: Classic: the topic text to send (possibly comma-joined symbols).
        channel: Pro: the channel.
        params: Pro: the channel's parameters (tradeType, accountType, symbol).
    """

    label: str
    topic: str = ""
    channel: str = ""
    params: tuple[tuple[str, str], ...] = ()


class Rejected(RxKucoinError):
    """The server answered a request with an error (internal; mapped by the caller)."""

    def __init__(self, code: int | str | None, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Welcomed:
    """The server welcomed the socket (on Pro flow B the signed auth is queued next)."""

    session_id: str | None


@dataclass(frozen=True, slots=True)
class Authenticated:
    """Pro flow B: the signed ``op: auth`` was accepted."""


@dataclass(frozen=True, slots=True)
class Acked:
    """A request was accepted."""

    request_id: str
    kind: str
    request: Request


@dataclass(frozen=True, slots=True)
class Refused:
    """A request was refused by an error frame or a failed result."""

    request_id: str
    kind: str
    request: Request
    error: Rejected


class PushReceived(msgspec.Struct, frozen=True):
    """A push; ``raw`` is the (inflated) frame it was read from.

    A Struct, not a frozen dataclass like the other events: one is made per push, and a
    frozen dataclass's ``__init__`` (Python code setting each field through
    ``object.__setattr__``) cost 11 % of a push's instructions from the socket reader to
    the subscriber (valgrind, tests/benchmarks/hotpath.py's frame).
    """

    frame: Push
    raw: str | bytes


@dataclass(frozen=True, slots=True)
class PongReceived:
    """An answer to a ping (or a pong nobody asked for: harmless)."""

    ping_id: str | None


@dataclass(frozen=True, slots=True)
class PingRefused:
    """An error frame answered a ping; the link is alive, but the server complained."""

    ping_id: str
    code: int | str
    data: str


@dataclass(frozen=True, slots=True)
class UnreadableFrame:
    """A frame that could not be read; the socket goes on. ``raw`` is at most 64 KiB."""

    raw: bytes
    error: Exception


@dataclass(frozen=True, slots=True)
class Ended:
    """The protocol is over; ``reason`` says why (a `ConnectionLost` unless fatal)."""

    reason: Exception


@dataclass(frozen=True, slots=True)
class LinkDead(Ended):
    """No welcome in time, an ack timed out, silence after a ping, or the socket ended."""


@dataclass(frozen=True, slots=True)
class AuthRefused(Ended):
    """The signed auth was refused: an `AuthError` for a credentials code (fatal), else a
    `ConnectionLost` (a refusal with only a reason proves nothing about the credentials)."""


@dataclass(frozen=True, slots=True)
class ErrorFrame(Ended):
    """An error frame that answers no pending request ends the connection (e.g. ``token is
    expired``); ``reason`` is a `ConnectionLost` carrying the code."""

    code: int | str = ""


Event = (
    Welcomed
    | Authenticated
    | Acked
    | Refused
    | PushReceived
    | PongReceived
    | PingRefused
    | UnreadableFrame
    | Ended
)
