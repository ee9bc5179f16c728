"""Reconnect time and memory, the rest of DESIGN.md's yardstick (run with ``make bench``).

- reconnect: from a dropped socket to every one of 300 topics acknowledged again;
- memory per idle topic (tracemalloc, 299 topics on one socket, simulator in the same
  process): client-side bytes (allocations with no simulator frame in their traceback) and
  both sides; through the public typed stream method, one subscriber per topic
  (``margin_isolated_position(sym).subscribe()``) and one stream of all 299 symbols
  (``margin_isolated_position(symbols).subscribe()``), and below it, `Connection.streams`;
- churn: `BENCH_TOPICS` (10^5) distinct topics subscribed 299 at a time, acknowledged and
  released: traced bytes left afterwards compared with before (after a warm-up);
- growth: allocated memory after `BENCH_PUSHES` (10^6) pushes compared with after the first
  tenth of them.

Times and bytes are printed, never asserted.
"""

from __future__ import annotations

import asyncio
import gc
import os
import statistics
import time
import tracemalloc
from collections.abc import Callable

from reactivex import abc

from rxkucoin import ConnectionEvent, KucoinStreams, WsKey
from rxkucoin._topics import parse_topics
from rxkucoin.sim import Simulator
from rxkucoin.sim._pushes import ClassicPush

from .feed import order_push

SPOT = WsKey.SPOT_PRIVATE_V1
SYMBOLS = [f"S{i}-USDT" for i in range(299)]
TOPICS = int(os.environ.get("BENCH_TOPICS", "100000"))
PUSHES = int(os.environ.get("BENCH_PUSHES", "1000000"))
#: allocations made for the simulator (its frames anywhere in the traceback) are not the client's
_NOT_SIM = tracemalloc.Filter(False, "*/rxkucoin/sim/*", all_frames=True)
#: allocated on a simulator line (a one-frame trace)
_SIM_LINE = tracemalloc.Filter(False, "*/rxkucoin/sim/*")
#: the depth of traceback that filter needs: the simulator's handlers sit below aiohttp's server
_FRAMES = 40


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


async def _idle_topics(
    s: KucoinStreams, subscribe: Callable[[list[str]], list[abc.DisposableBase]], tag: str
) -> tuple[float, float]:
    """Bytes per idle topic while 299 topics are held: (client-side, both sides)."""
    symbols = [f"{tag}{i}-USDT" for i in range(len(SYMBOLS))]
    warm = subscribe([f"W{tag}{i}-USDT" for i in range(len(SYMBOLS))])  # tables at full size
    await s.ready()
    for d in warm:
        d.dispose()
    await asyncio.sleep(0.2)
    gc.collect()
    tracemalloc.start(_FRAMES)
    before = tracemalloc.take_snapshot().filter_traces([_NOT_SIM])
    total_before = tracemalloc.get_traced_memory()[0]
    held = subscribe(symbols)
    await s.ready()
    gc.collect()
    after = tracemalloc.take_snapshot().filter_traces([_NOT_SIM])
    total = tracemalloc.get_traced_memory()[0] - total_before
    tracemalloc.stop()
    client = sum(d.size_diff for d in after.compare_to(before, "filename"))
    for d in held:
        d.dispose()
    await asyncio.sleep(0.2)
    return client / len(symbols), total / len(symbols)


async def test_memory_per_idle_topic() -> None:
    async with Simulator(seed=2) as sim:
        creds = sim.add_account("bench")
        # No loop-lag watchdog: under tracemalloc, 299 subscribes hold the loop long enough
        # for its warning, and the first logging call fills ABC caches (~37 KB, once) that
        # would be counted as ~125 B per topic. The watchdog holds nothing per topic.
        async with KucoinStreams(creds, endpoints=sim.endpoints, blocked_threshold=None) as s:
            s.spot_orders().subscribe()
            await s.ready()
            each = await _idle_topics(
                s, lambda syms: [s.margin_isolated_position(x).subscribe() for x in syms], "E"
            )
            one = await _idle_topics(
                s, lambda syms: [s.margin_isolated_position(syms).subscribe()], "O"
            )
            conn = s.connection(SPOT)

            def grouped(syms: list[str]) -> list[abc.DisposableBase]:
                keys = parse_topics(SPOT, "/margin/isolatedPosition:" + ",".join(syms))
                return [conn.streams(keys).subscribe()]

            group = await _idle_topics(s, grouped, "G")
    print(
        f"\nmemory per idle topic, 299 topics, one margin_isolated_position(sym).subscribe() "
        f"each: {each[0]:,.0f} B client-side "
        f"({each[1]:,.0f} B with the simulator's)"
    )
    print(
        f"memory per idle topic, one margin_isolated_position(299 symbols).subscribe(): "
        f"{one[0]:,.0f} B client-side "
        f"({one[1]:,.0f} B with the simulator's)"
    )
    print(
        f"memory per idle topic, 299 symbols through Connection.streams (no merge): "
        f"{group[0]:,.0f} B client-side ({group[1]:,.0f} B with the simulator's)"
    )


