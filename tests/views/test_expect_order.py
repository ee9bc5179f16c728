"""Race-free order waits through real sockets: `KucoinStreams.expect_order` against the
simulator's REST order entry, whose marketable orders fill before the answer is written.

The old pattern (``await place(...)`` then ``first()`` of the order stream) cannot see a
fill pushed before the placement's answer; the helper listens first, so it never misses one.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from core.helpers import until
from reactivex import Observable
from reactivex import operators as ops

from rxkucoin import AuthError, ExpectedOrder, KucoinStreams, OrderWaitTimeout
from rxkucoin.models import FuturesOrderChange, ProOrder, SpotOrderChange
from rxkucoin.sim import Simulator

#: A guard against a wait that hangs; never reached when the behaviour is right.
HANG = 30.0


#: ``@pytest.mark.parametrize("sim", WIRES, indirect=True)`` runs a test against the
#: simulator's canonical pushes and against its wire variants (the forms the live exchange
#: is known to use: numeric strings, omitted fields...).
WIRES = ["canonical", "variants"]


@pytest.fixture
async def sim(request: pytest.FixtureRequest) -> AsyncIterator[Simulator]:
    variants = 10 if getattr(request, "param", "canonical") == "variants" else None
    async with Simulator(seed=10, wire_variants=variants) as simulator:
        yield simulator


@pytest.fixture
async def clients(sim: Simulator) -> AsyncIterator[dict[str, KucoinStreams]]:
    """A client of a classic account (``demo``) and one of a unified account (``uta``)."""
    funds: dict[str, Any] = {
        "balances": {"USDT": "1000000", "BTC": "100"},
        "futures_balance": "1000000",
    }
    demo = sim.add_account("demo", **funds)
    uta = sim.add_account("uta", unified=True, **funds)
    async with (
        KucoinStreams(demo, endpoints=sim.endpoints) as classic,
        KucoinStreams(uta, endpoints=sim.endpoints) as unified,
    ):
        yield {"demo": classic, "uta": unified}


@pytest.fixture
def streams(clients: dict[str, KucoinStreams]) -> KucoinStreams:
    return clients["demo"]


def oid() -> str:
    return f"w-{uuid.uuid4().hex[:24]}"


@dataclass(frozen=True)
class Family:
    """One account family's orders: how to place them, end them and read their pushes."""

    account: str
    owner: str  # the simulator's account the orders are placed for
    symbol: str
    trade_type: str
    size: Decimal
    #: a marketable order (it fills at once, before the answer is written)
    place: Callable[[KucoinStreams, str, str], Awaitable[object]]
    #: a limit order far from the price, which rests; returns the order id
    rest: Callable[[KucoinStreams, str], Awaitable[str]]
    fill: Callable[[Simulator, str], object]
    cancel: Callable[[KucoinStreams, str], Awaitable[object]]
    orders: Callable[[KucoinStreams], Observable[Any]]
    is_open: Callable[[Any], bool]
    is_fill: Callable[[Any], bool]


# -- spot


def _spot_fill(push: Any) -> bool:
    return isinstance(push, SpotOrderChange) and push.type == "filled"


async def _place_spot(streams: KucoinStreams, side: str, client_oid: str) -> object:
    return await streams.rest.place_spot_order(
        "BTC-USDT", side, "market", size="0.001", client_oid=client_oid
    )


async def _rest_spot(streams: KucoinStreams, client_oid: str) -> str:
    placed = await streams.rest.place_spot_order(
        "BTC-USDT", "buy", "limit", size="0.01", price="1000", client_oid=client_oid
    )
    return placed.order_id


SPOT = Family(
    "spot",
    "demo",
    "BTC-USDT",
    "SPOT",
    Decimal("0.001"),
    _place_spot,
    _rest_spot,
    lambda sim, order_id: sim.engine.fill_spot_order("demo", order_id),
    lambda streams, c: streams.rest.cancel_spot_order("BTC-USDT", client_oid=c),
    lambda s: s.spot_orders(),
    lambda p: isinstance(p, SpotOrderChange) and p.type == "open",
    _spot_fill,
)

