"""Simulator sockets: the shared socket plumbing and the Classic (V1) protocol (PROTOCOL.md §3).

A `Session` owns one accepted WebSocket. Everything it sends goes through one outgoing queue
and one writer task, so replies, pushes and close frames leave in order and the engine's
synchronous push callback never awaits. Subclasses implement the dialect: `ClassicSession`
here, `ProSession` in ``_pro.py``.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import deque
from typing import TYPE_CHECKING, Any, Literal

import msgspec
from aiohttp import WSMsgType, web

from ._pushes import ClassicPush, Push

if TYPE_CHECKING:
    from ._gateway import _Token
    from ._server import Simulator

__all__ = ("DIAL_LIMIT", "SESSION_LIMIT", "ClassicSession", "Session", "classic_handler")

Host = Literal["spot", "futures", "pro"]

_encode = msgspec.json.Encoder().encode


class _Close:
    """Queue item: close the socket with a clean close frame."""

    __slots__ = ("code",)

    def __init__(self, code: int) -> None:
        self.code = code


class _Verbatim:
    """Queue item: a frame sent exactly as given, as text or binary (hostile-input tests)."""

    __slots__ = ("binary", "data")

    def __init__(self, data: bytes, binary: bool) -> None:
        self.data = data
        self.binary = binary


class Session:
    """One accepted socket of the simulator (dialect-independent part).

    Attributes:
        host: ``"spot"``, ``"futures"`` or ``"pro"``.
        account: the authenticated account, ``None`` for public or not-yet-authed sockets.
        token: the token the socket was opened with, ``None`` for Pro flow B.
        half_open: set by `Faults.half_open`: the socket reads but never answers.
        subs: the server-side subscriptions, in subscription order.
    """

    def __init__(
        self,
        sim: Simulator,
        ws: web.WebSocketResponse,
        request: web.Request,
        host: Host,
        token: _Token | None,
    ) -> None:
        self.sim = sim
        self.ws = ws
        self.transport = request.transport
        self.host: Host = host
        self.token = token
        self.account: str | None = token.account if token is not None else None
        self.half_open = False
        self.closed = False
        self._close_queued = False
        self.subs: dict[Any, None] = {}
        self._loop = asyncio.get_running_loop()
        self.opened_at = self._loop.time()
        self._queue: asyncio.Queue[bytes | _Close | _Verbatim] = asyncio.Queue()
        self._writer = self._loop.create_task(self._write_loop())
        self._cut: asyncio.TimerHandle | None = None
        self._stamps: deque[float] = deque()

    # -- dialect hooks --------------------------------------------------------------------

    def welcome_frame(self) -> dict[str, Any]:
        """The first frame the server sends."""
        raise NotImplementedError

    def error_frame(self, code: int, data: str) -> dict[str, Any]:
        """A connection-level error frame of this dialect."""
        raise NotImplementedError

    def handle(self, frame: Any, raw: str | bytes) -> None:
        """React to one client frame (already JSON-decoded; ``None`` if it was not JSON)."""
        raise NotImplementedError

    def frames_for(self, push: Push, now_ns: int) -> list[bytes]:
        """The encoded frames this socket must receive for ``push`` (maybe none)."""
        raise NotImplementedError

    def idle_frame(self) -> dict[str, Any] | None:
        """What to send before closing a socket silent for too long."""
        return None

    def binary_out(self) -> bool:
        """Whether frames go out as binary WebSocket frames."""
        return False

    # -- sending --------------------------------------------------------------------------

    def send_control(self, frame: dict[str, Any]) -> None:
        """Queue a reply or error frame (nothing is sent while half-open or closed)."""
        self.send_raw(_encode(frame))

    def send_raw(self, data: bytes) -> None:
        """Queue an encoded frame (nothing is sent while half-open or closed)."""
        if not self.closed and not self.half_open:
            self._queue.put_nowait(data)

    def send_verbatim(self, data: bytes, *, binary: bool) -> None:
        """Queue ``data`` as one frame, unchanged: binary, or text even if not valid UTF-8."""
        if not self.closed and not self.half_open:
            self._queue.put_nowait(_Verbatim(data, binary))

    def close(self, code: int = 1000) -> None:
        """Queue a clean close frame after whatever is already queued."""
        self.closed = True
        if not self._close_queued:
            self._close_queued = True
            self._queue.put_nowait(_Close(code))

    def abort(self) -> None:
        """Reset the TCP connection at once, without a close frame."""
        self.closed = True
        if self.transport is not None:
            self.transport.abort()

    def schedule_cut(self, seconds: float | None) -> None:
        """Close this socket ``seconds`` after it opened (``None`` cancels)."""
        if self._cut is not None:
            self._cut.cancel()
            self._cut = None
        if seconds is None or self.closed:
            return
        delay = max(0.0, self.opened_at + seconds - self._loop.time())
        self._cut = self._loop.call_later(delay, self._do_cut, seconds)

    def _do_cut(self, seconds: float) -> None:
        if not self.closed:
            self.sim.faults.record("cut", host=self.host, after=seconds)
            self.close()

    async def _write_loop(self) -> None:
        try:
            while True:
                item = await self._queue.get()
                if isinstance(item, _Close):
                    await self.ws.close(code=item.code)
                    return
                if self.ws.closed:
                    continue
                if isinstance(item, _Verbatim):
                    await self._send_verbatim(item)
                elif self.binary_out():
                    await self.ws.send_bytes(item)
                else:
                    await self.ws.send_str(item.decode())
        except (ConnectionError, RuntimeError):
            self.closed = True

    async def _send_verbatim(self, item: _Verbatim) -> None:
        if item.binary:
            await self.ws.send_bytes(item.data)
            return
        try:
            await self.ws.send_str(item.data.decode())
        except UnicodeDecodeError:  # aiohttp only sends str as text: frame it by hand
            writer = self.ws._writer
            assert writer is not None
            await writer.send_frame(item.data, WSMsgType.TEXT)

    # -- lifecycle -------------------------------------------------------------------------

    def rate_ok(self) -> bool:
        """Count one client message; ``False`` when over 100 per 10 s."""
        now = self._loop.time()
        while self._stamps and now - self._stamps[0] >= 10.0:
            self._stamps.popleft()
        if len(self._stamps) >= 100:
            return False
        self._stamps.append(now)
        return True

    async def run(self) -> None:
        """Greet, then serve client frames until the socket ends."""
        sim = self.sim
        sim._opened(self)
        try:
            if sim.faults.welcome_delay_s > 0:
                await asyncio.sleep(sim.faults.welcome_delay_s)
            if sim.welcome and not sim.faults.welcome_off:
                self.send_control(self.welcome_frame())
            await self._read_loop()
        finally:
            sim._closed(self)
            self.close()
            if self._cut is not None:
                self._cut.cancel()
            try:
                await asyncio.wait_for(asyncio.shield(self._writer), 2.0)
            except (TimeoutError, ConnectionError, RuntimeError):
                self._writer.cancel()

    async def _read_loop(self) -> None:
        idle = self.sim._idle_timeout_s
        while not self.ws.closed:
            try:
                msg = await self.ws.receive(timeout=None if self.half_open else idle)
            except TimeoutError:
                if self.half_open:
                    continue
                frame = self.idle_frame()
                if frame is not None:
                    self.send_control(frame)
                self.sim.faults.record("idle_timeout", host=self.host)
                return
            if msg.type is WSMsgType.PING:
                # protocol-level pings get pongs too, unless the socket is half-open
                if not self.half_open and not self.closed:
                    await self.ws.pong(msg.data)
                continue
            if msg.type is WSMsgType.PONG:
                continue
            if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                return
            if self.half_open or self.closed:
                continue
            raw: str | bytes = msg.data
            try:
                decoded: Any = json.loads(raw)
            except ValueError:
                decoded = None
            self.handle(decoded, raw)


# -- Classic -----------------------------------------------------------------------------------

#: topic prefix -> (symbol rule, private). Symbol rule: "none", "required" or "optional".
TOPICS: dict[str, dict[str, tuple[str, bool]]] = {
    "spot": {
        "/spotMarket/tradeOrders": ("none", True),
        "/spotMarket/tradeOrdersV2": ("none", True),
        "/account/balance": ("none", True),
        "/spotMarket/advancedOrders": ("none", True),
        "/margin/position": ("none", True),
        "/margin/isolatedPosition": ("required", True),
        "/market/match": ("required", False),
    },
    "futures": {
        "/contractMarket/tradeOrders": ("optional", True),
        "/contractMarket/advancedOrders": ("none", True),
        "/contractAccount/wallet": ("none", True),
        "/contract/position": ("required", True),
        "/contract/positionAll": ("none", True),
        "/contract/marginMode": ("none", True),
        "/contract/crossLeverage": ("none", True),
    },
}

_PREFIX = re.compile(r"/[A-Za-z][A-Za-z0-9_]*(/[A-Za-z][A-Za-z0-9_]*)*")
_SYMBOL = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*")

MAX_PER_REQUEST = 100
MAX_PER_SESSION = 300
SESSION_LIMIT = "exceed max session count limitation of {}"
DIAL_LIMIT = "exceed max connection rate limitation of {} per minute"


class _Refused(Exception):
    def __init__(self, code: int, data: str) -> None:
        super().__init__(code, data)
        self.code = code
        self.data = data


def parse_topic(host: str, topic: Any, *, authed: bool) -> list[str]:
    """Validate a Classic topic for ``host``; return the subscription keys it names.

    Raises:
        _Refused: with the Classic error code (406, 400, 509, 404, 403).
    """
    if topic is None or topic == "":
        raise _Refused(406, "topic is required")
    if not isinstance(topic, str):
        raise _Refused(400, "topic is invalid")
    prefix, colon, rest = topic.partition(":")
    symbols = rest.split(",") if colon else []
    if not _PREFIX.fullmatch(prefix) or (colon and not all(_SYMBOL.fullmatch(s) for s in symbols)):
        raise _Refused(400, "topic is invalid")
    if len(symbols) > MAX_PER_REQUEST:
        raise _Refused(509, "exceed max subscription count limitation of 100 per time")
    spec = TOPICS.get(host, {}).get(prefix)
    if spec is None or (spec[0] == "none" and colon) or (spec[0] == "required" and not colon):
        raise _Refused(404, f"topic {topic} is not found")
    if spec[1] and not authed:
        raise _Refused(403, "login is required")
    if not colon:
        return [prefix]
    return [f"{prefix}:{s}" for s in dict.fromkeys(symbols)]


class ClassicSession(Session):
    """A Classic V1 socket on the spot or futures host."""

    def __init__(
        self,
        sim: Simulator,
        ws: web.WebSocketResponse,
        request: web.Request,
        host: Host,
        token: _Token,
        connect_id: str,
    ) -> None:
        super().__init__(sim, ws, request, host, token)
        self.connect_id = connect_id

    def welcome_frame(self) -> dict[str, Any]:
        return {"id": self.connect_id, "type": "welcome"}

    def error_frame(self, code: int, data: str) -> dict[str, Any]:
        return {"id": self.connect_id, "type": "error", "code": code, "data": data}

    def idle_frame(self) -> dict[str, Any] | None:
        return self.error_frame(400, "ping timeout")

    def _error(self, rid: str, code: int, data: str) -> None:
        self.send_control({"id": rid, "type": "error", "code": code, "data": data})

    def handle(self, frame: Any, raw: str | bytes) -> None:
        rid_raw = frame.get("id") if isinstance(frame, dict) else None
        rid = "" if rid_raw is None else str(rid_raw)
        if not self.rate_ok():
            self._error(rid, 509, "exceed max permits per second")
            return
        if not isinstance(frame, dict):
            self._error(rid, 415, "command type is invalid")
            return
        kind = frame.get("type")
        if isinstance(kind, str):  # clients send SUBSCRIBE in capitals too (PROTOCOL.md §0)
            kind = kind.lower()
        if kind == "ping":
            self.send_control(
                {
                    "id": rid_raw if rid_raw is not None else "",
                    "type": "pong",
                    "timestamp": self.sim._now_ms(),
                }
            )
        elif kind in ("subscribe", "unsubscribe"):
            self._subscribe(frame, rid, kind == "subscribe")
        else:
            self._error(rid, 415, "command type is invalid")

    def _subscribe(self, frame: dict[str, Any], rid: str, subscribe: bool) -> None:
        sim = self.sim
        if subscribe:
            sim.stats.subscribe_frames += 1
            reject = sim.faults.take_subscribe_reject()
            if reject is not None:
                self._error(rid, *reject)
                return
        try:
            keys = parse_topic(self.host, frame.get("topic"), authed=self.account is not None)
        except _Refused as e:
            self._error(rid, e.code, e.data)
            return
        if subscribe:
            new = [k for k in keys if k not in self.subs]
            if len(self.subs) + len(new) > MAX_PER_SESSION:
                self._error(rid, 509, "exceed max subscription count limitation of 300 per session")
                return
            self.subs.update(dict.fromkeys(new))
            sim._resubscribed(self, keys)
        else:
            for k in keys:
                self.subs.pop(k, None)
        if frame.get("response") in (True, "true"):
            self.send_control({"id": rid, "type": "ack"})

    def frames_for(self, push: Push, now_ns: int) -> list[bytes]:
        if (
            not isinstance(push, ClassicPush)
            or push.host != self.host
            or push.topic not in self.subs
        ):
            return []
        return [self.sim._classic_envelope(push)]


async def classic_handler(
    sim: Simulator, request: web.Request, host: Literal["spot", "futures"]
) -> web.WebSocketResponse:
    """Serve one Classic socket: check the token, welcome, then run the session."""
    ws = web.WebSocketResponse(timeout=1.0, autoping=False)
    await ws.prepare(request)
    connect_id = request.query.get("connectId") or ""
    token, problem = sim._check_token(request.query.get("token"), host)
    code = 401
    refusal = sim._admit(token.account, host) if token is not None else None
    if refusal is not None:
        token, code, problem = None, 509, refusal
    if token is None:
        await ws.send_str(
            json.dumps({"id": connect_id, "type": "error", "code": code, "data": problem})
        )
        await ws.close()
        return ws
    session = ClassicSession(sim, ws, request, host, token, connect_id or sim._new_id())
    await session.run()
    return ws
