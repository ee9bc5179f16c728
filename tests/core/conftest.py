"""Fixtures for tests that go through real sockets to the embedded simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from rxkucoin import Credentials
from rxkucoin.sim import Simulator


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(seed=7) as simulator:
        yield simulator


@pytest.fixture
def creds(sim: Simulator) -> Credentials:
    return sim.add_account(
        "demo", balances={"USDT": "100000", "BTC": "10"}, futures_balance="50000"
    )


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session
