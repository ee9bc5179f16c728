"""Typed spot and margin REST: KuCoin's documented answers decode, and the simulator serves
every spot snapshot, order lookup and order entry in those shapes, true to its engine.

The documented answers are the ``data`` members of the examples of KuCoin's API docs as
KuCoin's official SDK (``kucoin_universal_sdk`` 1.3.2) carries them in its generated tests;
each constant names its file and test.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import msgspec
import pytest

from rxkucoin import Credentials, DecodeError, KucoinRest, KucoinStreams, Market, RestError
from rxkucoin._rest import Page, decode_answer
from rxkucoin.models import (
    CrossMarginAccount,
    IsolatedMarginAccounts,
    MarginDebtRatio,
    PlacedOrder,
    SpotAccount,
    SpotOrder,
    SpotOrderChange,
    SpotStopOrder,
)
from rxkucoin.sim import ClassicPush, Engine, Push, Simulator

ACCOUNT = "demo"
MS = 1_000_000

# -- KuCoin's documented answers ---------------------------------------------------------------

#: ``account/account/api_account_test.py``, ``test_get_spot_account_list_resp_model``.
DOC_ACCOUNTS = (
    b'[{"id":"548674591753","currency":"USDT","type":"trade","balance":"26.66759503",'
    b'"available":"26.66759503","holds":"0"},{"id":"63355cd156298d0001b66e61",'
    b'"currency":"USDT","type":"main","balance":"0.01","available":"0.01","holds":"0"}]'
)
#: ``spot/order/api_order_test.py``, ``test_get_open_orders_resp_model``.
DOC_OPEN_ORDERS = (
    b'[{"id":"67120bbef094e200070976f6","clientOid":"5c52e11203aa677f33e493fb",'
    b'"symbol":"BTC-USDT","opType":"DEAL","type":"limit","side":"buy","price":"50000",'
    b'"size":"0.00001","funds":"0.5","dealSize":"0","dealFunds":"0","fee":"0",'
    b'"feeCurrency":"USDT","stp":null,"timeInForce":"GTC","postOnly":false,"hidden":false,'
    b'"iceberg":false,"visibleSize":"0","cancelAfter":0,"channel":"API",'
    b'"remark":"order remarks","tags":"order tags","cancelExist":false,"tradeType":"TRADE",'
    b'"inOrderBook":true,"cancelledSize":"0","cancelledFunds":"0","remainSize":"0.00001",'
    b'"remainFunds":"0.5","tax":"0","active":true,"createdAt":1729235902748,'
    b'"lastUpdatedAt":1729235909862}]'
)
#: ``spot/order/api_order_test.py``, ``test_get_order_by_order_id_resp_model`` (and,
#: identical, ``test_get_order_by_client_oid_resp_model``).
DOC_ORDER = (
    b'{"id":"6717422bd51c29000775ea03","clientOid":"5c52e11203aa677f33e493fb",'
    b'"symbol":"BTC-USDT","opType":"DEAL","type":"limit","side":"buy","price":"70000",'
    b'"size":"0.00001","funds":"0.7","dealSize":"0.00001","dealFunds":"0.677176",'
    b'"remainSize":"0","remainFunds":"0.022824","cancelledSize":"0","cancelledFunds":"0",'
    b'"fee":"0.000677176","feeCurrency":"USDT","stp":null,"timeInForce":"GTC",'
    b'"postOnly":false,"hidden":false,"iceberg":false,"visibleSize":"0","cancelAfter":0,'
    b'"channel":"API","remark":"order remarks","tags":null,"cancelExist":false,'
    b'"tradeType":"TRADE","inOrderBook":false,"active":false,"tax":"0",'
    b'"createdAt":1729577515444,"lastUpdatedAt":1729577515481}'
)
#: ``spot/order/api_order_test.py``, ``test_get_symbols_with_open_order_resp_model``.
DOC_ACTIVE_SYMBOLS = b'{"symbols":["ETH-USDT","BTC-USDT"]}'
#: ``spot/order/api_order_test.py``, ``test_get_stop_orders_list_resp_model``.
DOC_STOP_ORDERS = (
    b'{"currentPage":1,"pageSize":50,"totalNum":2,"totalPage":1,"items":[{'
    b'"id":"vs93gptvr9t2fsql003l8k5p","symbol":"BTC-USDT","userId":"633559791e1cbc0001f319bc",'
    b'"status":"NEW","type":"limit","side":"buy","price":"50000.00000000000000000000",'
    b'"size":"0.00001000000000000000","funds":null,"stp":null,"timeInForce":"GTC",'
    b'"cancelAfter":-1,"postOnly":false,"hidden":false,"iceberg":false,"visibleSize":null,'
    b'"channel":"API","clientOid":"5c52e11203aa677f222233e493fb","remark":"order remarks",'
    b'"tags":null,"relatedNo":null,"orderTime":1740626554883000024,"domainId":"kucoin",'
    b'"tradeSource":"USER","tradeType":"TRADE","feeCurrency":"USDT",'
    b'"takerFeeRate":"0.00100000000000000000","makerFeeRate":"0.00100000000000000000",'
    b'"createdAt":1740626554884,"stop":"loss","stopTriggerTime":null,'
    b'"stopPrice":"60000.00000000000000000000","limitPrice":null,"pop":null,'
    b'"activateCondition":null}]}'
)
#: ``account/account/api_account_test.py``, ``test_get_cross_margin_account_resp_model``.
DOC_CROSS = (
    b'{"totalAssetOfQuoteCurrency":"40.8648372","totalLiabilityOfQuoteCurrency":"0",'
    b'"debtRatio":"0","status":"EFFECTIVE","accounts":[{"currency":"USDT",'
    b'"total":"38.68855864","available":"20.01916691","hold":"18.66939173","liability":"0",'
    b'"liabilityPrincipal":"0","liabilityInterest":"0","maxBorrowSize":"163",'
    b'"borrowEnabled":true,"transferInEnabled":true}]}'
)
#: ``account/account/api_account_test.py``, ``test_get_isolated_margin_account_resp_model``.
DOC_ISOLATED = (
    b'{"totalAssetOfQuoteCurrency":"4.97047372","totalLiabilityOfQuoteCurrency":"0.00038891",'
    b'"timestamp":1747303659773,"assets":[{"symbol":"BTC-USDT","status":"EFFECTIVE",'
    b'"debtRatio":"0","baseAsset":{"currency":"BTC","borrowEnabled":true,'
    b'"transferInEnabled":true,"liability":"0","liabilityPrincipal":"0",'
    b'"liabilityInterest":"0","total":"0","available":"0","hold":"0","maxBorrowSize":"0"},'
    b'"quoteAsset":{"currency":"USDT","borrowEnabled":true,"transferInEnabled":true,'
    b'"liability":"0.00038891","liabilityPrincipal":"0.00038888",'
    b'"liabilityInterest":"0.00000003","total":"4.97047372","available":"4.97047372",'
    b'"hold":"0","maxBorrowSize":"44"}}]}'
)
#: ``spot/order/api_order_test.py``, ``test_add_order_req_model`` and ``..._resp_model``.
DOC_ADD_ORDER_REQUEST = (
    '{"type":"limit","symbol":"BTC-USDT","side":"buy","price":"50000","size":"0.00001",'
    '"clientOid":"5c52e11203aa677f33e493fb","remark":"order remarks"}'
)
DOC_ADD_ORDER = b'{"orderId":"670fd33bf9406e0007ab3945","clientOid":"5c52e11203aa677f33e493fb"}'


# -- fixtures ----------------------------------------------------------------------------------


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(seed=7) as simulator:
        yield simulator


@pytest.fixture
def creds(sim: Simulator) -> Credentials:
    return sim.add_account(ACCOUNT, balances={"USDT": "100000", "BTC": "10"})


@pytest.fixture
async def rest(sim: Simulator, creds: Credentials) -> AsyncIterator[KucoinRest]:
    async with aiohttp.ClientSession() as http:
        yield KucoinRest(http, sim.endpoints, creds)


def pushes_of(engine: Engine) -> list[Push]:
    pushes: list[Push] = []
    engine.listen(pushes.append)
    return pushes


def order_pushes(pushes: list[Push], order_id: str) -> list[dict[str, Any]]:
    return [
        p.data
        for p in pushes
        if isinstance(p, ClassicPush)
        and p.topic == "/spotMarket/tradeOrdersV2"
        and p.data["orderId"] == order_id
    ]


def truth(sim: Simulator, order_id: str) -> Any:
    """The engine's own record of an order."""
    return sim.engine._spot_orders[order_id]


