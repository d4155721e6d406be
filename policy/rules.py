"""The gpu-mlaas CrossGuard rules: validators first, then the policy objects, then `POLICIES`.

Importing this module has no side effects; `policy/__main__.py` builds the `PolicyPack` (which
starts the analyzer's gRPC server). Every rule tolerates values that are unknown during preview:
it skips the check that needs them (see `policy.props`).
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import Any

import pulumi.runtime
import yaml
from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Secret,
    StackValidationArgs,
    StackValidationPolicy,
)

from mlaas import profiles, sizing
from mlaas.host_facts import HostFacts, reported_capacity, reported_passthrough_capacity
from policy.props import UNKNOWN, as_int, is_true, is_unknown, known, known_list, stack_of
from providers.aria import settings as aria_settings
from providers.settings import ARIA_INSECURE, VRA_INSECURE, VSPHERE_UNVERIFIED, SettingError
from providers.vra import settings as vra_settings

HOST_GRAPHICS = "pulumi-python:dynamic/vsphere:HostGraphics"
# A host of a DirectPath I/O pool (inputs `pool`, `hostName`, `gpusPerVm`; outputs as
# HostGraphics: `gpuCount` = GPUs passed through, `gpuModel`, `physicalCores`, `sockets`).
HOST_PASSTHROUGH = "pulumi-python:dynamic/vsphere:HostPassthrough"
GPU_HOSTS = (HOST_GRAPHICS, HOST_PASSTHROUGH)
VGPU_TEMPLATE = "pulumi-python:dynamic/vsphere:VgpuTemplate"
BLUEPRINT = "pulumi-python:dynamic/vra:Blueprint"
VRA_TYPES = "pulumi-python:dynamic/vra:"
ARIA_TYPES = "pulumi-python:dynamic/aria:"
ARIA_TEMPLATE = "pulumi-python:dynamic/aria:CloudTemplate"
ARIA_FLAVOR = "pulumi-python:dynamic/aria:FlavorProfile"
VSPHERE_DYNAMIC_TYPES = "pulumi-python:dynamic/vsphere:"
VSPHERE_VM = "vsphere:index/virtualMachine:VirtualMachine"
VSPHERE_PROVIDER = "pulumi:providers:vsphere"

FULL_CLONE = "FullClone"
RESERVATION_PROPERTY = "VMware.Memory.Reservation"
# pulumi-vsphere's documented default when a VirtualMachine names no `memory` (MB).
VSPHERE_DEFAULT_MEMORY_MB = 1024
# The VMX key that carries a vGPU profile: pciPassthru<N>.vgpu = "grid_p100-4q".
_VGPU_EXTRA_CONFIG = re.compile(r"^pciPassthru\d+\.vgpu$", re.IGNORECASE)
_PASSWORD_KEY = re.compile(r"passw(or)?d|passphrase", re.IGNORECASE)
DEFAULT_LAB_STACKS = ["dev", "dev-aria"]


# --- vgpu-memory-reservation-locked -------------------------------------------------------------


def _vm_vgpu_evidence(props: Mapping[str, Any]) -> str | None:
    """What makes a pulumi-vsphere VirtualMachine a vGPU VM, or None (also when unknown)."""
    devices = known_list(known(props, "pciDeviceIds"))
    if isinstance(devices, list) and devices:
        return f"pciDeviceIds {list(devices)}"
    extra = known(props, "extraConfig", {})
    if extra is UNKNOWN or not isinstance(extra, Mapping):
        return None
    for key in extra:
        value = known(extra, key)
        if _VGPU_EXTRA_CONFIG.match(key) and value is not UNKNOWN:
            return f"extraConfig {key}={value}"
    return None


def _template_gpus(props: Mapping[str, Any]) -> str:
    """What GPU a template carries, for messages: its vGPU profile or its passthrough devices."""
    devices = known_list(known(props, "passthroughDevices"))
    if isinstance(devices, list) and devices:
        return f"{len(devices)} passthrough GPU(s)"
    return f"profile {known(props, 'vgpuProfile')!r}"


def vgpu_memory_reservation_locked_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    props = args.props
    if args.resource_type == VGPU_TEMPLATE:
        locked = known(props, "memoryReservationLockedToMax")
        if locked is UNKNOWN or locked is True:
            return
        report_violation(
            f"Set memoryReservationLockedToMax to true on GPU template {args.name!r} "
            f"({_template_gpus(props)}): a VM with a vGPU or passthrough GPUs powers on only when "
            "all of its memory is reserved.",
            None,
        )
    elif args.resource_type == VSPHERE_VM:
        evidence = _vm_vgpu_evidence(props)
        if evidence is None:
            return
        memory = known(props, "memory", VSPHERE_DEFAULT_MEMORY_MB)
        reservation = known(props, "memoryReservation", 0)
        if memory is UNKNOWN or reservation is UNKNOWN:
            return
        if as_int(reservation) == as_int(memory):
            return
        # pulumi-vsphere applies memoryReservationLockedToMax only when memoryReservation equals
        # memory, so the flag alone does not reserve anything.
        report_violation(
            f"Set memoryReservation to memory ({memory} MB) on virtual machine {args.name!r}, "
            f"which carries a vGPU or passthrough device ({evidence}); it reserves "
            f"{reservation} MB. "
            "memoryReservationLockedToMax alone is ignored unless the two are equal.",
            None,
        )


# --- blueprint rules -----------------------------------------------------------------------------


ResourceRule = Callable[[ResourceValidationArgs, ReportViolation], None]


def _vgpu_blueprints_only(rule: ResourceRule) -> ResourceRule:
    """`rule` applied to blueprints that clone a vGPU template (those that name a GPU pool)."""

    @functools.wraps(rule)
    def validator(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type != BLUEPRINT:
            return
        pool = known(args.props, "pool")
        if pool is not UNKNOWN and pool:
            rule(args, report_violation)

    return validator


@_vgpu_blueprints_only
def blueprint_full_clone_only_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    clone_type = known(args.props, "cloneType")
    if clone_type is UNKNOWN or clone_type == FULL_CLONE:
        return
    report_violation(
        f"Set cloneType to {FULL_CLONE!r} on blueprint {args.name!r} (pool "
        f"{known(args.props, 'pool')!r}); it is {clone_type!r}. Machines cloned from a GPU "
        "template (vGPU or passthrough) must be full clones.",
        None,
    )


@_vgpu_blueprints_only
def blueprint_memory_reservation_matches_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    memory = known(args.props, "memoryMb")
    custom = known(args.props, "customProperties", {})
    reservation = known(custom, RESERVATION_PROPERTY)
    if memory is UNKNOWN or reservation is UNKNOWN:
        return
    if as_int(reservation) is not None and as_int(reservation) == as_int(memory):
        return
    report_violation(
        f"Set customProperties[{RESERVATION_PROPERTY!r}] to {str(as_int(memory) or memory)!r} "
        f"(memoryMb) on blueprint {args.name!r}; it is {reservation!r}. Every machine of a GPU "
        "blueprint (vGPU or passthrough) reserves all of its memory.",
        None,
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


# --- tls-verification-required -------------------------------------------------------------------


def _vsphere_switch() -> str | None:
    """Which of the stack config (the engine hands it to the pack in PULUMI_CONFIG) or the
    environment (which the provider host inherits too) turns vSphere TLS checks off."""
    return VSPHERE_UNVERIFIED.which(pulumi.runtime.get_config(VSPHERE_UNVERIFIED.key))


def _vra_switch() -> str | None:
    try:
        config = vra_settings.parse_vra_config(pulumi.runtime.get_config(vra_settings.CONFIG_KEY))
    except vra_settings.VraSettingsError:
        config = {}  # the providers reject it before connecting anywhere
    return VRA_INSECURE.which(config.get("insecure"))


def _aria_switch() -> str | None:
    try:
        config = aria_settings.parse_aria_config(
            pulumi.runtime.get_config(aria_settings.CONFIG_KEY)
        )
    except aria_settings.AriaSettingsError:
        config = {}  # the providers reject it before connecting anywhere
    return ARIA_INSECURE.which(config.get("insecure"))


def _tls_off(args: ResourceValidationArgs) -> str | None:
    """Which setting turns TLS verification off for this resource, or None. A switch the
    providers cannot read counts as off: they refuse it, and so does the policy."""
    try:
        return _tls_setting(args)
    except SettingError as error:
        return str(error)


def _tls_setting(args: ResourceValidationArgs) -> str | None:
    kind = args.resource_type
    if kind == VSPHERE_PROVIDER:
        if is_true(known(args.props, "allowUnverifiedSsl"), "allowUnverifiedSsl"):
            return "allowUnverifiedSsl=true"
    elif kind.startswith((VRA_TYPES, ARIA_TYPES)):
        if is_true(known(known(args.props, "endpoint"), "insecure"), "endpoint.insecure"):
            return "endpoint.insecure=true"
        return _vra_switch() if kind.startswith(VRA_TYPES) else _aria_switch()
    elif kind.startswith(VSPHERE_DYNAMIC_TYPES):
        return _vsphere_switch()
    elif kind.startswith("vsphere:") and args.provider is not None:
        # The default vsphere provider is built from the same stack config and environment.
        if "::default" in args.provider.urn:
            allow = known(args.provider.props, "allowUnverifiedSsl")
            if is_true(allow, "allowUnverifiedSsl of the default vsphere provider"):
                return "allowUnverifiedSsl=true on the default vsphere provider"
            return _vsphere_switch()
    return None


def tls_verification_required_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    stack = stack_of(args.urn)
    lab_stacks = args.get_config().get("labStacks", DEFAULT_LAB_STACKS)
    if stack in lab_stacks:
        return
    setting = _tls_off(args)
    if setting is None:
        return
    report_violation(
        f"Turn TLS verification back on for {args.name!r} ({setting}); only the lab stacks "
        f"{sorted(lab_stacks)} may skip it, and this is stack {stack!r}.",
        None,
    )


# --- passwords-are-secrets -----------------------------------------------------------------------
# pulumi-policy 1.21 cannot tell a validator whether a value is secret: the engine sends secrets
# marked, but `Analyze` and `AnalyzeStack` call `deserialize_properties(...)` without
# `proxy_secrets`, which unwraps every secret to its plain value (pulumi_policy/deserialize.py;
# pulumi/pulumi-policy#241). Only `Remediate` keeps the marks: there a secret arrives as a
# `pulumi_policy.Secret`, reachable under the `"__target"` key of the secrets-preserving proxy
# (pulumi_policy/secret.py). So this rule is a remediation: it hands the engine the resource's
# inputs with every plain password wrapped in `Secret`, which the engine then stores encrypted.


def _raw(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    """The marked mapping behind pulumi-policy's secrets-preserving proxy (or the mapping)."""
    try:
        target = mapping["__target"]
    except KeyError:
        return mapping
    return target if isinstance(target, Mapping) else mapping


