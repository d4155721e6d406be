"""catalog-service entitlements (facts §6): who in which business group may request what."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from pydantic import Field

from lab.vra.catalog import visible_item
from lab.vra.documents import Document, JsonBody, location, now_iso
from lab.vra.errors import VraError, already_exists, invalid, not_found, parse_body
from lab.vra.identity import principal_known, require_token
from lab.vra.query import ListQuery
from lab.vra.store import Store, StoreDep

BASE = "/catalog-service/api/entitlements"


class Organization(Document):
    tenantRef: str | None = None
    subtenantRef: str = Field(min_length=1)


class PrincipalRef(Document):
    ref: str = Field(min_length=1)
    type: Literal["USER", "GROUP"]


class Ref(Document):
    id: str = Field(min_length=1)


class EntitledItem(Document):
    catalogItemRef: Ref


class EntitledService(Document):
    serviceRef: Ref


class EntitlementBody(Document):
    id: str | None = None
    name: str = Field(min_length=1)
    status: Literal["ACTIVE", "INACTIVE", "DRAFT"] = "DRAFT"
    organization: Organization
    principals: list[PrincipalRef] = []
    entitledCatalogItems: list[EntitledItem] = []
    entitledServices: list[EntitledService] = []
    entitledResourceOperations: list[dict[str, Any]] = []


def _resolve(store: Store, body: dict[str, Any], checked: EntitlementBody) -> dict[str, Any]:
    """Check every reference (400 naming the first bad one) and fill in the labels vRA fills."""
    name = checked.name
    tenant = store.seed.tenant
    if checked.organization.tenantRef not in (None, tenant):
        raise invalid(f"Entitlement {name}: tenant {checked.organization.tenantRef!r} is unknown")
    groups = {group.id: group.name for group in store.seed.businessGroups}
    subtenant = checked.organization.subtenantRef
    if subtenant not in groups:
        raise invalid(f"Entitlement {name}: business group {subtenant!r} does not exist")
    if checked.status == "ACTIVE" and not checked.principals:
        raise invalid(f"Entitlement {name}: an ACTIVE entitlement needs at least one principal")
    principals = []
    for principal, raw in zip(checked.principals, body.get("principals") or [], strict=True):
        if not principal_known(store, principal.ref, principal.type):
            raise invalid(f"Entitlement {name}: {principal.type} {principal.ref!r} does not exist")
        principals.append(
            {**raw, "tenantName": tenant, "value": raw.get("value") or principal.ref.split("@")[0]}
        )
    items = []
    for entry, raw in zip(
        checked.entitledCatalogItems, body.get("entitledCatalogItems") or [], strict=True
    ):
        try:
            item = visible_item(store, entry.catalogItemRef.id)
        except VraError:
            raise invalid(
                f"Entitlement {name}: catalog item {entry.catalogItemRef.id!r} does not exist"
            ) from None
        items.append(
            {
                "approvalPolicyId": None,
                "active": True,
                "hidden": False,
                "catalogItemRequestable": True,
                **raw,
                "catalogItemRef": {"id": item["id"], "label": item["name"]},
            }
        )
    services = []
    for granted, raw in zip(
        checked.entitledServices, body.get("entitledServices") or [], strict=True
    ):
        service = store.objects.services.get(granted.serviceRef.id)
        if service is None:
            raise invalid(f"Entitlement {name}: service {granted.serviceRef.id!r} does not exist")
        services.append(
            {
                "approvalPolicyId": None,
                "active": True,
                **raw,
                "serviceRef": {"id": service["id"], "label": service["name"]},
            }
        )
    doc = dict(body)
    doc.update(
        status=checked.status,
        statusName=checked.status.capitalize(),
        organization={
            "tenantRef": tenant,
            "tenantLabel": tenant,
            "subtenantRef": subtenant,
            "subtenantLabel": groups[subtenant],
        },
        principals=principals,
        entitledCatalogItems=items,
        entitledServices=services,
        entitledResourceOperations=body.get("entitledResourceOperations") or [],
        lastUpdatedDate=now_iso(),
    )
    return doc


def _get(store: Store, entitlement_id: str) -> dict[str, Any]:
    doc = store.objects.entitlements.get(entitlement_id)
    if doc is None:
        raise not_found("entitlement", entitlement_id)
    return doc


def _name_taken(store: Store, name: str, other_than: str | None) -> bool:
    return any(
        e["name"] == name and e["id"] != other_than for e in store.objects.entitlements.values()
    )


router = APIRouter(dependencies=[Depends(require_token)])


@router.get(BASE)
def list_entitlements(request: Request, store: StoreDep) -> dict[str, Any]:
    query = ListQuery.from_request(request)
    with store.lock:
        return query.apply(list(store.objects.entitlements.values()))


@router.get(BASE + "/{entitlement_id}")
def get_entitlement(entitlement_id: str, store: StoreDep) -> dict[str, Any]:
    with store.lock:
        return _get(store, entitlement_id)


@router.post(BASE, status_code=201)
def create_entitlement(request: Request, body: JsonBody, store: StoreDep) -> JSONResponse:
    checked = parse_body(EntitlementBody, body, "entitlement")
    with store.lock:
        entitlement_id = checked.id or str(uuid.uuid4())
        if entitlement_id in store.objects.entitlements:
            raise already_exists("Entitlement with id", entitlement_id)
        if _name_taken(store, checked.name, None):
            raise already_exists("Entitlement with name", checked.name)
        doc = _resolve(store, body, checked)
        doc.update(id=entitlement_id, version=1, createdDate=doc["lastUpdatedDate"])
        store.objects.entitlements[entitlement_id] = doc
    headers = location(request, f"{BASE}/{entitlement_id}")
    return JSONResponse(doc, status_code=201, headers=headers)


@router.put(BASE + "/{entitlement_id}")
def update_entitlement(entitlement_id: str, body: JsonBody, store: StoreDep) -> dict[str, Any]:
    checked = parse_body(EntitlementBody, body, "entitlement")
    if checked.id not in (None, entitlement_id):
        raise invalid(f"Entitlement id {checked.id!r} does not match the path {entitlement_id!r}")
    with store.lock:
        previous = _get(store, entitlement_id)
        if _name_taken(store, checked.name, entitlement_id):
            raise already_exists("Entitlement with name", checked.name)
        doc = _resolve(store, body, checked)
        doc.update(
            id=entitlement_id,
            version=previous["version"] + 1,
            createdDate=previous["createdDate"],
        )
        store.objects.entitlements[entitlement_id] = doc
        return doc


@router.delete(BASE + "/{entitlement_id}", status_code=204)
def delete_entitlement(entitlement_id: str, store: StoreDep) -> Response:
    with store.lock:
        _get(store, entitlement_id)
        del store.objects.entitlements[entitlement_id]
    return Response(status_code=204)
