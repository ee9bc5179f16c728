"""Typed futures REST: KuCoin's documented answers decode, and the simulator serves every
futures snapshot, lookup and order entry in those shapes, true to its engine.

The documented answers are the examples of KuCoin's API docs as KuCoin's official SDK
(``kucoin_universal_sdk`` 1.3.2) carries them in its generated tests; each names its file.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any

import aiohttp
import msgspec
import pytest

from rxkucoin import Credentials, KucoinRest, KucoinStreams, Market, RestError
from rxkucoin._rest import Page, decode_answer
from rxkucoin._rest_futures import FUTURES_PAGE_SIZE, _Cancelled, _Placed
from rxkucoin.models import (
    FuturesAccountOverview,
    FuturesOrder,
    FuturesOrderChange,
    FuturesPosition,
)
from rxkucoin.sim import ClassicPush, Engine, Push, Simulator

ACCOUNT = "demo"


# -- fixtures ----------------------------------------------------------------------------------


class Clock:
    """The engine's clock, moved by hand (ns)."""

    def __init__(self) -> None:
        self.ns = 1_760_000_000_000_000_000

    def __call__(self) -> int:
        return self.ns

    def advance(self, ms: int) -> None:
        self.ns += ms * 1_000_000


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(seed=11) as simulator:
        yield simulator


@pytest.fixture
def creds(sim: Simulator) -> Credentials:
    return sim.add_account(ACCOUNT, balances={"USDT": "1000"}, futures_balance="50000")


@pytest.fixture
async def rest(sim: Simulator, creds: Credentials) -> AsyncIterator[KucoinRest]:
    async with aiohttp.ClientSession() as http:
        yield KucoinRest(http, sim.endpoints, creds)


class _Envelope(msgspec.Struct):
    data: msgspec.Raw


def data_of(answer: str) -> bytes:
    """The ``data`` member of a documented answer, byte for byte."""
    return bytes(msgspec.json.decode(answer, type=_Envelope).data)


def pushes_of(engine: Engine) -> list[Push]:
    pushes: list[Push] = []
    engine.listen(pushes.append)
    return pushes


def order_pushes(pushes: list[Push], order_id: str) -> list[dict[str, Any]]:
    return [
        p.data
        for p in pushes
        if isinstance(p, ClassicPush)
        and p.topic == "/contractMarket/tradeOrders"
        and p.data["orderId"] == order_id
    ]


# -- KuCoin's documented answers ---------------------------------------------------------------

# account/account/api_account_test.py, test_get_futures_account_resp_model
ACCOUNT_OVERVIEW = """{"code": "200000", "data": {"accountEquity": 394.439280806,
 "unrealisedPNL": 20.15278, "marginBalance": 371.394298816, "positionMargin": 102.20664159,
 "orderMargin": 10.06002012, "frozenFunds": 0.0, "availableBalance": 290.326799096,
 "currency": "USDT", "riskRatio": 0.0065289525, "maxWithdrawAmount": 290.326419096}}"""

# futures/positions/api_positions_test.py, test_get_position_list_resp_model
POSITION_LIST = """{"code": "200000", "data": [{"id": "500000000001046430", "symbol": "ETHUSDM",
 "crossMode": true, "delevPercentage": 0.71, "openingTimestamp": 1730635780702,
 "currentTimestamp": 1730636040926, "currentQty": 1, "currentCost": -4.069805E-4,
 "currentComm": 2.441E-7, "unrealisedCost": -4.069805E-4, "realisedGrossCost": 0.0,
 "realisedCost": 2.441E-7, "isOpen": true, "markPrice": 2454.12, "markValue": -4.07478E-4,
 "posCost": -4.069805E-4, "posInit": 4.06981E-5, "posMargin": 4.07478E-5,
 "realisedGrossPnl": 0.0, "realisedPnl": -2.441E-7, "unrealisedPnl": -4.975E-7,
 "unrealisedPnlPcnt": -0.0012, "unrealisedRoePcnt": -0.0122, "avgEntryPrice": 2457.12,
 "liquidationPrice": 1429.96, "bankruptPrice": 1414.96, "settleCurrency": "ETH",
 "isInverse": true, "marginMode": "CROSS", "positionSide": "BOTH", "leverage": 10},
 {"id": "500000000000988255", "symbol": "XBTUSDTM", "autoDeposit": true, "crossMode": false,
 "maintMarginReq": 0.005, "riskLimit": 500000, "realLeverage": 2.97, "delevPercentage": 0.5,
 "openingTimestamp": 1729155616322, "currentTimestamp": 1730636040926, "currentQty": 1,
 "currentCost": 67.4309, "currentComm": -0.15936162, "unrealisedCost": 67.4309,
 "realisedGrossCost": 0.0, "realisedCost": -0.15936162, "isOpen": true,
 "markPrice": 68323.06, "markValue": 68.32306, "posCost": 67.4309, "posCross": 0.06225152,
 "posCrossMargin": 0, "posInit": 22.2769666644, "posComm": 0.0539821899,
 "posCommCommon": 0.0539447199, "posLoss": 0.26210915, "posMargin": 22.1310912243,
 "posFunding": -0.19982016, "posMaint": 0.4046228699, "maintMargin": 23.0232512243,
 "realisedGrossPnl": 0.0, "realisedPnl": -0.2402787, "unrealisedPnl": 0.89216,
 "unrealisedPnlPcnt": 0.0132, "unrealisedRoePcnt": 0.04, "avgEntryPrice": 67430.9,
 "liquidationPrice": 45704.44, "bankruptPrice": 45353.8, "settleCurrency": "USDT",
 "isInverse": false, "maintainMargin": 0.005, "marginMode": "ISOLATED",
 "positionSide": "BOTH", "leverage": 2.97}]}"""

