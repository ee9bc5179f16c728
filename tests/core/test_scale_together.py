"""Sharding (issue 11, item 4) and make-before-break rotation (item 5) together, and with
the layers above them (live views, ready(), aclose()): several shards rotating under
continuous pushes, a shard at the socket cap rotating, a shard emptied while it rotates,
and closing the client mid-rotation. Through real sockets to the simulator, which cuts
every socket after ``CUT`` seconds as KuCoin does after 24 h."""

from __future__ import annotations

import asyncio
import itertools
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from rxkucoin import Gap, KucoinStreams, WsKey
from rxkucoin import _protocol as protocol
from rxkucoin._events import ConnectionEvent, ConnectionState
from rxkucoin._shard import SocketBudget
from rxkucoin._shards import ShardSet
from rxkucoin.sim import Simulator
from rxkucoin.sim._classic import ClassicSession
from rxkucoin.sim._pro import ProSession
from rxkucoin.sim._pushes import ClassicPush

from .helpers import Recorder, until
from .test_rotation import Activity, identity, pushed_identity

SPOT = WsKey.SPOT_PRIVATE_V1
PRO = WsKey.PRIVATE_PRO_V2
ISOLATED = "/margin/isolatedPosition"
#: The simulator cuts every socket after CUT seconds; the client rotates at AGE (2% jitter).
CUT, AGE = 3.0, 1.5


def _position(symbol: str, principal: int) -> ClassicPush:
    data: dict[str, Any] = {
        "tag": symbol,
        "status": "DEBT",
        "statusBizType": "DEFAULT_DEBT",
        "accumulatedPrincipal": str(principal),
        "changeAssets": {},
        "timestamp": 1730121097742,
    }
    return ClassicPush("demo", "spot", f"{ISOLATED}:{symbol}", "positionChange", data)


class Feed:
    """Publishes one isolated-position push at a time, each with its own principal, to a
    random symbol, until stopped; remembers what it published."""

    def __init__(self, sim: Simulator, symbols: list[str], seed: int = 1) -> None:
        self.sim = sim
        self.symbols = symbols
        self.rng = random.Random(seed)
        self.numbers = itertools.count(1)
        self.published: Counter[tuple[str, Decimal]] = Counter()
        self.stopped = False

    def step(self) -> None:
        symbol = self.rng.choice(self.symbols)
        n = next(self.numbers)
        self.sim.publish(_position(symbol, n))
        self.published[(symbol, Decimal(n))] += 1

    async def run(self, pause: float = 0.003) -> None:
        while not self.stopped:
            self.step()
            await asyncio.sleep(pause)


def _identity(item: Any) -> tuple[str, Decimal]:
    return (item.tag, item.accumulated_principal)


def _rotations(events: list[ConnectionEvent]) -> Counter[str]:
    """Completed rotations per shard (``#1`` for the first shard)."""
    seen: Counter[str] = Counter()
    for e in events:
        if e.kind == "rotated":
            seen[e.detail.split(":")[0] if e.detail.startswith("shard #") else "shard #1"] += 1
    return seen


async def _two_shards_rotating(
    sim: Simulator,
    streams: KucoinStreams,
    rotations: int,
    on_event: Callable[[ConnectionEvent], None] | None = None,
) -> tuple[Recorder, Feed, list[ConnectionEvent]]:
    events: list[ConnectionEvent] = []
    streams.events(SPOT).subscribe(events.append)
    if on_event is not None:
        streams.events(SPOT).subscribe(on_event)
    symbols = [f"R{i}-USDT" for i in range(400)]
    rec = Recorder()
    streams.margin_isolated_position(symbols).with_gaps().subscribe(rec.on_next, rec.on_error)
    await streams.ready(timeout=15)
    conn = streams.connection(SPOT)
    assert isinstance(conn, ShardSet)
    assert [s.held_count for s in conn.shards] == [300, 100]
    feed = Feed(sim, symbols)
    runner = asyncio.create_task(feed.run())
    try:
        await until(
            lambda: len(r := _rotations(events)) == 2 and min(r.values()) >= rotations,
            timeout=rotations * AGE + 15,
        )
    finally:
        feed.stopped = True
        await runner
    total = feed.published.total()
    await until(lambda: len(rec.items) >= total, timeout=10)
    await asyncio.sleep(0.3)  # a duplicate would arrive now
    return rec, feed, events


