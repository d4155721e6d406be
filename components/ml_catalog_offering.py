"""MlCatalogOffering: one catalog offering in vRA, from software component to entitlement."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.owners import owner_of
from mlaas.sizing import OfferingPlan
from providers.vra.base import EndpointArgs
from providers.vra.blueprint import Blueprint
from providers.vra.catalog_item import CatalogItem
from providers.vra.entitlement import Entitlement
from providers.vra.software_component import SoftwareComponent

MEMORY_RESERVATION = "VMware.Memory.Reservation"
IMAGE_PROPERTY = "image"


@dataclass(frozen=True)
class MlCatalogOfferingArgs:
    endpoint: EndpointArgs
    """The vRA the offering lives in (URL, tenant, TLS mode; no secrets)."""
    offering: OfferingPlan
    """The sized offering: vCPUs, cores per socket, memory, disk, max instances, vGPU profile,
    container image and catalog description."""
    source_machine: pulumi.Input[str]
    """Template the blueprint full-clones: the pool's vGPU template, or the base image."""
    customization_spec: pulumi.Input[str]
    """Guest customization spec applied to each clone."""
    service_id: pulumi.Input[str]
    """Catalog service the item is published into."""
    business_group: str
    """Business group whose members are entitled."""
    principals: list[str]
    """Users and groups (user@domain, group@domain) entitled to request the item."""
    network: str | None = None
    """vSphere network of the machine's NIC."""


class MlCatalogOffering(pulumi.ComponentResource):
    catalog_item_id: pulumi.Output[str]
    blueprint_id: pulumi.Output[str]
    software_component_id: pulumi.Output[str | None]

    def __init__(
        self, name: str, args: MlCatalogOfferingArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("gpu-mlaas:index:MlCatalogOffering", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        offering = args.offering
        memory_mb = offering.memory_gb * 1024
        software = self._software_component(name, args, child)
        image_properties: dict[str, pulumi.Input[str]] = (
            {IMAGE_PROPERTY: offering.image} if offering.image is not None else {}
        )
        custom_properties: dict[str, pulumi.Input[str]] = {}
        if offering.pool is not None:
            # A vGPU or passthrough VM powers on only with all of its memory reserved (white
            # paper 4.3.3; docs/vsphere-vgpu.md, "DirectPath I/O pools").
            custom_properties[MEMORY_RESERVATION] = str(memory_mb)
        self.blueprint = Blueprint(
            f"{name}-blueprint",
            endpoint=args.endpoint,
            name=offering.name,
            description=offering.description,
            pool=offering.pool,
            template_name=args.source_machine,
            customization_spec=args.customization_spec,
            clone_type="FullClone",
            cpu=offering.vcpus,
            memory_mb=memory_mb,
            storage_gb=offering.disk_gb,
            max_instances=offering.max_instances,
            network=args.network,
            software_component_id=software.softwareComponentId if software else None,
            # Carried by the blueprint too: a published blueprint hands requests the values it
            # was saved with, so a new image must re-save it (docs/vra7-api.md, Publishing).
            software_properties=image_properties,
            custom_properties=custom_properties,
            owner=owner_of(f"{name}-blueprint"),
            opts=child,
        )
        self.item = CatalogItem(
            f"{name}-item",
            endpoint=args.endpoint,
            blueprint_id=self.blueprint.blueprintId,
            service_id=args.service_id,
            opts=child,
        )
        self.entitlement = Entitlement(
            f"{name}-entitlement",
            endpoint=args.endpoint,
            name=f"{offering.name} users",
            business_group=args.business_group,
            principals=list[pulumi.Input[str]](args.principals),
            catalog_item_ids=[self.item.catalogItemId],
            owner=owner_of(f"{name}-entitlement"),
            opts=child,
        )
        self.catalog_item_id = self.item.catalogItemId
        self.blueprint_id = self.blueprint.blueprintId
        self.software_component_id = (
            software.softwareComponentId if software else pulumi.Output.from_input(None)
        )
        self.register_outputs({
            "catalogItemId": self.catalog_item_id,
            "blueprintId": self.blueprint_id,
            "softwareComponentId": self.software_component_id,
        })

    @staticmethod
    def _software_component(
        name: str, args: MlCatalogOfferingArgs, opts: pulumi.ResourceOptions
    ) -> SoftwareComponent | None:
        image = args.offering.image
        if image is None:
            return None
        return SoftwareComponent(
            f"{name}-software",
            endpoint=args.endpoint,
            name=f"{args.offering.name} container",
            description=f"Pulls {image} and writes /etc/motd",
            properties={IMAGE_PROPERTY: image},
            owner=owner_of(f"{name}-software"),
            opts=opts,
        )
