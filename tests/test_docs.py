"""The documentation site: every Python block runs, the topic reference is complete, and
``mkdocs build --strict`` passes.

How the block runner works:

- Every fenced ```` ```python ```` block of every page under ``docs/`` is one test case.
- A block preceded by ``<!-- no-run -->`` is only compiled (a syntax check), never run.
- A block that calls ``asyncio.run(`` is a complete program: it runs in a worker thread
  (which has no event loop of its own yet) with ``__name__ == "__main__"``.
- Every other block runs like a notebook cell: compiled with top-level ``await`` allowed
  (``ast.PyCF_ALLOW_TOP_LEVEL_AWAIT``) and evaluated on the test's event loop, with a fresh
  harness in its globals: ``sim`` (a running ``Simulator(seed=7)``), ``creds`` (the
  credentials of its account ``"demo"``) and ``streams`` (an open
  ``KucoinStreams(creds, endpoints=sim.endpoints)``). The pages describe this convention.
- A block preceded by ``<!-- continues -->`` builds on the block just before it on the same
  page: the runner runs that one (and whatever it continues) first, in the same globals.
- A block preceded by ``<!-- cli-sim -->`` also gets the documented command
  ``python -m rxkucoin.sim --seed 0 --port-base 18830 --interval 0.2`` running in a child
  process while it runs.

Blocks check their own results with ``assert`` statements, so a block that runs is a block
whose claims held against the simulator.

``python tests/test_docs.py`` regenerates the reference part of ``docs/topics.md`` from the
code (method signatures, topics, WsKeys, payload Structs and their docstrings).
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import dataclasses
import inspect
import linecache
import os
import re
import subprocess
import sys
import types
import typing
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest

from rxkucoin import ConnectionEvent, Gap, KucoinStreams, TopicStream, WsKey
from rxkucoin import models as m
from rxkucoin.models._registry import REGISTRATIONS

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
TOPICS_PAGE = DOCS / "topics.md"
BEGIN, END = "<!-- BEGIN GENERATED -->", "<!-- END GENERATED -->"

# --------------------------------------------------------------------------- blocks

_FENCE = re.compile(
    r"(?P<marks>(?:<!--\s*[\w-]+\s*-->\s*\n)*)```python[^\n]*\n(?P<code>.*?)^```[ \t]*$",
    re.DOTALL | re.MULTILINE,
)
_MARK = re.compile(r"<!--\s*([\w-]+)\s*-->")


@dataclasses.dataclass(frozen=True)
class Block:
    page: str
    index: int
    line: int
    code: str
    marks: frozenset[str]

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line + 1}"


def _blocks() -> list[Block]:
    found = []
    for page in sorted(DOCS.glob("*.md")):
        text = page.read_text()
        for index, match in enumerate(_FENCE.finditer(text)):
            line = text.count("\n", 0, match.start("code"))
            marks = frozenset(_MARK.findall(match.group("marks")))
            found.append(Block(page.name, index, line, match.group("code"), marks))
    return found


BLOCKS = _blocks()
KNOWN_MARKS = {"no-run", "cli-sim", "continues"}
CLI_SIM = [
    *(sys.executable, "-m", "rxkucoin.sim"),
    *("--seed", "0", "--port-base", "18830", "--interval", "0.2"),
]


def test_every_python_block_is_found() -> None:
    """No block hides from the runner (indented, or with an unknown marker)."""
    for page in DOCS.glob("*.md"):
        text = page.read_text()
        fences = re.findall(r"^[ \t]*```python", text, re.MULTILINE)
        assert len(fences) == sum(b.page == page.name for b in BLOCKS), page.name
        assert not re.findall(r"^[ \t]+```python", text, re.MULTILINE), f"indented in {page.name}"
    for block in BLOCKS:
        assert block.marks <= KNOWN_MARKS, block.id
    assert sum("no-run" in b.marks for b in BLOCKS) <= 1, "keep no-run blocks to a minimum"


@pytest.fixture
def kucoin_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Throwaway values, so that `Credentials.from_env()` works in the blocks that show it."""
    monkeypatch.setenv("KUCOIN_API_KEY", "docs-key")
    monkeypatch.setenv("KUCOIN_API_SECRET", "docs-secret")
    monkeypatch.setenv("KUCOIN_API_PASSPHRASE", "docs-passphrase")


