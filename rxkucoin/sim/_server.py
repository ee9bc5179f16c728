"""The simulator's network face: REST hosts, token issuing, sockets and push routing.

Three aiohttp servers on loopback, each on its own free port:

- the spot host: spot/margin/Pro REST, ``bullet-public``/``bullet-private`` (v1 and v2) and
  the spot Classic socket at ``/``;
- the futures host: futures REST, its bullet endpoints and the futures Classic socket at ``/``;
- the Pro push host: the Pro socket at ``/`` (token flow A or ``op: auth`` flow B).

Authentication follows PROTOCOL.md §1 exactly (codes, messages, HTTP 401); the engine's pushes
reach only sockets of their account that subscribed the matching topic or channel.
"""

from __future__ import annotations

import asyncio
import base64
import hmac
import logging
import random
import socket
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import unquote

import msgspec
from aiohttp import web

from .._auth import WS_AUTH_PATH, Credentials, prehash, sign
from ..keys import Endpoints
from ._classic import Session, classic_handler
from ._engine import Engine
from ._faults import Faults, HostName
from ._pro import matches, pro_handler
from ._pushes import ClassicPush, Push

if TYPE_CHECKING:
    from collections.abc import Awaitable

__all__ = ("GatewayError", "SimAccount", "SimStats", "Simulator")

RestHost = Literal["spot", "futures"]

_log = logging.getLogger(__name__)

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


@dataclass
class SimStats:
    """Counters of one simulator (``sim.stats``).

    Attributes:
        bullet_calls: token calls per REST host (``"spot"``, ``"futures"``), failed ones too.
        connections: sockets accepted per host (``"spot"``, ``"futures"``, ``"pro"``).
        subscribe_frames: subscribe requests received (all hosts).
    """

    bullet_calls: Counter[str] = field(default_factory=Counter)
    connections: Counter[str] = field(default_factory=Counter)
    subscribe_frames: int = 0
    _live: Callable[[], Counter[str]] = field(default=Counter, repr=False)

    @property
    def live_connections(self) -> Counter[str]:
        """Sockets open right now, per host."""
        return self._live()


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


