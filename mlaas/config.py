"""Stack configuration: the `gpu-mlaas:*` keys of a stack, validated with pydantic.

Keys are camelCase like Pulumi's own. Every problem is reported at once with its key path
(`gpu-mlaas:pools[1].vgpuProfile: ...`) before anything else runs.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from pydantic.alias_generators import to_camel

from mlaas import profiles

PROJECT = "gpu-mlaas"

# Memory kept for ESXi itself and the per-VM overhead of the vGPU VMs on each host. 16 GB covers
# the hypervisor and a few hundred MB of overhead per VM on the hosts this project targets;
# raise it for hosts with many small vGPU VMs.
DEFAULT_HYPERVISOR_RESERVE_GB = 16
# Sizes of a CPU-only offering (no pool to derive them from).
DEFAULT_CPU_ONLY_VCPUS = 4
DEFAULT_CPU_ONLY_MEMORY_GB = 16
DEFAULT_DISK_GB = 100


@dataclass(frozen=True)
class Issue:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class ConfigError(ValueError):
    """Invalid stack configuration; `issues` holds every problem found."""

    def __init__(self, issues: Iterable[Issue]):
        self.issues = list(issues)
        lines = "\n".join(f"  {issue}" for issue in self.issues)
        super().__init__(f"invalid stack configuration ({len(self.issues)} problem(s)):\n{lines}")


class Secret:
    """A config value that Pulumi holds encrypted. Its repr never shows the value."""

    __slots__ = ("ciphertext", "value")

    def __init__(self, *, value: str | None = None, ciphertext: str | None = None):
        self.value = value  # plaintext, known only when the Pulumi runtime decrypted it
        self.ciphertext = ciphertext  # the stack file's `secure:` text

    def __repr__(self) -> str:
        return "Secret(********)"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and (self.value, self.ciphertext) == (
            other.value,
            other.ciphertext,
        )

    def __hash__(self) -> int:
        return hash((self.value, self.ciphertext))


def _as_secret(value: Any) -> Secret:
    if isinstance(value, Secret):
        return value
    if isinstance(value, Mapping) and set(value) == {"secure"}:
        return Secret(ciphertext=str(value["secure"]))
    raise ValueError(
        "must be a secret, never a plain value; set it with "
        "`pulumi config set --secret --path <key> <value>`"
    )


def _profile(name: str) -> str:
    try:
        return profiles.lookup(name).name
    except profiles.ProfileError as error:
        raise ValueError(str(error)) from None


def _unique(values: list[str]) -> list[str]:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{value!r} is listed twice")
        seen.add(value)
    return values


NonEmpty = Annotated[str, Field(min_length=1), AfterValidator(str.strip)]
SecretStr = Annotated[Secret, BeforeValidator(_as_secret)]
ProfileName = Annotated[str, AfterValidator(_profile)]
Positive = Annotated[int, Field(gt=0)]


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        populate_by_name=True,
        arbitrary_types_allowed=True,
    )


class Pool(_Model):
    """A homogeneous group of GPU hosts that all run one vGPU profile."""

    name: NonEmpty
    cluster: NonEmpty
    hosts: Annotated[list[NonEmpty], Field(min_length=1), AfterValidator(_unique)]
    vgpu_profile: ProfileName
    gpus_per_host: Positive
    host_cores: Positive
    host_sockets: Positive
    host_memory_gb: Positive
    hypervisor_reserve_gb: Annotated[int, Field(ge=0)] = DEFAULT_HYPERVISOR_RESERVE_GB
    assignment_policy: Literal["performance", "consolidation"] = "performance"
    # Put a host in maintenance mode (DRS moves its VMs away) when its GPUs need an X.Org
    # restart to run vGPU and VMs are powered on; off: such a host is an error naming the VMs.
    maintenance_mode: bool = False

    @model_validator(mode="after")
    def _memory_left(self) -> Pool:
        if self.hypervisor_reserve_gb >= self.host_memory_gb:
            raise ValueError(
                f"hypervisorReserveGb ({self.hypervisor_reserve_gb}) must be below "
                f"hostMemoryGb ({self.host_memory_gb})"
            )
        return self


class Offering(_Model):
    """One catalog item: a VM size on a pool (or CPU-only when `pool` is absent)."""

    name: NonEmpty
    pool: NonEmpty | None = None
    max_instances: Positive
    vcpus: Positive | None = None
    memory_gb: Positive | None = None
    disk_gb: Positive = DEFAULT_DISK_GB
    image: NonEmpty | None = None
    description: str = ""


class Template(_Model):
    """The vGPU VM template and its guest customization."""

    base_image: NonEmpty
    name: NonEmpty = "gpu-mlaas-vgpu"
    datastore: NonEmpty
    network: NonEmpty | None = None
    folder: NonEmpty | None = None
    domain: NonEmpty = "local"
    time_zone: NonEmpty = "Etc/UTC"
    customization_spec: NonEmpty = "gpu-mlaas-linux"
    # Overrides of the VM prerequisites the profile catalog gives each pool's template
    # (docs/vsphere-vgpu.md, "VM prerequisites"); absent = the catalog's.
    mmio_size_gb: Annotated[int, Field(ge=1, le=16384)] | None = None
    firmware: Literal["efi", "bios"] | None = None
    hardware_version: Annotated[int, Field(ge=11, le=99)] | None = None
    # After a template is built, power a clone of it on in its pool, check the vGPU, remove it.
    acceptance_test: bool = False


class Vra(_Model):
    """The vRealize Automation 7.3 endpoint and the account the providers log in with."""

    url: Annotated[str, Field(pattern=r"^https://[^/\s]+(/.*)?$")]
    tenant: NonEmpty = "vsphere.local"
    username: Annotated[str, Field(pattern=r"^[^@\s\\]+@[^@\s]+$")]
    # Optional here: the providers fall back to VRA_PASSWORD. When set, it must be a secret.
    password: SecretStr | None = None
    business_group: NonEmpty
    ca_bundle: NonEmpty | None = None
    insecure: bool = False
    timeout_seconds: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 60.0  # per vRA call

    @model_validator(mode="after")
    def _one_trust_mode(self) -> Vra:
        if self.insecure and self.ca_bundle:
            raise ValueError("set either caBundle or insecure, not both")
        return self


class Catalog(_Model):
    """Where the offerings appear in the vRA catalog and who may request them."""

    service: NonEmpty = "Machine Learning"
    description: str = "GPU machine-learning VMs"
    entitled_principals: Annotated[list[NonEmpty], Field(min_length=1), AfterValidator(_unique)]


class StackConfig(BaseModel):
    """Every `gpu-mlaas:*` key; other namespaces (`vsphere:*`, ...) are not ours to check.
    (Aliases spell the namespace out: type checkers need literal strings there.)"""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    pools: list[Pool] = Field(default_factory=list, alias="gpu-mlaas:pools")
    offerings: list[Offering] = Field(default_factory=list, alias="gpu-mlaas:offerings")
    datacenter: NonEmpty | None = Field(default=None, alias="gpu-mlaas:datacenter")
    template: Template | None = Field(default=None, alias="gpu-mlaas:template")
    vra: Vra | None = Field(default=None, alias="gpu-mlaas:vra")
    catalog: Catalog | None = Field(default=None, alias="gpu-mlaas:catalog")
    vsphere_ca_bundle: NonEmpty | None = Field(default=None, alias="gpu-mlaas:vsphereCaBundle")

    def pool(self, name: str) -> Pool:
        return next(pool for pool in self.pools if pool.name == name)


KNOWN_KEYS = frozenset(
    field.alias for field in StackConfig.model_fields.values() if field.alias is not None
)
# Keys whose values hold secrets; the runtime loader marks them from Pulumi's secret-key list.
SECRET_PATHS = {f"{PROJECT}:vra": ("password",)}

_FRIENDLY = {
    "extra_forbidden": "unknown key",
    "missing": "required key is missing",
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


def _cross_references(values: Mapping[str, Any]) -> list[Issue]:
    """Checks that span list items; they read the raw values so they run even when items fail."""
    issues: list[Issue] = []
    pools = values.get(f"{PROJECT}:pools")
    offerings = values.get(f"{PROJECT}:offerings")
    pool_names: set[str] = set()
    host_owner: dict[str, str] = {}
    if isinstance(pools, list):
        for index, pool in enumerate(pools):
            if not isinstance(pool, Mapping):
                continue
            name = pool.get("name")
            if isinstance(name, str):
                if name in pool_names:
                    issues.append(
                        Issue(f"{PROJECT}:pools[{index}].name", f"duplicate pool name {name!r}")
                    )
                pool_names.add(name)
            hosts = pool.get("hosts")
            for host in hosts if isinstance(hosts, list) else []:
                if isinstance(host, str) and host in host_owner and host_owner[host] != name:
                    issues.append(
                        Issue(
                            f"{PROJECT}:pools[{index}].hosts",
                            f"host {host!r} is already in pool {host_owner[host]!r}",
                        )
                    )
                elif isinstance(host, str):
                    host_owner[host] = str(name)
    if isinstance(offerings, list):
        seen: set[str] = set()
        for index, offering in enumerate(offerings):
            if not isinstance(offering, Mapping):
                continue
            name = offering.get("name")
            if isinstance(name, str):
                if name in seen:
                    issues.append(
                        Issue(
                            f"{PROJECT}:offerings[{index}].name",
                            f"duplicate offering name {name!r}",
                        )
                    )
                seen.add(name)
            pool = offering.get("pool")
            if isinstance(pool, str) and pool not in pool_names:
                known = ", ".join(sorted(pool_names)) or "none defined"
                issues.append(
                    Issue(
                        f"{PROJECT}:offerings[{index}].pool",
                        f"no pool named {pool!r} (pools: {known})",
                    )
                )
    return issues


def namespaced(values: Mapping[str, Any]) -> dict[str, Any]:
    """Pulumi's rule: a key without a namespace belongs to the project."""
    return {key if ":" in key else f"{PROJECT}:{key}": value for key, value in values.items()}


