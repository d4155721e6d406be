"""guest-driver-branch-compatible: the template's NVIDIA guest driver against each pool's vGPU
Manager, from the version each host reports (`driverVersion`) or, before a host has reported
one, the pool's `hostDriverVersion` key (rule and sources: mlaas/driver_rules.py)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

import pulumi
import yaml
from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from mlaas import driver_rules
from policy.pools import _host_label, _hosts_by_pool, _reported


def _stack_json(key: str) -> Any:
    raw = pulumi.runtime.get_config(key)
    if not isinstance(raw, str):
        return raw
    try:
        return yaml.safe_load(raw)
    except yaml.YAMLError:
        return None  # the program refuses it with the key's path


def _host_versions(resources: list[PolicyResource]) -> dict[str, dict[str, str]]:
    """Pool -> source -> vGPU Manager version: from each host's reported fact, else the config."""
    found: dict[str, dict[str, str]] = defaultdict(dict)
    for pool, hosts in _hosts_by_pool(resources).items():
        for host in hosts:
            version = _reported(host, "driverVersion")
            if isinstance(version, str) and version:
                found[pool][f"host {_host_label(host)}"] = version
    pools = _stack_json("gpu-mlaas:pools")
    for index, pool in enumerate(pools if isinstance(pools, list) else []):
        if not isinstance(pool, Mapping) or pool.get("name") in found:
            continue
        version = pool.get("hostDriverVersion")
        if isinstance(version, str) and version:
            found[str(pool.get("name"))][f"gpu-mlaas:pools[{index}].hostDriverVersion"] = version
    return found


def guest_driver_branch_compatible_validator(
    args: StackValidationArgs, report_violation: ReportViolation
) -> None:
    template = _stack_json("gpu-mlaas:template")
    guest = template.get("guestDriverVersion") if isinstance(template, Mapping) else None
    if not isinstance(guest, str) or not guest:
        return
    for pool, versions in sorted(_host_versions(list(args.resources)).items()):
        for source, host in sorted(versions.items()):
            try:
                why = driver_rules.guest_compatible(host, guest)
            except driver_rules.DriverVersionError as error:
                why = str(error)
            if why is not None:
                report_violation(f"Pool {pool!r} ({source}): {why}.", None)
