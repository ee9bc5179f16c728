"""The engine's margin pushes: cross-margin debt ratio and status, isolated positions.

Only the pushes are modelled: the balances stay the spot book's, valued in USDT at the
last spot prices, and the liabilities are whatever the caller sets.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from ._ledger import MS, Ledger
from ._market import ZERO, SpotBalance, dec, fmt, num, split_symbol

__all__ = ("MarginPushes",)


class MarginPushes(Ledger):
    """Cross-margin ``/margin/position`` and isolated ``/margin/isolatedPosition`` pushes."""

    def _usdt_value(self, currency: str, amount: Decimal) -> Decimal:
        if currency == "USDT":
            return amount
        price = self._spot_prices.get(f"{currency}-USDT")
        return amount * price if price is not None else ZERO

    def set_cross_margin_debt(self, account: str, debts: Mapping[str, str | Decimal]) -> None:
        """Set the cross-margin liabilities and push ``/margin/position`` ``debt.ratio``.

        The assets are the spot balances, valued in USDT at the last spot prices. A
        ``position.status`` push follows when the account starts (``LIABILITY``) or stops
        (``UNLIABILITY``) owing.

        Args:
            account: the account.
            debts: currency → liability (zero or absent: no debt in that currency).
        """
        acct = self._acct(account)
        had_debt = any(v > 0 for v in acct.debts.values())
        acct.debts = {c: dec(v) for c, v in debts.items() if dec(v) > 0}
        assets = sum((self._usdt_value(c, b.total) for c, b in acct.spot.items()), ZERO)
        debt = sum((self._usdt_value(c, v) for c, v in acct.debts.items()), ZERO)
        btc = self._spot_prices.get("BTC-USDT", Decimal(1))
        ts = self._now() // MS
        data = {
            "debtRatio": num((debt / assets).quantize(Decimal("0.0001")) if assets else ZERO),
            "totalAsset": num((assets / btc).quantize(Decimal("0.00000001"))),
            "marginCoefficientTotalAsset": fmt(assets),
            "totalDebt": fmt(debt),
            "assetList": {
                c: {"total": fmt(b.total), "available": fmt(b.available), "hold": fmt(b.hold)}
                for c, b in sorted(acct.spot.items())
            },
            "debtList": {c: fmt(v) for c, v in sorted(acct.debts.items())},
            "timestamp": ts,
        }
        self._classic(account, "spot", "/margin/position", "debt.ratio", data)
        has_debt = bool(acct.debts)
        if has_debt != had_debt:
            status = {"type": "LIABILITY" if has_debt else "UNLIABILITY", "timestamp": ts}
            self._classic(account, "spot", "/margin/position", "position.status", status)

    def set_isolated_margin(
        self,
        account: str,
        symbol: str,
        status: str,
        *,
        status_biz_type: str = "DEFAULT_DEBT",
        liabilities: Mapping[str, str | Decimal] | None = None,
        accumulated_principal: str | Decimal = "0",
    ) -> None:
        """Push an isolated-margin position change (``/margin/isolatedPosition:SYMBOL``).

        Args:
            account: the account.
            symbol: e.g. ``BTC-USDT``.
            status: ``DEBT``, ``CLEAR``, ``IN_BORROW``, ``IN_REPAY``, ``IN_LIQUIDATION``
                or ``IN_AUTO_RENEW``.
            status_biz_type: what caused it, e.g. ``USER_BORROW``.
            liabilities: currency → principal owed (base and quote of ``symbol``).
            accumulated_principal: the accumulated principal.
        """
        acct = self._acct(account)
        owed = {c: dec(v) for c, v in (liabilities or {}).items()}
        acct.isolated_status[symbol] = status
        acct.isolated_debts[symbol] = owed
        assets = {}
        for currency in split_symbol(symbol):
            bal = acct.spot.get(currency, SpotBalance())
            assets[currency] = {
                "total": fmt(bal.total),
                "hold": fmt(bal.hold),
                "liabilityPrincipal": fmt(owed.get(currency, ZERO)),
                "liabilityInterest": "0",
            }
        data = {
            "tag": symbol,
            "status": status,
            "statusBizType": status_biz_type,
            "accumulatedPrincipal": fmt(dec(accumulated_principal)),
            "changeAssets": assets,
            "timestamp": self._now() // MS,
        }
        self._classic(account, "spot", f"/margin/isolatedPosition:{symbol}", "positionChange", data)

    def warn_liquidation(
        self,
        account: str,
        event_type: str = "MARGIN_CALL",
        *,
        risk_ratio: str | Decimal = "0.85",
        trade_type: str = "UNIFIED",
    ) -> None:
        """Push a Pro liquidation warning (``lw``) for ``account``.

        The engine has no liquidation engine of its own; this lets a test or a demo put an
        account at risk on demand. The figures come from the account's futures wallet.

        Args:
            account: the account.
            event_type: ``MARGIN_CALL``, ``REDUCE_ONLY``, ``LIQUIDATION_WARNING`` or
                ``FORCE_LIQUIDATION``.
            risk_ratio: the risk ratio to report.
            trade_type: the ``lw`` channel's trade type.
        """
        acct = self._acct(account)
        equity = acct.wallet
        ratio = dec(risk_ratio)
        maintenance = (equity * ratio).quantize(Decimal("0.00000001"))
        data = {
            "eT": event_type,
            "r": fmt(ratio),
            "a": fmt(equity),
            "e": fmt(equity),
            "iM": fmt(maintenance * 2),
            "mM": fmt(maintenance),
            "aM": fmt(max(equity - maintenance * 2, ZERO)),
            "l": "0",
            "U": self._now(),
        }
        self._pro(account, "lw", trade_type, data)
