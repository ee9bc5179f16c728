"""A simulator in its own process that blasts order pushes on command.

Run by the throughput benchmark: it prints one JSON line with the simulator's endpoints,
then, for each line ``blast N`` on stdin, publishes N spot order pushes to the account
``bench`` and prints ``sent``. Keeping the feed in another process means the receiver's
CPU time measures only the receiving side.
"""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import asdict

from rxkucoin.sim import Simulator
from rxkucoin.sim._pushes import ClassicPush

SEED = 4242
ACCOUNT = "bench"


def order_push(i: int, user: str) -> ClassicPush:
    return ClassicPush(
        account=ACCOUNT,
        host="spot",
        topic="/spotMarket/tradeOrdersV2",
        subject="orderChange",
        data={
            "symbol": "BTC-USDT",
            "orderType": "limit",
            "side": "buy" if i % 2 else "sell",
            "orderId": f"{i:024x}",
            "clientOid": f"bench-{i}",
            "type": "match",
            "status": "match",
            "orderTime": 1730211033305,
            "ts": 1730211033335000000 + i,
            "price": "50000.5",
            "size": "0.01",
            "originSize": "0.01",
            "filledSize": "0.005",
            "remainSize": "0.005",
            "canceledSize": "0",
            "matchPrice": "50000.5",
            "matchSize": "0.005",
            "tradeId": str(10_000_000 + i),
            "liquidity": "taker",
            "feeType": "takerFee",
        },
    )


async def main() -> None:
    async with Simulator(seed=SEED) as sim:
        sim.add_account(ACCOUNT)
        print(json.dumps(asdict(sim.endpoints)), flush=True)
        reader = asyncio.StreamReader()
        loop = asyncio.get_running_loop()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        while line := (await reader.readline()).decode().strip():
            count = int(line.split()[1])
            for i in range(count):
                sim.publish(order_push(i, ACCOUNT))
                if i % 500 == 499:
                    await asyncio.sleep(0)  # let the socket writers drain
            print("sent", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
