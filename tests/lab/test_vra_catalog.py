"""vRA lab, catalog-service: services, assigning items to a service, entitlements."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.vra_fixture import (
    VraApi,
    blueprint_body,
    software_component_body,
    vra_error,
)

SERVICES = "/catalog-service/api/services"
ITEMS = "/catalog-service/api/catalogItems"
BLUEPRINTS = "/composition-service/api/blueprints"
SOFTWARE = "/software-service/api/softwarecomponenttypes"
ENTITLEMENTS = "/catalog-service/api/entitlements"


def service_body(name: str = "Machine Learning") -> dict[str, Any]:
    return {
        "name": name,
        "description": "GPU machine learning VMs",
        "status": "ACTIVE",
        "statusName": "Active",
        "version": 1,
        "organization": {"tenantRef": "vsphere.local", "subtenantRef": None},
        "iconId": "cafe_default_icon_genericService",
        "newDuration": None,
    }


def entitlement_body(api: VraApi, item_id: str | None, name: str = "ML users") -> dict[str, Any]:
    return {
        "name": name,
        "description": "",
        "status": "ACTIVE",
        "statusName": "Active",
        "localScopeForActions": True,
        "organization": {"tenantRef": api.lab.tenant, "subtenantRef": api.lab.business_group_id},
        "principals": [
            {
                "tenantName": api.lab.tenant,
                "ref": "ml-users@vsphere.local",
                "type": "GROUP",
                "value": "ml-users",
            }
        ],
        "entitledCatalogItems": (
            [{"catalogItemRef": {"id": item_id}, "active": True, "approvalPolicyId": None}]
            if item_id
            else []
        ),
        "entitledServices": [],
        "entitledResourceOperations": [],
    }


@pytest.fixture
def item(vra_api: VraApi) -> dict[str, Any]:
    """A published blueprint's catalog item (no publish delay, to keep the tests quick)."""
    vra_api.lab.set_seed(catalogItemDelaySeconds=0)
    vra_api.login()
    vra_api.post(SOFTWARE, software_component_body("TFGpuMotd"))
    body = blueprint_body(
        "MLTensorFlowGPU", vra_api.source_machine(), "TFGpuMotd", name="ML TF GPU"
    )
    vra_api.post(BLUEPRINTS, body | {"publishStatus": "PUBLISHED"})
    return vra_api.wait_for_catalog_item("ML TF GPU")


def test_service_crud(vra_api: VraApi) -> None:
    created = vra_api.post(SERVICES, service_body())
    assert created.status_code == 201
    service = created.json()
    assert created.headers["Location"].endswith(f"{SERVICES}/{service['id']}")
    assert service["status"] == "ACTIVE"
    assert service["organization"]["tenantRef"] == "vsphere.local"
    found = vra_api.get(SERVICES, params={"$filter": "name eq 'Machine Learning'"}).json()
    assert [s["id"] for s in found["content"]] == [service["id"]]
    assert vra_api.get(f"{SERVICES}/{service['id']}").json() == service

    changed = vra_api.get(f"{SERVICES}/{service['id']}").json() | {"description": "new"}
    updated = vra_api.put(f"{SERVICES}/{service['id']}", changed)
    assert updated.status_code == 200
    assert updated.json()["version"] == service["version"] + 1
    assert vra_api.get(f"{SERVICES}/{service['id']}").json()["description"] == "new"

    duplicate = vra_api.post(SERVICES, service_body())
    assert duplicate.status_code == 409
    assert vra_error(duplicate)["code"] == 10101
    assert vra_api.delete(f"{SERVICES}/{service['id']}").status_code == 204
    assert vra_api.get(f"{SERVICES}/{service['id']}").status_code == 404


def test_service_removed_by_put_with_status_deleted(vra_api: VraApi) -> None:
    service = vra_api.post(SERVICES, service_body()).json()
    response = vra_api.put(f"{SERVICES}/{service['id']}", service | {"status": "DELETED"})
    assert response.status_code == 200
    assert vra_api.get(f"{SERVICES}/{service['id']}").status_code == 404
    assert vra_api.lab.state()["services"]["count"] == 0


def test_bad_service_is_400(vra_api: VraApi) -> None:
    nameless = service_body()
    del nameless["name"]
    assert "name" in vra_error(vra_api.post(SERVICES, nameless))["message"]
    wrong_group = service_body() | {"organization": {"subtenantRef": "no-such-group"}}
    response = vra_api.post(SERVICES, wrong_group)
    assert response.status_code == 400
    assert "no-such-group" in vra_error(response)["message"]


def test_assign_item_to_service_with_full_put(vra_api: VraApi, item: dict[str, Any]) -> None:
    service = vra_api.post(SERVICES, service_body()).json()
    assert vra_api.get(f"{ITEMS}/available").json()["metadata"]["totalElements"] == 1
    full = vra_api.get(f"{ITEMS}/{item['id']}").json()
    full["serviceRef"] = {"id": service["id"], "label": "whatever"}
    response = vra_api.put(f"{ITEMS}/{item['id']}", full)
    assert response.status_code == 200
    stored = vra_api.get(f"{ITEMS}/{item['id']}").json()
    assert stored["serviceRef"] == {"id": service["id"], "label": "Machine Learning"}
    in_service = vra_api.get(f"{SERVICES}/{service['id']}/catalogItems").json()["content"]
    assert [i["id"] for i in in_service] == [item["id"]]
    assert vra_api.get(f"{ITEMS}/available").json()["content"] == []
    by_service = vra_api.get(ITEMS, params={"$filter": "service/name eq 'Machine Learning'"})
    assert [i["id"] for i in by_service.json()["content"]] == [item["id"]]

    # Deleting the service puts the item back to "no service".
    vra_api.delete(f"{SERVICES}/{service['id']}")
    assert vra_api.get(f"{ITEMS}/{item['id']}").json()["serviceRef"] is None


