"""Make-before-break rotation: the rules with no sockets, then rotations through the simulator
with pushes flowing all the time: no Gap, no push lost, none delivered twice."""

from __future__ import annotations

import asyncio
import contextlib
import random
import threading
from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import Any

import msgspec
import pytest

from rxkucoin import Gap, KucoinStreams, WsKey
from rxkucoin import models as m
from rxkucoin._frames import ClassicMessage, ProPush
from rxkucoin._rotation import Overlap, rotation_due
from rxkucoin.sim import Simulator
from rxkucoin.sim._pushes import ClassicPush, ProEvent

from .helpers import until

SPOT = WsKey.SPOT_PRIVATE_V1
PRO = WsKey.PRIVATE_PRO_V2

# --- the rules ------------------------------------------------------------------------------


def push(topic: str, data: bytes) -> ClassicMessage:
    return ClassicMessage(topic=topic, subject="orderChange", data=msgspec.Raw(data))


def test_rotation_is_due_before_the_maximum_age_by_at_most_the_jitter() -> None:
    assert rotation_due(100.0, 3600.0, 0.0) == 3700.0
    assert rotation_due(100.0, 3600.0, 0.02, rng=lambda: 0.0) == 3700.0
    assert rotation_due(100.0, 3600.0, 0.02, rng=lambda: 0.5) == pytest.approx(3664.0)
    earliest = min(rotation_due(0.0, 1000.0, 0.02, rng=random.Random(i).random) for i in range(50))
    assert 980.0 <= earliest < 1000.0
    with pytest.raises(ValueError):
        rotation_due(0.0, 0.0)
    with pytest.raises(ValueError):
        rotation_due(0.0, 10.0, jitter=1.0)


def test_a_push_seen_on_both_sockets_is_delivered_once_whichever_comes_first() -> None:
    got: list[Any] = []
    overlap = Overlap(got.append)
    a, b = push("/t", b'{"n":1}'), push("/t", b'{"n":2}')
    overlap.from_old(a)
    overlap.from_new(b)
    overlap.from_new(a)  # the copy of a
    overlap.from_old(b)  # the copy of b
    assert got == [a, b]
    assert (overlap.delivered, overlap.dropped) == (2, 2)


def test_a_push_repeated_on_one_socket_still_arrives_as_often_as_that_socket_sent_it() -> None:
    got: list[Any] = []
    overlap = Overlap(got.append)
    a = push("/t", b'{"n":1}')
    overlap.from_old(a)
    overlap.from_old(a)  # the server sent it twice: so it would without a rotation
    overlap.from_new(a)
    overlap.from_new(a)  # the copies of both
    assert len(got) == 2
    overlap.from_new(a)  # a third one, on the new socket only
    assert len(got) == 3


def test_once_the_old_socket_is_closed_only_its_pushes_still_owed_by_the_new_one_are_kept() -> None:
    got: list[Any] = []
    overlap = Overlap(got.append)
    a, b, c, d = (push("/t", f'{{"n":{n}}}'.encode()) for n in range(4))
    overlap.from_old(a)  # its copy is still on its way on the new socket
    overlap.from_old(b)
    overlap.from_new(b)  # b is settled
    overlap.from_new(c)  # c came on the new socket only
    overlap.old_closed()
    assert len(overlap) == 1  # a alone
    overlap.from_new(d)  # new after the close: passes, not remembered
    assert len(overlap) == 1
    overlap.from_new(a)  # a's copy: held back, and a is settled too
    assert len(overlap) == 0
    overlap.from_new(a)  # a genuine repeat on the new socket
    assert got == [a, b, c, d, a]
    assert (overlap.delivered, overlap.dropped) == (5, 2)


def test_the_same_payload_on_another_topic_is_another_push() -> None:
    got: list[Any] = []
    overlap = Overlap(got.append)
    overlap.from_old(push("/a", b"{}"))
    overlap.from_new(push("/b", b"{}"))
    pro = ProPush(topic="orderAll.SPOT", push_time_ns=1, data=msgspec.Raw(b"{}"))
    overlap.from_new(pro)
    assert len(got) == 3 and len(overlap) == 3


# --- through the simulator ------------------------------------------------------------------

#: The simulator cuts every socket after CUT seconds; the client rotates at AGE (2% jitter).
CUT, AGE = 4.0, 2.0
ROTATIONS = 10


