"""The life of one WsKey's socket as a cold Observable: a pure producer of phases.

Subscribing starts one attempt: a fresh token (or, on Pro, the signed ``op: auth``), the
dial and the welcome, then the replay of every held topic, which the subscription registry
performs when it is handed the new session. The attempt emits what it reached, in order:

- `Dialing` as it starts;
- `Opened` once the socket is welcomed (and authenticated);
- `Live` once every replayed topic was answered;
- with ``max_age`` set, before the socket reaches it: `Rotating`, then `Rotated` with the
  new socket once every topic is acknowledged on it (or `RotationFailed`: the old socket
  stays and the rotation is tried again after a backoff);

and ends with an error when the socket dies (a `ConnectionLost`, or the fatal error that
stopped it). A planned rotation (make before break) is no end: the new socket is opened
and subscribed while the old one keeps delivering, requests move to the new one, the old
one is unsubscribed and closed once the answers show that its last push has arrived, and
an `Overlap` lets each push of the overlap through once. A new socket that dies before
the switch leaves the old one in charge (`RotationFailed`); the old one dying, or the new
one after the switch, ends the attempt as any death does (the ordinary outage and Gap).

The attempt keeps nothing of the connection's state: the connection, the registry and the
router consume the phases. Around it the connection puts `retry_with_backoff` (a new
attempt after a retryable error, backoff reset by `Live`) and `share_resettable`.
"""

from __future__ import annotations

import asyncio
from asyncio import FIRST_COMPLETED
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

import aiohttp
import reactivex
from reactivex import Observable, abc
from reactivex.disposable import Disposable

from ._auth import Credentials
from ._protocol_events import Push
from ._rest import RestClient
from ._rotation import Overlap, rotation_due
from ._session import Session, open_session
from .exceptions import ClientClosed, ConnectionLost
from .keys import Dialect, Endpoints, WsKey

__all__ = (
    "Dialing",
    "Live",
    "Opened",
    "Phase",
    "Rotated",
    "Rotating",
    "RotationFailed",
    "SocketLife",
    "SocketTimeouts",
)


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


@dataclass(frozen=True)
class Rotating:
    """``session`` is about to reach its maximum age: a new socket is being opened."""

    session: Session


@dataclass(frozen=True)
class Rotated:
    """Every held topic is acknowledged on ``session``, which carries requests from now on;
    ``old`` is being unsubscribed and closed."""

    session: Session
    old: Session


@dataclass(frozen=True)
class RotationFailed:
    """The new socket of a rotation could not be opened; the old one stays, and the
    rotation is tried again in ``delay`` seconds."""

    error: Exception
    delay: float


Phase = Dialing | Opened | Live | Rotating | Rotated | RotationFailed


