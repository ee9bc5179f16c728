"""Typed UTA REST: KuCoin's answers decode, and the simulator serves every UTA snapshot,
lookup and order entry in those shapes, true to its engine and to its own Pro pushes.

KuCoin's official SDK 1.3.2 carries no example answers for the UTA endpoints (its UTA
groups are routes only). The documented answers below are the live answers KuCoin.Net
keeps as its endpoint test fixtures (``JKorf/Kucoin.Net``,
``Kucoin.Net.UnitTests/Endpoints/Unified/...``; each test names its file), whose fields are
those of the official SDK's UTA models.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

import rxkucoin._rest_uta as rest_uta
from rxkucoin import Credentials, KucoinRest, KucoinStreams, Market, RestError
from rxkucoin._rest import decode_answer
from rxkucoin.models import (
    ProOrder,
    UtaAccountMode,
    UtaBalance,
    UtaOrder,
    UtaPosition,
)
from rxkucoin.models.rest_uta import _UtaOrderAck, _UtaOrderPage
from rxkucoin.sim import Engine, ProEvent, Push, Simulator

ACCOUNT = "uta"


# -- fixtures ----------------------------------------------------------------------------------


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(seed=5) as simulator:
        yield simulator


@pytest.fixture
def creds(sim: Simulator) -> Credentials:
    return sim.add_account(
        ACCOUNT,
        balances={"USDT": "100000", "BTC": "10", "ETH": "20"},
        futures_balance="50000",
        unified=True,
    )


@pytest.fixture
async def rest(sim: Simulator, creds: Credentials) -> AsyncIterator[KucoinRest]:
    async with aiohttp.ClientSession() as http:
        yield KucoinRest(http, sim.endpoints, creds)


class ProLog:
    """The engine's Pro events of one account, in order."""

    def __init__(self, engine: Engine) -> None:
        self.events: list[ProEvent] = []
        engine.listen(self._on_push)

    def _on_push(self, push: Push) -> None:
        if isinstance(push, ProEvent) and push.account == ACCOUNT:
            self.events.append(push)

    def last(self, kind: str, key: str, value: str) -> dict[str, Any]:
        return [e.data for e in self.events if e.kind == kind and e.data.get(key) == value][-1]


def engine_of(sim: Simulator) -> Engine:
    return sim.engine


# -- documented answers -------------------------------------------------------------------------


def test_documented_account_mode() -> None:
    # Kucoin.Net.UnitTests/Endpoints/Unified/Account/GetAccountMode.txt
    raw = b'{"selfAccountMode":"CLASSIC","unifiedSubAccount":[],"classicSubAccount":[252118980]}'
    mode = decode_answer(UtaAccountMode, raw, rest_uta.MODE_PATH)
    assert mode == UtaAccountMode(
        self_account_mode="CLASSIC", unified_sub_accounts=[], classic_sub_accounts=[252118980]
    )
    assert not mode.unified


def test_documented_balance() -> None:
    # Kucoin.Net.UnitTests/Endpoints/Unified/Account/GetBalances.txt
    raw = (
        b'{"accountType":"UNIFIED","ts":1764731696945,"accounts":[{"currencies":['
        b'{"currency":"USDT","equity":"97.9936711985","hold":"0.0000000000",'
        b'"balance":"97.9936711985","available":"97.9936711985","liability":"0.0000000000"},'
        b'{"currency":"BTC","equity":"0.0000216000","hold":"0.0000000000",'
        b'"balance":"0.0000216000","available":"0.0000216000","liability":"0.0000000000"}]}]}'
    )
    balance = decode_answer(UtaBalance, raw, rest_uta.BALANCE_PATH)
    assert (balance.account_type, balance.ts_ms) == ("UNIFIED", 1764731696945)
    assert [c.currency for c in balance.currencies] == ["USDT", "BTC"]
    usdt = balance.currency("USDT")
    assert usdt is not None
    assert (usdt.balance, usdt.available, usdt.hold) == (
        Decimal("97.9936711985"),
        Decimal("97.9936711985"),
        Decimal("0"),
    )
    assert usdt.liability == 0 and usdt.potential_borrow is None
    assert balance.currency("ETH") is None


