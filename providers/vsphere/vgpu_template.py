"""`VgpuTemplate`: a VM template with an NVIDIA vGPU, cloned from a prepared base image.

Type token `pulumi-python:dynamic/vsphere:VgpuTemplate`; the resource id is the template's moid.
pulumi-vsphere cannot attach a vGPU, so this provider does it with pyvmomi: full clone of the
base image (powered off), one reconfigure (CPU, cores per socket, memory, full memory
reservation, extraConfig, a `VirtualPCIPassthrough` with a vmiop backing naming the profile),
then `MarkAsTemplate`. The template's name is `<name>-<hash of the inputs>`, so a changed
template is built beside the old one and the old one is removed afterwards.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from typing import Any

import pulumi
from pulumi.dynamic import (
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)
from pyVmomi import vim

from providers.vsphere import client
from providers.vsphere.checks import InputChecker

log = logging.getLogger(__name__)

INPUT_KEYS = (
    "name",
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
# Everything but the base name goes into the version hash: placement too, because vSphere
# names are unique per folder and the new template must exist beside the old one.
HASHED_KEYS = tuple(key for key in INPUT_KEYS if key != "name")
DEFAULTS: dict[str, Any] = {"folder": None, "memoryReservationLockedToMax": True, "extraConfig": {}}
# vSphere limits VM names to 80 characters; the version suffix takes 9.
MAX_BASE_NAME = 71
HASH_LENGTH = 8

VM_PATHS = (
    "name",
    "config.template",
    "config.uuid",
    "config.hardware.numCPU",
    "config.hardware.numCoresPerSocket",
    "config.hardware.memoryMB",
    "config.hardware.device",
    "config.memoryReservationLockedToMax",
    "config.extraConfig",
    "runtime.powerState",
)


def _normalized(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Inputs with defaults filled in and whole floats (from gRPC) as ints."""
    out: dict[str, Any] = {}
    for key in INPUT_KEYS:
        value = inputs.get(key, DEFAULTS.get(key))
        if value is None:
            value = DEFAULTS.get(key)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        out[key] = value
    return out


def versioned_name(inputs: Mapping[str, Any]) -> str:
    """`<name>-<first 8 hex digits of sha256 over the other inputs>`."""
    values = _normalized(inputs)
    canonical = json.dumps({key: values[key] for key in HASHED_KEYS}, sort_keys=True)
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:HASH_LENGTH]
    return f"{values['name']}-{digest}"


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
    }


def mismatches(props: Mapping[str, Any], inputs: Mapping[str, Any]) -> list[str]:
    """Keys on which the VM differs from what the inputs ask for (empty: it is what we build)."""
    wanted = _normalized(inputs)
    seen = observed(props, wanted["extraConfig"])
    wrong = [
        key
        for key in (
            "vgpuProfile",
            "numCpus",
            "coresPerSocket",
            "memoryMb",
            "memoryReservationLockedToMax",
            "extraConfig",
        )
        if seen[key] != wanted[key]
    ]
    if not seen["isTemplate"]:
        wrong.append("isTemplate")
    return wrong


def _outputs(vm: Any, props: Mapping[str, Any], inputs: Mapping[str, Any]) -> dict[str, Any]:
    outs = _normalized(inputs)
    outs.update(
        templateName=props["name"],
        templateId=vm._moId,
        uuid=props.get("config.uuid"),
        isTemplate=bool(props.get("config.template")),
    )
    return outs


def _reconfigure_spec(props: Mapping[str, Any], inputs: Mapping[str, Any]) -> Any:
    # The base image may carry a vGPU already; the template gets exactly the one asked for.
    old_vgpus = [
        vim.vm.device.VirtualDeviceSpec(operation="remove", device=device)
        for device in vgpu_devices(props.get("config.hardware.device") or [])
    ]
    vgpu = vim.vm.device.VirtualPCIPassthrough(
        key=-100,  # temporary negative key, replaced by vSphere
        backing=vim.vm.device.VirtualPCIPassthrough.VmiopBackingInfo(vgpu=inputs["vgpuProfile"]),
    )
    return vim.vm.ConfigSpec(
        numCPUs=inputs["numCpus"],
        numCoresPerSocket=inputs["coresPerSocket"],
        memoryMB=inputs["memoryMb"],
        memoryReservationLockedToMax=inputs["memoryReservationLockedToMax"],
        extraConfig=[
            vim.option.OptionValue(key=key, value=value)
            for key, value in sorted(inputs["extraConfig"].items())
        ],
        deviceChange=[
            *old_vgpus,
            vim.vm.device.VirtualDeviceSpec(operation="add", device=vgpu),
        ],
    )


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


