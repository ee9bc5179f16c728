"""The per-WsKey connection through real sockets: sharing, ref counts, faults, gaps."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from reactivex.scheduler.eventloop import AsyncIOScheduler

from rxkucoin import AuthError, Credentials, KucoinStreams, WsKey
from rxkucoin._connection import Connection
from rxkucoin._events import ConnectionEvent, ConnectionState, Gap
from rxkucoin._rest import RestClient
from rxkucoin._topics import TopicKey, parse_topics
from rxkucoin.exceptions import SubscriptionRejected
from rxkucoin.models import SpotBalanceChange, SpotOrderChange
from rxkucoin.sim import Simulator

from .conftest import WIRES, wire_variants
from .helpers import Recorder, until

SPOT = WsKey.SPOT_PRIVATE_V1
ORDERS = "/spotMarket/tradeOrdersV2"
BALANCE = "/account/balance"


@pytest.fixture
async def sim(request: pytest.FixtureRequest) -> AsyncIterator[Simulator]:
    # Short heartbeats so that half-open links are noticed quickly.
    async with Simulator(
        seed=11, ping_interval_ms=300, ping_timeout_ms=500, wire_variants=wire_variants(request)
    ) as simulator:
        yield simulator


MakeConnection = Callable[..., Connection]


@pytest.fixture
def connect(sim: Simulator, creds: Credentials, http: aiohttp.ClientSession) -> MakeConnection:
    def make(
        key: WsKey = SPOT, credentials: Credentials | None = None, **options: Any
    ) -> Connection:
        used = credentials or creds
        rest = RestClient(http, sim.endpoints, used, timeout=1.0)
        scheduler = AsyncIOScheduler(asyncio.get_running_loop())
        return Connection(
            key,
            http,
            rest,
            scheduler,
            credentials=used,
            backoff=lambda attempt: 0.05,
            welcome_timeout=1.0,
            ack_timeout=2.0,
            **options,
        )

    return make


def topic(text: str, key: WsKey = SPOT) -> TopicKey:
    return parse_topics(key, text)[0]


def server_subscriptions(sim: Simulator) -> list[list[str]]:
    return [[str(s) for s in session.subs] for session in sim._sessions_on(None)]


def watch(conn: Connection, text: str, *, with_gaps: bool = True) -> tuple[Recorder, Any]:
    rec = Recorder()
    disposable = conn.stream(topic(text), with_gaps=with_gaps).subscribe(rec.on_next, rec.on_error)
    return rec, disposable


async def live(conn: Connection) -> None:
    await until(lambda: conn.state.value is ConnectionState.LIVE)


async def test_two_subscribers_share_one_socket_and_one_subscription(
    sim: Simulator, connect: MakeConnection
) -> None:
    conn = connect()
    a, da = watch(conn, ORDERS)
    b, db = watch(conn, ORDERS)
    await live(conn)
    assert sim.stats.connections["spot"] == 1
    assert sim.stats.subscribe_frames == 1
    assert server_subscriptions(sim) == [[ORDERS]]

    sim.engine.place_spot_order("demo", "BTC-USDT", "buy", "limit", "0.01", price="30000")
    await until(lambda: len(a.data) == 2 and len(b.data) == 2)
    assert [o.type for o in a.data] == ["received", "open"]
    assert a.data == b.data and isinstance(a.data[0], SpotOrderChange)
    assert a.data[0].price == Decimal("30000")

    da.dispose()
    assert sim.stats.live_connections["spot"] == 1
    db.dispose()
    await until(lambda: sim.stats.live_connections["spot"] == 0)
    assert conn.state.value is ConnectionState.CLOSED

    _, dc = watch(conn, ORDERS)
    await live(conn)
    assert sim.stats.connections["spot"] == 2
    assert conn.token_fetches == 2
    dc.dispose()


async def test_last_subscriber_unsubscribes_before_closing(
    sim: Simulator, connect: MakeConnection
) -> None:
    conn = connect()
    events: list[ConnectionEvent] = []
    conn.events.subscribe(events.append)
    _, d1 = watch(conn, ORDERS)
    _, d2 = watch(conn, BALANCE)
    await live(conn)
    assert sorted(server_subscriptions(sim)[0]) == sorted([ORDERS, BALANCE])
    d1.dispose()
    await until(lambda: server_subscriptions(sim) == [[BALANCE]])
    d2.dispose()
    await until(lambda: sim.stats.live_connections["spot"] == 0)
    assert [e.kind for e in events if e.kind in ("open", "close")] == ["open", "close"]


async def test_subscribers_in_one_tick_share_one_round(
    sim: Simulator, connect: MakeConnection
) -> None:
    conn = connect(WsKey.FUTURES_PRIVATE_V1)
    base = conn.stream(topic("/contractAccount/wallet", WsKey.FUTURES_PRIVATE_V1)).subscribe()
    await live(conn)
    frames_before = sim.stats.subscribe_frames
    keys = parse_topics(
        WsKey.FUTURES_PRIVATE_V1, "/contract/position:" + ",".join(f"SYM{i}M" for i in range(150))
    )
    subs = [conn.stream(k).subscribe() for k in keys]
    await until(lambda: conn._topics.live_count == 151)
    assert sim.stats.subscribe_frames - frames_before == 2  # 100 + 50 symbols
    for s in subs:
        s.dispose()
    base.dispose()


def fault_cases() -> list[tuple[str, Callable[[Simulator, Connection], Any]]]:
    def reset(sim: Simulator, conn: Connection) -> None:
        sim.faults.drop(how="reset")

    def clean_close(sim: Simulator, conn: Connection) -> None:
        sim.faults.drop(how="close")

    def half_open(sim: Simulator, conn: Connection) -> None:
        sim.faults.half_open()

    def token_expired(sim: Simulator, conn: Connection) -> None:
        sim.faults.expire_tokens()

    def cut(sim: Simulator, conn: Connection) -> None:
        sim.faults.cut_after(0.2)
        conn.events.subscribe(
            lambda e: sim.faults.cut_after(None) if e.kind == "reconnect" else None
        )

    def token_429(sim: Simulator, conn: Connection) -> None:
        sim.faults.token_error("429", count=2)
        sim.faults.drop()

    def token_500(sim: Simulator, conn: Connection) -> None:
        sim.faults.token_error("500")
        sim.faults.drop()

    def token_hang(sim: Simulator, conn: Connection) -> None:
        sim.faults.token_error("hang")
        sim.faults.drop()

    def welcome_timeout(sim: Simulator, conn: Connection) -> None:
        sim.faults.no_welcome(True)
        seen = 0

        def restore(e: ConnectionEvent) -> None:
            nonlocal seen
            if e.kind == "reconnect":
                seen += 1
                if seen == 2:  # the drop, then the attempt that got no welcome
                    sim.faults.no_welcome(False)

        conn.events.subscribe(restore)
        sim.faults.drop()

    def error_frame(sim: Simulator, conn: Connection) -> None:
        sim.faults.send_error(500, "system error")

    return [
        ("reset", reset),
        ("error_frame", error_frame),
        ("clean_close", clean_close),
        ("half_open", half_open),
        ("token_expired", token_expired),
        ("cut_24h", cut),
        ("token_429", token_429),
        ("token_500", token_500),
        ("token_hang", token_hang),
        ("welcome_timeout", welcome_timeout),
    ]


@pytest.mark.parametrize("sim", WIRES, indirect=True)
@pytest.mark.parametrize(("name", "inject"), fault_cases(), ids=[n for n, _ in fault_cases()])
async def test_every_fault_heals_with_a_fresh_token_and_one_gap_per_topic(
    sim: Simulator,
    connect: MakeConnection,
    name: str,
    inject: Callable[[Simulator, Connection], Any],
) -> None:
    conn = connect()
    orders, d1 = watch(conn, ORDERS)
    balances, d2 = watch(conn, BALANCE)
    plain, d3 = watch(conn, ORDERS, with_gaps=False)
    await live(conn)
    sim.engine.place_spot_order("demo", "BTC-USDT", "buy", "limit", "0.01", price="30000")
    await until(lambda: len(orders.data) == 2 and len(balances.data) == 1)
    bullets = sum(sim.stats.bullet_calls.values())

    inject(sim, conn)
    await until(lambda: len(orders.gaps) == 1 and len(balances.gaps) == 1, timeout=15)
    await live(conn)

    assert sum(sim.stats.bullet_calls.values()) > bullets, "reconnected with a fresh token"
    assert sorted(server_subscriptions(sim)[-1]) == sorted([ORDERS, BALANCE])
    gap = orders.gaps[0]
    assert gap.ws_key is SPOT and gap.topics == (ORDERS,)
    assert gap.start <= gap.end and gap.cause
    assert balances.gaps[0].topics == (BALANCE,)

    sim.engine.place_spot_order("demo", "BTC-USDT", "sell", "limit", "0.01", price="90000")
    await until(lambda: len(orders.data) == 4 and len(balances.data) == 2)
    await asyncio.sleep(0.1)
    assert len(orders.gaps) == 1 and len(balances.gaps) == 1
    assert not orders.errors and not balances.errors and not plain.errors
    assert not any(isinstance(i, Gap) for i in plain.items)
    assert [o.side for o in plain.items] == ["buy", "buy", "sell", "sell"]
    for d in (d1, d2, d3):
        d.dispose()


async def test_rejected_credentials_stop_at_once(
    sim: Simulator, connect: MakeConnection, creds: Credentials
) -> None:
    bad = Credentials(creds.api_key, creds.api_secret, "not-the-passphrase")
    conn = connect(credentials=bad)
    rec, _ = watch(conn, ORDERS)
    other, _ = watch(conn, BALANCE)
    await until(lambda: bool(rec.errors) and bool(other.errors))
    await asyncio.sleep(0.3)  # several backoff periods: nothing more may happen
    assert sum(sim.stats.bullet_calls.values()) == 1
    assert isinstance(rec.errors[0], AuthError) and rec.errors[0].code == "400004"
    assert "passphrase" in str(rec.errors[0]).lower()
    assert conn.state.value is ConnectionState.FAILED


async def test_rejected_topic_errors_only_its_subscribers(
    sim: Simulator, connect: MakeConnection
) -> None:
    conn = connect()
    good, _ = watch(conn, ORDERS)
    await live(conn)
    bad = Recorder()
    conn.stream(topic("/no/such/topic")).subscribe(bad.on_next, bad.on_error)
    await until(lambda: bool(bad.errors))
    error = bad.errors[0]
    assert isinstance(error, SubscriptionRejected)
    assert error.topic == "/no/such/topic" and error.code == 404
    assert topic("/no/such/topic") not in conn.topics
    sim.faults.drop()
    await until(lambda: len(good.gaps) == 1)
    assert server_subscriptions(sim)[-1] == [ORDERS]
    assert not good.errors


async def test_a_raising_subscriber_does_not_stop_another(
    sim: Simulator, connect: MakeConnection
) -> None:
    reported: list[Exception] = []
    conn = connect()
    conn._report = reported.append

    def broken(_: Any) -> None:
        raise RuntimeError("strategy bug")

    conn.stream(topic(ORDERS)).subscribe(broken)
    good, _ = watch(conn, ORDERS)
    await live(conn)
    sim.engine.place_spot_order("demo", "BTC-USDT", "buy", "limit", "0.01", price="30000")
    sim.engine.place_spot_order("demo", "BTC-USDT", "buy", "limit", "0.02", price="30000")
    await until(lambda: len(good.data) == 4)
    assert len(reported) == 1 and "strategy bug" in str(reported[0])
    assert conn.state.value is ConnectionState.LIVE


async def test_every_callback_runs_on_the_loop_thread(
    sim: Simulator, connect: MakeConnection
) -> None:
    loop_thread = threading.get_ident()
    conn = connect()
    threads: set[int] = set()
    conn.events.subscribe(lambda _: threads.add(threading.get_ident()))
    conn.state.subscribe(lambda _: threads.add(threading.get_ident()))
    rec, _ = watch(conn, ORDERS)
    await live(conn)
    sim.faults.token_error("500")
    sim.faults.drop()  # exercise the backoff timers too
    await until(lambda: len(rec.gaps) == 1)
    sim.engine.place_spot_order("demo", "BTC-USDT", "buy", "limit", "0.01", price="30000")
    await until(lambda: len(rec.data) == 2)
    assert threads | rec.threads == {loop_thread}
    assert threading.active_count() == 1 or all(
        t.name.startswith(("asyncio", "MainThread")) or not t.name.startswith("Thread")
        for t in threading.enumerate()
    )


@pytest.mark.parametrize("sim", WIRES, indirect=True)
async def test_pro_signed_auth_and_token_flow(sim: Simulator, connect: MakeConnection) -> None:
    conn = connect(WsKey.PRIVATE_PRO_V2)
    key = parse_topics(
        WsKey.PRIVATE_PRO_V2, {"topic": "orderAll", "payload": {"tradeType": "UNIFIED"}}
    )[0]
    rec = Recorder()
    conn.stream(key).subscribe(rec.on_next, rec.on_error)
    await live(conn)
    assert conn.token_fetches == 0  # flow B: signed op auth, no token
    sim.engine.place_spot_order("demo", "BTC-USDT", "buy", "limit", "0.01", price="30000")
    await until(lambda: len(rec.items) >= 1)
    assert rec.items[0].event_type == "OPEN"
    assert not rec.errors


async def test_balance_stream_types(sim: Simulator, connect: MakeConnection) -> None:
    conn = connect()
    rec, _ = watch(conn, BALANCE, with_gaps=False)
    await live(conn)
    sim.engine.place_spot_order("demo", "BTC-USDT", "buy", "limit", "0.01", price="30000")
    await until(lambda: len(rec.items) == 1)
    change = rec.items[0]
    assert isinstance(change, SpotBalanceChange)
    assert change.available + change.hold == change.total


@pytest.mark.parametrize("sim", WIRES, indirect=True)
async def test_pro_token_flow_and_binary_frames(sim: Simulator, connect: MakeConnection) -> None:
    conn = connect(WsKey.PRIVATE_PRO_V2, pro_auth="token")  # flow A, kept after a drop
    sim.faults.binary_frames(True)
    key = parse_topics(
        WsKey.PRIVATE_PRO_V2, {"topic": "balance", "payload": {"accountType": "SPOT"}}
    )[0]
    rec = Recorder()
    conn.stream(key, with_gaps=True).subscribe(rec.on_next, rec.on_error)
    await live(conn)
    assert conn.token_fetches == 1
    sim.engine.place_spot_order("demo", "BTC-USDT", "buy", "limit", "0.01", price="30000")
    await until(lambda: len(rec.data) >= 1)
    assert rec.data[0].currency == "USDT"
    sim.faults.drop()
    await until(lambda: len(rec.gaps) == 1)
    assert conn.token_fetches == 2
    assert not rec.errors


async def test_lifecycle_events_in_the_seed_sdk_order(
    sim: Simulator, connect: MakeConnection
) -> None:
    conn = connect()
    events: list[ConnectionEvent] = []
    states: list[ConnectionState] = []
    conn.events.subscribe(events.append)
    conn.state.subscribe(states.append)
    rec, d = watch(conn, ORDERS)
    await live(conn)
    sim.faults.drop()
    await until(lambda: len(rec.gaps) == 1)
    await live(conn)
    d.dispose()
    await until(lambda: conn.state.value is ConnectionState.CLOSED)
    kinds = [e.kind for e in events]
    assert kinds == [
        "authenticated",
        "response",
        "open",
        "reconnect",
        "authenticated",
        "response",
        "reconnected",
        "close",
    ]
    reconnect = events[3]
    assert reconnect.error is not None and "closed" in reconnect.detail
    assert states == [
        ConnectionState.IDLE,
        ConnectionState.CONNECTING,
        ConnectionState.LIVE,
        ConnectionState.RECONNECTING,
        ConnectionState.LIVE,
        ConnectionState.CLOSED,
    ]


async def test_transient_refusal_is_retried_not_fatal(
    sim: Simulator, connect: MakeConnection
) -> None:
    conn = connect()
    sim.faults.reject_next_subscribe(509, "exceed max permits per second")
    rec, _ = watch(conn, ORDERS)
    await until(lambda: conn._topics.is_live(topic(ORDERS)))
    sim.engine.place_spot_order("demo", "BTC-USDT", "buy", "limit", "0.01", price="30000")
    await until(lambda: len(rec.data) == 2)
    assert not rec.errors
    assert sim.stats.subscribe_frames == 2


async def test_a_pro_rate_refusal_with_only_a_reason_is_retried_not_fatal(
    sim: Simulator, connect: MakeConnection
) -> None:
    # Pro refusals carry a reason and no code (PROTOCOL.md §0)
    conn = connect(WsKey.PRIVATE_PRO_V2)
    sim.faults.reject_next_subscribe(509, "exceed max permits per second")
    rec = Recorder()
    key = parse_topics(
        WsKey.PRIVATE_PRO_V2, {"topic": "orderAll", "payload": {"tradeType": "UNIFIED"}}
    )[0]
    conn.stream(key, with_gaps=True).subscribe(rec.on_next, rec.on_error)
    await until(lambda: conn._topics.is_live(key))
    sim.engine.place_spot_order("demo", "BTC-USDT", "buy", "limit", "0.01", price="30000")
    await until(lambda: len(rec.data) >= 1)
    assert not rec.errors


async def test_session_cap_refusal_is_fatal_for_the_topic(
    sim: Simulator, connect: MakeConnection
) -> None:
    conn = connect()
    sim.faults.reject_next_subscribe(509, "exceed max subscription count limitation of 300")
    rec, _ = watch(conn, ORDERS)
    await until(lambda: bool(rec.errors))
    assert isinstance(rec.errors[0], SubscriptionRejected) and rec.errors[0].code == 509


def fut(text: str) -> TopicKey:
    return topic(text, WsKey.FUTURES_PRIVATE_V1)


def open_position(sim: Simulator, symbol: str = "XBTUSDTM", size: int = 1) -> None:
    oid = sim.engine.place_futures_order("demo", symbol, "buy", size, price="60000")
    sim.engine.fill_futures_order("demo", oid)


@pytest.mark.parametrize(
    ("one", "every"),
    [
        ("/contract/position:XBTUSDTM", "/contract/positionAll"),
        ("/contractMarket/tradeOrders:XBTUSDTM", "/contractMarket/tradeOrders"),
    ],
)
@pytest.mark.parametrize("sim", WIRES, indirect=True)
async def test_symbol_and_all_symbols_topics_each_get_every_push_once(
    sim: Simulator, connect: MakeConnection, one: str, every: str
) -> None:
    conn = connect(WsKey.FUTURES_PRIVATE_V1)
    single, all_ = Recorder(), Recorder()
    d1 = conn.stream(fut(one), with_gaps=True).subscribe(single.on_next, single.on_error)
    d2 = conn.stream(fut(every), with_gaps=True).subscribe(all_.on_next, all_.on_error)
    await until(lambda: conn.settled)
    assert server_subscriptions(sim) == [[every]]  # the symbol rides on the broad topic
    open_position(sim)
    open_position(sim, "ETHUSDTM")
    await until(lambda: len(all_.data) >= 2)
    await asyncio.sleep(0.1)
    xbt = [p for p in all_.data if p.symbol == "XBTUSDTM"]
    assert single.data == xbt and len(xbt) >= 1
    assert all(p.symbol == "XBTUSDTM" for p in single.data)

    sim.faults.drop()
    await until(lambda: len(single.gaps) == 1 and len(all_.gaps) == 1)
    await until(lambda: conn.settled)
    assert server_subscriptions(sim)[-1] == [every]

    d2.dispose()  # the symbol needs its own subscription again, without a hole
    await until(lambda: server_subscriptions(sim)[-1] == [one])
    before = len(single.data)
    open_position(sim)
    await until(lambda: len(single.data) > before)
    await asyncio.sleep(0.1)
    assert len(single.gaps) == 1 and not single.errors
    d1.dispose()


@pytest.mark.parametrize("sim", WIRES, indirect=True)
async def test_symbol_subscribed_first_moves_onto_a_later_broad_topic(
    sim: Simulator, connect: MakeConnection
) -> None:
    conn = connect(WsKey.FUTURES_PRIVATE_V1)
    single, all_ = Recorder(), Recorder()
    conn.stream(fut("/contract/position:XBTUSDTM")).subscribe(single.on_next)
    await until(lambda: conn.settled)
    conn.stream(fut("/contract/positionAll")).subscribe(all_.on_next)
    await until(lambda: server_subscriptions(sim) == [["/contract/positionAll"]])
    open_position(sim)
    await until(lambda: len(all_.items) >= 1 and len(single.items) >= 1)
    await asyncio.sleep(0.1)
    assert single.items == all_.items


async def test_a_malformed_push_is_reported_and_loses_nothing_else(
    sim: Simulator, connect: MakeConnection
) -> None:
    from rxkucoin.exceptions import DecodeError
    from rxkucoin.sim import ClassicPush

    conn = connect()
    events: list[ConnectionEvent] = []
    conn.events.subscribe(events.append)
    rec, _ = watch(conn, ORDERS)
    await until(lambda: conn.settled)
    bad = {
        "symbol": "BTC-USDT",
        "orderType": "limit",
        "side": "buy",
        "orderId": "x",
        "type": "open",
        "status": "open",
        "orderTime": "not-a-number",
        "ts": 1,
    }
    sim.publish(ClassicPush("demo", "spot", ORDERS, "orderChange", bad))
    sim.engine.place_spot_order("demo", "BTC-USDT", "buy", "limit", "0.01", price="30000")
    await until(lambda: len(rec.data) == 2)
    errors = [e for e in events if e.kind == "exception"]
    assert len(errors) == 1 and isinstance(errors[0].error, DecodeError)
    assert errors[0].error.topic == ORDERS and errors[0].error.path == "$.data.orderTime"
    assert errors[0].raw is not None and b"not-a-number" in errors[0].raw
    # the lost push is a Gap in order with the data: before the next order's pushes
    assert [type(i).__name__ for i in rec.items] == ["Gap", "SpotOrderChange", "SpotOrderChange"]
    (gap,) = rec.gaps
    assert gap.cause == "undecodable" and gap.topics == (ORDERS,)
    assert gap.raw == errors[0].raw and gap.error is errors[0].error
    assert conn.undecodable == 1 and conn.bad_frames == 0
    assert not rec.errors and conn.state.value is ConnectionState.LIVE


async def test_pings_continue_under_traffic_so_the_server_keeps_the_socket(
    sim: Simulator, connect: MakeConnection
) -> None:
    # The simulator closes a socket whose client sent nothing for pingInterval +
    # pingTimeout (0.8 s here); a busy feed must not stop the client's pings.
    conn = connect()
    events: list[ConnectionEvent] = []
    conn.events.subscribe(events.append)
    rec, _ = watch(conn, ORDERS)
    await until(lambda: conn.settled)
    for _ in range(40):  # about 2 s of steady traffic
        sim.engine.place_spot_order("demo", "BTC-USDT", "buy", "limit", "0.001", price="30000")
        await asyncio.sleep(0.05)
    assert [e.kind for e in events if e.kind in ("reconnect", "reconnected")] == []
    assert len(rec.data) == 80 and not rec.gaps


@pytest.mark.parametrize("host", ["spot", "futures", "pro"])
async def test_a_socket_that_died_of_silence_is_closed_not_left_open(host: str) -> None:
    # The retry cancels the dead attempt at once; its socket must still be closed, or the
    # server keeps one stalled session (and KuCoin one connection) per heartbeat failure.
    async with Simulator(seed=1, ping_interval_ms=300, ping_timeout_ms=300) as sim:
        creds = sim.add_account("a", balances={"USDT": "1000"}, futures_balance="100")
        async with KucoinStreams(
            creds, endpoints=sim.endpoints, backoff=lambda attempt: 0.02
        ) as streams:
            stream = {
                "spot": streams.spot_orders,
                "futures": streams.futures_orders,
                "pro": lambda: streams.pro_balance("SPOT"),
            }[host]()
            held = stream.subscribe(lambda _: None)
            await streams.ready()
            assert sim.faults.half_open(host) == 1
            await until(lambda: sim.stats.connections[host] == 2, timeout=10)
            await until(lambda: len(sim._sessions_on(host)) == 1, timeout=10)
            assert not any(s.half_open for s in sim._sessions_on(host))
            held.dispose()
