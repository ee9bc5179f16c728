"""asyncio bridges: bounded async iteration and awaiting the first match."""

from __future__ import annotations

import asyncio
import gc
import threading

import pytest
import reactivex
from reactivex.subject import Subject

from rxkucoin.aio import aiter_observable, first
from rxkucoin.exceptions import BufferOverflow


async def test_async_for_reads_all_and_stops_on_completion() -> None:
    got = [x async for x in aiter_observable(reactivex.of(1, 2, 3))]
    assert got == [1, 2, 3]


async def test_break_inside_async_with_disposes_subscription() -> None:
    subject: Subject[int] = Subject()
    async with aiter_observable(subject) as events:
        subject.on_next(1)
        async for value in events:
            assert value == 1
            break
    assert not subject.observers


async def test_values_arriving_later_wake_the_reader() -> None:
    subject: Subject[int] = Subject()
    loop = asyncio.get_running_loop()
    loop.call_later(0.01, subject.on_next, 7)
    loop.call_later(0.02, subject.on_completed)
    async with aiter_observable(subject) as events:
        assert [v async for v in events] == [7]


async def test_errors_arrive_after_buffered_values() -> None:
    subject: Subject[int] = Subject()
    async with aiter_observable(subject) as events:
        subject.on_next(1)
        subject.on_error(RuntimeError("boom"))
        assert await anext(events) == 1
        with pytest.raises(RuntimeError, match="boom"):
            await anext(events)


async def test_overflow_is_raised_at_once_not_after_the_backlog() -> None:
    subject: Subject[int] = Subject()
    async with aiter_observable(subject, capacity=3) as events:
        for i in range(3):
            subject.on_next(i)
        assert subject.observers  # full, not over
        subject.on_next(3)
        assert not subject.observers  # stopped receiving at the overflow
        with pytest.raises(BufferOverflow) as info:
            await anext(events)  # the very next read, not after reading 0, 1, 2
        assert info.value.capacity == 3
        with pytest.raises(BufferOverflow):
            await anext(events)  # and it stays ended


async def test_an_overflow_wakes_a_waiting_reader() -> None:
    subject: Subject[int] = Subject()
    async with aiter_observable(subject, capacity=1) as events:
        reader = asyncio.ensure_future(anext(events))
        await asyncio.sleep(0)  # the reader waits on an empty buffer
        subject.on_next(1)
        assert await reader == 1
        reader = asyncio.ensure_future(anext(events))
        await asyncio.sleep(0)
        subject.on_next(2)  # buffered: the reader has not run yet
        subject.on_next(3)  # over capacity
        with pytest.raises(BufferOverflow):
            await reader


async def test_an_abandoned_iterator_releases_its_subscription() -> None:
    subject: Subject[int] = Subject()
    asyncio.get_running_loop().call_soon(subject.on_next, 1)
    async for value in aiter_observable(subject):  # no async with, no aclose
        assert value == 1
        break
    gc.collect()
    await asyncio.sleep(0)  # the release is carried out on the loop
    assert not subject.observers


async def test_aclose_ends_the_subscription_and_the_iteration() -> None:
    subject: Subject[int] = Subject()
    events = aiter_observable(subject)
    subject_had: list[int] = []
    reader = asyncio.ensure_future(anext(events))
    await asyncio.sleep(0)
    subject_had.append(len(subject.observers))
    await events.aclose()
    with pytest.raises(StopAsyncIteration):
        await reader
    assert subject_had == [1] and not subject.observers


async def test_values_from_another_thread_reach_the_reader_on_the_loop() -> None:
    subject: Subject[int] = Subject()
    seen_on: list[int] = []

    def produce() -> None:
        for i in range(100):
            subject.on_next(i)
        subject.on_completed()

    async with aiter_observable(subject) as events:
        worker = threading.Thread(target=produce)
        worker.start()
        got: list[int] = []
        async for value in events:
            seen_on.append(threading.get_ident())
            got.append(value)
        worker.join()
    assert got == list(range(100))
    assert set(seen_on) == {threading.get_ident()}


def test_capacity_must_be_positive() -> None:
    with pytest.raises(ValueError):
        aiter_observable(reactivex.empty(), capacity=0)


async def test_first_with_predicate_and_dispose() -> None:
    subject: Subject[int] = Subject()
    loop = asyncio.get_running_loop()
    for i, v in enumerate([1, 4, 9, 16]):
        loop.call_later(0.001 * (i + 1), subject.on_next, v)
    assert await first(subject, lambda v: v > 5, timeout=5) == 9
    assert not subject.observers


async def test_first_times_out() -> None:
    subject: Subject[int] = Subject()
    with pytest.raises(TimeoutError):
        await first(subject, timeout=0.01)
    assert not subject.observers


async def test_first_reports_completion_and_errors() -> None:
    with pytest.raises(LookupError):
        await first(reactivex.of(1, 2), lambda v: v > 5, timeout=1)
    with pytest.raises(ValueError, match="bad"):
        await first(reactivex.throw(ValueError("bad")), timeout=1)
