"""Spot payloads: order changes, balance changes, stop-order changes (PROTOCOL.md §4.1-§4.3)."""

from __future__ import annotations

from decimal import Decimal

import msgspec
import pytest

from rxkucoin.exceptions import DecodeError
from rxkucoin.keys import Dialect
from rxkucoin.models import spot
from rxkucoin.models._base import Payload
from rxkucoin.models._registry import decode_payload, payload_type
from rxkucoin.models.spot import (
    SpotBalanceChange,
    SpotBalanceRelationContext,
    SpotMatch,
    SpotOrderChange,
    SpotStopOrderChange,
)


class _Frame(msgspec.Struct):
    topic: str
    subject: str
    data: msgspec.Raw


def decode_frame(frame: str) -> Payload:
    """Decode a whole Classic push the way the client does: its ``data`` by topic/subject."""
    env = msgspec.json.decode(frame, type=_Frame)
    return decode_payload(Dialect.CLASSIC, env.topic, env.subject, bytes(env.data))


# PROTOCOL.md §4.1 example (DOC).
ORDER_OPEN_V2 = (
    '{"topic":"/spotMarket/tradeOrdersV2","type":"message","subject":"orderChange",'
    '"userId":"633559791e1cbc0001f319bc","channelType":"private",'
    '"data":{"canceledSize":"0","clientOid":"5c52e11203aa677f33e493fb","filledSize":"0",'
    '"orderId":"6720ecd9ec71f4000747731a","orderTime":1730211033305,"orderType":"limit",'
    '"originSize":"0.00001","price":"50000","remainSize":"0.00001","side":"buy",'
    '"size":"0.00001","status":"open","symbol":"BTC-USDT","ts":1730211033335000000,'
    '"type":"open"}}'
)

# A maker fill, built from the §4.1 table.
ORDER_MATCH_V1 = (
    '{"topic":"/spotMarket/tradeOrders","type":"message","subject":"orderChange",'
    '"userId":"633559791e1cbc0001f319bc","channelType":"private",'
    '"data":{"canceledSize":"0","clientOid":"5c52e11203aa677f33e493fb","filledSize":"0.000004",'
    '"orderId":"6720ecd9ec71f4000747731a","orderTime":1730211033305,"orderType":"limit",'
    '"originSize":"0.00001","price":"50000","remainSize":"0.000006","side":"buy",'
    '"size":"0.00001","status":"open","symbol":"BTC-USDT","ts":1730211034000000000,'
    '"type":"match","liquidity":"maker","feeType":"makerFee","matchPrice":"50000",'
    '"matchSize":"0.000004","tradeId":"11116472408358913"}}'
)

# A market order by funds, as it enters the engine (V2 ``received``): price is blank.
ORDER_MARKET_RECEIVED = (
    '{"topic":"/spotMarket/tradeOrdersV2","type":"message","subject":"orderChange",'
    '"userId":"633559791e1cbc0001f319bc","channelType":"private",'
    '"data":{"clientOid":"","orderId":"6720ecd9ec71f4000747731b","orderTime":1730211033305,'
    '"orderType":"market","originFunds":"10","remainFunds":"10","canceledFunds":"0",'
    '"price":"","side":"sell","status":"new","symbol":"ETH-USDT","ts":1730211033335000001,'
    '"type":"received"}}'
)

# A partial cancel (``update`` with ``oldSize``).
ORDER_UPDATE = (
    '{"topic":"/spotMarket/tradeOrdersV2","type":"message","subject":"orderChange",'
    '"userId":"633559791e1cbc0001f319bc","channelType":"private",'
    '"data":{"canceledSize":"0.000005","clientOid":"5c52e11203aa677f33e493fb",'
    '"filledSize":"0","oldSize":"0.00001","orderId":"6720ecd9ec71f4000747731a",'
    '"orderTime":1730211033305,"orderType":"limit","originSize":"0.00001","price":"50000",'
    '"remainSize":"0.000005","side":"buy","size":"0.000005","status":"open",'
    '"symbol":"BTC-USDT","ts":1730211035000000000,"type":"update"}}'
)

# PROTOCOL.md §4.2 example (DOC).
BALANCE_HOLD = (
    '{"topic":"/account/balance","type":"message","subject":"account.balance",'
    '"id":"354689988084000","userId":"633559791e1cbc0001f319bc","channelType":"private",'
    '"data":{"accountId":"548674591753","currency":"USDT","total":"21.133773386762",'
    '"available":"20.132773386762","hold":"1.001","availableChange":"-0.5005",'
    '"holdChange":"0.5005","relationContext":{"symbol":"BTC-USDT",'
    '"orderId":"6721d0632db25b0007071fdc"},"relationEvent":"trade.hold",'
    '"relationEventId":"354689988084000","time":"1730269283892"}}'
)

