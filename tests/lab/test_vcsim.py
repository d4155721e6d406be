"""The GPU vCenter lab through pyVmomi, with TLS verified against the lab's CA."""

from __future__ import annotations

import ssl
import time
import uuid
from collections.abc import Callable, Iterator

import pytest
from pyVim.connect import Disconnect, SmartConnect
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from lab.vcsim import VcsimLab
from lab.vcsim.client import connect, open_sessions
from mlaas.profiles import gpu_type
from tests.support.managed import Managed

P100_PROFILES = [p.name for p in gpu_type("p100").profiles]
LabFactory = Callable[..., VcsimLab]


def _find(si: Managed, kind: type, name: str) -> Managed:
    view = si.content.viewManager.CreateContainerView(si.content.rootFolder, [kind], True)
    try:
        for obj in view.view:
            if obj.name == name:
                return obj
    finally:
        view.Destroy()
    raise LookupError(f"{kind.__name__} {name!r} not in the lab")


def _hosts(si: Managed) -> list[Managed]:
    view = si.content.viewManager.CreateContainerView(si.content.rootFolder, [vim.HostSystem], True)
    try:
        return sorted(view.view, key=lambda h: h.name)
    finally:
        view.Destroy()


def _graphics(host: Managed, kind: str, policy: str = "performance") -> None:
    host.configManager.graphicsManager.UpdateGraphicsConfig(
        vim.host.GraphicsConfig(hostDefaultGraphicsType=kind, sharedPassthruAssignmentPolicy=policy)
    )


def _vgpu_mode(host: Managed) -> None:
    """Configure vGPU mode and restart X.Org so it takes effect, as on a real host."""
    _graphics(host, "sharedDirect")
    host.configManager.serviceSystem.RestartService(id="xorg")


def _clone(si: Managed, lab: VcsimLab, name: str) -> Managed:
    base = _find(si, vim.VirtualMachine, lab.base_image)
    cluster = _find(si, vim.ClusterComputeResource, lab.cluster)
    spec = vim.vm.CloneSpec(
        location=vim.vm.RelocateSpec(pool=cluster.resourcePool), powerOn=False, template=False
    )
    task = base.CloneVM_Task(folder=base.parent, name=name, spec=spec)
    WaitForTask(task)
    return task.info.result


def _add_vgpu_spec(profile: str) -> vim.vm.ConfigSpec:
    device = vim.vm.device.VirtualPCIPassthrough(
        key=-100,
        backing=vim.vm.device.VirtualPCIPassthrough.VmiopBackingInfo(vgpu=profile),
    )
    change = vim.vm.device.VirtualDeviceSpec(operation="add", device=device)
    return vim.vm.ConfigSpec(deviceChange=[change], memoryReservationLockedToMax=True)


def _vgpus(vm: Managed) -> list[str]:
    return [  # the lab fills every backing in
        str(d.backing.vgpu)
        for d in vm.config.hardware.device
        if isinstance(d, vim.vm.device.VirtualPCIPassthrough)
        and isinstance(d.backing, vim.vm.device.VirtualPCIPassthrough.VmiopBackingInfo)
    ]


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def si(vcsim: VcsimLab) -> Iterator[Managed]:
    with connect(vcsim) as service_instance:
        yield service_instance


def test_lab_describes_its_inventory(vcsim: VcsimLab, si: Managed) -> None:
    assert vcsim.url == (
        f"https://administrator%40vsphere.local:{vcsim.password}@{vcsim.host_port}/sdk"
    )
    assert [h.name for h in _hosts(si)] == list(vcsim.host_names) and len(vcsim.host_names) == 3
    for kind, name in [
        (vim.Datacenter, vcsim.datacenter),
        (vim.ClusterComputeResource, vcsim.cluster),
        (vim.Datastore, vcsim.datastore),
        (vim.Network, vcsim.network),
    ]:
        assert _find(si, kind, name).name == name
    base = _find(si, vim.VirtualMachine, vcsim.base_image)
    assert base.runtime.powerState == "poweredOff"
    assert base.config.guestId.startswith("ubuntu") and not base.config.template
    kinds = {type(d) for d in base.config.hardware.device}
    assert vim.vm.device.VirtualDisk in kinds and vim.vm.device.VirtualVmxnet3 in kinds
    assert vcsim.password not in repr(vcsim)  # safe to log the lab object


