"""MlCatalogOffering: one catalog offering in vRA, from software component to entitlement;
`vra_catalog` declares the catalog service and every offering in it (like `aria_catalog`)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.guest_setup import TOKEN_PROPERTY, guest_properties, guest_steps
from components.owners import owner_of
from mlaas.config import StackConfig
from mlaas.readiness import GuestLicence, guest_licence
from mlaas.sizing import OfferingPlan, Plan
from providers import guest_scripts
from providers.vra.base import EndpointArgs
from providers.vra.blueprint import Blueprint
from providers.vra.catalog_item import CatalogItem
from providers.vra.catalog_service import CatalogService
from providers.vra.entitlement import Entitlement
from providers.vra.software_component import SoftwareComponent

MEMORY_RESERVATION = "VMware.Memory.Reservation"


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


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
    licence: GuestLicence | None = None
    """How the offering's guests lease their NVIDIA licence; None: not licensed by the stack."""
    licence_token: pulumi.Input[str] | None = None
    """The client configuration token, a Pulumi secret (with a token-based `licence`)."""


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
        image_properties: dict[str, pulumi.Input[str]] = dict(
            guest_properties(offering.image, args.licence))
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
        image, licence = args.offering.image, args.licence
        steps = guest_steps(image, licence)
        if not steps:
            return None
        what = {guest_scripts.LICENSING: f"leases an NVIDIA licence ({licence.product})"
                if licence else "", guest_scripts.INSTALL: f"pulls {image} and writes /etc/motd"}
        properties: dict[str, pulumi.Input[str]] = dict(guest_properties(image, licence))
        secured: dict[str, pulumi.Input[str]] = {}
        if licence is not None and args.licence_token is not None:
            secured[TOKEN_PROPERTY] = pulumi.Output.secret(args.licence_token)
        return SoftwareComponent(
            f"{name}-software",
            endpoint=args.endpoint,
            name=f"{args.offering.name} container",
            description=_sentence("; ".join(what[step] for step in steps)),
            properties=properties,
            secure_properties=secured or None,
            install_script=guest_scripts.guest_script(*steps),
            owner=owner_of(f"{name}-software"),
            opts=opts,
        )


def vra_catalog(config: StackConfig, sizing: Plan, template_names: pulumi.Output[dict[str, str]],
                customization_spec: pulumi.Input[str]) -> dict[str, pulumi.Output[str]]:
    """The vRA 7.3 catalog: one service, then per offering software component to entitlement
    (the same arguments as `aria_catalog`); returns offering -> catalog item id."""
    vra = config.vra
    assert vra and config.template and config.catalog  # checked by load()
    endpoint = EndpointArgs(url=vra.url, tenant=vra.tenant, insecure=vra.insecure)
    service = CatalogService(
        "catalog-service",
        endpoint=endpoint,
        name=config.catalog.service,
        description=config.catalog.description,
        owner=owner_of("catalog-service"),
    )
    licensing = config.licensing
    token = licensing.client_config_token if licensing else None
    offerings = {}
    for planned in sizing.offerings:
        offerings[planned.name] = MlCatalogOffering(
            planned.name,
            MlCatalogOfferingArgs(
                endpoint=endpoint,
                offering=planned,
                source_machine=(
                    template_names[planned.pool] if planned.pool else config.template.base_image
                ),
                customization_spec=customization_spec,
                service_id=service.serviceId,
                business_group=vra.business_group,
                principals=config.catalog.entitled_principals,
                network=config.template.network,
                licence=guest_licence(licensing, planned.vgpu_profile),
                licence_token=(
                    pulumi.Output.secret(token.value)
                    if token is not None and token.value is not None
                    else None
                ),
            ),
        )
    return {name: o.catalog_item_id for name, o in offerings.items()}
