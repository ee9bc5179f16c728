"""Spot and margin REST calls: typed account snapshots, order lookups and order entry."""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from typing import Any, Final
from urllib.parse import quote, urlencode

import msgspec

from ._rest import RestClient, decode_answer
from .exceptions import RestError
from .keys import Market
from .models.rest_spot import (
    CrossMarginAccount,
    IsolatedMarginAccounts,
    PlacedOrder,
    SpotAccount,
    SpotOrder,
    SpotStopOrder,
)

__all__ = ("SpotRest",)

_ORDERS: Final = "/api/v1/hf/orders"
#: Codes KuCoin answers for an order it does not know: ``400100`` with a message saying so
#: (``order not exist.``), or the newer spot table's unknown-order code.
_UNKNOWN_ORDER_CODES: Final = frozenset({"400100", "102436"})


class _ActiveSymbols(msgspec.Struct, frozen=True, kw_only=True):
    symbols: list[str] = msgspec.field(default_factory=list)


class _Cancelled(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    order_id: str | None = None
    client_oid: str | None = None


def _amount(name: str, value: Decimal | str) -> str:
    """``value`` as KuCoin wants a decimal: a plain string without exponent."""
    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValueError(f"{name} must be a decimal number, got {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"{name} must be a finite decimal number, got {value!r}")
    return format(number, "f")


def _one_id(order_id: str | None, client_oid: str | None) -> str:
    """The one id given; `ValueError` unless exactly one is."""
    if order_id is not None and client_oid is None:
        return order_id
    if client_oid is not None and order_id is None:
        return client_oid
    raise ValueError("give exactly one of order_id and client_oid")


def _order_path(order_id: str | None, client_oid: str | None) -> str:
    if order_id is not None:
        return f"{_ORDERS}/{quote(order_id, safe='')}"
    return f"{_ORDERS}/client-order/{quote(client_oid or '', safe='')}"


def _is_unknown_order(error: RestError) -> bool:
    if error.code == "102436":
        return True
    return error.code in _UNKNOWN_ORDER_CODES and "not exist" in error.msg.lower()


class SpotRest(RestClient):
    """Spot and margin endpoints (a mixin of `KucoinRest`).

    Every call is on the spot host (``api.kucoin.com``) and signed. Decimal arguments take
    `Decimal` or `str` and are sent as plain decimal strings.
    """

    async def spot_accounts(
        self, *, type: str | None = "trade", currency: str | None = None
    ) -> list[SpotAccount]:
        """The spot accounts, one per currency and account type (``GET /api/v1/accounts``).

        Args:
            type: ``trade`` (spot, the default), ``main`` (funding) or ``option``;
                ``None`` lists every type.
            currency: only this currency; ``None`` lists every currency.

        Returns:
            One `SpotAccount` per (currency, type); its ``id`` is the balance pushes'
            ``accountId``.
        """
        params = {"currency": currency, "type": type}
        query = {k: v for k, v in params.items() if v is not None}
        return await self.get_model(Market.SPOT, "/api/v1/accounts", list[SpotAccount], query)

    async def spot_open_orders(self, symbol: str | None = None) -> list[SpotOrder]:
        """The open spot (HF) orders.

        With a symbol, one call (``GET /api/v1/hf/orders/active?symbol=``, which KuCoin
        sorts by last update, newest first). Without, the symbols that have open orders
        (``GET /api/v1/hf/orders/active/symbols``), then one call per symbol: the listing
        is then not one atomic snapshot, so an order may change between two calls (the
        live views order snapshots against pushes per order, which makes this harmless).

        Args:
            symbol: e.g. ``BTC-USDT``; ``None`` for every symbol.

        Returns:
            The open orders (``active`` true).
        """
        if symbol is not None:
            return await self.get_model(
                Market.SPOT, f"{_ORDERS}/active", list[SpotOrder], {"symbol": symbol}
            )
        active = await self.get_model(Market.SPOT, f"{_ORDERS}/active/symbols", _ActiveSymbols)
        orders: list[SpotOrder] = []
        for each in active.symbols:
            orders.extend(await self.spot_open_orders(each))
        return orders

    async def spot_order(
        self, symbol: str, *, order_id: str | None = None, client_oid: str | None = None
    ) -> SpotOrder | None:
        """One spot (HF) order, open or done, by its id or the client's id.

        ``GET /api/v1/hf/orders/{orderId}?symbol=`` or
        ``GET /api/v1/hf/orders/client-order/{clientOid}?symbol=``. A filled or cancelled
        order has ``active`` and ``in_order_book`` false.

        Args:
            symbol: the order's market (KuCoin requires it).
            order_id: KuCoin's order id; or
            client_oid: the client's order id (exactly one of the two).

        Returns:
            The order, or ``None`` when KuCoin does not know it (``400100`` ``order not
            exist.``, or an empty answer).

        Raises:
            ValueError: neither or both ids were given.
        """
        _one_id(order_id, client_oid)
        path = _order_path(order_id, client_oid)
        try:
            raw = await self.get(Market.SPOT, path, {"symbol": symbol})
        except RestError as e:
            if _is_unknown_order(e):
                return None
            raise
        if raw.strip() in (b"", b"null"):
            return None
        order: SpotOrder = decode_answer(SpotOrder, raw, path)
        return order

    async def spot_stop_orders(
        self,
        symbol: str | None = None,
        *,
        trade_type: str | None = None,
        page_size: int = 50,
    ) -> list[SpotStopOrder]:
        """The waiting spot stop orders (``GET /api/v1/stop-order``), every page.

        Args:
            symbol: only this market; ``None`` for every market.
            trade_type: ``TRADE`` (spot, KuCoin's default), ``MARGIN_TRADE`` or
                ``MARGIN_ISOLATED_TRADE``.
            page_size: items per page, 10 to 500 (KuCoin's bounds).

        Returns:
            Every stop order of every page.
        """
        params = {"symbol": symbol, "tradeType": trade_type}
        query = {k: v for k, v in params.items() if v is not None}
        return await self.get_pages(
            Market.SPOT, "/api/v1/stop-order", SpotStopOrder, query, page_size=page_size
        )

    async def margin_cross_account(
        self, *, quote_currency: str | None = None, query_type: str | None = None
    ) -> CrossMarginAccount:
        """The cross-margin account (``GET /api/v3/margin/accounts``).

        Args:
            quote_currency: the currency totals are valued in: ``USDT`` (KuCoin's
                default), ``KCS`` or ``BTC``.
            query_type: ``MARGIN`` (the classic cross-margin account, KuCoin's default),
                ``MARGIN_V2`` (the HF one) or ``ALL`` (both, as the web page shows).

        Returns:
            The account's totals, debt ratio and one entry per currency.
        """
        params = {"quoteCurrency": quote_currency, "queryType": query_type}
        query = {k: v for k, v in params.items() if v is not None}
        return await self.get_model(
            Market.SPOT, "/api/v3/margin/accounts", CrossMarginAccount, query
        )

    async def margin_isolated_accounts(
        self,
        symbol: str | None = None,
        *,
        quote_currency: str | None = None,
        query_type: str | None = None,
    ) -> IsolatedMarginAccounts:
        """The isolated-margin pairs (``GET /api/v3/isolated/accounts``).

        Args:
            symbol: one pair, e.g. ``BTC-USDT``; ``None`` for every pair.
            quote_currency: the currency totals are valued in: ``USDT`` (KuCoin's
                default), ``KCS`` or ``BTC``.
            query_type: ``ISOLATED`` (KuCoin's default), ``ISOLATED_V2`` (HF) or ``ALL``.

        Returns:
            The totals and one entry per pair (`IsolatedMarginAccounts.pair`).
        """
        params = {"symbol": symbol, "quoteCurrency": quote_currency, "queryType": query_type}
        query = {k: v for k, v in params.items() if v is not None}
        return await self.get_model(
            Market.SPOT, "/api/v3/isolated/accounts", IsolatedMarginAccounts, query
        )

    async def place_spot_order(
        self,
        symbol: str,
        side: str,
        type: str,
        *,
        size: Decimal | str | None = None,
        price: Decimal | str | None = None,
        funds: Decimal | str | None = None,
        client_oid: str | None = None,
        time_in_force: str | None = None,
        post_only: bool | None = None,
    ) -> PlacedOrder:
        """Place a spot (HF) order (``POST /api/v1/hf/orders``).

        The answer only says KuCoin accepted the order. What happens to it arrives on the
        order pushes, which may come *before* this call returns (an order that fills at
        once); to wait for an outcome without missing it, start listening first
        (``streams.expect_order``).

        Args:
            symbol: e.g. ``BTC-USDT``.
            side: ``buy`` or ``sell``.
            type: ``limit`` (needs ``price`` and ``size``) or ``market`` (needs ``size``
                or ``funds``).
            size: the amount of the base currency.
            price: the limit price.
            funds: the amount of the quote currency (market orders, instead of ``size``).
            client_oid: the client's order id, at most 40 letters, digits, ``_`` or
                ``-``; a random one (32 hex digits) when ``None``.
            time_in_force: ``GTC`` (KuCoin's default), ``GTT``, ``IOC`` or ``FOK``.
            post_only: only add liquidity (cancelled if it would take).

        Returns:
            The order's id and client id.

        Raises:
            ValueError: an amount is not a finite decimal number.
            RestError: KuCoin refused the order, e.g. ``200004`` (balance insufficient)
                or ``400100`` (a parameter, named in the message).
        """
        oid = client_oid if client_oid is not None else uuid.uuid4().hex
        body: dict[str, Any] = {"clientOid": oid, "side": side, "symbol": symbol, "type": type}
        for name, value in (("price", price), ("size", size), ("funds", funds)):
            if value is not None:
                body[name] = _amount(name, value)
        if time_in_force is not None:
            body["timeInForce"] = time_in_force
        if post_only is not None:
            body["postOnly"] = post_only
        raw = await self.request("POST", Market.SPOT, _ORDERS, body=body)
        placed: PlacedOrder = decode_answer(PlacedOrder, raw, _ORDERS)
        if placed.client_oid is None:
            placed = msgspec.structs.replace(placed, client_oid=oid)
        return placed

    async def cancel_spot_order(
        self, symbol: str, *, order_id: str | None = None, client_oid: str | None = None
    ) -> str:
        """Ask KuCoin to cancel an open spot (HF) order.

        ``DELETE /api/v1/hf/orders/{orderId}?symbol=`` or
        ``DELETE /api/v1/hf/orders/client-order/{clientOid}?symbol=``. KuCoin only accepts
        the request: the ``canceled`` push (or an order lookup) confirms it.

        Args:
            symbol: the order's market (KuCoin requires it).
            order_id: KuCoin's order id; or
            client_oid: the client's order id (exactly one of the two).

        Returns:
            The id KuCoin echoes: the order id, or the client's id when cancelled by it.

        Raises:
            ValueError: neither or both ids were given.
            RestError: ``400100`` ``order_not_exist_or_not_allow_to_cancel`` when the
                order is unknown, filled or cancelled already.
        """
        given = _one_id(order_id, client_oid)
        path = _order_path(order_id, client_oid)
        raw = await self.request("DELETE", Market.SPOT, f"{path}?{urlencode({'symbol': symbol})}")
        answer: _Cancelled = decode_answer(_Cancelled, raw, path)
        echoed = answer.order_id if order_id is not None else answer.client_oid
        return echoed if echoed is not None else given
