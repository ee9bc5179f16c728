"""Spot private payloads: order changes, balance changes and stop-order changes (Classic).

Topics (PROTOCOL.md §4.1-§4.3):

- ``/spotMarket/tradeOrdersV2`` and ``/spotMarket/tradeOrders``, subject ``orderChange``
  → `SpotOrderChange` (V2 adds type ``received`` and status ``new``; same shape).
- ``/account/balance``, subject ``account.balance`` → `SpotBalanceChange`.
- ``/spotMarket/advancedOrders``, subject ``stopOrder`` → `SpotStopOrderChange`.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from ..keys import Dialect
from ._base import Payload, Registration, Text

__all__ = (
    "SpotBalanceChange",
    "SpotBalanceRelationContext",
    "SpotMatch",
    "SpotOrderChange",
    "SpotStopOrderChange",
)


class SpotOrderChange(Payload, frozen=True, kw_only=True):
    """One change of a spot order's state (``orderChange`` on the spot order topics).

    Semantics: ``received``/``new`` when the order enters the engine, ``open``/``open``
    when it rests on the book, ``match`` with status ``open`` for a maker fill and with
    status ``match`` for a taker fill, ``update`` for a partial cancel or STP, then
    ``filled``/``done`` or ``canceled``/``done``.

    Required: ``symbol``, ``order_id`` and ``type``; every other field is ``None`` when
    the push omits it.

    Attributes:
        symbol: the market, e.g. ``BTC-USDT``.
        order_id: KuCoin's order id (24 hex digits).
        type: the event: ``received`` (V2 only), ``open``, ``match``, ``update``,
            ``filled``, ``canceled``.
        order_type: ``limit`` or ``market``.
        side: ``buy`` or ``sell``.
        status: the order's status after the event: ``new`` (V2 only), ``open``,
            ``match``, ``done``.
        order_time: when the order was placed; ms per the spec, though older
            documentation examples show ns values (check the magnitude).
        ts: match-engine time of the event, ns.
        client_oid: the client's order id, if one was given.
        price: the limit price; ``None`` for market orders.
        size: the order size.
        origin_size: the size the user asked for.
        filled_size: cumulative filled size.
        remain_size: size still open.
        canceled_size: cumulative canceled size.
        origin_funds: the funds the user asked for (market orders by funds).
        remain_funds: funds still open (market orders by funds).
        canceled_funds: canceled funds (market orders by funds).
        old_size: the size before the change (``update`` only).
        liquidity: ``maker`` or ``taker`` (``match`` only).
        fee_type: ``makerFee`` or ``takerFee`` (``match`` only).
        match_price: the fill price (``match`` only).
        match_size: the fill size (``match`` only).
        trade_id: the fill's trade id (``match`` only).
    """

    symbol: Text
    order_id: Text
    type: Text
    order_type: Text | None = None
    side: Text | None = None
    status: Text | None = None
    order_time: int | None = None
    ts: int | None = None
    client_oid: Text | None = None
    price: Decimal | None = None
    size: Decimal | None = None
    origin_size: Decimal | None = None
    filled_size: Decimal | None = None
    remain_size: Decimal | None = None
    canceled_size: Decimal | None = None
    origin_funds: Decimal | None = None
    remain_funds: Decimal | None = None
    canceled_funds: Decimal | None = None
    old_size: Decimal | None = None
    liquidity: Text | None = None
    fee_type: Text | None = None
    match_price: Decimal | None = None
    match_size: Decimal | None = None
    trade_id: Text | None = None


class SpotBalanceRelationContext(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """What a balance change relates to (``relationContext`` of ``account.balance``).

    Attributes:
        symbol: the market of the order, e.g. ``BTC-USDT``.
        order_id: the order that caused the change.
        trade_id: the trade that caused the change (settlements, per older docs).
    """

    symbol: Text | None = None
    order_id: Text | None = None
    trade_id: Text | None = None


class SpotBalanceChange(Payload, frozen=True, kw_only=True):
    """A change of one currency's balance in one account (``account.balance``).

    Required: ``currency``; every other field is ``None`` when the push omits it.

    Attributes:
        currency: the currency, e.g. ``USDT``.
        total: the balance after the change (``available + hold``).
        available: the available balance after the change.
        hold: the held (frozen) balance after the change.
        available_change: this event's change of ``available`` (may be negative).
        hold_change: this event's change of ``hold`` (may be negative).
        relation_event: what happened, e.g. ``trade.hold``, ``trade.setted``,
            ``trade_hf.hold``, ``main.deposit``, ``margin.hold``,
            ``isolated_{symbol}.setted``, ``marginV2.transfer``,
            ``isolatedV2_{symbol}.other``, ``other``.
        time: the event time, epoch ms (a numeric string on the wire, read as an int).
        account_id: the account's id (absent in older pushes).
        relation_event_id: the event's id (the envelope's ``id``).
        relation_context: the order or trade behind the change, if any.
    """

    currency: Text
    total: Decimal | None = None
    available: Decimal | None = None
    hold: Decimal | None = None
    available_change: Decimal | None = None
    hold_change: Decimal | None = None
    relation_event: Text | None = None
    time: int | None = None
    account_id: Text | None = None
    relation_event_id: Text | None = None
    relation_context: SpotBalanceRelationContext | None = None

    @property
    def time_ms(self) -> int | None:
        """`time` under its older name: the event time, epoch ms."""
        return self.time


class SpotStopOrderChange(Payload, frozen=True, kw_only=True):
    """A change of a spot stop (advanced) order (``stopOrder``).

    Required: ``order_id``, ``symbol`` and ``type``; every other field is ``None`` when
    the push omits it.

    Attributes:
        order_id: the stop order's id, e.g. ``vs93gpupfa48anof003u85mb``.
        symbol: the market, e.g. ``BTC-USDT``.
        type: the event: ``open``, ``triggered``, ``cancel`` (old docs, and what the
            live exchange sends); the docs-new spec lists ``open``, ``match``, ``update``,
            ``filled``, ``cancel``, ``received``. Any other value is kept as sent.
        side: ``buy`` or ``sell``.
        order_type: ``stop``.
        ts: event time, ns (sent as an integer or a numeric string).
        created_at: when the stop order was placed, ms.
        order_price: the price of the order placed on trigger; ``None`` for market.
        size: the order size.
        stop_price: the trigger price.
        stop: the stop kind: ``loss``, ``entry``, ``l_l_o``, ``l_s_o``, ``e_l_o``,
            ``e_s_o``, ``tso``.
        trade_type: ``TRADE``, ``MARGIN_TRADE`` or ``MARGIN_ISOLATED_TRADE``.
        trigger_success: whether the trigger placed the order (``triggered`` events).
    """

    order_id: Text
    symbol: Text
    type: Text
    side: Text | None = None
    order_type: Text | None = None
    ts: int | None = None
    created_at: int | None = None
    order_price: Decimal | None = None
    size: Decimal | None = None
    stop_price: Decimal | None = None
    stop: Text | None = None
    trade_type: Text | None = None
    trigger_success: bool | None = None


class SpotMatch(Payload, frozen=True, kw_only=True):
    """One of your own fills on ``/market/match:{symbol}`` (subject ``trade.l3match``).

    The topic is KuCoin's public Level-3 match feed; subscribed with ``privateChannel``
    true on a private socket it may carry your own matches (whether the live exchange
    filters it so is unverified: the order topics' ``match`` events are the sure source).
    Every value is a string on the wire. Required: ``symbol`` and ``trade_id``.

    Attributes:
        symbol: the market.
        trade_id: the trade's id.
        side: the taker's side, ``buy`` or ``sell``.
        price: the match price.
        size: the matched quantity.
        maker_order_id: the resting order's id.
        taker_order_id: the incoming order's id.
        sequence: the match sequence number (a numeric string on the wire, read as an int).
        time: the match time, epoch **ns** (a numeric string on the wire, read as an int).
        type: ``match``.
    """

    symbol: Text
    trade_id: Text
    side: Text | None = None
    price: Decimal | None = None
    size: Decimal | None = None
    maker_order_id: Text | None = None
    taker_order_id: Text | None = None
    sequence: int | None = None
    time: int | None = None
    type: Text | None = None

    @property
    def time_ns(self) -> int | None:
        """`time` under its older name: the match time, epoch ns."""
        return self.time


REGISTRATIONS: tuple[Registration, ...] = (
    Registration(Dialect.CLASSIC, "/spotMarket/tradeOrdersV2", "orderChange", SpotOrderChange),
    Registration(Dialect.CLASSIC, "/spotMarket/tradeOrders", "orderChange", SpotOrderChange),
    Registration(Dialect.CLASSIC, "/account/balance", "account.balance", SpotBalanceChange),
    Registration(Dialect.CLASSIC, "/spotMarket/advancedOrders", "stopOrder", SpotStopOrderChange),
    Registration(Dialect.CLASSIC, "/market/match", "trade.l3match", SpotMatch),
)
