"""Realistic resources for the policy tests, as the analyzer would hand them to a rule.

Props pass through pulumi-policy's `unknown_checking_proxy`, exactly as in `Analyze`, so a test
that puts `UNKNOWN_*` sentinels in them sees preview behaviour.
"""

from __future__ import annotations

import asyncio
from inspect import isawaitable
from typing import Any

from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import unknown_checking_proxy

from policy import rules
from tests.support.dynamic_host import urn as resource_urn

PROJECT = "gpu-mlaas"
ENDPOINT = {"url": "https://vra.example.test", "tenant": "vsphere.local", "insecure": False}


def urn(kind: str, name: str, stack: str = "prod") -> str:
    """Policy cases run on a production stack unless they say otherwise."""
    return resource_urn(kind, name, stack, PROJECT)


def _options() -> PolicyResourceOptions:
    return PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)


def resource_args(
    kind: str,
    props: dict[str, Any],
    name: str = "r",
    stack: str = "prod",
    config: dict[str, Any] | None = None,
    provider: PolicyProviderResource | None = None,
) -> ResourceValidationArgs:
    return ResourceValidationArgs(
        kind,
        unknown_checking_proxy(props),
        urn(kind, name, stack),
        name,
        _options(),
        provider,
        config,
    )


def policy_resource(kind: str, props: dict[str, Any], name: str) -> PolicyResource:
    return PolicyResource(
        kind, unknown_checking_proxy(props), urn(kind, name), name, _options(), None, None, [], {}
    )


def violations(
    policy: ResourceValidationPolicy | StackValidationPolicy,
    args: ResourceValidationArgs | StackValidationArgs,
) -> list[tuple[str, str | None]]:
    """Run a policy's validation as the analyzer does and collect (message, urn) pairs."""
    found: list[tuple[str, str | None]] = []

    def report(message: str, urn: str | None = None) -> None:
        found.append((message, urn))

    result = policy.validate(args, report)  # type: ignore[arg-type]
    if isawaitable(result):
        asyncio.run(result)  # type: ignore[arg-type]
    return found


def stack(*resources: PolicyResource) -> StackValidationArgs:
    return StackValidationArgs(list(resources), None)


def host_props(name: str = "esx-01.lab", pool: str = "p100", **changes: Any) -> dict[str, Any]:
    """Outputs of a HostGraphics resource for a 2-socket, 16-core host with one Tesla P100."""
    props: dict[str, Any] = {
        "hostName": name,
        "pool": pool,
        "vgpuProfile": "grid_p100-4q",
        "assignmentPolicy": "performance",
        "graphicsType": "sharedDirect",
        "offeredProfiles": ["grid_p100-1q", "grid_p100-2q", "grid_p100-4q", "grid_p100-8q"],
        "gpuDevices": [
            {
                "deviceName": "Tesla P100-PCIE-16GB",
                "vendorName": "NVIDIA Corporation",
                "pciId": "0000:3b:00.0",
                "memoryMb": 16384,
            }
        ],
        "gpuCount": 1.0,  # numbers cross gRPC as floats
        "gpuModel": "Tesla P100-PCIE-16GB",
        "physicalCores": 16.0,
        "sockets": 2.0,
        "memoryGb": 256.0,
        "powerPolicy": "static",
        "sharedGraphicsActive": True,
        "driverPackage": "NVD-VGPU-800 550.127.06-1OEM.800.1.0.20613240",
        "driverVersion": "550.127.06",
        "hostId": "host-21",
    }
    props.update(changes)
    return props


def hosts(*props: dict[str, Any]) -> list[PolicyResource]:
    return [
        policy_resource(rules.HOST_GRAPHICS, p, f"gpu-host-{i}") for i, p in enumerate(props)
    ]


def blueprint_props(**changes: Any) -> dict[str, Any]:
    """A vGPU blueprint as the TensorFlow offering builds it: 4 vCPUs, 16 GB, up to 4 machines."""
    props: dict[str, Any] = {
        "endpoint": dict(ENDPOINT),
        "name": "TensorFlow GPU",
        "pool": "p100",
        "templateName": "tf-gpu-template",
        "customizationSpec": "linux-dhcp",
        "cloneType": "FullClone",
        "cpu": 4.0,
        "memoryMb": 16384.0,
        "storageGb": 50.0,
        "maxInstances": 4.0,
        "softwareComponentId": "Software.TensorFlowGpu",
        "customProperties": {"VMware.Memory.Reservation": "16384"},
    }
    props.update(changes)
    return props


def template_props(**changes: Any) -> dict[str, Any]:
    props: dict[str, Any] = {
        "name": "tf-gpu-template",
        "datacenter": "DC0",
        "cluster": "gpu-cluster",
        "datastore": "LocalDS_0",
        "baseImage": "ubuntu-1604-base",
        "vgpuProfile": "grid_p100-4q",
        "numCpus": 4.0,
        "coresPerSocket": 4.0,
        "memoryMb": 16384.0,
        "memoryReservationLockedToMax": True,
        "extraConfig": {},
    }
    props.update(changes)
    return props


def vm_props(**changes: Any) -> dict[str, Any]:
    """Inputs of a pulumi-vsphere VirtualMachine (camelCase, as the engine sends them)."""
    props: dict[str, Any] = {
        "name": "ml-vm-01",
        "resourcePoolId": "resgroup-9",
        "datastoreId": "datastore-12",
        "numCpus": 4,
        "memory": 16384,
        "guestId": "ubuntu64Guest",
        "networkInterfaces": [{"networkId": "network-7"}],
        "disks": [{"label": "disk0", "size": 50}],
    }
    props.update(changes)
    return props
