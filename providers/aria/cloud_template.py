"""Aria cloud template (`/blueprint/api/blueprints`, terraform-provider-vra `vra_blueprint`).

`machine_template` writes the YAML content of one offering: a `Cloud.vSphere.Machine` cloned
from the offering's image mapping (the pool's vGPU template), CPU and memory from its flavor
mapping (the sizing plan), `count` as an input up to `maxInstances`, and either the guest
customization spec or (for images with cloud-init) a `cloudConfig` that runs the same guest steps
as the vRA 7 software component (licensing, then pull the container image and write /etc/motd).
Property names: docs/aria8-api.md.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pulumi
import yaml

from providers import guest_scripts
from providers.aria.base import AriaInputs, EndpointArgs, OwnedObjectProvider
from providers.base import NonEmpty, SchemaResource

COLLECTION = "/blueprint/api/blueprints"
SCRIPT_PATH = "/opt/gpu-mlaas/install-container.sh"


def machine_template(
    *,
    image_mapping: str,
    flavor_mapping: str,
    max_instances: int,
    customization_spec: str | None = None,
    container_image: str | None = None,
    environment: dict[str, str] | None = None,
    steps: tuple[str, ...] | None = None,
) -> str:
    """The cloud template YAML of one offering. The machine is initialized either by the
    customization spec or by cloud-init (a `cloudConfig` running the guest `steps`, by default
    the install step when there is a container image, with `environment` and `image` set), never
    both: VMware documents the two as not compatible (docs/aria8-api.md)."""
    properties: dict[str, Any] = {
        "image": image_mapping,
        "flavor": flavor_mapping,
        "count": "${input.count}",
    }
    if steps is None:
        steps = (guest_scripts.INSTALL,) if container_image is not None else ()
    if steps and customization_spec is not None:
        raise ValueError("a cloud template machine takes a cloudConfig or a customization spec, "
                         "not both (VMware: they are not formally compatible)")
    if customization_spec is not None:
        properties["customizationSpec"] = customization_spec
    if steps:
        script = guest_scripts.guest_script(*steps)
        variables = {**(environment or {}),
                     **({"image": container_image} if container_image is not None else {})}
        cloud_config = {
            # Base64: the script's own `${...}` must not read as Aria binding expressions.
            "write_files": [{"path": SCRIPT_PATH, "permissions": "0755", "encoding": "b64",
                             "content": base64.b64encode(script.encode()).decode()}],
            "runcmd": [["env", *(f"{k}={v}" for k, v in sorted(variables.items())),
                        "bash", SCRIPT_PATH]],
        }
        properties["cloudConfig"] = "#cloud-config\n" + yaml.safe_dump(cloud_config,
                                                                       sort_keys=False)
        # A failing step fails the deployment instead of leaving a half-set-up machine
        # (VMware: cloudConfigSettings.deploymentFailOnCloudConfigRuntimeError).
        properties["cloudConfigSettings"] = {"deploymentFailOnCloudConfigRuntimeError": True}
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
