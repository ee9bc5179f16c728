"""Classic futures payloads: orders, stop orders, wallet, positions, user config (§4.7-§4.11)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import msgspec
import pytest

from rxkucoin.exceptions import DecodeError
from rxkucoin.keys import Dialect
from rxkucoin.models import futures
from rxkucoin.models._base import Payload
from rxkucoin.models._registry import decode_payload, payload_type
from rxkucoin.models.futures import (
    CrossLeverage,
    FuturesAvailableBalanceChange,
    FuturesCrossLeverageChange,
    FuturesFundingEvent,
    FuturesMarginModeChange,
    FuturesOrderChange,
    FuturesOrderMarginChange,
    FuturesPositionChange,
    FuturesPositionMarkPrice,
    FuturesPositionSettlement,
    FuturesRiskLimitAdjustment,
    FuturesStopOrderChange,
    FuturesWalletBalance,
    FuturesWithdrawHoldChange,
)

POSITION_TOPICS = ("/contract/position:XBTUSDTM", "/contract/positionAll")


class _Frame(msgspec.Struct):
    topic: str
    subject: str
    data: msgspec.Raw


def decode_frame(frame: str) -> Payload:
    """Decode a whole Classic push the way the client does: its ``data`` by topic/subject."""
    env = msgspec.json.decode(frame, type=_Frame)
    return decode_payload(Dialect.CLASSIC, env.topic, env.subject, bytes(env.data))


def decode(topic: str, subject: str, data: dict[str, Any] | str) -> Payload:
    raw = data if isinstance(data, str) else json.dumps(data)
    return decode_payload(Dialect.CLASSIC, topic, subject, raw.encode())


# --------------------------------------------------------------------------- orders (§4.7)

# PROTOCOL.md §4.7 example (DOC).
ORDER_OPEN = (
    '{"topic":"/contractMarket/tradeOrders:XBTUSDTM","type":"message",'
    '"subject":"symbolOrderChange","userId":"633559791e1cbc0001f319bc","channelType":"private",'
    '"data":{"symbol":"XBTUSDTM","side":"buy","canceledSize":"0","orderId":"247899236673269761",'
    '"liquidity":"maker","marginMode":"ISOLATED","type":"open","orderTime":1731916985768138917,'
    '"size":"1","filledSize":"0","price":"91670","remainSize":"1","status":"open",'
    '"ts":1731916985789000000}}'
)

# A taker fill of a market order on the all-symbols topic, built from the §4.7 table.
ORDER_MATCH: dict[str, Any] = {
    "symbol": "ETHUSDTM",
    "orderType": "market",
    "side": "sell",
    "orderId": "247899236673269762",
    "clientOid": "my-order-1",
    "type": "match",
    "status": "match",
    "marginMode": "CROSS",
    "tradeType": "trade",
    "size": "10",
    "filledSize": "4",
    "remainSize": "6",
    "canceledSize": "0",
    "price": "",
    "liquidity": "taker",
    "feeType": "takerFee",
    "matchPrice": "3105.52",
    "matchSize": "4",
    "tradeId": "1828954878212",
    "orderTime": 1731916985768,
    "ts": 1731916985790000000,
}


def test_order_example_decodes() -> None:
    msg = decode_frame(ORDER_OPEN)
    assert type(msg) is FuturesOrderChange
    assert msg.symbol == "XBTUSDTM"
    assert msg.order_id == "247899236673269761"
    assert msg.type == "open"
    assert msg.status == "open"
    assert msg.margin_mode == "ISOLATED"
    assert msg.liquidity == "maker"
    assert msg.price == Decimal("91670")
    assert isinstance(msg.price, Decimal)
    assert msg.size == Decimal(1)
    assert isinstance(msg.size, Decimal)
    assert msg.filled_size == Decimal(0)
    assert msg.remain_size == Decimal(1)
    assert msg.canceled_size == Decimal(0)
    assert msg.order_time == 1731916985768138917
    assert type(msg.order_time) is int
    assert msg.ts == 1731916985789000000
    assert type(msg.ts) is int
    assert msg.trade_type is None
    assert msg.order_type is None
    assert msg.client_oid is None
    assert msg.match_price is None


@pytest.mark.parametrize("subject", ["orderChange", "symbolOrderChange"])
@pytest.mark.parametrize(
    "topic", ["/contractMarket/tradeOrders", "/contractMarket/tradeOrders:ETHUSDTM"]
)
def test_order_match_decodes_under_both_subjects(topic: str, subject: str) -> None:
    msg = decode(topic, subject, ORDER_MATCH)
    assert type(msg) is FuturesOrderChange
    assert msg.order_type == "market"
    assert msg.price is None  # blank on the wire
    assert msg.trade_type == "trade"
    assert msg.fee_type == "takerFee"
    assert msg.match_price == Decimal("3105.52")
    assert isinstance(msg.match_size, Decimal)
    assert msg.match_size == Decimal(4)
    assert msg.trade_id == "1828954878212"
    assert type(msg.order_time) is int
    assert msg.order_time == 1731916985768  # ms variant accepted too


def test_order_update_carries_old_size() -> None:
    data = {**ORDER_MATCH, "type": "update", "status": "open", "oldSize": "15", "size": "10"}
    msg = decode("/contractMarket/tradeOrders", "orderChange", data)
    assert isinstance(msg, FuturesOrderChange)
    assert msg.old_size == Decimal(15)


def test_order_registrations_share_one_type() -> None:
    for subject in ("orderChange", "symbolOrderChange"):
        assert (
            payload_type(Dialect.CLASSIC, "/contractMarket/tradeOrders:XBTUSDTM", subject)
            is FuturesOrderChange
        )


def test_order_wrong_type_names_topic_and_path() -> None:
    data = {**ORDER_MATCH, "ts": "soon"}
    with pytest.raises(DecodeError) as info:
        decode("/contractMarket/tradeOrders", "orderChange", data)
    assert info.value.topic == "/contractMarket/tradeOrders"
    assert info.value.path == "$.data.ts"


# ------------------------------------------------------------------- stop orders (§4.8)

STOP_ORDER_NEW: dict[str, Any] = {
    "createdAt": 1730194206837,
    "marginMode": "ISOLATED",
    "orderId": "240673378116083712",
    "orderPrice": "0.1",
    "orderType": "stop",
    "side": "buy",
    "size": 1,
    "stop": "down",
    "stopPrice": "1000",
    "stopPriceType": "TP",
    "symbol": "XBTUSDTM",
    "ts": 1730194206843133000,
    "type": "open",
}

# Old docs: size is a string, no marginMode, triggerSuccess/error on trigger.
STOP_ORDER_OLD: dict[str, Any] = {
    "orderId": "5cdfc138b21023a909e5ad55",
    "symbol": "XBTUSDM",
    "type": "triggered",
    "orderType": "stop",
    "side": "buy",
    "size": "1000",
    "orderPrice": "9000",
    "stop": "up",
    "stopPrice": "9100",
    "stopPriceType": "TP",
    "triggerSuccess": True,
    "error": "error.createOrder.accountBalanceInsufficient",
    "createdAt": 1558074652423,
    "ts": 1558074652423004000,
}


def test_stop_order_docs_new() -> None:
    msg = decode("/contractMarket/advancedOrders", "stopOrder", STOP_ORDER_NEW)
    assert type(msg) is FuturesStopOrderChange
    assert msg.size == 1
    assert type(msg.size) is int
    assert msg.order_id == "240673378116083712"
    assert type(msg.order_id) is str
    assert msg.order_price == Decimal("0.1")
    assert isinstance(msg.stop_price, Decimal)
    assert msg.stop_price == Decimal(1000)
    assert msg.stop == "down"
    assert msg.stop_price_type == "TP"
    assert msg.margin_mode == "ISOLATED"
    assert type(msg.created_at) is int
    assert msg.created_at == 1730194206837
    assert type(msg.ts) is int
    assert msg.trigger_success is None
    assert msg.error is None


def test_stop_order_old_docs_string_size() -> None:
    msg = decode("/contractMarket/advancedOrders", "stopOrder", STOP_ORDER_OLD)
    assert type(msg) is FuturesStopOrderChange
    assert msg.size == 1000
    assert type(msg.size) is int
    assert msg.type == "triggered"
    assert msg.trigger_success is True
    assert msg.error == "error.createOrder.accountBalanceInsufficient"
    assert msg.margin_mode is None
    assert msg.order_price == Decimal(9000)


def test_stop_order_lenient_decoding_keeps_strings_strings() -> None:
    # A numeric-looking error text or id must not be turned into anything else.
    data = {**STOP_ORDER_OLD, "error": "null", "orderId": "123"}
    msg = decode("/contractMarket/advancedOrders", "stopOrder", data)
    assert isinstance(msg, FuturesStopOrderChange)
    assert msg.error == "null"
    assert msg.order_id == "123"
    # A market stop order: blank orderPrice decodes as None.
    msg = decode(
        "/contractMarket/advancedOrders", "stopOrder", {**STOP_ORDER_NEW, "orderPrice": ""}
    )
    assert isinstance(msg, FuturesStopOrderChange)
    assert msg.order_price is None


@pytest.mark.parametrize("bad", ["1.5", "ten", [1]])
def test_stop_order_bad_size_still_fails(bad: object) -> None:
    with pytest.raises(DecodeError) as info:
        decode("/contractMarket/advancedOrders", "stopOrder", {**STOP_ORDER_NEW, "size": bad})
    assert info.value.topic == "/contractMarket/advancedOrders"
    assert info.value.path == "$.data.size"


def test_stop_order_number_for_string_field_becomes_its_text() -> None:
    data = {**STOP_ORDER_NEW, "orderId": 240673378116083712, "stop": 5}
    msg = decode("/contractMarket/advancedOrders", "stopOrder", data)
    assert isinstance(msg, FuturesStopOrderChange)
    assert msg.order_id == "240673378116083712" and msg.stop == "5"


def test_stop_order_list_for_string_field_fails() -> None:
    with pytest.raises(DecodeError) as info:
        decode("/contractMarket/advancedOrders", "stopOrder", {**STOP_ORDER_NEW, "symbol": [5]})
    assert info.value.path == "$.data.symbol"


# ------------------------------------------------------------------------ wallet (§4.9)

# PROTOCOL.md §4.9 example (DOC).
WALLET_BALANCE = (
    '{"topic":"/contractAccount/wallet","type":"message","subject":"walletBalance.change",'
    '"id":"673b0bb925b4bc0001fadfef","userId":"633559791e1cbc0001f319bc","channelType":"private",'
    '"data":{"crossPosMargin":"0","isolatedOrderMargin":"18.1188","holdBalance":"0",'
    '"equity":"81.273621258","version":"1337","availableBalance":"26.144281178",'
    '"isolatedPosMargin":"36.80984008","walletBalance":"81.072921258",'
    '"isolatedFundingFeeMargin":"0","crossUnPnl":"0","totalCrossMargin":"26.144281178",'
    '"currency":"USDT","isolatedUnPnl":"0.2007","crossOrderMargin":"0",'
    '"timestamp":"1731916996764"}}'
)


def test_wallet_balance_example() -> None:
    msg = decode_frame(WALLET_BALANCE)
    assert type(msg) is FuturesWalletBalance
    assert msg.currency == "USDT"
    assert msg.equity == Decimal("81.273621258")
    assert isinstance(msg.equity, Decimal)
    assert msg.wallet_balance == Decimal("81.072921258")
    assert msg.available_balance == Decimal("26.144281178")
    assert msg.hold_balance == Decimal(0)
    assert msg.total_cross_margin == Decimal("26.144281178")
    assert msg.cross_pos_margin == Decimal(0)
    assert msg.cross_order_margin == Decimal(0)
    assert msg.cross_un_pnl == Decimal(0)
    assert msg.isolated_pos_margin == Decimal("36.80984008")
    assert msg.isolated_order_margin == Decimal("18.1188")
    assert msg.isolated_funding_fee_margin == Decimal(0)
    assert msg.isolated_un_pnl == Decimal("0.2007")
    assert msg.version == 1337
    assert type(msg.version) is int
    assert msg.timestamp == 1731916996764
    assert type(msg.timestamp) is int
    assert msg.timestamp_ms == 1731916996764
    assert msg.max_withdraw_amount is None


def test_wallet_balance_with_max_withdraw_and_extra_fields() -> None:
    env = msgspec.json.decode(WALLET_BALANCE)
    data = {**env["data"], "maxWithdrawAmount": "26.1", "someNewField": {"x": 1}}
    msg = decode("/contractAccount/wallet", "walletBalance.change", data)
    assert isinstance(msg, FuturesWalletBalance)
    assert msg.max_withdraw_amount == Decimal("26.1")
    assert isinstance(msg.max_withdraw_amount, Decimal)


def test_wallet_legacy_order_margin() -> None:
    data = {"orderMargin": 5923, "currency": "USDT", "timestamp": 1553842862614}
    msg = decode("/contractAccount/wallet", "orderMargin.change", data)
    assert type(msg) is FuturesOrderMarginChange
    assert msg.order_margin == 5923.0
    assert type(msg.order_margin) is float
    assert msg.currency == "USDT"
    assert type(msg.timestamp) is int
    assert msg.timestamp == 1553842862614


def test_wallet_legacy_available_balance() -> None:
    data = {
        "availableBalance": 5923.5,
        "holdBalance": 2312,
        "currency": "USDT",
        "timestamp": 1553842862614,
    }
    msg = decode("/contractAccount/wallet", "availableBalance.change", data)
    assert type(msg) is FuturesAvailableBalanceChange
    assert msg.available_balance == 5923.5
    assert type(msg.available_balance) is float
    assert msg.hold_balance == 2312.0
    assert type(msg.hold_balance) is float
    assert type(msg.timestamp) is int
    # holdBalance was added in 2021; older pushes lack it.
    del data["holdBalance"]
    msg = decode("/contractAccount/wallet", "availableBalance.change", data)
    assert isinstance(msg, FuturesAvailableBalanceChange)
    assert msg.hold_balance is None


def test_wallet_legacy_withdraw_hold() -> None:
    data = {"withdrawHold": 5923.12, "currency": "USDT", "timestamp": 1553842862614}
    msg = decode("/contractAccount/wallet", "withdrawHold.change", data)
    assert type(msg) is FuturesWithdrawHoldChange
    assert msg.withdraw_hold == 5923.12
    assert type(msg.withdraw_hold) is float
    assert msg.timestamp == 1553842862614


def test_wallet_wrong_type() -> None:
    with pytest.raises(DecodeError) as info:
        decode(
            "/contractAccount/wallet",
            "withdrawHold.change",
            {"withdrawHold": "lots", "currency": "USDT", "timestamp": 1},
        )
    assert info.value.topic == "/contractAccount/wallet"
    assert info.value.path == "$.data.withdrawHold"


# --------------------------------------------------------------------- positions (§4.10)

# The docs-new example (spec JSON of the universal SDK), values quoted in §4.10.
POSITION_FULL = (
    '{"symbol":"XBTUSDTM","maintMarginReq":0.005,"riskLimit":500000,'
    '"realLeverage":4.9685590767,"crossMode":false,"delevPercentage":0.10,'
    '"openingTimestamp":1731916913097,"autoDeposit":true,"currentTimestamp":1731924561514,'
    '"currentQty":1,"currentCost":91.5306,"currentComm":0.09179284,"unrealisedCost":91.6945,'
    '"realisedCost":-0.07210716,"isOpen":true,"markPrice":91839.79,"markValue":91.83979,'
    '"posCost":91.6945,"posCross":0,"posInit":18.3389,"posComm":0.06602004,"posLoss":0,'
    '"posMargin":18.40492004,"posFunding":0,"posMaint":0.5634627025,'
    '"maintMargin":18.55021004,"avgEntryPrice":91694.5,"liquidationPrice":73853.0426625,'
    '"bankruptPrice":73355.6,"settleCurrency":"USDT","changeReason":"positionChange",'
    '"riskLimitLevel":2,"realisedGrossCost":-0.1639,"realisedGrossPnl":0.1639,'
    '"realisedPnl":0.07210716,"unrealisedPnl":0.14529,"unrealisedPnlPcnt":0.0016,'
    '"unrealisedRoePcnt":0.0079,"leverage":4.9685590767,"marginMode":"ISOLATED",'
    '"positionSide":"BOTH"}'
)

# A cross-margin short: none of the isolated-only fields.
POSITION_CROSS: dict[str, Any] = {
    "symbol": "ETHUSDTM",
    "crossMode": True,
    "delevPercentage": 0.3,
    "openingTimestamp": 1731916913097,
    "currentTimestamp": 1731924561514,
    "currentQty": -3,
    "currentCost": -93.2,
    "currentComm": 0.05,
    "unrealisedCost": -93.2,
    "realisedGrossCost": 0,
    "realisedCost": 0.05,
    "isOpen": True,
    "markPrice": 3105.5,
    "markValue": -93.165,
    "posCost": -93.2,
    "posInit": 11.65,
    "posMargin": 11.65,
    "realisedGrossPnl": 0,
    "realisedPnl": -0.05,
    "unrealisedPnl": 0.035,
    "unrealisedPnlPcnt": 0.0004,
    "unrealisedRoePcnt": 0.003,
    "avgEntryPrice": 3106.67,
    "liquidationPrice": 6201.1,
    "bankruptPrice": 6240.2,
    "settleCurrency": "USDT",
    "changeReason": "positionChange",
    "marginMode": "CROSS",
    "positionSide": "BOTH",
    "leverage": 8,
}

# The reduced mark-price push (docs-new style, with changeReason).
POSITION_MARK_PRICE = (
    '{"markPrice":91900.1,"markValue":91.9001,"maintMargin":18.55,"realLeverage":4.96,'
    '"unrealisedPnl":0.2056,"unrealisedRoePcnt":0.0112,"unrealisedPnlPcnt":0.0022,'
    '"delevPercentage":0.1,"currentTimestamp":1731924562514,"settleCurrency":"USDT",'
    '"changeReason":"markPriceChange"}'
)

# The old docs' reduced example: no changeReason, no symbol.
POSITION_MARK_PRICE_OLD = (
    '{"markPrice":7947.83,"markValue":0.00251640,"maintMargin":0.00252044,'
    '"realLeverage":10.06,"unrealisedPnl":-0.00014735,"unrealisedRoePcnt":-0.0553,'
    '"unrealisedPnlPcnt":-0.0553,"delevPercentage":0.52,"currentTimestamp":1558087175068,'
    '"settleCurrency":"XBT"}'
)


@pytest.mark.parametrize("topic", POSITION_TOPICS)
def test_position_full_example(topic: str) -> None:
    msg = decode(topic, "position.change", POSITION_FULL)
    assert type(msg) is FuturesPositionChange
    assert msg.symbol == "XBTUSDTM"
    assert msg.current_qty == 1
    assert type(msg.current_qty) is int
    assert msg.mark_price == 91839.79
    assert type(msg.mark_price) is float
    assert msg.avg_entry_price == 91694.5
    assert type(msg.avg_entry_price) is float
    assert msg.delev_percentage == 0.10
    assert type(msg.delev_percentage) is float
    assert type(msg.pos_cross) is float  # sent as the integer 0
    assert msg.pos_cross == 0.0
    assert msg.cross_mode is False
    assert msg.is_open is True
    assert msg.auto_deposit is True
    assert msg.risk_limit == 500000
    assert type(msg.risk_limit) is int
    assert msg.risk_limit_level == 2
    assert type(msg.risk_limit_level) is int
    assert msg.opening_timestamp == 1731916913097
    assert type(msg.current_timestamp) is int
    assert msg.change_reason == "positionChange"
    assert msg.margin_mode == "ISOLATED"
    assert msg.position_side == "BOTH"
    assert msg.leverage == 4.9685590767
    assert msg.settle_currency == "USDT"


@pytest.mark.parametrize("topic", POSITION_TOPICS)
def test_position_cross_has_no_isolated_fields(topic: str) -> None:
    msg = decode(topic, "position.change", POSITION_CROSS)
    assert type(msg) is FuturesPositionChange
    assert msg.current_qty == -3
    assert msg.cross_mode is True
    assert msg.margin_mode == "CROSS"
    assert msg.leverage == 8.0
    assert type(msg.leverage) is float
    assert type(msg.realised_gross_cost) is float
    assert msg.auto_deposit is None
    assert msg.risk_limit is None
    assert msg.maint_margin is None


@pytest.mark.parametrize("topic", POSITION_TOPICS)
@pytest.mark.parametrize("reduced", [POSITION_MARK_PRICE, POSITION_MARK_PRICE_OLD])
def test_position_mark_price_form(topic: str, reduced: str) -> None:
    msg = decode(topic, "position.change", reduced)
    assert type(msg) is FuturesPositionMarkPrice
    assert type(msg.mark_price) is float
    assert type(msg.mark_value) is float
    assert type(msg.unrealised_pnl) is float
    assert type(msg.delev_percentage) is float
    assert type(msg.current_timestamp) is int
    assert type(msg.maint_margin) is float
    assert type(msg.real_leverage) is float
    # the payload does not name its symbol: it is taken from a per-symbol topic
    expected = topic.partition(":")[2] or None
    assert msg.symbol == expected


def test_position_mark_price_values_and_spacing() -> None:
    spaced = POSITION_MARK_PRICE.replace(
        '"changeReason":"markPriceChange"', '"changeReason": "markPriceChange"'
    )
    for raw in (POSITION_MARK_PRICE, spaced):
        msg = decode("/contract/position:XBTUSDTM", "position.change", raw)
        assert isinstance(msg, FuturesPositionMarkPrice)
        assert msg.mark_price == 91900.1
        assert msg.change_reason == "markPriceChange"
        assert msg.current_timestamp == 1731924562514
        assert msg.settle_currency == "USDT"
    old = decode("/contract/positionAll", "position.change", POSITION_MARK_PRICE_OLD)
    assert isinstance(old, FuturesPositionMarkPrice)
    assert old.mark_price == 7947.83
    assert old.change_reason is None
    assert old.settle_currency == "XBT"


def test_position_full_with_mark_price_word_elsewhere_stays_full() -> None:
    # "markPriceChange" appearing outside changeReason must not switch decoders.
    data = {**POSITION_CROSS, "note": "markPriceChange"}
    msg = decode("/contract/positionAll", "position.change", data)
    assert type(msg) is FuturesPositionChange


def test_position_old_docs_full_payload() -> None:
    # Old docs: no marginMode/positionSide/leverage, exponent-form numbers.
    data = (
        '{"realisedGrossPnl":0E-8,"symbol":"XBTUSDM","crossMode":false,'
        '"liquidationPrice":1000000.0,"posLoss":0E-8,"avgEntryPrice":7508.22,'
        '"unrealisedPnl":-0.00014735,"markPrice":7947.83,"posMargin":0.00266779,'
        '"autoDeposit":false,"riskLimit":100000,"unrealisedCost":0.00266375,'
        '"posComm":0.00000392,"posMaint":0.00001724,"posCost":0.00266375,'
        '"maintMarginReq":0.005,"bankruptPrice":1000000.0,"realisedCost":0.00000271,'
        '"markValue":0.00251640,"posInit":0.00266375,"realisedPnl":-0.00000253,'
        '"maintMargin":0.00252044,"realLeverage":1.06,"changeReason":"positionChange",'
        '"currentCost":0.00266375,"openingTimestamp":1558433191000,"currentQty":-20,'
        '"delevPercentage":0.52,"currentComm":0.00000271,"realisedGrossCost":0E-8,'
        '"isOpen":true,"posCross":1.2E-7,"currentTimestamp":1558506060394,'
        '"unrealisedRoePcnt":-0.0553,"unrealisedPnlPcnt":-0.0553,"settleCurrency":"XBT"}'
    )
    msg = decode("/contract/position:XBTUSDM", "position.change", data)
    assert type(msg) is FuturesPositionChange
    assert msg.current_qty == -20
    assert msg.realised_gross_pnl == 0.0
    assert msg.pos_cross == 1.2e-7
    assert msg.margin_mode is None
    assert msg.leverage is None


@pytest.mark.parametrize("topic", POSITION_TOPICS)
def test_position_wrong_type_path(topic: str) -> None:
    data = {**POSITION_CROSS, "currentQty": "three"}
    with pytest.raises(DecodeError) as info:
        decode(topic, "position.change", data)
    assert info.value.topic == topic
    assert info.value.path == "$.data.currentQty"


@pytest.mark.parametrize("topic", POSITION_TOPICS)
def test_position_numbers_as_numeric_strings(topic: str) -> None:
    data = {**POSITION_CROSS, "currentQty": "3", "markPrice": "91900.1", "isOpen": "true"}
    msg = decode(topic, "position.change", data)
    assert isinstance(msg, FuturesPositionChange)
    assert msg.current_qty == 3 and type(msg.current_qty) is int
    assert msg.mark_price == 91900.1 and type(msg.mark_price) is float
    assert msg.is_open is True


def test_position_mark_price_wrong_type_path() -> None:
    raw = POSITION_MARK_PRICE.replace('"markPrice":91900.1', '"markPrice":"high"')
    with pytest.raises(DecodeError) as info:
        decode("/contract/positionAll", "position.change", raw)
    assert info.value.path == "$.data.markPrice"


@pytest.mark.parametrize("topic", POSITION_TOPICS)
def test_position_settlement(topic: str) -> None:
    data = {
        "fundingTime": 1551770400000,
        "qty": 100,
        "markPrice": 3610.85,
        "fundingRate": -0.002966,
        "fundingFee": -296,
        "ts": 1547697294838004923,
        "settleCurrency": "XBT",
    }
    msg = decode(topic, "position.settlement", data)
    assert type(msg) is FuturesPositionSettlement
    assert msg.funding_time == 1551770400000
    assert type(msg.funding_time) is int
    assert msg.qty == 100
    assert type(msg.qty) is int
    assert msg.mark_price == 3610.85
    assert type(msg.funding_rate) is float
    assert msg.funding_fee == -296.0
    assert type(msg.funding_fee) is float
    assert msg.ts == 1547697294838004923
    assert msg.settle_currency == "XBT"


@pytest.mark.parametrize("topic", POSITION_TOPICS)
def test_position_adjust_risk_limit(topic: str) -> None:
    msg = decode(
        topic, "position.adjustRiskLimit", {"success": True, "riskLimitLevel": 1, "msg": ""}
    )
    assert type(msg) is FuturesRiskLimitAdjustment
    assert msg.success is True
    assert msg.risk_limit_level == 1
    assert type(msg.risk_limit_level) is int
    assert msg.msg is None
    failed = decode(
        topic,
        "position.adjustRiskLimit",
        {"success": False, "riskLimitLevel": 2, "msg": "position too large"},
    )
    assert isinstance(failed, FuturesRiskLimitAdjustment)
    assert failed.success is False
    assert failed.msg == "position too large"


@pytest.mark.parametrize("topic", POSITION_TOPICS)
@pytest.mark.parametrize("subject", ["funding.begin", "funding.end"])
def test_funding_events(topic: str, subject: str) -> None:
    data = {
        "symbol": "XBTUSDTM",
        "fundingTime": 1551770400000,
        "fundingRate": -0.002966,
        "timestamp": 1551770400000,
    }
    msg = decode(topic, subject, data)
    assert type(msg) is FuturesFundingEvent
    assert msg.symbol == "XBTUSDTM"
    assert msg.funding_time == 1551770400000
    assert type(msg.funding_time) is int
    assert msg.funding_rate == -0.002966
    assert type(msg.funding_rate) is float
    assert type(msg.timestamp) is int
    # Types are UNVERIFIED: numeric strings are accepted too.
    as_strings = {k: str(v) for k, v in data.items()}
    msg = decode(topic, subject, as_strings)
    assert isinstance(msg, FuturesFundingEvent)
    assert msg.funding_rate == -0.002966
    assert type(msg.funding_rate) is float
    assert msg.funding_time == 1551770400000
    assert type(msg.funding_time) is int
    assert type(msg.timestamp) is int


# ----------------------------------------------------------------- user config (§4.11)

# PROTOCOL.md §4.11 examples (DOC).
MARGIN_MODE = (
    '{"topic":"/contract/marginMode","type":"message","data":{"ETHUSDTM":"ISOLATED"},'
    '"subject":"user.config","userId":"66f12e8befb04d0001882b49","channelType":"private"}'
)
CROSS_LEVERAGE = (
    '{"topic":"/contract/crossLeverage","type":"message","data":{"ETHUSDTM":{"leverage":"8"}},'
    '"subject":"user.config","userId":"66f12e8befb04d0001882b49","channelType":"private"}'
)


def test_margin_mode_example() -> None:
    msg = decode_frame(MARGIN_MODE)
    assert type(msg) is FuturesMarginModeChange
    assert msg.modes == {"ETHUSDTM": "ISOLATED"}
    many = decode(
        "/contract/marginMode", "user.config", {"XBTUSDTM": "CROSS", "ETHUSDTM": "ISOLATED"}
    )
    assert isinstance(many, FuturesMarginModeChange)
    assert many.modes["XBTUSDTM"] == "CROSS"


def test_cross_leverage_example() -> None:
    msg = decode_frame(CROSS_LEVERAGE)
    assert type(msg) is FuturesCrossLeverageChange
    entry = msg.leverages["ETHUSDTM"]
    assert type(entry) is CrossLeverage
    assert entry.leverage == Decimal(8)
    assert isinstance(entry.leverage, Decimal)


@pytest.mark.parametrize(
    ("wire", "expected"), [('"8"', Decimal(8)), ("5", Decimal(5)), ("2.5", Decimal("2.5"))]
)
def test_cross_leverage_accepts_string_and_number(wire: str, expected: Decimal) -> None:
    raw = '{"ETHUSDTM":{"leverage":' + wire + ',"newField":true}}'
    msg = decode("/contract/crossLeverage", "user.config", raw)
    assert isinstance(msg, FuturesCrossLeverageChange)
    assert msg.leverages["ETHUSDTM"].leverage == expected
    assert isinstance(msg.leverages["ETHUSDTM"].leverage, Decimal)


def test_cross_leverage_wrong_type_path() -> None:
    with pytest.raises(DecodeError) as info:
        decode("/contract/crossLeverage", "user.config", '{"ETHUSDTM":{"leverage":true}}')
    assert info.value.topic == "/contract/crossLeverage"
    # msgspec names dict keys ``[...]`` in its paths.
    assert info.value.path == "$.data[...].leverage"


# ------------------------------------------------------------------------- general


def test_unknown_fields_are_ignored() -> None:
    data = {**ORDER_MATCH, "brandNewField": [1, 2, {"x": None}], "anotherOne": "z"}
    assert type(decode("/contractMarket/tradeOrders", "orderChange", data)) is FuturesOrderChange
    data = {**STOP_ORDER_NEW, "brandNewField": "1"}
    assert (
        type(decode("/contractMarket/advancedOrders", "stopOrder", data)) is FuturesStopOrderChange
    )
    data = {**POSITION_CROSS, "brandNewField": {"a": 1}}
    assert type(decode("/contract/positionAll", "position.change", data)) is FuturesPositionChange


def test_payloads_are_frozen() -> None:
    msg = decode_frame(ORDER_OPEN)
    with pytest.raises(AttributeError):
        msg.symbol = "X"  # type: ignore[attr-defined]


def test_registrations_are_classic_and_listed_in_all() -> None:
    assert all(reg.dialect is Dialect.CLASSIC for reg in futures.REGISTRATIONS)
    for reg in futures.REGISTRATIONS:
        assert reg.payload_type.__name__ in futures.__all__
    keys = {(reg.prefix, reg.subject) for reg in futures.REGISTRATIONS}
    assert len(keys) == len(futures.REGISTRATIONS)
    for prefix in ("/contract/position", "/contract/positionAll"):
        for subject in (
            "position.change",
            "position.settlement",
            "position.adjustRiskLimit",
            "funding.begin",
            "funding.end",
        ):
            assert (prefix, subject) in keys
