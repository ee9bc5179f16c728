"""KucoinStreams end to end: the seed SDK's subscription forms, errors, clean shutdown."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from rxkucoin import (
    AuthError,
    ConnectionState,
    Credentials,
    CredentialsError,
    InvalidTopic,
    KucoinStreams,
    Market,
    WsKey,
)
from rxkucoin.aio import aiter_observable, first
from rxkucoin.models import FuturesPositionMarkPrice, ProOrder, SpotBalanceChange, SpotOrderChange
from rxkucoin.sim import Simulator


async def until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


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
    with pytest.raises(RuntimeError, match="async with"):
        streams.subscribe("/account/balance", "spotPrivateV1")


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
    from rxkucoin import ClientClosed

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
