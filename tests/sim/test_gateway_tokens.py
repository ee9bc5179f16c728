"""The simulator does not keep every token it ever issued (issue 11, item 3): tokens whose
socket closed, and expired ones, are forgotten, so a long churn of sockets leaves a table
bounded by the tokens still usable, while a token in use or not used yet keeps working."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from rxkucoin.sim import Simulator
from rxkucoin.sim._gateway import TOKENS_PRUNED_FROM

from .test_faults import NOW, connect, ping, recv, token, ws_url
from .test_server_rest import FakeEngine

ROUNDS = 400


@pytest.fixture
async def http() -> Any:
    async with aiohttp.ClientSession() as h:
        yield h


@pytest.mark.parametrize("host", ["spot", "pro"])
async def test_a_churn_of_sockets_leaves_a_bounded_token_table(http: Any, host: str) -> None:
    now = [NOW]
    async with Simulator(FakeEngine(), seed=5, clock=lambda: now[0], token_ttl=3600) as sim:
        creds = sim.add_account()
        kept, kept_token = await connect(http, sim, creds, host)  # open throughout
        unused = await token(http, sim, creds, host)  # issued, not used yet
        closed, closed_token = await connect(http, sim, creds, host)
        await closed.close()
        sizes = []
        for _ in range(ROUNDS):
            ws, _ = await connect(http, sim, creds, host)
            await ws.close()
            sizes.append(len(sim._tokens))
        # bounded: never more than twice what may still open a socket (or the minimum)
        assert max(sizes) <= TOKENS_PRUNED_FROM
        assert kept_token in sim._tokens and unused in sim._tokens
        assert closed_token not in sim._tokens
        assert (await ping(kept))["type"] == "pong"  # the socket open throughout still works
        async with http.ws_connect(ws_url(sim, host, unused)) as ws:
            first = await recv(ws)
            assert first.get("type") == "welcome" or first.get("message") == "welcome"
        async with http.ws_connect(ws_url(sim, host, closed_token)) as ws:
            assert (await recv(ws))["data"] == "token is invalid"
        await kept.close()


async def test_expired_tokens_are_refused_as_expired_then_forgotten(http: Any) -> None:
    now = [NOW]
    async with Simulator(FakeEngine(), seed=6, clock=lambda: now[0], token_ttl=3) as sim:
        creds = sim.add_account()
        old = [await token(http, sim, creds, "spot") for _ in range(3)]
        now[0] += 4  # past the tokens, within the signatures' 5 s window
        async with http.ws_connect(ws_url(sim, "spot", old[0])) as ws:
            assert (await recv(ws))["data"] == "token is expired"
        fresh = [await token(http, sim, creds, "spot") for _ in range(TOKENS_PRUNED_FROM)]
        assert not set(old) & set(sim._tokens)
        assert set(fresh) <= set(sim._tokens)  # unused and unexpired: kept
        async with http.ws_connect(ws_url(sim, "spot", old[1])) as ws:
            assert (await recv(ws))["data"] == "token is invalid"
        ws, _ = await connect(http, sim, creds)  # a fresh one still opens a socket
        await ws.close()
