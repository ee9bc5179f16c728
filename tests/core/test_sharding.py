"""More than 300 topics on one WsKey: further sockets (shards), KuCoin's limits, and the
local refusal when no socket may be opened (issue 11, item 4). Through real sockets to the
simulator, which refuses a 301st subscription on a socket as KuCoin does."""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections import Counter
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from reactivex.subject import BehaviorSubject, Subject
from sim.test_server_classic import expect_third_refused, open_ws
from sim.test_server_pro import NOW, flow_b
from sim.test_server_pro import subscribe as pro_subscribe
from sim.test_server_rest import FakeEngine

from rxkucoin import Credentials, KucoinStreams, WsKey
from rxkucoin import _protocol as protocol
from rxkucoin._events import ConnectionEvent, ConnectionState
from rxkucoin._shard import Shard, SocketBudget
from rxkucoin._shards import ShardSet
from rxkucoin._topics import TopicKey
from rxkucoin.exceptions import SubscriptionLimitReached, SubscriptionRejected
from rxkucoin.sim import Simulator
from rxkucoin.sim._classic import ClassicSession
from rxkucoin.sim._classic import Session as SimSession
from rxkucoin.sim._pushes import ClassicPush

from .helpers import Recorder, until

SPOT = WsKey.SPOT_PRIVATE_V1
PRO = WsKey.PRIVATE_PRO_V2
ISOLATED = "/margin/isolatedPosition"


def _position(symbol: str, principal: str = "5.01") -> ClassicPush:
    data: dict[str, Any] = {
        "tag": symbol,
        "status": "DEBT",
        "statusBizType": "DEFAULT_DEBT",
        "accumulatedPrincipal": principal,
        "changeAssets": {},
        "timestamp": 1730121097742,
    }
    return ClassicPush("demo", "spot", f"{ISOLATED}:{symbol}", "positionChange", data)


def _spot_subscriptions(sim: Simulator) -> list[set[str]]:
    """Each open spot socket's server-side subscriptions."""
    return [{str(s) for s in session.subs} for session in sim._sessions_on("spot")]


def _symbols_of(shard_topics: frozenset[Any]) -> set[str]:
    return {k.symbol for k in shard_topics}


class _Unpaced(protocol.Pacer):
    def __init__(self, limit: int = 0, window: float = 10.0, reserve: int = 0) -> None:
        super().__init__(100_000, window, reserve)


