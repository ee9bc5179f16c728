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
