"""catalog-service: services and the catalog items that published blueprints yield.

A blueprint's catalog item appears `catalogItemDelaySeconds` after it is published (vRA's delay is
not documented; docs/vra7-api.md) and goes away when the blueprint is unpublished or deleted,
taking its entitlement entries with it. vRA 7 has no DELETE on services: a service is removed by
PUTting it back with status DELETED (docs/vra7-routes.md).
"""

from __future__ import annotations

import time
import uuid
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import Field

from lab.vra.documents import Document, JsonBody, now_iso, status_name
from lab.vra.errors import invalid, not_found, parse_body
from lab.vra.identity import TokenDep, require_token
from lab.vra.kinds import Kind, check_path_id
from lab.vra.query import ListQuery
from lab.vra.store import Store, StoreDep

SERVICES = "/catalog-service/api/services"
ITEMS = "/catalog-service/api/catalogItems"
BLUEPRINT_ITEM_TYPE = "com.vmware.csp.component.cafe.composition.blueprint"
BLUEPRINT_PROVIDER_ID = "2a3b2d5c-0d0b-4d4b-9b5f-6f0a6c1e9c10"
# Keys of a catalog item that a PUT may change; the rest come from the blueprint.
_ITEM_MUTABLE = {"description", "status", "serviceRef", "iconId", "isNoteworthy", "quota"}
_ITEM_FIXED = ("name", "providerBinding", "catalogItemTypeRef", "outputResourceTypeRef")


def binding_id(store: Store, bp_id: str) -> str:
    return f"{store.seed.tenant}!::!{bp_id}"


def organization(
    store: Store, tenant_ref: str | None, subtenant: str | None, owner: str
) -> dict[str, Any]:
    """vRA's `organization` block for a document of the tenant (business group optional);
    400 naming `owner` when the tenant or the business group is unknown."""
    tenant = store.seed.tenant
    if tenant_ref not in (None, tenant):
        raise invalid(f"{owner}: organization.tenantRef {tenant_ref!r} is unknown")
    groups = {group.id: group.name for group in store.seed.businessGroups}
    if subtenant is not None and subtenant not in groups:
        raise invalid(f"{owner}: business group {subtenant!r} does not exist")
    return {
        "tenantRef": tenant,
        "tenantLabel": tenant,
        "subtenantRef": subtenant,
        "subtenantLabel": groups[subtenant] if subtenant is not None else None,
    }


def ref_id(doc: dict[str, Any], key: str) -> Any:
    """The id a reference field (`serviceRef`, `catalogItemRef`, ...) points to, or None."""
    return (doc.get(key) or {}).get("id")


def _drop_entitlement_entries(store: Store, entries: str, ref: str, target_id: str) -> None:
    """Remove the entries of every entitlement's `entries` list whose `ref` is target_id."""
    for entitlement in store.objects.entitlements.values():
        current = entitlement.get(entries) or []
        kept = [entry for entry in current if ref_id(entry, ref) != target_id]
        if len(kept) != len(current):
            entitlement[entries] = kept
            entitlement["version"] += 1


# -- catalog items driven by blueprints ------------------------------------------------------------


def _item_of(store: Store, bp_id: str) -> dict[str, Any] | None:
    wanted = binding_id(store, bp_id)
    for item in store.objects.catalog_items.values():
        if item["providerBinding"]["bindingId"] == wanted:
            return item
    return None


def publish_blueprint(store: Store, bp: dict[str, Any], snapshot: dict[str, Any]) -> None:
    """Create the blueprint's catalog item (visible after the delay) or refresh its name; either
    way `snapshot` becomes what a request of the item gets."""
    item = _item_of(store, bp["id"])
    if item is not None:
        store.objects.request_snapshots[item["id"]] = snapshot
        item.update(name=bp["name"], description=bp.get("description"), lastUpdatedDate=now_iso())
        return
    now = now_iso()
    item = {
        "@type": "CatalogItem",
        "id": str(uuid.uuid4()),
        "version": 1,
        "name": bp["name"],
        "description": bp.get("description"),
        "status": "PUBLISHED",
        "statusName": "Published",
        "organization": organization(store, None, None, "Catalog item"),
        "providerBinding": {
            "bindingId": binding_id(store, bp["id"]),
            "providerRef": {"id": BLUEPRINT_PROVIDER_ID, "label": "Blueprint Service"},
        },
        "catalogItemTypeRef": {"id": BLUEPRINT_ITEM_TYPE, "label": "Composite Blueprint"},
        "outputResourceTypeRef": {
            "id": "composition.resource.type.deployment",
            "label": "Deployment",
        },
        "serviceRef": None,
        "iconId": "composition.blueprint.png",
        "isNoteworthy": False,
        "quota": 0,
        "requestable": True,
        "dateCreated": now,
        "lastUpdatedDate": now,
        "forms": None,
        "callbacks": None,
    }
    store.objects.catalog_items[item["id"]] = item
    store.objects.request_snapshots[item["id"]] = snapshot
    delay = store.seed.catalogItemDelaySeconds
    store.objects.catalog_visible_at[item["id"]] = time.monotonic() + delay


