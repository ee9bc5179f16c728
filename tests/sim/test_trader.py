"""The synthetic trader keeps the books consistent and every push decodable."""

from __future__ import annotations

import asyncio
from collections import Counter
from decimal import Decimal

from rxkucoin.sim._engine import Engine
from rxkucoin.sim._pushes import ClassicPush, Push
from rxkucoin.sim._trader import SyntheticTrader

from .test_engine import check_push, stepping_clock


def _engine(seed: int = 1) -> Engine:
    engine = Engine(seed=seed, clock_ns=stepping_clock())
    for name in ("alice", "bob"):
        engine.add_account(
            name,
            balances={"USDT": "100000", "BTC": "2", "ETH": "20"},
            futures_balance="20000",
        )
    return engine


def test_3000_steps_keep_invariants_and_decode() -> None:
    engine = _engine()
    pushes: list[Push] = []
    engine.listen(pushes.append)
    trader = SyntheticTrader(engine, ["alice", "bob"], seed=5)
    for n in range(3000):
        trader.step()
        if n % 500 == 0:
            assert engine.check_invariants() == []
    assert engine.check_invariants() == []
    assert trader.steps == 3000
    for push in pushes:
        check_push(push)
    kinds = Counter(
        (p.topic.partition(":")[0], p.subject, str(p.data.get("type", "")))
        if isinstance(p, ClassicPush)
        else ("pro", p.kind, "")
        for p in pushes
    )
    # every family shows up
    for key in (
        ("/spotMarket/tradeOrdersV2", "orderChange", "match"),
        ("/spotMarket/tradeOrdersV2", "orderChange", "canceled"),
        ("/spotMarket/tradeOrdersV2", "orderChange", "update"),
        ("/spotMarket/advancedOrders", "stopOrder", "received"),
        ("/contractMarket/tradeOrders", "orderChange", "filled"),
        ("/contractMarket/advancedOrders", "stopOrder", "open"),
        ("/contract/position", "position.change", ""),
        ("/contract/position", "position.settlement", ""),
        ("/margin/position", "debt.ratio", ""),
        ("pro", "execution", ""),
        ("pro", "position", ""),
    ):
        assert kinds[key] > 0, key
    assert {p.account for p in pushes} == {"alice", "bob"}
    _assert_streams_monotone(pushes)


def _assert_streams_monotone(pushes: list[Push]) -> None:
    """Per order: ts and cumulative filled size never go back; nothing follows ``done``.
    Per account: the wallet version increases by one with each wallet push."""
    last: dict[tuple[str, str], tuple[int, Decimal, str]] = {}
    versions: dict[str, int] = {}
    for p in pushes:
        if not isinstance(p, ClassicPush):
            continue
        if p.topic in ("/spotMarket/tradeOrdersV2", "/contractMarket/tradeOrders"):
            key = (p.topic, p.data["orderId"])
            ts, filled = p.data["ts"], Decimal(p.data["filledSize"])
            if key in last:
                prev_ts, prev_filled, prev_status = last[key]
                assert prev_status != "done", key
                assert ts >= prev_ts and filled >= prev_filled, key
            last[key] = (ts, filled, p.data["status"])
        elif p.topic == "/contractAccount/wallet":
            version = int(p.data["version"])
            assert version == versions.get(p.account, 0) + 1
            versions[p.account] = version


def test_same_seed_same_run() -> None:
    def run() -> list[Push]:
        engine = _engine()
        out: list[Push] = []
        engine.listen(out.append)
        trader = SyntheticTrader(engine, ["alice", "bob"], seed=9)
        for _ in range(300):
            trader.step()
        return out

    assert run() == run()


async def test_run_until_stopped() -> None:
    engine = _engine()
    trader = SyntheticTrader(engine, ["alice"], seed=2)
    stop = asyncio.Event()
    task = asyncio.create_task(trader.run(0.001, stop))
    await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(task, 1)
    assert trader.steps > 3
    assert engine.check_invariants() == []
