"""Simulator Pro (UTA) socket: token flow A, ``op: auth`` flow B, pings, channels, pushes."""

from __future__ import annotations

import json
import uuid
from typing import Any

import aiohttp
import pytest

from rxkucoin._auth import Credentials
from rxkucoin.sim import ProEvent, Simulator

from .test_server_rest import FakeEngine

NOW = 1_700_000_000.0


@pytest.fixture
async def sim() -> Any:
    async with Simulator(FakeEngine(), seed=5, clock=lambda: NOW) as s:
        yield s


@pytest.fixture
async def http() -> Any:
    async with aiohttp.ClientSession() as h:
        yield h


async def recv(ws: aiohttp.ClientWebSocketResponse, binary: bool = False) -> Any:
    msg = await ws.receive(timeout=3)
    want = aiohttp.WSMsgType.BINARY if binary else aiohttp.WSMsgType.TEXT
    assert msg.type is want, msg
    return json.loads(msg.data)


async def pro_token(http: aiohttp.ClientSession, sim: Simulator, creds: Credentials) -> str:
    path = "/api/v2/bullet-private"
    headers = creds.headers("POST", path, timestamp_ms=int(NOW * 1000))
    async with http.post(sim.endpoints.spot_rest + path, headers=headers) as r:
        body = await r.json()
    return str(body["data"]["token"])


async def flow_a(
    http: aiohttp.ClientSession, sim: Simulator, creds: Credentials
) -> aiohttp.ClientWebSocketResponse:
    token = await pro_token(http, sim, creds)
    ws = await http.ws_connect(f"{sim.endpoints.pro_private_ws}/?token={token}")
    assert (await recv(ws))["message"] == "welcome"
    return ws


async def flow_b(
    http: aiohttp.ClientSession, sim: Simulator, creds: Credentials
) -> aiohttp.ClientWebSocketResponse:
    ws = await http.ws_connect(sim.endpoints.pro_private_ws)
    assert (await recv(ws))["message"] == "welcome"
    fields = creds.ws_auth_fields(timestamp_ms=int(NOW * 1000))
    await ws.send_json({"id": "auth-1", "op": "auth", **fields})
    assert await recv(ws) == {"id": "auth-1", "result": True}
    return ws


async def subscribe(
    ws: aiohttp.ClientWebSocketResponse, channel: str, rid: Any = "s", **params: Any
) -> Any:
    await ws.send_json({"id": rid, "action": "SUBSCRIBE", "channel": channel, **params})
    return await recv(ws)


async def nothing_pending(ws: aiohttp.ClientWebSocketResponse) -> None:
    await ws.send_json({"id": "probe", "type": "ping"})
    assert (await recv(ws))["type"] == "pong"


# -- connecting and auth -----------------------------------------------------------------------


async def test_welcome(sim: Simulator, http: Any) -> None:
    ws = await http.ws_connect(sim.endpoints.pro_private_ws)
    welcome = await recv(ws)
    assert set(welcome) == {"sessionId", "message", "pingInterval", "pingTimeout"}
    assert welcome["message"] == "welcome"
    assert uuid.UUID(welcome["sessionId"]).version == 4
    assert (welcome["pingInterval"], welcome["pingTimeout"]) == (18000, 10000)
    assert sim.stats.connections["pro"] == 1
    await ws.close()


async def test_flow_a_token(sim: Simulator, http: Any) -> None:
    ws = await flow_a(http, sim, sim.add_account())
    assert await subscribe(ws, "orderAll", tradeType="UNIFIED") == {"id": "s", "result": True}
    await ws.close()


@pytest.mark.parametrize("token", ["", "garbage"])
async def test_flow_a_bad_token(sim: Simulator, http: Any, token: str) -> None:
    async with http.ws_connect(f"{sim.endpoints.pro_private_ws}/?token={token}") as ws:
        assert await recv(ws) == {"type": "error", "code": 401, "data": "token is invalid"}
        msg = await ws.receive(timeout=3)
        assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)


async def test_flow_a_classic_token_is_invalid(sim: Simulator, http: Any) -> None:
    creds = sim.add_account()
    path = "/api/v1/bullet-private"
    headers = creds.headers("POST", path, timestamp_ms=int(NOW * 1000))
    async with http.post(sim.endpoints.spot_rest + path, headers=headers) as r:
        token = (await r.json())["data"]["token"]
    async with http.ws_connect(f"{sim.endpoints.pro_private_ws}?token={token}") as ws:
        assert (await recv(ws))["data"] == "token is invalid"


