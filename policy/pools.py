"""Stack rules over a pool's hosts: they are alike and offer the pool's profile, and what a
blueprint, flavor profile or cloud template asks fits the pool's capacity (white paper 4.4, 4.5).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import yaml
from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from mlaas import profiles, sizing
from mlaas.host_facts import HostFacts, reported_capacity, reported_passthrough_capacity
from policy.props import UNKNOWN, as_int, known, known_list
from policy.types import (
    ARIA_FLAVOR,
    ARIA_TEMPLATE,
    BLUEPRINT,
    GPU_HOSTS,
    HOST_GRAPHICS,
    HOST_PASSTHROUGH,
)

# --- stack rules over the pool's hosts -----------------------------------------------------------

# What must be the same on every host of a pool, with the words used in messages.
_HOST_ATTRIBUTES = {
    "gpusPerVm": "GPUs per VM",
    "gpuModel": "GPU model",
    "gpuCount": "GPU count",
    "physicalCores": "physical cores",
    "sockets": "sockets",
    "memoryGb": "memory (GB)",
    "driverVersion": "NVIDIA vGPU Manager version",
}


def _hosts_by_pool(resources: list[PolicyResource]) -> dict[str, list[PolicyResource]]:
    pools: dict[str, list[PolicyResource]] = defaultdict(list)
    for resource in resources:
        if resource.resource_type not in GPU_HOSTS:
            continue
        pool = known(resource.props, "pool")
        if pool is not UNKNOWN and pool:
            pools[str(pool)].append(resource)
    return pools


def _host_label(host: PolicyResource) -> str:
    name = known(host.props, "hostName")
    return str(name) if name not in (None, UNKNOWN) else host.name


def _check_profile_offered(pool: str, host: PolicyResource, report: ReportViolation) -> None:
    if host.resource_type != HOST_GRAPHICS:
        return  # a passthrough host offers whole GPUs, no profiles
    profile = known(host.props, "vgpuProfile")
    offered = known_list(_reported(host, "offeredProfiles"))
    if profile is UNKNOWN or not isinstance(offered, list) or not profile:
        return
    if profiles.match_offered(str(profile), [str(p) for p in offered]) is not None:
        return
    report(
        f"Host {_host_label(host)!r} of pool {pool!r} does not offer vGPU profile {profile!r} "
        f"(it offers {sorted(map(str, offered))}); put its GPU in shared-direct mode with the "
        "NVIDIA host driver loaded, or move it out of the pool.",
        host.urn,
    )


def _check_alike(pool: str, hosts: list[PolicyResource], report: ReportViolation) -> None:
    attributes = {"vgpuProfile": "vGPU profile", **_HOST_ATTRIBUTES}
    for key, label in attributes.items():
        values: dict[str, Any] = {}
        for host in hosts:
            value = known(host.props, key)
            if value is UNKNOWN or value is None:
                continue
            if key == "vgpuProfile":
                value = profiles.canonical_name(str(value))
            values[_host_label(host)] = as_int(value) if as_int(value) is not None else value
        if len(set(map(str, values.values()))) > 1:
            listing = ", ".join(f"{host}={value}" for host, value in sorted(values.items()))
            report(
                f"Make every host of pool {pool!r} alike: their {label} differ ({listing}).",
                None,
            )


def gpu_pool_homogeneous_validator(
    args: StackValidationArgs, report_violation: ReportViolation
) -> None:
    for pool, hosts in sorted(_hosts_by_pool(list(args.resources)).items()):
        mixed = _mixed_modes(hosts)
        if mixed:
            report_violation(f"Give pool {pool!r} one mode: {mixed}.", None)
            continue
        for host in hosts:
            _check_profile_offered(pool, host, report_violation)
        _check_alike(pool, hosts, report_violation)


def _mixed_modes(hosts: list[PolicyResource]) -> str | None:
    """Which hosts of one pool run vGPU and which pass GPUs through, when both do (a GPU runs
    one mode; a pool is homogeneous); None otherwise."""
    by_kind = {kind: sorted(_host_label(h) for h in hosts if h.resource_type == kind)
               for kind in GPU_HOSTS}
    if all(by_kind.values()):
        return (f"hosts {', '.join(by_kind[HOST_GRAPHICS])} run vGPU while "
                f"{', '.join(by_kind[HOST_PASSTHROUGH])} pass whole GPUs through")
    return None


def _reported(host: PolicyResource, key: str) -> Any:
    """A fact the HostGraphics provider reports (an output): absent or null until the host has
    been read, as in the preview of its create, so not known yet rather than wrong."""
    value = known(host.props, key)
    return UNKNOWN if value is None else value


def _pool_capacity(hosts: list[PolicyResource]) -> sizing.PoolCapacity | str | None:
    """The pool's capacity from its hosts' outputs, by the components' own rule
    (`mlaas.host_facts.reported_capacity`, `reported_passthrough_capacity` for a passthrough
    pool); a message when it cannot be sized; None while outputs are unknown."""
    mixed = _mixed_modes(hosts)
    if mixed:
        return mixed
    profile_name = known(hosts[0].props, "vgpuProfile")
    figures: list[HostFacts] = []
    for host in hosts:
        numbers: dict[str, int] = {}
        for key in ("gpuCount", "physicalCores", "sockets"):
            value = _reported(host, key)
            if value is UNKNOWN:
                return None
            number = as_int(value)
            if number is None or number < 1:
                return f"host {_host_label(host)!r} reports {key}={value!r}"
            numbers[key] = number
        figures.append(HostFacts.from_output({"hostName": _host_label(host), **numbers}))
    if hosts[0].resource_type == HOST_PASSTHROUGH:
        return _passthrough_capacity(hosts, figures)
    if profile_name is UNKNOWN:
        return None
    try:
        return reported_capacity(str(profile_name), figures)
    except profiles.ProfileError as error:
        return str(error)


def _passthrough_capacity(
    hosts: list[PolicyResource], figures: list[HostFacts]
) -> sizing.PoolCapacity | str | None:
    """A passthrough pool sized by its hosts' `gpusPerVm` (one number for the pool)."""
    values = [known(host.props, "gpusPerVm") for host in hosts]
    if any(value is UNKNOWN for value in values):
        return None
    numbers = {as_int(value) for value in values}
    per_vm = numbers.pop() if len(numbers) == 1 else None
    if per_vm is None or per_vm < 1:
        return f"its hosts set gpusPerVm {sorted(set(map(str, values)))}, not one whole number"
    return reported_passthrough_capacity(per_vm, figures)


