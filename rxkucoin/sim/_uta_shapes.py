"""The UTA REST shapes of the engine's orders, stop orders and positions (pure).

`_uta_api` answers with these; the times are the engine's, so an order's
``orderTime``/``updatedTime`` and a position's ``updateTime`` are the ``O``/``U`` of its
Pro pushes.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final

from ._market import (
    MMR,
    ZERO,
    FuturesOrder,
    Position,
    SpotOrder,
    StopOrder,
    figures,
    fmt,
    split_symbol,
)

__all__ = (
    "NO_TRIGGERS",
    "Order",
    "uta_order_data",
    "uta_position_data",
    "uta_status",
    "uta_stop_data",
)

#: The trigger and TP/SL members of an order without any, as KuCoin leaves them: blank.
NO_TRIGGERS: Final = dict.fromkeys(
    (
        "triggerDirection",
        "triggerPrice",
        "triggerPriceType",
        "tpTriggerPrice",
        "tpTriggerPriceType",
        "slTriggerPrice",
        "slTriggerPriceType",
    ),
    "",
)

#: An order of either book.
Order = SpotOrder | FuturesOrder


def uta_status(order: Order) -> int:
    """The UTA status code: 2 open, 4 partly filled, 3 filled, 5 canceled, 6 partly."""
    if not order.done:
        return 4 if order.filled else 2
    if order.filled == order.size:
        return 3
    return 6 if order.filled else 5


def uta_order_data(
    order: Order, *, tags: str = "", stp: str = "", detail: bool = False
) -> dict[str, Any]:
    """An order in the UTA REST shape: an open-list item, or the detail answer.

    Args:
        order: the engine's order, open or done.
        tags: the tags it was placed with.
        stp: its self-trade prevention mode.
        detail: the detail answer's shape (adds ``tradeType``, ``cancelReason`` and the
            TP/SL order prices).

    Returns:
        The order, with long names, decimal strings and ns times.
    """
    futures = isinstance(order, FuturesOrder)
    filled = Decimal(order.filled)
    if isinstance(order, FuturesOrder):
        avg = order.value / filled if filled else ZERO
        fee_currency = "USDT"
    else:
        avg = order.funds / filled if filled else ZERO
        fee_currency = split_symbol(order.symbol)[1]
    canceled = order.done and order.filled != order.size
    data: dict[str, Any] = {
        "orderId": order.id,
        "clientOid": order.client_oid,
        "status": uta_status(order),
        "filledSize": fmt(filled),
        "avgPrice": fmt(avg),
        "fee": fmt(order.fee),
        "feeCurrency": fee_currency,
        "tax": "0",
        "tradeId": order.last_trade_id,
        "symbol": order.symbol,
        "side": order.side.upper(),
        "positionSide": "BOTH" if futures else "",
        "orderType": order.type.upper(),
        "size": fmt(Decimal(order.size)),
        "sizeUnit": "UNIT" if futures else "BASECCY",
        "price": fmt(order.price) if order.price is not None else "",
        "reduceOnly": order.reduce_only if isinstance(order, FuturesOrder) else False,
        "marginMode": order.margin_mode if isinstance(order, FuturesOrder) else "",
        "stp": stp,
        "timeInForce": order.time_in_force,
        "cancelAfter": None,
        "cancelSize": fmt(Decimal(order.canceled)),
        **NO_TRIGGERS,
        "postOnly": order.post_only,
        "tags": tags,
        "triggerOrderId": "",
        "orderTime": order.created_ns,
        "updatedTime": order.updated_ns,
    }
    if detail:
        data["tradeType"] = "FUTURES" if futures else "SPOT"
        data["cancelReason"] = "USER" if canceled else ""
        data["tpOrderPrice"] = ""
        data["slOrderPrice"] = ""
    return data


def uta_stop_data(stop: StopOrder) -> dict[str, Any]:
    """A waiting conditional order as an open-list item (``orderFilter=ADVANCED``)."""
    return {
        "orderId": stop.id,
        "clientOid": stop.client_oid,
        "status": 0,
        "filledSize": "0",
        "avgPrice": "0",
        "fee": "0",
        "feeCurrency": "USDT" if stop.futures else split_symbol(stop.symbol)[1],
        "tax": "0",
        "tradeId": "",
        "symbol": stop.symbol,
        "side": stop.side.upper(),
        "positionSide": "BOTH" if stop.futures else "",
        "orderType": "LIMIT" if stop.price is not None else "MARKET",
        "size": fmt(stop.size),
        "sizeUnit": "UNIT" if stop.futures else "BASECCY",
        "price": fmt(stop.price) if stop.price is not None else "",
        "reduceOnly": False,
        "marginMode": stop.margin_mode if stop.futures else "",
        "stp": "",
        "timeInForce": "GTC",
        "cancelAfter": None,
        "cancelSize": "0",
        **NO_TRIGGERS,
        "triggerDirection": "UP" if stop.stop in ("up", "entry") else "DOWN",
        "triggerPrice": fmt(stop.stop_price),
        "triggerPriceType": stop.price_type if stop.futures else "TP",
        "postOnly": False,
        "tags": "",
        "triggerOrderId": "",
        "orderTime": stop.created_ns,
        "updatedTime": stop.created_ns,
    }


def uta_position_data(pos: Position, mark: Decimal) -> dict[str, Any]:
    """A position in the UTA v2 REST shape (``.../position/open-list`` item).

    Args:
        pos: the engine's position.
        mark: the contract's mark price.

    Returns:
        The position: decimal strings, ns times; ``updateTime`` is the ``U`` of the
        position's last Pro push.
    """
    f = figures(pos, mark)
    risk = ""
    if pos.margin_mode == "ISOLATED" and pos.margin + f.upnl > 0:
        risk = fmt((f.maint / (pos.margin + f.upnl)).quantize(Decimal("0.0001")))
    return {
        "symbol": pos.symbol,
        "id": pos.id,
        "marginMode": pos.margin_mode,
        "size": str(pos.qty),
        "entryPrice": fmt(pos.entry),
        "positionValue": fmt(abs(f.mark_value)),
        "positionMargin": fmt(pos.margin),
        "markPrice": fmt(mark),
        "leverage": fmt(pos.leverage),
        "unrealizedPnL": fmt(f.upnl),
        "realizedPnL": fmt(pos.realised),
        "initialMargin": fmt(pos.margin),
        "mmr": fmt(MMR),
        "maintenanceMargin": fmt(f.maint),
        "creationTime": pos.opened_ns,
        "liquidationPrice": fmt(f.liq),
        "riskRatio": risk,
        "adlPercentage": "0",
        "updateTime": pos.updated_ns or pos.opened_ns,
    }


# ------------------------------------------------------------------ request checks