def test_tls_is_verified_against_the_lab_ca(vcsim: VcsimLab) -> None:
    with pytest.raises(ssl.SSLCertVerificationError):
        SmartConnect(
            host=vcsim.host,
            port=vcsim.port,
            user=vcsim.user,
            pwd=vcsim.password,
            sslContext=ssl.create_default_context(),  # system CAs only: must refuse
        )
    with connect(vcsim) as si:  # lab CA: verified connection, hostname checked
        assert si.content.about.apiType == "VirtualCenter"


def test_wrong_password_is_refused(vcsim: VcsimLab) -> None:
    context = ssl.create_default_context(cafile=str(vcsim.ca_file))
    with pytest.raises(vim.fault.InvalidLogin):
        SmartConnect(
            host=vcsim.host, port=vcsim.port, user=vcsim.user, pwd="wrong", sslContext=context
        )


def test_sessions_are_listed_until_logout(vcsim: VcsimLab) -> None:
    before = {s.key for s in open_sessions(vcsim)}
    context = ssl.create_default_context(cafile=str(vcsim.ca_file))
    leaked = SmartConnect(
        host=vcsim.host, port=vcsim.port, user=vcsim.user, pwd=vcsim.password, sslContext=context
    )
    key = leaked.content.sessionManager.currentSession.key
    opened = {s.key for s in open_sessions(vcsim)}
    assert key in opened and key not in before
    Disconnect(leaked)
    assert key not in {s.key for s in open_sessions(vcsim)}


def test_hardware_matches_flags(vcsim_factory: LabFactory) -> None:
    lab = vcsim_factory(hosts=2, cores=24, sockets=2, memory_gb=384, gpus_per_host=2)
    with connect(lab) as si:
        hosts = _hosts(si)
        assert len(hosts) == 2
        for host in hosts:
            cpu = host.hardware.cpuInfo
            assert (cpu.numCpuPackages, cpu.numCpuCores, cpu.numCpuThreads) == (2, 24, 48)
            assert host.hardware.memorySize == 384 * 2**30
            summary = host.summary.hardware
            assert (summary.numCpuPkgs, summary.numCpuCores, summary.numCpuThreads) == (2, 24, 48)
            assert summary.memorySize == 384 * 2**30
            assert host.hardware.numaInfo.numNodes == 2
            gpus = [
                d for d in host.hardware.pciDevice if d.vendorId == 0x10DE and d.subDeviceId != 0
            ]
            assert [d.deviceName for d in gpus] == ["Tesla P100-PCIE-16GB"] * 2
            info = host.config.graphicsInfo
            assert [g.pciId for g in info] == [d.id for d in gpus]
            assert {(g.deviceName, g.vendorName, g.memorySizeInKB) for g in info} == {
                ("Tesla P100-PCIE-16GB", "NVIDIA Corporation", 16 * 2**20)
            }
        cluster = _find(si, vim.ClusterComputeResource, lab.cluster)
        assert cluster.summary.numCpuCores == 48
        assert cluster.summary.totalMemory == 2 * 384 * 2**30


