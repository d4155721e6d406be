"""Document builders and parsers, without HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from providers.vra.documents import (
    MACHINE_COMPONENT,
    MACHINE_TYPE,
    SOFTWARE_COMPONENT,
    blueprint_document,
    entitlement_document,
    mark_owner,
    parse_blueprint,
    parse_software_component,
    software_component_document,
    split_owner,
)
from providers.vra.models import BlueprintInputs, SoftwareComponentInputs
from providers.vra.software_component import default_install_script

ENDPOINT = {"url": "https://vra.example.com", "tenant": "vsphere.local"}


def _blueprint(**overrides: Any) -> BlueprintInputs:
    values: dict[str, Any] = {
        "endpoint": ENDPOINT,
        "name": "ML TensorFlow GPU",
        "templateName": "ubuntu-gpu-template",
        "customizationSpec": "Linux",
        "cpu": 8,
        "memoryMb": 16384,
        "storageGb": 60,
        "maxInstances": 4,
        "customProperties": {"VMware.Memory.Reservation": "16384"},
    }
    values.update(overrides)
    return BlueprintInputs.model_validate(values)


def _facet(field: dict[str, Any], facet: str) -> Any:
    return field["facets"][facet]["value"]


def test_blueprint_machine_component_has_the_white_paper_settings() -> None:
    doc = blueprint_document(
        "MLTensorFlowGPU", _blueprint(), tenant="vsphere.local", source_machine_id="sm-1"
    )
    machine = doc["components"][MACHINE_COMPONENT]
    data = machine["data"]
    assert machine["type"] == MACHINE_TYPE
    assert _facet(data["action"], "fixedValue")["value"] == "FullClone"
    assert _facet(data["provisioning_workflow"], "fixedValue")["id"] == "CloneWorkflow"
    source = _facet(data["source_machine"], "fixedValue")
    assert (source["id"], source["label"]) == ("sm-1", "ubuntu-gpu-template")
    assert _facet(data["cpu"], "minValue")["value"] == _facet(data["cpu"], "maxValue")["value"] == 8
    assert _facet(data["memory"], "maxValue")["value"] == 16384
    assert _facet(data["_cluster"], "maxValue")["value"] == 4
    assert _facet(data["_cluster"], "minValue")["value"] == 1
    reservation = _facet(data["VMware.Memory.Reservation"], "defaultValue")
    assert reservation == {"type": "string", "value": "16384"}
    assert "nics" not in data
    assert SOFTWARE_COMPONENT not in doc["components"]
    assert doc["publishStatus"] == "DRAFT"


def test_blueprint_binds_the_software_component_to_the_machine() -> None:
    doc = blueprint_document(
        "B", _blueprint(softwareComponentId="TFGpu"), tenant="t", source_machine_id="x"
    )
    software = doc["components"][SOFTWARE_COMPONENT]
    assert software["type"] == "TFGpu"
    assert software["dependson"] == [MACHINE_COMPONENT]
    binding = _facet(software["data"]["host"], "fixedValue")["value"]
    assert binding == "${_resource~" + MACHINE_COMPONENT + "}"


def test_blueprint_round_trips_through_the_parser() -> None:
    spec = _blueprint(
        softwareComponentId="TFGpu",
        network="ml-net",
        pool="p100-pool",
        machinePrefix="mlvm",
        cloneType="LinkedClone",
        description="d",
    )
    parsed = parse_blueprint(blueprint_document("B", spec, tenant="t", source_machine_id="x"))
    expected = spec.model_dump(exclude={"endpoint", "blueprintId"})
    assert {k: parsed[k] for k in expected} == expected
    assert parsed["sourceMachineId"] == "x"


def test_blueprint_defaults_parse_back_as_absent() -> None:
    doc = blueprint_document("B", _blueprint(), tenant="t", source_machine_id="x")
    parsed = parse_blueprint(doc)
    assert parsed["machinePrefix"] is None
    assert parsed["network"] is None
    assert parsed["pool"] is None
    assert parsed["softwareComponentId"] is None


def test_software_component_document_and_parser_agree() -> None:
    spec = SoftwareComponentInputs.model_validate(
        {
            "endpoint": ENDPOINT,
            "name": "TF container",
            "properties": {"image": "tensorflow/tensorflow:latest-gpu", "motd_title": "ML"},
            "installScript": "#!/bin/bash\necho hi\n",
        }
    )
    doc = software_component_document("TFcontainer", spec)
    assert doc["containerFieldId"] == "host"
    fields = {f["id"]: f for f in doc["schema"]["fields"]}
    assert fields["host"]["dataType"]["classId"] == "Infrastructure.Machine.Schema"
    assert fields["image"]["dataType"] == {"type": "primitive", "typeId": "STRING"}
    task = doc["lifecycleTasks"][0]
    assert task["taskDescriptorRef"]["id"] == "INSTALL"
    assert task["script"]["scriptTypeId"] == "bash"
    parsed = parse_software_component(doc)
    assert parsed["properties"] == spec.properties
    assert parsed["installScript"] == spec.installScript
    assert parsed["scriptType"] == "bash"


def test_script_type_object_form_is_understood() -> None:
    doc = {
        "name": "x",
        "lifecycleTasks": [
            {
                "taskDescriptorRef": {"id": "INSTALL"},
                "script": {"scriptTypeId": {"id": "bash", "name": "Bash"}, "scriptContent": "s"},
            }
        ],
    }
    assert parse_software_component(doc)["scriptType"] == "bash"


def test_entitlement_document_uses_the_shapes_vra_expects() -> None:
    doc = entitlement_document(
        name="ML users",
        description="",
        tenant="vsphere.local",
        business_group_id="bg-1",
        business_group_name="Machine Learning Group",
        principals=[{"ref": "ml-users@vsphere.local", "type": "GROUP", "value": "ml-users"}],
        catalog_item_ids=["item-1"],
    )
    assert doc["organization"]["subtenantRef"] == "bg-1"
    assert doc["principals"] == [
        {
            "tenantName": "vsphere.local",
            "ref": "ml-users@vsphere.local",
            "type": "GROUP",
            "value": "ml-users",
        }
    ]
    assert doc["entitledCatalogItems"][0]["catalogItemRef"] == {"id": "item-1"}
    assert isinstance(doc["entitledServices"], list)


def test_install_script_reads_the_image_from_the_property_and_writes_motd() -> None:
    script = default_install_script()
    assert script.startswith("#!/bin/bash")
    assert '"${image' in script
    assert "docker pull" in script
    assert "--gpus all" in script
    assert "/etc/motd" in script
    assert "tensorflow/" not in script  # the image is configuration, not code


@pytest.mark.parametrize("text", ["", "GPU VMs", "ends in a space ", " [x]", "a [managed-by:b"])
def test_owner_marker_round_trips_the_users_text(text: str) -> None:
    stored = mark_owner(text, "gpu-mlaas/dev")
    assert stored.startswith(text) and stored.endswith("[managed-by:gpu-mlaas/dev]")
    assert split_owner(stored) == (text, "gpu-mlaas/dev")
    assert mark_owner(text, None) == text


@pytest.mark.parametrize(
    "stored",
    [None, "", "plain text", "glued[managed-by:gpu-mlaas/dev]", "x [managed-by:not an owner]"],
)
def test_text_without_a_marker_of_ours_has_no_owner(stored: str | None) -> None:
    assert split_owner(stored) == (stored or "", None)
