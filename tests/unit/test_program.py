"""The program and its components under `pulumi.runtime.set_mocks`: what gets declared, with
which inputs, and the stack outputs. Providers are not run here (see tests/e2e)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
import pytest
from pulumi.runtime import mocks

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
    assert outputs["templateNames"] == {"p100-pool": "mlaas-vgpu-dev-p100-pool-abc123"}
    assert outputs["customizationSpecName"] == "gpu-mlaas-linux"


def test_resource_inputs_follow_the_plan() -> None:
    mock = RecordingMocks()
    run_program(mock, dev_config())
    template = mock.of_kind("VgpuTemplate")[0].inputs
    assert template["vgpuProfile"] == "grid_p100-4q"
    assert (template["numCpus"], template["coresPerSocket"], template["memoryMb"]) == (4, 4, 32768)
    assert template["memoryReservationLockedToMax"] is True
    # A 4 GB Q profile needs neither 64-bit MMIO nor EFI; every vGPU needs vmx-11 or later.
    assert (template["extraConfig"], template.get("firmware")) == ({}, None)
    assert template["minHardwareVersion"] == 11
    assert template["owner"] == "gpu-mlaas/dev/templates-p100-pool"
    assert template["acceptanceTest"] is True  # on in the dev stack
    blueprints = {r.inputs["name"]: r.inputs for r in mock.of_kind("Blueprint")}
    blueprint = blueprints["tensorflow-gpu"]
    assert blueprint["cloneType"] == "FullClone"
    assert (blueprint["cpu"], blueprint["memoryMb"], blueprint["maxInstances"]) == (4, 32768, 4)
    assert blueprint["customProperties"] == {"VMware.Memory.Reservation": "32768"}
    assert blueprint["templateName"] == "mlaas-vgpu-dev-p100-pool-abc123"
    assert blueprint["endpoint"] == {"url": "https://127.0.0.1:18443", "tenant": "vsphere.local",
                                     "insecure": False}
    spec = mock.of_kind("CustomizationSpec")[0].inputs
    assert (spec["name"], spec["domain"], spec["timeZone"]) == (
        "gpu-mlaas-linux", "lab.local", "Etc/UTC",
    )
    assert spec["owner"] == "gpu-mlaas/dev/templates-linux"
    assert [r.typ for r in mock.resources if r.typ.startswith("vsphere:")
            or r.typ == "pulumi:providers:vsphere"] == []  # no pulumi-vsphere resource left
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


def test_secret_vsphere_password_never_reaches_a_resource_input() -> None:
    mock = RecordingMocks()
    run_program(mock, dev_config(**{"vsphere:password": "hunter2"}), ["vsphere:password"])
    # The dynamic providers read it from the stack config in configure(); no input carries it.
    assert not [r for r in mock.resources if "hunter2" in repr(r.inputs)]


def test_a100_pool_template_gets_the_hosts_spelling_and_large_bar_prerequisites() -> None:
    class A100Mocks(RecordingMocks):
        def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
            id_, outs = super().new_resource(args)
            if args.typ.endswith(":HostGraphics"):
                outs |= {"hostProfile": "nvidia_a100-20c", "gpuModel": "NVIDIA A100-PCIE-40GB"}
            return id_, outs

    pools = dev_config_values()["gpu-mlaas:pools"]
    pools[0] = {**pools[0], "vgpuProfile": "grid_a100-20c"}
    offerings = [{"name": "a100-compute", "pool": "p100-pool", "maxInstances": 2,
                  "memoryGb": 64}]
    mock = A100Mocks()
    run_program(mock, dev_config(**{"gpu-mlaas:pools": pools, "gpu-mlaas:offerings": offerings}))
    template = mock.of_kind("VgpuTemplate")[0].inputs
    assert template["vgpuProfile"] == "nvidia_a100-20c"  # the hosts' string, not the config's
    assert template["firmware"] == "efi"
    assert template["extraConfig"] == {
        "pciPassthru.use64bitMMIO": "TRUE", "pciPassthru.64bitMMIOSizeGB": "64",
    }


def test_hosts_of_a_pool_spelling_the_profile_differently_fail_naming_them() -> None:
    class MixedMocks(RecordingMocks):
        def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
            id_, outs = super().new_resource(args)
            if args.typ.endswith(":HostGraphics") and args.inputs["hostName"] == "DC0_C0_H2":
                outs["hostProfile"] = "nvidia_p100-4q"
            return id_, outs

    with pytest.raises(Exception, match=r"spell the vGPU profile differently \(DC0_C0_H0="
                       r"grid_p100-4q, DC0_C0_H1=grid_p100-4q, DC0_C0_H2=nvidia_p100-4q\)"):
        run_program(MixedMocks(), dev_config())


def test_template_names_and_owners_include_the_stack() -> None:
    names = {}
    for stack in ("dev", "prod"):
        mock = RecordingMocks()
        run_program(mock, dev_config(), stack=stack)
        template = mock.of_kind("VgpuTemplate")[0].inputs
        names[stack] = template["name"]
        assert template["owner"] == f"gpu-mlaas/{stack}/templates-p100-pool"
        assert mock.of_kind("CustomizationSpec")[0].inputs["owner"] == (
            f"gpu-mlaas/{stack}/templates-linux"
        )
    assert names == {"dev": "mlaas-vgpu-dev-p100-pool", "prod": "mlaas-vgpu-prod-p100-pool"}