# -- documented answers decode -----------------------------------------------------------------


def test_documented_spot_accounts_decode() -> None:
    trade, main = decode_answer(list[SpotAccount], DOC_ACCOUNTS, "/api/v1/accounts")
    assert (trade.id, trade.currency, trade.type) == ("548674591753", "USDT", "trade")
    assert trade.balance == trade.available == Decimal("26.66759503")
    assert trade.holds == trade.hold == 0 and trade.total == trade.balance
    assert (main.id, main.type, main.balance) == (
        "63355cd156298d0001b66e61",
        "main",
        Decimal("0.01"),
    )


def test_documented_open_orders_decode() -> None:
    (order,) = decode_answer(list[SpotOrder], DOC_OPEN_ORDERS, "/api/v1/hf/orders/active")
    assert order.id == order.order_id == "67120bbef094e200070976f6"
    assert order.client_oid == "5c52e11203aa677f33e493fb"
    assert (order.symbol, order.type, order.order_type, order.side) == (
        "BTC-USDT",
        "limit",
        "limit",
        "buy",
    )
    assert (order.price, order.size, order.funds) == (
        Decimal("50000"),
        Decimal("0.00001"),
        Decimal("0.5"),
    )
    assert order.deal_size == order.filled_size == 0 and order.remain_size == Decimal("0.00001")
    assert order.stp is None and order.tags == "order tags" and order.tax == 0
    assert order.active is True and order.in_order_book is True and order.cancel_exist is False
    assert (order.created_at, order.last_updated_at) == (1729235902748, 1729235909862)


