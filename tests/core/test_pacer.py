"""The outbound pacer keeps to KuCoin's 100 frames per 10 s, measured on a fake clock."""

from __future__ import annotations

from rxkucoin._session import Pacer


async def test_pacer_never_exceeds_the_budget_in_any_window() -> None:
    now = 0.0
    sent: list[float] = []

    async def sleep(seconds: float) -> None:
        nonlocal now
        assert seconds > 0
        now += seconds

    pacer = Pacer(limit=100, window=10.0, clock=lambda: now, sleep=sleep)
    for i in range(350):
        await pacer.wait()
        sent.append(now)
        now += 0.001 if i % 50 else 0.5  # bursts with small pauses
    for i, t in enumerate(sent):
        in_window = [s for s in sent[i:] if s < t + 10.0]
        assert len(in_window) <= 100
    assert sent[-1] >= 30.0  # 350 frames need at least three full windows


async def test_pacer_does_not_wait_under_the_budget() -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    pacer = Pacer(limit=5, window=1.0, clock=lambda: 0.0, sleep=sleep)
    for _ in range(5):
        await pacer.wait()
    assert waits == []
