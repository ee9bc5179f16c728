"""One decoder registry for every known payload: (dialect, topic prefix, subject) → Struct."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Final

import msgspec

from ..exceptions import DecodeError
from ..keys import Dialect
from . import futures, margin, pro, spot
from ._base import (
    Payload,
    PayloadDecoder,
    Registration,
    UnknownPayload,
    _field_type,
    blank_safe,
    blank_to_null,
    decode_error,
    decode_lenient,
    has_blank,
)

__all__ = (
    "REGISTRATIONS",
    "decode_payload",
    "decoder_for",
    "fast_decoder",
    "is_modelled_topic",
    "payload_type",
    "registry_key",
)

REGISTRATIONS: Final[tuple[Registration, ...]] = (
    *spot.REGISTRATIONS,
    *margin.REGISTRATIONS,
    *futures.REGISTRATIONS,
    *pro.REGISTRATIONS,
)

_Key = tuple[Dialect, str, str | None]


def registry_key(dialect: Dialect, topic: str, subject: str | None) -> _Key:
    """The registry key of a push.

    Classic: the topic up to its first ``:`` and the subject. Pro: the push channel ``T``
    without its last dotted part (``execution.lite.SPOT`` → ``execution.lite``).
    """
    if dialect is Dialect.CLASSIC:
        return (dialect, topic.partition(":")[0], subject)
    return (dialect, topic.rpartition(".")[0] or topic, None)


def _build() -> dict[_Key, tuple[type[Payload], PayloadDecoder, bool]]:
    table: dict[_Key, tuple[type[Payload], PayloadDecoder, bool]] = {}
    for reg in REGISTRATIONS:
        key = (reg.dialect, reg.prefix, reg.subject)
        if key in table:
            raise RuntimeError(f"two payload types registered for {key}")
        decode = reg.build_decoder()
        if reg.decode is not None:  # custom decoders read the bytes themselves
            decode = functools.partial(_with_bytes, decode)
        wrap = reg.wrap_field
        decoded = reg.payload_type if wrap is None else _field_type(reg.payload_type, wrap)
        table[key] = (reg.payload_type, decode, reg.decode is None and blank_safe(decoded))
    return table


def _with_bytes(decode: PayloadDecoder, raw: bytes) -> Payload:
    return decode(bytes(raw))


_TABLE: Final = _build()
_MODELLED: Final = frozenset((dialect, prefix) for dialect, prefix, _ in _TABLE)
_ANY: Final = msgspec.json.Decoder()


def is_modelled_topic(dialect: Dialect, topic: str) -> bool:
    """Whether rxkucoin has a model for some push on ``topic`` (any subject).

    A push on a modelled topic that still does not decode (an unknown subject, a broken
    payload) is a loss to report; a push on a topic without any model is an `UnknownPayload`.
    """
    return registry_key(dialect, topic, None)[:2] in _MODELLED


def payload_type(dialect: Dialect, topic: str, subject: str | None) -> type[Payload] | None:
    """The Struct a push on ``topic``/``subject`` decodes to, or ``None`` if unknown."""
    entry = _TABLE.get(registry_key(dialect, topic, subject))
    return entry[0] if entry else None


def decoder_for(dialect: Dialect, topic: str, subject: str | None) -> Callable[[bytes], Payload]:
    """The function that decodes payloads of ``topic``/``subject``; look it up once, reuse it.

    It takes the payload's bytes, or the envelope's `msgspec.Raw` as it is (no copy).

    The returned function returns `UnknownPayload` for topics without any model, and raises
    `DecodeError` (naming the topic and the JSON path) for everything else that does not
    give a typed payload: a payload that does not match its model, a payload that is not
    JSON at all (or nested too deep, or holding an integer too long to read), and a subject
    that a modelled topic has no model for (``unknown subject 'X' for topic 'Y'``), which
    must not reach a typed stream as an `UnknownPayload`. No other exception leaves it.
    """
    root = "$.data" if dialect is Dialect.CLASSIC else "$.d"
    key = registry_key(dialect, topic, subject)
    entry = _TABLE.get(key)
    if entry is None and key[:2] in _MODELLED:
        reason = f"unknown subject {subject!r} for topic {topic!r}"

        def unknown_subject(raw: bytes) -> Payload:
            raise DecodeError(reason, topic=topic, path=root)

        return unknown_subject
    if entry is None:

        def unknown(raw: bytes) -> Payload:
            try:
                return UnknownPayload(topic=topic, subject=subject, data=_ANY.decode(raw))
            except Exception as exc:  # whatever reading the bytes raised: see decode_error
                raise decode_error(exc, topic=topic, root=root) from None

        return unknown
    return functools.partial(_typed, entry[1], topic, root, _symbol_of(dialect, topic))


def fast_decoder(
    dialect: Dialect, topic: str, subject: str | None
) -> tuple[PayloadDecoder, bool] | None:
    """The bare decoder of a typed push kind, and whether it refuses blanks by itself.

    It gives the same payload as `decoder_for`'s function for payloads that it decodes
    without raising, and that hold no ``""`` (`has_blank`) unless the type is `blank_safe`
    (the flag: a blank then fails the decode); any other payload, and any exception, goes to
    `decoder_for`'s function, which rewrites blanks, repairs and reports errors. ``None``
    for kinds without a model and for topics that name the symbol their payloads may lack
    (it must be filled in).
    """
    entry = _TABLE.get(registry_key(dialect, topic, subject))
    if entry is None or _symbol_of(dialect, topic):
        return None
    return entry[1], entry[2]


def _symbol_of(dialect: Dialect, topic: str) -> str:
    """The one symbol a Classic topic names, else ``""``."""
    symbol = topic.partition(":")[2] if dialect is Dialect.CLASSIC else ""
    return "" if "," in symbol else symbol


def _typed(decode: PayloadDecoder, topic: str, root: str, symbol: str, raw: bytes) -> Payload:
    """``decode(raw)`` under the payload rule, with ``symbol`` filled in where it is missing.

    ``raw`` may be the envelope's `msgspec.Raw` (not a bytes object at run time): msgspec
    reads it in place, and only the rare repairs pay for a copy.
    """
    try:
        if has_blank(raw) is not None:
            raw = blank_to_null(bytes(raw))
        try:
            payload = decode(raw)
        except msgspec.ValidationError as exc:  # repairable, perhaps: a slower second try
            payload = decode_lenient(decode, bytes(raw), exc)
    except Exception as exc:  # whatever reading the bytes raised: see decode_error
        raise decode_error(exc, topic=topic, root=root) from None
    if symbol and getattr(payload, "symbol", symbol) is None:
        # Some payloads (mark-price position updates, settlements) name their symbol only
        # in the topic; fill it in so a stream of several symbols stays attributable.
        return msgspec.structs.replace(payload, symbol=symbol)
    return payload


def decode_payload(dialect: Dialect, topic: str, subject: str | None, raw: bytes) -> Payload:
    """Decode one push payload into its typed Struct.

    Args:
        dialect: the socket's dialect.
        topic: the Classic topic or the Pro push channel ``T``.
        subject: the Classic subject (``None`` on Pro).
        raw: the payload's JSON text (the ``data`` or ``d`` member).

    Returns:
        The typed payload, or an `UnknownPayload` for topics without any model.

    Raises:
        DecodeError: the payload does not match its model, is not readable JSON, or has a
            subject its (modelled) topic has no model for; names the topic and JSON path.
    """
    entry = _TABLE.get(registry_key(dialect, topic, subject))
    if entry is None:  # no model, or an unknown subject: see decoder_for
        return decoder_for(dialect, topic, subject)(raw)
    root = "$.data" if dialect is Dialect.CLASSIC else "$.d"
    return _typed(entry[1], topic, root, _symbol_of(dialect, topic), raw)
