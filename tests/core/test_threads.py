"""Any thread, one loop: topic streams subscribed and disposed from RxPY's thread schedulers.

Ordinary RxPY code subscribes with ``subscribe_on``, disposes from a timer thread
(``take_until(reactivex.timer(...))``), completes with ``take(1)`` on whatever thread the
item came from, and switches between symbols from an ``interval`` thread. Done a thousand
times in random order (seeded), it must leave nothing behind: no held topic, no server
subscription the client does not know about, no socket, no task, no exception anywhere.
"""

from __future__ import annotations

import asyncio
import functools
import random
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import reactivex
from reactivex import Observable
from reactivex import operators as ops
from reactivex.scheduler import NewThreadScheduler, ThreadPoolScheduler

from rxkucoin import ConnectionState, Credentials, KucoinStreams, WsKey
from rxkucoin.sim import Simulator

from .helpers import until as _until

until = functools.partial(_until, timeout=20.0, interval=0.02)

ROUNDS = 1_000
SPOT_SYMBOLS = ["BTC-USDT", "ETH-USDT", "XRP-USDT", "LTC-USDT", "SOL-USDT"]
FUTURES_SYMBOLS = ["XBTUSDTM", "ETHUSDTM", "SOLUSDTM"]


@pytest.fixture
def thread_errors() -> Iterator[list[BaseException]]:
    """Exceptions raised on any thread (``threading.excepthook``) during the test."""
    errors: list[BaseException] = []
    previous = threading.excepthook

    def hook(args: threading.ExceptHookArgs) -> None:
        errors.append(args.exc_value or RuntimeError(str(args.exc_type)))

    threading.excepthook = hook
    try:
        yield errors
    finally:
        threading.excepthook = previous


def _server_subscriptions(sim: Simulator, host: str) -> int:
    return sum(len(s.subs) for s in sim._sessions_on(None) if s.host == host)


def _rxkucoin_tasks() -> list[asyncio.Task[Any]]:
    return [t for t in asyncio.all_tasks() if t.get_name().startswith("rxkucoin:") and not t.done()]


async def test_subscribe_and_dispose_from_thread_schedulers_leave_nothing_behind(
    sim: Simulator, creds: Credentials, thread_errors: list[BaseException]
) -> None:
    rng = random.Random(20240909)
    loop = asyncio.get_running_loop()
    loop_errors: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _, context: loop_errors.append(context))
    pool = ThreadPoolScheduler(4)
    new_thread = NewThreadScheduler()
    reported: list[Exception] = []
    stream_errors: list[Exception] = []
    pool_errors: list[BaseException] = []

    def guarded(action: Callable[[], object]) -> Callable[..., None]:
        """A pool action whose exception is kept (the executor would swallow it)."""

        def run(*_: Any) -> None:
            try:
                action()
            except BaseException as exc:
                pool_errors.append(exc)

        return run

    async with KucoinStreams(
        creds, endpoints=sim.endpoints, on_subscriber_error=reported.append
    ) as streams:
        # One topic per socket stays held throughout, so the sockets stay open and the
        # server's subscriptions can be compared with the client's at the end.
        keepers = [streams.spot_balance().subscribe(), streams.futures_wallet().subscribe()]
        await streams.ready(timeout=10)

        def spot_topic(symbol: str) -> Observable[Any]:
            if rng.random() < 0.5:
                return streams.spot_matches(symbol)
            return streams.margin_isolated_position(symbol)

        def any_topic() -> Observable[Any]:
            choice = rng.randrange(4)
            if choice == 0:
                return streams.spot_orders()
            if choice == 1:
                return spot_topic(rng.choice(SPOT_SYMBOLS))
            if choice == 2:
                return streams.futures_positions(rng.choice(FUTURES_SYMBOLS))
            return streams.futures_orders(rng.choice(FUTURES_SYMBOLS))

        def on_error(error: Exception) -> None:
            stream_errors.append(error)

        for round_ in range(ROUNDS):
            delay = rng.uniform(0.0, 0.03)
            kind = rng.randrange(6)
            topic = any_topic()
            if kind == 0:  # subscribed on a new thread, disposed on a timer thread
                topic.pipe(
                    ops.subscribe_on(new_thread), ops.take_until(reactivex.timer(delay))
                ).subscribe(on_error=on_error)
            elif kind == 1:  # subscribed and disposed on a thread pool
                subscription = topic.pipe(ops.subscribe_on(pool)).subscribe(on_error=on_error)
                pool.schedule_relative(delay, guarded(subscription.dispose))
            elif kind == 2:  # take(1): ends on its first item, or on a timer thread
                topic.pipe(
                    ops.take(1), ops.take_until(reactivex.timer(delay)), ops.subscribe_on(pool)
                ).subscribe(on_error=on_error)
            elif kind == 3:  # switch_map over symbols, driven by an interval thread
                symbols = iter(rng.sample(SPOT_SYMBOLS, 3))
                reactivex.interval(delay / 4 + 0.001).pipe(
                    ops.take(3),
                    ops.switch_map(lambda _, s=symbols: streams.spot_matches(next(s))),
                    ops.take_until(reactivex.timer(delay + 0.01)),
                ).subscribe(on_error=on_error)
            elif kind == 4:  # built on a worker thread, released within one round trip
                symbol = rng.choice(FUTURES_SYMBOLS)

                def build_and_release(symbol: str = symbol) -> None:
                    streams.futures_orders(symbol).subscribe(on_error=on_error).dispose()

                threading.Thread(target=build_and_release).start()
            else:  # subscribed on the loop, disposed from the pool
                subscription = topic.subscribe(on_error=on_error)
                pool.schedule_relative(delay, guarded(subscription.dispose))
            if round_ % 25 == 0:  # pushes, so that take(1) sometimes ends on an item
                sim.engine.place_spot_order("demo", "BTC-USDT", "buy", "limit", "0.01", price="1")
            await asyncio.sleep(rng.uniform(0.0, 0.004))

        spot = streams.connection(WsKey.SPOT_PRIVATE_V1)
        futures = streams.connection(WsKey.FUTURES_PRIVATE_V1)
        await until(lambda: len(spot.topics) == 1 and len(futures.topics) == 1)
        await until(lambda: spot.settled and futures.settled)
        await until(
            lambda: (
                _server_subscriptions(sim, "spot") == 1
                and _server_subscriptions(sim, "futures") == 1
            )
        )
        assert sim.stats.subscribe_frames > 20  # the churn did reach the server
        assert sim.stats.live_connections["spot"] == 1  # the churn never cost a socket
        assert sim.stats.live_connections["futures"] == 1
        for keeper in keepers:
            keeper.dispose()
        await until(lambda: sum(sim.stats.live_connections.values()) == 0)
        await until(
            lambda: (
                spot.state.value is ConnectionState.CLOSED
                and futures.state.value is ConnectionState.CLOSED
            )
        )
        assert not spot.topics and not futures.topics
        await until(lambda: not _rxkucoin_tasks())
    pool.executor.shutdown()
    assert not thread_errors and not pool_errors and not loop_errors
    assert not reported and not stream_errors
