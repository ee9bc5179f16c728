"""KuCoin's official Python SDK (``kucoin-universal-sdk``), unmodified, as a simulator client.

The simulator shares our picture of KuCoin; the official SDK does not. For every Classic
private topic (spot, margin, futures) and every UTA (Pro) private channel, the SDK subscribes
through its own public API, the engine causes pushes, and the test checks that every push the
engine emitted for that subscription reached the SDK's callback, in order, with the values
the engine sent (the SDK's pydantic models parse Classic pushes, so a type or enum the SDK's
spec does not allow is a validation error), and that the SDK logged no error or warning.

The SDK is synchronous and threaded: the simulator runs on an asyncio loop in a background
thread (`SimThread`); every wait is bounded; every SDK socket and thread is closed at the end.

One configuration limit of the SDK (1.3.x): the UTA private push host is the class constant
``UtaPushWsService.PRIVATE_ENDPOINT`` with no client option. The UTA tests build the SDK's own
``UtaPrivateWS`` over a subclass that sets only that constant, exactly as the SDK's
``new_uta_private_ws`` builds it over the base class; nothing of the SDK is patched.
"""

from __future__ import annotations

import logging
import threading
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from rxkucoin import Credentials
from rxkucoin.sim import ClassicPush, ProEvent

from ._simthread import WAIT_S, Collector, PushLog, SimThread

try:
    # its generated models use pydantic features deprecated in pydantic 2; not ours to fix
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from kucoin_universal_sdk.api.client import DefaultClient
        from kucoin_universal_sdk.generate.account.account.model_get_futures_account_req import (
            GetFuturesAccountReq,
        )
        from kucoin_universal_sdk.generate.account.account.model_get_spot_account_list_req import (
            GetSpotAccountListReq,
        )
        from kucoin_universal_sdk.generate.futures.order.model_get_order_list_req import (
            GetOrderListReq,
        )
        from kucoin_universal_sdk.generate.futures.positions.model_get_position_details_req import (
            GetPositionDetailsReq,
        )
        from kucoin_universal_sdk.generate.futures.positions.model_get_position_list_req import (
            GetPositionListReq,
        )
        from kucoin_universal_sdk.generate.spot.order.model_get_open_orders_req import (
            GetOpenOrdersReq,
        )
        from kucoin_universal_sdk.generate.spot.order.model_get_stop_orders_list_req import (
            GetStopOrdersListReq,
        )
        from kucoin_universal_sdk.generate.spot.order.model_get_trade_history_req import (
            GetTradeHistoryReq,
        )
        from kucoin_universal_sdk.generate.uta.privatews import UtaPrivateWS
        from kucoin_universal_sdk.internal.infra.uta_push_ws_service import UtaPushWsService
        from kucoin_universal_sdk.model.client_option import ClientOption, ClientOptionBuilder
        from kucoin_universal_sdk.model.transport_option import TransportOptionBuilder
        from kucoin_universal_sdk.model.websocket_option import (
            WebSocketClientOptionBuilder,
            WebSocketEvent,
        )
        from pydantic import BaseModel
except ImportError as exc:  # pragma: no cover - the dev extra installs it
    pytest.skip(
        f"kucoin-universal-sdk cannot be imported ({exc}); install rxkucoin[dev]",
        allow_module_level=True,
    )

# the SDK's own use of pydantic features deprecated since pydantic 2.11; not ours to fix
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:kucoin_universal_sdk")

ACCOUNT = "sdk"

#: SDK events that mean a push or a request went wrong.
BAD_EVENTS = {
    WebSocketEvent.EVENT_ERROR_RECEIVED,
    WebSocketEvent.EVENT_CALLBACK_ERROR,
    WebSocketEvent.EVENT_READ_BUFFER_FULL,
    WebSocketEvent.EVENT_WRITE_BUFFER_FULL,
    WebSocketEvent.EVENT_CLIENT_FAIL,
    WebSocketEvent.EVENT_RE_SUBSCRIBE_ERROR,
}


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def sim(monkeypatch: pytest.MonkeyPatch) -> Iterator[SimThread]:
    """A simulator with 1 s pings (the SDK's heartbeats are exercised) and 5 s pong timeouts."""
    # requests and websocket-client honour proxy variables; loopback must never go through one
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "127.0.0.1,localhost,::1")
    before = set(threading.enumerate())
    st = SimThread(seed=11, ping_interval_ms=1000, ping_timeout_ms=5000)
    try:
        yield st
        assert st.wait_sockets_closed() == 0, "the SDK left sockets open"
    finally:
        st.close()
    started = [t for t in threading.enumerate() if t not in before]
    for t in started:
        t.join(WAIT_S)
    assert [t.name for t in started if t.is_alive()] == []


