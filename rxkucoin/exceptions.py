"""Every error rxkucoin raises, in one small tree.

```
RxKucoinError
├── CredentialsError          missing or partial API credentials (a ValueError too)
├── DecodeError               a frame or payload that does not match the protocol
├── InvalidTopic              a malformed topic or Pro request (a ValueError too)
├── RestError                 KuCoin answered a REST call with an error code
│   ├── AuthError             fatal: bad key, passphrase, signature, permission, IP, key version
│   ├── ClockSkewError        retryable: 400002, the request's timestamp was refused
│   ├── RateLimitError        retryable: 429000, with the pool's reset time
│   └── ServerError           retryable: HTTP 5xx or 500000
├── SubscriptionRejected      fatal for one topic: the server refused to subscribe it
│   └── SubscriptionLimitReached  refused locally, nothing sent: no socket may be opened
│                             for it (the per-user socket cap)
├── BufferOverflow            a bounded hand-off or async iterator's consumer fell behind
├── ClientClosed              a stream or method used after its KucoinStreams was closed
├── OrderWaitTimeout          an awaited order did not end in time (a TimeoutError too)
└── TransportError            retryable: timeout or connection failure before an answer
    ├── ConnectionLost        retryable: a live socket died (drop, missed pongs, 24 h cut,
    │                         expired token, no welcome)
    └── NotReady              `KucoinStreams.ready` timed out; carries each connection's
                              last cause (a TimeoutError too)
```

Use `is_retryable` to tell the two families apart: a retryable error is worth another try
after a pause, anything else needs the user to fix something first.

No exception text ever contains an API secret or passphrase.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = (
    "AuthError",
    "BufferOverflow",
    "ClientClosed",
    "ClockSkewError",
    "ConnectionLost",
    "CredentialsError",
    "DecodeError",
    "InvalidTopic",
    "NotReady",
    "OrderWaitTimeout",
    "RateLimitError",
    "RestError",
    "RxKucoinError",
    "ServerError",
    "SubscriptionLimitReached",
    "SubscriptionRejected",
    "TransportError",
    "is_retryable",
)


class RxKucoinError(Exception):
    """Root of every error raised by rxkucoin."""


class CredentialsError(RxKucoinError, ValueError):
    """API credentials are missing, partial or malformed.

    Attributes:
        missing: names of the missing settings (e.g. ``("api_secret",)``).
    """

    def __init__(self, message: str, missing: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.missing = missing


class DecodeError(RxKucoinError):
    """A frame or payload did not match what the protocol promises.

    Attributes:
        topic: the topic (Classic) or push channel ``T`` (Pro) the frame belongs to,
            or ``None`` when the envelope itself could not be read.
        path: JSON path of the offending value (e.g. ``$.data.orderTime``), if known.
        reason: what was wrong, in msgspec's words.
    """

    def __init__(self, reason: str, *, topic: str | None = None, path: str | None = None) -> None:
        where = f" at {path}" if path else ""
        about = f" in topic {topic!r}" if topic else ""
        super().__init__(f"cannot decode frame{about}{where}: {reason}")
        self.topic = topic
        self.path = path
        self.reason = reason


class InvalidTopic(RxKucoinError, ValueError):
    """A topic string or Pro request that cannot be subscribed as written."""


class RestError(RxKucoinError):
    """KuCoin (or the simulator) rejected a REST call.

    Attributes:
        code: KuCoin's six-digit code as a string (``"400005"``), or ``""`` if none came.
        msg: KuCoin's message.
        status: the HTTP status.
        path: the request path that failed (without query values that could be private).
    """

    def __init__(self, code: str, msg: str, *, status: int, path: str) -> None:
        super().__init__(f"{path} failed: HTTP {status}, KuCoin code {code or '-'}: {msg}")
        self.code = code
        self.msg = msg
        self.status = status
        self.path = path


class AuthError(RestError):
    """The credentials were rejected: retrying will not help until they are fixed."""


class ClockSkewError(RestError):
    """KuCoin refused the request's timestamp (400002).

    KuCoin accepts a signed request only within a few seconds of its own clock; this
    appears around a clock step (NTP correction, a resumed laptop) and passes once the
    clock is right, so it is retried. If it persists, synchronise the system clock.
    """

    def __init__(self, code: str, msg: str, *, status: int, path: str) -> None:
        super().__init__(
            code,
            f"{msg} (the local clock differs from KuCoin's by more than KuCoin accepts: "
            "check the system clock's synchronisation; retrying)",
            status=status,
            path=path,
        )


class RateLimitError(RestError):
    """Too many requests (429000).

    Attributes:
        reset_ms: milliseconds until the rate-limit pool resets, from the
            ``gw-ratelimit-reset`` header, or ``None`` if the server did not say.
    """

    def __init__(
        self, code: str, msg: str, *, status: int, path: str, reset_ms: int | None = None
    ) -> None:
        super().__init__(code, msg, status=status, path=path)
        self.reset_ms = reset_ms


class ServerError(RestError):
    """KuCoin failed internally (HTTP 5xx); worth retrying."""


class TransportError(RxKucoinError):
    """No answer: a timeout, a refused connection or a connection that broke mid-request."""


class ConnectionLost(TransportError):
    """A socket died or never became ready; a new token and a new socket will be tried.

    Attributes:
        reason: what happened, in words (``"no pong within 10.0 s"``, ``"token is expired"``).
        code: the server's error code when an error frame announced the end, else ``None``.
    """

    def __init__(self, reason: str, *, code: int | str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class NotReady(TransportError, TimeoutError):
    """`KucoinStreams.ready` timed out before every topic was acknowledged.

    It is a `TimeoutError` too, so code written for a plain timeout keeps working. The
    exception's ``__cause__`` is the first connection's last error, if any.

    Attributes:
        causes: for each connection that was not ready, its ``ws_key`` value (e.g.
            ``"spotPrivateV1"``) and the last error it met (a failed dial, a refused token
            call, a dropped socket), or ``None`` if it was still connecting without error.
        timeout: the seconds waited.
    """

    def __init__(self, causes: Mapping[str, BaseException | None], timeout: float) -> None:
        parts = [
            f"{key} ({'still connecting' if cause is None else _describe(cause)})"
            for key, cause in causes.items()
        ]
        super().__init__(f"not ready within {timeout:g} s: {'; '.join(parts)}")
        self.causes = dict(causes)
        self.timeout = timeout


def _describe(error: BaseException) -> str:
    text = str(error)
    name = type(error).__name__
    return f"last error: {name}: {text}" if text else f"last error: {name}"


class SubscriptionRejected(RxKucoinError):
    """A topic was refused; only that topic's subscribers see this error.

    Attributes:
        topic: the topic (Classic) or channel with its parameters (Pro) that was refused.
        code: KuCoin's code (an int on Classic sockets, a string on Pro); ``None`` when
            the refusal is local.
        reason: KuCoin's explanation, or rxkucoin's for a local refusal.
        local: ``True`` when rxkucoin refused without asking KuCoin
            (`SubscriptionLimitReached`); ``False`` when KuCoin answered the subscribe.
    """

    local: bool = False

    def __init__(self, topic: str, code: int | str | None, reason: str) -> None:
        super().__init__(self._message(topic, code, reason))
        self.topic = topic
        self.code = code
        self.reason = reason

    @staticmethod
    def _message(topic: str, code: int | str | None, reason: str) -> str:
        return f"KuCoin refused topic {topic!r}: code {code}: {reason}"


class SubscriptionLimitReached(SubscriptionRejected):
    """rxkucoin refused a topic itself, without sending anything to KuCoin, because taking
    it would break one of KuCoin's limits: every socket the client may open (50 per user,
    `KucoinStreams(max_sockets=...)`) already carries its 300 topics. Release topics, or
    spread them over accounts.

    Its ``code`` is ``None`` and ``local`` is ``True``.
    """

    local = True

    def __init__(self, topic: str, reason: str) -> None:
        super().__init__(topic, None, reason)

    @staticmethod
    def _message(topic: str, code: int | str | None, reason: str) -> str:
        return f"topic {topic!r} refused locally (nothing was sent to KuCoin): {reason}"


class BufferOverflow(RxKucoinError):
    """A bounded buffer filled up because its consumer fell behind.

    Delivered as soon as the buffer overflows (a `TopicStream.buffered` subscriber's
    ``on_error``, the next ``__anext__`` of an async iterator), not after the backlog: the
    events still waiting are discarded with it, so the consumer can resynchronise (e.g. by
    REST) at once. Nothing is dropped without this error.

    Attributes:
        capacity: the buffer size that was exceeded.
    """

    def __init__(self, capacity: int) -> None:
        super().__init__(
            f"consumer fell behind: more than {capacity} events waiting; "
            "raise the buffer size or consume faster"
        )
        self.capacity = capacity


class ClientClosed(RxKucoinError):
    """The `KucoinStreams` a stream belongs to was closed.

    Closing a client completes every stream it handed out; subscribing one of them again
    afterwards fails with this error instead of opening a socket nobody will close, and so
    does asking the closed client for a new stream or its REST client.
    """


class OrderWaitTimeout(RxKucoinError, TimeoutError):
    """`ExpectedOrder.done` saw no end of the order in time, and a REST lookup at the
    deadline found none either.

    Attributes:
        client_oid: the awaited order's client order id.
        timeout: the seconds waited.
        last: the last push of the order seen (its last known state), or ``None`` if no
            push of it arrived.
    """

    def __init__(self, client_oid: str, timeout: float, last: object) -> None:
        state = "no push of it arrived" if last is None else f"last seen: {last!r}"
        super().__init__(f"order {client_oid!r} did not end within {timeout:g} s; {state}")
        self.client_oid = client_oid
        self.timeout = timeout
        self.last = last


def is_retryable(error: BaseException) -> bool:
    """Tell whether ``error`` is transient, i.e. worth retrying after a pause.

    Args:
        error: any exception.

    Returns:
        ``True`` for rate limits, server errors, a refused timestamp (clock skew) and
        transport failures; ``False`` for
        everything else, including authentication failures and bad input.
    """
    return isinstance(error, RateLimitError | ServerError | ClockSkewError | TransportError)
