"""Nothing of a topic is kept once its last subscriber left: registry, router, caches,
requests (issue 11, item 3). Sizes of the structures are asserted, not bytes: the bytes are
`tests/benchmarks/test_reconnect_memory.py`'s."""

from __future__ import annotations

import asyncio
from typing import Any

from reactivex import Observer

from rxkucoin import Credentials, KucoinStreams, WsKey
from rxkucoin._connection import Connection
from rxkucoin._router import MAX_CACHED
from rxkucoin._routes import SinkGroup, TopicSink
from rxkucoin._shards import ShardSet
from rxkucoin._topics import parse_topics
from rxkucoin.sim import Simulator
from rxkucoin.sim._pushes import ClassicPush

from .helpers import Recorder, until

SPOT = WsKey.SPOT_PRIVATE_V1
ISOLATED = "/margin/isolatedPosition"
#: symbols held at once: under the 300 topics one socket may carry, with the anchor
ROUND = 299


def _position(symbol: str) -> ClassicPush:
    data: dict[str, Any] = {
        "tag": symbol,
        "status": "DEBT",
        "statusBizType": "DEFAULT_DEBT",
        "accumulatedPrincipal": "5.01",
        "changeAssets": {},
        "timestamp": 1730121097742,
    }
    return ClassicPush("demo", "spot", f"{ISOLATED}:{symbol}", "positionChange", data)


def _assert_only(conn: Connection, held: set[str]) -> None:
    """``conn`` keeps per-topic state of ``held`` topics and of nothing else."""
    registry, router, flow = conn._topics, conn._router, conn._requests
    assert {str(k) for k in registry._entries} == held
    assert {str(k) for k in registry.held} == held
    assert registry._held_count == len(held)
    assert {str(k) for k in registry._reported} <= held
    assert {str(k) for k in router.routes} == held
    cached = {str(r.key) for routes in router._cache.values() for r in routes}
    assert cached <= held
    assert len(router._cache) <= MAX_CACHED and len(router._decoders) <= MAX_CACHED
    assert not flow._tasks  # no request left running
    session = conn._session
    if session is not None:
        assert session._protocol.pending == 0


async def _round(streams: KucoinStreams, conn: ShardSet, symbols: list[str]) -> None:
    """Subscribe every symbol's topic (one subscriber each), wait for the acks, release."""
    subs = [streams.margin_isolated_position(s).subscribe() for s in symbols]
    await streams.ready(timeout=30)
    assert len(conn.topics) >= len(symbols)
    for sub in subs:
        sub.dispose()


async def test_ten_thousand_topics_subscribed_and_released_leave_nothing(
    sim: Simulator, creds: Credentials
) -> None:
    """10^4 distinct topics, 299 at a time on a socket that closes when each round is
    released: afterwards the connection holds no trace of any of them."""
    async with KucoinStreams(creds, endpoints=sim.endpoints) as streams:
        conn = streams.connection(SPOT)
        total = 0
        for n in range(34):
            symbols = [f"R{n}X{i}-USDT" for i in range(ROUND)]
            await _round(streams, conn, symbols)
            await until(lambda: conn.shards[0]._topics.idle, timeout=30)
            total += len(symbols)
            _assert_only(conn.shards[0], set())
        assert total >= 10_000
        first = conn.shards[0]
        await until(lambda: not first._requests._active and first._link is None, timeout=10)
        assert conn.state.value.value == "closed"


async def test_topics_released_on_a_live_socket_with_pushes_leave_nothing(
    sim: Simulator, creds: Credentials
) -> None:
    """With an anchor topic keeping the socket open, topics that received pushes, topics
    released before their acknowledgement and a topic taken by two subscribers are all
    forgotten once released; the anchor's state is all that stays."""
    async with KucoinStreams(creds, endpoints=sim.endpoints) as streams:
        anchor = Recorder()
        streams.spot_orders().subscribe(anchor.on_next, anchor.on_error)
        await streams.ready(timeout=10)
        conn = streams.connection(SPOT)
        kept = {"/spotMarket/tradeOrdersV2"}
        for n in range(4):
            symbols = [f"L{n}X{i}-USDT" for i in range(ROUND)]
            seen = Recorder()
            subs = [
                streams.margin_isolated_position(s).subscribe(seen.on_next, seen.on_error)
                for s in symbols
            ]
            twice = streams.margin_isolated_position(symbols[0]).with_gaps().subscribe()
            await streams.ready(timeout=30)
            for symbol in symbols[:50]:
                sim.publish(_position(symbol))
            await until(lambda seen=seen: len(seen.items) == 50, timeout=30)  # type: ignore[misc]
            assert {p.tag for p in seen.items} == set(symbols[:50])
            for sub in subs:
                sub.dispose()
            await until(lambda: len(conn.shards[0]._topics._entries) == 2, timeout=30)
            twice.dispose()  # the last subscriber of a topic two streams held
            # released while their subscribe is still in flight: unsubscribed on the ack
            quick = [
                streams.margin_isolated_position(f"Q{n}X{i}-USDT").subscribe() for i in range(20)
            ]
            await asyncio.sleep(0)
            for sub in quick:
                sub.dispose()
            await until(lambda: len(conn.shards[0]._topics._entries) == 1, timeout=30)
            _assert_only(conn.shards[0], kept)
        # the anchor still works
        sim.engine.place_spot_order("demo", "BTC-USDT", "buy", "limit", "0.01", price="30000")
        await until(lambda: len(anchor.items) >= 1, timeout=10)
        assert not anchor.errors


