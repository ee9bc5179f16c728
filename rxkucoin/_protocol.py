"""The KuCoin socket protocol without I/O: frames and the time go in, events and frames come out.

One `Protocol` per socket, for either dialect (Classic, PROTOCOL.md §3; Pro, §5). It has no
asyncio, aiohttp or Rx: a driver feeds it each inbound frame with `Protocol.receive`, sends
what `Protocol.data_to_send` returns, calls `Protocol.tick` no later than
`Protocol.next_deadline`, and acts on the events both return. Times are seconds of one
monotonic clock chosen by the driver (the loop's clock in `rxkucoin._session`, a plain float
in tests), so every rule here is testable without sockets or sleeps.

It owns: the welcome (and, on Pro flow B, the signed ``op: auth`` and the classification of
its answer), request ids, pending acks and their timeouts, the pacer (every client frame
counts; pings and auth use a reserve that requests cannot touch, so they never wait behind a
burst), liveness (a ping every ``ping_interval``; the link is dead when nothing at all
arrived within ``ping_timeout`` of a ping), frame size limits and inflating binary frames.
"""

from __future__ import annotations

import enum
import itertools
import math
import time
import zlib
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from . import _frames as fr
from . import _protocol_events as ev
from ._pacer import MAX_MESSAGES, MESSAGE_WINDOW_S, MIN_CONTROL_RESERVE, WINDOW_MARGIN_S, Pacer
from ._protocol_events import Push, Rejected, Request
from ._rest import AUTH_CODES
from .exceptions import AuthError, ConnectionLost, DecodeError
from .keys import Dialect, WsKey

__all__ = (
    "MAX_FRAME_BYTES",
    "MAX_REPORTED_BYTES",
    "Pacer",
    "Protocol",
    "Push",
    "Rejected",
    "Request",
    "State",
    "inflate",
    "reported_bytes",
)

#: Frames (inflated) longer than this are refused as undecodable; KuCoin's private pushes
#: are a few KB, so only a broken or hostile server sends more.
MAX_FRAME_BYTES: Final = 1 << 20
#: How much of a bad frame's bytes an event carries.
MAX_REPORTED_BYTES: Final = 64 << 10


class State(enum.Enum):
    """Where a `Protocol` is."""

    CONNECTING = "connecting"  #: waiting for the welcome
    AUTHENTICATING = "authenticating"  #: Pro flow B: waiting for the signed auth's answer
    OPEN = "open"
    CLOSED = "closed"


#: `State.OPEN` for the per-frame test: reading a member off an Enum class costs about as
#: much as the rest of `Protocol.receive_frame`'s own work (~0.2 us on Python 3.11)
_OPEN: Final = State.OPEN

# --- the protocol ------------------------------------------------------------------------


@dataclass(slots=True)
class _Pending:
    kind: str
    request: Request
    text: str


