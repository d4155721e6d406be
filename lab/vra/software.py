"""software-service: software component types (docs/vra7-api.md, Software components)."""

from __future__ import annotations

import copy
import hashlib
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from pydantic import Field

from lab.vra.documents import Document, JsonBody, PublishStatus, created, info, stamp
from lab.vra.errors import IN_USE, VraError, invalid, parse_body
from lab.vra.identity import require_token
from lab.vra.kinds import Kind, check_path_id
from lab.vra.query import ListQuery
from lab.vra.store import Store, StoreDep

BASE = "/software-service/api/softwarecomponenttypes"
# Script type ids exactly as real exports spell them (docs/vra7-api.md, Script types).
SCRIPT_TYPES = {"Bash": "sh", "powershell": "ps1"}
# Life-cycle task ids seen in real exports: INSTALL, CONFIGURE, START (docs/vra7-api.md).
TaskId = Literal["INSTALL", "CONFIGURE", "START", "UPDATE", "UNINSTALL"]


class DataType(Document):
    type: Literal["primitive", "ref", "complex"]
    typeId: str | None = None


# A secured property: `typeId: SECURE_STRING`, its default a `secureString` literal, and the
# `encrypted` facet (JM `Software.MySql`, docs/vra7-api.md "Secured properties").
SECURE_TYPE = "SECURE_STRING"
SECURE_LITERAL = "secureString"


def _literals(field: dict[str, Any]) -> list[dict[str, Any]]:
    """The literal `{type, value}` of each constant facet of a schema field."""
    found = []
    for facet in (field.get("state") or {}).get("facets") or []:
        value = facet.get("value") or {}
        if value.get("type") == "constant" and isinstance(value.get("value"), dict):
            found.append(value["value"])
    return found


def _check_secured(component_id: str, field: dict[str, Any]) -> None:
    secure = (field.get("dataType") or {}).get("typeId") == SECURE_TYPE
    literals = [lit.get("type") for lit in _literals(field)]
    if secure and "string" in literals:
        raise invalid(f"Software component {component_id}: field {field.get('id')!r} is "
                      f"{SECURE_TYPE}; its default must be a {SECURE_LITERAL} literal")
    if not secure and SECURE_LITERAL in literals:
        raise invalid(f"Software component {component_id}: field {field.get('id')!r} holds a "
                      f"{SECURE_LITERAL} value but its dataType is not {SECURE_TYPE}")


def seal(store: Store, body: dict[str, Any]) -> dict[str, Any]:
    """The body as the lab stores it: each secured default moved into the store's sealed values
    and blanked in the document. An empty value (a document read back and written again)
    keeps the value sealed before."""
    doc = copy.deepcopy(body)
    sealed = dict(store.objects.secured_values.get(doc["id"], {}))
    for field in doc["schema"]["fields"]:
        if (field.get("dataType") or {}).get("typeId") != SECURE_TYPE:
            continue
        for literal in _literals(field):
            if literal.get("type") == SECURE_LITERAL:
                if literal.get("value"):
                    sealed[str(field["id"])] = str(literal["value"])
                literal["value"] = ""
    store.objects.secured_values[doc["id"]] = sealed
    return doc


def sealed_digests(store: Store) -> dict[str, dict[str, str]]:
    """SHA-256 of each sealed value, for the operator: proof of what arrived, never the value."""
    return {
        component: {name: hashlib.sha256(value.encode()).hexdigest()
                    for name, value in values.items()}
        for component, values in store.objects.secured_values.items()
        if values
    }


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
    for raw in body["schema"]["fields"]:
        _check_secured(doc.id, raw)
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


SOFTWARE = Kind("software component type", lambda objects: objects.software_components)


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


SOFTWARE.add_read_routes(router, BASE, info)
SOFTWARE.add_status_route(router, BASE)


@router.post(BASE, status_code=201)
def create_component(request: Request, body: JsonBody, store: StoreDep) -> JSONResponse:
    checked = _check(body)
    with store.lock:
        SOFTWARE.check_new(store, checked.id, checked.name)
        doc = stamp(seal(store, body), store.seed.tenant, checked.publishStatus, None)
        SOFTWARE.save(store, doc)
    return created(request, f"{BASE}/{checked.id}", doc)


@router.put(BASE + "/{component_id}")
def update_component(component_id: str, body: JsonBody, store: StoreDep) -> dict[str, Any]:
    checked = _check(body)
    check_path_id("Software component", checked.id, component_id)
    with store.lock:
        previous = SOFTWARE.previous(store, component_id, checked.name)
        status = body.get("publishStatus") or previous["publishStatus"]
        doc = stamp(seal(store, body), store.seed.tenant, status, previous)
        SOFTWARE.save(store, doc)
        return doc


@router.delete(BASE + "/{component_id}", status_code=204)
def delete_component(component_id: str, store: StoreDep) -> Response:
    with store.lock:
        SOFTWARE.get(store, component_id)
        blueprints = users_of(store, component_id)
        if blueprints:
            raise VraError(
                409,
                IN_USE,
                f"Software component type {component_id} is in use by blueprint "
                + ", ".join(blueprints),
            )
        del store.objects.software_components[component_id]
        store.objects.secured_values.pop(component_id, None)
    return Response(status_code=204)
