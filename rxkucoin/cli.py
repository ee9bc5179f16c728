"""The ``rxkucoin`` command: ``demo``, ``watch`` and ``sim``.

- ``rxkucoin demo``: the embedded simulator, a synthetic trader and rxkucoin streaming it,
  with faults injected now and then (the README's first command).
- ``rxkucoin watch TOPIC...``: stream topics from KuCoin (credentials from the
  environment) or, with ``--sim``, from an embedded simulator; one line or one JSON object
  per event; Ctrl-C stops cleanly.
- ``rxkucoin sim``: run the simulator as a server for other programs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, TextIO

import msgspec

from ._auth import Credentials
from ._client import KucoinStreams
from ._events import ConnectionEvent, Gap
from .exceptions import RxKucoinError
from .keys import Endpoints, WsKey

__all__ = ("main", "parse_watch_topic")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rxkucoin", description="KuCoin's private streams as hot RxPY Observables."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser(
        "demo", help="stream a simulated account through rxkucoin, with faults injected"
    )
    demo.add_argument(
        "--seconds", type=float, default=30.0, help="how long to run; 0 runs until Ctrl-C"
    )
    demo.add_argument("--seed", type=int, default=1, help="seed of the simulator and trader")
    demo.add_argument(
        "--plain",
        action="store_true",
        help="print one line per event even on a terminal (no live dashboard)",
    )

    watch = commands.add_parser(
        "watch",
        help="print the events of any topics",
        description=(
            "Classic topics are written as KuCoin writes them (/contract/position:XBTUSDTM); "
            "Pro channels as channel.TYPE[:SYMBOL] (orderAll.UNIFIED, order.SPOT:BTC-USDT, "
            "balance.UNIFIED). Credentials come from KUCOIN_API_KEY, KUCOIN_API_SECRET and "
            "KUCOIN_API_PASSPHRASE unless --sim is given."
        ),
    )
    watch.add_argument("topics", nargs="+", metavar="TOPIC")
    watch.add_argument(
        "--key",
        choices=[k.value for k in WsKey],
        help="the WsKey; guessed from the topics when omitted",
    )
    watch.add_argument("--json", action="store_true", help="print JSON lines")
    watch.add_argument(
        "--sim",
        action="store_true",
        help="watch an embedded simulator with a synthetic trader instead of KuCoin",
    )
    watch.add_argument("--seconds", type=float, default=0.0, help="stop after this long")

    commands.add_parser(
        "sim", help="run the simulator as a server (see its --help)", add_help=False
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``rxkucoin`` command.

    Returns:
        The exit status.
    """
    parser = _parser()
    args, rest = parser.parse_known_args(argv)
    if args.command == "sim":
        from .sim.__main__ import main as sim_main

        return sim_main(rest)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    # demo and watch print every gap and reconnect themselves: the library's log lines
    # (stderr by default) would repeat them and break the live dashboard
    logging.getLogger("rxkucoin").setLevel(logging.ERROR)
    try:
        if args.command == "demo":
            from .demo import run_demo

            plain = args.plain or not sys.stdout.isatty()
            return asyncio.run(run_demo(args.seconds, seed=args.seed, live=not plain))
        return asyncio.run(watch(args))
    except KeyboardInterrupt:
        return 130
    except RxKucoinError as exc:
        sys.stderr.write(f"rxkucoin: {exc}\n")
        return 2


def guess_key(topic: str) -> WsKey:
    """The WsKey a topic lives on."""
    if not topic.startswith("/"):
        return WsKey.PRIVATE_PRO_V2
    if topic.startswith(("/contract", "/contractMarket", "/contractAccount")):
        return WsKey.FUTURES_PRIVATE_V1
    return WsKey.SPOT_PRIVATE_V1


