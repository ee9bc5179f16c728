"""A user's code, checked by mypy --strict in the test command: the public API's types.

`assert_type` fails the type check if a stream's element type drifts.
"""

from __future__ import annotations

from decimal import Decimal
from typing import assert_type

from reactivex import Observable
from reactivex import operators as ops

from rxkucoin import Credentials, Gap, KucoinStreams, TopicStream, WsKey
from rxkucoin.aio import aiter_observable, first
from rxkucoin.models import (
    FuturesOrderChange,
    FuturesPositionEvent,
    FuturesWalletEvent,
    MarginPositionEvent,
    ProBalance,
    ProExecution,
    ProOrder,
    ProPosition,
    SpotBalanceChange,
    SpotOrderChange,
)


async def strategy(streams: KucoinStreams) -> Decimal:
    assert_type(streams.spot_orders(), TopicStream[SpotOrderChange])
    assert_type(streams.spot_balance(), TopicStream[SpotBalanceChange])
    assert_type(streams.margin_position(), TopicStream[MarginPositionEvent])
    assert_type(streams.futures_orders(["XBTUSDTM"]), TopicStream[FuturesOrderChange])
    assert_type(streams.futures_positions(), TopicStream[FuturesPositionEvent])
    assert_type(streams.futures_wallet(), TopicStream[FuturesWalletEvent])
    assert_type(streams.pro_orders("SPOT", "BTC-USDT"), TopicStream[ProOrder])
    assert_type(streams.pro_positions(), TopicStream[ProPosition])
    assert_type(streams.pro_balance("UNIFIED"), TopicStream[ProBalance])
    assert_type(streams.pro_executions(), TopicStream[ProExecution])
    assert_type(streams.spot_orders().with_gaps(), Observable[SpotOrderChange | Gap])

    # mypy cannot infer a lambda's parameter through RxPY's generic operators; named
    # functions (or pyright) keep the element type.
    def is_match(order: SpotOrderChange) -> bool:
        return order.type == "match"

    def matched(order: SpotOrderChange) -> Decimal:
        return order.match_size or Decimal(0)

    fills = streams.spot_orders().pipe(ops.filter(is_match), ops.map(matched))
    assert_type(fills, Observable[Decimal])

    async with aiter_observable(streams.spot_balance()) as balances:
        async for change in balances:
            assert_type(change, SpotBalanceChange)
            return change.available or Decimal(0)  # any non-identity field may be absent
    order = await first(streams.spot_orders(), lambda o: o.status == "done", timeout=5)
    assert_type(order, SpotOrderChange)
    return order.filled_size or Decimal(0)


async def open_streams() -> None:
    creds = Credentials("key", "secret", "passphrase")
    async with KucoinStreams(creds) as streams:
        streams.subscribe("/contract/position:XBTUSDTM", WsKey.FUTURES_PRIVATE_V1).subscribe(
            on_next=print
        )
        await strategy(streams)
