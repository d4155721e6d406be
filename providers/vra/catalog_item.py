"""vRA catalog item placement: put the item of a published blueprint into a catalog service.

vRA makes the item itself, a moment after the blueprint is published; this resource waits for
it (deadline + backoff; the engine's custom timeouts never reach a dynamic provider) and sets its
`serviceRef`.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, UpdateResult

from providers.base import SchemaResource, poll
from providers.vra.base import EndpointArgs, VraProvider, domain_props
from providers.vra.client import VraClient, VraError, path_segment
from providers.vra.models import CatalogItemInputs

COLLECTION = "/catalog-service/api/catalogItems"
BINDING_SEPARATOR = "!::!"


def binding_id(tenant: str, blueprint_id: str) -> str:
    """`providerBinding.bindingId` of the catalog item made from a blueprint."""
    return f"{tenant}{BINDING_SEPARATOR}{blueprint_id}"


def find_item(client: VraClient, binding: str) -> dict[str, Any] | None:
    # vRA cannot filter on the binding; the admin list also shows items in no service yet.
    for item in client.iter_list(COLLECTION):
        if (item.get("providerBinding") or {}).get("bindingId") == binding:
            return item
    return None


def wait_for_item(client: VraClient, binding: str, timeout: float) -> dict[str, Any]:
    item = poll(lambda: find_item(client, binding), timeout, max_wait=3.0, factor=1.6)
    if item is None:
        raise VraError(
            "GET",
            COLLECTION,
            None,
            f"no catalog item bound to {binding!r} after {timeout:g}s; is the blueprint "
            "published? (raise 'timeoutSeconds' if vRA is slow)",
        )
    return item


class CatalogItemProvider(VraProvider):
    inputs_model = CatalogItemInputs
    kind = "CatalogItem"
    output_keys = ("catalogItemId", "name")
    replace_keys = ("blueprintId",)

    def _place(self, props: dict[str, Any], item_id: str | None) -> dict[str, Any]:
        spec: CatalogItemInputs = self.parse(props)
        client = self.client(props)
        if item_id:
            item = client.get(f"{COLLECTION}/{path_segment(item_id)}")
            if item is None:
                raise self.gone(item_id)
        else:
            binding = binding_id(self.endpoint_of(props).tenant, spec.blueprintId)
            item = wait_for_item(client, binding, spec.timeoutSeconds)
        if (item.get("serviceRef") or {}).get("id") != spec.serviceId:
            # The service is not read first: its id comes from the CatalogService resource, and
            # vRA itself refuses an unknown one on this PUT. The ref carries the id only, as the
            # entitlement's catalogItemRef does (docs/vra7-api.md, Catalog); samples also send
            # a label, which vRA 7.3 is not confirmed to need.
            item = {**item, "serviceRef": {"id": spec.serviceId}}
            path = f"{COLLECTION}/{path_segment(str(item['id']))}"
            try:
                client.put(path, item)
            except VraError as exc:
                if exc.status != 400:
                    raise
                raise VraError(
                    "PUT",
                    path,
                    exc.status,
                    f"{exc.message} (check input 'serviceId' {spec.serviceId!r})",
                    exc.code,
                ) from None
        return self._outputs(spec.model_dump(exclude_none=True), item)

    @staticmethod
    def _outputs(inputs: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
        return {**inputs, "catalogItemId": str(item["id"]), "name": item.get("name")}

    def create(self, props: dict[str, Any]) -> CreateResult:
        with self.explained("place", f"item of blueprint {props.get('blueprintId')}"):
            outs = self._place(props, None)
        return CreateResult(outs["catalogItemId"], outs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        with self.explained("place", id_):
            return UpdateResult(self._place(news, id_))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        item = self.client(props).get(f"{COLLECTION}/{path_segment(id_)}")
        if item is None:
            return ReadResult("", {})
        known = domain_props(props)
        service_id = (item.get("serviceRef") or {}).get("id")
        if service_id:
            known["serviceId"] = service_id
        else:
            known.pop("serviceId", None)  # taken out of its service: the next diff shows it
        bound = str((item.get("providerBinding") or {}).get("bindingId") or "")
        if BINDING_SEPARATOR in bound:
            known["blueprintId"] = bound.split(BINDING_SEPARATOR, 1)[1]
        outs = self._outputs(known, item)
        return ReadResult(id_, outs, self.inputs_of(outs))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        # Nothing to send: vRA removes the item when its blueprint is retired and deleted
        # (clearing serviceRef first is optional), and a destroy deletes the
        # blueprint right after this resource (it depends on it). Skipping the GET + PUT that
        # would clear serviceRef means an item whose CatalogItem alone is removed from the
        # program stays in its service until its blueprint goes. The service holds no
        # dependency on the blueprint, so a destroy may delete it while the item is still in
        # it: the lab then empties the service; whether vRA 7.3 refuses that is not known
        # (docs/vra7-api.md, Not known), and a refused delete succeeds on the next destroy.
        return None


class CatalogItem(SchemaResource, module="vra", name="CatalogItem"):
    """The catalog item of a published blueprint, placed in a catalog service."""

    provider_class = CatalogItemProvider

    catalogItemId: pulumi.Output[str]

    def __init__(self, resource_name: str, *, endpoint: pulumi.Input[EndpointArgs],
                 blueprint_id: pulumi.Input[str], service_id: pulumi.Input[str],
                 timeout_seconds: pulumi.Input[float] = 120,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(resource_name, locals(), opts)
