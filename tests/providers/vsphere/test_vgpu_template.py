"""VgpuTemplateProvider called directly against the GPU lab."""

from __future__ import annotations

from typing import Any

import pytest
from pyVmomi import vim

from providers.vsphere.client import VsphereError
from providers.vsphere.vgpu_template import VgpuTemplateProvider, versioned_name, vgpu_profiles
from tests.providers.vsphere.conftest import Inspector, configure
from tests.support.dynamic_host import UNKNOWN
from tests.support.results import outs_of, replaces_of


def inputs(lab: Any, **extra: Any) -> dict[str, Any]:
    return {
        "name": "tf-gpu",
        "datacenter": lab.datacenter,
        "cluster": lab.cluster,
        "datastore": lab.datastore,
        "baseImage": lab.base_image,
        "vgpuProfile": "grid_p100-4q",
        "numCpus": 8,
        "coresPerSocket": 4,
        "memoryMb": 16384,
        "extraConfig": {"pciPassthru.use64bitMMIO": "TRUE"},
        **extra,
    }


@pytest.fixture
def provider(lab: Any) -> VgpuTemplateProvider:
    return configure(VgpuTemplateProvider(), lab)


def checked(provider: VgpuTemplateProvider, news: dict[str, Any]) -> dict[str, Any]:
    result = provider.check({}, news)
    assert result.failures == []
    return result.inputs


def test_check_names_each_bad_input(provider: VgpuTemplateProvider, lab: Any) -> None:
    result = provider.check(
        {},
        inputs(
            lab,
            numCpus=6,
            coresPerSocket=4,
            memoryMb=1002,
            baseImage="",
            memoryReservationLockedToMax="yes",
            extraConfig={"k": 1},
        ),
    )
    reasons = {f.property: f.reason for f in result.failures}
    assert set(reasons) == {
        "coresPerSocket",
        "memoryMb",
        "baseImage",
        "memoryReservationLockedToMax",
        "extraConfig",
    }
    assert "multiple of coresPerSocket" in reasons["coresPerSocket"]

    # A vGPU template without all of its memory reserved is refused by the provider itself.
    unlocked = provider.check({}, inputs(lab, memoryReservationLockedToMax=False))
    assert [(f.property, "must be true" in f.reason) for f in unlocked.failures] == [
        ("memoryReservationLockedToMax", True)
    ]


def test_check_accepts_floats_from_grpc_and_unknowns(
    provider: VgpuTemplateProvider, lab: Any
) -> None:
    floats = checked(provider, inputs(lab, numCpus=8.0, memoryMb=16384.0))
    assert floats["numCpus"] == 8 and isinstance(floats["numCpus"], int)
    assert floats["memoryReservationLockedToMax"] is True
    unknown = checked(provider, inputs(lab, numCpus=UNKNOWN, vgpuProfile=UNKNOWN))
    assert unknown["numCpus"] == UNKNOWN


def test_versioned_name_depends_on_hardware_not_on_number_types(lab: Any) -> None:
    name = versioned_name(inputs(lab))
    assert name.startswith("tf-gpu-") and len(name) == len("tf-gpu-") + 8
    assert versioned_name(inputs(lab, numCpus=8.0)) == name
    assert versioned_name(inputs(lab, numCpus=4)) != name
    assert versioned_name(inputs(lab, vgpuProfile="grid_p100-8q")) != name


def test_create_builds_a_vgpu_template_and_adopts_it_again(
    provider: VgpuTemplateProvider, lab: Any, inspector: Inspector
) -> None:
    news = checked(provider, inputs(lab))
    created = provider.create(news)
    try:
        name = versioned_name(news)
        vm = inspector.vm(name)
        assert vm is not None and vm._moId == created.id
        config = vm.config
        assert config.template is True
        assert vgpu_profiles(config.hardware.device) == ["grid_p100-4q"]
        assert (config.hardware.numCPU, config.hardware.numCoresPerSocket) == (8, 4)
        assert config.hardware.memoryMB == 16384
        assert config.memoryReservationLockedToMax is True
        extra = {o.key: o.value for o in config.extraConfig}
        assert extra["pciPassthru.use64bitMMIO"] == "TRUE"
        outs = outs_of(created)
        assert outs["templateName"] == name and outs["templateId"] == created.id
        assert outs["uuid"] == config.uuid
        assert outs["numCpus"] == 8 and outs["vgpuProfile"] == "grid_p100-4q"

        again = provider.create(news)
        assert again.id == created.id
        assert inspector.vm_names().count(name) == 1
    finally:
        provider.delete(created.id, outs_of(created))
    assert inspector.find_vm(name) is None


