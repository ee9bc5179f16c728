"""UTA REST answers: the typed snapshots and order records `KucoinRest` returns.

The unified trading account's REST endpoints (``/api/ua/v2/...``) answer with long camelCase
names and nanosecond times, not with the Pro push abbreviations; these Structs map them to
the attribute names of the Pro push models (`ProOrder`, `ProPosition`, `ProBalance`)
wherever the two carry the same fact, so a snapshot entry and a push read alike
(``order.updated_ns``, ``position.entry_price``...); sizes keep the REST names
(``size``, ``filled_size``). Where the REST name differs from the push
attribute, each docstring names the REST key.

Decoding follows the payload rule (`rxkucoin.models._base`): only the ids are required,
every other field is ``None`` when absent or blank (``""``), decimals become `Decimal`,
integers may arrive as numeric strings, enumerations stay plain `str`.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

__all__ = (
    "UtaAccountMode",
    "UtaBalance",
    "UtaBalanceAccount",
    "UtaCurrencyBalance",
    "UtaOrder",
    "UtaPosition",
)


class UtaAccountMode(msgspec.Struct, frozen=True, kw_only=True):
    """The account's mode (``GET /api/ua/v2/account/mode``).

    Attributes:
        self_account_mode: ``selfAccountMode``, ``UNIFIED`` or ``CLASSIC``.
        unified_sub_accounts: ``unifiedSubAccount``, the UIDs of sub-accounts in UTA mode.
        classic_sub_accounts: ``classicSubAccount``, the UIDs of sub-accounts in classic
            mode.
    """

    self_account_mode: str | None = msgspec.field(default=None, name="selfAccountMode")
    unified_sub_accounts: list[int] | None = msgspec.field(default=None, name="unifiedSubAccount")
    classic_sub_accounts: list[int] | None = msgspec.field(default=None, name="classicSubAccount")

    @property
    def unified(self) -> bool:
        """Whether the account itself is a unified trading account."""
        return self.self_account_mode == "UNIFIED"


class UtaCurrencyBalance(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """One currency of the unified account (an entry of ``accounts[].currencies``).

    The attribute names are `ProBalance`'s. Required: ``currency``.

    Attributes:
        currency: e.g. ``USDT``.
        balance: the total balance.
        available: the part free to use.
        hold: the part frozen by open orders.
        equity: balance plus unrealised PnL, less liability.
        liability: what is borrowed.
        potential_borrow: ``potentialBorrow``, what an order may still borrow
            automatically.
        collateral_status: ``collateralStatus``, as KuCoin sends it (a code or text).
    """

    currency: str
    balance: Decimal | None = None
    available: Decimal | None = None
    hold: Decimal | None = None
    equity: Decimal | None = None
    liability: Decimal | None = None
    potential_borrow: Decimal | None = None
    collateral_status: int | str | None = None


class UtaBalanceAccount(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """One account group of the balance answer (KuCoin sends one for ``UNIFIED``).

    Attributes:
        currencies: the currencies of the group.
    """

    currencies: list[UtaCurrencyBalance] | None = None


class UtaBalance(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """The unified account's balances (``GET /api/ua/v2/unified/account/balance``).

    Attributes:
        account_type: ``accountType``, ``UNIFIED``.
        ts_ms: ``ts``, when KuCoin took the snapshot, milliseconds since the epoch.
        accounts: the account groups, each with its currencies; `currencies` lists
            them all.
    """

    account_type: str | None = None
    ts_ms: int | None = msgspec.field(default=None, name="ts")
    accounts: list[UtaBalanceAccount] | None = None

    @property
    def currencies(self) -> list[UtaCurrencyBalance]:
        """Every currency of every account group."""
        return [entry for account in self.accounts or () for entry in account.currencies or ()]

    def currency(self, currency: str) -> UtaCurrencyBalance | None:
        """One currency's entry, or ``None`` when the answer lists no such currency."""
        return next((c for c in self.currencies if c.currency == currency), None)


