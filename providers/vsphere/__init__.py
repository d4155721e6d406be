"""vSphere dynamic providers (pyvmomi), each on `providers.base.SchemaProvider` through
`base.VsphereProvider`; the facts they rely on are in docs/vsphere-vgpu.md.

- `host_graphics.HostGraphics` (`pulumi-python:dynamic/vsphere:HostGraphics`): a host in vGPU mode.
- `vgpu_template.VgpuTemplate` (`pulumi-python:dynamic/vsphere:VgpuTemplate`): a vGPU VM template.
- `customization_spec.CustomizationSpec` (`pulumi-python:dynamic/vsphere:CustomizationSpec`): the
  Linux guest customization spec the blueprints apply.
- `client`: the shared session, settings and lookups.

State stores the provider classes by module path, so these modules keep their paths; moving
one needs a migration note.
"""
