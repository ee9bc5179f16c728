"""The token client against the simulator: tokens, typed and classified errors."""

from __future__ import annotations

import socket
import time

import aiohttp
import pytest

from rxkucoin import (
    AuthError,
    ClockSkewError,
    Credentials,
    CredentialsError,
    Endpoints,
    Market,
    RateLimitError,
    ServerError,
    TransportError,
    WsKey,
    is_retryable,
)
from rxkucoin._rest import RestClient
from rxkucoin.sim import Simulator


@pytest.mark.parametrize(
    ("key", "host"),
    [
        (WsKey.SPOT_PRIVATE_V1, "spot"),
        (WsKey.FUTURES_PRIVATE_V1, "futures"),
        (WsKey.SPOT_PUBLIC_V1, "spot"),
        (WsKey.FUTURES_PUBLIC_V1, "futures"),
    ],
)
async def test_classic_tokens(
    sim: Simulator, creds: Credentials, http: aiohttp.ClientSession, key: WsKey, host: str
) -> None:
    rest = RestClient(http, sim.endpoints, creds)
    token = await rest.fetch_token(key)
    assert token.key is key and token.value
    server = token.servers[0]
    assert server.endpoint.startswith("ws://127.0.0.1:")
    assert server.ping_interval_ms == 18000 and server.ping_timeout_ms == 10000
    assert sim.stats.bullet_calls[host] == 1
    assert token.value not in repr(token)


async def test_pro_token_has_no_servers_in_the_answer(
    sim: Simulator, creds: Credentials, http: aiohttp.ClientSession
) -> None:
    token = await RestClient(http, sim.endpoints, creds).fetch_token(WsKey.PRIVATE_PRO_V2)
    assert token.servers[0].endpoint == sim.endpoints.pro_private_ws


@pytest.mark.parametrize(
    ("change", "code"),
    [
        # a wrong secret also spoils the signed passphrase, which is checked first
        ({"api_secret": "wrong-secret"}, {"400004", "400005"}),
        ({"api_passphrase": "wrong-passphrase"}, {"400004"}),
        ({"api_key": "no-such-key"}, {"400003"}),
    ],
)
async def test_rejected_credentials_are_fatal_auth_errors(
    sim: Simulator,
    creds: Credentials,
    http: aiohttp.ClientSession,
    change: dict[str, str],
    code: set[str],
) -> None:
    values = {
        "api_key": creds.api_key,
        "api_secret": creds.api_secret,
        "api_passphrase": creds.api_passphrase,
        **change,
    }
    bad = Credentials(**values, key_version=creds.key_version)
    with pytest.raises(AuthError) as info:
        await RestClient(http, sim.endpoints, bad).fetch_token(WsKey.SPOT_PRIVATE_V1)
    assert info.value.code in code and info.value.status == 401
    assert not is_retryable(info.value)
    assert bad.api_secret not in str(info.value) and bad.api_passphrase not in str(info.value)
    if info.value.code == "400004":  # the signed passphrase cannot tell which one is wrong
        assert "either the API secret or the passphrase may be wrong" in str(info.value)


async def test_a_refused_timestamp_is_a_retryable_clock_skew_error(
    http: aiohttp.ClientSession,
) -> None:
    async with Simulator(seed=3, clock=lambda: time.time() + 60) as skewed:
        creds = skewed.add_account("demo")
        with pytest.raises(ClockSkewError) as info:
            await RestClient(http, skewed.endpoints, creds).fetch_token(WsKey.SPOT_PRIVATE_V1)
    assert info.value.code == "400002" and is_retryable(info.value)
    assert not isinstance(info.value, AuthError)
    assert "clock" in str(info.value)


async def test_rate_limit_is_retryable_with_reset(
    sim: Simulator, creds: Credentials, http: aiohttp.ClientSession
) -> None:
    sim.faults.token_error("429")
    with pytest.raises(RateLimitError) as info:
        await RestClient(http, sim.endpoints, creds).fetch_token(WsKey.SPOT_PRIVATE_V1)
    assert info.value.code == "429000" and info.value.status == 429
    assert info.value.reset_ms is not None
    assert is_retryable(info.value)


async def test_server_error_is_retryable(
    sim: Simulator, creds: Credentials, http: aiohttp.ClientSession
) -> None:
    sim.faults.token_error("500", host="futures")
    rest = RestClient(http, sim.endpoints, creds)
    await rest.fetch_token(WsKey.SPOT_PRIVATE_V1)  # the fault is for the futures host only
    with pytest.raises(ServerError) as info:
        await rest.fetch_token(WsKey.FUTURES_PRIVATE_V1)
    assert info.value.status == 500 and is_retryable(info.value)


async def test_hang_becomes_a_transport_timeout(
    sim: Simulator, creds: Credentials, http: aiohttp.ClientSession
) -> None:
    sim.faults.token_error("hang")
    with pytest.raises(TransportError, match="no answer"):
        await RestClient(http, sim.endpoints, creds, timeout=0.3).fetch_token(WsKey.SPOT_PRIVATE_V1)


async def test_connection_refused_is_a_transport_error(http: aiohttp.ClientSession) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    endpoints = Endpoints(spot_rest=f"http://127.0.0.1:{port}")
    with pytest.raises(TransportError) as info:
        await RestClient(http, endpoints).fetch_token(WsKey.SPOT_PUBLIC_V1)
    assert is_retryable(info.value)


async def test_private_token_without_credentials(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    with pytest.raises(CredentialsError, match="needs API credentials"):
        await RestClient(http, sim.endpoints).fetch_token(WsKey.FUTURES_PRIVATE_V1)


async def test_signed_get_with_query(
    sim: Simulator, creds: Credentials, http: aiohttp.ClientSession
) -> None:
    import msgspec

    sim.engine.place_spot_order("demo", "BTC-USDT", "buy", "limit", "0.5", price="20000")
    rest = RestClient(http, sim.endpoints, creds)
    raw = await rest.get(Market.SPOT, "/api/v1/hf/orders/active", {"symbol": "BTC-USDT"})
    orders = msgspec.json.decode(raw)
    assert len(orders) == 1 and orders[0]["symbol"] == "BTC-USDT"


async def test_a_closed_http_session_is_a_typed_client_closed(
    sim: Simulator, creds: Credentials
) -> None:
    from rxkucoin import ClientClosed

    async with aiohttp.ClientSession() as http:
        rest = RestClient(http, sim.endpoints, creds)
    with pytest.raises(ClientClosed):
        await rest.fetch_token(WsKey.SPOT_PRIVATE_V1)
