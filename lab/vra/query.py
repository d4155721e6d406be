"""List queries as vRA 7 answers them: 1-based `page`/`limit` (default 20), `$orderby`, and the
`$filter` forms the project uses (docs/vra7-api.md, Paging).

Supported `$filter` terms, joined with ` and `: `<path> eq '<text>'`, `<path> ne '<text>'` and
`startswith(<path>,'<text>')`. A path may go through nested objects with `/`; as on catalog-service,
`service/name` reads `serviceRef.label` (the `Ref` suffix dropped, `name` for the ref's label).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from fastapi import Request

from lab.vra.errors import invalid

DEFAULT_LIMIT = 20
MAX_LIMIT = 10_000

_PATH = r"[A-Za-z_][\w.]*(?:/[A-Za-z_][\w.]*)*"
_TEXT = r"'((?:[^']|'')*)'"
_EQ = re.compile(rf"^\s*({_PATH})\s+(eq|ne)\s+{_TEXT}\s*$")
_STARTSWITH = re.compile(rf"^\s*startswith\(\s*({_PATH})\s*,\s*{_TEXT}\s*\)\s*$")
_AND = re.compile(r"\s+and\s+(?=(?:[^']*'[^']*')*[^']*$)")

Predicate = Callable[[dict[str, Any]], bool]


def _resolve(item: Any, path: str) -> Any:
    value = item
    for part in path.split("/"):
        if not isinstance(value, dict):
            return None
        if part in value:
            value = value[part]
        elif f"{part}Ref" in value:
            value = value[f"{part}Ref"]
        elif part == "name" and "label" in value:
            value = value["label"]
        else:
            return None
    return value


def _term(text: str) -> Predicate:
    if match := _EQ.match(text):
        path, op, raw = match.groups()
        wanted = raw.replace("''", "'")
        if op == "eq":
            return lambda item: _resolve(item, path) == wanted
        return lambda item: _resolve(item, path) != wanted
    if match := _STARTSWITH.match(text):
        path, raw = match.groups()
        prefix = raw.replace("''", "'")
        return lambda item: str(_resolve(item, path) or "").startswith(prefix)
    raise invalid(f"Unsupported $filter expression: {text.strip()!r}")


def parse_filter(expression: str) -> Predicate:
    terms = [_term(part) for part in _AND.split(expression)]
    return lambda item: all(term(item) for term in terms)


_ORDER = re.compile(rf"^\s*({_PATH})(?:\s+(asc|desc))?\s*$")


def _order(expression: str | None) -> tuple[str, bool] | None:
    """`$orderby=<path> [asc|desc]`; stable paging needs it (docs/vra7-api.md, Paging)."""
    if expression is None:
        return None
    match = _ORDER.match(expression)
    if match is None:
        raise invalid(f"Unsupported $orderby expression: {expression.strip()!r}")
    return match.group(1), match.group(2) == "desc"


def _positive_int(request: Request, key: str, default: int, upper: int) -> int:
    raw = request.query_params.get(key)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid(f"Query parameter {key!r} must be an integer, got {raw!r}") from None
    if not 1 <= value <= upper:
        raise invalid(f"Query parameter {key!r} must be between 1 and {upper}, got {value}")
    return value


@dataclass(frozen=True)
class ListQuery:
    """`page`, `limit` and `$filter` of one list request, validated before anything is read."""

    page: int
    limit: int
    predicate: Predicate | None
    order_by: tuple[str, bool] | None = None  # (path, descending)

    @classmethod
    def from_request(cls, request: Request) -> ListQuery:
        expression = request.query_params.get("$filter")
        return cls(
            page=_positive_int(request, "page", 1, MAX_LIMIT),
            limit=_positive_int(request, "limit", DEFAULT_LIMIT, MAX_LIMIT),
            predicate=parse_filter(expression) if expression else None,
            order_by=_order(request.query_params.get("$orderby")),
        )

    def apply(self, items: Iterable[dict[str, Any]]) -> dict[str, Any]:
        matching = [item for item in items if self.predicate is None or self.predicate(item)]
        if self.order_by is not None:
            path, descending = self.order_by
            matching.sort(key=lambda item: str(_resolve(item, path) or ""), reverse=descending)
        offset = (self.page - 1) * self.limit
        content = matching[offset : offset + self.limit]
        return {
            "links": [],
            "content": content,
            "metadata": {
                "size": self.limit,
                "totalElements": len(matching),
                "totalPages": math.ceil(len(matching) / self.limit),
                "number": self.page,
                "offset": offset,
            },
        }