async def test_two_shards_rotating_deliver_every_push_once_without_a_gap() -> None:
    async with Simulator(seed=21, ping_interval_ms=400) as sim:
        creds = sim.add_account("demo", balances={"USDT": "100000"})
        sim.faults.cut_after(CUT)
        async with KucoinStreams(creds, endpoints=sim.endpoints, max_socket_age=AGE) as streams:
            rec, feed, events = await _two_shards_rotating(sim, streams, rotations=3)
            assert rec.gaps == [] and rec.errors == []
            assert Counter(_identity(i) for i in rec.data) == feed.published
            assert [e for e in events if e.kind in ("reconnect", "rotation failed")] == []
            assert "cut" not in sim.faults.kinds()
            await until(lambda: sim.stats.live_connections["spot"] == 2)
            conn = streams.connection(SPOT)
            assert conn.state.value is ConnectionState.LIVE
            assert sorted(len(s.subs) for s in sim._sessions_on("spot")) == [100, 300]


async def test_two_shards_rotating_at_the_socket_cap_lose_nothing() -> None:
    """Three sockets allowed (client and simulator): two shards and the one spare kept for a
    rotation. Shards opened together come due together, and both rotations need the spare."""
    async with Simulator(seed=22, ping_interval_ms=400, max_sessions=3) as sim:
        creds = sim.add_account("demo", balances={"USDT": "100000"})
        sim.faults.cut_after(CUT)
        async with KucoinStreams(
            creds, endpoints=sim.endpoints, max_socket_age=AGE, max_sockets=3
        ) as streams:
            rec, feed, events = await _two_shards_rotating(sim, streams, rotations=2)
            assert rec.gaps == [] and rec.errors == []
            assert Counter(_identity(i) for i in rec.data) == feed.published
            assert "cut" not in sim.faults.kinds()
            assert [e for e in events if e.kind == "reconnect"] == []
            await until(lambda: sim.stats.live_connections["spot"] == 2)


async def test_closing_the_client_while_shards_rotate_is_bounded_and_leaves_no_socket() -> None:
    async with Simulator(seed=23, ping_interval_ms=400) as sim:
        creds = sim.add_account("demo", balances={"USDT": "100000"})
        sim.faults.cut_after(CUT)
        streams = KucoinStreams(creds, endpoints=sim.endpoints, max_socket_age=AGE)
        await streams.__aenter__()
        completed: list[bool] = []
        rotating = asyncio.Event()

        def seen(event: ConnectionEvent) -> None:
            if event.kind == "rotating" and event.detail.startswith("shard #2"):
                rotating.set()

        streams.events(SPOT).subscribe(seen)
        symbols = [f"Z{i}-USDT" for i in range(400)]
        streams.margin_isolated_position(symbols).with_gaps().subscribe(
            on_completed=lambda: completed.append(True)
        )
        await streams.ready(timeout=15)
        async with asyncio.timeout(10):
            await rotating.wait()
        started = time.monotonic()
        await streams.aclose()
        assert time.monotonic() - started <= streams.close_bound
        assert completed == [True]
        await until(lambda: sim.stats.live_connections["spot"] == 0, timeout=5)