def test_half_made_vm_with_the_versioned_name_is_rebuilt(
    provider: VgpuTemplateProvider, lab: Any, inspector: Inspector
) -> None:
    news = checked(provider, inputs(lab, numCpus=4, coresPerSocket=2))
    name = versioned_name(news)
    # A clone left behind by an interrupted create: same name, no vGPU, not a template.
    base = inspector.vm(lab.base_image)
    half = inspector.wait(
        base.CloneVM_Task(
            folder=base.parent, name=name, spec=vim.vm.CloneSpec(location=vim.vm.RelocateSpec())
        )
    )

    created = provider.create(news)
    try:
        assert created.id != half._moId
        assert inspector.vm_names().count(name) == 1
        assert inspector.vm(name).config.template is True
    finally:
        provider.delete(created.id, outs_of(created))


def test_failure_after_the_clone_leaves_no_vm_behind(
    provider: VgpuTemplateProvider, lab: Any, inspector: Inspector
) -> None:
    # The acceptance test runs after clone, reconfigure and MarkAsTemplate; this module's
    # hosts never run vGPU, so the test clone cannot power on.
    news = checked(provider, inputs(lab, acceptanceTest=True))
    before = inspector.vm_names()
    with pytest.raises(VsphereError) as failure:
        provider.create(news)
    message = str(failure.value)
    assert message.startswith(f"acceptance test of template {versioned_name(news)} failed")
    assert "no graphics device on host" in message  # vCenter's own message
    assert inspector.vm_names() == before


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        ({"numCpus": 0}, ValueError, "numCpus"),
        ({"memoryReservationLockedToMax": False}, ValueError,
         "memoryReservationLockedToMax: Value error, must be true"),
        ({"datastore": "no-such-ds"}, VsphereError,
         "datastore 'no-such-ds' not found in datacenter"),
        ({"baseImage": "no-such-image"}, VsphereError, "base image 'no-such-image' not found"),
    ],
)
def test_bad_input_fails_before_any_change(
    provider: VgpuTemplateProvider, lab: Any, inspector: Inspector, change: dict[str, Any],
    error: type[Exception], match: str,
) -> None:
    before = inspector.vm_names()
    with pytest.raises(error, match=match):
        provider.create({**inputs(lab), **change})
    assert inspector.vm_names() == before


def test_hardware_change_replaces_create_before_delete(
    provider: VgpuTemplateProvider, lab: Any, inspector: Inspector
) -> None:
    old = provider.create(checked(provider, inputs(lab)))
    news = checked(provider, inputs(lab, vgpuProfile="grid_p100-8q", memoryMb=32768))

    diff = provider.diff(old.id, outs_of(old), news)
    assert diff.changes is True
    assert set(replaces_of(diff)) == {"vgpuProfile", "memoryMb"}
    assert diff.delete_before_replace is False
    assert provider.diff(old.id, outs_of(old), checked(provider, inputs(lab))).changes is False

    new = provider.create(news)  # the engine creates the replacement first ...
    assert {outs_of(old)["templateName"], outs_of(new)["templateName"]} <= set(inspector.vm_names())
    provider.delete(old.id, outs_of(old))  # ... then deletes the old one
    assert outs_of(old)["templateName"] not in inspector.vm_names()
    provider.delete(old.id, outs_of(old))  # already gone: still fine
    provider.delete(new.id, outs_of(new))


def test_read_reports_drift_and_a_missing_template(
    provider: VgpuTemplateProvider, lab: Any, inspector: Inspector
) -> None:
    created = provider.create(checked(provider, inputs(lab, name="drift")))
    vm = inspector.vm(outs_of(created)["templateName"])
    pool = inspector.host(lab.host_names[0]).parent.resourcePool
    # Someone turns the template back into a VM and swaps its vGPU and CPU count.
    vm.MarkAsVirtualMachine(pool=pool)
    device = next(d for d in vm.config.hardware.device if vgpu_profiles([d]))
    device.backing.vgpu = "grid_p100-8q"
    inspector.wait(
        vm.ReconfigVM_Task(
            spec=vim.vm.ConfigSpec(
                numCPUs=2,
                deviceChange=[vim.vm.device.VirtualDeviceSpec(operation="edit", device=device)],
            )
        )
    )

    read = provider.read(created.id, outs_of(created))
    assert read.id == created.id
    assert outs_of(read)["vgpuProfile"] == "grid_p100-8q"
    assert outs_of(read)["numCpus"] == 2
    assert outs_of(read)["isTemplate"] is False
    assert read.inputs is not None and read.inputs["numCpus"] == 2
    news = checked(provider, inputs(lab, name="drift"))
    diff = provider.diff(read.id, outs_of(read), news)
    assert set(replaces_of(diff)) >= {"vgpuProfile", "numCpus", "isTemplate"}

    # The replacement has the same versioned name, so create rebuilds the altered copy ...
    rebuilt = provider.create(news)
    assert rebuilt.id != created.id
    assert inspector.vm(outs_of(created)["templateName"]).config.template is True
    # ... and the engine's delete of the old id finds it gone.
    assert provider.read(created.id, outs_of(read)).id == ""
    provider.delete(created.id, outs_of(read))
    provider.delete(rebuilt.id, outs_of(rebuilt))


