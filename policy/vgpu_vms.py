"""Rules over one vGPU VM or blueprint: all memory reserved, full clones, the blueprint's
reservation property equal to its memory (the white paper's template and blueprint)."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

from policy.props import UNKNOWN, as_int, known, known_list
from policy.types import BLUEPRINT, VGPU_TEMPLATE, VSPHERE_VM

FULL_CLONE = "FullClone"
RESERVATION_PROPERTY = "VMware.Memory.Reservation"
# pulumi-vsphere's documented default when a VirtualMachine names no `memory` (MB).
VSPHERE_DEFAULT_MEMORY_MB = 1024
# The VMX key that carries a vGPU profile: pciPassthru<N>.vgpu = "grid_p100-4q".
_VGPU_EXTRA_CONFIG = re.compile(r"^pciPassthru\d+\.vgpu$", re.IGNORECASE)


# --- vgpu-memory-reservation-locked -------------------------------------------------------------


def _vm_vgpu_evidence(props: Mapping[str, Any]) -> str | None:
    """What makes a pulumi-vsphere VirtualMachine a vGPU VM, or None (also when unknown)."""
    devices = known_list(known(props, "pciDeviceIds"))
    if isinstance(devices, list) and devices:
        return f"pciDeviceIds {list(devices)}"
    extra = known(props, "extraConfig", {})
    if extra is UNKNOWN or not isinstance(extra, Mapping):
        return None
    for key in extra:
        value = known(extra, key)
        if _VGPU_EXTRA_CONFIG.match(key) and value is not UNKNOWN:
            return f"extraConfig {key}={value}"
    return None


def _template_gpus(props: Mapping[str, Any]) -> str:
    """What GPU a template carries, for messages: its vGPU profile or its passthrough devices."""
    devices = known_list(known(props, "passthroughDevices"))
    if isinstance(devices, list) and devices:
        return f"{len(devices)} passthrough GPU(s)"
    return f"profile {known(props, 'vgpuProfile')!r}"


def vgpu_memory_reservation_locked_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    props = args.props
    if args.resource_type == VGPU_TEMPLATE:
        locked = known(props, "memoryReservationLockedToMax")
        if locked is UNKNOWN or locked is True:
            return
        report_violation(
            f"Set memoryReservationLockedToMax to true on GPU template {args.name!r} "
            f"({_template_gpus(props)}): a VM with a vGPU or passthrough GPUs powers on only when "
            "all of its memory is reserved.",
            None,
        )
    elif args.resource_type == VSPHERE_VM:
        evidence = _vm_vgpu_evidence(props)
        if evidence is None:
            return
        memory = known(props, "memory", VSPHERE_DEFAULT_MEMORY_MB)
        reservation = known(props, "memoryReservation", 0)
        if memory is UNKNOWN or reservation is UNKNOWN:
            return
        if as_int(reservation) == as_int(memory):
            return
        # pulumi-vsphere applies memoryReservationLockedToMax only when memoryReservation equals
        # memory, so the flag alone does not reserve anything.
        report_violation(
            f"Set memoryReservation to memory ({memory} MB) on virtual machine {args.name!r}, "
            f"which carries a vGPU or passthrough device ({evidence}); it reserves "
            f"{reservation} MB. "
            "memoryReservationLockedToMax alone is ignored unless the two are equal.",
            None,
        )


# --- blueprint rules -----------------------------------------------------------------------------


ResourceRule = Callable[[ResourceValidationArgs, ReportViolation], None]


def _vgpu_blueprints_only(rule: ResourceRule) -> ResourceRule:
    """`rule` applied to blueprints that clone a vGPU template (those that name a GPU pool)."""

    @functools.wraps(rule)
    def validator(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type != BLUEPRINT:
            return
        pool = known(args.props, "pool")
        if pool is not UNKNOWN and pool:
            rule(args, report_violation)

    return validator


@_vgpu_blueprints_only
def blueprint_full_clone_only_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    clone_type = known(args.props, "cloneType")
    if clone_type is UNKNOWN or clone_type == FULL_CLONE:
        return
    report_violation(
        f"Set cloneType to {FULL_CLONE!r} on blueprint {args.name!r} (pool "
        f"{known(args.props, 'pool')!r}); it is {clone_type!r}. Machines cloned from a GPU "
        "template (vGPU or passthrough) must be full clones.",
        None,
    )


@_vgpu_blueprints_only
def blueprint_memory_reservation_matches_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    memory = known(args.props, "memoryMb")
    custom = known(args.props, "customProperties", {})
    reservation = known(custom, RESERVATION_PROPERTY)
    if memory is UNKNOWN or reservation is UNKNOWN:
        return
    if as_int(reservation) is not None and as_int(reservation) == as_int(memory):
        return
    report_violation(
        f"Set customProperties[{RESERVATION_PROPERTY!r}] to {str(as_int(memory) or memory)!r} "
        f"(memoryMb) on blueprint {args.name!r}; it is {reservation!r}. Every machine of a GPU "
        "blueprint (vGPU or passthrough) reserves all of its memory.",
        None,
    )
