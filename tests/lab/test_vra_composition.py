"""vRA lab, composition-service: blueprint CRUD, referential checks, publish and catalog items."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.vra_fixture import (
    VraApi,
    blueprint_body,
    software_component_body,
    vra_error,
)

BLUEPRINTS = "/composition-service/api/blueprints"
DOCUMENTS = "/composition-service/api/blueprintdocuments"
SOFTWARE = "/software-service/api/softwarecomponenttypes"
ITEMS = "/catalog-service/api/catalogItems"
ITEM_TYPE = "com.vmware.csp.component.cafe.composition.blueprint"


@pytest.fixture
def with_software(vra_api: VraApi) -> VraApi:
    assert vra_api.post(SOFTWARE, software_component_body("TFGpuMotd")).status_code == 201
    return vra_api


def test_source_machine_lookup(vra_api: VraApi) -> None:
    machine = vra_api.source_machine()
    assert machine["name"] == "ubuntu-gpu-template"
    added = vra_api.lab.add_source_machine("pytorch-gpu-template")
    assert vra_api.source_machine("pytorch-gpu-template")["id"] == added["id"]
    other_platform = vra_api.get(
        "/iaas-proxy-provider/api/source-machines",
        params={"platformTypeId": "Infrastructure.CatalogItem.Machine.Cloud.AWS"},
    )
    assert other_platform.json()["content"] == []
    bad_action = vra_api.get(
        "/iaas-proxy-provider/api/source-machines", params={"actionId": "Teleport"}
    )
    assert bad_action.status_code == 400


def test_blueprint_crud_round_trip(with_software: VraApi) -> None:
    api = with_software
    body = blueprint_body(
        "MLTensorFlowGPU", api.source_machine(), "TFGpuMotd", name="ML TensorFlow GPU"
    )
    created = api.put_blueprint(body)
    assert created.status_code == 201
    assert created.headers["Location"].endswith(f"{DOCUMENTS}/MLTensorFlowGPU")
    stored = api.get(f"{DOCUMENTS}/MLTensorFlowGPU").json()
    assert stored["components"] == body["components"]
    assert stored["status"] == "DRAFT"
    assert stored["version"] == 1 and isinstance(stored["version"], int)
    assert stored["externalId"] == "vsphere.local!::!MLTensorFlowGPU"
    assert set(stored["layout"]) == {"gpu_vm", "tf_sw"}
    listed = api.get(BLUEPRINTS, params={"$filter": "name eq 'ML TensorFlow GPU'"}).json()
    assert [b["id"] for b in listed["content"]] == ["MLTensorFlowGPU"]
    assert listed["content"][0]["publishStatus"] == "DRAFT"
    assert "components" not in listed["content"][0]

    stored["components"]["gpu_vm"]["data"]["_cluster"]["max"] = 2
    updated = api.put_blueprint(stored)
    assert updated.status_code == 200
    again = api.get(f"{DOCUMENTS}/MLTensorFlowGPU").json()
    assert again["components"]["gpu_vm"]["data"]["_cluster"]["max"] == 2
    assert again["version"] == 2 and again["layout"] == stored["layout"]

    assert api.delete(f"{BLUEPRINTS}/MLTensorFlowGPU").status_code == 204
    assert api.get(f"{DOCUMENTS}/MLTensorFlowGPU").status_code == 404
    assert api.delete(f"{DOCUMENTS}/MLTensorFlowGPU").status_code == 404


def test_composite_blueprint_writes_are_not_faked(with_software: VraApi) -> None:
    """Real routes the lab does not implement answer 501, never a 404/405 vRA 7 would not."""
    body = blueprint_body("BP", with_software.source_machine())
    assert with_software.post(BLUEPRINTS, body).status_code == 501
    assert with_software.put(f"{BLUEPRINTS}/BP", body).status_code == 501


def test_unknown_software_component_or_template_is_400(vra_api: VraApi) -> None:
    machine = vra_api.source_machine()
    no_software = vra_api.put_blueprint(blueprint_body("BP", machine, "TFGpuMotd"))
    assert no_software.status_code == 400
    assert "TFGpuMotd" in vra_error(no_software)["systemMessage"]
    ghost = {"id": "0000-gone", "name": "gone-template"}
    no_template = vra_api.put_blueprint(blueprint_body("BP", ghost))
    assert no_template.status_code == 400
    assert "0000-gone" in vra_error(no_template)["systemMessage"]
    assert vra_api.lab.state()["blueprints"]["count"] == 0


def test_bad_binding_dependency_or_range_is_400(with_software: VraApi) -> None:
    api = with_software
    machine = api.source_machine()
    body = blueprint_body("BP", machine, "TFGpuMotd")
    body["components"]["tf_sw"]["data"]["host"] = "${_resource~elsewhere}"
    response = api.put_blueprint(body)
    assert response.status_code == 400
    assert "host" in vra_error(response)["systemMessage"]

    body = blueprint_body("BP", machine, "TFGpuMotd")
    body["components"]["tf_sw"]["dependsOn"] = ["nothing"]
    assert "nothing" in vra_error(api.put_blueprint(body))["systemMessage"]

    body = blueprint_body("BP", machine, max_instances=0)
    response = api.put_blueprint(body)
    assert response.status_code == 400
    assert "_cluster" in vra_error(response)["systemMessage"]

    body = blueprint_body("BP", machine)
    body["status"] = "LIVE"
    assert "status" in vra_error(api.put_blueprint(body))["systemMessage"]


@pytest.mark.parametrize(
    "host",
    [
        None,  # mandatory host left out
        "gpu_vm",  # a plain string
        {"type": "constant", "value": {"type": "string", "value": "${_resource~gpu_vm}"}},
        {"fixed": "${_resource~gpu_vm}"},
    ],
    ids=["missing", "plain-string", "constant-facet", "fixed-literal"],
)
def test_software_needs_its_host_bound(with_software: VraApi, host: Any) -> None:
    body = blueprint_body("BP", with_software.source_machine(), "TFGpuMotd")
    data = body["components"]["tf_sw"]["data"]
    if host is None:
        del data["host"]
    else:
        data["host"] = host
    response = with_software.put_blueprint(body)
    assert response.status_code == 400
    assert vra_error(response)["code"] == 10101
    assert vra_error(response)["message"] == "Invalid argument."
    assert "'host' is not bound" in vra_error(response)["systemMessage"]


def test_machine_fields_as_exports_carry_them(with_software: VraApi) -> None:
    api = with_software
    machine = api.source_machine()
    body = blueprint_body("BP", machine)
    body["components"]["gpu_vm"]["data"]["cpu"] = {"fixed": "four"}
    assert "cpu" in vra_error(api.put_blueprint(body))["systemMessage"]
    body = blueprint_body("BP", machine)
    body["components"]["gpu_vm"]["data"]["storage"] = {"default": 10, "min": 10, "max": 10}
    assert "below its disks" in vra_error(api.put_blueprint(body))["systemMessage"]
    body = blueprint_body("BP", machine)
    body["components"]["gpu_vm"]["data"]["nics"] = [{"network": "vm-network"}]
    assert "NIC network" in vra_error(api.put_blueprint(body))["systemMessage"]
    body["components"]["net"] = {
        "type": "Infrastructure.Network.Network.Existing",
        "data": {"name": {"fixed": "vm-network"}},
    }
    body["components"]["gpu_vm"]["data"]["nics"] = [{"network": "${_resource~net}"}]
    assert api.put_blueprint(body).status_code == 201
    by_id = api.get(f"/iaas-proxy-provider/api/source-machines/{machine['id']}").json()
    assert by_id["disks"][0]["capacity"] >= 1 and "disks" not in machine


def test_software_component_in_use_cannot_be_deleted(with_software: VraApi) -> None:
    api = with_software
    api.put_blueprint(blueprint_body("MLTensorFlowGPU", api.source_machine(), "TFGpuMotd"))
    response = api.delete(f"{SOFTWARE}/TFGpuMotd")
    assert response.status_code == 409
    error = vra_error(response)
    assert error["code"] == 10120
    assert "is in use by blueprint MLTensorFlowGPU" in error["systemMessage"]
    assert api.delete(f"{BLUEPRINTS}/MLTensorFlowGPU").status_code == 204
    assert api.delete(f"{SOFTWARE}/TFGpuMotd").status_code == 204


def test_publish_makes_catalog_item_after_delay(with_software: VraApi) -> None:
    api = with_software
    body = blueprint_body(
        "MLTensorFlowGPU", api.source_machine(), "TFGpuMotd", name="ML TensorFlow GPU"
    )
    api.put_blueprint(body)
    assert api.get(ITEMS).json()["content"] == []  # nothing while DRAFT
    info = api.put(f"{BLUEPRINTS}/MLTensorFlowGPU/status", "PUBLISHED")
    assert info.status_code == 200
    assert info.json()["publishStatus"] == "PUBLISHED"

    item = api.wait_for_catalog_item("ML TensorFlow GPU")
    assert item["status"] == "PUBLISHED"
    assert item["catalogItemTypeRef"]["id"] == ITEM_TYPE
    assert item["providerBinding"]["bindingId"] == "vsphere.local!::!MLTensorFlowGPU"
    assert item["providerBinding"]["providerRef"]["label"] == "Blueprint Service"
    assert item["serviceRef"] is None
    assert api.get(f"{ITEMS}/{item['id']}").json() == item
    # Publishing again keeps the same item.
    api.put(f"{BLUEPRINTS}/MLTensorFlowGPU/status", "PUBLISHED")
    assert api.lab.state()["catalogItems"]["ids"] == [item["id"]]


def test_catalog_item_is_hidden_until_the_delay_passes(with_software: VraApi) -> None:
    api = with_software
    api.lab.set_seed(catalogItemDelaySeconds=3600)
    api.login()  # the seed change reset the lab, tokens included
    api.post(SOFTWARE, software_component_body("TFGpuMotd"))
    body = blueprint_body("BP", api.source_machine(), "TFGpuMotd") | {"status": "PUBLISHED"}
    assert api.put_blueprint(body).status_code == 201  # published at create time
    state = api.lab.state()["catalogItems"]
    assert state["count"] == 1 and state["pendingIds"] == state["ids"]
    assert api.get(ITEMS).json()["content"] == []
    assert api.get(f"{ITEMS}/{state['ids'][0]}").status_code == 404


def test_unpublish_or_delete_removes_the_item(with_software: VraApi) -> None:
    api = with_software
    api.lab.set_seed(catalogItemDelaySeconds=0)
    api.login()
    api.post(SOFTWARE, software_component_body("TFGpuMotd"))
    api.put_blueprint(blueprint_body("BP", api.source_machine(), "TFGpuMotd"))
    api.put(f"{BLUEPRINTS}/BP/status", "PUBLISHED")
    first = api.wait_for_catalog_item("BP")
    api.put(f"{BLUEPRINTS}/BP/status", "RETIRED")
    assert api.get(ITEMS).json()["content"] == []
    assert api.get(f"{ITEMS}/{first['id']}").status_code == 404
    api.put(f"{BLUEPRINTS}/BP/status", "PUBLISHED")
    second = api.wait_for_catalog_item("BP")
    assert second["id"] != first["id"]
    assert api.delete(f"{BLUEPRINTS}/BP").status_code == 204
    assert api.lab.state()["catalogItems"]["count"] == 0


def test_renaming_a_published_blueprint_renames_its_item(with_software: VraApi) -> None:
    api = with_software
    body = blueprint_body("BP", api.source_machine(), "TFGpuMotd", name="Old name")
    api.put_blueprint(body | {"status": "PUBLISHED"})
    item = api.wait_for_catalog_item("Old name")
    api.put_blueprint(body | {"name": "New name", "status": "PUBLISHED"})
    assert api.get(f"{ITEMS}/{item['id']}").json()["name"] == "New name"
