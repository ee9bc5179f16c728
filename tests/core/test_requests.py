"""The request flow through real sockets: churn, quick re-subscribes, refusals on replay."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from typing import Any, cast

import aiohttp
import pytest
from reactivex.scheduler.eventloop import AsyncIOScheduler

from rxkucoin import Credentials, WsKey
from rxkucoin import _protocol as protocol
from rxkucoin._connection import Connection
from rxkucoin._events import ConnectionEvent, ConnectionState, Gap
from rxkucoin._registry import TopicRegistry, TopicState
from rxkucoin._requests import RequestFlow
from rxkucoin._rest import RestClient
from rxkucoin._session import Rejected, Session
from rxkucoin._topics import TopicKey, parse_topics
from rxkucoin.exceptions import SubscriptionRejected
from rxkucoin.sim import Simulator
from rxkucoin.sim._classic import ClassicSession

from .helpers import Recorder, until

SPOT = WsKey.SPOT_PRIVATE_V1
PRO = WsKey.PRIVATE_PRO_V2
ORDERS = "/spotMarket/tradeOrdersV2"
BALANCE = "/account/balance"


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(seed=23) as simulator:
        yield simulator


def connection(
    sim: Simulator, creds: Credentials, http: aiohttp.ClientSession, key: WsKey
) -> Connection:
    return Connection(
        key,
        http,
        RestClient(http, sim.endpoints, creds, timeout=2.0),
        AsyncIOScheduler(asyncio.get_running_loop()),
        credentials=creds,
        backoff=lambda attempt: 0.05,
        welcome_timeout=2.0,
        ack_timeout=5.0,
    )


def server_subscriptions(sim: Simulator) -> list[set[str]]:
    """Each open socket's server-side subscriptions."""
    return [{str(s) for s in session.subs} for session in sim._sessions_on(None)]


def watch(conn: Connection, key: TopicKey) -> tuple[Recorder, Any]:
    rec = Recorder()
    disposable = conn.stream(key, with_gaps=True).subscribe(rec.items.append, rec.errors.append)
    return rec, disposable


def spot(text: str) -> TopicKey:
    return parse_topics(SPOT, text)[0]


class _Unpaced(protocol.Pacer):
    def __init__(self, limit: int = 0, window: float = 10.0, reserve: int = 0) -> None:
        super().__init__(100_000, window, reserve)


