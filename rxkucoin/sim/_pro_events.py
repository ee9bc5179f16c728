"""Pro (UTA) ``d`` payloads of the account engine: orders, stop orders, fills, balances.

Pure builders: each turns engine state into the ``d`` object of one Pro event, exactly as
it goes on the wire, and emits nothing. The engine's books call them and hand the result
to `ProEvent`; the snapshots reuse them so that a snapshot and a push never disagree.
Position payloads live with the position figures, in `rxkucoin.sim._market`.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final

from ._market import (
    PRO_ORDER_DEFAULTS,
    ZERO,
    FuturesOrder,
    SpotBalance,
    SpotOrder,
    StopOrder,
    fmt,
    split_symbol,
)

__all__ = (
    "pro_execution_data",
    "pro_order_data",
    "pro_order_status",
    "pro_spot_balance_data",
    "pro_stop_data",
    "pro_wallet_data",
)

_PRO_STATUS: Final = {"open": 2, "filled": 3, "canceled": 5, "update": 2, "match": 4}
_PRO_EVENT: Final = {
    "open": "OPEN",
    "match": "MATCH",
    "filled": "FILL",
    "canceled": "CANCEL",
    "update": "UPDATE",
}
_PRO_STOP: Final = {"open": (0, "OPEN"), "triggered": (1, "TRIGGER"), "cancel": (5, "CANCEL")}


def pro_order_status(type_: str, order: SpotOrder | FuturesOrder) -> tuple[int, str]:
    """The Pro order status code and event name of a Classic order change.

    Args:
        type_: the Classic ``type`` (``open``, ``match``, ``filled``, ``canceled``,
            ``update``), after the change was applied to ``order``.
        order: the order.

    Returns:
        ``(os, eT)``: a match that fills the rest is ``3``, a change to a partly filled
        order ``4``, a cancel of a partly filled order ``6``.
    """
    code = _PRO_STATUS[type_]
    if type_ == "match" and order.remain == 0:
        code = 3
    elif type_ in ("match", "update") and order.filled > 0:
        code = 4
    elif type_ == "canceled" and order.filled > 0:
        code = 6
    return code, _PRO_EVENT[type_]


def pro_order_data(
    *,
    trade_type: str,
    order: SpotOrder | FuturesOrder,
    status: int,
    event: str,
    ts: int,
    fee_currency: str,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The ``order`` ``d`` payload of a spot or futures order.

    Args:
        trade_type: ``SPOT`` or ``FUTURES``.
        order: the order, in its current state.
        status: the ``os`` status code.
        event: the ``eT`` event name.
        ts: the update time ``U``, epoch ns.
        fee_currency: the ``fC`` fee currency.
        extra: fields added last (futures: leverage, margin mode, position side).

    Returns:
        The payload.
    """
    filled = Decimal(order.filled)
    avg = order.value / filled if isinstance(order, FuturesOrder) and filled else ZERO
    if isinstance(order, SpotOrder) and filled:
        avg = order.funds / filled
    data: dict[str, Any] = {
        "tT": trade_type,
        "oi": order.id,
        "ci": order.client_oid,
        "os": status,
        "eT": event,
        "s": order.symbol,
        "S": order.side.upper(),
        "oT": order.type.upper(),
        "lR": order.liquidity.upper(),
        "oS": "USER",
        "p": fmt(order.price) if order.price is not None else "0",
        "ti": order.last_trade_id,
        "q": fmt(Decimal(order.size)),
        "qU": "UNIT" if isinstance(order, FuturesOrder) else "BASECCY",
        "fS": fmt(filled),
        "lS": fmt(Decimal(order.last_size)),
        "ls": fmt(order.last_price),
        "aP": fmt(avg),
        "f": fmt(order.fee),
        "fC": fee_currency,
        "t": "0",
        "cR": "USER" if event == "CANCEL" else "",
        "cS": fmt(Decimal(order.canceled)),
        "rS": fmt(Decimal(order.remain)),
        **PRO_ORDER_DEFAULTS,
        "O": order.created_ns,
        "U": ts,
    }
    if extra:
        data.update(extra)
    return data


