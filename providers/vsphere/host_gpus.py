"""What a host's GPUs report and the checks on them, for HostGraphics: configured vs active
graphics type per GPU, MIG mode against the pool's profile (`vgpuMode`, API 8.0.3), and the
host's own facts of the profile against the catalog (`RetrieveVgpuProfileInfo`, API 7.0.3);
docs/vsphere-vgpu.md "Host changes that take effect", "MIG", "The host's own profile facts"."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from pyVmomi import vmodl

from mlaas.profiles import ProfileError, lookup
from providers.vsphere import client

log = logging.getLogger(__name__)

VGPU_GRAPHICS_TYPE = "sharedDirect"
# HostGraphicsInfo.vgpuMode of a GPU in MIG mode (API 8.0.3, pyVmomi HostGraphicsInfoVgpuMode).
MIG_VGPU_MODE = "multiInstanceGpu"


def configured_type(config: Any, pci_id: str) -> str | None:
    """The configured graphics type of one GPU: its per-device override, or the host default."""
    if config is None:
        return None
    for device in config.deviceType or []:
        if device.deviceId == pci_id:
            return str(device.graphicsType)
    return str(config.hostDefaultGraphicsType)


def is_nvidia(info: Any) -> bool:
    return "nvidia" in (info.vendorName or "").lower()


def gpu_devices(props: Mapping[str, Any]) -> list[dict[str, Any]]:
    config = props.get("config.graphicsConfig")
    return [
        {
            "deviceName": info.deviceName,
            "vendorName": info.vendorName,
            "pciId": info.pciId,
            "memoryMb": int(info.memorySizeInKB or 0) // 1024,
            "configuredType": configured_type(config, info.pciId),
            "activeType": info.graphicsType,
            # API 8.0.3+: sameSize, mixedSize or multiInstanceGpu; None on older hosts.
            "vgpuMode": getattr(info, "vgpuMode", None),
        }
        for info in props.get("config.graphicsInfo") or []
    ]


def wants_mig(vgpu_profile: str) -> bool | None:
    """Whether the profile is MIG-backed (catalog); None for a profile the catalog lacks."""
    try:
        return lookup(vgpu_profile).mig
    except ProfileError:
        return None


def in_pool_mode(device: Mapping[str, Any], mig: bool | None) -> bool:
    """A vGPU GPU serves the pool's profile kind: MIG-backed profiles need a GPU in MIG mode,
    time-sliced ones a GPU outside it. Hosts before API 8.0.3 do not report the mode."""
    mode = device.get("vgpuMode")
    if mig is None or mode in (None, "", "none"):
        return True
    return (mode == MIG_VGPU_MODE) == mig


def other_mode(device: Mapping[str, Any]) -> dict[str, Any]:
    """How a GPU outside the pool's mode is reported (vgpuMode only where the host has it)."""
    entry = {"pciId": device["pciId"], "activeType": device["activeType"]}
    if device.get("vgpuMode"):
        entry["vgpuMode"] = device["vgpuMode"]
    return entry


def lagging(props: Mapping[str, Any]) -> list[str]:
    """PCI ids of NVIDIA GPUs configured for vGPU whose active type is still another one."""
    config = props.get("config.graphicsConfig")
    return [
        info.pciId
        for info in props.get("config.graphicsInfo") or []
        if is_nvidia(info)
        and configured_type(config, info.pciId) == VGPU_GRAPHICS_TYPE
        and info.graphicsType != VGPU_GRAPHICS_TYPE
    ]


def require_gpu_modes(host: str, pool: str, profile: str, props: Mapping[str, Any]) -> None:
    """Every vGPU GPU of the host is in the MIG mode the pool's profile needs: MIG-backed
    profiles run only on GPUs in MIG mode, time-sliced ones only outside it (NVIDIA vGPU
    user guide, docs/vsphere-vgpu.md "MIG"). MIG mode is set on the host, not through
    vSphere, so a wrong one is an error naming host, GPU and remedy. Checked where the host
    reports the mode (API 8.0.3+)."""
    mig = wants_mig(profile)
    devices = sorted(
        (d for d in gpu_devices(props) if "nvidia" in (d["vendorName"] or "").lower()),
        key=lambda d: d["pciId"],
    )
    wrong = [
        (index, d) for index, d in enumerate(devices)
        if d["activeType"] == VGPU_GRAPHICS_TYPE and not in_pool_mode(d, mig)
    ]
    if not wrong:
        return
    gpus = ", ".join(f"{d['pciId']} (nvidia-smi index {index})" for index, d in wrong)
    commands = "; ".join(f"`nvidia-smi -i {index} -mig {int(bool(mig))}`" for index, _ in wrong)
    profile, pool = profile, pool
    if mig:
        problem = (f"are not in MIG mode, which the MIG-backed profile {profile} of pool "
                   f"{pool!r} needs. MIG mode is set on the host: enable SR-IOV in the "
                   f"server's BIOS, run {commands} in the ESXi shell")
    else:
        problem = (f"are in MIG mode, which runs only MIG-backed profiles, not the "
                   f"time-sliced {profile} of pool {pool!r}. Disable MIG mode on the host "
                   f"with {commands} in the ESXi shell (or use a MIG-backed profile)")
    raise client.VsphereError(
        f"host {host}: GPU(s) {gpus} {problem}, then reset the GPU or reboot the host, "
        "and run `pulumi up` again"
    )

def check_profile_facts(host: str, profile: str, spelled: str, graphics_manager: Any) -> None:
    """On API 7.0.3+ hosts, the host's own facts of the profile (RetrieveVgpuProfileInfo:
    frame buffer, time-sliced or MIG) must agree with the catalog the pool was sized by; a
    disagreement is an error naming both values. Older hosts have no such call."""
    try:
        catalog = lookup(profile)
    except ProfileError:
        return
    with client.explain(f"reading the vGPU profile facts of host {host}"):
        try:
            infos = graphics_manager.RetrieveVgpuProfileInfo() or []
        except (vmodl.fault.MethodNotFound, vmodl.fault.NotSupported, AttributeError):
            log.debug("host %s has no RetrieveVgpuProfileInfo (API before 7.0.3)", host)
            return
    info = next((i for i in infos if i.profileName == spelled), None)
    if info is None:
        log.warning("host %s lists %s but has no profile facts for it", host, spelled)
        return
    wrong = []
    if int(info.fbSizeInGib) != catalog.framebuffer_gb:
        wrong.append(f"a frame buffer of {info.fbSizeInGib} GiB, the catalog "
                     f"{catalog.framebuffer_gb} GB")
    sharing = "mig" if catalog.mig else "timeSliced"
    if str(info.profileSharing) != sharing:
        wrong.append(f"sharing {info.profileSharing}, the catalog {sharing}")
    if wrong:
        raise client.VsphereError(
            f"host {host} reports vGPU profile {spelled} with {'; '.join(wrong)} "
            "(HostGraphicsManager.RetrieveVgpuProfileInfo against "
            "mlaas/data/vgpu_profiles.yaml): the pool would be sized wrongly; check the "
            "host's NVIDIA vGPU Manager release against the catalog entry, then run "
            "`pulumi up` again"
        )
