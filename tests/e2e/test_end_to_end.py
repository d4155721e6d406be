"""The whole program against both labs, every dynamic resource through the SDK provider host.

One lifecycle, in order: deploy, a no-change run, a one-key change, destroy. The steps share
one vCenter lab, one vRA lab and one provider host, like consecutive `pulumi up` runs of a stack.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from pyVmomi import vim

from lab.vcsim import VcsimLab
from lab.vcsim.client import connect, vm_names
from lab.vra import VraLab
from tests.support.dynamic_host import PROJECT_ROOT, DynamicHost
from tests.support.engine import LabEngine, stack_config
from tests.support.managed import Managed
from tests.support.vra_fixture import VraApi

WRITE_METHODS = {"POST", "PUT", "DELETE", "PATCH"}


@pytest.fixture(scope="module")
def labs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[VcsimLab, VraLab]]:
    from lab.vcsim import start_vcsim
    from lab.vra import start_vra

    folder = tmp_path_factory.mktemp("e2e")
    with start_vcsim(ca_dir=folder) as vcsim, start_vra(
        ca_file=folder / "vra-ca.pem", vcenter=vcsim  # vRA data-collects the new templates
    ) as vra:
        yield vcsim, vra


@pytest.fixture(scope="module")
def deployment(labs: tuple[VcsimLab, VraLab]) -> Iterator[dict[str, Any]]:
    vcsim, vra = labs
    config, secret_keys = stack_config(vcsim, vra)
    with DynamicHost(config=config) as host:
        engine = LabEngine(host=host)
        state = {"engine": engine, "config": config, "secret_keys": secret_keys,
                 "vm_names_before": vm_names(vcsim), "vra_seed": vra.state()}
        state["outputs"] = engine.up(config, secret_keys)
        state["first_operations"] = list(engine.operations)
        yield state


def test_deploy_creates_every_resource(deployment: dict[str, Any]) -> None:
    kinds = [key.split("::")[0].rsplit(":", 1)[-1] for op, key in deployment["first_operations"]]
    assert all(op == "create" for op, _ in deployment["first_operations"])
    assert sorted(set(kinds)) == ["Blueprint", "CatalogItem", "CatalogService",
                                  "CustomizationSpec", "Entitlement", "HostGraphics",
                                  "SoftwareComponent", "VgpuTemplate"]
    assert kinds.count("HostGraphics") == 3 and kinds.count("Blueprint") == 2


def test_catalog_items_exist_and_are_entitled(
    deployment: dict[str, Any], labs: tuple[VcsimLab, VraLab]
) -> None:
    _, vra = labs
    item_ids = deployment["outputs"]["catalogItemIds"]
    assert set(item_ids) == {"tensorflow-gpu", "pytorch-gpu"}
    api = VraApi(vra)
    api.login()
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


def test_hosts_are_in_vgpu_mode_and_templates_carry_the_vgpu(
    deployment: dict[str, Any], labs: tuple[VcsimLab, VraLab]
) -> None:
    vcsim, _ = labs
    template_name = deployment["outputs"]["templateNames"]["p100-pool"]
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


def test_capacity_outputs_equal_the_offline_plan(deployment: dict[str, Any]) -> None:
    plan = json.loads(subprocess.run(
        [sys.executable, "-m", "mlaas", "plan", "--json"], cwd=PROJECT_ROOT,
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout)
    capacity = deployment["outputs"]["slotCapacity"]
    for pool in plan["pools"]:
        reported = capacity["pools"][pool["name"]]
        for key in ("slotsPerGpu", "slotsPerHost", "slotsTotal", "vcpusPerVm", "coresPerSocket"):
            assert reported[key] == pool[key], key
    for offering in plan["offerings"]:
        assert capacity["offerings"][offering["name"]] == {
            "pool": offering["pool"], "maxInstances": offering["maxInstances"]}


def test_second_run_changes_nothing(
    deployment: dict[str, Any], labs: tuple[VcsimLab, VraLab]
) -> None:
    _, vra = labs
    engine: LabEngine = deployment["engine"]
    vra.clear_requests()
    outputs = engine.up(deployment["config"], deployment["secret_keys"])
    assert {op for op, _ in engine.operations} == {"same"}
    writes = [r for r in vra.requests() if r["method"] in WRITE_METHODS]
    assert writes == []
    assert outputs["catalogItemIds"] == deployment["outputs"]["catalogItemIds"]


def test_changing_max_instances_updates_exactly_that_blueprint(
    deployment: dict[str, Any], labs: tuple[VcsimLab, VraLab]
) -> None:
    _, vra = labs
    engine: LabEngine = deployment["engine"]
    config = dict(deployment["config"])
    offerings = json.loads(config["gpu-mlaas:offerings"])
    offerings[1]["maxInstances"] = 2
    config["gpu-mlaas:offerings"] = json.dumps(offerings)
    engine.up(config, deployment["secret_keys"])
    deployment["config"] = config  # what the stack holds from now on
    changed = [(op, key) for op, key in engine.operations if op != "same"]
    assert changed == [("update", "pulumi-python:dynamic/vra:Blueprint::pytorch-gpu-blueprint")]
    api = VraApi(vra)
    api.login()
    blueprint_id = engine.state["pulumi-python:dynamic/vra:Blueprint::pytorch-gpu-blueprint"].id
    document = api.get(f"/composition-service/api/blueprintdocuments/{blueprint_id}").json()
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
    deployment: dict[str, Any], labs: tuple[VcsimLab, VraLab]
) -> None:
    """vRA 7 copies software properties into a blueprint when it is published: a new image
    must reach the blueprint too, or requests keep installing the old one."""
    _, vra = labs
    engine: LabEngine = deployment["engine"]
    config = dict(deployment["config"])
    offerings = json.loads(config["gpu-mlaas:offerings"])
    with_image = next(o for o in offerings if o.get("image"))
    item_id = deployment["outputs"]["catalogItemIds"][with_image["name"]]
    api = VraApi(vra)
    api.login()
    software = _request_template(api, item_id)["software"]
    assert software["data"]["image"] == with_image["image"]
    assert software["data"]["host"] == "gpu_vm"  # the lab resolved the binding to the machine

    with_image["image"] = "nvcr.io/nvidia/pytorch:24.01-py3"
    config["gpu-mlaas:offerings"] = json.dumps(offerings)
    engine.up(config, deployment["secret_keys"])
    changed = sorted(key.split("::")[-1] for op, key in engine.operations if op != "same")
    name = with_image["name"]
    assert changed == [f"{name}-blueprint", f"{name}-software"]
    assert _request_template(api, item_id)["software"]["data"]["image"] == with_image["image"]


def test_renaming_an_offering_creates_the_new_objects_before_deleting_the_old(
    deployment: dict[str, Any], labs: tuple[VcsimLab, VraLab]
) -> None:
    _, vra = labs
    engine: LabEngine = deployment["engine"]
    config = dict(deployment["config"])
    offerings = json.loads(config["gpu-mlaas:offerings"])
    old_name = offerings[1]["name"]
    new_name = old_name.replace("-", "_")  # differs only in punctuation: its own ids
    offerings[1]["name"] = new_name
    config["gpu-mlaas:offerings"] = json.dumps(offerings)
    old_item = deployment["outputs"]["catalogItemIds"][old_name]
    outputs = engine.up(config, deployment["secret_keys"])
    deployment["config"] = config

    ops = [(op, key.split("::")[-1]) for op, key in engine.operations if op != "same"]
    created = [i for i, (op, key) in enumerate(ops) if op == "create"]
    deleted = [i for i, (op, key) in enumerate(ops) if op == "delete"]
    assert {key for op, key in ops if op == "create"} >= {f"{new_name}-blueprint"}
    assert {key for op, key in ops if op == "delete"} >= {f"{old_name}-blueprint"}
    assert max(created) < min(deleted)  # every new object exists before an old one goes
    new_item = outputs["catalogItemIds"][new_name]
    assert old_name not in outputs["catalogItemIds"] and new_item != old_item
    api = VraApi(vra)
    api.login()
    assert api.get(f"/catalog-service/api/catalogItems/{new_item}").status_code == 200
    assert api.get(f"/catalog-service/api/catalogItems/{old_item}").status_code == 404
    software = _request_template(api, new_item)["software"]
    assert software["data"]["host"] == "gpu_vm"
    deployment["outputs"] = outputs


def test_destroy_returns_both_labs_to_their_seed(
    deployment: dict[str, Any], labs: tuple[VcsimLab, VraLab]
) -> None:
    vcsim, vra = labs
    engine: LabEngine = deployment["engine"]
    engine.destroy()
    state = vra.state()
    for kind in ("softwareComponents", "blueprints", "catalogItems", "services"):
        assert state[kind]["count"] == 0, (kind, state[kind])
    # vRA 7 has no DELETE for entitlements: they end INACTIVE, with no items.
    assert state["entitlements"]["activeIds"] == []
    assert vm_names(vcsim) == deployment["vm_names_before"]


def test_provider_host_left_no_vcenter_session(labs: tuple[VcsimLab, VraLab]) -> None:
    # Runs after the module's provider host has stopped (fixture teardown order is not enough
    # here, so this test owns a host of its own): one process, one session, none left behind.
    from lab.vcsim.client import open_sessions

    vcsim, vra = labs
    config, _ = stack_config(vcsim, vra)
    before = len(open_sessions(vcsim))
    with DynamicHost(config=config) as host:
        from providers.vsphere.host_graphics import HostGraphicsProvider
        from tests.support.dynamic_host import provider_blob, urn

        blob = provider_blob(HostGraphicsProvider())
        for name in ("DC0_C0_H0", "DC0_C0_H1"):
            props = {"__provider": blob, "hostName": name, "pool": "p",
                     "vgpuProfile": "grid_p100-4q", "assignmentPolicy": "performance"}
            token = urn("pulumi-python:dynamic/vsphere:HostGraphics", name)
            inputs, _ = host.check(token, {}, props)
            host.create(token, inputs)
        assert len(open_sessions(vcsim)) == before + 1
    assert len(open_sessions(vcsim)) == before


def plain_passwords(value: Any, path: str) -> Iterator[str]:
    """Key paths of password values that are not `{secure: ...}`."""
    if isinstance(value, dict):
        for key, child in value.items():
            where = f"{path}.{key}"
            if "password" in str(key).lower() and not (
                isinstance(child, dict) and set(child) == {"secure"}
            ):
                yield where
            yield from plain_passwords(child, where)
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from plain_passwords(child, f"{path}[{index}]")


def test_the_password_scan_finds_plain_passwords_and_passes_secrets() -> None:
    config = {"vsphere:password": "hunter2", "gpu-mlaas:vra": {"password": {"secure": "v1:x"}},
              "gpu-mlaas:other": [{"adminPassword": "p"}]}
    assert list(plain_passwords(config, "f")) == [
        "f.vsphere:password", "f.gpu-mlaas:other[0].adminPassword"]


def test_committed_stack_files_hold_no_plain_password() -> None:
    stack_files = sorted(PROJECT_ROOT.glob("Pulumi.*.yaml"))
    assert {"Pulumi.dev.yaml", "Pulumi.example.yaml"} <= {path.name for path in stack_files}
    for stack_file in stack_files:
        config = yaml.safe_load(stack_file.read_text()).get("config", {})
        assert list(plain_passwords(config, stack_file.name)) == []