async def test_memory_left_after_distinct_topics_released() -> None:
    rounds = -(-TOPICS // len(SYMBOLS))
    async with Simulator(seed=3) as sim:
        creds = sim.add_account("bench")
        async with KucoinStreams(creds, endpoints=sim.endpoints) as s:
            conn = s.connection("spotPrivateV1")

            async def one_round(tag: str) -> None:
                held = [
                    s.margin_isolated_position(f"{tag}X{i}-USDT").subscribe()
                    for i in range(len(SYMBOLS))
                ]
                await s.ready(timeout=60)
                for d in held:
                    d.dispose()
                async with asyncio.timeout(60):
                    while not conn.shards[0]._topics.idle or conn.shards[0]._link is not None:
                        await asyncio.sleep(0.005)

            for n in range(3):  # warm-up: first-use allocations, tables at full size
                await one_round(f"W{n}")
            gc.collect()
            tracemalloc.start()
            before = tracemalloc.take_snapshot()
            start = time.perf_counter()
            half = before
            for n in range(rounds):
                await one_round(f"R{n}")
                if n == rounds // 2 - 1:
                    gc.collect()
                    half = tracemalloc.take_snapshot()
            elapsed = time.perf_counter() - start
            await asyncio.sleep(0.5)  # the last sockets' closes
            gc.collect()
            after = tracemalloc.take_snapshot()
            tracemalloc.stop()
    diff = after.compare_to(before, "filename")
    left = sum(d.size_diff for d in diff)
    # one frame per trace here (deep ones would slow the churn tenfold): allocations made
    # on a simulator line are the simulator's, the rest is counted as the client's
    # (and the snapshot taken half way is tracemalloc's own)
    sim_lines = [_SIM_LINE, tracemalloc.Filter(False, tracemalloc.__file__)]
    client = sum(
        d.size_diff
        for d in after.filter_traces(sim_lines).compare_to(
            before.filter_traces(sim_lines), "filename"
        )
    )
    second_half = sum(
        d.size_diff
        for d in after.filter_traces(sim_lines).compare_to(
            half.filter_traces(sim_lines), "filename"
        )
    )
    topics = rounds * len(SYMBOLS)
    print(
        f"\nmemory left after {topics:,} distinct topics subscribed and released "
        f"({rounds} rounds of {len(SYMBOLS)}, one socket per round, {elapsed:.0f} s): "
        f"{client / 1024:+,.0f} KiB outside the simulator's lines "
        f"({client / topics:+.2f} B per topic), {left / 1024:+,.0f} KiB with them; "
        f"outside the simulator's lines, the second half of the rounds added "
        f"{second_half / 1024:+,.0f} KiB"
    )
    for d in diff[:5]:
        print(f"    {d.size_diff / 1024:+,.1f} KiB  {d.traceback[0].filename}")


async def test_memory_growth_over_pushes() -> None:
    async with Simulator(seed=2) as sim:
        creds = sim.add_account("bench")
        async with KucoinStreams(creds, endpoints=sim.endpoints) as s:
            count = 0
            received = 0

            def seen(_: object) -> None:
                nonlocal received
                received += 1

            s.spot_orders().subscribe(seen)
            await s.ready()

            async def push(n: int) -> None:
                nonlocal count
                for i in range(n):
                    sim.publish(_retarget(order_push(i, "bench")))
                    if i % 500 == 499:
                        await asyncio.sleep(0)
                count += n
                # measure once everything sent was received: a backlog still in the
                # simulator's queue or the socket is not growth
                async with asyncio.timeout(600):
                    while received < count:
                        await asyncio.sleep(0.05)

            gc.collect()
            tracemalloc.start()
            await push(PUSHES // 10)
            gc.collect()
            early = tracemalloc.get_traced_memory()[0]
            await push(PUSHES - PUSHES // 10)
            gc.collect()
            late = tracemalloc.get_traced_memory()[0]
            tracemalloc.stop()
    print(
        f"\nmemory after {count:,} pushes vs after {PUSHES // 10:,}: "
        f"{(late - early) / 1024:+,.0f} KiB (simulator and client in one process)"
    )


def _retarget(push: ClassicPush) -> ClassicPush:
    return ClassicPush("bench", push.host, push.topic, push.subject, push.data)
