"""Nothing the server sends can end a socket or vanish: hostile frames and both topic-tag
forms of the all-symbols topics, through real sockets.

Every frame below goes over the simulator's socket exactly as written. Afterwards every WsKey
must still be live on its first socket, no stream may have errored, undecodable pushes must
be Gaps on their topics, unreadable frames `exception` events with their bytes, and ordinary
pushes must keep arriving.
"""

from __future__ import annotations

import asyncio
import zlib
from typing import Any

import pytest

from rxkucoin import ConnectionEvent, ConnectionState, Credentials, KucoinStreams, WsKey
from rxkucoin import models as m
from rxkucoin.sim import ClassicPush, Simulator

from .helpers import Recorder, until

SPOT = WsKey.SPOT_PRIVATE_V1
FUT = WsKey.FUTURES_PRIVATE_V1
PRO = WsKey.PRIVATE_PRO_V2
ORDERS = "/spotMarket/tradeOrdersV2"


def collect(stream: Any) -> Recorder:
    seen = Recorder()
    stream.subscribe(seen.on_next, seen.on_error)
    return seen


def deep(depth: int) -> str:
    return "[" * depth + "]" * depth


def classic_push(topic: str, subject: str, data: str) -> str:
    return (
        f'{{"type":"message","topic":"{topic}","subject":"{subject}",'
        f'"channelType":"private","data":{data}}}'
    )


def hostile_classic_frames() -> list[tuple[str, bytes | str, bool]]:
    """(what, frame, binary) triples for a Classic socket."""
    bomb = zlib.compressobj(9, zlib.DEFLATED, -15)
    deflated = bomb.compress(b"[" + b" " * (200 << 20)) + bomb.flush()  # 200 MB of blanks
    return [
        ("garbage", "not json at all", False),
        ("empty", "", False),
        ("json array", "[1,2,3]", False),
        ("unknown type", '{"type":"surprise","id":"1"}', False),
        ("type of wrong kind", '{"type":7}', False),
        ("deep envelope", deep(100_000), False),
        ("deep 1000 in a push", classic_push(ORDERS, "orderChange", deep(1000)), False),
        ("deep 2 KB object", '{"a":' * 1000 + "1" + "}" * 1000, False),
        ("huge frame", '{"type":"message","topic":"/x","data":"' + "x" * (2 << 20) + '"}', False),
        ("deflate bomb", deflated, True),
        ("binary garbage", bytes(range(256)) * 4, True),
        ("binary invalid UTF-8 JSON", b'{"type":"message","topic":"\xff\xfe","data":{}}', True),
        ("topic of wrong type", '{"type":"message","topic":5,"data":{}}', False),
        ("data of wrong shape", classic_push(ORDERS, "orderChange", '"a string"'), False),
        (
            "huge number",
            classic_push(ORDERS, "orderChange", '{"orderTime":' + "9" * 5000 + "}"),
            False,
        ),
        ("unknown subject", classic_push(ORDERS, "orderChangeV3", '{"symbol":"BTC-USDT"}'), False),
        ("error frame of odd code", '{"type":"error","code":"x","data":1}', False),
        ("ack for nothing", '{"type":"ack","id":"no-such-request"}', False),
        ("pong for nothing", '{"type":"pong","id":"zzz","timestamp":"soon"}', False),
    ]


def hostile_pro_frames() -> list[tuple[str, bytes | str, bool]]:
    return [
        ("garbage", "{{{{", False),
        ("deep envelope", deep(50_000), False),
        ("push deep payload", '{"T":"orderAll.UNIFIED","P":1,"d":' + deep(2000) + "}", False),
        ("push with P as text", '{"T":"orderAll.UNIFIED","P":"soon","d":{}}', False),
        ("push with T a number", '{"T":1,"P":1,"d":{}}', False),
        ("push of wrong shape", '{"T":"orderAll.UNIFIED","P":1,"d":[1,2]}', False),
        ("no known kind", '{"hello":"there"}', False),
        ("binary garbage", b"\x00\x01\x02", True),
    ]


@pytest.fixture
async def sim() -> Any:
    async with Simulator(seed=5) as simulator:
        yield simulator


async def test_no_hostile_frame_ends_a_socket_or_errors_a_stream(
    sim: Simulator, creds: Credentials
) -> None:
    async with KucoinStreams(creds, endpoints=sim.endpoints) as streams:
        events: list[ConnectionEvent] = []
        for key in (SPOT, FUT, PRO):
            streams.events(key).subscribe(events.append)
        orders = collect(streams.spot_orders().with_gaps())
        positions = collect(streams.futures_positions().with_gaps())
        pro = collect(streams.pro_orders().with_gaps())
        await streams.ready(timeout=10)
        for what, frame, binary in hostile_classic_frames():
            assert sim.faults.send_frame(frame, binary=binary, host="spot") == 1, what
            assert sim.faults.send_frame(frame, binary=binary, host="futures") == 1, what
        for what, frame, binary in hostile_pro_frames():
            assert sim.faults.send_frame(frame, binary=binary, host="pro") == 1, what

        # ordinary activity still arrives, after everything above (spot orders are
        # mirrored on the Pro channels)
        sim.engine.place_spot_order("demo", "BTC-USDT", "buy", "limit", "0.01", price="30000")
        oid = sim.engine.place_futures_order("demo", "XBTUSDTM", "buy", 1, price="60000")
        sim.engine.fill_futures_order("demo", oid)
        await until(lambda: len(orders.data) >= 2 and positions.data != [] and pro.data != [])

        for key in (SPOT, FUT, PRO):
            assert streams.connection(key).state.value is ConnectionState.LIVE, key
        kinds = [e.kind for e in events]
        assert "reconnect" not in kinds and "close" not in kinds, kinds
        assert not orders.errors and not positions.errors and not pro.errors
        assert all(isinstance(o, m.SpotOrderChange) for o in orders.data)
        # pushes whose envelope reads are Gaps on their topic; the rest are events with bytes
        # (a push nested too deep to read has no readable envelope either)
        undecodable = ("data of wrong shape", "huge number", "unknown subject")
        harmless = ("ack for nothing",)
        spot = streams.connection(SPOT)
        assert spot.undecodable == len(undecodable)
        assert [g.cause for g in orders.gaps] == ["undecodable"] * len(undecodable)
        assert spot.bad_frames == len(hostile_classic_frames()) - len(undecodable) - len(harmless)
        assert [g.cause for g in pro.gaps] == ["undecodable"]  # the push of wrong shape
        assert streams.connection(PRO).bad_frames == len(hostile_pro_frames()) - 1
        failures = [e for e in events if e.kind == "exception"]
        assert all(e.raw is not None and len(e.raw) <= 64 << 10 for e in failures)


