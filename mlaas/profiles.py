"""The NVIDIA vGPU profile catalog, loaded from `data/vgpu_profiles.yaml`.

A profile name is what vSphere shows: ``grid_`` (or ``nvidia_``) + the GPU key + "-" + the
lower-case NVIDIA type, for example ``grid_p100-4q``, ``nvidia_a100-3-20c`` or
``nvidia_rtx_pro_6000_blackwell_dc-1-24q``. Both prefixes name the same profile; the catalog
stores the ``grid_`` form. `parse_name` / `parse_type` apply the grammar alone, `lookup` the
catalog too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

PREFIXES = ("grid_", "nvidia_")
SERIES = ("Q", "C", "B", "A")  # workstation, compute, virtual PC, virtual applications
# Attributes of a MIG-backed type: its GPU instance profile with media extensions (+me), without
# them (-me), with all of them (+me.all), or with graphics (+gfx, Blackwell).
MIG_ATTRIBUTES = ("me", "nome", "meall", "gfx")

# A profile name: prefix, GPU key (lower-case words joined by "_", optionally "-ada"-style word
# suffixes as in NVIDIA's RTX6000-Ada), "-", vGPU type. The type grammar follows NVIDIA's
# (NVIDIA/vgpu-device-manager pkg/types/vgpu_type.go): time-sliced <GB><series>, MIG-backed
# <slices>-<GB><series>[attribute]; GB 0 is 512 MB (M60-0Q).
_TYPE = (
    r"(?:(?P<slices>[1-9])-)?(?P<gb>0|[1-9][0-9]*)(?P<series>[qcba])"
    r"(?P<attribute>me|nome|meall|gfx)?"
)
_TYPE_ONLY = re.compile(rf"^{_TYPE}$")
# <prefix><gpu>-<type>: splits a name; the type part is then held to the grammar above.
_GPU = r"[a-z0-9]+(?:_[a-z0-9]+)*(?:-[a-z]+)*"
_PARTS = re.compile(rf"^(?:grid|nvidia)_(?P<gpu>{_GPU})-(?P<type>[0-9][a-z0-9-]*)$")
# A loose type shape, only to say what is wrong with a type the grammar refuses.
_LOOSE_TYPE = re.compile(
    r"^(?:(?P<slices>\d+)-)?(?P<gb>\d+)(?P<series>[a-z]?)(?P<attribute>[a-z]*)$"
)
_EXAMPLES = "for example grid_p100-4q, nvidia_a100-3-20c or nvidia_a30-1-6cme"


class ProfileError(ValueError):
    """A vGPU profile name that is malformed or not in the catalog."""


@dataclass(frozen=True)
class VgpuType:
    """The parts of an NVIDIA vGPU type name such as ``4q``, ``3-20c`` or ``1-10cme``."""

    series: str  # "Q", "C", "B" or "A"
    framebuffer_gb: int  # GiB as in the name; 0 is 512 MB
    slices: int  # compute slices of the GPU instance behind a MIG-backed type; 0: time-sliced
    attribute: str  # MIG attribute ("me", "nome", "meall", "gfx") or ""

    @property
    def mig(self) -> bool:
        return self.slices > 0

    @property
    def framebuffer_mb(self) -> int:
        return 512 if self.framebuffer_gb == 0 else self.framebuffer_gb * 1024


@dataclass(frozen=True)
class VgpuProfile:
    name: str  # canonical vSphere name, grid_ prefix
    gpu_type: str  # catalog key of the GPU, e.g. "p100"
    series: str  # "Q", "C", "A" or "B"
    framebuffer_gb: int  # frame buffer of one vGPU of this type (GiB, as in the type name)
    max_per_gpu: int  # from the vendor table, never computed; MIG-backed: all instances together
    mig: bool  # MIG-backed: runs in a GPU instance of a GPU in MIG mode
    slices: int = 0  # compute slices of its GPU instance (MIG-backed); 0 for time-sliced
    attribute: str = ""  # MIG attribute: "me", "nome", "meall", "gfx" or ""

    @property
    def framebuffer_mb(self) -> int:
        """Frame buffer in MB as NVIDIA's vGPU user guide tables give it (GiB x 1024)."""
        return 512 if self.framebuffer_gb == 0 else self.framebuffer_gb * 1024


@dataclass(frozen=True)
class GpuType:
    key: str
    board: str
    device_name: str  # what host.config.graphicsInfo[].deviceName shows (else the board name)
    framebuffer_gb: int  # per physical GPU
    profiles: tuple[VgpuProfile, ...]
    architecture: str = ""  # "pascal", "volta", "turing", "ampere", "hopper", "ada", "blackwell"
    pci_device_ids: tuple[int, ...] = ()  # PCI device ids NVIDIA's data gives the type prefix
    mig_instances: int = 0  # compute slices in MIG mode; 0: not MIG-capable
    source: str = ""  # key of the catalog's `sources`

    @property
    def mig_capable(self) -> bool:
        return self.mig_instances > 0


