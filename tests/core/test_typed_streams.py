"""Every typed stream method receives what the simulator's engine does, typed as promised."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from rxkucoin import ConnectionState, Credentials, Gap, InvalidTopic, KucoinStreams, WsKey
from rxkucoin import models as m
from rxkucoin._events import ConnectionEvent
from rxkucoin.sim import ClassicPush, Engine, Push, Simulator
from rxkucoin.sim._pro import matches

from .conftest import WIRES
from .helpers import until

Action = Callable[[Engine], Any]


def spot_buy(e: Engine) -> None:
    e.place_spot_order("demo", "BTC-USDT", "buy", "limit", "0.01", price="30000")


def futures_open(e: Engine) -> None:
    oid = e.place_futures_order("demo", "XBTUSDTM", "buy", 2, price="60000", leverage=3)
    e.fill_futures_order("demo", oid)


CASES: list[tuple[str, Callable[[KucoinStreams], Any], Action, tuple[type, ...]]] = [
    ("spot_orders", lambda s: s.spot_orders(), spot_buy, (m.SpotOrderChange,)),
    ("spot_orders_v1", lambda s: s.spot_orders(v1=True), spot_buy, (m.SpotOrderChange,)),
    ("spot_balance", lambda s: s.spot_balance(), spot_buy, (m.SpotBalanceChange,)),
    (
        "spot_matches",
        lambda s: s.spot_matches(["BTC-USDT", "ETH-USDT"]),
        lambda e: e.fill_spot_order(
            "demo", e.place_spot_order("demo", "BTC-USDT", "buy", "limit", "0.01", price="30000")
        ),
        (m.SpotMatch,),
    ),
    (
        "spot_stop_orders",
        lambda s: s.spot_stop_orders(),
        lambda e: e.place_spot_stop_order("demo", "BTC-USDT", "sell", "0.01", "20000"),
        (m.SpotStopOrderChange,),
    ),
    (
        "margin_position",
        lambda s: s.margin_position(),
        lambda e: e.set_cross_margin_debt("demo", {"USDT": "100"}),
        (m.MarginDebtRatio, m.MarginPositionStatus),
    ),
    (
        "margin_isolated_position",
        lambda s: s.margin_isolated_position(["BTC-USDT", "ETH-USDT"]),
        lambda e: e.set_isolated_margin("demo", "ETH-USDT", "DEBT", liabilities={"USDT": "5"}),
        (m.IsolatedMarginPositionChange,),
    ),
    ("futures_orders", lambda s: s.futures_orders(), futures_open, (m.FuturesOrderChange,)),
    (
        "futures_orders_symbol",
        lambda s: s.futures_orders("XBTUSDTM"),
        futures_open,
        (m.FuturesOrderChange,),
    ),
    (
        "futures_stop_orders",
        lambda s: s.futures_stop_orders(),
        lambda e: e.place_futures_stop_order("demo", "XBTUSDTM", "sell", 1, "50000"),
        (m.FuturesStopOrderChange,),
    ),
    ("futures_wallet", lambda s: s.futures_wallet(), futures_open, (m.FuturesWalletBalance,)),
    (
        "futures_positions_all",
        lambda s: s.futures_positions(),
        futures_open,
        (m.FuturesPositionChange,),
    ),
    (
        "futures_positions_symbols",
        lambda s: s.futures_positions(["XBTUSDTM", "ETHUSDTM"]),
        futures_open,
        (m.FuturesPositionChange,),
    ),
    (
        "futures_margin_mode",
        lambda s: s.futures_margin_mode(),
        lambda e: e.set_margin_mode("demo", "XBTUSDTM", "CROSS"),
        (m.FuturesMarginModeChange,),
    ),
    (
        "futures_cross_leverage",
        lambda s: s.futures_cross_leverage(),
        lambda e: e.set_cross_leverage("demo", "XBTUSDTM", 8),
        (m.FuturesCrossLeverageChange,),
    ),
    ("pro_orders", lambda s: s.pro_orders(), spot_buy, (m.ProOrder,)),
    ("pro_orders_symbol", lambda s: s.pro_orders("SPOT", "BTC-USDT"), spot_buy, (m.ProOrder,)),
    ("pro_positions", lambda s: s.pro_positions(), futures_open, (m.ProPosition,)),
    (
        "pro_positions_symbol",
        lambda s: s.pro_positions("FUTURES", ["XBTUSDTM"]),
        futures_open,
        (m.ProPosition,),
    ),
    ("pro_balance", lambda s: s.pro_balance("SPOT"), spot_buy, (m.ProBalance,)),
    ("pro_executions", lambda s: s.pro_executions(), futures_open, (m.ProExecution,)),
    (
        "pro_executions_lite",
        lambda s: s.pro_executions_lite(),
        futures_open,
        (m.ProExecutionLite,),
    ),
    (
        "pro_liquidation_warnings",
        lambda s: s.pro_liquidation_warnings(),
        lambda e: e.warn_liquidation("demo", "LIQUIDATION_WARNING", risk_ratio="0.93"),
        (m.ProLiquidationWarning,),
    ),
    (
        "pro_leverage",
        lambda s: s.pro_leverage(),
        lambda e: e.set_cross_leverage("demo", "XBTUSDTM", 8),
        (m.ProLeverage,),
    ),
]


def all_live(streams: KucoinStreams) -> bool:
    return all(
        c.state.value is ConnectionState.LIVE for c in streams._connections.values() if c.topics
    )


def frames_sent(sim: Simulator, pushes: list[Push]) -> int:
    """How many push frames the simulator's open sockets were owed for ``pushes``."""
    count = 0
    for s in sim._sessions_on(None):
        for p in pushes:
            if p.account != s.account:
                continue
            if isinstance(p, ClassicPush):
                count += p.host == s.host and p.topic in s.subs
            elif s.host == "pro":
                count += sum(matches(k, p) for k in s.subs)
    return count