# A deposit: no relationContext, no accountId (the older shape).
BALANCE_DEPOSIT = (
    '{"topic":"/account/balance","type":"message","subject":"account.balance",'
    '"id":"354689988084001","userId":"633559791e1cbc0001f319bc","channelType":"private",'
    '"data":{"currency":"KCS","total":"88","available":"88","hold":"0",'
    '"availableChange":"88","holdChange":"0","relationEvent":"main.deposit",'
    '"relationEventId":"354689988084001","time":"1730269283999"}}'
)

# A settlement with a trade id in its context (older docs).
BALANCE_SETTLED = (
    '{"topic":"/account/balance","type":"message","subject":"account.balance",'
    '"id":"5c21e80303aa677bd09d7dff","userId":"633559791e1cbc0001f319bc",'
    '"channelType":"private",'
    '"data":{"accountId":"548674591753","currency":"BTC","total":"0.00001",'
    '"available":"0.00001","hold":"0","availableChange":"0.00001","holdChange":"0",'
    '"relationContext":{"symbol":"BTC-USDT","tradeId":"5e6a5dca9e16882a7d83b7a4",'
    '"orderId":"5ea10479415e2f0009949d54"},"relationEvent":"trade.setted",'
    '"relationEventId":"5c21e80303aa677bd09d7dff","time":"1730269284000"}}'
)

# Stop orders, built from the §4.3 table: a triggered one (older docs) and an open one.
STOP_TRIGGERED = (
    '{"topic":"/spotMarket/advancedOrders","type":"message","subject":"stopOrder",'
    '"userId":"633559791e1cbc0001f319bc","channelType":"private",'
    '"data":{"createdAt":1589789942337,"orderId":"vs93gpupfa48anof003u85mb",'
    '"orderPrice":"0.00062","orderType":"stop","side":"sell","size":"1","stop":"entry",'
    '"stopPrice":"0.00062","symbol":"KCS-BTC","tradeType":"TRADE","triggerSuccess":true,'
    '"ts":1589790121382281286,"type":"triggered"}}'
)

STOP_OPEN_MARKET = (
    '{"topic":"/spotMarket/advancedOrders","type":"message","subject":"stopOrder",'
    '"userId":"633559791e1cbc0001f319bc","channelType":"private",'
    '"data":{"createdAt":1730211033305,"orderId":"vs93gpupfa48anof003u85mc",'
    '"orderPrice":"","orderType":"stop","side":"buy","size":"0.001","stop":"loss",'
    '"stopPrice":"60000","symbol":"BTC-USDT","tradeType":"MARGIN_TRADE",'
    '"ts":1730211033335000000,"type":"open"}}'
)


def test_order_open_doc_example() -> None:
    p = decode_frame(ORDER_OPEN_V2)
    assert type(p) is SpotOrderChange
    assert p.symbol == "BTC-USDT"
    assert p.order_type == "limit"
    assert p.side == "buy"
    assert p.order_id == "6720ecd9ec71f4000747731a"
    assert p.client_oid == "5c52e11203aa677f33e493fb"
    assert p.type == "open" and p.status == "open"
    assert isinstance(p.price, Decimal) and p.price == Decimal("50000")
    assert isinstance(p.size, Decimal) and p.size == Decimal("0.00001")
    assert isinstance(p.origin_size, Decimal) and p.origin_size == Decimal("0.00001")
    assert isinstance(p.remain_size, Decimal) and p.remain_size == Decimal("0.00001")
    assert isinstance(p.filled_size, Decimal) and p.filled_size == Decimal("0")
    assert isinstance(p.canceled_size, Decimal) and p.canceled_size == Decimal("0")
    assert type(p.order_time) is int and p.order_time == 1730211033305
    assert type(p.ts) is int and p.ts == 1730211033335000000
    assert p.match_price is None and p.liquidity is None and p.trade_id is None
    assert p.old_size is None and p.origin_funds is None


def test_order_match_v1_topic() -> None:
    p = decode_frame(ORDER_MATCH_V1)
    assert type(p) is SpotOrderChange
    assert p.type == "match" and p.status == "open"
    assert p.liquidity == "maker" and p.fee_type == "makerFee"
    assert isinstance(p.match_price, Decimal) and p.match_price == Decimal("50000")
    assert isinstance(p.match_size, Decimal) and p.match_size == Decimal("0.000004")
    assert type(p.trade_id) is str and p.trade_id == "11116472408358913"
    assert isinstance(p.filled_size, Decimal) and p.filled_size == Decimal("0.000004")


