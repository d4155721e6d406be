"""The NVIDIA vGPU profile catalog, loaded from `data/vgpu_profiles.yaml`.

A profile name is what vSphere shows: ``grid_`` (or ``nvidia_``) + the lower-case NVIDIA type,
for example ``grid_p100-4q`` or ``grid_a100-3-20c``. Both prefixes name the same profile; the
catalog stores the ``grid_`` form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

PREFIXES = ("grid_", "nvidia_")
# <gpu>-<type>: time-sliced "4q"/"8c", MIG-backed "<slices>-<GB>c" with an optional "me" media flag.
_NAME = re.compile(r"^(?:grid|nvidia)_(?P<gpu>[a-z0-9]+)-(?P<type>\d+(?:-\d+)?[a-z]+)$")
_TIME_SLICED = re.compile(r"^(?P<gb>\d+)(?P<series>[qcab])$")
_MIG = re.compile(r"^(?P<slices>\d+)-(?P<gb>\d+)(?P<series>c)(?:me)?$")


class ProfileError(ValueError):
    """A vGPU profile name that is malformed or not in the catalog."""


@dataclass(frozen=True)
class VgpuProfile:
    name: str  # canonical vSphere name, grid_ prefix
    gpu_type: str  # catalog key of the GPU, e.g. "p100"
    series: str  # "Q", "C", "A" or "B"
    framebuffer_gb: int  # frame buffer of one vGPU of this type
    max_per_gpu: int  # from the vendor table, never computed
    mig: bool  # MIG-backed (placed by MIG rules, C-series only)


@dataclass(frozen=True)
class GpuType:
    key: str
    board: str
    device_name: str  # what host.config.graphicsInfo[].deviceName shows
    framebuffer_gb: int  # per physical GPU
    profiles: tuple[VgpuProfile, ...]


def canonical_name(name: str) -> str:
    """Lower-case ``grid_`` form of a profile name; ``nvidia_a40-1q`` -> ``grid_a40-1q``."""
    lowered = name.strip().lower()
    for prefix in PREFIXES:
        if lowered.startswith(prefix):
            return "grid_" + lowered[len(prefix) :]
    return lowered


def match_offered(wanted: str, offered: list[str]) -> str | None:
    """The host's own spelling of `wanted` among the profiles a host offers, or None.

    Hosts spell a profile with the prefix of their driver release (`grid_a100-20c` or
    `nvidia_a100-20c`, docs/vsphere-vgpu.md "Profile names"); the config may use either. A bare
    name without a prefix (`p100-4q`) matches nothing: it is not a profile name. This is the one
    matching rule, used by the providers and the policy pack."""
    if not _NAME.match(canonical_name(wanted)):
        return None
    key = canonical_name(wanted)
    return next((name for name in offered if canonical_name(name) == key), None)


# VM prerequisites of a vGPU (docs/vsphere-vgpu.md "VM prerequisites").
LARGE_BAR_MIN_FRAMEBUFFER_GB = 16  # mappings above 16 GB need 64-bit MMIO and EFI
LARGE_BAR_MIN_MMIO_GB = 64
MIN_HARDWARE_VERSION = 11  # one vGPU: "compatible with ESXi 6.0 and later"


@dataclass(frozen=True)
class VmRequirements:
    """What a VM needs before it can power on with one vGPU of a profile."""

    large_bar: bool  # C-series or a frame buffer of 16 GB or more
    mmio_size_gb: int | None  # pciPassthru.64bitMMIOSizeGB; None: 64-bit MMIO not needed
    efi: bool  # the guest must boot with EFI firmware
    min_hardware_version: int  # vmx-N

    def extra_config(self) -> dict[str, str]:
        """The VM advanced settings (extraConfig) these requirements ask for."""
        if self.mmio_size_gb is None:
            return {}
        return {
            "pciPassthru.use64bitMMIO": "TRUE",
            "pciPassthru.64bitMMIOSizeGB": str(self.mmio_size_gb),
        }


def _next_power_of_two(value: int) -> int:
    power = 1
    while power < value:
        power *= 2
    return power


def vm_requirements(profile: VgpuProfile) -> VmRequirements:
    """The VM prerequisites of one vGPU of `profile`: 64-bit MMIO sized from its frame buffer
    (rounded up to a power of two, at least 64 GB), EFI and the minimum hardware version."""
    large = profile.series == "C" or profile.framebuffer_gb >= LARGE_BAR_MIN_FRAMEBUFFER_GB
    mmio = (
        max(LARGE_BAR_MIN_MMIO_GB, _next_power_of_two(profile.framebuffer_gb)) if large else None
    )
    return VmRequirements(
        large_bar=large, mmio_size_gb=mmio, efi=large, min_hardware_version=MIN_HARDWARE_VERSION
    )


def _parse_profile(gpu: str, type_name: str, max_per_gpu: int) -> VgpuProfile:
    parsed = _TIME_SLICED.match(type_name) or _MIG.match(type_name)
    if parsed is None:
        raise ProfileError(f"catalog entry {gpu}-{type_name} has an unknown type format")
    return VgpuProfile(
        name=f"grid_{gpu}-{type_name}",
        gpu_type=gpu,
        series=parsed["series"].upper(),
        framebuffer_gb=int(parsed["gb"]),
        max_per_gpu=max_per_gpu,
        mig=parsed.re is _MIG,
    )


def _gpu_type(key: str, raw: dict[str, Any]) -> GpuType:
    return GpuType(
        key=key,
        board=raw["board"],
        device_name=raw["deviceName"],
        framebuffer_gb=int(raw["framebufferGb"]),
        profiles=tuple(
            _parse_profile(key, str(type_name), int(count))
            for type_name, count in raw["profiles"].items()
        ),
    )


@cache
def catalog() -> dict[str, GpuType]:
    """Every GPU type in the catalog, by key ("p100", "a100d", ...)."""
    text = resources.files("mlaas").joinpath("data/vgpu_profiles.yaml").read_text()
    raw = yaml.safe_load(text)
    return {key: _gpu_type(key, entry) for key, entry in raw["gpus"].items()}


def gpu_type(key: str) -> GpuType:
    """The GPU type with this catalog key; the error lists the known keys."""
    known = catalog()
    try:
        return known[key.strip().lower()]
    except KeyError:
        raise ProfileError(
            f"unknown GPU type {key!r} (known: {', '.join(sorted(known))})"
        ) from None


def lookup(name: str) -> VgpuProfile:
    """The catalog entry for a vSphere profile name, with an error a person can act on."""
    wanted = canonical_name(name)
    match = _NAME.match(wanted)
    if not match:
        raise ProfileError(
            f"{name!r} is not a vGPU profile name; expected grid_<gpu>-<type>, "
            "for example grid_p100-4q or grid_a100-3-20c"
        )
    gpu = catalog().get(match["gpu"])
    if gpu is None:
        raise ProfileError(
            f"{name!r} names an unknown GPU {match['gpu']!r} "
            f"(known: {', '.join(sorted(catalog()))})"
        )
    for profile in gpu.profiles:
        if profile.name == wanted:
            return profile
    offered = ", ".join(p.name for p in gpu.profiles)
    raise ProfileError(f"{name!r} is not a {gpu.board} profile (known: {offered})")