async def test_pushes_on_endless_distinct_topics_do_not_grow_the_caches(
    sim: Simulator, creds: Credentials
) -> None:
    async with KucoinStreams(creds, endpoints=sim.endpoints) as streams:
        orders = collect(streams.spot_orders())
        await streams.ready(timeout=10)
        for n in range(5000):
            data = f'{{"symbol":"S{n}","orderId":"1","type":"open","status":"open"}}'
            sim.faults.send_frame(classic_push(f"/x/unheld:S{n}", "orderChange", data), host="spot")
        sim.engine.place_spot_order("demo", "BTC-USDT", "buy", "limit", "0.01", price="30000")
        await until(lambda: len(orders.data) >= 2, timeout=30)
        conn = streams.connection(SPOT)
        router = conn.shards[0]._router
        assert len(router._decoders) <= 1024 and len(router._cache) <= 1024


@pytest.mark.parametrize(
    "wire_topic", ["/contract/positionAll", "/contract/position:XBTUSDTM"], ids=["all", "symbol"]
)
async def test_position_pushes_reach_per_symbol_streams_in_both_tag_forms(
    sim: Simulator, creds: Credentials, wire_topic: str
) -> None:
    """KuCoin tags a positionAll subscription's pushes ``/contract/positionAll`` (captures);
    the docs show the per-symbol tag. Either way each stream gets each push once."""
    async with KucoinStreams(creds, endpoints=sim.endpoints) as streams:
        every = collect(streams.futures_positions())
        xbt = collect(streams.futures_positions("XBTUSDTM"))
        eth = collect(streams.futures_positions("ETHUSDTM"))
        await streams.ready(timeout=10)
        change = {
            "symbol": "XBTUSDTM",
            "currentQty": 1,
            "markPrice": 60000.5,
            "crossMode": True,
            "currentTimestamp": 1758339086029,
        }
        topic = "/contract/positionAll"  # the one server subscription; symbols ride on it
        sim.publish(
            ClassicPush("demo", "futures", topic, "position.change", change, None, wire_topic)
        )
        await until(lambda: len(every.data) == 1 and len(xbt.data) == 1)
        await asyncio.sleep(0.1)
        assert every.data == xbt.data and eth.data == []
        assert xbt.data[0].symbol == "XBTUSDTM" and xbt.data[0].current_qty == 1


@pytest.mark.parametrize(
    "wire_topic",
    ["/contractMarket/tradeOrders", "/contractMarket/tradeOrders:XBTUSDTM"],
    ids=["all", "symbol"],
)
async def test_futures_order_pushes_reach_per_symbol_streams_in_both_tag_forms(
    sim: Simulator, creds: Credentials, wire_topic: str
) -> None:
    async with KucoinStreams(creds, endpoints=sim.endpoints) as streams:
        every = collect(streams.futures_orders())
        xbt = collect(streams.futures_orders("XBTUSDTM"))
        eth = collect(streams.futures_orders("ETHUSDTM"))
        await streams.ready(timeout=10)
        order = {
            "symbol": "XBTUSDTM",
            "side": "buy",
            "orderId": "5cdfc138b21023a909e5ad55",
            "type": "open",
            "status": "open",
            "size": "1",
            "orderTime": "1758339086029193392",
            "ts": 1758339086029193392,
        }
        topic = "/contractMarket/tradeOrders"
        push = ClassicPush("demo", "futures", topic, "orderChange", order, None, wire_topic)
        sim.publish(push)
        await until(lambda: len(every.data) == 1 and len(xbt.data) == 1)
        await asyncio.sleep(0.1)
        assert every.data == xbt.data and eth.data == []
        assert xbt.data[0].order_time == 1758339086029193392


async def test_a_text_frame_that_is_not_utf8_costs_a_reconnect_and_a_gap_only(
    sim: Simulator, creds: Credentials
) -> None:
    """RFC 6455 makes invalid UTF-8 in a text frame fail the WebSocket itself (aiohttp closes
    it before any frame reaches rxkucoin): the one hostile frame that costs a socket. It is
    an ordinary drop: a Gap, a new socket, and the stream goes on without an error."""
    async with KucoinStreams(creds, endpoints=sim.endpoints) as streams:
        orders = collect(streams.spot_orders().with_gaps())
        await streams.ready(timeout=10)
        sim.faults.send_frame(b'{"type":"message","topic":"\xff"}', host="spot")
        await until(lambda: len(orders.gaps) == 1)
        await streams.ready(timeout=10)
        sim.engine.place_spot_order("demo", "BTC-USDT", "buy", "limit", "0.01", price="30000")
        await until(lambda: len(orders.data) >= 2)
        assert not orders.errors and orders.gaps[0].cause != "undecodable"
