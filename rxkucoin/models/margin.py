"""Margin private payloads: cross-margin debt and status, isolated-margin positions (Classic).

Topics (PROTOCOL.md §4.5-§4.6):

- ``/margin/position``, subject ``debt.ratio`` → `MarginDebtRatio` (about every 4 s while
  liabilities exist).
- ``/margin/position``, subject ``position.status`` → `MarginPositionStatus`.
- ``/margin/isolatedPosition:{symbol}``, subject ``positionChange`` →
  `IsolatedMarginPositionChange`.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from ..keys import Dialect
from ._base import Payload, Registration, Text

__all__ = (
    "IsolatedMarginAssetChange",
    "IsolatedMarginPositionChange",
    "MarginAssetBalance",
    "MarginDebtRatio",
    "MarginPositionEvent",
    "MarginPositionStatus",
)


class MarginAssetBalance(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """One currency's balance in the cross-margin account (a value of ``assetList``).

    Attributes:
        total: the total balance.
        available: the available balance.
        hold: the held (frozen) balance.
    """

    total: Decimal | None = None
    available: Decimal | None = None
    hold: Decimal | None = None


class MarginDebtRatio(Payload, frozen=True, kw_only=True):
    """The cross-margin account's debt ratio and balances (``debt.ratio``).

    An account-wide snapshot with no identity field: every field is ``None`` (or empty)
    when the push omits it.

    Attributes:
        debt_ratio: the debt ratio, a JSON number (e.g. ``0.7505``).
        total_debt: total liabilities.
        timestamp: event time, ms.
        total_asset: total assets in BTC, interest included, a JSON number.
        margin_coefficient_total_asset: total assets weighted by margin coefficients.
        asset_list: currency → balances; empty when the push has none.
        debt_list: currency → liability; empty when the push has none.
    """

    debt_ratio: float | None = None
    total_debt: Decimal | None = None
    timestamp: int | None = None
    total_asset: float | None = None
    margin_coefficient_total_asset: Decimal | None = None
    asset_list: dict[str, MarginAssetBalance] = msgspec.field(default_factory=dict)
    debt_list: dict[str, Decimal] = msgspec.field(default_factory=dict)


class MarginPositionStatus(Payload, frozen=True, kw_only=True):
    """A change of the cross-margin position's state (``position.status``).

    Attributes:
        type: the new state: ``FROZEN_FL``, ``UNFROZEN_FL``, ``FROZEN_RENEW``,
            ``UNFROZEN_RENEW``, ``LIABILITY``, ``UNLIABILITY``.
        timestamp: event time, ms.
    """

    type: Text
    timestamp: int | None = None


class IsolatedMarginAssetChange(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """One currency of an isolated-margin position (a value of ``changeAssets``).

    Attributes:
        total: the total balance.
        hold: the held (frozen) balance.
        liability_principal: borrowed principal.
        liability_interest: accrued interest.
    """

    total: Decimal | None = None
    hold: Decimal | None = None
    liability_principal: Decimal | None = None
    liability_interest: Decimal | None = None


class IsolatedMarginPositionChange(Payload, frozen=True, kw_only=True):
    """A change of an isolated-margin position (``positionChange``).

    Pushed on status change and periodically while in debt. Required: ``tag``.

    Attributes:
        tag: the position's symbol, e.g. ``BTC-USDT``.
        status: ``DEBT``, ``CLEAR``, ``IN_BORROW``, ``IN_REPAY``, ``IN_LIQUIDATION``,
            ``IN_AUTO_RENEW``.
        timestamp: event time, ms.
        status_biz_type: what caused the change: ``FORCE_LIQUIDATION``, ``USER_BORROW``,
            ``TRADE_AUTO_BORROW``, ``USER_REPAY``, ``AUTO_REPAY``, ``DEFAULT_DEBT``,
            ``DEFAULT_CLEAR``, ``ONE_CLICK_LIQUIDATION``,
            ``B2C_INTEREST_SETTLE_LIQUIDATION``, ``AIR_DROP_LIQUIDATION``.
        accumulated_principal: accumulated borrowed principal.
        change_assets: currency → the currency's balances and liabilities; empty when
            the push has none.
    """

    tag: Text
    status: Text | None = None
    timestamp: int | None = None
    status_biz_type: Text | None = None
    accumulated_principal: Decimal | None = None
    change_assets: dict[str, IsolatedMarginAssetChange] = msgspec.field(default_factory=dict)


REGISTRATIONS: tuple[Registration, ...] = (
    Registration(Dialect.CLASSIC, "/margin/position", "debt.ratio", MarginDebtRatio),
    Registration(Dialect.CLASSIC, "/margin/position", "position.status", MarginPositionStatus),
    Registration(
        Dialect.CLASSIC,
        "/margin/isolatedPosition",
        "positionChange",
        IsolatedMarginPositionChange,
    ),
)

#: Everything the cross-margin position topic pushes.
MarginPositionEvent = MarginDebtRatio | MarginPositionStatus
