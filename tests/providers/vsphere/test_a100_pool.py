"""Issue 11's acceptance against a lab of A100 hosts whose driver spells profiles `nvidia_…`:
hosts whose active graphics type lags are brought to vGPU mode by an X.Org restart (or refused
naming the running VMs), and a pool on a C-series profile yields a template with the host's
exact string, EFI, 64-bit MMIO of at least 64 GB and locked memory, whose clone powers on."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim

from components.vgpu_vm_template import prerequisites
from lab.vcsim import VcsimLab, start_vcsim
from mlaas.config import Template
from providers.vsphere.client import VsphereError
from providers.vsphere.host_graphics import HostGraphicsProvider
from providers.vsphere.vgpu_template import VgpuTemplateProvider, vgpu_profiles
from tests.providers.vsphere.conftest import Inspector, configure
from tests.support.results import outs_of

CONFIG_PROFILE = "grid_a100-20c"  # how the stack config names it (catalog spelling)


@pytest.fixture(scope="module")
def a100_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VcsimLab]:
    with start_vcsim(
        hosts=2, gpu="a100", profile_prefix="nvidia_", base_firmware="efi",
        ca_dir=tmp_path_factory.mktemp("a100"),
    ) as lab:
        yield lab


@pytest.fixture(scope="module")
def a100_inspector(a100_lab: VcsimLab) -> Iterator[Inspector]:
    with Inspector(a100_lab) as inspector:
        yield inspector


def base_host(lab: VcsimLab, inspector: Inspector) -> str:
    """The host the base image sits on: the lab places its clones there."""
    return str(inspector.vm(lab.base_image).runtime.host.name)


def host_inputs(host: str, **extra: Any) -> dict[str, Any]:
    return {"hostName": host, "pool": "a100-pool", "vgpuProfile": CONFIG_PROFILE, **extra}


def test_lagging_host_refused_while_a_vm_runs_then_restarted(
    a100_lab: VcsimLab, a100_inspector: Inspector
) -> None:
    provider = configure(HostGraphicsProvider(), a100_lab)
    host = base_host(a100_lab, a100_inspector)
    pool = a100_inspector.host(host).parent.resourcePool
    base = a100_inspector.vm(a100_lab.base_image)
    task = base.CloneVM_Task(
        folder=base.parent,
        name="busy",
        spec=vim.vm.CloneSpec(
            location=vim.vm.RelocateSpec(pool=pool, host=a100_inspector.host(host))
        ),
    )
    WaitForTask(task, si=a100_inspector.si)
    busy = task.info.result
    a100_inspector.wait(busy.PowerOnVM_Task())
    try:
        with pytest.raises(VsphereError) as failure:
            provider.create(provider.check({}, host_inputs(host)).inputs)
        message = str(failure.value)
        assert message.startswith(f"host {host}: GPU(s) 0000:3b:00.0 are configured for vGPU")
        assert "running: busy" in message and "maintenanceMode: true" in message

        # With maintenanceMode the host enters maintenance mode for the restart (DRS moves
        # `busy`, which has no vGPU, to another host) and leaves it again.
        created = provider.create(
            provider.check({}, host_inputs(host, maintenanceMode=True)).inputs)
        assert outs_of(created)["gpuCount"] == 1
        tasks = a100_inspector.si.content.taskManager.recentTask or []
        done = [t.info.descriptionId for t in tasks]
        assert "HostSystem.enterMaintenanceMode" in done
        assert "HostSystem.exitMaintenanceMode" in done
        assert a100_inspector.host(host).runtime.inMaintenanceMode is False
        assert busy.runtime.host.name != host and busy.runtime.powerState == "poweredOn"
        info = a100_inspector.host(host).config.graphicsInfo
        assert [g.graphicsType for g in info] == ["sharedDirect"]
    finally:
        a100_inspector.wait(busy.PowerOffVM_Task())

    created = provider.create(provider.check({}, host_inputs(host)).inputs)
    assert outs_of(created)["hostProfile"] == "nvidia_a100-20c"
    assert outs_of(created)["gpuCount"] == 1 and outs_of(created)["otherModeGpus"] == []
    a100_inspector.wait(busy.Destroy_Task())


def test_c_series_pool_yields_a_template_whose_clone_powers_on(
    a100_lab: VcsimLab, a100_inspector: Inspector
) -> None:
    hosts = configure(HostGraphicsProvider(), a100_lab)
    host = base_host(a100_lab, a100_inspector)
    other = next(h for h in a100_lab.host_names if h != host)
    untouched = hosts.read(a100_inspector.host(other)._moId, host_inputs(other))
    assert outs_of(untouched)["gpuCount"] == 0  # vSGA: not counted, reported per GPU
    assert outs_of(untouched)["otherModeGpus"] == [
        {"pciId": "0000:3b:00.0", "activeType": "shared"}
    ]

    graphics = hosts.create(hosts.check({}, host_inputs(host)).inputs)
    spelled = outs_of(graphics)["hostProfile"]
    assert spelled == "nvidia_a100-20c"

    needs = prerequisites(Template(base_image="ubuntu-base", datastore="LocalDS_0"), CONFIG_PROFILE)
    templates = configure(VgpuTemplateProvider(), a100_lab)
    news = templates.check(
        {},
        {
            "name": "a100-pool",
            "datacenter": a100_lab.datacenter,
            "cluster": a100_lab.cluster,
            "datastore": a100_lab.datastore,
            "baseImage": a100_lab.base_image,
            "vgpuProfile": spelled,
            "numCpus": 8,
            "coresPerSocket": 8,
            "memoryMb": 65536,
            "extraConfig": needs.extra_config,
            "firmware": needs.firmware,
            "minHardwareVersion": needs.min_hardware_version,
            "owner": "gpu-mlaas/dev/templates-a100-pool",
            "acceptanceTest": True,
        },
    )
    assert news.failures == []
    created = templates.create(news.inputs)
    try:
        # Checked independently, through the inspector's own session.
        vm = a100_inspector.vm(outs_of(created)["templateName"])
        assert vm.config.template is True
        assert vgpu_profiles(vm.config.hardware.device) == ["nvidia_a100-20c"]
        assert vm.config.firmware == "efi"
        extra = {o.key: o.value for o in vm.config.extraConfig}
        assert extra["pciPassthru.use64bitMMIO"] == "TRUE"
        assert int(extra["pciPassthru.64bitMMIOSizeGB"]) >= 64
        assert vm.config.memoryReservationLockedToMax is True
        assert not [n for n in a100_inspector.vm_names() if n.endswith("-accept")]

        pool = a100_inspector.host(host).parent.resourcePool
        task = vm.CloneVM_Task(
            folder=vm.parent,
            name="a100-clone",
            spec=vim.vm.CloneSpec(
                location=vim.vm.RelocateSpec(pool=pool, host=a100_inspector.host(host)),
                powerOn=True,
            ),
        )
        WaitForTask(task, si=a100_inspector.si)
        clone = task.info.result
        assert clone.runtime.powerState == "poweredOn"
        a100_inspector.wait(clone.PowerOffVM_Task())
        a100_inspector.wait(clone.Destroy_Task())
    finally:
        templates.delete(created.id, outs_of(created))
    assert a100_inspector.find_vm(outs_of(created)["templateName"]) is None


def test_disconnected_host_is_a_clear_error(vcsim_factory: Any) -> None:
    lab = vcsim_factory(hosts=2, disconnected=["DC0_C0_H1"])
    provider = configure(HostGraphicsProvider(), lab)
    with pytest.raises(VsphereError, match=r"host DC0_C0_H1 is disconnected from vCenter"):
        provider.create(provider.check({}, host_inputs("DC0_C0_H1")).inputs)


def test_an_empty_profile_list_is_waited_for_until_the_deadline(vcsim_factory: Any) -> None:
    lab = vcsim_factory(hosts=1, profiles=[])
    provider = configure(HostGraphicsProvider(), lab)
    inputs = provider.check({}, host_inputs("DC0_C0_H0", changeTimeoutSeconds=1)).inputs
    with pytest.raises(VsphereError, match=r"does not offer grid_a100-20c \(offered: none\)"):
        provider.create(inputs)
    inspector = Inspector(lab)
    try:
        assert inspector.graphics("DC0_C0_H0")[0] == "sharedDirect"  # kept, not rolled back
    finally:
        inspector.close()
