"""Activation on every version: hosts that activate a graphics type only on reboot (ESXi 7.0
U1+, Broadcom KB 318047) are rebooted in maintenance mode when the pool allows it, else refused
saying why; maintenance mode with running vGPU VMs needs vCenter's vgpu.hotmigrate.enabled; a
refresh never restarts or reboots anything."""

from __future__ import annotations

from typing import Any

import pytest
from pyVmomi import vim

from providers.vsphere.client import VsphereError
from providers.vsphere.host_graphics import HostGraphicsProvider
from tests.providers.vsphere.conftest import Inspector, configure
from tests.support.results import outs_of

HOST = "DC0_C0_H0"


def inputs(**extra: Any) -> dict[str, Any]:
    return {"hostName": HOST, "pool": "p100-pool", "vgpuProfile": "grid_p100-4q",
            "assignmentPolicy": "performance", "changeTimeoutSeconds": 30, **extra}


def tasks_of(inspector: Inspector) -> list[str]:
    return [t.info.descriptionId for t in inspector.si.content.taskManager.recentTask or []]


def vgpu_vm(inspector: Inspector, lab: Any, name: str) -> Any:
    """A powered-on VM with a P100 vGPU on HOST (the host offers the profile only in vGPU
    mode, so the host is put there first and left configured for vGPU)."""
    base = inspector.vm(lab.base_image)
    host = inspector.host(HOST)
    task = base.CloneVM_Task(folder=base.parent, name=name, spec=vim.vm.CloneSpec(
        location=vim.vm.RelocateSpec(pool=host.parent.resourcePool, host=host)))
    vm = inspector.wait(task)
    device = vim.vm.device.VirtualPCIPassthrough(
        key=-100, backing=vim.vm.device.VirtualPCIPassthrough.VmiopBackingInfo(vgpu="grid_p100-4q"))
    inspector.wait(vm.ReconfigVM_Task(spec=vim.vm.ConfigSpec(
        deviceChange=[vim.vm.device.VirtualDeviceSpec(operation="add", device=device)],
        memoryReservationLockedToMax=True)))
    inspector.wait(vm.PowerOnVM_Task(host=host))
    return vm


def test_reboot_only_host_is_refused_without_maintenance_mode_and_rebooted_with_it(
    vcsim_factory: Any,
) -> None:
    lab = vcsim_factory(hosts=2, reboot_only=[HOST], reboot_time_s=1.0)
    provider = configure(HostGraphicsProvider(), lab)
    with Inspector(lab) as inspector:
        with pytest.raises(VsphereError) as failure:
            provider.create(inputs())
        message = str(failure.value)
        assert message.startswith(
            f"host {HOST}: GPU(s) 0000:3b:00.0 still run shared after an X.Org restart: this "
            "host activates a changed graphics type only on reboot")
        assert "KB 318047" in message and "maintenanceMode: true on pool 'p100-pool'" in message
        assert "HostSystem.rebootHost" not in tasks_of(inspector)

        # A refresh reads the lag and changes nothing.
        host_id = inspector.host(HOST)._moId
        read = outs_of(provider.read(host_id, inputs()))
        assert read["gpuCount"] == 0 and provider.drifted(read)
        assert [g.graphicsType for g in inspector.host(HOST).config.graphicsInfo] == ["shared"]

        before = inspector.host(HOST).runtime.bootTime
        outs = outs_of(provider.create(inputs(maintenanceMode=True)))
        assert outs["gpuCount"] == 1 and outs["hostProfile"] == "grid_p100-4q"
        done = tasks_of(inspector)
        assert done.count("HostSystem.rebootHost") == 1
        assert {"HostSystem.enterMaintenanceMode", "HostSystem.exitMaintenanceMode"} <= set(done)
        host = inspector.host(HOST)
        assert host.runtime.inMaintenanceMode is False
        assert host.runtime.connectionState == "connected"
        assert host.runtime.bootTime != before


