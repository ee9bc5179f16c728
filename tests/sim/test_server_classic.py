"""Simulator Classic (V1) sockets: tokens, welcome, ping, subscribe rules, limits, pushes."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from rxkucoin._auth import Credentials
from rxkucoin.sim import ClassicPush, Simulator

from .test_server_rest import FakeEngine


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def sim(clock: Clock) -> Any:
    async with Simulator(FakeEngine(), seed=3, clock=clock, token_ttl=3600) as s:
        yield s


@pytest.fixture
async def http() -> Any:
    async with aiohttp.ClientSession() as h:
        yield h


def base(sim: Simulator, host: str) -> str:
    return sim.endpoints.spot_rest if host == "spot" else sim.endpoints.futures_rest


async def get_token(
    http: aiohttp.ClientSession,
    sim: Simulator,
    creds: Credentials | None,
    host: str = "spot",
) -> tuple[str, str]:
    """A token and its socket endpoint from the simulator's bullet endpoint."""
    if creds is None:
        path, headers = "/api/v1/bullet-public", {}
    else:
        path = "/api/v1/bullet-private"
        headers = creds.headers("POST", path, timestamp_ms=int(sim._clock() * 1000))
    async with http.post(base(sim, host) + path, headers=headers) as r:
        body = await r.json()
    assert body["code"] == "200000", body
    return body["data"]["token"], body["data"]["instanceServers"][0]["endpoint"]


async def recv(ws: aiohttp.ClientWebSocketResponse) -> Any:
    msg = await ws.receive(timeout=3)
    assert msg.type is aiohttp.WSMsgType.TEXT, msg
    return json.loads(msg.data)


async def open_ws(
    http: aiohttp.ClientSession,
    sim: Simulator,
    creds: Credentials | None,
    host: str = "spot",
    connect_id: str | None = "cid-1",
) -> aiohttp.ClientWebSocketResponse:
    token, endpoint = await get_token(http, sim, creds, host)
    url = f"{endpoint}?token={token}" + (f"&connectId={connect_id}" if connect_id else "")
    ws = await http.ws_connect(url)
    welcome = await recv(ws)
    assert welcome["type"] == "welcome"
    return ws


async def expect_closed(ws: aiohttp.ClientWebSocketResponse) -> None:
    msg = await ws.receive(timeout=3)
    assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED), msg


async def sub(ws: aiohttp.ClientWebSocketResponse, topic: Any, rid: Any = "1", **extra: Any) -> Any:
    frame = {"id": rid, "type": "subscribe", "topic": topic, "response": True, **extra}
    await ws.send_json(frame)
    return await recv(ws)


async def nothing_pending(ws: aiohttp.ClientWebSocketResponse) -> None:
    """A ping round trip: whatever was queued before it would arrive first."""
    await ws.send_json({"id": "probe", "type": "ping"})
    assert (await recv(ws))["type"] == "pong"


# -- connecting --------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["spot", "futures"])
async def test_welcome_echoes_connect_id(sim: Simulator, http: Any, host: str) -> None:
    creds = sim.add_account()
    token, endpoint = await get_token(http, sim, creds, host)
    async with http.ws_connect(f"{endpoint}?token={token}&connectId=abc123") as ws:
        assert await recv(ws) == {"id": "abc123", "type": "welcome"}
    async with http.ws_connect(f"{endpoint}?token={token}") as ws:
        welcome = await recv(ws)
        assert welcome["type"] == "welcome" and isinstance(welcome["id"], str) and welcome["id"]
    assert sim.stats.connections[host] == 2


@pytest.mark.parametrize(
    "query",
    ["", "?token=", "?token=nonsense", "?connectId=x"],
)
async def test_invalid_token(sim: Simulator, http: Any, query: str) -> None:
    url = sim.endpoints.spot_rest.replace("http", "ws") + "/" + query
    async with http.ws_connect(url) as ws:
        frame = await recv(ws)
        assert frame == {
            "id": "x" if "connectId" in query else "",
            "type": "error",
            "code": 401,
            "data": "token is invalid",
        }
        await expect_closed(ws)
    assert sim.stats.connections["spot"] == 0


async def test_token_is_bound_to_its_host(sim: Simulator, http: Any) -> None:
    creds = sim.add_account()
    futures_token, _ = await get_token(http, sim, creds, "futures")
    spot_token, spot_ep = await get_token(http, sim, creds, "spot")
    async with http.ws_connect(f"{spot_ep}?token={futures_token}&connectId=c") as ws:
        assert await recv(ws) == {
            "id": "c",
            "type": "error",
            "code": 401,
            "data": "token is invalid",
        }
        await expect_closed(ws)
    pro = sim.endpoints.pro_private_ws
    async with http.ws_connect(f"{pro}/?token={spot_token}") as ws:
        frame = await recv(ws)
        assert (frame["code"], frame["data"]) == (401, "token is invalid")


