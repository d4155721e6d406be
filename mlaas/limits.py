"""Upper bounds of the numbers in a stack config: beyond any real host or VM, so a typo
(`hostCores: 100000000000`) is refused with the reason instead of being sized. Sources and
reasoning: docs/config-limits.md."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    maximum: int
    reason: str


GPUS_PER_HOST = Limit(64, "no server holds more than 16 GPU boards, and an A16 board counts as 4")
HOST_CORES = Limit(1024, "vSphere 8 runs at most 896 logical CPUs per host")
HOST_SOCKETS = Limit(32, "the largest x86 servers ESXi runs on have 8 or 16 sockets")
HOST_MEMORY_GB = Limit(24 * 1024, "vSphere 8 supports at most 24 TB of memory per host")
HOSTS_PER_POOL = Limit(2500, "one vCenter 8 manages at most 2,500 hosts")
MAX_INSTANCES = Limit(10_000, "a catalog request this large is a typo")
VCPUS = Limit(768, "vSphere 8 gives a VM at most 768 vCPUs")
VM_MEMORY_GB = Limit(24 * 1024, "vSphere 8 gives a VM at most 24 TB of memory")
DISK_GB = Limit(62 * 1024, "a vSphere virtual disk holds at most 62 TB")
TIMEOUT_SECONDS = Limit(3600, "a vRA or Aria call that takes an hour has failed")
