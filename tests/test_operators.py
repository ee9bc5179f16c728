"""The generic operators, in virtual time."""

from __future__ import annotations

from typing import Any

import pytest
import reactivex
from reactivex import Observable, abc
from reactivex import operators as ops
from reactivex.disposable import Disposable
from reactivex.testing import ReactiveTest, TestScheduler

from rxkucoin.exceptions import AuthError, ServerError, TransportError
from rxkucoin.operators import exponential_backoff, isolate, retry_with_backoff, share_resettable

on_next, on_completed, on_error = (
    ReactiveTest.on_next,
    ReactiveTest.on_completed,
    ReactiveTest.on_error,
)


def transient() -> TransportError:
    return TransportError("link dropped")


def fatal() -> AuthError:
    return AuthError("400005", "Invalid KC-API-SIGN", status=401, path="/api/v1/bullet-private")


class Flaky:
    """A cold source that runs a script per subscription: a list of (delay, value|error)."""

    def __init__(self, scheduler: TestScheduler, scripts: list[list[tuple[float, Any]]]) -> None:
        self.scheduler = scheduler
        self.scripts = scripts
        self.subscribed_at: list[float] = []
        self.disposed_at: list[float] = []

    def observable(self) -> Observable[Any]:
        def subscribe(observer: abc.ObserverBase[Any], _: abc.SchedulerBase | None = None) -> Any:
            index = len(self.subscribed_at)
            self.subscribed_at.append(self.scheduler.clock)
            script = self.scripts[min(index, len(self.scripts) - 1)]
            handles = []
            for delay, item in script:
                if delay < 0:  # synchronous failure during subscribe
                    observer.on_error(item)
                    return Disposable()

                def emit(_: Any, __: Any = None, item: Any = item) -> None:
                    if isinstance(item, Exception):
                        observer.on_error(item)
                    elif item == "done":
                        observer.on_completed()
                    else:
                        observer.on_next(item)

                handles.append(self.scheduler.schedule_relative(delay, emit))

            def dispose() -> None:
                self.disposed_at.append(self.scheduler.clock)
                for h in handles:
                    h.dispose()

            return Disposable(dispose)

        return reactivex.create(subscribe)


def fixed(seconds: float) -> Any:
    return lambda attempt: seconds * (2**attempt)


def test_backoff_grows_caps_and_jitters() -> None:
    no_jitter = exponential_backoff(initial=1, factor=2, cap=10, jitter=0)
    assert [no_jitter(n) for n in range(6)] == [1, 2, 4, 8, 10, 10]
    low = exponential_backoff(initial=1, factor=2, cap=10, jitter=0.5, rng=lambda: 0.999999)
    assert 2 <= low(2) < 2.01
    assert exponential_backoff(jitter=0.5, rng=lambda: 0.0)(0) == 0.5
    assert exponential_backoff(cap=30)(10_000) <= 30
    with pytest.raises(ValueError):
        exponential_backoff(jitter=2)


def test_retry_waits_backoff_then_delivers() -> None:
    s = TestScheduler()
    src = Flaky(s, [[(10, transient())], [(5, transient())], [(1, "a"), (2, "b")]])
    results = s.start(
        lambda: src.observable().pipe(retry_with_backoff(s, backoff=fixed(100))), disposed=2000
    )
    # 200 subscribe, fail 210, wait 100 -> 310, fail 315, wait 200 -> 515, values 516, 517
    assert src.subscribed_at == [200, 310, 515]
    assert results.messages == [on_next(516, "a"), on_next(517, "b")]


def test_retry_passes_fatal_errors_at_once() -> None:
    s = TestScheduler()
    err = fatal()
    src = Flaky(s, [[(10, transient())], [(10, err)]])
    results = s.start(lambda: src.observable().pipe(retry_with_backoff(s, backoff=fixed(50))))
    assert src.subscribed_at == [200, 260]
    assert results.messages == [on_error(270, err)]


def test_retry_gives_up_after_max_attempts_with_the_last_cause() -> None:
    s = TestScheduler()
    last = transient()
    src = Flaky(s, [[(10, transient())], [(10, transient())], [(10, last)], [(1, "never")]])
    results = s.start(
        lambda: src.observable().pipe(retry_with_backoff(s, backoff=fixed(50), max_attempts=2))
    )
    # the first try and two retries (waits of 50 and 100), then the third failure passes
    assert src.subscribed_at == [200, 260, 370]
    assert results.messages == [on_error(380, last)]


def test_retry_handles_synchronous_failure_on_subscribe() -> None:
    s = TestScheduler()
    src = Flaky(s, [[(-1, transient())], [(-1, transient())], [(0, "up")]])
    results = s.start(lambda: src.observable().pipe(retry_with_backoff(s, backoff=fixed(10))))
    assert src.subscribed_at == [200, 210, 230]
    assert results.messages == [on_next(230, "up")]


def test_retry_resets_attempts_once_live() -> None:
    s = TestScheduler()
    src = Flaky(
        s,
        [
            [(1, transient())],
            [(1, transient())],
            [(1, "live"), (50, transient())],
            [(1, transient())],
            [(1, "again")],
        ],
    )
    waits: list[tuple[int, float]] = []
    s.start(
        lambda: src.observable().pipe(
            retry_with_backoff(s, backoff=fixed(10), on_retry=lambda e, n, d: waits.append((n, d)))
        )
    )
    assert [n for n, _ in waits] == [0, 1, 0, 1]
    assert [d for _, d in waits] == [10, 20, 10, 20]