def parse_watch_topic(text: str, key: WsKey) -> str | dict[str, Any]:
    """A command-line topic as `KucoinStreams.subscribe` takes it.

    Pro channels are written ``channel.TYPE[:SYMBOL]``: ``orderAll.UNIFIED``,
    ``order.SPOT:BTC-USDT``, ``balance.UNIFIED``, ``execution.lite.SPOT``.
    """
    if key is not WsKey.PRIVATE_PRO_V2:
        return text
    head, _, symbol = text.partition(":")
    channel, _, selector = head.rpartition(".")
    if not channel:
        raise SystemExit(f"rxkucoin watch: Pro topics are channel.TYPE[:SYMBOL], not {text!r}")
    field = "accountType" if channel == "balance" else "tradeType"
    payload: dict[str, str] = {field: selector}
    if symbol:
        payload["symbol"] = symbol
    return {"topic": channel, "payload": payload}


async def watch(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """The ``watch`` subcommand."""
    from rich.console import Console

    console = Console(file=out or sys.stdout, highlight=False, soft_wrap=True)
    keys = {WsKey(args.key)} if args.key else {guess_key(t) for t in args.topics}
    if len(keys) > 1:
        raise SystemExit("rxkucoin watch: these topics live on different sockets; use --key")
    key = keys.pop()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)

    async with contextlib.AsyncExitStack() as stack:
        if args.sim:
            credentials, endpoints = await _start_simulator(stack, stop)
        else:
            credentials, endpoints = Credentials.from_env(), Endpoints()
        streams = await stack.enter_async_context(KucoinStreams(credentials, endpoints=endpoints))
        failures: list[Exception] = []

        def show(item: Any) -> None:
            if args.json:
                console.print_json(_json_line(key, item), indent=None)
            else:
                console.print(_text_line(item))

        def fail(error: Exception) -> None:
            failures.append(error)
            console.print(f"[red]stream failed:[/red] {error}")
            stop.set()

        def on_event(event: ConnectionEvent) -> None:
            if event.kind in ("reconnect", "reconnected", "exception") and not args.json:
                console.print(f"[yellow]{event.kind}[/yellow] {event.detail}")

        streams.events(key).subscribe(on_event)
        topics = [parse_watch_topic(t, key) for t in args.topics]
        streams.subscribe(topics, key).with_gaps().subscribe(show, fail)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(args.seconds or None):
                await stop.wait()
    return 1 if failures else 0


async def _start_simulator(
    stack: contextlib.AsyncExitStack, stop: asyncio.Event
) -> tuple[Credentials, Endpoints]:
    from .sim import Simulator
    from .sim._trader import SyntheticTrader

    sim = await stack.enter_async_context(Simulator(seed=1))
    credentials = sim.add_account(
        "demo", balances={"USDT": "100000", "BTC": "2", "ETH": "20"}, futures_balance="50000"
    )
    trader = SyntheticTrader(sim.engine, ["demo"], seed=1)
    task = asyncio.get_running_loop().create_task(trader.run(0.2, stop))

    async def finish() -> None:
        stop.set()
        await task

    stack.push_async_callback(finish)
    return credentials, sim.endpoints


def _now() -> str:
    return datetime.now(UTC).strftime("%H:%M:%S.%f")[:-3]


def _text_line(item: Any) -> str:
    if isinstance(item, Gap):
        return (
            f"{_now()} [bold red]GAP[/bold red] {', '.join(item.topics)}: "
            f"{item.duration:.2f} s may be missing ({item.cause})"
        )
    fields = " ".join(
        f"{name}={value}"
        for name, value in msgspec.structs.asdict(item).items()
        if value is not None and not isinstance(value, dict | list)
    )
    return f"{_now()} [cyan]{type(item).__name__}[/cyan] {fields}"


def _json_line(key: WsKey, item: Any) -> str:
    if isinstance(item, Gap):
        record: dict[str, Any] = {
            "kind": "gap",
            "ws_key": key.value,
            "topics": list(item.topics),
            "start": item.start,
            "end": item.end,
            "cause": item.cause,
        }
    else:
        record = {
            "kind": "event",
            "ws_key": key.value,
            "type": type(item).__name__,
            "data": _plain(item),
        }
    return msgspec.json.encode(record).decode()


def _plain(value: Any) -> Any:
    """Plain JSON values with the Python (snake_case) names; decimals as exact strings."""
    if isinstance(value, msgspec.Struct):
        return {k: _plain(v) for k, v in msgspec.structs.asdict(value).items()}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return msgspec.to_builtins(value)