@dataclass(frozen=True)
class Rotation:
    """How a socket is replaced before the server's maximum age.

    Attributes:
        max_age: seconds after its dial a socket is replaced.
        jitter: up to this fraction of ``max_age`` earlier, at random.
        rotate: replays every held topic on the new session (first argument: the old
            one) while the old one keeps delivering; returns once they are acknowledged.
        retire: unsubscribes the old session's topics and returns once the answers have
            arrived (then no push of it is still on its way).
        old_lost: the old session died after the switch, before its last pushes were known
            to have arrived (``old_lost(old, error)``).
        restore: the new session died before the switch: replays every held topic on the
            old one again, which stays in charge.
        backoff: attempt number to seconds before a failed rotation is tried again.
        slot: held from the new socket's dial until the old one is closed; waits while
            the client has no socket left for one more rotation (`SocketBudget.rotation`).
    """

    max_age: float
    jitter: float
    rotate: Callable[[Session, Session], Awaitable[None]]
    retire: Callable[[Session], Awaitable[None]]
    old_lost: Callable[[Session, Exception], None]
    restore: Callable[[Session], Awaitable[None]]
    backoff: Callable[[int], float]
    slot: Callable[[], AbstractAsyncContextManager[object]] = nullcontext


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
        rotation: replace each socket before its maximum age; ``None``: never.
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
        rotation: Rotation | None = None,
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
        self._rotation = rotation
        #: planned rotations completed so far
        self.rotations = 0
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
        sessions: list[Session] = []  # open and not closed by the rotation yet
        observer.on_next(Dialing())
        try:
            session = await self._open()
            sessions.append(session)
            observer.on_next(Opened(session))
            await self._replay(session)
            if session.closed.done():
                raise session.closed.result()
            self._signed = self._choice
            observer.on_next(Live(session))
            if self._rotation is None:
                raise await session.closed
            while True:
                session = await self._live(session, self._rotation, observer, sessions)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if not sessions and self._signed and isinstance(exc, ConnectionLost):
                self._signed = False  # the signed handshake failed: a token next time
            observer.on_error(exc)
        finally:
            # started here, before any await: this task may be cancelled already
            closes = [self._start_close(s) for s in sessions]
            if closes:
                await asyncio.shield(asyncio.gather(*closes))

    def _start_close(self, session: Session) -> asyncio.Task[None]:
        # The retry answers on_error by cancelling the attempt at once; the socket must
        # still be closed, so the close runs on as a task of its own.
        closing = asyncio.get_running_loop().create_task(
            self._close(session), name=f"rxkucoin:{self.ws_key.value}:close"
        )
        self._closing.add(closing)
        closing.add_done_callback(_forget_close(self._closing))
        return closing

    async def _live(
        self,
        session: Session,
        rotation: Rotation,
        observer: abc.ObserverBase[Phase],
        sessions: list[Session],
    ) -> Session:
        """Wait until ``session`` is due for rotation and replace it; returns the new one.

        Raises:
            Exception: why a socket died (``session`` before or during the rotation, or
                the new one before the rotation was over).
        """
        loop = asyncio.get_running_loop()
        due = rotation_due(session.opened_at, rotation.max_age, rotation.jitter)
        failures = 0

        def retry_later(error: Exception) -> float:
            """Report a failed rotation; when to try again (backoff by failures in a row)."""
            nonlocal failures
            delay = rotation.backoff(failures)
            failures += 1
            observer.on_next(RotationFailed(error, delay))
            return loop.time() + delay

        while True:
            delay = due - loop.time()
            if delay > 0:
                await asyncio.wait([session.closed], timeout=delay)
            if session.closed.done():
                raise session.closed.result()
            async with rotation.slot():  # the client's spare socket may be in use
                if session.closed.done():
                    raise session.closed.result()
                observer.on_next(Rotating(session))
                try:
                    new = await self._open()
                except (asyncio.CancelledError, ClientClosed):
                    raise
                except Exception as exc:  # the old socket carries on; try again later
                    due = retry_later(exc)
                    continue
                sessions.append(new)
                overlap = await self._switch(session, new, rotation, observer)
                if overlap is None:  # the new socket died first: the old one stays
                    sessions.remove(new)
                    await asyncio.shield(self._start_close(new))
                    await session.round_trip()  # what the new one delivered first is in
                    session.on_push = self._on_push
                    due = retry_later(new.closed.result())
                    continue
                sessions.remove(session)
                await asyncio.shield(self._start_close(session))
                overlap.old_closed()
                if len(overlap):
                    # What the old socket delivered first and the new one carries too has
                    # arrived on the new one as well once a ping sent now is answered.
                    await new.round_trip()
                new.on_push = self._on_push
                self.rotations += 1
                return new

    async def _switch(
        self, old: Session, new: Session, rotation: Rotation, observer: abc.ObserverBase[Phase]
    ) -> Overlap | None:
        """Subscribe every topic on ``new`` while ``old`` delivers, then retire ``old``;
        returns the overlap both deliver through, or ``None`` if ``new`` died first (its
        topics are back on ``old``)."""
        overlap = Overlap(self._on_push)
        old.on_push, new.on_push = overlap.from_old, overlap.from_new
        replay = asyncio.ensure_future(rotation.rotate(old, new))
        try:
            waits: list[asyncio.Future[Any]] = [replay, old.closed, new.closed]
            await asyncio.wait(waits, return_when=FIRST_COMPLETED)
        finally:
            if not replay.done():
                replay.cancel()
                await asyncio.gather(replay, return_exceptions=True)
        if old.closed.done():
            raise old.closed.result()
        if new.closed.done():
            await rotation.restore(old)
            if old.closed.done():
                raise old.closed.result()
            return None
        replay.result()
        observer.on_next(Rotated(new, old))
        try:
            await rotation.retire(old)
        except ConnectionLost as exc:
            rotation.old_lost(old, exc)
        return overlap

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
