"""Prints, after a run that included the wire tests, how many corpus frames each topic has
and how many of them decoded."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest

from .corpus import load

_TEST = "test_wire.py::test_entry_decodes["


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    outcomes: dict[str, str] = {}
    for outcome in ("passed", "failed", "error", "skipped"):
        for report in terminalreporter.stats.get(outcome, []):
            nodeid = getattr(report, "nodeid", "")
            if _TEST in nodeid and getattr(report, "when", "call") in ("call", "setup"):
                test_id = nodeid.split(_TEST, 1)[1].rstrip("]")
                if outcomes.get(test_id) != "failed":
                    outcomes[test_id] = "failed" if outcome == "error" else outcome
    if not outcomes:
        return
    rows: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for entry in load():
        if entry.test_id in outcomes:
            row = rows[f"{entry.dialect.value} {entry.family}"]
            row["entries"] += 1
            row[outcomes[entry.test_id]] += 1
    terminalreporter.section("wire corpus: frames per topic")
    width = max(len(name) for name in rows)
    for name, row in sorted(rows.items()):
        terminalreporter.write_line(
            f"{name:<{width}}  {row['entries']:>3} frames  {row['passed']:>3} decoded"
            + (f"  {row['failed']:>3} failed" if row["failed"] else "")
        )
    total = sum(row["entries"] for row in rows.values())
    decoded = sum(row["passed"] for row in rows.values())
    terminalreporter.write_line(f"{'total':<{width}}  {total:>3} frames  {decoded:>3} decoded")
