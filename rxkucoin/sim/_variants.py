"""Wire variants: the other forms in which real KuCoin sends the same push (PROTOCOL.md §0).

With ``Simulator(wire_variants=seed)`` every push leaves, at random but reproducibly from
the seed, in one of the forms frames captured from the live exchange show. Each variant
below is a pure transform of one push (``dict -> dict``, or the choice of an envelope
form), given a `random.Random`; `WireVariants` holds the generator and counts what it
varied so that tests can check that each variant really occurred.

The variants, and the evidence for each (only forms with evidence are produced):

- ``numeric_strings``: integer-valued Classic fields (``orderTime``, ``ts``, ``createdAt``,
  ``timestamp``, position times and quantities...) as numeric strings. PROTOCOL.md §0
  (ccxt's comments quoting 2026 frames: futures ``orderTime``, spot stop ``ts``).
- ``pro_numeric_strings``: Pro ``P`` and the integer ``d`` fields (``O``, ``U``, ``E``,
  ``os``) as numeric strings. PROTOCOL.md §0 (same source).
- ``cross_position_form``: a cross-margin ``position.change`` in the other of its two
  forms: without ``posMargin`` and the other isolated-only fields (``maintMarginReq`` and
  ``posMaint`` stay), as a live frame of 2025-09 captured in roq's KuCoin futures gateway
  tests shows, or with ``posMargin`` (= ``posInit``), as the docs list it for every
  position (PROTOCOL.md §4.10).
- ``position_extras``: ``position.change`` with ``tax``, ``dealComm`` and ``fundingFee``
  (same capture, and an isolated capture of 2026-02).
- ``futures_order_position_side``: futures order pushes with ``positionSide`` (PROTOCOL.md
  §0, captures 2025-09).
- ``position_all_tag``: a ``/contract/positionAll`` subscriber's push tagged with the other
  form (``/contract/positionAll`` or ``/contract/position:SYMBOL``): the captures tag
  ``positionAll``, the official SDK spec's example the per-symbol form.
- ``mark_price_symbol``: a ``markPriceChange`` push without ``symbol`` when tagged
  ``/contract/positionAll`` (PROTOCOL.md §0, capture 2025-09), with ``symbol`` when tagged
  per symbol (a third-party gateway's 2026 fixture).
- ``pro_spot_order_minimal``: a Pro ``SPOT`` order push without ``oS``, without the keys
  whose value is empty, and without ``tT`` when the tag names the trade type
  (PROTOCOL.md §0, third-party fixture 2026-02).
- ``pro_welcome_data``: the Pro welcome as ``"data": "welcome"`` instead of
  ``"message": "welcome"`` (the official Python and Go SDKs accept both).

Identity fields are never dropped: ids, ``symbol`` where the tag does not carry it,
``currency``, ``type``/``status`` and their Pro counterparts.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping
from typing import Any, Final

from ._pushes import ClassicPush

__all__ = (
    "VARIANTS",
    "WireVariants",
    "vary_classic",
    "vary_pro",
    "vary_pro_welcome",
)

VARIANTS: Final = (
    "numeric_strings",
    "pro_numeric_strings",
    "cross_position_form",
    "position_extras",
    "futures_order_position_side",
    "position_all_tag",
    "mark_price_symbol",
    "pro_spot_order_minimal",
    "pro_welcome_data",
)
"""Every variant `WireVariants` can apply, by name (the keys of its ``counts``)."""

#: Classic payload fields that are integers on the wire (PROTOCOL.md §4, type ``i``).
CLASSIC_INT_FIELDS: Final = frozenset(
    {
        "orderTime",
        "ts",
        "createdAt",
        "timestamp",
        "openingTimestamp",
        "currentTimestamp",
        "currentQty",
        "riskLimit",
        "riskLimitLevel",
        "fundingTime",
        "qty",
        "size",
    }
)

#: Pro ``d`` fields that are integers on the wire (PROTOCOL.md §5.6).
PRO_INT_FIELDS: Final = frozenset({"O", "U", "E", "os"})

#: ``position.change`` fields only isolated positions carry. ``maintMarginReq`` and
#: ``posMaint`` are not among them: cross positions carry them too (PROTOCOL.md §0).
ISOLATED_ONLY: Final = (
    "posMargin",
    "autoDeposit",
    "riskLimit",
    "realLeverage",
    "posCross",
    "posComm",
    "posLoss",
    "posFunding",
    "maintMargin",
    "riskLimitLevel",
)

#: Pro order keys a minimal form never drops.
PRO_ORDER_IDENTITY: Final = frozenset({"oi", "ci", "s", "S", "os", "eT", "oT"})

POSITION_ALL: Final = "/contract/positionAll"
_POSITION: Final = "/contract/position:"
_FUTURES_ORDERS: Final = "/contractMarket/tradeOrders"

_HALF: Final = 0.5


def _coin(rng: random.Random) -> bool:
    return rng.random() < _HALF


def _int_fields_as_strings(data: Mapping[str, Any], names: frozenset[str]) -> dict[str, Any]:
    return {
        k: str(v) if k in names and type(v) is int else v  # bool is not an integer field
        for k, v in data.items()
    }


def _has_int_fields(data: Mapping[str, Any], names: frozenset[str]) -> bool:
    return any(k in names and type(v) is int for k, v in data.items())


def _negated(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    return -value if value else 0


def vary_classic(
    topic: str, tag: str, subject: str, data: Mapping[str, Any], rng: random.Random
) -> tuple[str, dict[str, Any], list[str]]:
    """Choose the wire form of one Classic push.

    Args:
        topic: the subscription topic the push is for (``/contract/positionAll`` for a
            positionAll subscriber).
        tag: the ``topic`` the canonical envelope carries.
        subject: the push subject.
        data: the canonical payload; not modified.
        rng: the source of the choices.

    Returns:
        ``(tag, data, applied)``: the envelope's ``topic``, the payload and the names of the
        variants applied (empty: the canonical form).
    """
    out = dict(data)
    applied: list[str] = []
    reason = out.get("changeReason")
    if subject == "position.change" and reason == "positionChange":
        cross = out.get("marginMode") == "CROSS" or out.get("crossMode") is True
        if cross and _coin(rng):
            if any(k in out for k in ISOLATED_ONLY):
                for k in ISOLATED_ONLY:
                    out.pop(k, None)
            else:
                out["posMargin"] = out.get("posInit", 0)
            applied.append("cross_position_form")
        if not {"tax", "dealComm", "fundingFee"} <= out.keys() and _coin(rng):
            out.setdefault("tax", 0)
            out.setdefault("dealComm", _negated(out.get("currentComm", 0)))
            fee = out.get("posFunding", 0)
            out.setdefault("fundingFee", fee if isinstance(fee, int | float) else 0)
            applied.append("position_extras")
    if (
        topic.startswith(_FUTURES_ORDERS)
        and subject in ("orderChange", "symbolOrderChange")
        and "positionSide" not in out
        and _coin(rng)
    ):
        out["positionSide"] = "BOTH"
        applied.append("futures_order_position_side")
    if topic == POSITION_ALL:
        per_symbol = tag.startswith(_POSITION)
        symbol = tag[len(_POSITION) :] if per_symbol else out.get("symbol")
        # Leaving the per-symbol tag must not lose the symbol, except where the evidence
        # shows exactly that (markPriceChange on /contract/positionAll).
        keeps_symbol = "symbol" in out or reason == "markPriceChange"
        if isinstance(symbol, str) and symbol and (keeps_symbol or not per_symbol) and _coin(rng):
            tag = POSITION_ALL if per_symbol else _POSITION + symbol
            applied.append("position_all_tag")
    if subject == "position.change" and reason == "markPriceChange" and _coin(rng):
        if tag == POSITION_ALL and "symbol" in out:
            del out["symbol"]
            applied.append("mark_price_symbol")
        elif tag.startswith(_POSITION) and "symbol" not in out:
            out["symbol"] = tag[len(_POSITION) :]
            applied.append("mark_price_symbol")
    if _has_int_fields(out, CLASSIC_INT_FIELDS) and _coin(rng):
        out = _int_fields_as_strings(out, CLASSIC_INT_FIELDS)
        applied.append("numeric_strings")
    return tag, out, applied


def vary_pro(frame: Mapping[str, Any], rng: random.Random) -> tuple[dict[str, Any], list[str]]:
    """Choose the wire form of one Pro push frame ``{"T", "P", "d"}``.

    Args:
        frame: the canonical frame; not modified.
        rng: the source of the choices.

    Returns:
        ``(frame, applied)``: the frame and the names of the variants applied.
    """
    tag = str(frame.get("T", ""))
    channel, _, selector = tag.rpartition(".")
    d: Any = frame.get("d")
    out = dict(frame)
    applied: list[str] = []
    if not isinstance(d, dict):
        return out, applied
    data: dict[str, Any] = dict(d)
    if channel in ("orderAll", "order") and data.get("tT") == "SPOT" and _coin(rng):
        data = {k: v for k, v in data.items() if k in PRO_ORDER_IDENTITY or (k != "oS" and v != "")}
        if selector != "UNIFIED":  # the tag names the trade type; UNIFIED would lose it
            data.pop("tT", None)
        applied.append("pro_spot_order_minimal")
    if _coin(rng):
        if type(out.get("P")) is int:
            out["P"] = str(out["P"])
        data = _int_fields_as_strings(data, PRO_INT_FIELDS)
        applied.append("pro_numeric_strings")
    out["d"] = data
    return out, applied


def vary_pro_welcome(
    frame: Mapping[str, Any], rng: random.Random
) -> tuple[dict[str, Any], list[str]]:
    """Choose the form of one Pro welcome frame (``message`` or ``data`` ``"welcome"``).

    Args:
        frame: the canonical welcome; not modified.
        rng: the source of the choice.

    Returns:
        ``(frame, applied)``.
    """
    out = dict(frame)
    if out.get("message") == "welcome" and _coin(rng):
        del out["message"]
        out = {"data": "welcome", **out}
        return out, ["pro_welcome_data"]
    return out, []


class WireVariants:
    """The simulator's wire-variants mode: seeded choices and what they produced.

    Args:
        seed: the same seed and the same pushes give the same frames.

    Attributes:
        seed: the seed.
        counts: per variant name (see `VARIANTS`), how many frames it changed.
        frames: how many frames went through (pushes and Pro welcomes).
        canonical: how many of them left in the canonical form.
    """

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._rng = random.Random(f"rxkucoin-wire-variants:{seed}")
        self.counts: Counter[str] = Counter()
        self.frames = 0
        self.canonical = 0
        # one form per push and tag, whichever socket asks: KuCoin is assumed to serialise a
        # push once for all of an account's sockets (a rotation's overlap relies on it)
        self._pro_push: object = None
        self._pro_forms: dict[str, dict[str, Any]] = {}

    def __repr__(self) -> str:
        return f"WireVariants(seed={self.seed}, frames={self.frames}, counts={dict(self.counts)})"

    def _record(self, applied: list[str]) -> None:
        self.frames += 1
        if applied:
            self.counts.update(applied)
        else:
            self.canonical += 1

    def classic(self, push: ClassicPush) -> tuple[str, dict[str, Any]]:
        """The envelope ``topic`` and the payload of one Classic push.

        Args:
            push: the push, as the engine made it.

        Returns:
            ``(topic, data)``.
        """
        tag, data, applied = vary_classic(
            push.topic, push.wire_topic or push.topic, push.subject, push.data, self._rng
        )
        self._record(applied)
        return tag, data

    def pro(self, frame: Mapping[str, Any], push: object = None) -> dict[str, Any]:
        """One Pro push frame ``{"T", "P", "d"}`` in a chosen form.

        Args:
            frame: the canonical frame.
            push: the engine's push the frame carries; every socket sent the same push
                under the same tag gets the same form (only ``P``, each gateway's own push
                time, is its own). ``None``: a fresh choice.
        """
        tag = str(frame.get("T", ""))
        if push is not None and push is self._pro_push and tag in self._pro_forms:
            chosen = self._pro_forms[tag]
            out = dict(chosen)
            stamp = frame.get("P")
            out["P"] = str(stamp) if type(chosen.get("P")) is str else stamp
            return out
        out, applied = vary_pro(frame, self._rng)
        self._record(applied)
        if push is not None:
            if push is not self._pro_push:
                self._pro_push, self._pro_forms = push, {}
            self._pro_forms[tag] = out
        return out

    def welcome(self, frame: Mapping[str, Any]) -> dict[str, Any]:
        """One Pro welcome frame in a chosen form."""
        out, applied = vary_pro_welcome(frame, self._rng)
        self._record(applied)
        return out