def _build(si: vim.ServiceInstance, inputs: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    dc_name = inputs["datacenter"]
    scope = f" in datacenter '{dc_name}'"
    datacenter, dc_props = client.find_datacenter(si, dc_name)
    _cluster, cluster_props = client.find_cluster(si, datacenter, dc_name, inputs["cluster"])
    datastore, _ = client.find_datastore(si, datacenter, dc_name, inputs["datastore"])
    folder = dc_props["vmFolder"]
    if inputs["folder"]:
        folder = client.find_folder(si, folder, dc_name, inputs["folder"])
    base = client.find_vm(si, datacenter, dc_name, inputs["baseImage"])
    if base is None:
        raise client.VsphereError(f"base image '{inputs['baseImage']}' not found{scope}")

    name = versioned_name(inputs)
    existing = client.find_vm(si, datacenter, dc_name, name, VM_PATHS)
    if existing is not None:
        vm, props = existing
        wrong = mismatches(props, inputs)
        if not wrong:
            log.info("template %s (%s) already exists as asked; adopting it", name, vm._moId)
            return vm._moId, _outputs(vm, props, inputs)
        # Same versioned name means same inputs: this is a half-made or altered copy of ours.
        log.warning("VM %s differs from its inputs (%s); rebuilding it", name, ", ".join(wrong))
        destroy(si, vm, name)

    action = f"cloning {inputs['baseImage']} to template {name}"
    log.info("%s", action)
    try:
        spec = vim.vm.CloneSpec(
            location=vim.vm.RelocateSpec(pool=cluster_props["resourcePool"], datastore=datastore),
            powerOn=False,
            template=False,
        )
        with client.explain(action):
            task = base[0].CloneVM_Task(folder=folder, name=name, spec=spec)
        vm = client.wait_for_task(si, task, action)
        props = client.properties(si, vm, VM_PATHS) or {}
        with client.explain(f"adding vGPU {inputs['vgpuProfile']} to VM {name}"):
            task = vm.ReconfigVM_Task(spec=_reconfigure_spec(props, inputs))
        client.wait_for_task(si, task, f"adding vGPU {inputs['vgpuProfile']} to VM {name}")
        with client.explain(f"marking VM {name} as a template"):
            vm.MarkAsTemplate()
        props = client.properties(si, vm, VM_PATHS) or {}
        wrong = mismatches(props, inputs)
        if wrong:
            raise client.VsphereError(
                f"template {name} does not read back as built ({', '.join(wrong)} differ)"
            )
    except BaseException:
        _remove_half_made(si, datacenter, dc_name, name)
        raise
    log.info("template %s ready (%s)", name, vm._moId)
    return vm._moId, _outputs(vm, props, inputs)


def _remove_half_made(si: vim.ServiceInstance, datacenter: Any, dc_name: str, name: str) -> None:
    """After a failed step, destroy whatever VM the clone left under our versioned name."""
    try:
        leftover = client.find_vm(si, datacenter, dc_name, name)
        if leftover is not None:
            log.warning("removing half-made VM %s after a failed step", name)
            destroy(si, leftover[0], name)
    except Exception as exc:  # noqa: BLE001 - keep the original error; say what is left over
        log.error("could not remove half-made VM %s; remove it by hand: %s", name, exc)


class VgpuTemplateProvider(ResourceProvider):
    """Dynamic provider for `VgpuTemplate`; holds no state (settings live in `client`)."""

    serialize_as_secret_always = False

    def configure(self, req: ConfigureRequest) -> None:
        client.configure(req.config)

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        checker = InputChecker(news)
        checker.text("name")
        for key in ("datacenter", "cluster", "datastore", "baseImage", "vgpuProfile"):
            checker.text(key)
        checker.text("folder", required=False)
        checker.integer("numCpus")
        checker.integer("coresPerSocket")
        checker.integer("memoryMb", minimum=4)
        checker.boolean("memoryReservationLockedToMax", default=True)
        checker.string_map("extraConfig")
        if checker.known("name") and len(checker.inputs["name"]) > MAX_BASE_NAME:
            checker.fail("name", f"name must be at most {MAX_BASE_NAME} characters")
        if checker.known("numCpus", "coresPerSocket"):
            cpus, cores = checker.inputs["numCpus"], checker.inputs["coresPerSocket"]
            if cpus % cores:
                checker.fail(
                    "coresPerSocket",
                    f"numCpus ({cpus}) must be a multiple of coresPerSocket ({cores})",
                )
        if checker.known("memoryMb") and checker.inputs["memoryMb"] % 4:
            checker.fail("memoryMb", "memoryMb must be a multiple of 4")
        return CheckResult(checker.inputs, checker.failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        old, new = _normalized(olds), _normalized(news)
        changed = [key for key in INPUT_KEYS if old[key] != new[key]]
        if olds.get("isTemplate") is False:
            changed.append("isTemplate")  # someone turned it back into a VM: rebuild
        # Every change replaces; the new versioned name lets both exist at once.
        return DiffResult(changes=bool(changed), replaces=changed, delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        template_id, outs = client.run(lambda si: _build(si, _normalized(props)))
        return CreateResult(template_id, outs)

    def update(self, id_: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        # `diff` replaces on every change, so the engine only calls this when the inputs are
        # equal in substance (e.g. 4 vs 4.0); confirm the template still matches them.
        inputs = _normalized(news)

        def op(si: vim.ServiceInstance) -> UpdateResult:
            vm = client.moref(si, vim.VirtualMachine, id_)
            props = client.properties(si, vm, VM_PATHS)
            if props is None:
                raise client.VsphereError(f"template {news.get('name')} ({id_}) is gone")
            wrong = mismatches(props, inputs)
            if wrong:
                raise client.VsphereError(
                    f"template {props['name']} differs in {', '.join(wrong)}; it must be replaced"
                )
            return UpdateResult(_outputs(vm, props, inputs))

        return client.run(op, read_only=True)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        inputs = _normalized(props)

        def op(si: vim.ServiceInstance) -> ReadResult:
            vm = client.moref(si, vim.VirtualMachine, id_)
            current = client.properties(si, vm, VM_PATHS)
            if current is None:
                log.info("template %s (%s) is gone", props.get("templateName"), id_)
                return ReadResult("", {})
            seen = observed(current, inputs["extraConfig"])
            is_template = seen.pop("isTemplate")
            refreshed = {**inputs, **seen}
            outs = _outputs(vm, current, refreshed)
            outs["isTemplate"] = is_template
            return ReadResult(id_, outs, {key: refreshed[key] for key in INPUT_KEYS})

        return client.run(op, read_only=True)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        def op(si: vim.ServiceInstance) -> None:
            vm = client.moref(si, vim.VirtualMachine, id_)
            destroy(si, vm, str(props.get("templateName") or id_))

        client.run(op)


class VgpuTemplate(Resource, module="vsphere", name="VgpuTemplate"):
    """A vGPU VM template built from a base image; replaced (create first) on any change."""

    name: pulumi.Output[str]
    templateName: pulumi.Output[str]
    templateId: pulumi.Output[str]
    uuid: pulumi.Output[str]
    vgpuProfile: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        name: pulumi.Input[str],
        datacenter: pulumi.Input[str],
        cluster: pulumi.Input[str],
        datastore: pulumi.Input[str],
        base_image: pulumi.Input[str],
        vgpu_profile: pulumi.Input[str],
        num_cpus: pulumi.Input[int],
        cores_per_socket: pulumi.Input[int],
        memory_mb: pulumi.Input[int],
        memory_reservation_locked_to_max: pulumi.Input[bool] = True,
        folder: pulumi.Input[str] | None = None,
        extra_config: pulumi.Input[Mapping[str, pulumi.Input[str]]] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props: dict[str, Any] = {
            "name": name,
            "datacenter": datacenter,
            "cluster": cluster,
            "datastore": datastore,
            "folder": folder,
            "baseImage": base_image,
            "vgpuProfile": vgpu_profile,
            "numCpus": num_cpus,
            "coresPerSocket": cores_per_socket,
            "memoryMb": memory_mb,
            "memoryReservationLockedToMax": memory_reservation_locked_to_max,
            "extraConfig": extra_config,
            "templateName": None,
            "templateId": None,
            "uuid": None,
            "isTemplate": None,
        }
        super().__init__(VgpuTemplateProvider(), resource_name, props, opts)
