"""Reconnect time and memory, the rest of DESIGN.md's yardstick (run with ``make bench``).

- reconnect: from a dropped socket to every one of 300 topics acknowledged again;
- memory: bytes per idle topic subscription (tracemalloc, 300 topics);
- growth: allocated memory after 200,000 pushes compared with after the first 20,000.

Times are printed, never asserted.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import time
import tracemalloc

from rxkucoin import ConnectionEvent, KucoinStreams
from rxkucoin.sim import Simulator
from rxkucoin.sim._pushes import ClassicPush

from .feed import order_push

SYMBOLS = [f"S{i}-USDT" for i in range(299)]


async def test_reconnect_time_with_300_topics() -> None:
    async with Simulator(seed=1) as sim:
        creds = sim.add_account("bench")
        async with KucoinStreams(creds, endpoints=sim.endpoints, backoff=lambda n: 0.0) as s:
            s.spot_orders().subscribe()
            s.margin_isolated_position(SYMBOLS).subscribe()
            await s.ready()
            samples = []
            for _ in range(5):
                done = asyncio.get_running_loop().create_future()

                def on_event(e: ConnectionEvent, done: asyncio.Future[None] = done) -> None:
                    if e.kind == "reconnected" and not done.done():
                        done.set_result(None)

                sub = s.events("spotPrivateV1").subscribe(on_event)
                start = time.perf_counter()
                sim.faults.drop()
                await asyncio.wait_for(done, 30)
                samples.append(time.perf_counter() - start)
                sub.dispose()
                await s.ready()
    print(
        f"\nreconnect with 300 topics (drop to all re-acknowledged): median "
        f"{statistics.median(samples) * 1000:.1f} ms over {len(samples)} drops"
    )


async def test_memory_per_idle_subscription_and_growth() -> None:
    async with Simulator(seed=2) as sim:
        creds = sim.add_account("bench")
        async with KucoinStreams(creds, endpoints=sim.endpoints) as s:
            s.spot_orders().subscribe()
            await s.ready()
            gc.collect()
            tracemalloc.start()
            before = tracemalloc.get_traced_memory()[0]
            holders = [s.margin_isolated_position(sym).subscribe() for sym in SYMBOLS]
            await s.ready()
            gc.collect()
            per_topic = (tracemalloc.get_traced_memory()[0] - before) / len(SYMBOLS)
            for h in holders:
                h.dispose()

            count = 0
            received = 0

            def seen(_: object) -> None:
                nonlocal received
                received += 1

            s.spot_orders().subscribe(seen)

            async def push(n: int) -> None:
                nonlocal count
                for i in range(n):
                    sim.publish(_retarget(order_push(i, "bench")))
                    if i % 500 == 499:
                        await asyncio.sleep(0)
                count += n
                # measure once everything sent was received: a backlog still in the
                # simulator's queue or the socket is not growth
                async with asyncio.timeout(120):
                    while received < count:
                        await asyncio.sleep(0.05)

            await push(20_000)
            gc.collect()
            early = tracemalloc.get_traced_memory()[0]
            await push(180_000)
            gc.collect()
            late = tracemalloc.get_traced_memory()[0]
            tracemalloc.stop()
    print(
        f"\nmemory per idle topic subscription: {per_topic / 1024:.1f} KiB (both sides, in-process)"
    )
    print(
        f"memory after {count:,} pushes vs after 20,000: {(late - early) / 1024:+.0f} KiB "
        "(simulator and client in one process)"
    )


def _retarget(push: ClassicPush) -> ClassicPush:
    return ClassicPush("bench", push.host, push.topic, push.subject, push.data)
