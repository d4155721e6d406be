"""composition-service: composite blueprints (facts §4; binding form and checks per contract)."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from pydantic import Field

from lab.vra import catalog
from lab.vra.documents import Document, JsonBody, PublishStatus, created, info, stamp
from lab.vra.errors import invalid, parse_body
from lab.vra.iaas import CLONE_ACTIONS
from lab.vra.identity import require_token
from lab.vra.kinds import Kind, check_path_id
from lab.vra.store import VSPHERE_MACHINE, Store, StoreDep

BASE = "/composition-service/api/blueprints"
# The YAML binding `${_resource~<component>}` carried as a fixed string (facts §14.5, contract).
_BINDING = re.compile(r"^\$\{_resource~([\w.\-]+)\}$")


class Component(Document):
    type: str = Field(min_length=1)
    dependson: list[str] = []
    data: dict[str, Any] = {}


class BlueprintBody(Document):
    id: str = Field(min_length=1, pattern=r"^[A-Za-z][\w.\-]*$")
    name: str = Field(min_length=1)
    publishStatus: PublishStatus
    components: dict[str, Component] = {}


def _constant(field: Any, facet: str) -> Any:
    """The value inside `{"facets": {facet: {"type": "constant", "value": {...}}}}`, or None."""
    try:
        return field["facets"][facet]["value"]
    except (KeyError, TypeError):
        return None


def _int_facet(field: Any, facet: str) -> int | None:
    """An integer constant facet (`minValue`, `maxValue`), or None."""
    constant = _constant(field, facet)
    value = constant.get("value") if isinstance(constant, dict) else None
    return value if isinstance(value, int) else None


def _check_ranges(bp_id: str, comp_id: str, data: dict[str, Any]) -> None:
    for key, field in data.items():
        low, high = _int_facet(field, "minValue"), _int_facet(field, "maxValue")
        if low is not None and high is not None and low > high:
            raise invalid(
                f"Blueprint {bp_id}: component {comp_id} field {key}: "
                f"minValue {low} > maxValue {high}"
            )


def _check_machine(store: Store, bp_id: str, comp_id: str, data: dict[str, Any]) -> None:
    action = (_constant(data.get("action"), "fixedValue") or {}).get("value")
    if action is not None and action not in CLONE_ACTIONS | {"Create"}:
        raise invalid(f"Blueprint {bp_id}: component {comp_id}: unknown action {action!r}")
    if action in CLONE_ACTIONS:
        source = _constant(data.get("source_machine"), "fixedValue") or {}
        source_id = source.get("id")
        if not source_id:
            raise invalid(f"Blueprint {bp_id}: component {comp_id}: {action} needs source_machine")
        if source_id not in store.objects.source_machines:
            raise invalid(
                f"Blueprint {bp_id}: component {comp_id}: source machine {source_id!r} "
                f"({source.get('label')}) does not exist"
            )


def _check_software(
    store: Store, bp_id: str, comp_id: str, comp: Component, machines: set[str]
) -> None:
    software = store.objects.software_components.get(comp.type)
    if software is None:
        raise invalid(
            f"Blueprint {bp_id}: component {comp_id}: software component type {comp.type!r} "
            "does not exist"
        )
    container = software["containerFieldId"]
    binding = (_constant(comp.data.get(container), "fixedValue") or {}).get("value")
    match = _BINDING.match(binding) if isinstance(binding, str) else None
    if match is None or match.group(1) not in machines:
        raise invalid(
            f"Blueprint {bp_id}: component {comp_id}: {container!r} must bind to a machine "
            f"component of this blueprint as '${{_resource~<id>}}', got {binding!r}"
        )


def _check(store: Store, body: Any) -> BlueprintBody:
    bp = parse_body(BlueprintBody, body, "blueprint")
    tenant = body.get("tenantId")
    if tenant not in (None, store.seed.tenant):
        raise invalid(f"Blueprint {bp.id}: tenantId {tenant!r} is not {store.seed.tenant!r}")
    machines = {cid for cid, c in bp.components.items() if c.type == VSPHERE_MACHINE}
    for comp_id, comp in bp.components.items():
        for needed in comp.dependson:
            if needed not in bp.components or needed == comp_id:
                raise invalid(
                    f"Blueprint {bp.id}: component {comp_id} depends on unknown {needed!r}"
                )
        _check_ranges(bp.id, comp_id, comp.data)
        if comp.type == VSPHERE_MACHINE:
            _check_machine(store, bp.id, comp_id, comp.data)
        elif not comp.type.startswith("Infrastructure."):
            _check_software(store, bp.id, comp_id, comp, machines)
    return bp


def _sync_catalog(store: Store, doc: dict[str, Any]) -> None:
    """Keep a saved blueprint's catalog item in step with its publish state."""
    if doc["publishStatus"] == "PUBLISHED":
        catalog.publish_blueprint(store, doc)
    else:
        catalog.withdraw_blueprint(store, doc["id"])


BLUEPRINTS = Kind("composite blueprint", lambda objects: objects.blueprints, _sync_catalog)


router = APIRouter(dependencies=[Depends(require_token)])


BLUEPRINTS.add_read_routes(router, BASE, info)
BLUEPRINTS.add_status_route(router, BASE)


@router.post(BASE, status_code=201)
def create_blueprint(request: Request, body: JsonBody, store: StoreDep) -> JSONResponse:
    with store.lock:
        checked = _check(store, body)
        BLUEPRINTS.check_new(store, checked.id, checked.name)
        doc = stamp(body, store.seed.tenant, checked.publishStatus, None)
        BLUEPRINTS.save(store, doc)
    return created(request, f"{BASE}/{checked.id}", doc)


@router.put(BASE + "/{bp_id}")
def update_blueprint(bp_id: str, body: JsonBody, store: StoreDep) -> dict[str, Any]:
    with store.lock:
        checked = _check(store, body)
        check_path_id("Blueprint", checked.id, bp_id)
        previous = BLUEPRINTS.previous(store, bp_id, checked.name)
        doc = stamp(body, store.seed.tenant, checked.publishStatus, previous)
        BLUEPRINTS.save(store, doc)
        return doc


@router.delete(BASE + "/{bp_id}", status_code=204)
def delete_blueprint(bp_id: str, store: StoreDep) -> Response:
    with store.lock:
        BLUEPRINTS.get(store, bp_id)
        del store.objects.blueprints[bp_id]
        catalog.withdraw_blueprint(store, bp_id)
    return Response(status_code=204)
