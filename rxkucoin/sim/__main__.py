"""Run the simulator from a shell: ``python -m rxkucoin.sim [--seed N] [--variants [SEED]]``.

It prints the three URLs and the demo account's key, secret and passphrase (throwaway
values derived from the seed), then serves until Ctrl-C. With ``--trader`` (the default) a
synthetic trader keeps the demo account busy so that private streams have something to say.
With ``--variants [SEED]`` each push leaves in one of the forms real KuCoin is known to use
(numeric strings, minimal payloads, the other positionAll tag, the other Pro welcome).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from collections.abc import Sequence

from ._server import Simulator
from ._trader import SyntheticTrader

#: What the demo account starts with.
DEMO_BALANCES = {"USDT": "100000", "BTC": "2", "ETH": "20"}
DEMO_FUTURES_BALANCE = "50000"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m rxkucoin.sim",
        description="An offline KuCoin: REST tokens, Classic and Pro private sockets, faults.",
    )
    p.add_argument("--seed", type=int, default=0, help="seed for keys, ids and the trader")
    p.add_argument(
        "--port-base",
        type=int,
        default=None,
        help="listen on PORT, PORT+1, PORT+2 (spot, futures, Pro); free ports by default",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on")
    p.add_argument(
        "--trader",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="run a synthetic trader on the demo account",
    )
    p.add_argument("--interval", type=float, default=1.0, help="seconds between synthetic trades")
    p.add_argument(
        "--key-version",
        choices=("1", "2", "3"),
        default="2",
        help="API key version of the demo account: 1 (plain passphrase) or 2/3 (signed "
        "passphrase; a 2 or 3 key accepts either KC-API-KEY-VERSION, as KuCoin does)",
    )
    p.add_argument(
        "--variants",
        nargs="?",
        type=int,
        const=True,  # given without a value: the --seed value
        default=None,
        metavar="SEED",
        help="send each push, reproducibly at random, in one of the wire forms real KuCoin "
        "is known to use (seed: --seed when not given)",
    )
    return p


def variants_seed(args: argparse.Namespace) -> int | None:
    """The seed of the wire-variants mode the options ask for, ``None`` when off."""
    if args.variants is None:
        return None
    return int(args.seed if args.variants is True else args.variants)


async def serve(args: argparse.Namespace, stop: asyncio.Event | None = None) -> None:
    """Run the simulator (and the trader) until ``stop`` is set or a signal arrives.

    Args:
        args: parsed command-line options.
        stop: ends the run when set; SIGINT and SIGTERM set it too.
    """
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    variants = variants_seed(args)
    async with Simulator(
        seed=args.seed, host=args.host, port_base=args.port_base, wire_variants=variants
    ) as sim:
        creds = sim.add_account(
            "demo",
            balances=DEMO_BALANCES,
            futures_balance=DEMO_FUTURES_BALANCE,
            key_version=args.key_version,
        )
        ep = sim.endpoints
        print(f"rxkucoin simulator, seed {args.seed}", flush=True)
        print(f"  spot REST + spot Classic WS:       {ep.spot_rest}", flush=True)
        print(f"  futures REST + futures Classic WS: {ep.futures_rest}", flush=True)
        print(f"  Pro private WS:                    {ep.pro_private_ws}", flush=True)
        print("demo account credentials (throwaway, derived from the seed):", flush=True)
        print(f"  KUCOIN_API_KEY={creds.api_key}", flush=True)
        print(f"  KUCOIN_API_SECRET={creds.api_secret}", flush=True)
        print(f"  KUCOIN_API_PASSPHRASE={creds.api_passphrase}", flush=True)
        print(f"  KUCOIN_API_KEY_VERSION={creds.key_version}", flush=True)
        if variants is not None:
            print(f"wire variants: on, seed {variants}", flush=True)
        trader_task: asyncio.Task[None] | None = None
        if args.trader:
            trader = SyntheticTrader(sim.engine, ["demo"], seed=args.seed)
            trader_task = asyncio.create_task(trader.run(args.interval, stop))
            print(f"synthetic trader: one action every {args.interval} s", flush=True)
        print("serving; Ctrl-C to stop", flush=True)
        await stop.wait()
        if trader_task is not None:
            await trader_task
    print("stopped", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """The command's entry point; returns the exit status."""
    args = _parser().parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
