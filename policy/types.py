"""The resource type tokens the rules match on (each dynamic resource has its own:
`pulumi-python:dynamic/<module>:<Name>`, design notes §3.4)."""

HOST_GRAPHICS = "pulumi-python:dynamic/vsphere:HostGraphics"
# A host of a DirectPath I/O pool (inputs `pool`, `hostName`, `gpusPerVm`; outputs as
# HostGraphics: `gpuCount` = GPUs passed through, `gpuModel`, `physicalCores`, `sockets`).
HOST_PASSTHROUGH = "pulumi-python:dynamic/vsphere:HostPassthrough"
GPU_HOSTS = (HOST_GRAPHICS, HOST_PASSTHROUGH)
VGPU_TEMPLATE = "pulumi-python:dynamic/vsphere:VgpuTemplate"
BLUEPRINT = "pulumi-python:dynamic/vra:Blueprint"
VRA_TYPES = "pulumi-python:dynamic/vra:"
ARIA_TYPES = "pulumi-python:dynamic/aria:"
ARIA_TEMPLATE = "pulumi-python:dynamic/aria:CloudTemplate"
ARIA_FLAVOR = "pulumi-python:dynamic/aria:FlavorProfile"
VSPHERE_DYNAMIC_TYPES = "pulumi-python:dynamic/vsphere:"
VSPHERE_VM = "vsphere:index/virtualMachine:VirtualMachine"
VSPHERE_PROVIDER = "pulumi:providers:vsphere"
