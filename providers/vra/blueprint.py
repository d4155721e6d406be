"""vRA composite blueprint (composition-service): full clone of the vGPU template, published."""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, UpdateResult

from providers import ownership
from providers.base import SchemaResource
from providers.vra.base import EndpointArgs, VraProvider, domain_props
from providers.vra.client import VraClient, VraError, eq_filter, path_segment
from providers.vra.documents import (
    DRAFT,
    MACHINE_TYPE,
    PUBLISHED,
    RETIRED,
    blueprint_document,
    blueprint_owner,
    merge_blueprint,
    parse_blueprint,
    sized_disks,
    status_body,
)
from providers.vra.models import BlueprintInputs

COLLECTION = "/composition-service/api/blueprints"
DOCUMENTS = "/composition-service/api/blueprintdocuments"
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
    "softwareProperties",
    "customProperties",
)
_COMPARED = (*_DOMAIN_KEYS, "owner")


def find_source_machine(
    client: VraClient, template: str, clone_type: str
) -> tuple[str, list[dict[str, Any]]]:
    """(vRA id, disks) of the vSphere template `template`; clear error if vRA does not know it.
    The disks come from the documented by-id route, which returns them."""
    params = {"actionId": clone_type, "platformTypeId": MACHINE_TYPE}
    for machine in client.iter_list(
        SOURCE_MACHINES, filter_=eq_filter("name", template), params=params
    ):
        if machine.get("name") == template:
            machine_id = str(machine["id"])
            path = f"{SOURCE_MACHINES}/{path_segment(machine_id)}"
            full = client.get(path, params={"platformTypeId": MACHINE_TYPE}) or {}
            return machine_id, list(full.get("disks") or [])
    raise VraError(
        "GET",
        SOURCE_MACHINES,
        None,
        f"template {template!r} (input 'templateName') is not a vRA source machine for "
        f"{clone_type}; run data collection on the vSphere endpoint or check the name",
    )


class BlueprintProvider(VraProvider):
    """Written and read as a blueprint document (docs/vra7-api.md, Blueprint documents), where
    `host: ${_resource~gpu_vm}` binds the software component to the machine. The owner marker
    is a blueprint property; only a blueprint with this resource's marker is changed or
    deleted."""

    inputs_model = BlueprintInputs
    kind = "Blueprint"
    output_keys = ("publishStatus", "sourceMachineId")
    replace_keys = ("blueprintId",)

    def complete_inputs(self, inputs: dict[str, Any], olds: dict[str, Any]) -> list[Any]:
        return self.complete_id(inputs, olds, "blueprintId")

    def _owned(
        self, client: VraClient, bid: str, owner: str | None, state_marked: bool | None = None
    ) -> dict[str, Any] | None:
        doc = client.get(f"{DOCUMENTS}/{path_segment(bid)}")
        if doc is not None:
            ownership.require(self.kind, bid, blueprint_owner(doc), owner,
                              state_marked=state_marked)
        return doc

    def _converge(self, props: dict[str, Any], state_marked: bool | None = None) -> dict[str, Any]:
        spec: BlueprintInputs = self.parse(props)
        if not spec.blueprintId:
            raise ValueError("Blueprint: input 'blueprintId' is missing (run check first)")
        bid = spec.blueprintId
        client = self.client(props)
        source_id, template_disks = find_source_machine(client, spec.templateName, spec.cloneType)
        try:
            disks = sized_disks(template_disks, spec.storageGb)
        except ValueError as exc:
            raise ValueError(f"Blueprint {spec.name!r}: {exc}") from None
        desired = blueprint_document(bid, spec, source_machine_id=source_id, disks=disks)
        path = f"{DOCUMENTS}/{path_segment(bid)}"
        # Also on create: a blueprint of this id with this resource's marker is what a run
        # whose answer was lost left behind; any other is refused.
        current = self._owned(client, bid, spec.owner, state_marked)
        if current is None:  # new, or deleted outside Pulumi: the id is ours to write again
            try:
                client.put(path, desired)
            except VraError as exc:
                if exc.status is not None and exc.status < 500:
                    raise
                current = self._owned(client, bid, spec.owner)  # stored after all?
                if current is None:
                    raise
            current = {**desired, "status": DRAFT}  # published below, by the documented call
        elif _domain(parse_blueprint(current)) != _domain(parse_blueprint(desired)):
            current = merge_blueprint(current, desired)
            client.put(path, current)
        if current.get("status") != PUBLISHED:
            client.put(f"{COLLECTION}/{path_segment(bid)}/status", status_body(PUBLISHED))
            current = {**current, "status": PUBLISHED}
        return self._outputs(spec.model_dump(exclude_none=True), bid, current)

    @staticmethod
    def _outputs(inputs: dict[str, Any], bid: str, doc: dict[str, Any]) -> dict[str, Any]:
        parsed = parse_blueprint(doc)
        return {
            **inputs,
            "blueprintId": bid,
            "sourceMachineId": parsed["sourceMachineId"],
            "publishStatus": doc.get("status"),
        }

    def create(self, props: dict[str, Any]) -> CreateResult:
        with self.explained("create", str(props.get("name"))):
            outs = self._converge(props)
        return CreateResult(outs["blueprintId"], outs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        with self.explained("update", id_):
            props = {**news, "blueprintId": id_}
            return UpdateResult(self._converge(props, state_marked=ownership.state_marked(olds)))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        with self.explained("read", id_):
            doc = self.client(props).get(f"{DOCUMENTS}/{path_segment(id_)}")
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
        with self.explained("delete", id_):
            if self._owned(client, id_, props.get("owner")) is None:
                return
            path = f"{COLLECTION}/{path_segment(id_)}"
            # Retired first: its catalog item goes away with it; then the blueprint itself.
            client.request("PUT", f"{path}/status", json=status_body(RETIRED), ok=(200, 204, 404))
            client.delete(path)


def _domain(parsed: dict[str, Any]) -> dict[str, Any]:
    return {k: parsed.get(k) for k in _COMPARED}


class Blueprint(SchemaResource, module="vra", name="Blueprint"):
    """A published vRA blueprint: one vSphere full clone of the vGPU template (+ software)."""

    provider_class = BlueprintProvider

    blueprintId: pulumi.Output[str]

    def __init__(self, resource_name: str, *, endpoint: pulumi.Input[EndpointArgs],
                 name: pulumi.Input[str], template_name: pulumi.Input[str],
                 customization_spec: pulumi.Input[str], cpu: pulumi.Input[int],
                 memory_mb: pulumi.Input[int], storage_gb: pulumi.Input[int],
                 max_instances: pulumi.Input[int] = 1, clone_type: pulumi.Input[str] = "FullClone",
                 description: pulumi.Input[str] | None = None,
                 pool: pulumi.Input[str] | None = None,
                 blueprint_id: pulumi.Input[str] | None = None,
                 machine_prefix: pulumi.Input[str] | None = None,
                 network: pulumi.Input[str] | None = None,
                 software_component_id: pulumi.Input[str] | None = None,
                 software_properties: pulumi.Input[dict[str, pulumi.Input[str]]] | None = None,
                 custom_properties: pulumi.Input[dict[str, pulumi.Input[str]]] | None = None,
                 owner: pulumi.Input[str] | None = None,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        """`owner`: ownership.owner_of(project, stack, resource_name)."""
        super().__init__(resource_name, locals(), opts)
