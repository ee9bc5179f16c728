"""Shared primitives of the account engine: instruments, ids, number formatting, state records.

Nothing here emits pushes; `rxkucoin.sim._engine` owns the behaviour. This module holds what
the engine's state is made of, so that the engine reads as a list of events.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final

__all__ = (
    "CONTRACTS",
    "FUTURES_MAKER_FEE",
    "FUTURES_TAKER_FEE",
    "MMR",
    "PRO_ORDER_DEFAULTS",
    "SPOT_FEE",
    "SPOT_PRICES",
    "Contract",
    "Figures",
    "FuturesOrder",
    "IdMaker",
    "Position",
    "SpotBalance",
    "SpotFill",
    "SpotOrder",
    "StopOrder",
    "dec",
    "figures",
    "fmt",
    "num",
    "position_data",
    "position_mark_data",
    "pro_position_data",
    "split_symbol",
)

ZERO: Final = Decimal(0)
SPOT_FEE: Final = Decimal("0.001")
"""Spot fee rate, maker and taker alike (0.1 %), charged in the quote currency."""
FUTURES_MAKER_FEE: Final = Decimal("0.0002")
FUTURES_TAKER_FEE: Final = Decimal("0.0006")
PRO_ORDER_DEFAULTS: Final[dict[str, str | bool]] = {
    **dict.fromkeys(("tD", "tP", "tPT", "pP", "pPT", "pOP", "lP", "lPT", "lOP", "toi", "stp"), ""),
    "rO": False,
    "pO": False,
    "tIF": "GTC",
}
"""The Pro order fields the engine never sets (no TP/SL, no STP, GTC only)."""
MMR: Final = Decimal("0.004")
"""Maintenance margin rate of every contract (risk-limit level 1)."""


@dataclass(frozen=True)
class Contract:
    """A USDT-margined linear perpetual.

    Attributes:
        symbol: e.g. ``XBTUSDTM``.
        multiplier: base currency per contract.
        mark_price: the initial mark price.
    """

    symbol: str
    multiplier: Decimal
    mark_price: Decimal


CONTRACTS: Final[dict[str, Contract]] = {
    c.symbol: c
    for c in (
        Contract("XBTUSDTM", Decimal("0.001"), Decimal("60000")),
        Contract("ETHUSDTM", Decimal("0.01"), Decimal("3000")),
        Contract("SOLUSDTM", Decimal("0.1"), Decimal("150")),
    )
}
SPOT_PRICES: Final[dict[str, Decimal]] = {
    "BTC-USDT": Decimal("60000"),
    "ETH-USDT": Decimal("3000"),
    "SOL-USDT": Decimal("150"),
    "KCS-USDT": Decimal("10"),
}


def dec(value: str | int | Decimal) -> Decimal:
    """A Decimal from a string, int or Decimal (floats are refused: they are inexact)."""
    if isinstance(value, float):  # pragma: no cover - guarded by the type hint
        raise TypeError("use strings, not floats, for amounts")
    return Decimal(value)


def fmt(value: Decimal) -> str:
    """Plain decimal text without exponent or trailing zeros (``"0.001"``, never ``"1E-3"``)."""
    if value == 0:
        return "0"
    text = format(value.normalize(), "f")
    return text


def num(value: Decimal) -> int | float:
    """A JSON number: an int when integral, else a float."""
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def split_symbol(symbol: str) -> tuple[str, str]:
    """``BTC-USDT`` → ``("BTC", "USDT")``."""
    base, sep, quote = symbol.partition("-")
    if not sep or not base or not quote:
        raise ValueError(f"not a spot symbol: {symbol!r}")
    return base, quote


class IdMaker:
    """Seeded generator of KuCoin-looking ids.

    Args:
        seed: the seed; the same seed gives the same ids in the same order.
    """

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)

    def hex24(self) -> str:
        """A 24-hex-digit id (spot orders, user ids, envelope ids)."""
        return f"{self._rng.getrandbits(96):024x}"

    def digits(self, n: int) -> str:
        """A numeric id of ``n`` digits without a leading zero."""
        return str(self._rng.randrange(10 ** (n - 1), 10**n))

    def stop_id(self) -> str:
        """A spot stop-order id like ``vs93gpupfa48anof003u85mb``."""
        alphabet = "0123456789abcdefghijklmnopqrstuv"
        return "vs" + "".join(self._rng.choice(alphabet) for _ in range(22))


@dataclass
class SpotBalance:
    """One currency of a spot trade account."""

    available: Decimal = ZERO
    hold: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        """``available + hold``."""
        return self.available + self.hold


@dataclass
class SpotOrder:
    """A spot order the engine holds (open or finished)."""

    id: str
    account: str
    symbol: str
    side: str
    type: str
    price: Decimal | None
    size: Decimal
    client_oid: str
    created_ns: int
    origin_size: Decimal = ZERO
    filled: Decimal = ZERO
    canceled: Decimal = ZERO
    hold: Decimal = ZERO
    fee: Decimal = ZERO
    funds: Decimal = ZERO
    done: bool = False
    updated_ns: int = 0
    last_trade_id: str = ""
    last_size: Decimal = ZERO
    last_price: Decimal = ZERO
    liquidity: str = ""
    time_in_force: str = "GTC"
    post_only: bool = False

    @property
    def remain(self) -> Decimal:
        """Size still open."""
        return ZERO if self.done else self.size - self.filled


@dataclass
class SpotFill:
    """One fill of a spot order (the ledger the invariants replay)."""

    account: str
    order_id: str
    trade_id: str
    symbol: str
    side: str
    price: Decimal
    size: Decimal
    fee: Decimal
    liquidity: str
    order_type: str
    time_ms: int


@dataclass
class StopOrder:
    """A spot or futures stop order waiting for its trigger."""

    id: str
    account: str
    symbol: str
    side: str
    size: Decimal
    stop_price: Decimal
    stop: str
    price: Decimal | None
    created_ns: int
    futures: bool
    leverage: Decimal = Decimal(3)
    margin_mode: str = "ISOLATED"
    client_oid: str = ""
    price_type: str = "MP"


@dataclass
class FuturesOrder:
    """A futures order the engine holds (open or finished)."""

    id: str
    account: str
    symbol: str
    side: str
    type: str
    price: Decimal | None
    size: int
    leverage: Decimal
    margin_mode: str
    client_oid: str
    created_ns: int
    filled: int = 0
    canceled: int = 0
    margin: Decimal = ZERO
    fee: Decimal = ZERO
    value: Decimal = ZERO
    done: bool = False
    updated_ns: int = 0
    last_trade_id: str = ""
    last_size: int = 0
    last_price: Decimal = ZERO
    liquidity: str = ""
    reduce_only: bool = False
    time_in_force: str = "GTC"
    post_only: bool = False

    @property
    def remain(self) -> int:
        """Contracts still open."""
        return 0 if self.done else self.size - self.filled


@dataclass
class Position:
    """One futures position (one-way mode: ``BOTH``)."""

    id: str
    account: str
    symbol: str
    margin_mode: str
    leverage: Decimal
    opened_ns: int
    qty: int = 0
    entry: Decimal = ZERO
    margin: Decimal = ZERO
    realised_gross: Decimal = ZERO
    comm: Decimal = ZERO
    funding: Decimal = ZERO
    fills: list[int] = field(default_factory=list)
    updated_ns: int = 0
    """The ``U`` of the position's last Pro push (the UTA REST ``updateTime``)."""

    @property
    def realised(self) -> Decimal:
        """Realised PnL: gross PnL less fees and funding paid."""
        return self.realised_gross - self.comm - self.funding