async def test_open_orders_view_and_expect_order_on_a_rotating_second_shard() -> None:
    async with Simulator(seed=24, ping_interval_ms=400) as sim:
        creds = sim.add_account("demo", balances={"USDT": "10000000", "BTC": "10"})
        sim.faults.cut_after(CUT)
        async with KucoinStreams(creds, endpoints=sim.endpoints, max_socket_age=AGE) as streams:
            events: list[ConnectionEvent] = []
            streams.events(SPOT).subscribe(events.append)
            # 300 topics fill the first socket: the order topic goes to a second one
            filler = streams.margin_isolated_position([f"F{i}-USDT" for i in range(300)])
            filler.subscribe()
            await streams.ready(timeout=15)
            orders = Activity(sim, seed=5, fill=0.4, pause=0.01)
            view = streams.open_orders("spot")
            resyncs: list[Any] = []
            async with view:
                view.resyncs().subscribe(resyncs.append)
                await view.wait_synced(timeout=10)
                conn = streams.connection(SPOT)
                assert isinstance(conn, ShardSet) and len(conn.shards) == 2
                assert any("tradeOrdersV2" in str(k) for k in conn.shards[1].topics)
                runner = asyncio.create_task(orders.run())
                finished = 0
                try:
                    while min(_rotations(events).get(f"shard #{n}", 0) for n in (1, 2)) < 3:
                        oid = f"scale-{finished}"
                        async with streams.expect_order(
                            "spot", client_oid=oid, symbol="BTC-USDT"
                        ) as order:
                            await streams.rest.place_spot_order(
                                "BTC-USDT", "buy", "market", size="0.001", client_oid=oid
                            )
                            done = await order.done(timeout=10)
                        assert (done.status, done.source) == ("filled", "push")
                        finished += 1
                        await asyncio.sleep(0.05)
                finally:
                    orders.stopped = True
                    await runner
                await until(lambda: set(view.value) == set(orders.open), timeout=10)
                assert finished > 10
                assert resyncs == []  # no Gap, so nothing to resync
                assert view.stale_pushes == 0
            assert [e for e in events if e.kind in ("reconnect", "rotation failed")] == []
            assert "cut" not in sim.faults.kinds()


@pytest.mark.parametrize("after", [0.0, 0.02, 0.1])
async def test_a_shard_emptied_while_it_rotates_closes_both_its_sockets(after: float) -> None:
    async with Simulator(seed=25, ping_interval_ms=400) as sim:
        creds = sim.add_account("demo", balances={"USDT": "100000"})
        sim.faults.cut_after(CUT)
        async with KucoinStreams(creds, endpoints=sim.endpoints, max_socket_age=AGE) as streams:
            events: list[ConnectionEvent] = []
            streams.events(SPOT).subscribe(events.append)
            kept = [f"K{i}-USDT" for i in range(300)]
            rec = Recorder()
            streams.margin_isolated_position(kept).with_gaps().subscribe(rec.on_next, rec.on_error)
            await streams.ready(timeout=15)
            leaving = [
                streams.margin_isolated_position(f"L{i}-USDT").subscribe() for i in range(50)
            ]
            await streams.ready(timeout=15)
            conn = streams.connection(SPOT)
            assert isinstance(conn, ShardSet)
            assert [s.held_count for s in conn.shards] == [300, 50]
            second = conn.shards[1]

            def empty_on_rotating(event: ConnectionEvent) -> None:
                if event.kind == "rotating" and event.detail.startswith("shard #2"):
                    asyncio.get_running_loop().call_later(
                        after, lambda: [d.dispose() for d in leaving]
                    )

            streams.events(SPOT).subscribe(empty_on_rotating)
            feed = Feed(sim, kept)
            runner = asyncio.create_task(feed.run())
            try:
                await until(lambda: len(conn.shards) == 1, timeout=AGE + 10)
                assert second.state.value is ConnectionState.CLOSED
                await until(lambda: _rotations(events)["shard #1"] >= 2, timeout=2 * AGE + 10)
            finally:
                feed.stopped = True
                await runner
            await until(lambda: sim.stats.live_connections["spot"] == 1, timeout=5)
            (session,) = sim._sessions_on("spot")
            assert {str(s) for s in session.subs} == {f"{ISOLATED}:{s}" for s in kept}
            await streams.ready(timeout=5)
            total = feed.published.total()
            await until(lambda: len(rec.items) >= total, timeout=10)
            await asyncio.sleep(0.3)
            assert rec.gaps == [] and rec.errors == []
            assert Counter(_identity(i) for i in rec.data) == feed.published
            assert "cut" not in sim.faults.kinds()


class _Unpaced(protocol.Pacer):
    def __init__(self, limit: int = 0, window: float = 10.0, reserve: int = 0) -> None:
        super().__init__(100_000, window, reserve)


