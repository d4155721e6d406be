"""vRA entitlement (catalog-service): who in a business group may request the ML items."""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, Resource, UpdateResult

from providers.vra.base import EndpointArgs, VraProvider, domain_props
from providers.vra.client import VraClient, VraError, path_segment
from providers.vra.documents import entitlement_document
from providers.vra.models import EntitlementInputs

COLLECTION = "/catalog-service/api/entitlements"


def find_business_group(client: VraClient, tenant: str, name: str) -> str:
    """The subtenant id of business group `name`; clear error naming it if unknown."""
    path = f"/identity/api/tenants/{path_segment(tenant)}/subtenants"
    found = client.find_one(path, "name", name)
    if found is None:
        raise VraError(
            "GET",
            path,
            None,
            f"business group {name!r} (input 'businessGroup') does not exist in tenant {tenant!r}",
        )
    return str(found["id"])


def resolve_principal(client: VraClient, tenant: str, ref: str) -> dict[str, str]:
    """`{ref, type, value}` for a user or group `ref`; clear error naming it if neither."""
    base = f"/identity/api/tenants/{path_segment(tenant)}"
    for kind, collection in (("USER", "principals"), ("GROUP", "groups")):
        found = client.get(f"{base}/{collection}/{path_segment(ref)}")
        if found is not None:
            return {"ref": ref, "type": kind, "value": str(found.get("name") or ref)}
    raise VraError(
        "GET",
        f"{base}/principals/{ref}",
        404,
        f"principal {ref!r} (input 'principals') is neither a user nor a group "
        f"in tenant {tenant!r}",
    )


def _summary(doc: dict[str, Any]) -> dict[str, Any]:
    """What this resource manages in an entitlement, in a comparable form."""
    organization = doc.get("organization") or {}
    return {
        "name": doc.get("name"),
        "description": doc.get("description") or "",
        "businessGroupId": organization.get("subtenantRef"),
        "principals": sorted(str(p.get("ref")) for p in doc.get("principals") or []),
        "catalogItemIds": sorted(
            str((e.get("catalogItemRef") or {}).get("id"))
            for e in doc.get("entitledCatalogItems") or []
        ),
    }


class EntitlementProvider(VraProvider):
    inputs_model = EntitlementInputs
    kind = "Entitlement"

    def _converge(self, props: dict[str, Any], entitlement_id: str | None) -> dict[str, Any]:
        spec: EntitlementInputs = self.parse(props)
        client = self.client(props)
        tenant = self.endpoint_of(props).tenant
        # All look-ups first: an unknown group or principal stops before any change.
        group_id = find_business_group(client, tenant, spec.businessGroup)
        principals = [resolve_principal(client, tenant, ref) for ref in spec.principals]
        desired = entitlement_document(
            name=spec.name,
            description=spec.description,
            tenant=tenant,
            business_group_id=group_id,
            business_group_name=spec.businessGroup,
            principals=principals,
            catalog_item_ids=spec.catalogItemIds,
        )
        if entitlement_id:
            current = client.get(f"{COLLECTION}/{path_segment(entitlement_id)}")
            if current is None:
                raise self.gone(entitlement_id)
        else:
            current = client.find_one(COLLECTION, "name", spec.name)
        if current is None:
            current = client.create(
                COLLECTION, desired, lambda: client.find_one(COLLECTION, "name", spec.name)
            )
        if _summary(current) != _summary(desired):
            # PUT the full object: keep what vRA holds that this resource does not manage.
            current = {**current, **desired, "id": current["id"]}
            client.put(f"{COLLECTION}/{path_segment(str(current['id']))}", current)
        return {
            **spec.model_dump(exclude_none=True),
            "entitlementId": str(current["id"]),
            "businessGroupId": group_id,
        }

    def create(self, props: dict[str, Any]) -> CreateResult:
        outs = self._converge(props, None)
        return CreateResult(outs["entitlementId"], outs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(self._converge(news, id_))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        doc = self.client(props).get(f"{COLLECTION}/{path_segment(id_)}")
        if doc is None:
            return ReadResult("", {})
        summary = _summary(doc)
        organization = doc.get("organization") or {}
        group_name = organization.get("subtenantLabel")
        if not group_name:
            # Same group as stored: keep its name; another one: show its id so diff sees it.
            same = summary["businessGroupId"] == props.get("businessGroupId")
            group_name = props.get("businessGroup") if same else summary["businessGroupId"]
        outs = {
            **domain_props(props),
            **summary,
            "businessGroup": group_name,
            "entitlementId": id_,
        }
        return ReadResult(id_, outs, self.inputs_of(outs))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        self.client(props).delete(f"{COLLECTION}/{path_segment(id_)}")


class Entitlement(Resource, module="vra", name="Entitlement"):
    """An active vRA entitlement of a business group's users/groups to catalog items."""

    endpoint: pulumi.Output[dict]
    name: pulumi.Output[str]
    entitlementId: pulumi.Output[str]
    businessGroupId: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        endpoint: pulumi.Input[EndpointArgs],
        name: pulumi.Input[str],
        business_group: pulumi.Input[str],
        principals: pulumi.Input[list[pulumi.Input[str]]],
        catalog_item_ids: pulumi.Input[list[pulumi.Input[str]]],
        description: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props: dict[str, Any] = {
            "endpoint": endpoint,
            "name": name,
            "description": description,
            "businessGroup": business_group,
            "principals": principals,
            "catalogItemIds": catalog_item_ids,
            "entitlementId": None,
            "businessGroupId": None,
        }
        super().__init__(EntitlementProvider(), resource_name, props, opts)
