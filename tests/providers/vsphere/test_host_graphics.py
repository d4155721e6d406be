"""HostGraphicsProvider called directly against the GPU lab."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest

from mlaas.profiles import match_offered
from providers.vsphere.client import VsphereError
from providers.vsphere.host_graphics import HostGraphicsProvider
from tests.providers.vsphere.conftest import Inspector, configure
from tests.support.dynamic_host import UNKNOWN
from tests.support.results import outs_of


def inputs(host: str, **extra: Any) -> dict[str, Any]:
    return {"hostName": host, "pool": "gpu-pool", "vgpuProfile": "grid_p100-4q", **extra}


@pytest.fixture
def provider(lab: Any) -> HostGraphicsProvider:
    return configure(HostGraphicsProvider(), lab)


def test_check_fills_default_policy_and_names_bad_inputs(provider: HostGraphicsProvider) -> None:
    ok = provider.check({}, inputs("h1"))
    assert ok.failures == []
    assert ok.inputs["assignmentPolicy"] == "performance"

    bad = provider.check(
        {}, {"hostName": " ", "pool": "p", "vgpuProfile": "x", "assignmentPolicy": "fastest"}
    )
    reasons = {f.property: f.reason for f in bad.failures}
    assert set(reasons) == {"hostName", "assignmentPolicy"}
    assert "'performance' or 'consolidation'" in reasons["assignmentPolicy"]

    missing = provider.check({}, {"pool": "p"})
    assert {f.property for f in missing.failures} == {"hostName", "vgpuProfile"}


def test_check_lets_unknown_values_through_during_preview(provider: HostGraphicsProvider) -> None:
    result = provider.check({}, inputs(UNKNOWN, assignmentPolicy=UNKNOWN))
    assert result.failures == []
    assert result.inputs["hostName"] == UNKNOWN
    assert result.inputs["assignmentPolicy"] == UNKNOWN


def test_profile_names_match_across_vendor_prefixes_and_keep_the_host_spelling() -> None:
    offered = ["grid_p100-1q", "grid_p100-4q"]
    assert match_offered("nvidia_p100-4q", offered) == "grid_p100-4q"
    assert match_offered("GRID_P100-4Q", offered) == "grid_p100-4q"
    assert match_offered("grid_a100-20c", ["nvidia_a100-10c", "nvidia_a100-20c"]) == (
        "nvidia_a100-20c"
    )
    assert match_offered("P100-4Q", offered) is None  # a bare name is no profile name
    assert match_offered("grid_p100-8q", offered) is None


def test_create_switches_host_to_vgpu_mode_and_reports_facts(
    provider: HostGraphicsProvider, lab: Any, inspector: Inspector
) -> None:
    host = lab.host_names[0]
    inspector.set_graphics(host, "shared")

    result = provider.create(provider.check({}, inputs(host, vgpuProfile="nvidia_p100-4q")).inputs)

    assert inspector.graphics(host) == ("sharedDirect", "performance")
    outs = outs_of(result)
    assert result.id == inspector.host(host)._moId == outs["hostId"]
    assert outs["hostName"] == host and outs["pool"] == "gpu-pool"
    assert outs["vgpuProfile"] == "nvidia_p100-4q"
    assert outs["hostProfile"] == "grid_p100-4q"
    assert outs["graphicsType"] == "sharedDirect"
    assert "grid_p100-4q" in outs["offeredProfiles"]
    assert outs["gpuCount"] == 1
    assert outs["gpuModel"].startswith("Tesla P100")
    assert outs["gpuDevices"][0]["vendorName"] == "NVIDIA Corporation"
    assert outs["gpuDevices"][0]["memoryMb"] == 16384
    assert (outs["physicalCores"], outs["sockets"], outs["memoryGb"]) == (16, 2, 256)
    assert outs["powerPolicy"] == "dynamic"  # the lab host starts in Balanced (shortName)
    assert outs["sharedGraphicsActive"] is True


def test_create_on_host_already_in_mode_adopts_without_changing_it(
    provider: HostGraphicsProvider, lab: Any, inspector: Inspector, caplog: Any
) -> None:
    host = lab.host_names[1]
    inspector.set_graphics(host, "sharedDirect", "consolidation")
    caplog.set_level(logging.INFO, logger="providers.vsphere.host_graphics")

    inspector.host(host).configManager.serviceSystem.RestartService(id="xorg")
    result = provider.create(inputs(host, assignmentPolicy="consolidation"))

    assert outs_of(result)["currentAssignmentPolicy"] == "consolidation"
    assert any("already configured" in r.getMessage() for r in caplog.records)
    assert not any("setting host" in r.getMessage() for r in caplog.records)
    assert not any("restarting xorg" in r.getMessage() for r in caplog.records)


def test_update_changes_policy_and_diff_classifies_changes(
    provider: HostGraphicsProvider, lab: Any, inspector: Inspector
) -> None:
    host = lab.host_names[2]
    created = provider.create(inputs(host, assignmentPolicy="performance"))
    news = inputs(host, assignmentPolicy="consolidation")

    diff = provider.diff(created.id, outs_of(created), news)
    assert diff.changes is True and diff.replaces == []

    outs = outs_of(provider.update(created.id, outs_of(created), news))
    assert inspector.graphics(host) == ("sharedDirect", "consolidation")
    assert outs["assignmentPolicy"] == "consolidation"
    assert outs["hostId"] == created.id  # update returns every output, not just the changed

    same = provider.diff(created.id, outs, news)
    assert same.changes is False
    moved = provider.diff(created.id, outs, {**news, "hostName": lab.host_names[0]})
    assert moved.changes is True and moved.replaces == ["hostName"]
    pool_only = provider.diff(created.id, outs, {**news, "pool": "other"})
    assert pool_only.changes is True and pool_only.replaces == []


def test_read_shows_drift_and_update_repairs_it(
    provider: HostGraphicsProvider, lab: Any, inspector: Inspector
) -> None:
    host = lab.host_names[0]
    wanted = inputs(host)
    created = provider.create(wanted)
    inspector.set_graphics(host, "shared")  # someone switched it back by hand

    read = provider.read(created.id, outs_of(created))
    assert read.id == created.id
    assert outs_of(read)["graphicsType"] == "shared"
    # Configured back to vSGA, still active in vGPU until X.Org restarts.
    (device,) = outs_of(read)["gpuDevices"]
    assert (device["configuredType"], device["activeType"]) == ("shared", "sharedDirect")
    diff = provider.diff(read.id, outs_of(read), wanted)
    assert diff.changes is True and diff.replaces == []

    provider.update(read.id, outs_of(read), wanted)
    assert inspector.graphics(host)[0] == "sharedDirect"


def test_read_of_a_host_that_is_gone_returns_empty_id(provider: HostGraphicsProvider) -> None:
    result = provider.read("host-does-not-exist", inputs("gone-host"))
    assert result.id == ""


def test_delete_leaves_the_host_in_vgpu_mode(
    provider: HostGraphicsProvider, lab: Any, inspector: Inspector, caplog: Any
) -> None:
    host = lab.host_names[1]
    created = provider.create(inputs(host))
    with caplog.at_level(logging.WARNING, logger="providers.vsphere.host_graphics"):
        provider.delete(created.id, outs_of(created))
    assert inspector.graphics(host)[0] == "sharedDirect"
    assert any("leaving host" in r.getMessage() for r in caplog.records)


def test_unknown_host_is_named_in_the_error(provider: HostGraphicsProvider) -> None:
    with pytest.raises(VsphereError, match="host 'no-such-host' not found"):
        provider.create(inputs("no-such-host"))


def test_host_without_the_profile_fails_and_keeps_the_correct_mode(vcsim_factory: Any) -> None:
    small = vcsim_factory(profiles=["grid_p100-8q", "grid_p100-16q"])
    provider = configure(HostGraphicsProvider(), small)
    inspector = Inspector(small)
    try:
        host = small.host_names[0]
        with pytest.raises(VsphereError) as failure:
            provider.create(inputs(host, vgpuProfile="grid_p100-4q"))
        assert str(failure.value) == (
            f"the NVIDIA host driver on {host} does not offer grid_p100-4q "
            "(offered: grid_p100-8q, grid_p100-16q)"
        )
        # vGPU mode is right for the pool whatever the driver offers: no rollback.
        assert inspector.graphics(host) == ("sharedDirect", "performance")
    finally:
        inspector.close()


def test_host_without_the_vgpu_manager_fails_in_seconds_naming_it(vcsim_factory: Any) -> None:
    lab = vcsim_factory(hosts=2, host_vgpu_manager={"DC0_C0_H1": None})
    provider = configure(HostGraphicsProvider(), lab)
    inspector = Inspector(lab)
    try:
        inspector.set_graphics("DC0_C0_H1", "shared")
        started = time.monotonic()
        with pytest.raises(VsphereError) as failure:
            # The deadline is ten minutes: the driver check must not wait for it.
            provider.create(inputs("DC0_C0_H1", changeTimeoutSeconds=600))
        assert time.monotonic() - started < 10
        message = str(failure.value)
        assert "host DC0_C0_H1 of pool 'gpu-pool' has no NVIDIA vGPU Manager installed" in message
        assert "esxcli software vib install" in message
        # Refused before any change.
        assert inspector.graphics("DC0_C0_H1") == ("shared", "performance")

        outs = outs_of(provider.create(inputs("DC0_C0_H0")))
        assert outs["driverVersion"] == lab.vgpu_managers["DC0_C0_H0"] == "550.127.06"
        assert outs["driverPackage"] == "NVD-VGPU-800 550.127.06-1OEM.800.1.0.20613240"
    finally:
        inspector.close()


def test_refresh_reads_the_driver_and_a_removed_one_is_drift(provider: HostGraphicsProvider,
                                                             lab: Any) -> None:
    host = lab.host_names[0]
    created = outs_of(provider.create(inputs(host)))
    read = provider.read(created["hostId"], created)
    assert outs_of(read)["driverVersion"] == created["driverVersion"] is not None
    assert provider.drifted(created) is False
    assert provider.drifted({**created, "driverVersion": None}) is True
    # State written before the driver was reported is no drift.
    assert provider.drifted({k: v for k, v in created.items() if k != "driverVersion"}) is False


def test_the_hosts_profile_facts_must_agree_with_the_catalog(vcsim_factory: Any) -> None:
    # grid_p100-4q is a 4 GB time-sliced profile in the catalog.
    agreeing = vcsim_factory(hosts=1)
    with Inspector(agreeing) as inspector:
        provider = configure(HostGraphicsProvider(), agreeing)
        provider.create(inputs(agreeing.host_names[0]))
        infos = inspector.host(agreeing.host_names[0]).configManager.graphicsManager \
            .RetrieveVgpuProfileInfo()
        four = next(i for i in infos if i.profileName == "grid_p100-4q")
        assert (four.fbSizeInGib, four.profileSharing, four.profileClass) == (
            4, "timeSliced", "quadro")
        assert four.deviceVendorId == 0x15F8 << 16 | 0x10DE

    lab = vcsim_factory(hosts=1, reported_framebuffer={"grid_p100-4q": 8})
    provider = configure(HostGraphicsProvider(), lab)
    with pytest.raises(VsphereError) as failure:
        provider.create(inputs(lab.host_names[0]))
    assert str(failure.value).startswith(
        f"host {lab.host_names[0]} reports vGPU profile grid_p100-4q with a frame buffer of 8 GiB, "
        "the catalog 4 GB (HostGraphicsManager.RetrieveVgpuProfileInfo against ")

    # A 6.5 host has no such call: nothing to compare, the pool converges.
    old = vcsim_factory(hosts=1, api_version="6.5", reported_framebuffer={"grid_p100-4q": 8})
    outs = outs_of(configure(HostGraphicsProvider(), old).create(inputs(old.host_names[0])))
    assert outs["hostProfile"] == "grid_p100-4q"
