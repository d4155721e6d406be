"""vRA software component (software-service): the install script run on each new GPU VM."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, Resource, UpdateResult

from providers.vra.base import EndpointArgs, VraProvider, converge_published, domain_props
from providers.vra.client import path_segment
from providers.vra.documents import (
    DRAFT,
    parse_software_component,
    software_component_document,
)
from providers.vra.models import SoftwareComponentInputs

COLLECTION = "/software-service/api/softwarecomponenttypes"
SCRIPT_FILE = Path(__file__).parent / "scripts" / "install-container.sh"
_DOMAIN_KEYS = ("name", "description", "properties", "installScript", "scriptType")


def default_install_script() -> str:
    """The INSTALL script shipped with the project (pulls the image, smoke-tests the GPU, motd)."""
    return SCRIPT_FILE.read_text(encoding="utf-8")


class SoftwareComponentProvider(VraProvider):
    inputs_model = SoftwareComponentInputs
    kind = "SoftwareComponent"
    identity_keys = ("componentId",)

    def complete_inputs(self, inputs: dict[str, Any], olds: dict[str, Any]) -> list[Any]:
        return self.complete_id(inputs, olds, "componentId")

    def _converge(self, props: dict[str, Any], *, new: bool) -> dict[str, Any]:
        spec: SoftwareComponentInputs = self.parse(props)
        if not spec.componentId:
            raise ValueError("SoftwareComponent: input 'componentId' is missing (run check first)")
        # POSTed as DRAFT and published by the status PUT: the fact sheet documents publishing
        # in the POST body for blueprints only (§3, §4), so that saving is not taken here.
        desired = software_component_document(spec.componentId, spec, DRAFT)
        wanted = {k: parse_software_component(desired)[k] for k in _DOMAIN_KEYS}

        def same(current: dict[str, Any]) -> bool:
            parsed = parse_software_component(current)
            return {k: parsed[k] for k in _DOMAIN_KEYS} == wanted

        stored = converge_published(
            self.client(props), COLLECTION, spec.componentId, desired, same, new=new
        )
        return self._outputs(spec.model_dump(exclude_none=True), spec.componentId, stored)

    @staticmethod
    def _outputs(inputs: dict[str, Any], cid: str, doc: dict[str, Any]) -> dict[str, Any]:
        return {
            **inputs,
            "componentId": cid,
            "softwareComponentId": cid,
            "publishStatus": doc.get("publishStatus"),
        }

    def create(self, props: dict[str, Any]) -> CreateResult:
        outs = self._converge(props, new=True)
        return CreateResult(outs["componentId"], outs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(self._converge({**news, "componentId": id_}, new=False))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        doc = self.client(props).get(f"{COLLECTION}/{path_segment(id_)}")
        if doc is None:
            return ReadResult("", {})
        parsed = parse_software_component(doc)
        known = domain_props(props)
        outs = self._outputs({**known, **{k: parsed[k] for k in _DOMAIN_KEYS}}, id_, doc)
        return ReadResult(id_, outs, self.inputs_of(outs))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        # 409 "in use by blueprint" surfaces as a VraError naming the blueprint.
        self.client(props).delete(f"{COLLECTION}/{path_segment(id_)}")


class SoftwareComponent(Resource, module="vra", name="SoftwareComponent"):
    """A published vRA software component with an INSTALL script."""

    endpoint: pulumi.Output[dict]
    name: pulumi.Output[str]
    componentId: pulumi.Output[str]
    softwareComponentId: pulumi.Output[str]
    publishStatus: pulumi.Output[str]
    properties: pulumi.Output[dict]

    def __init__(
        self,
        resource_name: str,
        *,
        endpoint: pulumi.Input[EndpointArgs],
        name: pulumi.Input[str],
        properties: pulumi.Input[dict[str, pulumi.Input[str]]] | None = None,
        install_script: pulumi.Input[str] | None = None,
        description: pulumi.Input[str] | None = None,
        component_id: pulumi.Input[str] | None = None,
        script_type: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props: dict[str, Any] = {
            "endpoint": endpoint,
            "name": name,
            "description": description,
            "componentId": component_id,
            "properties": properties or {},
            "installScript": install_script
            if install_script is not None
            else default_install_script(),
            "scriptType": script_type,
            "softwareComponentId": None,
            "publishStatus": None,
        }
        super().__init__(SoftwareComponentProvider(), resource_name, props, opts)
