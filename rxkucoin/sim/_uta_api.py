"""The simulator's UTA (unified account) REST: snapshots, order lookups and order entry.

Served on the spot host (``api.kucoin.com``), signed and checked like every simulator REST
call (`Gateway._verify_request`), in the shapes KuCoin documents for ``/api/ua/v2``
(its official SDK 1.3.2 models) and answered for ``/api/ua/v1`` too where the two agree:

- ``GET /api/ua/v2/account/mode``, ``/api/ua/v2/unified/account/balance``,
  ``/api/ua/v2/unified/order/open-list`` (``{pageNumber, tradeType, items}``, newest
  first; ``orderFilter=ADVANCED`` lists the waiting conditional orders),
  ``/api/ua/v2/unified/position/open-list`` (a bare list, paged by
  ``pageNumber``/``pageSize``). The v1 forms of these four stay with `Gateway._snapshot`.
- ``GET /api/ua/v{1,2}/unified/order/detail``: one order, open or done.
- ``POST /api/ua/v{1,2}/unified/order/place`` and ``.../order/cancel``: order entry. It
  drives the engine's spot and futures books, so the ordinary Classic and Pro pushes
  follow. A market order, or a limit order whose price crosses the simulator's price (the
  symbol's last trade price, the contract's mark price), fills at once as taker at that
  price *before* the answer is written, so its pushes race the answer as on the exchange;
  any other limit order rests until a fill or a cancel ends it. ``IOC``/``FOK`` cancel
  what did not fill at once; ``postOnly`` cancels an order that would take.

Refusals carry KuCoin's codes: ``400100`` naming the bad parameter, or ``order not
exist`` for an unknown order (and for a cancel of an order that is not open);
``200004`` when the spot balance does not cover the order; ``330008`` when the futures
margin does not (the live answer of PROTOCOL.md §5.7); ``300009`` for a reduce-only order
without a position to reduce. ``MARGIN`` orders, conditional orders (``triggerPrice``),
TP/SL, ``closeOrder``, ``GTT`` and ``RPI`` are refused with ``400100``: the engine has no
such books.

Times are the engine's: ``orderTime``/``updatedTime`` of an order and ``updateTime`` of a
position are the ``O``/``U`` of its Pro pushes, so a client can order the two.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING, Any, Final

from aiohttp import web

from ._gateway import GatewayError
from ._market import (
    FuturesOrder,
    SpotOrder,
)
from ._order_routes import CLIENT_OID, param_error, positive, router
from ._order_routes import flag as _flag
from ._spot import InsufficientBalance
from ._uta_shapes import Order, uta_order_data, uta_position_data, uta_stop_data

if TYPE_CHECKING:
    from ._engine import Engine
    from ._server import Simulator

__all__ = ("add_uta_routes",)

_log = logging.getLogger("rxkucoin.sim._server")

TRADE_TYPES: Final = ("SPOT", "FUTURES", "MARGIN")
DEFAULT_PAGE_SIZE: Final = 50
_SIZE_QUANTUM: Final = Decimal("0.00000001")
_NOT_EXIST: Final = "order not exist"
_SPOT_BALANCE_MSG: Final = "Balance insufficient!"
_MARGIN_MSG: Final = "Order quantity is too high, insufficient available margin."
#: Order fields the engine never sets: no conditional or TP/SL orders on this endpoint.
_UNSERVED: Final = (
    "triggerDirection",
    "triggerPrice",
    "tpTriggerPrice",
    "slTriggerPrice",
)


@dataclass
class _Extras:
    """What an order was placed with that the engine's books do not keep."""

    tags: str = ""
    stp: str = ""


#: Per engine: the extras of the orders placed through this REST face.
_EXTRAS: weakref.WeakKeyDictionary[Engine, dict[str, _Extras]] = weakref.WeakKeyDictionary()


_param = param_error


def _positive_str(name: str, value: Any) -> Decimal:
    return positive(name, value, floats=False)


def _not_exist() -> GatewayError:
    return GatewayError("400100", 400, _NOT_EXIST)


def _trade_type(value: Any) -> str:
    if value is None or value == "":
        raise _param("tradeType is required: SPOT, FUTURES or MARGIN")
    if value not in TRADE_TYPES:
        raise _param(f"tradeType must be SPOT, FUTURES or MARGIN, not {value!r}")
    if value == "MARGIN":
        raise _param("tradeType MARGIN: the simulator keeps no margin order book")
    return str(value)


