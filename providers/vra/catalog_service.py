"""vRA catalog service (catalog-service): the "Machine Learning" folder of the catalog."""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, UpdateResult

from providers import ownership
from providers.base import SchemaResource
from providers.vra.base import EndpointArgs, VraProvider, domain_props
from providers.vra.client import VraClient, path_segment
from providers.vra.documents import mark_owner, service_document, split_owner
from providers.vra.models import CatalogServiceInputs

COLLECTION = "/catalog-service/api/services"


def get_service(client: VraClient, service_id: str) -> dict[str, Any] | None:
    """The service `service_id`, or None when missing or marked DELETED."""
    service = client.get(f"{COLLECTION}/{path_segment(service_id)}")
    if service is None or service.get("status") == "DELETED":
        return None
    return service


class CatalogServiceProvider(VraProvider):
    """Ownership: a service this resource creates carries its owner marker in the description
    and is retired with the stack (vRA 7 has no DELETE on services: GET, status DELETED, PUT,
    as PowervRA's Remove-vRAService does). A service of that name that is not this resource's
    (another stack's marker, or none: made by hand) is only used as the folder the items go
    into: never written, never retired (`adopted` is true). The marker also settles a create
    whose answer was lost: the next run finds the service by name with this marker."""

    inputs_model = CatalogServiceInputs
    kind = "CatalogService"
    output_keys = ("serviceId", "adopted")

    def _ensure(self, spec: CatalogServiceInputs, props: dict[str, Any]) -> tuple[dict, bool]:
        """Find the service by name or create it; returns (service, used but not ours)."""
        client = self.client(props)
        # Look up before the POST: vRA 7 is not known to refuse a second service of the same
        # name (docs/vra7-api.md), so POST-first could make a duplicate.
        service = client.find_one(COLLECTION, "name", spec.name)
        if service is None:
            tenant = self.endpoint_of(props).tenant
            body = service_document(spec.name, spec.description, tenant, spec.owner)
            service = client.create(
                COLLECTION, body, lambda: client.find_one(COLLECTION, "name", spec.name)
            )
            if not spec.owner:
                return service, False  # made just now, though no marker can prove it later
        _, marked = split_owner(service.get("description"))
        return service, not ownership.shared_is_ours(marked, spec.owner)

    def _put_if_changed(
        self, client: VraClient, service: dict[str, Any], spec: CatalogServiceInputs
    ) -> dict[str, Any]:
        """Read-modify-write of a service of ours: only name and description change."""
        description = mark_owner(spec.description, spec.owner)
        if service.get("name") == spec.name and (service.get("description") or "") == description:
            return service
        updated = {**service, "name": spec.name, "description": description}
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
        with self.explained("create", spec.name):
            service, adopted = self._ensure(spec, props)
            if not adopted:
                service = self._put_if_changed(self.client(props), service, spec)
        outs = self._outputs(spec, service, adopted)
        return CreateResult(outs["serviceId"], outs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        spec: CatalogServiceInputs = self.parse(news)
        client = self.client(news)
        with self.explained("update", spec.name):
            service = get_service(client, id_)
            if service is None:
                raise self.gone(id_)
            adopted = bool(olds.get("adopted", False))
            if not adopted:
                _, marked = split_owner(service.get("description"))
                ownership.require(self.kind, spec.name, marked, spec.owner,
                                  state_marked=ownership.state_marked(olds))
                service = self._put_if_changed(client, service, spec)
        return UpdateResult(self._outputs(spec, service, adopted))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        with self.explained("read", id_):
            service = get_service(self.client(props), id_)
        if service is None:
            return ReadResult("", {})
        text, _ = split_owner(service.get("description"))
        outs = {
            **domain_props(props),
            "name": service.get("name"),
            "description": text,
            "serviceId": id_,
            "adopted": bool(props.get("adopted", False)),
        }
        return ReadResult(id_, outs, self.inputs_of(outs))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        if props.get("adopted"):
            return  # not this resource's: others rely on it
        client = self.client(props)
        with self.explained("retire", str(props.get("name") or id_)):
            service = get_service(client, id_)
            if service is None:
                return
            _, marked = split_owner(service.get("description"))
            ownership.require(self.kind, str(service.get("name")), marked, props.get("owner"),
                              state_marked=ownership.state_marked(props))
            client.put(
                f"{COLLECTION}/{path_segment(id_)}",
                {**service, "status": "DELETED", "statusName": "Deleted"},
            )


class CatalogService(SchemaResource, module="vra", name="CatalogService"):
    """A vRA catalog service; an existing one of the same name that is not this resource's is
    used as it is (never written or retired)."""

    provider_class = CatalogServiceProvider

    serviceId: pulumi.Output[str]

    def __init__(self, resource_name: str, *, endpoint: pulumi.Input[EndpointArgs],
                 name: pulumi.Input[str], description: pulumi.Input[str] | None = None,
                 owner: pulumi.Input[str] | None = None,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        """`owner`: ownership.owner_of(project, stack, resource_name)."""
        super().__init__(resource_name, locals(), opts)
