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
from providers.vsphere import client, host_driver, host_gpus
from providers.vsphere import host_maintenance as maintenance
from providers.vsphere.base import VsphereProvider
from providers.vsphere.host_driver import VgpuManager
from providers.vsphere.host_gpus import VGPU_GRAPHICS_TYPE

log = logging.getLogger(__name__)

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


def host_facts(
    spec: HostGraphicsInputs, props: Mapping[str, Any], driver: VgpuManager | None
) -> HostFacts:
    """The host as vSphere reports it (mlaas.host_facts.HostFacts). Only GPUs whose active type
    is vGPU count; the others are listed in `otherModeGpus`."""
    config = props.get("config.graphicsConfig")
    devices = host_gpus.gpu_devices(props)
    nvidia = [d for d in devices if "nvidia" in (d["vendorName"] or "").lower()]
    mig = host_gpus.wants_mig(spec.vgpuProfile)
    vgpu = [d for d in nvidia
            if d["activeType"] == VGPU_GRAPHICS_TYPE and host_gpus.in_pool_mode(d, mig)]
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
        # GPUs that give the pool no slot: not running vGPU, or in the other MIG mode.
        other_mode_gpus=[host_gpus.other_mode(d) for d in nvidia if d not in vgpu],
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
        self.entered_maintenance = False  # by this change, so left again at its end

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

    def running_vms(self) -> list[tuple[str, bool]]:
        """(name, has a vGPU) of each powered-on VM on the host, by name."""
        running = []
        for vm in self.props.get("vm") or []:
            props = client.properties(
                self.si, vm, ["name", "runtime.powerState", "config.hardware.device"]
            ) or {}
            if props.get("runtime.powerState") == vim.VirtualMachine.PowerState.poweredOn:
                vgpu = any(
                    isinstance(getattr(d, "backing", None),
                               vim.vm.device.VirtualPCIPassthrough.VmiopBackingInfo)
                    for d in props.get("config.hardware.device") or []
                )
                running.append((str(props.get("name")), vgpu))
        return sorted(running)

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
        with client.explain(f"refreshing graphics of host {self.name}"):
            try:
                gm.RefreshGraphicsManager()
            except vmodl.fault.MethodNotFound:
                log.debug("host %s has no RefreshGraphicsManager; reading the config as is",
                          self.name)
        self.reread()
        return True

    def activate(self) -> None:
        """Make every GPU run its configured type: restart X.Org, read the active type again
        and, where it still lags (hosts that activate only on reboot, ESXi 7.0 U1+, Broadcom
        KB 318047), reboot the host in maintenance mode when the pool allows it. One host of a
        pool at a time, within the change deadline."""
        lagging = host_gpus.lagging(self.props)
        if not lagging:
            return
        with _pool_lock(self.spec.pool):
            self.entered_maintenance = False
            try:
                running = self.running_vms()
                if running and self.spec.maintenanceMode:
                    self._enter_maintenance(running)
                    running = self.running_vms()
                if running:
                    self._refuse_running(lagging, [name for name, _ in running])
                self._restart_xorg()
                lagging = host_gpus.lagging(self.props)
                if lagging:
                    self._reboot(lagging)
            finally:
                # Only a maintenance mode this change entered is left again.
                if self.entered_maintenance and self.props.get("runtime.connectionState") == (
                    "connected"
                ):
                    maintenance.leave(self.si, self.ref, self.name, self._remaining())
                    self.reread()

    def _refuse_running(self, lagging: list[str], running: list[str]) -> None:
        hint = (
            "maintenance mode did not move them away (is DRS fully automated?)"
            if self.entered_maintenance
            else f"or set maintenanceMode: true on pool {self.spec.pool!r}"
        )
        raise client.VsphereError(
            f"host {self.name}: GPU(s) {', '.join(lagging)} are configured for vGPU "
            "but still run in another mode, and X.Org can only restart with no VM "
            f"powered on; running: {', '.join(running)}. Power them off or move "
            f"them to another host ({hint}), then run `pulumi up` again"
        )

    def _reboot(self, lagging: list[str]) -> None:
        """The X.Org restart did not activate the type: reboot in maintenance mode, or say why
        a reboot is needed when the pool does not allow it."""
        active = sorted({str(g.graphicsType) for g in self.props.get("config.graphicsInfo") or []
                         if g.pciId in lagging})
        if not self.spec.maintenanceMode:
            raise client.VsphereError(
                f"host {self.name}: GPU(s) {', '.join(lagging)} still run {', '.join(active)} "
                "after an X.Org restart: this host activates a changed graphics type only on "
                "reboot (ESXi 7.0 Update 1 and later, Broadcom KB 318047). Set maintenanceMode: "
                f"true on pool {self.spec.pool!r} to let `pulumi up` reboot it in maintenance "
                "mode (one host of the pool at a time), or reboot it yourself, then run "
                "`pulumi up` again"
            )
        if not self.props.get("runtime.inMaintenanceMode"):
            self._enter_maintenance(self.running_vms())
        maintenance.reboot(self.si, self.ref, self.name, self.deadline)
        self.reread()
        still = host_gpus.lagging(self.props)
        if still:
            raise client.VsphereError(
                f"host {self.name}: GPU(s) {', '.join(still)} still do not run vGPU after a "
                "reboot; check the NVIDIA vGPU Manager and the host's graphics settings"
            )

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

    def _enter_maintenance(self, running: list[tuple[str, bool]]) -> None:
        """Enter maintenance mode unless the host already is in it, first checking that vCenter
        can move the running vGPU VMs away."""
        if self.props.get("runtime.inMaintenanceMode"):
            return
        maintenance.require_vgpu_hot_migrate(
            self.si, self.name, [name for name, vgpu in running if vgpu]
        )
        maintenance.enter(self.si, self.ref, self.name, self._remaining())
        self.entered_maintenance = True
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
    outs["gpuDevices"] = host_gpus.gpu_devices(props)
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
        host_gpus.require_gpu_modes(host.name, spec.pool, spec.vgpuProfile, host.props)
        host_gpus.check_profile_facts(host.name, spec.vgpuProfile, host.wait_for_profile(),
                                      host.props["configManager.graphicsManager"])
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