def test_item_put_checks(vra_api: VraApi, item: dict[str, Any]) -> None:
    full = vra_api.get(f"{ITEMS}/{item['id']}").json()
    unknown_service = full | {"serviceRef": {"id": "nope"}}
    response = vra_api.put(f"{ITEMS}/{item['id']}", unknown_service)
    assert response.status_code == 400
    assert "nope" in vra_error(response)["message"]
    rebound = full | {"providerBinding": {"bindingId": "x!::!y", "providerRef": {}}}
    response = vra_api.put(f"{ITEMS}/{item['id']}", rebound)
    assert response.status_code == 400
    assert "providerBinding" in vra_error(response)["message"]
    assert vra_api.put(f"{ITEMS}/not-an-item", full).status_code in (400, 404)
    assert vra_api.get(f"{ITEMS}/not-an-item").status_code == 404


def test_entitlement_crud(vra_api: VraApi, item: dict[str, Any]) -> None:
    created = vra_api.post(ENTITLEMENTS, entitlement_body(vra_api, item["id"]))
    assert created.status_code == 201, created.text
    entitlement = created.json()
    assert created.headers["Location"].endswith(f"{ENTITLEMENTS}/{entitlement['id']}")
    assert entitlement["organization"]["subtenantLabel"] == "Machine Learning Group"
    (entry,) = entitlement["entitledCatalogItems"]
    assert entry["catalogItemRef"] == {"id": item["id"], "label": "ML TF GPU"}
    found = vra_api.get(ENTITLEMENTS, params={"$filter": "name eq 'ML users'"}).json()
    assert [e["id"] for e in found["content"]] == [entitlement["id"]]
    of_item = vra_api.get(f"{ITEMS}/{item['id']}/entitlements").json()["content"]
    assert [e["id"] for e in of_item] == [entitlement["id"]]

    emptied = entitlement | {"entitledCatalogItems": []}
    updated = vra_api.put(f"{ENTITLEMENTS}/{entitlement['id']}", emptied)
    assert updated.status_code == 200
    assert updated.json()["version"] == 2
    assert vra_api.get(f"{ENTITLEMENTS}/{entitlement['id']}").json()["entitledCatalogItems"] == []

    assert vra_api.post(ENTITLEMENTS, entitlement_body(vra_api, None)).status_code == 409
    assert vra_api.delete(f"{ENTITLEMENTS}/{entitlement['id']}").status_code == 204
    assert vra_api.get(f"{ENTITLEMENTS}/{entitlement['id']}").status_code == 404
    assert vra_api.delete(f"{ENTITLEMENTS}/{entitlement['id']}").status_code == 404


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda b: b["organization"].update(subtenantRef="no-group"), "no-group"),
        (lambda b: b["principals"][0].update(ref="ghosts@vsphere.local"), "ghosts@vsphere.local"),
        (lambda b: b["principals"][0].update(type="USER"), "ml-users@vsphere.local"),
        (lambda b: b["entitledCatalogItems"][0]["catalogItemRef"].update(id="no-item"), "no-item"),
        (lambda b: b.update(entitledServices=[{"serviceRef": {"id": "no-svc"}}]), "no-svc"),
        # Lower-case keys / an object instead of a list must not be saved silently
        # (docs/vra7-api.md, known pitfalls).
        (lambda b: b.update(entitledCatalogItems={"catalogItemRef": {"id": "x"}}), "entitled"),
        (lambda b: b.update(principals=[]), "principal"),
    ],
)
def test_bad_entitlement_is_400_naming_it(
    vra_api: VraApi, item: dict[str, Any], change, named
) -> None:  # type: ignore[no-untyped-def]
    body = entitlement_body(vra_api, item["id"])
    change(body)
    response = vra_api.post(ENTITLEMENTS, body)
    assert response.status_code == 400
    assert named in vra_error(response)["message"]
    assert vra_api.lab.state()["entitlements"]["count"] == 0


def test_deleting_an_entitled_blueprint_cleans_up(vra_api: VraApi, item: dict[str, Any]) -> None:
    service = vra_api.post(SERVICES, service_body()).json()
    full = vra_api.get(f"{ITEMS}/{item['id']}").json() | {"serviceRef": {"id": service["id"]}}
    vra_api.put(f"{ITEMS}/{item['id']}", full)
    body = entitlement_body(vra_api, item["id"])
    body["entitledServices"] = [{"serviceRef": {"id": service["id"]}}]
    entitlement = vra_api.post(ENTITLEMENTS, body).json()

    assert vra_api.delete(f"{BLUEPRINTS}/MLTensorFlowGPU").status_code == 204
    after = vra_api.get(f"{ENTITLEMENTS}/{entitlement['id']}").json()
    assert after["entitledCatalogItems"] == []
    assert after["version"] == entitlement["version"] + 1
    assert vra_api.get(f"{ITEMS}/{item['id']}").status_code == 404
    assert vra_api.get(f"{SERVICES}/{service['id']}/catalogItems").json()["content"] == []
    # The service goes too: the entitlement loses its service entry.
    vra_api.delete(f"{SERVICES}/{service['id']}")
    assert vra_api.get(f"{ENTITLEMENTS}/{entitlement['id']}").json()["entitledServices"] == []
