"""Payloads of the Classic (V1) futures private topics (PROTOCOL.md §4.7-§4.11).

Typing follows the wire: the order, stop-order and wallet topics send decimals as strings
(`decimal.Decimal` here), while the position topics send plain JSON numbers (`float` for
fractional values, `int` for contract counts and times). Times are ints whose unit each
Attributes section names. Under the rule of `rxkucoin.models._base`, every number is also
accepted as a numeric string, and only identity fields are required.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Final

import msgspec

from ..keys import Dialect
from ._base import Payload, Registration, Text, lax_decoder

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
    topic uses which; both decode to this type). Required: ``symbol``, ``order_id`` and
    ``type``; every other field is ``None`` when the push omits it.

    Attributes:
        symbol: contract symbol, e.g. ``XBTUSDTM``.
        order_id: the exchange's order id (a numeric-looking string).
        type: event type: ``open``, ``match``, ``update``, ``filled``, ``canceled``.
        side: ``buy`` / ``sell``.
        status: order status: ``open``, ``match``, ``done``.
        size: order size in contracts.
        filled_size: cumulative filled size, contracts.
        remain_size: remaining size, contracts.
        canceled_size: cumulative canceled size, contracts.
        order_time: order creation time, ns (``1758339086029193392``; live pushes send it
            as an integer or a numeric string; the spec says ms, so check the magnitude).
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
        position_side: ``BOTH`` in one-way mode, ``LONG``/``SHORT`` in hedge mode (live
            pushes; not in the docs).
    """

    symbol: Text
    order_id: Text
    type: Text
    side: Text | None = None
    status: Text | None = None
    size: Decimal | None = None
    filled_size: Decimal | None = None
    remain_size: Decimal | None = None
    canceled_size: Decimal | None = None
    order_time: int | None = None
    ts: int | None = None
    price: Decimal | None = None
    order_type: Text | None = None
    client_oid: Text | None = None
    margin_mode: Text | None = None
    trade_type: Text | None = None
    old_size: Decimal | None = None
    liquidity: Text | None = None
    fee_type: Text | None = None
    match_price: Decimal | None = None
    match_size: Decimal | None = None
    trade_id: Text | None = None
    position_side: Text | None = None


# ------------------------------------------------------------------- stop orders (§4.8)