class Protocol:
    """One socket's protocol state, for either dialect, driven by frames and the time.

    Args:
        key: which socket (its dialect decides the frame forms).
        now: the time the socket opened; the welcome is due ``welcome_timeout`` later.
        connect_id: the id the socket was dialled with (a Pro welcome's session id
            replaces it).
        ping_interval: seconds between pings (a Pro welcome may change it).
        ping_timeout: seconds of silence after a ping that mean a dead link.
        welcome_timeout: seconds from ``now`` for the welcome and, on Pro flow B, the
            answer to the signed auth.
        ack_timeout: seconds from sending a request to its answer.
        auth: Pro flow B: returns the signed ``op: auth`` fields, called when the welcome
            arrives (the signature carries a timestamp).
        op_ping: send the Pro ``op: ping`` form (flow B) rather than the Classic one.
        limit: client frames allowed per window.
        window: the pacing window in seconds; the server's 10 s plus a margin.
        wall_clock: epoch seconds, for request ids and the ``op: ping`` timestamp.
    """

    def __init__(
        self,
        key: WsKey,
        now: float,
        *,
        connect_id: str,
        ping_interval: float,
        ping_timeout: float,
        welcome_timeout: float = 10.0,
        ack_timeout: float = 10.0,
        auth: Callable[[], Mapping[str, str]] | None = None,
        op_ping: bool = False,
        limit: int = MAX_MESSAGES,
        window: float = MESSAGE_WINDOW_S + WINDOW_MARGIN_S,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.key = key
        self.state = State.CONNECTING
        self.connect_id = connect_id
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        self.welcome_timeout = welcome_timeout
        self.ack_timeout = ack_timeout
        self.close_reason: Exception | None = None
        self.unreadable = 0
        self._classic = key.dialect is Dialect.CLASSIC
        #: `receive_frame`'s decoder: it may raise anything, and `receive` then reports it
        self._first_try: Callable[[str], fr.ClassicFrame | fr.ProFrame] = (
            fr.classic_first_try if self._classic else fr.decode_pro
        )
        self._auth = auth
        self._auth_id: str | None = None
        self._op_ping = op_ping
        self._wall = wall_clock
        self._ids = itertools.count(int(wall_clock() * 1000))
        self._now = now
        self._ready_by = now + welcome_timeout
        self._last_received = -math.inf
        self._next_ping: float | None = None
        self._checks: deque[tuple[float, float]] = deque()  # (due, ping sent at) per ping
        self._ping_ids: deque[str] = deque(maxlen=16)
        self._pacer = Pacer(limit, window)
        self._set_reserve()
        self._control: deque[tuple[str, bool]] = deque()  # (frame, is a ping)
        self._unsent: deque[str] = deque()
        self._pending: dict[str, _Pending] = {}
        self._awaiting: dict[str, float] = {}  # sent request id -> ack deadline, in send order

    # --- the driver's side -----------------------------------------------------------

    @property
    def pending(self) -> int:
        """Requests queued or sent and not answered yet."""
        return len(self._pending)

    def request(self, kind: str, request: Request, now: float) -> str:
        """Queue a ``subscribe`` or ``unsubscribe`` frame; returns its request id.

        The answer arrives as an ``Acked`` or ``Refused`` event with that id; no answer
        within ``ack_timeout`` of sending it ends the protocol (``LinkDead``).

        Raises:
            Exception: the reason the protocol ended, if it has.
        """
        if self.close_reason is not None:
            raise self.close_reason
        self._now = now
        request_id = str(next(self._ids))
        if self._classic:
            text = fr.encode_classic_request(
                request_id, kind, request.topic, private=self.key.is_private
            )
        else:
            text = fr.encode_pro_request(request_id, kind, request.channel, dict(request.params))
        self._pending[request_id] = _Pending(kind, request, text)
        self._unsent.append(request_id)
        return request_id

    def receive(self, data: str | bytes, now: float) -> list[ev.Event]:
        """Take one inbound frame (text, or binary: plain or deflate-raw JSON)."""
        if self.state is State.CLOSED:
            return []
        self._now = self._last_received = now
        raw: str | bytes = data
        try:
            raw = inflate(data) if isinstance(data, bytes) else data
            if len(raw) > MAX_FRAME_BYTES:
                raise DecodeError(f"frame of {len(raw)} bytes, over the {MAX_FRAME_BYTES} limit")
            frame = fr.decode_classic(raw) if self._classic else fr.decode_pro(raw)
        except Exception as exc:  # DecodeError, or what a hostile frame provokes in a parser
            if not isinstance(exc, DecodeError):
                exc = DecodeError(f"{type(exc).__name__}: {exc}")
            self.unreadable += 1
            return [ev.UnreadableFrame(reported_bytes(raw), exc)]
        if type(frame) is fr.ClassicMessage or type(frame) is fr.ProPush:
            return [ev.PushReceived(frame, raw)] if self.state is not State.CONNECTING else []
        return self._control_frame(frame, now)

    def receive_frame(self, data: str | bytes, now: float) -> Push | list[ev.Event]:
        """`receive`, but a push on an open socket comes back as the frame itself.

        The driver's per-frame call: a text push on an open socket (nearly every frame)
        costs no event and no list. Anything else (a control frame, a binary or oversized
        frame, a frame that does not decode at first try, another state) gives exactly
        what `receive` gives, its events.
        """
        if type(data) is str and self.state is _OPEN and len(data) <= MAX_FRAME_BYTES:
            try:
                frame = self._first_try(data)
            except Exception:  # `receive` decodes it again: repaired, or reported
                return self.receive(data, now)
            self._now = self._last_received = now
            if type(frame) is fr.ClassicMessage or type(frame) is fr.ProPush:
                return frame
            return self._control_frame(frame, now)
        return self.receive(data, now)

    def tick(self, now: float) -> list[ev.Event]:
        """Act on the time: the welcome's deadline, ack timeouts, liveness, pings due."""
        if self.state is State.CLOSED:
            return []
        self._now = now
        if self.state is not State.OPEN and now >= self._ready_by:
            what = "no welcome" if self.state is State.CONNECTING else "no answer to the auth"
            lost = ConnectionLost(f"{what} within {self.welcome_timeout} s")
            return self._end(ev.LinkDead(lost))
        if self._awaiting:
            request_id, due = next(iter(self._awaiting.items()))
            if now >= due:
                p = self._pending[request_id]
                text = f"no answer to {p.kind} {p.request.label!r} within {self.ack_timeout} s"
                return self._end(ev.LinkDead(ConnectionLost(text)))
        while self._checks and now >= self._checks[0][0]:
            _, sent_at = self._checks.popleft()
            if self._last_received < sent_at:
                text = f"no frame within {self.ping_timeout} s of a ping"
                return self._end(ev.LinkDead(ConnectionLost(text)))
        if self._next_ping is not None and now >= self._next_ping:
            ping_id = str(next(self._ids))
            self._ping_ids.append(ping_id)
            text = (
                fr.encode_pro_op_ping(ping_id, int(self._wall() * 1000))
                if self._op_ping
                else fr.encode_classic_ping(ping_id)
            )
            self._control.append((text, True))
            self._next_ping = now + self.ping_interval
        return []

    def data_to_send(self, now: float) -> list[str]:
        """The frames the pacer lets go at ``now``, control frames first; each is counted."""
        if self.state is State.CLOSED:
            return []
        self._now = now
        out: list[str] = []
        pacer = self._pacer
        while self._control and pacer.take(now, control=True):
            text, is_ping = self._control.popleft()
            out.append(text)
            if is_ping:
                self._checks.append((now + self.ping_timeout, now))
        if self.state is State.OPEN:
            self._drop_answered()
            while self._unsent and pacer.take(now, control=False):
                request_id = self._unsent.popleft()
                out.append(self._pending[request_id].text)
                self._awaiting[request_id] = now + self.ack_timeout
                self._drop_answered()
        return out

    def next_deadline(self) -> float | None:
        """When `tick` or `data_to_send` next has work; ``None`` once closed.

        A time at or before the last one seen means "now".
        """
        if self.state is State.CLOSED:
            return None
        times = [self._ready_by] if self.state is not State.OPEN else []
        if self._next_ping is not None:
            times.append(self._next_ping)
        if self._checks:
            times.append(self._checks[0][0])
        if self._awaiting:
            times.append(next(iter(self._awaiting.values())))
        if self._control:
            times.append(self._pacer.next_slot(control=True) or self._now)
        if self.state is State.OPEN:
            self._drop_answered()
            if self._unsent:
                times.append(self._pacer.next_slot(control=False) or self._now)
        return min(times)

    def fail(self, reason: Exception) -> list[ev.Event]:
        """End the protocol from outside (the socket ended, the client closes it)."""
        if self.state is State.CLOSED:
            return []
        return self._end(ev.LinkDead(reason))

    # --- internals --------------------------------------------------------------------

    def _set_reserve(self) -> None:
        # Pings of one window, plus the auth frame and one of slack, must fit the reserve.
        pings = math.ceil(self._pacer.window / max(self.ping_interval, 1e-3))
        reserve = max(MIN_CONTROL_RESERVE, pings + 2)
        self._pacer.reserve = min(reserve, self._pacer.limit // 2)

    def _drop_answered(self) -> None:
        while self._unsent and self._unsent[0] not in self._pending:
            self._unsent.popleft()

    def _end(self, event: ev.Ended) -> list[ev.Event]:
        self.state = State.CLOSED
        self.close_reason = event.reason
        self._control.clear()
        self._unsent.clear()
        self._pending.clear()
        self._awaiting.clear()
        self._checks.clear()
        self._next_ping = None
        return [event]

    def _control_frame(self, frame: fr.ClassicFrame | fr.ProFrame, now: float) -> list[ev.Event]:
        if isinstance(frame, fr.ClassicWelcome | fr.ProWelcome):
            return self._welcomed(frame, now) if self.state is State.CONNECTING else []
        if isinstance(frame, fr.ClassicError | fr.ProError):
            return self._error(frame.id, frame.code, frame.data)
        if self.state is State.CONNECTING:
            return []  # nothing else means anything before the welcome
        if isinstance(frame, fr.ClassicPong | fr.ProPong):
            return [ev.PongReceived(frame.id)]
        if isinstance(frame, fr.ClassicAck):
            return self._answer(frame.id, None)
        if isinstance(frame, fr.ProAck):
            if frame.id == self._auth_id and self.state is State.AUTHENTICATING:
                if frame.ok:
                    self.state = State.OPEN
                    return [ev.Authenticated()]
                return self._auth_refused(frame.code or None, frame.msg or "authentication refused")
            return self._answer(
                frame.id, None if frame.ok else Rejected(frame.code, frame.msg or "refused")
            )
        return []

    def _welcomed(self, frame: fr.ClassicWelcome | fr.ProWelcome, now: float) -> list[ev.Event]:
        session_id = None
        if isinstance(frame, fr.ProWelcome):
            session_id = frame.session_id
            self.connect_id = frame.session_id or self.connect_id
            if frame.ping_interval_ms:
                self.ping_interval = frame.ping_interval_ms / 1000
                self._set_reserve()
            if frame.ping_timeout_ms:
                self.ping_timeout = frame.ping_timeout_ms / 1000
        self._next_ping = now + self.ping_interval
        if self._auth is not None:
            self.state = State.AUTHENTICATING
            self._auth_id = str(next(self._ids))
            self._control.append((fr.encode_pro_auth(self._auth_id, self._auth()), False))
        else:
            self.state = State.OPEN
        return [ev.Welcomed(session_id)]

    def _answer(self, request_id: str | None, error: Rejected | None) -> list[ev.Event]:
        p = self._pending.pop(request_id or "", None)
        if p is None or request_id is None:
            return []  # an answer to nothing (or to a request already answered): harmless
        self._awaiting.pop(request_id, None)
        if error is None:
            return [ev.Acked(request_id, p.kind, p.request)]
        return [ev.Refused(request_id, p.kind, p.request, error)]

    def _error(self, frame_id: str | None, code: int | str, data: str | None) -> list[ev.Event]:
        text = data or "error"
        if self.state is State.CONNECTING:
            reason = ConnectionLost(f"refused before welcome: {code} {data}", code=code)
            return self._end(ev.ErrorFrame(reason, code))
        if self.state is State.AUTHENTICATING:
            return self._auth_refused(str(code), data or "authentication refused")
        if frame_id is not None and frame_id in self._pending:
            return self._answer(frame_id, Rejected(code, text))
        if frame_id is not None and frame_id in self._ping_ids:
            return [ev.PingRefused(frame_id, code, text)]
        reason = ConnectionLost(f"server error {code}: {data}", code=code)
        return self._end(ev.ErrorFrame(reason, code))

    def _auth_refused(self, code: str | None, message: str) -> list[ev.Event]:
        if code in AUTH_CODES:
            fatal: Exception = AuthError(code, message, status=401, path="ws op:auth")
            return self._end(ev.AuthRefused(fatal))
        # A refusal with only a reason (or an unknown code) does not prove the credentials
        # wrong: the token flow is tried next, and it tells.
        text = f"signed auth refused: {code or 'no code'}: {message}"
        return self._end(ev.AuthRefused(ConnectionLost(text, code=code)))


def reported_bytes(raw: str | bytes) -> bytes:
    """What an event carries of a bad frame: its bytes, at most `MAX_REPORTED_BYTES`."""
    data = raw.encode(errors="surrogateescape") if isinstance(raw, str) else raw
    return data[:MAX_REPORTED_BYTES]


def inflate(data: bytes, limit: int = MAX_FRAME_BYTES) -> bytes:
    """Binary frames hold plain JSON or deflate-raw compressed JSON.

    Raises:
        DecodeError: the frame inflates past ``limit`` bytes (a deflate bomb is refused
            before it is expanded in full).
    """
    if data[:1] in (b"{", b"["):
        return data
    inflater = zlib.decompressobj(-15)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error:
        return data
    if len(out) > limit or inflater.unconsumed_tail:
        raise DecodeError(f"binary frame inflates past the {limit}-byte limit")
    return out