@pytest.fixture
def sdk_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Capture everything the SDK logs (it logs on the root logger from its threads)."""
    caplog.set_level(logging.INFO)
    yield caplog
    problems = [
        f"{r.levelname} {r.name}: {r.getMessage()}"
        for r in caplog.records
        if r.levelno >= logging.WARNING or "validation error" in r.getMessage()
    ]
    assert problems == []


@pytest.fixture
def events() -> Collector:
    """The SDK's WebSocket events (connected, pong, callback error...)."""
    return Collector("events")


def client_option(st: SimThread, creds: Credentials, events: Collector) -> ClientOption:
    """The SDK's options, pointing every configurable host at the simulator."""
    endpoints = st.sim.endpoints
    ws_option = (
        WebSocketClientOptionBuilder()
        .with_reconnect(False)
        .with_dial_timeout(WAIT_S)
        .with_write_timeout(WAIT_S)
        .with_event_callback(lambda event, msg, err: events.add((event, msg, err)))
        .build()
    )
    return (
        ClientOptionBuilder()
        .set_key(creds.api_key)
        .set_secret(creds.api_secret)
        .set_passphrase(creds.api_passphrase)
        .set_spot_endpoint(endpoints.spot_rest)
        .set_futures_endpoint(endpoints.futures_rest)
        .set_broker_endpoint(endpoints.spot_rest)
        .set_transport_option(TransportOptionBuilder().build())
        .set_websocket_client_option(ws_option)
        .build()
    )


def uta_private_ws(option: ClientOption, url: str) -> UtaPrivateWS:
    """The SDK's UTA private push client, on the simulator's Pro host (see the module doc)."""
    service = type("LoopbackUtaPushWsService", (UtaPushWsService,), {"PRIVATE_ENDPOINT": url})
    return UtaPrivateWS(service(option, private_channel=True))


def has(kind: WebSocketEvent) -> Callable[[list[Any]], bool]:
    return lambda items: any(event is kind for event, _, _ in items)


def wait_for_pong(events: Collector) -> None:
    """Bounded wait until the SDK saw a pong (its heartbeat works against the simulator)."""
    pong = has(WebSocketEvent.EVENT_PONG_RECEIVED)
    assert pong(events.wait_until(pong)), "the SDK never received a pong"


def check_events(events: Collector) -> None:
    """No SDK event said that a push, a request or the connection went wrong."""
    assert [(e, m, err) for e, m, err in events.wait_for(0) if e in BAD_EVENTS] == []


# --------------------------------------------------------------------------- Classic checks


def sdk_view(event: BaseModel) -> Any:
    """The values the SDK parsed, under their wire names (``data`` for map-shaped topics)."""
    dumped = event.model_dump(
        mode="json", by_alias=True, exclude_none=True, exclude={"common_response"}
    )
    if wire_names(event) == {"data"}:
        return dumped.get("data")
    return dumped


def wire_names(event: BaseModel) -> set[str]:
    return {
        field.alias or name
        for name, field in type(event).model_fields.items()
        if name != "common_response"
    }


def classic_callback(col: Collector) -> Callable[[str, str, Any], None]:
    return lambda topic, subject, event: col.add((topic, subject, event))


def differences(parsed: Any, sent: Any, path: str = "") -> list[str]:
    """Where the SDK's parsed value is not what was sent (fields it does not model are skipped)."""
    if isinstance(parsed, dict) and isinstance(sent, dict):
        out = [f"{path}.{k}: not sent" for k in parsed if k not in sent]
        for k in parsed:
            if k in sent:
                out += differences(parsed[k], sent[k], f"{path}.{k}")
        return out
    if isinstance(parsed, list) and isinstance(sent, list) and len(parsed) == len(sent):
        return [
            d
            for i, (p, s) in enumerate(zip(parsed, sent, strict=True))
            for d in differences(p, s, f"{path}[{i}]")
        ]
    return [] if parsed == sent else [f"{path}: parsed {parsed!r}, sent {sent!r}"]


