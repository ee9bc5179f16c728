"""Throughput and latency: typed events delivered per second, against a bare receive loop.

Run with ``make bench``. The feed is a simulator in a child process (`feed.py`).

Throughput: the feed builds N finished frames first and then writes them at once, so every
receiver is busy from the first frame to the last and never waits for the feed (the
printed ``busy``, this process's CPU time over the wall time, checks it). Every receiver
consumes the same N pushes over loopback. Ratios are events per second against the bare
aiohttp receive loop of the same round, by wall clock at the receiver and by this
process's CPU time.

Latency: the feed writes one push every 1/``BENCH_RATE`` s, stamped at its write with
CLOCK_MONOTONIC (shared by the processes of one machine); the receiver reads the same
clock when the push reaches it (the bare loop's iteration, the subscriber's ``on_next``,
the ``async for`` body).

Both print Markdown tables, as docs/benchmarks.md quotes them. Nothing is asserted about
speed: the machine is shared and noisy.
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
from decimal import Decimal
from typing import Any

import aiohttp
import msgspec
import pytest
from reactivex import operators as ops
from reactivex.subject import Subject

from rxkucoin import Endpoints, KucoinStreams, WsKey
from rxkucoin._frames import ClassicMessage, decode_classic, encode_classic_request
from rxkucoin._rest import RestClient
from rxkucoin.aio import aiter_observable
from rxkucoin.keys import Dialect
from rxkucoin.models import decode_payload
from rxkucoin.sim import demo_credentials

from .feed import ACCOUNT, SEED

N = int(os.environ.get("BENCH_N", "100000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
#: the latency benchmark's pushes per second, seconds per receiver and round, and rounds
RATE = float(os.environ.get("BENCH_RATE", "1000"))
SECONDS = float(os.environ.get("BENCH_LATENCY_S", "5"))
LATENCY_ROUNDS = int(os.environ.get("BENCH_LATENCY_ROUNDS", "3"))
#: pushes at the start of each latency run not counted (first-use costs)
WARM_UP = 100
TOPIC = "/spotMarket/tradeOrdersV2"
CREDS = demo_credentials(SEED, ACCOUNT)[0]
SYMBOLS = [f"S{i}-USDT" for i in range(299)]

Result = dict[str, float]
#: a receiver: started before the clock (its socket live, its topics acknowledged), it
#: resolves ``done`` after N pushes, and returns its cleanup
Start = Callable[[asyncio.Future[None]], Awaitable[Callable[[], Awaitable[None]]]]
#: a latency receiver: called with each push's arrival time (ns) and the push (its ts)
Stamp = Callable[[int, int], None]


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

    def _wait_for(self, word: str) -> None:
        assert self.proc.stdout is not None
        while self.proc.stdout.readline().strip() != word:
            pass

    def prepare(self, count: int, topic: str = TOPIC) -> None:
        """Have ``count`` frames of ``topic`` built, before any clock starts."""
        self._say(f"prepare {count} {topic}")
        self._wait_for("ready")

    def blast(self) -> None:
        """Write the prepared frames to the subscribed sockets, all at once."""
        self._say("blast")

    def pace(self, count: int, rate: float) -> None:
        """Write ``count`` stamped frames, ``rate`` per second (see `feed.pace`)."""
        self._say(f"pace {count} {rate}")

    def subscribed(self, topic: str) -> int:
        """How many of the simulator's sockets hold ``topic``."""
        self._say(f"subscribed {topic}")
        assert self.proc.stdout is not None
        return int(self.proc.stdout.readline())

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


@pytest.fixture(scope="module")
def feed() -> Iterator[Feed]:
    f = Feed()
    yield f
    f.close()


def _sched() -> tuple[int, int]:
    """This thread's time on a CPU and waiting for one (ns), from the Linux scheduler."""
    try:
        with open("/proc/thread-self/schedstat") as f:
            running, runnable, _ = f.read().split()
    except OSError:  # not Linux: "asleep" is not measured
        return 0, 0
    return int(running), int(runnable)


