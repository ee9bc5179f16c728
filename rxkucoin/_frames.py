"""Control frames of both dialects: decoding what the server sends, encoding what we send.

Classic (PROTOCOL.md §3) frames are tagged by ``type``. Pro (§5) frames have no common tag:
a welcome carries ``message`` or ``data`` (``"welcome"``), an ack ``result``, a pong ``type``
or ``op``, a push ``T``. Push payloads stay raw here; `rxkucoin.models` decodes them once
they are routed.

Envelopes follow the payloads' rule (`rxkucoin.models._base`, PROTOCOL.md §0): integer
fields (Pro ``P``, ``ts``, ``pingInterval``; Classic ``code``, ``timestamp``) accept numeric
strings, a Classic ``id`` sent as a number becomes a string, and no exception but
`DecodeError` leaves `decode_classic` or `decode_pro`, whatever the bytes.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Mapping
from typing import Any, Final

import msgspec

from .exceptions import DecodeError
from .models._base import decode_error

__all__ = (
    "ClassicAck",
    "ClassicError",
    "ClassicFrame",
    "ClassicMessage",
    "ClassicPong",
    "ClassicWelcome",
    "ProAck",
    "ProError",
    "ProFrame",
    "ProPong",
    "ProPush",
    "ProWelcome",
    "classic_first_try",
    "decode_classic",
    "decode_pro",
    "encode_classic_ping",
    "encode_classic_request",
    "encode_pro_auth",
    "encode_pro_op_ping",
    "encode_pro_request",
)


# --- Classic ---------------------------------------------------------------------------


class _Classic(msgspec.Struct, frozen=True, kw_only=True, tag_field="type"):
    id: str | None = None


class ClassicWelcome(_Classic, frozen=True, kw_only=True, tag="welcome"):
    """``{"id": <connectId>, "type": "welcome"}``: the socket is ready."""


class ClassicAck(_Classic, frozen=True, kw_only=True, tag="ack"):
    """A subscribe or unsubscribe request was accepted; ``id`` is the request's."""


class ClassicPong(_Classic, frozen=True, kw_only=True, tag="pong"):
    """Answer to a ping; ``id`` echoes the ping's id.

    Attributes:
        timestamp: server time, when the server adds it (unit not documented).
    """

    timestamp: int | None = None


class ClassicError(_Classic, frozen=True, kw_only=True, tag="error"):
    """An error for a request (``id`` = request id) or for the whole connection.

    Attributes:
        code: KuCoin's WebSocket error code, an integer (401, 404, 509...).
        data: KuCoin's explanation, e.g. ``"token is expired"``.
    """

    code: int
    data: str | None = None


class ClassicMessage(_Classic, frozen=True, kw_only=True, tag="message", rename="camel", gc=False):
    """A push. ``data`` is kept raw and decoded by topic and subject later.

    Made with ``gc=False`` (as `ProPush`): one is made per push, and a Struct outside the
    garbage collector is cheaper to make and free; its fields (text, raw bytes) cannot hold
    a cycle.

    Attributes:
        topic: the subscribed topic, with the concrete symbol for ``:SYMBOL`` topics.
        subject: names the payload's shape.
        user_id: the account's user id (private topics).
        channel_type: ``"private"`` on private topics.
        data: the payload's JSON text.
    """

    topic: str
    subject: str | None = None
    user_id: str | None = None
    channel_type: str | None = None
    data: msgspec.Raw = msgspec.Raw(b"null")


ClassicFrame = ClassicWelcome | ClassicAck | ClassicPong | ClassicError | ClassicMessage

_CLASSIC: Final[msgspec.json.Decoder[ClassicFrame]] = msgspec.json.Decoder(
    ClassicFrame, strict=False
)
#: `decode_classic`'s first try, for callers that send whatever it refuses (any exception) to
#: `decode_classic` itself: what it returns, `decode_classic` returns too.
classic_first_try: Final = _CLASSIC.decode


def _twin(cls: type[_Classic], *, tagged: bool = True) -> type[msgspec.Struct]:
    """A private twin of a Classic frame type whose ``id`` may also be a JSON number.

    ``tagged=False`` gives a twin that needs no ``type`` member (for pushes without one).
    """
    config = cls.__struct_config__
    fields = [
        (f.name, str | int | None if f.name == "id" else f.type)
        if f.default is msgspec.NODEFAULT
        else (f.name, str | int | None if f.name == "id" else f.type, f.default)
        for f in msgspec.structs.fields(cls)
    ]
    return msgspec.defstruct(
        f"_{cls.__name__}Twin",
        fields,
        kw_only=True,
        tag=config.tag if tagged else None,
        tag_field=config.tag_field if tagged else None,
        rename={f.name: f.encode_name for f in msgspec.structs.fields(cls)},
    )


