"""Aria project (`/iaas/api/projects`, terraform-provider-vra `vra_project`): the one a stack
names is used when it exists, created (and then owned) when it does not."""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, UpdateResult

from providers import ownership
from providers.aria.base import AriaInputs, EndpointArgs, OwnedObjectProvider
from providers.base import NonEmpty, SchemaResource

COLLECTION = "/iaas/api/projects"


class ProjectInputs(AriaInputs):
    name: NonEmpty
    description: str = ""


class ProjectProvider(OwnedObjectProvider):
    """A project found by name that this resource did not make (no marker, or another one) is
    used as it is: never changed, never deleted (`created` false). One it made carries its
    marker and goes with the stack."""

    inputs_model = ProjectInputs
    kind = "aria:Project"
    label = "Aria project"
    collection = COLLECTION
    replace_keys = ("name",)
    output_keys = ("projectId", "created")

    def search(self, spec: ProjectInputs) -> dict[str, Any]:
        escaped = spec.name.replace("'", "''")
        return {"$filter": f"name eq '{escaped}'"}

    def _mine(self, spec: ProjectInputs, doc: dict[str, Any]) -> bool:
        return ownership.shared_is_ours(ownership.split(doc.get("description"))[1], spec.owner)

    def create(self, props: dict[str, Any]) -> CreateResult:
        spec: ProjectInputs = self.parse(props)
        client = self.client(props)
        found = self.find(client, spec)
        if found is not None and not self._mine(spec, found):
            outs = {**self._outputs(spec, found), "created": False}
            return CreateResult(str(found["id"]), outs)
        result = super().create(props)
        return CreateResult(result.id, {**(result.outs or {}), "created": True})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        if props.get("created"):
            return super().read(id_, props)
        # Not ours: only whether it still exists matters; its text is the platform team's.
        if self.client(props).get(self.item_path(id_)) is None:
            return ReadResult("", {})
        return ReadResult(id_, dict(props), self.inputs_of(props))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        if olds.get("created"):
            result = super().update(id_, olds, news)
            return UpdateResult({**(result.outs or {}), "created": True})
        return UpdateResult({**self.parse(news).model_dump(exclude_none=True),
                             "projectId": id_, "created": False})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        if props.get("created"):
            super().delete(id_, props)


class Project(SchemaResource, module="aria", name="Project"):
    provider_class = ProjectProvider

    projectId: pulumi.Output[str]

    def __init__(self, resource_name: str, *, endpoint: pulumi.Input[EndpointArgs],
                 name: pulumi.Input[str], description: pulumi.Input[str] = "",
                 owner: pulumi.Input[str] | None = None,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(resource_name, locals(), opts)