def _choice(source: Mapping[str, Any], name: str, allowed: Iterable[str], default: str) -> str:
    value = source.get(name)
    if value is None or value == "":
        if not default:
            raise _param(f"{name} is required: {', '.join(allowed)}")
        return default
    if value not in allowed:
        raise _param(f"{name} must be one of {', '.join(allowed)}")
    return str(value)


def _symbol(source: Mapping[str, Any]) -> str:
    symbol = source.get("symbol")
    if not isinstance(symbol, str) or not symbol:
        raise _param("symbol is required")
    return symbol


def _page(query: Mapping[str, str]) -> tuple[int, int]:
    try:
        page = int(query.get("pageNumber") or 1)
        size = int(query.get("pageSize") or DEFAULT_PAGE_SIZE)
    except ValueError:
        raise _param("pageNumber and pageSize must be integers") from None
    if page < 1 or size < 1:
        raise _param("pageNumber and pageSize start at 1")
    return page, size


# ------------------------------------------------------------------ the actions


class _UtaApi:
    """The handlers' actions: each reads or drives the engine for one account."""

    def __init__(self, sim: Simulator) -> None:
        self._sim = sim

    @property
    def _engine(self) -> Engine:
        # The engine's books are read directly: this module is the engine's REST face.
        return self._sim.engine

    def _extras(self) -> dict[str, _Extras]:
        return _EXTRAS.setdefault(self._engine, {})

    def _order_data(self, order: Order, *, detail: bool = False) -> dict[str, Any]:
        extras = self._extras().get(order.id) or _Extras()
        return uta_order_data(order, tags=extras.tags, stp=extras.stp, detail=detail)

    def _orders(self, account: str, trade_type: str) -> list[Order]:
        book: Iterable[Order] = (
            self._engine._futures_orders.values()
            if trade_type == "FUTURES"
            else self._engine._spot_orders.values()
        )
        return [o for o in book if o.account == account]

    def _find(self, account: str, trade_type: str, source: Mapping[str, Any]) -> Order:
        """The order named by ``orderId`` (first) or ``clientOid``, open or done."""
        symbol = _symbol(source)
        order_id, client_oid = source.get("orderId"), source.get("clientOid")
        if not order_id and not client_oid:
            raise _param("orderId or clientOid is required")
        found = [
            o
            for o in self._orders(account, trade_type)
            if o.symbol == symbol and (o.id == order_id if order_id else o.client_oid == client_oid)
        ]
        if not found:
            raise _not_exist()
        return found[-1]

    # -- snapshots -------------------------------------------------------------------------

    def account_mode(self, account: str, query: Mapping[str, str], _: Any) -> Any:
        return self._engine.account_mode(account)

    def balance(self, account: str, query: Mapping[str, str], _: Any) -> Any:
        data = self._engine.pro_balance(account)
        for group in data["accounts"]:
            for entry in group["currencies"]:
                entry["potentialBorrow"] = "0"
        return data

    def open_orders(self, account: str, query: Mapping[str, str], _: Any) -> Any:
        trade_type = _trade_type(query.get("tradeType"))
        order_filter = _choice(query, "orderFilter", ("NORMAL", "ADVANCED"), "NORMAL")
        page, size = _page(query)
        symbol = query.get("symbol") or None
        futures = trade_type == "FUTURES"
        items: list[dict[str, Any]]
        if order_filter == "ADVANCED":
            stops = [
                s
                for s in self._engine._stops.values()
                if s.account == account
                and s.futures == futures
                and (symbol is None or s.symbol == symbol)
            ]
            stops.sort(key=lambda s: s.created_ns, reverse=True)
            items = [uta_stop_data(s) for s in stops]
        else:
            book: Iterable[Order] = (
                self._engine._futures_open.values() if futures else self._engine._spot_open.values()
            )
            orders = [
                o for o in book if o.account == account and (symbol is None or o.symbol == symbol)
            ]
            orders.sort(key=lambda o: o.created_ns, reverse=True)
            items = [self._order_data(o) for o in orders]
        first = (page - 1) * size
        return {"pageNumber": page, "tradeType": trade_type, "items": items[first : first + size]}

    def positions(self, account: str, query: Mapping[str, str], _: Any) -> Any:
        page, size = _page(query)
        symbol = query.get("symbol") or None
        acct = self._engine._acct(account)
        items = [
            uta_position_data(pos, self._engine.mark_price(pos.symbol))
            for pos in acct.positions.values()
            if pos.qty and (symbol is None or pos.symbol == symbol)
        ]
        first = (page - 1) * size
        return items[first : first + size]

    def order_detail(self, account: str, query: Mapping[str, str], _: Any) -> Any:
        trade_type = _trade_type(query.get("tradeType"))
        return self._order_data(self._find(account, trade_type, query), detail=True)

    # -- order entry -----------------------------------------------------------------------

    def cancel(self, account: str, _: Mapping[str, str], body: dict[str, Any]) -> Any:
        trade_type = _trade_type(body.get("tradeType"))
        order = self._find(account, trade_type, body)
        if order.done:
            raise _not_exist()
        if isinstance(order, FuturesOrder):
            self._engine.cancel_futures_order(account, order.id)
        else:
            self._engine.cancel_spot_order(account, order.id)
        return self._ack(trade_type, order)

    def place(self, account: str, _: Mapping[str, str], body: dict[str, Any]) -> Any:
        trade_type = _trade_type(body.get("tradeType"))
        for name in _UNSERVED:
            if body.get(name) not in (None, ""):
                raise _param(f"{name}: the simulator serves no conditional or TP/SL orders")
        if _flag(body, "closeOrder"):
            raise _param("closeOrder: the simulator does not serve close orders")
        symbol = _symbol(body)
        side = _choice(body, "side", ("BUY", "SELL"), "").lower()
        order_type = _choice(body, "orderType", ("LIMIT", "MARKET"), "").lower()
        tif = _choice(body, "timeInForce", ("GTC", "IOC", "FOK", "GTT", "RPI"), "GTC")
        if tif in ("GTT", "RPI"):
            raise _param(f"timeInForce {tif}: the simulator serves GTC, IOC and FOK")
        post_only, reduce_only = _flag(body, "postOnly"), _flag(body, "reduceOnly")
        if post_only and tif != "GTC":
            raise _param("postOnly is invalid with timeInForce IOC or FOK")
        stp = body.get("stp") or ""
        if stp not in ("", "DC", "CO", "CN", "CB"):
            raise _param("stp must be one of DC, CO, CN, CB")
        tags = body.get("tags") or ""
        if not isinstance(tags, str) or len(tags) > 20:
            raise _param("tags must be text of at most 20 characters")
        client_oid = body.get("clientOid")
        if client_oid is not None and (
            not isinstance(client_oid, str) or not CLIENT_OID.match(client_oid)
        ):
            raise _param("clientOid must be 1 to 40 letters, digits, '_' or '-'")
        if client_oid and any(
            o.client_oid == client_oid
            for kind in ("SPOT", "FUTURES")
            for o in self._orders(account, kind)
        ):
            raise _param(f"clientOid {client_oid} is already used")
        size = _positive_str("size", body.get("size"))
        price = _positive_str("price", body.get("price")) if order_type == "limit" else None
        order: Order
        if trade_type == "FUTURES":
            order = self._place_futures(
                account, body, symbol, side, size, price, tif, post_only, reduce_only, client_oid
            )
        else:
            order = self._place_spot(
                account, body, symbol, side, size, price, tif, post_only, client_oid
            )
        self._extras()[order.id] = _Extras(tags=tags, stp=stp)
        return self._ack(trade_type, order)

    def _ack(self, trade_type: str, order: Order) -> dict[str, Any]:
        return {
            "tradeType": trade_type,
            "orderId": order.id,
            "clientOid": order.client_oid,
            "ts": self._engine._now(),
        }

    def _place_spot(
        self,
        account: str,
        body: Mapping[str, Any],
        symbol: str,
        side: str,
        size: Decimal,
        price: Decimal | None,
        tif: str,
        post_only: bool,
        client_oid: str | None,
    ) -> SpotOrder:
        last = self._engine.spot_price(symbol) if "-" in symbol else None
        if last is None:
            raise _param(f"symbol {symbol}: Unsupported trading pair.")
        if price is not None and body.get("sizeUnit") != "BASECCY":
            raise _param("sizeUnit is required for a SPOT limit order: BASECCY")
        unit = _choice(body, "sizeUnit", ("BASECCY", "QUOTECCY"), "BASECCY")
        if unit == "QUOTECCY":
            size = (size / last).quantize(_SIZE_QUANTUM, rounding=ROUND_DOWN)
            if size <= 0:
                raise _param("size (funds) buys nothing at the last price")
        try:
            order_id = self._engine.place_spot_order(
                account,
                symbol,
                side,
                "limit" if price is not None else "market",
                size,
                price,
                client_oid,
                immediate=True,
                time_in_force=tif,
                post_only=post_only,
            )
        except InsufficientBalance:
            raise GatewayError("200004", 200, _SPOT_BALANCE_MSG) from None
        except ValueError as e:
            raise _param(f"Parameter error: {e}") from None
        return self._engine._spot_orders[order_id]

    def _place_futures(
        self,
        account: str,
        body: Mapping[str, Any],
        symbol: str,
        side: str,
        size: Decimal,
        price: Decimal | None,
        tif: str,
        post_only: bool,
        reduce_only: bool,
        client_oid: str | None,
    ) -> FuturesOrder:
        try:
            mark = self._engine.mark_price(symbol)
        except ValueError:
            raise _param(f"symbol {symbol} is not a contract") from None
        unit = body.get("sizeUnit")
        if unit not in ("UNIT", "BASECCY"):
            raise _param("sizeUnit is required for FUTURES: UNIT or BASECCY")
        contracts = size / self._engine._contract(symbol) if unit == "BASECCY" else size
        if contracts != contracts.to_integral_value():
            raise _param("size must be a whole number of contracts (a multiple of the lot)")
        margin_mode = _choice(body, "marginMode", ("CROSS", "ISOLATED"), "CROSS")
        if reduce_only:
            pos = self._engine._acct(account).positions.get(symbol)
            qty = pos.qty if pos is not None else 0
            if qty == 0 or side != ("sell" if qty > 0 else "buy"):
                raise GatewayError("300009", 400, "No open positions to close.")
            contracts = min(contracts, Decimal(abs(qty)))
        crosses = price is None or (price >= mark if side == "buy" else price <= mark)
        try:
            order_id = self._engine.place_futures_order(
                account,
                symbol,
                side,
                int(contracts),
                price,
                margin_mode=margin_mode,
                client_oid=client_oid,
                immediate=not post_only,
            )
        except ValueError as e:
            if "insufficient" in str(e):
                raise GatewayError("330008", 400, _MARGIN_MSG) from None
            raise _param(f"Parameter error: {e}") from None
        order = self._engine._futures_orders[order_id]
        order.reduce_only, order.time_in_force, order.post_only = reduce_only, tif, post_only
        if not order.done and (tif != "GTC" or (post_only and crosses)):
            self._engine.cancel_futures_order(account, order_id)
        return order


# ------------------------------------------------------------------ routes

QueryAction = Callable[[str, Mapping[str, str], Any], Any]


def add_uta_routes(sim: Simulator, app: web.Application) -> None:
    """Register the UTA REST routes on the spot host's app (see the module doc)."""
    api = _UtaApi(sim)

    signed = router(sim, "UTA")

    def route(
        action: QueryAction, *, json_body: bool = False
    ) -> Callable[[web.Request], Awaitable[web.Response]]:
        return signed(
            lambda name, request, body: action(name, request.query, body), json_body=json_body
        )

    v2 = "/api/ua/v2"
    app.router.add_get(f"{v2}/account/mode", route(api.account_mode))
    app.router.add_get(f"{v2}/unified/account/balance", route(api.balance))
    app.router.add_get(f"{v2}/unified/order/open-list", route(api.open_orders))
    app.router.add_get(f"{v2}/unified/position/open-list", route(api.positions))
    for version in ("/api/ua/v1", v2):
        app.router.add_get(f"{version}/unified/order/detail", route(api.order_detail))
        app.router.add_post(f"{version}/unified/order/place", route(api.place, json_body=True))
        app.router.add_post(f"{version}/unified/order/cancel", route(api.cancel, json_body=True))
