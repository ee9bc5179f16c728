"""Payloads of the Classic (V1) futures private topics (PROTOCOL.md §4.7-§4.11).

Typing follows the wire: the order, stop-order and wallet topics send decimals as strings
(`decimal.Decimal` here), while the position topics send plain JSON numbers (`float` for
fractional values, `int` for contract counts and times). Times are ints whose unit each
Attributes section names.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Final

import msgspec

from ..keys import Dialect
from ._base import Payload, Registration

__all__ = (
    "CrossLeverage",
    "FuturesAvailableBalanceChange",
    "FuturesCrossLeverageChange",
    "FuturesFundingEvent",
    "FuturesMarginModeChange",
    "FuturesOrderChange",
    "FuturesOrderMarginChange",
    "FuturesPositionChange",
    "FuturesPositionEvent",
    "FuturesPositionMarkPrice",
    "FuturesPositionSettlement",
    "FuturesRiskLimitAdjustment",
    "FuturesStopOrderChange",
    "FuturesWalletBalance",
    "FuturesWalletEvent",
    "FuturesWithdrawHoldChange",
)


# --------------------------------------------------------------------------- orders (§4.7)


class FuturesOrderChange(Payload, frozen=True, kw_only=True):
    """An order update on ``/contractMarket/tradeOrders[:{symbol}]``.

    Pushed with subject ``orderChange`` or ``symbolOrderChange`` (the docs disagree on which
    topic uses which; both decode to this type).

    Attributes:
        symbol: contract symbol, e.g. ``XBTUSDTM``.
        side: ``buy`` / ``sell``.
        order_id: the exchange's order id (a numeric-looking string).
        type: event type: ``open``, ``match``, ``update``, ``filled``, ``canceled``.
        status: order status: ``open``, ``match``, ``done``.
        size: order size in contracts.
        filled_size: cumulative filled size, contracts.
        remain_size: remaining size, contracts.
        canceled_size: cumulative canceled size, contracts.
        order_time: order creation time; the spec says ms but the examples show ns
            (``1731916985768138917``): accept both, check the magnitude.
        ts: match-engine push time, ns.
        price: limit price; ``None`` for market orders.
        order_type: ``limit`` / ``market``.
        client_oid: the client order id, if one was given.
        margin_mode: ``ISOLATED`` / ``CROSS`` (absent from pre-2024 pushes).
        trade_type: ``trade`` (normal) / ``liquid`` (liquidation); the spec marks it
            required but the examples omit it.
        old_size: size before the update, on ``update``.
        liquidity: ``maker`` / ``taker``, on ``match``.
        fee_type: ``makerFee`` / ``takerFee``, on ``match``.
        match_price: fill price, on ``match``.
        match_size: fill size, contracts, on ``match``.
        trade_id: the fill's trade id, on ``match``.
    """

    symbol: str
    side: str
    order_id: str
    type: str
    status: str
    size: Decimal
    filled_size: Decimal
    remain_size: Decimal
    canceled_size: Decimal
    order_time: int
    ts: int
    price: Decimal | None = None
    order_type: str | None = None
    client_oid: str | None = None
    margin_mode: str | None = None
    trade_type: str | None = None
    old_size: Decimal | None = None
    liquidity: str | None = None
    fee_type: str | None = None
    match_price: Decimal | None = None
    match_size: Decimal | None = None
    trade_id: str | None = None


# ------------------------------------------------------------------- stop orders (§4.8)


class FuturesStopOrderChange(Payload, frozen=True, kw_only=True):
    """A stop-order lifecycle event on ``/contractMarket/advancedOrders`` (``stopOrder``).

    Decoded leniently: ``size`` is an integer in docs-new but a string in the old docs, so
    numeric strings are accepted for every int and bool field of this type.

    Attributes:
        order_id: the exchange's order id.
        symbol: contract symbol.
        type: event type: ``open``, ``triggered``, ``cancel``.
        side: ``buy`` / ``sell``.
        created_at: order creation time, ms.
        ts: push time, ns.
        order_type: ``stop``.
        size: order size in contracts (sent as ``1`` or ``"1"``).
        order_price: limit price of the order placed on trigger; ``None`` for market.
        stop: ``up`` / ``down``.
        stop_price: trigger price.
        stop_price_type: ``TP`` (trade price), ``MP`` (mark price), ``IP`` (index price).
        margin_mode: ``ISOLATED`` / ``CROSS`` (docs-new only).
        trigger_success: whether the triggered order was placed, on ``triggered`` (old docs).
        error: why placing the triggered order failed (old docs).
    """

    order_id: str
    symbol: str
    type: str
    side: str
    created_at: int
    ts: int
    order_type: str | None = None
    size: int | None = None
    order_price: Decimal | None = None
    stop: str | None = None
    stop_price: Decimal | None = None
    stop_price_type: str | None = None
    margin_mode: str | None = None
    trigger_success: bool | None = None
    error: str | None = None


# ------------------------------------------------------------------------ wallet (§4.9)


class FuturesWalletBalance(Payload, frozen=True, kw_only=True):
    """A futures account balance on ``/contractAccount/wallet`` (``walletBalance.change``).

    Every value is a string on the wire.

    Attributes:
        currency: settlement currency, e.g. ``USDT``.
        wallet_balance: wallet balance.
        available_balance: available balance.
        hold_balance: frozen balance.
        equity: equity.
        total_cross_margin: total margin in cross mode.
        cross_pos_margin: margin of cross positions.
        cross_order_margin: margin of cross orders.
        cross_un_pnl: unrealised PnL of cross positions.
        isolated_pos_margin: margin of isolated positions, including their funding fees.
        isolated_order_margin: margin of isolated orders.
        isolated_funding_fee_margin: isolated funding fee margin.
        isolated_un_pnl: unrealised PnL of isolated positions.
        version: balance version, a string counter; with cross positions the available
            balance may move with the mark price under the same version (see §6).
        timestamp: last modification time, epoch ms as a string (see `timestamp_ms`).
        max_withdraw_amount: maximum withdrawable amount (only in newer pushes).
    """

    currency: str
    wallet_balance: Decimal
    available_balance: Decimal
    hold_balance: Decimal
    equity: Decimal
    total_cross_margin: Decimal
    cross_pos_margin: Decimal
    cross_order_margin: Decimal
    cross_un_pnl: Decimal
    isolated_pos_margin: Decimal
    isolated_order_margin: Decimal
    isolated_funding_fee_margin: Decimal
    isolated_un_pnl: Decimal
    version: str
    timestamp: str
    max_withdraw_amount: Decimal | None = None

    @property
    def timestamp_ms(self) -> int:
        """`timestamp` as an int, epoch ms."""
        return int(self.timestamp)


class FuturesOrderMarginChange(Payload, frozen=True, kw_only=True):
    """Legacy ``orderMargin.change`` on ``/contractAccount/wallet`` (old docs; may be gone).

    Attributes:
        order_margin: margin held by open orders (a JSON number).
        currency: settlement currency.
        timestamp: event time, ms.
    """

    order_margin: float
    currency: str
    timestamp: int


class FuturesAvailableBalanceChange(Payload, frozen=True, kw_only=True):
    """Legacy ``availableBalance.change`` on ``/contractAccount/wallet`` (old docs).

    Attributes:
        available_balance: available balance (a JSON number).
        currency: settlement currency.
        timestamp: event time, ms.
        hold_balance: frozen balance (added to the push in 2021).
    """

    available_balance: float
    currency: str
    timestamp: int
    hold_balance: float | None = None


class FuturesWithdrawHoldChange(Payload, frozen=True, kw_only=True):
    """Legacy ``withdrawHold.change`` on ``/contractAccount/wallet`` (old docs).

    Attributes:
        withdraw_hold: amount held for withdrawals and transfers out (a JSON number).
        currency: settlement currency.
        timestamp: event time, ms.
    """

    withdraw_hold: float
    currency: str
    timestamp: int


# --------------------------------------------------------------------- positions (§4.10)


class FuturesPositionChange(Payload, frozen=True, kw_only=True):
    """A full position snapshot on ``/contract/position[All]`` (``position.change``).

    Everything numeric is a JSON number on the wire (not a string). Pushes whose
    ``changeReason`` is ``markPriceChange`` carry fewer fields and decode to
    `FuturesPositionMarkPrice` instead.

    Attributes:
        symbol: contract symbol.
        cross_mode: whether the position is in cross margin mode.
        delev_percentage: ADL ranking percentile.
        opening_timestamp: position open time, ms.
        current_timestamp: snapshot time, ms.
        current_qty: signed position size in contracts (negative = short).
        current_cost: current position value.
        current_comm: current commission.
        unrealised_cost: unrealised value.
        realised_gross_cost: accumulated realised gross cost.
        realised_cost: current realised position value.
        is_open: whether the position is open.
        mark_price: mark price.
        mark_value: mark value.
        pos_cost: position value.
        pos_init: initial margin.
        pos_margin: position margin (bankruptcy cost).
        realised_gross_pnl: accumulated realised gross PnL.
        realised_pnl: realised PnL.
        unrealised_pnl: unrealised PnL.
        unrealised_pnl_pcnt: PnL ratio of the position.
        unrealised_roe_pcnt: return on equity.
        avg_entry_price: average entry price.
        liquidation_price: liquidation price.
        bankrupt_price: bankruptcy price.
        settle_currency: settlement currency.
        change_reason: why it was pushed: ``positionChange``, ``marginChange``,
            ``liquidation``, ``autoAppendMarginStatusChange``, ``adl`` (old docs list).
        margin_mode: ``CROSS`` / ``ISOLATED`` (pushes since the 2024 cross-margin launch).
        position_side: ``BOTH`` (one-way mode).
        leverage: leverage.
        auto_deposit: isolated only: auto-deposit margin enabled.
        maint_margin_req: isolated only: maintenance margin rate.
        risk_limit: isolated only: risk limit.
        real_leverage: isolated only: effective leverage.
        pos_cross: isolated only: manually added margin.
        pos_comm: isolated only: bankruptcy cost (fees reserved).
        pos_loss: isolated only: funding fees paid out.
        pos_funding: isolated only: unsettled funding fee.
        pos_maint: isolated only: maintenance margin.
        maint_margin: isolated only: position margin.
        risk_limit_level: isolated only: risk limit level.
    """

    symbol: str
    cross_mode: bool
    delev_percentage: float
    opening_timestamp: int
    current_timestamp: int
    current_qty: int
    current_cost: float
    current_comm: float
    unrealised_cost: float
    realised_gross_cost: float
    realised_cost: float
    is_open: bool
    mark_price: float
    mark_value: float
    pos_cost: float
    pos_init: float
    pos_margin: float
    realised_gross_pnl: float
    realised_pnl: float
    unrealised_pnl: float
    unrealised_pnl_pcnt: float
    unrealised_roe_pcnt: float
    avg_entry_price: float
    liquidation_price: float
    bankrupt_price: float
    settle_currency: str
    change_reason: str | None = None
    margin_mode: str | None = None
    position_side: str | None = None
    leverage: float | None = None
    auto_deposit: bool | None = None
    maint_margin_req: float | None = None
    risk_limit: int | None = None
    real_leverage: float | None = None
    pos_cross: float | None = None
    pos_comm: float | None = None
    pos_loss: float | None = None
    pos_funding: float | None = None
    pos_maint: float | None = None
    maint_margin: float | None = None
    risk_limit_level: int | None = None


class FuturesPositionMarkPrice(Payload, frozen=True, kw_only=True):
    """The reduced ``position.change`` pushed when only the mark price moved.

    Recognised by ``changeReason: "markPriceChange"``; the old docs' example of this
    payload has no ``changeReason`` (nor ``symbol``, nor ``currentQty``), so a
    ``position.change`` without ``changeReason`` and without ``currentQty`` decodes here too.
    The symbol is in the topic when the payload lacks it.

    Attributes:
        mark_price: mark price.
        mark_value: mark value.
        unrealised_pnl: unrealised PnL.
        unrealised_pnl_pcnt: PnL ratio of the position.
        unrealised_roe_pcnt: return on equity.
        delev_percentage: ADL ranking percentile.
        current_timestamp: snapshot time, ms.
        settle_currency: settlement currency.
        maint_margin: position margin (isolated positions).
        real_leverage: effective leverage (isolated positions).
        change_reason: ``markPriceChange`` (absent in the old docs' example).
        symbol: contract symbol, if sent.
    """

    mark_price: float
    mark_value: float
    unrealised_pnl: float
    unrealised_pnl_pcnt: float
    unrealised_roe_pcnt: float
    delev_percentage: float
    current_timestamp: int
    settle_currency: str
    maint_margin: float | None = None
    real_leverage: float | None = None
    change_reason: str | None = None
    symbol: str | None = None


class FuturesPositionSettlement(Payload, frozen=True, kw_only=True):
    """A funding settlement on ``/contract/position[All]`` (``position.settlement``).

    Attributes:
        funding_time: funding time, ms.
        qty: position size in contracts at settlement.
        funding_rate: funding rate.
        funding_fee: funding fee (negative = paid).
        ts: settlement time, ns.
        settle_currency: settlement currency.
        mark_price: settlement (mark) price; some third-party examples omit it.
        symbol: contract symbol, if sent (the docs' examples carry it only in the topic).
    """

    funding_time: int
    qty: int
    funding_rate: float
    funding_fee: float
    ts: int
    settle_currency: str
    mark_price: float | None = None
    symbol: str | None = None


class FuturesRiskLimitAdjustment(Payload, frozen=True, kw_only=True):
    """The result of a risk limit change (``position.adjustRiskLimit``).

    Attributes:
        success: whether the adjustment succeeded.
        risk_limit_level: the current risk limit level.
        msg: the failure reason; ``None`` (blank on the wire) on success.
        symbol: contract symbol, if sent (the docs' examples carry it only in the topic).
    """

    success: bool
    risk_limit_level: int
    msg: str | None = None
    symbol: str | None = None


class FuturesFundingEvent(Payload, frozen=True, kw_only=True):
    """Start or end of a funding settlement (``funding.begin`` / ``funding.end``).

    Third-party report of a 2026 addition to ``/contract/positionAll``; the shape matches
    the public ``/contract/announcement`` push. Types are UNVERIFIED, so numbers are also
    accepted as numeric strings.

    Attributes:
        symbol: contract symbol.
        funding_time: funding time, ms.
        funding_rate: funding rate.
        timestamp: event time, ms.
    """

    symbol: str
    funding_time: int | None = None
    funding_rate: float | None = None
    timestamp: int | None = None


# ----------------------------------------------------------------- user config (§4.11)


class FuturesMarginModeChange(Payload, frozen=True, kw_only=True):
    """Margin mode changes on ``/contract/marginMode`` (``user.config``).

    The wire payload is a bare object such as ``{"ETHUSDTM": "ISOLATED"}``.

    Attributes:
        modes: symbol → margin mode (``ISOLATED`` / ``CROSS``).
    """

    modes: dict[str, str]


class CrossLeverage(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """One symbol's entry in a `FuturesCrossLeverageChange`.

    Attributes:
        leverage: the cross-margin leverage (``"8"`` in docs-new, ``5`` in old examples;
            both decode).
    """

    leverage: Decimal


class FuturesCrossLeverageChange(Payload, frozen=True, kw_only=True):
    """Cross-margin leverage changes on ``/contract/crossLeverage`` (``user.config``).

    The wire payload is a bare object such as ``{"ETHUSDTM": {"leverage": "8"}}``.

    Attributes:
        leverages: symbol → its new cross leverage.
    """

    leverages: dict[str, CrossLeverage]


# ----------------------------------------------------------------------- decoding


_MARK_PRICE_REASON: Final = re.compile(rb'"changeReason"\s*:\s*"markPriceChange"')
_full_position: Final = msgspec.json.Decoder(FuturesPositionChange)
_mark_price_position: Final = msgspec.json.Decoder(FuturesPositionMarkPrice)


def _is_mark_price_change(raw: bytes) -> bool:
    """Whether a ``position.change`` payload is the reduced mark-price form."""
    if b"markPriceChange" in raw:
        return _MARK_PRICE_REASON.search(raw) is not None
    # The old docs' reduced example has neither changeReason nor currentQty.
    return b'"changeReason"' not in raw and b'"currentQty"' not in raw


def _decode_position_change(raw: bytes) -> FuturesPositionChange | FuturesPositionMarkPrice:
    if _is_mark_price_change(raw):
        return _mark_price_position.decode(raw)
    return _full_position.decode(raw)


_decode_stop_order: Final = msgspec.json.Decoder(FuturesStopOrderChange, strict=False).decode
_decode_funding_event: Final = msgspec.json.Decoder(FuturesFundingEvent, strict=False).decode

_C: Final = Dialect.CLASSIC
_POSITION_PREFIXES: Final = ("/contract/position", "/contract/positionAll")

REGISTRATIONS: Final[tuple[Registration, ...]] = (
    Registration(_C, "/contractMarket/tradeOrders", "orderChange", FuturesOrderChange),
    Registration(_C, "/contractMarket/tradeOrders", "symbolOrderChange", FuturesOrderChange),
    Registration(
        _C,
        "/contractMarket/advancedOrders",
        "stopOrder",
        FuturesStopOrderChange,
        decode=_decode_stop_order,
    ),
    Registration(_C, "/contractAccount/wallet", "walletBalance.change", FuturesWalletBalance),
    Registration(_C, "/contractAccount/wallet", "orderMargin.change", FuturesOrderMarginChange),
    Registration(
        _C, "/contractAccount/wallet", "availableBalance.change", FuturesAvailableBalanceChange
    ),
    Registration(_C, "/contractAccount/wallet", "withdrawHold.change", FuturesWithdrawHoldChange),
    *(
        reg
        for prefix in _POSITION_PREFIXES
        for reg in (
            Registration(
                _C,
                prefix,
                "position.change",
                FuturesPositionChange,
                decode=_decode_position_change,
            ),
            Registration(_C, prefix, "position.settlement", FuturesPositionSettlement),
            Registration(_C, prefix, "position.adjustRiskLimit", FuturesRiskLimitAdjustment),
            Registration(
                _C, prefix, "funding.begin", FuturesFundingEvent, decode=_decode_funding_event
            ),
            Registration(
                _C, prefix, "funding.end", FuturesFundingEvent, decode=_decode_funding_event
            ),
        )
    ),
    Registration(
        _C, "/contract/marginMode", "user.config", FuturesMarginModeChange, wrap_field="modes"
    ),
    Registration(
        _C,
        "/contract/crossLeverage",
        "user.config",
        FuturesCrossLeverageChange,
        wrap_field="leverages",
    ),
)

#: Everything the position topics push.
FuturesPositionEvent = (
    FuturesPositionChange
    | FuturesPositionMarkPrice
    | FuturesPositionSettlement
    | FuturesRiskLimitAdjustment
    | FuturesFundingEvent
)
#: Everything the wallet topic pushes (the current subject and the legacy ones).
FuturesWalletEvent = (
    FuturesWalletBalance
    | FuturesOrderMarginChange
    | FuturesAvailableBalanceChange
    | FuturesWithdrawHoldChange
)