def test_market_order_blank_price_is_none() -> None:
    p = decode_frame(ORDER_MARKET_RECEIVED)
    assert type(p) is SpotOrderChange
    assert p.order_type == "market"
    assert p.type == "received" and p.status == "new"
    assert p.price is None
    assert p.client_oid is None
    assert p.size is None and p.origin_size is None
    assert isinstance(p.origin_funds, Decimal) and p.origin_funds == Decimal("10")
    assert isinstance(p.remain_funds, Decimal) and p.remain_funds == Decimal("10")
    assert isinstance(p.canceled_funds, Decimal) and p.canceled_funds == Decimal("0")


def test_order_update_old_size() -> None:
    p = decode_frame(ORDER_UPDATE)
    assert type(p) is SpotOrderChange
    assert p.type == "update"
    assert isinstance(p.old_size, Decimal) and p.old_size == Decimal("0.00001")
    assert p.canceled_size == Decimal("0.000005")


@pytest.mark.parametrize(
    "topic", ["/spotMarket/tradeOrders", "/spotMarket/tradeOrdersV2"], ids=["v1", "v2"]
)
def test_both_order_topics_map_to_order_change(topic: str) -> None:
    assert payload_type(Dialect.CLASSIC, topic, "orderChange") is SpotOrderChange
    data = msgspec.json.encode(msgspec.json.decode(ORDER_OPEN_V2)["data"])
    assert type(decode_payload(Dialect.CLASSIC, topic, "orderChange", data)) is SpotOrderChange


def test_unknown_fields_are_ignored() -> None:
    data = (
        b'{"symbol":"BTC-USDT","orderType":"limit","side":"buy","orderId":"x","type":"open",'
        b'"status":"open","orderTime":1,"ts":2,"brandNewField":{"a":[1,2]},"other":"y"}'
    )
    p = decode_payload(Dialect.CLASSIC, "/spotMarket/tradeOrdersV2", "orderChange", data)
    assert type(p) is SpotOrderChange
    assert p.ts == 2 and p.price is None


def test_wrong_type_raises_decode_error_with_path() -> None:
    data = (
        b'{"symbol":"BTC-USDT","orderType":"limit","side":"buy","orderId":"x","type":"open",'
        b'"status":"open","orderTime":1,"ts":"abc"}'
    )
    with pytest.raises(DecodeError) as info:
        decode_payload(Dialect.CLASSIC, "/spotMarket/tradeOrdersV2", "orderChange", data)
    assert info.value.topic == "/spotMarket/tradeOrdersV2"
    assert info.value.path == "$.data.ts"


def test_missing_required_field_raises_decode_error() -> None:
    data = b'{"symbol":"BTC-USDT","orderType":"limit","side":"buy","type":"open"}'
    with pytest.raises(DecodeError) as info:
        decode_payload(Dialect.CLASSIC, "/spotMarket/tradeOrders", "orderChange", data)
    assert info.value.topic == "/spotMarket/tradeOrders"
    assert info.value.path is not None and info.value.path.startswith("$.data")


def test_balance_doc_example() -> None:
    p = decode_frame(BALANCE_HOLD)
    assert type(p) is SpotBalanceChange
    assert p.account_id == "548674591753"
    assert p.currency == "USDT"
    assert isinstance(p.total, Decimal) and p.total == Decimal("21.133773386762")
    assert isinstance(p.available, Decimal) and p.available == Decimal("20.132773386762")
    assert isinstance(p.hold, Decimal) and p.hold == Decimal("1.001")
    assert p.total == p.available + p.hold
    assert isinstance(p.available_change, Decimal) and p.available_change == Decimal("-0.5005")
    assert isinstance(p.hold_change, Decimal) and p.hold_change == Decimal("0.5005")
    assert p.relation_event == "trade.hold"
    assert p.relation_event_id == "354689988084000"
    assert type(p.time) is int and p.time == 1730269283892
    assert p.time_ms == 1730269283892
    ctx = p.relation_context
    assert type(ctx) is SpotBalanceRelationContext
    assert ctx.symbol == "BTC-USDT"
    assert ctx.order_id == "6721d0632db25b0007071fdc"
    assert ctx.trade_id is None