def test_documented_order_decodes() -> None:
    order = decode_answer(SpotOrder, DOC_ORDER, "/api/v1/hf/orders/6717422bd51c29000775ea03")
    assert order.id == "6717422bd51c29000775ea03" and order.price == Decimal("70000")
    assert order.deal_size == Decimal("0.00001") and order.deal_funds == Decimal("0.677176")
    assert order.remain_size == 0 and order.remain_funds == Decimal("0.022824")
    assert order.cancelled_size == order.canceled_size == 0
    assert order.fee == Decimal("0.000677176") and order.fee_currency == "USDT"
    assert order.active is False and order.in_order_book is False
    assert order.time_in_force == "GTC" and order.post_only is False
    assert order.tags is None and order.remark == "order remarks"
    assert order.last_updated_at == 1729577515481


def test_documented_stop_orders_decode() -> None:
    page = decode_answer(Page[SpotStopOrder], DOC_STOP_ORDERS, "/api/v1/stop-order")
    assert (page.current_page, page.page_size, page.total_num, page.total_page) == (1, 50, 2, 1)
    assert page.items is not None
    (stop,) = page.items
    assert stop.id == stop.order_id == "vs93gptvr9t2fsql003l8k5p"
    assert stop.price == stop.order_price == Decimal("50000")
    assert stop.stop_price == Decimal("60000") and stop.size == Decimal("0.00001")
    assert (stop.status, stop.stop, stop.trade_type, stop.cancel_after) == (
        "NEW",
        "loss",
        "TRADE",
        -1,
    )
    assert stop.order_time == 1740626554883000024 and stop.created_at == 1740626554884
    assert stop.funds is None and stop.stop_trigger_time is None
    assert stop.taker_fee_rate == Decimal("0.001")


def test_documented_margin_accounts_decode() -> None:
    cross = decode_answer(CrossMarginAccount, DOC_CROSS, "/api/v3/margin/accounts")
    assert cross.total_asset_of_quote_currency == Decimal("40.8648372")
    assert cross.debt_ratio == 0 and cross.status == "EFFECTIVE"
    usdt = cross.asset("USDT")
    assert usdt is not None and cross.asset("BTC") is None
    assert (usdt.total, usdt.available, usdt.hold) == (
        Decimal("38.68855864"),
        Decimal("20.01916691"),
        Decimal("18.66939173"),
    )
    assert usdt.max_borrow_size == 163 and usdt.borrow_enabled is True

    isolated = decode_answer(IsolatedMarginAccounts, DOC_ISOLATED, "/api/v3/isolated/accounts")
    assert isolated.timestamp == 1747303659773
    assert isolated.total_liability_of_quote_currency == Decimal("0.00038891")
    pair = isolated.pair("BTC-USDT")
    assert pair is not None and pair.status == "EFFECTIVE" and pair.debt_ratio == 0
    assert pair.base_asset is not None and pair.base_asset.currency == "BTC"
    assert pair.quote_asset is not None
    assert pair.quote_asset.liability_principal == Decimal("0.00038888")
    assert pair.quote_asset.liability_interest == Decimal("0.00000003")