def check_classic(col: Collector, expected: list[ClassicPush]) -> None:
    """Every expected push reached ``col`` in order, with every value the SDK models."""
    assert expected, f"{col.name}: the scenario caused no push"
    received = col.wait_for(len(expected))
    assert len(received) == len(expected), (col.name, len(received), len(expected))
    for (topic, subject, event), push in zip(received, expected, strict=True):
        assert (topic, subject) == (push.wire_topic or push.topic, push.subject), col.name
        parsed = sdk_view(event)
        assert differences(parsed, push.data) == [], (col.name, push.data)
        if wire_names(event) != {"data"}:
            # nothing the SDK models was lost on the way
            lost = {
                k for k in wire_names(event) if push.data.get(k) is not None and k not in parsed
            }
            assert lost == set(), (col.name, push.data)


# --------------------------------------------------------------------------- Classic


def test_spot_private_topics(sim: SimThread, sdk_log: Any, events: Collector) -> None:
    creds = sim.call(sim.sim.add_account, ACCOUNT, balances={"USDT": "100000", "BTC": "10"})
    log = PushLog(sim)
    ws = client_option(sim, creds, events)
    spot = DefaultClient(ws).ws_service().new_spot_private_ws()
    spot.start()
    cols = {name: Collector(name) for name in ("v1", "v2", "balance", "stop")}
    try:
        spot.order_v1(classic_callback(cols["v1"]))
        spot.order_v2(classic_callback(cols["v2"]))
        spot.account(classic_callback(cols["balance"]))
        spot.stop_order(classic_callback(cols["stop"]))

        e = sim.sim.engine
        buy = sim.call(e.place_spot_order, ACCOUNT, "BTC-USDT", "buy", "limit", "0.01", "50000")
        sim.call(e.fill_spot_order, ACCOUNT, buy, "0.004")
        sim.call(e.fill_spot_order, ACCOUNT, buy)
        sell = sim.call(e.place_spot_order, ACCOUNT, "BTC-USDT", "sell", "limit", "0.5", "70000")
        sim.call(e.amend_spot_order, ACCOUNT, sell, "0.3")
        sim.call(e.cancel_spot_order, ACCOUNT, sell)
        sim.call(e.place_spot_order, ACCOUNT, "ETH-USDT", "buy", "market", "0.2")
        sim.call(e.place_spot_stop_order, ACCOUNT, "BTC-USDT", "sell", "0.1", "55000")
        keep = sim.call(
            e.place_spot_stop_order, ACCOUNT, "BTC-USDT", "buy", "0.1", "70000", stop="entry"
        )
        sim.call(e.set_spot_price, "BTC-USDT", "54000")
        sim.call(e.cancel_stop_order, ACCOUNT, keep)

        check_classic(cols["v1"], log.classic(ACCOUNT, "/spotMarket/tradeOrders"))
        check_classic(cols["v2"], log.classic(ACCOUNT, "/spotMarket/tradeOrdersV2"))
        check_classic(cols["balance"], log.classic(ACCOUNT, "/account/balance"))
        check_classic(cols["stop"], log.classic(ACCOUNT, "/spotMarket/advancedOrders"))
        wait_for_pong(events)
    finally:
        spot.stop()
    check_events(events)


