"""catalog-service entitlements: who in which business group may request what.

vRA 7.0-7.2 have no DELETE on entitlements (docs/vra7-routes.md): one ends INACTIVE with no
items, through PUT.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends
from pydantic import Field

from lab.vra.catalog import organization, service_ref, visible_item
from lab.vra.documents import Document, now_iso, status_name
from lab.vra.errors import VraError, invalid, parse_body
from lab.vra.identity import principal_known, require_token
from lab.vra.kinds import Kind
from lab.vra.store import Store

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
    org = organization(
        store,
        checked.organization.tenantRef,
        checked.organization.subtenantRef,
        f"Entitlement {name}",
    )
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
    # Entries are as checked.entitledServices validated them: each has a serviceRef with an id.
    services = [
        {
            "approvalPolicyId": None,
            "active": True,
            **raw,
            "serviceRef": service_ref(store, raw["serviceRef"], f"Entitlement {name}"),
        }
        for raw in body.get("entitledServices") or []
    ]
    doc = dict(body)
    doc.update(
        status=checked.status,
        statusName=status_name(checked.status),
        organization=org,
        principals=principals,
        entitledCatalogItems=items,
        entitledServices=services,
        entitledResourceOperations=body.get("entitledResourceOperations") or [],
        lastUpdatedDate=now_iso(),
    )
    return doc


ENTITLEMENTS = Kind("entitlement", lambda objects: objects.entitlements)
router = APIRouter(dependencies=[Depends(require_token)])
ENTITLEMENTS.add_read_routes(router, BASE)
ENTITLEMENTS.add_versioned_write_routes(
    router, BASE, lambda body, _: parse_body(EntitlementBody, body, "entitlement"), _resolve
)
