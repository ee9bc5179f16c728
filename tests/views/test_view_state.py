"""The view's rules without I/O: versions, tombstones, snapshots with buffered pushes."""

from __future__ import annotations

import random
from dataclasses import dataclass

from rxkucoin._view_models import OpenOrder, fill_unknown
from rxkucoin._view_state import Update, ViewState, snapshot_version


@dataclass(frozen=True)
class Item:
    name: str
    size: int | None = None


def up(key: str, size: int | None, ts: int | None, *, patch: bool = False) -> Update[str, Item]:
    value = None if size is None else Item(key, size)
    return Update(key, value, None if ts is None else (ts,), patch, time_ns=ts)


def test_older_and_duplicate_updates_are_ignored() -> None:
    state: ViewState[str, Item] = ViewState()
    assert state.apply(up("a", 1, 10))
    assert not state.apply(up("a", 0, 5))  # older: ignored
    assert not state.apply(up("a", 1, 10))  # the same again
    assert state.values == {"a": Item("a", 1)}
    assert state.stale == 2


def test_a_late_open_does_not_bring_back_a_filled_order() -> None:
    # the reorder a user saw: match, filled, received, open
    state: ViewState[str, Item] = ViewState()
    state.apply(Update("o", Item("o", 2), (3, 2)))
    state.apply(Update("o", None, (4, 3)))
    assert not state.apply(Update("o", Item("o", 0), (1, 0)))
    assert not state.apply(Update("o", Item("o", 0), (2, 1)))
    assert "o" not in state.values


def test_snapshot_then_buffered_updates_newer_than_it() -> None:
    state: ViewState[str, Item] = ViewState()
    state.apply(up("a", 1, 10))
    state.apply(up("b", 1, 10))
    state.begin_sync()
    assert not state.apply(up("a", 5, 30))  # buffered: after the snapshot
    assert not state.apply(up("c", 7, 12))  # created after the snapshot
    assert not state.apply(up("b", 3, 15))  # older than the snapshot's b
    assert state.values == {"a": Item("a", 1), "b": Item("b", 1)}  # unchanged while syncing
    changes = state.finish_sync([("a", Item("a", 2), (20,)), ("b", Item("b", 2), (20,))])
    assert state.values == {"a": Item("a", 5), "b": Item("b", 2), "c": Item("c", 7)}
    # what the snapshot corrected, against what the pushes (buffered ones too) said
    assert changes.changed == {"b": (Item("b", 3), Item("b", 2))}
    assert not changes.added and not changes.removed


def test_snapshot_removes_what_vanished_and_reports_it() -> None:
    state: ViewState[str, Item] = ViewState()
    state.apply(up("gone", 1, 10))
    state.begin_sync()
    changes = state.finish_sync([])
    assert changes.removed == {"gone": Item("gone", 1)}
    assert not state.values
    # a stale push of the vanished entity does not resurrect it
    assert not state.apply(up("gone", 1, 9))


def test_an_order_canceled_while_the_snapshot_is_in_flight_stays_gone() -> None:
    # The docs' old recipe replaced the state with the snapshot and lost this cancel.
    state: ViewState[str, Item] = ViewState()
    state.apply(up("o", 1, 10))
    state.begin_sync()
    state.apply(up("o", None, 20))  # canceled while the request is out
    state.finish_sync([("o", Item("o", 1), (10,))])  # the snapshot still lists it
    assert "o" not in state.values


def test_a_lagging_snapshot_does_not_undo_what_pushes_showed() -> None:
    state: ViewState[str, Item] = ViewState()
    state.apply(up("o", 1, 10))
    state.apply(up("o", None, 30))  # filled
    state.apply(up("p", 4, 30))
    state.begin_sync()
    changes = state.finish_sync([("o", Item("o", 1), (10,)), ("p", Item("p", 3), (20,))])
    assert state.values == {"p": Item("p", 4)}
    assert not changes


def test_snapshot_without_versions_keeps_known_versions() -> None:
    state: ViewState[str, Item] = ViewState()
    state.apply(up("USDT", 5, 10))
    state.begin_sync()
    state.finish_sync([("USDT", Item("USDT", 6), None)])
    assert not state.apply(up("USDT", 1, 9))  # an older push arriving late
    assert state.apply(up("USDT", 7, 11))
    assert state.values["USDT"].size == 7


def test_patch_updates_never_add() -> None:
    state: ViewState[str, Item] = ViewState()
    assert not state.apply(up("XBT", 1, 1, patch=True))
    state.apply(up("XBT", 1, 2))
    assert state.apply(up("XBT", 2, 3, patch=True))


def test_merge_keeps_fields_a_minimal_push_omits() -> None:
    state: ViewState[str, OpenOrder] = ViewState(merge=fill_unknown)
    state.apply(Update("o", OpenOrder("o", "BTC-USDT", "buy", "limit", None, None), (1,)))
    state.apply(Update("o", OpenOrder("o", "BTC-USDT", filled_size=None, client_oid="c"), (2,)))
    assert state.values["o"] == OpenOrder("o", "BTC-USDT", "buy", "limit", client_oid="c")


