"""The dev stack's whole life through the real Pulumi engine (Automation API, file backend).

The CLI, the Python language host and the dynamic-provider plugin are the ones `make tools`
puts in .tools/bin; the labs are this module's own. One stack, in order, like consecutive runs
of a user: preview; up (what vRA and vCenter then hold, the capacity against `plan`); preview,
refresh and up with no changes (no write call); a one-key change; a new container image that
reaches what users request; an offering renamed (new objects before the old ones go); a pool's
vGPU profile change (the template is replaced, the blueprints move to the new one before the old
one is deleted); a removed offering; destroy back to both labs' seed; and a stack violating a
mandatory policy, refused at preview.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from pyVmomi import vim

from lab.automation import PROJECT, EngineStack, cli_built
from lab.vcsim import VcsimLab
from lab.vcsim.client import connect, vm_names
from lab.vra import VraLab
from tests.support.managed import Managed
from tests.support.vra_fixture import VraApi

WRITE_METHODS = {"POST", "PUT", "DELETE", "PATCH"}

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
    # Each host's NVIDIA vGPU Manager, as the host lists it (HostImageConfigManager).
    hosts = outputs["gpuHosts"].value["p100-pool"]
    assert {h["hostName"]: h["driverVersion"] for h in hosts} == {
        name: "550.127.06" for name in ("DC0_C0_H0", "DC0_C0_H1", "DC0_C0_H2")}


def _api(vra: VraLab) -> VraApi:
    api = VraApi(vra)
    api.login()
    return api


def test_catalog_items_exist_in_the_service_and_are_entitled(
    run: EngineStack, labs: tuple[VcsimLab, VraLab]
) -> None:
    _, vra = labs
    item_ids = run.stack.outputs()["catalogItemIds"].value
    api = _api(vra)
    service = api.get("/catalog-service/api/services",
                      params={"$filter": "name eq 'Machine Learning'"}).json()["content"][0]
    entitlements = api.get("/catalog-service/api/entitlements").json()["content"]
    entitled = {entry["catalogItemRef"]["id"]
                for entitlement in entitlements for entry in entitlement["entitledCatalogItems"]}
    principals = {p["ref"] for entitlement in entitlements for p in entitlement["principals"]}
    for item_id in item_ids.values():
        item = api.get(f"/catalog-service/api/catalogItems/{item_id}").json()
        assert item["serviceRef"]["id"] == service["id"]
        assert item_id in entitled
    assert principals == {"ml-users@vsphere.local"}


def test_hosts_are_in_vgpu_mode_and_the_template_carries_the_vgpu(
    run: EngineStack, labs: tuple[VcsimLab, VraLab]
) -> None:
    vcsim, _ = labs
    template_name = run.stack.outputs()["templateNames"].value["p100-pool"]
    with connect(vcsim) as si:
        content: Managed = si.content
        view = content.viewManager.CreateContainerView(
            content.rootFolder, [vim.HostSystem, vim.VirtualMachine], True
        )
        objects: list[Managed] = list(view.view)
        view.Destroy()
        hosts: list[Managed] = [o for o in objects if isinstance(o, vim.HostSystem)]
        assert {h.name for h in hosts} == {"DC0_C0_H0", "DC0_C0_H1", "DC0_C0_H2"}
        for host in hosts:
            assert host.config.graphicsConfig.hostDefaultGraphicsType == "sharedDirect"
        template: Managed = next(o for o in objects
                                 if isinstance(o, vim.VirtualMachine) and o.name == template_name)
        assert template.config.template is True
        assert template.config.memoryReservationLockedToMax is True
        assert (template.config.hardware.numCPU, template.config.hardware.memoryMB) == (4, 32768)
        devices: list[Managed] = template.config.hardware.device
        backings: list[Managed] = [d.backing for d in devices
                                   if isinstance(d, vim.vm.device.VirtualPCIPassthrough)]
        vgpus = [backing.vgpu for backing in backings]
        assert vgpus == ["grid_p100-4q"]


def test_capacity_outputs_equal_the_offline_plan(run: EngineStack) -> None:
    plan = json.loads(subprocess.run(
        [sys.executable, "-m", "mlaas", "plan", "--json"], cwd=PROJECT,
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout)
    capacity = run.stack.outputs()["slotCapacity"].value
    for pool in plan["pools"]:
        reported = capacity["pools"][pool["name"]]
        for key in ("slotsPerGpu", "slotsPerHost", "slotsTotal", "vcpusPerVm", "coresPerSocket"):
            assert reported[key] == pool[key], key
    for offering in plan["offerings"]:
        assert capacity["offerings"][offering["name"]] == {
            "pool": offering["pool"], "maxInstances": offering["maxInstances"]}


def test_preview_refresh_and_up_then_change_nothing(
    run: EngineStack, labs: tuple[VcsimLab, VraLab]
) -> None:
    _, vra = labs
    run.preview(expect_no_changes=True)
    run.stack.refresh(expect_no_changes=True)
    vra.clear_requests()
    run.up(expect_no_changes=True)
    assert [r for r in vra.requests() if r["method"] in WRITE_METHODS] == []


def test_one_key_change_updates_exactly_that_blueprint(
    run: EngineStack, labs: tuple[VcsimLab, VraLab]
) -> None:
    _, vra = labs

    def fewer(config: dict[str, Any]) -> None:
        config["gpu-mlaas:offerings"][1]["maxInstances"] = 2

    run.edit(fewer)
    run.up()
    changed = [(op, name) for op, name in run.steps() if op != "same"]
    assert changed == [("update", "Blueprint::pytorch-gpu-blueprint")], changed
    deployment = run.stack.export_stack().deployment
    assert deployment is not None
    resources = deployment["resources"]
    document_id = next(r["id"] for r in resources
                       if r["urn"].endswith("vra:Blueprint::pytorch-gpu-blueprint"))
    document = _api(vra).get(f"/composition-service/api/blueprintdocuments/{document_id}").json()
    machine = next(c for c in document["components"].values()
                   if c["type"] == "Infrastructure.CatalogItem.Machine.Virtual.vSphere")
    assert machine["data"]["_cluster"] == {"default": 1, "min": 1, "max": 2}


def _request_template(api: VraApi, item_id: str) -> dict[str, Any]:
    path = f"/catalog-service/api/consumer/entitledCatalogItems/{item_id}/requests/template"
    response = api.get(path)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def test_a_new_image_reaches_what_users_request(
    run: EngineStack, labs: tuple[VcsimLab, VraLab]
) -> None:
    """vRA 7 copies software properties into a blueprint when it is published: a new image
    must reach the blueprint too, or requests keep installing the old one."""
    _, vra = labs
    item_id = run.stack.outputs()["catalogItemIds"].value["tensorflow-gpu"]
    api = _api(vra)
    software = _request_template(api, item_id)["software"]
    assert software["data"]["image"] == "tensorflow/tensorflow:latest-gpu"
    assert software["data"]["host"] == "gpu_vm"  # the lab resolved the binding to the machine
    new_image = "nvcr.io/nvidia/tensorflow:24.01-tf2-py3"

    def newer(config: dict[str, Any]) -> None:
        config["gpu-mlaas:offerings"][0]["image"] = new_image

    run.edit(newer)
    run.up()
    changed = sorted(name for op, name in run.steps() if op != "same")
    assert changed == ["Blueprint::tensorflow-gpu-blueprint",
                       "SoftwareComponent::tensorflow-gpu-software"]
    assert _request_template(api, item_id)["software"]["data"]["image"] == new_image


def test_renaming_an_offering_creates_the_new_objects_before_deleting_the_old(
    run: EngineStack, labs: tuple[VcsimLab, VraLab]
) -> None:
    _, vra = labs
    old_item = run.stack.outputs()["catalogItemIds"].value["pytorch-gpu"]

    def rename(config: dict[str, Any]) -> None:
        config["gpu-mlaas:offerings"][1]["name"] = "pytorch_gpu"  # its own ids

    run.edit(rename)
    outputs = run.up().outputs
    steps = [(op, name) for op, name in run.steps() if op != "same"]
    created = [i for i, (op, _) in enumerate(steps) if op == "create"]
    deleted = [i for i, (op, _) in enumerate(steps) if op == "delete"]
    assert ("create", "Blueprint::pytorch_gpu-blueprint") in steps
    assert ("delete", "Blueprint::pytorch-gpu-blueprint") in steps
    assert max(created) < min(deleted)  # every new object exists before an old one goes
    new_item = outputs["catalogItemIds"].value["pytorch_gpu"]
    assert "pytorch-gpu" not in outputs["catalogItemIds"].value and new_item != old_item
    api = _api(vra)
    assert api.get(f"/catalog-service/api/catalogItems/{new_item}").status_code == 200
    assert api.get(f"/catalog-service/api/catalogItems/{old_item}").status_code == 404


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
    assert "Blueprint::pytorch_gpu-blueprint" in deleted
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
