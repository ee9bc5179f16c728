"""The request flow of one connection: what the registry asks for, sent over the socket.

`TopicRegistry` decides; this module only moves its requests to the current `Session`
and its answers back. Subscribers arriving in one loop tick share one round of requests
(batched as `batch_requests` does); each request is its own task, owned here and
cancelled with its socket. Because the registry keeps at most one request per topic in
flight, requests of different topics may overlap while those of one topic reach the
server in the order they were decided.

A planned rotation (`rotate`) is a replay on the new socket while the old one still
delivers: the registry moves to the new socket at once, so requests decided during the
overlap go to the new socket only (still at most one per topic in flight there), and
answers still due on the old socket no longer count. The old socket's own subscriptions
are undone by `retire`, outside the registry.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, Final

from ._registry import Kind, Refusal, TopicRegistry
from ._session import Rejected, Request, Session
from ._topics import MAX_TOPICS_PER_CONNECTION, TopicKey, batch_requests
from .exceptions import ConnectionLost, SubscriptionLimitReached, SubscriptionRejected

__all__ = ("RequestFlow", "is_transient")

log = logging.getLogger("rxkucoin.connection")

#: A timer may fire up to the clock's resolution before its time; a retry this close to its
#: deadline is due, so the pump never spins on a deadline a hair in the future.
_EARLY_S: Final = 0.001

#: Words of a refusal that passes by itself (Pro refusals carry only a reason, no code).
_TRANSIENT_WORDS: Final = ("permits per second", "busy", "retry", "try again", "too many", "rate")


def is_transient(exc: Rejected) -> bool:
    """A refusal that may pass later: a busy server or a rate limit, not a bad topic or
    the 300-per-session cap."""
    reason = exc.reason.lower()
    if "count" in reason:  # "exceed max subscription count limitation of 300 per session"
        return False
    return str(exc.code) in ("500", "509") or any(w in reason for w in _TRANSIENT_WORDS)


class RequestFlow:
    """Sends a connection's subscribe and unsubscribe requests and applies the answers.

    Every callback runs on the loop's thread.

    Args:
        registry: the connection's topic registry.
        loop: the connection's loop; every method must be called on its thread.
        went_live: topics that became live (each pays the Gap it owes).
        fail_topic: a topic refused for good: ``fail_topic(key, error)``.
        emit: ``emit(kind, detail, error=None)`` reports an event.
        on_change: acknowledgements changed (readiness may have changed).
        on_idle: nothing is held, in flight or left on the server: the socket may close.
        close_timeout: seconds the last unsubscribes may take before `on_idle` is called
            anyway.
    """

    def __init__(
        self,
        registry: TopicRegistry,
        loop: asyncio.AbstractEventLoop,
        *,
        went_live: Callable[[list[TopicKey]], None],
        fail_topic: Callable[[TopicKey, Exception], None],
        emit: Callable[..., None],
        on_change: Callable[[], None],
        on_idle: Callable[[], None],
        close_timeout: float = 5.0,
    ) -> None:
        self._registry = registry
        self._loop = loop
        self._went_live = went_live
        self._fail_topic = fail_topic
        self._emit = emit
        self._on_change = on_change
        self._on_idle = on_idle
        self._close_timeout = close_timeout
        self._session: Session | None = None
        self._tasks: dict[asyncio.Task[None], Session] = {}
        self._pump_handle: asyncio.Handle | None = None
        self._retry_timer: asyncio.TimerHandle | None = None
        self._close_timer: asyncio.TimerHandle | None = None
        self._active = False  # something was held since the last idle
        self._replaying = False
        self._changed = asyncio.Event()  # set whenever answers arrive (see `rotate`)
        # during a rotation: the old session and the held topics that were live on it
        self._old: tuple[Session, frozenset[TopicKey]] | None = None
        # topics with a subscription on a session being rotated away, to undo by `retire`
        self._retiring: dict[Session, list[TopicKey]] = {}

    # --- subscribers ----------------------------------------------------------------

    def acquire(self, key: TopicKey) -> bool:
        """Count a subscriber of ``key``; ``True`` for the topic's first one, when it fits
        on the socket (if not, its subscribers are failed at once)."""
        if not self._registry.acquire(key):
            return False
        if self._registry.over_capacity:
            self._registry.drop(key)
            reason = f"more than {MAX_TOPICS_PER_CONNECTION} topics on one socket"
            self._fail_topic(key, SubscriptionLimitReached(str(key), reason))
            return False
        self._active = True
        self._cancel_close_timer()
        self.wake()
        return True

    def release(self, key: TopicKey) -> bool:
        """Uncount a subscriber of ``key``; ``True`` when it was the last one."""
        if not self._registry.release(key):
            return False
        self.wake()
        return True

    # --- the socket -----------------------------------------------------------------

    async def replay(self, session: Session) -> None:
        """Use ``session`` from now on: subscribe every held topic on it and return once
        that first round is answered (refused topics may still be waiting for a retry)."""
        self._session = session
        self._registry.new_socket()
        started = self._send(session)
        # The round's topics go live together at its end, in the same step as the caller's
        # "reconnected": a Gap is never seen before it. A push of the new socket that comes
        # first pays its route's Gap itself (the router), so no order is lost by waiting.
        self._replaying = True
        try:
            if started:
                await asyncio.wait(started)
        finally:
            self._replaying = False
        self._settle()

    async def rotate(self, old: Session, new: Session, settle_timeout: float) -> set[TopicKey]:
        """Move every held topic from ``old`` to ``new`` while ``old`` keeps delivering.

        Requests go to ``new`` from now on. Returns once every topic live on ``old`` and
        still held is live on ``new``, or after ``settle_timeout`` seconds with those not
        live there (their pushes stop when ``old`` is retired: each owes a Gap). Topics
        taken during the overlap are not waited for: they were never live on ``old``.
        """
        registry = self._registry
        live = frozenset(k for k in registry.held if registry.is_live(k))
        self._old = (old, live)
        self._retiring[old] = registry.server_subscriptions()
        await self.replay(new)
        loop = self._loop
        until = loop.time() + settle_timeout

        def missing() -> set[TopicKey]:
            return {k for k in live if registry.holds(k) and not registry.is_live(k)}

        while missing() and loop.time() < until:
            self._changed.clear()
            try:
                async with asyncio.timeout_at(until):
                    await self._changed.wait()
            except TimeoutError:
                break
        return missing()

    async def restore(self, old: Session) -> None:
        """The new socket of a rotation died before the switch: ``old`` carries the
        requests again, and every held topic is subscribed on it again (the server
        acknowledges a subscription it already has)."""
        self._old = None
        self._retiring.pop(old, None)
        await self.replay(old)

    async def retire(self, old: Session) -> None:
        """Unsubscribe ``old``'s topics (it was rotated away) and return once the server
        answered: every push it wrote to ``old`` before these answers has arrived.

        Raises:
            ConnectionLost: ``old`` died first.
        """
        if self._old is not None and self._old[0] is old:
            self._old = None  # switched: a death of ``old`` no longer ends the attempt
        keys = self._retiring.pop(old, [])
        requests = [old.request("unsubscribe", request) for request, _ in batch_requests(keys)]
        if not requests:
            await old.round_trip()  # nothing to unsubscribe: a ping is the barrier
            return
        for result in await asyncio.gather(*requests, return_exceptions=True):
            # a refusal is an answer too: the barrier holds; anything else ends the socket
            if isinstance(result, BaseException) and not isinstance(result, Rejected):
                raise result

    def socket_ended(self, session: Session) -> set[TopicKey]:
        """``session`` is gone; returns the held topics that were live on it (once)."""
        self._retiring.pop(session, None)
        old = self._old
        if old is not None and session in (old[0], self._session):
            # a socket died in the middle of a rotation: the rotation is over, and what
            # was live on either socket is lost
            self._old = None
            self._session = None
            lost = self._registry.socket_lost() | (old[1] & self._registry.held)
            self.wake()
            return lost
        if session is not self._session:
            return set()
        self._session = None
        lost = self._registry.socket_lost()
        self.wake()  # nothing may be left to wait for: the idle check
        return lost

    async def drain(self, session: Session) -> None:
        """Cancel and await the requests still running on ``session``."""
        tasks = [t for t, s in self._tasks.items() if s is session]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)

    def close(self) -> list[asyncio.Task[None]]:
        """Forget every topic and cancel every request and timer (the client is closing).

        Returns:
            The cancelled tasks, to await.
        """
        self._registry.clear()
        self._session = None
        self._old = None
        self._retiring.clear()
        self._active = False
        for handle in (self._pump_handle, self._retry_timer, self._close_timer):
            if handle is not None:
                handle.cancel()
        self._pump_handle = self._retry_timer = self._close_timer = None
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        return tasks

    # --- the pump -------------------------------------------------------------------

    def wake(self) -> None:
        """Take the registry's requests soon (once per loop tick)."""
        if self._pump_handle is None:
            self._pump_handle = self._loop.call_soon(self._pump)

    def _pump(self) -> None:
        self._pump_handle = None
        session = self._session
        if session is not None:
            self._send(session)
        self._settle()
        registry = self._registry
        if registry.idle:
            self._cancel_close_timer()
            if self._active:
                self._active = False
                self._on_idle()
            return
        if not registry.held and self._close_timer is None:
            self._close_timer = self._loop.call_later(self._close_timeout, self._give_up)
        deadline = registry.next_deadline(self._now())
        if deadline is not None and (
            self._retry_timer is None or self._retry_timer.when() > deadline
        ):
            if self._retry_timer is not None:
                self._retry_timer.cancel()
            self._retry_timer = self._loop.call_at(deadline, self._retry_due)

    def _now(self) -> float:
        return self._loop.time() + _EARLY_S

    def _retry_due(self) -> None:
        self._retry_timer = None
        self.wake()

    def _give_up(self) -> None:
        """The last unsubscribes took too long: close anyway (the server forgets them)."""
        self._close_timer = None
        if not self._registry.held and self._active:
            self._active = False
            self._on_idle()

    def _cancel_close_timer(self) -> None:
        if self._close_timer is not None:
            self._close_timer.cancel()
            self._close_timer = None

    def _send(self, session: Session) -> list[asyncio.Task[None]]:
        """Start a task for every request the registry wants sent now."""
        plan = self._registry.take_requests(self._now())
        started = []
        for group in plan.subscribe:
            for request, batch in batch_requests(group):
                coro = self._request(session, plan.generation, "subscribe", request, batch)
                started.append(self._start(session, coro))
        for request, batch in batch_requests(plan.unsubscribe):
            coro = self._request(session, plan.generation, "unsubscribe", request, batch)
            started.append(self._start(session, coro))
        return started

    def _start(self, session: Session, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = self._loop.create_task(coro)
        self._tasks[task] = session
        task.add_done_callback(self._forget_task)
        return task

    def _forget_task(self, task: asyncio.Task[None]) -> None:
        self._tasks.pop(task, None)

    async def _request(
        self,
        session: Session,
        generation: int,
        kind: Kind,
        request: Request,
        keys: tuple[TopicKey, ...],
    ) -> None:
        try:
            await session.request(kind, request)
        except Rejected as exc:
            self._refused(kind, keys, generation, exc, transient=is_transient(exc))
        except ConnectionLost:
            return  # the socket is gone; its loss resets the registry
        except Exception as exc:  # a bug must not leave the topic in flight for ever
            log.exception("%s: %s %s failed", session.key.value, kind, request.label)
            error = Rejected(None, f"{type(exc).__name__}: {exc}")
            self._refused(kind, keys, generation, error, transient=True)
        else:
            self._registry.acked(kind, keys, generation)
            if kind == "subscribe":
                self._emit("response", f"subscribed {request.label}")
        finally:
            # forgotten in the same step as the answer: the done callback comes a loop
            # turn later, after a waiter may have seen the registry settled
            if (task := asyncio.current_task()) is not None:
                self._tasks.pop(task, None)
        self._settle()
        self.wake()

    def _refused(
        self,
        kind: Kind,
        keys: tuple[TopicKey, ...],
        generation: int,
        exc: Rejected,
        *,
        transient: bool,
    ) -> None:
        verdict: Refusal = self._registry.refused(
            kind, keys, generation, transient=transient, now=self._loop.time()
        )
        what = ", ".join(str(k) for k in keys)
        if kind == "unsubscribe":
            log.info("unsubscribe of %s refused: %s", what, exc)
            return
        if verdict.retry:
            when = "on replay" if verdict.replay else "for now"
            detail = (
                f"subscribe of {what} refused {when} ({exc}); retrying in {verdict.delay:.2f} s"
            )
            log.warning("%s", detail)
            self._emit("exception", detail, exc)
        for key in verdict.failed:
            log.warning("KuCoin refused topic %s: %s", key, exc)
            self._fail_topic(key, SubscriptionRejected(str(key), exc.code, exc.reason))

    def _settle(self) -> None:
        self._changed.set()
        if not self._replaying:
            live = self._registry.newly_live()
            if live:
                self._went_live(live)
        self._on_change()
