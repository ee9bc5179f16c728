"""The simulator's wire-variants mode: pure transforms, and what really goes on the wire."""

from __future__ import annotations

import itertools
import json
import random
import re
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest

from rxkucoin._auth import Credentials
from rxkucoin.sim import Engine, Simulator, WireVariants
from rxkucoin.sim.__main__ import _parser, variants_seed
from rxkucoin.sim._variants import (
    CLASSIC_INT_FIELDS,
    ISOLATED_ONLY,
    PRO_INT_FIELDS,
    VARIANTS,
    vary_classic,
    vary_pro,
    vary_pro_welcome,
)

NOW = 1_700_000_000.0
INTEGER = re.compile(r"-?\d+")


class Always(random.Random):
    """Every coin comes up heads: each applicable variant is applied."""

    def random(self) -> float:
        return 0.0


class Never(random.Random):
    """Every coin comes up tails: the canonical form."""

    def random(self) -> float:
        return 0.99


CROSS_POSITION: dict[str, Any] = {
    "symbol": "XBTUSDTM",
    "crossMode": True,
    "openingTimestamp": 1758421075976,
    "currentTimestamp": 1758424326819,
    "currentQty": 2,
    "currentComm": 0.110982432,
    "isOpen": True,
    "posInit": 40,
    "posMaint": 0.48,
    "maintMarginReq": 0.004,
    "markPrice": 60000,
    "settleCurrency": "USDT",
    "marginMode": "CROSS",
    "positionSide": "BOTH",
    "leverage": 3,
    "changeReason": "positionChange",
}

SPOT_ORDER: dict[str, Any] = {
    "tT": "SPOT",
    "oi": "6720ecd9ec71f4000747731a",
    "ci": "5c52e11203aa677f33e493fb",
    "os": 2,
    "eT": "OPEN",
    "s": "BTC-USDT",
    "S": "BUY",
    "oT": "LIMIT",
    "lR": "",
    "oS": "USER",
    "p": "30000",
    "ti": "",
    "q": "0.01",
    "fS": "0",
    "tD": "",
    "rO": False,
    "O": 1771742294039455063,
    "U": 1771742294040000000,
}


# -- the pure transforms -----------------------------------------------------------------------


def test_canonical_when_no_coin_comes_up() -> None:
    original = dict(CROSS_POSITION)
    tag, data, applied = vary_classic(
        "/contract/positionAll", "/contract/positionAll", "position.change", original, Never()
    )
    assert (tag, data, applied) == ("/contract/positionAll", CROSS_POSITION, [])
    frame = {"T": "orderAll.SPOT", "P": 1, "d": dict(SPOT_ORDER)}
    assert vary_pro(frame, Never()) == (frame, [])
    assert vary_pro_welcome({"message": "welcome"}, Never()) == ({"message": "welcome"}, [])


def test_cross_position_variants_on_a_position_all_push() -> None:
    original = dict(CROSS_POSITION)
    tag, data, applied = vary_classic(
        "/contract/positionAll", "/contract/positionAll", "position.change", original, Always()
    )
    assert original == CROSS_POSITION, "the engine's payload is not modified"
    assert applied == [
        "cross_position_form",
        "position_extras",
        "position_all_tag",
        "numeric_strings",
    ]
    assert tag == "/contract/position:XBTUSDTM"
    assert data["posMargin"] == 40  # the docs' form: posMargin = posInit
    assert (data["tax"], data["dealComm"], data["fundingFee"]) == (0, -0.110982432, 0)
    assert data["currentTimestamp"] == "1758424326819" and data["currentQty"] == "2"
    assert data["crossMode"] is True and data["isOpen"] is True  # booleans stay booleans
    assert data["markPrice"] == 60000, "decimal fields keep their JSON numbers"


