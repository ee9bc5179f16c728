"""Generic Rx operators RxPY lacks: delayed retry, a share that resets, error isolation.

Nothing here knows about KuCoin. Each operator takes its scheduler explicitly where it
needs time, so nothing ever falls back to RxPY's thread-based default scheduler.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TypeVar

import reactivex
from reactivex import Observable, abc
from reactivex.disposable import CompositeDisposable, Disposable, SerialDisposable
from reactivex.subject import Subject

from ._routes import Sink
from .exceptions import is_retryable as _default_is_retryable

__all__ = ("exponential_backoff", "isolate", "retry_with_backoff", "share_resettable")

_T = TypeVar("_T")

_Operator = Callable[[Observable[_T]], Observable[_T]]


def exponential_backoff(
    *,
    initial: float = 0.5,
    factor: float = 2.0,
    cap: float = 30.0,
    jitter: float = 0.5,
    rng: Callable[[], float] = random.random,
) -> Callable[[int], float]:
    """Jittered exponential backoff: attempt ``n`` waits about ``initial * factor**n``.

    Args:
        initial: the first delay in seconds, before jitter.
        factor: growth per attempt.
        cap: the longest delay, before jitter.
        jitter: the fraction of each delay that is random: with 0.5, a delay ``d``
            becomes a value in ``[d/2, d]``, so clients dropped together do not return
            together.
        rng: source of uniform numbers in ``[0, 1)``; pass a seeded one for tests.

    Returns:
        A function from the attempt number (0 for the first retry) to seconds.
    """
    if initial < 0 or factor < 1 or cap < 0 or not 0 <= jitter <= 1:
        raise ValueError("backoff needs initial >= 0, factor >= 1, cap >= 0, 0 <= jitter <= 1")

    def delay(attempt: int) -> float:
        base = min(cap, initial * factor ** min(attempt, 64))
        return base * (1 - jitter * rng())

    return delay


def retry_with_backoff(
    scheduler: abc.SchedulerBase,
    *,
    backoff: Callable[[int], float] | None = None,
    is_retryable: Callable[[Exception], bool] = _default_is_retryable,
    is_live: Callable[[_T], bool] = lambda _: True,
    on_retry: Callable[[Exception, int, float], None] | None = None,
    max_attempts: int | None = None,
) -> _Operator[_T]:
    """Resubscribe to the source after a retryable error, waiting longer each time.

    Fatal errors (``is_retryable`` false) pass straight through. The attempt counter goes
    back to zero once the source emits a value for which ``is_live`` is true, so a link
    that was healthy for a while starts again from the shortest delay.

    Args:
        scheduler: where the waits are scheduled (the asyncio loop's scheduler, or a
            `TestScheduler` in tests).
        backoff: attempt number to seconds; `exponential_backoff()` by default.
        is_retryable: which errors are worth another try.
        is_live: which values prove the source is healthy again.
        on_retry: told ``(error, attempt, delay)`` before each wait.
        max_attempts: give up after this many retries in a row without a live value: the
            last error then passes through. ``None`` (the default) retries for ever.
    """
    delay_for = backoff or exponential_backoff()

    def operator(source: Observable[_T]) -> Observable[_T]:
        def subscribe(
            observer: abc.ObserverBase[_T], _: abc.SchedulerBase | None = None
        ) -> abc.DisposableBase:
            attempt = 0
            # Two slots: a source failing synchronously inside subscribe must not have its
            # pending retry cancelled by the assignment of its own (dead) subscription.
            inner, pending = SerialDisposable(), SerialDisposable()
            stopped = False

            def on_next(value: _T) -> None:
                nonlocal attempt
                if is_live(value):
                    attempt = 0
                observer.on_next(value)

            def on_error(error: Exception) -> None:
                nonlocal attempt
                if stopped:
                    return
                if not is_retryable(error) or (
                    max_attempts is not None and attempt >= max_attempts
                ):
                    observer.on_error(error)
                    return
                wait = delay_for(attempt)
                if on_retry is not None:
                    on_retry(error, attempt, wait)
                attempt += 1
                pending.disposable = scheduler.schedule_relative(wait, connect)

            def connect(*_: object) -> None:
                if not stopped:
                    inner.disposable = source.subscribe(
                        on_next, on_error, observer.on_completed, scheduler=scheduler
                    )

            def stop() -> None:
                nonlocal stopped
                stopped = True

            connect()
            return CompositeDisposable(Disposable(stop), inner, pending)

        return reactivex.create(subscribe)

    return operator


def share_resettable() -> _Operator[_T]:
    """Share one subscription to the source among all subscribers, and start afresh after it ends.

    Like RxPY's ``share()`` (publish + ref count) except that an error, a completion or the
    last subscriber leaving drops the inner subject: the next subscriber subscribes the
    source anew instead of receiving a stale terminal event.
    """

    def operator(source: Observable[_T]) -> Observable[_T]:
        subject: Subject[_T] | None = None
        connection: abc.DisposableBase | None = None
        count = 0

        def reset(current: Subject[_T]) -> abc.DisposableBase | None:
            nonlocal subject, connection, count
            if subject is not current:
                return None
            old, subject, connection, count = connection, None, None, 0
            return old

        def subscribe(
            observer: abc.ObserverBase[_T], scheduler: abc.SchedulerBase | None = None
        ) -> abc.DisposableBase:
            nonlocal subject, connection, count
            first = subject is None
            if subject is None:
                subject = Subject()
            current = subject
            subscription = current.subscribe(observer)
            count += 1

            if first:

                def on_error(error: Exception) -> None:
                    reset(current)
                    current.on_error(error)

                def on_completed() -> None:
                    reset(current)
                    current.on_completed()

                upstream = source.subscribe(
                    current.on_next, on_error, on_completed, scheduler=scheduler
                )
                if subject is current:
                    connection = upstream
                else:  # ended during subscribe: nothing left to keep
                    upstream.dispose()

            released = False

            def dispose() -> None:
                nonlocal count, released
                if released:
                    return
                released = True
                subscription.dispose()
                if subject is not current:
                    return
                count -= 1
                if count == 0:
                    old = reset(current)
                    if old is not None:
                        old.dispose()

            return Disposable(dispose)

        return reactivex.create(subscribe)

    return operator


def isolate(report: Callable[[Exception], None]) -> _Operator[_T]:
    """Keep a subscriber that raises from hurting anyone else.

    Apply it after a share: each subscriber then gets its own guard. When the subscriber's
    ``on_next``, ``on_error`` or ``on_completed`` raises, the exception goes to ``report``,
    that one subscriber is unsubscribed, and the source and every other subscriber go on.

    Args:
        report: receives each exception a subscriber raised.
    """

    def operator(source: Observable[_T]) -> Observable[_T]:
        def subscribe(
            observer: abc.ObserverBase[_T], scheduler: abc.SchedulerBase | None = None
        ) -> abc.DisposableBase:
            subscription = SerialDisposable()
            sink = Sink(observer, report, subscription.dispose)
            subscription.disposable = source.subscribe(
                sink.on_next, sink.on_error, sink.on_completed, scheduler=scheduler
            )
            if sink.dropped:  # it raised while subscribing
                subscription.dispose()
            return subscription

        return reactivex.create(subscribe)

    return operator