def test_documented_open_orders_page() -> None:
    # Kucoin.Net.UnitTests/Endpoints/Unified/Trading/GetOpenOrders.txt (the v1 page, with
    # pageSize/totalNum/totalPage; v2 documents pageNumber, tradeType and items only)
    raw = (
        b'{"pageNumber":1,"pageSize":50,"totalNum":5,"totalPage":1,"items":[{'
        b'"orderId":"402650101375365121","symbol":"XBTUSDTM","orderType":"LIMIT","side":"BUY",'
        b'"size":"10","price":"30","timeInForce":"GTC","orderTime":1768812467045990006,'
        b'"stp":"","cancelAfter":null,"postOnly":false,"reduceOnly":false,'
        b'"triggerDirection":"","triggerPrice":"","triggerPriceType":"","tpTriggerPrice":"",'
        b'"tpTriggerPriceType":"","slTriggerPrice":"","slTriggerPriceType":"","filledSize":"0",'
        b'"avgPrice":"0","fee":"0","feeCurrency":"USDT","tax":"0",'
        b'"updatedTime":1768812467046107059,"triggerOrderId":"","cancelReason":"",'
        b'"cancelSize":"0","clientOid":"","sizeUnit":"UNIT","status":2}],'
        b'"tradeType":"FUTURES"}'
    )
    page = decode_answer(_UtaOrderPage, raw, rest_uta.OPEN_ORDERS_PATH)
    assert (page.page_number, page.total_page, page.trade_type) == (1, 1, "FUTURES")
    [order] = page.items or []
    assert (order.order_id, order.symbol, order.side, order.order_type) == (
        "402650101375365121",
        "XBTUSDTM",
        "BUY",
        "LIMIT",
    )
    assert (order.size, order.price, order.filled_size, order.status_code) == (10, 30, 0, 2)
    assert (order.created_ns, order.updated_ns) == (1768812467045990006, 1768812467046107059)
    assert order.client_oid is None and order.trigger_price is None and not order.done
    assert order.trade_type is None  # on the page, not the item: the client fills it in


def test_documented_order_detail() -> None:
    # Kucoin.Net.UnitTests/Endpoints/Unified/Trading/GetOrder.txt (a filled market order)
    raw = (
        b'{"orderId":"402665260420558848","symbol":"XBTUSDTM","orderType":"MARKET",'
        b'"side":"BUY","size":"1","price":"","timeInForce":"GTC",'
        b'"orderTime":1768816081243361310,"stp":"","cancelAfter":null,"postOnly":false,'
        b'"reduceOnly":false,"triggerDirection":"","triggerPrice":"","triggerPriceType":"",'
        b'"tpTriggerPrice":"","tpTriggerPriceType":"","slTriggerPrice":"",'
        b'"slTriggerPriceType":"","filledSize":"1","avgPrice":"93026.2","fee":"0.05581572",'
        b'"feeCurrency":"USDT","tax":"0","updatedTime":1768816081248000000,'
        b'"triggerOrderId":"","cancelReason":"","cancelSize":"0",'
        b'"clientOid":"test20938451234982234374024","sizeUnit":"UNIT","tradeType":"FUTURES",'
        b'"tradeId":"1907914684480","status":3}'
    )
    order = decode_answer(UtaOrder, raw, rest_uta.ORDER_DETAIL_PATH)
    assert (order.trade_type, order.order_type, order.price) == ("FUTURES", "MARKET", None)
    assert (order.filled_size, order.average_price, order.fee) == (
        Decimal("1"),
        Decimal("93026.2"),
        Decimal("0.05581572"),
    )
    assert (order.client_oid, order.last_trade_id) == (
        "test20938451234982234374024",
        "1907914684480",
    )
    assert order.status_code == 3 and order.done and order.updated_ns == 1768816081248000000
    # the history answer sends cancelReason as a number (GetOrderHistory.txt): still text
    cancelled = decode_answer(UtaOrder, raw.replace(b'"cancelReason":""', b'"cancelReason":0'), "")
    assert cancelled.cancel_reason == "0"


