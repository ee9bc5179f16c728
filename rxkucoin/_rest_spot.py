"""Spot and margin REST calls: typed account snapshots, order lookups and order entry."""

from __future__ import annotations

from ._rest import RestClient

__all__ = ("SpotRest",)


class SpotRest(RestClient):
    """Spot and margin endpoints (a mixin of `KucoinRest`)."""