def identity(item: Any) -> tuple[Any, ...]:
    """What tells a delivered order change apart (the engine's pushes are matched by it)."""
    if isinstance(item, m.SpotOrderChange):
        return ("spot", item.order_id, item.type, item.ts)
    assert isinstance(item, m.ProOrder), item
    return ("pro", item.order_id, item.event_type, item.updated_ns)


def pushed_identity(record: Any) -> tuple[Any, ...] | None:
    """The same identity, of what the engine pushed."""
    if isinstance(record, ClassicPush) and record.topic == "/spotMarket/tradeOrdersV2":
        d = record.data
        return ("spot", d["orderId"], d["type"], int(d["ts"]))
    if isinstance(record, ProEvent) and record.kind == "order":
        d = record.data
        return ("pro", d["oi"], d["eT"], int(d["U"]))
    return None


class Activity:
    """Places resting spot orders and fills some of them (``fill``, a share of the steps)
    through the engine every ``pause`` seconds until stopped; ``open`` is the engine's
    truth of what rests. The rotation test also steps it at each switch of socket (when
    the push goes to both sockets)."""

    def __init__(
        self, sim: Simulator, *, seed: int = 3, fill: float = 0.5, pause: float = 0.004
    ) -> None:
        self.sim = sim
        self.rng = random.Random(seed)
        self.fill, self.pause = fill, pause
        self.open: list[str] = []
        self.stopped = False

    def step(self) -> None:
        engine = self.sim.engine
        if self.open and self.rng.random() < self.fill:
            engine.fill_spot_order("demo", self.open.pop(self.rng.randrange(len(self.open))))
        else:
            price = str(30000 + self.rng.randrange(100))
            self.open.append(
                engine.place_spot_order("demo", "BTC-USDT", "buy", "limit", "0.001", price=price)
            )

    async def run(self) -> None:
        while not self.stopped:
            self.step()
            await asyncio.sleep(self.pause)


@pytest.mark.parametrize("variants", [None, 8], ids=["canonical", "wire-variants"])
async def test_ten_rotations_under_continuous_activity_lose_and_repeat_nothing(
    variants: int | None,
) -> None:
    async with Simulator(seed=11, ping_interval_ms=400, wire_variants=variants) as sim:
        creds = sim.add_account("demo", balances={"USDT": "10000000", "BTC": "10"})
        pushed: list[Any] = []
        sim.engine.listen(pushed.append)
        sim.faults.cut_after(CUT)
        activity = Activity(sim)
        async with KucoinStreams(creds, endpoints=sim.endpoints, max_socket_age=AGE) as streams:
            spot: list[Any] = []
            pro: list[Any] = []
            streams.spot_orders().with_gaps().subscribe(spot.append)
            streams.pro_orders("SPOT").with_gaps().subscribe(pro.append)
            kinds: dict[WsKey, Counter[str]] = {SPOT: Counter(), PRO: Counter()}

            def on_event(key: WsKey) -> Callable[[Any], None]:
                def seen(event: Any) -> None:
                    kinds[key][event.kind] += 1
                    if event.kind == "rotated":
                        activity.step()  # pushed on both sockets: the copies must go

                return seen

            for key in (SPOT, PRO):
                streams.events(key).subscribe(on_event(key))
            await streams.ready(timeout=10)
            runner = asyncio.create_task(activity.run())
            timeout = ROTATIONS * AGE + 15
            await until(lambda: min(k["rotated"] for k in kinds.values()) >= ROTATIONS, timeout)
            activity.stopped = True
            await runner
            expected = Counter(i for r in pushed if (i := pushed_identity(r)) is not None)
            total = expected.total()
            await until(lambda: len(spot) + len(pro) >= total)
            await asyncio.sleep(0.3)  # a duplicate would arrive now

            assert [i for i in spot + pro if isinstance(i, Gap)] == []
            assert Counter(identity(i) for i in spot + pro) == expected  # none lost, none twice
            for key in (SPOT, PRO):
                assert kinds[key]["reconnect"] == 0, kinds[key]
                assert kinds[key]["rotating"] == kinds[key]["rotated"], kinds[key]
            assert "cut" not in sim.faults.kinds()  # every socket was replaced in time
            assert sim.stats.live_connections == Counter({"spot": 1, "pro": 1})
            assert len(pushed) > 1000


