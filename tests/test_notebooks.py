"""The notebooks run top to bottom in a fresh kernel and show what they promise.

Each notebook is executed with nbclient in a kernel of *this* interpreter (a kernelspec
written to a temporary directory put first on ``JUPYTER_PATH``, so that no user-level or
system kernelspec can substitute another Python), with a per-cell timeout; a cell error
fails the test. The saved notebooks must carry their outputs.

``python tests/test_notebooks.py`` re-executes the notebooks and writes them back with
their outputs.
"""

from __future__ import annotations

import base64
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from ipykernel.kernelspec import write_kernel_spec
from nbclient import NotebookClient
from nbformat import NotebookNode

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
NAMES = ("01_quickstart.ipynb", "02_composing.ipynb", "03_reliability.ipynb")
CELL_TIMEOUT = 60
PROBE = "import sys; print('kernel-python:', sys.executable)"


def execute(nb: NotebookNode, cwd: Path) -> NotebookNode:
    """Run ``nb`` in a fresh ``python3`` kernel started in ``cwd``; return it executed.

    The kernel's environment must already point at this interpreter (see `kernel_env`).

    Raises:
        nbclient.exceptions.CellExecutionError: a cell raised (with its traceback).
        nbclient.exceptions.CellTimeoutError: a cell ran longer than `CELL_TIMEOUT`.
    """
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        startup_timeout=60,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(cwd)}},
    )
    client.execute()
    return nb


def kernel_env(root: Path) -> dict[str, str]:
    """Environment variables under which ``python3`` is a kernel of this interpreter.

    A kernelspec for ``sys.executable`` goes to ``root/kernels/python3``, and ``root`` goes
    first on ``JUPYTER_PATH``; IPython's profile directory moves to ``root/ipython`` so that
    no user startup file runs in the kernel.
    """
    write_kernel_spec(str(root / "kernels" / "python3"))
    jupyter_path = os.pathsep.join(p for p in (str(root), os.environ.get("JUPYTER_PATH")) if p)
    return {"JUPYTER_PATH": jupyter_path, "IPYTHONDIR": str(root / "ipython")}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, NotebookNode | Exception]]:
    """Every notebook, executed once for this module with a probe cell appended (or the
    exception that stopped it, so that one broken notebook fails only its own tests)."""
    root = tmp_path_factory.mktemp("jupyter")
    results: dict[str, NotebookNode | Exception] = {}
    with pytest.MonkeyPatch.context() as mp:
        for name, value in kernel_env(root).items():
            mp.setenv(name, value)
        for name in NAMES:
            nb = nbformat.read(NOTEBOOKS / name, as_version=4)
            nb.cells.append(nbformat.v4.new_code_cell(PROBE, id="test-probe"))
            try:
                results[name] = execute(nb, NOTEBOOKS)
            except Exception as exc:
                results[name] = exc
        yield results


def executed(run: dict[str, NotebookNode | Exception], name: str) -> NotebookNode:
    """The executed notebook ``name``; re-raises whatever stopped its execution."""
    result = run[name]
    if isinstance(result, Exception):
        raise result
    return result


def code_cells(nb: NotebookNode) -> list[NotebookNode]:
    return [c for c in nb.cells if c.cell_type == "code"]


def text(cell: NotebookNode) -> str:
    """The stdout and the text/plain and text/markdown outputs of a cell, joined."""
    parts: list[str] = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream" and out.name == "stdout":
            parts.append(out.text)
        elif out.output_type in ("display_data", "execute_result"):
            data = out.get("data", {})
            parts.append(data.get("text/markdown", data.get("text/plain", "")) + "\n")
    return "".join(parts)


def all_text(nb: NotebookNode) -> str:
    return "\n".join(text(c) for c in code_cells(nb))


def stderr(nb: NotebookNode) -> str:
    return "".join(
        out.text
        for c in code_cells(nb)
        for out in c.get("outputs", [])
        if out.output_type == "stream" and out.name == "stderr"
    )


