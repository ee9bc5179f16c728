"""The simulator's REST gateway: KuCoin's request authentication, tokens and REST answers.

Authentication follows PROTOCOL.md §1 exactly: the headers, the ±5 s timestamp window, the
passphrase and signature HMACs over the request as received, the key version and the
permission, each refusal with KuCoin's code, message and HTTP status. `Simulator` mixes
this in; it holds the state these methods read.
"""

from __future__ import annotations

import asyncio
import base64
import hmac
import logging
import random
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import unquote

import msgspec
from aiohttp import web

from .._auth import WS_AUTH_PATH, Credentials, prehash, sign
from ._engine import Engine
from ._faults import Faults, HostName

if TYPE_CHECKING:
    from ._classic import Session
    from ._server import SimStats

__all__ = ("Gateway", "GatewayError", "SimAccount", "demo_credentials")

RestHost = Literal["spot", "futures"]

_log = logging.getLogger("rxkucoin.sim._server")

_encode = msgspec.json.Encoder().encode

#: Gateway error messages (PROTOCOL.md §1.5).
MESSAGES = {
    "400001": "Please check the URL of your request.",
    "400002": "Invalid KC-API-TIMESTAMP.",
    "400003": "KC-API-KEY does not exist.",
    "400004": "Invalid KC-API-PASSPHRASE.",
    "400005": "Invalid KC-API-SIGN.",
    "400007": "Access denied, requires more permission.",
    "400009": "Invalid KC-API-KEY-VERSION.",
    "429000": "Too Many Requests",
    "500000": "Internal server error",
    "400100": "Parameter error",
}

#: The window KC-API-TIMESTAMP must fall in, in milliseconds either side of server time.
TIMESTAMP_WINDOW_MS = 5000

#: The KC-API-KEY-VERSION values a version 2 or 3 key is accepted with.
SIGNED_PASSPHRASE_VERSIONS = ("2", "3")

#: Tokens are pruned when their number has doubled since the last pruning, and not below this.
TOKENS_PRUNED_FROM = 64


class GatewayError(Exception):
    """A KuCoin gateway refusal: ``code`` (6-digit string), ``msg`` and HTTP ``status``."""

    def __init__(self, code: str, status: int = 401, msg: str | None = None) -> None:
        self.code = code
        self.status = status
        self.msg = msg if msg is not None else MESSAGES.get(code, "error")
        super().__init__(f"{code} {self.msg}")


@dataclass(frozen=True)
class SimAccount:
    """An account of the simulator and its API key.

    Attributes:
        name: the engine's account name.
        credentials: the API key, secret and passphrase (secret redacted in repr).
        user_id: the ``userId`` written in Classic pushes.
        permissions: the key's permissions (``"General"`` is needed for tokens and snapshots).
    """

    name: str
    credentials: Credentials
    user_id: str
    permissions: tuple[str, ...] = ("General",)


@dataclass
class _Token:
    value: str
    host: HostName
    account: str | None
    expires_at: float
    used: bool = False  # a socket was opened with it


def demo_credentials(seed: int, account: str, key_version: str = "2") -> tuple[Credentials, str]:
    """The deterministic API key and user id of ``account`` under ``seed``.

    Returns:
        ``(credentials, user_id)``.
    """
    rng = random.Random(f"rxkucoin-sim:{seed}:{account}")
    creds = Credentials(
        api_key=rng.randbytes(12).hex(),
        api_secret=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        api_passphrase="sim-" + rng.randbytes(6).hex(),
        key_version=key_version,
    )
    return creds, rng.randbytes(12).hex()


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