def test_cross_position_with_isolated_fields_loses_them() -> None:
    docs_form = {**CROSS_POSITION, "posMargin": 40, "realLeverage": 1.5, "riskLimitLevel": 1}
    _, data, applied = vary_classic(
        "/contract/position:XBTUSDTM",
        "/contract/position:XBTUSDTM",
        "position.change",
        docs_form,
        Always(),
    )
    assert "cross_position_form" in applied and "position_all_tag" not in applied
    assert not set(ISOLATED_ONLY) & data.keys()
    assert data["maintMarginReq"] == 0.004 and data["posMaint"] == 0.48  # cross keeps them


def test_isolated_position_is_never_cut_down() -> None:
    isolated = {**CROSS_POSITION, "crossMode": False, "marginMode": "ISOLATED", "posMargin": 40}
    _, data, applied = vary_classic(
        "/contract/position:XBTUSDTM",
        "/contract/position:XBTUSDTM",
        "position.change",
        isolated,
        Always(),
    )
    assert "cross_position_form" not in applied and data["posMargin"] == 40


def test_mark_price_symbol_follows_the_tag() -> None:
    mark = {"markPrice": 61000, "currentTimestamp": 1, "changeReason": "markPriceChange"}
    # positionAll subscriber, per-symbol tag: the tag moves to positionAll, the symbol goes
    tag, data, applied = vary_classic(
        "/contract/positionAll",
        "/contract/positionAll",
        "position.change",
        {"symbol": "XBTUSDTM", **mark},
        Always(),
    )
    assert tag == "/contract/position:XBTUSDTM"
    assert data["symbol"] == "XBTUSDTM", "a per-symbol tag keeps the payload's symbol"
    assert "mark_price_symbol" not in applied
    tag, data, applied = vary_classic(
        "/contract/positionAll",
        "/contract/position:XBTUSDTM",
        "position.change",
        dict(mark),
        Always(),
    )
    assert tag == "/contract/positionAll" and "symbol" not in data
    assert "position_all_tag" in applied
    # a per-symbol subscriber's mark push may name its symbol
    tag, data, applied = vary_classic(
        "/contract/position:ETHUSDTM",
        "/contract/position:ETHUSDTM",
        "position.change",
        dict(mark),
        Always(),
    )
    assert tag == "/contract/position:ETHUSDTM" and data["symbol"] == "ETHUSDTM"
    assert "mark_price_symbol" in applied


def test_position_all_tag_never_loses_a_settlement_symbol() -> None:
    settlement = {"fundingTime": 1, "qty": 2, "fundingFee": 0.1, "ts": 5}
    tag, data, applied = vary_classic(
        "/contract/positionAll",
        "/contract/position:XBTUSDTM",
        "position.settlement",
        settlement,
        Always(),
    )
    assert tag == "/contract/position:XBTUSDTM" and "position_all_tag" not in applied
    assert data == {"fundingTime": "1", "qty": "2", "fundingFee": 0.1, "ts": "5"}


def test_futures_order_gets_a_position_side() -> None:
    order = {"orderId": "1", "symbol": "XBTUSDTM", "orderTime": 1731916985768138917}
    _, data, applied = vary_classic(
        "/contractMarket/tradeOrders:XBTUSDTM",
        "/contractMarket/tradeOrders:XBTUSDTM",
        "symbolOrderChange",
        order,
        Always(),
    )
    assert applied == ["futures_order_position_side", "numeric_strings"]
    assert data == {**order, "positionSide": "BOTH", "orderTime": "1731916985768138917"}
    _, spot, applied = vary_classic(
        "/spotMarket/tradeOrdersV2", "/spotMarket/tradeOrdersV2", "orderChange", order, Always()
    )
    assert "positionSide" not in spot and applied == ["numeric_strings"]