def cell_with(nb: NotebookNode, needle: str) -> NotebookNode:
    """The code cell whose source contains ``needle`` (whitespace is ignored)."""
    bare = re.sub(r"\s", "", needle)
    cells = [c for c in code_cells(nb) if bare in re.sub(r"\s", "", c.source)]
    assert len(cells) == 1, f"{len(cells)} cells contain {needle!r}"
    return cells[0]


def table_rows(markdown: str) -> list[list[str]]:
    """The body rows of the Markdown tables in ``markdown``, as lists of cell texts."""
    return [
        [c.strip() for c in line.strip("|").split("|")]
        for line in markdown.splitlines()
        if line.startswith("|") and not line.startswith("| ---")
    ]


@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_cleanly_in_this_interpreter(
    run: dict[str, NotebookNode | Exception], name: str
) -> None:
    nb = executed(run, name)
    probe = nb.cells[-1]
    assert f"kernel-python: {sys.executable}" in text(probe)
    for cell in code_cells(nb):
        assert not [o for o in cell.outputs if o.output_type == "error"], cell.source
    noise = stderr(nb)
    assert not re.search(r"Traceback|Exception|Error", noise), noise
    last = code_cells(nb)[-2]  # the notebook's own last cell, before the probe
    assert "await sim.stop()" in last.source and "await streams.aclose()" in last.source
    assert "simulator stopped" in text(last)


@pytest.mark.parametrize("name", NAMES)
def test_saved_notebook_carries_its_outputs(name: str) -> None:
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(nb)
    cells = code_cells(nb)
    assert cells and all(c.execution_count is not None for c in cells), "not executed"
    assert [c.execution_count for c in cells] == list(range(1, len(cells) + 1))
    assert not [o for c in cells for o in c.outputs if o.output_type == "error"]
    assert "simulator stopped" in text(cells[-1])
    size = len(nbformat.writes(nb))
    assert size < 200_000, f"{name} is {size} bytes: keep outputs small"


def test_quickstart_shows_orders_fills_and_positions(
    run: dict[str, NotebookNode | Exception],
) -> None:
    nb = executed(run, "01_quickstart.ipynb")
    assert "spotPrivateV1 is live" in all_text(nb)
    assert "futuresPrivateV1 is live" in all_text(nb)
    assert "BTC-USDT sell order canceled: 0.01 BTC canceled" in all_text(nb)
    assert re.search(r"XBTUSDTM is flat again; realised P&L \+\d", all_text(nb))

    events = table_rows(text(cell_with(nb, "table(events")))
    by_market: dict[str, list[str]] = {}
    for row in events[1:]:
        by_market.setdefault(row[0], []).append(row[3])
    assert by_market["spot"] == [
        "received",
        "open",
        "match",
        "match",
        "filled",
        "received",
        "open",
        "canceled",
    ]
    assert by_market["futures"] == ["match", "filled", "open", "match", "filled"]
    assert by_market["position"] == ["open", "closed"]

    fills = table_rows(text(cell_with(nb, "table(fill_rows")))[1:]
    assert [(r[0], r[1], r[2], r[3]) for r in fills] == [
        ("BTC-USDT", "buy", "0.005", "60000"),
        ("BTC-USDT", "buy", "0.015", "59990"),
        ("XBTUSDTM", "buy", "5", "60000"),
        ("XBTUSDTM", "sell", "5", "60500"),
    ]
    opened = text(cell_with(nb, "aiter_observable(resting)"))
    assert opened.count("open: buy 0.001 BTC @") == 3


def test_composing_joins_fills_and_plots_pnl(run: dict[str, NotebookNode | Exception]) -> None:
    nb = executed(run, "02_composing.ipynb")
    joined = table_rows(text(cell_with(nb, "table(trade_rows")))[1:]
    assert len(joined) == 3
    assert {row[-1] for row in joined} == {"0.10%"}
    assert [row[1] for row in joined] == ["buy", "buy", "sell"]
    naive = table_rows(text(cell_with(nb, "table(naive_rows")))[1:]
    assert naive[0][1] == "trade.hold"  # the balance from before the first fill

    plot = cell_with(nb, "plt.show()")
    images = [o for o in plot.outputs if "image/png" in o.get("data", {})]
    assert len(images) == 1
    png = base64.b64decode(images[0].data["image/png"])
    assert png.startswith(b"\x89PNG") and len(png) > 10_000

    summary = text(cell_with(nb, "wallet matches"))
    assert "wallet matches the realised P&L: True" in summary
    ticks = table_rows(summary)[1:]
    assert [(r[0], r[1]) for r in ticks] == [("XBTUSDTM", "60"), ("ETHUSDTM", "60")]


