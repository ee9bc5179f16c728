"""Payloads of the Pro/UTA private socket (PROTOCOL.md §5.6): the ``d`` member of ``{T, P, d}``.

Pro abbreviates every key to one to three letters; each Struct maps them to readable
snake_case attributes with ``msgspec.field(name=...)``. All decimals arrive as strings and
decode to `decimal.Decimal`; the times ``O``, ``U`` and ``E`` are integer nanoseconds
(attributes ending ``_ns``), sent as JSON integers or numeric strings. Blank strings
(``""``) decode as ``None``. Only identity fields are required (the rule of
`rxkucoin.models._base`); every other field is ``None`` when the push omits it, as
``SPOT`` order pushes omit ``tT`` and ``oS``. Enumerations stay plain `str`; their known
values are listed in each docstring, and unknown values pass through untouched.

The registry key of a push is its channel ``T`` without the trade or account type
(``orderAll.UNIFIED`` → ``orderAll``, ``execution.lite.SPOT`` → ``execution.lite``).
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from ..keys import Dialect
from ._base import Payload, Registration, Text

__all__ = (
    "ProBalance",
    "ProExecution",
    "ProExecutionLite",
    "ProLeverage",
    "ProLiquidationWarning",
    "ProOrder",
    "ProPosition",
)


class ProOrder(Payload, frozen=True, kw_only=True):
    """An order update on ``orderAll.<tradeType>`` or ``order.<tradeType>``.

    Required: ``order_id`` and ``symbol``.

    Attributes:
        order_id: ``oi``, KuCoin's order id.
        symbol: ``s``, e.g. ``BTC-USDT`` (spot) or ``XBTUSDTM`` (futures).
        trade_type: ``tT``, the market the order lives in: ``SPOT``, ``FUTURES``,
            ``ISOLATED`` or ``CROSS``; spot pushes may omit it (the channel's suffix
            names the trade type too).
        client_oid: ``ci``, the client order id; ``None`` if blank.
        status_code: ``os``, the order status as an integer: 0 not triggered, 1 triggered,
            2 live (open), 3 filled, 4 partially filled, 5 canceled, 6 partially canceled.
        event_type: ``eT``, what happened: ``OPEN``, ``UPDATE``, ``MATCH``, ``FILL``,
            ``CANCEL`` or ``TRIGGER``.
        side: ``S``, ``BUY`` or ``SELL``.
        order_type: ``oT``, ``LIMIT`` or ``MARKET``.
        created_ns: ``O``, when the order was created, nanoseconds since the epoch.
        updated_ns: ``U``, when the order last changed, nanoseconds since the epoch.
        position_side: ``pS``, the futures position side (e.g. ``BOTH``, ``LONG``,
            ``SHORT``); ``None`` if absent or blank.
        last_liquidity_role: ``lR``, the role of the last fill, ``MAKER`` or ``TAKER``;
            ``None`` before any fill.
        order_source: ``oS``, who placed the order, e.g. ``USER``.
        price: ``p``, the limit price in quote currency (``0`` for market orders).
        leverage: ``l``, futures leverage (e.g. ``3``); ``None`` on spot.
        margin_mode: ``mM``, futures margin mode ``CROSS`` or ``ISOLATED``; ``None`` on spot.
        last_trade_id: ``ti``, the trade id of the last fill; ``None`` before any fill.
        quantity: ``q``, the order quantity, in the unit `quantity_unit` names.
        quantity_unit: ``qU``, ``BASECCY`` (base currency), ``QUOTECCY`` (quote currency,
            i.e. funds) or ``UNIT`` (futures contracts).
        filled_quantity: ``fS``, cumulative filled quantity.
        last_fill_quantity: ``lS``, quantity of the last fill (``0`` if none).
        last_fill_price: ``ls``, price of the last fill (``0`` if none); KuCoin's official
            SDK describes this key as the fill's "value".
        average_price: ``aP``, average fill price (``0`` if nothing filled).
        fee: ``f``, cumulative fee, in `fee_currency`.
        fee_currency: ``fC``, the currency fees are charged in, e.g. ``USDT``.
        tax: ``t``, cumulative tax (KuCoin's official SDK names this key ``orderTag``).
        cancel_reason: ``cR``, why the order was canceled, e.g. ``USER``; ``None`` if not.
        canceled_quantity: ``cS``, quantity canceled.
        remaining_quantity: ``rS``, quantity still open.
        trigger_direction: ``tD``, for stop orders, which way the trigger price is crossed
            (e.g. ``UP``/``DOWN``); ``None`` for plain orders.
        trigger_price: ``tP``, the stop order's trigger price; ``None`` for plain orders.
        trigger_price_type: ``tPT``, the price the trigger watches (e.g. ``TP`` last trade,
            ``MP`` mark, ``IP`` index); ``None`` for plain orders.
        take_profit_price: ``pP``, attached take-profit trigger price.
        take_profit_price_type: ``pPT``, the price the take-profit trigger watches.
        take_profit_order_price: ``pOP``, the take-profit order's execution price.
        stop_loss_price: ``lP``, attached stop-loss trigger price.
        stop_loss_price_type: ``lPT``, the price the stop-loss trigger watches.
        stop_loss_order_price: ``lOP``, the stop-loss order's execution price.
        trigger_order_id: ``toi``, the id of the stop order that spawned this order.
        self_trade_prevention: ``stp``, self-trade prevention mode (e.g. ``CN``, ``CO``,
            ``CB``, ``DC``); ``None`` if not set.
        reduce_only: ``rO``, whether the order may only reduce a position.
        post_only: ``pO``, whether the order may only add liquidity.
        time_in_force: ``tIF``, ``GTC``, ``GTT``, ``IOC`` or ``FOK``.
    """

    order_id: Text = msgspec.field(name="oi")
    symbol: Text = msgspec.field(name="s")
    trade_type: Text | None = msgspec.field(default=None, name="tT")
    status_code: int | None = msgspec.field(default=None, name="os")
    event_type: Text | None = msgspec.field(default=None, name="eT")
    side: Text | None = msgspec.field(default=None, name="S")
    order_type: Text | None = msgspec.field(default=None, name="oT")
    created_ns: int | None = msgspec.field(default=None, name="O")
    updated_ns: int | None = msgspec.field(default=None, name="U")
    client_oid: Text | None = msgspec.field(default=None, name="ci")
    position_side: Text | None = msgspec.field(default=None, name="pS")
    last_liquidity_role: Text | None = msgspec.field(default=None, name="lR")
    order_source: Text | None = msgspec.field(default=None, name="oS")
    price: Decimal | None = msgspec.field(default=None, name="p")
    leverage: Decimal | None = msgspec.field(default=None, name="l")
    margin_mode: Text | None = msgspec.field(default=None, name="mM")
    last_trade_id: Text | None = msgspec.field(default=None, name="ti")
    quantity: Decimal | None = msgspec.field(default=None, name="q")
    quantity_unit: Text | None = msgspec.field(default=None, name="qU")
    filled_quantity: Decimal | None = msgspec.field(default=None, name="fS")
    last_fill_quantity: Decimal | None = msgspec.field(default=None, name="lS")
    last_fill_price: Decimal | None = msgspec.field(default=None, name="ls")
    average_price: Decimal | None = msgspec.field(default=None, name="aP")
    fee: Decimal | None = msgspec.field(default=None, name="f")
    fee_currency: Text | None = msgspec.field(default=None, name="fC")
    tax: Decimal | None = msgspec.field(default=None, name="t")
    cancel_reason: Text | None = msgspec.field(default=None, name="cR")
    canceled_quantity: Decimal | None = msgspec.field(default=None, name="cS")
    remaining_quantity: Decimal | None = msgspec.field(default=None, name="rS")
    trigger_direction: Text | None = msgspec.field(default=None, name="tD")
    trigger_price: Decimal | None = msgspec.field(default=None, name="tP")
    trigger_price_type: Text | None = msgspec.field(default=None, name="tPT")
    take_profit_price: Decimal | None = msgspec.field(default=None, name="pP")
    take_profit_price_type: Text | None = msgspec.field(default=None, name="pPT")
    take_profit_order_price: Decimal | None = msgspec.field(default=None, name="pOP")
    stop_loss_price: Decimal | None = msgspec.field(default=None, name="lP")
    stop_loss_price_type: Text | None = msgspec.field(default=None, name="lPT")
    stop_loss_order_price: Decimal | None = msgspec.field(default=None, name="lOP")
    trigger_order_id: Text | None = msgspec.field(default=None, name="toi")
    self_trade_prevention: Text | None = msgspec.field(default=None, name="stp")
    reduce_only: bool | None = msgspec.field(default=None, name="rO")
    post_only: bool | None = msgspec.field(default=None, name="pO")
    time_in_force: Text | None = msgspec.field(default=None, name="tIF")


class ProBalance(Payload, frozen=True, kw_only=True):
    """A balance change of one currency on ``balance.<accountType>``.

    Required: ``currency``.

    Attributes:
        currency: ``c``, e.g. ``USDT``.
        balance: ``b``, the total balance.
        available: ``a``, the part free to use.
        updated_ns: ``U``, when the balance changed, nanoseconds since the epoch.
        equity: ``e``, equity (balance plus unrealised PnL, less liability).
        hold: ``h``, the part frozen by open orders or positions.
        liability: ``l``, borrowed amount owed.
        sequence: ``E``, a per-account sequence number; present in futures pushes, absent
            in the unified capture.
        total_cross_margin: ``tCM``, futures: total margin used in cross mode.
        cross_position_margin: ``cPM``, futures: margin held by cross positions.
        cross_order_margin: ``cOM``, futures: margin held by cross open orders.
        cross_unrealised_pnl: ``cUP``, futures: unrealised PnL of cross positions.
        isolated_position_margin: ``iPM``, futures: margin held by isolated positions.
        isolated_order_margin: ``iOM``, futures: margin held by isolated open orders.
        isolated_funding_fee_margin: ``iFF``, futures: isolated funding-fee margin.
        isolated_unrealised_pnl: ``iUP``, futures: unrealised PnL of isolated positions.
        collateral_status: ``cS``, collateral status (added 2026-07): ``1`` normal, ``2``
            approaching the platform cap, ``3`` cap exceeded. Whether KuCoin sends it as
            a number or a string is unverified, so both are kept as sent.
    """

    currency: Text = msgspec.field(name="c")
    balance: Decimal | None = msgspec.field(default=None, name="b")
    available: Decimal | None = msgspec.field(default=None, name="a")
    updated_ns: int | None = msgspec.field(default=None, name="U")
    equity: Decimal | None = msgspec.field(default=None, name="e")
    hold: Decimal | None = msgspec.field(default=None, name="h")
    liability: Decimal | None = msgspec.field(default=None, name="l")
    sequence: int | None = msgspec.field(default=None, name="E")
    total_cross_margin: Decimal | None = msgspec.field(default=None, name="tCM")
    cross_position_margin: Decimal | None = msgspec.field(default=None, name="cPM")
    cross_order_margin: Decimal | None = msgspec.field(default=None, name="cOM")
    cross_unrealised_pnl: Decimal | None = msgspec.field(default=None, name="cUP")
    isolated_position_margin: Decimal | None = msgspec.field(default=None, name="iPM")
    isolated_order_margin: Decimal | None = msgspec.field(default=None, name="iOM")
    isolated_funding_fee_margin: Decimal | None = msgspec.field(default=None, name="iFF")
    isolated_unrealised_pnl: Decimal | None = msgspec.field(default=None, name="iUP")
    collateral_status: int | Text | None = msgspec.field(default=None, name="cS")


class ProPosition(Payload, frozen=True, kw_only=True):
    """A futures position update on ``positionAll.<tradeType>`` or ``position.<tradeType>``.

    Required: ``symbol`` (a position is one contract's, in one-way mode).

    Attributes:
        symbol: ``s``, the contract, e.g. ``XBTUSDTM``.
        position_id: ``pi``, KuCoin's position id.
        margin_mode: ``mM``, ``CROSS`` or ``ISOLATED``.
        quantity: ``q``, the signed position size in contracts (negative = short).
        updated_ns: ``U``, when the position last changed, nanoseconds since the epoch.
        created_ns: ``O``, when the position was opened, nanoseconds since the epoch.
        entry_price: ``eP``, average entry price.
        position_value: ``pV``, position value in the settlement currency.
        mark_price: ``mP``, the current mark price.
        liquidation_price: ``lP``, the liquidation price.
        bankruptcy_price: ``bP``, the bankruptcy price.
        leverage: ``l``, the leverage (e.g. ``3``).
        unrealised_pnl: ``uPL``, unrealised PnL.
        realised_pnl: ``rPL``, realised PnL.
        initial_margin: ``iM``, initial margin.
        maintenance_margin_rate: ``mmr``, maintenance margin rate (``0.004`` = 0.4 %).
        maintenance_margin: ``mtM``, maintenance margin.
        position_margin: ``pM``, position margin (added 2026).
        risk_ratio: ``r``, the isolated position's risk ratio (added 2026).
        adl_percentile: ``adl``, the auto-deleveraging percentile (added 2026; decoded from
            a decimal string or a JSON number).
    """

    symbol: Text = msgspec.field(name="s")
    position_id: Text | None = msgspec.field(default=None, name="pi")
    margin_mode: Text | None = msgspec.field(default=None, name="mM")
    quantity: Decimal | None = msgspec.field(default=None, name="q")
    updated_ns: int | None = msgspec.field(default=None, name="U")
    created_ns: int | None = msgspec.field(default=None, name="O")
    entry_price: Decimal | None = msgspec.field(default=None, name="eP")
    position_value: Decimal | None = msgspec.field(default=None, name="pV")
    mark_price: Decimal | None = msgspec.field(default=None, name="mP")
    liquidation_price: Decimal | None = msgspec.field(default=None, name="lP")
    bankruptcy_price: Decimal | None = msgspec.field(default=None, name="bP")
    leverage: Decimal | None = msgspec.field(default=None, name="l")
    unrealised_pnl: Decimal | None = msgspec.field(default=None, name="uPL")
    realised_pnl: Decimal | None = msgspec.field(default=None, name="rPL")
    initial_margin: Decimal | None = msgspec.field(default=None, name="iM")
    maintenance_margin_rate: Decimal | None = msgspec.field(default=None, name="mmr")
    maintenance_margin: Decimal | None = msgspec.field(default=None, name="mtM")
    position_margin: Decimal | None = msgspec.field(default=None, name="pM")
    risk_ratio: Decimal | None = msgspec.field(default=None, name="r")
    adl_percentile: Decimal | None = msgspec.field(default=None, name="adl")


class _ProFill(Payload, frozen=True, kw_only=True):
    """The fields both execution channels share (private: neither is the other)."""

    order_id: Text = msgspec.field(name="oi")
    symbol: Text = msgspec.field(name="s")
    trade_id: Text = msgspec.field(name="ti")
    side: Text | None = msgspec.field(default=None, name="S")
    price: Decimal | None = msgspec.field(default=None, name="p")
    quantity: Decimal | None = msgspec.field(default=None, name="q")
    trade_time_ns: int | None = msgspec.field(default=None, name="E")
    client_oid: Text | None = msgspec.field(default=None, name="ci")
    order_type: Text | None = msgspec.field(default=None, name="oT")
    liquidity_role: Text | None = msgspec.field(default=None, name="lR")
    fill_type: Text | None = msgspec.field(default=None, name="fT")


class ProExecution(_ProFill, frozen=True, kw_only=True):
    """One fill of one of your orders on ``execution.<tradeType>``, with fees.

    Required: ``order_id``, ``symbol`` and ``trade_id``.

    Attributes:
        order_id: ``oi``, the filled order's id.
        symbol: ``s``, e.g. ``BTC-USDT``.
        side: ``S``, ``BUY`` or ``SELL``.
        price: ``p``, the fill price.
        quantity: ``q``, the filled quantity.
        trade_id: ``ti``, the trade id.
        trade_time_ns: ``E``, when the trade happened, nanoseconds since the epoch.
        client_oid: ``ci``, the order's client order id.
        order_type: ``oT``, ``LIMIT`` or ``MARKET``.
        liquidity_role: ``lR``, ``MAKER`` or ``TAKER``.
        fill_type: ``fT``, ``NORMAL``, ``ADL``, ``LIQUID``, ``SETTLEMENT``….
        fee: ``f``, the fee of this fill, in `fee_currency`.
        fee_currency: ``fC``, e.g. ``USDT``.
        tax: ``t``, the tax of this fill.
    """

    fee: Decimal | None = msgspec.field(default=None, name="f")
    fee_currency: Text | None = msgspec.field(default=None, name="fC")
    tax: Decimal | None = msgspec.field(default=None, name="t")


class ProExecutionLite(_ProFill, frozen=True, kw_only=True):
    """One fill of one of your orders on ``execution.lite.<tradeType>``, without fees.

    Required: ``order_id``, ``symbol`` and ``trade_id``.

    Attributes:
        order_id: ``oi``, the filled order's id.
        symbol: ``s``, e.g. ``BTC-USDT``.
        side: ``S``, ``BUY`` or ``SELL``.
        price: ``p``, the fill price.
        quantity: ``q``, the filled quantity.
        trade_id: ``ti``, the trade id.
        trade_time_ns: ``E``, when the trade happened, nanoseconds since the epoch.
        client_oid: ``ci``, the order's client order id.
        order_type: ``oT``, ``LIMIT`` or ``MARKET``.
        liquidity_role: ``lR``, ``MAKER`` or ``TAKER``.
        fill_type: ``fT``, ``NORMAL``, ``ADL``, ``LIQUID``, ``SETTLEMENT``…; if sent.
    """


class ProLiquidationWarning(Payload, frozen=True, kw_only=True):
    """An account risk warning on ``lw.<tradeType>``.

    Required: ``event_type`` (the warning means nothing without it).

    Attributes:
        event_type: ``eT``, ``MARGIN_CALL``, ``REDUCE_ONLY``, ``LIQUIDATION_WARNING`` or
            ``FORCE_LIQUIDATION``.
        updated_ns: ``U``, when the warning was raised, nanoseconds since the epoch.
        risk_ratio: ``r``, the account's risk ratio.
        adjusted_equity: ``a``, adjusted equity (assets after collateral haircuts).
        initial_margin: ``iM``, initial margin.
        maintenance_margin: ``mM``, maintenance margin (not a margin mode here).
        available_margin: ``aM``, available margin.
        equity: ``e``, equity.
        liability: ``l``, liability.
    """

    event_type: Text = msgspec.field(name="eT")
    updated_ns: int | None = msgspec.field(default=None, name="U")
    risk_ratio: Decimal | None = msgspec.field(default=None, name="r")
    adjusted_equity: Decimal | None = msgspec.field(default=None, name="a")
    initial_margin: Decimal | None = msgspec.field(default=None, name="iM")
    maintenance_margin: Decimal | None = msgspec.field(default=None, name="mM")
    available_margin: Decimal | None = msgspec.field(default=None, name="aM")
    equity: Decimal | None = msgspec.field(default=None, name="e")
    liability: Decimal | None = msgspec.field(default=None, name="l")


class ProLeverage(Payload, frozen=True, kw_only=True):
    """A leverage change of one futures symbol on ``leverage.<tradeType>``.

    Attributes:
        symbol: ``s``, the contract, e.g. ``XBTUSDTM``.
        leverage: ``l``, the new leverage (e.g. ``5.00``).
    """

    symbol: Text = msgspec.field(name="s")
    leverage: Decimal | None = msgspec.field(default=None, name="l")


REGISTRATIONS: tuple[Registration, ...] = (
    Registration(Dialect.PRO, "orderAll", None, ProOrder),
    Registration(Dialect.PRO, "order", None, ProOrder),
    Registration(Dialect.PRO, "balance", None, ProBalance),
    Registration(Dialect.PRO, "positionAll", None, ProPosition),
    Registration(Dialect.PRO, "position", None, ProPosition),
    Registration(Dialect.PRO, "execution", None, ProExecution),
    Registration(Dialect.PRO, "execution.lite", None, ProExecutionLite),
    Registration(Dialect.PRO, "lw", None, ProLiquidationWarning),
    Registration(Dialect.PRO, "leverage", None, ProLeverage),
)
