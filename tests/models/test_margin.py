"""Margin payloads: cross debt ratio and status, isolated positions (PROTOCOL.md §4.5-§4.6)."""

from __future__ import annotations

from decimal import Decimal

import msgspec
import pytest

from rxkucoin.exceptions import DecodeError
from rxkucoin.keys import Dialect
from rxkucoin.models import margin
from rxkucoin.models._base import Payload
from rxkucoin.models._registry import decode_payload, payload_type
from rxkucoin.models.margin import (
    IsolatedMarginAssetChange,
    IsolatedMarginPositionChange,
    MarginAssetBalance,
    MarginDebtRatio,
    MarginPositionStatus,
)


class _Frame(msgspec.Struct):
    topic: str
    subject: str
    data: msgspec.Raw


def decode_frame(frame: str) -> Payload:
    """Decode a whole Classic push the way the client does: its ``data`` by topic/subject."""
    env = msgspec.json.decode(frame, type=_Frame)
    return decode_payload(Dialect.CLASSIC, env.topic, env.subject, bytes(env.data))


# Built from the §4.5 table: debtRatio/totalAsset are JSON numbers, the rest strings.
DEBT_RATIO = (
    '{"topic":"/margin/position","type":"message","subject":"debt.ratio",'
    '"userId":"633559791e1cbc0001f319bc","channelType":"private",'
    '"data":{"debtRatio":0.7505,"totalAsset":0.0123,"marginCoefficientTotalAsset":"0.0117",'
    '"totalDebt":"21.7505","assetList":{"BTC":{"total":"0.0123","available":"0.0100",'
    '"hold":"0.0023"},"USDT":{"total":"100","available":"100","hold":"0"}},'
    '"debtList":{"BTC":"1.21","USDT":"2121.2121","EOS":"0"},"timestamp":1730211033305}}'
)

# No liabilities: debtRatio is the integer 0; the older shape has no assetList/totalAsset.
DEBT_RATIO_ZERO = (
    '{"topic":"/margin/position","type":"message","subject":"debt.ratio",'
    '"userId":"633559791e1cbc0001f319bc","channelType":"private",'
    '"data":{"debtRatio":0,"totalDebt":"0","debtList":{},"timestamp":1730211037305}}'
)

POSITION_STATUS = (
    '{"topic":"/margin/position","type":"message","subject":"position.status",'
    '"userId":"633559791e1cbc0001f319bc","channelType":"private",'
    '"data":{"type":"FROZEN_FL","timestamp":1730211033305}}'
)

# Built from the §4.6 table.
ISOLATED_POSITION = (
    '{"topic":"/margin/isolatedPosition:BTC-USDT","type":"message",'
    '"subject":"positionChange","userId":"633559791e1cbc0001f319bc","channelType":"private",'
    '"data":{"tag":"BTC-USDT","status":"DEBT","statusBizType":"TRADE_AUTO_BORROW",'
    '"accumulatedPrincipal":"5.01","changeAssets":{'
    '"BTC":{"total":"0.00043","hold":"0","liabilityPrincipal":"0","liabilityInterest":"0"},'
    '"USDT":{"total":"0","hold":"0","liabilityPrincipal":"5.01",'
    '"liabilityInterest":"0.00000114"}},"timestamp":1730211033305}}'
)


def test_debt_ratio() -> None:
    p = decode_frame(DEBT_RATIO)
    assert type(p) is MarginDebtRatio
    assert type(p.debt_ratio) is float and p.debt_ratio == 0.7505
    assert type(p.total_asset) is float and p.total_asset == 0.0123
    assert isinstance(p.margin_coefficient_total_asset, Decimal)
    assert p.margin_coefficient_total_asset == Decimal("0.0117")
    assert isinstance(p.total_debt, Decimal) and p.total_debt == Decimal("21.7505")
    assert type(p.timestamp) is int and p.timestamp == 1730211033305
    assert set(p.asset_list) == {"BTC", "USDT"}
    btc = p.asset_list["BTC"]
    assert type(btc) is MarginAssetBalance
    assert isinstance(btc.total, Decimal) and btc.total == Decimal("0.0123")
    assert isinstance(btc.available, Decimal) and btc.available == Decimal("0.0100")
    assert isinstance(btc.hold, Decimal) and btc.hold == Decimal("0.0023")
    assert p.debt_list == {
        "BTC": Decimal("1.21"),
        "USDT": Decimal("2121.2121"),
        "EOS": Decimal("0"),
    }
    assert all(isinstance(v, Decimal) for v in p.debt_list.values())