# futures/positions/api_positions_test.py, test_get_position_details_resp_model
POSITION_DETAILS = """{"code": "200000", "data": {"id": "500000000000988255",
 "symbol": "XBTUSDTM", "autoDeposit": false, "crossMode": false, "maintMarginReq": 0.005,
 "riskLimit": 500000, "realLeverage": 2.88, "delevPercentage": 0.18,
 "openingTimestamp": 1729155616322, "currentTimestamp": 1729482542135, "currentQty": 1,
 "currentCost": 67.4309, "currentComm": 0.01925174, "unrealisedCost": 67.4309,
 "realisedGrossCost": 0.0, "realisedCost": 0.01925174, "isOpen": true, "markPrice": 68900.7,
 "markValue": 68.9007, "posCost": 67.4309, "posCross": 0.01645214, "posCrossMargin": 0,
 "posInit": 22.4769666644, "posComm": 0.0539546299, "posCommCommon": 0.0539447199,
 "posLoss": 0.03766885, "posMargin": 22.5097045843, "posFunding": -0.0212068,
 "posMaint": 0.3931320569, "maintMargin": 23.9795045843, "realisedGrossPnl": 0.0,
 "realisedPnl": -0.06166534, "unrealisedPnl": 1.4698, "unrealisedPnlPcnt": 0.0218,
 "unrealisedRoePcnt": 0.0654, "avgEntryPrice": 67430.9, "liquidationPrice": 45314.33,
 "bankruptPrice": 44975.16, "settleCurrency": "USDT", "maintainMargin": 0.005,
 "riskLimitLevel": 2, "marginMode": "ISOLATED", "positionSide": "BOTH", "leverage": 2.88}}"""

# A contract without a position: KuCoin's answer of 2023 quoted in ccxt's
# kucoinfutures.fetch_position (python/ccxt/kucoinfutures.py).
POSITION_NONE = """{"code": "200000", "data": {"id": "6505ee6eaff4070001f651c4",
 "symbol": "XBTUSDTM", "autoDeposit": false, "maintMarginReq": 0, "riskLimit": 200,
 "realLeverage": 0.0, "crossMode": false, "delevPercentage": 0.0,
 "currentTimestamp": 1694887534594, "currentQty": 0, "currentCost": 0.0, "currentComm": 0.0,
 "unrealisedCost": 0.0, "realisedGrossCost": 0.0, "realisedCost": 0.0, "isOpen": false,
 "markPrice": 26611.71, "markValue": 0.0, "posCost": 0.0, "posCross": 0, "posInit": 0.0,
 "posComm": 0.0, "posLoss": 0.0, "posMargin": 0.0, "posMaint": 0.0, "maintMargin": 0.0,
 "realisedGrossPnl": 0.0, "realisedPnl": 0.0, "unrealisedPnl": 0.0, "unrealisedPnlPcnt": 0,
 "unrealisedRoePcnt": 0, "avgEntryPrice": 0.0, "liquidationPrice": 0.0, "bankruptPrice": 0.0,
 "settleCurrency": "USDT", "maintainMargin": 0, "riskLimitLevel": 1}}"""

_ORDER_ITEM = """{"id": "230181737576050688", "symbol": "PEOPLEUSDTM", "type": "limit",
 "side": "buy", "price": "0.05", "size": 10, "value": "5", "dealValue": "0", "dealSize": 0,
 "stp": "", "stop": "", "stopPriceType": "", "stopTriggered": false, "stopPrice": null,
 "timeInForce": "GTC", "postOnly": false, "hidden": false, "iceberg": false, "leverage": "1",
 "forceHold": false, "closeOrder": false, "visibleSize": 0,
 "clientOid": "5a80bd847f1811ef8a7faa665a37b3d7", "remark": null, "tags": "",
 "isActive": true, "cancelExist": false, "createdAt": 1727692804813,
 "updatedAt": 1727692804813, "endAt": null, "orderTime": 1727692804808418000,
 "settleCurrency": "USDT", "marginMode": "ISOLATED", "avgDealPrice": "0", "filledSize": 0,
 "filledValue": "0", "status": "open", "reduceOnly": false}"""
