"""The sans-I/O protocol core on a fake clock: no sockets, no sleeps.

Each test feeds frames and times to a `Protocol` and checks the events and the frames it
lets go. `Wire` plays a tiny server with a chosen latency, so pacing and liveness are
checked over tens of simulated seconds in microseconds.
"""

from __future__ import annotations

import ast
import heapq
import json
import random
import zlib
from collections import deque
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import msgspec
import pytest

from rxkucoin import AuthError, ConnectionLost, WsKey, _pacer
from rxkucoin import _protocol as pr
from rxkucoin import _protocol_events as ev
from rxkucoin._protocol import Protocol, Request, State

WALL = 1_700_000_000.0
AUTH_FIELDS = {
    "kc-api-key": "k",
    "kc-api-sign": "s",
    "kc-api-timestamp": "1",
    "kc-api-passphrase": "p",
}


def classic(
    now: float = 0.0, *, ping_interval: float = 18.0, ping_timeout: float = 10.0
) -> Protocol:
    return Protocol(
        WsKey.SPOT_PRIVATE_V1,
        now,
        connect_id="cid",
        ping_interval=ping_interval,
        ping_timeout=ping_timeout,
        wall_clock=lambda: WALL,
    )


def pro_signed(now: float = 0.0) -> Protocol:
    return Protocol(
        WsKey.PRIVATE_PRO_V2,
        now,
        connect_id="cid",
        ping_interval=18.0,
        ping_timeout=10.0,
        auth=lambda: AUTH_FIELDS,
        op_ping=True,
        wall_clock=lambda: WALL,
    )


def opened(now: float = 0.0, **kwargs: float) -> Protocol:
    p = classic(now, **kwargs)
    assert p.receive('{"id":"cid","type":"welcome"}', now) == [ev.Welcomed(None)]
    return p


def sub(n: int) -> Request:
    return Request(f"/t{n}", topic=f"/spotMarket/tradeOrders{n}", channel="orderAll")


def frames(p: Protocol, now: float) -> list[dict[str, Any]]:
    return [json.loads(f) for f in p.data_to_send(now)]


def most_in_any_window(times: list[float], window: float = 10.0) -> int:
    times = sorted(times)
    return max(
        (sum(1 for s in times[i:] if s < t + window) for i, t in enumerate(times)), default=0
    )


class Wire:
    """Drives a protocol against a small server model, on a fake clock.

    The server answers pings with pongs and requests with acks (Classic or Pro form),
    after ``latency`` (a number, or a function of the frame for jitter), and refuses what
    exceeds 100 frames in 10 s *as it receives them*, as KuCoin does.
    """

    def __init__(
        self,
        p: Protocol,
        now: float = 0.0,
        *,
        latency: float | Callable[[], float] = 0.01,
        answer: bool = True,
    ) -> None:
        self.p = p
        self.now = now
        self.latency = latency
        self.answer = answer
        self.sent: list[tuple[float, dict[str, Any]]] = []
        self.arrived: list[float] = []
        self.refusals = 0
        self.events: list[ev.Event] = []
        self._inbox: list[tuple[float, int, str]] = []
        self._seq = 0
        self._server_window: deque[float] = deque()

    def deliver(self, at: float, text: str) -> None:
        heapq.heappush(self._inbox, (at, self._seq, text))
        self._seq += 1

    def _delay(self) -> float:
        return self.latency() if callable(self.latency) else self.latency

    def _serve(self, frame: dict[str, Any], at: float) -> None:
        arrive = at + self._delay()
        self.arrived.append(arrive)
        window = self._server_window
        while window and arrive - window[0] >= 10.0:
            window.popleft()
        rid = frame.get("id")
        if len(window) >= 100:
            self.refusals += 1
            self.deliver(
                arrive,
                json.dumps({"id": rid, "result": False, "reason": "exceed max permits per second"}),
            )
            return
        window.append(arrive)
        if not self.answer:
            return
        if frame.get("type") == "ping" or frame.get("op") == "ping":
            self.deliver(arrive, json.dumps({"id": rid, "type": "pong"}))
        elif frame.get("op") == "auth" or "action" in frame:
            self.deliver(arrive, json.dumps({"id": rid, "result": True}))
        else:
            self.deliver(arrive, json.dumps({"id": rid, "type": "ack"}))

    def run(self, until: float) -> None:
        """Advance to ``until``, waking exactly when the protocol or a frame asks."""
        while self.p.state is not State.CLOSED:
            deadline = self.p.next_deadline()
            due = min(
                deadline if deadline is not None else float("inf"),
                self._inbox[0][0] if self._inbox else float("inf"),
            )
            if due > until:
                break
            self.now = max(self.now, due)
            while self._inbox and self._inbox[0][0] <= self.now:
                self.events += self.p.receive(heapq.heappop(self._inbox)[2], self.now)
            self.events += self.p.tick(self.now)
            for text in self.p.data_to_send(self.now):
                frame = json.loads(text)
                self.sent.append((self.now, frame))
                self._serve(frame, self.now)
        if self.p.state is not State.CLOSED:
            self.now = max(self.now, until)

    def pings(self) -> list[float]:
        return [t for t, f in self.sent if f.get("type") == "ping" or f.get("op") == "ping"]

    def of(self, kind: type[Any]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]