@pytest.mark.parametrize(("selector", "keeps_trade_type"), [("SPOT", False), ("UNIFIED", True)])
def test_pro_spot_order_minimal(selector: str, keeps_trade_type: bool) -> None:
    frame = {"T": f"orderAll.{selector}", "P": 1771742294040092777, "d": dict(SPOT_ORDER)}
    out, applied = vary_pro(frame, Always())
    assert applied == ["pro_spot_order_minimal", "pro_numeric_strings"]
    d = out["d"]
    assert ("tT" in d) is keeps_trade_type, "UNIFIED tags do not name the trade type"
    assert "oS" not in d and "lR" not in d and "tD" not in d and "ti" not in d
    assert {k: d[k] for k in ("oi", "ci", "s", "S", "eT", "oT")} == {
        k: SPOT_ORDER[k] for k in ("oi", "ci", "s", "S", "eT", "oT")
    }
    assert out["P"] == "1771742294040092777" and d["os"] == "2" and d["O"] == "1771742294039455063"
    assert d["rO"] is False


def test_pro_futures_order_is_not_cut_down() -> None:
    futures = {**SPOT_ORDER, "tT": "FUTURES", "s": "XBTUSDTM"}
    out, applied = vary_pro({"T": "orderAll.UNIFIED", "P": 1, "d": futures}, Always())
    assert applied == ["pro_numeric_strings"]
    assert out["d"].keys() == futures.keys()


def test_pro_welcome_data_form() -> None:
    welcome = {"sessionId": "x", "message": "welcome", "pingInterval": 18000}
    out, applied = vary_pro_welcome(welcome, Always())
    assert out == {"data": "welcome", "sessionId": "x", "pingInterval": 18000}
    assert applied == ["pro_welcome_data"]


def test_cli_option() -> None:
    def seed(*argv: str) -> int | None:
        return variants_seed(_parser().parse_args(list(argv)))

    assert seed() is None
    assert seed("--variants") == 0
    assert seed("--seed", "4", "--variants") == 4
    assert seed("--variants", "9") == 9


# -- through the simulator's sockets -----------------------------------------------------------

CLASSIC_TOPICS = {
    "spot": [
        "/spotMarket/tradeOrdersV2",
        "/account/balance",
        "/spotMarket/advancedOrders",
        "/margin/position",
        "/margin/isolatedPosition:ETH-USDT",
    ],
    "futures": [
        "/contractMarket/tradeOrders",
        "/contractMarket/tradeOrders:XBTUSDTM",
        "/contractMarket/advancedOrders",
        "/contractAccount/wallet",
        "/contract/position:XBTUSDTM,ETHUSDTM",
        "/contract/marginMode",
        "/contract/crossLeverage",
    ],
    "positionAll": ["/contract/positionAll"],
}

PRO_CHANNELS: list[dict[str, str]] = [
    {"channel": "orderAll", "tradeType": "SPOT"},
    {"channel": "orderAll", "tradeType": "UNIFIED"},
    {"channel": "order", "tradeType": "SPOT", "symbol": "BTC-USDT"},
    {"channel": "positionAll", "tradeType": "FUTURES"},
    {"channel": "balance", "accountType": "SPOT"},
    {"channel": "balance", "accountType": "FUTURES"},
    {"channel": "execution", "tradeType": "UNIFIED"},
    {"channel": "execution.lite", "tradeType": "UNIFIED"},
    {"channel": "lw", "tradeType": "UNIFIED"},
    {"channel": "leverage", "tradeType": "FUTURES"},
]

PRO_SOCKETS = 6  # more welcomes, so that both welcome forms show up


