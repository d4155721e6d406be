"""composition-service: composite blueprints, written and read as blueprint documents.

The document is the JSON form of an exported blueprint YAML (docs/vra7-api.md, Blueprint
documents): `components.<id> = {type, dependsOn, data}`, a machine's `cpu`/`memory`/`storage` as
`{default, min, max}`, a software component's `host: "${_resource~<machine>}"` as a binding.
The lab resolves every binding and refuses a blueprint whose software has no machine to run on.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from pydantic import Field

from lab.vra import catalog
from lab.vra.documents import (
    PUBLISH_STATUSES,
    Document,
    JsonBody,
    created,
    now_iso,
    parse_status,
    status_name,
)
from lab.vra.errors import NOT_IMPLEMENTED, VraError, invalid, parse_body
from lab.vra.iaas import CLONE_ACTIONS
from lab.vra.identity import require_token
from lab.vra.kinds import Kind, check_path_id
from lab.vra.store import VSPHERE_MACHINE, Store, StoreDep

BASE = "/composition-service/api/blueprints"
DOCUMENTS = "/composition-service/api/blueprintdocuments"
NETWORK_PREFIX = "Infrastructure.Network.Network."
_BINDING = re.compile(r"^\$\{_resource~([\w.\-]+)\}$")
_SIZES = ("cpu", "memory", "storage", "_cluster")


class Component(Document):
    type: str = Field(min_length=1)
    dependsOn: list[str] = []
    data: dict[str, Any] = {}


class BlueprintDocument(Document):
    id: str = Field(min_length=1, pattern=r"^[A-Za-z][\w.\-]*$")
    name: str = Field(min_length=1)
    status: str | None = None
    properties: dict[str, Any] = {}
    components: dict[str, Component] = {}


def binding_target(value: Any) -> str | None:
    """The component a `${_resource~<id>}` binding names; None for anything else (a literal
    string, or a `{"type": "constant"}` facet holding the binding's text, binds nothing)."""
    match = _BINDING.match(value) if isinstance(value, str) else None
    return match.group(1) if match else None


def field_value(value: Any) -> Any:
    """What a data field holds: `fixed`, else `default`, else a plain scalar."""
    if isinstance(value, dict):
        return value.get("fixed", value.get("default"))
    return value


def _range(where: str, field: Any, required: bool) -> None:
    if field is None and not required:
        return
    if not isinstance(field, dict):
        raise invalid(f"{where}: expected {{default, min, max}}, got {field!r}")
    values: dict[str, Any] = {k: field[k] for k in ("min", "default", "fixed", "max") if k in field}
    if any(not isinstance(v, int) or isinstance(v, bool) for v in values.values()):
        raise invalid(f"{where}: min/default/max must be integers, got {values}")
    if required and not ({"min", "max"} <= set(values) or "fixed" in values):
        raise invalid(f"{where}: needs min and max (or fixed)")
    ordered: list[int] = [values[k] for k in ("min", "default", "max") if k in values]
    if ordered != sorted(ordered):
        raise invalid(f"{where}: needs min <= default <= max, got {values}")


def _check_machine(store: Store, where: str, data: dict[str, Any], networks: set[str]) -> None:
    action = field_value(data.get("action"))
    if action is not None and action not in CLONE_ACTIONS | {"Create"}:
        raise invalid(f"{where}: unknown action {action!r}")
    for key in _SIZES:
        _range(f"{where} field {key}", data.get(key), required=key != "_cluster")
    if action in CLONE_ACTIONS:
        source = field_value(data.get("source_machine")) or {}
        source_id = source.get("id") if isinstance(source, dict) else None
        machines = store.objects.source_machines
        if source_id is not None and source_id not in machines:
            raise invalid(f"{where}: source machine {source_id!r} does not exist")
        name = field_value(data.get("source_machine_name"))
        if source_id is None and not any(m["name"] == name for m in machines.values()):
            raise invalid(f"{where}: {action} needs an existing source_machine, got {name!r}")
    disks = data.get("disks") or []
    if not isinstance(disks, list) or any(
        not isinstance(d, dict) or not isinstance(d.get("capacity"), int) or d["capacity"] < 1
        for d in disks
    ):
        raise invalid(f"{where}: disks must be a list of {{capacity: GB, ...}}")
    total = sum(d["capacity"] for d in disks)
    storage = data.get("storage") or {}
    if total and isinstance(storage, dict) and storage.get("max", storage.get("fixed", 0)) < total:
        raise invalid(f"{where}: storage is below its disks ({total} GB)")
    for nic in data.get("nics") or []:
        target = binding_target((nic or {}).get("network"))
        if target not in networks:
            raise invalid(
                f"{where}: NIC network must bind a network component of this blueprint as "
                f"'${{_resource~<id>}}', got {(nic or {}).get('network')!r}"
            )


def _check_software(store: Store, where: str, comp: Component) -> None:
    software = store.objects.software_components.get(comp.type)
    if software is None:
        raise invalid(f"{where}: software component type {comp.type!r} does not exist")
    container = software["containerFieldId"]
    fields = {f["id"] for f in software["schema"]["fields"]}
    unknown = sorted(set(comp.data) - fields)
    if unknown:
        raise invalid(f"{where}: {comp.type} has no properties {unknown}")
    if binding_target(comp.data.get(container)) is None:
        raise invalid(
            f"{where}: mandatory {container!r} is not bound; bind it to a machine as "
            f"'${{_resource~<machine>}}', got {comp.data.get(container)!r}"
        )


def host_machine(components: dict[str, Component], comp_id: str) -> str | None:
    """The machine a software component runs on, following `host` bindings through other
    software components (as exports chain them); None if the chain ends anywhere else."""
    seen: set[str] = set()
    current = comp_id
    while current not in seen:
        seen.add(current)
        comp = components.get(current)
        if comp is None:
            return None
        if comp.type == VSPHERE_MACHINE:
            return current
        current = binding_target(comp.data.get("host")) or ""
    return None


def check_document(store: Store, body: Any) -> BlueprintDocument:
    bp = parse_body(BlueprintDocument, body, "blueprint document")
    if bp.status is not None and bp.status not in PUBLISH_STATUSES:
        raise invalid(f"Blueprint {bp.id}: status must be one of {list(PUBLISH_STATUSES)}")
    networks = {cid for cid, c in bp.components.items() if c.type.startswith(NETWORK_PREFIX)}
    for comp_id, comp in bp.components.items():
        where = f"Blueprint {bp.id}: component {comp_id}"
        for needed in comp.dependsOn:
            if needed not in bp.components or needed == comp_id:
                raise invalid(f"{where} depends on unknown {needed!r}")
        if comp.type == VSPHERE_MACHINE:
            _check_machine(store, where, comp.data, networks)
        elif not comp.type.startswith("Infrastructure."):
            _check_software(store, where, comp)
            if host_machine(bp.components, comp_id) is None:
                raise invalid(f"{where}: 'host' does not lead to a machine of this blueprint")
    return bp


def view(doc: dict[str, Any]) -> dict[str, Any]:
    """`CompositeBlueprintInfo`: the list entry and the answer of a status change."""
    keys = ("id", "name", "description", "tenantId", "version", "createdDate", "lastUpdated")
    info = {key: doc.get(key) for key in keys}
    info.update(publishStatus=doc["status"], publishStatusName=status_name(doc["status"]))
    return info


def _sync_catalog(store: Store, doc: dict[str, Any]) -> None:
    """Keep a saved blueprint's catalog item in step with its publish state; a save while
    published takes a new snapshot of what a request gets."""
    if doc["status"] == "PUBLISHED":
        catalog.publish_blueprint(store, doc, request_snapshot(store, doc))
    else:
        catalog.withdraw_blueprint(store, doc["id"])


def request_snapshot(store: Store, doc: dict[str, Any]) -> dict[str, Any]:
    """What a request of the blueprint's item is given, fixed at publish (vRA 7 copies software
    properties into the published blueprint; docs/vra7-api.md, Publishing): per component its
    values; software properties from the component type's defaults, overridden by the
    blueprint's own values, and `host` resolved to the machine it runs on."""
    components = {cid: Component.model_validate(c) for cid, c in doc["components"].items()}
    snapshot: dict[str, Any] = {}
    for comp_id, comp in components.items():
        values = {k: field_value(v) for k, v in comp.data.items() if k not in ("disks", "nics")}
        software = store.objects.software_components.get(comp.type)
        if software is not None:
            defaults = {
                f["id"]: ((facet.get("value") or {}).get("value") or {}).get("value")
                for f in software["schema"]["fields"]
                for facet in (f.get("state") or {}).get("facets") or []
                if facet.get("type") == "defaultValue"
            }
            values = {**defaults, **values, "host": host_machine(components, comp_id)}
        snapshot[comp_id] = {"componentTypeId": comp.type, "data": values}
    return snapshot


def _save(store: Store, bp_id: str, body: dict[str, Any], checked: BlueprintDocument) -> bool:
    """Store a checked document (create or update); True when it was created."""
    previous = BLUEPRINTS.docs(store).get(bp_id)
    if previous is None:
        BLUEPRINTS.check_new(store, bp_id, checked.name)
    else:
        BLUEPRINTS.previous(store, bp_id, checked.name)
    now = now_iso()
    doc = dict(body)
    doc.update(
        id=bp_id,
        status=checked.status or (previous["status"] if previous else "DRAFT"),
        tenantId=store.seed.tenant,
        externalId=f"{store.seed.tenant}!::!{bp_id}",
        version=previous["version"] + 1 if previous else 1,
        createdDate=previous["createdDate"] if previous else now,
        lastUpdated=now,
    )
    # Designer positions: kept as the client sends them, one per component otherwise.
    layout = dict(body.get("layout") or {})
    for index, comp_id in enumerate(checked.components):
        layout.setdefault(comp_id, f"{index},0")
    doc["layout"] = layout
    BLUEPRINTS.save(store, doc)
    return previous is None


BLUEPRINTS = Kind("composite blueprint", lambda objects: objects.blueprints, _sync_catalog)


router = APIRouter(dependencies=[Depends(require_token)])
BLUEPRINTS.add_read_routes(router, BASE, view)
BLUEPRINTS.add_read_routes(router, DOCUMENTS, view)


@router.put(DOCUMENTS + "/{bp_id}")
def put_document(bp_id: str, body: JsonBody, request: Request, store: StoreDep) -> JSONResponse:
    """"Create or Update Blueprint Document" (vRA 7.0-7.2 references)."""
    with store.lock:
        checked = check_document(store, body)
        check_path_id("Blueprint", checked.id, bp_id)
        was_new = _save(store, bp_id, body, checked)
        doc = BLUEPRINTS.get(store, bp_id)
    if was_new:
        return created(request, f"{DOCUMENTS}/{bp_id}", doc)
    return JSONResponse(doc)


@router.put(BASE + "/{bp_id}/status")
def set_status(bp_id: str, body: JsonBody, store: StoreDep) -> dict[str, Any]:
    status = parse_status(body)
    with store.lock:
        doc = BLUEPRINTS.get(store, bp_id)
        doc.update(status=status, lastUpdated=now_iso())
        BLUEPRINTS.save(store, doc)
        return view(doc)


def _not_in_lab(request: Request) -> None:
    """Real vRA 7 routes the lab does not implement: an honest 501, never a fake 404/405."""
    raise VraError(
        501,
        NOT_IMPLEMENTED,
        f"The lab does not implement {request.method} {request.url.path}; write blueprints "
        f"with PUT {DOCUMENTS}/{{id}}",
    )


router.add_api_route(BASE, _not_in_lab, methods=["POST"])
router.add_api_route(BASE + "/{bp_id}", _not_in_lab, methods=["PUT"])


def _delete(bp_id: str, store: Store) -> Response:
    with store.lock:
        BLUEPRINTS.get(store, bp_id)
        del store.objects.blueprints[bp_id]
        catalog.withdraw_blueprint(store, bp_id)
    return Response(status_code=204)


@router.delete(BASE + "/{bp_id}", status_code=204)
def delete_blueprint(bp_id: str, store: StoreDep) -> Response:
    return _delete(bp_id, store)


@router.delete(DOCUMENTS + "/{bp_id}", status_code=204)
def delete_document(bp_id: str, store: StoreDep) -> Response:
    return _delete(bp_id, store)
