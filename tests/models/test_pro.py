"""Pro/UTA payload models: every CAPTURE/example frame of PROTOCOL.md §5.6, plus built ones."""

from __future__ import annotations

from decimal import Decimal

import msgspec
import pytest

from rxkucoin.exceptions import DecodeError
from rxkucoin.keys import Dialect
from rxkucoin.models import pro
from rxkucoin.models._base import Payload, UnknownPayload
from rxkucoin.models._registry import decode_payload, payload_type
from rxkucoin.models.pro import (
    ProBalance,
    ProExecution,
    ProExecutionLite,
    ProLeverage,
    ProLiquidationWarning,
    ProOrder,
    ProPosition,
)


class _Envelope(msgspec.Struct):
    T: str
    P: int
    d: msgspec.Raw


def _decode(frame: str) -> Payload:
    """Split a whole ``{T, P, d}`` frame and decode its ``d`` the way the client does."""
    env = msgspec.json.decode(frame, type=_Envelope)
    return decode_payload(Dialect.PRO, env.T, None, bytes(env.d))


# --- frames quoted verbatim from PROTOCOL.md §5.6 -------------------------------------------

ORDER_CANCEL_CAPTURE = (
    '{"T":"orderAll.UNIFIED","P":1771757876485897853,"d":{"tT":"FUTURES",'
    '"oi":"414938686455627776","ci":"mQAC54sT8VMAAQAAAAAA","os":5,"eT":"CANCEL",'
    '"s":"XBTUSDTM","S":"BUY","oT":"LIMIT","lR":"","oS":"USER","p":"50000","ti":"",'
    '"q":"1","qU":"UNIT","fS":"0","lS":"0","ls":"0","aP":"0","f":"0","fC":"USDT","t":"0",'
    '"cR":"USER","cS":"1","rS":"0","tD":"","tP":"","tPT":"","pP":"","pPT":"","lP":"",'
    '"lPT":"","toi":"","stp":"","rO":false,"tIF":"GTC","pO":false,'
    '"O":1771742294039455063,"U":1771757876483000000}}'
)

BALANCE_CAPTURE = (
    '{"T":"balance.UNIFIED","P":1771732989773425836,"d":{"c":"USDT","e":"500.0000000000",'
    '"b":"500.0000000000","a":"499.9700000000","h":"0.0300000000","U":1771504095649000000,'
    '"l":"0.0000000000"}}'
)

POSITION_CAPTURE = (
    '{"T":"positionAll.UNIFIED","P":1771761913787998066,"d":{"pi":"30000000000072788",'
    '"s":"XBTUSDTM","mM":"CROSS","q":"1","eP":"68130","pV":"68.1304","mP":"68130.4",'
    '"lP":"0.1","bP":"0.1","l":"3","uPL":"0.0004","rPL":"0.0047691",'
    '"iM":"22.71013333106232","mmr":"0.004","mtM":"0.2725216","U":1771761913781000000,'
    '"O":1771761913781000000}}'
)

EXECUTION_JKORF_EXAMPLE = (
    '{"T":"execution.SPOT","P":1770107561276396856,"d":{"E":1770107561258000000,"S":"BUY",'
    '"f":"0.00078823600000000000","p":"78823.6","q":"0.00001","s":"BTC-USDT","fC":"USDT",'
    '"lR":"TAKER","oT":"MARKET","oi":"6981b2a91c6fcb0007422784","ti":"21002796345212928"}}'
)

LEVERAGE_EXAMPLE_D = '{"s":"XBTUSDTM","l":"5.00"}'

# --- frames built from the §5.6 field tables --------------------------------------------------

ORDER_SPOT_FILL = (
    '{"T":"order.SPOT","P":1771800000000000999,"d":{"tT":"SPOT","oi":"6981b2a91c6fcb0007422785",'
    '"ci":"my-order-1","os":3,"eT":"FILL","s":"BTC-USDT","S":"SELL","oT":"LIMIT","pS":"",'
    '"lR":"MAKER","oS":"USER","p":"70000.5","ti":"21002796345212999","q":"0.002",'
    '"qU":"BASECCY","fS":"0.002","lS":"0.0015","ls":"70000.5","aP":"70000.5","f":"0.14",'
    '"fC":"USDT","t":"0","cR":"","cS":"0","rS":"0","tD":"","tP":"","tPT":"","pP":"",'
    '"pPT":"","pOP":"","lP":"","lPT":"","lOP":"","toi":"","stp":"CN","rO":false,'
    '"tIF":"GTC","pO":true,"O":1771799999000000000,"U":1771800000000000000}}'
)

