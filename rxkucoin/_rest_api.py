"""`KucoinRest`: every typed REST call rxkucoin makes, one class per account family."""

from __future__ import annotations

from ._rest_futures import FuturesRest
from ._rest_spot import SpotRest
from ._rest_uta import UtaRest

__all__ = ("KucoinRest",)


class KucoinRest(SpotRest, FuturesRest, UtaRest):
    """Signed REST calls, typed: account snapshots, order lookups and order entry.

    Reached as ``streams.rest``. Each answer is decoded under the same rule as the pushes
    (`rxkucoin.models`): blank strings are ``None``, numbers come in any form, only identity
    fields are required. Listings are read page after page until the last.

    Raises (every method):
        DecodeError: the answer does not fit its model.
        AuthError, RestError: KuCoin refused the call (fatal until fixed).
        RateLimitError, ServerError, ClockSkewError, TransportError: transient; retry.
        ClientClosed: the client was closed.
    """
