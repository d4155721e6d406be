"""The program and its components under `pulumi.runtime.set_mocks`: what gets declared, with
which inputs, and the stack outputs. Providers are not run here (see tests/e2e)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
import pytest

from tests.support.program import RecordingMocks, as_runtime, dev_config_values, run_program

ROOT = Path(__file__).resolve().parents[2]


def dev_config(**overrides: Any) -> dict[str, str]:
    return as_runtime(dev_config_values() | overrides)


def test_dev_stack_declares_every_resource_and_exports_capacity() -> None:
    mock = RecordingMocks()
    outputs = run_program(mock, dev_config())
    assert len(mock.of_kind("HostGraphics")) == 3
    assert len(mock.of_kind("VgpuTemplate")) == 1
    assert len(mock.of_kind("Blueprint")) == 2
    assert len(mock.of_kind("CatalogService")) == 1
    assert outputs["catalogItemIds"] == {
        "tensorflow-gpu": "item-tensorflow-gpu-item",
        "pytorch-gpu": "item-pytorch-gpu-item",
    }
    assert outputs["slotCapacity"]["pools"]["p100-pool"] == {
        "slotsPerGpu": 4, "slotsPerHost": 4, "slotsTotal": 12, "vcpusPerVm": 4,
        "coresPerSocket": 4,
    }
    assert outputs["slotCapacity"]["offerings"]["tensorflow-gpu"] == {
        "pool": "p100-pool", "maxInstances": 4,
    }
    assert outputs["templateNames"] == {"p100-pool": "mlaas-vgpu-p100-pool-abc123"}
    assert outputs["customizationSpecName"] == "gpu-mlaas-linux"


def test_resource_inputs_follow_the_plan() -> None:
    mock = RecordingMocks()
    run_program(mock, dev_config())
    template = mock.of_kind("VgpuTemplate")[0].inputs
    assert template["vgpuProfile"] == "grid_p100-4q"
    assert (template["numCpus"], template["coresPerSocket"], template["memoryMb"]) == (4, 4, 32768)
    assert template["memoryReservationLockedToMax"] is True
    blueprints = {r.inputs["name"]: r.inputs for r in mock.of_kind("Blueprint")}
    blueprint = blueprints["tensorflow-gpu"]
    assert blueprint["cloneType"] == "FullClone"
    assert (blueprint["cpu"], blueprint["memoryMb"], blueprint["maxInstances"]) == (4, 32768, 4)
    assert blueprint["customProperties"] == {"VMware.Memory.Reservation": "32768"}
    assert blueprint["templateName"] == "mlaas-vgpu-p100-pool-abc123"
    assert blueprint["endpoint"] == {"url": "https://127.0.0.1:18443", "tenant": "vsphere.local",
                                     "insecure": False}
    spec = mock.of_kind("GuestOsCustomization")[0].inputs
    assert spec["type"] == "Linux"
    assert spec["spec"]["linuxOptions"]["domain"] == "lab.local"
    hosts = {r.inputs["hostName"] for r in mock.of_kind("HostGraphics")}
    assert hosts == {"DC0_C0_H0", "DC0_C0_H1", "DC0_C0_H2"}


def test_dynamic_providers_are_stored_by_reference_without_secrets() -> None:
    mock = RecordingMocks()
    run_program(mock, dev_config())
    for resource in mock.resources:
        if resource.typ.startswith("pulumi-python:dynamic"):
            blob = resource.inputs["__provider"]
            assert isinstance(blob, str), f"{resource.typ} provider is secret-wrapped"
            assert len(blob) < 400, f"{resource.typ} provider pickled by value"


def test_cpu_only_offering_clones_the_base_image_without_reservation() -> None:
    offerings = [{"name": "cpu", "maxInstances": 2}]
    mock = RecordingMocks()
    outputs = run_program(mock, dev_config(**{"gpu-mlaas:offerings": offerings}))
    blueprint = mock.of_kind("Blueprint")[0].inputs
    assert blueprint["templateName"] == "ubuntu-base"
    assert "pool" not in blueprint
    assert blueprint.get("customProperties", {}) == {}
    assert mock.of_kind("VgpuTemplate") == []
    assert outputs["catalogItemIds"] == {"cpu": "item-cpu-item"}


def test_host_contradicting_the_pool_config_fails_clearly() -> None:
    with pytest.raises(Exception, match="hostCores 16, vSphere reports 8"):
        run_program(RecordingMocks(host_cores=8), dev_config())


def test_invalid_config_stops_before_any_resource() -> None:
    pools = [{"name": "p", "cluster": "c", "hosts": [], "vgpuProfile": "grid_p100-4q"}]
    mock = RecordingMocks()
    with pytest.raises(pulumi.RunError, match=r"gpu-mlaas:pools\[0\]\.hosts"):
        run_program(mock, dev_config(**{"gpu-mlaas:pools": pools}))
    assert mock.resources == []


def test_plain_vsphere_password_is_refused() -> None:
    mock = RecordingMocks()
    with pytest.raises(pulumi.RunError, match="vsphere:password must be a secret"):
        run_program(mock, dev_config(**{"vsphere:password": "hunter2"}))
    assert [r for r in mock.resources if r.custom] == []


def test_secret_vsphere_password_reaches_the_provider_as_a_secret() -> None:
    mock = RecordingMocks()
    run_program(mock, dev_config(**{"vsphere:password": "hunter2"}), ["vsphere:password"])
    provider = next(r for r in mock.resources if r.typ == "pulumi:providers:vsphere")
    assert provider.inputs["vsphereServer"] == "127.0.0.1:18989"
    # the SDK sends provider settings as strings
    assert provider.inputs["allowUnverifiedSsl"] == "false"
    # secret-wrapped on the wire: the engine stores it encrypted
    password = provider.inputs["password"]
    assert password["4dabf18193072939515e22adb298388d"] == "1b47061264138c4ac30d75fd1eb44270"