_TWINS: Final[dict[type[msgspec.Struct], type[_Classic]]] = {
    _twin(cls): cls
    for cls in (ClassicWelcome, ClassicAck, ClassicPong, ClassicError, ClassicMessage)
}
_CLASSIC_ANY_ID: Final[msgspec.json.Decoder[Any]] = msgspec.json.Decoder(
    functools.reduce(operator.or_, _TWINS), strict=False
)
_UNTAGGED_MESSAGE: Final = _twin(ClassicMessage, tagged=False)
_TWINS[_UNTAGGED_MESSAGE] = ClassicMessage
_CLASSIC_UNTAGGED: Final[msgspec.json.Decoder[Any]] = msgspec.json.Decoder(
    _UNTAGGED_MESSAGE, strict=False
)


def _from_twin(twin: msgspec.Struct) -> ClassicFrame:
    """The public frame of a decoded twin, its numeric ``id`` as decimal text."""
    values = msgspec.structs.asdict(twin)
    if values["id"] is not None:
        values["id"] = str(values["id"])
    frame: ClassicFrame = _TWINS[type(twin)](**values)  # type: ignore[assignment]
    return frame


def _second_chance(raw: bytes | str, exc: msgspec.ValidationError) -> ClassicFrame | None:
    """Decode the two forms the fast decoder refuses: a numeric ``id``, and a push without
    ``type`` (old documentation examples); ``None`` when neither applies or fits."""
    reason = str(exc)
    try:
        if reason.endswith("- at `$.id`"):
            return _from_twin(_CLASSIC_ANY_ID.decode(raw))
        if reason == "Object missing required field `type`":
            return _from_twin(_CLASSIC_UNTAGGED.decode(raw))
    except Exception:  # the twin fails too: the caller reports the first error
        return None
    return None


def decode_classic(raw: bytes | str) -> ClassicFrame:
    """Decode one Classic frame.

    A frame whose ``id`` is a JSON number gets the number's text as its id; a frame with a
    ``topic`` but no ``type`` (as old documentation examples show pushes) is a push.

    Raises:
        DecodeError: not JSON (or nested too deep to read), an unknown ``type``, or a
            malformed known frame. No other exception leaves this function.
    """
    try:
        return _CLASSIC.decode(raw)
    except msgspec.ValidationError as exc:
        frame = _second_chance(raw, exc)
        if frame is not None:
            return frame
        raise decode_error(exc, topic=None) from None
    except Exception as exc:  # whatever reading the bytes raised: see decode_error
        raise decode_error(exc, topic=None) from None


# --- Pro ---------------------------------------------------------------------------------


class ProWelcome(msgspec.Struct, frozen=True, kw_only=True):
    """The Pro socket is ready.

    Attributes:
        session_id: the server's session id.
        ping_interval_ms: how often to ping, if the server said.
        ping_timeout_ms: how long to wait for any frame before declaring the link dead.
    """

    session_id: str | None = None
    ping_interval_ms: int | None = None
    ping_timeout_ms: int | None = None


class ProAck(msgspec.Struct, frozen=True, kw_only=True):
    """``{"id", "result"}``: answer to a subscribe, unsubscribe or auth request.

    A refusal may carry a ``code`` with ``msg`` or ``data``, or only a ``reason``
    (``{"id", "result": false, "reason": "..."}``): a refusal without a code says nothing
    about the credentials by itself.

    Attributes:
        id: the request id.
        ok: whether the request succeeded (``result`` true, boolean or string).
        code: an error code, when a failure carries one.
        msg: an error message, when a failure carries one: ``msg``, else ``data``, else
            ``reason``.
        reason: the ``reason`` text of a refusal, when it carries one.
    """

    id: str
    ok: bool
    code: str | None = None
    msg: str | None = None
    reason: str | None = None


class ProPong(msgspec.Struct, frozen=True, kw_only=True):
    """Answer to either ping form.

    Attributes:
        id: echoes the ping's id.
        ts_ns: server time in ns, when present.
    """

    id: str | None = None
    ts_ns: int | None = None


class ProError(msgspec.Struct, frozen=True, kw_only=True):
    """A Classic-style error frame on the Pro socket (e.g. ``token is expired``).

    Attributes:
        id: the request id, if the error answers one.
        code: the error code as sent (integer or string on the wire, kept as text).
        data: the explanation.
    """

    id: str | None
    code: str
    data: str | None = None


