"""The outbound pacer keeps to KuCoin's 100 frames per 10 s, measured on a fake clock."""

from __future__ import annotations

from rxkucoin._protocol import Pacer


def most_in_any_window(sent: list[float], window: float) -> int:
    return max(sum(1 for s in sent[i:] if s < t + window) for i, t in enumerate(sent))


def test_pacer_never_exceeds_the_budget_in_any_window() -> None:
    pacer = Pacer(limit=100, window=10.0)
    now = 0.0
    sent: list[float] = []
    for i in range(350):
        while not pacer.take(now, control=False):
            slot = pacer.next_slot(control=False)
            assert slot is not None and slot > now  # it says when, and that is later
            now = slot
        sent.append(now)
        now += 0.001 if i % 50 else 0.5  # bursts with small pauses
    assert most_in_any_window(sent, 10.0) <= 100
    assert sent[-1] >= 30.0  # 350 frames need at least three full windows


def test_pacer_does_not_hold_back_under_the_budget() -> None:
    pacer = Pacer(limit=5, window=1.0)
    assert all(pacer.take(0.0, control=False) for _ in range(5))
    assert not pacer.take(0.0, control=False)
    assert pacer.next_slot(control=False) == 1.0
    assert pacer.take(1.0, control=False)  # the first frame's slot is free again


def test_requests_leave_the_reserve_to_control_frames() -> None:
    pacer = Pacer(limit=10, window=1.0, reserve=3)
    requests = 0
    while pacer.take(0.0, control=False):
        requests += 1
    assert requests == 7 and pacer.next_slot(control=False) == 1.0
    assert pacer.next_slot(control=True) is None  # a ping may still go now
    assert [pacer.take(0.0, control=True) for _ in range(4)] == [True, True, True, False]
    assert pacer.in_window(0.5) == 10 and pacer.in_window(1.0) == 0