def test_base_image_with_a_vgpu_yields_exactly_the_requested_one(
    provider: VgpuTemplateProvider, lab: Any, inspector: Inspector
) -> None:
    base = inspector.vm(lab.base_image)
    gpu_base = inspector.wait(
        base.CloneVM_Task(
            folder=base.parent,
            name="base-with-vgpu",
            spec=vim.vm.CloneSpec(location=vim.vm.RelocateSpec()),
        )
    )
    vgpu = vim.vm.device.VirtualPCIPassthrough(
        key=-100, backing=vim.vm.device.VirtualPCIPassthrough.VmiopBackingInfo(vgpu="grid_p100-1q")
    )
    inspector.wait(
        gpu_base.ReconfigVM_Task(
            spec=vim.vm.ConfigSpec(
                deviceChange=[vim.vm.device.VirtualDeviceSpec(operation="add", device=vgpu)]
            )
        )
    )
    created = provider.create(checked(provider, inputs(lab, baseImage="base-with-vgpu")))
    try:
        template = inspector.vm(outs_of(created)["templateName"])
        assert vgpu_profiles(template.config.hardware.device) == ["grid_p100-4q"]
    finally:
        provider.delete(created.id, outs_of(created))
        inspector.wait(gpu_base.Destroy_Task())


def test_template_goes_into_the_named_folder(
    provider: VgpuTemplateProvider, lab: Any, inspector: Inspector
) -> None:
    vm_folder = inspector.vm(lab.base_image).parent
    gpu = vm_folder.CreateFolder("gpu")
    gpu.CreateFolder("templates")
    with pytest.raises(VsphereError, match="VM folder 'gpu/missing' not found"):
        provider.create(checked(provider, inputs(lab, folder="gpu/missing")))

    created = provider.create(checked(provider, inputs(lab, folder="gpu/templates")))
    try:
        template = inspector.vm(outs_of(created)["templateName"])
        assert template.parent.name == "templates"
        assert template.parent.parent.name == "gpu"
    finally:
        provider.delete(created.id, outs_of(created))


def test_a_bios_base_image_for_an_efi_template_fails_before_the_clone(
    provider: VgpuTemplateProvider, lab: Any, inspector: Inspector
) -> None:
    assert inspector.vm(lab.base_image).config.firmware == "bios"
    before = inspector.vm_names()
    with pytest.raises(VsphereError) as failure:
        provider.create(checked(provider, inputs(lab, firmware="efi")))
    message = str(failure.value)
    assert message.startswith(
        f"base image {lab.base_image} boots with BIOS firmware, but the template for vGPU "
        "profile grid_p100-4q must boot with EFI")
    assert "gpu-mlaas:template.baseImage" in message
    assert inspector.vm_names() == before  # nothing cloned


def test_acceptance_waits_for_the_guest_and_fails_when_it_never_boots(
    vcsim_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from providers.vsphere import vgpu_template
    from providers.vsphere.host_graphics import HostGraphicsProvider

    def vgpu_lab(**options: Any) -> Any:
        lab = vcsim_factory(hosts=1, **options)
        hosts = configure(HostGraphicsProvider(), lab)
        hosts.create({"hostName": lab.host_names[0], "pool": "p", "vgpuProfile": "grid_p100-4q"})
        return lab

    # Guests with VMware Tools: the clone's guest comes up and the test passes.
    booting = vgpu_lab(guest_tools_start_s=0.3)
    ok = configure(VgpuTemplateProvider(), booting)
    created = ok.create(checked(ok, inputs(booting, acceptanceTest=True)))
    assert outs_of(created)["vgpuProfile"] == "grid_p100-4q"

    # Guests that never boot (no tools, no heartbeat): the power-on alone is not enough.
    monkeypatch.setattr(vgpu_template, "ACCEPTANCE_BOOT_TIMEOUT_S", 1.5)
    silent = vgpu_lab(guest_tools_start_s=None)
    provider = configure(VgpuTemplateProvider(), silent)
    news = checked(provider, inputs(silent, acceptanceTest=True))
    with Inspector(silent) as inspector:
        before = inspector.vm_names()
        with pytest.raises(VsphereError) as failure:
            provider.create(news)
        assert inspector.vm_names() == before
    message = str(failure.value)
    assert message.startswith(f"acceptance test of template {versioned_name(news)} failed")
    assert "its guest did not boot within 2 s of the power-on (VMware Tools " in message
