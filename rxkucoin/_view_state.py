"""The rules of a live view, without I/O: how pushes and REST snapshots fold into one state.

A view holds one value per entity (an open order by id, a balance by currency, a position
by symbol). Two sources feed it:

- **Updates**, one per push: the entity's new value (or ``None``: it leaves the view, as a
  filled order does), stamped with a *version* that orders the entity's updates: by its
  progress where the entity only moves forward (an order: done or not, filled size, event
  rank, then time), else by the exchange's time and the arrival order. Pushes can arrive
  out of order and twice, so an update whose version is not newer than the last one
  applied to its entity is ignored: a view never goes back to an older state. Versions of
  entities that left are kept (bounded), so a late ``open`` cannot bring back a filled
  order.
- **Snapshots**, from REST, taken the way a correct order-book sync is: `begin_sync` is
  called *before* the request goes out (the pushes are already subscribed and live), the
  updates that arrive meanwhile are buffered, and `finish_sync` replaces the state with the
  snapshot, then applies the buffered updates that are newer than the snapshot's own
  version of their entity. An entity the snapshot lacks comes back only through an update
  buffered during the fetch (it was created after the snapshot was taken).

`finish_sync` returns a `Changes` record: what the snapshot changed in the view, which is
what an outage hid.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final, Generic, TypeVar

__all__ = (
    "SNAPSHOT",
    "Changes",
    "Update",
    "Version",
    "ViewState",
    "answer_version",
    "snapshot_version",
)

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

#: Orders one entity's updates, compared as tuples: an order's progress (done or not,
#: filled size, event rank, then time), or the exchange's time in ns and the arrival order.
#: A REST record of a time-ordered entity is stamped with `snapshot_version` (or
#: `answer_version`) of its time.
Version = tuple[int | Decimal, ...]

#: The second element of a snapshot record's version, ``(time, SNAPSHOT)``: a REST record
#: shows everything its entity did up to its time, so it sorts after every push stamped with
#: the same time (whatever the push's rank or arrival order) and before any later one.
SNAPSHOT: Final = 2**62

#: How many versions of entities that left the view are remembered.
TOMBSTONES = 10_000


def snapshot_version(ns: int | None = None, *, ms: int | None = None) -> Version | None:
    """The version of a REST record last updated at ``ns`` (or within millisecond ``ms``).

    A record stamped in ms is taken to show everything of that millisecond: the pushes
    stamped within it are the record's own past, and the ones after it are news.
    """
    if ms is not None:
        ns = (ms + 1) * 1_000_000 - 1
    return None if ns is None else (ns, SNAPSHOT)


def answer_version(ms: int | None) -> Version | None:
    """The version of a REST record stamped with the time of the answer (ms) rather than
    its entity's last change, as KuCoin's futures positions are: the record shows every
    push of an earlier millisecond, and a push of the same millisecond may be newer."""
    return None if ms is None else (ms * 1_000_000,)


@dataclass(frozen=True, slots=True)
class Update(Generic[K, V]):
    """What one push says about one entity.

    Attributes:
        key: the entity (order id, currency, symbol...).
        value: its new value, or ``None`` when it leaves the view.
        version: its place in the entity's history; ``None`` when the push carries no
            time, and it is then applied whatever came before.
        patch: the update only refreshes an entity the view already holds (a mark-price
            push for a position): it never adds one.
        time_ns: the exchange's time of the push, ns since the epoch, where it has one.
    """

    key: K
    value: V | None
    version: Version | None
    patch: bool = False
    time_ns: int | None = None


@dataclass(frozen=True)
class Changes(Generic[K, V]):
    """What a snapshot changed in a view.

    Attributes:
        added: entities the view did not hold, by key.
        removed: entities the view held and the snapshot no longer has, with their last
            value in the view.
        changed: entities whose value differs, as ``(before, after)``.
    """

    added: Mapping[K, V] = field(default_factory=dict)
    removed: Mapping[K, V] = field(default_factory=dict)
    changed: Mapping[K, tuple[V, V]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)


class ViewState(Generic[K, V]):
    """The entities of one view and the version of each; pure and synchronous.

    Args:
        merge: combines an entity's current value (``None`` if it has none) with an
            update's value; by default the update's value replaces it. A view whose pushes
            may omit fields passes one that keeps what the update leaves unknown.
        gone: the version an entity that a snapshot no longer lists is buried with, given
            the exchange time the snapshot was surely taken after (``as_of``); by default
            ``(as_of, SNAPSHOT)``, for time-ordered entities. Orders pass one that says
            "done", since an order that left the open list never comes back.
        tombstones: how many versions of entities that left are remembered.
    """

    def __init__(
        self,
        *,
        merge: Callable[[V | None, V], V] | None = None,
        gone: Callable[[int], Version] | None = None,
        tombstones: int = TOMBSTONES,
    ) -> None:
        self._merge = merge
        self._gone_version = gone or _gone_at
        self._times: dict[K, int] = {}
        self._as_of: int | None = None  # the newest snapshot's `as_of`
        self._values: dict[K, V] = {}
        self._versions: dict[K, Version] = {}
        self._gone: OrderedDict[K, Version] = OrderedDict()
        self._tombstones = tombstones
        self._buffer: list[Update[K, V]] | None = None
        self.stale = 0
        """Updates ignored because their entity already had a newer (or the same) one."""

    @property
    def values(self) -> Mapping[K, V]:
        """The current entities (a live mapping: copy it to keep it)."""
        return self._values

    @property
    def syncing(self) -> bool:
        """Whether a snapshot is awaited and updates are being buffered."""
        return self._buffer is not None

    def version(self, key: K) -> Version | None:
        """The last version applied to ``key``, whether it is in the view or left it."""
        return self._versions.get(key) or self._gone.get(key)

    def apply(self, update: Update[K, V]) -> bool:
        """Apply one update now, or buffer it while a snapshot is awaited.

        Returns:
            Whether the view's entities changed.
        """
        if self._buffer is not None:
            self._buffer.append(update)
            return False
        return self._apply(update)

    def begin_sync(self) -> None:
        """A snapshot request is about to go out: buffer updates until `finish_sync`.

        Calling it again while syncing starts over: the buffered updates stay, and are
        applied on top of the later snapshot where they are newer than it.
        """
        if self._buffer is None:
            self._buffer = []

    def finish_sync(
        self, snapshot: Iterable[tuple[K, V, Version | None]], *, as_of: int | None = None
    ) -> Changes[K, V]:
        """Replace the entities with ``snapshot``, then apply the buffered updates.

        Args:
            snapshot: ``(key, value, version)`` for every entity the exchange reported;
                ``version`` is the entity's own last-update version where the snapshot
                gives one, else ``None``.
            as_of: the exchange's time (ns) after which the snapshot was surely taken, if
                known. An entity the snapshot no longer lists is buried at least at the
                version ``gone(as_of)``, so a push older than the snapshot that arrives late
                cannot bring it back; an entity whose last push is stamped after ``as_of``
                is kept, since the snapshot may predate it (a REST answer that lags the
                pushes).

        Returns:
            What the snapshot corrected: the view as it is now, compared with the view as
            the pushes alone would have made it (the buffered ones included, so a push
            that arrived during the fetch is not mistaken for something an outage hid).
        """
        before = self._values
        buffered, self._buffer = self._buffer or [], None
        pushed = self._pushed_only(buffered)
        self._values = {}
        versions: dict[K, Version] = {}
        floor: Version | None = None if as_of is None else (as_of, SNAPSHOT)
        for key, value, version in snapshot:
            known = self.version(key)
            if version is None:
                # no time of its own: it is at least as new as the snapshot itself
                version = known if floor is None or (known is not None and known > floor) else floor
            elif known is not None and known > version:
                # The view already showed a newer state (the snapshot lags the pushes, or
                # rounds their time): keep that, including an entity that has left.
                if key in before:
                    self._values[key] = before[key]
                versions[key] = known
                continue
            self._values[key] = value
            if version is not None:
                versions[key] = version
        for key in before:
            if key in self._values or key in versions:
                continue
            known = self._versions.get(key)
            heard = self._times.get(key)
            if as_of is None:
                self._bury(key, known)
            elif heard is not None and heard > as_of:
                self._values[key] = before[key]
                if known is not None:
                    versions[key] = known
            else:
                buried = self._gone_version(as_of)
                self._bury(key, buried if known is None or known < buried else known)
        self._versions = versions
        self._times = {k: t for k, t in self._times.items() if k in self._values}
        for key in self._values:
            self._gone.pop(key, None)
        if as_of is not None and (self._as_of is None or as_of > self._as_of):
            self._as_of = as_of
        for update in buffered:
            self._apply(update)
        return _diff(pushed, self._values)

    def _pushed_only(self, updates: list[Update[K, V]]) -> Mapping[K, V]:
        """The entities as ``updates`` would leave them without a snapshot."""
        if not updates:
            return self._values
        shadow: ViewState[K, V] = ViewState(merge=self._merge, gone=self._gone_version)
        shadow._values = dict(self._values)
        shadow._versions = dict(self._versions)
        shadow._gone = OrderedDict(self._gone)
        shadow._times = dict(self._times)
        shadow._as_of = self._as_of
        for update in updates:
            shadow._apply(update)
        return shadow._values

    def _apply(self, update: Update[K, V]) -> bool:
        key, version = update.key, update.version
        if update.patch and key not in self._values:
            return False
        if version is not None:
            known = self.version(key)
            if known is not None and version <= known:
                self.stale += 1
                return False
            if (
                known is None
                and update.value is not None
                and self._as_of is not None
                and update.time_ns is not None
                and update.time_ns <= self._as_of
            ):
                # An entity unknown to the view, stamped before the last snapshot was taken:
                # had it still existed, the snapshot would have listed it.
                self.stale += 1
                return False
        if update.value is None:
            if key not in self._values:
                self._bury(key, version)
                return False
            del self._values[key]
            self._bury(key, version if version is not None else self._versions.get(key))
            self._versions.pop(key, None)
            self._times.pop(key, None)
            return True
        if update.time_ns is not None:
            self._times[key] = update.time_ns
        if version is not None:
            self._versions[key] = version
            self._gone.pop(key, None)
        current = self._values.get(key, _MISSING)
        value = update.value
        if self._merge is not None:
            value = self._merge(None if current is _MISSING else current, value)
        self._values[key] = value
        return bool(current != value)

    def _bury(self, key: K, version: Version | None) -> None:
        if version is None:
            return
        known = self._gone.get(key)
        if known is None or version > known:
            self._gone[key] = version
        self._gone.move_to_end(key)
        while len(self._gone) > self._tombstones:
            self._gone.popitem(last=False)


_MISSING: Any = object()


def _gone_at(as_of: int) -> Version:
    return (as_of, SNAPSHOT)


def _diff(before: Mapping[K, V], after: Mapping[K, V]) -> Changes[K, V]:
    added = {k: v for k, v in after.items() if k not in before}
    removed = {k: v for k, v in before.items() if k not in after}
    changed = {k: (before[k], v) for k, v in after.items() if k in before and before[k] != v}
    return Changes(added, removed, changed)
