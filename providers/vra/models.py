"""Input schemas of the vRA resources (camelCase, as on the wire and in state).

`check` validates against these; `create`/`update` parse them again, so bad input is refused
with a message naming the key before anything is sent to vRA.
"""

from __future__ import annotations

import hashlib
import re
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from providers import settings
from providers.base import NonEmpty, Owner
from providers.ownership import stack_of

# vRA ids are client-chosen and immutable; keep them to characters every service accepts.
VRA_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,127}$")
VraId = Annotated[str, StringConstraints(pattern=VRA_ID.pattern)]
EnvName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
PRINCIPAL = re.compile(r"^[^@\s]+@[^@\s]+$")


SOFTWARE_PREFIX = "Software."  # how vRA forms software component ids (docs/vra7-api.md)


def _letters(text: str, limit: int) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", text)[:limit]


def derive_id(name: str, owner: str | None = None, prefix: str = "") -> str:
    """A vRA id from a display name: letters and digits, as the vRA UI suggests one. With an
    owner, the stack and a short hash of the exact name and "<project>/<stack>" follow, so two
    stacks, or two names differing only in punctuation (`ml-a`, `ml_a`), never share an id."""
    derived = _letters(name, 60)
    if derived and not derived[0].isalpha():
        derived = "X" + derived
    if owner and derived:
        scope = stack_of(owner) or owner
        digest = hashlib.sha256(f"{scope}\n{name}".encode()).hexdigest()[:8]
        stack = _letters(scope.split("/")[-1], 20)
        derived = f"{derived}_{stack}_{digest}" if stack else f"{derived}_{digest}"
    return (prefix + derived)[:128] if derived else ""


class EndpointInput(settings.EndpointInput):
    """`endpoint`: which vRA (base URL + tenant); no secrets."""

    tenant: NonEmpty




class _Inputs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    endpoint: EndpointInput
    # Who creates the object (providers/ownership.py): "<project>/<stack>/<logical name>".
    owner: Owner | None = None


class SoftwareComponentInputs(_Inputs):
    name: NonEmpty
    description: str = ""
    componentId: VraId | None = None
    # Property names become environment variables in the guest, so they must be valid ones.
    properties: dict[EnvName, str] = Field(default_factory=dict)
    # Properties vRA keeps encrypted (SECURE_STRING, docs/vra7-api.md "Secured properties"):
    # the values arrive as Pulumi secrets, and the engine keeps them encrypted in state.
    # None, not {}: state written before this key existed then shows no change.
    secureProperties: dict[EnvName, str] | None = None
    installScript: NonEmpty
    # Script type ids as vRA 7 names them in exports (docs/vra7-api.md, Script types).
    scriptType: Literal["Bash", "powershell"] = "Bash"


class BlueprintInputs(_Inputs):
    name: NonEmpty
    blueprintId: VraId | None = None
    description: str = ""
    pool: NonEmpty | None = None
    templateName: NonEmpty
    customizationSpec: NonEmpty
    cloneType: Annotated[str, StringConstraints(pattern=r"^(FullClone|LinkedClone)$")] = "FullClone"
    cpu: int = Field(ge=1, le=128)
    memoryMb: int = Field(ge=4, le=6 * 1024 * 1024)
    storageGb: int = Field(ge=1, le=62 * 1024)
    maxInstances: int = Field(default=1, ge=1, le=1000)
    machinePrefix: NonEmpty | None = None
    network: NonEmpty | None = None
    softwareComponentId: VraId | None = None
    # The software component's property values, carried by the blueprint so that a published
    # blueprint hands requests the current ones (docs/vra7-api.md, Publishing).
    softwareProperties: dict[EnvName, str] = Field(default_factory=dict)
    customProperties: dict[NonEmpty, str] = Field(default_factory=dict)


class CatalogServiceInputs(_Inputs):
    name: NonEmpty
    description: str = ""


class CatalogItemInputs(_Inputs):
    blueprintId: VraId
    serviceId: NonEmpty
    timeoutSeconds: float = Field(default=120, gt=0, le=3600)


class EntitlementInputs(_Inputs):
    name: NonEmpty
    description: str = ""
    businessGroup: NonEmpty
    principals: list[Annotated[str, StringConstraints(pattern=PRINCIPAL.pattern)]] = Field(
        min_length=1
    )
    catalogItemIds: list[NonEmpty] = Field(default_factory=list)

    @field_validator("principals", "catalogItemIds")
    @classmethod
    def _as_set(cls, value: list[str]) -> list[str]:
        # Order carries no meaning in vRA; sorting keeps diffs quiet.
        return sorted(set(value))