# -- futures


async def _place_futures(streams: KucoinStreams, side: str, client_oid: str) -> object:
    return await streams.rest.place_futures_order(
        "XBTUSDTM", side, "market", 1, leverage=5, client_oid=client_oid
    )


async def _rest_futures(streams: KucoinStreams, client_oid: str) -> str:
    placed = await streams.rest.place_futures_order(
        "XBTUSDTM", "buy", "limit", 2, price="30000", leverage=5, client_oid=client_oid
    )
    return placed.order_id


FUTURES = Family(
    "futures",
    "demo",
    "XBTUSDTM",
    "FUTURES",
    Decimal(1),
    _place_futures,
    _rest_futures,
    lambda sim, order_id: sim.engine.fill_futures_order("demo", order_id),
    lambda streams, c: streams.rest.cancel_futures_order(client_oid=c, symbol="XBTUSDTM"),
    lambda s: s.futures_orders(),
    lambda p: isinstance(p, FuturesOrderChange) and p.type == "open",
    lambda p: isinstance(p, FuturesOrderChange) and p.type == "filled",
)

# -- UTA (unified account): spot and futures orders


def _pro_open(push: Any) -> bool:
    return isinstance(push, ProOrder) and push.status_code == 2


def _pro_fill(push: Any) -> bool:
    return isinstance(push, ProOrder) and push.status_code == 3


async def _place_uta_spot(streams: KucoinStreams, side: str, client_oid: str) -> object:
    return await streams.rest.place_uta_order(
        "SPOT", "BTC-USDT", side, "MARKET", "0.001", client_oid=client_oid
    )


async def _rest_uta_spot(streams: KucoinStreams, client_oid: str) -> str:
    placed = await streams.rest.place_uta_order(
        "SPOT", "BTC-USDT", "BUY", "LIMIT", "0.01", price="1000", client_oid=client_oid
    )
    return placed.order_id


async def _place_uta_futures(streams: KucoinStreams, side: str, client_oid: str) -> object:
    return await streams.rest.place_uta_order(
        "FUTURES", "XBTUSDTM", side, "MARKET", 1, client_oid=client_oid
    )


async def _rest_uta_futures(streams: KucoinStreams, client_oid: str) -> str:
    placed = await streams.rest.place_uta_order(
        "FUTURES", "XBTUSDTM", "BUY", "LIMIT", 2, price="30000", client_oid=client_oid
    )
    return placed.order_id


UTA_SPOT = Family(
    "uta",
    "uta",
    "BTC-USDT",
    "SPOT",
    Decimal("0.001"),
    _place_uta_spot,
    _rest_uta_spot,
    lambda sim, order_id: sim.engine.fill_spot_order("uta", order_id),
    lambda streams, c: streams.rest.cancel_uta_order("SPOT", "BTC-USDT", client_oid=c),
    lambda s: s.pro_orders("SPOT"),
    _pro_open,
    _pro_fill,
)

UTA_FUTURES = Family(
    "uta",
    "uta",
    "XBTUSDTM",
    "FUTURES",
    Decimal(1),
    _place_uta_futures,
    _rest_uta_futures,
    lambda sim, order_id: sim.engine.fill_futures_order("uta", order_id),
    lambda streams, c: streams.rest.cancel_uta_order("FUTURES", "XBTUSDTM", client_oid=c),
    lambda s: s.pro_orders("FUTURES"),
    _pro_open,
    _pro_fill,
)

FAMILIES = {"spot": SPOT, "futures": FUTURES, "uta-spot": UTA_SPOT, "uta-futures": UTA_FUTURES}


