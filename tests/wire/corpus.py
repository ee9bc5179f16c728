"""The wire corpus: frames KuCoin really sends, each with its source and what it must decode to.

The data files next to this module (``spot.json``, ``margin.json``, ``futures.json``,
``pro.json``, ``control.json``) hold one entry per frame:

- ``id``: unique, names the variant.
- ``dialect``: ``classic`` or ``pro``.
- ``source``: a URL, or ``owner/repo@commit:path`` with the fixture's name in brackets.
- ``source_kind``: ``DOC`` (an example of KuCoin's documentation, also when a third party
  transcribed it), ``SDK`` (KuCoin's own SDK specification or tests), ``CAPTURE`` (a frame a
  third party captured from the live exchange) or ``3P`` (a frame quoted by a third-party
  client whose origin it does not state).
- ``date``: of the capture, else of the source (``unknown`` when neither is known).
- ``variant``: what this entry shows that the others of its topic do not.
- ``frame``: the whole frame as JSON text, as found (only whitespace outside strings is
  removed). Sources that quote only a payload give ``payload`` with ``topic`` and ``subject``
  instead: the envelope is never invented.
- ``expect``: ``type`` (the payload Struct, or the frame kind of `rxkucoin._frames` for
  control frames), ``fields`` (snake_case name → expected value; decimals are written as
  strings and compared as `~decimal.Decimal`, ``null`` for blank), optionally ``envelope``
  (attributes of the decoded frame) and ``mentions`` (text the decoded frame must keep).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from rxkucoin.keys import Dialect
from rxkucoin.models._registry import REGISTRATIONS, registry_key

HERE: Final = Path(__file__).resolve().parent
FILES: Final = ("spot", "margin", "futures", "pro", "control")
SOURCE_KINDS: Final = ("DOC", "SDK", "CAPTURE", "3P")
CONTROL_TYPES: Final = frozenset(
    {
        "ClassicWelcome",
        "ClassicAck",
        "ClassicPong",
        "ClassicError",
        "ProWelcome",
        "ProAck",
        "ProPong",
        "ProError",
    }
)

RegistryKey = tuple[Dialect, str, str | None]

#: Registered topics for which no real frame was found anywhere. Each was searched for in
#: KuCoin's docs, the official SDKs' specs, and the fixtures of JKorf/Kucoin.Net, roq's
#: gateways, ccxt, tigusigalpa/kucoin-go, hummingbot and gocryptotrader.
ALLOWED_MISSING: Final[dict[RegistryKey, str]] = {
    # The single-symbol Pro channel: every capture found subscribes positionAll; the only
    # `position.<type>` frame seen (kucoin-go) is a docs frame with its T rewritten.
    (Dialect.PRO, "position", None): "no capture of a position.<tradeType> push exists",
    # Same for the single-symbol order channel.
    (Dialect.PRO, "order", None): "no capture of an order.<tradeType> push exists",
    # funding.begin/funding.end on the private position topics is a third-party report;
    # the only frames of these subjects are public /contract/announcement examples.
    (Dialect.CLASSIC, "/contract/position", "funding.begin"): "only public announcement frames",
    (Dialect.CLASSIC, "/contract/position", "funding.end"): "only public announcement frames",
    (Dialect.CLASSIC, "/contract/positionAll", "funding.begin"): "only public announcement frames",
    (Dialect.CLASSIC, "/contract/positionAll", "funding.end"): "only public announcement frames",
}


@dataclass(frozen=True)
class Entry:
    """One corpus entry, as loaded from its data file."""

    file: str
    id: str
    dialect: Dialect
    source: str
    source_kind: str
    date: str
    variant: str
    note: str | None
    frame: str | None
    payload: str | None
    topic: str | None
    subject: str | None
    expect_type: str
    fields: dict[str, Any]
    envelope: dict[str, Any]
    mentions: str | None

    @property
    def is_control(self) -> bool:
        """Whether the entry is a control frame (welcome, ack, pong, error)."""
        return self.expect_type in CONTROL_TYPES

    @property
    def wire_topic(self) -> tuple[str, str | None]:
        """The push's topic (Classic) or channel ``T`` (Pro) and subject, read as plain JSON."""
        if self.payload is not None:
            assert self.topic is not None
            return self.topic, self.subject
        assert self.frame is not None
        obj = json.loads(self.frame)
        if self.dialect is Dialect.PRO:
            return str(obj["T"]), None
        return str(obj["topic"]), obj.get("subject")

    @property
    def key(self) -> RegistryKey | None:
        """The payload registry key of a push; ``None`` for control frames."""
        if self.is_control:
            return None
        topic, subject = self.wire_topic
        return registry_key(self.dialect, topic, subject)

    @property
    def family(self) -> str:
        """What the coverage table groups by: topic prefix and subject, or the frame kind."""
        key = self.key
        if key is None:
            return self.expect_type
        _, prefix, subject = key
        return f"{prefix} {subject}" if subject else prefix

    @property
    def test_id(self) -> str:
        """The pytest id: the family (so ``-k`` can select a topic) and the entry id."""
        return f"{self.family.replace(' ', '.')}-{self.id}"


def _entry(file: str, raw: dict[str, Any]) -> Entry:
    expect = raw["expect"]
    return Entry(
        file=file,
        id=raw["id"],
        dialect=Dialect(raw["dialect"]),
        source=raw["source"],
        source_kind=raw["source_kind"],
        date=raw["date"],
        variant=raw["variant"],
        note=raw.get("note"),
        frame=raw.get("frame"),
        payload=raw.get("payload"),
        topic=raw.get("topic"),
        subject=raw.get("subject"),
        expect_type=expect["type"],
        fields=expect.get("fields", {}),
        envelope=expect.get("envelope", {}),
        mentions=raw.get("mentions"),
    )


def raw_entries() -> list[tuple[str, dict[str, Any]]]:
    """Every entry as stored, with its file name; decimals in expectations stay exact."""
    out: list[tuple[str, dict[str, Any]]] = []
    for name in FILES:
        text = (HERE / f"{name}.json").read_text(encoding="utf-8")
        out.extend((name, raw) for raw in json.loads(text, parse_float=Decimal))
    return out


def load() -> list[Entry]:
    """Every entry of every data file, in file order."""
    return [_entry(file, raw) for file, raw in raw_entries()]


def registered_keys() -> list[RegistryKey]:
    """Every (dialect, topic prefix, subject) that has a payload model."""
    return [(reg.dialect, reg.prefix, reg.subject) for reg in REGISTRATIONS]