def secret_passwords(props: Mapping[str, Any], path: str = "") -> tuple[dict[str, Any], list[str]]:
    """A copy of `props` with every plain, known password string wrapped in `Secret`, and the
    paths of the values it wrapped. Non-string values under such keys (a `passwordAuth` switch)
    are left alone."""
    fixed: dict[str, Any] = {}
    wrapped: list[str] = []
    for key, value in _raw(props).items():
        where = f"{path}.{key}" if path else key
        if isinstance(value, Secret) or is_unknown(value):
            fixed[key] = value
        elif isinstance(value, Mapping):
            fixed[key], inner = secret_passwords(value, where)
            wrapped += inner
        elif _PASSWORD_KEY.search(key) and isinstance(value, str) and value:
            fixed[key] = Secret(value)
            wrapped.append(where)
        else:
            fixed[key] = value
    return fixed, wrapped


def passwords_are_secrets_remediation(args: ResourceValidationArgs) -> dict[str, Any] | None:
    fixed, wrapped = secret_passwords(args.props)
    return fixed if wrapped else None


# --- the policies --------------------------------------------------------------------------------

vgpu_memory_reservation_locked = ResourceValidationPolicy(
    name="vgpu-memory-reservation-locked",
    description=(
        "A VM or template that carries a vGPU or passthrough GPUs reserves all of its memory "
        "(white paper 4.3.2-4.3.4, the vGPU template; vSphere reserves it for PCI passthrough)."
    ),
    validate=vgpu_memory_reservation_locked_validator,
)