async def measure(
    feed: Feed, receive: Start, n: int = N, topic: str = TOPIC, timeout: float = 600
) -> Result:
    """Run one receiver over ``n`` pushes of ``topic`` written at once."""
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    cleanup = await receive(done)
    await asyncio.to_thread(feed.prepare, n, topic)  # the loop keeps serving the socket
    sched, cpu, wall = _sched(), time.process_time(), time.perf_counter()
    feed.blast()
    await asyncio.wait_for(done, timeout=timeout)
    wall = time.perf_counter() - wall
    cpu = time.process_time() - cpu
    running, runnable = (after - before for after, before in zip(_sched(), sched, strict=True))
    await asyncio.to_thread(feed._wait_for, "sent")
    await cleanup()
    # asleep: the loop's thread neither ran nor waited for a CPU, i.e. it waited for frames
    return {"cpu": cpu, "wall": wall, "asleep": max(0.0, 1 - (running + runnable) / 1e9 / wall)}


class Counter:
    """Counts pushes and resolves the current run's future at the N-th."""

    def __init__(self) -> None:
        self.count = 0
        self.done: asyncio.Future[None] | None = None

    def start(self, done: asyncio.Future[None]) -> None:
        self.count, self.done = 0, done

    def __call__(self, _: object = None) -> None:
        self.count += 1
        if self.count == N and self.done is not None:
            self.done.set_result(None)


# --- baselines -------------------------------------------------------------------------


async def raw_socket(http: aiohttp.ClientSession, feed: Feed) -> aiohttp.ClientWebSocketResponse:
    token = await RestClient(http, feed.endpoints, CREDS).fetch_token(WsKey.SPOT_PRIVATE_V1)
    ws = await http.ws_connect(f"{token.servers[0].endpoint}?token={token.value}")
    await ws.receive()  # welcome
    await ws.send_str(encode_classic_request("1", "subscribe", TOPIC, private=True))
    await ws.receive()  # ack
    return ws


def bare(http: aiohttp.ClientSession, feed: Feed, work: Callable[[Any], object]) -> Start:
    """A bare aiohttp receive loop calling ``work`` on each frame's data."""

    async def start(done: asyncio.Future[None]) -> Callable[[], Awaitable[None]]:
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


class _Order(msgspec.Struct, rename="camel"):
    """The order payload typed as a user would type it by hand, decimals as `Decimal`."""

    symbol: str
    order_type: str
    side: str
    order_id: str
    type: str
    status: str
    order_time: int
    ts: int
    price: Decimal
    size: Decimal
    origin_size: Decimal
    filled_size: Decimal
    remain_size: Decimal
    canceled_size: Decimal
    client_oid: str | None = None
    match_price: Decimal | None = None
    match_size: Decimal | None = None
    trade_id: str | None = None
    liquidity: str | None = None
    fee_type: str | None = None


class _Envelope(msgspec.Struct, rename="camel"):
    type: str
    topic: str
    subject: str
    data: _Order
    user_id: str | None = None
    channel_type: str | None = None


#: one msgspec pass from the frame to the typed payload: the yardstick of a typed decode
typed_decode = msgspec.json.Decoder(_Envelope).decode


def rxkucoin_decoders(raw: bytes | str) -> None:
    """rxkucoin's own decoding, alone: the envelope, then the typed payload."""
    frame = decode_classic(raw)
    assert isinstance(frame, ClassicMessage)
    decode_payload(Dialect.CLASSIC, frame.topic, frame.subject, bytes(frame.data))


def naive_rx(http: aiohttp.ClientSession, feed: Feed) -> Start:
    """What a user might write: json.loads, one Subject, filter and map per topic."""
    subject: Subject[dict[str, Any]] = Subject()
    counter = Counter()
    subject.pipe(
        ops.filter(lambda m: m.get("topic") == TOPIC),
        ops.map(lambda m: m["data"]),
    ).subscribe(counter)
    start_bare = bare(http, feed, lambda raw: subject.on_next(json.loads(raw)))

    async def start(done: asyncio.Future[None]) -> Callable[[], Awaitable[None]]:
        counter.start(done)
        return await start_bare(asyncio.get_running_loop().create_future())

    return start


# --- rxkucoin, through its public API --------------------------------------------------


