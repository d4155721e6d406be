"""`HostGraphics`: one ESXi host's GPUs running NVIDIA vGPU, with the pool's profile offered.

Type token `pulumi-python:dynamic/vsphere:HostGraphics`; the resource id is the host's moid.
A host keeps two graphics types per GPU (docs/vsphere-vgpu.md, "Host changes that take effect"):
the configured one (`config.graphicsConfig`, set with `HostGraphicsManager.UpdateGraphicsConfig`)
and the active one (`config.graphicsInfo[].graphicsType`), which follows only after the X.Org
service restarts or the host reboots. Create and update set the host default type `sharedDirect`
(esxcli's "SharedPassthru") and the assignment policy, keep the admin's per-device overrides,
restart X.Org through `HostServiceSystem` when a GPU's active type lags (only with no VM powered
on, or in maintenance mode when the pool asks for it), and wait with a deadline until the host
driver lists the profile. A correct change is never rolled back.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from typing import Any, Literal

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, UpdateResult
from pydantic import BaseModel, ConfigDict, Field, StrictBool
from pyVmomi import vim, vmodl

from mlaas.host_facts import OUTPUT_KEYS, HostFacts
from mlaas.profiles import match_offered
from providers.base import NonEmpty, SchemaResource
from providers.vsphere import client, host_driver
from providers.vsphere.base import VsphereProvider
from providers.vsphere.host_driver import VgpuManager

log = logging.getLogger(__name__)

VGPU_GRAPHICS_TYPE = "sharedDirect"
XORG_SERVICE = "xorg"
DEFAULT_POLICY: Literal["performance", "consolidation"] = "performance"
DEFAULT_CHANGE_TIMEOUT_S = 600.0
POLL_S = 0.5

HOST_PATHS = (
    "name",
    "runtime.connectionState",
    "runtime.inMaintenanceMode",
    "configManager.graphicsManager",
    "configManager.serviceSystem",
    "configManager.imageConfigManager",
    "config.graphicsConfig",
    "config.sharedPassthruGpuTypes",
    "config.graphicsInfo",
    "config.powerSystemInfo",
    "hardware.cpuInfo",
    "hardware.memorySize",
    "vm",
)



class HostGraphicsInputs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hostName: NonEmpty
    pool: NonEmpty
    vgpuProfile: NonEmpty
    # vSphere's HostGraphicsConfigSharedPassthruAssignmentPolicy values.
    assignmentPolicy: Literal["performance", "consolidation"] = DEFAULT_POLICY
    # Enter maintenance mode (DRS evacuates the VMs) when X.Org must restart with VMs running.
    maintenanceMode: StrictBool = False
    # Deadline of maintenance mode and of the wait for the host to list the profile.
    changeTimeoutSeconds: float = Field(default=DEFAULT_CHANGE_TIMEOUT_S, gt=0, le=86400)


# One host change at a time per pool when X.Org restarts or maintenance mode is involved: the
# engine runs the pool's hosts in parallel, and a pool must never lose two hosts at once.
_pool_locks: dict[str, threading.Lock] = {}
_pool_locks_guard = threading.Lock()


def _pool_lock(pool: str) -> threading.Lock:
    with _pool_locks_guard:
        return _pool_locks.setdefault(pool, threading.Lock())


def _configured_type(config: Any, pci_id: str) -> str | None:
    """The configured graphics type of one GPU: its per-device override, or the host default."""
    if config is None:
        return None
    for device in config.deviceType or []:
        if device.deviceId == pci_id:
            return str(device.graphicsType)
    return str(config.hostDefaultGraphicsType)


def _is_nvidia(info: Any) -> bool:
    return "nvidia" in (info.vendorName or "").lower()


def _gpu_devices(props: Mapping[str, Any]) -> list[dict[str, Any]]:
    config = props.get("config.graphicsConfig")
    return [
        {
            "deviceName": info.deviceName,
            "vendorName": info.vendorName,
            "pciId": info.pciId,
            "memoryMb": int(info.memorySizeInKB or 0) // 1024,
            "configuredType": _configured_type(config, info.pciId),
            "activeType": info.graphicsType,
        }
        for info in props.get("config.graphicsInfo") or []
    ]


def host_facts(
    spec: HostGraphicsInputs, props: Mapping[str, Any], driver: VgpuManager | None
) -> HostFacts:
    """The host as vSphere reports it (mlaas.host_facts.HostFacts). Only GPUs whose active type
    is vGPU count; the others are listed in `otherModeGpus`."""
    config = props.get("config.graphicsConfig")
    nvidia = [d for d in _gpu_devices(props) if "nvidia" in (d["vendorName"] or "").lower()]
    vgpu = [d for d in nvidia if d["activeType"] == VGPU_GRAPHICS_TYPE]
    models = sorted({d["deviceName"] for d in vgpu})
    cpu = props.get("hardware.cpuInfo")
    power = props.get("config.powerSystemInfo")
    offered = list(props.get("config.sharedPassthruGpuTypes") or [])
    return HostFacts(
        host_name=spec.hostName,
        graphics_type=config.hostDefaultGraphicsType if config else None,
        assignment_policy=spec.assignmentPolicy,
        gpu_model=", ".join(models) if models else None,
        gpu_count=len(vgpu),
        other_mode_gpus=[
            {"pciId": d["pciId"], "activeType": d["activeType"]}
            for d in nvidia
            if d["activeType"] != VGPU_GRAPHICS_TYPE
        ],
        physical_cores=int(cpu.numCpuCores) if cpu else None,
        sockets=int(cpu.numCpuPackages) if cpu else None,
        memory_gb=round(int(props.get("hardware.memorySize") or 0) / 2**30),
        power_policy=power.currentPolicy.shortName if power and power.currentPolicy else None,
        # Some GPU serves shared graphics (vSGA or vGPU) right now.
        shared_graphics_active=any(
            d["activeType"] in ("shared", VGPU_GRAPHICS_TYPE) for d in nvidia
        ),
        offered_profiles=offered,
        host_profile=match_offered(spec.vgpuProfile, offered),
        driver_package=driver.package if driver else None,
        driver_version=driver.version if driver else None,
    )


def _lagging(props: Mapping[str, Any]) -> list[str]:
    """PCI ids of NVIDIA GPUs configured for vGPU whose active type is still another one."""
    config = props.get("config.graphicsConfig")
    return [
        info.pciId
        for info in props.get("config.graphicsInfo") or []
        if _is_nvidia(info)
        and _configured_type(config, info.pciId) == VGPU_GRAPHICS_TYPE
        and info.graphicsType != VGPU_GRAPHICS_TYPE
    ]


def _not_offered(host: str, profile: str, offered: list[str]) -> client.VsphereError:
    listed = ", ".join(offered) if offered else "none"
    return client.VsphereError(
        f"the NVIDIA host driver on {host} does not offer {profile} (offered: {listed})"
    )


class _Host:
    """One host being converged: its moref, its last read properties and the inputs."""

    def __init__(self, si: vim.ServiceInstance, spec: HostGraphicsInputs) -> None:
        self.si, self.spec = si, spec
        self.name = spec.hostName
        self.ref, props = client.find_host(si, self.name, HOST_PATHS)
        self.props: dict[str, Any] = props
        self.deadline = time.monotonic() + spec.changeTimeoutSeconds

    def reread(self) -> dict[str, Any]:
        props = client.properties(self.si, self.ref, HOST_PATHS)
        if props is None:
            raise client.VsphereError(f"host {self.name} disappeared while being configured")
        self.props = props
        return props

    def offered(self) -> list[str]:
        return list(self.props.get("config.sharedPassthruGpuTypes") or [])

    def require_connected(self) -> None:
        state = str(self.props.get("runtime.connectionState") or "unknown")
        if state != "connected":
            raise client.VsphereError(
                f"host {self.name} is {state} from vCenter: its graphics cannot be read or "
                "changed; reconnect it (vSphere Client: Connection > Connect) or take it out of "
                f"pool {self.spec.pool!r}, then run `pulumi up` again"
            )

    def running_vms(self) -> list[str]:
        names = []
        for vm in self.props.get("vm") or []:
            props = client.properties(self.si, vm, ["name", "runtime.powerState"]) or {}
            if props.get("runtime.powerState") == vim.VirtualMachine.PowerState.poweredOn:
                names.append(str(props.get("name")))
        return sorted(names)

    def configure_graphics(self) -> bool:
        """Set the host default type and policy if they differ; True when something changed."""
        before = self.props.get("config.graphicsConfig")
        policy = self.spec.assignmentPolicy
        if (
            before is not None
            and before.hostDefaultGraphicsType == VGPU_GRAPHICS_TYPE
            and before.sharedPassthruAssignmentPolicy == policy
        ):
            return False
        gm = self.props["configManager.graphicsManager"]
        config = vim.host.GraphicsConfig(
            hostDefaultGraphicsType=VGPU_GRAPHICS_TYPE,
            sharedPassthruAssignmentPolicy=policy,
            # Per-device overrides are the admin's; keep them as they are.
            deviceType=list(before.deviceType or []) if before is not None else [],
        )
        log.info("setting host %s graphics to %s / %s", self.name, VGPU_GRAPHICS_TYPE, policy)
        with client.explain(f"setting graphics type {VGPU_GRAPHICS_TYPE} on host {self.name}"):
            gm.UpdateGraphicsConfig(config)
        try:
            gm.RefreshGraphicsManager()
        except vmodl.fault.MethodNotFound:
            log.debug("host %s has no RefreshGraphicsManager; reading the config as is", self.name)
        except vmodl.MethodFault as exc:
            raise client.VsphereError(
                f"refreshing graphics of host {self.name} failed: {client.describe_fault(exc)}"
            ) from exc
        self.reread()
        return True

    def activate(self) -> None:
        """Restart X.Org so every GPU runs its configured type; one host of a pool at a time."""
        lagging = _lagging(self.props)
        if not lagging:
            return
        with _pool_lock(self.spec.pool):
            running = self.running_vms()
            entered = False
            try:
                if running and self.spec.maintenanceMode:
                    entered = self._enter_maintenance()
                    running = self.running_vms()
                if running:
                    hint = (
                        "maintenance mode did not move them away (is DRS fully automated?)"
                        if entered
                        else f"or set maintenanceMode: true on pool {self.spec.pool!r}"
                    )
                    raise client.VsphereError(
                        f"host {self.name}: GPU(s) {', '.join(lagging)} are configured for vGPU "
                        "but still run in another mode, and X.Org can only restart with no VM "
                        f"powered on; running: {', '.join(running)}. Power them off or move "
                        f"them to another host ({hint}), then run `pulumi up` again"
                    )
                self._restart_xorg()
            finally:
                if entered:
                    self._exit_maintenance()

    def _restart_xorg(self) -> None:
        services = self.props.get("configManager.serviceSystem")
        if services is None:
            raise client.VsphereError(f"host {self.name} has no service system to restart X.Org")
        log.info("restarting %s on host %s so the vGPU mode takes effect", XORG_SERVICE, self.name)
        with client.explain(f"restarting {XORG_SERVICE} on host {self.name}"):
            services.RestartService(id=XORG_SERVICE)
        self.reread()

    def _remaining(self) -> float:
        return max(self.deadline - time.monotonic(), 1.0)

    def _enter_maintenance(self) -> bool:
        if self.props.get("runtime.inMaintenanceMode"):
            return False
        action = f"entering maintenance mode on host {self.name}"
        log.info("%s (VMs are evacuated by DRS)", action)
        with client.explain(action):
            task = self.ref.EnterMaintenanceMode_Task(
                timeout=int(self._remaining()), evacuatePoweredOffVms=False
            )
        client.wait_for_task(self.si, task, action, timeout=self._remaining())
        self.reread()
        return True

    def _exit_maintenance(self) -> None:
        action = f"leaving maintenance mode on host {self.name}"
        with client.explain(action):
            task = self.ref.ExitMaintenanceMode_Task(timeout=int(self._remaining()))
        client.wait_for_task(self.si, task, action, timeout=self._remaining())
        self.reread()

    def wait_for_profile(self) -> str:
        """The host's spelling of the profile, once its driver lists it. An empty list may still
        be filling after the mode change, so that is waited for (deadline, no rollback: the
        change is right and stays); a list without the profile is final."""
        profile = self.spec.vgpuProfile
        while True:
            offered = self.offered()
            spelled = match_offered(profile, offered)
            if spelled is not None:
                return spelled
            if offered or time.monotonic() >= self.deadline:
                raise _not_offered(self.name, profile, offered)
            time.sleep(POLL_S)
            self.reread()


def _outputs(
    ref: Any, spec: HostGraphicsInputs, props: Mapping[str, Any], driver: VgpuManager | None
) -> dict[str, Any]:
    config = props.get("config.graphicsConfig")
    outs: dict[str, Any] = spec.model_dump()
    outs.update(host_facts(spec, props, driver).output())
    outs["hostId"] = ref._moId
    outs["currentAssignmentPolicy"] = config.sharedPassthruAssignmentPolicy if config else None
    outs["gpuDevices"] = _gpu_devices(props)
    return outs


def converge(spec: HostGraphicsInputs) -> tuple[str, dict[str, Any]]:
    """Bring the named host to vGPU mode with the policy and the profile offered."""

    def op(si: vim.ServiceInstance) -> tuple[str, dict[str, Any]]:
        host = _Host(si, spec)
        host.require_connected()
        if host.props.get("configManager.graphicsManager") is None:
            raise client.VsphereError(f"host {host.name} has no graphics manager (no GPU support)")
        # The driver first: without the vGPU Manager no profile will ever be offered.
        driver = host_driver.require(
            host.name, host.props.get("configManager.imageConfigManager"), spec.pool
        )
        # A host may list its profiles before vGPU mode is on; if so, refuse before any change.
        offered = host.offered()
        if offered and match_offered(spec.vgpuProfile, offered) is None:
            raise _not_offered(host.name, spec.vgpuProfile, offered)
        if not host.configure_graphics():
            log.info("host %s is already configured for vGPU (%s)", host.name,
                     spec.assignmentPolicy)
        host.activate()
        host.wait_for_profile()
        return host.ref._moId, _outputs(host.ref, spec, host.props, driver)

    return client.run(op)


class HostGraphicsProvider(VsphereProvider):
    """Dynamic provider for `HostGraphics`."""

    kind = "vsphere:HostGraphics"
    inputs_model = HostGraphicsInputs
    replace_keys = ("hostName",)
    # The host facts record (mlaas.host_facts.HostFacts) plus what only this resource reports.
    output_keys = (
        "hostId",
        *(key for key in OUTPUT_KEYS if key not in HostGraphicsInputs.model_fields),
        "currentAssignmentPolicy",
        "gpuDevices",
    )

    def drifted(self, olds: dict[str, Any]) -> bool:
        # Someone switched the host out of vGPU mode, or a GPU still runs another mode (seen by
        # refresh): put it right.
        graphics_type = olds.get("graphicsType")
        if graphics_type is not None and graphics_type != VGPU_GRAPHICS_TYPE:
            return True
        # The vGPU Manager was removed (a refresh read none): update, which says so.
        if "driverVersion" in olds and olds["driverVersion"] is None:
            return True
        return any(
            d.get("configuredType") == VGPU_GRAPHICS_TYPE
            and d.get("activeType") not in (None, VGPU_GRAPHICS_TYPE)
            and "nvidia" in str(d.get("vendorName") or "").lower()
            for d in olds.get("gpuDevices") or []
            if isinstance(d, dict)
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        host_id, outs = converge(self.parse(props))
        return CreateResult(host_id, outs)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        _host_id, outs = converge(self.parse(news))
        return UpdateResult(outs)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        def outputs(host: Any, current: dict[str, Any]) -> dict[str, Any]:
            config = current.get("config.graphicsConfig")
            spec = self.parse(
                {
                    **self.inputs_of(props),
                    "hostName": current["name"],
                    "assignmentPolicy": (
                        config.sharedPassthruAssignmentPolicy
                        if config is not None
                        else props.get("assignmentPolicy")
                    ),
                }
            )
            driver = host_driver.installed(
                str(current["name"]), current.get("configManager.imageConfigManager")
            )
            return _outputs(host, spec, current, driver)

        what = f"host {props.get('hostName')}"
        return self.read_object(id_, vim.HostSystem, HOST_PATHS, what, outputs)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        # Switching a production host back out of vGPU mode would stop its running vGPU VMs,
        # so removing the resource only stops managing the host.
        log.warning(
            "leaving host %s (%s) in graphics mode %s: switching it back would stop its vGPU VMs",
            props.get("hostName"),
            id_,
            props.get("graphicsType"),
        )


class HostGraphics(SchemaResource, module="vsphere", name="HostGraphics"):
    """An ESXi host switched to NVIDIA vGPU mode; its GPU and CPU facts are the outputs named
    in `HostGraphicsProvider.output_keys` (components read them by name)."""

    provider_class = HostGraphicsProvider

    def __init__(self, resource_name: str, *, host_name: pulumi.Input[str], pool: pulumi.Input[str],
                 vgpu_profile: pulumi.Input[str],
                 assignment_policy: pulumi.Input[str] = DEFAULT_POLICY,
                 maintenance_mode: pulumi.Input[bool] = False,
                 change_timeout_seconds: pulumi.Input[float] = DEFAULT_CHANGE_TIMEOUT_S,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(resource_name, locals(), opts)
