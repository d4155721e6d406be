"""tls-verification-required: which setting turns TLS verification off for a resource, read
with the one settings vocabulary (`mlaas.settings`) the providers use."""

from __future__ import annotations

import pulumi.runtime
from pulumi_policy import ReportViolation, ResourceValidationArgs

from mlaas.settings import ARIA, LAB_STACKS, VRA, VSPHERE, Backend, SettingError
from policy.props import is_true, known, stack_of
from policy.types import ARIA_TYPES, VRA_TYPES, VSPHERE_DYNAMIC_TYPES, VSPHERE_PROVIDER

DEFAULT_LAB_STACKS = list(LAB_STACKS)


# --- tls-verification-required -------------------------------------------------------------------


def _switch(backend: Backend) -> str | None:
    """Which of the stack config (the engine hands it to the pack in PULUMI_CONFIG) or the
    environment (which the provider host inherits too) turns the backend's TLS checks off."""
    source = backend.insecure
    key = source.obj or source.key
    try:
        value = backend.stack_value(source, {key: pulumi.runtime.get_config(key)})
    except SettingError:
        value = None  # a malformed object: the providers reject it before connecting anywhere
    return source.which(value)


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
        return _switch(VRA if kind.startswith(VRA_TYPES) else ARIA)
    elif kind.startswith(VSPHERE_DYNAMIC_TYPES):
        return _switch(VSPHERE)
    elif kind.startswith("vsphere:") and args.provider is not None:
        # The default vsphere provider is built from the same stack config and environment.
        if "::default" in args.provider.urn:
            allow = known(args.provider.props, "allowUnverifiedSsl")
            if is_true(allow, "allowUnverifiedSsl of the default vsphere provider"):
                return "allowUnverifiedSsl=true on the default vsphere provider"
            return _switch(VSPHERE)
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
