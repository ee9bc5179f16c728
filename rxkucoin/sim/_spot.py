"""The engine's spot book: spot orders, their holds and their fills.

A limit buy holds ``price * size * (1 + fee rate)`` of the quote currency, a limit sell
``size`` of the base currency; fees are charged in the quote currency. Each change goes
out as the ``tradeOrdersV2``/``tradeOrders`` order pushes, the Pro ``order`` (and
``execution``) events and the balance pushes of the currencies it moves.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final

from ._ledger import MS, Ledger
from ._market import SPOT_FEE, ZERO, SpotBalance, SpotFill, SpotOrder, dec, fmt, split_symbol
from ._pro_events import pro_execution_data, pro_order_data, pro_order_status

__all__ = ("InsufficientBalance", "SpotBook")

_SPOT_V2: Final = "/spotMarket/tradeOrdersV2"
_SPOT_V1: Final = "/spotMarket/tradeOrders"


class InsufficientBalance(ValueError):
    """The available balance does not cover the order (KuCoin's ``200004``)."""


class SpotBook(Ledger):
    """Spot orders: place, fill, cancel and amend, with their holds, fees and pushes."""

    def _spot_event(
        self, order: SpotOrder, type_: str, status: str, extra: Mapping[str, Any] | None = None
    ) -> None:
        ts = self._now()
        order.updated_ns = ts
        data: dict[str, Any] = {
            "symbol": order.symbol,
            "orderType": order.type,
            "side": order.side,
            "orderId": order.id,
            "clientOid": order.client_oid,
            "type": type_,
            "status": status,
            "orderTime": order.created_ns // MS,
            "ts": ts,
            "price": fmt(order.price) if order.price is not None else "",
            "size": fmt(order.size),
            "originSize": fmt(order.origin_size),
            "filledSize": fmt(order.filled),
            "remainSize": fmt(order.remain),
            "canceledSize": fmt(order.canceled),
        }
        if extra:
            data.update(extra)
        self._classic(order.account, "spot", _SPOT_V2, "orderChange", data)
        if type_ == "received":
            return
        self._classic(order.account, "spot", _SPOT_V1, "orderChange", dict(data))
        code, event = pro_order_status(type_, order)
        pro = pro_order_data(
            trade_type="SPOT",
            order=order,
            status=code,
            event=event,
            ts=ts,
            fee_currency=split_symbol(order.symbol)[1],
        )
        self._pro(order.account, "order", "SPOT", pro, order.symbol)

    def place_spot_order(
        self,
        account: str,
        symbol: str,
        side: str,
        order_type: str,
        size: str | Decimal,
        price: str | Decimal | None = None,
        client_oid: str | None = None,
        *,
        immediate: bool = False,
        time_in_force: str = "GTC",
        post_only: bool = False,
    ) -> str:
        """Place a spot order.

        A limit order holds funds and rests on the book until filled, amended or canceled.
        A market order fills at once, as taker, at ``price`` if given, else at the
        symbol's last price. With ``immediate`` (REST order entry's rule), a limit order
        whose price crosses the symbol's last price (a buy at or above it, a sell at or
        below) fills at once too, as taker at the last price, without resting: ``received``
        then ``match`` and ``filled``. An ``IOC`` or ``FOK`` limit order that does not
        fill at once, and a post-only order that would, is canceled at once instead
        (``received`` then ``canceled``).

        Args:
            account: the account.
            symbol: e.g. ``BTC-USDT``.
            side: ``buy`` or ``sell``.
            order_type: ``limit`` or ``market``.
            size: the size in the base currency.
            price: the limit price (limit orders), or the fill price (market orders).
            client_oid: the client's id; generated if omitted.
            immediate: fill a limit order crossing the last price at once.
            time_in_force: ``GTC``, ``IOC`` or ``FOK`` (limit orders).
            post_only: refuse to take liquidity (limit orders; ignored with IOC/FOK).

        Returns:
            The order id.

        Raises:
            InsufficientBalance: the available balance does not cover the order.
            ValueError: invalid arguments.
        """
        acct = self._acct(account)
        base, quote = split_symbol(symbol)
        if side not in ("buy", "sell") or order_type not in ("limit", "market"):
            raise ValueError(f"bad side/type {side!r}/{order_type!r}")
        if time_in_force not in ("GTC", "IOC", "FOK"):
            raise ValueError(f"bad time in force {time_in_force!r}")
        qty = dec(size)
        if qty <= 0:
            raise ValueError("size must be positive")
        px = dec(price) if price is not None else None
        if order_type == "market":
            px = px if px is not None else self._spot_prices.get(symbol)
            if px is None:
                raise ValueError(f"no price known for {symbol}")
        if px is None or px <= 0:
            raise ValueError("a positive price is required")
        need_currency, need = (quote, px * qty * (1 + SPOT_FEE)) if side == "buy" else (base, qty)
        if acct.spot.get(need_currency, SpotBalance()).available < need:
            raise InsufficientBalance(f"insufficient {need_currency} balance")
        now = self._now()
        order = SpotOrder(
            id=self._ids.hex24(),
            account=account,
            symbol=symbol,
            side=side,
            type=order_type,
            price=px if order_type == "limit" else None,
            size=qty,
            origin_size=qty,
            client_oid=client_oid or self._ids.hex24(),
            created_ns=now,
            updated_ns=now,
            time_in_force=time_in_force if order_type == "limit" else "GTC",
            post_only=post_only and order_type == "limit" and time_in_force == "GTC",
        )
        self._spot_orders[order.id] = order
        self._spot_open[order.id] = order
        self._spot_event(order, "received", "new")
        if order_type == "market":
            self._spot_fill(order, qty, px, "taker")
            return order.id
        last = self._spot_prices.get(symbol)
        crosses = immediate and last is not None and (px >= last if side == "buy" else px <= last)
        if crosses and not order.post_only:
            assert last is not None
            self._spot_fill(order, qty, last, "taker")
            return order.id
        if crosses or time_in_force != "GTC":
            order.canceled = qty
            order.done = True
            del self._spot_open[order.id]
            self._spot_event(order, "canceled", "done")
            return order.id
        order.hold = need
        self._spot_event(order, "open", "open")
        self._spot_balance(
            acct, need_currency, -need, need, "trade.hold", {"symbol": symbol, "orderId": order.id}
        )
        return order.id

    def _open_spot(self, account: str, order_id: str) -> SpotOrder:
        order = self._spot_open.get(order_id)
        if order is None or order.account != account:
            raise KeyError(f"no open spot order {order_id!r} for {account!r}")
        return order

    def fill_spot_order(
        self,
        account: str,
        order_id: str,
        size: str | Decimal | None = None,
        price: str | Decimal | None = None,
        liquidity: str = "maker",
    ) -> str:
        """Fill (part of) an open spot limit order.

        Args:
            account: the account.
            order_id: the open order.
            size: the fill size; the whole remaining size if omitted.
            price: the fill price; the limit price if omitted. It may only be better
                than the limit (lower for buys, higher for sells).
            liquidity: ``maker`` or ``taker``.

        Returns:
            The trade id.

        Raises:
            KeyError: no such open order.
            ValueError: size or price out of range.
        """
        order = self._open_spot(account, order_id)
        assert order.price is not None
        qty = dec(size) if size is not None else order.remain
        px = dec(price) if price is not None else order.price
        if not 0 < qty <= order.remain:
            raise ValueError(f"fill size {qty} outside (0, {order.remain}]")
        if px <= 0 or (order.side == "buy" and px > order.price):
            raise ValueError("fill price worse than the limit")
        if order.side == "sell" and px < order.price:
            raise ValueError("fill price worse than the limit")
        if liquidity not in ("maker", "taker"):
            raise ValueError(f"bad liquidity {liquidity!r}")
        return self._spot_fill(order, qty, px, liquidity)

    def _spot_l3_match(
        self, order: SpotOrder, trade_id: str, px: Decimal, qty: Decimal, liquidity: str
    ) -> None:
        """The account's own fill on ``/market/match:SYMBOL`` (all strings, time in ns)."""
        counterparty = self._ids.hex24()
        maker, taker = (
            (order.id, counterparty) if liquidity == "maker" else (counterparty, order.id)
        )
        taker_side = (
            order.side if liquidity == "taker" else ("sell" if order.side == "buy" else "buy")
        )
        self._match_sequence += 1
        data = {
            "makerOrderId": maker,
            "takerOrderId": taker,
            "price": fmt(px),
            "size": fmt(qty),
            "side": taker_side,
            "symbol": order.symbol,
            "sequence": str(self._match_sequence),
            "tradeId": trade_id,
            "time": str(self._now()),
            "type": "match",
        }
        self._classic(order.account, "spot", f"/market/match:{order.symbol}", "trade.l3match", data)

    def _spot_fill(self, order: SpotOrder, qty: Decimal, px: Decimal, liquidity: str) -> str:
        acct = self._acct(order.account)
        base, quote = split_symbol(order.symbol)
        cost = px * qty
        fee = cost * SPOT_FEE
        trade_id = self._ids.digits(17)
        release = ZERO
        if order.type == "limit":
            assert order.price is not None
            last = qty == order.remain
            unit = order.price * (1 + SPOT_FEE) if order.side == "buy" else Decimal(1)
            release = order.hold if last else unit * qty
            order.hold -= release
        order.filled += qty
        order.funds += cost
        order.fee += fee
        order.last_trade_id, order.last_size, order.last_price = trade_id, qty, px
        order.liquidity = liquidity
        self._spot_prices[order.symbol] = px
        self._spot_fills.append(
            SpotFill(
                order.account,
                order.id,
                trade_id,
                order.symbol,
                order.side,
                px,
                qty,
                fee,
                liquidity,
                order.type,
                self._now() // MS,
            )
        )
        match = {
            "liquidity": liquidity,
            "feeType": f"{liquidity}Fee",
            "matchPrice": fmt(px),
            "matchSize": fmt(qty),
            "tradeId": trade_id,
        }
        self._spot_event(order, "match", "open" if liquidity == "maker" else "match", match)
        self._spot_l3_match(order, trade_id, px, qty, liquidity)
        execution = pro_execution_data(
            order,
            liquidity=liquidity,
            price=px,
            size=fmt(qty),
            trade_id=trade_id,
            fee=fee,
            fee_currency=quote,
            ts=self._now(),
        )
        self._pro(order.account, "execution", "SPOT", execution, order.symbol)
        if order.filled == order.size:
            order.done = True
            del self._spot_open[order.id]
            self._spot_event(order, "filled", "done")
        context = {"symbol": order.symbol, "orderId": order.id, "tradeId": trade_id}
        if order.side == "buy":
            self._spot_balance(acct, base, qty, ZERO, "trade.setted", context)
            self._spot_balance(acct, quote, release - cost - fee, -release, "trade.setted", context)
        else:
            self._spot_balance(acct, base, release - qty, -release, "trade.setted", context)
            self._spot_balance(acct, quote, cost - fee, ZERO, "trade.setted", context)
        return trade_id

    def cancel_spot_order(self, account: str, order_id: str) -> None:
        """Cancel an open spot order and release its hold.

        Raises:
            KeyError: no such open order.
        """
        order = self._open_spot(account, order_id)
        acct = self._acct(account)
        base, quote = split_symbol(order.symbol)
        release = order.hold
        order.canceled += order.remain
        order.hold = ZERO
        order.done = True
        del self._spot_open[order.id]
        self._spot_event(order, "canceled", "done")
        currency = quote if order.side == "buy" else base
        context = {"symbol": order.symbol, "orderId": order.id}
        self._spot_balance(acct, currency, release, -release, "trade.hold", context)

    def amend_spot_order(self, account: str, order_id: str, new_size: str | Decimal) -> None:
        """Reduce an open spot order's size (a partial cancel: ``update`` with ``oldSize``).

        Raises:
            KeyError: no such open order.
            ValueError: ``new_size`` not between the filled size and the current size.
        """
        order = self._open_spot(account, order_id)
        assert order.price is not None
        size = dec(new_size)
        if not order.filled < size < order.size:
            raise ValueError(f"new size must be in ({order.filled}, {order.size})")
        acct = self._acct(account)
        base, quote = split_symbol(order.symbol)
        old = order.size
        cut = old - size
        unit = order.price * (1 + SPOT_FEE) if order.side == "buy" else Decimal(1)
        release = unit * cut
        order.size = size
        order.canceled += cut
        order.hold -= release
        status = "open"
        self._spot_event(order, "update", status, {"oldSize": fmt(old)})
        currency = quote if order.side == "buy" else base
        context = {"symbol": order.symbol, "orderId": order.id}
        self._spot_balance(acct, currency, release, -release, "trade.hold", context)
