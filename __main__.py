"""gpu-mlaas: GPU machine-learning VMs as a vRA or Aria self-service catalog on vSphere.

Only wiring: config -> sizing plan -> components -> stack outputs.
"""

import dataclasses
import gc

import pulumi

from components.aria_catalog_offering import aria_catalog
from components.gpu_host_pool import GpuHostPool, GpuHostPoolArgs
from components.ml_catalog_offering import MlCatalogOffering, MlCatalogOfferingArgs
from components.owners import owner_of
from components.stack import check_vsphere_settings, load
from components.vgpu_vm_template import TemplateSize, VgpuVmTemplates, VgpuVmTemplatesArgs
from mlaas.sizing import plan
from providers.vra.base import EndpointArgs
from providers.vra.catalog_service import CatalogService

# Everything imported so far (the SDK, pyVmomi) lives as long as the program, and so does
# every Output the program declares: keep the cyclic garbage collector from re-walking them all on
# each pass (large pools otherwise cost more than linear time; see README, Benchmarks).
gc.freeze()
gc.set_threshold(200_000, 50, 100)

config = load()
sizing = plan(config)
if not sizing.feasible:
    raise pulumi.RunError(
        "the sizing plan has problems (run `make plan`):\n"
        + "\n".join(f"  {problem}" for problem in sizing.problems)
    )
assert config.datacenter and config.template and config.catalog  # checked by load()
check_vsphere_settings()

# DirectPath I/O (passthrough) pools are sized by the plan, but their host and VM side is not
# built yet (README, Known limits): they and their offerings are left out, and said so.
passthrough_pools = sorted(pool.name for pool in sizing.pools if pool.passthrough)
if passthrough_pools:
    left_out = sorted(o.name for o in sizing.offerings if o.pool in passthrough_pools)
    pulumi.log.warn(
        f"passthrough pool(s) {', '.join(passthrough_pools)} are planned but not deployed: "
        "enabling DirectPath I/O on hosts and passthrough templates are not implemented yet; "
        f"offerings left out: {', '.join(left_out) or 'none'}"
    )
    sizing = dataclasses.replace(
        sizing,
        pools=[pool for pool in sizing.pools if not pool.passthrough],
        offerings=[o for o in sizing.offerings if o.pool not in passthrough_pools],
    )

pools = {pool.name: GpuHostPool(pool.name, GpuHostPoolArgs(pool=pool.config))
         for pool in sizing.pools}

used_pools = sorted({offering.pool for offering in sizing.offerings if offering.pool})
templates = VgpuVmTemplates(
    "templates",
    VgpuVmTemplatesArgs(
        datacenter=config.datacenter,
        template=config.template,
        sizes=[
            TemplateSize(
                pool=pool.name,
                cluster=pool.config.cluster,
                catalog_profile=str(pool.vgpu_profile),  # vGPU pools only (above)
                # The string the pool's hosts offer (grid_... or nvidia_...), read from them.
                vgpu_profile=pools[pool.name].profile,
                num_cpus=pool.capacity.vcpus_per_vm,
                cores_per_socket=pool.capacity.cores_per_socket,
                memory_mb=1024 * sizing.template_memory_gb(pool.name),
            )
            for pool in map(sizing.pool, used_pools)
        ],
    ),
    # The templates need their hosts in vGPU mode first.
    opts=pulumi.ResourceOptions(depends_on=list(pools.values())),
)


def vra_catalog() -> dict[str, pulumi.Output[str]]:
    """The vRA 7.3 catalog: one service, then per offering software component to entitlement."""
    assert config.vra and config.template and config.catalog  # checked by load()
    endpoint = EndpointArgs(
        url=config.vra.url, tenant=config.vra.tenant, insecure=config.vra.insecure
    )
    service = CatalogService(
        "catalog-service",
        endpoint=endpoint,
        name=config.catalog.service,
        description=config.catalog.description,
        owner=owner_of("catalog-service"),
    )

    offerings = {}
    for planned in sizing.offerings:
        offerings[planned.name] = MlCatalogOffering(
            planned.name,
            MlCatalogOfferingArgs(
                endpoint=endpoint,
                offering=planned,
                source_machine=(
                    templates.template_names[planned.pool]
                    if planned.pool
                    else config.template.base_image
                ),
                customization_spec=templates.customization_spec_name,
                service_id=service.serviceId,
                business_group=config.vra.business_group,
                principals=config.catalog.entitled_principals,
                network=config.template.network,
            ),
        )
    return {name: o.catalog_item_id for name, o in offerings.items()}


# One catalog backend per stack (mlaas.config refuses both): Aria Automation 8 or vRA 7.3.
catalog_item_ids = (
    aria_catalog(config, sizing, templates.template_names, templates.customization_spec_name)
    if config.aria is not None
    else vra_catalog()
)
pulumi.export("catalogItemIds", catalog_item_ids)
pulumi.export("slotCapacity", {
    "pools": {name: pool.capacity for name, pool in pools.items()},
    "offerings": {o.name: {"pool": o.pool, "maxInstances": o.max_instances}
                  for o in sizing.offerings},
})
pulumi.export("gpuHosts", {name: pool.hosts for name, pool in pools.items()})
pulumi.export("templateNames", templates.template_names)
pulumi.export("customizationSpecName", templates.customization_spec_name)
