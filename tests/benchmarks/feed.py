"""A simulator in its own process that blasts order pushes on command, faster than any
receiver can take them.

Run by the throughput benchmark: it prints one JSON line with the simulator's endpoints,
then serves commands on stdin. ``prepare N [TOPIC]`` builds N spot order pushes to the
account ``bench`` (on ``/spotMarket/tradeOrdersV2``, or TOPIC, e.g. the v1 topic ccxt
subscribes) as finished WebSocket frames and prints ``ready``; ``blast`` writes them all at
once to every socket subscribed to that topic and prints ``sent``. The frames are
built before the receiver's clock starts and handed to the kernel in one write, so the
receiver never waits for the feed: the benchmark measures the receiver, not the feed.
Keeping the feed in another process means the receiver's CPU time measures only the
receiving side.

``pace N RATE`` is the latency benchmark's feed: N order pushes, one every 1/RATE s on a
fixed schedule, each stamped just before its write with ``time.monotonic_ns()`` in its
``ts`` field (CLOCK_MONOTONIC, one clock for every process of the machine), so that the
receiver's ``time.monotonic_ns()`` minus ``ts`` is the time from the feed's write to the
receiver's hands. It prints ``sent`` after the last one.

``subscribed TOPIC`` prints how many sockets hold TOPIC (a peer client's readiness).
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
import time
from dataclasses import asdict

from rxkucoin.sim import Simulator
from rxkucoin.sim._pushes import ClassicPush

TOPIC = "/spotMarket/tradeOrdersV2"

SEED = 4242
ACCOUNT = "bench"
#: bytes (the kernel caps it at net.core.wmem_max, and doubles it)
SEND_BUFFER = 4 << 20


def order_push(i: int, user: str, topic: str = TOPIC) -> ClassicPush:
    return ClassicPush(
        account=ACCOUNT,
        host="spot",
        topic=topic,
        subject="orderChange",
        data={
            "symbol": "BTC-USDT",
            "orderType": "limit",
            "side": "buy" if i % 2 else "sell",
            "orderId": f"{i:024x}",
            "clientOid": f"bench-{i}",
            "type": "match",
            "status": "match",
            "orderTime": 1730211033305,
            "ts": 1730211033335000000 + i,
            "price": "50000.5",
            "size": "0.01",
            "originSize": "0.01",
            "filledSize": "0.005",
            "remainSize": "0.005",
            "canceledSize": "0",
            "matchPrice": "50000.5",
            "matchSize": "0.005",
            "tradeId": str(10_000_000 + i),
            "liquidity": "taker",
            "feeType": "takerFee",
        },
    )


def ws_frame(payload: bytes) -> bytes:
    """One unmasked server-to-client WebSocket text frame (RFC 6455 §5.2)."""
    size = len(payload)
    if size < 126:
        header = bytes((0x81, size))
    elif size < 1 << 16:
        header = bytes((0x81, 126)) + size.to_bytes(2, "big")
    else:
        header = bytes((0x81, 127)) + size.to_bytes(8, "big")
    return header + payload


def _subscribed(sim: Simulator, topic: str = TOPIC) -> list[asyncio.Transport]:
    return [
        session.transport
        for session in sim._sessions_on("spot")
        if topic in session.subs and not session.closed and session.transport is not None
    ]


async def pace(sim: Simulator, count: int, rate: float) -> None:
    """Write ``count`` pushes on a schedule of ``rate`` per second, each stamped at its write."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    for i in range(count):
        delay = start + i / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        push = order_push(i, ACCOUNT)
        push.data["ts"] = time.monotonic_ns()
        frame = ws_frame(sim._classic_envelope(push))
        for transport in _subscribed(sim):
            transport.write(frame)


async def main() -> None:
    async with Simulator(seed=SEED) as sim:
        sim.add_account(ACCOUNT)
        print(json.dumps(asdict(sim.endpoints)), flush=True)
        reader = asyncio.StreamReader()
        loop = asyncio.get_running_loop()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        frames, topic = b"", TOPIC
        while line := (await reader.readline()).decode().strip():
            command, *args = line.split()
            if command == "prepare":
                count, topic = int(args[0]), args[1] if len(args) > 1 else TOPIC
                frames = b"".join(
                    ws_frame(sim._classic_envelope(order_push(i, ACCOUNT, topic)))
                    for i in range(count)
                )
                print("ready", flush=True)
            elif command == "blast":
                for transport in _subscribed(sim, topic):
                    # the kernel's largest send buffer: the feed refills it in few, large
                    # writes, so it needs the CPU seldom while the receiver drains it
                    sock = transport.get_extra_info("socket")
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)
                    # the simulator's writer is idle: the frames go straight to the kernel
                    transport.write(frames)
                print("sent", flush=True)
            elif command == "subscribed":  # how many sockets hold the topic
                print(len(_subscribed(sim, args[0])), flush=True)
            elif command == "pace":
                await pace(sim, int(args[0]), float(args[1]))
                print("sent", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
