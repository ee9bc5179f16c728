"""KucoinStreams end to end: the seed SDK's subscription forms, errors, clean shutdown."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from typing import Any

import pytest
from reactivex.subject import Subject

from rxkucoin import (
    AuthError,
    BufferOverflow,
    ClientClosed,
    ConnectionEvent,
    ConnectionLost,
    ConnectionState,
    Credentials,
    CredentialsError,
    Endpoints,
    InvalidTopic,
    KucoinStreams,
    Market,
    TopicStream,
    TransportError,
    WsKey,
)
from rxkucoin._stream import HAND_OFF_SLICE
from rxkucoin.aio import aiter_observable, first
from rxkucoin.exceptions import NotReady
from rxkucoin.models import FuturesPositionMarkPrice, ProOrder, SpotBalanceChange, SpotOrderChange
from rxkucoin.sim import Simulator

from .helpers import until


async def test_seed_spot_example_translates_line_by_line(
    sim: Simulator, creds: Credentials
) -> None:
    async with KucoinStreams(creds, endpoints=sim.endpoints) as streams:
        got: list[Any] = []
        streams.subscribe(
            [
                "/spotMarket/tradeOrders",
                "/spotMarket/tradeOrdersV2",
                "/account/balance",
                "/spotMarket/advancedOrders",
            ],
            "spotPrivateV1",
        ).subscribe(got.append)
        await until(lambda: streams.connection("spotPrivateV1").state.value is ConnectionState.LIVE)
        sim.engine.place_spot_order("demo", "BTC-USDT", "buy", "limit", "0.01", price="30000")
        await until(lambda: len(got) >= 4)
        kinds = {type(x).__name__ for x in got}
        assert kinds == {"SpotOrderChange", "SpotBalanceChange"}
        v2 = [x.type for x in got if isinstance(x, SpotOrderChange)]
        assert v2.count("open") == 2 and v2.count("received") == 1  # V1 has no 'received'
        assert sum(isinstance(x, SpotBalanceChange) for x in got) == 1


async def test_seed_pro_example(sim: Simulator, creds: Credentials) -> None:
    async with KucoinStreams(creds, endpoints=sim.endpoints) as streams:
        orders = streams.subscribe(
            [
                {"topic": "orderAll", "payload": {"tradeType": "UNIFIED"}},
                {"topic": "order", "payload": {"tradeType": "SPOT", "symbol": "BTC-USDT"}},
            ],
            WsKey.PRIVATE_PRO_V2,
        )
        async with aiter_observable(orders) as events:
            await until(
                lambda: streams.connection(WsKey.PRIVATE_PRO_V2).state.value is ConnectionState.LIVE
            )
            sim.engine.place_spot_order("demo", "BTC-USDT", "buy", "limit", "0.01", price="30000")
            first_two = [await anext(events), await anext(events)]
        assert all(isinstance(o, ProOrder) and o.symbol == "BTC-USDT" for o in first_two)


async def test_first_helper_with_a_real_stream(sim: Simulator, creds: Credentials) -> None:
    async with KucoinStreams(creds, endpoints=sim.endpoints) as streams:
        orders = streams.subscribe("/spotMarket/tradeOrdersV2", "spotPrivateV1")
        waiting = asyncio.ensure_future(first(orders, lambda o: o.type == "open", timeout=10))
        await until(lambda: streams.connection("spotPrivateV1").state.value is ConnectionState.LIVE)
        sim.engine.place_spot_order("demo", "BTC-USDT", "buy", "limit", "0.01", price="30000")
        opened = await waiting
        assert opened.status == "open"


async def test_bad_input_is_a_typed_error_and_loses_nothing(
    sim: Simulator, creds: Credentials
) -> None:
    async with KucoinStreams(creds, endpoints=sim.endpoints) as streams:
        good: list[Any] = []
        streams.subscribe("/account/balance", "spotPrivateV1").subscribe(good.append)
        with pytest.raises(InvalidTopic):
            streams.subscribe("account/balance", "spotPrivateV1")
        with pytest.raises(ValueError):
            streams.subscribe("/account/balance", "spotPrivateV9")
        with pytest.raises(InvalidTopic):
            streams.subscribe("/account/balance", WsKey.PRIVATE_PRO_V2)
        await until(lambda: streams.connection("spotPrivateV1").state.value is ConnectionState.LIVE)
        sim.engine.place_spot_order("demo", "BTC-USDT", "buy", "limit", "0.01", price="30000")
        await until(lambda: len(good) == 1)


async def test_private_key_without_credentials(
    sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("KUCOIN_API_KEY", "KUCOIN_API_SECRET", "KUCOIN_API_PASSPHRASE"):
        monkeypatch.delenv(name, raising=False)
    async with KucoinStreams(endpoints=sim.endpoints) as streams:
        with pytest.raises(CredentialsError, match="KUCOIN_API_KEY"):
            streams.subscribe("/account/balance", "spotPrivateV1")


async def test_credentials_from_the_environment(
    sim: Simulator, creds: Credentials, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUCOIN_API_KEY", creds.api_key)
    monkeypatch.setenv("KUCOIN_API_SECRET", creds.api_secret)
    monkeypatch.setenv("KUCOIN_API_PASSPHRASE", creds.api_passphrase)
    async with KucoinStreams(endpoints=sim.endpoints) as streams:
        streams.subscribe("/account/balance", "spotPrivateV1").subscribe()
        await until(lambda: streams.connection("spotPrivateV1").state.value is ConnectionState.LIVE)


async def test_leaving_the_context_closes_every_socket(sim: Simulator, creds: Credentials) -> None:
    async with KucoinStreams(creds, endpoints=sim.endpoints) as streams:
        streams.subscribe("/account/balance", "spotPrivateV1").subscribe()
        streams.subscribe("/contractAccount/wallet", "futuresPrivateV1").subscribe()
        await until(lambda: sum(sim.stats.live_connections.values()) == 2)
    await until(lambda: sum(sim.stats.live_connections.values()) == 0)
    with pytest.raises(ClientClosed):
        streams.subscribe("/account/balance", "spotPrivateV1")
    with pytest.raises(ClientClosed):
        _ = streams.rest
    with pytest.raises(RuntimeError, match="async with"):
        KucoinStreams(creds, endpoints=sim.endpoints).spot_orders()  # never entered


async def test_ready_waits_for_a_topic_added_to_a_live_socket(
    sim: Simulator, creds: Credentials
) -> None:
    async with KucoinStreams(creds, endpoints=sim.endpoints) as streams:
        streams.spot_orders().subscribe()
        await streams.ready()
        balances: list[Any] = []
        streams.spot_balance().subscribe(balances.append)
        await streams.ready("spotPrivateV1")  # the new topic is acknowledged now
        sim.engine.place_spot_order("demo", "BTC-USDT", "buy", "limit", "0.01", price="30000")
        await until(lambda: len(balances) == 1)


async def test_ready_raises_when_credentials_are_rejected(
    sim: Simulator, creds: Credentials
) -> None:
    bad = Credentials(creds.api_key, "wrong-secret", creds.api_passphrase)
    async with KucoinStreams(bad, endpoints=sim.endpoints) as streams:
        streams.spot_orders().subscribe(on_error=lambda e: None)
        with pytest.raises(AuthError):
            await streams.ready(timeout=5)


async def test_rest_snapshot_after_subscribing(sim: Simulator, creds: Credentials) -> None:
    async with KucoinStreams(creds, endpoints=sim.endpoints) as streams:
        sim.engine.place_spot_order("demo", "BTC-USDT", "buy", "limit", "0.01", price="30000")
        orders = await streams.rest.get_json(
            Market.SPOT, "/api/v1/hf/orders/active", {"symbol": "BTC-USDT"}
        )
        assert [o["price"] for o in orders] == ["30000"]


async def test_mark_price_updates_name_their_symbol(sim: Simulator, creds: Credentials) -> None:
    async with KucoinStreams(creds, endpoints=sim.endpoints) as streams:
        got: list[Any] = []
        streams.futures_positions(["XBTUSDTM", "ETHUSDTM"]).subscribe(got.append)
        await streams.ready()
        for symbol, price in (("XBTUSDTM", "60000"), ("ETHUSDTM", "3000")):
            oid = sim.engine.place_futures_order("demo", symbol, "buy", 1, price=price)
            sim.engine.fill_futures_order("demo", oid)
        sim.engine.set_mark_price("XBTUSDTM", "61000")
        sim.engine.set_mark_price("ETHUSDTM", "2900")
        await until(lambda: sum(isinstance(p, FuturesPositionMarkPrice) for p in got) == 2)
        marks = {p.symbol: p.mark_price for p in got if isinstance(p, FuturesPositionMarkPrice)}
        assert marks == {"XBTUSDTM": 61000.0, "ETHUSDTM": 2900.0}


async def test_a_raising_event_observer_does_not_stall_the_connection(
    sim: Simulator, creds: Credentials
) -> None:
    reported: list[Exception] = []
    async with KucoinStreams(
        creds, endpoints=sim.endpoints, on_subscriber_error=reported.append
    ) as streams:

        def broken(_: Any) -> None:
            raise RuntimeError("logging bug")

        streams.events("spotPrivateV1").subscribe(broken)
        streams.state("spotPrivateV1").subscribe(broken)
        got: list[Any] = []
        streams.spot_orders().subscribe(got.append)
        await streams.ready(timeout=5)
        sim.engine.place_spot_order("demo", "BTC-USDT", "buy", "limit", "0.01", price="30000")
        await until(lambda: len(got) == 2)
        assert len(reported) == 2 and all("logging bug" in str(e) for e in reported)


async def test_ready_returns_when_the_only_topic_is_refused(
    sim: Simulator, creds: Credentials
) -> None:
    async with KucoinStreams(creds, endpoints=sim.endpoints) as streams:
        errors: list[Exception] = []
        streams.subscribe("/spotMarket/noSuchTopic", "spotPrivateV1").subscribe(
            on_error=errors.append
        )
        await streams.ready(timeout=5)
        assert len(errors) == 1


async def test_rejected_credentials_report_one_exception_event(
    sim: Simulator, creds: Credentials
) -> None:
    bad = Credentials(creds.api_key, "wrong-secret", creds.api_passphrase)
    async with KucoinStreams(bad, endpoints=sim.endpoints) as streams:
        kinds: list[str] = []
        streams.events("spotPrivateV1").subscribe(lambda e: kinds.append(e.kind))
        streams.spot_orders().subscribe(on_error=lambda e: None)
        streams.spot_balance().subscribe(on_error=lambda e: None)
        with pytest.raises(AuthError):
            await streams.ready(timeout=5)
        assert kinds.count("exception") == 1


async def test_aclose_completes_every_stream_and_a_later_subscribe_is_client_closed(
    sim: Simulator, creds: Credentials
) -> None:
    streams = KucoinStreams(creds, endpoints=sim.endpoints)
    async with streams:
        orders = streams.spot_orders()
        ended: list[str] = []
        orders.subscribe(on_completed=lambda: ended.append("data"))
        orders.with_gaps().subscribe(on_completed=lambda: ended.append("gaps"))
        async with aiter_observable(streams.futures_positions()) as positions:
            await streams.ready(timeout=10)
            await streams.aclose()
            assert sorted(ended) == ["data", "gaps"]
            assert [p async for p in positions] == []  # the async for ends
        errors: list[Exception] = []
        orders.subscribe(on_error=errors.append)
        assert len(errors) == 1 and isinstance(errors[0], ClientClosed)
        await until(lambda: sum(sim.stats.live_connections.values()) == 0)


async def test_subscribe_and_dispose_from_another_thread_run_on_the_loop(
    sim: Simulator, creds: Credentials
) -> None:
    import threading

    async with KucoinStreams(creds, endpoints=sim.endpoints) as streams:
        seen_on: set[int] = set()
        orders = streams.spot_orders()
        subscription: list[Any] = []
        worker = threading.Thread(
            target=lambda: subscription.append(
                orders.subscribe(lambda _: seen_on.add(threading.get_ident()))
            )
        )
        worker.start()
        worker.join()
        conn = streams.connection(WsKey.SPOT_PRIVATE_V1)
        await until(lambda: bool(conn.topics))
        await streams.ready(timeout=10)
        sim.engine.place_spot_order("demo", "BTC-USDT", "buy", "limit", "0.01", price="30000")
        await until(lambda: bool(seen_on))
        assert seen_on == {threading.get_ident()}  # delivered on the loop's thread
        closer = threading.Thread(target=subscription[0].dispose)
        closer.start()
        closer.join()
        await until(lambda: not conn.topics and conn.state.value is ConnectionState.CLOSED)


# --- settings, readiness, fail fast -------------------------------------------------------


def _fast_retry(_: int) -> float:
    return 0.02


async def test_settings_are_checked() -> None:
    for bad in ({"rest_timeout": 0}, {"close_timeout": -1.0}, {"max_attempts": 0}):
        with pytest.raises(ValueError):
            KucoinStreams(**bad)  # type: ignore[arg-type]


async def test_rest_timeout_setting_bounds_a_hanging_token_call(
    sim: Simulator, creds: Credentials
) -> None:
    sim.faults.token_error("hang", count=1)
    async with KucoinStreams(
        creds, endpoints=sim.endpoints, backoff=_fast_retry, rest_timeout=0.2
    ) as streams:
        events: list[ConnectionEvent] = []
        streams.events("spotPrivateV1").subscribe(events.append)
        streams.spot_orders().subscribe()
        await streams.ready(timeout=10)
        retried = [e for e in events if e.kind == "reconnect"]
        assert len(retried) == 1 and isinstance(retried[0].error, TransportError)
        assert "0.2 s" in str(retried[0].error)


async def test_ready_raises_not_ready_with_each_connections_last_cause(
    sim: Simulator, creds: Credentials
) -> None:
    sim.faults.no_welcome()
    async with KucoinStreams(
        creds, endpoints=sim.endpoints, backoff=_fast_retry, welcome_timeout=0.1
    ) as streams:
        streams.spot_orders().subscribe()
        with pytest.raises(NotReady) as info:
            await streams.ready(timeout=1)
        error = info.value
        assert isinstance(error, TimeoutError) and isinstance(error, TransportError)
        assert list(error.causes) == ["spotPrivateV1"]
        cause = error.causes["spotPrivateV1"]
        assert isinstance(cause, ConnectionLost) and error.__cause__ is cause
        assert "spotPrivateV1" in str(error) and "ConnectionLost" in str(error)
        sim.faults.no_welcome(False)
        await streams.ready(timeout=10)  # it kept trying meanwhile


async def test_no_route_is_visible_at_once_and_named_by_ready(creds: Credentials) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again below: connections are refused
    nowhere = Endpoints(spot_rest=f"http://127.0.0.1:{port}")
    async with KucoinStreams(creds, endpoints=nowhere, backoff=lambda _: 0.5) as streams:
        events: list[ConnectionEvent] = []
        streams.events("spotPrivateV1").subscribe(events.append)
        streams.spot_orders().subscribe()
        with pytest.raises(NotReady) as info:
            await streams.ready(timeout=0.3)
        assert isinstance(info.value.causes["spotPrivateV1"], TransportError)
        assert events and events[0].kind == "reconnect"  # the first failure, not a silence


async def test_max_attempts_ends_the_streams_with_the_last_cause(
    sim: Simulator, creds: Credentials
) -> None:
    sim.faults.no_welcome()
    async with KucoinStreams(
        creds,
        endpoints=sim.endpoints,
        backoff=_fast_retry,
        welcome_timeout=0.1,
        max_attempts=2,
    ) as streams:
        errors: list[Exception] = []
        streams.spot_orders().subscribe(on_error=errors.append)
        with pytest.raises(ConnectionLost):
            await streams.ready(timeout=10)
        assert len(errors) == 1 and isinstance(errors[0], ConnectionLost)
        assert sim.stats.connections["spot"] == 3  # the first attempt and two retries


# --- isolation and threads -----------------------------------------------------------------


async def test_a_raising_error_hook_is_logged_and_the_socket_is_untouched(
    sim: Simulator, creds: Credentials, caplog: pytest.LogCaptureFixture
) -> None:
    def hook(_: Exception) -> None:
        raise RuntimeError("hook bug")

    def broken(_: Any) -> None:
        raise RuntimeError("subscriber bug")

    async with KucoinStreams(creds, endpoints=sim.endpoints, on_subscriber_error=hook) as streams:
        got: list[Any] = []
        streams.spot_orders().subscribe(broken)
        streams.spot_orders().subscribe(got.append)
        await streams.ready(timeout=10)
        sim.engine.place_spot_order("demo", "BTC-USDT", "buy", "limit", "0.01", price="30000")
        await until(lambda: len(got) == 2)
        assert streams.connection("spotPrivateV1").state.value is ConnectionState.LIVE
        assert sim.stats.connections["spot"] == 1
    assert any("hook bug" in r.getMessage() for r in caplog.records)


async def test_state_and_events_subscribed_from_a_thread_are_called_on_the_loop(
    sim: Simulator, creds: Credentials
) -> None:
    async with KucoinStreams(creds, endpoints=sim.endpoints) as streams:
        called_on: set[int] = set()
        states: list[ConnectionState] = []
        subscriptions: list[Any] = []

        def on_state(state: ConnectionState) -> None:
            called_on.add(threading.get_ident())
            states.append(state)

        def from_worker() -> None:
            subscriptions.append(streams.state("spotPrivateV1").subscribe(on_state))
            subscriptions.append(
                streams.events("spotPrivateV1").subscribe(
                    lambda _: called_on.add(threading.get_ident())
                )
            )
            subscriptions.append(streams.spot_orders().subscribe())

        await asyncio.to_thread(from_worker)
        await streams.ready(timeout=10)
        await until(lambda: ConnectionState.LIVE in states)
        assert called_on == {threading.get_ident()}
        assert states[0] is ConnectionState.IDLE  # the current state, replayed on the loop
        await asyncio.to_thread(lambda: [s.dispose() for s in subscriptions])
        conn = streams.connection("spotPrivateV1")
        await until(lambda: conn.state.value is ConnectionState.CLOSED)
        assert states[-1] is ConnectionState.LIVE  # disposed before the close


# --- the bounded hand-off --------------------------------------------------------------------


def _hand_off_stream() -> tuple[Subject[int], TopicStream[int]]:
    subject: Subject[int] = Subject()
    return subject, TopicStream(subject, subject)


def _busy(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


async def test_buffered_delivers_later_in_order_then_completes() -> None:
    subject, stream = _hand_off_stream()
    got: list[Any] = []
    stream.buffered(10).subscribe(got.append, on_completed=lambda: got.append("done"))
    for i in range(5):
        subject.on_next(i)
    subject.on_completed()
    assert got == []  # the reader only queued them
    await until(lambda: "done" in got)
    assert got == [0, 1, 2, 3, 4, "done"]


async def test_buffered_overflow_is_delivered_at_once() -> None:
    subject, stream = _hand_off_stream()
    got: list[Any] = []
    errors: list[Exception] = []
    stream.buffered(3).subscribe(got.append, errors.append)
    for i in range(4):
        subject.on_next(i)
    assert len(errors) == 1 and isinstance(errors[0], BufferOverflow)  # before any item
    assert errors[0].capacity == 3 and not subject.observers
    await asyncio.sleep(0.01)
    assert got == []  # the backlog went with the error


async def test_buffered_yields_to_the_loop_between_slow_deliveries() -> None:
    subject, stream = _hand_off_stream()
    order: list[Any] = []

    def slow(item: int) -> None:
        _busy(HAND_OFF_SLICE * 1.5)  # each call alone exceeds the task's slice
        order.append(item)

    stream.buffered(100).subscribe(slow)
    for i in range(20):
        subject.on_next(i)
    asyncio.get_running_loop().call_soon(order.append, "loop ran")
    await until(lambda: len(order) == 21)
    assert order.index("loop ran") <= 2  # not after the whole backlog


async def test_buffered_reports_a_raising_subscriber_and_errors_follow_the_backlog() -> None:
    subject, stream = _hand_off_stream()
    reported: list[Exception] = []
    stream = TopicStream(subject, subject, report=reported.append)

    def broken(item: int) -> None:
        if item == 1:
            raise RuntimeError("bad subscriber")

    stream.buffered(10).subscribe(broken)
    got: list[Any] = []
    stream.buffered(10).subscribe(got.append, lambda e: got.append(str(e)))
    for i in range(3):
        subject.on_next(i)
    subject.on_error(RuntimeError("end"))
    await until(lambda: "end" in got)
    assert got == [0, 1, 2, "end"]
    assert [str(e) for e in reported] == ["bad subscriber"]


async def test_buffered_topic_stream_through_the_simulator(
    sim: Simulator, creds: Credentials
) -> None:
    async with KucoinStreams(creds, endpoints=sim.endpoints) as streams:
        got: list[Any] = []
        streams.spot_orders().buffered(100).with_gaps().subscribe(got.append)
        await streams.ready(timeout=10)
        sim.engine.place_spot_order("demo", "BTC-USDT", "buy", "limit", "0.01", price="30000")
        await until(lambda: len(got) == 2)
        assert [o.type for o in got] == ["received", "open"]


# --- shutdown ---------------------------------------------------------------------------------


async def test_aclose_is_bounded_against_a_server_that_stopped_answering(
    sim: Simulator, creds: Credentials
) -> None:
    streams = KucoinStreams(creds, endpoints=sim.endpoints, close_timeout=0.5)
    async with streams:
        ended: list[str] = []
        streams.futures_wallet().with_gaps().subscribe(on_completed=lambda: ended.append("gaps"))

        async def consume(stream: Any) -> str:
            async with aiter_observable(stream) as items:
                async for _ in items:
                    pass
            return "ended"

        consumers = [
            asyncio.ensure_future(consume(streams.spot_orders())),
            asyncio.ensure_future(consume(streams.pro_orders())),
            asyncio.ensure_future(consume(streams.futures_positions().buffered(10))),
        ]
        await streams.ready(timeout=10)
        assert sim.faults.half_open() == 3
        async with asyncio.timeout(2 * streams.close_bound):
            await streams.aclose()
            assert await asyncio.gather(*consumers) == ["ended"] * 3
        assert ended == ["gaps"]
        assert not [t for t in asyncio.all_tasks() if t.get_name().startswith("rxkucoin:")]


async def test_the_suites_blocking_call_detector_is_on() -> None:
    """tests/conftest.py: a blocking call on the loop, under rxkucoin's frames, fails."""
    from blockbuster import BlockingError

    subject: Subject[int] = Subject()
    reported: list[Exception] = []
    stream = TopicStream(subject, subject, report=reported.append)
    stream.buffered(10).subscribe(lambda _: time.sleep(0.001))
    subject.on_next(1)
    await until(lambda: bool(reported))
    assert isinstance(reported[0], BlockingError)


async def test_async_for_break_without_async_with_releases_the_topic(
    sim: Simulator, creds: Credentials
) -> None:
    async with KucoinStreams(creds, endpoints=sim.endpoints) as streams:
        holder = streams.spot_balance().subscribe()  # keeps the socket open
        conn = streams.connection("spotPrivateV1")

        async def first_order_type() -> str:
            async for order in aiter_observable(streams.spot_orders()):  # no async with
                return str(order.type)  # leaves the loop; the iterator is dropped
            return "ended"

        reader = asyncio.ensure_future(first_order_type())
        await until(lambda: len(conn.topics) == 2)
        await streams.ready(timeout=10)
        sim.engine.place_spot_order("demo", "BTC-USDT", "buy", "limit", "0.01", price="30000")
        async with asyncio.timeout(10):
            assert await reader == "received"
        await until(lambda: len(conn.topics) == 1)  # only the balance is still held
        await until(lambda: sum(len(s.subs) for s in sim._sessions_on("spot")) == 1)
        holder.dispose()
