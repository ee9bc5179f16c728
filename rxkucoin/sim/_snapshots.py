"""The engine's REST snapshots: account state in the shapes KuCoin's REST API returns.

The server answers the private REST endpoints with these (``GET /api/v1/accounts``,
``/api/v1/hf/orders/active``, ``/api/v1/positions``...), and the Pro snapshots give the
same state in the Pro ``d`` forms, built by the same code as the pushes. Reading a
snapshot changes nothing.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ._ledger import MS, Ledger
from ._market import (
    SPOT_FEE,
    ZERO,
    FuturesOrder,
    SpotOrder,
    figures,
    fmt,
    num,
    position_data,
    pro_position_data,
    split_symbol,
)
from ._pro_events import pro_order_data, pro_spot_balance_data

__all__ = ("Snapshots",)


class Snapshots(Ledger):
    """REST and Pro snapshots of an account's balances, orders and positions."""

    def spot_accounts(self, account: str) -> list[dict[str, Any]]:
        """``GET /api/v1/accounts?type=trade`` data: one entry per currency."""
        acct = self._acct(account)
        return [
            {
                "id": f"{acct.account_id}{i:02d}",
                "currency": currency,
                "type": "trade",
                "balance": fmt(bal.total),
                "available": fmt(bal.available),
                "holds": fmt(bal.hold),
            }
            for i, (currency, bal) in enumerate(sorted(acct.spot.items()))
        ]

    def _spot_order_rest(self, order: SpotOrder) -> dict[str, Any]:
        quote = split_symbol(order.symbol)[1]
        return {
            "id": order.id,
            "clientOid": order.client_oid,
            "symbol": order.symbol,
            "opType": "DEAL",
            "type": order.type,
            "side": order.side,
            "price": fmt(order.price) if order.price is not None else "0",
            "size": fmt(order.size),
            "funds": "0",
            "dealSize": fmt(order.filled),
            "dealFunds": fmt(order.funds),
            "remainSize": fmt(order.remain),
            "remainFunds": "0",
            "cancelledSize": fmt(order.canceled),
            "cancelledFunds": "0",
            "fee": fmt(order.fee),
            "feeCurrency": quote,
            "stp": "",
            "timeInForce": "GTC",
            "postOnly": False,
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
            "timeInForce": "GTC",
            "postOnly": False,
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
            "endAt": None,
            "orderTime": order.created_ns,
            "settleCurrency": "USDT",
            "marginMode": order.margin_mode,
            "avgDealPrice": fmt(order.value / order.filled if order.filled else ZERO),
            "filledSize": order.filled,
            "filledValue": fmt(order.value * mult),
            "status": "done" if order.done else "open",
            "reduceOnly": False,
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
        items = []
        for s in self._stops.values():
            if s.account != account or not s.futures:
                continue
            if symbol is not None and s.symbol != symbol:
                continue
            items.append(
                {
                    "id": s.id,
                    "symbol": s.symbol,
                    "type": "limit" if s.price is not None else "market",
                    "side": s.side,
                    "price": fmt(s.price) if s.price is not None else "0",
                    "size": int(s.size),
                    "stop": s.stop,
                    "stopPriceType": "MP",
                    "stopTriggered": False,
                    "stopPrice": fmt(s.stop_price),
                    "leverage": fmt(s.leverage),
                    "marginMode": s.margin_mode,
                    "clientOid": s.client_oid,
                    "isActive": True,
                    "createdAt": s.created_ns // MS,
                    "orderTime": s.created_ns,
                    "settleCurrency": "USDT",
                    "status": "open",
                }
            )
        return _page(items)

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

    # ------------------------------------------------------------------ Pro snapshots

    def pro_balance(self, account: str) -> list[dict[str, Any]]:
        """The account's balances in the Pro ``balance`` ``d`` form (spot currencies, then
        the futures USDT wallet when the account has one)."""
        acct = self._acct(account)
        now = self._now()
        out: list[dict[str, Any]] = [
            pro_spot_balance_data(c, b, acct.debts.get(c, ZERO), now)
            for c, b in sorted(acct.spot.items())
        ]
        if acct.wallet or acct.positions:
            n = self._wallet(acct)
            out.append(
                {
                    "c": "USDT",
                    "e": fmt(n["equity"]),
                    "b": fmt(acct.wallet),
                    "a": fmt(n["available"]),
                    "h": fmt(n["held"]),
                    "l": "0",
                    "U": now,
                    "tT": "FUTURES",
                }
            )
        return out

    def pro_open_orders(self, account: str) -> list[dict[str, Any]]:
        """The open spot and futures orders in the Pro ``order`` ``d`` form."""
        out = [
            pro_order_data(
                trade_type="SPOT",
                order=order,
                status=4 if order.filled else 2,
                event="OPEN",
                ts=order.updated_ns,
                fee_currency=split_symbol(order.symbol)[1],
            )
            for order in self._spot_open.values()
            if order.account == account
        ]
        out.extend(
            pro_order_data(
                trade_type="FUTURES",
                order=fut,
                status=4 if fut.filled else 2,
                event="OPEN",
                ts=fut.updated_ns,
                fee_currency="USDT",
                extra={"l": fmt(fut.leverage), "mM": fut.margin_mode, "pS": "BOTH"},
            )
            for fut in self._futures_open.values()
            if fut.account == account
        )
        return out

    def pro_positions(self, account: str) -> list[dict[str, Any]]:
        """The open futures positions in the Pro ``position`` ``d`` form."""
        acct = self._acct(account)
        now = self._now()
        return [pro_position_data(p, self._marks[p.symbol], now) for p in acct.positions.values()]


def _page(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "currentPage": 1,
        "pageSize": max(50, len(items)),
        "totalNum": len(items),
        "totalPage": 1,
        "items": items,
    }