def parse_config(values: Mapping[str, Any]) -> StackConfig:
    """Validate a stack's config values (any namespaces); raise ConfigError listing every issue."""
    ours = {
        key: value
        for key, value in namespaced(values).items()
        if key.startswith(f"{PROJECT}:")
    }
    issues = [
        Issue(key, f"unknown key (known: {', '.join(sorted(KNOWN_KEYS))})")
        for key in ours
        if key not in KNOWN_KEYS
    ]
    known = {key: value for key, value in ours.items() if key in KNOWN_KEYS}
    config: StackConfig | None = None
    try:
        config = StackConfig.model_validate(known)
    except ValidationError as error:
        issues.extend(_issues_from(error))
    issues.extend(_cross_references(known))
    if issues or config is None:
        raise ConfigError(issues)
    return config


def read_stack_file(path: Path) -> dict[str, Any]:
    """The `config:` section of a `Pulumi.<stack>.yaml`, namespaced."""
    try:
        document = yaml.safe_load(path.read_text())
    except OSError as error:
        unreadable = Issue(str(path), f"cannot read the stack file: {error.strerror}")
        raise ConfigError([unreadable]) from None
    except yaml.YAMLError as error:
        raise ConfigError([Issue(str(path), f"not valid YAML: {error}")]) from None
    if document is None:
        document = {}
    if not isinstance(document, Mapping) or not isinstance(document.get("config", {}), Mapping):
        raise ConfigError([Issue(str(path), "expected a mapping with a `config:` section")])
    return namespaced(document.get("config") or {})


def load_stack_file(path: Path) -> StackConfig:
    return parse_config(read_stack_file(path))


def stack_file(stack: str, project_dir: Path | None = None) -> Path:
    return (project_dir or Path.cwd()) / f"Pulumi.{stack}.yaml"


def from_runtime(raw: Mapping[str, str], secret_keys: Iterable[str]) -> StackConfig:
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
                value = json.loads(text)
            except json.JSONDecodeError:
                value = text
        for field in SECRET_PATHS.get(key, ()):
            if key in secret and isinstance(value, dict) and isinstance(value.get(field), str):
                value[field] = Secret(value=value[field])
        values[key] = value
    return parse_config(values)
