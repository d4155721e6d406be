"""vRA entitlement (catalog-service): who in a business group may request the ML items."""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, UpdateResult

from providers import ownership
from providers.base import SchemaResource
from providers.vra.base import EndpointArgs, VraProvider, domain_props
from providers.vra.client import VraClient, VraError, path_segment
from providers.vra.documents import entitlement_document, split_owner
from providers.vra.models import EntitlementInputs

COLLECTION = "/catalog-service/api/entitlements"
INACTIVE = "INACTIVE"


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
    """`{ref, type, value}` for a user or group `ref`, through the documented searches of users
    and of groups (`criteria`, `domain`); both answer a list, so nothing hangs on how vRA
    answers a group's name on the user route (docs/vra7-api.md, Principals)."""
    base = f"/identity/api/tenants/{path_segment(tenant)}"
    name, _, domain = ref.partition("@")
    for kind, collection in (("USER", "principals"), ("GROUP", "groups")):
        params = {"criteria": name, "domain": domain}
        for found in client.iter_list(f"{base}/{collection}", params=params):
            principal = found.get("principalId") or {}
            if f"{principal.get('name')}@{principal.get('domain')}".lower() == ref.lower():
                return {"ref": ref, "type": kind, "value": str(found.get("name") or name)}
    raise VraError(
        "GET",
        f"{base}/groups",
        None,
        f"principal {ref!r} (input 'principals') is neither a user nor a group "
        f"in tenant {tenant!r}",
    )


def _summary(doc: dict[str, Any]) -> dict[str, Any]:
    """What this resource manages in an entitlement, in a comparable form."""
    organization = doc.get("organization") or {}
    description, owner = split_owner(doc.get("description"))
    return {
        "name": doc.get("name"),
        "description": description,
        "owner": owner,
        "status": doc.get("status"),
        "businessGroupId": organization.get("subtenantRef"),
        "principals": sorted(str(p.get("ref")) for p in doc.get("principals") or []),
        "catalogItemIds": sorted(
            str((e.get("catalogItemRef") or {}).get("id"))
            for e in doc.get("entitledCatalogItems") or []
        ),
    }


class EntitlementProvider(VraProvider):
    """The description carries the owner marker. vRA 7.0-7.2 have no DELETE on entitlements:
    a destroy ends this one INACTIVE with no items (PUT); a later create of the same resource
    finds it by name with its own marker and makes it ACTIVE again. One with another marker,
    or none, is never taken over."""

    inputs_model = EntitlementInputs
    kind = "Entitlement"
    output_keys = ("entitlementId", "businessGroupId")

    def _owned_by_name(self, client: VraClient, spec: EntitlementInputs) -> dict | None:
        found = client.find_one(COLLECTION, "name", spec.name)
        if found is not None:
            ownership.require(self.kind, spec.name, _summary(found)["owner"], spec.owner)
        return found

    def _converge(
        self, props: dict[str, Any], entitlement_id: str | None, state_marked: bool = True
    ) -> dict[str, Any]:
        spec: EntitlementInputs = self.parse(props)
        client = self.client(props)
        tenant = self.endpoint_of(props).tenant
        # All look-ups first: an unknown group or principal stops before any change.
        group_id = find_business_group(client, tenant, spec.businessGroup)
        principals = [resolve_principal(client, tenant, ref) for ref in spec.principals]
        desired = entitlement_document(
            name=spec.name,
            description=spec.description,
            owner=spec.owner,
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
            found = _summary(current)["owner"]
            ownership.require(self.kind, spec.name, found, spec.owner, state_marked=state_marked)
        else:
            current = self._owned_by_name(client, spec)
        if current is None:
            current = client.create(COLLECTION, desired, lambda: self._owned_by_name(client, spec))
        if _summary(current) != _summary(desired):
            # Read-modify-write: keep what vRA holds that this resource does not manage.
            current = {**current, **desired, "id": current["id"]}
            client.put(f"{COLLECTION}/{path_segment(str(current['id']))}", current)
        return {
            **spec.model_dump(exclude_none=True),
            "entitlementId": str(current["id"]),
            "businessGroupId": group_id,
        }

    def create(self, props: dict[str, Any]) -> CreateResult:
        with self.explained("create", str(props.get("name"))):
            outs = self._converge(props, None)
        return CreateResult(outs["entitlementId"], outs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        with self.explained("update", str(news.get("name"))):
            marked = ownership.state_marked(olds)
            return UpdateResult(self._converge(news, id_, state_marked=marked))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        with self.explained("read", str(props.get("name") or id_)):
            doc = self.client(props).get(f"{COLLECTION}/{path_segment(id_)}")
        if doc is None or doc.get("status") == INACTIVE:
            return ReadResult("", {})  # an ended entitlement is gone as far as Pulumi goes
        summary = _summary(doc)
        del summary["status"]
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
        client = self.client(props)
        path = f"{COLLECTION}/{path_segment(id_)}"
        with self.explained("end", str(props.get("name") or id_)):
            current = client.get(path)
            if current is None or current.get("status") == INACTIVE:
                return
            ownership.require(self.kind, str(current.get("name")), _summary(current)["owner"],
                              props.get("owner"), state_marked=ownership.state_marked(props))
            client.put(
                path,
                {**current, "status": INACTIVE, "statusName": "Inactive",
                 "entitledCatalogItems": []},
            )


class Entitlement(SchemaResource, module="vra", name="Entitlement"):
    """An active vRA entitlement of a business group's users/groups to catalog items."""

    provider_class = EntitlementProvider

    def __init__(self, resource_name: str, *, endpoint: pulumi.Input[EndpointArgs],
                 name: pulumi.Input[str], business_group: pulumi.Input[str],
                 principals: pulumi.Input[list[pulumi.Input[str]]],
                 catalog_item_ids: pulumi.Input[list[pulumi.Input[str]]],
                 description: pulumi.Input[str] | None = None,
                 owner: pulumi.Input[str] | None = None,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        """`owner`: ownership.owner_of(project, stack, resource_name)."""
        super().__init__(resource_name, locals(), opts)
