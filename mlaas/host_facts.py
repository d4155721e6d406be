"""Compare what vSphere reports about a pool's hosts with the pool's config, and size the pool
from the reported facts (the config may be optimistic; the hosts are not)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mlaas import profiles
from mlaas.config import Pool
from mlaas.sizing import PoolCapacity, passthrough_capacity, pool_capacity

# Hosts report slightly less memory than the DIMMs add up to (firmware, ESXi carve-outs).
MEMORY_TOLERANCE = 0.03


class HostMismatch(ValueError):
    """A host's real hardware contradicts the pool config."""


def mismatches(pool: Pool, hosts: Sequence[Mapping[str, Any]]) -> list[str]:
    """One line per contradiction, naming the host, the config key and both values."""
    lines = []
    for host in hosts:
        name = host.get("hostName", "?")
        checks = [
            ("gpusPerHost", pool.gpus_per_host, int(host["gpuCount"])),
            ("hostCores", pool.host_cores, int(host["physicalCores"])),
            ("hostSockets", pool.host_sockets, int(host["sockets"])),
        ]
        for key, expected, actual in checks:
            if expected != actual:
                lines.append(f"host {name}: pool {pool.name!r} sets {key} {expected}, "
                             f"vSphere reports {actual}")
        memory = float(host["memoryGb"])
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


def _smallest_host(hosts: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """The hardware a pool is sized by: the fewest GPUs and cores, and the most sockets. The
    most sockets, not the fewest, because cores per socket must fit one physical socket of every
    host: fewest cores over most sockets is never more than any host's cores per socket, so a
    VM's virtual socket never spans two physical ones (vNUMA, white paper 4.5)."""
    return {
        "gpus_per_host": min(int(host["gpuCount"]) for host in hosts),
        "hosts": len(hosts),
        "host_cores": min(int(host["physicalCores"]) for host in hosts),
        "host_sockets": max(int(host["sockets"]) for host in hosts),
    }


def reported_capacity(vgpu_profile: str, hosts: Sequence[Mapping[str, Any]]) -> PoolCapacity:
    """Slot capacity of a vGPU pool from what its hosts report (`gpuCount`, `physicalCores`,
    `sockets`, whole numbers), sized by its smallest host: the one rule of the components and
    the policy pack. Raises ProfileError for a profile the catalog does not know."""
    profile = profiles.lookup(vgpu_profile)
    return pool_capacity(max_per_gpu=profile.max_per_gpu, **_smallest_host(hosts))


def reported_passthrough_capacity(
    gpus_per_vm: int, hosts: Sequence[Mapping[str, Any]]
) -> PoolCapacity:
    """Slot capacity of a passthrough pool from what its hosts report (`gpuCount`: the GPUs
    passed through), by the same smallest-host rule."""
    return passthrough_capacity(gpus_per_vm=gpus_per_vm, **_smallest_host(hosts))


def capacity_from_hosts(pool: Pool, hosts: Sequence[Mapping[str, Any]]) -> PoolCapacity:
    """Slot capacity computed from the reported hardware; raises HostMismatch on contradictions."""
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