# futures/order/api_order_test.py, test_get_order_list_resp_model and
# test_get_stop_order_list_resp_model (the docs give the same example for both)
ORDER_LIST = (
    '{"code": "200000", "data": {"currentPage": 1, "pageSize": 50, "totalNum": 1, '
    f'"totalPage": 1, "items": [{_ORDER_ITEM}]}}}}'
)

# futures/order/api_order_test.py, test_get_order_by_order_id_resp_model
ORDER_BY_ID = """{"code": "200000", "data": {"id": "236655147005071361", "symbol": "XBTUSDTM",
 "type": "limit", "side": "buy", "price": "0.1", "size": 1, "value": "0.0001",
 "dealValue": "0", "dealSize": 0, "stp": "", "stop": "", "stopPriceType": "",
 "stopTriggered": false, "stopPrice": null, "timeInForce": "GTC", "postOnly": false,
 "hidden": false, "iceberg": false, "leverage": "3", "forceHold": false, "closeOrder": false,
 "visibleSize": 0, "clientOid": "5c52e11203aa677f33e493fb", "remark": null, "tags": "",
 "isActive": true, "cancelExist": false, "createdAt": 1729236185949,
 "updatedAt": 1729236185949, "endAt": null, "orderTime": 1729236185885647952,
 "settleCurrency": "USDT", "marginMode": "ISOLATED", "avgDealPrice": "0", "filledSize": 0,
 "filledValue": "0", "status": "open", "reduceOnly": false}}"""

# futures/order/api_order_test.py, test_get_order_by_client_oid_resp_model
ORDER_BY_CLIENT_OID = """{"code": "200000", "data": {"id": "250444645610336256",
 "symbol": "XRPUSDTM", "type": "limit", "side": "buy", "price": "0.1", "size": 1, "value": "1",
 "dealValue": "0", "dealSize": 0, "stp": "", "stop": "", "stopPriceType": "",
 "stopTriggered": false, "stopPrice": null, "timeInForce": "GTC", "postOnly": false,
 "hidden": false, "iceberg": false, "leverage": "3", "forceHold": false, "closeOrder": false,
 "visibleSize": 0, "clientOid": "5c52e11203aa677f33e493fb", "remark": null, "tags": "",
 "isActive": true, "cancelExist": false, "createdAt": 1732523858568,
 "updatedAt": 1732523858568, "endAt": null, "orderTime": 1732523858550892322,
 "settleCurrency": "USDT", "marginMode": "ISOLATED", "avgDealPrice": "0", "filledSize": 0,
 "filledValue": "0", "status": "open", "reduceOnly": false}}"""

# futures/order/api_order_test.py: test_add_order_resp_model,
# test_cancel_order_by_id_resp_model, test_cancel_order_by_client_oid_resp_model
ADD_ORDER = """{"code": "200000", "data": {"orderId": "234125150956625920",
 "clientOid": "5c52e11203aa677f33e493fb"}}"""
CANCEL_BY_ID = """{"code": "200000", "data": {"cancelledOrderIds": ["235303670076489728"]}}"""
CANCEL_BY_CLIENT_OID = """{"code": "200000",
 "data": {"clientOid": "017485b0-2957-4681-8a14-5d46b35aee0d"}}"""


def test_documented_account_overview() -> None:
    overview = decode_answer(FuturesAccountOverview, data_of(ACCOUNT_OVERVIEW), "/overview")
    assert overview.currency == "USDT"
    assert overview.account_equity == Decimal("394.439280806")  # the digits on the wire
    assert overview.unrealised_pnl == Decimal("20.15278")  # "unrealisedPNL"
    assert overview.available_balance == Decimal("290.326799096")
    assert overview.frozen_funds == Decimal("0.0")
    assert overview.risk_ratio == Decimal("0.0065289525")
    assert overview.max_withdraw_amount == Decimal("290.326419096")


def test_documented_position_list() -> None:
    cross, isolated = decode_answer(list[FuturesPosition], data_of(POSITION_LIST), "/positions")
    assert (cross.id, cross.symbol, cross.margin_mode, cross.cross_mode) == (
        "500000000001046430",
        "ETHUSDM",
        "CROSS",
        True,
    )
    assert cross.is_inverse is True and cross.current_cost == -4.069805e-4
    assert cross.pos_maint is None and cross.auto_deposit is None  # isolated-only: absent
    assert (isolated.current_qty, isolated.avg_entry_price, isolated.leverage) == (1, 67430.9, 2.97)
    assert isolated.pos_cross_margin == 0 and isolated.pos_comm_common == 0.0539447199
    assert isolated.maint_margin_req == 0.005 and isolated.maintain_margin == 0.005
    assert isolated.risk_limit == 500000 and isolated.current_timestamp == 1730636040926