blueprint_full_clone_only = ResourceValidationPolicy(
    name="blueprint-full-clone-only",
    description=(
        "Blueprints that clone a GPU template (vGPU or passthrough) use full clones (the white "
        "paper's blueprint)."
    ),
    validate=blueprint_full_clone_only_validator,
)

blueprint_memory_reservation_matches = ResourceValidationPolicy(
    name="blueprint-memory-reservation-matches",
    description=(
        f"A vGPU blueprint's {RESERVATION_PROPERTY} custom property equals its memory in MB "
        "(the white paper's blueprint)."
    ),
    validate=blueprint_memory_reservation_matches_validator,
)

gpu_pool_homogeneous = StackValidationPolicy(
    name="gpu-pool-homogeneous",
    description=(
        "Every host of a GPU pool offers the pool's vGPU profile (or passes GPUs through), the "
        "hosts of a pool run one mode and are alike: GPUs per VM, GPU model and count, sockets, "
        "cores and memory (white paper 4.4)."
    ),
    validate=gpu_pool_homogeneous_validator,
)

blueprint_within_pool_capacity = StackValidationPolicy(
    name="blueprint-within-pool-capacity",
    description=(
        "A GPU blueprint (vRA) or flavor profile and cloud template (Aria) asks for no more "
        "vCPUs than its pool's physical cores per VM and allows no more instances than the "
        "pool's vGPU or passthrough slots (white paper 4.4 and 4.5)."
    ),
    validate=blueprint_within_pool_capacity_validator,
)