def test_documented_order_entry_answers_decode() -> None:
    placed = decode_answer(PlacedOrder, DOC_ADD_ORDER, "/api/v1/hf/orders")
    assert placed == PlacedOrder(
        order_id="670fd33bf9406e0007ab3945", client_oid="5c52e11203aa677f33e493fb"
    )


def test_a_model_refuses_an_answer_without_its_identity() -> None:
    with pytest.raises(DecodeError) as caught:
        decode_answer(list[SpotOrder], b'[{"symbol":"BTC-USDT"}]', "/api/v1/hf/orders/active")
    assert caught.value.path is not None and "[0]" in caught.value.path


# -- the simulator's answers, through the typed methods ----------------------------------------


async def test_spot_accounts_match_the_engine_and_the_pushes(
    sim: Simulator, rest: KucoinRest
) -> None:
    pushes = pushes_of(sim.engine)
    sim.engine.place_spot_order(ACCOUNT, "BTC-USDT", "buy", "limit", "0.1", "50000")
    sim.engine.place_spot_order(ACCOUNT, "ETH-USDT", "buy", "market", "2")  # ETH appears
    accounts = await rest.spot_accounts()
    assert {a.type for a in accounts} == {"trade"}
    by_currency = {a.currency: a for a in accounts}
    engine = sim.engine._acct(ACCOUNT).spot
    assert set(by_currency) == set(engine)
    for currency, balance in engine.items():
        got = by_currency[currency]
        assert (got.balance, got.available, got.holds) == (
            balance.total,
            balance.available,
            balance.hold,
        )
    assert by_currency["USDT"].holds == Decimal("5005")
    # each currency's account has its own id, the balance pushes' accountId
    assert len({a.id for a in accounts}) == len(accounts)
    balance_pushes = [
        p for p in pushes if isinstance(p, ClassicPush) and p.subject == "account.balance"
    ]
    assert balance_pushes
    for push in balance_pushes:
        assert push.data["accountId"] == by_currency[push.data["currency"]].id
    (usdt,) = await rest.spot_accounts(currency="USDT")
    assert usdt == by_currency["USDT"]
    assert await rest.spot_accounts(type="main") == []


async def test_open_orders_of_one_symbol_and_of_all(sim: Simulator, rest: KucoinRest) -> None:
    ids = [
        sim.engine.place_spot_order(ACCOUNT, symbol, "buy", "limit", "0.01", price)
        for symbol, price in (("BTC-USDT", "50000"), ("ETH-USDT", "2000"), ("BTC-USDT", "51000"))
    ]
    sim.engine.fill_spot_order(ACCOUNT, ids[2], "0.004")
    btc = await rest.spot_open_orders("BTC-USDT")
    assert sorted(o.id for o in btc) == sorted((ids[0], ids[2]))
    every = await rest.spot_open_orders()
    assert sorted(o.id for o in every) == sorted(ids)
    for order in every:
        engine = truth(sim, order.id)
        assert order.symbol == engine.symbol and order.client_oid == engine.client_oid
        assert order.price == engine.price and order.size == engine.size
        assert order.deal_size == engine.filled and order.deal_funds == engine.funds
        assert order.remain_size == engine.remain and order.fee == engine.fee
        assert order.funds == engine.price * engine.size
        assert order.active is order.in_order_book is True
        assert order.created_at == engine.created_ns // MS
        assert order.last_updated_at == engine.updated_ns // MS
    partial = next(o for o in every if o.id == ids[2])
    assert partial.deal_size == Decimal("0.004") and partial.remain_size == Decimal("0.006")
    sim.engine.cancel_spot_order(ACCOUNT, ids[1])
    assert [o.symbol for o in await rest.spot_open_orders()] == ["BTC-USDT", "BTC-USDT"]
    assert await rest.spot_open_orders("ETH-USDT") == []