def test_tombstones_are_bounded() -> None:
    state: ViewState[str, Item] = ViewState(tombstones=3)
    for i in range(10):
        state.apply(up(f"k{i}", 1, i))
        state.apply(up(f"k{i}", None, i + 100))
    assert state.version("k9") == (109,)
    assert state.version("k0") is None


def test_any_arrival_order_ends_in_the_newest_state() -> None:
    rng = random.Random(7)
    for _ in range(200):
        history = [up("o", size, ts) for ts, size in enumerate([1, 2, 3, None], start=1)]
        arrived = history + rng.sample(history, k=2)  # duplicates too
        rng.shuffle(arrived)
        state: ViewState[str, Item] = ViewState()
        for update in arrived:
            state.apply(update)
        assert "o" not in state.values


def test_a_record_shows_every_push_of_its_millisecond() -> None:
    # open at 5.0001 ms seen, the fill at 5.0002 ms lost: a record stamped 5 ms has the fill
    state: ViewState[str, Item] = ViewState()
    state.apply(Update("o", Item("o", 0), (5_000_100, 1, 0)))
    state.begin_sync()
    state.finish_sync([("o", Item("o", 4), snapshot_version(ms=5))])
    assert state.values["o"] == Item("o", 4)
    # a push of that millisecond arriving late is the record's own past
    assert not state.apply(Update("o", Item("o", 0), (5_000_900, 2, 0)))
    assert state.apply(Update("o", Item("o", 6), (6_000_000, 2, 6)))


def test_a_record_stamped_like_the_last_push_wins_over_it() -> None:
    # a change without a push of its own (funding moves a realised PnL) under the same time
    state: ViewState[str, Item] = ViewState()
    state.apply(Update("XBT", Item("XBT", 1), (70, 3)))
    state.begin_sync()
    state.finish_sync([("XBT", Item("XBT", 2), snapshot_version(70))])
    assert state.values["XBT"] == Item("XBT", 2)


def test_a_record_older_than_a_shown_push_loses() -> None:
    state: ViewState[str, Item] = ViewState()
    state.apply(Update("o", Item("o", 3), (7_000_001, 2, 3)))
    state.begin_sync()
    state.finish_sync([("o", Item("o", 1), snapshot_version(ms=6))])
    assert state.values["o"] == Item("o", 3)


def test_a_push_older_than_the_snapshot_cannot_revive_what_it_removed() -> None:
    # the snapshot (taken after t=50) no longer lists the order; its match of t=30 and its
    # fill of t=40 were still in flight
    state: ViewState[str, Item] = ViewState()
    state.apply(up("o", 1, 20))
    state.begin_sync()
    state.finish_sync([], as_of=50)
    assert not state.apply(up("o", 2, 30))
    assert "o" not in state.values


def test_an_entity_newer_than_the_snapshot_is_kept() -> None:
    # a REST answer lagging the pushes: the order opened after the snapshot's time
    state: ViewState[str, Item] = ViewState()
    state.apply(up("o", 1, 60))
    state.begin_sync()
    changes = state.finish_sync([], as_of=50)
    assert state.values == {"o": Item("o", 1)} and not changes


def test_orders_gone_from_a_snapshot_never_come_back() -> None:
    state: ViewState[str, Item] = ViewState(gone=lambda as_of: (1,))
    state.apply(Update("o", Item("o", 0), (0, 0, 1, 10), time_ns=10))
    state.begin_sync()
    state.finish_sync([], as_of=50)
    # a match from before the fill, delayed past the snapshot, is still not news
    assert not state.apply(Update("o", Item("o", 1), (0, 1, 2, 60), time_ns=60))
    assert "o" not in state.values


def test_changes_leave_out_what_pushes_during_the_fetch_explain() -> None:
    state: ViewState[str, Item] = ViewState()
    state.apply(up("a", 1, 10))
    state.begin_sync()
    state.apply(up("a", None, 20))  # canceled during the fetch
    state.apply(up("b", 2, 21))  # placed during the fetch
    changes = state.finish_sync([("b", Item("b", 2), (21,))], as_of=15)
    assert state.values == {"b": Item("b", 2)}
    assert not changes


def test_an_unknown_entity_stamped_before_the_snapshot_is_not_news() -> None:
    state: ViewState[str, Item] = ViewState()
    state.begin_sync()
    state.apply(up("z", 1, 40))  # created and done before the snapshot; its end comes late
    state.finish_sync([], as_of=50)
    assert "z" not in state.values
    assert not state.apply(up("z", 2, 45))
    assert state.apply(up("n", 1, 60))  # after the snapshot: news


def test_a_versionless_record_is_as_new_as_its_snapshot() -> None:
    state: ViewState[str, Item] = ViewState()
    state.apply(up("USDT", 1, 10))
    state.begin_sync()
    state.finish_sync([("USDT", Item("USDT", 7), None)], as_of=50)
    assert not state.apply(up("USDT", 3, 30))  # late, older than the snapshot
    assert state.values["USDT"] == Item("USDT", 7)
