"""The decoding rule (rxkucoin.models._base) applied to every model: numeric strings for
numbers, omitted optional fields, blanks as None, unknown subjects kept out of typed streams.

The frames are the forms PROTOCOL.md §0 lists from live captures and third-party fixtures.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import msgspec
import pytest

from rxkucoin.exceptions import DecodeError
from rxkucoin.keys import Dialect
from rxkucoin.models import (
    FuturesOrderChange,
    FuturesPositionChange,
    FuturesPositionMarkPrice,
    FuturesStopOrderChange,
    FuturesWalletBalance,
    MarginDebtRatio,
    MarginPositionStatus,
    ProBalance,
    ProExecution,
    ProExecutionLite,
    ProOrder,
    ProPosition,
    SpotBalanceChange,
    SpotOrderChange,
    SpotStopOrderChange,
    UnknownPayload,
)
from rxkucoin.models._base import Payload, Text, blank_safe, blank_to_null
from rxkucoin.models._registry import (
    REGISTRATIONS,
    decode_payload,
    decoder_for,
    is_modelled_topic,
)

C, P = Dialect.CLASSIC, Dialect.PRO


def classic(topic: str, subject: str, data: dict[str, Any] | str) -> Payload:
    raw = data if isinstance(data, str) else json.dumps(data)
    return decode_payload(C, topic, subject, raw.encode())


def pro(channel: str, data: dict[str, Any] | str) -> Payload:
    raw = data if isinstance(data, str) else json.dumps(data)
    return decode_payload(P, channel, None, raw.encode())


# --- the rule itself --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b'{"a":""}', b'{"a":null}'),
        (b'{"a": ""}', b'{"a":null}'),
        (b'{"a" :  "","b":"x"}', b'{"a" :null,"b":"x"}'),
        (b'{"a":"","b":["",""],"":1}', b'{"a":null,"b":["",""],"":1}'),
        (b'{"a":"x\\"","b":""}', b'{"a":"x\\"","b":null}'),
        (b'{"a":"no blanks"}', b'{"a":"no blanks"}'),
    ],
)
def test_blank_to_null_rewrites_only_blank_members(raw: bytes, expected: bytes) -> None:
    assert blank_to_null(raw) == expected
    if b"\\" not in raw:
        assert json.loads(blank_to_null(raw)) == {
            k: (None if v == "" else v) for k, v in json.loads(raw).items()
        }


def test_blank_string_is_none_for_str_int_decimal_and_bool_fields() -> None:
    p = classic(
        "/spotMarket/tradeOrdersV2",
        "orderChange",
        {"symbol": "BTC-USDT", "orderId": "1", "type": "open", "clientOid": "", "ts": ""}
        | {"price": "", "side": ""},
    )
    assert isinstance(p, SpotOrderChange)
    assert (p.client_oid, p.ts, p.price, p.side) == (None, None, None, None)
    stop = classic(
        "/contractMarket/advancedOrders",
        "stopOrder",
        {"orderId": "1", "symbol": "XBTUSDTM", "type": "open", "triggerSuccess": ""},
    )
    assert isinstance(stop, FuturesStopOrderChange) and stop.trigger_success is None


def test_decimals_from_strings_and_numbers_keep_their_digits() -> None:
    p = pro("balance.UNIFIED", {"c": "USDT", "b": 0.1, "a": "0.10", "h": 3, "e": 1e-7})
    assert isinstance(p, ProBalance)
    assert p.balance == Decimal("0.1") and isinstance(p.balance, Decimal)
    assert str(p.available) == "0.10"
    assert p.hold == Decimal(3) and isinstance(p.hold, Decimal)
    assert p.equity == Decimal("1e-7")


@pytest.mark.parametrize("wire", ['"5"', "5", '"5.0"', "5.0"])
def test_integer_fields_accept_integers_and_numeric_strings(wire: str) -> None:
    p = classic("/margin/position", "position.status", f'{{"type":"LIABILITY","timestamp":{wire}}}')
    assert p == MarginPositionStatus(type="LIABILITY", timestamp=5)
    assert isinstance(p, MarginPositionStatus) and type(p.timestamp) is int


@pytest.mark.parametrize("wire", ['"5.5"', '"five"', "5.5", "true", "[5]"])
def test_integer_fields_reject_what_is_not_an_integer(wire: str) -> None:
    with pytest.raises(DecodeError) as info:
        classic("/margin/position", "position.status", f'{{"type":"LIABILITY","timestamp":{wire}}}')
    assert info.value.path == "$.data.timestamp"


def test_strings_stay_strings() -> None:
    """Lax numbers never turn text into something else: ids and texts keep their form."""
    p = classic(
        "/spotMarket/tradeOrdersV2",
        "orderChange",
        {"symbol": "BTC-USDT", "orderId": "0012", "type": "null", "clientOid": "true"},
    )
    assert isinstance(p, SpotOrderChange)
    assert (p.order_id, p.type, p.client_oid) == ("0012", "null", "true")


def test_unknown_enum_values_and_fields_pass_through() -> None:
    p = classic(
        "/spotMarket/tradeOrdersV2",
        "orderChange",
        {"symbol": "BTC-USDT", "orderId": "1", "type": "amended", "status": "frozen"}
        | {"newField": {"x": [1, 2]}},
    )
    assert isinstance(p, SpotOrderChange)
    assert (p.type, p.status) == ("amended", "frozen")


# --- required fields: identity only -------------------------------------------------------------

#: The smallest payload each registration accepts: its identity fields only.
_MINIMAL_BY_NAME: dict[str, dict[str, Any]] = {
    "SpotOrderChange": {"symbol": "BTC-USDT", "orderId": "1", "type": "open"},
    "SpotBalanceChange": {"currency": "USDT"},
    "SpotStopOrderChange": {"orderId": "1", "symbol": "BTC-USDT", "type": "open"},
    "SpotMatch": {"symbol": "BTC-USDT", "tradeId": "1"},
    "MarginDebtRatio": {},
    "MarginPositionStatus": {"type": "LIABILITY"},
    "IsolatedMarginPositionChange": {"tag": "BTC-USDT"},
    "FuturesOrderChange": {"symbol": "XBTUSDTM", "orderId": "1", "type": "open"},
    "FuturesStopOrderChange": {"orderId": "1", "symbol": "XBTUSDTM", "type": "open"},
    "FuturesWalletBalance": {"currency": "USDT"},
    "FuturesOrderMarginChange": {"currency": "USDT"},
    "FuturesAvailableBalanceChange": {"currency": "USDT"},
    "FuturesWithdrawHoldChange": {"currency": "USDT"},
    "FuturesPositionChange": {"symbol": "XBTUSDTM", "changeReason": "positionChange"},
    "FuturesPositionSettlement": {},
    "FuturesRiskLimitAdjustment": {},
    "FuturesFundingEvent": {},
    "FuturesMarginModeChange": {},
    "FuturesCrossLeverageChange": {"XBTUSDTM": {}},
    "ProOrder": {"oi": "1", "s": "BTC-USDT"},
    "ProBalance": {"c": "USDT"},
    "ProPosition": {"s": "XBTUSDTM"},
    "ProExecution": {"oi": "1", "s": "BTC-USDT", "ti": "2"},
    "ProExecutionLite": {"oi": "1", "s": "BTC-USDT", "ti": "2"},
    "ProLiquidationWarning": {"eT": "MARGIN_CALL"},
    "ProLeverage": {"s": "XBTUSDTM"},
}
MINIMAL: dict[type[Payload], dict[str, Any]] = {
    r.payload_type: _MINIMAL_BY_NAME[r.payload_type.__name__] for r in REGISTRATIONS
}

WRAPPED = {r.payload_type for r in REGISTRATIONS if r.wrap_field}
REGS = sorted(
    {(r.dialect, r.prefix, r.subject, r.payload_type) for r in REGISTRATIONS},
    key=lambda r: (r[0].value, r[1], r[2] or ""),
)


def test_every_payload_type_has_a_minimal_form() -> None:
    assert {r[3].__name__ for r in REGS} == set(_MINIMAL_BY_NAME)


@pytest.mark.parametrize(("dialect", "prefix", "subject", "cls"), REGS)
def test_identity_fields_alone_decode(
    dialect: Dialect, prefix: str, subject: str | None, cls: type[Payload]
) -> None:
    topic = prefix if dialect is C else f"{prefix}.SPOT"
    data = MINIMAL[cls]
    payload = decode_payload(dialect, topic, subject, json.dumps(data).encode())
    assert type(payload) is cls
    if cls not in WRAPPED:
        required = {f.encode_name for f in msgspec.structs.fields(cls) if f.required}
        assert required <= set(data)
    for f in msgspec.structs.fields(cls):
        if f.encode_name not in data and not f.required:
            value = getattr(payload, f.name)
            assert value is None or value == {}, (cls.__name__, f.name, value)


@pytest.mark.parametrize(("dialect", "prefix", "subject", "cls"), REGS)
def test_each_identity_field_is_required(
    dialect: Dialect, prefix: str, subject: str | None, cls: type[Payload]
) -> None:
    topic = prefix if dialect is C else f"{prefix}.SPOT"
    for name in MINIMAL[cls]:
        if not any(f.encode_name == name and f.required for f in msgspec.structs.fields(cls)):
            continue
        data = {k: v for k, v in MINIMAL[cls].items() if k != name}
        with pytest.raises(DecodeError, match=f"missing required field `{name}`"):
            decode_payload(dialect, topic, subject, json.dumps(data).encode())


# --- the forms PROTOCOL.md §0 lists -------------------------------------------------------------

CROSS_POSITION_CLOSED = {
    "symbol": "XBTUSDTM",
    "marginMode": "CROSS",
    "crossMode": True,
    "positionSide": "BOTH",
    "currentQty": 0,
    "isOpen": False,
    "leverage": 10,
    "changeReason": "positionChange",
    "realisedPnl": -0.0126,
    "realisedGrossPnl": 0.0,
    "maintMarginReq": 0.004,
    "posMaint": 0,
    "tax": 0,
    "dealComm": 0.0126,
    "fundingFee": 0,
    "settleCurrency": "USDT",
    "currentTimestamp": 1758339086029,
    "openingTimestamp": 1758338000000,
}


@pytest.mark.parametrize("topic", ["/contract/positionAll", "/contract/position:XBTUSDTM"])
def test_cross_position_without_pos_margin_with_live_extras(topic: str) -> None:
    p = classic(topic, "position.change", CROSS_POSITION_CLOSED)
    assert type(p) is FuturesPositionChange
    assert p.symbol == "XBTUSDTM" and p.is_open is False and p.current_qty == 0
    assert p.pos_margin is None and p.avg_entry_price is None and p.auto_deposit is None
    assert p.maint_margin_req == 0.004 and p.pos_maint == 0.0
    assert (p.deal_comm, p.funding_fee, p.tax) == (0.0126, 0.0, 0.0)
    assert p.leverage == 10.0 and type(p.leverage) is float


def test_mark_price_push_on_position_all_without_symbol_keeps_none() -> None:
    data = {"markPrice": "91900.1", "changeReason": "markPriceChange", "currentTimestamp": "5"}
    p = classic("/contract/positionAll", "position.change", data)
    assert type(p) is FuturesPositionMarkPrice
    assert p.symbol is None and p.mark_price == 91900.1 and p.current_timestamp == 5
    per_symbol = classic("/contract/position:XBTUSDTM", "position.change", data)
    assert isinstance(per_symbol, FuturesPositionMarkPrice) and per_symbol.symbol == "XBTUSDTM"


def test_futures_order_time_ns_as_numeric_string() -> None:
    data = {
        "symbol": "XBTUSDTM",
        "orderId": "358311846934904832",
        "type": "filled",
        "status": "done",
        "orderTime": "1758339086029193392",
        "ts": "1758339086041000000",
        "size": 1,
        "filledSize": "1",
        "positionSide": "BOTH",
        "marginMode": "CROSS",
    }
    p = classic("/contractMarket/tradeOrders", "orderChange", data)
    assert type(p) is FuturesOrderChange
    assert p.order_time == 1758339086029193392 and type(p.order_time) is int
    assert p.ts == 1758339086041000000 and type(p.ts) is int
    assert p.size == Decimal(1) and p.filled_size == Decimal(1)
    assert p.position_side == "BOTH"
    assert p.remain_size is None and p.price is None


def test_spot_stop_triggered_with_string_ts() -> None:
    data = {
        "orderId": "vs93gpupfa48anof003u85mb",
        "symbol": "KCS-BTC",
        "type": "triggered",
        "side": "sell",
        "orderType": "stop",
        "ts": "1589790121382281286",
        "createdAt": "1589789942337",
        "triggerSuccess": True,
    }
    p = classic("/spotMarket/advancedOrders", "stopOrder", data)
    assert type(p) is SpotStopOrderChange
    assert p.type == "triggered"
    assert p.ts == 1589790121382281286 and p.created_at == 1589789942337
    assert p.trigger_success is True and p.size is None


def test_pro_spot_order_without_trade_type_or_source() -> None:
    d = {
        "oi": "69a0f1c0e3a4b50007c7f2d1",
        "s": "BTC-USDT",
        "S": "BUY",
        "oT": "LIMIT",
        "eT": "OPEN",
        "os": "2",
        "p": "60000",
        "q": "0.001",
        "O": "1771757876482000000",
        "U": 1771757876484000000,
    }
    p = pro("orderAll.SPOT", d)
    assert type(p) is ProOrder
    assert p.trade_type is None and p.order_source is None and p.margin_mode is None
    assert p.status_code == 2 and p.created_ns == 1771757876482000000
    assert p.updated_ns == 1771757876484000000
    assert p.price == Decimal(60000)


def test_pro_numbers_as_numeric_strings_everywhere() -> None:
    d = {"s": "XBTUSDTM", "pi": "1", "q": -3, "U": "1771800000004000000", "l": 10, "adl": 0.35}
    p = pro("positionAll.FUTURES", d)
    assert isinstance(p, ProPosition)
    assert p.quantity == Decimal(-3) and p.updated_ns == 1771800000004000000
    assert p.leverage == Decimal(10) and p.adl_percentile == Decimal("0.35")
    fill = pro("execution.SPOT", {"oi": "1", "s": "BTC-USDT", "ti": "2", "E": "17", "f": 0.5})
    assert isinstance(fill, ProExecution) and fill.trade_time_ns == 17
    assert fill.fee == Decimal("0.5")


def test_wallet_and_balance_numbers_as_ints() -> None:
    w = classic(
        "/contractAccount/wallet",
        "walletBalance.change",
        {"currency": "USDT", "version": 1337, "timestamp": "1731916996764", "equity": 81.5},
    )
    assert isinstance(w, FuturesWalletBalance)
    assert (w.version, w.timestamp, w.equity) == (1337, 1731916996764, Decimal("81.5"))
    assert w.timestamp_ms == 1731916996764
    b = classic("/account/balance", "account.balance", {"currency": "BTC", "time": 17})
    assert isinstance(b, SpotBalanceChange) and b.time == 17 and b.time_ms == 17
    assert b.total is None and b.relation_context is None


def test_debt_ratio_as_strings() -> None:
    p = classic(
        "/margin/position",
        "debt.ratio",
        {"debtRatio": "0.7505", "totalAsset": "1.5", "timestamp": "1", "debtList": {"BTC": 1}},
    )
    assert isinstance(p, MarginDebtRatio)
    assert (p.debt_ratio, p.total_asset, p.timestamp) == (0.7505, 1.5, 1)
    assert p.debt_list == {"BTC": Decimal(1)} and p.asset_list == {}


# --- unknown subjects and unmodelled topics -----------------------------------------------------


def test_unknown_subject_on_a_modelled_topic_raises_with_both_names() -> None:
    decode = decoder_for(C, "/spotMarket/tradeOrdersV2", "orderChangeV3")
    raw = b'{"symbol":"BTC-USDT","orderId":"1","type":"open"}'
    with pytest.raises(DecodeError) as info:
        decode(raw)
    assert info.value.reason == (
        "unknown subject 'orderChangeV3' for topic '/spotMarket/tradeOrdersV2'"
    )
    assert info.value.topic == "/spotMarket/tradeOrdersV2"
    assert info.value.path == "$.data"
    with pytest.raises(DecodeError, match="unknown subject None"):
        decode_payload(C, "/contract/position:XBTUSDTM", None, raw)


def test_unmodelled_topic_still_gives_unknown_payload() -> None:
    p = decode_payload(C, "/spotMarket/level2Depth5:BTC-USDT", "level2", b'{"asks":[]}')
    assert p == UnknownPayload(
        topic="/spotMarket/level2Depth5:BTC-USDT", subject="level2", data={"asks": []}
    )
    q = decode_payload(P, "newChannel.UNIFIED", None, b'{"x":"1"}')
    assert q == UnknownPayload(topic="newChannel.UNIFIED", subject=None, data={"x": "1"})


@pytest.mark.parametrize(
    ("dialect", "topic", "expected"),
    [
        (C, "/spotMarket/tradeOrdersV2", True),
        (C, "/contract/position:XBTUSDTM", True),
        (C, "/contract/positionAll", True),
        (C, "/margin/isolatedPosition:BTC-USDT", True),
        (C, "/market/match:BTC-USDT,ETH-USDT", True),
        (C, "/spotMarket/level2Depth5:BTC-USDT", False),
        (C, "orderAll.SPOT", False),
        (P, "orderAll.SPOT", True),
        (P, "execution.lite.FUTURES", True),
        (P, "lw.UNIFIED", True),
        (P, "/spotMarket/tradeOrdersV2", False),
        (P, "newChannel.UNIFIED", False),
    ],
)
def test_is_modelled_topic(dialect: Dialect, topic: str, expected: bool) -> None:
    assert is_modelled_topic(dialect, topic) is expected


def test_every_registration_is_modelled() -> None:
    for r in REGISTRATIONS:
        topic = r.prefix if r.dialect is C else f"{r.prefix}.UNIFIED"
        assert is_modelled_topic(r.dialect, topic)


# --- numbers sent for text fields ---------------------------------------------------------------


def test_numbers_for_text_fields_keep_their_digits() -> None:
    raw = (
        b'{"E":"1774977429843000000","S":"SELL","p":"0.09211","q":"10","s":"DOGE-USDT",'
        b'"oi":428507829452754944,"ti":20801647764195330}'
    )
    p = decode_payload(P, "execution.lite.UNIFIED", None, raw)
    assert isinstance(p, ProExecutionLite)
    assert p.trade_id == "20801647764195330" and p.order_id == "428507829452754944"
    assert p.trade_time_ns == 1774977429843000000


def test_number_for_a_nested_text_field() -> None:
    raw = b'{"currency":"USDT","relationContext":{"symbol":"BTC-USDT","tradeId":12,"orderId":-3}}'
    p = decode_payload(C, "/account/balance", "account.balance", raw)
    assert isinstance(p, SpotBalanceChange) and p.relation_context is not None
    assert (p.relation_context.trade_id, p.relation_context.order_id) == ("12", "-3")


def test_text_for_a_number_field_is_not_quoted_back() -> None:
    with pytest.raises(DecodeError) as info:
        decode_payload(P, "execution.UNIFIED", None, b'{"oi":"1","s":"X","ti":"2","E":[1]}')
    assert info.value.path == "$.d.E"


# --- the envelope's Raw, as the router passes it --------------------------------------------------


SPOT_BLANKS = {
    "symbol": "BTC-USDT",
    "orderId": "1",
    "type": "received",
    "clientOid": "",
    "price": "",
    "orderTime": "",
    "liquidity": "",
}


def _as_raw(payload: bytes) -> msgspec.Raw:
    """``payload`` as the Classic envelope decoder hands it over: a `msgspec.Raw` slice."""
    frame = b'{"type":"message","topic":"t","data":' + payload + b"}"
    return msgspec.json.decode(frame, type=dict[str, msgspec.Raw])["data"]


@pytest.mark.parametrize(
    ("dialect", "topic", "subject", "payload"),
    [
        *[
            (d, prefix if d is C else f"{prefix}.SPOT", subject, json.dumps(MINIMAL[cls]).encode())
            for d, prefix, subject, cls in REGS
        ],
        (C, "/spotMarket/tradeOrdersV2", "orderChange", json.dumps(SPOT_BLANKS).encode()),
        (P, "execution.lite.UNIFIED", None, b'{"s":"DOGE-USDT","oi":42,"ti":20801647764195330}'),
        (C, "/margin/isolatedPosition:BTC-USDT", "positionChange", b'{"tag":"BTC-USDT"}'),
        (C, "/unmodelled", "x", b'{"a":""}'),
    ],
)
def test_the_envelopes_raw_decodes_as_its_bytes(
    dialect: Dialect, topic: str, subject: str | None, payload: bytes
) -> None:
    decode = decoder_for(dialect, topic, subject)
    assert decode(_as_raw(payload)) == decode(payload)


def test_the_envelopes_raw_fails_as_its_bytes() -> None:
    decode = decoder_for(C, "/spotMarket/tradeOrdersV2", "orderChange")
    bad = b'{"symbol":"BTC-USDT","orderId":"1","type":"open","price":"x","clientOid":""}'
    with pytest.raises(DecodeError) as from_raw:
        decode(_as_raw(bad))
    with pytest.raises(DecodeError) as from_bytes:
        decode(bad)
    assert str(from_raw.value) == str(from_bytes.value)
    assert from_raw.value.path == "$.data.price"


# --- blanks: the first decode refuses them ----------------------------------------------------


def test_every_payload_type_without_a_custom_decoder_is_blank_safe() -> None:
    """A plain ``str`` (or ``Any``) member would let a blank through as ``""``: text
    fields must be `Text` for payloads to skip the search for blanks."""
    for r in REGISTRATIONS:
        if r.decode is None and r.wrap_field is None:
            assert blank_safe(r.payload_type), r.payload_type.__name__


class _Nested(msgspec.Struct):
    name: Text | None = None


@pytest.mark.parametrize(
    ("tp", "safe"),
    [
        (int | Decimal | bool | float | None, True),
        (Text | None, True),
        (str | None, False),
        (int | str | None, False),
        (Any, False),
        (dict[str, Text], True),
        (dict[str, str], False),
        (list[str], True),  # a blank array item is left as it is either way
        (list[_Nested], True),
        (_Nested, True),
    ],
)
def test_blank_safe_types(tp: Any, safe: bool) -> None:
    assert blank_safe(msgspec.defstruct("Holder", [("x", tp)])) is safe


def test_a_blank_text_field_fails_the_first_decode_and_is_none_after() -> None:
    raw = b'{"symbol":"BTC-USDT","orderId":"1","type":"open","clientOid":"","side":"buy"}'
    with pytest.raises(msgspec.ValidationError, match="length >= 1"):
        msgspec.json.decode(raw, type=SpotOrderChange, strict=False)
    p = classic("/spotMarket/tradeOrdersV2", "orderChange", raw.decode())
    assert isinstance(p, SpotOrderChange) and p.client_oid is None and p.side == "buy"
