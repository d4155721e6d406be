"""Aria cloud template (`/blueprint/api/blueprints`, terraform-provider-vra `vra_blueprint`).

`machine_template` writes the YAML content of one offering: a `Cloud.vSphere.Machine` cloned
from the offering's image mapping (the pool's vGPU template), CPU and memory from its flavor
mapping (the sizing plan), `count` as an input up to `maxInstances`, the guest customization
spec, and a `cloudConfig` that runs the same install script as the vRA 7 software component
(pull the container image, write /etc/motd). Property names: docs/aria8-api.md.
"""

from __future__ import annotations

import base64
import hashlib
from importlib import resources
from typing import Any

import pulumi
import yaml

from providers.aria.base import AriaInputs, EndpointArgs, OwnedObjectProvider
from providers.base import NonEmpty, SchemaResource

COLLECTION = "/blueprint/api/blueprints"
SCRIPT_PATH = "/opt/gpu-mlaas/install-container.sh"


def install_script() -> str:
    return resources.files("providers").joinpath("vra/scripts/install-container.sh").read_text()


def machine_template(
    *,
    image_mapping: str,
    flavor_mapping: str,
    max_instances: int,
    customization_spec: str,
    container_image: str | None,
) -> str:
    """The cloud template YAML of one offering."""
    properties: dict[str, Any] = {
        "image": image_mapping,
        "flavor": flavor_mapping,
        "count": "${input.count}",
        "customizationSpec": customization_spec,
    }
    if container_image is not None:
        cloud_config = {
            # Base64: the script's own `${...}` must not read as Aria binding expressions.
            "write_files": [{"path": SCRIPT_PATH, "permissions": "0755", "encoding": "b64",
                             "content": base64.b64encode(install_script().encode()).decode()}],
            "runcmd": [["env", f"image={container_image}", "bash", SCRIPT_PATH]],
        }
        properties["cloudConfig"] = "#cloud-config\n" + yaml.safe_dump(cloud_config,
                                                                       sort_keys=False)
    document = {
        "formatVersion": 1,
        "inputs": {
            "count": {"type": "integer", "title": "Machines", "default": 1, "minimum": 1,
                      "maximum": max_instances},
        },
        "resources": {"ml_vm": {"type": "Cloud.vSphere.Machine", "properties": properties}},
    }
    return yaml.dump(document, Dumper=_BlockDumper, sort_keys=False, width=1000)


class _BlockDumper(yaml.SafeDumper):
    """Multi-line strings (the cloudConfig) as YAML literal blocks, as people write them."""


_BlockDumper.add_representer(
    str,
    lambda dumper, text: dumper.represent_scalar(
        "tag:yaml.org,2002:str", text, style="|" if "\n" in text else None
    ),
)


def content_version(content: str) -> str:
    """A version name that changes exactly when the content does."""
    return "v-" + hashlib.sha256(content.encode()).hexdigest()[:12]


class CloudTemplateInputs(AriaInputs):
    name: NonEmpty
    description: str = ""
    projectId: NonEmpty
    content: NonEmpty
    pool: NonEmpty | None = None  # the GPU pool it runs on (read by the policy pack only)


class CloudTemplateProvider(OwnedObjectProvider):
    inputs_model = CloudTemplateInputs
    kind = "aria:CloudTemplate"
    label = "Aria cloud template"
    collection, save_method = COLLECTION, "PUT"
    replace_keys = ("projectId",)
    output_keys = ("blueprintId", "valid")

    def search(self, spec: CloudTemplateInputs) -> dict[str, Any]:
        # Names are not unique in Aria: look only in this project.
        return {"name": spec.name, "projects": spec.projectId}

    def body(self, spec: CloudTemplateInputs) -> dict[str, Any]:
        return {**super().body(spec), "projectId": spec.projectId, "content": spec.content,
                "requestScopeOrg": False}

    def same(self, spec: CloudTemplateInputs, doc: dict[str, Any]) -> bool:
        return super().same(spec, doc) and doc.get("content") == spec.content

    def observed(self, doc: dict[str, Any]) -> dict[str, Any]:
        return {**super().observed(doc), "content": doc.get("content"),
                "projectId": doc.get("projectId")}

    def extra_outputs(self, doc: dict[str, Any]) -> dict[str, Any]:
        return {"valid": bool(doc.get("valid"))}


class CloudTemplate(SchemaResource, module="aria", name="CloudTemplate"):
    provider_class = CloudTemplateProvider

    blueprintId: pulumi.Output[str]

    def __init__(self, resource_name: str, *, endpoint: pulumi.Input[EndpointArgs],
                 name: pulumi.Input[str], project_id: pulumi.Input[str],
                 content: pulumi.Input[str], description: pulumi.Input[str] = "",
                 pool: str | None = None, owner: pulumi.Input[str] | None = None,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(resource_name, locals(), opts)
