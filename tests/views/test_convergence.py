"""Issue 10's first "done when": every live view converges to the simulator's truth.

100 seeded runs of random activity and random faults on the three private WsKeys (see
`tests.views.convergence`): at quiescence each view's value must equal, in every field, the
engine's own state. The test prints one line (runs, pushes, faults fired, views compared,
entities compared, divergences) and each divergence with its seed. ``CONVERGENCE_SEEDS=5,17``
runs only those seeds, to replay a divergence.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import time
from collections.abc import Iterator
from typing import Any

import pytest
from blockbuster import blockbuster_ctx
from core.helpers import until

from rxkucoin import KucoinStreams
from rxkucoin.sim import Engine, Simulator
from views.convergence import CASES, Divergence, Tally, run_once, simulator

RUNS = 100

#: Divergences reported to the lead, each with its reason. Only the exact mismatch
#: described is excused here; anything else in the same view still fails the main test.
FUNDING = (
    "reported: funding changes a position's realised PnL with no Pro position push and no "
    "new REST updateTime, and a snapshot stamped with the last push's own time loses to it"
)
SAME_MS = (
    "reported: a REST order is stamped with its lastUpdatedAt/updatedAt in ms, which sorts "
    "before every push of that ms, so a lost push in the same ms as a seen one is never "
    "corrected by a check"
)


def _only_realised_pnl(d: Divergence) -> bool:
    if d.view != "UTA positions" or d.shown is None or d.truth is None:
        return False
    same: bool = dataclasses.replace(d.shown, realised_pnl=d.truth.realised_pnl) == d.truth
    return same


def _known(d: Divergence) -> bool:
    return _only_realised_pnl(d)


def _seeds() -> list[int]:
    chosen = os.environ.get("CONVERGENCE_SEEDS")
    if chosen:
        return [int(s) for s in chosen.split(",")]
    return list(range(RUNS))


async def _all_runs(seeds: list[int]) -> Tally:
    tally = Tally()
    with blockbuster_ctx("rxkucoin"):  # as every async test runs (tests/conftest.py)
        async with simulator() as sim:
            for seed in seeds:
                await run_once(sim, seed, tally)
    return tally


@pytest.fixture(scope="module")
def convergence() -> Iterator[Tally]:
    """The runs, once for every test of this module."""
    seeds = _seeds()
    tally = asyncio.run(_all_runs(seeds))
    print(f"\n{tally.line()}")
    for divergence in tally.divergences:
        print(f"  {divergence}{'  (known)' if _known(divergence) else ''}")
    yield tally


def test_every_view_converges_to_the_engine_truth(convergence: Tally) -> None:
    tally = convergence
    assert tally.errors == []
    assert tally.runs == len(_seeds())
    # every view of both accounts (the classic one has no UTA balances), every run
    assert tally.views == tally.runs * (2 * len(CASES) - 1)
    assert tally.pushes > tally.runs * 100
    if tally.runs >= RUNS:  # the faults really fired, of every kind
        assert set(tally.fault_kinds) == {"drop", "stall", "token", "lose", "duplicate", "reorder"}
        assert tally.faults > tally.runs * 3
    assert [d for d in tally.divergences if not _known(d)] == []


@pytest.mark.xfail(strict=True, reason=FUNDING)
def test_uta_positions_follow_funding(convergence: Tally) -> None:
    assert [d for d in convergence.divergences if _only_realised_pnl(d)] == []


# ---------------------------------------------------------------------------- found by the runs


class _OneMillisecond:
    """An engine clock that moves 1 µs per reading: what follows happens within one ms."""

    def __init__(self) -> None:
        self.ns = time.time_ns() // 1_000_000 * 1_000_000

    def __call__(self) -> int:
        self.ns += 1_000
        return self.ns


@pytest.mark.xfail(strict=True, reason=SAME_MS)
@pytest.mark.parametrize("family", ["spot", "futures"])
async def test_a_fill_lost_in_the_ms_of_the_open_is_corrected_by_the_check(family: str) -> None:
    clock = _OneMillisecond()
    async with Simulator(engine=Engine(seed=1, clock_ns=clock)) as sim:
        creds = sim.add_account("a", balances={"USDT": "100000"}, futures_balance="10000")
        engine = sim.engine
        async with KucoinStreams(creds, endpoints=sim.endpoints) as streams:
            view = streams.open_orders(family, check_every=0.1)  # type: ignore[arg-type]
            async with view:
                book: dict[str, Any]
                if family == "spot":
                    oid = engine.place_spot_order("a", "BTC-USDT", "buy", "limit", "0.01", "50000")
                    await until(lambda: oid in view.value)
                    sim.faults.drop_next(1)  # the match on /spotMarket/tradeOrdersV2 (the
                    # only push of the fill this client subscribed to)
                    engine.fill_spot_order("a", oid, "0.004")
                    book = engine._spot_open
                else:
                    oid = engine.place_futures_order("a", "XBTUSDTM", "buy", 5, "50000", 2)
                    await until(lambda: oid in view.value)
                    sim.faults.drop_next(1)  # the match on /contractMarket/tradeOrders
                    engine.fill_futures_order("a", oid, 2)
                    book = engine._futures_open
                clock.ns += 50_000_000
                checks = view.resyncs_done
                await until(lambda: view.resyncs_done >= checks + 2)
                assert view.value[oid].filled_size == book[oid].filled
