"""The HTTP side the simulator's order-entry modules share: signed route handlers, JSON
bodies, parameter errors, and which goes first, an order entry's answer or its pushes.

On the exchange a market order's fill is often pushed before the placement's REST answer
arrives, and sometimes after. The simulator draws which, from its seed, for every order
entry of every family (spot, futures, UTA): `PUSHES_FIRST` of them let the pushes leave
the account's sockets first; the others answer at once and the pushes follow.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Final

import msgspec
from aiohttp import web

from ._gateway import GatewayError

if TYPE_CHECKING:
    from ._gateway import Gateway

__all__ = (
    "CLIENT_OID",
    "PUSHES_FIRST",
    "Action",
    "answer_after_pushes",
    "choice",
    "flag",
    "json_object",
    "param_error",
    "positive",
    "router",
)

_log = logging.getLogger("rxkucoin.sim._server")

#: What KuCoin accepts as a ``clientOid``.
CLIENT_OID: Final = re.compile(r"^[A-Za-z0-9_-]{1,40}$")

#: An order-entry action: ``(account, request, JSON body or None) -> data``.
Action = Callable[[str, web.Request, Any], Any]

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


def param_error(msg: str) -> GatewayError:
    """KuCoin's parameter error (``400100``, HTTP 400) with ``msg`` naming the parameter."""
    return GatewayError("400100", 400, msg)


def positive(name: str, value: Any, *, floats: bool = True) -> Decimal:
    """A positive finite number given as a string or a JSON number (``floats=False``: only
    an integer or a string, as UTA order entry takes them)."""
    kinds: tuple[type, ...] = (int, float, str) if floats else (int, str)
    if isinstance(value, bool) or not isinstance(value, kinds):
        hint = "" if floats else " in a string"
        raise param_error(f"{name} must be a positive number{hint}")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise param_error(f"{name} must be a positive number") from None
    if not number.is_finite() or number <= 0:
        raise param_error(f"{name} must be a positive number")
    return number


def choice(body: Mapping[str, Any], name: str, allowed: Iterable[str], default: str) -> str:
    """A member that must be one of ``allowed``; ``default`` when absent or blank."""
    value = body.get(name)
    if value is None or value == "":
        return default
    allowed = tuple(allowed)
    if value not in allowed:
        raise param_error(f"{name} must be one of {', '.join(allowed)}")
    return str(value)


def flag(body: Mapping[str, Any], name: str) -> bool:
    """A boolean member of a request body (absent or ``null``: false)."""
    value = body.get(name, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise param_error(f"{name} must be true or false")
    return value


def json_object(body: str) -> dict[str, Any]:
    """A request body that must be a JSON object."""
    try:
        value = msgspec.json.decode(body) if body else None
    except msgspec.DecodeError:
        raise param_error("the request body is not valid JSON") from None
    if not isinstance(value, dict):
        raise param_error("the request body must be a JSON object")
    return value


def router(
    sim: Gateway, family: str
) -> Callable[..., Callable[[web.Request], Awaitable[web.Response]]]:
    """A factory of signed handlers for one family's actions (``route(action, json_body=)``).

    A handler checks the signature, reads the JSON body where the action takes one, turns
    a `GatewayError` into KuCoin's error answer and anything else into ``500000``, and,
    for an order entry (a JSON body), lets the pushes race the answer.
    """

    def route(
        action: Action, *, json_body: bool = False
    ) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handler(request: web.Request) -> web.Response:
            body = await request.text()
            try:
                acct = sim._verify_request(request, body)
                payload = json_object(body) if json_body else None
                data = action(acct.name, request, payload)
            except GatewayError as e:
                return sim._error(e)
            except Exception:
                _log.exception("%s REST %s %s failed", family, request.method, request.path)
                return sim._error(GatewayError("500000", 500))
            if json_body:
                await answer_after_pushes(sim, acct.name)
            return sim._ok(data)

        return handler

    return route