class ProPush(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A Pro push ``{T, P, d}``.

    Attributes:
        topic: ``T``, ``<channel>.<tradeType|accountType>`` such as ``orderAll.UNIFIED``.
        push_time_ns: ``P``, the gateway's push time in ns (a timestamp, not a counter).
        data: ``d``, the payload's JSON text.
    """

    topic: str
    push_time_ns: int | None
    data: msgspec.Raw


ProFrame = ProWelcome | ProAck | ProPong | ProError | ProPush


_NULL: Final = msgspec.Raw(b"null")


class _ProAny(msgspec.Struct, frozen=True, kw_only=True):
    T: str | None = None
    P: int | None = None
    d: msgspec.Raw = _NULL
    id: str | int | None = None
    result: bool | str | None = None
    message: str | None = None
    type: str | None = None
    op: str | None = None
    sessionId: str | None = None
    pingInterval: int | None = None
    pingTimeout: int | None = None
    ts: int | None = None
    code: int | str | None = None
    data: msgspec.Raw = _NULL
    msg: str | None = None
    reason: str | None = None


_PRO: Final = msgspec.json.Decoder(_ProAny, strict=False)
_TEXT: Final = msgspec.json.Decoder(str)


def _text_of(raw: msgspec.Raw) -> str | None:
    """``data`` as text: a JSON string's value, or any other value's JSON text."""
    body = bytes(raw)
    if body == b"null":
        return None
    return _TEXT.decode(body) if body[:1] == b'"' else body.decode()


def decode_pro(raw: bytes | str) -> ProFrame:
    """Decode one Pro frame into its kind.

    Raises:
        DecodeError: not JSON (or nested too deep to read), a malformed field, or a frame
            of no known kind. No other exception leaves this function.
    """
    try:
        f = _PRO.decode(raw)
        if f.T is not None:
            return ProPush(topic=f.T, push_time_ns=f.P, data=f.d)
        data = _text_of(f.data)
    except Exception as exc:  # whatever reading the bytes raised: see decode_error
        raise decode_error(exc, topic=None) from None
    ident = None if f.id is None else str(f.id)
    if f.result is not None and ident is not None:
        ok = f.result is True or (isinstance(f.result, str) and f.result.lower() == "true")
        code = None if f.code is None else str(f.code)
        return ProAck(id=ident, ok=ok, code=code, msg=f.msg or data or f.reason, reason=f.reason)
    if "welcome" in (f.message, f.op, f.type, data):
        return ProWelcome(
            session_id=f.sessionId, ping_interval_ms=f.pingInterval, ping_timeout_ms=f.pingTimeout
        )
    if "pong" in (f.type, f.op):
        return ProPong(id=ident, ts_ns=f.ts)
    if f.type == "error" or f.code is not None:
        return ProError(id=ident, code=str(f.code), data=data or f.msg or f.reason)
    raise DecodeError("frame of no known kind (no T, result, welcome, pong or error)")


# --- Encoding ----------------------------------------------------------------------------

_encode: Final = msgspec.json.Encoder().encode


def _text(obj: Mapping[str, Any]) -> str:
    return _encode(obj).decode()


def encode_classic_request(
    request_id: str, kind: str, topic: str, *, private: bool, response: bool = True
) -> str:
    """A Classic ``subscribe`` or ``unsubscribe`` frame (``kind``)."""
    if kind not in ("subscribe", "unsubscribe"):
        raise ValueError(f"request kind must be subscribe or unsubscribe, not {kind!r}")
    return _text(
        {
            "id": request_id,
            "type": kind,
            "topic": topic,
            "privateChannel": private,
            "response": response,
        }
    )


def encode_classic_ping(request_id: str) -> str:
    """A Classic ping, also understood by the Pro socket (flow A)."""
    return _text({"id": request_id, "type": "ping"})


def encode_pro_request(
    request_id: str, action: str, channel: str, params: Mapping[str, str]
) -> str:
    """A Pro ``SUBSCRIBE``/``UNSUBSCRIBE`` frame; ``params`` are flat (tradeType, symbol...)."""
    action = action.upper()
    if action not in ("SUBSCRIBE", "UNSUBSCRIBE"):
        raise ValueError(f"action must be SUBSCRIBE or UNSUBSCRIBE, not {action!r}")
    return _text({"id": request_id, "action": action, "channel": channel, **params})


def encode_pro_op_ping(request_id: str, timestamp_ms: int) -> str:
    """The Pro ``op: ping`` form used by flow B clients."""
    return _text({"id": request_id, "op": "ping", "timestamp": timestamp_ms})


def encode_pro_auth(request_id: str, auth_fields: Mapping[str, str]) -> str:
    """The Pro signed ``op: auth`` frame; ``auth_fields`` from `Credentials.ws_auth_fields`."""
    return _text({"id": request_id, "op": "auth", **auth_fields})
