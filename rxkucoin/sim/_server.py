"""The simulator's network face: REST hosts, token issuing, sockets and push routing.

Three aiohttp servers on loopback, each on its own free port:

- the spot host: spot/margin/Pro REST, ``bullet-public``/``bullet-private`` (v1 and v2) and
  the spot Classic socket at ``/``;
- the futures host: futures REST, its bullet endpoints and the futures Classic socket at ``/``;
- the Pro push host: the Pro socket at ``/`` (token flow A or ``op: auth`` flow B).

REST authentication and answers live in `_gateway.py` (mixed in); this module owns the
servers' life, accounts, sessions and the pushes: the engine's pushes reach only sockets of
their account that subscribed the matching topic or channel.
"""

from __future__ import annotations

import asyncio
import logging
import random
import socket
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

import msgspec
from aiohttp import web

from .._auth import Credentials
from ..keys import Endpoints
from ._classic import DIAL_LIMIT, SESSION_LIMIT, Session, classic_handler
from ._engine import Engine
from ._faults import Faults, HostName
from ._futures_api import add_futures_routes
from ._gateway import (
    Gateway,
    SimAccount,
    _Token,
    demo_credentials,
)
from ._pro import matches, pro_handler
from ._pushes import ClassicPush, Push
from ._spot_api import add_spot_routes
from ._uta_api import add_uta_routes
from ._variants import WireVariants

if TYPE_CHECKING:
    pass

__all__ = ("SimStats", "Simulator")

RestHost = Literal["spot", "futures"]

_log = logging.getLogger(__name__)

_encode = msgspec.json.Encoder().encode


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


class Simulator(Gateway):
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
        max_dials_per_minute: sockets one account may open per host in any 60 s; one more
            gets error 509 ``exceed max connection rate limitation of 30 per minute`` (the
            simulator's wording; KuCoin's figure of 30 is third-party, its scope unverified:
            PROTOCOL.md §3.5) and is closed. ``None`` (the default): no limit.
        wire_variants: a seed: send each push (and each Pro welcome), at random but
            reproducibly, in one of the forms real KuCoin is known to use (numeric strings,
            minimal payloads, the other positionAll tag...; see `WireVariants`, reachable
            as ``sim.variants``). ``None``: the canonical forms.
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
        max_dials_per_minute: int | None = None,
        wire_variants: int | None = None,
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
        self.max_dials_per_minute = max_dials_per_minute
        self._dials: dict[tuple[str, HostName], deque[float]] = {}
        self.variants = WireVariants(wire_variants) if wire_variants is not None else None
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

    def revoke_key(self, account: str) -> None:
        """Delete ``account``'s API key, as a user can on the exchange: every later REST call
        and token request with it is refused with ``400003`` (sockets already open stay
        open until they reconnect). The account and its books stay.

        Raises:
            KeyError: no such account.
        """
        self._by_key.pop(self.accounts[account].credentials.api_key, None)

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
            ("/api/v1/orders", "spot_orders", self._spot_active),
            ("/api/ua/v1/account/mode", "account_mode", self._no_args),
            ("/api/ua/v1/unified/account/balance", "pro_balance", self._no_args),
            ("/api/ua/v1/unified/order/open-list", "pro_open_orders", self._uta_orders),
            ("/api/ua/v1/unified/position/open-list", "pro_positions", self._symbol),
        ):
            app.router.add_get(path, self._snapshot(method, args))
        add_spot_routes(self, app)  # HF orders, stop orders, margin accounts: _spot_api.py
        add_uta_routes(self, app)  # UTA v2 snapshots, UTA order entry: _uta_api.py
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
            ("/api/v1/position", "futures_position", self._required_symbol),
        ):
            app.router.add_get(path, self._snapshot(method, args))
        add_futures_routes(self, app)  # orders, stop orders, positions: _futures_api.py
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

    def _admit(self, account: str | None, host: HostName) -> str | None:
        """Admit a new socket of ``account`` on ``host``: ``None`` if it may open (it is
        counted then), else why not (the text of error 509)."""
        if self._session_limit_reached(account, host):
            return SESSION_LIMIT.format(self.max_sessions)
        if account is None or self.max_dials_per_minute is None:
            return None
        now = time.monotonic()
        dials = self._dials.setdefault((account, host), deque())
        while dials and dials[0] <= now - 60.0:
            dials.popleft()
        if len(dials) >= self.max_dials_per_minute:
            return DIAL_LIMIT.format(self.max_dials_per_minute)
        dials.append(now)
        return None

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
            tag, data = push.wire_topic or push.topic, push.data
            if self.variants is not None:
                tag, data = self.variants.classic(push)
            frame: dict[str, Any] = {"type": "message", "topic": tag, "subject": push.subject}
            if push.envelope_id is not None:
                frame["id"] = push.envelope_id
            frame["userId"] = acct.user_id if acct is not None else self._engine_user_id(push)
            frame["channelType"] = "private"
            frame["data"] = data
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