def rxkucoin_subscribe(feed: Feed, extra_topics: int = 0) -> Start:
    """``streams.spot_orders().subscribe(on_next)``, with ``extra_topics`` idle
    isolated-margin topics held on the same socket."""

    async def start(done: asyncio.Future[None]) -> Callable[[], Awaitable[None]]:
        streams = await KucoinStreams(CREDS, endpoints=feed.endpoints).__aenter__()
        held = []
        if extra_topics:
            held.append(streams.margin_isolated_position(SYMBOLS[:extra_topics]).subscribe())
        counter = Counter()
        counter.start(done)
        held.append(streams.spot_orders().subscribe(counter))
        await streams.ready(timeout=60)

        async def cleanup() -> None:
            for h in held:
                h.dispose()
            await streams.aclose()

        return cleanup

    return start


def rxkucoin_async_for(feed: Feed) -> Start:
    """``async for order in aiter_observable(streams.spot_orders())``."""

    async def start(done: asyncio.Future[None]) -> Callable[[], Awaitable[None]]:
        streams = await KucoinStreams(CREDS, endpoints=feed.endpoints).__aenter__()
        orders = await aiter_observable(streams.spot_orders()).__aenter__()  # subscribes
        await streams.ready(timeout=60)

        async def consume() -> None:
            count = 0
            async for _ in orders:
                count += 1
                if count == N:
                    done.set_result(None)
                    return

        task = asyncio.get_running_loop().create_task(consume())

        async def cleanup() -> None:
            task.cancel()
            await orders.aclose()
            await streams.aclose()

        return cleanup

    return start


def _spread(values: list[float], fmt: str) -> str:
    values = sorted(values)
    return " / ".join(format(v, fmt) for v in (values[0], statistics.median(values), values[-1]))


async def test_throughput(feed: Feed) -> None:
    async with aiohttp.ClientSession() as http:
        cases: dict[str, Start] = {
            "bare aiohttp loop": bare(http, feed, lambda raw: None),
            "`json.loads` loop": bare(http, feed, json.loads),
            "msgspec typed decode (one pass, `Decimal`)": bare(http, feed, typed_decode),
            "rxkucoin's decoders alone": bare(http, feed, rxkucoin_decoders),
            "naive RxPY dispatch": naive_rx(http, feed),
            "rxkucoin `subscribe`, 1 topic": rxkucoin_subscribe(feed),
            "rxkucoin `subscribe`, 300 topics": rxkucoin_subscribe(feed, len(SYMBOLS)),
            "rxkucoin `async for`, 1 topic": rxkucoin_async_for(feed),
        }
        rounds: dict[str, list[Result]] = {name: [] for name in cases}
        for _ in range(ROUNDS):  # interleaved rounds: background load hurts every receiver
            for name, start in cases.items():
                rounds[name].append(await measure(feed, start))
    bare_rounds = rounds["bare aiohttp loop"]
    lines = [
        f"throughput: {N:,} pushes written at once, {ROUNDS} interleaved rounds; ratios "
        "against the bare loop of the same round (min / median / max)",
        "",
        "| receiver | ratio, wall clock | ratio, CPU time | events/s (wall, median) | busy "
        "| asleep |",
        "|---|---|---|---|---|---|",
    ]
    for name, results in rounds.items():
        pairs = list(zip(bare_rounds, results, strict=True))
        wall = _spread([b["wall"] / r["wall"] for b, r in pairs], ".2f")
        cpu = _spread([b["cpu"] / r["cpu"] for b, r in pairs], ".2f")
        rate = statistics.median(N / r["wall"] for r in results)
        busy = statistics.median(r["cpu"] / r["wall"] for r in results)
        asleep = max(r["asleep"] for r in results)
        lines.append(f"| {name} | {wall} | {cpu} | {rate:,.0f} | {busy:.2f} | {asleep:.2f} |")
    one, many = rounds["rxkucoin `subscribe`, 1 topic"], rounds["rxkucoin `subscribe`, 300 topics"]
    per = _spread([m["cpu"] / o["cpu"] for o, m in zip(one, many, strict=True)], ".2f")
    lines += ["", f"CPU cost per message, 300 topics versus 1 topic (min / median / max): {per}"]
    print("\n" + "\n".join(lines))
    assert all(r["cpu"] > 0 and r["wall"] > 0 for results in rounds.values() for r in results)


