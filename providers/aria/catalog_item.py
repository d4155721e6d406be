"""The catalog item a content source imported for one cloud template: looked up, never written.

Items appear a moment after the source is saved (the import runs after the answer), so create
polls the admin item list (`/catalog/api/admin/items`, exact name within the source) until the
item is there or `timeoutSeconds` pass. Destroy makes no call: the item goes with its source.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, UpdateResult
from pydantic import Field

from providers.aria.base import AriaInputs, AriaProvider, EndpointArgs
from providers.aria.client import AriaClient
from providers.base import NonEmpty, SchemaResource, poll

ADMIN_ITEMS = "/catalog/api/admin/items"
FIRST_WAIT_SECONDS = 0.2
MAX_WAIT_SECONDS = 2.0


class CatalogItemInputs(AriaInputs):
    sourceId: NonEmpty
    projectId: NonEmpty
    name: NonEmpty
    timeoutSeconds: float = Field(default=300.0, gt=0)


def find_item(client: AriaClient, spec: CatalogItemInputs) -> dict[str, Any] | None:
    params = {"sourceIds": spec.sourceId, "projectId": spec.projectId, "search": spec.name}
    return client.find_named(ADMIN_ITEMS, spec.name, params)


class CatalogItemProvider(AriaProvider):
    inputs_model = CatalogItemInputs
    kind = "aria:CatalogItem"
    replace_keys = ("sourceId", "projectId", "name")
    output_keys = ("catalogItemId",)

    def _wait(self, spec: CatalogItemInputs, props: dict[str, Any]) -> dict[str, Any]:
        client = self.client(props)
        item = poll(lambda: find_item(client, spec), spec.timeoutSeconds,
                    first_wait=FIRST_WAIT_SECONDS, max_wait=MAX_WAIT_SECONDS)
        if item is None:
            raise TimeoutError(
                f"{self.kind}: no catalog item {spec.name!r} from content source "
                f"{spec.sourceId} after {spec.timeoutSeconds:g} s (is a version released?)"
            )
        return item

    def create(self, props: dict[str, Any]) -> CreateResult:
        spec: CatalogItemInputs = self.parse(props)
        item = self._wait(spec, props)
        return CreateResult(str(item["id"]), {**spec.model_dump(), "catalogItemId": item["id"]})

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        spec: CatalogItemInputs = self.parse(news)
        item = self._wait(spec, news)
        return UpdateResult({**spec.model_dump(), "catalogItemId": item["id"]})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        item = find_item(self.client(props), self.parse(props))
        if item is None or item["id"] != id_:
            return ReadResult("", {})
        return ReadResult(id_, dict(props), self.inputs_of(props))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Nothing to do: Aria drops the item with its content source or cloud template."""


class CatalogItem(SchemaResource, module="aria", name="CatalogItem"):
    provider_class = CatalogItemProvider

    catalogItemId: pulumi.Output[str]

    def __init__(self, resource_name: str, *, endpoint: pulumi.Input[EndpointArgs],
                 source_id: pulumi.Input[str], project_id: pulumi.Input[str],
                 name: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(resource_name, locals(), opts)
