"""Many accounts in one process: one `KucoinStreams` per account, all on one event loop and
one aiohttp session that the caller owns (``http=``)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest

from rxkucoin import ClientClosed, ConnectionEvent, Credentials, KucoinStreams, WsKey
from rxkucoin.aio import first
from rxkucoin.sim import Simulator

from .helpers import Recorder, until

ACCOUNTS = [f"acct{i}" for i in range(5)]
KINDS = ("spot", "futures", "pro")


class Account:
    """One account's client and what each of its three streams received."""

    def __init__(self, name: str, streams: KucoinStreams) -> None:
        self.name = name
        self.streams = streams
        self.seen = {kind: Recorder() for kind in KINDS}
        self.completed: set[str] = set()
        for kind, stream in (
            ("spot", streams.spot_orders()),  # spotPrivateV1
            ("futures", streams.futures_orders()),  # futuresPrivateV1
            ("pro", streams.pro_orders()),  # privateProV2
        ):
            recorder = self.seen[kind]
            stream.subscribe(
                recorder.on_next,
                recorder.on_error,
                lambda kind=kind: self.completed.add(kind),  # type: ignore[misc]
            )

    def client_oids(self, kind: str) -> set[str]:
        return {item.client_oid for item in self.seen[kind].data}

    def threads(self) -> set[int]:
        return {t for recorder in self.seen.values() for t in recorder.threads}


def trade(sim: Simulator, account: str, tag: str) -> set[str]:
    """A spot and a futures order of ``account``; their client order ids."""
    spot, futures = f"{account}-spot-{tag}", f"{account}-futures-{tag}"
    sim.engine.place_spot_order(
        account, "BTC-USDT", "buy", "limit", "0.01", price="30000", client_oid=spot
    )
    sim.engine.place_futures_order(account, "XBTUSDTM", "buy", 1, price="60000", client_oid=futures)
    return {spot, futures}


@pytest.fixture
def credentials(sim: Simulator) -> dict[str, Credentials]:
    return {
        name: sim.add_account(name, balances={"USDT": "100000"}, futures_balance="50000")
        for name in ACCOUNTS
    }


@contextlib.asynccontextmanager
async def clients(
    sim: Simulator, credentials: dict[str, Credentials], http: aiohttp.ClientSession
) -> AsyncIterator[dict[str, Account]]:
    async with contextlib.AsyncExitStack() as stack:
        accounts = {}
        for name, creds in credentials.items():
            streams = KucoinStreams(creds, endpoints=sim.endpoints, http=http)
            accounts[name] = Account(name, await stack.enter_async_context(streams))
        await asyncio.gather(*(a.streams.ready() for a in accounts.values()))
        yield accounts


async def test_accounts_on_one_session_and_one_loop_see_only_their_own_pushes(
    sim: Simulator, credentials: dict[str, Credentials], http: aiohttp.ClientSession
) -> None:
    async with clients(sim, credentials, http) as accounts:
        # three sockets per account (spot, futures, Pro), none shared between accounts
        assert sim.stats.live_connections == {"spot": 5, "futures": 5, "pro": 5}
        expected = {name: trade(sim, name, "1") for name in accounts}

        def own(account: Account, tag: str) -> bool:
            spot, futures = f"{account.name}-spot-{tag}", f"{account.name}-futures-{tag}"
            return (
                spot in account.client_oids("spot")
                and futures in account.client_oids("futures")
                and {spot, futures} <= account.client_oids("pro")
            )

        await until(lambda: all(own(a, "1") for a in accounts.values()))
        for name, account in accounts.items():
            assert account.client_oids("spot") == {f"{name}-spot-1"}
            assert account.client_oids("futures") == {f"{name}-futures-1"}
            assert account.client_oids("pro") == expected[name]
            # every client delivers on the one loop's thread
            assert account.threads() == {threading.get_ident()}

        # closing one client completes its streams and leaves the others and the session
        gone = accounts["acct0"]
        await gone.streams.aclose()
        assert gone.completed == set(KINDS)
        assert not http.closed
        await until(lambda: sim.stats.live_connections == {"spot": 4, "futures": 4, "pro": 4})
        for name in accounts:
            trade(sim, name, "2")
        others = [a for a in accounts.values() if a is not gone]
        await until(lambda: all(own(a, "2") for a in others))
        await asyncio.sleep(0.2)  # time for a stray push to reach the closed client
        assert not any(oid.endswith("-2") for k in KINDS for oid in gone.client_oids(k))
        assert not any(a.seen[k].errors for a in accounts.values() for k in KINDS)

        # the session still serves a new client of the closed account
        async with KucoinStreams(credentials["acct0"], endpoints=sim.endpoints, http=http) as again:
            orders = again.spot_orders()
            waiting = asyncio.ensure_future(first(orders, lambda o: o.client_oid == "acct0-3"))
            await asyncio.sleep(0)
            await again.ready()
            sim.engine.place_spot_order(
                "acct0", "BTC-USDT", "buy", "limit", "0.01", price="30000", client_oid="acct0-3"
            )
            assert (await asyncio.wait_for(waiting, 10)).client_oid == "acct0-3"
    assert not http.closed  # no client closed the session it was given
    async with http.post(sim.endpoints.spot_rest + "/api/v1/bullet-public") as response:
        assert response.status == 200