ORDER_FUTURES_STOP = (
    '{"T":"orderAll.FUTURES","P":1771800000000001000,"d":{"tT":"FUTURES",'
    '"oi":"414938686455627999","ci":"stop-1","os":0,"eT":"OPEN","s":"XBTUSDTM","S":"SELL",'
    '"oT":"MARKET","pS":"BOTH","oS":"USER","p":"0","l":"5","mM":"ISOLATED","q":"2",'
    '"qU":"UNIT","fS":"0","tD":"DOWN","tP":"60000","tPT":"MP","pP":"75000","pPT":"TP",'
    '"pOP":"75100","lP":"58000","lPT":"IP","lOP":"57900","toi":"414938686455620000",'
    '"rO":true,"O":1771799999000000000,"U":1771800000000000000}}'
)

EXECUTION_LITE = (
    '{"T":"execution.lite.FUTURES","P":1771800000000002000,"d":{"oi":"414938686455627999",'
    '"ci":"stop-1","s":"XBTUSDTM","S":"SELL","oT":"MARKET","lR":"","p":"59990.1","q":"2",'
    '"ti":"1771800000000","fT":"LIQUID","E":1771800000001000000}}'
)

LIQUIDATION_WARNING = (
    '{"T":"lw.UNIFIED","P":1771800000000003000,"d":{"eT":"MARGIN_CALL","r":"0.8512",'
    '"a":"1234.56","iM":"800.1","mM":"1050.25","aM":"0","e":"1300.75","l":"66.19",'
    '"U":1771800000002000000}}'
)

LEVERAGE = '{"T":"leverage.UNIFIED","P":1771800000000004000,"d":' + LEVERAGE_EXAMPLE_D + "}"

BALANCE_FUTURES = (
    '{"T":"balance.FUTURES","P":1771800000000005000,"d":{"c":"USDT","e":"1010.5",'
    '"b":"1000","a":"900.25","h":"99.75","l":"0","U":1771800000003000000,"E":4711,'
    '"tCM":"60.5","cPM":"50.25","cOM":"10.25","cUP":"10.5","iPM":"30","iOM":"5",'
    '"iFF":"0.125","iUP":"-2.5","cS":1}}'
)

POSITION_SINGLE_SHORT = (
    '{"T":"position.FUTURES","P":1771800000000006000,"d":{"pi":"30000000000072799",'
    '"s":"ETHUSDTM","mM":"ISOLATED","q":"-7","eP":"2500.5","pV":"-175.035","mP":"2500.5",'
    '"lP":"2900","bP":"2950","l":"10","uPL":"-0.5","rPL":"0","iM":"17.5","mmr":"0.005",'
    '"mtM":"0.875","pM":"18","r":"0.05","adl":"0.35","U":1771800000004000000,'
    '"O":1771700000000000000}}'
)


# --- orders -----------------------------------------------------------------------------------


def test_order_cancel_capture() -> None:
    order = _decode(ORDER_CANCEL_CAPTURE)
    assert type(order) is ProOrder
    assert order.trade_type == "FUTURES"
    assert order.order_id == "414938686455627776"
    assert order.client_oid == "mQAC54sT8VMAAQAAAAAA"
    assert type(order.status_code) is int
    assert order.status_code == 5
    assert order.event_type == "CANCEL"
    assert (order.symbol, order.side, order.order_type) == ("XBTUSDTM", "BUY", "LIMIT")
    assert order.order_source == "USER"
    assert isinstance(order.price, Decimal)
    assert order.price == Decimal("50000")
    assert order.quantity == Decimal("1")
    assert order.quantity_unit == "UNIT"
    assert order.filled_quantity == Decimal("0")
    assert order.fee == Decimal("0")
    assert order.fee_currency == "USDT"
    assert order.tax == Decimal("0")
    assert order.cancel_reason == "USER"
    assert isinstance(order.canceled_quantity, Decimal)
    assert order.canceled_quantity == Decimal("1")
    assert order.remaining_quantity == Decimal("0")
    assert order.time_in_force == "GTC"
    assert order.reduce_only is False
    assert order.post_only is False
    assert type(order.created_ns) is int
    assert order.created_ns == 1771742294039455063
    assert type(order.updated_ns) is int
    assert order.updated_ns == 1771757876483000000
    # blanks become None
    assert order.last_liquidity_role is None
    assert order.last_trade_id is None
    assert order.trigger_direction is None
    assert order.trigger_price is None
    assert order.trigger_price_type is None
    assert order.take_profit_price is None
    assert order.stop_loss_price is None
    assert order.trigger_order_id is None
    assert order.self_trade_prevention is None
    # absent on this push
    assert order.leverage is None
    assert order.margin_mode is None
    assert order.position_side is None
    assert order.take_profit_order_price is None