async def test_expired_token(sim: Simulator, http: Any, clock: Clock) -> None:
    creds = sim.add_account()
    token, endpoint = await get_token(http, sim, creds)
    clock.now += 3600.5
    async with http.ws_connect(f"{endpoint}?token={token}&connectId=e") as ws:
        assert await recv(ws) == {
            "id": "e",
            "type": "error",
            "code": 401,
            "data": "token is expired",
        }
        await expect_closed(ws)


async def test_ping_pong(sim: Simulator, http: Any) -> None:
    ws = await open_ws(http, sim, sim.add_account())
    await ws.send_json({"id": "1545910590801", "type": "ping"})
    pong = await recv(ws)
    assert pong["id"] == "1545910590801" and pong["type"] == "pong"
    assert type(pong["timestamp"]) is int and pong["timestamp"] == int(sim._clock() * 1000)
    await ws.close()


async def test_idle_socket_is_closed(http: Any) -> None:
    async with Simulator(FakeEngine(), ping_interval_ms=50, ping_timeout_ms=50) as sim:
        ws = await open_ws(http, sim, sim.add_account(), connect_id="idle")
        assert await recv(ws) == {
            "id": "idle",
            "type": "error",
            "code": 400,
            "data": "ping timeout",
        }
        await expect_closed(ws)
        assert "idle_timeout" in sim.faults.kinds()


# -- subscribe ---------------------------------------------------------------------------------


async def test_ack_only_when_response_true(sim: Simulator, http: Any) -> None:
    ws = await open_ws(http, sim, sim.add_account())
    topic = "/spotMarket/tradeOrdersV2"
    assert await sub(ws, topic, 1545910660739) == {"id": "1545910660739", "type": "ack"}
    assert await sub(ws, "/account/balance", "b", privateChannel="true") == {
        "id": "b",
        "type": "ack",
    }
    await ws.send_json(
        {"id": "s", "type": "subscribe", "topic": "/spotMarket/tradeOrders", "response": "true"}
    )
    assert await recv(ws) == {"id": "s", "type": "ack"}
    for response in (False, "false", None):
        frame = {"id": "q", "type": "subscribe", "topic": "/spotMarket/advancedOrders"}
        if response is not None:
            frame["response"] = response
        await ws.send_json(frame)
    await ws.send_json({"id": "u", "type": "unsubscribe", "topic": topic})
    await nothing_pending(ws)
    await ws.send_json({"id": "u2", "type": "unsubscribe", "topic": topic, "response": True})
    assert await recv(ws) == {"id": "u2", "type": "ack"}
    assert sim.stats.subscribe_frames == 6
    await ws.close()


ERRORS = [
    ("spot", {"id": "1", "type": "subscribe", "response": True}, 406, "topic is required"),
    (
        "spot",
        {"id": "1", "type": "subscribe", "topic": "", "response": True},
        406,
        "topic is required",
    ),
    (
        "spot",
        {"id": "1", "type": "subscribe", "topic": "spotMarket/tradeOrders"},
        400,
        "topic is invalid",
    ),
    ("spot", {"id": "1", "type": "subscribe", "topic": 5}, 400, "topic is invalid"),
    (
        "futures",
        {"id": "1", "type": "subscribe", "topic": "/contract/position:"},
        400,
        "topic is invalid",
    ),
    (
        "futures",
        {"id": "1", "type": "subscribe", "topic": "/contract/position:A,,B"},
        400,
        "topic is invalid",
    ),
    (
        "spot",
        {"id": "1", "type": "subscribe", "topic": "/account/ balance"},
        400,
        "topic is invalid",
    ),
    (
        "spot",
        {"id": "1", "type": "subscribe", "topic": "/no/such"},
        404,
        "topic /no/such is not found",
    ),
    (
        "spot",
        {"id": "1", "type": "subscribe", "topic": "/contractAccount/wallet"},
        404,
        "topic /contractAccount/wallet is not found",
    ),
    (
        "futures",
        {"id": "1", "type": "subscribe", "topic": "/spotMarket/tradeOrdersV2"},
        404,
        "topic /spotMarket/tradeOrdersV2 is not found",
    ),
    (
        "futures",
        {"id": "1", "type": "subscribe", "topic": "/contract/position"},
        404,
        "topic /contract/position is not found",
    ),
    (
        "spot",
        {"id": "1", "type": "subscribe", "topic": "/account/balance:BTC"},
        404,
        "topic /account/balance:BTC is not found",
    ),
    ("spot", {"id": "1", "type": "unsubscribe", "topic": "/nope"}, 404, "topic /nope is not found"),
    (
        "spot",
        {"id": "1", "type": "subscrib", "topic": "/account/balance"},
        415,
        "command type is invalid",
    ),
    ("spot", {"id": "1"}, 415, "command type is invalid"),
    ("spot", {"id": 7, "type": "openTunnel"}, 415, "command type is invalid"),
]


