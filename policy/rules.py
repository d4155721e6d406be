"""The gpu-mlaas CrossGuard policies, built from the validators of their own modules
(`vgpu_vms`, `pools`, `drivers`, `tls`, `secrets`; type tokens in `types`), and `POLICIES`.

Importing this module has no side effects; `policy/__main__.py` builds the `PolicyPack` (which
starts the analyzer's gRPC server). Every rule tolerates values that are unknown during preview:
it skips the check that needs them (see `policy.props`).
"""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    ResourceValidationPolicy,
    StackValidationPolicy,
)

from policy.drivers import guest_driver_branch_compatible_validator
from policy.pools import (
    _pool_capacity,
    blueprint_within_pool_capacity_validator,
    gpu_pool_homogeneous_validator,
)
from policy.secrets import passwords_are_secrets_remediation, secret_passwords
from policy.tls import DEFAULT_LAB_STACKS, tls_verification_required_validator
from policy.types import (
    ARIA_FLAVOR,
    ARIA_TEMPLATE,
    BLUEPRINT,
    HOST_GRAPHICS,
    HOST_PASSTHROUGH,
    VGPU_TEMPLATE,
    VSPHERE_PROVIDER,
    VSPHERE_VM,
)
from policy.vgpu_vms import (
    RESERVATION_PROPERTY,
    blueprint_full_clone_only_validator,
    blueprint_memory_reservation_matches_validator,
    vgpu_memory_reservation_locked_validator,
)

# Also read by the tests through this module.
__all__ = [
    "ARIA_FLAVOR", "ARIA_TEMPLATE", "BLUEPRINT", "DEFAULT_LAB_STACKS", "HOST_GRAPHICS",
    "HOST_PASSTHROUGH", "POLICIES", "VGPU_TEMPLATE", "VSPHERE_PROVIDER", "VSPHERE_VM",
    "_pool_capacity", "secret_passwords",
]

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

guest_driver_branch_compatible = StackValidationPolicy(
    name="guest-driver-branch-compatible",
    description=(
        "The template's NVIDIA guest driver (gpu-mlaas:template.guestDriverVersion) belongs to a "
        "branch the pools' vGPU Manager supports: the same branch, or the previous one from vGPU "
        "15 on (NVIDIA vGPU release notes; docs/guest-readiness.md)."
    ),
    validate=guest_driver_branch_compatible_validator,
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
    guest_driver_branch_compatible,
    tls_verification_required,
    passwords_are_secrets,
]
