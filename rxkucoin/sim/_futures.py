"""The engine's futures book: USDT-margined linear contracts, one-way positions.

An order holds ``price * size * multiplier / leverage`` of order margin; a fill moves
margin to the position, realises PnL when it reduces the position and charges the maker
or taker fee. Each change goes out as the ``tradeOrders`` order pushes, the position
pushes, the wallet push and their Pro events. Funding and the per-symbol margin settings
(margin mode, cross leverage) live here too. There is no liquidation engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ._ledger import MS, Q8, Account, Ledger
from ._market import (
    FUTURES_MAKER_FEE,
    FUTURES_TAKER_FEE,
    ZERO,
    FuturesOrder,
    Position,
    dec,
    fmt,
    num,
    position_data,
    pro_position_data,
)
from ._pro_events import pro_execution_data, pro_order_data, pro_order_status

__all__ = ("FuturesBook",)


class FuturesBook(Ledger):
    """Futures orders, fills, positions, funding and margin settings, with their pushes."""

    def _position_push(self, acct: Account, pos: Position, data: dict[str, Any]) -> None:
        topic = f"/contract/position:{pos.symbol}"
        self._classic(acct.name, "futures", topic, "position.change", data)
        # The live exchange tags positionAll pushes with the subscribed topic, not the
        # per-symbol one (PROTOCOL.md §0). A mark-price push names no symbol in the docs;
        # on this topic the simulator adds it, or nothing could say whose mark moved.
        self._classic(
            acct.name,
            "futures",
            "/contract/positionAll",
            "position.change",
            {"symbol": pos.symbol, **data},
        )
        ts = self._now()
        pos.updated_ns = ts
        pro = pro_position_data(pos, self._marks[pos.symbol], ts)
        self._pro(acct.name, "position", "FUTURES", pro, pos.symbol)

    def _futures_event(
        self, order: FuturesOrder, type_: str, status: str, extra: Mapping[str, Any] | None = None
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
            "marginMode": order.margin_mode,
            "tradeType": "trade",
            "size": str(order.size),
            "filledSize": str(order.filled),
            "remainSize": str(order.remain),
            "canceledSize": str(order.canceled),
            "price": fmt(order.price) if order.price is not None else "",
            "orderTime": order.created_ns,  # ns, as captured (the spec's "ms" is wrong)
            "ts": ts,
        }
        if extra:
            data.update(extra)
        self._classic(
            order.account,
            "futures",
            f"/contractMarket/tradeOrders:{order.symbol}",
            "symbolOrderChange",
            data,
        )
        self._classic(
            order.account, "futures", "/contractMarket/tradeOrders", "orderChange", dict(data)
        )
        code, event = pro_order_status(type_, order)
        pro = pro_order_data(
            trade_type="FUTURES",
            order=order,
            status=code,
            event=event,
            ts=ts,
            fee_currency="USDT",
            extra={"l": fmt(order.leverage), "mM": order.margin_mode, "pS": "BOTH"},
        )
        self._pro(order.account, "order", "FUTURES", pro, order.symbol)

    def place_futures_order(
        self,
        account: str,
        symbol: str,
        side: str,
        size: int,
        price: str | Decimal | None = None,
        leverage: int | str | Decimal = 3,
        margin_mode: str = "ISOLATED",
        client_oid: str | None = None,
        *,
        immediate: bool = False,
    ) -> str:
        """Place a futures order (limit with ``price``, market without).

        A limit order holds ``price * size * multiplier / leverage`` of order margin; a
        market order fills at once, as taker, at the mark price. An order that adds to an
        open position uses the position's leverage; cross orders use the symbol's cross
        leverage when one was set. With ``immediate``, a limit order whose price crosses
        the mark price (a buy at or above it, a sell at or below) fills at once too, as
        taker at the mark price, without resting first (REST order entry's rule).

        Args:
            account: the account.
            symbol: e.g. ``XBTUSDTM``.
            side: ``buy`` or ``sell``.
            size: contracts.
            price: the limit price; a market order if omitted.
            leverage: the leverage.
            margin_mode: ``ISOLATED`` or ``CROSS``; switches the symbol's mode when it has
                no position and no open order.
            client_oid: the client's id; generated if omitted.
            immediate: fill a limit order that crosses the mark price at once.

        Returns:
            The order id.

        Raises:
            ValueError: invalid arguments, a margin-mode conflict or insufficient margin.
        """
        acct = self._acct(account)
        mult = self._contract(symbol)
        if side not in ("buy", "sell") or margin_mode not in ("ISOLATED", "CROSS"):
            raise ValueError(f"bad side/margin mode {side!r}/{margin_mode!r}")
        if not isinstance(size, int) or size <= 0:
            raise ValueError("size must be a positive number of contracts")
        current = acct.margin_modes.get(symbol, margin_mode)
        if current != margin_mode and self._symbol_busy(acct, symbol):
            raise ValueError(f"{symbol} is in {current} mode with a position or orders")
        lev = dec(leverage)
        if margin_mode == "CROSS":
            lev = acct.cross_leverage.get(symbol, lev)
        pos = acct.positions.get(symbol)
        if pos is not None and pos.qty:
            lev = pos.leverage
        if lev <= 0:
            raise ValueError("leverage must be positive")
        px = dec(price) if price is not None else self._marks[symbol]
        if px <= 0:
            raise ValueError("price must be positive")
        margin = (px * size * mult / lev).quantize(Q8)
        fee = px * size * mult * FUTURES_TAKER_FEE
        if self._wallet(acct)["available"] < margin + fee:
            raise ValueError("insufficient available margin")
        acct.margin_modes[symbol] = margin_mode
        now = self._now()
        order = FuturesOrder(
            id=self._ids.digits(18),
            account=account,
            symbol=symbol,
            side=side,
            type="limit" if price is not None else "market",
            price=px if price is not None else None,
            size=size,
            leverage=lev,
            margin_mode=margin_mode,
            client_oid=client_oid or self._ids.hex24(),
            created_ns=now,
            updated_ns=now,
        )
        self._futures_orders[order.id] = order
        self._futures_open[order.id] = order
        mark = self._marks[symbol]
        if price is None or (immediate and (px >= mark if side == "buy" else px <= mark)):
            self._futures_fill(order, size, mark, "taker")
            return order.id
        order.margin = margin
        self._futures_event(order, "open", "open")
        self._wallet_push(acct)
        return order.id

    def _symbol_busy(self, acct: Account, symbol: str) -> bool:
        pos = acct.positions.get(symbol)
        if pos is not None and pos.qty:
            return True
        return any(
            o.account == acct.name and o.symbol == symbol for o in self._futures_open.values()
        )

    def _open_futures(self, account: str, order_id: str) -> FuturesOrder:
        order = self._futures_open.get(order_id)
        if order is None or order.account != account:
            raise KeyError(f"no open futures order {order_id!r} for {account!r}")
        return order

    def fill_futures_order(
        self,
        account: str,
        order_id: str,
        size: int | None = None,
        price: str | Decimal | None = None,
        liquidity: str = "maker",
    ) -> str:
        """Fill (part of) an open futures limit order.

        Args:
            account: the account.
            order_id: the open order.
            size: contracts to fill; all remaining if omitted.
            price: the fill price; the limit price if omitted; never worse than the limit.
            liquidity: ``maker`` or ``taker``.

        Returns:
            The trade id.

        Raises:
            KeyError: no such open order.
            ValueError: size or price out of range.
        """
        order = self._open_futures(account, order_id)
        assert order.price is not None
        qty = size if size is not None else order.remain
        px = dec(price) if price is not None else order.price
        if not 0 < qty <= order.remain:
            raise ValueError(f"fill size {qty} outside (0, {order.remain}]")
        if px <= 0 or (order.side == "buy" and px > order.price):
            raise ValueError("fill price worse than the limit")
        if order.side == "sell" and px < order.price:
            raise ValueError("fill price worse than the limit")
        if liquidity not in ("maker", "taker"):
            raise ValueError(f"bad liquidity {liquidity!r}")
        return self._futures_fill(order, qty, px, liquidity)

    def _futures_fill(self, order: FuturesOrder, qty: int, px: Decimal, liquidity: str) -> str:
        acct = self._acct(order.account)
        mult = self._contract(order.symbol)
        release = order.margin
        if qty != order.remain:
            release = (order.margin * qty / order.remain).quantize(Q8)
        order.margin -= release
        value = px * qty * mult
        fee = (value * (FUTURES_MAKER_FEE if liquidity == "maker" else FUTURES_TAKER_FEE)).quantize(
            Q8
        )
        now = self._now()
        pos = acct.positions.get(order.symbol)
        if pos is None:
            pos = Position(
                id=self._ids.digits(17),
                account=acct.name,
                symbol=order.symbol,
                margin_mode=order.margin_mode,
                leverage=order.leverage,
                opened_ns=now,
            )
            acct.positions[order.symbol] = pos
        signed = qty if order.side == "buy" else -qty
        closing = min(qty, abs(pos.qty)) if pos.qty * signed < 0 else 0
        opening = qty - closing
        pnl = ZERO
        if closing:
            sign = 1 if pos.qty > 0 else -1
            pnl = ((px - pos.entry) * closing * mult * sign).quantize(Q8)
            freed = pos.margin
            if closing != abs(pos.qty):
                freed = (pos.margin * closing / abs(pos.qty)).quantize(Q8)
            pos.margin -= freed
            pos.qty -= sign * closing
        if opening:
            if pos.qty == 0:
                pos.entry, pos.leverage, pos.margin_mode = px, order.leverage, order.margin_mode
            else:
                size_now = abs(pos.qty)
                pos.entry = ((pos.entry * size_now + px * opening) / (size_now + opening)).quantize(
                    Q8
                )
            pos.margin += (px * opening * mult / pos.leverage).quantize(Q8)
            pos.qty += opening if signed > 0 else -opening
        pos.realised_gross += pnl
        pos.comm += fee
        pos.fills.append(signed)
        acct.wallet += pnl - fee
        acct.futures_ledger += pnl - fee
        acct.fill_qty[order.symbol] = acct.fill_qty.get(order.symbol, 0) + signed
        trade_id = self._ids.digits(17)
        order.filled += qty
        order.value += px * qty
        order.fee += fee
        order.last_trade_id, order.last_size, order.last_price = trade_id, qty, px
        order.liquidity = liquidity
        match = {
            "liquidity": liquidity,
            "feeType": f"{liquidity}Fee",
            "matchPrice": fmt(px),
            "matchSize": str(qty),
            "tradeId": trade_id,
        }
        self._futures_event(order, "match", "open" if liquidity == "maker" else "match", match)
        execution = pro_execution_data(
            order,
            liquidity=liquidity,
            price=px,
            size=str(qty),
            trade_id=trade_id,
            fee=fee,
            fee_currency="USDT",
            ts=self._now(),
        )
        self._pro(acct.name, "execution", "FUTURES", execution, order.symbol)
        if order.filled == order.size:
            order.done = True
            del self._futures_open[order.id]
            self._futures_event(order, "filled", "done")
        data = position_data(pos, self._marks[pos.symbol], self._now() // MS)
        self._position_push(acct, pos, data)
        if pos.qty == 0:
            acct.closed_realised += pos.realised
            del acct.positions[pos.symbol]
        self._wallet_push(acct)
        return trade_id

    def cancel_futures_order(self, account: str, order_id: str) -> None:
        """Cancel an open futures order and release its order margin.

        Raises:
            KeyError: no such open order.
        """
        order = self._open_futures(account, order_id)
        order.canceled += order.remain
        order.margin = ZERO
        order.done = True
        del self._futures_open[order.id]
        self._futures_event(order, "canceled", "done")
        self._wallet_push(self._acct(account))

    # ------------------------------------------------------------------ funding, settings

    def run_funding(self, symbol: str, rate: str | Decimal) -> None:
        """Settle funding for every open position of ``symbol`` at the mark price.

        Longs pay ``rate * position value`` when the rate is positive, shorts receive it.
        Each position gets a ``position.settlement`` push (``fundingFee`` = the amount
        paid, negative when received), then a wallet push.
        """
        mult = self._contract(symbol)
        fund_rate = dec(rate)
        mark = self._marks[symbol]
        for acct in self._accounts.values():
            pos = acct.positions.get(symbol)
            if pos is None:
                continue
            fee = (mark * pos.qty * mult * fund_rate).quantize(Q8)
            pos.funding += fee
            acct.wallet -= fee
            acct.futures_ledger -= fee
            ts = self._now()
            data = {
                "fundingTime": ts // MS,
                "qty": pos.qty,
                "markPrice": num(mark),
                "fundingRate": num(fund_rate),
                "fundingFee": num(fee),
                "ts": ts,
                "settleCurrency": "USDT",
            }
            topic = f"/contract/position:{symbol}"
            self._classic(acct.name, "futures", topic, "position.settlement", data)
            self._classic(
                acct.name,
                "futures",
                "/contract/positionAll",
                "position.settlement",
                {"symbol": symbol, **data},
            )
            self._wallet_push(acct)

    def set_margin_mode(self, account: str, symbol: str, mode: str) -> None:
        """Set a symbol's margin mode (``/contract/marginMode`` ``user.config``).

        Raises:
            ValueError: bad mode, or a position or open order exists in the other mode.
        """
        acct = self._acct(account)
        self._contract(symbol)
        if mode not in ("ISOLATED", "CROSS"):
            raise ValueError(f"bad margin mode {mode!r}")
        if acct.margin_modes.get(symbol, mode) != mode and self._symbol_busy(acct, symbol):
            raise ValueError(f"{symbol} has a position or open orders")
        acct.margin_modes[symbol] = mode
        self._classic(account, "futures", "/contract/marginMode", "user.config", {symbol: mode})

    def set_cross_leverage(self, account: str, symbol: str, leverage: int | str | Decimal) -> None:
        """Set a symbol's cross leverage (``/contract/crossLeverage`` and Pro ``leverage``)."""
        acct = self._acct(account)
        self._contract(symbol)
        lev = dec(leverage)
        if lev <= 0:
            raise ValueError("leverage must be positive")
        acct.cross_leverage[symbol] = lev
        data = {symbol: {"leverage": fmt(lev)}}
        self._classic(account, "futures", "/contract/crossLeverage", "user.config", data)
        trade_type = "UNIFIED" if acct.unified else "FUTURES"
        self._pro(account, "leverage", trade_type, {"s": symbol, "l": fmt(lev)}, symbol)
