"""vRA catalog service (catalog-service): the "Machine Learning" folder of the catalog."""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, Resource, UpdateResult

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
    """Ownership: a service this stack created carries its owner marker in the description
    (documents.mark_owner) and is deleted with the stack. One found by name with another
    stack's marker, or with none, existed before: it is adopted, left as it is on delete, and
    its marker is kept on writes, so two stacks sharing one service never delete each other's.
    The marker also settles a create whose answer was lost (vRA stored it, the client timed
    out): the next run finds the service by name with this stack's marker, so it is ours."""

    inputs_model = CatalogServiceInputs
    kind = "CatalogService"

    def _ensure(self, spec: CatalogServiceInputs, props: dict[str, Any]) -> tuple[dict, bool]:
        """Find the service by name or create it; returns (service, adopted)."""
        client = self.client(props)
        # Look up before the POST: vRA 7 is not known to refuse a second service of the same
        # name (facts §14.6), so POST-first could make a duplicate.
        service = client.find_one(COLLECTION, "name", spec.name)
        found = service is not None
        if service is None:
            tenant = self.endpoint_of(props).tenant
            body = service_document(spec.name, spec.description, tenant, spec.owner)
            # A 409/lost answer re-reads by name: whichever stack's service that finds is
            # judged by its marker below.
            service = client.create(
                COLLECTION, body, lambda: client.find_one(COLLECTION, "name", spec.name)
            )
        if not spec.owner:  # no marker to go by: only what was there before is adopted
            return service, found
        _, marked = split_owner(service.get("description"))
        return service, marked != spec.owner

    def _put_if_changed(
        self,
        client: VraClient,
        service: dict[str, Any],
        spec: CatalogServiceInputs,
        adopted: bool,
    ) -> dict[str, Any]:
        _, marked = split_owner(service.get("description"))
        # Only a service of ours gets (or changes to) our marker; an adopted one keeps its own.
        description = mark_owner(spec.description, marked if adopted else spec.owner)
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
        service, adopted = self._ensure(spec, props)
        service = self._put_if_changed(self.client(props), service, spec, adopted)
        outs = self._outputs(spec, service, adopted)
        return CreateResult(outs["serviceId"], outs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        spec: CatalogServiceInputs = self.parse(news)
        client = self.client(news)
        service = get_service(client, id_)
        if service is None:
            raise self.gone(id_)
        adopted = bool(olds.get("adopted", False))
        service = self._put_if_changed(client, service, spec, adopted)
        return UpdateResult(self._outputs(spec, service, adopted))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
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
            # Not this stack's (another stack's marker, or none): others may rely on it.
            return
        self.client(props).delete(f"{COLLECTION}/{path_segment(id_)}")


class CatalogService(Resource, module="vra", name="CatalogService"):
    """A vRA catalog service; an existing one with the same name is adopted and kept on delete
    unless it carries this stack's `owner` marker (then it is this stack's own)."""

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
        owner: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """`owner`: "<project>/<stack>" of the stack that owns a service it creates."""
        props: dict[str, Any] = {
            "endpoint": endpoint,
            "name": name,
            "description": description,
            "owner": owner,
            "serviceId": None,
            "adopted": None,
        }
        super().__init__(CatalogServiceProvider(), resource_name, props, opts)