def test_margin_private_topics(sim: SimThread, sdk_log: Any, events: Collector) -> None:
    creds = sim.call(sim.sim.add_account, ACCOUNT, balances={"USDT": "100000", "BTC": "1"})
    log = PushLog(sim)
    margin = DefaultClient(client_option(sim, creds, events)).ws_service().new_margin_private_ws()
    margin.start()
    cross, isolated = Collector("cross"), Collector("isolated")
    try:
        margin.cross_margin_position(classic_callback(cross))
        margin.isolated_margin_position("BTC-USDT", classic_callback(isolated))

        e = sim.sim.engine
        sim.call(e.set_cross_margin_debt, ACCOUNT, {"USDT": "7000"})
        sim.call(e.set_cross_margin_debt, ACCOUNT, {"USDT": "3500"})
        sim.call(e.set_cross_margin_debt, ACCOUNT, {})
        sim.call(e.set_isolated_margin, ACCOUNT, "BTC-USDT", "DEBT", liabilities={"USDT": "100"})
        sim.call(e.set_isolated_margin, ACCOUNT, "BTC-USDT", "CLEAR", status_biz_type="USER_REPAY")
        # another symbol's isolated position is not this subscription's
        sim.call(e.set_isolated_margin, ACCOUNT, "ETH-USDT", "DEBT", liabilities={"USDT": "5"})

        expected_cross = log.classic(ACCOUNT, "/margin/position")
        assert {p.subject for p in expected_cross} == {"debt.ratio", "position.status"}
        check_classic(cross, expected_cross)
        check_classic(isolated, log.classic(ACCOUNT, "/margin/isolatedPosition:BTC-USDT"))
        wait_for_pong(events)
    finally:
        margin.stop()
    check_events(events)


def test_futures_private_topics(sim: SimThread, sdk_log: Any, events: Collector) -> None:
    creds = sim.call(sim.sim.add_account, ACCOUNT, futures_balance="50000")
    log = PushLog(sim)
    fut = DefaultClient(client_option(sim, creds, events)).ws_service().new_futures_private_ws()
    fut.start()
    names = ("orders", "orders_xbt", "stops", "wallet", "positions", "position_xbt", "mode", "lev")
    cols = {name: Collector(name) for name in names}
    try:
        fut.all_order(classic_callback(cols["orders"]))
        fut.order("XBTUSDTM", classic_callback(cols["orders_xbt"]))
        fut.stop_orders(classic_callback(cols["stops"]))
        fut.balance(classic_callback(cols["wallet"]))
        # both position forms held at once, on one socket
        fut.all_position(classic_callback(cols["positions"]))
        fut.position("XBTUSDTM", classic_callback(cols["position_xbt"]))
        fut.margin_mode(classic_callback(cols["mode"]))
        fut.cross_leverage(classic_callback(cols["lev"]))

        e = sim.sim.engine
        sim.call(e.set_margin_mode, ACCOUNT, "ETHUSDTM", "CROSS")
        sim.call(e.set_cross_leverage, ACCOUNT, "ETHUSDTM", 8)
        buy = sim.call(e.place_futures_order, ACCOUNT, "XBTUSDTM", "buy", 10, "60000")
        sim.call(e.fill_futures_order, ACCOUNT, buy, 4)
        sim.call(e.fill_futures_order, ACCOUNT, buy)
        sell = sim.call(e.place_futures_order, ACCOUNT, "XBTUSDTM", "sell", 3, "70000")
        sim.call(e.cancel_futures_order, ACCOUNT, sell)
        sim.call(e.set_mark_price, "XBTUSDTM", "61000")
        sim.call(e.run_funding, "XBTUSDTM", "0.0001")
        sim.call(
            e.place_futures_stop_order,
            ACCOUNT,
            "ETHUSDTM",
            "buy",
            2,
            "3100",
            stop="up",
            margin_mode="CROSS",
        )
        sim.call(e.set_mark_price, "ETHUSDTM", "3100")  # triggers: a cross position opens
        keep = sim.call(
            e.place_futures_stop_order, ACCOUNT, "XBTUSDTM", "buy", 1, "70000", stop="up"
        )
        sim.call(e.cancel_stop_order, ACCOUNT, keep)
        sim.call(e.place_futures_order, ACCOUNT, "XBTUSDTM", "sell", 10)  # market: closes

        check_classic(cols["orders"], log.classic(ACCOUNT, "/contractMarket/tradeOrders"))
        check_classic(
            cols["orders_xbt"], log.classic(ACCOUNT, "/contractMarket/tradeOrders:XBTUSDTM")
        )
        check_classic(cols["stops"], log.classic(ACCOUNT, "/contractMarket/advancedOrders"))
        check_classic(cols["wallet"], log.classic(ACCOUNT, "/contractAccount/wallet"))
        all_positions = log.classic(ACCOUNT, "/contract/positionAll")
        assert {p.data.get("symbol") for p in all_positions} >= {"XBTUSDTM", "ETHUSDTM"}
        check_classic(cols["positions"], all_positions)
        check_classic(cols["position_xbt"], log.classic(ACCOUNT, "/contract/position:XBTUSDTM"))
        check_classic(cols["mode"], log.classic(ACCOUNT, "/contract/marginMode"))
        check_classic(cols["lev"], log.classic(ACCOUNT, "/contract/crossLeverage"))
        wait_for_pong(events)
    finally:
        fut.stop()
    check_events(events)


