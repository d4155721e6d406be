"""A lab stack through the real engine whose pool has a host that activates a changed graphics
type only on reboot (ESXi 7.0 U1+, Broadcom KB 318047): `pulumi up` fails saying a reboot is
needed and why; with the pool's `maintenanceMode: true` it reboots that host in maintenance
mode and converges; a refresh afterwards changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pyVmomi import vim

from lab.automation import EngineStack, cli_built
from lab.vcsim import VcsimLab
from lab.vcsim.client import connect
from lab.vra import VraLab
from tests.e2e.conftest import engine_stack, failed_up, lab_pair

pytestmark = pytest.mark.skipif(
    not cli_built(), reason="the Pulumi CLI is not built: run `make tools` (make test does)"
)
REBOOT_ONLY = "DC0_C0_H1"


@pytest.fixture(scope="module")
def labs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[VcsimLab, VraLab]]:
    with lab_pair(tmp_path_factory, "reboothost", reboot_only=[REBOOT_ONLY]) as pair:
        yield pair


@pytest.fixture(scope="module")
def run(
    tmp_path_factory: pytest.TempPathFactory, labs: tuple[VcsimLab, VraLab]
) -> Iterator[EngineStack]:
    with engine_stack(tmp_path_factory, "reboothost", labs) as stack:
        yield stack


def test_without_maintenance_mode_up_says_a_reboot_is_needed(run: EngineStack) -> None:
    text = failed_up(run)
    assert (f"host {REBOOT_ONLY}: GPU(s) 0000:3b:00.0 still run shared after an X.Org restart: "
            "this host activates a changed graphics type only on reboot") in text
    assert "maintenanceMode: true on pool 'p100-pool'" in text


def test_with_maintenance_mode_the_host_is_rebooted_and_the_pool_converges(
    run: EngineStack, labs: tuple[VcsimLab, VraLab]
) -> None:
    def allow(config: dict[str, Any]) -> None:
        config["gpu-mlaas:pools"][0]["maintenanceMode"] = True

    run.edit(allow)
    outputs = run.up().outputs
    assert outputs["slotCapacity"].value["pools"]["p100-pool"]["slotsTotal"] == 12
    with connect(labs[0]) as si:
        content: Any = si.content
        view = content.viewManager.CreateContainerView(content.rootFolder, [vim.HostSystem], True)
        hosts: dict[str, Any] = {h.name: h for h in view.view}
        view.Destroy()
        rebooted = hosts.pop(REBOOT_ONLY)
        # Only that host was rebooted (its boot time is the newest), and it is back in service.
        assert all(rebooted.runtime.bootTime > h.runtime.bootTime for h in hosts.values())
        assert rebooted.runtime.inMaintenanceMode is False
        assert [g.graphicsType for g in rebooted.config.graphicsInfo] == ["sharedDirect"]
    run.stack.refresh(expect_no_changes=True)
