"""Checks over a whole stack config that no single key can make: names that collide, pool
references, placeholders left in, a misspelt namespace, TLS turned off outside the labs.

They read the raw values (before pydantic), so they run even when items fail validation, and
report every problem with its key path.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from mlaas import names
from mlaas.issues import PROJECT, Issue
from mlaas.settings import BACKENDS, LAB_STACKS, SettingError, switch

ACKNOWLEDGE_KEY = f"{PROJECT}:insecureTlsAcknowledged"
# `Pulumi.example.yaml` marks what to fill in as `<placeholder>`.
_PLACEHOLDER = re.compile(r"<[^<>\s][^<>]*>")


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) else None


def _items(values: Mapping[str, Any], key: str) -> list[tuple[int, Mapping[str, Any]]]:
    listed = values.get(f"{PROJECT}:{key}")
    if not isinstance(listed, list):
        return []
    return [(index, item) for index, item in enumerate(listed) if isinstance(item, Mapping)]


def _unique_names(values: Mapping[str, Any], key: str, what: str) -> list[Issue]:
    """Names of one list: equal once trimmed, or equal as ids (letters and digits, any case)."""
    issues: list[Issue] = []
    seen: dict[str, tuple[int, str]] = {}
    for index, item in _items(values, key):
        name = _text(item.get("name"))
        if not name or not names.id_key(name):
            continue  # blank or id-less names are reported by the item's own validation
        path = f"{PROJECT}:{key}[{index}].name"
        first = seen.get(names.id_key(name))
        if first is None:
            seen[names.id_key(name)] = (index, name)
        elif first[1] == name:
            issues.append(Issue(path, f"duplicate {what} name {name!r}"))
        else:
            issues.append(Issue(
                path,
                f"{name!r} collides with {first[1]!r} ({PROJECT}:{key}[{first[0]}].name): "
                f"both become the id {names.id_key(name)!r} in vRA and vCenter; rename one",
            ))
    return issues


def cross_references(values: Mapping[str, Any]) -> list[Issue]:
    """Unique names, a host in one pool only, offerings naming a pool that exists, template
    names that fit vCenter."""
    issues = _unique_names(values, "pools", "pool") + _unique_names(values, "offerings", "offering")
    if values.get(f"{PROJECT}:vra") is not None and values.get(f"{PROJECT}:aria") is not None:
        issues.append(
            Issue(f"{PROJECT}:aria", f"set either {PROJECT}:vra or {PROJECT}:aria, not both")
        )
    pool_names: set[str] = set()
    host_owner: dict[str, str] = {}
    template = values.get(f"{PROJECT}:template")
    template_name = _text(template.get("name")) if isinstance(template, Mapping) else None
    for index, pool in _items(values, "pools"):
        name = _text(pool.get("name")) or ""
        pool_names.add(name)
        hosts = pool.get("hosts")
        for host in map(_text, hosts if isinstance(hosts, list) else []):
            if host and host_owner.get(host, name) != name:
                issues.append(Issue(
                    f"{PROJECT}:pools[{index}].hosts",
                    f"host {host!r} is already in pool {host_owner[host]!r}",
                ))
            elif host:
                host_owner[host] = name
        too_long = names.template_name_budget(template_name or "gpu-mlaas-vgpu", name)
        if name and too_long:
            issues.append(Issue(f"{PROJECT}:pools[{index}].name", too_long))
    for index, offering in _items(values, "offerings"):
        wanted = _text(offering.get("pool"))
        if wanted is not None and wanted not in pool_names:
            known = ", ".join(sorted(pool_names)) or "none defined"
            issues.append(Issue(
                f"{PROJECT}:offerings[{index}].pool", f"no pool named {wanted!r} (pools: {known})"
            ))
    return issues


def placeholders(values: Mapping[str, Any]) -> list[Issue]:
    """Every value still holding a `<placeholder>` from Pulumi.example.yaml (any namespace)."""
    if "<" not in json.dumps(values, default=str):
        return []  # the common case, decided in C: a pool of 1,000 hosts costs no path strings
    issues: list[Issue] = []
    stack: list[tuple[Any, str]] = list((value, key) for key, value in values.items())
    while stack:
        value, path = stack.pop()
        if isinstance(value, Mapping):
            stack.extend((child, f"{path}.{key}") for key, child in value.items())
        elif isinstance(value, list):
            stack.extend((child, f"{path}[{index}]") for index, child in enumerate(value))
        elif isinstance(value, str) and _PLACEHOLDER.search(value):
            issues.append(Issue(
                path, f"{value!r} is a placeholder from Pulumi.example.yaml; fill in the real value"
            ))
    return sorted(issues, key=lambda issue: issue.path)


def _squeezed(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def namespaces(values: Mapping[str, Any]) -> list[Issue]:
    """A misspelt project namespace (`gpu_mlaas:pools`), and a stack with no project key at all:
    both would otherwise plan and deploy nothing without a word."""
    issues = [
        Issue(key, f"namespace {key.split(':', 1)[0]!r} is not {PROJECT!r}; "
                   f"did you mean {PROJECT}:{key.split(':', 1)[1]}?")
        for key in values
        if ":" in key
        and not key.startswith(f"{PROJECT}:")
        and _squeezed(key.split(":", 1)[0]) == _squeezed(PROJECT)
    ]
    if not any(key.startswith(f"{PROJECT}:") for key in values) and not issues:
        issues.append(Issue(
            f"{PROJECT}:offerings",
            f"the stack sets no {PROJECT}:* key; there is nothing to plan or deploy "
            "(see Pulumi.example.yaml)",
        ))
    return issues


def tls_acknowledged(values: Mapping[str, Any], stack: str | None) -> list[Issue]:
    """Outside the lab stacks, TLS verification stays on unless the stack says, in
    `gpu-mlaas:insecureTlsAcknowledged: true`, that it accepts the risk. A switch that cannot be
    read is reported with its key, as the providers would."""
    issues: list[Issue] = []
    turned_off: list[tuple[str, str]] = []
    for backend in BACKENDS:
        source = backend.insecure
        held = values.get(source.obj) if source.obj else values
        try:
            which = source.which(source.in_config(held) if isinstance(held, Mapping) else None)
        except SettingError as error:
            issues.append(Issue(source.key, str(error)))
            continue
        if which:
            turned_off.append((source.key, which))
    try:
        acknowledged = switch(values.get(ACKNOWLEDGE_KEY), f"config '{ACKNOWLEDGE_KEY}'")
    except SettingError:
        acknowledged = False  # reported by the key's own validation
    if stack in LAB_STACKS or acknowledged:
        return issues
    where = f"stack {stack!r}" if stack else "this stack"
    for key, which in turned_off:
        issues.append(Issue(
            key,
            f"TLS verification is off ({which}) on {where}, which is not a lab stack "
            f"({', '.join(sorted(LAB_STACKS))}); point at the CA bundle instead, or set "
            f"{ACKNOWLEDGE_KEY}: true to accept unverified connections",
        ))
    return issues
