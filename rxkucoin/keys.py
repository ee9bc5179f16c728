"""WsKeys: which socket a topic lives on, how that socket authenticates, and where it is.

One `WsKey` is one socket. The names match the seed SDK's ``WS_KEY_MAP`` so that its
examples translate word for word (``WsKey("spotPrivateV1")`` works too).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import ClassVar

__all__ = ("Dialect", "Endpoints", "Market", "WsKey")


class Dialect(Enum):
    """The two wire dialects KuCoin speaks on its private sockets."""

    CLASSIC = "classic"
    """V1: ``type``-tagged frames, ``{topic, subject, data}`` pushes (PROTOCOL.md §3)."""
    PRO = "pro"
    """Pro/UTA: ``action`` requests, ``{id, result}`` acks, ``{T, P, d}`` pushes (§5)."""


class Market(Enum):
    """Which REST host a key's token comes from."""

    SPOT = "spot"
    FUTURES = "futures"


class WsKey(StrEnum):
    """A KuCoin WebSocket connection kind.

    Attributes are derived from the key: `dialect`, `is_private`, `market` (which REST
    host issues its token) and `token_path` (the bullet endpoint).
    """

    SPOT_PRIVATE_V1 = "spotPrivateV1"
    FUTURES_PRIVATE_V1 = "futuresPrivateV1"
    PRIVATE_PRO_V2 = "privateProV2"
    SPOT_PUBLIC_V1 = "spotPublicV1"
    FUTURES_PUBLIC_V1 = "futuresPublicV1"

    @property
    def dialect(self) -> Dialect:
        """Classic (V1) or Pro."""
        return Dialect.PRO if self is WsKey.PRIVATE_PRO_V2 else Dialect.CLASSIC

    @property
    def is_private(self) -> bool:
        """Whether the key needs credentials."""
        return self in (WsKey.SPOT_PRIVATE_V1, WsKey.FUTURES_PRIVATE_V1, WsKey.PRIVATE_PRO_V2)

    @property
    def market(self) -> Market:
        """The REST host that issues this key's token."""
        if self in (WsKey.FUTURES_PRIVATE_V1, WsKey.FUTURES_PUBLIC_V1):
            return Market.FUTURES
        return Market.SPOT

    @property
    def token_path(self) -> str:
        """The bullet endpoint that issues this key's token."""
        if self is WsKey.PRIVATE_PRO_V2:
            return "/api/v2/bullet-private"
        return "/api/v1/bullet-private" if self.is_private else "/api/v1/bullet-public"


@dataclass(frozen=True)
class Endpoints:
    """Where KuCoin lives; replace any field to point rxkucoin elsewhere.

    The defaults are KuCoin's global hosts. `Endpoints.EU` and `Endpoints.AUSTRALIA` are the
    regional variants; the embedded simulator hands out its own `Endpoints`.

    Args:
        spot_rest: REST base URL of the spot/margin/Pro host (spot tokens, Pro tokens).
        futures_rest: REST base URL of the Classic futures host (futures tokens).
        pro_private_ws: the Pro private push socket (its URL is not in the token answer).
        site_type: value of the ``X-SITE-TYPE`` header, ``"australia"`` for KuCoin AU.
    """

    spot_rest: str = "https://api.kucoin.com"
    futures_rest: str = "https://api-futures.kucoin.com"
    pro_private_ws: str = "wss://wsapi-push.kucoin.com"
    site_type: str | None = None

    GLOBAL: ClassVar[Endpoints]
    EU: ClassVar[Endpoints]
    AUSTRALIA: ClassVar[Endpoints]

    def rest_base(self, market: Market) -> str:
        """The REST base URL for `market`, without a trailing slash."""
        base = self.spot_rest if market is Market.SPOT else self.futures_rest
        return base.rstrip("/")

    def extra_headers(self) -> dict[str, str]:
        """Headers every REST call to these hosts carries (the AU site header)."""
        return {"X-SITE-TYPE": self.site_type} if self.site_type else {}


Endpoints.GLOBAL = Endpoints()
Endpoints.EU = Endpoints(
    spot_rest="https://api.kucoin.eu",
    futures_rest="https://api-futures.kucoin.eu",
    pro_private_ws="wss://wsapi-push.kucoin.eu",
)
Endpoints.AUSTRALIA = Endpoints(site_type="australia")