@pytest.mark.parametrize("sim", WIRES, indirect=True)
@pytest.mark.parametrize(("name", "make", "act", "types"), CASES, ids=[c[0] for c in CASES])
async def test_typed_stream(
    sim: Simulator,
    creds: Credentials,
    name: str,
    make: Callable[[KucoinStreams], Any],
    act: Action,
    types: tuple[type, ...],
) -> None:
    async with KucoinStreams(creds, endpoints=sim.endpoints) as streams:
        got: list[Any] = []
        errors: list[Exception] = []
        failures: list[ConnectionEvent] = []
        pushes: list[Push] = []
        make(streams).subscribe(got.append, errors.append)
        for key in streams._connections:
            streams.events(key).subscribe(
                lambda e: failures.append(e) if e.kind == "exception" else None
            )
        await until(lambda: all_live(streams) and bool(streams._connections))
        sim.engine.listen(pushes.append)
        act(sim.engine)
        sent = frames_sent(sim, pushes)
        assert sent >= 1
        # every push reaches the stream: none lost, none undecodable (also in wire variants)
        await until(lambda: len(got) >= sent)
        await asyncio.sleep(0.05)
        assert not errors
        assert not failures, [(e.detail, e.raw) for e in failures]
        assert len(got) == sent
        assert all(isinstance(item, types) for item in got), [type(i) for i in got]


@pytest.mark.parametrize("sim", WIRES, indirect=True)
async def test_with_gaps_twin_carries_the_marker(sim: Simulator, creds: Credentials) -> None:
    async with KucoinStreams(creds, endpoints=sim.endpoints, backoff=lambda n: 0.05) as streams:
        plain: list[Any] = []
        marked: list[Any] = []
        orders = streams.spot_orders()
        orders.subscribe(plain.append)
        orders.with_gaps().subscribe(marked.append)
        await until(lambda: all_live(streams))
        sim.faults.drop()
        await until(lambda: any(isinstance(i, Gap) for i in marked))
        spot_buy(sim.engine)
        await until(lambda: len(plain) == 2 and len(marked) == 3)
        assert isinstance(marked[0], Gap) and not any(isinstance(i, Gap) for i in plain)
        assert sim.stats.connections["spot"] == 2


async def test_symbol_lists_are_validated(sim: Simulator, creds: Credentials) -> None:
    async with KucoinStreams(creds, endpoints=sim.endpoints) as streams:
        with pytest.raises(InvalidTopic):
            streams.futures_positions([])
        with pytest.raises(InvalidTopic):
            streams.margin_isolated_position("")
        with pytest.raises(InvalidTopic):
            streams.pro_orders("SPOT", [])  # was an IndexError
        with pytest.raises(InvalidTopic):
            streams.subscribe([], "spotPrivateV1")


def test_every_seed_topic_has_a_typed_method() -> None:
    seed_topics = {
        "/spotMarket/tradeOrders": "spot_orders",
        "/spotMarket/tradeOrdersV2": "spot_orders",
        "/account/balance": "spot_balance",
        "/spotMarket/advancedOrders": "spot_stop_orders",
        "/market/match": "spot_matches",
        "/margin/position": "margin_position",
        "/margin/isolatedPosition": "margin_isolated_position",
        "/contractMarket/tradeOrders": "futures_orders",
        "/contractMarket/advancedOrders": "futures_stop_orders",
        "/contractAccount/wallet": "futures_wallet",
        "/contract/position": "futures_positions",
        "/contract/positionAll": "futures_positions",
        "/contract/marginMode": "futures_margin_mode",
        "/contract/crossLeverage": "futures_cross_leverage",
        "orderAll": "pro_orders",
        "positionAll": "pro_positions",
        "balance": "pro_balance",
        "execution": "pro_executions",
        "execution.lite": "pro_executions_lite",
        "lw": "pro_liquidation_warnings",
        "leverage": "pro_leverage",
    }
    for method in seed_topics.values():
        assert callable(getattr(KucoinStreams, method))
    assert WsKey.PRIVATE_PRO_V2.value == "privateProV2"
