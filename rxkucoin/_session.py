"""One live socket, in plain asyncio: dial, welcome, auth, heartbeat, paced requests, frames.

A `Session` knows nothing of Rx, topics' subscribers or reconnection. It reports every push
to one callback, answers requests with their acks, and resolves `Session.closed` with the
reason the socket ended (a `ConnectionLost` for anything a new socket may cure).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
import uuid
import zlib
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final
from urllib.parse import quote, quote_plus, urlencode

import aiohttp

from . import _frames as fr
from ._auth import Credentials
from ._rest import AUTH_CODES, DEFAULT_PING_INTERVAL_MS, DEFAULT_PING_TIMEOUT_MS, Token
from .exceptions import AuthError, ConnectionLost, DecodeError, RxKucoinError
from .keys import Dialect, Endpoints, WsKey

__all__ = ("Push", "Request", "Session", "open_session")

log = logging.getLogger("rxkucoin.session")

_DATA: Final = (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY)

Push = fr.ClassicMessage | fr.ProPush

#: KuCoin allows 100 client messages per 10 s per connection (PROTOCOL.md §3.5).
MAX_MESSAGES: Final = 100
MESSAGE_WINDOW_S: Final = 10.0
#: Frames (inflated) longer than this are refused as undecodable; KuCoin's private pushes
#: are a few KB, so only a broken or hostile server sends more.
MAX_FRAME_BYTES: Final = 1 << 20
#: aiohttp drops a socket whose single message exceeds this (before our limit can apply).
MAX_MESSAGE_BYTES: Final = 16 << 20
#: How much of a bad frame's bytes an event carries.
MAX_REPORTED_BYTES: Final = 64 << 10


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


class Pacer:
    """Keeps outbound frames at or under ``limit`` per ``window`` seconds.

    Args:
        limit: frames allowed per window (KuCoin: 100).
        window: the window in seconds (KuCoin: 10).
        clock: monotonic seconds; the loop's clock by default.
        sleep: how to wait; `asyncio.sleep` by default.
    """

    def __init__(
        self,
        limit: int = MAX_MESSAGES,
        window: float = MESSAGE_WINDOW_S,
        *,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._sent: deque[float] = deque()
        self._limit = limit
        self._window = window
        self._clock = clock
        self._sleep = sleep
        self._lock = asyncio.Lock()

    def _now(self) -> float:
        return self._clock() if self._clock else asyncio.get_running_loop().time()

    async def wait(self) -> None:
        """Return when one more frame may be sent, and count it."""
        async with self._lock:
            while True:
                now = self._now()
                while self._sent and now - self._sent[0] >= self._window:
                    self._sent.popleft()
                if len(self._sent) < self._limit:
                    break
                # re-checked after waking: clocks and float sums may land a hair short
                await self._sleep(max(self._sent[0] + self._window - now, 0.001))
            self._sent.append(now)


class Session:
    """A socket that has been welcomed (and authenticated on Pro flow B).

    Use `open_session` to make one.

    Attributes:
        key: the WsKey.
        connect_id: the id this socket was opened with (Classic) or the server's session id.
        ping_interval: seconds between pings.
        ping_timeout: seconds of silence after a ping that count as a dead link.
        closed: resolves with the exception that ended the socket.
        decode_errors: frames that could not be decoded and were skipped.
        last_frame_at: wall-clock time (epoch seconds) of the last inbound frame.
    """

    def __init__(
        self,
        key: WsKey,
        ws: aiohttp.ClientWebSocketResponse,
        on_push: Callable[[Push], None],
        *,
        on_bad_frame: Callable[[bytes, Exception], None],
        connect_id: str,
        ping_interval: float,
        ping_timeout: float,
        ack_timeout: float,
        op_ping: bool,
    ) -> None:
        self.key = key
        self._classic = key.dialect is Dialect.CLASSIC
        self.connect_id = connect_id
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        self.decode_errors = 0
        self.last_frame_at = time.time()
        self._ws = ws
        self._on_push = on_push
        self._on_bad_frame = on_bad_frame
        self._ack_timeout = ack_timeout
        self._op_ping = op_ping
        self._pacer = Pacer()
        self._pending: dict[str, asyncio.Future[None]] = {}
        self._ids = itertools.count(int(time.time() * 1000))
        loop = asyncio.get_running_loop()
        self.closed: asyncio.Future[Exception] = loop.create_future()
        self._tasks = [
            loop.create_task(self._read(), name=f"rxkucoin:{key.value}:read"),
            loop.create_task(self._heartbeat(), name=f"rxkucoin:{key.value}:heartbeat"),
        ]

    def next_id(self) -> str:
        """A fresh request id."""
        return str(next(self._ids))

    async def send(self, text: str) -> None:
        """Send one frame, waiting if the 100-per-10-s budget is spent."""
        await self._pacer.wait()
        if self.closed.done():
            raise self.closed.result()
        try:
            await self._ws.send_str(text)
        except (ConnectionError, RuntimeError, aiohttp.ClientError) as exc:
            lost = ConnectionLost(f"send failed: {exc}")
            self._end(lost)
            raise lost from exc

    async def request(self, kind: str, request: Request) -> None:
        """Send a subscribe or unsubscribe request and wait for its ack.

        Raises:
            Rejected: the server answered with an error frame or a failed result.
            ConnectionLost: the socket died or no ack came within the ack timeout.
        """
        request_id = self.next_id()
        if self.key.dialect is Dialect.CLASSIC:
            text = fr.encode_classic_request(
                request_id, kind, request.topic, private=self.key.is_private
            )
        else:
            text = fr.encode_pro_request(request_id, kind, request.channel, dict(request.params))
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        try:
            await self.send(text)
            async with asyncio.timeout(self._ack_timeout):
                await future  # _end() fails it if the socket dies first
        except TimeoutError:
            lost = ConnectionLost(
                f"no answer to {kind} {request.label!r} within {self._ack_timeout} s"
            )
            self._end(lost)
            raise lost from None
        finally:
            self._pending.pop(request_id, None)

    async def close(self) -> None:
        """Close the socket cleanly and stop its tasks."""
        self._end(ConnectionLost("closed by the client"))
        for task in self._tasks:
            task.cancel()
        with contextlib.suppress(Exception):
            await self._ws.close()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def abort(self) -> None:
        """Drop the socket at once (used when the link is known dead)."""
        for task in self._tasks:
            task.cancel()
        # aiohttp has no public abort for a client socket; its own dead-heartbeat path
        # closes the underlying response the same way.
        with contextlib.suppress(Exception):
            self._ws._response.close()

    # --- internals -------------------------------------------------------------------

    def _end(self, reason: Exception) -> None:
        if self.closed.done():
            return
        self.closed.set_result(reason)
        for future in self._pending.values():
            if not future.done():
                future.set_exception(reason)
        self._pending.clear()

    async def _read(self) -> None:
        reason: Exception = ConnectionLost("server closed the connection")
        try:
            async for message in self._ws:
                if message.type in _DATA:
                    self._handle(message.data)
                elif message.type is aiohttp.WSMsgType.ERROR:
                    reason = ConnectionLost(f"socket error: {self._ws.exception()}")
                    break
            else:
                code = self._ws.close_code
                reason = ConnectionLost(f"server closed the connection (close code {code})")
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # aiohttp itself failed: a drop, worth a new socket
            reason = ConnectionLost(f"socket failed: {type(exc).__name__}: {exc}")
        finally:
            self._end(reason)

    def _handle(self, data: str | bytes) -> None:
        """Take one frame; whatever goes wrong with it, the socket goes on."""
        self.last_frame_at = time.time()
        raw: str | bytes = data
        try:
            raw = inflate(data) if isinstance(data, bytes) else data
            if len(raw) > MAX_FRAME_BYTES:
                raise DecodeError(f"frame of {len(raw)} bytes, over the {MAX_FRAME_BYTES} limit")
            frame = fr.decode_classic(raw) if self._classic else fr.decode_pro(raw)
        except Exception as exc:  # DecodeError, or what a hostile frame provokes in a parser
            if not isinstance(exc, DecodeError):
                exc = DecodeError(f"{type(exc).__name__}: {exc}")
            self._bad_frame(raw, exc)
            return
        try:
            self._dispatch(frame)
        except Exception as exc:  # a bug on the push path must not look like a drop
            log.exception("handling a frame failed on %s", self.key.value)
            self._bad_frame(raw, exc)

    def _bad_frame(self, raw: str | bytes, exc: Exception) -> None:
        self.decode_errors += 1
        data = raw.encode(errors="surrogateescape") if isinstance(raw, str) else raw
        try:
            self._on_bad_frame(data[:MAX_REPORTED_BYTES], exc)
        except Exception:
            log.exception("reporting a bad frame failed on %s", self.key.value)

    def _dispatch(self, frame: fr.ClassicFrame | fr.ProFrame) -> None:
        if isinstance(frame, fr.ClassicMessage | fr.ProPush):
            self._on_push(frame)
        elif isinstance(frame, fr.ClassicAck):
            self._resolve(frame.id, None)
        elif isinstance(frame, fr.ProAck):
            self._resolve(
                frame.id, None if frame.ok else Rejected(frame.code, frame.msg or "refused")
            )
        elif isinstance(frame, fr.ClassicError | fr.ProError):
            error = Rejected(frame.code, frame.data or "error")
            if frame.id is not None and frame.id in self._pending:
                self._resolve(frame.id, error)
            else:
                self._end(
                    ConnectionLost(f"server error {frame.code}: {frame.data}", code=frame.code)
                )
                asyncio.get_running_loop().create_task(self._ws.close())

    def _resolve(self, request_id: str | None, error: Exception | None) -> None:
        future = self._pending.get(request_id or "")
        if future is None or future.done():
            return
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)

    async def _heartbeat(self) -> None:
        """Ping every ``ping_interval``; declare the link dead when nothing at all arrived
        within ``ping_timeout`` of a ping.

        It reads the time of the last frame instead of being woken by each frame, so busy
        sockets cost it nothing per message.
        """
        loop = asyncio.get_running_loop()
        next_ping = loop.time() + self.ping_interval
        check_at: float | None = None  # when the oldest unanswered ping times out
        check_since = 0.0  # wall time that ping was sent
        while not self.closed.done():
            wake = next_ping if check_at is None else min(next_ping, check_at)
            await asyncio.sleep(max(0.0, wake - loop.time()))
            now = loop.time()
            if check_at is not None and now >= check_at:
                if self.last_frame_at < check_since:
                    self._end(ConnectionLost(f"no frame within {self.ping_timeout} s of a ping"))
                    self.abort()
                    return
                check_at = None
            if now >= next_ping:
                ping_id = self.next_id()
                sent = time.time()
                text = (
                    fr.encode_pro_op_ping(ping_id, int(sent * 1000))
                    if self._op_ping
                    else fr.encode_classic_ping(ping_id)
                )
                try:
                    await self.send(text)
                except ConnectionLost:
                    return
                next_ping = now + self.ping_interval
                if check_at is None:
                    check_at, check_since = now + self.ping_timeout, sent


def inflate(data: bytes, limit: int = MAX_FRAME_BYTES) -> bytes:
    """Binary frames hold plain JSON or deflate-raw compressed JSON.

    Raises:
        DecodeError: the frame inflates past ``limit`` bytes (a deflate bomb is refused
            before it is expanded in full).
    """
    if data[:1] in (b"{", b"["):
        return data
    inflater = zlib.decompressobj(-15)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error:
        return data
    if len(out) > limit or inflater.unconsumed_tail:
        raise DecodeError(f"binary frame inflates past the {limit}-byte limit")
    return out


async def open_session(
    http: aiohttp.ClientSession,
    key: WsKey,
    on_push: Callable[[Push], None],
    *,
    on_bad_frame: Callable[[bytes, Exception], None] | None = None,
    token: Token | None,
    credentials: Credentials | None = None,
    endpoints: Endpoints | None = None,
    welcome_timeout: float = 10.0,
    ack_timeout: float = 10.0,
) -> Session:
    """Dial, wait for the welcome and (Pro without token) authenticate.

    Args:
        http: the aiohttp session that owns the socket.
        key: which socket.
        on_push: called on the loop thread with every push, in arrival order.
        on_bad_frame: called with the bytes (at most 64 KiB) and the error of every frame
            that could not be read or handled; the socket goes on. Logged by default.
        token: a fresh token; ``None`` on Pro means signed ``op: auth`` (flow B).
        credentials: needed for Pro flow B.
        endpoints: where the Pro socket is (Classic endpoints come with the token).
        welcome_timeout: seconds to wait for the welcome (and the auth answer).
        ack_timeout: seconds to wait for each request's answer.

    Raises:
        ConnectionLost: the socket could not be opened or was not welcomed in time.
        AuthError: Pro flow B refused the credentials.
    """
    connect_id = uuid.uuid4().hex
    if key.dialect is Dialect.CLASSIC:
        if token is None:
            raise ValueError(f"{key.value} needs a token")
        server = token.servers[0]
        url = _with_query(server.endpoint, {"token": token.value, "connectId": connect_id})
        interval, timeout = server.ping_interval_ms, server.ping_timeout_ms
    else:
        base = (endpoints or Endpoints()).pro_private_ws
        url = _with_query(base, {"token": token.value}) if token else base
        interval, timeout = DEFAULT_PING_INTERVAL_MS, DEFAULT_PING_TIMEOUT_MS
    try:
        ws = await http.ws_connect(
            url,
            autoping=True,
            max_msg_size=MAX_MESSAGE_BYTES,
            timeout=aiohttp.ClientWSTimeout(ws_close=2.0),
        )
    # aiohttp's errors name the URL, which carries the token: keep both out of the text
    # and out of the exception chain.
    except aiohttp.WSServerHandshakeError as exc:
        raise ConnectionLost(
            f"socket handshake refused: HTTP {exc.status}", code=exc.status
        ) from None
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        text = _redact(str(exc), token.value) if token else str(exc)
        raise ConnectionLost(f"cannot open socket: {type(exc).__name__}: {text}") from None
    try:
        async with asyncio.timeout(welcome_timeout):
            welcome = await _await_welcome(ws, key)
            if isinstance(welcome, fr.ProWelcome):
                connect_id = welcome.session_id or connect_id
                interval = welcome.ping_interval_ms or interval
                timeout = welcome.ping_timeout_ms or timeout
                if token is None:
                    await _pro_auth(ws, credentials)
    except TimeoutError:
        await ws.close()
        raise ConnectionLost(f"no welcome within {welcome_timeout} s") from None
    except BaseException:
        await ws.close()
        raise
    return Session(
        key,
        ws,
        on_push,
        on_bad_frame=on_bad_frame or _log_bad_frame,
        connect_id=connect_id,
        ping_interval=interval / 1000,
        ping_timeout=timeout / 1000,
        ack_timeout=ack_timeout,
        op_ping=key.dialect is Dialect.PRO and token is None,
    )


def _log_bad_frame(raw: bytes, exc: Exception) -> None:
    log.warning("skipping a frame that cannot be read (%s): %r", exc, raw[:200])


def _redact(text: str, secret: str) -> str:
    """``text`` without ``secret``, whether it appears as is or URL-encoded (a URL)."""
    for form in {secret, quote(secret, safe=""), quote_plus(secret)}:
        text = text.replace(form, "***")
    return text


def _with_query(url: str, params: dict[str, str]) -> str:
    return url + ("&" if "?" in url else "?") + urlencode(params)


async def _receive(ws: aiohttp.ClientWebSocketResponse) -> str | bytes:
    message = await ws.receive()
    if message.type is aiohttp.WSMsgType.TEXT:
        return str(message.data)
    if message.type is aiohttp.WSMsgType.BINARY:
        try:
            return inflate(message.data)
        except DecodeError:
            return b""
    raise ConnectionLost(f"socket closed before it was ready (close code {ws.close_code})")


async def _await_welcome(
    ws: aiohttp.ClientWebSocketResponse, key: WsKey
) -> fr.ClassicWelcome | fr.ProWelcome:
    while True:
        raw = await _receive(ws)
        try:
            frame = fr.decode_classic(raw) if key.dialect is Dialect.CLASSIC else fr.decode_pro(raw)
        except DecodeError:
            continue
        if isinstance(frame, fr.ClassicWelcome | fr.ProWelcome):
            return frame
        if isinstance(frame, fr.ClassicError | fr.ProError):
            raise ConnectionLost(
                f"refused before welcome: {frame.code} {frame.data}", code=frame.code
            )


async def _pro_auth(ws: aiohttp.ClientWebSocketResponse, credentials: Credentials | None) -> None:
    if credentials is None:
        raise ValueError("Pro signed auth needs credentials")
    auth_id = uuid.uuid4().hex
    await ws.send_str(fr.encode_pro_auth(auth_id, credentials.ws_auth_fields()))
    while True:
        raw = await _receive(ws)
        try:
            frame = fr.decode_pro(raw)
        except DecodeError:
            continue
        if isinstance(frame, fr.ProAck) and frame.id == auth_id:
            if frame.ok:
                return
            code = frame.code or ""
            message = frame.msg or "authentication refused"
            if code in AUTH_CODES:
                raise AuthError(code, message, status=401, path="ws op:auth")
            # A refusal with only a reason (or an unknown code) does not prove the
            # credentials wrong: the token flow is tried next, and it tells.
            raise ConnectionLost(f"signed auth refused: {code or 'no code'}: {message}", code=code)
        if isinstance(frame, fr.ProError):
            if frame.code in AUTH_CODES:
                raise AuthError(
                    frame.code,
                    frame.data or "authentication refused",
                    status=401,
                    path="ws op:auth",
                )
            raise ConnectionLost(
                f"signed auth refused: {frame.code}: {frame.data or 'error'}", code=frame.code
            )
