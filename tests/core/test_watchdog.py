"""The loop-lag watchdog names the topic whose subscriber blocked the loop."""

from __future__ import annotations

import asyncio
import time

import pytest

from rxkucoin import ConnectionEvent, Credentials, KucoinStreams, WsKey
from rxkucoin._watchdog import LoopWatchdog
from rxkucoin.sim import Simulator


async def test_a_stall_is_reported_once_after_the_loop_runs_again() -> None:
    loop = asyncio.get_running_loop()
    reports: list[tuple[float, str | None, bool]] = []
    busy: list[str] = []

    def on_block(seconds: float, what: str | None) -> None:
        reports.append((seconds, what, asyncio.get_running_loop() is loop))

    watchdog = LoopWatchdog(
        loop,
        describe=lambda: busy[-1] if busy else None,
        on_block=on_block,
        threshold=0.2,
        interval=0.02,
    )
    watchdog.start()
    try:
        await asyncio.sleep(0.1)
        busy.append("/spotMarket/tradeOrdersV2")
        end = time.monotonic() + 1.0
        while time.monotonic() < end:  # a subscriber that holds the loop (busy, not asleep)
            pass
        busy.clear()
        async with asyncio.timeout(5):
            while not reports:
                await asyncio.sleep(0.02)
        await asyncio.sleep(0.3)  # an ordinary loop afterwards: nothing more to say
    finally:
        watchdog.stop()
    assert len(reports) == 1
    seconds, what, on_loop = reports[0]
    assert seconds > 0.2 and what == "/spotMarket/tradeOrdersV2" and on_loop


async def test_a_subscriber_that_holds_the_loop_is_named_in_a_blocked_event(
    sim: Simulator, creds: Credentials, caplog: pytest.LogCaptureFixture
) -> None:
    def slow(_: object) -> None:
        end = time.monotonic() + 1.0
        while time.monotonic() < end:  # a strategy computing on the loop
            pass

    async with KucoinStreams(creds, endpoints=sim.endpoints, blocked_threshold=0.3) as streams:
        events: list[ConnectionEvent] = []
        streams.events(WsKey.SPOT_PRIVATE_V1).subscribe(events.append)
        streams.spot_balance().subscribe(slow)
        await streams.ready(timeout=10)
        sim.engine.place_spot_order("demo", "BTC-USDT", "buy", "limit", "0.01", price="30000")
        async with asyncio.timeout(10):
            while not any(e.kind == "blocked" for e in events):
                await asyncio.sleep(0.02)
    (blocked,) = [e for e in events if e.kind == "blocked"]
    assert "/account/balance" in blocked.detail
    assert any("blocked the event loop" in r.getMessage() for r in caplog.records)