@pytest.mark.parametrize(("host", "frame", "code", "data"), ERRORS)
async def test_subscribe_errors(
    sim: Simulator, http: Any, host: str, frame: dict[str, Any], code: int, data: str
) -> None:
    ws = await open_ws(http, sim, sim.add_account(), host)
    await ws.send_json(frame)
    assert await recv(ws) == {"id": str(frame["id"]), "type": "error", "code": code, "data": data}
    await nothing_pending(ws)  # still open
    await ws.close()


async def test_not_json_is_415(sim: Simulator, http: Any) -> None:
    ws = await open_ws(http, sim, sim.add_account())
    await ws.send_str("hello")
    assert await recv(ws) == {
        "id": "",
        "type": "error",
        "code": 415,
        "data": "command type is invalid",
    }
    await ws.close()


@pytest.mark.parametrize(
    ("host", "topic"),
    [
        ("spot", "/spotMarket/tradeOrdersV2"),
        ("spot", "/account/balance"),
        ("futures", "/contract/position:XBTUSDTM"),
    ],
)
async def test_private_topic_on_public_token_is_403(
    sim: Simulator, http: Any, host: str, topic: str
) -> None:
    ws = await open_ws(http, sim, None, host)
    assert await sub(ws, topic, "p") == {
        "id": "p",
        "type": "error",
        "code": 403,
        "data": "login is required",
    }
    await ws.close()


async def test_public_topic_on_public_token(sim: Simulator, http: Any) -> None:
    ws = await open_ws(http, sim, None)
    assert await sub(ws, "/market/match:BTC-USDT,ETH-USDT", "m") == {"id": "m", "type": "ack"}
    await ws.close()


# -- limits ------------------------------------------------------------------------------------


async def test_101_symbols_in_one_request(sim: Simulator, http: Any) -> None:
    ws = await open_ws(http, sim, sim.add_account(), "futures")
    symbols = [f"S{i}USDTM" for i in range(101)]
    reply = await sub(ws, "/contract/position:" + ",".join(symbols), "x")
    assert reply == {
        "id": "x",
        "type": "error",
        "code": 509,
        "data": "exceed max subscription count limitation of 100 per time",
    }
    assert await sub(ws, "/contract/position:" + ",".join(symbols[:100]), "y") == {
        "id": "y",
        "type": "ack",
    }
    await ws.close()


async def test_300_subscriptions_per_session(sim: Simulator, http: Any) -> None:
    ws = await open_ws(http, sim, sim.add_account(), "futures")
    for batch in range(3):
        symbols = ",".join(f"B{batch}S{i}" for i in range(100))
        assert (await sub(ws, f"/contract/position:{symbols}", batch))["type"] == "ack"
    # subscribing what is already there does not count
    assert (await sub(ws, "/contract/position:B0S0,B1S1", "again"))["type"] == "ack"
    assert await sub(ws, "/contract/positionAll", "over") == {
        "id": "over",
        "type": "error",
        "code": 509,
        "data": "exceed max subscription count limitation of 300 per session",
    }
    await ws.send_json(
        {"id": "u", "type": "unsubscribe", "topic": "/contract/position:B0S0", "response": True}
    )
    assert (await recv(ws))["type"] == "ack"
    assert (await sub(ws, "/contract/positionAll", "fits"))["type"] == "ack"
    await ws.close()


async def test_100_messages_per_10_seconds(sim: Simulator, http: Any) -> None:
    ws = await open_ws(http, sim, sim.add_account())
    for i in range(101):
        await ws.send_json({"id": str(i), "type": "ping"})
    frames = [await recv(ws) for _ in range(101)]
    assert [f["type"] for f in frames[:100]] == ["pong"] * 100
    assert frames[100] == {
        "id": "100",
        "type": "error",
        "code": 509,
        "data": "exceed max permits per second",
    }
    await ws.close()


# -- pushes ------------------------------------------------------------------------------------


