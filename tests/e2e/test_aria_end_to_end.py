"""The dev-aria stack: the real program against the vCenter lab and the Aria lab, every dynamic
resource through the SDK provider host. Deploy, a second run that changes nothing, destroy back
to both labs' seed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from lab.aria import AriaLab, start_aria
from lab.vcsim import VcsimLab, start_vcsim
from lab.vcsim.client import vm_names
from tests.support.aria_fixture import STACK, AriaApi, aria_stack_config
from tests.support.dynamic_host import DynamicHost
from tests.support.engine import LabEngine

WRITE_METHODS = {"POST", "PUT", "DELETE", "PATCH"}


def _objects(aria: AriaLab) -> dict[str, Any]:
    return {k: v for k, v in aria.state().items() if k not in ("tokens", "requests", "faults")}


@pytest.fixture(scope="module")
def labs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[VcsimLab, AriaLab]]:
    folder = tmp_path_factory.mktemp("e2e-aria")
    # Aria data-collects the new vGPU templates from the vCenter lab as fabric images.
    with start_vcsim(ca_dir=folder) as vcsim, start_aria(vcenter=vcsim) as aria:
        yield vcsim, aria


@pytest.fixture(scope="module")
def deployment(labs: tuple[VcsimLab, AriaLab]) -> Iterator[dict[str, Any]]:
    vcsim, aria = labs
    config, secret_keys = aria_stack_config(vcsim, aria)
    with DynamicHost(config=config) as host:
        engine = LabEngine(host=host, stack=STACK)
        state = {"engine": engine, "config": config, "secret_keys": secret_keys,
                 "vm_names_before": vm_names(vcsim), "seed": _objects(aria)}
        state["outputs"] = engine.up(config, secret_keys)
        state["first_operations"] = list(engine.operations)
        yield state


def test_deploy_publishes_both_offerings(
    deployment: dict[str, Any], labs: tuple[VcsimLab, AriaLab]
) -> None:
    _, aria = labs
    kinds = [key.split("::")[0].rsplit(":", 1)[-1] for _, key in deployment["first_operations"]]
    assert {op for op, _ in deployment["first_operations"]} == {"create"}
    assert sorted(set(kinds)) == ["CatalogItem", "CloudTemplate", "ContentSource",
                                  "CustomizationSpec", "FlavorProfile", "HostGraphics",
                                  "ImageProfile", "Project", "SharingPolicy", "TemplateVersion",
                                  "VgpuTemplate"]
    item_ids = deployment["outputs"]["catalogItemIds"]
    assert set(item_ids) == {"tensorflow-gpu", "pytorch-gpu"}
    assert sorted(aria.state()["catalogItems"]["ids"]) == sorted(item_ids.values())
    # Shared with ml-users: its member sees both items.
    consumer = AriaApi(aria)
    consumer.login("data-scientist", "VMware1!")
    seen = consumer.call("GET", "/catalog/api/items").json()["content"]
    assert sorted(i["id"] for i in seen) == sorted(item_ids.values())


def test_no_secret_reaches_state(
    deployment: dict[str, Any], labs: tuple[VcsimLab, AriaLab]
) -> None:
    _, aria = labs
    engine: LabEngine = deployment["engine"]
    records = [{"inputs": r.inputs, "outputs": r.outputs} for r in engine.state.values()]
    stored = json.dumps(records, default=str)
    assert aria.password not in stored
    assert "refresh_token" not in stored and "Bearer" not in stored


def test_image_mappings_clone_the_pool_template(
    deployment: dict[str, Any], labs: tuple[VcsimLab, AriaLab]
) -> None:
    _, aria = labs
    api = AriaApi(aria)
    api.login()
    template = deployment["outputs"]["templateNames"]["p100-pool"]
    profiles = api.call("GET", "/iaas/api/image-profiles").json()["content"]
    images = {m["name"] for p in profiles for m in p["imageMappings"]["mapping"].values()}
    assert images == {template}
    flavors = api.call("GET", "/iaas/api/flavor-profiles").json()["content"]
    sizes = {(m["cpuCount"], m["memoryInMB"])
             for p in flavors for m in p["flavorMappings"]["mapping"].values()}
    assert sizes == {(4, 32768)}


def test_second_run_changes_nothing(
    deployment: dict[str, Any], labs: tuple[VcsimLab, AriaLab]
) -> None:
    _, aria = labs
    engine: LabEngine = deployment["engine"]
    aria.clear_requests()
    outputs = engine.up(deployment["config"], deployment["secret_keys"])
    assert {op for op, _ in engine.operations} == {"same"}
    assert outputs["catalogItemIds"] == deployment["outputs"]["catalogItemIds"]
    assert [r for r in aria.requests() if r["method"] in WRITE_METHODS] == []


def test_a_new_max_instances_releases_a_new_version(
    deployment: dict[str, Any], labs: tuple[VcsimLab, AriaLab]
) -> None:
    _, aria = labs
    engine: LabEngine = deployment["engine"]
    config = dict(deployment["config"])
    offerings = json.loads(config["gpu-mlaas:offerings"])
    offerings[0]["maxInstances"] = 2
    config["gpu-mlaas:offerings"] = json.dumps(offerings)
    outputs = engine.up(config, deployment["secret_keys"])
    changed = {(op, key.rsplit("::", 1)[-1]) for op, key in engine.operations if op != "same"}
    assert changed == {("update", "tensorflow-gpu-template"),
                       ("replace", "tensorflow-gpu-version"),
                       ("update", "aria-content-source")}
    assert outputs["catalogItemIds"] == deployment["outputs"]["catalogItemIds"]
    versions = aria.state()["versions"]
    assert (versions["count"], versions["released"]) == (3, 2)  # the old one unreleased
    engine.up(config, deployment["secret_keys"])
    assert {op for op, _ in engine.operations} == {"same"}


def test_destroy_leaves_the_labs_at_their_seed(
    deployment: dict[str, Any], labs: tuple[VcsimLab, AriaLab]
) -> None:
    vcsim, aria = labs
    engine: LabEngine = deployment["engine"]
    engine.destroy()
    after = _objects(aria)
    seed = deployment["seed"]
    # Versions cannot be deleted in Aria, only unreleased; they went with their templates here.
    assert after == seed
    assert vm_names(vcsim) == deployment["vm_names_before"]
