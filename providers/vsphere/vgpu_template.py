"""`VgpuTemplate`: a VM template with an NVIDIA vGPU, cloned from a prepared base image.

Type token `pulumi-python:dynamic/vsphere:VgpuTemplate`; the resource id is the template's moid.
pulumi-vsphere cannot attach a vGPU, so this provider does it with pyvmomi: full clone of the
base image (powered off), a hardware upgrade of the clone when it is older than the vGPU needs
(never of the base image), one reconfigure (CPU, cores per socket, memory with all of it
reserved, firmware, extraConfig such as 64-bit MMIO, a `VirtualPCIPassthrough` with a vmiop
backing naming the host's exact profile string, the owner marker in the annotation), optionally
an acceptance test (a clone of the template powered on in its pool, vGPU checked, clone
removed), then `MarkAsTemplate`. The name is `<name>-<hash of the inputs>`, so a changed
template is built beside the old one and the old one is removed afterwards. VM prerequisites:
docs/vsphere-vgpu.md, "VM prerequisites".
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, UpdateResult
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pyVmomi import vim

from providers import ownership
from providers.base import NonEmpty, Owner, SchemaResource
from providers.vsphere import client
from providers.vsphere.base import VsphereProvider

log = logging.getLogger(__name__)

# vSphere limits VM names to 80 characters; the version suffix takes 9.
MAX_BASE_NAME = 71
HASH_LENGTH = 8
ANNOTATION = "gpu-mlaas vGPU template"
ACCEPTANCE_SUFFIX = "-accept"
# How long the acceptance clone's guest may take to boot (VMware Tools running, heartbeat green).
ACCEPTANCE_BOOT_TIMEOUT_S = 300.0
GUEST_POLL_S = 0.5



class VgpuTemplateInputs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=71)]
    datacenter: NonEmpty
    cluster: NonEmpty
    datastore: NonEmpty
    folder: NonEmpty | None = None
    baseImage: NonEmpty
    vgpuProfile: NonEmpty
    numCpus: int = Field(ge=1, le=768)
    coresPerSocket: int = Field(ge=1, le=768)
    memoryMb: int = Field(ge=4, le=24 * 1024 * 1024, multiple_of=4)
    memoryReservationLockedToMax: StrictBool = True
    extraConfig: dict[str, str] = Field(default_factory=dict)
    # None keeps the base image's firmware / hardware version.
    firmware: Literal["bios", "efi"] | None = None
    minHardwareVersion: int | None = Field(default=None, ge=4, le=99)
    owner: Owner | None = None
    # After the build, power a clone on in the pool to prove the template works.
    acceptanceTest: StrictBool = False

    @field_validator("memoryReservationLockedToMax")
    @classmethod
    def _locked(cls, value: bool) -> bool:
        if not value:
            raise ValueError(
                "must be true: a VM with a vGPU powers on only with all of its memory reserved "
                "(docs/vsphere-vgpu.md, VM prerequisites)"
            )
        return value

    @field_validator("coresPerSocket")
    @classmethod
    def _cores_divide_cpus(cls, value: int, info: ValidationInfo) -> int:
        cpus = info.data.get("numCpus")
        if isinstance(cpus, int) and cpus % value:
            raise ValueError(f"numCpus ({cpus}) must be a multiple of coresPerSocket ({value})")
        return value


# Keys the version hash covers: everything but the base name (placement too, because vSphere
# names are unique per folder and the new template must exist beside the old one). Keys added
# later join the hash only when set, so templates built before keep their names.
HASHED_KEYS = (
    "datacenter",
    "cluster",
    "datastore",
    "folder",
    "baseImage",
    "vgpuProfile",
    "numCpus",
    "coresPerSocket",
    "memoryMb",
    "memoryReservationLockedToMax",
    "extraConfig",
)
HASHED_WHEN_SET = ("firmware", "minHardwareVersion")
IN_PLACE_KEYS = ("owner", "acceptanceTest")

VM_PATHS = (
    "name",
    "config.template",
    "config.uuid",
    "config.annotation",
    "config.version",
    "config.firmware",
    "config.hardware.numCPU",
    "config.hardware.numCoresPerSocket",
    "config.hardware.memoryMB",
    "config.hardware.device",
    "config.memoryReservationLockedToMax",
    "config.extraConfig",
    "runtime.powerState",
)


def versioned_name(inputs: Mapping[str, Any] | VgpuTemplateInputs) -> str:
    """`<name>-<first 8 hex digits of sha256 over the other inputs>`."""
    if not isinstance(inputs, VgpuTemplateInputs):
        inputs = VgpuTemplateInputs.model_validate(dict(inputs))
    values = inputs.model_dump()
    hashed = {key: values[key] for key in HASHED_KEYS}
    hashed.update({key: values[key] for key in HASHED_WHEN_SET if values[key] is not None})
    canonical = json.dumps(hashed, sort_keys=True)
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:HASH_LENGTH]
    return f"{values['name']}-{digest}"


def hardware_version(text: str | None) -> int | None:
    """7 of "vmx-07"; None when unreadable."""
    match = re.fullmatch(r"vmx-(\d+)", text or "")
    return int(match[1]) if match else None


def vgpu_devices(devices: list[Any]) -> list[Any]:
    """A VM's vGPUs: passthrough devices with a vmiop backing (DirectPath ones are not vGPUs)."""
    return [
        device
        for device in devices or []
        if isinstance(device, vim.vm.device.VirtualPCIPassthrough)
        and isinstance(device.backing, vim.vm.device.VirtualPCIPassthrough.VmiopBackingInfo)
    ]


