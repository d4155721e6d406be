"""Stack configuration: the `gpu-mlaas:*` keys of a stack, validated with pydantic.

Keys are camelCase like Pulumi's own. Every problem is reported at once with its key path
(`gpu-mlaas:pools[1].vgpuProfile: ...`) before anything else runs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from mlaas import limits, names, passthrough, profiles, stack_checks
from mlaas import stack_file as stack_file_reader
from mlaas.issues import PROJECT, ConfigError, Issue
from providers.settings import switch

# Memory kept for ESXi itself and the per-VM overhead of the vGPU VMs on each host. 16 GB covers
# the hypervisor and a few hundred MB of overhead per VM on the hosts this project targets;
# raise it for hosts with many small vGPU VMs.
DEFAULT_HYPERVISOR_RESERVE_GB = 16
# Sizes of a CPU-only offering (no pool to derive them from).
DEFAULT_CPU_ONLY_VCPUS = 4
DEFAULT_CPU_ONLY_MEMORY_GB = 16
DEFAULT_DISK_GB = 100


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


def _number(value: Any) -> Any:
    """YAML reads `yes` and `true` as booleans, and pydantic would count them as 1."""
    if isinstance(value, bool):
        raise ValueError(f"must be a number, not {str(value).lower()}")
    return value


def _at_most(limit: limits.Limit) -> Any:
    def check(value: int) -> int:
        if value > limit.maximum:
            raise ValueError(f"{value} is above {limit.maximum}: {limit.reason}")
        return value

    return AfterValidator(check)


def _pci_id(value: Any) -> int:
    """A 16-bit PCI vendor or device id: `0x10de` (YAML reads it as a number), `"0x10de"` or
    `"10de"` (hexadecimal, as lspci and vSphere show it)."""
    if isinstance(value, str) and re.fullmatch(r"\s*(0[xX])?[0-9a-fA-F]{1,4}\s*", value):
        value = int(value.strip(), 16)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 0xFFFF:
        raise ValueError(f"{value!r} is not a PCI id (hexadecimal 0001..fffe, e.g. 0x10de)")
    return value


def _principal(value: str) -> str:
    if not PRINCIPAL.match(value):
        raise ValueError(f"{value!r} is not user@domain or group@domain")
    return value


# Names are trimmed, then checked and compared: " a " and "a" are one name; "  " is blank.
NonEmpty = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1), AfterValidator(names.printable)
]
OfferingName = Annotated[NonEmpty, AfterValidator(names.offering_name)]
PoolName = Annotated[NonEmpty, AfterValidator(names.pool_name)]
SecretStr = Annotated[Secret, BeforeValidator(_as_secret)]
ProfileName = Annotated[str, AfterValidator(_profile)]
PRINCIPAL = re.compile(r"^[^@\s\\]+@[^@\s]+$")
Principal = Annotated[NonEmpty, AfterValidator(_principal)]
Positive = Annotated[int, BeforeValidator(_number), Field(gt=0)]
GpuCount = Annotated[Positive, _at_most(limits.GPUS_PER_HOST)]
CoreCount = Annotated[Positive, _at_most(limits.HOST_CORES)]
SocketCount = Annotated[Positive, _at_most(limits.HOST_SOCKETS)]
HostMemoryGb = Annotated[Positive, _at_most(limits.HOST_MEMORY_GB)]
Instances = Annotated[Positive, _at_most(limits.MAX_INSTANCES)]
Vcpus = Annotated[Positive, _at_most(limits.VCPUS)]
VmMemoryGb = Annotated[Positive, _at_most(limits.VM_MEMORY_GB)]
DiskGb = Annotated[Positive, _at_most(limits.DISK_GB)]
POOL_MODES = ("vgpu", "passthrough")


def _pool_mode(value: Any) -> Any:
    if value not in POOL_MODES:
        raise ValueError(f"{value!r} is not a pool mode ({' or '.join(POOL_MODES)})")
    return value


PoolMode = Annotated[Literal["vgpu", "passthrough"], BeforeValidator(_pool_mode)]
PciId = Annotated[int, BeforeValidator(_pci_id)]
ReserveGb = Annotated[
    int, BeforeValidator(_number), Field(ge=0), _at_most(limits.HOST_MEMORY_GB)
]


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        populate_by_name=True,
        arbitrary_types_allowed=True,
    )


class Pool(_Model):
    """A homogeneous group of GPU hosts: all run one vGPU profile (`mode: vgpu`), or all give
    VMs whole GPUs through DirectPath I/O (`mode: passthrough`, `gpusPerVm` GPUs per VM)."""

    name: PoolName
    cluster: NonEmpty
    hosts: Annotated[
        list[NonEmpty],
        Field(min_length=1, max_length=limits.HOSTS_PER_POOL.maximum),
        AfterValidator(_unique),
    ]
    mode: PoolMode = "vgpu"
    # Required in vGPU mode, refused in passthrough mode (checked below, with its key path).
    vgpu_profile: ProfileName | None = None
    gpus_per_host: GpuCount
    host_cores: CoreCount
    host_sockets: SocketCount
    host_memory_gb: HostMemoryGb
    hypervisor_reserve_gb: ReserveGb = DEFAULT_HYPERVISOR_RESERVE_GB
    assignment_policy: Literal["performance", "consolidation"] = "performance"
    # Put a host in maintenance mode (DRS moves its VMs away) when its GPUs need an X.Org
    # restart to run vGPU and VMs are powered on; off: such a host is an error naming the VMs.
    maintenance_mode: bool = False
    # Passthrough pools only: whole GPUs per VM (1..gpusPerHost), and the PCI ids of the GPUs
    # to pass through (absent: the NVIDIA GPUs the hosts report; docs/vsphere-vgpu.md).
    gpus_per_vm: Annotated[GpuCount | None, Field(validate_default=True)] = None
    pci_vendor_id: PciId | None = None
    pci_device_id: PciId | None = None

    @model_validator(mode="before")
    @classmethod
    def _profile_always_checked(cls, data: Any) -> Any:
        # An absent vgpuProfile is validated as null under its own key, so a vGPU pool without
        # one is reported at `pools[N].vgpuProfile` (a default would be reported by field name).
        if isinstance(data, Mapping) and "vgpuProfile" not in data and "vgpu_profile" not in data:
            return {**data, "vgpuProfile": None}
        return data

    @field_validator("vgpu_profile")
    @classmethod
    def _profile_for_mode(cls, value: str | None, info: ValidationInfo) -> str | None:
        mode = info.data.get("mode")  # absent when `mode` itself is invalid (reported there)
        if mode == "vgpu" and value is None:
            raise ValueError("required key is missing (a vGPU pool names its vGPU profile)")
        if mode == "passthrough" and value is not None:
            raise ValueError(
                "a passthrough pool gives VMs whole GPUs and names no vGPU profile; remove "
                "vgpuProfile or set mode: vgpu"
            )
        return value

    @field_validator("gpus_per_vm", "pci_vendor_id", "pci_device_id")
    @classmethod
    def _passthrough_only(cls, value: int | None, info: ValidationInfo) -> int | None:
        mode = info.data.get("mode")
        if mode == "vgpu" and value is not None:
            raise ValueError(
                f"only a passthrough pool sets {to_camel(str(info.field_name))}; "
                "set mode: passthrough or remove it"
            )
        if info.field_name != "gpus_per_vm" or mode != "passthrough":
            return value
        per_host = info.data.get("gpus_per_host")  # absent when gpusPerHost is invalid
        wanted = 1 if value is None else value
        if wanted > passthrough.MAX_DEVICES_PER_VM:
            raise ValueError(
                f"{wanted} GPUs per VM is above {passthrough.MAX_DEVICES_PER_VM}: vSphere connects "
                "at most 16 PCI passthrough devices to a VM"
            )
        if per_host is not None and wanted > per_host:
            raise ValueError(
                f"{wanted} GPUs per VM is above gpusPerHost ({per_host}): a VM's GPUs are in "
                "one host"
            )
        return wanted

    @model_validator(mode="after")
    def _memory_left(self) -> Pool:
        if self.hypervisor_reserve_gb >= self.host_memory_gb:
            raise ValueError(
                f"hypervisorReserveGb ({self.hypervisor_reserve_gb}) must be below "
                f"hostMemoryGb ({self.host_memory_gb})"
            )
        if self.host_sockets > self.host_cores:
            raise ValueError(
                f"hostSockets ({self.host_sockets}) is above hostCores ({self.host_cores}): "
                "every socket holds at least one core"
            )
        return self


class Offering(_Model):
    """One catalog item: a VM size on a pool (or CPU-only when `pool` is absent)."""

    name: OfferingName
    pool: NonEmpty | None = None
    max_instances: Instances
    vcpus: Vcpus | None = None
    memory_gb: VmMemoryGb | None = None
    disk_gb: DiskGb = DEFAULT_DISK_GB
    image: NonEmpty | None = None
    description: str = ""


class Template(_Model):
    """The vGPU VM template and its guest customization."""

    base_image: NonEmpty
    name: PoolName = "gpu-mlaas-vgpu"
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


def _vra_insecure(value: Any) -> bool:
    return switch(value, f"config '{PROJECT}:vra.insecure'")


class Vra(_Model):
    """The vRealize Automation 7.3 endpoint and the account the providers log in with."""

    url: Annotated[str, Field(pattern=r"^https://[^/\s]+(/.*)?$")]
    tenant: NonEmpty = "vsphere.local"
    username: Annotated[str, Field(pattern=r"^[^@\s\\]+@[^@\s]+$")]
    # Optional here: the providers fall back to VRA_PASSWORD. When set, it must be a secret.
    password: SecretStr | None = None
    business_group: NonEmpty
    ca_bundle: NonEmpty | None = None
    insecure: Annotated[bool, BeforeValidator(_vra_insecure)] = False
    timeout_seconds: Annotated[
        float,
        BeforeValidator(_number),
        Field(gt=0, le=limits.TIMEOUT_SECONDS.maximum, allow_inf_nan=False),
    ] = 60.0  # per vRA call

    @model_validator(mode="after")
    def _one_trust_mode(self) -> Vra:
        if self.insecure and self.ca_bundle:
            raise ValueError("set either caBundle or insecure, not both")
        return self


class Aria(_Model):
    """The Aria Automation 8 endpoint (instead of `vra`), the account and the project the
    catalog lives in (docs/aria8-api.md)."""

    url: Annotated[str, Field(pattern=r"^https://[^/\s]+(/.*)?$")]
    username: NonEmpty | None = None
    # Optional here: the providers fall back to ARIA_PASSWORD / ARIA_REFRESH_TOKEN. When set,
    # each must be a secret.
    password: SecretStr | None = None
    refresh_token: SecretStr | None = None
    domain: NonEmpty | None = None  # CSP login domain, e.g. "System Domain"
    project: NonEmpty  # used when it exists, created otherwise
    region: NonEmpty | None = None  # region name or externalRegionId; absent: the only one
    ca_bundle: NonEmpty | None = None
    insecure: bool = False
    timeout_seconds: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 60.0  # per Aria call

    @model_validator(mode="after")
    def _consistent(self) -> Aria:
        if self.insecure and self.ca_bundle:
            raise ValueError("set either caBundle or insecure, not both")
        if self.password is not None and self.username is None:
            raise ValueError("password needs username")
        return self


class Catalog(_Model):
    """Where the offerings appear in the vRA catalog and who may request them."""

    service: NonEmpty = "Machine Learning"
    description: str = "GPU machine-learning VMs"
    entitled_principals: Annotated[list[Principal], Field(min_length=1), AfterValidator(_unique)]


class StackConfig(BaseModel):
    """Every `gpu-mlaas:*` key; other namespaces (`vsphere:*`, ...) are not ours to check.
    (Aliases spell the namespace out: type checkers need literal strings there.)"""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    pools: list[Pool] = Field(default_factory=list, alias="gpu-mlaas:pools")
    offerings: list[Offering] = Field(default_factory=list, alias="gpu-mlaas:offerings")
    datacenter: NonEmpty | None = Field(default=None, alias="gpu-mlaas:datacenter")
    template: Template | None = Field(default=None, alias="gpu-mlaas:template")
    vra: Vra | None = Field(default=None, alias="gpu-mlaas:vra")
    aria: Aria | None = Field(default=None, alias="gpu-mlaas:aria")
    catalog: Catalog | None = Field(default=None, alias="gpu-mlaas:catalog")
    vsphere_ca_bundle: NonEmpty | None = Field(default=None, alias="gpu-mlaas:vsphereCaBundle")
    # Outside the lab stacks, TLS verification may be turned off only with this set to true.
    insecure_tls_acknowledged: Annotated[
        bool, BeforeValidator(lambda v: switch(v, f"config '{stack_checks.ACKNOWLEDGE_KEY}'"))
    ] = Field(default=False, alias="gpu-mlaas:insecureTlsAcknowledged")


KNOWN_KEYS = frozenset(
    field.alias for field in StackConfig.model_fields.values() if field.alias is not None
)
# Keys whose values hold secrets; the runtime loader marks them from Pulumi's secret-key list.
SECRET_PATHS = {f"{PROJECT}:vra": ("password",), f"{PROJECT}:aria": ("password", "refreshToken")}

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