def test_documented_position_details_and_empty_position() -> None:
    pos = decode_answer(FuturesPosition, data_of(POSITION_DETAILS), "/position")
    assert (pos.symbol, pos.current_qty, pos.is_open, pos.risk_limit_level) == (
        "XBTUSDTM",
        1,
        True,
        2,
    )
    assert (pos.mark_price, pos.liquidation_price, pos.pos_funding) == (
        68900.7,
        45314.33,
        -0.0212068,
    )
    empty = decode_answer(FuturesPosition, data_of(POSITION_NONE), "/position")
    assert (empty.current_qty, empty.is_open, empty.opening_timestamp) == (0, False, None)
    assert empty.mark_price == 26611.71 and empty.id == "6505ee6eaff4070001f651c4"


def test_documented_order_list_and_stop_order_list() -> None:
    page = decode_answer(Page[FuturesOrder], data_of(ORDER_LIST), "/orders")
    assert (page.current_page, page.total_page, page.total_num) == (1, 1, 1)
    [order] = page.items or []
    assert (order.id, order.order_id, order.symbol, order.type, order.side) == (
        "230181737576050688",
        "230181737576050688",
        "PEOPLEUSDTM",
        "limit",
        "buy",
    )
    assert (order.price, order.size, order.value, order.leverage) == (
        Decimal("0.05"),
        10,
        Decimal(5),
        Decimal(1),
    )
    assert order.stop is None and order.stop_price_type is None  # "" is None
    assert order.stop_price is None and order.stp is None and order.end_at is None
    assert (order.is_active, order.cancel_exist, order.status) == (True, False, "open")
    assert (order.created_at, order.order_time) == (1727692804813, 1727692804808418000)


@pytest.mark.parametrize(
    ("answer", "order_id", "symbol", "created"),
    [
        (ORDER_BY_ID, "236655147005071361", "XBTUSDTM", 1729236185949),
        (ORDER_BY_CLIENT_OID, "250444645610336256", "XRPUSDTM", 1732523858568),
    ],
)
def test_documented_order_details(answer: str, order_id: str, symbol: str, created: int) -> None:
    order = decode_answer(FuturesOrder, data_of(answer), "/orders/x")
    assert (order.id, order.symbol, order.client_oid) == (
        order_id,
        symbol,
        "5c52e11203aa677f33e493fb",
    )
    assert (order.created_at, order.updated_at, order.filled_size) == (created, created, 0)
    # ns, a few ms before createdAt in KuCoin's examples
    assert order.order_time is not None and 0 <= created - order.order_time // 10**6 < 1000
    assert (order.reduce_only, order.post_only, order.time_in_force) == (False, False, "GTC")


def test_documented_placement_and_cancels() -> None:
    placed = decode_answer(_Placed, data_of(ADD_ORDER), "/orders")
    assert (placed.order_id, placed.client_oid) == (
        "234125150956625920",
        "5c52e11203aa677f33e493fb",
    )
    by_id = decode_answer(_Cancelled, data_of(CANCEL_BY_ID), "/orders/x")
    assert by_id.cancelled_order_ids == ["235303670076489728"]
    by_client = decode_answer(_Cancelled, data_of(CANCEL_BY_CLIENT_OID), "/orders/client-order")
    assert by_client.client_oid == "017485b0-2957-4681-8a14-5d46b35aee0d"


# -- the simulator's answers, through HTTP, against the engine's truth -------------------------


async def test_account_overview_matches_the_engine(sim: Simulator, rest: KucoinRest) -> None:
    e = sim.engine
    e.fill_futures_order(ACCOUNT, e.place_futures_order(ACCOUNT, "XBTUSDTM", "buy", 5, "60000"))
    e.place_futures_order(ACCOUNT, "ETHUSDTM", "sell", 3, "3100", margin_mode="CROSS")
    e.set_mark_price("XBTUSDTM", "61000")
    overview = await rest.futures_account_overview()
    wallet = e._wallet(e._acct(ACCOUNT))
    assert overview.currency == "USDT"
    assert overview.available_balance == wallet["available"]
    assert overview.account_equity == wallet["equity"]
    assert overview.order_margin == wallet["iOM"] + wallet["cOM"]
    assert overview.position_margin == wallet["iPM"] + wallet["cPM"]
    assert overview.unrealised_pnl == wallet["iUP"] + wallet["cUP"] == Decimal(5)
    other = await rest.futures_account_overview("XBT")
    assert (other.currency, other.account_equity) == ("XBT", 0)
    raw = await rest.get_json(Market.FUTURES, "/api/v1/account-overview", {"currency": "USDT"})
    assert all(isinstance(v, int | float) for k, v in raw.items() if k != "currency")


