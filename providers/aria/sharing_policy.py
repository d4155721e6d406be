"""Aria content sharing policy (`/policy/api/policies`, type
`com.vmware.policy.catalog.entitlement`; terraform-provider-vra `vra_content_sharing_policy`):
shares catalog items with users and groups of the project.

Principals are written `group:<name>` for a group and `<name>` or `user:<name>` for a user
(Aria's principal types GROUP and USER). POST creates, or updates when the body has the `id`;
`dryRun` is a required query parameter in the published description.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pydantic import Field

from providers.aria.base import AriaInputs, EndpointArgs, OwnedObjectProvider
from providers.aria.client import AriaClient
from providers.base import NonEmpty, SchemaResource

COLLECTION = "/policy/api/policies"
ENTITLEMENT = "com.vmware.policy.catalog.entitlement"
ITEM = "CATALOG_ITEM_IDENTIFIER"


class SharingPolicyInputs(AriaInputs):
    name: NonEmpty
    description: str = ""
    projectId: NonEmpty
    catalogItemIds: list[NonEmpty] = Field(min_length=1)
    principals: list[NonEmpty] = Field(min_length=1)


def principal(text: str) -> dict[str, str]:
    kind, sep, ref = text.partition(":")
    if sep and kind.lower() in ("user", "group"):
        return {"type": kind.upper(), "referenceId": ref}
    return {"type": "USER", "referenceId": text}


def principal_text(entry: dict[str, Any]) -> str:
    ref = str(entry.get("referenceId", ""))
    return f"group:{ref}" if entry.get("type") == "GROUP" else ref


def definition(spec: SharingPolicyInputs) -> dict[str, Any]:
    return {
        "entitledUsers": [
            {
                "userType": "USER",
                "principals": [principal(p) for p in spec.principals],
                "items": [{"id": item, "type": ITEM} for item in spec.catalogItemIds],
            }
        ]
    }


class SharingPolicyProvider(OwnedObjectProvider):
    inputs_model = SharingPolicyInputs
    kind = "aria:SharingPolicy"
    label = "Aria content sharing policy"
    collection, save_method = COLLECTION, "POST"
    post_params = {"dryRun": "false"}
    replace_keys = ("projectId",)
    output_keys = ("policyId",)

    def find(self, client: AriaClient, spec: SharingPolicyInputs) -> dict[str, Any] | None:
        for policy in client.iter_list(COLLECTION, {"search": spec.name}):
            if policy.get("name") == spec.name and policy.get("typeId") == ENTITLEMENT:
                return policy
        return None

    def body(self, spec: SharingPolicyInputs) -> dict[str, Any]:
        return {**super().body(spec), "typeId": ENTITLEMENT, "projectId": spec.projectId,
                "enforcementType": "HARD", "definition": definition(spec)}

    def same(self, spec: SharingPolicyInputs, doc: dict[str, Any]) -> bool:
        return (super().same(spec, doc) and doc.get("projectId") == spec.projectId
                and doc.get("definition") == definition(spec))

    def observed(self, doc: dict[str, Any]) -> dict[str, Any]:
        entries = (doc.get("definition") or {}).get("entitledUsers") or [{}]
        return {
            **super().observed(doc),
            "projectId": doc.get("projectId"),
            "catalogItemIds": [i.get("id") for e in entries for i in e.get("items") or []],
            "principals": [principal_text(p) for e in entries for p in e.get("principals") or []],
        }


class SharingPolicy(SchemaResource, module="aria", name="SharingPolicy"):
    provider_class = SharingPolicyProvider

    def __init__(self, resource_name: str, *, endpoint: pulumi.Input[EndpointArgs],
                 name: pulumi.Input[str], project_id: pulumi.Input[str],
                 catalog_item_ids: pulumi.Input[list[pulumi.Input[str]]],
                 principals: list[str], description: pulumi.Input[str] = "",
                 owner: pulumi.Input[str] | None = None,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(resource_name, locals(), opts)
