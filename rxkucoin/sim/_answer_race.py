"""Which goes first, an order entry's REST answer or the pushes it caused.

On the exchange a market order's fill is often pushed before the placement's REST answer
arrives, and sometimes after. The simulator draws which, from its seed, for every order
entry of every family (spot, futures, UTA): `PUSHES_FIRST` of them let the pushes leave
the account's sockets first; the others answer at once and the pushes follow.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any, Final

__all__ = ("PUSHES_FIRST", "answer_after_pushes")

#: The share of order entries whose pushes go out before the answer.
PUSHES_FIRST: Final = 0.75
#: Loop turns an order entry waits at most for its pushes to leave its sockets.
MAX_FLUSH_TURNS: Final = 100
#: Loop turns it then leaves to a client in the same process to read them (measured: an
#: rxkucoin client needs about three per frame).
READ_TURNS: Final = 6


async def answer_after_pushes(sim: Any, account: str) -> None:
    """Before an order entry answers: with probability `PUSHES_FIRST` (seeded), wait until
    the pushes it caused have left ``account``'s sockets and had time to be read."""
    draw: random.Random | None = getattr(sim, "_answer_race", None)
    if draw is None:
        draw = random.Random(f"rxkucoin-sim-answers:{getattr(sim, 'seed', 0)}")
        sim._answer_race = draw
    if draw.random() >= PUSHES_FIRST:
        return
    # Session queues are the server's own; this module is part of the same server.
    sessions = getattr(sim, "_sessions", {})
    for _ in range(MAX_FLUSH_TURNS):
        if not any(s.account == account and s._queue.qsize() for s in sessions):
            break
        await asyncio.sleep(0)
    for _ in range(READ_TURNS):
        await asyncio.sleep(0)
