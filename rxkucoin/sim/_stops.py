"""The engine's stop orders, spot and futures, and the price moves that trigger them.

A stop order holds nothing while it waits. Spot stops watch the symbol's last price
(`StopBook.set_spot_price`), futures stops the mark price (`StopBook.set_mark_price`);
when one triggers it places its order through the spot or futures book, or reports
``triggerSuccess: false`` when that order could not be placed.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ._futures import FuturesBook
from ._ledger import MS, Q8
from ._market import (
    FUTURES_TAKER_FEE,
    SPOT_FEE,
    SpotBalance,
    StopOrder,
    dec,
    fmt,
    position_mark_data,
    split_symbol,
)
from ._pro_events import pro_stop_data
from ._pushes import Host
from ._spot import SpotBook

__all__ = ("StopBook",)


class StopBook(SpotBook, FuturesBook):
    """Spot and futures stop orders: place, cancel, trigger on price moves."""

    def _stop_event(
        self,
        stop: StopOrder,
        type_: str,
        extra: Mapping[str, Any] | None,
        pro_type: str | None = None,
    ) -> None:
        ts = self._now()
        data: dict[str, Any] = {
            "orderId": stop.id,
            "symbol": stop.symbol,
            "type": type_,
            "orderType": "stop",
            "side": stop.side,
            "size": int(stop.size) if stop.futures else fmt(stop.size),
            "orderPrice": fmt(stop.price) if stop.price is not None else "",
            "stop": stop.stop,
            "stopPrice": fmt(stop.stop_price),
            "createdAt": stop.created_ns // MS,
            "ts": ts,
        }
        if stop.futures:
            data["stopPriceType"] = stop.price_type
            data["marginMode"] = stop.margin_mode
        else:
            data["tradeType"] = "TRADE"
        if extra:
            data.update(extra)
        host: Host = "futures" if stop.futures else "spot"
        topic = "/contractMarket/advancedOrders" if stop.futures else "/spotMarket/advancedOrders"
        self._classic(stop.account, host, topic, "stopOrder", data, envelope_id=self._ids.hex24())
        pro = pro_stop_data(stop, pro_type or type_, ts)
        self._pro(stop.account, "order", pro["tT"], pro, stop.symbol)

    def cancel_stop_order(self, account: str, order_id: str) -> None:
        """Cancel a waiting spot or futures stop order.

        Raises:
            KeyError: no such stop order.
        """
        stop = self._stops.get(order_id)
        if stop is None or stop.account != account:
            raise KeyError(f"no stop order {order_id!r} for {account!r}")
        del self._stops[order_id]
        self._stop_event(stop, "cancel", None)

    # ------------------------------------------------------------------ spot

    def place_spot_stop_order(
        self,
        account: str,
        symbol: str,
        side: str,
        size: str | Decimal,
        stop_price: str | Decimal,
        *,
        stop: str = "loss",
        price: str | Decimal | None = None,
        client_oid: str | None = None,
    ) -> str:
        """Place a spot stop order; nothing is held until it triggers.

        Args:
            account: the account.
            symbol: e.g. ``BTC-USDT``.
            side: ``buy`` or ``sell``.
            size: the size of the order placed on trigger.
            stop_price: the trigger price.
            stop: ``loss`` (triggers when the last price falls to ``stop_price`` or
                below) or ``entry`` (rises to it or above).
            price: the limit price of the order placed on trigger; market if omitted.
            client_oid: the client's id; generated if omitted.

        Returns:
            The stop order's id.
        """
        self._acct(account)
        split_symbol(symbol)
        if stop not in ("loss", "entry") or side not in ("buy", "sell"):
            raise ValueError(f"bad stop/side {stop!r}/{side!r}")
        order = StopOrder(
            id=self._ids.stop_id(),
            account=account,
            symbol=symbol,
            side=side,
            size=dec(size),
            stop_price=dec(stop_price),
            stop=stop,
            price=dec(price) if price is not None else None,
            created_ns=self._now(),
            futures=False,
            client_oid=client_oid or self._ids.hex24(),
        )
        if order.size <= 0 or order.stop_price <= 0:
            raise ValueError("size and stop price must be positive")
        self._stops[order.id] = order
        self._stop_event(order, "open", None)
        return order.id

    def set_spot_price(self, symbol: str, price: str | Decimal) -> None:
        """Move a spot symbol's last price; triggers the stop orders it crosses."""
        px = dec(price)
        if px <= 0:
            raise ValueError("price must be positive")
        split_symbol(symbol)
        self._spot_prices[symbol] = px
        for stop in list(self._stops.values()):
            if stop.futures or stop.symbol != symbol:
                continue
            if (stop.stop == "loss" and px <= stop.stop_price) or (
                stop.stop == "entry" and px >= stop.stop_price
            ):
                self._trigger_spot(stop, px)

    def _trigger_spot(self, stop: StopOrder, px: Decimal) -> None:
        del self._stops[stop.id]
        order_type = "limit" if stop.price is not None else "market"
        base, quote = split_symbol(stop.symbol)
        use = stop.price if stop.price is not None else px
        need_currency, need = (
            (quote, use * stop.size * (1 + SPOT_FEE)) if stop.side == "buy" else (base, stop.size)
        )
        balance = self._acct(stop.account).spot.get(need_currency, SpotBalance())
        ok = balance.available >= need
        # KuCoin's current spot enum has no "triggered" (PROTOCOL.md §4.3, docs/simulator.md):
        # the triggered order enters the engine ("received"); a trigger that could not
        # place it comes as "open" with triggerSuccess false, as a 2023 capture shows.
        extra: dict[str, Any] = {"triggerSuccess": ok}
        if not ok:
            extra["error"] = "Balance insufficient!"
        self._stop_event(stop, "received" if ok else "open", extra, pro_type="triggered")
        if ok:
            self.place_spot_order(
                stop.account, stop.symbol, stop.side, order_type, stop.size, use, stop.client_oid
            )

    # ------------------------------------------------------------------ futures

    def place_futures_stop_order(
        self,
        account: str,
        symbol: str,
        side: str,
        size: int,
        stop_price: str | Decimal,
        *,
        stop: str = "down",
        price: str | Decimal | None = None,
        leverage: int | str | Decimal = 3,
        margin_mode: str = "ISOLATED",
        client_oid: str | None = None,
        stop_price_type: str = "MP",
    ) -> str:
        """Place a futures stop order watching the mark price; nothing is held.

        Args:
            account: the account.
            symbol: e.g. ``XBTUSDTM``.
            side: ``buy`` or ``sell``.
            size: contracts of the order placed on trigger.
            stop_price: the trigger price.
            stop: ``down`` (mark falls to ``stop_price`` or below) or ``up`` (rises).
            price: the limit price of the order placed on trigger; market if omitted.
            leverage: the leverage of that order.
            margin_mode: its margin mode.
            client_oid: the client's id; generated if omitted.
            stop_price_type: the trigger price type it reports: ``TP``, ``MP`` or ``IP``;
                the simulator has one price per contract, so all three watch the mark.

        Returns:
            The stop order's id.
        """
        self._acct(account)
        self._contract(symbol)
        if stop_price_type not in ("TP", "MP", "IP"):
            raise ValueError(f"bad stop price type {stop_price_type!r}")
        if stop not in ("up", "down") or side not in ("buy", "sell"):
            raise ValueError(f"bad stop/side {stop!r}/{side!r}")
        if not isinstance(size, int) or size <= 0:
            raise ValueError("size must be a positive number of contracts")
        order = StopOrder(
            id=self._ids.digits(18),
            account=account,
            symbol=symbol,
            side=side,
            size=Decimal(size),
            stop_price=dec(stop_price),
            stop=stop,
            price=dec(price) if price is not None else None,
            created_ns=self._now(),
            futures=True,
            leverage=dec(leverage),
            margin_mode=margin_mode,
            client_oid=client_oid or self._ids.hex24(),
            price_type=stop_price_type,
        )
        self._stops[order.id] = order
        self._stop_event(order, "open", None)
        return order.id

    def set_mark_price(self, symbol: str, price: str | Decimal) -> None:
        """Move a contract's mark price.

        Emits the reduced ``markPriceChange`` position push (and a Pro position event) for
        every open position of the symbol, then triggers the stop orders it crosses.
        """
        self._contract(symbol)
        px = dec(price)
        if px <= 0:
            raise ValueError("price must be positive")
        self._marks[symbol] = px
        for acct in self._accounts.values():
            pos = acct.positions.get(symbol)
            if pos is not None:
                self._position_push(acct, pos, position_mark_data(pos, px, self._now() // MS))
        for stop in list(self._stops.values()):
            if not stop.futures or stop.symbol != symbol:
                continue
            if (stop.stop == "up" and px >= stop.stop_price) or (
                stop.stop == "down" and px <= stop.stop_price
            ):
                self._trigger_futures(stop)

    def _trigger_futures(self, stop: StopOrder) -> None:
        del self._stops[stop.id]
        try:
            self._check_futures_margin(stop)
        except ValueError as exc:
            self._stop_event(stop, "triggered", {"triggerSuccess": False, "error": str(exc)})
            return
        self._stop_event(stop, "triggered", {"triggerSuccess": True})
        self.place_futures_order(
            stop.account,
            stop.symbol,
            stop.side,
            int(stop.size),
            stop.price,
            stop.leverage,
            stop.margin_mode,
            stop.client_oid,
        )

    def _check_futures_margin(self, stop: StopOrder) -> None:
        acct = self._acct(stop.account)
        if acct.margin_modes.get(stop.symbol, stop.margin_mode) != stop.margin_mode and (
            self._symbol_busy(acct, stop.symbol)
        ):
            raise ValueError("margin mode conflict")
        pos = acct.positions.get(stop.symbol)
        lev = pos.leverage if pos is not None and pos.qty else stop.leverage
        if stop.margin_mode == "CROSS" and not (pos is not None and pos.qty):
            lev = acct.cross_leverage.get(stop.symbol, lev)
        px = stop.price if stop.price is not None else self._marks[stop.symbol]
        value = px * stop.size * self._contract(stop.symbol)
        margin = (value / lev).quantize(Q8)  # as place_futures_order computes it
        if self._wallet(acct)["available"] < margin + value * FUTURES_TAKER_FEE:
            raise ValueError("insufficient available margin")
