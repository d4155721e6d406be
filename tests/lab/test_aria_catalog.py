"""Aria lab behaviour the providers rely on: imports, sharing, validation, in-use refusals."""

from __future__ import annotations

import time
from typing import Any

from lab.aria import AriaLab
from tests.support.aria_fixture import AriaApi

TEMPLATE = """formatVersion: 1
inputs:
  count: {type: integer, maximum: 2}
resources:
  vm:
    type: Cloud.vSphere.Machine
    properties: {image: ml, flavor: ml, count: '${input.count}'}
"""


def _project_id(aria: AriaLab) -> str:
    return str(aria.seed["projects"][0]["id"])


def _profiles(api: AriaApi) -> None:
    region = api.call("GET", "/iaas/api/regions").json()["content"][0]["id"]
    assert api.call("POST", "/iaas/api/image-profiles", {
        "name": "i", "regionId": region, "imageMapping": {"ml": {"name": "ubuntu-base"}},
    }).status_code == 201
    assert api.call("POST", "/iaas/api/flavor-profiles", {
        "name": "f", "regionId": region, "flavorMapping": {"ml": {"cpuCount": 2,
                                                                  "memoryInMB": 2048}},
    }).status_code == 201


def _template(api: AriaApi, aria: AriaLab, content: str = TEMPLATE) -> dict[str, Any]:
    answer = api.call("POST", "/blueprint/api/blueprints",
                      {"name": "ml", "projectId": _project_id(aria), "content": content})
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def _source(api: AriaApi, aria: AriaLab) -> dict[str, Any]:
    answer = api.call("POST", "/catalog/api/admin/sources", {
        "name": "src", "typeId": "com.vmw.blueprint",
        "config": {"sourceProjectId": _project_id(aria)}})
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def _items(api: AriaApi) -> list[dict[str, Any]]:
    return list(api.call("GET", "/catalog/api/admin/items").json()["content"])


def test_unknown_images_and_flavors_make_an_invalid_template(aria_api: AriaApi,
                                                             aria: AriaLab) -> None:
    region = aria_api.call("GET", "/iaas/api/regions").json()["content"][0]["id"]
    unknown = aria_api.call("POST", "/iaas/api/image-profiles", {
        "name": "i", "regionId": region, "imageMapping": {"ml": {"name": "no-such-template"}}})
    assert unknown.status_code == 400 and "no-such-template" in unknown.text
    bad = _template(aria_api, aria)
    assert bad["valid"] is False
    refused = aria_api.call("POST", f"/blueprint/api/blueprints/{bad['id']}/versions",
                            {"version": "1", "release": True})
    assert refused.status_code == 400 and "not valid" in refused.text


def test_items_appear_after_an_import_of_released_versions(aria_api: AriaApi,
                                                           aria: AriaLab) -> None:
    aria.set_seed(catalogItemDelaySeconds=0.3)
    aria_api.login()
    _profiles(aria_api)
    template = _template(aria_api, aria)
    assert template["valid"] is True
    aria_api.call("POST", f"/blueprint/api/blueprints/{template['id']}/versions",
                  {"version": "1"})
    source = _source(aria_api, aria)
    assert source["itemsImported"] == 0  # versioned, not released: nothing to import
    released = aria_api.call(
        "POST", f"/blueprint/api/blueprints/{template['id']}/versions/1/actions/release")
    assert released.json()["status"] == "RELEASED"
    assert _items(aria_api) == []  # released, but not imported yet
    saved = aria_api.call("POST", "/catalog/api/admin/sources", {**source, "id": source["id"]})
    assert saved.status_code == 200 and saved.json()["itemsImported"] == 1
    assert _items(aria_api) == []  # the import finishes a moment later
    time.sleep(0.35)
    assert [i["name"] for i in _items(aria_api)] == ["ml"]
    assert aria_api.call("DELETE", f"/catalog/api/admin/sources/{source['id']}").status_code == 204
    assert _items(aria_api) == []


def test_sharing_policies_check_items_and_principals(aria_api: AriaApi, aria: AriaLab) -> None:
    aria.set_seed(catalogItemDelaySeconds=0)
    aria_api.login()
    _profiles(aria_api)
    template = _template(aria_api, aria)
    aria_api.call("POST", f"/blueprint/api/blueprints/{template['id']}/versions",
                  {"version": "1", "release": True})
    _source(aria_api, aria)
    (item,) = _items(aria_api)

    def share(principal: dict[str, str], item_id: str = item["id"]) -> Any:
        return aria_api.call("POST", "/policy/api/policies", {
            "typeId": "com.vmware.policy.catalog.entitlement", "name": "p",
            "projectId": _project_id(aria),
            "definition": {"entitledUsers": [{"userType": "USER", "principals": [principal],
                                              "items": [{"id": item_id,
                                                         "type": "CATALOG_ITEM_IDENTIFIER"}]}]},
        }, params={"dryRun": "false"})

    assert share({"type": "GROUP", "referenceId": "nobody@lab.local"}).status_code == 400
    assert share({"type": "USER", "referenceId": "data-scientist"}, "missing").status_code == 400
    consumer = AriaApi(aria)
    consumer.login("data-scientist", "VMware1!")
    assert consumer.call("GET", "/catalog/api/items").json()["content"] == []
    assert share({"type": "USER", "referenceId": "data-scientist"}).status_code == 201
    assert [i["id"] for i in consumer.call("GET", "/catalog/api/items").json()["content"]] == [
        item["id"]]


def test_a_project_in_use_cannot_be_deleted(aria_api: AriaApi, aria: AriaLab) -> None:
    _profiles(aria_api)
    template = _template(aria_api, aria)
    in_use = aria_api.call("DELETE", f"/iaas/api/projects/{_project_id(aria)}")
    assert in_use.status_code == 409
    aria_api.call("DELETE", f"/blueprint/api/blueprints/{template['id']}")
    assert aria_api.call("DELETE", f"/iaas/api/projects/{_project_id(aria)}").status_code == 204


def test_operator_routes_seed_and_reset(aria: AriaLab) -> None:
    assert aria.add_fabric_image("extra-template") == ["ubuntu-base", "extra-template"]
    aria.reset()
    assert aria.state()["fabricImages"] == ["ubuntu-base"]
    aria.set_seed(projects=[])
    assert aria.state()["projects"]["count"] == 0
    aria.restore_seed()
    assert aria.state()["projects"]["count"] == 1


def test_cloud_config_with_a_customization_spec_is_an_invalid_template(
    aria_api: AriaApi, aria: AriaLab
) -> None:
    _profiles(aria_api)
    both = TEMPLATE.replace(
        "count: '${input.count}'}",
        "count: '${input.count}', customizationSpec: linux,\n"
        "                 cloudConfig: \"#cloud-config\\nruncmd: [[true]]\\n\"}")
    template = _template(aria_api, aria, both)
    assert template["valid"] is False
    assert "cloudConfig and customizationSpec" in template["validationMessages"][0]["message"]
    refused = aria_api.call("POST", f"/blueprint/api/blueprints/{template['id']}/versions",
                            {"version": "1", "release": True})
    assert refused.status_code == 400
    either = both.replace("customizationSpec: linux,\n", "")
    assert aria_api.call("PUT", f"/blueprint/api/blueprints/{template['id']}",
                         {**template, "content": either}).json()["valid"] is True
