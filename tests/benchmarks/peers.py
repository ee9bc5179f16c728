"""rxkucoin against its peers on the same feed: ``make bench-peers``.

Not part of ``make test``, ``make bench`` or CI: it needs ccxt and the official SDK
(``kucoin-universal-sdk``), which ``make bench-peers`` installs in a venv of its own
(``.venv-peers``), and runs ``python -m tests.benchmarks.peers`` there.

The feed is the throughput benchmark's (`feed.py`, a simulator in another process that
writes N pre-built spot order pushes at once). Each receiver, unmodified and configured
only through its public options, fetches its token from the simulator's REST host,
connects to the simulator's socket, subscribes the spot order topic and handles every
push its own way; the clock stops at the N-th push handed to user code:

- bare aiohttp loop and rxkucoin ``spot_orders().subscribe``: as in the throughput table;
- ccxt pro (``ccxt.pro.kucoin``): ``watch_orders()`` in a loop, counting the orders it
  returns (ccxt subscribes the v1 topic ``/spotMarket/tradeOrders``: the feed writes
  the same pushes under that topic for it). Its REST hosts are set to the simulator in
  ``urls["api"]``, its markets are given with ``set_markets`` and ``options["uta"]`` is
  set to False (ccxt would otherwise load both over REST from the simulator, which does
  not serve them), and ``ordersLimit`` is N so its order cache keeps every order;
- the official SDK (``new_spot_private_ws().order_v2``), REST hosts set with
  ``ClientOptionBuilder``, reconnection off and a read buffer of N messages (the default
  1,024 would drop pushes: the SDK reports a full buffer and goes on), counting callbacks.
  It reads and calls back on threads of its own; its CPU time is the whole process's.

Nothing goes beyond loopback. Ratios are within one run, round by round (interleaved).
``BENCH_N`` (default 20,000) and ``BENCH_ROUNDS`` (default 3) set the size.
"""

from __future__ import annotations

import os

os.environ.setdefault("BENCH_N", "20000")
os.environ.setdefault("BENCH_ROUNDS", "3")
# requests and websocket-client honour proxy variables: loopback must never go through one
for _name in ("NO_PROXY", "no_proxy"):
    os.environ[_name] = "127.0.0.1,localhost,::1"

import asyncio  # noqa: E402
import statistics  # noqa: E402
import threading  # noqa: E402
import warnings  # noqa: E402
from collections.abc import Awaitable, Callable  # noqa: E402
from typing import Any  # noqa: E402

import aiohttp  # noqa: E402
import ccxt  # noqa: E402
import ccxt.pro  # noqa: E402

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from kucoin_universal_sdk.api.client import DefaultClient
    from kucoin_universal_sdk.model.client_option import ClientOptionBuilder
    from kucoin_universal_sdk.model.transport_option import TransportOptionBuilder
    from kucoin_universal_sdk.model.websocket_option import (
        WebSocketClientOptionBuilder,
        WebSocketEvent,
    )

from .test_throughput import (  # noqa: E402
    CREDS,
    ROUNDS,
    TOPIC,
    Feed,
    N,
    Result,
    Start,
    _spread,
    bare,
    measure,
    rxkucoin_subscribe,
)

V1 = "/spotMarket/tradeOrders"

BTC_USDT = {
    "id": "BTC-USDT",
    "symbol": "BTC/USDT",
    "base": "BTC",
    "quote": "USDT",
    "baseId": "BTC",
    "quoteId": "USDT",
    "type": "spot",
    "spot": True,
    "active": True,
    "precision": {"amount": 0.00000001, "price": 0.1},
    "limits": {},
}


async def until_subscribed(feed: Feed, topic: str) -> None:
    """Wait until a socket of the simulator holds ``topic`` (a peer's ack is its own)."""
    for _ in range(600):
        if await asyncio.to_thread(feed.subscribed, topic):
            return
        await asyncio.sleep(0.05)
    raise TimeoutError(f"no socket subscribed {topic}")


def ccxt_pro(feed: Feed) -> Start:
    async def start(done: asyncio.Future[None]) -> Callable[[], Awaitable[None]]:
        exchange = ccxt.pro.kucoin(
            {
                "apiKey": CREDS.api_key,
                "secret": CREDS.api_secret,
                "password": CREDS.api_passphrase,
                "options": {"uta": False, "ordersLimit": N},
                "asyncio_loop": asyncio.get_running_loop(),
            }
        )
        spot, futures = feed.endpoints.spot_rest, feed.endpoints.futures_rest
        exchange.urls["api"] = {
            name: futures if name.startswith("futures") else spot for name in exchange.urls["api"]
        }
        exchange.set_markets([exchange.safe_market_structure(BTC_USDT)])

        async def watch() -> None:
            total = 0
            while total < N:
                total += len(await exchange.watch_orders())
            done.set_result(None)

        task = asyncio.get_running_loop().create_task(watch())
        await until_subscribed(feed, V1)

        async def cleanup() -> None:
            task.cancel()
            await exchange.close()

        return cleanup

    return start


