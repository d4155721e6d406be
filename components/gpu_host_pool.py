"""GpuHostPool: every host of a pool in vGPU mode, its facts, the one exact profile string the
hosts offer, and the slot capacity they give."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from mlaas.config import Pool
from mlaas.host_facts import OUTPUT_KEYS, HostFacts, capacity_from_hosts, pool_profile
from providers.vsphere.host_graphics import HostGraphics


@dataclass(frozen=True)
class GpuHostPoolArgs:
    pool: Pool
    """The validated pool config: hosts, vGPU profile, the hardware each host should have."""


class GpuHostPool(pulumi.ComponentResource):
    hosts: pulumi.Output[list[dict[str, Any]]]
    capacity: pulumi.Output[dict[str, int]]
    profile: pulumi.Output[str]
    """The profile exactly as the pool's hosts spell it (`nvidia_a100-20c`, `grid_p100-4q`)."""

    def __init__(
        self, name: str, args: GpuHostPoolArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("gpu-mlaas:index:GpuHostPool", name, None, opts)
        pool = args.pool
        if pool.vgpu_profile is None:
            raise ValueError(
                f"GpuHostPool {name!r}: pool {pool.name!r} is a passthrough pool; GpuHostPool "
                "puts hosts in vGPU mode"
            )
        profile = pool.vgpu_profile
        self.graphics = [
            HostGraphics(
                f"{name}-{host}",
                host_name=host,
                pool=pool.name,
                vgpu_profile=profile,
                assignment_policy=pool.assignment_policy,
                maintenance_mode=pool.maintenance_mode,
                opts=pulumi.ResourceOptions(parent=self),
            )
            for host in pool.hosts
        ]
        # Each host as one typed record (mlaas.host_facts.HostFacts), passed on as its outputs.
        self.hosts = pulumi.Output.all(*[self._facts(graphics) for graphics in self.graphics])
        # Sized from what vSphere reports, so a pool config that overstates its hosts fails here.
        self.capacity = self.hosts.apply(
            lambda hosts: capacity_from_hosts(pool, hosts).as_json()
        )
        self.profile = self.hosts.apply(
            lambda hosts: pool_profile(pool, {h["hostName"]: h["hostProfile"] for h in hosts})
        )
        self.register_outputs(
            {"hosts": self.hosts, "capacity": self.capacity, "profile": self.profile}
        )

    @staticmethod
    def _facts(graphics: HostGraphics) -> pulumi.Output[dict[str, Any]]:
        outputs = pulumi.Output.all(**{key: getattr(graphics, key) for key in OUTPUT_KEYS})
        return outputs.apply(lambda facts: HostFacts.from_output(facts).output())
