"""The Aria providers against the Aria lab: create, read, update, delete, ownership."""

from __future__ import annotations

from typing import Any

import pytest

from lab.aria import AriaLab
from providers.aria.client import client_for
from providers.aria.cloud_template import CloudTemplateProvider
from providers.aria.profiles import ImageProfileProvider
from providers.aria.project import ProjectProvider
from providers.ownership import NotOwnedError
from tests.providers.aria.chain import OWNER, Chain
from tests.support.aria_fixture import AriaApi


def _seed_state(aria: AriaLab) -> dict[str, Any]:
    state = aria.state()
    return {k: v for k, v in state.items() if k not in ("tokens", "requests", "faults")}


def test_deploy_shares_the_item_and_destroy_leaves_the_seed(
    aria_endpoint: dict[str, Any], aria_creds: AriaLab
) -> None:
    before = _seed_state(aria_creds)
    chain = Chain(aria_endpoint)
    made = chain.deploy()
    item_id = made["item"].props["catalogItemId"]
    assert made["project"].props["created"] is False  # the seeded project is used, not made
    assert made["version"].props["status"] == "RELEASED"
    state = aria_creds.state()
    assert state["catalogItems"]["ids"] == [item_id]
    # The sharing policy governs who sees it: a member of ml-users does.
    consumer = AriaApi(aria_creds)
    consumer.login("data-scientist", "VMware1!")
    seen = consumer.call("GET", "/catalog/api/items").json()["content"]
    assert [i["id"] for i in seen] == [item_id]
    chain.destroy()
    assert _seed_state(aria_creds) == before


def test_a_user_outside_the_policy_sees_nothing(
    aria_endpoint: dict[str, Any], aria_creds: AriaLab
) -> None:
    aria_creds.set_seed(users=[*aria_creds.seed["users"],
                               {"username": "outsider", "password": "pw"}])
    chain = Chain(aria_endpoint)
    chain.deploy()
    outsider = AriaApi(aria_creds)
    outsider.login("outsider", "pw")
    assert outsider.call("GET", "/catalog/api/items").json()["content"] == []
    assert outsider.call("GET", "/catalog/api/admin/items").status_code == 403
    chain.destroy()


def test_a_new_project_is_created_owned_and_deleted(
    aria_endpoint: dict[str, Any], aria_creds: AriaLab
) -> None:
    chain = Chain(aria_endpoint, project="gpu-ml-new")
    made = chain.deploy()
    assert made["project"].props["created"] is True
    assert aria_creds.state()["projects"]["count"] == 2
    chain.destroy()
    assert aria_creds.state()["projects"]["count"] == 1


def test_read_notices_deletion_and_change(
    aria_endpoint: dict[str, Any], aria_creds: AriaLab, aria_api: AriaApi
) -> None:
    chain = Chain(aria_endpoint)
    made = chain.deploy()
    template = made["template"]
    blueprint_id = template.props["blueprintId"]
    changed = aria_api.call("PUT", f"/blueprint/api/blueprints/{blueprint_id}",
                            {"name": "tf-gpu", "projectId": template.props["projectId"],
                             "content": template.props["content"],
                             "description": "edited by hand"})
    assert changed.status_code == 200
    read = CloudTemplateProvider().read(blueprint_id, template.props)
    assert read.outs is not None and read.outs["description"] == "edited by hand"
    profile = made["image"]
    assert aria_api.call("DELETE", f"/iaas/api/image-profiles/{profile.id}").status_code == 204
    assert ImageProfileProvider().read(profile.id, profile.props).id == ""
    chain.created.remove(profile)
    # The template lost its marker: deleting it is refused, naming the object.
    with pytest.raises(NotOwnedError, match="Aria cloud template 'tf-gpu'"):
        chain.destroy()


def test_update_rewrites_the_flavor(aria_endpoint: dict[str, Any], aria_creds: AriaLab) -> None:
    chain = Chain(aria_endpoint)
    made = chain.deploy()
    flavor = made["flavor"]
    news = {**flavor.props, "cpuCount": 8}
    result = flavor.provider.update(flavor.id, flavor.props, news)
    assert result.outs is not None and result.outs["cpuCount"] == 8
    stored = client_for(aria_creds.url).get(f"/iaas/api/flavor-profiles/{flavor.id}")
    assert stored is not None
    assert stored["flavorMappings"]["mapping"]["tf-gpu"]["cpuCount"] == 8
    flavor.props = result.outs
    chain.destroy()


def test_an_unmarked_object_of_the_same_name_is_not_adopted(
    aria_endpoint: dict[str, Any], aria_creds: AriaLab, aria_api: AriaApi
) -> None:
    regions = aria_api.call("GET", "/iaas/api/regions").json()["content"]
    made = aria_api.call("POST", "/iaas/api/image-profiles",
                         {"name": "tf-gpu image", "regionId": regions[0]["id"],
                          "imageMapping": {"x": {"name": "ubuntu-base"}}})
    assert made.status_code == 201
    provider = ImageProfileProvider()
    checked = provider.check({}, {"endpoint": aria_endpoint, "name": "tf-gpu image",
                                  "owner": OWNER, "mappingName": "tf-gpu",
                                  "imageName": "ubuntu-base"})
    with pytest.raises(NotOwnedError, match="carries no gpu-mlaas owner marker"):
        provider.create(checked.inputs)


def test_an_existing_project_is_never_deleted(
    aria_endpoint: dict[str, Any], aria_creds: AriaLab
) -> None:
    provider = ProjectProvider()
    checked = provider.check({}, {"endpoint": aria_endpoint, "name": "ml-platform",
                                  "owner": OWNER})
    result = provider.create(checked.inputs)
    assert result.outs is not None and result.outs["created"] is False
    aria_creds.clear_requests()
    provider.delete(str(result.id), result.outs)
    assert aria_creds.requests() == []
    assert aria_creds.state()["projects"]["count"] == 1
