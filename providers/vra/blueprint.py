"""vRA composite blueprint (composition-service): full clone of the vGPU template, published."""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, Resource, UpdateResult

from providers.vra.base import EndpointArgs, VraProvider, converge_published, domain_props
from providers.vra.client import VraClient, VraError, eq_filter, path_segment
from providers.vra.documents import (
    MACHINE_TYPE,
    PUBLISHED,
    RETIRED,
    blueprint_document,
    parse_blueprint,
    status_body,
)
from providers.vra.models import BlueprintInputs

COLLECTION = "/composition-service/api/blueprints"
SOURCE_MACHINES = "/iaas-proxy-provider/api/source-machines"
_DOMAIN_KEYS = (
    "name",
    "description",
    "pool",
    "templateName",
    "sourceMachineId",
    "customizationSpec",
    "cloneType",
    "cpu",
    "memoryMb",
    "storageGb",
    "maxInstances",
    "machinePrefix",
    "network",
    "softwareComponentId",
    "customProperties",
)


def find_source_machine(client: VraClient, template: str, clone_type: str) -> str:
    """The vRA id of the vSphere template `template` (clone source); clear error if unknown."""
    params = {"actionId": clone_type, "platformTypeId": MACHINE_TYPE}
    for machine in client.iter_list(
        SOURCE_MACHINES, filter_=eq_filter("name", template), params=params
    ):
        if machine.get("name") == template:
            return str(machine["id"])
    raise VraError(
        "GET",
        SOURCE_MACHINES,
        None,
        f"template {template!r} (input 'templateName') is not a vRA source machine for "
        f"{clone_type}; run data collection on the vSphere endpoint or check the name",
    )


class BlueprintProvider(VraProvider):
    inputs_model = BlueprintInputs
    kind = "Blueprint"
    identity_keys = ("blueprintId",)

    def complete_inputs(self, inputs: dict[str, Any], olds: dict[str, Any]) -> list[Any]:
        return self.complete_id(inputs, olds, "blueprintId")

    def _converge(self, props: dict[str, Any], *, new: bool) -> dict[str, Any]:
        spec: BlueprintInputs = self.parse(props)
        if not spec.blueprintId:
            raise ValueError("Blueprint: input 'blueprintId' is missing (run check first)")
        client = self.client(props)
        source_id = find_source_machine(client, spec.templateName, spec.cloneType)
        endpoint = self.endpoint_of(props)
        # Published in the POST itself (facts §4: the VMware K1 sample sends publishStatus
        # PUBLISHED on create), which saves the status PUT after it.
        desired = blueprint_document(
            spec.blueprintId,
            spec,
            tenant=endpoint.tenant,
            source_machine_id=source_id,
            publish_status=PUBLISHED,
        )
        wanted = _domain(parse_blueprint(desired))
        stored = converge_published(
            client,
            COLLECTION,
            spec.blueprintId,
            desired,
            lambda current: _domain(parse_blueprint(current)) == wanted,
            new=new,
        )
        return self._outputs(spec.model_dump(exclude_none=True), spec.blueprintId, stored)

    @staticmethod
    def _outputs(inputs: dict[str, Any], bid: str, doc: dict[str, Any]) -> dict[str, Any]:
        parsed = parse_blueprint(doc)
        return {
            **inputs,
            "blueprintId": bid,
            "sourceMachineId": parsed["sourceMachineId"],
            "publishStatus": doc.get("publishStatus"),
        }

    def create(self, props: dict[str, Any]) -> CreateResult:
        outs = self._converge(props, new=True)
        return CreateResult(outs["blueprintId"], outs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(self._converge({**news, "blueprintId": id_}, new=False))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        doc = self.client(props).get(f"{COLLECTION}/{path_segment(id_)}")
        if doc is None:
            return ReadResult("", {})
        parsed = _domain(parse_blueprint(doc))
        known = domain_props(props)
        # Optional inputs vRA no longer has are dropped, so the next diff shows them.
        merged = {**known, **{k: v for k, v in parsed.items() if v is not None}}
        for key, value in parsed.items():
            if value is None:
                merged.pop(key, None)
        outs = self._outputs(merged, id_, doc)
        return ReadResult(id_, outs, self.inputs_of(outs))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        client = self.client(props)
        path = f"{COLLECTION}/{path_segment(id_)}"
        # Retire first (facts §7): the catalog item goes away with it, then remove the document.
        client.request("PUT", f"{path}/status", json=status_body(RETIRED), ok=(200, 204, 404))
        client.delete(path)


def _domain(parsed: dict[str, Any]) -> dict[str, Any]:
    return {k: parsed.get(k) for k in _DOMAIN_KEYS}


class Blueprint(Resource, module="vra", name="Blueprint"):
    """A published vRA blueprint: one vSphere full clone of the vGPU template (+ software)."""

    endpoint: pulumi.Output[dict]
    name: pulumi.Output[str]
    blueprintId: pulumi.Output[str]
    publishStatus: pulumi.Output[str]
    sourceMachineId: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        endpoint: pulumi.Input[EndpointArgs],
        name: pulumi.Input[str],
        template_name: pulumi.Input[str],
        customization_spec: pulumi.Input[str],
        cpu: pulumi.Input[int],
        memory_mb: pulumi.Input[int],
        storage_gb: pulumi.Input[int],
        max_instances: pulumi.Input[int] = 1,
        clone_type: pulumi.Input[str] = "FullClone",
        description: pulumi.Input[str] | None = None,
        pool: pulumi.Input[str] | None = None,
        blueprint_id: pulumi.Input[str] | None = None,
        machine_prefix: pulumi.Input[str] | None = None,
        network: pulumi.Input[str] | None = None,
        software_component_id: pulumi.Input[str] | None = None,
        custom_properties: pulumi.Input[dict[str, pulumi.Input[str]]] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props: dict[str, Any] = {
            "endpoint": endpoint,
            "name": name,
            "blueprintId": blueprint_id,
            "description": description,
            "pool": pool,
            "templateName": template_name,
            "customizationSpec": customization_spec,
            "cloneType": clone_type,
            "cpu": cpu,
            "memoryMb": memory_mb,
            "storageGb": storage_gb,
            "maxInstances": max_instances,
            "machinePrefix": machine_prefix,
            "network": network,
            "softwareComponentId": software_component_id,
            "customProperties": custom_properties or {},
            "publishStatus": None,
            "sourceMachineId": None,
        }
        super().__init__(BlueprintProvider(), resource_name, props, opts)