@dataclass(frozen=True)
class Figures:
    """A position's derived numbers at a mark price (signed values: short is negative)."""

    cost: Decimal
    mark_value: Decimal
    upnl: Decimal
    maint: Decimal
    liq: Decimal
    bankrupt: Decimal
    real_leverage: Decimal
    upnl_pcnt: Decimal
    roe_pcnt: Decimal


def figures(pos: Position, mark: Decimal) -> Figures:
    """The derived numbers of ``pos`` at ``mark``."""
    mult = CONTRACTS[pos.symbol].multiplier
    cost = pos.entry * pos.qty * mult
    mark_value = mark * pos.qty * mult
    upnl = mark_value - cost
    maint = abs(mark_value) * MMR
    liq = bankrupt = ZERO
    if pos.qty:
        inv = 1 / pos.leverage
        sign = 1 if pos.qty > 0 else -1
        bankrupt = (pos.entry * (1 - sign * inv)).quantize(Decimal("0.01"))
        liq = (pos.entry * (1 - sign * (inv - MMR))).quantize(Decimal("0.01"))
    real_leverage = (abs(mark_value) / pos.margin).quantize(Decimal("0.01")) if pos.margin else ZERO
    pcnt = (upnl / abs(cost)).quantize(Decimal("0.0001")) if cost else ZERO
    roe = (upnl / pos.margin).quantize(Decimal("0.0001")) if pos.margin else ZERO
    return Figures(cost, mark_value, upnl, maint, liq, bankrupt, real_leverage, pcnt, roe)


