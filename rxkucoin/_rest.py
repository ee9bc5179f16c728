"""REST calls over aiohttp: bullet tokens, and the typed GETs and page walks that the
account snapshots (`rxkucoin.KucoinRest`) are built on.

Every failure becomes a typed error from `rxkucoin.exceptions`, classified as fatal
(`AuthError`, plain `RestError`) or retryable (`RateLimitError`, `ServerError`,
`TransportError`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Generic, TypeVar
from urllib.parse import urlencode

import aiohttp
import msgspec

from ._auth import Credentials
from .exceptions import (
    AuthError,
    ClientClosed,
    ClockSkewError,
    CredentialsError,
    RateLimitError,
    RestError,
    ServerError,
    TransportError,
)
from .keys import Endpoints, Market, WsKey
from .models._base import decode_error, decode_lenient, lax_decoder

__all__ = ("InstanceServer", "Page", "RestClient", "Token", "decode_answer")

#: Gateway codes that mean "fix your key or its settings" (PROTOCOL.md §1.5).
AUTH_CODES: Final = frozenset(
    {
        "400001",
        "400003",
        "400004",
        "400005",
        "400006",
        "400007",
        "400008",
        "400009",
        "400010",
        "400301",
        "411100",
    }
)
#: The request's timestamp was refused: a clock step, retryable (PROTOCOL.md §0).
CLOCK_SKEW_CODE: Final = "400002"
#: Codes that, for a v2/v3 key, may mean a wrong secret as much as a wrong passphrase: the
#: passphrase header is signed with the secret.
_SECRET_OR_PASSPHRASE: Final = frozenset({"400004", "400005"})
RATE_LIMIT_CODE: Final = "429000"
SERVER_ERROR_CODE: Final = "500000"
SUCCESS_CODE: Final = "200000"

#: KuCoin's typical heartbeat numbers, used when the server does not say (Pro tokens).
DEFAULT_PING_INTERVAL_MS: Final = 18_000
DEFAULT_PING_TIMEOUT_MS: Final = 10_000


@dataclass(frozen=True)
class InstanceServer:
    """One socket server a token may be used on.

    Attributes:
        endpoint: the ``wss://`` (or ``ws://`` for the simulator) URL to dial.
        encrypt: whether the server uses TLS.
        protocol: ``"websocket"``.
        ping_interval_ms: how often the client should ping.
        ping_timeout_ms: silence after which the link counts as dead.
    """

    endpoint: str
    encrypt: bool = True
    protocol: str = "websocket"
    ping_interval_ms: int = DEFAULT_PING_INTERVAL_MS
    ping_timeout_ms: int = DEFAULT_PING_TIMEOUT_MS


@dataclass(frozen=True, repr=False)
class Token:
    """A connection token from a bullet endpoint.

    The token itself grants access to the account's streams, so ``repr`` shows only its
    first characters.

    Attributes:
        key: the WsKey it was fetched for.
        value: the token.
        servers: where it may be used; never empty.
    """

    key: WsKey
    value: str = field(compare=False)
    servers: tuple[InstanceServer, ...]

    def __repr__(self) -> str:
        return f"Token(key={self.key.value!r}, value='{self.value[:6]}…', servers={self.servers!r})"


_NULL: Final = msgspec.Raw(b"null")


class _Envelope(msgspec.Struct, frozen=True):
    code: str | int | None = None
    msg: str | None = None
    data: msgspec.Raw = _NULL


class _Server(msgspec.Struct, frozen=True, rename="camel"):
    endpoint: str
    encrypt: bool = True
    protocol: str = "websocket"
    ping_interval: int = DEFAULT_PING_INTERVAL_MS
    ping_timeout: int = DEFAULT_PING_TIMEOUT_MS


class _Bullet(msgspec.Struct, frozen=True, rename="camel"):
    token: str
    instance_servers: list[_Server] | None = None


_T = TypeVar("_T")

#: How many pages `RestClient.get_pages` reads at most before it refuses to go on.
MAX_PAGES: Final = 200


class Page(msgspec.Struct, Generic[_T], frozen=True, kw_only=True, rename="camel"):
    """One page of a paginated KuCoin answer (``currentPage``, ``totalPage``, ``items``)."""

    current_page: int = 1
    page_size: int | None = None
    total_num: int | None = None
    total_page: int = 1
    items: list[_T] | None = None


_DECODERS: dict[Any, Any] = {}


def decode_answer(model: Any, raw: bytes, path: str) -> Any:
    """Decode a REST ``data`` member into ``model`` under the payload rule (blank strings
    are ``None``, numbers in any form, numbers for text ids).

    Raises:
        DecodeError: the answer does not fit ``model``; ``topic`` is the REST path.
    """
    decode = _DECODERS.get(model)
    if decode is None:
        decode = _DECODERS.setdefault(model, lax_decoder(model))
    try:
        return decode_lenient(decode, raw)
    except Exception as exc:  # every failure to read the answer is one DecodeError
        raise decode_error(exc, topic=path) from None


_ENVELOPE: Final = msgspec.json.Decoder(_Envelope)
_BULLET: Final = msgspec.json.Decoder(_Bullet)


class RestClient:
    """Signed REST calls to KuCoin's hosts (or the simulator's).

    Args:
        session: the aiohttp session to use; the caller owns and closes it.
        endpoints: where KuCoin lives.
        credentials: needed for private calls; ``None`` for public-only use.
        timeout: seconds before a call counts as failed (`TransportError`).
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        endpoints: Endpoints | None = None,
        credentials: Credentials | None = None,
        *,
        timeout: float = 10.0,
    ) -> None:
        self._session = session
        self._endpoints = endpoints or Endpoints()
        self._credentials = credentials
        self._timeout = timeout

    @property
    def endpoints(self) -> Endpoints:
        """The hosts this client talks to."""
        return self._endpoints

    async def fetch_token(self, key: WsKey) -> Token:
        """Fetch a fresh connection token for ``key`` from its bullet endpoint.

        Raises:
            CredentialsError: ``key`` is private and no credentials were given.
            AuthError: the credentials were rejected.
            RateLimitError, ServerError, TransportError: transient; retry later.
            RestError: any other rejection.
            ClientClosed: the HTTP session this client uses is closed.
        """
        raw = await self.request("POST", key.market, key.token_path, signed=key.is_private)
        try:
            bullet = _BULLET.decode(raw)
        except msgspec.MsgspecError as exc:
            raise RestError(
                "", f"malformed token answer: {exc}", status=200, path=key.token_path
            ) from None
        if bullet.instance_servers:
            servers = tuple(
                InstanceServer(s.endpoint, s.encrypt, s.protocol, s.ping_interval, s.ping_timeout)
                for s in bullet.instance_servers
            )
        elif key is WsKey.PRIVATE_PRO_V2:
            servers = (InstanceServer(self._endpoints.pro_private_ws),)
        else:
            raise RestError(
                "", "token answer lists no instance servers", status=200, path=key.token_path
            )
        return Token(key=key, value=bullet.token, servers=servers)

    async def get(
        self, market: Market, path: str, params: Mapping[str, str] | None = None
    ) -> bytes:
        """A signed GET; returns the JSON text of ``data``."""
        query = f"?{urlencode(params)}" if params else ""
        return await self.request("GET", market, path + query, signed=True)

    async def get_json(
        self, market: Market, path: str, params: Mapping[str, str] | None = None
    ) -> Any:
        """A signed GET; returns ``data`` as plain JSON values (decimals stay strings)."""
        return msgspec.json.decode(await self.get(market, path, params))

    async def get_model(
        self,
        market: Market,
        path: str,
        model: type[_T],
        params: Mapping[str, str] | None = None,
    ) -> _T:
        """A signed GET whose ``data`` is decoded into ``model`` (a Struct, or a list of one).

        Raises:
            DecodeError: the answer does not fit ``model``.
            RestError: and its subclasses, as `request` raises them.
        """
        raw = await self.get(market, path, params)
        return decode_answer(model, raw, path)  # type: ignore[no-any-return]

    async def get_pages(
        self,
        market: Market,
        path: str,
        item: type[_T],
        params: Mapping[str, str] | None = None,
        *,
        page_size: int = 100,
    ) -> list[_T]:
        """Every item of a paginated listing, page after page (``currentPage``/``pageSize``).

        Raises:
            DecodeError: a page does not fit; RestError as `request` raises it.
            RestError: the listing has more than `MAX_PAGES` pages.
        """
        items: list[_T] = []
        page = 1
        while True:
            query = {**(params or {}), "currentPage": str(page), "pageSize": str(page_size)}
            answer: Page[_T] = await self.get_model(market, path, Page[item], query)  # type: ignore[valid-type]
            items.extend(answer.items or ())
            if page >= answer.total_page or not answer.items:
                return items
            page += 1
            if page > MAX_PAGES:
                raise RestError(
                    "", f"more than {MAX_PAGES} pages; narrow the query", status=200, path=path
                )

    async def request(
        self,
        method: str,
        market: Market,
        path: str,
        *,
        body: Any = None,
        signed: bool = True,
    ) -> bytes:
        """Send one request and return the raw JSON text of its ``data`` member.

        Args:
            method: HTTP method.
            market: which REST host.
            path: path with its query string, exactly as it is signed.
            body: a JSON-able body, or ``None`` for no body.
            signed: whether to add the signed ``KC-API-*`` headers.
        """
        text = "" if body is None else msgspec.json.encode(body).decode()
        headers = {"Content-Type": "application/json", **self._endpoints.extra_headers()}
        if signed:
            if self._credentials is None:
                raise CredentialsError(
                    f"{path.split('?')[0]} needs API credentials and none were given",
                    ("api_key", "api_secret", "api_passphrase"),
                )
            headers.update(self._credentials.headers(method, path, text))
        url = self._endpoints.rest_base(market) + path
        bare_path = path.split("?")[0]
        if self._session.closed:
            raise ClientClosed(f"{bare_path}: the client's HTTP session is closed")
        try:
            async with self._session.request(
                method,
                url,
                data=text.encode() if text else None,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self._timeout),
            ) as response:
                payload = await response.read()
                status = response.status
                reset = response.headers.get("gw-ratelimit-reset")
        except TimeoutError as exc:
            raise TransportError(f"{bare_path}: no answer within {self._timeout} s") from exc
        except aiohttp.ClientError as exc:
            raise TransportError(f"{bare_path}: {type(exc).__name__}: {exc}") from exc
        signed_passphrase = self._credentials is not None and self._credentials.key_version != "1"
        return _unwrap(payload, status, bare_path, reset, signed_passphrase=signed_passphrase)