class FuturesStopOrderChange(Payload, frozen=True, kw_only=True):
    """A stop-order lifecycle event on ``/contractMarket/advancedOrders`` (``stopOrder``).

    ``size`` is an integer in docs-new but a string in the old docs; both decode.
    Required: ``order_id``, ``symbol`` and ``type``.

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

    order_id: Text
    symbol: Text
    type: Text
    side: Text | None = None
    created_at: int | None = None
    ts: int | None = None
    order_type: Text | None = None
    size: int | None = None
    order_price: Decimal | None = None
    stop: Text | None = None
    stop_price: Decimal | None = None
    stop_price_type: Text | None = None
    margin_mode: Text | None = None
    trigger_success: bool | None = None
    error: Text | None = None


# ------------------------------------------------------------------------ wallet (§4.9)


class FuturesWalletBalance(Payload, frozen=True, kw_only=True):
    """A futures account balance on ``/contractAccount/wallet`` (``walletBalance.change``).

    Every value is a string on the wire. Required: ``currency``.

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
        version: balance version, a counter (a numeric string on the wire, read as an
            int); with cross positions the available balance may move with the mark price
            under the same version (see §6).
        timestamp: last modification time, epoch ms (a numeric string on the wire, read
            as an int).
        max_withdraw_amount: maximum withdrawable amount (only in newer pushes).
    """

    currency: Text
    wallet_balance: Decimal | None = None
    available_balance: Decimal | None = None
    hold_balance: Decimal | None = None
    equity: Decimal | None = None
    total_cross_margin: Decimal | None = None
    cross_pos_margin: Decimal | None = None
    cross_order_margin: Decimal | None = None
    cross_un_pnl: Decimal | None = None
    isolated_pos_margin: Decimal | None = None
    isolated_order_margin: Decimal | None = None
    isolated_funding_fee_margin: Decimal | None = None
    isolated_un_pnl: Decimal | None = None
    version: int | None = None
    timestamp: int | None = None
    max_withdraw_amount: Decimal | None = None

    @property
    def timestamp_ms(self) -> int | None:
        """`timestamp` under its older name: last modification time, epoch ms."""
        return self.timestamp


class FuturesOrderMarginChange(Payload, frozen=True, kw_only=True):
    """Legacy ``orderMargin.change`` on ``/contractAccount/wallet`` (old docs; may be gone).

    Attributes:
        order_margin: margin held by open orders (a JSON number).
        currency: settlement currency.
        timestamp: event time, ms.
    """

    currency: Text
    order_margin: float | None = None
    timestamp: int | None = None


class FuturesAvailableBalanceChange(Payload, frozen=True, kw_only=True):
    """Legacy ``availableBalance.change`` on ``/contractAccount/wallet`` (old docs).

    Attributes:
        available_balance: available balance (a JSON number).
        currency: settlement currency.
        timestamp: event time, ms.
        hold_balance: frozen balance (added to the push in 2021).
    """

    currency: Text
    available_balance: float | None = None
    timestamp: int | None = None
    hold_balance: float | None = None


class FuturesWithdrawHoldChange(Payload, frozen=True, kw_only=True):
    """Legacy ``withdrawHold.change`` on ``/contractAccount/wallet`` (old docs).

    Attributes:
        withdraw_hold: amount held for withdrawals and transfers out (a JSON number).
        currency: settlement currency.
        timestamp: event time, ms.
    """

    currency: Text
    withdraw_hold: float | None = None
    timestamp: int | None = None


# --------------------------------------------------------------------- positions (§4.10)


class FuturesPositionChange(Payload, frozen=True, kw_only=True):
    """A full position snapshot on ``/contract/position[All]`` (``position.change``).

    Everything numeric is a JSON number on the wire (numeric strings are accepted too).
    Pushes whose ``changeReason`` is ``markPriceChange`` carry fewer fields and decode to
    `FuturesPositionMarkPrice` instead. Required: ``symbol``; every other field is
    ``None`` when the push omits it (cross-margin pushes carry no ``posMargin`` and none of
    the isolated-only fields but ``maintMarginReq`` and ``posMaint``).

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
        maint_margin_req: maintenance margin rate (cross positions too, since 2025-03).
        risk_limit: isolated only: risk limit.
        real_leverage: isolated only: effective leverage.
        pos_cross: isolated only: manually added margin.
        pos_comm: isolated only: bankruptcy cost (fees reserved).
        pos_loss: isolated only: funding fees paid out.
        pos_funding: isolated only: unsettled funding fee.
        pos_maint: maintenance margin (cross positions too, since 2025-03).
        maint_margin: isolated only: position margin.
        risk_limit_level: isolated only: risk limit level.
        deal_comm: trading fees of the position (live pushes; not in the docs).
        funding_fee: funding fees of the position (live pushes; not in the docs).
        tax: tax of the position (live pushes; not in the docs).
    """

    symbol: Text
    cross_mode: bool | None = None
    delev_percentage: float | None = None
    opening_timestamp: int | None = None
    current_timestamp: int | None = None
    current_qty: int | None = None
    current_cost: float | None = None
    current_comm: float | None = None
    unrealised_cost: float | None = None
    realised_gross_cost: float | None = None
    realised_cost: float | None = None
    is_open: bool | None = None
    mark_price: float | None = None
    mark_value: float | None = None
    pos_cost: float | None = None
    pos_init: float | None = None
    pos_margin: float | None = None
    realised_gross_pnl: float | None = None
    realised_pnl: float | None = None
    unrealised_pnl: float | None = None
    unrealised_pnl_pcnt: float | None = None
    unrealised_roe_pcnt: float | None = None
    avg_entry_price: float | None = None
    liquidation_price: float | None = None
    bankrupt_price: float | None = None
    settle_currency: Text | None = None
    change_reason: Text | None = None
    margin_mode: Text | None = None
    position_side: Text | None = None
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
    deal_comm: float | None = None
    funding_fee: float | None = None
    tax: float | None = None


class FuturesPositionMarkPrice(Payload, frozen=True, kw_only=True):
    """The reduced ``position.change`` pushed when only the mark price moved.

    Recognised by ``changeReason: "markPriceChange"``; the old docs' example of this
    payload has no ``changeReason`` (nor ``symbol``, nor ``currentQty``), so a
    ``position.change`` without ``changeReason`` and without ``currentQty`` decodes here too.
    The symbol is taken from a per-symbol topic when the payload lacks it; on
    ``/contract/positionAll`` it may stay ``None``. Every field is optional.

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

    mark_price: float | None = None
    mark_value: float | None = None
    unrealised_pnl: float | None = None
    unrealised_pnl_pcnt: float | None = None
    unrealised_roe_pcnt: float | None = None
    delev_percentage: float | None = None
    current_timestamp: int | None = None
    settle_currency: Text | None = None
    maint_margin: float | None = None
    real_leverage: float | None = None
    change_reason: Text | None = None
    symbol: Text | None = None


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

    funding_time: int | None = None
    qty: int | None = None
    funding_rate: float | None = None
    funding_fee: float | None = None
    ts: int | None = None
    settle_currency: Text | None = None
    mark_price: float | None = None
    symbol: Text | None = None