def _bound_socket(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


class Simulator:
    """An offline KuCoin: REST hosts, token issuing, Classic and Pro sockets, faults.

    Use it as ``async with Simulator() as sim:``; point a client at `endpoints` and sign
    with the `Credentials` returned by `add_account`.

    Args:
        engine: the account engine; a new ``Engine(seed=seed)`` when ``None``.
        seed: makes keys, tokens and ids deterministic.
        host: the loopback address to listen on.
        token_ttl: seconds a token may be used to open a socket.
        ping_interval_ms: ``pingInterval`` announced to clients.
        ping_timeout_ms: ``pingTimeout`` announced; a socket silent for longer than
            ``ping_interval_ms + ping_timeout_ms`` is closed.
        welcome: send the welcome frame (``False`` to simulate a server that never greets).
        binary_pro: send Pro frames as binary WebSocket frames.
        clock: seconds since the epoch: the timestamp window, token expiry, pong times and
            Pro ``P`` stamps use it.
        port_base: listen on ``port_base``, ``+1``, ``+2`` (spot, futures, Pro) instead of
            free ports.
        max_sessions: open sockets one account may have per host; one more gets error 509
            ``exceed max session count limitation of 50`` and is closed. ``None``: no limit.
    """

    def __init__(
        self,
        engine: Engine | None = None,
        *,
        seed: int = 0,
        host: str = "127.0.0.1",
        token_ttl: float = 86400.0,
        ping_interval_ms: int = 18000,
        ping_timeout_ms: int = 10000,
        welcome: bool = True,
        binary_pro: bool = False,
        clock: Callable[[], float] = time.time,
        port_base: int | None = None,
        max_sessions: int | None = 50,
    ) -> None:
        self.engine = engine if engine is not None else Engine(seed=seed)
        self.seed = seed
        self.host = host
        self.token_ttl = token_ttl
        self.ping_interval_ms = int(ping_interval_ms)
        self.ping_timeout_ms = int(ping_timeout_ms)
        self.welcome = welcome
        self.binary_pro = binary_pro
        self._clock = clock
        self._port_base = port_base
        self.max_sessions = max_sessions
        self._rng = random.Random(f"rxkucoin-sim-ids:{seed}")
        self.faults = Faults(self, clock)
        self.stats = SimStats(_live=self._live_counts)
        self.accounts: dict[str, SimAccount] = {}
        self._by_key: dict[str, SimAccount] = {}
        self._tokens: dict[str, _Token] = {}
        self._sessions: dict[Session, None] = {}
        self._lost_subs: dict[tuple[str, str], dict[Any, None]] = {}
        self._reorder_buffer: list[list[tuple[Session, bytes]]] = []
        self._runners: list[web.AppRunner] = []
        self._ports: tuple[int, int, int] | None = None
        self._stopping = asyncio.Event()
        self._running = False
        self._unlisten: Callable[[], None] | None = None
        self._env_push: ClassicPush | None = None
        self._env_bytes = b""

    # -- lifecycle ------------------------------------------------------------------------

    async def __aenter__(self) -> Simulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Open the three listening sockets and start serving."""
        if self._running:
            return
        self._stopping = asyncio.Event()
        apps = (self._spot_app(), self._futures_app(), self._pro_app())
        ports: list[int] = []
        try:
            for i, app in enumerate(apps):
                runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
                await runner.setup()
                self._runners.append(runner)
                port = 0 if self._port_base is None else self._port_base + i
                sock = _bound_socket(self.host, port)
                await web.SockSite(runner, sock).start()
                ports.append(sock.getsockname()[1])
        except BaseException:
            for runner in self._runners:
                await runner.cleanup()
            self._runners.clear()
            raise
        self._ports = (ports[0], ports[1], ports[2])
        self._running = True
        self._unlisten = self.engine.listen(self.publish)

    async def stop(self) -> None:
        """Reset every socket and stop serving."""
        if not self._running:
            return
        self._running = False
        if self._unlisten is not None:
            self._unlisten()
            self._unlisten = None
        self._stopping.set()
        for s in list(self._sessions):
            s.abort()
        for runner in self._runners:
            await runner.cleanup()
        self._runners.clear()

    @property
    def endpoints(self) -> Endpoints:
        """Where the running simulator listens, as rxkucoin `Endpoints`."""
        if self._ports is None:
            raise RuntimeError("the simulator is not running: use `async with Simulator()`")
        spot, futures, pro = self._ports
        return Endpoints(
            spot_rest=f"http://{self._netloc(spot)}",
            futures_rest=f"http://{self._netloc(futures)}",
            pro_private_ws=f"ws://{self._netloc(pro)}",
        )

    @property
    def _idle_timeout_s(self) -> float:
        return (self.ping_interval_ms + self.ping_timeout_ms) / 1000

    def _netloc(self, port: int) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{port}"

    # -- accounts -------------------------------------------------------------------------

    def add_account(
        self,
        account: str = "demo",
        *,
        api_key: str | None = None,
        api_secret: str | None = None,
        passphrase: str | None = None,
        key_version: str = "2",
        permissions: Iterable[str] = ("General",),
        user_id: str | None = None,
        balances: Mapping[str, str | Decimal] | None = None,
        engine: bool = True,
        **engine_options: Any,
    ) -> Credentials:
        """Open an account in the engine and give it an API key.

        Args:
            account: the account name.
            api_key: the key; derived from the seed and the name when ``None``.
            api_secret: the secret; derived when ``None``.
            passphrase: the passphrase; derived when ``None``.
            key_version: ``"1"`` (plain passphrase), ``"2"`` or ``"3"``.
            permissions: key permissions; tokens and snapshots need ``"General"``.
            user_id: the ``userId`` of Classic pushes; derived when ``None``.
            balances: starting balances, handed to the engine.
            engine: also open the account in the engine; ``False`` gives a key to an
                account opened in the engine directly (its ``userId`` is taken from there).
            **engine_options: more `Engine.add_account` options (``futures_balance``,
                ``unified``).

        Returns:
            The credentials a client signs with.
        """
        demo, demo_uid = demo_credentials(self.seed, account, key_version)
        creds = Credentials(
            api_key=api_key or demo.api_key,
            api_secret=api_secret or demo.api_secret,
            api_passphrase=passphrase or demo.api_passphrase,
            key_version=key_version,
        )
        if user_id is not None:
            uid = user_id
        elif account in self.accounts:
            uid = self.accounts[account].user_id
        elif not engine:
            uid = self.engine.user_id(account)
        else:
            uid = demo_uid
        if engine and account not in self.accounts:
            self.engine.add_account(account, user_id=uid, balances=balances, **engine_options)
        sim_account = SimAccount(account, creds, uid, tuple(permissions))
        self.accounts[account] = sim_account
        self._by_key[creds.api_key] = sim_account
        return creds

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
        elif version != creds.key_version:
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
        return value

    def _check_token(self, value: str | None, host: HostName) -> tuple[_Token | None, str]:
        token = self._tokens.get(value) if value else None
        if token is None or token.host != host:
            return None, "token is invalid"
        if self._clock() >= token.expires_at:
            return None, "token is expired"
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
        return Simulator._symbol(query)

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
            return Simulator._error(GatewayError("400001", e.status))

    def _app(self) -> web.Application:
        return web.Application(middlewares=[self._json_errors])

    def _spot_app(self) -> web.Application:
        app = self._app()

        async def ws(request: web.Request) -> web.StreamResponse:
            return await classic_handler(self, request, "spot")

        async def bullet_public(request: web.Request) -> web.Response:
            return await self._bullet(request, "spot", "public")

        async def bullet_private(request: web.Request) -> web.Response:
            return await self._bullet(request, "spot", "private")

        async def bullet_pro(request: web.Request) -> web.Response:
            return await self._bullet(request, "spot", "pro")

        app.router.add_get("/", ws)
        app.router.add_post("/api/v1/bullet-public", bullet_public)
        app.router.add_post("/api/v1/bullet-private", bullet_private)
        app.router.add_post("/api/v2/bullet-private", bullet_pro)
        for path, method, args in (
            ("/api/v1/accounts", "spot_accounts", self._no_args),
            ("/api/v1/hf/orders/active", "spot_open_orders", self._symbol),
            ("/api/v1/hf/fills", "spot_fills", self._symbol),
            ("/api/v1/stop-order", "spot_stop_orders", self._no_args),
            ("/api/ua/v1/unified/account/balance", "pro_balance", self._no_args),
            ("/api/ua/v1/unified/order/open-list", "pro_open_orders", self._no_args),
            ("/api/ua/v1/unified/position/open-list", "pro_positions", self._no_args),
        ):
            app.router.add_get(path, self._snapshot(method, args))
        return app

    def _futures_app(self) -> web.Application:
        app = self._app()

        async def ws(request: web.Request) -> web.StreamResponse:
            return await classic_handler(self, request, "futures")

        async def bullet_public(request: web.Request) -> web.Response:
            return await self._bullet(request, "futures", "public")

        async def bullet_private(request: web.Request) -> web.Response:
            return await self._bullet(request, "futures", "private")

        app.router.add_get("/", ws)
        app.router.add_post("/api/v1/bullet-public", bullet_public)
        app.router.add_post("/api/v1/bullet-private", bullet_private)
        for path, method, args in (
            ("/api/v1/account-overview", "futures_account_overview", self._currency),
            ("/api/v1/orders", "futures_open_orders", self._active),
            ("/api/v1/positions", "futures_positions", self._no_args),
        ):
            app.router.add_get(path, self._snapshot(method, args))
        return app

    def _pro_app(self) -> web.Application:
        app = self._app()

        async def ws(request: web.Request) -> web.StreamResponse:
            return await pro_handler(self, request)

        app.router.add_get("/", ws)
        return app

    # -- sessions ----------------------------------------------------------------------------

    def _sessions_on(self, host: HostName | None) -> list[Session]:
        return [s for s in self._sessions if not s.closed and (host is None or s.host == host)]

    def _live_counts(self) -> Counter[str]:
        return Counter(s.host for s in self._sessions if not s.closed)

    def _opened(self, session: Session) -> None:
        self._sessions[session] = None
        self.stats.connections[session.host] += 1
        if self.faults.cut_seconds is not None:
            session.schedule_cut(self.faults.cut_seconds)

    def _session_limit_reached(self, account: str | None, host: HostName) -> bool:
        """Whether ``account`` already has `max_sessions` open sockets on ``host``."""
        if account is None or self.max_sessions is None:
            return False
        live = sum(
            1 for s in self._sessions if s.account == account and s.host == host and not s.closed
        )
        return live >= self.max_sessions

    def _closed(self, session: Session) -> None:
        self._sessions.pop(session, None)
        session.closed = True
        if session.account is not None and session.subs and self._running:
            lost = self._lost_subs.setdefault((session.account, session.host), {})
            lost.update(session.subs)

    def _resubscribed(self, session: Session, keys: Iterable[Any]) -> None:
        if session.account is None:
            return
        lost = self._lost_subs.get((session.account, session.host))
        if lost:
            for k in keys:
                lost.pop(k, None)

    # -- pushes --------------------------------------------------------------------------------

    def _now_ns(self) -> int:
        if self._clock is time.time:
            return time.time_ns()
        return int(self._clock() * 1_000_000_000)

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)

    def _new_id(self) -> str:
        return f"{self._rng.getrandbits(64):016x}"

    def _new_uuid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def _classic_envelope(self, push: ClassicPush) -> bytes:
        if push is not self._env_push:
            acct = self.accounts.get(push.account)
            frame: dict[str, Any] = {
                "type": "message",
                "topic": push.wire_topic or push.topic,
                "subject": push.subject,
            }
            if push.envelope_id is not None:
                frame["id"] = push.envelope_id
            frame["userId"] = acct.user_id if acct is not None else self._engine_user_id(push)
            frame["channelType"] = "private"
            frame["data"] = push.data
            self._env_push = push
            self._env_bytes = _encode(frame)
        return self._env_bytes

    def _engine_user_id(self, push: ClassicPush) -> str:
        try:
            return str(self.engine.user_id(push.account))
        except (AttributeError, KeyError):
            return push.account

    def publish(self, push: Push) -> None:
        """Deliver one push exactly as the engine's pushes are delivered.

        It goes to every open socket of ``push.account`` whose subscriptions match, through
        the armed push faults (drop, duplicate, delay, reorder). A push that a subscribed
        client could not see (socket gone or half-open) is added to ``faults.undelivered``.
        Call it on the simulator's event loop (the engine's listeners run there).

        Args:
            push: a `ClassicPush` or `ProEvent`.
        """
        if not self._running:
            return
        host = push.host if isinstance(push, ClassicPush) else "pro"
        now_ns = self._now_ns()
        deliveries: list[tuple[Session, bytes]] = []
        missed: str | None = None
        for s in self._sessions:
            if s.account != push.account or s.host != host:
                continue
            frames = s.frames_for(push, now_ns)
            if not frames:
                continue
            if s.closed or s.half_open:
                missed = missed or ("disconnected" if s.closed else "half_open")
                continue
            deliveries.extend((s, f) for f in frames)
        if not deliveries:
            if missed is None and self._was_subscribed(push, host):
                missed = "disconnected"
            if missed is not None:
                self.faults.lost(push, missed)
            return
        faults = self.faults
        if faults.push_drop > 0:
            faults.push_drop -= 1
            faults.record("drop_next", push=push)
            faults.lost(push, "dropped")
            return
        if faults.push_reorder > 0:
            self._reorder_buffer.append(deliveries)
            if len(self._reorder_buffer) >= faults.push_reorder:
                held = self._reorder_buffer[::-1]
                faults.record("reorder_next", pushes=len(held))
                self._reorder_buffer = []
                faults.push_reorder = 0
                for d in held:
                    self._deliver(d)
            return
        copies = 1
        if faults.push_duplicate > 0:
            faults.push_duplicate -= 1
            faults.record("duplicate_next", push=push)
            copies = 2
        if faults.push_delay:
            delay = faults.push_delay.pop(0)
            faults.record("delay_next", push=push, seconds=delay)
            asyncio.get_running_loop().call_later(delay, self._deliver, deliveries, copies)
            return
        self._deliver(deliveries, copies)

    def _flush_reorder(self) -> None:
        """Send pushes held by `Faults.reorder_next`, in their original order."""
        held, self._reorder_buffer = self._reorder_buffer, []
        for d in held:
            self._deliver(d)

    @staticmethod
    def _deliver(deliveries: list[tuple[Session, bytes]], copies: int = 1) -> None:
        for _ in range(copies):
            for session, data in deliveries:
                session.send_raw(data)

    def _was_subscribed(self, push: Push, host: str) -> bool:
        lost = self._lost_subs.get((push.account, host))
        if not lost:
            return False
        if isinstance(push, ClassicPush):
            return push.topic in lost
        return any(matches(k, push) for k in lost)
