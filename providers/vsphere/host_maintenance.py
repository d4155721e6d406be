"""Host actions that disturb VMs, for HostGraphics: maintenance mode (with the vCenter setting it
needs for vGPU VMs) and a reboot in maintenance mode, each with a deadline.

- DRS evacuates a host entering maintenance mode by migrating its powered-on VMs; a VM with a
  vGPU migrates only when vCenter's advanced setting `vgpu.hotmigrate.enabled` is true
  (docs/vsphere-vgpu.md, "Maintenance mode"), so it is checked first and named when missing.
- `HostSystem.RebootHost_Task(force=False)` reboots only a host in maintenance mode; the host is
  then notResponding until it is back, which is waited for.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

from pyVmomi import vim

from providers.vsphere import client

log = logging.getLogger(__name__)

HOT_MIGRATE_SETTING = "vgpu.hotmigrate.enabled"
POLL_S = 0.5


def vgpu_hot_migrate(si: vim.ServiceInstance) -> str | None:
    """The value of vCenter's vgpu.hotmigrate.enabled, None when it is not set."""
    manager = si.content.setting
    if manager is None:
        return None
    with client.explain(f"reading vCenter setting {HOT_MIGRATE_SETTING}"):
        try:
            options = manager.QueryOptions(name=HOT_MIGRATE_SETTING) or []
        except vim.fault.InvalidName:
            return None
    values = [o.value for o in options if o.key == HOT_MIGRATE_SETTING]
    return str(values[0]) if values else None


def require_vgpu_hot_migrate(si: vim.ServiceInstance, host: str, vgpu_vms: Sequence[str]) -> None:
    """Maintenance mode can move the host's powered-on vGPU VMs away, or an error naming the
    setting, its value and the VMs."""
    if not vgpu_vms:
        return
    value = vgpu_hot_migrate(si)
    if value is not None and value.strip().lower() == "true":
        return
    state = "is not set" if value is None else f"is {value!r}"
    raise client.VsphereError(
        f"host {host} must enter maintenance mode, but its powered-on vGPU VMs "
        f"({', '.join(vgpu_vms)}) cannot be moved away: vCenter's advanced setting "
        f"{HOT_MIGRATE_SETTING} {state}, and without it vCenter does not migrate powered-on VMs "
        "with a vGPU. Set it to true (vSphere Client: vCenter > Configure > Advanced Settings), "
        "or power those VMs off, then run `pulumi up` again"
    )


def enter(si: vim.ServiceInstance, ref: Any, host: str, timeout: float) -> None:
    action = f"entering maintenance mode on host {host}"
    log.info("%s (VMs are evacuated by DRS)", action)
    with client.explain(action):
        task = ref.EnterMaintenanceMode_Task(timeout=int(timeout), evacuatePoweredOffVms=False)
    client.wait_for_task(si, task, action, timeout=timeout)


def leave(si: vim.ServiceInstance, ref: Any, host: str, timeout: float) -> None:
    action = f"leaving maintenance mode on host {host}"
    with client.explain(action):
        task = ref.ExitMaintenanceMode_Task(timeout=int(timeout))
    client.wait_for_task(si, task, action, timeout=timeout)


def reboot(si: vim.ServiceInstance, ref: Any, host: str, deadline: float) -> None:
    """Reboot a host that is in maintenance mode and wait until vCenter sees it connected
    again (by `deadline`, a time.monotonic() value)."""
    action = f"rebooting host {host} in maintenance mode"
    log.info("%s so its new graphics type takes effect", action)
    with client.explain(action):
        task = ref.RebootHost_Task(force=False)
    client.wait_for_task(si, task, action, timeout=max(deadline - time.monotonic(), 1.0))

    def state() -> Any:
        return (client.properties(si, ref, ["runtime.connectionState"]) or {}).get(
            "runtime.connectionState"
        )

    client.poll_until(
        lambda: state() == "connected",
        deadline,
        lambda: (
            f"host {host} did not come back after its reboot before the deadline (connection "
            f"state {state()}); it stays in maintenance mode: check it, then run `pulumi up` again"
        ),
        POLL_S,
    )