def test_graphics_manager_round_trip_touches_only_its_host(vcsim_factory: LabFactory) -> None:
    lab = vcsim_factory(hosts=2)
    with connect(lab) as si:
        first, second = _hosts(si)
        manager = first.configManager.graphicsManager
        assert manager.graphicsConfig.hostDefaultGraphicsType == "shared"
        assert manager.IsSharedGraphicsActive() is True

        _graphics(first, "sharedDirect", "consolidation")
        for config in (manager.graphicsConfig, first.config.graphicsConfig):
            assert config.hostDefaultGraphicsType == "sharedDirect"
            assert config.sharedPassthruAssignmentPolicy == "consolidation"
        # Configured, not active: the GPU runs vSGA until X.Org restarts.
        assert [g.graphicsType for g in first.config.graphicsInfo] == ["shared"]
        manager.RefreshGraphicsManager()
        assert [g.graphicsType for g in first.config.graphicsInfo] == ["shared"]
        first.configManager.serviceSystem.RestartService(id="xorg")
        assert [g.graphicsType for g in first.config.graphicsInfo] == ["sharedDirect"]
        assert second.config.graphicsConfig.hostDefaultGraphicsType == "shared"
        assert [g.graphicsType for g in second.config.graphicsInfo] == ["shared"]
        with pytest.raises(vim.fault.NotFound):
            first.configManager.serviceSystem.RestartService(id="no-such-service")

        for bad in (
            vim.host.GraphicsConfig(
                hostDefaultGraphicsType="SharedPassthru",
                sharedPassthruAssignmentPolicy="performance",
            ),
            vim.host.GraphicsConfig(
                hostDefaultGraphicsType="shared", sharedPassthruAssignmentPolicy="fastest"
            ),
        ):
            with pytest.raises(vmodl.fault.InvalidArgument) as err:
                manager.UpdateGraphicsConfig(bad)
            assert str(err.value.invalidProperty).startswith("config.")
        # A refused change leaves the earlier config in place.
        assert first.config.graphicsConfig.hostDefaultGraphicsType == "sharedDirect"


def test_profiles_are_listed_once_the_host_is_in_shared_direct(vcsim_factory: LabFactory) -> None:
    lab = vcsim_factory(hosts=1)
    with connect(lab) as si:
        (host,) = _hosts(si)
        assert list(host.config.sharedPassthruGpuTypes) == []
        _graphics(host, "sharedDirect")
        assert list(host.config.sharedPassthruGpuTypes) == []  # not active yet
        host.configManager.serviceSystem.RestartService(id="xorg")
        assert list(host.config.sharedPassthruGpuTypes) == P100_PROFILES
        assert list(host.configManager.graphicsManager.sharedPassthruGpuTypes) == P100_PROFILES
        _graphics(host, "shared")
        host.configManager.serviceSystem.RestartService(id="xorg")
        assert list(host.config.sharedPassthruGpuTypes) == []


def test_power_policy_reads_balanced_and_can_be_set(vcsim_factory: LabFactory) -> None:
    lab = vcsim_factory(hosts=1)
    with connect(lab) as si:
        (host,) = _hosts(si)
        assert host.config.powerSystemInfo.currentPolicy.shortName == "dynamic"  # balanced
        host.configManager.powerSystem.ConfigurePowerPolicy(key=1)
        assert host.config.powerSystemInfo.currentPolicy.shortName == "static"  # high perf.
        with pytest.raises(vmodl.fault.InvalidArgument):
            host.configManager.powerSystem.ConfigurePowerPolicy(key=99)


def test_clone_add_vgpu_and_mark_as_template(vcsim: VcsimLab, si: Managed) -> None:
    vm = _clone(si, vcsim, _unique("tmpl"))
    WaitForTask(vm.ReconfigVM_Task(spec=_add_vgpu_spec("grid_p100-4q")))
    WaitForTask(vm.ReconfigVM_Task(spec=vim.vm.ConfigSpec(numCPUs=8, numCoresPerSocket=4)))
    vm.MarkAsTemplate()
    assert _vgpus(vm) == ["grid_p100-4q"]
    assert vm.config.memoryReservationLockedToMax is True
    assert (vm.config.hardware.numCPU, vm.config.hardware.numCoresPerSocket) == (8, 4)
    assert vm.config.template is True and vm.summary.config.template is True
    # Stock vcsim drops the connection on this read (unset property); the lab answers None.
    assert vm.resourcePool is None


