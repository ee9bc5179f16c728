"""What the account engine hands the server: pushes, before they meet any socket.

The engine knows accounts and markets; the server knows sockets and subscriptions. These
two records are the whole interface between them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ("ClassicPush", "ProEvent", "Push")

Host = Literal["spot", "futures"]
ProKind = Literal["order", "position", "balance", "execution", "lw", "leverage"]


@dataclass(frozen=True)
class ClassicPush:
    """One Classic push for one account, in wire form.

    Attributes:
        account: the account (API key owner) it belongs to; the server sends it only on
            sockets authenticated as that account.
        host: which token host the topic lives on (spot/margin topics: ``"spot"``).
        topic: the subscription topic that receives it, with ``:SYMBOL`` when the topic is
            per symbol (``/contract/position:XBTUSDTM``); a subscription to a comma-joined
            topic receives every symbol it names.
        subject: the push subject.
        data: the payload exactly as it goes on the wire (strings stay strings).
        envelope_id: the envelope's ``id``, for topics that carry one.
        wire_topic: the ``topic`` written in the envelope, when it differs from ``topic``.
    """

    account: str
    host: Host
    topic: str
    subject: str
    data: dict[str, Any]
    envelope_id: str | None = None
    wire_topic: str | None = None


@dataclass(frozen=True)
class ProEvent:
    """One Pro (UTA) event for one account; the server fans it out to channels.

    ``order`` goes to ``orderAll`` and ``order`` (by symbol); ``position`` to ``positionAll``
    and ``position``; ``execution`` to ``execution`` and ``execution.lite`` (without fee
    fields); ``balance`` to ``balance`` by account type. A subscription with trade type
    ``UNIFIED`` receives every trade type.

    Attributes:
        account: the account it belongs to.
        kind: which family of channels.
        trade_type: ``SPOT``/``FUTURES``/``ISOLATED``/``CROSS``; for ``balance`` the
            account type (``UNIFIED``, ``SPOT``, ``FUTURES``...).
        symbol: the symbol, for per-symbol channels.
        data: the ``d`` payload exactly as it goes on the wire.
    """

    account: str
    kind: ProKind
    trade_type: str
    data: dict[str, Any]
    symbol: str | None = None
    seq: int = field(default=0, compare=False)


Push = ClassicPush | ProEvent
