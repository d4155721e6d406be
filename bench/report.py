"""One measured figure, how it is printed (a rich table, or the README's Markdown table) and how
it is stored in `bench/results.json` (a local file, not committed)."""

from __future__ import annotations

import json
import os
import platform
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

RESULTS_FILE = Path(__file__).resolve().parent / "results.json"


@dataclass
class Figure:
    """A number with its unit, its target (if any) and the command that reproduces it."""

    key: str
    title: str
    value: float
    unit: str
    command: str
    target: str = ""
    met: bool | None = None  # None: no target
    note: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def verdict(self) -> str:
        if self.met is None:
            return ""
        return "met" if self.met else "MISSED"


def _number(value: float) -> str:
    return f"{value:g}" if float(value).is_integer() else f"{value:.3g}"


def render(figures: list[Figure], console: Console) -> None:
    table = Table(title="gpu-mlaas benchmarks", show_lines=True)
    for column in ("figure", "value", "target", "", "reproduce with"):
        table.add_column(column, overflow="fold")
    for fig in figures:
        verdict = fig.verdict()
        style = "green" if fig.met else "red" if fig.met is False else ""
        table.add_row(fig.title, f"{_number(fig.value)} {fig.unit}".strip(), fig.target,
                      f"[{style}]{verdict}[/{style}]" if style else verdict, fig.command)
    console.print(table)
    for fig in figures:
        if fig.note:
            console.print(f"[bold]{fig.title}[/bold]: {fig.note}", highlight=False)


def machine() -> str:
    """The machine a run measured: cores, architecture, interpreter, and how busy it was (the
    1-minute load average: timings taken on a loaded machine are not comparable)."""
    return (f"{os.cpu_count()} cores, {platform.machine()}, {platform.python_implementation()} "
            f"{platform.python_version()}, load average {os.getloadavg()[0]:.1f}")


def markdown(figures: list[Figure], *, measured: str, on: str) -> str:
    """The README's benchmark table, with the date and machine it was measured on."""
    lines = [
        f"Measured {measured} on {on} (`python -m bench --markdown`):",
        "",
        "| figure | value | target | |",
        "| --- | --- | --- | --- |",
    ]
    for fig in figures:
        value = f"{_number(fig.value)} {fig.unit}".strip()
        lines.append(f"| {fig.title} | {value} | {fig.target} | {fig.verdict().lower()} |")
    return "\n".join(lines) + "\n"


def write_json(figures: list[Figure], path: Path = RESULTS_FILE, **meta: Any) -> None:
    """Store the figures; figures run earlier and not re-run now are kept."""
    old: dict[str, Any] = {}
    if path.exists():
        try:
            old = {f["key"]: f for f in json.loads(path.read_text()).get("figures", [])}
        except (ValueError, AttributeError):
            old = {}
    merged = {fig.key: asdict(fig) for fig in figures}
    merged |= {key: stored for key, stored in old.items() if key not in merged}
    document = {**meta, "figures": list(merged.values())}
    path.write_text(json.dumps(document, indent=2, sort_keys=False) + "\n")
