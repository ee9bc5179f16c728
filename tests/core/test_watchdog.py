"""The loop-lag watchdog names the topic whose subscriber blocked the loop."""

from __future__ import annotations

import asyncio
import time

from rxkucoin._watchdog import LoopWatchdog


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