def order_push(
    account: str = "demo", topic: str = "/spotMarket/tradeOrdersV2", **kw: Any
) -> ClassicPush:
    data = {
        "symbol": "BTC-USDT",
        "orderId": "6720ecd9ec71f4000747731a",
        "ts": 1730211033335000000,
        "status": "open",
    }
    return ClassicPush(
        account=account,
        host=kw.pop("host", "spot"),
        topic=topic,
        subject="orderChange",
        data=data,
        **kw,
    )


async def test_push_envelope(sim: Simulator, http: Any) -> None:
    ws = await open_ws(http, sim, sim.add_account())
    uid = sim.accounts["demo"].user_id
    await sub(ws, "/spotMarket/tradeOrdersV2")
    await sub(ws, "/account/balance")
    push = order_push()
    sim.publish(push)
    assert await recv(ws) == {
        "type": "message",
        "topic": "/spotMarket/tradeOrdersV2",
        "subject": "orderChange",
        "userId": uid,
        "channelType": "private",
        "data": push.data,
    }
    balance = ClassicPush(
        "demo",
        "spot",
        "/account/balance",
        "account.balance",
        {"total": "1", "time": "1730269283892"},
        envelope_id="354689988084000",
    )
    sim.publish(balance)
    frame = await recv(ws)
    assert frame["id"] == "354689988084000" and frame["data"]["time"] == "1730269283892"
    await ws.close()


async def test_pushes_only_for_subscribed_topics_and_account(sim: Simulator, http: Any) -> None:
    sim.add_account("other")
    ws = await open_ws(http, sim, sim.add_account("demo"))
    other = await open_ws(http, sim, sim.accounts["other"].credentials)
    await sub(ws, "/spotMarket/tradeOrdersV2")
    await sub(other, "/spotMarket/tradeOrdersV2")
    sim.publish(order_push(topic="/spotMarket/tradeOrders"))  # not subscribed
    sim.publish(order_push(host="futures"))  # same topic name, other host
    sim.publish(order_push(account="nobody"))
    await nothing_pending(ws)
    sim.publish(order_push(account="other"))
    assert (await recv(other))["userId"] == sim.accounts["other"].user_id
    await nothing_pending(ws)
    await ws.send_json({"id": "u", "type": "unsubscribe", "topic": "/spotMarket/tradeOrdersV2"})
    await nothing_pending(ws)
    sim.publish(order_push())
    await nothing_pending(ws)
    await ws.close()
    await other.close()


async def test_comma_joined_symbols(sim: Simulator, http: Any) -> None:
    ws = await open_ws(http, sim, sim.add_account(), "futures")
    await sub(ws, "/contract/position:XBTUSDTM,ETHUSDTM")

    def pos(symbol: str) -> ClassicPush:
        return ClassicPush(
            "demo",
            "futures",
            f"/contract/position:{symbol}",
            "position.change",
            {"symbol": symbol, "currentQty": 1},
        )

    for symbol in ("XBTUSDTM", "SOLUSDTM", "ETHUSDTM"):
        sim.publish(pos(symbol))
    got = [await recv(ws) for _ in range(2)]
    assert [f["topic"] for f in got] == [
        "/contract/position:XBTUSDTM",
        "/contract/position:ETHUSDTM",
    ]
    assert got[0]["data"]["currentQty"] == 1
    await nothing_pending(ws)
    await ws.send_json({"id": "u", "type": "unsubscribe", "topic": "/contract/position:XBTUSDTM"})
    await nothing_pending(ws)
    sim.publish(pos("XBTUSDTM"))
    sim.publish(pos("ETHUSDTM"))
    assert (await recv(ws))["topic"] == "/contract/position:ETHUSDTM"
    await nothing_pending(ws)
    await ws.close()


async def test_wire_topic(sim: Simulator, http: Any) -> None:
    ws = await open_ws(http, sim, sim.add_account(), "futures")
    await sub(ws, "/contract/positionAll")
    sim.publish(
        ClassicPush(
            "demo",
            "futures",
            "/contract/positionAll",
            "position.change",
            {"symbol": "XBTUSDTM"},
            wire_topic="/contract/position:XBTUSDTM",
        )
    )
    assert (await recv(ws))["topic"] == "/contract/position:XBTUSDTM"
    await ws.close()


async def test_position_all_and_per_symbol_on_one_socket(http: Any) -> None:
    """The engine's position pushes: ``/contract/positionAll`` subscribers get them tagged
    ``/contract/positionAll`` (as the live exchange tags them), per-symbol subscribers
    tagged per symbol; a socket holding both gets one push per subscription."""
    async with Simulator(seed=5) as sim:
        await _position_pushes(sim, http)


