"""Each rule called directly, the way the analyzer calls it, with passing, failing and preview
(unknown) cases."""

from __future__ import annotations

from typing import Any

import pulumi.runtime
import pytest
from pulumi_policy import PolicyProviderResource, Secret
from pulumi_policy.deserialize import (
    SPECIAL_SECRET_SIG,
    SPECIAL_SIG_KEY,
    deserialize_properties,
)
from pulumi_policy.proxy import (
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    unknown_checking_proxy,
)

from mlaas.sizing import PoolCapacity
from policy import rules
from tests.policy.cases import (
    ENDPOINT,
    blueprint_props,
    host_props,
    hosts,
    policy_resource,
    resource_args,
    stack,
    template_props,
    violations,
    vm_props,
)


def messages(found: list[tuple[str, str | None]]) -> list[str]:
    return [message for message, _ in found]


# --- vgpu-memory-reservation-locked -------------------------------------------------------------


def check_locked(kind: str, props: dict[str, Any]) -> list[str]:
    args = resource_args(kind, props, name="subject")
    return messages(violations(rules.vgpu_memory_reservation_locked, args))


def test_vgpu_template_with_locked_reservation_passes() -> None:
    assert check_locked(rules.VGPU_TEMPLATE, template_props()) == []


@pytest.mark.parametrize("locked", [False, None])
def test_vgpu_template_without_locked_reservation_fails(locked: bool | None) -> None:
    found = check_locked(rules.VGPU_TEMPLATE, template_props(memoryReservationLockedToMax=locked))
    assert len(found) == 1
    assert "memoryReservationLockedToMax" in found[0] and "'subject'" in found[0]
    assert "grid_p100-4q" in found[0]


def test_vgpu_template_lock_unknown_in_preview_is_skipped() -> None:
    props = template_props(memoryReservationLockedToMax=UNKNOWN_BOOLEAN_VALUE)
    assert check_locked(rules.VGPU_TEMPLATE, props) == []


def test_vm_without_vgpu_needs_no_reservation() -> None:
    assert check_locked(rules.VSPHERE_VM, vm_props()) == []


@pytest.mark.parametrize(
    "carrier",
    [
        {"extraConfig": {"pciPassthru0.vgpu": "grid_p100-4q"}},
        {"pciDeviceIds": ["0000:3b:00.0"]},
    ],
)
def test_vm_with_vgpu_and_full_reservation_passes(carrier: dict[str, Any]) -> None:
    props = vm_props(memoryReservation=16384, memoryReservationLockedToMax=True, **carrier)
    assert check_locked(rules.VSPHERE_VM, props) == []


@pytest.mark.parametrize(
    "carrier",
    [
        {"extraConfig": {"pciPassthru0.vgpu": "grid_p100-4q", "svga.present": "TRUE"}},
        {"pciDeviceIds": ["0000:3b:00.0"]},
    ],
)
def test_vm_with_vgpu_and_partial_reservation_fails(carrier: dict[str, Any]) -> None:
    found = check_locked(rules.VSPHERE_VM, vm_props(memoryReservation=4096, **carrier))
    assert len(found) == 1
    assert "16384 MB" in found[0] and "4096 MB" in found[0]


def test_vm_lock_flag_alone_is_not_enough() -> None:
    # pulumi-vsphere applies the flag only when memoryReservation equals memory.
    props = vm_props(extraConfig={"pciPassthru0.vgpu": "grid_p100-4q"})
    props["memoryReservationLockedToMax"] = True
    found = check_locked(rules.VSPHERE_VM, props)
    assert len(found) == 1 and "memoryReservationLockedToMax alone" in found[0]


def test_vm_default_memory_counts() -> None:
    props = vm_props(pciDeviceIds=["0000:3b:00.0"], memoryReservation=1024)
    del props["memory"]
    assert check_locked(rules.VSPHERE_VM, props) == []