def test_order_per_symbol_spot_fill() -> None:
    order = _decode(ORDER_SPOT_FILL)
    assert type(order) is ProOrder
    assert order.trade_type == "SPOT"
    assert order.status_code == 3
    assert order.event_type == "FILL"
    assert order.last_liquidity_role == "MAKER"
    assert order.last_trade_id == "21002796345212999"
    assert order.last_fill_quantity == Decimal("0.0015")
    assert isinstance(order.last_fill_price, Decimal)
    assert order.last_fill_price == Decimal("70000.5")
    assert order.average_price == Decimal("70000.5")
    assert order.fee == Decimal("0.14")
    assert order.self_trade_prevention == "CN"
    assert order.post_only is True
    assert order.position_side is None
    assert order.cancel_reason is None
    assert order.take_profit_order_price is None
    assert order.stop_loss_order_price is None


def test_order_futures_stop_with_tp_sl() -> None:
    order = _decode(ORDER_FUTURES_STOP)
    assert type(order) is ProOrder
    assert order.status_code == 0
    assert order.position_side == "BOTH"
    assert isinstance(order.leverage, Decimal)
    assert order.leverage == Decimal("5")
    assert order.margin_mode == "ISOLATED"
    assert order.trigger_direction == "DOWN"
    assert order.trigger_price == Decimal("60000")
    assert order.trigger_price_type == "MP"
    assert order.take_profit_price == Decimal("75000")
    assert order.take_profit_price_type == "TP"
    assert order.take_profit_order_price == Decimal("75100")
    assert order.stop_loss_price == Decimal("58000")
    assert order.stop_loss_price_type == "IP"
    assert order.stop_loss_order_price == Decimal("57900")
    assert order.trigger_order_id == "414938686455620000"
    assert order.reduce_only is True
    # absent keys default to None
    assert order.post_only is None
    assert order.time_in_force is None
    assert order.fee is None


def test_order_and_order_all_share_the_model() -> None:
    for topic in ("orderAll.UNIFIED", "orderAll.SPOT", "order.SPOT", "order.FUTURES"):
        assert payload_type(Dialect.PRO, topic, None) is ProOrder


# --- balance ----------------------------------------------------------------------------------


def test_balance_unified_capture() -> None:
    bal = _decode(BALANCE_CAPTURE)
    assert type(bal) is ProBalance
    assert bal.currency == "USDT"
    assert isinstance(bal.equity, Decimal)
    assert bal.equity == Decimal("500")
    assert bal.balance == Decimal("500.0000000000")
    assert isinstance(bal.available, Decimal)
    assert bal.available == Decimal("499.97")
    assert bal.hold == Decimal("0.03")
    assert bal.liability == Decimal("0")
    assert type(bal.updated_ns) is int
    assert bal.updated_ns == 1771504095649000000
    assert bal.sequence is None
    assert bal.total_cross_margin is None
    assert bal.collateral_status is None


def test_balance_futures_with_extras_and_sequence() -> None:
    bal = _decode(BALANCE_FUTURES)
    assert type(bal) is ProBalance
    assert type(bal.sequence) is int
    assert bal.sequence == 4711
    assert bal.total_cross_margin == Decimal("60.5")
    assert bal.cross_position_margin == Decimal("50.25")
    assert bal.cross_order_margin == Decimal("10.25")
    assert bal.cross_unrealised_pnl == Decimal("10.5")
    assert bal.isolated_position_margin == Decimal("30")
    assert bal.isolated_order_margin == Decimal("5")
    assert isinstance(bal.isolated_funding_fee_margin, Decimal)
    assert bal.isolated_funding_fee_margin == Decimal("0.125")
    assert bal.isolated_unrealised_pnl == Decimal("-2.5")
    assert bal.collateral_status == 1
    assert type(bal.collateral_status) is int


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(b"2", 2), (b'"2"', "2"), (b'"NORMAL"', "NORMAL"), (b'""', None), (b"null", None)],
)
def test_balance_collateral_status_accepts_int_or_string(raw: bytes, expected: object) -> None:
    d = b'{"c":"BTC","b":"1","a":"1","U":1,"cS":' + raw + b"}"
    bal = decode_payload(Dialect.PRO, "balance.UNIFIED", None, d)
    assert isinstance(bal, ProBalance)
    assert bal.collateral_status == expected
    assert type(bal.collateral_status) is type(expected)


