"""What a live view holds: one record per open order, balance or position, and the
`Resynced` record a view emits when a REST snapshot corrected it."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Generic, TypeVar

from ._events import Gap

__all__ = ("Balance", "OpenOrder", "Position", "Resynced", "fill_unknown", "to_decimal")

K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True)
class OpenOrder:
    """An order that rests on the book (or is being matched).

    Built from pushes and from REST snapshots alike, with the fields both give; two records
    are equal when every field but ``updated_ns`` is.

    Attributes:
        order_id: KuCoin's order id.
        symbol: e.g. ``BTC-USDT`` or ``XBTUSDTM``.
        side: ``buy``/``sell`` (Classic) or ``BUY``/``SELL`` (UTA), as KuCoin writes it.
        type: ``limit``, ``market``... (Classic) or ``LIMIT``... (UTA).
        price: the limit price.
        size: the order's size (after any amendment), in base currency or contracts.
        filled_size: how much of it has filled.
        client_oid: the client order id, if one was given.
        updated_ns: the exchange's time of the last change, ns since the epoch (from a
            REST snapshot, its ms time); not compared.
    """

    order_id: str
    symbol: str
    side: str | None = None
    type: str | None = None
    price: Decimal | None = None
    size: Decimal | None = None
    filled_size: Decimal | None = None
    client_oid: str | None = None
    updated_ns: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Balance:
    """One currency of one account.

    Attributes:
        currency: e.g. ``USDT``.
        total: everything held, available or not.
        available: what can be used now.
        hold: what open orders and other holds keep.
        liability: what is borrowed (UTA only; ``None`` elsewhere).
        updated_ns: the exchange's time of the last change, ns since the epoch; not
            compared.
    """

    currency: str
    total: Decimal | None = None
    available: Decimal | None = None
    hold: Decimal | None = None
    liability: Decimal | None = None
    updated_ns: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Position:
    """An open futures position.

    Attributes:
        symbol: the contract, e.g. ``XBTUSDTM``.
        margin_mode: ``ISOLATED`` or ``CROSS``.
        quantity: signed size (negative when short), in contracts (Classic) or as the UTA
            reports it.
        entry_price: average entry price.
        mark_price: the mark price the figures were computed at.
        unrealised_pnl: profit or loss at the mark price.
        realised_pnl: profit or loss realised since the position opened.
        liquidation_price: where the position would be liquidated.
        leverage: the position's leverage.
        updated_ns: the exchange's time of the last change, ns since the epoch; not
            compared.
    """

    symbol: str
    margin_mode: str | None = None
    quantity: Decimal | None = None
    entry_price: Decimal | None = None
    mark_price: Decimal | None = None
    unrealised_pnl: Decimal | None = None
    realised_pnl: Decimal | None = None
    liquidation_price: Decimal | None = None
    leverage: Decimal | None = None
    updated_ns: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Resynced(Generic[K, V]):
    """A live view took a REST snapshot, and this is what it changed.

    After a `Gap` it lists exactly what the outage hid: orders that filled, were canceled
    or appeared, balances and positions that moved. A periodic check emits one only for
    the differences between the snapshot and the pushes that no push explained within
    half a second (a push lost without any outage, not one that was merely in flight).

    Attributes:
        view: the view's name, e.g. ``"spot open orders"``.
        cause: the `Gap`'s cause, ``"check"`` for a periodic check, ``"requested"`` for
            `LiveView.resync`.
        gap: the `Gap` that caused it, if one did.
        added: entities the view did not show, by key.
        removed: entities the view showed that are gone, with their last value shown.
        changed: entities whose value differed, as ``(shown, true)``.
        time: when the snapshot was applied, seconds since the epoch.
    """

    view: str
    cause: str
    gap: Gap | None
    added: Mapping[K, V]
    removed: Mapping[K, V]
    changed: Mapping[K, tuple[V, V]]
    time: float

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)


def to_decimal(value: Decimal | float | int | str | None) -> Decimal | None:
    """A number from a push or an answer as a `Decimal` (floats by their shortest repr)."""
    if value is None or isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def fill_unknown(old: Any, new: Any) -> Any:
    """``new`` with each ``None`` field taken from ``old``: a push that omits a field does
    not erase what an earlier one said."""
    if old is None or old is new:
        return new
    missing = {
        f.name: getattr(old, f.name)
        for f in dataclasses.fields(new)
        if getattr(new, f.name) is None and getattr(old, f.name) is not None
    }
    return dataclasses.replace(new, **missing) if missing else new