def test_documented_positions() -> None:
    # Kucoin.Net.UnitTests/Endpoints/Unified/Trading/GetPositions.txt
    raw = (
        b'[{"symbol":"XBTUSDTM","id":"10000000000000336","marginMode":"CROSS","size":"1",'
        b'"entryPrice":"90476.2","positionValue":"90.47466","markPrice":"90474.66",'
        b'"leverage":"48","unrealizedPnL":"-0.00154","realizedPnL":"-0.05428572",'
        b'"initialMargin":"1.88488874999999999969","mmr":"0.004",'
        b'"maintenanceMargin":"0.36189864","creationTime":1768215804921000000}]'
    )
    [position] = decode_answer(list[UtaPosition], raw, rest_uta.POSITIONS_PATH)
    assert (position.symbol, position.position_id, position.margin_mode) == (
        "XBTUSDTM",
        "10000000000000336",
        "CROSS",
    )
    assert (position.size, position.entry_price, position.mark_price) == (
        Decimal("1"),
        Decimal("90476.2"),
        Decimal("90474.66"),
    )
    assert (position.unrealised_pnl, position.realised_pnl, position.leverage) == (
        Decimal("-0.00154"),
        Decimal("-0.05428572"),
        Decimal("48"),
    )
    assert position.initial_margin == Decimal("1.88488874999999999969")
    assert position.created_ns == 1768215804921000000
    assert position.updated_ns is None and position.liquidation_price is None  # v2 only


def test_documented_order_acks() -> None:
    # Kucoin.Net.UnitTests/Endpoints/Unified/Trading/PlaceOrder.txt and CancelOrder.txt
    placed = decode_answer(
        _UtaOrderAck,
        b'{"orderId":"385543068587233280","tradeType":"SPOT","ts":1764733832617000000,'
        b'"clientOid":null}',
        rest_uta.PLACE_PATH,
    )
    assert (placed.order_id, placed.client_oid, placed.ts) == (
        "385543068587233280",
        None,
        1764733832617000000,
    )
    cancelled = decode_answer(
        _UtaOrderAck,
        b'{"orderId":"385577101236916224","tradeType":"SPOT","ts":1764741957435000000,'
        b'"clientOid":"451345g234rwegrwe24"}',
        rest_uta.CANCEL_PATH,
    )
    assert (cancelled.order_id, cancelled.client_oid) == (
        "385577101236916224",
        "451345g234rwegrwe24",
    )


# -- the simulator's answers, through its HTTP server ------------------------------------------


async def test_account_mode(sim: Simulator, rest: KucoinRest) -> None:
    assert (await rest.uta_account_mode()).unified
    async with aiohttp.ClientSession() as http:
        classic = KucoinRest(http, sim.endpoints, sim.add_account("classic"))
        mode = await classic.uta_account_mode()
    assert mode == UtaAccountMode(
        self_account_mode="CLASSIC", unified_sub_accounts=[], classic_sub_accounts=[]
    )


async def test_balance_matches_the_engine_and_the_last_pushes(
    sim: Simulator, rest: KucoinRest
) -> None:
    engine = engine_of(sim)
    log = ProLog(engine)
    engine.place_spot_order(ACCOUNT, "BTC-USDT", "buy", "limit", "0.5", "40000")
    engine.place_futures_order(ACCOUNT, "XBTUSDTM", "buy", 10, "59000", 5, "ISOLATED")
    engine.place_futures_order(ACCOUNT, "ETHUSDTM", "sell", 3)  # fills at the mark
    balance = await rest.uta_balance()
    acct = engine._acct(ACCOUNT)
    assert balance.account_type == "UNIFIED" and balance.ts_ms is not None
    assert {c.currency for c in balance.currencies} == {"USDT", "BTC", "ETH"}
    for entry in balance.currencies:
        truth = engine.unified_figures(acct, entry.currency)
        assert (entry.balance, entry.available, entry.hold, entry.liability) == (
            truth["balance"],
            truth["available"],
            truth["hold"],
            truth["liability"],
        )
    # One USDT balance for spot and futures: the last Pro push says what REST says.
    usdt = balance.currency("USDT")
    assert usdt is not None and usdt.balance == Decimal("150000") - Decimal("0.054")
    pushed = log.last("balance", "c", "USDT")
    assert (Decimal(pushed["b"]), Decimal(pushed["a"]), Decimal(pushed["h"])) == (
        usdt.balance,
        usdt.available,
        usdt.hold,
    )
    # the spot buy's hold (with its fee), the futures order's margin, the position's margin
    assert usdt.hold == Decimal("20020") + Decimal("118") + Decimal("30")


