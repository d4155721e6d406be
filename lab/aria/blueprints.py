"""Blueprint API operations: cloud templates (YAML content), versions, release (vra-blueprint.json).

A template's content is checked as Cloud Assembly does for what this project sends: YAML,
`formatVersion: 1`, known resource types, inputs that are referenced exist, a vSphere machine's
`image` / `flavor` name a mapping of an image / flavor profile and it does not combine a
`cloudConfig` with a `customizationSpec`. The outcome is the template's
`valid` flag and `validationMessages`; only a valid template can be versioned.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import yaml

from lab.aria.errors import bad_request, not_found, stored
from lab.aria.handlers import Call, handler, now_iso, spring_page
from lab.aria.store import Store

RESOURCE_TYPES = {"Cloud.vSphere.Machine", "Cloud.Machine", "Cloud.vSphere.Network",
                  "Cloud.Network", "Cloud.vSphere.Disk"}
_INPUT_REF = re.compile(r"\$\{\s*input\.(\w+)\s*\}")


def _mapping_names(collection: dict[str, dict[str, Any]], key: str) -> set[str]:
    return {name for doc in collection.values() for name in (doc[key].get("mapping") or {})}


def validate_content(store: Store, content: str) -> list[str]:
    """Validation messages for a template's YAML content (empty: valid)."""
    try:
        document = yaml.safe_load(content) if content else None
    except yaml.YAMLError as exc:
        return [f"Invalid YAML: {exc}"]
    if not isinstance(document, dict):
        return ["Content must be a YAML mapping"]
    messages = []
    if document.get("formatVersion") != 1:
        messages.append("formatVersion must be 1")
    inputs = document.get("inputs") or {}
    if not isinstance(inputs, dict):
        messages.append("inputs must be a mapping")
        inputs = {}
    for name in sorted(set(_INPUT_REF.findall(content)) - set(inputs)):
        messages.append(f"Input '{name}' is referenced but not declared")
    resources = document.get("resources")
    if not isinstance(resources, dict) or not resources:
        return [*messages, "resources must declare at least one resource"]
    images = _mapping_names(store.objects.image_profiles, "imageMappings")
    flavors = _mapping_names(store.objects.flavor_profiles, "flavorMappings")
    for name, resource in resources.items():
        kind = (resource or {}).get("type")
        if kind not in RESOURCE_TYPES:
            messages.append(f"Resource '{name}': unknown type {kind!r}")
            continue
        props = resource.get("properties") or {}
        if kind.endswith("Machine"):
            if props.get("image") not in images and not props.get("imageRef"):
                messages.append(f"Resource '{name}': no image mapping {props.get('image')!r}")
            has_size = props.get("cpuCount") and props.get("totalMemoryMB")
            if props.get("flavor") not in flavors and not has_size:
                messages.append(f"Resource '{name}': no flavor mapping {props.get('flavor')!r}")
            if kind == "Cloud.vSphere.Machine" and props.get("cloudConfig") \
                    and props.get("customizationSpec"):
                # VMware (Assembler 8.8, 8.14): the two "aren't formally compatible"; the lab
                # refuses what the documentation warns against (docs/aria8-api.md).
                messages.append(f"Resource '{name}': cloudConfig and customizationSpec are not "
                                "compatible; initialize the machine with one of them")
    return messages


def _blueprint(store: Store, blueprint_id: str) -> dict[str, Any]:
    return stored(store.objects.blueprints, "Blueprint", blueprint_id)


def _apply(store: Store, doc: dict[str, Any], body: dict[str, Any]) -> None:
    for key in ("name", "description", "content", "projectId", "requestScopeOrg"):
        if key in body:
            doc[key] = body[key]
    if not doc.get("name") or not doc.get("projectId"):
        raise bad_request("Blueprint name and projectId are required")
    project = store.objects.projects.get(doc["projectId"])
    if project is None:
        raise bad_request(f"Project with id '{doc['projectId']}' not found")
    clash = any(
        other["name"] == doc["name"] and other["projectId"] == doc["projectId"]
        and other["id"] != doc["id"]
        for other in store.objects.blueprints.values()
    )
    if clash:
        raise bad_request(f"Blueprint with name '{doc['name']}' already exists in the project")
    messages = validate_content(store, doc.get("content", ""))
    doc.update(
        projectName=project["name"],
        valid=not messages,
        validationMessages=[{"message": m, "type": "ERROR"} for m in messages],
        updatedAt=now_iso(),
        updatedBy=doc.get("createdBy"),
    )


def _counts(store: Store, doc: dict[str, Any]) -> dict[str, Any]:
    versions = store.objects.versions.get(doc["id"], {}).values()
    released = sum(1 for v in versions if v["status"] == "RELEASED")
    status = "RELEASED" if released else ("VERSIONED" if versions else "DRAFT")
    return {**doc, "totalVersions": len(versions), "totalReleasedVersions": released,
            "status": status}


@handler("GET", "/blueprint/api/blueprints")
def list_blueprints(store: Store, call: Call) -> tuple[int, Any]:
    name, projects = call.one("name"), set(call.many("projects"))
    found = [
        _counts(store, doc)
        for doc in store.objects.blueprints.values()
        if (name is None or doc["name"] == name) and (not projects or doc["projectId"] in projects)
    ]
    return 200, spring_page(call, found)


