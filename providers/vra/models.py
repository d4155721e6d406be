"""Input schemas of the vRA resources (camelCase, as on the wire and in state).

`check` validates against these; `create`/`update` parse them again, so bad input is refused
with a message naming the key before anything is sent to vRA.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from providers.ownership import OWNER
from providers.settings import switch

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
# vRA ids are client-chosen and immutable; keep them to characters every service accepts.
VRA_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,127}$")
VraId = Annotated[str, StringConstraints(pattern=VRA_ID.pattern)]
EnvName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
PRINCIPAL = re.compile(r"^[^@\s]+@[^@\s]+$")


def derive_id(name: str) -> str:
    """A vRA id from a display name, the way the vRA UI suggests one: letters and digits only."""
    derived = re.sub(r"[^A-Za-z0-9]", "", name)
    if derived and not derived[0].isalpha():
        derived = "X" + derived
    return derived[:128]


class EndpointInput(BaseModel):
    """`endpoint`: which vRA (base URL + tenant); no secrets."""

    model_config = ConfigDict(extra="forbid")

    url: Annotated[str, StringConstraints(pattern=r"^https?://[^\s/]+(/\S*)?$")]
    tenant: NonEmpty
    # Read like every TLS switch (providers/settings.py), so "t" or "y" is an error here too.
    insecure: Annotated[bool, BeforeValidator(lambda v: switch(v, "endpoint.insecure"))] = False

    @field_validator("url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")


class _Inputs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    endpoint: EndpointInput


class SoftwareComponentInputs(_Inputs):
    name: NonEmpty
    description: str = ""
    componentId: VraId | None = None
    # Property names become environment variables in the guest, so they must be valid ones.
    properties: dict[EnvName, str] = Field(default_factory=dict)
    installScript: NonEmpty
    scriptType: NonEmpty = "bash"


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
    customProperties: dict[NonEmpty, str] = Field(default_factory=dict)


class CatalogServiceInputs(_Inputs):
    name: NonEmpty
    description: str = ""
    # The stack that owns a service it creates (recorded in vRA, see documents.mark_owner).
    owner: Annotated[str, StringConstraints(pattern=OWNER.pattern)] | None = None


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
