"""vRA 7 document shapes: plain functions from validated inputs to JSON and back.

No HTTP here, so the shapes are testable on their own. Each shape follows a public source named
in docs/vra7-api.md; where the sources are silent, the choice is made here, once, and the doc
says so.
"""

from __future__ import annotations

from typing import Any

from providers import ownership
from providers.vra.models import BlueprintInputs, SoftwareComponentInputs

MACHINE_TYPE = "Infrastructure.CatalogItem.Machine.Virtual.vSphere"
MACHINE_COMPONENT = "gpu_vm"
SOFTWARE_COMPONENT = "software"
CONTAINER_FIELD = "host"
INSTALL_TASK = "INSTALL"
PUBLISHED, DRAFT, RETIRED = "PUBLISHED", "DRAFT", "RETIRED"
# The pool label is kept as a blueprint-level property so the platform team can see, in vRA,
# which GPU host pool a blueprint was sized for; it does not steer placement.
POOL_PROPERTY = "MLaaS.GpuPool"
# Data keys the builder writes itself; anything else under the machine's `data` is a custom
# property.
_MACHINE_KEYS = frozenset(
    {
        "action",
        "provisioning_workflow",
        "source_machine",
        "source_machine_name",
        "guest_customization_specification",
        "cpu",
        "memory",
        "storage",
        "_cluster",
        "machine_prefix",
        "blueprint_type",
        "nics",
        "disks",
        # Keys vRA's designer adds to exported machines (docs/vra7-api.md).
        "allow_storage_policies",
        "display_location",
        "max_network_adapters",
        "max_volumes",
        "security_groups",
        "security_tags",
        "source_machine_external_snapshot",
        "source_machine_vmsnapshot",
        "description",
    }
)
DEFAULT_MACHINE_PREFIX = "Use group default"


def status_body(status: str) -> str:
    """Body of PUT .../{id}/status: a bare JSON string (documented for blueprints, taken for
    software components too; docs/vra7-api.md, Publishing)."""
    return status


# -- facet helpers -------------------------------------------------------------------------


def _constant(type_: str, value: Any) -> dict[str, Any]:
    return {"type": "constant", "value": {"type": type_, "value": value}}


def _field(**facets: dict[str, Any]) -> dict[str, Any]:
    return {"facets": facets}


# -- software component (software-service) -------------------------------------------------


def software_component_document(
    component_id: str, spec: SoftwareComponentInputs, publish_status: str = DRAFT
) -> dict[str, Any]:
    """A `SoftwareComponentType`: machine container field, one STRING field per property,
    an INSTALL task with the script."""
    container = {
        "id": CONTAINER_FIELD,
        "label": "Container",
        "isMultiValued": False,
        "dataType": {
            "type": "ref",
            "componentTypeId": "com.vmware.csp.iaas.blueprint.service",
            "classId": "Infrastructure.Machine.Schema",
            "label": "Machine",
        },
        "state": {
            "dependencies": [],
            "facets": [{"type": "mandatory", "value": _constant("boolean", True)}],
        },
    }
    fields = [container]
    for name, secret in sorted((spec.secureProperties or {}).items()):
        fields.append(secure_field(name, secret))
    for name, default in sorted(spec.properties.items()):
        fields.append(
            {
                "id": name,
                "label": name,
                "isMultiValued": False,
                "dataType": {"type": "primitive", "typeId": "STRING"},
                "state": {
                    "dependencies": [],
                    "facets": [{"type": "defaultValue", "value": _constant("string", default)}],
                },
            }
        )
    return {
        "id": component_id,
        "name": spec.name,
        "description": ownership.mark(spec.description, spec.owner),
        "publishStatus": publish_status,
        "containerFieldId": CONTAINER_FIELD,
        "schema": {"fields": fields},
        # `scriptTypeId` a plain string as in real exports ("Bash"; docs/vra7-api.md).
        "lifecycleTasks": [
            {
                "taskDescriptorRef": {"id": INSTALL_TASK, "label": "Install"},
                "script": {
                    "scriptTypeId": spec.scriptType,
                    "scriptContent": spec.installScript,
                    "isRebootAfter": False,
                },
            }
        ],
    }


