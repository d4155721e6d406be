"""The NVIDIA vGPU Manager a host runs, read before anything waits for its profiles.

ESXi lists its installed VIBs through `HostImageConfigManager.fetchSoftwarePackages` (vSphere API
6.5, pyVmomi `vim.host.ImageConfigManager`; each `vim.host.SoftwarePackage` has name, vendor and
version). The vGPU Manager is the VIB NVIDIA publishes for each release line
(docs/vsphere-vgpu.md, "The host driver"); its version starts with the driver version
(`550.127.06-1OEM.800.1.0.20613240`). Without it a host offers no vGPU profile at all, so the
provider says so at once instead of waiting out the deadline.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from providers.vsphere import client

log = logging.getLogger(__name__)

# VIB vendors NVIDIA publishes under ("NVIDIA" on older releases, "NVD" on current ones).
NVIDIA_VENDORS = frozenset({"nvidia", "nvd"})
# Names of the vGPU Manager VIB across releases (NVIDIA-VMware_ESXi_6.5_Host_Driver,
# NVD-VGPU-800, NVD-AIE-800); other NVIDIA VIBs (the GPU management daemon) do not match.
_MANAGER_NAME = re.compile(r"vgpu|host_driver|aie", re.IGNORECASE)


@dataclass(frozen=True)
class VgpuManager:
    """The installed vGPU Manager VIB."""

    name: str
    vib_version: str

    @property
    def version(self) -> str:
        """The driver version ("550.127.06"): the VIB version up to its packaging suffix."""
        return self.vib_version.split("-", 1)[0]

    @property
    def package(self) -> str:
        return f"{self.name} {self.vib_version}"


def _is_vgpu_manager(package: Any) -> bool:
    vendor = str(getattr(package, "vendor", "") or "").lower()
    name = str(getattr(package, "name", "") or "")
    return vendor in NVIDIA_VENDORS and bool(_MANAGER_NAME.search(name))


def installed(host: str, image_manager: Any) -> VgpuManager | None:
    """The host's vGPU Manager, None when none is installed. A host that cannot list its
    packages (no image config manager) is an error naming it."""
    if image_manager is None:
        raise client.VsphereError(
            f"host {host} does not list its software packages (no HostImageConfigManager), so "
            "its NVIDIA vGPU Manager cannot be checked"
        )
    with client.explain(f"reading the software packages of host {host}"):
        packages = image_manager.FetchSoftwarePackages() or []
    found = sorted(
        (VgpuManager(str(p.name), str(p.version)) for p in packages if _is_vgpu_manager(p)),
        key=lambda m: m.name,
    )
    if len(found) > 1:
        log.warning("host %s lists several NVIDIA vGPU Manager VIBs: %s; using %s", host,
                    ", ".join(m.package for m in found), found[0].package)
    return found[0] if found else None


def require(host: str, image_manager: Any, pool: str) -> VgpuManager:
    """The host's vGPU Manager; none installed is an error naming the host and the remedy."""
    manager = installed(host, image_manager)
    if manager is None:
        raise client.VsphereError(
            f"host {host} of pool {pool!r} has no NVIDIA vGPU Manager installed (no NVIDIA vGPU "
            "VIB among its software packages), so its GPUs cannot offer any vGPU profile: "
            "install the NVIDIA vGPU Manager VIB of your vGPU release on it (`esxcli software "
            "vib install -d <NVIDIA vGPU Manager zip>` in maintenance mode, then reboot), or take "
            "it out of the pool, then run `pulumi up` again"
        )
    return manager