# --- positions --------------------------------------------------------------------------------


def test_position_all_capture() -> None:
    pos = _decode(POSITION_CAPTURE)
    assert type(pos) is ProPosition
    assert pos.position_id == "30000000000072788"
    assert pos.symbol == "XBTUSDTM"
    assert pos.margin_mode == "CROSS"
    assert isinstance(pos.quantity, Decimal)
    assert pos.quantity == Decimal("1")
    assert pos.entry_price == Decimal("68130")
    assert pos.position_value == Decimal("68.1304")
    assert pos.mark_price == Decimal("68130.4")
    assert pos.liquidation_price == Decimal("0.1")
    assert pos.bankruptcy_price == Decimal("0.1")
    assert pos.leverage == Decimal("3")
    assert pos.unrealised_pnl == Decimal("0.0004")
    assert pos.realised_pnl == Decimal("0.0047691")
    assert isinstance(pos.initial_margin, Decimal)
    assert pos.initial_margin == Decimal("22.71013333106232")
    assert pos.maintenance_margin_rate == Decimal("0.004")
    assert pos.maintenance_margin == Decimal("0.2725216")
    assert type(pos.updated_ns) is int
    assert pos.updated_ns == 1771761913781000000
    assert pos.created_ns == 1771761913781000000
    assert pos.position_margin is None
    assert pos.risk_ratio is None
    assert pos.adl_percentile is None


def test_position_per_symbol_short_with_later_fields() -> None:
    pos = _decode(POSITION_SINGLE_SHORT)
    assert type(pos) is ProPosition
    assert pos.quantity == Decimal("-7")
    assert pos.quantity < 0
    assert pos.margin_mode == "ISOLATED"
    assert pos.position_margin == Decimal("18")
    assert pos.risk_ratio == Decimal("0.05")
    assert isinstance(pos.adl_percentile, Decimal)
    assert pos.adl_percentile == Decimal("0.35")


@pytest.mark.parametrize(
    ("raw", "expected"), [(b'"0.35"', Decimal("0.35")), (b"3", Decimal(3)), (b'""', None)]
)
def test_position_adl_accepts_decimal_string_or_number(raw: bytes, expected: object) -> None:
    d = b'{"pi":"1","s":"XBTUSDTM","mM":"CROSS","q":"0","U":1,"adl":' + raw + b"}"
    pos = decode_payload(Dialect.PRO, "positionAll.UNIFIED", None, d)
    assert isinstance(pos, ProPosition)
    assert pos.adl_percentile == expected


# --- executions -------------------------------------------------------------------------------


def test_execution_jkorf_example() -> None:
    fill = _decode(EXECUTION_JKORF_EXAMPLE)
    assert type(fill) is ProExecution
    assert fill.order_id == "6981b2a91c6fcb0007422784"
    assert fill.symbol == "BTC-USDT"
    assert fill.side == "BUY"
    assert fill.order_type == "MARKET"
    assert fill.liquidity_role == "TAKER"
    assert isinstance(fill.price, Decimal)
    assert fill.price == Decimal("78823.6")
    assert fill.quantity == Decimal("0.00001")
    assert fill.trade_id == "21002796345212928"
    assert isinstance(fill.fee, Decimal)
    assert fill.fee == Decimal("0.000788236")
    assert fill.fee_currency == "USDT"
    assert type(fill.trade_time_ns) is int
    assert fill.trade_time_ns == 1770107561258000000
    assert fill.client_oid is None
    assert fill.tax is None
    assert fill.fill_type is None


def test_execution_lite() -> None:
    fill = _decode(EXECUTION_LITE)
    assert type(fill) is ProExecutionLite
    assert fill.order_id == "414938686455627999"
    assert fill.client_oid == "stop-1"
    assert fill.side == "SELL"
    assert fill.price == Decimal("59990.1")
    assert isinstance(fill.quantity, Decimal)
    assert fill.liquidity_role is None  # "" on the wire
    assert fill.fill_type == "LIQUID"
    assert fill.trade_time_ns == 1771800000001000000
    assert not hasattr(fill, "fee")
    assert not hasattr(fill, "fee_currency")


def test_execution_lite_is_not_execution() -> None:
    assert payload_type(Dialect.PRO, "execution.lite.SPOT", None) is ProExecutionLite
    assert payload_type(Dialect.PRO, "execution.SPOT", None) is ProExecution
    assert payload_type(Dialect.PRO, "execution.UNIFIED", None) is ProExecution


