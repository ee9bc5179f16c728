"""Futures REST answers: the typed snapshots and order records `KucoinRest` returns.

The answers of KuCoin's futures host (``api-futures.kucoin.com``), decoded under the rule
of `rxkucoin.models._base`: only identity fields are required, blank strings are ``None``
and every number may come as a JSON number or a numeric string.

Field names and types follow the pushes of the same entity where the two coincide, so a
snapshot and a push can be folded into one state:

- `FuturesOrder` uses the names and types of `FuturesOrderChange` (``size``,
  ``filled_size``, ``price``, ``client_oid``, ``margin_mode``...; sizes are `Decimal`,
  although REST sends contract counts as JSON integers where the push sends strings).
  It is named by ``id`` where the push says ``order_id``, as KuCoin's answer does.
- `FuturesPosition` uses the names and types of `FuturesPositionChange`: JSON numbers as
  `float` (``int`` for contract counts and times), as both answers send them.
- `FuturesAccountOverview` has decimal fields (`Decimal`) like `FuturesWalletBalance`,
  although KuCoin sends JSON numbers here; its names are KuCoin's own (the overview and the
  wallet push share only ``currency`` and ``available_balance``).
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

__all__ = (
    "FuturesAccountOverview",
    "FuturesOrder",
    "FuturesPosition",
)


class FuturesAccountOverview(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """``GET /api/v1/account-overview``: one settlement currency's futures account.

    KuCoin sends every figure as a JSON number; they are read as `Decimal` with the digits
    written on the wire. Required: ``currency``.

    Attributes:
        currency: the settlement currency, e.g. ``USDT``.
        account_equity: margin balance plus unrealised PnL.
        unrealised_pnl: unrealised PnL of the open positions (``unrealisedPNL`` on the wire).
        margin_balance: position margin, order margin, frozen funds and available balance.
        position_margin: margin held by positions.
        order_margin: margin held by open orders.
        frozen_funds: funds frozen for withdrawals and transfers out.
        available_balance: what new orders may use.
        risk_ratio: the cross-margin risk ratio.
        max_withdraw_amount: the most that can be transferred out now.
    """

    currency: str
    account_equity: Decimal | None = None
    unrealised_pnl: Decimal | None = msgspec.field(default=None, name="unrealisedPNL")
    margin_balance: Decimal | None = None
    position_margin: Decimal | None = None
    order_margin: Decimal | None = None
    frozen_funds: Decimal | None = None
    available_balance: Decimal | None = None
    risk_ratio: Decimal | None = None
    max_withdraw_amount: Decimal | None = None


class FuturesOrder(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """A futures order or stop order as KuCoin's REST answers describe it.

    The item of ``GET /api/v1/orders`` and ``GET /api/v1/stopOrders``, and the answer of
    ``GET /api/v1/orders/{orderId}`` and ``/api/v1/orders/byClientOid``: open and done
    orders alike (``is_active``, ``status``). Sizes are contracts. Required: ``id`` and
    ``symbol``.

    Attributes:
        id: the exchange's order id (the pushes' ``order_id``).
        symbol: contract symbol, e.g. ``XBTUSDTM``.
        type: ``limit`` / ``market`` (the pushes' ``order_type``; the pushes' ``type``
            is the event).
        side: ``buy`` / ``sell``.
        price: limit price; ``0`` for market orders.
        size: order size.
        value: order value (price, size and multiplier).
        deal_value: value filled so far.
        deal_size: contracts filled so far (as ``filled_size``).
        filled_size: contracts filled so far.
        filled_value: value filled so far.
        avg_deal_price: average fill price; ``0`` before the first fill.
        status: ``open`` / ``done``.
        is_active: whether the order is still open (or, for a stop order, waiting).
        cancel_exist: whether some of it was canceled.
        client_oid: the client order id.
        leverage: the order's leverage.
        margin_mode: ``ISOLATED`` / ``CROSS``.
        reduce_only: whether it may only reduce a position.
        close_order: whether it closes the position.
        force_hold: whether its margin is held even when it reduces a position.
        time_in_force: ``GTC`` / ``IOC``.
        post_only: whether it may only be a maker.
        hidden: whether it is hidden from the book.
        iceberg: whether only ``visible_size`` of it shows.
        visible_size: the visible size of an iceberg order.
        stp: self-trade prevention: ``CN``, ``CO``, ``CB``; ``None`` when unset.
        stop: stop orders: ``up`` / ``down``; ``None`` for an ordinary order.
        stop_price_type: stop orders: ``TP`` (trade price), ``MP`` (mark), ``IP`` (index).
        stop_triggered: stop orders: whether it has triggered.
        stop_price: stop orders: the trigger price.
        remark: the order's remark.
        tags: the order's tags.
        settle_currency: the settlement currency.
        created_at: creation time, ms.
        updated_at: time of the last change, ms; the same moment as the ``ts`` of the
            order's last push (truncated to ms).
        end_at: when the order ended, ms; ``None`` while it is open.
        order_time: creation time, ns.
        position_side: ``BOTH`` in one-way mode (hedge-mode answers; not in the docs).
    """

    id: str
    symbol: str
    type: str | None = None
    side: str | None = None
    price: Decimal | None = None
    size: Decimal | None = None
    value: Decimal | None = None
    deal_value: Decimal | None = None
    deal_size: Decimal | None = None
    filled_size: Decimal | None = None
    filled_value: Decimal | None = None
    avg_deal_price: Decimal | None = None
    status: str | None = None
    is_active: bool | None = None
    cancel_exist: bool | None = None
    client_oid: str | None = None
    leverage: Decimal | None = None
    margin_mode: str | None = None
    reduce_only: bool | None = None
    close_order: bool | None = None
    force_hold: bool | None = None
    time_in_force: str | None = None
    post_only: bool | None = None
    hidden: bool | None = None
    iceberg: bool | None = None
    visible_size: Decimal | None = None
    stp: str | None = None
    stop: str | None = None
    stop_price_type: str | None = None
    stop_triggered: bool | None = None
    stop_price: Decimal | None = None
    remark: str | None = None
    tags: str | None = None
    settle_currency: str | None = None
    created_at: int | None = None
    updated_at: int | None = None
    end_at: int | None = None
    order_time: int | None = None
    position_side: str | None = None

    @property
    def order_id(self) -> str:
        """`id` under the pushes' name."""
        return self.id