def position_mark_data(pos: Position, mark: Decimal, now_ms: int) -> dict[str, Any]:
    """The reduced ``position.change`` payload of a mark-price move (JSON numbers)."""
    f = figures(pos, mark)
    return {
        "markPrice": num(mark),
        "markValue": num(f.mark_value),
        "maintMargin": num(f.maint),
        "realLeverage": num(f.real_leverage),
        "unrealisedPnl": num(f.upnl),
        "unrealisedRoePcnt": num(f.roe_pcnt),
        "unrealisedPnlPcnt": num(f.upnl_pcnt),
        "delevPercentage": num(_delev(f)),
        "currentTimestamp": now_ms,
        "settleCurrency": "USDT",
        "changeReason": "markPriceChange",
    }


def _delev(f: Figures) -> Decimal:
    if f.upnl_pcnt <= 0:
        return ZERO
    return min(Decimal(1), f.upnl_pcnt).quantize(Decimal("0.01"))


def position_data(pos: Position, mark: Decimal, now_ms: int) -> dict[str, Any]:
    """The full ``position.change`` payload (also the REST position shape), JSON numbers."""
    f = figures(pos, mark)
    data: dict[str, Any] = {
        "symbol": pos.symbol,
        "crossMode": pos.margin_mode == "CROSS",
        "delevPercentage": num(_delev(f)),
        "openingTimestamp": pos.opened_ns // 1_000_000,
        "currentTimestamp": now_ms,
        "currentQty": pos.qty,
        "currentCost": num(f.cost),
        "currentComm": num(pos.comm),
        "unrealisedCost": num(f.cost),
        "realisedGrossCost": num(-pos.realised_gross),
        "realisedCost": num(-pos.realised),
        "isOpen": pos.qty != 0,
        "markPrice": num(mark),
        "markValue": num(f.mark_value),
        "posCost": num(f.cost),
        "posInit": num(pos.margin),
        "realisedGrossPnl": num(pos.realised_gross),
        "realisedPnl": num(pos.realised),
        "unrealisedPnl": num(f.upnl),
        "unrealisedPnlPcnt": num(f.upnl_pcnt),
        "unrealisedRoePcnt": num(f.roe_pcnt),
        "avgEntryPrice": num(pos.entry),
        "liquidationPrice": num(f.liq),
        "bankruptPrice": num(f.bankrupt),
        "settleCurrency": "USDT",
        "marginMode": pos.margin_mode,
        "positionSide": "BOTH",
        "leverage": num(pos.leverage),
    }
    # Cross positions carry the maintenance figures too (KuCoin's changelog of
    # 2025-03-28) but not the isolated-only margin fields: a live cross push of 2025-09
    # has no posMargin (PROTOCOL.md §0).
    data["maintMarginReq"] = num(MMR)
    data["posMaint"] = num(f.maint)
    if pos.margin_mode == "ISOLATED":
        data.update(
            {
                "posMargin": num(pos.margin),
                "autoDeposit": False,
                "riskLimit": 100000,
                "realLeverage": num(f.real_leverage),
                "posCross": 0,
                "posComm": num(pos.comm),
                "posLoss": 0,
                "posFunding": num(pos.funding),
                "maintMargin": num(f.maint),
                "riskLimitLevel": 1,
            }
        )
    data["changeReason"] = "positionChange"
    return data


def pro_position_data(pos: Position, mark: Decimal, now_ns: int) -> dict[str, Any]:
    """The Pro ``position`` payload ``d`` (strings, ns times)."""
    f = figures(pos, mark)
    return {
        "pi": pos.id,
        "s": pos.symbol,
        "mM": pos.margin_mode,
        "q": str(pos.qty),
        "eP": fmt(pos.entry),
        "pV": fmt(abs(f.mark_value)),
        "mP": fmt(mark),
        "lP": fmt(f.liq),
        "bP": fmt(f.bankrupt),
        "l": fmt(pos.leverage),
        "uPL": fmt(f.upnl),
        "rPL": fmt(pos.realised),
        "iM": fmt(pos.margin),
        "mmr": fmt(MMR),
        "mtM": fmt(f.maint),
        "pM": fmt(pos.margin),
        "O": pos.opened_ns,
        "U": now_ns,
    }
