"""The account-state methods of `KucoinStreams`: live views and race-free order waits."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from . import _view_specs as specs
from . import _view_specs_uta as uta_specs
from ._expect import ExpectedOrder, OrderAccount
from ._live_view import LiveView, ViewSpec
from ._typed_streams import TypedStreams
from ._view_models import Balance, OpenOrder, Position

__all__ = ("AccountViews",)


class AccountViews(TypedStreams):
    """Live views of orders, balances and positions, and `expect_order` (a mixin)."""

    _views: dict[tuple[str, float | None], LiveView[Any, Any]]

    def _entered_loop(self) -> asyncio.AbstractEventLoop:
        raise NotImplementedError

    def _view(self, spec: ViewSpec[Any, Any], check_every: float | None) -> LiveView[Any, Any]:
        if check_every is not None and check_every <= 0:
            raise ValueError("check_every must be a positive number of seconds")
        key = (spec.name, check_every)
        view = self._views.get(key)
        if view is None:
            view = LiveView(self, spec, check_every=check_every, loop=self._entered_loop())  # type: ignore[arg-type]
            view = self._views.setdefault(key, view)
        return view

    def open_orders(
        self,
        account: Literal["spot", "futures", "uta"] = "spot",
        *,
        trade_type: str = "SPOT",
        check_every: float | None = None,
    ) -> LiveView[str, OpenOrder]:
        """The account's open orders by order id, kept true by pushes and REST snapshots.

        Args:
            account: ``"spot"`` (HF spot orders), ``"futures"``, or ``"uta"`` (the unified
                account's orders of ``trade_type``).
            trade_type: for ``"uta"``: ``SPOT``, ``FUTURES``, ``ISOLATED`` or ``CROSS``.
            check_every: if set, also take a snapshot every so many seconds, to catch a
                push lost without any outage (KuCoin's private pushes carry no sequence).

        Returns:
            A `LiveView`: a hot Observable of immutable mappings ``{order_id: OpenOrder}``,
            with `LiveView.value` and `LiveView.resyncs`. Calls with the same arguments
            share one view.
        """
        if account == "spot":
            spec: ViewSpec[Any, Any] = specs.spot_open_orders
        elif account == "futures":
            spec = specs.futures_open_orders
        elif account == "uta":
            spec = uta_specs.uta_open_orders(trade_type.upper())
        else:
            raise ValueError(f"open_orders: unknown account {account!r}")
        return self._view(spec, check_every)

    def balances(
        self,
        account: Literal["spot", "uta"] = "spot",
        *,
        check_every: float | None = None,
    ) -> LiveView[str, Balance]:
        """The account's balances by currency (spot: the trade account; uta: the unified
        account), kept true by pushes and REST snapshots. See `open_orders`."""
        if account == "spot":
            spec: ViewSpec[Any, Any] = specs.spot_balances
        elif account == "uta":
            spec = uta_specs.uta_balances()
        else:
            raise ValueError(f"balances: unknown account {account!r}")
        return self._view(spec, check_every)

    def positions(
        self,
        account: Literal["futures", "uta"] = "futures",
        *,
        check_every: float | None = None,
    ) -> LiveView[str, Position]:
        """The account's open futures positions by symbol, kept true by pushes and REST
        snapshots. See `open_orders`."""
        if account == "futures":
            spec: ViewSpec[Any, Any] = specs.futures_positions
        elif account == "uta":
            spec = uta_specs.uta_positions
        else:
            raise ValueError(f"positions: unknown account {account!r}")
        return self._view(spec, check_every)

    def expect_order(
        self,
        account: OrderAccount,
        *,
        client_oid: str,
        symbol: str | None = None,
        trade_type: str = "SPOT",
    ) -> ExpectedOrder:
        """Wait for an order's end without a race; enter it *before* placing the order.

        ```python
        async with streams.expect_order("spot", client_oid=oid, symbol="BTC-USDT") as order:
            await streams.rest.place_spot_order("BTC-USDT", "buy", "market", size="0.01",
                                                client_oid=oid)
            done = await order.done(timeout=10)
        ```

        A fill pushed before the placement's REST answer is not missed; a `Gap` during the
        wait makes it ask REST, and so does the timeout before it gives up.

        Args:
            account: ``"spot"``, ``"futures"`` or ``"uta"``.
            client_oid: the client order id the order will be placed with.
            symbol: the order's symbol (required for spot and uta: KuCoin looks those
                orders up within a symbol).
            trade_type: for ``"uta"``, the order's trade type.

        Raises:
            ValueError: no client_oid, or no symbol where one is needed.
        """
        return ExpectedOrder(
            self,  # type: ignore[arg-type]
            account,
            client_oid,
            symbol=symbol,
            trade_type=trade_type,
        )