# --------------------------------------------------------------------------- UTA (Pro)

#: Fee fields ``execution.lite`` leaves out (PROTOCOL.md §5.6).
LITE_FEE_FIELDS = ("f", "fC", "t")


def pro_callback(col: Collector) -> Callable[[dict[str, Any]], None]:
    return col.add


def check_pro(
    col: Collector,
    channel: str,
    expected: list[ProEvent],
    drop: tuple[str, ...] = (),
) -> None:
    """Every expected event reached ``col`` in order as ``{T: channel.UNIFIED, P, d}``."""
    assert expected, f"{col.name}: the scenario caused no push"
    received = col.wait_for(len(expected))
    assert len(received) == len(expected), (col.name, len(received), len(expected))
    for message, event in zip(received, expected, strict=True):
        assert message["T"] == f"{channel}.UNIFIED", col.name
        assert isinstance(message["P"], int) and message["P"] > 0
        want = {k: v for k, v in event.data.items() if k not in drop}
        assert message["d"] == want, (col.name, event.data)


def test_uta_private_channels(sim: SimThread, sdk_log: Any, events: Collector) -> None:
    creds = sim.call(
        sim.sim.add_account,
        ACCOUNT,
        balances={"USDT": "100000", "BTC": "10"},
        futures_balance="50000",
        unified=True,
    )
    log = PushLog(sim)
    option = client_option(sim, creds, events)
    url = sim.sim.endpoints.pro_private_ws
    # The SDK delivers an ``order.*`` push to orderAll subscribers too (and ``position.*`` to
    # positionAll): the per-symbol channels get their own socket so each callback's pushes
    # are exactly its channel's.
    everything, per_symbol = uta_private_ws(option, url), uta_private_ws(option, url)
    names = ("orderAll", "positionAll", "balance", "execution", "lite", "lw", "leverage")
    cols = {name: Collector(name) for name in (*names, "order", "position")}
    everything.start()
    try:
        per_symbol.start()
        try:
            everything.order_all(pro_callback(cols["orderAll"]))
            everything.position_all(pro_callback(cols["positionAll"]))
            everything.balance("UNIFIED", pro_callback(cols["balance"]))
            everything.execution(pro_callback(cols["execution"]))
            everything.execution_lite("UNIFIED", pro_callback(cols["lite"]))
            everything.liquidation_warning(pro_callback(cols["lw"]))
            everything.leverage(pro_callback(cols["leverage"]))
            per_symbol.order("BTC-USDT", pro_callback(cols["order"]))
            per_symbol.position("XBTUSDTM", pro_callback(cols["position"]))

            e = sim.sim.engine
            buy = sim.call(e.place_spot_order, ACCOUNT, "BTC-USDT", "buy", "limit", "0.01", "50000")
            sim.call(e.fill_spot_order, ACCOUNT, buy, "0.004")
            sim.call(e.fill_spot_order, ACCOUNT, buy)
            other = sim.call(e.place_spot_order, ACCOUNT, "ETH-USDT", "buy", "limit", "1", "2000")
            sim.call(e.cancel_spot_order, ACCOUNT, other)
            fbuy = sim.call(e.place_futures_order, ACCOUNT, "XBTUSDTM", "buy", 5, "60000")
            sim.call(e.fill_futures_order, ACCOUNT, fbuy)
            sim.call(e.set_cross_leverage, ACCOUNT, "ETHUSDTM", 5)
            eth = sim.call(e.place_futures_order, ACCOUNT, "ETHUSDTM", "buy", 2, "3000")
            sim.call(e.fill_futures_order, ACCOUNT, eth)
            sim.call(e.warn_liquidation, ACCOUNT, "MARGIN_CALL", risk_ratio="0.86")

            orders = log.pro(ACCOUNT, "order")
            positions = log.pro(ACCOUNT, "position")
            executions = log.pro(ACCOUNT, "execution")
            check_pro(cols["orderAll"], "orderAll", orders)
            check_pro(cols["order"], "order", [p for p in orders if p.symbol == "BTC-USDT"])
            check_pro(cols["positionAll"], "positionAll", positions)
            check_pro(
                cols["position"], "position", [p for p in positions if p.symbol == "XBTUSDTM"]
            )
            check_pro(cols["balance"], "balance", log.pro(ACCOUNT, "balance"))
            check_pro(cols["execution"], "execution", executions)
            check_pro(cols["lite"], "execution.lite", executions, drop=LITE_FEE_FIELDS)
            check_pro(cols["lw"], "lw", log.pro(ACCOUNT, "lw"))
            check_pro(cols["leverage"], "leverage", log.pro(ACCOUNT, "leverage"))
            wait_for_pong(events)
        finally:
            per_symbol.stop()
    finally:
        everything.stop()
    check_events(events)


