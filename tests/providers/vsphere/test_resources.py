"""The Resource classes as the program declares them, under mocks: type tokens, camelCase
inputs, and a plain (not secret) `__provider` that names the provider class."""

from __future__ import annotations

import base64
from typing import Any

import pulumi
import pytest

from providers.base import SchemaResource
from providers.vsphere.customization_spec import CustomizationSpec
from providers.vsphere.host_graphics import HostGraphics
from providers.vsphere.vgpu_template import VgpuTemplate
from tests.support.program import EchoMocks, install_echo_mocks

# (class, constructor arguments, the inputs they must register, provider module)
RESOURCES: list[tuple[type[SchemaResource], dict[str, Any], dict[str, Any], bytes]] = [
    (HostGraphics,
     {"host_name": "esx-01", "pool": "p100", "vgpu_profile": "grid_p100-4q",
      "assignment_policy": "consolidation"},
     {"hostName": "esx-01", "pool": "p100", "vgpuProfile": "grid_p100-4q",
      "assignmentPolicy": "consolidation", "maintenanceMode": False},
     b"host_graphics"),
    (VgpuTemplate,
     {"name": "tf", "datacenter": "DC0", "cluster": "C0", "datastore": "DS0",
      "base_image": "ubuntu", "vgpu_profile": "grid_p100-4q", "num_cpus": 8,
      "cores_per_socket": 4, "memory_mb": 16384, "extra_config": {"a": "b"}},
     {"baseImage": "ubuntu", "numCpus": 8, "coresPerSocket": 4, "memoryMb": 16384,
      "memoryReservationLockedToMax": True, "extraConfig": {"a": "b"}},
     b"vgpu_template"),
    (CustomizationSpec,
     {"name": "linux", "domain": "lab.local", "time_zone": "Europe/Berlin"},
     {"name": "linux", "domain": "lab.local", "timeZone": "Europe/Berlin",
      "hwClockUtc": True},
     b"customization_spec"),
]


@pytest.fixture
def recorder() -> EchoMocks:
    return install_echo_mocks()


@pytest.mark.parametrize(("cls", "arguments", "expected", "module"), RESOURCES,
                         ids=lambda value: getattr(value, "__name__", None))
@pulumi.runtime.test
def test_resource_registers_its_token_and_camel_case_inputs(
    recorder: EchoMocks, cls: type[SchemaResource], arguments: dict[str, Any],
    expected: dict[str, Any], module: bytes,
) -> Any:
    resource = cls("r0", **arguments)

    def check(_: Any) -> None:
        registered = recorder.resources["r0"]
        assert registered.typ == f"pulumi-python:dynamic/vsphere:{cls.__name__}"
        assert {k: registered.inputs.get(k) for k in expected} == expected
        blob = registered.inputs["__provider"]
        assert isinstance(blob, str)  # plain: serialize_as_secret_always is False
        assert module in base64.b64decode(blob)

    return resource.urn.apply(check)
