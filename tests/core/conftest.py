"""Fixtures for tests that go through real sockets to the embedded simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from rxkucoin import Credentials
from rxkucoin.sim import Simulator

#: Wire forms a test can run under: ``@pytest.mark.parametrize("sim", WIRES, indirect=True)``.
#: ``variants``: the simulator's wire-variants mode (`rxkucoin.sim.WireVariants`), seeded.
WIRES = {"canonical": None, "variants": 8}


def wire_variants(request: pytest.FixtureRequest) -> int | None:
    """The ``wire_variants`` seed a ``sim`` fixture parametrised with `WIRES` asks for."""
    return WIRES[getattr(request, "param", "canonical")]


@pytest.fixture
async def sim(request: pytest.FixtureRequest) -> AsyncIterator[Simulator]:
    async with Simulator(seed=7, wire_variants=wire_variants(request)) as simulator:
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
