"""vRA 7.3 document shapes: plain functions from validated inputs to JSON and back.

No HTTP here, so the shapes are testable on their own. Every choice the fact sheet marks as
uncertain (facts/vra-api.md §14) is made in this module, once, with a comment citing it.
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
    }
)
DEFAULT_MACHINE_PREFIX = "Use group default"


def status_body(status: str) -> str:
    """Body of PUT .../{id}/status: a bare JSON string. §14.2: assumed for software components
    by analogy with the documented blueprint call."""
    return status


# -- facet helpers -------------------------------------------------------------------------


def _constant(type_: str, value: Any) -> dict[str, Any]:
    return {"type": "constant", "value": {"type": type_, "value": value}}


def _field(**facets: dict[str, Any]) -> dict[str, Any]:
    return {"facets": facets}


def _fixed_string(value: str) -> dict[str, Any]:
    return _field(fixedValue=_constant("string", value))


def _entity_ref(class_id: str, id_: str, label: str) -> dict[str, Any]:
    ref = {"type": "entityRef", "classId": class_id, "id": id_, "label": label}
    return _field(fixedValue={"type": "constant", "value": ref})


def _int_fixed_range(value: int) -> dict[str, Any]:
    return _field(minValue=_constant("integer", value), maxValue=_constant("integer", value))


def _facet_value(field: Any, *names: str) -> Any:
    """The constant value of the first facet present in `names`, else None."""
    facets = (field or {}).get("facets") or {} if isinstance(field, dict) else {}
    for name in names:
        facet = facets.get(name)
        if isinstance(facet, dict):
            inner = facet.get("value")
            if isinstance(inner, dict):
                # Scalars carry their payload in `value`; entityRef/multiple are the payload.
                return inner.get("value") if "value" in inner else inner
    return None


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
        "description": spec.description,
        "publishStatus": publish_status,
        "containerFieldId": CONTAINER_FIELD,
        "schema": {"fields": fields},
        # §14.3: `scriptTypeId` as a plain string (vendor export form); §14.4: only INSTALL.
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


def _script_type(script: dict[str, Any]) -> str:
    value = script.get("scriptTypeId")
    if isinstance(value, dict):  # §14.3: the reference shows an object form too
        return str(value.get("id") or value.get("name") or "")
    return str(value or "")


def parse_software_component(doc: dict[str, Any]) -> dict[str, Any]:
    """Domain fields of a stored software component (what `read` reports)."""
    properties: dict[str, str] = {}
    for field in (doc.get("schema") or {}).get("fields") or []:
        if field.get("id") == doc.get("containerFieldId", CONTAINER_FIELD):
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
    return {
        "name": doc.get("name"),
        "description": doc.get("description") or "",
        "properties": properties,
        "installScript": script.get("scriptContent") or "",
        "scriptType": _script_type(script),
        "publishStatus": doc.get("publishStatus"),
    }


# -- composite blueprint (composition-service) ---------------------------------------------


def blueprint_document(
    blueprint_id: str,
    spec: BlueprintInputs,
    *,
    tenant: str,
    source_machine_id: str,
    publish_status: str = DRAFT,
) -> dict[str, Any]:
    """A `CompositeBlueprint`: one vSphere clone machine, optionally a software component on it."""
    data: dict[str, Any] = {
        "action": _fixed_string(spec.cloneType),
        "provisioning_workflow": _entity_ref(
            "Infrastructure.Compute.ProvisioningWorkflow", "CloneWorkflow", "CloneWorkflow"
        ),
        "source_machine": _entity_ref(
            "Infrastructure.Virtual.Schema", source_machine_id, spec.templateName
        ),
        "source_machine_name": _fixed_string(spec.templateName),
        "guest_customization_specification": _fixed_string(spec.customizationSpec),
        "blueprint_type": _fixed_string("1"),
        "cpu": _int_fixed_range(spec.cpu),
        "memory": _int_fixed_range(spec.memoryMb),
        "storage": _int_fixed_range(spec.storageGb),
        "_cluster": _field(
            minValue=_constant("integer", 1),
            maxValue=_constant("integer", spec.maxInstances),
            defaultValue=_constant("integer", 1),
        ),
        "machine_prefix": _entity_ref(
            "Infrastructure.Compute.MachinePrefix",
            spec.machinePrefix or DEFAULT_MACHINE_PREFIX,
            spec.machinePrefix or DEFAULT_MACHINE_PREFIX,
        ),
    }
    if spec.network:
        data["nics"] = _nics(spec.network)
    # §14.5: custom properties (e.g. VMware.Memory.Reservation) as extra data keys carrying a
    # string `defaultValue` facet; the JSON encoding is inferred from the YAML form.
    for key, value in sorted(spec.customProperties.items()):
        data[key] = _field(defaultValue=_constant("string", value))
    components: dict[str, Any] = {
        MACHINE_COMPONENT: {"type": MACHINE_TYPE, "dependson": [], "data": data}
    }
    if spec.softwareComponentId:
        # §14.5: the YAML binding `${_resource~<machine>}` carried as a fixed string.
        binding = "${_resource~" + MACHINE_COMPONENT + "}"
        components[SOFTWARE_COMPONENT] = {
            "type": spec.softwareComponentId,
            "dependson": [MACHINE_COMPONENT],
            "data": {CONTAINER_FIELD: _fixed_string(binding)},
        }
    properties: dict[str, Any] = {}
    if spec.pool:
        properties[POOL_PROPERTY] = _fixed_string(spec.pool)
    return {
        "id": blueprint_id,
        "name": spec.name,
        "description": spec.description,
        "tenantId": tenant,
        "publishStatus": publish_status,
        "properties": properties,
        "propertyGroups": [],
        "components": components,
    }


def _nics(network: str) -> dict[str, Any]:
    """One DHCP NIC on the named network profile. §14: encoded like an exported `disks` list
    (multiple COMPLEX items of key/value entries); not confirmed against a live vRA."""
    entries = [
        {"key": "network_profile", "value": {"type": "string", "value": network}},
        {"key": "assignment_type", "value": {"type": "string", "value": "DHCP"}},
        {"key": "id", "value": {"type": "integer", "value": 0}},
    ]
    item = {
        "type": "complex",
        "componentTypeId": "com.vmware.csp.iaas.blueprint.service",
        "classId": "Infrastructure.Compute.Machine.Nic",
        "typeFilter": None,
        "values": {"entries": entries},
    }
    return _field(
        fixedValue={
            "type": "constant",
            "value": {"type": "multiple", "elementTypeId": "COMPLEX", "items": [item]},
        }
    )


def _nic_network(field: Any) -> str | None:
    value = _facet_value(field, "fixedValue")
    for item in (value or {}).get("items") or [] if isinstance(value, dict) else []:
        for entry in (item.get("values") or {}).get("entries") or []:
            if entry.get("key") == "network_profile":
                return (entry.get("value") or {}).get("value")
    return None


def parse_blueprint(doc: dict[str, Any]) -> dict[str, Any]:
    """Domain fields of a stored blueprint (what `read` reports)."""
    components = doc.get("components") or {}
    machine_id = next(
        (k for k, c in components.items() if (c or {}).get("type") == MACHINE_TYPE), None
    )
    data = (components.get(machine_id) or {}).get("data") or {} if machine_id else {}
    software = next(
        (c for k, c in components.items() if k != machine_id and isinstance(c, dict)), None
    )
    prefix_ref = _facet_value(data.get("machine_prefix"), "fixedValue") or {}
    prefix = prefix_ref.get("id") if isinstance(prefix_ref, dict) else None
    source_ref = _facet_value(data.get("source_machine"), "fixedValue") or {}
    custom = {
        key: str(_facet_value(value, "defaultValue", "fixedValue") or "")
        for key, value in data.items()
        if key not in _MACHINE_KEYS
    }
    pool = _facet_value((doc.get("properties") or {}).get(POOL_PROPERTY), "fixedValue")
    return {
        "name": doc.get("name"),
        "description": doc.get("description") or "",
        "pool": pool,
        "templateName": _facet_value(data.get("source_machine_name"), "fixedValue"),
        "sourceMachineId": source_ref.get("id") if isinstance(source_ref, dict) else None,
        "customizationSpec": _facet_value(
            data.get("guest_customization_specification"), "fixedValue"
        ),
        "cloneType": _facet_value(data.get("action"), "fixedValue"),
        "cpu": _facet_value(data.get("cpu"), "maxValue", "fixedValue", "defaultValue"),
        "memoryMb": _facet_value(data.get("memory"), "maxValue", "fixedValue", "defaultValue"),
        "storageGb": _facet_value(data.get("storage"), "maxValue", "fixedValue", "defaultValue"),
        "maxInstances": _facet_value(data.get("_cluster"), "maxValue"),
        "machinePrefix": None if prefix in (None, DEFAULT_MACHINE_PREFIX) else prefix,
        "network": _nic_network(data.get("nics")),
        "softwareComponentId": software.get("type") if software else None,
        "customProperties": custom,
        "publishStatus": doc.get("publishStatus"),
    }


# -- catalog service and entitlement (catalog-service) -------------------------------------


# Which stack made a catalog service: vRA 7.3 has no tag or custom property on services, so the
# description carries the owner marker (providers/ownership.py).
mark_owner = ownership.mark
split_owner = ownership.split


def service_document(
    name: str, description: str, tenant: str, owner: str | None = None
) -> dict[str, Any]:
    """A catalog service, as PowervRA's New-vRAService sends it (facts §5), marked with the
    stack that creates it."""
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
    tenant: str,
    business_group_id: str,
    business_group_name: str,
    principals: list[dict[str, str]],
    catalog_item_ids: list[str],
) -> dict[str, Any]:
    """An entitlement of one business group (facts §6): keys and list shapes exactly as vRA
    expects (lower-case keys or an object instead of a list silently save nothing, §13)."""
    return {
        "name": name,
        "description": description,
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