@handler("POST", "/blueprint/api/blueprints")
def create_blueprint(store: Store, call: Call) -> tuple[int, Any]:
    blueprint_id = str(uuid.uuid4())
    username = call.user.username if call.user else None
    doc: dict[str, Any] = {
        "id": blueprint_id,
        "orgId": store.seed.orgId,
        "selfLink": f"/blueprint/api/blueprints/{blueprint_id}",
        "createdAt": now_iso(),
        "createdBy": username,
        "requestScopeOrg": False,
        "content": "",
    }
    _apply(store, doc, call.body)
    store.objects.blueprints[blueprint_id] = doc
    return 201, _counts(store, doc)


@handler("GET", "/blueprint/api/blueprints/{blueprintId}")
def get_blueprint(store: Store, call: Call) -> tuple[int, Any]:
    return 200, _counts(store, _blueprint(store, call.params["blueprintId"]))


@handler("PUT", "/blueprint/api/blueprints/{blueprintId}")
def update_blueprint(store: Store, call: Call) -> tuple[int, Any]:
    doc = _blueprint(store, call.params["blueprintId"])
    updated = dict(doc)
    _apply(store, updated, call.body)
    doc.clear()
    doc.update(updated)
    return 200, _counts(store, doc)


@handler("DELETE", "/blueprint/api/blueprints/{blueprintId}")
def delete_blueprint(store: Store, call: Call) -> tuple[int, Any]:
    blueprint_id = call.params["blueprintId"]
    _blueprint(store, blueprint_id)
    del store.objects.blueprints[blueprint_id]
    store.objects.versions.pop(blueprint_id, None)
    store.remove_items(lambda item_id: store.objects.item_blueprint[item_id] == blueprint_id)
    return 204, None


# -- versions --------------------------------------------------------------------------------


def _version(store: Store, blueprint_id: str, version: str) -> dict[str, Any]:
    _blueprint(store, blueprint_id)
    doc = store.objects.versions.get(blueprint_id, {}).get(version)
    if doc is None:
        raise not_found("Blueprint version", f"{blueprint_id}/{version}")
    return doc


@handler("GET", "/blueprint/api/blueprints/{blueprintId}/versions")
def list_versions(store: Store, call: Call) -> tuple[int, Any]:
    _blueprint(store, call.params["blueprintId"])
    versions = list(store.objects.versions.get(call.params["blueprintId"], {}).values())
    status = call.one("status")
    versions = [v for v in versions if status is None or v["status"] == status]
    return 200, spring_page(call, versions)


@handler("POST", "/blueprint/api/blueprints/{blueprintId}/versions")
def create_version(store: Store, call: Call) -> tuple[int, Any]:
    blueprint = _blueprint(store, call.params["blueprintId"])
    body = call.body or {}
    version = body.get("version")
    if not version:
        raise bad_request("Blueprint version is required")
    versions = store.objects.versions.setdefault(blueprint["id"], {})
    if version in versions:
        raise bad_request(f"Version '{version}' already exists for blueprint {blueprint['id']}")
    if not blueprint.get("valid"):
        messages = "; ".join(m["message"] for m in blueprint.get("validationMessages", []))
        raise bad_request(f"Blueprint is not valid and cannot be versioned: {messages}")
    doc = {
        "id": f"{blueprint['id']}-{version}",
        "blueprintId": blueprint["id"],
        "name": blueprint["name"],
        "description": blueprint.get("description", ""),
        "content": blueprint.get("content", ""),
        "projectId": blueprint["projectId"],
        "projectName": blueprint.get("projectName"),
        "orgId": store.seed.orgId,
        "version": version,
        "versionDescription": body.get("description", ""),
        "versionChangeLog": body.get("changeLog", ""),
        "status": "RELEASED" if body.get("release") else "VERSIONED",
        "valid": True,
        "createdAt": now_iso(),
        "createdBy": call.user.username if call.user else None,
        "selfLink": f"/blueprint/api/blueprints/{blueprint['id']}/versions/{version}",
    }
    versions[version] = doc
    return 201, doc


@handler("GET", "/blueprint/api/blueprints/{blueprintId}/versions/{version}")
def get_version(store: Store, call: Call) -> tuple[int, Any]:
    return 200, _version(store, call.params["blueprintId"], call.params["version"])


def _set_release(store: Store, call: Call, status: str) -> tuple[int, Any]:
    doc = _version(store, call.params["blueprintId"], call.params["version"])
    doc["status"] = status
    doc["updatedAt"] = now_iso()
    return 200, doc


@handler("POST", "/blueprint/api/blueprints/{blueprintId}/versions/{version}/actions/release")
def release_version(store: Store, call: Call) -> tuple[int, Any]:
    return _set_release(store, call, "RELEASED")


@handler("POST", "/blueprint/api/blueprints/{blueprintId}/versions/{version}/actions/unrelease")
def unrelease_version(store: Store, call: Call) -> tuple[int, Any]:
    return _set_release(store, call, "VERSIONED")