async def test_positions_match_the_engine(sim: Simulator, rest: KucoinRest) -> None:
    e = sim.engine
    e.fill_futures_order(ACCOUNT, e.place_futures_order(ACCOUNT, "XBTUSDTM", "buy", 4, "60000"))
    e.place_futures_order(ACCOUNT, "ETHUSDTM", "sell", 2, margin_mode="CROSS")  # market
    positions = {p.symbol: p for p in await rest.futures_positions()}
    assert set(positions) == {"XBTUSDTM", "ETHUSDTM"}
    for symbol, pos in positions.items():
        truth = e._acct(ACCOUNT).positions[symbol]
        assert (pos.id, pos.current_qty, pos.margin_mode) == (
            truth.id,
            truth.qty,
            truth.margin_mode,
        )
        assert Decimal(repr(pos.avg_entry_price)) == truth.entry
        assert Decimal(repr(pos.leverage)) == truth.leverage
        assert Decimal(repr(pos.mark_price)) == e.mark_price(symbol)
        assert pos.is_open is True and pos.position_side == "BOTH"
        assert pos.maint_margin_req is not None and pos.current_timestamp is not None
    assert positions["ETHUSDTM"].current_qty == -2 and positions["ETHUSDTM"].pos_margin is None
    assert (
        Decimal(repr(positions["XBTUSDTM"].pos_margin))
        == e._acct(ACCOUNT).positions["XBTUSDTM"].margin
    )
    assert await rest.futures_positions(currency="XBT") == []
    assert len(await rest.futures_positions(currency="USDT")) == 2
    one = await rest.futures_position("XBTUSDTM")
    unstamped = msgspec.structs.replace(one, current_timestamp=None, is_inverse=None)
    listed = positions["XBTUSDTM"]
    assert unstamped == msgspec.structs.replace(listed, current_timestamp=None, is_inverse=None)


async def test_position_of_a_contract_without_one(sim: Simulator, rest: KucoinRest) -> None:
    sim.engine.set_mark_price("SOLUSDTM", "155.5")
    empty = await rest.futures_position("SOLUSDTM")
    assert (empty.symbol, empty.current_qty, empty.is_open) == ("SOLUSDTM", 0, False)
    assert empty.mark_price == 155.5 and empty.opening_timestamp is None
    assert empty.unrealised_pnl == 0 and empty.margin_mode == "ISOLATED"
    with pytest.raises(RestError) as bad:
        await rest.futures_position("NOPEUSDTM")
    assert (bad.value.code, bad.value.status) == ("400100", 400)


async def test_open_orders_span_pages(sim: Simulator, rest: KucoinRest) -> None:
    e = sim.engine
    count = FUTURES_PAGE_SIZE * 2 + 30
    ids = [
        e.place_futures_order(ACCOUNT, "XBTUSDTM", "buy", 1 + n % 3, str(50000 + n), leverage=5)
        for n in range(count)
    ]
    eth = e.place_futures_order(ACCOUNT, "ETHUSDTM", "sell", 1, "3500", margin_mode="CROSS")
    orders = await rest.futures_open_orders()
    assert [o.id for o in orders] == [*ids, eth]
    for order in orders:
        truth = e._futures_open[order.id]
        assert (order.symbol, order.side, order.type) == (truth.symbol, truth.side, "limit")
        assert (order.size, order.price, order.leverage) == (
            truth.size,
            truth.price,
            truth.leverage,
        )
        assert (order.client_oid, order.margin_mode) == (truth.client_oid, truth.margin_mode)
        assert (order.is_active, order.status, order.filled_size) == (True, "open", 0)
        assert order.created_at == truth.created_ns // 10**6
        assert order.updated_at == truth.updated_ns // 10**6
        assert order.order_time == truth.created_ns
    assert [o.id for o in await rest.futures_open_orders("ETHUSDTM")] == [eth]
    # the listing is paginated as KuCoin's: a page of 100 names the pages
    page = await rest.get_json(
        Market.FUTURES, "/api/v1/orders", {"status": "active", "pageSize": "100"}
    )
    assert (page["totalNum"], page["totalPage"], len(page["items"])) == (count + 1, 3, 100)
    assert isinstance(page["items"][0]["size"], int) and isinstance(page["items"][0]["price"], str)


async def test_stop_orders_span_pages(sim: Simulator, rest: KucoinRest) -> None:
    e = sim.engine
    ids = [
        e.place_futures_stop_order(ACCOUNT, "XBTUSDTM", "sell", 2, str(50000 - n), price="49000")
        for n in range(FUTURES_PAGE_SIZE + 5)
    ]
    up = e.place_futures_stop_order(
        ACCOUNT, "ETHUSDTM", "buy", 1, "3500", stop="up", stop_price_type="TP"
    )
    stops = await rest.futures_stop_orders()
    assert [s.id for s in stops] == [*ids, up]
    first = stops[0]
    assert (first.stop, first.stop_price, first.stop_price_type) == ("down", 50000, "MP")
    assert (first.price, first.size, first.type, first.is_active) == (49000, 2, "limit", True)
    [eth] = await rest.futures_stop_orders("ETHUSDTM")
    assert (eth.id, eth.stop, eth.stop_price_type, eth.type, eth.price) == (
        up,
        "up",
        "TP",
        "market",
        0,
    )
    assert eth.client_oid == e._stops[up].client_oid and eth.created_at is not None