async def test_a_sink_is_its_subscriptions_disposable_and_releases_once(
    sim: Simulator, creds: Credentials
) -> None:
    """A subscriber's disposable is its sink: disposing it twice releases the topic once,
    and a subscriber disposed from another thread is released on the loop."""
    async with KucoinStreams(creds, endpoints=sim.endpoints) as streams:
        conn = streams.connection(SPOT)
        first = streams.margin_isolated_position("A-USDT").subscribe()
        second = streams.margin_isolated_position("A-USDT").subscribe()
        await streams.ready(timeout=10)
        (route,) = conn.shards[0]._router.routes.values()
        assert all(isinstance(s, TopicSink) for s in route.data)
        first.dispose()
        first.dispose()
        assert len(route.data) == 1 and conn.shards[0]._topics.holds(route.key)
        await asyncio.to_thread(second.dispose)
        await until(lambda: conn.shards[0]._topics.idle, timeout=10)
        _assert_only(conn.shards[0], set())


async def test_one_subscriber_of_several_topics_has_one_sink_per_topic(
    sim: Simulator, creds: Credentials
) -> None:
    """`Connection.streams`: one subscriber of many topics gets each topic's pushes through
    a sink per topic (no merge layer), and one dispose releases every topic."""
    async with KucoinStreams(creds, endpoints=sim.endpoints) as streams:
        conn = streams.connection(SPOT)
        symbols = [f"M{i}-USDT" for i in range(ROUND)]
        keys = [k for s in symbols for k in parse_topics(SPOT, f"{ISOLATED}:{s}")]
        seen = Recorder()
        sub = conn.streams(keys, with_gaps=True).subscribe(seen.on_next, seen.on_error)
        await streams.ready(timeout=30)
        assert len(conn.topics) == ROUND
        assert all(len(r.full) == 1 and not r.data for r in conn.shards[0]._router.routes.values())
        for symbol in symbols[::30]:
            sim.publish(_position(symbol))
        await until(lambda: len(seen.items) == len(symbols[::30]), timeout=10)
        assert [p.tag for p in seen.items] == symbols[::30]
        sub.dispose()
        await until(lambda: conn.shards[0]._topics.idle, timeout=10)
        _assert_only(conn.shards[0], set())
        assert not seen.errors


async def test_a_topic_refused_for_good_errors_a_several_topic_subscriber_once(
    sim: Simulator, creds: Credentials
) -> None:
    async with KucoinStreams(creds, endpoints=sim.endpoints) as streams:
        conn = streams.connection(SPOT)
        good = parse_topics(SPOT, "/account/balance")
        bad = parse_topics(SPOT, "/spotMarket/tradeOrdersV2")  # its own frame, sent first
        seen = Recorder()
        conn.streams(good).subscribe()  # keeps the socket while the refused one goes
        await streams.ready(timeout=10)
        sim.faults.reject_next_subscribe(404, "topic does not exist")
        conn.streams([*bad, *parse_topics(SPOT, f"{ISOLATED}:OK-USDT")]).subscribe(
            seen.on_next, seen.on_error
        )
        await until(lambda: bool(seen.errors), timeout=10)
        await until(lambda: len(conn.shards[0]._topics._entries) == 1, timeout=10)
        assert len(seen.errors) == 1
        _assert_only(conn.shards[0], {"/account/balance"})


async def test_public_stream_subscribers_get_their_sink_without_wrappers(
    sim: Simulator, creds: Credentials
) -> None:
    """`TopicStream.subscribe` (the typed stream methods) hands the subscriber straight to
    the topic's source: callbacks and observers get their `TopicSink` (several topics: one
    `SinkGroup`) as their disposable, not RxPY's auto-detaching wrapper, and still receive
    every push and release the topic when disposed."""
    async with KucoinStreams(creds, endpoints=sim.endpoints) as streams:
        conn = streams.connection(SPOT)
        by_callback, by_observer, grouped = Recorder(), Recorder(), Recorder()
        one = streams.margin_isolated_position("A-USDT").subscribe(
            by_callback.on_next, by_callback.on_error
        )
        observer = streams.margin_isolated_position("A-USDT").subscribe(
            Observer(by_observer.on_next, by_observer.on_error)
        )
        several = streams.margin_isolated_position(["A-USDT", "B-USDT"]).subscribe(
            grouped.on_next, grouped.on_error
        )
        assert isinstance(one, TopicSink) and isinstance(observer, TopicSink)
        assert isinstance(several, SinkGroup)
        await streams.ready(timeout=10)
        sim.publish(_position("A-USDT"))
        sim.publish(_position("B-USDT"))
        await until(lambda: len(grouped.items) == 2 and len(by_observer.items) == 1, timeout=10)
        await until(lambda: len(by_callback.items) == 1, timeout=10)
        assert [p.tag for p in grouped.items] == ["A-USDT", "B-USDT"]
        for sub in (one, observer, several):
            sub.dispose()
        await until(lambda: conn.shards[0]._topics.idle, timeout=10)
        _assert_only(conn.shards[0], set())
        assert not (by_callback.errors or by_observer.errors or grouped.errors)