async def test_last_updated_at_is_the_last_push_moment(sim: Simulator, rest: KucoinRest) -> None:
    pushes = pushes_of(sim.engine)
    order_id = sim.engine.place_spot_order(ACCOUNT, "BTC-USDT", "sell", "limit", "1", "65000")
    sim.engine.fill_spot_order(ACCOUNT, order_id, "0.25")
    sim.engine.amend_spot_order(ACCOUNT, order_id, "0.5")
    (order,) = await rest.spot_open_orders("BTC-USDT")
    last = order_pushes(pushes, order_id)[-1]
    assert last["type"] == "update"
    assert order.last_updated_at == last["ts"] // MS


async def test_one_order_open_then_done_then_unknown(sim: Simulator, rest: KucoinRest) -> None:
    order_id = sim.engine.place_spot_order(
        ACCOUNT, "BTC-USDT", "buy", "limit", "0.01", "50000", client_oid="mine-1"
    )
    by_id = await rest.spot_order("BTC-USDT", order_id=order_id)
    by_client = await rest.spot_order("BTC-USDT", client_oid="mine-1")
    assert by_id is not None and by_id == by_client
    assert by_id.active is True and by_id.client_oid == "mine-1"
    sim.engine.fill_spot_order(ACCOUNT, order_id, price="49000")
    done = await rest.spot_order("BTC-USDT", order_id=order_id)
    assert done is not None and done.active is False and done.in_order_book is False
    assert done.deal_size == Decimal("0.01") and done.deal_funds == Decimal("490")
    assert done.remain_funds == Decimal("10")  # the limit's funds the better fill left over
    assert done.cancel_exist is False
    assert await rest.spot_order("BTC-USDT", order_id="0" * 24) is None
    assert await rest.spot_order("ETH-USDT", order_id=order_id) is None  # another symbol
    assert await rest.spot_order("BTC-USDT", client_oid="nobody") is None
    with pytest.raises(ValueError, match="exactly one"):
        await rest.spot_order("BTC-USDT")
    with pytest.raises(ValueError, match="exactly one"):
        await rest.spot_order("BTC-USDT", order_id=order_id, client_oid="mine-1")


async def test_stop_orders_every_page(sim: Simulator, rest: KucoinRest) -> None:
    ids = {
        sim.engine.place_spot_stop_order(
            ACCOUNT,
            "ETH-USDT" if i % 3 == 0 else "BTC-USDT",
            "sell",
            "0.1",
            "2000" if i % 3 == 0 else "50000",
            price=None if i % 2 else "1900",
        )
        for i in range(25)
    }
    stops = await rest.spot_stop_orders(page_size=10)  # three pages
    assert len(stops) == 25 and {s.id for s in stops} == ids
    eth = await rest.spot_stop_orders("ETH-USDT", page_size=10)
    assert {s.symbol for s in eth} == {"ETH-USDT"} and len(eth) == 9
    for stop in stops:
        engine = sim.engine._stops[stop.id]
        assert stop.stop_price == engine.stop_price and stop.size == engine.size
        assert stop.stop == "loss" and stop.status == "NEW"
        assert stop.type == ("market" if engine.price is None else "limit")
        assert stop.order_time == engine.created_ns and stop.created_at == engine.created_ns // MS
    assert await rest.spot_stop_orders(trade_type="MARGIN_TRADE", page_size=10) == []
    with pytest.raises(RestError) as caught:
        await rest.spot_stop_orders(page_size=5)
    assert caught.value.code == "400100" and "pageSize" in caught.value.msg


async def test_cross_margin_account_matches_the_debt_ratio_push(
    sim: Simulator, rest: KucoinRest
) -> None:
    pushes = pushes_of(sim.engine)
    sim.engine.place_spot_order(ACCOUNT, "BTC-USDT", "buy", "limit", "0.1", "50000")
    sim.engine.set_cross_margin_debt(ACCOUNT, {"USDT": "20000", "ETH": "2"})
    push = next(
        p for p in reversed(pushes) if isinstance(p, ClassicPush) and p.subject == "debt.ratio"
    )
    ratio = decode_answer(MarginDebtRatio, msgspec.json.encode(push.data), "push")
    cross = await rest.margin_cross_account()
    assert cross.status == "EFFECTIVE"
    assert cross.debt_ratio == Decimal(str(ratio.debt_ratio))
    assert cross.total_liability_of_quote_currency == ratio.total_debt == Decimal("26000")
    assert cross.total_asset_of_quote_currency == ratio.margin_coefficient_total_asset
    assert [a.currency for a in cross.accounts] == ["BTC", "ETH", "USDT"]
    for asset in cross.accounts:
        pushed = ratio.asset_list.get(asset.currency)
        if pushed is not None:
            assert (asset.total, asset.available, asset.hold) == (
                pushed.total,
                pushed.available,
                pushed.hold,
            )
        assert asset.liability == ratio.debt_list.get(asset.currency, 0)
    eth = cross.asset("ETH")
    assert eth is not None and eth.total == 0 and eth.liability == 2
    in_btc = await rest.margin_cross_account(quote_currency="BTC", query_type="ALL")
    assert in_btc.total_liability_of_quote_currency == (Decimal(26000) / 60000).quantize(
        Decimal("0.00000001")
    )
    with pytest.raises(RestError) as caught:
        await rest.margin_cross_account(quote_currency="EUR")
    assert caught.value.code == "400100" and "quoteCurrency" in caught.value.msg