async def test_churn_from_threads_across_the_300_boundary_while_shards_rotate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the pacing of 100 frames per 10 s (tested on its own) would stretch the churn to
    # minutes, so both sides lift it here
    monkeypatch.setattr(ClassicSession, "rate_ok", lambda self: True)
    monkeypatch.setattr(protocol, "Pacer", _Unpaced)
    async with Simulator(seed=26, ping_interval_ms=400) as sim:
        creds = sim.add_account("demo", balances={"USDT": "100000"})
        sim.faults.cut_after(CUT)
        async with KucoinStreams(creds, endpoints=sim.endpoints, max_socket_age=AGE) as streams:
            events: list[ConnectionEvent] = []
            streams.events(SPOT).subscribe(events.append)
            steady_symbols = [f"K{i}-USDT" for i in range(290)]
            steady = Recorder()
            streams.margin_isolated_position(steady_symbols).with_gaps().subscribe(
                steady.on_next, steady.on_error
            )
            await streams.ready(timeout=15)
            pool = [f"C{i}-USDT" for i in range(40)]
            errors: list[Exception] = []
            kept: dict[str, Any] = {}
            lock = threading.Lock()
            stop = threading.Event()

            def user(seed: int) -> None:
                rng = random.Random(seed)
                while not stop.is_set():
                    held = [
                        streams.margin_isolated_position(s).subscribe(on_error=errors.append)
                        for s in rng.sample(pool, rng.randrange(1, 12))
                    ]
                    stop.wait(rng.choice([0.0, 0.002, 0.02]))
                    for link in held:
                        link.dispose()
                with lock:  # 4 x 4 kept: 306 held in the end, two sockets
                    for symbol in pool[seed * 4 : seed * 4 + 4]:
                        kept[symbol] = streams.margin_isolated_position(symbol).subscribe(
                            on_error=errors.append
                        )

            feed = Feed(sim, steady_symbols)
            runner = asyncio.create_task(feed.run())
            threads = [threading.Thread(target=user, args=(n,)) for n in range(4)]
            for t in threads:
                t.start()
            try:
                await until(lambda: _rotations(events)["shard #1"] >= 3, timeout=3 * AGE + 10)
            finally:
                stop.set()
                for t in threads:
                    await asyncio.to_thread(t.join)
                feed.stopped = True
                await runner
            await streams.ready(timeout=15)
            conn = streams.connection(SPOT)
            held = {f"{ISOLATED}:{s}" for s in [*steady_symbols, *kept]}

            def server_matches() -> bool:
                server = [{str(s) for s in x.subs} for x in sim._sessions_on("spot")]
                return set().union(*server) == held and sum(map(len, server)) == len(held)

            await until(server_matches, timeout=15)  # every orphan undone, nothing twice
            assert {str(k) for k in conn.topics} == held
            assert sim.stats.live_connections["spot"] == 2
            total = feed.published.total()
            await until(lambda: len(steady.items) >= total, timeout=10)
            await asyncio.sleep(0.3)
            assert steady.gaps == [] and steady.errors == [] and errors == []
            assert Counter(_identity(i) for i in steady.data) == feed.published
            assert "cut" not in sim.faults.kinds()


async def test_closing_the_client_while_a_new_shard_dials_is_bounded_and_leaves_no_socket() -> None:
    async with Simulator(seed=27, ping_interval_ms=400) as sim:
        creds = sim.add_account("demo", balances={"USDT": "100000"})
        streams = KucoinStreams(creds, endpoints=sim.endpoints, max_socket_age=AGE)
        await streams.__aenter__()
        completed: list[str] = []
        first = [f"A{i}-USDT" for i in range(300)]
        streams.margin_isolated_position(first).subscribe(
            on_completed=lambda: completed.append("first")
        )
        await streams.ready(timeout=15)
        # the second socket waits for its welcome; the simulator notices a client's close
        # only once it sends the welcome, and counts the socket until then
        sim.faults.welcome_delay(2.0)
        streams.margin_isolated_position("B-USDT").subscribe(
            on_completed=lambda: completed.append("second")
        )
        await until(lambda: sim.stats.live_connections["spot"] == 2, timeout=5)
        with pytest.raises(TimeoutError):
            await streams.ready(timeout=0.3)
        started = time.monotonic()
        await streams.aclose()
        assert time.monotonic() - started <= streams.close_bound
        assert sorted(completed) == ["first", "second"]
        await until(lambda: sim.stats.live_connections["spot"] == 0, timeout=5)


