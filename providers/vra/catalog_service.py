"""vRA catalog service (catalog-service): the "Machine Learning" folder of the catalog."""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, Resource, UpdateResult

from providers.vra.base import EndpointArgs, VraProvider
from providers.vra.client import VraClient, path_segment
from providers.vra.documents import service_document
from providers.vra.models import CatalogServiceInputs

COLLECTION = "/catalog-service/api/services"


def get_service(client: VraClient, service_id: str) -> dict[str, Any] | None:
    """The service `service_id`, or None when missing or marked DELETED."""
    service = client.get(f"{COLLECTION}/{path_segment(service_id)}")
    if service is None or service.get("status") == "DELETED":
        return None
    return service


class CatalogServiceProvider(VraProvider):
    inputs_model = CatalogServiceInputs
    kind = "CatalogService"

    def _ensure(self, spec: CatalogServiceInputs, props: dict[str, Any]) -> tuple[dict, bool]:
        """Find the service by name (adopt) or create it; returns (service, existed_before)."""
        client = self.client(props)
        existing = client.find_one(COLLECTION, "name", spec.name)
        if existing is not None:
            return existing, True
        tenant = self.endpoint_of(props).tenant
        body = service_document(spec.name, spec.description, tenant)
        created = client.create(
            COLLECTION, body, lambda: client.find_one(COLLECTION, "name", spec.name)
        )
        return created, False

    def _put_if_changed(
        self, client: VraClient, service: dict[str, Any], spec: CatalogServiceInputs
    ) -> dict[str, Any]:
        if service.get("name") == spec.name and (service.get("description") or "") == (
            spec.description
        ):
            return service
        updated = {**service, "name": spec.name, "description": spec.description}
        client.put(f"{COLLECTION}/{path_segment(str(service['id']))}", updated)
        return updated

    @staticmethod
    def _outputs(spec: CatalogServiceInputs, service: dict[str, Any], adopted: bool) -> dict:
        return {
            **spec.model_dump(exclude_none=True),
            "serviceId": str(service["id"]),
            "adopted": adopted,
        }

    def create(self, props: dict[str, Any]) -> CreateResult:
        spec: CatalogServiceInputs = self.parse(props)
        service, adopted = self._ensure(spec, props)
        service = self._put_if_changed(self.client(props), service, spec)
        outs = self._outputs(spec, service, adopted)
        return CreateResult(outs["serviceId"], outs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        spec: CatalogServiceInputs = self.parse(news)
        client = self.client(news)
        service = get_service(client, id_)
        if service is None:
            raise self.gone(id_)
        adopted = bool(olds.get("adopted", False))
        service = self._put_if_changed(client, service, spec)
        return UpdateResult(self._outputs(spec, service, adopted))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        service = get_service(self.client(props), id_)
        if service is None:
            return ReadResult("", {})
        outs = {
            **{k: v for k, v in props.items() if not k.startswith("__")},
            "name": service.get("name"),
            "description": service.get("description") or "",
            "serviceId": id_,
            "adopted": bool(props.get("adopted", False)),
        }
        return ReadResult(id_, outs, self.inputs_of(outs))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        if props.get("adopted"):
            # It was there before this stack; other items may live in it. Leave it.
            return
        self.client(props).delete(f"{COLLECTION}/{path_segment(id_)}")


class CatalogService(Resource, module="vra", name="CatalogService"):
    """A vRA catalog service; an existing one with the same name is adopted and kept on delete."""

    endpoint: pulumi.Output[dict]
    name: pulumi.Output[str]
    serviceId: pulumi.Output[str]
    adopted: pulumi.Output[bool]

    def __init__(
        self,
        resource_name: str,
        *,
        endpoint: pulumi.Input[EndpointArgs],
        name: pulumi.Input[str],
        description: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props: dict[str, Any] = {
            "endpoint": endpoint,
            "name": name,
            "description": description,
            "serviceId": None,
            "adopted": None,
        }
        super().__init__(CatalogServiceProvider(), resource_name, props, opts)
