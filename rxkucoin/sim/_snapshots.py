"""The engine's REST snapshots: account state in the shapes KuCoin's REST API returns.

The server answers the private REST endpoints with these (``GET /api/v1/accounts``,
``/api/v1/hf/orders/active``, ``/api/v1/positions``...); the UTA (Pro) snapshots answer
``/api/ua/v1/...`` in KuCoin's UTA REST shapes (long names, ns times), not in the Pro
push ``d`` forms. Reading a snapshot changes nothing.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ._ledger import MS, Ledger
from ._market import (
    MMR,
    SPOT_FEE,
    ZERO,
    FuturesOrder,
    SpotOrder,
    StopOrder,
    figures,
    fmt,
    num,
    position_data,
    split_symbol,
)
from ._uta_shapes import NO_TRIGGERS

__all__ = ("Snapshots",)


class Snapshots(Ledger):
    """REST and Pro snapshots of an account's balances, orders and positions."""

    def spot_accounts(self, account: str) -> list[dict[str, Any]]:
        """``GET /api/v1/accounts?type=trade`` data: one entry per currency."""
        acct = self._acct(account)
        return [
            {
                "id": acct.spot_account_id(currency),
                "currency": currency,
                "type": "trade",
                "balance": fmt(bal.total),
                "available": fmt(bal.available),
                "holds": fmt(bal.hold),
            }
            for currency, bal in sorted(acct.spot.items())
        ]

    def _spot_order_rest(self, order: SpotOrder) -> dict[str, Any]:
        quote = split_symbol(order.symbol)[1]
        # As in KuCoin's examples, a limit order's funds are price * size; an open order's
        # remaining funds are those of its remaining size, a done order's what its fills
        # left over of the funds of its filled size (fills better than the limit).
        px = order.price if order.price is not None else ZERO
        funds = px * order.size
        remain_funds = px * order.remain if not order.done else px * order.filled - order.funds
        return {
            "id": order.id,
            "clientOid": order.client_oid,
            "symbol": order.symbol,
            "opType": "DEAL",
            "type": order.type,
            "side": order.side,
            "price": fmt(order.price) if order.price is not None else "0",
            "size": fmt(order.size),
            "funds": fmt(funds),
            "dealSize": fmt(order.filled),
            "dealFunds": fmt(order.funds),
            "remainSize": fmt(order.remain),
            "remainFunds": fmt(max(ZERO, remain_funds)),
            "cancelledSize": fmt(order.canceled),
            "cancelledFunds": fmt(px * order.canceled),
            "fee": fmt(order.fee),
            "feeCurrency": quote,
            # HF order answers give no STP as null (docs example, official SDK spec, whose
            # enum rejects ""); the old /api/v1/orders answers give it as "".
            "stp": None,
            "timeInForce": order.time_in_force,
            "postOnly": order.post_only,
            "hidden": False,
            "iceberg": False,
            "visibleSize": "0",
            "cancelAfter": 0,
            "channel": "API",
            "remark": "",
            "tags": "",
            "cancelExist": order.canceled > 0,
            "tradeType": "TRADE",
            "inOrderBook": not order.done,
            "active": not order.done,
            "createdAt": order.created_ns // MS,
            "lastUpdatedAt": order.updated_ns // MS,
        }

    def spot_open_orders(self, account: str, symbol: str | None = None) -> list[dict[str, Any]]:
        """``GET /api/v1/hf/orders/active?symbol=`` data: the open orders, oldest first."""
        return [
            self._spot_order_rest(o)
            for o in self._spot_open.values()
            if o.account == account and (symbol is None or o.symbol == symbol)
        ]

    def spot_fills(self, account: str, symbol: str | None = None) -> dict[str, Any]:
        """``GET /api/v1/hf/fills?symbol=`` data: ``{"items", "lastId"}``, newest first."""
        items = []
        for n, fill in enumerate(self._spot_fills):
            if fill.account != account or (symbol is not None and fill.symbol != symbol):
                continue
            items.append(
                {
                    "id": n + 1,
                    "orderId": fill.order_id,
                    "counterOrderId": "",
                    "tradeId": int(fill.trade_id),
                    "symbol": fill.symbol,
                    "side": fill.side,
                    "liquidity": fill.liquidity,
                    "type": fill.order_type,
                    "forceTaker": False,
                    "price": fmt(fill.price),
                    "size": fmt(fill.size),
                    "funds": fmt(fill.price * fill.size),
                    "fee": fmt(fill.fee),
                    "feeRate": fmt(SPOT_FEE),
                    "feeCurrency": split_symbol(fill.symbol)[1],
                    "stop": "",
                    "tradeType": "TRADE",
                    "taxRate": "0",
                    "tax": "0",
                    "createdAt": fill.time_ms,
                }
            )
        items.reverse()
        return {"items": items, "lastId": items[-1]["id"] if items else 0}

    def spot_stop_orders(self, account: str) -> dict[str, Any]:
        """``GET /api/v1/stop-order`` data: a page of the waiting spot stop orders."""
        acct = self._acct(account)
        items = [
            {
                "id": s.id,
                "symbol": s.symbol,
                "userId": acct.user_id,
                "status": "NEW",
                "type": "limit" if s.price is not None else "market",
                "side": s.side,
                "price": fmt(s.price) if s.price is not None else "0",
                "size": fmt(s.size),
                "funds": None,
                "stp": "",
                "timeInForce": "GTC",
                "cancelAfter": -1,
                "postOnly": False,
                "hidden": False,
                "iceberg": False,
                "visibleSize": None,
                "channel": "API",
                "clientOid": s.client_oid,
                "remark": None,
                "tags": None,
                "orderTime": s.created_ns,
                "domainId": "kucoin",
                "tradeSource": "USER",
                "tradeType": "TRADE",
                "feeCurrency": split_symbol(s.symbol)[1],
                "takerFeeRate": fmt(SPOT_FEE),
                "makerFeeRate": fmt(SPOT_FEE),
                "createdAt": s.created_ns // MS,
                "stop": s.stop,
                "stopTriggerTime": None,
                "stopPrice": fmt(s.stop_price),
            }
            for s in self._stops.values()
            if s.account == account and not s.futures
        ]
        return _page(items)

    def futures_account_overview(self, account: str, currency: str = "USDT") -> dict[str, Any]:
        """``GET /api/v1/account-overview?currency=`` data (JSON numbers, as KuCoin sends)."""
        acct = self._acct(account)
        if currency != "USDT":
            zero: dict[str, Any] = dict.fromkeys(
                (
                    "accountEquity",
                    "unrealisedPNL",
                    "marginBalance",
                    "positionMargin",
                    "orderMargin",
                    "frozenFunds",
                    "availableBalance",
                    "riskRatio",
                    "maxWithdrawAmount",
                ),
                0,
            )
            return {**zero, "currency": currency}
        n = self._wallet(acct)
        upnl = n["iUP"] + n["cUP"]
        maint = sum(
            (figures(p, self._marks[p.symbol]).maint for p in acct.positions.values()), ZERO
        )
        equity = n["equity"]
        return {
            "accountEquity": num(equity),
            "unrealisedPNL": num(upnl),
            "marginBalance": num(acct.wallet + n["cUP"]),
            "positionMargin": num(n["iPM"] + n["cPM"]),
            "orderMargin": num(n["iOM"] + n["cOM"]),
            "frozenFunds": 0,
            "availableBalance": num(n["available"]),
            "currency": "USDT",
            "riskRatio": num((maint / equity).quantize(Decimal("0.0001")) if equity > 0 else ZERO),
            "maxWithdrawAmount": num(max(ZERO, n["available"])),
        }

    def _futures_order_rest(self, order: FuturesOrder) -> dict[str, Any]:
        mult = self._contract(order.symbol)
        price = order.price if order.price is not None else ZERO
        return {
            "id": order.id,
            "symbol": order.symbol,
            "type": order.type,
            "side": order.side,
            "price": fmt(price),
            "size": order.size,
            "value": fmt(price * order.size * mult),
            "dealValue": fmt(order.value * mult),
            "dealSize": order.filled,
            "stp": "",
            "stop": "",
            "stopPriceType": "",
            "stopTriggered": False,
            "stopPrice": None,
            "timeInForce": order.time_in_force,
            "postOnly": order.post_only,
            "hidden": False,
            "iceberg": False,
            "leverage": fmt(order.leverage),
            "forceHold": False,
            "closeOrder": False,
            "visibleSize": 0,
            "clientOid": order.client_oid,
            "remark": None,
            "tags": "",
            "isActive": not order.done,
            "cancelExist": order.canceled > 0,
            "createdAt": order.created_ns // MS,
            "updatedAt": order.updated_ns // MS,
            "endAt": order.updated_ns // MS if order.done else None,
            "orderTime": order.created_ns,
            "settleCurrency": "USDT",
            "marginMode": order.margin_mode,
            "avgDealPrice": fmt(order.value / order.filled if order.filled else ZERO),
            "filledSize": order.filled,
            "filledValue": fmt(order.value * mult),
            "status": "done" if order.done else "open",
            "reduceOnly": order.reduce_only,
        }

    def futures_open_orders(self, account: str, symbol: str | None = None) -> dict[str, Any]:
        """``GET /api/v1/orders?status=active&symbol=`` data: a page of open orders."""
        items = [
            self._futures_order_rest(o)
            for o in self._futures_open.values()
            if o.account == account and (symbol is None or o.symbol == symbol)
        ]
        return _page(items)

    def futures_stop_orders(self, account: str, symbol: str | None = None) -> dict[str, Any]:
        """``GET /api/v1/stopOrders`` data: a page of the waiting futures stop orders."""
        items = [
            self.futures_stop_rest(s)
            for s in self._stops.values()
            if s.account == account and s.futures and (symbol is None or s.symbol == symbol)
        ]
        return _page(items)

    def futures_stop_rest(self, s: StopOrder) -> dict[str, Any]:
        """A waiting futures stop order in KuCoin's REST order shape (every order field)."""
        price = s.price if s.price is not None else ZERO
        return {
            "id": s.id,
            "symbol": s.symbol,
            "type": "limit" if s.price is not None else "market",
            "side": s.side,
            "price": fmt(price),
            "size": int(s.size),
            "value": fmt(price * s.size * self._contract(s.symbol)),
            "dealValue": "0",
            "dealSize": 0,
            "stp": "",
            "stop": s.stop,
            "stopPriceType": s.price_type,
            "stopTriggered": False,
            "stopPrice": fmt(s.stop_price),
            "timeInForce": "GTC",
            "postOnly": False,
            "hidden": False,
            "iceberg": False,
            "leverage": fmt(s.leverage),
            "forceHold": False,
            "closeOrder": False,
            "visibleSize": 0,
            "clientOid": s.client_oid,
            "remark": None,
            "tags": "",
            "isActive": True,
            "cancelExist": False,
            "createdAt": s.created_ns // MS,
            "updatedAt": s.created_ns // MS,
            "endAt": None,
            "orderTime": s.created_ns,
            "settleCurrency": "USDT",
            "marginMode": s.margin_mode,
            "avgDealPrice": "0",
            "filledSize": 0,
            "filledValue": "0",
            "status": "open",
            "reduceOnly": False,
        }

    def futures_positions(self, account: str) -> list[dict[str, Any]]:
        """``GET /api/v1/positions`` data: the open positions (JSON numbers, as KuCoin sends)."""
        acct = self._acct(account)
        now_ms = self._now() // MS
        out = []
        for pos in acct.positions.values():
            data = position_data(pos, self._marks[pos.symbol], now_ms)
            data.pop("changeReason", None)
            out.append({"id": pos.id, **data, "isInverse": False})
        return out

    def futures_position(self, account: str, symbol: str) -> dict[str, Any]:
        """``GET /api/v1/position?symbol=`` data: one symbol's position.

        Without an open position the answer is a closed, empty position of the symbol in
        its current margin mode, as KuCoin answers (a 2023 answer quoted in ccxt's
        ``fetch_position``): ``currentQty`` 0, ``isOpen`` false, the mark price, the
        answer's time and zero figures, no ``openingTimestamp``. KuCoin gives such a
        record a position id; the simulator, which forgets closed positions, gives ``""``.

        Raises:
            ValueError: an unknown contract.
        """
        acct = self._acct(account)
        self._contract(symbol)
        pos = acct.positions.get(symbol)
        if pos is not None:
            data = position_data(pos, self._marks[symbol], self._now() // MS)
            data.pop("changeReason", None)
            return {"id": pos.id, **data}
        mode = acct.margin_modes.get(symbol, "ISOLATED")
        zeros = [
            "maintMarginReq",
            "realLeverage",
            "delevPercentage",
            "currentCost",
            "currentComm",
            "unrealisedCost",
            "realisedGrossCost",
            "realisedCost",
            "markValue",
            "posCost",
            "posCross",
            "posInit",
            "posComm",
            "posLoss",
            "posMargin",
            "posMaint",
            "maintMargin",
            "realisedGrossPnl",
            "realisedPnl",
            "unrealisedPnl",
            "unrealisedPnlPcnt",
            "unrealisedRoePcnt",
            "avgEntryPrice",
            "liquidationPrice",
            "bankruptPrice",
            "maintainMargin",
        ]
        return {
            "id": "",
            "symbol": symbol,
            "autoDeposit": False,
            "riskLimit": 100000,
            "crossMode": mode == "CROSS",
            "currentTimestamp": self._now() // MS,
            "currentQty": 0,
            "isOpen": False,
            "markPrice": num(self._marks[symbol]),
            **dict.fromkeys(zeros, 0),
            "settleCurrency": "USDT",
            "riskLimitLevel": 1,
            "marginMode": mode,
            "positionSide": "BOTH",
        }

    def spot_orders(
        self, account: str, symbol: str | None = None, page: int = 1, page_size: int = 50
    ) -> dict[str, Any]:
        """``GET /api/v1/orders?status=active`` data: a page of the open spot orders.

        The older (non-HF) order list that clients such as ccxt call first; items in its
        documented shape, newest first.
        """
        items = [
            {
                "id": o.id,
                "symbol": o.symbol,
                "opType": "DEAL",
                "type": o.type,
                "side": o.side,
                "price": fmt(o.price) if o.price is not None else "0",
                "size": fmt(o.size),
                "funds": "0",
                "dealFunds": fmt(o.funds),
                "dealSize": fmt(o.filled),
                "fee": fmt(o.fee),
                "feeCurrency": split_symbol(o.symbol)[1],
                "stp": "",
                "stop": "",
                "stopTriggered": False,
                "stopPrice": "0",
                "timeInForce": "GTC",
                "postOnly": False,
                "hidden": False,
                "iceberg": False,
                "visibleSize": "0",
                "cancelAfter": 0,
                "channel": "API",
                "clientOid": o.client_oid,
                "remark": None,
                "tags": None,
                "isActive": True,
                "cancelExist": o.canceled > 0,
                "createdAt": o.created_ns // MS,
                "tradeType": "TRADE",
            }
            for o in reversed(self._spot_open.values())
            if o.account == account and (symbol is None or o.symbol == symbol)
        ]
        first = (page - 1) * page_size
        return {
            "currentPage": page,
            "pageSize": page_size,
            "totalNum": len(items),
            "totalPage": -(-len(items) // page_size),
            "items": items[first : first + page_size],
        }

    # ------------------------------------------------------------------ UTA snapshots

    def account_mode(self, account: str) -> dict[str, Any]:
        """``GET /api/ua/v1/account/mode`` data: ``UNIFIED`` or ``CLASSIC``, no sub-accounts."""
        acct = self._acct(account)
        return {
            "selfAccountMode": "UNIFIED" if acct.unified else "CLASSIC",
            "unifiedSubAccount": [],
            "classicSubAccount": [],
        }

    def pro_balance(self, account: str) -> dict[str, Any]:
        """``GET /api/ua/v1/unified/account/balance`` data, in KuCoin's UTA REST shape.

        ``{"accountType": "UNIFIED", "ts": ms, "accounts": [{"currencies": [...]}]}``, one
        entry per currency with long names (``equity``, ``balance``, ``available``,
        ``hold``, ``liability``, decimal strings). The futures USDT wallet is counted in the
        one USDT entry, as a unified account holds a single USDT balance.
        """
        acct = self._acct(account)
        now = self._now()
        held = set(acct.spot) | ({"USDT"} if acct.wallet or acct.positions else set())
        figures_by_currency = {c: self.unified_figures(acct, c) for c in held}
        currencies = [
            {
                "currency": currency,
                "equity": fmt(f["equity"]),
                "hold": fmt(f["hold"]),
                "balance": fmt(f["balance"]),
                "available": fmt(f["available"]),
                "liability": fmt(f["liability"]),
            }
            for currency, f in sorted(figures_by_currency.items())
        ]
        return {"accountType": "UNIFIED", "ts": now // MS, "accounts": [{"currencies": currencies}]}

    def _uta_order(self, order: SpotOrder | FuturesOrder) -> dict[str, Any]:
        futures = isinstance(order, FuturesOrder)
        filled = Decimal(order.filled)
        if isinstance(order, FuturesOrder):
            avg = order.value / filled if filled else ZERO
            fee_currency = "USDT"
        else:
            avg = order.funds / filled if filled else ZERO
            fee_currency = split_symbol(order.symbol)[1]
        return {
            "orderId": order.id,
            "symbol": order.symbol,
            "orderType": order.type.upper(),
            "side": order.side.upper(),
            "size": fmt(Decimal(order.size)),
            "price": fmt(order.price) if order.price is not None else "",
            "timeInForce": "GTC",
            "orderTime": order.created_ns,
            "stp": "",
            "cancelAfter": None,
            "postOnly": False,
            "reduceOnly": False,
            **NO_TRIGGERS,
            "filledSize": fmt(filled),
            "avgPrice": fmt(avg),
            "fee": fmt(order.fee),
            "feeCurrency": fee_currency,
            "tax": "0",
            "updatedTime": order.updated_ns,
            "triggerOrderId": "",
            "cancelReason": "",
            "cancelSize": fmt(Decimal(order.canceled)),
            "clientOid": order.client_oid,
            "sizeUnit": "UNIT" if futures else "BASECCY",
            "status": 4 if order.filled else 2,
        }

    def pro_open_orders(
        self,
        account: str,
        trade_type: str,
        symbol: str | None = None,
        page: int = 1,
        page_size: int = 50,
    ) -> dict[str, Any]:
        """``GET /api/ua/v1/unified/order/open-list?tradeType=`` data, in the UTA REST shape.

        A page ``{"pageNumber", "pageSize", "totalNum", "totalPage", "items", "tradeType"}``
        of the open orders of one trade type (``SPOT`` or ``FUTURES``; the margin trade
        types have none here), oldest first, with long names and ns times.
        """
        orders: list[SpotOrder | FuturesOrder] = []
        if trade_type == "SPOT":
            orders.extend(o for o in self._spot_open.values() if o.account == account)
        elif trade_type == "FUTURES":
            orders.extend(o for o in self._futures_open.values() if o.account == account)
        items = [self._uta_order(o) for o in orders if symbol is None or o.symbol == symbol]
        total = len(items)
        first = (page - 1) * page_size
        return {
            "pageNumber": page,
            "pageSize": page_size,
            "totalNum": total,
            "totalPage": -(-total // page_size),
            "items": items[first : first + page_size],
            "tradeType": trade_type,
        }

    def pro_positions(self, account: str, symbol: str | None = None) -> list[dict[str, Any]]:
        """``GET /api/ua/v1/unified/position/open-list`` data: open positions, UTA REST shape."""
        acct = self._acct(account)
        out = []
        for pos in acct.positions.values():
            if symbol is not None and pos.symbol != symbol:
                continue
            mark = self._marks[pos.symbol]
            f = figures(pos, mark)
            out.append(
                {
                    "symbol": pos.symbol,
                    "id": pos.id,
                    "marginMode": pos.margin_mode,
                    "size": str(pos.qty),
                    "entryPrice": fmt(pos.entry),
                    "positionValue": fmt(abs(f.mark_value)),
                    "markPrice": fmt(mark),
                    "leverage": fmt(pos.leverage),
                    "unrealizedPnL": fmt(f.upnl),
                    "realizedPnL": fmt(pos.realised),
                    "initialMargin": fmt(pos.margin),
                    "mmr": fmt(MMR),
                    "maintenanceMargin": fmt(f.maint),
                    "creationTime": pos.opened_ns,
                }
            )
        return out


def _page(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "currentPage": 1,
        "pageSize": max(50, len(items)),
        "totalNum": len(items),
        "totalPage": 1,
        "items": items,
    }