def test_retry_only_resets_on_live_values() -> None:
    s = TestScheduler()
    src = Flaky(s, [[(1, "connecting"), (2, transient())]] * 3 + [[(1, "live")]])
    waits: list[int] = []
    s.start(
        lambda: src.observable().pipe(
            retry_with_backoff(
                s,
                backoff=fixed(10),
                is_live=lambda v: v == "live",
                on_retry=lambda e, n, d: waits.append(n),
            )
        )
    )
    assert waits == [0, 1, 2]


def test_retry_dispose_cancels_pending_retry() -> None:
    s = TestScheduler()
    src = Flaky(s, [[(10, transient())]])
    s.start(lambda: src.observable().pipe(retry_with_backoff(s, backoff=fixed(500))), disposed=300)
    s.advance_to(5000)
    assert src.subscribed_at == [200]


def test_retry_completion_passes_through() -> None:
    s = TestScheduler()
    src = Flaky(s, [[(3, "x"), (4, "done")]])
    results = s.start(lambda: src.observable().pipe(retry_with_backoff(s)))
    assert results.messages == [on_next(203, "x"), on_completed(204)]


def test_retry_then_share_recovers_where_share_then_retry_does_not() -> None:
    s = TestScheduler()
    src = Flaky(s, [[(10, ServerError("500000", "x", status=500, path="/"))], [(1, "ok")]])
    shared = src.observable().pipe(retry_with_backoff(s, backoff=fixed(5)), share_resettable())
    results = s.start(lambda: shared)
    assert results.messages == [on_next(216, "ok")]


def test_share_resettable_shares_one_subscription() -> None:
    s = TestScheduler()
    src = Flaky(s, [[(10, 1), (20, 2)]])
    shared = src.observable().pipe(share_resettable())
    a: list[Any] = []
    b: list[Any] = []
    shared.subscribe(a.append)
    s.advance_to(5)
    shared.subscribe(b.append)
    s.advance_to(100)
    assert src.subscribed_at == [0]
    assert a == [1, 2] and b == [1, 2]


def test_share_resettable_resets_after_error() -> None:
    s = TestScheduler()
    err = transient()
    src = Flaky(s, [[(10, err)], [(5, "fresh")]])
    shared = src.observable().pipe(share_resettable())
    first: list[Any] = []
    shared.subscribe(first.append, first.append)
    s.advance_to(50)
    assert first == [err]
    second: list[Any] = []
    shared.subscribe(second.append, second.append)
    s.advance_to(100)
    assert second == ["fresh"]
    assert src.subscribed_at == [0, 50]


def test_share_resettable_resets_after_completion() -> None:
    s = TestScheduler()
    src = Flaky(s, [[(1, "a"), (2, "done")], [(1, "b")]])
    shared = src.observable().pipe(share_resettable())
    got: list[Any] = []
    shared.subscribe(got.append, on_completed=lambda: got.append("completed"))
    s.advance_to(10)
    shared.subscribe(got.append)
    s.advance_to(20)
    assert got == ["a", "completed", "b"]


def test_share_resettable_disconnects_at_ref_count_zero_and_reconnects() -> None:
    s = TestScheduler()
    src = Flaky(s, [[(100, "late")]])
    shared = src.observable().pipe(share_resettable())
    d1 = shared.subscribe(lambda _: None)
    d2 = shared.subscribe(lambda _: None)
    s.advance_to(10)
    d1.dispose()
    d1.dispose()  # idempotent: must not count twice
    assert src.disposed_at == []
    d2.dispose()
    assert src.disposed_at == [10]
    got: list[Any] = []
    shared.subscribe(got.append)
    s.advance_to(200)
    assert src.subscribed_at == [0, 10]
    assert got == ["late"]


def test_share_resettable_with_synchronous_failure() -> None:
    s = TestScheduler()
    err = transient()
    src = Flaky(s, [[(-1, err)], [(1, "second")]])
    shared = src.observable().pipe(share_resettable())
    first: list[Any] = []
    shared.subscribe(first.append, first.append)
    assert first == [err]
    second: list[Any] = []
    shared.subscribe(second.append, second.append)
    s.advance_to(5)
    assert second == ["second"]


def test_isolate_drops_only_the_raising_subscriber() -> None:
    s = TestScheduler()
    src = Flaky(s, [[(1, 1), (2, 2), (3, 3)]])
    reported: list[Exception] = []
    shared = src.observable().pipe(share_resettable(), isolate(reported.append))
    good: list[int] = []

    def bad(value: int) -> None:
        raise RuntimeError(f"consumer bug on {value}")

    shared.subscribe(bad)
    shared.subscribe(good.append)
    s.advance_to(10)
    assert good == [1, 2, 3]
    assert len(reported) == 1 and "consumer bug on 1" in str(reported[0])
    assert src.subscribed_at == [0]


def test_isolate_guards_terminal_callbacks() -> None:
    s = TestScheduler()
    err = transient()
    src = Flaky(s, [[(1, err)]])
    reported: list[Exception] = []

    def bad_error(_: Exception) -> None:
        raise ValueError("handler broke")

    src.observable().pipe(isolate(reported.append)).subscribe(on_error=bad_error)
    s.advance_to(5)
    assert [type(e) for e in reported] == [ValueError]


def test_isolate_with_stock_share_for_contrast() -> None:
    s = TestScheduler()
    src = Flaky(s, [[(1, 1), (2, 2)]])
    shared = src.observable().pipe(ops.share())
    good: list[int] = []

    def bad(_: int) -> None:
        raise RuntimeError("boom")

    shared.subscribe(bad)
    shared.subscribe(good.append)
    with pytest.raises(RuntimeError):
        s.advance_to(10)
    assert good == []  # without isolation the raising consumer starves the other one
