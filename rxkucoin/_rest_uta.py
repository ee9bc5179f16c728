"""UTA (unified account) REST calls: typed account snapshots, order lookups and order entry."""

from __future__ import annotations

from ._rest import RestClient

__all__ = ("UtaRest",)


class UtaRest(RestClient):
    """UTA (unified account) endpoints (a mixin of `KucoinRest`)."""