SECURE_TYPE = "SECURE_STRING"


def secure_field(name: str, value: str) -> dict[str, Any]:
    """A secured software property as vRA 7 exports write one (JM `Software.MySql`:
    `typeId: SECURE_STRING`, a `secureString` default and the `encrypted` facet)."""
    return {
        "id": name,
        "label": name,
        "isMultiValued": False,
        "dataType": {"type": "primitive", "typeId": SECURE_TYPE},
        "state": {
            "dependencies": [],
            "facets": [
                {"type": "defaultValue", "value": _constant("secureString", value)},
                {"type": "encrypted", "value": _constant("boolean", True)},
            ],
        },
    }


def _script_type(script: dict[str, Any]) -> str:
    value = script.get("scriptTypeId")
    if isinstance(value, dict):  # the reference's data structure page shows an object form
        return str(value.get("id") or value.get("name") or "")
    return str(value or "")


def parse_software_component(doc: dict[str, Any]) -> dict[str, Any]:
    """Domain fields of a stored software component (what `read` reports)."""
    properties: dict[str, str] = {}
    secured: list[str] = []
    for field in (doc.get("schema") or {}).get("fields") or []:
        if field.get("id") == doc.get("containerFieldId", CONTAINER_FIELD):
            continue
        if (field.get("dataType") or {}).get("typeId") == SECURE_TYPE:
            # vRA never hands a secured value back in plain text: only its name is compared.
            secured.append(str(field.get("id")))
            continue
        default = ""
        for facet in (field.get("state") or {}).get("facets") or []:
            if facet.get("type") == "defaultValue":
                default = str(((facet.get("value") or {}).get("value") or {}).get("value", ""))
        properties[str(field.get("id"))] = default
    script: dict[str, Any] = {}
    for task in doc.get("lifecycleTasks") or []:
        if (task.get("taskDescriptorRef") or {}).get("id") == INSTALL_TASK:
            script = task.get("script") or {}
    description, owner = ownership.split(doc.get("description"))
    return {
        "name": doc.get("name"),
        "description": description,
        "owner": owner,
        "properties": properties,
        "securePropertyNames": sorted(secured),
        "installScript": script.get("scriptContent") or "",
        "scriptType": _script_type(script),
        "publishStatus": doc.get("publishStatus"),
    }


# -- composite blueprint (composition-service blueprint documents) -------------------------

NETWORK_TYPE = "Infrastructure.Network.Network.Existing"
NETWORK_COMPONENT = "ml_network"
OWNER_PROPERTY = "MLaaS.ManagedBy"
# The components this project writes; anything else in a stored blueprint is kept as it is.
OUR_COMPONENTS = frozenset({MACHINE_COMPONENT, NETWORK_COMPONENT, SOFTWARE_COMPONENT})


def binding(component_id: str) -> str:
    """`${_resource~<id>}`: in a blueprint document this is a binding, not a string
    (docs/vra7-api.md, Blueprint documents)."""
    return "${_resource~" + component_id + "}"


def binding_target(value: Any) -> str | None:
    if isinstance(value, str) and value.startswith("${_resource~") and value.endswith("}"):
        return value[len("${_resource~") : -1]
    return None


def _fixed(value: Any) -> dict[str, Any]:
    return {"fixed": value}


def _sized(value: int) -> dict[str, Any]:
    """cpu/memory/storage as exports carry them: default, min and max (all the same here)."""
    return {"default": value, "min": value, "max": value}


def field_value(value: Any) -> Any:
    """What a document data field holds: `fixed`, else `default`, else the plain value."""
    if isinstance(value, dict):
        return value.get("fixed", value.get("default", value.get("max")))
    return value