# --- latency ---------------------------------------------------------------------------


def bare_stamped(http: aiohttp.ClientSession, feed: Feed, stamp: Stamp) -> Callable[[], Any]:
    async def start() -> Callable[[], Awaitable[None]]:
        ws = await raw_socket(http, feed)

        async def loop() -> None:
            async for message in ws:
                now = time.monotonic_ns()  # first: reading the stamp is not the loop's cost
                stamp(now, json.loads(message.data)["data"]["ts"])

        task = asyncio.get_running_loop().create_task(loop())

        async def cleanup() -> None:
            task.cancel()
            await ws.close()

        return cleanup

    return start


def rxkucoin_stamped(feed: Feed, stamp: Stamp, iterate: bool) -> Callable[[], Any]:
    async def start() -> Callable[[], Awaitable[None]]:
        streams = await KucoinStreams(CREDS, endpoints=feed.endpoints).__aenter__()
        task: asyncio.Task[None] | None = None
        if iterate:
            orders = await aiter_observable(streams.spot_orders()).__aenter__()

            async def consume() -> None:
                async for order in orders:
                    stamp(time.monotonic_ns(), order.ts or 0)

            task = asyncio.get_running_loop().create_task(consume())
            held = orders.close
        else:
            sub = streams.spot_orders().subscribe(
                lambda order: stamp(time.monotonic_ns(), order.ts or 0)
            )
            held = sub.dispose
        await streams.ready(timeout=60)

        async def cleanup() -> None:
            held()
            if task is not None:
                task.cancel()
            await streams.aclose()

        return cleanup

    return start


async def latencies(feed: Feed, make: Callable[[Stamp], Callable[[], Any]]) -> list[int]:
    """Arrival minus stamp (ns) of every paced push after the warm-up."""
    count = WARM_UP + int(RATE * SECONDS)
    seen: list[int] = []
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def stamp(now: int, ts: int) -> None:
        seen.append(now - ts)
        if len(seen) == count and not done.done():
            done.set_result(None)

    cleanup = await make(stamp)()
    feed.pace(count, RATE)
    await asyncio.wait_for(done, timeout=SECONDS * 10 + 30)
    await asyncio.to_thread(feed._wait_for, "sent")
    await cleanup()
    return seen[WARM_UP:]


def _pct(values: list[int], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] / 1000  # µs


async def test_latency(feed: Feed) -> None:
    async with aiohttp.ClientSession() as http:
        cases: dict[str, Callable[[Stamp], Callable[[], Any]]] = {
            "bare aiohttp loop": lambda s: bare_stamped(http, feed, s),
            "rxkucoin `subscribe`": lambda s: rxkucoin_stamped(feed, s, iterate=False),
            "rxkucoin `async for`": lambda s: rxkucoin_stamped(feed, s, iterate=True),
        }
        rounds: dict[str, list[list[int]]] = {name: [] for name in cases}
        for _ in range(LATENCY_ROUNDS):
            for name, make in cases.items():
                rounds[name].append(await latencies(feed, make))
    bare_rounds = rounds["bare aiohttp loop"]
    lines = [
        f"latency at {RATE:,.0f} pushes/s, {SECONDS:g} s per receiver and round, "
        f"{LATENCY_ROUNDS} interleaved rounds: the feed's write to the receiver's hands "
        "(p50 and p99 of every round's pushes together; ratios round by round, "
        "min / median / max)",
        "",
        "| receiver | p50 (µs) | p99 (µs) | p50 / bare p50 | p99 / bare p99 |",
        "|---|---|---|---|---|",
    ]
    for name, results in rounds.items():
        pooled = [v for r in results for v in r]
        pairs = list(zip(bare_rounds, results, strict=True))
        r50 = _spread([_pct(r, 0.5) / _pct(b, 0.5) for b, r in pairs], ".2f")
        r99 = _spread([_pct(r, 0.99) / _pct(b, 0.99) for b, r in pairs], ".2f")
        lines.append(
            f"| {name} | {_pct(pooled, 0.5):,.0f} | {_pct(pooled, 0.99):,.0f} | {r50} | {r99} |"
        )
    print("\n" + "\n".join(lines))
    assert all(min(r) > 0 for results in rounds.values() for r in results)