class FuturesPosition(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """A futures position as ``GET /api/v1/positions`` and ``/api/v1/position`` give it.

    The fields of `FuturesPositionChange` (same names, same types: JSON numbers as
    `float`) without ``change_reason``, plus the position ``id`` and what only REST sends.
    ``/api/v1/position`` answers a symbol without a position with a closed, empty record
    (``current_qty`` 0, ``is_open`` false, zero figures, no ``opening_timestamp``).
    Isolated-only fields are absent (``None``) for cross positions. Required: ``symbol``.

    Attributes:
        symbol: contract symbol.
        id: the position id; KuCoin gives it for a closed position too.
        cross_mode: whether the position is in cross margin mode.
        margin_mode: ``CROSS`` / ``ISOLATED``.
        position_side: ``BOTH`` (one-way mode).
        current_qty: signed position size in contracts (negative = short).
        is_open: whether the position is open.
        avg_entry_price: average entry price.
        mark_price: mark price.
        mark_value: mark value.
        unrealised_pnl: unrealised PnL.
        realised_pnl: realised PnL.
        liquidation_price: liquidation price.
        bankrupt_price: bankruptcy price.
        leverage: leverage.
        pos_margin: position margin (bankruptcy cost).
        maint_margin_req: maintenance margin rate.
        pos_maint: maintenance margin.
        opening_timestamp: position open time, ms.
        current_timestamp: the answer's time, ms: the moment the snapshot was taken
            (the pushes' ``current_timestamp`` is the moment of their change).
        delev_percentage: ADL ranking percentile.
        current_cost: current position value.
        current_comm: current commission.
        unrealised_cost: unrealised value.
        realised_gross_cost: accumulated realised gross cost.
        realised_cost: current realised position value.
        pos_cost: position value.
        pos_init: initial margin.
        realised_gross_pnl: accumulated realised gross PnL.
        unrealised_pnl_pcnt: PnL ratio of the position.
        unrealised_roe_pcnt: return on equity.
        settle_currency: settlement currency.
        is_inverse: whether the contract is inverse (coin-margined).
        auto_deposit: isolated only: auto-deposit margin enabled.
        risk_limit: isolated only: risk limit.
        risk_limit_level: isolated only: risk limit level.
        real_leverage: isolated only: effective leverage.
        pos_cross: isolated only: manually added margin.
        pos_cross_margin: isolated only: additional margin calls.
        pos_comm: isolated only: bankruptcy cost (fees reserved).
        pos_comm_common: isolated only: part of the bankruptcy cost.
        pos_loss: isolated only: funding fees paid out.
        pos_funding: isolated only: unsettled funding fee.
        maint_margin: isolated only: position margin.
        maintain_margin: isolated only: maintenance margin rate (older name).
    """

    symbol: str
    id: str | None = None
    cross_mode: bool | None = None
    margin_mode: str | None = None
    position_side: str | None = None
    current_qty: int | None = None
    is_open: bool | None = None
    avg_entry_price: float | None = None
    mark_price: float | None = None
    mark_value: float | None = None
    unrealised_pnl: float | None = None
    realised_pnl: float | None = None
    liquidation_price: float | None = None
    bankrupt_price: float | None = None
    leverage: float | None = None
    pos_margin: float | None = None
    maint_margin_req: float | None = None
    pos_maint: float | None = None
    opening_timestamp: int | None = None
    current_timestamp: int | None = None
    delev_percentage: float | None = None
    current_cost: float | None = None
    current_comm: float | None = None
    unrealised_cost: float | None = None
    realised_gross_cost: float | None = None
    realised_cost: float | None = None
    pos_cost: float | None = None
    pos_init: float | None = None
    realised_gross_pnl: float | None = None
    unrealised_pnl_pcnt: float | None = None
    unrealised_roe_pcnt: float | None = None
    settle_currency: str | None = None
    is_inverse: bool | None = None
    auto_deposit: bool | None = None
    risk_limit: int | None = None
    risk_limit_level: int | None = None
    real_leverage: float | None = None
    pos_cross: float | None = None
    pos_cross_margin: float | None = None
    pos_comm: float | None = None
    pos_comm_common: float | None = None
    pos_loss: float | None = None
    pos_funding: float | None = None
    maint_margin: float | None = None
    maintain_margin: float | None = None
