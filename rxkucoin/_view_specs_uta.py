"""What the UTA (Pro) views read: the Pro pushes, the UTA REST snapshots, and how both
become records. Versions follow `_view_specs`: orders by progress (``os``), balances and
positions by ``U`` then arrival order, REST records by `snapshot_version` of their time.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ._live_view import ViewSpec
from ._view_models import Balance, OpenOrder, Position
from ._view_specs import PRO_FINAL, PRO_OPEN, OrderKey, order_gone, order_version, pro_rank
from ._view_state import Update, Version, snapshot_version
from .keys import WsKey
from .models import ProBalance, ProOrder, ProPosition

if TYPE_CHECKING:
    from ._client import KucoinStreams
    from ._rest_api import KucoinRest

__all__ = ("uta_balances", "uta_open_orders", "uta_positions")


def _pro_order_update(push: Any, _seq: int) -> Update[OrderKey, OpenOrder] | None:
    if not isinstance(push, ProOrder):
        return None
    code = push.status_code
    done = code is not None and code not in PRO_OPEN
    version = order_version(done, push.filled_quantity, pro_rank(code), push.updated_ns)
    if done:
        return Update(push.order_id, None, version, time_ns=push.updated_ns)
    order = OpenOrder(
        push.order_id,
        push.symbol,
        push.side,
        push.order_type,
        push.price,
        push.quantity,
        push.filled_quantity,
        push.client_oid,
        push.updated_ns,
    )
    return Update(push.order_id, order, version, time_ns=push.updated_ns)


def uta_open_orders(trade_type: str) -> ViewSpec[OrderKey, OpenOrder]:
    """The open orders of one UTA trade type (``SPOT``, ``FUTURES``...)."""

    async def snapshot(rest: KucoinRest) -> Iterable[tuple[OrderKey, OpenOrder, Version | None]]:
        return [
            (
                o.order_id,
                OpenOrder(
                    o.order_id,
                    o.symbol,
                    o.side,
                    o.order_type,
                    o.price,
                    o.size,
                    o.filled_size,
                    o.client_oid,
                    o.updated_ns,
                ),
                order_version(
                    o.status_code in PRO_FINAL,
                    o.filled_size,
                    pro_rank(o.status_code),
                    o.updated_ns,
                ),
            )
            for o in await rest.uta_open_orders(trade_type)
        ]

    def stream(streams: KucoinStreams) -> Any:
        return streams.pro_orders(trade_type)

    return ViewSpec(
        f"UTA {trade_type} open orders",
        WsKey.PRIVATE_PRO_V2,
        stream,
        _pro_order_update,
        snapshot,
        order_gone,
    )


def _pro_balance_update(push: Any, seq: int) -> Update[str, Balance] | None:
    if not isinstance(push, ProBalance):
        return None
    balance = Balance(
        push.currency, push.balance, push.available, push.hold, push.liability, push.updated_ns
    )
    version = None if push.updated_ns is None else (push.updated_ns, seq)
    return Update(push.currency, balance, version, time_ns=push.updated_ns)


def uta_balances(account_type: str = "UNIFIED") -> ViewSpec[str, Balance]:
    """The balances of the unified account."""

    async def snapshot(rest: KucoinRest) -> Iterable[tuple[str, Balance, Version | None]]:
        return [
            (
                b.currency,
                Balance(b.currency, b.balance, b.available, b.hold, b.liability),
                None,
            )
            for b in (await rest.uta_balance()).currencies
        ]

    def stream(streams: KucoinStreams) -> Any:
        return streams.pro_balance(account_type)

    return ViewSpec(
        f"UTA {account_type} balances", WsKey.PRIVATE_PRO_V2, stream, _pro_balance_update, snapshot
    )


def _pro_position_update(push: Any, seq: int) -> Update[str, Position] | None:
    if not isinstance(push, ProPosition):
        return None
    version = None if push.updated_ns is None else (push.updated_ns, seq)
    if push.quantity is not None and push.quantity == 0:
        return Update(push.symbol, None, version, time_ns=push.updated_ns)
    position = Position(
        push.symbol,
        push.margin_mode,
        push.quantity,
        push.entry_price,
        push.mark_price,
        push.unrealised_pnl,
        push.realised_pnl,
        push.liquidation_price,
        push.leverage,
        push.updated_ns,
    )
    return Update(
        push.symbol, position, version, patch=push.quantity is None, time_ns=push.updated_ns
    )


async def _uta_positions_snapshot(
    rest: KucoinRest,
) -> Iterable[tuple[str, Position, Version | None]]:
    return [
        (
            p.symbol,
            Position(
                p.symbol,
                p.margin_mode,
                p.size,
                p.entry_price,
                p.mark_price,
                p.unrealised_pnl,
                p.realised_pnl,
                p.liquidation_price,
                p.leverage,
                p.updated_ns,
            ),
            snapshot_version(p.updated_ns),
        )
        for p in await rest.uta_positions()
        if p.size
    ]


def _stream_pro_positions(streams: KucoinStreams) -> Any:
    return streams.pro_positions()


uta_positions: ViewSpec[str, Position] = ViewSpec(
    "UTA positions",
    WsKey.PRIVATE_PRO_V2,
    _stream_pro_positions,
    _pro_position_update,
    _uta_positions_snapshot,
)
