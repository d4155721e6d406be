"""`CustomizationSpec`: a Linux guest customization specification in vCenter's spec manager.

Type token `pulumi-python:dynamic/vsphere:CustomizationSpec`; the resource id is the spec's name.
The spec prepares each clone the way the blueprints need it (docs/vsphere-vgpu.md,
"Customization specifications"): Linux prep with the VM's own name as host name, the domain and
time zone from the config, the hardware clock in UTC, and DHCP on the first NIC. The owner
marker sits at the end of the spec's description; a spec of that name is adopted only when it
carries this resource's marker, and update and delete touch only such a spec.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, UpdateResult
from pydantic import BaseModel, ConfigDict, StrictBool, StringConstraints
from pyVmomi import vim

from providers import ownership
from providers.base import NonEmpty, Owner, SchemaResource
from providers.vsphere import client
from providers.vsphere.base import VsphereProvider

log = logging.getLogger(__name__)

KIND = "customization spec"


class CustomizationSpecInputs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # vCenter keeps spec names unique; 80 characters is the vSphere Client's limit.
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
    description: str = ""
    domain: NonEmpty
    timeZone: NonEmpty = "Etc/UTC"
    hwClockUtc: StrictBool = True
    owner: Owner | None = None


def spec_item(spec: CustomizationSpecInputs, change_version: str | None = None) -> Any:
    """The `CustomizationSpecItem` vCenter stores for these inputs."""
    identity = vim.vm.customization.LinuxPrep(
        # vRA names each clone; the guest takes the VM's name as its host name.
        hostName=vim.vm.customization.VirtualMachineNameGenerator(),
        domain=spec.domain,
        timeZone=spec.timeZone,
        hwClockUTC=spec.hwClockUtc,
    )
    nic = vim.vm.customization.AdapterMapping(
        adapter=vim.vm.customization.IPSettings(ip=vim.vm.customization.DhcpIpGenerator())
    )
    return vim.CustomizationSpecItem(
        info=vim.CustomizationSpecInfo(
            name=spec.name,
            description=ownership.mark(spec.description, spec.owner),
            type="Linux",
            changeVersion=change_version,
        ),
        spec=vim.vm.customization.Specification(
            identity=identity,
            globalIPSettings=vim.vm.customization.GlobalIPSettings(),
            nicSettingMap=[nic],
        ),
    )


def observed(item: Any) -> dict[str, Any]:
    """The inputs a stored spec corresponds to (owner from its marker)."""
    description, owner = ownership.split(item.info.description)
    identity = item.spec.identity
    linux = isinstance(identity, vim.vm.customization.LinuxPrep)
    nics = list(item.spec.nicSettingMap or [])
    dhcp = len(nics) == 1 and isinstance(nics[0].adapter.ip, vim.vm.customization.DhcpIpGenerator)
    return {
        "name": item.info.name,
        "description": description,
        "domain": identity.domain if linux else None,
        "timeZone": identity.timeZone if linux else None,
        "hwClockUtc": bool(identity.hwClockUTC) if linux else None,
        "owner": owner,
        "linuxDhcp": linux and dhcp,
        "changeVersion": item.info.changeVersion,
    }


def _manager(si: vim.ServiceInstance) -> Any:
    manager = si.content.customizationSpecManager
    if manager is None:
        raise client.VsphereError("this vCenter has no customization spec manager")
    return manager


def _get(si: vim.ServiceInstance, name: str) -> Any | None:
    manager = _manager(si)
    try:
        return manager.GetCustomizationSpec(name=name)
    except vim.fault.NotFound:
        return None


def _outputs(spec: CustomizationSpecInputs, seen: dict[str, Any]) -> dict[str, Any]:
    return {**spec.model_dump(), "changeVersion": seen.get("changeVersion")}


class CustomizationSpecProvider(VsphereProvider):
    """Dynamic provider for `CustomizationSpec`."""

    kind = "vsphere:CustomizationSpec"
    inputs_model = CustomizationSpecInputs
    replace_keys = ("name",)
    output_keys = ("changeVersion",)

    def drifted(self, olds: dict[str, Any]) -> bool:
        return olds.get("linuxDhcp") is False  # someone changed the spec's shape: write it again

    def create(self, props: dict[str, Any]) -> CreateResult:
        spec = self.parse(props)

        def op(si: vim.ServiceInstance) -> CreateResult:
            manager = _manager(si)
            found = _get(si, spec.name)
            if found is None:
                with client.explain(f"creating {KIND} {spec.name}"):
                    manager.CreateCustomizationSpec(item=spec_item(spec))
            else:
                owner = ownership.split(found.info.description)[1]
                ownership.require(KIND, spec.name, owner, spec.owner)
                log.info("%s %s is this resource's own; adopting it", KIND, spec.name)
                with client.explain(f"overwriting {KIND} {spec.name}"):
                    manager.OverwriteCustomizationSpec(
                        item=spec_item(spec, found.info.changeVersion)
                    )
            stored = _get(si, spec.name)
            if stored is None:
                raise client.VsphereError(f"{KIND} {spec.name} vanished right after it was written")
            return CreateResult(spec.name, _outputs(spec, observed(stored)))

        return client.run(op)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        spec = self.parse(news)

        def op(si: vim.ServiceInstance) -> UpdateResult:
            found = _get(si, id_)
            if found is None:
                raise client.VsphereError(f"{KIND} {id_} is gone; run `pulumi refresh`")
            owner = ownership.split(found.info.description)[1]
            ownership.require(KIND, id_, owner, spec.owner,
                              state_marked=ownership.state_marked(olds))
            with client.explain(f"overwriting {KIND} {id_}"):
                _manager(si).OverwriteCustomizationSpec(
                    item=spec_item(spec, found.info.changeVersion)
                )
            stored = _get(si, id_)
            return UpdateResult(_outputs(spec, observed(stored) if stored else {}))

        return client.run(op)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        def op(si: vim.ServiceInstance) -> ReadResult:
            found = _get(si, id_)
            if found is None:
                log.info("%s %s is gone", KIND, id_)
                return ReadResult("", {})
            seen = observed(found)
            inputs = {k: v for k, v in seen.items() if k in CustomizationSpecInputs.model_fields}
            outs = {**inputs, "changeVersion": seen["changeVersion"]}
            outs["linuxDhcp"] = seen["linuxDhcp"]
            return ReadResult(id_, outs, self.inputs_of(outs))

        return client.run(op, read_only=True)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        def op(si: vim.ServiceInstance) -> None:
            found = _get(si, id_)
            if found is None:
                return
            owner = ownership.split(found.info.description)[1]
            if not ownership.changeable(owner, props.get("owner"),
                                        state_marked=ownership.state_marked(props)):
                log.warning("leaving %s %s: it carries owner %s, not %s", KIND, id_, owner,
                            props.get("owner"))
                return
            with client.explain(f"deleting {KIND} {id_}"):
                _manager(si).DeleteCustomizationSpec(name=id_)

        client.run(op)


class CustomizationSpec(SchemaResource, module="vsphere", name="CustomizationSpec"):
    """A Linux guest customization spec (DHCP, domain, time zone) the blueprints apply."""

    provider_class = CustomizationSpecProvider

    name: pulumi.Output[str]

    def __init__(self, resource_name: str, *, name: pulumi.Input[str], domain: pulumi.Input[str],
                 time_zone: pulumi.Input[str] = "Etc/UTC", description: pulumi.Input[str] = "",
                 hw_clock_utc: pulumi.Input[bool] = True, owner: pulumi.Input[str] | None = None,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(resource_name, locals(), opts)