def vgpu_profiles(devices: list[Any]) -> list[str]:
    """The profile of each vGPU among a VM's devices."""
    return [str(device.backing.vgpu) for device in vgpu_devices(devices)]


def observed(props: Mapping[str, Any], wanted_extra: Mapping[str, str]) -> dict[str, Any]:
    """What vSphere has for the keys we manage, in our input names."""
    profiles = vgpu_profiles(props.get("config.hardware.device") or [])
    extra = {opt.key: str(opt.value) for opt in props.get("config.extraConfig") or []}
    return {
        "isTemplate": bool(props.get("config.template")),
        "vgpuProfile": ", ".join(profiles) if profiles else None,
        "numCpus": props.get("config.hardware.numCPU"),
        "coresPerSocket": props.get("config.hardware.numCoresPerSocket"),
        "memoryMb": props.get("config.hardware.memoryMB"),
        "memoryReservationLockedToMax": bool(props.get("config.memoryReservationLockedToMax")),
        "extraConfig": {key: extra[key] for key in wanted_extra if key in extra},
        "firmware": props.get("config.firmware"),
        "hardwareVersion": hardware_version(props.get("config.version")),
    }


def mismatches(props: Mapping[str, Any], spec: VgpuTemplateInputs) -> list[str]:
    """Keys on which the VM differs from what the inputs ask for (empty: it is what we build)."""
    seen = observed(props, spec.extraConfig)
    keys = ("vgpuProfile", "numCpus", "coresPerSocket", "memoryMb")
    wrong = [key for key in keys if seen[key] != getattr(spec, key)]
    if not seen["memoryReservationLockedToMax"]:
        wrong.append("memoryReservationLockedToMax")
    if seen["extraConfig"] != spec.extraConfig:
        wrong.append("extraConfig")
    if spec.firmware is not None and seen["firmware"] != spec.firmware:
        wrong.append("firmware")
    minimum = spec.minHardwareVersion
    if minimum is not None and (seen["hardwareVersion"] or 0) < minimum:
        wrong.append("minHardwareVersion")
    if not seen["isTemplate"]:
        wrong.append("isTemplate")
    return wrong


def _outputs(vm: Any, props: Mapping[str, Any], spec: VgpuTemplateInputs) -> dict[str, Any]:
    outs: dict[str, Any] = spec.model_dump()
    outs.update(
        templateName=props["name"],
        templateId=vm._moId,
        uuid=props.get("config.uuid"),
        isTemplate=bool(props.get("config.template")),
        hardwareVersion=props.get("config.version"),
    )
    return outs


