"""vRA lab, software-service: software component CRUD, publish status, checks and codes."""

from __future__ import annotations

import pytest

from tests.support.vra_fixture import VraApi, software_component_body, vra_error

BASE = "/software-service/api/softwarecomponenttypes"


def test_create_returns_201_location_and_stored_document(vra_api: VraApi) -> None:
    body = software_component_body("TFGpuMotd")
    response = vra_api.post(BASE, body)
    assert response.status_code == 201
    assert response.headers["Location"] == f"{vra_api.lab.url}{BASE}/TFGpuMotd"
    stored = vra_api.get(f"{BASE}/TFGpuMotd").json()
    assert response.json() == stored
    for key, value in body.items():
        if key != "publishStatus":
            assert stored[key] == value, key
    assert stored["publishStatus"] == "DRAFT"
    assert stored["publishStatusName"] == "Draft"
    assert stored["tenantId"] == "vsphere.local"


def test_list_gives_info_page_with_filter(vra_api: VraApi) -> None:
    for name in ("TFGpuMotd", "TorchGpuMotd", "CpuOnly"):
        assert vra_api.post(BASE, software_component_body(name)).status_code == 201
    page = vra_api.get(BASE, params={"$filter": "startswith(name,'T')"}).json()
    assert [c["id"] for c in page["content"]] == ["TFGpuMotd", "TorchGpuMotd"]
    assert "schema" not in page["content"][0]  # list entries are Info objects
    assert page["metadata"]["totalElements"] == 2
    exact = vra_api.get(BASE, params={"$filter": "name eq 'CpuOnly'"}).json()
    assert [c["id"] for c in exact["content"]] == ["CpuOnly"]


def test_duplicate_id_or_name_is_409(vra_api: VraApi) -> None:
    assert vra_api.post(BASE, software_component_body("TFGpuMotd")).status_code == 201
    again = vra_api.post(BASE, software_component_body("TFGpuMotd"))
    assert again.status_code == 409
    error = vra_error(again)
    assert error["code"] == 10140
    assert "already exists" in error["systemMessage"]
    same_name = software_component_body("Other") | {"name": "TFGpuMotd"}
    assert vra_api.post(BASE, same_name).status_code == 409
    assert vra_api.lab.state()["softwareComponents"]["ids"] == ["TFGpuMotd"]


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda b: b.pop("name"), "name"),
        (lambda b: b.update(containerFieldId="nope"), "containerFieldId"),
        (lambda b: b["lifecycleTasks"][0]["script"].update(scriptTypeId="cobol"), "scriptTypeId"),
        # Real exports write "Bash": the lower-case spelling is not a vRA script type id.
        (lambda b: b["lifecycleTasks"][0]["script"].update(scriptTypeId="bash"), "scriptTypeId"),
        (
            lambda b: b["lifecycleTasks"][0]["taskDescriptorRef"].update(id="REBOOT"),
            "taskDescriptorRef",
        ),
        (lambda b: b.update(schema={"fields": {}}), "schema"),
        (lambda b: b.update(publishStatus="LIVE"), "publishStatus"),
    ],
)
def test_bad_document_is_400_naming_the_key(vra_api: VraApi, change, named) -> None:  # type: ignore[no-untyped-def]
    body = software_component_body("Broken")
    change(body)
    response = vra_api.post(BASE, body)
    assert response.status_code == 400
    assert named in vra_error(response)["systemMessage"]
    assert vra_api.lab.state()["softwareComponents"]["count"] == 0


def test_update_replaces_document_and_keeps_created_date(vra_api: VraApi) -> None:
    created = vra_api.post(BASE, software_component_body("TFGpuMotd")).json()
    body = software_component_body("TFGpuMotd", {"tf_image": "tensorflow/tensorflow:2.1.0-gpu"})
    body["description"] = "pinned image"
    response = vra_api.put(f"{BASE}/TFGpuMotd", body)
    assert response.status_code == 200
    stored = vra_api.get(f"{BASE}/TFGpuMotd").json()
    assert stored["description"] == "pinned image"
    assert stored["schema"] == body["schema"]
    assert stored["createdDate"] == created["createdDate"]
    other_id = vra_api.put(f"{BASE}/TFGpuMotd", software_component_body("Else"))
    assert other_id.status_code == 400
    assert vra_api.put(f"{BASE}/Missing", software_component_body("Missing")).status_code == 404