def test_customization_spec_create_get_delete(si: Managed) -> None:
    manager = si.content.customizationSpecManager
    name = _unique("linux-dhcp")
    item = vim.CustomizationSpecItem(
        info=vim.CustomizationSpecInfo(name=name, description="lab", type="Linux"),
        spec=vim.vm.customization.Specification(
            identity=vim.vm.customization.LinuxPrep(
                hostName=vim.vm.customization.VirtualMachineNameGenerator(), domain="lab.local"
            ),
            globalIPSettings=vim.vm.customization.GlobalIPSettings(),
            nicSettingMap=[
                vim.vm.customization.AdapterMapping(
                    adapter=vim.vm.customization.IPSettings(
                        ip=vim.vm.customization.DhcpIpGenerator()
                    )
                )
            ],
        ),
    )
    manager.CreateCustomizationSpec(item)
    assert manager.DoesCustomizationSpecExist(name) is True
    assert manager.GetCustomizationSpec(name).spec.identity.domain == "lab.local"
    assert name in [i.name for i in manager.info]
    with pytest.raises(vim.fault.AlreadyExists):
        manager.CreateCustomizationSpec(item)

    manager.DeleteCustomizationSpec(name)
    assert manager.DoesCustomizationSpecExist(name) is False
    assert name not in [i.name for i in manager.info]
    with pytest.raises(vim.fault.NotFound):
        manager.GetCustomizationSpec(name)
    with pytest.raises(vim.fault.NotFound):
        manager.DeleteCustomizationSpec(name)


def test_power_on_needs_a_profile_the_host_offers(vcsim_factory: LabFactory) -> None:
    lab = vcsim_factory(hosts=1, profiles=["grid_p100-1q", "grid_p100-2q"])
    with connect(lab) as si:
        (host,) = _hosts(si)
        offered = _clone(si, lab, "offered")
        missing = _clone(si, lab, "missing")
        WaitForTask(offered.ReconfigVM_Task(spec=_add_vgpu_spec("grid_p100-2q")))
        WaitForTask(missing.ReconfigVM_Task(spec=_add_vgpu_spec("grid_p100-4q")))

        # Host still in "shared" (vSGA): no vGPU profile can start.
        with pytest.raises(vim.fault.GenericVmConfigFault) as err:
            WaitForTask(offered.PowerOnVM_Task())
        assert "grid_p100-2q" in err.value.reason and "sharedDirect" in err.value.reason

        _vgpu_mode(host)
        WaitForTask(offered.PowerOnVM_Task())
        assert offered.runtime.powerState == "poweredOn"

        with pytest.raises(vim.fault.GenericVmConfigFault) as err:
            WaitForTask(missing.PowerOnVM_Task())
        assert "grid_p100-4q" in err.value.reason and host.name in err.value.reason
        assert "grid_p100-4q" in str(err.value)  # the fault's message
        assert missing.runtime.powerState == "poweredOff"


def test_vgpu_cannot_be_added_to_a_powered_on_vm(vcsim: VcsimLab, si: Managed) -> None:
    vm = _clone(si, vcsim, _unique("running"))
    WaitForTask(vm.PowerOnVM_Task())  # no vGPU yet, so no profile check applies
    with pytest.raises(vim.fault.InvalidPowerState) as err:
        WaitForTask(vm.ReconfigVM_Task(spec=_add_vgpu_spec("grid_p100-4q")))
    assert err.value.existingState == "poweredOn"
    assert "grid_p100-4q" in str(err.value)  # the fault's message
    assert _vgpus(vm) == []
    # Other reconfigurations of a running VM still go through to vcsim.
    WaitForTask(vm.ReconfigVM_Task(spec=vim.vm.ConfigSpec(annotation="running")))
    assert vm.config.annotation == "running"


def test_idle_sessions_expire_when_asked(vcsim_factory: LabFactory) -> None:
    lab = vcsim_factory(hosts=1, session_idle_timeout_s=0.2)
    with connect(lab) as si:
        content: Managed = si.content
        deadline = time.monotonic() + 10  # generous: only bounds a hang, not a speed claim
        while time.monotonic() < deadline:
            time.sleep(0.5)  # longer than the timeout: each call would refresh the session
            try:
                content.sessionManager.currentSession  # noqa: B018 (a remote read)
            except vim.fault.NotAuthenticated:
                break
        else:
            pytest.fail("the idle session was never expired")


