"""What the spot and futures views read: their pushes, their REST snapshots, and how both
become records (the UTA views are in `_view_specs_uta`).

Versions (see `_view_state`). An order only moves forward, so its version is its progress:
``(done, filled size, event rank, time)``, the rank being ``received`` < ``open`` <
``match``/``update`` < ``filled``/``canceled`` (UTA: by ``os``). A REST order record gets
the same kind of version from its own status and filled size, so a record that shows more
fills than the view wins whatever the times, and a push that shows more wins over the
record. Balances and positions are ordered by the exchange's time, then arrival order; a
REST record is stamped with `snapshot_version` of its own update time (every push of that
time is taken as already in it), or, for futures positions, whose records carry the time
of the answer, `answer_version` (a push of that millisecond is applied on top).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

from ._live_view import ViewSpec
from ._view_models import Balance, OpenOrder, Position, to_decimal
from ._view_state import Update, Version, answer_version
from .keys import WsKey
from .models import (
    FuturesOrderChange,
    FuturesPositionChange,
    FuturesPositionMarkPrice,
    SpotBalanceChange,
    SpotOrderChange,
)

if TYPE_CHECKING:
    from ._client import KucoinStreams
    from ._rest_api import KucoinRest

__all__ = (
    "PRO_FINAL",
    "PRO_OPEN",
    "futures_open_orders",
    "futures_positions",
    "order_gone",
    "order_version",
    "pro_rank",
    "spot_balances",
    "spot_open_orders",
)

MS: Final = 1_000_000
_RANK: Final = {
    "received": 0,
    "open": 1,
    "update": 2,
    "adjust": 2,
    "match": 2,
    "filled": 3,
    "canceled": 3,
    "cancel": 3,
}
_DONE: Final = frozenset({"filled", "canceled", "cancel"})
#: Pro order status codes (``os``) of an order that is on the book: live, partially filled.
PRO_OPEN: Final = frozenset({2, 4})
#: Pro order status codes after which the order can never come back.
PRO_FINAL: Final = frozenset({3, 5, 6})

OrderKey = str


def order_version(done: bool, filled: Decimal | None, rank: int, ns: int | None) -> Version:
    return (int(done), filled if filled is not None else _ZERO, rank, ns or 0)


def order_gone(_as_of: int) -> Version:
    return (1,)  # an order that left the open list is done: nothing brings it back


_ZERO: Final = Decimal(0)
#: ``relationEvent`` prefixes of the trade account: ``trade.hold``, and the HF account's
#: ``trade_hf.hold``, ``trade_hf.setted``...
_TRADE_EVENTS: Final = frozenset({"trade", "trade_hf"})


def _record_version(filled: Decimal | None, updated_ms: int | None) -> Version:
    """A Classic REST order record (open, so not done) as a version of its progress."""
    rank = 2 if filled else 1
    return order_version(False, filled, rank, None if updated_ms is None else updated_ms * MS)


def pro_rank(code: int | None) -> int:
    return 3 if code in PRO_FINAL else 2 if code == 4 else 1


# ------------------------------------------------------------------ spot


def _classic_order_update(
    push: SpotOrderChange | FuturesOrderChange,
) -> Update[OrderKey, OpenOrder]:
    kind = push.type.lower()
    done = kind in _DONE or push.status == "done"
    version = order_version(done, push.filled_size, _RANK.get(kind, 2), push.ts)
    if done:
        return Update(push.order_id, None, version, time_ns=push.ts)
    size = push.size
    if size is None and isinstance(push, SpotOrderChange):
        size = push.origin_size
    order = OpenOrder(
        push.order_id,
        push.symbol,
        push.side,
        push.order_type,
        push.price,
        size,
        push.filled_size,
        push.client_oid,
        push.ts,
    )
    return Update(push.order_id, order, version, time_ns=push.ts)


def _classic_order_record(
    order_id: str,
    symbol: str,
    side: str | None,
    type_: str | None,
    price: Decimal | None,
    size: Decimal | None,
    filled: Decimal | None,
    client_oid: str | None,
    updated_ms: int | None,
) -> tuple[OrderKey, OpenOrder, Version | None]:
    """An open order from a Classic REST record (times in ms), with its version."""
    ns = None if updated_ms is None else updated_ms * MS
    record = OpenOrder(order_id, symbol, side, type_, price, size, filled, client_oid, ns)
    return order_id, record, _record_version(filled, updated_ms)


def _spot_order_update(push: Any, _seq: int) -> Update[OrderKey, OpenOrder] | None:
    return _classic_order_update(push) if isinstance(push, SpotOrderChange) else None


async def _spot_open_orders_snapshot(
    rest: KucoinRest,
) -> Iterable[tuple[OrderKey, OpenOrder, Version | None]]:
    return [
        _classic_order_record(
            o.id,
            o.symbol,
            o.side,
            o.type,
            o.price,
            o.size,
            o.deal_size,
            o.client_oid,
            o.last_updated_at,
        )
        for o in await rest.spot_open_orders()
    ]


def _stream_spot_orders(streams: KucoinStreams) -> Any:
    return streams.spot_orders()


spot_open_orders: ViewSpec[OrderKey, OpenOrder] = ViewSpec(
    "spot open orders",
    WsKey.SPOT_PRIVATE_V1,
    _stream_spot_orders,
    _spot_order_update,
    _spot_open_orders_snapshot,
    order_gone,
)


def _spot_balance_update(push: Any, seq: int) -> Update[str, Balance] | None:
    if not isinstance(push, SpotBalanceChange):
        return None
    event = push.relation_event
    if event is not None and event.split(".", 1)[0] not in _TRADE_EVENTS:
        return None  # another account type (main, margin...) of the same currency
    ns = None if push.time is None else push.time * MS
    balance = Balance(push.currency, push.total, push.available, push.hold, None, ns)
    return Update(push.currency, balance, None if ns is None else (ns, seq), time_ns=ns)


async def _spot_balances_snapshot(
    rest: KucoinRest,
) -> Iterable[tuple[str, Balance, Version | None]]:
    return [
        (a.currency, Balance(a.currency, a.balance, a.available, a.holds), None)
        for a in await rest.spot_accounts(type="trade")
    ]


def _stream_spot_balance(streams: KucoinStreams) -> Any:
    return streams.spot_balance()


spot_balances: ViewSpec[str, Balance] = ViewSpec(
    "spot balances",
    WsKey.SPOT_PRIVATE_V1,
    _stream_spot_balance,
    _spot_balance_update,
    _spot_balances_snapshot,
)


# ------------------------------------------------------------------ futures


def _futures_order_update(push: Any, _seq: int) -> Update[OrderKey, OpenOrder] | None:
    return _classic_order_update(push) if isinstance(push, FuturesOrderChange) else None


async def _futures_open_orders_snapshot(
    rest: KucoinRest,
) -> Iterable[tuple[OrderKey, OpenOrder, Version | None]]:
    return [
        _classic_order_record(
            o.id,
            o.symbol,
            o.side,
            o.type,
            to_decimal(o.price),
            to_decimal(o.size),
            to_decimal(o.filled_size),
            o.client_oid,
            o.updated_at,
        )
        for o in await rest.futures_open_orders()
    ]


def _stream_futures_orders(streams: KucoinStreams) -> Any:
    return streams.futures_orders()


futures_open_orders: ViewSpec[OrderKey, OpenOrder] = ViewSpec(
    "futures open orders",
    WsKey.FUTURES_PRIVATE_V1,
    _stream_futures_orders,
    _futures_order_update,
    _futures_open_orders_snapshot,
    order_gone,
)


def _futures_position_update(push: Any, seq: int) -> Update[str, Position] | None:
    if isinstance(push, FuturesPositionChange):
        ns = None if push.current_timestamp is None else push.current_timestamp * MS
        version = None if ns is None else (ns, seq)
        if push.is_open is False or push.current_qty == 0:
            return Update(push.symbol, None, version, time_ns=ns)
        position = Position(
            push.symbol,
            push.margin_mode,
            to_decimal(push.current_qty),
            to_decimal(push.avg_entry_price),
            to_decimal(push.mark_price),
            to_decimal(push.unrealised_pnl),
            to_decimal(push.realised_pnl),
            to_decimal(push.liquidation_price),
            to_decimal(push.leverage),
            ns,
        )
        return Update(push.symbol, position, version, patch=push.current_qty is None, time_ns=ns)
    if isinstance(push, FuturesPositionMarkPrice) and push.symbol is not None:
        ns = None if push.current_timestamp is None else push.current_timestamp * MS
        position = Position(
            push.symbol,
            mark_price=to_decimal(push.mark_price),
            unrealised_pnl=to_decimal(push.unrealised_pnl),
            updated_ns=ns,
        )
        version = None if ns is None else (ns, seq)
        return Update(push.symbol, position, version, patch=True, time_ns=ns)
    return None


async def _futures_positions_snapshot(
    rest: KucoinRest,
) -> Iterable[tuple[str, Position, Version | None]]:
    return [
        (
            p.symbol,
            Position(
                p.symbol,
                p.margin_mode,
                to_decimal(p.current_qty),
                to_decimal(p.avg_entry_price),
                to_decimal(p.mark_price),
                to_decimal(p.unrealised_pnl),
                to_decimal(p.realised_pnl),
                to_decimal(p.liquidation_price),
                to_decimal(p.leverage),
                None if p.current_timestamp is None else p.current_timestamp * MS,
            ),
            answer_version(p.current_timestamp),
        )
        for p in await rest.futures_positions()
        if p.is_open is not False and p.current_qty
    ]


def _stream_futures_positions(streams: KucoinStreams) -> Any:
    return streams.futures_positions()


futures_positions: ViewSpec[str, Position] = ViewSpec(
    "futures positions",
    WsKey.FUTURES_PRIVATE_V1,
    _stream_futures_positions,
    _futures_position_update,
    _futures_positions_snapshot,
)