async def test_a_drop_during_a_rotation_gives_each_topic_its_gap_before_its_data() -> None:
    async with Simulator(seed=28, ping_interval_ms=400) as sim:
        creds = sim.add_account("demo", balances={"USDT": "100000"})
        async with KucoinStreams(creds, endpoints=sim.endpoints, max_socket_age=AGE) as streams:
            rotating = asyncio.Event()

            def seen(event: ConnectionEvent) -> None:
                if event.kind == "rotating" and not event.detail.startswith("shard #"):
                    rotating.set()

            streams.events(SPOT).subscribe(seen)
            symbols = [f"D{i}-USDT" for i in range(400)]
            recs = {s: Recorder() for s in symbols}
            for s in symbols:
                streams.margin_isolated_position(s).with_gaps().subscribe(
                    recs[s].on_next, recs[s].on_error
                )
            await streams.ready(timeout=15)
            async with asyncio.timeout(10):
                await rotating.wait()
            await asyncio.sleep(0.01)  # the new socket is being opened
            sim.faults.drop("spot")
            await until(lambda: all(r.gaps for r in recs.values()), timeout=15)
            await streams.ready(timeout=15)
            for n, s in enumerate(symbols):
                sim.publish(_position(s, n))
            await until(lambda: all(len(r.data) == 1 for r in recs.values()), timeout=15)
            await asyncio.sleep(0.3)
            for n, (s, r) in enumerate(recs.items()):
                # one Gap, or two when the old socket is found dead after the switch and the
                # new one just after (a Gap of the rotated socket's loss, then the outage's)
                assert 1 <= len(r.gaps) <= 2 and not r.errors, (s, r.items)
                assert all(isinstance(i, Gap) for i in r.items[:-1]), (s, r.items)
                assert _identity(r.items[-1]) == (s, Decimal(n))
            await until(lambda: sim.stats.live_connections["spot"] == 2, timeout=5)


