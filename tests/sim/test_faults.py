"""Simulator fault injection: every fault acts as documented and is recorded."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest

from rxkucoin._auth import Credentials
from rxkucoin.sim import ClassicPush, ProEvent, Simulator

from .test_server_rest import FakeEngine

NOW = 1_700_000_000.0
Ws = aiohttp.ClientWebSocketResponse


@pytest.fixture
async def sim() -> Any:
    async with Simulator(FakeEngine(), seed=11, clock=lambda: NOW) as s:
        yield s


@pytest.fixture
async def http() -> Any:
    async with aiohttp.ClientSession() as h:
        yield h


async def recv(ws: Ws) -> Any:
    msg = await ws.receive(timeout=3)
    assert msg.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY), msg
    return json.loads(msg.data)


async def token(http: aiohttp.ClientSession, sim: Simulator, creds: Credentials, host: str) -> str:
    if host == "pro":
        base, path = sim.endpoints.spot_rest, "/api/v2/bullet-private"
    else:
        base = sim.endpoints.spot_rest if host == "spot" else sim.endpoints.futures_rest
        path = "/api/v1/bullet-private"
    headers = creds.headers("POST", path, timestamp_ms=int(NOW * 1000))
    async with http.post(base + path, headers=headers) as r:
        return str((await r.json())["data"]["token"])


def ws_url(sim: Simulator, host: str, tok: str) -> str:
    if host == "pro":
        return f"{sim.endpoints.pro_private_ws}/?token={tok}"
    base = sim.endpoints.spot_rest if host == "spot" else sim.endpoints.futures_rest
    return f"{base.replace('http', 'ws')}/?token={tok}&connectId=c-{host}"


async def connect(
    http: aiohttp.ClientSession, sim: Simulator, creds: Credentials, host: str = "spot"
) -> tuple[Ws, str]:
    tok = await token(http, sim, creds, host)
    ws = await http.ws_connect(ws_url(sim, host, tok))
    first = await recv(ws)
    assert first.get("type") == "welcome" or first.get("message") == "welcome"
    return ws, tok


async def sub_classic(ws: Ws, topic: str = "/spotMarket/tradeOrdersV2") -> None:
    await ws.send_json({"id": "s", "type": "subscribe", "topic": topic, "response": True})
    assert (await recv(ws))["type"] == "ack"


async def sub_pro(ws: Ws) -> None:
    await ws.send_json(
        {"id": "s", "action": "SUBSCRIBE", "channel": "orderAll", "tradeType": "UNIFIED"}
    )
    assert (await recv(ws))["result"] is True


async def ping(ws: Ws) -> Any:
    await ws.send_json({"id": "p", "type": "ping"})
    return await recv(ws)


async def wait_closed(ws: Ws) -> aiohttp.WSMessage:
    msg = await ws.receive(timeout=3)
    assert msg.type in (
        aiohttp.WSMsgType.CLOSE,
        aiohttp.WSMsgType.CLOSED,
        aiohttp.WSMsgType.ERROR,
    ), msg
    return msg


async def settle(sim: Simulator, **live: int) -> None:
    """Wait until the server has noticed every socket that went away."""
    for _ in range(300):
        if dict(sim.stats.live_connections) == live:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(sim.stats.live_connections)


def push(n: int = 0, account: str = "demo") -> ClassicPush:
    return ClassicPush(account, "spot", "/spotMarket/tradeOrdersV2", "orderChange", {"n": n})


# -- socket faults -----------------------------------------------------------------------------


async def test_drop_reset(sim: Simulator, http: Any) -> None:
    creds = sim.add_account()
    spot, _ = await connect(http, sim, creds, "spot")
    fut, _ = await connect(http, sim, creds, "futures")
    assert sim.faults.drop("spot") == 1
    msg = await wait_closed(spot)
    assert msg.type is not aiohttp.WSMsgType.CLOSE  # no close frame
    assert (await ping(fut))["type"] == "pong"
    assert sim.faults.log[-1].kind == "drop"
    assert sim.faults.log[-1].details == {"host": "spot", "how": "reset", "sockets": 1}
    await settle(sim, futures=1)
    await fut.close()


async def test_drop_close(sim: Simulator, http: Any) -> None:
    creds = sim.add_account()
    socks = [(await connect(http, sim, creds, h))[0] for h in ("spot", "futures", "pro")]
    assert sim.faults.drop(how="close") == 3
    for ws in socks:
        msg = await wait_closed(ws)
        assert msg.type is aiohttp.WSMsgType.CLOSE and msg.data == 1000
    await settle(sim)
    assert sim.faults.kinds() == ["drop"]


async def test_half_open(sim: Simulator, http: Any) -> None:
    creds = sim.add_account()
    ws, _ = await connect(http, sim, creds)
    await sub_classic(ws)
    assert sim.faults.half_open() == 1
    await ws.send_json({"id": "p", "type": "ping"})
    sim.publish(push(1))
    with pytest.raises(asyncio.TimeoutError):
        await ws.receive(timeout=0.2)
    assert not ws.closed
    assert [(u.reason, u.push) for u in sim.faults.undelivered] == [("half_open", push(1))]
    assert sim.faults.kinds() == ["half_open"]
    await ws.close()


async def test_half_open_socket_is_not_idle_closed(http: Any) -> None:
    async with Simulator(
        FakeEngine(), ping_interval_ms=150, ping_timeout_ms=150, clock=lambda: NOW
    ) as sim:
        ws, _ = await connect(http, sim, sim.add_account())
        sim.faults.half_open()
        with pytest.raises(asyncio.TimeoutError):
            await ws.receive(timeout=0.6)  # twice the idle limit
        assert sim.stats.live_connections == {"spot": 1}
        await ws.close()


@pytest.mark.parametrize("host", ["spot", "futures", "pro"])
async def test_expire_tokens(sim: Simulator, http: Any, host: str) -> None:
    creds = sim.add_account()
    ws, tok = await connect(http, sim, creds, host)
    assert sim.faults.expire_tokens() == 1
    frame = await recv(ws)
    assert frame["type"] == "error" and frame["code"] == 401 and frame["data"] == "token is expired"
    if host != "pro":
        assert frame["id"] == f"c-{host}"
    await wait_closed(ws)
    async with http.ws_connect(ws_url(sim, host, tok)) as again:
        assert (await recv(again))["data"] == "token is expired"
    fresh, _ = await connect(http, sim, creds, host)
    assert sim.faults.kinds() == ["expire_tokens"]
    await fresh.close()


async def test_expire_tokens_spares_flow_b(sim: Simulator, http: Any) -> None:
    creds = sim.add_account()
    ws = await http.ws_connect(sim.endpoints.pro_private_ws)
    await recv(ws)
    await ws.send_json(
        {"id": "a", "op": "auth", **creds.ws_auth_fields(timestamp_ms=int(NOW * 1000))}
    )
    assert (await recv(ws))["result"] is True
    assert sim.faults.expire_tokens() == 0
    assert (await ping(ws))["type"] == "pong"
    await ws.close()


async def test_cut_after(sim: Simulator, http: Any) -> None:
    creds = sim.add_account()
    old, _ = await connect(http, sim, creds)
    sim.faults.cut_after(0.05)
    msg = await wait_closed(old)
    assert msg.type is aiohttp.WSMsgType.CLOSE
    new, _ = await connect(http, sim, creds, "pro")
    assert (await wait_closed(new)).type is aiohttp.WSMsgType.CLOSE
    assert sim.faults.kinds() == ["cut_after", "cut", "cut"]
    sim.faults.cut_after(None)
    kept, _ = await connect(http, sim, creds)
    with pytest.raises(asyncio.TimeoutError):
        await kept.receive(timeout=0.15)
    await kept.close()


async def test_send_error(sim: Simulator, http: Any) -> None:
    creds = sim.add_account()
    classic, _ = await connect(http, sim, creds, "futures")
    pro, _ = await connect(http, sim, creds, "pro")
    assert sim.faults.send_error(500, "system error") == 2
    assert await recv(classic) == {
        "id": "c-futures",
        "type": "error",
        "code": 500,
        "data": "system error",
    }
    assert await recv(pro) == {"type": "error", "code": 500, "data": "system error"}
    assert sim.faults.send_error(509, "service busy, please retry later", host="pro") == 1
    assert (await recv(pro))["code"] == 509
    assert (await ping(classic))["type"] == "pong"
    assert sim.faults.kinds() == ["send_error", "send_error"]
    await classic.close()
    await pro.close()


async def test_reject_next_subscribe(sim: Simulator, http: Any) -> None:
    creds = sim.add_account()
    classic, _ = await connect(http, sim, creds)
    pro, _ = await connect(http, sim, creds, "pro")
    sim.faults.reject_next_subscribe()
    sim.faults.reject_next_subscribe(500, "system error")
    await classic.send_json(
        {"id": 9, "type": "subscribe", "topic": "/account/balance", "response": True}
    )
    assert await recv(classic) == {
        "id": "9",
        "type": "error",
        "code": 509,
        "data": "exceed max permits per second",
    }
    await pro.send_json(
        {"id": 8, "action": "subscribe", "channel": "balance", "accountType": "UNIFIED"}
    )
    assert await recv(pro) == {"id": "8", "result": False, "reason": "system error"}
    await sub_classic(classic)
    await sub_pro(pro)
    assert sim.faults.kinds() == ["reject_next_subscribe", "reject_next_subscribe"]
    await classic.close()
    await pro.close()


async def test_welcome_delay_and_no_welcome(sim: Simulator, http: Any) -> None:
    creds = sim.add_account()
    sim.faults.welcome_delay(0.05)
    ws, _ = await connect(http, sim, creds)
    await ws.close()
    sim.faults.welcome_delay(0)
    sim.faults.no_welcome()
    tok = await token(http, sim, creds, "spot")
    async with http.ws_connect(ws_url(sim, "spot", tok)) as ws:
        assert (await ping(ws))["type"] == "pong"  # the first frame is the pong
    sim.faults.no_welcome(False)
    ws, _ = await connect(http, sim, creds)
    await ws.close()


async def test_simulator_without_welcome(http: Any) -> None:
    async with Simulator(FakeEngine(), welcome=False, clock=lambda: NOW) as sim:
        ws = await http.ws_connect(sim.endpoints.pro_private_ws)
        await ws.send_json({"id": "x", "op": "ping", "timestamp": 1})
        assert (await recv(ws))["op"] == "pong"
        await ws.close()


# -- push faults -------------------------------------------------------------------------------


async def test_duplicate_next(sim: Simulator, http: Any) -> None:
    ws, _ = await connect(http, sim, sim.add_account())
    await sub_classic(ws)
    sim.faults.duplicate_next(1)
    sim.publish(push(1))
    sim.publish(push(2))
    got = [(await recv(ws))["data"]["n"] for _ in range(3)]
    assert got == [1, 1, 2]
    assert (await ping(ws))["type"] == "pong"
    assert sim.faults.kinds() == ["duplicate_next"]
    await ws.close()


async def test_drop_next(sim: Simulator, http: Any) -> None:
    ws, _ = await connect(http, sim, sim.add_account())
    await sub_classic(ws)
    sim.faults.drop_next(2)
    sim.publish(push(99, account="nobody"))  # reaches no socket: does not use up the fault
    for n in range(3):
        sim.publish(push(n))
    assert (await recv(ws))["data"]["n"] == 2
    assert [(u.reason, u.push.data["n"]) for u in sim.faults.undelivered] == [
        ("dropped", 0),
        ("dropped", 1),
    ]
    assert sim.faults.kinds() == ["drop_next", "drop_next"]
    await ws.close()


async def test_delay_next(sim: Simulator, http: Any) -> None:
    ws, _ = await connect(http, sim, sim.add_account())
    await sub_classic(ws)
    sim.faults.delay_next(1, 0.1)
    sim.publish(push(1))
    sim.publish(push(2))
    assert [(await recv(ws))["data"]["n"] for _ in range(2)] == [2, 1]
    assert sim.faults.kinds() == ["delay_next"]
    assert sim.faults.log[0].details["seconds"] == 0.1
    await ws.close()


async def test_reorder_next(sim: Simulator, http: Any) -> None:
    ws, _ = await connect(http, sim, sim.add_account(), "pro")
    await sub_pro(ws)
    sim.faults.reorder_next(3)
    for n in range(4):
        sim.publish(ProEvent("demo", "order", "SPOT", {"n": n}, symbol="BTC-USDT"))
    assert [(await recv(ws))["d"]["n"] for _ in range(4)] == [2, 1, 0, 3]
    assert sim.faults.kinds() == ["reorder_next"]
    sim.faults.reorder_next(5)
    sim.publish(ProEvent("demo", "order", "SPOT", {"n": 10}, symbol="BTC-USDT"))
    sim.publish(ProEvent("demo", "order", "SPOT", {"n": 11}, symbol="BTC-USDT"))
    sim.faults.clear()  # releases what was held, in order
    assert [(await recv(ws))["d"]["n"] for _ in range(2)] == [10, 11]
    await ws.close()


async def test_undelivered_while_disconnected(sim: Simulator, http: Any) -> None:
    creds = sim.add_account()
    ws, _ = await connect(http, sim, creds)
    await sub_classic(ws)
    await sub_classic(ws, "/account/balance")
    await ws.close()
    await settle(sim)
    sim.publish(push(1))
    sim.publish(
        ClassicPush("demo", "spot", "/spotMarket/advancedOrders", "stopOrder", {})
    )  # never subscribed
    assert [(u.reason, u.push) for u in sim.faults.undelivered] == [("disconnected", push(1))]
    # reconnected but not yet re-subscribed: still missed
    ws, _ = await connect(http, sim, creds)
    sim.publish(push(2))
    await sub_classic(ws)
    sim.publish(push(3))
    assert (await recv(ws))["data"]["n"] == 3
    assert [u.push.data["n"] for u in sim.faults.undelivered] == [1, 2]
    # the balance topic was not re-subscribed: its pushes are still missed
    sim.publish(ClassicPush("demo", "spot", "/account/balance", "account.balance", {"n": 4}))
    assert sim.faults.undelivered[-1].push.data == {"n": 4}
    await ws.close()


async def test_undelivered_pro_after_drop(sim: Simulator, http: Any) -> None:
    ws, _ = await connect(http, sim, sim.add_account(), "pro")
    await sub_pro(ws)
    sim.faults.drop("pro")
    event = ProEvent("demo", "order", "FUTURES", {"n": 1}, symbol="XBTUSDTM")
    sim.publish(event)
    await wait_closed(ws)
    await settle(sim)
    sim.publish(event)
    assert [u.reason for u in sim.faults.undelivered] == ["disconnected", "disconnected"]


async def test_clear_and_stats(sim: Simulator, http: Any) -> None:
    creds = sim.add_account()
    sim.faults.drop_next(5)
    sim.faults.token_error("500", 3)
    sim.faults.reject_next_subscribe()
    sim.faults.clear()
    ws, _ = await connect(http, sim, creds)
    await sub_classic(ws)
    sim.publish(push(1))
    assert (await recv(ws))["data"]["n"] == 1
    assert sim.stats.bullet_calls == {"spot": 1}
    assert sim.stats.connections == {"spot": 1}
    assert sim.stats.subscribe_frames == 1
    assert sim.stats.live_connections == {"spot": 1}
    assert sim.faults.log == [] and list(sim.faults.undelivered) == []
    await ws.close()