def _reconfigure_spec(props: Mapping[str, Any], spec: VgpuTemplateInputs) -> Any:
    # The base image may carry a vGPU already; the template gets exactly the one asked for.
    old_vgpus = [
        vim.vm.device.VirtualDeviceSpec(operation="remove", device=device)
        for device in vgpu_devices(props.get("config.hardware.device") or [])
    ]
    vgpu = vim.vm.device.VirtualPCIPassthrough(
        key=-100,  # temporary negative key, replaced by vSphere
        backing=vim.vm.device.VirtualPCIPassthrough.VmiopBackingInfo(vgpu=spec.vgpuProfile),
    )
    config = vim.vm.ConfigSpec(
        numCPUs=spec.numCpus,
        numCoresPerSocket=spec.coresPerSocket,
        memoryMB=spec.memoryMb,
        memoryReservationLockedToMax=True,
        annotation=ownership.mark(ANNOTATION, spec.owner),
        extraConfig=[
            vim.option.OptionValue(key=key, value=value)
            for key, value in sorted(spec.extraConfig.items())
        ],
        deviceChange=[
            *old_vgpus,
            vim.vm.device.VirtualDeviceSpec(operation="add", device=vgpu),
        ],
    )
    if spec.firmware is not None:
        config.firmware = spec.firmware
    return config


def destroy(si: vim.ServiceInstance, vm: Any, name: str) -> None:
    """Power off (if needed) and destroy a VM or template; already gone is fine."""
    state = client.properties(si, vm, ["runtime.powerState"])
    if state is None:
        return
    if state.get("runtime.powerState") == vim.VirtualMachine.PowerState.poweredOn:
        with client.explain(f"powering off VM {name}"):
            task = vm.PowerOffVM_Task()
        client.wait_for_task(si, task, f"powering off VM {name}")
    with client.explain(f"destroying VM {name}"):
        task = vm.Destroy_Task()
    client.wait_for_task(si, task, f"destroying VM {name}")
    log.info("destroyed VM %s (%s)", name, vm._moId)


def marked_owner(props: Mapping[str, Any]) -> str | None:
    """The owner marker in a VM's annotation, if any."""
    return ownership.split(props.get("config.annotation"))[1]


class _Placement:
    """Where a template goes: datacenter, cluster pool, datastore, folder, base image."""

    def __init__(self, si: vim.ServiceInstance, spec: VgpuTemplateInputs) -> None:
        dc_name = spec.datacenter
        self.dc_name = dc_name
        self.datacenter, dc_props = client.find_datacenter(si, dc_name)
        _cluster, cluster_props = client.find_cluster(si, self.datacenter, dc_name, spec.cluster)
        self.pool = cluster_props["resourcePool"]
        self.datastore, _ = client.find_datastore(si, self.datacenter, dc_name, spec.datastore)
        folder = dc_props["vmFolder"]
        if spec.folder:
            folder = client.find_folder(si, folder, dc_name, spec.folder)
        self.folder = folder
        base = client.find_vm(
            si, self.datacenter, dc_name, spec.baseImage, ("config.firmware", "config.version")
        )
        if base is None:
            raise client.VsphereError(
                f"base image '{spec.baseImage}' not found in datacenter '{dc_name}'"
            )
        self.base, self.base_props = base

    def clone(self, si: vim.ServiceInstance, source: Any, name: str, **spec: Any) -> Any:
        action = f"cloning {spec.pop('what')} to {name}"
        log.info("%s", action)
        clone_spec = vim.vm.CloneSpec(
            location=vim.vm.RelocateSpec(pool=self.pool, datastore=self.datastore), **spec
        )
        with client.explain(action):
            task = source.CloneVM_Task(folder=self.folder, name=name, spec=clone_spec)
        return client.wait_for_task(si, task, action)


def _upgrade_if_older(
    si: vim.ServiceInstance, vm: Any, name: str, spec: VgpuTemplateInputs
) -> None:
    minimum = spec.minHardwareVersion
    version = (client.properties(si, vm, ["config.version"]) or {}).get("config.version")
    current = hardware_version(version)
    if minimum is None or current is None or current >= minimum:
        return
    action = f"upgrading VM {name} from {version} to vmx-{minimum:02d} (not the base image)"
    log.info("%s", action)
    with client.explain(action):
        task = vm.UpgradeVM_Task(version=f"vmx-{minimum:02d}")
    client.wait_for_task(si, task, action)


