"""The README's first command: the demo runs, streams, survives its own faults."""

from __future__ import annotations

import re
import subprocess
import sys


def test_demo_streams_reconnects_and_reports_gaps() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "rxkucoin", "demo", "--seconds", "11"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    for label in ("spot order", "spot balance", "futures order", "pro order"):
        assert re.search(rf"^\s*[\d.]+s\s+{label}\s", out, re.MULTILINE), label
    assert "FAULT" in out
    assert re.search(r"reconnected\s+spotPrivateV1", out)
    assert re.search(r"GAP\s+spot order: [\d.]+ s may be missing", out)
    summary = re.search(r"(\d+) gaps reported, (\d+) stream errors", out)
    assert summary is not None
    assert int(summary.group(1)) >= 6 and summary.group(2) == "0"


def test_unknown_command_is_a_usage_error() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "rxkucoin", "nope"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2 and "invalid choice" in done.stderr
