"""The demo: the embedded simulator, a synthetic trader, and rxkucoin streaming it all.

``python -m rxkucoin demo`` (or ``make demo``) starts the simulator on loopback, lets a
synthetic trader work a demo account, and subscribes to its spot, futures and Pro streams
through rxkucoin over real sockets. Now and then it breaks the connection on purpose
(a reset, a half-open link, an expired token, the 24 h cut) so that you can watch the
reconnect and the gap marker that tells a strategy what it may have missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TextIO

from ._client import KucoinStreams
from ._dashboard import DemoState, render
from ._events import ConnectionEvent, ConnectionState, Gap
from .keys import WsKey
from .models import (
    FuturesOrderChange,
    FuturesPositionChange,
    FuturesPositionMarkPrice,
    FuturesWalletBalance,
    ProBalance,
    ProOrder,
    SpotBalanceChange,
    SpotOrderChange,
)
from .sim import Simulator
from .sim._trader import SyntheticTrader

__all__ = ("run_demo",)

SUBSCRIPTIONS: list[tuple[str, WsKey, str | dict[str, Any]]] = [
    ("spot order", WsKey.SPOT_PRIVATE_V1, "/spotMarket/tradeOrdersV2"),
    ("spot balance", WsKey.SPOT_PRIVATE_V1, "/account/balance"),
    ("futures order", WsKey.FUTURES_PRIVATE_V1, "/contractMarket/tradeOrders"),
    ("position", WsKey.FUTURES_PRIVATE_V1, "/contract/positionAll"),
    ("wallet", WsKey.FUTURES_PRIVATE_V1, "/contractAccount/wallet"),
    ("pro order", WsKey.PRIVATE_PRO_V2, {"topic": "orderAll", "payload": {"tradeType": "UNIFIED"}}),
]

FAULTS: list[tuple[str, Callable[[Simulator], Any]]] = [
    ("reset every socket (TCP RST)", lambda sim: sim.faults.drop(how="reset")),
    ("go half-open (no pongs, no pushes)", lambda sim: sim.faults.half_open()),
    ("expire every token", lambda sim: sim.faults.expire_tokens()),
    ("close every socket cleanly (the 24 h cut)", lambda sim: sim.faults.drop(how="close")),
]


def _num(value: Decimal | float | int | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return f"{value:g}"


def describe(item: Any) -> str:
    """One short line for a payload."""
    if isinstance(item, SpotOrderChange):
        return (
            f"{item.symbol} {item.side} {item.type}/{item.status} "
            f"size {_num(item.size)} @ {_num(item.price)} filled {_num(item.filled_size)}"
        )
    if isinstance(item, SpotBalanceChange):
        return (
            f"{item.currency} total {_num(item.total)} available {_num(item.available)} "
            f"({item.relation_event})"
        )
    if isinstance(item, FuturesOrderChange):
        return (
            f"{item.symbol} {item.side} {item.type}/{item.status} "
            f"{_num(item.size)} contracts @ {_num(item.price)}"
        )
    if isinstance(item, FuturesPositionChange):
        return (
            f"{item.symbol} qty {item.current_qty} entry {_num(item.avg_entry_price)} "
            f"uPnL {_num(item.unrealised_pnl)}"
        )
    if isinstance(item, FuturesPositionMarkPrice):
        return f"mark {_num(item.mark_price)} uPnL {_num(item.unrealised_pnl)}"
    if isinstance(item, FuturesWalletBalance):
        return f"{item.currency} wallet {_num(item.wallet_balance)} v{item.version}"
    if isinstance(item, ProOrder):
        return (
            f"{item.trade_type} {item.symbol} {item.side} {item.event_type} "
            f"qty {_num(item.quantity)}"
        )
    if isinstance(item, ProBalance):
        return f"{item.currency} available {_num(item.available)}"
    return type(item).__name__


async def run_demo(
    seconds: float = 20.0, *, out: TextIO | None = None, seed: int = 1, live: bool = False
) -> int:
    """Run the demo for ``seconds`` (for ever when 0) and show what happens.

    Args:
        seconds: how long to run; 0 runs until interrupted.
        out: where to write; standard output by default.
        seed: seeds the simulator and the synthetic trader.
        live: a live dashboard (for terminals) instead of one line per event.

    Returns:
        The process exit status: 0 when events flowed and no stream failed.
    """
    from rich.console import Console
    from rich.live import Live

    stream = out or sys.stdout
    started = time.monotonic()
    state = DemoState()

    def say(tag: str, text: str, *, printed: bool = not live) -> None:
        line = f"{time.monotonic() - started:7.2f}s  {tag:<14} {text}"
        state.log.append(line)
        if printed:
            stream.write(line + "\n")
            stream.flush()

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)

    gaps: list[Gap] = []
    errors: list[Exception] = []
    async with Simulator(seed=seed, ping_interval_ms=1000, ping_timeout_ms=1500) as sim:
        creds = sim.add_account(
            "demo",
            balances={"USDT": "100000", "BTC": "2", "ETH": "20"},
            futures_balance="50000",
        )
        say("simulator", f"spot {sim.endpoints.spot_rest}  futures {sim.endpoints.futures_rest}")
        trader = SyntheticTrader(sim.engine, ["demo"], seed=seed)
        async with KucoinStreams(
            creds, endpoints=sim.endpoints, backoff=lambda attempt: min(0.2 * 2**attempt, 2.0)
        ) as streams:
            for key in (WsKey.SPOT_PRIVATE_V1, WsKey.FUTURES_PRIVATE_V1, WsKey.PRIVATE_PRO_V2):

                def on_event(event: ConnectionEvent) -> None:
                    if event.kind == "reconnect":
                        state.reconnects[event.ws_key.value] += 1
                    if event.kind in ("open", "reconnect", "reconnected", "exception"):
                        say(event.kind, f"{event.ws_key.value}: {event.detail}")

                def on_state(value: ConnectionState, key: WsKey = key) -> None:
                    state.states[key.value] = value.value

                streams.events(key).subscribe(on_event)
                streams.state(key).subscribe(on_state)
            for label, key, topic in SUBSCRIPTIONS:

                def on_item(item: Any, label: str = label, key: WsKey = key) -> None:
                    if isinstance(item, Gap):
                        gaps.append(item)
                        state.gaps[key.value] += 1
                        say(
                            "GAP",
                            f"{label}: {item.duration:.2f} s may be missing "
                            f"({item.cause}); reconcile by REST",
                        )
                        return
                    state.counts[label] += 1
                    remember(state, item)
                    say(label, describe(item))

                streams.subscribe(topic, key).with_gaps().subscribe(on_item, errors.append)
            trading = loop.create_task(trader.run(0.15, stop))
            console = Console(file=stream)
            view = Live(render(state, 0.0), console=console, refresh_per_second=4, transient=False)
            with view if live else contextlib.nullcontext():
                next_fault = 4.0
                fault_index = 0
                while not stop.is_set():
                    elapsed = time.monotonic() - started
                    if seconds and elapsed >= seconds:
                        break
                    if elapsed >= next_fault:
                        name, inject = FAULTS[fault_index % len(FAULTS)]
                        state.faults.append(f"{elapsed:.0f}s {name}")
                        say("FAULT", f"simulator will {name}")
                        inject(sim)
                        fault_index += 1
                        next_fault = elapsed + 5.0
                    if live:
                        view.update(render(state, elapsed))
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(0.1):
                            await stop.wait()
            stop.set()
            await trading
    # the summary is printed as lines in both modes
    counts = ", ".join(f"{k}: {v}" for k, v in sorted(state.counts.items()))
    say("summary", counts or "no events", printed=True)
    say("summary", f"{len(gaps)} gaps reported, {len(errors)} stream errors", printed=True)
    for error in errors:
        say("error", repr(error), printed=True)
    return 0 if not errors and sum(state.counts.values()) > 0 else 1


def remember(state: DemoState, item: Any) -> None:
    """Keep the latest balances and positions for the dashboard."""
    if isinstance(item, SpotBalanceChange):
        state.balances[item.currency] = (item.total, item.available, item.hold)
    elif isinstance(item, FuturesPositionChange):
        state.positions[item.symbol] = (
            item.current_qty,
            item.avg_entry_price,
            item.mark_price,
            item.unrealised_pnl,
        )
    elif isinstance(item, FuturesPositionMarkPrice):
        for symbol, (qty, entry, _, _) in list(state.positions.items()):
            if item.symbol == symbol:
                state.positions[symbol] = (qty, entry, item.mark_price, item.unrealised_pnl)
