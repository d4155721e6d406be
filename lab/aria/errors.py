"""Error answers of the Aria lab: `{"message", "statusCode"}` as in the published
ServiceErrorResponse (vra-iaas.json); the blueprint and catalog services answer the same keys."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from starlette.responses import JSONResponse


class AriaError(Exception):
    """An error the lab answers with the given HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def error_body(status: int, message: str) -> dict[str, Any]:
    return {"message": message, "statusCode": status}


def error_response(
    status: int, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(error_body(status, message), status_code=status, headers=headers)


def bad_request(message: str) -> AriaError:
    return AriaError(400, message)


def not_found(kind: str, key: str) -> AriaError:
    return AriaError(404, f"{kind} with id '{key}' not found")


T = TypeVar("T")


def stored(collection: Mapping[str, T], kind: str, key: str) -> T:
    """The object `key` of a collection, or the 404 that names it."""
    doc = collection.get(key)
    if doc is None:
        raise not_found(kind, key)
    return doc
