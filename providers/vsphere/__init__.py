"""vSphere dynamic providers (pyvmomi).

- `host_graphics.HostGraphics` (`pulumi-python:dynamic/vsphere:HostGraphics`): a host in vGPU mode.
- `vgpu_template.VgpuTemplate` (`pulumi-python:dynamic/vsphere:VgpuTemplate`): a vGPU VM template.
- `client`: the shared session, settings and lookups; `checks`: input checking for `check()`.

State stores the provider classes by module path, so these modules keep their paths; moving
one needs a migration note.
"""
