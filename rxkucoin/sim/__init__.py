"""The embedded KuCoin simulator: an offline exchange for demos, notebooks and tests.

```python
async with Simulator() as sim:
    creds = sim.add_account("demo", balances={"USDT": "1000"})
    endpoints = sim.endpoints          # point rxkucoin (or any KuCoin client) here
    sim.engine.place_spot_order(...)   # the account engine causes the pushes
    sim.faults.drop()                  # and the faults test the client's recovery
```

`Simulator` serves the REST hosts, the Classic and Pro sockets and fault injection
(`Faults`); `Engine` holds the accounts and turns activity into pushes; `SyntheticTrader`
keeps accounts busy with seeded, valid activity; `WireVariants` (``Simulator(wire_variants=
seed)``) sends each push in one of the forms real KuCoin is known to use.
"""

from __future__ import annotations

from ._engine import Engine
from ._faults import FaultRecord, Faults, Undelivered
from ._gateway import GatewayError, SimAccount, demo_credentials
from ._pushes import ClassicPush, ProEvent, Push
from ._server import SimStats, Simulator
from ._trader import SyntheticTrader
from ._variants import WireVariants

__all__ = (
    "ClassicPush",
    "Engine",
    "FaultRecord",
    "Faults",
    "GatewayError",
    "ProEvent",
    "Push",
    "SimAccount",
    "SimStats",
    "Simulator",
    "SyntheticTrader",
    "Undelivered",
    "WireVariants",
    "demo_credentials",
)