def activity(e: Engine) -> None:
    """Something for every topic: spot, stops, margin, isolated and cross futures, marks."""
    oid = e.place_spot_order("demo", "BTC-USDT", "buy", "limit", "0.01", price="30000")
    e.fill_spot_order("demo", oid)
    e.place_spot_stop_order("demo", "BTC-USDT", "sell", "0.01", "20000")
    e.set_cross_margin_debt("demo", {"USDT": "100"})
    e.set_isolated_margin("demo", "ETH-USDT", "DEBT", liabilities={"USDT": "5"})
    for symbol, mode, price in (("XBTUSDTM", "ISOLATED", "60000"), ("ETHUSDTM", "CROSS", "3000")):
        for _ in range(3):
            fid = e.place_futures_order("demo", symbol, "buy", 1, price=price, margin_mode=mode)
            e.fill_futures_order("demo", fid)
    for step in range(1, 9):  # enough coin flips that both forms of a mark push occur
        e.set_mark_price("XBTUSDTM", str(60000 + 100 * step))
        e.set_mark_price("ETHUSDTM", str(3000 + 10 * step))
    e.run_funding("XBTUSDTM", "0.0001")
    e.run_funding("ETHUSDTM", "0.0001")
    e.place_futures_stop_order("demo", "XBTUSDTM", "sell", 1, "50000")
    e.set_cross_leverage("demo", "ETHUSDTM", 8)
    e.warn_liquidation("demo", "LIQUIDATION_WARNING", risk_ratio="0.93")


@dataclass
class Run:
    """What every socket of one run received, as raw text, in order."""

    sim: Simulator
    classic: dict[str, list[str]] = field(default_factory=dict)
    pro: list[list[str]] = field(default_factory=list)

    def decoded(self) -> list[tuple[str, Any]]:
        out = [(name, json.loads(t)) for name, texts in self.classic.items() for t in texts]
        return out + [("pro", json.loads(t)) for texts in self.pro for t in texts]


async def _recv_text(ws: aiohttp.ClientWebSocketResponse) -> str:
    msg = await ws.receive(timeout=5)
    assert msg.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY), msg
    return msg.data if isinstance(msg.data, str) else bytes(msg.data).decode()


async def _drain(ws: aiohttp.ClientWebSocketResponse) -> list[str]:
    """Everything queued before a ping's pong (one writer per socket keeps the order)."""
    await ws.send_json({"id": "probe", "type": "ping"})
    texts: list[str] = []
    while True:
        text = await _recv_text(ws)
        if json.loads(text).get("type") == "pong":
            return texts
        texts.append(text)


async def _classic_socket(
    http: aiohttp.ClientSession, sim: Simulator, creds: Credentials, host: str, topics: list[str]
) -> aiohttp.ClientWebSocketResponse:
    rest = sim.endpoints.spot_rest if host == "spot" else sim.endpoints.futures_rest
    path = "/api/v1/bullet-private"
    headers = creds.headers("POST", path, timestamp_ms=int(NOW * 1000))
    async with http.post(rest + path, headers=headers) as r:
        server = (await r.json())["data"]
    endpoint = server["instanceServers"][0]["endpoint"]
    ws = await http.ws_connect(f"{endpoint}?token={server['token']}&connectId={host}")
    assert json.loads(await _recv_text(ws))["type"] == "welcome"
    for i, topic in enumerate(topics):
        frame = {"id": str(i), "type": "subscribe", "topic": topic, "response": True}
        await ws.send_json({**frame, "privateChannel": True})
        assert json.loads(await _recv_text(ws)) == {"id": str(i), "type": "ack"}
    return ws


async def _pro_socket(
    http: aiohttp.ClientSession, sim: Simulator, creds: Credentials, channels: list[dict[str, str]]
) -> tuple[aiohttp.ClientWebSocketResponse, str]:
    ws = await http.ws_connect(sim.endpoints.pro_private_ws)
    welcome = await _recv_text(ws)
    await ws.send_json(
        {"id": "auth", "op": "auth", **creds.ws_auth_fields(timestamp_ms=int(NOW * 1000))}
    )
    assert json.loads(await _recv_text(ws)) == {"id": "auth", "result": True}
    for i, params in enumerate(channels):
        await ws.send_json({"id": str(i), "action": "SUBSCRIBE", **params})
        assert json.loads(await _recv_text(ws)) == {"id": str(i), "result": True}
    return ws, welcome


