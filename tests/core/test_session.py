"""The socket driver: handshake failures and token redaction; through the simulator, requests,
fair reading under slow subscribers, dead links and a bounded close."""

from __future__ import annotations

import asyncio
import itertools
import re
import threading
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import pytest
from aiohttp import web

import rxkucoin._session
from rxkucoin import ClientClosed, ConnectionLost, WsKey
from rxkucoin._rest import InstanceServer, RestClient, Token
from rxkucoin._session import (
    YIELD_AFTER_FRAMES,
    YIELD_AFTER_S,
    Push,
    Rejected,
    Request,
    Session,
    open_session,
)
from rxkucoin.sim import Simulator

from .helpers import until

SPOT = WsKey.SPOT_PRIVATE_V1
T = TypeVar("T")

SECRET_TOKEN = "tok-SECRET-0123456789abcdef"


@pytest.fixture
async def refusing_server() -> AsyncIterator[str]:
    async def refuse(_: web.Request) -> web.Response:
        return web.Response(status=401, text="token is invalid")

    app = web.Application()
    app.router.add_get("/", refuse)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"ws://127.0.0.1:{port}/"
    await runner.cleanup()


async def test_refused_handshake_is_retryable_and_hides_the_token(
    refusing_server: str, http: aiohttp.ClientSession
) -> None:
    token = Token(WsKey.SPOT_PRIVATE_V1, SECRET_TOKEN, (InstanceServer(refusing_server),))
    with pytest.raises(ConnectionLost) as info:
        await open_session(http, WsKey.SPOT_PRIVATE_V1, lambda _: None, token=token)
    assert info.value.code == 401
    texts = [str(info.value), repr(info.value), repr(info.value.__cause__)]
    assert all(SECRET_TOKEN not in t for t in texts)
    assert info.value.__cause__ is None and info.value.__suppress_context__


async def test_unreachable_server_hides_the_token(http: aiohttp.ClientSession) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = InstanceServer(f"ws://127.0.0.1:{port}/")
    token = Token(WsKey.SPOT_PRIVATE_V1, SECRET_TOKEN, (server,))
    with pytest.raises(ConnectionLost) as info:
        await open_session(http, WsKey.SPOT_PRIVATE_V1, lambda _: None, token=token)
    assert SECRET_TOKEN not in str(info.value)


async def test_a_mistyped_endpoint_hides_the_url_encoded_token(
    http: aiohttp.ClientSession,
) -> None:
    token_value = "2neAiuYvAU61ZDXANAGAsiL4-iAExhsBXZxftpOeh_55i3Ysy2q2LEsEWU+64mdz/Ar2XW=="
    server = InstanceServer("ws://127.0.0.1:notaport/endpoint")
    token = Token(WsKey.SPOT_PRIVATE_V1, token_value, (server,))
    with pytest.raises(ConnectionLost) as info:
        await open_session(http, WsKey.SPOT_PRIVATE_V1, lambda _: None, token=token)
    text = str(info.value)
    assert "token=***" in text  # the URL is named, its token is not, in any encoding
    assert "2neAiuYvAU61ZDXANAGAsiL4" not in text and "Ar2XW" not in text


def pro_auth_server(answer: dict[str, object]) -> web.Application:
    """A Pro socket that welcomes, then answers the signed ``op: auth`` with ``answer``."""

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"data": "welcome", "sessionId": "s-1", "pingInterval": 18000})
        async for message in ws:
            frame = message.json()
            if frame.get("op") == "auth":
                await ws.send_json({"id": frame["id"], **answer})
        return ws

    app = web.Application()
    app.router.add_get("/", handler)
    return app


@pytest.mark.parametrize(
    ("answer", "fatal"),
    [
        ({"result": False, "reason": "session busy, try later"}, False),
        ({"result": False, "code": "400003", "msg": "KC-API-KEY not exists"}, True),
    ],
    ids=["reason-only", "credentials-code"],
)
async def test_a_pro_auth_refusal_is_fatal_only_with_a_credentials_code(
    http: aiohttp.ClientSession, answer: dict[str, object], fatal: bool
) -> None:
    from rxkucoin import AuthError, Credentials, Endpoints

    runner = web.AppRunner(pro_auth_server(answer))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"ws://127.0.0.1:{runner.addresses[0][1]}/"
    creds = Credentials("key", "secret", "passphrase")
    try:
        with pytest.raises(ConnectionLost if not fatal else AuthError) as info:
            await open_session(
                http,
                WsKey.PRIVATE_PRO_V2,
                lambda _: None,
                token=None,
                credentials=creds,
                endpoints=Endpoints(pro_private_ws=url),
                welcome_timeout=5.0,
            )
    finally:
        await runner.cleanup()
    if not fatal:  # retryable: the connection tries the token flow next, keeping the reason
        assert "session busy, try later" in str(info.value)
        assert not isinstance(info.value, AuthError)