def _wait_for_guest(si: vim.ServiceInstance, vm: Any) -> None:
    """The guest booted: VMware Tools runs and the heartbeat is green, within
    ACCEPTANCE_BOOT_TIMEOUT_S of the power-on (a powered-on VM whose guest never boots, for
    example a BIOS guest under EFI firmware, fails here)."""
    seen: dict[str, Any] = {}

    def booted() -> bool:
        seen.update(client.properties(si, vm, ["guest.toolsRunningStatus", "guestHeartbeatStatus"])
                    or {})
        return (seen.get("guest.toolsRunningStatus") == "guestToolsRunning"
                and seen.get("guestHeartbeatStatus") == "green")

    client.poll_until(
        booted,
        time.monotonic() + ACCEPTANCE_BOOT_TIMEOUT_S,
        lambda: (
            f"its guest did not boot within {ACCEPTANCE_BOOT_TIMEOUT_S:.0f} s of the power-on "
            f"(VMware Tools {seen.get('guest.toolsRunningStatus')}, heartbeat "
            f"{seen.get('guestHeartbeatStatus')}): check that the base image boots with the "
            "template's firmware and has VMware Tools (open-vm-tools) installed"
        ),
        GUEST_POLL_S,
    )


def _acceptance_test(
    si: vim.ServiceInstance, place: _Placement, template: Any, name: str, spec: VgpuTemplateInputs
) -> None:
    """Power a clone of the template on in its pool, check its vGPU, remove the clone."""
    clone_name = name[: 80 - len(ACCEPTANCE_SUFFIX)] + ACCEPTANCE_SUFFIX
    leftover = client.find_vm(
        si, place.datacenter, place.dc_name, clone_name, ("config.annotation",)
    )
    if leftover is not None and ownership.adoptable(marked_owner(leftover[1]), spec.owner):
        destroy(si, leftover[0], clone_name)
    clone = None
    try:
        clone = place.clone(
            si,
            template,
            clone_name,
            what=f"template {name} for its acceptance test",
            powerOn=True,
            template=False,
            config=vim.vm.ConfigSpec(
                annotation=ownership.mark("gpu-mlaas acceptance test", spec.owner)
            ),
        )
        props = client.properties(si, clone, ["runtime.powerState", "config.hardware.device"]) or {}
        attached = vgpu_profiles(props.get("config.hardware.device") or [])
        if props.get("runtime.powerState") != vim.VirtualMachine.PowerState.poweredOn:
            raise client.VsphereError(f"the clone is {props.get('runtime.powerState')}")
        if attached != [spec.vgpuProfile]:
            raise client.VsphereError(f"the clone has vGPU(s) {attached or 'none'}")
        _wait_for_guest(si, clone)
    except client.VsphereError as exc:
        raise client.VsphereError(
            f"acceptance test of template {name} failed: a clone did not power on with vGPU "
            f"{spec.vgpuProfile} in cluster {spec.cluster}: {exc}"
        ) from exc
    finally:
        found = clone or client.find_vm(si, place.datacenter, place.dc_name, clone_name)
        if found is not None:
            destroy(si, found[0] if isinstance(found, tuple) else found, clone_name)
    log.info("acceptance test of template %s passed (vGPU %s)", name, spec.vgpuProfile)


def require_bootable_firmware(spec: VgpuTemplateInputs, base_firmware: str | None) -> None:
    """The template's firmware can boot the base image's guest: a guest installed for BIOS has
    no EFI boot loader, so a template switched to EFI (what large-BAR vGPU profiles need,
    docs/vsphere-vgpu.md "VM prerequisites") would never boot. Checked before the clone."""
    if spec.firmware != "efi" or base_firmware != "bios":
        return
    raise client.VsphereError(
        f"base image {spec.baseImage} boots with BIOS firmware, but the template for vGPU "
        f"profile {spec.vgpuProfile} must boot with EFI (the profile needs EFI and 64-bit MMIO, "
        "or gpu-mlaas:template.firmware is efi), and a guest installed for BIOS does not boot "
        "with EFI firmware. Set gpu-mlaas:template.baseImage to an image installed with EFI "
        "firmware (or switch this image to EFI in vCenter once its guest has an EFI boot "
        "loader), then run `pulumi up` again"
    )