async def test_flow_a_expired_token(http: Any) -> None:
    now = [NOW]
    async with Simulator(FakeEngine(), clock=lambda: now[0], token_ttl=10) as sim:
        token = await pro_token(http, sim, sim.add_account())
        now[0] += 11
        async with http.ws_connect(f"{sim.endpoints.pro_private_ws}?token={token}") as ws:
            assert await recv(ws) == {"type": "error", "code": 401, "data": "token is expired"}


async def test_flow_b_requests_before_auth_are_refused(sim: Simulator, http: Any) -> None:
    creds = sim.add_account()
    ws = await http.ws_connect(sim.endpoints.pro_private_ws)
    await recv(ws)
    reply = await subscribe(ws, "orderAll", "early", tradeType="UNIFIED")
    # a refused request: a reason, no code (only auth refusals carry gateway codes)
    assert set(reply) == {"id", "result", "reason"} and reply["id"] == "early"
    assert reply["result"] is False and "login" in reply["reason"]
    await nothing_pending(ws)  # pings are answered before auth
    fields = creds.ws_auth_fields(timestamp_ms=int(NOW * 1000))
    await ws.send_json({"id": "a", "op": "auth", **fields})
    assert await recv(ws) == {"id": "a", "result": True}
    assert (await subscribe(ws, "orderAll", tradeType="UNIFIED"))["result"] is True
    await ws.close()


async def test_flow_b_protocol_vector(http: Any) -> None:
    """PROTOCOL.md §1.4: the ``op: auth`` signature for secret ``test_api_secret``."""
    async with Simulator(FakeEngine(), clock=lambda: NOW) as sim:
        sim.add_account(
            "v", api_key="key", api_secret="test_api_secret", passphrase="test_passphrase"
        )
        ws = await http.ws_connect(sim.endpoints.pro_private_ws)
        await recv(ws)
        await ws.send_json(
            {
                "id": "v",
                "op": "auth",
                "kc-api-key": "key",
                "kc-api-sign": "mVRg0Wfc5h9h9wAscIFtdvFLwkKMrXof9VerOMp+3kw=",
                "kc-api-timestamp": "1700000000000",
                "kc-api-passphrase": "Ikr9KjwgA4urCb5Az1TNKgQELW10z84iOq+wsZsRRz0=",
            }
        )
        assert await recv(ws) == {"id": "v", "result": True}
        await ws.close()


BAD_AUTH = {
    "wrong sign": ({"kc-api-sign": "AAAA"}, "400005"),
    "unknown key": ({"kc-api-key": "nope"}, "400003"),
    "bad passphrase": ({"kc-api-passphrase": "plain"}, "400004"),
    "stale timestamp": ({"kc-api-timestamp": str(int(NOW * 1000) - 6000)}, "400002"),
    "missing sign": ({"kc-api-sign": None}, "400001"),
}


@pytest.mark.parametrize("case", list(BAD_AUTH))
async def test_flow_b_bad_auth(sim: Simulator, http: Any, case: str) -> None:
    creds = sim.add_account()
    change, code = BAD_AUTH[case]
    fields: dict[str, Any] = {**creds.ws_auth_fields(timestamp_ms=int(NOW * 1000)), **change}
    fields = {k: v for k, v in fields.items() if v is not None}
    ws = await http.ws_connect(sim.endpoints.pro_private_ws)
    await recv(ws)
    await ws.send_json({"id": "x", "op": "auth", **fields})
    reply = await recv(ws)
    assert reply["id"] == "x" and reply["result"] is False
    assert reply["code"] == code and isinstance(reply["msg"], str)
    msg = await ws.receive(timeout=3)
    assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)


async def test_flow_b_needs_general_permission(sim: Simulator, http: Any) -> None:
    creds = sim.add_account("ro", permissions=("Spot",))
    ws = await http.ws_connect(sim.endpoints.pro_private_ws)
    await recv(ws)
    await ws.send_json(
        {"id": 1, "op": "auth", **creds.ws_auth_fields(timestamp_ms=int(NOW * 1000))}
    )
    assert (await recv(ws))["code"] == "400007"
    await ws.close()


# -- heartbeat ---------------------------------------------------------------------------------