async def test_open_orders_every_page_and_the_push_times(sim: Simulator, rest: KucoinRest) -> None:
    engine = engine_of(sim)
    log = ProLog(engine)
    spot = [
        engine.place_spot_order(ACCOUNT, "ETH-USDT", "buy", "limit", "0.01", str(2000 + n))
        for n in range(rest_uta.UTA_PAGE_SIZE + 7)  # two pages
    ]
    futures = engine.place_futures_order(ACCOUNT, "XBTUSDTM", "sell", 2, "61000")
    engine.fill_futures_order(ACCOUNT, futures, 1)  # partly filled, still open
    orders = await rest.uta_open_orders()
    assert [o.order_id for o in orders] == spot[::-1]  # newest first, each once
    assert all(o.trade_type == "SPOT" and o.symbol == "ETH-USDT" for o in orders)
    for order in orders:
        truth = engine._spot_orders[order.order_id]
        assert (order.price, order.size, order.filled_size, order.status_code) == (
            truth.price,
            truth.size,
            0,
            2,
        )
        pushed = log.last("order", "oi", order.order_id)
        assert (order.created_ns, order.updated_ns) == (pushed["O"], pushed["U"])
    [open_futures] = await rest.uta_open_orders("futures", symbol="XBTUSDTM")
    pushed = log.last("order", "oi", futures)
    assert (open_futures.order_id, open_futures.trade_type, open_futures.status_code) == (
        futures,
        "FUTURES",
        pushed["os"],
    )
    assert (open_futures.size, open_futures.filled_size, open_futures.margin_mode) == (
        2,
        1,
        "ISOLATED",
    )
    assert open_futures.updated_ns == pushed["U"]
    assert await rest.uta_open_orders("SPOT", symbol="BTC-USDT") == []