async def test_isolated_margin_accounts_follow_the_engine(sim: Simulator, rest: KucoinRest) -> None:
    assert (await rest.margin_isolated_accounts()).assets == []
    sim.engine.set_isolated_margin(
        ACCOUNT, "BTC-USDT", "IN_BORROW", liabilities={"USDT": "1200", "BTC": "0.01"}
    )
    sim.engine.set_isolated_margin(ACCOUNT, "ETH-USDT", "DEBT", liabilities={"USDT": "30"})
    every = await rest.margin_isolated_accounts()
    assert [a.symbol for a in every.assets] == ["BTC-USDT", "ETH-USDT"]
    btc = every.pair("BTC-USDT")
    assert btc is not None and btc.status == "BORROW"
    assert btc.base_asset is not None and btc.quote_asset is not None
    assert (btc.base_asset.currency, btc.base_asset.total, btc.base_asset.liability) == (
        "BTC",
        Decimal("10"),
        Decimal("0.01"),
    )
    assert btc.quote_asset.liability == Decimal("1200") and btc.quote_asset.total == 100000
    # (0.01 * 60000 + 1200) / (10 * 60000 + 100000), to four places
    assert btc.debt_ratio == Decimal("0.0026")
    eth = every.pair("ETH-USDT")
    assert eth is not None and eth.status == "EFFECTIVE"
    assert every.total_liability_of_quote_currency == Decimal("1830")
    assert every.timestamp is not None and every.timestamp > 1_700_000_000_000
    (only,) = (await rest.margin_isolated_accounts("ETH-USDT", query_type="ISOLATED_V2")).assets
    assert only.symbol == "ETH-USDT"
    with pytest.raises(RestError) as caught:
        await rest.margin_isolated_accounts(query_type="MARGIN")
    assert caught.value.code == "400100" and "queryType" in caught.value.msg


# -- order entry ---------------------------------------------------------------------------


async def test_limit_order_round_trip(sim: Simulator, rest: KucoinRest) -> None:
    pushes = pushes_of(sim.engine)
    placed = await rest.place_spot_order(
        "BTC-USDT", "buy", "limit", size=Decimal("0.02"), price="55000.5", post_only=True
    )
    assert placed.client_oid is not None and len(placed.client_oid) == 32  # generated
    assert [p["type"] for p in order_pushes(pushes, placed.order_id)] == ["received", "open"]
    (order,) = await rest.spot_open_orders("BTC-USDT")
    assert order.id == placed.order_id and order.client_oid == placed.client_oid
    assert order.price == Decimal("55000.5") and order.size == Decimal("0.02")
    assert order.post_only is True and order.time_in_force == "GTC"
    assert sim.engine._acct(ACCOUNT).spot["USDT"].hold == Decimal("0.02") * Decimal(
        "55000.5"
    ) * Decimal("1.001")
    echoed = await rest.cancel_spot_order("BTC-USDT", order_id=placed.order_id)
    assert echoed == placed.order_id
    assert order_pushes(pushes, placed.order_id)[-1]["type"] == "canceled"
    assert await rest.spot_open_orders("BTC-USDT") == []
    gone = await rest.spot_order("BTC-USDT", order_id=placed.order_id)
    assert gone is not None and gone.active is False and gone.cancel_exist is True
    assert gone.cancelled_size == Decimal("0.02")
    assert sim.engine._acct(ACCOUNT).spot["USDT"].hold == 0
    with pytest.raises(RestError) as caught:  # cancelled already
        await rest.cancel_spot_order("BTC-USDT", order_id=placed.order_id)
    assert (caught.value.code, caught.value.msg) == (
        "400100",
        "order_not_exist_or_not_allow_to_cancel",
    )


