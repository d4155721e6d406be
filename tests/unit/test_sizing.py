"""Slot capacity and VM sizing rules (white paper 4.4 and 4.5)."""

from typing import Any

import pytest

from mlaas.config import parse_config
from mlaas.sizing import (
    OfferingPlan,
    Plan,
    cores_per_socket,
    plan,
    pool_capacity,
    vcpus_per_vm,
)


def pool(**overrides: Any) -> dict[str, Any]:
    base = {
        "name": "p100",
        "cluster": "gpu",
        "hosts": ["esx1", "esx2"],
        "vgpuProfile": "grid_p100-4q",
        "gpusPerHost": 1,
        "hostCores": 16,
        "hostSockets": 2,
        "hostMemoryGb": 256,
    }
    return base | overrides


def offering(**overrides: Any) -> dict[str, Any]:
    return {"name": "tf", "pool": "p100", "maxInstances": 4} | overrides


def planned(pools: list[dict[str, Any]], offerings: list[dict[str, Any]]) -> Plan:
    return plan(parse_config({"gpu-mlaas:pools": pools, "gpu-mlaas:offerings": offerings}))


def sized(result: Plan, name: str) -> OfferingPlan:
    return next(entry for entry in result.offerings if entry.name == name)


def test_white_paper_p100_4q_gives_4_vms_of_4_vcpus() -> None:
    result = planned([pool()], [offering()])
    p = result.pool("p100")
    cap = p.capacity
    assert (cap.slots_per_gpu, cap.slots_per_host, cap.slots_total) == (4, 4, 8)
    assert p.capacity.vcpus_per_vm == 4
    assert p.framebuffer_gb == 4
    assert result.feasible is True


def test_white_paper_p100_2q_gives_8_vms_of_one_eighth_of_the_cores() -> None:
    p = planned([pool(vgpuProfile="grid_p100-2q")], []).pool("p100")
    assert p.capacity.slots_per_host == 8
    assert p.capacity.vcpus_per_vm == 2  # 16 cores / 8 VMs


def test_slots_multiply_by_gpus_and_hosts() -> None:
    cap = pool_capacity(max_per_gpu=4, gpus_per_host=4, hosts=3, host_cores=64, host_sockets=2)
    assert (cap.slots_per_host, cap.slots_total, cap.vcpus_per_vm) == (16, 48, 4)


def test_a16_board_counts_as_four_gpus() -> None:
    p = planned([pool(vgpuProfile="grid_a16-4q", gpusPerHost=8, hostCores=64)], []).pool("p100")
    assert p.capacity.slots_per_host == 32  # two boards, 4 GPUs each, 4 x 4Q per GPU


def test_mig_profile_uses_the_table() -> None:
    p = planned([pool(vgpuProfile="grid_a100-3-20c", gpusPerHost=2, hostCores=32)], []).pool("p100")
    assert p.capacity.slots_per_gpu == 2
    assert p.capacity.slots_per_host == 4


def test_a40_1q_is_capped_at_32_per_gpu() -> None:
    p = planned([pool(vgpuProfile="grid_a40-1q", hostCores=64)], []).pool("p100")
    assert p.capacity.slots_per_gpu == 32
    assert p.capacity.vcpus_per_vm == 2


def test_vcpus_per_vm_floors() -> None:
    assert vcpus_per_vm(18, 4) == 4
    assert vcpus_per_vm(3, 4) == 0


@pytest.mark.parametrize(
    ("vcpus", "cores", "sockets", "expected"),
    [(4, 16, 2, 4), (12, 16, 2, 6), (8, 12, 2, 4), (6, 8, 2, 3), (7, 8, 2, 1), (16, 32, 2, 16),
     (0, 16, 2, 0)],
)
def test_cores_per_socket_is_largest_divisor_within_a_socket(
    vcpus: int, cores: int, sockets: int, expected: int
) -> None:
    assert cores_per_socket(vcpus, cores, sockets) == expected


def test_offering_vcpus_default_to_pool_and_cores_per_socket_follow() -> None:
    result = planned([pool(hostCores=24)], [offering(), offering(name="small", vcpus=3)])
    assert sized(result, "tf").vcpus == 6
    assert sized(result, "tf").cores_per_socket == 6
    assert sized(result, "small").cores_per_socket == 3


def test_too_many_vcpus_is_a_problem() -> None:
    result = planned([pool()], [offering(vcpus=5)])
    assert not result.feasible
    assert result.problems[0].path == "gpu-mlaas:offerings[0].vcpus"
    assert "5 vCPUs exceed the 4 physical cores" in result.problems[0].message


def test_fewer_than_one_vcpu_per_vm_is_a_problem() -> None:
    result = planned([pool(vgpuProfile="grid_p100-1q", hostCores=8)], [])
    assert [p.path for p in result.problems] == ["gpu-mlaas:pools[0].hostCores"]
    assert result.pool("p100").capacity.vcpus_per_vm == 0


def test_max_instances_above_pool_slots_is_a_problem() -> None:
    result = planned([pool()], [offering(maxInstances=9)])
    assert [p.path for p in result.problems] == ["gpu-mlaas:offerings[0].maxInstances"]
    assert "9 instances exceed the 8 vGPU slots" in result.problems[0].message


def test_full_memory_reservation_must_fit_the_host() -> None:
    # 4 slots x 64 GB = 256 GB > 256 - 16 usable
    result = planned([pool()], [offering(memoryGb=32), offering(name="big", memoryGb=64)])
    assert [p.path for p in result.problems] == ["gpu-mlaas:offerings[1].memoryGb"]
    assert "256 GB exceeds the 240 GB usable" in result.problems[0].message


def test_hypervisor_reserve_counts() -> None:
    ok = planned([pool(hypervisorReserveGb=0)], [offering(memoryGb=64)])
    assert ok.feasible is True
    tight = planned([pool(hypervisorReserveGb=1)], [offering(memoryGb=64)])
    assert not tight.feasible


def test_default_memory_is_an_equal_share_of_usable_memory() -> None:
    result = planned([pool()], [offering()])
    assert sized(result, "tf").memory_gb == 60  # (256 - 16) / 4


def test_cpu_only_offering_needs_no_pool() -> None:
    result = planned([], [{"name": "cpu", "maxInstances": 2}])
    entry = sized(result, "cpu")
    assert (entry.pool, entry.vcpus, entry.memory_gb) == (None, 4, 16)
    assert result.feasible is True


def test_json_shape() -> None:
    data: dict[str, Any] = planned([pool()], [offering(maxInstances=9)]).as_json()
    assert set(data) == {"feasible", "problems", "pools", "offerings"}
    assert data["feasible"] is False
    assert set(data["problems"][0]) == {"path", "message"}
    assert set(data["pools"][0]) == {"name", "hosts", "vgpuProfile", "gpuType", "framebufferGb",
                                     "mode", "slotsPerGpu", "slotsPerHost", "slotsTotal",
                                     "vcpusPerVm", "coresPerSocket"}
    assert set(data["offerings"][0]) == {"name", "pool", "maxInstances", "vcpus",
                                         "coresPerSocket", "memoryGb"}


def test_the_plan_carries_everything_the_components_need() -> None:
    result = planned([pool()], [offering(image="tf:gpu", description="TensorFlow")])
    entry = sized(result, "tf")
    assert (entry.image, entry.description) == ("tf:gpu", "TensorFlow")
    assert result.pool("p100").config.cluster == "gpu"
    assert result.pool("p100").config.hosts == ["esx1", "esx2"]
