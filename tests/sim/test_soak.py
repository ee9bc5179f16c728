"""Soak: the synthetic trader drives thousands of pushes while every fault is injected.

Plain aiohttp clients (not rxkucoin's connection code) stay subscribed and reconnect with
fresh tokens whenever a fault kills their socket. At the end the engine's truth must still
be consistent, every push must have decoded, and every push the clients missed must be
accounted for by the simulator's record of what no client could have seen.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import Counter
from collections.abc import Callable
from typing import Any

import aiohttp

from rxkucoin import Credentials
from rxkucoin.keys import Dialect
from rxkucoin.models import UnknownPayload, decode_payload
from rxkucoin.sim import ClassicPush, ProEvent, Push, Simulator
from rxkucoin.sim._trader import SyntheticTrader

STEPS = 3000
ORDER_TOPIC = "/spotMarket/tradeOrdersV2"


class RawClient:
    """A minimal reconnecting Classic client built on aiohttp alone."""

    def __init__(self, http: aiohttp.ClientSession, sim: Simulator, creds: Credentials) -> None:
        self.http, self.sim, self.creds = http, sim, creds
        self.received: list[dict[str, Any]] = []
        self.connections = 0
        self.stop = asyncio.Event()

    async def token(self) -> str:
        path = "/api/v1/bullet-private"
        async with self.http.post(
            self.sim.endpoints.spot_rest + path,
            headers=self.creds.headers("POST", path),
            timeout=aiohttp.ClientTimeout(total=0.5),
        ) as r:
            body = await r.json()
            if body["code"] != "200000":
                raise ConnectionError(body)
            return str(body["data"]["token"])

    async def run(self) -> None:
        while not self.stop.is_set():
            with contextlib.suppress(Exception):
                await self.session()
            await asyncio.sleep(0.01)

    async def session(self) -> None:
        tok = await self.token()
        url = self.sim.endpoints.spot_rest.replace("http", "ws") + f"/?token={tok}"
        async with self.http.ws_connect(url, heartbeat=None) as ws:
            self.connections += 1
            welcome = await ws.receive(timeout=0.5)
            assert json.loads(welcome.data)["type"] == "welcome"
            for i, topic in enumerate((ORDER_TOPIC, "/account/balance")):
                await ws.send_json(
                    {
                        "id": str(i),
                        "type": "subscribe",
                        "topic": topic,
                        "privateChannel": True,
                        "response": True,
                    }
                )
            while not self.stop.is_set():
                try:
                    msg = await ws.receive(timeout=0.3)
                except TimeoutError:  # half-open or idle: ping, and give up if silent
                    await ws.send_json({"id": "p", "type": "ping"})
                    msg = await ws.receive(timeout=0.3)
                if msg.type not in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                    return
                frame = json.loads(msg.data)
                if frame.get("type") == "message":
                    self.received.append(frame)


def faults() -> list[tuple[str, Callable[[Simulator], Any]]]:
    return [
        ("drop reset", lambda s: s.faults.drop(how="reset")),
        ("drop close", lambda s: s.faults.drop(how="close")),
        ("half open", lambda s: s.faults.half_open()),
        ("expire tokens", lambda s: s.faults.expire_tokens()),
        ("cut", lambda s: s.faults.cut_after(0.05)),
        ("cut off", lambda s: s.faults.cut_after(None)),
        ("error frame", lambda s: s.faults.send_error(500, "system error")),
        ("reject subscribe", lambda s: (s.faults.reject_next_subscribe(), s.faults.drop())),
        ("duplicate", lambda s: s.faults.duplicate_next(5)),
        ("drop pushes", lambda s: s.faults.drop_next(5)),
        ("delay", lambda s: s.faults.delay_next(3, 0.02)),
        ("reorder", lambda s: s.faults.reorder_next(3)),
        ("binary on", lambda s: s.faults.binary_frames(True)),
        ("binary off", lambda s: s.faults.binary_frames(False)),
        ("token 429", lambda s: (s.faults.token_error("429"), s.faults.drop())),
        ("token 500", lambda s: (s.faults.token_error("500"), s.faults.drop())),
        ("token hang", lambda s: (s.faults.token_error("hang"), s.faults.drop())),
        ("welcome delay", lambda s: (s.faults.welcome_delay(0.05), s.faults.drop())),
        ("welcome back", lambda s: s.faults.welcome_delay(0.0)),
        ("no welcome", lambda s: (s.faults.no_welcome(True), s.faults.drop())),
        ("welcome on", lambda s: s.faults.no_welcome(False)),
    ]


def push_key(push: Push) -> tuple[Any, ...] | None:
    if isinstance(push, ClassicPush) and push.topic == ORDER_TOPIC:
        return (push.data["orderId"], push.data["type"], push.data.get("ts"))
    return None


async def test_trader_under_every_fault_keeps_the_truth_consistent() -> None:
    async with Simulator(seed=3, ping_interval_ms=300, ping_timeout_ms=300) as sim:
        creds = sim.add_account(
            "alice", balances={"USDT": "100000", "BTC": "5", "ETH": "50"}, futures_balance="20000"
        )
        sim.add_account("bob", balances={"USDT": "50000", "BTC": "1"}, futures_balance="5000")
        emitted: list[Push] = []
        decoded: Counter[str] = Counter()

        def check(push: Push) -> None:
            emitted.append(push)
            if isinstance(push, ClassicPush):
                payload = decode_payload(
                    Dialect.CLASSIC,
                    push.wire_topic or push.topic,
                    push.subject,
                    json.dumps(push.data).encode(),
                )
            else:
                assert isinstance(push, ProEvent)
                t = f"{'orderAll' if push.kind == 'order' else push.kind}.{push.trade_type}"
                payload = decode_payload(Dialect.PRO, t, None, json.dumps(push.data).encode())
            assert not isinstance(payload, UnknownPayload), push
            decoded[type(payload).__name__] += 1

        sim.engine.listen(check)
        trader = SyntheticTrader(sim.engine, ["alice", "bob"], seed=3)
        async with aiohttp.ClientSession() as http:
            client = RawClient(http, sim, creds)
            running = asyncio.get_running_loop().create_task(client.run())
            await asyncio.sleep(0.2)
            plan = faults()
            for step in range(STEPS):
                trader.step()
                if step % 100 == 50:
                    plan[(step // 100) % len(plan)][1](sim)
                await asyncio.sleep(0.002 if step % 5 == 0 else 0)
            sim.faults.clear()
            await asyncio.sleep(1.0)  # let delayed and reordered pushes land
            client.stop.set()
            await running

        assert sim.engine.check_invariants() == []
        assert len(emitted) > STEPS
        assert len(decoded) >= 10, decoded
        kinds = set(sim.faults.kinds())
        for expected in (
            "drop",
            "half_open",
            "expire_tokens",
            "cut_after",
            "send_error",
            "reject_next_subscribe",
            "binary_frames",
            "token_error",
        ):
            assert expected in kinds, expected
        assert client.connections > 10

        # Nothing arrives that did not happen; what did not arrive is on record.
        alice_orders = {k for p in emitted if p.account == "alice" and (k := push_key(p))}
        got = {
            (f["data"]["orderId"], f["data"]["type"], f["data"].get("ts"))
            for f in client.received
            if f["topic"] == ORDER_TOPIC
        }
        assert got <= alice_orders
        recorded = {k for u in sim.faults.undelivered if (k := push_key(u.push))}
        missing = alice_orders - got
        assert missing, "with these faults some pushes must have been missed"
        unexplained = missing - recorded
        # A TCP reset also destroys frames the server already handed to the kernel but the
        # client had not read yet; the simulator cannot know about those few (2 of ~800 in
        # this run), so a small remainder is allowed.
        assert len(unexplained) <= len(missing) * 0.02, (len(unexplained), len(missing))