async def test_cancel_by_client_oid_echoes_it(sim: Simulator, rest: KucoinRest) -> None:
    placed = await rest.place_spot_order(
        "BTC-USDT", "sell", "limit", size="1.5", price="65000", client_oid="my_order-7"
    )
    assert placed.client_oid == "my_order-7"
    assert await rest.cancel_spot_order("BTC-USDT", client_oid="my_order-7") == "my_order-7"
    assert truth(sim, placed.order_id).done is True
    with pytest.raises(RestError):
        await rest.cancel_spot_order("BTC-USDT", client_oid="my_order-7")
    with pytest.raises(ValueError, match="exactly one"):
        await rest.cancel_spot_order("BTC-USDT")


async def test_marketable_orders_fill_before_the_answer(sim: Simulator, rest: KucoinRest) -> None:
    pushes = pushes_of(sim.engine)
    market = await rest.place_spot_order("BTC-USDT", "buy", "market", size="0.5")
    crossing = await rest.place_spot_order("BTC-USDT", "sell", "limit", size="1", price="59000")
    by_funds = await rest.place_spot_order("ETH-USDT", "buy", "market", funds="3003")
    for placed in (market, crossing, by_funds):
        # everything happened before the answer: no "open", the fill at the last price
        kinds = [p["type"] for p in order_pushes(pushes, placed.order_id)]
        assert kinds == ["received", "match", "filled"], kinds
        order = await rest.spot_order(truth(sim, placed.order_id).symbol, order_id=placed.order_id)
        assert order is not None and order.active is False and order.cancel_exist is False
    sold = truth(sim, crossing.order_id)
    assert sold.last_price == Decimal("60000") and sold.liquidity == "taker"
    # 3003 USDT buys 3003 / (3000 * 1.001) ETH, fee included
    assert truth(sim, by_funds.order_id).filled == Decimal("1")
    assert sim.engine._acct(ACCOUNT).spot["ETH"].total == Decimal("1")
    assert sim.engine.check_invariants() == []


async def test_time_in_force_and_post_only(sim: Simulator, rest: KucoinRest) -> None:
    pushes = pushes_of(sim.engine)
    ioc = await rest.place_spot_order(
        "BTC-USDT", "buy", "limit", size="0.1", price="50000", time_in_force="IOC"
    )
    fok = await rest.place_spot_order(
        "BTC-USDT", "buy", "limit", size="0.1", price="61000", time_in_force="FOK"
    )
    maker = await rest.place_spot_order(
        "BTC-USDT", "buy", "limit", size="0.1", price="61000", post_only=True
    )
    assert [p["type"] for p in order_pushes(pushes, ioc.order_id)] == ["received", "canceled"]
    assert [p["type"] for p in order_pushes(pushes, fok.order_id)][-1] == "filled"
    assert [p["type"] for p in order_pushes(pushes, maker.order_id)] == ["received", "canceled"]
    order = await rest.spot_order("BTC-USDT", order_id=ioc.order_id)
    assert (
        order is not None
        and order.time_in_force == "IOC"
        and order.cancelled_size == Decimal("0.1")
    )
    assert sim.engine._acct(ACCOUNT).spot["USDT"].hold == 0


@pytest.mark.parametrize(
    ("kwargs", "code", "words"),
    [
        ({"type": "limit", "size": "1"}, "400100", "price"),
        ({"type": "limit", "price": "1", "size": "-1"}, "400100", "size"),
        ({"type": "market"}, "400100", "size and funds"),
        ({"type": "limit", "price": "50000", "size": "100"}, "200004", "Balance insufficient"),
        ({"type": "market", "size": "11", "side": "sell"}, "200004", "Balance insufficient"),
        ({"type": "stop", "size": "1"}, "400100", "type"),
        ({"type": "limit", "price": "1", "size": "1", "side": "short"}, "400100", "side"),
        ({"type": "limit", "price": "1", "size": "1", "symbol": "DOGE-USDT"}, "400100", "pair"),
        ({"type": "limit", "price": "1", "size": "1", "client_oid": "a b"}, "400100", "clientOid"),
        ({"type": "limit", "price": "1", "size": "1", "time_in_force": "GTD"}, "400100", "timeIn"),
        ({"type": "limit", "price": "1", "size": "1", "time_in_force": "GTT"}, "400100", "GTT"),
    ],
)
async def test_bad_orders_get_kucoin_codes(
    sim: Simulator, rest: KucoinRest, kwargs: dict[str, Any], code: str, words: str
) -> None:
    args = {"symbol": "BTC-USDT", "side": "buy", **kwargs}
    symbol, side, type_ = args.pop("symbol"), args.pop("side"), args.pop("type")
    with pytest.raises(RestError) as caught:
        await rest.place_spot_order(symbol, side, type_, **args)
    assert caught.value.code == code and words in caught.value.msg, caught.value
    assert sim.engine._spot_orders == {}  # nothing was placed