async def test_order_lookups_open_done_stop_and_unknown(sim: Simulator, rest: KucoinRest) -> None:
    e = sim.engine
    resting = e.place_futures_order(ACCOUNT, "XBTUSDTM", "buy", 3, "59000", client_oid="rest-1")
    filled = e.place_futures_order(ACCOUNT, "XBTUSDTM", "buy", 2, "59500", client_oid="fill-1")
    e.fill_futures_order(ACCOUNT, filled)
    canceled = e.place_futures_order(ACCOUNT, "XBTUSDTM", "sell", 1, "65000", client_oid="cxl-1")
    e.cancel_futures_order(ACCOUNT, canceled)
    stop = e.place_futures_stop_order(ACCOUNT, "XBTUSDTM", "sell", 1, "55000", client_oid="stp")

    order = await rest.futures_order(order_id=resting)
    assert order is not None and (order.id, order.is_active, order.status) == (
        resting,
        True,
        "open",
    )
    assert order.end_at is None
    done = await rest.futures_order(client_oid="fill-1")
    assert done is not None and (done.id, done.is_active, done.status) == (filled, False, "done")
    assert (done.filled_size, done.avg_deal_price, done.cancel_exist) == (2, 59500, False)
    assert done.end_at == done.updated_at == e._futures_orders[filled].updated_ns // 10**6
    gone = await rest.futures_order(order_id=canceled)
    assert gone is not None and (gone.cancel_exist, gone.filled_size, gone.is_active) == (
        True,
        0,
        False,
    )
    waiting = await rest.futures_order(client_oid="stp")
    assert waiting is not None and (waiting.id, waiting.stop) == (stop, "down")
    assert await rest.futures_order(order_id="123456789012345678") is None
    assert await rest.futures_order(client_oid="never-used") is None
    with pytest.raises(ValueError, match="exactly one"):
        await rest.futures_order()
    with pytest.raises(ValueError, match="exactly one"):
        await rest.futures_order(order_id=resting, client_oid="rest-1")


async def test_snapshot_times_are_the_engine_moments_of_the_pushes(http_session: Any) -> None:
    """REST ``updatedAt`` is the ms of the order's last push ``ts``; a position's REST
    ``currentTimestamp`` is the answer's time, never older than its last push's."""
    clock = Clock()
    async with Simulator(Engine(seed=3, clock_ns=clock), seed=3) as sim:
        creds = sim.add_account(ACCOUNT, futures_balance="10000")
        rest = KucoinRest(http_session, sim.endpoints, creds)
        pushes = pushes_of(sim.engine)
        e = sim.engine
        oid = e.place_futures_order(ACCOUNT, "XBTUSDTM", "buy", 4, "60000")
        clock.advance(7)
        e.fill_futures_order(ACCOUNT, oid, 1)
        clock.advance(5)
        [order] = await rest.futures_open_orders()
        last = order_pushes(pushes, oid)[-1]
        assert (last["type"], order.filled_size) == ("match", 1)
        assert order.updated_at == last["ts"] // 10**6 == (clock.ns - 5_000_000) // 10**6
        assert order.created_at == order_pushes(pushes, oid)[0]["orderTime"] // 10**6
        changes = [
            p.data
            for p in pushes
            if isinstance(p, ClassicPush) and p.topic == "/contract/position:XBTUSDTM"
        ]
        position = await rest.futures_position("XBTUSDTM")
        assert changes[-1]["currentTimestamp"] < position.current_timestamp == clock.ns // 10**6
        assert position.current_qty == changes[-1]["currentQty"] == 1


# -- order entry -------------------------------------------------------------------------------


async def test_place_resting_limit_then_cancel(sim: Simulator, rest: KucoinRest) -> None:
    placed = await rest.place_futures_order(
        "XBTUSDTM", "buy", "limit", 2, price=Decimal("58000.5"), leverage=4, client_oid="my-1"
    )
    assert placed.client_oid == "my-1"
    [order] = await rest.futures_open_orders()
    assert (order.id, order.client_oid, order.price, order.size) == (
        placed.order_id,
        "my-1",
        Decimal("58000.5"),
        2,
    )
    assert (order.leverage, order.margin_mode, order.time_in_force) == (4, "ISOLATED", "GTC")
    assert (order.reduce_only, order.post_only) == (False, False)
    assert sim.engine._futures_open[placed.order_id].margin > 0  # margin held
    assert await rest.cancel_futures_order(order_id=placed.order_id) == [placed.order_id]
    assert await rest.futures_open_orders() == []
    done = await rest.futures_order(order_id=placed.order_id)
    assert done is not None and (done.is_active, done.cancel_exist) == (False, True)
    with pytest.raises(RestError) as again:
        await rest.cancel_futures_order(order_id=placed.order_id)
    assert again.value.code == "100004"

    generated = await rest.place_futures_order("ETHUSDTM", "sell", "limit", 1, price="3300")
    assert generated.client_oid and len(generated.client_oid) <= 40
    echoed = await rest.cancel_futures_order(client_oid=generated.client_oid, symbol="ETHUSDTM")
    assert echoed == [generated.client_oid]
    assert sim.engine._futures_orders[generated.order_id].done
    with pytest.raises(ValueError, match="symbol"):
        await rest.cancel_futures_order(client_oid="x")


