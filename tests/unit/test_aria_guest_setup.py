"""Aria machines are initialized by cloud-init or by the customization spec, never both
(`gpu-mlaas:template.cloudInit`; VMware: the two are not compatible), and the guest steps and
licence settings reach the cloudConfig; a licence token is refused with Aria (no secured field)."""

from __future__ import annotations

import base64
from typing import Any

import pytest
import yaml

from mlaas.issues import ConfigError
from mlaas.loading import parse_config
from providers import guest_scripts
from providers.aria.cloud_template import machine_template
from tests.support.program import dev_config_values
from tests.unit.test_program_aria import run


def _machine(content: str) -> dict[str, Any]:
    return dict(yaml.safe_load(content)["resources"]["ml_vm"]["properties"])


def _cloud_config(machine: dict[str, Any]) -> dict[str, Any]:
    text = machine["cloudConfig"]
    assert text.startswith("#cloud-config\n")
    return dict(yaml.safe_load(text))


def test_a_template_takes_cloud_init_or_the_customization_spec_never_both() -> None:
    spec = _machine(machine_template(image_mapping="m", flavor_mapping="m", max_instances=2,
                                     customization_spec="linux"))
    assert spec["customizationSpec"] == "linux" and "cloudConfig" not in spec
    init = _machine(machine_template(image_mapping="m", flavor_mapping="m", max_instances=2,
                                     container_image="tf:gpu"))
    assert "customizationSpec" not in init and "cloudConfig" in init
    assert init["cloudConfigSettings"] == {"deploymentFailOnCloudConfigRuntimeError": True}
    with pytest.raises(ValueError, match="not both"):
        machine_template(image_mapping="m", flavor_mapping="m", max_instances=2,
                         customization_spec="linux", container_image="tf:gpu")


def test_dev_aria_machines_run_the_install_step_through_cloud_init() -> None:
    mock, _ = run(dev_config_values("dev-aria"))
    for template in mock.of_kind("CloudTemplate"):
        machine = _machine(template.inputs["content"])
        assert "customizationSpec" not in machine
        config = _cloud_config(machine)
        script = base64.b64decode(config["write_files"][0]["content"]).decode()
        assert script == guest_scripts.script(guest_scripts.INSTALL)
        assert config["runcmd"][0][0] == "env" and config["runcmd"][0][-2] == "bash"


def test_licence_settings_and_the_licensing_step_reach_the_cloud_config() -> None:
    values = dev_config_values("dev-aria")
    values["gpu-mlaas:licensing"] = {"serverAddress": "licenses.example.com"}
    mock, _ = run(values)
    (template,) = [t for t in mock.of_kind("CloudTemplate") if t.name == "tensorflow-gpu-template"]
    config = _cloud_config(_machine(template.inputs["content"]))
    script = base64.b64decode(config["write_files"][0]["content"]).decode()
    assert script == guest_scripts.compose(guest_scripts.LICENSING, guest_scripts.INSTALL)
    assert config["runcmd"][0] == [
        "env", "image=tensorflow/tensorflow:latest-gpu", "nvidia_feature_type=1",
        "nvidia_license_port=7070", "nvidia_license_server=licenses.example.com",
        "nvidia_licensed_product=NVIDIA RTX Virtual Workstation", "bash",
        "/opt/gpu-mlaas/install-container.sh"]


def _issues(values: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(values, "dev-aria")
    return {issue.path: issue.message for issue in caught.value.issues}


def test_aria_without_cloud_init_cannot_run_the_guest_steps() -> None:
    values = dev_config_values("dev-aria")
    del values["gpu-mlaas:template"]["cloudInit"]
    found = _issues(values)
    assert list(found) == ["gpu-mlaas:template.cloudInit"]
    assert "gpu-mlaas:offerings[0].image" in found["gpu-mlaas:template.cloudInit"]


def test_a_licence_token_is_refused_with_aria() -> None:
    values = dev_config_values("dev-aria")
    values["gpu-mlaas:licensing"] = {"clientConfigToken": {"secure": "v1:abc"}}
    found = _issues(values)
    assert list(found) == ["gpu-mlaas:licensing.clientConfigToken"]
    assert "not supported with gpu-mlaas:aria" in found["gpu-mlaas:licensing.clientConfigToken"]