# --------------------------------------------------------------------------- REST snapshots


def test_classic_rest_snapshots(sim: SimThread, sdk_log: Any, events: Collector) -> None:
    """The SDK's typed REST calls a client makes to reconcile parse the simulator's answers."""
    creds = sim.call(
        sim.sim.add_account,
        ACCOUNT,
        balances={"USDT": "100000", "BTC": "1"},
        futures_balance="50000",
    )
    e = sim.sim.engine
    spot_order = sim.call(e.place_spot_order, ACCOUNT, "BTC-USDT", "buy", "limit", "0.01", "50000")
    sim.call(e.fill_spot_order, ACCOUNT, spot_order, "0.004")
    stop = sim.call(e.place_spot_stop_order, ACCOUNT, "BTC-USDT", "sell", "0.1", "55000")
    fut_order = sim.call(e.place_futures_order, ACCOUNT, "XBTUSDTM", "buy", 10, "60000")
    sim.call(e.fill_futures_order, ACCOUNT, fut_order, 4)
    sim.call(e.set_margin_mode, ACCOUNT, "ETHUSDTM", "CROSS")
    sim.call(e.place_futures_order, ACCOUNT, "ETHUSDTM", "buy", 2)  # market: a cross position

    rest = DefaultClient(client_option(sim, creds, events)).rest_service()
    account = rest.get_account_service().get_account_api()
    spot = rest.get_spot_service().get_order_api()
    positions = rest.get_futures_service().get_positions_api()
    futures = rest.get_futures_service().get_order_api()
    answers = {
        "spot accounts": account.get_spot_account_list(GetSpotAccountListReq(type="trade")),
        "futures account": account.get_futures_account(GetFuturesAccountReq(currency="USDT")),
        "spot open orders": spot.get_open_orders(GetOpenOrdersReq(symbol="BTC-USDT")),
        "spot fills": spot.get_trade_history(GetTradeHistoryReq(symbol="BTC-USDT")),
        "spot stop orders": spot.get_stop_orders_list(GetStopOrdersListReq()),
        "futures positions": positions.get_position_list(GetPositionListReq()),
        "futures position": positions.get_position_details(
            GetPositionDetailsReq(symbol="XBTUSDTM")
        ),
        "futures open orders": futures.get_order_list(GetOrderListReq(status="active")),
    }
    for name, answer in answers.items():
        # what the SDK parsed is what the simulator sent (``data`` as received)
        assert differences(sdk_view(answer), answer.common_response.data) == [], name

    def parsed(name: str) -> Any:
        return sdk_view(answers[name])

    assert {a["currency"]: a["available"] for a in parsed("spot accounts")} == {
        "BTC": "1.004",
        "USDT": "99499.5",
    }
    assert [o["id"] for o in parsed("spot open orders")] == [spot_order]
    assert [f["orderId"] for f in parsed("spot fills")["items"]] == [spot_order]
    assert [o["id"] for o in parsed("spot stop orders")["items"]] == [stop]
    assert {p["symbol"]: p["currentQty"] for p in parsed("futures positions")} == {
        "XBTUSDTM": 4,
        "ETHUSDTM": 2,
    }
    assert parsed("futures position")["symbol"] == "XBTUSDTM"
    assert [o["id"] for o in parsed("futures open orders")["items"]] == [fut_order]
    assert parsed("futures account")["currency"] == "USDT"
    check_events(events)
