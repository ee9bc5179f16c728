"""The engine's ledger: accounts, their balances and holds, and the emission of pushes.

`Ledger` is the base of the engine's books (`rxkucoin.sim._engine`): it owns all the
state (accounts, open orders, stop orders, prices), the clock, the id maker and the
listeners, emits pushes, moves spot balances and computes and pushes the futures wallet.
It also checks the books' invariants. The behaviour that changes orders and positions
lives in the books built on it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final

from ._market import (
    CONTRACTS,
    SPOT_PRICES,
    ZERO,
    FuturesOrder,
    IdMaker,
    Position,
    SpotBalance,
    SpotFill,
    SpotOrder,
    StopOrder,
    dec,
    figures,
    fmt,
    split_symbol,
)
from ._pro_events import pro_spot_balance_data, pro_wallet_data
from ._pushes import ClassicPush, Host, ProEvent, ProKind, Push

__all__ = ("MS", "Q8", "Account", "Ledger")

_log = logging.getLogger("rxkucoin.sim._engine")  # the engine's logger, wherever it emits

MS: Final = 1_000_000
"""Nanoseconds per millisecond."""
Q8: Final = Decimal("0.00000001")
"""The quantum of margins, fees and PnL."""


@dataclass
class Account:
    """One simulated account: spot balances, futures wallet and positions, margin debts."""

    name: str
    user_id: str
    account_id: str
    unified: bool
    spot: dict[str, SpotBalance] = field(default_factory=dict)
    spot_base: dict[str, Decimal] = field(default_factory=dict)
    wallet: Decimal = ZERO
    wallet_base: Decimal = ZERO
    wallet_version: int = 0
    positions: dict[str, Position] = field(default_factory=dict)
    fill_qty: dict[str, int] = field(default_factory=dict)
    futures_ledger: Decimal = ZERO
    closed_realised: Decimal = ZERO
    margin_modes: dict[str, str] = field(default_factory=dict)
    cross_leverage: dict[str, Decimal] = field(default_factory=dict)
    debts: dict[str, Decimal] = field(default_factory=dict)
    pro_seq: int = 0
    spot_ids: dict[str, str] = field(default_factory=dict)
    isolated_status: dict[str, str] = field(default_factory=dict)
    isolated_debts: dict[str, dict[str, Decimal]] = field(default_factory=dict)

    def spot_account_id(self, currency: str) -> str:
        """The id of this user's trade account in ``currency``.

        KuCoin gives each currency's account its own id, the same in the balance pushes'
        ``accountId`` and in ``GET /api/v1/accounts``: the first currency gets
        `account_id`, each later one the next number, in the order they first appear.
        """
        if currency not in self.spot_ids:
            self.spot_ids[currency] = str(int(self.account_id) + len(self.spot_ids))
        return self.spot_ids[currency]


class Ledger:
    """The engine's state, its emission helpers and its balances.

    Args:
        seed: seeds every generated id; same seed and clock, same pushes.
        clock_ns: the clock, epoch nanoseconds; defaults to `time.time_ns`.
    """

    def __init__(self, seed: int = 0, clock_ns: Callable[[], int] | None = None) -> None:
        self._ids = IdMaker(seed)
        self._match_sequence = 0
        self._clock = clock_ns or time.time_ns
        self._listeners: list[Callable[[Push], None]] = []
        self._accounts: dict[str, Account] = {}
        self._spot_orders: dict[str, SpotOrder] = {}
        self._spot_open: dict[str, SpotOrder] = {}
        self._spot_fills: list[SpotFill] = []
        self._stops: dict[str, StopOrder] = {}
        self._futures_orders: dict[str, FuturesOrder] = {}
        self._futures_open: dict[str, FuturesOrder] = {}
        self._spot_prices: dict[str, Decimal] = dict(SPOT_PRICES)
        self._marks: dict[str, Decimal] = {s: c.mark_price for s, c in CONTRACTS.items()}

    # ------------------------------------------------------------------ accounts, listeners

    def add_account(
        self,
        account: str,
        *,
        user_id: str | None = None,
        balances: Mapping[str, str | Decimal] | None = None,
        futures_balance: str | Decimal = "0",
        unified: bool = False,
    ) -> None:
        """Create an account.

        Args:
            account: the account's name (the API key owner the server maps keys to).
            user_id: the ``userId`` of its pushes; generated if omitted.
            balances: spot trade-account balances per currency.
            futures_balance: the futures wallet's USDT balance.
            unified: a Pro unified (UTA) account: Pro balances go out as ``UNIFIED``.

        Raises:
            ValueError: the account exists already, or a balance is negative.
        """
        if account in self._accounts:
            raise ValueError(f"account {account!r} exists already")
        acct = Account(
            name=account,
            user_id=user_id or self._ids.hex24(),
            account_id=self._ids.digits(12),
            unified=unified,
        )
        for currency, amount in (balances or {}).items():
            value = dec(amount)
            if value < 0:
                raise ValueError(f"negative balance for {currency}")
            acct.spot[currency] = SpotBalance(available=value)
            acct.spot_base[currency] = value
            acct.spot_account_id(currency)
        acct.wallet = acct.wallet_base = dec(futures_balance)
        if acct.wallet < 0:
            raise ValueError("negative futures balance")
        self._accounts[account] = acct

    @property
    def accounts(self) -> list[str]:
        """The names of every account, in creation order."""
        return list(self._accounts)

    def user_id(self, account: str) -> str:
        """The ``userId`` of an account's pushes."""
        return self._acct(account).user_id

    def listen(self, callback: Callable[[Push], None]) -> Callable[[], None]:
        """Call ``callback`` synchronously with every push, in order.

        An exception raised by ``callback`` is logged and otherwise ignored: the engine's
        state has already changed, and the other listeners still get every push.

        Returns:
            A function that stops the calls.
        """
        self._listeners.append(callback)

        def unlisten() -> None:
            if callback in self._listeners:
                self._listeners.remove(callback)

        return unlisten

    def spot_price(self, symbol: str) -> Decimal | None:
        """The last trade price of a spot symbol, if known."""
        return self._spot_prices.get(symbol)

    def mark_price(self, symbol: str) -> Decimal:
        """The mark price of a futures contract."""
        self._contract(symbol)
        return self._marks[symbol]

    # ------------------------------------------------------------------ emission helpers

    def _acct(self, account: str) -> Account:
        try:
            return self._accounts[account]
        except KeyError:
            raise KeyError(f"no account {account!r}") from None

    def _contract(self, symbol: str) -> Decimal:
        contract = CONTRACTS.get(symbol)
        if contract is None:
            raise ValueError(f"unknown contract {symbol!r}")
        return contract.multiplier

    def _now(self) -> int:
        return self._clock()

    def _emit(self, push: Push) -> None:
        for callback in list(self._listeners):
            try:
                callback(push)
            except Exception:  # one bad listener must not break the others or the books
                _log.exception("engine listener %r failed", callback)

    def _classic(
        self,
        account: str,
        host: Host,
        topic: str,
        subject: str,
        data: dict[str, Any],
        *,
        envelope_id: str | None = None,
        wire_topic: str | None = None,
    ) -> None:
        self._emit(ClassicPush(account, host, topic, subject, data, envelope_id, wire_topic))

    def _pro(
        self,
        account: str,
        kind: ProKind,
        trade_type: str,
        data: dict[str, Any],
        symbol: str | None = None,
    ) -> None:
        self._emit(ProEvent(account, kind, trade_type, data, symbol))

    # ------------------------------------------------------------------ spot balances

    def _spot_balance(
        self,
        acct: Account,
        currency: str,
        d_available: Decimal,
        d_hold: Decimal,
        event: str,
        context: dict[str, str],
    ) -> None:
        bal = acct.spot.setdefault(currency, SpotBalance())
        bal.available += d_available
        bal.hold += d_hold
        ts = self._now()
        rid = self._ids.digits(15)
        data = {
            "accountId": acct.spot_account_id(currency),
            "currency": currency,
            "total": fmt(bal.total),
            "available": fmt(bal.available),
            "hold": fmt(bal.hold),
            "availableChange": fmt(d_available),
            "holdChange": fmt(d_hold),
            "relationEvent": event,
            "relationEventId": rid,
            "relationContext": context,
            "time": str(ts // MS),
        }
        self._classic(
            acct.name, "spot", "/account/balance", "account.balance", data, envelope_id=rid
        )
        acct.pro_seq += 1
        if acct.unified:
            pro = self._unified_balance_data(acct, currency, ts)
            self._pro(acct.name, "balance", "UNIFIED", pro)
            return
        pro = pro_spot_balance_data(currency, bal, acct.debts.get(currency, ZERO), ts)
        self._pro(acct.name, "balance", "SPOT", pro)

    def unified_figures(self, acct: Account, currency: str) -> dict[str, Decimal]:
        """One currency of a unified account, as its UTA REST balance and Pro pushes say.

        A unified account holds one USDT balance for spot and futures: the futures wallet
        (balance, available margin, held margin, equity with unrealised PnL) is counted in
        the USDT figures.

        Returns:
            ``equity``, ``balance``, ``available``, ``hold`` and ``liability``.
        """
        bal = acct.spot.get(currency, SpotBalance())
        figures_ = {
            "equity": bal.total,
            "balance": bal.total,
            "available": bal.available,
            "hold": bal.hold,
            "liability": acct.debts.get(currency, ZERO),
        }
        if currency == "USDT" and (acct.wallet or acct.positions):
            n = self._wallet(acct)
            figures_["equity"] += n["equity"]
            figures_["balance"] += acct.wallet
            figures_["available"] += n["available"]
            figures_["hold"] += n["held"]
        return figures_

    def _unified_balance_data(self, acct: Account, currency: str, ts: int) -> dict[str, Any]:
        f = self.unified_figures(acct, currency)
        return {
            "c": currency,
            "e": fmt(f["equity"]),
            "b": fmt(f["balance"]),
            "a": fmt(f["available"]),
            "h": fmt(f["hold"]),
            "l": fmt(f["liability"]),
            "U": ts,
        }

    # ------------------------------------------------------------------ futures wallet

    def _wallet(self, acct: Account) -> dict[str, Decimal]:
        n = dict.fromkeys(("iPM", "cPM", "iOM", "cOM", "iUP", "cUP"), ZERO)
        for pos in acct.positions.values():
            kind = "c" if pos.margin_mode == "CROSS" else "i"
            n[kind + "PM"] += pos.margin
            n[kind + "UP"] += figures(pos, self._marks[pos.symbol]).upnl
        for order in self._futures_open.values():
            if order.account == acct.name:
                n[("c" if order.margin_mode == "CROSS" else "i") + "OM"] += order.margin
        held = n["iPM"] + n["cPM"] + n["iOM"] + n["cOM"]
        n["held"] = held
        n["available"] = acct.wallet - held
        n["equity"] = acct.wallet + n["iUP"] + n["cUP"]
        return n

    def _wallet_push(self, acct: Account) -> None:
        acct.wallet_version += 1
        n = self._wallet(acct)
        ts = self._now()
        cross_total = n["available"] + n["cPM"] + n["cOM"] + n["cUP"]
        data = {
            "currency": "USDT",
            "walletBalance": fmt(acct.wallet),
            "availableBalance": fmt(n["available"]),
            "holdBalance": "0",
            "equity": fmt(n["equity"]),
            "totalCrossMargin": fmt(cross_total),
            "crossPosMargin": fmt(n["cPM"]),
            "crossOrderMargin": fmt(n["cOM"]),
            "crossUnPnl": fmt(n["cUP"]),
            "isolatedPosMargin": fmt(n["iPM"]),
            "isolatedOrderMargin": fmt(n["iOM"]),
            "isolatedFundingFeeMargin": "0",
            "isolatedUnPnl": fmt(n["iUP"]),
            "maxWithdrawAmount": fmt(max(ZERO, n["available"])),
            "version": str(acct.wallet_version),
            "timestamp": str(ts // MS),
        }
        self._classic(
            acct.name,
            "futures",
            "/contractAccount/wallet",
            "walletBalance.change",
            data,
            envelope_id=self._ids.hex24(),
        )
        acct.pro_seq += 1
        if acct.unified:
            self._pro(acct.name, "balance", "UNIFIED", self._unified_balance_data(acct, "USDT", ts))
            return
        pro = pro_wallet_data(acct.wallet, n, cross_total, acct.pro_seq, ts)
        self._pro(acct.name, "balance", "FUTURES", pro)

    # ------------------------------------------------------------------ invariants

    def check_invariants(self) -> list[str]:
        """Check the books; returns one line per broken invariant (empty when consistent).

        Checked per account: spot ``hold`` equals the open orders' holds and nothing is
        negative; spot totals equal the initial balances replayed through every fill and
        fee; each futures position equals the signed sum of its fills; the wallet equals
        its initial balance plus realised PnL, less fees and funding; order and position
        margins are not negative and the wallet is not.
        """
        problems: list[str] = []
        holds: dict[tuple[str, str], Decimal] = {}
        for order in self._spot_open.values():
            base, quote = split_symbol(order.symbol)
            key = (order.account, quote if order.side == "buy" else base)
            holds[key] = holds.get(key, ZERO) + order.hold
            if order.hold < 0 or order.remain <= 0:
                problems.append(f"spot order {order.id}: hold {order.hold}, remain {order.remain}")
        expected: dict[tuple[str, str], Decimal] = {}
        for fill in self._spot_fills:
            base, quote = split_symbol(fill.symbol)
            sign = 1 if fill.side == "buy" else -1
            value = fill.price * fill.size
            expected[(fill.account, base)] = expected.get((fill.account, base), ZERO) + (
                sign * fill.size
            )
            expected[(fill.account, quote)] = expected.get((fill.account, quote), ZERO) - (
                sign * value + fill.fee
            )
        for name, acct in self._accounts.items():
            for currency in sorted(set(acct.spot) | set(acct.spot_base)):
                bal = acct.spot.get(currency, SpotBalance())
                where = f"{name} {currency}"
                if bal.available < 0 or bal.hold < 0:
                    problems.append(f"{where}: negative {bal}")
                want_hold = holds.get((name, currency), ZERO)
                if bal.hold != want_hold:
                    problems.append(f"{where}: hold {bal.hold} != open orders' {want_hold}")
                want = acct.spot_base.get(currency, ZERO) + expected.get((name, currency), ZERO)
                if bal.total != want:
                    problems.append(f"{where}: total {bal.total} != ledger {want}")
            problems.extend(self._check_futures(acct))
        return problems

    def _check_futures(self, acct: Account) -> list[str]:
        problems = []
        name = acct.name
        for symbol, qty in acct.fill_qty.items():
            pos = acct.positions.get(symbol)
            have = pos.qty if pos is not None else 0
            if have != qty:
                problems.append(f"{name} {symbol}: position {have} != fills {qty}")
            if pos is not None and (pos.qty != sum(pos.fills) or pos.margin < 0):
                problems.append(f"{name} {symbol}: position fills/margin inconsistent")
        if acct.wallet != acct.wallet_base + acct.futures_ledger:
            problems.append(f"{name}: wallet {acct.wallet} != ledger")
        realised = acct.closed_realised + sum((p.realised for p in acct.positions.values()), ZERO)
        if realised != acct.futures_ledger:
            problems.append(f"{name}: realised {realised} != ledger {acct.futures_ledger}")
        if acct.wallet < 0:
            problems.append(f"{name}: negative wallet {acct.wallet}")
        problems.extend(
            f"{name} futures order {order.id}: margin/remain inconsistent"
            for order in self._futures_open.values()
            if order.account == name and (order.margin < 0 or order.remain <= 0)
        )
        return problems
