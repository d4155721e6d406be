"""The host facts record (mlaas.host_facts.HostFacts) and the pool rules over it."""

from __future__ import annotations

from typing import Any

import pytest

from mlaas.config import Pool
from mlaas.host_facts import (
    OUTPUT_KEYS,
    HostFacts,
    HostMismatch,
    capacity_from_hosts,
    pool_driver,
)


def pool() -> Pool:
    return Pool.model_validate({
        "name": "a100-pool", "cluster": "C", "hosts": ["h1", "h2"],
        "vgpuProfile": "grid_a100-20c", "gpusPerHost": 2, "hostCores": 32, "hostSockets": 2,
        "hostMemoryGb": 512,
    })


def host(name: str, **changes: Any) -> dict[str, Any]:
    # Numbers cross gRPC as floats.
    return {"hostName": name, "gpuCount": 2.0, "physicalCores": 32.0, "sockets": 2.0,
            "memoryGb": 512.0, "driverVersion": "550.127.06", **changes}


def test_the_record_reads_outputs_back_and_names_its_outputs_in_camel_case() -> None:
    facts = HostFacts.from_output({**host("h1"), "gpuDevices": [{"pciId": "x"}]})
    assert facts.gpu_count == 2 and facts.driver_version == "550.127.06"
    assert tuple(facts.output()) == OUTPUT_KEYS
    assert {"hostName", "gpuCount", "driverVersion", "driverPackage"} <= set(OUTPUT_KEYS)
    assert HostFacts.from_output(facts.output()) == facts


def test_one_driver_per_pool() -> None:
    assert pool_driver(pool(), [host("h1"), host("h2")]) == "550.127.06"
    assert pool_driver(pool(), [host("h1", driverVersion=None)]) is None
    with pytest.raises(HostMismatch) as mixed:
        capacity_from_hosts(pool(), [host("h1"), host("h2", driverVersion="535.216.01")])
    assert str(mixed.value) == (
        "GPU pool 'a100-pool': its hosts run different NVIDIA vGPU Manager versions "
        "(h1=550.127.06, h2=535.216.01); install one driver release on every host of the pool"
    )


def test_capacity_from_records_and_from_outputs_agree() -> None:
    outputs = [host("h1"), host("h2")]
    records = [HostFacts.from_output(h) for h in outputs]
    assert capacity_from_hosts(pool(), outputs) == capacity_from_hosts(pool(), records)
