"""The base of every payload Struct and the machinery that decodes payloads by topic.

Conventions every payload module follows:

- Structs are frozen, keyword-only and map camelCase wire names to snake_case fields
  (``rename="camel"``); Pro's abbreviations are mapped with ``msgspec.field(name=...)``.
- Decimal strings decode to `decimal.Decimal`; JSON numbers stay `int` or `float`, exactly
  as the wire sends them; times are ints whose unit (ms or ns) the field name says.
- A blank string (``""``, KuCoin's way of saying "not set") decodes as ``None``; every field
  that may be blank is therefore optional.
- Unknown fields are ignored, so KuCoin adding a field never breaks a stream.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import msgspec

from ..exceptions import DecodeError
from ..keys import Dialect

__all__ = ("Payload", "PayloadDecoder", "Registration", "UnknownPayload", "decode_error")


class Payload(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """Base of every typed push payload."""


class UnknownPayload(Payload, frozen=True, kw_only=True):
    """A push whose topic or subject rxkucoin has no model for; nothing is lost.

    Attributes:
        topic: the topic (Classic) or push channel ``T`` (Pro).
        subject: the Classic subject, ``None`` on Pro.
        data: the payload as plain JSON values.
    """

    topic: str
    subject: str | None
    data: Any


PayloadDecoder = Callable[[bytes], Payload]

_BLANK_VALUE: Final = re.compile(rb':\s*""')
_PATH: Final = re.compile(r"^(?P<reason>.*?)(?: - at `(?P<path>[^`]*)`)?$", re.DOTALL)


def blank_to_null(raw: bytes) -> bytes:
    """Rewrite every ``"key": ""`` as ``"key": null`` so blank fields decode as ``None``."""
    if b'""' not in raw:
        return raw
    return _BLANK_VALUE.sub(b":null", raw)


def decode_error(exc: msgspec.MsgspecError, *, topic: str | None, root: str = "$") -> DecodeError:
    """Turn a msgspec error into our `DecodeError`, with the JSON path under ``root``."""
    match = _PATH.match(str(exc))
    reason = match.group("reason") if match else str(exc)
    path = match.group("path") if match else None
    if path is not None and root != "$":
        path = root + path[1:]
    return DecodeError(reason, topic=topic, path=path or root)


@dataclass(frozen=True)
class Registration:
    """Declares which payload type a (dialect, topic prefix, subject) decodes to.

    Attributes:
        dialect: Classic or Pro.
        prefix: Classic: the topic up to the first ``:`` (``/contract/position``);
            Pro: the push channel without its trade or account type (``execution.lite``).
        subject: the Classic subject; ``None`` for Pro.
        payload_type: the Struct the payload decodes to.
        wrap_field: for payloads that are a bare JSON object keyed by symbol or currency
            (``{"ETHUSDTM": "ISOLATED"}``), the field of ``payload_type`` that receives it.
        decode: a custom decoder, for topics whose shape depends on the payload itself
            (it receives the payload bytes after the blank-to-null rewrite).
    """

    dialect: Dialect
    prefix: str
    subject: str | None
    payload_type: type[Payload]
    wrap_field: str | None = None
    decode: PayloadDecoder | None = None

    def build_decoder(self) -> PayloadDecoder:
        """A function turning payload bytes into the payload, raising msgspec errors."""
        if self.decode is not None:
            return self.decode
        if self.wrap_field is None:
            return msgspec.json.Decoder(self.payload_type).decode
        field_type = _field_type(self.payload_type, self.wrap_field)
        inner = msgspec.json.Decoder(field_type).decode
        cls, name = self.payload_type, self.wrap_field
        return lambda raw: cls(**{name: inner(raw)})


def _field_type(cls: type[Payload], name: str) -> Any:
    for field in msgspec.structs.fields(cls):
        if field.name == name:
            return field.type
    raise TypeError(f"{cls.__name__} has no field {name!r}")