def _unwrap(
    payload: bytes, status: int, path: str, reset: str | None, *, signed_passphrase: bool = False
) -> bytes:
    try:
        envelope = _ENVELOPE.decode(payload)
    except msgspec.MsgspecError:
        envelope = None
    code = "" if envelope is None or envelope.code is None else str(envelope.code)
    if status == 200 and code == SUCCESS_CODE and envelope is not None:
        return bytes(envelope.data)
    msg = (envelope.msg if envelope else None) or payload[:200].decode(errors="replace")
    if status == 429 or code == RATE_LIMIT_CODE:
        reset_ms = int(reset) if reset and reset.isdigit() else None
        raise RateLimitError(code, msg, status=status, path=path, reset_ms=reset_ms)
    if status >= 500 or code == SERVER_ERROR_CODE:
        raise ServerError(code, msg, status=status, path=path)
    if code == CLOCK_SKEW_CODE:
        raise ClockSkewError(code, msg, status=status, path=path)
    if code in AUTH_CODES or status in (401, 403):
        if signed_passphrase and code in _SECRET_OR_PASSPHRASE:
            msg = (
                f"{msg} (with a key of version 2 or 3 the passphrase is sent signed with the "
                "secret, so either the API secret or the passphrase may be wrong)"
            )
        raise AuthError(code, msg, status=status, path=path)
    raise RestError(code, msg, status=status, path=path)