@contextlib.contextmanager
def cli_sim() -> Iterator[None]:
    """The documented simulator command, in a child process, until the block is done."""
    proc = subprocess.Popen(CLI_SIM, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("serving"):
                break
        else:
            pytest.fail("python -m rxkucoin.sim did not start")
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@contextlib.asynccontextmanager
async def harness() -> AsyncIterator[dict[str, Any]]:
    """A fresh simulator, its account "demo" and an open client, as the pages describe."""
    from rxkucoin.sim import Simulator

    reported: list[Exception] = []
    async with Simulator(seed=7) as sim:
        creds = sim.add_account(
            "demo",
            balances={"USDT": "100000", "BTC": "10", "ETH": "100"},
            futures_balance="50000",
        )
        async with KucoinStreams(
            creds, endpoints=sim.endpoints, on_subscriber_error=reported.append
        ) as streams:
            yield {"sim": sim, "creds": creds, "streams": streams}
    assert not reported, f"a subscriber raised: {reported!r}"


def _chain(block: Block) -> list[Block]:
    """The block, preceded by the blocks it continues."""
    if "continues" not in block.marks:
        return [block]
    previous = BLOCKS[BLOCKS.index(block) - 1]
    assert previous.page == block.page, f"{block.id} continues nothing"
    return [*_chain(previous), block]


def _compile(block: Block) -> types.CodeType:
    # Padded so that line numbers in tracebacks are the page's own, shown from linecache.
    source = "\n" * block.line + block.code
    filename = f"docs/{block.page}"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    flags = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    return compile(source, filename, "exec", flags=flags, dont_inherit=True)


@pytest.mark.parametrize("block", BLOCKS, ids=[b.id for b in BLOCKS])
async def test_block_runs(block: Block, kucoin_env: None) -> None:
    codes = [_compile(b) for b in _chain(block)]
    if "no-run" in block.marks:
        return
    with cli_sim() if "cli-sim" in block.marks else contextlib.nullcontext():
        if "asyncio.run(" in block.code:
            program: dict[str, Any] = {"__name__": "__main__"}
            for code in codes:
                await asyncio.wait_for(asyncio.to_thread(exec, code, program), timeout=30)
            return
        async with harness() as namespace:
            namespace["__name__"] = "__docs__"
            for code in codes:
                result = eval(code, namespace)
                if inspect.iscoroutine(result):
                    await asyncio.wait_for(result, timeout=30)


# --------------------------------------------------------------------------- mkdocs


def test_mkdocs_build_strict(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "topics" / "index.html").exists()


# --------------------------------------------------------------------------- topics reference


#: The reference's sections, by method name prefix.
SECTIONS = (
    ("Spot", "spot_"),
    ("Margin", "margin_"),
    ("Futures", "futures_"),
    ("Pro (unified account)", "pro_"),
)


def stream_methods() -> dict[str, Any]:
    """Every public method of `KucoinStreams` that returns an Observable, by name."""
    found = {}
    for name, func in inspect.getmembers(KucoinStreams, inspect.isfunction):
        if name.startswith("_"):
            continue
        returns = typing.get_type_hints(func).get("return")
        origin = typing.get_origin(returns) or returns
        if isinstance(origin, type) and origin.__name__ in ("TopicStream", "Observable"):
            found[name] = func
    return found


def _flatten(tp: Any) -> list[Any]:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return [t for arg in typing.get_args(tp) for t in _flatten(arg)]
    return [tp]


def event_types(func: Any) -> list[type]:
    """The payload types a typed stream method's TopicStream carries."""
    returns = typing.get_type_hints(func)["return"]
    if typing.get_origin(returns) is not TopicStream:
        return []
    flat = _flatten(typing.get_args(returns)[0])
    return [t for t in flat if isinstance(t, type) and issubclass(t, msgspec.Struct)]


def _nested_structs(cls: type) -> list[type]:
    """The Structs a Struct's fields hold (directly, in a union, or as dict values)."""
    candidates = [
        inner
        for f in msgspec.structs.fields(cls)  # type: ignore[arg-type]
        for t in _flatten(f.type)
        for inner in (t, *typing.get_args(t))
    ]
    return [t for t in candidates if isinstance(t, type) and issubclass(t, msgspec.Struct)]


def payload_types() -> list[type]:
    """Every payload Struct, each followed by its parts: the typed streams' event types in
    page order, then whatever else `rxkucoin.models` exports."""
    methods = stream_methods()
    ordered = [n for _, prefix in SECTIONS for n in sorted(methods) if n.startswith(prefix)]
    roots = [t for n in ordered for t in event_types(methods[n])]
    roots += [
        obj
        for name in m.__all__
        if isinstance(obj := getattr(m, name), type)
        and issubclass(obj, msgspec.Struct)
        and not obj.__module__.startswith("rxkucoin.models.rest_")  # docs/rest.md has those
    ]
    seen: dict[type, None] = {}

    def visit(cls: type) -> None:
        if cls in seen or cls is m.Payload:
            return
        seen[cls] = None
        for inner in _nested_structs(cls):
            visit(inner)

    for cls in roots:
        visit(cls)
    return list(seen)


def parse_attributes(doc: str | None) -> tuple[str, dict[str, str]]:
    """A Google-style docstring's summary paragraph and its ``Attributes:`` entries."""
    text = inspect.cleandoc(doc or "")
    summary = text.split("\n\n", 1)[0].replace("\n", " ").strip()
    attrs: dict[str, str] = {}
    if "Attributes:" in text:
        current = None
        for line in text.split("Attributes:", 1)[1].splitlines():
            entry = re.match(r"^ {4}(\w+): ?(.*)$", line)
            if entry:
                current = entry.group(1)
                attrs[current] = entry.group(2).strip()
            elif current and line.startswith("        "):
                attrs[current] += " " + line.strip()
            elif line.strip() and not line.startswith(" "):
                current = None
    return summary, attrs


def type_name(tp: Any) -> str:
    if tp is type(None):
        return "None"
    if tp is Any:
        return "Any"
    if typing.get_origin(tp) is typing.Annotated:  # `Text`: a str to type checkers
        return type_name(typing.get_args(tp)[0])
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return " | ".join(type_name(t) for t in typing.get_args(tp))
    origin = typing.get_origin(tp)
    if origin is not None:
        return f"{origin.__name__}[{', '.join(type_name(a) for a in typing.get_args(tp))}]"
    return getattr(tp, "__name__", str(tp))


def unit_of(name: str, tp: Any, description: str) -> str:
    units = []
    if re.search(r"\bms\b", description):
        units.append("ms")
    if name.endswith("_ns") or re.search(r"\bns\b|nanoseconds", description):
        units.append("ns")
    if re.search(r"\bcontracts\b", description):
        units.append("contracts")
    if not units and Decimal in _flatten(tp):
        return "decimal"
    return " or ".join(units) if units else "–"


def _code(text: str) -> str:
    """Inline code for a table cell: HTML, since a pipe in a Markdown code span splits it."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f"<code>{escaped.replace('|', '&#124;')}</code>"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


class _Recorder(KucoinStreams):
    """Records what each typed method subscribes instead of subscribing it."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[Any, WsKey]] = []

    def subscribe(self, topics: Any, ws_key: Any) -> Any:
        self.calls.append((topics, WsKey(ws_key)))
        return None


#: What the reference shows for each argument: placeholders, so topics read as templates.
_PLACEHOLDERS = {"symbols": "{symbol}", "trade_type": "{trade_type}"}


def _variants(func: Any) -> list[tuple[str, dict[str, Any]]]:
    """Representative calls of a typed method: its defaults, then each option it has."""
    names = [n for n in inspect.signature(func).parameters if n != "self"]
    params = inspect.signature(func).parameters
    required = {n: _PLACEHOLDERS[n] for n in names if params[n].default is params[n].empty}
    calls = [required]
    if "v1" in names:
        calls.append({**required, "v1": True})
    if "symbols" in names and "symbols" not in required:
        calls.append({n: _PLACEHOLDERS[n] for n in ("trade_type", "symbols") if n in names})
    labels = [", ".join(f"{k}=True" if v is True else k for k, v in c.items()) for c in calls]
    return [(f"{func.__name__}({label})", c) for label, c in zip(labels, calls, strict=True)]


def _render_topic(topics: Any) -> str:
    items = topics if isinstance(topics, list) else [topics]
    parts = []
    for item in items:
        if isinstance(item, str):
            parts.append(f"`{item}`")
        else:
            params = ", ".join(f"{k}={v}" for k, v in item["payload"].items())
            parts.append(f"`{item['topic']}` ({params})")
    return "<br>".join(parts)


#: Fields that receive a payload which is a bare JSON object keyed by symbol.
WRAPPED = {(r.payload_type, r.wrap_field) for r in REGISTRATIONS if r.wrap_field}


def _struct_table(cls: type) -> list[str]:
    summary, attrs = parse_attributes(cls.__doc__)
    lines = [f"### {cls.__name__}", "", summary, ""]
    lines += [
        "| field | wire name | type | unit | meaning |",
        "|---|---|---|---|---|",
    ]
    for f in msgspec.structs.fields(cls):  # type: ignore[arg-type]
        desc = attrs.get(f.name, "")
        wire = "(the whole payload)" if (cls, f.name) in WRAPPED else f"`{f.encode_name}`"
        if desc.startswith(f"``{f.encode_name}``, "):
            desc = desc[len(f.encode_name) + 6 :]
        lines.append(
            f"| `{f.name}` | {wire} | {_code(type_name(f.type))} | "
            f"{unit_of(f.name, f.type, desc)} | {_cell(desc)} |"
        )
    props = [
        (n, p)
        for n, p in inspect.getmembers(cls, lambda o: isinstance(o, property))
        if not n.startswith("_")
    ]
    for n, p in props:
        lines.append(f"| `{n}` (property) | – | – | – | {_cell(parse_attributes(p.__doc__)[0])} |")
    return [*lines, ""]


def _dataclass_table(cls: type) -> list[str]:
    summary, attrs = parse_attributes(cls.__doc__)
    lines = [f"### {cls.__name__}", "", summary, "", "| field | type | meaning |", "|---|---|---|"]
    hints = typing.get_type_hints(cls)
    lines += [
        f"| `{f.name}` | {_code(type_name(hints[f.name]))} | {_cell(attrs[f.name])} |"
        for f in dataclasses.fields(cls)
    ]
    return [*lines, ""]


def _signature(func: Any) -> str:
    sig = str(inspect.signature(func)).replace("self, ", "").replace("(self)", "()")
    return re.sub(r"(: |-> )'([^']*)'", r"\1\2", sig)  # annotations without their quotes


def render_topics() -> str:
    """The generated part of docs/topics.md."""
    typed = {n: f for n, f in stream_methods().items() if event_types(f) and n != "subscribe"}
    sections = {title: [n for n in typed if n.startswith(prefix)] for title, prefix in SECTIONS}
    leftover = set(typed).difference(*sections.values())
    assert not leftover, f"methods outside every section: {leftover}"

    lines = ["## Stream methods", ""]
    lines += ["| method | WsKey | topic or channel | events |", "|---|---|---|---|"]
    for names in sections.values():
        for name in names:
            events = ", ".join(
                f"[`{t.__name__}`](#{t.__name__.lower()})" for t in event_types(typed[name])
            )
            for label, kwargs in _variants(typed[name]):
                recorder = _Recorder()
                getattr(recorder, name)(**kwargs)
                [(topics, key)] = recorder.calls
                lines.append(f"| `{label}` | `{key.value}` | {_render_topic(topics)} | {events} |")
    lines.append("")
    for title, names in sections.items():
        lines += [f"### {title}", ""]
        for name in names:
            doc = inspect.cleandoc(typed[name].__doc__ or "").split("\n\n", 1)[0]
            lines.append(f"- `{name}{_signature(typed[name])}`: {doc.replace(chr(10), ' ')}")
        lines.append("")
    lines += ["## Event types", ""]
    lines += ["Every payload is a frozen `msgspec.Struct` from `rxkucoin.models`.", ""]
    for cls in payload_types():
        lines += _struct_table(cls)
    lines += ["## Markers and lifecycle events", ""]
    lines += _dataclass_table(Gap)
    lines += _dataclass_table(ConnectionEvent)
    return "\n".join(lines).rstrip() + "\n"


def _generated_part(text: str) -> str:
    return text.split(BEGIN, 1)[1].split(END, 1)[0]


def test_topics_page_lists_every_stream_method() -> None:
    text = TOPICS_PAGE.read_text()
    for name in stream_methods():
        assert f"`{name}(" in text, f"docs/topics.md does not list KucoinStreams.{name}"


def test_topics_page_lists_every_payload_field() -> None:
    text = _generated_part(TOPICS_PAGE.read_text())
    sections = dict(
        (s.split("\n", 1)[0].strip(), s) for s in re.split(r"^### ", text, flags=re.M)[1:]
    )
    for cls in payload_types():
        section = sections.get(cls.__name__)
        assert section is not None, f"docs/topics.md has no section for {cls.__name__}"
        for f in msgspec.structs.fields(cls):  # type: ignore[arg-type]
            assert f"| `{f.name}` |" in section, f"{cls.__name__}.{f.name} missing from topics.md"


def test_topics_page_is_up_to_date() -> None:
    """The committed reference matches the code (regenerate: python tests/test_docs.py)."""
    assert _generated_part(TOPICS_PAGE.read_text()).strip() == render_topics().strip()


def main() -> None:
    text = TOPICS_PAGE.read_text()
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    TOPICS_PAGE.write_text(f"{head}{BEGIN}\n\n{render_topics()}\n{END}{tail}")
    print(f"wrote {TOPICS_PAGE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
