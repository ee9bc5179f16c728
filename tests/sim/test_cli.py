"""``python -m rxkucoin.sim``, and the real engine behind the server."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import sys
from typing import Any

import aiohttp
import pytest

from rxkucoin._auth import Credentials
from rxkucoin.sim import Simulator, demo_credentials
from rxkucoin.sim.__main__ import main

PRIVATE_SPOT_TOPICS = (
    "/spotMarket/tradeOrdersV2",
    "/account/balance",
    "/spotMarket/advancedOrders",
    "/margin/position",
)


async def start_cli(*args: str) -> tuple[asyncio.subprocess.Process, dict[str, str]]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "rxkucoin.sim",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    found: dict[str, str] = {}
    lines = []
    while "serving" not in found:
        line = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode()
        if not line:
            err = await proc.stderr.read() if proc.stderr else b""
            raise AssertionError("".join(lines) + err.decode())
        lines.append(line)
        if m := re.search(r"(KUCOIN_API_\w+)=(\S+)", line):
            found[m.group(1)] = m.group(2)
        for label, key in (
            ("spot REST", "spot"),
            ("futures REST", "futures"),
            ("Pro private", "pro"),
        ):
            if label in line:
                found[key] = line.split()[-1]
        if line.startswith("serving"):
            found["serving"] = "yes"
    found["output"] = "".join(lines)
    return proc, found


async def stop_cli(proc: asyncio.subprocess.Process) -> str:
    proc.send_signal(signal.SIGINT)
    out, _ = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 0
    return out.decode()


async def reply(ws: aiohttp.ClientWebSocketResponse, rid: str) -> dict[str, Any]:
    """The answer to request ``rid``, skipping the trader's pushes that came first."""
    while True:
        frame: dict[str, Any] = await ws.receive_json(timeout=5)
        if frame.get("id") == rid:
            return frame


async def test_cli_serves_and_trades() -> None:
    proc, found = await start_cli("--seed", "3", "--interval", "0.02")
    try:
        creds = Credentials(
            found["KUCOIN_API_KEY"],
            found["KUCOIN_API_SECRET"],
            found["KUCOIN_API_PASSPHRASE"],
            found["KUCOIN_API_KEY_VERSION"],
        )
        assert creds == demo_credentials(3, "demo")[0]
        assert creds.api_secret == demo_credentials(3, "demo")[0].api_secret
        assert "synthetic trader" in found["output"]
        async with aiohttp.ClientSession() as http:
            ws = await http.ws_connect(found["pro"])
            await ws.receive_json(timeout=5)
            await ws.send_json({"id": "a", "op": "auth", **creds.ws_auth_fields()})
            assert (await ws.receive_json(timeout=5))["result"] is True
            for channel in ("orderAll", "positionAll", "execution"):
                await ws.send_json(
                    {
                        "id": channel,
                        "action": "subscribe",
                        "channel": channel,
                        "tradeType": "UNIFIED",
                    }
                )
                assert (await reply(ws, channel))["result"] is True
            await ws.send_json(
                {"id": "b", "action": "subscribe", "channel": "balance", "accountType": "UNIFIED"}
            )
            assert (await reply(ws, "b"))["result"] is True
            push = await ws.receive_json(timeout=15)
            assert set(push) == {"T", "P", "d"}
            await ws.close()
    finally:
        out = await stop_cli(proc)
    assert "stopped" in out