async def test_both_ping_forms(sim: Simulator, http: Any) -> None:
    ws = await flow_b(http, sim, sim.add_account())
    await ws.send_json({"id": "366142583719543", "type": "ping"})
    pong = await recv(ws)
    assert pong == {"type": "pong", "id": "366142583719543", "ts": int(NOW * 1e9)}
    assert type(pong["ts"]) is int
    await ws.send_json({"id": "u-1", "op": "ping", "timestamp": 1})
    assert await recv(ws) == {"id": "u-1", "op": "pong", "timestamp": int(NOW * 1000)}
    await ws.close()


# -- subscribe ---------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["action", "type"])
@pytest.mark.parametrize("action", ["SUBSCRIBE", "subscribe", "Subscribe"])
async def test_action_is_case_insensitive(
    sim: Simulator, http: Any, action: str, field: str
) -> None:
    ws = await flow_b(http, sim, sim.add_account())
    await ws.send_json({"id": 42, field: action, "channel": "balance", "accountType": "UNIFIED"})
    assert await recv(ws) == {"id": "42", "result": True}
    await ws.send_json(
        {
            "id": 43,
            field: action.replace("SUB", "UNSUB").replace("sub", "unsub").replace("Sub", "Unsub"),
            "channel": "balance",
            "accountType": "UNIFIED",
        }
    )
    assert await recv(ws) == {"id": "43", "result": True}
    assert sim.stats.subscribe_frames == 1
    await ws.close()


GOOD = [
    {"channel": "orderAll", "tradeType": t}
    for t in ("SPOT", "FUTURES", "ISOLATED", "CROSS", "UNIFIED")
] + [
    {"channel": "order", "tradeType": "SPOT", "symbol": "BTC-USDT"},
    {"channel": "positionAll", "tradeType": "FUTURES"},
    {"channel": "position", "tradeType": "UNIFIED", "symbol": "XBTUSDTM"},
    {"channel": "balance", "accountType": "FUNDING"},
    {"channel": "execution", "tradeType": "SPOT"},
    {"channel": "execution.lite", "tradeType": "FUTURES"},
    {"channel": "lw", "tradeType": "UNIFIED"},
    {"channel": "leverage", "tradeType": "FUTURES"},
]

BAD = [
    {"channel": "nope", "tradeType": "SPOT"},
    {"tradeType": "SPOT"},
    {"channel": "orderAll"},
    {"channel": "positionAll", "tradeType": "SPOT"},
    {"channel": "position", "tradeType": "FUTURES"},
    {"channel": "order", "tradeType": "SPOT", "symbol": ""},
    {"channel": "balance", "tradeType": "UNIFIED"},
    {"channel": "lw", "tradeType": "SPOT"},
]


@pytest.mark.parametrize("params", GOOD)
async def test_valid_channels(sim: Simulator, http: Any, params: dict[str, Any]) -> None:
    ws = await flow_b(http, sim, sim.add_account())
    await ws.send_json({"id": "g", "action": "subscribe", **params})
    assert await recv(ws) == {"id": "g", "result": True}
    await ws.close()


@pytest.mark.parametrize("params", BAD)
async def test_invalid_channels(sim: Simulator, http: Any, params: dict[str, Any]) -> None:
    ws = await flow_b(http, sim, sim.add_account())
    await ws.send_json({"id": "b", "action": "subscribe", **params})
    reply = await recv(ws)
    assert set(reply) == {"id", "result", "reason"}
    assert reply["id"] == "b" and reply["result"] is False
    assert isinstance(reply["reason"], str) and reply["reason"]
    await ws.close()


async def test_unknown_request(sim: Simulator, http: Any) -> None:
    ws = await flow_b(http, sim, sim.add_account())
    await ws.send_json({"id": "w", "action": "WATCH", "channel": "orderAll", "tradeType": "SPOT"})
    reply = await recv(ws)
    assert reply["result"] is False and "expected op or action" in reply["reason"]
    await ws.send_str("not json")
    assert (await recv(ws))["result"] is False
    await ws.close()


# -- pushes ------------------------------------------------------------------------------------


ORDER = {
    "tT": "SPOT",
    "oi": "1",
    "os": 2,
    "eT": "OPEN",
    "s": "BTC-USDT",
    "p": "50000",
    "O": 1771742294039455063,
}


