"""150 Pro topics through 20 socket drops: every stream alive, no refusal, one Gap per drop.

KuCoin allows 100 client frames per 10 s per socket, so each replay of 150 topics needs two
windows. To keep the test short, time is scaled tenfold on both sides: the simulator counts
frames over 1 s and the client paces over 1 s (+ its margin), 100 frames each. The rule
under test is the same: the replay after a drop, with its auth frame and pings, must stay
within the budget, or the server refuses topics (``exceed max permits per second``).
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

import pytest

from rxkucoin import ConnectionEvent, Credentials, Gap, KucoinStreams, WsKey
from rxkucoin import _protocol as protocol
from rxkucoin._pacer import WINDOW_MARGIN_S
from rxkucoin.sim import Simulator
from rxkucoin.sim._classic import Session as SimSession

SCALE = 10.0
SYMBOLS = [f"S{i}-USDT" for i in range(149)] + ["BTC-USDT"]


class _Scaled(protocol.Pacer):
    def __init__(self, limit: int = 100, window: float = 10.5, reserve: int = 0) -> None:
        super().__init__(limit, 10.0 / SCALE + WINDOW_MARGIN_S / SCALE, reserve)


def _scaled_rate_ok(self: SimSession) -> bool:
    """The simulator's 100-per-10-s count, over 1 s."""
    stamps: deque[float] = self.__dict__.setdefault("_scaled_stamps", deque())
    now = asyncio.get_running_loop().time()
    while stamps and now - stamps[0] >= 10.0 / SCALE:
        stamps.popleft()
    if len(stamps) >= 100:
        return False
    stamps.append(now)
    return True


async def test_150_pro_topics_survive_20_drops_without_a_refusal(
    sim: Simulator, creds: Credentials, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(protocol, "Pacer", _Scaled)
    monkeypatch.setattr(SimSession, "rate_ok", _scaled_rate_ok)
    async with KucoinStreams(
        creds, endpoints=sim.endpoints, backoff=lambda attempt: 0.05
    ) as streams:
        events: list[ConnectionEvent] = []
        streams.events(WsKey.PRIVATE_PRO_V2).subscribe(events.append)
        items: list[Any] = []
        errors: list[Exception] = []
        streams.pro_orders("SPOT", SYMBOLS).with_gaps().subscribe(items.append, errors.append)
        await streams.ready(timeout=30)
        conn = streams.connection(WsKey.PRIVATE_PRO_V2)
        assert len(conn.topics) == 150
        for drop in range(20):
            sim.faults.drop("pro")
            async with asyncio.timeout(30):
                while sum(isinstance(i, Gap) for i in items) < 150 * (drop + 1):
                    await asyncio.sleep(0.02)
            await streams.ready(timeout=30)
        sim.engine.place_spot_order("demo", "BTC-USDT", "buy", "limit", "0.01", price="30000")
        async with asyncio.timeout(10):
            while not any(not isinstance(i, Gap) for i in items):
                await asyncio.sleep(0.02)
    assert not errors
    refusals = [e for e in events if e.kind == "exception"]
    assert refusals == []  # no "exceed max permits", not even a retried one
    assert sum(e.kind == "reconnected" for e in events) == 20
    assert sum(isinstance(i, Gap) for i in items) == 150 * 20  # one per topic per drop