async def _position_pushes(sim: Simulator, http: Any) -> None:
    creds = sim.add_account("demo", futures_balance="10000")
    ws = await open_ws(http, sim, creds, "futures")
    await sub(ws, "/contract/positionAll", "all")
    await sub(ws, "/contract/position:XBTUSDTM", "one")
    engine = sim.engine
    oid = engine.place_futures_order("demo", "ETHUSDTM", "buy", 1, "3000", margin_mode="CROSS")
    engine.fill_futures_order("demo", oid)
    frame = await recv(ws)
    assert (frame["topic"], frame["subject"]) == ("/contract/positionAll", "position.change")
    assert frame["data"]["symbol"] == "ETHUSDTM" and frame["data"]["marginMode"] == "CROSS"
    assert "posMargin" not in frame["data"] and frame["data"]["posMaint"] > 0
    await nothing_pending(ws)  # no per-symbol copy for a symbol not subscribed
    oid = engine.place_futures_order("demo", "XBTUSDTM", "sell", 2, "60000")
    engine.fill_futures_order("demo", oid)
    frames = [await recv(ws) for _ in range(2)]
    assert [f["topic"] for f in frames] == ["/contract/position:XBTUSDTM", "/contract/positionAll"]
    assert frames[1]["data"] == {"symbol": "XBTUSDTM", **frames[0]["data"]}
    engine.set_mark_price("XBTUSDTM", "59000")
    marks = [await recv(ws) for _ in range(2)]
    assert [m["data"]["changeReason"] for m in marks] == ["markPriceChange"] * 2
    assert "symbol" not in marks[0]["data"] and marks[1]["data"]["symbol"] == "XBTUSDTM"
    await nothing_pending(ws)
    await ws.close()


@pytest.mark.parametrize("kind", ["SUBSCRIBE", "Subscribe"])
async def test_subscribe_type_in_any_case(sim: Simulator, http: Any, kind: str) -> None:
    ws = await open_ws(http, sim, sim.add_account())
    topic = "/spotMarket/tradeOrdersV2"
    await ws.send_json({"id": "c", "type": kind, "topic": topic, "response": True})
    assert await recv(ws) == {"id": "c", "type": "ack"}
    sim.publish(order_push())
    assert (await recv(ws))["topic"] == topic
    await ws.send_json({"id": "d", "type": kind.replace("S", "Uns", 1), "topic": topic})
    await nothing_pending(ws)
    sim.publish(order_push())
    await nothing_pending(ws)
    await ws.close()


async def test_live_connection_stats(sim: Simulator, http: Any) -> None:
    creds = sim.add_account()
    a = await open_ws(http, sim, creds)
    b = await open_ws(http, sim, creds, "futures")
    assert sim.stats.live_connections == {"spot": 1, "futures": 1}
    await a.close()
    await nothing_pending(b)
    assert sim.stats.live_connections == {"futures": 1}
    await b.close()


async def expect_third_refused(http: Any, sim: Simulator, creds: Credentials, why: str) -> None:
    """A third spot socket of ``creds`` is welcomed by error 509 saying ``why``, and closed."""
    token, endpoint = await get_token(http, sim, creds)
    async with http.ws_connect(f"{endpoint}?token={token}&connectId=third") as ws:
        assert await recv(ws) == {"id": "third", "type": "error", "code": 509, "data": why}
        await expect_closed(ws)


async def test_session_limit(http: Any) -> None:
    async with Simulator(FakeEngine(), max_sessions=2) as sim:
        creds = sim.add_account()
        socks = [await open_ws(http, sim, creds) for _ in range(2)]
        await expect_third_refused(http, sim, creds, "exceed max session count limitation of 2")
        # per host, and public sockets do not count
        futures = await open_ws(http, sim, creds, "futures")
        public = [await open_ws(http, sim, None) for _ in range(3)]
        for ws in [*socks, futures, *public]:
            await ws.close()


async def test_protocol_level_ping(sim: Simulator, http: Any) -> None:
    token, endpoint = await get_token(http, sim, sim.add_account())
    async with http.ws_connect(f"{endpoint}?token={token}", autoping=False) as ws:
        await recv(ws)
        await ws.ping(b"hb")
        msg = await ws.receive(timeout=3)
        assert msg.type is aiohttp.WSMsgType.PONG and msg.data == b"hb"
        sim.faults.half_open()
        await ws.ping(b"hb")
        with pytest.raises(TimeoutError):
            await ws.receive(timeout=0.2)
