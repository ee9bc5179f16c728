"""Control frames of both dialects: PROTOCOL.md's examples, encoders, and garbage."""

from __future__ import annotations

import json

import msgspec
import pytest

from rxkucoin._frames import (
    ClassicAck,
    ClassicError,
    ClassicMessage,
    ClassicPong,
    ClassicWelcome,
    ProAck,
    ProError,
    ProPong,
    ProPush,
    ProWelcome,
    decode_classic,
    decode_pro,
    encode_classic_ping,
    encode_classic_request,
    encode_pro_auth,
    encode_pro_op_ping,
    encode_pro_request,
)
from rxkucoin.exceptions import DecodeError


def test_classic_welcome_ack_pong() -> None:
    assert decode_classic(b'{"id":"hQvf8jkno","type":"welcome"}') == ClassicWelcome(id="hQvf8jkno")
    assert decode_classic('{"id":"1545910660739","type":"ack"}') == ClassicAck(id="1545910660739")
    pong = decode_classic(b'{"id":"1545910590801","type":"pong"}')
    assert pong == ClassicPong(id="1545910590801", timestamp=None)
    timed = decode_classic(b'{"id":"1","type":"pong","timestamp":1730000000000}')
    assert isinstance(timed, ClassicPong) and timed.timestamp == 1730000000000


def test_classic_error_keeps_integer_code() -> None:
    frame = decode_classic(b'{"type":"error","code":401,"data":"token is expired","id":"abc"}')
    assert isinstance(frame, ClassicError)
    assert frame.code == 401 and type(frame.code) is int
    assert frame.data == "token is expired" and frame.id == "abc"


def test_classic_message_keeps_payload_raw() -> None:
    raw = (
        b'{"topic":"/spotMarket/tradeOrdersV2","type":"message","subject":"orderChange",'
        b'"userId":"633559791e1cbc0001f319bc","channelType":"private",'
        b'"data":{"symbol":"BTC-USDT","price":"50000"}}'
    )
    frame = decode_classic(raw)
    assert isinstance(frame, ClassicMessage)
    assert frame.topic == "/spotMarket/tradeOrdersV2"
    assert frame.subject == "orderChange"
    assert frame.user_id == "633559791e1cbc0001f319bc"
    assert frame.channel_type == "private"
    assert json.loads(bytes(frame.data)) == {"symbol": "BTC-USDT", "price": "50000"}


def test_classic_message_with_envelope_id() -> None:
    raw = (
        b'{"topic":"/account/balance","type":"message","subject":"account.balance",'
        b'"id":"354689988084000","data":{}}'
    )
    frame = decode_classic(raw)
    assert isinstance(frame, ClassicMessage) and frame.id == "354689988084000"


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        (b'{"type":"notice"}', "$.type"),
        (b'{"type":"error","code":"x"}', "$.code"),
        (b'{"type":"message"}', "$"),
        (b"[]", "$"),
        (b'{"type":"welcome"', "$"),
        (b"", "$"),
    ],
)
def test_classic_bad_frames_raise_decode_error(raw: bytes, path: str) -> None:
    with pytest.raises(DecodeError) as info:
        decode_classic(raw)
    assert info.value.path == path
    assert info.value.topic is None


def test_pro_welcome_capture_and_docs_variants() -> None:
    capture = (
        b'{"sessionId":"d2c9a1c2-1f44-4ba6-b4ed-31ff3b9243af","message":"welcome",'
        b'"pingInterval":18000}'
    )
    assert decode_pro(capture) == ProWelcome(
        session_id="d2c9a1c2-1f44-4ba6-b4ed-31ff3b9243af", ping_interval_ms=18000
    )
    assert isinstance(decode_pro(b'{"op":"welcome","pingInterval":30000}'), ProWelcome)
    assert isinstance(decode_pro(b'{"type":"welcome","id":"x"}'), ProWelcome)
    full = decode_pro(b'{"message":"welcome","pingInterval":18000,"pingTimeout":10000}')
    assert isinstance(full, ProWelcome) and full.ping_timeout_ms == 10000


def test_pro_acks_boolean_and_string_results() -> None:
    assert decode_pro(b'{"id":"168651203381","result":true}') == ProAck(id="168651203381", ok=True)
    assert decode_pro(b'{"id":"1","result":"true"}') == ProAck(id="1", ok=True)
    failed = decode_pro(b'{"id":"2","result":false,"code":"400005","msg":"Invalid KC-API-SIGN"}')
    assert failed == ProAck(id="2", ok=False, code="400005", msg="Invalid KC-API-SIGN")
    assert decode_pro(b'{"id":3,"result":"false"}') == ProAck(id="3", ok=False)


