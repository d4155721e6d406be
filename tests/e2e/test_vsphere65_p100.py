"""The white paper's setup stays supported: the dev stack (a P100 pool, grid_p100-4q) through
the real engine against a vCenter lab that presents vSphere 6.5 (API 6.5, so pyVmomi speaks the
6.5 schema and no vSphere 7/8 property may reach it): up converges, a refresh and a second up
change nothing, destroy leaves the lab as seeded."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pyVmomi import vim

from lab.automation import EngineStack, cli_built
from lab.vcsim import VcsimLab
from lab.vcsim.client import connect, vm_names
from lab.vra import VraLab
from tests.e2e.conftest import engine_stack, lab_pair
from tests.support.managed import Managed

pytestmark = pytest.mark.skipif(
    not cli_built(), reason="the Pulumi CLI is not built: run `make tools` (make test does)"
)


@pytest.fixture(scope="module")
def labs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[VcsimLab, VraLab]]:
    with lab_pair(tmp_path_factory, "vsphere65", api_version="6.5") as pair:
        yield pair


@pytest.fixture(scope="module")
def seed(labs: tuple[VcsimLab, VraLab]) -> set[str]:
    return vm_names(labs[0])


@pytest.fixture(scope="module")
def run(
    tmp_path_factory: pytest.TempPathFactory, labs: tuple[VcsimLab, VraLab], seed: set[str]
) -> Iterator[EngineStack]:
    with engine_stack(tmp_path_factory, "vsphere65", labs) as stack:
        yield stack


def _objects(si: Managed, kind: type) -> list[Managed]:
    view = si.content.viewManager.CreateContainerView(si.content.rootFolder, [kind], True)
    try:
        return list(view.view)
    finally:
        view.Destroy()


def test_the_lab_presents_vsphere_6_5(labs: tuple[VcsimLab, VraLab]) -> None:
    with connect(labs[0]) as si:
        assert si.content.about.apiVersion == "6.5"
        assert si._stub.versionId == '"urn:vim25/6.5"'


def test_up_converges_the_p100_pool(run: EngineStack, labs: tuple[VcsimLab, VraLab]) -> None:
    outputs = run.up().outputs
    assert outputs["slotCapacity"].value["pools"]["p100-pool"]["slotsTotal"] == 12
    assert set(outputs["catalogItemIds"].value) == {"tensorflow-gpu", "pytorch-gpu"}
    template_name = outputs["templateNames"].value["p100-pool"]
    with connect(labs[0]) as si:
        hosts = _objects(si, vim.HostSystem)
        graphics = {h.name: {g.graphicsType for g in h.config.graphicsInfo} for h in hosts}
        assert graphics == {name: {"sharedDirect"} for name in labs[0].host_names}
        template = next(o for o in _objects(si, vim.VirtualMachine) if o.name == template_name)
        vgpus = [getattr(d.backing, "vgpu", None) for d in template.config.hardware.device
                 if hasattr(d.backing, "vgpu")]
        assert vgpus == ["grid_p100-4q"]


def test_refresh_and_a_second_up_change_nothing(run: EngineStack) -> None:
    run.stack.refresh(expect_no_changes=True)
    run.up(expect_no_changes=True)


def test_destroy_leaves_the_lab_as_seeded(
    run: EngineStack, labs: tuple[VcsimLab, VraLab], seed: set[str]
) -> None:
    run.stack.destroy()
    assert vm_names(labs[0]) == seed