def test_vm_memory_unknown_in_preview_is_skipped() -> None:
    props = vm_props(pciDeviceIds=["0000:3b:00.0"], memory=UNKNOWN_NUMBER_VALUE)
    assert check_locked(rules.VSPHERE_VM, props) == []


def test_vm_device_list_unknown_in_preview_is_skipped() -> None:
    assert check_locked(rules.VSPHERE_VM, vm_props(pciDeviceIds=UNKNOWN_ARRAY_VALUE)) == []


def test_other_types_are_ignored_by_the_lock_rule() -> None:
    props = blueprint_props(memoryReservationLockedToMax=False)
    assert check_locked(rules.BLUEPRINT, props) == []


# --- blueprint-full-clone-only ------------------------------------------------------------------


def check_clone(props: dict[str, Any]) -> list[str]:
    args = resource_args(rules.BLUEPRINT, props, name="tensorflow-gpu")
    return messages(violations(rules.blueprint_full_clone_only, args))


def test_full_clone_vgpu_blueprint_passes() -> None:
    assert check_clone(blueprint_props()) == []


def test_linked_clone_vgpu_blueprint_fails() -> None:
    found = check_clone(blueprint_props(cloneType="LinkedClone"))
    assert len(found) == 1
    assert "'LinkedClone'" in found[0] and "'tensorflow-gpu'" in found[0]


def test_cpu_only_blueprint_may_link_clone() -> None:
    props = blueprint_props(cloneType="LinkedClone")
    del props["pool"]
    assert check_clone(props) == []


@pytest.mark.parametrize("key", ["cloneType", "pool"])
def test_clone_rule_skips_unknowns(key: str) -> None:
    props = blueprint_props(cloneType="LinkedClone")
    props[key] = UNKNOWN_STRING_VALUE
    assert check_clone(props) == []


# --- blueprint-memory-reservation-matches -------------------------------------------------------


def check_reservation(props: dict[str, Any]) -> list[str]:
    args = resource_args(rules.BLUEPRINT, props, name="tensorflow-gpu")
    return messages(violations(rules.blueprint_memory_reservation_matches, args))


def test_reservation_equal_to_memory_passes() -> None:
    assert check_reservation(blueprint_props()) == []


@pytest.mark.parametrize(
    "custom",
    [
        {"VMware.Memory.Reservation": "8192"},
        {"VMware.Memory.Reservation": "all"},
        {"VMware.Memory.Reservation": ""},
        {},
    ],
)
def test_reservation_missing_or_wrong_fails(custom: dict[str, Any]) -> None:
    found = check_reservation(blueprint_props(customProperties=custom))
    assert len(found) == 1
    assert "VMware.Memory.Reservation" in found[0] and "'16384'" in found[0]


def test_reservation_without_custom_properties_fails() -> None:
    props = blueprint_props()
    del props["customProperties"]
    assert len(check_reservation(props)) == 1


def test_reservation_rule_ignores_cpu_only_blueprints() -> None:
    props = blueprint_props(customProperties={})
    del props["pool"]
    assert check_reservation(props) == []


@pytest.mark.parametrize(
    "changes",
    [
        {"memoryMb": UNKNOWN_NUMBER_VALUE},
        {"customProperties": UNKNOWN_OBJECT_VALUE},
        {"customProperties": {"VMware.Memory.Reservation": UNKNOWN_STRING_VALUE}},
    ],
)
def test_reservation_rule_skips_unknowns(changes: dict[str, Any]) -> None:
    assert check_reservation(blueprint_props(**changes)) == []


# --- gpu-pool-homogeneous -----------------------------------------------------------------------


def check_pool(*host_outputs: dict[str, Any]) -> list[tuple[str, str | None]]:
    return violations(rules.gpu_pool_homogeneous, stack(*hosts(*host_outputs)))


def test_identical_hosts_pass() -> None:
    assert check_pool(host_props("esx-01.lab"), host_props("esx-02.lab")) == []


