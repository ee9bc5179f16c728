"""Gaps through the simulator: before the data, per topic, from the last item, and no leaks."""

from __future__ import annotations

import asyncio
from typing import Any

from rxkucoin import Credentials, Gap, KucoinStreams, WsKey
from rxkucoin import models as m
from rxkucoin.sim import Simulator

from .helpers import until

SPOT = WsKey.SPOT_PRIVATE_V1


def buy(sim: Simulator) -> None:
    sim.engine.place_spot_order("demo", "BTC-USDT", "buy", "limit", "0.01", price="30000")


async def test_after_every_drop_the_gap_comes_before_the_new_sockets_data(
    sim: Simulator, creds: Credentials
) -> None:
    async with KucoinStreams(creds, endpoints=sim.endpoints, backoff=lambda a: 0.0) as streams:
        items: list[Any] = []
        streams.spot_orders().with_gaps().subscribe(items.append)
        drops: list[object] = []
        streams.events(SPOT).subscribe(lambda e: drops.append(e) if e.kind == "reconnect" else None)
        await streams.ready(timeout=10)
        buy(sim)
        await until(lambda: len(items) == 2)

        def orders_since(start: int) -> int:
            return sum(isinstance(i, m.SpotOrderChange) for i in items[start:])

        for round_ in range(10):
            before = len(items)
            last = items[-1]
            sim.faults.drop("spot")
            buy(sim)  # lost with the socket: the Gap covers it
            await until(lambda: len(drops) == round_ + 1)  # noqa: B023 - the client saw the drop
            await streams.ready(timeout=10)
            buy(sim)  # on the new socket, possibly before the ack is processed
            await until(lambda: orders_since(before) >= 2)  # noqa: B023 - awaited at once
            after = items[before:]
            assert isinstance(after[0], Gap), (round_, after)
            assert sum(isinstance(i, Gap) for i in after) == 1
            assert after[0].last_item_ns == last.ts  # reconcile from the last item seen


async def test_a_topic_released_during_an_outage_leaves_no_stale_gap_behind(
    sim: Simulator, creds: Credentials
) -> None:
    async with KucoinStreams(creds, endpoints=sim.endpoints, backoff=lambda a: 0.3) as streams:
        orders: list[Any] = []
        streams.spot_orders().with_gaps().subscribe(orders.append)
        balance = streams.spot_balance().with_gaps().subscribe()
        await streams.ready(timeout=10)
        sim.faults.drop("spot")
        balance.dispose()  # released while the socket is down
        await until(lambda: len(orders) == 1)
        first = orders[0]
        await asyncio.sleep(0.5)
        sim.faults.drop("spot", how="close")
        await until(lambda: len(orders) == 2)
        second = orders[1]
        assert isinstance(first, Gap) and isinstance(second, Gap)
        assert second.start > first.start  # its own outage, not the first one's start
        assert second.cause != first.cause  # a clean close this time, a reset before


async def test_routes_of_released_topics_are_pruned(sim: Simulator, creds: Credentials) -> None:
    async with KucoinStreams(creds, endpoints=sim.endpoints) as streams:
        keep = streams.spot_orders().subscribe()
        for n in range(300):
            streams.subscribe(f"/margin/isolatedPosition:S{n}-USDT", SPOT).subscribe().dispose()
        await streams.ready(timeout=10)
        conn = streams.connection(SPOT)
        await until(lambda: len(conn.topics) == 1)
        assert len(conn.shards[0]._router.routes) == 1  # only the held topic keeps a route
        keep.dispose()
