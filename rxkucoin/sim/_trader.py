"""A synthetic trader: random but valid activity on the engine's accounts.

It drives the simulator for demos, notebooks and soak tests. It uses only the engine's
public API (actions and REST snapshots), so what it does is what a test could do by hand.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Final

from ._engine import Engine

__all__ = ("SyntheticTrader",)

_SPOT: Final = {"BTC-USDT": (Decimal("0.001"), 10), "ETH-USDT": (Decimal("0.01"), 20)}
"""Symbol → (size step, max steps per order)."""
_CONTRACTS: Final = ("XBTUSDTM", "ETHUSDTM")
_BAND: Final = (Decimal("0.85"), Decimal("1.15"))
"""Prices stay within this band of where they started, so that with leverage 2 no
position can lose more than its margin (the engine has no liquidation)."""
_LEVERAGE: Final = 2


class SyntheticTrader:
    """Random, valid trading activity over some accounts of an engine.

    Each `step` performs one action: place, fill, amend or cancel spot orders; place, fill
    or cancel futures orders; place or cancel stop orders; move spot or mark prices (which
    may trigger stops); run funding; change cross-margin debt or cross leverage. An action
    the engine refuses (not enough funds, say) is replaced by another one, and a price move
    is the fallback, so every step changes something.

    Args:
        engine: the engine to drive.
        accounts: the accounts to trade on; they must exist in the engine.
        seed: seeds the choices; the same seed on the same engine state repeats the run.
    """

    def __init__(self, engine: Engine, accounts: Sequence[str], seed: int = 0) -> None:
        if not accounts:
            raise ValueError("at least one account is needed")
        self._engine = engine
        self._accounts = list(accounts)
        self._rng = random.Random(seed)
        self._start_spot = {s: engine.spot_price(s) or Decimal(100) for s in _SPOT}
        self._start_mark = {s: engine.mark_price(s) for s in _CONTRACTS}
        weighted: list[tuple[Callable[[str], None], int]] = [
            (self._spot_limit, 18),
            (self._spot_fill, 14),
            (self._spot_cancel, 5),
            (self._spot_amend, 4),
            (self._spot_market, 3),
            (self._spot_stop, 3),
            (self._cancel_stop, 2),
            (self._futures_limit, 14),
            (self._futures_fill, 12),
            (self._futures_cancel, 4),
            (self._futures_market, 2),
            (self._futures_stop, 2),
            (self._move_spot, 5),
            (self._move_mark, 6),
            (self._funding, 2),
            (self._margin_debt, 2),
            (self._cross_leverage, 1),
        ]
        self._actions = [a for a, _ in weighted]
        self._weights = [w for _, w in weighted]
        self.steps = 0
        """How many steps have run."""

    def step(self) -> None:
        """Perform one random, valid action."""
        self.steps += 1
        account = self._rng.choice(self._accounts)
        for _ in range(5):
            action = self._rng.choices(self._actions, self._weights)[0]
            try:
                action(account)
            except (ValueError, LookupError):
                continue
            return
        self._move_mark(account)

    async def run(self, interval: float, stop: asyncio.Event | None = None) -> None:
        """Step every ``interval`` seconds until ``stop`` is set (or forever).

        Args:
            interval: seconds between steps.
            stop: an event that ends the loop when set.
        """
        while stop is None or not stop.is_set():
            self.step()
            if stop is None:
                await asyncio.sleep(interval)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)

    # ------------------------------------------------------------------ helpers

    def _jitter(self, price: Decimal, spread: float, step: Decimal) -> Decimal:
        factor = Decimal(str(round(1 + self._rng.uniform(-spread, spread), 4)))
        return max(step, (price * factor).quantize(step))

    def _within(self, price: Decimal, start: Decimal) -> Decimal:
        low, high = start * _BAND[0], start * _BAND[1]
        return min(max(price, low), high).quantize(Decimal("0.1"))

    def _spot_size(self, symbol: str) -> Decimal:
        step, most = _SPOT[symbol]
        return step * self._rng.randint(1, most)

    # ------------------------------------------------------------------ spot

    def _spot_limit(self, account: str) -> None:
        symbol = self._rng.choice(list(_SPOT))
        last = self._engine.spot_price(symbol) or self._start_spot[symbol]
        price = self._jitter(last, 0.02, Decimal("0.1"))
        side = self._rng.choice(("buy", "sell"))
        size = self._spot_size(symbol)
        self._engine.place_spot_order(account, symbol, side, "limit", size, price)

    def _spot_market(self, account: str) -> None:
        symbol = self._rng.choice(list(_SPOT))
        side = self._rng.choice(("buy", "sell"))
        self._engine.place_spot_order(account, symbol, side, "market", self._spot_size(symbol))

    def _pick_spot(self, account: str) -> dict[str, str]:
        orders = self._engine.spot_open_orders(account)
        if not orders:
            raise LookupError("no open spot order")
        order: dict[str, str] = self._rng.choice(orders)
        return order

    def _spot_fill(self, account: str) -> None:
        order = self._pick_spot(account)
        remain = Decimal(order["remainSize"])
        step = _SPOT[order["symbol"]][0]
        size = remain
        if self._rng.random() < 0.4 and remain > step:
            size = step * self._rng.randint(1, int(remain / step))
        liquidity = self._rng.choice(("maker", "maker", "taker"))
        self._engine.fill_spot_order(account, order["id"], size, liquidity=liquidity)

    def _spot_cancel(self, account: str) -> None:
        self._engine.cancel_spot_order(account, self._pick_spot(account)["id"])

    def _spot_amend(self, account: str) -> None:
        order = self._pick_spot(account)
        size, filled = Decimal(order["size"]), Decimal(order["dealSize"])
        step = _SPOT[order["symbol"]][0]
        new = filled + step
        if new >= size:
            raise ValueError("too small to amend")
        self._engine.amend_spot_order(account, order["id"], new)

    def _spot_stop(self, account: str) -> None:
        symbol = self._rng.choice(list(_SPOT))
        last = self._engine.spot_price(symbol) or self._start_spot[symbol]
        side = self._rng.choice(("buy", "sell"))
        stop = "entry" if side == "buy" else "loss"
        offset = Decimal("1.01") if stop == "entry" else Decimal("0.99")
        price = None
        if self._rng.random() < 0.5:
            price = (last * offset).quantize(Decimal("0.1"))
        self._engine.place_spot_stop_order(
            account,
            symbol,
            side,
            self._spot_size(symbol),
            (last * offset).quantize(Decimal("0.1")),
            stop=stop,
            price=price,
        )

    def _cancel_stop(self, account: str) -> None:
        spot = self._engine.spot_stop_orders(account)["items"]
        futures = self._engine.futures_stop_orders(account)["items"]
        stops = spot + futures
        if not stops:
            raise LookupError("no stop order")
        self._engine.cancel_stop_order(account, self._rng.choice(stops)["id"])

    def _move_spot(self, account: str) -> None:
        symbol = self._rng.choice(list(_SPOT))
        last = self._engine.spot_price(symbol) or self._start_spot[symbol]
        price = self._within(self._jitter(last, 0.01, Decimal("0.1")), self._start_spot[symbol])
        self._engine.set_spot_price(symbol, price)

    # ------------------------------------------------------------------ futures

    def _futures_limit(self, account: str) -> None:
        symbol = self._rng.choice(_CONTRACTS)
        price = self._jitter(self._engine.mark_price(symbol), 0.01, Decimal(1))
        side = self._rng.choice(("buy", "sell"))
        mode = "CROSS" if symbol == "ETHUSDTM" else "ISOLATED"
        size = self._rng.randint(1, 5)
        self._engine.place_futures_order(account, symbol, side, size, price, _LEVERAGE, mode)

    def _futures_market(self, account: str) -> None:
        symbol = self._rng.choice(_CONTRACTS)
        side = self._rng.choice(("buy", "sell"))
        mode = "CROSS" if symbol == "ETHUSDTM" else "ISOLATED"
        self._engine.place_futures_order(
            account, symbol, side, self._rng.randint(1, 3), None, _LEVERAGE, mode
        )

    def _pick_futures(self, account: str) -> dict[str, object]:
        orders = self._engine.futures_open_orders(account)["items"]
        if not orders:
            raise LookupError("no open futures order")
        order: dict[str, object] = self._rng.choice(orders)
        return order

    def _futures_fill(self, account: str) -> None:
        order = self._pick_futures(account)
        size, dealt = order["size"], order["dealSize"]
        assert isinstance(size, int) and isinstance(dealt, int)
        remain = size - dealt
        qty = self._rng.randint(1, remain) if self._rng.random() < 0.4 else remain
        liquidity = self._rng.choice(("maker", "taker"))
        self._engine.fill_futures_order(account, str(order["id"]), qty, liquidity=liquidity)

    def _futures_cancel(self, account: str) -> None:
        self._engine.cancel_futures_order(account, str(self._pick_futures(account)["id"]))

    def _futures_stop(self, account: str) -> None:
        symbol = self._rng.choice(_CONTRACTS)
        mark = self._engine.mark_price(symbol)
        up = self._rng.random() < 0.5
        trigger = (mark * (Decimal("1.005") if up else Decimal("0.995"))).quantize(Decimal(1))
        mode = "CROSS" if symbol == "ETHUSDTM" else "ISOLATED"
        self._engine.place_futures_stop_order(
            account,
            symbol,
            "buy" if up else "sell",
            self._rng.randint(1, 3),
            trigger,
            stop="up" if up else "down",
            leverage=_LEVERAGE,
            margin_mode=mode,
        )

    def _move_mark(self, account: str) -> None:
        symbol = self._rng.choice(_CONTRACTS)
        mark = self._jitter(self._engine.mark_price(symbol), 0.006, Decimal("0.1"))
        self._engine.set_mark_price(symbol, self._within(mark, self._start_mark[symbol]))

    def _funding(self, account: str) -> None:
        rate = Decimal(self._rng.randint(-10, 10)) / 100_000
        self._engine.run_funding(self._rng.choice(_CONTRACTS), rate)

    def _margin_debt(self, account: str) -> None:
        debt = {} if self._rng.random() < 0.3 else {"USDT": str(self._rng.randint(1, 500))}
        self._engine.set_cross_margin_debt(account, debt)

    def _cross_leverage(self, account: str) -> None:
        self._engine.set_cross_leverage(account, "ETHUSDTM", self._rng.choice((1, 2)))
