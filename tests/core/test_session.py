"""Session edge cases: a refused handshake, and a token that must not leak into errors."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from rxkucoin import ConnectionLost, WsKey
from rxkucoin._rest import InstanceServer, Token
from rxkucoin._session import open_session

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