def _free_base() -> int:
    """A port P with P, P+1 and P+2 free right now."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base = int(s.getsockname()[1])
        if base > 65500:
            continue
        socks = [socket.socket() for _ in range(3)]
        try:
            for i, sock in enumerate(socks):
                sock.bind(("127.0.0.1", base + i))
        except OSError:
            continue
        finally:
            for sock in socks:
                sock.close()
        return base


async def test_cli_port_base_without_trader() -> None:
    base = _free_base()
    proc, found = await start_cli("--no-trader", "--port-base", str(base), "--seed", "1")
    try:
        assert found["spot"] == f"http://127.0.0.1:{base}"
        assert found["futures"] == f"http://127.0.0.1:{base + 1}"
        assert found["pro"] == f"ws://127.0.0.1:{base + 2}"
        assert "synthetic trader" not in found["output"]
    finally:
        await stop_cli(proc)


async def test_cli_key_version() -> None:
    proc, found = await start_cli("--no-trader", "--key-version", "1", "--seed", "2")
    try:
        assert found["KUCOIN_API_KEY_VERSION"] == "1"
        v1 = Credentials(
            found["KUCOIN_API_KEY"], found["KUCOIN_API_SECRET"], found["KUCOIN_API_PASSPHRASE"], "1"
        )
        as_v3 = Credentials(v1.api_key, v1.api_secret, v1.api_passphrase, "3")
        path = "/api/v1/bullet-private"
        async with aiohttp.ClientSession() as http:
            for creds, code in ((v1, "200000"), (as_v3, "400004")):
                async with http.post(
                    found["spot"] + path, headers=creds.headers("POST", path)
                ) as r:
                    assert (await r.json())["code"] == code
    finally:
        await stop_cli(proc)


def test_main_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        main(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    for flag in ("--seed", "--port-base", "--trader", "--no-trader", "--key-version"):
        assert flag in out


def test_rxkucoin_sim_passes_key_version(capsys: pytest.CaptureFixture[str]) -> None:
    from rxkucoin.cli import main as rxkucoin_main

    with pytest.raises(SystemExit) as e:
        rxkucoin_main(["sim", "--key-version", "4"])  # reaches the simulator's own parser
    assert e.value.code == 2
    assert "--key-version: invalid choice: '4'" in capsys.readouterr().err


# -- the real engine behind the server ----------------------------------------------------------


async def test_engine_pushes_reach_subscribed_sockets() -> None:
    async with Simulator(seed=2) as sim, aiohttp.ClientSession() as http:
        creds = sim.add_account("demo", balances={"USDT": "100000"})
        path = "/api/v1/bullet-private"
        async with http.post(
            sim.endpoints.spot_rest + path, headers=creds.headers("POST", path)
        ) as r:
            data = (await r.json())["data"]
        ws = await http.ws_connect(
            f"{data['instanceServers'][0]['endpoint']}?token={data['token']}"
        )
        assert (await ws.receive_json(timeout=5))["type"] == "welcome"
        for topic in PRIVATE_SPOT_TOPICS:
            await ws.send_json({"id": topic, "type": "subscribe", "topic": topic, "response": True})
            assert (await ws.receive_json(timeout=5))["type"] == "ack"
        pro = await http.ws_connect(sim.endpoints.pro_private_ws)
        await pro.receive_json(timeout=5)
        await pro.send_json({"id": "a", "op": "auth", **creds.ws_auth_fields()})
        assert (await pro.receive_json(timeout=5))["result"] is True
        await pro.send_json(
            {"id": "o", "action": "SUBSCRIBE", "channel": "orderAll", "tradeType": "UNIFIED"}
        )
        assert (await pro.receive_json(timeout=5))["result"] is True

        order_id = sim.engine.place_spot_order("demo", "BTC-USDT", "buy", "limit", "0.001", "50000")
        frames: list[Any] = []
        while not any(f.get("subject") == "orderChange" for f in frames):
            frames.append(json.loads((await ws.receive(timeout=5)).data))
        uid = sim.accounts["demo"].user_id
        assert all(f["userId"] == uid and f["channelType"] == "private" for f in frames)
        order = next(f for f in frames if f.get("subject") == "orderChange")
        assert order["data"]["orderId"] == order_id
        pro_frame = await pro.receive_json(timeout=5)
        assert pro_frame["T"] == "orderAll.UNIFIED" and pro_frame["d"]["oi"] == order_id

        path = "/api/v1/hf/orders/active?symbol=BTC-USDT"
        async with http.get(
            sim.endpoints.spot_rest + path, headers=creds.headers("GET", path)
        ) as r:
            body = await r.json()
        assert body["code"] == "200000"
        assert order_id in json.dumps(body["data"])
        await ws.close()
        await pro.close()