def sized_disks(template_disks: list[dict[str, Any]], storage_gb: int) -> list[dict[str, Any]]:
    """The template's disks as the blueprint clones them (exports list each disk of the source
    machine); the first grows so that the disks hold `storage_gb`. Raises when the template's
    disks alone are larger than `storage_gb`."""
    disks = [
        {
            "capacity": int(d.get("capacity") or 0),
            "id": d.get("id", index),
            "initial_location": d.get("initial_location") or "",
            "is_clone": True,
            "label": d.get("label") or f"Hard disk {index + 1}",
            "storage_reservation_policy": d.get("storage_reservation_policy") or "",
            "userCreated": False,
            "volumeId": d.get("volumeId", index),
        }
        for index, d in enumerate(template_disks)
    ]
    total = sum(d["capacity"] for d in disks)
    if total > storage_gb:
        raise ValueError(
            f"input 'storageGb' ({storage_gb} GB) is below the template's disks ({total} GB); "
            "raise diskGb of the offering"
        )
    if disks:
        disks[0]["capacity"] += storage_gb - total
    return disks


def blueprint_document(
    blueprint_id: str,
    spec: BlueprintInputs,
    *,
    source_machine_id: str,
    disks: list[dict[str, Any]],
    status: str = PUBLISHED,
) -> dict[str, Any]:
    """A blueprint document: one vSphere clone machine, its network, its software component."""
    data: dict[str, Any] = {
        "_cluster": {"default": 1, "min": 1, "max": spec.maxInstances},
        "action": _fixed(spec.cloneType),
        "blueprint_type": _fixed("1"),
        "cpu": _sized(spec.cpu),
        "disks": disks,
        "guest_customization_specification": spec.customizationSpec,
        "machine_prefix": _fixed({"id": spec.machinePrefix or DEFAULT_MACHINE_PREFIX}),
        "memory": _sized(spec.memoryMb),
        "provisioning_workflow": _fixed({"id": "CloneWorkflow", "label": "CloneWorkflow"}),
        "source_machine": _fixed({"id": source_machine_id, "label": spec.templateName}),
        "source_machine_name": _fixed(spec.templateName),
        "storage": _sized(spec.storageGb),
    }
    components: dict[str, Any] = {}
    if spec.network:
        # As exports bind a NIC: an existing-network component, the NIC bound to it.
        components[NETWORK_COMPONENT] = {
            "type": NETWORK_TYPE,
            "dependsOn": [],
            "data": {"name": _fixed(spec.network)},
        }
        data["nics"] = [
            {
                "address": "",
                "assignment_type": "DHCP",
                "id": 0,
                "load_balancing": "",
                "network": binding(NETWORK_COMPONENT),
            }
        ]
    # Custom properties (e.g. VMware.Memory.Reservation) are plain data keys, as in exports.
    data.update(sorted(spec.customProperties.items()))
    components[MACHINE_COMPONENT] = {"type": MACHINE_TYPE, "dependsOn": [], "data": data}
    if spec.softwareComponentId:
        software_data: dict[str, Any] = {CONTAINER_FIELD: binding(MACHINE_COMPONENT)}
        for key, value in sorted(spec.softwareProperties.items()):
            software_data[key] = {"default": value}
        components[SOFTWARE_COMPONENT] = {
            "type": spec.softwareComponentId,
            "dependsOn": [],
            "data": software_data,
        }
    properties: dict[str, Any] = {}
    if spec.pool:
        properties[POOL_PROPERTY] = _fixed(spec.pool)
    if spec.owner:
        properties[OWNER_PROPERTY] = _fixed(spec.owner)
    return {
        "id": blueprint_id,
        "name": spec.name,
        "description": spec.description,
        "status": status,
        "properties": properties,
        "components": components,
    }


def merge_blueprint(current: dict[str, Any], desired: dict[str, Any]) -> dict[str, Any]:
    """Read-modify-write: `desired` written over what vRA holds; server fields (version, layout,
    externalId, ...), properties and components this project does not write are kept."""
    properties = {
        k: v
        for k, v in (current.get("properties") or {}).items()
        if k not in (POOL_PROPERTY, OWNER_PROPERTY)
    }
    components = {
        k: v for k, v in (current.get("components") or {}).items() if k not in OUR_COMPONENTS
    }
    return {
        **current,
        "name": desired["name"],
        "description": desired["description"],
        "status": current.get("status") or desired["status"],
        "properties": {**properties, **desired["properties"]},
        "components": {**components, **desired["components"]},
    }


def blueprint_owner(doc: dict[str, Any]) -> str | None:
    value = field_value((doc.get("properties") or {}).get(OWNER_PROPERTY))
    return str(value) if value else None