def test_stop_ends_the_simulator_cleanly(vcsim_factory: LabFactory) -> None:
    lab = vcsim_factory(hosts=1)
    workdir = lab.log_file.parent
    assert workdir.joinpath("server-chain.pem").exists()
    assert not workdir.joinpath("server-key.pem").exists()  # removed once the server loaded it
    lab.stop()
    assert lab.process.returncode == 0  # exited on SIGTERM by itself, not killed
    assert not workdir.exists() and lab.ca_file.exists()  # the caller's ca_dir is kept
    lab.stop()  # idempotent


def test_lab_speaks_the_vsphere_8_api_and_a_6_5_one_when_asked(
    vcsim: VcsimLab, si: Managed, vcsim_factory: LabFactory
) -> None:
    # pyVmomi picks its wire version from what the lab announces (vimServiceVersions.xml).
    assert vcsim.api_version == "8.0.3.0"
    assert si.content.about.apiVersion == "8.0.3.0"
    assert si._stub.versionId == '"urn:vim25/8.0.3.0"'
    host = _hosts(si)[0]
    assert host.config.product.fullName.startswith("VMware ESXi 8.0.3 ")
    assert host.summary.config.product.apiVersion == "8.0.3.0"

    old = vcsim_factory(hosts=1, api_version="6.5")
    with connect(old) as si65:
        assert si65.content.about.fullName.startswith("VMware vCenter Server 6.5.0 ")
        assert si65._stub.versionId == '"urn:vim25/6.5"'
        host65 = _hosts(si65)[0]
        assert host65.config.product.apiVersion == "6.5"
        # What the product reads parses at 6.5: no property newer than the schema is sent.
        assert [g.graphicsType for g in host65.config.graphicsInfo] == ["shared"]


def test_unknown_api_version_is_refused_before_start() -> None:
    from lab.vcsim import LabError, start_vcsim

    with pytest.raises(LabError, match="api_version must be one of 8.0.3.0, 6.5"):
        start_vcsim(api_version="7.0")


def test_hosts_list_their_vibs_and_one_without_the_vgpu_manager_offers_nothing(
    vcsim_factory: LabFactory,
) -> None:
    lab = vcsim_factory(hosts=2, host_vgpu_manager={"DC0_C0_H1": None})
    assert lab.vgpu_managers == {"DC0_C0_H0": "550.127.06", "DC0_C0_H1": None}
    with connect(lab) as si:
        with_driver, without = _hosts(si)
        packages = with_driver.configManager.imageConfigManager.FetchSoftwarePackages()
        nvidia = [(p.name, p.vendor, p.version) for p in packages if p.vendor == "NVD"]
        assert nvidia == [("NVD-VGPU-800", "NVD", "550.127.06-1OEM.800.1.0.20613240")]
        assert "esx-base" in {p.name for p in packages}
        listed = without.configManager.imageConfigManager.FetchSoftwarePackages()
        assert {p.vendor for p in listed} <= {"VMware", "VMW"}
        for host in (with_driver, without):
            _vgpu_mode(host)
        assert list(with_driver.config.sharedPassthruGpuTypes) == list(lab.profiles)
        assert not without.config.sharedPassthruGpuTypes  # no driver, no vGPU type


def test_a_6_5_host_carries_the_white_papers_driver(vcsim_factory: LabFactory) -> None:
    lab = vcsim_factory(hosts=1, api_version="6.5")
    with connect(lab) as si:
        packages = _hosts(si)[0].configManager.imageConfigManager.FetchSoftwarePackages()
        assert [(p.name, p.version) for p in packages if p.vendor == "NVIDIA"] == [
            ("NVIDIA-VMware_ESXi_6.5_Host_Driver", "384.73-1OEM.650.0.0.4598673")
        ]
