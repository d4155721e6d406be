"""`HostGraphics`: one ESXi host's GPUs in NVIDIA vGPU mode, with the profile we need checked.

Type token `pulumi-python:dynamic/vsphere:HostGraphics`; the resource id is the host's moid.
Create and update call `HostGraphicsManager.UpdateGraphicsConfig` with the host default type
`sharedDirect` (esxcli's "SharedPassthru") and the assignment policy, then verify the NVIDIA host
driver offers the vGPU profile. The outputs carry the host facts that GPU sizing uses.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import pulumi
from pulumi.dynamic import (
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)
from pyVmomi import vim, vmodl

from mlaas.profiles import match as match_profile
from providers.vsphere import client
from providers.vsphere.checks import InputChecker

log = logging.getLogger(__name__)

VGPU_GRAPHICS_TYPE = "sharedDirect"
# vSphere's HostGraphicsConfigSharedPassthruAssignmentPolicy values, used as our input values.
ASSIGNMENT_POLICIES = ("performance", "consolidation")
DEFAULT_POLICY = "performance"
INPUT_KEYS = ("hostName", "pool", "vgpuProfile", "assignmentPolicy")

HOST_PATHS = (
    "name",
    "configManager.graphicsManager",
    "config.graphicsConfig",
    "config.sharedPassthruGpuTypes",
    "config.graphicsInfo",
    "config.powerSystemInfo",
    "hardware.cpuInfo",
    "hardware.memorySize",
)


def _gpu_devices(graphics_info: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "deviceName": info.deviceName,
            "vendorName": info.vendorName,
            "pciId": info.pciId,
            "memoryMb": int(info.memorySizeInKB or 0) // 1024,
        }
        for info in graphics_info
    ]


def host_facts(si: vim.ServiceInstance, host: Any, props: Mapping[str, Any]) -> dict[str, Any]:
    """The outputs vSphere reports for a host (everything except the user's inputs)."""
    config = props.get("config.graphicsConfig")
    devices = _gpu_devices(props.get("config.graphicsInfo") or [])
    nvidia = [d for d in devices if "nvidia" in (d["vendorName"] or "").lower()]
    models = sorted({d["deviceName"] for d in nvidia})
    cpu = props.get("hardware.cpuInfo")
    power = props.get("config.powerSystemInfo")
    gm = props.get("configManager.graphicsManager")
    active = None
    if gm is not None:
        with client.explain(f"asking host {props['name']} whether shared graphics is active"):
            active = bool(gm.IsSharedGraphicsActive())
    return {
        "hostId": host._moId,
        "graphicsType": config.hostDefaultGraphicsType if config else None,
        "currentAssignmentPolicy": config.sharedPassthruAssignmentPolicy if config else None,
        "offeredProfiles": list(props.get("config.sharedPassthruGpuTypes") or []),
        "gpuDevices": devices,
        "gpuCount": len(nvidia),
        "gpuModel": ", ".join(models) if models else None,
        "physicalCores": int(cpu.numCpuCores) if cpu else None,
        "sockets": int(cpu.numCpuPackages) if cpu else None,
        "memoryGb": round(int(props.get("hardware.memorySize") or 0) / 2**30),
        "powerPolicy": power.currentPolicy.shortName if power and power.currentPolicy else None,
        "sharedGraphicsActive": active,
    }


def _not_offered(host: str, profile: str, offered: list[str]) -> client.VsphereError:
    listed = ", ".join(offered) if offered else "none"
    return client.VsphereError(
        f"the NVIDIA host driver on {host} does not offer {profile} (offered: {listed})"
    )


def _outputs(inputs: Mapping[str, Any], facts: dict[str, Any]) -> dict[str, Any]:
    outs = {key: inputs.get(key) for key in INPUT_KEYS}
    outs.update(facts)
    outs["hostProfile"] = match_profile(str(inputs["vgpuProfile"]), facts["offeredProfiles"])
    return outs


def converge(inputs: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """Put the named host in vGPU mode with the policy, check the profile; return (moid, outs)."""
    host_name = inputs["hostName"]
    profile = inputs["vgpuProfile"]
    policy = inputs.get("assignmentPolicy") or DEFAULT_POLICY

    def op(si: vim.ServiceInstance) -> tuple[str, dict[str, Any]]:
        host, props = client.find_host(si, host_name, HOST_PATHS)
        gm = props.get("configManager.graphicsManager")
        if gm is None:
            raise client.VsphereError(f"host {host_name} has no graphics manager (no GPU support)")
        before = props.get("config.graphicsConfig")
        offered = list(props.get("config.sharedPassthruGpuTypes") or [])
        # A host may list its profiles before vGPU mode is on; if so, refuse before any change.
        if offered and match_profile(profile, offered) is None:
            raise _not_offered(host_name, profile, offered)

        in_mode = (
            before is not None
            and before.hostDefaultGraphicsType == VGPU_GRAPHICS_TYPE
            and before.sharedPassthruAssignmentPolicy == policy
        )
        if in_mode:
            log.info("host %s is already in vGPU mode (%s); adopting it", host_name, policy)
        else:
            _apply(gm, host_name, VGPU_GRAPHICS_TYPE, policy, before)

        after = client.properties(si, host, HOST_PATHS)
        if after is None:
            raise client.VsphereError(f"host {host_name} disappeared while being configured")
        offered = list(after.get("config.sharedPassthruGpuTypes") or [])
        if match_profile(profile, offered) is None:
            if not in_mode and before is not None:
                # Nothing can use vGPU mode yet, so going back is safe and leaves no half-change.
                _apply(
                    gm,
                    host_name,
                    before.hostDefaultGraphicsType,
                    before.sharedPassthruAssignmentPolicy,
                    before,
                )
            raise _not_offered(host_name, profile, offered)
        return host._moId, _outputs(inputs, host_facts(si, host, after))

    return client.run(op)


def _apply(gm: Any, host_name: str, graphics_type: str, policy: str, before: Any) -> None:
    config = vim.host.GraphicsConfig(
        hostDefaultGraphicsType=graphics_type,
        sharedPassthruAssignmentPolicy=policy,
        # Per-device overrides are the admin's; keep them as they are.
        deviceType=list(before.deviceType or []) if before is not None else [],
    )
    log.info("setting host %s graphics to %s / %s", host_name, graphics_type, policy)
    with client.explain(f"setting graphics type {graphics_type} on host {host_name}"):
        gm.UpdateGraphicsConfig(config)
    try:
        gm.RefreshGraphicsManager()
    except vmodl.fault.MethodNotFound:
        log.debug("host %s has no RefreshGraphicsManager; reading the config as is", host_name)
    except vmodl.MethodFault as exc:
        raise client.VsphereError(
            f"refreshing graphics of host {host_name} failed: {client.describe_fault(exc)}"
        ) from exc


class HostGraphicsProvider(ResourceProvider):
    """Dynamic provider for `HostGraphics`; holds no state (settings live in `client`)."""

    serialize_as_secret_always = False

    def configure(self, req: ConfigureRequest) -> None:
        client.configure(req.config)

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        checker = InputChecker(news)
        checker.text("hostName")
        checker.text("pool")
        checker.text("vgpuProfile")
        checker.choice("assignmentPolicy", ASSIGNMENT_POLICIES, default=DEFAULT_POLICY)
        return CheckResult(checker.inputs, checker.failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = [key for key in INPUT_KEYS if olds.get(key) != news.get(key)]
        # Someone switched the host out of vGPU mode (seen by refresh): put it back.
        graphics_type = olds.get("graphicsType")
        drifted = graphics_type is not None and graphics_type != VGPU_GRAPHICS_TYPE
        replaces = [key for key in changed if key == "hostName"]
        return DiffResult(
            changes=bool(changed) or drifted, replaces=replaces, delete_before_replace=False
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        host_id, outs = converge(props)
        return CreateResult(host_id, outs)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        _host_id, outs = converge(news)
        return UpdateResult(outs)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        def op(si: vim.ServiceInstance) -> ReadResult:
            host = client.moref(si, vim.HostSystem, id_)
            current = client.properties(si, host, HOST_PATHS)
            if current is None:
                log.info("host %s (%s) is gone", props.get("hostName"), id_)
                return ReadResult("", {})
            facts = host_facts(si, host, current)
            inputs = {
                "hostName": current["name"],
                "pool": props.get("pool"),
                "vgpuProfile": props.get("vgpuProfile"),
                "assignmentPolicy": facts["currentAssignmentPolicy"],
            }
            return ReadResult(id_, _outputs(inputs, facts), inputs)

        return client.run(op, read_only=True)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        # Switching a production host back out of vGPU mode would stop its running vGPU VMs,
        # so removing the resource only stops managing the host.
        log.warning(
            "leaving host %s (%s) in graphics mode %s: switching it back would stop its vGPU VMs",
            props.get("hostName"),
            id_,
            props.get("graphicsType"),
        )


class HostGraphics(Resource, module="vsphere", name="HostGraphics"):
    """An ESXi host switched to NVIDIA vGPU mode, with its GPU and CPU facts as outputs."""

    hostName: pulumi.Output[str]
    pool: pulumi.Output[str]
    vgpuProfile: pulumi.Output[str]
    assignmentPolicy: pulumi.Output[str]
    currentAssignmentPolicy: pulumi.Output[str]
    hostId: pulumi.Output[str]
    hostProfile: pulumi.Output[str]
    graphicsType: pulumi.Output[str]
    offeredProfiles: pulumi.Output[list[str]]
    gpuDevices: pulumi.Output[list[dict[str, Any]]]
    gpuCount: pulumi.Output[int]
    gpuModel: pulumi.Output[str]
    physicalCores: pulumi.Output[int]
    sockets: pulumi.Output[int]
    memoryGb: pulumi.Output[int]
    powerPolicy: pulumi.Output[str]
    sharedGraphicsActive: pulumi.Output[bool]

    def __init__(
        self,
        resource_name: str,
        *,
        host_name: pulumi.Input[str],
        pool: pulumi.Input[str],
        vgpu_profile: pulumi.Input[str],
        assignment_policy: pulumi.Input[str] = DEFAULT_POLICY,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props: dict[str, Any] = {
            "hostName": host_name,
            "pool": pool,
            "vgpuProfile": vgpu_profile,
            "assignmentPolicy": assignment_policy,
        }
        # Output-only keys start as None so they resolve from the provider's outputs.
        for key in (
            "hostId",
            "hostProfile",
            "graphicsType",
            "currentAssignmentPolicy",
            "offeredProfiles",
            "gpuDevices",
            "gpuCount",
            "gpuModel",
            "physicalCores",
            "sockets",
            "memoryGb",
            "powerPolicy",
            "sharedGraphicsActive",
        ):
            props[key] = None
        super().__init__(HostGraphicsProvider(), resource_name, props, opts)