async def test_duplicate_client_oid_and_bad_amounts(sim: Simulator, rest: KucoinRest) -> None:
    await rest.place_spot_order("BTC-USDT", "buy", "limit", size="0.1", price="1", client_oid="x")
    with pytest.raises(RestError) as caught:
        await rest.place_spot_order(
            "BTC-USDT", "buy", "limit", size="0.1", price="1", client_oid="x"
        )
    assert caught.value.code == "400100" and "clientOid" in caught.value.msg
    with pytest.raises(ValueError, match="price"):
        await rest.place_spot_order("BTC-USDT", "buy", "limit", size="1", price="lots")
    with pytest.raises(ValueError, match="size"):
        await rest.place_spot_order("BTC-USDT", "buy", "limit", size=Decimal("NaN"), price="1")


async def test_documented_request_is_accepted(sim: Simulator, creds: Credentials) -> None:
    path = "/api/v1/hf/orders"
    headers = {
        "Content-Type": "application/json",
        **creds.headers("POST", path, DOC_ADD_ORDER_REQUEST),
    }
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            sim.endpoints.spot_rest + path, data=DOC_ADD_ORDER_REQUEST, headers=headers
        ) as answer,
    ):
        body = await answer.json()
    assert answer.status == 200 and body["code"] == "200000"
    assert body["data"]["clientOid"] == "5c52e11203aa677f33e493fb"
    order = truth(sim, body["data"]["orderId"])
    assert (order.symbol, order.side, order.price, order.size) == (
        "BTC-USDT",
        "buy",
        Decimal("50000"),
        Decimal("0.00001"),
    )


async def test_missing_symbol_and_unknown_order_answers(rest: KucoinRest) -> None:
    with pytest.raises(RestError) as caught:
        await rest.get_json(Market.SPOT, "/api/v1/hf/orders/abc")
    assert (caught.value.code, caught.value.status) == ("400100", 400)
    assert "symbol" in caught.value.msg
    with pytest.raises(RestError) as caught:
        await rest.get_json(Market.SPOT, "/api/v1/hf/orders/abc", {"symbol": "BTC-USDT"})
    assert (caught.value.code, caught.value.msg) == ("400100", "order not exist.")
    assert await rest.get_json(Market.SPOT, "/api/v1/hf/orders/active/symbols") == {"symbols": []}


async def test_a_fill_is_pushed_no_later_than_the_answer(
    sim: Simulator, creds: Credentials
) -> None:
    """The filled push reaches a real subscriber, usually before ``place`` returns."""
    runs, early = 20, 0
    async with KucoinStreams(creds, endpoints=sim.endpoints) as streams:
        seen: dict[str, list[str]] = {}

        def record(change: SpotOrderChange) -> None:
            seen.setdefault(change.order_id, []).append(change.type)

        streams.spot_orders().subscribe(record)
        await streams.ready()
        placed: list[PlacedOrder] = []
        for i in range(runs):
            side = "buy" if i % 2 == 0 else "sell"
            order = await streams.rest.place_spot_order("BTC-USDT", side, "market", size="0.01")
            early += "filled" in seen.get(order.order_id, [])
            placed.append(order)
        async with asyncio.timeout(10):
            while not all("filled" in seen.get(p.order_id, []) for p in placed):
                await asyncio.sleep(0.01)
    print(f"filled push recorded before the REST answer returned: {early}/{runs}")
    assert early > 0
    for order in placed:
        assert seen[order.order_id] == ["received", "match", "filled"]
