"""The rxkucoin command: watch (text and JSON) against an embedded simulator, and helpers."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from rxkucoin.cli import guess_key, parse_watch_topic
from rxkucoin.demo import run_demo
from rxkucoin.keys import WsKey


def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rxkucoin", *args], capture_output=True, text=True, timeout=timeout
    )


def test_watch_sim_prints_one_line_per_event() -> None:
    done = run("watch", "--sim", "--seconds", "4", "/spotMarket/tradeOrdersV2", "/account/balance")
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    assert any("SpotOrderChange" in line and "symbol=" in line for line in lines)
    assert any("SpotBalanceChange" in line and "currency=" in line for line in lines)


def test_watch_sim_json_lines_decode() -> None:
    done = run("watch", "--sim", "--json", "--seconds", "4", "orderAll.UNIFIED")
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    assert records, done.stdout
    assert all(r["ws_key"] == "privateProV2" for r in records)
    orders = [r for r in records if r["kind"] == "event"]
    assert orders and all(r["type"] == "ProOrder" for r in orders)
    assert isinstance(orders[0]["data"]["price"], str)  # decimals stay exact as text


def test_watch_without_credentials_is_a_clear_error() -> None:
    env_free = subprocess.run(
        [sys.executable, "-m", "rxkucoin", "watch", "/account/balance", "--seconds", "1"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert env_free.returncode == 2
    assert "KUCOIN_API_KEY" in env_free.stderr


def test_watch_rejects_topics_of_two_sockets() -> None:
    done = run("watch", "--sim", "/account/balance", "/contractAccount/wallet", timeout=60)
    assert done.returncode != 0 and "different sockets" in done.stderr


@pytest.mark.parametrize(
    ("topic", "key"),
    [
        ("/spotMarket/tradeOrdersV2", WsKey.SPOT_PRIVATE_V1),
        ("/margin/isolatedPosition:BTC-USDT", WsKey.SPOT_PRIVATE_V1),
        ("/contract/position:XBTUSDTM", WsKey.FUTURES_PRIVATE_V1),
        ("/contractMarket/tradeOrders", WsKey.FUTURES_PRIVATE_V1),
        ("orderAll.UNIFIED", WsKey.PRIVATE_PRO_V2),
    ],
)
def test_guess_key(topic: str, key: WsKey) -> None:
    assert guess_key(topic) is key


def test_pro_topic_syntax() -> None:
    pro = WsKey.PRIVATE_PRO_V2
    assert parse_watch_topic("order.SPOT:BTC-USDT", pro) == {
        "topic": "order",
        "payload": {"tradeType": "SPOT", "symbol": "BTC-USDT"},
    }
    assert parse_watch_topic("balance.UNIFIED", pro) == {
        "topic": "balance",
        "payload": {"accountType": "UNIFIED"},
    }
    assert parse_watch_topic("execution.lite.SPOT", pro) == {
        "topic": "execution.lite",
        "payload": {"tradeType": "SPOT"},
    }
    assert parse_watch_topic("/account/balance", WsKey.SPOT_PRIVATE_V1) == "/account/balance"
    with pytest.raises(SystemExit):
        parse_watch_topic("orderAll", pro)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


async def test_demo_live_dashboard_renders() -> None:
    screen = Terminal()
    assert await run_demo(5.5, out=screen, live=True) == 0
    text = screen.getvalue()
    for title in ("connections", "spot balances", "futures positions", "recent events"):
        assert title in text
    assert "spotPrivateV1" in text and "live" in text
    assert "gaps reported, 0 stream errors" in text


def test_rxkucoin_sim_serves_until_interrupted() -> None:
    import signal

    proc = subprocess.Popen(
        [sys.executable, "-m", "rxkucoin", "sim", "--seed", "5", "--no-trader"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if line.startswith("serving"):
            break
    proc.send_signal(signal.SIGINT)
    rest, _ = proc.communicate(timeout=30)
    text = "".join(lines)
    assert "http://127.0.0.1:" in text and "ws://127.0.0.1:" in text
    assert "KUCOIN_API_KEY=" in text and "KUCOIN_API_PASSPHRASE=" in text
    assert proc.returncode == 0 and "stopped" in rest