# --- the driver, through the simulator ------------------------------------------------------

ORDERS = Request("/spotMarket/tradeOrdersV2", topic="/spotMarket/tradeOrdersV2")


@pytest.fixture
async def quick_sim() -> AsyncIterator[Simulator]:
    # Short heartbeats: the simulator cuts a socket whose client sent nothing for 0.8 s.
    async with Simulator(seed=11, ping_interval_ms=300, ping_timeout_ms=500) as simulator:
        yield simulator


async def open_spot(
    sim: Simulator,
    http: aiohttp.ClientSession,
    on_push: Callable[[Push], None] = lambda _: None,
    **options: Any,
) -> Session:
    creds = sim.add_account("demo", balances={"USDT": "100000", "BTC": "10"})
    token = await RestClient(http, sim.endpoints, creds, timeout=1.0).fetch_token(SPOT)
    return await open_session(
        http, SPOT, on_push, token=token, welcome_timeout=1.0, ack_timeout=2.0, **options
    )


def block(seconds: float) -> None:
    """Hold the loop's thread, as a slow synchronous subscriber does (busy, not a sleep)."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def place_orders(sim: Simulator, n: int) -> None:
    for _ in range(n):  # two pushes each (received, open), queued at once
        sim.engine.place_spot_order("demo", "BTC-USDT", "buy", "limit", "0.001", price="30000")


def rxkucoin_tasks() -> list[asyncio.Task[Any]]:
    return [t for t in asyncio.all_tasks() if t.get_name().startswith("rxkucoin:") and not t.done()]


async def test_requests_are_answered_and_fail_once_the_socket_closed(
    quick_sim: Simulator, http: aiohttp.ClientSession
) -> None:
    session = await open_spot(quick_sim, http)
    await session.request("subscribe", ORDERS)
    with pytest.raises(Rejected) as info:
        await session.request("subscribe", Request("/nope", topic="/no/such/topic"))
    assert info.value.code is not None and not session.closed.done()
    await session.close()
    assert "closed by the client" in str(session.closed.result())
    with pytest.raises(ConnectionLost):
        await session.request("subscribe", ORDERS)
    assert rxkucoin_tasks() == []


class ThreadedSim:
    """The simulator on its own loop in a thread: it keeps writing (and timing the client
    out) while a subscriber holds the client's loop, as a real server does."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    async def run(self, fn: Callable[[], T]) -> T:
        """Call ``fn`` on the simulator's loop; awaited without blocking the caller's loop."""

        async def call() -> T:
            return fn()

        future = asyncio.run_coroutine_threadsafe(call(), self.loop)
        return await asyncio.wrap_future(future)

    async def start(self) -> Simulator:
        async def make() -> Simulator:
            sim = Simulator(seed=11, ping_interval_ms=300, ping_timeout_ms=500)
            await sim.start()
            return sim

        self.sim = await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(make(), self.loop))
        return self.sim

    async def stop(self) -> None:
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(self.sim.stop(), self.loop))
        self.loop.call_soon_threadsafe(self.loop.stop)
        await asyncio.to_thread(self._thread.join, 5.0)
        self.loop.close()


async def test_pings_go_out_while_a_subscriber_blocks_the_loop(
    http: aiohttp.ClientSession,
) -> None:
    threaded = ThreadedSim()
    sim = await threaded.start()
    try:
        creds = await threaded.run(lambda: sim.add_account("demo", balances={"USDT": "1e6"}))
        token = await RestClient(http, sim.endpoints, creds, timeout=1.0).fetch_token(SPOT)
        handled = 0

        def slow(_: Push) -> None:
            nonlocal handled
            block(0.025)
            handled += 1

        session = await open_session(http, SPOT, slow, token=token, welcome_timeout=1.0)
        await session.request("subscribe", ORDERS)
        # 80 pushes reach the socket at once; handling them takes 2 s, over twice the
        # simulator's idle cut (0.8 s without a client frame)
        await threaded.run(lambda: place_orders(sim, 40))
        await until(lambda: handled == 80 or session.closed.done(), timeout=30.0)
        assert not session.closed.done(), session.closed.result()
        assert "idle_timeout" not in await threaded.run(sim.faults.kinds)
        await session.close()
    finally:
        await threaded.stop()


