"""UTA (unified account) REST calls: typed account snapshots, order lookups and order entry.

The paths are KuCoin's ``/api/ua/v2/...`` ones, as its documentation (API changelog of
2026-09-04, "UTA interface update") and its official SDK 1.3.2 name them; the older
``/api/ua/v1/unified/...`` paths answer in the same shapes.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final

import msgspec

from ._rest import RestClient, decode_answer
from .exceptions import RestError
from .keys import Market
from .models.rest_spot import PlacedOrder
from .models.rest_uta import (
    UtaAccountMode,
    UtaBalance,
    UtaOrder,
    UtaPosition,
    _UtaOrderAck,
    _UtaOrderPage,
)

__all__ = ("UtaRest",)

_V2: Final = "/api/ua/v2"
MODE_PATH: Final = f"{_V2}/account/mode"
BALANCE_PATH: Final = f"{_V2}/unified/account/balance"
OPEN_ORDERS_PATH: Final = f"{_V2}/unified/order/open-list"
ORDER_DETAIL_PATH: Final = f"{_V2}/unified/order/detail"
POSITIONS_PATH: Final = f"{_V2}/unified/position/open-list"
PLACE_PATH: Final = f"{_V2}/unified/order/place"
CANCEL_PATH: Final = f"{_V2}/unified/order/cancel"

#: Items per page asked of the UTA listings: KuCoin's documented default. v2 listings do
#: not say how many pages there are, so a page shorter than this is the last one; asking
#: for the default keeps that rule true whatever maximum the server enforces.
UTA_PAGE_SIZE: Final = 50
#: Pages read at most before a listing is refused as runaway.
MAX_UTA_PAGES: Final = 200
#: What KuCoin answers for an order it does not know: a code (``400100`` for a UTA
#: order, ``102436`` spot, ``100001`` futures) whose message says so.
_NOT_FOUND_CODES: Final = frozenset({"400100", "102436", "100001"})
_NOT_FOUND_WORDS: Final = ("not exist", "notexist", "not found", "unknown order")


def _text(value: Decimal | int | str) -> str:
    """A quantity or price as KuCoin wants it: a plain decimal string, never exponent form."""
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _order_not_found(error: RestError) -> bool:
    message = error.msg.lower()
    return error.code in _NOT_FOUND_CODES and any(w in message for w in _NOT_FOUND_WORDS)


def _one_id(order_id: str | None, client_oid: str | None) -> dict[str, str]:
    if order_id:
        return {"orderId": order_id}
    if client_oid:
        return {"clientOid": client_oid}
    raise ValueError("give order_id or client_oid")


class UtaRest(RestClient):
    """UTA (unified account) endpoints (a mixin of `KucoinRest`).

    Host ``api.kucoin.com``; the key needs the ``General`` permission to read and the
    ``Unified`` trading permission to place and cancel. Trade types are ``SPOT``,
    ``FUTURES`` and ``MARGIN``; sides, order types and the other enumerations are sent in
    KuCoin's upper case whatever case they are given in.
    """

    async def uta_account_mode(self) -> UtaAccountMode:
        """The account's mode, ``UNIFIED`` or ``CLASSIC`` (``GET /api/ua/v2/account/mode``).

        Returns:
            The mode and the sub-accounts in each mode.
        """
        return await self.get_model(Market.SPOT, MODE_PATH, UtaAccountMode)

    async def uta_balance(self) -> UtaBalance:
        """The unified account's balances (``GET /api/ua/v2/unified/account/balance``).

        One entry per currency with ``balance``, ``available``, ``hold``, ``equity`` and
        ``liability``; `UtaBalance.currencies` maps them by currency. ``ts_ms`` is
        KuCoin's time of the snapshot.

        Returns:
            The balances.
        """
        return await self.get_model(Market.SPOT, BALANCE_PATH, UtaBalance)

    async def uta_open_orders(
        self, trade_type: str = "SPOT", *, symbol: str | None = None
    ) -> list[UtaOrder]:
        """Every open order of one trade type (``GET /api/ua/v2/unified/order/open-list``).

        Reads the listing page after page (KuCoin sorts it newest first). An order that
        moves from one page to the next while the pages are read is listed once.

        Args:
            trade_type: ``SPOT``, ``FUTURES`` or ``MARGIN``.
            symbol: only this symbol's orders.

        Returns:
            The open orders, newest first, each with its ``trade_type`` set.

        Raises:
            RestError: the listing has more than `MAX_UTA_PAGES` pages, or KuCoin refused
                the call.
        """
        kind = trade_type.upper()
        params = {"tradeType": kind, **({"symbol": symbol} if symbol else {})}
        orders: dict[str, UtaOrder] = {}
        for page_number in range(1, MAX_UTA_PAGES + 1):
            query = {**params, "pageNumber": str(page_number), "pageSize": str(UTA_PAGE_SIZE)}
            page = await self.get_model(Market.SPOT, OPEN_ORDERS_PATH, _UtaOrderPage, query)
            items = page.items or []
            for item in items:
                if item.trade_type is None:
                    item = _with_trade_type(item, page.trade_type or kind)
                orders.setdefault(item.order_id, item)
            if _last_page(page.total_page, page_number, len(items)):
                return list(orders.values())
        raise _runaway(OPEN_ORDERS_PATH)

    async def uta_positions(self, *, symbol: str | None = None) -> list[UtaPosition]:
        """Every open futures position (``GET /api/ua/v2/unified/position/open-list``).

        Args:
            symbol: only this contract's position.

        Returns:
            The open positions, one per contract.

        Raises:
            RestError: the listing has more than `MAX_UTA_PAGES` pages, or KuCoin refused
                the call.
        """
        params = {"symbol": symbol} if symbol else {}
        positions: dict[str, UtaPosition] = {}
        for page_number in range(1, MAX_UTA_PAGES + 1):
            query = {**params, "pageNumber": str(page_number), "pageSize": str(UTA_PAGE_SIZE)}
            page = await self.get_model(Market.SPOT, POSITIONS_PATH, list[UtaPosition], query)
            for position in page:
                positions.setdefault(position.symbol, position)
            if _last_page(None, page_number, len(page)):
                return list(positions.values())
        raise _runaway(POSITIONS_PATH)

    async def uta_order(
        self,
        trade_type: str,
        symbol: str,
        *,
        order_id: str | None = None,
        client_oid: str | None = None,
    ) -> UtaOrder | None:
        """One order, open or done (``GET /api/ua/v2/unified/order/detail``).

        KuCoin keeps done orders queryable for a while only: canceled orders without
        fills for 2 hours, orders with fills for 168 hours.

        Args:
            trade_type: ``SPOT``, ``FUTURES`` or ``MARGIN``.
            symbol: the order's symbol.
            order_id: KuCoin's order id (wins when both ids are given).
            client_oid: the client order id.

        Returns:
            The order, or ``None`` when KuCoin says it does not exist.

        Raises:
            ValueError: neither ``order_id`` nor ``client_oid`` was given.
        """
        kind = trade_type.upper()
        params = {"tradeType": kind, "symbol": symbol, **_one_id(order_id, client_oid)}
        try:
            raw = await self.get(Market.SPOT, ORDER_DETAIL_PATH, params)
        except RestError as exc:
            if _order_not_found(exc):
                return None
            raise
        order: UtaOrder | None = decode_answer(UtaOrder | None, raw, ORDER_DETAIL_PATH)
        if order is not None and order.trade_type is None:
            order = _with_trade_type(order, kind)
        return order

    async def place_uta_order(
        self,
        trade_type: str,
        symbol: str,
        side: str,
        type: str,
        size: Decimal | int | str,
        *,
        price: Decimal | int | str | None = None,
        client_oid: str | None = None,
        time_in_force: str | None = None,
        reduce_only: bool | None = None,
        post_only: bool | None = None,
        size_unit: str | None = None,
        margin_mode: str | None = None,
        stp: str | None = None,
        tags: str | None = None,
        cancel_after: int | None = None,
    ) -> PlacedOrder:
        """Place an order (``POST /api/ua/v2/unified/order/place``).

        The answer only says KuCoin accepted the order. An order that can fill at once
        (a market order, a limit order crossing the book) may have filled, and its pushes
        may have arrived, before this returns: listen first (``streams.expect_order``).

        Args:
            trade_type: ``SPOT``, ``FUTURES`` or ``MARGIN``.
            symbol: e.g. ``BTC-USDT`` or ``XBTUSDTM``.
            side: ``BUY`` or ``SELL``.
            type: ``LIMIT`` or ``MARKET``.
            size: the quantity, in the unit ``size_unit`` names.
            price: the limit price (``LIMIT`` orders).
            client_oid: your id for the order (at most 40 letters, digits, ``_`` or ``-``);
                a random one when ``None``, so that the order can always be found again.
            time_in_force: ``GTC`` (KuCoin's default), ``GTT``, ``IOC``, ``FOK`` or ``RPI``.
            reduce_only: futures: the order may only reduce the position.
            post_only: the order may only add liquidity.
            size_unit: ``BASECCY``, ``QUOTECCY`` (spot market orders) or ``UNIT``
                (contracts); by default ``UNIT`` for futures and ``BASECCY`` otherwise.
            margin_mode: futures: ``CROSS`` (KuCoin's default) or ``ISOLATED``.
            stp: self-trade prevention, ``DC``, ``CO``, ``CN`` or ``CB``.
            tags: a tag of at most 20 characters.
            cancel_after: ``GTT`` orders: seconds until KuCoin cancels the order.

        Returns:
            The order's id and client order id.
        """
        kind = trade_type.upper()
        oid = client_oid or uuid.uuid4().hex
        body: dict[str, Any] = {
            "tradeType": kind,
            "clientOid": oid,
            "symbol": symbol,
            "side": side.upper(),
            "orderType": type.upper(),
            "size": _text(size),
            "sizeUnit": (size_unit or ("UNIT" if kind == "FUTURES" else "BASECCY")).upper(),
        }
        optional: Mapping[str, Any] = {
            "price": None if price is None else _text(price),
            "timeInForce": time_in_force.upper() if time_in_force else None,
            "postOnly": post_only,
            "reduceOnly": reduce_only,
            "marginMode": margin_mode.upper() if margin_mode else None,
            "stp": stp.upper() if stp else None,
            "tags": tags,
            "cancelAfter": cancel_after,
        }
        body.update({k: v for k, v in optional.items() if v is not None})
        raw = await self.request("POST", Market.SPOT, PLACE_PATH, body=body)
        ack: _UtaOrderAck = decode_answer(_UtaOrderAck, raw, PLACE_PATH)
        return PlacedOrder(order_id=ack.order_id, client_oid=ack.client_oid or oid)

    async def cancel_uta_order(
        self,
        trade_type: str,
        symbol: str,
        *,
        order_id: str | None = None,
        client_oid: str | None = None,
    ) -> str:
        """Cancel an open order (``POST /api/ua/v2/unified/order/cancel``).

        The cancel's pushes (``CANCEL``, the released balance) may arrive before this
        returns.

        Args:
            trade_type: ``SPOT``, ``FUTURES`` or ``MARGIN``.
            symbol: the order's symbol (KuCoin requires it for unified futures orders).
            order_id: KuCoin's order id (wins when both ids are given).
            client_oid: the client order id.

        Returns:
            The canceled order's id.

        Raises:
            ValueError: neither ``order_id`` nor ``client_oid`` was given.
            RestError: KuCoin refused, e.g. the order is unknown or already done.
        """
        body = {"tradeType": trade_type.upper(), "symbol": symbol, **_one_id(order_id, client_oid)}
        raw = await self.request("POST", Market.SPOT, CANCEL_PATH, body=body)
        ack: _UtaOrderAck = decode_answer(_UtaOrderAck, raw, CANCEL_PATH)
        return ack.order_id


def _with_trade_type(order: UtaOrder, trade_type: str) -> UtaOrder:
    return msgspec.structs.replace(order, trade_type=trade_type)


def _last_page(total_page: int | None, page_number: int, count: int) -> bool:
    if count == 0:
        return True
    if total_page is not None:
        return page_number >= total_page
    return count < UTA_PAGE_SIZE


def _runaway(path: str) -> RestError:
    return RestError(
        "", f"more than {MAX_UTA_PAGES} pages; narrow the query", status=200, path=path
    )
