"""Guest readiness of a stack, from the NVIDIA driver rules (mlaas/driver_rules.py): a guest
driver the hosts' vGPU Manager cannot load and a licence source the drivers no longer accept are
plan problems; ECC settings the program cannot make itself are preconditions per pool; each
GPU offering's licence settings (gridd.conf FeatureType) come from its pool's profile series.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlaas import driver_rules, profiles
from mlaas.config import Licensing, Pool, StackConfig
from mlaas.driver_rules import Precondition
from mlaas.issues import PROJECT, Issue

# gridd.conf's ServerPort default for a legacy license server (gridd-template).
LEGACY_SERVER_PORT = 7070


def host_driver_version(pool: Pool) -> str | None:
    """The vGPU Manager version of the pool's hosts as `plan` knows it offline: the pool's
    config. At deployment the version the hosts report takes over (`guest_driver_problem`)."""
    return pool.host_driver_version


def guest_driver_problem(pool: Pool, reported: str | None, guest: str | None) -> str | None:
    """At deployment: why the template's guest driver cannot run on the pool's hosts, from the
    vGPU Manager version they report (mlaas.host_facts.pool_driver), else the config's."""
    host = reported or host_driver_version(pool)
    if host is None or guest is None or pool.vgpu_profile is None:
        return None
    try:
        why = driver_rules.guest_compatible(host, guest)
    except driver_rules.DriverVersionError as error:
        why = str(error)  # a reported version of a branch the rules do not know
    return f"GPU pool {pool.name!r}: {why}" if why else None


def problems(config: StackConfig) -> list[Issue]:
    found: list[Issue] = []
    guest = config.template.guest_driver_version if config.template else None
    for index, pool in enumerate(config.pools):
        host = host_driver_version(pool)
        # A passthrough pool has no vGPU Manager between the guest driver and the GPU.
        if host is None or guest is None or pool.vgpu_profile is None:
            continue
        why = driver_rules.guest_compatible(host, guest)
        if why is not None:
            found.append(Issue(
                f"{PROJECT}:template.guestDriverVersion",
                f"pool {pool.name!r} ({PROJECT}:pools[{index}].hostDriverVersion): {why}",
            ))
    licensing = config.licensing
    if licensing is not None and licensing.server_address is not None:
        versions = [(f"{PROJECT}:pools[{i}].hostDriverVersion", host_driver_version(p))
                    for i, p in enumerate(config.pools)]
        versions.append((f"{PROJECT}:template.guestDriverVersion", guest))
        for path, version in versions:
            if version is not None and driver_rules.token_required(version):
                found.append(Issue(
                    f"{PROJECT}:licensing.serverAddress",
                    f"driver {version} ({path}) is {driver_rules.branch_of(version)}, which "
                    "licenses through NVIDIA License System only and refuses every legacy "
                    "license server; set clientConfigToken (a secret) instead "
                    "(docs/guest-readiness.md)",
                ))
                break
    return found


def preconditions(config: StackConfig) -> list[Precondition]:
    found = []
    for index, pool in enumerate(config.pools):
        if pool.vgpu_profile is None:
            continue  # the rule is about vGPU; a passthrough GPU's ECC is the guest's
        profile = profiles.lookup(pool.vgpu_profile)
        ecc = driver_rules.ecc_precondition(
            f"{PROJECT}:pools[{index}]", profile.gpu_type,
            profiles.gpu_type(profile.gpu_type).architecture, host_driver_version(pool),
        )
        if ecc is not None:
            found.append(ecc)
    return found


@dataclass(frozen=True)
class GuestLicence:
    """What one GPU offering's guests need to lease their licence."""

    feature_type: int  # gridd.conf FeatureType
    product: str  # the licensed product `nvidia-smi -q` should then report
    server_address: str | None  # legacy license server; None: the client configuration token
    server_port: int | None


def guest_licence(licensing: Licensing | None, vgpu_profile: str | None) -> GuestLicence | None:
    """The licence settings of an offering on a pool of `vgpu_profile`; None for a CPU-only
    offering or a stack without `gpu-mlaas:licensing`."""
    if licensing is None or vgpu_profile is None:
        return None
    series = profiles.lookup(vgpu_profile).series
    feature = licensing.feature_type
    if feature is None:
        feature = driver_rules.feature_type(series)
    product = (driver_rules.licensed_product(series) if feature == driver_rules.feature_type(series)
               else str(driver_rules.rules()["licensing"]["featureTypes"][feature]))
    return GuestLicence(
        feature_type=feature,
        product=product,
        server_address=licensing.server_address,
        server_port=(licensing.server_port or LEGACY_SERVER_PORT) if licensing.server_address
        else None,
    )
