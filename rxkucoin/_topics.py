"""Topic keys: one normalised name per server subscription, and how pushes map back to them.

Classic topics are a prefix plus at most one symbol (``/contract/position:XBTUSDTM``); a
comma-joined topic is several keys. Pro topics are a channel, its trade or account type and,
for ``order`` and ``position``, a symbol. Batching joins keys back into as few frames as the
limits allow.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from ._session import Request
from .exceptions import InvalidTopic
from .keys import Dialect, WsKey

__all__ = ("TopicKey", "batch_requests", "covering_keys", "parse_topics", "route_keys")

#: At most this many symbols in one comma-joined Classic topic (PROTOCOL.md §3.3).
MAX_SYMBOLS_PER_FRAME: Final = 100
#: At most this many subscriptions per connection (PROTOCOL.md §3.5).
MAX_TOPICS_PER_CONNECTION: Final = 300

#: Pro channels whose selector is ``accountType`` rather than ``tradeType``.
_ACCOUNT_TYPE_CHANNELS: Final = frozenset({"balance"})
#: Pro channels that take a symbol.
_SYMBOL_CHANNELS: Final = frozenset({"order", "position"})
#: Classic per-symbol prefixes whose all-symbols topic has another name.
_ALL_TOPIC_ALIASES: Final = {"/contract/position": "/contract/positionAll"}
#: The reverse: an all-symbols topic's pushes belong to these per-symbol topics too. KuCoin
#: tags a positionAll subscription's pushes ``/contract/positionAll`` (PROTOCOL.md §0), the
#: docs show the per-symbol tag; both are routed to the same keys.
_PER_SYMBOL_OF_ALL: Final = {broad: narrow for narrow, broad in _ALL_TOPIC_ALIASES.items()}


@dataclass(frozen=True, slots=True)
class TopicKey:
    """One server subscription.

    Attributes:
        ws_key: the socket it lives on.
        name: Classic: the topic prefix (``/spotMarket/tradeOrdersV2``); Pro: the channel.
        symbol: the one symbol, for per-symbol topics.
        selector: Pro only: the ``tradeType`` (or ``accountType`` for ``balance``).
    """

    ws_key: WsKey
    name: str
    symbol: str | None = None
    selector: str | None = None

    def __str__(self) -> str:
        text = self.name if self.selector is None else f"{self.name}.{self.selector}"
        return text if self.symbol is None else f"{text}:{self.symbol}"

    def pro_params(self) -> tuple[tuple[str, str], ...]:
        """The Pro request's parameters, in a stable order."""
        selector = "accountType" if self.name in _ACCOUNT_TYPE_CHANNELS else "tradeType"
        params = [(selector, self.selector or "")]
        if self.symbol is not None:
            params.append(("symbol", self.symbol))
        return tuple(params)


def parse_topics(ws_key: WsKey, subscription: str | Mapping[str, Any]) -> list[TopicKey]:
    """Turn one subscription in any seed-SDK form into topic keys.

    Args:
        ws_key: the socket the subscription is for.
        subscription: Classic: a topic string, possibly with comma-joined symbols. Pro: a
            request ``{"topic": channel, "payload": {"tradeType": ..., "symbol": ...}}``
            (a flat ``{"channel": ..., "tradeType": ...}`` is accepted too).

    Raises:
        InvalidTopic: the subscription is malformed for ``ws_key``'s dialect.
    """
    if ws_key.dialect is Dialect.CLASSIC:
        if not isinstance(subscription, str):
            raise InvalidTopic(
                f"{ws_key.value} takes topic strings like '/account/balance', "
                f"not {type(subscription).__name__}"
            )
        return _parse_classic(ws_key, subscription)
    if not isinstance(subscription, Mapping):
        raise InvalidTopic(
            f"{ws_key.value} takes requests like "
            "{'topic': 'orderAll', 'payload': {'tradeType': 'UNIFIED'}}, "
            f"not {subscription!r}"
        )
    return [_parse_pro(ws_key, subscription)]


def _parse_classic(ws_key: WsKey, topic: str) -> list[TopicKey]:
    prefix, colon, symbols = topic.strip().partition(":")
    if not prefix.startswith("/") or any(c.isspace() for c in prefix):
        raise InvalidTopic(f"{topic!r} is not a KuCoin topic: topics start with '/'")
    prefix = sys.intern(prefix)  # one string per prefix, however many topics hold it
    if not colon:
        return [TopicKey(ws_key, prefix)]
    names = [s.strip() for s in symbols.split(",")]
    if not all(names):
        raise InvalidTopic(f"{topic!r} has an empty symbol")
    return [TopicKey(ws_key, prefix, name) for name in dict.fromkeys(names)]