def _build(si: vim.ServiceInstance, spec: VgpuTemplateInputs) -> tuple[str, dict[str, Any]]:
    place = _Placement(si, spec)
    name = versioned_name(spec)
    existing = client.find_vm(si, place.datacenter, place.dc_name, name, VM_PATHS)
    if existing is not None:
        vm, props = existing
        ownership.require("VM template", name, marked_owner(props), spec.owner)
        wrong = mismatches(props, spec)
        if not wrong:
            log.info("template %s (%s) already exists as asked; adopting it", name, vm._moId)
            return vm._moId, _outputs(vm, props, spec)
        # Same versioned name and our marker: a half-made or altered copy of ours.
        log.warning("VM %s differs from its inputs (%s); rebuilding it", name, ", ".join(wrong))
        destroy(si, vm, name)

    require_bootable_firmware(spec, place.base_props.get("config.firmware"))
    try:
        # The marker goes on with the clone, so a run interrupted right after it can prove the
        # half-made VM is its own.
        vm = place.clone(
            si,
            place.base,
            name,
            what=spec.baseImage,
            powerOn=False,
            template=False,
            config=vim.vm.ConfigSpec(annotation=ownership.mark(ANNOTATION, spec.owner)),
        )
        _upgrade_if_older(si, vm, name, spec)
        props = client.properties(si, vm, VM_PATHS) or {}
        action = f"adding vGPU {spec.vgpuProfile} to VM {name}"
        with client.explain(action):
            task = vm.ReconfigVM_Task(spec=_reconfigure_spec(props, spec))
        client.wait_for_task(si, task, action)
        with client.explain(f"marking VM {name} as a template"):
            vm.MarkAsTemplate()
        props = client.properties(si, vm, VM_PATHS) or {}
        wrong = mismatches(props, spec)
        if wrong:
            raise client.VsphereError(
                f"template {name} does not read back as built ({', '.join(wrong)} differ)"
            )
        if spec.acceptanceTest:
            _acceptance_test(si, place, vm, name, spec)
    except BaseException:
        _remove_half_made(si, place, name)
        raise
    log.info("template %s ready (%s)", name, vm._moId)
    return vm._moId, _outputs(vm, props, spec)


def _remove_half_made(si: vim.ServiceInstance, place: _Placement, name: str) -> None:
    """After a failed step, destroy whatever VM the clone left under our versioned name."""
    try:
        leftover = client.find_vm(si, place.datacenter, place.dc_name, name)
        if leftover is not None:
            log.warning("removing half-made VM %s after a failed step", name)
            destroy(si, leftover[0], name)
    except Exception as exc:  # noqa: BLE001 - keep the original error; say what is left over
        log.error("could not remove half-made VM %s; remove it by hand: %s", name, exc)


