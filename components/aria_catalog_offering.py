"""AriaCatalogOffering: one catalog offering in Aria Automation 8, from image mapping to sharing
policy; `aria_catalog` declares the project, every offering and the content source between them.

Order (docs/aria8-api.md): image and flavor profiles -> cloud template -> released version (per
offering) -> one content source for the project, saved after every version is released ->
per offering, the imported catalog item -> its content sharing policy. Aria has no field for a
vGPU or a memory reservation: the GPU and the reserved memory come with the pool's vGPU
template, which the image mapping clones.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.guest_setup import guest_properties, guest_steps
from components.owners import owner_of
from mlaas.config import Aria, StackConfig
from mlaas.readiness import GuestLicence, guest_licence
from mlaas.sizing import OfferingPlan, Plan
from providers.aria.base import EndpointArgs
from providers.aria.catalog_item import CatalogItem
from providers.aria.cloud_template import CloudTemplate, content_version, machine_template
from providers.aria.content_source import ContentSource
from providers.aria.profiles import FlavorProfile, ImageProfile
from providers.aria.project import Project
from providers.aria.sharing_policy import SharingPolicy
from providers.aria.template_version import TemplateVersion

TYPE = "gpu-mlaas:index:AriaCatalogOffering"


@dataclass(frozen=True)
class AriaCatalogOfferingArgs:
    endpoint: EndpointArgs
    """The Aria the offering lives in (URL, TLS mode; no secrets)."""
    offering: OfferingPlan
    """The sized offering: vCPUs, memory, max instances."""
    project_id: pulumi.Input[str]
    """Project the cloud template belongs to."""
    source_machine: pulumi.Input[str]
    """vSphere template the machine clones: the pool's vGPU template, or the base image."""
    customization_spec: pulumi.Input[str]
    """Guest customization spec applied to each clone."""
    region: str | None = None
    """Region of the image and flavor mappings (name or externalRegionId); None: the only one."""
    cloud_init: bool = False
    """The image has cloud-init: machines run the guest steps as a cloudConfig and get no
    customization spec (Aria does not combine the two)."""
    licence: GuestLicence | None = None
    """Licence settings of the guests (a legacy license server: Aria takes no token)."""


class AriaCatalogOffering(pulumi.ComponentResource):
    catalog_item_id: pulumi.Output[str]
    blueprint_id: pulumi.Output[str]
    version_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: AriaCatalogOfferingArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE, name, None, opts)
        self._name, self._args = name, args
        self.offering = args.offering
        child = pulumi.ResourceOptions(parent=self)
        offering = args.offering
        # Mapping names are org-wide in Aria: the stack keeps two stacks' offerings apart.
        mapping = f"{pulumi.get_stack()}-{offering.name}"
        label = f"{offering.name} ({pulumi.get_stack()})"
        self.image_profile = ImageProfile(
            f"{name}-image", endpoint=args.endpoint, name=f"{label} image",
            description=f"vSphere template of {offering.name}", mapping_name=mapping,
            image_name=args.source_machine, region=args.region,
            owner=owner_of(f"{name}-image"), opts=child,
        )
        self.flavor_profile = FlavorProfile(
            f"{name}-flavor", endpoint=args.endpoint, name=f"{label} flavor",
            description=f"Size of {offering.name} from the sizing plan", mapping_name=mapping,
            cpu_count=offering.vcpus, memory_mb=offering.memory_gb * 1024, pool=offering.pool,
            region=args.region,
            owner=owner_of(f"{name}-flavor"), opts=child,
        )
        steps = guest_steps(offering.image, args.licence) if args.cloud_init else ()
        content = pulumi.Output.from_input(args.customization_spec).apply(
            lambda spec: machine_template(
                image_mapping=mapping, flavor_mapping=mapping,
                max_instances=offering.max_instances,
                customization_spec=None if args.cloud_init else spec,
                container_image=offering.image if args.cloud_init else None,
                environment=guest_properties(None, args.licence), steps=steps,
            )
        )
        profiles = pulumi.ResourceOptions(
            parent=self, depends_on=[self.image_profile, self.flavor_profile]
        )
        self.template = CloudTemplate(
            f"{name}-template", endpoint=args.endpoint, name=offering.name,
            description=args.offering.description, project_id=args.project_id, content=content,
            pool=offering.pool, owner=owner_of(f"{name}-template"), opts=profiles,
        )
        self.version = TemplateVersion(
            f"{name}-version", endpoint=args.endpoint, blueprint_id=self.template.blueprintId,
            version=content.apply(content_version),
            description=f"Released by gpu-mlaas stack {pulumi.get_stack()}",
            owner=owner_of(f"{name}-version"), opts=child,
        )
        self.blueprint_id = self.template.blueprintId
        self.version_id = self.version.versionId

    def publish(self, source: ContentSource, project_id: pulumi.Input[str],
                principals: list[str]) -> None:
        """The imported catalog item and who may request it (after the source has imported)."""
        child = pulumi.ResourceOptions(parent=self)
        offering = self._args.offering
        self.item = CatalogItem(
            f"{self._name}-item", endpoint=self._args.endpoint, source_id=source.sourceId,
            project_id=project_id, name=offering.name, opts=child,
        )
        self.policy = SharingPolicy(
            f"{self._name}-sharing", endpoint=self._args.endpoint,
            name=f"{offering.name} users ({pulumi.get_stack()})", project_id=project_id,
            catalog_item_ids=[self.item.catalogItemId], principals=principals,
            description=f"Who may request {offering.name}",
            owner=owner_of(f"{self._name}-sharing"), opts=child,
        )
        self.catalog_item_id = self.item.catalogItemId
        self.register_outputs({
            "catalogItemId": self.catalog_item_id,
            "blueprintId": self.blueprint_id,
            "versionId": self.version_id,
        })


def aria_catalog(
    config: StackConfig,
    sizing: Plan,
    template_names: pulumi.Output[dict[str, str]],
    customization_spec: pulumi.Input[str],
) -> dict[str, pulumi.Output[str]]:
    """Declare the whole Aria catalog of the stack; returns offering -> catalog item id."""
    aria: Aria | None = config.aria
    assert aria is not None and config.catalog and config.template  # checked by load()
    endpoint = EndpointArgs(url=aria.url, insecure=aria.insecure)
    project = Project(
        "aria-project", endpoint=endpoint, name=aria.project,
        description="GPU machine-learning VMs (gpu-mlaas)", owner=owner_of("aria-project"),
    )
    base_image = config.template.base_image
    offerings = []
    for planned in sizing.offerings:
        pool = planned.pool
        source_machine = template_names[pool] if pool else base_image
        offerings.append(AriaCatalogOffering(
            planned.name,
            AriaCatalogOfferingArgs(
                endpoint=endpoint, offering=planned, project_id=project.projectId,
                source_machine=source_machine, customization_spec=customization_spec,
                region=aria.region, cloud_init=config.template.cloud_init,
                licence=guest_licence(config.licensing, planned.vgpu_profile),
            ),
        ))
    source = ContentSource(
        "aria-content-source", endpoint=endpoint, name=f"gpu-mlaas {pulumi.get_stack()}",
        description="Released GPU ML cloud templates", project_id=project.projectId,
        version_ids=[o.version_id for o in offerings], owner=owner_of("aria-content-source"),
    )
    for offering in offerings:
        offering.publish(source, project.projectId, list(config.catalog.entitled_principals))
    return {o.offering.name: o.catalog_item_id for o in offerings}