async def test_900_topics_ride_on_three_sockets_and_an_emptied_shard_closes(
    sim: Simulator, creds: Credentials
) -> None:
    async with KucoinStreams(creds, endpoints=sim.endpoints) as streams:
        events: list[ConnectionEvent] = []
        streams.events(SPOT).subscribe(events.append)
        symbols = [f"S{i}-USDT" for i in range(900)]
        recs = {s: Recorder() for s in symbols}
        subs = {
            s: streams.margin_isolated_position(s)
            .with_gaps()
            .subscribe(recs[s].on_next, recs[s].on_error)
            for s in symbols
        }
        await streams.ready(timeout=15)
        conn = streams.connection(SPOT)
        assert isinstance(conn, ShardSet)
        assert [s.held_count for s in conn.shards] == [300, 300, 300]
        assert sim.stats.live_connections["spot"] == 3
        server = _spot_subscriptions(sim)
        assert sorted(len(s) for s in server) == [300, 300, 300]
        assert set().union(*server) == {f"{ISOLATED}:{s}" for s in symbols}  # each once
        assert conn.state.value is ConnectionState.LIVE
        opened = [e.detail for e in events if e.kind == "open"]
        assert len(opened) == 3 and sum("shard #" in d for d in opened) == 2

        twice = Recorder()  # a second subscriber of a topic on a full socket shares it
        second = streams.margin_isolated_position(symbols[0]).subscribe(
            twice.on_next, twice.on_error
        )
        await streams.ready(timeout=15)
        assert len(conn.shards) == 3 and sim.stats.live_connections["spot"] == 3
        for s in symbols:
            sim.publish(_position(s))
        await until(lambda: all(len(r.items) == 1 for r in recs.values()), timeout=15)
        assert all(r.items[0].tag == s and not r.errors for s, r in recs.items())
        assert [p.tag for p in twice.items] == [symbols[0]]

        # empty the last shard: its socket closes at the simulator, the set drops it
        fetches = conn.token_fetches
        assert fetches == 3
        last = conn.shards[2]
        gone = _symbols_of(last.topics)
        assert len(gone) == 300
        for s in gone:
            subs[s].dispose()
        await until(lambda: sim.stats.live_connections["spot"] == 2 and len(conn.shards) == 2)
        assert last.state.value is ConnectionState.CLOSED
        assert conn.token_fetches == fetches  # a dropped shard's tokens still count
        assert any(e.kind == "close" and "shard #3" in e.detail for e in events)
        assert conn.state.value is ConnectionState.LIVE
        for s in symbols:
            sim.publish(_position(s, "6"))
        kept = [s for s in symbols if s not in gone]
        await until(lambda: all(len(recs[s].items) == 2 for s in kept), timeout=15)
        assert all(len(recs[s].items) == 1 for s in gone)  # nothing after the dispose

        # room again: 300 more topics open a fourth shard (#4: numbers are not reused)
        extra = [f"E{i}-USDT" for i in range(300)]
        seen = Recorder()
        extra_sub = streams.margin_isolated_position(extra).subscribe(seen.on_next, seen.on_error)
        await streams.ready(timeout=15)
        assert [s.number for s in conn.shards] == [1, 2, 4]
        assert sim.stats.live_connections["spot"] == 3
        for s in extra:
            sim.publish(_position(s))
        await until(lambda: len(seen.items) == 300, timeout=15)
        assert sorted(p.tag for p in seen.items) == sorted(extra) and not seen.errors

        # everything released: every socket closes, only the first shard stays (idle)
        extra_sub.dispose()
        second.dispose()
        for s in kept:
            subs[s].dispose()
        await until(lambda: sim.stats.live_connections["spot"] == 0, timeout=15)
        await until(lambda: len(conn.shards) == 1)
        assert conn.state.value is ConnectionState.CLOSED and not conn.topics
        assert not any(r.gaps for r in recs.values())


