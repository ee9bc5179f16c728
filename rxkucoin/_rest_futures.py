"""Futures REST calls: typed account snapshots, order lookups and order entry."""

from __future__ import annotations

from ._rest import RestClient

__all__ = ("FuturesRest",)


class FuturesRest(RestClient):
    """Futures endpoints (a mixin of `KucoinRest`)."""
