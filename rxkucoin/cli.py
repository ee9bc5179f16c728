"""The ``rxkucoin`` command: ``demo`` and ``sim`` (``watch`` comes with the typed client)."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence

__all__ = ("main",)


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
    commands.add_parser(
        "sim", help="run the simulator as a server (see --help there)", add_help=False
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``rxkucoin`` command.

    Returns:
        The exit status.
    """
    args, rest = _parser().parse_known_args(argv)
    if args.command == "sim":
        from .sim.__main__ import main as sim_main

        return sim_main(rest)
    if rest:
        _parser().error(f"unrecognized arguments: {' '.join(rest)}")
    from .demo import run_demo

    try:
        return asyncio.run(run_demo(args.seconds, seed=args.seed))
    except KeyboardInterrupt:
        return 130