async def test_churn_from_threads_across_shards_loses_nothing(
    sim: Simulator, creds: Credentials, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Subscribes and disposes from four threads while 650 steady topics span three
    sockets, and 40 topics of the first socket leave (from a fifth thread) so the churn
    lands on two sockets: every steady push arrives once, and the server ends with exactly
    the held topics, each on one socket."""
    # the pacing of 100 frames per 10 s (tested on its own) would stretch the churn to
    # minutes, so both sides lift it here
    monkeypatch.setattr(ClassicSession, "rate_ok", lambda self: True)
    monkeypatch.setattr(protocol, "Pacer", _Unpaced)
    placed: Counter[int] = Counter()  # churned topics per shard number
    attach = Shard.attach

    def counting(shard: Shard, key: TopicKey, observer: Any, with_gaps: bool) -> Any:
        if key.symbol is not None and key.symbol.startswith("C"):
            placed[shard.number] += 1
        return attach(shard, key, observer, with_gaps)

    monkeypatch.setattr(Shard, "attach", counting)
    async with KucoinStreams(creds, endpoints=sim.endpoints) as streams:
        leaving = [streams.margin_isolated_position(f"Q{i}-USDT").subscribe() for i in range(40)]
        steady_symbols = [f"K{i}-USDT" for i in range(650)]
        steady = Recorder()
        streams.margin_isolated_position(steady_symbols).with_gaps().subscribe(
            steady.on_next, steady.on_error
        )
        await streams.ready(timeout=15)
        conn = streams.connection(SPOT)
        assert [s.held_count for s in conn.shards] == [300, 300, 90]
        pool = [f"C{i}-USDT" for i in range(120)]
        errors: list[Exception] = []
        kept: dict[str, Any] = {}
        lock = threading.Lock()

        def user(seed: int) -> None:
            rng = random.Random(seed)
            for _ in range(60):
                symbol = rng.choice(pool)
                link = streams.margin_isolated_position(symbol).subscribe(on_error=errors.append)
                if rng.random() < 0.5:
                    time.sleep(rng.choice([0.0, 0.0005, 0.002]))
                link.dispose()
            with lock:
                symbol = pool[seed]
                kept[symbol] = streams.margin_isolated_position(symbol).subscribe(
                    on_error=errors.append
                )

        for s in steady_symbols[:325]:  # pushes during the churn
            sim.publish(_position(s))

        def leave() -> None:
            for link in leaving:
                link.dispose()
                time.sleep(0.001)

        await asyncio.gather(
            asyncio.to_thread(leave), *(asyncio.to_thread(user, n) for n in range(4))
        )
        for s in steady_symbols[325:]:
            sim.publish(_position(s))
        await streams.ready(timeout=15)
        held = {f"{ISOLATED}:{s}" for s in [*steady_symbols, *kept]}

        def server_matches() -> bool:
            server = _spot_subscriptions(sim)
            return set().union(*server) == held and sum(map(len, server)) == len(held)

        await until(server_matches, timeout=15)  # every orphan undone, nothing twice
        assert {str(k) for k in conn.topics} == held
        await until(lambda: len(steady.items) == 650, timeout=15)
        assert sorted(p.tag for p in steady.items) == sorted(steady_symbols)
        assert not steady.gaps and not steady.errors and not errors
        assert sum(1 for shard in conn.shards for k in shard.topics if k.symbol in kept) == 4
        assert sim.stats.live_connections["spot"] == 3
        # the first socket had room only once its topics left: churn went there (and to the
        # third socket before, when the threads were quicker than the leaving)
        assert placed[1] > 0 and set(placed) <= {1, 3}, placed


async def test_pro_topics_past_300_open_a_second_signed_socket(
    sim: Simulator, creds: Credentials, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pro takes one channel per request: 400 per-symbol order topics are 400 frames, so
    the pacing (tested on its own) is lifted on both sides. The simulator refuses a 301st
    subscription on a Pro socket as on Classic; the second socket authenticates on its own."""
    monkeypatch.setattr(SimSession, "rate_ok", lambda self: True)
    monkeypatch.setattr(protocol, "Pacer", _Unpaced)
    symbols = ["BTC-USDT", *[f"P{i}-USDT" for i in range(398)], "ETH-USDT"]
    async with KucoinStreams(creds, endpoints=sim.endpoints) as streams:
        events: list[ConnectionEvent] = []
        streams.events(PRO).subscribe(events.append)
        orders = Recorder()
        streams.pro_orders("SPOT", symbols).with_gaps().subscribe(orders.on_next, orders.on_error)
        await streams.ready(timeout=15)
        conn = streams.connection(PRO)
        assert [s.held_count for s in conn.shards] == [300, 100]
        subs = [len(s.subs) for s in sim._sessions_on("pro")]
        assert sorted(subs) == [100, 300]
        assert sum(e.kind == "authenticated" for e in events) == 2
        for symbol in ("BTC-USDT", "ETH-USDT"):  # one on each socket
            sim.engine.place_spot_order("demo", symbol, "buy", "limit", "0.01", price="100")
        await until(lambda: {o.symbol for o in orders.items} == {"BTC-USDT", "ETH-USDT"})
        assert not orders.errors and not orders.gaps


async def test_no_socket_left_is_a_local_refusal_and_nothing_is_sent(
    sim: Simulator, creds: Credentials
) -> None:
    """``max_sockets`` counts every WsKey of the client: with a futures socket and a full
    spot socket, a 301st spot topic is refused locally, with words that say so."""
    async with KucoinStreams(creds, endpoints=sim.endpoints, max_sockets=2) as streams:
        events: list[ConnectionEvent] = []
        streams.events(SPOT).subscribe(events.append)
        streams.futures_orders().subscribe()
        symbols = [f"L{i}-USDT" for i in range(300)]
        subs = [streams.margin_isolated_position(s).subscribe() for s in symbols]
        await streams.ready(timeout=15)
        frames = sim.stats.subscribe_frames

        refused = Recorder()
        streams.margin_isolated_position("NEW-USDT").subscribe(refused.on_next, refused.on_error)
        (error,) = refused.errors
        assert isinstance(error, SubscriptionLimitReached)
        assert isinstance(error, SubscriptionRejected) and error.local and error.code is None
        assert "refused locally" in str(error) and "nothing was sent" in str(error)
        assert "KuCoin refused" not in str(error) and "max_sockets=2" in str(error)
        assert "1 kept for rotations" in str(error)  # rotation is on by default
        assert any(e.kind == "exception" and e.error is error for e in events)
        again = Recorder()  # another subscriber of a held topic needs no socket
        streams.margin_isolated_position(symbols[0]).subscribe(again.on_next, again.on_error)
        await asyncio.sleep(0.1)
        assert sim.stats.subscribe_frames == frames
        assert sim.stats.live_connections == {"spot": 1, "futures": 1}
        assert not again.errors

        subs[-1].dispose()  # a slot frees up: the topic fits on the first socket now
        later = Recorder()
        streams.margin_isolated_position("NEW-USDT").subscribe(later.on_next, later.on_error)
        await streams.ready(timeout=15)
        sim.publish(_position("NEW-USDT"))
        await until(lambda: len(later.items) == 1)
        assert not later.errors and len(streams.connection(SPOT).shards) == 1


async def test_a_new_shard_waits_for_the_dial_rate(sim: Simulator, creds: Credentials) -> None:
    """With two dials allowed per minute, a third socket waits until the oldest dial is a
    minute old: its topics are not settled meanwhile, then go live; one released while
    waiting is never sent."""
    offset = [0.0]
    started = time.monotonic()
    async with KucoinStreams(creds, endpoints=sim.endpoints) as streams:
        streams._budget = SocketBudget(max_dials=2, clock=lambda: time.monotonic() + offset[0])
        first = [streams.margin_isolated_position(f"A{i}-USDT").subscribe() for i in range(600)]
        await streams.ready(timeout=15)
        conn = streams.connection(SPOT)
        assert len(conn.shards) == 2
        # half a second (plus the time to the first dial) until the oldest dial is old enough
        offset[0] = 59.5 - (time.monotonic() - started)
        rec = Recorder()
        streams.margin_isolated_position("WAIT-USDT").subscribe(rec.on_next, rec.on_error)
        quitter = streams.margin_isolated_position("QUIT-USDT").subscribe()
        assert not conn.settled and len(conn.shards) == 2
        assert "WAIT-USDT" in {k.symbol for k in conn.topics}
        quitter.dispose()
        await asyncio.sleep(0.1)
        assert not conn.settled and sim.stats.live_connections["spot"] == 2
        await streams.ready(timeout=15)
        assert len(conn.shards) == 3 and sim.stats.live_connections["spot"] == 3
        assert _spot_subscriptions(sim)[2:] == [{f"{ISOLATED}:WAIT-USDT"}]
        sim.publish(_position("WAIT-USDT"))
        await until(lambda: len(rec.items) == 1)
        assert not rec.errors
        for sub in first:
            sub.dispose()


def test_socket_budget_counts_dials_in_a_sliding_window() -> None:
    now = [100.0]
    budget = SocketBudget(max_sockets=3, max_dials=2, window=60.0, clock=lambda: now[0])
    assert budget.dial_wait() == 0.0
    budget.dialed()
    now[0] = 110.0
    budget.dialed()
    assert budget.dial_wait() == pytest.approx(50.0)  # the dial at 100 leaves at 160
    now[0] = 160.0
    assert budget.dial_wait() == pytest.approx(0.0)
    budget.dialed()
    assert budget.dial_wait() == pytest.approx(10.0)  # now the one at 110
    assert budget.sockets == 0 and budget.may_open()  # no shard set joined


@pytest.mark.parametrize(("spare", "opens"), [(0, True), (1, False)])
def test_a_spare_socket_is_kept_for_rotations(spare: int, opens: bool) -> None:
    two_open = SimpleNamespace(shards=(SimpleNamespace(open=True), SimpleNamespace(open=True)))
    budget = SocketBudget(max_sockets=3, spare=spare)
    budget.join(two_open)  # type: ignore[arg-type]
    assert budget.sockets == 2 and budget.may_open() is opens


async def test_simulator_limits_new_sockets_per_minute(http: aiohttp.ClientSession) -> None:
    async with Simulator(FakeEngine(), max_dials_per_minute=2) as sim:
        creds = sim.add_account()
        for _ in range(2):
            ws = await open_ws(http, sim, creds)
            await ws.close()  # closed, but its dial still counts for a minute
        why = "exceed max connection rate limitation of 2 per minute"
        await expect_third_refused(http, sim, creds, why)
        other = await open_ws(http, sim, creds, "futures")  # per account and host
        await other.close()


async def test_a_rotation_counts_as_a_dial(creds: Credentials, sim: Simulator) -> None:
    async with KucoinStreams(creds, endpoints=sim.endpoints, max_socket_age=0.5) as streams:
        rotated: list[ConnectionEvent] = []
        streams.events(SPOT).subscribe(lambda e: rotated.append(e) if e.kind == "rotated" else 0)
        streams.spot_orders().subscribe()
        await streams.ready(timeout=10)
        assert streams._budget.recent_dials == 1
        await until(lambda: len(rotated) == 1, timeout=10)
        assert streams._budget.recent_dials == 2


class _FakeShard:
    """What a shard set reads of a shard to merge states and events."""

    def __init__(self) -> None:
        self.state: BehaviorSubject[ConnectionState] = BehaviorSubject(ConnectionState.IDLE)
        self.events: Subject[ConnectionEvent] = Subject()
        self.number = 0
        self.held_count = 0
        self.token_fetches = self.undecodable = self.bad_frames = 0
        self.reserved = False
        self.closed = False

    def close_now(self) -> list[asyncio.Task[None]]:
        self.closed = True
        return []


async def test_the_set_state_is_live_only_when_every_shard_with_a_socket_is() -> None:
    first, second = _FakeShard(), _FakeShard()
    shards = ShardSet(SPOT, lambda: first, SocketBudget())  # type: ignore[arg-type, return-value]
    seen: list[ConnectionState] = []
    events: list[ConnectionEvent] = []
    shards.state.subscribe(seen.append)
    shards.events.subscribe(events.append)
    first.state.on_next(ConnectionState.CONNECTING)
    first.state.on_next(ConnectionState.CONNECTING)  # a second attempt is told again
    first.state.on_next(ConnectionState.LIVE)
    shards._add(second)  # type: ignore[arg-type]
    second.state.on_next(ConnectionState.CONNECTING)
    second.state.on_next(ConnectionState.LIVE)
    first.state.on_next(ConnectionState.RECONNECTING)
    first.state.on_next(ConnectionState.LIVE)
    first.state.on_next(ConnectionState.CLOSED)  # emptied: the other one carries on
    second.state.on_next(ConnectionState.CLOSED)
    S = ConnectionState
    assert seen == [
        *[S.IDLE, S.CONNECTING, S.CONNECTING, S.LIVE],
        *[S.CONNECTING, S.LIVE, S.RECONNECTING, S.LIVE, S.CLOSED],
    ]
    first.events.on_next(ConnectionEvent("open", SPOT, 0.0, "topics live: 1"))
    second.events.on_next(ConnectionEvent("open", SPOT, 0.0, "topics live: 2"))
    assert [e.detail for e in events] == ["topics live: 1", "shard #2: topics live: 2"]
    assert shards._budget.recent_dials == 4  # 2 attempts of #1, 1 of #2, 1 reconnect of #1
    await asyncio.sleep(0)  # the emptied second shard is dropped, the first one stays
    assert shards.shards == (first,) and second.closed and not first.closed


async def test_simulator_refuses_a_301st_subscription_on_a_pro_socket(
    http: aiohttp.ClientSession,
) -> None:
    async with Simulator(FakeEngine(), seed=5, clock=lambda: NOW) as sim:
        ws = await flow_b(http, sim, sim.add_account())
        symbols = [f"S{i}-USDT" for i in range(301)]
        answer = await pro_subscribe(ws, "order", tradeType="SPOT", symbols=symbols[:300])
        assert answer["result"] is True
        answer = await pro_subscribe(ws, "order", "2", tradeType="SPOT", symbol=symbols[0])
        assert answer["result"] is True  # the same subscription again takes no slot
        answer = await pro_subscribe(ws, "order", "3", tradeType="SPOT", symbol=symbols[300])
        assert answer["result"] is False and "300 per session" in answer["reason"]
        await ws.close()