def _parse_pro(ws_key: WsKey, request: Mapping[str, Any]) -> TopicKey:
    channel = request.get("topic", request.get("channel"))
    payload = request.get("payload", request)
    if not isinstance(channel, str) or not channel or not isinstance(payload, Mapping):
        raise InvalidTopic(f"Pro request {request!r} needs a 'topic' (channel) and a 'payload'")
    field = "accountType" if channel in _ACCOUNT_TYPE_CHANNELS else "tradeType"
    selector = payload.get(field)
    if not isinstance(selector, str) or not selector:
        raise InvalidTopic(f"Pro channel {channel!r} needs payload[{field!r}]")
    symbol = payload.get("symbol")
    if channel in _SYMBOL_CHANNELS and not isinstance(symbol, str):
        raise InvalidTopic(f"Pro channel {channel!r} needs payload['symbol']")
    if symbol is not None and not isinstance(symbol, str):
        raise InvalidTopic(f"payload['symbol'] must be a string, not {symbol!r}")
    return TopicKey(ws_key, channel, symbol or None, selector.upper())


def batch_requests(keys: Iterable[TopicKey]) -> list[tuple[Request, tuple[TopicKey, ...]]]:
    """Group keys into as few request frames as the limits allow.

    Classic keys with the same prefix share a frame, their symbols comma-joined, up to
    `MAX_SYMBOLS_PER_FRAME`. Pro takes one channel per request.
    """
    batches: list[tuple[Request, tuple[TopicKey, ...]]] = []
    by_prefix: dict[str, list[TopicKey]] = {}
    for key in keys:
        if key.ws_key.dialect is Dialect.PRO:
            request = Request(str(key), channel=key.name, params=key.pro_params())
            batches.append((request, (key,)))
        elif key.symbol is None:
            batches.append((Request(key.name, topic=key.name), (key,)))
        else:
            by_prefix.setdefault(key.name, []).append(key)
    for prefix, group in by_prefix.items():
        for start in range(0, len(group), MAX_SYMBOLS_PER_FRAME):
            chunk = tuple(group[start : start + MAX_SYMBOLS_PER_FRAME])
            topic = prefix + ":" + ",".join(k.symbol or "" for k in chunk)
            batches.append((Request(topic, topic=topic), chunk))
    return batches


def covering_keys(key: TopicKey) -> tuple[TopicKey, ...]:
    """The all-symbols topics whose pushes also carry ``key``'s (Classic per-symbol keys).

    While one of them is held, ``key`` needs no server subscription of its own: the broader
    subscription's pushes are routed to it too, so no push arrives twice.
    """
    if key.ws_key.dialect is Dialect.PRO or key.symbol is None:
        return ()
    keys = [TopicKey(key.ws_key, key.name)]
    alias = _ALL_TOPIC_ALIASES.get(key.name)
    if alias is not None:
        keys.append(TopicKey(key.ws_key, alias))
    return tuple(keys)


def route_keys(ws_key: WsKey, topic: str, symbol: str | None) -> tuple[TopicKey, ...]:
    """Every topic key a push belongs to.

    Args:
        ws_key: the socket it arrived on.
        topic: the push's topic (Classic) or ``T`` (Pro).
        symbol: the payload's symbol, if it has one (routes all-symbols pushes to the
            matching per-symbol subscribers, and Pro per-symbol channels).
    """
    if ws_key.dialect is Dialect.CLASSIC:
        prefix, _, sym = topic.partition(":")
        narrow = _PER_SYMBOL_OF_ALL.get(prefix)
        if narrow is not None:
            broad = TopicKey(ws_key, prefix)
            # without a symbol in the payload (mark-price updates may lack it) only the
            # all-symbols stream can be told
            return (broad, TopicKey(ws_key, narrow, symbol)) if symbol else (broad,)
        sym = sym or symbol or ""
        if not sym:
            return (TopicKey(ws_key, prefix),)
        exact = TopicKey(ws_key, prefix, sym)
        return (exact, *covering_keys(exact))
    channel, _, selector = topic.rpartition(".")
    if channel in _SYMBOL_CHANNELS:
        return (TopicKey(ws_key, channel, symbol, selector),)
    return (TopicKey(ws_key, channel, None, selector),)