async def test_churn_within_one_round_trip_leaves_the_server_with_exactly_the_held_topics(
    sim: Simulator,
    creds: Credentials,
    http: aiohttp.ClientSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 2,000 rounds of subscribe, dispose within a round trip: the pacing of 100 frames per
    # 10 s (tested on its own) would stretch this to minutes, so both sides lift it here.
    monkeypatch.setattr(ClassicSession, "rate_ok", lambda self: True)
    monkeypatch.setattr(protocol, "Pacer", _Unpaced)
    rng = random.Random(9)
    conn = connection(sim, creds, http, SPOT)
    events: list[ConnectionEvent] = []
    conn.events.subscribe(events.append)
    # 400 symbols: orphans forgotten by the client would pass the server's 300 cap
    pool = [spot(f"/margin/isolatedPosition:S{i}-USDT") for i in range(400)]
    steady, steady_link = watch(conn, spot(ORDERS))
    await until(lambda: conn.settled)
    errors: list[Exception] = []
    delays = [None, 0.0, 0.0005, 0.001, 0.002]  # same tick, next tick, about one round trip

    async def user(rounds: int) -> None:
        for _ in range(rounds):
            link = conn.stream(rng.choice(pool)).subscribe(on_error=errors.append)
            delay = rng.choice(delays)
            if delay is not None:
                await asyncio.sleep(delay)
            link.dispose()
            await asyncio.sleep(rng.choice([0.0, 0.0005]))

    await asyncio.gather(*(user(100) for _ in range(20)))
    kept = [conn.stream(key).subscribe(on_error=errors.append) for key in rng.sample(pool, 5)]

    registry = conn._topics
    await until(lambda: all(registry.state(k) is TopicState.LIVE for k in registry.held))
    await until(lambda: registry.in_use == len(registry.held))  # every orphan undone
    held = {str(k) for k in registry.held}
    assert len(held) == 6
    assert server_subscriptions(sim) == [held]
    assert not errors and not steady.errors
    refusals = [e for e in events if e.kind == "exception"]
    assert not [e for e in refusals if "300" in e.detail], "no 509 300-per-session"
    assert sim.stats.connections["spot"] == 1

    for link in [*kept, steady_link]:
        link.dispose()
    await until(lambda: conn.state.value is ConnectionState.CLOSED)
    await until(lambda: sim.stats.live_connections["spot"] == 0)
    assert registry.idle and not conn._requests._tasks


@pytest.mark.parametrize("delay", [None, 0.0, 0.001], ids=["same-tick", "next-tick", "1ms"])
async def test_the_last_two_topics_disposed_and_one_taken_again_at_once_stays_subscribed(
    sim: Simulator, creds: Credentials, http: aiohttp.ClientSession, delay: float | None
) -> None:
    conn = connection(sim, creds, http, SPOT)
    events: list[ConnectionEvent] = []
    conn.events.subscribe(events.append)
    _, d1 = watch(conn, spot(ORDERS))
    _, d2 = watch(conn, spot(BALANCE))
    await until(lambda: conn.settled)
    d1.dispose()
    d2.dispose()
    if delay is not None:
        await asyncio.sleep(delay)
    again, d3 = watch(conn, spot(ORDERS))
    await until(lambda: conn.settled and conn._topics.in_use == 1)
    assert server_subscriptions(sim) == [{ORDERS}]
    sim.engine.place_spot_order("demo", "BTC-USDT", "buy", "limit", "0.01", price="30000")
    await until(lambda: len(again.data) == 2)
    assert not again.errors and not again.gaps
    if delay is None or delay == 0.0:  # the unsubscribes were still unanswered: same socket
        assert sim.stats.connections["spot"] == 1
        assert "close" not in [e.kind for e in events]
    d3.dispose()


@pytest.mark.parametrize(
    ("code", "reason"),
    [(509, "exceed max permits per second"), (404, "topic is not found")],
    ids=["transient", "permanent"],
)
@pytest.mark.parametrize("key", [SPOT, PRO], ids=["classic", "pro"])
async def test_a_refusal_on_replay_keeps_the_stream_alive(
    sim: Simulator,
    creds: Credentials,
    http: aiohttp.ClientSession,
    key: WsKey,
    code: int,
    reason: str,
) -> None:
    conn = connection(sim, creds, http, key)
    events: list[ConnectionEvent] = []
    conn.events.subscribe(events.append)
    pro = {"topic": "orderAll", "payload": {"tradeType": "SPOT"}}
    topic = spot(ORDERS) if key is SPOT else parse_topics(PRO, pro)[0]
    rec, link = watch(conn, topic)
    await until(lambda: conn.settled)
    frames = sim.stats.subscribe_frames
    sim.faults.reject_next_subscribe(code, reason)
    sim.faults.drop()
    await until(lambda: len(rec.gaps) == 1 and conn.settled)
    assert sim.stats.subscribe_frames == frames + 2  # refused once, accepted on the retry
    refused = [e for e in events if e.kind == "exception"]
    assert len(refused) == 1
    assert ("for now" if code == 509 else "on replay") in refused[0].detail
    sim.engine.place_spot_order("demo", "BTC-USDT", "buy", "limit", "0.01", price="30000")
    await until(lambda: len(rec.data) >= 1)
    assert not rec.errors and conn.state.value is ConnectionState.LIVE
    assert isinstance(rec.items[0], Gap)
    link.dispose()


async def test_a_server_that_stops_answering_cannot_hold_the_last_close(
    sim: Simulator, creds: Credentials, http: aiohttp.ClientSession
) -> None:
    conn = Connection(
        SPOT,
        http,
        RestClient(http, sim.endpoints, creds, timeout=2.0),
        AsyncIOScheduler(asyncio.get_running_loop()),
        credentials=creds,
        ack_timeout=60.0,  # the unsubscribe's answer would be waited for this long
        close_timeout=0.2,
    )
    _, link = watch(conn, spot(ORDERS))
    await until(lambda: conn.settled)
    sim.faults.half_open()
    link.dispose()
    async with asyncio.timeout(10):  # far below the ack timeout
        await until(lambda: conn.state.value is ConnectionState.CLOSED)
        await until(lambda: not conn._requests._tasks)
    assert conn._topics.idle


# --- the flow on its own: a fake session whose answers the test gives -------------------


class FakeSession:
    """Records requests; each waits until the test answers it."""

    key = SPOT

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, asyncio.Future[None]]] = []

    async def request(self, kind: str, request: Any) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.sent.append((kind, request.label, future))
        await future

    def answer(self, index: int, error: Exception | None = None) -> None:
        future = self.sent[index][2]
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)


class Flow:
    """A `RequestFlow` and everything it reported."""

    def __init__(self, *, backoff: float = 0.0, close_timeout: float = 5.0) -> None:
        self.registry = TopicRegistry(backoff=lambda attempt: backoff)
        self.live: list[TopicKey] = []
        self.failed: list[tuple[TopicKey, Exception]] = []
        self.events: list[tuple[Any, ...]] = []
        self.idle = 0
        self.flow = RequestFlow(
            self.registry,
            asyncio.get_running_loop(),
            went_live=self.live.extend,
            fail_topic=lambda key, error: self.failed.append((key, error)),
            emit=lambda *args: self.events.append(args),
            on_change=lambda: None,
            on_idle=self.on_idle,
            close_timeout=close_timeout,
        )

    def on_idle(self) -> None:
        self.idle += 1


