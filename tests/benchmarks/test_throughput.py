"""Throughput: typed events delivered per second of receiver CPU, against a bare loop.

Run with ``make bench``. The feed is a simulator in a child process that builds N finished
frames first and then writes them at once, so every receiver is busy from the first frame
to the last and never waits for the feed (the printed "busy" fraction checks it). Every
receiver consumes the same N pushes over loopback; its cost is the CPU time of this
process while it does. Ratios are against the bare aiohttp receive loop of the same round.
Nothing is asserted about speed: the machine is shared and noisy.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import aiohttp
import pytest
from reactivex import operators as ops
from reactivex.scheduler.eventloop import AsyncIOScheduler
from reactivex.subject import Subject

from rxkucoin import Endpoints, WsKey
from rxkucoin._connection import Connection
from rxkucoin._frames import ClassicMessage, decode_classic, encode_classic_request
from rxkucoin._rest import RestClient
from rxkucoin._topics import parse_topics
from rxkucoin.keys import Dialect
from rxkucoin.models import decode_payload
from rxkucoin.sim import demo_credentials

from .feed import ACCOUNT, SEED

N = int(os.environ.get("BENCH_N", "100000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
TOPIC = "/spotMarket/tradeOrdersV2"
CREDS = demo_credentials(SEED, ACCOUNT)[0]

Result = dict[str, float]


class Feed:
    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.benchmarks.feed"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.endpoints = Endpoints(**json.loads(self.proc.stdout.readline()))

    def _say(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def prepare(self, count: int) -> None:
        """Have ``count`` frames built, before any clock starts."""
        self._say(f"prepare {count}")
        assert self.proc.stdout is not None
        while self.proc.stdout.readline().strip() != "ready":
            pass

    def blast(self) -> None:
        """Write the prepared frames to the subscribed sockets, all at once."""
        self._say("blast")

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


@pytest.fixture(scope="module")
def feed() -> Iterator[Feed]:
    f = Feed()
    yield f
    f.close()


async def measure(feed: Feed, receive: Callable[[asyncio.Future[None]], Awaitable[Any]]) -> Result:
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    cleanup = await receive(done)
    feed.prepare(N)
    cpu, wall = time.process_time(), time.perf_counter()
    feed.blast()
    await asyncio.wait_for(done, timeout=600)
    result = {"cpu": time.process_time() - cpu, "wall": time.perf_counter() - wall}
    await cleanup()
    return result


async def raw_socket(http: aiohttp.ClientSession, feed: Feed) -> aiohttp.ClientWebSocketResponse:
    token = await RestClient(http, feed.endpoints, CREDS).fetch_token(WsKey.SPOT_PRIVATE_V1)
    ws = await http.ws_connect(f"{token.servers[0].endpoint}?token={token.value}")
    await ws.receive()  # welcome
    await ws.send_str(encode_classic_request("1", "subscribe", TOPIC, private=True))
    await ws.receive()  # ack
    return ws


def bare(http: aiohttp.ClientSession, feed: Feed, work: Callable[[bytes | str], None]) -> Any:
    async def start(done: asyncio.Future[None]) -> Any:
        ws = await raw_socket(http, feed)

        async def loop() -> None:
            count = 0
            async for message in ws:
                work(message.data)
                count += 1
                if count == N:
                    done.set_result(None)
                    return

        task = asyncio.get_running_loop().create_task(loop())

        async def cleanup() -> None:
            task.cancel()
            await ws.close()

        return cleanup

    return start


def decode_only(raw: bytes | str) -> None:
    frame = decode_classic(raw)
    assert isinstance(frame, ClassicMessage)
    decode_payload(Dialect.CLASSIC, frame.topic, frame.subject, bytes(frame.data))


def naive_rx(http: aiohttp.ClientSession, feed: Feed) -> Any:
    """What a user might write: json.loads, one Subject, filter and map per topic."""
    subject: Subject[dict[str, Any]] = Subject()
    counter = {"n": 0}
    done_ref: dict[str, asyncio.Future[None]] = {}

    def on_event(_: Any) -> None:
        counter["n"] += 1
        if counter["n"] == N:
            done_ref["f"].set_result(None)

    subject.pipe(
        ops.filter(lambda m: m.get("topic") == TOPIC),
        ops.map(lambda m: m["data"]),
    ).subscribe(on_event)
    start_bare = bare(http, feed, lambda raw: subject.on_next(json.loads(raw)))

    async def start(done: asyncio.Future[None]) -> Any:
        counter["n"] = 0
        done_ref["f"] = asyncio.get_running_loop().create_future()
        cleanup = await start_bare(asyncio.get_running_loop().create_future())
        done_ref["f"].add_done_callback(lambda _: done.set_result(None))
        return cleanup

    return start


def rxkucoin_stream(http: aiohttp.ClientSession, feed: Feed, extra_topics: int) -> Any:
    async def start(done: asyncio.Future[None]) -> Any:
        rest = RestClient(http, feed.endpoints, CREDS)
        conn = Connection(
            WsKey.SPOT_PRIVATE_V1,
            http,
            rest,
            AsyncIOScheduler(asyncio.get_running_loop()),
            credentials=CREDS,
        )
        count = 0

        def on_event(_: Any) -> None:
            nonlocal count
            count += 1
            if count == N:
                done.set_result(None)

        holders = [
            conn.stream(k).subscribe()
            for i in range(extra_topics)
            for k in parse_topics(WsKey.SPOT_PRIVATE_V1, f"/margin/isolatedPosition:S{i}-USDT")
        ]
        main = conn.stream(parse_topics(WsKey.SPOT_PRIVATE_V1, TOPIC)[0]).subscribe(on_event)
        await asyncio.wait_for(_live(conn), timeout=60)

        async def cleanup() -> None:
            main.dispose()
            for h in holders:
                h.dispose()
            await asyncio.sleep(0.1)

        return cleanup

    return start


async def _live(conn: Connection) -> None:
    from rxkucoin._events import ConnectionState

    while conn.state.value is not ConnectionState.LIVE:
        await asyncio.sleep(0.01)


async def test_throughput(feed: Feed) -> None:
    async with aiohttp.ClientSession() as http:
        cases = {
            "bare aiohttp loop": bare(http, feed, lambda raw: None),
            "msgspec decode only": bare(http, feed, decode_only),
            "naive RxPY dispatch": naive_rx(http, feed),
            "rxkucoin, 1 topic": rxkucoin_stream(http, feed, 0),
            "rxkucoin, 300 topics": rxkucoin_stream(http, feed, 299),
        }
        rounds: dict[str, list[Result]] = {name: [] for name in cases}
        for _ in range(ROUNDS):  # interleaved rounds: background load hurts every receiver
            for name, start in cases.items():
                rounds[name].append(await measure(feed, start))
    print(
        f"\nthroughput over {N:,} pushes written at once, {ROUNDS} interleaved rounds; "
        "ratio = events per receiver CPU second against the bare loop of the same round "
        "(min / median / max); busy = receiver CPU / wall (near 1: the receiver, not the "
        "feed, set the pace)"
    )
    bare_rounds = rounds["bare aiohttp loop"]
    for name, results in rounds.items():
        ratios = sorted(b["cpu"] / r["cpu"] for b, r in zip(bare_rounds, results, strict=True))
        wall_rate = statistics.median(N / r["wall"] for r in results)
        busy = statistics.median(r["cpu"] / r["wall"] for r in results)
        print(
            f"  {name:24s} ratio {ratios[0]:.2f} / {statistics.median(ratios):.2f} / "
            f"{ratios[-1]:.2f}   {wall_rate:>9,.0f} events/s wall   busy {busy:.2f}"
        )
    one, many = rounds["rxkucoin, 1 topic"], rounds["rxkucoin, 300 topics"]
    per = sorted(m["cpu"] / o["cpu"] for o, m in zip(one, many, strict=True))
    print(
        f"  cost per message, 300 topics vs 1: {per[0]:.2f}x / "
        f"{statistics.median(per):.2f}x / {per[-1]:.2f}x"
    )
    assert all(r["cpu"] > 0 for results in rounds.values() for r in results)
