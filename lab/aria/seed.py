"""What the Aria lab holds after a reset: the organization, its users and groups, one vSphere
region, the fabric images (vSphere templates) it knows, and projects that already exist."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class User(_Model):
    username: str = Field(min_length=1)
    password: str = Field(min_length=1)
    domain: str = "System Domain"
    # An organization owner sees every catalog item (/catalog/api/admin/items); others see only
    # what a content sharing policy shares with them or a group they are in.
    admin: bool = False
    groups: list[str] = []


class Region(_Model):
    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    externalRegionId: str = Field(min_length=1)
    cloudAccountId: str = Field(min_length=1)


class Project(_Model):
    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    description: str = ""


class Principal(_Model):
    """A user or group a content sharing policy may name."""

    referenceId: str = Field(min_length=1)
    type: Literal["USER", "GROUP"]


class Seed(_Model):
    orgId: str = "3f5e2b1c-7d9a-4c8e-b6f1-0a2d4e6c8b10"
    users: list[User] = [
        User(username="configadmin", password="VMware1!", admin=True),
        User(username="data-scientist", password="VMware1!", groups=["ml-users@lab.local"]),
    ]
    groups: list[str] = ["ml-users@lab.local"]
    regions: list[Region] = [
        Region(
            id="6a1b3c5d-7e9f-4a2b-8c4d-6e8f0a1b2c3d",
            name="DC0",
            externalRegionId="Datacenter:datacenter-2",
            cloudAccountId="9b8a7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d",
        )
    ]
    fabricImages: list[str] = ["ubuntu-base"]
    projects: list[Project] = [
        Project(id="c0ffee00-1a2b-4c3d-8e4f-5a6b7c8d9e0f", name="ml-platform",
                description="Platform team project (existing)")
    ]
    catalogItemDelaySeconds: float = Field(default=0.3, ge=0)
    tokenLifetimeSeconds: float = Field(default=8 * 3600, gt=0)

    def principals(self) -> list[Principal]:
        users = [Principal(referenceId=u.username, type="USER") for u in self.users]
        return users + [Principal(referenceId=g, type="GROUP") for g in self.groups]


class SeedPatch(_Model):
    """Any subset of the seed, as sent to `PUT /__lab/seed`."""

    orgId: str | None = None
    users: list[User] | None = None
    groups: list[str] | None = None
    regions: list[Region] | None = None
    fabricImages: list[str] | None = None
    projects: list[Project] | None = None
    catalogItemDelaySeconds: float | None = Field(default=None, ge=0)
    tokenLifetimeSeconds: float | None = Field(default=None, gt=0)

    def apply(self, seed: Seed) -> Seed:
        return Seed.model_validate({**seed.model_dump(), **self.model_dump(exclude_none=True)})
