"""Fault injection for the simulator: every way the real exchange misbehaves, on demand.

`Faults` is reached as ``sim.faults``. Methods that act on live sockets (`Faults.drop`,
`Faults.half_open`, `Faults.expire_tokens`, `Faults.send_error`, `Faults.cut_after`) act at
once; the others arm a fault that fires on the next matching event (a push, a subscribe, a
token call). Every firing is appended to `Faults.log`; every push a client could not have
seen is appended to `Faults.undelivered`.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from ._pushes import Push

if TYPE_CHECKING:
    from ._server import Simulator

__all__ = ("UNDELIVERED_LIMIT", "FaultRecord", "Faults", "Undelivered")

#: How many undelivered pushes `Faults.undelivered` remembers (a long run stays bounded).
UNDELIVERED_LIMIT = 100_000

HostName = Literal["spot", "futures", "pro"]
TokenFault = Literal["429", "500", "hang"]
DropHow = Literal["reset", "close"]


@dataclass(frozen=True)
class FaultRecord:
    """One fault that fired.

    Attributes:
        time: wall-clock seconds (the simulator's clock) when it fired.
        kind: the `Faults` method that armed or caused it (``"drop"``, ``"drop_next"``...).
        details: what it touched (host, number of sockets, the push...).
    """

    time: float
    kind: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Undelivered:
    """A push that a subscribed client could not have received.

    Attributes:
        time: the simulator's clock when the push happened.
        push: the push record from the engine (or `Simulator.publish`).
        reason: ``"dropped"`` (a `Faults.drop_next` fault), ``"disconnected"`` (the
            account's subscribing socket was gone) or ``"half_open"``.
    """

    time: float
    push: Push
    reason: str


class Faults:
    """Fault switches of one `Simulator` (``sim.faults``).

    Args:
        sim: the simulator whose sockets and calls the faults act on.
        clock: seconds since the epoch, for the log.
    """

    def __init__(self, sim: Simulator, clock: Callable[[], float] = time.time) -> None:
        self._sim = sim
        self._clock = clock
        self.log: list[FaultRecord] = []
        """Every fault that fired, oldest first."""
        self.undelivered: deque[Undelivered] = deque(maxlen=UNDELIVERED_LIMIT)
        """Pushes no subscribed client could have seen (dropped, or while disconnected);
        the newest `UNDELIVERED_LIMIT` are kept."""
        # armed faults, read by the server
        self.token_faults: list[tuple[TokenFault, HostName | None]] = []
        self.subscribe_rejects: list[tuple[int, str]] = []
        self.push_drop = 0
        self.push_duplicate = 0
        self.push_delay: list[float] = []
        self.push_reorder = 0
        self.binary = False
        self.welcome_delay_s = 0.0
        self.welcome_off = False
        self.cut_seconds: float | None = None

    # -- bookkeeping ------------------------------------------------------------------------

    def record(self, fault: str, /, **details: Any) -> None:
        """Append a `FaultRecord` to `log` (used by the server when a fault fires)."""
        self.log.append(FaultRecord(self._clock(), fault, details))

    def kinds(self) -> list[str]:
        """The ``kind`` of every logged fault, oldest first."""
        return [r.kind for r in self.log]

    def clear(self) -> None:
        """Disarm every pending fault (the log and `undelivered` are kept).

        Pushes held back by `reorder_next` are sent, in their original order.
        """
        self._sim._flush_reorder()
        self.token_faults.clear()
        self.subscribe_rejects.clear()
        self.push_drop = self.push_duplicate = self.push_reorder = 0
        self.push_delay.clear()
        self.binary = False
        self.welcome_delay_s = 0.0
        self.welcome_off = False
        self.cut_after(None)

    # -- socket faults, acting now ------------------------------------------------------------

    def drop(self, host: HostName | None = None, how: DropHow = "reset") -> int:
        """Kill the current sockets.

        Args:
            host: ``"spot"``, ``"futures"`` or ``"pro"``; every socket when ``None``.
            how: ``"reset"`` aborts the TCP connection without a close frame; ``"close"``
                sends a clean WebSocket close frame.

        Returns:
            How many sockets were dropped.
        """
        sessions = self._sim._sessions_on(host)
        for s in sessions:
            if how == "reset":
                s.abort()
            else:
                s.close()
        self.record("drop", host=host, how=how, sockets=len(sessions))
        return len(sessions)

    def half_open(self, host: HostName | None = None) -> int:
        """Make the current sockets go silent: no pongs, no acks, no pushes; TCP stays up.

        Args:
            host: which host's sockets; every socket when ``None``.

        Returns:
            How many sockets went half-open.
        """
        sessions = self._sim._sessions_on(host)
        for s in sessions:
            s.half_open = True
        self.record("half_open", host=host, sockets=len(sessions))
        return len(sessions)

    def expire_tokens(self) -> int:
        """Invalidate every token; sockets opened with one get ``token is expired`` and close.

        Returns:
            How many sockets were closed.
        """
        self._sim._expire_all_tokens()
        sessions = [s for s in self._sim._sessions_on(None) if s.token is not None]
        for s in sessions:
            s.send_control(s.error_frame(401, "token is expired"))
            s.close()
        self.record("expire_tokens", sockets=len(sessions))
        return len(sessions)

    def cut_after(self, seconds: float | None) -> None:
        """Close every current and future socket ``seconds`` after it opened (the 24 h cut).

        Args:
            seconds: the connection lifetime; ``None`` switches the cut off.
        """
        self.cut_seconds = seconds
        for s in self._sim._sessions_on(None):
            s.schedule_cut(seconds)
        if seconds is not None:
            self.record("cut_after", seconds=seconds)

    def send_error(self, code: int, data: str, host: HostName | None = None) -> int:
        """Send an error frame on the current sockets (they stay open).

        Classic sockets get ``{"id","type":"error","code","data"}``, Pro sockets
        ``{"type":"error","code","data"}``.

        Returns:
            How many sockets got it.
        """
        sessions = self._sim._sessions_on(host)
        for s in sessions:
            s.send_control(s.error_frame(code, data))
        self.record("send_error", code=code, data=data, host=host, sockets=len(sessions))
        return len(sessions)

    def send_frame(
        self, data: bytes | str, *, binary: bool = False, host: HostName | None = None
    ) -> int:
        """Send one frame exactly as given on the current sockets (they stay open).

        For hostile-input tests: garbage, deep nesting, huge or deflated binary frames,
        text that is not valid UTF-8.

        Returns:
            How many sockets got it.
        """
        raw = data.encode() if isinstance(data, str) else data
        sessions = self._sim._sessions_on(host)
        for s in sessions:
            s.send_verbatim(raw, binary=binary)
        self.record("send_frame", size=len(raw), binary=binary, host=host, sockets=len(sessions))
        return len(sessions)

    # -- armed faults -------------------------------------------------------------------------

    def reject_next_subscribe(
        self, code: int = 509, data: str = "exceed max permits per second"
    ) -> None:
        """Refuse the next subscribe request (Classic: error frame with ``code``/``data``;
        Pro: ``result:false`` with code ``"400100"`` and ``data`` as message)."""
        self.subscribe_rejects.append((code, data))

    def duplicate_next(self, n: int = 1) -> None:
        """Send each of the next ``n`` pushes twice."""
        self.push_duplicate += n

    def drop_next(self, n: int = 1) -> None:
        """Silently lose the next ``n`` pushes (they go to `undelivered`)."""
        self.push_drop += n

    def delay_next(self, n: int, seconds: float) -> None:
        """Hold each of the next ``n`` pushes back for ``seconds`` (later pushes overtake)."""
        self.push_delay.extend([seconds] * n)

    def reorder_next(self, n: int = 2) -> None:
        """Collect the next ``n`` pushes and send them in reverse order.

        Until ``n`` have arrived nothing of them is sent; `clear` releases them.
        """
        self.push_reorder = n

    def binary_frames(self, on: bool = True) -> None:
        """Send Pro frames as binary WebSocket frames (plain JSON inside) instead of text."""
        self.binary = on
        self.record("binary_frames", on=on)

    def token_error(
        self, kind: TokenFault = "429", count: int = 1, host: HostName | None = None
    ) -> None:
        """Fail the next ``count`` token (bullet) calls.

        Args:
            kind: ``"429"`` (HTTP 429, code ``429000``, ``gw-ratelimit-*`` headers),
                ``"500"`` (HTTP 500, code ``500000``) or ``"hang"`` (never answer until the
                client gives up or the simulator stops).
            count: how many calls fail.
            host: ``"spot"`` or ``"futures"``; calls to either host when ``None``.
        """
        self.token_faults.extend([(kind, host)] * count)

    def welcome_delay(self, seconds: float) -> None:
        """Wait ``seconds`` before sending the welcome frame on new sockets."""
        self.welcome_delay_s = seconds

    def no_welcome(self, on: bool = True) -> None:
        """Never send the welcome frame on new sockets (while ``on``)."""
        self.welcome_off = on

    # -- used by the server --------------------------------------------------------------------

    def take_token_fault(self, host: str) -> TokenFault | None:
        """Consume the first armed token fault that applies to ``host``."""
        for i, (kind, h) in enumerate(self.token_faults):
            if h is None or h == host:
                del self.token_faults[i]
                self.record("token_error", kind=kind, host=host)
                return kind
        return None

    def take_subscribe_reject(self) -> tuple[int, str] | None:
        """Consume the next armed subscribe rejection."""
        if not self.subscribe_rejects:
            return None
        code, data = self.subscribe_rejects.pop(0)
        self.record("reject_next_subscribe", code=code, data=data)
        return code, data

    def lost(self, push: Push, reason: str) -> None:
        """Note a push no subscribed client could have seen."""
        self.undelivered.append(Undelivered(self._clock(), push, reason))