def test_pro_pongs_both_forms() -> None:
    capture = b'{"type":"pong","id":"366142583719543","ts":1771580331134146844}'
    assert decode_pro(capture) == ProPong(id="366142583719543", ts_ns=1771580331134146844)
    assert decode_pro(b'{"id":"u-1","op":"pong","timestamp":1}') == ProPong(id="u-1")


def test_pro_push_capture() -> None:
    raw = (
        b'{"T":"balance.UNIFIED","P":1771732989773425836,"d":{"c":"USDT","e":"500.0000000000",'
        b'"b":"500.0000000000","a":"499.9700000000","h":"0.0300000000","U":1771504095649000000,'
        b'"l":"0.0000000000"}}'
    )
    push = decode_pro(raw)
    assert isinstance(push, ProPush)
    assert push.topic == "balance.UNIFIED"
    assert push.push_time_ns == 1771732989773425836 and type(push.push_time_ns) is int
    assert json.loads(bytes(push.data))["a"] == "499.9700000000"


def test_pro_error_frame() -> None:
    frame = decode_pro(b'{"type":"error","code":401,"data":"token is expired","id":"9"}')
    assert frame == ProError(id="9", code="401", data="token is expired")


@pytest.mark.parametrize("raw", [b"{}", b'{"foo":1}', b"nope", b'{"T":5}', b'{"P":"x","T":"a"}'])
def test_pro_bad_frames_raise_decode_error(raw: bytes) -> None:
    with pytest.raises(DecodeError):
        decode_pro(raw)


def test_classic_request_encoding() -> None:
    frame = json.loads(encode_classic_request("42", "subscribe", "/account/balance", private=True))
    assert frame == {
        "id": "42",
        "type": "subscribe",
        "topic": "/account/balance",
        "privateChannel": True,
        "response": True,
    }
    unsub = json.loads(encode_classic_request("43", "unsubscribe", "/x", private=False))
    assert unsub["type"] == "unsubscribe" and unsub["privateChannel"] is False
    with pytest.raises(ValueError, match="subscribe or unsubscribe"):
        encode_classic_request("1", "ping", "/x", private=True)


def test_pings_and_pro_requests() -> None:
    assert json.loads(encode_classic_ping("7")) == {"id": "7", "type": "ping"}
    assert json.loads(encode_pro_op_ping("u", 17)) == {"id": "u", "op": "ping", "timestamp": 17}
    sub = json.loads(
        encode_pro_request("5", "subscribe", "order", {"tradeType": "SPOT", "symbol": "BTC-USDT"})
    )
    assert sub == {
        "id": "5",
        "action": "SUBSCRIBE",
        "channel": "order",
        "tradeType": "SPOT",
        "symbol": "BTC-USDT",
    }
    with pytest.raises(ValueError):
        encode_pro_request("5", "list", "order", {})


def test_pro_auth_frame() -> None:
    fields = {
        "kc-api-key": "k",
        "kc-api-sign": "s",
        "kc-api-timestamp": "1",
        "kc-api-passphrase": "p",
    }
    assert json.loads(encode_pro_auth("a", fields)) == {"id": "a", "op": "auth", **fields}


def test_encoders_emit_compact_text() -> None:
    text = encode_classic_ping("1")
    assert isinstance(text, str) and " " not in text
    assert msgspec.json.decode(text) == {"id": "1", "type": "ping"}


# --- Tolerances (PROTOCOL.md §0) -----------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b'{"id":1545910660739,"type":"ack"}', ClassicAck(id="1545910660739")),
        (b'{"id":7,"type":"welcome"}', ClassicWelcome(id="7")),
        (
            b'{"id":-3,"type":"pong","timestamp":"1730000000000"}',
            ClassicPong(id="-3", timestamp=1730000000000),
        ),
        (
            b'{"id":12,"type":"error","code":"509","data":"busy"}',
            ClassicError(id="12", code=509, data="busy"),
        ),
        (b'{"id":"12","type":"error","code":"401"}', ClassicError(id="12", code=401)),
    ],
)
def test_classic_numeric_id_and_numeric_string_code(raw: bytes, expected: object) -> None:
    frame = decode_classic(raw)
    assert frame == expected
    assert type(frame.id) is str
    if isinstance(frame, ClassicError):
        assert type(frame.code) is int


def test_classic_message_with_numeric_id_keeps_everything() -> None:
    raw = (
        b'{"id":354689988084000,"topic":"/account/balance","type":"message",'
        b'"subject":"account.balance","userId":"u1","channelType":"private","data":{"a":[1]}}'
    )
    frame = decode_classic(raw)
    assert isinstance(frame, ClassicMessage)
    assert frame.id == "354689988084000"
    assert (frame.topic, frame.subject, frame.user_id, frame.channel_type) == (
        "/account/balance",
        "account.balance",
        "u1",
        "private",
    )
    assert json.loads(bytes(frame.data)) == {"a": [1]}