async def test_market_order_fills_and_opens_a_position(sim: Simulator, rest: KucoinRest) -> None:
    pushes = pushes_of(sim.engine)
    placed = await rest.place_futures_order(
        "XBTUSDTM", "buy", "market", 3, leverage=5, margin_mode="CROSS"
    )
    events = [p["type"] for p in order_pushes(pushes, placed.order_id)]
    assert events == ["match", "filled"]  # all before the answer was written
    done = await rest.futures_order(order_id=placed.order_id)
    assert done is not None and (done.type, done.status, done.filled_size) == ("market", "done", 3)
    position = await rest.futures_position("XBTUSDTM")
    assert (position.current_qty, position.margin_mode, position.avg_entry_price) == (
        3,
        "CROSS",
        60000,
    )


@pytest.mark.parametrize(
    ("side", "price", "tif", "post_only", "events", "filled"),
    [
        ("buy", "61000", "GTC", False, ["match", "filled"], 2),  # crosses: fills at the mark
        ("sell", "59000", "IOC", False, ["match", "filled"], 2),
        ("buy", "59000", "IOC", False, ["open", "canceled"], 0),  # rests: IOC cancels it
        ("buy", "61000", "GTC", True, ["open", "canceled"], 0),  # would take: post-only cancels
        ("buy", "59000", "GTC", True, ["open"], 0),  # post-only that rests
    ],
)
async def test_limit_order_fill_rule(
    sim: Simulator,
    rest: KucoinRest,
    side: str,
    price: str,
    tif: str,
    post_only: bool,
    events: list[str],
    filled: int,
) -> None:
    pushes = pushes_of(sim.engine)
    placed = await rest.place_futures_order(
        "XBTUSDTM", side, "limit", 2, price=price, time_in_force=tif, post_only=post_only
    )
    assert [p["type"] for p in order_pushes(pushes, placed.order_id)] == events
    order = await rest.futures_order(order_id=placed.order_id)
    assert order is not None and order.filled_size == filled
    assert (order.time_in_force, order.post_only) == (tif, post_only)
    if filled:
        match = order_pushes(pushes, placed.order_id)[0]
        assert (match["matchPrice"], match["liquidity"]) == ("60000", "taker")


async def test_reduce_only_and_close_orders(sim: Simulator, rest: KucoinRest) -> None:
    with pytest.raises(RestError) as nothing:
        await rest.place_futures_order("XBTUSDTM", "sell", "market", 1, reduce_only=True)
    assert (nothing.value.code, nothing.value.msg) == ("300009", "No open positions to close.")
    await rest.place_futures_order("XBTUSDTM", "buy", "market", 3)
    placed = await rest.place_futures_order("XBTUSDTM", "sell", "market", 5, reduce_only=True)
    order = await rest.futures_order(order_id=placed.order_id)
    assert order is not None and (order.size, order.reduce_only) == (3, True)  # excess dropped
    assert (await rest.futures_position("XBTUSDTM")).current_qty == 0
    await rest.place_futures_order("ETHUSDTM", "sell", "market", 2)
    body = {"clientOid": "close-1", "symbol": "ETHUSDTM", "type": "market", "closeOrder": True}
    raw = await rest.request("POST", Market.FUTURES, "/api/v1/orders", body=body)
    closed = msgspec.json.decode(raw)["orderId"]
    assert sim.engine._futures_orders[closed].side == "buy"
    assert "ETHUSDTM" not in sim.engine._acct(ACCOUNT).positions


async def test_stop_order_entry_and_trigger(sim: Simulator, rest: KucoinRest) -> None:
    placed = await rest.place_futures_order(
        "XBTUSDTM",
        "sell",
        "market",
        1,
        stop="down",
        stop_price="58000",
        stop_price_type="TP",
        client_oid="guard",
    )
    [stop] = await rest.futures_stop_orders()
    assert (stop.id, stop.stop, stop.stop_price, stop.stop_price_type) == (
        placed.order_id,
        "down",
        58000,
        "TP",
    )
    assert await rest.futures_open_orders() == []
    sim.engine.set_mark_price("XBTUSDTM", "57900")
    assert await rest.futures_stop_orders() == []
    triggered = await rest.futures_order(client_oid="guard")
    assert triggered is not None and triggered.id != placed.order_id
    assert (triggered.status, triggered.filled_size, triggered.side) == ("done", 1, "sell")
    # a waiting stop order is canceled like any order
    again = await rest.place_futures_order(
        "XBTUSDTM",
        "buy",
        "limit",
        1,
        price="1",
        stop="up",
        stop_price="70000",
        stop_price_type="MP",
    )
    assert await rest.cancel_futures_order(order_id=again.order_id) == [again.order_id]
    assert await rest.futures_stop_orders() == []


