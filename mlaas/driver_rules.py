"""NVIDIA vGPU driver rules, loaded from `data/driver_rules.yaml` (facts and sources:
docs/guest-readiness.md): which vGPU release a driver version belongs to, whether a guest driver
works with the hosts' vGPU Manager, when ECC must be off, and what the guest licenses.

Pure Python: `plan`, the components and the policy pack call these.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

# NVIDIA driver versions: `<branch>.<minor>[.<patch>]`, e.g. 418.66, 525.85.05.
VERSION = re.compile(r"^(?P<branch>\d{3})\.\d{1,3}(?:\.\d{1,3})?$")


class DriverVersionError(ValueError):
    """A driver version that is malformed or of a branch the rules do not know."""


@dataclass(frozen=True)
class Branch:
    number: int  # 525
    release: int  # vGPU software release, 15

    def __str__(self) -> str:
        return f"R{self.number} (vGPU {self.release}.x)"


@cache
def rules() -> dict[str, Any]:
    text = resources.files("mlaas").joinpath("data/driver_rules.yaml").read_text()
    loaded: dict[str, Any] = yaml.safe_load(text)
    return loaded


def source(key: str) -> str:
    """The text of one source of the rules file, by its key."""
    return " ".join(str(rules()["sources"][key]).split())


def branch_of(version: str) -> Branch:
    match = VERSION.match(version.strip())
    if match is None:
        raise DriverVersionError(
            f"{version!r} is not an NVIDIA driver version (<branch>.<minor>[.<patch>], "
            "e.g. 525.85.05)"
        )
    number = int(match["branch"])
    known = rules()["branches"]
    if number not in known:
        raise DriverVersionError(
            f"{version!r} is of branch R{number}, which the driver rules do not know "
            f"(known: {', '.join(f'R{b}' for b in sorted(known))})"
        )
    return Branch(number, int(known[number]["release"]))


def check_version(version: str) -> str:
    """A config validator: the version itself when its branch is known."""
    branch_of(version)
    return version.strip()


def guest_compatible(host_version: str, guest_version: str) -> str | None:
    """None when a guest driver of `guest_version` loads on hosts whose vGPU Manager is
    `host_version`; otherwise why not, citing NVIDIA's rule."""
    host, guest = branch_of(host_version), branch_of(guest_version)
    if host.number == guest.number:
        return None
    compatibility = rules()["compatibility"]
    ordered = sorted(rules()["branches"])
    previous = ordered[ordered.index(host.number) - 1] if ordered.index(host.number) else None
    if guest.number == previous and host.release >= compatibility["previousBranchFromRelease"]:
        return None
    allowed = "the same branch"
    if host.release >= compatibility["previousBranchFromRelease"] and previous is not None:
        allowed += f" or the previous branch R{previous}"
    return (
        f"guest driver {guest_version} ({guest}) does not work with the hosts' vGPU Manager "
        f"{host_version} ({host}): NVIDIA supports guest drivers of {allowed} only, and the vGPU "
        f"fails to load otherwise (vGPU release notes, \"Compatibility Requirements for the "
        f"NVIDIA vGPU Manager and Guest VM Driver\"; docs/guest-readiness.md)"
    )


@dataclass(frozen=True)
class Precondition:
    """Something that must hold on the hosts before the pool can run its vGPUs, which the
    program cannot check or change itself."""

    path: str  # the config key path it is about
    message: str
    source: str


def ecc_precondition(
    path: str, gpu_type: str, architecture: str, host_version: str | None
) -> Precondition | None:
    """ECC off on every GPU of the pool when its vGPU release predates ECC support (or is not
    known), for GPUs of the architectures that ran vGPU before it; None when it does not apply."""
    ecc = rules()["ecc"]
    if architecture not in ecc["architecturesWithEcc"]:
        return None
    first = ecc["supportedFromRelease"]
    if host_version is not None:
        branch = branch_of(host_version)
        if branch.release >= first:
            return None
        when = f"the hosts' vGPU Manager {host_version} is {branch}, before vGPU {first}.0"
    else:
        when = (f"if the hosts' vGPU Manager is older than vGPU {first}.0 (set hostDriverVersion "
                "to know)")
    return Precondition(
        path=path,
        message=(
            f"ECC memory must be off on every {gpu_type.upper()} GPU of the pool: {when}, which "
            "does not support ECC with vGPU (the vGPU fails to start). On each host run "
            "`nvidia-smi -e 0` and reboot it; `nvidia-smi -q` then shows ECC Mode Current: "
            "Disabled"
        ),
        source=source(ecc["source"]),
    )


def token_required(version: str) -> bool:
    """True when this driver's release licenses through NVIDIA License System only."""
    return branch_of(version).release >= rules()["licensing"]["tokenOnlyFromRelease"]


def feature_type(series: str) -> int:
    """gridd.conf FeatureType of a vGPU guest of this profile series (NVIDIA: 1 for any vGPU;
    the driver picks the licensed product from the vGPU type)."""
    if series not in rules()["licensing"]["products"]:
        raise ValueError(f"unknown vGPU series {series!r}")
    return int(rules()["licensing"]["vgpuFeatureType"])


def licensed_product(series: str) -> str:
    """The licensed product `nvidia-smi -q` reports for a vGPU of this series."""
    return str(rules()["licensing"]["products"][series])


FEATURE_TYPES = frozenset(int(key) for key in rules()["licensing"]["featureTypes"])
