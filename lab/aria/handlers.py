"""The handler registry and what handlers share: one call's inputs, list pages, timestamps.

Each handler serves one operation of the published descriptions (lab/aria/spec.py); registering
one for an operation that is not in them fails at import, so the lab cannot grow a route VMware
does not publish.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lab.aria import spec
from lab.aria.errors import bad_request
from lab.aria.seed import User
from lab.aria.store import Store

Handler = Callable[[Store, "Call"], tuple[int, Any]]


@dataclass(frozen=True)
class Call:
    params: dict[str, str]  # path parameters
    query: dict[str, list[str]]
    body: Any
    user: User | None  # None only on operations that need no bearer token

    def one(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None

    def many(self, name: str) -> list[str]:
        """An `array` query parameter: repeated, or comma-separated."""
        return [part for value in self.query.get(name, []) for part in value.split(",") if part]


@dataclass(frozen=True)
class Route:
    run: Handler
    auth: bool


ROUTES: dict[tuple[str, str], Route] = {}


def handler(method: str, template: str, *, auth: bool = True) -> Callable[[Handler], Handler]:
    if not any(op.method == method and op.template == template for op in spec.operations()):
        raise LookupError(f"{method} {template} is not in the published API descriptions")

    def register(run: Handler) -> Handler:
        ROUTES[(method, template)] = Route(run, auth)
        return run

    return register


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _int(call: Call, name: str, default: int) -> int:
    raw = call.one(name)
    if raw is None:
        return default
    if not raw.isdigit():
        raise bad_request(f"Query parameter '{name}' must be a non-negative integer")
    return int(raw)


_NAME_EQ = re.compile(r"^\s*name\s+eq\s+'((?:[^']|'')*)'\s*$")


def _filtered(call: Call, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    expression = call.one("$filter")
    if not expression:
        return items
    match = _NAME_EQ.match(expression)
    if match is None:
        raise bad_request(f"Unsupported $filter expression in the lab: {expression!r}")
    name = match.group(1).replace("''", "'")
    return [item for item in items if item.get("name") == name]


def iaas_page(
    call: Call, items: list[dict[str, Any]], *, filterable: bool = False
) -> dict[str, Any]:
    """An IaaS list answer (`content`, `totalElements`, `numberOfElements`); `$top`/`$skip`."""
    if filterable:
        items = _filtered(call, items)
    skip, top = _int(call, "$skip", 0), _int(call, "$top", 100)
    page = [_without_private(item) for item in items[skip : skip + top]]
    return {"content": page, "totalElements": len(items), "numberOfElements": len(page)}


def spring_page(call: Call, items: list[dict[str, Any]]) -> dict[str, Any]:
    """A blueprint / catalog list answer (PageOf...): `$top`/`$skip`, Spring's page keys."""
    skip, top = _int(call, "$skip", 0), _int(call, "$top", 20)
    page = items[skip : skip + top]
    size = max(top, 1)
    total_pages = (len(items) + size - 1) // size
    return {
        "content": page,
        "totalElements": len(items),
        "totalPages": total_pages,
        "number": skip // size,
        "size": top,
        "numberOfElements": len(page),
        "first": skip == 0,
        "last": skip + top >= len(items),
        "empty": not page,
    }


def _without_private(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k != "regionId"}
