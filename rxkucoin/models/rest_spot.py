"""Spot and margin REST answers: the typed snapshots and order records `KucoinRest` returns."""

from __future__ import annotations

__all__ = ()