tls_verification_required = ResourceValidationPolicy(
    name="tls-verification-required",
    description=(
        "vSphere, vRA and Aria connections verify TLS certificates, except on the lab stacks."
    ),
    validate=tls_verification_required_validator,
    config_schema=PolicyConfigSchema(
        properties={
            "labStacks": {
                "type": "array",
                "items": {"type": "string"},
                "default": DEFAULT_LAB_STACKS,
                "description": "Stacks that may turn TLS verification off (local labs).",
            }
        }
    ),
)

passwords_are_secrets = ResourceValidationPolicy(
    name="passwords-are-secrets",
    description=(
        "Password inputs are Pulumi secrets, never plain values in state; plain ones are turned "
        "into secrets by remediation."
    ),
    # pulumi-policy types `remediate` as returning an Awaitable, but its Remediate handler also
    # takes a plain mapping (policy.py, `elif result is not None`).
    remediate=passwords_are_secrets_remediation,  # type: ignore[arg-type]
    # A remediation runs only at this level; see the note above secret_passwords().
    enforcement_level=EnforcementLevel.REMEDIATE,
)

POLICIES: list[Policy] = [
    vgpu_memory_reservation_locked,
    blueprint_full_clone_only,
    blueprint_memory_reservation_matches,
    gpu_pool_homogeneous,
    blueprint_within_pool_capacity,
    tls_verification_required,
    passwords_are_secrets,
]
