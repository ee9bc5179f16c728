"""The rules of a planned socket rotation, with no I/O: when to rotate, and which pushes of
the overlap to deliver.

KuCoin closes every socket at 24 h. Before that, the socket's life (`_socket_life`) opens a
new socket, subscribes the same topics on it while the old one keeps delivering, switches
requests to the new one once every topic is acknowledged there, and closes the old one
after a barrier (the acknowledgements of its unsubscribes: the server queued every push it
owed the old socket before them). For a while both sockets carry the same pushes; `Overlap`
lets each one through once.

Why fingerprints: the server writes the same push to both sockets with the same payload
bytes, and nothing else identifies a Classic push (no sequence number, no id on most
topics). A push is delivered when its count on the socket it arrives on exceeds the count
already delivered, so a push seen on both sockets is delivered once, and a push the server
genuinely sends twice on one socket still arrives twice, as it would without a rotation.
A push written to the two sockets in different forms would be delivered twice. We
assume, unverified, that KuCoin serialises a push once for all of an account's sockets;
the simulator does (in its wire-variants mode too, which picks one form per push), and
the rotation tests run with and without variants. Pro's ``P`` cannot identify a push: it
is each gateway's own push time.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Final

from ._protocol_events import Push

__all__ = ("DEFAULT_MAX_SOCKET_AGE", "DEFAULT_ROTATION_JITTER", "Overlap", "rotation_due")

#: KuCoin cuts every socket 24 h after it opened; rotate well before.
DEFAULT_MAX_SOCKET_AGE: Final = 23.5 * 3600.0
#: Each socket rotates up to this fraction of its age early, chosen at random, so sockets
#: opened together (shards, accounts) do not all redial in the same minute (KuCoin allows
#: a limited number of new connections per minute).
DEFAULT_ROTATION_JITTER: Final = 0.02


def rotation_due(
    opened_at: float,
    max_age: float,
    jitter: float = DEFAULT_ROTATION_JITTER,
    rng: Callable[[], float] = random.random,
) -> float:
    """When a socket opened at ``opened_at`` should be replaced (same clock as ``opened_at``).

    Args:
        opened_at: when the socket was opened.
        max_age: seconds a socket may live before it is replaced.
        jitter: up to this fraction of ``max_age`` earlier, at random.
        rng: a number in ``[0, 1)``; `random.random` by default.
    """
    if max_age <= 0:
        raise ValueError(f"max_age must be positive, got {max_age!r}")
    if not 0 <= jitter < 1:
        raise ValueError(f"jitter must be in [0, 1), got {jitter!r}")
    return opened_at + max_age * (1.0 - jitter * rng())


def fingerprint(frame: Push) -> tuple[str, bytes]:
    """What identifies a push across two sockets: its topic tag and payload bytes."""
    return frame.topic, bytes(frame.data)


class Overlap:
    """Delivers each push of a rotation's overlap once, whichever socket brings it first.

    `from_old` and `from_new` are the two sockets' push handlers while both are open. Once
    the old socket's last push has arrived (`old_closed`), only the pushes it delivered
    first still matter, each until its copy comes on the new socket: the table keeps those
    alone, and a push of the new socket that is not one of them passes without being
    remembered. After a ping round trip on the new socket nothing can still arrive there
    either: the socket then hands pushes to ``deliver`` directly and the table is dropped.

    Args:
        deliver: where a push goes (the router's ``on_push``).
    """

    __slots__ = ("_counts", "_deliver", "_old_open", "delivered", "dropped")

    def __init__(self, deliver: Callable[[Push], None]) -> None:
        self._deliver = deliver
        # fingerprint -> [seen on old, seen on new]; delivered is the larger of the two
        self._counts: dict[tuple[str, bytes], list[int]] = {}
        self._old_open = True
        #: pushes let through
        self.delivered = 0
        #: copies held back (seen already on the other socket)
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._counts)

    def from_old(self, frame: Push) -> None:
        """A push that arrived on the old socket."""
        self._seen(frame, 0)

    def from_new(self, frame: Push) -> None:
        """A push that arrived on the new socket."""
        if self._old_open:
            self._seen(frame, 1)
            return
        key = fingerprint(frame)
        counts = self._counts.get(key)
        if counts is None:
            self.delivered += 1
            self._deliver(frame)
            return
        counts[1] += 1
        if counts[1] >= counts[0]:
            del self._counts[key]  # its copies are all in: nothing left to hold back
        if counts[1] > counts[0]:
            self.delivered += 1
            self._deliver(frame)
        else:
            self.dropped += 1

    def old_closed(self) -> None:
        """The old socket's last push has arrived: keep only what it delivered ahead of
        the new one."""
        self._old_open = False
        self._counts = {k: c for k, c in self._counts.items() if c[0] > c[1]}

    def _seen(self, frame: Push, side: int) -> None:
        counts = self._counts.get(key := fingerprint(frame))
        if counts is None:
            counts = self._counts[key] = [0, 0]
        before = max(counts)
        counts[side] += 1
        if counts[side] > before:
            self.delivered += 1
            self._deliver(frame)
        else:
            self.dropped += 1