async def test_positions_every_page_and_the_push_times(
    sim: Simulator, rest: KucoinRest, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = engine_of(sim)
    log = ProLog(engine)
    engine.place_futures_order(ACCOUNT, "XBTUSDTM", "buy", 4, margin_mode="CROSS")
    engine.place_futures_order(ACCOUNT, "ETHUSDTM", "sell", 7)
    engine.place_futures_order(ACCOUNT, "SOLUSDTM", "buy", 9, leverage=10)
    engine.set_mark_price("XBTUSDTM", "61500")
    monkeypatch.setattr(rest_uta, "UTA_PAGE_SIZE", 2)  # three positions: two pages
    positions = {p.symbol: p for p in await rest.uta_positions()}
    assert set(positions) == {"XBTUSDTM", "ETHUSDTM", "SOLUSDTM"}
    acct = engine._acct(ACCOUNT)
    for symbol, position in positions.items():
        pos = acct.positions[symbol]
        pushed = log.last("position", "s", symbol)
        assert (position.position_id, position.size, position.margin_mode) == (
            pos.id,
            pos.qty,
            pos.margin_mode,
        )
        assert (position.entry_price, position.mark_price, position.leverage) == (
            Decimal(pushed["eP"]),
            Decimal(pushed["mP"]),
            Decimal(pushed["l"]),
        )
        assert (position.unrealised_pnl, position.realised_pnl) == (
            Decimal(pushed["uPL"]),
            Decimal(pushed["rPL"]),
        )
        assert position.liquidation_price == Decimal(pushed["lP"])
        assert (position.created_ns, position.updated_ns) == (pushed["O"], pushed["U"])
    assert positions["XBTUSDTM"].unrealised_pnl == Decimal("6")  # 4 * 0.001 * (61500 - 60000)
    assert positions["ETHUSDTM"].size == -7
    [only] = await rest.uta_positions(symbol="SOLUSDTM")
    assert only == positions["SOLUSDTM"]


async def test_order_detail_open_done_and_unknown(sim: Simulator, rest: KucoinRest) -> None:
    engine = engine_of(sim)
    resting = await rest.place_uta_order(
        "SPOT", "BTC-USDT", "buy", "limit", "0.1", price="50000", tags="grid"
    )
    order = await rest.uta_order("SPOT", "BTC-USDT", client_oid=resting.client_oid)
    assert order is not None and (order.order_id, order.status_code) == (resting.order_id, 2)
    assert (order.trade_type, order.tags, order.time_in_force) == ("SPOT", "grid", "GTC")
    engine.fill_spot_order(ACCOUNT, resting.order_id, "0.04")
    partly = await rest.uta_order("SPOT", "BTC-USDT", order_id=resting.order_id)
    assert partly is not None and (partly.status_code, partly.filled_size) == (4, Decimal("0.04"))
    await rest.cancel_uta_order("SPOT", "BTC-USDT", client_oid=resting.client_oid)
    done = await rest.uta_order("SPOT", "BTC-USDT", order_id=resting.order_id)
    assert done is not None and done.done
    assert (done.status_code, done.cancel_size, done.cancel_reason) == (
        6,
        Decimal("0.06"),
        "USER",
    )
    assert await rest.uta_order("SPOT", "BTC-USDT", order_id="f" * 24) is None
    assert await rest.uta_order("FUTURES", "XBTUSDTM", client_oid=resting.client_oid) is None
    with pytest.raises(ValueError, match="order_id or client_oid"):
        await rest.uta_order("SPOT", "BTC-USDT")


async def test_limit_order_round_trip(sim: Simulator, rest: KucoinRest) -> None:
    engine = engine_of(sim)
    placed = await rest.place_uta_order(
        "FUTURES", "XBTUSDTM", "sell", "limit", 3, price="65000", margin_mode="isolated"
    )
    assert placed.client_oid and engine._futures_open[placed.order_id].margin_mode == "ISOLATED"
    [order] = await rest.uta_open_orders("FUTURES")
    assert (order.order_id, order.client_oid, order.side, order.price) == (
        placed.order_id,
        placed.client_oid,
        "SELL",
        65000,
    )
    assert await rest.cancel_uta_order("FUTURES", "XBTUSDTM", order_id=placed.order_id) == (
        placed.order_id
    )
    assert await rest.uta_open_orders("FUTURES") == []
    with pytest.raises(RestError) as refused:  # a cancel of an order that is not open
        await rest.cancel_uta_order("FUTURES", "XBTUSDTM", order_id=placed.order_id)
    assert (refused.value.code, refused.value.msg) == ("400100", "order not exist")


async def test_marketable_orders_fill_before_the_answer(sim: Simulator, creds: Credentials) -> None:
    fills: dict[str, ProOrder] = {}
    already = 0
    runs = 20
    async with KucoinStreams(creds, endpoints=sim.endpoints) as streams:

        def on_order(order: ProOrder) -> None:
            if order.status_code == 3:
                fills[order.order_id] = order

        streams.pro_orders().subscribe(on_order)
        await streams.ready()
        for n in range(runs):
            if n % 2:  # a market order on the spot book
                args: tuple[Any, ...] = ("SPOT", "BTC-USDT", "buy", "market", "0.001")
                price = None
            else:  # a limit order crossing the mark: taker at the mark
                args = ("FUTURES", "XBTUSDTM", "buy", "limit", 1)
                price = "70000"
            placed = await streams.rest.place_uta_order(*args, price=price)
            already += placed.order_id in fills
            detail = await streams.rest.uta_order(args[0], args[1], order_id=placed.order_id)
            assert detail is not None and detail.status_code == 3
        async with asyncio.timeout(10):
            while len(fills) < runs:
                await asyncio.sleep(0.01)
    print(f"fills recorded before place_uta_order returned: {already} of {runs}")
    assert already > runs // 2  # the pushes race the answer, and usually win


async def test_bad_input_is_refused_with_the_reason(sim: Simulator, rest: KucoinRest) -> None:
    spot, futures = rest.place_uta_order, rest.place_uta_order
    cases: list[tuple[Callable[[], Awaitable[Any]], str, str]] = [
        (lambda: spot("SPOT", "NOPE-USDT", "buy", "limit", "1", price="1"), "400100", "symbol"),
        (lambda: spot("SPOT", "BTC-USDT", "left", "limit", "1", price="1"), "400100", "side"),
        (lambda: spot("SPOT", "BTC-USDT", "buy", "limit", "1"), "400100", "price"),
        (lambda: spot("SPOT", "BTC-USDT", "buy", "limit", "-1", price="1"), "400100", "size"),
        (lambda: spot("MARGIN", "BTC-USDT", "buy", "market", "1"), "400100", "MARGIN"),
        (
            lambda: spot("SPOT", "BTC-USDT", "buy", "limit", "1", price="1", client_oid="a b"),
            "400100",
            "clientOid",
        ),
        (
            lambda: futures("FUTURES", "XBTUSDTM", "buy", "market", "0.0015", size_unit="BASECCY"),
            "400100",
            "contracts",
        ),
        (lambda: spot("SPOT", "BTC-USDT", "buy", "market", "100"), "200004", "insufficient"),
        (lambda: futures("FUTURES", "XBTUSDTM", "buy", "market", 10**6), "330008", "margin"),
        (
            lambda: futures("FUTURES", "XBTUSDTM", "buy", "market", 1, reduce_only=True),
            "300009",
            "position",
        ),
        (
            lambda: rest.cancel_uta_order("SPOT", "BTC-USDT", order_id="0" * 24),
            "400100",
            "not exist",
        ),
        (lambda: rest.uta_open_orders("OPTIONS"), "400100", "tradeType"),
    ]
    for call, code, words in cases:
        with pytest.raises(RestError) as refused:
            await call()
        assert refused.value.code == code, refused.value
        assert words.lower() in refused.value.msg.lower(), refused.value
    placed = await spot("SPOT", "BTC-USDT", "buy", "limit", "1", price="1")
    with pytest.raises(RestError, match="clientOid"):
        await spot("SPOT", "BTC-USDT", "buy", "limit", "1", price="1", client_oid=placed.client_oid)
    with pytest.raises(ValueError, match="order_id or client_oid"):
        await rest.cancel_uta_order("SPOT", "BTC-USDT")
    assert engine_of(sim).check_invariants() == []


async def test_time_in_force_and_post_only(sim: Simulator, rest: KucoinRest) -> None:
    engine = engine_of(sim)
    ioc = await rest.place_uta_order(
        "SPOT", "BTC-USDT", "buy", "limit", "0.1", price="50000", time_in_force="IOC"
    )
    post = await rest.place_uta_order(
        "FUTURES", "XBTUSDTM", "buy", "limit", 1, price="70000", post_only=True
    )
    for kind, symbol, placed in (("SPOT", "BTC-USDT", ioc), ("FUTURES", "XBTUSDTM", post)):
        order = await rest.uta_order(kind, symbol, order_id=placed.order_id)
        assert order is not None and order.status_code == 5  # canceled, nothing filled
    funds = await rest.place_uta_order(
        "SPOT", "BTC-USDT", "buy", "market", "600", size_unit="QUOTECCY"
    )
    assert engine._spot_orders[funds.order_id].filled == Decimal("0.01")  # 600 at 60000


async def test_v1_paths_serve_the_same_orders(sim: Simulator, rest: KucoinRest) -> None:
    body = {
        "tradeType": "SPOT",
        "symbol": "ETH-USDT",
        "clientOid": "v1-order",
        "side": "SELL",
        "orderType": "LIMIT",
        "size": "2",
        "sizeUnit": "BASECCY",
        "price": "3500",
    }
    raw = await rest.request("POST", Market.SPOT, "/api/ua/v1/unified/order/place", body=body)
    ack = decode_answer(_UtaOrderAck, raw, "")
    assert ack.client_oid == "v1-order"
    query = "?tradeType=SPOT&pageNumber=1&pageSize=10"
    page = decode_answer(
        _UtaOrderPage,
        await rest.request("GET", Market.SPOT, "/api/ua/v1/unified/order/open-list" + query),
        "",
    )
    assert page.total_page == 1 and [o.order_id for o in page.items or ()] == [ack.order_id]
    detail = await rest.request(
        "GET",
        Market.SPOT,
        "/api/ua/v1/unified/order/detail?tradeType=SPOT&symbol=ETH-USDT&clientOid=v1-order",
    )
    assert decode_answer(UtaOrder, detail, "").order_id == ack.order_id
    assert [o.order_id for o in await rest.uta_open_orders()] == [ack.order_id]


@pytest.mark.filterwarnings("ignore::DeprecationWarning:kucoin_universal_sdk")
async def test_the_official_sdk_drives_the_uta_endpoints(
    sim: Simulator, creds: Credentials, monkeypatch: pytest.MonkeyPatch
) -> None:
    """KuCoin's own SDK (its generic UTA v2 routes), unmodified, against the simulator; the
    SDK blocks, so it runs in a worker thread while the simulator serves on this loop."""
    from kucoin_universal_sdk.api.client import DefaultClient
    from kucoin_universal_sdk.model.client_option import ClientOptionBuilder
    from kucoin_universal_sdk.model.transport_option import TransportOptionBuilder

    for name in ("NO_PROXY", "no_proxy"):  # loopback must never go through a proxy
        monkeypatch.setenv(name, "127.0.0.1,localhost,::1")
    endpoints = sim.endpoints
    option = (
        ClientOptionBuilder()
        .set_key(creds.api_key)
        .set_secret(creds.api_secret)
        .set_passphrase(creds.api_passphrase)
        .set_spot_endpoint(endpoints.spot_rest)
        .set_futures_endpoint(endpoints.futures_rest)
        .set_broker_endpoint(endpoints.spot_rest)
        .set_transport_option(TransportOptionBuilder().build())
        .build()
    )
    order = {"tradeType": "SPOT", "symbol": "KCS-USDT", "clientOid": "sdk-1"}
    limit = {"side": "BUY", "orderType": "LIMIT", "size": "2", "sizeUnit": "BASECCY", "price": "9"}

    def drive() -> dict[str, Any]:
        uta = DefaultClient(option).rest_service().get_uta_service()
        orders = uta.get_order_api()
        seen: dict[str, Any] = {"mode": uta.get_account_api().get_account_mode().data}
        seen["placed"] = orders.place_order({**order, **limit}).data
        seen["listed"] = orders.get_open_order_list({"tradeType": "SPOT"}).data
        seen["open"] = orders.get_order_details(order).data
        seen["canceled"] = orders.cancel_order(order).data
        seen["done"] = orders.get_order_details(order).data
        seen["positions"] = uta.get_positions_api().get_position_list().data
        return seen

    seen = await asyncio.to_thread(drive)
    assert seen["mode"]["selfAccountMode"] == "UNIFIED"
    order_id = seen["placed"]["orderId"]
    assert seen["placed"]["clientOid"] == "sdk-1"
    assert [o["orderId"] for o in seen["listed"]["items"]] == [order_id]
    assert (seen["open"]["status"], seen["open"]["price"]) == (2, "9")
    assert seen["canceled"]["orderId"] == order_id
    assert (seen["done"]["status"], seen["done"]["cancelSize"]) == (5, "2")
    assert [p["symbol"] for p in seen["positions"]] == []