class VgpuTemplateProvider(VsphereProvider):
    """Dynamic provider for `VgpuTemplate`."""

    kind = "vsphere:VgpuTemplate"
    inputs_model = VgpuTemplateInputs
    # Every change but the owner marker and the acceptance switch builds a new template beside
    # the old one (its versioned name differs).
    replace_keys = tuple(k for k in VgpuTemplateInputs.model_fields if k not in IN_PLACE_KEYS)
    output_keys = ("templateName", "templateId", "uuid", "isTemplate", "hardwareVersion")

    drift_replaces = ("isTemplate",)

    def drifted(self, olds: dict[str, Any]) -> bool:
        return olds.get("isTemplate") is False  # someone turned it back into a VM: rebuild

    def create(self, props: dict[str, Any]) -> CreateResult:
        template_id, outs = client.run(lambda si: _build(si, self.parse(props)))
        return CreateResult(template_id, outs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        # Only the owner marker or the acceptance switch changed (everything else replaces):
        # confirm the template still matches and write this resource's marker.
        spec = self.parse(news)
        previous = olds.get("owner")

        def op(si: vim.ServiceInstance) -> UpdateResult:
            vm = client.moref(si, vim.VirtualMachine, id_)
            props = client.properties(si, vm, VM_PATHS)
            if props is None:
                raise client.VsphereError(
                    f"template {olds.get('templateName')} ({id_}) is gone; run `pulumi refresh`"
                )
            ownership.require("VM template", props["name"], marked_owner(props), spec.owner,
                              state_marked=previous is not None)
            wrong = [key for key in mismatches(props, spec) if key != "isTemplate"]
            if wrong or not props.get("config.template"):
                raise client.VsphereError(
                    f"template {props['name']} differs in {', '.join(wrong) or 'isTemplate'}; "
                    "run `pulumi refresh` so it is rebuilt"
                )
            wanted = ownership.mark(ANNOTATION, spec.owner)
            if props.get("config.annotation") != wanted:
                action = f"writing the owner marker of template {props['name']}"
                with client.explain(action):
                    task = vm.ReconfigVM_Task(spec=vim.vm.ConfigSpec(annotation=wanted))
                client.wait_for_task(si, task, action)
                props = client.properties(si, vm, VM_PATHS) or props
            return UpdateResult(_outputs(vm, props, spec))

        return client.run(op)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        # Not validated: what an earlier refresh read back (drift) need not be valid input.
        spec = VgpuTemplateInputs.model_construct(**self.inputs_of(props))

        def outputs(vm: Any, current: dict[str, Any]) -> dict[str, Any]:
            seen = observed(current, spec.extraConfig)
            inputs = spec.model_dump()
            for key in ("vgpuProfile", "numCpus", "coresPerSocket", "memoryMb", "extraConfig"):
                inputs[key] = seen[key]
            # What cannot be compared one to one stays as asked unless vSphere contradicts it.
            if spec.firmware is not None:
                inputs["firmware"] = seen["firmware"]
            minimum = spec.minHardwareVersion
            if minimum is not None and (seen["hardwareVersion"] or 0) < minimum:
                inputs["minHardwareVersion"] = seen["hardwareVersion"]
            inputs["memoryReservationLockedToMax"] = True
            outs = {**_outputs(vm, current, spec), **inputs}
            if not seen["memoryReservationLockedToMax"]:
                outs["isTemplate"] = False  # no longer what we built: rebuild
            return outs

        what = f"template {props.get('templateName')}"
        return self.read_object(id_, vim.VirtualMachine, VM_PATHS, what, outputs)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        owner = props.get("owner")

        def op(si: vim.ServiceInstance) -> None:
            vm = client.moref(si, vim.VirtualMachine, id_)
            name = str(props.get("templateName") or id_)
            current = client.properties(si, vm, ["config.annotation"])
            if current is None:
                return
            if not ownership.changeable(marked_owner(current), owner,
                                        state_marked=owner is not None):
                log.warning(
                    "leaving VM %s (%s): it carries owner %s, not %s",
                    name,
                    id_,
                    marked_owner(current),
                    owner,
                )
                return
            destroy(si, vm, name)

        client.run(op)


class VgpuTemplate(SchemaResource, module="vsphere", name="VgpuTemplate"):
    """A vGPU VM template built from a base image; replaced (create first) on any change."""

    provider_class = VgpuTemplateProvider

    templateName: pulumi.Output[str]

    def __init__(self, resource_name: str, *, name: pulumi.Input[str],
                 datacenter: pulumi.Input[str], cluster: pulumi.Input[str],
                 datastore: pulumi.Input[str], base_image: pulumi.Input[str],
                 vgpu_profile: pulumi.Input[str], num_cpus: pulumi.Input[int],
                 cores_per_socket: pulumi.Input[int], memory_mb: pulumi.Input[int],
                 memory_reservation_locked_to_max: pulumi.Input[bool] = True,
                 folder: pulumi.Input[str] | None = None,
                 extra_config: pulumi.Input[Mapping[str, pulumi.Input[str]]] | None = None,
                 firmware: pulumi.Input[str] | None = None,
                 min_hardware_version: pulumi.Input[int] | None = None,
                 owner: pulumi.Input[str] | None = None,
                 acceptance_test: pulumi.Input[bool] = False,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(resource_name, locals(), opts)
