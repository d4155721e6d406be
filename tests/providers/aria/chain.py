"""The Aria objects of one offering, created through the providers in dependency order."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from providers.aria.catalog_item import CatalogItemProvider
from providers.aria.cloud_template import (
    CloudTemplateProvider,
    content_version,
    machine_template,
)
from providers.aria.content_source import ContentSourceProvider
from providers.aria.profiles import FlavorProfileProvider, ImageProfileProvider
from providers.aria.project import ProjectProvider
from providers.aria.sharing_policy import SharingPolicyProvider
from providers.aria.template_version import TemplateVersionProvider
from providers.base import SchemaProvider

OWNER = "gpu-mlaas/test/offering"


@dataclass
class Created:
    provider: SchemaProvider
    id: str
    props: dict[str, Any]


@dataclass
class Chain:
    endpoint: dict[str, Any]
    project: str = "ml-platform"
    created: list[Created] = field(default_factory=list)

    def make(self, provider: SchemaProvider, **inputs: Any) -> Created:
        checked = provider.check({}, {"endpoint": self.endpoint, **inputs})
        assert not checked.failures, checked.failures
        result = provider.create(checked.inputs)
        entry = Created(provider, str(result.id), dict(result.outs or {}))
        self.created.append(entry)
        return entry

    def deploy(self, *, image: str = "ubuntu-base", max_instances: int = 4) -> dict[str, Created]:
        project = self.make(ProjectProvider(), name=self.project, owner=f"{OWNER}-project")
        project_id = project.props["projectId"]
        image_profile = self.make(ImageProfileProvider(), name="tf-gpu image", owner=OWNER,
                                  mappingName="tf-gpu", imageName=image)
        flavor = self.make(FlavorProfileProvider(), name="tf-gpu flavor", owner=OWNER,
                           mappingName="tf-gpu", cpuCount=4, memoryMb=32768)
        content = machine_template(image_mapping="tf-gpu", flavor_mapping="tf-gpu",
                                   max_instances=max_instances,
                                   container_image="tensorflow/tensorflow:latest-gpu")
        template = self.make(CloudTemplateProvider(), name="tf-gpu", owner=OWNER,
                             projectId=project_id, content=content)
        version = self.make(TemplateVersionProvider(), owner=OWNER,
                            blueprintId=template.props["blueprintId"],
                            version=content_version(content))
        source = self.make(ContentSourceProvider(), name="gpu-mlaas test", owner=OWNER,
                           projectId=project_id, versionIds=[version.props["versionId"]])
        item = self.make(CatalogItemProvider(), sourceId=source.props["sourceId"],
                         projectId=project_id, name="tf-gpu")
        policy = self.make(SharingPolicyProvider(), name="tf-gpu users", owner=OWNER,
                           projectId=project_id,
                           catalogItemIds=[item.props["catalogItemId"]],
                           principals=["group:ml-users@lab.local"])
        return {"project": project, "image": image_profile, "flavor": flavor,
                "template": template, "version": version, "source": source, "item": item,
                "policy": policy}

    def destroy(self) -> None:
        for entry in reversed(self.created):
            entry.provider.delete(entry.id, entry.props)
        self.created.clear()