def parse_blueprint(doc: dict[str, Any]) -> dict[str, Any]:
    """Domain fields of a stored blueprint document (what `read` reports)."""
    components = doc.get("components") or {}
    machine = next(
        (c for c in components.values() if (c or {}).get("type") == MACHINE_TYPE), None
    ) or {}
    data = machine.get("data") or {}
    software = next(
        (
            c
            for c in components.values()
            if isinstance(c, dict) and not str(c.get("type", "")).startswith("Infrastructure.")
        ),
        None,
    )
    network = next(
        (c for c in components.values() if (c or {}).get("type") == NETWORK_TYPE), None
    )
    prefix_ref = field_value(data.get("machine_prefix"))
    prefix = prefix_ref.get("id") if isinstance(prefix_ref, dict) else None
    source_ref = field_value(data.get("source_machine"))
    software_data = dict((software or {}).get("data") or {})
    host = software_data.pop(CONTAINER_FIELD, None)
    return {
        "name": doc.get("name"),
        "description": doc.get("description") or "",
        "pool": field_value((doc.get("properties") or {}).get(POOL_PROPERTY)),
        "templateName": field_value(data.get("source_machine_name")),
        "sourceMachineId": source_ref.get("id") if isinstance(source_ref, dict) else None,
        "customizationSpec": field_value(data.get("guest_customization_specification")),
        "cloneType": field_value(data.get("action")),
        "cpu": field_value(data.get("cpu")),
        "memoryMb": field_value(data.get("memory")),
        "storageGb": field_value(data.get("storage")),
        "maxInstances": (data.get("_cluster") or {}).get("max"),
        "machinePrefix": None if prefix in (None, DEFAULT_MACHINE_PREFIX) else prefix,
        "network": field_value((network or {}).get("data", {}).get("name")),
        # A software component counts only when it is bound to the machine.
        "softwareComponentId": software.get("type")
        if software and binding_target(host) in components
        else None,
        "softwareProperties": {k: str(field_value(v)) for k, v in software_data.items()},
        "customProperties": {
            key: str(field_value(value))
            for key, value in data.items()
            if key not in _MACHINE_KEYS
        },
        "owner": blueprint_owner(doc),
        "publishStatus": doc.get("status"),
    }


# -- catalog service and entitlement (catalog-service) -------------------------------------


# Which stack made a catalog service: vRA 7.3 has no tag or custom property on services, so the
# description carries the owner marker (providers/ownership.py).
mark_owner = ownership.mark
split_owner = ownership.split


def service_document(
    name: str, description: str, tenant: str, owner: str | None = None
) -> dict[str, Any]:
    """A catalog service, as PowervRA's New-vRAService sends it (docs/vra7-api.md), marked with
    the resource that creates it."""
    return {
        "name": name,
        "description": mark_owner(description, owner),
        "status": "ACTIVE",
        "statusName": "Active",
        "version": 1,
        "organization": {"tenantRef": tenant, "subtenantRef": None},
        "iconId": "cafe_default_icon_genericService",
        "newDuration": None,
    }


def entitlement_document(
    *,
    name: str,
    description: str,
    owner: str | None,
    tenant: str,
    business_group_id: str,
    business_group_name: str,
    principals: list[dict[str, str]],
    catalog_item_ids: list[str],
) -> dict[str, Any]:
    """An entitlement of one business group: keys and list shapes exactly as vRA expects
    (lower-case keys or an object instead of a list silently save nothing; docs/vra7-api.md)."""
    return {
        "name": name,
        "description": mark_owner(description, owner),
        "status": "ACTIVE",
        "statusName": "Active",
        "localScopeForActions": True,
        "organization": {
            "tenantRef": tenant,
            "subtenantRef": business_group_id,
            "subtenantLabel": business_group_name,
        },
        "principals": [{"tenantName": tenant, **p} for p in principals],
        "entitledCatalogItems": [
            {"catalogItemRef": {"id": item}, "active": True, "approvalPolicyId": None}
            for item in catalog_item_ids
        ],
        "entitledServices": [],
        "entitledResourceOperations": [],
    }
