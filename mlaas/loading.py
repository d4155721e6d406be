"""Loading a stack's configuration: its values (the stack file, or what the Pulumi runtime hands
the program) validated into `mlaas.config.StackConfig`, every problem reported at once with its
key path before anything else runs, and the whole-stack checks (`mlaas.stack_checks`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from mlaas import stack_checks
from mlaas import stack_file as stack_file_reader
from mlaas.config import Secret, StackConfig
from mlaas.issues import PROJECT, ConfigError, Issue

KNOWN_KEYS = frozenset(
    field.alias for field in StackConfig.model_fields.values() if field.alias is not None
)
# Keys whose values hold secrets; the runtime loader marks them from Pulumi's secret-key list.
SECRET_PATHS = {
    f"{PROJECT}:vra": ("password",),
    f"{PROJECT}:aria": ("password", "refreshToken"),
    f"{PROJECT}:licensing": ("clientConfigToken",),
}

_FRIENDLY = {
    "extra_forbidden": "unknown key",
    "missing": "required key is missing",
    "string_too_short": "must not be blank",
}


def _path(loc: tuple[str | int, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _issues_from(error: ValidationError) -> list[Issue]:
    issues = []
    for item in error.errors():
        loc = tuple(part for part in item["loc"] if not str(part).startswith("function-"))
        message = _FRIENDLY.get(item["type"], item["msg"])
        message = message.removeprefix("Value error, ")
        issues.append(Issue(_path(loc), message))
    return issues


def namespaced(values: Mapping[str, Any]) -> dict[str, Any]:
    """Pulumi's rule: a key without a namespace belongs to the project."""
    return {key if ":" in key else f"{PROJECT}:{key}": value for key, value in values.items()}


def parse_config(values: Mapping[str, Any], stack: str | None = None) -> StackConfig:
    """Validate a stack's config values (any namespaces); raise ConfigError listing every issue.
    `stack` is the stack's name when known: outside the lab stacks, TLS must stay verified."""
    values = namespaced(values)
    ours = {key: value for key, value in values.items() if key.startswith(f"{PROJECT}:")}
    issues = [
        Issue(key, f"unknown key (known: {', '.join(sorted(KNOWN_KEYS))})")
        for key in ours
        if key not in KNOWN_KEYS
    ]
    issues += stack_checks.namespaces(values)
    known = {key: value for key, value in ours.items() if key in KNOWN_KEYS}
    config: StackConfig | None = None
    try:
        config = StackConfig.model_validate(known)
    except ValidationError as error:
        issues.extend(_issues_from(error))
    issues += stack_checks.cross_references(known)
    issues += stack_checks.placeholders(values)
    issues += stack_checks.tls_acknowledged(values, stack)
    if config is not None:
        issues += _aria_guest_setup(config)
    if issues or config is None:
        raise ConfigError(dict.fromkeys(issues))  # each problem once, in the order found
    return config


def read_stack_file(path: Path) -> dict[str, Any]:
    """The `config:` section of a `Pulumi.<stack>.yaml`, namespaced."""
    return namespaced(stack_file_reader.read_config_section(path))


def stack_name(path: Path) -> str | None:
    """`prod` for `Pulumi.prod.yaml`; None for a file not named like a stack file."""
    parts = path.name.split(".")
    return ".".join(parts[1:-1]) if len(parts) > 2 and parts[0] == "Pulumi" else None


def load_stack_file(path: Path) -> StackConfig:
    return parse_config(read_stack_file(path), stack_name(path))


def stack_file(stack: str, project_dir: Path | None = None) -> Path:
    return (project_dir or Path.cwd()) / f"Pulumi.{stack}.yaml"


def from_runtime(
    raw: Mapping[str, str], secret_keys: Iterable[str], stack: str | None = None
) -> StackConfig:
    """Validate config as the Pulumi runtime hands it over: strings (objects as JSON), secrets
    decrypted, plus the list of keys that were secret. A password under a key that was not
    secret is refused like a plain value in the stack file."""
    secret = set(secret_keys)
    values: dict[str, Any] = {}
    for key, text in raw.items():
        value: Any = text
        # Objects and lists arrive as JSON; scalars stay strings ("2024" names a datacenter).
        if isinstance(text, str) and text.lstrip()[:1] in ("{", "["):
            try:
                value = json.loads(text, object_pairs_hook=_no_duplicates)
            except json.JSONDecodeError:
                value = text
            except (RecursionError, ValueError) as error:
                message = "nested too deeply" if isinstance(error, RecursionError) else str(error)
                raise ConfigError([Issue(key, message)]) from None
        for field in SECRET_PATHS.get(key, ()):
            if key in secret and isinstance(value, dict) and isinstance(value.get(field), str):
                value[field] = Secret(value=value[field])
        values[key] = value
    return parse_config(values, stack)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    for key in keys:
        if keys.count(key) > 1:
            raise ValueError(f"duplicate key {key!r}")
    return dict(pairs)


def _aria_guest_setup(config: StackConfig) -> list[Issue]:
    """Aria runs the guest steps (container install, licensing) only through cloud-init, which
    VMware says does not mix with a customization spec (docs/aria8-api.md); and it has no field
    this project writes a secret into, so the licence token reaches vRA 7 guests only."""
    if config.aria is None:
        return []
    issues = []
    licensing = config.licensing
    if licensing is not None and licensing.client_config_token is not None:
        issues.append(Issue(
            f"{PROJECT}:licensing.clientConfigToken",
            "not supported with gpu-mlaas:aria yet: the Aria cloud template has no secured field "
            "for it and a cloudConfig is plain text; use serverAddress (a legacy license "
            "server) with Aria, or the token with gpu-mlaas:vra",
        ))
    needs = [f"{PROJECT}:offerings[{i}].image" for i, o in enumerate(config.offerings) if o.image]
    if licensing is not None:
        needs.append(f"{PROJECT}:licensing")
    if needs and not (config.template and config.template.cloud_init):
        issues.append(Issue(
            f"{PROJECT}:template.cloudInit",
            f"{', '.join(needs)} run at first boot through cloud-init in Aria, so the base image "
            "must have cloud-init: set cloudInit: true (the machines then get a cloudConfig and "
            "no customization spec; VMware: the two are not compatible)",
        ))
    return issues
