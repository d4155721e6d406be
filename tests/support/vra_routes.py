"""The vRA 7 route table of docs/vra7-routes.md, read from the doc itself."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

TABLE = Path(__file__).resolve().parents[2] / "docs" / "vra7-routes.md"
_ROW = re.compile(r"^\| (GET|PUT|POST|DELETE|HEAD) \| (/\S+) \| (yes|no) \| (.+?) \| (yes|lab) \|$")


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # with {placeholders}
    in_70: bool
    name_72: str
    used: bool  # called by the providers

    def matches(self, method: str, path: str) -> bool:
        pattern = "^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(self.path)) + "$"
        return method == self.method and re.match(pattern, path) is not None


def routes() -> list[Route]:
    rows = [_ROW.match(line) for line in TABLE.read_text(encoding="utf-8").splitlines()]
    return [
        Route(m[1], m[2], m[3] == "yes", m[4], m[5] == "yes") for m in rows if m is not None
    ]


def route_of(method: str, path: str) -> Route | None:
    return next((r for r in routes() if r.matches(method, path)), None)