class UtaOrder(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """An order of the unified account: an open-list item or an order-detail answer.

    The attribute names are `ProOrder`'s where the push carries the same fact, except the
    sizes, which keep the REST names (``size``, ``filled_size``, ``cancel_size``). Required:
    ``order_id`` and ``symbol``.

    Attributes:
        order_id: ``orderId``, KuCoin's order id.
        symbol: e.g. ``BTC-USDT`` (spot) or ``XBTUSDTM`` (futures).
        trade_type: ``tradeType``, ``SPOT``, ``FUTURES`` or ``MARGIN``. The detail answer
            carries it; for an open-list item `KucoinRest.uta_open_orders` fills it in from
            the page.
        client_oid: ``clientOid``, the client order id; ``None`` if blank.
        status_code: ``status``, the order status as an integer: 0 not triggered, 1
            triggered, 2 live (open), 3 filled, 4 partially filled (still open), 5
            canceled, 6 partially filled then canceled.
        side: ``BUY`` or ``SELL``.
        order_type: ``orderType``, ``LIMIT`` or ``MARKET``.
        position_side: ``positionSide``, futures only (``BOTH`` in one-way mode).
        size: the order quantity, in the unit `size_unit` names (the push's ``quantity``).
        size_unit: ``sizeUnit``, ``BASECCY``, ``QUOTECCY`` or ``UNIT`` (contracts) (the
            push's ``quantity_unit``).
        price: the limit price; ``None`` for market orders (KuCoin sends ``""``).
        filled_size: ``filledSize``, cumulative filled quantity (the push's
            ``filled_quantity``).
        average_price: ``avgPrice``, average fill price (``0`` before any fill).
        fee: cumulative fee, in `fee_currency`.
        fee_currency: ``feeCurrency``.
        tax: cumulative tax.
        last_trade_id: ``tradeId``, the last fill's trade id.
        cancel_size: ``cancelSize``, the quantity canceled (the push's
            ``canceled_quantity``).
        cancel_reason: ``cancelReason``, why the order was canceled (text or a code).
        time_in_force: ``timeInForce``, ``GTC``, ``GTT``, ``IOC``, ``FOK`` or ``RPI``.
        cancel_after: ``cancelAfter``, seconds after which a ``GTT`` order is canceled.
        post_only: ``postOnly``, whether the order may only add liquidity.
        reduce_only: ``reduceOnly``, futures: whether it may only reduce the position.
        margin_mode: ``marginMode``, futures: ``CROSS`` or ``ISOLATED``.
        self_trade_prevention: ``stp``, ``DC``, ``CO``, ``CN`` or ``CB``; ``None`` if off.
        tags: the order's tags.
        trigger_direction: ``triggerDirection``, conditional orders: ``UP`` or ``DOWN``.
        trigger_price: ``triggerPrice``, conditional orders: the trigger price.
        trigger_price_type: ``triggerPriceType``, ``TP`` (last trade), ``MP`` (mark) or
            ``IP`` (index).
        take_profit_price: ``tpTriggerPrice``, the attached take-profit trigger price.
        take_profit_price_type: ``tpTriggerPriceType``.
        take_profit_order_price: ``tpOrderPrice``, detail answer only.
        stop_loss_price: ``slTriggerPrice``, the attached stop-loss trigger price.
        stop_loss_price_type: ``slTriggerPriceType``.
        stop_loss_order_price: ``slOrderPrice``, detail answer only.
        trigger_order_id: ``triggerOrderId``, the conditional order that spawned this one.
        created_ns: ``orderTime``, when the order was created, nanoseconds since the epoch.
        updated_ns: ``updatedTime``, when the order last changed, nanoseconds since the
            epoch; the same clock as the Pro push's ``U``.
    """

    order_id: str
    symbol: str
    trade_type: str | None = None
    client_oid: str | None = None
    status_code: int | None = msgspec.field(default=None, name="status")
    side: str | None = None
    order_type: str | None = None
    position_side: str | None = None
    size: Decimal | None = None
    size_unit: str | None = None
    price: Decimal | None = None
    filled_size: Decimal | None = None
    average_price: Decimal | None = msgspec.field(default=None, name="avgPrice")
    fee: Decimal | None = None
    fee_currency: str | None = None
    tax: Decimal | None = None
    last_trade_id: str | None = msgspec.field(default=None, name="tradeId")
    cancel_size: Decimal | None = None
    cancel_reason: str | None = None
    time_in_force: str | None = None
    cancel_after: int | None = None
    post_only: bool | None = None
    reduce_only: bool | None = None
    margin_mode: str | None = None
    self_trade_prevention: str | None = msgspec.field(default=None, name="stp")
    tags: str | None = None
    trigger_direction: str | None = None
    trigger_price: Decimal | None = None
    trigger_price_type: str | None = None
    take_profit_price: Decimal | None = msgspec.field(default=None, name="tpTriggerPrice")
    take_profit_price_type: str | None = msgspec.field(default=None, name="tpTriggerPriceType")
    take_profit_order_price: Decimal | None = msgspec.field(default=None, name="tpOrderPrice")
    stop_loss_price: Decimal | None = msgspec.field(default=None, name="slTriggerPrice")
    stop_loss_price_type: str | None = msgspec.field(default=None, name="slTriggerPriceType")
    stop_loss_order_price: Decimal | None = msgspec.field(default=None, name="slOrderPrice")
    trigger_order_id: str | None = None
    created_ns: int | None = msgspec.field(default=None, name="orderTime")
    updated_ns: int | None = msgspec.field(default=None, name="updatedTime")

    @property
    def done(self) -> bool:
        """Whether the order is finished: filled (3), canceled (5, 6) or triggered (1)."""
        return self.status_code in (1, 3, 5, 6)


class UtaPosition(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """An open futures position of the unified account (``.../position/open-list``).

    The attribute names are `ProPosition`'s, except ``size`` (the push's ``quantity``).
    Required: ``symbol`` (one-way mode: one position per contract).

    Attributes:
        symbol: the contract, e.g. ``XBTUSDTM``.
        position_id: ``id``, KuCoin's position id.
        margin_mode: ``marginMode``, ``CROSS`` or ``ISOLATED``.
        size: the signed size in contracts, negative when short (the push's
            ``quantity``).
        entry_price: ``entryPrice``, average entry price.
        position_value: ``positionValue``, value in the settlement currency.
        position_margin: ``positionMargin``, the margin the position holds.
        mark_price: ``markPrice``.
        leverage: the position's leverage.
        unrealised_pnl: ``unrealizedPnL``, PnL at the mark price.
        realised_pnl: ``realizedPnL``, PnL realised since the position opened (partial
            closes, funding, fees).
        initial_margin: ``initialMargin``.
        maintenance_margin_rate: ``mmr`` (``0.004`` = 0.4 %).
        maintenance_margin: ``maintenanceMargin``.
        liquidation_price: ``liquidationPrice``, the estimated liquidation price.
        risk_ratio: ``riskRatio``, isolated positions: liquidation at 1.
        adl_percentile: ``adlPercentage``, the auto-deleveraging ranking (0.12 = 12 %).
        created_ns: ``creationTime``, when the position was opened, nanoseconds since the
            epoch.
        updated_ns: ``updateTime``, when the position last changed (size, leverage, mark),
            nanoseconds since the epoch; the same clock as the Pro push's ``U``.
    """

    symbol: str
    position_id: str | None = msgspec.field(default=None, name="id")
    margin_mode: str | None = None
    size: Decimal | None = None
    entry_price: Decimal | None = None
    position_value: Decimal | None = None
    position_margin: Decimal | None = None
    mark_price: Decimal | None = None
    leverage: Decimal | None = None
    unrealised_pnl: Decimal | None = msgspec.field(default=None, name="unrealizedPnL")
    realised_pnl: Decimal | None = msgspec.field(default=None, name="realizedPnL")
    initial_margin: Decimal | None = None
    maintenance_margin_rate: Decimal | None = msgspec.field(default=None, name="mmr")
    maintenance_margin: Decimal | None = None
    liquidation_price: Decimal | None = None
    risk_ratio: Decimal | None = None
    adl_percentile: Decimal | None = msgspec.field(default=None, name="adlPercentage")
    created_ns: int | None = msgspec.field(default=None, name="creationTime")
    updated_ns: int | None = msgspec.field(default=None, name="updateTime")


class _UtaOrderAck(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """The answer to a placement or a cancel: ``{tradeType, orderId, clientOid, ts}``."""

    order_id: str
    trade_type: str | None = None
    client_oid: str | None = None
    ts: int | None = None


class _UtaOrderPage(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """One page of ``.../order/open-list``: v2 documents ``pageNumber``, ``tradeType`` and
    ``items``; v1 answered ``pageSize``, ``totalNum`` and ``totalPage`` too."""

    page_number: int | None = None
    page_size: int | None = None
    total_num: int | None = None
    total_page: int | None = None
    trade_type: str | None = None
    items: list[UtaOrder] | None = None