async def turns(n: int = 10) -> None:
    """Let the loop run ``n`` iterations (no timed wait)."""
    for _ in range(n):
        await asyncio.sleep(0)


async def connected(f: Flow, session: FakeSession) -> None:
    replay = asyncio.ensure_future(f.flow.replay(cast(Session, session)))
    await turns()
    for i in range(len(session.sent)):
        session.answer(i)
    await replay


async def test_flow_a_topic_released_in_flight_is_unsubscribed_on_its_ack_then_idle() -> None:
    f, session = Flow(), FakeSession()
    wallet, orders = spot(BALANCE), spot(ORDERS)
    f.flow.acquire(wallet)
    await connected(f, session)
    f.flow.acquire(orders)
    await turns()
    assert [(k, t) for k, t, _ in session.sent] == [
        ("subscribe", BALANCE),
        ("subscribe", ORDERS),
    ]
    f.flow.release(orders)
    f.flow.release(wallet)
    await turns()
    assert [(k, t) for k, t, _ in session.sent[2:]] == [("unsubscribe", BALANCE)]
    session.answer(2)
    await turns()
    assert f.idle == 0  # ORDERS is still in flight: the socket must stay
    session.answer(1)
    await turns()
    assert [(k, t) for k, t, _ in session.sent[3:]] == [("unsubscribe", ORDERS)]
    assert f.live == [wallet]  # ORDERS went live with nobody left to tell
    session.answer(3)
    await turns()
    assert f.idle == 1 and f.registry.idle and not f.flow._tasks


async def test_flow_gives_up_on_unanswered_last_unsubscribes_after_the_close_timeout() -> None:
    f, session = Flow(close_timeout=0.0), FakeSession()
    f.flow.acquire(spot(ORDERS))
    await connected(f, session)
    f.flow.release(spot(ORDERS))
    await turns()
    assert session.sent[-1][0] == "unsubscribe" and f.idle == 1
    f.flow.socket_ended(cast(Session, session))
    await f.flow.drain(cast(Session, session))
    assert not f.flow._tasks and f.registry.idle and f.idle == 1


async def test_flow_retries_refusals_and_fails_only_a_first_subscribe_refused_for_good() -> None:
    f, session = Flow(), FakeSession()
    pro = parse_topics(PRO, {"topic": "orderAll", "payload": {"tradeType": "SPOT"}})[0]
    f.flow.acquire(spot(ORDERS))
    f.flow.acquire(pro)
    replay = asyncio.ensure_future(f.flow.replay(cast(Session, session)))
    await turns()
    assert [t for _, t, _ in session.sent] == [ORDERS, str(pro)]
    session.answer(0, Rejected(404, "topic is not found"))
    session.answer(1, Rejected("400100", "exceed max permits per second"))  # Pro: reason only
    await replay
    assert [k for k, _ in f.failed] == [spot(ORDERS)]
    assert isinstance(f.failed[0][1], SubscriptionRejected) and f.failed[0][1].code == 404
    assert [e[0] for e in f.events] == ["exception"] and "for now" in f.events[0][1]
    await turns()
    assert session.sent[-1][1] == str(pro)  # asked again after the (zero) backoff
    session.answer(2)
    await turns()
    assert f.live == [pro] and f.registry.settled


async def test_flow_answers_after_the_socket_ended_are_ignored_and_tasks_drained() -> None:
    f, session = Flow(), FakeSession()
    f.flow.acquire(spot(ORDERS))
    replay = asyncio.ensure_future(f.flow.replay(cast(Session, session)))
    await turns()
    assert f.flow.socket_ended(cast(Session, session)) == set()
    assert f.flow.socket_ended(cast(Session, session)) == set()  # once only
    await f.flow.drain(cast(Session, session))
    await replay
    assert not f.flow._tasks and not f.registry.is_live(spot(ORDERS))
    again = FakeSession()
    await connected(f, again)
    assert f.registry.is_live(spot(ORDERS)) and f.live == [spot(ORDERS)]


async def test_flow_more_topics_than_a_socket_carries_fail_at_once() -> None:
    f = Flow()
    keys = [spot(f"/margin/isolatedPosition:S{i}-USDT") for i in range(301)]
    assert all(f.flow.acquire(k) for k in keys[:300])
    assert f.flow.acquire(keys[300]) is False
    assert [k for k, _ in f.failed] == [keys[300]] and not f.registry.holds(keys[300])
