"""Pacing of client frames: KuCoin counts every frame a client sends on a socket.

Pure: the caller supplies the time. `rxkucoin._protocol.Protocol` owns one per socket.
"""

from __future__ import annotations

from collections import deque
from typing import Final

__all__ = ("MAX_MESSAGES", "MESSAGE_WINDOW_S", "MIN_CONTROL_RESERVE", "WINDOW_MARGIN_S", "Pacer")

#: KuCoin allows 100 client frames per 10 s per connection (PROTOCOL.md §3.5).
MAX_MESSAGES: Final = 100
MESSAGE_WINDOW_S: Final = 10.0
#: The server counts frames as they arrive: a frame delayed more than the ones after it can
#: land in a later window than it was sent in. Frames are counted this much longer.
WINDOW_MARGIN_S: Final = 0.5
#: Frames reserved for pings and auth in every window, at least (see `Protocol` for more).
MIN_CONTROL_RESERVE: Final = 5


class Pacer:
    """Counts client frames over a sliding window; pure, the caller supplies the time.

    Control frames (pings, auth) may fill the whole ``limit``. A request may go only while
    the window keeps room for ``reserve`` control frames, counting those already in it: a
    burst of requests always leaves the heartbeat its room, and requests get the rest.

    Args:
        limit: frames allowed per window (KuCoin: 100).
        window: the window in seconds.
        reserve: control frames each window keeps room for.
    """

    def __init__(
        self, limit: int = MAX_MESSAGES, window: float = MESSAGE_WINDOW_S, reserve: int = 0
    ) -> None:
        self.limit = limit
        self.window = window
        self.reserve = reserve
        self._sent: deque[tuple[float, bool]] = deque()  # (sent at, is a control frame)
        self._controls = 0

    def in_window(self, now: float) -> int:
        """Frames counted at ``now``."""
        sent = self._sent
        # the same sum as next_slot's, so a wake-up at that time always finds room
        while sent and sent[0][0] + self.window <= now:
            self._controls -= sent.popleft()[1]
        return len(sent)

    def _room(self, total: int, controls: int, control: bool) -> bool:
        if control:
            return total < self.limit
        return total + max(0, self.reserve - controls) < self.limit

    def take(self, now: float, *, control: bool) -> bool:
        """Count one frame sent at ``now`` if the budget allows it; ``False`` otherwise."""
        if not self._room(self.in_window(now), self._controls, control):
            return False
        self._sent.append((now, control))
        self._controls += control
        return True

    def next_slot(self, *, control: bool) -> float | None:
        """When a frame of this class may next go; ``None`` when it may go now."""
        total, controls = len(self._sent), self._controls
        if self._room(total, controls, control):
            return None
        for sent_at, was_control in self._sent:  # oldest first: free slots as they expire
            total -= 1
            controls -= was_control
            if self._room(total, controls, control):
                return sent_at + self.window
        return None  # unreachable with a sane reserve: an empty window has room