async def _race(streams: KucoinStreams, family: Family, rounds: int) -> int:
    """Place ``rounds`` marketable orders, each awaited with the helper; return how many
    fills had been pushed before the placement's answer returned."""
    early = 0
    for i in range(rounds):
        client_oid = oid()
        async with streams.expect_order(
            family.account,  # type: ignore[arg-type]
            client_oid=client_oid,
            symbol=family.symbol,
            trade_type=family.trade_type,
        ) as order:
            await family.place(streams, "buy" if i % 2 == 0 else "sell", client_oid)
            early += any(family.is_fill(p) for p in order.pushes)
            async with asyncio.timeout(HANG):
                done = await order.done(timeout=10)
        # a fill seen by REST only would mean its push was missed
        assert (done.status, done.source, done.client_oid) == ("filled", "push", client_oid)
        assert done.filled_size == done.size == family.size
        assert any(family.is_fill(p) for p in order.pushes)
    return early


@pytest.mark.parametrize(
    ("family", "rounds"),
    [("spot", 1_000), ("futures", 200), ("uta-spot", 200), ("uta-futures", 200)],
)
@pytest.mark.parametrize("sim", WIRES, indirect=True)
async def test_no_fill_is_missed_even_when_pushed_before_the_answer(
    sim: Simulator, clients: dict[str, KucoinStreams], family: str, rounds: int
) -> None:
    fam = FAMILIES[family]
    streams = clients[fam.owner]
    # Another subscriber holds the topic, as a running strategy's streams would: each
    # wait adds a local subscriber to a live topic, and the socket is not reopened per order.
    keeper = fam.orders(streams).subscribe()
    try:
        await streams.ready(timeout=10)
        early = await _race(streams, fam, rounds)
    finally:
        keeper.dispose()
    wire = "canonical" if sim.variants is None else "wire variants"
    early_text = f"{early} pushed before the placement's answer"
    print(f"\n{family} ({wire}): {rounds} fills awaited, none missed; {early_text}")
    assert early > 0, "the race was never exercised: no fill arrived before its answer"


async def test_waits_on_a_topic_nobody_holds_yet(streams: KucoinStreams) -> None:
    # Entering subscribes the topic and waits for its acknowledgement, so even the first
    # order on a cold socket is seen; leaving releases it, so each round opens a socket.
    await _race(streams, SPOT, 20)


def _fill_of(client_oid: str) -> Callable[[SpotOrderChange], bool]:
    def test(push: SpotOrderChange) -> bool:
        return push.client_oid == client_oid and _spot_fill(push)

    return test


async def test_the_old_pattern_misses_fills_the_helper_sees(streams: KucoinStreams) -> None:
    keeper = streams.spot_orders().subscribe()
    await streams.ready(timeout=10)
    missed = seen = 0
    for i in range(300):
        client_oid = oid()
        async with streams.expect_order("spot", client_oid=client_oid, symbol="BTC-USDT") as order:
            await _place_spot(streams, "buy" if i % 2 == 0 else "sell", client_oid)
            # The old pattern: subscribe once the placement is acknowledged, take the first
            # fill of the order (with a short timeout in real code).
            old: list[SpotOrderChange] = []
            first_fill: Observable[SpotOrderChange] = streams.spot_orders().pipe(
                ops.filter(_fill_of(client_oid)), ops.first()
            )
            subscription = first_fill.subscribe(old.append, lambda _: None)
            fill_already_pushed = any(_spot_fill(p) for p in order.pushes)
            async with asyncio.timeout(HANG):
                done = await order.done(timeout=10)
            subscription.dispose()
        assert (done.status, done.source) == ("filled", "push")
        # The helper's fill push has been delivered to every subscriber of the stream by
        # now, so the old pattern has seen it unless it came before its subscription.
        if old:
            seen += 1
            assert old[0].client_oid == client_oid
        else:
            missed += 1
            assert fill_already_pushed
    keeper.dispose()
    print(f"\nold pattern: {missed} of 300 fills missed (seen {seen}); the helper saw all 300")
    assert missed > 0


def expect(streams: KucoinStreams, family: Family, client_oid: str) -> ExpectedOrder:
    return streams.expect_order(
        family.account,  # type: ignore[arg-type]
        client_oid=client_oid,
        symbol=family.symbol,
        trade_type=family.trade_type,
    )


