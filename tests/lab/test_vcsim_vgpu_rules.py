"""What the GPU lab refuses, as ESXi and the NVIDIA vGPU manager do (docs/vsphere-vgpu.md):
configured vs active graphics type, X.Org restarts with VMs running, the power-on rules of vGPU
VMs (exact profile string, full memory reservation, 64-bit MMIO and EFI for large-BAR profiles,
hardware version, slots per GPU) on every power-on path, and clones keeping their hardware."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim

from lab.vcsim import VcsimLab
from lab.vcsim.client import connect
from tests.support.managed import Managed, fault_message

LabFactory = Callable[..., VcsimLab]
PROFILE = "nvidia_a100-20c"  # C-series, 20 GB, 2 per GPU; spelled as current drivers do
LARGE_BAR = {"pciPassthru.use64bitMMIO": "TRUE", "pciPassthru.64bitMMIOSizeGB": "64"}


@pytest.fixture
def a100(vcsim_factory: LabFactory) -> Iterator[tuple[VcsimLab, vim.ServiceInstance]]:
    lab = vcsim_factory(hosts=1, gpu="a100", profile_prefix="nvidia_")
    with connect(lab) as si:
        yield lab, si


def _find(si: Managed, kind: type, name: str) -> Any:
    view = si.content.viewManager.CreateContainerView(si.content.rootFolder, [kind], True)
    try:
        return next(obj for obj in view.view if obj.name == name)
    finally:
        view.Destroy()


def _host(si: Managed) -> Any:
    view = si.content.viewManager.CreateContainerView(si.content.rootFolder, [vim.HostSystem], True)
    try:
        return view.view[0]
    finally:
        view.Destroy()


def _vgpu_mode(host: Any) -> None:
    host.configManager.graphicsManager.UpdateGraphicsConfig(
        vim.host.GraphicsConfig(
            hostDefaultGraphicsType="sharedDirect", sharedPassthruAssignmentPolicy="performance"
        )
    )
    host.configManager.serviceSystem.RestartService(id="xorg")


def _vm(
    si: vim.ServiceInstance,
    lab: VcsimLab,
    name: str,
    profile: str | None = PROFILE,
    *,
    locked: bool = True,
    extra: dict[str, str] | None = None,
    firmware: str = "efi",
) -> Any:
    """A powered-off clone of the base image with one vGPU and the given prerequisites."""
    base = _find(si, vim.VirtualMachine, lab.base_image)
    cluster = _find(si, vim.ClusterComputeResource, lab.cluster)
    task = base.CloneVM_Task(
        folder=base.parent,
        name=name,
        spec=vim.vm.CloneSpec(location=vim.vm.RelocateSpec(pool=cluster.resourcePool)),
    )
    WaitForTask(task)
    vm = task.info.result
    changes = []
    if profile is not None:
        device = vim.vm.device.VirtualPCIPassthrough(
            key=-100, backing=vim.vm.device.VirtualPCIPassthrough.VmiopBackingInfo(vgpu=profile)
        )
        changes.append(vim.vm.device.VirtualDeviceSpec(operation="add", device=device))
    spec = vim.vm.ConfigSpec(
        deviceChange=changes,
        memoryReservationLockedToMax=locked,
        firmware=firmware,
        extraConfig=[vim.option.OptionValue(key=k, value=v) for k, v in (extra or {}).items()],
    )
    WaitForTask(vm.ReconfigVM_Task(spec=spec))
    return vm


def _refused(task: Any, fault: type) -> str:
    with pytest.raises(fault) as err:
        WaitForTask(task)
    return fault_message(err.value)


def test_hosts_spell_profiles_as_their_driver_does(a100: tuple[VcsimLab, Any]) -> None:
    lab, si = a100
    host = _host(si)
    _vgpu_mode(host)
    offered = list(host.config.sharedPassthruGpuTypes)
    assert PROFILE in offered and not [p for p in offered if not p.startswith("nvidia_")]
    # Outside MIG mode a GPU offers no MIG-backed type.
    assert "nvidia_a100-3-20c" not in offered
    assert {g.vgpuMode for g in host.config.graphicsInfo} == {"sameSize"}


def test_gpus_in_mig_mode_offer_mig_backed_types_only(vcsim_factory: LabFactory) -> None:
    lab = vcsim_factory(hosts=2, gpu="a100", gpus_per_host=2, profile_prefix="nvidia_",
                        mig_gpus={"DC0_C0_H0": "all", "DC0_C0_H1": [1]})
    with connect(lab) as si:
        content: Managed = si.content
        view = content.viewManager.CreateContainerView(content.rootFolder, [vim.HostSystem], True)
        all_mig, mixed = sorted(view.view, key=lambda h: h.name)
        view.Destroy()
        for host in (all_mig, mixed):
            _vgpu_mode(host)
        offered = set(all_mig.config.sharedPassthruGpuTypes)
        assert "nvidia_a100-3-20c" in offered and PROFILE not in offered
        assert [g.vgpuMode for g in all_mig.config.graphicsInfo] == ["multiInstanceGpu"] * 2
        # One GPU of each mode: the host lists both kinds, each GPU reports its own mode.
        assert {"nvidia_a100-3-20c", PROFILE} <= set(mixed.config.sharedPassthruGpuTypes)
        assert [g.vgpuMode for g in mixed.config.graphicsInfo] == ["sameSize", "multiInstanceGpu"]

        # grid_a100-3-20c: 2 per GPU in MIG mode; the mixed host has one such GPU.
        for i in range(2):
            vm = _vm(si, lab, f"mig-{i}", "nvidia_a100-3-20c", extra=LARGE_BAR)
            if vm.runtime.host != mixed:
                WaitForTask(vm.RelocateVM_Task(vim.vm.RelocateSpec(host=mixed)))
            WaitForTask(vm.PowerOnVM_Task())
        third = _vm(si, lab, "mig-2", "nvidia_a100-3-20c", extra=LARGE_BAR)
        if third.runtime.host != mixed:
            WaitForTask(third.RelocateVM_Task(vim.vm.RelocateSpec(host=mixed)))
        message = _refused(third.PowerOnVM_Task(host=mixed),
                           vim.fault.InsufficientGraphicsResourcesFault)
        assert "1 GPU(s) in vGPU mode in MIG mode" in message
        # Without a host named, placement (as DRS) finds the host whose GPUs are all in MIG mode.
        WaitForTask(third.PowerOnVM_Task())
        assert third.runtime.host == all_mig and third.runtime.powerState == "poweredOn"
        assert third in all_mig.vm and third not in mixed.vm


def test_xorg_restart_is_refused_while_a_vm_runs(a100: tuple[VcsimLab, Any]) -> None:
    lab, si = a100
    host = _host(si)
    running = _vm(si, lab, "plain", profile=None)
    WaitForTask(running.PowerOnVM_Task())
    host.configManager.graphicsManager.UpdateGraphicsConfig(
        vim.host.GraphicsConfig(
            hostDefaultGraphicsType="sharedDirect", sharedPassthruAssignmentPolicy="performance"
        )
    )
    with pytest.raises(vim.fault.InvalidState) as err:
        host.configManager.serviceSystem.RestartService(id="xorg")
    message = fault_message(err.value)
    assert "plain" in message and host.name in message
    assert [g.graphicsType for g in host.config.graphicsInfo] == ["shared"]

    WaitForTask(running.PowerOffVM_Task())
    host.configManager.serviceSystem.RestartService(id="xorg")
    assert [g.graphicsType for g in host.config.graphicsInfo] == ["sharedDirect"]


def test_power_on_rules_of_a_large_bar_vgpu(a100: tuple[VcsimLab, Any]) -> None:
    lab, si = a100
    _vgpu_mode(_host(si))

    catalog_spelling = _vm(si, lab, "grid", "grid_a100-20c", extra=LARGE_BAR)
    msg = _refused(catalog_spelling.PowerOnVM_Task(), vim.fault.GenericVmConfigFault)
    assert 'offers vGPU profile "grid_a100-20c"' in msg

    unlocked = _vm(si, lab, "unlocked", locked=False, extra=LARGE_BAR)
    msg = _refused(unlocked.PowerOnVM_Task(), vim.fault.GenericVmConfigFault)
    assert "must reserve all of its memory" in msg

    no_mmio = _vm(si, lab, "no-mmio")
    msg = _refused(no_mmio.PowerOnVM_Task(), vim.fault.GenericVmConfigFault)
    assert "DevicePowerOn" in msg and "64bitMMIOSizeGB of at least 20" in msg

    small_mmio = _vm(si, lab, "small-mmio", extra={**LARGE_BAR, "pciPassthru.64bitMMIOSizeGB": "8"})
    _refused(small_mmio.PowerOnVM_Task(), vim.fault.GenericVmConfigFault)

    bios = _vm(si, lab, "bios", extra=LARGE_BAR, firmware="bios")
    msg = _refused(bios.PowerOnVM_Task(), vim.fault.GenericVmConfigFault)
    assert "EFI firmware" in msg

    old = _vm(si, lab, "old-hw", extra=LARGE_BAR)
    WaitForTask(old.ReconfigVM_Task(spec=vim.vm.ConfigSpec(version="vmx-10")))
    msg = _refused(old.PowerOnVM_Task(), vim.fault.GenericVmConfigFault)
    assert "vmx-11 or later" in msg

    for vm in (catalog_spelling, unlocked, no_mmio, small_mmio, bios, old):
        assert vm.runtime.powerState == "poweredOff"


def test_power_on_multi_vm_applies_the_same_rules(a100: tuple[VcsimLab, Any]) -> None:
    lab, si = a100
    _vgpu_mode(_host(si))
    unlocked = _vm(si, lab, "multi-unlocked", locked=False, extra=LARGE_BAR)
    datacenter = _find(si, vim.Datacenter, lab.datacenter)
    msg = _refused(datacenter.PowerOnMultiVM_Task(vm=[unlocked]), vim.fault.GenericVmConfigFault)
    assert "multi-unlocked" in msg and "reserve all" in msg
    assert unlocked.runtime.powerState == "poweredOff"


def test_clone_keeps_hardware_and_powers_on_only_under_the_rules(
    a100: tuple[VcsimLab, Any],
) -> None:
    lab, si = a100
    host = _host(si)
    source = _vm(si, lab, "source", extra=LARGE_BAR)
    WaitForTask(source.ReconfigVM_Task(spec=vim.vm.ConfigSpec(version="vmx-19")))
    cluster = _find(si, vim.ClusterComputeResource, lab.cluster)
    spec = vim.vm.CloneSpec(location=vim.vm.RelocateSpec(pool=cluster.resourcePool), powerOn=True)

    # The host does not run vGPU yet: the clone is made, its power-on fails the task.
    task = source.CloneVM_Task(folder=source.parent, name="clone-refused", spec=spec)
    msg = _refused(task, vim.fault.GenericVmConfigFault)
    assert "not running in sharedDirect" in msg
    refused = _find(si, vim.VirtualMachine, "clone-refused")
    assert refused.runtime.powerState == "poweredOff"

    _vgpu_mode(host)
    task = source.CloneVM_Task(folder=source.parent, name="clone-on", spec=spec)
    WaitForTask(task)
    clone = task.info.result
    assert clone.runtime.powerState == "poweredOn"
    assert clone.config.firmware == "efi" and clone.config.version == "vmx-19"
    assert clone.config.memoryReservationLockedToMax is True
    extra = {o.key: o.value for o in clone.config.extraConfig}
    assert extra["pciPassthru.64bitMMIOSizeGB"] == "64"


def test_slots_per_gpu_run_out_with_insufficient_graphics_resources(
    a100: tuple[VcsimLab, Any],
) -> None:
    lab, si = a100
    _vgpu_mode(_host(si))
    first, second, third = (_vm(si, lab, f"slot-{i}", extra=LARGE_BAR) for i in range(3))
    host = _host(si)
    assert [list(g.vm) for g in host.config.graphicsInfo] == [[]]
    WaitForTask(first.PowerOnVM_Task())
    WaitForTask(second.PowerOnVM_Task())  # A100-20C: 2 per GPU, one GPU per host
    # graphicsInfo[].vm: the VMs holding each GPU.
    assert [{vm.name for vm in g.vm} for g in host.config.graphicsInfo] == [{"slot-0", "slot-1"}]
    msg = _refused(third.PowerOnVM_Task(), vim.fault.InsufficientGraphicsResourcesFault)
    assert "insufficient graphics resources" in msg
    WaitForTask(first.PowerOffVM_Task())
    assert [{vm.name for vm in g.vm} for g in host.config.graphicsInfo] == [{"slot-1"}]
    WaitForTask(third.PowerOnVM_Task())  # a freed slot is free again
    assert third.runtime.powerState == "poweredOn"
