"""The simulator's futures REST: order entry, order lookups and the paginated listings.

Served on the futures host, signed and checked like every simulator REST call
(`Gateway._verify_request`), in KuCoin's documented shapes:

- ``POST /api/v1/orders``: place a limit, market or stop order. It drives the engine, so
  the ordinary pushes follow. A market order, or a limit order whose price crosses the
  mark price (the simulator's one price per contract), fills at once as taker at the mark
  price *before* the answer is written; any other limit order rests until a fill (the
  synthetic trader, `Engine.fill_futures_order`) or a cancel ends it. ``timeInForce: IOC``
  cancels what did not fill at once; ``postOnly`` cancels an order that would take. The
  pushes race the answer as on the exchange: in three entries out of four (drawn from the
  simulator's seed) the answer waits until they have left the sockets, the others answer
  at once.
- ``DELETE /api/v1/orders/{orderId}`` and ``/api/v1/orders/client-order/{clientOid}``.
- ``GET /api/v1/orders/{orderId}`` and ``/api/v1/orders/byClientOid``: open and done orders.
- ``GET /api/v1/orders?status=active`` and ``GET /api/v1/stopOrders``: pages
  (``currentPage``, ``pageSize`` up to 1000); ``GET /api/v1/positions?currency=``.

Refusals carry KuCoin's codes: ``400100`` naming the bad parameter; ``100001``
``error.getOrder.orderNotExist`` for an unknown order (HTTP 200, as a third-party fixture of
the live answer has it); ``100004`` for a cancel of an order that is not open; ``300009``
for a reduce-only or close order without a position to reduce; ``330008`` when the margin
does not cover the order (the live answer quoted in ccxt issue 26776).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final

from aiohttp import web

from ._gateway import Gateway, GatewayError
from ._market import FuturesOrder, StopOrder
from ._order_routes import CLIENT_OID, param_error, router
from ._order_routes import choice as _choice
from ._order_routes import flag as _flag
from ._order_routes import positive as _positive

__all__ = ("add_futures_routes",)

_log = logging.getLogger("rxkucoin.sim._server")

#: The most items one page of a futures listing holds (KuCoin's documented maximum).
MAX_PAGE_SIZE: Final = 1000
DEFAULT_PAGE_SIZE: Final = 50
_MARGIN_MSG: Final = (
    "Your current margin and leverage have reached the maximum open limit. Please increase "
    "your margin or raise your leverage to open larger positions."
)


_param = param_error


def _not_found() -> GatewayError:
    return GatewayError("100001", 200, "error.getOrder.orderNotExist")


def _not_cancelable() -> GatewayError:
    return GatewayError("100004", 400, "Order is in not cancelable state")


def add_futures_routes(sim: Gateway, app: web.Application) -> None:
    """Register the futures order entry, lookups and listings on the futures host's app."""
    api = _FuturesApi(sim)

    route = router(sim, "futures")

    app.router.add_get("/api/v1/orders", route(api.list_orders))
    app.router.add_post("/api/v1/orders", route(api.place, json_body=True))
    app.router.add_get("/api/v1/orders/byClientOid", route(api.order_by_client_oid))
    app.router.add_get("/api/v1/orders/{orderId}", route(api.order_by_id))
    app.router.add_delete("/api/v1/orders/{orderId}", route(api.cancel_by_id))
    app.router.add_delete("/api/v1/orders/client-order/{clientOid}", route(api.cancel_by_client))
    app.router.add_get("/api/v1/stopOrders", route(api.list_stop_orders))
    app.router.add_get("/api/v1/positions", route(api.positions))


def _page(query: Mapping[str, str]) -> tuple[int, int]:
    try:
        page = int(query.get("currentPage") or 1)
        size = int(query.get("pageSize") or DEFAULT_PAGE_SIZE)
    except ValueError:
        raise _param("currentPage and pageSize must be integers") from None
    if page < 1 or not 1 <= size <= MAX_PAGE_SIZE:
        raise _param(f"currentPage starts at 1; pageSize is 1 to {MAX_PAGE_SIZE}")
    return page, size


