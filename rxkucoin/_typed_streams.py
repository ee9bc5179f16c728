"""The typed stream methods of `KucoinStreams`: one per topic of KuCoin's private streams.

Each builds its topic string or Pro request and hands it to ``subscribe``; the element type
of the stream it returns is the payload model of that topic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ._stream import TopicStream
from .exceptions import InvalidTopic
from .keys import WsKey
from .models import (
    FuturesCrossLeverageChange,
    FuturesMarginModeChange,
    FuturesOrderChange,
    FuturesPositionEvent,
    FuturesStopOrderChange,
    FuturesWalletEvent,
    IsolatedMarginPositionChange,
    MarginPositionEvent,
    ProBalance,
    ProExecution,
    ProExecutionLite,
    ProLeverage,
    ProLiquidationWarning,
    ProOrder,
    ProPosition,
    SpotBalanceChange,
    SpotMatch,
    SpotOrderChange,
    SpotStopOrderChange,
)

__all__ = ("Subscription", "TypedStreams")

Subscription = str | Mapping[str, Any]


class TypedStreams:
    """The typed stream methods; the class using it provides `subscribe`."""

    def subscribe(
        self, topics: Subscription | Sequence[Subscription], ws_key: WsKey | str
    ) -> TopicStream[Any]:
        raise NotImplementedError

    # --- spot -------------------------------------------------------------------------

    def spot_orders(self, *, v1: bool = False) -> TopicStream[SpotOrderChange]:
        """Spot (and HF margin) order changes: ``/spotMarket/tradeOrdersV2``.

        Args:
            v1: use ``/spotMarket/tradeOrders`` instead (no ``received`` event).
        """
        topic = "/spotMarket/tradeOrders" if v1 else "/spotMarket/tradeOrdersV2"
        return self.subscribe(topic, WsKey.SPOT_PRIVATE_V1)

    def spot_balance(self) -> TopicStream[SpotBalanceChange]:
        """Balance changes of every spot/margin account: ``/account/balance``."""
        return self.subscribe("/account/balance", WsKey.SPOT_PRIVATE_V1)

    def spot_stop_orders(self) -> TopicStream[SpotStopOrderChange]:
        """Spot stop orders: ``/spotMarket/advancedOrders``."""
        return self.subscribe("/spotMarket/advancedOrders", WsKey.SPOT_PRIVATE_V1)

    def spot_matches(self, symbols: str | Sequence[str]) -> TopicStream[SpotMatch]:
        """Your own matches on ``/market/match:{symbol}`` (the seed SDK's "private fills").

        Subscribed on the private socket with ``privateChannel`` true. Prefer the ``match``
        events of `spot_orders`, which KuCoin documents as private; this one mirrors the seed.
        """
        return self.subscribe(_symbols("/market/match", symbols), WsKey.SPOT_PRIVATE_V1)

    # --- margin -----------------------------------------------------------------------

    def margin_position(self) -> TopicStream[MarginPositionEvent]:
        """Cross margin debt ratio and position status: ``/margin/position``."""
        return self.subscribe("/margin/position", WsKey.SPOT_PRIVATE_V1)

    def margin_isolated_position(
        self, symbols: str | Sequence[str]
    ) -> TopicStream[IsolatedMarginPositionChange]:
        """Isolated margin positions: ``/margin/isolatedPosition:{symbol}``, per symbol."""
        return self.subscribe(_symbols("/margin/isolatedPosition", symbols), WsKey.SPOT_PRIVATE_V1)

    # --- futures ----------------------------------------------------------------------

    def futures_orders(
        self, symbols: str | Sequence[str] | None = None
    ) -> TopicStream[FuturesOrderChange]:
        """Futures order changes: all symbols, or ``/contractMarket/tradeOrders:{symbol}``."""
        prefix = "/contractMarket/tradeOrders"
        topic = prefix if symbols is None else _symbols(prefix, symbols)
        return self.subscribe(topic, WsKey.FUTURES_PRIVATE_V1)

    def futures_stop_orders(self) -> TopicStream[FuturesStopOrderChange]:
        """Futures stop orders: ``/contractMarket/advancedOrders``."""
        return self.subscribe("/contractMarket/advancedOrders", WsKey.FUTURES_PRIVATE_V1)

    def futures_wallet(self) -> TopicStream[FuturesWalletEvent]:
        """Futures wallet balance changes: ``/contractAccount/wallet``."""
        return self.subscribe("/contractAccount/wallet", WsKey.FUTURES_PRIVATE_V1)

    def futures_positions(
        self, symbols: str | Sequence[str] | None = None
    ) -> TopicStream[FuturesPositionEvent]:
        """Futures positions: every symbol (``/contract/positionAll``) or the given ones
        (``/contract/position:{symbol}``)."""
        if symbols is None:
            return self.subscribe("/contract/positionAll", WsKey.FUTURES_PRIVATE_V1)
        return self.subscribe(_symbols("/contract/position", symbols), WsKey.FUTURES_PRIVATE_V1)

    def futures_margin_mode(self) -> TopicStream[FuturesMarginModeChange]:
        """Margin mode changes per symbol: ``/contract/marginMode``."""
        return self.subscribe("/contract/marginMode", WsKey.FUTURES_PRIVATE_V1)

    def futures_cross_leverage(self) -> TopicStream[FuturesCrossLeverageChange]:
        """Cross leverage changes per symbol: ``/contract/crossLeverage``."""
        return self.subscribe("/contract/crossLeverage", WsKey.FUTURES_PRIVATE_V1)

    # --- Pro (unified account) --------------------------------------------------------

    def pro_orders(
        self, trade_type: str = "UNIFIED", symbols: str | Sequence[str] | None = None
    ) -> TopicStream[ProOrder]:
        """Pro order changes: ``orderAll`` for a trade type, or ``order`` per symbol.

        Args:
            trade_type: ``UNIFIED`` (every trade type of a unified account), ``SPOT``,
                ``FUTURES``, ``ISOLATED`` or ``CROSS``.
            symbols: only these symbols (the ``order`` channel), if given.
        """
        return self._pro("orderAll", "order", trade_type, symbols)

    def pro_positions(
        self, trade_type: str = "UNIFIED", symbols: str | Sequence[str] | None = None
    ) -> TopicStream[ProPosition]:
        """Pro positions: ``positionAll`` for a trade type, or ``position`` per symbol."""
        return self._pro("positionAll", "position", trade_type, symbols)

    def pro_balance(self, account_type: str = "UNIFIED") -> TopicStream[ProBalance]:
        """Pro balances of one account type: ``UNIFIED``, ``SPOT``, ``FUTURES``, ``ISOLATED``
        or ``CROSS``."""
        request = {"topic": "balance", "payload": {"accountType": account_type}}
        return self.subscribe(request, WsKey.PRIVATE_PRO_V2)

    def pro_executions(self, trade_type: str = "UNIFIED") -> TopicStream[ProExecution]:
        """Pro fills with fees: ``execution``."""
        return self._pro("execution", None, trade_type, None)

    def pro_executions_lite(self, trade_type: str = "UNIFIED") -> TopicStream[ProExecutionLite]:
        """Pro fills without fee fields: ``execution.lite``."""
        return self._pro("execution.lite", None, trade_type, None)

    def pro_liquidation_warnings(
        self, trade_type: str = "UNIFIED"
    ) -> TopicStream[ProLiquidationWarning]:
        """Pro liquidation warnings: ``lw``."""
        return self._pro("lw", None, trade_type, None)

    def pro_leverage(self, trade_type: str = "UNIFIED") -> TopicStream[ProLeverage]:
        """Pro leverage changes: ``leverage``."""
        return self._pro("leverage", None, trade_type, None)

    def _pro(
        self,
        channel: str,
        symbol_channel: str | None,
        trade_type: str,
        symbols: str | Sequence[str] | None,
    ) -> TopicStream[Any]:
        if symbols is None or symbol_channel is None:
            request = {"topic": channel, "payload": {"tradeType": trade_type}}
            return self.subscribe(request, WsKey.PRIVATE_PRO_V2)
        return self.subscribe(
            [
                {"topic": symbol_channel, "payload": {"tradeType": trade_type, "symbol": s}}
                for s in _symbol_list(symbol_channel, symbols)
            ],
            WsKey.PRIVATE_PRO_V2,
        )


def _symbol_list(topic: str, symbols: str | Sequence[str]) -> list[str]:
    names = [symbols] if isinstance(symbols, str) else list(symbols)
    if not names or not all(isinstance(n, str) and n for n in names):
        raise InvalidTopic(f"{topic} needs one or more symbols, got {symbols!r}")
    return names


def _symbols(prefix: str, symbols: str | Sequence[str]) -> str:
    return f"{prefix}:{','.join(_symbol_list(prefix, symbols))}"
