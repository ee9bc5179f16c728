"""Where a push's microseconds go, stage by stage, without sockets (a profiling aid).

Run: ``.venv/bin/python -m tests.benchmarks.hotpath`` (``HOTPATH_N`` pushes per stage,
default 200,000). It builds the throughput benchmark's frame (a spot ``orderChange`` match
push) and times, per push, each stage of the path a Classic socket's frame takes: the
envelope decode (`decode_classic`), the protocol core (`Protocol.receive`, which includes
it and makes a `PushReceived` event), the payload decode (`decoder_for`'s function: the
blank check, then msgspec; also with the model's decimals as ``str``, to show what
`Decimal` costs), the router delivering to one counting subscriber (`Router.on_push`,
which includes the payload decode), then the whole path (`Protocol.receive` +
`Router.on_push`), with one held topic and with 300. Each figure is the best of three
passes. It is not a pytest module and asserts nothing; the honest ratios are
``test_throughput.py``'s.
"""

from __future__ import annotations

import gc
import os
import statistics
import time
import typing
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import msgspec
from reactivex import abc

from rxkucoin._frames import ClassicMessage, decode_classic
from rxkucoin._protocol import Protocol
from rxkucoin._protocol_events import PushReceived
from rxkucoin._router import Router
from rxkucoin._routes import Sink
from rxkucoin._topics import TopicKey
from rxkucoin.keys import Dialect, WsKey
from rxkucoin.models._base import has_blank, lax_decoder
from rxkucoin.models._registry import decoder_for
from rxkucoin.models.spot import SpotOrderChange
from rxkucoin.sim._server import _encode

from .feed import ACCOUNT, order_push

N = int(os.environ.get("HOTPATH_N", "200000"))
KEY = WsKey.SPOT_PRIVATE_V1


def frame_bytes(i: int) -> bytes:
    push = order_push(i, ACCOUNT)
    return _encode(
        {
            "type": "message",
            "topic": push.topic,
            "subject": push.subject,
            "userId": "bench",
            "channelType": "private",
            "data": push.data,
        }
    )


class Count(abc.ObserverBase[Any]):
    """An observer that only counts (the benchmarks' subscriber)."""

    def __init__(self) -> None:
        self.n = 0

    def on_next(self, _: Any) -> None:
        self.n += 1

    def on_error(self, _: Exception) -> None:
        pass

    def on_completed(self) -> None:
        pass


def router(extra: int) -> tuple[Router, Count]:
    held: set[TopicKey] = set()
    r = Router(KEY, holds=held.__contains__, emit=lambda *a, **k: None)
    count = Count()
    main = TopicKey(KEY, "/spotMarket/tradeOrdersV2")
    r.route(main).data.append(Sink(count, lambda e: None, lambda: None))  # type: ignore[arg-type]
    held.add(main)
    for i in range(extra):
        k = TopicKey(KEY, "/margin/isolatedPosition", f"S{i}-USDT")
        r.route(k).data.append(Sink(Count(), lambda e: None, lambda: None))  # type: ignore[arg-type]
        held.add(k)
    return r, count


def _text_numbers() -> type[msgspec.Struct]:
    """`SpotOrderChange` with ``str`` where it has `Decimal`: what decimals cost."""
    fields = [
        (f.name, str | None if Decimal in typing.get_args(f.type) else f.type, f.default)
        if not f.required
        else (f.name, f.type)
        for f in msgspec.structs.fields(SpotOrderChange)
    ]
    return msgspec.defstruct("TextNumbers", fields, kw_only=True, rename="camel")


def protocol() -> Protocol:
    p = Protocol(KEY, 0.0, connect_id="x", ping_interval=18.0, ping_timeout=10.0)
    p.receive('{"id":"x","type":"welcome"}', 0.0)
    return p


def timed(name: str, frames: list[Any], step: Callable[[Any], object]) -> float:
    for f in frames[:1000]:
        step(f)
    runs = []
    for _ in range(3):
        gc.collect()
        t = time.perf_counter()
        for f in frames:
            step(f)
        runs.append((time.perf_counter() - t) / len(frames) * 1e6)
    best = min(runs)
    print(f"  {name:50s} {best:6.2f} us  (median {statistics.median(runs):.2f})")
    return best


def main() -> None:
    texts = [frame_bytes(i).decode() for i in range(N)]
    messages = [decode_classic(t) for t in texts]
    payloads = [bytes(m.data) for m in messages if isinstance(m, ClassicMessage)]
    print(f"{N:,} pushes of {len(texts[0])} bytes, best of 3, per push:")
    timed("envelope: decode_classic", texts, decode_classic)
    p = protocol()
    timed("protocol core: Protocol.receive", texts, lambda t: p.receive(t, 1.0))
    typed = decoder_for(Dialect.CLASSIC, "/spotMarket/tradeOrdersV2", "orderChange")
    timed("payload: decoder_for(...) (blank check + decode)", payloads, typed)
    timed("  of which the blank check (has_blank)", payloads, has_blank)
    timed("  of which msgspec into SpotOrderChange", payloads, lax_decoder(SpotOrderChange))
    timed("  the same with its 9 decimals as str", payloads, lax_decoder(_text_numbers()))
    timed("push event: PushReceived(frame, raw)", messages, lambda m: PushReceived(m, ""))
    for extra in (0, 299):
        r, _ = router(extra)
        timed(f"router: Router.on_push ({extra + 1} topics)", messages, r.on_push)
    for extra in (0, 299):
        r, count = router(extra)
        p = protocol()

        def whole(t: str, p: Protocol = p, r: Router = r) -> None:
            for event in p.receive(t, 1.0):
                if type(event) is PushReceived:
                    r.on_push(event.frame)

        timed(f"whole: receive + on_push ({extra + 1} topics)", texts, whole)
        assert count.n > 0


if __name__ == "__main__":
    main()