def official_sdk(feed: Feed, problems: list[str]) -> Start:
    async def start(done: asyncio.Future[None]) -> Callable[[], Awaitable[None]]:
        loop = asyncio.get_running_loop()
        count = 0
        lock = threading.Lock()

        def on_order(topic: str, subject: str, event: Any) -> None:
            nonlocal count
            with lock:
                count += 1
                if count == N:
                    loop.call_soon_threadsafe(done.set_result, None)

        def on_event(event: WebSocketEvent, message: str, error: str) -> None:
            if event in (WebSocketEvent.EVENT_READ_BUFFER_FULL, WebSocketEvent.EVENT_CLIENT_FAIL):
                problems.append(f"{event.name} {message} {error}")

        ws_option = (
            WebSocketClientOptionBuilder()
            .with_reconnect(False)
            .with_read_message_buffer(N + 1024)
            .with_event_callback(on_event)
            .build()
        )
        option = (
            ClientOptionBuilder()
            .set_key(CREDS.api_key)
            .set_secret(CREDS.api_secret)
            .set_passphrase(CREDS.api_passphrase)
            .set_spot_endpoint(feed.endpoints.spot_rest)
            .set_futures_endpoint(feed.endpoints.futures_rest)
            .set_broker_endpoint(feed.endpoints.spot_rest)
            .set_transport_option(TransportOptionBuilder().build())
            .set_websocket_client_option(ws_option)
            .build()
        )
        spot = DefaultClient(option).ws_service().new_spot_private_ws()
        await asyncio.to_thread(spot.start)
        await asyncio.to_thread(spot.order_v2, on_order)  # returns once acknowledged

        async def cleanup() -> None:
            await asyncio.to_thread(spot.stop)

        return cleanup

    return start


async def main() -> None:
    feed = Feed()
    problems: list[str] = []
    try:
        async with aiohttp.ClientSession() as http:
            cases: dict[str, tuple[Start, str]] = {
                "bare aiohttp loop": (bare(http, feed, lambda raw: None), TOPIC),
                "rxkucoin `subscribe`": (rxkucoin_subscribe(feed), TOPIC),
                "ccxt pro `watch_orders`": (ccxt_pro(feed), V1),
                "official SDK `order_v2`": (official_sdk(feed, problems), TOPIC),
            }
            rounds: dict[str, list[Result]] = {name: [] for name in cases}
            for _ in range(ROUNDS):
                for name, (start, topic) in cases.items():
                    rounds[name].append(await measure(feed, start, topic=topic, timeout=300))
    finally:
        feed.close()
    bare_rounds, rx_rounds = rounds["bare aiohttp loop"], rounds["rxkucoin `subscribe`"]
    lines = [
        f"peers: {N:,} spot order pushes written at once, {ROUNDS} interleaved rounds "
        f"(ccxt {ccxt.__version__}, kucoin-universal-sdk {_sdk_version()}); "
        "ratios by wall clock, round by round (min / median / max)",
        "",
        "| receiver | events/s (wall, median) | ratio to bare loop | rxkucoin is this many "
        "times faster | busy |",
        "|---|---|---|---|---|",
    ]
    for name, results in rounds.items():
        rate = statistics.median(N / r["wall"] for r in results)
        to_bare = _spread(
            [b["wall"] / r["wall"] for b, r in zip(bare_rounds, results, strict=True)], ".2f"
        )
        faster = _spread(
            [r["wall"] / x["wall"] for x, r in zip(rx_rounds, results, strict=True)], ".1f"
        )
        busy = statistics.median(r["cpu"] / r["wall"] for r in results)
        lines.append(f"| {name} | {rate:,.0f} | {to_bare} | {faster} | {busy:.2f} |")
    if problems:
        lines += ["", "problems reported by the official SDK:", *problems[:10]]
    print("\n".join(lines))


def _sdk_version() -> str:
    from importlib.metadata import version

    return version("kucoin-universal-sdk")


if __name__ == "__main__":
    asyncio.run(main())
