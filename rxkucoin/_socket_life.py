"""The life of one WsKey's socket as a cold Observable: a pure producer of phases.

Subscribing starts one attempt: a fresh token (or, on Pro, the signed ``op: auth``), the
dial and the welcome, then the replay of every held topic, which the subscription registry
performs when it is handed the new session. The attempt emits what it reached, in order:

- `Dialing` as it starts;
- `Opened` once the socket is welcomed (and authenticated);
- `Live` once every replayed topic was answered;

and ends with an error when the socket dies (a `ConnectionLost`, or the fatal error that
stopped it). It keeps nothing of the connection's state: the connection, the registry and
the router consume the phases. Around it the connection puts `retry_with_backoff` (a new
attempt after a retryable error, backoff reset by `Live`) and `share_resettable`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiohttp
import reactivex
from reactivex import Observable, abc
from reactivex.disposable import Disposable

from ._auth import Credentials
from ._protocol_events import Push
from ._rest import RestClient
from ._session import Session, open_session
from .exceptions import ConnectionLost
from .keys import Dialect, Endpoints, WsKey

__all__ = ("Dialing", "Live", "Opened", "Phase", "SocketLife", "SocketTimeouts")


@dataclass(frozen=True)
class Dialing:
    """An attempt started: a token is being fetched and the socket dialled."""


@dataclass(frozen=True)
class Opened:
    """The socket is welcomed (and, on Pro flow B, authenticated); the replay comes next."""

    session: Session


@dataclass(frozen=True)
class Live:
    """Every held topic was replayed and answered on ``session``."""

    session: Session


Phase = Dialing | Opened | Live


@dataclass(frozen=True)
class SocketTimeouts:
    """Seconds each step of a socket's life may take."""

    welcome: float = 10.0
    ack: float = 10.0
    close: float = 5.0


class SocketLife:
    """One WsKey's socket attempts.

    Args:
        ws_key: which socket.
        http: the aiohttp session sockets are opened with.
        rest: fetches tokens.
        on_push: receives every push (the router).
        on_bad_frame: receives every frame that could not be read (the router).
        replay: re-subscribes every held topic on a new session (the request flow); the
            attempt is `Live` when it returns.
        ended: called with a session that is over, before it is closed (the request flow
            forgets it).
        drain: awaited with a session once it is closed (the request flow cancels and
            awaits what was in flight on it).
        credentials: for Pro signed auth.
        endpoints: for the Pro socket's URL.
        signed: whether Pro authenticates with the signed ``op: auth`` frame (flow B).
            After a failed handshake the next attempt uses a token (flow A); the choice
            comes back once a socket is live.
        timeouts: welcome, ack and close timeouts.
    """

    def __init__(
        self,
        ws_key: WsKey,
        http: aiohttp.ClientSession,
        rest: RestClient,
        *,
        on_push: Callable[[Push], None],
        on_bad_frame: Callable[[bytes, Exception], None],
        replay: Callable[[Session], Awaitable[None]],
        ended: Callable[[Session], object],
        drain: Callable[[Session], Awaitable[None]],
        credentials: Credentials | None = None,
        endpoints: Endpoints | None = None,
        signed: bool = False,
        timeouts: SocketTimeouts | None = None,
    ) -> None:
        self.ws_key = ws_key
        self._http = http
        self._rest = rest
        self._on_push = on_push
        self._on_bad_frame = on_bad_frame
        self._replay = replay
        self._ended = ended
        self._drain = drain
        self._credentials = credentials
        self._endpoints = endpoints or rest.endpoints
        self._choice = signed and credentials is not None and ws_key.dialect is Dialect.PRO
        self._signed = self._choice
        self._timeouts = timeouts or SocketTimeouts()
        #: the socket task of the attempt under way, if any
        self.task: asyncio.Task[None] | None = None
        #: tokens fetched so far
        self.token_fetches = 0
        #: closes of ended sockets still under way (held: asyncio keeps tasks weakly)
        self._closing: set[asyncio.Task[None]] = set()

    @property
    def closing(self) -> list[asyncio.Task[None]]:
        """Closes of ended sockets still under way."""
        return list(self._closing)

    def observable(self) -> Observable[Phase]:
        """The cold Observable: each subscription is one attempt."""
        return reactivex.create(self._subscribe)

    def _subscribe(
        self, observer: abc.ObserverBase[Phase], _: abc.SchedulerBase | None = None
    ) -> abc.DisposableBase:
        task = asyncio.get_running_loop().create_task(
            self._attempt(observer), name=f"rxkucoin:{self.ws_key.value}"
        )
        self.task = task

        def cancel() -> None:
            task.cancel()

        return Disposable(cancel)

    async def _attempt(self, observer: abc.ObserverBase[Phase]) -> None:
        session: Session | None = None
        observer.on_next(Dialing())
        try:
            session = await self._open()
            observer.on_next(Opened(session))
            await self._replay(session)
            if session.closed.done():
                raise session.closed.result()
            self._signed = self._choice
            observer.on_next(Live(session))
            raise await session.closed
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if session is None and self._signed and isinstance(exc, ConnectionLost):
                self._signed = False  # the signed handshake failed: a token next time
            observer.on_error(exc)
        finally:
            if session is not None:
                # The retry answers on_error by cancelling this task at once; the socket
                # must still be closed, so the close runs on as a task of its own.
                closing = asyncio.get_running_loop().create_task(
                    self._close(session), name=f"rxkucoin:{self.ws_key.value}:close"
                )
                self._closing.add(closing)
                closing.add_done_callback(_forget_close(self._closing))
                await asyncio.shield(closing)

    async def _close(self, session: Session) -> None:
        self._ended(session)
        await session.close()
        await self._drain(session)

    async def _open(self) -> Session:
        token = None
        if not self._signed:
            self.token_fetches += 1
            token = await self._rest.fetch_token(self.ws_key)
        return await open_session(
            self._http,
            self.ws_key,
            self._on_push,
            on_bad_frame=self._on_bad_frame,
            token=token,
            credentials=self._credentials,
            endpoints=self._endpoints,
            welcome_timeout=self._timeouts.welcome,
            ack_timeout=self._timeouts.ack,
            close_timeout=self._timeouts.close,
        )


def _forget_close(closing: set[asyncio.Task[None]]) -> Callable[[asyncio.Task[None]], None]:
    def forget(task: asyncio.Task[None]) -> None:
        closing.discard(task)
        if not task.cancelled():
            task.exception()  # a failed close was already logged by the session; no warning

    return forget