def lagging_host_with_a_vgpu_vm(inspector: Inspector, lab: Any) -> Any:
    """HOST with GPU 0 running vGPU for a powered-on vGPU VM and GPU 1 configured for vGPU but
    still in shared mode (an override at the last X.Org restart, since removed); the other host
    in vGPU mode, able to take the VM."""
    other = inspector.host("DC0_C0_H1")
    inspector.set_graphics(other.name, "sharedDirect")
    other.configManager.serviceSystem.RestartService(id="xorg")
    host = inspector.host(HOST)
    manager = host.configManager.graphicsManager
    override = vim.host.GraphicsConfig.DeviceType(deviceId="0000:5e:00.0", graphicsType="shared")
    manager.UpdateGraphicsConfig(vim.host.GraphicsConfig(
        hostDefaultGraphicsType="sharedDirect", sharedPassthruAssignmentPolicy="performance",
        deviceType=[override]))
    host.configManager.serviceSystem.RestartService(id="xorg")
    busy = vgpu_vm(inspector, lab, "busy-vgpu")
    inspector.set_graphics(HOST, "sharedDirect")  # no override: GPU 1 now lags
    return busy


@pytest.mark.parametrize("setting", [None, False])
def test_maintenance_mode_without_vgpu_hot_migrate_names_the_setting(
    vcsim_factory: Any, setting: bool | None
) -> None:
    lab = vcsim_factory(hosts=2, gpus_per_host=2, vgpu_hotmigrate=setting)
    provider = configure(HostGraphicsProvider(), lab)
    with Inspector(lab) as inspector:
        busy = lagging_host_with_a_vgpu_vm(inspector, lab)
        with pytest.raises(VsphereError) as failure:
            provider.create(inputs(maintenanceMode=True))
        state = "is not set" if setting is None else "is 'false'"
        assert str(failure.value).startswith(
            f"host {HOST} must enter maintenance mode, but its powered-on vGPU VMs (busy-vgpu) "
            f"cannot be moved away: vCenter's advanced setting vgpu.hotmigrate.enabled {state}")
        # Checked before maintenance mode was entered.
        assert "HostSystem.enterMaintenanceMode" not in tasks_of(inspector)
        assert busy.runtime.host.name == HOST


def test_with_vgpu_hot_migrate_the_vgpu_vm_moves_and_the_host_converges(
    vcsim_factory: Any,
) -> None:
    lab = vcsim_factory(hosts=2, gpus_per_host=2, vgpu_hotmigrate=True)
    provider = configure(HostGraphicsProvider(), lab)
    with Inspector(lab) as inspector:
        busy = lagging_host_with_a_vgpu_vm(inspector, lab)
        outs = outs_of(provider.create(inputs(maintenanceMode=True)))
        assert outs["gpuCount"] == 2
        assert busy.runtime.host.name == "DC0_C0_H1" and busy.runtime.powerState == "poweredOn"
        assert inspector.host(HOST).runtime.inMaintenanceMode is False


def test_the_lab_refuses_what_vcenter_refuses(vcsim_factory: Any) -> None:
    lab = vcsim_factory(hosts=2, gpus_per_host=2)
    with Inspector(lab) as inspector:
        busy = lagging_host_with_a_vgpu_vm(inspector, lab)
        host = inspector.host(HOST)
        # Not in maintenance mode: no reboot (force=False).
        with pytest.raises(vim.fault.InvalidState, match="not in maintenance mode"):
            inspector.wait(host.RebootHost_Task(force=False))
        # No vgpu.hotmigrate.enabled: DRS cannot evacuate the vGPU VM.
        with pytest.raises(vim.fault.InvalidState, match="vgpu.hotmigrate.enabled"):
            inspector.wait(host.EnterMaintenanceMode_Task(timeout=10))
        assert host.runtime.inMaintenanceMode is False and busy.runtime.host.name == HOST
