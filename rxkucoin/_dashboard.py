"""The demo's live terminal view (rich): connections, balances, positions, recent events."""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from decimal import Decimal

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table

__all__ = ("DemoState", "render")


@dataclass
class DemoState:
    """What the demo has seen so far."""

    log: deque[str] = field(default_factory=lambda: deque(maxlen=14))
    states: dict[str, str] = field(default_factory=dict)
    reconnects: Counter[str] = field(default_factory=Counter)
    gaps: Counter[str] = field(default_factory=Counter)
    counts: Counter[str] = field(default_factory=Counter)
    # a push may leave any non-identity field out: None shows as "-"
    balances: dict[str, tuple[Decimal | None, Decimal | None, Decimal | None]] = field(
        default_factory=dict
    )
    positions: dict[str, tuple[int | None, float | None, float | None, float | None]] = field(
        default_factory=dict
    )
    faults: deque[str] = field(default_factory=lambda: deque(maxlen=4))


def _num(value: Decimal | float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


_STATE_STYLE = {"live": "green", "reconnecting": "yellow", "connecting": "yellow"}


def render(state: DemoState, elapsed: float) -> RenderableType:
    """The whole screen for one refresh."""
    connections = Table(title="connections", expand=True)
    for column in ("WsKey", "state", "reconnects", "gaps"):
        connections.add_column(column)
    for key, value in sorted(state.states.items()):
        style = _STATE_STYLE.get(value, "red")
        connections.add_row(
            key, f"[{style}]{value}[/{style}]", str(state.reconnects[key]), str(state.gaps[key])
        )

    balances = Table(title="spot balances", expand=True)
    for column in ("currency", "total", "available", "hold"):
        balances.add_column(column, justify="right")
    for currency, (total, available, hold) in sorted(state.balances.items()):
        balances.add_row(currency, _num(total, ".4f"), _num(available, ".4f"), _num(hold, ".4f"))

    positions = Table(title="futures positions", expand=True)
    for column in ("symbol", "qty", "entry", "mark", "uPnL"):
        positions.add_column(column, justify="right")
    for symbol, (qty, entry, mark, pnl) in sorted(state.positions.items()):
        style = "green" if (pnl or 0) >= 0 else "red"
        positions.add_row(
            symbol,
            _num(qty, "d"),
            _num(entry, "g"),
            _num(mark, "g"),
            f"[{style}]{_num(pnl, '+.4f')}[/{style}]",
        )

    counts = ", ".join(f"{k} {v}" for k, v in sorted(state.counts.items()))
    faults = " | ".join(state.faults) or "none yet"
    return Group(
        Panel(
            f"rxkucoin demo, {elapsed:.0f} s: a simulated account streamed over real sockets. "
            "Faults are injected every few seconds; watch the reconnects and gap markers.\n"
            f"events: {counts}\nfaults: {faults}",
            title="rxkucoin",
        ),
        connections,
        balances,
        positions,
        Panel("\n".join(state.log), title="recent events"),
    )