def _cut(data: Any, page: int, size: int) -> Any:
    """One page of an engine listing (which holds every item in one page)."""
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        return data
    items = data["items"]
    first = (page - 1) * size
    return {
        "currentPage": page,
        "pageSize": size,
        "totalNum": len(items),
        "totalPage": -(-len(items) // size),
        "items": items[first : first + size],
    }


def _symbol(query: Mapping[str, str]) -> dict[str, str]:
    return {"symbol": query["symbol"]} if query.get("symbol") else {}


def _size(value: Any) -> int:
    if isinstance(value, bool):
        raise _param("size must be a positive integer number of contracts")
    try:
        size = int(value) if isinstance(value, int) else int(str(value))
    except ValueError:
        raise _param("size must be a positive integer number of contracts") from None
    if size <= 0:
        raise _param("size must be a positive integer number of contracts")
    return size


class _FuturesApi:
    """The handlers' actions: each reads or drives the engine for one account."""

    def __init__(self, sim: Gateway) -> None:
        self._sim = sim

    @property
    def _engine(self) -> Any:
        # The engine's books are read directly: this module is the engine's REST face.
        return self._sim.engine

    # -- listings --------------------------------------------------------------------------

    def list_orders(self, account: str, request: web.Request, _: Any) -> Any:
        query = request.query
        if query.get("status", "active") != "active":
            raise _param("the simulator serves status=active only")
        page, size = _page(query)
        return _cut(self._engine.futures_open_orders(account, **_symbol(query)), page, size)

    def list_stop_orders(self, account: str, request: web.Request, _: Any) -> Any:
        page, size = _page(request.query)
        data = self._engine.futures_stop_orders(account, **_symbol(request.query))
        return _cut(data, page, size)

    def positions(self, account: str, request: web.Request, _: Any) -> Any:
        data = self._engine.futures_positions(account)
        currency = request.query.get("currency")
        if currency and isinstance(data, list):
            data = [p for p in data if p.get("settleCurrency") == currency]
        return data

    # -- lookups ---------------------------------------------------------------------------

    def _orders(self, account: str) -> list[FuturesOrder]:
        return [o for o in self._engine._futures_orders.values() if o.account == account]

    def _stops(self, account: str) -> list[StopOrder]:
        return [s for s in self._engine._stops.values() if s.futures and s.account == account]

    def _render(self, order: FuturesOrder | StopOrder) -> dict[str, Any]:
        if isinstance(order, StopOrder):
            return self._engine.futures_stop_rest(order)  # type: ignore[no-any-return]
        return self._engine._futures_order_rest(order)  # type: ignore[no-any-return]

    def order_by_id(self, account: str, request: web.Request, _: Any) -> Any:
        order_id = request.match_info["orderId"]
        known: list[FuturesOrder | StopOrder] = [*self._orders(account), *self._stops(account)]
        for order in known:
            if order.id == order_id:
                return self._render(order)
        raise _not_found()

    def order_by_client_oid(self, account: str, request: web.Request, _: Any) -> Any:
        client_oid = request.query.get("clientOid")
        if not client_oid:
            raise _param("clientOid is required")
        # A waiting stop order first (its order does not exist yet), then the newest order.
        found: list[FuturesOrder | StopOrder] = [
            *(o for o in self._orders(account) if o.client_oid == client_oid),
            *(s for s in self._stops(account) if s.client_oid == client_oid),
        ]
        if not found:
            raise _not_found()
        return self._render(found[-1])

    # -- cancels ---------------------------------------------------------------------------

    def _cancel(self, account: str, order: FuturesOrder | StopOrder) -> None:
        if isinstance(order, StopOrder):
            self._engine.cancel_stop_order(account, order.id)
        else:
            self._engine.cancel_futures_order(account, order.id)

    def _open(self, account: str) -> list[FuturesOrder | StopOrder]:
        live = [o for o in self._engine._futures_open.values() if o.account == account]
        return [*live, *self._stops(account)]

    def cancel_by_id(self, account: str, request: web.Request, _: Any) -> Any:
        order_id = request.match_info["orderId"]
        for order in self._open(account):
            if order.id == order_id:
                self._cancel(account, order)
                return {"cancelledOrderIds": [order_id]}
        raise _not_cancelable()

    def cancel_by_client(self, account: str, request: web.Request, _: Any) -> Any:
        client_oid = request.match_info["clientOid"]
        symbol = request.query.get("symbol")
        if not symbol:
            raise _param("symbol is required")
        for order in self._open(account):
            if order.client_oid == client_oid and order.symbol == symbol:
                self._cancel(account, order)
                return {"clientOid": client_oid}
        raise _not_cancelable()

    # -- order entry -----------------------------------------------------------------------

    def place(self, account: str, request: web.Request, body: dict[str, Any]) -> Any:
        client_oid = body.get("clientOid")
        if not isinstance(client_oid, str) or not CLIENT_OID.match(client_oid):
            raise _param("clientOid is required: 1 to 40 letters, digits, '_' or '-'")
        if any(o.client_oid == client_oid for o in self._open(account)):
            raise _param(f"clientOid {client_oid} is already used by an open order")
        reduce_only, close_order = _flag(body, "reduceOnly"), _flag(body, "closeOrder")
        side = _choice(body, "side", ("buy", "sell"), "")
        if not side and not close_order:
            raise _param("side is required: buy or sell")
        symbol = body.get("symbol")
        if not isinstance(symbol, str) or not symbol:
            raise _param("symbol is required")
        try:
            self._engine.mark_price(symbol)
        except ValueError:
            raise _param(f"symbol {symbol} is not a contract") from None
        order_type = _choice(body, "type", ("limit", "market"), "limit")
        margin_mode = _choice(body, "marginMode", ("ISOLATED", "CROSS"), "ISOLATED")
        time_in_force = _choice(body, "timeInForce", ("GTC", "IOC"), "GTC")
        _choice(body, "stp", ("CN", "CO", "CB"), "")  # checked; no self-trades here
        post_only, hidden, iceberg = (_flag(body, n) for n in ("postOnly", "hidden", "iceberg"))
        _flag(body, "forceHold")
        if post_only and (hidden or iceberg):
            raise GatewayError("100001", 400, 'Unavailable to enable both "postOnly" and "hidden"')
        if post_only and time_in_force == "IOC":
            raise _param("postOnly is invalid with timeInForce IOC")
        if body.get("qty") is not None or body.get("valueQty") is not None:
            raise _param("the simulator takes size (contracts); qty and valueQty are not served")
        price = _positive("price", body.get("price")) if order_type == "limit" else None
        leverage = body.get("leverage")
        lev = _positive("leverage", leverage) if leverage is not None else Decimal(3)
        if close_order or reduce_only:
            side, size = self._reducing(account, symbol, side, body, close_order)
        else:
            size = _size(body.get("size"))
        if body.get("stop"):
            if reduce_only or close_order:
                raise _param("the simulator does not serve reduce-only or close stop orders")
            return self._place_stop(account, body, symbol, side, size, price, lev, margin_mode)
        mark = self._engine.mark_price(symbol)
        crosses = price is None or (price >= mark if side == "buy" else price <= mark)
        try:
            order_id = self._engine.place_futures_order(
                account,
                symbol,
                side,
                size,
                str(price) if price is not None else None,
                lev,
                margin_mode,
                client_oid,
                immediate=not post_only,
            )
        except ValueError as e:
            raise _refusal(e) from None
        order: FuturesOrder = self._engine._futures_orders[order_id]
        order.reduce_only, order.time_in_force, order.post_only = (
            reduce_only or close_order,
            time_in_force,
            post_only,
        )
        if not order.done and (time_in_force == "IOC" or (post_only and crosses)):
            self._engine.cancel_futures_order(account, order_id)
        return {"orderId": order_id, "clientOid": client_oid}

    def _reducing(
        self, account: str, symbol: str, side: str, body: Mapping[str, Any], close: bool
    ) -> tuple[str, int]:
        """Side and size of an order that may only reduce the position (300009 if none)."""
        pos = self._engine._acct(account).positions.get(symbol)
        qty = pos.qty if pos is not None else 0
        closing_side = "sell" if qty > 0 else "buy"
        if qty == 0 or (not close and side != closing_side):
            raise GatewayError("300009", 400, "No open positions to close.")
        if close:
            return closing_side, abs(qty)
        return side, min(_size(body.get("size")), abs(qty))

    def _place_stop(
        self,
        account: str,
        body: Mapping[str, Any],
        symbol: str,
        side: str,
        size: int,
        price: Decimal | None,
        leverage: Decimal,
        margin_mode: str,
    ) -> dict[str, str]:
        stop = _choice(body, "stop", ("up", "down"), "")
        price_type = _choice(body, "stopPriceType", ("TP", "MP", "IP"), "")
        if not price_type:
            raise _param("stopPriceType is required with stop: TP, MP or IP")
        stop_price = _positive("stopPrice", body.get("stopPrice"))
        client_oid = str(body["clientOid"])
        try:
            order_id = self._engine.place_futures_stop_order(
                account,
                symbol,
                side,
                size,
                str(stop_price),
                stop=stop,
                price=str(price) if price is not None else None,
                leverage=leverage,
                margin_mode=margin_mode,
                client_oid=client_oid,
                stop_price_type=price_type,
            )
        except ValueError as e:
            raise _refusal(e) from None
        return {"orderId": order_id, "clientOid": client_oid}


def _refusal(error: ValueError) -> GatewayError:
    """KuCoin's refusal for what the engine refused."""
    if "insufficient" in str(error):
        return GatewayError("330008", 400, _MARGIN_MSG)
    return _param(f"Parameter error: {error}")