def order(trade_type: str = "SPOT", symbol: str = "BTC-USDT", account: str = "demo") -> ProEvent:
    return ProEvent(
        account, "order", trade_type, {**ORDER, "tT": trade_type, "s": symbol}, symbol=symbol
    )


async def test_order_fan_out(sim: Simulator, http: Any) -> None:
    ws = await flow_b(http, sim, sim.add_account())
    await subscribe(ws, "orderAll", tradeType="UNIFIED")
    await subscribe(ws, "orderAll", tradeType="FUTURES")
    await subscribe(ws, "order", tradeType="SPOT", symbol="ETH-USDT")
    sim.publish(order("SPOT", "BTC-USDT"))
    frame = await recv(ws)
    assert set(frame) == {"T", "P", "d"}
    assert frame["T"] == "orderAll.UNIFIED" and frame["d"] == {**ORDER}
    assert type(frame["P"]) is int and frame["P"] == int(NOW * 1e9)
    await nothing_pending(ws)
    sim.publish(order("FUTURES", "XBTUSDTM"))
    assert [(await recv(ws))["T"] for _ in range(2)] == ["orderAll.UNIFIED", "orderAll.FUTURES"]
    await nothing_pending(ws)
    sim.publish(order("SPOT", "ETH-USDT"))
    got = [(await recv(ws)) for _ in range(2)]
    assert [f["T"] for f in got] == ["orderAll.UNIFIED", "order.SPOT"]
    assert got[1]["d"]["s"] == "ETH-USDT"
    sim.publish(order("SPOT", "ETH-USDT", account="someone-else"))
    await nothing_pending(ws)
    await ws.close()


async def test_selectors_match_case_insensitively(sim: Simulator, http: Any) -> None:
    """ccxt has sent ``unified`` in lower case; pushes name the canonical form in T."""
    ws = await flow_b(http, sim, sim.add_account())
    await subscribe(ws, "orderAll", tradeType="unified")
    await subscribe(ws, "balance", accountType="Spot")
    sim.publish(order("FUTURES", "XBTUSDTM"))
    assert (await recv(ws))["T"] == "orderAll.UNIFIED"
    sim.publish(ProEvent("demo", "balance", "SPOT", {"c": "USDT", "b": "5"}))
    assert (await recv(ws))["T"] == "balance.SPOT"
    # unsubscribing in another case ends the same subscription
    await ws.send_json(
        {"id": "u", "action": "UNSUBSCRIBE", "channel": "orderAll", "tradeType": "Unified"}
    )
    assert await recv(ws) == {"id": "u", "result": True}
    sim.publish(order("FUTURES", "XBTUSDTM"))
    await nothing_pending(ws)
    await ws.close()


async def test_positions_balance_execution(sim: Simulator, http: Any) -> None:
    ws = await flow_a(http, sim, sim.add_account())
    await subscribe(ws, "positionAll", tradeType="UNIFIED")
    await subscribe(ws, "position", tradeType="FUTURES", symbol="ETHUSDTM")
    await subscribe(ws, "balance", accountType="SPOT")
    await subscribe(ws, "execution", tradeType="SPOT")
    await subscribe(ws, "execution.lite", tradeType="UNIFIED")
    await subscribe(ws, "lw", tradeType="UNIFIED")
    await subscribe(ws, "leverage", tradeType="FUTURES")

    sim.publish(
        ProEvent("demo", "position", "FUTURES", {"s": "XBTUSDTM", "q": "1"}, symbol="XBTUSDTM")
    )
    assert (await recv(ws))["T"] == "positionAll.UNIFIED"
    await nothing_pending(ws)
    sim.publish(
        ProEvent("demo", "position", "FUTURES", {"s": "ETHUSDTM", "q": "2"}, symbol="ETHUSDTM")
    )
    assert [(await recv(ws))["T"] for _ in range(2)] == ["positionAll.UNIFIED", "position.FUTURES"]

    sim.publish(ProEvent("demo", "balance", "UNIFIED", {"c": "USDT", "b": "500"}))
    await nothing_pending(ws)  # subscribed balance.SPOT only
    sim.publish(ProEvent("demo", "balance", "SPOT", {"c": "USDT", "b": "500"}))
    assert await recv(ws) == {
        "T": "balance.SPOT",
        "P": int(NOW * 1e9),
        "d": {"c": "USDT", "b": "500"},
    }

    fill = {"oi": "1", "p": "1", "q": "1", "f": "0.1", "fC": "USDT", "t": "0", "E": 1}
    sim.publish(ProEvent("demo", "execution", "SPOT", fill, symbol="BTC-USDT"))
    full, lite = await recv(ws), await recv(ws)
    assert full == {"T": "execution.SPOT", "P": full["P"], "d": fill}
    assert lite["T"] == "execution.lite.UNIFIED"
    assert lite["d"] == {"oi": "1", "p": "1", "q": "1", "E": 1}

    sim.publish(ProEvent("demo", "lw", "FUTURES", {"eT": "MARGIN_CALL"}))
    assert (await recv(ws))["T"] == "lw.UNIFIED"
    sim.publish(ProEvent("demo", "leverage", "FUTURES", {"s": "XBTUSDTM", "l": "5.00"}))
    assert (await recv(ws)) == {
        "T": "leverage.FUTURES",
        "P": int(NOW * 1e9),
        "d": {"s": "XBTUSDTM", "l": "5.00"},
    }
    await nothing_pending(ws)

    await ws.send_json(
        {"id": "u", "action": "unsubscribe", "channel": "positionAll", "tradeType": "UNIFIED"}
    )
    assert (await recv(ws))["result"] is True
    sim.publish(ProEvent("demo", "position", "FUTURES", {"s": "XBTUSDTM"}, symbol="XBTUSDTM"))
    await nothing_pending(ws)
    await ws.close()