def test_publish_status_takes_a_json_string(vra_api: VraApi) -> None:
    vra_api.post(BASE, software_component_body("TFGpuMotd"))
    response = vra_api.put(f"{BASE}/TFGpuMotd/status", "PUBLISHED")
    assert response.status_code == 200
    assert response.json()["publishStatus"] == "PUBLISHED"
    assert response.json()["publishStatusName"] == "Published"
    assert "schema" not in response.json()
    assert vra_api.get(f"{BASE}/TFGpuMotd").json()["publishStatus"] == "PUBLISHED"
    for bad in ("LIVE", {"status": "PUBLISHED"}):
        assert vra_api.put(f"{BASE}/TFGpuMotd/status", bad).status_code == 400
    assert vra_api.put(f"{BASE}/Missing/status", "PUBLISHED").status_code == 404


def test_delete_is_204_then_404(vra_api: VraApi) -> None:
    vra_api.post(BASE, software_component_body("TFGpuMotd"))
    assert vra_api.delete(f"{BASE}/TFGpuMotd").status_code == 204
    missing = vra_api.get(f"{BASE}/TFGpuMotd")
    assert missing.status_code == 404
    assert vra_error(missing)["code"] == 20116
    assert vra_api.delete(f"{BASE}/TFGpuMotd").status_code == 404


def test_script_types_include_bash(vra_api: VraApi) -> None:
    page = vra_api.get("/software-service/api/scripttypes").json()
    assert "Bash" in [t["id"] for t in page["content"]]


def _secure_body(name: str, literal_type: str, type_id: str = "SECURE_STRING") -> dict:
    body = software_component_body(name)
    body["schema"]["fields"].append({
        "id": "token", "label": "token", "isMultiValued": False,
        "dataType": {"type": "primitive", "typeId": type_id},
        "state": {"dependencies": [], "facets": [
            {"type": "defaultValue",
             "value": {"type": "constant", "value": {"type": literal_type, "value": "s3cr3t"}}},
            {"type": "encrypted",
             "value": {"type": "constant", "value": {"type": "boolean", "value": True}}},
        ]},
    })
    return body


def test_secured_values_are_sealed_not_stored_in_the_document(vra_api: VraApi) -> None:
    assert vra_api.post(BASE, _secure_body("Licensed", "secureString")).status_code == 201
    stored = vra_api.get(f"{BASE}/Licensed").json()
    field = next(f for f in stored["schema"]["fields"] if f["id"] == "token")
    assert field["state"]["facets"][0]["value"]["value"] == {"type": "secureString", "value": ""}
    assert "s3cr3t" not in str(vra_api.get(BASE).json())
    digest = "4e738ca5563c06cfd0018299933d58db1dd8bf97f6973dc99bf6cdc64b5550bd"  # sha256(s3cr3t)
    assert vra_api.lab.secured() == {"Licensed": {"token": digest}}
    # The document read back (value blank) and written again keeps the sealed value.
    assert vra_api.call("PUT", f"{BASE}/Licensed", stored).status_code == 200
    assert vra_api.lab.secured() == {"Licensed": {"token": digest}}
    assert vra_api.call("DELETE", f"{BASE}/Licensed").status_code == 204
    assert vra_api.lab.secured() == {}


@pytest.mark.parametrize(("literal", "type_id"), [("string", "SECURE_STRING"),
                                                  ("secureString", "STRING")])
def test_secured_literal_and_type_must_agree(vra_api: VraApi, literal: str, type_id: str) -> None:
    response = vra_api.post(BASE, _secure_body("Mixed", literal, type_id))
    assert response.status_code == 400
    assert "SECURE_STRING" in vra_error(response)["systemMessage"]
    assert vra_api.lab.state()["softwareComponents"]["ids"] == []
