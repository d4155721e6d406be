"""The program on the dev-aria stack under plain mocks: the Aria resources it declares, with
which inputs, and the outputs. Providers are not run here (tests/e2e/test_aria_end_to_end.py)."""

from __future__ import annotations

from typing import Any

import yaml

from providers.aria.cloud_template import content_version
from tests.support.program import as_runtime, dev_config_values, run_program
from tests.unit.test_program import RecordingMocks


class AriaMocks(RecordingMocks):
    def new_resource(self, args: Any) -> tuple[str, dict[str, Any]]:
        id_, outs = super().new_resource(args)
        kind = args.typ.rsplit(":", 1)[-1]
        extras: dict[str, dict[str, Any]] = {"Project": {"projectId": "proj-1", "created": False},
                 "ImageProfile": {"profileId": f"ip-{args.name}"},
                 "FlavorProfile": {"profileId": f"fp-{args.name}"},
                 "CloudTemplate": {"blueprintId": f"bp-{args.name}", "valid": True},
                 "TemplateVersion": {"versionId": f"v-{args.name}", "status": "RELEASED"},
                 "ContentSource": {"sourceId": "src-1", "itemsImported": 2},
                 "SharingPolicy": {"policyId": f"pol-{args.name}"}}
        return id_, outs | extras.get(kind, {})


def run(stack_values: dict[str, Any]) -> tuple[AriaMocks, dict[str, Any]]:
    mock = AriaMocks()
    outputs = run_program(mock, as_runtime(stack_values), ["gpu-mlaas:aria"], stack="dev-aria")
    return mock, outputs


def test_dev_aria_declares_the_aria_catalog_and_no_vra() -> None:
    mock, outputs = run(dev_config_values("dev-aria"))
    kinds = sorted({r.typ.rsplit(":", 1)[-1] for r in mock.resources
                    if r.typ.startswith("pulumi-python:dynamic/aria:")})
    assert kinds == ["CatalogItem", "CloudTemplate", "ContentSource", "FlavorProfile",
                     "ImageProfile", "Project", "SharingPolicy", "TemplateVersion"]
    assert not [r for r in mock.resources if "dynamic/vra:" in r.typ]
    assert outputs["catalogItemIds"] == {"tensorflow-gpu": "item-tensorflow-gpu-item",
                                         "pytorch-gpu": "item-pytorch-gpu-item"}


def test_template_content_follows_the_sizing_plan() -> None:
    mock, _ = run(dev_config_values("dev-aria"))
    (template,) = [r for r in mock.of_kind("CloudTemplate") if r.name == "tensorflow-gpu-template"]
    content = yaml.safe_load(template.inputs["content"])
    machine = content["resources"]["ml_vm"]["properties"]
    assert content["inputs"]["count"]["maximum"] == 4
    assert machine["image"] == machine["flavor"] == "dev-aria-tensorflow-gpu"
    assert "cloudConfig" in machine and template.inputs["pool"] == "p100-pool"
    (flavor,) = [r for r in mock.of_kind("FlavorProfile") if r.name == "tensorflow-gpu-flavor"]
    assert (flavor.inputs["cpuCount"], flavor.inputs["memoryMb"]) == (4, 32768)
    (version,) = [r for r in mock.of_kind("TemplateVersion")
                  if r.name == "tensorflow-gpu-version"]
    assert version.inputs["version"] == content_version(template.inputs["content"])
    owners = {r.inputs.get("owner") for r in mock.resources
              if r.typ.startswith("pulumi-python:dynamic/aria:")} - {None}
    assert "gpu-mlaas/dev-aria/tensorflow-gpu-template" in owners


def test_principals_reach_the_sharing_policies() -> None:
    mock, _ = run(dev_config_values("dev-aria"))
    policies = mock.of_kind("SharingPolicy")
    assert len(policies) == 2
    assert all(p.inputs["principals"] == ["group:ml-users@lab.local"] for p in policies)