async def test_a_client_without_http_owns_and_closes_its_session(
    sim: Simulator, credentials: dict[str, Credentials]
) -> None:
    streams = KucoinStreams(credentials["acct0"], endpoints=sim.endpoints)
    async with streams:
        own = streams._http
        assert own is not None and not own.closed
    assert own.closed


async def test_a_shared_session_closed_under_its_clients_errors_their_streams(
    sim: Simulator, credentials: dict[str, Credentials]
) -> None:
    http = aiohttp.ClientSession()
    try:
        async with clients(sim, credentials, http) as accounts:
            await http.close()
            # every socket dies with the session; no stream hangs waiting for a reconnect
            recorders = [r for a in accounts.values() for r in a.seen.values()]
            await until(lambda: all(r.errors for r in recorders), timeout=15)
            for recorder in recorders:
                assert [type(e) for e in recorder.errors] == [ClientClosed]
                assert "session is closed" in str(recorder.errors[0])
            streams = accounts["acct1"].streams
            with pytest.raises(ClientClosed, match="aiohttp session"):
                streams.spot_balance()
            with pytest.raises(ClientClosed, match="aiohttp session"):
                _ = streams.rest
            loop = asyncio.get_running_loop()
            start = loop.time()
            await streams.aclose()
            assert loop.time() - start < streams.close_bound
    finally:
        await http.close()


async def test_a_closed_session_is_refused_at_once(
    sim: Simulator, credentials: dict[str, Credentials]
) -> None:
    http = aiohttp.ClientSession()
    await http.close()
    streams = KucoinStreams(credentials["acct0"], endpoints=sim.endpoints, http=http)
    with pytest.raises(ClientClosed, match="already closed"):
        await streams.__aenter__()


def watchdog_threads() -> int:
    return sum(t.name == "rxkucoin:watchdog" and t.is_alive() for t in threading.enumerate())


async def test_clients_on_one_loop_share_one_watchdog_that_names_the_blocking_account(
    sim: Simulator,
    credentials: dict[str, Credentials],
    http: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def slow(_: object) -> None:
        end = time.monotonic() + 0.8
        while time.monotonic() < end:  # a strategy computing on the loop
            pass

    await asyncio.sleep(0.2)  # the watchdogs of earlier tests' clients have ended
    before = watchdog_threads()
    async with contextlib.AsyncExitStack() as stack:
        clients = {
            name: await stack.enter_async_context(
                KucoinStreams(creds, endpoints=sim.endpoints, http=http, blocked_threshold=0.3)
            )
            for name, creds in credentials.items()
        }
        assert watchdog_threads() == before + 1  # one thread for the five clients
        events: dict[str, list[ConnectionEvent]] = {name: [] for name in clients}
        for name, streams in clients.items():
            streams.events(WsKey.SPOT_PRIVATE_V1).subscribe(events[name].append)
            streams.spot_balance().subscribe(slow if name == "acct3" else None)
        await asyncio.gather(*(s.ready() for s in clients.values()))
        sim.engine.place_spot_order("acct3", "BTC-USDT", "buy", "limit", "0.01", price="30000")
        await until(lambda: any(e.kind == "blocked" for e in events["acct3"]))
        await asyncio.sleep(0.2)
        blocked = {name: [e for e in seen if e.kind == "blocked"] for name, seen in events.items()}
        assert len(blocked["acct3"]) == 1 and "/account/balance" in blocked["acct3"][0].detail
        assert not any(blocked[name] for name in clients if name != "acct3")
        # one stall, one report, whatever the number of clients (a stall of the loaded
        # machine, not named after the topic, may come on top: not counted)
        warnings = [r for r in caplog.records if "/account/balance blocked" in r.getMessage()]
        assert len(warnings) == 1
        # the watchdog outlives a client that leaves, and stops with the last one
        await clients["acct0"].aclose()
        assert watchdog_threads() == before + 1
    await until(lambda: watchdog_threads() == before)
