"""Every Python block in the README runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), re.DOTALL)


def test_readme_opens_with_the_two_commands() -> None:
    first_block = README.read_text().split("```bash\n", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in first_block.splitlines()]
    assert commands[:2] == ["make demo", "make test"]


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_block_runs(index: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUCOIN_API_KEY", "readme-key")
    monkeypatch.setenv("KUCOIN_API_SECRET", "readme-secret")
    monkeypatch.setenv("KUCOIN_API_PASSPHRASE", "readme-passphrase")
    exec(compile(BLOCKS[index], f"README block {index}", "exec"), {})