class Gateway:
    """REST authentication, token issuing and REST answers (mixed into `Simulator`)."""

    engine: Engine
    faults: Faults
    host: str
    token_ttl: float
    ping_interval_ms: int
    ping_timeout_ms: int
    _clock: Callable[[], float]
    _rng: random.Random
    _by_key: dict[str, SimAccount]
    _tokens: dict[str, _Token]
    _prune_tokens_at: int = TOKENS_PRUNED_FROM
    _sessions: dict[Session, None]
    _ports: tuple[int, int, int] | None
    _stopping: asyncio.Event
    stats: SimStats

    def _netloc(self, port: int) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{port}"

    # -- auth ------------------------------------------------------------------------------

    def _verify(
        self,
        get: Callable[[str], str | None],
        method: str,
        paths: Iterable[str],
        body: str,
        permission: str = "General",
        *,
        version_optional: bool = False,
    ) -> SimAccount:
        names = ("KC-API-KEY", "KC-API-SIGN", "KC-API-TIMESTAMP", "KC-API-PASSPHRASE")
        key, signature, ts, passphrase = (get(n) for n in names)
        if not key or not signature or not ts or not passphrase:
            raise GatewayError("400001")
        try:
            ts_ms = int(ts)
        except ValueError:
            raise GatewayError("400002") from None
        if abs(ts_ms - self._clock() * 1000) > TIMESTAMP_WINDOW_MS:
            raise GatewayError("400002")
        acct = self._by_key.get(key)
        if acct is None:
            raise GatewayError("400003")
        creds = acct.credentials
        if not _same(passphrase, creds.passphrase_header()):
            raise GatewayError("400004")
        if not any(
            _same(signature, sign(creds.api_secret, prehash(ts, method, p, body)))
            for p in dict.fromkeys(paths)
        ):
            raise GatewayError("400005")
        version = get("KC-API-KEY-VERSION")
        if version is None and version_optional:
            version = creds.key_version
        if creds.key_version == "1":
            if version not in (None, "", "1"):
                raise GatewayError("400009")
        elif version not in SIGNED_PASSPHRASE_VERSIONS:
            # KuCoin moved every v2 key to v3 in 2025 and both versions sign the
            # passphrase the same way: the official SDK sends 3 for any key, ccxt sends 2.
            raise GatewayError("400009")
        if permission not in acct.permissions:
            raise GatewayError("400007")
        return acct

    def _verify_request(self, request: web.Request, body: str) -> SimAccount:
        raw = request.raw_path
        return self._verify(request.headers.get, request.method, (raw, unquote(raw)), body)

    def _verify_ws_auth(self, frame: Mapping[str, Any]) -> str:
        def get(name: str) -> str | None:
            value = frame.get(name.lower())
            return None if value is None else str(value)

        # the auth frame carries no key version (PROTOCOL.md §5.3); checked only if sent
        return self._verify(get, "POST", (WS_AUTH_PATH,), "", version_optional=True).name

    # -- tokens ----------------------------------------------------------------------------

    def _new_token(self, host: HostName, account: str | None) -> str:
        head = base64.urlsafe_b64encode(self._rng.randbytes(60)).decode()
        tail = base64.urlsafe_b64encode(self._rng.randbytes(16)).decode()
        value = f"{head}.{tail}"
        self._tokens[value] = _Token(value, host, account, self._clock() + self.token_ttl)
        if len(self._tokens) >= self._prune_tokens_at:
            self._prune_tokens()
        return value

    def _prune_tokens(self) -> None:
        """Forget the tokens no socket is open with that are expired or were used already.

        KuCoin's rule is a fresh token for every connection (a token "remains valid if
        there is no disconnection", PROTOCOL.md §2), so a token whose socket closed, like an
        expired one, can no longer open a socket that a fresh one could not; without this
        every token ever issued would be kept. A pruned token is answered "token is invalid"
        (until it is pruned, an expired one gets "token is expired"). Tokens issued and not
        used yet stay until they expire. Pruning runs when the table has doubled since the
        last time, so it costs O(1) per token issued, amortised.
        """
        now = self._clock()
        open_with = {id(s.token) for s in self._sessions if s.token is not None}
        self._tokens = {
            value: token
            for value, token in self._tokens.items()
            if id(token) in open_with or (not token.used and now < token.expires_at)
        }
        self._prune_tokens_at = max(TOKENS_PRUNED_FROM, 2 * len(self._tokens))

    def _check_token(self, value: str | None, host: HostName) -> tuple[_Token | None, str]:
        token = self._tokens.get(value) if value else None
        if token is None or token.host != host:
            return None, "token is invalid"
        if self._clock() >= token.expires_at:
            return None, "token is expired"
        token.used = True
        return token, ""

    def _expire_all_tokens(self) -> None:
        for token in self._tokens.values():
            token.expires_at = float("-inf")

    # -- REST --------------------------------------------------------------------------------

    @staticmethod
    def _ok(data: Any) -> web.Response:
        return web.Response(
            body=_encode({"code": "200000", "data": data}), content_type="application/json"
        )

    @staticmethod
    def _error(e: GatewayError, headers: Mapping[str, str] | None = None) -> web.Response:
        return web.Response(
            body=_encode({"code": e.code, "msg": e.msg}),
            status=e.status,
            content_type="application/json",
            headers=headers,
        )

    async def _token_fault(self, host: RestHost) -> web.Response | None:
        kind = self.faults.take_token_fault(host)
        if kind == "429":
            return self._error(
                GatewayError("429000", 429),
                {
                    "gw-ratelimit-limit": "2000",
                    "gw-ratelimit-remaining": "0",
                    "gw-ratelimit-reset": "1000",
                },
            )
        if kind == "500":
            return self._error(GatewayError("500000", 500))
        if kind == "hang":
            await self._stopping.wait()
            return self._error(GatewayError("500000", 500))
        return None

    async def _bullet(
        self, request: web.Request, host: RestHost, kind: Literal["public", "private", "pro"]
    ) -> web.Response:
        self.stats.bullet_calls[host] += 1
        fault = await self._token_fault(host)
        if fault is not None:
            return fault
        body = await request.text()
        account: str | None = None
        if kind != "public":
            try:
                account = self._verify_request(request, body).name
            except GatewayError as e:
                return self._error(e)
        if kind == "pro":
            return self._ok({"token": self._new_token("pro", account)})
        assert self._ports is not None
        port = self._ports[0 if host == "spot" else 1]
        return self._ok(
            {
                "token": self._new_token(host, account),
                "instanceServers": [
                    {
                        "endpoint": f"ws://{self._netloc(port)}/",
                        "encrypt": False,
                        "protocol": "websocket",
                        "pingInterval": self.ping_interval_ms,
                        "pingTimeout": self.ping_timeout_ms,
                    }
                ],
            }
        )

    def _snapshot(
        self, method: str, args: Callable[[Mapping[str, str]], dict[str, Any]]
    ) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handler(request: web.Request) -> web.Response:
            body = await request.text()
            try:
                acct = self._verify_request(request, body)
                kwargs = args(request.query)
            except GatewayError as e:
                return self._error(e)
            try:
                data = getattr(self.engine, method)(acct.name, **kwargs)
            except ValueError as e:  # an argument the engine refuses (unknown contract...)
                return self._error(GatewayError("400100", 400, f"Parameter error: {e}"))
            except Exception:
                _log.exception("snapshot %s failed", method)
                return self._error(GatewayError("500000", 500))
            if method == "spot_accounts" and isinstance(data, list):
                for name in ("type", "currency"):
                    want = request.query.get(name)
                    if want:
                        data = [d for d in data if not isinstance(d, dict) or d.get(name) == want]
            return self._ok(data)

        return handler

    @staticmethod
    def _symbol(query: Mapping[str, str]) -> dict[str, Any]:
        return {"symbol": query["symbol"]} if query.get("symbol") else {}

    @staticmethod
    def _no_args(query: Mapping[str, str]) -> dict[str, Any]:
        return {}

    @staticmethod
    def _currency(query: Mapping[str, str]) -> dict[str, Any]:
        return {"currency": query.get("currency") or "USDT"}

    @staticmethod
    def _active(query: Mapping[str, str]) -> dict[str, Any]:
        if query.get("status", "active") != "active":
            raise GatewayError("400100", 400, "the simulator serves status=active only")
        return Gateway._symbol(query)

    @staticmethod
    def _required_symbol(query: Mapping[str, str]) -> dict[str, Any]:
        if not query.get("symbol"):
            raise GatewayError("400100", 400, "symbol is required")
        return {"symbol": query["symbol"]}

    @staticmethod
    def _page(query: Mapping[str, str], number: str) -> dict[str, Any]:
        try:
            page = int(query.get(number) or 1)
            size = int(query.get("pageSize") or 50)
        except ValueError:
            raise GatewayError("400100", 400, f"{number} and pageSize are integers") from None
        if page < 1 or size < 1:
            raise GatewayError("400100", 400, f"{number} and pageSize start at 1")
        return {"page": page, "page_size": size}

    @staticmethod
    def _spot_active(query: Mapping[str, str]) -> dict[str, Any]:
        return {**Gateway._active(query), **Gateway._page(query, "currentPage")}

    @staticmethod
    def _uta_orders(query: Mapping[str, str]) -> dict[str, Any]:
        trade_type = (query.get("tradeType") or "").upper()
        if trade_type not in ("SPOT", "FUTURES", "CROSS", "ISOLATED"):
            raise GatewayError("400100", 400, "tradeType must be SPOT, FUTURES, CROSS or ISOLATED")
        return {
            "trade_type": trade_type,
            **Gateway._symbol(query),
            **Gateway._page(query, "pageNumber"),
        }

    @staticmethod
    @web.middleware
    async def _json_errors(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        """Unknown paths and methods answer like KuCoin: JSON with code 400001."""
        try:
            return await handler(request)
        except web.HTTPException as e:
            if e.status not in (404, 405):
                raise
            return Gateway._error(GatewayError("400001", e.status))
