"""The policy rules over DirectPath I/O (passthrough) pools: passthrough VMs and templates
reserve all memory, their blueprints full-clone, and stay within the pool's slots, sized from
the HostPassthrough outputs by the core's own rule."""

from __future__ import annotations

from typing import Any

from pulumi_policy import PolicyResource
from pulumi_policy.proxy import UNKNOWN_NUMBER_VALUE

from mlaas.sizing import PoolCapacity
from policy import rules
from tests.policy import cases


def passthrough_host(name: str, **changes: Any) -> dict[str, Any]:
    """Outputs of a HostPassthrough resource: 4 V100s passed through, 32 cores in 2 sockets,
    2 GPUs per VM (2 slots per host, 16 vCPUs per VM)."""
    props: dict[str, Any] = {
        "hostName": name,
        "pool": "v100",
        "gpusPerVm": 2.0,
        "gpuCount": 4.0,
        "gpuModel": "Tesla V100-PCIE-16GB",
        "physicalCores": 32.0,
        "sockets": 2.0,
        "memoryGb": 512.0,
    }
    return props | changes


def passthrough_hosts(*props: dict[str, Any]) -> list[PolicyResource]:
    return [
        cases.policy_resource(rules.HOST_PASSTHROUGH, p, f"pt-host-{i}")
        for i, p in enumerate(props)
    ]


def two_hosts(**changes: Any) -> list[PolicyResource]:
    return passthrough_hosts(
        passthrough_host("esx-11.lab", **changes), passthrough_host("esx-12.lab", **changes)
    )


def blueprint(**changes: Any) -> dict[str, Any]:
    return cases.blueprint_props(**({"pool": "v100", "cpu": 16.0, "maxInstances": 4.0} | changes))


def capacity_messages(bp: dict[str, Any], gpu_hosts: list[PolicyResource]) -> list[str]:
    resources = [*gpu_hosts, cases.policy_resource(rules.BLUEPRINT, bp, "train")]
    return [
        m
        for m, _ in cases.violations(rules.blueprint_within_pool_capacity, cases.stack(*resources))
    ]


# --- memory reservation --------------------------------------------------------------------------


def test_passthrough_template_without_locked_reservation_fails_naming_its_gpus() -> None:
    props = cases.template_props(
        vgpuProfile=None,
        memoryReservationLockedToMax=False,
        passthroughDevices=[{"vendorId": 4318.0}, {"vendorId": 4318.0}],
    )
    found = cases.violations(
        rules.vgpu_memory_reservation_locked, cases.resource_args(rules.VGPU_TEMPLATE, props)
    )
    assert len(found) == 1 and "2 passthrough GPU(s)" in found[0][0]
    props["memoryReservationLockedToMax"] = True
    assert (
        cases.violations(
            rules.vgpu_memory_reservation_locked, cases.resource_args(rules.VGPU_TEMPLATE, props)
        )
        == []
    )


def test_a_pulumi_vsphere_vm_with_passthrough_devices_reserves_all_memory() -> None:
    props = cases.vm_props(pciDeviceIds=["0000:3b:00.0", "0000:d8:00.0"], memoryReservation=0)
    found = cases.violations(
        rules.vgpu_memory_reservation_locked, cases.resource_args(rules.VSPHERE_VM, props)
    )
    assert len(found) == 1 and "passthrough device" in found[0][0]


# --- full clones and the blueprint's reservation --------------------------------------------------


def test_passthrough_blueprints_full_clone_and_reserve_their_memory() -> None:
    linked = cases.violations(
        rules.blueprint_full_clone_only,
        cases.resource_args(rules.BLUEPRINT, blueprint(cloneType="LinkedClone")),
    )
    assert len(linked) == 1 and "full clones" in linked[0][0]
    unreserved = cases.violations(
        rules.blueprint_memory_reservation_matches,
        cases.resource_args(rules.BLUEPRINT, blueprint(customProperties={})),
    )
    assert len(unreserved) == 1
    assert (
        cases.violations(
            rules.blueprint_full_clone_only, cases.resource_args(rules.BLUEPRINT, blueprint())
        )
        == []
    )


# --- within the pool's slots ---------------------------------------------------------------------


def test_passthrough_pool_is_sized_by_whole_vms() -> None:
    capacity = rules._pool_capacity(two_hosts())
    assert capacity == PoolCapacity(
        slots_per_gpu=1, slots_per_host=2, slots_total=4, vcpus_per_vm=16, cores_per_socket=16
    )
    assert capacity_messages(blueprint(), two_hosts()) == []


def test_more_instances_than_passthrough_slots_fail() -> None:
    [message] = capacity_messages(blueprint(maxInstances=5.0), two_hosts())
    assert "at most 4" in message and "4 passthrough slots in all" in message


def test_more_vcpus_than_the_cores_per_passthrough_vm_fail() -> None:
    [message] = capacity_messages(blueprint(cpu=17.0), two_hosts())
    assert "at most 16" in message and "2 passthrough slots per host" in message


def test_a_host_with_fewer_gpus_sizes_the_pool() -> None:
    small = passthrough_hosts(
        passthrough_host("esx-11.lab"), passthrough_host("esx-12.lab", gpuCount=3.0)
    )
    capacity = rules._pool_capacity(small)
    assert isinstance(capacity, PoolCapacity) and capacity.slots_per_host == 1


def test_hosts_that_disagree_on_gpus_per_vm_cannot_be_sized() -> None:
    odd = passthrough_hosts(
        passthrough_host("esx-11.lab"), passthrough_host("esx-12.lab", gpusPerVm=4.0)
    )
    [message] = capacity_messages(blueprint(), odd)
    assert "cannot be sized" in message and "gpusPerVm" in message


def test_unknown_gpus_per_vm_in_preview_is_skipped() -> None:
    assert capacity_messages(blueprint(cpu=99.0), two_hosts(gpusPerVm=UNKNOWN_NUMBER_VALUE)) == []


# --- gpu-pool-homogeneous ------------------------------------------------------------------------


def test_passthrough_hosts_need_no_profile_but_must_be_alike() -> None:
    assert cases.violations(rules.gpu_pool_homogeneous, cases.stack(*two_hosts())) == []
    odd = passthrough_hosts(
        passthrough_host("esx-11.lab"),
        passthrough_host("esx-12.lab", gpuModel="Tesla P100-PCIE-16GB"),
    )
    [(message, _)] = cases.violations(rules.gpu_pool_homogeneous, cases.stack(*odd))
    assert "GPU model" in message


def test_a_pool_of_vgpu_and_passthrough_hosts_is_refused() -> None:
    mixed = [
        *cases.hosts(cases.host_props("esx-01.lab", pool="v100")),
        *passthrough_hosts(passthrough_host("esx-11.lab")),
    ]
    [(message, _)] = cases.violations(rules.gpu_pool_homogeneous, cases.stack(*mixed))
    assert "esx-01.lab run vGPU" in message and "esx-11.lab pass whole GPUs through" in message
    [capacity] = capacity_messages(blueprint(), mixed)
    assert "cannot be sized" in capacity
