"""VgpuVmTemplates: one vGPU template per GPU pool the catalog uses, and the Linux guest
customization spec the blueprints apply to every clone. Every object carries its owner marker
(providers/ownership.py); template names include the stack, so two stacks never share one."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.owners import owner_of
from mlaas import profiles
from mlaas.config import Template
from providers.vsphere.customization_spec import CustomizationSpec
from providers.vsphere.vgpu_template import VgpuTemplate


@dataclass(frozen=True)
class TemplateSize:
    pool: str
    """Pool whose hosts run the clones; the template lives in that pool's cluster."""
    cluster: str
    """vSphere cluster of the pool."""
    catalog_profile: str
    """The config's profile (catalog name), for the VM prerequisites."""
    vgpu_profile: pulumi.Input[str]
    """The profile exactly as the pool's hosts spell it; the template carries this string."""
    num_cpus: int
    """vCPUs: the pool's vCPUs per VM (white paper 4.4)."""
    cores_per_socket: int
    """Cores per socket so vNUMA maps onto a physical socket (white paper 4.5)."""
    memory_mb: int
    """Memory, all of it reserved: a vGPU VM cannot power on otherwise."""


@dataclass(frozen=True)
class VgpuVmTemplatesArgs:
    datacenter: str
    """vSphere datacenter holding the clusters."""
    template: Template
    """The `gpu-mlaas:template` config: base image, naming, datastore, guest customization."""
    sizes: list[TemplateSize]
    """One entry per pool that has offerings."""


@dataclass(frozen=True)
class VmPrerequisites:
    """What one pool's template needs for its vGPU, after the config's overrides."""

    extra_config: dict[str, str]
    firmware: str | None
    min_hardware_version: int


def prerequisites(template: Template, catalog_profile: str) -> VmPrerequisites:
    """The catalog's VM prerequisites of a profile with `gpu-mlaas:template` overrides on top."""
    needs = profiles.vm_requirements(profiles.lookup(catalog_profile))
    extra = needs.extra_config()
    if template.mmio_size_gb is not None:
        extra = {
            "pciPassthru.use64bitMMIO": "TRUE",
            "pciPassthru.64bitMMIOSizeGB": str(template.mmio_size_gb),
        }
    firmware = template.firmware or ("efi" if needs.efi else None)
    version = max(needs.min_hardware_version, template.hardware_version or 0)
    return VmPrerequisites(extra, firmware, version)


class VgpuVmTemplates(pulumi.ComponentResource):
    template_names: pulumi.Output[dict[str, str]]
    customization_spec_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: VgpuVmTemplatesArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("gpu-mlaas:index:VgpuVmTemplates", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.templates = {size.pool: self._template(name, args, size, child) for size in args.sizes}
        self.spec = self._customization_spec(name, args.template, child)
        self.template_names = pulumi.Output.all(
            **{pool: template.templateName for pool, template in self.templates.items()}
        )
        self.customization_spec_name = self.spec.name
        self.register_outputs({
            "templateNames": self.template_names,
            "customizationSpecName": self.customization_spec_name,
        })

    @staticmethod
    def _template(
        name: str, args: VgpuVmTemplatesArgs, size: TemplateSize, opts: pulumi.ResourceOptions
    ) -> VgpuTemplate:
        logical = f"{name}-{size.pool}"
        needs = prerequisites(args.template, size.catalog_profile)
        return VgpuTemplate(
            logical,
            name=f"{args.template.name}-{pulumi.get_stack()}-{size.pool}",
            datacenter=args.datacenter,
            cluster=size.cluster,
            datastore=args.template.datastore,
            folder=args.template.folder,
            base_image=args.template.base_image,
            vgpu_profile=size.vgpu_profile,
            num_cpus=size.num_cpus,
            cores_per_socket=size.cores_per_socket,
            memory_mb=size.memory_mb,
            memory_reservation_locked_to_max=True,
            extra_config=needs.extra_config,
            firmware=needs.firmware,
            min_hardware_version=needs.min_hardware_version,
            owner=owner_of(logical),
            acceptance_test=args.template.acceptance_test,
            opts=opts,
        )

    @staticmethod
    def _customization_spec(
        name: str, template: Template, opts: pulumi.ResourceOptions
    ) -> CustomizationSpec:
        logical = f"{name}-linux"
        return CustomizationSpec(
            logical,
            name=template.customization_spec,
            description="gpu-mlaas: Linux guest, DHCP on the first NIC",
            domain=template.domain,
            time_zone=template.time_zone,
            hw_clock_utc=True,
            owner=owner_of(logical),
            opts=opts,
        )