async def run_once(wire_variants: int | None) -> Run:
    """One simulator (fixed clocks, fixed seeds), one raw client, the same activity."""
    ns = itertools.count(1_700_000_000_000_000_000, 1_000_000)
    engine = Engine(seed=2, clock_ns=lambda: next(ns))
    async with (
        Simulator(engine, seed=2, clock=lambda: NOW, wire_variants=wire_variants) as sim,
        aiohttp.ClientSession() as http,
    ):
        creds = sim.add_account(
            "demo", balances={"USDT": "100000", "BTC": "10"}, futures_balance="500000"
        )
        run = Run(sim)
        classic = {
            name: await _classic_socket(
                http, sim, creds, "spot" if name == "spot" else "futures", topics
            )
            for name, topics in CLASSIC_TOPICS.items()
        }
        pro = [await _pro_socket(http, sim, creds, PRO_CHANNELS) for _ in range(PRO_SOCKETS)]
        activity(sim.engine)
        for name, ws in classic.items():
            run.classic[name] = await _drain(ws)
        for ws, welcome in pro:
            run.pro.append([welcome, *await _drain(ws)])
        return run


_RUNS: dict[int, Run] = {}


@pytest.fixture
async def variants_run() -> Run:
    # One run serves every test of this module (the frames are data, the run is costly).
    if 11 not in _RUNS:
        _RUNS[11] = await run_once(11)
    return _RUNS[11]


def _integer_valued(value: Any) -> bool:
    return (type(value) is int) or (isinstance(value, str) and bool(INTEGER.fullmatch(value)))


def classic_problems(frame: dict[str, Any]) -> list[str]:
    """What makes a Classic push invalid per PROTOCOL.md §0 (identity fields, integers)."""
    if frame.get("type") != "message" or not isinstance(frame.get("data"), dict):
        return [f"not a push: {frame}"]
    tag, subject, data = frame["topic"], frame["subject"], frame["data"]
    per_symbol = ":" in tag
    required = {
        "orderChange": ("orderId", "symbol", "type", "status", "side"),
        "symbolOrderChange": ("orderId", "symbol", "type", "status", "side"),
        "account.balance": ("currency", "accountId", "relationEvent"),
        "stopOrder": ("orderId", "symbol", "type"),
        "position.status": ("type",),
        "positionChange": ("tag", "status"),
        "walletBalance.change": ("currency",),
        "position.change": ("changeReason",),
    }.get(subject, ())
    problems = [f"{subject}: no {k}" for k in required if k not in data]
    mark_on_all = data.get("changeReason") == "markPriceChange" and tag == "/contract/positionAll"
    futures_position = subject in ("position.change", "position.settlement")
    needs_symbol = futures_position and not per_symbol and not mark_on_all
    if needs_symbol and "symbol" not in data:
        problems.append(f"{subject} on {tag}: no symbol")
    for k in CLASSIC_INT_FIELDS & data.keys():
        if not isinstance(data[k], str | int) or isinstance(data[k], bool):
            problems.append(f"{subject}.{k} = {data[k]!r}")
        elif not _integer_valued(data[k]) and not (k == "size" and isinstance(data[k], str)):
            problems.append(f"{subject}.{k} = {data[k]!r} is not integer-valued")
    return problems


