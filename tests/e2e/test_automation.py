"""The dev stack's whole life through the real Pulumi engine (Automation API, file backend).

The CLI, the Python language host and the dynamic-provider plugin are the ones `make tools`
puts in .tools/bin; the labs are this module's own. One stack, in order: preview; up; preview
and refresh with no changes; a one-key change; a pool's vGPU profile change (the template is
replaced, the blueprints move to the new one before the old one is deleted); a removed offering;
destroy back to both labs' seed; and a stack violating a mandatory policy, refused at preview.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from lab.automation import EngineStack, cli_built
from lab.vcsim import VcsimLab
from lab.vcsim.client import vm_names
from lab.vra import VraLab

pytestmark = pytest.mark.skipif(
    not cli_built(), reason="the Pulumi CLI is not built: run `make tools` (make test does)"
)


@pytest.fixture(scope="module")
def run(
    tmp_path_factory: pytest.TempPathFactory, labs: tuple[VcsimLab, VraLab]
) -> Iterator[EngineStack]:
    vcsim, vra = labs
    stack = EngineStack("automation", vcsim, vra, tmp_path_factory.mktemp("automation-state"))
    try:
        yield stack
    finally:
        stack.close()


@pytest.fixture(scope="module")
def seed(labs: tuple[VcsimLab, VraLab]) -> dict[str, Any]:
    vcsim, vra = labs
    return {"vms": vm_names(vcsim), "vra": vra.state()}


def test_preview_plans_every_resource(run: EngineStack, seed: dict[str, Any]) -> None:
    result = run.preview()
    assert result.change_summary.get("create", 0) >= 12, result.change_summary
    assert set(result.change_summary) == {"create"}


def test_up_creates_the_catalog_and_reports_capacity(run: EngineStack) -> None:
    result = run.up()
    outputs = result.outputs
    assert set(outputs["catalogItemIds"].value) == {"tensorflow-gpu", "pytorch-gpu"}
    assert outputs["slotCapacity"].value["pools"]["p100-pool"]["slotsTotal"] == 12
    assert all(op == "create" for op, _ in run.steps() if not _.startswith("Stack::"))


def test_preview_and_refresh_then_show_no_changes(run: EngineStack) -> None:
    run.preview(expect_no_changes=True)
    run.stack.refresh(expect_no_changes=True)


def test_one_key_change_updates_exactly_that_blueprint(run: EngineStack) -> None:
    def fewer(config: dict[str, Any]) -> None:
        config["gpu-mlaas:offerings"][1]["maxInstances"] = 2

    run.edit(fewer)
    run.up()
    changed = [(op, name) for op, name in run.steps() if op != "same"]
    assert changed == [("update", "Blueprint::pytorch-gpu-blueprint")], changed


def test_profile_change_replaces_the_template_after_the_blueprints_moved(
    run: EngineStack, labs: tuple[VcsimLab, VraLab]
) -> None:
    vcsim, _ = labs
    before = run.stack.outputs()["templateNames"].value["p100-pool"]

    def larger_vgpu(config: dict[str, Any]) -> None:
        config["gpu-mlaas:pools"][0]["vgpuProfile"] = "grid_p100-8q"  # 2 per GPU, 6 slots

    run.edit(larger_vgpu)
    result = run.up()
    after = result.outputs["templateNames"].value["p100-pool"]
    assert after != before
    steps = run.steps()
    ops = [op for op, name in steps]
    created = ops.index("create-replacement")
    deleted = ops.index("delete-replaced")
    blueprint_updates = [i for i, (op, name) in enumerate(steps)
                         if name.startswith("Blueprint::") and op == "update"]
    assert steps[created][1].startswith("VgpuTemplate::")
    assert steps[deleted][1].startswith("VgpuTemplate::")
    assert blueprint_updates and created < min(blueprint_updates)
    assert max(blueprint_updates) < deleted
    names = vm_names(vcsim)
    assert after in names and before not in names


def test_removed_offering_is_deleted(run: EngineStack, labs: tuple[VcsimLab, VraLab]) -> None:
    _, vra = labs

    def drop_pytorch(config: dict[str, Any]) -> None:
        config["gpu-mlaas:offerings"] = config["gpu-mlaas:offerings"][:1]

    run.edit(drop_pytorch)
    result = run.up()
    assert set(result.outputs["catalogItemIds"].value) == {"tensorflow-gpu"}
    deleted = {name for op, name in run.steps() if op == "delete"}
    assert "Blueprint::pytorch-gpu-blueprint" in deleted
    assert all("pytorch" in name for name in deleted), deleted
    assert vra.state()["blueprints"]["count"] == 1


def test_destroy_returns_both_labs_to_their_seed(
    run: EngineStack, labs: tuple[VcsimLab, VraLab], seed: dict[str, Any]
) -> None:
    vcsim, vra = labs
    run.stack.destroy()
    state = vra.state()
    for kind in ("softwareComponents", "blueprints", "catalogItems", "services"):
        assert state[kind]["count"] == seed["vra"][kind]["count"], (kind, state[kind])
    # vRA 7 has no DELETE for entitlements: they end INACTIVE, with no items.
    assert state["entitlements"]["activeIds"] == seed["vra"]["entitlements"]["activeIds"]
    assert vm_names(vcsim) == seed["vms"]


def test_mandatory_policy_violation_fails_preview(run: EngineStack) -> None:
    from pulumi.automation import CommandError

    def tls_off(config: dict[str, Any]) -> None:
        vra = config["gpu-mlaas:vra"]
        vra.pop("caBundle", None)
        vra["insecure"] = True
        # Past the program's own refusal (not a lab stack), so the policy pack is what stops it.
        config["gpu-mlaas:insecureTlsAcknowledged"] = True

    run.edit(tls_off)
    with pytest.raises(CommandError) as failure:
        run.preview()
    assert "tls-verification-required" in str(failure.value)