def withdraw_blueprint(store: Store, bp_id: str) -> None:
    """Remove the blueprint's catalog item and every entitlement entry for it."""
    item = _item_of(store, bp_id)
    if item is None:
        return
    del store.objects.catalog_items[item["id"]]
    del store.objects.catalog_visible_at[item["id"]]
    del store.objects.request_snapshots[item["id"]]
    _drop_entitlement_entries(store, "entitledCatalogItems", "catalogItemRef", item["id"])


def visible_items(store: Store) -> list[dict[str, Any]]:
    now = time.monotonic()
    return [
        item
        for item_id, item in store.objects.catalog_items.items()
        if store.objects.catalog_visible_at[item_id] <= now
    ]


def visible_item(store: Store, item_id: str) -> dict[str, Any]:
    visible_at = store.objects.catalog_visible_at.get(item_id)
    if visible_at is None or visible_at > time.monotonic():
        raise not_found("catalog item", item_id)
    return store.objects.catalog_items[item_id]


def service_ref(store: Store, ref: Any, owner: str) -> dict[str, Any] | None:
    """A client's serviceRef as vRA stores it (id and label); 400 naming owner if it is bad."""
    if ref is None:
        return None
    if not isinstance(ref, dict) or not ref.get("id"):
        raise invalid(f"{owner}: serviceRef must be null or an object with an id")
    service = store.objects.services.get(ref["id"])
    if service is None:
        raise invalid(f"{owner}: service {ref['id']!r} does not exist")
    return {"id": service["id"], "label": service["name"]}


# -- services -------------------------------------------------------------------------------


class ServiceBody(Document):
    id: str | None = None
    name: str = Field(min_length=1)
    status: Literal["ACTIVE", "INACTIVE", "DELETED"] = "ACTIVE"
    organization: dict[str, Any] | None = None


def _service_doc(store: Store, body: dict[str, Any], checked: ServiceBody) -> dict[str, Any]:
    org = checked.organization or {}
    doc = dict(body)
    doc.update(
        status=checked.status,
        statusName=status_name(checked.status),
        organization=organization(
            store, org.get("tenantRef"), org.get("subtenantRef"), f"Service {checked.name}"
        ),
        lastUpdatedDate=now_iso(),
    )
    return doc


def _delete_service(store: Store, service_id: str) -> None:
    """Items of the service go back to "no service"; entitlements lose the service entry."""
    del store.objects.services[service_id]
    for item in store.objects.catalog_items.values():
        if ref_id(item, "serviceRef") == service_id:
            item["serviceRef"] = None
    _drop_entitlement_entries(store, "entitledServices", "serviceRef", service_id)


def _removed_when_deleted(store: Store, doc: dict[str, Any]) -> None:
    """A service saved with status DELETED is gone: how vRA 7 removes a service (PowervRA
    Remove-vRAService; docs/vra7-api.md)."""
    if doc["status"] == "DELETED":
        _delete_service(store, doc["id"])


SERVICES_KIND = Kind("service", lambda objects: objects.services, _removed_when_deleted)
router = APIRouter(dependencies=[Depends(require_token)])
SERVICES_KIND.add_read_routes(router, SERVICES)


def _parse_service(body: JsonBody, creating: bool) -> ServiceBody:
    checked = parse_body(ServiceBody, body, "service")
    if creating and checked.status == "DELETED":
        raise invalid(f"Service {checked.name}: cannot be created with status DELETED")
    return checked


