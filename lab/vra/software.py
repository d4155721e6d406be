"""software-service: software component types (facts §3; create/publish per contract, §14)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from pydantic import Field

from lab.vra.documents import (
    Document,
    JsonBody,
    PublishStatus,
    info,
    location,
    parse_status,
    stamp,
    status_name,
)
from lab.vra.errors import IN_USE, VraError, already_exists, invalid, not_found, parse_body
from lab.vra.identity import require_token
from lab.vra.query import ListQuery
from lab.vra.store import Store, StoreDep

BASE = "/software-service/api/softwarecomponenttypes"
# Script type ids: `bash` is the project's choice (facts §14.3 is unsure of the id and its shape).
SCRIPT_TYPES = {"bash": "sh", "powershell": "ps1"}
# Only INSTALL is confirmed; the other ids follow the UI's life-cycle names (facts §14.4).
TaskId = Literal["INSTALL", "CONFIGURE", "START", "UPDATE", "UNINSTALL"]


class DataType(Document):
    type: Literal["primitive", "ref", "complex"]


class SchemaField(Document):
    id: str = Field(min_length=1)
    dataType: DataType


class Schema(Document):
    fields: list[SchemaField]


class Script(Document):
    scriptTypeId: str
    scriptContent: str
    isRebootAfter: bool = False


class TaskRef(Document):
    id: TaskId


class LifecycleTask(Document):
    taskDescriptorRef: TaskRef
    script: Script


class SoftwareComponentBody(Document):
    id: str = Field(min_length=1, pattern=r"^[A-Za-z][\w.\-]*$")
    name: str = Field(min_length=1)
    publishStatus: PublishStatus = "DRAFT"
    containerFieldId: str = Field(min_length=1)
    schema_: Schema = Field(alias="schema")
    lifecycleTasks: list[LifecycleTask] = []


def _check(body: Any) -> SoftwareComponentBody:
    doc = parse_body(SoftwareComponentBody, body, "software component")
    field_ids = [f.id for f in doc.schema_.fields]
    duplicates = {fid for fid in field_ids if field_ids.count(fid) > 1}
    if duplicates:
        raise invalid(
            f"Software component {doc.id}: duplicate schema field ids {sorted(duplicates)}"
        )
    container = next((f for f in doc.schema_.fields if f.id == doc.containerFieldId), None)
    if container is None or container.dataType.type != "ref":
        raise invalid(
            f"Software component {doc.id}: containerFieldId {doc.containerFieldId!r} "
            "must name a schema field of dataType ref"
        )
    task_ids = [task.taskDescriptorRef.id for task in doc.lifecycleTasks]
    if len(set(task_ids)) != len(task_ids):
        raise invalid(f"Software component {doc.id}: one script per life-cycle task")
    for task in doc.lifecycleTasks:
        if task.script.scriptTypeId not in SCRIPT_TYPES:
            raise invalid(
                f"Software component {doc.id}: unknown scriptTypeId {task.script.scriptTypeId!r} "
                f"in {task.taskDescriptorRef.id}; known: {sorted(SCRIPT_TYPES)}"
            )
    return doc


def _get(store: Store, component_id: str) -> dict[str, Any]:
    doc = store.objects.software_components.get(component_id)
    if doc is None:
        raise not_found("software component type", component_id)
    return doc


def _name_taken(store: Store, name: str, other_than: str | None) -> bool:
    return any(
        doc["name"] == name and doc["id"] != other_than
        for doc in store.objects.software_components.values()
    )


def users_of(store: Store, component_id: str) -> list[str]:
    """Ids of the blueprints that have a component of this software component type."""
    return [
        bp["id"]
        for bp in store.objects.blueprints.values()
        if any(c.get("type") == component_id for c in bp.get("components", {}).values())
    ]


router = APIRouter(dependencies=[Depends(require_token)])


@router.get("/software-service/api/scripttypes")
def list_script_types(request: Request) -> dict[str, Any]:
    types = [
        {
            "id": name,
            "name": name,
            "supportedOsDetails": [{"osFamily": "any", "fileExtension": ext}],
        }
        for name, ext in SCRIPT_TYPES.items()
    ]
    return ListQuery.from_request(request).apply(types)


@router.get(BASE)
def list_components(request: Request, store: StoreDep) -> dict[str, Any]:
    query = ListQuery.from_request(request)
    with store.lock:
        infos = [info(doc) for doc in store.objects.software_components.values()]
    return query.apply(infos)


@router.get(BASE + "/{component_id}")
def get_component(component_id: str, store: StoreDep) -> dict[str, Any]:
    with store.lock:
        return _get(store, component_id)


@router.post(BASE, status_code=201)
def create_component(request: Request, body: JsonBody, store: StoreDep) -> JSONResponse:
    checked = _check(body)
    with store.lock:
        if checked.id in store.objects.software_components:
            raise already_exists("Software component type with id", checked.id)
        if _name_taken(store, checked.name, None):
            raise already_exists("Software component type with name", checked.name)
        doc = stamp(body, store.seed.tenant, checked.publishStatus, None)
        store.objects.software_components[checked.id] = doc
    return JSONResponse(doc, status_code=201, headers=location(request, f"{BASE}/{checked.id}"))


@router.put(BASE + "/{component_id}")
def update_component(component_id: str, body: JsonBody, store: StoreDep) -> dict[str, Any]:
    checked = _check(body)
    if checked.id != component_id:
        raise invalid(
            f"Software component id {checked.id!r} does not match the path {component_id!r}"
        )
    with store.lock:
        previous = _get(store, component_id)
        if _name_taken(store, checked.name, component_id):
            raise already_exists("Software component type with name", checked.name)
        status = body.get("publishStatus") or previous["publishStatus"]
        doc = stamp(body, store.seed.tenant, status, previous)
        store.objects.software_components[component_id] = doc
        return doc


@router.put(BASE + "/{component_id}/status")
def set_component_status(component_id: str, body: JsonBody, store: StoreDep) -> dict[str, Any]:
    status = parse_status(body)
    with store.lock:
        doc = _get(store, component_id)
        doc.update(publishStatus=status, publishStatusName=status_name(status))
        return info(doc)


@router.delete(BASE + "/{component_id}", status_code=204)
def delete_component(component_id: str, store: StoreDep) -> Response:
    with store.lock:
        _get(store, component_id)
        blueprints = users_of(store, component_id)
        if blueprints:
            raise VraError(
                409,
                IN_USE,
                f"Software component type {component_id} is in use by blueprint "
                + ", ".join(blueprints),
            )
        del store.objects.software_components[component_id]
    return Response(status_code=204)
