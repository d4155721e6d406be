"""VgpuVmTemplates: one vGPU template per GPU pool the catalog uses, and the Linux guest
customization spec the blueprints apply to every clone."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_vsphere as vsphere

from mlaas.config import Template
from providers.vsphere.vgpu_template import VgpuTemplate


@dataclass(frozen=True)
class TemplateSize:
    pool: str
    """Pool whose hosts run the clones; the template lives in that pool's cluster."""
    cluster: str
    """vSphere cluster of the pool."""
    vgpu_profile: str
    """vGPU profile attached to the template, e.g. grid_p100-4q."""
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
    provider: vsphere.Provider
    """Explicit vSphere provider built from the stack's `vsphere:*` config."""


class VgpuVmTemplates(pulumi.ComponentResource):
    template_names: pulumi.Output[dict[str, str]]
    customization_spec_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: VgpuVmTemplatesArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("gpu-mlaas:index:VgpuVmTemplates", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.templates = {size.pool: self._template(name, args, size, child) for size in args.sizes}
        self.spec = self._customization_spec(name, args.template, args.provider)
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
        return VgpuTemplate(
            f"{name}-{size.pool}",
            name=f"{args.template.name}-{size.pool}",
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
            opts=opts,
        )

    def _customization_spec(
        self, name: str, template: Template, provider: vsphere.Provider
    ) -> vsphere.GuestOsCustomization:
        return vsphere.GuestOsCustomization(
            f"{name}-linux",
            name=template.customization_spec,
            type="Linux",
            description="gpu-mlaas: Linux guest, DHCP on the first NIC",
            spec=vsphere.GuestOsCustomizationSpecArgs(
                linux_options=vsphere.GuestOsCustomizationSpecLinuxOptionsArgs(
                    # vRA names each clone; this host name is only the spec's placeholder.
                    host_name="gpu-vm",
                    domain=template.domain,
                    time_zone=template.time_zone,
                    hw_clock_utc=True,
                ),
                # An interface entry without addresses means DHCP.
                network_interfaces=[vsphere.GuestOsCustomizationSpecNetworkInterfaceArgs()],
            ),
            opts=pulumi.ResourceOptions(parent=self, provider=provider),
        )