@pytest.mark.parametrize(
    "raw",
    [b'{"id":1.5,"type":"ack"}', b'{"id":[1],"type":"ack"}', b'{"id":true,"type":"welcome"}'],
)
def test_classic_id_of_another_type_is_still_an_error(raw: bytes) -> None:
    with pytest.raises(DecodeError) as info:
        decode_classic(raw)
    assert info.value.path == "$.id"


def test_pro_push_time_as_numeric_string() -> None:
    push = decode_pro(b'{"T":"orderAll.SPOT","P":"1771757876485897853","d":{"oi":"1"}}')
    assert isinstance(push, ProPush)
    assert push.push_time_ns == 1771757876485897853 and type(push.push_time_ns) is int
    assert json.loads(bytes(push.data)) == {"oi": "1"}
    bare = decode_pro(b'{"T":"balance.UNIFIED","d":{}}')
    assert isinstance(bare, ProPush) and bare.push_time_ns is None


def test_pro_numeric_strings_in_welcome_and_pong() -> None:
    welcome = decode_pro(b'{"message":"welcome","pingInterval":"18000","pingTimeout":"10000"}')
    assert welcome == ProWelcome(ping_interval_ms=18000, ping_timeout_ms=10000)
    pong = decode_pro(b'{"type":"pong","id":"1","ts":"1771580331134146844"}')
    assert pong == ProPong(id="1", ts_ns=1771580331134146844)


@pytest.mark.parametrize(
    ("raw", "session"),
    [
        (b'{"data":"welcome"}', None),
        (b'{"id":"c1","data":"welcome","sessionId":"s-9","pingInterval":18000}', "s-9"),
        (b'{"type":"welcome","data":"welcome"}', None),
    ],
)
def test_pro_welcome_data_form(raw: bytes, session: str | None) -> None:
    frame = decode_pro(raw)
    assert isinstance(frame, ProWelcome)
    assert frame.session_id == session


def test_pro_data_other_than_welcome_is_not_a_welcome() -> None:
    with pytest.raises(DecodeError, match="no known kind"):
        decode_pro(b'{"data":"hello"}')


def test_pro_refusal_with_only_a_reason() -> None:
    frame = decode_pro(b'{"id":"auth-1","result":false,"reason":"signature expired"}')
    assert frame == ProAck(
        id="auth-1", ok=False, code=None, msg="signature expired", reason="signature expired"
    )


def test_pro_refusal_with_code_and_reason_keeps_both() -> None:
    frame = decode_pro(b'{"id":5,"result":false,"code":400004,"msg":"bad","reason":"why"}')
    assert frame == ProAck(id="5", ok=False, code="400004", msg="bad", reason="why")


def test_pro_error_with_structured_data_keeps_its_text() -> None:
    frame = decode_pro(b'{"type":"error","code":"500","data":{"detail":"x"}}')
    assert isinstance(frame, ProError)
    assert frame.code == "500"
    assert frame.data is not None and json.loads(frame.data) == {"detail": "x"}


DEEP = b"[" * 3000 + b"]" * 3000


@pytest.mark.parametrize(
    "raw",
    [
        b'{"type":"welcome","x":' + DEEP + b"}",
        b'{"type":"message","topic":"/a","data":' + DEEP + b"}",
        b'{"type":"ack","id":"1","extra":' + DEEP + b"}",
        b'{"T":"orderAll.SPOT","P":1,"d":' + DEEP + b"}",
        b'{"id":"1","result":false,"data":' + DEEP + b"}",
    ],
)
def test_deep_nesting_is_a_decode_error(raw: bytes) -> None:
    for decode in (decode_classic, decode_pro):
        with pytest.raises(DecodeError) as info:
            decode(raw)
        assert info.value.topic is None
        assert info.value.path == "$"
        assert "RecursionError" in info.value.reason


def test_classic_push_without_type_is_a_message() -> None:
    raw = (
        b'{"userId":"xbc453tg732eba53a88ggyt8c","topic":"/contractAccount/wallet",'
        b'"subject":"orderMargin.change","data":{"orderMargin":5923,"currency":"USDT"}}'
    )
    frame = decode_classic(raw)
    assert isinstance(frame, ClassicMessage)
    assert (frame.topic, frame.subject, frame.user_id) == (
        "/contractAccount/wallet",
        "orderMargin.change",
        "xbc453tg732eba53a88ggyt8c",
    )
    assert json.loads(bytes(frame.data)) == {"orderMargin": 5923, "currency": "USDT"}


@pytest.mark.parametrize("raw", [b'{"id":"1"}', b'{"subject":"x","data":{}}', b'{"topic":5}'])
def test_classic_frame_without_type_or_topic_is_an_error(raw: bytes) -> None:
    with pytest.raises(DecodeError) as info:
        decode_classic(raw)
    assert "type" in info.value.reason
