"""Race-free order waits: listen first, then act, then wait for the order's end.

``first()`` after an awaited placement misses a fill that arrives before the REST answer.
`ExpectedOrder` subscribes the order pushes and waits for the topic's acknowledgement
*before* the caller places the order, keeps every push of the order from then on, and
asks REST when a `Gap` may have hidden the end, or when the wait times out.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from reactivex import abc

from ._events import Gap
from ._view_models import to_decimal
from .exceptions import OrderWaitTimeout, is_retryable
from .keys import WsKey
from .models import FuturesOrderChange, ProOrder, SpotOrderChange

if TYPE_CHECKING:
    from ._client import KucoinStreams
    from ._rest_api import KucoinRest
    from ._stream import TopicStream

__all__ = ("ExpectedOrder", "FinishedOrder", "OrderAccount")

OrderAccount = Literal["spot", "futures", "uta"]

_FINAL_PRO = {3: "filled", 5: "canceled", 6: "canceled"}


@dataclass(frozen=True)
class FinishedOrder:
    """How an awaited order ended.

    Attributes:
        status: ``"filled"`` (wholly) or ``"canceled"`` (possibly after partial fills:
            see ``filled_size``).
        client_oid: the client order id the wait was for.
        order_id: KuCoin's order id, where known.
        symbol: the order's symbol, where known.
        filled_size: how much filled.
        size: the order's size.
        source: ``"push"`` if a push told, ``"rest"`` if an order lookup did (after a `Gap`
            or at the timeout).
        last: the push or REST record that told.
    """

    status: Literal["filled", "canceled"]
    client_oid: str
    order_id: str | None
    symbol: str | None
    filled_size: Decimal | None
    size: Decimal | None
    source: Literal["push", "rest"]
    last: Any


class ExpectedOrder:
    """One order awaited by its client order id; use ``async with streams.expect_order(...)``.

    Enter it before placing the order: entering subscribes the order pushes and waits for
    the topic's acknowledgement, so no push of the order can be missed. Then place the
    order and ``await order.done()``.
    """

    def __init__(
        self,
        streams: KucoinStreams,
        account: OrderAccount,
        client_oid: str,
        *,
        symbol: str | None,
        trade_type: str,
    ) -> None:
        if not client_oid:
            raise ValueError("expect_order needs a client_oid")
        if account in ("spot", "uta") and not symbol:
            raise ValueError(
                f"expect_order({account!r}) needs the symbol: KuCoin looks up "
                f"{account} orders by client order id within a symbol"
            )
        self._streams = streams
        self._account = account
        self.client_oid = client_oid
        self.symbol = symbol
        self._trade_type = trade_type
        self.order_id: str | None = None
        self.pushes: list[Any] = []
        """Every push of this order seen so far, in arrival order."""
        self._result: asyncio.Future[FinishedOrder] | None = None
        self._subscription: abc.DisposableBase | None = None
        self._checks: set[asyncio.Task[None]] = set()

    @property
    def last(self) -> Any:
        """The last push of the order seen, or ``None``."""
        return self.pushes[-1] if self.pushes else None

    async def __aenter__(self) -> ExpectedOrder:
        loop = asyncio.get_running_loop()
        self._result = loop.create_future()
        stream, ws_key = self._stream()
        self._subscription = stream.with_gaps().subscribe(self._on_item, self._on_error)
        try:
            await self._streams.ready(ws_key)
        except BaseException:
            self._close()
            raise
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._close()

    async def done(self, timeout: float = 30.0) -> FinishedOrder:  # noqa: ASYNC109
        """Wait until the order is filled or canceled.

        Raises:
            OrderWaitTimeout: no end within ``timeout`` (a REST lookup at the deadline did
                not find one either); it carries the last push seen.
            RxKucoinError: the order stream failed (a refused topic, rejected credentials).
        """
        if self._result is None:
            raise RuntimeError("enter the ExpectedOrder (async with) before awaiting done()")
        try:
            async with asyncio.timeout(timeout):
                return await asyncio.shield(self._result)
        except TimeoutError:
            pass
        finished = await self._lookup()
        if finished is not None:
            return finished
        raise OrderWaitTimeout(self.client_oid, timeout, self.last)

    # ------------------------------------------------------------------ internals

    def _stream(self) -> tuple[TopicStream[Any], WsKey]:
        if self._account == "spot":
            return self._streams.spot_orders(), WsKey.SPOT_PRIVATE_V1
        if self._account == "futures":
            return self._streams.futures_orders(), WsKey.FUTURES_PRIVATE_V1
        return self._streams.pro_orders(self._trade_type), WsKey.PRIVATE_PRO_V2

    def _close(self) -> None:
        subscription, self._subscription = self._subscription, None
        if subscription is not None:
            subscription.dispose()
        for task in self._checks:
            task.cancel()

    def _settle(self, finished: FinishedOrder) -> None:
        if self._result is not None and not self._result.done():
            self._result.set_result(finished)

    def _on_error(self, error: Exception) -> None:
        if self._result is not None and not self._result.done():
            self._result.set_exception(error)

    def _on_item(self, item: Any) -> None:
        if isinstance(item, Gap):
            self._check_soon()
            return
        oid = getattr(item, "client_oid", None)
        if oid != self.client_oid and (oid is not None or item.order_id != self.order_id):
            return
        self.order_id = self.order_id or item.order_id
        self.pushes.append(item)
        finished = _finished_by_push(item, self.client_oid)
        if finished is not None:
            self._settle(finished)

    def _check_soon(self) -> None:
        async def check() -> None:
            finished = await self._lookup()
            if finished is not None:
                self._settle(finished)

        task = asyncio.get_running_loop().create_task(check(), name="rxkucoin:expect-check")
        self._checks.add(task)
        task.add_done_callback(self._checks.discard)

    async def _lookup(self) -> FinishedOrder | None:
        """Ask REST whether the order has ended; ``None`` if not (or not known yet)."""
        rest = self._streams.rest
        for attempt in range(3):
            try:
                return await _LOOKUPS[self._account](self, rest)
            except Exception as exc:
                if not is_retryable(exc) or attempt == 2:
                    return None
                await asyncio.sleep(0.2 * (attempt + 1))
        return None


def _finished_by_push(item: Any, client_oid: str) -> FinishedOrder | None:
    if isinstance(item, SpotOrderChange | FuturesOrderChange):
        kind = item.type.lower()
        if kind not in ("filled", "canceled") and item.status != "done":
            return None
        size = item.size
        filled = item.filled_size
        status: Literal["filled", "canceled"] = "filled" if kind == "filled" else "canceled"
        if kind not in ("filled", "canceled"):  # done by status: tell by the sizes
            whole = filled is not None and size is not None and filled >= size
            status = "filled" if whole else "canceled"
        return FinishedOrder(
            status, client_oid, item.order_id, item.symbol, filled, size, "push", item
        )
    if isinstance(item, ProOrder):
        final = _FINAL_PRO.get(item.status_code or -1)
        if final is None:
            return None
        return FinishedOrder(
            "filled" if final == "filled" else "canceled",
            client_oid,
            item.order_id,
            item.symbol,
            item.filled_quantity,
            item.quantity,
            "push",
            item,
        )
    return None


async def _spot_lookup(order: ExpectedOrder, rest: KucoinRest) -> FinishedOrder | None:
    assert order.symbol is not None
    record = await rest.spot_order(order.symbol, client_oid=order.client_oid)
    if record is None or record.active:
        return None
    filled, size = to_decimal(record.deal_size), to_decimal(record.size)
    whole = not record.cancel_exist and (size is None or filled == size or not size)
    return FinishedOrder(
        "filled" if whole else "canceled",
        order.client_oid,
        record.id,
        record.symbol,
        filled,
        size,
        "rest",
        record,
    )


async def _futures_lookup(order: ExpectedOrder, rest: KucoinRest) -> FinishedOrder | None:
    record = await rest.futures_order(client_oid=order.client_oid)
    if record is None or record.is_active or record.status != "done":
        return None
    filled, size = to_decimal(record.filled_size), to_decimal(record.size)
    whole = not record.cancel_exist and filled is not None and size is not None and filled >= size
    return FinishedOrder(
        "filled" if whole else "canceled",
        order.client_oid,
        record.id,
        record.symbol,
        filled,
        size,
        "rest",
        record,
    )


async def _uta_lookup(order: ExpectedOrder, rest: KucoinRest) -> FinishedOrder | None:
    assert order.symbol is not None
    record = await rest.uta_order(order._trade_type, order.symbol, client_oid=order.client_oid)
    if record is None:
        return None
    final = _FINAL_PRO.get(record.status_code or -1)
    if final is None:
        return None
    return FinishedOrder(
        "filled" if final == "filled" else "canceled",
        order.client_oid,
        record.order_id,
        record.symbol,
        to_decimal(record.filled_size),
        to_decimal(record.size),
        "rest",
        record,
    )


_LOOKUPS: dict[str, Callable[[ExpectedOrder, KucoinRest], Awaitable[FinishedOrder | None]]] = {
    "spot": _spot_lookup,
    "futures": _futures_lookup,
    "uta": _uta_lookup,
}
