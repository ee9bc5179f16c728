"""The simulator's spot (HF) and margin REST: order entry, order lookups, stop orders and the
margin accounts.

Served on the spot host, signed and checked like every simulator REST call
(`Gateway._verify_request`), in KuCoin's documented shapes:

- ``POST /api/v1/hf/orders``: place a limit or market order. It drives the engine, so the
  ordinary pushes follow. A market order, or a limit order whose price crosses the symbol's
  last price, fills at once as taker at the last price *before* the answer is written, so
  its pushes race the answer as on the exchange; any other limit order rests until a fill
  (the synthetic trader, `Engine.fill_spot_order`) or a cancel ends it. ``IOC`` and ``FOK``
  cancel an order that cannot fill at once; ``postOnly`` cancels one that would take.
- ``DELETE /api/v1/hf/orders/{orderId}`` and ``/api/v1/hf/orders/client-order/{clientOid}``
  (``symbol`` required), answering ``{"orderId"}`` / ``{"clientOid"}``.
- ``GET /api/v1/hf/orders/{orderId}`` and ``/api/v1/hf/orders/client-order/{clientOid}``
  (``symbol`` required): open and done orders; ``GET /api/v1/hf/orders/active/symbols``.
- ``GET /api/v1/stop-order``: a page of the waiting stop orders (``currentPage``,
  ``pageSize`` 10 to 500, filters ``symbol``, ``side``, ``type``, ``tradeType``,
  ``orderIds``, ``startAt``/``endAt``).
- ``GET /api/v3/margin/accounts`` and ``GET /api/v3/isolated/accounts``: the margin
  accounts, from the engine's margin state: the simulator's margin balances are the spot
  balances (as its margin pushes say), its liabilities those set with
  `Engine.set_cross_margin_debt` and `Engine.set_isolated_margin`.

Refusals carry KuCoin's codes: ``400100`` naming the bad parameter (HTTP 400);
``400100`` ``order not exist.`` for an unknown order and
``order_not_exist_or_not_allow_to_cancel`` for a cancel of an order that is not open (HTTP
200, the messages ccxt maps and a user report of the live cancel answer quote); ``200004``
``Balance insufficient!`` when the available balance does not cover the order (KuCoin's
spot error table).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from decimal import ROUND_DOWN, Decimal
from typing import Any, Final

from aiohttp import web

from ._gateway import Gateway, GatewayError
from ._ledger import MS, Q8, Account
from ._market import SPOT_FEE, ZERO, SpotBalance, SpotOrder, fmt, split_symbol
from ._order_routes import CLIENT_OID, param_error, router
from ._order_routes import choice as _choice
from ._order_routes import flag as _flag
from ._order_routes import positive as _positive
from ._spot import InsufficientBalance

__all__ = ("add_spot_routes",)

_log = logging.getLogger("rxkucoin.sim._server")

#: KuCoin's bounds of ``pageSize`` for ``GET /api/v1/stop-order``.
STOP_PAGE_SIZES: Final = (10, 500)
DEFAULT_PAGE_SIZE: Final = 50
_QUOTES: Final = ("USDT", "KCS", "BTC")
_RATIO: Final = Decimal("0.0001")
#: The isolated push's status (`Engine.set_isolated_margin`) in the REST answer's words.
_ISOLATED_STATUS: Final = {
    "IN_BORROW": "BORROW",
    "IN_REPAY": "REPAY",
    "IN_LIQUIDATION": "LIQUIDATION",
}


_param = param_error


def _not_found() -> GatewayError:
    return GatewayError("400100", 200, "order not exist.")


def _not_cancelable() -> GatewayError:
    return GatewayError("400100", 200, "order_not_exist_or_not_allow_to_cancel")


def add_spot_routes(sim: Gateway, app: web.Application) -> None:
    """Register the spot order entry, order lookups, stop orders and margin accounts."""

    route = router(sim, "spot")

    api = _SpotApi(sim)
    app.router.add_get("/api/v1/hf/orders/active/symbols", route(api.active_symbols))
    app.router.add_post("/api/v1/hf/orders", route(api.place, json_body=True))
    app.router.add_get("/api/v1/hf/orders/client-order/{clientOid}", route(api.order_by_client))
    app.router.add_get("/api/v1/hf/orders/{orderId}", route(api.order_by_id))
    app.router.add_delete("/api/v1/hf/orders/client-order/{clientOid}", route(api.cancel_by_client))
    app.router.add_delete("/api/v1/hf/orders/{orderId}", route(api.cancel_by_id))
    app.router.add_get("/api/v1/stop-order", route(api.stop_orders))
    app.router.add_get("/api/v3/margin/accounts", route(api.cross_margin))
    app.router.add_get("/api/v3/isolated/accounts", route(api.isolated_margin))


# -- request parsing -------------------------------------------------------------------------


def _required(source: Mapping[str, Any], name: str) -> str:
    value = source.get(name)
    if value is None or value == "":
        raise _param(f"{name} is required")
    if not isinstance(value, str):
        raise _param(f"{name} must be a string")
    return value


def _integer(query: Mapping[str, str], name: str, default: int | None) -> int | None:
    text = query.get(name)
    if not text:
        return default
    try:
        return int(text)
    except ValueError:
        raise _param(f"{name} must be an integer") from None


class _SpotApi:
    """The handlers' actions: each reads or drives the engine for one account."""

    def __init__(self, sim: Gateway) -> None:
        self._sim = sim

    @property
    def _engine(self) -> Any:
        # The engine's books are read directly: this module is the engine's REST face.
        return self._sim.engine

    def _symbol(self, symbol: str) -> str:
        try:
            split_symbol(symbol)
        except ValueError:
            raise _param("Unsupported trading pair.") from None
        if self._engine.spot_price(symbol) is None:
            raise _param("Unsupported trading pair.")
        return symbol

    # -- orders --------------------------------------------------------------------------------

    def _orders(self, account: str) -> Iterable[SpotOrder]:
        orders: dict[str, SpotOrder] = self._engine._spot_orders
        return (o for o in orders.values() if o.account == account)

    def _by_id(self, account: str, request: web.Request) -> SpotOrder | None:
        symbol = _required(request.query, "symbol")
        order: SpotOrder | None = self._engine._spot_orders.get(request.match_info["orderId"])
        if order is None or order.account != account or order.symbol != symbol:
            return None
        return order

    def _by_client(self, account: str, request: web.Request) -> SpotOrder | None:
        symbol = _required(request.query, "symbol")
        client_oid = request.match_info["clientOid"]
        return next(
            (
                o
                for o in reversed(list(self._orders(account)))
                if o.client_oid == client_oid and o.symbol == symbol
            ),
            None,
        )

    def order_by_id(self, account: str, request: web.Request, _: Any) -> Any:
        order = self._by_id(account, request)
        if order is None:
            raise _not_found()
        return self._engine._spot_order_rest(order)

    def order_by_client(self, account: str, request: web.Request, _: Any) -> Any:
        order = self._by_client(account, request)
        if order is None:
            raise _not_found()
        return self._engine._spot_order_rest(order)

    def active_symbols(self, account: str, request: web.Request, _: Any) -> Any:
        open_orders: dict[str, SpotOrder] = self._engine._spot_open
        symbols = {o.symbol for o in open_orders.values() if o.account == account}
        return {"symbols": sorted(symbols)}

    def _cancel(self, account: str, order: SpotOrder | None) -> SpotOrder:
        if order is None:
            raise _not_cancelable()
        try:
            self._engine.cancel_spot_order(account, order.id)
        except KeyError:  # filled or cancelled already
            raise _not_cancelable() from None
        return order

    def cancel_by_id(self, account: str, request: web.Request, _: Any) -> Any:
        return {"orderId": self._cancel(account, self._by_id(account, request)).id}

    def cancel_by_client(self, account: str, request: web.Request, _: Any) -> Any:
        order = self._cancel(account, self._by_client(account, request))
        return {"clientOid": order.client_oid}

    def place(self, account: str, request: web.Request, body: dict[str, Any]) -> Any:
        symbol = self._symbol(_required(body, "symbol"))
        side = _choice(body, "side", ("buy", "sell"), "")
        order_type = _choice(body, "type", ("limit", "market"), "")
        if not side:
            raise _param("side is required")
        if not order_type:
            raise _param("type is required")
        client_oid = body.get("clientOid")
        if client_oid is not None and client_oid != "":
            if not isinstance(client_oid, str) or not CLIENT_OID.match(client_oid):
                raise _param("clientOid must be 1 to 40 letters, digits, underscores or hyphens")
            if any(o.client_oid == client_oid for o in self._orders(account)):
                raise GatewayError("400100", 200, "The clientOid already exists")
        else:
            client_oid = None
        time_in_force = _choice(body, "timeInForce", ("GTC", "GTT", "IOC", "FOK"), "GTC")
        if time_in_force == "GTT":
            raise _param("timeInForce GTT is not supported by the simulator")
        post_only = _flag(body, "postOnly")
        price: Decimal | None = None
        if order_type == "limit":
            if body.get("funds") not in (None, ""):
                raise _param("funds is for market orders; a limit order takes price and size")
            price = _positive("price", body.get("price"))
            size = _positive("size", body.get("size"))
        else:
            size = self._market_size(symbol, side, body)
        try:
            order_id: str = self._engine.place_spot_order(
                account,
                symbol,
                side,
                order_type,
                size,
                price,
                client_oid,
                immediate=True,
                time_in_force=time_in_force,
                post_only=post_only,
            )
        except InsufficientBalance:
            raise GatewayError("200004", 200, "Balance insufficient!") from None
        except ValueError as e:
            raise _param(str(e)) from None
        order: SpotOrder = self._engine._spot_orders[order_id]
        return {"orderId": order_id, "clientOid": order.client_oid}

    def _market_size(self, symbol: str, side: str, body: Mapping[str, Any]) -> Decimal:
        has_size = body.get("size") not in (None, "")
        has_funds = body.get("funds") not in (None, "")
        if has_size == has_funds:
            raise _param("a market order takes exactly one of size and funds")
        if has_size:
            return _positive("size", body.get("size"))
        funds = _positive("funds", body.get("funds"))
        last: Decimal = self._engine.spot_price(symbol)
        # The size the funds buy (fee included, as the engine holds it) or sell for.
        unit = last * (1 + SPOT_FEE) if side == "buy" else last
        size = (funds / unit).quantize(Q8, rounding=ROUND_DOWN)
        if size <= 0:
            raise _param("funds are too small for the smallest size")
        return size

    # -- stop orders ---------------------------------------------------------------------------

    def stop_orders(self, account: str, request: web.Request, _: Any) -> Any:
        query = request.query
        page = _integer(query, "currentPage", 1)
        size = _integer(query, "pageSize", DEFAULT_PAGE_SIZE)
        low, high = STOP_PAGE_SIZES
        if page is None or page < 1:
            raise _param("currentPage starts at 1")
        if size is None or not low <= size <= high:
            raise _param(f"pageSize is {low} to {high}")
        start = _integer(query, "startAt", None)
        end = _integer(query, "endAt", None)
        order_type = _choice(query, "type", ("limit", "market"), "")
        data = self._engine.spot_stop_orders(account)
        if not isinstance(data, dict) or not isinstance(data.get("items"), list):
            return data
        ids = {i for i in query.get("orderIds", "").split(",") if i}
        wanted = {
            "symbol": query.get("symbol") or None,
            "side": query.get("side") or None,
            "type": order_type or None,
            "tradeType": query.get("tradeType") or "TRADE",
        }
        stop_kind = query.get("stop") or None  # "stop" or "oco": every engine stop is "stop"
        items = [
            item
            for item in data["items"]
            if all(want is None or item.get(k) == want for k, want in wanted.items())
            and (not ids or item.get("id") in ids)
            and (start is None or item.get("createdAt", 0) >= start)
            and (end is None or item.get("createdAt", 0) <= end)
            and stop_kind in (None, "stop")
        ]
        first = (page - 1) * size
        return {
            "currentPage": page,
            "pageSize": size,
            "totalNum": len(items),
            "totalPage": -(-len(items) // size),
            "items": items[first : first + size],
        }

    # -- margin --------------------------------------------------------------------------------

    def _account(self, account: str) -> Account:
        acct: Account = self._engine._acct(account)
        return acct

    def _value(self, currency: str, amount: Decimal, quote: str) -> Decimal:
        """``amount`` of ``currency`` valued in ``quote`` at the last spot prices."""
        if currency == quote or not amount:
            return amount
        price = self._engine.spot_price(f"{currency}-USDT") if currency != "USDT" else 1
        if price is None:
            return ZERO
        usdt = amount * price
        if quote == "USDT":
            return usdt
        quote_price = self._engine.spot_price(f"{quote}-USDT")
        return (usdt / quote_price).quantize(Q8) if quote_price else ZERO

    @staticmethod
    def _asset(currency: str, balance: SpotBalance, owed: Decimal) -> dict[str, Any]:
        return {
            "currency": currency,
            "total": fmt(balance.total),
            "available": fmt(balance.available),
            "hold": fmt(balance.hold),
            "liability": fmt(owed),
            "liabilityPrincipal": fmt(owed),
            "liabilityInterest": "0",
            "maxBorrowSize": "0",  # the simulator lends nothing
            "borrowEnabled": False,
            "transferInEnabled": True,
        }

    def cross_margin(self, account: str, request: web.Request, _: Any) -> Any:
        quote = _choice(request.query, "quoteCurrency", _QUOTES, "USDT")
        _choice(request.query, "queryType", ("MARGIN", "MARGIN_V2", "ALL"), "MARGIN")
        acct = self._account(account)
        currencies = sorted(set(acct.spot) | set(acct.debts))
        assets = sum((self._value(c, acct.spot[c].total, "USDT") for c in acct.spot), ZERO)
        debt = sum((self._value(c, v, "USDT") for c, v in acct.debts.items()), ZERO)
        return {
            "totalAssetOfQuoteCurrency": fmt(self._value("USDT", assets, quote)),
            "totalLiabilityOfQuoteCurrency": fmt(self._value("USDT", debt, quote)),
            "debtRatio": fmt((debt / assets).quantize(_RATIO) if assets else ZERO),
            "status": "EFFECTIVE",
            "accounts": [
                self._asset(c, acct.spot.get(c, SpotBalance()), acct.debts.get(c, ZERO))
                for c in currencies
            ],
        }

    def isolated_margin(self, account: str, request: web.Request, _: Any) -> Any:
        query = request.query
        quote = _choice(query, "quoteCurrency", _QUOTES, "USDT")
        _choice(query, "queryType", ("ISOLATED", "ISOLATED_V2", "ALL"), "ISOLATED")
        acct = self._account(account)
        symbol = query.get("symbol")
        symbols = [self._symbol(symbol)] if symbol else sorted(acct.isolated_status)
        pairs = []
        total_assets = total_debt = ZERO
        for pair in symbols:
            owed = acct.isolated_debts.get(pair, {})
            assets = debt = ZERO
            sides = []
            for currency in split_symbol(pair):
                balance = acct.spot.get(currency, SpotBalance())
                liability = owed.get(currency, ZERO)
                assets += self._value(currency, balance.total, "USDT")
                debt += self._value(currency, liability, "USDT")
                sides.append(self._asset(currency, balance, liability))
            total_assets += assets
            total_debt += debt
            status = acct.isolated_status.get(pair, "")
            pairs.append(
                {
                    "symbol": pair,
                    "status": _ISOLATED_STATUS.get(status, "EFFECTIVE"),
                    "debtRatio": fmt((debt / assets).quantize(_RATIO) if assets else ZERO),
                    "baseAsset": sides[0],
                    "quoteAsset": sides[1],
                }
            )
        return {
            "totalAssetOfQuoteCurrency": fmt(self._value("USDT", total_assets, quote)),
            "totalLiabilityOfQuoteCurrency": fmt(self._value("USDT", total_debt, quote)),
            "timestamp": self._engine._now() // MS,
            "assets": pairs,
        }
