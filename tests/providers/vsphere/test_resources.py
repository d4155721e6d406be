"""The Resource classes as the program declares them, under mocks: type tokens, camelCase
inputs, and a plain (not secret) `__provider` that names the provider class."""

from __future__ import annotations

import base64
from typing import Any

import pulumi
import pytest

from providers.vsphere.host_graphics import HostGraphics
from providers.vsphere.vgpu_template import VgpuTemplate
from tests.support.program import EchoMocks, install_echo_mocks


@pytest.fixture
def recorder() -> EchoMocks:
    return install_echo_mocks()


@pulumi.runtime.test
def test_resources_register_their_tokens_and_camel_case_inputs(recorder: EchoMocks) -> Any:
    graphics = HostGraphics(
        "h0",
        host_name="esx-01",
        pool="p100",
        vgpu_profile="grid_p100-4q",
        assignment_policy="consolidation",
    )
    template = VgpuTemplate(
        "tf",
        name="tf",
        datacenter="DC0",
        cluster="C0",
        datastore="DS0",
        base_image="ubuntu",
        vgpu_profile="grid_p100-4q",
        num_cpus=8,
        cores_per_socket=4,
        memory_mb=16384,
        extra_config={"a": "b"},
    )

    def check(_: Any) -> None:
        h0, tf = recorder.resources["h0"], recorder.resources["tf"]
        assert h0.typ == "pulumi-python:dynamic/vsphere:HostGraphics"
        assert tf.typ == "pulumi-python:dynamic/vsphere:VgpuTemplate"
        assert {"hostName", "pool", "vgpuProfile", "assignmentPolicy"} <= set(h0.inputs)
        assert h0.inputs["assignmentPolicy"] == "consolidation"
        assert {
            "baseImage",
            "numCpus",
            "coresPerSocket",
            "memoryMb",
            "memoryReservationLockedToMax",
            "extraConfig",
        } <= set(tf.inputs)
        assert tf.inputs["memoryReservationLockedToMax"] is True
        for args, module in ((h0, b"host_graphics"), (tf, b"vgpu_template")):
            blob = args.inputs["__provider"]
            assert isinstance(blob, str)  # plain: serialize_as_secret_always is False
            assert module in base64.b64decode(blob)

    return pulumi.Output.all(graphics.urn, template.urn).apply(check)
