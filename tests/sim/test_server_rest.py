"""Simulator REST face: signature checks, token endpoints, snapshots, token-call faults."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
import yarl

from rxkucoin._auth import Credentials
from rxkucoin.sim import Simulator, demo_credentials

NOW = 1_700_000_000.0


class FakeEngine:
    """Stands in for the account engine: records calls, answers snapshots."""

    def __init__(self) -> None:
        self.added: dict[str, dict[str, Any]] = {}
        self.calls: list[tuple[str, str, dict[str, Any]]] = []
        self.callbacks: list[Any] = []

    def listen(self, callback: Any) -> Any:
        self.callbacks.append(callback)
        return lambda: self.callbacks.remove(callback)

    def add_account(self, account: str, **kw: Any) -> None:
        self.added[account] = kw

    def spot_accounts(self, account: str) -> list[dict[str, Any]]:
        self.calls.append(("spot_accounts", account, {}))
        return [
            {"currency": "USDT", "type": "trade", "balance": "10"},
            {"currency": "BTC", "type": "main", "balance": "1"},
        ]

    def __getattr__(self, name: str) -> Any:
        if not name.startswith(("spot_", "futures_", "pro_", "account_")):
            raise AttributeError(name)

        def snapshot(account: str, **kw: Any) -> dict[str, Any]:
            self.calls.append((name, account, kw))
            return {"method": name, "account": account, **kw}

        return snapshot


@pytest.fixture
async def sim() -> Any:
    async with Simulator(FakeEngine(), seed=7, clock=lambda: NOW) as s:
        yield s


@pytest.fixture
async def http() -> Any:
    async with aiohttp.ClientSession() as h:
        yield h


async def call(
    http: aiohttp.ClientSession,
    method: str,
    url: str | yarl.URL,
    headers: dict[str, str] | None = None,
    body: str = "",
) -> tuple[int, Any, Any]:
    async with http.request(method, url, headers=headers, data=body or None) as r:
        return r.status, await r.json(content_type=None), r.headers


def signed(
    creds: Credentials, method: str, path: str, body: str = "", ts: float = NOW
) -> dict[str, str]:
    return creds.headers(method, path, body, timestamp_ms=int(ts * 1000))


# -- endpoints and accounts --------------------------------------------------------------------


async def test_endpoints_are_three_loopback_ports(sim: Simulator) -> None:
    ep = sim.endpoints
    assert ep.spot_rest.startswith("http://127.0.0.1:")
    assert ep.futures_rest.startswith("http://127.0.0.1:")
    assert ep.pro_private_ws.startswith("ws://127.0.0.1:")
    ports = {u.rsplit(":", 1)[1] for u in (ep.spot_rest, ep.futures_rest, ep.pro_private_ws)}
    assert len(ports) == 3


async def test_endpoints_need_a_running_simulator() -> None:
    with pytest.raises(RuntimeError):
        _ = Simulator(FakeEngine()).endpoints


async def test_demo_credentials_are_deterministic(sim: Simulator) -> None:
    creds = sim.add_account("demo", balances={"USDT": "5"})
    again, uid = demo_credentials(7, "demo")
    assert creds == again and creds.api_secret == again.api_secret
    assert creds.api_passphrase == again.api_passphrase
    assert demo_credentials(8, "demo")[0].api_key != creds.api_key
    engine = sim.engine
    assert isinstance(engine, FakeEngine)
    assert engine.added["demo"] == {"user_id": uid, "balances": {"USDT": "5"}}
    assert sim.accounts["demo"].user_id == uid
    assert "***" in repr(creds) and creds.api_secret not in repr(sim.accounts["demo"])


async def test_explicit_credentials(sim: Simulator) -> None:
    creds = sim.add_account("a", api_key="k", api_secret="s", passphrase="p", key_version="3")
    assert (creds.api_key, creds.api_secret, creds.api_passphrase) == ("k", "s", "p")
    assert creds.key_version == "3"


# -- token endpoints ---------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["spot", "futures"])
async def test_bullet_public_needs_no_auth(sim: Simulator, http: Any, host: str) -> None:
    base = sim.endpoints.spot_rest if host == "spot" else sim.endpoints.futures_rest
    status, body, _ = await call(http, "POST", base + "/api/v1/bullet-public")
    assert status == 200 and body["code"] == "200000"
    data = body["data"]
    assert isinstance(data["token"], str) and "." in data["token"]
    [server] = data["instanceServers"]
    assert server == {
        "endpoint": base.replace("http://", "ws://") + "/",
        "encrypt": False,
        "protocol": "websocket",
        "pingInterval": 18000,
        "pingTimeout": 10000,
    }
    assert type(server["pingInterval"]) is int
    assert sim.stats.bullet_calls[host] == 1


@pytest.mark.parametrize("host", ["spot", "futures"])
async def test_bullet_private(sim: Simulator, http: Any, host: str) -> None:
    creds = sim.add_account()
    base = sim.endpoints.spot_rest if host == "spot" else sim.endpoints.futures_rest
    path = "/api/v1/bullet-private"
    status, body, _ = await call(http, "POST", base + path, signed(creds, "POST", path))
    assert status == 200 and body["code"] == "200000"
    assert set(body["data"]) == {"token", "instanceServers"}
    # a body that was signed is accepted too
    status, body, _ = await call(
        http, "POST", base + path, signed(creds, "POST", path, "{}"), body="{}"
    )
    assert status == 200, body


async def test_pro_token_has_no_instance_servers(sim: Simulator, http: Any) -> None:
    creds = sim.add_account()
    path = "/api/v2/bullet-private"
    status, body, _ = await call(
        http, "POST", sim.endpoints.spot_rest + path, signed(creds, "POST", path)
    )
    assert status == 200 and body["code"] == "200000"
    assert set(body["data"]) == {"token"}
    status, _, _ = await call(
        http, "POST", sim.endpoints.futures_rest + path, signed(creds, "POST", path)
    )
    assert status == 404


async def test_protocol_test_vectors_are_accepted(http: Any) -> None:
    """PROTOCOL.md §1.4: the literal signatures for secret ``test_api_secret``."""
    async with Simulator(FakeEngine(), clock=lambda: 1_700_000_000.0) as sim:
        sim.add_account(
            "v", api_key="key", api_secret="test_api_secret", passphrase="test_passphrase"
        )
        base = {
            "KC-API-KEY": "key",
            "KC-API-TIMESTAMP": "1700000000000",
            "KC-API-PASSPHRASE": "Ikr9KjwgA4urCb5Az1TNKgQELW10z84iOq+wsZsRRz0=",
            "KC-API-KEY-VERSION": "2",
        }
        for path, sig in (
            ("/api/v1/bullet-private", "tjIYTE2HrB7Z9GuGIpBT0vsm7A5LA9Cpb95o7dG/OM4="),
            ("/api/v2/bullet-private", "zuaHEBQBB15PSJaBO2pdReR6gOvTUh//4YMDXAIqXQs="),
        ):
            headers = {**base, "KC-API-SIGN": sig}
            status, body, _ = await call(http, "POST", sim.endpoints.spot_rest + path, headers)
            assert (status, body["code"]) == (200, "200000")
        headers = {**base, "KC-API-SIGN": "Bc8k4EIroch+s7Imppj/K3lZzLNqo6LeGEufsbdVcNE="}
        status, _, _ = await call(
            http, "POST", sim.endpoints.spot_rest + "/api/v1/bullet-private", headers, "{}"
        )
        assert status == 200
        headers = {**base, "KC-API-SIGN": "aFaQtAnmPjIi2Iiqobsv/erj2DY1RCsqN9us/zMZPmA="}
        url = sim.endpoints.spot_rest + "/api/v1/hf/orders/active?symbol=BTC-USDT"
        status, body, _ = await call(http, "GET", url, headers)
        assert status == 200 and body["data"]["symbol"] == "BTC-USDT"


# -- every gateway error -----------------------------------------------------------------------


def _drop(name: str) -> Any:
    return lambda h, c: {k: v for k, v in h.items() if k != name}


BAD = {
    "no key": (_drop("KC-API-KEY"), "400001"),
    "no sign": (_drop("KC-API-SIGN"), "400001"),
    "no timestamp": (_drop("KC-API-TIMESTAMP"), "400001"),
    "no passphrase": (_drop("KC-API-PASSPHRASE"), "400001"),
    "stale timestamp": (
        lambda h, c: c.headers(
            "POST", "/api/v1/bullet-private", timestamp_ms=int(NOW * 1000) - 5001
        ),
        "400002",
    ),
    "future timestamp": (
        lambda h, c: c.headers(
            "POST", "/api/v1/bullet-private", timestamp_ms=int(NOW * 1000) + 5001
        ),
        "400002",
    ),
    "timestamp not a number": (lambda h, c: {**h, "KC-API-TIMESTAMP": "soon"}, "400002"),
    "unknown key": (lambda h, c: {**h, "KC-API-KEY": "nope"}, "400003"),
    "plain passphrase on v2": (lambda h, c: {**h, "KC-API-PASSPHRASE": c.api_passphrase}, "400004"),
    "wrong signature": (
        lambda h, c: {**h, "KC-API-SIGN": c.headers("POST", "/api/v1/other")["KC-API-SIGN"]},
        "400005",
    ),
    "wrong method signed": (
        lambda h, c: c.headers("GET", "/api/v1/bullet-private", timestamp_ms=int(NOW * 1000)),
        "400005",
    ),
    "body signed but not sent": (
        lambda h, c: c.headers(
            "POST", "/api/v1/bullet-private", "{}", timestamp_ms=int(NOW * 1000)
        ),
        "400005",
    ),
    "wrong key version": (lambda h, c: {**h, "KC-API-KEY-VERSION": "4"}, "400009"),
    "v1 key version on a v2 key": (lambda h, c: {**h, "KC-API-KEY-VERSION": "1"}, "400009"),
    "missing key version": (_drop("KC-API-KEY-VERSION"), "400009"),
}

MESSAGES = {
    "400001": "Please check the URL of your request.",
    "400002": "Invalid KC-API-TIMESTAMP.",
    "400003": "KC-API-KEY does not exist.",
    "400004": "Invalid KC-API-PASSPHRASE.",
    "400005": "Invalid KC-API-SIGN.",
    "400007": "Access denied, requires more permission.",
    "400009": "Invalid KC-API-KEY-VERSION.",
}


@pytest.mark.parametrize("case", list(BAD))
async def test_gateway_errors(sim: Simulator, http: Any, case: str) -> None:
    creds = sim.add_account()
    mutate, code = BAD[case]
    path = "/api/v1/bullet-private"
    headers = mutate(signed(creds, "POST", path), creds)
    for base in (sim.endpoints.spot_rest, sim.endpoints.futures_rest):
        status, body, _ = await call(http, "POST", base + path, headers)
        assert status == 401
        assert body == {"code": code, "msg": MESSAGES[code]}


async def test_permission_is_checked_last(sim: Simulator, http: Any) -> None:
    creds = sim.add_account("ro", permissions=())
    path = "/api/v1/bullet-private"
    status, body, _ = await call(
        http, "POST", sim.endpoints.spot_rest + path, signed(creds, "POST", path)
    )
    assert (status, body["code"]) == (401, "400007")
    status, body, _ = await call(
        http,
        "GET",
        sim.endpoints.spot_rest + "/api/v1/accounts",
        signed(creds, "GET", "/api/v1/accounts"),
    )
    assert (status, body["code"]) == (401, "400007")


@pytest.mark.parametrize(("created", "sent"), [("2", "3"), ("3", "2"), ("2", "2"), ("3", "3")])
async def test_v2_and_v3_keys_accept_either_version(
    sim: Simulator, http: Any, created: str, sent: str
) -> None:
    """The official SDK sends version 3 for every key (KuCoin moved v2 keys to v3 in
    2025); ccxt sends 2. Both sign the passphrase with the secret."""
    creds = sim.add_account("k", key_version=created)
    path = "/api/v1/bullet-private"
    headers = {**signed(creds, "POST", path), "KC-API-KEY-VERSION": sent}
    status, body, _ = await call(http, "POST", sim.endpoints.futures_rest + path, headers)
    assert (status, body["code"]) == (200, "200000")
    # the passphrase is still checked: a plain one is refused whatever the version says
    plain = {**headers, "KC-API-PASSPHRASE": creds.api_passphrase}
    status, body, _ = await call(http, "POST", sim.endpoints.futures_rest + path, plain)
    assert (status, body["code"]) == (401, "400004")


async def test_v1_key_plain_passphrase_no_version_header(sim: Simulator, http: Any) -> None:
    creds = sim.add_account("old", key_version="1")
    path = "/api/v1/bullet-private"
    headers = signed(creds, "POST", path)
    assert "KC-API-KEY-VERSION" not in headers
    assert headers["KC-API-PASSPHRASE"] == creds.api_passphrase
    status, _, _ = await call(http, "POST", sim.endpoints.spot_rest + path, headers)
    assert status == 200
    status, body, _ = await call(
        http, "POST", sim.endpoints.spot_rest + path, {**headers, "KC-API-KEY-VERSION": "2"}
    )
    assert (status, body["code"]) == (401, "400009")


async def test_raw_query_both_encodings(sim: Simulator, http: Any) -> None:
    creds = sim.add_account()
    raw = "/api/v1/hf/fills?symbol=BTC-USDT&note=abc!@#11"
    encoded = "/api/v1/hf/fills?symbol=BTC-USDT&note=abc%21%40%2311"
    for signed_path in (raw, encoded):
        url = yarl.URL(sim.endpoints.spot_rest + encoded, encoded=True)
        status, body, _ = await call(http, "GET", url, signed(creds, "GET", signed_path))
        assert status == 200, (signed_path, body)
    # query order is part of what is signed
    url = yarl.URL(sim.endpoints.spot_rest + "/api/v1/hf/fills?b=1&a=2", encoded=True)
    status, body, _ = await call(http, "GET", url, signed(creds, "GET", "/api/v1/hf/fills?a=2&b=1"))
    assert (status, body["code"]) == (401, "400005")


# -- snapshots ---------------------------------------------------------------------------------


SNAPSHOTS = [
    (
        "spot",
        "/api/v1/hf/orders/active?symbol=BTC-USDT",
        "spot_open_orders",
        {"symbol": "BTC-USDT"},
    ),
    ("spot", "/api/v1/hf/orders/active", "spot_open_orders", {}),
    ("spot", "/api/v1/hf/fills?symbol=ETH-USDT", "spot_fills", {"symbol": "ETH-USDT"}),
    ("spot", "/api/v1/stop-order", "spot_stop_orders", {}),
    ("spot", "/api/v1/orders?status=active", "spot_orders", {"page": 1, "page_size": 50}),
    (
        "spot",
        "/api/v1/orders?status=active&symbol=BTC-USDT&currentPage=2&pageSize=10",
        "spot_orders",
        {"symbol": "BTC-USDT", "page": 2, "page_size": 10},
    ),
    ("spot", "/api/ua/v1/account/mode", "account_mode", {}),
    ("spot", "/api/ua/v1/unified/account/balance", "pro_balance", {}),
    (
        "spot",
        "/api/ua/v1/unified/order/open-list?tradeType=FUTURES&pageNumber=1&pageSize=10",
        "pro_open_orders",
        {"trade_type": "FUTURES", "page": 1, "page_size": 10},
    ),
    (
        "spot",
        "/api/ua/v1/unified/order/open-list?tradeType=SPOT&symbol=BTC-USDT",
        "pro_open_orders",
        {"trade_type": "SPOT", "symbol": "BTC-USDT", "page": 1, "page_size": 50},
    ),
    ("spot", "/api/ua/v1/unified/position/open-list", "pro_positions", {}),
    (
        "spot",
        "/api/ua/v1/unified/position/open-list?symbol=XBTUSDTM",
        "pro_positions",
        {"symbol": "XBTUSDTM"},
    ),
    (
        "futures",
        "/api/v1/account-overview?currency=XBT",
        "futures_account_overview",
        {"currency": "XBT"},
    ),
    ("futures", "/api/v1/account-overview", "futures_account_overview", {"currency": "USDT"}),
    ("futures", "/api/v1/orders?status=active", "futures_open_orders", {}),
    (
        "futures",
        "/api/v1/orders?status=active&symbol=XBTUSDTM",
        "futures_open_orders",
        {"symbol": "XBTUSDTM"},
    ),
    ("futures", "/api/v1/positions", "futures_positions", {}),
    ("futures", "/api/v1/position?symbol=XBTUSDTM", "futures_position", {"symbol": "XBTUSDTM"}),
]


@pytest.mark.parametrize(("host", "path", "method", "kwargs"), SNAPSHOTS)
async def test_snapshots(
    sim: Simulator, http: Any, host: str, path: str, method: str, kwargs: dict[str, Any]
) -> None:
    creds = sim.add_account("acct")
    base = sim.endpoints.spot_rest if host == "spot" else sim.endpoints.futures_rest
    status, body, _ = await call(http, "GET", base + path, signed(creds, "GET", path))
    assert status == 200 and body["code"] == "200000"
    assert body["data"] == {"method": method, "account": "acct", **kwargs}
    # unsigned: refused; the other host does not serve it
    status, body, _ = await call(http, "GET", base + path)
    assert (status, body["code"]) == (401, "400001")
    other = sim.endpoints.futures_rest if host == "spot" else sim.endpoints.spot_rest
    status, body, _ = await call(http, "GET", other + path, signed(creds, "GET", path))
    # /api/v1/orders is on both hosts, each with its own book
    assert status in (404, 405) or body["data"]["method"] != method


@pytest.mark.parametrize(
    ("host", "path"),
    [
        ("spot", "/api/ua/v1/unified/order/open-list"),
        ("spot", "/api/ua/v1/unified/order/open-list?tradeType=MARGIN"),
        ("spot", "/api/ua/v1/unified/order/open-list?tradeType=SPOT&pageNumber=0"),
        ("spot", "/api/v1/orders?status=done"),
        ("spot", "/api/v1/orders?pageSize=x"),
        ("futures", "/api/v1/position"),
    ],
)
async def test_snapshot_parameter_errors(sim: Simulator, http: Any, host: str, path: str) -> None:
    creds = sim.add_account()
    base = sim.endpoints.spot_rest if host == "spot" else sim.endpoints.futures_rest
    status, body, _ = await call(http, "GET", base + path, signed(creds, "GET", path))
    assert (status, body["code"]) == (400, "400100") and body["msg"]


async def test_spot_accounts_filters(sim: Simulator, http: Any) -> None:
    creds = sim.add_account()
    for path, currencies in (
        ("/api/v1/accounts", ["USDT", "BTC"]),
        ("/api/v1/accounts?type=trade", ["USDT"]),
        ("/api/v1/accounts?currency=BTC", ["BTC"]),
    ):
        status, body, _ = await call(
            http, "GET", sim.endpoints.spot_rest + path, signed(creds, "GET", path)
        )
        assert status == 200
        assert [a["currency"] for a in body["data"]] == currencies


async def test_futures_orders_other_status_refused(sim: Simulator, http: Any) -> None:
    creds = sim.add_account()
    path = "/api/v1/orders?status=done"
    status, body, _ = await call(
        http, "GET", sim.endpoints.futures_rest + path, signed(creds, "GET", path)
    )
    assert (status, body["code"]) == (400, "400100")


# -- token-call faults -------------------------------------------------------------------------


async def test_token_429(sim: Simulator, http: Any) -> None:
    sim.faults.token_error("429")
    url = sim.endpoints.spot_rest + "/api/v1/bullet-public"
    status, body, headers = await call(http, "POST", url)
    assert status == 429
    assert body["code"] == "429000" and isinstance(body["msg"], str)
    assert headers["gw-ratelimit-reset"].isdigit()
    assert headers["gw-ratelimit-remaining"] == "0"
    status, _, _ = await call(http, "POST", url)
    assert status == 200
    assert sim.faults.kinds() == ["token_error"]
    assert sim.faults.log[0].details == {"kind": "429", "host": "spot"}
    assert sim.stats.bullet_calls["spot"] == 2


async def test_token_500_count_and_host(sim: Simulator, http: Any) -> None:
    creds = sim.add_account()
    sim.faults.token_error("500", count=2, host="futures")
    path = "/api/v1/bullet-private"
    status, _, _ = await call(
        http, "POST", sim.endpoints.spot_rest + path, signed(creds, "POST", path)
    )
    assert status == 200
    for _ in range(2):
        status, body, _ = await call(
            http, "POST", sim.endpoints.futures_rest + path, signed(creds, "POST", path)
        )
        assert (status, body["code"]) == (500, "500000")
    status, _, _ = await call(
        http, "POST", sim.endpoints.futures_rest + path, signed(creds, "POST", path)
    )
    assert status == 200
    assert sim.faults.kinds() == ["token_error", "token_error"]


async def test_token_hang(sim: Simulator) -> None:
    sim.faults.token_error("hang")
    timeout = aiohttp.ClientTimeout(total=0.3)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        with pytest.raises(asyncio.TimeoutError):
            await call(http, "POST", sim.endpoints.spot_rest + "/api/v1/bullet-public")
    assert sim.faults.kinds() == ["token_error"]


async def test_snapshot_failure_is_a_json_500(http: Any) -> None:
    class Broken(FakeEngine):
        def spot_stop_orders(self, account: str) -> Any:
            raise KeyError(account)

    async with Simulator(Broken(), clock=lambda: NOW) as sim:
        creds = sim.add_account()
        path = "/api/v1/stop-order"
        status, body, _ = await call(
            http, "GET", sim.endpoints.spot_rest + path, signed(creds, "GET", path)
        )
        assert (status, body["code"]) == (500, "500000")


async def test_unknown_path_is_json(sim: Simulator, http: Any) -> None:
    status, body, _ = await call(http, "GET", sim.endpoints.spot_rest + "/api/v9/nothing")
    assert status == 404 and body["code"] == "400001"
    status, body, _ = await call(http, "GET", sim.endpoints.futures_rest + "/api/v1/bullet-public")
    assert status == 405 and body["code"] == "400001"


async def test_key_for_an_engine_account() -> None:
    async with Simulator(seed=4) as sim:
        sim.engine.add_account("direct", user_id="0123456789abcdef01234567")
        sim.add_account("direct", engine=False)
        assert sim.accounts["direct"].user_id == "0123456789abcdef01234567"
        # a second key for the same account keeps its user id
        second = sim.add_account("direct", api_key="second-key")
        assert second.api_key == "second-key"
        assert sim.accounts["direct"].user_id == "0123456789abcdef01234567"


async def test_first_calls_of_clients_with_the_real_engine(http: Any) -> None:
    """The private REST calls clients make first, answered in KuCoin's documented shapes."""
    async with Simulator(seed=3, clock=lambda: NOW) as sim:
        creds = sim.add_account(
            "uta", balances={"USDT": "1000", "BTC": "1"}, futures_balance="500", unified=True
        )
        engine = sim.engine
        first = engine.place_spot_order("uta", "BTC-USDT", "sell", "limit", "0.5", "70000")
        second = engine.place_spot_order("uta", "BTC-USDT", "sell", "limit", "0.25", "71000")
        fut = engine.place_futures_order("uta", "XBTUSDTM", "buy", 2, "60000", margin_mode="CROSS")
        engine.fill_futures_order("uta", fut, 1)

        async def get(base: str, path: str) -> Any:
            status, body, _ = await call(http, "GET", base + path, signed(creds, "GET", path))
            assert (status, body["code"]) == (200, "200000"), body
            return body["data"]

        spot, futures = sim.endpoints.spot_rest, sim.endpoints.futures_rest
        page = await get(spot, "/api/v1/orders?status=active&pageSize=1")
        assert (page["currentPage"], page["pageSize"], page["totalNum"], page["totalPage"]) == (
            1,
            1,
            2,
            2,
        )
        [newest] = page["items"]
        assert (newest["id"], newest["size"], newest["isActive"]) == (second, "0.25", True)
        page2 = await get(spot, "/api/v1/orders?status=active&currentPage=2&pageSize=1")
        assert [o["id"] for o in page2["items"]] == [first]

        assert (await get(spot, "/api/ua/v1/account/mode"))["selfAccountMode"] == "UNIFIED"

        position = await get(futures, "/api/v1/position?symbol=XBTUSDTM")
        assert (position["symbol"], position["currentQty"], position["crossMode"]) == (
            "XBTUSDTM",
            1,
            True,
        )
        assert "posMargin" not in position and position["posMaint"] > 0
        none = await get(futures, "/api/v1/position?symbol=ETHUSDTM")
        assert (none["currentQty"], none["isOpen"]) == (0, False)
        path = "/api/v1/position?symbol=NOPEUSDTM"
        status, body, _ = await call(http, "GET", futures + path, signed(creds, "GET", path))
        assert (status, body["code"]) == (400, "400100")

        balance = await get(spot, "/api/ua/v1/unified/account/balance")
        assert set(balance) == {"accountType", "ts", "accounts"}
        currencies = {c["currency"]: c for c in balance["accounts"][0]["currencies"]}
        assert currencies["BTC"]["hold"] == "0.75" and currencies["BTC"]["available"] == "0.25"
        orders = await get(spot, "/api/ua/v1/unified/order/open-list?tradeType=spot")
        assert orders["tradeType"] == "SPOT"
        assert [o["orderId"] for o in orders["items"]] == [first, second]
        assert all(o["orderTime"] >= 10**18 for o in orders["items"])  # ns
        [pro_position] = await get(spot, "/api/ua/v1/unified/position/open-list")
        assert (pro_position["id"], pro_position["size"]) == (position["id"], "1")
        assert pro_position["marginMode"] == "CROSS"