def _slow_acks(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """The simulator applies each request at once but answers it ``seconds`` later."""
    send = ClassicSession.send_control

    def later(self: ClassicSession, frame: Any) -> None:
        if isinstance(frame, dict) and frame.get("type") == "ack":
            asyncio.get_running_loop().call_later(seconds, send, self, frame)
        else:
            send(self, frame)

    monkeypatch.setattr(ClassicSession, "send_control", later)


async def test_a_topic_taken_while_a_released_subscribe_is_in_flight_is_not_refused(
    sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    creds = sim.add_account("demo", balances={"USDT": "100000"})
    async with KucoinStreams(creds, endpoints=sim.endpoints) as streams:
        streams.margin_isolated_position([f"H{i}-USDT" for i in range(200)]).subscribe()
        await streams.ready(timeout=15)
        _slow_acks(monkeypatch, 0.3)
        rec = Recorder()
        x = streams.margin_isolated_position([f"X{i}-USDT" for i in range(100)]).subscribe(
            rec.on_next, rec.on_error
        )
        await until(lambda: sum(len(s.subs) for s in sim._sessions_on("spot")) == 300)
        x.dispose()  # its subscribe is applied at the server, not answered yet
        ys = [f"Y{i}-USDT" for i in range(100)]
        y = Recorder()
        streams.margin_isolated_position(ys).with_gaps().subscribe(y.on_next, y.on_error)
        await streams.ready(timeout=15)
        assert y.errors == []
        for n, s in enumerate(ys):
            sim.publish(_position(s, n))
        await until(lambda: len(y.items) == 100)
        server = [{str(k) for k in s.subs} for s in sim._sessions_on("spot")]
        assert not any("X" in k for ks in server for k in ks)


async def test_ready_during_a_slow_rotation_waits_only_for_what_is_not_live() -> None:
    async with Simulator(seed=29, ping_interval_ms=400) as sim:
        creds = sim.add_account("demo", balances={"USDT": "100000"})
        async with KucoinStreams(creds, endpoints=sim.endpoints, max_socket_age=AGE) as streams:
            events: list[ConnectionEvent] = []
            rotating = asyncio.Event()

            def seen(event: ConnectionEvent) -> None:
                events.append(event)
                if event.kind == "rotating" and event.detail.startswith("shard #2"):
                    rotating.set()

            streams.events(SPOT).subscribe(seen)
            symbols = [f"W{i}-USDT" for i in range(400)]
            rec = Recorder()
            streams.margin_isolated_position(symbols).with_gaps().subscribe(
                rec.on_next, rec.on_error
            )
            await streams.ready(timeout=15)
            sim.faults.welcome_delay(1.0)  # every rotation's new socket is slow to open
            async with asyncio.timeout(10):
                await rotating.wait()
            async with asyncio.timeout(0.5):  # every topic is live on the old sockets
                await streams.ready(timeout=0.5)
            late = Recorder()  # taken during the rotation: rides on the new socket
            streams.margin_isolated_position("LATE-USDT").with_gaps().subscribe(
                late.on_next, late.on_error
            )
            await streams.ready(timeout=10)
            sim.faults.welcome_delay(0.0)
            sim.publish(_position("LATE-USDT", 1))
            for n, s in enumerate(symbols):
                sim.publish(_position(s, n))
            await until(lambda: len(rec.items) == 400 and len(late.items) == 1)
            await asyncio.sleep(0.3)
            assert len(rec.items) == 400 and rec.gaps == [] and rec.errors == []
            assert late.gaps == [] and late.errors == [] and len(late.items) == 1
            assert [e for e in events if e.kind in ("reconnect", "rotation failed")] == []


async def test_two_rotations_due_together_at_the_socket_cap_share_the_spare() -> None:
    """Bug (fixed): three sockets allowed (client and simulator): two shards and the one
    spare kept for a rotation. Shards opened together come due together; with slow welcomes
    their two rotations overlapped and the second dialled a fourth socket, refused with 509.
    Now the second waits for the first to close its old socket."""
    async with Simulator(seed=30, ping_interval_ms=400, max_sessions=3) as sim:
        creds = sim.add_account("demo", balances={"USDT": "100000"})
        sim.faults.cut_after(CUT)
        async with KucoinStreams(
            creds, endpoints=sim.endpoints, max_socket_age=AGE, max_sockets=3
        ) as streams:
            sim.faults.welcome_delay(0.3)
            rec, feed, events = await _two_shards_rotating(sim, streams, rotations=1)
            assert [e.detail for e in events if e.kind == "exception"] == []  # no 509
            assert rec.gaps == [] and rec.errors == []
            assert Counter(_identity(i) for i in rec.data) == feed.published
            assert "cut" not in sim.faults.kinds()


async def test_a_second_rotation_waits_for_the_spare_only_at_the_socket_cap() -> None:
    class Open:
        open = True

    class Sockets:
        def __init__(self, n: int) -> None:
            self.shards = [Open() for _ in range(n)]

    at_cap = SocketBudget(max_sockets=3, spare=1)
    at_cap.join(Sockets(2))  # type: ignore[arg-type]
    order: list[str] = []

    async def rotate(name: str, budget: SocketBudget) -> None:
        async with budget.rotation():
            order.append(f"{name} in")
            await asyncio.sleep(0.05)
            order.append(f"{name} out")

    await asyncio.gather(rotate("a", at_cap), rotate("b", at_cap))
    assert order == ["a in", "a out", "b in", "b out"]
    roomy = SocketBudget(max_sockets=50, spare=1)
    roomy.join(Sockets(2))  # type: ignore[arg-type]
    order.clear()
    await asyncio.gather(rotate("a", roomy), rotate("b", roomy))
    assert order == ["a in", "b in", "a out", "b out"]


async def test_two_pro_shards_rotating_deliver_every_order_push_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Pro takes one channel per request: 400 topics are 400 frames at each rotation
    monkeypatch.setattr(ProSession, "rate_ok", lambda self: True)
    monkeypatch.setattr(protocol, "Pacer", _Unpaced)
    async with Simulator(seed=31, ping_interval_ms=400) as sim:
        creds = sim.add_account("demo", balances={"USDT": "10000000", "BTC": "10", "ETH": "10"})
        pushed: list[Any] = []
        sim.engine.listen(pushed.append)
        sim.faults.cut_after(CUT)
        async with KucoinStreams(creds, endpoints=sim.endpoints, max_socket_age=AGE) as streams:
            events: list[ConnectionEvent] = []
            streams.events(PRO).subscribe(events.append)
            symbols = ["BTC-USDT", *[f"P{i}-USDT" for i in range(398)], "ETH-USDT"]
            rec = Recorder()
            streams.pro_orders("SPOT", symbols).with_gaps().subscribe(rec.on_next, rec.on_error)
            await streams.ready(timeout=15)
            conn = streams.connection(PRO)
            assert [s.held_count for s in conn.shards] == [300, 100]
            rng = random.Random(7)
            open_orders: list[str] = []
            while len(r := _rotations(events)) < 2 or min(r.values()) < 2:
                if open_orders and rng.random() < 0.4:
                    sim.engine.fill_spot_order("demo", open_orders.pop(0))
                else:
                    symbol = rng.choice(["BTC-USDT", "ETH-USDT"])  # one on each socket
                    price = str(100 + rng.randrange(50))
                    open_orders.append(
                        sim.engine.place_spot_order("demo", symbol, "buy", "limit", "0.01", price)
                    )
                await asyncio.sleep(0.005)
            pro = (pushed_identity(p) for p in pushed)  # the engine pushes Classic ones too
            expected = Counter(i for i in pro if i is not None and i[0] == "pro")
            await until(lambda: len(rec.items) >= expected.total(), timeout=10)
            await asyncio.sleep(0.3)
            assert rec.gaps == [] and rec.errors == []
            assert Counter(identity(i) for i in rec.items) == expected
            assert {o.symbol for o in rec.items} == {"BTC-USDT", "ETH-USDT"}
            assert "cut" not in sim.faults.kinds()
            await until(lambda: sim.stats.live_connections["pro"] == 2)


async def test_the_first_shard_emptied_while_it_rotates_leaves_the_second_in_charge() -> None:
    async with Simulator(seed=32, ping_interval_ms=400) as sim:
        creds = sim.add_account("demo", balances={"USDT": "100000"})
        sim.faults.cut_after(CUT)
        async with KucoinStreams(creds, endpoints=sim.endpoints, max_socket_age=AGE) as streams:
            events: list[ConnectionEvent] = []
            streams.events(SPOT).subscribe(events.append)
            first = streams.margin_isolated_position([f"O{i}-USDT" for i in range(300)])
            leaving = first.subscribe()
            await streams.ready(timeout=15)
            kept = [f"K{i}-USDT" for i in range(100)]
            rec = Recorder()
            streams.margin_isolated_position(kept).with_gaps().subscribe(rec.on_next, rec.on_error)
            await streams.ready(timeout=15)
            conn = streams.connection(SPOT)
            assert isinstance(conn, ShardSet)
            assert [s.held_count for s in conn.shards] == [300, 100]

            def empty_on_rotating(event: ConnectionEvent) -> None:
                if event.kind == "rotating" and not event.detail.startswith("shard #"):
                    asyncio.get_running_loop().call_later(0.02, leaving.dispose)

            streams.events(SPOT).subscribe(empty_on_rotating)
            feed = Feed(sim, kept)
            runner = asyncio.create_task(feed.run())
            try:
                await until(lambda: conn.shards[0].state.value is ConnectionState.CLOSED, 10)
                await until(lambda: _rotations(events)["shard #2"] >= 2, timeout=2 * AGE + 10)
            finally:
                feed.stopped = True
                await runner
            await until(lambda: sim.stats.live_connections["spot"] == 1, timeout=5)
            assert conn.state.value is ConnectionState.LIVE
            await streams.ready(timeout=5)
            total = feed.published.total()
            await until(lambda: len(rec.items) >= total, timeout=10)
            await asyncio.sleep(0.3)
            assert rec.gaps == [] and rec.errors == []
            assert Counter(_identity(i) for i in rec.data) == feed.published
            # room again: 200 more fill the second socket, the rest reopen the first
            more = [f"M{i}-USDT" for i in range(250)]
            got = Recorder()
            streams.margin_isolated_position(more).subscribe(got.on_next, got.on_error)
            await streams.ready(timeout=15)
            assert sorted(s.held_count for s in conn.shards) == [50, 300]
            assert sim.stats.live_connections["spot"] == 2
            for n, s in enumerate(more):
                sim.publish(_position(s, n))
            await until(lambda: len(got.items) == 250, timeout=10)
            assert "cut" not in sim.faults.kinds()


async def test_topics_released_and_taken_again_during_a_slow_rotation_arrive_once() -> None:
    async with Simulator(seed=33, ping_interval_ms=400) as sim:
        creds = sim.add_account("demo", balances={"USDT": "100000"})
        async with KucoinStreams(creds, endpoints=sim.endpoints, max_socket_age=AGE) as streams:
            events: list[ConnectionEvent] = []
            streams.events(SPOT).subscribe(events.append)
            streams.margin_isolated_position([f"A{i}-USDT" for i in range(300)]).subscribe()
            await streams.ready(timeout=15)
            back = [f"B{i}-USDT" for i in range(100)]
            first = streams.margin_isolated_position(back).subscribe()
            await streams.ready(timeout=15)
            sim.faults.welcome_delay(0.5)  # the rotations' new sockets are slow to open
            await until(lambda: any(e.kind == "rotating" for e in events), timeout=10)
            first.dispose()
            await asyncio.sleep(0.1)
            rec = Recorder()
            streams.margin_isolated_position(back).with_gaps().subscribe(rec.on_next, rec.on_error)
            await until(lambda: len(_rotations(events)) == 2, timeout=10)
            await streams.ready(timeout=10)
            sim.faults.welcome_delay(0.0)
            held = {f"{ISOLATED}:{s}" for s in back}

            def server_holds_each_once() -> bool:
                server = [{str(k) for k in x.subs} for x in sim._sessions_on("spot")]
                return sum(len(held & s) for s in server) == len(held)

            await until(server_holds_each_once, timeout=10)
            for n, s in enumerate(back):
                sim.publish(_position(s, n))
            await until(lambda: len(rec.items) >= 100, timeout=10)
            await asyncio.sleep(0.3)
            assert rec.gaps == [] and rec.errors == []
            assert sorted(_identity(i) for i in rec.items) == sorted(
                (s, Decimal(n)) for n, s in enumerate(back)
            )
            await until(lambda: sim.stats.live_connections["spot"] == 2, timeout=5)


async def test_closing_the_client_while_a_rotation_waits_for_the_spare_is_bounded() -> None:
    async with Simulator(seed=34, ping_interval_ms=400, max_sessions=3) as sim:
        creds = sim.add_account("demo", balances={"USDT": "100000"})
        streams = KucoinStreams(creds, endpoints=sim.endpoints, max_socket_age=AGE, max_sockets=3)
        await streams.__aenter__()
        events: list[ConnectionEvent] = []
        streams.events(SPOT).subscribe(events.append)
        completed: list[bool] = []
        symbols = [f"Q{i}-USDT" for i in range(400)]
        streams.margin_isolated_position(symbols).with_gaps().subscribe(
            on_completed=lambda: completed.append(True)
        )
        await streams.ready(timeout=15)
        sim.faults.welcome_delay(2.0)  # the first rotation holds the spare for 2 s
        await until(lambda: any(e.kind == "rotating" for e in events), timeout=10)
        await asyncio.sleep(0.2)  # the other shard is due too, and waits
        assert sum(e.kind == "rotating" for e in events) == 1
        started = time.monotonic()
        await streams.aclose()
        assert time.monotonic() - started <= streams.close_bound
        assert completed == [True]
        assert [e for e in events if e.kind == "exception"] == []
        await until(lambda: sim.stats.live_connections["spot"] == 0, timeout=5)
