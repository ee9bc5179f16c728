"""Many accounts in one process: what an idle connection costs (run with ``make bench``).

50 accounts, one `KucoinStreams` each, all on one event loop and one shared aiohttp session
(``http=``), each holding one topic on each of its three WsKeys (spot private, futures
private, Pro): 150 sockets. The simulator runs in a process of its own, so that nothing it
does is counted. Each measurement runs the clients in a fresh child process, so that its
RSS starts from the same state (a process does not give freed memory back, so a second
round in the same process would measure nothing):

- open: wall time from the first subscribe to every topic of every client acknowledged;
- RSS per connection: the child's resident set (``/proc/self/statm``) after the 150 sockets
  are live, minus before the first client was made (imports, loop and session already
  there), over 150;
- CPU per idle connection: the child's CPU time (every thread, ``time.process_time``) over
  ``BENCH_IDLE`` seconds (20 by default) with nothing to deliver but heartbeats (KuCoin's
  ping interval of 18 s), over 150;
- Python heap per connection: a separate child with ``tracemalloc`` on (it slows and grows
  the process, so its time and RSS are not used), allocated bytes after minus before,
  over 150.

The yardstick is the same 150 sockets opened with plain aiohttp (`Bare`). rxkucoin is
measured with the loop-lag watchdog on (the default: one thread and one loop timer shared
by the clients of the loop) and off (``blocked_threshold=None``). Nothing is asserted
about speed or size: the table is printed.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import aiohttp

from rxkucoin import (
    ConnectionEvent,
    ConnectionState,
    Credentials,
    Endpoints,
    KucoinStreams,
    WsKey,
)
from rxkucoin._frames import encode_classic_ping, encode_classic_request, encode_pro_request
from rxkucoin._rest import RestClient
from rxkucoin.sim import Simulator, demo_credentials

SEED = 5150
ACCOUNTS = int(os.environ.get("BENCH_ACCOUNTS", "50"))
IDLE = float(os.environ.get("BENCH_IDLE", "20"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
NAMES = [f"bench{i}" for i in range(ACCOUNTS)]
KEYS = (WsKey.SPOT_PRIVATE_V1, WsKey.FUTURES_PRIVATE_V1, WsKey.PRIVATE_PRO_V2)
PAGE = resource.getpagesize()


def serve() -> None:
    """The simulator's process: prints its endpoints, serves until stdin closes."""

    async def main() -> None:
        async with Simulator(seed=SEED) as sim:
            for name in NAMES:
                sim.add_account(name, balances={"USDT": "1000"}, futures_balance="1000")
            print(json.dumps(asdict(sim.endpoints)), flush=True)
            await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)

    asyncio.run(main())


def rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE


class Bare:
    """The yardstick: the same sockets with plain aiohttp, each with a token, its welcome
    and one subscribe acknowledged, then a reader and a ping every ping interval."""

    def __init__(self, http: aiohttp.ClientSession, endpoints: Endpoints) -> None:
        self.http = http
        self.endpoints = endpoints
        self.sockets: list[aiohttp.ClientWebSocketResponse] = []
        self.tasks: list[asyncio.Task[None]] = []

    async def open(self, creds: Credentials, key: WsKey) -> None:
        token = await RestClient(self.http, self.endpoints, creds).fetch_token(key)
        if key is WsKey.PRIVATE_PRO_V2:
            url, interval = f"{self.endpoints.pro_private_ws}?token={token.value}", 18.0
            request = encode_pro_request("1", "SUBSCRIBE", "orderAll", {"tradeType": "UNIFIED"})
        else:
            server = token.servers[0]
            url, interval = f"{server.endpoint}?token={token.value}", server.ping_interval_ms / 1000
            topic = (
                "/spotMarket/tradeOrdersV2"
                if key.value.startswith("spot")
                else ("/contractMarket/tradeOrders")
            )
            request = encode_classic_request("1", "subscribe", topic, private=True)
        ws = await self.http.ws_connect(url)
        await ws.receive()  # welcome
        await ws.send_str(request)
        await ws.receive()  # ack
        self.sockets.append(ws)
        loop = asyncio.get_running_loop()
        self.tasks += [loop.create_task(self._read(ws)), loop.create_task(self._ping(ws, interval))]

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for _ in ws:
            pass

    async def _ping(self, ws: aiohttp.ClientWebSocketResponse, interval: float) -> None:
        n = 0
        while True:
            await asyncio.sleep(interval)
            n += 1
            await ws.send_str(encode_classic_ping(str(n)))

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*(ws.close() for ws in self.sockets))


