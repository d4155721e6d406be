"""What vSphere reports about one GPU host, as one typed record (`HostFacts`) from the vSphere
provider to the components, the stack outputs and the policy pack; compare a pool's hosts with
the pool's config, and size the pool from the reported facts (the config may be optimistic; the
hosts are not)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from mlaas import profiles
from mlaas.config import Pool
from mlaas.sizing import PoolCapacity, passthrough_capacity, pool_capacity

# Hosts report slightly less memory than the DIMMs add up to (firmware, ESXi carve-outs).
MEMORY_TOLERANCE = 0.03


class HostMismatch(ValueError):
    """A host's real hardware contradicts the pool config."""


class HostFacts(BaseModel):
    """One host as vSphere reports it. Outputs and policy see it under its camelCase names
    (`gpuCount`, `driverVersion`); `from_output` reads such a mapping back. Facts the host has
    not reported (a preview before the first read) are None."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, frozen=True, extra="ignore"
    )

    host_name: str
    graphics_type: str | None = None  # host default graphics type (sharedDirect = vGPU)
    assignment_policy: str | None = None
    gpu_model: str | None = None  # the device names of the GPUs running vGPU
    gpu_count: int | None = None  # GPUs running vGPU, the ones that give slots
    other_mode_gpus: list[dict[str, Any]] = []
    physical_cores: int | None = None
    sockets: int | None = None
    memory_gb: int | None = None
    power_policy: str | None = None
    shared_graphics_active: bool | None = None
    offered_profiles: list[str] = []
    host_profile: str | None = None  # the pool's profile as this host spells it
    # The NVIDIA vGPU Manager installed on the host (HostImageConfigManager, docs/vsphere-vgpu.md
    # "The host driver"): its VIB ("name version") and the driver version ("550.127.06").
    driver_package: str | None = None
    driver_version: str | None = None

    @classmethod
    def from_output(cls, output: Mapping[str, Any]) -> HostFacts:
        return cls.model_validate(dict(output))

    def output(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True)


# The output names of the record, in order (what components pass on and policy reads).
OUTPUT_KEYS: tuple[str, ...] = tuple(
    str(field.alias) for field in HostFacts.model_fields.values()
)


def _facts(hosts: Sequence[HostFacts | Mapping[str, Any]]) -> list[HostFacts]:
    return [h if isinstance(h, HostFacts) else HostFacts.from_output(h) for h in hosts]


def pool_driver(pool: Pool, hosts: Sequence[HostFacts | Mapping[str, Any]]) -> str | None:
    """The one NVIDIA vGPU Manager version of the pool's hosts; hosts that run different ones
    are an error naming each host and version (a pool is homogeneous: one driver release offers
    one set of profile names and sizes). None when no host reports one."""
    facts = _facts(hosts)
    versions = {f.host_name: f.driver_version for f in facts if f.driver_version}
    distinct = sorted(set(versions.values()))
    if len(distinct) > 1:
        listing = ", ".join(f"{host}={versions[host]}" for host in sorted(versions))
        raise HostMismatch(
            f"GPU pool {pool.name!r}: its hosts run different NVIDIA vGPU Manager versions "
            f"({listing}); install one driver release on every host of the pool"
        )
    return distinct[0] if distinct else None


def mismatches(pool: Pool, hosts: Sequence[HostFacts | Mapping[str, Any]]) -> list[str]:
    """One line per contradiction, naming the host, the config key and both values."""
    lines = []
    for host in _facts(hosts):
        name = host.host_name
        checks = [
            ("gpusPerHost", pool.gpus_per_host, host.gpu_count),
            ("hostCores", pool.host_cores, host.physical_cores),
            ("hostSockets", pool.host_sockets, host.sockets),
        ]
        for key, expected, actual in checks:
            if expected != actual:
                lines.append(f"host {name}: pool {pool.name!r} sets {key} {expected}, "
                             f"vSphere reports {actual}")
        memory = float(host.memory_gb or 0)
        if abs(memory - pool.host_memory_gb) > pool.host_memory_gb * MEMORY_TOLERANCE:
            lines.append(f"host {name}: pool {pool.name!r} sets hostMemoryGb "
                         f"{pool.host_memory_gb}, vSphere reports {memory:g}")
    return lines


def pool_profile(pool: Pool, spellings: Mapping[str, str | None]) -> str:
    """The one spelling of the pool's profile that every host offers (host name -> the host's
    spelling); hosts that spell it differently, or do not offer it, are an error naming them."""
    missing = sorted(host for host, spelled in spellings.items() if not spelled)
    if missing:
        raise HostMismatch(
            f"GPU pool {pool.name!r}: host(s) {', '.join(missing)} do not offer "
            f"{pool.vgpu_profile}"
        )
    distinct = sorted({str(spelled) for spelled in spellings.values()})
    if len(distinct) > 1:
        listing = ", ".join(f"{host}={spellings[host]}" for host in sorted(spellings))
        raise HostMismatch(
            f"GPU pool {pool.name!r}: its hosts spell the vGPU profile differently ({listing}); "
            "a template carries one exact string, so run one NVIDIA host driver release on "
            "every host of the pool"
        )
    return distinct[0]


def _smallest_host(hosts: Sequence[HostFacts | Mapping[str, Any]]) -> dict[str, int]:
    """The hardware a pool is sized by: the fewest GPUs and cores, and the most sockets. The
    most sockets, not the fewest, because cores per socket must fit one physical socket of every
    host: fewest cores over most sockets is never more than any host's cores per socket, so a
    VM's virtual socket never spans two physical ones (vNUMA, white paper 4.5)."""
    facts = _facts(hosts)
    return {
        "gpus_per_host": min(int(host.gpu_count or 0) for host in facts),
        "hosts": len(facts),
        "host_cores": min(int(host.physical_cores or 0) for host in facts),
        "host_sockets": max(int(host.sockets or 0) for host in facts),
    }