def test_balance_without_context_or_account_id() -> None:
    p = decode_frame(BALANCE_DEPOSIT)
    assert type(p) is SpotBalanceChange
    assert p.account_id is None
    assert p.relation_context is None
    assert p.relation_event == "main.deposit"
    assert isinstance(p.available_change, Decimal) and p.available_change == Decimal("88")
    assert p.time_ms == 1730269283999


def test_balance_settlement_context_trade_id() -> None:
    p = decode_frame(BALANCE_SETTLED)
    assert type(p) is SpotBalanceChange
    assert p.relation_context is not None
    assert p.relation_context.trade_id == "5e6a5dca9e16882a7d83b7a4"
    assert p.relation_context.order_id == "5ea10479415e2f0009949d54"


@pytest.mark.parametrize("wire", [b"1730269283892", b'"1730269283892"'])
def test_balance_time_as_number_or_numeric_string(wire: bytes) -> None:
    data = (
        b'{"currency":"USDT","total":"1","available":"1","hold":"0","availableChange":"1",'
        b'"holdChange":"0","relationEvent":"other","time":' + wire + b"}"
    )
    p = decode_payload(Dialect.CLASSIC, "/account/balance", "account.balance", data)
    assert isinstance(p, SpotBalanceChange)
    assert type(p.time) is int and p.time == 1730269283892


def test_balance_time_not_a_number_is_rejected() -> None:
    data = b'{"currency":"USDT","time":"yesterday"}'
    with pytest.raises(DecodeError) as info:
        decode_payload(Dialect.CLASSIC, "/account/balance", "account.balance", data)
    assert info.value.path == "$.data.time"


def test_stop_order_triggered() -> None:
    p = decode_frame(STOP_TRIGGERED)
    assert type(p) is SpotStopOrderChange
    assert p.order_id == "vs93gpupfa48anof003u85mb"
    assert p.symbol == "KCS-BTC" and p.side == "sell" and p.order_type == "stop"
    assert p.type == "triggered" and p.stop == "entry" and p.trade_type == "TRADE"
    assert p.trigger_success is True
    assert isinstance(p.order_price, Decimal) and p.order_price == Decimal("0.00062")
    assert isinstance(p.stop_price, Decimal) and p.stop_price == Decimal("0.00062")
    assert isinstance(p.size, Decimal) and p.size == Decimal("1")
    assert type(p.created_at) is int and p.created_at == 1589789942337
    assert type(p.ts) is int and p.ts == 1589790121382281286


def test_stop_order_open_market() -> None:
    p = decode_frame(STOP_OPEN_MARKET)
    assert type(p) is SpotStopOrderChange
    assert p.type == "open" and p.stop == "loss" and p.trade_type == "MARGIN_TRADE"
    assert p.order_price is None
    assert p.trigger_success is None
    assert isinstance(p.stop_price, Decimal) and p.stop_price == Decimal("60000")


def test_payloads_are_frozen() -> None:
    p = decode_frame(ORDER_OPEN_V2)
    assert type(p) is SpotOrderChange
    with pytest.raises(AttributeError):
        p.ts = 0  # type: ignore[misc]


def test_l3_match_all_strings_time_in_ns() -> None:
    raw = (
        b'{"makerOrderId":"6720da3fa30a360007f5f832","takerOrderId":"6720da3fa30a360007f5f833",'
        b'"price":"67717.6","size":"0.00001","side":"buy","symbol":"BTC-USDT",'
        b'"sequence":"11067996711960577","tradeId":"11067996711960577",'
        b'"time":"1730205759926315000","type":"match"}'
    )
    p = decode_payload(Dialect.CLASSIC, "/market/match:BTC-USDT", "trade.l3match", raw)
    assert type(p) is SpotMatch
    assert p.price == Decimal("67717.6") and p.size == Decimal("0.00001")
    assert type(p.time) is int and p.time == 1730205759926315000
    assert p.time_ns == 1730205759926315000
    assert type(p.sequence) is int and p.sequence == 11067996711960577


def test_registrations_and_all() -> None:
    assert {(r.prefix, r.subject): r.payload_type for r in spot.REGISTRATIONS} == {
        ("/spotMarket/tradeOrdersV2", "orderChange"): SpotOrderChange,
        ("/spotMarket/tradeOrders", "orderChange"): SpotOrderChange,
        ("/account/balance", "account.balance"): SpotBalanceChange,
        ("/spotMarket/advancedOrders", "stopOrder"): SpotStopOrderChange,
        ("/market/match", "trade.l3match"): SpotMatch,
    }
    assert all(r.dialect is Dialect.CLASSIC for r in spot.REGISTRATIONS)
    for name in spot.__all__:
        assert hasattr(spot, name)