async def test_the_reader_yields_to_the_loop_between_batches(
    quick_sim: Simulator, http: aiohttp.ClientSession
) -> None:
    turns = 0  # loop turns another task got
    stop = False

    async def other_task() -> None:
        nonlocal turns
        while not stop:
            turns += 1
            await asyncio.sleep(0)

    fast: list[int] = []  # the turns count seen by each push
    slow: list[int] = []

    def on_push(_: Push) -> None:
        if len(fast) < 100:
            fast.append(turns)
        else:
            slow.append(turns)
            block(0.01)

    session = await open_spot(quick_sim, http, on_push)
    await session.request("subscribe", ORDERS)
    probe = asyncio.get_running_loop().create_task(other_task())
    place_orders(quick_sim, 50)  # 100 quick pushes
    await until(lambda: len(fast) == 100)
    place_orders(quick_sim, 10)  # 20 pushes that each take longer than a slice
    await until(lambda: len(slow) == 20)
    stop = True
    await probe
    await session.close()
    # quick pushes: another task runs at least once every YIELD_AFTER_FRAMES pushes
    runs = [len(list(group)) for _, group in itertools.groupby(fast)]
    assert max(runs) <= YIELD_AFTER_FRAMES
    # slow pushes (each longer than a slice): after every one of them
    assert YIELD_AFTER_S < 0.01
    assert all(b > a for a, b in itertools.pairwise(slow))


async def test_a_silent_server_is_noticed_and_its_socket_closed_without_help(
    quick_sim: Simulator, http: aiohttp.ClientSession
) -> None:
    session = await open_spot(quick_sim, http)
    await session.request("subscribe", ORDERS)
    quick_sim.faults.half_open()
    async with asyncio.timeout(5.0):
        reason = await session.closed
    assert isinstance(reason, ConnectionLost) and "no frame within 0.5 s of a ping" in str(reason)
    await until(lambda: not rxkucoin_tasks(), timeout=5.0)  # the driver closed the socket
    await until(lambda: sum(quick_sim.stats.live_connections.values()) == 0, timeout=5.0)
    await session.close()


async def test_close_returns_within_its_bound_against_a_server_that_stopped_answering(
    quick_sim: Simulator, http: aiohttp.ClientSession
) -> None:
    bound = 0.5
    session = await open_spot(quick_sim, http, close_timeout=bound)
    await session.request("subscribe", ORDERS)
    quick_sim.faults.half_open()
    async with asyncio.timeout(2 * bound):
        await session.close()
    assert rxkucoin_tasks() == []
    await until(lambda: sum(quick_sim.stats.live_connections.values()) == 0, timeout=5.0)


async def test_an_error_frame_for_no_request_ends_the_socket_with_its_code(
    quick_sim: Simulator, http: aiohttp.ClientSession
) -> None:
    session = await open_spot(quick_sim, http)
    await session.request("subscribe", ORDERS)
    quick_sim.faults.send_error(500, "system error")
    async with asyncio.timeout(5.0):
        reason = await session.closed
    assert isinstance(reason, ConnectionLost) and reason.code == 500
    await until(lambda: not rxkucoin_tasks(), timeout=5.0)
    await session.close()


def test_the_driver_uses_no_private_aiohttp_api() -> None:
    source = Path(rxkucoin._session.__file__).read_text()
    assert re.findall(r"\b_?ws\._\w+", source) == []  # e.g. ws._response, ws._writer
    assert "self._ws." in source  # the check looks at the right name


async def test_a_closed_http_session_is_a_typed_error(quick_sim: Simulator) -> None:
    async with aiohttp.ClientSession() as http:
        creds = quick_sim.add_account("demo")
        token = await RestClient(http, quick_sim.endpoints, creds, timeout=1.0).fetch_token(SPOT)
    with pytest.raises(ClientClosed):
        await open_session(http, SPOT, lambda _: None, token=token)