class FuturesRiskLimitAdjustment(Payload, frozen=True, kw_only=True):
    """The result of a risk limit change (``position.adjustRiskLimit``).

    Attributes:
        success: whether the adjustment succeeded.
        risk_limit_level: the current risk limit level.
        msg: the failure reason; ``None`` (blank on the wire) on success.
        symbol: contract symbol, if sent (the docs' examples carry it only in the topic).
    """

    success: bool | None = None
    risk_limit_level: int | None = None
    msg: Text | None = None
    symbol: Text | None = None


class FuturesFundingEvent(Payload, frozen=True, kw_only=True):
    """Start or end of a funding settlement (``funding.begin`` / ``funding.end``).

    Third-party report of a 2026 addition to ``/contract/positionAll``; the shape matches
    the public ``/contract/announcement`` push (types UNVERIFIED).

    Attributes:
        symbol: contract symbol, if sent.
        funding_time: funding time, ms.
        funding_rate: funding rate.
        timestamp: event time, ms.
    """

    symbol: Text | None = None
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

    modes: dict[str, Text]


class CrossLeverage(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """One symbol's entry in a `FuturesCrossLeverageChange`.

    Attributes:
        leverage: the cross-margin leverage (``"8"`` in docs-new, ``5`` in old examples;
            both decode).
    """

    leverage: Decimal | None = None


class FuturesCrossLeverageChange(Payload, frozen=True, kw_only=True):
    """Cross-margin leverage changes on ``/contract/crossLeverage`` (``user.config``).

    The wire payload is a bare object such as ``{"ETHUSDTM": {"leverage": "8"}}``.

    Attributes:
        leverages: symbol → its new cross leverage.
    """

    leverages: dict[str, CrossLeverage]


# ----------------------------------------------------------------------- decoding


_MARK_PRICE_REASON: Final = re.compile(rb'"changeReason"\s*:\s*"markPriceChange"')
_full_position: Final = lax_decoder(FuturesPositionChange)
_mark_price_position: Final = lax_decoder(FuturesPositionMarkPrice)


def _is_mark_price_change(raw: bytes) -> bool:
    """Whether a ``position.change`` payload is the reduced mark-price form."""
    if b"markPriceChange" in raw:
        return _MARK_PRICE_REASON.search(raw) is not None
    # The old docs' reduced example has neither changeReason nor currentQty.
    return b'"changeReason"' not in raw and b'"currentQty"' not in raw


def _decode_position_change(raw: bytes) -> FuturesPositionChange | FuturesPositionMarkPrice:
    if _is_mark_price_change(raw):
        return _mark_price_position(raw)
    return _full_position(raw)


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
            Registration(_C, prefix, "funding.begin", FuturesFundingEvent),
            Registration(_C, prefix, "funding.end", FuturesFundingEvent),
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