def test_host_that_does_not_offer_the_profile_fails_with_its_urn() -> None:
    stranger = host_props("esx-02.lab", offeredProfiles=[])
    found = check_pool(host_props("esx-01.lab"), stranger)
    assert len(found) == 1
    message, urn = found[0]
    assert "'esx-02.lab'" in message and "grid_p100-4q" in message
    assert urn is not None and urn.endswith("::gpu-host-1")


def test_profile_prefixes_are_equivalent() -> None:
    host = host_props(offeredProfiles=["nvidia_p100-4q"])
    assert check_pool(host) == []


def test_a_bare_profile_matches_as_the_provider_matches_it() -> None:
    # A bare "p100-4q" is no profile name: the provider matches nothing with it, and neither
    # does the policy (one matching function, mlaas.profiles.match_offered).
    [(message, _)] = check_pool(host_props(vgpuProfile="p100-4q"))
    assert "does not offer vGPU profile 'p100-4q'" in message
    assert len(check_pool(host_props(offeredProfiles=["p100-8q"]))) == 1


def test_host_facts_not_read_yet_are_not_violations() -> None:
    # The preview of a host's create has no outputs yet: nothing to judge, nothing reported.
    unread = host_props(offeredProfiles=None, gpuCount=None, physicalCores=None, sockets=None)
    assert check_pool(unread) == []


@pytest.mark.parametrize(
    ("key", "value", "label"),
    [
        ("gpuCount", 2.0, "GPU count"),
        ("gpuModel", "Tesla V100-PCIE-16GB", "GPU model"),
        ("physicalCores", 20.0, "physical cores"),
        ("memoryGb", 384.0, "memory"),
        ("sockets", 1.0, "sockets"),
        ("driverVersion", "535.216.01", "NVIDIA vGPU Manager version"),
    ],
)
def test_hosts_that_differ_fail(key: str, value: Any, label: str) -> None:
    odd = host_props("esx-02.lab", **{key: value})
    found = messages(check_pool(host_props("esx-01.lab"), odd))
    assert len(found) == 1
    assert label in found[0] and "esx-01.lab" in found[0] and "esx-02.lab" in found[0]


def test_hosts_with_different_profiles_fail() -> None:
    odd = host_props("esx-02.lab", vgpuProfile="grid_p100-8q")
    found = messages(check_pool(host_props("esx-01.lab"), odd))
    assert len(found) == 1 and "vGPU profile" in found[0]


def test_different_pools_may_differ() -> None:
    other = host_props("esx-09.lab", pool="v100", gpuModel="Tesla V100-PCIE-16GB", gpuCount=2.0)
    other["vgpuProfile"] = "grid_v100-4q"
    other["offeredProfiles"] = ["grid_v100-4q"]
    assert check_pool(host_props("esx-01.lab"), other) == []


def test_pool_rule_skips_unknown_outputs_in_preview() -> None:
    first = host_props(offeredProfiles=UNKNOWN_ARRAY_VALUE, gpuModel=UNKNOWN_STRING_VALUE)
    second = host_props("esx-02.lab", offeredProfiles=UNKNOWN_ARRAY_VALUE)
    second.update(gpuCount=UNKNOWN_NUMBER_VALUE, gpuModel="Tesla V100-PCIE-16GB")
    assert check_pool(first, second) == []


# --- blueprint-within-pool-capacity -------------------------------------------------------------
# Two hosts, one P100 each, 16 cores in 2 sockets, grid_p100-4q: 4 slots per host, 8 in all,
# 16 // 4 = 4 vCPUs per VM.


def check_capacity(
    blueprint: dict[str, Any], *host_outputs: dict[str, Any]
) -> list[tuple[str, str | None]]:
    if not host_outputs:
        host_outputs = (host_props("esx-01.lab"), host_props("esx-02.lab"))
    resources = [*hosts(*host_outputs), policy_resource(rules.BLUEPRINT, blueprint, "tf-gpu")]
    return violations(rules.blueprint_within_pool_capacity, stack(*resources))


