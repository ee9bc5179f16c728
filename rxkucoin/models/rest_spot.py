"""Spot and margin REST answers: the typed snapshots and order records `KucoinRest` returns.

Every model follows the payload rule of `rxkucoin.models` (only identity fields required,
blank strings ``None``, decimals as `Decimal`, numbers in any form). Field names are the
REST answer's own, in snake_case; where the spot pushes name the same value differently,
a read-only property gives the push's name too (``SpotOrder.order_id`` is ``id``,
``SpotOrder.filled_size`` is ``deal_size``...), so a view can compare the two directly.

Endpoints (host ``api.kucoin.com``):

- ``GET /api/v1/accounts`` → ``list[SpotAccount]``
- ``GET /api/v1/hf/orders/active``, ``/api/v1/hf/orders/{orderId}``,
  ``/api/v1/hf/orders/client-order/{clientOid}`` → `SpotOrder`
- ``GET /api/v1/stop-order`` (paginated) → `SpotStopOrder`
- ``GET /api/v3/margin/accounts`` → `CrossMarginAccount`
- ``GET /api/v3/isolated/accounts`` → `IsolatedMarginAccounts`
- ``POST /api/v1/hf/orders`` → `PlacedOrder`
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

__all__ = (
    "CrossMarginAccount",
    "IsolatedMarginAccount",
    "IsolatedMarginAccounts",
    "MarginAsset",
    "PlacedOrder",
    "SpotAccount",
    "SpotOrder",
    "SpotStopOrder",
)


class PlacedOrder(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """What KuCoin answers to an order placement: the order's ids.

    The answer only says the order was accepted: whether it rests, fills or is cancelled
    arrives on the order pushes (often before this answer) or from an order lookup.

    Attributes:
        order_id: KuCoin's order id.
        client_oid: the client's order id (rxkucoin generates one when none is given).
    """

    order_id: str
    client_oid: str | None = None


class SpotAccount(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """One currency of one spot account (``GET /api/v1/accounts``).

    Required: ``id``, ``currency`` and ``type``.

    Attributes:
        id: the account's id; the balance pushes' ``accountId`` for the same currency and
            account type.
        currency: the currency, e.g. ``USDT``.
        type: ``trade`` (spot), ``main`` (funding), ``option``; older answers also show
            ``margin`` and ``isolated``.
        balance: the total, ``available + holds`` (the push's ``total``).
        available: what can be traded or withdrawn.
        holds: what open orders and other operations hold (the push's ``hold``).
    """

    id: str
    currency: str
    type: str
    balance: Decimal | None = None
    available: Decimal | None = None
    holds: Decimal | None = None

    @property
    def total(self) -> Decimal | None:
        """`balance` under the balance push's name."""
        return self.balance

    @property
    def hold(self) -> Decimal | None:
        """`holds` under the balance push's name."""
        return self.holds


class SpotOrder(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """A spot (HF) order as the REST order endpoints describe it, open or done.

    Required: ``id`` and ``symbol``. The REST names differ from the order pushes'
    (`rxkucoin.models.SpotOrderChange`) for some values; properties give the push names:
    `order_id` (``id``), `order_type` (``type``: the REST ``type`` is the order type, the
    push ``type`` is the event), `filled_size` (``deal_size``) and `canceled_size`
    (``cancelled_size``). A market order's ``price`` is ``0`` here, ``None`` on the pushes.

    Attributes:
        id: KuCoin's order id.
        symbol: the market, e.g. ``BTC-USDT``.
        client_oid: the client's order id.
        op_type: ``DEAL`` for an ordinary order.
        type: ``limit`` or ``market``.
        side: ``buy`` or ``sell``.
        price: the limit price (``0`` for a market order).
        size: the order size in the base currency.
        funds: the order's value in the quote currency (``price * size`` for a limit
            order; the funds asked for by a market order placed by funds).
        deal_size: the size filled so far.
        deal_funds: the value filled so far, in the quote currency.
        remain_size: the size still open.
        remain_funds: the funds still open.
        cancelled_size: the size cancelled.
        cancelled_funds: the funds cancelled.
        fee: the fees paid so far.
        fee_currency: the currency of the fees.
        stp: self-trade prevention: ``DC``, ``CO``, ``CN``, ``CB``; ``None`` when unset.
        time_in_force: ``GTC``, ``GTT``, ``IOC`` or ``FOK``.
        post_only: whether the order may only add liquidity.
        hidden: whether the order is hidden from the book.
        iceberg: whether only part of the order shows in the book.
        visible_size: the shown size of an iceberg order.
        cancel_after: seconds after which a ``GTT`` order is cancelled.
        channel: where the order came from, e.g. ``API``.
        remark: the remark given at placement.
        tags: the tags given at placement.
        cancel_exist: whether part of the order was cancelled.
        trade_type: ``TRADE`` (spot).
        in_order_book: whether the order rests in the book now.
        active: ``True`` while the order is open, ``False`` once filled or cancelled.
        tax: tax paid (some regions only).
        created_at: when the order was placed, epoch ms.
        last_updated_at: when the order last changed, epoch ms.
    """

    id: str
    symbol: str
    client_oid: str | None = None
    op_type: str | None = None
    type: str | None = None
    side: str | None = None
    price: Decimal | None = None
    size: Decimal | None = None
    funds: Decimal | None = None
    deal_size: Decimal | None = None
    deal_funds: Decimal | None = None
    remain_size: Decimal | None = None
    remain_funds: Decimal | None = None
    cancelled_size: Decimal | None = None
    cancelled_funds: Decimal | None = None
    fee: Decimal | None = None
    fee_currency: str | None = None
    stp: str | None = None
    time_in_force: str | None = None
    post_only: bool | None = None
    hidden: bool | None = None
    iceberg: bool | None = None
    visible_size: Decimal | None = None
    cancel_after: int | None = None
    channel: str | None = None
    remark: str | None = None
    tags: str | None = None
    cancel_exist: bool | None = None
    trade_type: str | None = None
    in_order_book: bool | None = None
    active: bool | None = None
    tax: Decimal | None = None
    created_at: int | None = None
    last_updated_at: int | None = None

    @property
    def order_id(self) -> str:
        """`id` under the order pushes' name."""
        return self.id

    @property
    def order_type(self) -> str | None:
        """`type` under the order pushes' name (``limit`` or ``market``)."""
        return self.type

    @property
    def filled_size(self) -> Decimal | None:
        """`deal_size` under the order pushes' name."""
        return self.deal_size

    @property
    def canceled_size(self) -> Decimal | None:
        """`cancelled_size` under the order pushes' name."""
        return self.cancelled_size


class SpotStopOrder(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """A waiting spot stop order (``GET /api/v1/stop-order``).

    Required: ``id`` and ``symbol``. Compared with the stop-order pushes
    (`rxkucoin.models.SpotStopOrderChange`): `order_id` is ``id``, `order_price` is
    ``price``, and ``type`` is the order type here but the event on the pushes.

    Attributes:
        id: the stop order's id, e.g. ``vs93gptvr9t2fsql003l8k5p``.
        symbol: the market.
        user_id: the account's user id.
        status: ``NEW`` (waiting) or ``TRIGGERED``.
        type: ``limit`` or ``market``: the order placed on trigger.
        side: ``buy`` or ``sell``.
        price: the limit price of the order placed on trigger (``0`` for market).
        size: the order size.
        funds: the order funds (market orders by funds).
        stp: self-trade prevention, ``None`` when unset.
        time_in_force: ``GTC``, ``GTT``, ``IOC`` or ``FOK``.
        cancel_after: seconds after which a ``GTT`` order is cancelled (``-1``: never).
        post_only: whether the order may only add liquidity.
        hidden: whether the order is hidden.
        iceberg: whether it is an iceberg order.
        visible_size: the shown size of an iceberg order.
        channel: where the order came from, e.g. ``API``.
        client_oid: the client's order id.
        remark: the remark given at placement.
        tags: the tags given at placement.
        related_no: the related order (OCO).
        order_time: when the stop order was placed, epoch **ns**.
        domain_id: e.g. ``kucoin``.
        trade_source: ``USER`` or ``MARGIN_SYSTEM``.
        trade_type: ``TRADE``, ``MARGIN_TRADE`` or ``MARGIN_ISOLATED_TRADE``.
        fee_currency: the currency of the fees.
        taker_fee_rate: the taker fee rate.
        maker_fee_rate: the maker fee rate.
        created_at: when the stop order was placed, epoch ms.
        stop: ``loss`` or ``entry``.
        stop_trigger_time: when it triggered, epoch ms (``None`` while waiting).
        stop_price: the trigger price.
        limit_price: the limit price of an OCO leg.
        pop: undocumented (``None`` in KuCoin's examples).
        activate_condition: undocumented (``None`` in KuCoin's examples).
    """

    id: str
    symbol: str
    user_id: str | None = None
    status: str | None = None
    type: str | None = None
    side: str | None = None
    price: Decimal | None = None
    size: Decimal | None = None
    funds: Decimal | None = None
    stp: str | None = None
    time_in_force: str | None = None
    cancel_after: int | None = None
    post_only: bool | None = None
    hidden: bool | None = None
    iceberg: bool | None = None
    visible_size: Decimal | None = None
    channel: str | None = None
    client_oid: str | None = None
    remark: str | None = None
    tags: str | None = None
    related_no: str | None = None
    order_time: int | None = None
    domain_id: str | None = None
    trade_source: str | None = None
    trade_type: str | None = None
    fee_currency: str | None = None
    taker_fee_rate: Decimal | None = None
    maker_fee_rate: Decimal | None = None
    created_at: int | None = None
    stop: str | None = None
    stop_trigger_time: int | None = None
    stop_price: Decimal | None = None
    limit_price: Decimal | None = None
    pop: str | None = None
    activate_condition: str | None = None

    @property
    def order_id(self) -> str:
        """`id` under the stop-order pushes' name."""
        return self.id

    @property
    def order_price(self) -> Decimal | None:
        """`price` under the stop-order pushes' name."""
        return self.price


class MarginAsset(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """One currency of a cross-margin account, or one side of an isolated pair.

    Required: ``currency``. The cross-margin push (`rxkucoin.models.MarginDebtRatio`)
    carries ``total``, ``available`` and ``hold`` per currency under the same names, and
    its ``debtList`` is this model's ``liability``.

    Attributes:
        currency: the currency.
        total: total assets.
        available: ``total - hold``.
        hold: frozen assets.
        liability: what is owed, principal and interest.
        liability_principal: the borrowed principal still owed.
        liability_interest: the interest still owed.
        max_borrow_size: how much more can be borrowed.
        borrow_enabled: whether borrowing is allowed.
        transfer_in_enabled: whether transfers in are allowed.
    """

    currency: str
    total: Decimal | None = None
    available: Decimal | None = None
    hold: Decimal | None = None
    liability: Decimal | None = None
    liability_principal: Decimal | None = None
    liability_interest: Decimal | None = None
    max_borrow_size: Decimal | None = None
    borrow_enabled: bool | None = None
    transfer_in_enabled: bool | None = None


class CrossMarginAccount(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """The cross-margin account (``GET /api/v3/margin/accounts``).

    An account-wide snapshot with no identity field: every figure is ``None`` when the
    answer omits it. ``debt_ratio`` is a decimal string here, a JSON number on the
    ``debt.ratio`` push.

    Attributes:
        total_asset_of_quote_currency: total assets, valued in the quote currency asked
            for (``USDT`` by default).
        total_liability_of_quote_currency: total liabilities in the same currency.
        debt_ratio: liabilities / assets.
        status: ``EFFECTIVE``, ``BANKRUPTCY``, ``LIQUIDATION``, ``REPAY`` or ``BORROW``.
        accounts: one entry per currency; empty when the answer has none.
    """

    total_asset_of_quote_currency: Decimal | None = None
    total_liability_of_quote_currency: Decimal | None = None
    debt_ratio: Decimal | None = None
    status: str | None = None
    accounts: list[MarginAsset] = msgspec.field(default_factory=list)

    def asset(self, currency: str) -> MarginAsset | None:
        """The entry of ``currency``, if the account lists it."""
        return next((a for a in self.accounts if a.currency == currency), None)


class IsolatedMarginAccount(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """One isolated-margin pair (an item of ``assets``).

    Required: ``symbol``. The status vocabulary is the REST one (``EFFECTIVE``...), not
    the push's (``DEBT``, ``CLEAR``...; `rxkucoin.models.IsolatedMarginPositionChange`).

    Attributes:
        symbol: the pair, e.g. ``BTC-USDT``.
        status: ``EFFECTIVE``, ``BANKRUPTCY``, ``LIQUIDATION``, ``REPAY`` or ``BORROW``.
        debt_ratio: liabilities / assets of the pair.
        base_asset: the base currency's side.
        quote_asset: the quote currency's side.
    """

    symbol: str
    status: str | None = None
    debt_ratio: Decimal | None = None
    base_asset: MarginAsset | None = None
    quote_asset: MarginAsset | None = None


class IsolatedMarginAccounts(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """The isolated-margin pairs (``GET /api/v3/isolated/accounts``).

    Attributes:
        total_asset_of_quote_currency: total assets of every pair listed, valued in the
            quote currency asked for (``USDT`` by default).
        total_liability_of_quote_currency: their total liabilities.
        timestamp: when the figures were taken, epoch ms.
        assets: one entry per pair; empty when the answer has none.
    """

    total_asset_of_quote_currency: Decimal | None = None
    total_liability_of_quote_currency: Decimal | None = None
    timestamp: int | None = None
    assets: list[IsolatedMarginAccount] = msgspec.field(default_factory=list)

    def pair(self, symbol: str) -> IsolatedMarginAccount | None:
        """The entry of ``symbol``, if listed."""
        return next((a for a in self.assets if a.symbol == symbol), None)
