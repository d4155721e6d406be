"""Helpers shared by the vRA services: server-owned document fields, publish states, Location."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal, get_args

from fastapi import Body, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from lab.vra.errors import invalid

PublishStatus = Literal["DRAFT", "PUBLISHED", "RETIRED"]
PUBLISH_STATUSES: tuple[str, ...] = get_args(PublishStatus)
# Bodies are taken as plain JSON and checked by the lab, so errors come out in vRA's shape.
JsonBody = Annotated[Any, Body()]


class Document(BaseModel):
    """Base of the body checks: the lab validates what it relies on and keeps every other key."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def status_name(status: str) -> str:
    """The `...StatusName` vRA pairs with a status: "PUBLISHED" -> "Published"."""
    return status.capitalize()


def parse_status(body: Any) -> str:
    """Publish calls send the new state as a bare JSON string (docs/vra7-api.md, Publishing)."""
    if not isinstance(body, str) or body not in PUBLISH_STATUSES:
        raise invalid(f"Publish status must be a JSON string, one of {list(PUBLISH_STATUSES)}")
    return body


def created(request: Request, path: str, doc: dict[str, Any]) -> JSONResponse:
    """201 with the new document, and its address in Location."""
    url = f"{str(request.base_url).rstrip('/')}{path}"
    return JSONResponse(doc, status_code=201, headers={"Location": url})


def info(doc: dict[str, Any]) -> dict[str, Any]:
    """The `...Info` projection used in lists and publish answers."""
    keys = (
        "id",
        "name",
        "description",
        "tenantId",
        "version",
        "publishStatus",
        "publishStatusName",
        "createdDate",
        "lastUpdated",
    )
    return {key: doc.get(key) for key in keys}


def stamp(
    body: dict[str, Any], tenant: str, status: str, previous: dict[str, Any] | None
) -> dict[str, Any]:
    """The stored form of a software component or blueprint: the client's keys + server fields."""
    now = now_iso()
    doc = dict(body)
    doc.update(
        tenantId=tenant,
        # An integer that counts saves, as captured vRA 7 answers show (docs/vra7-api.md).
        version=previous["version"] + 1 if previous else 1,
        publishStatus=status,
        publishStatusName=status_name(status),
        createdDate=previous["createdDate"] if previous else now,
        lastUpdated=now,
    )
    return doc


def versioned(doc: dict[str, Any], doc_id: str, previous: dict[str, Any] | None) -> dict[str, Any]:
    """Server fields of a catalog-service document: its id, integer version and createdDate."""
    if previous is None:
        doc.update(id=doc_id, version=1, createdDate=doc["lastUpdatedDate"])
    else:
        doc.update(id=doc_id, version=previous["version"] + 1, createdDate=previous["createdDate"])
    return doc