def test_blueprint_within_capacity_passes() -> None:
    assert check_capacity(blueprint_props(cpu=4.0, maxInstances=8.0)) == []


def test_too_many_vcpus_fail() -> None:
    found = check_capacity(blueprint_props(cpu=5.0))
    assert len(found) == 1
    message, urn = found[0]
    assert "at most 4" in message and "asks for 5" in message
    assert urn is not None and urn.endswith("::tf-gpu")


def test_too_many_instances_fail() -> None:
    found = messages(check_capacity(blueprint_props(maxInstances=9.0)))
    assert len(found) == 1 and "at most 8" in found[0]


def test_capacity_follows_the_sizing_core_for_more_gpus() -> None:
    # Two P100s per host double the slots (16) and halve the vCPUs per VM (2).
    two_gpus = [host_props(f"esx-0{i}.lab", gpuCount=2.0) for i in (1, 2)]
    found = messages(check_capacity(blueprint_props(cpu=3.0, maxInstances=16.0), *two_gpus))
    assert len(found) == 1 and "at most 2" in found[0]


def test_capacity_uses_the_most_sockets_like_the_components() -> None:
    # 16 cores over 2 or 8 sockets: a 4-core virtual socket fits a socket of the first host
    # (8 cores) but not of the second (2 cores). Sized by the most sockets: 2 cores per socket.
    mixed = [host_props("esx-01.lab"), host_props("esx-02.lab", sockets=8.0)]
    capacity = rules._pool_capacity(hosts(*mixed))
    assert isinstance(capacity, PoolCapacity)
    assert (capacity.vcpus_per_vm, capacity.cores_per_socket) == (4, 2)
    capacity = rules._pool_capacity(hosts(host_props("esx-01.lab"), host_props("esx-02.lab")))
    assert isinstance(capacity, PoolCapacity)
    assert (capacity.vcpus_per_vm, capacity.cores_per_socket) == (4, 4)


def test_blueprint_naming_a_pool_without_hosts_fails() -> None:
    found = messages(check_capacity(blueprint_props(pool="a100")))
    assert len(found) == 1 and "'a100'" in found[0]


def test_cpu_only_blueprint_is_not_sized() -> None:
    props = blueprint_props(cpu=32.0, maxInstances=100.0)
    del props["pool"]
    assert check_capacity(props) == []


def test_unknown_profile_is_reported() -> None:
    odd = [host_props(f"esx-0{i}.lab", vgpuProfile="grid_p100-3q") for i in (1, 2)]
    found = messages(check_capacity(blueprint_props(), *odd))
    assert len(found) == 1 and "cannot be sized" in found[0]


def test_capacity_skips_unknown_host_outputs() -> None:
    unknown = host_props("esx-02.lab", physicalCores=UNKNOWN_NUMBER_VALUE)
    assert check_capacity(blueprint_props(cpu=99.0), host_props("esx-01.lab"), unknown) == []


# --- tls-verification-required ------------------------------------------------------------------


def check_tls(
    kind: str,
    props: dict[str, Any],
    stack_name: str = "prod",
    config: dict[str, Any] | None = None,
    provider: PolicyProviderResource | None = None,
) -> list[str]:
    args = resource_args(kind, props, "subject", stack_name, config, provider)
    return messages(violations(rules.tls_verification_required, args))


@pytest.mark.parametrize("flag", [True, "true", "True"])
def test_vsphere_provider_without_verification_fails_outside_the_lab(flag: Any) -> None:
    props = {"vsphereServer": "vc.example.test", "user": "svc", "allowUnverifiedSsl": flag}
    found = check_tls(rules.VSPHERE_PROVIDER, props)
    assert len(found) == 1 and "allowUnverifiedSsl" in found[0] and "'prod'" in found[0]