def reported_capacity(
    vgpu_profile: str, hosts: Sequence[HostFacts | Mapping[str, Any]]
) -> PoolCapacity:
    """Slot capacity of a vGPU pool from what its hosts report (`gpuCount`, `physicalCores`,
    `sockets`, whole numbers), sized by its smallest host: the one rule of the components and
    the policy pack. Raises ProfileError for a profile the catalog does not know."""
    profile = profiles.lookup(vgpu_profile)
    return pool_capacity(max_per_gpu=profile.max_per_gpu, **_smallest_host(hosts))


def reported_passthrough_capacity(
    gpus_per_vm: int, hosts: Sequence[HostFacts | Mapping[str, Any]]
) -> PoolCapacity:
    """Slot capacity of a passthrough pool from what its hosts report (`gpuCount`: the GPUs
    passed through), by the same smallest-host rule."""
    return passthrough_capacity(gpus_per_vm=gpus_per_vm, **_smallest_host(hosts))


def capacity_from_hosts(
    pool: Pool, hosts: Sequence[HostFacts | Mapping[str, Any]]
) -> PoolCapacity:
    """Slot capacity computed from the reported hardware; raises HostMismatch on contradictions
    (hardware against the config, or hosts running different vGPU Manager versions)."""
    pool_driver(pool, hosts)
    problems = mismatches(pool, hosts)
    if problems:
        raise HostMismatch(
            f"GPU pool {pool.name!r} does not match its hosts:\n  " + "\n  ".join(problems)
        )
    if pool.mode == "passthrough":
        assert pool.gpus_per_vm is not None  # set by validation in passthrough mode
        return reported_passthrough_capacity(pool.gpus_per_vm, hosts)
    assert pool.vgpu_profile is not None  # required by validation in vGPU mode
    return reported_capacity(pool.vgpu_profile, hosts)
