"""Garbage in, typed errors out: no decoder may leak a bare msgspec or Python error."""

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
