"""Fail fast, log honestly: a connection that cannot open says why at once, and may give up."""

from __future__ import annotations

import asyncio
import logging
import socket

import aiohttp
import pytest
from reactivex.scheduler.eventloop import AsyncIOScheduler

from rxkucoin import ConnectionEvent, Credentials, Endpoints, TransportError, WsKey
from rxkucoin._connection import Connection
from rxkucoin._rest import RestClient
from rxkucoin._topics import parse_topics

SPOT = WsKey.SPOT_PRIVATE_V1


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def unreachable() -> Endpoints:
    return Endpoints(spot_rest=f"http://127.0.0.1:{closed_port()}")


def connection(http: aiohttp.ClientSession, creds: Credentials, **options: object) -> Connection:
    endpoints = unreachable()
    return Connection(
        SPOT,
        http,
        RestClient(http, endpoints, creds, timeout=1.0),
        AsyncIOScheduler(asyncio.get_running_loop()),
        credentials=creds,
        endpoints=endpoints,
        **options,  # type: ignore[arg-type]
    )


async def test_the_first_failure_to_connect_is_an_event_and_a_warning_at_once(
    http: aiohttp.ClientSession, creds: Credentials, caplog: pytest.LogCaptureFixture
) -> None:
    conn = connection(http, creds, backoff=lambda attempt: 60.0)  # no second try in this test
    events: list[ConnectionEvent] = []
    conn.events.subscribe(events.append)
    caplog.set_level(logging.INFO, logger="rxkucoin")
    disposable = conn.stream(parse_topics(SPOT, "/account/balance")[0]).subscribe()
    async with asyncio.timeout(5):
        while not events:
            await asyncio.sleep(0.01)
    (event,) = events
    assert event.kind == "reconnect" and isinstance(event.error, TransportError)
    assert "Cannot connect" in str(event.error) or "refused" in str(event.error).lower()
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "cannot connect" in warnings[0].getMessage()
    assert conn.last_error is event.error
    assert creds.api_secret not in caplog.text and creds.api_passphrase not in caplog.text
    disposable.dispose()


async def test_max_attempts_gives_up_with_the_last_cause(
    http: aiohttp.ClientSession, creds: Credentials
) -> None:
    conn = connection(http, creds, backoff=lambda attempt: 0.01, max_attempts=2)
    errors: list[Exception] = []
    conn.stream(parse_topics(SPOT, "/account/balance")[0]).subscribe(on_error=errors.append)
    async with asyncio.timeout(10):
        while not errors:
            await asyncio.sleep(0.01)
    assert isinstance(errors[0], TransportError) and conn.last_error is errors[0]
    assert conn.token_fetches == 3  # the first try and two retries