def pro_stop_data(stop: StopOrder, type_: str, ts: int) -> dict[str, Any]:
    """The ``order`` ``d`` payload of a stop order's change.

    Args:
        stop: the stop order.
        type_: the stop's change: ``open``, ``triggered`` or ``cancel``.
        ts: the update time ``U``, epoch ns.

    Returns:
        The payload (``tT`` is ``FUTURES`` or ``SPOT``).
    """
    code, event = _PRO_STOP[type_]
    direction = "UP" if stop.stop in ("up", "entry") else "DOWN"
    pro: dict[str, Any] = {
        "tT": "FUTURES" if stop.futures else "SPOT",
        "oi": stop.id,
        "ci": stop.client_oid,
        "os": code,
        "eT": event,
        "s": stop.symbol,
        "S": stop.side.upper(),
        "oT": "LIMIT" if stop.price is not None else "MARKET",
        "lR": "",
        "oS": "USER",
        "p": fmt(stop.price) if stop.price is not None else "0",
        "ti": "",
        "q": fmt(stop.size),
        "qU": "UNIT" if stop.futures else "BASECCY",
        "fS": "0",
        "lS": "0",
        "ls": "0",
        "aP": "0",
        "f": "0",
        "fC": "USDT" if stop.futures else split_symbol(stop.symbol)[1],
        "t": "0",
        "cR": "USER" if type_ == "cancel" else "",
        "cS": fmt(stop.size) if type_ == "cancel" else "0",
        "rS": "0" if type_ == "cancel" else fmt(stop.size),
        **PRO_ORDER_DEFAULTS,
        "tD": direction,
        "tP": fmt(stop.stop_price),
        "tPT": stop.price_type if stop.futures else "TP",
        "O": stop.created_ns,
        "U": ts,
    }
    if stop.futures:
        pro["l"] = fmt(stop.leverage)
        pro["mM"] = stop.margin_mode
    return pro


def pro_execution_data(
    order: SpotOrder | FuturesOrder,
    *,
    liquidity: str,
    price: Decimal,
    size: str,
    trade_id: str,
    fee: Decimal,
    fee_currency: str,
    ts: int,
) -> dict[str, Any]:
    """The ``execution`` ``d`` payload of one fill.

    Args:
        order: the filled order.
        liquidity: ``maker`` or ``taker``.
        price: the fill price.
        size: the fill size, already formatted (spot: decimal, futures: contracts).
        trade_id: the trade id.
        fee: the fee charged.
        fee_currency: the fee currency.
        ts: the event time ``E``, epoch ns.

    Returns:
        The payload.
    """
    return {
        "oi": order.id,
        "ci": order.client_oid,
        "s": order.symbol,
        "S": order.side.upper(),
        "oT": order.type.upper(),
        "lR": liquidity.upper(),
        "p": fmt(price),
        "q": size,
        "ti": trade_id,
        "f": fmt(fee),
        "fC": fee_currency,
        "t": "0",
        "fT": "NORMAL",
        "E": ts,
    }


def pro_spot_balance_data(
    currency: str, balance: SpotBalance, debt: Decimal, ts: int
) -> dict[str, Any]:
    """The ``balance`` ``d`` payload of one spot currency.

    Args:
        currency: the currency.
        balance: its trade-account balance.
        debt: its margin liability.
        ts: the update time ``U``, epoch ns.

    Returns:
        The payload.
    """
    return {
        "c": currency,
        "e": fmt(balance.total),
        "b": fmt(balance.total),
        "a": fmt(balance.available),
        "h": fmt(balance.hold),
        "l": fmt(debt),
        "U": ts,
    }


def pro_wallet_data(
    wallet: Decimal, n: Mapping[str, Decimal], cross_total: Decimal, seq: int, ts: int
) -> dict[str, Any]:
    """The ``balance`` ``d`` payload of the futures USDT wallet.

    Args:
        wallet: the wallet balance.
        n: the wallet figures (``Ledger._wallet``).
        cross_total: the total cross margin.
        seq: the account's Pro sequence number ``E``.
        ts: the update time ``U``, epoch ns.

    Returns:
        The payload.
    """
    return {
        "c": "USDT",
        "e": fmt(n["equity"]),
        "b": fmt(wallet),
        "a": fmt(n["available"]),
        "h": fmt(n["held"]),
        "l": "0",
        "U": ts,
        "E": seq,
        "tCM": fmt(cross_total),
        "cPM": fmt(n["cPM"]),
        "cOM": fmt(n["cOM"]),
        "cUP": fmt(n["cUP"]),
        "iPM": fmt(n["iPM"]),
        "iOM": fmt(n["iOM"]),
        "iFF": "0",
        "iUP": fmt(n["iUP"]),
    }