async def resting(
    streams: KucoinStreams, family: Family, client_oid: str, order: ExpectedOrder
) -> str:
    """Place a resting order through REST and wait for its open push; its id."""
    order_id = await family.rest(streams, client_oid)
    await until(lambda: any(family.is_open(p) for p in order.pushes))
    return order_id


def fill_unseen(sim: Simulator, family: Family, order_id: str) -> None:
    """Fill the order with every push of the fill lost, the socket staying up."""
    sim.faults.drop_next(20)
    family.fill(sim, order_id)
    lost = sim.faults.kinds().count("drop_next")
    sim.faults.clear()
    assert lost >= 1


@pytest.mark.parametrize("sim", WIRES, indirect=True)
@pytest.mark.parametrize("family", FAMILIES)
async def test_a_gap_during_the_wait_asks_rest(
    sim: Simulator, clients: dict[str, KucoinStreams], family: str
) -> None:
    fam, client_oid = FAMILIES[family], oid()
    streams = clients[fam.owner]
    async with expect(streams, fam, client_oid) as order:
        order_id = await resting(streams, fam, client_oid, order)
        fill_unseen(sim, fam, order_id)
        assert sim.faults.drop() == 1  # the outage: a Gap after reconnecting
        async with asyncio.timeout(HANG):
            done = await order.done(timeout=3600)
    assert (done.status, done.source, done.order_id) == ("filled", "rest", order_id)
    assert done.filled_size == done.size and done.size
    assert not any(fam.is_fill(p) for p in order.pushes)


@pytest.mark.parametrize("sim", WIRES, indirect=True)
@pytest.mark.parametrize("family", FAMILIES)
async def test_a_gap_while_the_order_rests_keeps_waiting(
    sim: Simulator, clients: dict[str, KucoinStreams], family: str
) -> None:
    fam, client_oid = FAMILIES[family], oid()
    streams = clients[fam.owner]
    async with expect(streams, fam, client_oid) as order:
        order_id = await resting(streams, fam, client_oid, order)
        connections = sum(sim.stats.connections.values())
        sim.faults.drop()
        await until(lambda: sum(sim.stats.connections.values()) > connections)
        # after the Gap, REST says the order is still open: the wait goes on
        with pytest.raises(OrderWaitTimeout):
            await order.done(timeout=0.5)
        fam.fill(sim, order_id)
        async with asyncio.timeout(HANG):
            done = await order.done(timeout=3600)
    assert (done.status, done.source) == ("filled", "push")


@pytest.mark.parametrize("sim", WIRES, indirect=True)
@pytest.mark.parametrize("family", FAMILIES)
async def test_the_timeout_asks_rest_before_giving_up(
    sim: Simulator, clients: dict[str, KucoinStreams], family: str
) -> None:
    fam, client_oid = FAMILIES[family], oid()
    streams = clients[fam.owner]
    async with expect(streams, fam, client_oid) as order:
        order_id = await resting(streams, fam, client_oid, order)
        fill_unseen(sim, fam, order_id)  # lost without any outage: no Gap
        done = await order.done(timeout=0.5)
    assert (done.status, done.source, done.order_id) == ("filled", "rest", order_id)
    assert done.filled_size == done.size and done.size


@pytest.mark.parametrize("sim", WIRES, indirect=True)
@pytest.mark.parametrize("family", FAMILIES)
async def test_a_canceled_order_ends_canceled(
    clients: dict[str, KucoinStreams], family: str
) -> None:
    fam, client_oid = FAMILIES[family], oid()
    streams = clients[fam.owner]
    async with expect(streams, fam, client_oid) as order:
        order_id = await resting(streams, fam, client_oid, order)
        await fam.cancel(streams, client_oid)
        async with asyncio.timeout(HANG):
            done = await order.done(timeout=10)
    assert (done.status, done.source, done.client_oid) == ("canceled", "push", client_oid)
    assert done.filled_size == 0 and done.size
    assert done.symbol == fam.symbol and done.order_id == order_id == order.order_id


