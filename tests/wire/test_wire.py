"""Every frame of the wire corpus decodes, as a whole frame, into the right type and values.

A push goes through the dialect's frame decoder (`decode_classic`/`decode_pro`) and then
the payload registry (`decode_payload`), exactly as a socket would; a control frame is
checked as the frame kind it decodes to. ``pytest -k wire`` prints the count per topic.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

import msgspec
import pytest

from rxkucoin._frames import ClassicMessage, ProPush, decode_classic, decode_pro
from rxkucoin.keys import Dialect
from rxkucoin.models._registry import decode_payload

from . import coverage
from .corpus import (
    ALLOWED_MISSING,
    CONTROL_TYPES,
    SOURCE_KINDS,
    Entry,
    load,
    raw_entries,
    registered_keys,
)

ENTRIES = load()


def _number(value: Any) -> Decimal | None:
    """The value as a Decimal if it is a number (never a bool or a string)."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    return Decimal(str(value))


def _mismatch(actual: Any, expected: Any, path: str) -> str | None:
    """Why ``actual`` does not match ``expected``, or ``None`` if it does."""
    if expected is None or isinstance(expected, bool):
        ok = actual is expected
    elif isinstance(expected, dict):
        if not expected:
            ok = actual == {} or actual is None
        else:
            for name, sub in expected.items():
                if isinstance(actual, dict):
                    if name not in actual:
                        return f"{path}: no key {name!r} in {actual!r}"
                    child = actual[name]
                elif isinstance(actual, msgspec.Struct):
                    child = getattr(actual, name)
                else:
                    return f"{path}: expected a mapping, got {actual!r}"
                reason = _mismatch(child, sub, f"{path}.{name}")
                if reason:
                    return reason
            return None
    elif isinstance(expected, str):
        if isinstance(actual, str):
            ok = actual == expected
        else:
            number = _number(actual)
            try:
                ok = number is not None and number == Decimal(expected)
            except InvalidOperation:
                ok = False
    else:
        # An int or a decimal written as a JSON number: the value must be a number too,
        # a numeric string left undecoded does not match.
        number = _number(actual)
        ok = number is not None and number == _number(expected)
    return None if ok else f"{path}: expected {expected!r}, got {actual!r}"


def _check(obj: Any, expected: dict[str, Any], what: str) -> None:
    for name, value in expected.items():
        assert hasattr(obj, name), f"{what} {type(obj).__name__} has no attribute {name!r}"
        reason = _mismatch(getattr(obj, name), value, f"{what}.{name}")
        assert reason is None, reason


def _decode(entry: Entry) -> tuple[Any, Any]:
    """The decoded frame (``None`` for a payload-only entry) and payload (the frame itself
    for control frames)."""
    if entry.payload is not None:
        topic, subject = entry.wire_topic
        return None, decode_payload(entry.dialect, topic, subject, entry.payload.encode())
    assert entry.frame is not None
    if entry.dialect is Dialect.CLASSIC:
        message = decode_classic(entry.frame)
        if entry.is_control:
            return message, message
        assert isinstance(message, ClassicMessage), f"a push decoded as {message!r}"
        payload = decode_payload(
            Dialect.CLASSIC, message.topic, message.subject, bytes(message.data)
        )
        return message, payload
    frame = decode_pro(entry.frame)
    if entry.is_control:
        return frame, frame
    assert isinstance(frame, ProPush), f"a push decoded as {frame!r}"
    return frame, decode_payload(Dialect.PRO, frame.topic, None, bytes(frame.data))


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda entry: entry.test_id)
def test_entry_decodes(entry: Entry) -> None:
    frame, payload = _decode(entry)
    assert type(payload).__name__ == entry.expect_type, f"decoded as {payload!r}"
    _check(payload, entry.fields, "payload")
    if entry.envelope:
        assert frame is not None, "a payload-only entry cannot expect an envelope"
        _check(frame, entry.envelope, "frame")
    if entry.mentions is not None:
        assert entry.mentions in repr(frame), f"{entry.mentions!r} is lost in {frame!r}"


def test_entries_are_well_formed() -> None:
    ids: set[str] = set()
    for file, raw in raw_entries():
        where = f"{file}.json:{raw.get('id')}"
        assert raw["id"] not in ids, f"duplicate id {where}"
        ids.add(raw["id"])
        assert raw["dialect"] in ("classic", "pro"), where
        assert raw["source_kind"] in SOURCE_KINDS, where
        assert raw["source"] and raw["date"] and raw["variant"], where
        assert ("frame" in raw) != ("payload" in raw), f"{where}: give frame or payload"
        text = raw.get("frame") or raw["payload"]
        assert isinstance(json.loads(text), dict), where
        if "payload" in raw:
            assert raw.get("topic"), f"{where}: a payload needs its topic"
            assert raw["expect"]["type"] not in CONTROL_TYPES, where
        assert raw["expect"]["type"], where


def test_every_modelled_topic_has_a_real_frame() -> None:
    covered = {entry.key for entry in ENTRIES}
    missing = [
        key for key in registered_keys() if key not in covered and key not in ALLOWED_MISSING
    ]
    assert not missing, "no corpus entry for: " + ", ".join(
        f"{dialect.value} {prefix} {subject or ''}".strip() for dialect, prefix, subject in missing
    )


def test_allow_list_names_only_uncovered_registered_topics() -> None:
    covered = {entry.key for entry in ENTRIES}
    registered = set(registered_keys())
    for key in ALLOWED_MISSING:
        assert key in registered, f"{key} is not a registered topic"
        assert key not in covered, f"{key} has entries now: drop it from ALLOWED_MISSING"


def test_coverage_page_is_up_to_date() -> None:
    assert coverage.PAGE.read_text(encoding="utf-8") == coverage.render(), (
        "docs/wire-corpus.md is stale: run python -m tests.wire.coverage"
    )
