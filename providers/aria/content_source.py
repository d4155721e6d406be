"""Aria content source of type `com.vmw.blueprint` (`/catalog/api/admin/sources`,
terraform-provider-vra `vra_catalog_source_blueprint`): imports the released cloud templates of
its project as catalog items, each time it is saved.

`versionIds` lists the released versions it must have imported: when it changes (a new version),
the update saves the source again (POST with its `id`), which re-imports (docs/aria8-api.md).
"""

from __future__ import annotations

from typing import Any

import pulumi

from providers.aria.base import AriaInputs, EndpointArgs, OwnedObjectProvider
from providers.base import NonEmpty, SchemaResource

COLLECTION = "/catalog/api/admin/sources"
BLUEPRINT_SOURCE = "com.vmw.blueprint"


class ContentSourceInputs(AriaInputs):
    name: NonEmpty
    description: str = ""
    projectId: NonEmpty
    versionIds: list[str] = []


class ContentSourceProvider(OwnedObjectProvider):
    inputs_model = ContentSourceInputs
    kind = "aria:ContentSource"
    label = "Aria content source"
    collection, save_method = COLLECTION, "POST"
    replace_keys = ("projectId",)
    output_keys = ("sourceId", "itemsImported")

    def search(self, spec: ContentSourceInputs) -> dict[str, Any]:
        return {"search": spec.name}

    def body(self, spec: ContentSourceInputs) -> dict[str, Any]:
        return {**super().body(spec), "typeId": BLUEPRINT_SOURCE,
                "config": {"sourceProjectId": spec.projectId}}

    def same(self, spec: ContentSourceInputs, doc: dict[str, Any]) -> bool:
        return False  # saving is what imports: a create that adopts, or an update, saves

    def observed(self, doc: dict[str, Any]) -> dict[str, Any]:
        return {**super().observed(doc),
                "projectId": (doc.get("config") or {}).get("sourceProjectId")}

    def extra_outputs(self, doc: dict[str, Any]) -> dict[str, Any]:
        return {"itemsImported": doc.get("itemsImported")}


class ContentSource(SchemaResource, module="aria", name="ContentSource"):
    provider_class = ContentSourceProvider

    sourceId: pulumi.Output[str]

    def __init__(self, resource_name: str, *, endpoint: pulumi.Input[EndpointArgs],
                 name: pulumi.Input[str], project_id: pulumi.Input[str],
                 version_ids: pulumi.Input[list[pulumi.Input[str]]],
                 description: pulumi.Input[str] = "", owner: pulumi.Input[str] | None = None,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(resource_name, locals(), opts)