# --- liquidation warning and leverage ---------------------------------------------------------


def test_liquidation_warning() -> None:
    lw = _decode(LIQUIDATION_WARNING)
    assert type(lw) is ProLiquidationWarning
    assert lw.event_type == "MARGIN_CALL"
    assert isinstance(lw.risk_ratio, Decimal)
    assert lw.risk_ratio == Decimal("0.8512")
    assert lw.adjusted_equity == Decimal("1234.56")
    assert lw.initial_margin == Decimal("800.1")
    assert lw.maintenance_margin == Decimal("1050.25")
    assert lw.available_margin == Decimal("0")
    assert lw.equity == Decimal("1300.75")
    assert lw.liability == Decimal("66.19")
    assert type(lw.updated_ns) is int
    assert lw.updated_ns == 1771800000002000000


def test_leverage_example() -> None:
    lev = decode_payload(Dialect.PRO, "leverage.FUTURES", None, LEVERAGE_EXAMPLE_D.encode())
    assert type(lev) is ProLeverage
    assert lev.symbol == "XBTUSDTM"
    assert isinstance(lev.leverage, Decimal)
    assert lev.leverage == Decimal("5.00")
    assert _decode(LEVERAGE) == lev


# --- payloads are frozen ------------------------------------------------------------------------


def test_payloads_are_frozen() -> None:
    lev = decode_payload(Dialect.PRO, "leverage.UNIFIED", None, LEVERAGE_EXAMPLE_D.encode())
    assert isinstance(lev, ProLeverage)
    with pytest.raises(AttributeError):
        lev.leverage = Decimal(1)  # type: ignore[misc]


# --- errors, extra keys, unknown channels -------------------------------------------------------


def test_wrong_type_raises_decode_error_with_path_and_topic() -> None:
    d = ORDER_CANCEL_CAPTURE.split('"d":', 1)[1][:-1].replace('"os":5', '"os":"five"')
    with pytest.raises(DecodeError) as info:
        decode_payload(Dialect.PRO, "orderAll.UNIFIED", None, d.encode())
    assert info.value.topic == "orderAll.UNIFIED"
    assert info.value.path is not None
    assert info.value.path.startswith("$.d.")
    assert info.value.path == "$.d.os"


def test_bad_decimal_raises_decode_error() -> None:
    with pytest.raises(DecodeError) as info:
        decode_payload(Dialect.PRO, "leverage.UNIFIED", None, b'{"s":"XBTUSDTM","l":"five"}')
    assert info.value.topic == "leverage.UNIFIED"
    assert info.value.path == "$.d.l"


def test_missing_required_field_raises_decode_error() -> None:
    with pytest.raises(DecodeError) as info:
        decode_payload(Dialect.PRO, "leverage.UNIFIED", None, b'{"l":"5"}')
    assert info.value.topic == "leverage.UNIFIED"
    assert "s" in info.value.reason
    assert info.value.path is not None
    assert info.value.path.startswith("$.d")


def test_unknown_extra_keys_are_ignored() -> None:
    d = b'{"s":"XBTUSDTM","l":"5","zz":{"nested":[1,2]},"newKey":"x"}'
    lev = decode_payload(Dialect.PRO, "leverage.UNIFIED", None, d)
    assert lev == ProLeverage(symbol="XBTUSDTM", leverage=Decimal("5"))
    bal = _decode(BALANCE_CAPTURE.replace('"c":"USDT"', '"c":"USDT","xY":"1","qq":7'))
    assert isinstance(bal, ProBalance)
    assert bal.currency == "USDT"


def test_unknown_channel_returns_unknown_payload() -> None:
    out = decode_payload(Dialect.PRO, "foo.UNIFIED", None, b'{"a":"1","b":2}')
    assert type(out) is UnknownPayload
    assert out.topic == "foo.UNIFIED"
    assert out.subject is None
    assert out.data == {"a": "1", "b": 2}


def test_registrations() -> None:
    prefixes = [reg.prefix for reg in pro.REGISTRATIONS]
    assert sorted(prefixes) == sorted(
        [
            "orderAll",
            "order",
            "balance",
            "positionAll",
            "position",
            "execution",
            "execution.lite",
            "lw",
            "leverage",
        ]
    )
    for reg in pro.REGISTRATIONS:
        assert reg.dialect is Dialect.PRO
        assert reg.subject is None
        assert reg.payload_type.__name__ in pro.__all__
