"""One self-healing connection per WsKey, and the hot topic Observables it feeds.

The socket's life is a cold Observable of phases (`SocketLife`: dialing, opened, live; an
error when the socket dies). Around it, in this order: `retry_with_backoff` (retryable
errors only, backoff reset once live, optionally giving up after ``max_attempts``) and
`share_resettable` (a new socket after an error or when the last topic leaves). A server
that closes cleanly is a retryable drop: KuCoin closes cleanly at its 24 h cut, and the
same fresh-token path with backoff serves both cases without the hot loop an immediate
``repeat`` would risk. Before the cut, though, each socket is replaced while it still
works (``max_socket_age``, make before break): no outage, no Gap, for a planned
rotation. The connection consumes the phases; the subscription registry and its request
flow (`_requests`) replay topics on each new session; the router (`_router`) decodes pushes
and hands them to subscribers by dict lookup, without Rx operators on the way in.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, Literal

import aiohttp
from reactivex import Observable, abc
from reactivex.disposable import Disposable
from reactivex.subject import BehaviorSubject, Subject

from ._affinity import call_on_loop, running_loop
from ._auth import Credentials
from ._events import ConnectionEvent, ConnectionState, EventKind
from ._registry import TopicRegistry
from ._requests import RequestFlow
from ._rest import RestClient
from ._rotation import DEFAULT_MAX_SOCKET_AGE, DEFAULT_ROTATION_JITTER
from ._router import Router
from ._routes import SinkGroup, TopicSink, TopicSource
from ._session import Session
from ._socket_life import (
    Dialing,
    Live,
    Opened,
    Phase,
    Rotated,
    Rotating,
    Rotation,
    RotationFailed,
    SocketLife,
    SocketTimeouts,
)
from ._topics import TopicKey
from .exceptions import ClientClosed, ConnectionLost, is_retryable
from .keys import Endpoints, WsKey
from .operators import exponential_backoff, retry_with_backoff, share_resettable

__all__ = ("Connection",)

log = logging.getLogger("rxkucoin.connection")


class Connection:
    """The connection of one WsKey: socket life, topic reference counts, routing, gaps.

    Args:
        ws_key: which socket.
        http: the aiohttp session sockets are opened with.
        rest: fetches tokens.
        scheduler: the loop's scheduler; every wait is scheduled on it.
        credentials: for Pro signed auth.
        endpoints: for the Pro socket's URL.
        backoff: attempt number to seconds between reconnects.
        welcome_timeout: seconds to wait for each welcome.
        ack_timeout: seconds to wait for each subscribe answer.
        report: receives exceptions raised by subscribers (isolated) and decode failures.
        pro_auth: how the Pro socket authenticates first: ``"signed"`` (the ``op: auth``
            frame, flow B; it falls back to a token after a failed attempt) or ``"token"``
            (flow A, a ``/api/v2/bullet-private`` token in the URL).
        loop: the loop every subscribe, dispose and delivery runs on; the running loop by
            default.
        close_timeout: seconds a clean close (unsubscribe, close frame) may take before the
            socket is dropped.
        max_attempts: give up after this many failed reconnects in a row (the streams then
            error with the last cause); ``None`` retries for ever.
        max_socket_age: seconds after which a socket is replaced by a new one, before the
            server cuts it (KuCoin: 24 h); up to ``rotation_jitter`` of it earlier, at
            random. ``None``: never (the server's cut is then an ordinary drop, with Gaps).
        rotation_jitter: the fraction of ``max_socket_age`` a rotation may come early.
    """

    def __init__(
        self,
        ws_key: WsKey,
        http: aiohttp.ClientSession,
        rest: RestClient,
        scheduler: abc.SchedulerBase,
        *,
        credentials: Credentials | None = None,
        endpoints: Endpoints | None = None,
        backoff: Callable[[int], float] | None = None,
        welcome_timeout: float = 10.0,
        ack_timeout: float = 10.0,
        report: Callable[[Exception], None] | None = None,
        pro_auth: Literal["signed", "token"] = "signed",
        loop: asyncio.AbstractEventLoop | None = None,
        close_timeout: float = 5.0,
        max_attempts: int | None = None,
        max_socket_age: float | None = DEFAULT_MAX_SOCKET_AGE,
        rotation_jitter: float = DEFAULT_ROTATION_JITTER,
    ) -> None:
        self.ws_key = ws_key
        self._loop = loop or asyncio.get_running_loop()
        self._closed = False
        self._scheduler = scheduler
        self._report = report or (lambda exc: log.error("rxkucoin: %s", exc))
        #: why the connection last failed to open or dropped; ``None`` while live
        self.last_error: Exception | None = None

        self.state: BehaviorSubject[ConnectionState] = BehaviorSubject(ConnectionState.IDLE)
        self.events: Subject[ConnectionEvent] = Subject()

        self._topics = TopicRegistry(backoff=lambda attempt: self._backoff(attempt))
        self._requests = RequestFlow(
            self._topics,
            self._loop,
            went_live=lambda keys: self._router.went_live(keys),
            fail_topic=self._fail_topic,
            emit=self._emit,
            on_change=lambda: self._changed.set(),
            on_idle=self._on_idle,
            close_timeout=close_timeout,
        )
        self._router = Router(ws_key, holds=self._topics.holds, emit=self._emit)
        self._detach = self._detach_sink  # one bound method, shared by every sink
        self._post = functools.partial(call_on_loop, self._loop)
        self._session: Session | None = None
        self._link: abc.DisposableBase | None = None
        self._ever_live = False
        self._changed = asyncio.Event()  # set whenever acks or the state change
        self._fatal: Exception | None = None
        self._backoff = backoff or exponential_backoff()

        self._life = SocketLife(
            ws_key,
            http,
            rest,
            on_push=self._router.on_push,
            on_bad_frame=self._router.on_bad_frame,
            replay=self._requests.replay,
            ended=self._requests.socket_ended,
            drain=self._requests.drain,
            credentials=credentials,
            endpoints=endpoints,
            signed=pro_auth == "signed",
            timeouts=SocketTimeouts(welcome_timeout, ack_timeout, close_timeout),
            rotation=None
            if max_socket_age is None
            else Rotation(
                max_socket_age,
                rotation_jitter,
                rotate=functools.partial(self._rotate, settle_timeout=ack_timeout),
                retire=self._requests.retire,
                old_lost=self._old_lost,
                restore=self._requests.restore,
                backoff=self._backoff,
                slot=lambda: self._rotation_slot(),
            ),
        )
        self._shared: Observable[Phase] = self._life.observable().pipe(
            retry_with_backoff(
                scheduler,
                backoff=self._backoff,
                is_retryable=is_retryable,
                is_live=lambda phase: isinstance(phase, Live),
                on_retry=self._on_retry,
                max_attempts=max_attempts,
            ),
            share_resettable(),
        )

    # --- public surface used by the client ------------------------------------------

    @property
    def token_fetches(self) -> int:
        """Tokens fetched so far (one per attempt that uses a token)."""
        return self._life.token_fetches

    @property
    def rotations(self) -> int:
        """Planned socket rotations completed so far."""
        return self._life.rotations

    @property
    def undecodable(self) -> int:
        """Pushes that arrived but could not be decoded (each one a Gap on its topics)."""
        return self._router.undecodable

    @property
    def bad_frames(self) -> int:
        """Frames whose envelope could not be read at all (each one an ``exception`` event)."""
        return self._router.bad_frames

    @property
    def topics(self) -> frozenset[TopicKey]:
        """The topics currently held by at least one subscriber."""
        return self._topics.held

    def stream(self, key: TopicKey, *, with_gaps: bool = False) -> Observable[Any]:
        """The one hot Observable of ``key`` (data only, or data and `Gap` markers).

        It may be subscribed and disposed from any thread: both are carried out on the
        client's loop, and data is always delivered on the loop's thread.
        """
        return TopicSource(
            lambda observer: self._attach(key, observer, with_gaps), self._at_home, self._post
        )

    def streams(self, keys: Sequence[TopicKey], *, with_gaps: bool = False) -> Observable[Any]:
        """One hot Observable of several topics (as ``merge`` of their `stream`, without a
        merge's per-topic observers and locks: each topic gets one sink of the subscriber).

        The first error of any topic errors the subscriber and releases every topic.
        """

        def attach(observer: abc.ObserverBase[Any]) -> abc.DisposableBase:
            return SinkGroup([self._attach(key, observer, with_gaps) for key in keys])

        return TopicSource(attach, self._at_home, self._post)

    def _attach(
        self, key: TopicKey, observer: abc.ObserverBase[Any], with_gaps: bool
    ) -> abc.DisposableBase:
        """Add a subscriber to ``key``'s route (on the loop)."""
        if self._closed:
            observer.on_error(ClientClosed(f"{key} belongs to a closed KucoinStreams"))
            return Disposable()
        route = self._router.route(key)
        # the sink is the subscription's disposable too: no closure per subscriber
        sink = TopicSink(observer, self._report, route, with_gaps, self._detach)
        if with_gaps:
            route.full = [*route.full, sink]
        else:
            route.data = [*route.data, sink]
        self._acquire(key)
        return sink

    def _at_home(self) -> bool:
        return running_loop() is self._loop

    def _detach_sink(self, sink: TopicSink) -> None:
        """Take a disposed (or dropped) sink off its route; its topic may go (on the loop:
        a dispose from another thread is carried there)."""
        if running_loop() is not self._loop:
            call_on_loop(self._loop, functools.partial(self._detach_sink, sink))
            return
        route = sink.route
        # a new list, so that a delivery walking the old one is not disturbed
        if sink.full:
            route.full = [s for s in route.full if s is not sink]
        else:
            route.data = [s for s in route.data if s is not sink]
        if not self._closed:
            self._release(route.key)
            self._router.prune(route.key)

    @property
    def settled(self) -> bool:
        """Nothing held, or live with every held topic acknowledged by the server."""
        if not self._topics.held:
            return True
        return self.state.value is ConnectionState.LIVE and self._topics.settled

    async def wait_settled(self) -> None:
        """Return once `settled`; raise the fatal error (e.g. `AuthError`) if the
        connection failed for good."""
        while True:
            if self.state.value is ConnectionState.FAILED:
                raise self._fatal or ConnectionLost("the connection failed for good")
            if self.settled:
                return
            self._changed.clear()
            await self._changed.wait()

    # --- reference counting -----------------------------------------------------------

    def _acquire(self, key: TopicKey) -> None:
        self._router.invalidate()
        if self._requests.acquire(key) and self._link is None:
            self._link = self._shared.subscribe(
                on_next=self._on_phase, on_error=self._on_fatal, scheduler=self._scheduler
            )

    def _release(self, key: TopicKey) -> None:
        if self._requests.release(key):
            self._router.invalidate()

    def _on_idle(self) -> None:
        """Nothing held, in flight or left on the server: close the socket."""
        link, self._link = self._link, None
        if link is None:
            return
        link.dispose()
        self._emit("close", "last topic released")
        self.state.on_next(ConnectionState.CLOSED)

    # --- the socket's life ----------------------------------------------------------

    def close_now(self) -> list[asyncio.Task[None]]:
        """Close for good (client shutdown): complete every stream, drop every topic and
        close the socket without unsubscribing. A later subscribe gets `ClientClosed`.

        Returns:
            The tasks still ending (the socket's, cancelled requests'), to await.
        """
        self._closed = True
        task = self._life.task
        link, self._link = self._link, None
        ending = self._requests.close()
        self._router.complete_all()
        if link is not None:
            link.dispose()
            self.state.on_next(ConnectionState.CLOSED)
        self._changed.set()
        if task is not None and not task.done():
            ending.append(task)
        ending.extend(self._life.closing)
        return ending

    def _on_phase(self, phase: Phase) -> None:
        if isinstance(phase, Dialing):
            self._set_state(
                ConnectionState.RECONNECTING if self._ever_live else ConnectionState.CONNECTING
            )
        elif isinstance(phase, Opened):
            self._session = phase.session
            if self.ws_key.is_private:
                self._emit("authenticated", f"session {phase.session.connect_id}")
        elif isinstance(phase, Rotating):
            self._emit("rotating", f"replacing session {phase.session.connect_id}")
        elif isinstance(phase, Rotated):
            self._session = phase.session
            log.info("%s: rotated to a new socket, %d topics", self.ws_key.value, len(self.topics))
            detail = f"session {phase.old.connect_id} -> {phase.session.connect_id}"
            self._emit("rotated", detail)
        elif isinstance(phase, RotationFailed):
            detail = (
                f"rotation failed ({phase.error}); the current socket stays, "
                f"retry in {phase.delay:.2f} s"
            )
            log.warning("%s: %s", self.ws_key.value, detail)
            self._emit("exception", detail, phase.error)
        else:
            kind: EventKind = "reconnected" if self._ever_live else "open"
            if self._ever_live:
                log.info("%s: live again, %d topics", self.ws_key.value, self._topics.live_count)
            self._ever_live = True
            self.last_error = None
            self._emit(kind, f"topics live: {self._topics.live_count}")
            self._set_state(ConnectionState.LIVE)

    async def _rotate(self, old: Session, new: Session, *, settle_timeout: float) -> None:
        """Move every topic to ``new`` (a rotation); a topic not acknowledged there in
        time owes a Gap from now, when its pushes stop coming on ``old``."""
        missing = await self._requests.rotate(old, new, settle_timeout)
        if missing:
            self._router.outage_began(missing, time.time(), "not re-subscribed in a rotation")

    def _rotation_slot(self) -> contextlib.AbstractAsyncContextManager[object]:
        """What a rotation holds while it has two sockets (a shard asks its client's budget)."""
        return contextlib.nullcontext()

    def _old_lost(self, old: Session, error: Exception) -> None:
        """A rotated-away socket died before its last pushes were known to have arrived:
        every topic live now may have lost some, so each gets a Gap at once."""
        live = [k for k in self._topics.held if self._topics.is_live(k)]
        self._router.outage_began(live, old.last_frame_at, f"rotated socket lost: {error}")
        self._router.went_live(live)

    def _socket_died(self, error: Exception) -> None:
        """The current session ended with ``error``: each topic live on it owes a Gap."""
        session, self._session = self._session, None
        if session is not None:
            lost = self._requests.socket_ended(session)
            self._router.outage_began(lost, session.last_frame_at, str(error))

    def _on_retry(self, error: Exception, attempt: int, delay: float) -> None:
        self._socket_died(error)
        self.last_error = error
        level, what = (
            (logging.INFO, "link lost") if self._ever_live else (logging.WARNING, "cannot connect")
        )
        log.log(
            level,
            "%s: %s (%s); retry %d in %.2f s",
            self.ws_key.value,
            what,
            error,
            attempt + 1,
            delay,
        )
        self._emit("reconnect", f"retry {attempt + 1} in {delay:.2f} s: {error}", error)

    def report_blocked(self, seconds: float, topic: str) -> None:
        """A subscriber of ``topic`` held the event loop for ``seconds`` (the watchdog saw it)."""
        detail = f"a subscriber of {topic} blocked the event loop for {seconds:.2f} s"
        log.warning(
            "%s: %s; every socket of the client stalled meanwhile", self.ws_key.value, detail
        )
        self._emit("blocked", detail)

    @property
    def delivering(self) -> str | None:
        """The topic whose subscribers are being called right now, if any."""
        return self._router.delivering

    def _set_state(self, state: ConnectionState) -> None:
        self._changed.set()
        try:
            self.state.on_next(state)
        except Exception as exc:  # as in _emit
            self._report(exc)

    def _on_fatal(self, error: Exception) -> None:
        self._socket_died(error)
        log.error("%s: stopped for good: %s", self.ws_key.value, error)
        self.last_error = error
        self._fatal = error
        self._link = None
        self._emit("exception", str(error), error)
        self.state.on_next(ConnectionState.FAILED)
        for key in self._topics.held:
            self._topics.drop(key)
            self._fail_topic(key, error, emit=False)

    def _fail_topic(self, key: TopicKey, error: Exception, *, emit: bool = True) -> None:
        self._changed.set()
        if emit:
            self._emit("exception", str(error), error)
        self._router.fail(key, error)

    def _emit(
        self,
        kind: EventKind,
        detail: str,
        error: Exception | None = None,
        *,
        raw: bytes | None = None,
    ) -> None:
        try:
            event = ConnectionEvent(kind, self.ws_key, time.time(), detail, error, raw)
            self.events.on_next(event)
        except Exception as exc:  # an unguarded observer must not stall the connection
            self._report(exc)
