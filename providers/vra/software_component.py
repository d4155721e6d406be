"""vRA software component (software-service): the install script run on each new GPU VM."""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, UpdateResult

from providers import guest_scripts, ownership
from providers.base import SchemaResource
from providers.vra.base import EndpointArgs, VraProvider, domain_props
from providers.vra.client import VraClient, path_segment
from providers.vra.documents import (
    DRAFT,
    PUBLISHED,
    parse_software_component,
    software_component_document,
    split_owner,
    status_body,
)
from providers.vra.models import SOFTWARE_PREFIX, SoftwareComponentInputs

COLLECTION = "/software-service/api/softwarecomponenttypes"
_DOMAIN_KEYS = ("name", "description", "properties", "installScript", "scriptType")
_COMPARED = (*_DOMAIN_KEYS, "owner", "securePropertyNames")


def default_install_script() -> str:
    """The INSTALL script shipped with the project (pulls the image, smoke-tests the GPU, motd)."""
    return guest_scripts.script(guest_scripts.INSTALL)


class SoftwareComponentProvider(VraProvider):
    """Ids are `Software.<Name>_<stack>_<hash>` (vRA's form, unique per stack and name). The
    description carries the owner marker; only a component with this resource's marker is
    adopted (after a lost answer), changed or deleted."""

    inputs_model = SoftwareComponentInputs
    kind = "SoftwareComponent"
    output_keys = ("softwareComponentId", "publishStatus")
    replace_keys = ("componentId",)

    def complete_inputs(self, inputs: dict[str, Any], olds: dict[str, Any]) -> list[Any]:
        return self.complete_id(inputs, olds, "componentId", SOFTWARE_PREFIX)

    def _owned(
        self, client: VraClient, spec: SoftwareComponentInputs, state_marked: bool | None = None
    ) -> dict[str, Any] | None:
        """The stored component of this id, if it is this resource's; None if there is none.
        `state_marked`: as in `ownership.require` (None: adopting it)."""
        assert spec.componentId
        doc = client.get(f"{COLLECTION}/{path_segment(spec.componentId)}")
        if doc is None:
            # A 409 with no such id: the name is taken; say by whom.
            other = client.find_one(COLLECTION, "name", spec.name)
            if other is not None:
                _, owner = split_owner(other.get("description"))
                ownership.require(self.kind, spec.name, owner, spec.owner)
            return None
        owner = parse_software_component(doc)["owner"]
        ownership.require(self.kind, spec.componentId, owner, spec.owner,
                          state_marked=state_marked)
        return doc

    def _converge(
        self, props: dict[str, Any], *, new: bool, state_marked: bool | None = None
    ) -> dict[str, Any]:
        spec: SoftwareComponentInputs = self.parse(props)
        if not spec.componentId:
            raise ValueError("SoftwareComponent: input 'componentId' is missing (run check first)")
        client = self.client(props)
        path = f"{COLLECTION}/{path_segment(spec.componentId)}"
        # POSTed as DRAFT and published by the documented status PUT.
        desired = software_component_document(spec.componentId, spec, DRAFT)
        wanted = {k: parse_software_component(desired)[k] for k in _COMPARED}
        # An update reads first; a component deleted outside Pulumi is POSTed again (its id is
        # client-chosen, so it comes back as the same object).
        current = None if new else self._owned(client, spec, state_marked)
        if current is None:
            current = client.create(COLLECTION, desired, lambda: self._owned(client, spec))
        parsed = parse_software_component(current)
        # Secured values never come back readable: an update that has them writes them again
        # (it runs only when an input changed, the secret perhaps).
        rewrite_secrets = bool(spec.secureProperties) and not new
        if {k: parsed[k] for k in _COMPARED} != wanted or rewrite_secrets:
            # Read-modify-write: what vRA keeps on the object (version, dates) goes back as read.
            current = {**current, **{k: v for k, v in desired.items() if k != "publishStatus"}}
            client.put(path, current)
        if current.get("publishStatus") != PUBLISHED:
            client.put(f"{path}/status", status_body(PUBLISHED))
            current = {**current, "publishStatus": PUBLISHED}
        return self._outputs(spec.model_dump(exclude_none=True), spec.componentId, current)

    @staticmethod
    def _outputs(inputs: dict[str, Any], cid: str, doc: dict[str, Any]) -> dict[str, Any]:
        return {
            **inputs,
            "componentId": cid,
            "softwareComponentId": cid,
            "publishStatus": doc.get("publishStatus"),
        }

    def create(self, props: dict[str, Any]) -> CreateResult:
        with self.explained("create", str(props.get("name"))):
            outs = self._converge(props, new=True)
        return CreateResult(outs["componentId"], outs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        with self.explained("update", id_):
            props = {**news, "componentId": id_}
            marked = ownership.state_marked(olds)
            return UpdateResult(self._converge(props, new=False, state_marked=marked))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        with self.explained("read", id_):
            doc = self.client(props).get(f"{COLLECTION}/{path_segment(id_)}")
        if doc is None:
            return ReadResult("", {})
        parsed = parse_software_component(doc)
        known = domain_props(props)
        outs = self._outputs({**known, **{k: parsed[k] for k in _DOMAIN_KEYS}}, id_, doc)
        return ReadResult(id_, outs, self.inputs_of(outs))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        client = self.client(props)
        path = f"{COLLECTION}/{path_segment(id_)}"
        with self.explained("delete", id_):
            doc = client.get(path)
            if doc is None:
                return
            ownership.require(self.kind, id_, parse_software_component(doc)["owner"],
                              props.get("owner"), state_marked=ownership.state_marked(props))
            # 409 "in use by blueprint" surfaces as a VraError naming the blueprint.
            client.delete(path)


class SoftwareComponent(SchemaResource, module="vra", name="SoftwareComponent"):
    """A published vRA software component with an INSTALL script."""

    provider_class = SoftwareComponentProvider

    softwareComponentId: pulumi.Output[str]

    def __init__(self, resource_name: str, *, endpoint: pulumi.Input[EndpointArgs],
                 name: pulumi.Input[str],
                 properties: pulumi.Input[dict[str, pulumi.Input[str]]] | None = None,
                 secure_properties: pulumi.Input[dict[str, pulumi.Input[str]]] | None = None,
                 install_script: pulumi.Input[str] | None = None,
                 description: pulumi.Input[str] | None = None,
                 component_id: pulumi.Input[str] | None = None,
                 script_type: pulumi.Input[str] | None = None,
                 owner: pulumi.Input[str] | None = None,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        """`owner`: ownership.owner_of(project, stack, resource_name). `secure_properties`:
        values vRA keeps encrypted; pass them as Pulumi secrets (`pulumi.Output.secret`)."""
        if install_script is None:
            install_script = default_install_script()
        super().__init__(resource_name, locals(), opts)