def test_03_reliability_shows_gaps_views_checks_and_waits(
    run: dict[str, NotebookNode | Exception],
) -> None:
    nb = executed(run, "03_reliability.ipynb")
    assert "rxkucoin._" not in "".join(c.source for c in code_cells(nb))  # public API only
    faults = text(cell_with(nb, "for name, inject in faults.items()"))
    for fault in ("reset", "half-open", "expired token"):
        assert re.search(rf"{fault}: gap of ~[\d.]+ s, 1 new token, cause: \S", faults), faults
    assert "no frame within 0.8 s of a ping" in faults
    assert "token is expired" in faults

    lines = text(cell_with(nb, "for item in timeline")).splitlines()
    gaps = [i for i, line in enumerate(lines) if line.startswith("GAP")]
    assert len(gaps) == 3
    for n, fault in zip(gaps, ("reset", "half-open", "expired token"), strict=True):
        # data after each gap: the order placed once the stream was back
        assert re.match(rf"\s+order after {fault}\s+received/new", lines[n + 1]), lines[n:]
    assert not any("during" in line for line in lines)

    events = [row[0] for row in table_rows(text(cell_with(nb, "for e in events")))[1:]]
    assert events.count("reconnect") == 3 and events.count("reconnected") == 3
    states = text(cell_with(nb, "for e in events")).strip().splitlines()[-1]
    assert states == "idle → connecting → live" + " → reconnecting → live" * 3

    # the views' Resynced records: what each outage hid, as the cell's table shows it
    fixes = table_rows(text(cell_with(nb, "what(fix) for fix in")))[1:]
    orders = {row[0]: row[2:] for row in fixes if row[1] == "spot open orders"}
    assert orders == {
        "reset": ["during reset", "-", "-"],
        "half-open": ["during half-open", "before", "-"],
        "expired token": ["during expired token", "-", "during reset: filled 0 → 0.004"],
    }
    moved = {row[0]: row[4] for row in fixes if row[1] == "spot balances"}
    assert set(moved) == {"reset", "half-open", "expired token"}
    assert "BTC: total +0.004" in moved["expired token"]
    lost = text(cell_with(nb, "told = defaultdict"))  # undelivered vs Resynced (asserted)
    assert "touching 6 orders and currencies; the views corrected 6" in lost
    truth = text(cell_with(nb, "spot_open_orders()"))
    assert "open per REST: 6, per view: 6, per book: 4" in truth
    assert "in the book but not open: ['before']" in truth

    check = text(cell_with(nb, "check_every=0.5"))
    assert "lost with no outage: 'canceled' of 'after reset'" in check
    assert "the checked view: Resynced 'check', removed ['after reset']" in check
    assert "still open in the view without a check: True" in check

    waits = text(cell_with(nb, "streams.expect_order("))
    early = re.search(r"came before the REST answer: (\d+) of 20", waits)
    assert early is not None and int(early.group(1)) > 0, waits
    assert "expect_order: 20 of 20 filled" in waits
    racy = text(cell_with(nb, "async def place_then_wait"))
    assert re.search(r"attempt \d+: no 'filled' push within 1 s after the answer", racy), racy


def _write_back() -> None:
    """Execute every notebook and save it with its outputs."""
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.update(kernel_env(Path(tmp)))
        for name in NAMES:
            path = NOTEBOOKS / name
            nb = execute(nbformat.read(path, as_version=4), NOTEBOOKS)
            nbformat.write(nb, path)
            print(f"wrote {path}")


if __name__ == "__main__":
    _write_back()