def test_debt_ratio_zero_and_older_shape() -> None:
    p = decode_frame(DEBT_RATIO_ZERO)
    assert type(p) is MarginDebtRatio
    assert type(p.debt_ratio) is float and p.debt_ratio == 0.0
    assert p.total_asset is None
    assert p.margin_coefficient_total_asset is None
    assert p.asset_list == {} and p.debt_list == {}
    assert p.total_debt == Decimal("0")


def test_position_status() -> None:
    p = decode_frame(POSITION_STATUS)
    assert type(p) is MarginPositionStatus
    assert type(p.type) is str and p.type == "FROZEN_FL"
    assert type(p.timestamp) is int and p.timestamp == 1730211033305


@pytest.mark.parametrize(
    "kind",
    ["FROZEN_FL", "UNFROZEN_FL", "FROZEN_RENEW", "UNFROZEN_RENEW", "LIABILITY", "UNLIABILITY"],
)
def test_position_status_kinds(kind: str) -> None:
    data = f'{{"type":"{kind}","timestamp":1}}'.encode()
    p = decode_payload(Dialect.CLASSIC, "/margin/position", "position.status", data)
    assert type(p) is MarginPositionStatus and p.type == kind


def test_isolated_position_change() -> None:
    p = decode_frame(ISOLATED_POSITION)
    assert type(p) is IsolatedMarginPositionChange
    assert p.tag == "BTC-USDT"
    assert p.status == "DEBT"
    assert p.status_biz_type == "TRADE_AUTO_BORROW"
    assert isinstance(p.accumulated_principal, Decimal)
    assert p.accumulated_principal == Decimal("5.01")
    assert type(p.timestamp) is int and p.timestamp == 1730211033305
    usdt = p.change_assets["USDT"]
    assert type(usdt) is IsolatedMarginAssetChange
    assert isinstance(usdt.liability_principal, Decimal)
    assert usdt.liability_principal == Decimal("5.01")
    assert isinstance(usdt.liability_interest, Decimal)
    assert usdt.liability_interest == Decimal("0.00000114")
    assert isinstance(usdt.total, Decimal) and usdt.total == Decimal("0")
    assert isinstance(usdt.hold, Decimal) and usdt.hold == Decimal("0")
    assert p.change_assets["BTC"].total == Decimal("0.00043")


@pytest.mark.parametrize(
    "topic", ["/margin/isolatedPosition:BTC-USDT", "/margin/isolatedPosition:ETH-USDT"]
)
def test_isolated_symbol_suffix_ignored_for_lookup(topic: str) -> None:
    assert payload_type(Dialect.CLASSIC, topic, "positionChange") is IsolatedMarginPositionChange
    data = b'{"tag":"ETH-USDT","status":"CLEAR","timestamp":1,"extra":[1]}'
    p = decode_payload(Dialect.CLASSIC, topic, "positionChange", data)
    assert type(p) is IsolatedMarginPositionChange
    assert p.status == "CLEAR" and p.change_assets == {} and p.status_biz_type is None


def test_unknown_fields_are_ignored() -> None:
    data = b'{"debtRatio":0.1,"totalDebt":"1","timestamp":5,"newThing":{"x":"y"}}'
    p = decode_payload(Dialect.CLASSIC, "/margin/position", "debt.ratio", data)
    assert type(p) is MarginDebtRatio and p.timestamp == 5


def test_wrong_type_raises_decode_error_with_path() -> None:
    data = b'{"type":"LIABILITY","timestamp":"abc"}'
    with pytest.raises(DecodeError) as info:
        decode_payload(Dialect.CLASSIC, "/margin/position", "position.status", data)
    assert info.value.topic == "/margin/position"
    assert info.value.path == "$.data.timestamp"


def test_nested_wrong_type_path() -> None:
    data = (
        b'{"tag":"BTC-USDT","status":"DEBT","timestamp":1,'
        b'"changeAssets":{"BTC":{"total":"x","hold":"0","liabilityPrincipal":"0",'
        b'"liabilityInterest":"0"}}}'
    )
    topic = "/margin/isolatedPosition:BTC-USDT"
    with pytest.raises(DecodeError) as info:
        decode_payload(Dialect.CLASSIC, topic, "positionChange", data)
    assert info.value.topic == topic
    assert info.value.path == "$.data.changeAssets[...].total"


def test_registrations_and_all() -> None:
    assert {(r.prefix, r.subject): r.payload_type for r in margin.REGISTRATIONS} == {
        ("/margin/position", "debt.ratio"): MarginDebtRatio,
        ("/margin/position", "position.status"): MarginPositionStatus,
        ("/margin/isolatedPosition", "positionChange"): IsolatedMarginPositionChange,
    }
    assert all(r.dialect is Dialect.CLASSIC for r in margin.REGISTRATIONS)
    for name in margin.__all__:
        assert hasattr(margin, name)