async def test_classic_pushes_do_not_reach_pro(sim: Simulator, http: Any) -> None:
    from rxkucoin.sim import ClassicPush

    ws = await flow_b(http, sim, sim.add_account())
    await subscribe(ws, "orderAll", tradeType="UNIFIED")
    sim.publish(ClassicPush("demo", "spot", "/spotMarket/tradeOrdersV2", "orderChange", {}))
    await nothing_pending(ws)
    await ws.close()


# -- binary frames -----------------------------------------------------------------------------


async def test_binary_pro_option(http: Any) -> None:
    async with Simulator(FakeEngine(), binary_pro=True, clock=lambda: NOW) as sim:
        creds = sim.add_account()
        ws = await http.ws_connect(sim.endpoints.pro_private_ws)
        assert (await recv(ws, binary=True))["message"] == "welcome"
        await ws.send_json(
            {"id": "a", "op": "auth", **creds.ws_auth_fields(timestamp_ms=int(NOW * 1000))}
        )
        assert await recv(ws, binary=True) == {"id": "a", "result": True}
        await ws.close()


async def test_binary_frames_fault(sim: Simulator, http: Any) -> None:
    ws = await flow_b(http, sim, sim.add_account())
    await subscribe(ws, "orderAll", tradeType="UNIFIED")
    sim.faults.binary_frames(True)
    sim.publish(order())
    assert (await recv(ws, binary=True))["T"] == "orderAll.UNIFIED"
    sim.faults.binary_frames(False)
    sim.publish(order())
    assert (await recv(ws))["T"] == "orderAll.UNIFIED"
    assert sim.faults.kinds() == ["binary_frames", "binary_frames"]
    await ws.close()


async def test_session_limit(http: Any) -> None:
    async with Simulator(FakeEngine(), max_sessions=1, clock=lambda: NOW) as sim:
        creds = sim.add_account()
        first = await flow_a(http, sim, creds)
        token = await pro_token(http, sim, creds)
        async with http.ws_connect(f"{sim.endpoints.pro_private_ws}?token={token}") as ws:
            assert await recv(ws) == {
                "type": "error",
                "code": 509,
                "data": "exceed max session count limitation of 1",
            }
        ws = await http.ws_connect(sim.endpoints.pro_private_ws)
        await recv(ws)
        await ws.send_json(
            {"id": "a", "op": "auth", **creds.ws_auth_fields(timestamp_ms=int(NOW * 1000))}
        )
        assert (await recv(ws))["code"] == 509
        msg = await ws.receive(timeout=3)
        assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        await first.close()


async def test_idle_pro_socket_is_closed(http: Any) -> None:
    async with Simulator(FakeEngine(), ping_interval_ms=30, ping_timeout_ms=30) as sim:
        ws = await http.ws_connect(sim.endpoints.pro_private_ws)
        assert (await recv(ws))["pingInterval"] == 30
        msg = await ws.receive(timeout=3)
        assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
