"""The simulator's account engine: the truth about balances, orders and positions.

`Engine` holds any number of accounts. Every state change (place, fill, cancel, amend,
trigger, mark move, funding, margin change) is turned into the exact sequence of private
pushes a real account would see, as `ClassicPush` and `ProEvent` records handed to the
listeners synchronously, in order. The engine knows nothing about sockets.

Model, in short:

- Spot: one trade account per user and currency (``available`` + ``hold``). A limit buy
  holds ``price * size * (1 + fee rate)`` of the quote currency (so that the fee is always
  covered), a limit sell holds ``size`` of the base currency. Fees are 0.1 % of the fill
  value, charged in the quote currency. Market orders fill at once, at the given price or
  the symbol's last price.
- Futures: USDT-margined linear contracts, one-way positions. An order holds
  ``price * size * multiplier / leverage`` of order margin; a fill moves margin to the
  position, realises PnL when it reduces a position, and charges 0.02 % (maker) or 0.06 %
  (taker) of the fill value. ``available = wallet - position margin - order margin``.
  No liquidation engine.
- Margin: only the pushes (debt ratio, status, isolated positions); balances stay spot's.
- Pro: every order, fill, balance and position change is mirrored as `ProEvent`s.

Times come from ``clock_ns`` (ns; ms fields are derived from it) and ids from a
`random.Random` seeded with ``seed``, so two engines with the same seed and clock emit
identical pushes.

The engine is assembled from one module per concept; each book is a class built on
`Ledger` and `Engine` combines them:

- `rxkucoin.sim._ledger`: the state, the accounts, spot balances and holds, the futures
  wallet, emission and the invariants;
- `rxkucoin.sim._spot`: spot orders and fills;
- `rxkucoin.sim._futures`: futures orders, fills, positions, funding, margin settings;
- `rxkucoin.sim._stops`: spot and futures stop orders and the price moves triggering them;
- `rxkucoin.sim._margin`: the cross and isolated margin pushes;
- `rxkucoin.sim._snapshots`: the REST (and Pro) snapshots;
- `rxkucoin.sim._pro_events`: the Pro ``d`` payloads the others emit.
"""

from __future__ import annotations

from ._margin import MarginPushes
from ._snapshots import Snapshots
from ._stops import StopBook

__all__ = ("Engine",)


class Engine(StopBook, MarginPushes, Snapshots):
    """The account engine: state of every simulated account and the pushes it causes.

    Args:
        seed: seeds every generated id; same seed and clock, same pushes.
        clock_ns: the clock, epoch nanoseconds; defaults to `time.time_ns`.
    """
