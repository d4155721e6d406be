"""Document builders and parsers, without HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from providers.vra.documents import (
    MACHINE_COMPONENT,
    MACHINE_TYPE,
    NETWORK_COMPONENT,
    SOFTWARE_COMPONENT,
    blueprint_document,
    entitlement_document,
    mark_owner,
    merge_blueprint,
    parse_blueprint,
    parse_software_component,
    sized_disks,
    software_component_document,
    split_owner,
)
from providers.vra.models import (
    SOFTWARE_PREFIX,
    VRA_ID,
    BlueprintInputs,
    SoftwareComponentInputs,
    derive_id,
)
from providers.vra.software_component import default_install_script
from tests.providers.vra.chain import RESERVATION, blueprint_spec

ENDPOINT = {"url": "https://vra.example.com", "tenant": "vsphere.local"}


def _blueprint(**overrides: Any) -> BlueprintInputs:
    values = blueprint_spec(ENDPOINT, customProperties=RESERVATION)
    values.update(overrides)
    return BlueprintInputs.model_validate(values)


DISKS = [{"capacity": 16, "id": 0, "label": "Hard disk 1", "volumeId": 0}]


def _doc(bid: str, spec: BlueprintInputs) -> dict[str, Any]:
    return blueprint_document(
        bid, spec, source_machine_id="sm-1", disks=sized_disks(DISKS, spec.storageGb)
    )


def test_blueprint_machine_component_has_the_white_paper_settings() -> None:
    doc = _doc("MLTensorFlowGPU", _blueprint())
    machine = doc["components"][MACHINE_COMPONENT]
    data = machine["data"]
    assert machine["type"] == MACHINE_TYPE
    assert data["action"] == {"fixed": "FullClone"}
    assert data["provisioning_workflow"]["fixed"]["id"] == "CloneWorkflow"
    assert data["source_machine"]["fixed"] == {"id": "sm-1", "label": "ubuntu-gpu-template"}
    # As exports carry them: default, min and max.
    assert data["cpu"] == {"default": 8, "min": 8, "max": 8}
    assert data["memory"] == {"default": 16384, "min": 16384, "max": 16384}
    assert data["storage"] == {"default": 60, "min": 60, "max": 60}
    assert data["_cluster"] == {"default": 1, "min": 1, "max": 4}
    assert data["VMware.Memory.Reservation"] == "16384"
    # The template's disk, grown to hold the storage.
    assert [(d["capacity"], d["is_clone"], d["volumeId"]) for d in data["disks"]] == [
        (60, True, 0)
    ]
    assert "nics" not in data
    assert SOFTWARE_COMPONENT not in doc["components"]
    assert doc["status"] == "PUBLISHED"


def test_storage_below_the_template_disks_is_refused_naming_the_key() -> None:
    with pytest.raises(ValueError, match="storageGb"):
        sized_disks(DISKS, 10)


def test_blueprint_binds_the_software_component_and_the_network() -> None:
    spec = _blueprint(
        softwareComponentId="Software.TFGpu", softwareProperties={"image": "a"}, network="vm-net"
    )
    doc = _doc("B", spec)
    software = doc["components"][SOFTWARE_COMPONENT]
    assert software["type"] == "Software.TFGpu"
    # A binding, not a string constant.
    assert software["data"]["host"] == "${_resource~" + MACHINE_COMPONENT + "}"
    assert software["data"]["image"] == {"default": "a"}
    network = doc["components"][NETWORK_COMPONENT]
    assert network["type"] == "Infrastructure.Network.Network.Existing"
    (nic,) = doc["components"][MACHINE_COMPONENT]["data"]["nics"]
    assert nic["network"] == "${_resource~" + NETWORK_COMPONENT + "}"


def test_blueprint_round_trips_through_the_parser() -> None:
    spec = _blueprint(
        softwareComponentId="TFGpu",
        softwareProperties={"image": "x/y:1"},
        network="ml-net",
        pool="p100-pool",
        machinePrefix="mlvm",
        cloneType="LinkedClone",
        description="d",
        owner="gpu-mlaas/dev/ml-blueprint",
    )
    parsed = parse_blueprint(_doc("B", spec))
    expected = spec.model_dump(exclude={"endpoint", "blueprintId"})
    assert {k: parsed[k] for k in expected} == expected
    assert parsed["sourceMachineId"] == "sm-1"


def test_read_modify_write_keeps_server_fields_and_foreign_parts() -> None:
    spec = _blueprint(owner="gpu-mlaas/dev/b")
    stored = _doc("B", spec) | {
        "version": 7,
        "layout": {"gpu_vm": "1,1"},
        "externalId": "vsphere.local!::!B",
        "status": "DRAFT",
    }
    stored["properties"]["_leaseDays"] = {"default": 1}
    stored["components"]["extra"] = {"type": "Infrastructure.Other", "data": {}}
    merged = merge_blueprint(stored, _doc("B", _blueprint(cpu=2, owner="gpu-mlaas/dev/b")))
    assert (merged["version"], merged["layout"], merged["externalId"]) == (
        7, {"gpu_vm": "1,1"}, "vsphere.local!::!B"
    )
    assert merged["status"] == "DRAFT"
    assert merged["properties"]["_leaseDays"] == {"default": 1}
    assert "extra" in merged["components"]
    assert merged["components"][MACHINE_COMPONENT]["data"]["cpu"]["max"] == 2


def test_blueprint_defaults_parse_back_as_absent() -> None:
    parsed = parse_blueprint(_doc("B", _blueprint()))
    assert parsed["machinePrefix"] is None
    assert parsed["network"] is None
    assert parsed["pool"] is None
    assert parsed["softwareComponentId"] is None
    assert parsed["owner"] is None


def test_an_unbound_software_component_does_not_count() -> None:
    doc = _doc("B", _blueprint(softwareComponentId="TFGpu"))
    doc["components"][SOFTWARE_COMPONENT]["data"]["host"] = {
        "type": "constant", "value": {"type": "string", "value": "${_resource~gpu_vm}"}
    }
    assert parse_blueprint(doc)["softwareComponentId"] is None


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
    assert task["script"]["scriptTypeId"] == "Bash"
    parsed = parse_software_component(doc)
    assert parsed["properties"] == spec.properties
    assert parsed["installScript"] == spec.installScript
    assert parsed["scriptType"] == "Bash"


def test_script_type_object_form_is_understood() -> None:
    doc = {
        "name": "x",
        "lifecycleTasks": [
            {
                "taskDescriptorRef": {"id": "INSTALL"},
                "script": {"scriptTypeId": {"id": "Bash", "name": "Bash"}, "scriptContent": "s"},
            }
        ],
    }
    assert parse_software_component(doc)["scriptType"] == "Bash"


def test_only_the_script_types_vra_names_are_accepted() -> None:
    with pytest.raises(ValueError):
        SoftwareComponentInputs.model_validate(
            {"endpoint": ENDPOINT, "name": "x", "installScript": "s", "scriptType": "bash"}
        )


def test_entitlement_document_uses_the_shapes_vra_expects() -> None:
    doc = entitlement_document(
        name="ML users",
        description="",
        owner="gpu-mlaas/dev/e",
        tenant="vsphere.local",
        business_group_id="bg-1",
        business_group_name="Machine Learning Group",
        principals=[{"ref": "ml-users@vsphere.local", "type": "GROUP", "value": "ml-users"}],
        catalog_item_ids=["item-1"],
    )
    assert doc["organization"]["subtenantRef"] == "bg-1"
    assert split_owner(doc["description"]) == ("", "gpu-mlaas/dev/e")
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


def test_derived_ids_never_collide_across_names_or_stacks() -> None:
    dev = "gpu-mlaas/dev/x"
    ids = {
        derive_id("ml-a", dev),
        derive_id("ml_a", dev),
        derive_id("ml-a", "gpu-mlaas/prod/x"),
        derive_id("ml a", dev),
    }
    assert len(ids) == 4
    assert all(VRA_ID.match(i) for i in ids)
    assert derive_id("ml-a", dev) == derive_id("ml-a", "gpu-mlaas/dev/other-resource")
    assert derive_id("TF GPU", dev, SOFTWARE_PREFIX).startswith("Software.TFGPU_dev_")