async def test_churn_from_threads_during_rotations_keeps_one_request_per_topic() -> None:
    async with (
        Simulator(seed=5, ping_interval_ms=400) as sim,
        KucoinStreams(
            sim.add_account("demo", balances={"USDT": "100000"}),
            endpoints=sim.endpoints,
            max_socket_age=1.2,
        ) as streams,
    ):
        sim.faults.cut_after(CUT)
        orders: list[Any] = []
        streams.spot_orders().with_gaps().subscribe(orders.append)
        rotated: list[Any] = []
        streams.events(SPOT).subscribe(lambda e: rotated.append(e) if e.kind == "rotated" else None)
        await streams.ready(timeout=10)
        stop = threading.Event()
        errors: list[Exception] = []

        def churn(seed: int) -> None:
            rng = random.Random(seed)
            try:
                while not stop.is_set():
                    held = [
                        streams.spot_balance().with_gaps().subscribe(),
                        streams.spot_stop_orders().with_gaps().subscribe(),
                        streams.spot_orders(v1=True).with_gaps().subscribe(),
                    ]
                    stop.wait(rng.random() * 0.05)
                    for d in rng.sample(held, len(held)):
                        d.dispose()
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=churn, args=(i,)) for i in range(3)]
        for t in threads:
            t.start()
        try:
            await until(lambda: len(rotated) >= 3, timeout=15)
        finally:
            stop.set()
            for t in threads:
                await asyncio.to_thread(t.join)
        assert errors == []
        connection = streams.connection(SPOT)
        await until(lambda: connection.topics == {k for k in connection.topics if "V2" in str(k)})
        await streams.ready(timeout=10)

        # the server holds exactly that topic: nothing churned was left subscribed, on a
        # socket rotated away or on the current one (the simulator has no public view)
        # (while a rotation is under way, two sockets: each holds it or nothing)
        def server_subs() -> list[list[Any]]:
            return [list(s.subs) for s in sim._sessions_on("spot")]

        assert all(subs in ([], ["/spotMarket/tradeOrdersV2"]) for subs in server_subs())
        await until(lambda: server_subs() == [["/spotMarket/tradeOrdersV2"]])
        before = len(orders)
        sim.engine.place_spot_order("demo", "BTC-USDT", "buy", "limit", "0.01", price="30000")
        await until(lambda: len(orders) == before + 2)  # received, open: each once
        await asyncio.sleep(0.2)
        assert len(orders) == before + 2
        assert [i for i in orders if isinstance(i, Gap)] == []
        assert "cut" not in sim.faults.kinds()


@contextlib.asynccontextmanager
async def rotating_spot(
    *, backoff: float, usdt: str = "100000"
) -> AsyncIterator[tuple[Simulator, KucoinStreams, list[Any]]]:
    """A simulator and a client whose spot socket rotates every second (``backoff`` seconds
    between failed attempts), with a spot order subscriber (data and Gaps) already on."""
    async with (
        Simulator(seed=6, ping_interval_ms=400) as sim,
        KucoinStreams(
            sim.add_account("demo", balances={"USDT": usdt}),
            endpoints=sim.endpoints,
            max_socket_age=1.0,
            backoff=lambda attempt: backoff,
        ) as streams,
    ):
        orders: list[Any] = []
        streams.spot_orders().with_gaps().subscribe(orders.append)
        yield sim, streams, orders


async def test_a_new_socket_that_cannot_be_opened_leaves_the_old_one_in_charge() -> None:
    async with rotating_spot(backoff=0.3) as (sim, streams, orders):
        events: list[Any] = []
        streams.events(SPOT).subscribe(events.append)
        await streams.ready(timeout=10)
        sim.faults.token_error("500", count=2, host="spot")  # the next two rotations' tokens
        await until(lambda: any(e.kind == "rotated" for e in events), timeout=10)
        seen = [e for e in events if e.kind != "response"]
        kinds = [e.kind for e in seen]
        assert kinds[:2] == ["authenticated", "open"]
        assert kinds[2:] == ["rotating", "exception"] * 2 + ["rotating", "rotated"], kinds
        assert "rotation failed" in seen[3].detail and "stays" in seen[3].detail
        sim.engine.place_spot_order("demo", "BTC-USDT", "buy", "limit", "0.01", price="30000")
        await until(lambda: len(orders) == 2)  # received, open: no Gap before them
        assert not any(isinstance(i, Gap) for i in orders)
        assert sim.stats.bullet_calls["spot"] == 4  # the first, two refused, the successor's


