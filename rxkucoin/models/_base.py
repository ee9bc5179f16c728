"""The base of every payload Struct and the one decoding rule every payload follows.

The rule (PROTOCOL.md §0: KuCoin sends the same field in more than one form, and omits
fields its documentation lists):

- **Identity fields are the only required ones**: the entity id (order id; trade id where
  the payload is a fill; currency for balances), the symbol where routing needs it, and the
  event ``type`` only where a payload means nothing without it. Every other field is
  optional and ``None`` when absent.
- **Integer-valued fields accept integers and numeric strings** (``1758339086029193392`` or
  ``"1758339086029193392"``); float fields accept numbers and numeric strings; booleans
  accept ``true``/``false`` and their string forms. Every payload decoder is built with
  msgspec's ``strict=False`` (`lax_decoder`), which does exactly these conversions.
- **Decimal fields accept strings and numbers** and decode to `decimal.Decimal`; a JSON
  number keeps its written digits (``0.1`` is ``Decimal("0.1")``). They are converted as
  the payload is decoded, in msgspec's C code, and that is most of a payload's decoding:
  the throughput benchmark's order push (nine decimals) decodes 2.6 to 3.3 times faster
  into the same model with ``str`` decimals (``tests/benchmarks/hotpath.py``, three runs).
  They stay `Decimal` all the same, converted eagerly: a lazy conversion cannot sit behind
  a msgspec field without changing the public field types (and equality, encoding and
  ``msgspec.structs.replace`` with them), and a numbers mode would give one class two
  field types.
- **Text fields accept numbers** as their written digits: ids such as Pro's ``ti`` arrive as
  JSON numbers beyond 2**53 (``20801647764195330``) and become the same text
  (`decode_lenient` quotes the number in the bytes and decodes again, only after msgspec
  refused it: the common case pays nothing for it).
- **A blank string (``""``) is ``None``** whatever the field's type: ``""`` is how KuCoin
  says "not set". `blank_to_null` rewrites ``"key": ""`` to ``"key": null``, and the payload
  is decoded again, only when the first decode refused it. That needs every member that
  could hold a ``""`` to refuse one: text fields are `Text` (``str`` of length >= 1 when
  decoding; plain ``str`` to type checkers), and numbers, decimals, booleans and Structs
  refuse ``""`` by themselves. A payload type with a member that accepts ``""`` (plain
  ``str``, ``Any``) is not `blank_safe`: its payloads are searched for ``""`` and rewritten
  before decoding instead (`has_blank`), which costs about a tenth of a push's handling.
- **Unknown fields are ignored and enumerations are plain** `str`: a field or enum value
  KuCoin adds passes through instead of breaking the stream.
- Structs are frozen, keyword-only and map camelCase wire names to snake_case fields
  (``rename="camel"``); Pro's abbreviations are mapped with ``msgspec.field(name=...)``.
  Times are ints whose unit (ms or ns) the field's docstring says.
- **Only `DecodeError` leaves a decoder**: `decode_error` turns whatever reading the bytes
  raised (msgspec errors, `RecursionError` from deep nesting, `ValueError` from a huge
  integer, invalid UTF-8...) into one, naming the topic and the JSON path.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Final, TypeVar

import msgspec
import msgspec.inspect as mi

from ..exceptions import DecodeError
from ..keys import Dialect

__all__ = (
    "Payload",
    "PayloadDecoder",
    "Registration",
    "Text",
    "UnknownPayload",
    "blank_safe",
    "blank_to_null",
    "decode_error",
    "decode_lenient",
    "has_blank",
    "lax_decoder",
)


#: A payload's text field: ``str`` to type checkers; a blank (``""``) fails the first decode,
#: so that the second one reads it as ``None`` (the module's rule).
Text = Annotated[str, msgspec.Meta(min_length=1)]


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
_T = TypeVar("_T")

_BLANK_VALUE: Final = re.compile(rb':\s*""')
#: Whether bytes hold a ``""`` at all: the regular expression engine's literal search is
#: about twice as fast as ``b'""' in raw`` on frames full of quotes (tests/benchmarks/hotpath.py).
has_blank: Final[Callable[[Any], re.Match[bytes] | None]] = re.compile(rb'""').search
_PATH: Final = re.compile(r"^(?P<reason>.*?)(?: - at `(?P<path>[^`]*)`)?$", re.DOTALL)


def blank_to_null(raw: bytes) -> bytes:
    """Rewrite every ``"key": ""`` as ``"key": null`` so blank fields decode as ``None``.

    In valid JSON ``:""`` occurs only where a member's value is the empty string (a string
    cannot contain an unescaped quote), so a plain byte replace is exact; the regular
    expression runs only when a ``""`` is left over (spaces after the colon, or an empty
    key or array item, which it leaves alone).
    """
    if has_blank(raw) is None:
        return raw
    raw = raw.replace(b':""', b":null")
    if b'""' in raw:
        raw = _BLANK_VALUE.sub(b":null", raw)
    return raw


_NUMBER_FOR_TEXT: Final = re.compile(
    r"^Expected `str(?: \| null)?`, got `(?:int|float)` - at `\$(?:\.\w+|\[\d+\])*\.(?P<key>\w+)`$"
)
_MAX_REPAIRS: Final = 16


def _quote_number(raw: bytes, exc: msgspec.ValidationError) -> bytes | None:
    """``raw`` with the number msgspec refused for a text field quoted, or ``None``."""
    match = _NUMBER_FOR_TEXT.match(str(exc))
    if match is None:
        return None
    member = re.compile(rb'("' + match.group("key").encode() + rb'"\s*:\s*)(-?[0-9][0-9.eE+-]*)')
    repaired = member.sub(rb'\1"\2"', raw)
    return None if repaired == raw else repaired


def decode_lenient(
    decode: Callable[[bytes], _T], raw: bytes, error: msgspec.ValidationError | None = None
) -> _T:
    """``decode(raw)`` after the blank-to-null rewrite, quoting numbers sent for text fields.

    Args:
        decode: the payload type's decode function (`lax_decoder`).
        raw: the payload's bytes.
        error: what ``decode`` already raised for ``raw`` after the blank-to-null rewrite,
            if the caller tried the fast path itself; the repairs start from it.

    Raises:
        Whatever ``decode`` raises for a payload no repair makes valid.
    """
    raw = blank_to_null(raw)
    for _ in range(_MAX_REPAIRS):
        if error is None:
            try:
                return decode(raw)
            except msgspec.ValidationError as exc:
                error = exc
        repaired = _quote_number(raw, error)
        if repaired is None:
            raise error
        raw, error = repaired, None
    return decode(raw)


def lax_decoder(tp: type[_T]) -> Callable[[bytes], _T]:
    """The decode function of a payload type under the rule (``strict=False``)."""
    return msgspec.json.Decoder(tp, strict=False).decode


_REFUSE_BLANK: Final = (
    mi.IntType,
    mi.FloatType,
    mi.DecimalType,
    mi.BoolType,
    mi.NoneType,
    mi.StructType,
    mi.ListType,
    mi.DictType,
)


def blank_safe(tp: Any) -> bool:
    """Whether every member of ``tp`` that a ``"key": ""`` could fill refuses a blank, so a
    first decode of the bytes as they are fails whenever the blank-to-null rewrite matters.

    Array items do not count: the rewrite leaves them alone.
    """
    return _refuses_blank(mi.type_info(tp), set())


def _refuses_blank(t: mi.Type, seen: set[type]) -> bool:
    if isinstance(t, mi.UnionType):
        return all(_refuses_blank(x, seen) for x in t.types)
    if isinstance(t, mi.StrType):
        return (t.min_length or 0) >= 1
    if not isinstance(t, _REFUSE_BLANK):
        return False  # Any, Raw, Literal, enums, custom types...
    if isinstance(t, mi.StructType) and t.cls not in seen:
        seen.add(t.cls)
        return all(_refuses_blank(f.type, seen) for f in t.fields)
    if isinstance(t, mi.ListType):
        return _members_refuse_blank(t.item_type, seen)
    if isinstance(t, mi.DictType):
        return _refuses_blank(t.value_type, seen)
    return True


def _members_refuse_blank(t: mi.Type, seen: set[type]) -> bool:
    """An array item: a blank item stays as it is, but its own members count."""
    if isinstance(t, mi.UnionType):
        return all(_members_refuse_blank(x, seen) for x in t.types)
    if isinstance(t, mi.StructType | mi.DictType | mi.ListType):
        return _refuses_blank(t, seen)
    return True


def decode_error(exc: BaseException, *, topic: str | None, root: str = "$") -> DecodeError:
    """Turn whatever reading a frame raised into our `DecodeError`, with the path under ``root``.

    msgspec errors keep msgspec's reason and JSON path; anything else (`RecursionError` from
    deep nesting, `ValueError` from an integer too long to convert...) is named by its type,
    with the path of the payload as a whole.
    """
    if not isinstance(exc, msgspec.MsgspecError):
        return DecodeError(f"{type(exc).__name__}: {str(exc)[:200]}", topic=topic, path=root)
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
        """A function turning payload bytes into the payload; the caller maps its errors."""
        if self.decode is not None:
            return self.decode
        if self.wrap_field is None:
            return lax_decoder(self.payload_type)
        field_type = _field_type(self.payload_type, self.wrap_field)
        inner = lax_decoder(field_type)
        cls, name = self.payload_type, self.wrap_field
        return lambda raw: cls(**{name: inner(raw)})


def _field_type(cls: type[Payload], name: str) -> Any:
    for field in msgspec.structs.fields(cls):
        if field.name == name:
            return field.type
    raise TypeError(f"{cls.__name__} has no field {name!r}")
