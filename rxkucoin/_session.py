"""One live socket: the thin asyncio driver of the sans-I/O `Protocol` over aiohttp.

A `Session` knows nothing of Rx, topics' subscribers or reconnection, and nothing of the
protocol's rules either (those are in `rxkucoin._protocol`): it moves frames between the
aiohttp socket and the protocol, sleeps until the protocol's next deadline, hands every push
to one callback, answers requests with their acks, and resolves `Session.closed` with the
reason the socket ended (a `ConnectionLost` for anything a new socket may cure).

Two tasks per socket, both owned and awaited by `Session.close`: the reader, and the pump
(ticks, pings and paced frames out). The reader yields to the loop after every
`YIELD_AFTER_FRAMES` frames or `YIELD_AFTER_S` seconds of handling, whichever comes first,
so a slow subscriber delays heartbeats and other sockets by one slice or one frame's
handling, whichever is longer. Measured with the simulator writing from another thread
and a task timing its own 1 ms sleeps: the longest loop stall was 11-16 ms for 2,000 quick
pushes, 11 ms with a subscriber taking 10 ms per push, 51 ms at 50 ms per push; without
the yields, 1.1 s and 10 s (so no ping left and the server cut the socket).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
import uuid
from collections.abc import Callable
from typing import Final
from urllib.parse import quote, quote_plus, urlencode

import aiohttp

from . import _protocol as pr
from . import _protocol_events as ev
from ._auth import Credentials
from ._protocol import MAX_REPORTED_BYTES, Push, Rejected, Request
from ._rest import DEFAULT_PING_INTERVAL_MS, DEFAULT_PING_TIMEOUT_MS, Token
from .exceptions import ClientClosed, ConnectionLost
from .keys import Dialect, Endpoints, WsKey

__all__ = ("MAX_REPORTED_BYTES", "Push", "Rejected", "Request", "Session", "open_session")

log = logging.getLogger("rxkucoin.session")

_DATA: Final = (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY)

#: aiohttp drops a socket whose single message exceeds this (before our limit can apply).
MAX_MESSAGE_BYTES: Final = 16 << 20
#: The reader yields to the loop after this many frames in a row...
YIELD_AFTER_FRAMES: Final = 64
#: ... or after this many seconds of handling frames, whichever comes first.
YIELD_AFTER_S: Final = 0.005
#: Loop turns given away at each yield: a timer that fired wakes its task two turns later
#: (the timer's callback, then the task's step), so one turn would leave it waiting for
#: the next slice.
YIELD_TURNS: Final = 3
#: Default bound of `Session.close` (and of aiohttp's wait for the server's close frame).
CLOSE_TIMEOUT_S: Final = 2.0


class Session:
    """A socket driven by a `Protocol`; `open_session` makes one and returns it once the
    socket is welcomed (and authenticated on Pro flow B).

    Attributes:
        key: the WsKey.
        closed: resolves with the exception that ended the socket.
        decode_errors: frames that could not be read or handled and were skipped.
        last_frame_at: wall-clock time (epoch seconds) of the last inbound frame.
        opened_at: the loop's time when the socket was dialled.
        on_push: receives every push, in arrival order; looked up per push, so that a
            rotation may put its de-duplication in front of the router and take it away.
    """

    def __init__(
        self,
        key: WsKey,
        ws: aiohttp.ClientWebSocketResponse,
        protocol: pr.Protocol,
        on_push: Callable[[Push], None],
        *,
        on_bad_frame: Callable[[bytes, Exception], None],
        close_timeout: float = CLOSE_TIMEOUT_S,
        opened_at: float | None = None,
    ) -> None:
        self.key = key
        self.decode_errors = 0
        self._clock = asyncio.get_running_loop().time
        self._last_frame = self._clock()  # the loop's time of the last inbound frame
        self.opened_at = asyncio.get_running_loop().time() if opened_at is None else opened_at
        self.on_push = on_push
        self._ws = ws
        self._protocol = protocol
        self._pongs = 0  # pongs received, for `round_trip`
        self._pong_waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._on_bad_frame = on_bad_frame
        self._close_timeout = close_timeout
        self._waiters: dict[str, asyncio.Future[None]] = {}
        self._wake = asyncio.Event()
        self._pump_sleeps_until = -math.inf  # -inf while the pump runs
        loop = asyncio.get_running_loop()
        self.closed: asyncio.Future[Exception] = loop.create_future()
        self._ready: asyncio.Future[None] = loop.create_future()
        self._reader = loop.create_task(self._read(), name=f"rxkucoin:{key.value}:read")
        self._pump_task = loop.create_task(self._pump(), name=f"rxkucoin:{key.value}:pump")

    @property
    def last_frame_at(self) -> float:
        """Wall-clock time (epoch seconds) of the last inbound frame, or of the opening.

        Kept on the loop's clock, read per frame anyway, and converted when asked.
        """
        return time.time() - (self._clock() - self._last_frame)

    @property
    def connect_id(self) -> str:
        """The id this socket was opened with (Classic) or the server's session id (Pro)."""
        return self._protocol.connect_id

    async def request(self, kind: str, request: Request) -> None:
        """Send a subscribe or unsubscribe request (paced) and wait for its answer.

        Raises:
            Rejected: the server answered with an error frame or a failed result.
            ConnectionLost: the socket died, or no answer came within the ack timeout
                (which ends the socket).
        """
        if self.closed.done():
            raise self.closed.result()
        request_id = self._protocol.request(kind, request, asyncio.get_running_loop().time())
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters[request_id] = future
        self._wake.set()
        try:
            await future
        finally:
            self._waiters.pop(request_id, None)

    async def round_trip(self) -> None:
        """Return once a ping sent after this call has been answered.

        Pings go out on the protocol's own schedule (every ``ping_interval``), so this
        waits for the second pong from now: the first may answer a ping sent before the
        call. A pong comes after every push the server queued before the ping, so once
        this returns, every push written to this socket before the call has arrived.

        Raises:
            ConnectionLost: the socket died first.
        """
        if self.closed.done():
            raise self.closed.result()
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pong_waiters.append((self._pongs + 2, future))
        await future

    def _pong(self) -> None:
        self._pongs += 1
        if self._pong_waiters:
            waiting = []
            for count, future in self._pong_waiters:
                if future.done():
                    continue
                if self._pongs >= count:
                    future.set_result(None)
                else:
                    waiting.append((count, future))
            self._pong_waiters = waiting

    async def close(self) -> None:
        """Close the socket and stop its tasks.

        Returns within ``close_timeout`` seconds (plus the handling of the frame the reader
        may be in), whatever the server does: past it, the connection is dropped.
        """
        self._handle(self._protocol.fail(ConnectionLost("closed by the client")))
        current = asyncio.current_task()
        tasks = [t for t in (self._pump_task, self._reader) if t is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._close_socket()

    # --- the driver ------------------------------------------------------------------

    def _handle(self, events: list[ev.Event]) -> None:
        for event in events:
            if type(event) is ev.PushReceived:
                try:
                    self.on_push(event.frame)
                except Exception as exc:
                    self._push_failed(event, exc)
            elif isinstance(event, ev.Acked | ev.Refused):
                future = self._waiters.get(event.request_id)
                if future is not None and not future.done():
                    if isinstance(event, ev.Acked):
                        future.set_result(None)
                    else:
                        future.set_exception(event.error)
            elif isinstance(event, ev.UnreadableFrame):
                self._bad_frame(event.raw, event.error)
            elif isinstance(event, ev.PongReceived):
                self._pong()
            elif isinstance(event, ev.Ended):
                self._end(event.reason)
            elif isinstance(event, ev.Welcomed | ev.Authenticated):
                if self._protocol.state is pr.State.OPEN and not self._ready.done():
                    self._ready.set_result(None)
            elif isinstance(event, ev.PingRefused):
                what = f"error {event.code}: {event.data}"
                log.warning("a ping on %s was answered with %s", self.key.value, what)

    def _push_failed(self, event: ev.PushReceived, exc: Exception) -> None:
        # a bug on the push path must not look like a drop
        log.exception("handling a push failed on %s", self.key.value)
        self._bad_frame(pr.reported_bytes(event.raw), exc)

    def _bad_frame(self, raw: bytes, exc: Exception) -> None:
        self.decode_errors += 1
        try:
            self._on_bad_frame(raw, exc)
        except Exception:
            log.exception("reporting a bad frame failed on %s", self.key.value)

    def _end(self, reason: Exception) -> None:
        if self.closed.done():
            return
        log.debug("socket %s ended: %s", self.key.value, reason)
        self.closed.set_result(reason)
        if not self._ready.done():
            self._ready.set_exception(reason)
        for future in [*self._waiters.values(), *(f for _, f in self._pong_waiters)]:
            if not future.done():
                future.set_exception(reason)
        self._waiters.clear()
        self._pong_waiters.clear()
        self._wake.set()

    def _wake_if_sooner(self) -> None:
        deadline = self._protocol.next_deadline()
        if deadline is not None and deadline < self._pump_sleeps_until:
            self._wake.set()

    async def _read(self) -> None:
        reason: Exception | None = None
        try:
            clock, receive = self._clock, self._protocol.receive_frame
            count, slice_ends = 0, clock() + YIELD_AFTER_S
            async for message in self._ws:
                if message.type in _DATA:
                    self._last_frame = now = clock()
                    got = receive(message.data, now)
                    if isinstance(got, list):
                        self._handle(got)
                        if got:
                            self._wake_if_sooner()  # a push never brings a deadline closer
                    else:  # the common case: a push, without an event or `_handle`'s walk
                        try:
                            self.on_push(got)
                        except Exception as exc:
                            self._push_failed(ev.PushReceived(got, message.data), exc)
                    if self.closed.done():
                        return
                    count += 1
                    # aiohttp hands buffered frames over without suspending: give the loop
                    # (heartbeats, other sockets) a turn now and then
                    if count >= YIELD_AFTER_FRAMES or clock() >= slice_ends:
                        for _ in range(YIELD_TURNS):
                            await asyncio.sleep(0)
                        count, slice_ends = 0, clock() + YIELD_AFTER_S
                elif message.type is aiohttp.WSMsgType.ERROR:
                    reason = ConnectionLost(f"socket error: {self._ws.exception()}")
                    break
            else:
                code = self._ws.close_code
                if self._protocol.state is pr.State.OPEN:
                    reason = ConnectionLost(f"server closed the connection (close code {code})")
                else:
                    reason = ConnectionLost(
                        f"socket closed before it was ready (close code {code})"
                    )
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # aiohttp itself failed: a drop, worth a new socket
            reason = ConnectionLost(f"socket failed: {type(exc).__name__}: {exc}")
        finally:
            if reason is not None:
                self._handle(self._protocol.fail(reason))

    async def _pump(self) -> None:
        """Tick the protocol, send what it lets go, sleep until its next deadline."""
        loop = asyncio.get_running_loop()
        try:
            while not self.closed.done():
                self._wake.clear()
                now = loop.time()
                self._handle(self._protocol.tick(now))
                frames = self._protocol.data_to_send(now)
                if frames:
                    # a write that cannot finish within ping_timeout means a dead link
                    async with asyncio.timeout(self._protocol.ping_timeout):
                        for text in frames:
                            await self._ws.send_str(text)
                deadline = self._protocol.next_deadline()
                if deadline is None:
                    break
                delay = deadline - loop.time()
                if delay <= 0:
                    await asyncio.sleep(0)
                    continue
                self._pump_sleeps_until = deadline
                try:
                    async with asyncio.timeout(delay):
                        await self._wake.wait()
                except TimeoutError:
                    pass
                finally:
                    self._pump_sleeps_until = -math.inf
        except TimeoutError:
            self._handle(self._protocol.fail(ConnectionLost("a frame could not be sent in time")))
        except (ConnectionError, RuntimeError, aiohttp.ClientError) as exc:
            self._handle(self._protocol.fail(ConnectionLost(f"send failed: {exc}")))
        except Exception as exc:  # a bug here must end the socket, not leave it unattended
            log.exception("the driver of %s failed", self.key.value)
            self._handle(self._protocol.fail(ConnectionLost(f"driver failed: {exc!r}")))
        finally:
            if self.closed.done():
                await self._close_socket()

    async def _close_socket(self) -> None:
        """Stop the reader and close the socket within ``close_timeout``.

        A reader cancelled in the middle of a receive marks the socket aborted, so aiohttp
        sends its close frame and drops the connection without waiting for the server's.
        Cancelling aiohttp's close (our timeout) drops the connection too.
        """
        if self._reader is not asyncio.current_task() and not self._reader.done():
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        with contextlib.suppress(Exception):
            async with asyncio.timeout(self._close_timeout):
                await self._ws.close()


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
    close_timeout: float = CLOSE_TIMEOUT_S,
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
        welcome_timeout: seconds to connect, and then seconds to get the welcome (and the
            auth answer).
        ack_timeout: seconds to wait for each request's answer once it is sent.
        close_timeout: the bound of `Session.close`.

    Raises:
        ConnectionLost: the socket could not be opened or was not welcomed in time.
        AuthError: Pro flow B refused the credentials.
        ClientClosed: ``http`` is closed (the client was closed).
    """
    if http.closed:  # aiohttp would raise an untyped RuntimeError("Session is closed")
        raise ClientClosed(f"{key.value}: the client's HTTP session is closed")
    connect_id = uuid.uuid4().hex
    if key.dialect is Dialect.CLASSIC:
        if token is None:
            raise ValueError(f"{key.value} needs a token")
        server = token.servers[0]
        url = _with_query(server.endpoint, {"token": token.value, "connectId": connect_id})
        interval, timeout = server.ping_interval_ms, server.ping_timeout_ms
    else:
        if token is None and credentials is None:
            raise ValueError("Pro signed auth needs credentials")
        base = (endpoints or Endpoints()).pro_private_ws
        url = _with_query(base, {"token": token.value}) if token else base
        interval, timeout = DEFAULT_PING_INTERVAL_MS, DEFAULT_PING_TIMEOUT_MS
    dialled_at = asyncio.get_running_loop().time()
    try:
        async with asyncio.timeout(welcome_timeout):
            ws = await http.ws_connect(
                url,
                autoping=True,
                max_msg_size=MAX_MESSAGE_BYTES,
                timeout=aiohttp.ClientWSTimeout(ws_close=close_timeout),
            )
    # aiohttp's errors name the URL, which carries the token: keep both out of the text
    # and out of the exception chain.
    except aiohttp.WSServerHandshakeError as exc:
        raise ConnectionLost(
            f"socket handshake refused: HTTP {exc.status}", code=exc.status
        ) from None
    except TimeoutError:
        raise ConnectionLost(
            f"cannot open socket: no connection within {welcome_timeout} s"
        ) from None
    except (aiohttp.ClientError, OSError) as exc:
        text = _redact(str(exc), token.value) if token else str(exc)
        raise ConnectionLost(f"cannot open socket: {type(exc).__name__}: {text}") from None
    protocol = pr.Protocol(
        key,
        asyncio.get_running_loop().time(),
        connect_id=connect_id,
        ping_interval=interval / 1000,
        ping_timeout=timeout / 1000,
        welcome_timeout=welcome_timeout,
        ack_timeout=ack_timeout,
        auth=credentials.ws_auth_fields if token is None and credentials else None,
        op_ping=key.dialect is Dialect.PRO and token is None,
    )
    session = Session(
        key,
        ws,
        protocol,
        on_push,
        on_bad_frame=on_bad_frame or _log_bad_frame,
        close_timeout=close_timeout,
        opened_at=dialled_at,
    )
    try:
        await session._ready
    except BaseException:
        await session.close()
        raise
    return session


def _log_bad_frame(raw: bytes, exc: Exception) -> None:
    log.warning("skipping a frame that cannot be read (%s): %r", exc, raw[:200])


def _redact(text: str, secret: str) -> str:
    """``text`` without ``secret``, whether it appears as is or URL-encoded (a URL)."""
    for form in {secret, quote(secret, safe=""), quote_plus(secret)}:
        text = text.replace(form, "***")
    return text


def _with_query(url: str, params: dict[str, str]) -> str:
    return url + ("&" if "?" in url else "?") + urlencode(params)
