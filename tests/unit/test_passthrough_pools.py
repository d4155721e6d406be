"""DirectPath I/O (passthrough) pools in the core: config keys and their errors, slot capacity,
the plan command, and the 64-bit MMIO rule for N whole GPUs."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlaas import passthrough
from mlaas.config import ConfigError, parse_config
from mlaas.host_facts import capacity_from_hosts, reported_passthrough_capacity
from mlaas.sizing import Plan, plan

ROOT = Path(__file__).resolve().parents[2]


def pool(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "v100",
        "cluster": "gpu",
        "hosts": ["esx1", "esx2", "esx3"],
        "mode": "passthrough",
        "gpusPerHost": 4,
        "gpusPerVm": 2,
        "hostCores": 32,
        "hostSockets": 2,
        "hostMemoryGb": 512,
    } | overrides


def planned(pools: list[dict[str, Any]], offerings: list[dict[str, Any]] | None = None) -> Plan:
    return plan(parse_config({"gpu-mlaas:pools": pools, "gpu-mlaas:offerings": offerings or []}))


def issues(pools: list[dict[str, Any]]) -> dict[str, str]:
    with pytest.raises(ConfigError) as caught:
        parse_config({"gpu-mlaas:pools": pools})
    return {issue.path: issue.message for issue in caught.value.issues}


# --- config ----------------------------------------------------------------------------------


def without(entry: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {key: value for key, value in entry.items() if key not in keys}


def test_a_passthrough_pool_needs_no_profile_and_defaults_to_one_gpu_per_vm() -> None:
    (parsed,) = parse_config({"gpu-mlaas:pools": [pool()]}).pools
    assert (parsed.mode, parsed.vgpu_profile, parsed.gpus_per_vm) == ("passthrough", None, 2)
    bare = without(pool(), "gpusPerVm")
    assert parse_config({"gpu-mlaas:pools": [bare]}).pools[0].gpus_per_vm == 1


def test_mode_defaults_to_vgpu_which_still_needs_its_profile() -> None:
    vgpu = without(pool(), "mode", "gpusPerVm")
    found = issues([vgpu])
    assert list(found) == ["gpu-mlaas:pools[0].vgpuProfile"]
    assert found["gpu-mlaas:pools[0].vgpuProfile"].startswith("required key is missing")
    config = parse_config({"gpu-mlaas:pools": [vgpu | {"vgpuProfile": "grid_p100-4q"}]})
    assert config.pools[0].mode == "vgpu"


@pytest.mark.parametrize(
    ("overrides", "path", "fragment"),
    [
        ({"gpusPerVm": 5}, "gpu-mlaas:pools[0].gpusPerVm", "above gpusPerHost (4)"),
        ({"gpusPerVm": 0}, "gpu-mlaas:pools[0].gpusPerVm", "greater than 0"),
        ({"gpusPerVm": True}, "gpu-mlaas:pools[0].gpusPerVm", "must be a number"),
        ({"gpusPerHost": 32, "gpusPerVm": 17}, "gpu-mlaas:pools[0].gpusPerVm", "at most 16"),
        ({"mode": "passthru"}, "gpu-mlaas:pools[0].mode", "'passthru' is not a pool mode"),
        ({"vgpuProfile": "grid_v100-4q"}, "gpu-mlaas:pools[0].vgpuProfile",
         "names no vGPU profile"),
        ({"mode": "vgpu", "vgpuProfile": "grid_p100-4q"}, "gpu-mlaas:pools[0].gpusPerVm",
         "only a passthrough pool sets gpusPerVm"),
        ({"pciDeviceId": "zz"}, "gpu-mlaas:pools[0].pciDeviceId", "not a PCI id"),
        ({"pciVendorId": 0x1FFFF}, "gpu-mlaas:pools[0].pciVendorId", "not a PCI id"),
        ({"pciVendorId": False}, "gpu-mlaas:pools[0].pciVendorId", "not a PCI id"),
    ],
)
def test_bad_passthrough_values_name_their_key(
    overrides: dict[str, Any], path: str, fragment: str
) -> None:
    found = issues([pool(**overrides)])
    assert path in found, found
    assert fragment in found[path]


def test_pci_ids_in_the_spellings_people_copy() -> None:
    for vendor, device in ((0x10DE, 0x1DB4), ("0x10de", "0x1DB4"), ("10de", "1db4")):
        parsed = parse_config({"gpu-mlaas:pools": [
            pool(pciVendorId=vendor, pciDeviceId=device)]}).pools[0]
        assert (parsed.pci_vendor_id, parsed.pci_device_id) == (0x10DE, 0x1DB4)
    vgpu = without(pool(mode="vgpu", vgpuProfile="grid_p100-4q", pciVendorId=0x10DE),
                   "gpusPerVm")
    assert list(issues([vgpu])) == ["gpu-mlaas:pools[0].pciVendorId"]


def test_gpus_per_vm_is_not_checked_against_an_invalid_gpus_per_host() -> None:
    found = issues([pool(gpusPerHost="four")])
    assert list(found) == ["gpu-mlaas:pools[0].gpusPerHost"]


# --- sizing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("gpus", "per_vm", "slots"), [(4, 2, 2), (4, 1, 4), (4, 3, 1),
                                                        (8, 3, 2), (4, 4, 1), (1, 1, 1)])
def test_slots_per_host_are_whole_vms(gpus: int, per_vm: int, slots: int) -> None:
    capacity = planned([pool(gpusPerHost=gpus, gpusPerVm=per_vm)]).pool("v100").capacity
    assert capacity.slots_per_host == slots
    assert capacity.slots_total == slots * 3
    assert capacity.slots_per_gpu == 1  # a GPU belongs to one VM at most


def test_vcpus_cores_and_memory_fit_as_for_vgpu_pools() -> None:
    result = planned([pool()], [{"name": "train", "pool": "v100", "maxInstances": 6}])
    capacity = result.pool("v100").capacity
    assert (capacity.vcpus_per_vm, capacity.cores_per_socket) == (16, 16)  # 32 cores / 2 VMs
    entry = result.offerings[0]
    assert entry.memory_gb == (512 - 16) // 2  # the default share of a slot, all reserved
    assert entry.vgpu_profile is None
    assert result.feasible


def test_passthrough_problems_use_the_same_rules_and_name_their_keys() -> None:
    result = planned(
        [pool(hostCores=1, hostSockets=1)],
        [{"name": "a", "pool": "v100", "maxInstances": 7, "memoryGb": 300}],
    )
    found = {problem.path: problem.message for problem in result.problems}
    assert "passthrough VMs per host one vCPU" in found["gpu-mlaas:pools[0].hostCores"]
    assert "exceed the 6 passthrough slots" in found["gpu-mlaas:offerings[0].maxInstances"]
    assert "2 VMs x 300 GB reserved = 600 GB" in found["gpu-mlaas:offerings[0].memoryGb"]


def test_plan_json_shows_the_pool_with_the_same_capacity_keys() -> None:
    data: dict[str, Any] = planned([pool(pciDeviceId=0x1DB4)]).as_json()
    shown = data["pools"][0]
    assert shown["mode"] == "passthrough"
    assert (shown["gpusPerVm"], shown["slotsPerHost"], shown["slotsTotal"]) == (2, 2, 6)
    assert shown["vcpusPerVm"] == 16
    assert (shown["vgpuProfile"], shown["pciVendorId"], shown["pciDeviceId"]) == (
        None, None, "0x1db4")


def test_reported_capacity_uses_the_smallest_host() -> None:
    hosts = [{"hostName": "a", "gpuCount": 4, "physicalCores": 32, "sockets": 2},
             {"hostName": "b", "gpuCount": 3, "physicalCores": 32, "sockets": 2}]
    assert reported_passthrough_capacity(2, hosts).slots_per_host == 1
    assert reported_passthrough_capacity(4, hosts).slots_per_host == 0  # no host has room
    assert reported_passthrough_capacity(4, hosts).vcpus_per_vm == 0
    config = parse_config({"gpu-mlaas:pools": [pool()]}).pools[0]
    facts = [{"hostName": name, "gpuCount": 4, "physicalCores": 32, "sockets": 2,
              "memoryGb": 512} for name in config.hosts]
    assert capacity_from_hosts(config, facts).slots_total == 6


def test_plan_command_json_gives_two_slots_per_host(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.test.yaml"
    path.write_text(yaml.safe_dump({"config": {
        "gpu-mlaas:pools": [pool()],
        "gpu-mlaas:offerings": [{"name": "train", "pool": "v100", "maxInstances": 6}],
    }}))
    result = subprocess.run([sys.executable, "-m", "mlaas", "plan", "--stack-file", str(path),
                             "--json"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)["pools"][0]
    assert (shown["slotsPerHost"], shown["slotsTotal"], shown["vcpusPerVm"]) == (2, 6, 16)
    table = subprocess.run([sys.executable, "-m", "mlaas", "plan", "--stack-file", str(path)],
                           cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert table.returncode == 0, table.stderr
    assert "passthrough, 2 GPU(s)/VM" in table.stdout


# --- 64-bit MMIO -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gpus", "memory_gb", "mmio_gb"),
    [
        (2, 16, 64),  # VMware's example: 2 x 16 = 32, up to the next power of two
        (3, 16, 64),  # 48 -> 64
        (1, 16, 32),
        (4, 16, 128),
        (1, 80, 128),
        (2, 80, 256),
        (8, 80, 1024),
        (1, 12, 16),
    ],
)
def test_mmio_is_the_next_power_of_two_above_the_gpus_memory(
    gpus: int, memory_gb: int, mmio_gb: int
) -> None:
    assert passthrough.mmio_size_gb(gpus, memory_gb) == mmio_gb
    assert passthrough.mmio_size_gb(gpus, memory_gb) > gpus * memory_gb


def test_mmio_refuses_no_gpus() -> None:
    with pytest.raises(ValueError, match="at least one GPU"):
        passthrough.mmio_size_gb(0, 16)
    with pytest.raises(ValueError, match="at least one GPU"):
        passthrough.mmio_size_gb(2, 0)


def test_a_passthrough_vm_gets_mmio_efi_full_reservation_and_vmx_17() -> None:
    vm = passthrough.PassthroughVm(gpus=2, gpu_memory_gb=32)
    assert vm.extra_config() == {"pciPassthru.use64bitMMIO": "TRUE",
                                 "pciPassthru.64bitMMIOSizeGB": "128"}
    assert (vm.firmware, vm.memory_reservation_locked_to_max, vm.min_hardware_version) == (
        "efi", True, 17)