SERVICES_KIND.add_versioned_write_routes(router, SERVICES, _parse_service, _service_doc)


@router.get(SERVICES + "/{service_id}/catalogItems")
def list_service_items(service_id: str, request: Request, store: StoreDep) -> dict[str, Any]:
    query = ListQuery.from_request(request)
    with store.lock:
        SERVICES_KIND.get(store, service_id)
        items = [i for i in visible_items(store) if ref_id(i, "serviceRef") == service_id]
        return query.apply(items)


# -- catalog items --------------------------------------------------------------------------


class ItemBody(Document):
    id: str | None = None
    status: Literal["PUBLISHED", "RETIRED", "STAGING"] = "PUBLISHED"


@router.get(ITEMS)
def list_items(request: Request, store: StoreDep) -> dict[str, Any]:
    query = ListQuery.from_request(request)
    with store.lock:
        return query.apply(visible_items(store))


@router.get(ITEMS + "/available")
def list_items_without_service(request: Request, store: StoreDep) -> dict[str, Any]:
    query = ListQuery.from_request(request)
    with store.lock:
        return query.apply([i for i in visible_items(store) if i.get("serviceRef") is None])


@router.get(ITEMS + "/{item_id}")
def get_item(item_id: str, store: StoreDep) -> dict[str, Any]:
    with store.lock:
        return visible_item(store, item_id)


@router.put(ITEMS + "/{item_id}")
def update_item(item_id: str, body: JsonBody, store: StoreDep) -> dict[str, Any]:
    checked = parse_body(ItemBody, body, "catalog item")
    check_path_id("Catalog item", checked.id, item_id)
    with store.lock:
        item = visible_item(store, item_id)
        for key in _ITEM_FIXED:
            if key in body and body[key] != item[key]:
                raise invalid(f"Catalog item {item_id}: {key} cannot be changed")
        changes = {key: body[key] for key in _ITEM_MUTABLE if key in body}
        changes["serviceRef"] = service_ref(
            store, body.get("serviceRef"), f"Catalog item {item_id}"
        )
        changes["statusName"] = status_name(checked.status)
        item.update(changes, version=item["version"] + 1, lastUpdatedDate=now_iso())
        return item


@router.get(ITEMS + "/{item_id}/entitlements")
def list_item_entitlements(item_id: str, request: Request, store: StoreDep) -> dict[str, Any]:
    query = ListQuery.from_request(request)
    with store.lock:
        visible_item(store, item_id)
        found = [
            e
            for e in store.objects.entitlements.values()
            if any(
                ref_id(entry, "catalogItemRef") == item_id
                for entry in e.get("entitledCatalogItems") or []
            )
        ]
        return query.apply(found)


# -- what a consumer's request gets ---------------------------------------------------------


@router.get("/catalog-service/api/consumer/entitledCatalogItems/{item_id}/requests/template")
def request_template(item_id: str, store: StoreDep, token: TokenDep) -> dict[str, Any]:
    """The provisioning request template of an item the caller may request: it must be in a
    service and in an ACTIVE entitlement (docs/vra7-api.md, Catalog). Its `data` is the snapshot
    taken when the blueprint was last saved published; software components name their `host`."""
    with store.lock:
        item = visible_item(store, item_id)
        entitlement = next(
            (
                e
                for e in store.objects.entitlements.values()
                if e.get("status") == "ACTIVE"
                and any(
                    ref_id(entry, "catalogItemRef") == item_id
                    for entry in e.get("entitledCatalogItems") or []
                )
            ),
            None,
        )
        if entitlement is None or item.get("serviceRef") is None:
            raise not_found("entitled catalog item", item_id)
        bp_id = item["providerBinding"]["bindingId"].split("!::!", 1)[1]
        return {
            "type": "com.vmware.vcac.catalog.domain.request.CatalogItemProvisioningRequest",
            "catalogItemId": item_id,
            "requestedFor": token.username,
            "businessGroupId": entitlement["organization"]["subtenantRef"],
            "description": None,
            "reasons": None,
            "data": {
                comp_id: {"classId": "Blueprint.Component.Declaration",
                          "typeFilter": f"{bp_id}*{comp_id}", **values}
                for comp_id, values in store.objects.request_snapshots[item_id].items()
            },
        }
