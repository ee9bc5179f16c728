"""Simulator Pro (UTA) push socket: token flow A, signed ``op: auth`` flow B (PROTOCOL.md §5)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import msgspec
from aiohttp import web

from ._classic import MAX_PER_SESSION, Session
from ._pushes import ProEvent, Push

if TYPE_CHECKING:
    from ._gateway import _Token
    from ._server import Simulator

__all__ = ("CHANNELS", "ProSession", "pro_handler")

_encode = msgspec.json.Encoder().encode

_TRADE = frozenset({"SPOT", "FUTURES", "ISOLATED", "CROSS", "UNIFIED"})
_FUT = frozenset({"FUTURES", "UNIFIED"})
_ACCOUNT = frozenset({"SPOT", "ISOLATED", "CROSS", "FUTURES", "UNIFIED", "FUNDING", "TRADING"})

#: channel -> (selector field, allowed values, per symbol) (PROTOCOL.md §5.5).
CHANNELS: dict[str, tuple[str, frozenset[str], bool]] = {
    "orderAll": ("tradeType", _TRADE, False),
    "order": ("tradeType", _TRADE, True),
    "positionAll": ("tradeType", _FUT, False),
    "position": ("tradeType", _FUT, True),
    "balance": ("accountType", _ACCOUNT, False),
    "execution": ("tradeType", _TRADE, False),
    "execution.lite": ("tradeType", _TRADE, False),
    "lw": ("tradeType", _FUT, False),
    "leverage": ("tradeType", _FUT, False),
}

#: ProEvent kind -> the channels it feeds.
KIND_CHANNELS: dict[str, tuple[str, ...]] = {
    "order": ("orderAll", "order"),
    "position": ("positionAll", "position"),
    "execution": ("execution", "execution.lite"),
    "balance": ("balance",),
    "lw": ("lw",),
    "leverage": ("leverage",),
}

#: Fields ``execution.lite`` leaves out.
LITE_DROPS = ("f", "fC", "t")

SubKey = tuple[str, str, str | None]


def matches(key: SubKey, event: ProEvent) -> bool:
    """Whether subscription ``key`` (channel, selector, symbol) receives ``event``."""
    channel, selector, symbol = key
    if channel not in KIND_CHANNELS[event.kind]:
        return False
    if selector != "UNIFIED" and selector != event.trade_type:
        return False
    return symbol is None or symbol == event.symbol


class ProSession(Session):
    """One Pro push socket (authenticated by token, or later by ``op: auth``)."""

    def __init__(
        self,
        sim: Simulator,
        ws: web.WebSocketResponse,
        request: web.Request,
        token: _Token | None,
    ) -> None:
        super().__init__(sim, ws, request, "pro", token)
        self.session_id = sim._new_uuid()

    def welcome_frame(self) -> dict[str, Any]:
        frame = {
            "sessionId": self.session_id,
            "message": "welcome",
            "pingInterval": self.sim.ping_interval_ms,
            "pingTimeout": self.sim.ping_timeout_ms,
        }
        if self.sim.variants is not None:
            return self.sim.variants.welcome(frame)
        return frame

    def error_frame(self, code: int, data: str) -> dict[str, Any]:
        return {"type": "error", "code": code, "data": data}

    def binary_out(self) -> bool:
        return self.sim.binary_pro or self.sim.faults.binary

    def _fail(self, rid: str, reason: str) -> None:
        # A refused request carries a reason and no code, as clients of the live
        # exchange handle it (PROTOCOL.md §0); only auth refusals carry gateway codes.
        self.send_control({"id": rid, "result": False, "reason": reason})

    def handle(self, frame: Any, raw: str | bytes) -> None:
        if not isinstance(frame, dict):
            self._fail("", "request is not a JSON object")
            return
        rid_raw = frame.get("id")
        rid = "" if rid_raw is None else str(rid_raw)
        if not self.rate_ok():
            self._fail(rid, "exceed max permits per second")
            return
        op = frame.get("op")
        # the official Python SDK sends "SUBSCRIBE", the Go SDK "subscribe"; some clients
        # name it "type" rather than "action" (PROTOCOL.md §0)
        action = frame.get("action", frame.get("type"))
        if isinstance(action, str):
            action = action.lower()
        if frame.get("type") == "ping":
            self.send_control({"type": "pong", "id": rid_raw, "ts": self.sim._now_ns()})
        elif op == "ping":
            self.send_control({"id": rid_raw, "op": "pong", "timestamp": self.sim._now_ms()})
        elif op == "auth":
            self._auth(frame, rid_raw)
        elif action in ("subscribe", "unsubscribe"):
            self._subscribe(frame, rid, action == "subscribe")
        else:
            self._fail(rid, "unknown request: expected op or action")

    def _auth(self, frame: dict[str, Any], rid: Any) -> None:
        from ._gateway import GatewayError

        try:
            account = self.sim._verify_ws_auth(frame)
        except GatewayError as e:
            self.send_control({"id": rid, "result": False, "code": e.code, "msg": e.msg})
            self.close()
            return
        refusal = self.sim._admit(account, "pro") if self.account != account else None
        if refusal is not None:
            self.send_control(self.error_frame(509, refusal))
            self.close()
            return
        self.account = account
        self.send_control({"id": rid, "result": True})

    def _subscribe(self, frame: dict[str, Any], rid: str, subscribe: bool) -> None:
        sim = self.sim
        if self.account is None:
            self._fail(rid, "login is required: send op auth first")
            return
        if subscribe:
            sim.stats.subscribe_frames += 1
            reject = sim.faults.take_subscribe_reject()
            if reject is not None:
                self._fail(rid, reject[1])
                return
        channel = frame.get("channel")
        if not isinstance(channel, str) or channel not in CHANNELS:
            self._fail(rid, f"invalid channel: {channel!r}")
            return
        field, allowed, per_symbol = CHANNELS[channel]
        selector = frame.get(field)
        # Selectors match case-insensitively (ccxt has sent "unified"); pushes name the
        # canonical upper-case form in T, whatever case the subscription used.
        if isinstance(selector, str):
            selector = selector.upper()
        if not isinstance(selector, str) or selector not in allowed:
            self._fail(rid, f"invalid {field} for {channel}: {frame.get(field)!r}")
            return
        keys: list[SubKey]
        if per_symbol:
            symbol = frame.get("symbol")
            symbols = [symbol] if symbol is not None else frame.get("symbols")
            if (
                not isinstance(symbols, list)
                or not symbols
                or not all(isinstance(s, str) and s for s in symbols)
            ):
                self._fail(rid, f"symbol is required for {channel}")
                return
            keys = [(channel, selector, s) for s in symbols]
        else:
            keys = [(channel, selector, None)]
        if subscribe:
            new = [k for k in keys if k not in self.subs]
            if len(self.subs) + len(new) > MAX_PER_SESSION:  # as on Classic (PROTOCOL.md §3.5)
                self._fail(rid, "exceed max subscription count limitation of 300 per session")
                return
            self.subs.update(dict.fromkeys(keys))
            sim._resubscribed(self, keys)
        else:
            for k in keys:
                self.subs.pop(k, None)
        self.send_control({"id": rid, "result": True})

    def frames_for(self, push: Push, now_ns: int) -> list[bytes]:
        if not isinstance(push, ProEvent):
            return []
        out: list[bytes] = []
        for key in self.subs:
            if not matches(key, push):
                continue
            channel, selector, _ = key
            data = push.data
            if channel == "execution.lite":
                data = {k: v for k, v in data.items() if k not in LITE_DROPS}
            frame = {"T": f"{channel}.{selector}", "P": now_ns, "d": data}
            if self.sim.variants is not None:
                frame = self.sim.variants.pro(frame, push)
            out.append(_encode(frame))
        return out


async def pro_handler(sim: Simulator, request: web.Request) -> web.WebSocketResponse:
    """Serve one Pro socket: flow A when ``?token=`` is given, flow B otherwise."""
    ws = web.WebSocketResponse(timeout=1.0, autoping=False)
    await ws.prepare(request)
    token: _Token | None = None
    if "token" in request.query:
        token, problem = sim._check_token(request.query.get("token"), "pro")
        code = 401
        refusal = sim._admit(token.account, "pro") if token is not None else None
        if refusal is not None:
            token, code, problem = None, 509, refusal
        if token is None:
            await ws.send_str(json.dumps({"type": "error", "code": code, "data": problem}))
            await ws.close()
            return ws
    await ProSession(sim, ws, request, token).run()
    return ws
