"""Suite-wide fixtures: blocking-call detection on the event loop.

Every async test runs under `blockbuster`: a blocking call (``time.sleep``, a blocking
socket or file operation, waiting on a held ``threading.Lock``...) made on the event loop's
thread by rxkucoin's code, the simulator's included, fails the test with
``BlockingError`` naming the call. Test code itself is not scanned, so a test may still
simulate a slow subscriber (but a slow subscriber called from rxkucoin's reader counts as
rxkucoin's frame: busy-wait on ``time.perf_counter`` rather than sleep). A test that must
block on purpose is marked ``@pytest.mark.allow_blocking``.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator

import pytest
from blockbuster import blockbuster_ctx


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "allow_blocking: do not fail this async test on blocking calls in the loop"
    )


@pytest.fixture(autouse=True)
def no_blocking_calls_in_the_loop(request: pytest.FixtureRequest) -> Iterator[None]:
    function = getattr(request.node, "function", None)
    if (
        not inspect.iscoroutinefunction(function)
        or request.node.get_closest_marker("allow_blocking")
        or "benchmarks" in request.node.path.parts  # its wrappers would be measured too
    ):
        yield
        return
    with blockbuster_ctx("rxkucoin"):
        yield