def test_vsphere_provider_with_verification_passes() -> None:
    props = {"vsphereServer": "vc.example.test", "allowUnverifiedSsl": "false"}
    assert check_tls(rules.VSPHERE_PROVIDER, props) == []


def test_lab_stack_may_skip_verification() -> None:
    props = {"allowUnverifiedSsl": True}
    assert check_tls(rules.VSPHERE_PROVIDER, props, stack_name="dev") == []


def test_lab_stacks_come_from_the_pack_config() -> None:
    props = {"allowUnverifiedSsl": True}
    config = {"labStacks": ["ci"]}
    assert check_tls(rules.VSPHERE_PROVIDER, props, "ci", config) == []
    assert len(check_tls(rules.VSPHERE_PROVIDER, props, "dev", config)) == 1


@pytest.mark.parametrize(
    "kind",
    [
        rules.BLUEPRINT,
        "pulumi-python:dynamic/vra:SoftwareComponent",
        "pulumi-python:dynamic/vra:Entitlement",
    ],
)
def test_vra_endpoint_insecure_fails(kind: str) -> None:
    found = check_tls(kind, {"endpoint": {**ENDPOINT, "insecure": True}})
    assert len(found) == 1 and "endpoint.insecure" in found[0]


def test_vra_endpoint_verified_passes() -> None:
    assert check_tls("pulumi-python:dynamic/vra:CatalogItem", {"endpoint": dict(ENDPOINT)}) == []


@pytest.mark.parametrize(
    "endpoint", [UNKNOWN_OBJECT_VALUE, {**ENDPOINT, "insecure": UNKNOWN_BOOLEAN_VALUE}]
)
def test_vra_endpoint_unknown_is_skipped(endpoint: Any) -> None:
    assert check_tls(rules.BLUEPRINT, {"endpoint": endpoint}) == []


@pytest.fixture(autouse=True)
def clean_tls_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Neither TLS switch from the developer's environment leaks into these cases."""
    for name in ("VSPHERE_ALLOW_UNVERIFIED_SSL", "VRA_INSECURE"):
        monkeypatch.delenv(name, raising=False)


def set_stack_config(monkeypatch: pytest.MonkeyPatch, key: str, value: str) -> None:
    """Stack config as the pack sees it (pulumi-policy loads PULUMI_CONFIG into this dict)."""
    monkeypatch.setitem(pulumi.runtime.config.CONFIG.get(), key, value)


def test_vsphere_dynamic_resources_follow_the_stack_config(monkeypatch: pytest.MonkeyPatch) -> None:
    set_stack_config(monkeypatch, "vsphere:allowUnverifiedSsl", "true")
    found = check_tls(rules.HOST_GRAPHICS, host_props())
    assert len(found) == 1 and "vsphere:allowUnverifiedSsl" in found[0]
    assert check_tls(rules.HOST_GRAPHICS, host_props(), stack_name="dev") == []


def test_vsphere_dynamic_resources_follow_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VSPHERE_ALLOW_UNVERIFIED_SSL", "yes")
    found = check_tls(rules.VGPU_TEMPLATE, template_props())
    assert len(found) == 1 and "VSPHERE_ALLOW_UNVERIFIED_SSL" in found[0]


@pytest.mark.parametrize(("value", "refused"), [("on", True), ("1", True), ("off", False)])
def test_the_providers_vocabulary_decides(
    monkeypatch: pytest.MonkeyPatch, value: str, refused: bool
) -> None:
    set_stack_config(monkeypatch, "vsphere:allowUnverifiedSsl", value)
    assert len(check_tls(rules.HOST_GRAPHICS, host_props())) == int(refused)


def test_a_switch_the_providers_cannot_read_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VRA_INSECURE", "ture")
    found = check_tls(rules.BLUEPRINT, blueprint_props())
    assert len(found) == 1 and "env var VRA_INSECURE must be true or false" in found[0]


