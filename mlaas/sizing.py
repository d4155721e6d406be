"""Slot capacity and VM sizing of vGPU and DirectPath I/O (passthrough) pools, the white
paper's sections 4.4 and 4.5 as functions.

Pure Python: the plan command, the components and the policy pack all call these.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from math import isqrt
from typing import Any

from pydantic.alias_generators import to_camel

from mlaas import profiles
from mlaas.config import (
    DEFAULT_CPU_ONLY_MEMORY_GB,
    DEFAULT_CPU_ONLY_VCPUS,
    PROJECT,
    Issue,
    Pool,
    StackConfig,
)


def _camel(obj: object, names: Iterable[str]) -> dict[str, Any]:
    """The named attributes of `obj` under camelCase keys, as `plan --json` shows them."""
    return {to_camel(name): getattr(obj, name) for name in names}


@dataclass(frozen=True)
class PoolCapacity:
    slots_per_gpu: int
    slots_per_host: int
    slots_total: int
    vcpus_per_vm: int  # 0 when the host has fewer cores than vGPU slots
    cores_per_socket: int

    def as_json(self) -> dict[str, int]:
        return _camel(self, [field.name for field in fields(self)])


def vcpus_per_vm(host_cores: int, slots_per_host: int) -> int:
    """Physical cores shared evenly by the vGPU VMs of a host (hyper-threads not counted)."""
    return host_cores // slots_per_host


def cores_per_socket(vcpus: int, host_cores: int, host_sockets: int) -> int:
    """Largest divisor of `vcpus` that fits in one physical socket, so vNUMA maps onto it."""
    if vcpus < 1:
        return 0
    per_socket = max(1, host_cores // host_sockets)
    best = 1
    # Divisors come in pairs (d, vcpus // d): walking to the square root finds them all.
    for small in range(1, isqrt(vcpus) + 1):
        if vcpus % small == 0:
            best = max([best] + [d for d in (small, vcpus // small) if d <= per_socket])
    return best


def _capacity(
    *, slots_per_gpu: int, slots_per_host: int, hosts: int, host_cores: int, host_sockets: int
) -> PoolCapacity:
    vcpus = vcpus_per_vm(host_cores, slots_per_host) if slots_per_host else 0
    return PoolCapacity(
        slots_per_gpu=slots_per_gpu,
        slots_per_host=slots_per_host,
        slots_total=slots_per_host * hosts,
        vcpus_per_vm=vcpus,
        cores_per_socket=cores_per_socket(vcpus, host_cores, host_sockets),
    )


def pool_capacity(
    *, max_per_gpu: int, gpus_per_host: int, hosts: int, host_cores: int, host_sockets: int
) -> PoolCapacity:
    """A vGPU pool: each GPU runs `max_per_gpu` VMs of the profile (NVIDIA's table)."""
    return _capacity(
        slots_per_gpu=max_per_gpu, slots_per_host=max_per_gpu * gpus_per_host, hosts=hosts,
        host_cores=host_cores, host_sockets=host_sockets,
    )


def passthrough_capacity(
    *, gpus_per_vm: int, gpus_per_host: int, hosts: int, host_cores: int, host_sockets: int
) -> PoolCapacity:
    """A DirectPath I/O pool: each VM takes `gpus_per_vm` whole GPUs of one host, so a host holds
    floor(gpus_per_host / gpus_per_vm) VMs; a GPU belongs to at most one VM (slots per GPU 1)."""
    return _capacity(
        slots_per_gpu=1, slots_per_host=gpus_per_host // gpus_per_vm, hosts=hosts,
        host_cores=host_cores, host_sockets=host_sockets,
    )


def usable_memory_gb(pool: Pool) -> int:
    return pool.host_memory_gb - pool.hypervisor_reserve_gb


def default_memory_gb(pool: Pool, slots_per_host: int) -> int:
    """When an offering names no memory: an equal share of the host's usable memory per slot."""
    return usable_memory_gb(pool) // slots_per_host


@dataclass(frozen=True)
class PoolPlan:
    name: str
    hosts: int
    vgpu_profile: str | None  # None: a passthrough pool
    gpu_type: str | None  # catalog key of the profile's GPU; None: a passthrough pool
    framebuffer_gb: int | None  # of one vGPU of the pool's profile; None: a passthrough pool
    capacity: PoolCapacity
    config: Pool  # the validated pool: cluster, host names, the hardware each host should have

    @property
    def passthrough(self) -> bool:
        return self.config.mode == "passthrough"

    def as_json(self) -> dict[str, object]:
        shown = ("name", "hosts", "vgpu_profile", "gpu_type", "framebuffer_gb")
        extra: dict[str, object] = {"mode": self.config.mode}
        if self.passthrough:
            extra["gpusPerVm"] = self.config.gpus_per_vm
            for key in ("pci_vendor_id", "pci_device_id"):
                value = getattr(self.config, key)
                extra[to_camel(key)] = None if value is None else f"0x{value:04x}"
        return {**_camel(self, shown), **extra, **self.capacity.as_json()}


@dataclass(frozen=True)
class OfferingPlan:
    name: str
    pool: str | None
    max_instances: int
    vcpus: int
    cores_per_socket: int
    memory_gb: int
    disk_gb: int
    vgpu_profile: str | None
    image: str | None  # container image the software component pulls; None: no component
    description: str  # shown in the catalog

    def as_json(self) -> dict[str, object]:
        return _camel(
            self, ("name", "pool", "max_instances", "vcpus", "cores_per_socket", "memory_gb")
        )


@dataclass(frozen=True)
class Plan:
    pools: list[PoolPlan] = field(default_factory=list)
    offerings: list[OfferingPlan] = field(default_factory=list)
    problems: list[Issue] = field(default_factory=list)

    @property
    def feasible(self) -> bool:
        return not self.problems

    def pool(self, name: str) -> PoolPlan:
        return next(pool for pool in self.pools if pool.name == name)

    def template_memory_gb(self, pool: str) -> int:
        """Memory of the pool's vGPU template: that of its largest offering (each blueprint
        then sets its own)."""
        return max(offering.memory_gb for offering in self.offerings if offering.pool == pool)

    def as_json(self) -> dict[str, object]:
        return {
            "feasible": self.feasible,
            "problems": [asdict(problem) for problem in self.problems],
            "pools": [pool.as_json() for pool in self.pools],
            "offerings": [offering.as_json() for offering in self.offerings],
        }


def _plan_pool(index: int, pool: Pool, problems: list[Issue]) -> PoolPlan:
    hardware = {"gpus_per_host": pool.gpus_per_host, "hosts": len(pool.hosts),
                "host_cores": pool.host_cores, "host_sockets": pool.host_sockets}
    if pool.mode == "passthrough":
        assert pool.gpus_per_vm is not None  # set by validation in passthrough mode
        capacity = passthrough_capacity(gpus_per_vm=pool.gpus_per_vm, **hardware)
        shown: tuple[str | None, str | None, int | None] = (None, None, None)
        larger = "fewer VMs per host (a larger gpusPerVm)"
    else:
        assert pool.vgpu_profile is not None  # required by validation in vGPU mode
        profile = profiles.lookup(pool.vgpu_profile)
        capacity = pool_capacity(max_per_gpu=profile.max_per_gpu, **hardware)
        shown = (profile.name, profile.gpu_type, profile.framebuffer_gb)
        larger = "a larger profile"
    if capacity.vcpus_per_vm < 1:
        problems.append(
            Issue(
                f"{PROJECT}:pools[{index}].hostCores",
                f"{pool.host_cores} physical cores cannot give each of the "
                f"{capacity.slots_per_host} {vm_kind(pool)} VMs per host one vCPU; use {larger} "
                "or hosts with more cores",
            )
        )
    return PoolPlan(
        name=pool.name,
        hosts=len(pool.hosts),
        vgpu_profile=shown[0],
        gpu_type=shown[1],
        framebuffer_gb=shown[2],
        capacity=capacity,
        config=pool,
    )


def vm_kind(pool: Pool) -> str:
    """How messages name the pool's VMs."""
    return "passthrough" if pool.mode == "passthrough" else "vGPU"


def plan(config: StackConfig) -> Plan:
    """Size every pool and offering; capacity problems are listed, not raised."""
    problems: list[Issue] = []
    pools = {
        pool.name: (index, pool, _plan_pool(index, pool, problems))
        for index, pool in enumerate(config.pools)
    }
    offerings: list[OfferingPlan] = []
    largest_memory: dict[str, tuple[int, int]] = {}  # pool -> (memory, offering index)
    for index, offering in enumerate(config.offerings):
        path = f"{PROJECT}:offerings[{index}]"
        if offering.pool is None:
            vcpus = offering.vcpus or DEFAULT_CPU_ONLY_VCPUS
            offerings.append(
                OfferingPlan(
                    name=offering.name,
                    pool=None,
                    max_instances=offering.max_instances,
                    vcpus=vcpus,
                    cores_per_socket=vcpus,
                    memory_gb=offering.memory_gb or DEFAULT_CPU_ONLY_MEMORY_GB,
                    disk_gb=offering.disk_gb,
                    vgpu_profile=None,
                    image=offering.image,
                    description=offering.description,
                )
            )
            continue
        _, pool, pool_plan = pools[offering.pool]
        capacity = pool_plan.capacity
        vcpus = offering.vcpus or capacity.vcpus_per_vm
        if offering.vcpus is not None and offering.vcpus > capacity.vcpus_per_vm:
            problems.append(
                Issue(
                    f"{path}.vcpus",
                    f"{offering.vcpus} vCPUs exceed the {capacity.vcpus_per_vm} physical cores "
                    f"per VM of pool {pool.name!r} ({pool.host_cores} cores / "
                    f"{capacity.slots_per_host} slots per host)",
                )
            )
        if offering.max_instances > capacity.slots_total:
            problems.append(
                Issue(
                    f"{path}.maxInstances",
                    f"{offering.max_instances} instances exceed the {capacity.slots_total} "
                    f"{vm_kind(pool)} slots of pool {pool.name!r}",
                )
            )
        memory = offering.memory_gb or default_memory_gb(pool, capacity.slots_per_host)
        if memory > largest_memory.get(pool.name, (0, -1))[0]:
            largest_memory[pool.name] = (memory, index)
        offerings.append(
            OfferingPlan(
                name=offering.name,
                pool=pool.name,
                max_instances=offering.max_instances,
                vcpus=vcpus,
                cores_per_socket=cores_per_socket(vcpus, pool.host_cores, pool.host_sockets),
                memory_gb=memory,
                disk_gb=offering.disk_gb,
                vgpu_profile=pool_plan.vgpu_profile,
                image=offering.image,
                description=offering.description,
            )
        )
    # A vGPU or passthrough VM reserves all of its memory, so a full host must hold every
    # slot's reservation.
    for name, (memory, index) in largest_memory.items():
        _, pool, pool_plan = pools[name]
        needed = memory * pool_plan.capacity.slots_per_host
        if needed > usable_memory_gb(pool):
            problems.append(
                Issue(
                    f"{PROJECT}:offerings[{index}].memoryGb",
                    f"{pool_plan.capacity.slots_per_host} VMs x {memory} GB reserved = {needed} GB "
                    f"exceeds the {usable_memory_gb(pool)} GB usable on each host of pool "
                    f"{name!r} ({pool.host_memory_gb} GB - {pool.hypervisor_reserve_gb} GB "
                    "hypervisorReserveGb)",
                )
            )
    return Plan(
        pools=[entry[2] for entry in pools.values()],
        offerings=offerings,
        problems=problems,
    )
