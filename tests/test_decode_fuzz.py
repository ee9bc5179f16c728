"""Garbage in, typed errors out: no decoder may leak a bare msgspec or Python error.

Every frame decoder and every payload decoder (each registration, and topics without a
model) is fed random bytes, random JSON, truncations, wrongly typed fields, nesting deep
enough to exhaust msgspec's recursion limit, invalid UTF-8 and numbers too large for any
type; the only exception allowed out is `DecodeError`.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rxkucoin._frames import decode_classic, decode_pro
from rxkucoin.exceptions import DecodeError
from rxkucoin.keys import Dialect
from rxkucoin.models._registry import REGISTRATIONS, decode_payload

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | st.sampled_from(["", "1.5", "abc", "-0", "1e400"]),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=6)
    ),
    max_leaves=20,
)

SAMPLE_FRAMES = [
    b'{"id":"hQvf8jkno","type":"welcome"}',
    b'{"type":"error","code":401,"data":"token is expired","id":"abc"}',
    b'{"topic":"/spotMarket/tradeOrdersV2","type":"message","subject":"orderChange",'
    b'"data":{"symbol":"BTC-USDT","orderType":"limit","side":"buy","orderId":"1",'
    b'"type":"open","status":"open","orderTime":1,"ts":2}}',
    b'{"T":"orderAll.UNIFIED","P":1771757876485897853,"d":{"tT":"FUTURES","oi":"1","os":5}}',
    b'{"sessionId":"d2c9","message":"welcome","pingInterval":18000}',
]

KEYS = sorted(
    {(r.dialect, r.prefix, r.subject) for r in REGISTRATIONS},
    key=lambda k: (k[0].value, k[1], k[2] or ""),
)


def topic_for(dialect: Dialect, prefix: str) -> str:
    return prefix if dialect is Dialect.CLASSIC else f"{prefix}.UNIFIED"


def only_decode_errors(fn: Any, *args: Any) -> None:
    with contextlib.suppress(DecodeError):
        fn(*args)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes(raw: bytes) -> None:
    only_decode_errors(decode_classic, raw)
    only_decode_errors(decode_pro, raw)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_random_json_frames(value: Any) -> None:
    raw = json.dumps(value).encode()
    only_decode_errors(decode_classic, raw)
    only_decode_errors(decode_pro, raw)


@pytest.mark.parametrize("frame", SAMPLE_FRAMES)
def test_every_truncation_of_real_frames(frame: bytes) -> None:
    for end in range(len(frame)):
        only_decode_errors(decode_classic, frame[:end])
        only_decode_errors(decode_pro, frame[:end])


def test_registry_is_not_empty() -> None:
    assert len(KEYS) >= 30


@settings(max_examples=40, deadline=None)
@given(value=json_values, index=st.integers(min_value=0))
def test_random_payloads_for_every_topic(value: Any, index: int) -> None:
    dialect, prefix, subject = KEYS[index % len(KEYS)]
    raw = json.dumps(value).encode()
    only_decode_errors(decode_payload, dialect, topic_for(dialect, prefix), subject, raw)


@pytest.mark.parametrize(("dialect", "prefix", "subject"), KEYS)
@settings(max_examples=15, deadline=None)
@given(
    fields=st.dictionaries(
        st.sampled_from(
            [
                "symbol",
                "orderId",
                "ts",
                "price",
                "size",
                "oi",
                "os",
                "s",
                "q",
                "U",
                "O",
                "currentQty",
                "markPrice",
                "timestamp",
                "c",
                "b",
                "a",
                "l",
                "debtRatio",
                "changeReason",
                "type",
                "status",
                "time",
                "leverage",
            ]
        ),
        json_values,
        max_size=8,
    )
)
def test_wrongly_typed_fields(
    dialect: Dialect, prefix: str, subject: str | None, fields: dict[str, Any]
) -> None:
    raw = json.dumps(fields).encode()
    topic = topic_for(dialect, prefix)
    only_decode_errors(decode_payload, dialect, topic, subject, raw)
    for end in range(0, len(raw), 7):
        only_decode_errors(decode_payload, dialect, topic, subject, raw[:end])


def test_decode_error_names_topic_and_path() -> None:
    with pytest.raises(DecodeError) as info:
        decode_payload(Dialect.PRO, "orderAll.UNIFIED", None, b'{"os":"five"}')
    assert info.value.topic == "orderAll.UNIFIED"
    assert info.value.path is not None and info.value.path.startswith("$.d")
    assert "orderAll.UNIFIED" in str(info.value)


def test_unknown_topic_garbage_is_a_decode_error() -> None:
    with pytest.raises(DecodeError) as info:
        decode_payload(Dialect.CLASSIC, "/no/such", "x", b"{not json")
    assert info.value.topic == "/no/such"


# --- hostile input: deep nesting, invalid UTF-8, huge numbers -----------------------------

UNMODELLED = [(Dialect.CLASSIC, "/no/such:X", "x"), (Dialect.PRO, "nothing.UNIFIED", None)]
EVERY_DECODER = [(d, topic_for(d, p), s) for d, p, s in KEYS] + UNMODELLED


def nested(depth: int, leaf: bytes = b"1", kind: str = "list") -> bytes:
    if kind == "list":
        return b"[" * depth + leaf + b"]" * depth
    return b'{"k":' * depth + leaf + b"}" * depth


def decode_all(raw: bytes) -> None:
    """Every decoder on ``raw``: each may succeed or raise `DecodeError`, nothing else."""
    only_decode_errors(decode_classic, raw)
    only_decode_errors(decode_pro, raw)
    for dialect, topic, subject in EVERY_DECODER:
        only_decode_errors(decode_payload, dialect, topic, subject, raw)


hostile_values = st.one_of(
    st.builds(
        nested,
        st.integers(min_value=1000, max_value=6000),
        st.sampled_from([b"1", b'""', b"{}", b'"x"']),
        st.sampled_from(["list", "dict"]),
    ),
    st.sampled_from(
        [
            b"9" * 5000,
            b"-" + b"9" * 5000,
            b"1e999999",
            b"-1e400",
            b"1" + b"0" * 400 + b".5",
            b"18446744073709551616",
            b"-9223372036854775809",
            b'"' + b"9" * 5000 + b'"',
            b'"1e999999"',
            b'"NaN"',
            b'"\xff\xfe"',
            b'"\xed\xa0\x80"',
            b'"\\ud800"',  # a lone surrogate escape
            b"\xc3\x28",
        ]
    ),
)

FIELDS = ["T", "P", "d", "data", "id", "type", "topic", "subject", "code", "result", "reason"]
FIELDS += ["symbol", "orderId", "ts", "orderTime", "currentQty", "oi", "s", "O", "U", "q", "c"]


@settings(max_examples=120, deadline=None)
@given(
    frame=st.fixed_dictionaries(
        {},
        optional={
            "type": st.sampled_from(["message", "welcome", "ack", "error", "pong"]),
            "topic": st.sampled_from(["/spotMarket/tradeOrdersV2", "/contract/positionAll"]),
            "subject": st.sampled_from(["orderChange", "position.change", "nope"]),
        },
    ),
    where=st.sampled_from(FIELDS),
    value=hostile_values,
)
def test_hostile_values_in_frames_and_payloads(
    frame: dict[str, str], where: str, value: bytes
) -> None:
    head = json.dumps(frame).encode()[:-1]
    raw = head + (b"," if frame else b"") + json.dumps(where).encode() + b":" + value + b"}"
    decode_all(raw)
    decode_all(value)


@pytest.mark.parametrize("depth", [1000, 3000, 20000])
def test_deep_nesting_everywhere_is_a_decode_error(depth: int) -> None:
    for value in (nested(depth), nested(depth, kind="dict")):
        frames = [
            b'{"type":"message","topic":"/spotMarket/tradeOrdersV2","data":' + value + b"}",
            b'{"T":"orderAll.SPOT","P":1,"d":' + value + b"}",
            b'{"data":"welcome","x":' + value + b"}",
        ]
        for raw in frames:
            decode_all(raw)
        for dialect, topic, subject in EVERY_DECODER:
            payload = b'{"symbol":"BTC-USDT","zz":' + value + b"}"
            with pytest.raises(DecodeError) as info:
                decode_payload(dialect, topic, subject, payload)
            assert info.value.topic == topic
            assert info.value.path is not None and info.value.path.startswith(
                "$.data" if dialect is Dialect.CLASSIC else "$.d"
            )


@settings(max_examples=150, deadline=None)
@given(
    frame=st.sampled_from(SAMPLE_FRAMES),
    at=st.integers(min_value=0),
    junk=st.binary(min_size=1, max_size=4).filter(lambda b: any(x >= 0x80 for x in b)),
)
def test_invalid_utf8_anywhere(frame: bytes, at: int, junk: bytes) -> None:
    i = at % len(frame)
    decode_all(frame[:i] + junk + frame[i:])


@pytest.mark.parametrize(("dialect", "prefix", "subject"), KEYS)
def test_invalid_utf8_in_a_string_field(dialect: Dialect, prefix: str, subject: str | None) -> None:
    for field in (b"symbol", b"s", b"orderId", b"oi", b"currency", b"c"):
        raw = b'{"' + field + b'":"BTC\xff-USDT"}'
        only_decode_errors(decode_payload, dialect, topic_for(dialect, prefix), subject, raw)


def test_unknown_subject_on_a_modelled_topic_is_a_decode_error() -> None:
    raw = b'{"symbol":"BTC-USDT","orderId":"1","type":"open"}'
    with pytest.raises(DecodeError) as info:
        decode_payload(Dialect.CLASSIC, "/spotMarket/tradeOrdersV2", "orderChangeV3", raw)
    assert info.value.topic == "/spotMarket/tradeOrdersV2"
    assert "unknown subject 'orderChangeV3'" in info.value.reason