def test_vra_resources_follow_the_stack_config(monkeypatch: pytest.MonkeyPatch) -> None:
    set_stack_config(monkeypatch, "gpu-mlaas:vra", '{"username": "svc", "insecure": true}')
    found = check_tls(rules.BLUEPRINT, blueprint_props())
    assert len(found) == 1 and "gpu-mlaas:vra.insecure" in found[0]


def test_vra_resources_follow_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VRA_INSECURE", "1")
    found = check_tls("pulumi-python:dynamic/vra:Entitlement", {"endpoint": dict(ENDPOINT)})
    assert len(found) == 1 and "VRA_INSECURE" in found[0]


def test_malformed_vra_config_is_left_to_the_providers(monkeypatch: pytest.MonkeyPatch) -> None:
    set_stack_config(monkeypatch, "gpu-mlaas:vra", "{not json")
    assert check_tls(rules.BLUEPRINT, blueprint_props()) == []


def test_vsphere_dynamic_resources_pass_without_the_stack_setting() -> None:
    assert check_tls(rules.VGPU_TEMPLATE, template_props()) == []


def test_default_vsphere_provider_counts_for_its_resources() -> None:
    kind = rules.VSPHERE_PROVIDER
    provider = PolicyProviderResource(
        kind,
        unknown_checking_proxy({"allowUnverifiedSsl": "true"}),
        f"urn:pulumi:prod::gpu-mlaas::{kind}::default_4_18_2",
        "default_4_18_2",
    )
    found = check_tls(rules.VSPHERE_VM, vm_props(), provider=provider)
    assert len(found) == 1 and "default vsphere provider" in found[0]


# --- passwords-are-secrets ----------------------------------------------------------------------


def secret(value: Any) -> dict[str, Any]:
    """A secret as the engine marshals it to the analyzer."""
    return {SPECIAL_SIG_KEY: SPECIAL_SECRET_SIG, "value": value}


def remediate(wire_props: dict[str, Any]) -> dict[str, Any] | None:
    """Run the remediation on props built the way pulumi-policy's Remediate builds them."""
    props = unknown_checking_proxy(deserialize_properties(wire_props, True))
    args = resource_args(rules.VSPHERE_PROVIDER, {}, "vcenter")
    args.props = props
    result = rules.passwords_are_secrets.remediate(args)
    assert result is None or isinstance(result, dict)
    return result


def test_plain_provider_password_becomes_a_secret() -> None:
    fixed = remediate({"user": "svc", "password": "hunter2", "vsphereServer": "vc.example.test"})
    assert fixed is not None
    assert isinstance(fixed["password"], Secret) and fixed["password"].value == "hunter2"
    assert fixed["user"] == "svc" and fixed["vsphereServer"] == "vc.example.test"


def test_secret_password_is_left_alone() -> None:
    assert remediate({"user": "svc", "password": secret("hunter2")}) is None


def test_nested_password_like_keys_are_found() -> None:
    fixed = remediate(
        {"endpoint": {"url": "https://vra", "adminPassword": "x", "insecure": False}, "n": 1}
    )
    assert fixed is not None
    endpoint = fixed["endpoint"]
    assert isinstance(endpoint["adminPassword"], Secret) and endpoint["insecure"] is False


def test_other_secrets_survive_the_remediation() -> None:
    fixed = remediate({"password": "x", "token": secret("t")})
    assert fixed is not None and isinstance(fixed["token"], Secret)


@pytest.mark.parametrize("value", [UNKNOWN_STRING_VALUE, None, ""])
def test_unknown_or_empty_password_is_skipped(value: Any) -> None:
    assert remediate({"password": value}) is None


def test_password_switches_are_not_passwords() -> None:
    assert remediate({"passwordAuth": True, "passwordLength": 16.0}) is None


def test_secret_passwords_reports_paths() -> None:
    fixed, wrapped = rules.secret_passwords({"password": "a", "nested": {"passwd": "b"}})
    assert wrapped == ["password", "nested.passwd"]
    assert isinstance(fixed["nested"]["passwd"], Secret)