def measure(endpoints: dict[str, str], mode: str, trace: bool) -> None:
    """One measurement, in a child process: prints one JSON line of results."""

    async def rxkucoin(
        http: aiohttp.ClientSession, stack: contextlib.AsyncExitStack
    ) -> Callable[[], tuple[int, int]]:
        clients = []
        for name in NAMES:
            streams = KucoinStreams(
                demo_credentials(SEED, name)[0],
                endpoints=Endpoints(**endpoints),
                http=http,
                blocked_threshold=0.5 if mode == "on" else None,
            )
            clients.append(await stack.enter_async_context(streams))
        events: list[ConnectionEvent] = []
        for streams in clients:
            streams.spot_orders().subscribe()
            streams.futures_orders().subscribe()
            streams.pro_orders().subscribe()
            for key in KEYS:
                streams.events(key).subscribe(events.append)
        await asyncio.gather(*(s.ready(timeout=120) for s in clients))

        def check() -> tuple[int, int]:
            live = sum(
                s.connection(k).state.value is ConnectionState.LIVE for s in clients for k in KEYS
            )
            return live, sum(e.kind == "reconnect" for e in events)

        return check

    async def bare(
        http: aiohttp.ClientSession, stack: contextlib.AsyncExitStack
    ) -> Callable[[], tuple[int, int]]:
        sockets = Bare(http, Endpoints(**endpoints))
        stack.push_async_callback(sockets.close)
        await asyncio.gather(
            *(sockets.open(demo_credentials(SEED, n)[0], k) for n in NAMES for k in KEYS)
        )
        return lambda: (sum(not ws.closed for ws in sockets.sockets), 0)

    async def main() -> dict[str, Any]:
        # every socket holds one of the session's connections: no pool limit (aiohttp's
        # default of 100 would leave the 101st socket waiting for a free connection)
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
            gc.collect()
            if trace:
                tracemalloc.start()
            rss_before = rss()
            heap_before = tracemalloc.get_traced_memory()[0] if trace else 0
            start = time.perf_counter()
            async with contextlib.AsyncExitStack() as stack:
                check = await (bare if mode == "bare" else rxkucoin)(http, stack)
                opened = time.perf_counter() - start
                gc.collect()
                rss_live = rss()
                heap_live = tracemalloc.get_traced_memory()[0] if trace else 0
                cpu, wall = time.process_time(), time.perf_counter()
                await asyncio.sleep(0 if trace else IDLE)
                cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
                live, drops = check()
            return {
                "connections": live,
                "drops": drops,
                "open_s": opened,
                "rss_per_conn": (rss_live - rss_before) / (len(NAMES) * len(KEYS)),
                "heap_per_conn": (heap_live - heap_before) / (len(NAMES) * len(KEYS)),
                "idle_cpu_s": cpu,
                "idle_wall_s": wall,
            }

    print(json.dumps(asyncio.run(main())), flush=True)


def _child(code: str, *args: str, stdin: Any = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdin=stdin,
        stdout=subprocess.PIPE,
        text=True,
    )


def _run(endpoints: str, mode: str, trace: bool) -> dict[str, float]:
    code = (
        "import json, sys; from tests.benchmarks.test_many_accounts import measure; "
        "measure(json.loads(sys.argv[1]), sys.argv[2], sys.argv[3] == '1')"
    )
    proc = _child(code, endpoints, mode, str(int(trace)))
    out, _ = proc.communicate(timeout=IDLE + 300)
    assert proc.returncode == 0, out
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def _spread(values: list[float], fmt: str) -> str:
    ordered = sorted(values)
    return " / ".join(format(v, fmt) for v in (ordered[0], statistics.median(ordered), ordered[-1]))


def test_many_accounts_idle_cost() -> None:
    sim = _child(
        "from tests.benchmarks.test_many_accounts import serve; serve()", stdin=subprocess.PIPE
    )
    try:
        assert sim.stdout is not None
        endpoints = sim.stdout.readline().strip()
        configs = {
            "bare aiohttp sockets": "bare",
            "rxkucoin, watchdog on (default)": "on",
            "rxkucoin, watchdog off": "off",
        }
        rounds: dict[str, list[dict[str, float]]] = {name: [] for name in configs}
        heap: list[dict[str, float]] = []
        heap_bare: list[dict[str, float]] = []
        for _ in range(ROUNDS):  # interleaved, so that background load hurts both alike
            for name, mode in configs.items():
                rounds[name].append(_run(endpoints, mode, trace=False))
            heap.append(_run(endpoints, "on", trace=True))
            heap_bare.append(_run(endpoints, "bare", trace=True))
    finally:
        assert sim.stdin is not None
        sim.stdin.close()
        sim.wait(timeout=30)
    conns = ACCOUNTS * len(KEYS)
    print(
        f"\n{ACCOUNTS} accounts x {len(KEYS)} WsKeys = {conns} sockets, one loop, one shared "
        f"session, simulator in another process; {ROUNDS} rounds, each in a fresh process "
        f"(min / median / max); idle {IDLE:g} s"
    )
    print(
        "| client | open all (s) | RSS per connection (KiB) | idle CPU per connection "
        "(µs/s) | idle CPU, all (% of a core) |"
    )
    print("|---|---|---|---|---|")
    for name, results in rounds.items():
        assert all(r["connections"] == conns and r["drops"] == 0 for r in results), results
        busy = [r["idle_cpu_s"] / r["idle_wall_s"] for r in results]  # CPU s per wall s
        print(
            f"| {name} | {_spread([r['open_s'] for r in results], '.2f')} | "
            f"{_spread([r['rss_per_conn'] / 1024 for r in results], '.1f')} | "
            f"{_spread([b / conns * 1e6 for b in busy], '.0f')} | "
            f"{_spread([b * 100 for b in busy], '.1f')} |"
        )
    assert all(r["connections"] == conns for r in heap + heap_bare), (heap, heap_bare)
    print(
        "Python heap per connection (tracemalloc): rxkucoin (watchdog on) "
        f"{_spread([r['heap_per_conn'] / 1024 for r in heap], '.1f')} KiB, bare aiohttp "
        f"{_spread([r['heap_per_conn'] / 1024 for r in heap_bare], '.1f')} KiB"
    )
