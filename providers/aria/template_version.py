"""A released version of a cloud template (`/blueprint/api/blueprints/{id}/versions`,
terraform-provider-vra `vra_blueprint_version`): what a content source imports.

Created with `release: true` in one call. Versions cannot be deleted, only unreleased, so destroy
unreleases it (docs/aria8-api.md). The version's description carries the owner marker. The
version name comes from the content (cloud_template.content_version), so new content is a new
version: Pulumi creates and releases it, then unreleases the old one.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, UpdateResult

from providers import ownership
from providers.aria.base import AriaInputs, AriaProvider, EndpointArgs
from providers.aria.client import AriaClient, AriaError, path_segment
from providers.base import NonEmpty, SchemaResource

RELEASED = "RELEASED"


class TemplateVersionInputs(AriaInputs):
    blueprintId: NonEmpty
    version: NonEmpty
    description: str = ""


def _path(blueprint_id: str, version: str = "") -> str:
    base = f"/blueprint/api/blueprints/{path_segment(blueprint_id)}/versions"
    return f"{base}/{path_segment(version)}" if version else base


class TemplateVersionProvider(AriaProvider):
    inputs_model = TemplateVersionInputs
    kind = "aria:TemplateVersion"
    replace_keys = ("blueprintId", "version")
    output_keys = ("versionId", "status")

    def drifted(self, olds: dict[str, Any]) -> bool:
        return olds.get("status") != RELEASED  # unreleased outside Pulumi: release it again

    def _check_owner(self, spec: TemplateVersionInputs, doc: dict[str, Any],
                     state_marked: bool | None = None) -> None:
        _, found = ownership.split(doc.get("versionDescription"))
        ownership.require("Aria cloud template version", f"{spec.blueprintId}/{spec.version}",
                          found, spec.owner, state_marked=state_marked)

    def _released(self, client: AriaClient, spec: TemplateVersionInputs,
                  doc: dict[str, Any], state_marked: bool | None = None) -> dict[str, Any]:
        self._check_owner(spec, doc, state_marked)
        if doc.get("status") == RELEASED:
            return doc
        return client.send("POST", f"{_path(spec.blueprintId, spec.version)}/actions/release")

    def _outputs(self, spec: TemplateVersionInputs, doc: dict[str, Any]) -> dict[str, Any]:
        return {**spec.model_dump(exclude_none=True), "versionId": str(doc.get("id")),
                "status": doc.get("status")}

    def create(self, props: dict[str, Any]) -> CreateResult:
        spec: TemplateVersionInputs = self.parse(props)
        client = self.client(props)
        body = {"version": spec.version, "release": True,
                "description": ownership.mark(spec.description, spec.owner)}
        try:
            doc = client.send("POST", _path(spec.blueprintId), body)
        except AriaError as exc:
            # The version may exist: a half-finished earlier run, or a lost answer.
            if exc.status is not None and exc.status not in (400, 409) and exc.status < 500:
                raise
            found = client.get(_path(spec.blueprintId, spec.version))
            if found is None:
                raise
            doc = self._released(client, spec, found)
        return CreateResult(f"{spec.blueprintId}/{spec.version}", self._outputs(spec, doc))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        spec: TemplateVersionInputs = self.parse(props)
        doc = self.client(props).get(_path(spec.blueprintId, spec.version))
        if doc is None:
            return ReadResult("", {})
        outs = {**self._outputs(spec, doc)}
        return ReadResult(id_, outs, self.inputs_of(outs))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        spec: TemplateVersionInputs = self.parse(news)
        client = self.client(news)
        doc = client.get(_path(spec.blueprintId, spec.version))
        if doc is None:
            raise self.gone(id_)
        return UpdateResult(
            self._outputs(spec, self._released(client, spec, doc, ownership.state_marked(olds))))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        spec: TemplateVersionInputs = self.parse(props)
        client = self.client(props)
        doc = client.get(_path(spec.blueprintId, spec.version))
        if doc is None:
            return
        self._check_owner(spec, doc, state_marked=ownership.state_marked(props))
        if doc.get("status") == RELEASED:
            client.send("POST", f"{_path(spec.blueprintId, spec.version)}/actions/unrelease")


class TemplateVersion(SchemaResource, module="aria", name="TemplateVersion"):
    provider_class = TemplateVersionProvider

    versionId: pulumi.Output[str]

    def __init__(self, resource_name: str, *, endpoint: pulumi.Input[EndpointArgs],
                 blueprint_id: pulumi.Input[str], version: pulumi.Input[str],
                 description: pulumi.Input[str] = "", owner: pulumi.Input[str] | None = None,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(resource_name, locals(), opts)