async def test_a_partly_filled_order_canceled_ends_canceled_with_its_fill(
    sim: Simulator, streams: KucoinStreams
) -> None:
    client_oid = oid()
    async with streams.expect_order("spot", client_oid=client_oid, symbol="BTC-USDT") as order:
        placed = await streams.rest.place_spot_order(
            "BTC-USDT", "buy", "limit", size="0.04", price="1000", client_oid=client_oid
        )
        await until(lambda: any(p.type == "open" for p in order.pushes))
        sim.engine.fill_spot_order("demo", placed.order_id, size="0.01")
        await until(lambda: any(p.type == "match" for p in order.pushes))
        await streams.rest.cancel_spot_order("BTC-USDT", client_oid=client_oid)
        async with asyncio.timeout(HANG):
            done = await order.done(timeout=10)
    assert (done.status, done.filled_size, done.size) == (
        "canceled",
        Decimal("0.01"),
        Decimal("0.04"),
    )


async def test_an_order_that_never_ends_times_out_with_its_last_push(
    streams: KucoinStreams,
) -> None:
    client_oid = oid()
    async with streams.expect_order("spot", client_oid=client_oid, symbol="BTC-USDT") as order:
        await streams.rest.place_spot_order(
            "BTC-USDT", "buy", "limit", size="0.01", price="1000", client_oid=client_oid
        )
        await until(lambda: any(p.type == "open" for p in order.pushes))
        with pytest.raises(OrderWaitTimeout) as info:
            await order.done(timeout=0.3)
    error = info.value
    assert error.client_oid == client_oid and error.timeout == 0.3
    assert isinstance(error.last, SpotOrderChange)
    assert error.last is order.last and error.last.type == "open"
    assert error.last.client_oid == client_oid
    assert client_oid in str(error)


async def test_an_order_never_placed_times_out_with_nothing_seen(
    streams: KucoinStreams,
) -> None:
    async with streams.expect_order("spot", client_oid=oid(), symbol="BTC-USDT") as order:
        with pytest.raises(OrderWaitTimeout) as info:
            await order.done(timeout=0.2)
    assert info.value.last is None and order.pushes == []
    assert "no push" in str(info.value)


async def test_other_orders_are_not_taken_for_the_awaited_one(
    streams: KucoinStreams,
) -> None:
    mine, other = oid(), oid()
    async with streams.expect_order("spot", client_oid=mine, symbol="BTC-USDT") as order:
        await _place_spot(streams, "buy", other)
        await _place_spot(streams, "sell", mine)
        async with asyncio.timeout(HANG):
            done = await order.done(timeout=10)
    assert done.client_oid == mine and done.last.client_oid == mine
    assert {p.client_oid for p in order.pushes} == {mine}


async def test_a_fatal_error_during_the_wait_is_raised(
    sim: Simulator, clients: dict[str, KucoinStreams]
) -> None:
    streams = clients["demo"]
    client_oid = oid()
    async with expect(streams, SPOT, client_oid) as order:
        await resting(streams, SPOT, client_oid, order)
        sim.revoke_key("demo")  # the key is deleted
        sim.faults.drop("spot")
        with pytest.raises(AuthError) as info:
            async with asyncio.timeout(HANG):
                await order.done(timeout=3600)
    assert info.value.code == "400003"


@pytest.mark.parametrize(
    ("account", "kwargs", "match"),
    [
        ("spot", {"client_oid": "", "symbol": "BTC-USDT"}, "client_oid"),
        ("spot", {"client_oid": "x"}, "symbol"),
        ("uta", {"client_oid": "x"}, "symbol"),
        ("uta", {"client_oid": "x", "symbol": ""}, "symbol"),
    ],
)
async def test_bad_arguments_raise_value_error(
    streams: KucoinStreams, account: str, kwargs: dict[str, Any], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        streams.expect_order(account, **kwargs)  # type: ignore[arg-type]


async def test_done_before_entering_raises(streams: KucoinStreams) -> None:
    order = streams.expect_order("futures", client_oid=oid())
    with pytest.raises(RuntimeError, match="async with"):
        await order.done(timeout=1)