def blueprint_within_pool_capacity_validator(
    args: StackValidationArgs, report_violation: ReportViolation
) -> None:
    resources = list(args.resources)
    pools = _hosts_by_pool(resources)
    for blueprint in resources:
        if blueprint.resource_type not in (BLUEPRINT, ARIA_TEMPLATE, ARIA_FLAVOR):
            continue
        pool = known(blueprint.props, "pool")
        if pool is UNKNOWN or not pool:
            continue
        hosts = pools.get(str(pool))
        if not hosts:
            report_violation(
                f"Blueprint {blueprint.name!r} names pool {pool!r}, but no HostGraphics or "
                "HostPassthrough resource of this stack belongs to that pool; its capacity "
                "cannot be checked.",
                blueprint.urn,
            )
            continue
        capacity = _pool_capacity(hosts)
        if capacity is None:
            continue
        if isinstance(capacity, str):
            report_violation(
                f"Pool {pool!r} of blueprint {blueprint.name!r} cannot be sized: {capacity}.",
                blueprint.urn,
            )
            continue
        kind = "passthrough" if hosts[0].resource_type == HOST_PASSTHROUGH else "vGPU"
        _check_blueprint_fits(blueprint, str(pool), capacity, kind, report_violation)


def _count_maximum(content: Any) -> int | None:
    """`inputs.count.maximum` of an Aria cloud template's YAML content (machines per request)."""
    if not isinstance(content, str):
        return None
    try:
        document = yaml.safe_load(content)
    except yaml.YAMLError:
        return None
    count = ((document or {}).get("inputs") or {}).get("count") if isinstance(document, dict) \
        else None
    return as_int(count.get("maximum")) if isinstance(count, dict) else None


def _asks(resource: PolicyResource) -> tuple[int | None, int | None]:
    """(vCPUs per VM, machines per request) a vRA blueprint, an Aria flavor profile (CPU) or an
    Aria cloud template (its `count` input's maximum) asks of its pool; None where it says none."""
    props = resource.props
    if resource.resource_type == ARIA_FLAVOR:
        return as_int(known(props, "cpuCount")), None
    if resource.resource_type == ARIA_TEMPLATE:
        return None, _count_maximum(known(props, "content"))
    return as_int(known(props, "cpu")), as_int(known(props, "maxInstances"))


# How a capacity violation names the key and the object, per resource type.
_WORDS = {
    ARIA_FLAVOR: ("cpuCount", "", "Aria flavor profile"),
    ARIA_TEMPLATE: ("", "the count input's maximum", "Aria cloud template"),
}


def _check_blueprint_fits(
    blueprint: PolicyResource,
    pool: str,
    capacity: sizing.PoolCapacity,
    kind_of_slots: str,
    report: ReportViolation,
) -> None:
    cpu, instances = _asks(blueprint)
    cpu_key, instances_key, kind = _WORDS.get(
        blueprint.resource_type, ("cpu", "maxInstances", "blueprint")
    )
    # (input, what the resource asks, the pool's limit, what the pool has, the verb)
    limits = (
        (cpu_key, cpu, capacity.vcpus_per_vm,
         f"{capacity.vcpus_per_vm} physical cores per VM ({capacity.slots_per_host} "
         f"{kind_of_slots} slots per host)", "asks for"),
        (instances_key, instances, capacity.slots_total,
         f"{capacity.slots_total} {kind_of_slots} slots in all", "allows"),
    )
    for key, value, limit, has, verb in limits:
        if value is not None and value > limit:
            report(
                f"Lower {key} on {kind} {blueprint.name!r} to at most {limit}: pool {pool!r} "
                f"has {has}; it {verb} {value}.",
                blueprint.urn,
            )