# --- purity -------------------------------------------------------------------------------


@pytest.mark.parametrize("module", [pr, _pacer, ev], ids=lambda m: m.__name__)
def test_the_core_imports_no_io_or_rx(module: ModuleType) -> None:
    assert module.__file__ is not None
    tree = ast.parse(Path(module.__file__).read_text())
    imported = {
        name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for name in (
            [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
        )
    }
    assert not imported & {"asyncio", "aiohttp", "reactivex", "socket", "threading"}


# --- welcome --------------------------------------------------------------------------------


def test_a_classic_welcome_opens_and_starts_the_heartbeat() -> None:
    p = classic(5.0)
    assert p.next_deadline() == 15.0  # the welcome's deadline
    assert p.receive('{"id":"cid","type":"welcome"}', 6.0) == [ev.Welcomed(None)]
    assert p.state is State.OPEN and p.next_deadline() == 24.0  # the first ping
    assert p.tick(23.9) == [] and p.data_to_send(23.9) == []
    assert p.tick(24.0) == [] and frames(p, 24.0) == [{"id": str(int(WALL * 1000)), "type": "ping"}]


@pytest.mark.parametrize("form", ["message", "data"])
def test_a_pro_welcome_in_either_form_sets_the_session_and_heartbeat(form: str) -> None:
    p = Protocol(WsKey.PRIVATE_PRO_V2, 0.0, connect_id="cid", ping_interval=18.0, ping_timeout=10.0)
    welcome = {form: "welcome", "sessionId": "s-1", "pingInterval": 5000, "pingTimeout": 2000}
    assert p.receive(json.dumps(welcome), 1.0) == [ev.Welcomed("s-1")]
    assert p.state is State.OPEN and p.connect_id == "s-1"
    assert (p.ping_interval, p.ping_timeout, p.next_deadline()) == (5.0, 2.0, 6.0)


def test_no_welcome_in_time_is_a_dead_link() -> None:
    p = classic()
    assert p.receive('{"type":"message","topic":"/x","data":{}}', 1.0) == []  # not yet open
    assert p.tick(9.99) == []
    [event] = p.tick(10.0)
    assert isinstance(event, ev.LinkDead) and isinstance(event.reason, ConnectionLost)
    assert "no welcome within 10.0 s" in str(event.reason)
    assert p.state is State.CLOSED and p.next_deadline() is None and p.tick(99.0) == []


def test_an_error_before_the_welcome_ends_with_its_code() -> None:
    p = classic()
    [event] = p.receive('{"id":"cid","type":"error","code":401,"data":"token is invalid"}', 0.1)
    assert isinstance(event, ev.ErrorFrame) and event.code == 401
    assert isinstance(event.reason, ConnectionLost) and event.reason.code == 401
    assert "refused before welcome" in str(event.reason)


# --- Pro flow B: the signed auth ---------------------------------------------------------


def test_the_signed_auth_goes_first_is_paced_and_gates_requests() -> None:
    p = pro_signed()
    for n in range(200):
        p.request("subscribe", sub(n), 0.0)
    assert p.data_to_send(0.0) == []  # nothing before the welcome
    p.receive('{"data":"welcome","sessionId":"s"}', 0.5)
    assert p.state.value == "authenticating"
    [auth] = frames(p, 0.5)  # the auth, and no request before its answer
    assert auth["op"] == "auth" and auth["kc-api-key"] == "k"
    assert p.receive(json.dumps({"id": auth["id"], "result": True}), 0.6) == [ev.Authenticated()]
    assert p.state is State.OPEN
    burst = frames(p, 0.6)
    assert len(burst) == 95 and all(f["action"] == "SUBSCRIBE" for f in burst)
    # the auth counted: 96 frames in the window, 4 left for pings, none for requests
    assert p._pacer.in_window(0.6) == 96
    for f in burst:
        p.receive(json.dumps({"id": f["id"], "result": True}), 0.7)
    assert p.next_deadline() == pytest.approx(
        0.6 + _pacer.MESSAGE_WINDOW_S + _pacer.WINDOW_MARGIN_S
    )
    assert len(frames(p, 11.0)) == 0 and len(frames(p, 11.1)) == 95


@pytest.mark.parametrize(
    ("answer", "fatal", "words"),
    [
        ({"result": False, "reason": "session busy, try later"}, False, "session busy, try later"),
        ({"result": False, "code": "400003", "msg": "KC-API-KEY not exists"}, True, "not exists"),
        ({"result": False, "code": "999999", "msg": "odd"}, False, "999999: odd"),
        ({"type": "error", "code": 400005, "data": "Invalid KC-API-SIGN"}, True, "KC-API-SIGN"),
        ({"type": "error", "code": 500, "data": "system error"}, False, "500: system error"),
    ],
    ids=[
        "reason-only",
        "credentials-code",
        "unknown-code",
        "error-frame-credentials",
        "error-frame-other",
    ],
)
def test_auth_answers_are_fatal_only_with_a_credentials_code(
    answer: dict[str, Any], fatal: bool, words: str
) -> None:
    p = pro_signed()
    p.receive('{"message":"welcome"}', 0.0)
    [auth] = frames(p, 0.0)
    [event] = p.receive(json.dumps({"id": auth["id"], **answer}), 0.1)
    assert isinstance(event, ev.AuthRefused) and p.state is State.CLOSED
    assert isinstance(event.reason, AuthError) is fatal
    assert fatal or isinstance(event.reason, ConnectionLost)
    assert words in str(event.reason)


def test_no_answer_to_the_auth_in_time_is_a_dead_link() -> None:
    p = pro_signed()
    p.receive('{"message":"welcome"}', 1.0)
    p.data_to_send(1.0)
    [event] = p.tick(10.0)
    assert isinstance(event, ev.LinkDead) and "no answer to the auth" in str(event.reason)


def test_flow_b_pings_in_the_op_form_flow_a_in_the_classic_form() -> None:
    p = pro_signed()
    p.receive('{"message":"welcome"}', 0.0)
    [auth] = frames(p, 0.0)
    p.receive(json.dumps({"id": auth["id"], "result": True}), 0.0)
    p.tick(18.0)
    [ping] = frames(p, 18.0)
    assert ping["op"] == "ping" and ping["timestamp"] == int(WALL * 1000)
    p = Protocol(WsKey.PRIVATE_PRO_V2, 0.0, connect_id="c", ping_interval=18.0, ping_timeout=10.0)
    p.receive('{"message":"welcome"}', 0.0)
    p.tick(18.0)
    assert [f["type"] for f in frames(p, 18.0)] == ["ping"]


# --- pacing ----------------------------------------------------------------------------------


@pytest.mark.parametrize("ping_interval", [18.0, 2.0, 0.3])
def test_pings_never_wait_behind_a_subscribe_burst(ping_interval: float) -> None:
    p = opened(ping_interval=ping_interval, ping_timeout=min(10.0, ping_interval * 2))
    for n in range(300):
        p.request("subscribe", sub(n), 0.0)
    wire = Wire(p)
    wire.run(until=60.0)  # 300 requests need 5 windows at a 0.3 s ping interval
    pings = wire.pings()
    expected = [round(ping_interval * k, 9) for k in range(1, int(60.0 / ping_interval) + 1)]
    assert [round(t, 9) for t in pings] == expected[: len(pings)]
    assert len(pings) >= len(expected) - 1  # every ping left at its due time
    assert most_in_any_window([t for t, _ in wire.sent]) <= 100
    assert len(wire.of(ev.Acked)) == 300 and wire.refusals == 0 and p.state is State.OPEN


def test_150_pro_topics_replayed_after_a_drop_never_exceed_the_server_budget() -> None:
    rng = random.Random(9)
    p = pro_signed(100.0)
    for n in range(150):
        p.request(
            "subscribe", Request(f"t{n}", channel="orderAll", params=(("symbol", f"S{n}"),)), 100.0
        )
    # jittered latency: the server counts frames on arrival, not when they were sent
    wire = Wire(p, 100.0, latency=lambda: rng.uniform(0.001, 0.4))
    wire.deliver(100.05, '{"data":"welcome","sessionId":"s"}')
    wire.run(until=160.0)
    assert wire.refusals == 0 and p.state is State.OPEN
    assert len(wire.of(ev.Acked)) == 150 and not wire.of(ev.Refused)
    assert most_in_any_window(wire.arrived) <= 100
    assert len(wire.pings()) == 3  # at 118, 136, 154: on time, replay or not


def test_requests_leave_in_the_order_asked_across_pacing_waits() -> None:
    p = opened()
    kinds = [("subscribe", n) for n in range(120)] + [("unsubscribe", 7), ("subscribe", 7)]
    ids = [p.request(kind, sub(n), 0.0) for kind, n in kinds]
    wire = Wire(p)
    wire.run(until=30.0)
    requests = [f for _, f in wire.sent if f["type"] != "ping"]
    assert [f["id"] for f in requests] == ids
    assert [(f["type"], f["topic"]) for f in requests[-2:]] == [
        ("unsubscribe", "/spotMarket/tradeOrders7"),
        ("subscribe", "/spotMarket/tradeOrders7"),
    ]


# --- acks ------------------------------------------------------------------------------------


def test_an_ack_timeout_counts_from_sending_and_ends_the_link() -> None:
    p = opened()
    ids = [p.request("subscribe", sub(n), 1.0) for n in range(100)]
    assert len(frames(p, 1.0)) == 95  # five stay queued: the control reserve
    for request_id in ids[:95]:
        [ack] = p.receive(json.dumps({"id": request_id, "type": "ack"}), 2.0)
        assert isinstance(ack, ev.Acked) and ack.kind == "subscribe"
    assert p.next_deadline() == pytest.approx(11.5)  # the queued five wait for the window
    assert p.tick(11.4) == []  # queued for 10.4 s, but not sent: no timeout
    assert len(frames(p, 11.5)) == 5
    assert p.tick(21.49) == []
    [event] = p.tick(21.5)
    assert isinstance(event, ev.LinkDead)
    assert "no answer to subscribe '/t95' within 10.0 s" in str(event.reason)
    with pytest.raises(ConnectionLost):
        p.request("subscribe", sub(1), 22.0)


def test_answers_to_nothing_are_harmless() -> None:
    p = opened()
    request_id = p.request("subscribe", sub(1), 0.0)
    p.data_to_send(0.0)
    assert p.receive('{"id":"424242","type":"ack"}', 0.1) == []
    assert p.receive('{"id":"424243","type":"pong"}', 0.1) == [ev.PongReceived("424243")]
    assert p.receive('{"type":"pong"}', 0.1) == [ev.PongReceived(None)]
    assert p.state is State.OPEN and p.pending == 1
    assert isinstance(p.receive(json.dumps({"id": request_id, "type": "ack"}), 0.2)[0], ev.Acked)
    assert p.receive(json.dumps({"id": request_id, "type": "ack"}), 0.3) == []  # answered twice


def test_an_error_frame_refuses_its_request_one_without_ends_the_link() -> None:
    p = opened()
    request_id = p.request("subscribe", sub(1), 0.0)
    other = p.request("subscribe", sub(2), 0.0)
    p.data_to_send(0.0)
    error = {"id": request_id, "type": "error", "code": 404, "data": "topic does not exist"}
    [refused] = p.receive(json.dumps(error), 0.1)
    assert isinstance(refused, ev.Refused) and refused.request == sub(1)
    assert (refused.error.code, refused.error.reason) == (404, "topic does not exist")
    assert p.state is State.OPEN and p.pending == 1
    [ended] = p.receive('{"id":"cid","type":"error","code":401,"data":"token is expired"}', 0.2)
    assert isinstance(ended, ev.ErrorFrame) and ended.code == 401
    assert isinstance(ended.reason, ConnectionLost) and ended.reason.code == 401
    assert "token is expired" in str(ended.reason) and p.pending == 0
    assert p.receive(json.dumps({"id": other, "type": "ack"}), 0.3) == []  # closed: ignored


def test_a_pro_refusal_carries_its_reason() -> None:
    p = Protocol(WsKey.PRIVATE_PRO_V2, 0.0, connect_id="c", ping_interval=18.0, ping_timeout=10.0)
    p.receive('{"message":"welcome"}', 0.0)
    request_id = p.request("subscribe", Request("orderAll", channel="orderAll"), 0.0)
    p.data_to_send(0.0)
    answer = {"id": request_id, "result": False, "reason": "exceed max permits per second"}
    [refused] = p.receive(json.dumps(answer), 0.1)
    assert isinstance(refused, ev.Refused) and refused.error.code is None
    assert refused.error.reason == "exceed max permits per second" and p.state is State.OPEN


def test_an_error_answering_a_ping_does_not_end_the_link() -> None:
    p = opened()
    p.tick(18.0)
    [ping] = frames(p, 18.0)
    error = {
        "id": ping["id"],
        "type": "error",
        "code": 509,
        "data": "exceed max permits per second",
    }
    assert p.receive(json.dumps(error), 18.1) == [
        ev.PingRefused(ping["id"], 509, "exceed max permits per second")
    ]
    assert p.state is State.OPEN and p.tick(28.0) == []  # and it counts as a sign of life


# --- liveness --------------------------------------------------------------------------------


def test_silence_after_a_ping_is_a_dead_link() -> None:
    p = opened(ping_timeout=10.0)
    p.receive('{"type":"message","topic":"/x","data":{}}', 17.0)  # before the ping: no proof
    p.tick(18.0)
    assert len(p.data_to_send(18.0)) == 1
    assert p.next_deadline() == 28.0
    assert p.tick(27.99) == []
    [event] = p.tick(28.0)
    assert isinstance(event, ev.LinkDead) and "no frame within 10.0 s of a ping" in str(
        event.reason
    )


def test_any_frame_after_a_ping_keeps_the_link_alive() -> None:
    p = opened(ping_timeout=10.0)
    p.tick(18.0)
    p.data_to_send(18.0)
    [push] = p.receive('{"type":"message","topic":"/x","subject":"s","data":{"a":1}}', 19.0)
    assert isinstance(push, ev.PushReceived) and push.frame.topic == "/x"
    assert p.tick(28.0) == [] and p.state is State.OPEN  # a push is as good as a pong


def test_each_ping_has_its_own_check_when_the_timeout_exceeds_the_interval() -> None:
    p = opened(ping_interval=5.0, ping_timeout=8.0)
    wire = Wire(p, answer=False)  # a server that takes frames and never answers
    wire.deliver(6.0, '{"type":"pong"}')  # one sign of life after the first ping only
    wire.run(until=20.0)
    [event] = wire.of(ev.Ended)
    assert "no frame within 8.0 s" in str(event.reason)
    assert wire.now == pytest.approx(18.0)  # the second ping's check (10 + 8), not a later one


# --- frames ----------------------------------------------------------------------------------


def test_unreadable_frames_are_reported_and_the_socket_goes_on() -> None:
    p = opened()
    [bad] = p.receive("not json", 1.0)
    assert isinstance(bad, ev.UnreadableFrame) and bad.raw == b"not json"
    huge = '{"type":"message","topic":"/x","data":"' + "a" * pr.MAX_FRAME_BYTES + '"}'
    [big] = p.receive(huge, 1.0)
    assert isinstance(big, ev.UnreadableFrame) and "limit" in str(big.error)
    assert len(big.raw) == pr.MAX_REPORTED_BYTES
    bomb = zlib.compressobj(9, zlib.DEFLATED, -15)
    packed = bomb.compress(b"{" + b" " * (pr.MAX_FRAME_BYTES + 10) + b"}") + bomb.flush()
    [boom] = p.receive(packed, 1.0)
    assert isinstance(boom, ev.UnreadableFrame) and "inflates past" in str(boom.error)
    assert p.unreadable == 3 and p.state is State.OPEN


def test_a_deflated_binary_push_is_read() -> None:
    p = Protocol(WsKey.PRIVATE_PRO_V2, 0.0, connect_id="c", ping_interval=18.0, ping_timeout=10.0)
    p.receive(b'{"message":"welcome"}', 0.0)
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    body = b'{"T":"orderAll.UNIFIED","P":1,"d":{"oi":"1"}}'
    [push] = p.receive(packer.compress(body) + packer.flush(), 1.0)
    assert isinstance(push, ev.PushReceived) and push.frame.topic == "orderAll.UNIFIED"
    assert push.raw == body


def test_a_socket_that_ends_fails_the_protocol_once() -> None:
    p = opened()
    p.request("subscribe", sub(1), 0.0)
    lost = ConnectionLost("server closed the connection")
    assert p.fail(lost) == [ev.LinkDead(lost)]
    assert p.fail(ConnectionLost("again")) == [] and p.close_reason is lost
    assert p.data_to_send(1.0) == [] and p.pending == 0


def _seen(event: ev.Event) -> object:
    """An event as comparable data (errors by their text, a push's payload by its bytes)."""
    if isinstance(event, ev.PushReceived):
        frame = msgspec.structs.replace(event.frame, data=msgspec.Raw())
        return frame, bytes(event.frame.data), event.raw
    return repr(event)


def _same_frames(make: Callable[[], Protocol], frames: list[str | bytes]) -> int:
    """Feed ``frames`` to two protocols, one by `receive` and one by `receive_frame`; every
    answer must match (a push given as itself stands for its event). Returns how many
    pushes came as themselves."""
    by_events, by_frame = make(), make()
    direct = 0
    for i, data in enumerate(frames):
        now = float(i)
        if i == 3:  # a request in flight, so that an answer to it is an answer
            assert by_events.request("subscribe", sub(1), now) == by_frame.request(
                "subscribe", sub(1), now
            )
            assert by_events.data_to_send(now) == by_frame.data_to_send(now)
        expected = by_events.receive(data, now)
        got = by_frame.receive_frame(data, now)
        if not isinstance(got, list):
            direct += 1
            assert isinstance(data, str)
            got = [ev.PushReceived(got, data)]
        assert list(map(_seen, got)) == list(map(_seen, expected)), data
        assert by_frame.state is by_events.state and by_frame.unreadable == by_events.unreadable
        assert by_frame.next_deadline() == by_events.next_deadline()
    return direct


def test_receive_frame_answers_as_receive_with_a_push_as_itself() -> None:
    push = '{"type":"message","topic":"/x","subject":"s","data":{"a":1}}'
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    deflated = packer.compress(push.encode()) + packer.flush()
    huge = '{"type":"message","topic":"/x","data":"' + "a" * pr.MAX_FRAME_BYTES + '"}'
    frames: list[str | bytes] = [
        push,  # before the welcome: dropped
        '{"id":"cid","type":"welcome"}',
        push,
        push,
        '{"id":' + str(int(WALL * 1000)) + ',"type":"ack"}',  # a numeric id: second chance
        '{"topic":"/x","subject":"s","data":{"b":2}}',  # a push without a type
        "not json",
        huge,
        deflated,
        push.encode(),
        '{"type":"pong"}',
        push,
    ]
    assert _same_frames(classic, frames) == 3
    frames = [
        '{"T":"orderAll.UNIFIED","P":1,"d":{"oi":"1"}}',  # before the auth's answer
        '{"message":"welcome"}',
        '{"T":"orderAll.UNIFIED","P":2,"d":{"oi":"2"}}',
        '{"id":"' + str(int(WALL * 1000)) + '","result":true}',  # the auth's answer
        '{"T":"orderAll.UNIFIED","P":3,"d":{"oi":"3"}}',
        '{"T":7}',
        '{"op":"pong","ts":1}',
    ]
    assert _same_frames(pro_signed, frames) == 1