def pro_problems(frame: dict[str, Any]) -> list[str]:
    """What makes a Pro push invalid per PROTOCOL.md §0."""
    if "T" not in frame:
        return [] if "welcome" in (frame.get("message"), frame.get("data")) else [str(frame)]
    channel, _, selector = frame["T"].rpartition(".")
    d = frame["d"]
    problems = [] if _integer_valued(frame["P"]) else [f"P = {frame['P']!r}"]
    required = {
        "orderAll": ("oi", "s", "S", "eT", "os", "oT"),
        "order": ("oi", "s", "S", "eT", "os", "oT"),
        "positionAll": ("pi", "s", "q"),
        "balance": ("c",),
        "execution": ("oi", "s", "ti"),
        "execution.lite": ("oi", "s", "ti"),
        "lw": ("eT",),
        "leverage": ("s",),
    }[channel]
    problems += [f"{channel}: no {k}" for k in required if k not in d]
    if channel in ("orderAll", "order") and selector == "UNIFIED" and "tT" not in d:
        problems.append("a UNIFIED order push without tT")
    problems += [
        f"{channel}.{k} = {d[k]!r}" for k in PRO_INT_FIELDS & d.keys() if not _integer_valued(d[k])
    ]
    return problems


async def test_every_variant_occurs_and_every_frame_stays_valid(variants_run: Run) -> None:
    variants = variants_run.sim.variants
    assert isinstance(variants, WireVariants)
    assert set(VARIANTS) <= {v for v, n in variants.counts.items() if n > 0}, variants.counts
    assert variants.canonical > 0, "some pushes keep the canonical form"
    frames = variants_run.decoded()
    assert len(frames) > 100
    problems = [
        p for name, f in frames for p in (pro_problems(f) if name == "pro" else classic_problems(f))
    ]
    assert not problems, problems[:10]


async def test_the_variants_reach_the_wire(variants_run: Run) -> None:
    classic = [f for name, f in variants_run.decoded() if name != "pro"]
    pro = [f for name, f in variants_run.decoded() if name == "pro"]
    # integer fields both ways
    assert any(isinstance(f["data"].get("orderTime"), str) for f in classic)
    assert any(isinstance(f["data"].get("orderTime"), int) for f in classic)
    # a positionAll subscriber sees both tags, and mark pushes with and without symbol
    position_all = [json.loads(t) for t in variants_run.classic["positionAll"]]
    assert {f["topic"].partition(":")[0] for f in position_all} == {
        "/contract/positionAll",
        "/contract/position",
    }
    marks = [f for f in position_all if f["data"].get("changeReason") == "markPriceChange"]
    assert {"symbol" in f["data"] for f in marks} == {True, False}
    # cross positions with and without posMargin, and the capture's extra fields
    cross = [
        f["data"]
        for f in classic
        if f["subject"] == "position.change"
        and f["data"].get("marginMode") == "CROSS"
        and f["data"].get("changeReason") == "positionChange"
    ]
    assert {"posMargin" in d for d in cross} == {True, False}
    assert any("dealComm" in d and "tax" in d for d in cross)
    assert any("positionSide" in f["data"] for f in classic if f["subject"] == "orderChange")
    # Pro: both welcome forms, P both ways, minimal SPOT orders
    welcomes = [f for f in pro if "T" not in f]
    assert len(welcomes) == PRO_SOCKETS
    assert {"message" in f for f in welcomes} == {True, False}
    assert {type(f["P"]) for f in pro if "T" in f} == {int, str}
    spot_orders = [f["d"] for f in pro if f.get("T") == "orderAll.SPOT"]
    assert any("oS" not in d and "tT" not in d for d in spot_orders)
    assert any(d.get("oS") == "USER" for d in spot_orders)


async def test_same_seed_same_frames_other_seed_other_frames(variants_run: Run) -> None:
    again = await run_once(11)
    assert again.classic == variants_run.classic
    assert again.pro == variants_run.pro
    assert again.sim.variants is not None and variants_run.sim.variants is not None
    assert again.sim.variants.counts == variants_run.sim.variants.counts
    other = await run_once(12)
    assert other.classic != variants_run.classic or other.pro != variants_run.pro
    canonical = await run_once(None)
    assert canonical.sim.variants is None
    assert sum(map(len, canonical.classic.values())) == sum(map(len, again.classic.values()))
    assert all(
        type(json.loads(t)["data"].get("orderTime", 0)) is int
        for texts in canonical.classic.values()
        for t in texts
    )
