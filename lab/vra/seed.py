"""What the lab holds after a reset: tenant, users, business groups, principals, source machines."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class User(_Model):
    username: str = Field(min_length=3, pattern=r"^[^@\s]+@[^@\s]+$")
    password: str = Field(min_length=1)


class BusinessGroup(_Model):
    id: str = Field(min_length=1)
    name: str = Field(min_length=1)


class Principal(_Model):
    ref: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    type: Literal["USER", "GROUP"]
    name: str = Field(min_length=1)


class SourceMachine(_Model):
    id: str = Field(min_length=1)
    name: str = Field(min_length=1)


class Seed(_Model):
    tenant: str = "vsphere.local"
    users: list[User] = [User(username="configurationadmin@vsphere.local", password="VMware1!")]
    businessGroups: list[BusinessGroup] = [
        BusinessGroup(id="5c8e6a3e-1a0b-4c52-9d27-3f0b8f1e7a11", name="Machine Learning Group")
    ]
    principals: list[Principal] = [
        Principal(ref="ml-users@vsphere.local", type="GROUP", name="ml-users"),
        Principal(ref="dataadmin@vsphere.local", type="USER", name="Data Admin"),
    ]
    sourceMachines: list[SourceMachine] = [
        SourceMachine(id="8d1f0a52-7c3e-4b8a-a6f4-2e9d51c07b3d", name="ubuntu-gpu-template")
    ]
    catalogItemDelaySeconds: float = Field(default=0.3, ge=0)
    # A captured vRA 7 token spans about 8 h (docs/vra7-api.md, Identity).
    tokenLifetimeSeconds: float = Field(default=8 * 3600, gt=0)


class SeedPatch(_Model):
    """Any subset of the seed, as sent to `PUT /__lab/seed`."""

    tenant: str | None = None
    users: list[User] | None = None
    businessGroups: list[BusinessGroup] | None = None
    principals: list[Principal] | None = None
    sourceMachines: list[SourceMachine] | None = None
    catalogItemDelaySeconds: float | None = Field(default=None, ge=0)
    tokenLifetimeSeconds: float | None = Field(default=None, gt=0)

    def apply(self, seed: Seed) -> Seed:
        return Seed.model_validate({**seed.model_dump(), **self.model_dump(exclude_none=True)})