BAD_ORDERS: list[tuple[str, dict[str, Any], str, str]] = [
    ("unknown contract", {"symbol": "NOPEUSDTM"}, "400100", "symbol"),
    ("bad side", {"side": "up"}, "400100", "side"),
    ("limit without price", {"price": None}, "400100", "price"),
    ("negative price", {"price": "-1"}, "400100", "price"),
    ("zero size", {"size": 0}, "400100", "size"),
    ("fractional size", {"size": "1.5"}, "400100", "size"),
    ("bad type", {"type": "stop"}, "400100", "type"),
    ("bad margin mode", {"marginMode": "PORTFOLIO"}, "400100", "marginMode"),
    ("bad time in force", {"timeInForce": "FOK"}, "400100", "timeInForce"),
    ("no client oid", {"clientOid": None}, "400100", "clientOid"),
    ("long client oid", {"clientOid": "x" * 41}, "400100", "clientOid"),
    ("flag not a bool", {"reduceOnly": "yes"}, "400100", "reduceOnly"),
    ("stop without type", {"stop": "down", "stopPrice": "1"}, "400100", "stopPriceType"),
    ("post only hidden", {"postOnly": True, "hidden": True}, "100001", "postOnly"),
    ("qty", {"qty": "0.01", "size": None}, "400100", "qty"),
    ("too big", {"size": 100000}, "330008", "margin"),
]


@pytest.mark.parametrize(
    ("change", "code", "named"), [c[1:] for c in BAD_ORDERS], ids=[c[0] for c in BAD_ORDERS]
)
async def test_bad_orders_are_refused_with_kucoins_codes(
    sim: Simulator, rest: KucoinRest, change: dict[str, Any], code: str, named: str
) -> None:
    pushes = pushes_of(sim.engine)
    body = {"clientOid": "c1", "side": "buy", "symbol": "XBTUSDTM", "type": "limit"}
    body |= {"price": "60000", "size": 1, "leverage": 3} | change
    body = {k: v for k, v in body.items() if v is not None}
    with pytest.raises(RestError) as refused:
        await rest.request("POST", Market.FUTURES, "/api/v1/orders", body=body)
    assert refused.value.code == code
    assert named in refused.value.msg
    assert pushes == [] and sim.engine._futures_orders == {}


async def test_bad_calls_fail_before_sending(rest: KucoinRest) -> None:
    for size in (0, -1, True):
        with pytest.raises(ValueError, match="size"):
            await rest.place_futures_order("XBTUSDTM", "buy", "market", size)
    with pytest.raises(ValueError, match="exactly one"):
        await rest.cancel_futures_order(symbol="XBTUSDTM")


async def test_duplicate_client_oid_of_an_open_order(rest: KucoinRest) -> None:
    await rest.place_futures_order("XBTUSDTM", "buy", "limit", 1, price="50000", client_oid="d")
    with pytest.raises(RestError) as dup:
        await rest.place_futures_order("XBTUSDTM", "buy", "limit", 1, price="50000", client_oid="d")
    assert dup.value.code == "400100" and "clientOid" in dup.value.msg


async def test_order_entry_is_signed(sim: Simulator, http_session: Any) -> None:
    url = sim.endpoints.futures_rest + "/api/v1/orders"
    async with http_session.post(url, data=b'{"symbol":"XBTUSDTM"}') as answer:
        assert answer.status == 401
        assert (await answer.json(content_type=None))["code"] == "400001"


@pytest.mark.parametrize("make", ["market", "crossing limit"])
async def test_fill_pushes_race_the_answer(
    sim: Simulator, creds: Credentials, make: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The filled push of an order that fills at once reaches a real subscription; in most
    runs it is recorded already when the placement returns (printed, not timed)."""
    runs = 20
    async with KucoinStreams(creds, endpoints=sim.endpoints) as streams:
        got: list[FuturesOrderChange] = []
        streams.futures_orders().subscribe(got.append)
        await streams.ready()
        early = 0
        for n in range(runs):
            side = "buy" if n % 2 == 0 else "sell"
            price = None if make == "market" else ("61000" if side == "buy" else "59000")
            kind = "market" if price is None else "limit"
            placed = await streams.rest.place_futures_order(
                "XBTUSDTM", side, kind, 1, price=price, leverage=10
            )
            filled = filled_of(got, placed.order_id)
            early += filled()
            await until(filled)
        with capsys.disabled():
            print(f"\n{make}: filled push recorded before the REST answer in {early}/{runs} runs")
        assert early > runs // 2


def filled_of(got: list[FuturesOrderChange], order_id: str) -> Callable[[], bool]:
    return lambda: any(o.order_id == order_id and o.type == "filled" for o in got)


async def until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


@pytest.fixture
async def http_session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as http:
        yield http
