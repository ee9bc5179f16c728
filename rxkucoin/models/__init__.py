"""Typed payloads for every private topic, and the one decoder registry.

Each payload is a frozen `msgspec.Struct`: snake_case names, decimal strings as `Decimal`,
JSON numbers as `int`/`float`, blank strings as `None`. `decode_payload` picks the type
from the dialect, topic and subject; topics without a model decode to `UnknownPayload`.
"""

from __future__ import annotations

from ._base import Payload, UnknownPayload
from ._registry import decode_payload, payload_type
from .futures import (
    CrossLeverage,
    FuturesAvailableBalanceChange,
    FuturesCrossLeverageChange,
    FuturesFundingEvent,
    FuturesMarginModeChange,
    FuturesOrderChange,
    FuturesOrderMarginChange,
    FuturesPositionChange,
    FuturesPositionEvent,
    FuturesPositionMarkPrice,
    FuturesPositionSettlement,
    FuturesRiskLimitAdjustment,
    FuturesStopOrderChange,
    FuturesWalletBalance,
    FuturesWalletEvent,
    FuturesWithdrawHoldChange,
)
from .margin import (
    IsolatedMarginAssetChange,
    IsolatedMarginPositionChange,
    MarginAssetBalance,
    MarginDebtRatio,
    MarginPositionEvent,
    MarginPositionStatus,
)
from .pro import (
    ProBalance,
    ProExecution,
    ProExecutionLite,
    ProLeverage,
    ProLiquidationWarning,
    ProOrder,
    ProPosition,
)
from .rest_futures import FuturesAccountOverview, FuturesOrder, FuturesPosition
from .rest_spot import (
    CrossMarginAccount,
    IsolatedMarginAccount,
    IsolatedMarginAccounts,
    MarginAsset,
    PlacedOrder,
    SpotAccount,
    SpotOrder,
    SpotStopOrder,
)
from .rest_uta import (
    UtaAccountMode,
    UtaBalance,
    UtaBalanceAccount,
    UtaCurrencyBalance,
    UtaOrder,
    UtaPosition,
)
from .spot import (
    SpotBalanceChange,
    SpotBalanceRelationContext,
    SpotMatch,
    SpotOrderChange,
    SpotStopOrderChange,
)

__all__ = (
    "CrossLeverage",
    "CrossMarginAccount",
    "FuturesAccountOverview",
    "FuturesAvailableBalanceChange",
    "FuturesCrossLeverageChange",
    "FuturesFundingEvent",
    "FuturesMarginModeChange",
    "FuturesOrder",
    "FuturesOrderChange",
    "FuturesOrderMarginChange",
    "FuturesPosition",
    "FuturesPositionChange",
    "FuturesPositionEvent",
    "FuturesPositionMarkPrice",
    "FuturesPositionSettlement",
    "FuturesRiskLimitAdjustment",
    "FuturesStopOrderChange",
    "FuturesWalletBalance",
    "FuturesWalletEvent",
    "FuturesWithdrawHoldChange",
    "IsolatedMarginAccount",
    "IsolatedMarginAccounts",
    "IsolatedMarginAssetChange",
    "IsolatedMarginPositionChange",
    "MarginAsset",
    "MarginAssetBalance",
    "MarginDebtRatio",
    "MarginPositionEvent",
    "MarginPositionStatus",
    "Payload",
    "PlacedOrder",
    "ProBalance",
    "ProExecution",
    "ProExecutionLite",
    "ProLeverage",
    "ProLiquidationWarning",
    "ProOrder",
    "ProPosition",
    "SpotAccount",
    "SpotBalanceChange",
    "SpotBalanceRelationContext",
    "SpotMatch",
    "SpotOrder",
    "SpotOrderChange",
    "SpotStopOrder",
    "SpotStopOrderChange",
    "UnknownPayload",
    "UtaAccountMode",
    "UtaBalance",
    "UtaBalanceAccount",
    "UtaCurrencyBalance",
    "UtaOrder",
    "UtaPosition",
    "decode_payload",
    "payload_type",
)
