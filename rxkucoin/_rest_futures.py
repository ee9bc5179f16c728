"""Futures REST calls: typed account snapshots, order lookups and order entry.

Every call goes to the futures host (``api-futures.kucoin.com``; `Market.FUTURES`), signed
with the same key as the spot host. The paths are KuCoin's Classic futures ones, as its
documentation and its official SDK name them.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final
from urllib.parse import quote, urlencode

import msgspec

from ._rest import RestClient, decode_answer
from .exceptions import RestError
from .keys import Market
from .models.rest_futures import FuturesAccountOverview, FuturesOrder, FuturesPosition
from .models.rest_spot import PlacedOrder

__all__ = ("FuturesRest",)

ACCOUNT_OVERVIEW_PATH: Final = "/api/v1/account-overview"
POSITIONS_PATH: Final = "/api/v1/positions"
POSITION_PATH: Final = "/api/v1/position"
ORDERS_PATH: Final = "/api/v1/orders"
STOP_ORDERS_PATH: Final = "/api/v1/stopOrders"
BY_CLIENT_OID_PATH: Final = "/api/v1/orders/byClientOid"
CANCEL_BY_CLIENT_OID_PATH: Final = "/api/v1/orders/client-order"

#: Items per page asked of the futures listings (KuCoin allows 1 to 1000, default 50).
FUTURES_PAGE_SIZE: Final = 100
#: KuCoin's answer to a lookup of an order it does not know:
#: ``{"code":"100001","msg":"error.getOrder.orderNotExist"}`` (ccxt issue 26776, 2025).
_NOT_FOUND_CODE: Final = "100001"
_NOT_FOUND_WORDS: Final = ("ordernotexist", "not exist")


class _Placed(msgspec.Struct, frozen=True, rename="camel"):
    order_id: str
    client_oid: str | None = None


class _Cancelled(msgspec.Struct, frozen=True, rename="camel"):
    cancelled_order_ids: list[str] | None = None
    client_oid: str | None = None


def _text(value: Decimal | int | str) -> str:
    """A price as KuCoin wants it: a plain decimal string, never exponent form."""
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _segment(value: str) -> str:
    """An id as one URL path segment."""
    return quote(value, safe="")


def _order_not_found(error: RestError) -> bool:
    message = error.msg.lower()
    return error.code == _NOT_FOUND_CODE and any(w in message for w in _NOT_FOUND_WORDS)


def _unique(orders: list[FuturesOrder]) -> list[FuturesOrder]:
    """Each order once: one that moves between pages while they are read is listed twice."""
    return list({order.id: order for order in reversed(orders)}.values())[::-1]


class FuturesRest(RestClient):
    """Futures endpoints (a mixin of `KucoinRest`).

    Host ``api-futures.kucoin.com``; reading needs the key's ``General`` permission,
    placing and cancelling its ``Futures`` trading permission. Sizes are contracts (whole
    numbers); prices and amounts are `Decimal`.
    """

    async def futures_account_overview(self, currency: str = "USDT") -> FuturesAccountOverview:
        """One settlement currency's futures account (``GET /api/v1/account-overview``).

        KuCoin's own default currency is ``XBT``; rxkucoin always sends one, ``USDT``
        unless told otherwise. The answer has no time or version: order it against the
        wallet pushes (``walletBalance.change``, with a ``version``) by arrival only.

        Args:
            currency: the settlement currency, e.g. ``USDT``, ``USDC`` or ``XBT``.

        Returns:
            Equity, margins and the available balance.
        """
        params = {"currency": currency}
        return await self.get_model(
            Market.FUTURES, ACCOUNT_OVERVIEW_PATH, FuturesAccountOverview, params
        )

    async def futures_positions(self, *, currency: str | None = None) -> list[FuturesPosition]:
        """Every open futures position (``GET /api/v1/positions``).

        Args:
            currency: only positions settled in this currency (``USDT``, ``XBT``...).

        Returns:
            The open positions, one per contract; ``current_timestamp`` is the answer's
            time.
        """
        params = {"currency": currency} if currency else None
        raw = await self.get(Market.FUTURES, POSITIONS_PATH, params)
        positions: list[FuturesPosition] | None = decode_answer(
            list[FuturesPosition] | None, raw, POSITIONS_PATH
        )
        return positions or []

    async def futures_position(self, symbol: str) -> FuturesPosition:
        """One contract's position (``GET /api/v1/position?symbol=``).

        KuCoin answers a contract without an open position with a closed, empty record:
        ``current_qty`` 0, ``is_open`` false, zero figures and the current mark price.

        Args:
            symbol: the contract, e.g. ``XBTUSDTM``.

        Returns:
            The position, open or not.

        Raises:
            RestError: ``symbol`` is not a contract (KuCoin's parameter error).
        """
        return await self.get_model(
            Market.FUTURES, POSITION_PATH, FuturesPosition, {"symbol": symbol}
        )

    async def futures_open_orders(self, symbol: str | None = None) -> list[FuturesOrder]:
        """Every open futures order (``GET /api/v1/orders?status=active``, all pages).

        Args:
            symbol: only this contract's orders.

        Returns:
            The open orders (``is_active`` true), each once.
        """
        params = {"status": "active", **({"symbol": symbol} if symbol else {})}
        orders = await self.get_pages(
            Market.FUTURES, ORDERS_PATH, FuturesOrder, params, page_size=FUTURES_PAGE_SIZE
        )
        return _unique(orders)

    async def futures_stop_orders(self, symbol: str | None = None) -> list[FuturesOrder]:
        """Every waiting futures stop order (``GET /api/v1/stopOrders``, all pages).

        A stop order holds nothing until it triggers; then it leaves this listing and its
        order appears among the open orders (or fills), with the same ``client_oid``.

        Args:
            symbol: only this contract's stop orders.

        Returns:
            The untriggered stop orders (``stop``, ``stop_price``, ``stop_price_type``
            set), each once.
        """
        params = {"symbol": symbol} if symbol else None
        orders = await self.get_pages(
            Market.FUTURES, STOP_ORDERS_PATH, FuturesOrder, params, page_size=FUTURES_PAGE_SIZE
        )
        return _unique(orders)

    async def futures_order(
        self, *, order_id: str | None = None, client_oid: str | None = None
    ) -> FuturesOrder | None:
        """One futures order, open or done (``GET /api/v1/orders/{orderId}`` or
        ``GET /api/v1/orders/byClientOid?clientOid=``).

        A done order has ``is_active`` false and ``status`` ``done``; whether it filled or
        was canceled shows in ``filled_size`` and ``cancel_exist``. An untriggered stop
        order is found too. By client order id KuCoin gives the newest order with it.

        Args:
            order_id: KuCoin's order id.
            client_oid: the client order id.

        Returns:
            The order, or ``None`` when KuCoin says it does not exist (code ``100001``;
            an order placed a moment ago may not be visible yet).

        Raises:
            ValueError: not exactly one of ``order_id`` and ``client_oid`` was given.
        """
        if (order_id is None) == (client_oid is None) or not (order_id or client_oid):
            raise ValueError("give exactly one of order_id and client_oid")
        if order_id is not None:
            path, params = f"{ORDERS_PATH}/{_segment(order_id)}", None
        else:
            path, params = BY_CLIENT_OID_PATH, {"clientOid": str(client_oid)}
        try:
            raw = await self.get(Market.FUTURES, path, params)
        except RestError as exc:
            if _order_not_found(exc):
                return None
            raise
        order: FuturesOrder | None = decode_answer(FuturesOrder | None, raw, path)
        return order

    async def place_futures_order(
        self,
        symbol: str,
        side: str,
        type: str,
        size: int,
        *,
        price: Decimal | int | str | None = None,
        leverage: Decimal | int | str | None = None,
        margin_mode: str | None = None,
        client_oid: str | None = None,
        reduce_only: bool | None = None,
        time_in_force: str | None = None,
        post_only: bool | None = None,
        stop: str | None = None,
        stop_price: Decimal | int | str | None = None,
        stop_price_type: str | None = None,
    ) -> PlacedOrder:
        """Place a futures order (``POST /api/v1/orders``).

        The answer only says KuCoin accepted the order. An order that can fill at once (a
        market order, a limit order crossing the book) may have filled, and its pushes may
        have arrived, before this returns: listen first (``streams.expect_order``).

        Args:
            symbol: the contract, e.g. ``XBTUSDTM``.
            side: ``buy`` or ``sell``.
            type: ``limit`` or ``market``.
            size: contracts, a positive whole number.
            price: the limit price (``limit`` orders).
            leverage: the leverage the order's margin is computed with; KuCoin needs it
                unless the order closes a position.
            margin_mode: ``ISOLATED`` (KuCoin's default) or ``CROSS``.
            client_oid: your id for the order (at most 40 letters, digits, ``_`` or ``-``);
                a random one when ``None``, so that the order can always be found again.
            reduce_only: the order may only reduce the position; any excess is canceled.
            time_in_force: ``GTC`` (KuCoin's default) or ``IOC``.
            post_only: the order may only add liquidity (rejected if it would take).
            stop: a stop order: ``up`` (triggers when the price rises to ``stop_price``)
                or ``down``.
            stop_price: the stop order's trigger price.
            stop_price_type: which price triggers it: ``TP`` (last trade), ``MP`` (mark)
                or ``IP`` (index); KuCoin requires it with ``stop``.

        Returns:
            The order's id and client order id.

        Raises:
            ValueError: ``size`` is not a positive whole number.
            RestError: KuCoin refused the order: ``400100`` (a parameter, named in the
                message), ``330008`` (margin too small), ``300009`` (nothing to reduce).
        """
        if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
            raise ValueError(f"size must be a positive whole number of contracts, not {size!r}")
        oid = client_oid or uuid.uuid4().hex
        body: dict[str, Any] = {
            "clientOid": oid,
            "side": side.lower(),
            "symbol": symbol,
            "type": type.lower(),
            "size": size,
        }
        optional: Mapping[str, Any] = {
            "price": None if price is None else _text(price),
            "leverage": _leverage(leverage),
            "marginMode": margin_mode.upper() if margin_mode else None,
            "reduceOnly": reduce_only,
            "timeInForce": time_in_force.upper() if time_in_force else None,
            "postOnly": post_only,
            "stop": stop.lower() if stop else None,
            "stopPrice": None if stop_price is None else _text(stop_price),
            "stopPriceType": stop_price_type.upper() if stop_price_type else None,
        }
        body.update({k: v for k, v in optional.items() if v is not None})
        raw = await self.request("POST", Market.FUTURES, ORDERS_PATH, body=body)
        placed: _Placed = decode_answer(_Placed, raw, ORDERS_PATH)
        return PlacedOrder(order_id=placed.order_id, client_oid=placed.client_oid or oid)

    async def cancel_futures_order(
        self,
        *,
        order_id: str | None = None,
        client_oid: str | None = None,
        symbol: str | None = None,
    ) -> list[str]:
        """Cancel a futures order or stop order (``DELETE /api/v1/orders/{orderId}`` or
        ``DELETE /api/v1/orders/client-order/{clientOid}?symbol=``).

        The cancel's pushes (``canceled``) may arrive before this returns.

        Args:
            order_id: KuCoin's order id.
            client_oid: the client order id (then ``symbol`` is required).
            symbol: the order's contract.

        Returns:
            What KuCoin echoes: the canceled order ids (by order id), or the client order
            id (by client order id).

        Raises:
            ValueError: not exactly one of ``order_id`` and ``client_oid``, or a client
                order id without ``symbol``.
            RestError: ``100004`` when the order is not open (done, or unknown).
        """
        if (order_id is None) == (client_oid is None) or not (order_id or client_oid):
            raise ValueError("give exactly one of order_id and client_oid")
        if order_id is not None:
            path = f"{ORDERS_PATH}/{_segment(order_id)}"
        elif not symbol:
            raise ValueError("symbol is required to cancel by client_oid")
        else:
            query = urlencode({"symbol": symbol})
            path = f"{CANCEL_BY_CLIENT_OID_PATH}/{_segment(str(client_oid))}?{query}"
        raw = await self.request("DELETE", Market.FUTURES, path)
        cancelled: _Cancelled | None = decode_answer(_Cancelled | None, raw, path.split("?")[0])
        if cancelled is None:
            return []
        if cancelled.cancelled_order_ids is not None:
            return list(cancelled.cancelled_order_ids)
        return [cancelled.client_oid] if cancelled.client_oid else []


def _leverage(value: Decimal | int | str | None) -> int | str | None:
    """KuCoin documents leverage as an integer; other forms go as decimal text."""
    if value is None or isinstance(value, int):
        return value
    text = _text(value)
    return int(text) if text.isdigit() else text