def _type_problem(text: str) -> str:
    """Why `text` is not a vGPU type (the grammar refused it)."""
    loose = _LOOSE_TYPE.match(text)
    if loose is None:
        return (
            f"type {text!r} is neither <GB><series> (time-sliced, e.g. 4q) nor "
            "<slices>-<GB><series>[me|nome|meall|gfx] (MIG-backed, e.g. 3-20c, 1-10cme)"
        )
    if loose["series"] == "":
        return f"type {text!r} has no series letter after the frame buffer: Q, C, B or A (4q, 8c)"
    if loose["series"] not in "qcba":
        return f"type {text!r}: unknown series {loose['series']!r} (known: {', '.join(SERIES)})"
    if loose["gb"] != "0" and loose["gb"].startswith("0"):
        return f"type {text!r}: the frame buffer {loose['gb']!r} has a leading zero"
    if loose["slices"] is not None and not 1 <= int(loose["slices"]) <= 9:
        return f"type {text!r}: a MIG-backed type has 1 to 9 compute slices"
    if loose["attribute"] and loose["slices"] is None:
        return (
            f"type {text!r}: only MIG-backed types (<slices>-<GB><series>) carry an attribute "
            f"({', '.join(MIG_ATTRIBUTES)})"
        )
    return (
        f"type {text!r}: unknown attribute {loose['attribute']!r} "
        f"(known: {', '.join(MIG_ATTRIBUTES)})"
    )


def parse_type(text: str) -> VgpuType:
    """The parts of a vGPU type (``4q``, ``3-20c``, ``1-10cme``, case-insensitive); ProfileError
    says what is wrong with anything else."""
    lowered = text.strip().lower()
    match = _TYPE_ONLY.match(lowered)
    if match is None or (match["attribute"] and not match["slices"]):
        raise ProfileError(_type_problem(lowered))
    return VgpuType(
        series=match["series"].upper(),
        framebuffer_gb=int(match["gb"]),
        slices=int(match["slices"] or 0),
        attribute=match["attribute"] or "",
    )


def parse_name(name: str) -> tuple[str, VgpuType]:
    """The GPU key and type of a vSphere profile name (``nvidia_a100-3-20c`` -> ("a100", 3-20c)),
    checked against the grammar only (not the catalog)."""
    wanted = canonical_name(name)
    parts = _PARTS.match(wanted)
    if parts is not None:
        try:
            return parts["gpu"], parse_type(parts["type"])
        except ProfileError as error:
            problem = str(error)
    elif not wanted.startswith(PREFIXES):
        problem = "it does not start with grid_ or nvidia_"
    else:
        problem = "expected <prefix><gpu>-<type>, the type starting with a digit"
    raise ProfileError(f"{name!r} is not a vGPU profile name: {problem}; {_EXAMPLES}")


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
    try:
        parse_name(wanted)
    except ProfileError:
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
    try:
        parsed = parse_type(type_name)
    except ProfileError as error:
        raise ProfileError(f"catalog entry {gpu}-{type_name}: {error}") from None
    return VgpuProfile(
        name=f"grid_{gpu}-{type_name}",
        gpu_type=gpu,
        series=parsed.series,
        framebuffer_gb=parsed.framebuffer_gb,
        max_per_gpu=max_per_gpu,
        mig=parsed.mig,
        slices=parsed.slices,
        attribute=parsed.attribute,
    )


def _gpu_type(key: str, raw: dict[str, Any]) -> GpuType:
    gpu = GpuType(
        key=key,
        board=raw["board"],
        device_name=raw.get("deviceName", raw["board"]),
        framebuffer_gb=int(raw["framebufferGb"]),
        profiles=tuple(
            _parse_profile(key, str(type_name), int(count))
            for type_name, count in raw["profiles"].items()
        ),
        architecture=str(raw.get("architecture", "")),
        pci_device_ids=tuple(int(i) for i in raw.get("pciDeviceIds", ())),
        mig_instances=int(raw.get("migInstances", 0)),
        source=str(raw.get("source", "")),
    )
    for profile in gpu.profiles:
        if profile.slices > gpu.mig_instances:
            raise ProfileError(
                f"catalog entry {profile.name}: {profile.slices} MIG slices, but {gpu.board} "
                f"has {gpu.mig_instances or 'no'} MIG slices (migInstances)"
            )
    return gpu


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
    gpu_key, wanted_type = parse_name(name)
    wanted = canonical_name(name)
    gpu = catalog().get(gpu_key)
    if gpu is None:
        raise ProfileError(
            f"{name!r} names an unknown GPU {gpu_key!r} "
            f"(known: {', '.join(sorted(catalog()))})"
        )
    for profile in gpu.profiles:
        if profile.name == wanted:
            return profile
    if wanted_type.mig and not gpu.mig_capable:
        reason = f"{gpu.board} has no MIG mode, so no MIG-backed types"
    elif wanted_type.slices > gpu.mig_instances:
        reason = f"{gpu.board} has {gpu.mig_instances} MIG slices, not {wanted_type.slices}"
    else:
        reason = "NVIDIA publishes no such type for it"
    offered = ", ".join(p.name for p in gpu.profiles)
    raise ProfileError(f"{name!r} is not a {gpu.board} profile: {reason} (known: {offered})")