async def test_a_socket_lost_during_a_rotation_is_an_ordinary_drop_with_its_gap() -> None:
    async with rotating_spot(backoff=0.1) as (sim, streams, orders):
        kinds: list[str] = []

        def seen(event: Any) -> None:
            kinds.append(event.kind)
            if event.kind == "rotating" and kinds.count("rotating") == 1:
                sim.faults.drop("spot")  # the old socket dies while the new one is dialled

        streams.events(SPOT).subscribe(seen)
        await streams.ready(timeout=10)
        await until(lambda: "reconnected" in kinds, timeout=10)
        assert "rotated" not in kinds[: kinds.index("reconnected")]
        sim.engine.place_spot_order("demo", "BTC-USDT", "buy", "limit", "0.01", price="30000")
        await until(lambda: len(orders) == 3)
        assert isinstance(orders[0], Gap) and not isinstance(orders[1], Gap)
        assert sum(isinstance(i, Gap) for i in orders) == 1


async def test_a_subscribe_refused_on_the_new_socket_is_retried_before_the_switch() -> None:
    async with rotating_spot(backoff=0.2) as (sim, streams, orders):
        events: list[Any] = []

        def seen(event: Any) -> None:
            events.append(event)
            if event.kind == "rotating" and len([e for e in events if e.kind == "rotating"]) == 1:
                sim.faults.reject_next_subscribe()  # "exceed max permits per second"

        streams.events(SPOT).subscribe(seen)
        await streams.ready(timeout=10)
        await until(lambda: any(e.kind == "rotated" for e in events), timeout=10)
        kinds = [e.kind for e in events if e.kind != "response"]
        assert kinds[2:] == ["rotating", "exception", "rotated"], kinds  # refused, retried
        assert "retrying" in events[[e.kind for e in events].index("exception")].detail
        sim.engine.place_spot_order("demo", "BTC-USDT", "buy", "limit", "0.01", price="30000")
        await until(lambda: len(orders) == 2)
        assert not any(isinstance(i, Gap) for i in orders)


async def test_closing_the_client_in_the_middle_of_a_rotation_ends_both_sockets_in_time() -> None:
    async with Simulator(seed=6, ping_interval_ms=400) as sim:
        streams = KucoinStreams(
            sim.add_account("demo", balances={"USDT": "100000"}),
            endpoints=sim.endpoints,
            max_socket_age=0.5,
        )
        async with streams:
            done: list[Any] = []
            streams.spot_orders().subscribe(on_completed=lambda: done.append(True))
            kinds: list[str] = []
            streams.events(SPOT).subscribe(lambda e: kinds.append(e.kind))
            await streams.ready(timeout=10)
            sim.faults.welcome_delay(2.0)  # the successor waits for its welcome
            await until(lambda: "rotating" in kinds)
            await until(lambda: sim.stats.live_connections["spot"] == 2)
            loop = asyncio.get_running_loop()
            started = loop.time()
            await streams.aclose()
            assert loop.time() - started < streams.close_bound
        assert done == [True] and "rotated" not in kinds
        # the simulator notices the successor gone once its welcome is due
        await until(lambda: sim.stats.live_connections["spot"] == 0, timeout=6)


async def test_a_new_socket_lost_before_the_switch_leaves_the_old_one_in_charge() -> None:
    async with rotating_spot(backoff=0.3, usdt="10000000") as (sim, streams, orders):
        pushed: list[Any] = []
        sim.engine.listen(pushed.append)
        kinds: list[str] = []
        streams.events(SPOT).subscribe(lambda e: kinds.append(e.kind))
        await streams.ready(timeout=10)
        (shard,) = streams.connection(SPOT).shards
        flow = shard._requests
        rotate = flow.rotate

        async def successor_dies(old: Any, new: Any, settle_timeout: float) -> Any:
            flow.rotate = rotate  # once
            buy()  # on the old socket only
            sim._sessions_on("spot")[-1].abort()  # the successor, welcomed, dies
            return await rotate(old, new, settle_timeout)

        def buy() -> None:
            sim.engine.place_spot_order("demo", "BTC-USDT", "buy", "limit", "0.01", price="3")

        flow.rotate = successor_dies  # type: ignore[method-assign]
        await until(lambda: "rotated" in kinds, timeout=10)
        assert [k for k in kinds if k != "response"][2:] == [
            "rotating",
            "exception",  # rotation failed; the current socket stays
            "rotating",
            "rotated",
        ], kinds
        buy()  # on the successor
        expected = Counter(i for r in pushed if (i := pushed_identity(r)) and i[0] == "spot")
        assert expected.total() == 4  # received and open, twice
        await until(lambda: len(orders) >= expected.total())
        await asyncio.sleep(0.2)
        assert not any(isinstance(i, Gap) for i in orders)
        assert Counter(identity(i) for i in orders) == expected  # none lost, none twice
