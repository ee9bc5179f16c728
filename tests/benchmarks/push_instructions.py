"""Instructions per push from the socket reader to a subscriber: a count that noise cannot move.

Run: ``.venv/bin/python -m tests.benchmarks.push_instructions`` (needs ``valgrind``). On a
shared machine CPU times move by a factor of two from run to run; the number of
instructions executed does not, so it shows what a change to the hot path buys.

It runs this file twice under ``valgrind --tool=cachegrind``, with ``SMALL`` and ``LARGE``
pushes, and prints the difference in instructions divided by the difference in pushes:
what one more push costs, without start-up (imports, the loop, the frames). Each run feeds
a `Session` (the asyncio reader) from a fake socket that hands over the throughput
benchmark's frame (a spot ``orderChange`` match push, 64 variants in turn) as aiohttp would
when frames are buffered; the session's `Protocol` decodes the envelope, the `Router`
decodes the payload and delivers it to one plain subscriber of the order topic. Not
measured: aiohttp's own receive (the bare loop's cost) and the Rx layers above the sink.
Instructions are not time (a cache miss costs more than an add), but on this path, CPU-bound
Python, fewer instructions has meant less CPU time.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator

import aiohttp

from rxkucoin._protocol import Protocol
from rxkucoin._router import Router
from rxkucoin._routes import Sink
from rxkucoin._session import Session
from rxkucoin._topics import TopicKey
from rxkucoin.keys import WsKey
from rxkucoin.sim._server import _encode

from .feed import ACCOUNT, order_push
from .hotpath import Count

KEY = WsKey.SPOT_PRIVATE_V1
SMALL, LARGE = 2_000, 20_000


class _Message:
    __slots__ = ("data", "type")

    def __init__(self, data: str) -> None:
        self.type = aiohttp.WSMsgType.TEXT
        self.data = data


class _Socket:
    """Hands ``count`` buffered frames over, then ends as a server's clean close would."""

    close_code = 1000

    def __init__(self, count: int) -> None:
        push = [order_push(i, ACCOUNT) for i in range(64)]
        self._frames = [
            _Message(
                _encode(
                    {
                        "type": "message",
                        "topic": p.topic,
                        "subject": p.subject,
                        "userId": "bench",
                        "channelType": "private",
                        "data": p.data,
                    }
                ).decode()
            )
            for p in push
        ]
        self._count = count

    def __aiter__(self) -> AsyncIterator[_Message]:
        return self._frames_in_turn()

    async def _frames_in_turn(self) -> AsyncIterator[_Message]:
        for i in range(self._count):
            yield self._frames[i & 63]

    async def close(self) -> None:
        pass

    def exception(self) -> None:
        return None


async def read(count: int) -> None:
    """Push ``count`` frames through a session, a protocol and a router to one subscriber."""
    loop = asyncio.get_running_loop()
    router = Router(KEY, holds=lambda key: True, emit=lambda *a, **k: None)
    seen = Count()
    route = router.route(TopicKey(KEY, "/spotMarket/tradeOrdersV2"))
    route.data.append(Sink(seen, lambda exc: None, lambda: None))
    protocol = Protocol(KEY, loop.time(), connect_id="x", ping_interval=18.0, ping_timeout=10.0)
    protocol.receive('{"id":"x","type":"welcome"}', loop.time())
    session = Session(
        KEY,
        _Socket(count),  # type: ignore[arg-type]
        protocol,
        router.on_push,
        on_bad_frame=lambda raw, exc: None,
    )
    await asyncio.gather(session._reader, return_exceptions=True)
    session.closed.exception()  # the clean close at the end: expected
    await session.close()
    if seen.n != count:
        raise SystemExit(f"{seen.n} of {count} pushes delivered")


def instructions(count: int) -> int:
    """Instructions valgrind counted for a whole run of `read` with ``count`` pushes."""
    command = [
        "valgrind",
        "--tool=cachegrind",
        "--cache-sim=no",
        "--cachegrind-out-file=/dev/null",
        sys.executable,
        "-m",
        "tests.benchmarks.push_instructions",
        "--pushes",
        str(count),
    ]
    out = subprocess.run(command, capture_output=True, text=True, check=True, env=os.environ)
    match = re.search(r"I\s+refs:\s+([\d,]+)", out.stderr)
    if match is None:
        raise SystemExit(out.stderr[-2000:])
    return int(match.group(1).replace(",", ""))


def main() -> None:
    if sys.argv[1:2] == ["--pushes"]:
        asyncio.run(read(int(sys.argv[2])))
        return
    small, large = instructions(SMALL), instructions(LARGE)
    per_push = (large - small) / (LARGE - SMALL)
    print(
        f"instructions per push, reader to subscriber: {per_push:,.0f} "
        f"(valgrind: {small:,} for {SMALL:,} pushes, {large:,} for {LARGE:,})"
    )


if __name__ == "__main__":
    main()
